"""The Dask side of rnnfast.dask: the client, and the runners that submit tasks to a
cluster or run them here (the in-process reference a cluster run must equal)."""

import contextlib


@contextlib.contextmanager
def _cluster(client):
    """The client to use: the one given, or a local cluster's for the call."""
    try:
        import distributed
    except ImportError:
        raise ImportError('rnnfast.dask needs dask.distributed: pip install "rnnfast[dask]"') \
            from None
    if client is not None:
        if not isinstance(client, distributed.Client):
            raise TypeError(f"client must be a dask.distributed.Client or None, got "
                            f"{type(client).__name__}")
        yield client
        return
    with distributed.LocalCluster(processes=True, threads_per_worker=1,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as own:
        yield own


def _n_workers(client):
    return max(1, len(client.scheduler_info()["workers"]))


def _aligned(a):
    """`a`, or an aligned copy: an array that travelled between processes may be a view
    of a byte buffer at any offset, which the C kernels must not read."""
    return a if a.ctypes.data % 8 == 0 else a.copy()


def _pick(result, i):
    """Part i of a shard task's partitioned result (a task of its own, run where the
    result lives, so that each reducer fetches only its part)."""
    return result[0][i]


def _lost_worker(error):
    """Whether an error is Dask's for a task whose worker (or data) was lost."""
    import concurrent.futures
    from distributed.scheduler import KilledWorker
    return isinstance(error, (KilledWorker, concurrent.futures.CancelledError)) or \
        type(error).__name__ in ("FutureCancelledError", "CancelledError")


def _item(result, i):
    return result[i]


class _InProcess:
    """Runs the schedule's tasks here, one after another: the reference the cluster's
    run must equal bit for bit."""

    def submit(self, fn, *args, where=None):
        return fn(*args)

    def put(self, value, where=None):
        return value

    def gather(self, values):
        return values

    def as_completed(self, values):
        return iter(values)


class _OnCluster:
    def __init__(self, client):
        self.client = client

    def submit(self, fn, *args, where=None):
        """A task, run on worker `where` (an address) and nowhere else: the data it
        changes in place lives there, and a copy moved to another worker (as work
        stealing does to loosely placed tasks on a busy worker) would be trained apart
        from it. If that worker is lost, so is its data, and the task is cancelled."""
        if where is None:
            return self.client.submit(fn, *args, pure=False)
        return self.client.submit(fn, *args, pure=False, workers=[where],
                                  allow_other_workers=False)

    def put(self, value, where=None):
        """Data sent to the workers once (not inside every task that reads it); to
        worker `where` only if given."""
        # in a list: a scattered dict would become one future per key, named by the key
        return self.client.scatter([value], hash=False,
                                   workers=None if where is None else [where])[0]

    def as_completed(self, futures):
        """The futures' results as they come; a lost or failed task raises."""
        from distributed import as_completed
        # not with_results=True: that yields a cancelled future's error as its result
        for future in as_completed(futures):
            yield future.result()

    def gather(self, futures):
        return self.client.gather(futures)

