"""A synthetic corpus of any size, shaped like a real one: for runs past what the shared
corpora hold (billions of tokens).

    python benchmarks/make_corpus.py OUT --tokens 2e9 [--seed 0] [--fit CORPUS]
        [--heaps-beta 0.98] [--check]

Reads CORPUS (default ../shared/data/corpus17m.txt.xz) once and fits three things to it:
- word frequencies: a Zipf-Mandelbrot law, p(rank) proportional to (rank + q) ** -s,
  fitted by least squares on log-frequency at 400 log-spaced ranks;
- new words: Heaps' law, types(n) = K * n ** beta, anchored at the corpus's own count of
  distinct words at its own length. beta is the corpus's fitted exponent unless
  --heaps-beta sets it; the default, 0.98, gives 20M+ types at 2B tokens, the
  misspellings, numbers and names of a web crawl (corpus17m's own 0.65 gives 6.8M);
- sentence lengths: drawn from the corpus's own lines.

Token n is a new word (the next id) when types(n) passes a whole number there, else an
existing word whose id (its rank of first appearance) is drawn from the Zipf-Mandelbrot
law cut at the words seen so far (inverse of its continuous CDF, one draw per token).
The 195k most frequent ranks are the fitted corpus's own words in frequency order; later
words are made of letters and end in a digit, so they never equal a real one. The same
seed, size and fitted corpus give the same bytes. Prints the fit and the speed;
--check then counts the file's distinct words.
"""

import argparse
import json
import lzma
import multiprocessing
import os
import sys
import time
from collections import Counter

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare_gensim import DATA  # noqa: E402

CHUNK_TOKENS = 1 << 22
EARLY_WORDS = 1 << 16


def read_corpus(path):
    """(words by falling count, their counts, sentence lengths, Heaps points (n, types))."""
    opener = lzma.open if path.endswith(".xz") else open
    counts, lengths, growth, n = Counter(), [], [], 0
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            tokens = line.split()
            if not tokens:
                continue
            counts.update(tokens)
            lengths.append(len(tokens))
            n += len(tokens)
            if not growth or n >= 1.25 * growth[-1][0]:
                growth.append((n, len(counts)))
    growth.append((n, len(counts)))
    ranked = counts.most_common()
    return ([w for w, _ in ranked], np.array([c for _, c in ranked], float),
            np.array(lengths, np.int64), np.array(growth, float))


def fit_zipf_mandelbrot(counts):
    """(s, q) of p(rank) ~ (rank + q) ** -s, least squares on log counts."""
    ranks = np.arange(1, len(counts) + 1, dtype=float)
    at = np.unique(np.geomspace(1, len(counts), 400).astype(np.int64)) - 1
    best = None
    for q in np.linspace(0.0, 50.0, 501):
        x, y = np.log(ranks[at] + q), np.log(counts[at])
        slope, icpt = np.polyfit(x, y, 1)
        err = float(np.mean((y - icpt - slope * x) ** 2))
        if best is None or err < best[0]:
            best = (err, -slope, q)
    return best[1], best[2]


def fit_heaps(growth):
    """beta of types = K * n ** beta over the corpus's growth past its first tenth."""
    pts = growth[growth[:, 0] >= 0.1 * growth[-1, 0]]
    beta, _ = np.polyfit(np.log(pts[:, 0]), np.log(pts[:, 1]), 1)
    return float(beta)


