"""`geoalloc validate` on broken copies of the real Chicago inputs, each made in a tmp dir."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from shapely.geometry import Polygon

from geoalloc.cli import cli
from tests.helpers import write_chicago_scenario


@pytest.fixture(scope="module")
def chicago(shared_data: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    folder = shared_data / "chicago_kang2020"
    return (
        gpd.read_file(folder / "chicago_tracts_pop.gpkg"),
        gpd.read_file(folder / "chicago_hospitals.gpkg"),
    )


def _validate(scenario: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", str(scenario)])
    return result.exit_code, result.output


def test_valid_real_inputs(tmp_path: Path, shared_data: Path) -> None:
    code, output = _validate(write_chicago_scenario(tmp_path, shared_data))
    assert code == 0, output
    assert "878 areas, 66 sites" in output
    assert "66 non-point geometries replaced by a representative point" in output


def test_every_area_problem_reported_at_once(tmp_path: Path, shared_data: Path, chicago) -> None:
    tracts, _ = chicago
    broken = tracts.copy()
    ids = broken["GEOID"].tolist()
    broken.loc[1, "GEOID"] = ids[0]  # duplicate id
    broken.loc[2, "TotalPop"] = np.nan
    broken.loc[3, "TotalPop"] = -5
    broken.loc[4, "OverFifty"] = broken.loc[4, "TotalPop"] + 10  # band larger than the population
    bowtie = Polygon([(-87.7, 41.8), (-87.6, 41.9), (-87.6, 41.8), (-87.7, 41.9), (-87.7, 41.8)])
    broken.loc[5, "geometry"] = bowtie
    broken.loc[6, "geometry"] = Polygon()
    path = tmp_path / "tracts.gpkg"
    broken.to_file(path)
    code, output = _validate(write_chicago_scenario(tmp_path, shared_data, areas=path))
    assert code == 3, output
    assert f"duplicate ids in column 'GEOID' (ids: {ids[0]})" in output
    assert f"is empty (NaN) (ids: {ids[2]})" in output
    assert f"is negative (ids: {ids[3]})" in output
    band_line = next(
        line for line in output.splitlines() if "add up to more than 'TotalPop'" in line
    )
    assert ids[4] in band_line  # (the negative-population row is listed there too)
    assert f"invalid geometry (e.g. self-intersecting) (ids: {ids[5]})" in output
    assert f"empty or missing geometry (ids: {ids[6]})" in output
    assert "Traceback" not in output


def test_missing_columns_and_file(tmp_path: Path, shared_data: Path, chicago) -> None:
    _, hospitals = chicago
    path = tmp_path / "hospitals.gpkg"
    hospitals.drop(columns=["Total_Bed"]).to_file(path)
    scenario = write_chicago_scenario(
        tmp_path, shared_data, facilities=path, areas=tmp_path / "missing.gpkg"
    )
    code, output = _validate(scenario)
    assert code == 3
    assert "file not found" in output and "missing.gpkg" in output
    assert "column 'Total_Bed' (from capacity.beds) not found" in output
    assert "columns are:" in output


def test_no_crs_and_crs_mismatch(tmp_path: Path, shared_data: Path, chicago) -> None:
    tracts, hospitals = chicago
    shp = tmp_path / "tracts_nocrs.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        # a shapefile without .prj, in metres: no CRS can be assumed (degrees would be EPSG:4326,
        # see tests/runs/test_geography.py)
        tracts.head(50).to_crs(26916).set_crs(None, allow_override=True).to_file(shp)
    reprojected = tmp_path / "hospitals_utm.gpkg"
    hospitals.to_crs(26916).to_file(reprojected)
    code, output = _validate(write_chicago_scenario(tmp_path, shared_data, areas=shp))
    assert code == 3
    assert "has no CRS, and its coordinates (x 4" in output
    assert "ogr2ogr -a_srs EPSG:<code> fixed.gpkg tracts_nocrs.shp" in output
    code, output = _validate(write_chicago_scenario(tmp_path, shared_data, facilities=reprojected))
    assert code == 0, output
    assert "reprojected from EPSG:26916 to the areas' CRS" in output


def test_unknown_band_and_negative_capacity(tmp_path: Path, shared_data: Path, chicago) -> None:
    _, hospitals = chicago
    broken = hospitals.copy()
    broken.loc[0, "Total_Bed"] = -1
    path = tmp_path / "hospitals.gpkg"
    broken.to_file(path)
    scenario = write_chicago_scenario(tmp_path, shared_data, facilities=path)
    code, output = _validate(scenario)
    assert code == 3
    assert (
        f"capacity of 'beds' column 'Total_Bed' is negative (ids: {broken.loc[0, 'Hospital']})"
        in output
    )
    rates = {"admissions_per_1000": {"65+": 220.0, "other": 60.0}}
    scenario = write_chicago_scenario(tmp_path, shared_data, demand=rates)
    code, output = _validate(scenario)
    assert code == 3
    assert "band '65+', which no [areas] age_bands column defines" in output
    assert "no rate for age band '50+'" in output
