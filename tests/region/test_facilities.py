"""Facilities and candidate sites for a region (geoalloc.region.facilities) on real data: the HIFLD
hospital list as is (../shared/data/us_hifld_hospitals), the Harrisburg, Baltimore and Andorra OSM
extracts (../shared/data/osm_small_regions). Each file is read once per session."""

from __future__ import annotations

import gzip
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from geoalloc._errors import InputError
from geoalloc.region.areas import network_extent
from geoalloc.region.facilities import (
    SITE_COLUMNS,
    cell_candidates,
    file_facilities,
    find_duplicates,
    name_similarity,
    osm_beds,
    osm_candidates,
    osm_facilities,
    parse_count,
    read_points_table,
    within_extent,
)

HIFLD = "us_hifld_hospitals/hifld_hospitals.csv.gz"
HARRISBURG = "osm_small_regions/harrisburg_pa_2015-03.osm.pbf"
BALTIMORE = "osm_small_regions/baltimore_md_2015-03.osm.pbf"
ANDORRA = "osm_small_regions/andorra_2013-05.osm.pbf"
#: the extracts' bounding boxes as osm_small_regions/PROVENANCE.md gives them (lon/lat)
HARRISBURG_BBOX = (-76.882, 40.200, -76.723, 40.334)
BALTIMORE_BBOX = (-76.614, 39.246, -76.518, 39.314)
#: HIFLD's hospitals in the Harrisburg bbox (ID → BEDS), as us_hifld_hospitals/PROVENANCE.md counts
#: them (5 hospitals, 1,247 beds)
HARRISBURG_HIFLD = {
    "0028217101": 92,  # SELECT SPECIALTY HOSPITAL - CENTRAL PENNSYLVANIA HARRISBURG
    "0179617105": 409,  # UPMC PINNACLE HOSPITALS
    "0028017109": 55,  # HELEN M. SIMPSON REHABILITATION HOSPITAL
    "0007117105": 577,  # PINNACLEHEALTH HARRISBURG CAMPUS
    "0007217105": 114,  # PINNACLEHEALTH COMMUNITY CAMPUS
}


@pytest.fixture(scope="session")
def hifld(shared_data: Path) -> gpd.GeoDataFrame:
    return file_facilities(shared_data / HIFLD)


@pytest.fixture(scope="session")
def baltimore(shared_data: Path) -> gpd.GeoDataFrame:
    return osm_facilities(shared_data / BALTIMORE)


@pytest.fixture(scope="session")
def harrisburg_extent(shared_data: Path) -> shapely.Polygon:
    """Where Harrisburg's driving network is (the extent `geoalloc init` clips to)."""
    return network_extent(shared_data / HARRISBURG)


def test_hifld_csv_is_read_as_is(shared_data: Path) -> None:
    """The gzip, the byte-order mark before 'X', the ids with leading zeros, and LONGITUDE/LATITUDE
    preferred to X/Y (they agree to 1e-8°)."""
    path = shared_data / HIFLD
    assert gzip.open(path).read(3) == b"\xef\xbb\xbf"  # the BOM is really there
    points = read_points_table(path)
    assert len(points) == 8013 and points.crs.to_epsg() == 4326
    assert (points.attrs["lon_column"], points.attrs["lat_column"]) == ("LONGITUDE", "LATITUDE")
    assert list(points.columns[:4]) == ["X", "Y", "OBJECTID", "ID"]
    assert points["ID"].iloc[0] == "0001336420" and points["ZIP"].iloc[0] == "36420"
    assert points["BEDS"].dtype.kind == "i" and points["COUNTYFIPS"].iloc[0] == "01039"
    np.testing.assert_allclose(points.geometry.x, points["X"], atol=1e-6)
    np.testing.assert_allclose(points.geometry.y, points["Y"], atol=1e-6)


