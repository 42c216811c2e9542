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


def test_mmap_maps_the_saved_arrays(tmp_path):
    """mmap="r" maps each array read-only from the file, "c" copy-on-write (the file is
    unchanged), None reads them; a mode that would write the file is refused."""
    path = tmp_path / "m.npz"
    arrays = {"a": np.arange(12.0).reshape(3, 4), "f": np.asfortranarray(np.ones((2, 3))),
              "e": np.zeros((0, 5), np.float32), "w": np.array(["x", "yz"])}
    persist.save(path, "rnnfast.Thing", 1, {}, arrays)
    before = path.read_bytes()
    for mmap in (None, "r", "c"):
        with persist.load(path, "rnnfast.Thing", 1, mmap=mmap) as (data, _):
            got = {name: data[name] for name in arrays}
        for name, a in arrays.items():
            assert got[name].dtype == a.dtype and np.array_equal(got[name], a)
        mapped = isinstance(got["a"].base, np.memmap)
        assert mapped == (mmap is not None)
        assert got["a"].flags.writeable == (mmap != "r")
        if mmap == "c":
            got["a"][0, 0] = 99.0
    assert path.read_bytes() == before
    for bad in ("r+", "w+", "x", 1):
        with pytest.raises(ValueError, match="mmap"):
            with persist.load(path, "rnnfast.Thing", 1, mmap=bad):
                pass


def test_mmap_refuses_what_cannot_be_mapped(tmp_path):
    """A member stored compressed, or whose header claims more than the archive holds
    for it, is a ValueError naming the file and the member, not a wrong mapping."""
    path = tmp_path / "deflated.npz"
    np.savez_compressed(path, meta=np.array(json.dumps({"kind": "rnnfast.Thing",
                                                        "version": 1})), a=np.arange(9.0))
    with pytest.raises(ValueError, match="stores 'a' compressed"):
        with persist.load(path, "rnnfast.Thing", 1, mmap="r") as (data, _):
            data["a"]
    with persist.load(path, "rnnfast.Thing", 1) as (data, _):
        assert data["a"].tolist() == list(range(9))
    lying = tmp_path / "lying.npz"
    persist.save(lying, "rnnfast.Thing", 1, {}, {"a": np.arange(4.0)})
    raw = lying.read_bytes()
    claim = b"'shape': (4,)"
    assert raw.count(claim) == 1
    lying.write_bytes(raw.replace(claim, b"'shape': (9,)"))
    with pytest.raises(ValueError, match="'a' claims shape \\(9,\\)"):
        with persist.load(lying, "rnnfast.Thing", 1, mmap="r") as (data, _):
            data["a"]


@pytest.mark.parametrize("suffix, magic", [(".gz", b"\x1f\x8b"), (".bz2", b"BZh"),
                                           (".xz", b"\xfd7zXZ\x00")])
def test_a_compressed_name_is_compressed(tmp_path, suffix, magic):
    """Every model saved under a .gz, .bz2 or .xz name is compressed so, and loads back
    the same; such a file cannot be memory-mapped (a clear error); a damaged one is a
    ValueError naming it."""
    plain = save_each_model(tmp_path)
    for cls, path in plain.items():
        packed = tmp_path / (path.stem + suffix)
        cls.load(path).save(packed)
        assert packed.read_bytes().startswith(magic)
        assert packed.stat().st_size < path.stat().st_size
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
        again = tmp_path / f"again-{path.name}"
        cls.load(packed).save(again)
        for name in names:
            if name != "meta.npy":
                assert np.array_equal(np.load(again)[name[:-4]], np.load(path)[name[:-4]])
    kv = tmp_path / ("kv" + suffix)
    with pytest.raises(ValueError, match="compressed and cannot be memory-mapped"):
        KeyedVectors.load(kv, mmap="r")
    cut = tmp_path / ("cut" + suffix)
    cut.write_bytes(kv.read_bytes()[:-20])
    with pytest.raises(ValueError, match="not a readable rnnfast.KeyedVectors file"):
        KeyedVectors.load(cut)


def test_a_member_at_an_odd_address_is_read_aligned(tmp_path):
    """np.savez puts a member's data wherever the headers end; one at an address its
    dtype cannot be read from is given as an aligned copy (same values, same modes)."""
    for pad in range(4):   # the metadata's length moves the next member's offset
        path = tmp_path / f"m{pad}.npz"
        persist.save(path, "rnnfast.Thing", 1, {"pad": "x" * pad},
                     {"a": np.arange(12, dtype=np.float32).reshape(3, 4)})
        for mmap in ("r", "c"):
            with persist.load(path, "rnnfast.Thing", 1, mmap=mmap) as (data, _):
                a = data["a"]
            assert a.flags.aligned and a.tolist() == np.arange(12).reshape(3, 4).tolist()
            assert a.flags.writeable == (mmap == "c")
