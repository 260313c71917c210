"""Points from tables of longitude/latitude (geoalloc.inputs.points_table), as every reader of
points reads them (read_vector, read_points): the columns detected or given, every bad row named,
metres taken for degrees refused. Small tables in a tmp dir, made from HIFLD's Harrisburg rows
(../shared/data/us_hifld_hospitals) where real coordinates matter."""

from __future__ import annotations

import gzip
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point

from geoalloc._errors import InputError
from geoalloc._validate import Problems
from geoalloc.inputs.points import read_points
from geoalloc.inputs.points_table import is_points_table, read_points_table
from geoalloc.inputs.read import read_vector

HIFLD = "us_hifld_hospitals/hifld_hospitals.csv.gz"
HARRISBURG_IDS = ["0028217101", "0179617105", "0028017109", "0007117105", "0007217105"]


@pytest.fixture(scope="module")
def harrisburg_rows(shared_data: Path) -> pd.DataFrame:
    """HIFLD's five Harrisburg hospitals, every column as text, as the file has them."""
    table = pd.read_csv(shared_data / HIFLD, dtype=str, encoding="utf-8-sig")
    return table[table["ID"].isin(HARRISBURG_IDS)].reset_index(drop=True)


def _problems(path: Path, **options) -> tuple[gpd.GeoDataFrame | None, Problems]:
    problems = Problems()
    return read_vector(path, None, f"[facilities] {path.name}", problems, **options), problems


def test_table_names() -> None:
    for name in ("a.csv", "a.CSV", "a.tsv", "a.txt", "a.csv.gz", "a.csv.zip", "a.tsv.bz2"):
        assert is_points_table(Path(name)), name
    for name in ("a.gpkg", "a.geojson", "a.gz", "a.osm.pbf", "csv", "a.csv.7z"):
        assert not is_points_table(Path(name)), name


