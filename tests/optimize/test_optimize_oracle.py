"""Oracle: geoalloc's optimal objectives equal spopt's on the same cost matrix (Chicago, Kang 2020).

878 census tracts (weights: persons aged ≥ 50) × 66 hospitals (MultiPoint → representative point),
crow-fly minutes from :func:`geoalloc.travel.crowfly_matrix`. spopt builds the classic dense
formulations in PuLP and solves them with HiGHS. spopt's models choose every site freely: ours are
run with ``existing = "may_close"`` (the hospitals are existing sites, which geoalloc otherwise
keeps open), the same textbook model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

gpd = pytest.importorskip("geopandas")
locate = pytest.importorskip("spopt.locate")
pulp = pytest.importorskip("pulp")

from geoalloc.optimize import (  # noqa: E402
    LSCP,
    MCLP,
    AllocationProblem,
    OptimizeOptions,
    PCenter,
    PMedian,
    solve,
)
from geoalloc.optimize.linear import new_highs  # noqa: E402
from geoalloc.travel import crowfly_matrix  # noqa: E402

# spopt 0.7 builds its models with PuLP 3.3's deprecated constructors (third-party noise)
pytestmark = [
    pytest.mark.filterwarnings("ignore:Constructing LpVariable:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*is deprecated.*PuLP 4:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def chicago(shared_data):
    folder = shared_data / "chicago_kang2020"
    hospitals = gpd.read_file(folder / "chicago_hospitals.gpkg")
    tracts = gpd.read_file(folder / "chicago_tracts_pop.gpkg")
    hospitals = hospitals.set_geometry(hospitals.geometry.representative_point())
    hospitals.index = pd.Index([f"h{i:02d}" for i in range(len(hospitals))], name="site")
    tracts = tracts.set_geometry(tracts.to_crs(32616).geometry.representative_point().to_crs(4326))
    tracts.index = pd.Index(tracts["GEOID"].astype(str), name="area")
    minutes = np.asarray(crowfly_matrix(tracts, hospitals).minutes)
    weights = tracts["OverFifty"].to_numpy(dtype=float)
    ii, jj = np.indices(minutes.shape)
    od = pd.DataFrame(
        {
            "area": tracts.index[ii.ravel()],
            "site": hospitals.index[jj.ravel()],
            "minutes": minutes.ravel(),
        }
    )
    problem = AllocationProblem(
        demand=pd.DataFrame({"beds": weights}, index=tracts.index),
        population=pd.Series(weights, index=tracts.index),
        capacity=pd.DataFrame(
            {"beds": hospitals["Total_Bed"].to_numpy(dtype=float)}, index=hospitals.index
        ),
        existing=pd.Series(True, index=hospitals.index),
        od=od,
    )
    return problem, minutes, weights


def _spopt_objective(model) -> float:
    new_highs()  # keep HiGHS's banner off stdout
    solved = model.solve(pulp.HiGHS(msg=False, timeLimit=300))
    return float(pulp.value(solved.problem.objective))


@pytest.mark.slow
def test_lscp_and_mclp_match_spopt(chicago):
    problem, minutes, weights = chicago
    radius = float(np.ceil(minutes.min(axis=1).max())) + 1.0  # every tract can be covered
    lscp = solve(
        problem, OptimizeOptions(model="lscp", max_minutes=radius, mip_gap=0, existing="may_close")
    )
    assert lscp.status == "optimal"
    assert lscp.objective == pytest.approx(
        _spopt_objective(locate.LSCP.from_cost_matrix(minutes, radius))
    )
    for p in (3, 8):
        mclp = solve(
            problem,
            OptimizeOptions(model="mclp", p=p, max_minutes=12.0, mip_gap=0, existing="may_close"),
        )
        ref = _spopt_objective(locate.MCLP.from_cost_matrix(minutes, weights, 12.0, p_facilities=p))
        assert mclp.status == "optimal"
        assert mclp.objective == pytest.approx(ref, rel=1e-9)


@pytest.mark.slow
def test_p_median_matches_spopt(chicago):
    problem, minutes, weights = chicago
    ours = solve(
        problem,
        OptimizeOptions(model="p-median", p=10, max_minutes=None, mip_gap=0, existing="may_close"),
    )
    ref = _spopt_objective(locate.PMedian.from_cost_matrix(minutes, weights, p_facilities=10))
    assert ours.status == "optimal"
    assert ours.objective == pytest.approx(ref, rel=1e-7)


@pytest.mark.slow
def test_p_center_matches_spopt(chicago):
    problem, minutes, _ = chicago
    # spopt's dense p-center takes minutes on all 878 tracts: every fourth tract keeps it short
    keep = problem.demand.index[::4]
    sub = AllocationProblem(
        demand=problem.demand.loc[keep],
        population=problem.population.loc[keep],
        capacity=problem.capacity,
        existing=problem.existing,
        od=problem.od[problem.od["area"].isin(keep)],
    )
    ours = solve(
        sub,
        OptimizeOptions(model="p-center", p=6, max_minutes=None, mip_gap=0, existing="may_close"),
    )
    ref = _spopt_objective(locate.PCenter.from_cost_matrix(minutes[::4], p_facilities=6))
    assert ours.status == "optimal"
    assert ours.objective == pytest.approx(ref, rel=1e-7)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["lscp", "mclp", "p-median", "p-center"])
def test_from_cost_matrix_matches_spopt_from_cost_matrix(chicago, model):
    """The same cost matrix, weights and p handed to both libraries' ``from_cost_matrix``."""
    _, minutes, weights = chicago
    if model == "lscp":
        radius = float(np.ceil(minutes.min(axis=1).max())) + 1.0
        ours = LSCP.from_cost_matrix(minutes, radius)
        ref = locate.LSCP.from_cost_matrix(minutes, radius)
    elif model == "mclp":
        ours = MCLP.from_cost_matrix(minutes, weights, 12.0, 5)
        ref = locate.MCLP.from_cost_matrix(minutes, weights, 12.0, p_facilities=5)
    elif model == "p-median":
        # a subset of the tracts keeps spopt's dense models short (the full runs are above)
        ours = PMedian.from_cost_matrix(minutes[::4], weights[::4], 5)
        ref = locate.PMedian.from_cost_matrix(minutes[::4], weights[::4], p_facilities=5)
    else:
        ours = PCenter.from_cost_matrix(minutes[::8], 6)
        ref = locate.PCenter.from_cost_matrix(minutes[::8], p_facilities=6)
    plan = ours.solve(solver="highs", mip_gap=0)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(_spopt_objective(ref), rel=1e-7)


@pytest.mark.slow
def test_chicago_capacitated_keeps_p_hospitals(chicago, shared_data):
    """The README's example: keep 40 of the 66 hospitals, beds within 30 crow-fly minutes."""
    problem, minutes, weights = chicago
    tracts = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_tracts_pop.gpkg")
    beds = pd.Series(tracts["TotalPop"].to_numpy(dtype=float) * 0.004, index=problem.demand.index)
    od = problem.od[problem.od["minutes"] <= 40]
    plan = AllocationProblem(
        demand=pd.DataFrame({"beds": beds}),
        population=problem.population,
        capacity=problem.capacity,
        existing=problem.existing,
        od=od,
    )
    opts = OptimizeOptions(model="capacitated", p=40, max_minutes=30, mip_gap=0.001, explain=True)
    alloc = solve(plan, opts)
    assert alloc.status == "optimal"
    assert int(alloc.sites["open"].sum()) == 40
    assert (alloc.assignments["minutes"] <= 30).all()
    served = alloc.assignments["quantity"].sum() + alloc.unmet["beds"].sum()
    assert served == pytest.approx(beds.sum())
    assert alloc.marginal_value is not None and alloc.why is not None
