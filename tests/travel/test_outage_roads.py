"""Roads cut (or slowed) inside closure polygons, on the real central-Helsinki OSM network."""

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point

from geoalloc.travel import NetworkOptions, load_network

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def helsinki(shared_data: Path):
    options = NetworkOptions(
        source=str(shared_data / "helsinki_central" / "helsinki_centre_all_ways_2024-08-21.osm.bz2")
    )
    return load_network(options)


def _zone(lon: float, lat: float, metres: float) -> gpd.GeoDataFrame:
    point = gpd.GeoSeries([Point(lon, lat)], crs=4326).to_crs(3067)
    return gpd.GeoDataFrame(geometry=point.buffer(metres).to_crs(4326), crs=4326)


def _segments(network):
    coo = network.forward.tocoo()
    lines = shapely.linestrings(
        np.stack(
            [
                np.column_stack([network.lon[coo.row], network.lat[coo.row]]),
                np.column_stack([network.lon[coo.col], network.lat[coo.col]]),
            ],
            axis=1,
        )
    )
    return coo, lines


def test_cut_removes_every_edge_touching_the_zone(helsinki) -> None:
    zone = _zone(24.9384, 60.1699, 200).geometry.union_all()
    cut = helsinki.with_closures(zone)
    _, lines = _segments(cut)
    assert not shapely.intersects(lines, zone).any()
    _, before = _segments(helsinki)
    touching = int(shapely.intersects(before, zone).sum())
    assert touching > 20
    assert cut.forward.nnz <= helsinki.forward.nnz - touching
    assert cut.content_hash != helsinki.content_hash


def test_slowdown_multiplies_exactly_the_touching_edges(helsinki) -> None:
    zone = _zone(24.9384, 60.1699, 200).geometry.union_all()
    slow = helsinki.with_closures(zone, slowdown_factor=3.0)
    assert slow.forward.nnz == helsinki.forward.nnz
    coo, lines = _segments(helsinki)
    hit = shapely.intersects(lines, zone)
    ratio = slow.forward.tocoo().data / coo.data  # same structure, same order
    np.testing.assert_allclose(ratio[hit], 3.0)
    np.testing.assert_allclose(ratio[~hit], 1.0)


def test_run_with_roads_cut_lists_who_lost_access(
    tmp_path: Path, shared_data: Path, write_scenario
) -> None:
    folder = shared_data / "helsinki_central"
    grid = gpd.read_file(folder / "helsinki_population_grid_2020.gpkg")
    sites = gpd.GeoDataFrame(
        {"site_id": ["kamppi", "kruununhaka"], "beds": [200.0, 200.0]},
        geometry=[Point(24.9320, 60.1690), Point(24.9560, 60.1720)],
        crs=4326,
    )
    sites.to_file(tmp_path / "sites.gpkg")
    _zone(24.9384, 60.1699, 250).to_file(tmp_path / "flood.gpkg")
    sections = {
        "areas": {
            "path": folder / "helsinki_population_grid_2020.gpkg",
            "id": "id",
            "population": "population",
        },
        "facilities": {"path": "sites.gpkg", "id": "site_id", "capacity": {"beds": "beds"}},
        "network": {"source": folder / "helsinki_centre_all_ways_2024-08-21.osm.bz2"},
        "demand": {"admissions_per_1000": {"all": 120.0}},
        "optimize": {"model": "capacitated", "max_minutes": 3},
    }
    write_scenario(tmp_path, name="closure", file="base.toml", **sections)
    write_scenario(
        tmp_path,
        name="closure-cut",
        file="cut.toml",
        outage={"road_closures": "flood.gpkg"},
        **sections,
    )

    def geoalloc(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "geoalloc", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )

    for name in ("base", "cut"):
        done = geoalloc("-q", "run", f"{name}.toml", "--out", name)
        assert done.returncode == 0, done.stderr
    compared = geoalloc("compare", "base", "cut", "--json")
    assert compared.returncode == 0, compared.stderr
    result = json.loads(compared.stdout)
    assert result["kpis"]["minutes_mean"]["change"] > 0
    assert len(result["areas_lost_access"]) > 0  # listed, with their minutes before and after
    for row in result["areas_lost_access"]:
        assert row["minutes_b"] is None or row["minutes_b"] > 3
    cut = gpd.read_file(tmp_path / "cut" / "results.gpkg", layer="areas")
    assert len(cut) == len(grid)  # nobody dropped: they are flagged instead


def test_road_closures_need_a_road_network(tmp_path: Path, shared_data: Path) -> None:
    from click.testing import CliRunner

    from geoalloc.cli import cli
    from tests.helpers import write_chicago_scenario

    _zone(-87.63, 41.88, 500).to_file(tmp_path / "flood.gpkg")
    scenario = write_chicago_scenario(tmp_path, shared_data, outage={"road_closures": "flood.gpkg"})
    result = CliRunner().invoke(cli, ["validate", str(scenario)])
    assert result.exit_code == 3
    assert "road closures need a road network, not crowfly" in result.output
