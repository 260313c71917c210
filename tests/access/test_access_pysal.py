"""Oracle: the indices equal pysal/access's on the same cost matrix, to 1e-9 relative.

878 Chicago census tracts (demand: persons aged ≥ 50) × 66 hospitals (supply: adult ICU beds),
Kang et al. 2020's data; crow-fly minutes at 30 km/h × 1.3 up to 45 minutes. pysal/access leaves
an area with nothing in reach out (NaN); geoalloc gives it 0 and flags it.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

gpd = pytest.importorskip("geopandas")
access = pytest.importorskip("access")
from access import weights  # noqa: E402

from geoalloc.access import (  # noqa: E402
    KANG_STEPS,
    Decay,
    balanced_fca,
    gravity,
    supply_potential,
    two_step_fca,
)
from geoalloc.runs.travel import od_table  # noqa: E402
from geoalloc.travel import crowfly_matrix  # noqa: E402


@pytest.fixture(scope="module")
def chicago(shared_data):
    folder = shared_data / "chicago_kang2020"
    hospitals = gpd.read_file(folder / "chicago_hospitals.gpkg")
    tracts = gpd.read_file(folder / "chicago_tracts_pop.gpkg")
    hospitals = hospitals.set_geometry(hospitals.geometry.representative_point())
    hospitals.index = pd.Index([f"h{i:02d}" for i in range(len(hospitals))], name="site")
    tracts = tracts.set_geometry(tracts.to_crs(32616).geometry.representative_point().to_crs(4326))
    tracts.index = pd.Index(tracts["GEOID"].astype(str), name="area")
    matrix = crowfly_matrix(tracts, hospitals, speed_kph=30.0, circuity=1.3, max_minutes=45.0)
    od = od_table(matrix)
    demand = tracts["OverFifty"].astype(float)
    supply = hospitals["Adult ICU"].astype(float)
    return od, demand, supply


def _pysal(od, demand, supply):
    logging.getLogger("access").disabled = True  # pysal/access logs to its own stderr handler
    return access.Access(
        demand_df=demand.rename("demand").to_frame(),
        demand_value="demand",
        supply_df=supply.rename("supply").to_frame(),
        supply_value="supply",
        cost_df=od,
        cost_origin="area",
        cost_dest="site",
        cost_name="minutes",
    )


def _equal(ours: pd.Series, theirs: pd.DataFrame) -> None:
    theirs = theirs.iloc[:, 0].reindex(ours.index)
    reached = theirs.notna()
    assert reached.sum() > 700  # most tracts reach an ICU bed: the comparison is not vacuous
    np.testing.assert_allclose(ours[reached], theirs[reached], rtol=1e-9, atol=0)
    assert (ours[~reached] == 0).all()


def _with_pysal(call):
    with warnings.catch_warnings():  # pysal/access's pandas idioms warn on recent pandas
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return call()


def test_2sfca_equals_pysal(chicago):
    od, demand, supply = chicago
    model = _pysal(od, demand, supply)
    theirs = _with_pysal(lambda: model.two_stage_fca(name="fca", max_cost=30))
    _equal(two_step_fca(od, demand, supply, max_minutes=30).ratio, theirs)


def test_e2sfca_steps_equal_pysal(chicago):
    od, demand, supply = chicago
    model = _pysal(od, demand, supply)
    # pysal's default weights are Luo & Qi's 10/20/30-minute steps 1.00/0.68/0.22
    theirs = _with_pysal(lambda: model.enhanced_two_stage_fca(name="e", max_cost=30))
    ours = two_step_fca(od, demand, supply, max_minutes=30, decay=Decay.step(KANG_STEPS))
    _equal(ours.ratio, theirs)


@pytest.mark.parametrize(
    ("decay", "weight_fn"),
    [
        (Decay.gaussian(12.0), weights.gaussian(12.0)),
        (Decay.exponential(0.1), lambda t: np.exp(-0.1 * t)),
        (Decay.inverse_power(1.5, min_minutes=2.0), weights.gravity(1.0, -1.5, min_dist=2.0)),
    ],
    ids=["gaussian", "exponential", "inverse_power"],
)
def test_e2sfca_continuous_decay_equals_pysal(chicago, decay, weight_fn):
    od, demand, supply = chicago
    model = _pysal(od, demand, supply)
    theirs = _with_pysal(
        lambda: model.enhanced_two_stage_fca(name="e", max_cost=30, weight_fn=weight_fn)
    )
    _equal(two_step_fca(od, demand, supply, max_minutes=30, decay=decay).ratio, theirs)


def test_gravity_equals_pysal(chicago):
    od, demand, supply = chicago
    model = _pysal(od, demand, supply)
    fn = weights.gravity(scale=1.0, alpha=-1.0, min_dist=1.0)
    theirs = _with_pysal(lambda: model.two_stage_fca(name="g", weight_fn=fn))
    _equal(gravity(od, demand, supply, decay=Decay.inverse_power(1.0)).ratio, theirs)


def test_potential_equals_pysal_weighted_catchment(chicago):
    od, demand, supply = chicago
    model = _pysal(od, demand, supply)
    fn = weights.gaussian(10.0)
    theirs = _with_pysal(lambda: model.weighted_catchment(name="w", weight_fn=fn, max_cost=30))
    ours = supply_potential(od, demand, supply, max_minutes=30, decay=Decay.gaussian(10.0))
    _equal(ours.ratio, theirs)


def test_chicago_shares_every_bed_and_bfca_counts_no_one_twice(chicago):
    od, demand, supply = chicago
    index = two_step_fca(od, demand, supply, max_minutes=30, decay=Decay.step(KANG_STEPS))
    within = od[od["minutes"] <= 30]
    # 2SFCA: Σ demand × index = the ICU beds of the hospitals with someone in reach
    served_sites = within.loc[within["area"].map(demand) > 0, "site"].unique()
    assert (index.ratio * demand).sum() == pytest.approx(supply[served_sites].sum(), rel=1e-9)
    bfca = balanced_fca(od, demand, supply, max_minutes=30)
    assert bfca.ratio.sum() == pytest.approx(bfca.site_ratio.sum(), rel=1e-9)
    # its balanced demand is the population in reach of a site, each person once
    shares = within.groupby("area")["site"].transform("size")
    balanced = (within["area"].map(demand) / shares).groupby(within["site"]).sum()
    assert balanced.sum() == pytest.approx(demand[within["area"].unique()].sum(), rel=1e-9)
    expected = (supply / balanced.reindex(supply.index)).fillna(0.0)
    np.testing.assert_allclose(bfca.site_ratio, expected, rtol=1e-9)


def test_a_pair_exactly_at_the_cut_off_counts_in_both():
    """pysal/access's ``max_cost`` keeps ``cost <= max_cost`` too: the same value at the cut-off."""
    od = pd.DataFrame(
        {"area": ["a", "b", "b"], "site": ["s", "s", "t"], "minutes": [30.0, 10.0, 30.0000001]}
    )
    demand = pd.Series({"a": 1000.0, "b": 3000.0}).rename_axis("area")
    supply = pd.Series({"s": 8.0, "t": 5.0}).rename_axis("site")  # pysal joins on index names
    model = _pysal(od, demand, supply)
    theirs = _with_pysal(lambda: model.two_stage_fca(name="fca", max_cost=30))
    ours = two_step_fca(od, demand, supply, max_minutes=30)
    assert ours.ratio.tolist() == pytest.approx([8 / 4000, 8 / 4000], rel=1e-12)
    np.testing.assert_allclose(ours.ratio, theirs.iloc[:, 0].reindex(ours.ratio.index), rtol=1e-12)
