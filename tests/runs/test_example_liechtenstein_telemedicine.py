"""The worked example examples/liechtenstein_telemedicine on the real OSM extract: its story."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geoalloc.runs import run_scenario
from geoalloc.scenario import load_scenario
from tests.helpers import REPO_ROOT
from tests.readme_figures import ReadmeFigures

EXAMPLE = REPO_ROOT / "examples" / "liechtenstein_telemedicine"
#: the walking pace the off-network legs were timed at before the drive default (README)
WALK_KPH = 5.0


@pytest.fixture(scope="module")
def result(shared_data: Path):
    return run_scenario(load_scenario(EXAMPLE / "telemedicine.toml"))


@pytest.fixture(scope="module")
def inputs(shared_data: Path):
    """The example's checked inputs (areas, sites, the telemedicine problem)."""
    from geoalloc.runs import check_scenario

    return check_scenario(load_scenario(EXAMPLE / "telemedicine.toml"))


def test_story(result) -> None:
    figures = result.summary["telemedicine"]
    areas = result.layers["areas"].set_index("area_id")
    assert len(areas) == 11 and areas["population"].sum() == 38749
    # trips start in each village (OSM place nodes), off-network legs at the drive mode's 20 km/h:
    # beyond 15 min of the Landesspital is only Balzers, whose roads this 2015 extract cuts off;
    # Schellenberg is 14.9 min away (15.8 when those legs were walked at 5 km/h)
    beyond = set(areas.index[areas["beyond_t"]])
    assert beyond == {"Balzers"}
    assert areas.loc["Schellenberg", "minutes_to_physician"] == pytest.approx(14.90, abs=0.01)
    assert areas.loc["Balzers", "travel_flag"] == "far_from_network"
    assert figures["people_beyond_t_physical_only"] == 4642
    # telemedicine coverage ≥ physical-only coverage, strictly here: connected Balzers gains
    assert figures["people_gaining_access_through_telemedicine"] == pytest.approx(4642)
    assert areas.loc["Balzers", "status"] == "telemedicine"
    assert figures["people_still_without_any"] == pytest.approx(0, abs=1e-6)
    served = figures["in_person_hours"] + figures["tele_hours"]
    assert served > figures["physical_only_served_hours"]
    # no non-connected area is tele-served: offline Schellenberg, within T, gets only what the
    # hospital's hours leave
    offline = areas[~areas["connected"].astype(bool)]
    assert set(offline.index) == {"Schellenberg", "Planken"}
    assert (offline["tele_hours"] == 0).all()
    assert areas.loc["Schellenberg", "status"] == "in person"
    assert areas.loc["Schellenberg", "in_person_hours"] == pytest.approx(2.40, abs=0.01)
    # the hospital's 400 in-person hours are short of the need within 15 min: hubs take the
    # divertible hours of connected areas within reach too; what is left short within reach is
    # offline Schellenberg's
    assert figures["in_person_hours"] == pytest.approx(400)
    within = areas[~areas["beyond_t"]]
    assert within["demand_hours"].sum() == pytest.approx(437.27, abs=0.01)
    short = within["unmet_hours"][within["unmet_hours"] > 1e-6]
    assert short.to_dict() == {"Schellenberg": pytest.approx(11.79, abs=0.01)}
    assert within["tele_hours"].sum() > 0
    # the 70 % of Balzers' hours that need a physician in person stay unmet; the budget binds:
    # two hubs (20,000) and 43.3 hub-hours a week (130,000) spend all of it
    assert areas.loc["Balzers", "unmet_hours"] == pytest.approx(
        0.7 * areas.loc["Balzers", "demand_hours"]
    )
    assert result.summary["costs"]["total"] == pytest.approx(150000)
    assert figures["tele_hours"] == pytest.approx(130000 / 3000)
    assert all(0 < h <= 40 + 1e-6 for h in figures["physician_hours_by_hub"].values())
    # by electoral district: the Oberland's gap (Balzers) is closed by video; nobody in the
    # Unterland is beyond T
    by_region = {row["group"]: row for row in figures["by_group"] if row["by"] == "region"}
    assert by_region["Oberland"]["people_beyond_t_physical_only"] == 4642
    assert by_region["Oberland"]["people_still_without_any"] == pytest.approx(0, abs=1e-6)
    assert by_region["Unterland"]["people_beyond_t_physical_only"] == 0
    assert sum(row["population"] for row in by_region.values()) == 38749
    assert result.summary["solver"]["status"] == "optimal"


