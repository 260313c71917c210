"""Outages (a hospital out of service) and `geoalloc compare` on the real Chicago data."""

import json
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from geoalloc.pipeline import run_scenario, write_run
from geoalloc.scenario import load_scenario
from tests.helpers import write_chicago_scenario

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, shared_data: Path) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("outage")
    hospitals = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_hospitals.gpkg")
    largest = hospitals.sort_values("Total_Bed").iloc[-1]
    scenario = write_chicago_scenario(folder, shared_data, p=66)
    base = write_run(run_scenario(load_scenario(scenario)), folder / "base")
    scenario.write_text(
        scenario.read_text() + f'\n[outage]\nclosed_sites = ["{largest["Hospital"]}"]\n'
    )
    outage = write_run(run_scenario(load_scenario(scenario)), folder / "outage")
    return base, outage, (largest["Hospital"], float(largest["Total_Bed"]))


def test_closed_site_serves_nobody_and_is_flagged(two_runs) -> None:
    _, outage, (largest, beds) = two_runs
    facilities = gpd.read_file(outage / "results.gpkg", layer="facilities").set_index("site_id")
    assert facilities.at[largest, "status"] == "out of service"
    assert facilities.at[largest, "beds_load"] == 0
    assert facilities.at[largest, "beds_before"] == beds  # it had beds before the outage
    assignments = gpd.read_file(outage / "results.gpkg", layer="assignments")
    assert largest not in set(assignments["site"])
    summary = json.loads((outage / "summary.json").read_text())
    assert summary["plan"]["sites_open"] == 65
    assert summary["served"]["beds"] + summary["unmet"]["beds"] == pytest.approx(
        summary["demand"]["beds"]
    )


def test_compare_lists_what_changed(two_runs) -> None:
    base, outage, (largest, _) = two_runs
    result = CliRunner().invoke(cli, ["compare", str(base), str(outage), "--json"])
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.output)
    assert comparison["kpis"]["sites_open"]["change"] == -1
    assert (
        comparison["kpis"]["minutes_mean"]["change"] >= 0
    )  # closing a site never brings anyone closer
    changed = {row["site"]: row for row in comparison["sites_changed"]}
    assert (
        changed[largest]["status_a"] == "kept" and changed[largest]["status_b"] == "out of service"
    )
    assert comparison["areas_only_in_a"] == [] and comparison["areas_only_in_b"] == []
    text = CliRunner().invoke(cli, ["compare", str(base), str(outage)])
    assert "sites whose allocation changed" in text.output


def test_unknown_closed_site_is_an_input_error(tmp_path: Path, shared_data: Path) -> None:
    scenario = write_chicago_scenario(tmp_path, shared_data)
    scenario.write_text(scenario.read_text() + '\n[outage]\nclosed_sites = ["No Such Hospital"]\n')
    result = CliRunner().invoke(cli, ["validate", str(scenario)])
    assert result.exit_code == 3
    assert (
        "[outage] closed_sites: ids not found in the facilities (ids: No Such Hospital)"
        in result.output
    )


def test_compare_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["compare", str(tmp_path), str(tmp_path)])
    assert result.exit_code == 3
    assert "not a geoalloc run folder" in result.output
