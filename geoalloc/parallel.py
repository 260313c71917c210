"""One executor seam for the whole library: map a function over items, serially or in processes.

Every parallel step in geoalloc goes through :func:`run_map`, so a new backend (e.g. Dask
distributed) is added here once. Results come back in the order of ``items`` whatever the backend,
so a run gives the same answer on each.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Literal, TypeVar

from tqdm.auto import tqdm

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
Executor = Literal["serial", "processes"]
EXECUTORS: tuple[str, ...] = ("serial", "processes")


def default_workers() -> int:
    """Usable CPU cores of this process (respects CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    executor: Executor = "serial",
    workers: int | None = None,
    desc: str | None = None,
) -> list[R]:
    """``[fn(item) for item in items]``, in that order, on the chosen executor.

    Parameters
    ----------
    fn
        A picklable (module-level) function for ``"processes"``.
    items
        The work items; each must be picklable for ``"processes"``.
    executor
        ``"serial"`` (this process) or ``"processes"`` (a :class:`ProcessPoolExecutor`).
    workers
        Processes to use (default: the usable cores); ignored for ``"serial"``.
    desc
        If given, a progress bar with this label on stderr, shown only when stderr is a terminal.
    """
    items = list(items)
    if executor not in EXECUTORS:
        msg = f"executor {executor!r} is not one of {', '.join(EXECUTORS)}"
        raise ValueError(msg)
    show = desc is not None and sys.stderr.isatty()
    bar = tqdm(total=len(items), desc=desc, disable=not show, file=sys.stderr, leave=False)
    try:
        if executor == "serial" or len(items) <= 1:
            results = []
            for item in items:
                results.append(fn(item))
                bar.update()
            return results
        n = min(workers or default_workers(), len(items))
        log.debug("run_map: %d items over %d processes", len(items), n)
        with ProcessPoolExecutor(max_workers=n) as pool:
            futures = [pool.submit(fn, item) for item in items]
            for future in futures:
                future.add_done_callback(lambda _f: bar.update())
            return [future.result() for future in futures]
    finally:
        bar.close()


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
