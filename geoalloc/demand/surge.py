"""Surge curves: daily admissions over an epidemic or disaster → daily census → peak needs per area.

The census on day t is ``Σ_u admissions[u] × P(LOS > t − u + ½)`` (admissions arrive on average at
mid-day), so constant admissions give a census of admissions × mean LOS, the baseline bed-days per
day. Every run starts from that steady state: the baseline admissions are run in before day 0.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geoalloc._errors import InputError
from geoalloc._validate import (
    CORRUPT_COMPRESSION,
    columns_found,
    file_problem,
    unreadable_table,
)
from geoalloc.demand.los import LosFit
from geoalloc.demand.needs import resource_needs
from geoalloc.demand.options import DemandOptions, SurgeOptions

log = logging.getLogger(__name__)

#: Longest LOS tail carried in the convolution, days.
MAX_TAIL_DAYS = 365


@dataclass(frozen=True)
class SurgeResult:
    """Peak needs per area and the region's daily curves.

    Attributes
    ----------
    peaks
        Index: area id. Per planned resource ``<resource>_peak`` (units) and
        ``<resource>_peak_day`` (day index from 0), plus ``bed_days_peak``.
    daily
        Index: day (0 …). Region totals: ``admissions_per_day``, ``census`` (occupied beds),
        ``icu_census``, ``ventilated`` and one column per planned resource (units needed).
    by_day
        Index: (day, area). One column per planned resource: units needed by that area on that
        day (the per-area curves behind ``peaks``; the time-phased model reads its periods here).
    """

    peaks: pd.DataFrame
    daily: pd.DataFrame
    by_day: pd.DataFrame | None = None


def survival_weights(los: LosFit, max_days: int = MAX_TAIL_DAYS) -> np.ndarray:
    """``P(LOS > d + ½)`` for d = 0, 1, …, cut where it falls below 1e-6 (at most ``max_days``)."""
    s = los.survival(np.arange(max_days) + 0.5)
    keep = np.nonzero(s >= 1e-6)[0]
    return s[: (keep[-1] + 1) if keep.size else 1]


def census(admissions: np.ndarray, weights: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """Daily census (days × areas) from daily admissions (days × areas), run in from ``baseline``.

    ``baseline`` (admissions per day per area) is assumed constant for the ``len(weights)`` days
    before day 0, so day 0 starts in the baseline's steady state.
    """
    from scipy import signal  # here: scipy.signal is slow to import and only surges need it

    tail = len(weights)
    lead = np.repeat(baseline[None, :], tail, axis=0)
    full = np.vstack([lead, admissions])
    conv = signal.fftconvolve(full, weights[:, None], axes=0)[: len(full)]
    return np.maximum(conv[tail:], 0.0)


def sir_new_infections(options: SurgeOptions) -> np.ndarray:
    """New infections per day as a share of the population, from CHIME's discrete-time SIR.

    Growth rate g = 2^(1/doubling time) − 1, recovery rate γ = 1 / infectious days,
    β = (g + γ) ÷ s₀ × (1 − social distancing).
    """
    return sir_daily_new(
        growth_rate_per_day=2.0 ** (1.0 / options.doubling_time_days) - 1.0,
        infectious_days=options.infectious_days,
        initial_infected_share=options.initial_infected_share,
        social_distancing=options.social_distancing,
        days=options.days,
    )


def sir_daily_new(
    *,
    growth_rate_per_day: float,
    infectious_days: float,
    initial_infected_share: float,
    social_distancing: float,
    days: int,
) -> np.ndarray:
    """New infections on day 0, 1, …, ``days`` − 1 as a share of the population (CHIME's SIR).

    s₀ = 1 − i₀, β = (g + γ) ÷ s₀ × (1 − social distancing), γ = 1 / infectious days; each day
    new = min(β s i, s), s ← s − new, i ← i + new − γ i.
    """
    gamma = 1.0 / infectious_days
    i = initial_infected_share
    s = 1.0 - i
    beta = (growth_rate_per_day + gamma) / s * (1.0 - social_distancing)
    out = np.empty(days)
    for t in range(days):
        new = min(beta * s * i, s)
        s -= new
        i += new - gamma * i
        out[t] = new
    return out


def table_multipliers(options: SurgeOptions, baseline_total: float) -> np.ndarray:
    """The multipliers of a ``kind = "table"`` surge (inline, or read from its CSV; region
    ``admissions`` are divided by ``baseline_total``, the baseline admissions per day)."""
    if options.multipliers is not None:
        return np.asarray(options.multipliers, dtype=float)
    if options.path is None:
        msg = "[demand.surge] kind 'table' needs 'multipliers' (an inline list) or 'path' (a CSV)"
        raise InputError(msg)
    path = Path(options.path)
    why = file_problem(path)
    if why is not None:
        what = "surge table not found" if why == "not found" else f"the surge table path is {why}"
        msg = f"{path}: {what} — check [demand.surge] path"
        raise InputError(msg)
    try:
        table = pd.read_csv(path)
    except (ValueError, OSError, *CORRUPT_COMPRESSION) as exc:  # ParserError is a ValueError
        raise InputError(unreadable_table(path, exc, "[demand.surge] path")) from None
    cols = {str(c).lower(): c for c in table.columns}
    problems = []
    if "day" in cols:
        order = pd.to_numeric(table[cols["day"]], errors="coerce")
    elif "date" in cols:
        order = pd.to_datetime(table[cols["date"]], errors="coerce")
    else:
        problems.append(f"{path}: needs a 'day' or 'date' column; {columns_found(table.columns)}")
        order = None
    value_col = cols.get("multiplier") or cols.get("admissions")
    if value_col is None:
        problems.append(f"{path}: needs a 'multiplier' or 'admissions' column")
    if problems:
        raise InputError(problems)
    values = pd.to_numeric(table[value_col], errors="coerce")
    bad = order.isna() | values.isna() | (values < 0)
    if bad.any():
        rows = [str(i + 2) for i in np.nonzero(bad.to_numpy())[0]]
        msg = (
            f"{path}: {int(bad.sum())} row(s) with a missing/invalid day or a negative value "
            f"(lines {', '.join(rows[:20])})"
        )
        raise InputError(msg)
    if order.duplicated().any():
        msg = f"{path}: duplicate days/dates — one row per day"
        raise InputError(msg)
    values = values.to_numpy(dtype=float)[np.argsort(order.to_numpy())]
    if value_col == cols.get("admissions"):
        if baseline_total <= 0:
            msg = (
                f"{path}: admissions given but the baseline has no admissions to share them out by"
            )
            raise InputError(msg)
        return values / baseline_total
    return values


def surge_needs(
    baseline_admissions_per_day: pd.Series,
    population: pd.Series,
    options: DemandOptions,
    los: LosFit,
) -> SurgeResult | None:
    """Daily census and peak needs per area for ``options.surge`` (None when ``kind = "none"``).

    Parameters
    ----------
    baseline_admissions_per_day
        Index: area id. Admissions per day without the surge.
    population
        Index: area id. Persons (SIR only).
    options
        The ``[demand]`` section; ``options.surge`` says which surge.
    los
        LOS distribution used for every surge admission.
    """
    surge = options.surge
    if surge.kind == "none":
        return None
    areas = baseline_admissions_per_day.index
    base = baseline_admissions_per_day.to_numpy(dtype=float)
    weights = survival_weights(los)
    if surge.kind == "table":
        mult = table_multipliers(surge, float(base.sum()))
        adm = mult[:, None] * base[None, :]
        extra = np.zeros_like(adm)
    else:
        frac = sir_new_infections(surge)
        pop = population.reindex(areas).to_numpy(dtype=float)
        extra = frac[:, None] * pop[None, :] * surge.hospitalised_share * surge.market_share
        adm = base[None, :] + extra
    days = adm.shape[0]
    total = census(adm, weights, base)
    base_part = census(np.repeat(base[None, :], days, axis=0), weights, base)
    surge_part = census(extra, weights, np.zeros_like(base))
    if surge.kind == "table":
        icu = options.icu_share * total
        vent = np.zeros_like(total)
    else:
        icu = options.icu_share * base_part + surge.icu_share_of_hospitalised * surge_part
        vent = surge.ventilated_share_of_icu * surge.icu_share_of_hospitalised * surge_part

    flat_index = pd.MultiIndex.from_product([range(days), areas], names=["day", "area"])

    def flat(a: np.ndarray) -> pd.Series:
        return pd.Series(a.reshape(-1), index=flat_index)

    needs = resource_needs(
        flat(total), options, icu_bed_days_per_day=flat(icu), ventilated_per_day=flat(vent)
    )
    needs["bed_days"] = flat(total)
    peaks = pd.DataFrame(index=areas)
    for col in needs.columns:
        wide = needs[col].to_numpy().reshape(days, len(areas))
        day = wide.argmax(axis=0)
        peaks[f"{col}_peak"] = wide[day, np.arange(len(areas))]
        peaks[f"{col}_peak_day"] = day
    daily = pd.DataFrame(
        {
            "admissions_per_day": adm.sum(axis=1),
            "census": total.sum(axis=1),
            "icu_census": icu.sum(axis=1),
            "ventilated": vent.sum(axis=1),
        }
    )
    for col in options.planned:
        daily[col] = needs[col].groupby(level="day").sum().to_numpy()
    daily.index.name = "day"
    if math.isfinite(float(total.max())):
        log.info(
            "surge (%s): region census peaks at %.1f occupied beds on day %d",
            surge.kind,
            float(daily["census"].max()),
            int(daily["census"].to_numpy().argmax()),
        )
    return SurgeResult(peaks=peaks, daily=daily, by_day=needs[list(options.planned)])
