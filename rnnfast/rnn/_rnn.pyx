"""Fused Elman RNN kernels: forward pass, BPTT, and the whole training step.

The entry points take arrays validated by `rnnfast.rnn.checks` (finite values); each
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

from rnnfast.rnn._blas cimport (RF_SIMD_AVX512, RF_SIMD_BASE, floating, mm_nn_acc, mm_packed_acc,
                                mm_tn_acc, pack, pack_t, packed_len, rf_built_with_clones,
                                rf_cpu_has_avx2,
                                rf_simd_use, sigmoid_inplace, tanh_inplace, lstm_cell,
                                gru_cell, lstm_grads, gru_grads, elman_grads,
                                add_column_sums, affine_rows, NARROW_INPUT)

import os
import threading
import warnings

import numpy as np

cnp.import_array()

# The recurrent product's vector paths (csrc/rf_loops.h), by the names users give.
SIMD_PATHS = ("avx512", "avx2")
cdef int _level = RF_SIMD_BASE


def simd_path():
    """The path the float32 recurrent products and tanh take: "avx512" (16-wide, x86-64-v4),
    "avx2" (the 8-wide x86-64-v3 clone), "sse2" (the baseline clone) or "portable"
    (a build without the clones: another compiler or platform, or RNNFAST_PORTABLE)."""
    return "avx512" if _level == RF_SIMD_AVX512 else clone_path()


def clone_path():
    """The path of the kernels compiled as clones (the loader picks one by the CPU):
    "avx2" (x86-64-v3), "sse2" (the baseline), or "portable" (no clones built)."""
    if not rf_built_with_clones():
        return "portable"
    return "avx2" if rf_cpu_has_avx2() else "sse2"


def use_simd(str name):
    """Take path `name` ("avx512" or "avx2") for the recurrent products and tanh, or the widest
    this CPU and build run below it; returns simd_path(). Every path adds each sum's
    terms in the same order, one FMA a term where the CPU has FMA."""
    global _level
    if name not in SIMD_PATHS:
        raise ValueError(f"the SIMD path must be one of {SIMD_PATHS}, got {name!r}")
    _level = rf_simd_use(RF_SIMD_AVX512 if name == "avx512" else RF_SIMD_BASE)
    return simd_path()


def tanh_values(cnp.ndarray a):
    """Apply the kernels' tanh, on the path use_simd chose, to a C-contiguous
    float32/float64 array in place (for tests)."""
    _elementwise(a, False)


def sigmoid_values(cnp.ndarray a):
    """Apply the kernels' logistic function (the gated cells'), as tanh_values does."""
    _elementwise(a, True)


cdef _elementwise(cnp.ndarray a, bint sigmoid):
    cdef Py_ssize_t n = cnp.PyArray_SIZE(a)
    cdef void *data = cnp.PyArray_DATA(a)
    if not cnp.PyArray_IS_C_CONTIGUOUS(a):
        raise ValueError("the array must be C-contiguous")
    if cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT32:
        with nogil:
            if sigmoid:
                sigmoid_inplace(<float *>data, n)
            else:
                tanh_inplace(<float *>data, n)
    elif cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT64:
        with nogil:
            if sigmoid:
                sigmoid_inplace(<double *>data, n)
            else:
                tanh_inplace(<double *>data, n)
    else:
        raise TypeError("the array must be float32 or float64")


def recurrent_products(cnp.ndarray a, cnp.ndarray W_hh, int repeats):
    """For benchmarks: `repeats` recurrent products a @ W_hh^T (a: float32 (B, H), W_hh:
    float32 (G H, H), both C-contiguous) on the path use_simd chose, W_hh packed once as
    the kernels pack it, without the GIL; returns the last product, float32 (B, G H)."""
    if cnp.PyArray_TYPE(a) != cnp.NPY_FLOAT32 or cnp.PyArray_TYPE(W_hh) != cnp.NPY_FLOAT32 \
            or not cnp.PyArray_IS_C_CONTIGUOUS(a) or not cnp.PyArray_IS_C_CONTIGUOUS(W_hh) \
            or a.ndim != 2 or W_hh.ndim != 2 or W_hh.shape[0] < 1 \
            or a.shape[1] != W_hh.shape[1] or repeats < 1:
        raise ValueError("recurrent_products takes C-contiguous float32 a (B, H) and "
                         "W_hh (G H, H), and repeats >= 1")
    cdef int B = a.shape[0], H = W_hh.shape[1], N = W_hh.shape[0], r
    cdef float *packed = <float *>_alloc(packed_len(<float *>NULL, H, N) * sizeof(float))
    out = np.zeros((B, N), np.float32)
    cdef float *c = <float *>cnp.PyArray_DATA(out)
    cdef const float *ap = <const float *>cnp.PyArray_DATA(a)
    with nogil:
        pack_t(H, N, <const float *>cnp.PyArray_DATA(W_hh), H, packed)
        for r in range(repeats):
            memset(c, 0, <size_t>B * N * sizeof(float))
            mm_packed_acc(B, N, H, ap, H, packed, c, N)
    free(packed)
    return out


# RNNFAST_SIMD=avx2 keeps a CPU with AVX-512 on the 8-wide path (to compare or test it)
_wanted = os.environ.get("RNNFAST_SIMD", "auto")
if _wanted not in ("auto",) + SIMD_PATHS:
    warnings.warn(f"RNNFAST_SIMD={_wanted!r} is not one of auto, avx512, avx2; using auto",
                  RuntimeWarning)
    _wanted = "auto"
use_simd("avx512" if _wanted == "auto" else _wanted)


cdef inline void _transpose(const floating *a, int rows, int cols, floating *out) noexcept nogil:
    cdef int i, j
    for i in range(rows):
        for j in range(cols):
            out[<Py_ssize_t>j * rows + i] = a[<Py_ssize_t>i * cols + j]


cdef void _forward(int B, int T, int D, int H, const floating *x,
                   const floating *W_xhT, const floating *W_hhT_packed, const floating *b_h,
                   const floating *h0, const Py_ssize_t *lengths, int min_len, bint relu,
                   floating *hs) noexcept nogil:
    """hs (B, T, H) from x (B, T, D); W_xhT (D, H) is W_xh transposed, W_hhT_packed is
    W_hh transposed and packed by `pack`; tanh, or max(0, a) when relu."""
    cdef Py_ssize_t row_stride = <Py_ssize_t>T * H
    cdef Py_ssize_t b, t
    cdef floating *h_t
    cdef const floating *h_prev
    # every row of hs starts as b_h + x W_xh^T
    affine_rows(<Py_ssize_t>B * T, H, D, x, W_xhT, b_h, hs)
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
                if relu:
                    _relu_inplace(h_t, H)
                else:
                    tanh_inplace(h_t, H)
            else:  # past the end: carry the state (t >= 1 here, lengths >= 1)
                memcpy(h_t, h_t - H, H * sizeof(floating))


cdef void _backward(int B, int T, int D, int H, const floating *x, const floating *hs,
                    const floating *W_xh, const floating *W_hh_packed, const floating *dhs,
                    const floating *h0, const Py_ssize_t *lengths, int min_len, bint relu,
                    const unsigned char *dx_mask, floating *dh, floating *da,
                    floating *work, floating *dx,
                    floating *dW_xh, floating *dW_hh, floating *db_h,
                    double *dh_norms) noexcept nogil:
    """BPTT. dh (B, H) holds the gradient arriving at step T-1 on entry and dh0 on exit.
    W_hh_packed is W_hh packed by `pack`.

    dhs may be NULL (no gradient from outside but dh); dx may be NULL (not wanted).
    dx_mask (B, T) may be NULL (all steps); otherwise dx must start zeroed, and it
    gets dLoss/dx at the mask's non-zero steps only (zeros elsewhere). Workspaces: da (B, T, H),
    work (B T + NARROW_INPUT + 1, D + H). dW_xh, dW_hh, db_h and dx are accumulated into.
    dh_norms (T,) may be NULL; otherwise it gets the batch mean of ||dLoss/dh_t||.
    With dW_xh NULL only dh and dh_norms are computed (no weight gradients, no dx).
    """
    cdef Py_ssize_t row_stride = <Py_ssize_t>T * H
    cdef Py_ssize_t b, t, j, r, off
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
                elman_grads(H, hs + off, relu, dh + b * H, da + off)
        if dh_norms != NULL:
            dh_norms[t] = norm_sum / B if B > 0 else 0
        # rows of da past their sequence's end are zero and leave dh as it was
        mm_packed_acc(B, H, H, da + t * H, <int>row_stride, W_hh_packed, dh, H)
    if dW_xh == NULL:  # only dh (and dh_norms) wanted
        return
    _weight_grads(B, T, D, H, x, hs, h0, da, H, da, H, dx_mask, work, W_xh, dx, dW_xh, dW_hh,
                  db_h, NULL)


cdef void _weight_grads(int B, int T, int D, int H, const floating *x, const floating *hs,
                        const floating *h0, floating *dgx, int GX, floating *dgh, int GH,
                        const unsigned char *dx_mask, floating *work, const floating *W_xh,
                        floating *dx, floating *dW_xh, floating *dW_hh, floating *db_x,
                        floating *db_h) noexcept nogil:
    """The end of BPTT over all B T rows, from dgx (B, T, GX), the gradients of the
    input projections, and dgh (B, T, GH), those of the hidden products (dgh may be
    dgx): the biases' db_x (GX,) += dgx's column sums and (db_h not NULL) db_h (GH,)
    += dgh's; dW_xh (GX, D) += dgx^T x; dW_hh (GH, H) += dgh^T h_prev, h_prev each
    step's state before (h0 or zeros at t = 0); and dx (see `_input_grad`).
    work: (B T + NARROW_INPUT + 1) (D + GX) values.

    dgh is spent: its rows at t = 0 are zeroed after their last use, so that the state
    before every later step is the row above it in hs and one product over rows 1..
    pairs them (no shifted copy of the states)."""
    cdef Py_ssize_t BT = <Py_ssize_t>B * T, b, j, p
    cdef floating *sums = work
    cdef floating *xa = work + GX
    memset(sums, 0, <size_t>GX * sizeof(floating))
    if D <= NARROW_INPUT:  # a narrow input's weight gradient in the bias's pass
        memset(xa, 0, <size_t>D * GX * sizeof(floating))
        add_column_sums(BT, GX, dgx, sums, D, x, xa)
        for j in range(GX):
            for p in range(D):
                dW_xh[j * D + p] += xa[p * GX + j]
    else:
        add_column_sums(BT, GX, dgx, sums)
        mm_tn_acc(GX, D, <int>BT, dgx, GX, x, D, dW_xh, D)
    for j in range(GX):
        db_x[j] += sums[j]
    if db_h != NULL:
        if dgh == dgx:  # an LSTM's: the same sums
            for j in range(GH):
                db_h[j] += sums[j]
        else:
            add_column_sums(BT, GH, dgh, db_h)
    if h0 != NULL:  # the first steps' states before
        mm_tn_acc(GH, H, B, dgh, T * GH, h0, H, dW_hh, H)
    if dx != NULL:
        _input_grad(BT, D, GX, dgx, W_xh, dx_mask, work, dx)
    for b in range(1, B):  # a first step is not paired with the row above it
        memset(dgh + b * T * GH, 0, GH * sizeof(floating))
    if BT > 1:
        mm_tn_acc(GH, H, <int>BT - 1, dgh + GH, GH, hs, H, dW_hh, H)


cdef void _input_grad(Py_ssize_t N, int D, int K, const floating *da, const floating *W_xh,
                      const unsigned char *dx_mask, floating *work,
                      floating *dx) noexcept nogil:
    """dx (N, D) += da (N, K) @ W_xh (K, D) at the rows dx_mask (N,) marks (all when
    NULL; dx must then start zeroed when a mask is given). work: N * (K + D) values."""
    cdef Py_ssize_t r, j, n_sel = 0
    if dx_mask == NULL:
        mm_nn_acc(<int>N, D, K, da, K, W_xh, D, dx, D)
        return
    for r in range(N):
        n_sel += dx_mask[r] != 0
    if 2 * n_sel >= N:
        # most steps wanted: one product over all of them, then the unwanted rows are
        # cleared
        mm_nn_acc(<int>N, D, K, da, K, W_xh, D, dx, D)
        for r in range(N):
            if not dx_mask[r]:
                memset(dx + r * D, 0, D * sizeof(floating))
        return
    # few steps wanted: their rows of da gathered into work, one product into a
    # compact block right after them, then scattered back
    n_sel = 0
    for r in range(N):
        if dx_mask[r]:
            memcpy(work + n_sel * K, da + r * K, K * sizeof(floating))
            n_sel += 1
    cdef floating *dx_sel = work + n_sel * K
    memset(dx_sel, 0, <size_t>n_sel * D * sizeof(floating))
    mm_nn_acc(<int>n_sel, D, K, work, K, W_xh, D, dx_sel, D)
    n_sel = 0
    for r in range(N):
        if dx_mask[r]:
            for j in range(D):
                dx[r * D + j] += dx_sel[n_sel * D + j]
            n_sel += 1


# --- the gated cells: PyTorch's GRU (gates r, z, n) and LSTM (i, f, g, o) ------------
#
# A layer's G gates (3 or 4) stack their weights in blocks of H rows: W_xh (G H, D),
# W_hh (G H, H), biases b_ih and b_hh (G H,). `gates` (B, T, G H) first holds every
# step's input projection b_ih + x_t W_xh^T (one product over all steps), which each
# step then turns into its gates' values, what BPTT reads.

cdef enum:
    ELMAN = 0
    GRU = 1
    LSTM = 2


cdef void _gated_forward(int cell, int B, int T, int D, int H, const floating *x,
                         const floating *W_xhT, const floating *W_hhT_packed,
                         const floating *b_ih, const floating *b_hh, const floating *h0,
                         const floating *c0, const Py_ssize_t *lengths, int min_len,
                         floating *hs, floating *cs, floating *gates, floating *aux,
                         floating *hw) noexcept nogil:
    """hs (B, T, H) (and an LSTM's cell states cs (B, T, H)) from x (B, T, D), states
    carried past each end. W_xhT (D, G H) is W_xh transposed, W_hhT_packed W_hh
    transposed and packed by `pack_t`. Leaves each step's gate values in gates and in
    aux (B, T, H) what the backward reads besides: a GRU's n-gate hidden products
    (h W_hn^T + b_hn), an LSTM's tanh(c). hw: a (B, G H) workspace."""
    cdef int G = 3 if cell == GRU else 4
    cdef int GH = G * H
    cdef Py_ssize_t b, t, j, row
    cdef floating *h_t
    cdef floating *c_t
    cdef const floating *h_prev
    cdef const floating *c_prev
    # every step's input projection; an LSTM adds its two biases here once, and then
    # each step's hidden product straight into its gates' rows
    memcpy(hw, b_ih, GH * sizeof(floating))
    if cell == LSTM:
        for j in range(GH):
            hw[j] += b_hh[j]
    affine_rows(<Py_ssize_t>B * T, GH, D, x, W_xhT, hw, gates)
    for t in range(T):
        if cell == LSTM:
            if t > 0:
                mm_packed_acc(B, GH, H, hs + (t - 1) * H, T * H, W_hhT_packed, gates + t * GH,
                              T * GH)
            elif h0 != NULL:
                mm_packed_acc(B, GH, H, h0, H, W_hhT_packed, gates, T * GH)
        else:  # a GRU's reset gate scales the n gate's hidden product: kept apart in hw
            for b in range(B):
                memcpy(hw + b * GH, b_hh, GH * sizeof(floating))
            if t > 0:
                mm_packed_acc(B, GH, H, hs + (t - 1) * H, T * H, W_hhT_packed, hw, GH)
            elif h0 != NULL:
                mm_packed_acc(B, GH, H, h0, H, W_hhT_packed, hw, GH)
        for b in range(B):
            row = <Py_ssize_t>b * T + t
            h_t = hs + row * H
            if not (t < min_len or t < lengths[b]):  # past the end: carry (t >= 1)
                memcpy(h_t, h_t - H, H * sizeof(floating))
                if cell == LSTM:
                    memcpy(cs + row * H, cs + (row - 1) * H, H * sizeof(floating))
                continue
            if cell == GRU:
                h_prev = (h_t - H) if t > 0 else (h0 + b * H if h0 != NULL else NULL)
                gru_cell(H, gates + row * GH, hw + b * GH, h_prev, h_t, aux + row * H)
            else:
                c_t = cs + row * H
                c_prev = (c_t - H) if t > 0 else (c0 + b * H if c0 != NULL else NULL)
                lstm_cell(H, gates + row * GH, c_prev, c_t, aux + row * H, h_t)


cdef void _gated_backward(int cell, int B, int T, int D, int H, const floating *x,
                          const floating *hs, const floating *cs, const floating *gates,
                          const floating *aux, const floating *W_xh,
                          const floating *W_hh_packed, const floating *dhs,
                          const floating *h0, const floating *c0,
                          const Py_ssize_t *lengths, int min_len,
                          const unsigned char *dx_mask, floating *dh, floating *dc,
                          floating *dgx, floating *dgh, floating *work, floating *dx,
                          floating *dW_xh, floating *dW_hh, floating *db_ih, floating *db_hh,
                          double *dh_norms) noexcept nogil:
    """BPTT of `_gated_forward`. dh (B, H) holds the gradient arriving at step T-1 on
    entry (an LSTM's dc (B, H) starts at zero here) and dLoss/dh0 on exit. W_hh_packed
    is W_hh (G H, H) packed by `pack`. dgx, dgh (B, T, G H): workspaces for dLoss/d(the
    input projection) and dLoss/d(the hidden product) of every step (the same array for
    an LSTM, where the two are equal). work: (B T + NARROW_INPUT + 1) (G H + D) values.
    dhs, dx, dx_mask and dh_norms as for `_backward`; weight and bias gradients are
    added to. aux: what `_gated_forward` left there."""
    cdef int G = 3 if cell == GRU else 4
    cdef int GH = G * H
    cdef Py_ssize_t b, t, j, r, row, BT = <Py_ssize_t>B * T
    cdef const floating *g
    cdef const floating *h_prev
    cdef const floating *c_prev
    cdef floating *ox
    cdef floating *oh
    cdef floating *dh_b
    cdef double norm_sum, sq
    if min_len < T:  # the rows past each end stay zero
        memset(dgx, 0, <size_t>BT * GH * sizeof(floating))
        if dgh != dgx:
            memset(dgh, 0, <size_t>BT * GH * sizeof(floating))
    if cell == LSTM:
        memset(dc, 0, <size_t>B * H * sizeof(floating))
    for t in range(T - 1, -1, -1):
        norm_sum = 0
        for b in range(B):
            row = <Py_ssize_t>b * T + t
            dh_b = dh + b * H
            if dhs != NULL:
                for j in range(H):
                    dh_b[j] += dhs[row * H + j]
            if dh_norms != NULL:
                sq = 0
                for j in range(H):
                    sq += <double>dh_b[j] * dh_b[j]
                norm_sum += sqrt(sq)
            if not (t < min_len or t < lengths[b]):
                continue  # carried: dh and dc pass to the step before unchanged
            g = gates + row * GH
            ox = dgx + row * GH
            oh = dgh + row * GH
            h_prev = (hs + (row - 1) * H) if t > 0 else (h0 + b * H if h0 != NULL else NULL)
            if cell == GRU:  # dh_b keeps the direct path; the gates' is added below
                gru_grads(H, g, aux + row * H, h_prev, dh_b, ox, oh)
            else:
                c_prev = (cs + (row - 1) * H) if t > 0 else (c0 + b * H if c0 != NULL else NULL)
                lstm_grads(H, g, c_prev, aux + row * H, dh_b, dc + b * H, ox)
        if dh_norms != NULL:
            dh_norms[t] = norm_sum / B if B > 0 else 0
        # rows past their sequence's end are zero and leave dh as it was
        mm_packed_acc(B, H, GH, dgh + t * GH, T * GH, W_hh_packed, dh, H)
    if dW_xh == NULL:
        return
    _weight_grads(B, T, D, H, x, hs, h0, dgx, GH, dgh, GH, dx_mask, work, W_xh, dx, dW_xh,
                  dW_hh, db_ih, db_hh)


cdef inline void _relu_inplace(floating *x, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        if x[i] < 0:
            x[i] = 0


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


cdef int _expect(object a, str name, int index, int typenum, bint optional, int ndim,
                 Py_ssize_t d0, Py_ssize_t d1=0, Py_ssize_t d2=0, Py_ssize_t d3=0) except -1:
    """Raise unless `a` is a C-contiguous array of numpy type `typenum` and shape
    (d0, d1, d2, d3)[:ndim] (None passes when optional); `name` is followed by [index]
    when index >= 0. Compares in C and formats a message only on failure: these run on
    every call, some on arrays of a few values."""
    cdef Py_ssize_t want[4]
    cdef cnp.npy_intp *dims
    cdef int i
    if a is None and optional:
        return 0
    if not cnp.PyArray_Check(a) or cnp.PyArray_TYPE(<cnp.ndarray>a) != typenum or \
            not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>a):
        raise TypeError(f"{_label(name, index)} must be a C-contiguous "
                        f"{cnp.PyArray_DescrFromType(typenum)} array (the kernels take what "
                        f"rnnfast.functional has validated)")
    want[0], want[1], want[2], want[3] = d0, d1, d2, d3
    dims = cnp.PyArray_DIMS(<cnp.ndarray>a)
    ok = cnp.PyArray_NDIM(<cnp.ndarray>a) == ndim
    for i in range(ndim if ok else 0):
        ok = ok and dims[i] == want[i]
    if not ok:
        shape = tuple([want[i] for i in range(ndim)])
        raise ValueError(f"{_label(name, index)} must have shape {shape}, got {a.shape}")
    return 0


cdef str _label(str name, int index):
    return name if index < 0 else f"{name}[{index}]"


cdef int _check_lengths(cnp.ndarray lengths, Py_ssize_t B, Py_ssize_t T) except -1:
    """Raise unless every length lies in 1..T (lengths: intp (B,), layout checked)."""
    cdef const Py_ssize_t *lens = <const Py_ssize_t *>cnp.PyArray_DATA(lengths)
    cdef Py_ssize_t b
    for b in range(B):
        if lens[b] < 1 or lens[b] > T:
            raise ValueError(f"lengths must lie in 1..{T}")
    return 0


cdef tuple _check_core(x, W_xh, W_hh, h0, lengths, int G=1):
    """(B, T, D, H) after checking x, the recurrent weights of a cell of G gates (W_xh
    (G H, D), W_hh (G H, H)), h0 and lengths."""
    if not cnp.PyArray_Check(x) or cnp.PyArray_NDIM(<cnp.ndarray>x) != 3:
        raise TypeError("x must be a (B, T, D) array")
    cdef int dt = cnp.PyArray_TYPE(<cnp.ndarray>x)
    if dt != cnp.NPY_FLOAT32 and dt != cnp.NPY_FLOAT64:
        raise TypeError(f"x must be float32 or float64, got {x.dtype}")
    cdef cnp.npy_intp *xd = cnp.PyArray_DIMS(<cnp.ndarray>x)
    cdef Py_ssize_t B = xd[0], T = xd[1], D = xd[2], H
    _expect(x, "x", -1, dt, False, 3, B, T, D)
    if not cnp.PyArray_Check(W_hh) or cnp.PyArray_NDIM(<cnp.ndarray>W_hh) != 2:
        raise TypeError("W_hh must be a (G H, H) array")
    H = cnp.PyArray_DIMS(<cnp.ndarray>W_hh)[1]
    if H < 1 or T < 1:
        raise ValueError("the kernels need H >= 1 and T >= 1")
    _expect(W_hh, "W_hh", -1, dt, False, 2, G * H, H)
    _expect(W_xh, "W_xh", -1, dt, False, 2, G * H, D)
    _expect(h0, "h0", -1, dt, True, 2, B, H)
    _expect(lengths, "lengths", -1, cnp.NPY_INTP, False, 1, B)
    _check_lengths(lengths, B, T)
    return B, T, D, H


cdef void _backward_entry(floating *dummy, cnp.ndarray x, cnp.ndarray hs, cnp.ndarray W_xh,
                          cnp.ndarray W_hh, cnp.ndarray dhs, cnp.ndarray h0,
                          cnp.ndarray lengths, cnp.ndarray dx, cnp.ndarray dW_xh,
                          cnp.ndarray dW_hh, cnp.ndarray db_h, cnp.ndarray dh0, bint relu):
    cdef int B = x.shape[0], T = x.shape[1], D = x.shape[2], H = W_hh.shape[0]
    cdef size_t n_state = <size_t>B * T * H
    cdef size_t n_packed = packed_len(dummy, H, H)
    cdef size_t n_work = (<size_t>B * T + NARROW_INPUT + 1) * (D + H)
    cdef floating *da = <floating *>_alloc((n_state + n_work + n_packed) * sizeof(floating))
    cdef floating *work = da + n_state
    cdef floating *W_hh_packed = work + n_work
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
    cdef int min_len
    with nogil:
        _min_length(lens, B, T, &min_len)
        pack(H, H, whh, H, W_hh_packed)
        _backward(B, T, D, H, xp, hsp, wxh, W_hh_packed, dhsp, h0p, lens, min_len, relu,
                  NULL, dh, da, work, dxp, dwxh, dwhh, dbh, NULL)
    free(da)


def backward(x, hs, W_xh, W_hh, dhs, h0, lengths, relu=False):
    """Kernel behind functional.rnn_backward; values already validated."""
    B, T, D, H = _check_core(x, W_xh, W_hh, h0, lengths)
    cdef int dt = cnp.PyArray_TYPE(<cnp.ndarray>x)
    _expect(hs, "hs", -1, dt, False, 3, B, T, H)
    _expect(dhs, "dhs", -1, dt, False, 3, B, T, H)
    dx = _zeros_like(x)
    dW_xh = _zeros_like(W_xh)
    dW_hh = _zeros_like(W_hh)
    db_h = np.zeros(H, x.dtype)
    dh0 = np.zeros((B, H), x.dtype)
    if dt == cnp.NPY_FLOAT32:
        _backward_entry[float](NULL, x, hs, W_xh, W_hh, dhs, h0, lengths,
                               dx, dW_xh, dW_hh, db_h, dh0, relu)
    else:
        _backward_entry[double](NULL, x, hs, W_xh, W_hh, dhs, h0, lengths,
                                dx, dW_xh, dW_hh, db_h, dh0, relu)
    return dx, dW_xh, dW_hh, db_h, dh0


# --- stacked, bidirectional networks with a head -----------------------------------
#
# A network is num_layers layers of one or two directions. Layer k reads x (k = 0) or
# the layer below's outputs (B, T, nd*H) times that layer's dropout multipliers; its
# outputs hold the forward states in columns :H and the reverse states in H:, the
# reverse direction being the forward recurrence run over each sequence reversed
# within its own length (zeros past the end). Parameters of layer k, direction d sit
# at index k * nd + d of the pointer tables below.

cdef enum:
    BINARY = 0
    REGRESSION = 1
    MULTICLASS = 2

cdef enum:
    LAST = 0
    MEAN = 1
    MAX = 2
    STEPS = 3   # a per-step task: every valid step is a row of the head


cdef void _reverse_rows(const floating *src, int B, int T, int C,
                        const Py_ssize_t *lengths, floating *dst) noexcept nogil:
    """dst[b, t] = src[b, L_b - 1 - t] for t < L_b, zeros after (B, T, C arrays)."""
    cdef Py_ssize_t b, t, n
    for b in range(B):
        n = lengths[b]
        for t in range(n):
            memcpy(dst + (b * T + t) * C, src + (b * T + n - 1 - t) * C, C * sizeof(floating))
        if n < T:
            memset(dst + (b * T + n) * C, 0, <size_t>(T - n) * C * sizeof(floating))


cdef void _add_reversed(const floating *src, int B, int T, int C, int ld, int col,
                        const Py_ssize_t *lengths, floating *dst) noexcept nogil:
    """dst[b, L_b - 1 - t, col:col + C] += src[b, t] (src (B, T, C); dst rows of ld)."""
    cdef Py_ssize_t b, t, j, n
    cdef floating *d
    cdef const floating *s
    for b in range(B):
        n = lengths[b]
        for t in range(n):
            s = src + (b * T + t) * C
            d = dst + (b * T + n - 1 - t) * ld + col
            for j in range(C):
                d[j] += s[j]


cdef void _mask_reversed(const unsigned char *mask, int B, int T,
                         const Py_ssize_t *lengths, unsigned char *out) noexcept nogil:
    cdef Py_ssize_t b, t, n
    for b in range(B):
        n = lengths[b]
        for t in range(T):
            out[b * T + t] = mask[b * T + n - 1 - t] if t < n else 0


cdef void _interleave(const floating *hf, const floating *hr, int B, int T, int H,
                      const Py_ssize_t *lengths, floating *out) noexcept nogil:
    """out (B, T, 2H): forward states, then the reverse states put back in time order."""
    cdef Py_ssize_t r
    for r in range(<Py_ssize_t>B * T):
        memcpy(out + r * 2 * H, hf + r * H, H * sizeof(floating))
        memset(out + r * 2 * H + H, 0, H * sizeof(floating))
    _add_reversed(hr, B, T, H, 2 * H, H, lengths, out)


cdef void _columns(const floating *src, int N, int ld, int col, int C,
                   floating *dst) noexcept nogil:
    """dst (N, C) = src[:, col:col + C] of an (N, ld) array."""
    cdef Py_ssize_t r
    for r in range(N):
        memcpy(dst + r * C, src + r * ld + col, C * sizeof(floating))


cdef void _readout(int B, int T, int H, int nd, int pooling, const floating *out,
                   const floating *hf_top, const floating *hr_top,
                   const Py_ssize_t *lengths, floating *R) noexcept nogil:
    """R (B, nd*H): the last states (the forward state at each sequence's end, the
    reverse state after its first step), or the mean or the max over the valid steps
    of the top layer's outputs out (B, T, nd*H)."""
    cdef int Hd = nd * H
    cdef Py_ssize_t b, t, j, n
    cdef const floating *o
    cdef floating inv
    for b in range(B):
        n = lengths[b]
        if pooling == LAST:
            memcpy(R + b * Hd, hf_top + (b * T + T - 1) * H, H * sizeof(floating))
            if nd == 2:  # carried to the last step
                memcpy(R + b * Hd + H, hr_top + (b * T + T - 1) * H, H * sizeof(floating))
            continue
        memcpy(R + b * Hd, out + b * T * Hd, Hd * sizeof(floating))
        for t in range(1, n):
            o = out + (b * T + t) * Hd
            if pooling == MEAN:
                for j in range(Hd):
                    R[b * Hd + j] += o[j]
            else:
                for j in range(Hd):
                    if o[j] > R[b * Hd + j]:
                        R[b * Hd + j] = o[j]
        if pooling == MEAN:
            inv = 1 / <floating>n
            for j in range(Hd):
                R[b * Hd + j] *= inv


cdef void _readout_grad(int B, int T, int H, int nd, int pooling, const floating *out,
                        const Py_ssize_t *lengths, const floating *dR,
                        floating *d_out) noexcept nogil:
    """d_out (B, T, nd*H), zeroed here, from dR (B, nd*H) for pooling MEAN or MAX (the
    max's gradient goes to the first step that holds it)."""
    cdef int Hd = nd * H
    cdef Py_ssize_t b, t, j, n, best
    cdef floating inv
    memset(d_out, 0, <size_t>B * T * Hd * sizeof(floating))
    for b in range(B):
        n = lengths[b]
        if pooling == MEAN:
            inv = 1 / <floating>n
            for t in range(n):
                for j in range(Hd):
                    d_out[(b * T + t) * Hd + j] = dR[b * Hd + j] * inv
        else:
            for j in range(Hd):
                best = 0
                for t in range(1, n):
                    if out[(b * T + t) * Hd + j] > out[(b * T + best) * Hd + j]:
                        best = t
                d_out[(b * T + best) * Hd + j] = dR[b * Hd + j]


cdef double _head(int N, int Hd, int O, int kind, const floating *R, const floating *W_hy,
                  const floating *W_hyT, const floating *b_y, const floating *y,
                  const Py_ssize_t *labels, const double *rw, double total, double *z,
                  floating *Z, floating *dW_hy, floating *db_y, floating *dR) noexcept nogil:
    """Loss of the head out = R W_hy^T + b_y over N rows R (N, Hd), each counted with
    weight rw[r] (rows of weight 0 are skipped: their targets are not read), divided
    by total; adds its gradients to dW_hy and db_y and writes dLoss/dR into dR.
    y: float targets (N,) binary or (N, O) regression, or labels (N,) in 0..O-1.
    Workspaces: z O doubles, Z (N, O)."""
    cdef Py_ssize_t r, o
    cdef double loss = 0, sig, w, zmax, norm, diff
    for r in range(N):
        memcpy(Z + r * O, b_y, O * sizeof(floating))
    mm_nn_acc(N, O, Hd, R, Hd, W_hyT, O, Z, O)
    for r in range(N):
        w = rw[r]
        if w == 0:
            memset(Z + r * O, 0, O * sizeof(floating))
            continue
        for o in range(O):
            z[o] = <double>Z[r * O + o]
        if kind == MULTICLASS:  # z becomes dLoss/dz: softmax minus the one-hot label
            zmax = z[0]
            for o in range(1, O):
                if z[o] > zmax:
                    zmax = z[o]
            norm = 0
            for o in range(O):
                norm += exp(z[o] - zmax)
            loss += w * (zmax + log(norm) - z[labels[r]])
            for o in range(O):
                z[o] = exp(z[o] - zmax) / norm - (o == labels[r])
        elif kind == BINARY:
            loss += w * ((z[0] if z[0] > 0 else 0) - z[0] * y[r] + log1p(exp(-fabs(z[0]))))
            if z[0] >= 0:
                sig = 1 / (1 + exp(-z[0]))
            else:
                sig = exp(z[0]) / (1 + exp(z[0]))
            z[0] = sig - y[r]
        else:
            for o in range(O):
                diff = z[o] - y[r * O + o]
                loss += w * diff * diff
                z[o] = 2 * diff
        for o in range(O):
            Z[r * O + o] = <floating>(w * z[o] / total)
            db_y[o] += Z[r * O + o]
    mm_tn_acc(O, Hd, N, Z, O, R, Hd, dW_hy, Hd)
    memset(dR, 0, <size_t>N * Hd * sizeof(floating))
    mm_nn_acc(N, Hd, O, Z, O, W_hy, Hd, dR, Hd)
    return loss / total


cdef struct Net:
    # sizes and settings; G gates (1 for the Elman cell), S weight arrays per layer
    # and direction in the caller's list (3 for the Elman cell, 4 with b_hh)
    int B, T, D, H, O, L, nd, kind, pooling, min_len, cell, G, S
    bint relu, train
    # per layer and direction, at k * nd + d
    void **W_xh
    void **W_hh
    void **b_h
    void **b_hh
    void **dW_xh
    void **dW_hh
    void **db_h
    void **db_hh
    void **hs
    void **cs         # LSTM cell states (B, T, H)
    void **gates      # gated cells: every step's gate values (B, T, G H)
    void **aux        # gated: a GRU's n-gate hidden products, an LSTM's tanh(c) (B, T, H)
    # per layer: outputs, inputs, reversed inputs
    void **outs
    void **ins
    void **rev_ins
    # arrays from the caller (NULL when not given)
    void *x
    void *h0          # (L*nd, B, H)
    void *c0          # (L*nd, B, H), LSTM
    void *drop        # (L-1, B, T, nd*H) dropout multipliers
    void *W_hy
    void *b_y
    void *dW_hy
    void *db_y
    void *y
    Py_ssize_t *labels
    double *sample_w
    Py_ssize_t *lengths
    unsigned char *dx_mask
    void *dx
    double *norms     # (L*nd, T)
    void *out_top     # (B, T, nd*H), forward only
    void *h_n         # (L*nd, B, H), forward only
    void *c_n         # (L*nd, B, H), forward only, LSTM
    double *scores    # (B, O) or (B*T, O) head outputs, prediction only
    # workspaces
    void *W_xhT
    void *W_hhT_packed
    void *W_hh_packed
    void *R
    void *Z
    void *W_hyT
    void *dR
    void *da
    void *work
    void *dh
    void *dhs
    void *d_a
    void *d_b
    void *dx_rev
    void *hw          # gated: a step's hidden products (B, G H)
    void *dgh         # GRU: dLoss/d(hidden products) (B, T, G H); `da` holds the input's
    void *dc          # LSTM: dLoss/dc (B, H)
    double *rw
    double *z
    unsigned char *rev_mask


cdef inline void *_carve(char *base, size_t *at, size_t nbytes) noexcept nogil:
    """The next nbytes of a workspace, 64-byte aligned; with base NULL it only counts."""
    cdef size_t start = (at[0] + 63) // 64 * 64
    at[0] = start + nbytes
    return NULL if base == NULL else <void *>(base + start)


cdef size_t _layout(floating *dummy, Net *n, char *base) noexcept nogil:
    """Carve every table and workspace of a call out of base; with base NULL, return
    the bytes needed (the one place that knows the workspace's shape)."""
    cdef size_t at = 0, fs = sizeof(floating), BT = <size_t>n.B * n.T, ps = sizeof(void *)
    cdef int n_ld = n.L * n.nd, Hd = n.nd * n.H, Dmax = max(n.D, Hd), H = n.H, k, i, Dk
    cdef int GH = n.G * n.H
    cdef bint gated = n.cell != ELMAN
    cdef size_t n_packed = max(packed_len(dummy, H, GH), packed_len(dummy, GH, H))
    cdef void **tables = <void **>_carve(base, &at, (12 * <size_t>n_ld + 3 * n.L) * ps)
    if base != NULL:
        n.W_xh, n.W_hh, n.b_h = tables, tables + n_ld, tables + 2 * n_ld
        n.dW_xh, n.dW_hh, n.db_h = tables + 3 * n_ld, tables + 4 * n_ld, tables + 5 * n_ld
        n.hs = tables + 6 * n_ld
        n.outs, n.ins, n.rev_ins = tables + 7 * n_ld, tables + 7 * n_ld + n.L, \
            tables + 7 * n_ld + 2 * n.L
        i = 7 * n_ld + 3 * n.L
        n.b_hh, n.db_hh, n.cs = tables + i, tables + i + n_ld, tables + i + 2 * n_ld
        n.gates, n.aux = tables + i + 3 * n_ld, tables + i + 4 * n_ld
    n.W_xhT = _carve(base, &at, <size_t>Dmax * GH * fs)
    n.W_hhT_packed = _carve(base, &at, n_packed * fs)
    n.W_hh_packed = _carve(base, &at, n_packed * fs)
    n.hw = _carve(base, &at, <size_t>n.B * GH * fs if gated else 0)
    cdef void *p
    for i in range(n_ld):
        p = _carve(base, &at, BT * H * fs)
        if base != NULL:
            n.hs[i] = p
        p = _carve(base, &at, BT * H * fs if n.cell == LSTM else 0)
        if base != NULL:
            n.cs[i] = p
        p = _carve(base, &at, BT * GH * fs if gated else 0)
        if base != NULL:
            n.gates[i] = p
        p = _carve(base, &at, BT * H * fs if gated else 0)
        if base != NULL:
            n.aux[i] = p
    for k in range(n.L):
        Dk = n.D if k == 0 else Hd
        p = _carve(base, &at, BT * Hd * fs if n.nd == 2 else 0)
        if base != NULL:
            n.outs[k] = p if n.nd == 2 else n.hs[k]
        p = _carve(base, &at, BT * Hd * fs if k > 0 and n.drop != NULL else 0)
        if base != NULL:  # without dropout a layer reads the outputs below it
            n.ins[k] = n.x if k == 0 else (p if n.drop != NULL else n.outs[k - 1])
        p = _carve(base, &at, BT * Dk * fs if n.nd == 2 else 0)
        if base != NULL:
            n.rev_ins[k] = p
    if not n.train:
        return at
    cdef size_t N = BT if n.pooling == STEPS else <size_t>n.B
    n.R = _carve(base, &at, N * Hd * fs if n.pooling != STEPS else 0)
    n.Z = _carve(base, &at, N * n.O * fs)
    n.W_hyT = _carve(base, &at, <size_t>Hd * n.O * fs)
    n.dR = _carve(base, &at, N * Hd * fs)
    n.rw = <double *>_carve(base, &at, N * sizeof(double))
    n.z = <double *>_carve(base, &at, <size_t>n.O * sizeof(double))
    n.da = _carve(base, &at, BT * GH * fs)
    n.dgh = _carve(base, &at, BT * GH * fs if n.cell == GRU else 0)
    n.dc = _carve(base, &at, <size_t>n.B * H * fs if n.cell == LSTM else 0)
    n.work = _carve(base, &at, (BT + NARROW_INPUT + 1) * (Dmax + GH) * fs)
    n.dh = _carve(base, &at, <size_t>n.B * H * fs)
    n.dhs = _carve(base, &at, BT * H * fs if n.nd == 2 else 0)
    n.d_a = _carve(base, &at, BT * Hd * fs if n.L > 1 or n.pooling in (MEAN, MAX) else 0)
    n.d_b = _carve(base, &at, BT * Hd * fs if n.L > 1 else 0)
    n.dx_rev = _carve(base, &at, BT * Dmax * fs if n.nd == 2 else 0)
    n.rev_mask = <unsigned char *>_carve(base, &at, BT if n.nd == 2 else 0)
    return at


cdef void _net_forward(floating *dummy, Net *n) noexcept nogil:
    """States hs of every layer and direction; outs[k] (B, T, nd*H) is layer k's
    output; ins[k] its input (x, or the outputs below times the dropout multipliers)."""
    cdef int B = n.B, T = n.T, H = n.H, nd = n.nd, Hd = n.nd * n.H, k, d, i, Dk
    cdef Py_ssize_t m, r
    cdef const floating *src
    cdef const floating *mult
    cdef const floating *below
    cdef floating *dst
    cdef const floating *h0
    for k in range(n.L):
        Dk = n.D if k == 0 else Hd
        if k > 0 and n.drop != NULL:
            m = <Py_ssize_t>B * T * Hd
            mult = <const floating *>n.drop + (k - 1) * m
            below = <const floating *>n.outs[k - 1]
            dst = <floating *>n.ins[k]
            for r in range(m):
                dst[r] = below[r] * mult[r]
        for d in range(nd):
            i = k * nd + d
            src = <const floating *>n.ins[k]
            if d == 1:
                _reverse_rows(src, B, T, Dk, n.lengths, <floating *>n.rev_ins[k])
                src = <const floating *>n.rev_ins[k]
            _transpose(<const floating *>n.W_xh[i], n.G * H, Dk, <floating *>n.W_xhT)
            pack_t(H, n.G * H, <const floating *>n.W_hh[i], H, <floating *>n.W_hhT_packed)
            h0 = NULL
            if n.h0 != NULL:
                h0 = <const floating *>n.h0 + <Py_ssize_t>i * B * H
            if n.cell == ELMAN:
                _forward(B, T, Dk, H, src, <const floating *>n.W_xhT,
                         <const floating *>n.W_hhT_packed, <const floating *>n.b_h[i], h0,
                         n.lengths, n.min_len, n.relu, <floating *>n.hs[i])
            else:
                _gated_forward(n.cell, B, T, Dk, H, src, <const floating *>n.W_xhT,
                               <const floating *>n.W_hhT_packed, <const floating *>n.b_h[i],
                               <const floating *>n.b_hh[i], h0,
                               NULL if n.c0 == NULL else
                               <const floating *>n.c0 + <Py_ssize_t>i * B * H,
                               n.lengths, n.min_len, <floating *>n.hs[i],
                               <floating *>n.cs[i], <floating *>n.gates[i],
                               <floating *>n.aux[i], <floating *>n.hw)
        if nd == 2:
            _interleave(<const floating *>n.hs[2 * k], <const floating *>n.hs[2 * k + 1],
                        B, T, H, n.lengths, <floating *>n.outs[k])


cdef double _net_train(floating *dummy, Net *n) noexcept nogil:
    """Forward, head and loss, then BPTT through every layer and direction, top down.
    Returns the loss; gradients are added to the dW_*, db_* arrays (and dx)."""
    cdef int B = n.B, T = n.T, H = n.H, O = n.O, nd = n.nd, Hd = n.nd * n.H
    cdef int k, d, i, Dk, N
    cdef Py_ssize_t b, t, j, r, BT = <Py_ssize_t>B * T
    cdef double total = 0, w, loss
    cdef const floating *top = <const floating *>n.outs[n.L - 1]
    cdef const floating *R
    cdef floating *dR = <floating *>n.dR
    cdef floating *dh = <floating *>n.dh
    cdef floating *d_out = NULL
    cdef floating *d_in
    cdef floating *tgt
    cdef const floating *dhs
    cdef const floating *src
    cdef const floating *h0
    cdef const floating *mult
    cdef const unsigned char *mask
    _net_forward(dummy, n)
    # the head's rows and their weights
    if n.pooling == STEPS:
        N = <int>BT
        R = top
        for b in range(B):
            w = 1 if n.sample_w == NULL else n.sample_w[b]
            for t in range(T):
                n.rw[b * T + t] = w if t < n.lengths[b] else 0
                total += n.rw[b * T + t]
    else:
        N = B
        _readout(B, T, H, nd, n.pooling, top, <const floating *>n.hs[(n.L - 1) * nd],
                 <const floating *>n.hs[(n.L - 1) * nd + nd - 1], n.lengths,
                 <floating *>n.R)
        R = <const floating *>n.R
        for b in range(B):
            n.rw[b] = 1 if n.sample_w == NULL else n.sample_w[b]
            total += n.rw[b]
    if n.kind == REGRESSION:
        total *= O
    _transpose(<const floating *>n.W_hy, O, Hd, <floating *>n.W_hyT)
    loss = _head(N, Hd, O, n.kind, R, <const floating *>n.W_hy, <const floating *>n.W_hyT,
                 <const floating *>n.b_y, <const floating *>n.y, n.labels, n.rw, total, n.z,
                 <floating *>n.Z, <floating *>n.dW_hy, <floating *>n.db_y, dR)
    # dLoss/d(top outputs); with the last states it enters as the initial dh instead
    if n.pooling == STEPS:
        d_out = dR
    elif n.pooling != LAST:
        d_out = <floating *>n.d_a
        _readout_grad(B, T, H, nd, n.pooling, top, n.lengths, dR, d_out)
    for k in range(n.L - 1, -1, -1):
        Dk = n.D if k == 0 else Hd
        d_in = NULL
        if k > 0:
            d_in = <floating *>(n.d_b if d_out == <floating *>n.d_a else n.d_a)
            memset(d_in, 0, <size_t>BT * Dk * sizeof(floating))
        for d in range(nd):
            i = k * nd + d
            dhs = NULL
            if k == n.L - 1 and n.pooling == LAST:
                for b in range(B):
                    memcpy(dh + b * H, dR + b * Hd + d * H, H * sizeof(floating))
            else:
                memset(dh, 0, <size_t>B * H * sizeof(floating))
                if nd == 1:
                    dhs = d_out
                elif d == 0:
                    _columns(d_out, <int>BT, Hd, 0, H, <floating *>n.dhs)
                    dhs = <const floating *>n.dhs
                else:  # da is free until _backward writes it
                    _columns(d_out, <int>BT, Hd, H, H, <floating *>n.da)
                    _reverse_rows(<const floating *>n.da, B, T, H, n.lengths,
                                  <floating *>n.dhs)
                    dhs = <const floating *>n.dhs
            src = <const floating *>(n.ins[k] if d == 0 else n.rev_ins[k])
            pack(n.G * H, H, <const floating *>n.W_hh[i], H, <floating *>n.W_hh_packed)
            tgt = NULL
            mask = NULL
            if k > 0 or n.dx != NULL:
                if d == 0:
                    tgt = d_in if k > 0 else <floating *>n.dx
                    mask = n.dx_mask if k == 0 else NULL
                else:
                    tgt = <floating *>n.dx_rev
                    memset(tgt, 0, <size_t>BT * Dk * sizeof(floating))
                    if k == 0 and n.dx_mask != NULL:
                        _mask_reversed(n.dx_mask, B, T, n.lengths, n.rev_mask)
                        mask = n.rev_mask
            h0 = NULL
            if n.h0 != NULL:
                h0 = <const floating *>n.h0 + <Py_ssize_t>i * B * H
            if n.cell == ELMAN:
                _backward(B, T, Dk, H, src, <const floating *>n.hs[i],
                          <const floating *>n.W_xh[i], <const floating *>n.W_hh_packed, dhs,
                          h0, n.lengths, n.min_len, n.relu, mask, dh, <floating *>n.da,
                          <floating *>n.work, tgt, <floating *>n.dW_xh[i],
                          <floating *>n.dW_hh[i], <floating *>n.db_h[i],
                          NULL if n.norms == NULL else n.norms + <Py_ssize_t>i * T)
            else:
                _gated_backward(n.cell, B, T, Dk, H, src, <const floating *>n.hs[i],
                                <const floating *>n.cs[i], <const floating *>n.gates[i],
                                <const floating *>n.aux[i], <const floating *>n.W_xh[i],
                                <const floating *>n.W_hh_packed, dhs, h0,
                                NULL if n.c0 == NULL else
                                <const floating *>n.c0 + <Py_ssize_t>i * B * H,
                                n.lengths, n.min_len, mask, dh, <floating *>n.dc,
                                <floating *>n.da,
                                <floating *>(n.dgh if n.cell == GRU else n.da),
                                <floating *>n.work, tgt, <floating *>n.dW_xh[i],
                                <floating *>n.dW_hh[i], <floating *>n.db_h[i],
                                <floating *>n.db_hh[i],
                                NULL if n.norms == NULL else n.norms + <Py_ssize_t>i * T)
            if d == 1 and tgt != NULL:
                _add_reversed(tgt, B, T, Dk, Dk, 0, n.lengths,
                              d_in if k > 0 else <floating *>n.dx)
        if k > 0:
            if n.drop != NULL:
                mult = <const floating *>n.drop + (k - 1) * BT * Hd
                for r in range(BT * Hd):
                    d_in[r] *= mult[r]
            d_out = d_in
    return loss


cdef void _net_predict(floating *dummy, Net *n) noexcept nogil:
    """Forward only, then the head in float64: scores (N, O) = R W_hy^T + b_y, R the
    pooled top outputs (N = B) or every step's (N = B * T; STEPS)."""
    cdef int Hd = n.nd * n.H, O = n.O
    cdef Py_ssize_t N = n.B, r, o, j
    cdef const floating *top
    cdef const floating *R
    cdef const floating *W_hy = <const floating *>n.W_hy
    cdef const floating *b_y = <const floating *>n.b_y
    cdef const floating *row
    cdef double acc
    _net_forward(dummy, n)
    top = <const floating *>n.outs[n.L - 1]
    if n.pooling == STEPS:
        N = <Py_ssize_t>n.B * n.T
        R = top
    else:
        _readout(n.B, n.T, n.H, n.nd, n.pooling, top,
                 <const floating *>n.hs[(n.L - 1) * n.nd],
                 <const floating *>n.hs[(n.L - 1) * n.nd + n.nd - 1], n.lengths,
                 <floating *>n.R)
        R = <const floating *>n.R
    for r in range(N):
        row = R + r * Hd
        for o in range(O):
            acc = 0
            for j in range(Hd):
                acc += <double>row[j] * <double>W_hy[o * Hd + j]
            n.scores[r * O + o] = acc + <double>b_y[o]


cdef void _net_outputs(floating *dummy, Net *n) noexcept nogil:
    """Forward only: the top layer's outputs into out_top, final states into h_n."""
    cdef int B = n.B, T = n.T, H = n.H, i
    cdef Py_ssize_t b
    _net_forward(dummy, n)
    memcpy(n.out_top, n.outs[n.L - 1], <size_t>B * T * n.nd * H * sizeof(floating))
    for i in range(n.L * n.nd):
        for b in range(B):  # carried to the last step
            memcpy(<floating *>n.h_n + (<Py_ssize_t>i * B + b) * H,
                   <floating *>n.hs[i] + (b * T + T - 1) * H, H * sizeof(floating))
            if n.c_n != NULL:
                memcpy(<floating *>n.c_n + (<Py_ssize_t>i * B + b) * H,
                       <floating *>n.cs[i] + (b * T + T - 1) * H, H * sizeof(floating))


_scratch = threading.local()


cdef cnp.ndarray _workspace(size_t nbytes):
    """This thread's workspace of at least nbytes, kept between calls: a network's is tens
    of megabytes, which malloc would map afresh (and the kernel zero page by page) on
    every call; a thread runs one call at a time, so its buffer is never shared."""
    cdef cnp.ndarray buf = getattr(_scratch, "buf", None)
    if buf is None or <size_t>buf.shape[0] < nbytes:
        buf = np.empty(nbytes if nbytes > 0 else 1, dtype=np.uint8)
        _scratch.buf = buf
    return buf


cdef object _run(floating *dummy, Net *n, list weights, list grads):
    """Fill n's tables from the arrays, take the workspace, run without the GIL."""
    cdef size_t nbytes = _layout(dummy, n, NULL)
    cdef cnp.ndarray buf = _workspace(nbytes)
    cdef char *block = <char *>cnp.PyArray_DATA(buf)
    cdef int i, n_ld = n.L * n.nd
    cdef double loss = 0
    _layout(dummy, n, block)
    cdef int S = n.S
    for i in range(n_ld):
        n.W_xh[i] = _data(weights[S * i])
        n.W_hh[i] = _data(weights[S * i + 1])
        n.b_h[i] = _data(weights[S * i + 2])
        n.b_hh[i] = _data(weights[S * i + 3]) if S == 4 else NULL
        if grads is not None:
            n.dW_xh[i] = _data(grads[S * i])
            n.dW_hh[i] = _data(grads[S * i + 1])
            n.db_h[i] = _data(grads[S * i + 2])
            n.db_hh[i] = _data(grads[S * i + 3]) if S == 4 else NULL
    if len(weights) > S * n_ld:
        n.W_hy, n.b_y = _data(weights[S * n_ld]), _data(weights[S * n_ld + 1])
    if grads is not None:
        n.dW_hy, n.db_y = _data(grads[S * n_ld]), _data(grads[S * n_ld + 1])
    with nogil:
        _min_length(n.lengths, n.B, n.T, &n.min_len)
        if n.train:
            loss = _net_train(dummy, n)
        elif n.scores != NULL:
            _net_predict(dummy, n)
        else:
            _net_outputs(dummy, n)
    return loss


_KINDS = {"binary": BINARY, "regression": REGRESSION, "multiclass": MULTICLASS,
          "binary_per_step": BINARY, "regression_per_step": REGRESSION,
          "multiclass_per_step": MULTICLASS}
_POOLINGS = {"last": LAST, "mean": MEAN, "max": MAX}


cdef inline cnp.ndarray _zeros_like(cnp.ndarray a):
    return cnp.PyArray_ZEROS(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a), cnp.PyArray_TYPE(a), 0)


