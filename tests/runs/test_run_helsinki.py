"""Central Helsinki end to end on the real OSM network (.osm.bz2) and the HSY population grid.

The shared data has no hospitals for Helsinki, so the test makes a facilities file from the real grid:
the centroids of the 12 most populous cells become candidate sites, 3 of them existing.
"""

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest

pytestmark = pytest.mark.slow


def test_helsinki_runs_end_to_end(tmp_path: Path, shared_data: Path, write_scenario) -> None:
    folder = shared_data / "helsinki_central"
    grid = gpd.read_file(folder / "helsinki_population_grid_2020.gpkg")
    top = grid.sort_values("population", ascending=False).head(12)
    sites = gpd.GeoDataFrame(
        {
            "site_id": [f"S{i:02d}" for i in range(len(top))],
            "name": [f"site in cell {c}" for c in top["id"]],
            "beds": [25.0] * len(top),
            "candidate": [i >= 3 for i in range(len(top))],
        },
        geometry=top.to_crs(3067).centroid.to_crs(4326).to_numpy(),
        crs=4326,
    )
    sites.to_file(tmp_path / "sites.gpkg")
    scenario = write_scenario(
        tmp_path,
        name="helsinki-test",
        areas={
            "path": folder / "helsinki_population_grid_2020.gpkg",
            "id": "id",
            "population": "population",
        },
        facilities={
            "path": "sites.gpkg",
            "id": "site_id",
            "name": "name",
            "capacity": {"beds": "beds"},
            "candidate": "candidate",
        },
        network={"source": folder / "helsinki_centre_all_ways_2024-08-21.osm.bz2", "mode": "drive"},
        demand={
            "resource": "beds",
            "admissions_per_1000": {"all": 120.0},
            "los_days": 5.0,
            "occupancy_target": 0.85,
        },
        optimize={"model": "capacitated", "p": 5, "max_minutes": 5, "time_limit_s": 60},
    )
    result = subprocess.run(
        [sys.executable, "-m", "geoalloc", "run", str(scenario), "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    out = tmp_path / "maps" / "helsinki-test"
    areas = gpd.read_file(out / "results.gpkg", layer="areas")
    assert len(areas) == len(grid) == 92
    assert summary["served"]["beds"] + summary["unmet"]["beds"] == pytest.approx(
        summary["demand"]["beds"]
    )
    assert summary["plan"]["sites_open"] == 5
    # cells outside the road extract are flagged, not dropped
    assert set(areas["status"]) <= {
        "served",
        "partly served",
        "unserved",
        "unreachable",
        "no demand",
    }
    assert (areas.loc[areas["status"] == "served", "minutes"] <= 5 + 1e-9).all()
