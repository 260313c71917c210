"""Benchmark: the accessibility indices (``geoalloc.access``) at state scale.

One command (from the repo root, after ``bench/state_scale.py --case od`` has written the state
instance's OD to ``/tmp/state_od.npz``):

    .venv/bin/python bench/access.py [--od /tmp/state_od.npz] [--max-minutes 30]

Instance: ``bench/state_instance.py`` on the New York DIMACS graph — 100,000 grid areas × 2,000
candidate sites, the pairs within 45 minutes on the real roads (118.6 million), the areas'
synthetic population (20 million in all, stated there). Supply (stated, synthetic): 10 units per
site. Each method runs on the pairs as a ``TravelMatrix`` (what a run hands over) in its own
process, so that its peak memory (``ru_maxrss``) is its own; the table prints wall seconds and
the peak in GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

OD = Path("/tmp/state_od.npz")
METHODS = ("2sfca", "e2sfca", "bfca", "gravity")


def _one(path: Path, method: str, max_minutes: float) -> dict:
    import numpy as np
    import pandas as pd
    from scipy import sparse

    from geoalloc.access import access_index
    from geoalloc.travel.matrix import TravelMatrix

    z = np.load(path)
    population = z["population"].astype(float)
    n_areas, n_sites = len(population), len(z["site_node"])
    matrix = TravelMatrix(
        pd.Index([f"a{i}" for i in range(n_areas)]),
        pd.Index([f"s{j}" for j in range(n_sites)]),
        sparse.coo_array((z["minutes"], (z["rows"], z["cols"])), shape=(n_areas, n_sites)),
        max_minutes=float(z["max_minutes"]),
    )
    demand = pd.Series(population, index=matrix.origin_ids)
    supply = pd.Series(10.0, index=matrix.destination_ids)
    start = time.perf_counter()
    index = access_index(matrix, demand, supply, method=method, max_minutes=max_minutes)
    seconds = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return {
        "method": method,
        "pairs": int(matrix.minutes.nnz),
        "seconds": round(seconds, 2),
        "peak_gb": round(peak_gb, 2),
        "mean_per_1000": float(np.average(index.per_1000, weights=population)),
        "nothing_in_reach": int(index.nothing_in_reach.sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--od", type=Path, default=OD)
    parser.add_argument("--max-minutes", type=float, default=30.0)
    parser.add_argument("--method", choices=METHODS)
    args = parser.parse_args()
    if not args.od.is_file():
        sys.exit(f"{args.od}: not found — run bench/state_scale.py --case od first")
    if args.method:
        print(json.dumps(_one(args.od, args.method, args.max_minutes)))
        return
    print("| method | pairs | catchment (min) | seconds | peak GB | mean per 1,000 |")
    print("|---|---|---|---|---|---|")
    for method in METHODS:
        done = subprocess.run(
            [sys.executable, __file__, "--od", str(args.od), "--method", method,
             "--max-minutes", str(args.max_minutes)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        r = json.loads(done.stdout)
        print(
            f"| {method} | {r['pairs']:,} | {args.max_minutes:g} | {r['seconds']} | "
            f"{r['peak_gb']} | {r['mean_per_1000']:.3f} |"
        )


if __name__ == "__main__":
    main()
