"""Great-circle distance on a spherical Earth (the one haversine of the travel engines), and the
local metric CRS every part of geoalloc measures in."""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt
from pyproj import CRS

#: Mean Earth radius (IUGG), metres: the crow-fly engine's.
EARTH_RADIUS_M = 6_371_008.8
#: osmnx's ``great_circle`` radius, metres: road-graph edge lengths, so they match osmnx's.
OSMNX_EARTH_RADIUS_M = 6_371_009.0


def haversine_m(
    lon1: npt.ArrayLike,
    lat1: npt.ArrayLike,
    lon2: npt.ArrayLike,
    lat2: npt.ArrayLike,
    *,
    radius_m: float = EARTH_RADIUS_M,
) -> np.ndarray:
    """Great-circle distance between points given in degrees, metres.

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        Longitudes and latitudes in degrees (WGS 84), scalars or arrays that broadcast together
        (e.g. ``(n, 1)`` origins against ``(1, m)`` destinations for an ``(n, m)`` matrix).
    radius_m
        Radius of the sphere, metres: :data:`EARTH_RADIUS_M` by default,
        :data:`OSMNX_EARTH_RADIUS_M` for road-graph edges.

    Returns
    -------
    numpy.ndarray
        Metres, in the broadcast shape of the inputs (0-d for scalars).

    Examples
    --------
    One degree of longitude on the equator:

    >>> round(float(haversine_m(0.0, 0.0, 1.0, 0.0)), 2)
    111195.08
    """
    lam1, phi1, lam2, phi2 = (np.radians(v) for v in (lon1, lat1, lon2, lat2))
    a = (
        np.sin((phi2 - phi1) / 2) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2
    )
    return np.asarray(2 * radius_m * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def metric_crs(geometry: object) -> CRS:
    """A CRS in metres to measure ``geometry`` (a GeoSeries/GeoDataFrame with a CRS) in: the
    UTM zone of its bounds' centre, as :meth:`geopandas.GeoSeries.estimate_utm_crs` picks it, or
    the polar UPS zone where UTM ends (north of 84° N, south of 80° S — e.g. latitude and
    longitude swapped put a layer at latitude −87).

    The zone is computed from the centre, without geopandas' search of the CRS database (0.2–0.3 s
    a call, a dozen calls per ``geoalloc init``); a centre on a zone's edge or on the equator,
    where the search's order decides, still asks the database, so the answer is the same.
    """
    lon, lat = _bounds_centre(geometry)
    if not (np.isfinite(lon) and np.isfinite(lat)):
        return _searched_metric_crs(geometry)
    if lat > 84.0 or lat < -80.0:
        return _epsg(32661 if lat >= 0 else 32761)
    zone_float = (lon + 180.0) / 6.0
    if zone_float == np.floor(zone_float) or lat in (0.0, 84.0, -80.0):
        return _searched_metric_crs(geometry)
    zone = int(zone_float) % 60 + 1
    return _epsg((32600 if lat > 0 else 32700) + zone)


def _bounds_centre(geometry: object) -> tuple[float, float]:
    """The centre of ``geometry``'s bounds in degrees, as geopandas' ``estimate_utm_crs`` takes it."""
    from pyproj import Transformer

    crs = geometry.crs  # type: ignore[attr-defined]
    if crs is None:
        msg = "crs must be set to estimate UTM CRS."
        raise RuntimeError(msg)
    minx, miny, maxx, maxy = geometry.total_bounds  # type: ignore[attr-defined]
    if crs.is_geographic:
        return float(np.mean([minx, maxx])), float(np.mean([miny, maxy]))
    transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    minx, miny, maxx, maxy = transformer.transform_bounds(minx, miny, maxx, maxy)
    if minx > maxx:  # across the antimeridian
        centre = float(np.mean([minx, maxx + 360.0]))
        return ((centre + 180.0) % 360.0) - 180.0, float(np.mean([miny, maxy]))
    return float(np.mean([minx, maxx])), float(np.mean([miny, maxy]))


def _searched_metric_crs(geometry: object) -> CRS:
    try:
        return geometry.estimate_utm_crs()  # type: ignore[attr-defined]
    except RuntimeError:  # pyproj: "Unable to determine UTM CRS"
        _, miny, _, maxy = geometry.to_crs(4326).total_bounds  # type: ignore[attr-defined]
        return _epsg(32661 if miny + maxy >= 0 else 32761)


@functools.lru_cache(maxsize=256)
def _epsg(code: int) -> CRS:
    return CRS.from_epsg(code)
