"""Pooling old and new admissions: how much each admission counts when the model is refitted.

When new admissions arrive, the LOS model and admission rates can be refitted on the new data
alone, or on the old and new data pooled. The rule is the planner's choice, stated in the report:

- ``"new"``: only the admissions given as new (weight 1; the old weigh 0);
- ``"all"``: every admission, old and new, weighs 1 (nothing is forgotten);
- ``"window"``: a sliding window: admissions of the last ``window_days`` before ``as_of`` weigh 1,
  older ones 0;
- ``"exponential"``: exponential forgetting: an admission ``a`` days before ``as_of`` weighs
  ``0.5 ** (a / half_life_days)`` (half-life weighting, as in exponentially weighted moving
  averages).

``as_of`` is the latest admission unless given. Rates need the time the weights cover:
:func:`weighted_years` is the integral of the weight over the span the admissions cover, so that
``Σ weights ÷ weighted_years`` is the weighted estimate of admissions per year under a rate that is
constant in time (and equals the plain count ÷ years for ``"all"``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from geoalloc._errors import InputError
from geoalloc.demand.history import History, HistoryProblems
from geoalloc.demand.los import WEIGHT_COLUMN

PoolRule = Literal["new", "all", "window", "exponential"]
POOL_RULES: tuple[str, ...] = ("new", "all", "window", "exponential")
DAYS_PER_YEAR = 365.25


def _days_before(admit: pd.Series, as_of: pd.Timestamp) -> np.ndarray:
    return ((as_of - admit).dt.total_seconds() / 86400.0).to_numpy(dtype=float)


def _checked_admit(admit: object, rule: str) -> pd.Series:
    times = pd.to_datetime(pd.Series(admit), errors="coerce")
    if times.isna().any():
        rows = ", ".join(str(i) for i in np.flatnonzero(times.isna().to_numpy())[:5])
        msg = (
            f"pooling rule {rule!r} weighs admissions by date: {int(times.isna().sum())} "
            f"admission(s) have no readable date (rows {rows}) — give [history] admit, or use "
            "rule 'new' or 'all'"
        )
        raise InputError(msg)
    return times


def pool_weights(
    admit: object,
    is_new: np.ndarray,
    rule: PoolRule,
    *,
    window_days: float = 365.0,
    half_life_days: float = 180.0,
    as_of: pd.Timestamp | None = None,
) -> np.ndarray:
    """The weight of each admission (old and new together) under ``rule``.

    Parameters
    ----------
    admit
        Admission times (array-like of datetimes), one per admission; read only by ``"window"``
        and ``"exponential"``.
    is_new
        True for the admissions that came with the update.
    rule
        ``"new"``, ``"all"``, ``"window"`` or ``"exponential"`` (see the module's documentation).
    window_days, half_life_days
        The window of ``"window"`` and the half-life of ``"exponential"``, in days (> 0).
    as_of
        The date the weights are taken at (default: the latest admission).

    Returns
    -------
    numpy.ndarray
        One weight in [0, 1] per admission.
    """
    new = np.asarray(is_new, dtype=bool)
    if rule not in POOL_RULES:
        raise InputError(f"unknown pooling rule {rule!r} — choose one of {', '.join(POOL_RULES)}")
    if rule == "new":
        return new.astype(float)
    if rule == "all":
        return np.ones(len(new))
    for name, value in (("window_days", window_days), ("half_life_days", half_life_days)):
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"pooling: {name} must be a number of days > 0 (got {value})")
    times = _checked_admit(admit, rule)
    if len(times) != len(new):
        raise InputError("pooling: one admission time per admission is needed")
    at = pd.Timestamp(as_of) if as_of is not None else times.max()
    age = np.maximum(_days_before(times, at), 0.0)
    if rule == "window":
        return (age <= window_days).astype(float)
    return np.power(0.5, age / half_life_days)


def weighted_years(
    rule: PoolRule,
    *,
    years: float,
    window_days: float = 365.0,
    half_life_days: float = 180.0,
    new_years: float | None = None,
) -> float:
    """The years the weights cover: ``Σ weights ÷ weighted_years`` is admissions per year.

    Parameters
    ----------
    rule, window_days, half_life_days
        As in :func:`pool_weights` (weights taken at the end of the span).
    years
        The years the pooled history covers (old and new together, ending at ``as_of``).
    new_years
        ``"new"``: the years the new admissions cover (required).
    """
    if not (math.isfinite(years) and years > 0):
        raise InputError(f"pooling: the history must cover a time > 0 (got {years} years)")
    if rule == "all":
        return years
    if rule == "new":
        if new_years is None or not new_years > 0:
            raise InputError("pooling rule 'new': the years the new admissions cover are needed")
        return new_years
    span_days = years * DAYS_PER_YEAR
    if rule == "window":
        return min(window_days, span_days) / DAYS_PER_YEAR
    if rule == "exponential":
        h = half_life_days
        return h / math.log(2) * (1.0 - 0.5 ** (span_days / h)) / DAYS_PER_YEAR
    raise InputError(f"unknown pooling rule {rule!r} — choose one of {', '.join(POOL_RULES)}")


def _merged_problems(histories: Sequence[History]) -> HistoryProblems:
    counts: dict[str, int] = {}
    for h in histories:
        for reason, n in h.problems.counts.items():
            counts[reason] = counts.get(reason, 0) + n
    return HistoryProblems(
        n_rows=sum(h.problems.n_rows for h in histories),
        counts=counts,
        examples={k: v for h in histories for k, v in h.problems.examples.items()},
        columns={k: v for h in histories for k, v in h.problems.columns.items()},
        values={k: v for h in histories for k, v in h.problems.values.items()},
    )


def joined_history(histories: Sequence[History]) -> History:
    """Consecutive histories (oldest first) as one: their rows, and the years they cover together
    (None unless each knows its own)."""
    if not histories:
        raise InputError("no history to join")
    first = histories[0]
    for h in histories[1:]:
        if h.kind != first.kind:
            msg = (
                f"{h.source}: {h.kind} LOS ({h.los_from}) but {first.source} has {first.kind} "
                f"LOS ({first.los_from}) — give every period's admissions in the same columns"
            )
            raise InputError(msg)
    if len(histories) == 1:
        return first
    columns = [c for c in first.table.columns if all(c in h.table.columns for h in histories)]
    years = [h.years for h in histories]
    return History(
        table=pd.concat([h.table[columns] for h in histories], ignore_index=True),
        kind=first.kind,
        los_from=first.los_from,
        groups=[g for g in first.groups if all(g in h.groups for h in histories)],
        problems=_merged_problems(histories),
        source=" + ".join(h.source for h in histories),
        years=sum(y for y in years if y) if all(years) else None,
    )


def pooled_history(
    old: History | Sequence[History],
    new: History,
    rule: PoolRule,
    *,
    window_days: float = 365.0,
    half_life_days: float = 180.0,
) -> History:
    """``old`` and ``new`` as one history whose rows carry their weight under ``rule``.

    The table gains ``weight`` (read by the LOS fit and the admission rates) and ``is_new``;
    ``years`` becomes the years the weights cover (:func:`weighted_years`), taking the two
    histories as consecutive periods (``old.years + new.years`` in all). Rows of weight 0 stay in
    the table (and in its problem counts) but count for nothing. ``old`` may be several
    consecutive histories, oldest first (a chain of updates): they are joined first.
    """
    if not isinstance(old, History):
        old = joined_history(old)
    if old.kind != new.kind:
        msg = (
            f"the new history has {new.kind} LOS ({new.los_from}) but the plan's has {old.kind} "
            f"LOS ({old.los_from}) — give the new admissions in the same columns as the plan's"
        )
        raise InputError(msg)
    columns = [c for c in old.table.columns if c in new.table.columns]
    table = pd.concat(
        [old.table[columns].assign(is_new=False), new.table[columns].assign(is_new=True)],
        ignore_index=True,
    )
    admit = table["admit"] if "admit" in table.columns else pd.Series(pd.NaT, index=table.index)
    table[WEIGHT_COLUMN] = pool_weights(
        admit,
        table["is_new"].to_numpy(),
        rule,
        window_days=window_days,
        half_life_days=half_life_days,
    )
    years = None
    if old.years and new.years:
        years = weighted_years(
            rule,
            years=old.years + new.years,
            window_days=window_days,
            half_life_days=half_life_days,
            new_years=new.years,
        )
    problems = _merged_problems([old, new])
    return History(
        table=table,
        kind=new.kind,
        los_from=new.los_from,
        groups=[g for g in new.groups if g in old.groups],
        problems=problems,
        source=f"{old.source} + {new.source} (pooled: {rule})",
        years=years,
    )
