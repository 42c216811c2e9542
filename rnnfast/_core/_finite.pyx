"""Finiteness of a float array in one pass without temporaries (numpy's
isfinite().all() costs about 2 us on a small array and allocates a bool array the
size of a large one)."""

cimport numpy as cnp
from libc.stdint cimport uint32_t, uint64_t

cnp.import_array()

# Large arrays are scanned in blocks so that a NaN near the start ends the scan early.
cdef enum:
    _BLOCK = 1 << 16


cdef bint _finite_32(const uint32_t *bits, Py_ssize_t n) noexcept nogil:
    # with the sign cleared, a float32 is NaN or infinite when its bits are >= those of inf
    cdef Py_ssize_t start, i, stop
    cdef uint32_t top
    start = 0
    while start < n:
        stop = min(start + _BLOCK, n)
        top = 0
        for i in range(start, stop):
            top = max(top, bits[i] & 0x7fffffffu)
        if top >= 0x7f800000u:
            return False
        start = stop
    return True


cdef bint _finite_64(const uint64_t *bits, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t start, i, stop
    cdef uint64_t top
    start = 0
    while start < n:
        stop = min(start + _BLOCK, n)
        top = 0
        for i in range(start, stop):
            top = max(top, bits[i] & 0x7fffffffffffffffu)
        if top >= 0x7ff0000000000000u:
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
        return _finite_32(<const uint32_t *>data, n) if kind == cnp.NPY_FLOAT32 \
            else _finite_64(<const uint64_t *>data, n)
    with nogil:
        ok = _finite_32(<const uint32_t *>data, n) if kind == cnp.NPY_FLOAT32 \
            else _finite_64(<const uint64_t *>data, n)
    return ok
