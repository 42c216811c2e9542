"""Argument validation: the one home of every check and of its error's wording.

Shared by `rnnfast.reference` and `rnnfast.functional` (so the NumPy reference and
the Cython kernels accept and refuse exactly the same inputs) and by the models.
Plain NumPy: it imports no compiled code. Policy:

* array arguments are numpy arrays (or anything `np.asarray` takes) of dtype
  float32 or float64; integer or other dtypes raise TypeError; all floating
  arguments of one call share one dtype (mixing raises TypeError);
* non-contiguous arrays are copied; inputs are never written to, so read-only
  arrays are fine; results are always new arrays;
* NaN or inf in any input raises ValueError naming the argument (we refuse
  rather than propagate: a NaN from the data would otherwise surface only as a
  NaN loss many steps later);
* `lengths` holds integers in 1..T; `None` means every sequence has length T.
"""

import math
import numbers
import operator

import numpy as np

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_INT_MAX = 2**31 - 1  # BLAS takes 32-bit sizes
TASKS = ("binary", "multiclass", "regression", "binary_per_step", "multiclass_per_step",
         "regression_per_step")
NONLINEARITIES = ("tanh", "relu")
POOLINGS = ("last", "mean", "max")
MAX_WINDOW_ROWS = 512  # RF_MAX_WINDOW_ROWS in csrc/rf_sgns.h
# Co-occurrence windows beyond this are refused (its counters hold window + 1 weights
# and room for 2 * window records per token; no corpus needs more).
MAX_COOC_WINDOW = 10000
FLOAT32_MAX = float(np.finfo(np.float32).max)


def all_finite(a, block=1 << 20):
    """True if the float array `a` holds no NaN or infinity (read in blocks, so a large
    table needs no full-size temporary)."""
    flat = a.reshape(-1)
    return all(np.isfinite(flat[i:i + block]).all() for i in range(0, flat.size, block))


def float_array(name, a, ndim, dtype=None):
    """`a` as a C-contiguous float32/float64 array of rank `ndim`, all finite."""
    if not isinstance(a, np.ndarray):
        if a is None:
            raise TypeError(f"{name} must be an array, got None")
        a = np.asarray(a)
    if a.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64, got {a.dtype}")
    if dtype is not None and a.dtype != dtype:
        raise TypeError(f"{name} has dtype {a.dtype} but the other arrays are {dtype}; "
                        f"convert them to one dtype first")
    if a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {a.shape}")
    if not a.flags.c_contiguous:
        a = np.ascontiguousarray(a)
    if not all_finite(a):
        raise ValueError(f"{name} contains NaN or infinity")
    return a


def _expect_shape(name, a, shape):
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")


def check_weights(W_xh, W_hh):
    """Validate the recurrent weights; returns (W_xh, W_hh, dtype, H, D)."""
    W_hh = float_array("W_hh", W_hh, 2)
    dtype = W_hh.dtype
    H = W_hh.shape[0]
    _expect_shape("W_hh", W_hh, (H, H))
    if H == 0:
        raise ValueError("W_hh must have a hidden size of at least 1, got shape (0, 0)")
    W_xh = float_array("W_xh", W_xh, 2, dtype)
    if W_xh.shape[0] != H:
        raise ValueError(f"W_xh must have shape (H, D) with H = {H} (from W_hh), got {W_xh.shape}")
    return W_xh, W_hh, dtype, H, W_xh.shape[1]


def check_bias(name, b, dtype, size):
    b = float_array(name, b, 1, dtype)
    _expect_shape(name, b, (size,))
    return b


def check_inputs(x, dtype, D, allow_empty_batch=True):
    """Validate x: (B, T, D); returns (x, B, T)."""
    x = float_array("x", x, 3, dtype)
    B, T, xD = x.shape
    if xD != D:
        raise ValueError(f"x must have shape (B, T, D) with D = {D} (from W_xh), got {x.shape}")
    if T == 0:
        raise ValueError(f"x must have at least one time step, got shape {x.shape}")
    if B == 0 and not allow_empty_batch:
        raise ValueError("x is an empty batch (B = 0): the mean loss over no sequences is undefined")
    if B * T > _INT_MAX or B * T * max(D, 1) > _INT_MAX:
        raise ValueError(f"x is too large for 32-bit BLAS sizes: shape {x.shape}")
    return x, B, T


