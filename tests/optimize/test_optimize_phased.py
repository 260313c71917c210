"""The time-phased deployment model on hand-checkable cases, both solve paths, and its checker."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from geoalloc._errors import InputError
from geoalloc.demand.los import LosModel
from geoalloc.demand.options import DemandOptions
from geoalloc.demand.surge import surge_needs
from geoalloc.optimize import OptimizeOptions, available_solvers
from geoalloc.optimize.check import CheckError
from geoalloc.optimize.phased import PhasedProblem, lead_periods, solve_phased
from geoalloc.optimize.phased_check import check_phased
from geoalloc.optimize.phased_cleanup import cancel_circular_moves
from geoalloc.optimize.phased_options import DeploymentOptions, MovableResource
from geoalloc.runs.deployment import periods_from_days

# Two sites, two areas, three one-day periods. Site A (1 ventilator) serves only area a1, site B
# (no ventilator) only area a2. a1 needs 0.5 ventilators on day 0; a2 needs 1 on days 1 and 2.
# A→B is 30 minutes. A shipment leaves A's stock the day it departs.
PENALTY = 1000.0  # minutes per unit-day unmet
COST = 100.0  # currency per unit shipped


def two_sites(
    a1: list[float], a2: list[float], *, stock_a: float, handling_days: float
) -> PhasedProblem:
    """Site A (``stock_a`` ventilators) serving only area a1, site B (none) only a2, A ↔ B 30
    minutes; one-day periods, as many as ``a1``/``a2`` give the areas' needs."""
    periods = len(a1)
    demand = pd.DataFrame(
        {"ventilators": [v for t in range(periods) for v in (a1[t], a2[t])]},
        index=pd.MultiIndex.from_product([range(periods), ["a1", "a2"]], names=["period", "area"]),
    )
    return PhasedProblem(
        demand=demand,
        capacity=pd.DataFrame({"ventilators": [stock_a, 0.0]}, index=["A", "B"]),
        temporary=pd.Series([False, False], index=["A", "B"]),
        od=pd.DataFrame({"area": ["a1", "a2"], "site": ["A", "B"], "minutes": [3.0, 5.0]}),
        transfers=pd.DataFrame(
            {"from_site": ["A", "B"], "to_site": ["B", "A"], "minutes": [30.0, 30.0]}
        ),
        opening_cost=pd.Series(dtype=float),
        daily_cost=pd.Series(dtype=float),
        setup_days=pd.Series(dtype=float),
        options=DeploymentOptions(
            period_days=1,
            periods=periods,
            handling_days=handling_days,
            movable=[MovableResource(resource="ventilators", cost_per_unit=COST)],
        ),
    )


def tiny(
    handling_days: float, *, budget: float | None = None
) -> tuple[PhasedProblem, OptimizeOptions]:
    problem = two_sites([0.5, 0.0, 0.0], [0.0, 1.0, 1.0], stock_a=1.0, handling_days=handling_days)
    options = OptimizeOptions(
        model="capacitated",
        max_minutes=10,
        unmet_penalty_minutes=PENALTY,
        cost_weight=1e-3,
        mip_gap=0.0,
        budget=budget,
    )
    return problem, options


def test_lead_rounds_travel_and_handling_up_to_whole_periods() -> None:
    options = DeploymentOptions(period_days=1, handling_days=0.5)
    assert list(lead_periods([30.0, 0.0, 1440.0], options)) == [1, 1, 2]
    options = DeploymentOptions(period_days=7, handling_days=0.0)
    assert list(lead_periods([0.0, 10.0], options)) == [1, 1]


@pytest.mark.parametrize(
    ("solver", "backend"), [("highs", "arrays"), ("highs", "pulp"), ("cbc", "pulp")]
)
def test_a_ventilator_moves_when_the_lead_time_allows(solver: str, backend: str) -> None:
    if solver not in available_solvers():
        pytest.skip(f"{solver} is not installed here")
    problem, options = tiny(handling_days=0.5)  # lead 1 day: leave day 0, usable day 1
    options = options.model_copy(update={"solver": solver, "backend": backend})
    static, plan = solve_phased(problem, options)
    moves = plan.moves
    assert len(moves) == 1
    move = moves.iloc[0]
    assert (move["from_site"], move["to_site"], move["units"]) == ("A", "B", 1.0)
    assert (move["depart_day"], move["arrive_day"]) == (0, 1)
    # a1 loses its ventilator on day 0 (0.5 unmet); a2 is served on days 1 and 2 at 5 minutes
    assert plan.unmet["ventilators"].to_dict() == pytest.approx(
        {
            (0, "a1"): 0.5,
            (0, "a2"): 0.0,
            (1, "a1"): 0.0,
            (1, "a2"): 0.0,
            (2, "a1"): 0.0,
            (2, "a2"): 0.0,
        }
    )
    assert plan.objective == pytest.approx(0.5 * PENALTY + 2 * 5.0 + 1e-3 * COST)
    assert plan.status == "optimal"
    # without redeployment a2 goes without on both days; a1 is served
    assert static.moves.empty
    assert static.objective == pytest.approx(2 * PENALTY + 0.5 * 3.0)
    stock = plan.stocks.set_index(["site", "period"])["stock"]
    assert stock.to_dict() == {
        ("A", 0): 0,
        ("A", 1): 0,
        ("A", 2): 0,
        ("B", 0): 0,
        ("B", 1): 1,
        ("B", 2): 1,
    }


