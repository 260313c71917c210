"""Honest defaults on a region that is not among the examples: Harrisburg, PA (the 2015 OSM
extract in ../shared/data/osm_small_regions) with HIFLD's hospitals as they come and OSM schools,
libraries and town halls as candidate sites, built by ``geoalloc init``.

Three defaults misled a planner there (issue 13): a 5 km/h walking leg between the hospitals and
the extract's roads, 1 km away, piled the baseline onto a 55-bed rehabilitation hospital; opening
costs weighed nearly nothing, so schools opened while hospitals sat idle; and the classic models
counted the hospitals in p and closed them. Each test reproduces the old behaviour (with the old
setting given explicitly) beside the new default, so it can fail.

The population is OSM buildings scaled to an assumed round 180,000 for the city and the suburbs
the extract covers (no census figure for this extent is in ../shared): the tests check where
demand goes and why, not a census count.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import geoalloc
from geoalloc._errors import InputError
from geoalloc.optimize import OptimizeOptions, solve
from geoalloc.outputs.terminal import planning_lines
from geoalloc.region.init import InitRequest, init_region
from geoalloc.runs.evaluate import baseline_loads, evaluate, nearest_minutes
from geoalloc.runs.planning import Inputs, build_problem, check_inputs
from geoalloc.runs.travel import od_table, travel_matrix_for
from geoalloc.scenario import Scenario, load_scenario
from geoalloc.travel import NetworkOptions

pytestmark = pytest.mark.slow

#: an assumed round total for the extract's city and suburbs (see the module docstring)
POPULATION_TOTAL = 180_000.0
#: the issue's candidates: a school, library or town hall as a 60-bed site at 5,000,000
CANDIDATE_BEDS = 60.0
OPENING_COST = 5_000_000.0

REHABILITATION = "0028017109"  # HELEN M. SIMPSON REHABILITATION HOSPITAL, 55 beds
#: the four HIFLD hospitals that lie beyond the 2015 extract's roads, metres to the nearest node
FAR_HOSPITALS_M = {
    "PENNSYLVANIA PSYCHIATRIC INSTITUTE": 1479.4,
    "PINNACLEHEALTH HARRISBURG CAMPUS": 979.5,
    "SELECT SPECIALTY HOSPITAL - CENTRAL PENNSYLVANIA HARRISBURG": 960.9,
    "UPMC PINNACLE HOSPITALS": 558.8,
}


@pytest.fixture(scope="module")
def harrisburg(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """`geoalloc init` for Harrisburg with HIFLD and OSM candidates, then the issue's case: every
    candidate a 60-bed site costing 5,000,000, and no budget."""
    out = tmp_path_factory.mktemp("honest") / "harrisburg"
    request = InitRequest(
        network=shared_data / "osm_small_regions" / "harrisburg_pa_2015-03.osm.pbf",
        facilities=shared_data / "us_hifld_hospitals" / "hifld_hospitals.csv.gz",
        candidates="osm",
        population_total=POPULATION_TOTAL,
    )
    result = init_region(request, out)
    sites = gpd.read_file(out / "facilities.gpkg")
    candidate = sites["candidate"].astype(bool)
    sites.loc[candidate, "beds"] = CANDIDATE_BEDS
    sites.loc[candidate, "opening_cost"] = OPENING_COST
    sites.to_file(out / "facilities.gpkg", driver="GPKG")
    scenario = load_scenario(result.scenario_path)
    assert scenario.optimize.budget is not None  # init's budget of 3 openings: lifted here
    return scenario.model_copy(
        update={"optimize": scenario.optimize.model_copy(update={"budget": None})}
    )


@pytest.fixture(scope="module")
def inputs(harrisburg: Scenario) -> Inputs:
    return check_inputs(harrisburg)


@pytest.fixture(scope="module")
def run(harrisburg: Scenario) -> geoalloc.RunResult:
    return geoalloc.run(harrisburg)


def _baseline(scenario: Scenario, inputs: Inputs, access_speed_kph: float | None):
    """Today's loads (each area to its nearest hospital) with the off-network leg at
    ``access_speed_kph`` (None: the mode's default)."""
    network = scenario.network.model_copy(update={"access_speed_kph": access_speed_kph})
    matrix = travel_matrix_for(
        scenario.model_copy(update={"network": network}), inputs.area_points, inputs.facilities
    )
    existing = inputs.facilities.index[inputs.facilities["existing"]]
    nearest = nearest_minutes(od_table(matrix), inputs.areas.index, existing)
    today = inputs.facilities[["beds"]].where(inputs.facilities["existing"], 0.0)
    load, unmet = baseline_loads(inputs.needs[["beds"]], nearest, 30.0, capacity=today)
    beds = inputs.facilities["beds"]
    return (load["beds"] / beds.reindex(load.index)).to_dict(), float(unmet["beds"].sum())


def test_the_off_network_leg_speed_fits_the_mode() -> None:
    assert NetworkOptions().access_kph == 20.0  # drive: local streets, not a walk
    assert NetworkOptions(mode="walk").access_kph == 5.0
    assert NetworkOptions(mode="bike").access_kph == 15.0
    assert NetworkOptions(mode="walk", access_speed_kph=4.0).access_kph == 4.0
    assert NetworkOptions().far_snap_m == 300.0 and NetworkOptions().max_snap_m == 2000.0


def test_the_baseline_no_longer_piles_onto_the_rehabilitation_hospital(
    harrisburg: Scenario, inputs: Inputs
) -> None:
    demand = float(inputs.needs["beds"].sum())
    assert demand == pytest.approx(290.1, abs=0.1)
    # a walking leg (5 km/h, the former default) puts up to 18 minutes on the downtown
    # hospitals: nearly every area's nearest is then the 55-bed rehabilitation hospital, at 523 %
    walking, walking_unmet = _baseline(harrisburg, inputs, 5.0)
    assert walking == {
        REHABILITATION: pytest.approx(5.234, abs=1e-3),
        "0179617105": pytest.approx(0.005, abs=1e-3),  # UPMC PINNACLE HOSPITALS, 409 beds
    }
    assert walking_unmet == pytest.approx(232.9, abs=0.1)
    # at the drive default (20 km/h) the areas go to the general hospitals near them
    driving, driving_unmet = _baseline(harrisburg, inputs, None)
    assert REHABILITATION not in driving
    assert driving == {
        "0007217105": pytest.approx(2.053, abs=1e-3),  # PINNACLEHEALTH COMMUNITY CAMPUS
        "0179617105": pytest.approx(0.137, abs=1e-3),  # UPMC PINNACLE HOSPITALS
    }
    assert driving_unmet == pytest.approx(120.0, abs=0.1)


def test_far_snaps_are_flagged_with_their_distance_everywhere(run: geoalloc.RunResult) -> None:
    summary = run.summary
    assert summary["snapping"] == {
        "mode": "drive",
        "access_speed_kph": 20.0,
        "far_snap_m": 300.0,
        "max_snap_m": 2000.0,
    }
    far = summary["far_snaps"]
    sites = {r["name"]: r for r in far if r["role"] == "site"}
    assert {name: round(r["snap_m"], 1) for name, r in sites.items()} == FAR_HOSPITALS_M
    for record in far:  # the leg's minutes: the distance at 20 km/h (333.3 m a minute)
        assert record["access_minutes"] == pytest.approx(record["snap_m"] / (20_000 / 60))
        assert record["snap_m"] > 300.0
    assert [r["snap_m"] for r in far] == sorted((r["snap_m"] for r in far), reverse=True)
    # every area starts its trips at a point init moved next to the roads (origins.gpkg)
    assert [r for r in far if r["role"] == "area"] == []
    # the layers: snap_m on every site and area, far_snap where it is above 300 m
    facilities = run.facilities
    assert set(facilities.index[facilities["far_snap"]]) == {
        site for site in facilities.index if facilities.at[site, "name"] in FAR_HOSPITALS_M
    }
    assert facilities.loc[REHABILITATION, "snap_m"] == pytest.approx(131.0, abs=0.5)
    layer = run.areas
    assert not layer["far_snap"].any() and (layer["snap_m"] >= 0).all()
    assert layer["snap_m"].max() < 300.0
    # the check, the console and the report, in words with the distances
    (check,) = [r for r in summary["checks"] if r["id"] == "far_from_roads"]
    assert check["severity"] == "warning" and len(check["ids"]) == 4
    lines = "\n".join(planning_lines(summary))
    assert (
        "WARNING [far_from_roads]: 4 site(s) lie more than 300 m (straight line) from the nearest "
        "node of the road network, so every trip to them ends with a straight-line leg at 20 km/h "
        "([network] access_speed_kph, drive mode): PENNSYLVANIA PSYCHIATRIC INSTITUTE 1,479 m "
        "(4.4 min)"
    ) in lines
    report = run.kind.report_html(run.layers, summary, run.manifest)
    assert "<h2>Far from the road network</h2>" in report
    assert "<p>4 site(s) lie more than 300 m (straight line)" in report
    assert "<td>1,479</td>" in report


def test_existing_hospitals_serve_before_schools_open(
    run: geoalloc.RunResult, harrisburg: Scenario, inputs: Inputs
) -> None:
    sites = run.facilities
    hospitals = sites["existing"]
    # the lexicographic default: 290 beds fit in the hospitals within 30 minutes, so no school
    assert not (sites["open"] & ~hospitals).any()
    assert run.summary["unmet"]["beds"] == pytest.approx(0.0, abs=1e-6)
    assert run.summary["costs"]["total"] == 0.0
    detail = run.summary["objective"]
    assert detail["kind"] == "lexicographic"
    assert [level["key"] for level in detail["levels"]] == ["unmet", "cost", "new_sites", "travel"]
    values = {level["key"]: level["value"] for level in detail["levels"]}
    assert values["unmet"] == pytest.approx(0.0, abs=1e-6) and values["new_sites"] == 0.0
    assert values["travel"] == pytest.approx(2274.7, abs=0.1)  # bed-minutes
    report = run.kind.report_html(run.layers, run.summary, run.manifest)
    assert "<h2>How the plan was chosen</h2>" in report and "<b>in this order</b>" in report
    assert "plan chosen by, in this order: 1. least unmet demand" in "\n".join(
        planning_lines(run.summary)
    )

    # the former default (one weighted sum, cost_weight 1e-6 minutes per currency unit) on the
    # same inputs: 13 schools open (65 M) while five of the six hospitals sit at zero load
    problem = build_problem(harrisburg, inputs, od_table(inputs.travel_matrix(harrisburg)))
    weighted = solve(problem, harrisburg.optimize.model_copy(update={"objective": "weighted"}))
    table = weighted.sites
    assert int((table["open"] & ~table["existing"]).sum()) == 13
    assert int((table.loc[table["existing"], "beds_load"] < 1e-6).sum()) == 5
    assert weighted.costs["opening"] == 13 * OPENING_COST


def test_a_new_site_opens_when_costs_say_so(harrisburg: Scenario, inputs: Inputs) -> None:
    # running a hospital costs 50 M a year and hospitals may close: five schools (25 M) serve the
    # same demand within the standard for less, so the cost goal closes the hospitals
    facilities = inputs.facilities.copy()
    facilities["operating_cost"] = np.where(facilities["existing"], 50e6, 0.0)
    costly = dataclasses.replace(inputs, facilities=facilities)
    options = harrisburg.optimize.model_copy(
        update={"allow_closing": True, "operating_cost_column": "operating_cost"}
    )
    scenario = harrisburg.model_copy(update={"optimize": options})
    problem = build_problem(scenario, costly, od_table(inputs.travel_matrix(harrisburg)))
    plan = solve(problem, options)
    sites = plan.sites
    assert not sites.loc[sites["existing"], "open"].any()
    assert int((sites["open"] & ~sites["existing"]).sum()) == 5
    assert plan.unmet["beds"].sum() == pytest.approx(0.0, abs=1e-6)
    assert plan.costs["total"] == 5 * OPENING_COST


def test_classic_models_keep_the_hospitals_and_add_k(harrisburg: Scenario, inputs: Inputs) -> None:
    od = od_table(inputs.travel_matrix(harrisburg))
    problem = build_problem(harrisburg, inputs, od)
    hospitals = inputs.facilities.index[inputs.facilities["existing"]]
    added = solve(problem, OptimizeOptions(model="p-median", add=2, max_minutes=30))
    opened = added.sites.index[added.sites["open"]]
    assert set(hospitals) <= set(opened) and len(opened) == len(hospitals) + 2
    assert added.objective_detail == {
        "kind": "classic",
        "existing": "keep",
        "existing_sites": 6,
        "p": None,
        "add": 2,
        "sites_open": 8,
    }
    # p counts every open site: fewer than the hospitals kept is refused, naming add
    with pytest.raises(InputError, match="give add = k to open k new sites beside them"):
        solve(problem, OptimizeOptions(model="p-median", p=4, max_minutes=30))
    # the textbook model (existing = "may_close") chooses freely: p = 7 closes every hospital
    free = solve(
        problem, OptimizeOptions(model="p-median", p=7, max_minutes=30, existing="may_close")
    )
    assert not free.sites.loc[hospitals, "open"].any()
    # an uncapacitated plan's loads above capacity are in the plan's figures
    evaluation = evaluate(
        areas=inputs.areas,
        area_points=inputs.area_points,
        population=inputs.areas["population"].astype(float),
        needs=inputs.needs,
        resources=["beds"],
        facilities=inputs.facilities,
        od=od,
        allocation=added,
        max_minutes=30.0,
    )
    over = pd.DataFrame(evaluation["plan"]["over_capacity"])
    assert list(over.columns) == ["site_id", "name", "resource", "load", "capacity", "utilisation"]
    assert over["utilisation"].iloc[0] == pytest.approx(2.37, abs=0.01)  # Lawnton Elementary
    assert (over["load"] > over["capacity"]).all() and over["utilisation"].is_monotonic_decreasing
    baseline = evaluation["baseline"]["over_capacity"]
    assert [(r["name"], round(r["utilisation"], 3)) for r in baseline] == [
        ("PINNACLEHEALTH COMMUNITY CAMPUS", 2.053)
    ]
