"""Large inputs: population points (or grid cells) summed into areas, out of core with dask-geopandas.

A national population grid or point layer can hold tens of millions of features. Joining it to the
areas with plain GeoPandas needs every point in memory at once (measured: ~430 bytes of peak memory
per point for read + spatial join, see :data:`BYTES_PER_POINT`). Above :func:`threshold_points`
(a quarter of the available memory: ~10 million points with 20 GB free), the
points are read in partitions with dask-geopandas (GeoParquet row groups, or chunks of any vector
file through pyogrio), each partition is joined to the areas on its own, and only the per-area sums
(one small table per partition) come back: memory holds one partition per worker plus the areas.

A point on the border of two areas counts once, in the first of them (areas in index order); a
point in no area is counted in ``unmatched_points`` / ``unmatched_value``, never dropped silently.
Grid cells (polygons) count at their representative point.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geoalloc._errors import InputError
from geoalloc._validate import file_problem
from geoalloc.inputs.points_table import is_points_table, read_points_table
from geoalloc.inputs.population_estimate import PopulationEstimate, check_areas, no_bands
from geoalloc.parallel import Executor, dask_client

log = logging.getLogger(__name__)

#: peak bytes per point of the in-memory path (read + spatial join + group) for a point layer with
#: one value column, measured with ``bench/parallel.py --large`` (peak RSS of a fresh process):
#: 1,000,000 points → +443 MB, 4,000,000 points → +1,723 MB (~430 B/point); by partitions of 250k
#: rows the peak stays at ~+200 MB whatever the size. Rounded up for extra columns.
BYTES_PER_POINT = 500
#: share of the available memory the plain path may use before the out-of-core path is taken.
MEMORY_SHARE = 0.25
DASK_GEOPANDAS_HINT = 'pip install dask-geopandas pyarrow  (or: pip install "geoalloc[dask]")'
Method = Literal["auto", "geopandas", "dask-geopandas"]


@dataclass(frozen=True)
class AreaTotals:
    """Sums of a point layer per area.

    Attributes
    ----------
    totals
        Per area id (every area, 0 where no point fell), of the value column (or point counts).
    points
        Points read.
    unmatched_points, unmatched_value
        Points in no area, and their value.
    method
        ``"geopandas"`` (in memory) or ``"dask-geopandas"`` (by partitions).
    partitions
        Partitions read (1 in memory).
    """

    totals: pd.Series
    points: int
    unmatched_points: int
    unmatched_value: float
    method: str
    partitions: int


def threshold_points(available_bytes: int | None = None) -> int:
    """Point count above which ``method="auto"`` reads by partitions: the plain path's measured
    peak (:data:`BYTES_PER_POINT`) must stay under :data:`MEMORY_SHARE` of the available memory."""
    if available_bytes is None:
        import psutil  # a dependency of distributed

        available_bytes = psutil.virtual_memory().available
    return int(MEMORY_SHARE * available_bytes / BYTES_PER_POINT)


def count_points(path: str | Path) -> int:
    """Features in a GeoParquet or vector file, from its metadata (nothing is loaded)."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    import pyogrio

    return int(pyogrio.read_info(path)["features"])


def partition_sums(
    points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, value: str | None
) -> pd.DataFrame:
    """Sum one partition of points into ``areas`` (indexed by id, same CRS).

    A plain function of its arguments (picklable): the unit of work of the out-of-core path.

    Returns
    -------
    pandas.DataFrame
        Columns ``area`` (id, or ``None`` for points in no area), ``value`` (sum), ``points``.
    """
    geometry = points.geometry
    if not (geometry.geom_type == "Point").all():
        geometry = geometry.representative_point()
    left = gpd.GeoDataFrame(
        {"value": np.ones(len(points)) if value is None else points[value].to_numpy(dtype=float)},
        geometry=geometry.to_numpy(),
        crs=points.crs,
    )
    polygons = gpd.GeoDataFrame(
        {"area_pos": np.arange(len(areas))}, geometry=areas.geometry.to_numpy(), crs=areas.crs
    )
    joined = gpd.sjoin(left, polygons, how="left", predicate="intersects")
    joined = joined.sort_values("area_pos", kind="stable")
    joined = joined[~joined.index.duplicated(keep="first")]  # border points: the first area
    pos = joined["area_pos"]
    area = pd.Series(
        np.where(pos.notna(), areas.index.to_numpy()[pos.fillna(0).astype(int)], None),
        index=joined.index,
        dtype=object,
    )
    out = (
        pd.DataFrame({"area": area, "value": joined["value"], "points": 1})
        .groupby("area", dropna=False, sort=False)
        .sum()
        .reset_index()
    )
    return out.astype({"area": object, "value": float, "points": np.int64})


