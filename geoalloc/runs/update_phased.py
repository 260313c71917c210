"""The update of a time-phased deployment run: new data in, the schedule re-made from the day of the
update with the least disruption, every change respecting its lead time.

``geoalloc update RUN_DIR [--as-of-day D] [new files …] --out DIR`` where ``RUN_DIR`` is a
deployment run (a scenario with ``[deployment]``) or an earlier update of one:

1. **The parent** and **the new data** as for a planning update (:mod:`geoalloc.runs.update`); the
   new scenario keeps ``[deployment]`` with the plan's ``period_days``, ``periods`` and
   ``start_day`` (a different timeline would make its shipments other shipments).
2. **The day of the update** (``as_of_day``, default the deployment's ``start_day``: nothing has
   happened yet). The periods that started before it are history: their shipments (which still
   arrive when scheduled) and the temporary sites opened in them are fixed. New decisions start in
   the first period starting on or after that day; a shipment departing then is usable ``lead``
   periods later, a site opened then is ready after its setup days — no change takes effect
   before the day of the update plus its lead or setup time.
3. **Re-plan** (:func:`geoalloc.optimize.phased_replan.solve_phased_update`) under the change
   limits (``max_changes``: temporary sites changed + units shipped differently;
   ``max_site_changes``; ``max_units_changed``), never worse than keeping the schedule, which is
   re-evaluated on the new data beside it. The static plan the deployment run starts from is
   solved afresh on the new data, as a deployment run does.
4. **Outputs**: the folder a deployment run writes, the ``changes`` layer (one row per change, at
   the site it lands on), the per-area unmet unit-days if the schedule is kept
   (``deploy_kept_unmet_<r>_unit_days``) and ``summary["update"]`` (``kind = "deployment"``;
   ``period_demand``: the units needed summed over the periods, old → new, per resource that
   changed — the surge curve, which the data drift does not see; with ``skip_below_noise`` a
   change there is a change too); the manifest's ``parent`` record as for every update.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

import geoalloc._text as fmt
from geoalloc._errors import InputError
from geoalloc.demand.surge import SurgeResult
from geoalloc.optimize.phased import PhasedSchedule
from geoalloc.optimize.phased_replan import PhasedReplan, as_of_period, solve_phased_update
from geoalloc.optimize.problem import Allocation, AllocationProblem, unproven_solves
from geoalloc.optimize.replan import ChangeLimits
from geoalloc.runs.deployment import (
    DeploymentKind,
    add_temporary_sites,
    attach_deployment,
    deployment_outputs,
    deployment_problem,
    deployment_sites,
)
from geoalloc.runs.planning import Inputs, PlanningKind
from geoalloc.runs.result import RunResult
from geoalloc.runs.schema import PlanningSummary
from geoalloc.runs.timings import stage
from geoalloc.runs.update import (
    Parent,
    UpdateKind,
    UpdateRequest,
    _UpdateState,
    read_parent_inputs,
    record_lineage,
    updated_scenario,
)
from geoalloc.runs.update_explain import records, request_record
from geoalloc.scenario import Scenario

if TYPE_CHECKING:
    import folium
    from folium.map import Layer

    from geoalloc.outputs.layers import Legend

log = logging.getLogger(__name__)

#: the timeline an update keeps from its parent
TIMELINE = ("period_days", "periods", "start_day")
#: relative change in the time-phased demand below which it is the same
DEMAND_TOL = 1e-9


@dataclass
class _PhasedState(_UpdateState):
    """An update's state, plus the schedule in force and the day of the update."""

    schedule: PhasedSchedule | None = None
    period_demand: dict[str, dict[str, float]] = field(default_factory=dict)
    as_of_day: int = 0
    as_of_period: int = 0
    phased: PhasedReplan | None = None


