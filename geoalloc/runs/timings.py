"""Where a run's time goes: seconds per stage, as ``timings_s`` in ``summary.json`` and the manifest.

Every kind of run times the same stages (:data:`STAGES`): ``read`` (the input files, checked),
``demand`` (needs per area: LOS fits, admissions, surge), ``travel`` (the travel matrix), ``solve``
(the optimisation models), ``evaluate`` (the plan's figures, queue check, layers, checks) and
``write`` (the run folder). A kind with a step of its own adds it after these (a sweep's
``variants``).

A run opens a :class:`StageClock` with :func:`timed_run`; code anywhere below it marks its stage with
:func:`stage`, which does nothing outside a timed run. Stages nest: the time of an inner stage is
not also counted in the outer one, so the stages add up to the run's time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: the stages every run reports, in the order they run
STAGES = ("read", "demand", "travel", "solve", "evaluate", "write")

_ACTIVE: ContextVar[StageClock | None] = ContextVar("geoalloc_stage_clock", default=None)


class StageClock:
    """Seconds per stage of one run; the innermost open stage is the one charged.

    Parameters
    ----------
    now
        The time source, seconds (default :func:`time.perf_counter`).
    """

    def __init__(self, now: Callable[[], float] = time.perf_counter) -> None:
        self.seconds: dict[str, float] = {}
        self._now = now
        self._open: list[str] = []
        self._since = now()

    def _charge(self) -> None:
        now = self._now()
        if self._open:
            name = self._open[-1]
            self.seconds[name] = self.seconds.get(name, 0.0) + (now - self._since)
        self._since = now

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Charge the time inside the ``with`` block to ``name`` (added to earlier visits)."""
        self._charge()
        self._open.append(name)
        try:
            yield
        finally:
            self._charge()
            self._open.pop()

    def as_dict(self) -> dict[str, float]:
        """Seconds per stage: :data:`STAGES` first (0.0 for a stage the run did not have, except
        ``write``, present only once written), then any stage of the kind's own. A stage still
        open counts up to now."""
        self._charge()
        ordered = {name: self.seconds.get(name, 0.0) for name in STAGES if name != "write"}
        if "write" in self.seconds:
            ordered["write"] = self.seconds["write"]
        return ordered | {k: v for k, v in self.seconds.items() if k not in STAGES}


@contextmanager
def timed_run() -> Iterator[StageClock]:
    """Open a clock that :func:`stage` marks, for the length of the ``with`` block."""
    clock = StageClock()
    token = _ACTIVE.set(clock)
    try:
        yield clock
    finally:
        _ACTIVE.reset(token)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Charge the block to stage ``name`` of the run being timed (nothing outside a timed run)."""
    clock = _ACTIVE.get()
    if clock is None:
        yield
        return
    with clock.stage(name):
        yield


def with_write_time(timings: dict[str, float] | None, seconds: float) -> dict[str, float]:
    """``timings`` with ``write`` set to ``seconds`` (a copy, in stage order)."""
    merged = dict(timings or {}) | {"write": seconds}
    first = [k for k in STAGES if k in merged]
    return {k: merged[k] for k in first} | {k: v for k, v in merged.items() if k not in STAGES}


__all__ = ["STAGES", "StageClock", "stage", "timed_run", "with_write_time"]
