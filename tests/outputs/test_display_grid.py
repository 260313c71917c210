"""The display grid of a large planning map: every area in one round square cell, the cells' values
(sums, population-weighted means, the worst status), and a gridded map whose legend covers what it
draws and whose title box says the areas are aggregated. The browser check is in test_browser.py."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from test_maps import tiny_run

from geoalloc.outputs.display_grid import cell_values, display_grid, round_size
from geoalloc.outputs.leaflet import map_html
from geoalloc.outputs.planning_map import map_of_run
from tests.helpers import legend_gaps


@pytest.mark.parametrize(
    ("at_least", "size"),
    [(0.2, 1.0), (1.0, 1.0), (1.2, 2.0), (2.1, 2.5), (3.0, 5.0), (730.0, 1000.0), (1001.0, 2000.0)],
)
def test_cells_have_round_sizes(at_least: float, size: float) -> None:
    assert round_size(at_least) == size


def test_every_chicago_tract_is_in_one_cell_of_its_point(shared_data: Path) -> None:
    tracts = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_tracts_pop.gpkg")
    grid = display_grid(tracts, max_cells=100)
    assert grid.crs.to_epsg() == 32616  # UTM 16N, Chicago's zone
    assert len(grid.cells) <= 100
    # the next smaller round size would have needed more than 100 cells
    assert grid.cell_m in {1000.0, 2000.0, 2500.0, 5000.0}
    assert grid.cells["n_areas"].sum() == len(tracts) == len(grid.cell)
    assert (np.bincount(grid.cell, minlength=len(grid.cells)) == grid.cells["n_areas"]).all()
    squares = grid.cells.geometry.to_numpy()[grid.cell]
    assert shapely.covers(squares, grid.points.to_numpy()).all()
    # each point lies inside its tract
    projected = tracts.to_crs(grid.crs).geometry.to_numpy()
    assert shapely.covers(projected, grid.points.to_numpy()).all()
    smaller = display_grid(tracts, max_cells=len(tracts))
    assert smaller.cell_m < grid.cell_m and len(smaller.cells) > len(grid.cells)


def test_cell_values_are_sums_and_population_weighted_means() -> None:
    layers, _ = tiny_run()
    areas = layers["areas"]
    grid = display_grid(areas, max_cells=1)  # the three squares in one cell
    assert len(grid.cells) == 1
    row = cell_values(areas, grid, ["beds"], 30.0).iloc[0]
    assert row["n_areas"] == 3
    assert row["population"] == 10_000.0
    assert row["demand_beds"] == 20.0 and row["unmet_beds"] == 3.0
    assert row["minutes"] == pytest.approx((1000 * 5 + 3000 * 12 + 6000 * 25) / 10_000)
    assert row["minutes_max"] == 25.0
    # the third area has no existing site in reach (NaN): the mean is of the two others
    assert row["baseline_minutes"] == pytest.approx((1000 * 5 + 3000 * 20) / 4000)
    assert row["covered_share"] == 1.0
    assert row["status"] == "partly served"  # the worst of served, served, partly served
    assert row["status_counts"] == "1 partly served, 2 served"
    assert row["flagged"] == 1 and row["short_areas"] == 1 and row["unassigned"] == 0
    within_10 = cell_values(areas, grid, ["beds"], 10.0).iloc[0]
    assert within_10["covered_share"] == pytest.approx(0.1)


def test_gridded_map_says_so_and_its_legend_covers_it() -> None:
    layers, summary = tiny_run(extras=True)
    fmap = map_of_run(layers, summary, max_areas=2, max_cells=1)
    assert legend_gaps(fmap) == []
    page = map_html(fmap)
    assert "Areas shown aggregated" in page and "results.gpkg" in page
    assert "3 areas on 1 display cell of" in page
    assert "population-weighted mean per" in page
    assert "geoalloc-cell" in page
    # below the threshold the map draws one polygon per area, as before
    assert "Areas shown aggregated" not in map_html(map_of_run(layers, summary))
