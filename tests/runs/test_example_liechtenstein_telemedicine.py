"""The worked example examples/liechtenstein_telemedicine on the real OSM extract: its story."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest

from geoalloc.runs import run_scenario
from geoalloc.scenario import load_scenario
from tests.helpers import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "liechtenstein_telemedicine"


@pytest.fixture(scope="module")
def result(shared_data: Path):
    return run_scenario(load_scenario(EXAMPLE / "telemedicine.toml"))


def test_story(result) -> None:
    figures = result.summary["telemedicine"]
    areas = result.layers["areas"].set_index("area_id")
    assert len(areas) == 11 and areas["population"].sum() == 38749
    # trips start in each village (OSM place nodes): beyond 15 min of the Landesspital are
    # Schellenberg (15.8 min) and Balzers, whose roads this 2015 extract cuts off
    beyond = set(areas.index[areas["beyond_t"]])
    assert beyond == {"Schellenberg", "Balzers"}
    assert areas.loc["Balzers", "travel_flag"] == "far_from_network"
    assert figures["people_beyond_t_physical_only"] == 1107 + 4642
    # telemedicine coverage ≥ physical-only coverage, strictly here: connected Balzers gains
    assert figures["people_gaining_access_through_telemedicine"] == pytest.approx(4642)
    assert areas.loc["Balzers", "status"] == "telemedicine"
    assert figures["people_still_without_any"] == pytest.approx(1107)
    served = figures["in_person_hours"] + figures["tele_hours"]
    assert served > figures["physical_only_served_hours"]
    # no non-connected area is tele-served: offline Schellenberg stays without any
    offline = areas[~areas["connected"].astype(bool)]
    assert set(offline.index) == {"Schellenberg", "Planken"}
    assert (offline["tele_hours"] == 0).all()
    assert areas.loc["Schellenberg", "status"] == "still without"
    # the hospital's 400 in-person hours are short of the need within 15 min: hubs take the
    # divertible hours of connected areas within reach too, so no area within reach is short
    assert figures["in_person_hours"] == pytest.approx(400)
    within = areas[~areas["beyond_t"]]
    assert within["unmet_hours"].sum() == pytest.approx(0, abs=1e-6)
    assert within["tele_hours"].sum() > 0
    # the 70 % of Balzers' hours that need a physician in person stay unmet; the budget does not bind
    assert areas.loc["Balzers", "unmet_hours"] == pytest.approx(
        0.7 * areas.loc["Balzers", "demand_hours"]
    )
    assert result.summary["costs"]["total"] < 150000
    assert all(0 < h <= 40 + 1e-6 for h in figures["physician_hours_by_hub"].values())
    # by electoral district: the Oberland's gap (Balzers) is closed by video, the Unterland's
    # (Schellenberg, offline) is not
    by_region = {row["group"]: row for row in figures["by_group"] if row["by"] == "region"}
    assert by_region["Oberland"]["people_beyond_t_physical_only"] == 4642
    assert by_region["Oberland"]["people_still_without_any"] == pytest.approx(0, abs=1e-6)
    assert by_region["Unterland"]["people_still_without_any"] == 1107
    assert sum(row["population"] for row in by_region.values()) == 38749
    assert result.summary["solver"]["status"] == "optimal"


def test_checks_of_a_telemedicine_run(result) -> None:
    """The checks that read sites and areas apply: the municipalities cover the road network's
    extent; two video-hub candidates 67 m apart in Triesenberg (the town hall and the post
    office, names alike by the village's) are a note, not a warning."""
    (record,) = result.summary["checks"]
    assert record["id"] == "duplicate_sites" and record["severity"] == "info"
    assert set(record["ids"]) == {"297699576", "330502153"}
    assert {p["id"] for p in result.summary["checks_passed"]} == {"network_extent_uncovered"}


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


def test_a_travel_table_listing_every_site_gives_the_same_story(
    result, shared_data: Path, tmp_path: Path
) -> None:
    """A table computed elsewhere lists the video-only hubs too: they are not unknown ids."""
    from geoalloc.inputs.read import area_origins
    from geoalloc.runs import check_scenario
    from geoalloc.runs.travel import travel_matrix_for
    from geoalloc.travel.options import NetworkOptions

    scenario = load_scenario(EXAMPLE / "telemedicine.toml")
    inputs = check_scenario(scenario)
    matrix = travel_matrix_for(scenario, area_origins(inputs.areas), inputs.sites)
    table = matrix.to_long()
    physical = set(inputs.problem.site_hours.index[inputs.problem.site_hours > 0])
    assert set(table["destination"]) - physical  # hubs without in-person hours are in it
    table.to_csv(tmp_path / "od.csv", index=False)
    network = NetworkOptions(source="matrix", path=tmp_path / "od.csv")
    from_table = run_scenario(scenario.model_copy(update={"network": network}))
    assert from_table.summary["telemedicine"] == result.summary["telemedicine"]
    assert from_table.summary["area_status"] == result.summary["area_status"]


def test_a_time_phased_plan_refuses_a_travel_table(tmp_path: Path) -> None:
    """Moving units needs site-to-site minutes, which an areas-to-sites table has not."""
    from geoalloc._errors import InputError
    from geoalloc._validate import Problems
    from geoalloc.runs.deployment import check_deployment
    from geoalloc.travel.options import NetworkOptions

    covid = REPO_ROOT / "examples" / "chicago_covid" / "icu_phased.toml"
    scenario = load_scenario(covid)
    (tmp_path / "od.csv").write_text("origin,destination,minutes\n")
    network = NetworkOptions(source="matrix", path=tmp_path / "od.csv")
    problems = Problems()
    check_deployment(scenario.model_copy(update={"network": network}), None, problems)
    with pytest.raises(InputError, match="site-to-site travel times"):
        problems.raise_if_any(header="deployment")
