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


def test_outputs_name_the_care_each_area_receives(result) -> None:
    """The map and the report say what care each area gets, the hubs by name, in words."""
    from geoalloc.outputs.telemedicine import build_telemedicine_map, telemedicine_report_html
    from geoalloc.outputs.terminal import telemedicine_lines
    from tests.helpers import legend_gaps

    areas = result.layers["areas"].set_index("area_id")
    assert areas.loc["Balzers", "service"] == "by video only, the rest unmet"
    assert areas.loc["Schellenberg", "service"] == "no care"
    assert areas.loc["Vaduz", "service"] == "all in person"
    assert set(areas.loc[["Ruggell", "Mauren"], "service"]) == {"in person and by video"}
    assert result.summary["area_service"] == {
        "all in person": 7,
        "in person and by video": 2,
        "all by video": 0,
        "in person, part unmet": 0,
        "by video only, the rest unmet": 1,
        "no care": 1,
        "no need": 0,
    }
    # the offline base map: the extract's roads and its villages
    assert {"Vaduz", "Balzers", "Schaan"} <= set(result.layers["places"]["name"])
    assert len(result.layers["roads"]) > 100
    fmap = build_telemedicine_map(result.layers, result.summary)
    assert legend_gaps(fmap) == []
    page = telemedicine_report_html(result.layers, result.summary)
    # in words: no internal key, no True/False
    for raw in ("people_beyond_t", "physician_hours_by_hub", "True", "False", "beyond_t"):
        assert raw not in page, raw
    assert (
        "5,749 people live beyond 15.0 min by road of any physician. With 2 video hubs, 4,642 of "
        "them gain access to the part of their care that video can serve; 1,107 remain without "
        "any." in page
    )
    # who is still without, and why
    assert (
        "no road route to a physician (far from network: its trips start too far from the road "
        "network); the 30.0 % of its need suited to video is served by a hub; the rest needs a "
        "physician in person" in page
    )
    assert (
        "the nearest physician is 15.8 min away, beyond 15.0 min; not connected, so video "
        "consultations cannot reach it" in page
    )
    # hubs by name, opened first; a chart of the hours per area
    hubs = page[page.index("<h2>Physician-hours by hub</h2>") :]
    assert hubs.index("Rathaus Triesenberg") < hubs.index("Rathaus Vaduz") < hubs.index("Post")
    assert page.count("data:image/svg+xml;base64,") == 1
    lines = "\n".join(telemedicine_lines(result.summary, "out"))
    assert "Rathaus Vaduz: 17.9 h, Rathaus Triesenberg: 23.1 h" in lines
    assert "areas by the care they receive: all in person: 7" in lines


def test_an_area_within_reach_without_hours_is_not_in_person(result, tmp_path: Path) -> None:
    """With the hospital at 150 physician-hours a week, areas within 15 minutes get none: they are
    labelled by the care they get (video, or no care), while their access status stays
    "in person" (a physician within reach)."""
    import pandas as pd

    sites = pd.read_csv(EXAMPLE / "sites.csv", dtype={"id": str})
    sites.loc[sites["physician_hours"] > 0, "physician_hours"] = 150
    sites.to_csv(tmp_path / "sites.csv", index=False)
    scenario = result.scenario
    join = scenario.facilities.join.model_copy(update={"path": tmp_path / "sites.csv"})
    facilities = scenario.facilities.model_copy(update={"join": join})
    short = run_scenario(scenario.model_copy(update={"facilities": facilities}))
    areas = short.layers["areas"].set_index("area_id")
    within = areas[areas["status"] == "in person"]
    starved = within[within["in_person_hours"] <= 1e-6]
    assert len(starved)  # in reach, but the 150 hours go to others
    assert set(starved["service"]) <= {"by video only, the rest unmet", "no care"}
    served = areas["in_person_hours"] > 1e-6
    assert areas.loc[served, "service"].str.contains("in person").all()
    assert not areas.loc[~served, "service"].str.contains("in person").any()
