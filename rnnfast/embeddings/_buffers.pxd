# Checked access to arrays of C structs (records), for kernels whose def takes them:
# typed memoryviews cover plain numbers, this covers structured dtypes, so a wrong
# dtype, layout or a read-only array raises instead of being read as garbage.

cimport numpy as cnp


cdef inline void *record_ptr(object a, object dtype, str name, bint write=False) except NULL:
    if not isinstance(a, cnp.ndarray) or (<cnp.ndarray>a).dtype != dtype:
        raise TypeError(f"{name} must be a numpy array of dtype {dtype}, got "
                        f"{getattr(a, 'dtype', type(a).__name__)}")
    if not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>a):
        raise ValueError(f"{name} must be C-contiguous")
    if write and not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>a):
        raise ValueError(f"{name} must be writeable (it is written in place)")
    if cnp.PyArray_SIZE(<cnp.ndarray>a) == 0:
        return <void *>1  # never read; NULL is kept for errors
    # numpy counts a packed record dtype as aligned anywhere; the C struct needs its
    # widest field's alignment (an array unpickled from a byte buffer can miss it)
    cdef size_t align = 1
    for field in dtype.names:
        align = max(align, <size_t>dtype.fields[field][0].alignment)
    if <size_t>cnp.PyArray_DATA(<cnp.ndarray>a) % align:
        raise ValueError(f"{name} is not {align}-byte aligned; pass a copy of it")
    return cnp.PyArray_DATA(<cnp.ndarray>a)
