"""A network's weights to and from PyTorch's modules, torch.nn.RNN, GRU and LSTM (torch
stays optional: it is imported when one of these is called).

rnnfast's Elman layer has one bias, b_h, where torch.nn.RNN has two added together
(bias_ih and bias_hh): importing sums them, exporting puts b_h in bias_ih and zeros in
bias_hh. The gated cells keep both biases as torch does (b_h and b_hh). Exported
modules are batch_first, as rnnfast's inputs are (B, T, D).
"""

import numpy as np

from rnnfast.rnn import checks
from rnnfast.rnn.params import GATES, torch_names

__all__ = ["from_torch", "to_torch"]


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("moving weights to or from PyTorch needs torch "
                          "(pip install torch)") from None
    return torch


def _modules(torch):
    return {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}


def from_torch(rnn, head=None, dtype=None):
    """(params, settings) of a torch.nn.RNN, GRU or LSTM `rnn` and, optionally, its
    torch.nn.Linear `head` (reading the top layer's final states, both directions' side
    by side).

    params: {name: array (dtype, by default the module's: float32 or float64)} named
    and shaped as rnnfast's kernels take them (`params.param_names`), with W_hy and b_y
    when `head` is given; settings: {"num_layers", "bidirectional", "nonlinearity",
    "cell"}, the keyword arguments `rnnfast.functional`'s network functions take with
    them."""
    torch = _torch()
    cells = {type_: name for name, type_ in _modules(torch).items()}
    if type(rnn) not in cells:
        raise TypeError(f"rnn must be a torch.nn.RNN, GRU or LSTM, got {type(rnn).__name__}")
    cell = cells[type(rnn)]
    if getattr(rnn, "proj_size", 0):
        raise ValueError(f"an LSTM with proj_size={rnn.proj_size} has no rnnfast "
                         f"counterpart (its states are projected)")
    L, bidirectional, H = rnn.num_layers, rnn.bidirectional, rnn.hidden_size
    nd = 2 if bidirectional else 1
    if head is not None:
        if not isinstance(head, torch.nn.Linear):
            raise TypeError(f"head must be a torch.nn.Linear, got {type(head).__name__}")
        if head.in_features != nd * H:
            raise ValueError(f"head reads {head.in_features} features, but the network's "
                             f"top layer gives {nd * H} (hidden_size {H} x {nd} directions)")
    state = {k: v.detach().cpu().numpy() for k, v in rnn.state_dict().items()}
    dtype = np.dtype(dtype or state["weight_hh_l0"].dtype)
    params = {}
    for ours, theirs in torch_names(L, bidirectional, cell).items():
        if cell == "rnn" and ours.startswith("b_h"):  # torch's two biases, summed
            bias = np.zeros(H)
            for b in (state.get(theirs), state.get(theirs.replace("bias_ih", "bias_hh"))):
                if b is not None:
                    bias = bias + b.astype(np.float64)
            params[ours] = bias
        else:  # absent without biases (bias=False)
            params[ours] = state[theirs] if theirs in state else \
                np.zeros(GATES[cell] * H)
    if head is not None:
        params["W_hy"] = head.weight.detach().cpu().numpy()
        params["b_y"] = np.zeros(head.out_features) if head.bias is None else \
            head.bias.detach().cpu().numpy()
    params = {k: np.ascontiguousarray(v, dtype=dtype) for k, v in params.items()}
    checks.check_network_params(params, L, bidirectional, head=head is not None, cell=cell)
    return params, {"num_layers": L, "bidirectional": bidirectional,
                    "nonlinearity": getattr(rnn, "nonlinearity", "tanh"), "cell": cell}


def to_torch(params, *, num_layers=1, bidirectional=False, nonlinearity="tanh", cell="rnn"):
    """(torch.nn.RNN, GRU or LSTM as `cell` says, torch.nn.Linear or None) holding
    `params` (as rnnfast's network functions take them; the head when params has W_hy
    and b_y), batch_first, in the params' dtype. The head reads the top layer's final
    states: for a bidirectional network torch.cat(list(h_n[-2:]), dim=1), the forward
    state first (h_n: for an LSTM the first of the (h_n, c_n) it returns)."""
    torch = _torch()
    head = "W_hy" in params
    num_layers, bidirectional, _, _ = checks.check_architecture(num_layers, bidirectional,
                                                                nonlinearity, cell=cell)
    params, dtype, H, D = checks.check_network_params(params, num_layers, bidirectional,
                                                      head=head, cell=cell)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    extra = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    rnn = _modules(torch)[cell](D, H, num_layers=num_layers, bidirectional=bidirectional,
                                batch_first=True, dtype=tdtype, **extra)
    state = {}
    for ours, theirs in torch_names(num_layers, bidirectional, cell).items():
        state[theirs] = torch.from_numpy(params[ours].copy())
        if cell == "rnn" and ours.startswith("b_h"):
            state[theirs.replace("bias_ih", "bias_hh")] = torch.zeros(H, dtype=tdtype)
    rnn.load_state_dict(state)
    if not head:
        return rnn, None
    O = params["W_hy"].shape[0]
    linear = torch.nn.Linear(params["W_hy"].shape[1], O, dtype=tdtype)
    linear.load_state_dict({"weight": torch.from_numpy(params["W_hy"].copy()),
                            "bias": torch.from_numpy(params["b_y"].copy())})
    return rnn, linear
