"""Facebook's fastText `.bin` model files, read and written.

The layout fastText's C++ writes (version 12; 11 reads the same): the magic number
and version, the arguments, the dictionary (words with counts), the input matrix
(words + n-gram buckets, by dim) and the output matrix (words by dim), all in the
machine's byte order. Quantised `.ftz` files and supervised classifiers are refused
with a clear error; so is anything that does not add up.
"""

import mmap
import os
import struct

import numpy as np

from rnnfast._core import persist
from rnnfast._core.checks import all_finite
from rnnfast.embeddings.fasttext import FastText, FastTextKeyedVectors
from rnnfast.embeddings.vocab import Vocabulary

__all__ = ["load_facebook_model", "load_facebook_vectors", "save_facebook_model"]

MAGIC = 793712314
VERSION = 12
READABLE_VERSIONS = (11, 12)
# fastText's enums
MODEL_CBOW, MODEL_SG, MODEL_SUPERVISED = 1, 2, 3
LOSS_HS, LOSS_NS, LOSS_SOFTMAX, LOSS_OVA = 1, 2, 3, 4
# Args::save: dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn,
# maxn, lrUpdateRate as int32, then t as a double
_ARGS = ("dim", "ws", "epoch", "minCount", "neg", "wordNgrams", "loss", "model", "bucket",
         "minn", "maxn", "lrUpdateRate", "t")
_ARGS_FORMAT = "=12id"
_DICT_HEADER = "=3i2q"   # size, nwords, nlabels, ntokens, pruneidx_size
_ENTRY_TAIL = "=qb"      # a word's count, its type (0 word, 1 label)
_MATRIX_HEADER = "=2q"   # rows, columns
_LR_UPDATE_RATE = 100    # fastText's default, written for its own reader


class _Reader:
    """The file's bytes (mapped), read forward field by field; every failure is a
    ValueError naming the file and the field."""

    def __init__(self, path, data):
        self.path, self.data, self.pos = path, data, 0

    def fail(self, field, what):
        raise ValueError(f"{self.path!r} is not a readable fastText .bin model: {field} {what}")

    def unpack(self, fmt, field):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            self.fail(field, f"is cut off at byte {len(self.data)} (a truncated file?)")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def word(self, i):
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            self.fail(f"dictionary entry {i}", "has no end (a truncated file?)")
        raw = self.data[self.pos:end]
        self.pos = end + 1
        if not raw or any(b in raw for b in b" \t\n\v\f\r"):
            self.fail(f"dictionary entry {i}", f"is {raw[:40]!r}, not a word")
        return raw.decode("utf-8", "surrogateescape")

    def flag(self, field):
        value = self.unpack("=b", field)[0]
        if value not in (0, 1):
            self.fail(field, f"is {value}, not a bool")
        return value

    def matrix(self, field, rows, cols, keep=True):
        got_rows, got_cols = self.unpack(_MATRIX_HEADER, f"the {field} matrix's shape")
        if (got_rows, got_cols) != (rows, cols):
            self.fail(f"the {field} matrix", f"has shape ({got_rows}, {got_cols}), not ({rows}, "
                                             f"{cols}) as the header and dictionary say")
        size = rows * cols * 4
        if self.pos + size > len(self.data):
            self.fail(f"the {field} matrix", f"needs {size:,} bytes, the file holds "
                                             f"{len(self.data) - self.pos:,} (a truncated file?)")
        values = np.frombuffer(self.data, "=f4", rows * cols, self.pos).reshape(rows, cols)
        self.pos += size
        finite, values = all_finite(values), values.copy() if keep else None
        if not finite:   # (no view of the mapped file may outlive it, even in a traceback)
            self.fail(f"the {field} matrix", "holds NaN or infinity")
        return values


