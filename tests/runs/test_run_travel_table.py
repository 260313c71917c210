"""A plan from a travel table equals the plan from the network the table was computed on.

Central Helsinki on the real OSM network (.osm.bz2) and the HSY population grid, as in
``test_run_helsinki``, with each cell's trips starting at its centroid (``[areas] origins``).
``geoalloc travel`` writes the table from those centroids to the sites (CSV, and Parquet); a
scenario with ``[network] source = "matrix"`` plans from it, and its outputs are those of the plan
routed on the OSM file. A table without the rows of one cell runs as a subprocess (exit 0, every
output, the cell kept and flagged, no service areas) and a table with an unknown id exits 3.
Everything goes through the command line and the files it writes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from tests.helpers import REPO_ROOT, write_scenario

pytestmark = pytest.mark.slow

OSM = "helsinki_central/helsinki_centre_all_ways_2024-08-21.osm.bz2"
GRID = "helsinki_central/helsinki_population_grid_2020.gpkg"
HORIZON = 15  # [optimize] max_minutes 5 × the runs' horizon factor 3


def _geoalloc(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``geoalloc`` as a subprocess running this checkout's code, wherever it is installed from."""
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-m", "geoalloc", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=900,
    )


def _scenario(folder: Path, shared_data: Path, name: str, network: dict[str, object]) -> Path:
    return write_scenario(
        folder,
        name=name,
        file=f"{name}.toml",
        areas={
            "path": shared_data / GRID,
            "id": "id",
            "population": "population",
            "origins": {"path": "origins.gpkg", "id": "cell"},
        },
        facilities={
            "path": "sites.gpkg",
            "id": "site_id",
            "name": "name",
            "capacity": {"beds": "beds"},
            "candidate": "candidate",
        },
        network=network,
        demand={
            "resource": "beds",
            "admissions_per_1000": {"all": 120.0},
            "los_days": 5.0,
            "occupancy_target": 0.85,
        },
        optimize={"model": "capacitated", "p": 5, "max_minutes": 5, "time_limit_s": 60},
    )


def _run(scenario: Path) -> Path:
    """``geoalloc run`` in process; the run folder."""
    out = scenario.with_suffix("")
    result = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _layer(out: Path, name: str) -> pd.DataFrame:
    return pd.DataFrame(gpd.read_file(out / "results.gpkg", layer=name))


