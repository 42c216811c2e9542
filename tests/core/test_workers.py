"""The worker layer: errors, stops and Ctrl-C reach every thread, and none outlives run()."""

import threading
import time

import pytest

from rnnfast._core import pool
from rnnfast.embeddings.batches import id_batches


def spin_until_stopped(stop, log, name):
    def go():
        while not stop.is_set():
            time.sleep(0.001)
        log.append(name)
    return go


def test_an_error_stops_the_others_and_is_raised_after_they_end():
    stop, log = pool.StopFlag(), []

    def fails():
        time.sleep(0.05)
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        pool.run([spin_until_stopped(stop, log, "a"), fails,
                  spin_until_stopped(stop, log, "b")], stop)
    assert sorted(log) == ["a", "b"] and stop.is_set()


def test_ctrl_c_sets_the_flag_and_joins_every_worker():
    stop, log = pool.StopFlag(), []
    polls = []

    def poll():
        polls.append(1)
        if len(polls) == 3:
            raise KeyboardInterrupt  # as a SIGINT arriving in the calling thread

    before = threading.active_count()
    with pytest.raises(KeyboardInterrupt):
        pool.run([spin_until_stopped(stop, log, "a"), spin_until_stopped(stop, log, "b")],
                 stop, poll)
    assert sorted(log) == ["a", "b"]  # both saw the flag and returned before run() did
    assert threading.active_count() == before


def test_feed_hands_every_job_once_and_finishes_each_worker():
    seen, finished = [], []
    lock = threading.Lock()

    def consume(worker, job):
        with lock:
            seen.append(job)

    pool.feed(range(1000), consume, 3, finish=finished.append)
    assert sorted(seen) == list(range(1000)) and sorted(finished) == [0, 1, 2]


def test_feed_drains_after_a_consumer_fails():
    def consume(worker, job):
        if job == 5:
            raise ValueError("bad job")

    before = threading.active_count()
    with pytest.raises(ValueError, match="bad job"):
        pool.feed(range(10_000), consume, 2, finish=lambda w: None)
    assert threading.active_count() == before


def test_feed_reraises_the_producers_error_and_skips_finish():
    def jobs():
        yield 1
        raise TypeError("not a sentence")

    finished = []
    with pytest.raises(TypeError, match="not a sentence"):
        pool.feed(jobs(), lambda w, j: None, 2, finish=finished.append)
    assert finished == []


def test_id_batches_cut_long_sentences_and_count_raw_tokens():
    key_to_index = {"a": 0, "b": 1}
    batches = list(id_batches([["a", "x", "b"] * 3, ["x"], ["b"]], key_to_index, 4, 4))
    assert len(batches) == 2  # 9 tokens reach batch_words, then the rest
    ids, ends, raw_ends, raw = batches[0]
    assert ids.tolist() == [0, 1, 0, 1, 0, 1]
    assert ends.tolist() == [3, 5, 6] and raw_ends.tolist() == [4, 8, 9] and raw == 9
    ids, ends, raw_ends, raw = batches[1]
    assert ids.tolist() == [1] and ends.tolist() == [0, 1] and raw_ends.tolist() == [1, 2]
    with pytest.raises(TypeError, match="list of str tokens"):
        list(id_batches(["a b"], key_to_index, 4, 4))


def test_check_workers():
    assert pool.check_workers(None) == pool.default_workers() >= 1
    with pytest.raises(ValueError, match="workers must be >= 1"):
        pool.check_workers(0)
    with pytest.raises(TypeError, match="workers must be an integer"):
        pool.check_workers(1.5)
