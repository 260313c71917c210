"""What changed between the data a plan was made on and the new data: the drift tables of an update.

Four parts, each read by a planner before deciding whether to re-plan:

- **LOS** (with a history in both): :func:`geoalloc.demand.drift.los_drift` on the stays;
- **admission rates** (with a history in both): per area when both histories carry area ids, else
  one region-wide rate, with exact rate ratios
  (:func:`geoalloc.demand.drift.rate_drift`); person-years are the population × the years each
  history covers;
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
        Rate drift per key (area, or ``all``), or None without histories on both sides.
    rates_by
        What the rate keys are: ``"area"`` or ``"region"`` (one key, ``all``).
    population
        Per area: ``population_old``, ``population_new``, ``change``, ``change_pct``, ``status``
        (``same``, ``changed``, ``added``, ``removed``).
    capacity
        Per site and resource: ``units_old``, ``units_new``, ``change``, ``status``.
    needs
        Per area and resource: ``units_old``, ``units_new``, ``change``, ``status``.
    lines
        The findings in plain words, most important first.
    """

    los: LosDrift | None
    rates: pd.DataFrame | None
    rates_by: str | None
    population: pd.DataFrame
    capacity: pd.DataFrame
    needs: pd.DataFrame
    lines: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when any part changed beyond the noise."""
        return (
            (self.los is not None and self.los.changed)
            or (self.rates is not None and bool(self.rates["changed"].any()))
            or bool((self.population["status"] != "same").any())
            or bool((self.capacity["status"] != "same").any())
            or bool((self.needs["status"] != "same").any())
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
        return {
            "changed": self.changed,
            "lines": self.lines,
            "los": self.los.to_dict() if self.los is not None else None,
            "rates": rates,
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
) -> tuple[pd.DataFrame, pd.DataFrame, str] | None:
    """Admissions and person-years per key, or None when a history has no time span."""
    if not old.years or not new.years:
        return None
    both_area = "area" in old.table.columns and "area" in new.table.columns
    if both_area:
        by = "area"

        def counts(h: History, population: pd.Series) -> pd.DataFrame:
            n = h.table["area"].astype(str).value_counts()
            pop = population.copy()
            pop.index = pop.index.astype(str)
            return pd.DataFrame(
                {
                    "admissions": n.reindex(pop.index).fillna(0).to_numpy(),
                    "person_years": pop.to_numpy(dtype=float) * float(h.years or 0),
                },
                index=pop.index,
            )[lambda t: t["person_years"] > 0]

        return counts(old, old_population), counts(new, new_population), by
    by = "region"
    return (
        pd.DataFrame(
            {"admissions": [len(old.table)], "person_years": [old_population.sum() * old.years]},
            index=pd.Index(["all"], name="key"),
        ),
        pd.DataFrame(
            {"admissions": [len(new.table)], "person_years": [new_population.sum() * new.years]},
            index=pd.Index(["all"], name="key"),
        ),
        by,
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
    """
    lines: list[str] = []
    los = None
    old_days, new_days = _stays(old_history), _stays(new_history)
    if old_days is not None and new_days is not None and len(old_days) > 1 and len(new_days) > 1:
        los = los_drift(old_days, new_days, risk_days=risk_days, alpha=alpha)
        lines.append(los.verdict)
    rates, rates_by = None, None
    if old_history is not None and new_history is not None:
        tables = _rate_tables(old_history, new_history, old_population, new_population)
        if tables is not None:
            old_t, new_t, rates_by = tables
            rates = rate_drift(old_t, new_t, alpha=alpha)
            changed = rates[rates["changed"]]
            if rates_by == "region":
                row = rates.iloc[0]
                lines.append(
                    f"admission rate {row['rate_old_per_1000']:.3g} → "
                    f"{row['rate_new_per_1000']:.3g} per 1,000 per year (ratio "
                    f"{row['rate_ratio']:.3g}, {row['ratio_ci_low']:.3g} to "
                    f"{row['ratio_ci_high']:.3g}; p = {row['p_value']:.2g})"
                    + (": changed" if bool(row["changed"]) else ": no change beyond the noise")
                )
            else:
                lines.append(
                    f"admission rates per {rates_by}: {len(changed)} of {len(rates)} changed "
                    f"beyond the noise (exact rate ratios, Holm-adjusted, level {alpha:g})"
                )
        else:
            lines.append(
                "admission rates not compared: a history has no time span ([history] years)"
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
    drift = DataDrift(los, rates, rates_by, population, capacity, needs, lines)
    if not drift.changed:
        lines.append("no change beyond the noise: the data support keeping the plan")
    return drift
