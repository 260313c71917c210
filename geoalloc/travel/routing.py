"""Origin–destination travel minutes over a road graph: one shortest-path tree per site.

For ``n`` origins (areas) and ``m`` destinations (sites, ``m`` small), the cheap way is one
Dijkstra tree per *destination* on the reversed graph (every origin's time *to* that site), not one
per origin. When origins are the fewer, trees grow from them on the forward graph instead. Trees
run over a CSR matrix with scipy.sparse.csgraph, a few at a time (bounded memory), in worker
processes for large jobs (:func:`geoalloc.parallel.run_map`), with a cut-off when ``max_minutes``
is set. Unreachable pairs stay ``inf`` (dense) or absent (sparse), never zero.

With a cut-off, nothing of size origins × destinations is made: workers expand node pairs to point
pairs and filter them at the cut-off block by block, and send back int32 indices and float64
minutes per task; the tasks' pairs are folded into the matrix's arrays as they arrive
(:func:`geoalloc.parallel.run_each`), so the peak stays near the pairs themselves (a state-scale
100,000 × 2,000 matrix of 118.6 M pairs: 1.9 GB of pairs, 2.7 GB peak with two workers).
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from geoalloc._errors import InputError
from geoalloc.parallel import Executor, chunked, default_workers, run_each, run_map
from geoalloc.travel._kernel import (
    POINT_INDEX,
    PairShared,
    PairTask,
    PointGroups,
    TreeTask,
    run_tree_pairs,
    run_trees,
)
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
#: With a cut-off, trees per task at most, so each task's pairs (sent back whole) stay small
TREES_PER_TASK = 32


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
    n_o, n_d = len(so.ids), len(sd.ids)
    if cutoff_s is None:  # dense: every pair
        block = _run_trees(
            graph,
            src_nodes,
            tgt_nodes,
            np.full(len(src_nodes), np.inf),
            executor=executor,
            workers=workers,
            scheduler=scheduler,
        )
        if from_destinations:  # rows: origin nodes, columns: destination nodes
            block = block.T
        seconds = _expand(block, so, origin_nodes, sd, dest_nodes)
        minutes: np.ndarray | sparse.coo_array = seconds / 60.0
        reach_o = np.isfinite(seconds).any(axis=1) if n_d else np.zeros(n_o, bool)
        reach_d = np.isfinite(seconds).any(axis=0) if n_o else np.zeros(n_d, bool)
    else:
        assert max_minutes is not None  # cutoff_s is set from it
        pairs = _run_pairs(
            graph,
            (src_snap, src_nodes),
            (tgt_snap, tgt_nodes),
            sources_are_origins=not from_destinations,
            cutoff_s=cutoff_s,
            max_minutes=float(max_minutes),
            executor=executor,
            workers=workers,
            scheduler=scheduler,
        )
        if from_destinations:  # sources are the destinations: rows are the targets
            rows, cols, reach_o, reach_d = pairs.target, pairs.source, pairs.reach_t, pairs.reach_s
        else:
            rows, cols, reach_o, reach_d = pairs.source, pairs.target, pairs.reach_s, pairs.reach_t
        # int32 indices and float64 minutes are kept as they are (coo_array copies neither)
        minutes = sparse.coo_array((pairs.minutes, (rows, cols)), shape=(n_o, n_d))
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


def _tasks_for(n_sources: int, executor: str, n_workers: int, trees_per_task: int | None):
    """Contiguous source slices, one per task (see :func:`_run_trees`)."""
    if executor == "processes":
        # the graph goes to each worker once; two tasks per worker even out uneven trees
        n_tasks = 2 * n_workers
    elif executor == "dask":
        # the cluster may have more workers than this machine has cores: enough tasks for them
        # (scheduling costs ~2 ms a task, so 64 tasks cost nothing next to the trees)
        n_tasks = max(2 * n_workers, DASK_TASKS)
    else:
        n_tasks = max(1, n_sources // 8)
    if trees_per_task is not None:  # bounded output per task
        n_tasks = max(n_tasks, math.ceil(n_sources / trees_per_task))
    return [np.asarray(p) for p in chunked(range(n_sources), n_tasks)]


def _pick_executor(
    executor: ExecutorChoice, n_sources: int, n_nodes: int, n_workers: int
) -> Executor:
    """``"auto"``: worker processes for large jobs (see :data:`PARALLEL_WORK`), else serial."""
    if executor == "auto":
        big = n_sources * n_nodes >= PARALLEL_WORK
        return "processes" if big and n_workers > 1 and n_sources > 1 else "serial"
    return executor


def _run_trees(
    graph,
    sources,
    targets,
    limit_s,
    *,
    executor: ExecutorChoice,
    workers: int | None,
    scheduler=None,
) -> np.ndarray:
    """Seconds from one tree per source, dense ``(sources, targets)``, ``inf`` where unreached."""
    if len(sources) == 0 or len(targets) == 0:
        return np.full((len(sources), len(targets)), np.inf)
    n_workers = workers or default_workers()
    executor = _pick_executor(executor, len(sources), graph.shape[0], n_workers)
    parts = _tasks_for(len(sources), executor, n_workers, None)
    tasks = [TreeTask(sources[p], targets, limit_s[p]) for p in parts]
    _log_routing(len(sources), graph.shape[0], len(targets), executor, n_workers)
    blocks = run_map(
        run_trees,
        tasks,
        executor=executor,
        workers=n_workers,
        scheduler=scheduler,
        shared=graph,
        desc="shortest-path trees",
    )
    return np.vstack(blocks)


def _log_routing(n_sources, n_nodes, n_targets, executor, n_workers) -> None:
    log.info(
        "routing: %d trees over %d nodes to %d targets (%s%s)",
        n_sources,
        n_nodes,
        n_targets,
        executor,
        f", {n_workers} workers" if executor == "processes" else "",
    )


@dataclass(frozen=True)
class PointPairs:
    """The point pairs within a cut-off: ``source``/``target`` point indices (int32) into the
    side the trees grow from / reach, their ``minutes`` (float64), and which points of each side
    reach at least one point of the other (``reach_s``, ``reach_t``)."""

    source: np.ndarray
    target: np.ndarray
    minutes: np.ndarray
    reach_s: np.ndarray
    reach_t: np.ndarray


def _run_pairs(
    graph,
    source_side: tuple[Snapped, np.ndarray],
    target_side: tuple[Snapped, np.ndarray],
    *,
    sources_are_origins: bool,
    cutoff_s: float,
    max_minutes: float,
    executor: ExecutorChoice,
    workers: int | None,
    scheduler=None,
) -> PointPairs:
    """The point pairs within ``cutoff_s``: one tree per source node, expanded to points and
    filtered in the workers (:func:`geoalloc.travel._kernel.run_tree_pairs`), folded into
    arrays that grow in place as each task's pairs arrive, in task order (deterministic)."""
    (src_snap, src_nodes), (tgt_snap, tgt_nodes) = source_side, target_side
    assembly = _PairAssembly(len(src_snap.ids), len(tgt_snap.ids))
    if len(src_nodes) == 0 or len(tgt_nodes) == 0:
        return assembly.finish()
    src_ok, tgt_ok = src_snap.node >= 0, tgt_snap.node >= 0
    src_pos = np.searchsorted(src_nodes, src_snap.node[src_ok])
    tgt_pos = np.searchsorted(tgt_nodes, tgt_snap.node[tgt_ok])
    # A tree may stop at the cut-off less the shortest off-network legs at both ends.
    min_leg = np.full(len(src_nodes), np.inf)
    np.minimum.at(min_leg, src_pos, src_snap.leg_s[src_ok])
    tgt_min_leg = float(np.nanmin(tgt_snap.leg_s)) if np.isfinite(tgt_snap.leg_s).any() else 0.0
    limit_s = np.maximum(cutoff_s - min_leg - tgt_min_leg, 0.0)
    # a hair of slack so no pair is lost to rounding; pairs are filtered exactly in the kernel
    limit_s = limit_s * (1 + 1e-12) + 1e-9
    shared = PairShared(
        graph=graph,
        targets=tgt_nodes,
        source_points=PointGroups.build(
            src_pos, np.flatnonzero(src_ok), src_snap.leg_s, len(src_nodes)
        ),
        target_points=PointGroups.build(
            tgt_pos, np.flatnonzero(tgt_ok), tgt_snap.leg_s, len(tgt_nodes)
        ),
        sources_are_origins=sources_are_origins,
        cutoff_s=cutoff_s,
        max_minutes=max_minutes,
    )
    n_workers = workers or default_workers()
    executor = _pick_executor(executor, len(src_nodes), graph.shape[0], n_workers)
    parts = _tasks_for(len(src_nodes), executor, n_workers, TREES_PER_TASK)
    tasks = [PairTask(int(p[0]), src_nodes[p], limit_s[p]) for p in parts]
    _log_routing(len(src_nodes), graph.shape[0], len(tgt_nodes), executor, n_workers)
    run_each(
        run_tree_pairs,
        tasks,
        assembly.add,
        executor=executor,
        workers=n_workers,
        scheduler=scheduler,
        shared=shared,
        desc="shortest-path trees",
    )
    return assembly.finish()


