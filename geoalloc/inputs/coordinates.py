"""Coordinates that are no place on Earth, or not the degrees a layer claims: the checks every
reader of points and layers shares (vector files in :mod:`geoalloc.inputs.read`, tables of
longitude/latitude in :mod:`geoalloc.inputs.points_table`)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoalloc._validate import Problems

#: longitude and latitude bounds of coordinates that are plainly degrees
DEGREES_BOUNDS = (-180.0, -90.0, 180.0, 90.0)
#: a geographic layer whose coordinates are beyond degrees' bounds in this share of its rows (or
#: more) is not in degrees at all (projected coordinates read as longitude/latitude); fewer rows
#: out of bounds are single bad coordinates, for the checks of values
NOT_DEGREES_SHARE = 0.5


def within_degrees(bounds: np.ndarray) -> bool:
    """True if ``bounds`` (minx, miny, maxx, maxy) are finite and within ±180° / ±90°."""
    low_x, low_y, high_x, high_y = DEGREES_BOUNDS
    minx, miny, maxx, maxy = bounds
    return bool(
        np.isfinite(bounds).all()
        and low_x <= minx <= maxx <= high_x
        and low_y <= miny <= maxy <= high_y
    )


def extent_text(bounds: np.ndarray) -> str:
    minx, miny, maxx, maxy = bounds
    spec = ",.0f" if np.nanmax(np.abs(bounds)) >= 1000 else ".3f"
    return f"x {minx:{spec}}…{maxx:{spec}}, y {miny:{spec}}…{maxy:{spec}}"


def as_web_mercator(bounds: np.ndarray) -> str:
    """Where ``bounds`` would lie read as EPSG:3857 (web maps' metres), as a hint; "" if nowhere."""
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(3857, 4326, always_xy=True).transform(
        bounds[[0, 2]], bounds[[1, 3]]
    )
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()) or np.abs(bounds).max() > 2.1e7:
        return ""
    return (
        f" (read as EPSG:3857, web maps' metres, they would lie at lon {lon[0]:.3f}…{lon[1]:.3f}, "
        f"lat {lat[0]:.3f}…{lat[1]:.3f}: if that is where they belong, it is their CRS)"
    )


def degrees_check(
    frame: gpd.GeoDataFrame,
    path: Path,
    where: str,
    problems: Problems,
    *,
    subject: str | None = None,
    fix: str | None = None,
) -> bool:
    """False, with a problem, if a layer in a geographic CRS does not hold degrees: projected
    coordinates read as longitude/latitude (e.g. a GeoJSON without a ``crs`` member, or with one
    GDAL does not know, is read as EPSG:4326; a table's x/y columns in metres).

    ``subject`` says what holds the coordinates and why they were taken as degrees, ``fix`` how to
    mend it; both default to the words for a vector file.
    """
    geometry = frame.geometry
    present = ~(geometry.isna() | geometry.is_empty).to_numpy()
    if not present.any():
        return True
    bounds = geometry[present].bounds.to_numpy()
    low_x, low_y, high_x, high_y = DEGREES_BOUNDS
    outside = ~(
        np.isfinite(bounds).all(axis=1)
        & (bounds[:, 0] >= low_x)
        & (bounds[:, 2] <= high_x)
        & (bounds[:, 1] >= low_y)
        & (bounds[:, 3] <= high_y)
    )
    if outside.mean() < NOT_DEGREES_SHARE:
        return True
    declared = (
        "that the file does not declare — a GeoJSON without a 'crs' member, or with one GDAL does "
        "not know, is read as EPSG:4326"
    )
    if subject is None:
        subject = f"{path.name} is in {frame.crs.to_string()} (longitude/latitude degrees)"
    else:
        declared = "and not longitude/latitude degrees"
    problems.add(
        where,
        f"{subject}, but {int(outside.sum())} of its {len(bounds)} features have coordinates "
        f"beyond ±180°/±90° ({extent_text(frame.total_bounds)}): they are in a projected CRS "
        f"(metres, e.g. EPSG:3857 or a UTM zone) {declared}" + as_web_mercator(frame.total_bounds),
        fix
        or (
            f"declare the CRS the coordinates are in, or reproject: ogr2ogr -s_srs EPSG:<code> "
            f"-t_srs EPSG:4326 fixed.geojson {path.name} (or save it as a GeoPackage, which keeps "
            "its CRS)"
        ),
    )
    return False


def check_coordinates(
    frame: gpd.GeoDataFrame, ids: pd.Index, where: str, problems: Problems
) -> bool:
    """Coordinates that are no place on Earth: not finite, or, in a geographic CRS, outside
    longitude [-180, 180] / latitude [-90, 90]. True if there are none."""
    bounds = frame.geometry.bounds.to_numpy(dtype=float)  # minx, miny, maxx, maxy (NaN if empty)
    present = ~np.isnan(bounds).all(axis=1)
    not_finite = present & ~np.isfinite(bounds).all(axis=1)
    if not_finite.any():
        problems.add(
            where,
            "coordinates that are not finite numbers (inf or NaN)",
            "fix or remove these rows' geometry",
            ids=ids[not_finite],
        )
    crs = frame.crs
    if crs is None or not crs.is_geographic:
        return not not_finite.any()
    with np.errstate(invalid="ignore"):
        lon_out = (bounds[:, 0] < -180) | (bounds[:, 2] > 180)
        lat_out = (bounds[:, 1] < -90) | (bounds[:, 3] > 90)
    for out, axis, bound in ((lon_out, "longitude", 180), (lat_out, "latitude", 90)):
        out = out & present & ~not_finite
        if out.any():
            column = (0, 2) if axis == "longitude" else (1, 3)
            worst = bounds[out][:, column]
            extreme = worst.flat[np.argmax(np.abs(worst))]
            problems.add(
                where,
                f"{axis} outside [-{bound}, {bound}] in its geographic CRS "
                f"{crs.to_string()} (e.g. {extreme:g})",
                "check these rows' coordinates: swapped longitude/latitude, or projected "
                "coordinates (metres) in a file tagged with a longitude/latitude CRS",
                ids=ids[out],
            )
    return not (not_finite.any() or ((lon_out | lat_out) & present).any())
