"""The capacitated model built once (:mod:`geoalloc.optimize.capacitated_reuse`): for each
problem — other demand, travel minutes divided by a speed factor that drops pairs beyond the
standard, a unit without demand — it is array for array the model ``build_capacitated`` builds,
and its plan is the one ``solve`` gives (a fixed plan's evaluation: the one ``evaluate_plan``
gives); what it cannot share is solved on its own."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from geoalloc._errors import GeoallocError
from geoalloc.optimize import AllocationProblem, OptimizeOptions, solve
from geoalloc.optimize._prepare import prepare
from geoalloc.optimize.capacitated import build_capacitated
from geoalloc.optimize.capacitated_reuse import model_for, reusable_model, solve_reused
from geoalloc.optimize.classic import group_codes
from geoalloc.optimize.first_stage import first_stage_of
from geoalloc.optimize.solvers import usable_solver_options
from geoalloc.optimize.stochastic import evaluate_plan, evaluation_model

AREAS = ["a1", "a2", "a3", "a4", "a5"]
SITES = ["s1", "s2", "s3"]
#: minutes per (area, site) at speed factor 1; the standard is 10, the slowest factor 0.8
MINUTES = {
    ("a1", "s1"): 2.0, ("a1", "s2"): 9.0, ("a1", "s3"): 12.0,
    ("a2", "s1"): 7.5, ("a2", "s2"): 4.0, ("a2", "s3"): 11.0,
    ("a3", "s1"): 12.5, ("a3", "s2"): 8.5, ("a3", "s3"): 3.0,
    ("a4", "s1"): 9.5, ("a4", "s2"): 12.4, ("a4", "s3"): 6.0,
    ("a5", "s1"): 5.0, ("a5", "s2"): 7.0, ("a5", "s3"): 8.2,
}  # fmt: skip
BASE_DEMAND = np.array([[6.0, 1.5], [5.0, 1.0], [4.0, 1.2], [3.0, 0.8], [7.0, 1.4]])
#: (demand factor per area, speed factor): the last ones drop pairs (speed < 1) or a unit
DRAWS = [
    (np.ones(5), 1.0),
    (np.array([1.3, 0.9, 1.1, 1.2, 0.8]), 1.12),
    (np.array([0.9, 1.4, 1.2, 1.0, 1.3]), 0.8),
    (np.array([1.1, 1.0, 0.0, 1.5, 1.0]), 0.86),  # area a3 has no demand in this draw
]


def problem_of(demand: np.ndarray, speed: float, max_minutes: float | None) -> AllocationProblem:
    od = pd.DataFrame(
        [(a, s, t / speed) for (a, s), t in MINUTES.items()], columns=["area", "site", "minutes"]
    )
    if max_minutes is not None:
        od = od[od["minutes"] <= max_minutes].reset_index(drop=True)
    return AllocationProblem(
        demand=pd.DataFrame(demand, index=AREAS, columns=["beds", "icu"]),
        population=pd.Series([900.0, 700.0, 650.0, 400.0, 1000.0], index=AREAS),
        capacity=pd.DataFrame({"beds": [10.0, 8.0, 6.0], "icu": [2.0, 1.0, 1.0]}, index=SITES),
        existing=pd.Series([True, True, False], index=SITES),
        od=od,
        groups=pd.Series(["north", "north", "south", "south", "south"], index=AREAS),
        opening_cost=pd.Series([0.0, 0.0, 5.0], index=SITES),
        priority=pd.Series([1.0, 1.2, 0.8, 1.5, 0.9], index=AREAS),
    )


BASE = dict(
    model="capacitated",
    max_minutes=10,
    cost_per_unit={"icu": 1.0},
    max_added={"icu": 2},
    opening_cost_column="opening",
)
OPTIONS = {
    "lexicographic": OptimizeOptions(**BASE),
    "weighted, closing, minimax": OptimizeOptions(
        **BASE, objective="weighted", allow_closing=True, minimax_weight=0.5, cost_weight=2.0
    ),
    "p, a floor, priority": OptimizeOptions(
        **BASE,
        p=2,
        coverage_floor=0.5,
        equity_group_column="group",
        module_size={"icu": 0.5},
        priority_column="w",
        unmet_penalty_minutes=30.0,
    ),
    "no unmet (some draws infeasible)": OptimizeOptions(**BASE, allow_unmet=False),
}


def _same_model(a, b) -> None:
    (ix_a, lm_a, lay_a), (ix_b, lm_b, lay_b) = a, b
    for name in ("c", "col_lo", "col_hi", "integer", "row_lo", "row_hi"):
        assert np.array_equal(getattr(lm_a, name), getattr(lm_b, name)), name
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(lm_a.A, name), getattr(lm_b.A, name)), name
    assert lm_a.blocks == lm_b.blocks and lm_a.row_blocks == lm_b.row_blocks
    for name in ("xa", "xs", "xr", "xt", "ua", "ur", "e_ub"):
        assert np.array_equal(getattr(lay_a, name), getattr(lay_b, name)), name
    for goal_a, goal_b in zip(lay_a.goals, lay_b.goals, strict=True):
        assert goal_a.key == goal_b.key and np.array_equal(goal_a.c, goal_b.c)
    for name in ("pair_area", "pair_site", "minutes", "demand", "population", "priority"):
        assert np.array_equal(getattr(ix_a, name), getattr(ix_b, name)), name


def _same_plan(a, b) -> None:
    assert a.status == b.status
    assert a.objective == pytest.approx(b.objective, rel=1e-9, abs=1e-12)
    assert a.sites["open"].equals(b.sites["open"])
    added = [c for c in a.sites.columns if c.endswith("_added")]
    assert added == [c for c in b.sites.columns if c.endswith("_added")]
    np.testing.assert_allclose(a.sites[added].to_numpy(), b.sites[added].to_numpy(), atol=1e-9)
    np.testing.assert_allclose(a.unmet.to_numpy(), b.unmet.to_numpy(), rtol=1e-9, atol=1e-9)


def _same_outcome(reused, rebuilt) -> None:
    """The same plan, or the same error (an infeasible draw: the same reasons)."""
    try:
        expected = rebuilt()
    except GeoallocError as exc:
        with pytest.raises(type(exc)) as raised:
            reused()
        assert str(raised.value) == str(exc)
        return
    _same_plan(reused(), expected)


@pytest.mark.parametrize("case", list(OPTIONS))
def test_each_draw_gets_the_model_a_rebuild_gives_and_the_same_plan(case: str) -> None:
    options = OPTIONS[case]
    model = reusable_model(problem_of(BASE_DEMAND, 1.0, None), options)
    assert model is not None
    usable = usable_solver_options(options)
    x_columns = []
    for factor, speed in DRAWS:
        problem = problem_of(BASE_DEMAND * factor[:, None], speed, options.max_minutes)
        ix = prepare(problem, max_minutes=options.max_minutes)
        groups, _ = group_codes(ix, problem.groups)
        built = build_capacitated(ix, problem, usable, groups)
        made = model_for(model, problem, speed_factor=speed)
        assert made is not None
        _same_model((ix, *built), made)
        x_columns.append(len(made[2].xa))
        _same_outcome(
            lambda problem=problem, speed=speed: solve_reused(model, problem, speed_factor=speed),
            lambda problem=problem: solve(problem, options),
        )
    # the slow draw drops pairs, the draw without a3 drops its units: fewer columns than the widest
    assert len(model.lay.xa) == 2 * len(MINUTES) > max(x_columns)
    assert x_columns[2] < x_columns[0] and x_columns[3] < x_columns[0]


def test_what_cannot_share_the_model_is_solved_on_its_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    single = OptimizeOptions(**BASE, single_source=True)
    with caplog.at_level(logging.INFO, logger="geoalloc.optimize.capacitated_reuse"):
        assert reusable_model(problem_of(BASE_DEMAND, 1.0, None), single) is None
    assert "single-source" in caplog.text
    # a problem whose capacity differs from the model's is solved by solve(), the same plan
    options = OPTIONS["lexicographic"]
    model = reusable_model(problem_of(BASE_DEMAND, 1.0, None), options)
    assert model is not None
    problem = problem_of(BASE_DEMAND, 1.0, options.max_minutes)
    problem.capacity.loc["s2", "icu"] = 3.0
    assert model_for(model, problem) is None
    _same_plan(solve_reused(model, problem), solve(problem, options))


@pytest.mark.parametrize("case", ["lexicographic", "weighted, closing, minimax"])
def test_a_fixed_plan_is_evaluated_on_the_shared_model_as_on_a_rebuilt_one(case: str) -> None:
    options = OPTIONS[case]
    base = problem_of(BASE_DEMAND, 1.0, options.max_minutes)
    plan = first_stage_of(solve(base, options), base)
    model = evaluation_model(problem_of(BASE_DEMAND, 1.0, None), options)
    assert model is not None
    for factor, speed in DRAWS[1:]:
        problem = problem_of(BASE_DEMAND * factor[:, None], speed, options.max_minutes)
        reused = evaluate_plan(problem, options, plan, model=model, speed_factor=speed)
        rebuilt = evaluate_plan(problem, options, plan)
        assert (reused.status, reused.gap, reused.notes) == (
            rebuilt.status,
            rebuilt.gap,
            rebuilt.notes,
        )
        assert reused.served_minutes == pytest.approx(rebuilt.served_minutes, rel=1e-9)
        np.testing.assert_allclose(reused.unmet.to_numpy(), rebuilt.unmet.to_numpy(), atol=1e-9)
