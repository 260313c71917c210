"""One :class:`SolveOutcome` for every kind of plan: what the solver proved, and its summary."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from geoalloc._errors import SolverError
from geoalloc.optimize import AllocationProblem, OptimizeOptions, SolveOutcome, solve
from geoalloc.optimize.linear import RawSolution
from geoalloc.optimize.phased import PhasedProblem, solve_phased
from geoalloc.optimize.phased_options import DeploymentOptions
from geoalloc.optimize.problem import solver_summary, unproven_solves
from geoalloc.optimize.telemedicine import TeleProblem, solve_telemedicine

SUMMARY_KEYS = ["name", "status", "objective", "bound", "gap", "build_s", "solve_s", "notes"]
OPTIONS = OptimizeOptions(max_minutes=10, mip_gap=0.0)


def allocation():
    # p = 1: s1 costs 1 + 2 × 6 = 13, s2 costs 5 + 2 × 2 = 9
    areas, sites = pd.Index(["a1", "a2"]), pd.Index(["s1", "s2"])
    problem = AllocationProblem(
        demand=pd.DataFrame({"beds": [1.0, 2.0]}, index=areas),
        population=pd.Series(1.0, index=areas),
        capacity=pd.DataFrame({"beds": [10.0, 10.0]}, index=sites),
        existing=pd.Series(True, index=sites),
        od=pd.DataFrame(
            {"area": ["a1", "a1", "a2", "a2"], "site": ["s1", "s2"] * 2, "minutes": [1, 5, 6, 2]}
        ),
    )
    options = OPTIONS.model_copy(update={"model": "p-median", "p": 1, "existing": "may_close"})
    return solve(problem, options)


def tele_plan():
    # one area 5 minutes from one site with room for all its 10 hours: 50 minute-hours
    area, site = pd.Index(["A"]), pd.Index(["S"])
    problem = TeleProblem(
        demand=pd.Series(10.0, index=area),
        divertible=pd.Series(0.0, index=area),
        connected=pd.Series(False, index=area),
        site_hours=pd.Series(20.0, index=site),
        od=pd.DataFrame({"area": ["A"], "site": ["S"], "minutes": [5.0]}),
        hubs=pd.DataFrame({"max_hours": [100.0], "opening_cost": [100.0]}, index=["H"]),
        max_minutes=10.0,
    )
    return solve_telemedicine(problem, OPTIONS)


def phased_plans():
    # one period of one day: area a needs 1 bed, site A (3 minutes) has 1
    problem = PhasedProblem(
        demand=pd.DataFrame(
            {"beds": [1.0]}, index=pd.MultiIndex.from_tuples([(0, "a")], names=["period", "area"])
        ),
        capacity=pd.DataFrame({"beds": [1.0]}, index=["A"]),
        temporary=pd.Series([False], index=["A"]),
        od=pd.DataFrame({"area": ["a"], "site": ["A"], "minutes": [3.0]}),
        transfers=pd.DataFrame(columns=["from_site", "to_site", "minutes"]),
        opening_cost=pd.Series(dtype=float),
        daily_cost=pd.Series(dtype=float),
        setup_days=pd.Series(dtype=float),
        options=DeploymentOptions(period_days=1, periods=1),
    )
    return solve_phased(problem, OPTIONS.model_copy(update={"model": "capacitated"}))


@pytest.mark.parametrize(
    ("make", "objective"),
    [(allocation, 9.0), (tele_plan, 50.0), (lambda: phased_plans()[1], 3.0)],
    ids=["allocation", "telemedicine", "time-phased"],
)
def test_every_plan_carries_one_outcome(make, objective):
    plan = make()
    outcome = plan.outcome
    assert isinstance(outcome, SolveOutcome)
    assert outcome.status == "optimal" and outcome.solver == "highs"
    assert outcome.objective == pytest.approx(objective)
    assert outcome.bound == pytest.approx(objective) and outcome.gap == pytest.approx(0.0)
    assert outcome.build_s >= 0 and outcome.solve_s >= 0
    for name in ("status", "objective", "bound", "gap", "solver", "build_s", "solve_s"):
        assert getattr(plan, name) == getattr(outcome, name)
    summary = solver_summary(plan)
    assert list(summary) == SUMMARY_KEYS
    assert summary == {
        "name": "highs",
        "status": "optimal",
        "objective": outcome.objective,
        "bound": outcome.bound,
        "gap": outcome.gap,
        "build_s": outcome.build_s,
        "solve_s": outcome.solve_s,
        "notes": list(plan.notes),
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        outcome.objective = 0.0


def raw(objective: float | None, bound: float | None) -> RawSolution:
    x = None if objective is None else np.zeros(1)
    return RawSolution(x, objective, bound, "solved", 0.25, solver_label="Optimal")


def test_status_comes_from_the_proven_gap_not_the_label():
    tight = SolveOutcome.from_solution(
        raw(100.0, 99.95), OPTIONS.model_copy(update={"mip_gap": 0.001}), 1.5
    )
    assert (tight.status, tight.gap, tight.build_s, tight.solve_s) == (
        "optimal",
        pytest.approx(5e-4),
        1.5,
        0.25,
    )
    strict = SolveOutcome.from_solution(raw(100.0, 99.95), OPTIONS, 1.5)
    assert strict.status == "feasible"
    unproven = SolveOutcome.from_solution(raw(100.0, None), OPTIONS, 0.0)
    assert (unproven.status, unproven.bound, unproven.gap) == ("feasible", None, None)


def test_no_incumbent_has_no_outcome():
    with pytest.raises(SolverError, match="no solution"):
        SolveOutcome.from_solution(raw(None, None), OPTIONS, 0.0)


# ----------------------------------------------------------------- plans the solver did not prove


def outcome(status: str, gap: float | None) -> SolveOutcome:
    return SolveOutcome(status, 100.0, None, gap, "highs", 0.5, 12.5)


@pytest.mark.parametrize(
    ("status", "gap", "unproven"),
    [
        ("optimal", 0.0, False),
        ("optimal", 0.08, False),  # within a mip_gap the user chose: proven as asked
        ("feasible", 0.04, False),  # not optimal, but within acceptable_gap
        ("feasible", 0.05, False),
        ("feasible", 0.051, True),
        ("feasible", 0.997, True),
        ("feasible", None, True),  # no bound at all: nothing was proven
    ],
)
def test_a_plan_is_unproven_when_not_optimal_and_above_the_acceptable_gap(status, gap, unproven):
    assert outcome(status, gap).unproven(0.05) is unproven
    warning = outcome(status, gap).gap_warning("the plan", 0.05)
    assert (warning is not None) is unproven


def test_the_unproven_record_says_the_gap_and_what_to_do(caplog):
    plan = dataclasses.replace(allocation(), outcome=outcome("feasible", 0.997))
    options = OPTIONS.model_copy(update={"acceptable_gap": 0.05})
    assert unproven_solves([("the plan", allocation())], options) == []
    with caplog.at_level("WARNING", logger="geoalloc.optimize.problem"):
        (record,) = unproven_solves([("the plan", plan)], options)
    message = (
        "the plan is not proven: the solver stopped after 12.5 s at a proven gap of 99.7 %, above "
        "[optimize] acceptable_gap 5.0 % — a much better plan may exist, and this plan's figures "
        "(its unmet demand above all) may be far from what is achievable; raise [optimize] "
        "time_limit_s, offer fewer candidate sites, or use coarser areas"
    )
    assert record == {
        "solve": "the plan",
        "status": "feasible",
        "gap": 0.997,
        "acceptable_gap": 0.05,
        "solve_s": 12.5,
        "message": message,
    }
    assert caplog.messages == [message]
    unknown = dataclasses.replace(plan, outcome=outcome("feasible", None))
    (record,) = unproven_solves([("the time-phased plan", unknown)], options)
    assert "the time-phased plan is not proven" in record["message"]
    assert "without proving any bound (gap unknown)" in record["message"]
    block = solver_summary(plan, options)
    assert list(block) == [*SUMMARY_KEYS, "acceptable_gap", "unproven"]
    assert (block["acceptable_gap"], block["unproven"]) == (0.05, True)
    assert solver_summary(allocation(), options)["unproven"] is False
