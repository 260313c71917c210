"""Re-planning Chicago's hospital beds when demand changes: disruption against benefit.

Run from the repo root (about a minute on 2 cores):

    .venv/bin/python bench/replan_chicago.py                 # the COVID-19 surge as new data
    .venv/bin/python bench/replan_chicago.py --south 1.2     # the South Side's demand × 1.2

The plan in force is ``examples/chicago/beds.toml``'s (p = 40 of the 66 hospitals kept, 30 minutes,
lexicographic: least unmet beds, then least travel). The new data is either the bed demand of
``examples/chicago_covid/icu.toml`` (the same tracts and admission rates plus the spring-2020
COVID-19 admissions) or the plan's own demand multiplied in the tracts south of ``--south-of``
(latitude). Each row is one re-plan with at most ``max_changes`` changes (a hospital kept open
instead of another is two: one closed, one opened); ``none`` has no limit (a fresh optimisation).

    .venv/bin/python bench/replan_chicago.py --south 3 --p 20   # 20 hospitals kept: beds run short

Last, a facilities change that removes a hospital the plan keeps open is refused (exit 3) with
its name; the same hospital kept in the facilities with 0 beds (out of service) is re-planned.
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import replace

import numpy as np

from geoalloc._errors import InputError
from geoalloc.optimize import solve
from geoalloc.optimize.first_stage import first_stage_of
from geoalloc.optimize.replan import ChangeLimits, disruption_frontier, solve_replan
from geoalloc.runs.planning import build_problem, check_inputs
from geoalloc.runs.travel import od_table
from geoalloc.scenario import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--south", type=float, default=None, help="South Side demand factor")
    parser.add_argument("--south-of", type=float, default=41.80, help="latitude, degrees")
    parser.add_argument("--limits", default="0,1,2,4,8,none")
    parser.add_argument("--p", type=int, default=None, help="hospitals kept (beds.toml: 40)")
    parser.add_argument(
        "--frontier", action="store_true", help="also the limits as one disruption_frontier call"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    scenario = load_scenario("examples/chicago/beds.toml")
    inputs = check_inputs(scenario)
    problem = build_problem(scenario, inputs, od_table(inputs.travel_matrix(scenario)))
    options = scenario.optimize
    if args.p is not None:
        options = options.model_copy(update={"p": args.p})
    started = time.perf_counter()
    plan = solve(problem, options)
    print(
        f"plan in force: {int(plan.sites['open'].sum())} of {len(plan.sites)} hospitals open, "
        f"{plan.unmet['beds'].sum():.1f} beds unmet of {problem.demand['beds'].sum():.1f}, "
        f"travel {plan.objective:,.0f} bed-minutes, {time.perf_counter() - started:.1f} s"
    )
    current = first_stage_of(plan, problem)

    demand = problem.demand.copy()
    if args.south is None:
        surge = load_scenario("examples/chicago_covid/icu.toml")
        surge_inputs = check_inputs(surge)
        demand["beds"] = surge_inputs.needs["beds"].reindex(demand.index).fillna(0.0)
        what = "the COVID-19 surge (examples/chicago_covid/icu.toml's bed demand)"
    else:
        lat = inputs.area_points.geometry.y.reindex(demand.index).to_numpy()
        south = lat < args.south_of
        demand.loc[south, "beds"] *= args.south
        what = f"beds × {args.south:g} in the {int(south.sum())} tracts south of {args.south_of}°N"
    new = replace(problem, demand=demand)
    print(f"new data: {what}: {demand['beds'].sum():.1f} beds needed")
    started = time.perf_counter()
    fresh = solve(new, options)
    print(
        f"fresh optimisation on the new data: {fresh.unmet['beds'].sum():.1f} beds unmet, travel "
        f"{fresh.objective:,.0f} bed-minutes, {time.perf_counter() - started:.1f} s"
    )
    sweep(new, options, current, args.limits, "beds")
    if args.frontier:
        limits = [None if t.strip() == "none" else int(t) for t in args.limits.split(",")]
        started = time.perf_counter()
        front = disruption_frontier(new, options, current, limits)
        print(f"disruption_frontier, {time.perf_counter() - started:.1f} s:")
        print(front.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
    kept = plan.sites.index[plan.sites["open"]]
    closed = kept[0]
    fewer = replace(
        new,
        capacity=new.capacity.drop(index=closed),
        existing=new.existing.drop(index=closed),
        od=new.od[new.od["site"] != closed],
    )
    try:
        solve_replan(fewer, options, current, ChangeLimits())
    except InputError as error:
        print(f"facilities without {closed}: refused (exit {error.exit_code}): {error}")
    # the same closure as the message says: kept in the facilities with no beds
    print(f"{closed} out of service (0 beds), re-planned:")
    empty = new.capacity.copy()
    empty.loc[closed] = 0.0
    sweep(replace(new, capacity=empty), options, current, "0,2,none", "beds")


def sweep(new, options, current, limits: str, resource: str) -> None:

    print(
        f"{'max_changes':>11} {'changes':>7} {'closed':>6} {'opened':>6} {'units+':>6} "
        f"{'units-':>6} {'unmet':>8} {'travel':>10} {'status':>8} {'solve_s':>7}"
    )
    for text in limits.split(","):
        limit = None if text.strip() == "none" else int(text)
        started = time.perf_counter()
        result = solve_replan(new, options, current, ChangeLimits(max_changes=limit))
        seconds = time.perf_counter() - started
        alloc = result.allocation
        asg = alloc.assignments
        travel = float((asg["quantity"] * asg["minutes"]).sum())
        ch = result.changes
        kinds = ch["change"].value_counts()
        plus = float(ch.loc[ch["change"] == "add", "units"].sum())
        minus = float(ch.loc[ch["change"] == "remove", "units"].sum())
        print(
            f"{text:>11} {result.n_changes:7.0f} {kinds.get('close', 0):6d} "
            f"{kinds.get('open', 0):6d} {plus:6.0f} {minus:6.0f} "
            f"{alloc.unmet[resource].sum():8.1f} {travel:10,.0f} {alloc.status:>8} {seconds:7.1f}"
            + ("  (kept the plan in force)" if result.kept_current else "")
        )
        if limit == 0:
            cur = result.current
            cur_travel = float((cur.assignments["quantity"] * cur.assignments["minutes"]).sum())
            assert np.isclose(cur.unmet[resource].sum(), alloc.unmet[resource].sum())
            print(
                f"{'':>11} plan in force on the new data: {cur.unmet[resource].sum():.1f} "
                f"{resource} "
                f"unmet, {cur_travel:,.0f} bed-minutes"
            )
        if limit is not None and 0 < limit <= 2 and len(result.changes):
            print(
                f"{'':>11} changes: "
                + "; ".join(
                    f"{row.change} {row.site}"
                    + ("" if row.resource is None else f" ({row.units:g} {row.resource})")
                    for row in result.changes.itertuples()
                )
            )


if __name__ == "__main__":
    main()
