"""Plausibility checks (geoalloc.runs.checks): each on a run that triggers it and one that does
not — small towns planned through geoalloc.plan (crowfly), and Harrisburg's real extract with
HIFLD's hospitals through `geoalloc init` and `geoalloc run`."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

import geoalloc
from geoalloc.inputs.extent import nodes_extent
from geoalloc.outputs.checks import check_lines
from geoalloc.runs.checks import CHECKS, RunFacts, run_checks
from geoalloc.travel import default_cache_dir, load_network

# nine 2 km cells of a town in ETRS-TM35FIN (EPSG:3067), 36,200 residents: 70 beds needed
TOWN = [
    box(x, y, x + 2000, y + 2000)
    for x in (382_000, 384_000, 386_000)
    for y in (6_670_000, 6_672_000, 6_674_000)
]
RESIDENTS = [5200, 3100, 4400, 6100, 2500, 3900, 4800, 3300, 2900]
# a cell 12 km east of the town: beyond the 15-minute standard of every site (crowfly 30 km/h,
# circuity 1.3: 5.8 km)
FAR_CELL = box(400_000, 6_672_000, 402_000, 6_674_000)
# name, longitude, latitude, beds, candidate
WEST = ("Hospital west", 24.890, 60.170)
EAST = ("Hospital east", 24.965, 60.190)
FAR = ("Hospital far", 24.930, 60.040)  # 12 km south of the town: no area within 15 min
CENTRE = ("School centre", 24.930, 60.180)


def _areas(far_residents: float | None = None) -> gpd.GeoDataFrame:
    cells, residents = list(TOWN), list(RESIDENTS)
    if far_residents is not None:
        cells.append(FAR_CELL)
        residents.append(far_residents)
    ids = [f"cell-{i}" for i in range(len(cells))]
    return gpd.GeoDataFrame({"cell": ids, "pop": residents}, geometry=cells, crs=3067)


def _sites(*rows: tuple) -> gpd.GeoDataFrame:
    names, lon, lat, beds, candidate = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"name": names, "beds": beds, "candidate": candidate},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )


def _plan(areas, sites, *, optimize=None, **options) -> geoalloc.RunResult:
    return geoalloc.plan(
        areas,
        sites,
        area_id="cell",
        population="pop",
        site_id="name",
        capacity={"beds": "beds"},
        candidate="candidate",
        demand={"admissions_per_1000": {"all": 120.0}, "los_days": 5.0, "occupancy_target": 0.85},
        optimize={"model": "capacitated", "max_minutes": 15} | (optimize or {}),
        network={"source": "crowfly", "speed_kph": 30, "circuity": 1.3},
        **options,
    )


def _found(result: geoalloc.RunResult) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for record in result.summary["checks"]:
        assert set(record) <= {"id", "severity", "seen", "why", "what_to_do", "ids"}
        assert record["severity"] in {"warning", "info"}
        assert all(record[k] for k in ("seen", "why", "what_to_do"))
        found.setdefault(record["id"], []).append(record)
    return found


def _passed(result: geoalloc.RunResult) -> set[str]:
    return {p["id"] for p in result.summary["checks_passed"]}


HOSPITALS = [(*WEST, 60, False), (*EAST, 60, False)]


@pytest.fixture(scope="module")
def clean() -> geoalloc.RunResult:
    """Two hospitals of 60 beds for 70 beds' demand, every cell within 15 minutes, the control
    total 0.8 % above the areas' 36,200: nothing to report."""
    return _plan(_areas(), _sites(*HOSPITALS), areas_options={"population_total": 36_500})


def test_a_plausible_plan_passes_every_check_that_applies(clean) -> None:
    assert clean.summary["checks"] == []
    # no outage, crowfly (no road network to cover): those two do not apply
    assert _passed(clean) == {
        "idle_existing_capacity",
        "load_above_capacity",
        "baseline_over_capacity",
        "duplicate_sites",
        "population_total",
        "unreachable_demand",
    }
    assert {c.id for c in CHECKS} == _passed(clean) | {
        "outage_site_without_load",
        "network_extent_uncovered",
        "far_from_roads",  # crowfly snaps nothing
    }
    ids = ", ".join(p["id"] for p in clean.summary["checks_passed"])
    assert check_lines(clean.summary) == [f"  checks: nothing found by {ids}"]
    html = clean.kind.report_html(clean.layers, clean.summary, clean.manifest)
    assert "geoalloc ran 6 checks for what often makes a plan mislead: none found anything" in html


