"""What a run adds for its readers from the scenario's OSM network: the ``roads`` and ``places``
layers that the map draws as its offline base map, and a display name per area.

Both come from the ``[network] source`` when it is an OSM file (``.osm.pbf``; roads also from
``.osm``/``.osm.bz2``): a crow-fly run, a travel table or a ``place:`` download has none, and its
map shows the areas and sites on the background tiles only. The layers are kept in the disk cache
beside the road graph (``basemap/<key>.npz``, keyed by the file's SHA-256 and this module's
:data:`BASEMAP_VERSION`), so that a second run of a region does not read the extract again.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoalloc.inputs.osm_basemap import SIMPLIFY_M, VERTEX_BUDGET, empty_roads, osm_roads
from geoalloc.inputs.osm_places import display_names, empty_places, place_names
from geoalloc.scenario import AreasOptions, Scenario
from geoalloc.travel.cache import read_entry, write_entry
from geoalloc.travel.graph import file_sha256
from geoalloc.travel.options import NetworkOptions
from geoalloc.travel.osm import PBF_SUFFIXES, XML_SUFFIXES

log = logging.getLogger(__name__)

#: bump when what :func:`osm_roads` or :func:`place_names` return changes (invalidates the cache)
BASEMAP_VERSION = 1
#: the layers :func:`base_layers` adds to a run's results
BASEMAP_LAYERS = ("roads", "places")
#: how an area without a name of its own is named after the OSM places (see
#: :func:`geoalloc.inputs.osm_places.display_names`); "" leaves it to its id
NEAR = "near {place}"


def osm_file(network: NetworkOptions) -> Path | None:
    """The ``[network]`` source when it is an OSM file (PBF or XML), else None."""
    if network.is_crowfly or network.is_matrix or network.is_place:
        return None
    path = Path(network.source)
    name = path.name.lower()
    if not name.endswith(PBF_SUFFIXES + XML_SUFFIXES) or not path.is_file():
        return None
    return path


def base_layers(network: NetworkOptions, *, cache_dir: Path | None) -> dict[str, gpd.GeoDataFrame]:
    """The ``roads`` and ``places`` layers of a scenario's OSM network (EPSG:4326).

    Parameters
    ----------
    network
        The scenario's ``[network]``: its ``source`` an OSM file, else there is no base map.
    cache_dir
        The travel cache (:func:`geoalloc.travel.default_cache_dir`); None reads the file each time.

    Returns
    -------
    dict
        ``{"roads": ..., "places": ...}`` (see :func:`geoalloc.inputs.osm_basemap.osm_roads` and
        :func:`geoalloc.inputs.osm_places.place_names`; places only from a ``.pbf``), or ``{}``
        when the network is no OSM file.
    """
    path = osm_file(network)
    if path is None:
        return {}
    entry = None
    if cache_dir is not None:
        entry = Path(cache_dir) / "basemap" / f"{_key(path)}.npz"
        arrays = read_entry(entry, "base map")
        if arrays is not None:
            log.info("map roads and places of %s from cache %s", path.name, entry)
            return _from_arrays(arrays)
    roads = osm_roads(path)
    places = place_names(path) if path.name.lower().endswith(PBF_SUFFIXES) else empty_places()
    layers = {"roads": roads, "places": places}
    if entry is not None:
        try:
            write_entry(entry, _to_arrays(layers))
        except OSError as exc:  # a cache that cannot be written costs time, not the run
            log.warning("cannot write the base map cache %s: %s", entry, exc.strerror or exc)
    return layers


def area_names(
    options: AreasOptions, areas: gpd.GeoDataFrame, places: gpd.GeoDataFrame | None
) -> pd.Series | None:
    """Each area's display name, indexed as ``areas`` (the input areas, indexed by id).

    In order: the ``[areas] name`` column; a column called ``name`` (any case); when the
    scenario's id column is such a column, the ids; else, with OSM ``places``, the place in or
    near the area ("Vaduz", "near Vaduz"; none beyond 5 km). None when no area gets a name.
    """
    column = options.name
    if column is None:
        column = next((c for c in areas.columns if str(c).lower() == "name"), None)
    if column is None and str(options.id).lower() == "name":
        column = options.id
    if column is not None:
        values = areas.index.to_series() if column == options.id else areas[column]
        names = values.astype(object).where(values.notna(), "").astype(str).str.strip()
        return pd.Series(names.to_numpy(), index=areas.index, name="name")
    if places is None or not len(places):
        return None
    frame = gpd.GeoDataFrame(
        {"area_id": areas.index.astype(str)}, geometry=areas.geometry.to_numpy(), crs=areas.crs
    )
    names = display_names(frame, places, near=NEAR, far="")
    names.index = areas.index
    return names if (names != "").any() else None


def _key(path: Path) -> str:
    """The cache key of ``path``'s base map: its content and how the layers are made."""
    import hashlib

    identity = f"{BASEMAP_VERSION}|{file_sha256(path)}|{SIMPLIFY_M}|{VERTEX_BUDGET}"
    return hashlib.sha256(identity.encode()).hexdigest()


