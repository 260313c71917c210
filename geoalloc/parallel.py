"""One executor seam for the whole library: map a function over items serially, in local processes
or on Dask distributed.

Every parallel step in geoalloc goes through :func:`run_map`, so a backend is added here once.
Results come back in the order of ``items`` whatever the backend, so a run gives the same answer on
each; :func:`run_each` hands each result to a callback as it arrives instead, for outputs too large
to hold twice. The heavy steps are plain, picklable, module-level functions over arrays (no module globals):

- ``"serial"``: a loop in this process;
- ``"processes"``: a :class:`concurrent.futures.ProcessPoolExecutor` on this machine;
- ``"dask"``: a Dask ``distributed`` cluster — a :class:`distributed.LocalCluster` started for the
  call, an existing scheduler given by its address (``"tcp://host:8786"``) or an open
  :class:`distributed.Client`. Tasks whose worker dies are re-run elsewhere by the scheduler.

A large argument common to every call (a road graph's arrays, the travel matrix of a sweep) is
passed once as ``shared``: ``fn(item, shared)`` is called for each item, and ``shared`` is sent to
each worker once (scattered with ``broadcast=True`` on Dask, handed to each process at start-up on
``"processes"``) rather than pickled into every task.

The travel engine's shortest-path trees (:func:`geoalloc.travel.travel_matrix`, kernel
:func:`geoalloc.travel._kernel.run_trees`) and a sweep's variants (:mod:`geoalloc.runs.sweep`) are mapped
through here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, model_validator

from geoalloc._errors import InputError
from geoalloc._validate import SECTION_CONFIG

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
Executor = Literal["serial", "processes", "dask"]
EXECUTORS: tuple[str, ...] = ("serial", "processes", "dask")
DASK_HINT = 'pip install "dask[distributed]"  (or: pip install "geoalloc[dask]")'

#: how many times Dask re-runs a task that raised (a task whose *worker died* is re-run by the
#: scheduler anyway, up to ``distributed.scheduler.allowed-failures`` times).
DASK_RETRIES = 2
#: how long to wait for an existing scheduler to answer.
CONNECT_TIMEOUT = "10s"

_NOTHING = object()


class ComputeOptions(BaseModel):
    """The ``[compute]`` section of a scenario file: where the heavy steps run.

    ``executor = "serial"`` runs everything in this process; ``"processes"`` uses ``workers`` local
    processes; ``"dask"`` uses a Dask cluster — a LocalCluster of ``workers`` processes started for
    the run, or the existing cluster whose scheduler is at ``scheduler`` (e.g.
    ``"tcp://10.0.0.5:8786"``).
    """

    model_config = SECTION_CONFIG

    executor: Executor = "serial"
    workers: int | None = Field(
        None, ge=1, description="processes / LocalCluster workers (default: usable cores)"
    )
    scheduler: str | None = Field(
        None, description="address of an existing Dask scheduler (executor = 'dask' only)"
    )

    @model_validator(mode="after")
    def _scheduler_needs_dask(self) -> ComputeOptions:
        if self.scheduler is not None and self.executor != "dask":
            msg = f"scheduler is only used with executor = 'dask' (executor is {self.executor!r})"
            raise ValueError(msg)
        return self

    def map_options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`run_map` for these options."""
        return {"executor": self.executor, "workers": self.workers, "scheduler": self.scheduler}


