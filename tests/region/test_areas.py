"""Areas for a planner's region: grids over the road network's extent, OSM administrative
boundaries checked for what they leave out (Andorra, Liechtenstein, Harrisburg from ../shared/data)
and the planner's own polygons."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from geoalloc._errors import InputError
from geoalloc._validate import Problems
from geoalloc.inputs.read import join_table, metric_crs
from geoalloc.region.areas import (
    FILL_ID_PREFIX,
    GRID_FILL,
    AdminAreas,
    admin_areas,
    display_names,
    grid_areas,
    network_extent,
    place_names,
    trip_origins,
    vector_areas,
)
from geoalloc.scenario import TableJoin
from geoalloc.travel.graph import mode_mask
from geoalloc.travel.osm import read_osm
from tests.helpers import REPO_ROOT

OSM = "osm_small_regions"
ANDORRA = f"{OSM}/andorra_2013-05.osm.pbf"
LIECHTENSTEIN = f"{OSM}/liechtenstein_2015-07.osm.pbf"
HARRISBURG = f"{OSM}/harrisburg_pa_2015-03.osm.pbf"
POPULATION_2019 = REPO_ROOT / "tests" / "data" / "liechtenstein_population_2019.csv"
MUNICIPALITIES = sorted(pd.read_csv(POPULATION_2019)["name"])
ANDORRA_PARISHES_IN_FILE = [
    "Andorra la Vella",
    "Encamp",
    "Escaldes-Engordany",
    "La Massana",
    "Ordino",
    "Sant Julià de Lòria",
]  # the seven parishes but Canillo
HARRISBURG_LEVEL_8 = [
    "Bressler-Enhaut-Oberlin",
    "Colonial Park",
    "Highspire",
    "Lawnton",
    "Paxtang",
    "Progress",
    "Rutherford",
    "Steelton",
]  # boroughs and CDPs around the city: Harrisburg itself has no boundary in the file


class Region:
    """One OSM extract read once: its drive extent, place names and admin areas (filled)."""

    def __init__(self, pbf: Path, level: int) -> None:
        self.pbf = pbf
        self.extent = network_extent(pbf)
        self.places = place_names(pbf)
        self.admin = admin_areas(pbf, level, self.extent, places=self.places)
        self.crs = metric_crs(gpd.GeoSeries([self.extent], crs=4326))
        self.extent_m = gpd.GeoSeries([self.extent], crs=4326).to_crs(self.crs).iloc[0]

    def metric(self, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return frame.to_crs(self.crs)


@pytest.fixture(scope="session")
def andorra(shared_data: Path) -> Region:
    return Region(shared_data / ANDORRA, 7)


@pytest.fixture(scope="session")
def liechtenstein(shared_data: Path) -> Region:
    return Region(shared_data / LIECHTENSTEIN, 8)


@pytest.fixture(scope="session")
def harrisburg(shared_data: Path) -> Region:
    return Region(shared_data / HARRISBURG, 8)


def _assert_partition(areas: gpd.GeoDataFrame, shape: shapely.Geometry, *, uncovered_m2: float):
    """``areas`` (metric) do not overlap, lie in ``shape`` and leave at most ``uncovered_m2``;
    valid polygons in EPSG:4326 and in metres."""
    assert areas.is_valid.all() and areas.to_crs(4326).is_valid.all()
    assert set(areas.geom_type) <= {"Polygon", "MultiPolygon"}
    union = shapely.union_all(areas.geometry.to_numpy())
    edge_m2 = shape.length * 0.001  # areas are drawn to the millimetre
    assert areas.area.sum() - union.area < edge_m2  # no overlap
    assert union.difference(shape).area < edge_m2  # nothing outside
    assert shape.difference(union).area < uncovered_m2 + edge_m2


# --- the extent ------------------------------------------------------------------------------


def test_extent_holds_every_drive_node_and_hugs_them(liechtenstein: Region) -> None:
    nodes, segments = read_osm(liechtenstein.pbf)
    used = mode_mask(segments, "drive")
    ids = np.unique(np.concatenate([segments["u"][used], segments["v"][used]]))
    xy = nodes.set_index("id").loc[ids]
    points = gpd.GeoSeries(gpd.points_from_xy(xy["lon"], xy["lat"]), crs=4326)
    assert isinstance(liechtenstein.extent, shapely.Polygon)
    assert liechtenstein.extent.is_valid
    assert points.within(liechtenstein.extent).all()
    convex = points.to_crs(liechtenstein.crs).union_all().convex_hull
    area_km2 = liechtenstein.extent_m.area / 1e6
    # the convex hull (164 km²) takes in the Rhine's far bank and roadless mountains
    assert convex.area / 1e6 == pytest.approx(158.3, abs=0.5)
    assert 60 < area_km2 < 90


def test_extent_errors(tmp_path: Path, shared_data: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        network_extent(tmp_path / "missing.osm.pbf")
    with pytest.raises(InputError, match="not one of drive, walk, bike"):
        network_extent(shared_data / LIECHTENSTEIN, mode="boat")


# --- grids -----------------------------------------------------------------------------------


def test_grid_cells_by_hand() -> None:
    """A 2.5 × 1.5 km box in UTM 32N (Vaduz) on the 1 km lattice: 3 columns (0.5, 1, 1 km wide)
    × 2 rows (0.5, 1 km high); the lattice line at its top only touches it."""
    utm = 32632
    extent = gpd.GeoSeries([box(536500, 5220500, 539000, 5222000)], crs=utm).to_crs(4326).iloc[0]
    cells = grid_areas(extent, 1000, crs=utm)
    assert list(cells["area_id"]) == [
        "E536000N5220000",
        "E537000N5220000",
        "E538000N5220000",
        "E536000N5221000",
        "E537000N5221000",
        "E538000N5221000",
    ]
    assert cells.crs.to_epsg() == 4326
    assert list(cells.index) == list(range(6))
    area = cells.to_crs(utm).area.to_numpy()
    np.testing.assert_allclose(area, [0.25e6, 0.5e6, 0.5e6, 0.5e6, 1e6, 1e6], rtol=1e-6)


def test_grid_cut_corners_join_their_neighbour() -> None:
    """A column cut to 50 m (5 % of a cell) joins the cells beside it; nothing is lost."""
    utm = 32632
    shape = box(536950, 5220500, 539000, 5222000)
    extent = gpd.GeoSeries([shape], crs=utm).to_crs(4326).iloc[0]
    cells = grid_areas(extent, 1000, crs=utm).to_crs(utm)
    assert list(cells["area_id"]) == [
        "E537000N5220000",
        "E538000N5220000",
        "E537000N5221000",
        "E538000N5221000",
    ]
    np.testing.assert_allclose(cells.area, [0.525e6, 0.5e6, 1.05e6, 1e6], rtol=1e-6)
    _assert_partition(cells, shape, uncovered_m2=0.0)
    kept = grid_areas(extent, 1000, crs=utm, min_cell_share=0.0)
    assert len(kept) == 6


def test_grid_over_a_real_extent(andorra: Region) -> None:
    cell_m = 1000.0
    cells = grid_areas(andorra.extent, cell_m)
    metric = andorra.metric(cells)
    assert cells["area_id"].is_unique
    corners = cells["area_id"].str.extract(r"^E(\d+)N(\d+)$").astype(float)
    assert corners.notna().all().all()
    assert ((corners % cell_m) == 0).all().all()  # on the lattice of multiples of cell_m
    _assert_partition(metric, andorra.extent_m, uncovered_m2=0.0)
    whole = metric.geometry.within(andorra.extent_m.buffer(-1.0))
    squares = shapely.box(corners[0], corners[1], corners[0] + cell_m, corners[1] + cell_m)
    inside = shapely.within(squares, andorra.extent_m)
    assert inside.sum() > 60
    np.testing.assert_allclose(metric.area[inside], cell_m**2, rtol=1e-6)  # uncut cells
    assert whole.sum() >= inside.sum()
    assert metric.area.min() >= 0.1 * cell_m**2  # cut corners joined their neighbours
    assert (metric.area < cell_m**2 * (1 - 1e-6)).sum() > 40  # cells cut by the extent's edge


def test_grid_refuses_bad_cell_sizes(andorra: Region) -> None:
    with pytest.raises(InputError, match="at least 1 m"):
        grid_areas(andorra.extent, 0)
    with pytest.raises(InputError, match="choose a larger cell size"):
        grid_areas(andorra.extent, 5)
    with pytest.raises(InputError, match="must be a polygon"):
        grid_areas(Point(1.5, 42.5), 1000)


# --- names -----------------------------------------------------------------------------------


def test_place_names_are_settlements(liechtenstein: Region, andorra: Region) -> None:
    places = liechtenstein.places
    assert list(places.columns) == ["name", "place", "osm_id", "population", "geometry"]
    # the nodes' population tags, as numbers (OSM 2015: Vaduz 5,229, Schaan 5,933)
    tagged = places.set_index("name")["population"]
    assert (tagged["Vaduz"], tagged["Schaan"]) == (5229.0, 5933.0)
    assert set(MUNICIPALITIES) <= set(places["name"])  # each municipality's village node
    assert "locality" not in set(places["place"])  # named places where nobody lives
    assert "Andorra" not in set(andorra.places["name"])  # place=country
    assert {"Canillo", "Soldeu"} <= set(andorra.places["name"])


def test_display_names(liechtenstein: Region) -> None:
    places = liechtenstein.places
    crs = liechtenstein.crs
    vaduz = places[places["name"] == "Vaduz"].to_crs(crs).geometry.iloc[0]
    x, y = vaduz.x, vaduz.y
    cells = gpd.GeoDataFrame(
        {"area_id": ["a", "b", "c"]},
        geometry=[
            box(x - 50, y - 50, x + 50, y + 50),  # holds the Vaduz node
            box(x + 600, y + 600, x + 700, y + 700),  # near it, no place inside
            box(x - 30_000, y, x - 29_000, y + 1000),  # 30 km west: far from any place
        ],
        crs=crs,
    ).to_crs(4326)
    names = display_names(cells, places)
    metric = places.to_crs(crs)
    nearest = metric["name"].iloc[int(np.argmin(metric.distance(cells.to_crs(crs).geometry[1])))]
    assert list(names) == ["Vaduz", f"cell near {nearest}", "cell c"]
    named = cells.assign(name=["Mine", None, ""])
    assert list(display_names(named, places))[:2] == ["Mine", f"cell near {nearest}"]


# --- administrative boundaries -------------------------------------------------------------


def test_liechtenstein_municipalities_join_the_published_populations(
    liechtenstein: Region,
) -> None:
    admin = liechtenstein.admin
    assert isinstance(admin, AdminAreas)
    areas = admin.areas
    osm = areas[areas["source"] == "OSM admin_level=8"]
    assert sorted(osm["name"]) == MUNICIPALITIES  # Fläsch (Switzerland) is off the roads' extent
    assert admin.covered_share > 0.95
    assert admin.gaps["area_km2"].sum() < 0.05 * liechtenstein.extent_m.area / 1e6
    # the join an analyst writes as [areas] join = { path = "...csv", on = "name" }
    problems = Problems()
    joined = join_table(osm, TableJoin(path=POPULATION_2019, on="name"), "[areas]", problems)
    assert not problems.errors and not problems.notes  # every name on both sides, 1:1
    assert len(joined) == 11
    assert joined["population"].sum() == 38_749
    # the whole OSM boundaries have the published areas: within 1 % plus the table's rounding
    np.testing.assert_allclose(joined["boundary_km2"], joined["area_km2"], rtol=0.01, atol=0.1)


def test_andorra_parish_left_out_is_found_and_reported_by_size(andorra: Region) -> None:
    admin = andorra.admin
    assert sorted(admin.areas.loc[admin.areas["source"] != GRID_FILL, "name"]) == (
        ANDORRA_PARISHES_IN_FILE
    )
    largest = admin.gaps.iloc[0]
    assert largest["gap_id"] == "gap-1"
    assert 20 < largest["area_km2"] < 30
    canillo = andorra.places[andorra.places["name"] == "Canillo"].geometry.iloc[0]
    assert largest.geometry.contains(canillo)
    assert largest["place"] == "in Canillo"
    assert admin.covered_share == pytest.approx(1 - admin.gaps["area_km2"].sum() / 132, abs=0.03)
    with pytest.raises(InputError) as refused:
        admin_areas(andorra.pbf, 7, andorra.extent, fill_cell_m=None, places=andorra.places)
    message = str(refused.value)
    total = admin.gaps["area_km2"].sum()
    assert f"{len(admin.gaps)} gap(s)" in message
    assert f"{total:,.2f} km² in all" in message
    assert f"gap-1 {largest['area_km2']:,.2f} km² (in Canillo)" in message
    assert "grid cells" in message and "another admin_level" in message


def test_andorra_gaps_are_filled_with_grid_cells(andorra: Region) -> None:
    areas = andorra.metric(andorra.admin.areas)
    fill = areas[areas["source"] == GRID_FILL]
    assert len(fill) > 20
    assert fill["area_id"].str.startswith(FILL_ID_PREFIX).all()
    assert areas["area_id"].is_unique
    assert list(areas.index) == list(range(len(areas)))
    assert fill["name"].str.startswith("unassigned area ").all()
    assert fill["name"].str.contains("Canillo|Soldeu|el Tarter|Ransol").any()
    assert fill.area.sum() / 1e6 == pytest.approx(andorra.admin.gaps["area_km2"].sum(), rel=1e-6)
    slivers_m2 = (1 - andorra.admin.covered_share) * andorra.extent_m.area - fill.area.sum()
    assert 0 <= slivers_m2 < 0.05e6 * 10  # only slivers under 0.05 km² each are left
    _assert_partition(areas, andorra.extent_m, uncovered_m2=slivers_m2)


def test_harrisburg_city_left_out_at_level_8_is_found_and_filled(harrisburg: Region) -> None:
    """The only admin_level in the extract is 8, and at it only the boroughs and CDPs around
    the city: the city of Harrisburg (and the townships) have no boundary in the file."""
    admin = harrisburg.admin
    osm = admin.areas[admin.areas["source"] == "OSM admin_level=8"]
    assert sorted(osm["name"]) == HARRISBURG_LEVEL_8
    assert admin.covered_share < 0.3
    assert admin.gaps["area_km2"].iloc[0] > 80
    with pytest.raises(InputError, match=r"admin_level values are 8 \(8: Bressler-Enhaut-Oberlin"):
        admin_areas(harrisburg.pbf, 6, harrisburg.extent, places=harrisburg.places)
    areas = harrisburg.metric(admin.areas)
    fill = areas[areas["source"] == GRID_FILL]
    assert fill.area.sum() / 1e6 == pytest.approx(admin.gaps["area_km2"].sum(), rel=1e-6)
    assert fill.area.min() >= 0.1e6  # 1 km cells; cut corners joined their neighbours
    _assert_partition(areas, harrisburg.extent_m, uncovered_m2=0.05e6)


def test_no_boundary_at_the_level_lists_the_levels(liechtenstein: Region) -> None:
    with pytest.raises(InputError) as refused:
        admin_areas(liechtenstein.pbf, "4", liechtenstein.extent)
    message = str(refused.value)
    assert "no boundary=administrative at admin_level=4" in message
    assert "2 (1: Liechtenstein)" in message
    assert "6 (2: Wahlkreis Oberland, Wahlkreis Unterland)" in message
    assert re.search(r"8 \(12: Balzers, Eschen, Fläsch, …\)", message)


def test_boundaries_off_the_extent_are_refused(liechtenstein: Region, andorra: Region) -> None:
    with pytest.raises(InputError, match="none overlaps the network's extent"):
        admin_areas(liechtenstein.pbf, 8, andorra.extent, places=liechtenstein.places)


# --- the planner's own polygons ------------------------------------------------------------


def test_vector_areas_infer_ids_and_names(shared_data: Path) -> None:
    tracts = vector_areas(shared_data / "chicago_kang2020" / "chicago_tracts_pop.gpkg")
    assert len(tracts) == 878
    assert list(tracts.columns[:2]) == ["area_id", "name"]
    assert tracts["area_id"].str.fullmatch(r"17031\d{6}").all()  # GEOID: state, county, tract
    assert tracts["area_id"].is_unique
    assert "Pop" in tracts.columns and "GEOID" not in tracts.columns
    assert tracts.crs.to_epsg() == 4326
    districts = vector_areas(shared_data / "helsinki_central" / "helsinki_city_districts_2021.gpkg")
    assert list(districts["area_id"]) == list(districts["name"])  # its only column: the names
    grid = vector_areas(
        shared_data / "helsinki_central" / "helsinki_population_grid_2020.gpkg",
        id_column="id",
        name_column="population",
    )
    assert grid["name"].str.fullmatch(r"\d+(\.\d+)?").all()


def test_vector_areas_refusals(tmp_path: Path, shared_data: Path) -> None:
    square = box(385000, 6671000, 385250, 6671250)
    no_crs = tmp_path / "no_crs.gpkg"
    with warnings.catch_warnings():  # geopandas warns that the file will have no CRS: the point
        warnings.simplefilter("ignore", UserWarning)
        gpd.GeoDataFrame({"code": ["a"]}, geometry=[square]).to_file(no_crs)
    with pytest.raises(InputError, match="has no CRS"):
        vector_areas(no_crs)
    with pytest.raises(InputError, match=r"must be polygons, found \['Point'\].*points are no"):
        vector_areas(shared_data / "chicago_kang2020" / "illinois_hospitals.gpkg")
    twice = tmp_path / "twice.gpkg"
    gpd.GeoDataFrame({"code": ["a", "a"]}, geometry=[square, square.buffer(-10)], crs=3067).to_file(
        twice
    )
    with pytest.raises(InputError, match="duplicate or missing values"):
        vector_areas(twice, id_column="code")
    with pytest.raises(InputError, match="name column 'nimi' not found"):
        vector_areas(twice, name_column="nimi")
    empty = tmp_path / "empty.gpkg"
    gpd.GeoDataFrame({"code": []}, geometry=[], crs=3067).to_file(empty)
    with pytest.raises(InputError, match="has no rows"):
        vector_areas(empty)


# --- trip origins ------------------------------------------------------------------------------


def test_trip_origins_move_to_a_road_node_inside_only_when_far_from_the_roads() -> None:
    """Three 2 km cells in UTM 31N: roads near the first's middle (it keeps its point), roads only
    in a corner of the second (its trips start at the corner node nearest its point), no road
    in the third (it keeps its point, for the run to flag)."""
    crs, X0, Y0 = 32631, 500_000, 4_700_000  # near the zone's central meridian, 42° N
    cells = gpd.GeoDataFrame(
        {"area_id": ["near", "corner", "roadless"]},
        geometry=[box(X0 + 2000 * k, Y0, X0 + 2000 * (k + 1), Y0 + 2000) for k in range(3)],
        crs=crs,
    ).to_crs(4326)
    nodes_m = np.array([[1000.0, 1100.0], [2100.0, 100.0], [2300.0, 150.0]]) + [X0, Y0]
    lonlat = gpd.GeoSeries(gpd.points_from_xy(nodes_m[:, 0], nodes_m[:, 1]), crs=crs).to_crs(4326)
    origins = trip_origins(cells, np.column_stack([lonlat.x, lonlat.y]))
    assert list(origins["origin"]) == [
        "representative point",
        "road node inside the area",
        "representative point",
    ]
    moved = origins.to_crs(crs).geometry.iloc[1]
    assert (round(moved.x - X0), round(moved.y - Y0)) == (
        2300,
        150,
    )  # nearer the middle than (2100, 100)
    assert origins["distance_m"].iloc[1] == pytest.approx(np.hypot(700, 850), abs=0.5)
    assert origins["distance_m"].iloc[[0, 2]].tolist() == [0.0, 0.0]
