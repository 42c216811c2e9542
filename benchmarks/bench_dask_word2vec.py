"""rnnfast.dask.Word2Vec on local clusters of 1 and 2 workers against one machine: time, quality.

    python benchmarks/bench_dask_word2vec.py [CORPUS] [--seeds 2] [--epochs 5] [--sg 0]
        [--hs 0] [--negative 5] [--sync-words 1000000] [--vector-size 100]

For each seed, interleaved: `rnnfast.Word2Vec(corpus_file=CORPUS)` on one machine with
one thread and with two, then `rnnfast.dask.Word2Vec(...).fit(CORPUS)` on
LocalCluster(n_workers=1) and (n_workers=2), one thread a worker (replicas combined
every --sync-words words a worker). From Dask's task stream the workers' time is split
into training, combining, other tasks, moving rows between workers and idle (waiting
for the slowest worker and for the scheduler). Each run is timed and scored on the analogies
(restricted to the 30,000 most frequent words, as gensim's evaluation) and on
WordSim-353, so that the distributed run's scores can be set against the spread of
the one-machine seeds. Medians of the times and the speed-ups close the report.
"""

import argparse
import contextlib
import os
import statistics
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "shared", "data")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=os.path.join(DATA, "corpus1m.txt"))
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--sg", type=int, default=0)
    parser.add_argument("--hs", type=int, default=0)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--vector-size", type=int, default=100)
    parser.add_argument("--sync-words", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--analogies", default=os.path.join(DATA, "eval", "questions-words.txt"))
    parser.add_argument("--similarity", default=os.path.join(DATA, "eval", "wordsim353.tsv"))
    args = parser.parse_args(argv)

    import distributed
    from bench_dask import _scores, _stream_split
    from rnnfast import Word2Vec
    import rnnfast.dask as rd

    kw = dict(sg=args.sg, hs=args.hs, negative=args.negative, vector_size=args.vector_size,
              epochs=args.epochs, progress=False)
    times, splits = {}, {}

    def run(name, train, client=None):
        with distributed.get_task_stream(client) if client else contextlib.nullcontext() as s:
            start = time.perf_counter()
            model = train()
            seconds = time.perf_counter() - start
        note = ""
        if client:
            n = len(client.scheduler_info()["workers"])
            split = _stream_split(s.data, ("train_piece", "combine"))
            split["idle"] = n * seconds - split["compute"] - split["transfer"]
            splits.setdefault(name, []).append(split)
            note = (f"  worker time: training {split['train_piece']:.1f}s, combining "
                    f"{split['combine']:.1f}s, other tasks {split['other']:.1f}s, moving rows "
                    f"{split['transfer']:.1f}s, idle {split['idle']:.1f}s")
        analogy, ws = _scores(model.wv, args)
        times.setdefault(name, []).append(seconds)
        print(f"{name:32s} {seconds:7.1f}s  analogy {analogy:6.2f}%  WordSim-353 {ws:.3f}  "
              f"loss {model.training_loss_[-1]:.4f}{note}", flush=True)

    print(f"corpus {args.corpus}, {kw}")
    clusters = {n: distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                            dashboard_address=":0") for n in (1, 2)}
    clients = {n: distributed.Client(c) for n, c in clusters.items()}
    try:
        for seed in range(1, args.seeds + 1):
            print(f"seed {seed}")
            for threads in (1, 2):
                run(f"one machine, {threads} thread(s)",
                    lambda: Word2Vec(corpus_file=args.corpus, workers=threads, seed=seed, **kw))
            for sync in args.sync_words:
                for n, client in clients.items():
                    run(f"dask {n} worker(s), sync {sync:,}",
                        lambda: rd.Word2Vec(sync_words=sync, workers=1, seed=seed, **kw).fit(
                            args.corpus, client=client), client)
    finally:
        for client in clients.values():
            client.close()
        for cluster in clusters.values():
            cluster.close()
    medians = {name: statistics.median(t) for name, t in times.items()}
    one = medians["one machine, 1 thread(s)"]
    print("medians:")
    for name, m in medians.items():
        print(f"  {name:32s} {m:7.1f}s  speed-up over one thread {one / m:.2f}x")
    for sync in args.sync_words:
        d1, d2 = (medians[f"dask {n} worker(s), sync {sync:,}"] for n in (1, 2))
        print(f"  sync {sync:,}: dask 2 workers / 1 worker {d1 / d2:.2f}x")
    print("worker time (medians, seconds summed over the workers):")
    for name, got in splits.items():
        parts = {k: statistics.median(g[k] for g in got) for k in got[0]}
        print(f"  {name:32s} " + ", ".join(f"{k} {v:.1f}" for k, v in parts.items()
                                            if k != "compute"))


if __name__ == "__main__":
    main()
