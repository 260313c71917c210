"""The display grid of a large planning map: its areas aggregated to square cells.

A map of 10⁵ area polygons is tens of MB of GeoJSON and freezes a browser. Above
:data:`MAP_AREAS_MAX` areas the planning map draws a grid of square cells instead, in the metric
CRS of the areas (the UTM zone of their centre, :func:`~geoalloc.travel.geodesy.metric_crs`): each
area goes to the cell holding a point inside it, and the cell size is the smallest "round" size
(1, 2, 2.5 or 5 × 10ᵏ m) that leaves at most :data:`DISPLAY_CELLS_MAX` cells with areas in them.

A cell's values (:func:`cell_values`) are what a GIS analyst would compute: sums of population,
demand and unmet demand; population-weighted means of the minutes; the share of its population
covered within the standard; the worst status of its areas and how many areas have each; how many
areas carry a travel note. Nothing is lost: every area, with every value, stays in
``results.gpkg`` (layer ``areas``), and the map says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geoalloc.travel.geodesy import metric_crs

#: above this many areas the planning map draws them on a display grid (:func:`display_grid`)
MAP_AREAS_MAX = 5_000
#: the display grid has at most this many cells with areas in them
DISPLAY_CELLS_MAX = 4_000
#: cell sizes are one of these × a power of ten, metres
ROUND_SIZES = (1.0, 2.0, 2.5, 5.0)
#: the area statuses, the worst first: a cell takes the worst of its areas' (unknown ones last)
STATUS_ORDER = ("unreachable", "unserved", "partly served", "served", "no demand")


@dataclass(frozen=True)
class DisplayGrid:
    """Square cells of ``cell_m`` metres in ``crs`` holding a run's areas.

    Attributes
    ----------
    cell_m
        The cells' side, metres.
    crs
        The metric CRS the cells are square in.
    cell
        Per area (in the order of the areas layer), the row of its cell in ``cells``.
    cells
        One square per cell with areas in it (in ``crs``), columns ``ix``, ``iy`` (its column and
        row on the grid) and ``n_areas``.
    points
        Per area, a point inside it (in ``crs``): where it sits on the grid.
    """

    cell_m: float
    crs: CRS
    cell: np.ndarray
    cells: gpd.GeoDataFrame
    points: gpd.GeoSeries

    @property
    def label(self) -> str:
        """The cell size as people say it: ``"2 km"``, ``"500 m"``, ``"2.5 km"``."""
        if self.cell_m >= 1000:
            return f"{self.cell_m / 1000:g} km"
        return f"{self.cell_m:g} m"


def round_size(at_least_m: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ᵏ metres that is at least ``at_least_m`` (≥ 1 m)."""
    at_least_m = max(float(at_least_m), 1.0)
    power = 10.0 ** math.floor(math.log10(at_least_m))
    for step in (*ROUND_SIZES, 10.0):
        if step * power >= at_least_m * (1 - 1e-12):
            return step * power
    return 10.0 * power  # pragma: no cover - the loop ends at 10 × power


def _next_size(cell_m: float) -> float:
    """The round size after ``cell_m``."""
    return round_size(cell_m * 1.000001)


