"""Benchmark: state scale (issue 17, target 3) — the sparse OD on the real New York road graph.

One command (from the repo root): ``.venv/bin/python bench/state_scale.py --case od``. Prints a
table; writes the state instance's OD to ``/tmp/state_od.npz`` (``--od-out``) for other work to
reuse. Optimisation cases of the same instance live in ``bench/state_milp.py``.

- Graph: the DIMACS New York graph of ``bench/dimacs_ny.py`` (264,346 nodes; t-unit = 0.0036 s,
  an assumption stated there).
- Instance: ``bench/state_instance.py`` — 100,000 grid areas × 2,000 candidate sites. An area's
  trips start at its road node; 348 areas share their node with another area, so the areas go in
  as points exactly at their nodes' coordinates (a GeoDataFrame indexed 0 … n−1), snapped with a
  zero-length leg; the run checks every point snapped to its own node, or to one at the same
  spot.
- Work: ``travel_matrix(network, areas, sites, max_minutes=45, executor="processes", workers=2)``.
  Each case runs in a fresh process and makes the call twice: a timed pass (wall time; CPU = user
  + system of the process and its workers), then a memory pass (peak memory = summed PSS of the
  process and its workers, sampled every 50 ms, the graph and the instance already in memory
  included; its wall time is shown too, slowed by the sampling), the pairs within the cut-off and
  the 1-minute load average.
- Cases: ``state`` (the instance), ``random`` (the issue's first measurement: 100,000 random
  nodes × 2,000 random nodes, seed 17, as node ids), and ``main-state``: the state instance with
  the routing of another git revision (``--baseline-ref``, default ``main``), exported to a
  temporary folder. That one needed 13 GB on main: it runs only when the machine has
  ``--baseline-free-gb`` available, else the table says it was skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from dimacs_ny import ny_network, read_dimacs
from state_instance import state_instance
from travel import PeakRSS, _cpu_s

REPO = Path(__file__).resolve().parents[1]
MAX_MINUTES = 45.0
WORKERS = 2
N_RANDOM_ORIGINS = 100_000
N_RANDOM_SITES = 2_000
RANDOM_SEED = 17
OD_OUT = Path("/tmp/state_od.npz")


def _available_gb() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    return 0.0


def _node_points(network, node_pos: np.ndarray):
    """Points exactly at the nodes ``node_pos`` (CSR positions), EPSG:4326, indexed 0 … n−1."""
    import geopandas as gpd

    return gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(network.lon[node_pos], network.lat[node_pos]), crs=4326
    )


def run_case(case: str, od_out: Path | None) -> dict:
    """One measured case in this (fresh) process."""
    from geoalloc.travel import travel_matrix

    tail, head, seconds, lon, lat = read_dimacs()
    network = ny_network(tail, head, seconds, lon, lat)
    instance = None
    if case == "random":
        rng = np.random.default_rng(RANDOM_SEED)
        origins = list(network.node_ids[rng.choice(network.n_nodes, N_RANDOM_ORIGINS, False)])
        sites = list(network.node_ids[rng.choice(network.n_nodes, N_RANDOM_SITES, False)])
    else:
        instance = state_instance(lon, lat)
        position = np.searchsorted(network.node_ids, instance.area_node)
        assert (network.node_ids[position] == instance.area_node).all(), "node not in the graph"
        origins = _node_points(network, position)
        sites = _node_points(network, position[instance.site_area])

    def call():
        return travel_matrix(
            network, origins, sites, max_minutes=MAX_MINUTES, executor="processes", workers=WORKERS
        )

    # timed pass, without the memory sampler: reading the workers' PSS from /proc every 50 ms
    # walks their page tables (system CPU on the same 2 cores), which slowed the call by a third
    load_before = os.getloadavg()[0]
    cpu0 = _cpu_s()
    t0 = time.perf_counter()
    tm = call()
    wall_s = time.perf_counter() - t0
    cpu_s = _cpu_s() - cpu0
    del tm
    # memory pass: the same call again, sampled
    with PeakRSS() as mem:
        time.sleep(0.2)  # a first sample: memory before the call (graph, instance)
        before_mb = mem.peak / 2**20
        t0 = time.perf_counter()
        tm = call()
        sampled_wall_s = time.perf_counter() - t0
        load_after = os.getloadavg()[0]
    coo = tm.minutes
    result = {
        "case": case,
        "revision": _revision(),
        "wall_s": wall_s,
        "sampled_wall_s": sampled_wall_s,
        "cpu_s": cpu_s,
        "peak_mb": mem.peak / 2**20,
        "before_mb": before_mb,
        "pairs": int(coo.nnz),
        "minutes_sum": float(np.sum(coo.data, dtype=np.float64)),
        "index_dtype": str(coo.row.dtype),
        "minutes_dtype": str(coo.data.dtype),
        "load_before": load_before,
        "load_after": load_after,
        "shape": list(tm.shape),
        "flags": int(len(tm.flags)),
    }
    if instance is not None:
        snapped = tm.origin_snap_m
        result["max_snap_m"] = float(np.nanmax(snapped)) if len(snapped) else 0.0
    if instance is not None and od_out is not None:
        _write_od(od_out, tm, instance)
        result["od_out"] = str(od_out)
    return result


def _revision() -> str:
    import geoalloc

    return str(Path(geoalloc.__file__).resolve().parents[1])


def _write_od(path: Path, tm, instance) -> None:
    """The state instance's OD for reuse: pairs (area row, site column, minutes float32) and the
    instance's arrays."""
    coo = tm.minutes
    np.savez(
        path,
        rows=coo.row.astype(np.int32, copy=False),
        cols=coo.col.astype(np.int32, copy=False),
        minutes=coo.data.astype(np.float32),
        max_minutes=np.array(MAX_MINUTES),
        cell_m=np.array(instance.cell_m),
        area_node=instance.area_node,
        site_node=instance.site_node,
        site_area=instance.site_area,
        population=instance.population,
        x_m=instance.x_m,
        y_m=instance.y_m,
    )


