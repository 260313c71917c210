"""The time-phased deployment run kind (``[deployment]``): the static plan, then temporary sites
read, demand per period from the surge curves, the time-phased plan solved with and without
redeployment, and its output tables.

The maths is in :mod:`geoalloc.optimize.phased`; this module only turns the planning run's inputs
into a :class:`~geoalloc.optimize.phased.PhasedProblem` and the plans into layers and a
``summary.json`` section. :class:`DeploymentKind` is :class:`~geoalloc.runs.planning.PlanningKind`
with its three hooks filled in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString

from geoalloc._errors import InputError
from geoalloc._validate import Problems
from geoalloc.demand.surge import SurgeResult
from geoalloc.inputs.points_table import is_points_table
from geoalloc.inputs.read import read_facilities
from geoalloc.optimize.phased import PhasedPlan, PhasedProblem, solve_phased
from geoalloc.optimize.phased_options import DeploymentOptions
from geoalloc.optimize.problem import solver_summary, unproven_solves
from geoalloc.runs.planning import Inputs, PlanningKind
from geoalloc.runs.schema import PlanningSummary
from geoalloc.runs.timings import stage
from geoalloc.scenario import Scenario
from geoalloc.travel import compute_matrix, default_cache_dir

log = logging.getLogger(__name__)


def add_temporary_sites(
    scenario: Scenario, facilities: gpd.GeoDataFrame | None, problems: Problems
) -> gpd.GeoDataFrame | None:
    """The facilities plus the ``[deployment] temporary_sites`` rows (as candidates, not existing),
    read with the ``[facilities]`` column names (a CSV table of points too, its coordinate columns
    named by ``[facilities] lon``/``lat`` or detected); ids used twice are reported."""
    deployment = scenario.deployment
    if facilities is None or deployment is None or deployment.temporary_sites is None:
        return facilities
    update: dict[str, object] = {
        "path": deployment.temporary_sites,
        "layer": None,
        "candidate": None,
    }
    if not is_points_table(deployment.temporary_sites):  # [facilities] lon/lat: a table's columns
        update |= {"lon": None, "lat": None}
    options = scenario.facilities.model_copy(update=update)
    extra = read_facilities(options, problems, crs=facilities.crs)
    if extra is None:
        return facilities
    twice = extra.index.intersection(facilities.index)
    if len(twice):
        problems.add(
            f"[deployment] temporary_sites {deployment.temporary_sites.name}",
            "ids already used by the facilities",
            "give temporary sites their own ids",
            ids=twice,
        )
        return facilities
    extra["existing"] = False
    return pd.concat([facilities, extra.to_crs(facilities.crs)])


def check_deployment(
    scenario: Scenario, facilities: gpd.GeoDataFrame | None, problems: Problems
) -> None:
    """Every ``[deployment]`` problem at once: movable resources planned, columns present and
    numbers ≥ 0 on every temporary site, a surge curve long enough for the horizon."""
    deployment = scenario.deployment
    if deployment is None:
        return
    if scenario.network.is_matrix:
        problems.add(
            "[deployment]",
            "moving units between sites needs site-to-site travel times, which a travel table "
            "(areas to sites) does not have",
            "use an OSM network or crowfly for a time-phased plan",
        )
    planned = scenario.demand.planned
    for mv in deployment.movable:
        if mv.resource not in planned:
            problems.add(
                "[deployment] movable",
                f"resource {mv.resource!r} is not planned",
                f"add it to [demand] resources (planned: {planned}) or remove it",
            )
        fixed = [r for r in planned if r not in deployment.movable_resources]
        if mv.usable_per is not None and mv.usable_per not in fixed:
            problems.add(
                "[deployment] movable",
                f"{mv.resource}: usable_per {mv.usable_per!r} is not a planned fixed resource",
                f"name one of {fixed}",
            )
    surge = scenario.demand.surge
    days = None
    if surge.kind == "sir":
        days = surge.days
    elif surge.kind == "table" and surge.multipliers is not None:
        days = len(surge.multipliers)
    last = deployment.start_day + deployment.horizon_days
    if days is not None and last > days:
        problems.add(
            "[deployment]",
            f"the horizon ends on day {last} (start_day {deployment.start_day} + {deployment.periods} "
            f"periods × {deployment.period_days} days) but the [demand.surge] curve has {days} days",
            "shorten the horizon or lengthen the surge curve",
        )
    if facilities is None:
        return
    temporary = facilities.index[~facilities["existing"].astype(bool)]
    columns = {
        "fixed_cost_column": deployment.fixed_cost_column,
        "setup_days_column": deployment.setup_days_column,
        "daily_cost_column": deployment.daily_cost_column,
    }
    for key, column in columns.items():
        if column is None:
            continue
        if column not in facilities.columns:
            problems.add(
                f"[deployment] {key}",
                f"column {column!r} is in neither the facilities nor the temporary sites file",
                f"columns are: {', '.join(c for c in facilities.columns if c != 'geometry')}",
            )
            continue
        values = pd.to_numeric(facilities.loc[temporary, column], errors="coerce")
        bad = values.index[~(values >= 0) | ~np.isfinite(values)]
        if len(bad):
            problems.add(
                f"[deployment] {key}",
                f"column {column!r} must hold numbers ≥ 0 for every temporary site",
                "fix these sites",
                ids=bad,
            )


def period_demand(
    inputs: Inputs, scenario: Scenario, deployment: DeploymentOptions, surge: SurgeResult | None
) -> pd.DataFrame:
    """Units needed per (period, area) and planned resource: the peak (or mean) over each period's
    days of the ``[demand.surge]`` daily needs (``surge``, from
    :func:`geoalloc.demand.area_surge`); without a surge curve, the needs every period."""
    resources = scenario.demand.planned
    index = pd.MultiIndex.from_product(
        [range(deployment.periods), inputs.areas.index], names=["period", "area"]
    )
    if surge is None or surge.by_day is None:
        needs = inputs.needs[resources]
        return pd.DataFrame(
            np.tile(needs.to_numpy(dtype=float), (deployment.periods, 1)),
            index=index,
            columns=resources,
        )
    return periods_from_days(surge.by_day, deployment, inputs.areas.index)[resources]


def periods_from_days(
    by_day: pd.DataFrame, deployment: DeploymentOptions, areas: pd.Index
) -> pd.DataFrame:
    """Daily needs (index: day, area) → needs per (period, area): the peak or mean of the days
    ``start_day + t·period_days`` … ``+ period_days − 1`` of each period t; every area listed."""
    days = by_day.index.get_level_values("day")
    last = deployment.start_day + deployment.horizon_days
    if last > int(days.max()) + 1:
        msg = (
            f"[deployment]: the horizon ends on day {last} but the [demand.surge] curve has "
            f"{int(days.max()) + 1} days — shorten the horizon or lengthen the surge curve"
        )
        raise InputError(msg)
    window = by_day[(days >= deployment.start_day) & (days < last)]
    period = (window.index.get_level_values("day") - deployment.start_day) // deployment.period_days
    grouped = window.groupby([period, window.index.get_level_values("area")])
    table = grouped.max() if deployment.period_demand == "peak" else grouped.mean()
    table.index.names = ["period", "area"]
    index = pd.MultiIndex.from_product([range(deployment.periods), areas], names=["period", "area"])
    return table.reindex(index).fillna(0.0)


def deployment_problem(
    scenario: Scenario,
    inputs: Inputs,
    od: pd.DataFrame,
    sites: gpd.GeoDataFrame,
    surge: SurgeResult | None,
) -> PhasedProblem:
    """The time-phased problem over ``sites`` (out-of-service sites already dropped)."""
    deployment = scenario.deployment
    assert deployment is not None
    points = gpd.GeoDataFrame(geometry=sites.geometry.to_crs(4326), index=sites.index)
    transfers = compute_matrix(
        scenario.network,
        points,
        points,
        max_minutes=deployment.max_transfer_minutes,
        cache_dir=default_cache_dir(),
        closures=inputs.closures,
        executor="serial",
    ).to_long()
    transfers = transfers.rename(columns={"origin": "from_site", "destination": "to_site"})
    temporary = ~sites["existing"].astype(bool)

    def column(name: str | None) -> pd.Series:
        if name is None:
            return pd.Series(0.0, index=sites.index)
        return pd.to_numeric(sites[name], errors="coerce").where(temporary, 0.0)

    return PhasedProblem(
        demand=period_demand(inputs, scenario, deployment, surge),
        capacity=pd.DataFrame(sites[scenario.demand.planned]).astype(float),
        temporary=temporary,
        od=od[od["site"].isin(sites.index)],
        transfers=transfers,
        opening_cost=column(deployment.fixed_cost_column),
        daily_cost=column(deployment.daily_cost_column),
        setup_days=column(deployment.setup_days_column),
        options=deployment,
    )


def run_deployment(
    scenario: Scenario,
    inputs: Inputs,
    od: pd.DataFrame,
    layers: dict[str, gpd.GeoDataFrame],
    surge: SurgeResult | None,
) -> dict:
    """Solve the time-phased plan; add the ``moves`` and ``stocks`` layers and the per-area and
    per-site deployment columns to ``layers``; return the ``deployment`` section of the summary.
    ``surge``: the run's surge curves (:func:`geoalloc.demand.area_surge`), None without one."""
    problem = deployment_problem(scenario, inputs, od, deployment_sites(scenario, inputs), surge)
    static, plan = solve_phased(problem, scenario.optimize)
    return deployment_outputs(scenario, inputs, problem, static, plan, layers)


