"""Argument validation shared by every family: numbers, indices and arrays.

The family checks (`rnnfast.rnn.checks`, `rnnfast.embeddings.checks`) build on
these, and the NumPy reference and the compiled kernels call the same family
checks, so both accept and refuse exactly the same inputs. NumPy, and one compiled
scan for finiteness (`_finite`) that costs a tenth of numpy's on small arrays. Policy:

* array arguments are numpy arrays (or anything `np.asarray` takes) of dtype
  float32 or float64; integer or other dtypes raise TypeError; all floating
  arguments of one call share one dtype (mixing raises TypeError);
* non-contiguous or unaligned arrays are copied; inputs are never written to, so
  read-only arrays are fine; results are always new arrays;
* NaN or inf in any input raises ValueError naming the argument (we refuse
  rather than propagate: a NaN from the data would otherwise surface only as a
  NaN loss many steps later).
"""

import math
import numbers
import operator

import numpy as np

from rnnfast._core._finite import finite_contiguous, ready_float

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
FLOAT32_MAX = float(np.finfo(np.float32).max)


def all_finite(a, block=1 << 20):
    """True if the float array `a` holds no NaN or infinity (read in blocks, so a large
    table needs no full-size temporary)."""
    if isinstance(a, np.ndarray):
        finite = finite_contiguous(a)
        if finite is not None:
            return finite
    if a.size <= block:  # one pass: most arguments are this small
        return bool(np.isfinite(a).all())
    flat = a.reshape(-1)
    return all(np.isfinite(flat[i:i + block]).all() for i in range(0, flat.size, block))


def float_array(name, a, ndim, dtype=None):
    """`a` as a C-contiguous float32/float64 array of rank `ndim`, all finite."""
    if ready_float(a, ndim, dtype):
        return a
    if not isinstance(a, np.ndarray):
        if a is None:
            raise TypeError(f"{name} must be an array, got None")
        a = np.asarray(a)
    if a.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64, got {a.dtype}")
    if dtype is not None and a.dtype != dtype:
        raise TypeError(f"{name} has dtype {a.dtype} but the other arrays are {dtype}; "
                        f"convert them to one dtype first")
    if a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {a.shape}")
    if not (a.flags.c_contiguous and a.flags.aligned):
        # a copy, contiguous and aligned as the kernels read it (an array on a buffer
        # at an odd offset is contiguous but not aligned; ascontiguousarray keeps it)
        a = np.array(a, order="C")
    if not all_finite(a):
        raise ValueError(f"{name} contains NaN or infinity")
    return a


def expect_shape(name, a, shape):
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")


def check_index(name, value, low=0, high=None, optional=False):
    """`value` as an int in [low, high] (sizes, counts); numpy integers are fine; None
    stays None when `optional`."""
    if value is None and optional:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got bool")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} "
                        f"({value!r})") from None
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_number(name, value, low=None, high=None, above=None, below=None):
    """`value` as a finite float (numpy scalars are fine) with low <= value <= high,
    value > above and value < below, each bound when given."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} ({value!r})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    if above is not None and value <= above:
        raise ValueError(f"{name} must be > {above}, got {value}")
    if below is not None and value >= below:
        raise ValueError(f"{name} must be < {below}, got {value}")
    return value


def inplace_array(name, a, dtype=None, shape=None):
    """An array a kernel updates in place: a C-contiguous, writeable, finite float32 or
    float64 numpy array (of `dtype` and `shape` when given); it is never copied."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array (it is updated in place), got "
                        f"{type(a).__name__}")
    if a.dtype not in _FLOAT_DTYPES or (dtype is not None and a.dtype != dtype):
        want = "float32 or float64" if dtype is None else np.dtype(dtype).name
        raise TypeError(f"{name} must have dtype {want}, got {a.dtype}")
    if shape is not None and a.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {a.shape}")
    if not (a.flags.c_contiguous and a.flags.writeable):
        raise ValueError(f"{name} must be C-contiguous and writeable (it is updated in place)")
    if not all_finite(a):
        raise ValueError(f"{name} contains NaN or infinity")
    return a


def index_array(name, a, ndim, size):
    """Integer indices into a table of `size` rows, as a C-contiguous int32 array."""
    a = np.asarray(a)
    if a.dtype.kind not in "iu":
        if a.size == 0 and a.dtype.kind == "f":  # np.asarray([]) is float64
            a = a.astype(np.int32)
        else:
            raise TypeError(f"{name} must hold integers, got dtype {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {a.shape}")
    if a.size and (a.min() < 0 or a.max() >= size):
        raise ValueError(f"{name} must lie in 0..{size - 1}, got values from {a.min()} to "
                         f"{a.max()}")
    return np.ascontiguousarray(a, dtype=np.int32)
