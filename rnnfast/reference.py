"""Plain NumPy twins of every compiled kernel, same names and signatures:
`rnnfast.rnn.reference` and `rnnfast.embeddings.reference` in one namespace."""

from rnnfast.embeddings import reference as _embeddings
from rnnfast.embeddings.reference import *  # noqa: F401,F403
from rnnfast.rnn import reference as _rnn
from rnnfast.rnn.reference import *  # noqa: F401,F403

__all__ = [*_rnn.__all__, *_embeddings.__all__]
