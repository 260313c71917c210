"""Snap points to the nearest road node, in a projected CRS, with the off-network leg and flags."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from geoalloc._errors import InputError
from geoalloc._validate import Problems
from geoalloc.travel.network import RoadNetwork

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

log = logging.getLogger(__name__)

#: A point is flagged ``nearest_road_disconnected`` when a road outside the main network is
#: this many metres closer than the node it was snapped to (smaller gaps are extract-edge noise).
DISCONNECTED_GAP_M = 200.0


def local_crs(network: RoadNetwork) -> CRS:
    """The UTM zone (metres) at the network's median node."""
    lon = float(np.median(network.lon))
    lat = float(np.median(network.lat))
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


@dataclass(frozen=True)
class Snapped:
    """Points matched to network nodes.

    ``node`` is the CSR position of each point's node (``-1`` when not snapped), ``distance_m`` the
    straight-line distance from the point to it (0 for node-id inputs, ``nan`` when not snapped),
    ``leg_s`` the off-network leg in seconds at the access speed.
    """

    ids: pd.Index
    node: np.ndarray
    distance_m: np.ndarray
    leg_s: np.ndarray
    flags: list[dict]


def point_layer(points: gpd.GeoDataFrame, role: str) -> gpd.GeoSeries:
    """Point geometries of a layer, checked: a CRS, unique ids, no missing geometry.

    Polygons and lines are replaced by a representative point (inside the shape).
    """
    problems = Problems()
    where = f"{role}s"
    if points.crs is None:
        problems.add(
            where, "the layer has no CRS", "set one (e.g. gdf.set_crs(4326)) or fix the file"
        )
    duplicated = points.index[points.index.duplicated()].unique()
    if len(duplicated):
        problems.add(where, "duplicate ids", "make the id column unique", ids=duplicated)
    geometry = points.geometry
    bad = geometry.isna() | geometry.is_empty
    if bad.any():
        problems.add(
            where, "missing or empty geometry", "fix or drop these rows", ids=points.index[bad]
        )
    problems.raise_if_any()
    if not (geometry.geom_type == "Point").all():
        geometry = geometry.representative_point()
    return geometry


def snap_points(
    network: RoadNetwork,
    points: gpd.GeoDataFrame | Sequence,
    role: str,
    *,
    access_speed_kph: float,
    max_snap_m: float,
    crs: CRS | None = None,
    tree: cKDTree | None = None,
    xy: np.ndarray | None = None,
) -> Snapped:
    """Snap ``points`` (a GeoDataFrame in any CRS, or a sequence of node ids) to ``network``."""
    from scipy.spatial import cKDTree  # here: a crowfly run or a check of the inputs snaps nothing

    flags: list[dict] = []
    if not isinstance(points, gpd.GeoDataFrame):
        return _snap_node_ids(network, points, role)
    geometry = point_layer(points, role)
    crs = crs or local_crs(network)
    if xy is None:
        xy = node_xy(network, crs)
    if tree is None:
        tree = cKDTree(xy)
    projected = geometry.to_crs(crs)
    pxy = np.column_stack([projected.x.to_numpy(), projected.y.to_numpy()])
    n = len(pxy)
    distance, node = tree.query(pxy) if n else (np.empty(0), np.empty(0, dtype=np.int64))
    node = np.asarray(node, dtype=np.int64)
    distance = np.asarray(distance, dtype=float)
    far = distance > max_snap_m
    dropped_distance = np.full(n, np.inf)
    if network.n_dropped and n:
        dxy = np.column_stack(
            Transformer.from_crs(4326, crs, always_xy=True).transform(
                network.dropped_lon, network.dropped_lat
            )
        )
        dropped_distance, _ = cKDTree(dxy).query(pxy)
    ids = points.index
    for i in np.flatnonzero(far):
        detail = (
            f"nearest connected road node is {distance[i]:,.0f} m away "
            f"(max_snap_m={max_snap_m:,.0f})"
        )
        if dropped_distance[i] < distance[i]:
            detail += (
                f"; a road {dropped_distance[i]:,.0f} m away is not connected to the main network"
            )
        flags.append({"id": ids[i], "role": role, "reason": "far_from_network", "detail": detail})
    for i in np.flatnonzero(~far & (distance - dropped_distance > DISCONNECTED_GAP_M)):
        flags.append(
            {
                "id": ids[i],
                "role": role,
                "reason": "nearest_road_disconnected",
                "detail": (
                    f"nearest road ({dropped_distance[i]:,.0f} m) is not connected to the main "
                    f"network (largest strongly connected component); snapped to a connected "
                    f"node {distance[i]:,.0f} m away"
                ),
            }
        )
    node[far] = -1
    distance[far] = np.nan
    leg_s = distance / (access_speed_kph / 3.6)
    if n:
        log.info(
            "%ss: %d snapped (off-network leg median %.0f m, max %.0f m), %d too far from roads",
            role,
            int((~far).sum()),
            float(np.nanmedian(distance)) if (~far).any() else float("nan"),
            float(np.nanmax(distance)) if (~far).any() else float("nan"),
            int(far.sum()),
        )
    return Snapped(ids=ids, node=node, distance_m=distance, leg_s=leg_s, flags=flags)


def node_xy(network: RoadNetwork, crs: CRS) -> np.ndarray:
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(network.lon, network.lat)
    return np.column_stack([x, y])


def _snap_node_ids(network: RoadNetwork, nodes: Sequence, role: str) -> Snapped:
    ids = pd.Index(list(nodes))
    if ids.has_duplicates:
        msg = f"{role}s: duplicate node ids {list(ids[ids.duplicated()].unique()[:20])}"
        raise InputError(msg)
    position = pd.Index(network.node_ids).get_indexer(ids)
    flags = [
        {
            "id": ids[i],
            "role": role,
            "reason": "not_on_main_component",
            "detail": "node is not in the graph's largest strongly connected component",
        }
        for i in np.flatnonzero(position < 0)
    ]
    distance = np.where(position >= 0, 0.0, np.nan)
    return Snapped(
        ids=ids,
        node=position.astype(np.int64),
        distance_m=distance,
        leg_s=distance.copy(),
        flags=flags,
    )
