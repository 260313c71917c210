"""The one haversine: known distances, osmnx as an independent oracle, broadcasting, both engines."""

from __future__ import annotations

import math

import numpy as np
import pytest

gpd = pytest.importorskip("geopandas")
ox = pytest.importorskip("osmnx")

from shapely.geometry import Point  # noqa: E402

from geoalloc.travel import crowfly_matrix  # noqa: E402
from geoalloc.travel.geodesy import EARTH_RADIUS_M, OSMNX_EARTH_RADIUS_M, haversine_m  # noqa: E402

HELSINKI = (24.9384, 60.1699)  # lon, lat: Senate Square
TALLINN = (24.7536, 59.4370)  # Town Hall Square


def test_one_degree_on_the_equator_and_a_quarter_meridian():
    assert EARTH_RADIUS_M == 6_371_008.8
    # 2πR / 360 = 111 195.08 m
    assert float(haversine_m(0.0, 0.0, 1.0, 0.0)) == pytest.approx(111_195.08, abs=0.005)
    assert float(haversine_m(0.0, 0.0, 0.0, 1.0)) == pytest.approx(111_195.08, abs=0.005)
    # equator to pole: πR / 2
    assert float(haversine_m(10.0, 0.0, 10.0, 90.0)) == pytest.approx(math.pi * EARTH_RADIUS_M / 2)
    assert float(haversine_m(0.0, 0.0, 1.0, 0.0, radius_m=OSMNX_EARTH_RADIUS_M)) == pytest.approx(
        2 * math.pi * 6_371_009.0 / 360, rel=1e-15
    )


def test_helsinki_tallinn_matches_osmnx():
    metres = float(haversine_m(*HELSINKI, *TALLINN, radius_m=OSMNX_EARTH_RADIUS_M))
    assert metres == pytest.approx(82_148, abs=1)  # ≈ 82.1 km across the Gulf of Finland
    oracle = ox.distance.great_circle(HELSINKI[1], HELSINKI[0], TALLINN[1], TALLINN[0])
    assert metres == pytest.approx(oracle, rel=1e-12)


def test_vectorised_broadcast_symmetric_and_zero_on_itself():
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(-180, 180, 5), rng.uniform(-85, 85, 5)
    d = haversine_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    assert d.shape == (5, 5)
    np.testing.assert_allclose(d, d.T, rtol=1e-12)
    np.testing.assert_allclose(np.diag(d), 0.0, atol=1e-6)
    oracle = ox.distance.great_circle(
        lat[:, None], lon[:, None], lat[None, :], lon[None, :], earth_radius=EARTH_RADIUS_M
    )
    np.testing.assert_allclose(d, oracle, rtol=1e-9, atol=1e-6)
    # antipodes: half the circumference, not NaN from rounding above 1
    assert float(haversine_m(0.0, 0.0, 180.0, 0.0)) == pytest.approx(math.pi * EARTH_RADIUS_M)


def test_crowfly_minutes_are_haversine_times_circuity_over_speed():
    def layer(name, lonlat):
        return gpd.GeoDataFrame(geometry=[Point(lonlat)], index=[name], crs=4326)

    tm = crowfly_matrix(layer("hki", HELSINKI), layer("tll", TALLINN), speed_kph=60, circuity=1.2)
    metres = float(haversine_m(*HELSINKI, *TALLINN))
    assert tm.minutes[0, 0] == pytest.approx(metres * 1.2 / 1000.0, rel=1e-12)  # 60 km/h: 1 km/min


def test_crowfly_service_areas_too_wide_or_too_small_are_not_drawn(caplog):
    """A circle thousands of km wide folds over the antimeridian in any local projection (the map
    then crashed: 'Unable to determine UTM CRS'); one of a femtometre is empty. Neither is drawn;
    the too-wide ones are named in a warning. Circles of a sensible size are unchanged."""
    from geoalloc.travel.isochrones import MAX_CIRCLE_M, crowfly_service_areas

    sites = gpd.GeoDataFrame(geometry=[Point(HELSINKI), Point(TALLINN)], index=["h", "t"], crs=4326)
    with caplog.at_level("WARNING", logger="geoalloc.travel.isochrones"):
        wide = crowfly_service_areas(sites, [15, 30], speed_kph=1e6, circuity=1.3)
    assert wide.empty
    assert "service areas of 15, 30 minutes not drawn" in caplog.text
    tiny = crowfly_service_areas(sites, [30], speed_kph=5.9e-204, circuity=1.3)
    assert tiny.empty
    # 30 km/h for 15 and 30 minutes (9.6 and 19.2 km at circuity 1.3) are drawn; 60 000 minutes
    # (23 000 km) are not
    mixed = crowfly_service_areas(sites, [15, 30, 60_000], speed_kph=30, circuity=1.3)
    assert sorted(set(mixed["minutes"])) == [15, 30]
    radius_m = 30 * 1000 / 60 * 30 / 1.3
    area_m2 = mixed[mixed["minutes"] == 30].to_crs(3067).area
    assert area_m2.to_numpy() == pytest.approx(math.pi * radius_m**2, rel=0.01)
    assert 30 * 1000 / 60 * 60_000 / 1.3 > MAX_CIRCLE_M
