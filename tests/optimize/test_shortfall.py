"""Who is left without, and why: each reason of geoalloc.optimize.shortfall on a hand-checked case."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from test_optimize_models import make_problem

from geoalloc.optimize import OptimizeOptions, solve
from geoalloc.optimize.shortfall import REASONS, shortfall_reasons, shortfall_summary


def _reasons(problem, **options) -> dict:
    opts = OptimizeOptions(model="capacitated", max_minutes=10, **options)
    table = shortfall_reasons(problem, solve(problem, opts), opts)
    assert set(table["reason"]) <= set(REASONS)
    return {(row.area, row.resource): (row.reason, row.unmet) for row in table.itertuples()}


def _one_site(capacity: float = 1.0, **kw):
    # a1 and a2 need 2 beds each and reach S (capacity 1); far reaches nothing within 10 minutes
    return make_problem(
        {("a1", "S"): 2.0, ("a2", "S"): 3.0, ("far", "S"): 25.0},
        {"a1": 2.0, "a2": 2.0, "far": 1.0},
        {"S": capacity},
        **kw,
    )


def test_fixed_stock_and_no_site_within_standard() -> None:
    reasons = _reasons(_one_site())
    assert reasons[("far", "beds")] == ("no_site_within_standard", pytest.approx(1.0))
    # the one bed goes to a1 (nearer); a2 is short and beds cannot be added
    assert reasons[("a1", "beds")] == ("fixed_stock", pytest.approx(1.0))
    assert reasons[("a2", "beds")] == ("fixed_stock", pytest.approx(2.0))


def test_budget_binds_after_buying_what_it_affords() -> None:
    # 3 beds short within reach; the budget buys 2 at 100 each (one module of 1 bed)
    reasons = _reasons(_one_site(), cost_per_unit={"beds": 100.0}, budget=250.0)
    short = {key: value for key, value in reasons.items() if key[0] != "far"}
    assert {reason for reason, _ in short.values()} == {"budget"}
    assert sum(units for _, units in short.values()) == pytest.approx(1.0)


def test_resource_budget_binds() -> None:
    reasons = _reasons(_one_site(), cost_per_unit={"beds": 100.0}, resource_budgets={"beds": 100.0})
    short = {key: value for key, value in reasons.items() if key[0] != "far"}
    assert {reason for reason, _ in short.values()} == {"resource_budget"}
    assert sum(units for _, units in short.values()) == pytest.approx(2.0)


def test_maximum_size_binds() -> None:
    problem = _one_site(max_size=pd.DataFrame({"beds": [2.0]}, index=["S"]))
    reasons = _reasons(problem, cost_per_unit={"beds": 1.0})
    short = {key: value for key, value in reasons.items() if key[0] != "far"}
    assert {reason for reason, _ in short.values()} == {"maximum_size"}
    assert sum(units for _, units in short.values()) == pytest.approx(2.0)


def test_cost_above_penalty() -> None:
    # weighted: a bed costs 1e9 × 1e-6 = 1000 minutes-equivalent; a unit unmet weighs 500
    reasons = _reasons(
        _one_site(),
        objective="weighted",
        cost_per_unit={"beds": 1e9},
        unmet_penalty_minutes=500.0,
        cost_weight=1e-6,
    )
    assert reasons[("a2", "beds")][0] == "cost_above_penalty"


def test_lexicographic_buys_what_serves_demand_unless_a_budget_says_no() -> None:
    # unmet demand comes first: without a budget the dear beds are bought, with one they are not
    bought = _reasons(_one_site(), cost_per_unit={"beds": 1e9})
    assert {reason for reason, _ in bought.values()} == {"no_site_within_standard"}
    capped = _reasons(_one_site(), cost_per_unit={"beds": 1e9}, budget=1e9)
    short = {key: value for key, value in capped.items() if key[0] != "far"}
    assert {reason for reason, _ in short.values()} == {"budget"}


def test_classic_model_leaves_unchosen_sites_closed() -> None:
    # p-median with p = 1: a far cluster is left beyond the standard of the chosen site
    problem = make_problem(
        {("a1", "S1"): 1.0, ("a2", "S1"): 2.0, ("b", "S2"): 1.0},
        {"a1": 5.0, "a2": 5.0, "b": 1.0},
    )
    options = OptimizeOptions(model="p-median", p=1, max_minutes=10, existing="may_close")
    allocation = solve(problem, options)
    table = shortfall_reasons(problem, allocation, options)
    assert table[["area", "reason"]].values.tolist() == [["b", "not_among_chosen_sites"]]


def test_summary_counts_people_and_units_per_reason() -> None:
    problem = _one_site()
    options = OptimizeOptions(model="capacitated", max_minutes=10)
    table = shortfall_reasons(problem, solve(problem, options), options)
    summary = {row["reason"]: row for row in shortfall_summary(table)}
    assert summary["fixed_stock"]["areas"] == 2
    assert summary["fixed_stock"]["unmet"] == pytest.approx(3.0)
    assert summary["no_site_within_standard"]["population"] == pytest.approx(1.0)


def test_nothing_unmet_gives_an_empty_table() -> None:
    problem = _one_site(capacity=10.0)
    options = OptimizeOptions(model="capacitated", max_minutes=30)
    table = shortfall_reasons(problem, solve(problem, options), options)
    assert table.empty
    assert shortfall_summary(table) == []


# ------------------------------------------------------------------ a plan the solver did not prove


def _stopped(allocation, status: str, gap: float | None):
    """``allocation`` as a solver stopped at its time limit returns it: its first incumbent,
    everything unmet (nothing assigned, no load), with the given status and proven gap."""
    sites = allocation.sites.copy()
    for resource in allocation.unmet.columns:
        sites[f"{resource}_load"] = 0.0
    demand = allocation.unmet + allocation.assignments.pivot_table(
        index="area", columns="resource", values="quantity", aggfunc="sum"
    ).reindex(allocation.unmet.index).fillna(0.0)
    outcome = dataclasses.replace(allocation.outcome, status=status, gap=gap, solve_s=3.0)
    return dataclasses.replace(
        allocation,
        outcome=outcome,
        sites=sites,
        assignments=allocation.assignments.iloc[0:0],
        unmet=demand,
    )


@pytest.mark.parametrize(
    ("status", "gap", "expected"),
    [
        ("optimal", 0.0, "capacity_left_unused"),  # proven: the spare beds are a real finding
        ("feasible", 0.03, "capacity_left_unused"),  # within acceptable_gap (5 %)
        ("feasible", 0.99, "solver_stopped_early"),
        ("feasible", None, "solver_stopped_early"),
    ],
)
def test_spare_capacity_beside_unmet_demand_is_put_down_to_an_unproven_solve(
    status, gap, expected
) -> None:
    # S has 10 beds for a1 and a2 (4 needed): an optimal plan serves both
    problem = _one_site(capacity=10.0)
    options = OptimizeOptions(model="capacitated", max_minutes=10)
    plan = _stopped(solve(problem, options), status, gap)
    table = shortfall_reasons(problem, plan, options).set_index("area")
    assert table.loc["far", "reason"] == "no_site_within_standard"  # true whatever the solver did
    assert table.loc[["a1", "a2"], "reason"].tolist() == [expected, expected]
    detail = table.loc["a1", "detail"]
    assert detail.endswith("S within reach have 10 beds spare")
    if expected == "solver_stopped_early":
        gap_text = "an unknown gap" if gap is None else "a gap of 99.0 %"
        assert detail.startswith(
            f"the solver stopped after 3.0 s at {gap_text} (above acceptable_gap 5.0 %); "
        )
    assert set(table["reason"]) <= set(REASONS)


def test_cost_above_penalty_is_not_claimed_for_an_unproven_plan() -> None:
    options = OptimizeOptions(
        model="capacitated",
        objective="weighted",
        max_minutes=10,
        cost_per_unit={"beds": 1e9},
        unmet_penalty_minutes=500.0,
        cost_weight=1e-6,
    )
    problem = _one_site()
    optimal = solve(problem, options)
    assert (
        shortfall_reasons(problem, optimal, options).set_index("area").loc["a2", "reason"]
        == "cost_above_penalty"
    )
    stopped = dataclasses.replace(
        optimal, outcome=dataclasses.replace(optimal.outcome, status="feasible", gap=0.5)
    )
    reasons = shortfall_reasons(problem, stopped, options).set_index("area")["reason"]
    assert reasons["a2"] == "solver_stopped_early"
    assert reasons["far"] == "no_site_within_standard"
