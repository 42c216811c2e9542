"""gensim's own saved files (`model.save("w.model")`, `wv.save("w.kv")`), of gensim 4
and of gensim 1 to 3, read without gensim and without running the pickle's code.

gensim pickles its objects, and arrays above its `sep_limit` go to `.npy` files beside
the pickle (`w.model.wv.vectors.npy`, `w.model.syn1neg.npy`). A pickle can name any
callable, so it is read by an unpickler that builds nothing but an allow-list: numpy
arrays and dtypes, plain containers, and stand-ins (`_Saved`) that only record the
state of gensim's classes. Any other class, such as `os.system`, is refused by name.
The recorded state is then checked and turned into rnnfast's own objects.

gensim 3 and older laid the same data out differently: keys in `index2word` and a
`vocab` dict of per-word records instead of `index_to_key` and `expandos`; vectors as
`syn0` before 3.3; the output tables and lock factors in the model (`syn1neg`,
`syn0_lockf`) before 3.3 and in its `trainables` from 3.3 to 3.8, the vocabulary
settings in its `vocabulary`. Both layouts are read into the same parts.
"""

import os
import pickle

import numpy as np

from rnnfast._core import persist
from rnnfast._core.checks import all_finite
from rnnfast.embeddings import checks

__all__ = ["read_gensim", "read_if_gensim", "is_pickle", "RefusedPickleError"]

# gensim's classes whose state is read (the model kinds rnnfast has, and the small
# helper objects a Word2Vec pickle holds)
_GENSIM = {
    ("gensim.models.word2vec", "Word2Vec"), ("gensim.models.keyedvectors", "KeyedVectors"),
    ("gensim.utils", "call_on_class_only"),
    # gensim 1 to 3: keyed vectors under older names, per-word records, and the parts a
    # 3.3-3.8 Word2Vec keeps its settings and output tables in
    ("gensim.models.keyedvectors", "Word2VecKeyedVectors"),
    ("gensim.models.keyedvectors", "EuclideanKeyedVectors"),
    ("gensim.models.keyedvectors", "Vocab"), ("gensim.models.word2vec", "Vocab"),
    ("gensim.models.word2vec", "Word2VecVocab"), ("gensim.models.word2vec", "Word2VecTrainables"),
}
_KEYED_VECTORS = {"gensim.models.keyedvectors." + name
                  for name in ("KeyedVectors", "Word2VecKeyedVectors", "EuclideanKeyedVectors")}
try:   # numpy 2 (a pickle written under numpy 1 names numpy.core, under 2 numpy._core)
    from numpy._core import multiarray as _multiarray
except ImportError:   # numpy 1.x
    from numpy.core import multiarray as _multiarray
_NUMPY = {(module, name): obj
          for module in ("numpy.core.multiarray", "numpy._core.multiarray")
          for name, obj in (("_reconstruct", _multiarray._reconstruct),
                            ("scalar", _multiarray.scalar))}
