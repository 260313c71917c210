"""The worked example examples/liechtenstein_telemedicine on the real OSM extract: its story."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest

from geoalloc.pipeline import run_scenario
from geoalloc.scenario import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "liechtenstein_telemedicine"


@pytest.fixture(scope="module")
def result(shared_data: Path):
    return run_scenario(load_scenario(EXAMPLE / "telemedicine.toml"))


def test_story(result) -> None:
    figures = result.summary["telemedicine"]
    areas = result.layers["areas"].set_index("area_id")
    assert len(areas) == 11 and areas["population"].sum() == 38749
    # beyond 15 min of the Landesspital by road: the far Unterland, Planken, and Triesen/Balzers
    # (their representative points: in the mountains / on roads cut off in this 2015 extract)
    beyond = set(areas.index[areas["beyond_t"]])
    assert beyond == {"Gamprin", "Schellenberg", "Ruggell", "Planken", "Triesen", "Balzers"}
    assert figures["people_beyond_t_physical_only"] == 15509
    # telemedicine coverage ≥ physical-only coverage, strictly here
    assert figures["people_gaining_access_through_telemedicine"] > 10000
    assert figures["tele_hours"] > 0
    served = figures["in_person_hours"] + figures["tele_hours"]
    assert served > figures["physical_only_served_hours"]
    assert figures["people_still_without_any"] == pytest.approx(
        15509 - figures["people_gaining_access_through_telemedicine"]
    )
    # no non-connected area is tele-served; they stay without any
    offline = areas[~areas["connected"].astype(bool)]
    assert set(offline.index) == {"Schellenberg", "Planken"}
    assert (offline["tele_hours"] == 0).all()
    assert (offline["status"] == "still without").all()
    # the budget (150,000 CHF) binds and no hub is above its 40 hours
    assert result.summary["costs"]["total"] == pytest.approx(150000, rel=1e-6)
    assert all(0 < h <= 40 + 1e-6 for h in figures["physician_hours_by_hub"].values())
    assert result.summary["solver"]["status"] == "optimal"


@pytest.mark.slow
def test_cli_subprocess(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "run"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "geoalloc",
            "run",
            str(EXAMPLE / "telemedicine.toml"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "gaining access through telemedicine" in done.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"] == "telemedicine"
    sites = gpd.read_file(out / "results.gpkg", layer="facilities")
    assert len(sites) == 11  # the Landtag (parliament) is not a hub candidate
    manifest = json.loads((out / "manifest.json").read_text())
    assert any(p.endswith("municipalities.csv") for p in manifest["inputs"])
