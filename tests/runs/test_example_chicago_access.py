"""The Chicago access example (examples/chicago_access): Kang et al. 2020's E2SFCA on the Chicago
tracts, rerun, with every figure of its README recomputed from the runs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

import geoalloc
from tests.helpers import REPO_ROOT
from tests.readme_figures import ReadmeFigures

pytestmark = pytest.mark.slow
EXAMPLE = REPO_ROOT / "examples" / "chicago_access"
SCENARIOS = ("icu_access", "ventilator_access", "icu_access_christ_closed")


@pytest.fixture(scope="module")
def runs(shared_data: Path) -> dict[str, geoalloc.RunResult]:
    return {
        name: geoalloc.run(geoalloc.load_scenario(EXAMPLE / f"{name}.toml")) for name in SCENARIOS
    }


def _tract(name: str) -> str:
    """The tract number of a census tract's name ("Census Tract 5501, Cook County, Illinois")."""
    found = re.match(r"Census Tract ([\d.]+),", name)
    assert found, name
    return found.group(1)


def test_the_example_is_kang_et_al_s_e2sfca(runs) -> None:
    for name in SCENARIOS:
        scenario = tomllib.loads((EXAMPLE / f"{name}.toml").read_text())
        access = scenario["access"]
        assert access["method"] == "e2sfca"
        assert access["steps"] == [[10, 1.0], [20, 0.68], [30, 0.22]]
        assert access["population_column"] == "OverFifty"
        block = runs[name].summary["access"]
        assert block["cut_off"] == "inclusive" and block["max_minutes"] == 30


