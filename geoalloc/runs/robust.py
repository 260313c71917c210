"""``geoalloc robust``: plans under uncertainty, as a run kind.

From a capacitated planning scenario and its ``[robustness]`` uncertainty (defaults when absent,
see :class:`~geoalloc.scenario.robustness.RobustnessOptions`):

1. the inputs, the travel matrix (once, up to the standard ÷ the slowest speed factor), the base
   problem and the capacitated model (on every pair of that matrix,
   :mod:`geoalloc.optimize.capacitated_reuse`) are built once; a bare solve of the base problem
   on that model is timed, for the per-draw cost;
2. each of the N draws (:mod:`geoalloc.runs.robust_draws`) is solved on its own through the
   executor seam (:func:`geoalloc.parallel.run_map`): its own best plan — which sites it opens,
   the units it adds per resource — and its unmet demand;
3. the robust plan: the sample-average model (first stage shared, assignment per draw) on the
   first ``saa_draws`` draws;
4. the mean plan: the plan :func:`~geoalloc.optimize.solve` gives for the mean future — the needs
   per area averaged over all N draws, at speed factor 1 (the base travel times), population as
   given;
5. both plans evaluated on every draw (their first stage fixed, the assignment solved), again
   through the executor seam: for the draws beyond ``saa_draws`` the robust plan is evaluated out
   of sample.

The same seed and N give the same results on every executor: each draw's numbers come from its own
spawned generator and results are gathered in draw order.

Outputs: a run folder of kind ``robust`` — layers ``facilities`` (the robust plan, how often each
site is chosen and expanded by the draws' own plans, the units added by them, the mean plan) and
``areas`` (every input area; the probability it is served within the standard under the robust
plan and under the mean plan; its mean unmet units), ``summary.json`` with ``robustness``,
``map.html`` and ``report.html``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoalloc._errors import GeoallocError, InputError, SolverError, UsageError
from geoalloc._validate import Problems
from geoalloc.demand import planned_resources
from geoalloc.inputs.read import check_persons_column
from geoalloc.optimize import solve
from geoalloc.optimize.problem import solver_summary
from geoalloc.parallel import ComputeOptions, dask_client, run_map
from geoalloc.runs.manifest import build_manifest
from geoalloc.runs.planning import Inputs, build_problem, check_inputs
from geoalloc.runs.result import RunResult
from geoalloc.runs.robust_draws import (
    DrawBase,
    DrawFactors,
    draw_factors,
    draw_problem,
    make_base,
    solve_draw_problem,
)
from geoalloc.runs.robust_plans import (
    evaluate_plan,
    first_stage_of,
    served_minutes,
    solve_sample_average,
    unmet_array,
)
from geoalloc.runs.schema import FORMAT_VERSION, RobustSummary
from geoalloc.runs.timings import stage, timed_run
from geoalloc.runs.travel import od_table, travel_matrix_for
from geoalloc.scenario import Scenario
from geoalloc.scenario.robustness import RobustnessOptions
from geoalloc.travel.matrix import TravelMatrix

if TYPE_CHECKING:
    import folium

log = logging.getLogger(__name__)

#: a coin-toss site: chosen by between these shares of the draws' own plans
COIN_TOSS = (0.2, 0.8)
#: areas covered in fewer than this share of the draws are listed in the report
LOW_COVERAGE = 0.9
#: the worst share of draws whose mean unmet demand the comparison reports
WORST_SHARE = 0.05


@dataclass(frozen=True)
class DrawOutcome:
    """A draw solved on its own (small arrays, in sorted site / area id order).

    ``opened`` per site, ``added`` per site × resource, ``unmet`` and ``demand`` per area ×
    resource, ``population`` per area; ``status`` ``optimal``/``feasible``, or the error's class
    name when the draw could not be solved (its arrays are then empty).
    """

    k: int
    opened: np.ndarray
    added: np.ndarray
    unmet: np.ndarray
    demand: np.ndarray
    population: np.ndarray
    served_minutes: float
    status: str
    gap: float | None
    seconds: float
    cpu_seconds: float = 0.0


@dataclass(frozen=True)
class PlanEvaluation:
    """A fixed plan on one draw: ``unmet`` per area × resource, status and gap."""

    k: int
    unmet: np.ndarray
    served_minutes: float
    status: str
    gap: float | None


def _ok(status: str) -> bool:
    return status in ("optimal", "feasible")


def solve_draw(factors: DrawFactors, base: DrawBase) -> DrawOutcome:
    """Make draw ``factors.k``'s problem from ``base`` and solve it on the model built once
    (:func:`~geoalloc.runs.robust_draws.solve_draw_problem`; a task of the executor)."""
    started, cpu = time.perf_counter(), time.process_time()
    problem = draw_problem(base, factors)
    areas, sites = problem.demand.index, problem.capacity.index
    resources = problem.resources
    demand = problem.demand.to_numpy(dtype=float)
    population = problem.population.to_numpy(dtype=float)
    try:
        allocation = solve_draw_problem(base, problem, factors.speed)
    except GeoallocError as exc:
        log.warning("robust: draw %d not solved: %s", factors.k, exc)
        empty = np.zeros((0, 0))
        return DrawOutcome(
            factors.k, empty, empty, empty, demand, population, 0.0, type(exc).__name__, None,
            time.perf_counter() - started, time.process_time() - cpu,
        )  # fmt: skip
    plan = first_stage_of(allocation, problem)
    return DrawOutcome(
        k=factors.k,
        opened=plan.opened.reindex(sites).fillna(False).to_numpy(dtype=bool),
        added=plan.added.reindex(index=sites, columns=resources).fillna(0.0).to_numpy(float),
        unmet=unmet_array(allocation.unmet, areas, resources),
        demand=demand,
        population=population,
        served_minutes=served_minutes(allocation),
        status=allocation.status,
        gap=allocation.gap,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu,
    )


def evaluate_draw(item: tuple[DrawFactors, str], shared: tuple[DrawBase, dict]) -> PlanEvaluation:
    """Evaluate the plan named ``item[1]`` (first stage fixed) on draw ``item[0]``, on the model
    built once (``base.evaluation_model``; a task)."""
    factors, name = item
    base, plans = shared
    problem = draw_problem(base, factors)
    try:
        result = evaluate_plan(
            problem,
            base.scenario.optimize,
            plans[name],
            model=base.evaluation_model,
            speed_factor=factors.speed,
        )
    except GeoallocError as exc:
        log.warning("robust: the %s on draw %d not solved: %s", name, factors.k, exc)
        return PlanEvaluation(factors.k, np.zeros((0, 0)), 0.0, type(exc).__name__, None)
    unmet = unmet_array(result.unmet, problem.demand.index, problem.resources)
    return PlanEvaluation(factors.k, unmet, result.served_minutes, result.status, result.gap)


# ------------------------------------------------------------------------------------------------
# statistics


def _stats(values: np.ndarray) -> dict[str, float | None]:
    """mean, p5, p50, p95 of ``values`` (None when there are none)."""
    values = np.asarray(values, dtype=float)
    if not values.size:
        return {"mean": None, "p5": None, "p50": None, "p95": None}
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    return {"mean": float(values.mean()), "p5": float(p5), "p50": float(p50), "p95": float(p95)}


def covered(unmet: np.ndarray, demand: np.ndarray, tolerance: float) -> np.ndarray:
    """Per area, True when every resource's unmet units are ≤ ``tolerance`` × its need."""
    return np.all(unmet <= tolerance * demand + 1e-9, axis=1)