def default_workers() -> int:
    """Usable CPU cores of this process (respects CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def chunked(items: Sequence[T], n_chunks: int) -> list[Sequence[T]]:
    """Split ``items`` into at most ``n_chunks`` contiguous, nearly equal, non-empty slices."""
    n_chunks = max(1, min(n_chunks, len(items)))
    size, extra = divmod(len(items), n_chunks)
    out, start = [], 0
    for i in range(n_chunks):
        stop = start + size + (1 if i < extra else 0)
        out.append(items[start:stop])
        start = stop
    return out


def import_distributed():
    """The ``distributed`` module, or an :class:`InputError` saying exactly what to install."""
    try:
        import distributed
    except ImportError:
        msg = f"executor 'dask' needs Dask distributed, which is not installed — {DASK_HINT}"
        raise InputError(msg) from None
    return distributed


@contextlib.contextmanager
def dask_client(scheduler: Any = None, workers: int | None = None) -> Iterator[Any]:
    """A :class:`distributed.Client` for the duration of a ``with`` block.

    Parameters
    ----------
    scheduler
        ``None``: start a :class:`distributed.LocalCluster` of ``workers`` single-threaded worker
        processes (closed on exit). A string: the address of an existing scheduler (the client is
        closed on exit, the cluster is left running). A ``Client``: used as is, left open.
    workers
        Worker processes of the LocalCluster (default: the usable cores).
    """
    distributed = import_distributed()
    if isinstance(scheduler, distributed.Client):
        yield scheduler
        return
    if scheduler is not None:
        try:
            client = distributed.Client(str(scheduler), timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            msg = (
                f"could not connect to the Dask scheduler at {scheduler!r}: {exc} — check the "
                "address ([compute] scheduler) and that the scheduler is running"
            )
            raise InputError(msg) from None
        with client:
            log.info("dask: connected to %s", scheduler)
            yield client
        return
    n = workers or default_workers()
    cluster = distributed.LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: 8787 may be taken by another cluster
        silence_logs=logging.ERROR,
    )
    log.info("dask: started a LocalCluster of %d worker processes", n)
    with cluster, distributed.Client(cluster) as client:
        yield client


class _Progress:
    """Progress of a map on stderr: a tqdm bar on a terminal, else INFO log lines every ~10 %."""

    def __init__(self, total: int, desc: str | None) -> None:
        self.total, self.desc, self.done = total, desc or "tasks", 0
        self.started = time.perf_counter()
        from tqdm.auto import tqdm  # here: importing it costs ~0.1 s, a bar is drawn only by a map

        show = desc is not None and sys.stderr.isatty()
        self.bar = tqdm(total=total, desc=desc, disable=not show, file=sys.stderr, leave=False)
        self.step = max(1, total // 10)

    def update(self) -> None:
        self.done += 1
        self.bar.update()
        if self.done % self.step == 0 or self.done == self.total:
            log.info(
                "%s: %d/%d done (%.1f s)",
                self.desc,
                self.done,
                self.total,
                time.perf_counter() - self.started,
            )

    def close(self) -> None:
        self.bar.close()


# the shared argument of the processes of one ProcessPoolExecutor, set once by their initializer
_process_shared: list[Any] = []


def _set_process_shared(shared: Any) -> None:
    _process_shared[:] = [shared]


def _call_with_process_shared(fn: Callable, item: Any) -> Any:
    return fn(item, _process_shared[0])


def run_map(
    fn: Callable[..., R],
    items: Iterable[Any],
    *,
    executor: Executor = "serial",
    workers: int | None = None,
    desc: str | None = None,
    scheduler: Any = None,
    shared: Any = _NOTHING,
    retries: int = DASK_RETRIES,
    on_done: Callable[[int], None] | None = None,
) -> list[R]:
    """``[fn(item) for item in items]`` (or ``fn(item, shared)``), in that order, on an executor.

    Parameters
    ----------
    fn
        A picklable, module-level function (for ``"processes"`` and ``"dask"``; on Dask the workers
        import it, so they need the same geoalloc version).
    items
        The work items, each picklable.
    executor
        ``"serial"``, ``"processes"`` or ``"dask"``.
    workers
        Processes (``"processes"``) or LocalCluster workers (``"dask"`` without ``scheduler``);
        default: the usable cores. Ignored for ``"serial"`` and for an existing Dask cluster.
    desc
        If given, a progress bar with this label on stderr (on a terminal), and INFO log lines.
    scheduler
        ``"dask"`` only: ``None`` (a LocalCluster for this call), a scheduler address, or an open
        ``distributed.Client`` (reuse one cluster across calls).
    shared
        If given, ``fn(item, shared)`` is called, and ``shared`` is sent to each worker once.
    retries
        ``"dask"`` only: re-runs of a task that raised before its error is final.
    on_done
        Called in this process with the position of each item as its task finishes (any order).

    Returns
    -------
    list
        One result per item, in the order of ``items``. The first task error is raised as is.
    """
    items = list(items)
    results: list[Any] = [None] * len(items)

    def keep(i: int, result: Any) -> None:
        results[i] = result
        if on_done is not None:
            on_done(i)

    run_each(
        fn,
        items,
        keep,
        executor=executor,
        workers=workers,
        desc=desc,
        scheduler=scheduler,
        shared=shared,
        retries=retries,
    )
    return results


def run_each(
    fn: Callable[..., R],
    items: Iterable[Any],
    on_result: Callable[[int, R], None],
    *,
    executor: Executor = "serial",
    workers: int | None = None,
    desc: str | None = None,
    scheduler: Any = None,
    shared: Any = _NOTHING,
    retries: int = DASK_RETRIES,
) -> None:
    """:func:`run_map`, but each result is handed to ``on_result(position, result)`` in this
    process as soon as its task finishes (any order) and not kept: the caller folds results in as
    they come, so they never all sit in memory at once (large outputs, e.g. routing pairs).

    The parameters are those of :func:`run_map`. The first task error is raised as is; tasks not
    started yet are then cancelled.
    """
    items = list(items)
    if executor not in EXECUTORS:
        msg = f"executor {executor!r} is not one of {', '.join(EXECUTORS)}"
        raise ValueError(msg)
    if scheduler is not None and executor != "dask":
        msg = f"a scheduler is only used with executor 'dask', not {executor!r}"
        raise ValueError(msg)
    if not items:
        return
    has_shared = shared is not _NOTHING
    progress = _Progress(len(items), desc)
    try:
        if executor == "serial" or (executor == "processes" and len(items) <= 1):
            for i, item in enumerate(items):
                result = fn(item, shared) if has_shared else fn(item)
                progress.update()
                on_result(i, result)
        elif executor == "processes":
            _process_map(fn, items, shared, workers, progress, on_result)
        else:
            _dask_map(fn, items, shared, workers, scheduler, retries, progress, on_result)
    finally:
        progress.close()


def _process_map(fn, items, shared, workers, progress: _Progress, on_result) -> None:
    n = min(workers or default_workers(), len(items))
    log.debug("run_map: %d items over %d processes", len(items), n)
    if shared is _NOTHING:
        pool = ProcessPoolExecutor(max_workers=n)
        calls = [(fn, item) for item in items]
    else:  # each process gets ``shared`` once, at start-up
        pool = ProcessPoolExecutor(
            max_workers=n, initializer=_set_process_shared, initargs=(shared,)
        )
        calls = [(_call_with_process_shared, fn, item) for item in items]
    with pool:
        futures: list[Any] = [pool.submit(*call) for call in calls]
        position = {future: i for i, future in enumerate(futures)}
        for future in as_completed(futures):
            error = future.exception()
            if error is not None:
                for other in futures:
                    if other is not None:
                        other.cancel()
                raise error
            progress.update()
            i = position.pop(future)
            futures[i] = None  # the result is the caller's now: nothing here holds it
            on_result(i, future.result())


def _dask_map(
    fn, items, shared, workers, scheduler, retries, progress: _Progress, on_result
) -> None:
    distributed = import_distributed()
    with dask_client(scheduler, workers) as client:
        started = time.perf_counter()
        scattered = []
        if shared is _NOTHING:
            futures = client.map(fn, items, pure=False, retries=retries)
        else:
            scattered = client.scatter([shared], broadcast=True, hash=False)
            log.debug("dask: shared argument broadcast in %.2f s", time.perf_counter() - started)
            futures = client.map(fn, items, scattered * len(items), pure=False, retries=retries)
        position = {future.key: i for i, future in enumerate(futures)}
        try:
            for future in distributed.as_completed(futures):
                if future.status == "error":
                    client.gather([future])  # raises the task's error
                progress.update()
                i = position[future.key]
                futures[i] = None  # released: the cluster may drop the result once handed over
                on_result(i, future.result())
        finally:
            client.cancel([f for f in futures if f is not None] + scattered)
        log.debug("dask: %d tasks in %.2f s", len(items), time.perf_counter() - started)
