"""Decisions fixed before a period (history) in the time-phased model, and the re-plan of a schedule
from the day of an update, on hand-checkable cases."""

from __future__ import annotations

import pandas as pd
import pytest

from geoalloc._errors import InputError
from geoalloc.optimize import OptimizeOptions
from geoalloc.optimize.phased import PhasedHistory, PhasedProblem, PhasedSchedule, solve_phased
from geoalloc.optimize.phased_options import DeploymentOptions
from geoalloc.optimize.phased_replan import as_of_period, solve_phased_update
from geoalloc.optimize.replan import ChangeLimits
from tests.optimize.test_optimize_phased import COST, PENALTY, two_sites

# Five one-day periods. Site A (2 ventilators) serves only area a1, site B (none) only a2; A → B
# is 30 minutes and 1.5 days of handling: a shipment arrives 2 periods after it leaves.
T = 5


def ventilators(a1: list[float], a2: list[float]) -> PhasedProblem:
    return two_sites(a1, a2, stock_a=2.0, handling_days=1.5)


OPTIONS = OptimizeOptions(
    model="capacitated",
    max_minutes=10,
    unmet_penalty_minutes=PENALTY,
    cost_weight=1e-3,
    mip_gap=0.0,
)
NOTHING_MOVED = PhasedSchedule(
    moves=pd.DataFrame(
        columns=["resource", "from_site", "to_site", "units", "depart_period", "arrive_period"]
    ),
    opened=pd.Series(dtype=int),
)
# a1 needs 1 every day; a2 needs 1 from day 2 on (the new surge)
SURGE = ventilators([1.0] * T, [0.0, 0.0, 1.0, 1.0, 1.0])


@pytest.mark.parametrize(("before", "unmet"), [(1, 1.0), (2, 2.0), (3, 3.0)])
def test_a_unit_decided_in_period_d_arrives_no_earlier_than_d_plus_lead(before, unmet) -> None:
    # nothing moved before period `before`: the unit leaves then at the earliest and serves a2
    # from `before + 2` on, so a2 goes without on days 2 … before + 1
    _static, plan = solve_phased(SURGE, OPTIONS, history=PhasedHistory(NOTHING_MOVED, before))
    assert plan.unmet["ventilators"].sum() == pytest.approx(unmet)
    moves = plan.moves
    if before <= 2:
        assert moves[["depart_period", "arrive_period", "units"]].values.tolist() == [
            [before, before + 2, 1.0]
        ]
    else:
        assert moves.empty  # it would arrive after the horizon


def test_history_from_period_0_is_the_fresh_plan() -> None:
    _s, fresh = solve_phased(SURGE, OPTIONS)
    _s, pinned = solve_phased(SURGE, OPTIONS, history=PhasedHistory(NOTHING_MOVED, 0))
    assert pinned.objective == pytest.approx(fresh.objective)
    # served minutes: a1 1 × 3 on 5 days, a2 1 × 5 on 3 days; one unit shipped
    assert fresh.objective == pytest.approx(15.0 + 15.0 + 1e-3 * COST)


def test_a_shipment_that_left_is_kept_even_if_unwanted() -> None:
    # the plan in force sent a unit to B on day 0 for a surge at a2 that did not come; a1 needs 2
    # from day 2. Fixed, the unit is at B from day 2 (back at A no earlier than day 5): a1 goes
    # without 1 on days 2, 3, 4. Free, it would not have left.
    _s, parent = solve_phased(SURGE, OPTIONS)
    schedule = PhasedSchedule.of(parent)
    new = ventilators([1.0, 1.0, 2.0, 2.0, 2.0], [0.0] * T)
    update = solve_phased_update(new, OPTIONS, schedule, as_of=1)
    assert update.plan.moves[["from_site", "depart_period", "units"]].values.tolist() == [
        ["A", 0, 1.0]
    ]
    assert update.plan.unmet["ventilators"].sum() == pytest.approx(3.0)
    assert update.changes.empty
    free = solve_phased_update(new, OPTIONS, schedule, as_of=0)
    assert free.plan.moves.empty and free.plan.unmet["ventilators"].sum() == pytest.approx(0.0)
    assert free.changes["change"].tolist() == ["shipment cancelled"]
    assert free.n_changes == 1.0


