"""Validation of the embedding kernels' and models' arguments: vocabularies, corpus
sources, word2vec windows and GloVe state (shared by `rnnfast.embeddings.reference`
and `rnnfast.embeddings.functional`)."""

import warnings

import numpy as np

from rnnfast._core import persist
from rnnfast._core.checks import (check_index, check_number, float_array, index_array,
                                  inplace_array)

MAX_WINDOW_ROWS = 512  # RF_MAX_WINDOW_ROWS in csrc/rf_sgns.h
# Co-occurrence windows beyond this are refused (its counters hold window + 1 weights
# and room for 2 * window records per token; no corpus needs more).
MAX_COOC_WINDOW = 10000


def check_one_source(sentences, corpus_file, first="sentences"):
    """Exactly one corpus: an iterable (`first`, by its caller's name) or corpus_file."""
    if (sentences is None) == (corpus_file is None):
        raise ValueError(f"give exactly one of {first} (an iterable of token lists) and "
                         f"corpus_file (a path), got "
                         f"{'neither' if sentences is None else 'both'}")


def is_word(token):
    """True for what a line of a corpus or vectors file can hold as one token: a
    non-empty str without whitespace."""
    return isinstance(token, str) and bool(token) and not any(ch.isspace() for ch in token)


def check_vocab_words(vocab):
    """The words of `vocab` (a sequence of str or a Vocabulary) as a list."""
    words = getattr(vocab, "words", vocab)
    if isinstance(words, (str, bytes)) or not hasattr(words, "__len__"):
        raise TypeError("vocab must be a sequence of words or a rnnfast.Vocabulary")
    words = list(words)
    if not words:
        raise ValueError("vocab is empty")
    for w in words:
        if not is_word(w):
            raise ValueError(f"vocab holds {w!r}: words must be non-empty str without spaces")
    if len(set(words)) != len(words):
        raise ValueError("vocab holds duplicate words")
    return words


def check_w2v_tables(W_in, syn1neg, syn1):
    """The float32 (V, d) tables a word2vec update writes in place (None: a part left out)."""
    if syn1neg is None and syn1 is None:
        raise ValueError("give syn1neg (negative sampling) or syn1 (hierarchical softmax), "
                         "or both")
    tables = [("W_in", W_in)] + [(n, W) for n, W in (("syn1neg", syn1neg), ("syn1", syn1))
                                 if W is not None]
    for name, W in tables:
        inplace_array(name, W, np.float32)
        if W.ndim != 2 or W.shape[1] == 0:
            raise ValueError(f"{name} must have shape (V, d) with d >= 1, got {W.shape}")
        if W.shape != W_in.shape:
            raise ValueError(f"W_in and {name} must have the same shape, got {W_in.shape} and "
                             f"{W.shape}")
    for i, (name, W) in enumerate(tables):
        for other, U in tables[i + 1:]:
            if np.shares_memory(W, U):
                raise ValueError(f"{name} and {other} must not share memory")


def check_lockf(name, lockf, V):
    """gensim's lock factors for V input rows: a 1-D array of one finite factor (for
    every row) or of V, returned as contiguous float32 (None stays None)."""
    if lockf is None:
        return None
    lockf = float_array(name, lockf, 1)
    if lockf.shape[0] not in (1, V):
        raise ValueError(f"{name} must hold 1 factor (for every word) or {V} (one per word), "
                         f"got {lockf.shape[0]}")
    return np.ascontiguousarray(lockf, dtype=np.float32)


def checked_lockf(fname, lockf, V, field="vectors_lockf"):
    """Lock factors read from the file `fname` (its `field`) for V words, checked (None
    stays None): a ValueError naming the file and the field otherwise."""
    try:
        return check_lockf(field, lockf, V)
    except (TypeError, ValueError) as e:
        persist.inconsistent(fname, field, str(e))


