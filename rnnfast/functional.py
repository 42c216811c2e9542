"""The compiled kernels of every family, with the signatures of `rnnfast.reference`:
`rnnfast.rnn.functional` and `rnnfast.embeddings.functional` in one namespace."""

from rnnfast.embeddings import functional as _embeddings
from rnnfast.embeddings.functional import *  # noqa: F401,F403
from rnnfast.rnn import functional as _rnn
from rnnfast.rnn.functional import *  # noqa: F401,F403

__all__ = [*_rnn.__all__, *_embeddings.__all__]