def display_grid(areas: gpd.GeoDataFrame, *, max_cells: int = DISPLAY_CELLS_MAX) -> DisplayGrid:
    """The display grid of ``areas`` (polygons with a CRS): the smallest round cell size that
    leaves at most ``max_cells`` cells with areas in them.

    Parameters
    ----------
    areas
        The run's areas layer (any CRS; a frame without one is taken as EPSG:4326).
    max_cells
        The most cells with areas in them (≥ 1).

    Returns
    -------
    DisplayGrid
        The cells and the cell of each area.
    """
    geometry = areas.geometry if areas.crs is not None else areas.geometry.set_crs(4326)
    crs = metric_crs(geometry)
    projected = geometry.to_crs(crs)
    points = projected.representative_point()
    empty = points.is_empty.to_numpy() | points.isna().to_numpy()
    xy = shapely.get_coordinates(points.to_numpy()[~empty])
    full = np.zeros((len(points), 2))
    full[~empty] = xy
    if (~empty).any():
        full[empty] = xy.mean(axis=0)  # an empty area is still counted (in the middle)
    xy = full
    if len(xy):
        width, height = np.ptp(xy, axis=0)
    else:
        width = height = 0.0
    cell_m = round_size(math.sqrt(max(width * height, 1.0) / max(max_cells, 1)))
    while True:
        ix = np.floor(xy[:, 0] / cell_m).astype(np.int64)
        iy = np.floor(xy[:, 1] / cell_m).astype(np.int64)
        keys, cell = np.unique(np.stack([ix, iy], axis=1), axis=0, return_inverse=True)
        if len(keys) <= max(max_cells, 1):
            break
        cell_m = _next_size(cell_m)
    cell = np.asarray(cell).reshape(-1)
    counts = np.bincount(cell, minlength=len(keys))
    squares = shapely.box(
        keys[:, 0] * cell_m,
        keys[:, 1] * cell_m,
        (keys[:, 0] + 1) * cell_m,
        (keys[:, 1] + 1) * cell_m,
    )
    cells = gpd.GeoDataFrame(
        {"ix": keys[:, 0], "iy": keys[:, 1], "n_areas": counts}, geometry=squares, crs=crs
    )
    return DisplayGrid(cell_m=cell_m, crs=crs, cell=cell, cells=cells, points=points)