def parent_schedule(parent: Parent) -> PhasedSchedule:
    """The schedule in force: the shipments and temporary sites of the parent's
    ``summary["deployment"]``."""
    deployment = parent.summary.get("deployment") or {}
    columns = ["resource", "from_site", "to_site", "units", "depart_period", "arrive_period"]
    moves = pd.DataFrame(deployment.get("moves") or [], columns=columns)
    moves = moves.astype({"units": float, "depart_period": int, "arrive_period": int})
    temporary = pd.DataFrame(
        deployment.get("temporary_sites") or [], columns=["site", "opened", "open_period"]
    )
    opened = temporary[temporary["opened"].eq(True)]
    return PhasedSchedule(
        moves=moves,
        opened=pd.Series(
            opened["open_period"].astype(int).to_numpy(),
            index=pd.Index(opened["site"].astype(str)),
            dtype=int,
        ),
    )


def period_demand_drift(parent: Parent, demand: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per resource, the units needed summed over the periods, the plan's → the new (``old``,
    ``new``), for the resources whose sum changed (the surge curve is not in the data drift).
    ``demand``: the new problem's, index (period, area)."""
    rows = (parent.summary.get("deployment") or {}).get("by_period") or []
    changed: dict[str, dict[str, float]] = {}
    for r in demand.columns:
        old = float(sum(row.get(f"demand_{r}", 0.0) for row in rows))
        new = float(demand[r].sum())
        if abs(new - old) > DEMAND_TOL * max(1.0, abs(old)):
            changed[str(r)] = {"old": old, "new": new}
    return changed


def check_as_of_day(day: int | None, scenario: Scenario, folder: Path) -> int:
    """The day of the update (default the deployment's ``start_day``); an :class:`InputError`
    for a day before day 0 or after the horizon's last day."""
    deployment = scenario.deployment
    assert deployment is not None  # a deployment scenario (updated_scenario checked)
    if day is None:
        return deployment.start_day
    last = deployment.start_day + deployment.horizon_days - 1
    if day < 0 or day > last:
        msg = (
            f"{folder}: as_of_day {day} is outside the plan's horizon (days "
            f"{deployment.start_day} … {last} of the surge curve) — give the day the update is "
            f"made on, from {deployment.start_day} (nothing has happened yet) to {last}"
        )
        raise InputError(msg)
    return int(day)


def _check_timeline(parent: Parent, scenario: Scenario) -> None:
    was = parent.summary.get("deployment") or {}
    now = scenario.deployment
    assert now is not None
    differ = [
        f"{k} {was.get(k)} → {getattr(now, k)}" for k in TIMELINE if was.get(k) != getattr(now, k)
    ]
    if differ:
        msg = (
            f"{parent.folder}: the new [deployment] changes the plan's timeline ({', '.join(differ)})"
            " — keep period_days, periods and start_day of the plan in force for its update"
        )
        raise InputError(msg)


def _change_records(replan: PhasedReplan, start_day: int, period_days: int) -> pd.DataFrame:
    """The changes with their days (departure, arrival, opening) added."""
    table = replan.changes.copy()

    def day(column: str) -> pd.Series:
        return (start_day + table[column].astype("Float64") * period_days).astype("Int64")

    table["depart_day"] = day("depart_period")
    table["arrive_day"] = day("arrive_period")
    table["open_day_before"] = day("open_period_before")
    table["open_day_after"] = day("open_period_after")
    return table