def _kpis(
    unmet: list[np.ndarray], outcomes: list[DrawOutcome], resources: list[str], tolerance: float
) -> dict[str, Any]:
    """KPI distributions over the draws: unmet units per resource, population covered %."""
    totals = np.array([u.sum(axis=0) for u in unmet]).reshape(len(unmet), len(resources))
    pct = [
        100.0
        * float(o.population[covered(u, o.demand, tolerance)].sum())
        / max(float(o.population.sum()), 1e-12)
        for u, o in zip(unmet, outcomes, strict=True)
    ]
    return {
        "draws": len(unmet),
        "unmet": {r: _stats(totals[:, i]) for i, r in enumerate(resources)},
        "unmet_total": _stats(totals.sum(axis=1)),
        "covered_pct": _stats(np.array(pct)),
    }


def _comparison(
    unmet: list[np.ndarray], ks: list[int], saa_draws: int, resources: list[str]
) -> dict[str, Any]:
    """Expected unmet units on all draws, on the out-of-sample draws alone, and the mean of the
    worst ``WORST_SHARE`` of draws (by total unmet units)."""
    totals = np.array([u.sum(axis=0) for u in unmet]).reshape(len(unmet), len(resources))
    total = totals.sum(axis=1)
    outside = np.array([k >= saa_draws for k in ks], dtype=bool)
    n_worst = max(1, int(np.ceil(WORST_SHARE * len(total)))) if len(total) else 0
    worst = np.argsort(-total, kind="stable")[:n_worst]

    def per_resource(rows: np.ndarray) -> dict[str, Any]:
        if not rows.any():
            return dict.fromkeys([*resources, "total"])
        means = totals[rows].mean(axis=0)
        return {r: float(means[i]) for i, r in enumerate(resources)} | {
            "total": float(total[rows].mean())
        }

    every = np.ones(len(total), dtype=bool)
    worst_rows = np.zeros(len(total), dtype=bool)
    worst_rows[worst] = True
    return {
        "expected_unmet": per_resource(every),
        "expected_unmet_out_of_sample": per_resource(outside),
        "out_of_sample_draws": int(outside.sum()),
        "worst_5pct_unmet": per_resource(worst_rows),
        "worst_draws": int(n_worst),
    }


