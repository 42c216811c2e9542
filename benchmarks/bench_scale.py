"""Every phase of a billion-token run on one machine, against the same phase on corpus17m,
in one run: throughput, peak memory against each phase's budget, progress and ETA,
Ctrl-C, and Dask's counts against one machine's.

    python benchmarks/bench_scale.py BIG [--small CORPUS] [--small-rounds 3] [--workers 2]
        [--max-vocab-size 2000000] [--memory-limit 1GB] [--cooc-words 10000]
        [--capped-words 64000]
        [--phases vocab,word2vec,cooc,glove,dask] [--interrupt] [--json OUT]

BIG: a corpus file (make one with benchmarks/make_corpus.py); CORPUS defaults to
../shared/data/corpus17m.txt.xz (decompressed once). Phase by phase, a child process
runs it on the small corpus, then on BIG, then on the small corpus again (--small-rounds
in all, split before and after; the phase keeps its median small round), so that each
ratio compares runs minutes apart, not half an hour: the speed of two threads on this
kind of VM changes with where the host puts its cores (GloVe's Hogwild epochs ran at
8.7M or 28M pairs a second on the same data). A later phase takes the vocabulary the
exact count saved. Each child reports: seconds, tokens (pairs for GloVe) per
second, the peak resident memory the phase reached (Linux's VmHWM, reset before it
with /proc/self/clear_refs) above what the process held before it, the most files it
held open, and its progress reports (how many, the longest gap, the ETA's error at a
quarter, half and nine tenths of the phase, as a share of the phase's length).

Phases, with their budgets:
  vocab     Vocabulary.from_corpus_file with max_vocab_size (gensim's pruning rule);
            budget: max_vocab_size entries
  exact     the same without pruning (min_count 5): the vocabulary the later phases use
            and Dask's result must equal
  word2vec  Word2Vec from corpus_file, 2 epochs asked, the first measured: it keeps the
            text as ids for the second while it fits CORPUS_CACHE_BYTES (1 GiB) and
            drops it past that; the child sends itself SIGINT once the second epoch
            reports, and the time Ctrl-C takes to stop the run is reported;
            budget: the tables (3 x V x dim x 4 bytes) + the cache
  word2vec_capped  the same with the vocabulary cut to --capped-words (corpus17m's
            size): what the corpus's length costs apart from its vocabulary's size
  cooc      co-occurrence counting, window 10, the top --cooc-words words, memory_limit
            --memory-limit (spills to files beyond it); budget: memory_limit for the
            counting, plus the result it returns (16 bytes a pair, as documented)
  glove     one GloVe epoch over those counts; budget: 18 bytes a pair (the shuffled
            records and a bucket number each) and 100 MB a worker for the jobs
  dask      rnnfast.dask.build_vocab and rnnfast.dask.cooccurrence on a 2-process
            LocalCluster over the file's shards (64 MiB for the vocabulary; one per
            process for the counts); checked equal to `exact` (words, order, counts)
            and to `cooc` (the first 1,000 rows)
--interrupt: instead, each phase of BIG runs in its own child, which sends itself
SIGINT 3 s into the phase; reports how long it took to stop and whether anything
(temporary files, the output) was left behind. With --work naming a full run's
folder, the phases after the vocabulary take the vocabulary it saved.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_cooc_memory import cpu_name  # noqa: E402
from compare_gensim import DATA, plain_copy  # noqa: E402

PHASES = ("vocab", "exact", "word2vec", "word2vec_capped", "cooc", "glove", "dask")

CHILD = textwrap.dedent(r'''
import json, os, signal, sys, threading, time
import numpy as np
from rnnfast import Vocabulary, Word2Vec
from rnnfast.embeddings import word2vec as w2v_module
from rnnfast.embeddings.cooccur import count_arrays, parse_memory
from rnnfast.embeddings.glove import GloVe

# GloVe's training holds its shuffled pair records (16 bytes) and a bucket number (2) a
# pair, and each worker's job of a million pairs about 100 MB of temporaries, on top
# of the counts handed to it
GLOVE_BYTES_PER_PAIR = 18
GLOVE_BYTES_PER_WORKER = 100 << 20
args = json.loads(sys.argv[1])
path, phases = args["corpus"], args["phases"]
interrupt_after = args.get("interrupt_after")
interrupt_phase = args.get("interrupt_phase")
# a shell starts a background job with SIGINT ignored, and Python keeps it so: the
# Ctrl-C this child sends itself (to time it, and to end Word2Vec after its first
# epoch) would then do nothing
signal.signal(signal.SIGINT, signal.default_int_handler)


def status(field):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith(field))


class Watch:
    """One phase: reset the peak, sample open files, record progress reports."""

    def __init__(self, name):
        self.name, self.reports, self.max_fds = name, [], 0
        self.interrupted_at = None

    def __enter__(self):
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        self.before = status("VmRSS:")
        self.start = time.perf_counter()
        self.done = threading.Event()
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()
        return self

    def _sample(self):
        while not self.done.wait(0.2):
            self.max_fds = max(self.max_fds, len(os.listdir("/proc/self/fd")))
            if (self.name == interrupt_phase and self.interrupted_at is None
                    and time.perf_counter() - self.start > interrupt_after):
                self.interrupt()

    def interrupt(self):
        self.interrupted_at = time.perf_counter()
        os.kill(os.getpid(), signal.SIGINT)

    def progress(self, s):
        self.reports.append((time.perf_counter() - self.start, s["epoch"], s["fraction"],
                             s["eta"], s["task"]))

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        self.done.set()
        self.peak = status("VmHWM:")
        return False

    def peak_growth_bytes(self):
        return self.peak - self.before

    def figures(self, **extra):
        out = {"phase": self.name, "seconds": round(self.seconds, 2),
               "peak_rss": self.peak, "rss_before": self.before,
               "peak_growth": self.peak - self.before, "max_open_files": self.max_fds}
        out.update(extra)
        out.update(progress_figures(self.reports, self.seconds,
                                    getattr(self, "eta_length", None)))
        print(json.dumps(out), flush=True)
        return out


def progress_figures(reports, length, eta_length=None):
    """How many reports, the longest gap between them, and the first task's ETA error
    at 25/50/90% of it (predicted end - actual end, a share of the task's length)."""
    times = [0.0] + [r[0] for r in reports] + [length]
    out = {"reports": len(reports), "longest_gap": round(float(max(np.diff(times))), 2)}
    if not reports:
        return out
    task = reports[0][4]
    later = [r[0] for r in reports if r[4] != task]
    end = eta_length or (later[0] if later else length)
    out["eta_task"] = task
    for share in (0.25, 0.5, 0.9):
        near = [r for r in reports if r[4] == task and r[2] is not None and r[2] >= share]
        if near and near[0][3] is not None:
            t, _, _, eta, _ = near[0]
            out[f"eta_error_{int(share * 100)}"] = round((t + eta - end) / end, 3)
    return out


def main():
    results = {}
    try:
        run(results)
    except KeyboardInterrupt:
        now = time.perf_counter()
        watch = results.get("_watch")
        print(json.dumps({"interrupted": watch.name if watch else None,
                          "stop_seconds": round(now - watch.interrupted_at, 3)
                          if watch and watch.interrupted_at else None}), flush=True)


def word2vec_phase(name, vocab, results):
    """The first of two epochs from corpus_file (then SIGINT, timed)."""
    model = Word2Vec(vector_size=100, window=5, min_count=5, workers=args["workers"],
                     epochs=2, seed=1)
    model.build_vocab_from_freq(dict(zip(vocab.words, vocab.counts.tolist())),
                                corpus_count=vocab.n_sentences)
    epoch_end = {}
    with Watch(name) as w:
        results["_watch"] = w

        def progress(s):
            w.progress(s)
            if s["epoch"] >= 2 and "first" not in epoch_end:
                epoch_end["first"] = time.perf_counter() - w.start
                if interrupt_phase is None:
                    w.interrupt()
        try:
            model.progress = progress
            model.train(corpus_file=path, total_words=vocab.total_words, epochs=2)
            stopped = None
        except KeyboardInterrupt:
            stopped = time.perf_counter() - w.interrupted_at
    if interrupt_phase == name:
        raise KeyboardInterrupt
    first = epoch_end.get("first", w.seconds)
    tables = 3 * len(vocab) * 100 * 4
    w.seconds = first
    w.reports = [r for r in w.reports if r[1] == 1]
    w.eta_length = 2 * first  # the ETA is of both epochs asked
    w.figures(tokens=vocab.total_words, tokens_per_s=round(vocab.total_words / first),
              budget=tables + w2v_module.CORPUS_CACHE_BYTES, tables=tables,
              cache_budget=w2v_module.CORPUS_CACHE_BYTES, ctrl_c_seconds=stopped,
              words=len(vocab))


def run(results):
    workers, V_cooc = args["workers"], args["cooc_words"]
    if "vocab" in phases:
        with Watch("vocab") as w:
            results["_watch"] = w
            pruned = Vocabulary.from_corpus_file(path, 5, args["max_vocab_size"],
                                                 progress=w.progress)
        w.figures(tokens=pruned.total_words, tokens_per_s=round(pruned.total_words / w.seconds),
                  budget_entries=args["max_vocab_size"], words=len(pruned))
    vocab = None
    if "exact" not in phases and os.path.exists(args["vocab_out"]):
        # a phase run alone (--interrupt): the vocabulary an earlier run saved
        with open(args["vocab_out"] + ".words", encoding="utf-8") as f:
            words = f.read().split("\n")
        with open(args["vocab_out"] + ".json") as f:
            totals = json.load(f)
        vocab = Vocabulary(words, np.load(args["vocab_out"]), totals["total_words"],
                           totals["n_sentences"])
    elif {"exact", "word2vec", "word2vec_capped", "cooc", "glove", "dask"} & set(phases):
        with Watch("exact") as w:
            results["_watch"] = w
            vocab = Vocabulary.from_corpus_file(path, 5, progress=w.progress)
        if "exact" in phases:
            w.figures(tokens=vocab.total_words, tokens_per_s=round(vocab.total_words / w.seconds),
                      words=len(vocab))
        np.save(args["vocab_out"], vocab.counts)
        with open(args["vocab_out"] + ".json", "w") as f:
            json.dump({"total_words": vocab.total_words, "n_sentences": vocab.n_sentences}, f)
        with open(args["vocab_out"] + ".words", "w", encoding="utf-8") as f:
            f.write("\n".join(vocab.words))
    if "word2vec" in phases:
        word2vec_phase("word2vec", vocab, results)
    if "word2vec_capped" in phases:
        word2vec_phase("word2vec_capped", vocab.pruned(5, max_final_vocab=args["capped_words"]),
                       results)
    if {"cooc", "glove", "dask"} & set(phases):
        small = vocab.pruned(1, max_final_vocab=V_cooc)
        with Watch("cooc") as w:
            results["_watch"] = w
            rows, cols, values = count_arrays(small, None, path, 10, True, True,
                                              args["memory_limit"], workers,
                                              args["tmp_dir"], w.progress)
        if "cooc" in phases:
            w.figures(tokens=vocab.total_words, tokens_per_s=round(vocab.total_words / w.seconds),
                      budget=parse_memory(args["memory_limit"]) + 16 * len(values),
                      counting_budget=parse_memory(args["memory_limit"]),
                      result_bytes=16 * len(values), pairs=len(values),
                      words=len(small))
        first_rows = rows < 1000
        np.savez(args["cooc_out"], rows=rows[first_rows], cols=cols[first_rows],
                 values=values[first_rows])
    if "glove" in phases:
        model = GloVe(vector_size=100, epochs=1, workers=workers, seed=1)
        with Watch("glove") as w:
            results["_watch"] = w
            model.progress = w.progress
            model._train(rows, cols, values, small.words, False)
        w.figures(pairs=len(values), pairs_per_s=round(len(values) / w.seconds),
                  budget=len(values) * GLOVE_BYTES_PER_PAIR + workers * GLOVE_BYTES_PER_WORKER,
                  bytes_per_pair=round(w.peak_growth_bytes() / len(values), 1))


main()
''')

DASK_CHILD = textwrap.dedent(r'''
import json, os, sys, time
import numpy as np
from dask.distributed import Client, LocalCluster
from rnnfast import dask as rdask
from rnnfast import Vocabulary

args = json.loads(sys.argv[1])
path = args["corpus"]
counts = np.load(args["vocab_out"])
with open(args["vocab_out"] + ".words", encoding="utf-8") as f:
    words = f.read().split("\n")
first = np.load(args["cooc_out"])
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                  dashboard_address=None) as cluster, Client(cluster) as client:
    start = time.perf_counter()
    vocab = rdask.build_vocab([path], min_count=5, client=client)
    t_vocab = time.perf_counter() - start
    same_vocab = vocab.words == words and np.array_equal(vocab.counts, counts)
    small = vocab.pruned(1, max_final_vocab=args["cooc_words"])
    start = time.perf_counter()
    # one shard per worker process: each shard sends all of its distinct pairs, so many
    # small shards of a big corpus would move (and spill) a multiple of the matrix
    shard_bytes = -(-os.path.getsize(path) // 2)
    blocked = rdask.cooccurrence([path], small, args["dask_out"], blocks=1, window=10,
                                 memory_limit=args["memory_limit"], client=client,
                                 shard_bytes=shard_bytes)
    t_cooc = time.perf_counter() - start
    rows, cols, values = blocked.block(0, 0)
    keep = rows < 1000
    got = sorted(zip(rows[keep].tolist(), cols[keep].tolist(), values[keep].tolist()))
    want = sorted(zip(first["rows"].tolist(), first["cols"].tolist(), first["values"].tolist()))
    print(json.dumps({"phase": "dask", "vocab_seconds": round(t_vocab, 2),
                      "vocab_tokens_per_s": round(vocab.total_words / t_vocab),
                      "cooc_seconds": round(t_cooc, 2),
                      "cooc_tokens_per_s": round(vocab.total_words / t_cooc),
                      "vocab_equal": bool(same_vocab), "words": len(vocab),
                      "first_1000_rows_equal": got == want, "pairs_compared": len(want)}),
          flush=True)
''')


def run_child(script, settings, env=None):
    """Run a child, echoing its JSON lines as they come; (rows, exit code, stderr)."""
    err = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen([sys.executable, "-c", script, json.dumps(settings)],
                            stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    rows = []
    for line in proc.stdout:
        if line.startswith("{"):
            rows.append(json.loads(line))
            print("   ", line.rstrip(), flush=True)
    rc = proc.wait()
    err.seek(0)
    stderr = err.read()
    if rc != 0:
        sys.stderr.write(stderr)
    return rows, rc, stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("big")
    parser.add_argument("--small", default=os.path.join(DATA, "corpus17m.txt.xz"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-vocab-size", type=int, default=2_000_000)
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--cooc-words", type=int, default=10_000)
    parser.add_argument("--capped-words", type=int, default=64_000)
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--small-rounds", type=int, default=3)
    parser.add_argument("--interrupt", action="store_true")
    parser.add_argument("--work", help="folder for the saved vocabularies and counts "
                        "(default: a new temporary one); --interrupt reuses a full run's")
    parser.add_argument("--json")
    args = parser.parse_args()
    phases = args.phases.split(",")
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores", flush=True)
    work = args.work or tempfile.mkdtemp(prefix="rnnfast-scale-")
    os.makedirs(work, exist_ok=True)
    print(f"work folder: {work}", flush=True)
    small, made = (None, None) if args.interrupt else plain_copy(args.small)
    corpora = {"big": args.big} if args.interrupt else {"small": small, "big": args.big}
    report = {"cpu": cpu_name(), "settings": vars(args), "runs": {}}

    def settings_of(label):
        return {"corpus": corpora[label], "workers": args.workers,
                "max_vocab_size": args.max_vocab_size, "memory_limit": args.memory_limit,
                "cooc_words": args.cooc_words, "capped_words": args.capped_words,
                "tmp_dir": None,
                "vocab_out": os.path.join(work, f"{label}-vocab.npy"),
                "cooc_out": os.path.join(work, f"{label}-cooc.npz"),
                "dask_out": os.path.join(work, f"{label}-dask")}

    if args.interrupt:
        report["runs"]["big"] = interrupt_each(settings_of("big"), phases, work)
    else:
        for label in corpora:
            print(f"{label}: {corpora[label]} ({os.path.getsize(corpora[label]) / 1e9:.2f} GB)")
        before = (args.small_rounds + 1) // 2
        order = ["small"] * before + ["big"] + ["small"] * (args.small_rounds - before)
        runs = {label: {} for label in corpora}
        for phase in phases:
            print(f"{phase}:", flush=True)
            for label in order:
                child, settings = CHILD, dict(settings_of(label), phases=[phase])
                if phase == "dask":
                    child, settings = DASK_CHILD, settings_of(label)
                rows, _, _ = run_child(child, settings)
                runs[label].setdefault(phase, []).append(rows)
        for label in corpora:
            report["runs"][label] = [row for phase in phases
                                     for row in median_rows(runs[label][phase])]
    if made:
        os.unlink(made)
    if not args.interrupt:
        print_ratios(report["runs"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


def interrupt_each(settings, phases, work):
    """Each phase in its own child that sends itself SIGINT 3 s into the phase; its
    private TMPDIR must be empty afterwards and no output written."""
    out = []
    for phase in phases:
        if phase == "dask":
            continue
        tmp = tempfile.mkdtemp(dir=work, prefix=f"tmp-{phase}-")
        env = dict(os.environ, TMPDIR=tmp)
        # the phases before it that it needs (the vocabulary comes from the full run's
        # files when --work names that run's folder)
        needs = {"glove": ["cooc", "glove"]}.get(phase, [phase])
        child_settings = dict(settings, phases=needs, interrupt_after=3.0,
                              interrupt_phase=phase, tmp_dir=tmp)
        rows, rc, err = run_child(CHILD, child_settings, env)
        stop = next((r for r in rows if "interrupted" in r), None)
        left = os.listdir(tmp)
        row = {"phase": phase, "interrupted_in": stop and stop["interrupted"],
               "stop_seconds": stop and stop["stop_seconds"], "left_in_tmp": left,
               "exit_code": rc}
        print("   ", json.dumps(row), flush=True)
        out.append(row)
    return out


def median_rows(runs):
    """Per phase, the round with the median throughput (the small corpus's phases last
    a second or two: one round is noisy)."""
    if len(runs) == 1:
        return runs[0]
    out = []
    for row in runs[0]:
        if "phase" not in row:
            continue
        key = next((k for k in ("pairs_per_s", "tokens_per_s", "cooc_tokens_per_s")
                    if k in row), None)
        same = [r for rows in runs for r in rows if r.get("phase") == row["phase"]]
        if key:
            same.sort(key=lambda r: r[key])
        out.append(dict(same[len(same) // 2], rounds=len(same)))
    return out


def print_ratios(runs):
    small = {r["phase"]: r for r in runs.get("small", []) if "phase" in r}
    big = {r["phase"]: r for r in runs.get("big", []) if "phase" in r}
    print("\nphase             small/s      big/s  big/small  peak growth (big)  budget")
    for phase in PHASES:
        if phase not in small or phase not in big or phase == "dask":
            continue
        key = "pairs_per_s" if phase == "glove" else "tokens_per_s"
        s, b = small[phase][key], big[phase][key]
        budget = big[phase].get("budget") or big[phase].get("budget_entries")
        print(f"{phase:15s} {s:>11,} {b:>11,}  {b / s:8.3f}  "
              f"{big[phase]['peak_growth'] / 1e6:12.0f} MB  {budget}")


if __name__ == "__main__":
    main()
