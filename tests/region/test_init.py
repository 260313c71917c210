"""`geoalloc init`: from an OSM extract (and a facility list, a population raster) to a scenario
`geoalloc run` takes as is — on regions that are not among the examples."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from tests.region.hsy import HSY_NODATA, HSY_TOTAL, hsy_lattice, write_raster

OSM = "osm_small_regions"


def _init(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["init", *args])
    return result.exit_code, result.stdout, result.stderr


def _facts(folder: Path) -> dict:
    return json.loads((folder / "init.json").read_text())


@pytest.fixture(scope="module")
def harrisburg(harrisburg_hifld: dict) -> Path:
    """Harrisburg's extract + HIFLD's hospital CSV as is, on the default 1 km grid (the
    session's `geoalloc init`, tests/conftest.py)."""
    out = harrisburg_hifld["folder"]
    assert harrisburg_hifld["exit_code"] == 0, (
        harrisburg_hifld["stdout"] + harrisburg_hifld["stderr"]
    )
    assert f"next: geoalloc run {out}/scenario.toml" in harrisburg_hifld["stdout"]
    return out


@pytest.mark.slow
def test_harrisburg_with_hifld_goes_to_a_map_in_two_commands(
    harrisburg: Path, harrisburg_hifld_run: dict
) -> None:
    facts = _facts(harrisburg)["facts"]
    fac = facts["facilities"]
    # HIFLD's five hospitals in the extract's bbox (1,247 beds, PROVENANCE.md) and one more
    # within 2 km of its roads; the rest of the US file is counted as outside, not lost
    assert (fac["source"], fac["existing"], fac["beds"]) == ("hifld_hospitals.csv.gz", 6, 1336)
    assert fac["existing"] + fac["outside_extent"] == 8013
    areas = gpd.read_file(harrisburg / "areas.gpkg")
    assert (areas["population"] > 0).all()  # the grid is clipped to where people live
    assert areas["population"].sum() == pytest.approx(facts["population"]["total"], abs=0.1)
    assert areas["population_source"].eq("buildings (estimate)").all()
    scenario = tomllib.loads((harrisburg / "scenario.toml").read_text())
    assert "ESTIMATE" in scenario["areas"]["population_estimate"].upper()
    warnings = " ".join(_facts(harrisburg)["warnings"])
    assert "implausibly few" in warnings  # 2015's OSM has few of Harrisburg's buildings

    plan = harrisburg_hifld_run["folder"]  # geoalloc run of it, through the CLI
    assert harrisburg_hifld_run["exit_code"] == 0, harrisburg_hifld_run["output"]
    assert "population: an ESTIMATE, not a count" in harrisburg_hifld_run["stdout"]
    summary = json.loads((plan / "summary.json").read_text())
    assert summary["areas"] == len(areas) and summary["sites"] == 6
    assert "estimate" in summary["population_estimate"]
    assert "The population is an estimate" in (plan / "map.html").read_text()
    assert "The population is an estimate" in (plan / "report.html").read_text()


def test_andorra_alone_admin_boundaries_with_their_gap_filled(
    shared_data: Path, tmp_path: Path
) -> None:
    """Andorra at admin_level 7 lacks Canillo's parish: the gap is filled, reported by size and
    population; OSM's unnamed hospitals get assumed beds, said so; a stated total is spread."""
    out = tmp_path / "andorra"
    code, stdout, stderr = _init(
        "--network",
        str(shared_data / OSM / "andorra_2013-05.osm.pbf"),
        "--areas",
        "admin:7",
        "--population-total",
        "76000",
        "--candidates",
        "osm",
        "--out",
        str(out),
    )
    assert code == 0, stdout + stderr
    record = _facts(out)
    facts, warnings = record["facts"], " ".join(record["warnings"])
    assert facts["areas"]["kind"] == "admin" and facts["areas"]["fill"]["cells"] > 0
    assert facts["areas"]["fill"]["area_km2"] == pytest.approx(24.7, abs=0.1)
    assert "leave 24.7 km² of the network's extent uncovered" in warnings
    assert facts["population"]["total"] == pytest.approx(76000, rel=1e-9)
    assert "scaled to the stated total of 76,000" in facts["population"]["source"]
    assert "no bed count in the data" in warnings
    sites = gpd.read_file(out / "facilities.gpkg")
    assert sites["beds_source"][~sites["candidate"]].str.startswith("assumed").all()
    assert sites["candidate"].sum() == facts["facilities"]["candidates"] > 0
    scenario = tomllib.loads((out / "scenario.toml").read_text())
    assert scenario["optimize"]["budget"] == 3  # at most three candidates open by default
    assert scenario["areas"]["population_total"] == 76000  # every run checks against it
    areas = gpd.read_file(out / "areas.gpkg")
    assert areas["area_id"].is_unique and areas["name"].notna().all()
    origins = gpd.read_file(out / "origins.gpkg")
    assert sorted(origins["area_id"]) == sorted(areas["area_id"])
    assert scenario["areas"]["origins"] == {"path": "origins.gpkg", "id": "area_id"}
    assert scenario["areas"]["name"] == "name"


def test_andorra_estimate_alone_is_flagged_as_implausible(
    shared_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "andorra"
    code, stdout, stderr = _init(
        "--network", str(shared_data / OSM / "andorra_2013-05.osm.pbf"), "--out", str(out)
    )
    assert code == 0, stdout + stderr
    assert "population: " in stdout and "(ESTIMATE)" in stdout
    # Andorra la Vella's node alone is tagged with 24,678 residents
    assert "tagged with 24,678 residents (Andorra la Vella 24,678)" in stderr
    assert "implausibly few" in stderr


def test_a_population_raster_is_conserved(
    shared_data: Path, hsy_grid: gpd.GeoDataFrame, hsy_raster: Path, tmp_path: Path
) -> None:
    """HSY's grid as a GeoTIFF onto a 500 m grid over central Helsinki's roads: the areas hold
    what the raster holds over the same extent, and an age band's raster is carried through."""
    pixels, left, top = hsy_lattice(hsy_grid)
    over65 = np.where(pixels == HSY_NODATA, HSY_NODATA, pixels * 0.2).astype("float32")
    band = write_raster(tmp_path / "over65.tif", over65, left, top)
    out = tmp_path / "helsinki"
    code, stdout, stderr = _init(
        "--network",
        str(shared_data / "helsinki_central" / "helsinki_centre_2020.osm.pbf"),
        "--areas",
        "grid:500m",
        "--population",
        str(hsy_raster),
        "--population-total",
        str(HSY_TOTAL),
        "--age-band",
        f"over65={band}",
        "--out",
        str(out),
    )
    assert code == 0, stdout + stderr
    population = _facts(out)["facts"]["population"]
    assert population["measured"] is True and population["method"] == "raster"
    assert population["total"] == pytest.approx(population["source_total"], rel=1e-3)
    areas = gpd.read_file(out / "areas.gpkg")
    assert areas["population"].sum() == pytest.approx(population["total"], abs=0.1)
    # the roads of the extract reach a tenth of HSY's grid: a measured total far from the
    # stated one is not scaled, it is questioned
    assert population["total"] < HSY_TOTAL / 5
    assert "off the stated control total of 71,724" in stderr
    np.testing.assert_allclose(areas["over65"], 0.2 * areas["population"], rtol=1e-5, atol=1e-3)
    scenario = tomllib.loads((out / "scenario.toml").read_text())
    assert scenario["areas"]["age_bands"] == {"over65": "over65"}
    assert set(scenario["demand"]["admissions_per_1000"]) == {"over65", "other"}
    assert "population_estimate" not in scenario["areas"]
    # kept as the control total: every run of the scenario says how far off the areas are
    assert scenario["areas"]["population_total"] == HSY_TOTAL


def test_a_facilities_csv_needs_its_coordinates_named_or_detected(
    shared_data: Path, tmp_path: Path
) -> None:
    """A CSV whose coordinate columns have no common name is refused naming what was looked for
    (exit 3); naming them with --lon-column/--lat-column reads it."""
    table = tmp_path / "clinics.csv"
    table.write_text("name,beds,E,N\nRiverside Clinic,12,-76.88,40.26\n")
    network = str(shared_data / OSM / "harrisburg_pa_2015-03.osm.pbf")
    args = ["--network", network, "--facilities", str(table), "--areas", "grid:2km"]
    code, _, stderr = _init(*args, "--out", str(tmp_path / "a"))
    assert code == 3
    assert "no longitude (longitude, lon, lng, long, x)" in stderr and "E, N" in stderr
    code, stdout, stderr = _init(
        *args, "--lon-column", "E", "--lat-column", "N", "--out", str(tmp_path / "b")
    )
    assert code == 0, stdout + stderr
    assert "1 existing from clinics.csv (12 beds)" in stdout


def test_bad_areas_option_is_a_usage_error(tmp_path: Path) -> None:
    code, _, stderr = _init(
        "--network", "x.osm.pbf", "--areas", "grid:5cm", "--out", str(tmp_path / "o")
    )
    assert code == 2
    assert "grid:<size>" in stderr


def test_age_bands_need_a_population_file(tmp_path: Path) -> None:
    code, _, stderr = _init(
        "--network", "x.osm.pbf", "--age-band", "over65=a.tif", "--out", str(tmp_path / "o")
    )
    assert code == 2
    assert "the buildings estimate has no ages" in stderr


def test_grid_size_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    code, _, stderr = _init(
        "--network", "x.osm.pbf", "--areas", "grid:10", "--out", str(tmp_path / "o")
    )
    assert code == 2
    assert "10 m is outside" in stderr


def test_missing_network_is_an_input_error(tmp_path: Path) -> None:
    code, _, stderr = _init(
        "--network", str(tmp_path / "none.osm.pbf"), "--out", str(tmp_path / "o")
    )
    assert code == 3
    assert "file not found" in stderr and "none.osm.pbf" in stderr
    assert not (tmp_path / "o").exists()


def test_a_network_that_is_not_an_osm_extract_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "roads.gpkg"
    path.write_text("not osm")
    code, _, stderr = _init("--network", str(path), "--out", str(tmp_path / "o"))
    assert code == 3
    assert "not an OSM .osm.pbf extract" in stderr