# ------------------------------------------------------------------------------------------------
# the run


def same_plan(a: Any, b: Any) -> bool:
    """Whether two first stages open the same sites and add the same units (evaluated once)."""
    opened_a, opened_b = a.opened.astype(bool), b.opened.astype(bool)
    if not opened_a.sort_index().equals(opened_b.sort_index()):
        return False
    added_a = a.added.sort_index().sort_index(axis=1).astype(float)
    added_b = b.added.reindex_like(added_a).astype(float)
    return bool(np.allclose(added_a.to_numpy(), added_b.fillna(np.inf).to_numpy(), atol=1e-9))


def check_robust(scenario: Scenario) -> Inputs:
    """Refuse what ``geoalloc robust`` does not take (exit 2); read and check the inputs (exit 3)."""
    from geoalloc.runs.kinds import kind_for

    kind = kind_for(scenario)
    if kind.name != "planning":
        msg = (
            f"geoalloc robust plans the capacitated model; scenario {scenario.name!r} has a "
            f"[{kind.name}] section, which it does not take — remove the section, or run it "
            "with `geoalloc run`"
        )
        raise UsageError(msg)
    if scenario.optimize.model != "capacitated":
        msg = (
            f"geoalloc robust plans the capacitated model (first stage: sites open and units "
            f"added; second: the assignment); scenario {scenario.name!r} has [optimize] model = "
            f'{scenario.optimize.model!r} — set model = "capacitated"'
        )
        raise UsageError(msg)
    inputs = check_inputs(scenario)
    check_alternative(scenario, inputs)
    return inputs


