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
import math
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from geoalloc._errors import InputError
from geoalloc.parallel import chunked, default_workers, run_map
from geoalloc.travel._kernel import TreeTask, run_trees
from geoalloc.travel.matrix import FLAG_COLUMNS, TravelMatrix, unreached_flags
from geoalloc.travel.network import RoadNetwork
from geoalloc.travel.snap import Snapped, local_crs, node_xy, snap_points

if TYPE_CHECKING:
    import networkx as nx

log = logging.getLogger(__name__)

#: Trees × nodes above which "auto" runs trees in worker processes (≈ 1 s of single-core work).
PARALLEL_WORK = 15_000_000
ExecutorChoice = Literal["auto", "serial", "processes", "dask"]
#: tasks a Dask routing run is split into at least (an existing cluster may be large)
DASK_TASKS = 64
#: With a cut-off, the pairs within it: (row index, column index, seconds) arrays.
Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]


def _is_networkx_graph(G: object) -> bool:
    """A networkx graph, judged without importing networkx (a graph implies it is imported)."""
    nx_module = sys.modules.get("networkx")
    return nx_module is not None and isinstance(G, nx_module.Graph)


def as_network(G: nx.MultiDiGraph | RoadNetwork) -> RoadNetwork:
    """The arrays form of a graph (a :class:`RoadNetwork` passes through)."""
    if isinstance(G, RoadNetwork):
        return G
    if _is_networkx_graph(G):
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
    scheduler: object = None,
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
        Speed on the off-network leg between a point and its nearest node, km/h. The default is
        a walking pace; a scenario's ``[network]`` picks it by mode
        (:data:`geoalloc.travel.options.ACCESS_SPEED_KPH`: drive 20, walk 5, bike 15).
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
    graph_nodes = G if _is_networkx_graph(G) else None
    so, sd = snap_both(
        network,
        origins,
        destinations,
        access_speed_kph=access_speed_kph,
        max_snap_m=max_snap_m,
        graph_nodes=graph_nodes,
    )
    return matrix_from_snapped(
        network, so, sd, max_minutes, executor=executor, workers=workers, scheduler=scheduler
    )