def test_hifld_facilities_beds_and_status(hifld: gpd.GeoDataFrame, tmp_path: Path) -> None:
    """-999 is HIFLD's 'unknown': NaN beds, said so; the figures of its PROVENANCE.md."""
    assert list(hifld.columns[: len(SITE_COLUMNS)]) == SITE_COLUMNS
    assert len(hifld) == 8013 and hifld["site_id"].is_unique
    assert (
        hifld["site_id"].iloc[0] == "0001336420" and hifld["kind"].iloc[0] == "GENERAL ACUTE CARE"
    )
    known = hifld["beds"].notna()
    assert known.sum() == 7645
    assert set(hifld.loc[~known, "beds_source"]) == {"unknown (BEDS = -999)"}
    assert set(hifld.loc[known, "beds_source"]) == {"hifld_hospitals.csv.gz BEDS"}
    assert (hifld["STATUS"] == "OPEN").sum() == 7634
    assert hifld.loc[hifld["STATUS"] == "OPEN", "beds"].sum() == 1_068_237
    assert not ({"NAME", "BEDS", "TYPE"} & set(hifld.columns))  # became name, beds, kind
    lower = [c.lower() for c in hifld.columns]
    assert len(lower) == len(set(lower))  # a GeoPackage tells columns apart only by lower case
    hifld.head(3).to_file(tmp_path / "sites.gpkg")
    assert len(gpd.read_file(tmp_path / "sites.gpkg")) == 3


def test_hifld_within_harrisburg(
    hifld: gpd.GeoDataFrame, harrisburg_extent, shared_data: Path
) -> None:
    """The extract's bbox holds PROVENANCE's 5 hospitals (1,247 beds); the road network's extent
    holds 2 of them: downtown Harrisburg's three (1,078 beds) lie 0.4–0.8 km beyond its edge, at
    the extract's western border. Widened by 2 km (the run's max_snap_m) it holds all five, and a
    sixth just beyond the bbox."""
    inside, outside = within_extent(hifld, box(*HARRISBURG_BBOX), where="HIFLD")
    assert dict(zip(inside["site_id"], inside["beds"], strict=True)) == HARRISBURG_HIFLD
    assert inside["beds"].sum() == 1247 and outside == 8013 - 5
    on_network, outside = within_extent(hifld, harrisburg_extent, where="HIFLD")
    assert sorted(on_network["site_id"]) == ["0007217105", "0028017109"] and outside == 8011
    widened = network_extent(shared_data / HARRISBURG, buffer_m=2000.0)
    nearby, _ = within_extent(hifld, widened, where="HIFLD")
    assert set(HARRISBURG_HIFLD) < set(nearby["site_id"]) and len(nearby) == 6


def test_swapped_longitude_latitude_is_named(shared_data: Path, tmp_path: Path) -> None:
    """The five Harrisburg rows with the LATITUDE and LONGITUDE values swapped: every value is a
    valid degree, so only the extent tells — none inside, all inside swapped back."""
    table = pd.read_csv(shared_data / HIFLD, dtype=str, encoding="utf-8-sig")
    rows = table[table["ID"].isin(list(HARRISBURG_HIFLD))][["ID", "NAME", "BEDS"]].copy()
    rows["LATITUDE"] = table.loc[rows.index, "LONGITUDE"]
    rows["LONGITUDE"] = table.loc[rows.index, "LATITUDE"]
    path = tmp_path / "swapped.csv"
    rows.to_csv(path, index=False)
    sites = file_facilities(path)
    with pytest.raises(InputError) as caught:
        within_extent(sites, box(*HARRISBURG_BBOX), where=str(path))
    message = str(caught.value)
    assert "swapped.csv" in message and "look swapped" in message
    assert "'LONGITUDE' (read as longitude) and 'LATITUDE'" in message
    assert "none of the 5 sites" in message and "5 would" in message
    fixed = file_facilities(path, lon="LATITUDE", lat="LONGITUDE")
    inside, outside = within_extent(fixed, box(*HARRISBURG_BBOX), where="fixed")
    assert len(inside) == 5 and outside == 0
    far = file_facilities(path).iloc[:0]  # no sites: nothing to say
    assert within_extent(far, box(*HARRISBURG_BBOX), where="x")[1] == 0


def test_osm_facilities_baltimore(baltimore: gpd.GeoDataFrame) -> None:
    """10 hospital features and a clinic; Johns Hopkins Hospital mapped as a node and as its
    building (a way, placed at its polygon's representative point); no beds tags in 2015."""
    assert list(baltimore.columns) == SITE_COLUMNS
    assert baltimore["kind"].value_counts().to_dict() == {"hospital": 10, "clinic": 1}
    jhh = baltimore[baltimore["name"] == "Johns Hopkins Hospital"]
    assert sorted(jhh["osm_id"]) == ["node/2670282444", "way/113103986"]
    assert sorted(jhh["site_id"]) == ["osm-n2670282444", "osm-w113103986"]
    assert set(baltimore.geom_type) == {"Point"} and baltimore.crs.to_epsg() == 4326
    assert baltimore.within(box(*BALTIMORE_BBOX).buffer(0.01)).all()
    unnamed = baltimore[~baltimore["named"]]
    assert sorted(unnamed["name"]) == ["hospital way/167644847", "hospital way/167644853"]
    assert baltimore["beds"].isna().all() and set(baltimore["beds_source"]) == {""}
    assert not baltimore["candidate"].any()


