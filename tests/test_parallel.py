"""The executor seam without a cluster: serial and local processes, [compute] options, and the
travel engine's trees mapped over local processes against serial and networkx."""

from __future__ import annotations

import operator

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from geoalloc._errors import InputError
from geoalloc.parallel import ComputeOptions, chunked, run_each, run_map
from geoalloc.scenario import load_scenario
from geoalloc.travel import RoadNetwork, travel_matrix
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
def test_run_each_hands_over_every_result_once(executor):
    items = list(range(12))
    received: list[tuple[int, int]] = []
    out = run_each(
        operator.mul,
        items,
        lambda i, result: received.append((i, result)),
        executor=executor,
        workers=2,
        shared=3,
    )
    assert out is None
    assert sorted(received) == [(i, 3 * i) for i in items]
    with pytest.raises(ValueError, match="three is not allowed"):
        run_each(_fail_on_three, range(6), lambda i, r: None, executor=executor, workers=2)


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
    compute = {"executor": "dask", "workers": 2}
    write_chicago_scenario(tmp_path, shared_data, compute=compute)
    assert load_scenario(path).compute == ComputeOptions(executor="dask", workers=2)
    write_chicago_scenario(tmp_path, shared_data, compute={**compute, "threads": 4})
    with pytest.raises(InputError, match="unknown key 'compute.threads'"):
        load_scenario(path)


def test_unreachable_scheduler_is_a_clear_input_error(monkeypatch):
    monkeypatch.setattr("geoalloc.parallel.CONNECT_TIMEOUT", "1s")
    with pytest.raises(InputError, match="could not connect to the Dask scheduler"):
        run_map(abs, [1, 2], executor="dask", scheduler="tcp://127.0.0.1:9")


def random_grid(side: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """A ``side × side`` grid, both directions, independent integer weights per arc."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    tail, head = np.r_[u, v], np.r_[v, u]
    weight = rng.integers(1, 100, len(tail)).astype(float)
    return tail, head, weight, side * side


def grid_network(side: int, seed: int) -> RoadNetwork:
    """:func:`random_grid` as a travel-engine graph: node ids ``0 .. side² - 1``, seconds, nodes
    ~100 m apart near Vaduz (the coordinates only place the network; node-id inputs are not
    snapped)."""
    tail, head, seconds, n = random_grid(side, seed)
    row, col = np.divmod(np.arange(n), side)
    return RoadNetwork.from_arrays(
        tail, head, seconds, node_ids=np.arange(n), lon=9.5 + col * 1e-3, lat=47.1 + row * 1e-3
    )


def test_travel_matrix_on_processes_equals_serial_and_networkx():
    tail, head, seconds, n = random_grid(30, seed=1)
    network = grid_network(30, seed=1)
    rng = np.random.default_rng(2)
    origins = [int(i) for i in rng.choice(n, 50, replace=False)]
    sites = [int(i) for i in rng.choice(n, 12, replace=False)]
    max_minutes = 10.0
    serial = travel_matrix(network, origins, sites, max_minutes, executor="serial")

    G = nx.DiGraph()
    G.add_weighted_edges_from(zip(tail.tolist(), head.tolist(), seconds.tolist(), strict=True))
    dense = serial.to_dense()
    for i, origin in enumerate(origins):
        lengths = nx.single_source_dijkstra_path_length(G, origin, cutoff=max_minutes * 60)
        expected = [lengths.get(site, np.inf) / 60 for site in sites]
        np.testing.assert_array_equal(dense[i], expected)
    assert np.isfinite(dense).sum() > 20  # the cut-off keeps some pairs and drops others
    assert not np.isfinite(dense).all()

    for cut in (max_minutes, None):
        reference = travel_matrix(network, origins, sites, cut, executor="serial")
        processes = travel_matrix(network, origins, sites, cut, executor="processes", workers=2)
        pd.testing.assert_frame_equal(processes.to_long(), reference.to_long())
        np.testing.assert_array_equal(processes.to_dense(), reference.to_dense())
