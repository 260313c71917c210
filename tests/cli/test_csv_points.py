"""CSV points wherever geoalloc reads points: [facilities] (HIFLD's hospital list as is), the
[deployment] temporary sites, `geoalloc travel` origins and destinations. A CSV without coordinates
is exit 3 naming the columns looked for; before, a facilities CSV crashed (`'DataFrame' object has
no attribute 'crs'`, exit 1) and a gzipped one was refused with a GDAL driver hint."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, box

from geoalloc.cli import cli
from tests.helpers import REPO_ROOT, write_scenario
from tests.travel.test_travel import COORDS, write_osm

HIFLD = "us_hifld_hospitals/hifld_hospitals.csv.gz"
HARRISBURG = "osm_small_regions/harrisburg_pa_2015-03.osm.pbf"
#: HIFLD's hospitals in the Harrisburg extract (us_hifld_hospitals/PROVENANCE.md: 5, 1,247 beds)
HARRISBURG_IDS = ["0028217101", "0179617105", "0028017109", "0007117105", "0007217105"]
#: persons in each cell of the test grid (an assumption of the test, not data)
PERSONS_PER_CELL = 2000


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture
def harrisburg_areas(tmp_path: Path) -> Path:
    """A 3 × 3 grid of 1.5 km cells (UTM 18N) in Harrisburg's east, 2,000 persons each."""
    x0, y0 = 345_000.0, 4_456_000.0
    cells = gpd.GeoDataFrame(
        {"cell": [f"c{i}{j}" for j in range(3) for i in range(3)], "persons": PERSONS_PER_CELL},
        geometry=[
            box(x0 + i * 1500, y0 + j * 1500, x0 + (i + 1) * 1500, y0 + (j + 1) * 1500)
            for j in range(3)
            for i in range(3)
        ],
        crs="EPSG:32618",
    )
    path = tmp_path / "cells.gpkg"
    cells.to_crs(4326).to_file(path)
    return path


def _harrisburg_scenario(tmp_path: Path, shared_data: Path, areas: Path, sites: Path) -> Path:
    return write_scenario(
        tmp_path,
        name="harrisburg-hifld",
        areas={"path": areas, "id": "cell", "population": "persons"},
        facilities={"path": sites, "id": "ID", "name": "NAME", "capacity": {"beds": "BEDS"}},
        network={"source": shared_data / HARRISBURG},
        demand={
            "resource": "beds",
            "admissions_per_1000": {"all": 100.0},
            "los_days": 5.0,
            "occupancy_target": 0.85,
        },
        optimize={"model": "capacitated", "p": 3, "max_minutes": 30, "solver": "highs"},
    )


def test_hifld_as_is_names_its_unknown_beds(
    tmp_path: Path, shared_data: Path, harrisburg_areas: Path
) -> None:
    """The whole file, gzip and all, is read; its 368 BEDS = -999 are refused as capacities with
    what -999 means and how to leave those rows out."""
    scenario = _harrisburg_scenario(tmp_path, shared_data, harrisburg_areas, shared_data / HIFLD)
    code, output = _invoke("validate", str(scenario))
    assert code == 3, output
    assert "Traceback" not in output and "driver" not in output
    line = next(line for line in output.splitlines() if "column 'BEDS' is negative" in line)
    assert "[facilities] hifld_hospitals.csv.gz" in line and "(and 348 more)" in line
    assert "-999 is not a count but 'unknown' in HIFLD" in line and "BEDS >= 0" in line