def _to_arrays(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, np.ndarray]:
    """Both layers as plain arrays (no objects: cache entries are read without pickle)."""
    roads, places = layers["roads"], layers["places"]
    _, coords, (offsets,) = shapely.to_ragged_array(roads.geometry.to_numpy())
    if not len(roads):
        coords, offsets = np.zeros((0, 2)), np.zeros(1, dtype=np.int64)
    return {
        "road_coords": coords,
        "road_offsets": offsets,
        "road_highway": roads["highway"].to_numpy(dtype=str),
        "road_tier": roads["tier"].to_numpy(dtype=np.int64),
        "road_name": roads["name"].to_numpy(dtype=str),
        "place_xy": shapely.get_coordinates(places.geometry.to_numpy()).reshape(-1, 2),
        "place_name": places["name"].to_numpy(dtype=str),
        "place_kind": places["place"].to_numpy(dtype=str),
        "place_osm_id": places["osm_id"].to_numpy(dtype=str),
        "place_population": places["population"].to_numpy(dtype=float),
    }


def _from_arrays(arrays: dict[str, np.ndarray]) -> dict[str, gpd.GeoDataFrame]:
    if len(arrays["road_tier"]):
        lines = shapely.from_ragged_array(
            shapely.GeometryType.LINESTRING, arrays["road_coords"], (arrays["road_offsets"],)
        )
        roads = gpd.GeoDataFrame(
            {
                "highway": arrays["road_highway"].astype(object),
                "tier": arrays["road_tier"],
                "name": arrays["road_name"].astype(object),
            },
            geometry=lines,
            crs=4326,
        )
    else:
        roads = empty_roads()
    xy = arrays["place_xy"]
    places = gpd.GeoDataFrame(
        {
            "name": arrays["place_name"].astype(object),
            "place": arrays["place_kind"].astype(object),
            "osm_id": arrays["place_osm_id"].astype(object),
            "population": arrays["place_population"],
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]) if len(xy) else [],
        crs=4326,
    )
    return {"roads": roads, "places": places}


def add_base_map(
    scenario: Scenario,
    areas: gpd.GeoDataFrame,
    layers: dict[str, gpd.GeoDataFrame],
    *,
    cache_dir: Path | None,
) -> None:
    """Add the ``roads`` and ``places`` layers (when the network is an OSM file) to a run's
    ``layers``, and a ``name`` column after ``area_id`` to its ``areas`` layer (when the areas
    have names, :func:`area_names`); ``areas`` are the run's input areas, indexed by id."""
    base = base_layers(scenario.network, cache_dir=cache_dir)
    names = area_names(scenario.areas, areas, base.get("places"))
    layer = layers["areas"]
    if names is not None:
        names.index = names.index.astype(str)
        values = names.reindex(layer["area_id"].astype(str)).fillna("").to_numpy()
        if "name" in layer.columns:
            layer["name"] = values
        else:
            layer.insert(layer.columns.get_loc("area_id") + 1, "name", values)
    layers.update(base)
