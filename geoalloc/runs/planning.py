"""The planning run kind: inputs → demand → travel → optimize → evaluate → outputs.

The static plan of where capacity goes (the classic models and the capacitated planning model).
:class:`PlanningKind` has three hooks that a kind built on it (time-phased deployment, in
:mod:`geoalloc.runs.deployment`) overrides: which sites it adds and checks, which sites the static
model may use, and what it adds to the results.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoalloc._errors import InfeasibleError, InputError, SolverError
from geoalloc._validate import Problems, file_problem
from geoalloc.demand import area_needs, planned_resources
from geoalloc.demand.area_needs import area_surge, surge_multiplier
from geoalloc.demand.cases import case_multiplier, cases_per_area
from geoalloc.demand.los import LosModel
from geoalloc.demand.options import DemandOptions
from geoalloc.demand.summary import fit_history, los_summary
from geoalloc.demand.surge import SurgeResult
from geoalloc.inputs.read import (
    area_origins,
    read_areas,
    read_facilities,
    read_polygons,
    read_vector,
    representative_points,
)
from geoalloc.optimize import frontier, problem_from_inputs, solve
from geoalloc.optimize.problem import (
    Allocation,
    AllocationProblem,
    solver_summary,
    unproven_solves,
)
from geoalloc.optimize.shortfall import shortfall_reasons, shortfall_summary
from geoalloc.runs.access import add_access, check_access_inputs
from geoalloc.runs.basemap import BASEMAP_LAYERS, add_base_map
from geoalloc.runs.checks import RunFacts, run_checks
from geoalloc.runs.evaluate import evaluate
from geoalloc.runs.geography import check_geography
from geoalloc.runs.manifest import SEED, build_manifest
from geoalloc.runs.result import RunResult
from geoalloc.runs.schema import FORMAT_VERSION, PlanningSummary
from geoalloc.runs.snapping import add_snap_columns, far_snap_records, snapping_summary
from geoalloc.runs.timings import StageClock, stage, timed_run
from geoalloc.runs.travel import check_travel_table, od_table, origin_flags, travel_matrix_for
from geoalloc.scenario import Scenario
from geoalloc.travel import RoadClosures, default_cache_dir, service_areas_for
from geoalloc.travel.matrix import TravelMatrix

if TYPE_CHECKING:
    import folium

log = logging.getLogger(__name__)

#: queue-check columns copied to the facilities layer, prefixed with the primary resource
QUEUE_COLUMNS = (
    "blocking_erlang_b",
    "expected_occupancy",
    "mean_wait_days_erlang_c",
    "sim_blocking",
    "sim_occupancy",
    "sim_mean_wait_days",
)


@dataclass(frozen=True)
class Inputs:
    """Checked inputs: areas and sites indexed by id (text), and notes on what geoalloc adjusted."""

    areas: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    needs: pd.DataFrame
    los: LosModel
    demand: DemandOptions
    cases_report: dict | None = None
    closures: RoadClosures | None = None
    notes: list[str] = field(default_factory=list)
    _travel: dict[str, TravelMatrix] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def area_points(self) -> gpd.GeoDataFrame:
        """One point per area (EPSG:4326): the origins of every travel time."""
        return area_origins(self.areas)

    def travel_matrix(self, scenario: Scenario) -> TravelMatrix:
        """Travel minutes from every area's origin to every site, up to the run's horizon
        (computed once: a travel table read while checking the inputs is not read again)."""
        if "matrix" not in self._travel:
            self._travel["matrix"] = travel_matrix_for(
                scenario, self.area_points, self.facilities, closures=self.closures
            )
        return self._travel["matrix"]

    def describe(self) -> str:
        existing = int(self.facilities["existing"].sum())
        return f"{len(self.areas)} areas, {len(self.facilities)} sites ({existing} existing)"


def check_inputs(scenario: Scenario, kind: PlanningKind | None = None) -> Inputs:
    """Read every input of ``scenario`` and check it; raise one :class:`InputError` with all problems.

    ``kind``: the planning kind whose hooks add its own sites and checks (default: planning).
    """
    problems = Problems()
    areas = read_areas(scenario.areas, problems)
    facilities = read_facilities(
        scenario.facilities, problems, crs=areas.crs if areas is not None else None
    )
    facilities = (kind or PLANNING).add_sites(scenario, facilities, problems)
    resources = planned_resources(scenario.demand)
    for resource in resources:
        if resource not in scenario.facilities.capacity:
            problems.add(
                "[demand]",
                f"resource {resource!r} has no capacity column in [facilities] capacity",
                f'add {resource} = "<column>" to [facilities] capacity (has: {sorted(scenario.facilities.capacity)})',
            )
    network = scenario.network
    is_file = not (network.is_crowfly or network.is_place or network.is_matrix)
    why = file_problem(network.source) if is_file else None
    if why is not None:
        problems.add(
            "[network]",
            f"source file not found: {network.source}"
            if why == "not found"
            else f"source {network.source} is {why}",
            "give an OSM file (.osm, .osm.bz2, .osm.pbf, .graphml), 'place:<name>' or 'crowfly'",
        )
    needs, los, demand, cases_report = None, None, scenario.demand, None
    if areas is not None and not problems:
        try:
            with stage("demand"):
                los = (kind or PLANNING).los_model(scenario, areas.index)
            if los.history is not None and scenario.history is not None:
                for line in los.history.problems.lines(f"[history] {scenario.history.path.name}"):
                    problems.note("[history]", line)

            def needs_of(areas: gpd.GeoDataFrame, demand: DemandOptions) -> pd.DataFrame:
                return area_needs(
                    areas,
                    population=scenario.areas.population,
                    age_bands=scenario.areas.age_bands,
                    options=demand,
                    los=los,
                )

            with stage("demand"):
                needs = needs_of(areas, demand)
            if demand.cases is not None:  # the case multiplier is relative to these baseline needs
                areas, demand, cases_report = _case_surge(scenario, areas, needs, problems)
                if not problems:
                    with stage("demand"):
                        needs = needs_of(areas, demand)
        except InputError as exc:
            problems.errors.extend(exc.problems)
    _check_optimize_columns(scenario, areas, facilities, problems)
    check_access_inputs(scenario, areas, problems)
    if facilities is not None:
        unknown = sorted(set(scenario.outage.closed_sites) - set(facilities.index))
        if unknown:
            problems.add(
                "[outage] closed_sites",
                "ids not found in the facilities",
                "use ids from the [facilities] id column",
                ids=unknown,
            )
    if (
        facilities is not None
        and not problems
        and not facilities["existing"].any()
        and scenario.optimize.p is None
        and scenario.optimize.model != "lscp"  # lscp takes no p: it finds the fewest sites itself
    ):
        problems.add(
            "[facilities]",
            "no existing site and no [optimize] p",
            "set p, or mark sites as existing",
        )
    closures = _read_closures(scenario, problems) if scenario.outage.road_closures else None
    problems.raise_if_any(
        header=f"scenario {scenario.name!r}: {len(problems.errors)} problem(s) in the inputs"
    )
    assert areas is not None and facilities is not None and needs is not None and los is not None
    for note in problems.notes:
        log.info(note)
    inputs = Inputs(
        areas=areas,
        facilities=facilities,
        needs=needs,
        los=los,
        demand=demand,
        cases_report=cases_report,
        closures=closures,
        notes=problems.notes,
    )
    if scenario.network.is_matrix:  # a travel table is an input too: its ids are checked here
        check_travel_table(scenario, lambda: inputs.travel_matrix(scenario))
    else:  # before any routing: do the areas and sites lie where the network can route them?
        population = areas[scenario.areas.population].astype(float)
        inputs.notes.extend(check_geography(scenario, inputs.area_points, population, facilities))
    return inputs


CASE_MULTIPLIER_COLUMN = "case_surge_multiplier"


def _case_surge(
    scenario: Scenario, areas: gpd.GeoDataFrame, needs: pd.DataFrame, problems: Problems
) -> tuple[gpd.GeoDataFrame, DemandOptions, dict | None]:
    """``[demand.cases]``: zone case counts → a surge multiplier column on the areas."""
    options = scenario.demand.cases
    assert options is not None  # called only with [demand.cases]
    where = f"[demand.cases] {options.path.name}"
    zones = read_vector(options.path, options.layer, where, problems)
    if zones is None or zones.crs is None:
        return areas, scenario.demand, None
    if options.cases not in zones.columns:
        problems.add(
            where, f"column {options.cases!r} not found", f"columns are: {list(zones.columns)}"
        )
        return areas, scenario.demand, None
    counts = pd.to_numeric(zones[options.cases], errors="coerce")
    bad = counts.isna() | (counts < 0)
    if bad.any():
        problems.add(
            where,
            f"column {options.cases!r} must be counts ≥ 0",
            "fix these rows",
            ids=[f"row {i + 1}" for i in np.flatnonzero(bad.to_numpy())],
        )
        return areas, scenario.demand, None
    population = areas[scenario.areas.population].astype(float)
    per_area, report = cases_per_area(
        representative_points(areas), population, zones, options.cases
    )
    multiplier = case_multiplier(needs["admissions_per_day"], per_area, options)
    impossible = ~np.isfinite(multiplier)
    if impossible.any():
        problems.add(
            where,
            "cases fall on areas with no baseline admissions",
            "check the population of these areas",
            ids=multiplier.index[impossible],
        )
    for key in ("zones_without_populated_area", "areas_in_no_zone"):
        if report[key]:
            problems.note(where, f"{key.replace('_', ' ')}: {report[key]}")
    areas = areas.copy()
    areas[CASE_MULTIPLIER_COLUMN] = multiplier * surge_multiplier(areas, scenario.demand)
    demand = scenario.demand.model_copy(update={"surge_multiplier": CASE_MULTIPLIER_COLUMN})
    return areas, demand, report


def _read_closures(scenario: Scenario, problems: Problems) -> RoadClosures | None:
    """The ``[outage] road_closures`` polygons (roads cut or slowed inside them)."""
    outage = scenario.outage
    assert outage.road_closures is not None  # called only with road closures
    where = f"[outage] road_closures {outage.road_closures.name}"
    if scenario.network.is_crowfly:
        problems.add(
            where, "road closures need a road network, not crowfly", "set [network] source"
        )
        return None
    layer = read_polygons(outage.road_closures, where, "closures", problems)
    if layer is None:
        return None
    return RoadClosures.from_layer(layer, outage.road_slowdown_factor)


def _check_optimize_columns(
    scenario: Scenario,
    areas: gpd.GeoDataFrame | None,
    facilities: gpd.GeoDataFrame | None,
    problems: Problems,
) -> None:
    """Columns that [optimize] names must exist in the facility / area files."""
    options = scenario.optimize
    site_columns = {
        "opening_cost_column": options.opening_cost_column,
        "operating_cost_column": options.operating_cost_column,
    } | {f"max_size_columns.{r}": c for r, c in options.max_size_columns.items()}
    if facilities is not None:
        for key, column in site_columns.items():
            if column and column not in facilities.columns:
                problems.add(
                    f"[optimize] {key}",
                    f"column {column!r} is not in the facilities file",
                    f"columns are: {', '.join(c for c in facilities.columns if c != 'geometry')}",
                )
    priority = options.priority_column
    if areas is not None and priority and priority != LONG_STAY_SHARE:
        if priority not in areas.columns:
            problems.add(
                "[optimize] priority_column",
                f"column {priority!r} is not in the areas file (nor {LONG_STAY_SHARE!r})",
                f"columns are: {', '.join(c for c in areas.columns if c != 'geometry')}",
            )
        else:
            values = pd.to_numeric(areas[priority], errors="coerce")
            bad = values.index[~(values >= 0)]
            if len(bad):
                problems.add(
                    "[optimize] priority_column",
                    f"column {priority!r} must hold numbers ≥ 0",
                    "fix these areas",
                    ids=bad,
                )
    group = options.equity_group_column
    if areas is not None and group and group not in areas.columns:
        problems.add(
            "[optimize] equity_group_column",
            f"column {group!r} is not in the areas file",
            f"columns are: {', '.join(c for c in areas.columns if c != 'geometry')}",
        )


def _demand_model(
    scenario: Scenario,
    inputs: Inputs,
    allocation: Allocation,
    layers: dict,
    surge: SurgeResult | None,
) -> dict:
    """LOS, queue check and surge for ``summary.json``; adds their per-area/per-site columns."""
    from geoalloc.demand.queue import is_bed_like, queue_check_plan  # scipy.stats: only here

    bed_like = [r for r in planned_resources(inputs.demand) if is_bed_like(r, inputs.demand)]
    primary = bed_like[0] if bed_like else None  # no queue check for equipment- or staff-only plans
    queue = (
        queue_check_plan(
            allocation.sites,
            inputs.los,
            options=inputs.demand,
            resource=primary,
            seed=SEED,
            simulate=inputs.demand.simulate_queues,
        )
        if primary
        else None
    )
    areas = layers["areas"]
    extra = [c for c in inputs.needs.columns if c not in areas.columns]
    for column in extra:
        areas[column] = inputs.needs[column].reindex(areas["area_id"]).to_numpy()
    if CASE_MULTIPLIER_COLUMN in inputs.areas.columns:
        multiplier = inputs.areas[CASE_MULTIPLIER_COLUMN].reindex(areas["area_id"])
        areas[CASE_MULTIPLIER_COLUMN] = multiplier.to_numpy()
    sites = layers["facilities"]
    for column in QUEUE_COLUMNS:
        if queue is not None and column in queue.columns:
            values = queue[column].reindex(sites["site_id"]).to_numpy()
            sites[f"{primary}_{column}"] = values
    return los_summary(inputs.los, needs=inputs.needs, queue=queue, surge=surge)


def _records(table: pd.DataFrame) -> list[dict]:
    """Rows of a table (its index as a first column when it is named) for summary.json."""
    frame = table.reset_index() if table.index.name else table
    return frame.to_dict(orient="records")


def _surge_chart_data(daily: object, facilities: gpd.GeoDataFrame, resource: str) -> dict | None:
    """Needed vs available units per day (for the report's surge chart)."""
    frame = pd.DataFrame(daily)
    if resource not in frame.columns:
        return None
    day = frame["day"] if "day" in frame.columns else pd.Series(range(len(frame)))
    available = float(facilities[f"{resource}_after"].sum())
    return {
        "day": day.tolist(),
        "needed": frame[resource].astype(float).tolist(),
        "available": [available] * len(frame),
        "resource": resource,
    }


def _service_areas(
    scenario: Scenario, inputs: Inputs, facilities: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Isochrones of the open sites at half the standard and at the standard (for the map)."""
    standard = scenario.optimize.max_minutes
    minutes = [standard / 2, standard] if standard is not None else [10.0, 20.0, 30.0]
    open_ids = facilities.loc[facilities["open"].astype(bool), "site_id"]
    sites = gpd.GeoDataFrame(
        geometry=inputs.facilities.geometry.to_crs(4326).loc[open_ids.to_numpy()],
        crs=4326,
    )
    return service_areas_for(
        scenario.network, sites, minutes, cache_dir=default_cache_dir(), closures=inputs.closures
    )


def build_problem(
    scenario: Scenario, inputs: Inputs, od: pd.DataFrame, kind: PlanningKind | None = None
) -> AllocationProblem:
    """The optimizer's problem: pairs within the standard, sites out of service left out.

    ``od`` is the long table ``area``, ``site``, ``minutes`` (e.g. within the horizon).
    """
    standard = scenario.optimize.max_minutes
    if standard is not None:
        od = od[od["minutes"] <= standard]
    closed = pd.Index(scenario.outage.closed_sites, dtype=object)
    if len(closed):
        log.info("outage: %d site(s) out of service: %s", len(closed), ", ".join(closed))
    group_column = scenario.optimize.equity_group_column
    facilities = inputs.facilities.drop(index=closed)
    facilities = (kind or PLANNING).problem_sites(scenario, facilities)
    return problem_from_inputs(
        inputs.needs,
        inputs.areas[scenario.areas.population].astype(float),
        facilities,
        od[od["site"].isin(facilities.index)],
        resources=planned_resources(scenario.demand),
        groups=inputs.areas[group_column] if group_column else None,
        options=scenario.optimize,
        priority=_priority(scenario, inputs),
    )


#: ``[optimize] priority_column`` value that weights areas by their share of long stays
LONG_STAY_SHARE = "long_stay_share"


def _priority(scenario: Scenario, inputs: Inputs) -> pd.Series | None:
    """Weights on each area's unmet penalty, normalised to a population-weighted mean of 1."""
    column = scenario.optimize.priority_column
    if column is None:
        return None
    if column == LONG_STAY_SHARE:
        needs = inputs.needs
        raw = (needs["long_stay_admissions_per_day"] / needs["admissions_per_day"]).fillna(0.0)
    else:
        raw = pd.to_numeric(inputs.areas[column], errors="coerce")
    population = inputs.areas[scenario.areas.population].astype(float)
    mean = float((raw * population).sum() / population.sum()) if population.sum() > 0 else 0.0
    return raw / mean if mean > 0 else raw


def _add_shortfall(layers: dict, shortfall: pd.DataFrame) -> None:
    """``unmet_reason`` on the areas layer ("" when nothing is unmet) and a ``shortfall`` layer:
    one row per (area, resource) left short, on the area's polygon."""
    areas = layers["areas"]
    text = shortfall.assign(text=shortfall["resource"] + ": " + shortfall["reason"])
    per_area = text.groupby("area")["text"].agg("; ".join).astype(object)
    areas["unmet_reason"] = areas["area_id"].map(per_area).astype(object).fillna("")
    shapes = areas.set_index("area_id").geometry
    layers["shortfall"] = gpd.GeoDataFrame(
        shortfall, geometry=shapes.reindex(shortfall["area"]).to_numpy(), crs=areas.crs
    )


def run_planning(
    scenario: Scenario, kind: PlanningKind, *, travel: TravelMatrix | None = None
) -> RunResult:
    """Run a planning scenario end to end: the layers, summary and manifest (nothing is written).

    ``travel``: a matrix already computed for these inputs, network and horizon (a sweep reuses one).
    """
    with timed_run() as clock:
        return _run_planning(scenario, kind, clock, travel=travel)


def _run_planning(
    scenario: Scenario, kind: PlanningKind, clock: StageClock, *, travel: TravelMatrix | None
) -> RunResult:
    with stage("read"):
        inputs = check_inputs(scenario, kind)

    resources = planned_resources(scenario.demand)
    population = inputs.areas[scenario.areas.population].astype(float)

    with stage("travel"):
        matrix = travel if travel is not None else inputs.travel_matrix(scenario)
        od = od_table(matrix)
        area_points = inputs.area_points
        flags = matrix.flags
    standard = scenario.optimize.max_minutes
    log.info("travel: %d (area, site) pairs within the horizon", len(od))

    with stage("solve"):
        closed = pd.Index(scenario.outage.closed_sites, dtype=object)
        problem = build_problem(scenario, inputs, od, kind)
        allocation = kind.solve_plan(scenario, inputs, problem)
        frontier_table = (
            frontier(problem, scenario.optimize) if scenario.optimize.frontier_floors else None
        )
    if allocation.status == "infeasible":
        raise InfeasibleError(f"{allocation.model}: the solver proved the model infeasible")
    if allocation.status == "no_solution":
        msg = (
            f"{allocation.model}: no solution within {scenario.optimize.time_limit_s} s "
            "— raise [optimize] time_limit_s or simplify the model"
        )
        raise SolverError(msg)

    with stage("evaluate"):  # inner stages (demand, a kind's own solve) are not counted twice
        evaluation = evaluate(
            areas=inputs.areas,
            area_points=area_points,
            population=population,
            needs=inputs.needs,
            resources=resources,
            facilities=inputs.facilities,
            od=od,
            allocation=allocation,
            max_minutes=standard,
            out_of_service=closed,
            groups=inputs.areas[group_column]
            if (group_column := scenario.optimize.equity_group_column)
            else None,
        )
        layers = evaluation["layers"]
        layers["areas"]["travel_flag"] = layers["areas"]["area_id"].map(origin_flags(matrix))
        add_snap_columns(layers, matrix, scenario.network)
        if group_column and group_column not in layers["areas"].columns:  # for the map and GIS
            groups = inputs.areas[group_column].reindex(layers["areas"]["area_id"])
            layers["areas"][group_column] = groups.astype(str).to_numpy()
        layers["service_areas"] = _service_areas(scenario, inputs, layers["facilities"])
        shortfall = shortfall_reasons(problem, allocation, scenario.optimize)
        _add_shortfall(layers, shortfall)
        add_base_map(scenario, inputs.areas, layers, cache_dir=default_cache_dir())

        # the surge curves are demand; the queue check below evaluates the plan
        with stage("demand"):
            surge_curves = area_surge(
                inputs.areas,
                population=scenario.areas.population,
                age_bands=scenario.areas.age_bands,
                options=inputs.demand,
                los=inputs.los,
            )
        demand_model = _demand_model(scenario, inputs, allocation, layers, surge_curves)

        summary: PlanningSummary = {
            "format": FORMAT_VERSION,
            "kind": kind.name,
            "scenario": scenario.name,
            "model": allocation.model,
            "max_minutes": standard,
            "resources": resources,
            "areas": len(inputs.areas),
            "sites": len(inputs.facilities),
            "demand": evaluation["demand"],
            "served": evaluation["plan"]["served"],
            "unmet": evaluation["plan"]["unmet"],
            "baseline": evaluation["baseline"],
            "plan": evaluation["plan"],
            "area_status": evaluation["area_status"],
            "site_status": evaluation["site_status"],
            "demand_model": demand_model
            | ({"cases": inputs.cases_report} if inputs.cases_report is not None else {}),
            "shortfall": {
                "by_reason": shortfall_summary(shortfall),
                "areas": _records(shortfall),
            },
            "travel_flags": flags.to_dict(orient="records"),
            "snapping": snapping_summary(scenario.network),
            "far_snaps": far_snap_records(
                matrix,
                scenario.network,
                site_names=inputs.facilities["name"],
                population=population,
            ),
            "input_notes": inputs.notes,
            "population_estimate": scenario.areas.population_estimate,
            "solver": solver_summary(allocation, scenario.optimize),
            "objective": allocation.objective_detail,
            "unproven": unproven_solves([("the plan", allocation)], scenario.optimize),
            "costs": allocation.costs,
            "timings_s": {},
        }
        if scenario.access is not None:
            summary["access"] = add_access(scenario, inputs.areas, inputs.needs, matrix, layers)
        if allocation.why is not None:
            summary["why_sites"] = _records(allocation.why)
        if allocation.marginal_value is not None:
            summary["marginal_value"] = _records(allocation.marginal_value)
        if frontier_table is not None:
            first = ["worst_group_coverage", "mean_minutes"]  # the report plots the first two
            ordered = first + [c for c in frontier_table.columns if c not in first]
            summary["frontier"] = _records(frontier_table[ordered].reset_index(drop=True))
        kind.extend(scenario, inputs, od, layers, surge_curves, summary)
        surge = demand_model.get("surge")
        if surge and surge.get("daily"):
            summary["surge"] = _surge_chart_data(surge["daily"], layers["facilities"], resources[0])
        summary["checks"], summary["checks_passed"] = run_checks(
            RunFacts(summary=summary, layers=layers, scenario=scenario, od=od)
        )
    summary["timings_s"] = clock.as_dict()
    return RunResult(
        scenario=scenario,
        kind=kind,
        layers=layers,
        summary=dict(summary),
        manifest=build_manifest(scenario, summary["timings_s"]),
        plan=allocation,
    )


def frontier_of(scenario: Scenario, floors: list[float] | None = None) -> pd.DataFrame:
    """The equity–efficiency frontier of a planning scenario: one solve per coverage floor.

    Parameters
    ----------
    scenario
        A planning scenario with ``[optimize] equity_group_column``.
    floors
        Coverage floors 0–1 (default: ``[optimize] frontier_floors``, else a standard ladder).

    Returns
    -------
    pandas.DataFrame
        One row per floor: status, mean minutes, worst-group coverage, unmet demand.
    """
    from geoalloc.runs.kinds import kind_for, require_comparable

    require_comparable(scenario, "frontiers")
    if scenario.optimize.equity_group_column is None:
        msg = (
            f"scenario {scenario.name!r}: the frontier needs [optimize] equity_group_column "
            "(an areas column)"
        )
        raise InputError(msg)
    kind = kind_for(scenario)
    assert isinstance(kind, PlanningKind)
    inputs = check_inputs(scenario, kind)
    problem = build_problem(scenario, inputs, od_table(inputs.travel_matrix(scenario)), kind)
    return frontier(problem, scenario.optimize, floors)


class PlanningKind:
    """The static planning run (any ``[optimize] model``); the registry's fallback kind."""

    name = "planning"
    layers: tuple[str, ...] = ("areas", "facilities", "assignments", "catchments")
    optional_layers: tuple[str, ...] = ("service_areas", "shortfall", *BASEMAP_LAYERS)
    summary_schema: type = PlanningSummary
    comparable = True

    def handles(self, scenario: Scenario) -> bool:
        return True  # asked last: every scenario no other kind claims

    def check(self, scenario: Scenario) -> Inputs:
        return check_inputs(scenario, self)

    def run(self, scenario: Scenario, *, travel: TravelMatrix | None = None) -> RunResult:
        return run_planning(scenario, self, travel=travel)

    def build_map(
        self, layers: Mapping[str, gpd.GeoDataFrame], summary: Mapping[str, Any]
    ) -> folium.Map:
        from geoalloc.outputs.maps import map_of_run

        return map_of_run(dict(layers), dict(summary))

    def report_html(
        self,
        layers: Mapping[str, gpd.GeoDataFrame],
        summary: Mapping[str, Any],
        manifest: Mapping[str, Any],
    ) -> str:
        from geoalloc.outputs.report import report_html

        return report_html(dict(layers), dict(summary), dict(manifest))

    def summary_lines(self, summary: Mapping[str, Any], out_dir: str) -> list[str]:
        from geoalloc.outputs.terminal import folder_lines, planning_lines

        return planning_lines(summary) + folder_lines(out_dir)

    # --- hooks for kinds built on planning ---------------------------------------------------

    def los_model(self, scenario: Scenario, area_ids: pd.Index) -> LosModel:
        """The LOS model (and the history the admission rates come from): the scenario's
        ``[history]`` fitted, else the assumed LOS; a kind may fit another (e.g. pooled) one."""
        return fit_history(scenario.history, scenario.demand, area_ids=area_ids, seed=SEED)

    def solve_plan(
        self, scenario: Scenario, inputs: Inputs, problem: AllocationProblem
    ) -> Allocation:
        """The plan for ``problem``: the ``[optimize]`` model solved from scratch; a kind may
        start from another plan (an update re-plans from its parent's)."""
        return solve(problem, scenario.optimize)

    def add_sites(
        self, scenario: Scenario, facilities: gpd.GeoDataFrame | None, problems: Problems
    ) -> gpd.GeoDataFrame | None:
        """The sites of the run (the facilities file's); a kind may add its own and check them."""
        return facilities

    def problem_sites(self, scenario: Scenario, facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """The sites the static model may open or use."""
        return facilities

    def extend(
        self,
        scenario: Scenario,
        inputs: Inputs,
        od: pd.DataFrame,
        layers: dict[str, gpd.GeoDataFrame],
        surge: SurgeResult | None,
        summary: PlanningSummary,
    ) -> None:
        """Add the kind's own results to ``layers`` and ``summary`` (planning adds nothing)."""


PLANNING = PlanningKind()
