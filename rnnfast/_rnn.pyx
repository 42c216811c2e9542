"""Fused Elman RNN kernels: forward pass, BPTT, and the whole training step.

The entry points take arrays validated by `rnnfast._checks` (finite values); each
still checks, in O(1), every layout it relies on (one float dtype, C-contiguous,
matching shapes, lengths in 1..T), so a call that bypasses the Python layer gets
an exception, never a wild read. Loops run with the GIL released.
Workspaces are allocated once per call. The input projection x W_xh^T and the
weight gradients are each one matrix product over all B*T steps; only the
recurrent product h_{t-1} W_hh^T and its transpose run step by step.
"""

cimport numpy as cnp
from libc.math cimport exp, log, log1p, fabs, sqrt
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy, memset

from rnnfast._blas cimport (floating, mm_nn_acc, mm_packed_acc, mm_tn_acc, pack, packed_len,
                            tanh_inplace)

import numpy as np

cnp.import_array()


cdef inline void _transpose(const floating *a, int rows, int cols, floating *out) noexcept nogil:
    cdef int i, j
    for i in range(rows):
        for j in range(cols):
            out[<Py_ssize_t>j * rows + i] = a[<Py_ssize_t>i * cols + j]


cdef void _forward(int B, int T, int D, int H, const floating *x,
                   const floating *W_xhT, const floating *W_hhT_packed, const floating *b_h,
                   const floating *h0, const Py_ssize_t *lengths, int min_len,
                   floating *hs) noexcept nogil:
    """hs (B, T, H) from x (B, T, D); W_xhT (D, H) is W_xh transposed, W_hhT_packed is
    W_hh transposed and packed by `pack`."""
    cdef Py_ssize_t row_stride = <Py_ssize_t>T * H
    cdef Py_ssize_t r, b, t
    cdef floating *h_t
    cdef const floating *h_prev
    # every row of hs starts as b_h + x W_xh^T
    for r in range(<Py_ssize_t>B * T):
        memcpy(hs + r * H, b_h, H * sizeof(floating))
    mm_nn_acc(B * T, H, D, x, D, W_xhT, H, hs, H)
    for t in range(T):
        if t == 0:
            if h0 != NULL:
                mm_packed_acc(B, H, H, h0, H, W_hhT_packed, hs, <int>row_stride)
        else:
            mm_packed_acc(B, H, H, hs + (t - 1) * H, <int>row_stride, W_hhT_packed,
                          hs + t * H, <int>row_stride)
        for b in range(B):
            h_t = hs + b * row_stride + t * H
            if t < min_len or t < lengths[b]:
                tanh_inplace(h_t, H)
            else:  # past the end: carry the state (t >= 1 here, lengths >= 1)
                memcpy(h_t, h_t - H, H * sizeof(floating))


