"""Inputs of the RNN estimators: sequences of vectors or of tokens, batched for the kernel.

X is a 2-D array (n, T) of n univariate sequences, a 3-D array (n, T, D), a list
of (T_i, D) or (T_i,) float arrays, or a list of token sequences (str tokens, or
int ids into an embedding table). `read` tells which;
`vector_data` and `token_data` validate them once into a `SequenceData`, from
which `SequenceData.batch` pads batches for the kernel.
"""

import numpy as np

from rnnfast._core.checks import all_finite
from rnnfast.rnn._arrays import gather_scaled

__all__ = ["SequenceData", "read", "vector_data", "token_data", "embedding_table",
           "feature_scaling"]


class SequenceData:
    """Sequences held as a list of arrays: float (T_i, D) steps, or int (T_i,) token ids;
    float sequences of one length given as one array stay one (n, T, D) array (`dense`),
    so that scaling and batching are single array operations, not a loop per sequence.

    Token sequences are also kept end to end in one id array, so that a batch's padded
    id matrix is a single gather."""

    def __init__(self, seqs, tokens, scaling=None):
        self.seqs = seqs
        self.tokens = tokens
        self.dense = isinstance(seqs, np.ndarray) and seqs.ndim == 3 and not tokens
        # dense: the numbers as given (finite), converted and scaled a batch at a time
        # (in the threads that predict, and in cache); scaling: None or (mean, scale)
        self.scaling = scaling
        if self.dense:
            self.lengths = np.empty(len(seqs), dtype=np.intp)
            self.lengths.fill(seqs.shape[1])
            return
        self.lengths = np.array([len(s) for s in seqs], dtype=np.intp)
        if tokens:
            self.flat = np.concatenate(seqs) if seqs else np.zeros(0, np.intp)
            self.starts = np.cumsum(self.lengths) - self.lengths

    def __len__(self):
        return len(self.seqs)

    def subset(self, index):
        """The sequences at `index` (ints) as SequenceData of the same kind."""
        if self.dense:
            return SequenceData(self.seqs[np.asarray(index, dtype=np.intp)], False, self.scaling)
        return SequenceData([self.seqs[i] for i in index], self.tokens)

    def scaled(self, mean, scale):
        """Float sequences as (x - mean) / scale, per feature."""
        if self.dense:
            return SequenceData(self.seqs, False, (mean, scale))
        return SequenceData([(s - mean) / scale for s in self.seqs], self.tokens)

    def batch(self, index, embedding, dtype):
        """(x (B, T_max, D), lengths (B,), ids (B, T_max) or None) for the sequences at
        `index`, C-contiguous; padding steps (past a sequence's length) hold id 0 / zeros."""
        lengths = self.lengths[index]
        if self.dense:  # the same operations as the list path's, on the batch's rows
            index = np.asarray(index, dtype=np.intp)
            x = gather_scaled(self.seqs, index, self.scaling, dtype)  # in one pass
            if x is not None:
                return x, lengths, None
            x = self.seqs[index].astype(np.float64, copy=False)
            if self.scaling is not None:
                x = (x - self.scaling[0]) / self.scaling[1]
            return x.astype(dtype, copy=False), lengths, None
        T = int(lengths.max())
        if self.tokens:
            steps = np.arange(T)
            valid = steps < lengths[:, None]
            pos = np.where(valid, self.starts[index][:, None] + steps, 0)
            ids = np.where(valid, self.flat[pos], 0)
            return embedding.take(ids, axis=0).astype(dtype, copy=False), lengths, ids
        D = self.seqs[index[0]].shape[1]
        x = np.zeros((len(index), T, D), dtype=dtype)
        for row, i in enumerate(index):
            x[row, :lengths[row]] = self.seqs[i]
        return x, lengths, None


