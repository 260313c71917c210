"""The sample-average (two-stage) capacitated model and a fixed plan's evaluation on a draw.

Hand-checked tiny cases (the expected values are worked out in the comments), the one-draw
model against the deterministic solve under every option of the capacitated model, and a
property on a seeded random instance: the sample-average plan does at least as well over its
draws as the plan solved for the mean demand.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from geoalloc._errors import InfeasibleError, InputError
from geoalloc.optimize import AllocationProblem, Coupling, OptimizeOptions, solve
from geoalloc.optimize.first_stage import FirstStage, first_stage_of
from geoalloc.optimize.stochastic import (
    PlanOnDraw,
    SampleAveragePlan,
    evaluate_plan,
    solve_sample_average,
)

EXACT = {"model": "capacitated", "mip_gap": 0.0}


# ------------------------------------------------------------------------------ tiny instances


def _three_sites(demand_a: float, demand_b: float) -> AllocationProblem:
    """Areas A and B, candidate sites s1 (reaches A only, 6 beds), s2 (B only, 6 beds) and s3
    (both, 5 beds); 5 minutes to the own site, 8 to s3."""
    sites = ["s1", "s2", "s3"]
    return AllocationProblem(
        demand=pd.DataFrame({"beds": [demand_a, demand_b]}, index=["A", "B"], dtype=float),
        population=pd.Series(100.0, index=["A", "B"]),
        capacity=pd.DataFrame({"beds": [6.0, 6.0, 5.0]}, index=sites),
        existing=pd.Series(False, index=sites),
        od=pd.DataFrame(
            {
                "area": ["A", "A", "B", "B"],
                "site": ["s1", "s3", "s2", "s3"],
                "minutes": [5.0, 8.0, 5.0, 8.0],
            }
        ),
    )


def _one_site(demand: float) -> AllocationProblem:
    """One area, one existing site with 4 beds, 3 minutes apart."""
    return AllocationProblem(
        demand=pd.DataFrame({"beds": [demand]}, index=["A"]),
        population=pd.Series(100.0, index=["A"]),
        capacity=pd.DataFrame({"beds": [4.0]}, index=["h"]),
        existing=pd.Series(True, index=["h"]),
        od=pd.DataFrame({"area": ["A"], "site": ["h"], "minutes": [3.0]}),
    )


def _random(seed: int, factor: np.ndarray | None = None) -> AllocationProblem:
    """12 areas, 6 sites (3 existing), two resources, opening and operating costs, maximum sizes,
    equity groups and priority weights; ``factor`` scales each area's demand (a draw)."""
    rng = np.random.default_rng(seed)
    areas = [f"a{i:02d}" for i in range(12)]
    sites = [f"s{j}" for j in range(6)]
    axy, sxy = rng.uniform(0, 30, (12, 2)), rng.uniform(0, 30, (6, 2))
    minutes = np.hypot(*(axy[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1))
    ii, jj = np.nonzero(minutes <= 20)
    demand = pd.DataFrame(
        {"beds": rng.uniform(2, 9, 12).round(1), "icu": rng.uniform(0, 2, 12).round(1)},
        index=areas,
    )
    if factor is not None:
        demand = demand.mul(factor, axis=0).round(3)
    return AllocationProblem(
        demand=demand,
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
        groups=pd.Series(["north", "south"] * 6, index=areas),
        opening_cost=pd.Series([0, 0, 0, 300, 200, 250], index=sites, dtype=float),
        operating_cost=pd.Series([50, 80, 60, 0, 0, 0], index=sites, dtype=float),
        max_size=pd.DataFrame({"beds": [30.0, 25.0, np.nan, 30.0, 30.0, 30.0]}, index=sites),
    )


def _draws(seed: int, n: int, sd: float = 0.5, scale: float = 0.6) -> list[AllocationProblem]:
    """``n`` draws of :func:`_random` ``(seed)``: demand × ``scale`` × a per-area lognormal
    factor (``sd`` of its log)."""
    rng = np.random.default_rng(1000 + seed)
    return [_random(seed, scale * rng.lognormal(0.0, sd, 12)) for _ in range(n)]


def _total(unmet: pd.DataFrame) -> float:
    return float(unmet.to_numpy().sum())


def _level_values(levels: list[dict]) -> dict[str, float]:
    return {level["key"]: level["value"] for level in levels}


# ------------------------------------------------------------------------- the hand-checked case


def test_two_draws_open_the_site_no_single_future_would() -> None:
    """p = 1 of s1, s2, s3 (capacities 6, 6, 5; s3 reaches both areas).

    Unmet beds per site opened:

    ============  ====  ====  ====
    demand (A,B)   s1    s2    s3
    ============  ====  ====  ====
    draw 0 (6,1)   1     6     2     s1 best: 6 of A served, B's 1 unmet
    draw 1 (0,10)  10    4     5     s2 best: 6 of B's 10 served
    mean  (3,5.5)  5.5   3     3.5   s2 best
    expected       5.5   5     3.5   (1 + 10) / 2, (6 + 4) / 2, (2 + 5) / 2: s3
    ============  ====  ====  ====

    The sample-average plan opens s3 — neither draw's own optimum nor the mean-demand plan (s2),
    whose expected unmet over the same draws is 5 against 3.5.
    """
    draws = [_three_sites(6, 1), _three_sites(0, 10)]
    options = OptimizeOptions(**EXACT, p=1)
    saa = solve_sample_average(draws, options)
    assert isinstance(saa, SampleAveragePlan)
    assert saa.plan.opened.to_dict() == {"s1": False, "s2": False, "s3": True}
    assert saa.expected_unmet == pytest.approx(3.5)
    assert [_total(u) for u in saa.unmet_per_draw] == pytest.approx([2.0, 5.0])
    assert saa.outcome.status == "optimal"
    assert saa.n_draws == 2
    levels = _level_values(saa.levels)
    assert levels["unmet"] == pytest.approx(3.5)
    # travel: 5 beds at 8 minutes in each draw
    assert levels["travel"] == pytest.approx(40.0)
    # each draw alone, and the mean future
    own = [solve(d, options).sites["open"] for d in draws]
    assert [list(o.index[o]) for o in own] == [["s1"], ["s2"]]
    mean = dataclasses.replace(
        draws[0], demand=pd.DataFrame({"beds": [3.0, 5.5]}, index=["A", "B"])
    )
    mean_plan = solve(mean, options)
    assert list(mean_plan.sites.index[mean_plan.sites["open"]]) == ["s2"]
    assert _total(mean_plan.unmet) == pytest.approx(3.0)
    evaluated = [evaluate_plan(d, options, first_stage_of(mean_plan, mean)) for d in draws]
    # s2 on draw 0 leaves all of A (6) unmet; on draw 1, 4 of B's 10
    assert [_total(e.unmet) for e in evaluated] == pytest.approx([6.0, 4.0])
    assert np.mean([_total(e.unmet) for e in evaluated]) > saa.expected_unmet


def test_draws_differ_in_travel_too() -> None:
    """As above, but in draw 1 the roads are slower (every trip × 1.5) and the standard is 10
    minutes: s3 (12 minutes away) reaches no one there, s1 and s2 still do (7.5 minutes).

    Unmet beds per site opened: draw 0 (6,1): s1 1, s2 6, s3 2; draw 1 (0,10): s1 10, s2 4,
    s3 10; expected 5.5, 5, 6: the plan opens s2. Travel: 1 bed × 5 minutes in draw 0, 6 beds ×
    7.5 minutes in draw 1, 25 bed-minutes on average.
    """
    slow = _three_sites(0, 10)
    slow = dataclasses.replace(slow, od=slow.od.assign(minutes=slow.od["minutes"] * 1.5))
    options = OptimizeOptions(**EXACT, p=1, max_minutes=10.0)
    saa = solve_sample_average([_three_sites(6, 1), slow], options)
    assert saa.plan.opened.to_dict() == {"s1": False, "s2": True, "s3": False}
    assert saa.expected_unmet == pytest.approx(5.0)
    assert [u["beds"].to_dict() for u in saa.unmet_per_draw] == [
        {"A": 6.0, "B": 0.0},
        {"A": 0.0, "B": 4.0},
    ]
    assert _level_values(saa.levels)["travel"] == pytest.approx(25.0)
    assert evaluate_plan(slow, options, saa.plan).served_minutes == pytest.approx(45.0)


# ---------------------------------------------------------------------------- one draw = solve


#: demand × 1.5 in :func:`_random` (4): 95 beds for 88, some areas beyond the standard — 13.65
#: units unmet with the defaults, so that budgets, floors and expansion bind
TIGHT = np.full(12, 1.5)

#: every option of the capacitated model, each set on :func:`_random` (4, TIGHT)
OPTION_SETS: dict[str, dict] = {
    "defaults": {},
    "p": {"p": 3},
    "allow_closing, minimax": {"allow_closing": True, "minimax_weight": 2.0},
    "expansion": {
        "cost_per_unit": {"beds": 40.0},
        "module_size": {"beds": 5},
        "max_added": {"beds": 10},
    },
    "continuous expansion, resource budget": {
        "cost_per_unit": {"beds": 40.0, "icu": 90.0},
        "continuous_expansion": True,
        "resource_budgets": {"icu": 200.0},
    },
    "budget": {"cost_per_unit": {"beds": 40.0}, "budget": 500.0},
    "coupling": {
        "cost_per_unit": {"beds": 40.0, "icu": 50.0},
        "couplings": [Coupling(resource="icu", per="beds", max_ratio=0.3)],
    },
    "single_source": {"single_source": True},
    # binds: the south gets 81 % without it; with priority weights on the areas (below)
    "coverage_floor, priority": {"coverage_floor": 0.85},
    "weighted": {"objective": "weighted", "cost_weight": 0.01, "unmet_penalty_minutes": 100.0},
    "no unmet allowed": {
        "allow_unmet": False,
        "max_minutes": 60.0,
        "cost_per_unit": {"beds": 1.0, "icu": 1.0},
    },
}


def _with_priority(problem: AllocationProblem) -> AllocationProblem:
    weights = pd.Series(np.linspace(0.5, 1.5, len(problem.demand)), index=problem.demand.index)
    return dataclasses.replace(problem, priority=weights)


@pytest.mark.parametrize("name", OPTION_SETS)
def test_one_draw_is_the_deterministic_plan(name: str) -> None:
    """Every option of the capacitated model: the sample-average model of one draw is the
    deterministic model itself (the same plan, unmet demand and level values); two copies of the
    draw reach the same level values; the plan's evaluation on the draw gives its unmet demand."""
    problem = _random(4, TIGHT)
    settings = OPTION_SETS[name]
    if "priority" in name:
        problem = _with_priority(problem)
    options = OptimizeOptions(**EXACT, **settings)
    alone = solve(problem, options)
    one = solve_sample_average([problem], options)
    expected = first_stage_of(alone, problem)
    pd.testing.assert_series_equal(one.plan.opened, expected.opened)
    pd.testing.assert_frame_equal(one.plan.added, expected.added)
    pd.testing.assert_frame_equal(one.unmet_per_draw[0], alone.unmet)
    assert one.expected_unmet == pytest.approx(_total(alone.unmet))
    assert one.outcome.objective == pytest.approx(alone.objective, rel=1e-9, abs=1e-9)
    if options.objective == "lexicographic":
        truth = {level["key"]: level["value"] for level in alone.objective_detail["levels"]}
        assert _level_values(one.levels) == pytest.approx(truth)
    twice = solve_sample_average([problem, problem], options)
    assert twice.expected_unmet == pytest.approx(_total(alone.unmet), abs=1e-6)
    assert twice.outcome.objective == pytest.approx(alone.objective, rel=1e-6, abs=1e-6)
    assert twice.columns > one.columns and twice.rows > one.rows
    on_draw = evaluate_plan(problem, options, one.plan)
    assert _total(on_draw.unmet) == pytest.approx(_total(alone.unmet), abs=1e-6)


# ------------------------------------------------------------------------------- evaluate_plan


def test_evaluating_a_plan_on_its_own_problem_gives_its_unmet_and_travel() -> None:
    problem = _random(4, TIGHT)
    options = OptimizeOptions(**EXACT, cost_per_unit={"beds": 40.0}, budget=600.0)
    plan = solve(problem, options)
    assert _total(plan.unmet) > 0  # the budget leaves demand unmet: the case is not trivial
    on_draw = evaluate_plan(problem, options, first_stage_of(plan, problem))
    assert isinstance(on_draw, PlanOnDraw)
    assert on_draw.status == "optimal"
    pd.testing.assert_series_equal(on_draw.unmet.sum(), plan.unmet.sum())
    minutes = float((plan.assignments["quantity"] * plan.assignments["minutes"]).sum())
    assert on_draw.served_minutes == pytest.approx(minutes, rel=1e-9)


def test_a_plan_that_cannot_serve_leaves_the_right_unmet() -> None:
    """s2 alone (6 beds, reaches only B) under demand A 6, B 1: all of A unmet, B served in 5
    minutes; s1 alone under A 0, B 10: all of B unmet, nothing served. Unmet demand is measured
    even when the options forbid it (the plan is fixed: what it leaves unmet is the answer)."""
    options = OptimizeOptions(**EXACT, allow_unmet=False)
    only = {
        site: FirstStage(
            opened=pd.Series([s == site for s in ("s1", "s2", "s3")], index=["s1", "s2", "s3"]),
            added=pd.DataFrame({"beds": 0.0}, index=["s1", "s2", "s3"]),
        )
        for site in ("s1", "s2")
    }
    first = evaluate_plan(_three_sites(6, 1), options, only["s2"])
    assert first.unmet["beds"].to_dict() == {"A": 6.0, "B": 0.0}
    assert first.served_minutes == pytest.approx(5.0)
    second = evaluate_plan(_three_sites(0, 10), options, only["s1"])
    assert second.unmet["beds"].to_dict() == {"A": 0.0, "B": 10.0}
    assert second.served_minutes == 0.0


def test_a_plan_site_missing_from_the_problem_is_refused() -> None:
    options = OptimizeOptions(**EXACT, p=1)
    problem = _three_sites(6, 1)
    plan = solve_sample_average([problem], options).plan
    out_of_service = dataclasses.replace(
        problem,
        capacity=problem.capacity.drop(index="s3"),
        existing=problem.existing.drop(index="s3"),
        od=problem.od[problem.od["site"] != "s3"],
    )
    with pytest.raises(InputError, match=r"s3.*not in the problem"):
        evaluate_plan(out_of_service, options, plan)
    # a plan adding units the options do not expand, or at a closed site
    added = plan.added.copy()
    added.loc["s2", "beds"] = 5.0
    with pytest.raises(InputError, match="cost_per_unit") as caught:
        evaluate_plan(problem, options, FirstStage(plan.opened, added))
    assert "closed site(s) s2" in str(caught.value)


def test_expansion_is_shared_by_every_draw() -> None:
    """One existing site with 4 beds; demand 6 in draw 0 and 10 in draw 1; beds expand in
    modules of 5 at 1 a bed, at most 20 added.

    With a budget of 10 the plan adds two modules (10 beds): 14 beds serve both draws (expected
    unmet 0). Draw 0 alone adds one module (it needs 2 beds); the mean future (8 beds) adds one
    too, and that plan leaves 10 − 9 = 1 bed unmet in draw 1: 0.5 expected.
    With at most 5 added at the site, the plan adds 5: draw 1 leaves 1 unmet (0.5 expected).
    """
    draws = [_one_site(6.0), _one_site(10.0)]
    expand = {"cost_per_unit": {"beds": 1.0}, "module_size": {"beds": 5}, "budget": 10.0}
    options = OptimizeOptions(**EXACT, **expand, max_added={"beds": 20})
    saa = solve_sample_average(draws, options)
    assert saa.plan.added.loc["h", "beds"] == 10.0
    assert saa.expected_unmet == 0.0
    evaluated = [evaluate_plan(d, options, saa.plan) for d in draws]
    assert [_total(e.unmet) for e in evaluated] == [0.0, 0.0]
    assert [e.served_minutes for e in evaluated] == pytest.approx([18.0, 30.0])
    assert solve(draws[0], options).sites.loc["h", "beds_added"] == 5.0
    mean_plan = solve(_one_site(8.0), options)
    assert mean_plan.sites.loc["h", "beds_added"] == 5.0
    mean_stage = first_stage_of(mean_plan, _one_site(8.0))
    assert [_total(evaluate_plan(d, options, mean_stage).unmet) for d in draws] == [0.0, 1.0]

    capped = OptimizeOptions(**EXACT, **expand, max_added={"beds": 5})
    saa = solve_sample_average(draws, capped)
    assert saa.plan.added.loc["h", "beds"] == 5.0
    assert [_total(u) for u in saa.unmet_per_draw] == [0.0, 1.0]
    assert saa.expected_unmet == pytest.approx(0.5)
    for d, unmet in zip(draws, saa.unmet_per_draw, strict=True):
        pd.testing.assert_frame_equal(evaluate_plan(d, capped, saa.plan).unmet, unmet)


# ----------------------------------------------------------------------- property: SAA vs mean


@pytest.mark.parametrize("seed", [3, 6])
def test_the_sample_average_plan_is_no_worse_than_the_mean_plan_over_its_draws(seed: int) -> None:
    """Over its own draws, the plan of the sample-average model leaves no more unmet demand on
    average than the plan solved for the mean demand, both evaluated draw by draw — and its
    in-sample figures are its evaluation's. On these seeds the two plans open different sites
    (3 of 6), so the comparison is not between equal plans."""
    draws = _draws(seed, 4)
    options = OptimizeOptions(**EXACT, p=3)
    saa = solve_sample_average(draws, options)
    mean_demand = sum((d.demand for d in draws[1:]), draws[0].demand) / len(draws)
    mean_problem = dataclasses.replace(draws[0], demand=mean_demand.round(6))
    mean_stage = first_stage_of(solve(mean_problem, options), mean_problem)
    assert not mean_stage.opened.equals(saa.plan.opened)
    saa_unmet = [_total(evaluate_plan(d, options, saa.plan).unmet) for d in draws]
    mean_unmet = [_total(evaluate_plan(d, options, mean_stage, check=False).unmet) for d in draws]
    assert saa_unmet == pytest.approx([_total(u) for u in saa.unmet_per_draw], abs=1e-6)
    assert np.mean(saa_unmet) == pytest.approx(saa.expected_unmet, abs=1e-6)
    assert np.mean(saa_unmet) <= np.mean(mean_unmet) + 1e-6


# ------------------------------------------------------------------------------ refusals, errors


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"model": "p-median", "p": 2}, "robust plans use the capacitated model"),
        ({"model": "capacitated", "explain": True}, "explain"),
        ({"model": "capacitated", "frontier_floors": [0.5, 0.9]}, "frontier_floors"),
    ],
)
def test_options_a_robust_plan_does_not_take_are_refused(settings: dict, words: str) -> None:
    problem = _three_sites(6, 1)
    options = OptimizeOptions(**settings)
    with pytest.raises(InputError, match=words):
        solve_sample_average([problem], options)
    plan = FirstStage(
        opened=pd.Series(True, index=["s1", "s2", "s3"]),
        added=pd.DataFrame({"beds": 0.0}, index=["s1", "s2", "s3"]),
    )
    with pytest.raises(InputError, match=words):
        evaluate_plan(problem, options, plan)