cdef void _backward(int B, int T, int D, int H, const floating *x, const floating *hs,
                    const floating *W_xh, const floating *W_hh_packed, const floating *dhs,
                    const floating *h0, const Py_ssize_t *lengths, int min_len,
                    const unsigned char *dx_mask, floating *dh, floating *da,
                    floating *xh, floating *dW, floating *dx,
                    floating *dW_xh, floating *dW_hh, floating *db_h,
                    double *dh_norms) noexcept nogil:
    """BPTT. dh (B, H) holds the gradient arriving at step T-1 on entry and dh0 on exit.
    W_hh_packed is W_hh packed by `pack`.

    dhs may be NULL (no gradient from outside but dh); dx may be NULL (not wanted).
    dx_mask (B, T) may be NULL (all steps); otherwise dx must start zeroed, and it
    gets dLoss/dx at the mask's non-zero steps only (zeros elsewhere). Workspaces: da (B, T, H), xh
    (B, T, D + H), dW (H, D + H). dW_xh, dW_hh, db_h and dx are accumulated into.
    dh_norms (T,) may be NULL; otherwise it gets the batch mean of ||dLoss/dh_t||.
    With dW_xh NULL only dh and dh_norms are computed (no weight gradients, no dx).
    """
    cdef Py_ssize_t row_stride = <Py_ssize_t>T * H
    cdef Py_ssize_t b, t, j, r, off
    cdef bint active
    cdef floating h
    cdef double norm_sum, sq
    if min_len < T:
        memset(da, 0, <size_t>B * row_stride * sizeof(floating))
    for t in range(T - 1, -1, -1):
        norm_sum = 0
        for b in range(B):
            off = b * row_stride + t * H
            if dhs != NULL:
                for j in range(H):
                    dh[b * H + j] += dhs[off + j]
            if dh_norms != NULL:  # dh[b] is dLoss/dh_t now (carried past the end)
                sq = 0
                for j in range(H):
                    sq += <double>dh[b * H + j] * dh[b * H + j]
                norm_sum += sqrt(sq)
            if t < min_len or t < lengths[b]:
                for j in range(H):
                    h = hs[off + j]
                    da[off + j] = dh[b * H + j] * (1 - h * h)
                memset(dh + b * H, 0, H * sizeof(floating))
        if dh_norms != NULL:
            dh_norms[t] = norm_sum / B if B > 0 else 0
        # rows of da past their sequence's end are zero and leave dh as it was
        mm_packed_acc(B, H, H, da + t * H, <int>row_stride, W_hh_packed, dh, H)
    if dW_xh == NULL:  # only dh (and dh_norms) wanted
        return
    for r in range(<Py_ssize_t>B * T):
        for j in range(H):
            db_h[j] += da[r * H + j]
    # [dW_xh | dW_hh] = da^T [x_t | h_{t-1}] summed over all B*T rows: one product,
    # with each row's input next to the state before it (h0, or zeros, at t = 0)
    cdef Py_ssize_t K = D + H
    for b in range(B):
        for t in range(T):
            r = <Py_ssize_t>b * T + t
            memcpy(xh + r * K, x + r * D, D * sizeof(floating))
            if t > 0:
                memcpy(xh + r * K + D, hs + (r - 1) * H, H * sizeof(floating))
            elif h0 != NULL:
                memcpy(xh + r * K + D, h0 + b * H, H * sizeof(floating))
            else:
                memset(xh + r * K + D, 0, H * sizeof(floating))
    memset(dW, 0, <size_t>H * K * sizeof(floating))
    mm_tn_acc(H, <int>K, B * T, da, H, xh, <int>K, dW, <int>K)
    for j in range(H):
        for r in range(D):
            dW_xh[j * D + r] += dW[j * K + r]
        for r in range(H):
            dW_hh[j * H + r] += dW[j * K + D + r]
    if dx == NULL:
        return
    if dx_mask == NULL:
        mm_nn_acc(B * T, D, H, da, H, W_xh, D, dx, D)
        return
    cdef Py_ssize_t n_sel = 0
    for r in range(<Py_ssize_t>B * T):
        n_sel += dx_mask[r] != 0
    if 2 * n_sel >= <Py_ssize_t>B * T:
        # most steps wanted: one product over all of them (dx starts zeroed when a
        # mask is given), then the unwanted rows are cleared
        mm_nn_acc(B * T, D, H, da, H, W_xh, D, dx, D)
        for r in range(<Py_ssize_t>B * T):
            if not dx_mask[r]:
                memset(dx + r * D, 0, D * sizeof(floating))
        return
    # few steps wanted: their rows of da gathered into xh (free now), one product
    # into a compact block right after them, then scattered back
    n_sel = 0
    for r in range(<Py_ssize_t>B * T):
        if dx_mask[r]:
            memcpy(xh + n_sel * H, da + r * H, H * sizeof(floating))
            n_sel += 1
    cdef floating *dx_sel = xh + n_sel * H
    memset(dx_sel, 0, <size_t>n_sel * D * sizeof(floating))
    mm_nn_acc(<int>n_sel, D, H, xh, H, W_xh, D, dx_sel, D)
    n_sel = 0
    for r in range(<Py_ssize_t>B * T):
        if dx_mask[r]:
            for j in range(D):
                dx[r * D + j] += dx_sel[n_sel * D + j]
            n_sel += 1


cdef inline void _min_length(const Py_ssize_t *lengths, int B, int T, int *out) noexcept nogil:
    cdef int m = T
    cdef Py_ssize_t b
    for b in range(B):
        if lengths[b] < m:
            m = <int>lengths[b]
    out[0] = m


cdef inline void *_data(cnp.ndarray a):
    return NULL if a is None else cnp.PyArray_DATA(a)


cdef void *_alloc(size_t nbytes) except NULL:
    cdef void *p = malloc(nbytes if nbytes > 0 else 1)
    if p == NULL:
        raise MemoryError(f"could not allocate a {nbytes}-byte workspace")
    return p