def matrix_from_snapped(
    network: RoadNetwork,
    so: Snapped,
    sd: Snapped,
    max_minutes: float | None,
    *,
    executor: ExecutorChoice = "auto",
    workers: int | None = None,
    scheduler: object = None,
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
    if cutoff_s is not None and not math.isfinite(cutoff_s):  # trees need a number to stop at
        msg = f"max_minutes must be a finite number of minutes, got {max_minutes!r}"
        raise InputError(msg)
    limit_s = np.full(len(src_nodes), np.inf)
    if cutoff_s is not None and len(src_nodes):
        # A tree may stop at the cut-off less the shortest off-network legs at both ends.
        src_pos = np.searchsorted(src_nodes, src_snap.node[src_snap.node >= 0])
        min_leg = np.full(len(src_nodes), np.inf)
        np.minimum.at(min_leg, src_pos, src_snap.leg_s[src_snap.node >= 0])
        tgt_min_leg = float(np.nanmin(tgt_snap.leg_s)) if np.isfinite(tgt_snap.leg_s).any() else 0.0
        limit_s = np.maximum(cutoff_s - min_leg - tgt_min_leg, 0.0)
        # a hair of slack so no pair is lost to rounding; pairs are filtered exactly below
        limit_s = limit_s * (1 + 1e-12) + 1e-9
    block = _run_trees(
        graph,
        src_nodes,
        tgt_nodes,
        limit_s,
        pairs=cutoff_s is not None,
        executor=executor,
        workers=workers,
        scheduler=scheduler,
    )
    if from_destinations:  # rows: origin nodes, columns: destination nodes
        block = block.T if isinstance(block, np.ndarray) else (block[1], block[0], block[2])
    seconds = _expand(block, so, origin_nodes, sd, dest_nodes, cutoff_s)
    n_o, n_d = len(so.ids), len(sd.ids)
    if isinstance(seconds, np.ndarray):  # no cut-off
        minutes: np.ndarray | sparse.coo_array = seconds / 60.0
        reach_o = np.isfinite(seconds).any(axis=1) if n_d else np.zeros(n_o, bool)
        reach_d = np.isfinite(seconds).any(axis=0) if n_o else np.zeros(n_d, bool)
    else:
        rows, cols, secs = seconds
        values = secs / 60.0
        if max_minutes is not None:  # always here; drops a pair pushed over by the division
            keep = values <= max_minutes
            rows, cols, values = rows[keep], cols[keep], values[keep]
        minutes = sparse.coo_array((values, (rows, cols)), shape=(n_o, n_d))
        reach_o = np.bincount(rows, minlength=n_o) > 0
        reach_d = np.bincount(cols, minlength=n_d) > 0
    flags = so.flags + sd.flags
    if len(so.ids) and len(sd.ids):  # else nothing to reach: not the points' fault
        for snap, reach, role in ((so, reach_o, "origin"), (sd, reach_d, "destination")):
            unreached = np.flatnonzero((snap.node >= 0) & ~reach)
            flags += unreached_flags(snap.ids, unreached, role, max_minutes)
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
    graph,
    sources,
    targets,
    limit_s,
    *,
    pairs: bool,
    executor: ExecutorChoice,
    workers: int | None,
    scheduler=None,
) -> np.ndarray | Pairs:
    """Seconds from one tree per source: dense ``(sources, targets)``, or with cut-offs
    (``pairs``) the ``(source index, target index, seconds)`` arrays of the pairs within them."""
    if len(sources) == 0 or len(targets) == 0:
        if pairs:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
        return np.full((len(sources), len(targets)), np.inf)
    n_workers = workers or default_workers()
    if executor == "auto":
        big = len(sources) * graph.shape[0] >= PARALLEL_WORK
        executor = "processes" if big and n_workers > 1 and len(sources) > 1 else "serial"
    if executor == "processes":
        # the graph goes to each worker once; two tasks per worker even out uneven trees
        parts = chunked(range(len(sources)), 2 * n_workers)
    elif executor == "dask":
        # the cluster may have more workers than this machine has cores: enough tasks for them
        # (scheduling costs ~2 ms a task, so 64 tasks cost nothing next to the trees)
        parts = chunked(range(len(sources)), max(2 * n_workers, DASK_TASKS))
    else:
        parts = chunked(range(len(sources)), max(1, len(sources) // 8))
    tasks = [TreeTask(sources[p], targets, limit_s[p]) for p in map(np.asarray, parts)]
    log.info(
        "routing: %d trees over %d nodes to %d targets (%s%s)",
        len(sources),
        graph.shape[0],
        len(targets),
        executor,
        f", {n_workers} workers" if executor == "processes" else "",
    )
    blocks = run_map(
        run_trees,
        tasks,
        executor=executor,
        workers=n_workers,
        scheduler=scheduler,
        shared=graph,
        desc="shortest-path trees",
    )
    if pairs:
        offsets = np.cumsum([0] + [len(p) for p in parts])
        rows = np.concatenate([b[0] + off for b, off in zip(blocks, offsets, strict=False)])
        cols = np.concatenate([b[1] for b in blocks])
        secs = np.concatenate([b[2] for b in blocks])
        return rows, cols, secs
    return np.vstack(blocks)


def _expand(
    block: np.ndarray | Pairs,
    so: Snapped,
    origin_nodes: np.ndarray,
    sd: Snapped,
    dest_nodes: np.ndarray,
    cutoff_s: float | None,
) -> np.ndarray | Pairs:
    """From node pairs to point pairs, adding the off-network legs (seconds).

    ``block`` is dense ``(origin nodes, destination nodes)`` without a cut-off, else ``(origin
    node index, destination node index, seconds)`` arrays of the pairs within it; the result has
    the same form, over points.
    """
    n_o, n_d = len(so.ids), len(sd.ids)
    o_ok = so.node >= 0
    d_ok = sd.node >= 0
    o_pos = np.searchsorted(origin_nodes, so.node[o_ok])
    d_pos = np.searchsorted(dest_nodes, sd.node[d_ok])
    if isinstance(block, np.ndarray):
        out = np.full((n_o, n_d), np.inf)
        sub = block[np.ix_(o_pos, d_pos)] + so.leg_s[o_ok][:, None] + sd.leg_s[d_ok][None, :]
        out[np.ix_(np.flatnonzero(o_ok), np.flatnonzero(d_ok))] = sub
        return out
    node_o, node_d, node_secs = block
    # points grouped by node: node k's points are points[start[k] : start[k] + count[k]]
    o_points, o_start, o_count = _groups(np.flatnonzero(o_ok), o_pos, len(origin_nodes))
    d_points, d_start, d_count = _groups(np.flatnonzero(d_ok), d_pos, len(dest_nodes))
    per_pair = o_count[node_o] * d_count[node_d]
    pair = np.repeat(np.arange(len(node_o)), per_pair)
    local = np.arange(len(pair)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    width = d_count[node_d][pair]
    rows = o_points[o_start[node_o][pair] + local // width]
    cols = d_points[d_start[node_d][pair] + local % width]
    secs = node_secs[pair] + so.leg_s[rows] + sd.leg_s[cols]
    keep = secs <= cutoff_s
    return rows[keep], cols[keep], secs[keep]


def _groups(points: np.ndarray, node_pos: np.ndarray, n_nodes: int):
    """Points sorted by node, each node's start in that order, and its number of points."""
    order = np.argsort(node_pos, kind="stable")
    count = np.bincount(node_pos, minlength=n_nodes)
    start = np.cumsum(count) - count
    return points[order], start, count
