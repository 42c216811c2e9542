"""Save one file of each kind with the build on PYTHONPATH, and what it gives."""
import sys
import numpy as np
from rnnfast import GloVe, RNNClassifier, RNNSequenceTagger, Word2Vec
from rnnfast.datasets import toy_corpus
out = sys.argv[1]
sentences = toy_corpus()[:300]
w2v = Word2Vec(sentences, vector_size=8, min_count=1, epochs=1, workers=1, seed=1)
w2v.save(f"{out}/word2vec.npz")
w2v.wv.save(f"{out}/vectors.kv.npz")
g = GloVe(vector_size=6, epochs=2, workers=1, seed=2, checkpoint=f"{out}/glove.ckpt.npz")
g.fit(sentences)
rng = np.random.default_rng(0)
X = [rng.standard_normal((n, 3)).astype(np.float32) for n in rng.integers(1, 6, 24)]
clf = RNNClassifier(hidden_size=4, epochs=2, num_layers=2, bidirectional=True, pooling="mean",
                    random_state=0).fit(X, rng.integers(0, 3, 24))
clf.save(f"{out}/classifier.npz")
tagger = RNNSequenceTagger(hidden_size=3, epochs=1, random_state=0).fit(
    X, [rng.integers(0, 2, len(s)) for s in X])
tagger.save(f"{out}/tagger.npz")
probe = X[:5]
np.savez(f"{out}/expected.npz", w2v_king=w2v.wv["king"], kv_queen=w2v.wv["queen"], glove_W=g.state_["W"],
         proba=clf.predict_proba(probe), tags=np.concatenate(tagger.predict_proba(probe)))
np.savez(f"{out}/probe.npz", *probe)