def _assert_close(value: object, expected: object, where: str) -> None:
    """Equal, numbers to 1e-9: the table's minutes were routed by another process, from the same
    points read through another reader (the last bits of a float may differ)."""
    if isinstance(expected, dict):
        assert isinstance(value, dict) and value.keys() == expected.keys(), where
        for key in expected:
            _assert_close(value[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(value, list) and len(value) == len(expected), where
        for i, (a, b) in enumerate(zip(value, expected, strict=True)):
            _assert_close(a, b, f"{where}[{i}]")
    elif isinstance(expected, float):
        assert value == pytest.approx(expected, rel=1e-9, abs=1e-9), where
    else:
        assert value == expected, where


@pytest.fixture(scope="module")
def folder(tmp_path_factory, shared_data: Path) -> Path:
    """Sites (the centroids of the 12 most populous cells, 3 existing), each cell's centroid as
    its trips' origin, and the travel tables ``geoalloc travel`` writes between them."""
    folder = tmp_path_factory.mktemp("travel-table")
    grid = gpd.read_file(shared_data / GRID)
    centroids = grid.to_crs(3067).centroid.to_crs(4326)
    gpd.GeoDataFrame({"cell": grid["id"]}, geometry=centroids, crs=4326).to_file(
        folder / "origins.gpkg"
    )
    top = grid.sort_values("population", ascending=False).head(12)
    gpd.GeoDataFrame(
        {
            "site_id": [f"S{i:02d}" for i in range(len(top))],
            "name": [f"site in cell {c}" for c in top["id"]],
            "beds": [25.0] * len(top),
            "candidate": [i >= 3 for i in range(len(top))],
        },
        geometry=centroids.loc[top.index].to_numpy(),
        crs=4326,
    ).to_file(folder / "sites.gpkg")
    for name in ("od.csv", "od.parquet"):
        result = _geoalloc(
            "travel",
            "--network",
            str(shared_data / OSM),
            "--origins",
            "origins.gpkg",
            "--origin-id",
            "cell",
            "--destinations",
            "sites.gpkg",
            "--destination-id",
            "site_id",
            "--max-minutes",
            str(HORIZON),
            "--cache-dir",
            "cache",
            "--out",
            name,
            cwd=folder,
        )
        assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture(scope="module")
def osm_run(folder: Path, shared_data: Path) -> Path:
    return _run(_scenario(folder, shared_data, "osm", {"source": shared_data / OSM}))


@pytest.mark.parametrize("table", ["od.csv", "od.parquet"])
def test_a_plan_from_the_table_is_the_plan_from_the_network(
    folder: Path, shared_data: Path, osm_run: Path, table: str
) -> None:
    network = {"source": "matrix", "path": table}  # relative to the scenario file
    out = _run(_scenario(folder, shared_data, f"table-{table.replace('.', '-')}", network))
    # a table snaps nothing: no distance to the roads (snap_m), nothing joined far
    snapped = ["snap_m", "far_snap"]
    for name in ("facilities", "areas"):
        layer = _layer(out, name)
        assert layer["snap_m"].isna().all() and not layer["far_snap"].any()
        assert _layer(osm_run, name)["snap_m"].notna().all()
    pd.testing.assert_frame_equal(
        _layer(out, "facilities").drop(columns=snapped),
        _layer(osm_run, "facilities").drop(columns=snapped),
    )
    pd.testing.assert_frame_equal(_layer(out, "assignments"), _layer(osm_run, "assignments"))
    areas, routed = _layer(out, "areas"), _layer(osm_run, "areas")
    pd.testing.assert_frame_equal(
        areas.drop(columns=["travel_flag", *snapped]),
        routed.drop(columns=["travel_flag", *snapped]),
    )
    # routing notes the one cell whose nearest road is disconnected and the cells whose centre is
    # more than 300 m from a road (all reached all the same); a table knows no roads: every cell
    # has a pair within the horizon, nothing is flagged
    flags = routed["travel_flag"].value_counts().to_dict()
    assert flags == {"nearest_road_disconnected": 1, "far_snap": 6}
    assert routed.loc[routed["far_snap"], "snap_m"].between(300, 460).all()
    assert areas["travel_flag"].isna().all()
    summary, routed_summary = (json.loads((o / "summary.json").read_text()) for o in (out, osm_run))
    for key in ("demand", "served", "unmet", "plan"):
        _assert_close(summary[key], routed_summary[key], key)
    solver, routed_solver = summary["solver"], routed_summary["solver"]
    assert solver["status"] == routed_solver["status"] == "optimal"
    assert solver["objective"] == pytest.approx(routed_solver["objective"], rel=1e-9)


def test_geoalloc_run_from_a_table_without_the_rows_of_one_cell(
    folder: Path, shared_data: Path
) -> None:
    table = pd.read_parquet(folder / "od.parquet")
    assert table["origin"].dtype.kind == "i"  # the cells' ids as numbers: matched as text
    table[table["origin"] != 0].to_parquet(folder / "od-without-0.parquet", index=False)
    network = {"source": "matrix", "path": "od-without-0.parquet"}
    scenario = _scenario(folder, shared_data, "table-run", network)
    result = _geoalloc("run", str(scenario), "--json", cwd=folder)
    assert result.returncode == 0, result.stderr
    out = folder / json.loads(result.stdout)["out_dir"]  # relative to where it ran
    assert {"map.html", "report.html", "results.gpkg", "summary.json", "manifest.json"} <= {
        p.name for p in out.iterdir()
    }
    areas = _layer(out, "areas").set_index("area_id")
    assert len(areas) == 92  # the cell is kept, unreachable and flagged
    assert areas.loc["0", "status"] == "unreachable"
    assert areas.loc["0", "travel_flag"] == "none_within_max_minutes"
    assert areas["travel_flag"].notna().sum() == 1
    assert len(_layer(out, "service_areas")) == 0  # a table has no roads to draw them from
    manifest = json.loads((out / "manifest.json").read_text())
    table_path = str(folder / "od-without-0.parquet")
    assert table_path in manifest["inputs"]  # hashed as every input is
    assert manifest["scenario"]["network"]["path"] == table_path


def test_an_unknown_id_in_the_table_exits_3_naming_file_column_and_id(
    folder: Path, shared_data: Path
) -> None:
    table = pd.read_csv(folder / "od.csv", dtype=str)
    table.loc[0, "destination"] = "S99"
    table.to_csv(folder / "typo.csv", index=False)
    scenario = _scenario(folder, shared_data, "typo", {"source": "matrix", "path": "typo.csv"})
    result = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(folder / "typo-out")])
    assert result.exit_code == 3, result.output
    assert (
        f"travel table {folder / 'typo.csv'}: 1 id(s) in column 'destination' match none of the "
        "12 destinations (ids such as S00, S01, S02 (and 9 more)) (ids: S99)"
    ) in result.stderr
    assert not (folder / "typo-out").exists()
    checked = CliRunner().invoke(cli, ["validate", str(scenario)])  # validate reads the table too
    assert checked.exit_code == 3, checked.output
    assert "(ids: S99)" in checked.stderr
