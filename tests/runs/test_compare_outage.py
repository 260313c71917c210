"""Outages (a hospital out of service) and `geoalloc compare` on the real Chicago data."""

import json
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from geoalloc.runs import run_scenario, write_run
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
    closed = {"closed_sites": [largest["Hospital"]]}
    scenario = write_chicago_scenario(folder, shared_data, p=66, outage=closed)
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
    # the hospital closed carries load today: the outage check finds nothing to say
    assert facilities.at[largest, "beds_baseline_load"] > 0
    assert "outage_site_without_load" in {p["id"] for p in summary["checks_passed"]}
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
    closed = {"closed_sites": ["No Such Hospital"]}
    scenario = write_chicago_scenario(tmp_path, shared_data, outage=closed)
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


def test_compare_map_shows_the_other_run_as_layers(tmp_path: Path, shared_data: Path) -> None:
    # Advocate Christ out, 10-minute standard: south-west tracts lose access (see the COVID example)
    standard = {"max_minutes": 10}
    scenario = write_chicago_scenario(tmp_path, shared_data, p=66, optimize=standard)
    base = write_run(run_scenario(load_scenario(scenario)), tmp_path / "base")
    closed = {"closed_sites": ["Advocate Christ Medical Center"]}
    scenario = write_chicago_scenario(tmp_path, shared_data, p=66, optimize=standard, outage=closed)
    outage = write_run(run_scenario(load_scenario(scenario)), tmp_path / "outage")
    page = tmp_path / "compare.html"
    result = CliRunner().invoke(
        cli, ["compare", str(base), str(outage), "--json", "--map", str(page)]
    )
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.stdout)
    lost = [(row["area"], row["name"]) for row in comparison["areas_lost_access"]]
    assert lost  # the closure pushes tracts beyond 10 minutes
    html = page.read_text(encoding="utf-8")
    assert "Compared with chicago-test: areas that gained/lost access" in html
    assert "chicago-test: facilities" in html
    for area, name in lost:  # named by the tracts' NAME column
        assert name.startswith("Census Tract ") and name.endswith(", Cook County, Illinois")
        tip = f"{name} (area {area})\\u003c/b\\u003e: lost access compared with chicago-test"
        assert tip in html
    # run A's facilities are there with their status in A: the closed hospital was kept in A
    assert "Advocate Christ Medical Center (kept in chicago-test)" in html
    assert "<script src=" not in html  # self-contained like every map
    # a run compared with itself: no area changed, the layer says so; a new folder is made
    page = tmp_path / "maps" / "same.html"
    result = CliRunner().invoke(cli, ["compare", str(base), str(base), "--map", str(page)])
    assert result.exit_code == 0, result.output
    assert "areas that gained/lost access (none)" in page.read_text(encoding="utf-8")