def check_w2v_windows(W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes, codes,
                      node_ends, alpha, lockf=None):
    """Validate word2vec windows (see reference.word2vec_train_windows)."""
    check_w2v_tables(W_in, syn1neg, syn1)
    V = W_in.shape[0]
    inputs = index_array("inputs", inputs, 1, V)
    input_ends = ends_array("input_ends", input_ends, len(inputs), "inputs")
    n_windows = len(input_ends)
    if not n_windows and len(inputs):
        raise ValueError("inputs given without any window")
    if n_windows and np.max(np.diff(input_ends, prepend=0)) > MAX_WINDOW_ROWS:
        raise ValueError(f"a window has more than {MAX_WINDOW_ROWS} inputs")
    if syn1neg is not None:
        outputs = index_array("outputs", outputs, 2, V)
        if outputs.shape[0] != n_windows:
            raise ValueError(f"outputs must have {n_windows} rows, one per window (as "
                             f"input_ends), got {outputs.shape[0]}")
        if not 1 <= outputs.shape[1] <= MAX_WINDOW_ROWS:
            raise ValueError(f"outputs must have 1 to {MAX_WINDOW_ROWS} columns (the positive "
                             f"output, then negatives), got {outputs.shape[1]}")
    elif outputs is not None:
        raise ValueError("outputs given without syn1neg")
    if syn1 is not None:
        nodes = index_array("nodes", nodes, 1, V)
        codes = code_array("codes", codes, nodes)
        node_ends = ends_array("node_ends", node_ends, len(nodes), "nodes")
        if len(node_ends) != n_windows:
            raise ValueError(f"node_ends must have shape ({n_windows},) like input_ends, got "
                             f"({len(node_ends)},)")
        if n_windows and np.max(np.diff(node_ends, prepend=0)) > MAX_WINDOW_ROWS:
            raise ValueError(f"a path has more than {MAX_WINDOW_ROWS} nodes")
    elif nodes is not None or codes is not None or node_ends is not None:
        raise ValueError("nodes, codes and node_ends given without syn1")
    return (W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes, codes, node_ends,
            check_number("alpha", alpha, low=0), check_lockf("lockf", lockf, V))


def _check_ft_tables(W_in, syn1neg, syn1, subwords, subword_ends, path_nodes, path_codes,
                     path_ends):
    """The tables and per-word rows and paths of a FastText update."""
    if syn1neg is None and syn1 is None:
        raise ValueError("give syn1neg (negative sampling) or syn1 (hierarchical softmax), "
                         "or both")
    tables = [(n, W) for n, W in (("syn1neg", syn1neg), ("syn1", syn1)) if W is not None]
    outputs = tables[0][1]
    for name, W in tables:
        inplace_array(name, W, np.float32)
        if W.ndim != 2 or W.shape[1] == 0 or W.shape != outputs.shape:
            raise ValueError(f"{name} must have shape (V, d) with d >= 1 (syn1neg's and "
                             f"syn1's alike), got {W.shape}")
    if len(tables) == 2 and np.shares_memory(syn1neg, syn1):
        raise ValueError("syn1neg and syn1 must not share memory")
    inplace_array("W_in", W_in, np.float32)
    if W_in.ndim != 2 or W_in.shape[1] != outputs.shape[1]:
        raise ValueError(f"W_in must have shape (rows, {outputs.shape[1]}) like the output "
                         f"tables, got {W_in.shape}")
    if any(W is not None and np.shares_memory(W_in, W) for W in (syn1neg, syn1)):
        raise ValueError("W_in must not share memory with syn1neg or syn1")
    V = outputs.shape[0]
    subword_ends = ends_array("subword_ends", subword_ends, None, "subwords")
    if len(subword_ends) != V or (V and (subword_ends[0] < 1 or
                                         np.any(np.diff(subword_ends) < 1))):
        raise ValueError(f"subword_ends must have shape ({V},) (one per word of the output "
                         f"tables) and give each word at least one row")
    subwords = index_array("subwords", subwords, 1, len(W_in))
    if V and len(subwords) != subword_ends[-1]:
        raise ValueError(f"subword_ends must end at len(subwords) = {len(subwords)}")
    if syn1 is not None:
        path_nodes = index_array("path_nodes", path_nodes, 1, V)
        path_codes = code_array("path_codes", path_codes, path_nodes)
        path_ends = ends_array("path_ends", path_ends, len(path_nodes), "path_nodes")
        if len(path_ends) != V:
            raise ValueError(f"path_ends must have shape ({V},), one per word")
        if V and np.max(np.diff(path_ends, prepend=0)) > MAX_WINDOW_ROWS:
            raise ValueError(f"a path has more than {MAX_WINDOW_ROWS} nodes")
    elif path_nodes is not None or path_codes is not None or path_ends is not None:
        raise ValueError("path_nodes, path_codes and path_ends given without syn1")
    return subwords, subword_ends, path_nodes, path_codes, path_ends, V


