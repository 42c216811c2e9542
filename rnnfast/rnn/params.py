"""A network's parameters: their names, shapes, first values and PyTorch's names."""

import numpy as np


def layer_suffix(layer, reverse):
    """The name suffix of a layer's parameters: "" for layer 0's forward direction,
    "_l{k}" above it, "_reverse" for the reverse direction (PyTorch's scheme with
    layer 0 unnamed)."""
    return ("" if layer == 0 else f"_l{layer}") + ("_reverse" if reverse else "")


_NAMES = {}  # (num_layers, bidirectional) -> names: built on every kernel call otherwise


def param_names(num_layers=1, bidirectional=False):
    """Names of a network's parameters, in the order the kernel takes them: W_xh,
    W_hh, b_h of each layer and direction (layer by layer, forward first), then the
    head's W_hy and b_y."""
    key = (num_layers, bidirectional)
    if type(num_layers) is int and type(bidirectional) is bool:
        if key not in _NAMES:
            _NAMES[key] = tuple(_build_names(num_layers, bidirectional))
        return list(_NAMES[key])
    return _build_names(num_layers, bidirectional)


def _build_names(num_layers, bidirectional):
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


def draw_dropout_masks(rng, p, num_layers, B, T, width, dtype):
    """Inverted-dropout multipliers (num_layers - 1, B, T, width): 0 with probability
    p, else 1 / (1 - p); None when p is 0 or there is one layer."""
    if not p or num_layers == 1:
        return None
    keep = rng.random((num_layers - 1, B, T, width)) >= p
    return (keep / (1 - p)).astype(dtype)


def init_params(rng, num_layers, bidirectional, D, H, O, dtype=np.float32):
    """A new network's parameters {name: array of dtype}, shaped as param_shapes says:
    PyTorch's uniform(-1/sqrt(H), 1/sqrt(H)) for the input and output weights, each
    W_hh a random orthogonal matrix (spectral radius exactly 1), zero biases. rng: a
    numpy Generator, drawn from layer by layer and direction by direction, W_hh first."""
    shapes = param_shapes(num_layers, bidirectional, D, H, O)
    bound = 1 / np.sqrt(H)
    params = {}
    for name in param_names(num_layers, bidirectional)[:-2]:
        if name.startswith("W_xh"):  # W_hh, drawn first, and W_xh of a layer and direction
            hh = "W_hh" + name[len("W_xh"):]
            q, r = np.linalg.qr(rng.standard_normal(shapes[hh]))
            params[hh] = q * np.sign(np.diag(r))
            params[name] = rng.uniform(-bound, bound, shapes[name])
        elif name.startswith("b_h"):
            params[name] = np.zeros(shapes[name])
    params["W_hy"] = rng.uniform(-bound, bound, shapes["W_hy"])
    params["b_y"] = np.zeros(shapes["b_y"])
    return {k: params[k].astype(dtype) for k in param_names(num_layers, bidirectional)}
