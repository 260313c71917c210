"""The classic models from a user's own cost matrix (spopt's ``from_cost_matrix``), by hand.

Three areas × three sites, minutes (rows areas 0, 1, 2 with weights 10, 20, 30; columns sites):

         s0   s1   s2
    a0    2    9   15
    a1    9    3    7
    a2   14    6    4

LSCP within 6 minutes: a0 needs s0, a1 needs s1, a2 has s1 (6) or s2 (4) → {s0, s1}, 2 sites.
MCLP within 6 minutes: p = 1 → s1 covers a1 + a2 = 50; p = 2 → {s0, s1} covers all 60.
p-median: p = 1 → s0 620, s1 90 + 60 + 180 = 330, s2 410; p = 2 → {s0, s1} 20 + 60 + 180 = 260
(vs {s0, s2} 280, {s1, s2} 270); p = 3 → 20 + 60 + 120 = 200.
p-center: p = 1 → s1 (worst 9; s0 14, s2 15); p = 2 → {s0, s1} (worst 6; {s0, s2} 7, {s1, s2} 9).
"""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from geoalloc._errors import InputError, SolverError
from geoalloc.optimize import (
    LSCP,
    MCLP,
    OptimizeOptions,
    PCenter,
    PMedian,
    available_solvers,
    problem_from_inputs,
    solve,
)
from geoalloc.optimize import models as models_module

MINUTES = np.array([[2.0, 9.0, 15.0], [9.0, 3.0, 7.0], [14.0, 6.0, 4.0]])
WEIGHTS = [10.0, 20.0, 30.0]


def open_sites(plan) -> list:
    return plan.sites.index[plan.sites["open"]].tolist()


def site_of(plan) -> dict:
    return plan.assignments.set_index("area")["site"].to_dict()


@pytest.mark.parametrize(
    ("build", "objective", "sites"),
    [
        (lambda: LSCP.from_cost_matrix(MINUTES, max_minutes=6), 2, [0, 1]),
        (lambda: LSCP.from_cost_matrix(MINUTES, max_minutes=5), 3, [0, 1, 2]),
        (lambda: MCLP.from_cost_matrix(MINUTES, WEIGHTS, max_minutes=6, p=1), 50, [1]),
        (lambda: MCLP.from_cost_matrix(MINUTES, WEIGHTS, max_minutes=6, p=2), 60, [0, 1]),
        (lambda: PMedian.from_cost_matrix(MINUTES, WEIGHTS, p=1), 330, [1]),
        (lambda: PMedian.from_cost_matrix(MINUTES, WEIGHTS, p=2), 260, [0, 1]),
        (lambda: PMedian.from_cost_matrix(MINUTES, WEIGHTS, p=3), 200, [0, 1, 2]),
        (lambda: PCenter.from_cost_matrix(MINUTES, p=1), 9, [1]),
        (lambda: PCenter.from_cost_matrix(MINUTES, p=2), 6, [0, 1]),
    ],
    ids=["lscp-6", "lscp-5", "mclp-1", "mclp-2", "pmed-1", "pmed-2", "pmed-3", "pcen-1", "pcen-2"],
)
def test_three_by_three_known_optimum(build, objective, sites):
    model = build()
    plan = model.solve(solver="highs", mip_gap=0)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(objective)
    assert open_sites(plan) == sites
    # every area goes to its nearest open site, whole, and nothing is lost
    nearest = MINUTES[:, sites].argmin(axis=1)
    served = plan.assignments.set_index("area")
    for area, minutes in served["minutes"].items():
        assert minutes == MINUTES[area, sites[nearest[area]]]
    total = model.problem.demand["weight"].sum()
    assert served["quantity"].sum() + plan.unmet["weight"].sum() == pytest.approx(total)


def test_mclp_leaves_the_uncovered_weight_unmet():
    plan = MCLP.from_cost_matrix(MINUTES, WEIGHTS, max_minutes=6, p=1).solve()
    assert plan.unmet["weight"].tolist() == [10.0, 0.0, 0.0]
    assert site_of(plan) == {1: 1, 2: 1}
    assert plan.assignments["quantity"].tolist() == [20.0, 30.0]


def frame(minutes=MINUTES) -> pd.DataFrame:
    """The same matrix with ids, north–C without a route (NaN) and south–A an ``inf``."""
    table = pd.DataFrame(
        minutes, index=["north", "centre", "south"], columns=["A", "B", "C"], dtype=float
    )
    table.loc["north", "C"] = np.nan
    table.loc["south", "A"] = np.inf
    return table