def deployment_sites(scenario: Scenario, inputs: Inputs) -> gpd.GeoDataFrame:
    """The sites of the time-phased plan: every site but those ``[outage] closed_sites`` closes."""
    return inputs.facilities.drop(index=pd.Index(scenario.outage.closed_sites, dtype=object))


def deployment_outputs(
    scenario: Scenario,
    inputs: Inputs,
    problem: PhasedProblem,
    static: PhasedPlan,
    plan: PhasedPlan,
    layers: dict[str, gpd.GeoDataFrame],
) -> dict:
    """Add the ``moves`` and ``stocks`` layers and the per-area and per-site deployment columns
    of ``plan`` (``static``: the plan without redeployment) to ``layers``; return the
    ``deployment`` section of the summary."""
    deployment = problem.options
    P = deployment.period_days
    resources = problem.resources

    # every area: unmet unit-days over the horizon, without and with redeployment
    areas = layers["areas"]
    for name, p in (("deploy_static_unmet", static), ("deploy_unmet", plan)):
        per_area = p.unmet.groupby(level="area").sum() * P
        for r in resources:
            areas[f"{name}_{r}_unit_days"] = (
                per_area[r].reindex(areas["area_id"]).fillna(0.0).to_numpy()
            )

    # every site: temporary flag, open and ready day
    facilities = layers["facilities"]
    temp = plan.temporary.reindex(facilities["site_id"])
    facilities["temporary"] = (
        ~inputs.facilities["existing"].reindex(facilities["site_id"]).astype(bool).to_numpy()
    )
    facilities["temp_open_day"] = temp["open_day"].astype("Float64").to_numpy()
    facilities["temp_ready_day"] = temp["ready_day"].astype("Float64").to_numpy()
    opened = temp["opened"].eq(True).to_numpy()
    facilities.loc[opened, "status"] = "temporary: opened"
    facilities.loc[facilities["temporary"] & ~opened, "status"] = "temporary: not opened"
    # `open` says whether the time-phased plan uses the site at all: an opened temporary site
    # is open (from its open day; `temp_open_day`), one not opened is not
    facilities.loc[facilities["temporary"], "open"] = opened[facilities["temporary"].to_numpy()]

    point = facilities.set_index("site_id").geometry
    moves = plan.moves.copy()
    lines = [
        LineString([point[a].coords[0], point[b].coords[0]])
        for a, b in zip(moves["from_site"], moves["to_site"], strict=True)
    ]
    layers["moves"] = gpd.GeoDataFrame(moves, geometry=lines, crs=4326)
    stocks = plan.stocks.copy()
    stocks["start_day"] = deployment.start_day + stocks["period"] * P
    layers["stocks"] = gpd.GeoDataFrame(
        stocks, geometry=point.reindex(stocks["site"]).to_numpy(), crs=4326
    )

    demand_t = problem.demand.groupby(level="period").sum()
    totals = {}
    for tag, p in (("_static", static), ("", plan)):
        served = p.served.pivot_table(
            index="period", columns="resource", values="quantity", aggfunc="sum"
        )
        totals[f"served{tag}"] = served.reindex(index=range(deployment.periods), columns=resources)
        totals[f"unmet{tag}"] = p.unmet.groupby(level="period").sum()
    periods = []
    for t in range(deployment.periods):
        row: dict[str, float] = {
            "period": t,
            "start_day": deployment.start_day + t * P,
            "end_day": deployment.start_day + (t + 1) * P - 1,
        }
        for r in resources:
            row[f"demand_{r}"] = float(demand_t.loc[t, r])
            for key, table in totals.items():
                value = table.loc[t, r]
                row[f"{key}_{r}"] = 0.0 if pd.isna(value) else float(value)
        periods.append(row)
    temporary = plan.temporary.reset_index()
    temporary.insert(1, "name", inputs.facilities["name"].reindex(temporary["site"]).to_numpy())
    return {
        "period_days": P,
        "periods": deployment.periods,
        "start_day": deployment.start_day,
        "period_demand": deployment.period_demand,
        "movable": deployment.movable_resources,
        "by_period": periods,
        "unmet_unit_days": {
            "without_redeployment": {r: float(static.unmet[r].sum() * P) for r in resources},
            "with_redeployment": {r: float(plan.unmet[r].sum() * P) for r in resources},
        },
        "moves": moves.to_dict(orient="records"),
        "cancelled_moves": dict(plan.cancelled),
        "units_moved": {
            r: float(moves.loc[moves["resource"] == r, "units"].sum())
            for r in deployment.movable_resources
        },
        "temporary_sites": temporary.to_dict(orient="records"),
        "costs": plan.costs,
        "solver": {
            "without_redeployment": solver_summary(static, scenario.optimize),
            "with_redeployment": solver_summary(plan, scenario.optimize),
        },
        "unproven": unproven_solves(
            [
                ("the time-phased plan without redeployment", static),
                ("the time-phased plan", plan),
            ],
            scenario.optimize,
        ),
    }