cdef int _check_labels(cnp.ndarray y, Py_ssize_t O) except -1:
    """Raise unless every label (intp, any shape, layout checked) indexes the head's
    O outputs."""
    cdef const Py_ssize_t *labels = <const Py_ssize_t *>cnp.PyArray_DATA(y)
    cdef Py_ssize_t i
    for i in range(cnp.PyArray_SIZE(y)):
        if labels[i] < 0 or labels[i] >= O:
            raise ValueError(f"y must hold labels in 0..{O - 1}")
    return 0


_CELLS = {"rnn": ELMAN, "gru": GRU, "lstm": LSTM}
_GATES = {ELMAN: 1, GRU: 3, LSTM: 4}


cdef int _cell_code(cell) except -1:
    if cell not in _CELLS:
        raise ValueError(f"cell must be one of {tuple(_CELLS)}, got {cell!r}")
    return _CELLS[cell]


cdef _check_network(list weights, x, lengths, h0, int L, int nd, bint head, int cell=ELMAN,
                    c0=None):
    """(B, T, D, H, O) after the O(1) layout checks of a network call's arrays:
    weights lists W_xh, W_hh, b_h (and b_hh for the gated cells) per layer and
    direction, then (head) W_hy, b_y."""
    if L < 1 or nd not in (1, 2):
        raise ValueError("num_layers must be >= 1 and the directions 1 or 2")
    cdef int G = _GATES[cell], S = 3 if cell == ELMAN else 4
    n_ld = L * nd
    if len(weights) != S * n_ld + (2 if head else 0):
        raise ValueError(f"expected {S * n_ld + 2 * head} weight arrays, got {len(weights)}")
    B, T, D, H = _check_core(x, weights[0], weights[1], None, lengths, G)
    cdef int dt = cnp.PyArray_TYPE(<cnp.ndarray>x)
    for i in range(n_ld):
        Dk = D if i < nd else nd * H
        _expect(weights[S * i], "W_xh", i, dt, False, 2, G * H, Dk)
        _expect(weights[S * i + 1], "W_hh", i, dt, False, 2, G * H, H)
        _expect(weights[S * i + 2], "b_h", i, dt, False, 1, G * H)
        if S == 4:
            _expect(weights[S * i + 3], "b_hh", i, dt, False, 1, G * H)
    _expect(h0, "h0", -1, dt, True, 3, n_ld, B, H)
    if c0 is not None and cell != LSTM:
        raise ValueError("c0 is for an LSTM only")
    _expect(c0, "c0", -1, dt, True, 3, n_ld, B, H)
    O = 0
    if head:
        W_hy = weights[S * n_ld]
        if not cnp.PyArray_Check(W_hy) or cnp.PyArray_NDIM(<cnp.ndarray>W_hy) != 2 or \
                cnp.PyArray_DIMS(<cnp.ndarray>W_hy)[0] < 1:
            raise TypeError(f"W_hy must be an (O, {nd * H}) array")
        O = cnp.PyArray_DIMS(<cnp.ndarray>W_hy)[0]
        _expect(W_hy, "W_hy", -1, dt, False, 2, O, nd * H)
        _expect(weights[S * n_ld + 1], "b_y", -1, dt, False, 1, O)
    return B, T, D, H, O


