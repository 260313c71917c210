"""What changed between the data a plan was made on and the new data: the drift tables of an update.

Four parts, each read by a planner before deciding whether to re-plan:

- **LOS** (with a history in both): :func:`geoalloc.demand.drift.los_drift` on the stays;
- **admission rates** (when both histories carry area ids and a time span: the plan's rates then
  come from its history), per area, with exact rate ratios
  (:func:`geoalloc.demand.drift.rate_drift`); person-years are the population × the years each
  history covers;
- **the surge** (with daily admissions observed, ``--surge-admissions``): the plan's doubling
  time against the refit's profile-likelihood interval, or the plan's surge table against the
  observed days (:func:`geoalloc.demand.surge_fit.surge_drift`);
- **population** per area: old → new persons, areas added or removed;
- **capacity** per site and resource: old → new units, sites added or removed;
- **needs** per area and resource (the units the demand model makes of all the above and of the
  scenario's other assumptions, e.g. a surge): old → new.

A change below the noise (no test rejects, no population or capacity change beyond rounding) is
reported as such: ``changed`` is False and re-planning can be skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geoalloc.demand.drift import ALPHA, LosDrift, los_drift, rate_drift
from geoalloc.demand.history import History
from geoalloc.demand.surge_fit import SurgeDrift

#: a population or capacity change smaller than this share is rounding, not a change
RELATIVE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class DataDrift:
    """The drift tables of an update and whether anything changed beyond the noise.

    Attributes
    ----------
    los
        LOS drift, or None without a history with exact stays on both sides.
    rates
        Rate drift per area, or None (see the module's documentation).
    rates_by
        ``"area"`` when rates were compared.
    population
        Per area: ``population_old``, ``population_new``, ``change``, ``change_pct``, ``status``
        (``same``, ``changed``, ``added``, ``removed``).
    capacity
        Per site and resource: ``units_old``, ``units_new``, ``change``, ``status``.
    needs
        Per area and resource: ``units_old``, ``units_new``, ``change``, ``status``.
    lines
        The findings in plain words, most important first.
    band_rates
        Rate drift per age band (histories with area ids and an age band: the plan's rates are
        then per band), or None.
    needs_follow_history
        True when only the history or the daily admissions changed: the needs then move with the
        refit, and whether that is a change is the LOS, rate and surge tests' to say, not the
        needs table's.
    surge
        The surge's drift (:class:`~geoalloc.demand.surge_fit.SurgeDrift`), or None without daily
        admissions.
    """

    los: LosDrift | None
    rates: pd.DataFrame | None
    rates_by: str | None
    population: pd.DataFrame
    capacity: pd.DataFrame
    needs: pd.DataFrame
    lines: list[str] = field(default_factory=list)
    needs_follow_history: bool = False
    band_rates: pd.DataFrame | None = None
    surge: SurgeDrift | None = None

    @property
    def changed(self) -> bool:
        """True when any part changed beyond the noise."""
        return (
            (self.los is not None and self.los.changed)
            or (self.rates is not None and bool(self.rates["changed"].any()))
            or (self.band_rates is not None and bool(self.band_rates["changed"].any()))
            or (self.surge is not None and self.surge.changed)
            or bool((self.population["status"] != "same").any())
            or bool((self.capacity["status"] != "same").any())
            or (not self.needs_follow_history and bool((self.needs["status"] != "same").any()))
        )

    def to_dict(self) -> dict[str, Any]:
        """The summary.json ``update.drift`` block."""
        rates = None
        if self.rates is not None:
            frame = self.rates.reset_index()
            rates = {
                "by": self.rates_by,
                "keys": len(frame),
                "changed": int(frame["changed"].sum()),
                "rows": frame.replace({np.inf: None}).to_dict(orient="records"),
            }
        band_rates = None
        if self.band_rates is not None:
            band_rates = (
                self.band_rates.reset_index().replace({np.inf: None}).to_dict(orient="records")
            )
        return {
            "changed": self.changed,
            "band_rates": band_rates,
            "lines": self.lines,
            "los": self.los.to_dict() if self.los is not None else None,
            "rates": rates,
            "surge": self.surge.to_dict() if self.surge is not None else None,
            "population": _status_counts(self.population),
            "capacity": _status_counts(self.capacity),
            "needs": _status_counts(self.needs),
            "needs_total": {
                str(r): {"old": float(g["units_old"].sum()), "new": float(g["units_new"].sum())}
                for r, g in self.needs.groupby("resource")
            },
        }


def _status_counts(table: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in table["status"].value_counts().items()}


def population_drift(old: pd.Series, new: pd.Series) -> pd.DataFrame:
    """Persons per area, old → new (every area of either side; none dropped)."""
    keys = old.index.union(new.index, sort=False)
    o = pd.to_numeric(old, errors="coerce").reindex(keys)
    n = pd.to_numeric(new, errors="coerce").reindex(keys)
    change = n - o
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(o.to_numpy() > 0, 100 * change.to_numpy() / o.to_numpy(), np.nan)
    status = np.where(
        o.isna(),
        "added",
        np.where(
            n.isna(),
            "removed",
            np.where(
                (change.abs() > RELATIVE_TOLERANCE * o.abs().clip(lower=1)).to_numpy(),
                "changed",
                "same",
            ),
        ),
    )
    out = pd.DataFrame(
        {
            "population_old": o.to_numpy(),
            "population_new": n.to_numpy(),
            "change": change.to_numpy(),
            "change_pct": pct,
            "status": status,
        },
        index=keys,
    )
    out.index.name = "area"
    return out


def capacity_drift(
    old: pd.DataFrame, new: pd.DataFrame, resources: list[str], key: str = "site"
) -> pd.DataFrame:
    """Units per site (or ``key``) and resource, old → new (every site of either side)."""
    rows = []
    for resource in resources:
        o = old[resource] if resource in old.columns else pd.Series(dtype=float)
        n = new[resource] if resource in new.columns else pd.Series(dtype=float)
        part = population_drift(o, n).rename(
            columns={"population_old": "units_old", "population_new": "units_new"}
        )
        part.index.name = key
        rows.append(part.drop(columns="change_pct").reset_index().assign(resource=resource))
    table = pd.concat(rows, ignore_index=True)
    return table[[key, "resource", "units_old", "units_new", "change", "status"]]


def _stays(history: History | None) -> np.ndarray | None:
    if history is None or history.kind != "exact":
        return None
    days = history.table["los_days"].to_numpy(dtype=float)
    return days[np.isfinite(days)]


def _rate_tables(
    old: History, new: History, old_population: pd.Series, new_population: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Admissions and person-years per area, or None: the histories carry no area ids (the
    plan's rates are then its ``[demand]`` rates, not the history's) or no time span."""
    if "area" not in old.table.columns or "area" not in new.table.columns:
        return None
    if not old.years or not new.years:
        return None

    def counts(h: History, population: pd.Series) -> pd.DataFrame:
        n = h.table["area"].astype(str).value_counts()
        pop = population.copy()
        pop.index = pop.index.astype(str)
        table = pd.DataFrame(
            {
                "admissions": n.reindex(pop.index).fillna(0).to_numpy(),
                "person_years": pop.to_numpy(dtype=float) * float(h.years or 0),
            },
            index=pop.index,
        )
        return table[table["person_years"] > 0]

    return counts(old, old_population), counts(new, new_population)


def _band_counts(history: History, band_population: pd.Series) -> pd.DataFrame:
    """Admissions and person-years per age band (bands with people only)."""
    counts = history.table["age_band"].astype(str).value_counts()
    population = band_population[band_population > 0]
    return pd.DataFrame(
        {
            "admissions": counts.reindex(population.index.astype(str)).fillna(0).to_numpy(),
            "person_years": population.to_numpy(dtype=float) * float(history.years or 0),
        },
        index=population.index.astype(str),
    )


def data_drift(
    *,
    old_history: History | None,
    new_history: History | None,
    old_population: pd.Series,
    new_population: pd.Series,
    old_capacity: pd.DataFrame,
    new_capacity: pd.DataFrame,
    old_needs: pd.DataFrame,
    new_needs: pd.DataFrame,
    resources: list[str],
    risk_days: float = 7.0,
    alpha: float = ALPHA,
    needs_follow_history: bool = False,
    old_band_population: pd.Series | None = None,
    new_band_population: pd.Series | None = None,
    surge: SurgeDrift | None = None,
) -> DataDrift:
    """Compare the plan's data with the new data (see the module's documentation).

    Parameters
    ----------
    old_history, new_history
        The admissions histories (read with :func:`geoalloc.demand.history.read_history`), or None.
    old_population, new_population
        Persons per area id.
    old_capacity, new_capacity
        Units per site id (one column per resource).
    old_needs, new_needs
        Units needed per area id (one column per resource).
    resources
        The planned resources.
    risk_days, alpha
        As in :func:`geoalloc.demand.drift.los_drift`.
    needs_follow_history
        Only the history changed (see :class:`DataDrift`).
    old_band_population, new_band_population
        Persons per age band (the areas' band columns summed), for the rates per band.
    surge
        The surge refitted to daily admissions, against the plan's
        (:func:`geoalloc.demand.surge_fit.surge_drift`), or None.
    """
    lines: list[str] = [surge.verdict] if surge is not None else []
    los = None
    old_days, new_days = _stays(old_history), _stays(new_history)
    if old_days is not None and new_days is not None and len(old_days) > 1 and len(new_days) > 1:
        los = los_drift(old_days, new_days, risk_days=risk_days, alpha=alpha)
        lines.append(los.verdict)
    rates, rates_by, tables = None, None, None
    if old_history is not None and new_history is not None:
        tables = _rate_tables(old_history, new_history, old_population, new_population)
        if tables is not None:
            rates_by = "area"
            rates = rate_drift(*tables, alpha=alpha)
            changed = rates[rates["changed"]]
            lines.append(
                f"admission rates per area: {len(changed)} of {len(rates)} changed beyond the "
                f"noise (exact rate ratios, Holm-adjusted, level {alpha:g})"
            )
    band_rates = None
    if (
        tables is not None
        and old_band_population is not None
        and new_band_population is not None
        and "age_band" in old_history.table.columns  # type: ignore[union-attr]
        and "age_band" in new_history.table.columns  # type: ignore[union-attr]
    ):
        assert old_history is not None and new_history is not None
        band_rates = rate_drift(
            _band_counts(old_history, old_band_population),
            _band_counts(new_history, new_band_population),
            alpha=alpha,
        )
        band_rates.index.name = "age_band"
        changed_bands = band_rates.index[band_rates["changed"]]
        lines.append(
            f"admission rates per age band: {len(changed_bands)} of {len(band_rates)} changed "
            "beyond the noise"
            + (f" ({', '.join(map(str, changed_bands))})" if len(changed_bands) else "")
        )
    population = population_drift(old_population, new_population)
    pop_changed = population[population["status"] != "same"]
    if len(pop_changed):
        lines.append(
            f"population: {len(pop_changed)} area(s) changed "
            f"({int((pop_changed['status'] == 'added').sum())} added, "
            f"{int((pop_changed['status'] == 'removed').sum())} removed), "
            f"total {old_population.sum():,.0f} → {new_population.sum():,.0f}"
        )
    capacity = capacity_drift(old_capacity, new_capacity, resources)
    cap_changed = capacity[capacity["status"] != "same"]
    if len(cap_changed):
        sites = cap_changed["site"].nunique()
        lines.append(f"capacity: {sites} site(s) changed ({len(cap_changed)} site-resource rows)")
    needs = capacity_drift(old_needs, new_needs, resources, key="area")
    for resource, group in needs.groupby("resource", sort=False):
        moved = group[group["status"] != "same"]
        if len(moved):
            lines.append(
                f"{resource} needed: {group['units_old'].sum():,.1f} → "
                f"{group['units_new'].sum():,.1f} units ({len(moved)} area(s) changed)"
            )
    drift = DataDrift(
        los,
        rates,
        rates_by,
        population,
        capacity,
        needs,
        lines,
        needs_follow_history,
        band_rates,
        surge,
    )
    if not drift.changed:
        lines.append("no change beyond the noise: the data support keeping the plan")
    return drift
