"""Scans of a float array's values in one pass without temporaries: finiteness, and
binary targets (numpy's isfinite().all() costs about 2 us on a small array and
allocates a bool array the size of a large one)."""

cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t

cnp.import_array()

# Large arrays are scanned in blocks so that a NaN near the start ends the scan early.
cdef enum:
    _BLOCK = 1 << 16


ctypedef fused float_bits:
    uint32_t
    uint64_t


cdef extern from "rf_loops.h" nogil:
    int rf_finite_bits32(const uint32_t *bits, Py_ssize_t n)
    int rf_finite_bits64(const uint64_t *bits, Py_ssize_t n)


cdef bint _finite(const float_bits *bits, Py_ssize_t n) noexcept nogil:
    """No NaN or infinity among n floats read as their bits (uint32 for float32, uint64
    for float64): the C scan (AVX2 where the CPU has it), block by block."""
    cdef Py_ssize_t start = 0, stop
    while start < n:
        stop = min(start + _BLOCK, n)
        if float_bits is uint32_t:
            if not rf_finite_bits32(bits + start, stop - start):
                return False
        else:
            if not rf_finite_bits64(bits + start, stop - start):
                return False
        start = stop
    return True


def finite_contiguous(cnp.ndarray a):
    """True if `a` (C-contiguous and aligned float32 or float64, any shape) holds no
    NaN or infinity; None for any other array, which the caller checks with numpy (an
    unaligned one, from a buffer at an odd offset, cannot be read as integers here)."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(a)
    cdef void *data = cnp.PyArray_DATA(a)
    cdef int kind = cnp.PyArray_TYPE(a)
    cdef bint ok
    if not cnp.PyArray_IS_C_CONTIGUOUS(a) or not cnp.PyArray_ISALIGNED(a) or \
            kind not in (cnp.NPY_FLOAT32, cnp.NPY_FLOAT64):
        return None
    if n < 4096:
        return _finite(<const uint32_t *>data, n) if kind == cnp.NPY_FLOAT32 \
            else _finite(<const uint64_t *>data, n)
    with nogil:
        ok = _finite(<const uint32_t *>data, n) if kind == cnp.NPY_FLOAT32 \
            else _finite(<const uint64_t *>data, n)
    return ok


def ready_float(a, int ndim, dtype):
    """True if `a` needs nothing done to it by `checks.float_array`: an array of rank
    `ndim`, float32 or float64 (`dtype`'s when that is a numpy dtype), C-contiguous,
    aligned and finite. False sends the caller to its full checks, which convert or
    copy, or raise naming the argument (one compiled call instead of a dozen
    attribute reads: the checks of a small network's call cost microseconds)."""
    if not cnp.PyArray_Check(a):
        return False
    cdef cnp.ndarray arr = <cnp.ndarray>a
    cdef int kind = cnp.PyArray_TYPE(arr)
    if kind != cnp.NPY_FLOAT32 and kind != cnp.NPY_FLOAT64:
        return False
    if dtype is not None and (not isinstance(dtype, cnp.dtype) or
                              (<cnp.dtype>dtype).type_num != kind):
        return False
    if cnp.PyArray_NDIM(arr) != ndim or not cnp.PyArray_IS_C_CONTIGUOUS(arr) or \
            not cnp.PyArray_ISALIGNED(arr):
        return False
    return finite_contiguous(arr) is True


ctypedef fused target_value:
    float
    double
    int32_t
    int64_t


cdef bint _zero_one(const target_value *v, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        if v[i] != 0 and v[i] != 1:
            return False
    return True


def zero_one(cnp.ndarray a):
    """True if every value of `a` (C-contiguous and aligned float32, float64, int32 or
    int64) is 0 or 1, False if one is not; None for any other array, which the caller
    checks with numpy."""
    cdef int kind = cnp.PyArray_TYPE(a)
    if not cnp.PyArray_IS_C_CONTIGUOUS(a) or not cnp.PyArray_ISALIGNED(a):
        return None
    if kind == cnp.NPY_FLOAT32:
        return _zero_one(<const float *>cnp.PyArray_DATA(a), cnp.PyArray_SIZE(a))
    if kind == cnp.NPY_FLOAT64:
        return _zero_one(<const double *>cnp.PyArray_DATA(a), cnp.PyArray_SIZE(a))
    if kind == cnp.NPY_INT64 or (kind == cnp.NPY_LONG and sizeof(long) == 8):
        return _zero_one(<const int64_t *>cnp.PyArray_DATA(a), cnp.PyArray_SIZE(a))
    if kind == cnp.NPY_INT32 or (kind == cnp.NPY_LONG and sizeof(long) == 4):
        return _zero_one(<const int32_t *>cnp.PyArray_DATA(a), cnp.PyArray_SIZE(a))
    return None