def test_a_ventilator_is_not_moved_before_it_can_arrive() -> None:
    problem, options = tiny(handling_days=1.5)  # lead 2 days: leave day 0, usable day 2
    _static, plan = solve_phased(problem, options)
    move = plan.moves.iloc[0]
    assert (move["depart_day"], move["arrive_day"]) == (0, 2)
    unmet = plan.unmet["ventilators"]
    assert unmet[(1, "a2")] == pytest.approx(1.0)  # in transit on day 1: usable nowhere
    assert unmet[(2, "a2")] == pytest.approx(0.0)
    assert plan.objective == pytest.approx(0.5 * PENALTY + PENALTY + 5.0 + 1e-3 * COST)


def test_no_move_when_the_lead_time_exceeds_the_horizon() -> None:
    problem, options = tiny(handling_days=2.5)  # lead 3 days: it would arrive after day 2
    static, plan = solve_phased(problem, options)
    assert plan.moves.empty
    assert plan.objective == pytest.approx(static.objective) == pytest.approx(2 * PENALTY + 1.5)


def test_the_budget_can_forbid_the_move() -> None:
    problem, options = tiny(handling_days=0.5, budget=COST / 2)
    _static, plan = solve_phased(problem, options)
    assert plan.moves.empty
    assert plan.costs["total"] == 0.0


def test_the_checker_catches_a_ventilator_arriving_before_its_lead_time() -> None:
    problem, options = tiny(handling_days=1.5)
    _static, plan = solve_phased(problem, options)
    early = plan.moves.assign(arrive_period=1, arrive_day=1)
    stocks = plan.stocks.copy()
    stocks.loc[(stocks["site"] == "B") & (stocks["period"] == 1), "stock"] = 1.0
    tampered = dataclasses.replace(plan, moves=early, stocks=stocks)
    with pytest.raises(CheckError, match="lead is 2"):
        check_phased(problem, options, tampered)


def test_the_checker_catches_units_used_twice() -> None:
    problem, options = tiny(handling_days=0.5)
    _static, plan = solve_phased(problem, options)
    # claim a1 was still served at A on day 0 although the ventilator left that day
    served = pd.concat(
        [
            plan.served,
            pd.DataFrame(
                [
                    {
                        "period": 0,
                        "area": "a1",
                        "site": "A",
                        "resource": "ventilators",
                        "quantity": 0.5,
                        "minutes": 3.0,
                    }
                ]
            ),
        ]
    )
    unmet = plan.unmet.copy()
    unmet.loc[(0, "a1"), "ventilators"] = 0.0
    with pytest.raises(CheckError, match="over capacity"):
        check_phased(problem, options, dataclasses.replace(plan, served=served, unmet=unmet))


def test_a_temporary_site_serves_only_from_its_ready_day() -> None:
    # one area needing 2 beds every day, no existing site in reach; a field hospital F (2 beds,
    # ready 2 days after opening, 50 to open + 10 a day) — opened on day 0, serving days 2 and 3.
    demand = pd.DataFrame(
        {"beds": [2.0] * 4},
        index=pd.MultiIndex.from_product([[0, 1, 2, 3], ["a"]], names=["period", "area"]),
    )
    deployment = DeploymentOptions(period_days=1, periods=4, handling_days=0.0)
    problem = PhasedProblem(
        demand=demand,
        capacity=pd.DataFrame({"beds": [5.0, 2.0]}, index=["H", "F"]),
        temporary=pd.Series([False, True], index=["H", "F"]),
        od=pd.DataFrame({"area": ["a", "a"], "site": ["H", "F"], "minutes": [50.0, 4.0]}),
        transfers=pd.DataFrame(columns=["from_site", "to_site", "minutes"]),
        opening_cost=pd.Series({"F": 50.0}),
        daily_cost=pd.Series({"F": 10.0}),
        setup_days=pd.Series({"F": 2.0}),
        options=deployment,
    )
    options = OptimizeOptions(
        model="capacitated",
        max_minutes=10,
        unmet_penalty_minutes=PENALTY,
        cost_weight=1.0,
        mip_gap=0.0,
    )
    static, plan = solve_phased(problem, options)
    row = plan.temporary.loc["F"]
    assert bool(row["opened"]) and (row["open_day"], row["ready_day"]) == (0, 2)
    assert plan.costs == pytest.approx(
        {"opening": 50.0, "running": 40.0, "transfers": 0.0, "total": 90.0}
    )
    assert plan.unmet["beds"].tolist() == pytest.approx([2.0, 2.0, 0.0, 0.0])
    assert static.unmet["beds"].sum() == pytest.approx(8.0)
    assert plan.objective == pytest.approx(4 * PENALTY + 2 * 2 * 4.0 + 90.0)