def _read(path, full):
    """The arguments, words, counts, token count, input matrix and (if full) output
    matrix of a fastText .bin file."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            raise ValueError(f"{path!r} is empty, not a fastText .bin model")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _parse(_Reader(path, data), full)


def _parse(r, full):
    magic, version = r.unpack("=2i", "the header")
    if magic != MAGIC:
        r.fail("the magic number", f"is {magic}, not {MAGIC} (a .vec text file loads with "
                                   f"KeyedVectors.load_word2vec_format)")
    if version not in READABLE_VERSIONS:
        r.fail("the version", f"is {version}; rnnfast reads versions "
                              f"{', '.join(map(str, READABLE_VERSIONS))}")
    args = dict(zip(_ARGS, r.unpack(_ARGS_FORMAT, "the argument block")))
    if args["model"] == MODEL_SUPERVISED:
        r.fail("the model", "is a supervised classifier; rnnfast reads fastText's word-vector "
                            "models (cbow, skipgram)")
    if args["model"] not in (MODEL_CBOW, MODEL_SG):
        r.fail("the model", f"is {args['model']}, not cbow (1) or skipgram (2)")
    if args["loss"] not in (LOSS_HS, LOSS_NS, LOSS_SOFTMAX, LOSS_OVA):
        r.fail("the loss", f"is {args['loss']}, not one of fastText's 1..4")
    for name, low in (("dim", 1), ("ws", 1), ("epoch", 0), ("minCount", 0), ("neg", 0),
                      ("bucket", 0), ("minn", 0), ("maxn", 0)):
        if args[name] < low:
            r.fail(f"the argument {name}", f"is {args[name]}, below {low}")
    if args["maxn"] and (args["minn"] < 1 or args["minn"] > args["maxn"] or not args["bucket"]):
        r.fail("the arguments minn, maxn, bucket", f"are {args['minn']}, {args['maxn']}, "
                                                   f"{args['bucket']}: no n-gram fits them")
    if not (np.isfinite(args["t"]) and args["t"] >= 0):
        r.fail("the argument t", f"is {args['t']}, not a sampling threshold")
    size, nwords, nlabels, ntokens, pruned = r.unpack(_DICT_HEADER, "the dictionary header")
    if nlabels or size != nwords or nwords < 1 or ntokens < 0:
        r.fail("the dictionary header", f"says {size} entries, {nwords} words, {nlabels} "
                                        f"labels, {ntokens} tokens")
    if pruned > 0:
        r.fail("the dictionary", "is pruned (a quantised .ftz model); rnnfast reads the .bin")
    words, counts = [], np.empty(nwords, np.int64)
    for i in range(nwords):
        words.append(r.word(i))
        counts[i], kind = r.unpack(_ENTRY_TAIL, f"dictionary entry {i}")
        if kind != 0 or counts[i] < 0:
            r.fail(f"dictionary entry {i} ({words[-1]!r})",
                   f"has type {kind} and count {counts[i]}, not a word's")
    if len(set(words)) != nwords:
        r.fail("the dictionary", "holds a word twice")
    if r.flag("the input's quantisation flag"):
        r.fail("the input matrix", "is quantised (a .ftz model); rnnfast reads the .bin")
    buckets = args["bucket"] if args["maxn"] else 0
    rows = nwords + args["bucket"]
    table = r.matrix("input", rows, args["dim"])
    if rows != nwords + buckets:   # n-grams off but buckets stored: keep the word rows
        table = np.ascontiguousarray(table[:nwords + buckets])
    if r.flag("the output's quantisation flag"):
        r.fail("the output matrix", "is quantised; rnnfast reads the .bin")
    output = r.matrix("output", nwords, args["dim"], keep=full)   # checked either way
    if r.pos != len(r.data):
        r.fail("the end", f"has {len(r.data) - r.pos:,} bytes after the output matrix")
    return args, words, counts, ntokens, table, output


def _ngrams(args):
    """(min_n, max_n, bucket) in rnnfast's terms (n-grams off: max_n 0)."""
    if not args["maxn"]:
        return max(args["minn"], 1), 0, args["bucket"]
    return args["minn"], args["maxn"], args["bucket"]