cdef void _set_cell(Net *n, int cell, c0):
    n.cell, n.G, n.S = cell, _GATES[cell], 3 if cell == ELMAN else 4
    n.c0 = _data(c0)


def network_forward(list weights, x, lengths, h0, int num_layers, bint bidirectional,
                    bint relu, cell="rnn", c0=None):
    """Kernel behind functional.rnn_layers_forward (values validated there): the top
    layer's outputs (B, T, nd*H), every layer's final states (L*nd, B, H) and, for an
    LSTM, its final cell states (L*nd, B, H) (None for the other cells)."""
    cdef int nd = 2 if bidirectional else 1
    cdef int code = _cell_code(cell)
    B, T, D, H, _ = _check_network(weights, x, lengths, h0, num_layers, nd, False, code, c0)
    cdef Net n
    memset(&n, 0, sizeof(Net))
    n.B, n.T, n.D, n.H, n.L, n.nd, n.relu, n.train = B, T, D, H, num_layers, nd, relu, False
    _set_cell(&n, code, c0)
    out = np.empty((B, T, nd * H), x.dtype)
    h_n = np.empty((num_layers * nd, B, H), x.dtype)
    c_n = np.empty((num_layers * nd, B, H), x.dtype) if code == LSTM else None
    n.x, n.h0, n.lengths = _data(x), _data(h0), <Py_ssize_t *>_data(lengths)
    n.out_top, n.h_n, n.c_n = _data(out), _data(h_n), _data(c_n)
    if cnp.PyArray_TYPE(<cnp.ndarray>x) == cnp.NPY_FLOAT32:
        _run[float](NULL, &n, weights, None)
    else:
        _run[double](NULL, &n, weights, None)
    return out, h_n, c_n