def _sum(cell: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(cell, weights=values, minlength=n)


def _weighted_mean(cell: np.ndarray, values: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Per cell, the mean of the finite ``values`` weighted by ``weights`` (the plain mean where
    their weights sum to 0; NaN where none is finite)."""
    finite = np.isfinite(values)
    v = np.where(finite, values, 0.0)
    w = np.where(finite, weights, 0.0)
    weight_sum = _sum(cell, w, n)
    weighted = _sum(cell, v * w, n)
    count = _sum(cell, finite.astype(float), n)
    plain = _sum(cell, v, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(weight_sum > 0, weighted / weight_sum, plain / count)
    return np.where(count > 0, mean, np.nan)


def cell_values(
    areas: pd.DataFrame, grid: DisplayGrid, resources: list[str], standard: float | None
) -> pd.DataFrame:
    """The values of each display cell, from the run's areas layer (rows in grid order).

    Parameters
    ----------
    areas
        The areas layer: ``population``, ``demand_<r>``, ``unmet_<r>``, ``minutes``,
        ``baseline_minutes``, ``status``; ``los_risk``, ``travel_flag``, ``far_snap`` when present.
    grid
        :func:`display_grid` of these areas.
    resources
        The planned resources (the first is the map's primary one).
    standard
        The travel standard, minutes (None: covered means reachable).

    Returns
    -------
    pandas.DataFrame
        One row per cell: ``n_areas``; ``population``, ``demand_<r>``, ``unmet_<r>`` (sums);
        ``minutes``, ``baseline_minutes`` (population-weighted means of the finite values, minutes)
        and ``minutes_max`` (the cell's worst area); ``unassigned`` (areas with no assigned site)
        and their ``unassigned_population``; ``covered_share`` (0–1 of the population within
        the standard); ``status`` (the worst of its areas') and ``status_counts`` (text);
        ``flagged`` (areas with a travel note or a far snap); ``risk_demand`` (Σ demand × LOS
        risk) when the areas have ``los_risk``; ``short_areas`` (areas with unmet demand).
    """
    n = len(grid.cells)
    cell = grid.cell
    population = pd.to_numeric(areas["population"], errors="coerce").fillna(0.0).to_numpy(float)
    out = pd.DataFrame({"n_areas": np.bincount(cell, minlength=n)})
    out["population"] = _sum(cell, population, n)
    unmet_total = np.zeros(len(areas))
    for r in resources:
        demand = areas[f"demand_{r}"].astype(float).fillna(0.0).to_numpy()
        unmet = areas[f"unmet_{r}"].astype(float).fillna(0.0).to_numpy()
        out[f"demand_{r}"] = _sum(cell, demand, n)
        out[f"unmet_{r}"] = _sum(cell, unmet, n)
        unmet_total += unmet
    out["short_areas"] = _sum(cell, (unmet_total > 1e-9).astype(float), n).astype(int)
    minutes = areas["minutes"].astype(float).to_numpy()
    out["minutes"] = _weighted_mean(cell, minutes, population, n)
    finite = np.isfinite(minutes)
    worst = np.full(n, -np.inf)
    np.maximum.at(worst, cell[finite], minutes[finite])
    out["minutes_max"] = np.where(np.isfinite(worst), worst, np.nan)
    out["baseline_minutes"] = _weighted_mean(
        cell, areas["baseline_minutes"].astype(float).to_numpy(), population, n
    )
    out["unassigned"] = _sum(cell, (~finite).astype(float), n).astype(int)
    out["unassigned_population"] = _sum(cell, np.where(finite, 0.0, population), n)
    within = (minutes <= standard) if standard is not None else finite
    covered = _sum(cell, np.where(within, population, 0.0), n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["covered_share"] = np.where(out["population"] > 0, covered / out["population"], np.nan)
    status = areas["status"].astype(str).to_numpy()
    ordered = [*STATUS_ORDER, *sorted(set(status) - set(STATUS_ORDER))]
    code = pd.Series(status).map({s: i for i, s in enumerate(ordered)}).to_numpy(int)
    worst_code = np.full(n, len(ordered) - 1)
    np.minimum.at(worst_code, cell, code)
    out["status"] = np.asarray(ordered, dtype=object)[worst_code]
    counts = pd.crosstab(cell, status)
    counts = counts[[s for s in ordered if s in counts.columns]].reindex(range(n), fill_value=0)
    labels = list(counts.columns)
    out["status_counts"] = [
        ", ".join(f"{c:,} {s}" for s, c in zip(labels, row, strict=True) if c)
        for row in counts.to_numpy().tolist()
    ]
    flagged = np.zeros(len(areas), dtype=bool)
    if "far_snap" in areas.columns:
        flagged |= areas["far_snap"].fillna(False).astype(bool).to_numpy()
    if "travel_flag" in areas.columns:
        flag = areas["travel_flag"]
        flagged |= (flag.notna() & (flag.astype(str).str.len() > 0)).to_numpy()
    out["flagged"] = _sum(cell, flagged.astype(float), n).astype(int)
    if "los_risk" in areas.columns:
        primary = areas[f"demand_{resources[0]}"].astype(float).fillna(0.0).to_numpy()
        risk = areas["los_risk"].astype(float).fillna(0.0).to_numpy()
        out["risk_demand"] = _sum(cell, primary * risk, n)
    return out


def cell_anchors(grid: DisplayGrid, weights: np.ndarray) -> gpd.GeoSeries:
    """A point per cell (EPSG:4326): the mean of its areas' points weighted by ``weights`` (per
    area, ≥ 0; the plain mean where they sum to 0) — where its lines and rings start."""
    n = len(grid.cells)
    xy = np.zeros((len(grid.points), 2))
    present = ~(grid.points.is_empty.to_numpy() | grid.points.isna().to_numpy())
    xy[present] = shapely.get_coordinates(grid.points.to_numpy()[present])
    w = np.where(present, np.nan_to_num(np.asarray(weights, dtype=float)), 0.0)
    weight_sum = _sum(grid.cell, w, n)
    count = _sum(grid.cell, present.astype(float), n)
    anchor = np.empty((n, 2))
    for axis in (0, 1):
        weighted = _sum(grid.cell, xy[:, axis] * w, n)
        plain = _sum(grid.cell, xy[:, axis] * present, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            anchor[:, axis] = np.where(weight_sum > 0, weighted / weight_sum, plain / count)
    centres = shapely.get_coordinates(grid.cells.geometry.centroid.to_numpy())
    anchor = np.where(np.isfinite(anchor), anchor, centres)
    return gpd.GeoSeries(gpd.points_from_xy(anchor[:, 0], anchor[:, 1]), crs=grid.crs).to_crs(4326)