class Generator:
    """The tokens of chunk c (tokens c * CHUNK_TOKENS + 1 ..), as text, from the seed
    and c alone: chunks can be made in any order, by any process."""

    def __init__(self, words, s, q, beta, own_beta, anchor, lengths, seed):
        self.s, self.q, self.beta, self.own_beta = s, q, beta, own_beta
        self.n0, self.v0 = anchor
        self.lengths, self.seed = lengths, seed
        self.n_real = len(words)
        spaced = [w.encode("utf-8") + b" " for w in words]
        self.blob = np.frombuffer(b"".join(spaced), np.uint8).copy()
        self.offsets = np.zeros(len(spaced) + 1, np.int64)
        self.offsets[1:] = np.cumsum([len(w) for w in spaced])
        self.made = len(spaced)   # ids with a string so far
        k = np.arange(EARLY_WORDS)
        raw = np.maximum(np.ceil(self._inverse(k.astype(float))), 1).astype(np.int64)
        self._early = np.maximum.accumulate(raw - k) + k

    def _inverse(self, k):
        """The token position at which Heaps' curve reaches k words: the fitted corpus's
        own curve up to its size, `beta`'s past it (they meet at its length and count)."""
        x = k / self.v0
        return self.n0 * np.where(x <= 1, x ** (1 / self.own_beta), x ** (1 / self.beta))

    def _positions(self, k):
        """Token positions of new words k (int64 array): the k-th arrives at
        ceil(inverse(k)), or right after word k-1 where the curve outruns one new word
        a token (only in the first tokens, inside EARLY_WORDS: done exactly there)."""
        k = np.asarray(k, np.int64)
        at = np.maximum(np.ceil(self._inverse(k.astype(float))), 1).astype(np.int64)
        early = k < EARLY_WORDS
        at[early] = self._early[k[early]]
        return at

    def _words_by(self, token):
        """How many new words arrive at or before `token` (bisection: positions rise)."""
        lo, hi = 0, EARLY_WORDS
        while self._positions([hi])[0] <= token:
            lo, hi = hi, 2 * hi
        while lo < hi:
            mid = (lo + hi) // 2
            if self._positions([mid])[0] <= token:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def new_word_positions(self, first_token, last_token):
        """(first new id, positions of the new words in first_token..last_token)."""
        first, last = self._words_by(first_token - 1), self._words_by(last_token)
        return first, self._positions(np.arange(first, last))

    def _strings_to(self, types):
        """Give every id below `types` its string (past the real words: letters, a digit)."""
        if types <= self.made:
            return
        made = []
        for k in range(self.made - self.n_real, types - self.n_real):
            letters, rest = [], k
            while True:
                letters.append(97 + rest % 26)
                rest //= 26
                if not rest:
                    break
            letters += [48 + k % 10, 32]
            made.append(bytes(letters))
        self.blob = np.concatenate([self.blob, np.frombuffer(b"".join(made), np.uint8)])
        self.offsets = np.concatenate(
            [self.offsets, self.offsets[-1] + np.cumsum([len(w) for w in made])])
        self.made = types

    def _draw(self, u, seen):
        """Ids from Zipf-Mandelbrot cut at `seen` words (continuous inverse CDF of u)."""
        a = 1.0 - self.s
        lo, hi = (1.0 + self.q) ** a, (seen + 1.0 + self.q) ** a
        x = (lo + u * (hi - lo)) ** (1.0 / a) - self.q
        return np.minimum(x.astype(np.int64) - 1, seen - 1)

    def chunk(self, c, n):
        """Chunk c's n tokens as text, whole lines (its last sentence cut at its end)."""
        rng = np.random.default_rng([self.seed, c])
        first_token = c * CHUNK_TOKENS + 1
        first_new, at = self.new_word_positions(first_token, first_token + n - 1)
        self._strings_to(first_new + len(at))
        is_new = np.zeros(n, bool)
        is_new[at - first_token] = True
        ids = np.empty(n, np.int64)
        ids[is_new] = first_new + np.arange(len(at))
        old = ~is_new
        # the cut: words handed out by the start of each block of 4,096 tokens (one
        # power per block instead of per token; every id drawn already exists)
        seen = first_new + np.cumsum(is_new)
        block_seen = np.maximum(seen[::4096], 1)
        seen_old = np.repeat(block_seen, 4096)[:n][old]
        ids[old] = self._draw(rng.random(int(old.sum())), seen_old)
        return self._render(ids, rng)

    def _render(self, ids, rng):
        n = len(ids)
        draws = rng.choice(self.lengths, int(2 * n / self.lengths.mean()) + 16)
        ends = np.cumsum(draws)
        while ends[-1] < n:  # not reached in practice: twice the expected number drawn
            ends = np.concatenate([ends, ends[-1] + np.cumsum(rng.choice(self.lengths, 64))])
        ends = np.append(ends[ends < n], n)
        size = self.offsets[ids + 1] - self.offsets[ids]
        out_end = np.cumsum(size)
        total = int(out_end[-1])
        src = np.repeat((self.offsets[ids] - (out_end - size)).astype(np.int32),
                        size.astype(np.int32)) if total < 2**31 else None
        src += np.arange(total, dtype=np.int32)
        text = self.blob[src]
        text[out_end[ends - 1] - 1] = 10
        return text


_worker_gen = None


def _init_worker(gen):
    global _worker_gen
    _worker_gen = gen


def _make_chunk(job):
    c, n = job
    return _worker_gen.chunk(c, n).tobytes()


def make(out, tokens, seed, fit, heaps_beta, processes=2):
    words, counts, lengths, growth = read_corpus(fit)
    s, q = fit_zipf_mandelbrot(counts)
    own_beta = fit_heaps(growth)
    beta = own_beta if heaps_beta is None else heaps_beta
    gen = Generator(words, s, q, beta, own_beta, growth[-1], lengths, seed)
    info = {"fit": os.path.basename(fit), "fit_tokens": int(growth[-1, 0]),
            "fit_types": int(growth[-1, 1]), "zipf_s": round(s, 4), "zipf_q": round(q, 2),
            "heaps_beta_fitted": round(own_beta, 4), "heaps_beta": beta, "seed": seed,
            "tokens": tokens}
    print(json.dumps(info), flush=True)
    jobs = [(c, min(CHUNK_TOKENS, tokens - c * CHUNK_TOKENS))
            for c in range(-(-tokens // CHUNK_TOKENS))]
    start, written, last, done = time.perf_counter(), 0, 0.0, 0
    tmp = out + ".part"
    with open(tmp, "wb") as f, multiprocessing.get_context("fork").Pool(
            processes, _init_worker, (gen,)) as workers:
        for (c, n), data in zip(jobs, workers.imap(_make_chunk, jobs)):
            f.write(data)
            written += len(data)
            done += n
            now = time.perf_counter()
            if now - last > 5:
                last = now
                print(f"  {done:,} tokens  {written / 1e9:.2f} GB  "
                      f"{written / 1e6 / (now - start):.0f} MB/s", flush=True)
    os.replace(tmp, out)
    seconds = time.perf_counter() - start
    first_new, at = gen.new_word_positions(1, tokens)
    info.update(bytes=written, seconds=round(seconds, 1),
                mb_per_s=round(written / 1e6 / seconds, 1), types_made=int(first_new + len(at)))
    print(json.dumps(info))
    return info


def count_types(path):
    """Distinct words of the file (a check of the generator, in Python: slow on big files)."""
    seen = set()
    with open(path, "rb") as f:
        for line in f:
            seen.update(line.split())
    return len(seen)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--tokens", type=float, default=2e9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fit", default=os.path.join(DATA, "corpus17m.txt.xz"))
    parser.add_argument("--heaps-beta", type=float, default=0.98)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    info = make(args.out, int(args.tokens), args.seed, args.fit, args.heaps_beta,
                args.processes)
    if args.check:
        print(json.dumps({"distinct_in_file": count_types(args.out),
                          "types_made": info["types_made"]}))


if __name__ == "__main__":
    main()
