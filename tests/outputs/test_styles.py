"""The map's classes equal mapclassify's (the independent oracle), without importing it at run
time: quantile bins to the last bit and the class of every value, on real Chicago tract figures."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import mapclassify
import numpy as np
import pytest

from geoalloc.outputs.styles import class_of, quantile_bins


@pytest.fixture(scope="module")
def tract_values(shared_data: Path) -> dict[str, np.ndarray]:
    tracts = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_tracts_pop.gpkg")
    population = tracts["TotalPop"].to_numpy(dtype=float)
    return {
        "population": population,
        "over_fifty_share": tracts["OverFifty"].to_numpy(dtype=float) / np.maximum(population, 1),
        "population_hundreds": np.round(population / 100),  # many ties: quantiles coincide
        "few_values": np.round(population / 3000),  # fewer distinct values than classes
    }


@pytest.mark.parametrize("k", [2, 3, 5, 7])
def test_quantile_classes_equal_mapclassify(tract_values: dict[str, np.ndarray], k: int) -> None:
    for name, y in tract_values.items():
        with warnings.catch_warnings():  # mapclassify warns when quantiles coincide
            warnings.simplefilter("ignore", UserWarning)
            oracle = mapclassify.Quantiles(y, k=k)
        bins = quantile_bins(y, k)
        assert bins.tolist() == oracle.bins.tolist(), name  # exactly, not approximately
        assert class_of(y, bins).tolist() == oracle.yb.tolist(), name


def test_user_defined_classes_equal_mapclassify(tract_values: dict[str, np.ndarray]) -> None:
    minutes = tract_values["population"] / 250  # 0–~70, on real spreads
    for edges in ([10.0, 20.0, 30.0, 60.0], [5.0, 10.0, 15.0, 20.0, 80.0], [12.5, 25.0]):
        oracle = mapclassify.UserDefined(minutes, bins=edges)
        upper = [*edges, float(minutes.max())] if edges[-1] < minutes.max() else edges
        assert np.asarray(upper).tolist() == oracle.bins.tolist()
        assert class_of(minutes, upper).tolist() == oracle.yb.tolist()