def test_limits_keep_or_free_the_schedule_never_worse() -> None:
    kept = solve_phased_update(SURGE, OPTIONS, NOTHING_MOVED, 2, ChangeLimits(max_changes=0))
    assert kept.plan.moves.empty and kept.changes.empty
    assert kept.plan.unmet["ventilators"].sum() == pytest.approx(3.0)
    assert kept.plan.objective == pytest.approx(kept.kept.objective)
    free = solve_phased_update(SURGE, OPTIONS, NOTHING_MOVED, 2)
    _s, pinned = solve_phased(SURGE, OPTIONS, history=PhasedHistory(NOTHING_MOVED, 2))
    assert free.plan.objective == pytest.approx(pinned.objective)
    assert free.plan.objective <= free.kept.objective
    assert free.units_changed == {"ventilators": 1.0}
    capped = solve_phased_update(
        SURGE, OPTIONS, NOTHING_MOVED, 2, ChangeLimits(max_units_changed={"ventilators": 0})
    )
    assert capped.plan.moves.empty


def test_a_temporary_site_opened_on_the_update_day_is_ready_after_its_setup() -> None:
    # one area needing 2 beds from day 1, no existing site in reach; a field hospital F (2 beds,
    # ready 1 day after opening). Opened on day 0 it serves days 1 … 4; the update as of day 2
    # opens it on day 2, ready day 3: a goes without on days 1 and 2.
    demand = pd.DataFrame(
        {"beds": [0.0, 2.0, 2.0, 2.0, 2.0]},
        index=pd.MultiIndex.from_product([range(T), ["a"]], names=["period", "area"]),
    )
    problem = PhasedProblem(
        demand=demand,
        capacity=pd.DataFrame({"beds": [5.0, 2.0]}, index=["H", "F"]),
        temporary=pd.Series([False, True], index=["H", "F"]),
        od=pd.DataFrame({"area": ["a", "a"], "site": ["H", "F"], "minutes": [50.0, 4.0]}),
        transfers=pd.DataFrame(columns=["from_site", "to_site", "minutes"]),
        opening_cost=pd.Series({"F": 50.0}),
        daily_cost=pd.Series({"F": 10.0}),
        setup_days=pd.Series({"F": 1.0}),
        options=DeploymentOptions(period_days=1, periods=T, handling_days=0.0),
    )
    options = OPTIONS.model_copy(update={"cost_weight": 1.0})
    fresh = solve_phased_update(problem, options, NOTHING_MOVED, 0)
    assert fresh.plan.temporary.loc["F", "open_period"] == 0
    assert fresh.plan.unmet["beds"].sum() == pytest.approx(0.0)
    late = solve_phased_update(problem, options, NOTHING_MOVED, 2)
    assert (late.plan.temporary.loc["F", "open_period"], late.n_site_changes) == (2, 1)
    assert late.plan.unmet["beds"].sum() == pytest.approx(4.0)
    assert late.changes["change"].tolist() == ["site opened"]
    none = solve_phased_update(problem, options, NOTHING_MOVED, 2, ChangeLimits(max_site_changes=0))
    assert not bool(none.plan.temporary.loc["F", "opened"])
    # a site the plan in force opened on day 0 stays open whatever the update
    opened = PhasedSchedule(moves=NOTHING_MOVED.moves, opened=pd.Series({"F": 0}))
    quiet = problem.demand * 0.0
    kept = solve_phased_update(
        PhasedProblem(**{**problem.__dict__, "demand": quiet}), options, opened, 1
    )
    assert kept.plan.temporary.loc["F", "open_period"] == 0


def test_bad_updates_are_input_errors() -> None:
    with pytest.raises(InputError, match="outside the horizon"):
        solve_phased_update(SURGE, OPTIONS, NOTHING_MOVED, T + 1)
    with pytest.raises(InputError, match="change costs"):
        solve_phased_update(SURGE, OPTIONS, NOTHING_MOVED, 0, ChangeLimits(unmet_per_change=1))
    gone = PhasedSchedule(
        moves=pd.DataFrame(
            [["ventilators", "A", "Z", 1.0, 0, 2]],
            columns=["resource", "from_site", "to_site", "units", "depart_period", "arrive_period"],
        ),
        opened=pd.Series(dtype=int),
    )
    with pytest.raises(InputError, match="not in the new facilities.*Z"):
        solve_phased_update(SURGE, OPTIONS, gone, 1)
    assert [as_of_period(d, 0, 3) for d in (0, 1, 3, 4)] == [0, 1, 1, 2]