def test_periods_take_the_peak_or_the_mean_of_their_days() -> None:
    by_day = pd.DataFrame(
        {"beds": [1.0, 3.0, 2.0, 5.0, 4.0, 0.0]},
        index=pd.MultiIndex.from_product([range(6), ["a"]], names=["day", "area"]),
    )
    areas = pd.Index(["a", "b"])  # b has no curve: zero need, still listed
    peak = periods_from_days(by_day, DeploymentOptions(period_days=2, periods=3), areas)
    assert peak["beds"].tolist() == [3.0, 0.0, 5.0, 0.0, 4.0, 0.0]
    mean = periods_from_days(
        by_day, DeploymentOptions(period_days=2, periods=3, period_demand="mean"), areas
    )
    assert mean.xs("a", level="area")["beds"].tolist() == [2.0, 3.5, 2.0]
    late = periods_from_days(
        by_day, DeploymentOptions(period_days=2, periods=2, start_day=1), areas
    )
    assert late.xs("a", level="area")["beds"].tolist() == [3.0, 5.0]
    with pytest.raises(InputError, match="horizon ends on day 8"):
        periods_from_days(by_day, DeploymentOptions(period_days=2, periods=4), areas)


def test_surge_curves_keep_the_daily_needs_behind_their_peaks() -> None:
    options = DemandOptions(
        resources=["beds", "ventilators"],
        surge={"kind": "table", "multipliers": [1.0, 2.0, 3.0, 1.0, 1.0]},
    )
    base = pd.Series([10.0, 4.0], index=pd.Index(["a", "b"], name="area"))
    result = surge_needs(base, base * 1000, options, LosModel.assumed(5.0, 7.0).overall)
    daily_max = result.by_day.groupby(level="area").max()
    for r in ("beds", "ventilators"):
        assert daily_max[r].to_dict() == pytest.approx(result.peaks[f"{r}_peak"].to_dict())
        assert result.by_day[r].groupby(level="day").sum().tolist() == pytest.approx(
            result.daily[r].tolist()
        )


@pytest.mark.parametrize(("icu_at_b", "moved"), [(1.0, 1.0), (0.0, 0.0)])
def test_a_ventilator_goes_only_where_an_icu_bed_can_use_it(icu_at_b: float, moved: float) -> None:
    problem, options = tiny(handling_days=0.5)
    deployment = problem.options.model_copy(
        update={
            "movable": [
                MovableResource(resource="ventilators", cost_per_unit=COST, usable_per="icu_beds")
            ]
        }
    )
    problem = dataclasses.replace(
        problem,
        demand=problem.demand.assign(icu_beds=0.0),
        capacity=problem.capacity.assign(icu_beds=[1.0, icu_at_b]),
        options=deployment,
    )
    _static, plan = solve_phased(problem, options)
    assert plan.moves["units"].sum() == moved
    assert plan.unmet["ventilators"].sum() == pytest.approx(0.5 if moved else 2.0)


