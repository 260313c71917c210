"""Benchmark of the executor seam: serial vs local processes vs Dask LocalCluster.

1. OD on the DIMACS NY road graph (264,346 nodes, 730,100 arcs): 200 sources (sites) × 20,000
   targets (areas), full trees (no cut-off), travel-time weights.
2. A sweep of 24 variants of the Chicago scenario (examples/chicago/beds.toml), serial vs Dask.
3. ``--large N ...``: peak memory of summing N random points into the Chicago tracts, in memory
   (GeoPandas) vs by partitions (dask-geopandas, row groups of 250k), each in a fresh process.

Run: ``.venv/bin/python bench/parallel.py [--workers 2] [--skip-sweep]`` from the repo root.
Prints a Markdown table on stdout (copy it into bench/RESULTS.md); logs on stderr.
"""

from __future__ import annotations

import argparse
import gzip
import logging
import operator
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from geoalloc.parallel import CSRGraph, dask_client, od_matrix, run_map

ROOT = Path(__file__).resolve().parents[1]
NY = ROOT.parent / "shared" / "data" / "dimacs_usa_road" / "USA-road-t.NY.gr.gz"
CHICAGO = ROOT / "examples" / "chicago" / "beds.toml"
CHICAGO_TRACTS = ROOT.parent / "shared" / "data" / "chicago_kang2020" / "chicago_tracts_pop.gpkg"


def read_dimacs(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Arcs of a DIMACS ``.gr`` file as 0-based (tail, head, weight) and the node count."""
    with gzip.open(path, "rt") as handle:
        n_nodes = 0
        for line in handle:
            if line.startswith("p "):
                n_nodes = int(line.split()[2])
                break
        arcs = pd.read_csv(handle, sep=" ", header=None, names=["a", "u", "v", "w"], comment="c")
    arcs = arcs[arcs["a"] == "a"]
    return (
        arcs["u"].to_numpy(np.int64) - 1,
        arcs["v"].to_numpy(np.int64) - 1,
        arcs["w"].to_numpy(np.float64),
        n_nodes,
    )


def timed(label: str, fn, results: list) -> object:
    """Run ``fn``; record wall seconds and the machine's 1-minute load average before it (the
    machine is shared: a load above the core count means other work competed for the cores)."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - started
    results.append((label, seconds, load))
    logging.info("%s: %.2f s (load %.1f)", label, seconds, load)
    return value


def bench_od(workers: int) -> list[tuple[str, float]]:
    results: list[tuple[str, float]] = []
    tail, head, weight, n = timed("NY: read the .gr.gz", lambda: read_dimacs(NY), results)
    rng = np.random.default_rng(0)
    sources = rng.choice(n, 200, replace=False)
    targets = rng.choice(n, 20_000, replace=False)
    # seconds, if the top road class means 100 km/h (see the data set's PROVENANCE.md)
    graph = timed(
        "NY: build CSR (parallel arcs: minimum)",
        lambda: CSRGraph.from_arcs(tail, head, weight * 0.0036, n, targets=targets),
        results,
    )
    serial = timed("OD 200 × 20k: serial", lambda: od_matrix(graph, sources), results)
    processes = timed(
        f"OD 200 × 20k: processes ({workers})",
        lambda: od_matrix(graph, sources, executor="processes", workers=workers),
        results,
    )
    cold = timed(
        f"OD 200 × 20k: Dask, LocalCluster ({workers}) started in the call",
        lambda: od_matrix(graph, sources, executor="dask", workers=workers),
        results,
    )
    with dask_client(None, workers) as client:
        warm = timed(
            f"OD 200 × 20k: Dask, running LocalCluster ({workers})",
            lambda: od_matrix(graph, sources, executor="dask", scheduler=client),
            results,
        )
        timed(
            "Dask: broadcast the graph arrays to the workers",
            lambda: client.cancel(client.scatter([graph], broadcast=True, hash=False)),
            results,
        )
        timed(
            "Dask: 1,000 trivial tasks (scheduling overhead)",
            lambda: run_map(operator.neg, range(1000), executor="dask", scheduler=client),
            results,
        )
    for other in (processes, cold, warm):
        assert all(
            np.array_equal(getattr(other, a), getattr(serial, a))
            for a in ("indptr", "indices", "data")
        )
    logging.info("all OD results identical to serial (%d stored pairs)", serial.nnz)
    started = time.perf_counter()
    from distributed import LocalCluster

    load = os.getloadavg()[0]
    started = time.perf_counter()
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR
    ):
        pass
    label = f"Dask: start + stop a LocalCluster ({workers})"
    results.append((label, time.perf_counter() - started, load))
    return results