def check_lengths(lengths, B, T):
    """`lengths` as a C-contiguous intp array of shape (B,) with values in 1..T."""
    if lengths is None:
        return np.full(B, T, dtype=np.intp)
    lengths = np.asarray(lengths)
    if lengths.dtype.kind not in "iu":
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    if lengths.shape != (B,):
        raise ValueError(f"lengths must have shape ({B},) to match x, got {lengths.shape}")
    if B and (lengths.min() < 1 or lengths.max() > T):
        raise ValueError(f"lengths must lie in 1..{T} (T from x), "
                         f"got values from {lengths.min()} to {lengths.max()}")
    return np.ascontiguousarray(lengths, dtype=np.intp)


def check_state(name, h, dtype, B, H):
    """Validate an initial state (B, H) or None."""
    if h is None:
        return None
    h = float_array(name, h, 2, dtype)
    _expect_shape(name, h, (B, H))
    return h


def check_forward(x, W_xh, W_hh, b_h, h0, lengths):
    W_xh, W_hh, dtype, H, D = check_weights(W_xh, W_hh)
    b_h = check_bias("b_h", b_h, dtype, H)
    x, B, T = check_inputs(x, dtype, D)
    h0 = check_state("h0", h0, dtype, B, H)
    return x, W_xh, W_hh, b_h, h0, check_lengths(lengths, B, T)


def check_backward(x, hs, W_xh, W_hh, dhs, h0, lengths):
    W_xh, W_hh, dtype, H, D = check_weights(W_xh, W_hh)
    x, B, T = check_inputs(x, dtype, D)
    hs = float_array("hs", hs, 3, dtype)
    _expect_shape("hs", hs, (B, T, H))
    dhs = float_array("dhs", dhs, 3, dtype)
    _expect_shape("dhs", dhs, (B, T, H))
    h0 = check_state("h0", h0, dtype, B, H)
    return x, hs, W_xh, W_hh, dhs, h0, check_lengths(lengths, B, T)


def layer_suffix(layer, reverse):
    """The name suffix of a layer's parameters: "" for layer 0's forward direction,
    "_l{k}" above it, "_reverse" for the reverse direction (PyTorch's scheme with
    layer 0 unnamed)."""
    return ("" if layer == 0 else f"_l{layer}") + ("_reverse" if reverse else "")


def param_names(num_layers=1, bidirectional=False):
    """Names of a network's parameters, in the order the kernel takes them: W_xh,
    W_hh, b_h of each layer and direction (layer by layer, forward first), then the
    head's W_hy and b_y."""
    names = []
    for k in range(num_layers):
        for d in range(2 if bidirectional else 1):
            s = layer_suffix(k, d)
            names += [f"W_xh{s}", f"W_hh{s}", f"b_h{s}"]
    return names + ["W_hy", "b_y"]


def param_shapes(num_layers, bidirectional, D, H, O):
    """{name: shape} of a network's parameters (as param_names names them) for inputs
    of D features, H hidden units and O outputs."""
    nd = 2 if bidirectional else 1
    shapes = {"W_hy": (O, nd * H), "b_y": (O,)}
    for k in range(num_layers):
        for d in range(nd):
            s = layer_suffix(k, d)
            shapes.update({f"W_hh{s}": (H, H), f"b_h{s}": (H,),
                           f"W_xh{s}": (H, D if k == 0 else nd * H)})
    return shapes


