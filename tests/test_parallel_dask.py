"""The Dask path on a LocalCluster of 2 worker processes started here (once for the module): the
travel engine's matrices (``travel_matrix(..., executor="dask")``) equal the serial ones exactly, on
a synthetic 50k-node graph and on a real OSM region; a worker killed mid-run loses nothing; and a
sweep on Dask equals running its variants one by one."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from geoalloc.parallel import run_map
from geoalloc.runs import run_scenario
from geoalloc.runs.folder import dumps_json
from geoalloc.runs.sweep import apply_variant, cartesian_variants
from geoalloc.scenario import load_scenario
from geoalloc.travel import RoadNetwork, TravelMatrix, load_graph, travel_matrix
from tests.helpers import write_chicago_scenario
from tests.test_parallel import grid_network

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: 8787 may be taken by another cluster
            silence_logs=40,
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


def assert_same_matrix(actual: TravelMatrix, expected: TravelMatrix) -> None:
    """Exactly the same pairs and minutes (no tolerance), the same flags."""
    assert actual.is_sparse == expected.is_sparse
    pd.testing.assert_frame_equal(actual.to_long(), expected.to_long(), check_exact=True)
    np.testing.assert_array_equal(actual.to_dense(), expected.to_dense())
    pd.testing.assert_frame_equal(actual.flags, expected.flags)


@pytest.fixture(scope="module")
def grid_50k() -> RoadNetwork:
    network = grid_network(224, seed=7)  # 50,176 nodes, 199,808 arcs, integer seconds
    assert network.n_nodes == 224 * 224
    return network


def test_run_map_on_dask_keeps_order_and_shared(client):
    import operator

    items = list(range(30))
    assert run_map(operator.add, items, executor="dask", scheduler=client, shared=7) == [
        i + 7 for i in items
    ]


@pytest.mark.parametrize("max_minutes", [None, 2500 / 60])
def test_travel_matrix_on_dask_equals_serial_on_50k_node_graph(client, grid_50k, max_minutes):
    rng = np.random.default_rng(9)
    origins = grid_50k.node_ids[rng.choice(grid_50k.n_nodes, 5000, replace=False)].tolist()
    sites = grid_50k.node_ids[rng.choice(grid_50k.n_nodes, 60, replace=False)].tolist()
    serial = travel_matrix(grid_50k, origins, sites, max_minutes, executor="serial")
    # workers=4 on a 2-worker cluster: 8 tasks (2 per worker), so tasks queue and are reordered
    on_dask = travel_matrix(
        grid_50k, origins, sites, max_minutes, executor="dask", scheduler=client, workers=4
    )
    pairs = len(serial.to_long())
    if max_minutes is None:
        assert pairs == 5000 * 60  # the grid is strongly connected
    else:
        assert serial.is_sparse and 10_000 < pairs < 5000 * 60  # the cut-off keeps a real share
    assert_same_matrix(on_dask, serial)


@pytest.fixture(scope="module")
def liechtenstein(shared_data) -> RoadNetwork:
    G = load_graph(shared_data / "osm_small_regions" / "liechtenstein_2015-07.osm.pbf")
    return RoadNetwork.from_graph(G)


@pytest.mark.parametrize("max_minutes", [None, 30.0])
def test_travel_matrix_on_dask_equals_serial_on_osm_region(client, liechtenstein, max_minutes):
    network = liechtenstein
    assert network.n_nodes > 10_000  # 12,607 in the largest strongly connected component
    rng = np.random.default_rng(3)
    origins = network.node_ids[rng.choice(network.n_nodes, 3000, replace=False)].tolist()
    sites = network.node_ids[rng.choice(network.n_nodes, 40, replace=False)].tolist()
    serial = travel_matrix(network, origins, sites, max_minutes, executor="serial")
    on_dask = travel_matrix(
        network, origins, sites, max_minutes, executor="dask", scheduler=client, workers=4
    )
    assert len(serial.to_long()) > 3000 * 40 // 10
    assert_same_matrix(on_dask, serial)


# PuLP 3.4 warns about its 4.0 API on every variable; geoalloc.optimize owns that call
PULP_V4 = "ignore:.*in PuLP 4.0.*:DeprecationWarning"


@pytest.mark.slow
@pytest.mark.filterwarnings(PULP_V4)
def test_sweep_on_dask_equals_variants_one_by_one(client, tmp_path, shared_data):
    path = write_chicago_scenario(tmp_path, shared_data, name="chicago-sweep")
    out = tmp_path / "sweep"
    vary = ["--vary", "optimize.p=40,50", "--vary", "demand.los_days=4,5.5"]
    address = client.scheduler.address
    result = CliRunner().invoke(
        cli, ["sweep", str(path), *vary, "--scheduler", address, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "kpis.csv")
    assert len(table) == 4 and (table["status"] == "ok").all()
    assert json.loads((out / "sweep.json").read_text())["travel_matrices"] == 1

    base = load_scenario(path)
    variants = cartesian_variants({"optimize.p": [40, 50], "demand.los_days": [4, 5.5]})
    for variant, row in zip(variants, table.to_dict(orient="records"), strict=True):
        assert row["variant"] == variant.name
        alone = run_scenario(apply_variant(base, variant))
        expected = _comparable(json.loads(dumps_json(alone.summary)))
        written = json.loads((out / "variants" / variant.name / "summary.json").read_text())
        assert _differences(_comparable(written), expected) == []
        assert row["sites_open"] == variant.values["optimize.p"]
        assert row["covered_pct"] == pytest.approx(alone.summary["plan"]["covered_pct"], abs=0)
        assert row["objective"] == pytest.approx(alone.summary["solver"]["objective"], rel=1e-12)


def _significant(value: object) -> object:
    """``value`` with every float to 12 significant digits, and below 1e-12 as 0: sums that a
    worker process adds up in another order (the lexicographic goals' values and gaps) differ in
    the last bits only."""
    if isinstance(value, float):  # and gaps of 1e-16 against 0.0 are both no gap
        return 0.0 if abs(value) < 1e-12 else float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _significant(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_significant(v) for v in value]
    return value


def _differences(a: object, b: object, path: str = "") -> list[str]:
    """The paths where ``a`` and ``b`` differ, with both values (empty when equal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b))
        return [d for k in keys for d in _differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def _comparable(summary: dict) -> dict:
    summary = dict(_significant(summary))  # type: ignore[call-overload]
    summary.pop("timings_s")
    summary["solver"] = {
        k: v for k, v in summary["solver"].items() if k not in ("build_s", "solve_s")
    }
    return summary


def test_points_into_areas_by_partitions_on_dask(client, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from geoalloc.inputs.population_points import sum_points_into_areas

    pytest.importorskip("dask_geopandas")
    areas = gpd.GeoDataFrame(
        geometry=[box(x, y, x + 10, y + 10) for x in range(0, 100, 10) for y in range(0, 100, 10)],
        crs=3857,
        index=[f"cell{i:03d}" for i in range(100)],
    )
    rng = np.random.default_rng(4)
    xy = rng.uniform(0.5, 109.5, (20_000, 2))  # a strip beyond x, y = 100 is in no area
    points = gpd.GeoDataFrame(
        {"pop": rng.integers(1, 9, len(xy))}, geometry=gpd.points_from_xy(*xy.T), crs=3857
    )
    path = tmp_path / "points.parquet"
    points.to_parquet(path, row_group_size=3_000)
    result = sum_points_into_areas(
        path, areas, value="pop", method="dask-geopandas", executor="dask", scheduler=client
    )
    assert result.partitions == 7
    # the oracle: the 10 × 10 grid cell of each point by integer division (no point on a border)
    inside = (xy < 100).all(axis=1)
    cell = (xy[inside, 0] // 10 * 10 + xy[inside, 1] // 10).astype(int)
    expected = np.bincount(cell, weights=points["pop"].to_numpy()[inside], minlength=100)
    np.testing.assert_array_equal(result.totals.to_numpy(), expected)
    assert result.unmatched_points == int((~inside).sum())


def test_worker_killed_during_a_travel_matrix_run_loses_nothing(client, grid_50k):
    """Runs last in this module: it kills one of the fixture's workers (its nanny restarts it).

    ``travel_matrix`` has no progress hook, so a thread watches the scheduler and SIGKILLs the
    first worker seen running a tree task; the run must still return the serial matrix.
    """
    rng = np.random.default_rng(11)
    origins = grid_50k.node_ids[rng.choice(grid_50k.n_nodes, 5000, replace=False)].tolist()
    sites = grid_50k.node_ids[rng.choice(grid_50k.n_nodes, 400, replace=False)].tolist()
    serial = travel_matrix(grid_50k, origins, sites, executor="serial")  # 400 trees: ~3 s
    pids = client.run(os.getpid)
    killed: list[tuple[str, float]] = []
    stop = threading.Event()

    def kill_a_busy_worker() -> None:
        while not stop.is_set():
            busy = [w for w, keys in client.processing().items() if keys]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append((busy[0], time.perf_counter()))
                return
            stop.wait(0.01)

    watcher = threading.Thread(target=kill_a_busy_worker, daemon=True)
    watcher.start()
    try:
        # workers=6: 12 tasks of ~33 trees, so work is still queued when the worker dies
        on_dask = travel_matrix(
            grid_50k, origins, sites, executor="dask", scheduler=client, workers=6
        )
        returned = time.perf_counter()
    finally:
        stop.set()
        watcher.join()
    assert killed, "no worker was seen busy during the run: nothing was killed"
    address, at = killed[0]
    assert at < returned  # killed while the run was in flight, not after it
    assert_same_matrix(on_dask, serial)
    client.wait_for_workers(2, timeout=60)
    assert address not in client.scheduler_info()["workers"]  # it was replaced
    assert pids[address] not in client.run(os.getpid).values()
