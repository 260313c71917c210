"""Service areas (isochrones): where a site is reached from within ``t`` minutes, as polygons."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely

from geoalloc._errors import InputError
from geoalloc.travel.geodesy import metric_crs
from geoalloc.travel.network import RoadNetwork
from geoalloc.travel.routing import as_network, snap_both

if TYPE_CHECKING:
    import networkx as nx

log = logging.getLogger(__name__)

SERVICE_AREA_COLUMNS = ["site", "minutes", "geometry"]


def empty_service_areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"site": [], "minutes": []}, geometry=[], crs=4326)


def _check_minutes(minutes: Sequence[float]) -> list[float]:
    values = sorted({float(m) for m in minutes})
    if not values or values[0] <= 0:
        msg = f"service-area thresholds must be positive minutes, got {list(minutes)!r}"
        raise InputError(msg)
    return values


def service_areas(
    G: nx.MultiDiGraph | RoadNetwork,
    sites: gpd.GeoDataFrame,
    minutes: Sequence[float] = (10, 20, 30),
    *,
    access_speed_kph: float = 5.0,
    max_snap_m: float = 2000.0,
    buffer_m: float = 60.0,
) -> gpd.GeoDataFrame:
    """Polygons from which each site is reached within each threshold (travel *to* the site).

    A service area is the union of the road edges whose both ends reach the site within the
    threshold (the site's own off-network leg included), buffered by ``buffer_m`` metres and
    slightly simplified. Sites that could not be snapped (see :func:`travel_matrix` flags) have
    no rows; neither has a threshold shorter than a site's own off-network leg.

    Parameters
    ----------
    G
        Road graph (:func:`load_graph`) or :class:`RoadNetwork`.
    sites
        Points (any CRS), indexed by site id.
    minutes
        Thresholds, minutes.
    access_speed_kph, max_snap_m
        As in :func:`travel_matrix`.
    buffer_m
        Half-width of the band drawn around reachable roads, metres.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``site``, ``minutes``, ``geometry`` (polygons, EPSG:4326), in the order of
        ``sites``, then by threshold.
    """
    thresholds = _check_minutes(minutes)
    network = as_network(G)
    _, snapped = snap_both(
        network, sites.iloc[:0], sites, access_speed_kph=access_speed_kph, max_snap_m=max_snap_m
    )
    from scipy.sparse import csgraph  # here: it loads scipy.linalg, which a crowfly run skips

    from geoalloc.travel.snap import local_crs, node_xy

    crs = local_crs(network)
    xy = node_xy(network, crs)
    reverse = network.reverse()
    tail = np.repeat(np.arange(network.n_nodes), np.diff(network.forward.indptr))
    head = network.forward.indices.astype(np.int64)
    # each street once (not once per direction): buffering then union is the costly part
    pair = np.unique(np.minimum(tail, head) * network.n_nodes + np.maximum(tail, head))
    lo, hi = pair // network.n_nodes, pair % network.n_nodes
    lines = shapely.linestrings(np.stack([xy[lo], xy[hi]], axis=1))
    limit = thresholds[-1] * 60.0
    ok = snapped.node >= 0
    rows = []
    trees: dict[int, np.ndarray] = {}  # the last tree: sites sharing a node reuse it
    roads: dict[bytes, shapely.Geometry] = {}  # buffered roads by the set of roads reached
    for i in np.flatnonzero(ok):
        node = int(snapped.node[i])
        if node not in trees:
            trees = {node: csgraph.dijkstra(reverse, directed=True, indices=node, limit=limit)}
        tree = trees[node]
        for t in thresholds:
            budget = t * 60.0 - snapped.leg_s[i]
            if budget < 0:
                continue
            reach = tree <= budget
            mask = reach[lo] & reach[hi]
            key = np.packbits(mask).tobytes()
            if key not in roads:  # a small region's sites often reach the same roads
                roads[key] = _buffered_roads(lines[mask], buffer_m)
            site_disc = shapely.buffer(shapely.points(xy[snapped.node[i]]), buffer_m, quad_segs=2)
            shape = shapely.union(roads[key], site_disc)
            shape = shapely.simplify(shape, buffer_m / 4)
            rows.append((snapped.ids[i], t, shape))
    if not rows:
        return empty_service_areas()
    site, mins, geoms = zip(*rows, strict=True)
    out = gpd.GeoDataFrame(
        {"site": list(site), "minutes": list(mins)}, geometry=list(geoms), crs=crs
    )
    return out.to_crs(4326)


def _buffered_roads(lines: np.ndarray, buffer_m: float) -> shapely.Geometry:
    """The band of ``buffer_m`` metres around road segments, as one (multi)polygon."""
    # merging segments into polylines first makes the buffer + union ~3x faster
    merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(lines)))
    return shapely.union_all(shapely.buffer(merged, buffer_m, quad_segs=2))


#: the widest crowfly service area drawn (radius, metres): a circle wider than a continent cannot be
#: drawn in one local projection (it folds over the antimeridian or a pole), so it is left out
MAX_CIRCLE_M = 2_000_000.0


def crowfly_service_areas(
    sites: gpd.GeoDataFrame,
    minutes: Sequence[float] = (10, 20, 30),
    *,
    speed_kph: float = 40.0,
    circuity: float = 1.3,
) -> gpd.GeoDataFrame:
    """Circles of radius ``speed_kph × t ÷ circuity`` around each site: the crowfly engine's
    service areas (exactly the points its matrix puts within ``t`` minutes, up to the local
    projection's scale error).

    A circle wider than :data:`MAX_CIRCLE_M` is not drawn (a warning says so), nor is one too
    small to have an area; the travel matrix is not affected.
    """
    from geoalloc.travel.snap import point_layer

    thresholds = _check_minutes(minutes)
    points = point_layer(sites, "site")
    if len(points) == 0:
        return empty_service_areas()
    radius_m = {t: speed_kph * 1000.0 / 60.0 * t / circuity for t in thresholds}
    too_wide = [t for t, r in radius_m.items() if not r <= MAX_CIRCLE_M]
    if too_wide:
        log.warning(
            "service areas of %s minutes not drawn: at %g km/h (circuity %g) they are circles "
            "wider than %g km, which no map projection of the region holds — check [network] "
            "speed_kph and circuity and [optimize] max_minutes",
            ", ".join(f"{t:g}" for t in too_wide),
            speed_kph,
            circuity,
            MAX_CIRCLE_M / 1000,
        )
    crs = metric_crs(points.to_crs(4326))
    projected = points.to_crs(crs)
    rows = []
    for site, point in zip(sites.index, projected, strict=True):
        for t in thresholds:
            if t in too_wide:
                continue
            circle = point.buffer(radius_m[t], quad_segs=16)
            if not circle.is_empty:
                rows.append((site, t, circle))
    if not rows:
        return empty_service_areas()
    site, mins, geoms = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"site": list(site), "minutes": list(mins)}, geometry=list(geoms), crs=crs
    ).to_crs(4326)
