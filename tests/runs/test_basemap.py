"""The offline base map and the areas' display names, from Harrisburg's OSM extract
(../shared/data/osm_small_regions): roads by tier within the vertex budget, place names, the
cache, and names from a column, the ids or the places."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geoalloc.inputs.osm_basemap import VERTEX_BUDGET, osm_roads
from geoalloc.region.areas import grid_areas, network_extent
from geoalloc.runs.basemap import area_names, base_layers
from geoalloc.scenario import AreasOptions
from geoalloc.travel.options import NetworkOptions

HARRISBURG = "osm_small_regions/harrisburg_pa_2015-03.osm.pbf"


@pytest.fixture(scope="module")
def pbf(shared_data: Path) -> Path:
    return shared_data / HARRISBURG


@pytest.fixture(scope="module")
def layers(pbf: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The base map read once into a fresh cache, and read back from it."""
    cache = tmp_path_factory.mktemp("basemap-cache")
    network = NetworkOptions(source=str(pbf))
    built = base_layers(network, cache_dir=cache)
    entries = list((cache / "basemap").glob("*.npz"))
    cached = base_layers(network, cache_dir=cache)
    return {"built": built, "cached": cached, "entries": entries}


def test_roads_keep_the_main_classes_and_the_streets_within_the_budget(layers) -> None:
    roads = layers["built"]["roads"]
    assert list(roads.columns) == ["highway", "tier", "name", "geometry"]
    assert roads.crs.to_epsg() == 4326
    assert set(roads["tier"]) == {1, 2, 3}  # a town's streets fit in the budget
    assert set(roads.geometry.geom_type) == {"LineString"}
    vertices = int(shapely.get_num_coordinates(roads.geometry.to_numpy()).sum())
    assert 1000 < vertices <= VERTEX_BUDGET
    # the extract's main roads, by name, in their tier (OSM 2015: I-83 is the Eisenhower
    # Boulevard's neighbour, the turnpike crosses the south)
    main = set(roads.loc[roads["tier"] == 1, "name"])
    assert {"Pennsylvania Turnpike", "Eisenhower Boulevard"} <= main
    assert {"residential", "motorway", "primary"} <= set(roads["highway"])
    # no footway, service road or track is drawn
    assert not set(roads["highway"]) & {"footway", "service", "track", "path"}
    lon0, lat0, lon1, lat1 = roads.total_bounds
    assert -76.9 < lon0 < lon1 < -76.7 and 40.19 < lat0 < lat1 < 40.34


def test_a_small_budget_leaves_the_streets_out(pbf: Path, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="geoalloc.inputs.osm_basemap"):
        roads = osm_roads(pbf, vertex_budget=2000)
    assert set(roads["tier"]) == {1, 2}
    assert "street vertices (tier 3) would pass the budget of 2000" in caplog.text


def test_places_are_the_extract_settlements(layers) -> None:
    places = layers["built"]["places"]
    assert {"Paxtang", "Steelton", "Highspire", "Colonial Park"} <= set(places["name"])
    assert places.crs.to_epsg() == 4326


def test_the_base_map_is_cached_and_read_back_the_same(layers) -> None:
    assert len(layers["entries"]) == 1
    built, cached = layers["built"], layers["cached"]
    for name in ("roads", "places"):
        a, b = built[name].reset_index(drop=True), cached[name].reset_index(drop=True)
        pd.testing.assert_frame_equal(
            pd.DataFrame(a.drop(columns="geometry")),
            pd.DataFrame(b.drop(columns="geometry")),
            check_dtype=False,
            check_column_type=False,
        )
        assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-12).all()


def test_no_base_map_without_an_osm_file(tmp_path: Path) -> None:
    assert base_layers(NetworkOptions(source="crowfly"), cache_dir=tmp_path) == {}
    graphml = tmp_path / "roads.graphml"
    graphml.write_text("<graphml/>")
    assert base_layers(NetworkOptions(source=str(graphml)), cache_dir=tmp_path) == {}


def test_area_names(pbf: Path, layers) -> None:
    places = layers["built"]["places"]
    cells = grid_areas(network_extent(pbf), 2000).set_index("area_id")
    options = AreasOptions(path="cells.gpkg", id="area_id", population="pop")
    # cells without a name are named after the place in them or the nearest within 5 km
    names = area_names(options, cells, places)
    assert names is not None and names.index.equals(cells.index)
    inside = set(names[~names.str.startswith("near ") & (names != "")])
    assert inside <= set(places["name"]) and inside
    assert names.str.startswith("near ").any()
    assert "near Paxtang" in set(names) or "Paxtang" in set(names)
    # a name column wins, any case; so does the column [areas] name gives
    labelled = cells.assign(NAME=[f"cell {i}" for i in range(len(cells))])
    assert list(area_names(options, labelled, places))[:2] == ["cell 0", "cell 1"]
    chosen = options.model_copy(update={"name": "label"})
    labelled = labelled.assign(label="x")
    assert set(area_names(chosen, labelled, places)) == {"x"}
    # areas whose id is their name are named by it; without places or names: none
    by_name = AreasOptions(path="a.gpkg", id="Name", population="pop")
    assert list(area_names(by_name, cells.rename_axis("Name"), None)) == list(cells.index)
    empty = gpd.GeoDataFrame(geometry=[], crs=4326)
    assert area_names(options, cells, empty) is None