def test_no_coordinate_columns_names_what_was_looked_for(tmp_path: Path) -> None:
    path = tmp_path / "hospitals.csv"
    path.write_text("ID,NAME,BEDS\n1,A,3\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_points_table(path)
    message = str(caught.value)
    assert "hospitals.csv" in message
    assert (
        "no longitude (longitude, lon, lng, long, x) and no latitude (latitude, lat, y)" in message
    )
    assert "columns are: ID, NAME, BEDS" in message
    path.write_text("ID,lng,NAME\n1,-76.8,A\n", encoding="utf-8")
    with pytest.raises(
        InputError,
        match=r"no latitude \(latitude, lat, y\) column \(any case\), only longitude 'lng'",
    ):
        read_points_table(path)
    with pytest.raises(InputError, match="latitude column 'northing' not found"):
        read_points_table(path, lat="northing")


def test_bad_rows_are_named_by_id_and_kept_out(tmp_path: Path, harrisburg_rows) -> None:
    rows = harrisburg_rows[["ID", "NAME", "BEDS", "LATITUDE", "LONGITUDE"]].copy()
    rows.loc[1, "LATITUDE"] = None
    rows.loc[2, "LATITUDE"] = "140.2"
    rows.loc[3, "LONGITUDE"] = "76°52'W"
    path = tmp_path / "hospitals.csv"
    rows.to_csv(path, index=False)
    frame, problems = _problems(path, id_column="ID")
    assert len(problems.errors) == 3, problems.errors
    not_number, missing, out = problems.errors  # longitude first, then latitude
    assert "1 row(s) have no latitude in column 'LATITUDE' (ids: 0179617105)" in missing
    assert "longitude column 'LONGITUDE' is not a number" in not_number
    assert "76°52'W" in not_number and "(ids: 0007117105)" in not_number
    assert "latitude outside [-90, 90]" in out and "(ids: 0028017109)" in out
    assert frame is not None and list(frame["ID"]) == ["0028217101", "0007217105"]
    # without an id column, rows are named by their line in the file (the header is line 1)
    _, problems = _problems(path)
    assert "(ids: line 5)" in problems.errors[0] and "(ids: line 3)" in problems.errors[1]


def test_metres_in_x_y_are_not_degrees(tmp_path: Path, harrisburg_rows) -> None:
    """An ArcGIS export in web-mercator metres: the problem says where they would lie."""
    to_mercator = Transformer.from_crs(4326, 3857, always_xy=True)
    x, y = to_mercator.transform(
        harrisburg_rows["LONGITUDE"].astype(float), harrisburg_rows["LATITUDE"].astype(float)
    )
    path = tmp_path / "export.csv"
    pd.DataFrame({"ID": harrisburg_rows["ID"], "X": x, "Y": y}).to_csv(path, index=False)
    _, problems = _problems(path)
    assert len(problems.errors) == 1
    line = problems.errors[0]
    assert "columns 'X'/'Y' of export.csv were taken as longitude/latitude" in line
    assert "5 of its 5 features" in line and "lon -76.881…-76.816" in line
    assert "latitude outside" not in line


def test_explicit_names_before_x_y_and_codes_kept_as_text(tmp_path: Path, harrisburg_rows) -> None:
    """x/y in metres beside lat/lon: lat/lon are the coordinates; zero-padded codes stay text,
    numbers become numbers; a note says which columns were taken."""
    rows = harrisburg_rows[["ID", "ZIP", "BEDS", "LATITUDE", "LONGITUDE"]].rename(
        columns={"LATITUDE": "Lat", "LONGITUDE": "Lon"}
    )
    rows.insert(0, "y", 4_900_000.0)
    rows.insert(0, "x", -8_558_000.0)
    path = tmp_path / "sites.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        rows.to_csv(stream, index=False)
    frame, problems = _problems(path)
    assert not problems.errors and frame is not None
    assert (frame.attrs["lon_column"], frame.attrs["lat_column"]) == ("Lon", "Lat")
    assert problems.notes == [
        "[facilities] sites.csv.gz: points from columns 'Lon' (longitude) and 'Lat' (latitude), "
        "taken as WGS84 degrees (EPSG:4326)"
    ]
    assert frame["ID"].tolist() == HARRISBURG_IDS and frame["BEDS"].dtype.kind == "i"
    assert frame.geometry.iloc[0].equals(Point(float(rows["Lon"][0]), float(rows["Lat"][0])))
    # given names are not noted
    _, problems = _problems(path, lon="Lon", lat="Lat")
    assert problems.notes == []


def test_semicolons_decimal_commas_and_windows_1252(tmp_path: Path) -> None:
    """A spreadsheet saved as CSV in a decimal-comma locale."""
    path = tmp_path / "centres.csv"
    path.write_bytes(
        "id;nom;lat;lon\n1;Hospital Nostra Senyora de Meritxell;42,5045;1,5193\n".encode("cp1252")
    )
    frame, problems = _problems(path)
    assert not problems.errors and frame is not None
    assert frame.geometry.iloc[0].equals(Point(1.5193, 42.5045))
    path.write_bytes("id;nom;lat;lon\n1;Clínica Sant Josep;42,5;1,5\n".encode("cp1252"))
    frame, problems = _problems(path)
    assert frame is not None and frame["nom"].iloc[0] == "Clínica Sant Josep"
    assert any("not UTF-8: read as Windows-1252" in note for note in problems.notes)


def test_a_file_that_is_no_table_is_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("API_TOKEN=" + "x" * 80 + "\nsecond line\n", encoding="utf-8")
    _, problems = _problems(path)
    assert len(problems.errors) == 1
    assert "does not look like a table of named columns" in problems.errors[0]
    assert "second line" not in problems.errors[0] and "x" * 80 not in problems.errors[0]


def test_lon_lat_keys_on_a_vector_file_and_layer_on_a_table(tmp_path: Path) -> None:
    gpkg = tmp_path / "sites.gpkg"
    gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(1.5, 42.5)], crs=4326).to_file(gpkg)
    _, problems = _problems(gpkg, lon="x")
    assert "lon/lat name the coordinate columns of a table" in problems.errors[0]
    csv = tmp_path / "sites.csv"
    csv.write_text("id,lon,lat\na,1.5,42.5\n", encoding="utf-8")
    problems = Problems()
    assert read_vector(csv, "main", "[facilities] sites.csv", problems) is None
    assert "is a table of points: it has no layers" in problems.errors[0]


def test_a_wkt_csv_is_still_read_by_gdal(tmp_path: Path) -> None:
    """A CSV with a WKT column has always been read by GDAL's CSV driver (no CRS: degrees
    assumed, with a note); it stays so."""
    path = tmp_path / "zones.csv"
    path.write_text('id,WKT\na,"POINT (1.5 42.5)"\n', encoding="utf-8")
    frame, problems = _problems(path)
    assert not problems.errors and frame is not None
    assert frame.crs.to_epsg() == 4326 and frame.geometry.iloc[0].equals(Point(1.5, 42.5))
    assert "has no CRS" in problems.notes[0]


def test_read_points_from_a_table(tmp_path: Path, harrisburg_rows) -> None:
    """`geoalloc travel`'s reader: a CSV's id column inferred as for a vector file."""
    path = tmp_path / "sites.tsv"
    harrisburg_rows[["ID", "NAME", "LATITUDE", "LONGITUDE"]].to_csv(path, sep="\t", index=False)
    layer, note = read_points(path, None, "destination")
    assert list(layer.index) == HARRISBURG_IDS and layer.crs.to_epsg() == 4326
    assert note == "destination ids from column 'ID' (first unique id-like column)"
    with pytest.raises(InputError, match="latitude column 'lat_dd' not found"):
        read_points(path, None, "destination", lat="lat_dd")