def check_alternative(scenario: Scenario, inputs: Inputs) -> None:
    """``[robustness] population_alternative`` must be a column of persons (numbers ≥ 0)."""
    column = (scenario.robustness or RobustnessOptions()).population_alternative
    if column is None:
        return
    where = "[robustness] population_alternative"
    areas = inputs.areas
    if column not in areas.columns:
        found = ", ".join(str(c) for c in areas.columns if c != "geometry")
        msg = (
            f"{where}: column {column!r} is not in the areas file — name a second population "
            f"column of it (columns are: {found})"
        )
        raise InputError(msg)
    problems = Problems()
    check_persons_column(areas, column, where, problems)
    problems.raise_if_any()


def with_robustness(
    scenario: Scenario, *, draws: int | None = None, seed: int | None = None
) -> Scenario:
    """``scenario`` with ``[robustness]`` set (its defaults when absent), ``draws`` and ``seed``
    overriding it; bad values are an :class:`InputError` naming the key."""
    from pydantic import ValidationError

    from geoalloc.scenario.errors import validation_problems

    options = scenario.robustness or RobustnessOptions()
    data = options.model_dump(exclude_unset=True)  # keeps which keys the file set
    if draws is not None:
        data["draws"] = draws
    if seed is not None:
        data["seed"] = seed
    try:
        checked = RobustnessOptions.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc, "[robustness]")
        raise InputError(problems, header="invalid [robustness] value(s)") from None
    return scenario.model_copy(update={"robustness": checked})


def robust_horizon(scenario: Scenario, options: RobustnessOptions) -> float | None:
    """Minutes the travel matrix must reach: the standard ÷ the slowest speed factor."""
    standard = scenario.optimize.max_minutes
    return None if standard is None else standard / options.speed_factor[0]


def run_robust(
    scenario: Scenario,
    *,
    compute: ComputeOptions | None = None,
    travel: TravelMatrix | None = None,
) -> RunResult:
    """Run ``geoalloc robust`` on ``scenario`` (its ``[robustness]``, defaults when absent).

    Parameters
    ----------
    scenario
        A capacitated planning scenario (:func:`with_robustness` sets draws and seed).
    compute
        Where the draws run (default: ``scenario.compute``).
    travel
        A travel matrix already computed for these inputs and network, up to
        :func:`robust_horizon` at least.

    Raises
    ------
    UsageError
        The scenario is not a capacitated planning scenario.
    InputError
        Bad inputs or ``[robustness]`` values.
    """
    compute = compute or scenario.compute
    if compute.executor == "dask":  # one cluster for the draws and the evaluations
        with dask_client(compute.scheduler, compute.workers) as client:
            return _run_robust(scenario, compute, travel, scheduler=client)
    return _run_robust(scenario, compute, travel)