def test_a_unit_cannot_pass_through_a_site_in_the_period_it_arrives() -> None:
    # A (1 ventilator) → B → C, one day each; no direct A → C. Area c next to C needs one on day 2.
    # Relayed through B it would leave B on day 1, the day it arrived there: not allowed, so it
    # cannot reach C within the three days and nothing moves.
    demand = pd.DataFrame(
        {"ventilators": [0.0, 0.0, 1.0]},
        index=pd.MultiIndex.from_product([[0, 1, 2], ["c"]], names=["period", "area"]),
    )
    deployment = DeploymentOptions(
        period_days=1,
        periods=3,
        handling_days=0.5,
        movable=[MovableResource(resource="ventilators", cost_per_unit=COST)],
    )
    sites = ["A", "B", "C"]
    problem = PhasedProblem(
        demand=demand,
        capacity=pd.DataFrame({"ventilators": [1.0, 0.0, 0.0]}, index=sites),
        temporary=pd.Series(False, index=sites),
        od=pd.DataFrame({"area": ["c"], "site": ["C"], "minutes": [2.0]}),
        transfers=pd.DataFrame(
            {"from_site": ["A", "B"], "to_site": ["B", "C"], "minutes": [30.0, 30.0]}
        ),
        opening_cost=pd.Series(dtype=float),
        daily_cost=pd.Series(dtype=float),
        setup_days=pd.Series(dtype=float),
        options=deployment,
    )
    _problem, options = tiny(handling_days=0.5)
    _static, plan = solve_phased(problem, options)
    assert plan.moves.empty
    assert plan.unmet["ventilators"].sum() == pytest.approx(1.0)
    relay = pd.DataFrame(
        [
            {"resource": "ventilators", "from_site": "A", "to_site": "B", "units": 1.0,
             "depart_period": 0, "arrive_period": 1, "depart_day": 0, "arrive_day": 1,
             "minutes": 30.0, "lead_periods": 1, "cost": COST},
            {"resource": "ventilators", "from_site": "B", "to_site": "C", "units": 1.0,
             "depart_period": 1, "arrive_period": 2, "depart_day": 1, "arrive_day": 2,
             "minutes": 30.0, "lead_periods": 1, "cost": COST},
        ]
    )  # fmt: skip
    stocks = plan.stocks.copy()
    stocks["stock"] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]  # A, B, C × periods 0–2
    tampered = dataclasses.replace(
        plan, moves=relay, stocks=stocks, costs={**plan.costs, "total": 2 * COST}
    )
    with pytest.raises(CheckError, match="only 0 were there before it"):
        check_phased(problem, options, tampered)


# --- shipments that cancel out: taken out of the plan, and caught by the checker ------------------


def _ring_problem(*, integer_moves: bool = True) -> tuple[PhasedProblem, OptimizeOptions]:
    """Sites A (3 ventilators), B and C (1 each), every pair 30 minutes apart (lead 1 day); areas
    b and c next to B and C need 2 ventilators each on days 1 and 2."""
    sites = ["A", "B", "C"]
    demand = pd.DataFrame(
        {"ventilators": [0.0, 0.0, 2.0, 2.0, 2.0, 2.0]},
        index=pd.MultiIndex.from_product([[0, 1, 2], ["b", "c"]], names=["period", "area"]),
    )
    pairs = [(a, b) for a in sites for b in sites if a != b]
    problem = PhasedProblem(
        demand=demand,
        capacity=pd.DataFrame({"ventilators": [3.0, 1.0, 1.0]}, index=sites),
        temporary=pd.Series(False, index=sites),
        od=pd.DataFrame({"area": ["b", "c"], "site": ["B", "C"], "minutes": [2.0, 2.0]}),
        transfers=pd.DataFrame(
            {"from_site": [a for a, _ in pairs], "to_site": [b for _, b in pairs], "minutes": 30.0}
        ),
        opening_cost=pd.Series(dtype=float),
        daily_cost=pd.Series(dtype=float),
        setup_days=pd.Series(dtype=float),
        options=DeploymentOptions(
            period_days=1,
            periods=3,
            handling_days=0.5,
            integer_moves=integer_moves,
            movable=[MovableResource(resource="ventilators", cost_per_unit=COST)],
        ),
    )
    _problem, options = tiny(handling_days=0.5)
    return problem, options


def _with_moves(problem: PhasedProblem, plan, rows: list[tuple[str, str, float, int]]):
    """``plan`` with these shipments (from, to, units, departure day; lead 1 day) instead of its
    own, its stocks and costs recomputed to match (what a solver's plan would state)."""
    moves = pd.DataFrame(
        [
            {"resource": "ventilators", "from_site": a, "to_site": b, "units": u,
             "depart_period": t, "arrive_period": t + 1, "depart_day": t, "arrive_day": t + 1,
             "minutes": 30.0, "lead_periods": 1, "cost": COST * u}
            for a, b, u, t in rows
        ]
    )  # fmt: skip
    stocks = plan.stocks.copy()
    level = []
    for site, period in zip(stocks["site"], stocks["period"], strict=True):
        units = float(problem.capacity.loc[site, "ventilators"])
        units -= sum(u for a, _b, u, t in rows if a == site and t <= period)
        units += sum(u for _a, b, u, t in rows if b == site and t + 1 <= period)
        level.append(units)
    stocks["stock"] = level
    costs = {**plan.costs, "transfers": float(moves["cost"].sum())}
    costs["total"] = costs["opening"] + costs["running"] + costs["transfers"]
    objective = plan.objective + 1e-3 * (costs["transfers"] - plan.costs["transfers"])
    outcome = dataclasses.replace(plan.outcome, objective=objective)
    return dataclasses.replace(plan, moves=moves, stocks=stocks, costs=costs, outcome=outcome)


