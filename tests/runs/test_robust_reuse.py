"""``geoalloc robust`` builds the capacitated model once: on the Chicago ICU scenario
(examples/chicago_robust/icu_robust.toml) each draw's plan on the shared model is the plan
``solve(draw_problem(...))`` gives, a fixed plan's evaluation the one ``evaluate_plan`` gives on
a rebuilt model, and neither ``prepare`` nor ``build_capacitated`` runs per draw."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import geoalloc.optimize._prepare as prepare_module
import geoalloc.optimize.capacitated as capacitated_module
from geoalloc.optimize import solve
from geoalloc.optimize.first_stage import first_stage_of
from geoalloc.optimize.stochastic import evaluate_plan
from geoalloc.runs.robust import (
    check_robust,
    evaluate_draw,
    robust_horizon,
    solve_draw,
    with_robustness,
)
from geoalloc.runs.robust_draws import (
    draw_factors,
    draw_problem,
    make_base,
    solve_draw_problem,
)
from geoalloc.runs.travel import od_table, travel_matrix_for
from geoalloc.scenario import load_scenario
from tests.helpers import REPO_ROOT

pytestmark = pytest.mark.slow

DRAWS = 3


@pytest.fixture(scope="module")
def chicago(shared_data: Path):
    path = REPO_ROOT / "examples" / "chicago_robust" / "icu_robust.toml"
    scenario = with_robustness(load_scenario(path), draws=DRAWS, seed=1)
    inputs = check_robust(scenario)
    matrix = travel_matrix_for(
        scenario,
        inputs.area_points,
        inputs.facilities,
        closures=inputs.closures,
        min_horizon=robust_horizon(scenario, scenario.robustness),
    )
    od = od_table(matrix)
    base = make_base(scenario, inputs, od)
    factors = draw_factors(
        scenario.robustness,
        draws=DRAWS,
        seed=1,
        n_areas=len(inputs.areas),
        surge=base.surge,
        los_values=base.los_values,
    )
    return scenario, inputs, od, base, factors


def test_each_draw_on_the_shared_model_gives_the_rebuilt_plan(chicago) -> None:
    scenario, _inputs, od, base, factors = chicago
    assert base.model is not None
    speeds = [f.speed for f in factors]
    assert min(speeds) < 1.0  # a draw slower than assumed: pairs of the widest model drop out
    for f in factors:
        problem = draw_problem(base, f)
        reused = solve_draw_problem(base, problem, f.speed)
        rebuilt = solve(problem, scenario.optimize)
        assert reused.status == rebuilt.status
        assert reused.objective == pytest.approx(rebuilt.objective, rel=1e-9)
        plan, expected = first_stage_of(reused, problem), first_stage_of(rebuilt, problem)
        assert plan.opened.equals(expected.opened)
        assert np.array_equal(plan.added.to_numpy(), expected.added.to_numpy())
        assert np.allclose(reused.unmet.to_numpy(), rebuilt.unmet.to_numpy(), rtol=1e-9, atol=1e-9)
        assert reused.unmet.index.equals(rebuilt.unmet.index)
    # a fixed plan (the first draw's own) evaluated on the shared model and on a rebuilt one
    problem = draw_problem(base, factors[0])
    plan = first_stage_of(solve_draw_problem(base, problem, factors[0].speed), problem)
    for f in factors[1:]:
        problem = draw_problem(base, f)
        reused = evaluate_plan(
            problem, scenario.optimize, plan, model=base.evaluation_model, speed_factor=f.speed
        )
        rebuilt = evaluate_plan(problem, scenario.optimize, plan)
        assert (reused.status, reused.gap) == (rebuilt.status, rebuilt.gap)
        assert reused.served_minutes == pytest.approx(rebuilt.served_minutes, rel=1e-9)
        assert np.allclose(reused.unmet.to_numpy(), rebuilt.unmet.to_numpy(), atol=1e-9)
    # the widest model holds every pair within the standard ÷ the slowest factor: more than any draw
    n_pairs = len(base.model.ix.pair_area)
    assert n_pairs == len(od) and n_pairs > len(draw_problem(base, factors[0]).od)


def test_the_model_is_built_once_not_per_draw(chicago, monkeypatch) -> None:
    scenario, inputs, od, _base, factors = chicago
    calls = {"prepare": 0, "build_capacitated": 0}

    def counted(module, name):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counted(prepare_module, "prepare")
    counted(capacitated_module, "build_capacitated")
    base = make_base(scenario, inputs, od)
    built = {"prepare": 2, "build_capacitated": 2}  # the draws' model, the evaluations' model
    assert calls == built
    outcomes = [solve_draw(f, base) for f in factors[:2]]
    assert [o.status for o in outcomes] == ["optimal"] * 2
    assert calls == built  # nothing rebuilt per draw
    problem = draw_problem(base, factors[0])
    plans = {"own": first_stage_of(solve_draw_problem(base, problem, factors[0].speed), problem)}
    evaluations = [evaluate_draw((f, "own"), (base, plans)) for f in factors[1:]]
    assert [e.status for e in evaluations] == ["optimal"] * (DRAWS - 1)
    assert calls == built  # nor per evaluation
    # without a shared model (the fallback) a draw prepares and builds its own
    solve_draw(factors[0], replace(base, model=None))
    assert calls == {"prepare": 3, "build_capacitated": 3}