def _run_robust(
    scenario: Scenario,
    compute: ComputeOptions,
    travel: TravelMatrix | None,
    *,
    scheduler: Any = None,
) -> RunResult:
    with timed_run() as clock:
        options = scenario.robustness or RobustnessOptions()
        with stage("read"):
            inputs = check_robust(scenario)
        with stage("travel"):
            matrix = travel or travel_matrix_for(
                scenario,
                inputs.area_points,
                inputs.facilities,
                closures=inputs.closures,
                min_horizon=robust_horizon(scenario, options),
            )
            od = od_table(matrix)
        base = make_base(scenario, inputs, od)
        resources = planned_resources(scenario.demand)
        with stage("solve"):  # the bare solve: what one draw's solve is compared with
            base_problem = build_problem(scenario, inputs, od)
            started, cpu = time.perf_counter(), time.process_time()
            solve_draw_problem(base, base_problem)  # on the model built once, as the draws
            bare_s = time.perf_counter() - started
            bare_cpu_s = time.process_time() - cpu
        factors = draw_factors(
            options,
            draws=options.draws,
            seed=options.seed,
            n_areas=len(inputs.areas),
            surge=base.surge,
            los_values=base.los_values,
            alternative=options.population_alternative is not None,
        )
        map_options = compute.map_options()
        if scheduler is not None:
            map_options["scheduler"] = scheduler
        with stage("draws"):
            started = time.perf_counter()
            outcomes = run_map(solve_draw, factors, shared=base, desc="draws", **map_options)
            draws_wall_s = time.perf_counter() - started
        solved = [o for o in outcomes if _ok(o.status)]
        if not solved:
            msg = (
                f"robust: none of the {len(outcomes)} draws could be solved (the first: "
                f"{outcomes[0].status}) — run the scenario with `geoalloc run` to see why"
            )
            raise SolverError(msg)
        saa_n = min(options.saa_draws, options.draws)
        with stage("saa"):
            saa_problems = [draw_problem(base, f) for f in factors[:saa_n]]
            saa = solve_sample_average(saa_problems, scenario.optimize)
        with stage("solve"):  # the mean future: needs averaged over the draws, speed factor 1
            mean_demand = np.mean([o.demand for o in outcomes], axis=0)
            mean_needs = inputs.needs.copy()
            mean_needs.loc[base_problem.demand.index, resources] = mean_demand
            mean_inputs = Inputs(
                areas=inputs.areas,
                facilities=inputs.facilities,
                needs=mean_needs,
                los=inputs.los,
                demand=inputs.demand,
                cases_report=inputs.cases_report,
                closures=inputs.closures,
                notes=inputs.notes,
            )
            mean_problem = build_problem(scenario, mean_inputs, od)
            mean_allocation = solve(mean_problem, scenario.optimize)
            mean_plan = first_stage_of(mean_allocation, mean_problem)
        plans = {"robust": saa.plan, "mean": mean_plan}
        with stage("evaluate"):
            names = ["robust"] if same_plan(saa.plan, mean_plan) else ["robust", "mean"]
            items = [(f, name) for f in factors for name in names]
            evaluations = run_map(
                evaluate_draw, items, shared=(base, plans), desc="evaluate", **map_options
            )
            robust_eval = evaluations[0 :: len(names)]
            mean_eval = evaluations[len(names) - 1 :: len(names)]  # the same when one plan
            layers, summary = _results(
                scenario,
                inputs,
                base_problem,
                options,
                compute,
                outcomes,
                robust_eval,
                mean_eval,
                saa,
                mean_allocation,
                plans,
                factors,
                base.notes,
                per_draw={
                    "bare_solve_s": bare_s,
                    "bare_solve_cpu_s": bare_cpu_s,
                    "draws_wall_s": draws_wall_s,
                },
            )
        summary["timings_s"] = clock.as_dict()
    return RunResult(
        scenario=scenario,
        kind=ROBUST,
        layers=layers,
        summary=dict(summary),
        manifest=build_manifest(scenario, summary["timings_s"]),
        plan=mean_allocation,
    )


def share_column(scenario: Scenario, sites: pd.DataFrame) -> str:
    """``chosen_share``, or ``expanded_share`` when every site is fixed open (all exist, no
    ``p`` and no closing): then only the expansion varies between the draws' plans."""
    options = scenario.optimize
    fixed_open = bool(sites["existing"].all()) and options.p is None and not options.allow_closing
    return "expanded_share" if fixed_open else "chosen_share"


def _uncertainty(options: RobustnessOptions, scenario: Scenario) -> dict[str, Any]:
    """Every factor with its value and default, as the run used them."""
    defaults = RobustnessOptions()
    fields = RobustnessOptions.model_fields
    with_history = scenario.history is not None
    out: dict[str, Any] = {}
    for key in fields:
        value = getattr(options, key)
        out[key] = {
            "value": list(value) if isinstance(value, tuple) else value,
            "default": list(d) if isinstance(d := getattr(defaults, key), tuple) else d,
            "meaning": fields[key].description,
        }
    out["los_error"]["used"] = not with_history
    out["los_bootstrap"] = with_history
    return out