def bench_sweep(workers: int) -> list[tuple[str, float]]:
    from geoalloc.parallel import ComputeOptions
    from geoalloc.scenario import load_scenario
    from geoalloc.sweep import cartesian_variants, run_sweep

    results: list[tuple[str, float]] = []
    scenario = load_scenario(CHICAGO)
    variants = cartesian_variants(
        {
            "optimize.p": [20, 30, 40, 50],
            "demand.los_days": [4, 5, 6],
            "demand.occupancy_target": [0.8, 0.9],
        }
    )
    tmp = Path(tempfile.mkdtemp(prefix="geoalloc-bench-"))
    try:
        serial = timed(
            "sweep 24 Chicago variants: serial",
            lambda: run_sweep(scenario, variants, tmp / "serial", compute=ComputeOptions()),
            results,
        )
        dask = timed(
            f"sweep 24 Chicago variants: Dask LocalCluster ({workers}, incl. start)",
            lambda: run_sweep(
                scenario,
                variants,
                tmp / "dask",
                compute=ComputeOptions(executor="dask", workers=workers),
            ),
            results,
        )
        cols = ["variant", "status", "covered_pct", "minutes_mean", "objective"]
        assert serial.table[cols].equals(dask.table[cols]), "sweep tables differ"
        load = os.getloadavg()[0]
        for label, table in (("serial", serial.table), ("Dask workers", dask.table)):
            seconds = float(table["seconds"].sum())
            results.append((f"sweep: sum of per-variant seconds ({label})", seconds, load))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def _peak_rss_mb() -> float:
    """Peak RSS of this process image (VmHWM; unlike ru_maxrss it does not carry over the parent's
    peak across fork + exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _child_peak(method: str, path: str) -> None:
    """In a fresh process: join the points to the Chicago tracts; print seconds and peak RSS (MB)."""
    import geopandas as gpd

    from geoalloc.large_inputs import sum_points_into_areas

    areas = gpd.read_file(CHICAGO_TRACTS).set_index("GEOID")
    before = _peak_rss_mb()
    started = time.perf_counter()
    if method != "baseline":
        sum_points_into_areas(path, areas, value="pop", method=method)
    seconds = time.perf_counter() - started
    peak = _peak_rss_mb()
    print(f"{seconds:.2f} {before:.0f} {peak:.0f}")


def bench_large(sizes: list[int]) -> list[tuple[str, float, float]]:
    """Peak memory of the in-memory vs by-partition point → area join (fresh process each)."""
    import subprocess

    import geopandas as gpd

    results: list[tuple[str, float, float]] = []
    bounds = gpd.read_file(CHICAGO_TRACTS).total_bounds
    tmp = Path(tempfile.mkdtemp(prefix="geoalloc-bench-large-"))
    try:
        for n in sizes:
            rng = np.random.default_rng(n)
            points = gpd.GeoDataFrame(
                {"pop": rng.integers(0, 10, n)},
                geometry=gpd.points_from_xy(
                    rng.uniform(bounds[0], bounds[2], n), rng.uniform(bounds[1], bounds[3], n)
                ),
                crs=4326,
            )
            path = tmp / f"points_{n}.parquet"
            points.to_parquet(path, row_group_size=250_000)
            del points
            for method in ("geopandas", "dask-geopandas"):
                load = os.getloadavg()[0]
                out = subprocess.run(
                    [sys.executable, __file__, "--child", method, str(path)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
                seconds, before, peak = (float(x) for x in out[-3:])
                label = (
                    f"{n:,} points → 878 tracts, {method}: peak RSS {peak:.0f} MB "
                    f"({peak - before:+.0f} MB over the {before:.0f} MB before the join)"
                )
                results.append((label, seconds, load))
                logging.info("%s in %.1f s", label, seconds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--skip-od", action="store_true")
    parser.add_argument(
        "--large", type=int, nargs="*", help="point counts for the large-input join"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child_peak(*args.child)
        return
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")
    logging.getLogger("distributed").setLevel(logging.ERROR)
    rows = []
    if not args.skip_od:
        rows += bench_od(args.workers)
    if not args.skip_sweep:
        rows += bench_sweep(args.workers)
    if args.large:
        rows += bench_large(args.large)
    print(f"cores: {os.cpu_count()}, usable: {len(os.sched_getaffinity(0))}")
    print("| step | seconds | load avg before |\n|---|---:|---:|")
    for label, seconds, load in rows:
        print(f"| {label} | {seconds:.2f} | {load:.1f} |")


if __name__ == "__main__":
    main()