@pytest.mark.slow
def test_hifld_rows_as_is_plan_harrisburg(
    tmp_path: Path, shared_data: Path, harrisburg_areas: Path
) -> None:
    """HIFLD's five Harrisburg lines, byte for byte under the file's own header (BOM, X/Y and
    LONGITUDE/LATITUDE, ids with leading zeros): `geoalloc run` plans on them."""
    with gzip.open(shared_data / HIFLD, "rt", encoding="utf-8", newline="") as stream:
        lines = stream.read().splitlines(keepends=True)
    kept = [line for line in lines[1:] if line.split(",")[3] in HARRISBURG_IDS]
    sites = tmp_path / "harrisburg_hospitals.csv"
    sites.write_text(lines[0] + "".join(kept), encoding="utf-8", newline="")
    assert sites.read_bytes().startswith(b"\xef\xbb\xbfX,Y,OBJECTID,ID,NAME")
    scenario = _harrisburg_scenario(tmp_path, shared_data, harrisburg_areas, sites)
    code, output = _invoke("validate", str(scenario))
    assert code == 0, output
    assert "points from columns 'LONGITUDE' (longitude) and 'LATITUDE' (latitude)" in output
    out = tmp_path / "run"
    code, output = _invoke("run", str(scenario), "--out", str(out))
    assert code == 0, output
    facilities = gpd.read_file(out / "results.gpkg", layer="facilities")
    assert sorted(facilities["site_id"]) == sorted(HARRISBURG_IDS)
    assert facilities["beds_before"].sum() == 1247
    assert "UPMC PINNACLE HOSPITALS" in set(facilities["name"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["plan"]["sites_open"] == 3
    assert summary["plan"]["population"] == 9 * PERSONS_PER_CELL


def test_csv_without_coordinates_is_exit_3(
    tmp_path: Path, shared_data: Path, harrisburg_areas: Path
) -> None:
    sites = tmp_path / "hospitals.csv"
    sites.write_text("ID,NAME,BEDS,ADDRESS\n1,A,30,Main St\n", encoding="utf-8")
    scenario = _harrisburg_scenario(tmp_path, shared_data, harrisburg_areas, sites)
    code, output = _invoke("validate", str(scenario))
    assert code == 3, output
    assert "[facilities] hospitals.csv: no longitude (longitude, lon, lng, long, x)" in output
    assert "columns are: ID, NAME, BEDS, ADDRESS" in output
    assert 'in [facilities] say which columns hold them: lon = "<column>"' in output


def test_temporary_sites_from_a_csv(tmp_path: Path, shared_data: Path) -> None:
    """The phased Chicago example with its temporary sites as a CSV of longitude/latitude."""
    example = REPO_ROOT / "examples" / "chicago_covid"
    sites = gpd.read_file(example / "temporary_sites.geojson")
    table = pd.DataFrame(sites.drop(columns="geometry"))
    table["longitude"], table["latitude"] = sites.geometry.x, sites.geometry.y
    path = tmp_path / "temporary_sites.csv"
    table.to_csv(path, index=False)
    text = (example / "icu_phased.toml").read_text(encoding="utf-8")
    text = text.replace("../../../shared/data", shared_data.as_posix())
    text = text.replace('"temporary_sites.geojson"', f'"{path.as_posix()}"')
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(text, encoding="utf-8")
    code, output = _invoke("validate", str(scenario))
    assert code == 0, output
    assert "73 sites (66 existing)" in output  # 66 hospitals + 7 temporary sites
    assert "[facilities] temporary_sites.csv: points from columns 'longitude'" in output


def test_travel_reads_csv_points(tmp_path: Path) -> None:
    """The same points as CSV (columns detected, or named by options) and as vector files give
    the same table; a CSV without coordinates names the options to give."""
    net = write_osm(tmp_path / "tiny.osm")
    origins = {"o-c": COORDS[3], "o-d": COORDS[4]}
    sites = {"10": COORDS[1], "20": COORDS[4]}
    pd.DataFrame(
        {
            "code": list(origins),
            "lng": [p[0] for p in origins.values()],
            "lat": [p[1] for p in origins.values()],
        }
    ).to_csv(tmp_path / "origins.csv", index=False)
    pd.DataFrame(
        {
            "site_id": list(sites),
            "e_deg": [p[0] for p in sites.values()],
            "n_deg": [p[1] for p in sites.values()],
        }
    ).to_csv(tmp_path / "sites.csv", sep=";", index=False)
    for name, points, column in (("origins", origins, "code"), ("sites", sites, "site_id")):
        gpd.GeoDataFrame(
            {column: list(points)}, geometry=[Point(p) for p in points.values()], crs=4326
        ).to_file(tmp_path / f"{name}.gpkg")
    common = ["travel", "--network", str(net), "--access-speed-kph", "1000000"]
    code, output = _invoke(
        *common,
        "--origins", str(tmp_path / "origins.csv"),
        "--destinations", str(tmp_path / "sites.csv"),
        "--destination-lon", "e_deg",
        "--destination-lat", "n_deg",
        "--out", str(tmp_path / "from_csv.csv"),
    )  # fmt: skip
    assert code == 0, output
    assert "origin ids from column 'code'" in output
    code, output = _invoke(
        *common,
        "--origins", str(tmp_path / "origins.gpkg"),
        "--destinations", str(tmp_path / "sites.gpkg"),
        "--out", str(tmp_path / "from_gpkg.csv"),
    )  # fmt: skip
    assert code == 0, output
    from_csv = pd.read_csv(tmp_path / "from_csv.csv", dtype={"destination": str})
    from_gpkg = pd.read_csv(tmp_path / "from_gpkg.csv", dtype={"destination": str})
    assert len(from_csv) == 4
    pd.testing.assert_frame_equal(from_csv, from_gpkg)
    code, output = _invoke(
        *common,
        "--origins", str(tmp_path / "origins.csv"),
        "--destinations", str(tmp_path / "sites.csv"),
        "--out", str(tmp_path / "od.csv"),
    )  # fmt: skip
    assert code == 3, output
    assert "no longitude (longitude, lon, lng, long, x) and no latitude" in output
    assert "columns are: site_id, e_deg, n_deg" in output
    assert "--destination-lon <column> --destination-lat <column>" in output