def _results(
    scenario: Scenario,
    inputs: Inputs,
    base_problem: Any,
    options: RobustnessOptions,
    compute: ComputeOptions,
    outcomes: list[DrawOutcome],
    robust_eval: list[PlanEvaluation],
    mean_eval: list[PlanEvaluation],
    saa: Any,
    mean_allocation: Any,
    plans: dict[str, Any],
    factors: list[DrawFactors],
    notes: list[str],
    *,
    per_draw: dict[str, float],
) -> tuple[dict[str, gpd.GeoDataFrame], RobustSummary]:
    resources = base_problem.resources
    area_ids, site_ids = base_problem.demand.index, base_problem.capacity.index
    tolerance = options.coverage_tolerance
    solved = [o for o in outcomes if _ok(o.status)]
    by_k = {o.k: o for o in outcomes}
    n = len(solved)

    # --- sites: how often the draws' own plans choose them, the units they add
    opened = np.array([o.opened for o in solved], dtype=bool)
    added = np.array([o.added for o in solved], dtype=float)  # draws × sites × resources
    robust, mean = plans["robust"], plans["mean"]
    sites = gpd.GeoDataFrame(
        {
            "site_id": site_ids.astype(str),
            "name": inputs.facilities.loc[site_ids, "name"].astype(str),
        },
        geometry=inputs.facilities.geometry.loc[site_ids].to_crs(4326).to_numpy(),
        crs=4326,
    )
    sites["existing"] = base_problem.existing.reindex(site_ids).to_numpy(dtype=bool)
    robust_open = robust.opened.reindex(site_ids).fillna(False).to_numpy(dtype=bool)
    mean_open = mean.opened.reindex(site_ids).fillna(False).to_numpy(dtype=bool)
    sites["open"] = robust_open
    sites["chosen_share"] = opened.mean(axis=0)
    sites["expanded_share"] = (added.sum(axis=2) > 1e-9).mean(axis=0)
    sites["mean_plan_open"] = mean_open
    expandable = [r for r in resources if r in scenario.optimize.cost_per_unit]
    for i, r in enumerate(resources):
        before = base_problem.capacity[r].reindex(site_ids).to_numpy(dtype=float)
        robust_added = robust.added.reindex(index=site_ids)[r].fillna(0.0).to_numpy(float)
        sites[f"{r}_before"] = before
        sites[f"{r}_added"] = robust_added
        sites[f"{r}_after"] = np.where(robust_open, before + robust_added, 0.0)
        sites[f"mean_plan_{r}_added"] = (
            mean.added.reindex(index=site_ids)[r].fillna(0.0).to_numpy(float)
        )
        if r in expandable:
            units = added[:, :, i]
            sites[f"{r}_added_mean"] = units.mean(axis=0)
            sites[f"{r}_added_p10"] = np.percentile(units, 10, axis=0)
            sites[f"{r}_added_p90"] = np.percentile(units, 90, axis=0)
    share = share_column(scenario, sites)
    sites["coin_toss"] = (sites[share] >= COIN_TOSS[0]) & (sites[share] <= COIN_TOSS[1])

    # --- areas: probability of being served within the standard, under each plan
    def p_covered(evaluations: list[PlanEvaluation]) -> tuple[np.ndarray, np.ndarray, int]:
        good = [e for e in evaluations if _ok(e.status) and _ok(by_k[e.k].status)]
        if not good:
            return (
                np.full(len(area_ids), np.nan),
                np.full((len(area_ids), len(resources)), np.nan),
                0,
            )
        hits = np.array([covered(e.unmet, by_k[e.k].demand, tolerance) for e in good])
        unmet = np.mean([e.unmet for e in good], axis=0)
        return hits.mean(axis=0), unmet, len(good)

    p_robust, unmet_robust, n_robust = p_covered(robust_eval)
    p_mean, unmet_mean, n_mean = p_covered(mean_eval)
    own_hits = np.array([covered(o.unmet, o.demand, tolerance) for o in solved])
    areas_in = inputs.areas.loc[area_ids]
    areas = gpd.GeoDataFrame(
        {"area_id": area_ids.astype(str)},
        geometry=areas_in.geometry.to_crs(4326).to_numpy(),
        crs=4326,
    )
    name_column = scenario.areas.name or next(
        (c for c in areas_in.columns if str(c).lower() == "name"), None
    )
    if name_column is not None and name_column in areas_in.columns:
        areas["name"] = areas_in[name_column].astype(str).to_numpy()
    areas["population"] = areas_in[scenario.areas.population].astype(float).to_numpy()
    mean_demand = np.mean([o.demand for o in solved], axis=0)
    for i, r in enumerate(resources):
        areas[f"need_mean_{r}"] = mean_demand[:, i]
    areas["p_covered"] = p_robust
    areas["p_covered_mean_plan"] = p_mean
    areas["p_covered_own_plans"] = own_hits.mean(axis=0)
    for i, r in enumerate(resources):
        areas[f"unmet_mean_{r}"] = unmet_robust[:, i]
        areas[f"unmet_mean_plan_{r}"] = unmet_mean[:, i]

    # --- KPI distributions and the comparison
    good_robust = [e for e in robust_eval if _ok(e.status) and _ok(by_k[e.k].status)]
    good_mean = [e for e in mean_eval if _ok(e.status) and _ok(by_k[e.k].status)]
    kpis = {
        "own_plans": _kpis([o.unmet for o in solved], solved, resources, tolerance),
        "robust_plan": _kpis(
            [e.unmet for e in good_robust], [by_k[e.k] for e in good_robust], resources, tolerance
        ),
        "mean_plan": _kpis(
            [e.unmet for e in good_mean], [by_k[e.k] for e in good_mean], resources, tolerance
        ),
    }
    saa_n = saa.n_draws
    comparison = {
        "robust_plan": _comparison(
            [e.unmet for e in good_robust], [e.k for e in good_robust], saa_n, resources
        ),
        "mean_plan": _comparison(
            [e.unmet for e in good_mean], [e.k for e in good_mean], saa_n, resources
        ),
    }
    seconds = np.array([o.seconds for o in outcomes])
    cpu_seconds = np.array([o.cpu_seconds for o in outcomes])
    bare, bare_cpu = per_draw["bare_solve_s"], per_draw["bare_solve_cpu_s"]
    outcome = saa.outcome
    robustness = {
        "uncertainty": _uncertainty(options, scenario),
        "draws": len(outcomes),
        "draws_solved": n,
        "draws_not_solved": [
            {"draw": o.k, "status": o.status} for o in outcomes if not _ok(o.status)
        ],
        "seed": options.seed,
        "saa_draws": saa_n,
        "out_of_sample_draws": len(outcomes) - saa_n,
        "executor": compute.executor,
        "workers": compute.workers,
        "coverage_tolerance": tolerance,
        "evaluated": {"robust_plan": n_robust, "mean_plan": n_mean},
        "mean_plan_is": "the plan solve() gives for the needs per area averaged over all draws, "
        "at speed factor 1 (the base travel times) and the population as given",
        "chosen_share_of": share,
        "kpis": kpis,
        "comparison": comparison,
        "saa": {
            "status": outcome.status,
            "objective": outcome.objective,
            "bound": outcome.bound,
            "gap": outcome.gap,
            "solve_s": outcome.solve_s,
            "build_s": outcome.build_s,
            "n_draws": saa.n_draws,
            "columns": saa.columns,
            "rows": saa.rows,
            "expected_unmet": saa.expected_unmet,
            "levels": list(saa.levels),
        },
        "mean_plan": {"status": mean_allocation.status, "gap": mean_allocation.gap},
        "per_draw": {
            "draw_solve_s_mean": float(seconds.mean()),
            "draw_solve_s_max": float(seconds.max()),
            "bare_solve_s": bare,
            "ratio_to_bare_solve": float(seconds.mean() / bare) if bare > 0 else None,
            "draw_solve_cpu_s_mean": float(cpu_seconds.mean()),
            "bare_solve_cpu_s": bare_cpu,
            "cpu_ratio_to_bare_solve": float(cpu_seconds.mean() / bare_cpu)
            if bare_cpu > 0
            else None,
            "draws_wall_s": per_draw["draws_wall_s"],
            "wall_s_per_draw": per_draw["draws_wall_s"] / max(len(outcomes), 1),
        },
        "draw_factors": [
            {
                "draw": f.k,
                "admission": f.admission,
                "los": f.los,
                "speed": f.speed,
                "surge": f.surge,
                "population_mean": float(f.population.mean()),
                "population_alternative": f.alternative,
            }
            for f in factors
        ],
        "coin_toss_sites": sites.loc[sites["coin_toss"], "site_id"].tolist(),
        "areas_below": {
            "p_covered": LOW_COVERAGE,
            "count": int((areas["p_covered"] < LOW_COVERAGE).sum()),
        },
    }
    p = areas["p_covered"]
    area_status = {
        "covered in ≥ 90 % of draws": int((p >= 0.9).sum()),
        "covered in 50–90 % of draws": int(((p >= 0.5) & (p < 0.9)).sum()),
        "covered in < 50 % of draws": int((p < 0.5).sum()),
    }
    costs = {
        f"expansion_{r}": float(
            (sites[f"{r}_added"] * scenario.optimize.cost_per_unit.get(r, 0.0)).sum()
        )
        for r in resources
    }
    costs["expansion"] = float(sum(costs.values()))
    summary: RobustSummary = {
        "format": FORMAT_VERSION,
        "kind": ROBUST.name,
        "scenario": scenario.name,
        "model": scenario.optimize.model,
        "max_minutes": scenario.optimize.max_minutes,
        "resources": resources,
        "areas": len(area_ids),
        "sites": len(site_ids),
        "area_status": area_status,
        "input_notes": list(inputs.notes) + list(notes),
        "solver": outcome.summary(acceptable_gap=scenario.optimize.acceptable_gap),
        "population_estimate": scenario.areas.population_estimate,
        "costs": costs,
        "timings_s": {},
        "robustness": robustness,
    }
    summary["solver"]["mean_plan"] = solver_summary(mean_allocation, scenario.optimize)
    return {"facilities": sites, "areas": areas}, summary


