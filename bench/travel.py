"""Benchmark: travel-time matrix on the real New York road graph (DIMACS 9th challenge).

One command: ``.venv/bin/python bench/travel.py`` (from the repo root). Prints a table and writes
nothing else; copy the figures into ``bench/RESULTS.md``.

- Graph: ``../shared/data/dimacs_usa_road/USA-road-t.NY.gr.gz`` + ``.co.gz`` (264,346 nodes,
  733,846 arcs with 3,746 duplicate arcs: the fastest is kept), read by ``bench/dimacs_ny.py``.
- Time unit: DIMACS ``t`` weights are not seconds (see the data's PROVENANCE.md). We ASSUME the top
  road class means 100 km/h, so one t-unit = the time to cover 0.1 m at 100 km/h = 0.0036 s, and a
  30-minute cut-off = 1,800 s = 500,000 t-units.
- Work: 20,000 random origin nodes × 200 random site nodes, seed 42; geoalloc full matrix and with
  the 30-minute cut-off, each in a fresh process whose peak memory (the process and its workers,
  summed PSS sampled every 10 ms) is reported; the baseline is networkx ``single_source_dijkstra``
  *per origin* (what users write today), timed on a sample of origins and extrapolated to 20,000.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from dimacs_ny import SECONDS_PER_T_UNIT, ny_network, read_dimacs

REPO = Path(__file__).resolve().parents[1]
SEED = 42
N_ORIGINS = 20_000
N_SITES = 200
CUTOFF_MINUTES = 30.0


class PeakRSS:
    """Peak summed PSS (bytes) of this process and its children, sampled in a thread."""

    def __init__(
        self, interval_s: float = float(os.environ.get("BENCH_MEM_INTERVAL_S", "0.05"))
    ) -> None:
        self.interval_s = interval_s
        self.peak = 0
        self.own_cpu_s = 0.0  # CPU the sampling itself costs (reading /proc), to subtract
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss(pid: int) -> int:
        """Proportional set size: shared pages (forked workers) are counted once overall."""
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    @staticmethod
    def _children(pid: int) -> list[int]:
        out = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    out.extend(int(c) for c in f.read().split())
        except OSError:
            pass
        return out

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            pids, todo = [], [me]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo.extend(self._children(pid))
            self.peak = max(self.peak, sum(self._rss(p) for p in pids))
            self.own_cpu_s = time.thread_time()
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _cpu_s() -> float:
    """User + system CPU seconds of this process and its finished (joined) worker processes."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def sample_nodes(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    origins = rng.choice(n_nodes, size=N_ORIGINS, replace=False)
    sites = rng.choice(n_nodes, size=N_SITES, replace=False)
    return origins, sites


def run_variant(variant: str, workers: int) -> dict:
    """One measured run in this (fresh) process: build arrays, then the matrix."""
    from geoalloc.travel import travel_matrix

    with PeakRSS() as mem:
        t0 = time.perf_counter()
        tail, head, seconds, lon, lat = read_dimacs()
        t1 = time.perf_counter()
        network = ny_network(tail, head, seconds, lon, lat)
        origins, sites = sample_nodes(network.n_nodes)
        load_before = os.getloadavg()[0]
        cpu0 = _cpu_s() - mem.own_cpu_s
        t2 = time.perf_counter()
        max_minutes = CUTOFF_MINUTES if variant == "cutoff" else None
        executor = "serial" if workers == 1 else "processes"
        tm = travel_matrix(
            network,
            list(network.node_ids[origins]),
            list(network.node_ids[sites]),
            max_minutes=max_minutes,
            executor=executor,
            workers=workers,
        )
        t3 = time.perf_counter()
        cpu1 = _cpu_s() - mem.own_cpu_s
    finite = int(np.isfinite(tm.to_dense()).sum()) if variant == "full" else int(tm.minutes.nnz)
    result = {
        "variant": variant,
        "workers": workers,
        "parse_s": t1 - t0,
        "build_s": t2 - t1,
        "matrix_s": t3 - t2,
        "peak_mb": mem.peak / 2**20,
        "matrix_cpu_s": cpu1 - cpu0,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "nnz": finite,
        "csr_nnz": int(network.forward.nnz),
        "n_nodes": network.n_nodes,
    }
    if variant == "full":
        np.save(REPO / "bench" / "_out" / "travel_full_sample.npy", tm.to_dense()[:10])
    return result


