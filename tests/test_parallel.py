"""The executor seam without a cluster: serial and local processes, [compute] options, and the
reference OD kernel against hand-computed distances and networkx."""

from __future__ import annotations

import operator

import networkx as nx
import numpy as np
import pytest
from pydantic import ValidationError

from geoalloc._errors import InputError
from geoalloc.parallel import (
    ComputeOptions,
    CSRGraph,
    chunked,
    od_block,
    od_matrix,
    run_map,
    stack_rows,
)
from geoalloc.scenario import load_scenario
from tests.helpers import write_chicago_scenario


def _fail_on_three(item: int) -> int:
    if item == 3:
        msg = "three is not allowed"
        raise ValueError(msg)
    return item


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_run_map_keeps_order_and_passes_shared(executor):
    items = list(range(20))
    assert run_map(abs, [-i for i in items], executor=executor, workers=2) == items
    # fn(item, shared): the shared argument reaches every call
    assert run_map(operator.add, items, executor=executor, workers=2, shared=100) == [
        i + 100 for i in items
    ]
    done = []
    run_map(abs, items, executor=executor, workers=2, on_done=done.append)
    assert sorted(done) == items


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_run_map_raises_the_task_error(executor):
    with pytest.raises(ValueError, match="three is not allowed"):
        run_map(_fail_on_three, range(6), executor=executor, workers=2)


def test_run_map_rejects_unknown_executor_and_stray_scheduler():
    with pytest.raises(ValueError, match="not one of serial, processes, dask"):
        run_map(abs, [1], executor="threads")
    with pytest.raises(ValueError, match="only used with executor 'dask'"):
        run_map(abs, [1], executor="processes", scheduler="tcp://127.0.0.1:8786")


def test_chunked_covers_items_in_order():
    parts = chunked(list(range(10)), 3)
    assert [list(p) for p in parts] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert len(chunked([1, 2], 5)) == 2


def test_compute_options():
    assert ComputeOptions().map_options() == {
        "executor": "serial",
        "workers": None,
        "scheduler": None,
    }
    options = ComputeOptions(executor="dask", scheduler="tcp://10.0.0.5:8786")
    assert options.map_options()["scheduler"] == "tcp://10.0.0.5:8786"
    with pytest.raises(ValidationError, match="only used with executor = 'dask'"):
        ComputeOptions(executor="processes", scheduler="tcp://10.0.0.5:8786")
    with pytest.raises(ValidationError):
        ComputeOptions(workers=0)


def test_scenario_compute_section(tmp_path, shared_data):
    path = write_chicago_scenario(tmp_path, shared_data)
    assert load_scenario(path).compute.executor == "serial"
    path.write_text(
        path.read_text() + '\n[compute]\nexecutor = "dask"\nworkers = 2\n', encoding="utf-8"
    )
    assert load_scenario(path).compute == ComputeOptions(executor="dask", workers=2)
    path.write_text(path.read_text() + "threads = 4\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown key 'compute.threads'"):
        load_scenario(path)


def test_unreachable_scheduler_is_a_clear_input_error(monkeypatch):
    monkeypatch.setattr("geoalloc.parallel.CONNECT_TIMEOUT", "1s")
    with pytest.raises(InputError, match="could not connect to the Dask scheduler"):
        run_map(abs, [1, 2], executor="dask", scheduler="tcp://127.0.0.1:9")


def _tiny_graph(limit: float = float("inf")) -> CSRGraph:
    # 0 -> 1 (2), 1 -> 2 (3), 0 -> 2 (10), 2 -> 3 (1); a parallel arc 0 -> 1 (7) must not win
    return CSRGraph.from_arcs(
        np.array([0, 1, 0, 2, 0]),
        np.array([1, 2, 2, 3, 1]),
        np.array([2.0, 3.0, 10.0, 1.0, 7.0]),
        4,
        targets=np.array([3, 0, 2]),
        limit=limit,
    )


def test_od_block_by_hand():
    block = od_block(np.array([0, 2, 3]), _tiny_graph())
    dense = block.toarray()
    inf = np.inf
    # absent pairs are unreachable, so compare with inf filled in
    full = np.where(_stored(block), dense, inf)
    expected = np.array(
        [
            [6.0, 0.0, 5.0],  # 0 -> 3 via 1, 2; 0 -> 0 = 0 (stored); 0 -> 2 via 1
            [1.0, inf, 0.0],
            [0.0, inf, inf],
        ]
    )
    np.testing.assert_array_equal(full, expected)
    assert block.nnz == 6  # the three zeros are stored explicitly


def _stored(block) -> np.ndarray:
    mask = np.zeros(block.shape, bool)
    rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
    mask[rows, block.indices] = True
    return mask


def test_od_block_cut_off():
    block = od_block(np.array([0]), _tiny_graph(limit=5.0))
    assert _stored(block).tolist() == [[False, True, True]]
    assert block.toarray()[0, 2] == 5.0


def test_stack_rows_keeps_explicit_zeros():
    graph = _tiny_graph()
    parts = [od_block(np.array([0]), graph), od_block(np.array([2, 3]), graph)]
    stacked = stack_rows(parts, 3)
    whole = od_block(np.array([0, 2, 3]), graph)
    assert stacked.nnz == whole.nnz == 6
    np.testing.assert_array_equal(stacked.indptr, whole.indptr)
    np.testing.assert_array_equal(stacked.indices, whole.indices)
    np.testing.assert_array_equal(stacked.data, whole.data)


def random_grid(side: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """A ``side × side`` grid, both directions, independent integer weights per arc."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    tail, head = np.r_[u, v], np.r_[v, u]
    weight = rng.integers(1, 100, len(tail)).astype(float)
    return tail, head, weight, side * side


def test_od_matrix_equals_networkx_and_processes():
    tail, head, weight, n = random_grid(30, seed=1)
    rng = np.random.default_rng(2)
    targets = rng.choice(n, 50, replace=False)
    sources = rng.choice(n, 12, replace=False)
    limit = 600.0
    graph = CSRGraph.from_arcs(tail, head, weight, n, targets=targets, limit=limit)
    serial = od_matrix(graph, sources, chunks=5)

    G = nx.DiGraph()
    G.add_weighted_edges_from(zip(tail.tolist(), head.tolist(), weight.tolist(), strict=True))
    stored = _stored(serial)
    dense = serial.toarray()
    for i, s in enumerate(sources):
        lengths = nx.single_source_dijkstra_path_length(G, int(s), cutoff=limit)
        for j, t in enumerate(targets):
            if int(t) in lengths:
                assert stored[i, j] and dense[i, j] == lengths[int(t)]
            else:
                assert not stored[i, j]

    processes = od_matrix(graph, sources, executor="processes", workers=2, chunks=5)
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(processes, name), getattr(serial, name))