WEIGHTS_BY_ID = pd.Series({"south": 30.0, "north": 10.0, "centre": 20.0})  # any order: by id


@pytest.mark.parametrize(
    ("build", "objective", "sites"),
    [
        (lambda m: LSCP.from_cost_matrix(m, 6), 2, ["A", "B"]),
        (lambda m: MCLP.from_cost_matrix(m, WEIGHTS_BY_ID, 6, 1), 50, ["B"]),
        (lambda m: PMedian.from_cost_matrix(m, WEIGHTS_BY_ID, 2), 260, ["A", "B"]),
        (lambda m: PCenter.from_cost_matrix(m, 2), 6, ["A", "B"]),
    ],
    ids=["lscp", "mclp", "p-median", "p-center"],
)
def test_data_frame_with_ids_and_missing_routes(build, objective, sites):
    model = build(frame())
    pairs = model.problem.od
    assert len(pairs) == 7  # the NaN and the inf are no pairs at all
    assert not ((pairs["area"] == "north") & (pairs["site"] == "C")).any()
    plan = model.solve(mip_gap=0)
    assert plan.objective == pytest.approx(objective)
    assert open_sites(plan) == sites
    assert set(plan.assignments["area"]) <= {"north", "centre", "south"}
    # the same answer with the rows and columns in another order
    shuffled = frame().loc[["south", "north", "centre"], ["C", "A", "B"]]
    again = build(shuffled).solve(mip_gap=0)
    assert again.objective == pytest.approx(objective)
    assert open_sites(again) == sites
    pd.testing.assert_frame_equal(again.sites, plan.sites)


def test_an_area_without_any_route():
    minutes = np.vstack([MINUTES, np.full(3, np.nan)])
    weights = [*WEIGHTS, 5.0]
    lscp = LSCP.from_cost_matrix(minutes, 6).solve()
    assert lscp.objective == 2 and any("left out" in n and "3" in n for n in lscp.notes)
    # p-median: the island costs the unmet penalty (1000 minutes by default) per unit of weight
    pmed = PMedian.from_cost_matrix(minutes, weights, p=1).solve(mip_gap=0)
    assert pmed.objective == pytest.approx(330 + 5 * 1000)
    assert pmed.unmet.loc[3, "weight"] == 5.0
    pcen = PCenter.from_cost_matrix(minutes, p=1).solve(mip_gap=0)
    assert pcen.objective == pytest.approx(9)


def test_p_median_penalty_default_grows_with_long_trips():
    # trips of hours: the default penalty (10 × the longest) still serves every area
    hours = MINUTES * 100
    plan = PMedian.from_cost_matrix(hours, WEIGHTS, p=1).solve(mip_gap=0)
    assert plan.objective == pytest.approx(33_000)
    assert plan.unmet["weight"].sum() == 0
    assert plan.assignments["quantity"].sum() == pytest.approx(60)


def pipeline_twin(model, options: OptimizeOptions):
    """The same data through the pipeline's path: long OD table, problem_from_inputs, solve."""
    problem = model.problem
    areas, sites = problem.demand.index, problem.capacity.index
    od = pd.DataFrame(
        [
            (a, s, MINUTES[i, j])
            for i, a in enumerate(areas)
            for j, s in enumerate(sites)
            if np.isfinite(MINUTES[i, j])
        ],
        columns=["area", "site", "minutes"],
    )
    weights = pd.Series(WEIGHTS, index=areas)
    facilities = pd.DataFrame({"weight": np.inf, "existing": False}, index=sites)
    problem = problem_from_inputs(
        pd.DataFrame({"weight": weights}), weights, facilities, od, resources=["weight"]
    )
    return solve(problem, options)


