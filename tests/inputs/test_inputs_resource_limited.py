"""Inputs for resource-limited planning: a scaled-down stock, districts from polygons, ages joined
onto a history and banded, and plans of equipment alone (no queue check)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geoalloc._errors import InputError
from geoalloc.cli import cli
from geoalloc.demand.history import age_band_labels, read_history
from geoalloc.demand.options import HistoryOptions
from geoalloc.inputs.read import NO_DISTRICT
from geoalloc.runs import run_scenario
from geoalloc.runs.planning import check_inputs
from geoalloc.scenario import load_scenario
from tests.helpers import write_chicago_scenario


def _with(path: Path, old: str, new: str) -> Path:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


def test_capacity_scale_rounds_down_and_notes_the_totals(tmp_path: Path, shared_data: Path) -> None:
    scenario = write_chicago_scenario(tmp_path, shared_data)
    _with(
        scenario,
        'capacity = { beds = "Total_Bed" }',
        'capacity = { beds = "Total_Bed" }\ncapacity_scale = { beds = 0.1 }',
    )
    inputs = check_inputs(load_scenario(scenario))
    raw = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_hospitals.gpkg")
    expected = np.floor(raw.set_index("Hospital")["Total_Bed"] * 0.1)
    pd.testing.assert_series_equal(
        inputs.facilities["beds"], expected.astype(float), check_names=False
    )
    assert any("scaled by 0.1" in note for note in inputs.notes)


def test_capacity_scale_of_an_unknown_resource_is_an_input_error(
    tmp_path: Path, shared_data: Path
) -> None:
    scenario = write_chicago_scenario(tmp_path, shared_data)
    _with(
        scenario,
        'capacity = { beds = "Total_Bed" }',
        'capacity = { beds = "Total_Bed" }\ncapacity_scale = { ventilators = 0.1, beds = -1 }',
    )
    result = CliRunner().invoke(cli, ["validate", str(scenario)])
    assert result.exit_code == 3
    assert "capacity_scale names ['ventilators']" in result.output


def _with_zip_districts(tmp_path: Path, shared_data: Path, districts: str) -> tuple[Path, Path]:
    """A Chicago scenario whose [areas] take districts from the ZIP polygons (``districts`` is
    the rest of the inline table after the path)."""
    zips = shared_data / "chicago_kang2020" / "chicago_zipcodes_pop_covid.gpkg"
    scenario = write_chicago_scenario(tmp_path, shared_data)
    _with(
        scenario,
        'age_bands = { OverFifty = "50+" }',
        'age_bands = { OverFifty = "50+" }\n'
        f'districts = {{ path = "{zips.as_posix()}", {districts} }}',
    )
    return scenario, zips


def test_districts_take_the_polygon_holding_each_area(tmp_path: Path, shared_data: Path) -> None:
    scenario, zips = _with_zip_districts(tmp_path, shared_data, 'id = "ZCTA5CE10", column = "zip"')
    inputs = check_inputs(load_scenario(scenario))
    # independently: the ZIP sharing the largest area with each tract, by an overlay in UTM
    tracts = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_tracts_pop.gpkg")
    utm = tracts.estimate_utm_crs()
    pieces = gpd.overlay(
        tracts[["GEOID", "geometry"]].to_crs(utm),
        gpd.read_file(zips)[["ZCTA5CE10", "geometry"]].to_crs(utm),
        how="intersection",
        keep_geom_type=True,
    )
    pieces["area_m2"] = pieces.area
    tract_m2 = tracts.to_crs(utm).set_index("GEOID").area
    # 65 tracts of this file are slivers (< 1 m²): geoalloc places those by their point (below)
    pieces = pieces[pieces["GEOID"].map(tract_m2) >= 1.0]
    pieces = pieces[pieces["area_m2"] >= 0.01 * pieces["GEOID"].map(tract_m2)]
    largest = pieces.sort_values("area_m2").groupby("GEOID").last()
    expected = largest["ZCTA5CE10"].rename(index=str)
    got = inputs.areas["zip"]
    assert (got[expected.index] == expected.astype(str)).all()
    slivers = got.index.difference(expected.index)
    assert len(slivers) == 65
    zip_shapes = gpd.read_file(zips).set_index("ZCTA5CE10").geometry.to_crs(utm)
    points = tracts.to_crs(utm).set_index("GEOID").representative_point()
    for geoid in slivers:  # by its point: a ZIP holding it, or none
        label = got[geoid]
        if label == NO_DISTRICT:
            assert not zip_shapes.intersects(points[geoid]).any()
        else:
            assert zip_shapes[label].distance(points[geoid]) < 1e-6
    assert (got == NO_DISTRICT).sum() > 0
    assert any("lie in no district" in note for note in inputs.notes)
    assert any("65 area polygon(s) smaller than 1 m²" in note for note in inputs.notes)


def test_districts_with_a_missing_id_column(tmp_path: Path, shared_data: Path) -> None:
    scenario, _ = _with_zip_districts(tmp_path, shared_data, 'id = "ZIP"')
    with pytest.raises(InputError, match="ZIP"):
        check_inputs(load_scenario(scenario))


def test_age_band_labels_by_lowest_age() -> None:
    ages = pd.Series([10, 49.9, 50, 64, 65, 90, np.nan])
    got = age_band_labels(ages, {"65+": 65, "50-64": 50})
    assert got.tolist() == ["other", "other", "50-64", "50-64", "65+", "65+", "other"]


def test_mimic_ages_joined_from_patients(shared_data: Path) -> None:
    hosp = shared_data / "mimic_iv_demo_2.2" / "hosp"
    options = HistoryOptions(
        path=hosp / "admissions.csv.gz",
        age="anchor_age",
        age_band_min_years={"50+": 50},
        join={"path": hosp / "patients.csv.gz", "on": "subject_id"},
    )
    history = read_history(hosp / "admissions.csv.gz", options)
    admissions = pd.read_csv(hosp / "admissions.csv.gz")
    patients = pd.read_csv(hosp / "patients.csv.gz")
    ages = admissions.merge(patients, on="subject_id", how="left")["anchor_age"]
    assert len(history.table) == len(admissions) == 275
    assert (history.table["age_band"] == "50+").sum() == (ages >= 50).sum()


def test_join_with_repeated_keys_is_an_input_error(tmp_path: Path) -> None:
    history = tmp_path / "h.csv"
    history.write_text("id,los\n1,2.0\n2,3.0\n")
    ages = tmp_path / "ages.csv"
    ages.write_text("id,age\n1,40\n1,41\n2,70\n")
    options = HistoryOptions(
        path=history, age="age", age_band_min_years={"50+": 50}, join={"path": ages, "on": "id"}
    )
    with pytest.raises(InputError, match="repeats for 1"):
        read_history(history, options)
    missing = HistoryOptions(
        path=history, age="age", age_band_min_years={"50+": 50}, join={"path": ages, "on": "pid"}
    )
    with pytest.raises(InputError, match="'pid'"):
        read_history(history, missing)


def test_unmatched_rows_are_counted_as_missing_age(tmp_path: Path) -> None:
    history = tmp_path / "h.csv"
    history.write_text("id,los\n1,2.0\n2,3.0\n3,4.0\n")
    ages = tmp_path / "ages.csv"
    ages.write_text("id,age\n1,40\n2,70\n")
    options = HistoryOptions(
        path=history, age="age", age_band_min_years={"50+": 50}, join={"path": ages, "on": "id"}
    )
    got = read_history(history, options)
    assert got.problems.counts == {"missing_age": 1}
    assert got.table["age_band"].tolist() == ["other", "50+"]


@pytest.mark.slow
def test_a_ventilator_only_plan_runs_without_a_queue_check(
    tmp_path: Path, shared_data: Path
) -> None:
    scenario = write_chicago_scenario(tmp_path, shared_data)
    _with(
        scenario, 'capacity = { beds = "Total_Bed" }', 'capacity = { ventilators = "Total Vent" }'
    )
    _with(scenario, 'resource = "beds"', 'resource = "ventilators"')
    result = run_scenario(load_scenario(scenario))
    assert result.summary["resources"] == ["ventilators"]
    assert "queue_check" not in result.summary["demand_model"]


@pytest.mark.slow
def test_queue_simulation_can_be_switched_off(tmp_path: Path, shared_data: Path) -> None:
    scenario = write_chicago_scenario(tmp_path, shared_data)
    _with(scenario, "occupancy_target = 0.85", "occupancy_target = 0.85\nsimulate_queues = false")
    result = run_scenario(load_scenario(scenario))
    queue = pd.DataFrame(result.summary["demand_model"]["queue_check"])
    assert len(queue) == 40
    assert queue["blocking_erlang_b"].between(0, 1).all()  # the analytic figures stay
    assert "sim_blocking" not in queue.columns or queue["sim_blocking"].isna().all()


def _with_origins(tmp_path: Path, shared_data: Path, points: gpd.GeoDataFrame) -> Path:
    points.to_file(tmp_path / "origins.gpkg", driver="GPKG")
    scenario = write_chicago_scenario(tmp_path, shared_data)
    _with(
        scenario,
        'age_bands = { OverFifty = "50+" }',
        'age_bands = { OverFifty = "50+" }\norigins = { path = "origins.gpkg", id = "tract" }',
    )
    return scenario


def test_origins_replace_the_representative_point(tmp_path: Path, shared_data: Path) -> None:
    tracts = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_tracts_pop.gpkg")
    # two tracts start from a point inside them (their polygon's centroid here), plus a stray
    # point of no tract and one tract far from its own polygon
    chosen = tracts.set_index("GEOID").iloc[:3]
    utm = tracts.estimate_utm_crs()
    centroids = chosen.geometry.to_crs(utm).centroid.to_crs(4326)
    ids = list(chosen.index)
    points = gpd.GeoDataFrame(
        {"tract": [*ids[:2], "nowhere", ids[2]]},
        geometry=[centroids.iloc[0], centroids.iloc[1], centroids.iloc[0], centroids.iloc[0]],
        crs=4326,
    )
    inputs = check_inputs(load_scenario(_with_origins(tmp_path, shared_data, points)))
    origins = inputs.area_points.geometry
    assert origins[ids[0]].distance(centroids.iloc[0]) < 1e-9
    assert origins[ids[1]].distance(centroids.iloc[1]) < 1e-9
    # the others keep their representative point
    rest = inputs.area_points.drop(ids)
    assert rest.geometry.within(tracts.set_index("GEOID").geometry.reindex(rest.index)).mean() > 0.9
    notes = " ".join(inputs.notes)
    assert "1 point(s) belong to no area and are ignored: nowhere" in notes
    assert "start from their polygon's representative point" in notes
    assert f"origin point outside its own area for {ids[2]}" in notes


def test_two_origins_for_one_area_is_an_input_error(tmp_path: Path, shared_data: Path) -> None:
    from shapely.geometry import Point

    points = gpd.GeoDataFrame(
        {"tract": ["17031010100", "17031010100"]},
        geometry=[Point(-87.67, 42.02), Point(-87.66, 42.02)],
        crs=4326,
    )
    with pytest.raises(InputError, match="more than one origin for an area"):
        check_inputs(load_scenario(_with_origins(tmp_path, shared_data, points)))


def test_ids_and_join_keys_are_read_as_text(tmp_path: Path) -> None:
    from geoalloc.demand.history import read_table

    (tmp_path / "ids.csv").write_text("area,factor\n01001,2\n 02002 ,3\n")
    frame = read_table(tmp_path / "ids.csv", text_columns=["area"])
    assert frame["area"].tolist() == ["01001", "02002"]  # leading zeros and spaces as meant
    # zero-padded keys in a CSV history join a Parquet table that stores them as text (a CSV
    # reader guessing numbers would make them 1, 2 and the merge would fail on the types)
    history = tmp_path / "h.csv"
    history.write_text("id,los\n0001,2.0\n0002,3.0\n")
    pd.DataFrame({"id": ["0001", "0002"], "age": [40, 70]}).to_parquet(tmp_path / "ages.parquet")
    options = HistoryOptions(
        path=history,
        age="age",
        age_band_min_years={"50+": 50},
        join={"path": tmp_path / "ages.parquet", "on": "id"},
    )
    assert read_history(history, options).table["age_band"].tolist() == ["other", "50+"]


def test_districts_must_be_polygons_with_a_crs(tmp_path: Path, shared_data: Path) -> None:
    from shapely.geometry import Point

    gpd.GeoDataFrame({"zip": ["1"]}, geometry=[Point(-87.6, 41.9)], crs=4326).to_file(
        tmp_path / "points.gpkg"
    )
    scenario = write_chicago_scenario(tmp_path, shared_data)
    _with(
        scenario,
        'age_bands = { OverFifty = "50+" }',
        'age_bands = { OverFifty = "50+" }\ndistricts = { path = "points.gpkg", id = "zip" }',
    )
    with pytest.raises(InputError, match=r"districts must be polygons, found \['Point'\]"):
        check_inputs(load_scenario(scenario))
