"""Road-graph travel times on a tiny hand-made OSM file: every number here can be checked by hand.

The network (lat 60 °N, 0.001° of longitude ≈ 55.8 m):

    G(7) --footway-- A(1) --- B(2) --- C(3)          E(5) --- F(6)   (an island, 5.5 km north)
                      |                  |
                      +------ D(4) <-----+   (C → D one-way; D — A two-way)

A–B–C is residential with ``maxspeed=50``; C→D and D–A are residential without ``maxspeed``
(30 km/h by the class table); A–G is a footway (walking only).
"""

from __future__ import annotations

import logging
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geoalloc._errors import InputError
from geoalloc.parallel import chunked, run_map
from geoalloc.scenario import load_scenario
from geoalloc.travel import (
    NetworkOptions,
    RoadNetwork,
    compute_matrix,
    load_graph,
    service_areas,
    service_areas_for,
    travel_matrix,
)
from geoalloc.travel.speeds import parse_maxspeed
from tests.helpers import write_chicago_scenario

R_EARTH = 6_371_009.0
COORDS = {
    1: (25.000, 60.000),
    2: (25.001, 60.000),
    3: (25.002, 60.000),
    4: (25.001, 59.999),
    5: (25.000, 60.050),
    6: (25.001, 60.050),
    7: (24.999, 60.000),
}
WAYS = [
    (101, [1, 2, 3], {"highway": "residential", "maxspeed": "50", "name": "Main"}),
    (102, [3, 4], {"highway": "residential", "oneway": "yes"}),
    (103, [4, 1], {"highway": "residential"}),
    (104, [5, 6], {"highway": "residential", "name": "Island"}),
    (105, [1, 7], {"highway": "footway"}),
]