def test_osm_facilities_andorra_and_harrisburg(shared_data: Path) -> None:
    andorra = osm_facilities(shared_data / ANDORRA)
    assert len(andorra) == 7 and not andorra["named"].any()  # 7 unnamed hospital features
    assert "hospital way/194554955" in set(andorra["name"])
    harrisburg = osm_facilities(shared_data / HARRISBURG)
    assert list(harrisburg["name"]) == ["Community General Osteopathic Hospital"]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("120", 120.0),
        ("~50", 50.0),
        ("ca. 200", 200.0),
        ("approx 80 beds", 80.0),
        ("1,200", 1200.0),
        ("1.200", 1200.0),
        ("12.5", 12.5),
        (42, 42.0),
        ("50-60", np.nan),
        ("40;60", np.nan),
        ("many", np.nan),
        ("-5", np.nan),
        ("", np.nan),
        (None, np.nan),
    ],
)
def test_parse_count(text: object, number: float) -> None:
    assert parse_count(text) == pytest.approx(number, nan_ok=True)


def test_osm_beds_from_tags() -> None:
    """The first of beds, capacity:beds, capacity a feature has, as pyrosm holds tags: a column
    for some, the JSON text of the rest."""
    features = pd.DataFrame(
        {
            "capacity": [None, "30", None, None],
            "tags": [
                '{"beds":"~120","capacity":"300"}',
                None,
                '{"beds":"many"}',
                '{"emergency":"yes"}',
            ],
        }
    )
    beds, source = osm_beds(features)
    np.testing.assert_array_equal(beds, [120.0, 30.0, np.nan, np.nan])
    assert list(source) == [
        "OSM beds tag",
        "OSM capacity tag",
        "OSM beds tag: 'many' is not a number",
        "",
    ]


def test_duplicates_osm_node_and_building(baltimore: gpd.GeoDataFrame) -> None:
    pairs = find_duplicates(baltimore)
    assert len(pairs) == 1
    pair = pairs.iloc[0]
    assert {pair["site_a"], pair["site_b"]} == {"osm-n2670282444", "osm-w113103986"}
    assert pair["distance_m"] == pytest.approx(52, abs=2) and pair["name_similarity"] == 1.0


def test_duplicates_hifld_and_osm_baltimore(
    hifld: gpd.GeoDataFrame, baltimore: gpd.GeoDataFrame
) -> None:
    """One hospital in two lists: HIFLD's upper-case names against OSM's."""
    inside, _ = within_extent(hifld, box(*BALTIMORE_BBOX), where="HIFLD")
    pairs = find_duplicates(pd.concat([inside, baltimore], ignore_index=True))
    found = {frozenset(p) for p in zip(pairs["site_a"], pairs["site_b"], strict=True)}
    assert found == {
        frozenset(
            {"0001021205", "osm-n358248701"}
        ),  # KENNEDY KRIEGER INSTITUTE / Kennedy Institute
        frozenset({"0000921287", "osm-n2670282444"}),  # THE JOHNS HOPKINS HOSPITAL, node
        frozenset({"0000921287", "osm-w113103986"}),  # … and its building
        frozenset({"osm-n2670282444", "osm-w113103986"}),
    }
    assert (pairs["distance_m"] < 150).all() and (pairs["name_similarity"] >= 0.6).all()
    # JOHNS HOPKINS BAYVIEW MEDICAL CENTER is 184 m from its OSM campus' point
    wider = find_duplicates(pd.concat([inside, baltimore], ignore_index=True), within_m=200)
    assert len(wider) == 5