class DeploymentUpdateKind(UpdateKind, DeploymentKind):
    """A deployment run re-made from its parent's schedule on new data (see the module's notes).

    The registered instance reads its folders; :func:`run_phased_update` makes one per update.
    """

    name = "deployment_update"
    layers: tuple[str, ...] = PlanningKind.layers
    optional_layers: tuple[str, ...] = (*DeploymentKind.optional_layers, "changes")
    summary_schema: type = PlanningSummary
    comparable = PlanningKind.comparable

    def _phased_state(self) -> _PhasedState:
        state = self._need_state()
        assert isinstance(state, _PhasedState)
        return state

    def solve_plan(
        self, scenario: Scenario, inputs: Inputs, problem: AllocationProblem
    ) -> Allocation:
        # the static plan, afresh as a deployment run makes it; the drift beside it
        self.measure_drift(scenario, inputs, list(problem.resources))
        return PlanningKind.solve_plan(self, scenario, inputs, problem)

    def extend(
        self,
        scenario: Scenario,
        inputs: Inputs,
        od: pd.DataFrame,
        layers: dict[str, gpd.GeoDataFrame],
        surge: SurgeResult | None,
        summary: PlanningSummary,
    ) -> None:
        state = self._phased_state()
        assert state.schedule is not None and state.drift is not None
        request = state.request
        problem = deployment_problem(
            scenario, inputs, od, deployment_sites(scenario, inputs), surge
        )
        state.period_demand = period_demand_drift(state.parent, problem.demand)
        limits = request.limits
        if request.skip_below_noise and not state.drift.changed and not state.period_demand:
            limits = ChangeLimits(max_changes=0)
            state.kept_plan = True
        with stage("solve"):
            replan = solve_phased_update(
                problem, scenario.optimize, state.schedule, state.as_of_period, limits
            )
        state.phased = replan
        deployment = deployment_outputs(
            scenario, inputs, problem, replan.static, replan.plan, layers
        )
        if replan.kept is not None:
            deployment["unproven"] += unproven_solves(
                [("the time-phased plan in force, re-evaluated", replan.kept)], scenario.optimize
            )
        attach_deployment(summary, layers, deployment)
        self._explain(scenario, layers, summary, replan, limits)

    def _explain(
        self,
        scenario: Scenario,
        layers: dict[str, gpd.GeoDataFrame],
        summary: PlanningSummary,
        replan: PhasedReplan,
        limits: ChangeLimits,
    ) -> None:
        state = self._phased_state()
        assert state.drift is not None
        dep = scenario.deployment
        assert dep is not None
        P = dep.period_days
        resources = list(summary["resources"])
        areas = layers["areas"]
        kept_unit_days: dict[str, float] | None = None
        if replan.kept is not None:
            per_area = replan.kept.unmet.groupby(level="area").sum() * P
            for r in resources:
                areas[f"deploy_kept_unmet_{r}_unit_days"] = (
                    per_area[r].reindex(areas["area_id"]).fillna(0.0).to_numpy()
                )
            kept_unit_days = {r: float(replan.kept.unmet[r].sum() * P) for r in resources}
        new_unit_days = {r: float(replan.plan.unmet[r].sum() * P) for r in resources}
        changes = _change_records(replan, dep.start_day, P)
        if len(changes):
            point = layers["facilities"].set_index("site_id").geometry
            lands = changes["to_site"].where(changes["site"].isna(), changes["site"]).astype(str)
            layers["changes"] = gpd.GeoDataFrame(
                changes.astype({c: object for c in ("site", "from_site", "to_site", "resource")}),
                geometry=point.reindex(lands).to_numpy(),
                crs=layers["facilities"].crs,
            )
        parent = state.parent
        request = state.request
        drift = state.drift.to_dict()
        if state.period_demand:
            drift["lines"] = [
                *drift["lines"],
                "time-phased demand (units summed over the periods): "
                + ", ".join(
                    f"{r} {fmt.number(v['old'])} → {fmt.number(v['new'])}"
                    for r, v in state.period_demand.items()
                ),
            ]
        summary["update"] = {  # type: ignore[typeddict-unknown-key]
            "kind": "deployment",
            **request_record(parent, request, limits),
            "as_of_day": state.as_of_day,
            "as_of_period": replan.as_of_period,
            "first_change_day": dep.start_day + replan.as_of_period * P,
            "kept_by_rule": state.kept_plan,
            "kept_current": replan.kept_current,
            "notes": list(replan.notes),
            "drift": drift,
            "period_demand": state.period_demand,
            "changes": float(replan.n_changes),
            "site_changes": int(replan.n_site_changes),
            "units_changed": {str(k): float(v) for k, v in replan.units_changed.items()},
            "change_rows": records(changes),
            "kept": {
                "unmet_unit_days": kept_unit_days,
                "objective": replan.kept.objective if replan.kept is not None else None,
                "costs": dict(replan.kept.costs) if replan.kept is not None else None,
            },
            "new": {
                "unmet_unit_days": new_unit_days,
                "objective": replan.plan.objective,
                "costs": dict(replan.plan.costs),
            },
            "unmet_unit_days_avoided": (
                {r: kept_unit_days[r] - new_unit_days[r] for r in resources}
                if kept_unit_days is not None
                else None
            ),
        }

    def build_map(
        self, layers: Mapping[str, gpd.GeoDataFrame], summary: Mapping[str, Any]
    ) -> folium.Map:
        """The deployment run's map with the update's changes drawn on it, shown at first: the
        shipments added and cancelled as lines, the temporary sites changed as rings; the title
        box says the day of the update and the unmet unit-days kept → updated."""
        from geoalloc.outputs.maps import map_of_run
        from geoalloc.outputs.popups import Names
        from geoalloc.outputs.update_map import (
            CHANGES_LAYER,
            add_changes,
            add_shipment_changes,
            phased_update_headline,
        )

        if (summary.get("update") or {}).get("kind") != "deployment":
            return DeploymentKind.build_map(self, layers, summary)
        changes = layers.get("changes")
        facilities = layers["facilities"]
        names = Names.of(layers["areas"], facilities)

        def extend(fmap: folium.Map, legend: Legend) -> dict[str, tuple[str, list[Layer]]]:
            add_shipment_changes(fmap, legend, changes, facilities, names)
            add_changes(
                fmap,
                legend,
                changes,
                names=names,
                name=f"{CHANGES_LAYER}: temporary sites",
                nothing="no temporary site changed",
            )
            return {}

        return map_of_run(
            dict(layers),
            dict(summary),
            extend=extend,
            headline=phased_update_headline(summary),
            # the schedule's shipments hidden at first: drawn with the changes, they hide them
            show_moves=changes is None or not len(changes),
        )

    def update_parent(
        self, request: UpdateRequest, parent: Parent, *, out_dir: Path | None
    ) -> RunResult:
        """:func:`run_phased_update` (what :func:`geoalloc.runs.update.run_update` calls for a
        deployment parent)."""
        return run_phased_update(request, parent, out_dir=out_dir)

    def summary_lines(self, summary: Mapping[str, Any], out_dir: str) -> list[str]:
        from geoalloc.outputs.terminal import deployment_lines, folder_lines, planning_lines
        from geoalloc.outputs.update_report import update_lines

        return (
            update_lines(summary)
            + planning_lines(summary)
            + deployment_lines(summary)
            + folder_lines(out_dir)
        )