@pytest.fixture(scope="module")
def messy() -> geoalloc.RunResult:
    """A hospital of 10 beds that is nearest to half the town, listed twice (at the same
    place: the tie goes to the first id, so its copy carries nothing); a cell no site
    reaches with 12 % of the residents; an outage of a hospital no area reaches; a control
    total the areas miss by 18 %."""
    sites = _sites(
        (*WEST, 10, False),
        ("Hospital west (HIFLD)", *WEST[1:], 5, False),  # the same hospital from another list
        (*EAST, 60, False),
        (*FAR, 60, False),
    )
    return _plan(
        _areas(far_residents=5000),
        sites,
        outage={"closed_sites": ["Hospital far"]},
        areas_options={"population_total": 50_000},
    )


def test_baseline_site_above_150_percent(messy, clean) -> None:
    (record,) = _found(messy)["baseline_over_capacity"]
    assert record["severity"] == "warning" and record["ids"] == ["Hospital west"]
    sites = messy.facilities
    ratio = sites.at["Hospital west", "beds_baseline_load"] / 10
    assert ratio > 1.5 and f"Hospital west {ratio:.0%}".replace("%", " %") in record["seen"]
    # Hospital east carries the rest of the town, under 150 % of its 60 beds
    assert sites.at["Hospital east", "beds_baseline_utilisation"] <= 1.5
    assert "baseline_over_capacity" in _passed(clean)
    assert clean.facilities["beds_baseline_utilisation"].max() < 1.5


def test_duplicate_sites(messy, clean) -> None:
    (record,) = _found(messy)["duplicate_sites"]
    assert record["severity"] == "warning"  # an existing hospital counted twice
    assert set(record["ids"]) == {"Hospital west", "Hospital west (HIFLD)"}
    assert "Hospital west and Hospital west (HIFLD) (0 m apart, names" in record["seen"]
    assert "duplicate_sites" in _passed(clean)


def test_duplicate_candidates_are_a_note() -> None:
    sites = _sites(
        *HOSPITALS,
        ("School north", 24.930, 60.200, 12, True),
        ("School North", 24.9303, 60.2001, 12, True),  # 20 m away
    )
    result = _plan(_areas(), sites)
    (record,) = _found(result)["duplicate_sites"]
    assert record["severity"] == "info" and set(record["ids"]) == {"School north", "School North"}


def test_outage_of_a_site_carrying_no_load(messy) -> None:
    (record,) = _found(messy)["outage_site_without_load"]
    assert record["ids"] == ["Hospital far"] and "the outage closes Hospital far" in record["seen"]
    assert messy.facilities.at["Hospital far", "beds_baseline_load"] == 0
    # closing a hospital that serves people: nothing to report
    closed_west = _plan(_areas(), _sites(*HOSPITALS), outage={"closed_sites": ["Hospital west"]})
    assert closed_west.facilities.at["Hospital west", "status"] == "out of service"
    assert closed_west.facilities.at["Hospital west", "beds_baseline_load"] > 0
    assert "outage_site_without_load" in _passed(closed_west)
    assert "outage_site_without_load" not in _found(closed_west)


def test_population_off_its_control_total(messy, clean) -> None:
    (record,) = _found(messy)["population_total"]
    assert messy.areas["population"].sum() == 41_200
    assert "41,200 residents, -18% off the stated total of 50,000" in record["seen"]
    assert "population_total" in _passed(clean)  # 36,200 for 36,500: within 5 %


def test_unreachable_demand(messy, clean) -> None:
    (record,) = _found(messy)["unreachable_demand"]
    far = f"cell-{len(TOWN)}"
    assert record["severity"] == "warning" and record["ids"] == [far]
    assert messy.areas.at[far, "status"] == "unreachable"
    assert "1 area(s) with 5,000 residents and 12 % of the beds needed" in record["seen"]
    assert "unreachable_demand" in _passed(clean)
    # a little of it is a note, not a warning
    few = _plan(_areas(far_residents=500), _sites(*HOSPITALS))
    (note,) = _found(few)["unreachable_demand"]
    assert note["severity"] == "info" and "1 % of the beds needed" in note["seen"]


def test_idle_existing_capacity_while_new_sites_open() -> None:
    """Everybody needs the new site: the existing hospital reaches no area within the
    standard and stands idle — the symptom of a hospital joined far from its roads."""
    result = _plan(_areas(), _sites((*FAR, 60, False), (*CENTRE, 80, True)))
    assert result.facilities.at["School centre", "status"] == "opened"
    assert result.facilities.at["Hospital far", "beds_load"] == 0
    (record,) = _found(result)["idle_existing_capacity"]
    assert record["severity"] == "warning"
    assert record["ids"] == ["Hospital far", "School centre"]
    assert "Hospital far (0 of 60 beds used)" in record["seen"]
    assert "no area has Hospital far within the 15 min standard" in record["seen"]
    assert "0 of the 9 area(s) the new sites serve have an idle existing site" in record["seen"]