cdef void _forward_entry(floating *dummy, cnp.ndarray x, cnp.ndarray W_xh, cnp.ndarray W_hh,
                         cnp.ndarray b_h, cnp.ndarray h0, cnp.ndarray lengths, cnp.ndarray hs):
    cdef int B = x.shape[0], T = x.shape[1], D = x.shape[2], H = W_hh.shape[0]
    cdef size_t n_packed = packed_len(dummy, H, H)
    cdef floating *work = <floating *>_alloc(
        (<size_t>D * H + <size_t>H * H + n_packed) * sizeof(floating))
    cdef floating *W_xhT = work
    cdef floating *W_hhT = work + <Py_ssize_t>D * H
    cdef floating *W_hhT_packed = W_hhT + <Py_ssize_t>H * H
    cdef const Py_ssize_t *lens = <const Py_ssize_t *>_data(lengths)
    cdef const floating *xp = <const floating *>_data(x)
    cdef const floating *wxh = <const floating *>_data(W_xh)
    cdef const floating *whh = <const floating *>_data(W_hh)
    cdef const floating *bp = <const floating *>_data(b_h)
    cdef const floating *h0p = <const floating *>_data(h0)
    cdef floating *hsp = <floating *>_data(hs)
    cdef int min_len
    with nogil:
        _min_length(lens, B, T, &min_len)
        _transpose(wxh, H, D, W_xhT)
        _transpose(whh, H, H, W_hhT)
        pack(H, H, W_hhT, H, W_hhT_packed)
        _forward(B, T, D, H, xp, W_xhT, W_hhT_packed, bp, h0p, lens, min_len, hsp)
    free(work)


cdef _expect(object a, str name, object dtype, tuple shape, bint optional=False):
    if a is None and optional:
        return
    if not isinstance(a, np.ndarray) or (<cnp.ndarray>a).dtype != dtype or \
            not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>a):
        raise TypeError(f"{name} must be a C-contiguous {dtype} array (the kernels take "
                        f"what rnnfast.functional has validated)")
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")


cdef tuple _check_core(x, W_xh, W_hh, h0, lengths):
    """(B, T, D, H) after checking x, the recurrent weights, h0 and lengths."""
    if not isinstance(x, np.ndarray) or x.ndim != 3:
        raise TypeError("x must be a (B, T, D) array")
    B, T, D = x.shape
    dt = x.dtype
    if dt != np.float32 and dt != np.float64:
        raise TypeError(f"x must be float32 or float64, got {dt}")
    _expect(x, "x", dt, (B, T, D))
    if not isinstance(W_hh, np.ndarray) or W_hh.ndim != 2:
        raise TypeError("W_hh must be an (H, H) array")
    H = W_hh.shape[0]
    if H < 1 or T < 1:
        raise ValueError("the kernels need H >= 1 and T >= 1")
    _expect(W_hh, "W_hh", dt, (H, H))
    _expect(W_xh, "W_xh", dt, (H, D))
    _expect(h0, "h0", dt, (B, H), True)
    _expect(lengths, "lengths", np.dtype(np.intp), (B,))
    if B and (lengths.min() < 1 or lengths.max() > T):
        raise ValueError(f"lengths must lie in 1..{T}")
    return B, T, D, H


def forward(x, W_xh, W_hh, b_h, h0, lengths):
    """Kernel behind functional.rnn_forward; values already validated."""
    B, T, D, H = _check_core(x, W_xh, W_hh, h0, lengths)
    _expect(b_h, "b_h", x.dtype, (H,))
    hs = np.empty((x.shape[0], x.shape[1], W_hh.shape[0]), dtype=x.dtype)
    if x.dtype == np.float32:
        _forward_entry[float](NULL, x, W_xh, W_hh, b_h, h0, lengths, hs)
    else:
        _forward_entry[double](NULL, x, W_xh, W_hh, b_h, h0, lengths, hs)
    return hs


