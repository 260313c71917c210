"""The Chicago scenario end to end through the CLI, as a subprocess (878 tracts, 66 hospitals, crowfly)."""

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

from tests.helpers import REPO_ROOT, write_chicago_scenario
from tests.readme_figures import ReadmeFigures

pytestmark = pytest.mark.slow


def _geoalloc(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "geoalloc", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def chicago_run(tmp_path_factory, shared_data: Path) -> tuple[subprocess.CompletedProcess, Path]:
    folder = tmp_path_factory.mktemp("chicago")
    scenario = write_chicago_scenario(folder, shared_data)
    result = _geoalloc("run", str(scenario), "--json", cwd=folder)
    return result, folder / "maps" / "chicago-test"


def test_run_exits_zero_with_all_outputs(chicago_run) -> None:
    result, out = chicago_run
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json",
        "map.html",
        "report.html",
        "results.gpkg",
        "summary.json",
    ]
    assert "Running HiGHS" not in result.stdout  # stdout is the JSON summary only
    summary = json.loads(result.stdout)
    assert summary["out_dir"].endswith("chicago-test")
    # a plan proven within acceptable_gap: no warning, nothing listed as unproven (exit 0 above)
    assert summary["unproven"] == [] and summary["solver"]["unproven"] is False
    assert "warning" not in result.stderr.lower()


def test_every_area_appears_and_demand_balances(chicago_run) -> None:
    _, out = chicago_run
    layers = [name for name, _ in pyogrio.list_layers(out / "results.gpkg")]
    assert sorted(layers) == [
        "areas",
        "assignments",
        "catchments",
        "facilities",
        "service_areas",
        "shortfall",
    ]
    areas = gpd.read_file(out / "results.gpkg", layer="areas")
    assert len(areas) == 878 and areas["area_id"].is_unique
    assert areas["status"].notna().all()
    assert (areas["served_beds"] + areas["unmet_beds"] - areas["demand_beds"]).abs().max() < 1e-6
    facilities = gpd.read_file(out / "results.gpkg", layer="facilities")
    assert len(facilities) == 66
    assert (facilities["beds_load"] <= facilities["beds_after"] + 1e-6).all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["served"]["beds"] + summary["unmet"]["beds"] == pytest.approx(
        summary["demand"]["beds"]
    )
    assert summary["plan"]["sites_open"] == 40
    assert summary["solver"]["status"] in {"optimal", "feasible"}
    assignments = gpd.read_file(out / "results.gpkg", layer="assignments")
    assert assignments["minutes"].max() <= 30 + 1e-9
    assert assignments.groupby("site")["quantity"].sum().sum() == pytest.approx(
        summary["served"]["beds"]
    )


def test_checks_name_the_small_hospitals_that_draw_crowds_today(chicago_run) -> None:
    """Each area to its nearest hospital: a children's hospital (Shriners, 60 beds) and a
    long-term acute care hospital (Kindred, 95) would be nearest for 253 and 344 beds' demand."""
    result, out = chicago_run
    summary = json.loads((out / "summary.json").read_text())
    (record,) = summary["checks"]
    assert record["id"] == "baseline_over_capacity" and record["severity"] == "warning"
    assert record["ids"] == [
        "Shriners Hospitals for Children",
        "Kindred Chicago Central Hospital",
        "Roseland Community Hospital",
        "Saint Anthony Hospital",
        "Holy Cross Hospital",
    ]
    assert "Shriners Hospitals for Children 421 % (252.6 beds needed, 60 there)" in record["seen"]
    passed = {p["id"] for p in summary["checks_passed"]}
    assert {"duplicate_sites", "unreachable_demand", "load_above_capacity"} <= passed
    report = (out / "report.html").read_text()
    assert "Kindred Chicago Central Hospital 362 %" in report
    # the README's paragraph on them quotes this run
    sites = gpd.read_file(out / "results.gpkg", layer="facilities").set_index("site_id")
    ratio = sites["beds_baseline_load"] / sites["beds_before"]
    readme = ReadmeFigures(
        REPO_ROOT / "README.md",
        start="On Chicago's tracts and hospitals",
        end="**Length of stay from history.**",
    )
    readme.count("the baseline check names {} hospitals", len(record["ids"]))
    for site, words in (
        ("Shriners Hospitals for Children", "(Shriners, {} % of its {} beds)"),
        ("Kindred Chicago Central Hospital", "(Kindred, {} % of {})"),
    ):
        readme.figure(words, 100 * ratio[site], sites.at[site, "beds_before"])
    readme.not_figures("examples/chicago/beds.toml")
    readme.verify()


def test_manifest_has_hashes_and_scenario(chicago_run, shared_data: Path) -> None:
    _, out = chicago_run
    manifest = json.loads((out / "manifest.json").read_text())
    inputs = {Path(k).name: v for k, v in manifest["inputs"].items()}
    assert len(inputs["chicago_tracts_pop.gpkg"]["sha256"]) == 64
    assert manifest["scenario"]["optimize"]["p"] == 40
    assert manifest["dependencies"]["pulp"]


def test_refuses_to_overwrite_then_overwrites(chicago_run) -> None:
    _, out = chicago_run
    folder = out.parent.parent
    again = _geoalloc("run", "scenario.toml", cwd=folder)
    assert again.returncode == 2
    assert "--overwrite" in again.stderr and "Traceback" not in again.stderr
    forced = _geoalloc("-q", "run", "scenario.toml", "--overwrite", cwd=folder)
    assert forced.returncode == 0, forced.stderr
    assert "covered within 30.0 min" in forced.stdout


def test_invalid_input_exit_3_without_traceback(tmp_path: Path, shared_data: Path) -> None:
    scenario = write_chicago_scenario(tmp_path, shared_data, areas=tmp_path / "nope.gpkg")
    result = _geoalloc("run", str(scenario), cwd=tmp_path)
    assert result.returncode == 3
    assert "file not found" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "maps").exists()
