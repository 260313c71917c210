"""A scenario with ``[telemedicine]``: inputs → outpatient hours → travel to physical sites →
hub placement and sizing (:mod:`geoalloc.optimize.telemedicine`) → per-area figures.

Definitions used in every output (hours are physician-hours per week, T is ``[optimize]
max_minutes``):

- *beyond T*: no site with in-person physician-hours within T minutes by road (the
  physical-only access gap);
- *tele-served hours*: hours of an area's divertible share served by a hub;
- *people gaining access through telemedicine*: over the areas beyond T, population × the share of
  their divertible hours that hubs serve (an area whose divertible hours are all served counts in
  full);
- *people still without any*: people beyond T minus those gaining access;
- area status (access): ``in person`` (within T), ``telemedicine`` (beyond T, all divertible
  hours tele-served), ``partly`` (beyond T, some), ``still without`` (beyond T, none);
- area service (the care an area receives in the plan, :data:`SERVICES`): ``all in person``,
  ``in person and by video``, ``all by video`` (nothing unmet), ``in person, part unmet``,
  ``by video only, the rest unmet``, ``no care`` (all of its need unmet), ``no need``. An area
  within T whose physicians' hours are used up by others is ``no care`` or ``by video only``,
  never ``in person``: the map and the report colour and name areas by it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoalloc._errors import InputError
from geoalloc._validate import Problems, format_ids
from geoalloc.demand.history import read_rows
from geoalloc.demand.needs import band_admissions_per_year, band_population
from geoalloc.inputs.read import (
    _as_bool,
    area_origins,
    metric_crs,
    read_areas,
    read_facilities,
    read_polygons,
)
from geoalloc.optimize.problem import solver_summary, unproven_solves
from geoalloc.optimize.telemedicine import TelePlan, TeleProblem, TeleWeights, solve_telemedicine
from geoalloc.runs.basemap import BASEMAP_LAYERS, add_base_map
from geoalloc.runs.checks import RunFacts, run_checks
from geoalloc.runs.evaluate import nearest_minutes
from geoalloc.runs.geography import check_geography
from geoalloc.runs.manifest import build_manifest
from geoalloc.runs.result import RunResult
from geoalloc.runs.schema import FORMAT_VERSION, TelemedicineSummary
from geoalloc.runs.snapping import add_snap_columns, far_snap_records, snapping_summary
from geoalloc.runs.timings import StageClock, stage, timed_run
from geoalloc.runs.travel import check_travel_table, od_table, origin_flags, travel_matrix_for
from geoalloc.scenario import Scenario
from geoalloc.scenario.telemedicine import CaseMixShares, TelemedicineOptions
from geoalloc.travel import default_cache_dir
from geoalloc.travel.matrix import TravelMatrix

if TYPE_CHECKING:
    import folium

log = logging.getLogger(__name__)

STATUSES = ("in person", "telemedicine", "partly", "still without")
#: the care an area receives (the ``service`` column), from best to worst
SERVICES = (
    "all in person",
    "in person and by video",
    "all by video",
    "in person, part unmet",
    "by video only, the rest unmet",
    "no care",
    "no need",
)
#: physician-hours per week below which an area's hours count as none
HOURS_TOLERANCE = 1e-6


def check_telemedicine_inputs(
    scenario: Scenario,
) -> tuple[TeleProblem, gpd.GeoDataFrame, gpd.GeoDataFrame, list[str]]:
    """Read and check every input of a ``[telemedicine]`` scenario; one :class:`InputError` with
    every problem. Returns the problem (no travel pairs yet), the areas, the sites and the notes."""
    options = scenario.telemedicine
    assert options is not None
    problems = Problems()
    if scenario.optimize.max_minutes is None:
        problems.add(
            "[optimize] max_minutes",
            "telemedicine needs the travel standard T",
            "set max_minutes (e.g. 15)",
        )
    areas = read_areas(scenario.areas, problems)
    sites = read_facilities(
        scenario.facilities, problems, crs=areas.crs if areas is not None else None
    )
    demand = divertible = connected = None
    if areas is not None:
        connected = _connected(areas, options, problems)
        share = (
            _case_mix_share(scenario, areas, options.divertible_share, problems)
            if isinstance(options.divertible_share, CaseMixShares)
            else _area_share(areas, options, problems)
        )
        with stage("demand"):  # physician-hours needed per area
            demand = _outpatient_hours(scenario, areas, options, problems)
        if share is not None and demand is not None and connected is not None:
            divertible = (share * demand).where(connected, 0.0)
    site_hours = hubs = None
    if sites is not None:
        site_hours, hubs = _sites(sites, options, problems)
    problems.raise_if_any(
        header=f"scenario {scenario.name!r}: {len(problems.errors)} problem(s) in the inputs"
    )
    assert areas is not None and sites is not None and site_hours is not None
    problem = TeleProblem(
        demand=demand,
        divertible=divertible,
        connected=connected,
        site_hours=site_hours,
        od=pd.DataFrame({"area": [], "site": [], "minutes": []}),
        hubs=hubs,
        max_minutes=float(scenario.optimize.max_minutes or 0.0),  # None was refused above
        cost_per_hour=options.cost_per_hour,
        budget=options.budget,
    )
    for note in problems.notes:
        log.info(note)
    # before any routing: do the areas and the physical sites lie where the network can route them?
    physical = sites.loc[site_hours.index[site_hours > 0]]
    population = areas[scenario.areas.population].astype(float)
    notes = problems.notes + check_geography(scenario, area_origins(areas), population, physical)
    return problem, areas, sites, notes


def _has_column(
    frame: pd.DataFrame, column: str, where: str, what: str, fix: str, problems: Problems
) -> bool:
    """True if ``column`` is in ``frame``; else a problem naming the columns there are."""
    if column in frame.columns:
        return True
    available = ", ".join(c for c in frame.columns if c != "geometry")
    problems.add(
        where, f"column {column!r} is not in the {what}", f"{fix}; columns are: {available}"
    )
    return False


def _connected(
    areas: gpd.GeoDataFrame, options: TelemedicineOptions, problems: Problems
) -> pd.Series | None:
    where = "[telemedicine] connected"
    if options.connected is not None:
        fix = "add a true/false column, or use coverage = <polygons>"
        if not _has_column(areas, options.connected, where, "areas", fix, problems):
            return None
        frame = areas[[options.connected]].reset_index(drop=True)
        values = _as_bool(frame, options.connected, areas.index, where, problems)
        return values
    assert options.coverage is not None  # the options require connected or coverage
    where = f"[telemedicine] coverage {options.coverage.name}"
    coverage = read_polygons(options.coverage, where, "coverage", problems)
    if coverage is None:
        return None
    return connected_by_coverage(areas, coverage, options.coverage_min_share)


def connected_by_coverage(
    areas: gpd.GeoDataFrame, coverage: gpd.GeoDataFrame, min_share: float | None
) -> pd.Series:
    """True per area whose representative point lies in ``coverage`` (``min_share`` None), or at
    least ``min_share`` of whose surface does (both measured in the areas' local UTM CRS)."""
    utm = metric_crs(areas.geometry)
    shapes = areas.geometry.to_crs(utm)
    covered = coverage.geometry.to_crs(utm).union_all()
    if min_share is None:
        inside = shapes.representative_point().within(covered)
    else:
        area = shapes.area
        share = shapes.intersection(covered).area / area.where(area > 0)
        inside = share.fillna(0.0) >= min_share - 1e-12
    return pd.Series(inside.to_numpy(dtype=bool), index=areas.index)


def _area_share(
    areas: gpd.GeoDataFrame, options: TelemedicineOptions, problems: Problems
) -> pd.Series | None:
    if isinstance(options.divertible_share, int | float):
        return pd.Series(float(options.divertible_share), index=areas.index)
    assert isinstance(options.divertible_share, str)  # case-mix shares go to _case_mix_share
    column, where = options.divertible_share, "[telemedicine] divertible_share"
    fix = "give a number 0..1 or an areas column"
    if not _has_column(areas, column, where, "areas", fix, problems):
        return None
    values = pd.to_numeric(areas[column], errors="coerce")
    bad = values.index[~((values >= 0) & (values <= 1))]
    if len(bad):
        problems.add(where, f"column {column!r} must be shares between 0 and 1", ids=bad)
        return None
    return values.astype(float)


def _case_mix_share(
    scenario: Scenario, areas: gpd.GeoDataFrame, shares: CaseMixShares, problems: Problems
) -> pd.Series | None:
    """Each area's divertible share from the case mix of its rows in the ``[history]``."""
    where = "[telemedicine] divertible_share (by case mix)"
    history = scenario.history
    if history is None or history.area_id is None:
        problems.add(
            where,
            "shares by case mix need an admissions/visits history with each row's area",
            "add [history] with area_id (and the case-mix column), or give one share",
        )
        return None
    try:
        rows = read_rows(history)
    except InputError as exc:
        problems.errors.extend(exc.problems)
        return None
    for column in (history.area_id, shares.by):
        if column not in rows.columns:
            problems.add(where, f"[history] has no column {column!r}", "check [history] / by")
            return None
    known = rows[history.area_id].astype(str).isin(areas.index) & rows[shares.by].notna()
    if (~known).any():
        problems.note(
            where,
            f"{int((~known).sum())} history row(s) without a known area or a case-mix group "
            "are left out of the mix",
        )
    rows = rows[known]
    groups = rows[shares.by].astype(str)
    unknown = sorted(set(groups) - set(shares.shares))
    if unknown:
        problems.add(
            where,
            f"history groups without a share: {unknown}",
            f"give a share for each value of [history] {shares.by!r}",
        )
        return None
    if rows.empty:
        problems.add(where, "the history has no usable row", "check [history] area_id")
        return None
    row_share = groups.map(shares.shares).astype(float)
    by_area = row_share.groupby(rows[history.area_id].astype(str)).mean()
    missing = areas.index[~areas.index.isin(by_area.index)]
    if len(missing):
        problems.note(
            where,
            f"{len(missing)} area(s) have no history row and take the whole history's mix "
            f"({row_share.mean():.3f}): {format_ids(missing)}",
        )
    return by_area.reindex(areas.index).fillna(float(row_share.mean()))


def _outpatient_hours(
    scenario: Scenario, areas: gpd.GeoDataFrame, options: TelemedicineOptions, problems: Problems
) -> pd.Series | None:
    """Physician-hours per week per area: visits by age band × minutes per visit."""
    negative = [band for band, rate in options.visits_per_1000.items() if rate < 0]
    if negative:
        problems.add(
            "[telemedicine] visits_per_1000", f"negative rates for {negative}", "give rates ≥ 0"
        )
        return None
    bands = band_population(areas, scenario.areas.population, scenario.areas.age_bands)
    try:
        visits = band_admissions_per_year(bands, options.visits_per_1000).sum(axis=1)
    except InputError as exc:
        for line in exc.problems:  # the shared band check speaks of [demand]; say where it is
            problems.add(
                "[telemedicine]", line.replace("[demand] admissions_per_1000", "visits_per_1000")
            )
        return None
    return visits * options.minutes_per_visit / 60.0 / options.weeks_per_year


def _column_or_number(
    sites: gpd.GeoDataFrame, value: float | str, key: str, problems: Problems
) -> pd.Series | None:
    if not isinstance(value, str):
        return pd.Series(float(value), index=sites.index)
    where = f"[telemedicine] {key}"
    if not _has_column(sites, value, where, "facilities", "give a number or a column", problems):
        return None
    numbers = pd.to_numeric(sites[value], errors="coerce")
    bad = numbers.index[~(numbers >= 0)]
    if len(bad):
        problems.add(where, f"column {value!r} must hold numbers ≥ 0", "fix these sites", ids=bad)
        return None
    return numbers.astype(float)


def _sites(
    sites: gpd.GeoDataFrame, options: TelemedicineOptions, problems: Problems
) -> tuple[pd.Series | None, pd.DataFrame | None]:
    hours = _column_or_number(sites, options.site_hours, "site_hours", problems)
    fix = "add a true/false column marking hub candidates"
    if not _has_column(sites, options.hub, "[telemedicine] hub", "facilities", fix, problems):
        return hours, None
    frame = sites[[options.hub]].reset_index(drop=True)
    is_hub = _as_bool(frame, options.hub, sites.index, "[telemedicine] hub", problems)
    max_hours = _column_or_number(sites, options.hub_max_hours, "hub_max_hours", problems)
    opening = _column_or_number(sites, options.hub_opening_cost, "hub_opening_cost", problems)
    if max_hours is None or opening is None:
        return hours, None
    hubs = pd.DataFrame({"max_hours": max_hours, "opening_cost": opening})[is_hub]
    if hours is not None and hours.sum() <= 0:
        problems.add(
            "[telemedicine] site_hours",
            f"no site has in-person physician-hours in column {options.site_hours!r}",
            "give the physical sites their hours per week",
        )
    return hours, hubs


def run_telemedicine(
    scenario: Scenario, kind: TelemedicineKind, *, travel: TravelMatrix | None = None
) -> RunResult:
    """Run a ``[telemedicine]`` scenario end to end (nothing is written)."""
    with timed_run() as clock:
        return _run_telemedicine(scenario, kind, clock, travel=travel)


def _run_telemedicine(
    scenario: Scenario, kind: TelemedicineKind, clock: StageClock, *, travel: TravelMatrix | None
) -> RunResult:
    options = scenario.telemedicine
    assert options is not None  # the kind handles [telemedicine] scenarios only
    with stage("read"):  # the hours needed per area inside: stage demand
        problem, areas, sites, notes = check_telemedicine_inputs(scenario)
    standard = problem.max_minutes
    physical = problem.site_hours.index[problem.site_hours > 0]

    with stage("travel"):
        origins = area_origins(areas)  # where each area's trips start (travel and the layers)
        if travel is None:
            # a travel table may list every site; a routed matrix needs only the physical ones
            destinations = sites if scenario.network.is_matrix else sites.loc[physical]
            travel = travel_matrix_for(scenario, origins, destinations)
        od = od_table(travel)
        od = od[od["site"].isin(physical)]
        nearest = nearest_minutes(od, areas.index, physical)

    with stage("solve"):
        problem = replace(problem, od=od[od["minutes"] <= standard])
        weights = TeleWeights(options.unmet_penalty, options.tele_minutes, options.cost_weight)
        plan = solve_telemedicine(problem, scenario.optimize, weights)
        no_hubs = replace(problem, hubs=problem.hubs.iloc[0:0])
        physical_only = solve_telemedicine(no_hubs, scenario.optimize, weights)

    with stage("evaluate"):
        population = areas[scenario.areas.population].astype(float)
        table = area_table(problem, plan, nearest, population)
        table["travel_flag"] = origin_flags(travel).reindex(table.index)
        figures = telemedicine_figures(table, plan, physical_only)
        figures["by_group"] = access_by_group(table, _group_persons(scenario, areas))
        layers = _layers(scenario, areas, origins, sites, problem, plan, table)
        add_snap_columns(layers, travel, scenario.network)
        names = sites["name"].astype(str)
        figures["hub_names"] = {h: names.get(h, h) for h in figures["physician_hours_by_hub"]}
        add_base_map(scenario, areas, layers, cache_dir=default_cache_dir())
        summary: TelemedicineSummary = {
            "format": FORMAT_VERSION,
            "kind": kind.name,
            "scenario": scenario.name,
            "model": "telemedicine",
            "max_minutes": standard,
            "areas": len(areas),
            "sites": len(sites),
            "telemedicine": figures,
            "area_status": {s: int((table["status"] == s).sum()) for s in STATUSES},
            "area_service": {s: int((table["service"] == s).sum()) for s in SERVICES},
            "input_notes": notes,
            "snapping": snapping_summary(scenario.network),
            "far_snaps": far_snap_records(
                travel, scenario.network, site_names=sites["name"], population=population
            ),
            "solver": solver_summary(plan, scenario.optimize),
            "unproven": unproven_solves([("the telemedicine plan", plan)], scenario.optimize),
            "costs": plan.costs,
            "timings_s": {},
        }
        summary["checks"], summary["checks_passed"] = run_checks(
            RunFacts(summary=summary, layers=layers, scenario=scenario)
        )
    summary["timings_s"] = clock.as_dict()
    return RunResult(
        scenario=scenario,
        kind=kind,
        layers=layers,
        summary=dict(summary),
        manifest=build_manifest(scenario, summary["timings_s"]),
        plan=plan,
    )


def area_table(
    problem: TeleProblem, plan: TelePlan, nearest: pd.DataFrame, population: pd.Series
) -> pd.DataFrame:
    """Per area (every area): minutes to the nearest physician, beyond T, connected, hours and
    status (see the module docstring)."""
    ids = problem.demand.index
    table = pd.DataFrame(index=ids)
    table.index.name = "area_id"
    table["population"] = population.reindex(ids).to_numpy()
    minutes = nearest["minutes"].reindex(ids).astype(float)
    table["minutes_to_physician"] = minutes.where(np.isfinite(minutes))
    table["nearest_physician"] = nearest["site"].reindex(ids)
    table["beyond_t"] = ~(minutes <= problem.max_minutes)
    table["connected"] = problem.connected.reindex(ids).astype(bool)
    table["demand_hours"] = problem.demand
    table["divertible_hours"] = problem.divertible.reindex(ids).fillna(0.0)
    table["in_person_hours"] = _by_area(plan.in_person, ids)
    table["tele_hours"] = _by_area(plan.tele, ids)
    table["unmet_hours"] = plan.unmet.reindex(ids).fillna(0.0)
    divertible = table["divertible_hours"]
    share = (table["tele_hours"] / divertible.where(divertible > 0)).fillna(0.0).clip(0.0, 1.0)
    table["tele_share_of_divertible"] = share
    status = np.select(
        [~table["beyond_t"], share >= 1 - 1e-6, share > 1e-9],
        ["in person", "telemedicine", "partly"],
        "still without",
    )
    table["status"] = status
    table["service"] = service_received(table)
    table["people_gaining_access"] = np.where(table["beyond_t"], table["population"] * share, 0.0)
    return table


def service_received(table: pd.DataFrame) -> np.ndarray:
    """The care each area receives (one of :data:`SERVICES`) from its ``demand_hours``,
    ``in_person_hours``, ``tele_hours`` and ``unmet_hours`` (physician-hours per week)."""
    need = table["demand_hours"].to_numpy(dtype=float) > HOURS_TOLERANCE
    person = table["in_person_hours"].to_numpy(dtype=float) > HOURS_TOLERANCE
    video = table["tele_hours"].to_numpy(dtype=float) > HOURS_TOLERANCE
    unmet = table["unmet_hours"].to_numpy(dtype=float) > HOURS_TOLERANCE
    cases = [
        (~need, "no need"),
        (~unmet & person & ~video, "all in person"),
        (~unmet & person & video, "in person and by video"),
        (~unmet & video, "all by video"),
        (person, "in person, part unmet"),
        (video, "by video only, the rest unmet"),
    ]
    return np.select([c for c, _ in cases], [label for _, label in cases], "no care")


def _by_area(pairs: pd.DataFrame, ids: pd.Index) -> np.ndarray:
    return pairs.groupby("area")["hours"].sum().reindex(ids).fillna(0.0).to_numpy()


def telemedicine_figures(table: pd.DataFrame, plan: TelePlan, physical_only: TelePlan) -> dict:
    """The ``summary.json`` ``telemedicine`` section."""
    beyond = table["beyond_t"]
    people_beyond = float(table.loc[beyond, "population"].sum())
    gaining = float(table["people_gaining_access"].sum())
    hubs = plan.hubs[plan.hubs["open"]]
    return {
        "population": float(table["population"].sum()),
        "people_beyond_t_physical_only": people_beyond,
        "people_gaining_access_through_telemedicine": gaining,
        "people_still_without_any": people_beyond - gaining,
        "people_beyond_t_connected": float(
            table.loc[beyond & table["connected"], "population"].sum()
        ),
        "demand_hours": float(table["demand_hours"].sum()),
        "in_person_hours": float(table["in_person_hours"].sum()),
        "tele_hours": float(table["tele_hours"].sum()),
        "unmet_hours": float(table["unmet_hours"].sum()),
        "physical_only_served_hours": float(physical_only.in_person["hours"].sum()),
        "physical_only_unmet_hours": float(physical_only.unmet.sum()),
        "physician_hours_by_hub": {str(h): float(v) for h, v in hubs["hours"].items()},
        "hubs_open": int(len(hubs)),
    }


def _group_persons(scenario: Scenario, areas: gpd.GeoDataFrame) -> dict[str, pd.DataFrame]:
    """Persons per area in each group: by age band (``[areas] age_bands``, the rest ``other``) and,
    with ``[optimize] equity_group_column``, by that areas column (district, quintile …)."""
    population = scenario.areas.population
    groups = {}
    if scenario.areas.age_bands:
        groups["age band"] = band_population(areas, population, scenario.areas.age_bands)
    column = scenario.optimize.equity_group_column
    if column is not None and column in areas.columns:
        labels = areas[column].astype(str)
        persons = areas[population].astype(float)
        groups[column] = pd.crosstab(labels.index, labels, values=persons, aggfunc="sum").fillna(
            0.0
        )
    return groups


def _clean(people: float) -> float:
    """A head count from a difference: float noise below a millionth of a person is zero."""
    return 0.0 if abs(people) < 1e-6 else people


def access_by_group(table: pd.DataFrame, groups: dict[str, pd.DataFrame]) -> list[dict]:
    """Who is beyond T, who gains access through telemedicine and who is still without, per
    group: each area's people in a group share its fate (beyond T or not; the share of its
    divertible hours that hubs serve)."""
    share = (table["people_gaining_access"] / table["population"]).where(
        table["population"] > 0, 0.0
    )
    beyond = table["beyond_t"].astype(bool)
    rows = []
    for kind, persons in groups.items():
        persons = persons.reindex(table.index).fillna(0.0)
        for label in persons.columns:
            people = persons[label]
            beyond_people = float(people[beyond].sum())
            gaining = float((people * share).sum())
            rows.append(
                {
                    "by": kind,
                    "group": str(label),
                    "population": float(people.sum()),
                    "people_beyond_t_physical_only": beyond_people,
                    "people_gaining_access_through_telemedicine": gaining,
                    "people_still_without_any": _clean(beyond_people - gaining),
                }
            )
    return rows


def _layers(
    scenario: Scenario,
    areas: gpd.GeoDataFrame,
    origins: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    problem: TeleProblem,
    plan: TelePlan,
    table: pd.DataFrame,
) -> dict[str, gpd.GeoDataFrame]:
    area_layer = gpd.GeoDataFrame(
        table.reset_index(), geometry=areas.geometry.reindex(table.index).to_numpy(), crs=areas.crs
    ).to_crs(4326)
    hubs = plan.hubs.reindex(sites.index)
    in_person_load = plan.in_person.groupby("site")["hours"].sum()
    site_layer = gpd.GeoDataFrame(
        {
            "site_id": sites.index.to_numpy(),
            "name": sites["name"].to_numpy(),
            "in_person_hours": problem.site_hours.reindex(sites.index).to_numpy(),
            "in_person_load": in_person_load.reindex(sites.index).fillna(0.0).to_numpy(),
            "hub_candidate": sites.index.isin(problem.hubs.index),
            "hub_open": hubs["open"].fillna(False).astype(bool).to_numpy(),
            "hub_hours": hubs["hours"].fillna(0.0).to_numpy(),
            "hub_load": hubs["load"].fillna(0.0).to_numpy(),
        },
        geometry=sites.geometry.to_numpy(),
        crs=sites.crs,
    ).to_crs(4326)
    assignments = pd.concat(
        [
            plan.in_person.assign(kind="in person"),
            plan.tele.rename(columns={"hub": "site"}).assign(kind="telemedicine", minutes=np.nan),
        ],
        ignore_index=True,
    )
    points = origins.geometry.reindex(assignments["area"]).to_numpy()
    assignment_layer = gpd.GeoDataFrame(assignments, geometry=points, crs=4326)
    return {"areas": area_layer, "facilities": site_layer, "assignments": assignment_layer}


@dataclass(frozen=True)
class TelemedicineInputs:
    """A ``[telemedicine]`` scenario's checked inputs (no travel pairs yet in ``problem``)."""

    problem: TeleProblem
    areas: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        hubs = len(self.problem.hubs)
        return f"{len(self.areas)} areas, {len(self.sites)} sites ({hubs} hub candidates)"


class TelemedicineKind:
    """Rural telemedicine coverage: who is beyond T by road, and which hubs close the gap."""

    name = "telemedicine"
    layers: tuple[str, ...] = ("areas", "facilities", "assignments")
    optional_layers: tuple[str, ...] = BASEMAP_LAYERS
    summary_schema: type = TelemedicineSummary
    comparable = False

    def handles(self, scenario: Scenario) -> bool:
        return scenario.telemedicine is not None

    def check(self, scenario: Scenario) -> TelemedicineInputs:
        problem, areas, sites, notes = check_telemedicine_inputs(scenario)
        if scenario.network.is_matrix:  # a travel table is an input too: its ids are checked here
            check_travel_table(
                scenario, lambda: travel_matrix_for(scenario, area_origins(areas), sites)
            )
        return TelemedicineInputs(problem, areas, sites, notes)

    def run(self, scenario: Scenario, *, travel: TravelMatrix | None = None) -> RunResult:
        return run_telemedicine(scenario, self, travel=travel)

    def build_map(
        self, layers: Mapping[str, gpd.GeoDataFrame], summary: Mapping[str, Any]
    ) -> folium.Map:
        from geoalloc.outputs.telemedicine import build_telemedicine_map

        return build_telemedicine_map(dict(layers), dict(summary))

    def report_html(
        self,
        layers: Mapping[str, gpd.GeoDataFrame],
        summary: Mapping[str, Any],
        manifest: Mapping[str, Any],
    ) -> str:
        from geoalloc.outputs.telemedicine import telemedicine_report_html

        return telemedicine_report_html(dict(layers), dict(summary))

    def summary_lines(self, summary: Mapping[str, Any], out_dir: str) -> list[str]:
        from geoalloc.outputs.terminal import telemedicine_lines

        return telemedicine_lines(summary, out_dir)


TELEMEDICINE = TelemedicineKind()