cdef void _backward_entry(floating *dummy, cnp.ndarray x, cnp.ndarray hs, cnp.ndarray W_xh,
                          cnp.ndarray W_hh, cnp.ndarray dhs, cnp.ndarray h0,
                          cnp.ndarray lengths, cnp.ndarray dx, cnp.ndarray dW_xh,
                          cnp.ndarray dW_hh, cnp.ndarray db_h, cnp.ndarray dh0,
                          cnp.ndarray dh_norms):
    # dW_xh None: only the per-step norms into dh_norms
    cdef int B = x.shape[0], T = x.shape[1], D = x.shape[2], H = W_hh.shape[0]
    cdef size_t n_state = <size_t>B * T * H
    cdef size_t n_packed = packed_len(dummy, H, H)
    cdef floating *da = <floating *>_alloc(
        (n_state + <size_t>(B * T + H) * (D + H) + n_packed) * sizeof(floating))
    cdef floating *xh = da + n_state
    cdef floating *dW = xh + <size_t>B * T * (D + H)
    cdef floating *W_hh_packed = dW + <size_t>H * (D + H)
    cdef const Py_ssize_t *lens = <const Py_ssize_t *>_data(lengths)
    cdef const floating *xp = <const floating *>_data(x)
    cdef const floating *hsp = <const floating *>_data(hs)
    cdef const floating *wxh = <const floating *>_data(W_xh)
    cdef const floating *whh = <const floating *>_data(W_hh)
    cdef const floating *dhsp = <const floating *>_data(dhs)
    cdef const floating *h0p = <const floating *>_data(h0)
    cdef floating *dxp = <floating *>_data(dx)
    cdef floating *dwxh = <floating *>_data(dW_xh)
    cdef floating *dwhh = <floating *>_data(dW_hh)
    cdef floating *dbh = <floating *>_data(db_h)
    cdef floating *dh = <floating *>_data(dh0)
    cdef double *norms = <double *>_data(dh_norms)
    cdef int min_len
    with nogil:
        _min_length(lens, B, T, &min_len)
        pack(H, H, whh, H, W_hh_packed)
        _backward(B, T, D, H, xp, hsp, wxh, W_hh_packed, dhsp, h0p, lens, min_len,
                  NULL, dh, da, xh, dW, dxp, dwxh, dwhh, dbh, norms)
    free(da)


def state_gradient_norms(x, hs, W_xh, W_hh, dhs, h0, lengths):
    """Batch mean of ||dLoss/dh_t|| for every step t (float64 (T,)), where dhs is
    dLoss/dhs from outside the recurrence; arguments validated as for rnn_backward.
    Runs only the recurrence of BPTT: no weight or input gradients."""
    B, T, D, H = _check_core(x, W_xh, W_hh, h0, lengths)
    _expect(hs, "hs", x.dtype, (B, T, H))
    _expect(dhs, "dhs", x.dtype, (B, T, H))
    norms = np.zeros(x.shape[1])
    dh0 = np.zeros((x.shape[0], W_hh.shape[0]), x.dtype)
    if x.dtype == np.float32:
        _backward_entry[float](NULL, x, hs, W_xh, W_hh, dhs, h0, lengths,
                               None, None, None, None, dh0, norms)
    else:
        _backward_entry[double](NULL, x, hs, W_xh, W_hh, dhs, h0, lengths,
                                None, None, None, None, dh0, norms)
    return norms


def backward(x, hs, W_xh, W_hh, dhs, h0, lengths):
    """Kernel behind functional.rnn_backward; values already validated."""
    B, T, D, H = _check_core(x, W_xh, W_hh, h0, lengths)
    _expect(hs, "hs", x.dtype, (B, T, H))
    _expect(dhs, "dhs", x.dtype, (B, T, H))
    dt = x.dtype
    dx = np.zeros(x.shape, dt)
    dW_xh = np.zeros(W_xh.shape, dt)
    dW_hh = np.zeros(W_hh.shape, dt)
    db_h = np.zeros(H, dt)
    dh0 = np.zeros((B, H), dt)
    if dt == np.float32:
        _backward_entry[float](NULL, x, hs, W_xh, W_hh, dhs, h0, lengths,
                               dx, dW_xh, dW_hh, db_h, dh0, None)
    else:
        _backward_entry[double](NULL, x, hs, W_xh, W_hh, dhs, h0, lengths,
                                dx, dW_xh, dW_hh, db_h, dh0, None)
    return dx, dW_xh, dW_hh, db_h, dh0


cdef enum:
    BINARY = 0
    REGRESSION = 1
    MULTICLASS = 2


