"""What the memory system allows: random row updates a second against the table's size.

    python benchmarks/bench_row_updates.py [--rows 64122,3972625] [--dim 100]
        [--threads 2] [--updates 20e6] [--rounds 5] [--counts A.npy,B.npy [--power 0.75]]

Word2Vec's and GloVe's epochs are, at heart, reads and writes of rows picked at
random from tables of V rows. This times only that: each thread adds a small number
to every float of a random row, rows prefetched eight updates ahead as the kernels
do, over tables of each size given (by default corpus17m's vocabulary and the 2B-token
corpus's). The ratio between the sizes is the share of speed a vocabulary of that
size leaves any such kernel on this machine; compare it with bench_vocab_size.py's.
Uniform rows are the worst case; with --counts (the vocabularies' counts, as
bench_scale.py saves them) rows are drawn as often as a corpus's words (--power 1) or
its noise words (0.75) are, so the frequent rows stay in cache as they do in training.
The loop is C, compiled here with the system's cc (-O2, no -march).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

LOOP = r"""
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static float *table;
static int64_t rows, updates;
static int dim;

static inline uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static const int32_t *picks;   /* the rows to update, drawn beforehand, or NULL */
static int64_t n_picks;

static inline int64_t pick(uint64_t *s, int64_t u)
{
    if (picks) return picks[u % n_picks];
    return (int64_t)((next(s) >> 32) * rows >> 32);
}

