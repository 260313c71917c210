"""Values in the input layers that are no place or no quantity: latitude 140 in a longitude/latitude
file, an infinite population, a capacity of 1e308. Each is an input error (exit 3) naming the file,
the column or bound and the row ids — broken copies of the real Chicago inputs, made in a tmp dir."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from shapely import affinity

from geoalloc.cli import cli
from tests.helpers import chicago_sections, write_chicago_scenario, write_scenario


@pytest.fixture(scope="module")
def chicago(shared_data: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    folder = shared_data / "chicago_kang2020"
    return (
        gpd.read_file(folder / "chicago_tracts_pop.gpkg"),
        gpd.read_file(folder / "chicago_hospitals.gpkg"),
    )


def _run(scenario: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(out)])
    return result.exit_code, result.output


def _moved_north(frame: gpd.GeoDataFrame, rows: list[int], degrees: float) -> gpd.GeoDataFrame:
    moved = frame.copy()
    for row in rows:
        moved.loc[row, "geometry"] = affinity.translate(moved.geometry[row], yoff=degrees)
    return moved


def test_areas_beyond_latitude_90_are_named(tmp_path: Path, shared_data: Path, chicago) -> None:
    tracts, _ = chicago
    path = tmp_path / "tracts.gpkg"
    _moved_north(tracts, [3, 7], 98.3).to_file(path)  # latitude ~140
    code, output = _run(write_chicago_scenario(tmp_path, shared_data, areas=path), tmp_path / "o")
    assert code == 3, output
    line = next(line for line in output.splitlines() if "latitude outside [-90, 90]" in line)
    assert "tracts.gpkg" in line and "EPSG:4326" in line
    assert f"ids: {tracts.GEOID[3]}, {tracts.GEOID[7]}" in line
    assert "Traceback" not in output and "UTM" not in output
    assert not (tmp_path / "o").exists()


def test_sites_beyond_latitude_90_are_named(tmp_path: Path, shared_data: Path, chicago) -> None:
    """The hospitals are multipoints, placed at a point in a UTM zone that latitude 140 has not:
    that crashed before the check."""
    _, hospitals = chicago
    path = tmp_path / "hospitals.gpkg"
    _moved_north(hospitals, [0], 98.3).to_file(path)
    scenario = write_chicago_scenario(tmp_path, shared_data, facilities=path)
    code, output = _run(scenario, tmp_path / "o")
    assert code == 3, output
    assert "latitude outside [-90, 90] in its geographic CRS EPSG:4326 (e.g. 140" in output
    assert f"(ids: {hospitals.Hospital[0]})" in output
    assert "Traceback" not in output


def test_longitude_beyond_180_is_named(tmp_path: Path, shared_data: Path, chicago) -> None:
    _, hospitals = chicago
    moved = hospitals.copy()
    moved.loc[2, "geometry"] = affinity.translate(moved.geometry[2], xoff=-200.0)
    path = tmp_path / "hospitals.gpkg"
    moved.to_file(path)
    code, output = _run(
        write_chicago_scenario(tmp_path, shared_data, facilities=path), tmp_path / "o"
    )
    assert code == 3, output
    assert "longitude outside [-180, 180]" in output
    assert f"(ids: {hospitals.Hospital[2]})" in output


def test_infinite_or_huge_population_names_the_column(
    tmp_path: Path, shared_data: Path, chicago
) -> None:
    tracts, _ = chicago
    broken = tracts.copy()
    broken["TotalPop"] = broken["TotalPop"].astype(float)
    broken.loc[1, "TotalPop"] = np.inf
    broken.loc[2, "TotalPop"] = 1e308
    path = tmp_path / "tracts.gpkg"
    broken.to_file(path)
    code, output = _run(write_chicago_scenario(tmp_path, shared_data, areas=path), tmp_path / "o")
    assert code == 3, output
    assert f"population column 'TotalPop' is infinite (ids: {tracts.GEOID[1]})" in output
    assert (
        f"population column 'TotalPop' is 10,000,000,000 or more, beyond any real area "
        f"(ids: {tracts.GEOID[2]})" in output
    )
    assert "demand:" not in output  # the column the user wrote, not one derived from it


@pytest.mark.parametrize(("value", "said"), [(np.inf, "is infinite"), (1e308, "or more")])
def test_infinite_or_huge_capacity_names_the_column(
    tmp_path: Path, shared_data: Path, chicago, value: float, said: str
) -> None:
    """Such a capacity ended as exit 5, 'no solution within 30 s (solver said Empty)'."""
    _, hospitals = chicago
    broken = hospitals.copy()
    broken["Total_Bed"] = broken["Total_Bed"].astype(float)
    broken.loc[4, "Total_Bed"] = value
    path = tmp_path / "hospitals.gpkg"
    broken.to_file(path)
    scenario = write_chicago_scenario(tmp_path, shared_data, facilities=path)
    code, output = _run(scenario, tmp_path / "o")
    assert code == 3, output
    line = next(line for line in output.splitlines() if "column 'Total_Bed'" in line)
    assert said in line and f"(ids: {hospitals.Hospital[4]})" in line
    assert "capacity of 'beds'" in line


def test_capacity_scale_beyond_the_capacity_bound(tmp_path: Path, shared_data: Path) -> None:
    """The file's capacities are checked against the bound, but a [facilities] capacity_scale
    factor of 2**63 made them 1e21 beds after reading (exit 5 'no solution'): the scaled capacity
    is held to the same bound, naming the factor and the sites."""
    sections = chicago_sections(shared_data)
    sections["facilities"]["capacity_scale"] = {"beds": 2**63 - 1}
    scenario = write_scenario(tmp_path, name="scaled", **sections)
    code, output = _run(scenario, tmp_path / "o")
    assert code == 3, output
    line = next(line for line in output.splitlines() if "([facilities] capacity_scale)" in line)
    assert "chicago_hospitals.gpkg" in line and "reaches 10,000,000 units or more" in line
    assert "Advocate Christ Medical Center" in line
    assert not (tmp_path / "o").exists()