cdef double _head(int B, int T, int H, int O, int kind, const floating *hs,
                  const floating *W_hy, const floating *b_y, const floating *y,
                  const Py_ssize_t *labels, const double *weights, double *z,
                  floating *dW_hy, floating *db_y, floating *dh) noexcept nogil:
    """Weighted mean loss of the head on each final state; its gradients, and
    dLoss/dh_T into dh (B, H). y: float targets (binary, regression) or labels
    (multiclass, in 0..O-1); weights (B,) or NULL (all 1); z: O doubles of workspace."""
    cdef Py_ssize_t b, o, j
    cdef const floating *h_last
    cdef floating out_acc, dout
    cdef double loss = 0, sig, w, total = 0, zmax, norm
    for b in range(B):
        total += 1 if weights == NULL else weights[b]
    if kind == REGRESSION:
        total *= O
    for b in range(B):
        w = 1 if weights == NULL else weights[b]
        h_last = hs + (<Py_ssize_t>b * T + T - 1) * H
        memset(dh + b * H, 0, H * sizeof(floating))
        for o in range(O):
            out_acc = 0
            for j in range(H):
                out_acc = out_acc + h_last[j] * W_hy[o * H + j]
            z[o] = <double>(out_acc + b_y[o])
        if kind == MULTICLASS:  # z becomes dLoss/dz: softmax minus the one-hot label
            zmax = z[0]
            for o in range(1, O):
                if z[o] > zmax:
                    zmax = z[o]
            norm = 0
            for o in range(O):
                norm += exp(z[o] - zmax)
            loss += w * (zmax + log(norm) - z[labels[b]])
            for o in range(O):
                z[o] = exp(z[o] - zmax) / norm - (o == labels[b])
        for o in range(O):
            if kind == BINARY:
                loss += w * ((z[o] if z[o] > 0 else 0) - z[o] * y[b] + log1p(exp(-fabs(z[o]))))
                if z[o] >= 0:
                    sig = 1 / (1 + exp(-z[o]))
                else:
                    sig = exp(z[o]) / (1 + exp(z[o]))
                dout = <floating>(w * (sig - y[b]) / total)
            elif kind == REGRESSION:
                z[o] = z[o] - y[b * O + o]
                loss += w * z[o] * z[o]
                dout = <floating>(w * 2 * z[o] / total)
            else:
                dout = <floating>(w * z[o] / total)
            db_y[o] += dout
            for j in range(H):
                dW_hy[o * H + j] += dout * h_last[j]
                dh[b * H + j] += dout * W_hy[o * H + j]
    return loss / total


cdef double _loss_entry(floating *dummy, int kind, cnp.ndarray x, cnp.ndarray y,
                        cnp.ndarray weights, cnp.ndarray lengths, cnp.ndarray h0,
                        cnp.ndarray dx_mask,
                        cnp.ndarray W_xh,
                        cnp.ndarray W_hh, cnp.ndarray b_h, cnp.ndarray W_hy, cnp.ndarray b_y,
                        cnp.ndarray dx, cnp.ndarray dW_xh, cnp.ndarray dW_hh,
                        cnp.ndarray db_h, cnp.ndarray dW_hy, cnp.ndarray db_y):
    cdef int B = x.shape[0], T = x.shape[1], D = x.shape[2], H = W_hh.shape[0]
    cdef int O = W_hy.shape[0]
    cdef size_t n_state = <size_t>B * T * H
    cdef size_t n_xh = <size_t>(B * T + H) * (D + H)
    cdef size_t n_packed = packed_len(dummy, H, H)
    cdef size_t n_float = 2 * n_state + n_xh + <size_t>B * H + <size_t>D * H + <size_t>H * H \
        + 2 * n_packed
    # the head's O doubles go after the floats, at the next 8-byte boundary
    cdef size_t z_at = (n_float * sizeof(floating) + 7) // 8 * 8
    cdef floating *work = <floating *>_alloc(z_at + <size_t>O * sizeof(double))
    cdef double *z = <double *>(<char *>work + z_at)
    cdef floating *hs = work
    cdef floating *da = hs + n_state
    cdef floating *dh = da + n_state
    cdef floating *W_xhT = dh + <Py_ssize_t>B * H
    cdef floating *W_hhT = W_xhT + <Py_ssize_t>D * H
    cdef floating *xh = W_hhT + <Py_ssize_t>H * H
    cdef floating *dW = xh + <size_t>B * T * (D + H)
    cdef floating *W_hhT_packed = dW + <size_t>H * (D + H)
    cdef floating *W_hh_packed = W_hhT_packed + n_packed
    cdef const double *wp = <const double *>_data(weights)
    cdef const Py_ssize_t *labels = NULL
    cdef const floating *yp = NULL
    if kind == MULTICLASS:
        labels = <const Py_ssize_t *>_data(y)
    else:
        yp = <const floating *>_data(y)
    cdef const unsigned char *mask = <const unsigned char *>_data(dx_mask)
    cdef const Py_ssize_t *lens = <const Py_ssize_t *>_data(lengths)
    cdef const floating *xp = <const floating *>_data(x)
    cdef const floating *h0p = <const floating *>_data(h0)
    cdef const floating *wxh = <const floating *>_data(W_xh)
    cdef const floating *whh = <const floating *>_data(W_hh)
    cdef const floating *bh = <const floating *>_data(b_h)
    cdef const floating *why = <const floating *>_data(W_hy)
    cdef const floating *by = <const floating *>_data(b_y)
    cdef floating *dxp = <floating *>_data(dx)
    cdef floating *dwxh = <floating *>_data(dW_xh)
    cdef floating *dwhh = <floating *>_data(dW_hh)
    cdef floating *dbh = <floating *>_data(db_h)
    cdef floating *dwhy = <floating *>_data(dW_hy)
    cdef floating *dby = <floating *>_data(db_y)
    cdef int min_len
    cdef double loss
    with nogil:
        _min_length(lens, B, T, &min_len)
        _transpose(wxh, H, D, W_xhT)
        _transpose(whh, H, H, W_hhT)
        pack(H, H, W_hhT, H, W_hhT_packed)
        pack(H, H, whh, H, W_hh_packed)
        _forward(B, T, D, H, xp, W_xhT, W_hhT_packed, bh, h0p, lens, min_len, hs)
        loss = _head(B, T, H, O, kind, hs, why, by, yp, labels, wp, z, dwhy, dby, dh)
        _backward(B, T, D, H, xp, hs, wxh, W_hh_packed, NULL, h0p, lens, min_len, mask, dh,
                  da, xh, dW, dxp, dwxh, dwhh, dbh, NULL)
    free(work)
    return loss