DEPLOYMENT_UPDATE = DeploymentUpdateKind()


def run_phased_update(
    request: UpdateRequest, parent: Parent, *, out_dir: Path | None = None
) -> RunResult:
    """Run the update of a time-phased deployment run end to end (nothing is written); ``parent``
    from :func:`geoalloc.runs.update.read_parent`, ``out_dir`` as for
    :func:`geoalloc.runs.update.run_update`."""
    if request.frontier:
        msg = (
            f"{parent.folder}: a disruption frontier is not made for the update of a time-phased "
            "deployment yet — leave it out and run the update at each limit"
        )
        raise InputError(msg)
    scenario = updated_scenario(parent, request, expect="deployment")
    _check_timeline(parent, scenario)
    dep = scenario.deployment
    assert dep is not None
    day = check_as_of_day(request.as_of_day, scenario, parent.folder)
    parent_areas, parent_sites = read_parent_inputs(parent, add_temporary_sites)
    state = _PhasedState(
        request=request,
        parent=parent,
        parent_areas=parent_areas,
        parent_sites=parent_sites,
        schedule=parent_schedule(parent),
        as_of_day=day,
        as_of_period=as_of_period(day, dep.start_day, dep.period_days),
    )
    result = DeploymentUpdateKind(state).run(scenario)
    record_lineage(result, state, out_dir)
    result.manifest["update"]["as_of_day"] = day
    return result
