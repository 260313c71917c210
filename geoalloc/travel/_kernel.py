"""The shortest-path kernel run in worker processes: numpy and scipy only, no geo stack.

One task = some source nodes; each source gets one single-source shortest-path tree (Dijkstra,
scipy.sparse.csgraph) with an optional cut-off, computed a few sources at a time so the dense
``(sources, n_nodes)`` block stays small, and only the columns of the target nodes are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

#: Bytes of one dense ``(sources, n_nodes)`` distance block (bounds memory per worker).
BLOCK_BYTES = 12 * 1024 * 1024


@dataclass(frozen=True)
class TreeTask:
    """Trees from ``sources`` (CSR positions), read at ``targets``; the graph travels separately
    (sent to each worker once, see :func:`geoalloc.parallel.run_map` ``shared``).

    ``limit_s`` is the cut-off in seconds (``inf`` for none), one per source.
    """

    sources: np.ndarray
    targets: np.ndarray
    limit_s: np.ndarray


def run_trees(
    task: TreeTask, graph: sparse.csr_array
) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seconds from each source of ``task`` to each target over the CSR ``graph``.

    Without a cut-off: a dense ``(sources, targets)`` array, ``inf`` where unreachable. With
    cut-offs (every ``limit_s`` finite): only the pairs within them, as ``(source index, target
    index, seconds)`` arrays, so memory follows the feasible pairs, not sources × targets.
    """
    from scipy.sparse import csgraph  # here: it loads scipy.linalg (a crowfly run routes nothing)

    n = graph.shape[0]
    per_block = max(1, BLOCK_BYTES // (8 * max(n, 1)))
    cut = bool(np.isfinite(task.limit_s).all())
    dense = None if cut else np.empty((len(task.sources), len(task.targets)), dtype=np.float64)
    rows, cols, secs = [], [], []
    for start in range(0, len(task.sources), per_block):
        stop = min(len(task.sources), start + per_block)
        dist = csgraph.dijkstra(
            graph,
            directed=True,
            indices=task.sources[start:stop],
            limit=float(np.max(task.limit_s[start:stop])),
        )
        at_targets = dist[:, task.targets]
        if dense is not None:
            dense[start:stop] = at_targets
            continue
        r, c = np.nonzero(at_targets <= task.limit_s[start:stop, None])
        rows.append(r + start)
        cols.append(c)
        secs.append(at_targets[r, c])
    if dense is not None:
        return dense
    if not rows:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(secs)