def baseline(n_sample: int) -> dict:
    """networkx single_source_dijkstra per origin on the same graph, on a sample of origins."""
    import networkx as nx

    tail, head, seconds, lon, lat = read_dimacs()
    network = ny_network(tail, head, seconds, lon, lat)
    coo = network.forward.tocoo()
    G = nx.DiGraph()
    G.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True),
        weight="travel_time",
    )
    origins, sites = sample_nodes(network.n_nodes)
    reference = np.load(REPO / "bench" / "_out" / "travel_full_sample.npy")
    times, max_err = [], 0.0
    for i in range(n_sample):
        t = time.perf_counter()
        dist = nx.single_source_dijkstra_path_length(G, int(origins[i]), weight="travel_time")
        row = np.array([dist.get(int(s), np.inf) / 60 for s in sites])
        times.append(time.perf_counter() - t)
        both = np.isfinite(row) & np.isfinite(reference[i])
        assert (np.isfinite(row) == np.isfinite(reference[i])).all()
        max_err = max(max_err, float(np.max(np.abs(row[both] - reference[i][both]), initial=0.0)))
    return {
        "per_origin_s": float(np.mean(times)),
        "n_sample": n_sample,
        "max_abs_diff_minutes": max_err,
    }


def child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=["full", "cutoff", "baseline"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline-sample", type=int, default=3)
    args = parser.parse_args()
    (REPO / "bench" / "_out").mkdir(parents=True, exist_ok=True)
    if args.variant == "baseline":
        print(json.dumps(baseline(args.baseline_sample)))
        return
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.workers)))
        return
    runs = [
        child(["--variant", "full", "--workers", "2"]),
        child(["--variant", "cutoff", "--workers", "2"]),
        child(["--variant", "full", "--workers", "1"]),
    ]
    base = child(["--variant", "baseline", "--baseline-sample", str(args.baseline_sample)])
    full2 = runs[0]
    baseline_total = base["per_origin_s"] * N_ORIGINS
    print(
        f"graph: NY DIMACS, {full2['n_nodes']:,} nodes, {full2['csr_nnz']:,} arcs "
        "(fastest of duplicate arcs kept)"
    )
    print(
        f"work: {N_ORIGINS:,} origins x {N_SITES} sites (seed {SEED}); "
        f"t-unit = {SECONDS_PER_T_UNIT} s (assumed 100 km/h top speed)"
    )
    header = [
        "run",
        "parse s",
        "arrays s",
        "matrix s",
        "CPU s",
        "CPU/proc",
        "peak MB",
        "pairs",
        "load",
    ]
    print(f"{header[0]:<26}" + "".join(f"{h:>10}" for h in header[1:]))
    for r in runs:
        name = f"geoalloc {r['variant']} ({r['workers']} proc)"
        cells = [
            f"{r['parse_s']:.2f}",
            f"{r['build_s']:.2f}",
            f"{r['matrix_s']:.2f}",
            f"{r['matrix_cpu_s']:.2f}",
            f"{r['matrix_cpu_s'] / r['workers']:.2f}",
            f"{r['peak_mb']:.0f}",
            f"{r['nnz']:,}",
            f"{r['load_before']:.1f}-{r['load_after']:.1f}",
        ]
        print(f"{name:<26}" + "".join(f"{c:>10}" for c in cells))
    print(
        "matrix s = wall-clock of travel_matrix given the arrays; CPU s = its user+system CPU "
        "(workers included, the memory sampler's own CPU excluded); CPU/proc = what an "
        "otherwise idle machine would take; load = 1-min "
        "load average before-after (2 cores: above 2 means other jobs shared them)"
    )
    print(
        f"networkx per origin: {base['per_origin_s']:.2f} s/origin on {base['n_sample']} origins, "
        f"extrapolated x{N_ORIGINS:,} = {baseline_total:,.0f} s ({baseline_total / 3600:.1f} h); "
        f"max |diff| vs geoalloc {base['max_abs_diff_minutes']:.1e} min"
    )
    for r in runs:
        print(
            f"speed-up {r['variant']} ({r['workers']} proc): "
            f"{baseline_total / r['matrix_s']:,.0f}x "
            f"(matrix only), "
            f"{baseline_total / (r['matrix_s'] + r['build_s']):,.0f}x (arrays + matrix)"
        )


if __name__ == "__main__":
    main()
