"""rnnfast.dask counting on a local cluster of 1 and of 2 workers, against one machine.

    python benchmarks/bench_dask.py [CORPUS (a plain text file)] [--rounds 3] [--window 10] [--min-count 5]
        [--shard-mb 16] [--blocks 2] [--train-epochs 15 --seeds 3]

Times `build_vocab` and `cooccurrence` on LocalCluster(n_workers=1) and (n_workers=2),
one thread a worker, the two clusters' runs interleaved round by round, beside the
one-machine `Vocabulary.from_corpus_file` and `cooccurrence(workers=1)`; medians, and
the 2-worker / 1-worker speed-up (at most 2x on two cores). From Dask's task stream it
splits each run's worker time into computing and moving data between workers
("transfer"), and checks that every run gives the one-machine counts exactly.

With --train-epochs N it then trains GloVe on the counts: on one machine with --seeds
seeds, and by stratified blocks on the 1-worker cluster (one block) and on the
2-worker one (rnnfast.dask.GloVe, --blocks blocks), timing each, splitting the workers'
time into training, reading blocks and moving blocks between workers, and scoring each
on analogies and WordSim-353, so that the distributed run can be set against the spread
of the one-machine seeds.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = os.path.join(HERE, "..", "..", "shared", "data", "corpus1m.txt")



def _stream_split(stream, groups=()):
    """Seconds summed over a task stream's records: {"compute": ..., "transfer": ...},
    and for each name in `groups` the compute seconds of the tasks whose function
    has that name (the rest of the compute under "other")."""
    from distributed.utils import key_split

    out = dict.fromkeys(("compute", "transfer", *groups, "other"), 0.0)
    for rec in stream:
        name = key_split(rec["key"])
        for part in rec.get("startstops", ()):
            span = part["stop"] - part["start"]
            if part["action"] == "compute":
                out["compute"] += span
                out[name if name in groups else "other"] += span
            elif part["action"] == "transfer":
                out["transfer"] += span
    return out


def _scores(wv, args):
    analogy = wv.evaluate_word_analogies(args.analogies, restrict_vocab=30000)[0]
    return 100 * analogy, wv.evaluate_word_pairs(args.similarity)[1][0]


def _train(args, vocab, counts, clients, shard_bytes):
    """GloVe on one machine (several seeds), then by blocks on the 1-worker cluster (one
    block) and on the 2-worker one (--blocks blocks): time, where the workers' time went,
    quality."""
    import distributed
    from rnnfast import GloVe
    import rnnfast.dask as rd

    kw = dict(vector_size=args.vector_size, epochs=args.train_epochs, progress=lambda s: None)
    for seed in range(1, args.seeds + 1):
        start = time.perf_counter()
        model = GloVe(seed=seed, **kw).fit_cooccurrence(counts, vocab)
        analogy, ws = _scores(model.wv, args)
        print(f"one machine, seed {seed}: {time.perf_counter() - start:.1f}s, final cost "
              f"{model.cost_[-1]:.4g}, analogy {analogy:.2f}%, WordSim-353 {ws:.3f}")
    seconds = {}
    for n, client in clients.items():
        blocks = args.blocks if n > 1 else 1
        with tempfile.TemporaryDirectory(prefix="rnnfast-bench-") as out:
            blocked = rd.cooccurrence(args.corpus, vocab, out, blocks=blocks,
                                      window=args.window, client=client,
                                      shard_bytes=shard_bytes)
            with distributed.get_task_stream(client) as stream:
                start = time.perf_counter()
                model = rd.GloVe(seed=1, **kw).fit(blocked, vocab, client=client)
                seconds[n] = time.perf_counter() - start
        split = _stream_split(stream.data, ("train_stratum", "stratum_pairs"))
        analogy, ws = _scores(model.wv, args)
        print(f"{n} worker{'s' if n > 1 else ''}, {blocks}x{blocks} blocks, seed 1: "
              f"{seconds[n]:.1f}s, final cost {model.cost_[-1]:.4g}, analogy {analogy:.2f}%, "
              f"WordSim-353 {ws:.3f}; worker time: training {split['train_stratum']:.1f}s, "
              f"reading blocks {split['stratum_pairs']:.1f}s, other tasks "
              f"{split['other']:.1f}s, moving blocks between workers {split['transfer']:.1f}s")
    if len(seconds) == 2:
        print(f"GloVe training speed-up 2 workers / 1: {seconds[1] / seconds[2]:.2f}x")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=DEFAULT)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--shard-mb", type=float, default=16)
    parser.add_argument("--blocks", type=int, default=2)
    parser.add_argument("--train-epochs", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--vector-size", type=int, default=100)
    parser.add_argument("--analogies", default=os.path.join(HERE, "..", "..", "shared", "data",
                                                           "eval", "questions-words.txt"))
    parser.add_argument("--similarity", default=os.path.join(HERE, "..", "..", "shared", "data",
                                                            "eval", "wordsim353.tsv"))
    args = parser.parse_args(argv)

    import distributed
    from rnnfast import Vocabulary, cooccurrence
    import rnnfast.dask as rd

    shard_bytes = int(args.shard_mb * 2**20)
    size = os.path.getsize(args.corpus)
    print(f"{args.corpus}: {size / 1e6:.1f} MB, {len(rd.shards(args.corpus, shard_bytes))} shards "
          f"of {args.shard_mb} MB, window {args.window}, {args.blocks}x{args.blocks} blocks")
    start = time.perf_counter()
    quiet = lambda status: None  # noqa: E731
    vocab = Vocabulary.from_corpus_file(args.corpus, min_count=args.min_count, progress=quiet)
    one_vocab = time.perf_counter() - start
    start = time.perf_counter()
    want = cooccurrence(vocab, corpus_file=args.corpus, window=args.window, workers=1,
                        progress=quiet).tocsr()
    one_cooc = time.perf_counter() - start
    print(f"one machine, one thread: vocabulary {one_vocab:.2f}s, co-occurrences {one_cooc:.2f}s "
          f"({want.nnz:,} pairs)")

    clusters = {n: distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                            dashboard_address=":0") for n in (1, 2)}
    clients = {n: distributed.Client(c) for n, c in clusters.items()}
    times = {n: {"vocab": [], "cooc": [], "compute": [], "transfer": []} for n in clients}
    try:
        for _ in range(args.rounds):
            for n, client in clients.items():
                with tempfile.TemporaryDirectory(prefix="rnnfast-bench-") as out:
                    with distributed.get_task_stream(client) as stream:
                        start = time.perf_counter()
                        got_vocab = rd.build_vocab(args.corpus, min_count=args.min_count,
                                                   client=client, shard_bytes=shard_bytes)
                        mid = time.perf_counter()
                        blocked = rd.cooccurrence(args.corpus, got_vocab, out,
                                                  blocks=args.blocks, window=args.window,
                                                  client=client, shard_bytes=shard_bytes)
                        end = time.perf_counter()
                    got = blocked.to_coo().tocsr()
                assert got_vocab.words == vocab.words and (got != want).nnz == 0, \
                    "the distributed counts differ from the one-machine ones"
                split = _stream_split(stream.data)
                for key, value in (("vocab", mid - start), ("cooc", end - mid),
                                   ("compute", split["compute"]),
                                   ("transfer", split["transfer"])):
                    times[n][key].append(value)
        if args.train_epochs:
            _train(args, vocab, want, clients, shard_bytes)
    finally:
        for client in clients.values():
            client.close()
        for cluster in clusters.values():
            cluster.close()
    for n in clients:
        t = {k: float(np.median(v)) for k, v in times[n].items()}
        print(f"{n} worker{'s' if n > 1 else ' '}: vocabulary {t['vocab']:.2f}s, co-occurrences "
              f"{t['cooc']:.2f}s (median of {args.rounds}); worker time computing "
              f"{t['compute']:.2f}s, moving data between workers {t['transfer']:.2f}s")
    v1, v2 = (np.median(times[n]["vocab"]) for n in (1, 2))
    c1, c2 = (np.median(times[n]["cooc"]) for n in (1, 2))
    print(f"speed-up 2 workers / 1: vocabulary {v1 / v2:.2f}x, co-occurrences {c1 / c2:.2f}x; "
          f"1 worker vs one machine: vocabulary {one_vocab / v1:.2f}x, co-occurrences "
          f"{one_cooc / c1:.2f}x; every run equal to the one-machine counts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
