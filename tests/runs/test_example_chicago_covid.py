"""The Chicago COVID-19 worked example (examples/chicago_covid) tells its story on the real data."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import pytest

from geoalloc.demand.options import DemandOptions
from tests.helpers import REPO_ROOT
from tests.readme_figures import ReadmeFigures

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


@pytest.fixture(scope="module")
def compared(runs) -> dict[str, dict]:
    """``geoalloc compare --json`` of the surge run against each closure."""
    return {
        name: _compare(runs["icu"], runs[name])
        for name in ("icu_largest_closed", "icu_christ_closed")
    }


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


def test_largest_hospital_closed_its_neighbours_absorb_it(compared) -> None:
    result = compared["icu_largest_closed"]
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


def test_south_west_closure_pushes_tracts_beyond_the_standard(compared) -> None:
    result = compared["icu_christ_closed"]
    lost = result["areas_lost_access"]
    assert len(lost) >= 1
    for row in lost:
        assert row["minutes_a"] <= 10 < row["minutes_b"]
    assert result["kpis"]["covered_population"]["change"] == -sum(row["population"] for row in lost)
    assert result["kpis"]["unmet_icu_beds"]["change"] > 0


def test_every_figure_of_the_readme_comes_from_the_runs(runs, compared, shared_data: Path) -> None:
    """The README's figures (up to the time-phased section) as the three runs give them today."""
    scenario = tomllib.loads((EXAMPLE / "icu.toml").read_text())
    demand = scenario["demand"]
    summary = json.loads((runs["icu"] / "summary.json").read_text())
    areas = gpd.read_file(runs["icu"] / "results.gpkg", layer="areas")
    hospitals = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_hospitals.gpkg")
    beds = hospitals.set_index("Hospital")["Total_Bed"]
    cases = summary["demand_model"]["cases"]
    bands = demand["admissions_per_1000"]
    surge = demand["cases"]
    by_status = areas.groupby("status")
    unreachable, partly = by_status.get_group("unreachable"), by_status.get_group("partly served")
    christ = compared["icu_christ_closed"]
    lost = {row["area"]: row for row in christ["areas_lost_access"]}
    ordinary = areas["demand_beds"] / areas["case_surge_multiplier"]

    readme = ReadmeFigures(EXAMPLE / "README.md", end="## Six weeks")
    fig = readme.figure
    fig("{} census tracts with population", summary["areas"])
    fig("{} hospitals with beds", summary["sites"])
    fig("({} cases, spring 2020)", cases["cases_total"])
    network = scenario["network"]
    fig("travel is crow-fly ({} km/h, circuity {})", network["speed_kph"], network["circuity"])
    standard = scenario["optimize"]["max_minutes"]
    fig("who is more than {} minutes from one", standard)
    fig("{} % of cases are admitted, over {} days", 100 * surge["admitted_share"], surge["days"])
    fig("({} per 1,000 over-50s and {} per 1,000 others per year)", bands["50+"], bands["other"])
    fig(
        "ICU beds = {} % of bed-days at {} % occupancy",
        100 * demand["icu_share"],
        100 * DemandOptions().icu_occupancy_target,
    )
    fig("ventilators = {} per ICU bed", demand["ventilators_per_icu_bed"])
    fig("assigns demand to hospitals within {} minutes", standard)
    fig("Northwestern Memorial ({} beds) out", beds["Northwestern Memorial Hospital"])
    fig("Advocate Christ ({} beds, south-west) out", beds["Advocate Christ Medical Center"])
    fig("The surge adds {} beds of demand", (areas["demand_beds"] - ordinary).sum())
    fig("{} beds needed in all, {} ICU beds, {} ventilators", *summary["demand"].values())
    assert list(summary["demand"]) == ["beds", "icu_beds", "ventilators"]
    fig("{} of the {} cases fall on tracts", cases["cases_placed"], cases["cases_total"])
    fig(
        "{} are in {} ZIP codes outside it",
        cases["cases_in_zones_without_area"],
        cases["zones_without_populated_area"],
    )
    unmet = summary["unmet"]
    fig("Unmet demand: {} beds, {} ICU beds and {} ventilators", *unmet.values())
    fig(
        "{} tracts ({} people) have no hospital within {} minutes",
        len(unreachable),
        unreachable["population"].sum(),
        standard,
    )
    nearest = unreachable["nearest_open_minutes"]
    assert (nearest.isna() | (nearest > standard)).all()
    fig(
        "all their demand ({} beds, the {} ICU beds and {} ventilators)",
        unreachable["unmet_beds"].sum(),
        unmet["icu_beds"],
        unmet["ventilators"],
    )
    for r in ("beds", "icu_beds", "ventilators"):  # all of an unreachable tract's demand is unmet
        assert unreachable[f"unmet_{r}"].sum() == pytest.approx(unreachable[f"demand_{r}"].sum())
    assert unreachable["unmet_icu_beds"].sum() == pytest.approx(unmet["icu_beds"])
    assert unreachable["unmet_ventilators"].sum() == pytest.approx(unmet["ventilators"])
    fig(
        "{} tracts ({} people) have hospitals within {} minutes",
        len(partly),
        partly["population"].sum(),
        standard,
    )
    fig("{} of their beds are unmet", partly["unmet_beds"].sum())
    assert partly[["unmet_icu_beds", "unmet_ventilators"]].to_numpy().sum() == pytest.approx(0)
    assert len(areas) == len(areas[areas["status"].isin(["served", "no demand"])]) + len(
        unreachable
    ) + len(partly)  # no other tract has unmet demand
    assert compared["icu_largest_closed"]["areas_lost_access"] == []
    fig("pushes {} tracts ({} people)", len(lost), sum(row["population"] for row in lost.values()))
    example = lost["17031821102"]
    fig(
        "beyond {} minutes (e.g. 17031821102: {} → {} minutes)",
        standard,
        example["minutes_a"],
        example["minutes_b"],
    )
    kpis = christ["kpis"]
    fig(
        "adds {} beds, {} ICU beds and {} ventilators of unmet demand",
        *(kpis[f"unmet_{r}"]["change"] for r in ("beds", "icu_beds", "ventilators")),
    )
    readme.not_figures(
        "COVID-19", "spring 2020", "spring-2020", "ACS 2018", "Kang et al. 2020", "geoalloc 0.1.0"
    )
    readme.verify()