def torch_names(num_layers=1, bidirectional=False):
    """{our layer parameter name: torch.nn.RNN's attribute holding the same array}, for
    W_xh, W_hh and b_h of each layer and direction (b_h is bias_ih there; torch's
    second bias, bias_hh, has no counterpart: rnnfast's b_h is the sum of the two)."""
    names = {}
    for k in range(num_layers):
        for d in range(2 if bidirectional else 1):
            ours, theirs = layer_suffix(k, d), f"_l{k}" + ("_reverse" if d else "")
            names.update({f"W_xh{ours}": f"weight_ih{theirs}",
                          f"W_hh{ours}": f"weight_hh{theirs}", f"b_h{ours}": f"bias_ih{theirs}"})
    return names


def check_architecture(num_layers, bidirectional, nonlinearity, pooling="last"):
    """(num_layers, bidirectional, relu, pooling) after checking each."""
    num_layers = check_index("num_layers", num_layers, low=1)
    if not isinstance(bidirectional, (bool, np.bool_)):
        raise TypeError(f"bidirectional must be True or False, got {bidirectional!r}")
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    return num_layers, bool(bidirectional), nonlinearity == "relu", pooling


def check_network_params(params, num_layers, bidirectional, head=True, task=None):
    """The parameters of a network as a dict of validated arrays (one dtype), the
    head's size checked against `task` when given; returns (params, dtype, H, D)."""
    names = param_names(num_layers, bidirectional)
    if not head:
        names = names[:-2]
    try:
        missing = [k for k in names if k not in params]
    except TypeError:
        raise TypeError(f"params must be a dict with keys {names}, "
                        f"got {type(params).__name__}") from None
    if missing:
        raise ValueError(f"params is missing {', '.join(missing)}; for num_layers="
                         f"{num_layers}, bidirectional={bidirectional} it needs {names}")
    W_xh, W_hh, dtype, H, D = check_weights(params["W_xh"], params["W_hh"])
    out = {"W_xh": W_xh, "W_hh": W_hh, "b_h": check_bias("b_h", params["b_h"], dtype, H)}
    nd = 2 if bidirectional else 1
    for k in range(num_layers):
        for d in range(nd):
            s = layer_suffix(k, d)
            if s:
                Dk = D if k == 0 else nd * H
                out["W_xh" + s] = float_array("W_xh" + s, params["W_xh" + s], 2, dtype)
                _expect_shape("W_xh" + s, out["W_xh" + s], (H, Dk))
                out["W_hh" + s] = float_array("W_hh" + s, params["W_hh" + s], 2, dtype)
                _expect_shape("W_hh" + s, out["W_hh" + s], (H, H))
                out["b_h" + s] = check_bias("b_h" + s, params["b_h" + s], dtype, H)
    if head:
        W_hy = float_array("W_hy", params["W_hy"], 2, dtype)
        if W_hy.shape[1] != nd * H or W_hy.shape[0] == 0:
            raise ValueError(f"W_hy must have shape (O, {nd * H}) with O >= 1 (the readout "
                             f"has {nd} x {H} features), got {W_hy.shape}")
        O = W_hy.shape[0]
        if task is not None and task.startswith("binary") and O != 1:
            raise ValueError(f"task={task!r} needs W_hy of shape (1, {nd * H}), "
                             f"got {W_hy.shape}")
        if task is not None and task.startswith("multiclass") and O < 2:
            raise ValueError(f"task={task!r} needs W_hy of shape (K, {nd * H}) with K >= 2 "
                             f"classes, got {W_hy.shape}")
        out["W_hy"] = W_hy
        out["b_y"] = check_bias("b_y", params["b_y"], dtype, W_hy.shape[0])
    return out, dtype, H, D


def check_network_state(h0, dtype, n_states, B, H):
    """None, or the initial states as a C-contiguous (n_states, B, H) array; with one
    layer and direction a (B, H) array is taken too."""
    if h0 is None:
        return None
    h0 = np.asarray(h0)
    if n_states == 1 and h0.ndim == 2:
        h0 = h0[None]
    if h0.shape != (n_states, B, H):
        raise ValueError(f"h0 must have shape {(n_states, B, H)} (one (B, H) state per layer "
                         f"and direction), got {h0.shape}")
    return float_array("h0", h0, 3, dtype)


