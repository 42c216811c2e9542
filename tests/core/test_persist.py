"""Saved files: kind and format version checked on load, every model through one module."""

import json
import zipfile

import numpy as np
import pytest

from rnnfast import GloVe, KeyedVectors, RNNRegressor, Word2Vec
from rnnfast._core import persist


def test_round_trip_and_kind_and_version_checks(tmp_path):
    path = tmp_path / "m.npz"
    persist.save(path, "rnnfast.Thing", 2, {"answer": 42}, {"a": np.arange(3)})
    with persist.load(path, "rnnfast.Thing", 2) as (data, meta):
        assert meta["answer"] == 42 and meta["version"] == 2
        assert data["a"].tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="not a saved rnnfast.Other .it holds 'rnnfast.Thing'"):
        with persist.load(path, "rnnfast.Other", 2):
            pass
    with pytest.raises(ValueError, match="format version 2, newer than this rnnfast reads .1."):
        with persist.load(path, "rnnfast.Thing", 1):
            pass
    with pytest.raises(ValueError, match="has no array 'b'"):
        with persist.load(path, "rnnfast.Thing", 2) as (data, _):
            data["b"]


def test_unreadable_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        with persist.load(tmp_path / "none.npz", "rnnfast.Thing", 1):
            pass
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file at all")
    with pytest.raises(ValueError, match="not a readable rnnfast.Thing file"):
        with persist.load(junk, "rnnfast.Thing", 1):
            pass
    no_version = tmp_path / "nv.npz"
    np.savez(no_version, meta=np.array(json.dumps({"kind": "rnnfast.Thing"})))
    with pytest.raises(ValueError, match="no valid format version"):
        with persist.load(no_version, "rnnfast.Thing", 1):
            pass


def save_each_model(tmp_path):
    """A saved file of every model kind, made small."""
    quiet = {"progress": lambda s: None}
    sentences = [["a", "b", "c", "a", "b"]] * 20
    paths = {}
    w2v = Word2Vec(sentences, vector_size=4, min_count=1, epochs=1, workers=1, **quiet)
    paths[Word2Vec] = tmp_path / "w2v.npz"
    w2v.save(paths[Word2Vec])
    paths[KeyedVectors] = tmp_path / "kv.npz"
    w2v.wv.save(paths[KeyedVectors])
    paths[GloVe] = tmp_path / "glove.npz"
    GloVe(vector_size=4, min_count=1, epochs=1, workers=1, **quiet).fit(sentences).save(
        paths[GloVe])
    paths[RNNRegressor] = tmp_path / "rnn.npz"
    RNNRegressor(hidden_size=3, epochs=1).fit(np.ones((4, 2, 1)), np.arange(4.0)).save(
        paths[RNNRegressor])
    return paths


def test_every_model_refuses_a_newer_version(tmp_path):
    for cls, path in save_each_model(tmp_path).items():
        cls.load(path)  # as saved: fine
        newer = tmp_path / f"newer-{path.name}"
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(newer, "w") as dst:
            for item in src.namelist():
                data = src.read(item)
                if item == "meta.npy":
                    meta = json.loads(str(np.load(path)["meta"]))
                    meta["version"] += 1
                    buffer = tmp_path / "meta.npy"
                    np.save(buffer, np.array(json.dumps(meta)))
                    data = buffer.read_bytes()
                dst.writestr(item, data)
        with pytest.raises(ValueError, match="upgrade rnnfast"):
            cls.load(newer)
        with pytest.raises(ValueError, match="not a saved"):
            (KeyedVectors if cls is not KeyedVectors else Word2Vec).load(path)