@pytest.mark.parametrize(
    ("rows", "kept"),
    [
        # 2 A → B and 1 back the same day: only 1 A → B is needed
        ([("A", "B", 2.0, 0), ("B", "A", 1.0, 0), ("A", "C", 1.0, 0)], {("A", "B"): 1, ("A", "C"): 1}),
        # round a ring A → B → C → A: 1 unit goes round for nothing
        ([("A", "B", 2.0, 0), ("B", "C", 1.0, 0), ("C", "A", 1.0, 0)], {("A", "B"): 1}),
        # lent on day 0 and sent back on day 1, the day it arrived: B never uses it
        ([("A", "B", 2.0, 0), ("A", "C", 1.0, 0), ("B", "A", 1.0, 1)], {("A", "B"): 1, ("A", "C"): 1}),
    ],
)  # fmt: skip
@pytest.mark.parametrize("integer_moves", [True, False])
def test_shipments_that_cancel_out_are_caught_and_taken_out(
    rows: list, kept: dict, integer_moves: bool
) -> None:
    problem, options = _ring_problem(integer_moves=integer_moves)
    _static, plan = solve_phased(problem, options)
    # the solver's own plan: 1 unit A → B and 1 A → C on day 0, nothing wasted
    assert plan.moves.set_index(["from_site", "to_site"])["units"].to_dict() == {
        ("A", "B"): 1.0,
        ("A", "C"): 1.0,
    }
    if len(rows) == 3 and rows[2][:2] == ("C", "A"):
        # a ring serves only B from A: C keeps its own unit, short by one on days 1 and 2
        problem = dataclasses.replace(problem, demand=problem.demand.assign(
            ventilators=[0.0, 0.0, 2.0, 1.0, 2.0, 1.0]))  # fmt: skip
        _static, plan = solve_phased(problem, options)
    wasteful = _with_moves(problem, plan, rows)
    with pytest.raises(CheckError, match="shipments that cancel out"):
        check_phased(problem, options, wasteful)
    cleaned = cancel_circular_moves(problem, options, wasteful)
    check_phased(problem, options, cleaned)  # stocks, capacities, costs: all consistent
    got = cleaned.moves.groupby(["from_site", "to_site"])["units"].sum().to_dict()
    assert got == pytest.approx(kept)
    # what is served does not change; shipping costs and the objective fall by what was removed
    pd.testing.assert_frame_equal(cleaned.served, wasteful.served)
    pd.testing.assert_frame_equal(cleaned.unmet, wasteful.unmet)
    saved = COST * (sum(r[2] for r in rows) - sum(kept.values()))
    assert cleaned.costs["transfers"] == pytest.approx(wasteful.costs["transfers"] - saved)
    assert cleaned.objective == pytest.approx(wasteful.objective - 1e-3 * saved)
    assert "cancelled out" in cleaned.notes[-1]
    removed = sum(r[2] for r in rows) - sum(kept.values())
    assert cleaned.cancelled["units"] == pytest.approx(removed)
    assert cleaned.cancelled["transfer_cost"] == pytest.approx(saved)
    assert sum(m["units"] for m in cleaned.cancelled["moves"]) == pytest.approx(removed)
    assert wasteful.cancelled["units"] == 0
    # a clean plan goes through unchanged
    assert cancel_circular_moves(problem, options, cleaned) is cleaned


def test_a_unit_lent_and_returned_after_use_is_not_waste() -> None:
    # B borrows a unit from A on day 0 (usable on days 1 and 2, when area b needs 2) and sends it
    # back on day 3: taking the pair out would leave b short on days 1 and 2
    problem, options = _ring_problem()
    deployment = problem.options.model_copy(update={"periods": 5})
    demand = pd.DataFrame(
        {"ventilators": [0.0, 0.0, 2.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0]},
        index=pd.MultiIndex.from_product([range(5), ["b", "c"]], names=["period", "area"]),
    )
    problem = dataclasses.replace(problem, demand=demand, options=deployment)
    _static, plan = solve_phased(problem, options)
    lent = _with_moves(problem, plan, [("A", "B", 1.0, 0), ("B", "A", 1.0, 3)])
    check_phased(problem, options, lent)
    assert cancel_circular_moves(problem, options, lent) is lent
