"""A network's parameters: their names, shapes, first values and PyTorch's names."""

import numpy as np


def layer_suffix(layer, reverse):
    """The name suffix of a layer's parameters: "" for layer 0's forward direction,
    "_l{k}" above it, "_reverse" for the reverse direction (PyTorch's scheme with
    layer 0 unnamed)."""
    return ("" if layer == 0 else f"_l{layer}") + ("_reverse" if reverse else "")


# The cells and the number of H-row blocks ("gates") of their weights, in PyTorch's
# order: GRU r, z, n; LSTM i, f, g, o.
GATES = {"rnn": 1, "gru": 3, "lstm": 4}
CELLS = tuple(GATES)

_NAMES = {}  # (num_layers, bidirectional, cell) -> names: built on every kernel call otherwise


def param_names(num_layers=1, bidirectional=False, cell="rnn"):
    """Names of a network's parameters, in the order the kernel takes them: W_xh,
    W_hh, b_h (and, for the gated cells, b_hh) of each layer and direction (layer by
    layer, forward first), then the head's W_hy and b_y."""
    key = (num_layers, bidirectional, cell)
    if type(num_layers) is int and type(bidirectional) is bool and cell in GATES:
        if key not in _NAMES:
            _NAMES[key] = tuple(_build_names(num_layers, bidirectional, cell))
        return list(_NAMES[key])
    return _build_names(num_layers, bidirectional, cell)


def _build_names(num_layers, bidirectional, cell):
    names = []
    for k in range(num_layers):
        for d in range(2 if bidirectional else 1):
            s = layer_suffix(k, d)
            names += [f"W_xh{s}", f"W_hh{s}", f"b_h{s}"] + ([f"b_hh{s}"] if cell != "rnn" else [])
    return names + ["W_hy", "b_y"]


def param_shapes(num_layers, bidirectional, D, H, O, cell="rnn"):
    """{name: shape} of a network's parameters (as param_names names them) for inputs
    of D features, H hidden units and O outputs; a gated cell's W_xh, W_hh, b_h and b_hh
    stack its gates' blocks of H rows (GATES[cell] of them)."""
    nd = 2 if bidirectional else 1
    G = GATES[cell]
    shapes = {"W_hy": (O, nd * H), "b_y": (O,)}
    for k in range(num_layers):
        for d in range(nd):
            s = layer_suffix(k, d)
            shapes.update({f"W_hh{s}": (G * H, H), f"b_h{s}": (G * H,),
                           f"W_xh{s}": (G * H, D if k == 0 else nd * H)})
            if cell != "rnn":
                shapes[f"b_hh{s}"] = (G * H,)
    return shapes


def torch_names(num_layers=1, bidirectional=False, cell="rnn"):
    """{our layer parameter name: the torch.nn.RNN, GRU or LSTM attribute holding the
    same array}, for W_xh, W_hh, b_h (and b_hh) of each layer and direction. b_h is
    bias_ih there; for the Elman cell torch's second bias, bias_hh, has no counterpart:
    rnnfast's b_h is the sum of the two. The gated cells keep both, as torch does (a
    GRU's reset gate scales the hidden product with its bias)."""
    names = {}
    for k in range(num_layers):
        for d in range(2 if bidirectional else 1):
            ours, theirs = layer_suffix(k, d), f"_l{k}" + ("_reverse" if d else "")
            names.update({f"W_xh{ours}": f"weight_ih{theirs}",
                          f"W_hh{ours}": f"weight_hh{theirs}", f"b_h{ours}": f"bias_ih{theirs}"})
            if cell != "rnn":
                names[f"b_hh{ours}"] = f"bias_hh{theirs}"
    return names


def draw_dropout_masks(rng, p, num_layers, B, T, width, dtype):
    """Inverted-dropout multipliers (num_layers - 1, B, T, width): 0 with probability
    p, else 1 / (1 - p); None when p is 0 or there is one layer."""
    if not p or num_layers == 1:
        return None
    keep = rng.random((num_layers - 1, B, T, width)) >= p
    return (keep / (1 - p)).astype(dtype)


def init_params(rng, num_layers, bidirectional, D, H, O, dtype=np.float32, cell="rnn"):
    """A new network's parameters {name: array of dtype}, shaped as param_shapes says:
    PyTorch's uniform(-1/sqrt(H), 1/sqrt(H)) for the input and output weights, each
    H x H block of W_hh (one per gate) a random orthogonal matrix (spectral radius
    exactly 1), zero biases but for an LSTM's forget gate, whose b_h starts at 1 (so
    that it starts by keeping its memory: Jozefowicz et al. 2015, Keras's default).
    rng: a numpy Generator, drawn from layer by layer and direction by direction, W_hh
    first."""
    shapes = param_shapes(num_layers, bidirectional, D, H, O, cell)
    bound = 1 / np.sqrt(H)
    params = {}
    for name in param_names(num_layers, bidirectional, cell)[:-2]:
        if name.startswith("W_xh"):  # W_hh, drawn first, and W_xh of a layer and direction
            hh = "W_hh" + name[len("W_xh"):]
            blocks = []
            for _ in range(GATES[cell]):
                q, r = np.linalg.qr(rng.standard_normal((H, H)))
                blocks.append(q * np.sign(np.diag(r)))
            params[hh] = np.concatenate(blocks)
            params[name] = rng.uniform(-bound, bound, shapes[name])
        elif name.startswith("b_h"):
            params[name] = np.zeros(shapes[name])
            if cell == "lstm" and not name.startswith("b_hh"):
                params[name][H:2 * H] = 1
    params["W_hy"] = rng.uniform(-bound, bound, shapes["W_hy"])
    params["b_y"] = np.zeros(shapes["b_y"])
    return {k: params[k].astype(dtype) for k in param_names(num_layers, bidirectional, cell)}
