"""The shortest-path kernel run in worker processes: numpy and scipy only, no geo stack.

One task = some source nodes; each source gets one single-source shortest-path tree (Dijkstra,
scipy.sparse.csgraph) with an optional cut-off, computed a few sources at a time so the dense
``(sources, n_nodes)`` block stays small, and only the columns of the target nodes are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

#: Bytes of one dense ``(sources, n_nodes)`` distance block (bounds memory per worker).
BLOCK_BYTES = 12 * 1024 * 1024


@dataclass(frozen=True)
class TreeTask:
    """Trees from ``sources`` (CSR positions) over ``graph``, read at ``targets``.

    ``limit_s`` is the cut-off in seconds (``inf`` for none), one per source.
    """

    graph: sparse.csr_array
    sources: np.ndarray
    targets: np.ndarray
    limit_s: np.ndarray


def run_trees(task: TreeTask) -> np.ndarray:
    """Seconds from each source to each target, ``(sources, targets)``, ``inf`` if none."""
    n = task.graph.shape[0]
    per_block = max(1, BLOCK_BYTES // (8 * max(n, 1)))
    out = np.empty((len(task.sources), len(task.targets)), dtype=np.float64)
    for start in range(0, len(task.sources), per_block):
        stop = min(len(task.sources), start + per_block)
        limit = float(np.max(task.limit_s[start:stop]))
        dist = csgraph.dijkstra(
            task.graph,
            directed=True,
            indices=task.sources[start:stop],
            limit=limit,
        )
        out[start:stop] = dist[:, task.targets]
    return out