def read(X, token_ids=False):
    """(sequences, kind) from any accepted form of X; kind is "table" for a 2-D numeric
    array (n univariate sequences of its T columns, as (T, 1) arrays), "vectors" for
    float (T_i, D) sequences, "tokens" for token sequences. With `token_ids`, a 2-D
    integer array is n sequences of token ids instead of a table. Errors are worded as
    scikit-learn's, whose checks look for them."""
    if X is None:
        raise ValueError("X is None: give a 2-D array (n, T), a 3-D array (n, T, D) or "
                         "a list of sequences")
    if hasattr(X, "tocsr") or hasattr(X, "todense"):
        raise TypeError("X is a sparse matrix, but sparse data is not supported: give "
                        "a dense array")
    if isinstance(X, np.ndarray) or hasattr(X, "__array__"):
        arr = np.asarray(X)
        if arr.dtype == object and arr.ndim >= 2:
            arr = arr.astype(np.float64)  # numbers stored as objects; anything else raises
        if arr.dtype.kind == "c":
            raise ValueError("Complex data not supported")
        if arr.dtype.kind in "biuf":
            return _read_array(arr, token_ids)
        X = arr
    try:
        seqs = list(X)
    except TypeError:
        raise TypeError(f"X must be an array or a list of sequences, "
                        f"got {type(X).__name__}") from None
    if not seqs:
        raise ValueError("Found array with 0 sample(s) (shape=(0,)) while a minimum of 1 "
                         "is required: X holds no sequences")
    first = seqs[0]
    if isinstance(first, (list, tuple)) and first and isinstance(first[0], float):
        # rows of floats as lists: a table, like the array they make (ragged rows
        # stay univariate sequences of their own lengths)
        try:
            arr = np.asarray(seqs, dtype=np.float64)
        except ValueError:
            arr = None
        if arr is not None and arr.ndim == 2:
            return _read_array(arr, token_ids)
    tokens = (not isinstance(first, np.ndarray) or first.ndim == 1) and _looks_like_tokens(first)
    return seqs, "tokens" if tokens else "vectors"


def _read_array(arr, token_ids):
    shape = arr.shape
    if arr.ndim == 1:
        raise ValueError(f"Expected 2D array, got 1D array instead (shape {shape}): X "
                         f"must be (n, T) univariate sequences or (n, T, D). Reshape your "
                         f"data: X.reshape(1, -1) for one sequence, X.reshape(-1, 1) for "
                         f"n sequences of one step")
    if arr.ndim not in (2, 3):
        raise ValueError(f"X must be a 2-D (n, T) or 3-D (n, T, D) array, got shape {shape}")
    if shape[0] == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={shape}) while a minimum "
                         f"of 1 is required.")
    if arr.ndim == 2 and shape[1] == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={shape}) while a minimum "
                         f"of 1 is required.")
    if arr.ndim == 2 and token_ids and arr.dtype.kind in "iu":
        return list(arr), "tokens"
    # as one array: vector_data keeps sequences of one length together
    if arr.ndim == 2:
        return arr.astype(np.float64, copy=False)[:, :, None], "table"
    return arr, "vectors"


def vector_data(seqs, n_features=None):
    """SequenceData of float (T_i, D) sequences, all finite, D == n_features when given
    (seqs: a list of arrays, or one (n, T, D) array of sequences of one length)."""
    if isinstance(seqs, np.ndarray) and seqs.ndim == 3:
        return _dense_data(seqs, n_features)
    arrays = []
    D = n_features
    for i, s in enumerate(seqs):
        a = np.asarray(s)
        if a.dtype.kind not in "iufb":
            raise TypeError(f"X[{i}] must hold numbers, got dtype {a.dtype}")
        if a.ndim == 1:  # a univariate sequence
            a = a[:, None]
        if a.ndim != 2:
            raise ValueError(f"X[{i}] must be 2-D (T_i, D) or 1-D (T_i,), got shape "
                             f"{a.shape}")
        if a.shape[0] == 0:
            raise ValueError(f"X[{i}] is a zero-length sequence")
        if D is None:
            D = a.shape[1]
        elif a.shape[1] != D:
            what = "the model was fitted with" if n_features is not None else "X[0] has"
            raise ValueError(f"X[{i}] has {a.shape[1]} features per step, but {what} {D}")
        a = a.astype(np.float64, copy=False)
        if not np.isfinite(a).all():
            raise ValueError(f"X[{i}] contains NaN or infinity")
        arrays.append(a)
    if D == 0:
        raise ValueError("X has zero features per step")
    return SequenceData(arrays, tokens=False)