_KINDS = {"binary": BINARY, "regression": REGRESSION, "multiclass": MULTICLASS}


def loss_and_grads(params, x, y, lengths, task, h0, input_grad, dx_mask, sample_weight=None):
    """Kernel behind functional.rnn_loss_and_grads; values already validated
    (dx_mask: None, or a (B, T) uint8 array when input_grad is true; y: intp labels
    for task="multiclass"; sample_weight: None or float64 (B,), >= 0, positive sum)."""
    dt = x.dtype
    W_xh, W_hh, b_h = params["W_xh"], params["W_hh"], params["b_h"]
    W_hy, b_y = params["W_hy"], params["b_y"]
    B, T, D, H = _check_core(x, W_xh, W_hh, h0, lengths)
    if not isinstance(W_hy, np.ndarray) or W_hy.ndim != 2:
        raise TypeError("W_hy must be an (O, H) array")
    O = W_hy.shape[0]
    if task not in _KINDS or B < 1 or O < 1 or (task == "binary" and O != 1):
        raise ValueError("loss_and_grads: unknown task, empty batch or wrong head size")
    kind = _KINDS[task]
    _expect(b_h, "b_h", dt, (H,))
    _expect(W_hy, "W_hy", dt, (O, H))
    _expect(b_y, "b_y", dt, (O,))
    if kind == MULTICLASS:
        _expect(y, "y", np.dtype(np.intp), (B,))
        if y.min() < 0 or y.max() >= O:  # labels index the head's outputs
            raise ValueError(f"y must hold labels in 0..{O - 1}")
    else:
        _expect(y, "y", dt, (B,) if kind == BINARY else (B, O))
    _expect(sample_weight, "sample_weight", np.dtype(np.float64), (B,), True)
    if sample_weight is not None and not sample_weight.sum() > 0:
        raise ValueError("sample_weight must have a positive sum")
    if input_grad:
        _expect(dx_mask, "dx_mask", np.dtype(np.uint8), (B, T), True)
    grads = {"W_xh": np.zeros(W_xh.shape, dt), "W_hh": np.zeros(W_hh.shape, dt),
             "b_h": np.zeros(b_h.shape, dt), "W_hy": np.zeros(W_hy.shape, dt),
             "b_y": np.zeros(b_y.shape, dt)}
    dx = np.zeros(x.shape, dt) if input_grad else None
    if dt == np.float32:
        loss = _loss_entry[float](NULL, kind, x, y, sample_weight, lengths, h0, dx_mask, W_xh,
                                  W_hh, b_h, W_hy, b_y, dx, grads["W_xh"], grads["W_hh"],
                                  grads["b_h"], grads["W_hy"], grads["b_y"])
    else:
        loss = _loss_entry[double](NULL, kind, x, y, sample_weight, lengths, h0, dx_mask, W_xh,
                                   W_hh, b_h, W_hy, b_y, dx, grads["W_xh"], grads["W_hh"],
                                   grads["b_h"], grads["W_hy"], grads["b_y"])
    if input_grad:
        grads["x"] = dx
    return loss, grads
