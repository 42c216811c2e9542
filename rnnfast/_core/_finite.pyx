"""Finiteness of a float array in one pass without temporaries (numpy's
isfinite().all() costs about 2 us on a small array and allocates a bool array the
size of a large one)."""

cimport numpy as cnp
from libc.stdint cimport uint32_t, uint64_t

cnp.import_array()

# Large arrays are scanned in blocks so that a NaN near the start ends the scan early.
cdef enum:
    _BLOCK = 1 << 16


ctypedef fused float_bits:
    uint32_t
    uint64_t


cdef bint _finite(const float_bits *bits, Py_ssize_t n) noexcept nogil:
    """No NaN or infinity among n floats read as their bits (uint32 for float32, uint64
    for float64): with the sign cleared, those are the values at or above inf's bits."""
    cdef float_bits magnitude, inf
    if float_bits is uint32_t:
        magnitude, inf = 0x7fffffffu, 0x7f800000u
    else:
        magnitude, inf = 0x7fffffffffffffffu, 0x7ff0000000000000u
    cdef Py_ssize_t start = 0, i, stop
    cdef float_bits top
    while start < n:
        stop = min(start + _BLOCK, n)
        top = 0
        for i in range(start, stop):
            top = max(top, bits[i] & magnitude)
        if top >= inf:
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