@pytest.mark.parametrize(
    ("model", "options"),
    [
        (
            LSCP.from_cost_matrix(MINUTES, 6, weights=WEIGHTS),
            {"model": "lscp", "max_minutes": 6},
        ),
        (
            MCLP.from_cost_matrix(MINUTES, WEIGHTS, 6, 2),
            {"model": "mclp", "max_minutes": 6, "p": 2},
        ),
        (
            PMedian.from_cost_matrix(MINUTES, WEIGHTS, 2),
            {"model": "p-median", "max_minutes": None, "p": 2},
        ),
        (
            PCenter.from_cost_matrix(MINUTES, 2, weights=WEIGHTS),
            {"model": "p-center", "max_minutes": None, "p": 2},
        ),
    ],
    ids=["lscp", "mclp", "p-median", "p-center"],
)
def test_same_allocation_as_the_pipeline_path(model, options):
    ours = model.solve(mip_gap=0)
    twin = pipeline_twin(model, OptimizeOptions(mip_gap=0, **options))
    assert ours.model == twin.model
    for name in ("status", "objective", "bound", "gap", "solver"):
        assert getattr(ours.outcome, name) == getattr(twin.outcome, name)
    pd.testing.assert_frame_equal(ours.sites, twin.sites)
    pd.testing.assert_frame_equal(ours.assignments, twin.assignments)
    pd.testing.assert_frame_equal(ours.unmet, twin.unmet)
    assert ours.notes == twin.notes and ours.costs == twin.costs


@pytest.mark.parametrize(
    ("solver", "backend"), [("highs", "arrays"), ("highs", "pulp"), ("cbc", "pulp")]
)
def test_the_solver_is_chosen_by_the_caller(solver, backend):
    if solver not in available_solvers():
        pytest.skip(f"{solver} is not installed here")
    model = PMedian.from_cost_matrix(MINUTES, WEIGHTS, p=2)
    plan = model.solve(solver, backend=backend, mip_gap=0, time_limit_s=30)
    assert (plan.solver, plan.objective, open_sites(plan)) == (solver, 260.0, [0, 1])


def test_bad_input_lists_every_problem_at_once():
    with pytest.raises(InputError) as caught:
        PMedian.from_cost_matrix(np.array([[1.0, -2.0], [3.0, 4.0]]), [1.0, 2.0, 3.0], p=5)
    err = caught.value
    assert err.exit_code == 3
    assert "PMedian.from_cost_matrix" in err.header
    text = "\n".join(err.problems)
    assert len(err.problems) == 3, text
    assert "cost_matrix: 1 negative minute value(s) (ids: 0)" in text
    assert "weights: shape (3,) does not match the cost matrix's 2 area row(s)" in text
    assert "p: p = 5 but the cost matrix has 2 site column(s) — open at most 2 sites" in text


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: LSCP.from_cost_matrix(np.arange(3.0), 5), "give a 2-D array"),
        (lambda: LSCP.from_cost_matrix(np.empty((0, 3)), 5), "is empty"),
        (lambda: LSCP.from_cost_matrix(MINUTES, 0), "max_minutes: got 0"),
        (lambda: MCLP.from_cost_matrix(MINUTES, WEIGHTS, float("nan"), 1), "max_minutes"),
        (lambda: PCenter.from_cost_matrix(MINUTES, 0), "at least 1"),
        (lambda: PCenter.from_cost_matrix(MINUTES, True), "whole number"),
        (lambda: PCenter.from_cost_matrix(MINUTES, 1.5), "whole number"),
        (lambda: PMedian.from_cost_matrix(MINUTES, [1, -1, np.nan], 1), "(ids: 1, 2)"),
        (lambda: PMedian.from_cost_matrix(MINUTES, ["a", "b", "c"], 1), "not numbers"),
        (
            lambda: PMedian.from_cost_matrix(frame(), WEIGHTS_BY_ID.drop("south"), 1),
            "weights: no weight for some areas of the cost matrix (ids: south)",
        ),
        (
            lambda: PMedian.from_cost_matrix(frame().astype(object).replace(9.0, "x"), WEIGHTS, 1),
            "2 value(s) are not numbers (ids: north, centre)",
        ),
        (
            lambda: PCenter.from_cost_matrix(frame().rename(columns={"C": "A"}), 1),
            "duplicate site ids (the columns) (ids: A)",
        ),
        (
            lambda: PMedian.from_cost_matrix(MINUTES, WEIGHTS, 1, unmet_penalty_minutes=-5),
            "unmet_penalty_minutes: got -5",
        ),
    ],
)
def test_bad_input_says_what_and_where(call, expected):
    with pytest.raises(InputError) as caught:
        call()
    assert expected in str(caught.value)


def test_bad_solver_settings():
    model = PCenter.from_cost_matrix(MINUTES, 1)
    with pytest.raises(InputError, match="mip_gap"):
        model.solve(mip_gap=-1)
    with pytest.raises(InputError, match="solver"):
        model.solve("gurobi")
    if "cbc" not in available_solvers():
        with pytest.raises(SolverError, match="cbc"):
            model.solve("cbc")


def test_docstring_examples_run():
    result = doctest.testmod(models_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5 and result.failed == 0