def _check_negatives(negatives, syn1neg, rows, V):
    """(rows, K) noise words, K >= 1, with syn1neg; None without."""
    if syn1neg is None:
        if negatives is not None:
            raise ValueError("negatives given without syn1neg")
        return None
    negatives = index_array("negatives", negatives, 2, V)
    if negatives.shape[1] == 0:
        raise ValueError("negatives must have at least one column (noise word) with syn1neg")
    if negatives.shape[0] != rows:
        raise ValueError(f"negatives must have {rows} rows, one per window, got "
                         f"{negatives.shape[0]}")
    return negatives


def check_ft_windows(W_in, syn1neg, syn1, subwords, subword_ends, centers, contexts,
                     context_ends, negatives, path_nodes, path_codes, path_ends, alpha):
    """Validate FastText's skip-gram windows (see reference.fasttext_train_windows)."""
    subwords, subword_ends, path_nodes, path_codes, path_ends, V = _check_ft_tables(
        W_in, syn1neg, syn1, subwords, subword_ends, path_nodes, path_codes, path_ends)
    centers = index_array("centers", centers, 1, V)
    contexts = index_array("contexts", contexts, 1, V)
    context_ends = ends_array("context_ends", context_ends, len(contexts), "contexts")
    n_windows = len(centers)
    if len(context_ends) != n_windows:
        raise ValueError(f"context_ends must have shape ({n_windows},) like centers, got "
                         f"({len(context_ends)},)")
    negatives = _check_negatives(negatives, syn1neg, n_windows, V)
    longest = int(np.max(np.diff(context_ends, prepend=0))) if n_windows else 0
    k = 0 if negatives is None else negatives.shape[1]
    if longest + k + 1 > MAX_WINDOW_ROWS:
        raise ValueError(f"a window's context words and negatives must number below "
                         f"{MAX_WINDOW_ROWS}")
    return (W_in, syn1neg, syn1, subwords, subword_ends, centers, contexts, context_ends,
            negatives, path_nodes, path_codes, path_ends, check_number("alpha", alpha, low=0))


