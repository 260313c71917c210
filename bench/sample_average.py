"""How long the sample-average (two-stage) capacitated model takes on the Chicago ICU scenario.

The problem is built as a planning run builds it (``check_inputs`` + ``build_problem``) from
``examples/chicago_covid/icu.toml``, with an expansion choice added to ``[optimize]``:
``cost_per_unit = {icu_beds = 1, ventilators = 1}``, ``module_size = {icu_beds = 10,
ventilators = 5}``, ``max_added = {icu_beds = 60, ventilators = 30}``. A draw multiplies each
area's demand by its own lognormal factor (sd 0.1, seeded).

Timed: ``solve(problem)``, ``evaluate_plan`` of that plan on draws, and ``solve_sample_average``
on 10, 20 and 40 draws (model size, build and solve seconds, status, gap, expected unmet).

Command (from the repo root; needs ../shared/data)::

    PYTHONPATH=$PWD .venv/bin/python bench/sample_average.py [--draws 10 20 40] [--seed 7]
        [--expand-beds] [--no-check]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path

import numpy as np

from geoalloc.optimize import solve
from geoalloc.optimize.first_stage import first_stage_of  # noqa: E402
from geoalloc.optimize.stochastic import evaluate_plan, solve_sample_average
from geoalloc.runs.planning import build_problem, check_inputs
from geoalloc.runs.travel import od_table
from geoalloc.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
EXPANSION = {
    "cost_per_unit": {"icu_beds": 1.0, "ventilators": 1.0},
    "module_size": {"icu_beds": 10, "ventilators": 5},
    "max_added": {"icu_beds": 60, "ventilators": 30},
}


#: ``--expand-beds``: beds expand too (the ICU resources never run short in this scenario: the
#: ICU demand left unmet is in areas with no hospital within 10 minutes), so the shared first
#: stage has integer choices that bind
BEDS = {
    "cost_per_unit": {"beds": 1.0, **EXPANSION["cost_per_unit"]},
    "module_size": {"beds": 10, **EXPANSION["module_size"]},
    "max_added": {"beds": 60, **EXPANSION["max_added"]},
}


def chicago_problem(expand_beds: bool = False):
    scenario = load_scenario(ROOT / "examples" / "chicago_covid" / "icu.toml")
    options = scenario.optimize.model_copy(update=BEDS if expand_beds else EXPANSION)
    scenario = scenario.model_copy(update={"optimize": options})
    inputs = check_inputs(scenario)
    problem = build_problem(scenario, inputs, od_table(inputs.travel_matrix(scenario)))
    return problem, options


def draws_of(problem, n: int, seed: int, sd: float = 0.1):
    rng = np.random.default_rng(seed)
    n_areas = len(problem.demand)
    return [
        dataclasses.replace(
            problem, demand=problem.demand.mul(rng.lognormal(0.0, sd, n_areas), axis=0)
        )
        for _ in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="+", default=[10, 20, 40])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--evaluations", type=int, default=10)
    parser.add_argument("--expand-beds", action="store_true", help="beds expand too")
    parser.add_argument(
        "--no-check", dest="check", action="store_false", help="skip the per-draw checks"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    problem, options = chicago_problem(args.expand_beds)
    print(
        f"expansion: {options.cost_per_unit}, modules {options.module_size}, "
        f"at most {options.max_added} a site"
    )
    print(
        f"problem built in {time.perf_counter() - started:.1f} s: {len(problem.demand)} areas, "
        f"{len(problem.capacity)} sites, {len(problem.od)} pairs, resources {problem.resources}; "
        f"cores {os.cpu_count()}, load {os.getloadavg()[0]:.2f}"
    )
    started, c0 = time.perf_counter(), time.process_time()
    plan = solve(problem, options)
    solve_s, cpu_s = time.perf_counter() - started, time.process_time() - c0
    print(
        f"solve(problem): {solve_s:.2f} s (build {plan.build_s:.2f}, solver {plan.solve_s:.2f}; "
        f"CPU {cpu_s:.2f}), "
        f"{plan.status}, unmet {plan.unmet.to_numpy().sum():.2f}, "
        f"added {plan.sites.filter(like='_added').sum().to_dict()}; {plan.notes[0]}"
    )
    stage = first_stage_of(plan, problem)
    draws = draws_of(problem, args.evaluations, args.seed + 1)
    for what, run in (
        ("evaluate_plan(check=True)", lambda d: evaluate_plan(d, options, stage)),
        ("evaluate_plan(check=False)", lambda d: evaluate_plan(d, options, stage, check=False)),
        ("solve(draw)", lambda d: solve(d, options)),
    ):
        times, cpu = [], []
        for d in draws:
            t0, c0 = time.perf_counter(), time.process_time()
            run(d)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        print(
            f"{what}: {np.mean(times):.3f} s a draw (min {min(times):.3f}, max "
            f"{max(times):.3f}, {len(times)} draws; CPU {np.mean(cpu):.3f} s a draw)"
        )
    for n in args.draws:
        draws = draws_of(problem, n, args.seed)
        t0, c0 = time.perf_counter(), time.process_time()
        saa = solve_sample_average(draws, options, check=args.check)
        wall, cpu_s = time.perf_counter() - t0, time.process_time() - c0
        rest = wall - saa.outcome.build_s - saa.outcome.solve_s
        print(
            f"solve_sample_average({n} draws, check={args.check}): {wall:.1f} s (build "
            f"{saa.outcome.build_s:.1f}, solver {saa.outcome.solve_s:.1f}, decode and check "
            f"{rest:.1f}; CPU {cpu_s:.1f}), {saa.columns} columns, {saa.rows} rows, "
            f"{saa.outcome.status}, gap {saa.outcome.gap}, expected unmet "
            f"{saa.expected_unmet:.3f}, open {int(saa.plan.opened.sum())}, "
            f"added {saa.plan.added.sum().to_dict()}; levels "
            + ", ".join(f"{lv['key']} {lv['status']} {lv['value']:.4g}" for lv in saa.levels)
        )


if __name__ == "__main__":
    main()
