"""What every population source returns: :class:`PopulationEstimate`, persons per area with the
source's own total over the same extent, and the checks all sources make of the areas.

The sources themselves are :mod:`geoalloc.inputs.population_raster` (GeoTIFF counts),
:mod:`geoalloc.inputs.population_census` (census polygons, area-weighted),
:mod:`geoalloc.inputs.population_points` (points or grid cells) and
:mod:`geoalloc.inputs.population_buildings` (an estimate from OSM buildings); the planner-facing
entry point is :mod:`geoalloc.region.population`.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geoalloc._errors import InputError
from geoalloc._validate import format_ids

#: the geometry types a population can be summed into
POLYGONS = ("Polygon", "MultiPolygon")
#: how a planner names each kind of source in a sentence
METHOD_LABEL = {
    "raster": "population raster",
    "census": "census polygons",
    "points": "population points",
    "buildings": "OSM buildings (estimate)",
}


@dataclass(frozen=True)
class PopulationEstimate:
    """Persons per area from one source, with what the source holds over the same extent.

    Attributes
    ----------
    totals
        Persons per area, indexed like the areas (every area; 0 where the source has no one).
    bands
        Persons per age band (one column per band, same index) when the source has bands; else an
        empty frame (same index, no columns).
    method
        ``"raster"``, ``"points"``, ``"census"`` or ``"buildings"``.
    source
        A sentence a planner can read: the file, the band or column, and how it was summed.
    measured
        ``False`` for the estimate from OSM buildings (replace it with a measured source).
    source_total
        What the source holds over the areas' extent: the raster's sum inside the union of the
        areas, the census total of the parts the areas overlap, the points inside the areas. Equal
        to ``totals.sum()`` when the areas do not overlap (up to float rounding).
    notes
        What a planner should know (nodata pixels, areas partly outside the source, ...).
    """

    totals: pd.Series
    bands: pd.DataFrame
    method: str
    source: str
    measured: bool
    source_total: float
    notes: tuple[str, ...]

    def summary(self) -> str:
        """One line with both totals, e.g. for the note of a scenario read or a comment in
        ``scenario.toml``: ``"71,724 persons in 120 areas; the source holds 71,724 over the areas'
        extent (population raster: ...; measured)"``."""
        kind = "measured" if self.measured else "an ESTIMATE, not measured"
        return (
            f"{float(self.totals.sum()):,.0f} persons in {len(self.totals):,} areas; the source "
            f"holds {self.source_total:,.0f} over the areas' extent "
            f"({METHOD_LABEL.get(self.method, self.method)}: {self.source}; {kind})"
        )


def area_labels(areas: gpd.GeoDataFrame) -> pd.Index:
    """How errors and notes name the areas: their ``area_id`` column, else their index."""
    if "area_id" in areas.columns:
        return pd.Index(areas["area_id"].astype(str))
    return areas.index.astype(str)


def check_areas(areas: object, what: str = "areas") -> gpd.GeoDataFrame:
    """``areas`` as a GeoDataFrame a population can be summed into, else :class:`InputError`:
    a GeoDataFrame with rows, a CRS, a unique index, and valid, non-empty polygons."""
    if not isinstance(areas, gpd.GeoDataFrame):
        msg = f"{what}: a {type(areas).__name__}, not a GeoDataFrame — give polygons as a GeoDataFrame"
        raise InputError(msg)
    if len(areas) == 0:
        raise InputError(f"{what}: no rows — give at least one area polygon")
    if areas.crs is None:
        msg = f"{what}: no CRS — set it (gdf.set_crs(4326) for longitude/latitude)"
        raise InputError(msg)
    if not areas.index.is_unique:
        msg = f"{what}: the index has duplicates — index the areas 0..n-1 (reset_index(drop=True))"
        raise InputError(msg)
    labels = area_labels(areas)
    geometry = areas.geometry
    empty = (geometry.isna() | geometry.is_empty).to_numpy()
    if empty.any():
        msg = f"{what}: empty or missing geometry ({format_ids(labels[empty])}) — give them a polygon or drop them"
        raise InputError(msg)
    not_polygon = ~geometry.geom_type.isin(POLYGONS).to_numpy()
    if not_polygon.any():
        kinds = sorted(set(geometry.geom_type[not_polygon]))
        msg = (
            f"{what}: a population is summed over polygons, found {', '.join(kinds)} "
            f"({format_ids(labels[not_polygon])}) — give area polygons (e.g. a grid of cells)"
        )
        raise InputError(msg)
    invalid = ~shapely.is_valid(geometry.to_numpy())
    if invalid.any():
        msg = (
            f"{what}: invalid polygons, e.g. self-intersecting ({format_ids(labels[invalid])}) — "
            "repair them (shapely.make_valid, QGIS 'Fix geometries')"
        )
        raise InputError(msg)
    return areas


def equal_area_crs(geometry: gpd.GeoSeries) -> CRS:
    """A Lambert azimuthal equal-area CRS (metres) centred on ``geometry``'s extent: areas
    measured in it are true areas on the WGS84 ellipsoid wherever the shapes are, so the shares of
    an area-weighted interpolation are shares of real ground (a UTM zone is conformal, not
    equal-area: its areas are off by up to ~0.1 % near a zone's edge, more beyond it)."""
    minx, miny, maxx, maxy = geometry.to_crs(4326).total_bounds
    lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
    if not np.isfinite([lon, lat]).all():
        raise InputError("the areas have no finite coordinates — check their geometry")
    return CRS.from_proj4(
        f"+proj=laea +lat_0={lat:.6f} +lon_0={lon:.6f} +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
    )


def no_bands(index: pd.Index) -> pd.DataFrame:
    """The ``bands`` of a source without age bands: no columns, the areas' index."""
    return pd.DataFrame(index=index)


def polygonal_parts(geometries: np.ndarray) -> np.ndarray:
    """Each geometry's polygonal part: an intersection or a repair may add lines or points where
    shapes touch, which have no area."""
    out = np.asarray(geometries, dtype=object).copy()
    mixed = shapely.get_type_id(out) == shapely.GeometryType.GEOMETRYCOLLECTION
    for i in np.flatnonzero(mixed):
        parts = shapely.get_parts(out[i])
        kinds = shapely.get_type_id(parts)
        polygons = parts[
            (kinds == shapely.GeometryType.POLYGON) | (kinds == shapely.GeometryType.MULTIPOLYGON)
        ]
        out[i] = shapely.union_all(polygons) if len(polygons) else shapely.Polygon()
    return out


def repaired_polygons(geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``geometries`` with the invalid ones repaired (shapely.make_valid, polygonal parts kept),
    and which were: a polygon valid in its own CRS can self-touch or lose a ring to rounding once
    projected (GEOS: "too few points"), and OSM outlines are often self-touching."""
    invalid = ~shapely.is_valid(geometries)
    if not invalid.any():
        return geometries, invalid
    fixed = np.asarray(geometries, dtype=object).copy()
    fixed[invalid] = polygonal_parts(shapely.make_valid(fixed[invalid]))
    return fixed, invalid