def load_facebook_vectors(path):
    """The FastTextKeyedVectors of a fastText .bin model (vectors for any word), read
    without its output matrix. ValueError naming the file and field for a file that
    is truncated, foreign, quantised (.ftz) or a supervised classifier."""
    args, words, counts, _, table, _ = _read(path, full=False)
    return FastTextKeyedVectors._over_table(words, table, counts, *_ngrams(args))


def load_facebook_model(path):
    """A FastText model from a fastText .bin file, ready to train further (its
    words, counts, n-gram settings, input and output matrices; the learning rate is
    gensim's default alpha, since fastText does not store its own). Models trained
    with the softmax or one-vs-all loss load only as vectors (load_facebook_vectors)."""
    args, words, counts, ntokens, table, output = _read(path, full=True)
    if args["loss"] not in (LOSS_HS, LOSS_NS):
        raise ValueError(f"{os.fspath(path)!r}: the loss is fastText's "
                         f"{'softmax' if args['loss'] == LOSS_SOFTMAX else 'one-vs-all'}, "
                         f"which rnnfast does not train; load_facebook_vectors reads its "
                         f"vectors")
    min_n, max_n, bucket = _ngrams(args)
    hs = args["loss"] == LOSS_HS
    model = FastText(sg=int(args["model"] == MODEL_SG), hs=int(hs), vector_size=args["dim"],
                     window=args["ws"], min_count=args["minCount"],
                     negative=0 if hs else args["neg"], sample=args["t"],
                     epochs=max(args["epoch"], 1), min_n=min_n, max_n=max_n, bucket=bucket)
    model.vocab = Vocabulary(words, counts, ntokens)
    if hs:   # fastText's tree: a tie between a word and an inner node takes the node
        model.vocab.use_huffman_ties("node")
    model.wv = FastTextKeyedVectors._over_table(words, table, counts, min_n, max_n, bucket)
    model.syn1, model.syn1neg = (output, None) if hs else (None, output)
    return model


def save_facebook_model(model, path):
    """Write `model` (a trained FastText) as a fastText .bin file, atomically, that
    fastText (and its Python package) loads; its vectors for known and unseen words
    are rnnfast's. fastText's format holds one loss: a model with both hierarchical
    softmax and negative sampling is refused."""
    if not isinstance(model, FastText) or model.vocab is None:
        raise TypeError("save_facebook_model needs a trained rnnfast.FastText model")
    if model.hs and model.negative:
        raise ValueError("fastText's .bin holds one loss: this model trains both hierarchical "
                         "softmax and negative sampling")
    words = [w.encode("utf-8", "surrogateescape") for w in model.vocab.words]
    bad = next((w for w in words if b"\0" in w), None)
    if bad is not None:
        raise ValueError(f"cannot write the word {bad!r} to a .bin: it holds a NUL byte")
    wv = model.wv
    output = model.syn1 if model.hs else model.syn1neg
    args = (model.vector_size, model.window, model.epochs, model.min_count, model.negative, 1,
            LOSS_HS if model.hs else LOSS_NS, MODEL_SG if model.sg else MODEL_CBOW,
            model.bucket if model.max_n else 0, model.min_n, model.max_n, _LR_UPDATE_RATE,
            float(model.sample))
    with persist.atomic_write(path, "wb") as f:
        f.write(struct.pack("=2i", MAGIC, VERSION))
        f.write(struct.pack(_ARGS_FORMAT, *args))
        f.write(struct.pack(_DICT_HEADER, len(words), len(words), 0, model.vocab.total_words,
                            -1))
        for word, count in zip(words, model.vocab.counts):
            f.write(word + b"\0" + struct.pack(_ENTRY_TAIL, int(count), 0))
        for table in (wv._table, output):
            f.write(struct.pack("=b", 0))   # not quantised
            f.write(struct.pack(_MATRIX_HEADER, *table.shape))
            f.write(np.ascontiguousarray(table, dtype="=f4").data)   # no copy
