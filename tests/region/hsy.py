"""HSY's real 250 m population grid of central Helsinki as a GeoTIFF: its cells are exact 250 m
squares on the EPSG:3879 lattice, so they are written 1:1 as pixels — a real population raster
for the tests of population sources and of `geoalloc init`."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from affine import Affine

HSY_CELL_M = 250.0
HSY_NODATA = -99999.0
HSY_TOTAL = 71_724  # residents in the 92 cells of the file (PROVENANCE.md)
HSY_CRS = 3879


def read_hsy_grid(shared_data: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(shared_data / "helsinki_central" / "helsinki_population_grid_2020.gpkg")


def hsy_lattice(grid: gpd.GeoDataFrame) -> tuple[np.ndarray, float, float]:
    """The HSY cells as a pixel array (nodata where the file has no cell) and its top-left corner:
    the cells are 250 m squares on the EPSG:3879 lattice (to the millimetre, once reprojected)."""
    bounds = grid.to_crs(HSY_CRS).bounds
    left, top = round(bounds.minx.min()), round(bounds.maxy.max())
    cols = np.round((bounds.minx - left) / HSY_CELL_M).astype(int).to_numpy()
    rows = np.round((top - bounds.maxy) / HSY_CELL_M).astype(int).to_numpy()
    width = (bounds.maxx - bounds.minx).to_numpy()
    assert np.allclose(width, HSY_CELL_M, atol=0.01)  # exact squares: 1:1 pixels
    pixels = np.full((rows.max() + 1, cols.max() + 1), HSY_NODATA, dtype="float32")
    pixels[rows, cols] = grid["population"].to_numpy()
    return pixels, left, top


def write_raster(path: Path, pixels: np.ndarray, left: float, top: float, **profile) -> Path:
    bands = pixels if pixels.ndim == 3 else pixels[np.newaxis]
    options = {
        "driver": "GTiff",
        "width": bands.shape[2],
        "height": bands.shape[1],
        "count": bands.shape[0],
        "dtype": str(bands.dtype),
        "crs": f"EPSG:{HSY_CRS}",
        "transform": Affine(HSY_CELL_M, 0.0, left, 0.0, -HSY_CELL_M, top),
        "nodata": HSY_NODATA,
    } | profile
    with rasterio.open(path, "w", **options) as raster:
        raster.write(bands)
    return path


def write_hsy_raster(hsy_grid: gpd.GeoDataFrame, folder: Path) -> Path:
    """HSY's real population grid as a GeoTIFF of persons per 250 m pixel (EPSG:3879, float32,
    nodata where HSY has no cell)."""
    pixels, left, top = hsy_lattice(hsy_grid)
    return write_raster(folder / "hsy_2020.tif", pixels, left, top)
