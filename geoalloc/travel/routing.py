"""Origin–destination travel minutes over a road graph: one shortest-path tree per site.

For ``n`` origins (areas) and ``m`` destinations (sites, ``m`` small), the cheap way is one
Dijkstra tree per *destination* on the reversed graph (every origin's time *to* that site), not one
per origin. When origins are the fewer, trees grow from them on the forward graph instead. Trees
run over a CSR matrix with scipy.sparse.csgraph, a few at a time (bounded memory), in worker
processes for large jobs (:func:`geoalloc.parallel.run_map`), with a cut-off when ``max_minutes``
is set. Unreachable pairs stay ``inf`` (dense) or absent (sparse), never zero.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse

from geoalloc._errors import InputError
from geoalloc.parallel import chunked, default_workers, run_map
from geoalloc.travel._kernel import TreeTask, run_trees
from geoalloc.travel.matrix import FLAG_COLUMNS, TravelMatrix
from geoalloc.travel.network import RoadNetwork
from geoalloc.travel.snap import Snapped, local_crs, node_xy, snap_points

log = logging.getLogger(__name__)

#: Trees × nodes above which "auto" runs trees in worker processes (≈ 1 s of single-core work).
PARALLEL_WORK = 15_000_000
ExecutorChoice = Literal["auto", "serial", "processes"]


def as_network(G: nx.MultiDiGraph | RoadNetwork) -> RoadNetwork:
    """The arrays form of a graph (a :class:`RoadNetwork` passes through)."""
    if isinstance(G, RoadNetwork):
        return G
    if isinstance(G, nx.Graph):
        return RoadNetwork.from_graph(G)
    msg = f"expected a networkx MultiDiGraph or a RoadNetwork, got {type(G).__name__}"
    raise InputError(msg)


def snap_both(
    network: RoadNetwork,
    origins,
    destinations,
    *,
    access_speed_kph: float,
    max_snap_m: float,
    graph_nodes=None,
) -> tuple[Snapped, Snapped]:
    """Snap both layers with one KD-tree; node-id inputs are checked against ``graph_nodes``."""
    from scipy.spatial import cKDTree

    for points, role in ((origins, "origin"), (destinations, "destination")):
        if not isinstance(points, gpd.GeoDataFrame) and graph_nodes is not None:
            unknown = [n for n in points if n not in graph_nodes]
            if unknown:
                msg = f"{role}s: {len(unknown)} node ids are not in the graph: {unknown[:20]}"
                raise InputError(msg)
    crs = local_crs(network)
    xy = node_xy(network, crs)
    tree = cKDTree(xy)
    kwargs = {
        "access_speed_kph": access_speed_kph,
        "max_snap_m": max_snap_m,
        "crs": crs,
        "tree": tree,
        "xy": xy,
    }
    if isinstance(origins, gpd.GeoDataFrame) and isinstance(destinations, gpd.GeoDataFrame):
        if (
            origins.crs is not None
            and destinations.crs is not None
            and not origins.crs.equals(destinations.crs)
        ):
            log.info(
                "origins (%s) and destinations (%s) differ in CRS; both are reprojected",
                origins.crs,
                destinations.crs,
            )
    return snap_points(network, origins, "origin", **kwargs), snap_points(
        network, destinations, "destination", **kwargs
    )


def travel_matrix(
    G: nx.MultiDiGraph | RoadNetwork,
    origins: gpd.GeoDataFrame | Sequence,
    destinations: gpd.GeoDataFrame | Sequence,
    max_minutes: float | None = None,
    *,
    access_speed_kph: float = 5.0,
    max_snap_m: float = 2000.0,
    executor: ExecutorChoice = "auto",
    workers: int | None = None,
) -> TravelMatrix:
    """Travel minutes from every origin to every destination over a road graph.

    Parameters
    ----------
    G
        A graph from :func:`load_graph` (or any osmnx-shaped graph whose edges carry
        ``travel_time`` in seconds), or a :class:`RoadNetwork`.
    origins, destinations
        GeoDataFrames (any CRS; polygons use a representative point), indexed by id; or sequences
        of node ids of ``G`` (no off-network leg).
    max_minutes
        Cut-off, minutes: only pairs within it are kept, as a sparse matrix, and trees stop there.
    access_speed_kph
        Speed on the off-network leg between a point and its nearest node, km/h (walking: 5).
    max_snap_m
        A point farther than this from every connected node, metres, is flagged
        ``far_from_network`` and left unreachable instead of being snapped.
    executor, workers
        ``"auto"`` uses worker processes (all usable cores, or ``workers``) for large jobs.

    Notes
    -----
    A point's minutes are: off-network leg to its node + shortest path between the nodes + leg
    from the destination's node, so two points snapped to the same node are ``leg + leg`` apart.

    Returns
    -------
    TravelMatrix
        Minutes (dense with ``inf``, or sparse with a cut-off), flags for points that are far from
        the network, next to a disconnected road, or reach nothing; ``origin_snap_m`` and
        ``destination_snap_m`` give each point's off-network distance in metres.
    """
    if max_minutes is not None and not max_minutes >= 0:
        msg = f"max_minutes must be a non-negative number of minutes, got {max_minutes!r}"
        raise InputError(msg)
    network = as_network(G)
    graph_nodes = G if isinstance(G, nx.Graph) else None
    so, sd = snap_both(
        network,
        origins,
        destinations,
        access_speed_kph=access_speed_kph,
        max_snap_m=max_snap_m,
        graph_nodes=graph_nodes,
    )
    return matrix_from_snapped(network, so, sd, max_minutes, executor=executor, workers=workers)


def matrix_from_snapped(
    network: RoadNetwork,
    so: Snapped,
    sd: Snapped,
    max_minutes: float | None,
    *,
    executor: ExecutorChoice = "auto",
    workers: int | None = None,
) -> TravelMatrix:
    """Route between already snapped points (see :func:`travel_matrix`)."""
    origin_nodes = np.unique(so.node[so.node >= 0])
    dest_nodes = np.unique(sd.node[sd.node >= 0])
    from_destinations = len(dest_nodes) <= len(origin_nodes)
    if from_destinations:  # trees *to* each site: reversed graph
        graph, src_snap, src_nodes, tgt_snap, tgt_nodes = (
            network.reverse(),
            sd,
            dest_nodes,
            so,
            origin_nodes,
        )
    else:
        graph, src_snap, src_nodes, tgt_snap, tgt_nodes = (
            network.forward,
            so,
            origin_nodes,
            sd,
            dest_nodes,
        )
    cutoff_s = None if max_minutes is None else float(max_minutes) * 60.0
    limit_s = np.full(len(src_nodes), np.inf)
    if cutoff_s is not None and len(src_nodes):
        # A tree may stop at the cut-off less the shortest off-network legs at both ends.
        src_pos = np.searchsorted(src_nodes, src_snap.node[src_snap.node >= 0])
        min_leg = np.full(len(src_nodes), np.inf)
        np.minimum.at(min_leg, src_pos, src_snap.leg_s[src_snap.node >= 0])
        tgt_min_leg = float(np.nanmin(tgt_snap.leg_s)) if np.isfinite(tgt_snap.leg_s).any() else 0.0
        limit_s = np.maximum(cutoff_s - min_leg - tgt_min_leg, 0.0)
        limit_s = (
            limit_s * (1 + 1e-12) + 1e-9
        )  # never lose a pair to rounding; filtered exactly below
    block = _run_trees(graph, src_nodes, tgt_nodes, limit_s, executor=executor, workers=workers)
    if from_destinations:
        block = block.T  # rows: origin nodes, columns: destination nodes
    seconds = _expand(block, so, origin_nodes, sd, dest_nodes, cutoff_s)
    n_o, n_d = len(so.ids), len(sd.ids)
    if cutoff_s is None:
        minutes: np.ndarray | sparse.coo_array = seconds / 60.0
        reach_o = np.isfinite(minutes).any(axis=1) if n_d else np.zeros(n_o, bool)
        reach_d = np.isfinite(minutes).any(axis=0) if n_o else np.zeros(n_d, bool)
    else:
        rows, cols, secs = seconds
        values = secs / 60.0
        keep = values <= max_minutes
        rows, cols, values = rows[keep], cols[keep], values[keep]
        minutes = sparse.coo_array((values, (rows, cols)), shape=(n_o, n_d))
        reach_o = np.bincount(rows, minlength=n_o) > 0
        reach_d = np.bincount(cols, minlength=n_d) > 0
    flags = so.flags + sd.flags
    reason = "unreachable" if max_minutes is None else "none_within_max_minutes"
    for snap, reach, role, other in (
        (so, reach_o, "origin", "destination"),
        (sd, reach_d, "destination", "origin"),
    ):
        for i in np.flatnonzero((snap.node >= 0) & ~reach):
            within = "" if max_minutes is None else f" within {max_minutes:g} minutes"
            flags.append(
                {
                    "id": snap.ids[i],
                    "role": role,
                    "reason": reason,
                    "detail": f"no {other} reachable{within}",
                }
            )
    return TravelMatrix(
        origin_ids=so.ids,
        destination_ids=sd.ids,
        minutes=minutes,
        max_minutes=max_minutes,
        flags=pd.DataFrame(flags, columns=FLAG_COLUMNS, dtype=object),
        origin_snap_m=so.distance_m,
        destination_snap_m=sd.distance_m,
    )


def _run_trees(
    graph, sources, targets, limit_s, *, executor: ExecutorChoice, workers: int | None
) -> np.ndarray:
    """Seconds ``(len(sources), len(targets))`` from one tree per source."""
    if len(sources) == 0 or len(targets) == 0:
        return np.full((len(sources), len(targets)), np.inf)
    n_workers = workers or default_workers()
    if executor == "auto":
        big = len(sources) * graph.shape[0] >= PARALLEL_WORK
        executor = "processes" if big and n_workers > 1 and len(sources) > 1 else "serial"
    if executor == "processes":
        # few tasks (graph is pickled once per task); two per worker evens out uneven trees
        parts = chunked(np.arange(len(sources)), 2 * n_workers)
    else:
        parts = chunked(np.arange(len(sources)), max(1, len(sources) // 8))
    tasks = [TreeTask(graph, sources[p], targets, limit_s[p]) for p in parts]
    log.info(
        "routing: %d trees over %d nodes to %d targets (%s%s)",
        len(sources),
        graph.shape[0],
        len(targets),
        executor,
        f", {n_workers} workers" if executor == "processes" else "",
    )
    blocks = run_map(
        run_trees, tasks, executor=executor, workers=n_workers, desc="shortest-path trees"
    )
    return np.vstack(blocks)


def _expand(block, so: Snapped, origin_nodes, sd: Snapped, dest_nodes, cutoff_s):
    """From node pairs to point pairs, adding the off-network legs (seconds)."""
    n_o, n_d = len(so.ids), len(sd.ids)
    o_ok = so.node >= 0
    d_ok = sd.node >= 0
    o_pos = np.searchsorted(origin_nodes, so.node[o_ok])
    d_pos = np.searchsorted(dest_nodes, sd.node[d_ok])
    if cutoff_s is None:
        out = np.full((n_o, n_d), np.inf)
        sub = block[np.ix_(o_pos, d_pos)] + so.leg_s[o_ok][:, None] + sd.leg_s[d_ok][None, :]
        out[np.ix_(np.flatnonzero(o_ok), np.flatnonzero(d_ok))] = sub
        return out
    rows_all, cols_all, secs_all = [], [], []
    o_idx = np.flatnonzero(o_ok)
    d_idx = np.flatnonzero(d_ok)
    d_leg = sd.leg_s[d_ok]
    # points grouped by node so each node row is expanded once
    order = np.argsort(o_pos, kind="stable")
    starts = np.searchsorted(o_pos[order], np.arange(len(origin_nodes) + 1))
    finite_rows = np.flatnonzero(np.isfinite(block).any(axis=1)) if block.size else np.empty(0, int)
    for r in finite_rows:
        members = order[starts[r] : starts[r + 1]]
        if len(members) == 0:
            continue
        row = block[r, d_pos] + d_leg  # per destination point
        cols = np.flatnonzero(np.isfinite(row))
        totals = row[cols][None, :] + so.leg_s[o_idx[members]][:, None]
        ii, jj = np.nonzero(totals <= cutoff_s)
        rows_all.append(o_idx[members][ii])
        cols_all.append(d_idx[cols][jj])
        secs_all.append(totals[ii, jj])
    if not rows_all:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    return np.concatenate(rows_all), np.concatenate(cols_all), np.concatenate(secs_all)
