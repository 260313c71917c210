"""The ``[access]`` output of a planning run, on Chicago's South Side (Kang et al. 2020's data):
180 tracts × 9 hospitals, crow-fly minutes, one hospital out of service in the plan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

gpd = pytest.importorskip("geopandas")

import geoalloc  # noqa: E402
from geoalloc import InputError  # noqa: E402
from geoalloc.access import Decay, access_index  # noqa: E402
from geoalloc.outputs.access import access_section  # noqa: E402
from geoalloc.outputs.terminal import planning_lines  # noqa: E402
from geoalloc.runs.planning import check_inputs  # noqa: E402
from geoalloc.runs.travel import horizon_minutes, od_table  # noqa: E402

CLOSED = "The University of Chicago Medical Center"  # the largest ICU of the South Side
ACCESS = {
    "method": "e2sfca",
    "resource": "icu_beds",
    "max_minutes": 30,
    "steps": [[10, 1.0], [20, 0.68], [30, 0.22]],
    "population_column": "OverFifty",
}


@pytest.fixture(scope="module")
def south_side(shared_data):
    folder = shared_data / "chicago_kang2020"
    tracts = gpd.read_file(folder / "chicago_tracts_pop.gpkg")
    points = tracts.representative_point()
    tracts = tracts[(points.y > 41.70) & (points.y < 41.80) & (points.x > -87.70)].copy()
    tracts["side"] = np.where(tracts.representative_point().y > 41.75, "north", "south")
    hospitals = gpd.read_file(folder / "chicago_hospitals.gpkg")
    points = hospitals.representative_point()
    hospitals = hospitals[(points.y > 41.68) & (points.y < 41.82) & (points.x > -87.72)]
    return tracts, hospitals


def _plan(south_side, access=ACCESS, **options):
    tracts, hospitals = south_side
    return geoalloc.plan(
        tracts,
        hospitals,
        area_id="GEOID",
        population="TotalPop",
        site_id="Hospital",
        capacity={"beds": "Total_Bed", "icu_beds": "Adult ICU"},
        age_bands={"OverFifty": "50+"},
        demand={"resources": ["beds", "icu_beds"], "admissions_per_1000": {"all": 100.0}},
        optimize={"model": "capacitated", "max_minutes": 8, "equity_group_column": "side"},
        network={"source": "crowfly", "speed_kph": 30, "circuity": 1.3},
        outage={"closed_sites": [CLOSED]},
        access=access,
        name="south-side",
        **options,
    )


@pytest.fixture(scope="module")
def run(south_side):
    return _plan(south_side)


def test_the_columns_equal_the_library_on_the_runs_own_travel_table(run):
    areas = run.areas
    inputs = check_inputs(run.scenario)
    od = od_table(inputs.travel_matrix(run.scenario))
    assert od["minutes"].max() > 24  # the horizon (3 × 8) was extended to the 30-min catchment
    demand = inputs.areas["OverFifty"].astype(float)
    today = inputs.facilities["icu_beds"].astype(float)
    decay = Decay.step([[10, 1.0], [20, 0.68], [30, 0.22]])
    expected = access_index(od, demand, today, method="e2sfca", max_minutes=30, decay=decay)
    np.testing.assert_allclose(
        areas["baseline_access_e2sfca"], expected.per_1000.reindex(areas.index), rtol=1e-12
    )
    # the plan goes without the closed hospital: less access than today, nowhere more
    after = today.where(today.index != CLOSED, 0.0)
    plan = access_index(od, demand, after, method="e2sfca", max_minutes=30, decay=decay)
    np.testing.assert_allclose(
        areas["access_e2sfca"], plan.per_1000.reindex(areas.index), rtol=1e-12
    )
    assert (areas["access_e2sfca"] <= areas["baseline_access_e2sfca"] + 1e-12).all()
    assert (areas["access_e2sfca"] < areas["baseline_access_e2sfca"] - 1e-9).sum() > 10
    assert areas["access_population"].tolist() == demand.reindex(areas.index).tolist()


def test_the_summary_block(run):
    block = run.summary["access"]
    assert block["method"] == "e2sfca"
    assert block["units"] == "icu_beds per 1,000 people (OverFifty)"
    assert block["max_minutes"] == 30 and block["cut_off"] == "inclusive"
    assert block["decay"] == {"kind": "step", "steps": [[10, 1.0], [20, 0.68], [30, 0.22]]}
    areas = run.areas
    people = areas["access_population"]
    for which, column in (("baseline", "baseline_access_e2sfca"), ("plan", "access_e2sfca")):
        figures = block[which]
        assert figures["mean"] == pytest.approx(np.average(areas[column], weights=people))
        assert figures["p10"] <= figures["median"] <= figures["p90"]
        worst = figures["worst_areas"]
        assert len(worst) == 10
        assert [w["value"] for w in worst] == sorted(w["value"] for w in worst)
        assert worst[0]["value"] == pytest.approx(areas.loc[people > 0, column].min())
        assert set(figures["by_group"]) == {"north", "south"}
        total = sum(g["population"] for g in figures["by_group"].values())
        assert total == pytest.approx(people.sum())
    assert block["plan"]["mean"] < block["baseline"]["mean"]
    (line,) = [line for line in planning_lines(run.summary) if "access (" in line]
    assert line.startswith("  access (e2sfca, icu_beds per 1,000 people (OverFifty), 30 min")


def test_the_report_and_the_map_show_it(run, tmp_path):
    run.write(tmp_path / "run")
    report = (tmp_path / "run" / "report.html").read_text()
    assert "<h2>Access: icu_beds per 1,000 people (OverFifty) (e2sfca)</h2>" in report
    assert "<b>inclusive</b>" in report and "Who is worst off" in report
    page = (tmp_path / "run" / "map.html").read_text()
    assert "Access: icu_beds per 1,000 people (OverFifty) (e2sfca)" in page
    written = gpd.read_file(tmp_path / "run" / "results.gpkg", layer="areas")
    assert {"access_e2sfca", "baseline_access_e2sfca", "access_sites_in_reach"} <= set(written)
    grid = access_section(run.layers["areas"], run.summary["access"], on_display_grid=True)
    assert "has no access layer" in grid


def test_no_access_section_changes_nothing(south_side, run):
    plain = _plan(south_side, access=None)
    assert "access" not in plain.summary
    assert not [c for c in plain.areas.columns if "access" in c]
    assert plain.summary["plan"] == run.summary["plan"]  # the horizon grew, the plan did not
    shared = [c for c in plain.areas.columns if c != "geometry"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(plain.areas[shared]), pd.DataFrame(run.areas[shared])
    )


@pytest.mark.parametrize(
    ("access", "match"),
    [
        ({"method": "2sfca", "decay": "gaussian", "sigma_minutes": 10}, "takes no decay"),
        ({"method": "e2sfca", "decay": "gaussian"}, "needs sigma_minutes"),
        ({"method": "e2sfca", "sigma_minutes": 10}, "do\\(es\\) not apply"),
        ({"method": "e2sfca", "steps": [[20, 1.0], [10, 0.5]]}, "must increase"),
        ({"method": "3sfca"}, "method"),
        ({"method": "bfca", "catchment": 30}, "catchment"),
        ({"method": "bfca", "resource": "ventilators"}, "not a resource the plan allocates"),
        ({"method": "bfca", "population_column": "Over65"}, "'Over65' is not in the areas"),
        ({"method": "bfca", "demand": "needs", "population_column": "OverFifty"}, "applies to"),
    ],
)
def test_bad_access_options_are_input_errors(south_side, access, match):
    with pytest.raises(InputError, match=match):
        _plan(south_side, access=access)


def test_the_horizon_reaches_the_catchment(run):
    assert horizon_minutes(run.scenario) == 30.0
    shorter = run.scenario.model_copy(
        update={"access": run.scenario.access.model_copy(update={"max_minutes": 12.0})}
    )
    assert horizon_minutes(shorter) == 24.0  # 3 × the 8-minute standard reaches farther


def test_a_scenario_file_with_a_bad_access_section_exits_3(tmp_path, shared_data):
    from click.testing import CliRunner

    from geoalloc.cli import cli
    from tests.helpers import REPO_ROOT

    # the example's scenario with one [access] key misspelt
    text = (REPO_ROOT / "examples" / "chicago_access" / "icu_access.toml").read_text()
    text = text.replace("max_minutes = 30 ", "max_minute = 30 ")
    scenario = tmp_path / "icu_access.toml"
    scenario.write_text(text.replace("../../../shared", str(shared_data.parent)))
    result = CliRunner().invoke(cli, ["validate", str(scenario)])
    assert result.exit_code == 3
    assert "access.max_minute" in result.output


@pytest.mark.parametrize(
    ("access", "unit"),
    [
        ({"method": "bfca", "max_minutes": 15}, "icu_beds per 1,000 people"),
        ({"method": "gravity", "power": 2, "min_minutes": 2}, "icu_beds per 1,000 people"),
        (
            {"method": "2sfca", "demand": "needs", "max_minutes": 15},
            "icu_beds per unit of icu_beds needed",
        ),
    ],
    ids=["bfca", "gravity", "needs"],
)
def test_every_method_and_demand_reaches_the_areas_layer(south_side, access, unit):
    result = _plan(south_side, access={"resource": "icu_beds", **access})
    block = result.summary["access"]
    assert block["units"] == unit
    inputs = check_inputs(result.scenario)
    od = od_table(inputs.travel_matrix(result.scenario))
    demand = (
        inputs.needs["icu_beds"]
        if access.get("demand") == "needs"
        else inputs.areas["TotalPop"].astype(float)
    )
    expected = access_index(
        od,
        demand,
        inputs.facilities["icu_beds"].astype(float),
        method=access["method"],
        max_minutes=access.get("max_minutes", 8),
        decay=result.scenario.access.decay_function(),
    )
    per = 1.0 if access.get("demand") == "needs" else 1000.0
    column = result.areas[f"baseline_access_{access['method']}"]
    np.testing.assert_allclose(column, (expected.ratio * per).reindex(column.index), rtol=1e-12)


def test_a_telemedicine_scenario_refuses_access(south_side):
    tracts, hospitals = south_side
    with pytest.raises(InputError, match="telemedicine run does not read it"):
        geoalloc.plan(
            tracts,
            hospitals,
            area_id="GEOID",
            population="TotalPop",
            site_id="Hospital",
            optimize={"max_minutes": 8},
            access={"method": "2sfca"},
            telemedicine={  # refused when the scenario is read, before any column is looked up
                "connected": "online",
                "divertible_share": 0.3,
                "visits_per_1000": {"all": 3000.0},
                "minutes_per_visit": 15.0,
                "site_hours": "hours",
                "hub": "is_hub",
                "hub_max_hours": 50.0,
            },
        )


@pytest.mark.parametrize(
    ("values", "match"),
    [
        (["many", "1", "2"], "population_column: areas column 'who' is not a number \\(ids: A\\)"),
        ([-5.0, 1.0, 2.0], "population_column: areas column 'who' is negative \\(ids: A\\)"),
        ([None, 1.0, 2.0], "population_column: areas column 'who' is empty \\(NaN\\) \\(ids: A\\)"),
    ],
    ids=["text", "negative", "empty"],
)
def test_a_population_column_that_is_not_persons_names_the_areas(
    tmp_path, write_scenario, values, match
):
    """The same checks as the [areas] population column: each bad row named by its area id."""
    from tests.runs.robust_instance import write_instance

    access = {"method": "2sfca", "max_minutes": 10, "population_column": "who"}
    path = write_instance(tmp_path, write_scenario, access=access)
    areas = gpd.read_file(tmp_path / "areas.gpkg")
    areas["who"] = values
    areas.to_file(tmp_path / "areas.gpkg")
    with pytest.raises(InputError, match=match):
        check_inputs(geoalloc.load_scenario(path))