def network_predict(list weights, x, lengths, h0, int num_layers, bint bidirectional,
                    bint relu, pooling, bint features=False, cell="rnn", c0=None):
    """Kernel behind functional.rnn_predict (values validated there): the head's
    outputs, float64 (B, O), or (B, T, O) for pooling "steps" (every step's). With
    `features`, the pooled top outputs the head reads instead, (B, nd*H) in x's dtype
    (the estimators' transform; not for "steps")."""
    cdef int nd = 2 if bidirectional else 1
    cdef int code = _cell_code(cell)
    B, T, D, H, O = _check_network(weights, x, lengths, h0, num_layers, nd, True, code, c0)
    per_step = pooling == "steps"
    if (not per_step and pooling not in _POOLINGS) or (per_step and features):
        raise ValueError(f"unknown pooling {pooling!r}, or features of every step")
    cdef Net n
    memset(&n, 0, sizeof(Net))
    n.B, n.T, n.D, n.H, n.O, n.L, n.nd, n.relu, n.train = B, T, D, H, O, num_layers, nd, \
        relu, False
    _set_cell(&n, code, c0)
    n.pooling = STEPS if per_step else _POOLINGS[pooling]
    pooled = None if per_step else np.empty((B, nd * H), x.dtype)
    scores = np.empty((B, T, O) if per_step else (B, O), np.float64)
    n.x, n.h0, n.lengths = _data(x), _data(h0), <Py_ssize_t *>_data(lengths)
    n.R, n.scores = _data(pooled), <double *>_data(scores)
    if cnp.PyArray_TYPE(<cnp.ndarray>x) == cnp.NPY_FLOAT32:
        _run[float](NULL, &n, weights, None)
    else:
        _run[double](NULL, &n, weights, None)
    return pooled if features else scores