_NUMPY.update({("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype})
# a model's random generator: recorded, not rebuilt (rnnfast seeds its own)
_RANDOM = {
    ("numpy.random._pickle", "__randomstate_ctor"), ("numpy.random._pickle",
                                                     "__bit_generator_ctor"),
    ("numpy.random._mt19937", "MT19937"), ("numpy.random.mtrand", "RandomState"),
    ("numpy.random", "__RandomState_ctor"), ("builtins", "hash"),
}


def _plain_dict(*default_factory):
    """A defaultdict read as a plain dict (its factory is not kept)."""
    return {}


def _latin1_bytes(text, encoding):
    """The bytes a pickle of protocol 2 stores as str (an array's data): _codecs.encode
    as such pickles call it, for latin-1 only."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise RefusedPickleError(f"refused _codecs.encode of {type(text).__name__} as "
                                 f"{encoding!r}")
    return text.encode("latin-1")


_PLAIN = {("collections", "defaultdict"): _plain_dict, ("builtins", "int"): int,
          ("builtins", "set"): set, ("builtins", "frozenset"): frozenset,
          ("_codecs", "encode"): _latin1_bytes}


class RefusedPickleError(pickle.UnpicklingError, ValueError):
    """A pickle that names a class or function outside the allow-list."""


class _Saved:
    """The recorded state of an object of gensim's (or a helper it pickles)."""

    def __init__(self, *args):
        self.args = args
        self.state = {}

    def __setstate__(self, state):
        self.state = state if isinstance(state, dict) else {"state": state}

    def __call__(self, *args):   # a recorded constructor called by the pickle
        return _Saved(*args)


def _saved_class(module, name):
    return type(name, (_Saved,), {"gensim_name": f"{module}.{name}"})


class _Unpickler(pickle.Unpickler):
    def __init__(self, f, path):
        # latin-1: a Python 2 pickle's str holds an array's raw bytes (numpy's advice)
        super().__init__(f, encoding="latin1")
        self._path = path

    def find_class(self, module, name):
        if module == "__builtin__":   # a pickle written by Python 2
            module, name = "builtins", {"long": "int"}.get(name, name)
        if (module, name) in _GENSIM:
            return _saved_class(module, name)
        if (module, name) in _NUMPY:
            return _NUMPY[(module, name)]
        if (module, name) in _RANDOM:
            return _Saved()
        if (module, name) in _PLAIN:
            return _PLAIN[(module, name)]
        raise RefusedPickleError(
            f"{self._path!r}: refused to build {module}.{name}: a gensim file is read "
            f"only for numpy arrays and gensim's Word2Vec and KeyedVectors (anything else "
            f"in a pickle could run code)")

    def persistent_load(self, pid):
        raise RefusedPickleError(f"{self._path!r}: refused to build a persistent id")


def is_pickle(path):
    """Whether the file at `path` starts as a pickle of protocol 2 or newer."""
    with open(path, "rb") as f:
        return f.read(1) == b"\x80"


def read_if_gensim(path, mmap, kind, elsewhere):
    """read_gensim's parts of the file at `path` if it is a pickle holding `kind`
    ("Word2Vec" or "KeyedVectors"); None if it is no pickle. The other kind is a
    ValueError saying to load it with `elsewhere`."""
    if not (os.path.isfile(path) and is_pickle(path)):
        return None
    found, parts = read_gensim(path, mmap)
    if found != kind:
        raise ValueError(f"{os.fspath(path)!r} holds gensim's {found}, not {kind}: load it "
                         f"with {elsewhere}")
    return parts


def read_gensim(path, mmap=None):
    """What gensim 4 saved at `path` (its side `.npy` files included), checked, as plain
    data: ("KeyedVectors", parts) or ("Word2Vec", parts); see `_keyed_vectors` and
    `_word2vec` for the parts. mmap ("r" or "c") maps the side files instead of reading
    them. ValueError naming the file and the field for anything else or inconsistent;
    RefusedPickleError for a pickle that names a class outside the allow-list."""
    path = os.fspath(path)
    mmap = persist.check_mmap(mmap)
    with open(path, "rb") as f:
        try:
            saved = _Unpickler(f, path).load()
        except RefusedPickleError:
            raise
        except Exception as e:   # a damaged pickle fails in many ways; name the file
            raise ValueError(f"{path!r} is not a readable gensim file: "
                             f"{type(e).__name__}: {e}") from None
    kind = getattr(saved, "gensim_name", None)
    if kind in _KEYED_VECTORS:
        return "KeyedVectors", _keyed_vectors(saved, path, path, mmap)
    if kind == "gensim.models.word2vec.Word2Vec":
        return "Word2Vec", _word2vec(saved, path, mmap)
    raise ValueError(f"{path!r} holds {kind or type(saved).__name__}, not gensim's "
                     f"Word2Vec or KeyedVectors")


def _field(path, name, ok, what):
    persist.check_field(path, name, ok, what)


def _array(saved, name, stem, path, mmap, optional=False):
    """The array `name` of a saved object: in the pickle, or in the side file
    `stem.name.npy` gensim wrote for a large one (checked against its size)."""
    state = saved.state
    if name in state.get("__numpys", ()):
        side = f"{stem}.{name}.npy"
        _field(path, name, os.path.isfile(side), f"is in a side file, {side!r}, which is "
                                                  f"missing")
        try:   # mapped first: a header claiming more than the file holds fails here
            value = np.load(side, mmap_mode=mmap or "r", allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:
            persist.inconsistent(side, name, f"cannot be read as an array: {e}")
        if mmap is None:
            value = np.array(value)
        return value
    value = state.get(name)
    if value is None and optional:
        return None
    _field(path, name, isinstance(value, np.ndarray), f"is {type(value).__name__}, not an "
                                                      f"array")
    # an array unpickled over the pickle's bytes may sit at any address: the kernels
    # read floats, so give it an aligned copy when it is not aligned
    return np.require(value, requirements=["A", "C"])


def _has(saved, name):
    return name in saved.state or name in saved.state.get("__numpys", ())


def _keyed_vectors(saved, stem, path, mmap):
    """keys (list of str), vectors (n, d) finite floats, counts ((n,) ints >= 0 or None),
    gensim's other per-key attributes (expandos) and lock factors (lockf: (1,) or (n,)
    float32, or None)."""
    state = saved.state
    if "index_to_key" not in state and "index2word" in state:   # gensim 3 and older
        keys, expandos = _gensim3_keys(state, path)
    else:
        keys, expandos = state.get("index_to_key"), state.get("expandos") or {}
    _field(path, "index_to_key", isinstance(keys, list) and all(isinstance(k, str)
                                                                for k in keys),
           "is not a list of str keys")
    _field(path, "index_to_key", len(set(keys)) == len(keys), "holds a key twice")
    vectors = _array(saved, "vectors" if _has(saved, "vectors") else "syn0", stem, path,
                     mmap)
    _field(path, "vectors", vectors.ndim == 2 and vectors.shape[0] >= len(keys) and
           vectors.dtype.kind == "f", f"is {vectors.dtype} {vectors.shape}, not a row per "
                                      f"key ({len(keys)})")
    vectors = vectors[:len(keys)]
    _field(path, "vectors", all_finite(vectors), "holds NaN or infinity")
    _field(path, "expandos", isinstance(expandos, dict), "is not a mapping")
    counts = expandos.get("count")
    if counts is not None:
        _field(path, "expandos['count']", isinstance(counts, np.ndarray) and
               counts.dtype.kind in "iu" and len(counts) >= len(keys) and
               bool((counts[:len(keys)] >= 0).all()), "is not a count >= 0 per key")
        counts = counts[:len(keys)]
    lockf = _lockf(saved, "vectors_lockf", stem, path, len(keys)) \
        if _has(saved, "vectors_lockf") else None
    return {"keys": keys, "vectors": vectors, "counts": counts, "expandos": expandos,
            "lockf": lockf}


def _gensim3_keys(state, path):
    """gensim 3's `index2word` and `vocab` (key -> record of index, count and, for hs,
    code and point) as gensim 4's keys and expandos."""
    keys, vocab = state.get("index2word"), state.get("vocab")
    _field(path, "index2word", isinstance(keys, list), "is not a list of keys")
    _field(path, "vocab", isinstance(vocab, dict) and len(vocab) == len(keys) and
           all(isinstance(vocab.get(k), _Saved) for k in keys),
           "does not hold a record for each key of index2word")
    records = [vocab[k].state for k in keys]
    _field(path, "vocab", all(r.get("index") == i for i, r in enumerate(records)),
           "gives a key an index other than its place in index2word")
    counts = [r.get("count") for r in records]
    _field(path, "vocab", all(isinstance(c, int) and c >= 0 for c in counts),
           "holds a count that is not an int >= 0")
    expandos = {"count": np.array(counts, dtype=np.int64)}
    if records and all("code" in r and "point" in r for r in records):
        for name in ("code", "point"):
            column = np.empty(len(records), dtype=object)
            column[:] = [r[name] for r in records]
            expandos[name] = column
    return keys, expandos


def _lockf(saved, name, stem, path, V):
    """gensim's lock factors `name`, checked: (1,) or (V,) finite float32; all ones
    (as gensim 3 wrote them, one per word) become gensim 4's default, a single one."""
    lockf = checks.checked_lockf(path, _array(saved, name, stem, path, None), V, name)
    return np.ones(1, np.float32) if (lockf == 1).all() else lockf


def _word2vec(saved, path, mmap):
    """wv (as _keyed_vectors), settings (gensim's scalar attributes by name), syn1neg
    and syn1 ((V, d) float32 or None, as the state has them), huffman ((nodes, codes,
    ends) from gensim's own paths, for hs) and the corpus totals."""
    state = saved.state
    wv_saved = state.get("wv")
    _field(path, "wv", "wv" in state or not _has(saved, "syn0"),
           "is missing: the file is from gensim before 0.13.4 (its vectors in the model), "
           "whose layout is not read; load it in gensim 3 and save it again")
    _field(path, "wv", isinstance(wv_saved, _Saved), "is not gensim's KeyedVectors")
    wv = _keyed_vectors(wv_saved, f"{path}.wv", path, mmap)
    V, d = len(wv["keys"]), wv["vectors"].shape[1]
    _field(path, "expandos['count']", wv["counts"] is not None,
           "is missing: a model needs its word counts")
    # gensim 3.3-3.8 kept vocabulary settings, output tables and lock factors apart
    owners = [(saved, path)] + [(state[name], f"{path}.{name}")
                                for name in ("vocabulary", "trainables")
                                if isinstance(state.get(name), _Saved)]
    settings = {}
    for owner, _ in owners[::-1]:   # the model's own value wins
        settings.update((k, v) for k, v in owner.state.items()
                        if isinstance(v, (bool, int, float)) or
                        (v is None and not k.startswith("_")))
    if "epochs" not in settings and isinstance(settings.get("iter"), int):   # gensim < 4
        settings["epochs"] = settings["iter"]
    for name in ("corpus_total_words", "corpus_count"):
        settings[name] = settings.get(name) or 0   # None or missing in older files
        _field(path, name, isinstance(settings[name], int) and settings[name] >= 0,
               "is not a count")
    parts = {"wv": wv, "settings": settings, "huffman": None}
    for name in ("vectors_lockf", "syn0_lockf"):   # gensim 3 kept them in the model
        for owner, stem in owners:
            if wv["lockf"] is None and _has(owner, name):
                wv["lockf"] = _lockf(owner, name, stem, path, V)
    for name in ("syn1neg", "syn1"):
        owner, stem = next(((o, st) for o, st in owners if _has(o, name)), (saved, path))
        table = _array(owner, name, stem, path, mmap, optional=True)
        if table is not None:
            _field(path, name, table.ndim == 2 and table.shape[0] >= V - 1 and
                   table.shape[1] == d and table.dtype == np.float32 and all_finite(table),
                   f"is {table.dtype} {table.shape}, not a finite float32 ({V}, {d}) table")
        parts[name] = table
    if state.get("hs"):
        parts["huffman"] = _huffman(wv["expandos"], V, path)
    return parts


def _huffman(expandos, V, path):
    """gensim's Huffman paths (its "point" and "code" per word) as rnnfast's (nodes,
    codes, ends), so that its syn1 rows keep meaning the same inner nodes."""
    points, codes = expandos.get("point"), expandos.get("code")
    ok = all(isinstance(a, np.ndarray) and a.dtype == object and len(a) >= V
             for a in (points, codes))
    _field(path, "expandos['point']", ok, "is not a Huffman path per word")
    lengths = np.array([len(p) for p in points[:V]], dtype=np.int64)
    _field(path, "expandos['code']", all(len(c) == n for c, n in zip(codes[:V], lengths)),
           "does not match the points' lengths")
    nodes = np.concatenate([np.asarray(p, np.int64) for p in points[:V]]) if V else \
        np.zeros(0, np.int64)
    bits = np.concatenate([np.asarray(c, np.int64) for c in codes[:V]]) if V else nodes
    _field(path, "expandos['point']", bool(((nodes >= 0) & (nodes < max(V - 1, 1))).all()),
           f"names inner nodes outside 0..{V - 2}")
    _field(path, "expandos['code']", bool(np.isin(bits, (0, 1)).all()), "holds bits not 0/1")
    return nodes.astype(np.int32), bits.astype(np.uint8), np.cumsum(lengths)
