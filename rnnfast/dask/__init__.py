"""Embeddings past one machine, on a Dask cluster: vocabulary and co-occurrences
counted over shards of a corpus (`counting`), GloVe trained by stratified blocks
(`glove`), Word2Vec trained on replicas that combine the rows they touch (`word2vec`).

`pip install "rnnfast[dask]"`. A corpus is one or more text files (paths, globs or
fsspec URLs such as ``s3://bucket/corpus/*.txt``), one sentence per line. Plain
files are cut into newline-aligned byte ranges by the rule of ``corpus_file``
training (a line belongs to the range it starts in); a compressed file is one
shard. Each shard is counted by the same C code as on one machine, inside a Dask
task; partial results are partitioned by a hash of the word (vocabulary) or by a
permutation of the rows (co-occurrences) and reduced on the workers, so only the
kept vocabulary comes back to the client, and the co-occurrences go straight to
files. Both results equal the one-machine ones exactly (see `build_vocab` and
`cooccurrence`).

``client=None`` starts a local cluster (one worker process per core) for the call
and closes it after. Dask retries a task whose worker died; shard tasks are pure
functions of their byte range, so a retried task gives the same counts.
"""

from rnnfast.dask._files import SHARD_BYTES, shards
from rnnfast.dask.counting import BlockedCooccurrence, build_vocab, cooccurrence, \
    load_blocked_cooccurrence
from rnnfast.dask.glove import GloVe
from rnnfast.dask.word2vec import Word2Vec

__all__ = ["shards", "build_vocab", "cooccurrence", "BlockedCooccurrence",
           "load_blocked_cooccurrence", "GloVe", "Word2Vec", "SHARD_BYTES"]