def _check(points_crs, areas: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    if points_crs is None:
        raise InputError(f"{path}: the points have no CRS — write the file with its CRS")
    if areas.crs is None:
        raise InputError("the areas have no CRS — give them one")
    if not areas.index.is_unique:
        raise InputError("the areas' index (their ids) has duplicates — make the ids unique")
    return areas.to_crs(points_crs)


def _finish(parts: pd.DataFrame, areas: gpd.GeoDataFrame, method: str, n_parts: int) -> AreaTotals:
    grouped = parts.groupby("area", dropna=False, sort=False)[["value", "points"]].sum()
    matched = grouped[grouped.index.notna()]
    unmatched = grouped[grouped.index.isna()]
    totals = matched["value"].reindex(areas.index, fill_value=0.0).rename("total")
    n_unmatched = int(unmatched["points"].sum())
    if n_unmatched:
        log.warning("%d point(s) fall in no area (not counted in any area's total)", n_unmatched)
    return AreaTotals(
        totals=totals,
        points=int(grouped["points"].sum()),
        unmatched_points=n_unmatched,
        unmatched_value=float(unmatched["value"].sum()),
        method=method,
        partitions=n_parts,
    )


def sum_points_into_areas(
    path: str | Path,
    areas: gpd.GeoDataFrame,
    *,
    value: str | None = None,
    method: Method = "auto",
    partition_rows: int = 1_000_000,
    executor: Executor = "serial",
    workers: int | None = None,
    scheduler: Any = None,
) -> AreaTotals:
    """Sum a (possibly huge) point layer into areas.

    Parameters
    ----------
    path
        GeoParquet (``.parquet``: read by row groups), any vector file GeoPandas reads, or a CSV
        with longitude/latitude columns (read whole: see
        :func:`~geoalloc.inputs.points_table.read_points_table`).
    areas
        Area polygons indexed by id (small: held by every worker).
    value
        Column to sum (e.g. population of a grid cell); ``None`` counts points.
    method
        ``"auto"``: by partitions above :func:`threshold_points` points, else in memory.
    partition_rows
        Rows per partition on the out-of-core path (vector files; GeoParquet keeps its row groups).
    executor, workers, scheduler
        Where partitions run (see :func:`geoalloc.parallel.run_map`): ``"serial"`` (one at a time
        in this process), ``"processes"`` or ``"dask"``.
    """
    path = Path(path)
    why = file_problem(path, directory_ok=True)
    if why is not None:
        what = "points file not found" if why == "not found" else f"the points path is {why}"
        raise InputError(f"{path}: {what} — check the path")
    if is_points_table(path):  # a CSV of longitude/latitude: read whole, in memory
        points = read_points_table(path, where=f"population points {path.name}")
        log.info("points → areas: %d points from %s (geopandas)", len(points), path.name)
        _require_value(points, value, path)
        return _finish(
            partition_sums(points, _check(points.crs, areas, path), value), areas, "geopandas", 1
        )
    n_points = count_points(path)
    if method == "auto":
        method = "dask-geopandas" if n_points > threshold_points() else "geopandas"
    log.info("points → areas: %d points from %s (%s)", n_points, path.name, method)
    if method == "geopandas":
        is_parquet = path.suffix.lower() in (".parquet", ".geoparquet")
        points = gpd.read_parquet(path) if is_parquet else gpd.read_file(path)
        _require_value(points, value, path)
        areas_here = _check(points.crs, areas, path)
        return _finish(partition_sums(points, areas_here, value), areas, method, 1)
    return _by_partitions(
        path, areas, value, n_points, partition_rows, executor, workers, scheduler
    )


def _require_value(points, value: str | None, path: Path) -> None:
    if value is not None and value not in points.columns:
        msg = f"{path}: no column {value!r} to sum — columns: {', '.join(map(str, points.columns))}"
        raise InputError(msg)


def _by_partitions(path, areas, value, n_points, partition_rows, executor, workers, scheduler):
    try:
        import dask_geopandas
    except ImportError:
        msg = f"reading points by partitions needs dask-geopandas — {DASK_GEOPANDAS_HINT}"
        raise InputError(msg) from None
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        frame = dask_geopandas.read_parquet(path, split_row_groups=True)  # one row group each
    else:
        n_parts = max(1, -(-n_points // partition_rows))
        frame = dask_geopandas.read_file(path, npartitions=n_parts)
    _require_value(frame, value, path)
    areas_here = _check(frame.crs, areas, path)
    meta = pd.DataFrame(
        {
            "area": pd.Series(dtype=object),
            "value": pd.Series(dtype=float),
            "points": pd.Series(dtype=np.int64),
        }
    )
    sums = frame.map_partitions(partition_sums, areas_here, value, meta=meta)
    if executor == "dask":
        with dask_client(scheduler, workers) as client:
            parts = sums.compute(scheduler=client)
    else:
        dask_scheduler = "synchronous" if executor == "serial" else "processes"
        kwargs = {"num_workers": workers} if executor == "processes" and workers else {}
        parts = sums.compute(scheduler=dask_scheduler, **kwargs)
    return _finish(parts, areas, "dask-geopandas", frame.npartitions)


def points_population(
    path: Path,
    areas: gpd.GeoDataFrame,
    *,
    value: str | None = None,
    band_values: dict[str, str] | None = None,
) -> PopulationEstimate:
    """Persons per area from a point layer or a finer grid, by :func:`sum_points_into_areas`.

    Each point counts whole in the area holding it (the first area on a border); grid cells count
    at their representative point, so a grid much finer than the areas is needed for the sum to
    follow the areas' borders.

    Parameters
    ----------
    path
        GeoParquet or any vector file of points (or grid cells).
    areas
        Area polygons (valid, non-empty), any CRS, indexed by id.
    value
        The column of persons per point; ``None`` counts the points.
    band_values
        Age bands: ``{band column: points column}``, each summed the same way (the file is read
        once per band).

    Returns
    -------
    PopulationEstimate
        ``method="points"``; ``source_total`` is the points' value inside the areas (each point
        once), equal to the areas' sum; the points in no area are noted with their value.
    """
    areas = check_areas(areas)
    path = Path(path)
    result = sum_points_into_areas(path, areas, value=value)
    totals = result.totals.astype(float).rename("population")
    bands = no_bands(areas.index)
    for column, source_column in (band_values or {}).items():
        bands[column] = sum_points_into_areas(path, areas, value=source_column).totals
    notes = (
        f"{result.points:,} points read ({result.method}); {result.unmatched_points:,} of them "
        f"(value {result.unmatched_value:,.0f}) fall in no area and are not counted",
    )
    what = f"column {value!r}" if value else "one person per point"
    source = (
        f"{path.name}, {what}, each point (grid cells at their representative point) in the area "
        "holding it"
    )
    if band_values:
        source += "; age bands " + ", ".join(f"{c} from {v!r}" for c, v in band_values.items())
    return PopulationEstimate(
        totals=totals,
        bands=bands,
        method="points",
        source=source,
        measured=True,
        source_total=float(totals.sum()),
        notes=notes,
    )
