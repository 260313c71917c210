"""The state-scale paths (nearest-site lists, Lagrangian bounds) bracket the exact optimum.

Chicago (Kang 2020): 878 census tracts × 66 hospitals (beds, adult ICU beds, ventilators),
crow-fly minutes within 20 minutes. The scale paths are switched on by lowering their size
thresholds, and their lists are cut to a few sites so that the catch-all is used: each must
return a plan that the independent checker accepts, whose objective is no better than the exact
path's proven bound, and a bound no higher than the exact path's objective.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

gpd = pytest.importorskip("geopandas")

from geoalloc.optimize import (  # noqa: E402
    AllocationProblem,
    OptimizeOptions,
    capacitated_scale,  # noqa: E402
    classic,
    solve,
)
from geoalloc.optimize._prepare import prepare  # noqa: E402
from geoalloc.optimize._result import nearest_open  # noqa: E402
from geoalloc.optimize.nearest import nearest_lists, nearest_open_exact  # noqa: E402
from geoalloc.travel import crowfly_matrix  # noqa: E402

RESOURCES = {"beds": "Total_Bed", "icu_beds": "Adult ICU", "ventilators": "Total Vent"}


@pytest.fixture(scope="module")
def chicago(shared_data) -> AllocationProblem:
    folder = shared_data / "chicago_kang2020"
    hospitals = gpd.read_file(folder / "chicago_hospitals.gpkg")
    tracts = gpd.read_file(folder / "chicago_tracts_pop.gpkg")
    hospitals = hospitals.set_geometry(hospitals.geometry.representative_point())
    hospitals.index = pd.Index([f"h{i:02d}" for i in range(len(hospitals))], name="site")
    tracts = tracts.set_geometry(tracts.to_crs(32616).geometry.representative_point().to_crs(4326))
    tracts.index = pd.Index(tracts["GEOID"].astype(str), name="area")
    minutes = np.asarray(crowfly_matrix(tracts, hospitals).minutes)
    ii, jj = np.nonzero(minutes <= 20.0)
    od = pd.DataFrame(
        {"area": tracts.index[ii], "site": hospitals.index[jj], "minutes": minutes[ii, jj]}
    )
    persons = tracts["TotalPop"].to_numpy(dtype=float)
    # demand per 1,000 residents (stated, for the test): beds 2.5, ICU 0.3, ventilators 0.15
    demand = pd.DataFrame(
        {"beds": persons * 2.5e-3, "icu_beds": persons * 3e-4, "ventilators": persons * 1.5e-4},
        index=tracts.index,
    )
    capacity = pd.DataFrame(
        {r: hospitals[c].to_numpy(dtype=float) for r, c in RESOURCES.items()},
        index=hospitals.index,
    )
    return AllocationProblem(
        demand=demand,
        population=pd.Series(persons, index=tracts.index),
        capacity=capacity,
        existing=pd.Series(True, index=hospitals.index),
        od=od,
    )


def test_nearest_open_from_lists_equals_the_full_pairs(chicago):
    ix = prepare(chicago, max_minutes=20.0)
    lists = nearest_lists(ix, 4, 15.0, block_pairs=5_000)  # small blocks: several of them
    rng = np.random.default_rng(3)
    for k in (2, 10, 40):
        opened = np.zeros(ix.m, dtype=bool)
        opened[rng.choice(ix.m, k, replace=False)] = True
        site, mins = nearest_open_exact(ix, lists, opened)
        want_site, want_min = nearest_open(ix, opened)
        want_site = np.where(want_min < 15.0, want_site, -1)
        want_min = np.where(want_min < 15.0, want_min, np.inf)
        np.testing.assert_array_equal(site, want_site)
        np.testing.assert_array_equal(mins, want_min)


def test_nearest_lists_from_a_dense_table_equal_the_sorted_pairs(chicago, monkeypatch):
    from geoalloc.optimize import nearest

    ix = prepare(chicago, max_minutes=20.0)
    for width, penalty in ((4, 15.0), (12, 20.0)):
        monkeypatch.setattr(nearest, "DENSE_SHARE", 0.0)
        dense = nearest_lists(ix, width, penalty, block_pairs=5_000)
        monkeypatch.setattr(nearest, "DENSE_SHARE", np.inf)
        ordered = nearest_lists(ix, width, penalty, block_pairs=5_000)
        for field in ("site", "minutes", "degree", "beyond"):
            np.testing.assert_array_equal(getattr(dense, field), getattr(ordered, field))


@pytest.mark.slow
def test_p_median_at_scale_brackets_the_exact_optimum(chicago, monkeypatch):
    options = OptimizeOptions(
        model="p-median", p=12, existing="may_close", max_minutes=20, mip_gap=1e-4
    )
    exact = solve(chicago, options)
    monkeypatch.setattr(classic, "SCALE_CELLS", 0)
    monkeypatch.setattr(classic, "SCALE_LIST_WIDTH", 6)
    scaled = solve(chicago, options.model_copy(update={"mip_gap": 0.01}))
    assert any("at scale" in note for note in scaled.notes)
    tol = 1e-6 * exact.objective
    assert scaled.bound <= exact.objective + tol
    assert scaled.objective >= exact.bound - tol
    assert scaled.gap == pytest.approx((scaled.objective - scaled.bound) / scaled.objective)
    assert scaled.gap <= 0.01 + 1e-9
    assert int(scaled.sites["open"].sum()) == 12


@pytest.mark.slow
def test_capacitated_at_scale_brackets_the_exact_optimum(chicago, monkeypatch):
    options = OptimizeOptions(
        model="capacitated", p=30, max_minutes=20, objective="weighted", mip_gap=1e-3
    )
    exact = solve(chicago, options)
    assert not any("at scale" in note for note in exact.notes)
    monkeypatch.setattr(capacitated_scale, "SCALE_COLUMNS", 0)
    monkeypatch.setattr(capacitated_scale, "LIST_WIDTH", 8)
    # a short relaxation: the bound must hold whenever it stops
    scaled = solve(chicago, options.model_copy(update={"mip_gap": 0.01, "time_limit_s": 4.0}))
    assert any("at scale" in note for note in scaled.notes)
    tol = 1e-6 * exact.objective
    assert scaled.bound <= exact.objective + tol
    assert scaled.objective >= exact.bound - tol
    assert scaled.gap == pytest.approx((scaled.objective - scaled.bound) / scaled.objective)
    assert int(scaled.sites["open"].sum()) == 30
    # every unit is served or unmet, and no open site serves beyond its capacity
    served = scaled.assignments.groupby("resource")["quantity"].sum()
    for r in RESOURCES:
        assert served[r] + scaled.unmet[r].sum() == pytest.approx(chicago.demand[r].sum())
        load = scaled.sites[f"{r}_load"]
        assert (load <= scaled.sites[f"{r}_after"] + 1e-6).all()