def test_checks_of_a_telemedicine_run(result) -> None:
    """The checks that read sites and areas apply: the municipalities cover the road network's
    extent, every village and the hospital lie within 300 m of a road node (Balzers, beyond
    max_snap_m, is a travel flag, not a far snap); two video-hub candidates 67 m apart in
    Triesenberg (the town hall and the post office, names alike by the village's) are a note, not
    a warning."""
    (record,) = result.summary["checks"]
    assert record["id"] == "duplicate_sites" and record["severity"] == "info"
    assert set(record["ids"]) == {"297699576", "330502153"}
    assert {p["id"] for p in result.summary["checks_passed"]} == {
        "network_extent_uncovered",
        "far_from_roads",
    }
    assert result.summary["far_snaps"] == []


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
    result, inputs, tmp_path: Path
) -> None:
    """A table computed elsewhere lists the video-only hubs too: they are not unknown ids."""
    from geoalloc.inputs.read import area_origins
    from geoalloc.runs.travel import travel_matrix_for
    from geoalloc.travel.options import NetworkOptions

    scenario = load_scenario(EXAMPLE / "telemedicine.toml")
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
    # offline Schellenberg, 14.9 min away, is within reach: the hospital's hours left go to it
    assert areas.loc["Schellenberg", "service"] == "in person, part unmet"
    assert areas.loc["Vaduz", "service"] == "all in person"
    assert set(areas.loc[["Ruggell", "Mauren"], "service"]) == {"in person and by video"}
    assert result.summary["area_service"] == {
        "all in person": 7,
        "in person and by video": 2,
        "all by video": 0,
        "in person, part unmet": 1,
        "by video only, the rest unmet": 1,
        "no care": 0,
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
        "4,642 people live beyond 15.0 min by road of any physician. With 2 video hubs, 4,642 of "
        "them gain access to the part of their care that video can serve; 0 remain without "
        "any." in page
    )
    # who is still without, and why
    assert (
        "no road route to a physician (far from network: its trips start too far from the road "
        "network); the 30.0 % of its need suited to video is served by a hub; the rest needs a "
        "physician in person" in page
    )
    assert (
        "a physician is within reach (14.9 min), but the physicians&#x27; hours are used up by "
        "other areas" in page
    )
    # hubs by name, opened first; a chart of the hours per area
    hubs = page[page.index("<h2>Physician-hours by hub</h2>") :]
    assert hubs.index("Rathaus Vaduz") < hubs.index("Rathaus Triesenberg") < hubs.index("Post")
    assert page.count("data:image/svg+xml;base64,") == 1
    lines = "\n".join(telemedicine_lines(result.summary, "out"))
    assert "Rathaus Vaduz: 40 h, Rathaus Triesenberg: 3.3 h" in lines
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


