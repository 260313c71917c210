"""Hand-checkable tiny cases for every model, binding constraints, infeasibility, the checker."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from geoalloc._errors import InfeasibleError, InputError
from geoalloc.optimize import (
    AllocationProblem,
    CheckError,
    Coupling,
    OptimizeOptions,
    available_solvers,
    check_allocation,
    frontier,
    solve,
)
from geoalloc.optimize.linear import ModelBuilder, relative_gap, solve_linear, status_from_gap


def make_problem(
    minutes: dict, demand: dict, capacity: dict | None = None, existing=None, **kw
) -> AllocationProblem:
    """``minutes``: {(area, site): minutes}; ``demand``: {area: units or {resource: units}}."""
    areas = sorted(demand)
    first = next(iter(demand.values()))
    dem = (
        pd.DataFrame({a: (v if isinstance(v, dict) else {"beds": v}) for a, v in demand.items()})
        .T.loc[areas]
        .astype(float)
    )
    sites = sorted({s for _, s in minutes} | set(capacity or {}))
    if capacity is None:
        cap = pd.DataFrame(1e9, index=sites, columns=dem.columns)
    else:
        cap = (
            pd.DataFrame(
                {s: (v if isinstance(v, dict) else {"beds": v}) for s, v in capacity.items()}
            )
            .T.loc[sites]
            .astype(float)
        )
    del first
    ex = pd.Series(True if existing is None else [s in existing for s in sites], index=sites)
    od = pd.DataFrame(
        [(a, s, t) for (a, s), t in minutes.items()], columns=["area", "site", "minutes"]
    )
    return AllocationProblem(dem, pd.Series(1.0, index=areas), cap, ex, od, **kw)


# ------------------------------------------------------------------------------------ classic


def test_lscp_picks_two_sites_and_reports_unreachable_area():
    # a1 reached by s1/s2, a2 only by s2, a3 only by s3; a4 by none within 10 minutes
    prob = make_problem(
        {("a1", "s1"): 5, ("a1", "s2"): 8, ("a2", "s2"): 4, ("a3", "s3"): 9, ("a4", "s1"): 25},
        {"a1": 1, "a2": 1, "a3": 1, "a4": 1},
    )
    alloc = solve(prob, OptimizeOptions(model="lscp", max_minutes=10, existing="may_close"))
    assert alloc.status == "optimal"
    assert alloc.objective == 2
    assert set(alloc.sites.index[alloc.sites["open"]]) == {"s2", "s3"}
    assert alloc.unmet.loc["a4", "beds"] == 1
    assert any("a4" in n for n in alloc.notes)


def test_mclp_takes_the_heavier_cover():
    prob = make_problem(
        {("a1", "s1"): 5, ("a2", "s2"): 5, ("a3", "s2"): 5, ("a3", "s1"): 50},
        {"a1": 10, "a2": 3, "a3": 4},
    )
    alloc = solve(prob, OptimizeOptions(model="mclp", p=1, max_minutes=10, existing="may_close"))
    assert alloc.objective == pytest.approx(10)
    assert list(alloc.sites.index[alloc.sites["open"]]) == ["s1"]
    # p = 2 covers everything
    assert solve(
        prob, OptimizeOptions(model="mclp", p=2, max_minutes=10, existing="may_close")
    ).objective == pytest.approx(17)


P_MEDIAN = {("a1", "s1"): 1, ("a1", "s2"): 5, ("a2", "s1"): 6, ("a2", "s2"): 2}


def test_p_median_two_by_two():
    prob = make_problem(P_MEDIAN, {"a1": 1, "a2": 2})
    # p=1: s1 costs 1 + 12 = 13, s2 costs 5 + 4 = 9
    one = solve(
        prob, OptimizeOptions(model="p-median", p=1, max_minutes=None, existing="may_close")
    )
    assert one.objective == pytest.approx(9)
    assert one.status == "optimal" and one.bound == pytest.approx(9)
    assert list(one.sites.index[one.sites["open"]]) == ["s2"]
    two = solve(
        prob, OptimizeOptions(model="p-median", p=2, max_minutes=None, existing="may_close")
    )
    assert two.objective == pytest.approx(1 + 4)


def test_p_median_unreachable_area_costs_the_penalty():
    prob = make_problem({("a1", "s1"): 3, ("a2", "s1"): 40}, {"a1": 1, "a2": 1})
    alloc = solve(
        prob, OptimizeOptions(model="p-median", p=1, max_minutes=30, unmet_penalty_minutes=100)
    )
    assert alloc.objective == pytest.approx(3 + 100)
    assert alloc.unmet.loc["a2", "beds"] == 1


def test_p_center_minimises_the_worst_minutes():
    # areas on a line at 0, 4, 10; sites at 0, 5, 10 (minutes = distance)
    pos_a = {"a1": 0, "a2": 4, "a3": 10}
    pos_s = {"s1": 0, "s2": 5, "s3": 10}
    minutes = {(a, s): abs(x - y) for a, x in pos_a.items() for s, y in pos_s.items()}
    prob = make_problem(minutes, dict.fromkeys(pos_a, 1))
    one = solve(
        prob, OptimizeOptions(model="p-center", p=1, max_minutes=None, existing="may_close")
    )
    assert one.objective == pytest.approx(5)  # s2: max(5, 1, 5)
    two = solve(
        prob, OptimizeOptions(model="p-center", p=2, max_minutes=None, existing="may_close")
    )
    assert two.objective == pytest.approx(4)  # {s1, s3}: a2 is 4 from s1
    assert two.status == "optimal"


@pytest.mark.parametrize("model", ["p-median", "mclp", "p-center", "capacitated"])
def test_p_larger_than_sites_uses_every_site_and_says_so(model):
    # e.g. an outage scenario took a site out of service
    prob = make_problem(P_MEDIAN, {"a1": 1, "a2": 2})
    alloc = solve(prob, OptimizeOptions(model=model, p=3, max_minutes=None))
    assert alloc.sites["open"].all()
    assert "only 2 sites" in alloc.notes[0]


def test_missing_p_is_an_input_error():
    prob = make_problem(P_MEDIAN, {"a1": 1, "a2": 2})
    with pytest.raises(InputError, match="p is required"):
        solve(prob, OptimizeOptions(model="mclp", existing="may_close"))
    # existing sites kept (the default): the number to give is the sites to add
    with pytest.raises(InputError, match="needs add = the number of new sites"):
        solve(prob, OptimizeOptions(model="mclp"))


@pytest.mark.parametrize("model", ["p-median", "mclp", "p-center"])
def test_adding_no_site_beside_no_existing_site_is_an_input_error(model):
    # every site a candidate: add = 0 would open nothing (p-median and p-center failed inside
    # their heuristic; mclp returned an "optimal" plan with no site)
    prob = make_problem(P_MEDIAN, {"a1": 1, "a2": 2}, existing=())
    with pytest.raises(InputError, match="add = 0 and no site is existing"):
        solve(prob, OptimizeOptions(model=model, add=0, max_minutes=None))
    # beside existing sites, add = 0 keeps them and opens nothing more
    kept = make_problem(P_MEDIAN, {"a1": 1, "a2": 2}, existing=("s1",))
    plan = solve(kept, OptimizeOptions(model=model, add=0, max_minutes=None))
    assert plan.sites["open"].to_dict() == {"s1": True, "s2": False}


def test_bad_od_is_an_input_error_listing_ids():
    prob = make_problem({("a1", "s1"): 1, ("a2", "s1"): -3, ("zz", "s1"): 2}, {"a1": 1, "a2": 1})
    with pytest.raises(InputError) as err:
        solve(prob, OptimizeOptions(model="p-median", p=1))
    text = str(err.value)
    assert "zz" in text and "negative" in text


# -------------------------------------------------------------------------------- capacitated


def test_capacity_binds_and_overflow_goes_to_the_far_site():
    # a1 needs 10 beds; s1 (1 min) has 6, s2 (5 min) has 10 → 6·1 + 4·5 = 26
    prob = make_problem({("a1", "s1"): 1, ("a1", "s2"): 5}, {"a1": 10}, {"s1": 6, "s2": 10})
    alloc = solve(prob, OptimizeOptions(model="capacitated", cost_weight=0))
    assert alloc.objective == pytest.approx(26)
    q = alloc.assignments.set_index("site")["quantity"]
    assert q["s1"] == pytest.approx(6) and q["s2"] == pytest.approx(4)
    assert alloc.sites.loc["s1", "beds_load"] == pytest.approx(6)


def test_unmet_at_penalty_when_capacity_is_short():
    prob = make_problem({("a1", "s1"): 2}, {"a1": 10}, {"s1": 7})
    alloc = solve(
        prob,
        OptimizeOptions(
            model="capacitated", objective="weighted", unmet_penalty_minutes=100, cost_weight=0
        ),
    )
    assert alloc.unmet.loc["a1", "beds"] == pytest.approx(3)
    assert alloc.objective == pytest.approx(7 * 2 + 3 * 100)
    # lexicographic (the default): the same plan, its objective the travel level alone
    levels = solve(prob, OptimizeOptions(model="capacitated"))
    assert levels.unmet.loc["a1", "beds"] == pytest.approx(3)
    assert levels.objective == pytest.approx(7 * 2)
    assert levels.objective_detail is not None
    values = {level["key"]: level["value"] for level in levels.objective_detail["levels"]}
    assert values["unmet"] == pytest.approx(3) and values["travel"] == pytest.approx(14)


def test_budget_binds_expansion_in_modules():
    # demand 20 at s1 (cap 5); modules of 4 beds at 10 each; budget 25 → 2 modules (8 beds), 7 unmet
    prob = make_problem({("a1", "s1"): 1}, {"a1": 20}, {"s1": 5})
    opts = OptimizeOptions(
        model="capacitated",
        cost_per_unit={"beds": 2.5},
        module_size={"beds": 4},
        budget=25,
        cost_weight=0,
        unmet_penalty_minutes=100,
    )
    alloc = solve(prob, opts)
    assert alloc.sites.loc["s1", "beds_after"] == pytest.approx(13)
    assert alloc.unmet.loc["a1", "beds"] == pytest.approx(7)
    assert alloc.costs["expansion"] == pytest.approx(20)
    # a larger budget clears the shortfall: 4 modules (16 beds ≥ 15 needed)
    more = solve(prob, opts.model_copy(update={"budget": 100}))
    assert more.unmet.to_numpy().sum() == pytest.approx(0)
    assert more.sites.loc["s1", "beds_after"] == pytest.approx(21)


def test_candidate_opens_only_when_worth_its_cost():
    # existing s1 is 20 minutes away; candidate s2 is 2 minutes away, costs 1000
    minutes = {("a1", "s1"): 20, ("a1", "s2"): 2}
    base = {"cost_weight": 0.1, "max_minutes": 30, "objective": "weighted"}
    cheap = make_problem(
        minutes,
        {"a1": 100},
        {"s1": 100, "s2": 100},
        existing={"s1"},
        opening_cost=pd.Series({"s1": 0.0, "s2": 1000.0}),
    )
    # saving 18 min × 100 = 1800 > 0.1 × 1000 = 100 → open
    alloc = solve(cheap, OptimizeOptions(model="capacitated", opening_cost_column="c", **base))
    assert bool(alloc.sites.loc["s2", "open"])
    # with a budget of 500 it cannot open
    alloc = solve(cheap, OptimizeOptions(model="capacitated", budget=500, **base))
    assert not bool(alloc.sites.loc["s2", "open"])
    assert alloc.objective == pytest.approx(100 * 20)


def test_coupling_limits_ventilators_by_icu_beds():
    demand = {"a1": {"icu": 10, "vent": 10}}
    prob = make_problem({("a1", "s1"): 1}, demand, {"s1": {"icu": 4, "vent": 0}})
    opts = OptimizeOptions(
        model="capacitated",
        cost_per_unit={"vent": 1.0, "icu": 1.0},
        resource_budgets={"icu": 0.0},
        couplings=[Coupling(resource="vent", per="icu", max_ratio=0.5)],
        cost_weight=0,
        unmet_penalty_minutes=50,
    )
    alloc = solve(prob, opts)
    assert alloc.sites.loc["s1", "vent_after"] == pytest.approx(2)  # ≤ 0.5 × 4 icu
    assert alloc.unmet.loc["a1", "vent"] == pytest.approx(8)


def test_single_source_keeps_an_area_whole():
    # a1 needs 6; s1 (1 min) has 4, s2 (3 min) has 10: split would be 4·1 + 2·3 = 10, whole is 18
    prob = make_problem({("a1", "s1"): 1, ("a1", "s2"): 3}, {"a1": 6}, {"s1": 4, "s2": 10})
    split = solve(prob, OptimizeOptions(model="capacitated", cost_weight=0))
    whole = solve(prob, OptimizeOptions(model="capacitated", single_source=True, cost_weight=0))
    assert split.objective == pytest.approx(10)
    assert whole.objective == pytest.approx(18)
    assert set(whole.assignments["site"]) == {"s2"}


def test_equity_floor_binds():
    # one site of 10 beds; group A (a1, 1 min) and group B (a2, 9 min) each need 10
    prob = make_problem(
        {("a1", "s1"): 1, ("a2", "s1"): 9},
        {"a1": 10, "a2": 10},
        {"s1": 10},
        groups=pd.Series({"a1": "A", "a2": "B"}),
    )
    free = solve(prob, OptimizeOptions(model="capacitated", cost_weight=0))
    assert free.unmet.loc["a2", "beds"] == pytest.approx(
        10
    )  # efficiency serves the near group only
    fair = solve(prob, OptimizeOptions(model="capacitated", coverage_floor=0.4, cost_weight=0))
    assert fair.unmet.loc["a2", "beds"] == pytest.approx(6)  # floor forces 40 % of B's demand
    table = frontier(
        prob, OptimizeOptions(model="capacitated", cost_weight=0), floors=[0.0, 0.4, 0.5, 0.6]
    )
    assert list(table["status"]) == ["optimal", "optimal", "optimal", "infeasible"]
    assert table["worst_group_coverage"].iloc[1] == pytest.approx(0.4)
    assert table["mean_minutes"].iloc[:3].is_monotonic_increasing


def test_minimax_term_evens_out_travel():
    # one bed at each site; efficient a1→s1 (1), a2→s2 (9): 10 minutes, worst 9.
    # Swapping gives 6 and 6: worst 6 (also the best any split can do).
    minutes = {("a1", "s1"): 1, ("a1", "s2"): 6, ("a2", "s1"): 6, ("a2", "s2"): 9}
    prob = make_problem(minutes, {"a1": 1, "a2": 1}, {"s1": 1, "s2": 1})
    eff = solve(prob, OptimizeOptions(model="capacitated", cost_weight=0))
    assert eff.objective == pytest.approx(10)
    fair = solve(prob, OptimizeOptions(model="capacitated", cost_weight=0, minimax_weight=100))
    asg = fair.assignments
    mean = (asg["quantity"] * asg["minutes"]).groupby(asg["area"]).sum()
    assert mean.max() == pytest.approx(6)
    assert fair.objective == pytest.approx(12 + 100 * 6)


# ---------------------------------------------------------------------------------- infeasible


def test_infeasible_reasons_name_areas_and_capacity():
    prob = make_problem({("a1", "s1"): 2, ("a2", "s1"): 45}, {"a1": 10, "a2": 5}, {"s1": 4})
    with pytest.raises(InfeasibleError) as err:
        solve(prob, OptimizeOptions(model="capacitated", allow_unmet=False, max_minutes=30))
    text = str(err.value)
    assert "a2" in text and "no site within" in text
    assert "short of demand" in text


def test_infeasible_budget_reason_from_the_elastic_solve():
    prob = make_problem({("a1", "s1"): 2}, {"a1": 10}, {"s1": 4})
    opts = OptimizeOptions(
        model="capacitated", allow_unmet=False, cost_per_unit={"beds": 10}, budget=30
    )
    with pytest.raises(InfeasibleError) as err:
        solve(prob, opts)
    assert "budget 30 binds" in str(err.value)
    assert err.value.exit_code == 4


def test_infeasible_floor_reason():
    prob = make_problem(
        {("a1", "s1"): 2, ("a2", "s1"): 50},
        {"a1": 1, "a2": 1},
        {"s1": 10},
        groups=pd.Series({"a1": "x", "a2": "y"}),
    )
    with pytest.raises(InfeasibleError, match="equity group 'y'"):
        solve(prob, OptimizeOptions(model="capacitated", coverage_floor=0.5, max_minutes=30))


# ------------------------------------------------------------------------------------ checker


def test_checker_catches_tampered_solutions():
    prob = make_problem({("a1", "s1"): 1, ("a1", "s2"): 5}, {"a1": 10}, {"s1": 6, "s2": 10})
    opts = OptimizeOptions(model="capacitated", cost_weight=0)
    alloc = solve(prob, opts)
    check_allocation(prob, opts, alloc)
    over = alloc.assignments.copy()
    over.loc[over["site"] == "s1", "quantity"] += 1  # above s1's capacity and above demand
    with pytest.raises(CheckError, match="load above capacity"):
        check_allocation(prob, opts, dataclasses.replace(alloc, assignments=over))
    off = dataclasses.replace(alloc.outcome, objective=alloc.objective - 1)
    with pytest.raises(CheckError, match="stated objective"):
        check_allocation(prob, opts, dataclasses.replace(alloc, outcome=off))
    far = alloc.assignments.copy()
    far["minutes"] = 99.0
    with pytest.raises(CheckError, match="differ from the OD table"):
        check_allocation(prob, opts, dataclasses.replace(alloc, assignments=far))
    loose = dataclasses.replace(alloc.outcome, gap=0.5)
    with pytest.raises(CheckError, match="gap"):
        check_allocation(prob, opts, dataclasses.replace(alloc, outcome=loose))


def test_explain_gives_duals_and_why_table():
    prob = make_problem({("a1", "s1"): 1, ("a1", "s2"): 5}, {"a1": 10}, {"s1": 6, "s2": 10})
    alloc = solve(prob, OptimizeOptions(model="capacitated", cost_weight=0, explain=True))
    # one more bed at s1 moves one unit from 5 to 1 minute: worth 4 minutes
    assert alloc.marginal_value.loc["s1", "beds"] == pytest.approx(4)
    assert alloc.marginal_value.loc["s2", "beds"] == pytest.approx(0)
    # s1 serves 6 units that would otherwise travel 5 minutes: 24 minutes saved
    assert alloc.why.loc["s1", "minutes_saved"] == pytest.approx(24)
    assert alloc.why.loc["s1", "served"] == pytest.approx(6)


# ------------------------------------------------------------------------------- solver layer


def test_status_comes_from_the_gap_not_the_label():
    assert status_from_gap(0.0005, 0.001) == "optimal"
    assert status_from_gap(0.2, 0.001) == "feasible"
    assert status_from_gap(None, 0.001) == "feasible"
    assert relative_gap(110.0, 100.0) == pytest.approx(10 / 110)


def _market_split(rows: int = 4, cols: int = 40, seed: int = 1):
    """Cornuéjols–Dawande market split: tiny, and notoriously hard for branch and bound."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, size=(rows, cols))
    rhs = a.sum(axis=1) // 2
    b = ModelBuilder()
    x0 = b.add_vars("x", cols, lo=0, hi=1, integer=True)
    s0 = b.add_vars("s", 2 * rows, cost=1.0, lo=0)
    r, c = np.nonzero(a)
    rr = np.concatenate([r, np.arange(rows), np.arange(rows)])
    cc = np.concatenate([x0 + c, s0 + np.arange(rows), s0 + rows + np.arange(rows)])
    vv = np.concatenate([a[r, c], np.ones(rows), -np.ones(rows)])
    b.add_rows("split", rows, rr, cc, vv, lo=rhs, hi=rhs)
    return b.build()