def test_readme_figures(runs, shared_data: Path) -> None:
    icu, vent, closed = (runs[n] for n in SCENARIOS)
    scenario = tomllib.loads((EXAMPLE / "icu_access.toml").read_text())
    areas = icu.areas
    people = areas["access_population"]
    base = areas["baseline_access_e2sfca"]
    figures = icu.summary["access"]["baseline"]
    assert np.allclose(areas["access_e2sfca"], base)  # the plan keeps every hospital as it is

    readme = ReadmeFigures(EXAMPLE / "README.md")
    fig = readme.figure
    standard = scenario["optimize"]["max_minutes"]
    fig("who lives within {} minutes of a hospital", standard)
    fig("{} census tracts with their over-50s", icu.summary["areas"])
    fig("and {} hospitals with adult ICU beds", icu.summary["sites"])
    fig("the catchment is {} minutes", scenario["access"]["max_minutes"])
    steps = scenario["access"]["steps"]
    fig(
        "{}–{} minutes × {}, {}–{} minutes × {}, {}–{} minutes × {}",
        0,
        steps[0][0],
        steps[0][1],
        steps[0][0],
        steps[1][0],
        steps[1][1],
        steps[1][0],
        steps[2][0],
        steps[2][1],
    )
    fig("a hospital at exactly {} minutes weighs {}", steps[0][0], steps[0][1])
    fig("one at exactly {} minutes still counts (× {})", steps[2][0], steps[2][1])
    network = scenario["network"]
    fig("× {} at {} km/h", network["circuity"], network["speed_kph"])

    fig("the index averages {} ICU beds per 1,000", figures["mean"])
    fig("the median over-50 has {}", figures["median"])
    fig("the worst-served tenth {} or less", figures["p10"])
    fig("the best-served tenth {} or more", figures["p90"])
    fig("{} times as much", figures["p90"] / figures["p10"])
    fig(
        "at least one hospital within {} minutes ({} % with zero access)",
        scenario["access"]["max_minutes"],
        100 * figures["zero_share"],
    )
    assert (areas["baseline_access_sites_in_reach"] > 0).all()
    worst = figures["worst_areas"]
    assert worst[0]["area_id"] == "17031550100" and _tract(worst[0]["name"]) == "5501"
    fig(
        "{} minutes from its nearest hospital, with {} ICU beds per 1,000 over-50s",
        areas.loc[worst[0]["area_id"], "baseline_minutes"],
        worst[0]["value"],
    )
    assert [_tract(w["name"]) for w in worst[1:3]] == ["5205", "5206"]
    assert worst[1]["value"] == pytest.approx(worst[2]["value"])
    fig("tracts 5205 and 5206 ({})", worst[1]["value"])
    readme.count("where the {} hospitals in reach", worst[1]["sites_in_reach"])

    covered = areas["baseline_minutes"] <= standard
    fig(
        "{} % of the over-50s ({} in {} tracts) live within {} minutes",
        100 * people[covered].sum() / people.sum(),
        people[covered].sum(),
        covered.sum(),
        standard,
    )
    low = covered & (base <= figures["p10"])
    fig("yet {} of those tracts ({} over-50s)", low.sum(), people[low].sum())
    high = ~covered & (base > figures["median"])
    fig("{} tracts ({} over-50s) beyond {} minutes", high.sum(), people[high].sum(), standard)
    top = base.idxmax()
    assert _tract(areas.loc[top, "name"]) == "8051.12"
    fig("The best access of all, {}, is in tract", base[top])
    fig("8051.12, {} minutes from its nearest hospital", areas.loc[top, "baseline_minutes"])

    v = vent.summary["access"]["baseline"]
    fig("{} per 1,000 over-50s on average (median {}", v["mean"], v["median"])
    fig("worst tenth {} or less, best tenth {} or more", v["p10"], v["p90"])
    assert v["worst_areas"][0]["area_id"] == "17031550100"
    fig("is worst off, with {}", v["worst_areas"][0]["value"])

    beds = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_hospitals.gpkg")
    christ = beds.set_index("Hospital").loc["Advocate Christ Medical Center", "Adult ICU"]
    fig("goes without its {} ICU beds", christ)
    c = closed.summary["access"]
    fig("The mean falls from {} to {} ICU beds", c["baseline"]["mean"], c["plan"]["mean"])
    fig("tenth's from {} to {}", c["baseline"]["p10"], c["plan"]["p10"])
    ca = closed.areas
    before, after, weights = (
        ca["baseline_access_e2sfca"],
        ca["access_e2sfca"],
        ca["access_population"],
    )
    assert (after <= before + 1e-12).all()  # closing a hospital improves no one's access
    lose = after < before - 1e-9
    fig("{} tracts ({} over-50s) lose access", lose.sum(), weights[lose].sum())
    drop = (before - after) / before
    quarter = drop > 0.25
    fig("{} of them ({} over-50s) lose more", quarter.sum(), weights[quarter].sum())
    fig("Coverage within {} minutes sees little", standard)
    was = ca["baseline_minutes"] <= standard
    still = ca["nearest_open_minutes"] <= standard
    fig("only {} tracts lose their hospital within {} minutes", (was & ~still).sum(), standard)
    kept = was & still & quarter
    fig("while {} tracts ({} over-50s) that keep one", kept.sum(), weights[kept].sum())
    worst_drop = drop.idxmax()
    assert _tract(ca.loc[worst_drop, "name"]) == "7004.02"
    assert ca.loc[worst_drop, "baseline_minutes"] == pytest.approx(
        ca.loc[worst_drop, "nearest_open_minutes"]
    )
    fig(
        "{} minutes from a hospital before and after, falls from {} to {}",
        ca.loc[worst_drop, "baseline_minutes"],
        before[worst_drop],
        after[worst_drop],
    )
    readme.not_figures(
        "ACS 2018",
        "Kang et al. (2020)",
        "Kang et al. 2020's",
        "COVID-19",
        "to 1e-9",
        "the median over-50.",
        "the same tract 5501",
        "Health Geographics* 19:36",
        "doi:10.1186/s12942-020-00229-x",
        "spring-2020",
        "1,000",
        "Luo & Qi 2009",
        "[[10, 1.0], [20, 0.68], [30, 0.22]]",
        "tract 5501 (`17031550100`)",
        "Tract 7004.02",
    )
    readme.verify()


def test_main_readme_figures(runs) -> None:
    icu, closed = runs["icu_access"], runs["icu_access_christ_closed"]
    figures = icu.summary["access"]["baseline"]
    areas = icu.areas
    low = (areas["baseline_minutes"] <= 10) & (areas["baseline_access_e2sfca"] <= figures["p10"])
    ca = closed.areas
    before, after = ca["baseline_access_e2sfca"], ca["access_e2sfca"]
    kept = (
        (ca["baseline_minutes"] <= 10)
        & (ca["nearest_open_minutes"] <= 10)
        & ((before - after) / before > 0.25)
    )
    readme = ReadmeFigures(
        REPO_ROOT / "README.md",
        start="**Example** (`examples/chicago_access/`",
        end="## Rural telemedicine coverage",
    )
    fig = readme.figure
    fig("on the {} Chicago tracts", icu.summary["areas"])
    fig("have {} ICU beds per 1,000 on average", figures["mean"])
    fig("the worst-served tenth {} or less", figures["p10"])
    fig("the best-served tenth {} or more", figures["p90"])
    fig("{} tracts within {} minutes of a hospital", low.sum(), 10)
    fig("{} tracts lose access", (after < before - 1e-9).sum())
    fig("{} of them by more than a quarter", kept.sum())
    fig("keep a hospital within {} minutes", 10)
    readme.not_figures("Kang et al. (2020)", "30-minute", "1.00/0.68/0.22", "over-50s", "1,000")
    readme.verify()