static void *work(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg * 7919 + 1;
    int64_t offset = (int64_t)(uintptr_t)arg * 1000003, ahead[8];
    for (int k = 0; k < 8; k++) ahead[k] = pick(&s, offset + k);
    for (int64_t u = 0; u < updates; u++) {
        int64_t r = ahead[u & 7];
        int64_t n = pick(&s, offset + u + 8);
        ahead[u & 7] = n;
        for (int d = 0; d < dim; d += 16) __builtin_prefetch(table + n * dim + d, 1);
        float *row = table + r * dim;
        for (int d = 0; d < dim; d++) row[d] += 1e-3f;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    rows = atoll(argv[1]);
    dim = atoi(argv[2]);
    int threads = atoi(argv[3]);
    updates = atoll(argv[4]);
    if (argc > 5) {   /* a file of int32 row numbers */
        FILE *f = fopen(argv[5], "rb");
        if (!f) return 1;
        fseek(f, 0, SEEK_END);
        n_picks = ftell(f) / 4;
        fseek(f, 0, SEEK_SET);
        int32_t *p = malloc((size_t)n_picks * 4);
        if (!p || fread(p, 4, (size_t)n_picks, f) != (size_t)n_picks) return 1;
        fclose(f);
        picks = p;
    }
    table = calloc((size_t)rows * dim, sizeof(float));
    if (!table) return 1;
    for (int64_t i = 0; i < rows * dim; i += 1024) table[i] = 0;  /* fault the pages in */
    pthread_t t[64];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int k = 0; k < threads; k++) pthread_create(&t[k], NULL, work, (void *)(uintptr_t)(k + 1));
    for (int k = 0; k < threads; k++) pthread_join(t[k], NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double seconds = (b.tv_sec - a.tv_sec) + 1e-9 * (b.tv_nsec - a.tv_nsec);
    printf("%.6e\n", (double)threads * updates / seconds);
    return 0;
}
"""


# CBOW's rows and arithmetic with nothing else: for each token of a stream (ids, already
# subsampled), a reduced window of context rows summed, then the target's and `negative`
# noise words' output rows each read, dotted and updated with a constant gradient, then
# the context rows updated. Rows are prefetched four tokens ahead, as the kernel does.
CBOW_LOOP = r"""
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define AHEAD 4
static float *in, *out;
static const int32_t *stream, *noise;
static int64_t n_stream, n_noise, rows;
static int dim, window, negative, threads;

static inline uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#define RING (AHEAD + 1)

static void draw(int32_t *rows_of, int64_t t, uint64_t *s)
{
    rows_of[0] = stream[t];
    for (int j = 1; j <= negative; j++) rows_of[j] = noise[next(s) % n_noise];
}

static void *work(void *arg)
{
    const int64_t k = (int64_t)(uintptr_t)arg;
    const int64_t lo = n_stream * k / threads, hi = n_stream * (k + 1) / threads;
    uint64_t s = (uint64_t)k * 7919 + 1;
    float *h = calloc(dim, sizeof(float)), *e = calloc(dim, sizeof(float));
    /* token t's target and noise rows in targets[t % RING]: drawn AHEAD tokens before
     * it is trained, in a slot no token in between uses */
    int32_t targets[RING][64];
    for (int64_t t = lo; t < hi && t < lo + AHEAD; t++) draw(targets[t % RING], t, &s);
    for (int64_t t = lo; t < hi; t++) {
        if (t + AHEAD < hi) {
            int32_t *ahead = targets[(t + AHEAD) % RING];
            draw(ahead, t + AHEAD, &s);
            for (int j = 0; j <= negative; j++)
                for (int d = 0; d < dim; d += 16) __builtin_prefetch(out + (int64_t)ahead[j] * dim + d, 1);
            if (t + AHEAD + window < hi)
                for (int d = 0; d < dim; d += 16)
                    __builtin_prefetch(in + (int64_t)stream[t + AHEAD + window] * dim + d, 1);
        }
        const int32_t *these = targets[t % RING];
        const int b = 1 + (int)(next(&s) % window);
        for (int d = 0; d < dim; d++) { h[d] = 0; e[d] = 0; }
        for (int64_t c = t - b; c <= t + b; c++) {
            if (c < lo || c >= hi || c == t) continue;
            const float *row = in + (int64_t)stream[c] * dim;
            for (int d = 0; d < dim; d++) h[d] += row[d];
        }
        for (int j = 0; j <= negative; j++) {
            float *row = out + (int64_t)these[j] * dim, f = 0;
            for (int d = 0; d < dim; d++) f += row[d] * h[d];
            const float g = (j == 0 ? 1e-4f : -1e-4f) + 1e-9f * f;
            for (int d = 0; d < dim; d++) { e[d] += g * row[d]; row[d] += g * h[d]; }
        }
        for (int64_t c = t - b; c <= t + b; c++) {
            if (c < lo || c >= hi || c == t) continue;
            float *row = in + (int64_t)stream[c] * dim;
            for (int d = 0; d < dim; d++) row[d] += e[d];
        }
    }
    free(h);
    free(e);
    return NULL;
}

static int32_t *read_ints(const char *path, int64_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = ftell(f) / 4;
    fseek(f, 0, SEEK_SET);
    int32_t *p = malloc((size_t)*n * 4);
    if (!p || fread(p, 4, (size_t)*n, f) != (size_t)*n) return NULL;
    fclose(f);
    return p;
}

int main(int argc, char **argv)
{
    rows = atoll(argv[1]);
    dim = atoi(argv[2]);
    threads = atoi(argv[3]);
    window = atoi(argv[4]);
    negative = atoi(argv[5]);
    stream = read_ints(argv[6], &n_stream);
    noise = read_ints(argv[7], &n_noise);
    in = calloc((size_t)rows * dim, sizeof(float));
    out = calloc((size_t)rows * dim, sizeof(float));
    if (!stream || !noise || !in || !out || negative > 63) return 1;
    for (int64_t i = 0; i < rows * dim; i += 1024) in[i] = out[i] = 1e-3f;  /* fault pages in */
    pthread_t t[64];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int k = 0; k < threads; k++) pthread_create(&t[k], NULL, work, (void *)(uintptr_t)k);
    for (int k = 0; k < threads; k++) pthread_join(t[k], NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.6e\n", n_stream / ((b.tv_sec - a.tv_sec) + 1e-9 * (b.tv_nsec - a.tv_nsec)));
    return 0;
}
"""


def compiled(source, folder, name, flags=("-O2",)):
    """`source` compiled with the system's cc into folder/name."""
    path, binary = os.path.join(folder, name + ".c"), os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(source)
    subprocess.run([os.environ.get("CC", "cc"), *flags, "-pthread", path, "-o", binary],
                   check=True)
    return binary


class CbowSkeleton:
    """CBOW_LOOP over one corpus: `rate()` is its kept tokens a second.

    ids: int32 (n,) the corpus's word ids; counts: int64 (V,) their counts. Tokens are
    subsampled as Word2Vec's `sample` does and noise words drawn by count^0.75."""

    def __init__(self, folder, name, ids, counts, keep, window=5, negative=5, dim=100,
                 threads=2, seed=0):
        import numpy as np
        rng = np.random.default_rng(seed)
        # vectorised for this machine: a limit of the machine, not a portable build
        self.binary = compiled(CBOW_LOOP, folder, "cbow", ("-O3", "-march=native", "-ffast-math"))
        kept = ids[rng.random(len(ids)) < keep[ids]]
        weights = counts.astype(np.float64) ** 0.75
        self.stream, self.noise = (os.path.join(folder, f"{name}-{k}.bin") for k in ("stream", "noise"))
        kept.astype(np.int32).tofile(self.stream)
        rng.choice(len(counts), 1 << 24, p=weights / weights.sum()).astype(np.int32).tofile(self.noise)
        self.args = [str(len(counts)), str(dim), str(threads), str(window), str(negative)]
        self.kept_share = len(kept) / len(ids)

    def rate(self):
        """Corpus tokens a second (kept tokens over their share), one run."""
        out = subprocess.run([self.binary, *self.args, self.stream, self.noise], check=True,
                             text=True, capture_output=True).stdout
        return float(out) / self.kept_share


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="64122,3972625")
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--updates", type=float, default=20e6, help="per thread")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--counts", help="comma-separated .npy files of word counts, one "
                        "per size: rows are then drawn in proportion to count^power, as "
                        "a corpus's words and noise words are, not uniformly")
    parser.add_argument("--power", type=float, default=0.75)
    args = parser.parse_args()
    sizes = [int(r) for r in args.rows.split(",")]
    counts = args.counts.split(",") if args.counts else None
    if counts:
        import numpy as np
        sizes = [len(np.load(c, mmap_mode="r")) for c in counts]
    with open("/proc/cpuinfo") as f:
        cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?")
    with tempfile.TemporaryDirectory() as tmp:
        binary = compiled(LOOP, tmp, "loop")
        picks = {}
        for k, rows in enumerate(sizes):
            if counts:
                weights = np.load(counts[k]).astype(np.float64) ** args.power
                drawn = np.random.default_rng(k).choice(rows, size=1 << 24, p=weights / weights.sum())
                picks[rows] = os.path.join(tmp, f"picks{k}.bin")
                drawn.astype(np.int32).tofile(picks[rows])
        rates = {rows: [] for rows in sizes}
        for _ in range(args.rounds):
            for rows in sizes:
                out = subprocess.run([binary, str(rows), str(args.dim), str(args.threads),
                                      str(int(args.updates))] + ([picks[rows]] if counts else []),
                                     check=True, text=True, capture_output=True).stdout
                rates[rows].append(float(out))
    drawn = f"drawn by count^{args.power}" if counts else "drawn uniformly"
    print(f"CPU: {cpu}; {args.threads} threads, rows of {args.dim} float32 {drawn}, medians "
          f"of {args.rounds} interleaved rounds")
    first = statistics.median(rates[sizes[0]])
    for rows in sizes:
        rate = statistics.median(rates[rows])
        print(f"  {rows:>10,} rows ({rows * args.dim * 4 / 1e6:8.1f} MB): {rate:14,.0f} "
              f"row updates/s   {rate / first:.3f} of the first")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
