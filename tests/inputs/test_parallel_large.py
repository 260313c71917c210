"""Large inputs: points summed into areas in memory and by partitions (dask-geopandas) agree with an
independent GeoPandas join; border and outside points are handled as documented."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geoalloc._errors import InputError
from geoalloc.inputs.population_points import sum_points_into_areas

pytest.importorskip("dask_geopandas")


def random_points(areas: gpd.GeoDataFrame, n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = areas.total_bounds
    return gpd.GeoDataFrame(
        {"pop": rng.integers(0, 50, n)},
        geometry=gpd.points_from_xy(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)),
        crs=areas.crs,
    )


def oracle(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> pd.Series:
    """Per-area sums by a plain point-in-polygon join (no point lies on a border here)."""
    right = gpd.GeoDataFrame(
        {"area": areas.index}, geometry=areas.geometry.to_numpy(), crs=areas.crs
    )
    joined = gpd.sjoin(points, right, predicate="within")
    assert joined.index.is_unique
    return joined.groupby("area")["pop"].sum().reindex(areas.index, fill_value=0)


@pytest.fixture(scope="module")
def chicago_points(shared_data, tmp_path_factory):
    areas = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_tracts_pop.gpkg")
    areas = areas.set_index("GEOID")
    points = random_points(areas, 30_000, seed=5)
    folder = tmp_path_factory.mktemp("points")
    points.to_parquet(folder / "points.parquet", row_group_size=7_000)
    points.to_file(folder / "points.gpkg")
    return areas, points, folder


@pytest.mark.parametrize(
    ("method", "filename"),
    [
        ("geopandas", "points.parquet"),
        ("dask-geopandas", "points.parquet"),
        ("dask-geopandas", "points.gpkg"),
    ],
)
def test_sums_equal_an_independent_join(chicago_points, method, filename):
    areas, points, folder = chicago_points
    result = sum_points_into_areas(
        folder / filename, areas, value="pop", method=method, partition_rows=8_000
    )
    expected = oracle(points, areas)
    np.testing.assert_array_equal(result.totals.to_numpy(), expected.to_numpy(dtype=float))
    assert list(result.totals.index) == list(areas.index)
    assert result.points == len(points)
    inside = int(gpd.sjoin(points, areas[["geometry"]], predicate="within").shape[0])
    assert result.unmatched_points == len(points) - inside > 0
    assert result.unmatched_value + result.totals.sum() == points["pop"].sum()
    assert result.method == method
    assert result.partitions == (1 if method == "geopandas" else 5 if "parquet" in filename else 4)


def test_processes_executor_gives_the_same_sums(chicago_points):
    areas, _points, folder = chicago_points
    serial = sum_points_into_areas(folder / "points.parquet", areas, method="dask-geopandas")
    processes = sum_points_into_areas(
        folder / "points.parquet", areas, method="dask-geopandas", executor="processes", workers=2
    )
    pd.testing.assert_series_equal(serial.totals, processes.totals)


@pytest.mark.parametrize("method", ["geopandas", "dask-geopandas"])
def test_border_outside_and_cells_by_hand(tmp_path, method):
    areas = gpd.GeoDataFrame(
        {"name": ["A", "B"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs=3857,
        index=["a", "b"],
    )
    features = gpd.GeoDataFrame(
        {"pop": [10.0, 20.0, 40.0, 80.0]},
        geometry=[
            Point(0.5, 0.5),  # in a
            Point(1.0, 0.5),  # on the a|b border: counts once, in a (the first area)
            Point(5.0, 5.0),  # in no area
            box(1.2, 0.2, 1.8, 0.8),  # a grid cell: counts at its representative point, in b
        ],
        crs=3857,
    )
    path = tmp_path / "features.parquet"
    features.to_parquet(path, row_group_size=2)
    result = sum_points_into_areas(path, areas, value="pop", method=method)
    assert result.totals.to_dict() == {"a": 30.0, "b": 80.0}
    assert (result.unmatched_points, result.unmatched_value) == (1, 40.0)
    counted = sum_points_into_areas(path, areas, method=method)  # no value: points are counted
    assert counted.totals.to_dict() == {"a": 2.0, "b": 1.0}


def test_clear_input_errors(tmp_path):
    areas = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=3857, index=["a"])
    with pytest.raises(InputError, match="points file not found"):
        sum_points_into_areas(tmp_path / "missing.parquet", areas)
    path = tmp_path / "p.parquet"
    gpd.GeoDataFrame({"n": [1]}, geometry=[Point(0.5, 0.5)], crs=3857).to_parquet(path)
    for method in ("geopandas", "dask-geopandas"):
        with pytest.raises(InputError, match="no column 'pop' to sum"):
            sum_points_into_areas(path, areas, value="pop", method=method)
    no_crs = tmp_path / "nocrs.parquet"
    gpd.GeoDataFrame({"n": [1]}, geometry=[Point(0.5, 0.5)]).to_parquet(no_crs)
    with pytest.raises(InputError, match="the points have no CRS"):
        sum_points_into_areas(no_crs, areas, method="geopandas")
