"""A light base map from an OSM extract: its main roads (with their names) and its place names, so
that a run's ``map.html`` shows where things are with no tile server (field use, offline).

:func:`osm_roads` reads the extract's ``highway`` ways (:func:`geoalloc.travel.osm.read_osm`, the
reader the routing uses), keeps the main classes of :data:`ROAD_TIERS`, joins the pieces of each
named road into long lines and simplifies them by :data:`SIMPLIFY_M` metres. The minor tier
(residential streets …) is kept only while the whole stays within :data:`VERTEX_BUDGET` vertices,
which bounds what the map page carries: a town's streets fit, a country's do not.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoalloc.inputs.read import metric_crs
from geoalloc.travel.osm import read_osm

log = logging.getLogger(__name__)

#: OSM ``highway`` classes drawn, by tier: 1 the through roads, 2 the roads between places,
#: 3 the streets (kept only within :data:`VERTEX_BUDGET`)
ROAD_TIERS: dict[str, int] = {
    "motorway": 1,
    "motorway_link": 1,
    "trunk": 1,
    "trunk_link": 1,
    "primary": 1,
    "primary_link": 1,
    "secondary": 2,
    "secondary_link": 2,
    "tertiary": 2,
    "tertiary_link": 2,
    "residential": 3,
    "unclassified": 3,
    "living_street": 3,
    "pedestrian": 3,
}
#: metres: lines are simplified this much (Douglas–Peucker, in the extract's UTM zone); a map
#: pixel is ~2.4 m at zoom 16, so a road stays within a few pixels of where it is
SIMPLIFY_M = 10.0
#: most vertices the roads may have once simplified: tiers 1 and 2 are always kept, the streets
#: of tier 3 only when everything fits; about 7 bytes per vertex in the map page
VERTEX_BUDGET = 25_000
ROAD_COLUMNS = ["highway", "tier", "name", "geometry"]


def empty_roads() -> gpd.GeoDataFrame:
    """A roads layer with no rows (the columns of :func:`osm_roads`)."""
    return gpd.GeoDataFrame(
        {"highway": pd.Series(dtype=object), "tier": pd.Series(dtype="int64")}
        | {"name": pd.Series(dtype=object)},
        geometry=gpd.GeoSeries([], crs=4326),
        crs=4326,
    )


def osm_roads(
    pbf: Path,
    *,
    simplify_m: float = SIMPLIFY_M,
    vertex_budget: int = VERTEX_BUDGET,
) -> gpd.GeoDataFrame:
    """The main roads of an OSM extract, as simplified lines to draw.

    Parameters
    ----------
    pbf
        OSM extract (``.osm.pbf``, ``.osm``, ``.osm.bz2``).
    simplify_m
        Douglas–Peucker tolerance in metres.
    vertex_budget
        Most vertices kept; the street tier (3) is dropped when it would exceed it.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per connected piece of a road: ``highway`` (the OSM class; of a joined road, its
        most frequent), ``tier`` (1–3, :data:`ROAD_TIERS`), ``name`` (``""`` when unnamed),
        LineString ``geometry`` in EPSG:4326, main tiers first.
    """
    nodes, segments = read_osm(Path(pbf))
    segments = segments[segments["highway"].isin(list(ROAD_TIERS))]
    if not len(segments):
        return empty_roads()
    lonlat = nodes.set_index("id")[["lon", "lat"]]
    start = lonlat.loc[segments["u"]].to_numpy()
    end = lonlat.loc[segments["v"]].to_numpy()
    pieces = gpd.GeoDataFrame(
        {
            "highway": segments["highway"].astype(str).to_numpy(),
            "tier": segments["highway"].map(ROAD_TIERS).astype("int64").to_numpy(),
            "name": segments["name"].fillna("").astype(str).str.strip().to_numpy(),
        },
        geometry=shapely.linestrings(np.stack([start, end], axis=1)),
        crs=4326,
    )
    crs = metric_crs(pieces.geometry)
    pieces = pieces.to_crs(crs)
    # the segments of one road (tier and name) share their end nodes' coordinates exactly: one
    # multi-line per road, merged into its connected pieces (no costly union)
    groups = pieces.groupby(["tier", "name"], sort=True)
    codes = groups.ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")
    merged = shapely.line_merge(
        shapely.multilinestrings(pieces.geometry.to_numpy()[order], indices=codes[order])
    )
    counts = pieces.groupby(["tier", "name", "highway"], sort=True).size().reset_index()
    counts = counts.sort_values(["tier", "name", 0], ascending=[True, True, False], kind="stable")
    keys = counts.drop_duplicates(["tier", "name"])  # each road's most frequent class
    roads = gpd.GeoDataFrame(
        keys[["highway", "tier", "name"]].reset_index(drop=True), geometry=merged, crs=crs
    )
    roads = roads.explode(index_parts=False)
    roads["geometry"] = roads.geometry.simplify(simplify_m, preserve_topology=False)
    roads = roads[~roads.geometry.is_empty & (roads.geometry.length > 0)]
    vertices = shapely.get_num_coordinates(roads.geometry.to_numpy())
    by_tier = pd.Series(vertices).groupby(roads["tier"].to_numpy()).sum()
    if by_tier.sum() > vertex_budget and 3 in by_tier.index:
        log.info(
            "map roads: the %d street vertices (tier 3) would pass the budget of %d; left out",
            by_tier[3],
            vertex_budget,
        )
        roads = roads[roads["tier"] < 3]
    roads = roads.sort_values(["tier", "name"], kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame(roads[ROAD_COLUMNS], crs=crs).to_crs(4326)