def test_no_duplicates_for_neighbours_with_other_names(
    hifld: gpd.GeoDataFrame, baltimore: gpd.GeoDataFrame
) -> None:
    """Two hospitals 50 m apart in HIFLD (a long-term care hospital inside PinnacleHealth's
    Harrisburg campus), names 0.56 alike: not the same facility. And an unnamed OSM hospital
    building 53 m from HIFLD's Bayview: a made-up name is no name to compare."""
    harrisburg = hifld[hifld["site_id"].isin(list(HARRISBURG_HIFLD))]
    assert find_duplicates(harrisburg).empty
    loose = find_duplicates(harrisburg, min_name_similarity=0.5)
    assert set(loose[["site_a", "site_b"]].iloc[0]) == {"0028217101", "0007117105"}
    assert loose["distance_m"].iloc[0] == pytest.approx(50, abs=2)
    bayview = hifld[hifld["site_id"] == "0004821224"]
    building = baltimore[baltimore["osm_id"] == "way/167644853"]
    assert find_duplicates(pd.concat([bayview, building], ignore_index=True)).empty


def test_duplicates_same_position_and_whole_hifld(hifld: gpd.GeoDataFrame) -> None:
    """A spatial index, not all pairs: HIFLD's 8,013 hospitals in well under a second; HIFLD holds
    one pair at the very same place with unrelated names (a specialty hospital inside another)."""
    pairs = find_duplicates(hifld)
    same = pairs[pairs["reason"] == "same position"]
    assert len(same) == 1 and same["distance_m"].iloc[0] < 1.0
    assert len(pairs) == 217
    assert name_similarity("Hospital Johns Hopkins", "THE JOHNS HOPKINS HOSPITAL") == 1.0
    assert name_similarity("Sant Joan de Déu", "SANT JOAN DE DEU") == 1.0


def test_osm_candidates(shared_data: Path, harrisburg_extent) -> None:
    candidates = osm_candidates(shared_data / HARRISBURG, harrisburg_extent)
    assert list(candidates.columns) == SITE_COLUMNS and candidates["candidate"].all()
    assert candidates["kind"].value_counts().to_dict() == {
        "school": 27,
        "townhall": 1,
        "library": 1,
    }
    assert candidates.intersects(harrisburg_extent).all()
    andorra = osm_candidates(shared_data / ANDORRA, box(1.40, 42.42, 1.79, 42.66))
    assert sorted(andorra["kind"]) == ["building=public", "school", "townhall"]
    assert osm_candidates(shared_data / ANDORRA, box(0.0, 0.0, 0.1, 0.1)).empty


def test_cell_candidates() -> None:
    """Three 1 km cells in Andorra la Vella (UTM 31N) holding 0, 500 and 1,200 persons (stated
    here): the populated two, at a point inside each, most populated first."""
    utm = "EPSG:32631"
    x0, y0 = 378000.0, 4707000.0
    cells = gpd.GeoDataFrame(
        {"area_id": ["a", "b", "c"]},
        geometry=[box(x0 + i * 1000, y0, x0 + (i + 1) * 1000, y0 + 1000) for i in range(3)],
        crs=utm,
    )
    population = pd.Series([0.0, 500.0, 1200.0], index=cells.index)
    sites = cell_candidates(cells, population)
    assert list(sites["site_id"]) == ["cell-c", "cell-b"]
    assert list(sites["population"]) == [1200.0, 500.0] and sites["candidate"].all()
    assert sites.crs.to_epsg() == 4326
    own_cells = cells.set_index("area_id").loc[sites["area_id"]].geometry
    assert shapely.within(sites.to_crs(utm).geometry.values, own_cells.values).all()
    assert list(cell_candidates(cells, population, top=1)["site_id"]) == ["cell-c"]
    named = cells.assign(name=["cell near X", "cell near Y", "cell near Z"])
    assert list(cell_candidates(named, population)["name"]) == ["cell near Z", "cell near Y"]
    with pytest.raises(ValueError, match="at least 1"):
        cell_candidates(cells, population, top=0)


def test_osm_labels_of_unnamed_features_are_no_names_to_compare() -> None:
    """A run's sites carry no ``named`` column: an unnamed OSM feature's label ("<kind>
    <type>/<id>", as the demo and geoalloc init write it) pairs by position only, never by its
    look-alike text; real names 40 m apart still pair."""
    points = [shapely.Point(24.94, 60.17), shapely.Point(24.94072, 60.17)]  # ~40 m apart
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["a", "b"],
            "name": ["building=public way/17361645", "building=public way/17429106"],
        },
        geometry=points,
        crs=4326,
    )
    assert find_duplicates(sites).empty
    sites["name"] = ["Kansalliskirjasto", "Kansalliskirjasto"]
    assert find_duplicates(sites)["reason"].tolist() == ["similar names"]