def check_layers_forward(params, x, lengths, h0, num_layers, bidirectional, nonlinearity,
                         dropout_masks):
    """Validate a stack's forward pass; returns (params, x, lengths, h0, num_layers, nd,
    relu, dropout_masks)."""
    params, dtype, H, D = check_network_params(params, num_layers, bidirectional, head=False)
    num_layers, bidirectional, relu, _ = check_architecture(num_layers, bidirectional,
                                                            nonlinearity)
    x, B, T = check_inputs(x, dtype, D)
    nd = 2 if bidirectional else 1
    h0 = check_network_state(h0, dtype, num_layers * nd, B, H)
    masks = check_dropout_masks(dropout_masks, dtype, (num_layers - 1, B, T, nd * H))
    return params, x, check_lengths(lengths, B, T), h0, num_layers, nd, relu, masks


def check_loss(params, x, y, lengths, task, h0, sample_weight=None, num_layers=1,
               bidirectional=False, nonlinearity="tanh", pooling="last", dropout_masks=None):
    """Validate a fused training step; returns (params, x, y, lengths, task, h0,
    sample_weight, dropout_masks) with h0 None or (L*nd, B, H)."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    num_layers, bidirectional, _, pooling = check_architecture(
        num_layers, bidirectional, nonlinearity, pooling)
    if task.endswith("_per_step") and pooling != "last":
        raise ValueError(f"pooling={pooling!r} reads one vector per sequence; task={task!r} "
                         f"has a loss at every step (leave pooling='last')")
    params, dtype, H, D = check_network_params(params, num_layers, bidirectional, task=task)
    nd = 2 if bidirectional else 1
    O = params["W_hy"].shape[0]
    x, B, T = check_inputs(x, dtype, D, allow_empty_batch=False)
    lengths = check_lengths(lengths, B, T)
    y = _check_targets(y, task, dtype, B, O, T, lengths)
    h0 = check_network_state(h0, dtype, num_layers * nd, B, H)
    if dropout_masks is not None or num_layers > 1:
        dropout_masks = check_dropout_masks(dropout_masks, dtype, (num_layers - 1, B, T, nd * H))
    return params, x, y, lengths, task, h0, check_sample_weight(sample_weight, B), \
        dropout_masks


def check_dropout_masks(masks, dtype, shape):
    """None (no dropout), or the multipliers applied to each layer's outputs before
    the layer above reads them: finite, >= 0, of the given shape."""
    if masks is None:
        return None
    masks = float_array("dropout_masks", masks, len(shape), dtype)
    _expect_shape("dropout_masks", masks, shape)
    if (masks < 0).any():
        raise ValueError("dropout_masks must be >= 0 (0 drops a unit, 1 / (1 - p) keeps it)")
    return masks


def dropout_masks(rng, p, num_layers, B, T, width, dtype):
    """Inverted-dropout multipliers (num_layers - 1, B, T, width): 0 with probability
    p, else 1 / (1 - p); None when p is 0 or there is one layer."""
    if not p or num_layers == 1:
        return None
    keep = rng.random((num_layers - 1, B, T, width)) >= p
    return (keep / (1 - p)).astype(dtype)


def check_sample_weight(sample_weight, n, finite_sum=True):
    """None, or float64 (n,) of finite weights >= 0 with a positive sum (and, with
    `finite_sum`, a sum float64 can hold: a batch's loss is a weighted mean)."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be numeric, got dtype {w.dtype}")
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},), got {w.shape}")
    w = np.ascontiguousarray(w, dtype=np.float64)
    if not np.isfinite(w).all():
        raise ValueError("sample_weight contains NaN or infinity")
    if (w < 0).any():
        raise ValueError("sample_weight must be >= 0")
    with np.errstate(over="ignore"):
        total = w.sum()
    if not total > 0:
        raise ValueError("sample_weight is all zero: some weight must be positive")
    if finite_sum and not np.isfinite(total):
        raise ValueError("sample_weight sums past float64's range; divide the weights by a "
                         "common factor (the weighted mean loss does not change)")
    return w