def loss_and_grads(list weights, x, y, lengths, task, h0, bint input_grad, dx_mask,
                   sample_weight=None, int num_layers=1, bint bidirectional=False,
                   bint relu=False, pooling="last", dropout_masks=None, bint norms=False,
                   cell="rnn", c0=None):
    """Kernel behind functional.rnn_loss_and_grads (values validated there).

    weights: W_xh, W_hh, b_h (and b_hh for a gated cell) of each layer and direction,
    then W_hy, b_y; c0: an LSTM's initial cell states or None; y: float
    targets (B,) / (B, O), or intp labels (B,), or the same per step with T after B;
    dx_mask: None or (B, T) uint8 when input_grad; sample_weight: None or float64 (B,);
    dropout_masks: None or (L-1, B, T, nd*H) multipliers. Returns (loss, grads: a list
    like weights, dx or None, norms (L*nd, T) float64 or None)."""
    cdef int nd = 2 if bidirectional else 1
    cdef int code = _cell_code(cell)
    B, T, D, H, O = _check_network(weights, x, lengths, h0, num_layers, nd, True, code, c0)
    dt = x.dtype
    cdef int typenum = cnp.PyArray_TYPE(<cnp.ndarray>x)
    if task not in _KINDS or B < 1 or (_KINDS[task] == BINARY and O != 1):
        raise ValueError("loss_and_grads: unknown task, empty batch or wrong head size")
    per_step = task.endswith("_per_step")
    if not per_step and pooling not in _POOLINGS:
        raise ValueError(f"unknown pooling {pooling!r}")
    cdef int kind = _KINDS[task]
    cdef int n_rows = 2 if per_step else 1
    if kind == MULTICLASS:
        _expect(y, "y", -1, cnp.NPY_INTP, False, n_rows, B, T)
        _check_labels(y, O)
    else:
        _expect(y, "y", -1, typenum, False, n_rows + (kind != BINARY), B,
                T if per_step else O, O)
    _expect(sample_weight, "sample_weight", -1, cnp.NPY_FLOAT64, True, 1, B)
    if sample_weight is not None and not sample_weight.sum() > 0:
        raise ValueError("sample_weight must have a positive sum")
    if input_grad:
        _expect(dx_mask, "dx_mask", -1, cnp.NPY_UINT8, True, 2, B, T)
    _expect(dropout_masks, "dropout_masks", -1, typenum, True, 4, num_layers - 1, B, T,
            nd * H)
    cdef Net n
    memset(&n, 0, sizeof(Net))
    n.B, n.T, n.D, n.H, n.O, n.L, n.nd = B, T, D, H, O, num_layers, nd
    n.kind, n.relu, n.train = kind, relu, True
    _set_cell(&n, code, c0)
    n.pooling = STEPS if per_step else _POOLINGS[pooling]
    grads = [_zeros_like(w) for w in weights]
    dx = _zeros_like(x) if input_grad else None
    norm_arr = np.zeros((num_layers * nd, T)) if norms else None
    n.x, n.h0, n.lengths = _data(x), _data(h0), <Py_ssize_t *>_data(lengths)
    n.drop = NULL if num_layers == 1 else _data(dropout_masks)
    if kind == MULTICLASS:
        n.labels = <Py_ssize_t *>_data(y)
    else:
        n.y = _data(y)
    n.sample_w = <double *>_data(sample_weight)
    n.dx_mask = <unsigned char *>_data(dx_mask) if input_grad else NULL
    n.dx = _data(dx)
    n.norms = <double *>_data(norm_arr)
    if typenum == cnp.NPY_FLOAT32:
        loss = _run[float](NULL, &n, weights, grads)
    else:
        loss = _run[double](NULL, &n, weights, grads)
    return loss, grads, dx, norm_arr
