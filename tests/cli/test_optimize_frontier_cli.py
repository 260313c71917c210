"""``geoalloc frontier`` on the Chicago scenario with a district-like group (needs the pipeline)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tests.helpers import write_chicago_scenario

pytest.importorskip(
    "geoalloc.runs.planning", reason="the frontier command runs on the pipeline's inputs"
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, shared_data):
    import geopandas as gpd

    folder = tmp_path_factory.mktemp("frontier")
    tracts = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_tracts_pop.gpkg")
    # a group per 100-block of tract codes: a stand-in for districts
    tracts["district"] = "d" + tracts["TRACTCE"].str[:2]
    areas = folder / "tracts.gpkg"
    tracts.to_file(areas, driver="GPKG")
    groups = {"equity_group_column": "district"}
    return write_chicago_scenario(folder, shared_data, areas=areas, optimize=groups)


def test_frontier_trades_minutes_for_the_worst_group(scenario):
    from geoalloc.cli import cli

    result = CliRunner().invoke(cli, ["frontier", str(scenario), "--floors", "0,0.9,1", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["floor"] for r in rows] == [0.0, 0.9, 1.0]
    solved = [r for r in rows if r["status"] in ("optimal", "feasible")]
    assert solved[0]["floor"] == 0.0
    for row in solved:
        assert row["worst_group_coverage"] >= row["floor"] - 1e-6
    means = [r["mean_minutes"] for r in solved]
    assert means == sorted(means)  # a higher floor never shortens the mean trip


def test_frontier_without_group_column_exits_3(tmp_path, shared_data):
    path = write_chicago_scenario(tmp_path, shared_data)
    done = subprocess.run(
        [sys.executable, "-m", "geoalloc", "frontier", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 3
    assert "equity_group_column" in done.stderr
