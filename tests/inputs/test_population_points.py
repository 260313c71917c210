"""[areas] population_points: Helsinki's real 250 m population grid summed into its districts."""

from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from geoalloc.runs.planning import check_inputs
from geoalloc.scenario import load_scenario
from tests.helpers import write_scenario


def _scenario(tmp_path: Path, shared_data: Path, grid: Path | None = None) -> Path:
    folder = shared_data / "helsinki_central"
    districts = gpd.read_file(folder / "helsinki_city_districts_2021.gpkg")
    sites = gpd.GeoDataFrame(
        {"site_id": ["a"], "beds": [10.0]},
        geometry=districts.representative_point().iloc[:1].to_numpy(),
        crs=4326,
    )
    sites.to_file(tmp_path / "sites.gpkg")
    return write_scenario(
        tmp_path,
        name="districts",
        areas={
            "path": folder / "helsinki_city_districts_2021.gpkg",
            "id": "name",
            "population": "residents",
            "population_points": {
                "path": grid or folder / "helsinki_population_grid_2020.gpkg",
                "value": "population",
            },
        },
        facilities={"path": "sites.gpkg", "id": "site_id", "capacity": {"beds": "beds"}},
        file="s.toml",
    )


def test_grid_population_summed_into_districts(tmp_path: Path, shared_data: Path) -> None:
    inputs = check_inputs(load_scenario(_scenario(tmp_path, shared_data)))
    grid = gpd.read_file(shared_data / "helsinki_central" / "helsinki_population_grid_2020.gpkg")
    districts = inputs.areas
    assert len(districts) == 8
    # every cell's centre lies in one of the city's districts: nothing unmatched, nothing lost
    assert districts["residents"].sum() == pytest.approx(grid["population"].sum())
    assert any(
        "points summed into the areas" in note and "0 points" in note for note in inputs.notes
    )
    # an independent join: each cell's representative point in a district
    points = grid.set_geometry(grid.to_crs(3067).representative_point().to_crs(4326))
    named = districts.reset_index().rename(columns={"id": "district"})[["district", "geometry"]]
    joined = gpd.sjoin(points, named, predicate="within")
    expected = joined.groupby("district")["population"].sum()
    assert districts["residents"].reindex(expected.index).to_dict() == pytest.approx(
        expected.to_dict()
    )


def test_missing_points_file_is_reported(tmp_path: Path, shared_data: Path) -> None:
    scenario = _scenario(tmp_path, shared_data, grid=tmp_path / "nope.gpkg")
    result = CliRunner().invoke(cli, ["validate", str(scenario)])
    assert result.exit_code == 3
    assert "points file not found" in result.output


def test_grid_points_from_a_csv(tmp_path: Path, shared_data: Path) -> None:
    """The same grid as a CSV of cell centres (longitude/latitude): the same district totals."""
    grid = gpd.read_file(shared_data / "helsinki_central" / "helsinki_population_grid_2020.gpkg")
    centres = grid.to_crs(3067).representative_point().to_crs(4326)
    table = tmp_path / "grid.csv"
    grid.drop(columns="geometry").assign(lon=centres.x, lat=centres.y).to_csv(table, index=False)
    from_csv = check_inputs(load_scenario(_scenario(tmp_path, shared_data, grid=table))).areas
    from_gpkg = check_inputs(load_scenario(_scenario(tmp_path, shared_data))).areas
    assert from_csv["residents"].to_dict() == pytest.approx(from_gpkg["residents"].to_dict())
    assert from_csv["residents"].sum() == pytest.approx(grid["population"].sum())
