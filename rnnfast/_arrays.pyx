"""Whole-array checks that must be fast on small arrays (numpy's cost ~1 us each)."""

cimport numpy as cnp
from rnnfast._blas cimport all_finite as _all_finite_ptr, tanh_inplace as _tanh_ptr

cnp.import_array()


def all_finite(cnp.ndarray a):
    """True if the C-contiguous float32 or float64 array `a` holds no NaN or inf."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(a)
    cdef void *data = cnp.PyArray_DATA(a)
    cdef bint ok
    if cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT32:
        with nogil:
            ok = _all_finite_ptr(<float *>data, n)
    elif cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT64:
        with nogil:
            ok = _all_finite_ptr(<double *>data, n)
    else:
        raise TypeError("all_finite takes float32 or float64 arrays")
    return ok


def tanh_inplace(cnp.ndarray a):
    """Apply the kernels' tanh to a C-contiguous float32/float64 array in place (for tests)."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(a)
    cdef void *data = cnp.PyArray_DATA(a)
    if not cnp.PyArray_IS_C_CONTIGUOUS(a):
        raise ValueError("tanh_inplace needs a C-contiguous array")
    if cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT32:
        with nogil:
            _tanh_ptr(<float *>data, n)
    elif cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT64:
        with nogil:
            _tanh_ptr(<double *>data, n)
    else:
        raise TypeError("tanh_inplace takes float32 or float64 arrays")