def test_new_site_beside_full_hospitals_is_not_idle() -> None:
    """Two hospitals of 30 beds for 70 beds: the school has to open, and both are used."""
    sites = _sites(
        (*WEST, 30, False), (*EAST, 30, False), ("School north", 24.930, 60.200, 12, True)
    )
    result = _plan(_areas(), sites)
    assert result.facilities.at["School north", "status"] == "opened"
    kept = result.facilities.loc[["Hospital west", "Hospital east"]]
    assert (kept["beds_load"] >= 0.1 * kept["beds_after"]).all()
    assert "idle_existing_capacity" in _passed(result)


@pytest.mark.parametrize(("beds", "overloaded"), [(10, True), (100, False)])
def test_load_above_capacity_in_an_uncapacitated_model(beds: int, overloaded: bool) -> None:
    """p-median opens one of two candidate sites and sends every area to it, whatever it holds."""
    sites = _sites((*WEST, beds, True), (*EAST, beds, True))
    result = _plan(_areas(), sites, optimize={"model": "p-median", "p": 1})
    site = result.facilities[result.facilities["open"]]
    assert len(site) == 1
    load = float(site["beds_load"].iloc[0])
    assert load == pytest.approx(result.summary["demand"]["beds"])
    if overloaded:
        (record,) = _found(result)["load_above_capacity"]
        assert record["ids"] == list(site.index)
        assert f"{site.index[0]}: {load:,.1f} beds needed, {beds} there" in record["seen"]
        assert "p-median model places sites by travel time alone" in record["why"]
    else:
        assert "load_above_capacity" in _passed(result)


def test_report_and_console_say_each_finding_in_words(messy) -> None:
    summary = messy.summary
    html = messy.kind.report_html(messy.layers, summary, messy.manifest)
    section = html[html.index("plausibility checks</h2>") : html.index("<h2>Headline")]
    warnings = [r for r in summary["checks"] if r["severity"] == "warning"]
    assert f"{len(warnings)} warning(s) and 0 note(s) need a look" in section
    assert section.count("Why it matters:") == len(summary["checks"])
    for record in summary["checks"]:
        assert f"(check <code>{record['id']}</code>)" in section
    assert "Checked, nothing found: existing capacity idle while new sites open" in section
    lines = check_lines(summary)
    assert len(lines) == 1 + len(summary["checks"])
    assert lines[0].startswith(f"  checks: {len(warnings)} warning(s), 0 note(s); nothing found by")
    assert lines[1].startswith("  WARNING [baseline_over_capacity]: 1 existing site(s)")


# --- Harrisburg: the real extract, HIFLD's hospitals ------------------------------------------


@pytest.fixture(scope="module")
def harrisburg(harrisburg_hifld: dict, harrisburg_hifld_run: dict) -> dict:
    """The session's `geoalloc init` (HIFLD's CSV as is, the 2015 OSM buildings estimate on a
    1 km grid) and `geoalloc run` of it, both through the CLI (tests/conftest.py)."""
    assert harrisburg_hifld_run["exit_code"] == 0, harrisburg_hifld_run["output"]
    plan = harrisburg_hifld_run["folder"]
    summary = json.loads((plan / "summary.json").read_text())
    return {
        "inputs": harrisburg_hifld["folder"],
        "plan": plan,
        "stdout": harrisburg_hifld_run["stdout"],
        "summary": summary,
    }


@pytest.mark.slow
def test_harrisburg_grid_leaves_half_the_road_network_uncovered(harrisburg) -> None:
    """`geoalloc init` keeps the 1 km cells where the 2015 extract's 583 buildings put
    residents: 68 of 150, 53 % of the road network's 121 km² extent."""
    summary = harrisburg["summary"]
    found = {r["id"]: r for r in summary["checks"]}
    record = found["network_extent_uncovered"]
    assert record["severity"] == "warning"
    assert "47 % of the road network's extent (57.3 of 121.1 km²" in record["seen"]
    # HIFLD's six hospitals here are six: two of them 50 m apart have other names; every
    # area reaches one within 30 minutes; no control total was stated
    passed = {p["id"] for p in summary["checks_passed"]}
    assert {"duplicate_sites", "unreachable_demand"} <= passed
    assert "population_total" not in passed | set(found)
    # the console: a count, then a line per finding with what to do
    stdout = harrisburg["stdout"]
    assert "  checks: " in stdout
    assert "  WARNING [network_extent_uncovered]: 47 % of the road network's extent" in stdout
    assert "what to do: if people live there, extend the areas" in stdout
    report = (harrisburg["plan"] / "report.html").read_text()
    assert report.index("plausibility checks</h2>") < report.index("<h2>Headline")
    assert "57.3 of 121.1 km²" in report