def _dense_data(arr, n_features):
    """vector_data of an (n, T, D) numeric array: the same checks and messages, in one
    pass over the array."""
    n, T, D = arr.shape
    if T == 0:
        raise ValueError("X[0] is a zero-length sequence")
    if n_features is not None and D != n_features:
        raise ValueError(f"X[0] has {D} features per step, but the model was fitted with "
                         f"{n_features}")
    if D == 0:
        raise ValueError("X has zero features per step")
    if arr.dtype.kind == "f" and not all_finite(arr):  # finite here, finite in float64
        i = int(np.flatnonzero(~np.isfinite(arr.reshape(n, -1)).all(axis=1))[0])
        raise ValueError(f"X[{i}] contains NaN or infinity")
    return SequenceData(arr, tokens=False)


def feature_scaling(data):
    """(mean (D,), scale (D,)) of the steps of float SequenceData: the standard deviation,
    or 1 where a feature is constant."""
    steps = data.seqs.reshape(-1, data.seqs.shape[2]).astype(np.float64, copy=False) \
        if data.dense else np.concatenate(data.seqs)
    mean, std = steps.mean(axis=0), steps.std(axis=0)
    return mean, np.where(std > 0, std, 1.0)


def token_data(seqs, key_to_index, unknown_id):
    """SequenceData of token sequences as row ids (intp) of an embedding of unknown_id rows.

    With words (`key_to_index`), str tokens outside it map to unknown_id. A sequence
    of ints is row ids 0..unknown_id - 1 (as `key_to_index` numbers the words), unless
    the words themselves include ints (a KeyedVectors with int keys): then they are
    keys, looked up like words. Without words, tokens must be row ids. A row id out
    of range is an error naming the sequence."""
    int_keys = None  # whether the words include ints: looked up once, if ids appear
    out = []
    for i, s in enumerate(seqs):
        if isinstance(s, str):
            raise TypeError(f"X[{i}] is a str; tokenize it first (rnnfast.simple_tokenize)")
        if len(s) == 0:
            raise ValueError(f"X[{i}] is a zero-length sequence")
        ids_given = _holds_ids(s)
        if ids_given and key_to_index is not None and int_keys is None:
            int_keys = any(isinstance(k, (int, np.integer)) and not isinstance(k, bool)
                           for k in key_to_index)
        if key_to_index is not None and (not ids_given or int_keys):
            ids = [key_to_index.get(t, unknown_id) for t in s]
        else:
            ids = np.asarray(s)
            if ids.dtype.kind not in "iu":
                raise TypeError(f"X[{i}] must hold int ids for an embedding without words")
            if ids.min() < 0 or ids.max() >= unknown_id:
                raise ValueError(f"X[{i}] holds ids outside 0..{unknown_id - 1} (row "
                                 f"numbers of the embedding's {unknown_id} vectors)")
        out.append(np.asarray(ids, dtype=np.intp))
    return SequenceData(out, tokens=True)


def _holds_ids(seq):
    """True for an int array, or a list or tuple of ints only (not bools)."""
    if isinstance(seq, np.ndarray):
        return seq.dtype.kind in "iu"
    return all(isinstance(t, (int, np.integer)) and not isinstance(t, (bool, np.bool_))
               for t in seq)


def embedding_table(embedding):
    """(matrix (V, d) float64, key_to_index dict or None) from an `embedding` argument:
    a KeyedVectors, an (array, words) pair, or a (V, d) array for int ids."""
    if hasattr(embedding, "vectors") and hasattr(embedding, "key_to_index"):
        matrix, keys = np.asarray(embedding.vectors, dtype=np.float64), \
            dict(embedding.key_to_index)
    elif isinstance(embedding, tuple) and len(embedding) == 2:
        matrix, words = embedding
        matrix = np.asarray(matrix, dtype=np.float64)
        words = list(words)
        if len(words) != len(matrix):
            raise ValueError(f"embedding: {len(words)} words for {len(matrix)} vectors")
        keys = {k: i for i, k in enumerate(words)}
    else:
        matrix, keys = np.asarray(embedding, dtype=np.float64), None
    if matrix.ndim != 2 or matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise ValueError(f"embedding must be a non-empty (V, d) matrix, got shape "
                         f"{matrix.shape}")
    if not np.isfinite(matrix).all():
        raise ValueError("embedding contains NaN or infinity")
    return matrix, keys


def _looks_like_tokens(seq):
    """True for a sequence of str or of ints (token ids), False for rows of floats."""
    if isinstance(seq, np.ndarray):
        return seq.ndim == 1 and seq.dtype.kind in "iuU"
    try:
        first = seq[0]
    except (IndexError, TypeError, KeyError):
        return False
    return isinstance(first, (str, int, np.integer))