def write_osm(path, coords=COORDS, ways=WAYS):
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for node, (lon, lat) in coords.items():
        lines.append(f'  <node id="{node}" version="1" lat="{lat}" lon="{lon}"/>')
    for way, refs, tags in ways:
        lines.append(f'  <way id="{way}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def hav(a, b):
    (lon1, lat1), (lon2, lat2) = (np.radians(COORDS[a]), np.radians(COORDS[b]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * R_EARTH * math.asin(math.sqrt(h))


def minutes(metres, kph):
    return metres / (kph / 3.6) / 60


@pytest.fixture
def tiny_osm(tmp_path):
    return write_osm(tmp_path / "tiny.osm")


@pytest.fixture
def tiny(tiny_osm):
    return load_graph(tiny_osm, mode="drive")


def points(ids, lonlats, crs=4326):
    frame = gpd.GeoDataFrame(
        {"name": [str(i) for i in ids]},
        geometry=[Point(x, y) for x, y in lonlats],
        index=pd.Index(ids, name="id"),
        crs=4326,
    )
    return frame.to_crs(crs)


# ---------------------------------------------------------------- loading


def test_drive_graph_shape_oneway_and_dropped_island(tiny):
    assert isinstance(tiny, nx.MultiDiGraph)
    assert tiny.graph["crs"] == "epsg:4326"
    assert set(tiny.nodes) == {1, 2, 3, 4}  # footway excluded, island dropped
    assert tiny.graph["n_dropped_nodes"] == 2
    assert tiny.nodes[1]["x"] == 25.0 and tiny.nodes[1]["y"] == 60.0
    assert tiny.has_edge(3, 4) and not tiny.has_edge(4, 3)
    assert tiny.has_edge(4, 1) and tiny.has_edge(1, 4)
    edge = tiny.edges[1, 2, 0]
    assert edge["osmid"] == 101 and edge["highway"] == "residential" and edge["oneway"] is False
    assert edge["length"] == pytest.approx(hav(1, 2), rel=1e-12)
    assert edge["speed_kph"] == 50
    assert edge["travel_time"] == pytest.approx(hav(1, 2) / (50 / 3.6), rel=1e-12)
    assert tiny.edges[3, 4, 0]["oneway"] is True
    assert tiny.edges[4, 1, 0]["speed_kph"] == 30  # residential default


def test_walk_graph_is_bidirectional_and_uses_footways(tiny_osm):
    G = load_graph(tiny_osm, mode="walk")
    assert set(G.nodes) == {1, 2, 3, 4, 7}
    assert G.has_edge(4, 3) and G.has_edge(3, 4)
    assert {d["speed_kph"] for *_, d in G.edges(data=True)} == {5.0}


def test_speed_overrides_and_maxspeed_parsing(tiny_osm):
    G = load_graph(tiny_osm, mode="drive", speeds_kph={"residential": 20})
    assert G.edges[4, 1, 0]["speed_kph"] == 20  # untagged: the override
    assert G.edges[1, 2, 0]["speed_kph"] == 50  # tagged maxspeed wins
    assert parse_maxspeed("30 mph") == pytest.approx(48.28032)
    assert parse_maxspeed("50;30") == 40
    assert parse_maxspeed("FI:urban") == 50
    assert math.isnan(parse_maxspeed("none"))
    with pytest.raises(InputError, match="positive"):
        load_graph(tiny_osm, speeds_kph={"residential": -5})


def test_reversed_oneway_tag(tmp_path):
    ways = [*WAYS[:1], (102, [4, 3], {"highway": "residential", "oneway": "-1"}), *WAYS[2:]]
    G = load_graph(write_osm(tmp_path / "rev.osm", ways=ways))
    assert G.has_edge(3, 4) and not G.has_edge(4, 3)
    assert G.edges[3, 4, 0]["reversed"] is True


def test_roundabout_is_oneway(tmp_path):
    ways = [
        *WAYS[:1],
        (102, [3, 4], {"highway": "residential", "junction": "roundabout"}),
        *WAYS[2:],
    ]
    G = load_graph(write_osm(tmp_path / "rb.osm", ways=ways))
    assert G.has_edge(3, 4) and not G.has_edge(4, 3)


def test_graphml_round_trip(tiny, tmp_path):
    import osmnx as ox

    path = tmp_path / "tiny.graphml"
    ox.save_graphml(tiny, path)
    G = load_graph(path)
    a = travel_matrix(tiny, [1, 2, 3, 4], [1, 2, 3, 4]).minutes
    b = travel_matrix(G, [1, 2, 3, 4], [1, 2, 3, 4]).minutes
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


def test_place_goes_through_osmnx(monkeypatch, tiny_osm):
    """The online download, mocked at the osmnx boundary: geoalloc adds its speeds and the SCC."""
    import osmnx as ox

    calls = []

    def fake_graph_from_place(query, **kwargs):
        calls.append((query, kwargs))
        return ox.graph_from_xml(tiny_osm, simplify=False, retain_all=True)

    monkeypatch.setattr(ox, "graph_from_place", fake_graph_from_place)
    G = load_graph("place:Tinytown, Finland", mode="drive")
    assert calls == [
        ("Tinytown, Finland", {"network_type": "drive", "simplify": False, "retain_all": True})
    ]
    assert all("travel_time" in d for *_, d in G.edges(data=True))
    assert 5 not in G.nodes  # island dropped
    with pytest.raises(InputError, match="place name"):
        load_graph("place:")


# ---------------------------------------------------------------- bad input


def test_bad_sources(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_graph(tmp_path / "missing.osm.pbf")
    (tmp_path / "notes.osm").write_text("this is not xml")
    with pytest.raises(InputError, match="not readable OSM XML"):
        load_graph(tmp_path / "notes.osm")
    (tmp_path / "other.osm").write_text("<html><body/></html>")
    with pytest.raises(InputError, match="not OSM"):
        load_graph(tmp_path / "other.osm")
    (tmp_path / "junk.osm.pbf").write_bytes(b"\x00\x01garbage" * 100)
    with pytest.raises(InputError, match="not readable OSM PBF"):
        load_graph(tmp_path / "junk.osm.pbf")
    with pytest.raises(InputError, match="unknown format"):
        load_graph(tmp_path / "areas.gpkg")
    with pytest.raises(InputError, match="mode"):
        load_graph(tmp_path / "x.osm", mode="fly")


def test_empty_graphs(tmp_path):
    path = write_osm(tmp_path / "empty.osm", ways=[(1, [1, 2], {"building": "yes"})])
    with pytest.raises(InputError, match="no road usable"):
        load_graph(path)
    with pytest.raises(InputError, match="empty"):
        travel_matrix(nx.MultiDiGraph(crs="epsg:4326"), [], [])


def test_graph_without_travel_time_is_refused(tiny):
    H = tiny.copy()
    for *_, d in H.edges(data=True):
        del d["travel_time"]
    with pytest.raises(InputError, match="travel_time"):
        travel_matrix(H, [1], [2])


def test_points_need_a_crs_unique_ids_and_geometry(tiny):
    good = points([1, 2], [COORDS[1], COORDS[2]])
    with pytest.raises(InputError, match="no CRS"):
        travel_matrix(tiny, good.set_crs(None, allow_override=True), good)
    dup = points([1, 1], [COORDS[1], COORDS[2]])
    with pytest.raises(InputError, match="duplicate ids"):
        travel_matrix(tiny, dup, good)
    missing = good.copy()
    missing.loc[2, "geometry"] = None
    with pytest.raises(InputError, match="missing or empty geometry"):
        travel_matrix(tiny, missing, good)
    with pytest.raises(InputError, match="not in the graph"):
        travel_matrix(tiny, [1, 99], [2])
    with pytest.raises(InputError, match="max_minutes"):
        travel_matrix(tiny, [1], [2], max_minutes=-1)


# ---------------------------------------------------------------- matrix


def test_hand_checked_minutes_and_oneway(tiny):
    tm = travel_matrix(tiny, [3, 4], [3, 4])
    c_to_d = minutes(hav(3, 4), 30)
    d_to_c = minutes(hav(4, 1), 30) + minutes(hav(1, 2) + hav(2, 3), 50)
    expected = np.array([[0.0, c_to_d], [d_to_c, 0.0]])
    np.testing.assert_allclose(tm.minutes, expected, rtol=1e-12, atol=0)
    assert tm.minutes[0, 1] < tm.minutes[1, 0]  # one-way: C→D direct, D→C around
    long = tm.to_long()
    assert list(long.columns) == ["origin", "destination", "minutes"]
    assert len(long) == 4 and long["minutes"].min() == 0.0  # a real zero is kept


def test_forward_and_reverse_trees_agree(tiny):
    """Fewer origins than sites grows trees from origins: same answer either way."""
    many = travel_matrix(tiny, [1, 2, 3, 4], [3]).minutes
    few = travel_matrix(tiny, [3], [1, 2, 3, 4]).minutes
    full = travel_matrix(tiny, [1, 2, 3, 4], [1, 2, 3, 4]).minutes
    np.testing.assert_allclose(many[:, 0], full[:, 2], rtol=1e-12)
    np.testing.assert_allclose(few[0], full[2], rtol=1e-12)


def test_duplicate_edges_keep_the_minimum():
    network = RoadNetwork.from_arrays(
        np.array([0, 0, 1, 1, 0]),
        np.array([1, 1, 0, 2, 2]),
        np.array([10.0, 4.0, 3.0, 1.0, 100.0]),
        node_ids=np.array([10, 11, 12]),
        lon=np.array([25.0, 25.001, 25.002]),
        lat=np.array([60.0, 60.0, 60.0]),
    )
    # 12 cannot reach anyone: it is dropped from the strongly connected component
    assert list(network.node_ids) == [10, 11]
    assert network.forward[[0], [1]][0] == 4.0
    tm = travel_matrix(network, [10, 11], [10, 11])
    np.testing.assert_allclose(tm.minutes, np.array([[0, 4], [3, 0]]) / 60)


def test_points_snap_with_an_off_network_leg(tiny):
    # 0.0002° north of B (≈ 22.3 m) and exactly on D
    north_of_b = (25.001, 60.0002)
    origins = points(["o1", "o2"], [north_of_b, COORDS[4]])
    sites = points(["s"], [COORDS[3]])
    tm = travel_matrix(tiny, origins, sites, access_speed_kph=5.0)
    leg_m = tm.origin_snap_m[0]
    assert leg_m == pytest.approx(22.3, abs=0.2)
    assert tm.origin_snap_m[1] == pytest.approx(0.0, abs=1e-6)
    expected_o1 = minutes(leg_m, 5) + minutes(hav(2, 3), 50)
    assert tm.minutes[0, 0] == pytest.approx(expected_o1, rel=1e-9)
    assert tm.minutes[1, 0] == pytest.approx(
        minutes(hav(4, 1), 30) + minutes(hav(1, 2) + hav(2, 3), 50), rel=1e-9
    )
    assert tm.flags.empty


def test_points_in_another_crs_give_the_same_matrix(tiny):
    lonlats = [(25.0005, 60.0001), (25.0015, 59.9995), (25.002, 60.0003)]
    a = travel_matrix(tiny, points([1, 2, 3], lonlats), points(["s"], [COORDS[1]]))
    b = travel_matrix(
        tiny, points([1, 2, 3], lonlats, crs=3067), points(["s"], [COORDS[1]], crs=3857)
    )
    np.testing.assert_allclose(a.minutes, b.minutes, rtol=1e-9)


def test_point_outside_the_extent_is_flagged_not_snapped(tiny):
    origins = points(["near", "far"], [COORDS[2], (26.0, 61.0)])
    tm = travel_matrix(tiny, origins, points(["s"], [COORDS[3]]))
    assert np.isfinite(tm.minutes[0, 0]) and np.isinf(tm.minutes[1, 0])
    flag = tm.flags.set_index("id").loc["far"]
    assert flag["role"] == "origin" and flag["reason"] == "far_from_network"
    assert np.isnan(tm.origin_snap_m[1])
    assert tm.to_long()["origin"].tolist() == ["near"]


def test_far_snap_threshold_lies_within_the_hard_limit(tmp_path):
    """A far-snap flag beyond max_snap_m could never be raised (such points are not routed at
    all): the scenario is refused, naming both keys; at the limit it is accepted."""
    assert NetworkOptions(far_snap_m=2000.0, max_snap_m=2000.0).far_snap_m == 2000.0
    scenario = write_chicago_scenario(tmp_path, tmp_path, network={"far_snap_m": 5000})
    with pytest.raises(InputError) as caught:
        load_scenario(scenario)
    assert caught.value.exit_code == 3
    assert "far_snap_m = 5000 m is above max_snap_m = 2000 m" in str(caught.value)
    write_chicago_scenario(tmp_path, tmp_path, network={"far_snap_m": 5000, "max_snap_m": 6000})
    assert load_scenario(scenario).network.far_snap_m == 5000.0


def test_site_on_an_island(tiny):
    """The island's road (E–F) was dropped: a site there is far from every connected road."""
    sites = points(["mainland", "island"], [COORDS[2], COORDS[5]])
    tm = travel_matrix(tiny, [1, 3], sites)
    assert np.isinf(tm.minutes[:, 1]).all() and np.isfinite(tm.minutes[:, 0]).all()
    flag = tm.flags.set_index("id").loc["island"]
    assert flag["reason"] == "far_from_network"
    assert "not connected to the main network" in flag["detail"]
    # with a generous snapping distance it is snapped to the mainland, and still flagged
    tm = travel_matrix(tiny, [1], sites, max_snap_m=10_000)
    assert np.isfinite(tm.minutes).all()
    assert tm.flags.set_index("id").loc["island", "reason"] == "nearest_road_disconnected"


def test_cutoff_gives_sparse_pairs_within_it(tiny):
    full = travel_matrix(tiny, [1, 2, 3, 4], [1, 2, 3, 4]).minutes
    cut = 0.5 * (np.median(full[full > 0]) + np.max(full))  # strictly between entries
    tm = travel_matrix(tiny, [1, 2, 3, 4], [1, 2, 3, 4], max_minutes=cut)
    assert tm.is_sparse and tm.max_minutes == cut
    dense = tm.to_dense()
    within = full <= cut
    np.testing.assert_allclose(dense[within], full[within], rtol=1e-12)
    assert np.isinf(dense[~within]).all() and (~within).any()
    tm0 = travel_matrix(tiny, [1, 2], [1, 2, 3], max_minutes=0)
    assert tm0.to_long()["minutes"].tolist() == [0.0, 0.0]
    assert set(tm0.flags["reason"]) == {"none_within_max_minutes"}


def test_processes_give_the_same_answer(tiny):
    nodes = [1, 2, 3, 4]
    serial = travel_matrix(tiny, nodes, nodes, executor="serial").minutes
    parallel = travel_matrix(tiny, nodes, nodes, executor="processes", workers=2).minutes
    np.testing.assert_array_equal(serial, parallel)


def test_run_map_orders_results_and_rejects_unknown_executors():
    assert run_map(abs, [-3, 1, -2], executor="processes", workers=2) == [3, 1, 2]
    assert run_map(abs, [-1], executor="serial") == [1]
    with pytest.raises(ValueError, match="executor"):
        run_map(abs, [1], executor="threads")
    assert [list(c) for c in chunked(list(range(5)), 2)] == [[0, 1, 2], [3, 4]]
    assert chunked([], 3) == [[]]


# ---------------------------------------------------------------- scenario seam and cache


def test_compute_matrix_from_a_file_and_cache_hit(tiny_osm, tmp_path, monkeypatch, caplog):
    options = NetworkOptions(source=str(tiny_osm), mode="drive")
    origins = points(["a", "b"], [(25.0005, 60.0001), COORDS[4]])
    sites = points(["s1", "s2"], [COORDS[3], (26.0, 61.0)])
    cache = tmp_path / "cache"
    first = compute_matrix(options, origins, sites, cache_dir=cache)
    assert list(first.flags["reason"]) == ["far_from_network"]
    assert len(list((cache / "graphs").glob("*.npz"))) == 1
    assert len(list((cache / "matrices").glob("*.npz"))) == 1

    import geoalloc.travel.api as api

    def boom(*args, **kwargs):
        raise AssertionError("should have come from the cache")

    monkeypatch.setattr(api, "load_graph", boom)
    monkeypatch.setattr(api, "matrix_from_snapped", boom)
    with caplog.at_level(logging.INFO, logger="geoalloc.travel.api"):
        second = compute_matrix(options, origins, sites, cache_dir=cache)
    assert "routing skipped" in caplog.text
    np.testing.assert_array_equal(first.minutes, second.minutes)
    pd.testing.assert_frame_equal(first.flags, second.flags)
    np.testing.assert_array_equal(first.origin_snap_m, second.origin_snap_m)
    # a changed input (cut-off) is a miss, not a stale hit
    with pytest.raises(AssertionError, match="from the cache"):
        compute_matrix(options, origins, sites, cache_dir=cache, max_minutes=5)


def test_compute_matrix_cutoff_cache_round_trip(tiny_osm, tmp_path):
    options = NetworkOptions(source=str(tiny_osm))
    origins = points(["a", "b"], [COORDS[1], COORDS[4]])
    sites = points(["s"], [COORDS[3]])
    first = compute_matrix(options, origins, sites, max_minutes=0.2, cache_dir=tmp_path)
    second = compute_matrix(options, origins, sites, max_minutes=0.2, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(first.to_long(), second.to_long())
    assert second.is_sparse and second.max_minutes == 0.2


def test_compute_matrix_crowfly_still_works():
    options = NetworkOptions()
    tm = compute_matrix(options, points(["a"], [COORDS[1]]), points(["s"], [COORDS[5]]))
    assert tm.minutes[0, 0] == pytest.approx(minutes(hav(1, 5) * 1.3, 40), rel=1e-3)


# ---------------------------------------------------------------- service areas


def test_service_areas_nest_and_contain_the_site(tiny):
    sites = points(["s"], [COORDS[3]])
    areas = service_areas(tiny, sites, minutes=[0.1, 0.3, 2], buffer_m=20)
    assert areas.crs.to_epsg() == 4326
    assert list(areas.columns) == ["site", "minutes", "geometry"]
    assert areas["minutes"].tolist() == [0.1, 0.3, 2.0]
    assert areas.geometry.is_valid.all()
    assert set(areas.geom_type) <= {"Polygon", "MultiPolygon"}
    assert areas.geometry.contains(Point(COORDS[3])).all()
    metric = areas.to_crs(3067).geometry
    assert metric.iloc[0].area < metric.iloc[1].area < metric.iloc[2].area
    # 2 minutes reaches A from C at 50 km/h (≈ 8 s): the whole A–B–C street is inside
    assert areas.geometry.iloc[2].contains(Point(COORDS[1]))
    # 0.1 minute (6 s) does not reach A (≈ 8 s away)
    assert not areas.geometry.iloc[0].contains(Point(COORDS[1]))


def test_service_areas_for_crowfly_are_circles():
    options = NetworkOptions(speed_kph=60, circuity=1.5)
    areas = service_areas_for(options, points(["s"], [COORDS[1]]), minutes=[10])
    radius_m = 60_000 / 60 * 10 / 1.5
    area_m2 = areas.to_crs(areas.estimate_utm_crs()).geometry.iloc[0].area
    assert area_m2 == pytest.approx(math.pi * radius_m**2, rel=0.01)
    with pytest.raises(InputError, match="positive"):
        service_areas_for(options, points(["s"], [COORDS[1]]), minutes=[0])


def test_cutoff_with_many_points_per_node_equals_the_filtered_full_matrix(tiny):
    """Points that share nodes (both sides, both tree directions): sparse == dense filtered."""
    rng = np.random.default_rng(3)
    lonlat = np.column_stack([rng.uniform(24.9995, 25.0025, 40), rng.uniform(59.9985, 60.0005, 40)])
    layer = points(list(range(40)), lonlat.tolist())
    for origins, sites in ((layer.iloc[:30], layer.iloc[30:]), (layer.iloc[:4], layer.iloc[4:])):
        full = travel_matrix(tiny, origins, sites).minutes
        cut = float(np.median(full))
        sparse_tm = travel_matrix(tiny, origins, sites, max_minutes=cut)
        expected = np.where(full <= cut, full, np.inf)
        np.testing.assert_array_equal(np.isfinite(sparse_tm.to_dense()), np.isfinite(expected))
        np.testing.assert_allclose(
            sparse_tm.to_dense()[np.isfinite(expected)], expected[np.isfinite(expected)], rtol=1e-12
        )


def test_cutoff_pairs_are_compact_and_the_same_on_every_executor(tiny, monkeypatch):
    """One tree per task, so the pairs arrive task by task (in any order from the processes):
    the matrix holds int32 indices and float64 minutes, in the same order on every executor,
    and equals the dense matrix filtered at the cut-off."""
    import geoalloc.travel.routing as routing

    monkeypatch.setattr(routing, "TREES_PER_TASK", 1)
    rng = np.random.default_rng(5)
    lonlat = np.column_stack([rng.uniform(24.9995, 25.0025, 60), rng.uniform(59.9985, 60.0005, 60)])
    layer = points(list(range(60)), lonlat.tolist())
    for origins, sites in ((layer.iloc[:45], layer.iloc[45:]), (layer.iloc[:3], layer.iloc[3:])):
        full = travel_matrix(tiny, origins, sites).minutes
        cut = float(np.quantile(full, 0.7))
        runs = [
            travel_matrix(tiny, origins, sites, max_minutes=cut, executor=executor, workers=2)
            for executor in ("serial", "processes")
        ]
        for tm in runs:
            coo = tm.minutes
            assert coo.row.dtype == np.int32 and coo.col.dtype == np.int32
            assert coo.data.dtype == np.float64
            np.testing.assert_array_equal(tm.to_dense(), np.where(full <= cut, full, np.inf))
        first, second = (tm.minutes for tm in runs)
        for name in ("row", "col", "data"):
            np.testing.assert_array_equal(getattr(first, name), getattr(second, name))


def test_service_areas_for_a_network_scenario_use_the_cached_graph(tiny_osm, tmp_path):
    options = NetworkOptions(source=str(tiny_osm))
    sites = points(["s", "island"], [COORDS[3], COORDS[5]])
    first = service_areas_for(options, sites, minutes=[1], cache_dir=tmp_path)
    again = service_areas_for(options, sites, minutes=[1], cache_dir=tmp_path)
    assert first["site"].tolist() == ["s"]  # the island site is not snapped: no area
    assert first.geometry.iloc[0].equals(again.geometry.iloc[0])
    assert len(list((tmp_path / "graphs").glob("*.npz"))) == 1
