"""[areas]/[facilities] read from an OSM .pbf by a layer spec, and the CSV join (real Liechtenstein
extract from ../shared/data; the join's errors on small tmp files)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geoalloc._validate import Problems
from geoalloc.inputs.osm_layers import parse_layer_spec
from geoalloc.inputs.read import read_areas, read_facilities
from geoalloc.scenario import AreasOptions, FacilitiesOptions, TableJoin
from tests.helpers import REPO_ROOT

LIECHTENSTEIN = "osm_small_regions/liechtenstein_2015-07.osm.pbf"
EXAMPLE = REPO_ROOT / "examples" / "liechtenstein_telemedicine"


def test_parse_layer_spec() -> None:
    spec = parse_layer_spec("pois:amenity=doctors, clinic,hospital")
    assert (spec.kind, spec.key, spec.values) == (
        "pois",
        "amenity",
        ("doctors", "clinic", "hospital"),
    )
    for bad in ("admin_level=8", "roads:highway=primary", "pois:amenity=", None):
        with pytest.raises(ValueError, match="boundaries:admin_level=8"):
            parse_layer_spec(bad)


def test_boundaries_with_published_population(shared_data: Path) -> None:
    options = AreasOptions(
        path=shared_data / LIECHTENSTEIN,
        layer="boundaries:admin_level=8",
        id="name",
        population="population",
        join=TableJoin(path=EXAMPLE / "municipalities.csv", on="name"),
    )
    problems = Problems()
    areas = read_areas(options, problems)
    assert not problems, problems.errors
    assert sorted(areas.index) == sorted(
        [
            "Ruggell",
            "Schellenberg",
            "Gamprin",
            "Eschen",
            "Mauren",
            "Schaan",
            "Planken",
            "Vaduz",
            "Triesenberg",
            "Triesen",
            "Balzers",
        ]
    )  # Fläsch (Switzerland, also admin_level 8 in the file) is left out by the inner join
    assert any("Fläsch" in note for note in problems.notes)
    assert areas["population"].sum() == 38749  # Liechtenstein, 31 Dec 2019
    assert set(areas.geom_type) <= {"Polygon", "MultiPolygon"} and areas.crs.to_epsg() == 4326


def test_pois_as_facilities(shared_data: Path) -> None:
    options = FacilitiesOptions(
        path=shared_data / LIECHTENSTEIN,
        layer="pois:amenity=hospital",
        id="id",
        name="name",
        capacity={},
    )
    problems = Problems()
    sites = read_facilities(options, problems)
    assert not problems, problems.errors
    assert sites["name"].tolist() == ["Liechtensteinisches Landesspital"]


def test_place_nodes_carry_their_name(shared_data: Path) -> None:
    # pyrosm keeps a place node's name only in its tags: geoalloc reads it out (for origins by name)
    from geoalloc.inputs.osm_layers import read_osm_layer

    places = read_osm_layer(shared_data / LIECHTENSTEIN, parse_layer_spec("pois:place=village"))
    names = set(places["name"])
    assert {"Vaduz", "Balzers", "Schellenberg", "Planken", "Triesenberg"} <= names
    assert places["name"].notna().all()


def test_osm_layer_errors(shared_data: Path) -> None:
    path = shared_data / LIECHTENSTEIN
    for layer, expected in (
        (None, "is an OSM file: say which features to read"),
        ("boundary:admin_level=8", "not an OSM layer spec"),
        ("boundaries:admin_level=99", "has no boundaries with admin_level in ['99']"),
    ):
        problems = Problems()
        options = AreasOptions(path=path, layer=layer, id="name", population="population")
        assert read_areas(options, problems) is None
        assert expected in problems.errors[0]


@pytest.fixture
def points(tmp_path: Path) -> Path:
    path = tmp_path / "areas.geojson"
    gpd.GeoDataFrame(
        {"code": ["a", "b", "c"]}, geometry=[Point(0, 0), Point(1, 0), Point(2, 0)], crs=4326
    ).to_file(path)
    return path


def _join(points: Path, table: str, *, on: str = "code", how: str = "inner") -> tuple:
    csv = points.parent / "facts.csv"
    csv.write_text(table, encoding="utf-8")
    options = AreasOptions(
        path=points, id="code", population="pop", join=TableJoin(path=csv, on=on, how=how)
    )
    problems = Problems()
    return read_areas(options, problems), problems


def test_join_inner_and_left(points: Path) -> None:
    areas, problems = _join(points, "code,pop\na,10\nc,30\n")
    assert areas["pop"].to_dict() == {"a": 10, "c": 30}
    assert "left out: b" in problems.notes[0]
    areas, problems = _join(points, "code,pop\na,10\nc,30\n", how="left")
    assert list(areas.index) == ["a", "b", "c"]  # b kept, and the population check flags it
    assert "population column 'pop' is empty (NaN) (ids: b)" in problems.errors[0]


def test_join_errors(points: Path) -> None:
    _, problems = _join(points, "code,pop\na,10\nx,5\na,3\n")
    text = "\n".join(problems.errors)
    assert "duplicate keys in the table's 'code' (ids: a)" in text
    assert "table keys with no row in the layer's 'code' (ids: x)" in text
    _, problems = _join(points, "name,pop\na,10\n")
    assert "key column 'code' not in the table" in problems.errors[0]
    assert "columns are: name, pop" in problems.errors[0]