class _PairAssembly:
    """Task results folded, in task order, into three arrays grown in place.

    ``ndarray.resize`` reallocates; for large arrays the C library moves the pages (``mremap`` on
    Linux) rather than copying them, and pages not written yet take no memory, so the peak stays
    near the pairs themselves plus the results that arrived ahead of their turn.
    """

    def __init__(self, n_source_points: int, n_target_points: int) -> None:
        self.source = np.empty(0, POINT_INDEX)
        self.target = np.empty(0, POINT_INDEX)
        self.minutes = np.empty(0, np.float64)
        self.size = 0
        self.reach_s = np.zeros(n_source_points, bool)
        self.reach_t = np.zeros(n_target_points, bool)
        self.waiting: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.next = 0

    def add(self, position: int, pairs: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        self.waiting[position] = pairs
        while self.next in self.waiting:
            self._append(*self.waiting.pop(self.next))
            self.next += 1

    def _append(self, source: np.ndarray, target: np.ndarray, minutes: np.ndarray) -> None:
        n = len(minutes)
        end = self.size + n
        if end > len(self.minutes):
            capacity = max(end, len(self.minutes) * 3 // 2, 1 << 16)
            for array in (self.source, self.target, self.minutes):
                array.resize(capacity, refcheck=False)
        self.source[self.size : end] = source
        self.target[self.size : end] = target
        self.minutes[self.size : end] = minutes
        self.reach_s[source] = True
        self.reach_t[target] = True
        self.size = end

    def finish(self) -> PointPairs:
        for array in (self.source, self.target, self.minutes):
            array.resize(self.size, refcheck=False)
        return PointPairs(self.source, self.target, self.minutes, self.reach_s, self.reach_t)


def _expand(
    block: np.ndarray,
    so: Snapped,
    origin_nodes: np.ndarray,
    sd: Snapped,
    dest_nodes: np.ndarray,
) -> np.ndarray:
    """From dense ``(origin nodes, destination nodes)`` seconds to ``(origins, destinations)``
    point seconds, adding the off-network legs (``inf`` for points not snapped)."""
    n_o, n_d = len(so.ids), len(sd.ids)
    o_ok = so.node >= 0
    d_ok = sd.node >= 0
    o_pos = np.searchsorted(origin_nodes, so.node[o_ok])
    d_pos = np.searchsorted(dest_nodes, sd.node[d_ok])
    out = np.full((n_o, n_d), np.inf)
    sub = block[np.ix_(o_pos, d_pos)] + so.leg_s[o_ok][:, None] + sd.leg_s[d_ok][None, :]
    out[np.ix_(np.flatnonzero(o_ok), np.flatnonzero(d_ok))] = sub
    return out