def check_input_grad(input_grad, B, T):
    """input_grad: a bool, or a (B, T) bool mask of the steps whose dLoss/dx is wanted.

    Returns (wanted: bool, mask: None or C-contiguous uint8 (B, T))."""
    if isinstance(input_grad, (bool, np.bool_)) or input_grad is None:
        return bool(input_grad), None
    mask = np.asarray(input_grad)
    if mask.dtype != np.bool_:
        raise TypeError(f"input_grad must be a bool or a bool array, got dtype {mask.dtype}")
    if mask.shape != (B, T):
        raise ValueError(f"input_grad mask must have shape ({B}, {T}) like x's first two "
                         f"axes, got {mask.shape}")
    return True, np.ascontiguousarray(mask).view(np.uint8)


def _check_targets(y, task, dtype, B, O, T=None, lengths=None):
    """Targets are data, not parameters: they are cast to the parameters' dtype. Per
    step tasks read targets at the valid steps only; the others are set to 0."""
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y must be numeric, got dtype {y.dtype}")
    per_step = task.endswith("_per_step")
    rows = (B, T) if per_step else (B,)
    shape = rows + ((O,) if task.startswith("regression") else ())
    if y.shape != shape:
        where = "one per step, T from x" if per_step else "one per sequence"
        raise ValueError(f"y must have shape {shape} for task={task!r} ({where}), "
                         f"got {y.shape}")
    if per_step:
        valid = np.arange(T)[None, :] < lengths[:, None]
        y = np.where(valid.reshape(valid.shape + (1,) * (y.ndim - 2)), y, 0)
    if task.startswith("binary"):
        if not np.all((y == 0) | (y == 1)):
            raise ValueError(f"y must hold only 0 and 1 for task={task!r}")
    elif task.startswith("multiclass"):
        if y.dtype.kind not in "biu" and not np.all(np.isfinite(y) & (y == np.round(y))):
            raise TypeError(f"y must hold integer class labels for task={task!r}")
        if y.min() < 0 or y.max() >= O:
            raise ValueError(f"y must hold class labels in 0..{O - 1} for task={task!r}")
        return np.ascontiguousarray(y, dtype=np.intp)
    y = np.ascontiguousarray(y, dtype=dtype)
    if not all_finite(y):
        raise ValueError("y contains NaN or infinity")
    return y


