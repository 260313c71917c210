"""Benchmark of the executor seam: serial vs local processes vs Dask LocalCluster.

1. The travel engine's ``travel_matrix`` on the DIMACS NY road graph (read by ``bench/dimacs_ny.py``,
   the loader ``bench/travel.py`` uses too): 20,000 area nodes × 200 site nodes, full matrix (no
   cut-off, so 200 whole-graph trees), serial vs processes vs Dask LocalCluster (started in the
   call, and already running).
2. A sweep of 24 variants of the Chicago scenario (examples/chicago/beds.toml), serial vs Dask.
3. ``--large N ...``: peak memory of summing N random points into the Chicago tracts, in memory
   (GeoPandas) vs by partitions (dask-geopandas, row groups of 250k), each in a fresh process.

Run: ``.venv/bin/python bench/parallel.py [--workers 2] [--skip-sweep]`` from the repo root.
Prints a Markdown table on stdout (copy it into bench/RESULTS.md); logs on stderr.
"""

from __future__ import annotations

import argparse
import logging
import operator
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from dimacs_ny import ny_network, read_dimacs

from geoalloc.parallel import dask_client, run_map

ROOT = Path(__file__).resolve().parents[1]
CHICAGO = ROOT / "examples" / "chicago" / "beds.toml"
CHICAGO_TRACTS = ROOT.parent / "shared" / "data" / "chicago_kang2020" / "chicago_tracts_pop.gpkg"
N_AREAS = 20_000
N_SITES = 200


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
    from geoalloc.travel import travel_matrix

    results: list[tuple[str, float]] = []
    arrays = timed("NY: read the .gr.gz + .co.gz", read_dimacs, results)
    network = timed(
        "NY: build the RoadNetwork (largest SCC; parallel arcs: minimum)",
        lambda: ny_network(*arrays),
        results,
    )
    rng = np.random.default_rng(0)
    areas = network.node_ids[rng.choice(network.n_nodes, N_AREAS, replace=False)].tolist()
    sites = network.node_ids[rng.choice(network.n_nodes, N_SITES, replace=False)].tolist()
    label = f"travel_matrix {N_AREAS // 1000}k areas × {N_SITES} sites"

    def od(**options):
        return travel_matrix(network, areas, sites, **options)

    serial = timed(f"{label}: serial", lambda: od(executor="serial"), results)
    processes = timed(
        f"{label}: processes ({workers})",
        lambda: od(executor="processes", workers=workers),
        results,
    )
    cold = timed(
        f"{label}: Dask, LocalCluster ({workers}) started in the call",
        lambda: od(executor="dask", workers=workers),
        results,
    )
    with dask_client(None, workers) as client:
        warm = timed(
            f"{label}: Dask, running LocalCluster ({workers})",
            lambda: od(executor="dask", scheduler=client, workers=workers),
            results,
        )
        reverse = network.reverse()  # what the trees to the sites run on
        timed(
            "Dask: broadcast the graph (CSR) to the workers",
            lambda: client.cancel(client.scatter([reverse], broadcast=True, hash=False)),
            results,
        )
        timed(
            "Dask: 1,000 trivial tasks (scheduling overhead)",
            lambda: run_map(operator.neg, range(1000), executor="dask", scheduler=client),
            results,
        )
    expected = serial.to_dense()
    for other in (processes, cold, warm):
        assert np.array_equal(other.to_dense(), expected), "a parallel matrix differs from serial"
    logging.info(
        "all matrices identical to serial (%d finite pairs)", int(np.isfinite(expected).sum())
    )
    from distributed import LocalCluster

    load = os.getloadavg()[0]
    started = time.perf_counter()
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, dashboard_address=":0", silence_logs=logging.ERROR
    ):
        pass
    label = f"Dask: start + stop a LocalCluster ({workers})"
    results.append((label, time.perf_counter() - started, load))
    return results


def bench_sweep(workers: int) -> list[tuple[str, float]]:
    from geoalloc.parallel import ComputeOptions
    from geoalloc.runs.sweep import cartesian_variants, run_sweep
    from geoalloc.scenario import load_scenario

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

    from geoalloc.inputs.population_points import sum_points_into_areas

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
    import distributed  # noqa: F401  (importing it sets its loggers' levels: quiet them after)

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