def test_time_limited_run_is_feasible_not_optimal_and_stops_on_time():
    lm = _market_split(rows=6, cols=60)
    started = time.perf_counter()
    raw = solve_linear(lm, time_limit_s=1.0, mip_gap=0.0, hard_limit_s=2.0)
    assert time.perf_counter() - started < 8.0
    assert raw.outcome == "time_limit"
    gap = relative_gap(raw.objective, raw.bound) if raw.objective is not None else None
    if raw.objective is not None:
        assert status_from_gap(gap, 0.0) == "feasible"


def test_pulp_and_array_paths_agree():
    rng = np.random.default_rng(3)
    n, m = 40, 12
    D = rng.uniform(1, 40, size=(n, m))
    minutes = {
        (f"a{i:02d}", f"s{j:02d}"): D[i, j] for i in range(n) for j in range(m) if D[i, j] < 30
    }
    demand = {
        f"a{i:02d}": {"beds": float(rng.integers(1, 9)), "icu": float(rng.integers(0, 3))}
        for i in range(n)
    }
    cap = {f"s{j:02d}": {"beds": 25.0, "icu": 5.0} for j in range(m)}
    prob = make_problem(
        minutes,
        demand,
        cap,
        existing={f"s{j:02d}" for j in range(8)},
        opening_cost=pd.Series(50.0, index=[f"s{j:02d}" for j in range(m)]),
    )
    cases = [
        OptimizeOptions(model="p-median", p=4, mip_gap=0, existing="may_close"),
        OptimizeOptions(model="mclp", p=3, max_minutes=15, existing="may_close"),
        OptimizeOptions(model="p-median", add=2, mip_gap=0),  # the 8 existing sites kept
        OptimizeOptions(
            model="capacitated",
            objective="weighted",
            cost_per_unit={"beds": 3},
            budget=150,
            cost_weight=0.01,
            mip_gap=0,
        ),
        OptimizeOptions(model="capacitated", cost_per_unit={"beds": 3}, budget=150, mip_gap=0),
    ]
    solvers = ["highs"] + (["cbc"] if "cbc" in available_solvers() else [])
    for opts in cases:
        ref = solve(prob, opts)
        for solver in solvers:
            other = solve(prob, opts.model_copy(update={"backend": "pulp", "solver": solver}))
            assert other.objective == pytest.approx(ref.objective, rel=1e-6), (opts.model, solver)
            assert other.status == "optimal"