def check_index(name, value, low=0, high=None, optional=False):
    """`value` as an int in [low, high] (sizes, counts); numpy integers are fine; None
    stays None when `optional`."""
    if value is None and optional:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got bool")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} "
                        f"({value!r})") from None
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_number(name, value, low=None, high=None, above=None, below=None):
    """`value` as a finite float (numpy scalars are fine) with low <= value <= high,
    value > above and value < below, each bound when given."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} ({value!r})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    if above is not None and value <= above:
        raise ValueError(f"{name} must be > {above}, got {value}")
    if below is not None and value >= below:
        raise ValueError(f"{name} must be < {below}, got {value}")
    return value


def check_one_source(sentences, corpus_file, first="sentences"):
    """Exactly one corpus: an iterable (`first`, by its caller's name) or corpus_file."""
    if (sentences is None) == (corpus_file is None):
        raise ValueError(f"give exactly one of {first} (an iterable of token lists) and "
                         f"corpus_file (a path), got "
                         f"{'neither' if sentences is None else 'both'}")


def check_vocab_words(vocab):
    """The words of `vocab` (a sequence of str or a Vocabulary) as a list."""
    words = getattr(vocab, "words", vocab)
    if isinstance(words, (str, bytes)) or not hasattr(words, "__len__"):
        raise TypeError("vocab must be a sequence of words or a rnnfast.Vocabulary")
    words = list(words)
    if not words:
        raise ValueError("vocab is empty")
    for w in words:
        if not isinstance(w, str) or not w or any(ch.isspace() for ch in w):
            raise ValueError(f"vocab holds {w!r}: words must be non-empty str without spaces")
    if len(set(words)) != len(words):
        raise ValueError("vocab holds duplicate words")
    return words


def inplace_array(name, a, dtype=None, shape=None):
    """An array a kernel updates in place: a C-contiguous, writeable, finite float32 or
    float64 numpy array (of `dtype` and `shape` when given); it is never copied."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array (it is updated in place), got "
                        f"{type(a).__name__}")
    if a.dtype not in _FLOAT_DTYPES or (dtype is not None and a.dtype != dtype):
        want = "float32 or float64" if dtype is None else np.dtype(dtype).name
        raise TypeError(f"{name} must have dtype {want}, got {a.dtype}")
    if shape is not None and a.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {a.shape}")
    if not (a.flags.c_contiguous and a.flags.writeable):
        raise ValueError(f"{name} must be C-contiguous and writeable (it is updated in place)")
    if not all_finite(a):
        raise ValueError(f"{name} contains NaN or infinity")
    return a


def check_sgns_pairs(W_in, W_out, centers, contexts, negatives, alpha):
    """Validate explicit skip-gram pairs; the vector tables are updated in place."""
    check_w2v_tables(W_in, W_out, None, out_name="W_out")
    V = W_in.shape[0]
    centers = _index_array("centers", centers, 1, V)
    n = len(centers)
    contexts = _index_array("contexts", contexts, 1, V)
    if contexts.shape != (n,):
        raise ValueError(f"contexts must have shape ({n},) like centers, got {contexts.shape}")
    negatives = _index_array("negatives", negatives, 2, V)
    if negatives.shape[0] != n:
        raise ValueError(f"negatives must have shape ({n}, K) to match centers, "
                         f"got {negatives.shape}")
    return W_in, W_out, centers, contexts, negatives, check_number("alpha", alpha, low=0)


def check_sgns_windows(W_in, W_out, inputs, input_ends, outputs, alpha):
    """Validate shared-negative windows (see reference.sgns_train_windows)."""
    W_in, W_out, _, inputs, input_ends, outputs, _, _, _, alpha = check_w2v_windows(
        W_in, W_out, None, inputs, input_ends, outputs, None, None, None, alpha, "W_out")
    return W_in, W_out, inputs, input_ends, outputs, alpha


def check_w2v_tables(W_in, syn1neg, syn1, out_name="syn1neg"):
    """The float32 (V, d) tables a word2vec update writes in place (None: a part left out);
    out_name is what the caller calls syn1neg."""
    if syn1neg is None and syn1 is None:
        raise ValueError("give syn1neg (negative sampling) or syn1 (hierarchical softmax), "
                         "or both")
    tables = [("W_in", W_in)] + [(n, W) for n, W in ((out_name, syn1neg), ("syn1", syn1))
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


def check_w2v_windows(W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes, codes,
                      node_ends, alpha, out_name="syn1neg"):
    """Validate word2vec windows (see reference.word2vec_train_windows)."""
    check_w2v_tables(W_in, syn1neg, syn1, out_name)
    V = W_in.shape[0]
    inputs = _index_array("inputs", inputs, 1, V)
    input_ends = _ends_array("input_ends", input_ends, len(inputs), "inputs")
    n_windows = len(input_ends)
    if not n_windows and len(inputs):
        raise ValueError("inputs given without any window")
    if n_windows and np.max(np.diff(input_ends, prepend=0)) > MAX_WINDOW_ROWS:
        raise ValueError(f"a window has more than {MAX_WINDOW_ROWS} inputs")
    if syn1neg is not None:
        outputs = _index_array("outputs", outputs, 2, V)
        if outputs.shape[0] != n_windows:
            raise ValueError(f"outputs must have {n_windows} rows, one per window (as "
                             f"input_ends), got {outputs.shape[0]}")
        if not 1 <= outputs.shape[1] <= MAX_WINDOW_ROWS:
            raise ValueError(f"outputs must have 1 to {MAX_WINDOW_ROWS} columns (the positive "
                             f"output, then negatives), got {outputs.shape[1]}")
    elif outputs is not None:
        raise ValueError(f"outputs given without {out_name}")
    if syn1 is not None:
        nodes = _index_array("nodes", nodes, 1, V)
        codes = np.asarray(codes)
        if codes.dtype.kind not in "iub" or codes.shape != nodes.shape or \
                (codes.size and (codes.min() < 0 or codes.max() > 1)):
            raise ValueError(f"codes must hold 0 or 1 for each of the {len(nodes)} nodes, got "
                             f"dtype {codes.dtype}, shape {codes.shape}")
        codes = np.ascontiguousarray(codes, dtype=np.uint8)
        node_ends = _ends_array("node_ends", node_ends, len(nodes), "nodes")
        if len(node_ends) != n_windows:
            raise ValueError(f"node_ends must have shape ({n_windows},) like input_ends, got "
                             f"({len(node_ends)},)")
        if n_windows and np.max(np.diff(node_ends, prepend=0)) > MAX_WINDOW_ROWS:
            raise ValueError(f"a path has more than {MAX_WINDOW_ROWS} nodes")
    elif nodes is not None or codes is not None or node_ends is not None:
        raise ValueError("nodes, codes and node_ends given without syn1")
    return (W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes, codes, node_ends,
            check_number("alpha", alpha, low=0))


def _ends_array(name, ends, total, of):
    """Non-decreasing int64 ends of consecutive slices of an array of `total` entries."""
    ends = np.asarray(ends)
    if ends.dtype.kind not in "iu" and not (ends.size == 0 and ends.dtype.kind == "f"):
        raise TypeError(f"{name} must hold integers, got dtype {ends.dtype}")
    if ends.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {ends.shape}")
    ends = np.ascontiguousarray(ends, dtype=np.int64)
    if len(ends) and (ends[-1] != total or np.any(np.diff(ends) < 0) or ends[0] < 0):
        raise ValueError(f"{name} must be non-decreasing and end at len({of})")
    if not len(ends) and total:
        raise ValueError(f"{of} given without any window")
    return ends


def _index_array(name, a, ndim, size):
    """Integer indices into a table of `size` rows, as a C-contiguous int32 array."""
    a = np.asarray(a)
    if a.dtype.kind not in "iu":
        if a.size == 0 and a.dtype.kind == "f":  # np.asarray([]) is float64
            a = a.astype(np.int32)
        else:
            raise TypeError(f"{name} must hold integers, got dtype {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {a.shape}")
    if a.size and (a.min() < 0 or a.max() >= size):
        raise ValueError(f"{name} must lie in 0..{size - 1}, got values from {a.min()} to "
                         f"{a.max()}")
    return np.ascontiguousarray(a, dtype=np.int32)


def check_adam(param, grad, m, v, rows, learning_rate, beta1, beta2, eps, step, grad_scale):
    """Validate an Adam step; param, m and v are updated in place."""
    param = inplace_array("param", param)
    m = inplace_array("m", m, param.dtype, param.shape)
    v = inplace_array("v", v, param.dtype, param.shape)
    if rows is None:
        grad = float_array("grad", grad, param.ndim, param.dtype)
        _expect_shape("grad", grad, param.shape)
    else:
        if param.ndim != 2:
            raise ValueError(f"with rows, param must be a 2-D table, got shape {param.shape}")
        rows = _index_array("rows", rows, 1, param.shape[0]).astype(np.int64)
        if len(np.unique(rows)) != len(rows):
            raise ValueError("rows must not repeat (sum their gradients first)")
        grad = float_array("grad", grad, 2, param.dtype)
        _expect_shape("grad", grad, (len(rows), param.shape[1]))
    return (param, grad, m, v, rows, check_number("learning_rate", learning_rate, low=0),
            check_number("beta1", beta1, low=0, below=1),
            check_number("beta2", beta2, low=0, below=1),
            check_number("eps", eps, low=0), check_index("step", step, low=1),
            check_number("grad_scale", grad_scale, low=0))


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
    rows = _index_array("rows", rows, 1, V)
    cols = _index_array("cols", cols, 1, V)
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
