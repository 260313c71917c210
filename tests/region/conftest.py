"""Fixtures of the region tests: HSY's population grid, and as a GeoTIFF."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

from tests.region.hsy import read_hsy_grid, write_hsy_raster


@pytest.fixture(scope="session")
def hsy_grid(shared_data: Path) -> gpd.GeoDataFrame:
    """HSY's 2020 250 m population grid of central Helsinki (92 cells, 71,724 residents)."""
    return read_hsy_grid(shared_data)


@pytest.fixture(scope="session")
def hsy_raster(hsy_grid: gpd.GeoDataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """HSY's real population grid as a GeoTIFF of persons per 250 m pixel (EPSG:3879, float32,
    nodata where HSY has no cell)."""
    return write_hsy_raster(hsy_grid, tmp_path_factory.mktemp("hsy"))