def check_ft_cbow_sentence(W_in, syn1neg, syn1, subwords, subword_ends, ids, reaches,
                           negatives, path_nodes, path_codes, path_ends, alpha, window):
    """Validate a FastText CBOW sentence (see reference.fasttext_cbow_sentence)."""
    subwords, subword_ends, path_nodes, path_codes, path_ends, V = _check_ft_tables(
        W_in, syn1neg, syn1, subwords, subword_ends, path_nodes, path_codes, path_ends)
    window = check_index("window", window, low=1, high=MAX_WINDOW_ROWS // 2)
    ids = index_array("ids", ids, 1, V)
    reaches = np.asarray(reaches)
    if reaches.dtype.kind not in "iu" and not (reaches.size == 0 and reaches.dtype.kind == "f"):
        raise TypeError(f"reaches must hold integers, got dtype {reaches.dtype}")
    if reaches.shape != ids.shape or (reaches.size and (reaches.min() < 1 or
                                                        reaches.max() > window)):
        raise ValueError(f"reaches must hold one reach in 1..window={window} per word "
                         f"({len(ids)}), got shape {reaches.shape}")
    reaches = np.ascontiguousarray(reaches, dtype=np.int32)
    negatives = _check_negatives(negatives, syn1neg, len(ids), V)
    if negatives is not None and negatives.shape[1] + 1 > MAX_WINDOW_ROWS:
        raise ValueError(f"negatives must number below {MAX_WINDOW_ROWS} per window")
    return (W_in, syn1neg, syn1, subwords, subword_ends, ids, reaches, negatives, path_nodes,
            path_codes, path_ends, check_number("alpha", alpha, low=0), window)


def code_array(name, codes, nodes):
    """Huffman branch codes, 0 or 1, one per node of `nodes`, as uint8."""
    codes = np.asarray(codes)
    if codes.dtype.kind not in "iub" or codes.shape != nodes.shape or \
            (codes.size and (codes.min() < 0 or codes.max() > 1)):
        raise ValueError(f"{name} must hold 0 or 1 for each of the {len(nodes)} nodes, got "
                         f"dtype {codes.dtype}, shape {codes.shape}")
    return np.ascontiguousarray(codes, dtype=np.uint8)


def ends_array(name, ends, total, of):
    """Non-decreasing int64 ends of consecutive slices of an array of `total` entries."""
    ends = np.asarray(ends)
    if ends.dtype.kind not in "iu" and not (ends.size == 0 and ends.dtype.kind == "f"):
        raise TypeError(f"{name} must hold integers, got dtype {ends.dtype}")
    if ends.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {ends.shape}")
    ends = np.ascontiguousarray(ends, dtype=np.int64)
    if total is None:   # the caller checks where they end
        total = ends[-1] if len(ends) else 0
    if len(ends) and (ends[-1] != total or np.any(np.diff(ends) < 0) or ends[0] < 0):
        raise ValueError(f"{name} must be non-decreasing and end at len({of})")
    if not len(ends) and total:
        raise ValueError(f"{of} given without any window")
    return ends


GLOVE_STATE = ("W", "W_ctx", "b", "b_ctx", "G_W", "G_ctx", "G_b", "G_bctx")


def check_glove_state(state, where="state"):
    """The GloVe training state (GLOVE_STATE: float32 W, W_ctx (V, d), b, b_ctx (V,) and
    their AdaGrad sums, positive), as a dict of arrays updated in place."""
    try:
        missing = [k for k in GLOVE_STATE if k not in state]
    except TypeError:
        raise TypeError(f"{where} must be a dict with keys {GLOVE_STATE}") from None
    if missing:
        raise ValueError(f"{where} is missing {', '.join(missing)}")
    W = inplace_array(f"{where}['W']", state["W"], np.float32)
    if W.ndim != 2 or W.shape[1] == 0:
        raise ValueError(f"{where}['W'] must be (V, d) with d >= 1, got {W.shape}")
    for k in GLOVE_STATE:
        inplace_array(f"{where}[{k!r}]", state[k], np.float32,
                      W.shape if k in ("W", "W_ctx", "G_W", "G_ctx") else W.shape[:1])
        if k.startswith("G_") and state[k].size and state[k].min() <= 0:
            raise ValueError(f"{where}[{k!r}] must be positive (AdaGrad sums start at 1)")
    return W.shape


def check_glove_epoch(state, rows, cols, counts, order, x_max, alpha, learning_rate):
    """Validate one GloVe epoch: `state` arrays are float32 and updated in place."""
    V = check_glove_state(state)[0]
    rows = index_array("rows", rows, 1, V)
    cols = index_array("cols", cols, 1, V)
    counts = np.ascontiguousarray(counts, dtype=np.float64)
    if rows.shape != cols.shape or counts.shape != rows.shape:
        raise ValueError(f"rows, cols and counts must have one shape, got {rows.shape}, "
                         f"{cols.shape} and {counts.shape}")
    if counts.size and not (np.isfinite(counts).all() and counts.min() > 0):
        raise ValueError("counts must be finite and positive")
    order = np.asarray(order)
    if order.dtype.kind not in "iu" or order.shape != rows.shape or \
            (order.size and not np.array_equal(np.sort(order), np.arange(len(order)))):
        raise ValueError("order must be a permutation of range(len(rows))")
    return (state, rows, cols, counts, np.ascontiguousarray(order, dtype=np.int64),
            check_number("x_max", x_max, above=0), check_number("alpha", alpha, above=0),
            check_number("learning_rate", learning_rate, above=0))


_WARNED = set()  # (method, argument) pairs already warned about


class class_only(classmethod):
    """A classmethod that refuses to be called on an instance (gensim's
    call_on_class_only): `model.load(path)` would return a new model and leave `model`
    as it was, which reads as if it loaded into it."""

    def __get__(self, obj, cls=None):
        if obj is not None:
            name = type(obj).__name__
            raise AttributeError(f"{name}.{self.__func__.__name__} is called on the class, "
                                 f"not on a model: model = {name}."
                                 f"{self.__func__.__name__}(...) (it returns a new one)")
        return super().__get__(obj, cls)


def no_effect(method, **given):
    """Warn once per argument that an argument accepted for gensim's signature, given
    a value other than gensim's default (name=(value, default)), does nothing here."""
    for name, (value, default) in given.items():
        if value != default and (method, name) not in _WARNED:
            _WARNED.add((method, name))
            warnings.warn(f"{method}({name}={value!r}) has no effect in rnnfast (it is "
                          f"accepted for gensim's signature)", UserWarning, stacklevel=3)


def no_effect_on_save(method, separately, sep_limit, ignore, pickle_protocol):
    """gensim's save arguments (its pickle's layout), which rnnfast's files do not need."""
    no_effect(method, separately=(separately, None), sep_limit=(sep_limit, 10 * 1024 ** 2),
              ignore=(ignore, frozenset()), pickle_protocol=(pickle_protocol, 4))