def test_draws_must_share_everything_but_demand_and_travel() -> None:
    first, second = _three_sites(6, 1), _three_sites(0, 10)
    bigger = dataclasses.replace(second, capacity=second.capacity * 2)
    with pytest.raises(InputError, match="draw 1: capacity"):
        solve_sample_average([first, bigger], OptimizeOptions(**EXACT, p=1))
    with pytest.raises(InputError, match="no draws"):
        solve_sample_average([], OptimizeOptions(**EXACT))


def test_an_infeasible_model_names_the_draws() -> None:
    """Unmet demand forbidden. A draw with 20 beds of demand at A (only the 11 beds of s1 and s3 reach it, even
    with every site open) has no plan at all; two draws that each need their own site (A 6 needs
    s1, B 6 needs s2: s3 has 5 beds) have plans alone but not with one site for both."""
    options = OptimizeOptions(**EXACT, allow_unmet=False)
    with pytest.raises(InfeasibleError, match=r"draw\(s\) 1 .*no plan") as caught:
        solve_sample_average([_three_sites(6, 1), _three_sites(20, 1)], options)
    assert any(r.startswith("draw 1:") for r in caught.value.reasons)
    with pytest.raises(InfeasibleError, match="no one plan"):
        solve_sample_average(
            [_three_sites(6, 0), _three_sites(0, 6)], options.model_copy(update={"p": 1})
        )
