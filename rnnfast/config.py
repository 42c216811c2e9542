"""What this installation runs on: versions, the CPU and the kernels' vector paths."""

import os
import platform

__all__ = ["config", "show_config"]


def _cpu_model():
    """The CPU's model name as the OS reports it (lscpu's "Model name" on Linux)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def config():
    """{item: value (str)}: rnnfast's, Python's, numpy's and scipy's versions, the CPU,
    the cores, and the vector path of the recurrent products and of the other kernels
    ("avx512", "avx2", "sse2" or "portable"; RNNFAST_SIMD=avx2 picks the 8-wide path)."""
    import numpy
    import scipy

    from rnnfast import __version__
    from rnnfast.rnn import _rnn
    return {"rnnfast": __version__, "python": platform.python_version(),
            "numpy": numpy.__version__, "scipy": scipy.__version__, "cpu": _cpu_model(),
            "cores": str(os.cpu_count()), "recurrent products": _rnn.simd_path(),
            "other kernels": _rnn.clone_path()}


def show_config():
    """Print config(), one item a line."""
    items = config()
    width = max(map(len, items))
    for name, value in items.items():
        print(f"{name + ':':<{width + 1}} {value}")
