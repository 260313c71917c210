"""Square cells on a fixed lattice in a metric CRS: the one grid builder of geoalloc (the demo's
200 m cells and :func:`geoalloc.region.areas.grid_areas` both lay their cells with it)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from geoalloc._errors import InputError

#: the most lattice cells a grid may hold over its extent's bounding box; beyond it the cell size
#: is taken for a mistake (a cell size in kilometres given as metres, say) rather than built
MAX_CELLS = 2_000_000
#: cells smaller than a metre are no areas to plan for
MIN_CELL_M = 1.0


def cell_id(x: float, y: float) -> str:
    """The id of the cell whose lower-left corner is ``(x, y)`` (metres): ``"E<x>N<y>"``."""
    return f"E{round(x)}N{round(y)}"


def square_cells(extent: BaseGeometry, cell_m: float, crs: CRS | int | str) -> gpd.GeoDataFrame:
    """Whole square cells of ``cell_m`` metres that share area with ``extent``.

    Parameters
    ----------
    extent
        A polygon (or any geometry with area) in ``crs``.
    cell_m
        Side of a cell, metres (at least 1).
    crs
        A projected CRS in metres; the lattice's corners are the multiples of ``cell_m`` in it,
        so two grids of the same cell size in the same CRS line up, whatever their extents.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``area_id`` (``"E<x>N<y>"``, the lower-left corner in metres, see :func:`cell_id`)
        and ``geometry`` (whole squares, not clipped), in ``crs``, ordered from south to north and
        west to east. A cell that only touches ``extent`` along an edge or at a corner is left out.
    """
    if not (math.isfinite(cell_m) and cell_m >= MIN_CELL_M):
        msg = f"cell size {cell_m!r} m: give a cell side of at least {MIN_CELL_M:g} m (e.g. 1000)"
        raise InputError(msg)
    minx, miny, maxx, maxy = extent.bounds
    x0 = math.floor(minx / cell_m) * cell_m
    y0 = math.floor(miny / cell_m) * cell_m
    nx = max(math.ceil((maxx - x0) / cell_m), 1)
    ny = max(math.ceil((maxy - y0) / cell_m), 1)
    if nx * ny > MAX_CELLS:
        msg = (
            f"a grid of {cell_m:g} m cells over an extent of {(maxx - minx) / 1000:,.1f} × "
            f"{(maxy - miny) / 1000:,.1f} km would lay {nx * ny:,} cells (at most "
            f"{MAX_CELLS:,}) — choose a larger cell size"
        )
        raise InputError(msg)
    xs = x0 + cell_m * np.arange(nx)
    ys = y0 + cell_m * np.arange(ny)
    x, y = (a.ravel() for a in np.meshgrid(xs, ys))  # rows south to north, west to east in a row
    cells = shapely.box(x, y, x + cell_m, y + cell_m)
    shapely.prepare(extent)
    keep = shapely.intersects(extent, cells) & ~shapely.touches(extent, cells)
    ids = [cell_id(a, b) for a, b in zip(x[keep], y[keep], strict=True)]
    return gpd.GeoDataFrame({"area_id": ids}, geometry=cells[keep], crs=crs)