class DeploymentKind(PlanningKind):
    """A planning run with ``[deployment]``: the static plan, then the time-phased one."""

    name = "deployment"
    optional_layers = (*PlanningKind.optional_layers, "moves", "stocks")

    def handles(self, scenario: Scenario) -> bool:
        return scenario.deployment is not None

    def summary_lines(self, summary: Mapping[str, Any], out_dir: str) -> list[str]:
        from geoalloc.outputs.terminal import deployment_lines, folder_lines, planning_lines

        return planning_lines(summary) + deployment_lines(summary) + folder_lines(out_dir)

    def add_sites(
        self, scenario: Scenario, facilities: gpd.GeoDataFrame | None, problems: Problems
    ) -> gpd.GeoDataFrame | None:
        facilities = add_temporary_sites(scenario, facilities, problems)
        check_deployment(scenario, facilities, problems)
        return facilities

    def problem_sites(self, scenario: Scenario, facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        # candidates are the time-phased plan's temporary sites, not the static plan's
        return facilities[facilities["existing"].astype(bool)]

    def extend(
        self,
        scenario: Scenario,
        inputs: Inputs,
        od: pd.DataFrame,
        layers: dict[str, gpd.GeoDataFrame],
        surge: SurgeResult | None,
        summary: PlanningSummary,
    ) -> None:
        with stage("solve"):  # the time-phased plan (its own figures are few)
            deployment = run_deployment(scenario, inputs, od, layers, surge)
        attach_deployment(summary, layers, deployment)


def attach_deployment(
    summary: PlanningSummary, layers: dict[str, gpd.GeoDataFrame], deployment: dict
) -> None:
    """Put the ``deployment`` section (:func:`deployment_outputs`) in ``summary``: the temporary
    sites' status counted as the time-phased plan says, its unproven solves with the others."""
    summary["site_status"] = {
        str(k): int(v) for k, v in layers["facilities"]["status"].value_counts().items()
    }
    summary["unproven"] = summary.get("unproven", []) + deployment.pop("unproven")
    summary["deployment"] = deployment


DEPLOYMENT = DeploymentKind()
