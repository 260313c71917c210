"""State-scale optimisation benchmark (issue 17, target 3): p-median and capacitated models.

Run from the repo root (each case in its own process, so that its peak memory is its own):

    .venv/bin/python bench/state_milp.py                      # both cases, 100,000 × 2,000
    .venv/bin/python bench/state_milp.py --case pmedian --areas 20000 --sites 500 --p 50
    .venv/bin/python bench/state_milp.py --baseline           # + the former path at 20,000 × 500

Instance: ``bench/state_instance.py`` on the New York DIMACS graph (areas on a grid, synthetic
stated population of 20 M, candidate sites where people live); OD by ``travel_matrix`` with a
45-minute cut-off, cached by ``bench/state_od_cache.py`` in ``/tmp``. Cases:

- ``pmedian``: p-median, p = 200 (50 at 20,000 × 500), weight = population, ``mip_gap`` 1 %.
- ``capacitated``: 3 resources (beds 2.5, ICU beds 0.3, ventilators 0.15 per 1,000 residents),
  every site a candidate with capacities log-normal (σ 0.5) summing to 1.3 × demand × (sites /
  p), exactly p sites open, ``objective = "weighted"`` (minutes + 1,000 minutes per unmet unit),
  ``mip_gap`` 1 %.

Figures: wall time of the solve (the OD read from the cache is not counted), peak memory of the
process (ru_maxrss, including the pairs), objective, lower bound, certified gap
(objective − bound) / objective, MILP/reduced-problem size, 1-minute load average before/after.
``--baseline`` also runs the code path of main before this change at 20,000 × 500 (dense
heuristic + BEAMR MILP for p-median; the full capacitated MILP) with the same time limit.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

RATES_PER_1000 = {"beds": 2.5, "icu_beds": 0.3, "ventilators": 0.15}


def build(n_areas: int, n_sites: int, p: int):
    """The Indexed problem (pairs sorted by area, site) and its AllocationProblem tables."""
    import pandas as pd
    from state_od_cache import load_od

    from geoalloc.optimize._prepare import Indexed
    from geoalloc.optimize.problem import AllocationProblem

    inst, rows, cols, minutes = load_od(n_areas, n_sites)  # sorted by (area, site)
    pop = inst.population
    resources_ = list(RATES_PER_1000)
    rates = np.array([RATES_PER_1000[r] for r in resources_]) / 1000
    demand = pop[:, None] * rates[None, :]
    rng = np.random.default_rng(5)
    size = rng.lognormal(0.0, 0.5, n_sites)
    capacity = (size / size.sum())[:, None] * demand.sum(axis=0)[None, :] * (n_sites / p) * 1.3
    areas = pd.Index(np.arange(n_areas), name="area")
    sites = pd.Index(np.arange(n_sites), name="site")
    ix = Indexed(
        areas=areas,
        sites=sites,
        resources=resources_,
        pair_area=rows,
        pair_site=cols,
        minutes=minutes,
        demand=demand,
        population=pop,
        capacity=capacity,
        existing=np.zeros(n_sites, dtype=bool),
    )
    problem = AllocationProblem(
        demand=pd.DataFrame(demand, index=areas, columns=resources_),
        population=pd.Series(pop, index=areas),
        capacity=pd.DataFrame(capacity, index=sites, columns=resources_),
        existing=pd.Series(False, index=sites),
        od=pd.DataFrame({"area": [], "site": [], "minutes": []}),
    )
    return ix, problem


def run_case(case: str, n_areas: int, n_sites: int, p: int, time_limit_s: float, path: str):
    """One case in this process; prints a JSON line."""
    from geoalloc.optimize import classic
    from geoalloc.optimize.capacitated import solve_capacitated
    from geoalloc.optimize.options import OptimizeOptions

    load_before = os.getloadavg()[0]
    ix, problem = build(n_areas, n_sites, p)
    pairs = len(ix.pair_area)
    if path == "former":  # main's code path: int64/float64 pairs, dense heuristic, full MILP
        from dataclasses import replace

        ix = replace(
            ix,
            pair_area=ix.pair_area.astype(np.int64),
            pair_site=ix.pair_site.astype(np.int64),
            minutes=ix.minutes.astype(float),
        )
        classic._DENSE_LIMIT = 10**12
        classic.SCALE_CELLS = 10**12
        from geoalloc.optimize import capacitated_scale

        capacitated_scale.SCALE_COLUMNS = 10**12
    t0 = time.perf_counter()
    if case == "pmedian":
        opts = OptimizeOptions(
            model="p-median",
            p=p,
            max_minutes=45,
            weight="population",
            mip_gap=0.01,
            time_limit_s=time_limit_s,
        )
        alloc = classic.solve_p_median(ix, opts)
    else:
        opts = OptimizeOptions(
            model="capacitated",
            p=p,
            max_minutes=45,
            objective="weighted",
            mip_gap=0.01,
            time_limit_s=time_limit_s,
        )
        alloc = solve_capacitated(ix, problem, opts)
    wall = time.perf_counter() - t0
    out = {
        "case": case,
        "path": path,
        "areas": n_areas,
        "sites": n_sites,
        "p": p,
        "pairs": pairs,
        "wall_s": round(wall, 1),
        "peak_MB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "objective": alloc.objective,
        "bound": alloc.bound,
        "gap": alloc.gap,
        "status": alloc.status,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "notes": list(alloc.notes),
    }
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", choices=["pmedian", "capacitated"], action="append")
    ap.add_argument("--areas", type=int, default=100_000)
    ap.add_argument("--sites", type=int, default=2_000)
    ap.add_argument("--p", type=int, default=200)
    ap.add_argument("--time-limit", type=float, default=540.0)
    ap.add_argument("--baseline", action="store_true", help="also main's path at 20,000 × 500")
    ap.add_argument("--path", default="new", choices=["new", "former"])
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    cases = a.case or ["pmedian", "capacitated"]
    if a.one:
        run_case(cases[0], a.areas, a.sites, a.p, a.time_limit, a.path)
        return
    runs = [(c, a.areas, a.sites, a.p, a.path) for c in cases]
    if a.baseline:
        for c in cases:
            runs += [(c, 20_000, 500, 50, "former"), (c, 20_000, 500, 50, "new")]
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    for case, n, m, p, path in runs:
        cmd = [sys.executable, __file__, "--one", "--case", case, "--areas", str(n)]
        cmd += ["--sites", str(m), "--p", str(p), "--time-limit", str(a.time_limit)]
        cmd += ["--path", path]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        line = done.stdout.strip().splitlines()[-1:] or [done.stderr[-2000:]]
        print(line[0], flush=True)


if __name__ == "__main__":
    main()
