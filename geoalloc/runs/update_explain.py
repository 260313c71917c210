"""Why an update changed the plan: the changes, what each buys, who gains and loses access.

Everything here is computed on the new data, for two plans: the plan kept as it is (the parent's
sites and units, re-evaluated) and the re-plan. What a change *buys* is measured by undoing it alone
in the re-plan (the other changes kept) and re-solving the assignment with every site and unit
fixed: the unmet demand and the demand-minutes it avoids.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoalloc._errors import GeoallocError
from geoalloc.optimize.first_stage import FirstStage, first_stage_of
from geoalloc.runs.schema import PlanningSummary

if TYPE_CHECKING:
    from geoalloc.optimize.options import OptimizeOptions
    from geoalloc.optimize.problem import AllocationProblem
    from geoalloc.optimize.replan import ChangeLimits, Replan
    from geoalloc.runs.update import Parent, UpdateRequest
    from geoalloc.runs.update_drift import DataDrift

log = logging.getLogger(__name__)

#: the changes whose value is measured one by one (each is one assignment solve); beyond, the
#: value of the rest is given together
MAX_CHANGES_VALUED = 40


def _undo(plan: FirstStage, change: pd.Series, current: FirstStage) -> FirstStage:
    """``plan`` with one change put back as the plan in force had it."""
    opened, added = plan.opened.copy(), plan.added.copy()
    site = change["site"]
    if change["change"] in ("open", "close"):
        opened[site] = bool(current.opened.get(site, False))
        if not opened[site]:
            added.loc[site] = 0.0
    else:
        resource = change["resource"]
        before = current.added.loc[site, resource] if site in current.added.index else 0.0
        added.loc[site, resource] = float(before) if opened[site] else 0.0
    return FirstStage(opened=opened, added=added)


def change_values(
    problem: AllocationProblem,
    options: OptimizeOptions,
    replan: Replan,
    current: FirstStage,
) -> pd.DataFrame:
    """Per change of ``replan``: the unmet units and demand-minutes it avoids (undone alone).

    Returns the change table with ``unmet_avoided`` (units, all resources) and
    ``demand_minutes_avoided`` (Σ quantity × minutes of the assignment; negative when the change
    adds travel, e.g. by serving demand that was unmet); NaN beyond :data:`MAX_CHANGES_VALUED`.
    """
    from geoalloc.optimize.stochastic import evaluate_plan

    table = replan.changes.copy()
    table["unmet_avoided"] = np.nan
    table["demand_minutes_avoided"] = np.nan
    if table.empty:
        return table
    plan = first_stage_of(replan.allocation, problem)
    try:
        with_all = evaluate_plan(problem, options, plan, check=False)
    except GeoallocError as exc:
        log.warning("update: the value of each change could not be measured: %s", exc)
        return table
    base_unmet = float(with_all.unmet.to_numpy().sum())
    for position in range(min(len(table), MAX_CHANGES_VALUED)):
        change = table.iloc[position]
        try:
            without = evaluate_plan(problem, options, _undo(plan, change, current), check=False)
        except GeoallocError as exc:
            log.info(
                "update: change %s at %s not valued: %s", change["change"], change["site"], exc
            )
            continue
        table.iloc[position, table.columns.get_loc("unmet_avoided")] = (
            float(without.unmet.to_numpy().sum()) - base_unmet
        )
        table.iloc[position, table.columns.get_loc("demand_minutes_avoided")] = (
            without.served_minutes - with_all.served_minutes
        )
    return table


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict(orient="records")


def request_record(parent: Parent, request: UpdateRequest, limits: ChangeLimits) -> dict[str, Any]:
    """What an update was asked, for its ``summary["update"]``: its parent, the pooling rule of
    the histories and the change limits it was solved under."""
    return {
        "parent": {
            "folder": str(parent.folder),
            "scenario": parent.summary.get("scenario"),
            "kind": parent.summary.get("kind"),
        },
        "pool": {
            "history_given": request.history is not None,
            "rule": request.pool,
            "window_days": request.window_days,
            "half_life_days": request.half_life_days,
        },
        "limits": {
            "max_changes": limits.max_changes,
            "max_site_changes": limits.max_site_changes,
            "max_units_changed": dict(limits.max_units_changed),
            "unmet_per_change": limits.unmet_per_change,
            "unmet_per_site_change": limits.unmet_per_site_change,
            "unmet_per_unit_changed": dict(limits.unmet_per_unit_changed),
        },
    }


def explain_update(
    *,
    layers: dict[str, gpd.GeoDataFrame],
    summary: PlanningSummary,
    kept_layers: dict[str, gpd.GeoDataFrame],
    kept_plan: dict[str, Any],
    comparison: dict[str, Any],
    replan: Replan,
    values: pd.DataFrame,
    drift: DataDrift,
    request: UpdateRequest,
    parent: Parent,
    kept_by_rule: bool,
) -> None:
    """Add the update's layers and area columns to ``layers`` and ``summary["update"]``."""
    areas = layers["areas"]
    kept_areas = kept_layers["areas"].set_index("area_id")
    areas["kept_minutes"] = areas["area_id"].map(kept_areas["nearest_open_minutes"])
    areas["kept_status"] = areas["area_id"].map(kept_areas["status"]).astype(object)
    gained = {row["area"] for row in comparison["areas_gained_access"]}
    lost = {row["area"] for row in comparison["areas_lost_access"]}
    ids = areas["area_id"].astype(str)
    areas["access_change"] = np.where(
        ids.isin(gained), "gained", np.where(ids.isin(lost), "lost", "")
    )
    layers["kept_facilities"] = kept_layers["facilities"]

    facilities = layers["facilities"].set_index("site_id")
    if len(values):
        sites = values["site"].astype(str)
        changes = gpd.GeoDataFrame(
            values.assign(name=facilities["name"].reindex(sites).to_numpy()),
            geometry=facilities.geometry.reindex(sites).to_numpy(),
            crs=layers["facilities"].crs,
        )
        layers["changes"] = changes
    population_gained = float(sum(row["population"] for row in comparison["areas_gained_access"]))
    population_lost = float(sum(row["population"] for row in comparison["areas_lost_access"]))
    new_unmet = dict(summary["plan"]["unmet"])
    kept_unmet = dict(kept_plan["unmet"])
    summary["update"] = {  # type: ignore[typeddict-unknown-key]
        **request_record(parent, request, request.limits),
        "kept_by_rule": kept_by_rule,
        "kept_current": replan.kept_current,
        "notes": list(replan.notes),
        "drift": drift.to_dict(),
        "changes": float(replan.n_changes),
        "site_changes": int(replan.n_site_changes),
        "units_changed": {str(k): float(v) for k, v in replan.units_changed.items()},
        "change_rows": records(values),
        "kept": {
            "unmet": kept_unmet,
            "covered_pct": kept_plan.get("covered_pct"),
            "minutes_mean": kept_plan.get("minutes_mean"),
            "sites_open": kept_plan.get("sites_open"),
        },
        "new": {
            "unmet": new_unmet,
            "covered_pct": summary["plan"].get("covered_pct"),
            "minutes_mean": summary["plan"].get("minutes_mean"),
            "sites_open": summary["plan"].get("sites_open"),
        },
        "unmet_avoided": {r: kept_unmet.get(r, 0.0) - new_unmet.get(r, 0.0) for r in new_unmet},
        "access": {
            "areas_gained": len(gained),
            "population_gained": population_gained,
            "areas_lost": len(lost),
            "population_lost": population_lost,
        },
        # what the map's "Plan kept" layers read (the whole comparison lists every area whose
        # status changed: at state scale, most of them)
        "comparison": {
            key: comparison[key]
            for key in ("scenario_a", "kpis", "areas_gained_access", "areas_lost_access")
        },
    }
