"""The shortest-path kernel run in worker processes: numpy and scipy only, no geo stack.

One task = some source nodes; each source gets one single-source shortest-path tree (Dijkstra,
scipy.sparse.csgraph) with an optional cut-off, computed a few sources at a time so the dense
``(sources, n_nodes)`` block stays small, and only the columns of the target nodes are kept.

Without a cut-off a task returns a dense ``(sources, targets)`` block of node-to-node seconds
(:func:`run_trees`). With one (:func:`run_tree_pairs`) it returns the *point* pairs within the
cut-off, already expanded from nodes to the points snapped to them and with the off-network legs
added, as compact arrays (int32 point indices, float64 minutes): what a worker sends back is what the
matrix keeps, and no ``(points, points)`` array is ever made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

#: Bytes of one dense ``(sources, n_nodes)`` distance block (bounds memory per worker).
BLOCK_BYTES = 12 * 1024 * 1024
#: Point indices in pair arrays (2³¹ points per side is far beyond any planning region).
POINT_INDEX = np.int32


@dataclass(frozen=True)
class TreeTask:
    """Trees from ``sources`` (CSR positions), read at ``targets``; the graph travels separately
    (sent to each worker once, see :func:`geoalloc.parallel.run_map` ``shared``).

    ``limit_s`` is the cut-off in seconds (``inf`` for none), one per source.
    """

    sources: np.ndarray
    targets: np.ndarray
    limit_s: np.ndarray


def run_trees(task: TreeTask, graph: sparse.csr_array) -> np.ndarray:
    """Seconds from each source of ``task`` to each target over the CSR ``graph``: a dense
    ``(sources, targets)`` array, ``inf`` where unreachable."""
    from scipy.sparse import csgraph  # here: it loads scipy.linalg (a crowfly run routes nothing)

    n = graph.shape[0]
    per_block = max(1, BLOCK_BYTES // (8 * max(n, 1)))
    dense = np.empty((len(task.sources), len(task.targets)), dtype=np.float64)
    for start in range(0, len(task.sources), per_block):
        stop = min(len(task.sources), start + per_block)
        dist = csgraph.dijkstra(
            graph,
            directed=True,
            indices=task.sources[start:stop],
            limit=float(np.max(task.limit_s[start:stop])),
        )
        dense[start:stop] = dist[:, task.targets]
    return dense


@dataclass(frozen=True)
class PointGroups:
    """Points grouped by the node they are snapped to: node ``k``'s points (indices into the
    layer) are ``point[start[k] : start[k] + count[k]]``, their off-network legs (seconds) are
    ``leg_s[start[k] : …]``. Nodes are numbered as in the routing's sorted node list."""

    point: np.ndarray
    start: np.ndarray
    count: np.ndarray
    leg_s: np.ndarray

    @classmethod
    def build(cls, node_pos: np.ndarray, points: np.ndarray, leg_s: np.ndarray, n_nodes: int):
        """Groups of ``points`` (layer indices) snapped to node ``node_pos`` (sorted-node
        positions), with the legs ``leg_s`` of the whole layer."""
        order = np.argsort(node_pos, kind="stable")
        count = np.bincount(node_pos, minlength=n_nodes)
        start = np.cumsum(count) - count
        point = points[order].astype(POINT_INDEX)
        return cls(point=point, start=start, count=count, leg_s=leg_s[point])


@dataclass(frozen=True)
class PairShared:
    """What every cut-off task needs, sent to each worker once: the CSR ``graph``, the
    ``targets`` (CSR positions), both sides' points by node, and the cut-off.

    ``sources_are_origins`` says which side the trees grow from, so the legs are added in one
    order, origin leg then destination leg, whichever way the trees run (the same float sums).
    """

    graph: sparse.csr_array
    targets: np.ndarray
    source_points: PointGroups
    target_points: PointGroups
    sources_are_origins: bool
    cutoff_s: float
    max_minutes: float


@dataclass(frozen=True)
class PairTask:
    """Trees from sources ``first … first + len(sources) - 1`` of the routing's sorted source
    nodes (``sources`` their CSR positions), each stopped at its ``limit_s``."""

    first: int
    sources: np.ndarray
    limit_s: np.ndarray


def run_tree_pairs(task: PairTask, shared: PairShared) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The point pairs of ``task``'s trees within the cut-off: ``(source point, target point,
    minutes)`` arrays (int32, int32, float64), source by source in order.

    A pair's seconds are origin leg + node-to-node seconds + destination leg; it is kept when
    they are within ``cutoff_s`` and their minutes (seconds / 60) within ``max_minutes``, the
    exact test of the dense matrix, so both forms agree pair for pair.
    """
    from scipy.sparse import csgraph  # here: it loads scipy.linalg (a crowfly run routes nothing)

    graph, targets = shared.graph, shared.targets
    per_block = max(1, BLOCK_BYTES // (8 * max(graph.shape[0], 1)))
    pieces = []
    for start in range(0, len(task.sources), per_block):
        stop = min(len(task.sources), start + per_block)
        limit = task.limit_s[start:stop]
        dist = csgraph.dijkstra(
            graph, directed=True, indices=task.sources[start:stop], limit=float(np.max(limit))
        )
        at_targets = dist[:, targets]
        del dist
        src, tgt = np.nonzero(at_targets <= limit[:, None])
        node_s = at_targets[src, tgt]
        pieces.append(_expand_pairs(src + task.first + start, tgt, node_s, shared))
    if not pieces:
        return _no_pairs()
    if len(pieces) == 1:
        return pieces[0]
    return tuple(np.concatenate(part) for part in zip(*pieces, strict=True))  # type: ignore[return-value]


def _no_pairs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.empty(0, POINT_INDEX), np.empty(0, POINT_INDEX), np.empty(0)


def _expand_pairs(src_node, tgt_node, node_s, shared: PairShared):
    """From node pairs (sorted-node positions) and their seconds to the point pairs within the
    cut-off: every point of the source node with every point of the target node."""
    sp, tp = shared.source_points, shared.target_points
    s_count, t_count = sp.count[src_node], tp.count[tgt_node]
    if (s_count == 1).all() and (t_count == 1).all():  # one point per node: no repeats
        s_at, t_at = sp.start[src_node], tp.start[tgt_node]
    else:
        per_pair = s_count * t_count
        pair = np.repeat(np.arange(len(node_s)), per_pair)
        local = np.arange(len(pair)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
        width = t_count[pair]
        s_at = sp.start[src_node][pair] + local // width
        t_at = tp.start[tgt_node][pair] + local % width
        node_s = node_s[pair]
    if shared.sources_are_origins:
        seconds = node_s + sp.leg_s[s_at] + tp.leg_s[t_at]
    else:
        seconds = node_s + tp.leg_s[t_at] + sp.leg_s[s_at]
    minutes = seconds / 60.0
    keep = (seconds <= shared.cutoff_s) & (minutes <= shared.max_minutes)
    return sp.point[s_at[keep]], tp.point[t_at[keep]], minutes[keep]