@pytest.mark.slow
def test_harrisburg_extent_covered_by_the_areas_passes(harrisburg) -> None:
    """The same run with areas that cover the whole extent: the grid plus the rest of it."""
    from geoalloc.scenario import load_scenario

    scenario = load_scenario(harrisburg["inputs"] / "scenario.toml")
    layers = {
        name: gpd.read_file(harrisburg["plan"] / "results.gpkg", layer=name)
        for name in ("areas", "facilities", "assignments")
    }
    facts = RunFacts(harrisburg["summary"], layers, scenario)
    hull, crs = facts.extent
    grid = layers["areas"].to_crs(crs)
    rest = hull.difference(grid.union_all())
    whole = dict(layers)
    whole["areas"] = gpd.GeoDataFrame(
        {"area_id": [*grid["area_id"], "rest"], "population": [*grid["population"], 0.0]},
        geometry=[*grid.geometry, rest],
        crs=crs,
    ).to_crs(4326)
    findings, passed = run_checks(RunFacts(harrisburg["summary"], whole, scenario))
    assert "network_extent_uncovered" in {p["id"] for p in passed}
    assert "network_extent_uncovered" not in {f["id"] for f in findings}


@pytest.mark.slow
def test_thinned_nodes_draw_the_same_extent(harrisburg) -> None:
    """Thinning the nodes (for large networks): Harrisburg's 14,791 to 10,000 moves the
    extent's area by 0.9 % and its outline by 3 % of it."""
    from geoalloc.scenario import load_scenario

    network = load_scenario(harrisburg["inputs"] / "scenario.toml").network
    graph = load_network(network, cache_dir=default_cache_dir())
    lon = np.concatenate([graph.lon, graph.dropped_lon])
    lat = np.concatenate([graph.lat, graph.dropped_lat])
    every, _ = nodes_extent(lon, lat)
    thinned, _ = nodes_extent(lon, lat, thin_to=10_000)
    assert len(lon) > 10_000
    assert thinned.area == pytest.approx(every.area, rel=0.02)
    assert every.symmetric_difference(thinned).area < 0.05 * every.area


@pytest.mark.parametrize(
    ("value", "message"),
    [(0, "greater than 0"), (-5, "greater than 0"), (float("inf"), "finite"), (True, "true")],
)
def test_a_control_total_must_be_a_positive_number(
    write_scenario, tmp_path: Path, value: object, message: str
) -> None:
    areas = {"path": "a.gpkg", "id": "id", "population": "pop", "population_total": value}
    facilities = {"path": "s.gpkg", "id": "id", "capacity": {"beds": "beds"}}
    path = write_scenario(tmp_path, name="t", areas=areas, facilities=facilities)
    with pytest.raises(geoalloc.InputError) as raised:
        geoalloc.load_scenario(path)
    text = str(raised.value)
    assert "population_total" in text and message in text.lower()


def _far_facts(records: list[dict]) -> RunFacts:
    """A run on a road network whose ``far_snaps`` are ``records`` (the areas hold 10,000)."""
    areas = gpd.GeoDataFrame(
        {"area_id": ["a", "b"], "population": [9_000.0, 1_000.0]}, geometry=TOWN[:2], crs=3067
    )
    summary = {
        "kind": "planning",
        "snapping": {
            "mode": "drive",
            "access_speed_kph": 20.0,
            "far_snap_m": 300.0,
            "max_snap_m": 2000.0,
        },
        "far_snaps": records,
    }
    return RunFacts(summary, {"areas": areas, "facilities": areas.iloc[:0]}, None)  # type: ignore[arg-type]


def test_sites_and_areas_joined_far_from_the_roads() -> None:
    from geoalloc.runs.checks import far_from_roads

    site = {"id": "h1", "role": "site", "name": "Hospital", "snap_m": 979.5, "access_minutes": 2.94}
    area = {"id": "b", "role": "area", "name": None, "snap_m": 510.2, "access_minutes": 1.53}
    found = far_from_roads(_far_facts([site, area | {"population": 1_000.0}]))
    assert found is not None
    by_ids = {tuple(r["ids"]): r for r in found}
    assert by_ids[("h1",)]["severity"] == "warning"
    assert by_ids[("h1",)]["seen"] == (
        "1 site(s) lie more than 300 m (straight line) from the nearest node of the road "
        "network, so every trip to them ends with a straight-line leg at 20 km/h ([network] "
        "access_speed_kph, drive mode): Hospital 980 m (2.9 min)"
    )
    # 10 % of the residents start far from the roads: a warning; 1 % only: a note
    assert by_ids[("b",)]["severity"] == "warning"
    assert (
        "1 area(s) with 1,000 residents (10 %) start their trips more than 300 m"
        in (by_ids[("b",)]["seen"])
    )
    (few,) = far_from_roads(_far_facts([area | {"population": 90.0}])) or []
    assert few["severity"] == "info"
    assert far_from_roads(_far_facts([])) == []
    crowfly = _far_facts([])
    crowfly.summary["snapping"] = None  # type: ignore[index]
    assert far_from_roads(crowfly) is None
