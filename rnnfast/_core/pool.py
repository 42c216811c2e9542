"""The one worker layer: threads that run GIL-free kernels, stopped together.

Every long job (vocabulary and co-occurrence counting, Word2Vec and GloVe epochs,
the RNN's `n_jobs` split) runs its kernels through `run`. A `StopFlag` is a C int
the kernels poll between units of work (a sentence, a block of ids or of pairs),
so that one flag stops them all within milliseconds. `run`:
  * calls `poll` in the caller's thread while the workers go (progress reports);
  * stops every worker when one raises, joins them, and re-raises that error;
  * on Ctrl-C sets the flag, joins every worker, then re-raises KeyboardInterrupt,
    so the caller's `finally` blocks clean up with no thread still writing.
`feed` adds one producer thread that hands jobs from a Python iterable to the
workers through a bounded queue.
"""

import os
import queue
import threading

import numpy as np

from rnnfast._core.checks import check_index

__all__ = ["StopFlag", "run", "feed", "default_workers", "check_workers"]

# Seconds between two `poll` calls; also how often a waiting thread looks at the flag.
POLL_INTERVAL = 0.1


def default_workers():
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def check_workers(workers):
    """The `workers` argument: None means every core this process may use."""
    return default_workers() if workers is None else check_index("workers", workers, low=1)


class StopFlag:
    """A flag the C loops read: `array` is a (1,) C int, non-zero once stopped."""

    def __init__(self):
        self.array = np.zeros(1, np.intc)

    def set(self):
        self.array[0] = 1

    def is_set(self):
        return bool(self.array[0])


def run(targets, stop=None, poll=None):
    """Run each callable of `targets` in a thread of its own until all have returned.

    stop: the StopFlag the targets' kernels read (a fresh one by default); it is set
    when a target raises or on Ctrl-C. poll: called about every POLL_INTERVAL s in
    this thread while the targets run. Re-raises the first target's error."""
    stop = StopFlag() if stop is None else stop
    errors = []

    def guarded(target):
        def go():
            try:
                target()
            except BaseException as e:  # noqa: BLE001 - handed to the calling thread
                errors.append(e)
                stop.set()
        return go

    threads = [threading.Thread(target=guarded(t), daemon=True) for t in targets]
    try:
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(POLL_INTERVAL)
                if poll is not None and not errors:
                    poll()
    except BaseException:
        stop.set()
        for t in threads:
            if t.ident is not None:
                t.join()
        raise
    if errors:
        raise errors[0]


def feed(jobs, consume, workers, stop=None, poll=None, finish=None):
    """Hand the items of `jobs` (an iterable, read in a producer thread) to `workers`
    threads: consume(worker, job) for each; then finish(worker), if given, once per
    worker after its last job. Errors and Ctrl-C are handled as in `run`."""
    stop = StopFlag() if stop is None else stop
    pending = queue.Queue(maxsize=2 * workers)

    def produce():
        try:
            for job in jobs:
                while not stop.is_set():
                    try:
                        pending.put(job, timeout=POLL_INTERVAL)
                        break
                    except queue.Full:
                        pass
                if stop.is_set():
                    return
        except BaseException:
            stop.set()  # before the consumers see their end marker, so none calls finish
            raise
        finally:
            for _ in range(workers):
                pending.put(None)  # never blocks long: consumers drain until their None

    def consumer(worker):
        def go():
            failed = None
            while (job := pending.get()) is not None:
                if failed is None and not stop.is_set():
                    try:
                        consume(worker, job)
                    except BaseException as e:  # noqa: BLE001 - re-raised after draining
                        failed = e
                        stop.set()
            if failed is not None:
                raise failed
            if finish is not None and not stop.is_set():
                finish(worker)
        return go

    run([produce] + [consumer(w) for w in range(workers)], stop, poll)
