"""The Chicago COVID-19 worked example (examples/chicago_covid) tells its story on the real data."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

pytestmark = pytest.mark.slow
EXAMPLE = REPO_ROOT / "examples" / "chicago_covid"


@pytest.fixture(scope="module")
def runs(tmp_path_factory, shared_data: Path) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("covid")
    folders = {}
    for name in ("icu", "icu_largest_closed", "icu_christ_closed"):
        folder = out / name
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "geoalloc",
                "-q",
                "run",
                str(EXAMPLE / f"{name}.toml"),
                "--out",
                str(folder),
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stderr
        folders[name] = folder
    return folders


def _compare(a: Path, b: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "geoalloc", "compare", str(a), str(b), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cases_drive_the_surge_in_every_resource(runs) -> None:
    summary = json.loads((runs["icu"] / "summary.json").read_text())
    cases = summary["demand_model"]["cases"]
    assert cases["cases_total"] == 8899
    assert cases["cases_placed"] + cases["cases_in_zones_without_area"] == pytest.approx(8899)
    for resource in ("beds", "icu_beds", "ventilators"):
        assert summary["served"][resource] + summary["unmet"][resource] == pytest.approx(
            summary["demand"][resource]
        )
    assert summary["demand"]["ventilators"] == pytest.approx(0.5 * summary["demand"]["icu_beds"])


def test_largest_hospital_closed_its_neighbours_absorb_it(runs) -> None:
    result = _compare(runs["icu"], runs["icu_largest_closed"])
    assert result["areas_lost_access"] == []
    changed = {row["site"]: row for row in result["sites_changed"]}
    assert changed["Northwestern Memorial Hospital"]["status_b"] == "out of service"
    moved = changed["Northwestern Memorial Hospital"]["beds_load_a"]
    gained = sum(
        row["beds_load_b"] - row["beds_load_a"]
        for site, row in changed.items()
        if site != "Northwestern Memorial Hospital" and row["beds_load_a"] is not None
    )
    assert gained == pytest.approx(moved, rel=1e-6)


def test_south_west_closure_pushes_tracts_beyond_the_standard(runs) -> None:
    result = _compare(runs["icu"], runs["icu_christ_closed"])
    lost = result["areas_lost_access"]
    assert len(lost) >= 1
    for row in lost:
        assert row["minutes_a"] <= 10 < row["minutes_b"]
    assert result["kpis"]["covered_population"]["change"] == -sum(row["population"] for row in lost)
    assert result["kpis"]["unmet_icu_beds"]["change"] > 0
