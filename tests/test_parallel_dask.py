"""The Dask path on a LocalCluster of 2 worker processes started here (once for the module): OD
matrices equal the serial ones exactly, a worker killed mid-run loses nothing, and a sweep on Dask
equals running its variants one by one."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from geoalloc.io import dumps_json
from geoalloc.parallel import CSRGraph, od_block, od_matrix, run_map, stack_rows
from geoalloc.pipeline import run_scenario
from geoalloc.scenario import load_scenario
from geoalloc.sweep import apply_variant, cartesian_variants
from tests.helpers import write_chicago_scenario
from tests.test_parallel import random_grid

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


def assert_same_csr(a, b) -> None:
    assert a.shape == b.shape
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@pytest.fixture(scope="module")
def grid_50k() -> CSRGraph:
    tail, head, weight, n = random_grid(224, seed=7)  # 50,176 nodes, 200,256 arcs
    targets = np.random.default_rng(8).choice(n, 5000, replace=False)
    return CSRGraph.from_arcs(tail, head, weight, n, targets=targets, limit=2500.0)


def test_run_map_on_dask_keeps_order_and_shared(client):
    import operator

    items = list(range(30))
    assert run_map(operator.add, items, executor="dask", scheduler=client, shared=7) == [
        i + 7 for i in items
    ]


def test_od_on_dask_equals_serial_on_50k_node_graph(client, grid_50k):
    sources = np.random.default_rng(9).choice(grid_50k.n_nodes, 60, replace=False)
    serial = od_matrix(grid_50k, sources)
    on_dask = od_matrix(grid_50k, sources, executor="dask", scheduler=client, chunks=12)
    assert serial.nnz > 10_000  # the cut-off keeps a real share of the pairs
    assert_same_csr(on_dask, serial)


def _osm_graph(pbf: Path) -> CSRGraph:
    """Driving graph of an OSM extract (pyrosm), weights in seconds at 50 km/h, oneways kept."""
    import pyrosm

    _nodes, edges = pyrosm.OSM(str(pbf)).get_network(network_type="driving", nodes=True)
    ids, codes = np.unique(np.r_[edges["u"].to_numpy(), edges["v"].to_numpy()], return_inverse=True)
    u, v = codes[: len(edges)], codes[len(edges) :]
    seconds = edges["length"].to_numpy(float) / (50 / 3.6)
    oneway = edges["oneway"].fillna("no").to_numpy()
    forward = oneway != "-1"
    backward = ~np.isin(oneway, ["yes", "true", "1"])
    tail = np.r_[u[forward], v[backward]]
    head = np.r_[v[forward], u[backward]]
    weight = np.r_[seconds[forward], seconds[backward]]
    return CSRGraph.from_arcs(tail, head, weight, len(ids))


@pytest.mark.slow
def test_od_on_dask_equals_serial_on_osm_region(client, shared_data):
    graph = _osm_graph(shared_data / "osm_small_regions" / "liechtenstein_2015-07.osm.pbf")
    assert graph.n_nodes > 10_000
    rng = np.random.default_rng(3)
    graph = graph.with_targets(rng.choice(graph.n_nodes, 3000, replace=False), limit=1800.0)
    sources = rng.choice(graph.n_nodes, 40, replace=False)
    serial = od_matrix(graph, sources)
    on_dask = od_matrix(graph, sources, executor="dask", scheduler=client, chunks=8)
    assert serial.nnz > 0
    assert_same_csr(on_dask, serial)


# PuLP 3.4 warns about its 4.0 API on every variable; geoalloc.optimize owns that call
PULP_V4 = "ignore:.*in PuLP 4.0.*:DeprecationWarning"


@pytest.mark.slow
@pytest.mark.filterwarnings(PULP_V4)
def test_sweep_on_dask_equals_variants_one_by_one(client, tmp_path, shared_data):
    path = write_chicago_scenario(tmp_path, shared_data, name="chicago-sweep")
    out = tmp_path / "sweep"
    vary = ["--vary", "optimize.p=20,30,40", "--vary", "demand.los_days=4,5.5"]
    address = client.scheduler.address
    result = CliRunner().invoke(
        cli, ["sweep", str(path), *vary, "--scheduler", address, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "kpis.csv")
    assert len(table) == 6 and (table["status"] == "ok").all()
    assert json.loads((out / "sweep.json").read_text())["travel_matrices"] == 1

    base = load_scenario(path)
    variants = cartesian_variants({"optimize.p": [20, 30, 40], "demand.los_days": [4, 5.5]})
    for variant, row in zip(variants, table.to_dict(orient="records"), strict=True):
        assert row["variant"] == variant.name
        alone = run_scenario(apply_variant(base, variant))
        expected = _comparable(json.loads(dumps_json(alone.summary)))
        written = json.loads((out / "variants" / variant.name / "summary.json").read_text())
        assert _comparable(written) == expected
        assert row["sites_open"] == variant.values["optimize.p"]
        assert row["covered_pct"] == pytest.approx(alone.summary["plan"]["covered_pct"], abs=0)
        assert row["objective"] == pytest.approx(alone.summary["solver"]["objective"], rel=1e-12)


def _comparable(summary: dict) -> dict:
    summary = dict(summary)
    summary.pop("timings_s")
    summary["solver"] = {
        k: v for k, v in summary["solver"].items() if k not in ("build_s", "solve_s")
    }
    return summary


def test_points_into_areas_by_partitions_on_dask(client, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from geoalloc.large_inputs import sum_points_into_areas

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


def test_worker_killed_during_od_run_loses_nothing(client, grid_50k):
    """Runs last in this module: it kills one of the fixture's workers (its nanny restarts it)."""
    sources = np.random.default_rng(11).choice(grid_50k.n_nodes, 240, replace=False)
    serial = od_matrix(grid_50k, sources)
    pids = client.run(os.getpid)
    killed: list[str] = []

    def kill_a_busy_worker(_position: int) -> None:
        if killed:
            return
        busy = [w for w, keys in client.processing().items() if keys]
        if busy:
            killed.append(busy[0])
            os.kill(pids[busy[0]], signal.SIGKILL)

    graph = grid_50k
    parts = np.array_split(sources, 48)
    blocks = run_map(
        od_block,
        parts,
        executor="dask",
        scheduler=client,
        shared=graph,
        on_done=kill_a_busy_worker,
    )
    assert killed, "no worker was busy when the first task finished"
    assert_same_csr(stack_rows(blocks, len(graph.targets)), serial)
    client.wait_for_workers(2, timeout=60)
    assert killed[0] not in client.scheduler_info()["workers"]  # it was replaced
