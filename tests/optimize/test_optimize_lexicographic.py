"""The lexicographic objective of the capacitated model against an independent formulation.

The oracle below writes the planning model from its documented definition, in plain PuLP over
dense (area, site, resource) triples — none of geoalloc's model builder, arrays or decoding — and
solves its four goals in turn with CBC (HiGHS through PuLP when CBC is not installed): least
unmet demand, then least cost, then fewest new sites, then least travel, each kept while the next
is minimised. geoalloc's level values must be the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoalloc.optimize import AllocationProblem, OptimizeOptions, available_solvers, solve
from geoalloc.optimize.lexicographic import Goal, solve_lexicographic
from geoalloc.optimize.linear import ModelBuilder, new_highs

pulp = pytest.importorskip("pulp")


def _problem(seed: int) -> AllocationProblem:
    """12 areas, 6 sites (3 existing), two resources, opening costs, tight capacity."""
    rng = np.random.default_rng(seed)
    areas = [f"a{i:02d}" for i in range(12)]
    sites = [f"s{j}" for j in range(6)]
    axy, sxy = rng.uniform(0, 30, (12, 2)), rng.uniform(0, 30, (6, 2))
    minutes = np.hypot(*(axy[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1))
    ii, jj = np.nonzero(minutes <= 20)
    return AllocationProblem(
        demand=pd.DataFrame(
            {"beds": rng.uniform(2, 9, 12).round(1), "icu": rng.uniform(0, 2, 12).round(1)},
            index=areas,
        ),
        population=pd.Series(1000.0, index=areas),
        capacity=pd.DataFrame(
            {"beds": rng.uniform(5, 20, 6).round(), "icu": rng.uniform(1, 4, 6).round()},
            index=sites,
        ),
        existing=pd.Series([True, True, True, False, False, False], index=sites),
        od=pd.DataFrame(
            {
                "area": np.array(areas)[ii],
                "site": np.array(sites)[jj],
                "minutes": minutes[ii, jj].round(3),
            }
        ),
        opening_cost=pd.Series([0, 0, 0, 300, 200, 250], index=sites, dtype=float),
    )


def _oracle(problem: AllocationProblem, cost_per_unit: dict[str, float], budget: float) -> dict:
    """The four goals' values, solved in turn from the model's definition."""
    demand, cap, od = problem.demand, problem.capacity, problem.od
    resources, sites = list(demand.columns), list(cap.index)
    pairs = [(a, s, t) for a, s, t in od.itertuples(index=False) if t <= 30]
    prob = pulp.LpProblem("oracle", pulp.LpMinimize)
    y = {s: pulp.LpVariable(f"y_{s}", cat="Binary") for s in sites}
    x = {
        (a, s, r): pulp.LpVariable(f"x_{a}_{s}_{r}", 0, 1)
        for a, s, _ in pairs
        for r in resources
        if demand.at[a, r] > 0
    }
    u = {
        (a, r): pulp.LpVariable(f"u_{a}_{r}", 0, 1)
        for a in demand.index
        for r in resources
        if demand.at[a, r] > 0
    }
    e = {
        (s, r): pulp.LpVariable(f"e_{s}_{r}", 0, cat="Integer")
        for s in sites
        for r in cost_per_unit
    }
    for s in sites:
        if problem.existing[s]:
            prob += y[s] == 1  # existing sites stay open (no allow_closing, no p)
    for (a, r), var in u.items():
        prob += pulp.lpSum(x[a, s, r] for a2, s, _ in pairs if a2 == a) + var == 1
    for s in sites:
        for r in resources:
            load = pulp.lpSum(
                demand.at[a, r] * x[a, s2, r] for a, s2, _ in pairs if s2 == s and (a, s2, r) in x
            )
            prob += load <= cap.at[s, r] * y[s] + (e[s, r] if (s, r) in e else 0)
            if (s, r) in e:
                prob += e[s, r] <= 1000 * y[s]
    for (_, s, _), var in x.items():
        prob += var <= y[s]
    opening = pulp.lpSum(problem.opening_cost[s] * y[s] for s in sites if not problem.existing[s])
    expansion = pulp.lpSum(cost_per_unit[r] * e[s, r] for s, r in e)
    prob += opening + expansion <= budget
    minutes = {(a, s): t for a, s, t in pairs}
    goals = {
        "unmet": pulp.lpSum(demand.at[a, r] * var for (a, r), var in u.items()),
        "cost": opening + expansion,
        "new_sites": pulp.lpSum(y[s] for s in sites if not problem.existing[s]),
        "travel": pulp.lpSum(demand.at[a, r] * minutes[a, s] * var for (a, s, r), var in x.items()),
    }
    if "cbc" in available_solvers():
        engine = pulp.PULP_CBC_CMD(msg=False, gapRel=0)
    else:
        new_highs()  # keep HiGHS's banner off stdout
        engine = pulp.HiGHS(msg=False, gapRel=0)
    values = {}
    for key, goal in goals.items():
        prob.setObjective(goal)
        prob.solve(engine)
        assert pulp.LpStatus[prob.status] == "Optimal", key
        values[key] = float(pulp.value(goal))
        prob += goal <= values[key] + 1e-7 * max(1.0, abs(values[key])), f"keep_{key}"
    return values


@pytest.mark.parametrize("seed", [4, 6])  # unmet left by the budget; all served, cost below it
def test_level_values_match_an_independent_formulation(seed: int) -> None:
    problem = _problem(seed)
    cost_per_unit = {"beds": 40.0}
    options = OptimizeOptions(
        model="capacitated", cost_per_unit=cost_per_unit, budget=500.0, mip_gap=0, max_minutes=30
    )
    plan = solve(problem, options)
    assert plan.status == "optimal"
    assert plan.objective_detail is not None
    ours = {level["key"]: level["value"] for level in plan.objective_detail["levels"]}
    expected = _oracle(problem, cost_per_unit, 500.0)
    for key, value in expected.items():
        assert ours[key] == pytest.approx(value, rel=1e-6, abs=1e-6), key
    assert plan.objective == pytest.approx(expected["travel"], rel=1e-6)


def test_each_goal_is_kept_while_the_next_is_minimised() -> None:
    # one unit to place: site A (cost 5, 9 minutes) or B (cost 1, 2 minutes) or C (cost 1,
    # 7 minutes); least cost first leaves B and C, then least travel picks B
    b = ModelBuilder()
    b.add_vars("pick", 3, lo=0, hi=1, integer=True)
    b.add_rows("one", 1, [0, 0, 0], [0, 1, 2], 1.0, lo=1.0, hi=1.0)
    lm = b.build()
    cost = Goal("cost", "least cost", "currency", np.array([5.0, 1.0, 1.0]))
    travel = Goal("travel", "least travel", "minutes", np.array([9.0, 2.0, 7.0]))
    raw, levels = solve_lexicographic(lm, [cost, travel], OptimizeOptions(mip_gap=0))
    assert raw.x is not None and np.round(raw.x).tolist() == [0.0, 1.0, 0.0]
    assert [(level.goal.key, level.value, level.status) for level in levels] == [
        ("cost", 1.0, "optimal"),
        ("travel", 2.0, "optimal"),
    ]
    # travel first would pick B too, but a goal that is the same for every plan is skipped
    same = Goal("flat", "nothing to choose", "units", np.zeros(3))
    _, levels = solve_lexicographic(lm, [same, travel], OptimizeOptions(mip_gap=0))
    assert [level.status for level in levels] == ["skipped", "optimal"]


def test_a_level_already_at_its_least_is_kept_without_a_solve() -> None:
    # one site to pick: A (cost 5, new, 9 minutes), B (cost 1, existing, 2 minutes) or C (cost 3,
    # new, 7 minutes). Least cost picks B alone, which opens no new site: the new-sites level is
    # at its least possible value there, proven without solving again; travel is still solved
    b = ModelBuilder()
    b.add_vars("pick", 3, lo=0, hi=1, integer=True)
    b.add_rows("one", 1, [0, 0, 0], [0, 1, 2], 1.0, lo=1.0, hi=1.0)
    lm = b.build()
    goals = [
        Goal("cost", "least cost", "currency", np.array([5.0, 1.0, 3.0])),
        Goal("new_sites", "fewest new sites", "sites", np.array([1.0, 0.0, 1.0])),
        Goal("travel", "least travel", "minutes", np.array([9.0, 2.0, 7.0])),
    ]
    raw, levels = solve_lexicographic(lm, goals, OptimizeOptions(mip_gap=0))
    assert raw.x is not None and np.round(raw.x).tolist() == [0.0, 1.0, 0.0]
    assert [(level.goal.key, level.value, level.status) for level in levels] == [
        ("cost", 1.0, "optimal"),
        ("new_sites", 0.0, "optimal"),
        ("travel", 2.0, "optimal"),
    ]
    assert levels[1].solve_s == 0.0 and levels[1].bound == 0.0 and levels[1].gap == 0.0
    assert levels[0].solve_s > 0.0 and levels[2].solve_s > 0.0


def test_a_level_kept_without_a_solve_still_binds_the_next() -> None:
    # A (cost 1, existing, 9 minutes), B (cost 1, new, 2 minutes), C (cost 5, existing, 1 minute):
    # least cost leaves A and B, fewest new sites A — whether the solver's first plan was A (the
    # level kept without a solve) or B — so travel may not move to B or C
    b = ModelBuilder()
    b.add_vars("pick", 3, lo=0, hi=1, integer=True)
    b.add_rows("one", 1, [0, 0, 0], [0, 1, 2], 1.0, lo=1.0, hi=1.0)
    lm = b.build()
    goals = [
        Goal("cost", "least cost", "currency", np.array([1.0, 1.0, 5.0])),
        Goal("new_sites", "fewest new sites", "sites", np.array([0.0, 1.0, 0.0])),
        Goal("travel", "least travel", "minutes", np.array([9.0, 2.0, 1.0])),
    ]
    raw, levels = solve_lexicographic(lm, goals, OptimizeOptions(mip_gap=0))
    assert raw.x is not None and np.round(raw.x).tolist() == [1.0, 0.0, 0.0]
    assert [(level.goal.key, level.value) for level in levels] == [
        ("cost", 1.0),
        ("new_sites", 0.0),
        ("travel", 9.0),
    ]
    assert all(level.status == "optimal" for level in levels)


def _count_solves(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import geoalloc.optimize.lexicographic as lexicographic

    calls: list[str] = []
    real = lexicographic.solve_with_options

    def counted(model, options, **overrides):
        solved = real(model, options, **overrides)
        calls.append(solved.outcome if solved.x is not None else "no plan")
        return solved

    monkeypatch.setattr(lexicographic, "solve_with_options", counted)
    return calls


def test_a_first_level_that_reaches_its_least_is_proven_by_the_next_levels_solve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # two units to place, one per site at most: A (unmet 0, 9 minutes), B (0, 2), C (unmet 1, 1).
    # Unmet demand can be 0 (its least over the bounds): travel is solved with unmet held at 0
    # and that one solve proves both levels; C, the quickest, would leave demand unmet
    b = ModelBuilder()
    b.add_vars("pick", 3, lo=0, hi=1, integer=True)
    b.add_rows("two", 1, [0, 0, 0], [0, 1, 2], 1.0, lo=2.0, hi=2.0)
    lm = b.build()
    unmet = Goal("unmet", "least unmet", "beds", np.array([0.0, 0.0, 1.0]))
    travel = Goal("travel", "least travel", "minutes", np.array([9.0, 2.0, 1.0]))
    calls = _count_solves(monkeypatch)
    raw, levels = solve_lexicographic(lm, [unmet, travel], OptimizeOptions(mip_gap=0))
    assert raw.x is not None and np.round(raw.x).tolist() == [1.0, 1.0, 0.0]
    assert [(level.goal.key, level.value, level.status, level.gap) for level in levels] == [
        ("unmet", 0.0, "optimal", 0.0),
        ("travel", 11.0, "optimal", 0.0),
    ]
    assert levels[0].bound == 0.0 and levels[0].solve_s == 0.0 and levels[1].solve_s > 0.0
    assert calls == ["solved"]


def test_a_first_level_above_its_least_is_solved_after_the_held_try(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # three units to place on three sites: C must be used, so unmet cannot be 0; the held try
    # finds no plan and the levels are solved in turn, with the same values as without it
    b = ModelBuilder()
    b.add_vars("pick", 3, lo=0, hi=1, integer=True)
    b.add_rows("three", 1, [0, 0, 0], [0, 1, 2], 1.0, lo=3.0, hi=3.0)
    lm = b.build()
    unmet = Goal("unmet", "least unmet", "beds", np.array([0.0, 0.0, 1.0]))
    travel = Goal("travel", "least travel", "minutes", np.array([9.0, 2.0, 1.0]))
    calls = _count_solves(monkeypatch)
    raw, levels = solve_lexicographic(lm, [unmet, travel], OptimizeOptions(mip_gap=0))
    assert raw.x is not None and np.round(raw.x).tolist() == [1.0, 1.0, 1.0]
    assert [(level.goal.key, level.value, level.status) for level in levels] == [
        ("unmet", 1.0, "optimal"),
        ("travel", 12.0, "optimal"),
    ]
    assert calls[0] == "no plan" and len(calls) >= 2
