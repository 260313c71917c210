"""A plan from a travel table equals the plan from the network the table was computed on.

Central Helsinki on the real OSM network (.osm.bz2) and the HSY population grid, as in
``test_run_helsinki``: ``geoalloc travel`` writes the areas-to-sites table (CSV, and Parquet), a
scenario with ``[network] source = "matrix"`` plans from it, and the allocation is the one planned
by routing on the OSM file. The table's run is also run as a subprocess (exit 0, every output,
an empty service-areas layer) and a table with an unknown id fails with exit 3.
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
from geoalloc.pipeline import RunResult, check_inputs, run_scenario
from geoalloc.scenario import load_scenario

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]

OSM = "helsinki_central/helsinki_centre_all_ways_2024-08-21.osm.bz2"
GRID = "helsinki_central/helsinki_population_grid_2020.gpkg"
HORIZON = 15  # [optimize] max_minutes 5 × the pipeline's horizon factor 3
SCENARIO = """\
name = "{name}"

[areas]
path = "{grid}"
id = "id"
population = "population"

[facilities]
path = "sites.gpkg"
id = "site_id"
name = "name"
capacity = {{ beds = "beds" }}
candidate = "candidate"

[network]
{network}

[demand]
resource = "beds"
admissions_per_1000 = {{ all = 120.0 }}
los_days = 5.0
occupancy_target = 0.85

[optimize]
model = "capacitated"
p = 5
max_minutes = 5
time_limit_s = 60
"""


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


def _scenario(folder: Path, shared_data: Path, name: str, network: str) -> Path:
    path = folder / f"{name}.toml"
    grid = (shared_data / GRID).as_posix()
    path.write_text(SCENARIO.format(name=name, grid=grid, network=network), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory, shared_data: Path) -> Path:
    """Sites (the centroids of the 12 most populous cells, 3 existing), the OSM scenario, the
    areas' trip origins as points, and the travel tables ``geoalloc travel`` writes for them."""
    folder = tmp_path_factory.mktemp("travel-table")
    grid = gpd.read_file(shared_data / GRID)
    top = grid.sort_values("population", ascending=False).head(12)
    gpd.GeoDataFrame(
        {
            "site_id": [f"S{i:02d}" for i in range(len(top))],
            "name": [f"site in cell {c}" for c in top["id"]],
            "beds": [25.0] * len(top),
            "candidate": [i >= 3 for i in range(len(top))],
        },
        geometry=top.to_crs(3067).centroid.to_crs(4326).to_numpy(),
        crs=4326,
    ).to_file(folder / "sites.gpkg")
    osm = _scenario(folder, shared_data, "osm", f'source = "{(shared_data / OSM).as_posix()}"')
    origins = check_inputs(load_scenario(osm)).area_points  # where the pipeline routes from
    gpd.GeoDataFrame(
        {"cell": origins.index.astype(int)}, geometry=origins.geometry.to_numpy(), crs=origins.crs
    ).to_file(folder / "origins.gpkg")
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
def osm_run(folder: Path) -> RunResult:
    return run_scenario(load_scenario(folder / "osm.toml"))


def _assert_same_plan(table_run: RunResult, osm_run: RunResult) -> None:
    plan, routed = table_run.allocation, osm_run.allocation
    assert plan.status == routed.status == "optimal"
    pd.testing.assert_frame_equal(plan.sites, routed.sites)
    pd.testing.assert_frame_equal(plan.assignments, routed.assignments)
    pd.testing.assert_frame_equal(plan.unmet, routed.unmet)
    assert plan.objective == pytest.approx(routed.objective, rel=1e-9)
    for key in ("demand", "served", "unmet", "plan"):
        assert table_run.summary[key] == osm_run.summary[key]
    areas, routed_areas = table_run.layers["areas"], osm_run.layers["areas"]
    pd.testing.assert_series_equal(areas["status"], routed_areas["status"])
    pd.testing.assert_series_equal(areas["minutes"], routed_areas["minutes"])
    # routing notes a cell whose nearest road is disconnected (it is still reached); a table
    # knows no roads: every cell has a pair within the horizon, so nothing is flagged
    assert routed_areas["travel_flag"].notna().sum() == 1
    assert areas["travel_flag"].isna().all()


@pytest.mark.parametrize("table", ["od.csv", "od.parquet"])
def test_a_plan_from_the_table_is_the_plan_from_the_network(
    folder: Path, shared_data: Path, osm_run: RunResult, table: str
) -> None:
    network = f'source = "matrix"\npath = "{table}"'  # relative to the scenario file
    scenario = _scenario(folder, shared_data, f"table-{table.replace('.', '-')}", network)
    written = pd.read_csv(folder / table) if table.endswith(".csv") else None
    if written is not None:
        assert list(written.columns) == ["origin", "destination", "minutes"]
    _assert_same_plan(run_scenario(load_scenario(scenario)), osm_run)


def test_geoalloc_run_from_a_table(folder: Path, shared_data: Path) -> None:
    """A cell without rows in the table is unreachable: flagged, kept in every output."""
    table = pd.read_parquet(folder / "od.parquet")
    assert table["origin"].dtype.kind == "i"  # the cells' ids as numbers: matched as text
    table[table["origin"] != 0].to_parquet(folder / "od-without-0.parquet", index=False)
    network = 'source = "matrix"\npath = "od-without-0.parquet"'
    scenario = _scenario(folder, shared_data, "table-run", network)
    result = _geoalloc("run", str(scenario), "--json", cwd=folder)
    assert result.returncode == 0, result.stderr
    out = folder / json.loads(result.stdout)["out_dir"]  # relative to where it ran
    assert {"map.html", "report.html", "results.gpkg", "summary.json", "manifest.json"} <= {
        p.name for p in out.iterdir()
    }
    areas = gpd.read_file(out / "results.gpkg", layer="areas").set_index("area_id")
    assert len(areas) == 92
    assert areas.loc["0", "status"] == "unreachable"
    assert areas.loc["0", "travel_flag"] == "none_within_max_minutes"
    assert areas["travel_flag"].notna().sum() == 1
    service_areas = gpd.read_file(out / "results.gpkg", layer="service_areas")
    assert len(service_areas) == 0  # a table has no roads to draw them from
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
    scenario = _scenario(folder, shared_data, "typo", 'source = "matrix"\npath = "typo.csv"')
    result = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(folder / "typo-out")])
    assert result.exit_code == 3, result.output
    assert (
        f"travel table {folder / 'typo.csv'}: 1 id(s) in column 'destination' match none of the "
        "12 destinations (ids such as S00, S01, S02 (and 9 more)) (ids: S99)"
    ) in result.stderr
    assert not (folder / "typo-out").exists()
