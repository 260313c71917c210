"""Great-circle distance on a spherical Earth: the one haversine of the travel engines."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

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
