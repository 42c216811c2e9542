"""Build the Cython kernels.

Environment switches (for local builds; wheels use the defaults):
  RNNFAST_DEBUG=1   bounds and wraparound checks on, -O0 -g, asserts kept
  RNNFAST_MARCH=X   add -march=X, e.g. RNNFAST_MARCH=native for this CPU only
                    (not portable: never for wheels)
  RNNFAST_PORTABLE=1  the plain C paths other compilers take (no GCC vector
                    extensions, builtins or clones), to test them here
  RNNFAST_SANITIZE=1  AddressSanitizer and UndefinedBehaviorSanitizer (run Python
                    with the ASan runtime preloaded: tools/check_sanitizers.sh)
"""

import os
import sys

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("RNNFAST_DEBUG", "0") == "1"
MARCH = os.environ.get("RNNFAST_MARCH", "")
PORTABLE = os.environ.get("RNNFAST_PORTABLE", "0") == "1"
SANITIZE = os.environ.get("RNNFAST_SANITIZE", "0") == "1"

# The one place where Cython directives are set.
DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,
    "embedsignature": True,
}

if sys.platform == "win32":
    COMPILE_ARGS = ["/Od", "/Zi"] if DEBUG else ["/O2"]
else:
    COMPILE_ARGS = ["-O0", "-g", "-UNDEBUG"] if DEBUG else ["-O3"]
    # no kernel reads errno; without this flag sqrtf cannot be vectorised
    COMPILE_ARGS.append("-fno-math-errno")
    if MARCH:
        COMPILE_ARGS.append(f"-march={MARCH}")
    if SANITIZE:
        COMPILE_ARGS += ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g"]
LINK_ARGS = ["-fsanitize=address,undefined"] if SANITIZE and sys.platform != "win32" else []
MACROS = [("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")] + ([("RF_PORTABLE", "1")]
                                                             if PORTABLE else [])

C_HELPERS = ["csrc/rf_loops.c"]


def kernel(name, extra_sources=()):
    """The extension rnnfast.<name>, name dotted from the package (e.g. "rnn._rnn")."""
    return Extension(
        f"rnnfast.{name}",
        sources=[f"rnnfast/{name.replace('.', '/')}.pyx", *C_HELPERS, *extra_sources],
        include_dirs=["csrc", numpy.get_include()],
        define_macros=MACROS,
        extra_compile_args=COMPILE_ARGS,
        extra_link_args=LINK_ARGS,
    )


setup(
    ext_modules=cythonize(
        [kernel("_core._finite"), kernel("rnn._arrays"), kernel("rnn._rnn"), kernel("rnn._optim"),
         kernel("embeddings._vocab", ["csrc/rf_vocab.c"]),
         kernel("embeddings._sgns", ["csrc/rf_sgns.c", "csrc/rf_vocab.c"]),
         kernel("embeddings._glove", ["csrc/rf_glove.c", "csrc/rf_vocab.c"])],
        compiler_directives=DIRECTIVES,
    ),
)
