"""Re-planning with the least disruption, on cases small enough to check by hand.

Case "three wards" (:func:`_wards`): areas a1, a2, a3 each reach only their own hospital s1, s2,
s3 (existing, 10 beds each, 5 minutes away). Beds expand in modules of 10 at 1 a bed. The plan
in force added nothing; the new demand is 18, 17 and 14 beds, so the three hospitals are short
by 8, 7 and 4 beds: 19 beds unmet if nothing changes. One module at a hospital serves its whole
shortfall (≤ 10), so

- the fresh optimum adds one module at each hospital: 3 changes, 0 unmet;
- with one change allowed, the best single change is the module at s1 (avoids 8 beds, against
  7 at s2 and 4 at s3): 7 + 4 = 11 beds unmet;
- with two, modules at s1 and s2: 4 beds unmet (s3's shortfall);
- with "a change must avoid 5 beds" (``unmet_per_change = 5``), s1 (8) and s2 (7) are worth it
  and s3 (4) is not: the same two changes.

Case "two candidates" (:func:`_candidates`): areas a1 (16 beds) and a2 (14 beds) both reach the
existing s1 (10 beds, 10 minutes); candidate c1 (10 beds, 2 minutes) reaches only a1, candidate
c2 (10 beds, 2 minutes) only a2. The plan in force has s1 alone: 20 beds unmet. Opening both
candidates serves everyone (2 site changes); opening one leaves 10 beds unmet whichever it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoalloc._errors import InputError
from geoalloc.optimize import AllocationProblem, OptimizeOptions, solve
from geoalloc.optimize.first_stage import FirstStage, first_stage_of
from geoalloc.optimize.replan import ChangeLimits, disruption_frontier, solve_replan

WARDS = OptimizeOptions(
    model="capacitated",
    max_minutes=30,
    cost_per_unit={"beds": 1.0},
    module_size={"beds": 10},
    mip_gap=0.0,
)
CANDIDATES = OptimizeOptions(model="capacitated", max_minutes=30, mip_gap=0.0)


def _wards(demand: tuple[float, float, float] = (18, 17, 14)) -> AllocationProblem:
    areas, sites = ["a1", "a2", "a3"], ["s1", "s2", "s3"]
    return AllocationProblem(
        demand=pd.DataFrame({"beds": demand}, index=areas, dtype=float),
        population=pd.Series(1000.0, index=areas),
        capacity=pd.DataFrame({"beds": [10.0, 10.0, 10.0]}, index=sites),
        existing=pd.Series(True, index=sites),
        od=pd.DataFrame({"area": areas, "site": sites, "minutes": [5.0, 5.0, 5.0]}),
    )


def _candidates() -> AllocationProblem:
    areas, sites = ["a1", "a2"], ["c1", "c2", "s1"]
    return AllocationProblem(
        demand=pd.DataFrame({"beds": [16.0, 14.0]}, index=areas),
        population=pd.Series(1000.0, index=areas),
        capacity=pd.DataFrame({"beds": [10.0, 10.0, 10.0]}, index=sites),
        existing=pd.Series([False, False, True], index=sites),
        od=pd.DataFrame(
            {
                "area": ["a1", "a1", "a2", "a2"],
                "site": ["c1", "s1", "c2", "s1"],
                "minutes": [2.0, 10.0, 2.0, 10.0],
            }
        ),
    )


def _plan(opened: dict[str, bool], added: dict[str, float] | None = None) -> FirstStage:
    sites = sorted(opened)
    return FirstStage(
        opened=pd.Series([opened[s] for s in sites], index=sites, dtype=bool),
        added=pd.DataFrame(
            {"beds": [float((added or {}).get(s, 0.0)) for s in sites]}, index=sites
        ),
    )


NOTHING_ADDED = _plan({"s1": True, "s2": True, "s3": True})
S1_ONLY = _plan({"c1": False, "c2": False, "s1": True})


def _added(replan) -> dict[str, float]:
    added = replan.allocation.sites["beds_added"]
    return {s: float(v) for s, v in added.items() if v > 0}


def _levels(allocation) -> dict[str, float]:
    return {lv["key"]: lv["value"] for lv in allocation.objective_detail["levels"]}


# ------------------------------------------------------------------------------- the limits


def test_no_change_allowed_returns_the_plan_in_force_re_evaluated() -> None:
    problem = _wards()
    plan = _plan({"s1": True, "s2": True, "s3": True}, {"s2": 10.0})
    result = solve_replan(problem, WARDS, plan, ChangeLimits(max_changes=0))
    assert result.n_changes == 0 and result.changes.empty
    assert result.allocation.sites["open"].all()
    assert _added(result) == {"s2": 10.0}
    # s1 short by 8, s3 by 4; s2's module covers its 7
    assert result.current.unmet["beds"].to_dict() == pytest.approx({"a1": 8, "a2": 0, "a3": 4})
    assert result.allocation.unmet["beds"].sum() == pytest.approx(12.0)
    assert result.current.sites["beds_added"].to_dict() == {"s1": 0.0, "s2": 10.0, "s3": 0.0}


def test_unlimited_changes_equal_a_fresh_optimisation() -> None:
    problem = _wards()
    fresh = solve(problem, WARDS)
    result = solve_replan(problem, WARDS, NOTHING_ADDED, ChangeLimits())
    assert _levels(result.allocation) == pytest.approx(_levels(fresh))
    assert _added(result) == {"s1": 10.0, "s2": 10.0, "s3": 10.0}  # the unique optimum
    assert result.n_changes == 3 and result.units_changed == {"beds": 30.0}
    assert sorted(result.changes["site"]) == ["s1", "s2", "s3"]
    assert set(result.changes["change"]) == {"add"}


@pytest.mark.parametrize(
    ("limit", "added", "unmet"),
    [(1, {"s1": 10.0}, 11.0), (2, {"s1": 10.0, "s2": 10.0}, 4.0)],
)
def test_the_limit_on_changes_is_respected_exactly(limit, added, unmet) -> None:
    result = solve_replan(_wards(), WARDS, NOTHING_ADDED, ChangeLimits(max_changes=limit))
    assert result.n_changes == limit
    assert _added(result) == added
    assert result.allocation.unmet["beds"].sum() == pytest.approx(unmet)


def test_the_limit_on_units_changed_is_respected() -> None:
    limits = ChangeLimits(max_units_changed={"beds": 20.0})
    result = solve_replan(_wards(), WARDS, NOTHING_ADDED, limits)
    assert result.units_changed == {"beds": 20.0}
    assert _added(result) == {"s1": 10.0, "s2": 10.0}


def test_the_limit_on_site_changes_is_respected() -> None:
    fresh = solve_replan(_candidates(), CANDIDATES, S1_ONLY, ChangeLimits())
    assert fresh.n_site_changes == 2 and fresh.allocation.unmet["beds"].sum() == 0
    one = solve_replan(_candidates(), CANDIDATES, S1_ONLY, ChangeLimits(max_site_changes=1))
    assert one.n_site_changes == 1
    assert one.allocation.unmet["beds"].sum() == pytest.approx(10.0)
    assert list(one.changes["change"]) == ["open"]
    none = solve_replan(_candidates(), CANDIDATES, S1_ONLY, ChangeLimits(max_site_changes=0))
    assert none.n_site_changes == 0 and none.allocation.unmet["beds"].sum() == pytest.approx(20)


@pytest.mark.parametrize(
    ("per_change", "added"),
    [
        (100.0, {}),  # no change avoids 100 beds
        (5.0, {"s1": 10.0, "s2": 10.0}),  # s1 avoids 8, s2 7: worth it; s3 avoids 4: not
        (0.5, {"s1": 10.0, "s2": 10.0, "s3": 10.0}),  # every change: the fresh plan
    ],
)
@pytest.mark.parametrize("objective", ["lexicographic", "weighted"])
def test_a_change_must_avoid_unmet_per_change_units(per_change, added, objective) -> None:
    options = WARDS.model_copy(update={"objective": objective})
    limits = ChangeLimits(unmet_per_change=per_change)
    result = solve_replan(_wards(), options, NOTHING_ADDED, limits)
    assert _added(result) == added
    if objective == "lexicographic":  # the plan's own unmet, without the change cost
        assert _levels(result.allocation)["unmet"] == pytest.approx(
            result.allocation.unmet["beds"].sum()
        )


def test_weighted_objective_limit() -> None:
    options = WARDS.model_copy(update={"objective": "weighted"})
    result = solve_replan(_wards(), options, NOTHING_ADDED, ChangeLimits(max_changes=1))
    assert _added(result) == {"s1": 10.0}


# ------------------------------------------------------------------- never worse than keeping


def _random_problem(seed: int, scale: float) -> AllocationProblem:
    rng = np.random.default_rng(seed)
    areas = [f"a{i:02d}" for i in range(10)]
    sites = [f"s{j}" for j in range(6)]
    axy, sxy = rng.uniform(0, 30, (10, 2)), rng.uniform(0, 30, (6, 2))
    minutes = np.hypot(*(axy[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1))
    ii, jj = np.nonzero(minutes <= 18)
    return AllocationProblem(
        demand=pd.DataFrame({"beds": (scale * rng.uniform(2, 9, 10)).round(1)}, index=areas),
        population=pd.Series(1000.0, index=areas),
        capacity=pd.DataFrame({"beds": rng.uniform(5, 15, 6).round()}, index=sites),
        existing=pd.Series([True, True, True, False, False, False], index=sites),
        od=pd.DataFrame(
            {
                "area": np.array(areas)[ii],
                "site": np.array(sites)[jj],
                "minutes": minutes[ii, jj].round(3),
            }
        ),
        opening_cost=pd.Series([0, 0, 0, 30, 20, 25], index=sites, dtype=float),
    )


def _lex_not_worse(new: dict[str, float], old: dict[str, float]) -> bool:
    for key in ("unmet", "cost", "new_sites", "travel"):
        if new[key] < old[key] - 1e-6 * max(1.0, abs(old[key])):
            return True
        if new[key] > old[key] + 1e-6 * max(1.0, abs(old[key])):
            return False
    return True


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_re_plan_is_never_worse_than_keeping_the_plan(seed: int) -> None:
    options = OptimizeOptions(
        model="capacitated",
        max_minutes=18,
        allow_closing=True,
        cost_per_unit={"beds": 1.0},
        module_size={"beds": 5},
        max_added={"beds": 10},
    )
    old = _random_problem(seed, 1.0)
    plan = first_stage_of(solve(old, options), old)
    new = _random_problem(seed, 1.5)  # the same places, half as much demand again
    rng = np.random.default_rng(seed)
    for limit in (0, int(rng.integers(1, 4)), None):
        result = solve_replan(new, options, plan, ChangeLimits(max_changes=limit))
        assert limit is None or result.n_changes <= limit
        assert _lex_not_worse(_levels(result.allocation), _levels(result.current))
        assert result.current.sites["open"].to_dict() == plan.opened.to_dict()


# ------------------------------------------------------------------------ the frontier


def test_the_frontier_is_monotone_and_starts_at_the_plan_in_force() -> None:
    front = disruption_frontier(_wards(), WARDS, NOTHING_ADDED, [0, 1, 2, 3, None])
    assert list(front["unmet"]) == pytest.approx([19.0, 11.0, 4.0, 0.0, 0.0])
    assert (np.diff(front["unmet"]) <= 1e-9).all()
    assert list(front["changes"]) == [0, 1, 2, 3, 3]
    assert front["max_changes"].isna().tolist() == [False] * 4 + [True]
    current = solve_replan(_wards(), WARDS, NOTHING_ADDED, ChangeLimits(max_changes=0)).current
    assert front["unmet"].iloc[0] == pytest.approx(current.unmet["beds"].sum())
    asg = current.assignments
    assert front["travel_demand_minutes"].iloc[0] == pytest.approx(
        (asg["quantity"] * asg["minutes"]).sum()
    )


# ---------------------------------------------------------------------- bad plans in force


@pytest.mark.parametrize(
    ("plan", "options", "culprit"),
    [
        (_plan({"s1": True, "s2": True, "s3": True, "s9": True}), WARDS, "s9"),
        (_plan({"s1": True, "s2": True, "s3": True}, {"s2": 7.0}), WARDS, "s2"),
        (
            _plan({"s1": True, "s2": True, "s3": True}, {"s3": 30.0}),
            WARDS.model_copy(update={"max_added": {"beds": 20}}),
            "s3",
        ),
        (_plan({"s1": True, "s2": False, "s3": True}), WARDS, "s2"),
        (_plan({"s1": True, "s2": True, "s3": True}, {"s1": 10.0}), CANDIDATES, "s1"),
    ],
    ids=["site-gone", "not-whole-modules", "beyond-max-added", "closed-existing", "not-expandable"],
)
def test_a_bad_plan_in_force_is_refused_naming_the_site(plan, options, culprit) -> None:
    with pytest.raises(InputError, match=culprit) as caught:
        solve_replan(_wards(), options, plan, ChangeLimits())
    assert caught.value.exit_code == 3


def test_other_refusals() -> None:
    plan = NOTHING_ADDED
    with pytest.raises(InputError, match="capacitated model"):
        solve_replan(_wards(), OptimizeOptions(model="p-median", p=2), plan, ChangeLimits())
    icu = FirstStage(plan.opened, plan.added.assign(icu=0.0))
    with pytest.raises(InputError, match="icu"):
        solve_replan(_wards(), WARDS, icu, ChangeLimits())
    with pytest.raises(InputError, match="max_changes"):
        ChangeLimits(max_changes=-1)
    with pytest.raises(InputError, match="icu"):
        solve_replan(_wards(), WARDS, plan, ChangeLimits(max_units_changed={"icu": 1.0}))
    # the plan in force breaks p on the new data
    with pytest.raises(InputError, match="p = 2"):
        solve_replan(_wards(), WARDS.model_copy(update={"p": 2}), plan, ChangeLimits())


def test_sites_new_to_the_plan_count_as_closed_in_it() -> None:
    # the facilities now list two candidates the plan in force never saw
    plan = _plan({"s1": True})
    result = solve_replan(_candidates(), CANDIDATES, plan, ChangeLimits(max_site_changes=1))
    assert result.current.sites["open"].to_dict() == {"c1": False, "c2": False, "s1": True}
    assert result.n_site_changes == 1
    assert any("c1" in note and "not in the plan in force" in note for note in result.notes)


def test_a_solve_worse_than_a_plan_in_hand_returns_that_plan() -> None:
    from geoalloc.optimize.replan import _Replanner

    replanner = _Replanner(_wards(), WARDS, NOTHING_ADDED)
    replanner.solve(ChangeLimits())
    fresh = replanner.last
    # handed a better plan than any within no change, the solve keeps it (and says so)
    result = replanner.solve(ChangeLimits(max_changes=0), fresh)
    assert result.kept_current
    assert _added(result) == {"s1": 10.0, "s2": 10.0, "s3": 10.0}
    assert any("came out worse" in note for note in result.notes)


def test_prices_per_site_and_per_unit_changed() -> None:
    """Three wards: a module of 10 beds at s1, s2, s3 avoids 8, 7 and 4 beds. Priced at 0.6 of
    a bed per bed added, a module costs 6 beds: only s1 (8) and s2 (7) are worth it; at 0.75 a
    bed (7.5 a module) only s1. Two candidates: opening c1 or c2 avoids 10 beds each; a price of
    12 per site opened keeps the plan, 8 opens both."""
    current = NOTHING_ADDED
    for per_unit, expected in ((0.6, {"s1", "s2"}), (0.75, {"s1"})):
        limits = ChangeLimits(unmet_per_unit_changed={"beds": per_unit})
        replan = solve_replan(_wards(), WARDS, current, limits)
        assert set(replan.changes["site"]) == expected, per_unit
    candidates = S1_ONLY
    kept = solve_replan(
        _candidates(), CANDIDATES, candidates, ChangeLimits(unmet_per_site_change=12)
    )
    assert kept.changes.empty
    both = solve_replan(
        _candidates(), CANDIDATES, candidates, ChangeLimits(unmet_per_site_change=8)
    )
    assert set(both.changes["site"]) == {"c1", "c2"}
    with pytest.raises(InputError, match="not planned"):
        solve_replan(_wards(), WARDS, current, ChangeLimits(unmet_per_unit_changed={"icu": 1.0}))
    with pytest.raises(InputError, match="units ≥ 0"):
        ChangeLimits(unmet_per_unit_changed={"beds": -1.0})
