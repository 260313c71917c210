"""Crow-fly travel times: great-circle distance × circuity ÷ speed, for regions without roads."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from scipy import sparse

from geoalloc.travel.geodesy import haversine_m
from geoalloc.travel.matrix import TravelMatrix
from geoalloc.travel.snap import point_layer

_CHUNK_PAIRS = 4_000_000  # bounds the memory of one dense block


def lonlat_degrees(points: gpd.GeoDataFrame, role: str = "point") -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude in degrees (WGS 84) of each row's point (polygons: a representative
    point), checked."""
    geographic = point_layer(points, role).to_crs(4326)
    return geographic.x.to_numpy(), geographic.y.to_numpy()


def crowfly_matrix(
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    speed_kph: float = 40.0,
    circuity: float = 1.3,
    max_minutes: float | None = None,
) -> TravelMatrix:
    """Travel minutes between point layers as great-circle metres × ``circuity`` ÷ ``speed_kph``
    (:func:`~geoalloc.travel.geodesy.haversine_m` on the mean Earth radius).

    Parameters
    ----------
    origins, destinations
        GeoDataFrames in any CRS (they must have one), indexed by unique ids; polygons use a
        representative point.
    speed_kph
        Average speed along the road, km/h.
    circuity
        Ratio of road distance to great-circle distance (1.2–1.4 is typical for road networks).
    max_minutes
        If set, only pairs within this many minutes are kept (sparse result).
    """
    olon, olat = lonlat_degrees(origins, "origin")
    dlon, dlat = lonlat_degrees(destinations, "destination")
    metres_per_minute = speed_kph * 1000.0 / 60.0
    n, m = len(olon), len(dlon)
    rows_per_chunk = max(1, _CHUNK_PAIRS // max(m, 1))
    blocks = []
    for start in range(0, n, rows_per_chunk):
        stop = min(n, start + rows_per_chunk)
        metres = haversine_m(
            olon[start:stop, None], olat[start:stop, None], dlon[None, :], dlat[None, :]
        )
        blocks.append(metres * circuity / metres_per_minute)
    dense = np.vstack(blocks) if blocks else np.empty((n, m))
    if max_minutes is None:
        minutes: np.ndarray | sparse.coo_array = dense
    else:
        rows, cols = np.nonzero(dense <= max_minutes)
        minutes = sparse.coo_array((dense[rows, cols], (rows, cols)), shape=(n, m))
    return TravelMatrix(
        origin_ids=origins.index.copy(),
        destination_ids=destinations.index.copy(),
        minutes=minutes,
        max_minutes=max_minutes,
    )