def child(case: str, pythonpath: Path, od_out: Path | None) -> dict:
    args = [sys.executable, __file__, "--run", case]
    if od_out is not None:
        args += ["--od-out", str(od_out)]
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    out = subprocess.run(args, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def export_revision(ref: str, into: Path) -> Path:
    """The ``geoalloc`` package of git revision ``ref``, written under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "geoalloc"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["od"], default="od")
    parser.add_argument("--run", choices=["state", "random", "main-state"])
    parser.add_argument("--od-out", type=Path, default=OD_OUT)
    parser.add_argument("--baseline-ref", default="main")
    parser.add_argument("--baseline-free-gb", type=float, default=16.0)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_case(args.run, args.od_out if args.run == "state" else None)))
        return
    runs = [child("state", REPO, args.od_out), child("random", REPO, None)]
    skipped = ""
    if args.no_baseline:
        skipped = "not asked for (--no-baseline)"
    elif _available_gb() < args.baseline_free_gb:
        skipped = f"skipped: {_available_gb():.1f} GB available < {args.baseline_free_gb:g} GB"
    else:
        with tempfile.TemporaryDirectory() as tmp:
            ref = subprocess.run(
                ["git", "-C", str(REPO), "rev-parse", "--short", args.baseline_ref],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            base = child("main-state", export_revision(args.baseline_ref, Path(tmp)), None)
            base["case"] = f"state, {args.baseline_ref} ({ref})"
            runs.append(base)
    print(
        f"state-scale OD on the NY DIMACS graph, cut-off {MAX_MINUTES:g} min, "
        f"{WORKERS} worker processes"
    )
    header = ["case", "wall s", "CPU s", "sampled s", "peak MB", "before MB", "pairs", "load"]
    print(f"{header[0]:<24}" + "".join(f"{h:>14}" for h in header[1:]))
    for r in runs:
        cells = [
            f"{r['wall_s']:.1f}",
            f"{r['cpu_s']:.1f}",
            f"{r.get('sampled_wall_s', float('nan')):.1f}",
            f"{r['peak_mb']:,.0f}",
            f"{r['before_mb']:,.0f}",
            f"{r['pairs']:,}",
            f"{r['load_before']:.1f}-{r['load_after']:.1f}",
        ]
        print(f"{r['case']:<24}" + "".join(f"{c:>14}" for c in cells))
    if skipped:
        print(f"baseline ({args.baseline_ref}): {skipped}")
    state = runs[0]
    print(
        f"state: {state['shape'][0]:,} areas x {state['shape'][1]:,} sites; stored as "
        f"{state['index_dtype']} indices + {state['minutes_dtype']} minutes; largest snap "
        f"{state['max_snap_m']:.3g} m; sum of minutes {state['minutes_sum']:.6f}"
    )
    for r in runs[2:]:
        print(
            f"{r['case']}: same pairs {r['pairs'] == state['pairs']}, sum of minutes "
            f"{r['minutes_sum']:.6f} (difference {r['minutes_sum'] - state['minutes_sum']:.2e})"
        )
    print(f"OD written to {state.get('od_out', '(not written)')}")
    print(json.dumps(runs))


if __name__ == "__main__":
    main()