class RobustKind:
    """Plans under uncertainty (``geoalloc robust``): asked for by the command, not by a section."""

    name = "robust"
    layers: tuple[str, ...] = ("areas", "facilities")
    optional_layers: tuple[str, ...] = ()
    summary_schema: type = RobustSummary
    comparable = False

    def handles(self, scenario: Scenario) -> bool:
        return False  # `geoalloc robust` asks for it; `geoalloc run` never does

    def check(self, scenario: Scenario) -> Inputs:
        return check_robust(scenario)

    def run(self, scenario: Scenario, *, travel: TravelMatrix | None = None) -> RunResult:
        return run_robust(scenario, travel=travel)

    def build_map(
        self, layers: Mapping[str, gpd.GeoDataFrame], summary: Mapping[str, Any]
    ) -> folium.Map:
        from geoalloc.outputs.robust import build_robust_map

        return build_robust_map(dict(layers), dict(summary))

    def report_html(
        self,
        layers: Mapping[str, gpd.GeoDataFrame],
        summary: Mapping[str, Any],
        manifest: Mapping[str, Any],
    ) -> str:
        from geoalloc.outputs.robust import robust_report_html

        return robust_report_html(dict(layers), dict(summary), dict(manifest))

    def summary_lines(self, summary: Mapping[str, Any], out_dir: str) -> list[str]:
        from geoalloc.outputs.robust import robust_lines
        from geoalloc.outputs.terminal import folder_lines

        return robust_lines(dict(summary)) + folder_lines(out_dir)


ROBUST = RobustKind()