def test_every_figure_of_the_readme_comes_from_the_run(result, inputs) -> None:
    """The README, figure by figure, against the run and its input tables."""
    from geoalloc.inputs.read import area_origins, representative_points
    from geoalloc.runs.travel import travel_matrix_for
    from geoalloc.scenario.telemedicine import TelemedicineOptions
    from geoalloc.travel.options import NetworkOptions

    scenario = load_scenario(EXAMPLE / "telemedicine.toml")
    toml = tomllib.loads((EXAMPLE / "telemedicine.toml").read_text())
    tele = toml["telemedicine"]
    figures, summary = result.summary["telemedicine"], result.summary
    areas = result.layers["areas"].set_index("area_id")
    municipalities = pd.read_csv(EXAMPLE / "municipalities.csv").set_index("name")
    sites = pd.read_csv(EXAMPLE / "sites.csv", dtype={"id": str}).set_index("id")
    hubs = sites[sites["hub"]]
    (hospital,) = sites.index[sites["physician_hours"] > 0]
    oberland = municipalities[municipalities["region"] == "Oberland"]
    standard = toml["optimize"]["max_minutes"]
    weeks = TelemedicineOptions.model_fields["weeks_per_year"].default
    per_person = tele["visits_per_1000"]["all"] / 1000 * tele["minutes_per_visit"] / 60 / weeks
    # from each polygon's representative point instead of its village
    matrix = travel_matrix_for(scenario, representative_points(inputs.areas), inputs.sites)
    table = matrix.to_long()
    from_middle = table[table["destination"].astype(str) == hospital].set_index("origin")["minutes"]
    (ignored,) = [n for n in summary["input_notes"] if "belong to no area" in n]
    by_hub = figures["physician_hours_by_hub"]
    by_region = {row["group"]: row for row in figures["by_group"] if row["by"] == "region"}
    beyond = areas[areas["beyond_t"]]
    within = areas[~areas["beyond_t"]]
    balzers = areas.loc["Balzers"]
    opened = sites.loc[list(by_hub)]
    minutes = areas["minutes_to_physician"]

    readme = ReadmeFigures(EXAMPLE / "README.md")
    fig = readme.figure
    fig("more than **{} minutes by road** from a physician", standard)
    fig("| the {} municipalities (areas) |", len(areas))
    fig("the Oberland's 2019 total, {}, matches", oberland["population"].sum())
    readme.count("matches the sum of our {})", len(oberland))
    fig("(total {}). Checked against", municipalities["population"].sum())
    assert len(areas) == len(municipalities) and areas["population"].sum() == 38749
    fig("and {} town halls / post offices as hub candidates", len(hubs))
    fig(
        "{} outpatient/specialist visits per {} persons per year, {} physician minutes per visit, "
        "over {} weeks: {} physician-hours per person per week ({} h/week for the country)",
        tele["visits_per_1000"]["all"],
        1000,
        tele["minutes_per_visit"],
        weeks,
        per_person,
        figures["demand_hours"],
    )
    fig("**Divertible share**: {} %", 100 * tele["divertible_share"])
    fig(
        "**Physician-hours**: {} in-person hours per week at the Landesspital (`sites.csv`); hubs up "
        "to {} hours per week each",
        sites.loc[hospital, "physician_hours"],
        hubs["hub_max_hours"].max(),
    )
    assert hubs["hub_max_hours"].nunique() == 1
    town_hall = hubs[hubs["label"].str.startswith("Rathaus")]
    post = hubs.drop(index=town_hall.index)
    assert post["label"].str.contains("Post").all()
    fig(
        "opening a hub {} at a town hall, {} at a post office; {} per weekly physician-hour (for a "
        "year); budget {}",
        town_hall["hub_opening_cost"].max(),
        post["hub_opening_cost"].max(),
        tele["cost_per_hour"],
        tele["budget"],
    )
    assert town_hall["hub_opening_cost"].nunique() == post["hub_opening_cost"].nunique() == 1
    fig("**T = {} minutes** by car", standard)
    fig(
        "Triesen was {} min away instead of {}, Planken {} instead of {}",
        from_middle["Triesen"],
        minutes["Triesen"],
        from_middle["Planken"],
        minutes["Planken"],
    )
    readme.count("{} village nodes of no municipality", int(re.search(r"(\d+) point", ignored)[1]))
    assert "Nendeln, Schaanwald, Gamprin-Bendern, Rotenboden" in ignored
    order = minutes.dropna().sort_values()
    listed = ", ".join(f"{name} {{}}" for name in order.index)
    fig(f"to the Landesspital (Vaduz): {listed}.", *order, what="road minutes from each village")
    # the off-network legs of the villages and the hospital
    villages = travel_matrix_for(scenario, area_origins(inputs.areas), inputs.sites)
    legs = pd.concat(
        [
            pd.Series(villages.origin_snap_m, index=villages.origin_ids).dropna(),
            pd.Series(villages.destination_snap_m, index=villages.destination_ids).loc[[hospital]],
        ]
    )
    fig(
        "to the nearest road node ({}–{} m) at the drive mode's access speed, {} km/h",
        legs.min(),
        legs.max(),
        scenario.network.access_kph,
    )
    walked = scenario.network.model_copy(update={"access_speed_kph": WALK_KPH})
    on_foot = travel_matrix_for(
        scenario.model_copy(update={"network": walked}), area_origins(inputs.areas), inputs.sites
    ).to_long()
    on_foot = on_foot[on_foot["destination"].astype(str) == hospital].set_index("origin")
    fig(
        "those legs were walked at {} km/h: Schellenberg was then {} minutes away, beyond T",
        WALK_KPH,
        on_foot.loc["Schellenberg", "minutes"],
    )
    assert on_foot.loc["Schellenberg", "minutes"] > standard >= minutes["Schellenberg"]
    assert (areas["nearest_physician"].dropna().astype(str) == hospital).all()
    assert balzers["travel_flag"] == "far_from_network"
    fig("farther than `max_snap_m` = {} m", NetworkOptions.model_fields["max_snap_m"].default)
    assert "max_snap_m" not in toml["network"]
    assert list(beyond.index) == ["Balzers"]
    fig(
        "(physical only) | **{}** (Balzers)",
        figures["people_beyond_t_physical_only"],
    )
    fig("| people beyond {} min of any physician", standard)
    fig(
        "| people gaining access through telemedicine | **{}**",
        figures["people_gaining_access_through_telemedicine"],
    )
    fig("| people still without any | **{}**", figures["people_still_without_any"])
    fig(
        "Rathaus Vaduz (OSM way 28712183) **{}**; Rathaus Triesenberg (way 297699576) **{}**",
        by_hub["28712183"],
        by_hub["297699576"],
    )
    costs = summary["costs"]
    fig(
        "| {} opening + {} hours = {} (the whole budget)",
        *(costs[k] for k in ("opening", "hours", "total")),
    )
    assert costs["total"] == pytest.approx(tele["budget"])
    fig(
        "| {} / {} / {} (physical only: {} / {} / {})",
        figures["in_person_hours"],
        figures["tele_hours"],
        figures["unmet_hours"],
        figures["physical_only_served_hours"],
        0,
        figures["physical_only_unmet_hours"],
    )
    fig(
        "the **Oberland**'s {} people beyond T",
        by_region["Oberland"]["people_beyond_t_physical_only"],
    )
    assert by_region["Unterland"]["people_beyond_t_physical_only"] == 0  # "nobody … is beyond T"
    status = summary["area_status"]
    fig(
        "Area status: in person {}, telemedicine {} (Balzers).",
        status["in person"],
        status["telemedicine"],
    )
    assert status["still without"] == status["partly"] == 0
    schellenberg = areas.loc["Schellenberg"]
    fig(
        "Schellenberg gets {} of its {} h in person, and {} h stay unmet",
        schellenberg["in_person_hours"],
        schellenberg["demand_hours"],
        schellenberg["unmet_hours"],
    )
    fig(
        "after opening two hubs it pays for {} hub-hours a week",
        (tele["budget"] - costs["opening"]) / tele["cost_per_hour"],
    )
    assert figures["tele_hours"] == pytest.approx(
        (tele["budget"] - costs["opening"]) / tele["cost_per_hour"]
    )
    fig(
        "only {} % of Balzers' hours can be done by video; the other {} % ({} h/week)",
        100 * tele["divertible_share"],
        100 * (1 - tele["divertible_share"]),
        balzers["unmet_hours"],
    )
    fig("still need a physician within {} minutes and stay unmet", standard)
    fig(
        "The Landesspital's {} in-person hours are short of the {} h/week needed within {} minutes",
        figures["in_person_hours"],
        within["demand_hours"].sum(),
        standard,
    )
    fig(
        "(Ruggell {} h, Mauren {} h)",
        areas.loc["Ruggell", "tele_hours"],
        areas.loc["Mauren", "tele_hours"],
    )
    readme.count("{} hubs open because one may hold", figures["hubs_open"])
    fig("may hold at most {} hours", hubs["hub_max_hours"].max())
    assert set(opened.index) == set(town_hall.index)  # the cheapest hubs
    readme.count("so the {} cheaper town halls open", len(town_hall))
    readme.not_figures(
        "liechtenstein_2015-07.osm.pbf",
        "July 2015",
        "admin_level=8",
        "at level 8",
        "31 December 2019",
        "2015 extract",
        "(December 31, 2019)",
    )
    readme.verify()