def test_library_prints_nothing():
    code = (
        "from geoalloc.optimize import AllocationProblem, OptimizeOptions, solve;"
        "import pandas as pd;"
        "p = AllocationProblem(pd.DataFrame({'beds': [1.0]}, index=['a']), pd.Series([1.0], "
        "index=['a']),"
        "pd.DataFrame({'beds': [5.0]}, index=['s']), pd.Series([True], index=['s']),"
        "pd.DataFrame({'area': ['a'], 'site': ['s'], 'minutes': [3.0]}));"
        "solve(p, OptimizeOptions(model='capacitated'));"
        "solve(p, OptimizeOptions(model='p-median', p=1, backend='pulp'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == ""
    assert "HiGHS" not in out.stderr


def test_hard_limit_stops_highs_that_would_overrun():
    # the solver is told 100 s, geoalloc's own wall-clock limit is 2 s
    from geoalloc.optimize.linear import solve_highs_arrays

    started = time.perf_counter()
    raw = solve_highs_arrays(
        _market_split(6, 60), time_limit_s=100.0, mip_gap=0.0, hard_limit_s=2.0
    )
    assert time.perf_counter() - started < 10.0
    assert raw.outcome == "time_limit"


@pytest.mark.skipif("cbc" not in available_solvers(), reason="CBC not available")
def test_hard_limit_kills_cbc_that_would_overrun():
    from geoalloc.optimize.linear import solve_pulp

    started = time.perf_counter()
    raw = solve_pulp(
        _market_split(6, 60), solver="cbc", time_limit_s=100.0, mip_gap=0.0, hard_limit_s=2.0
    )
    assert time.perf_counter() - started < 15.0
    assert raw.outcome == "time_limit"
    assert raw.x is None or np.allclose(raw.x[:60], np.round(raw.x[:60]))


def test_why_table_for_classic_models():
    prob = make_problem(P_MEDIAN, {"a1": 1, "a2": 2})
    alloc = solve(prob, OptimizeOptions(model="p-median", p=2, max_minutes=None, explain=True))
    # s1 serves a1 (1 min; next best s2 at 5) → 4 saved; s2 serves a2 (2 min vs 6) → 2 × 4 = 8
    assert alloc.why.loc["s1", "minutes_saved"] == pytest.approx(4)
    assert alloc.why.loc["s2", "minutes_saved"] == pytest.approx(8)


def test_allow_closing_drops_an_expensive_idle_site():
    # s1 (operating cost 500, 9 min) and s2 (free, 2 min) both exist; s2 alone has room for a1
    minutes = {("a1", "s1"): 9, ("a1", "s2"): 2}
    prob = make_problem(
        minutes, {"a1": 5}, {"s1": 10, "s2": 10}, operating_cost=pd.Series({"s1": 500.0, "s2": 0.0})
    )
    weighted = {"objective": "weighted", "cost_weight": 1.0}
    kept = solve(prob, OptimizeOptions(model="capacitated", **weighted))
    assert kept.sites["open"].all()
    assert kept.objective == pytest.approx(5 * 2 + 500)
    closed = solve(prob, OptimizeOptions(model="capacitated", allow_closing=True, **weighted))
    assert not bool(closed.sites.loc["s1", "open"])
    assert closed.objective == pytest.approx(5 * 2)
    assert closed.sites.loc["s1", "beds_after"] == 0
    # lexicographic: the cost level closes it too (the costs say so), travel is then 5 × 2
    levels = solve(prob, OptimizeOptions(model="capacitated", allow_closing=True))
    assert not bool(levels.sites.loc["s1", "open"])
    assert levels.objective == pytest.approx(5 * 2) and levels.costs["total"] == 0


def test_pulp_highs_time_limit_is_not_called_optimal():
    # PuLP labels a HiGHS run stopped by its time limit "Optimal"; geoalloc reads the bound instead
    from geoalloc.optimize.linear import solve_pulp

    raw = solve_pulp(
        _market_split(6, 60), solver="highs", time_limit_s=1.0, mip_gap=0.0, hard_limit_s=5.0
    )
    assert raw.outcome == "time_limit"
    if raw.objective is not None:
        assert status_from_gap(relative_gap(raw.objective, raw.bound), 0.0) == "feasible"
