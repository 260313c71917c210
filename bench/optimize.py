"""Optimizer benchmark: p-median 2,000 × 200 vs spopt; capacitated 10,000 × 200 × 3 with budget.

Run from the repo root (one command, ~5 minutes on 2 cores):

    .venv/bin/python bench/optimize.py            # all cases, each in its own process
    .venv/bin/python bench/optimize.py --case pmedian --spopt-limit 60

Data: real coordinates from ``../shared/data/chicago_kang2020`` — the Illinois analysis grid
(7,002 cells) plus the Chicago grid (3,279 cells) as areas, and the 183 Illinois hospitals
(beds, adult ICU beds, ventilators) as existing sites plus 17 candidate sites at grid cells.
Demand is synthetic but spatially plausible: a gravity proxy from hospital beds (Σ beds ·
exp(−km/15)) with log-normal noise, seeded. Minutes: crow-fly (40 km/h, circuity 1.3).
Each case runs in a fresh process so that its peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "chicago_kang2020"
SEED = 20200


def load_points():
    import geopandas as gpd

    grid = pd.concat(
        [
            gpd.read_file(DATA / "illinois_grid.gpkg").to_crs(4326),
            gpd.read_file(DATA / "chicago_grid.gpkg").to_crs(4326),
        ],
        ignore_index=True,
    )
    grid = gpd.GeoDataFrame(grid, geometry=grid.to_crs(32616).centroid.to_crs(4326), crs=4326)
    grid.index = pd.Index([f"c{i:05d}" for i in range(len(grid))], name="area")
    hosp = gpd.read_file(DATA / "illinois_hospitals.gpkg").to_crs(4326)
    hosp.index = pd.Index([f"h{i:03d}" for i in range(len(hosp))], name="site")
    return grid, hosp


def gravity_demand(grid, hosp, rng) -> np.ndarray:
    from geoalloc.travel.crowfly import lonlat_degrees
    from geoalloc.travel.geodesy import haversine_m

    glon, glat = lonlat_degrees(grid)
    hlon, hlat = lonlat_degrees(hosp)
    beds = hosp["Total_Bed"].to_numpy(dtype=float)
    out = np.zeros(len(grid))
    for start in range(0, len(grid), 2000):
        km = (
            haversine_m(
                glon[start : start + 2000, None],
                glat[start : start + 2000, None],
                hlon[None],
                hlat[None],
            )
            / 1000
        )
        out[start : start + 2000] = (beds[None] * np.exp(-km / 15.0)).sum(axis=1)
    return (out + 1.0) * rng.lognormal(0.0, 0.3, len(grid))


def sites_with_candidates(grid, hosp, rng, n_candidates: int):
    import geopandas as gpd

    pick = rng.choice(len(grid), n_candidates, replace=False)
    cand = gpd.GeoDataFrame(
        {"Total_Bed": 0.0, "Adult ICU": 0.0, "Total Vent": 0.0},
        geometry=grid.geometry.iloc[pick].to_numpy(),
        crs=4326,
        index=pd.Index([f"n{i:03d}" for i in range(n_candidates)], name="site"),
    )
    sites = pd.concat([hosp[["Total_Bed", "Adult ICU", "Total Vent", "geometry"]], cand])
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=4326)
    sites["existing"] = sites.index.str.startswith("h")
    return sites


def od_long(matrix) -> pd.DataFrame:
    from scipy import sparse

    M = matrix.minutes
    if sparse.issparse(M):
        M = M.tocoo()
        r, c, v = M.row, M.col, M.data
    else:
        r, c = np.indices(M.shape)
        r, c, v = r.ravel(), c.ravel(), np.asarray(M).ravel()
    return pd.DataFrame(
        {"area": matrix.origin_ids[r], "site": matrix.destination_ids[c], "minutes": v}
    )


def case_pmedian(spopt_limit: float) -> dict:
    from geoalloc.optimize import AllocationProblem, OptimizeOptions, solve
    from geoalloc.travel import crowfly_matrix

    rng = np.random.default_rng(SEED)
    grid, hosp = load_points()
    grid = grid.iloc[:7002]  # the Illinois grid
    areas = grid.iloc[np.sort(rng.choice(len(grid), 2000, replace=False))]
    sites = sites_with_candidates(grid, hosp, rng, 17)
    weights = gravity_demand(areas, hosp, rng)
    tm = crowfly_matrix(areas, sites)
    od = od_long(tm)
    problem = AllocationProblem(
        demand=pd.DataFrame({"beds": weights}, index=areas.index),
        population=pd.Series(weights, index=areas.index),
        capacity=pd.DataFrame({"beds": sites["Total_Bed"].to_numpy()}, index=sites.index),
        existing=sites["existing"],
        od=od,
    )
    opts = OptimizeOptions(model="p-median", p=20, max_minutes=None, mip_gap=0.001, time_limit_s=60)
    t0 = time.perf_counter()
    alloc = solve(problem, opts)
    wall = time.perf_counter() - t0
    out = {
        "case": "p-median 2,000 × 200, p = 20 (crow-fly, dense)",
        "status": alloc.status,
        "objective": alloc.objective,
        "bound": alloc.bound,
        "gap": alloc.gap,
        "build_s": alloc.build_s,
        "solve_s": alloc.solve_s,
        "wall_s": wall,
        "notes": list(alloc.notes),
    }
    # the PuLP way of building the same full (unreduced) formulation, for the build-time ratio
    from geoalloc.optimize.linear import ModelBuilder, to_pulp

    n, m = len(areas), len(sites)
    M = np.asarray(tm.minutes)
    t0 = time.perf_counter()
    b = ModelBuilder()
    y0 = b.add_vars("y", m, lo=0, hi=1, integer=True)
    P = n * m
    x0 = b.add_vars("x", P, cost=(weights[:, None] * M).ravel(), lo=0, hi=1)
    ai, sj = np.divmod(np.arange(P), m)
    b.add_rows("assign", n, ai, x0 + np.arange(P), 1.0, lo=1.0, hi=1.0)
    b.add_rows(
        "link",
        P,
        np.concatenate([np.arange(P)] * 2),
        np.concatenate([x0 + np.arange(P), y0 + sj]),
        np.concatenate([np.ones(P), -np.ones(P)]),
        hi=0.0,
    )
    b.add_rows("p", 1, np.zeros(m), y0 + np.arange(m), 1.0, lo=20, hi=20)
    lm = b.build()
    out["full_arrays_build_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    to_pulp(lm)
    out["full_pulp_build_s"] = time.perf_counter() - t0
    del lm
    # baseline: spopt's PMedian with HiGHS through PuLP, in its own process, killed at the cap
    cmd = [sys.executable, __file__, "--case", "spopt-pmedian", "--spopt-limit", str(spopt_limit)]
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=spopt_limit + 60)
        out.update(json.loads(done.stdout.strip().splitlines()[-1]))
    except subprocess.TimeoutExpired:
        out["spopt_status"] = f"killed: no answer within the {spopt_limit:g} s limit + 60 s grace"
    except (json.JSONDecodeError, IndexError):
        out["spopt_status"] = f"failed: {done.stderr.strip().splitlines()[-1:]}"
    out["spopt_wall_s"] = time.perf_counter() - t0
    return out


def case_spopt_pmedian(spopt_limit: float) -> dict:
    import warnings

    import pulp
    from spopt.locate import PMedian

    from geoalloc.optimize.linear import new_highs
    from geoalloc.travel import crowfly_matrix

    rng = np.random.default_rng(SEED)
    grid, hosp = load_points()
    grid = grid.iloc[:7002]
    areas = grid.iloc[np.sort(rng.choice(len(grid), 2000, replace=False))]
    sites = sites_with_candidates(grid, hosp, rng, 17)
    weights = gravity_demand(areas, hosp, rng)
    M = np.asarray(crowfly_matrix(areas, sites).minutes)
    new_highs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        model = PMedian.from_cost_matrix(M, weights, p_facilities=20)
        t1 = time.perf_counter()
        try:
            model = model.solve(pulp.HiGHS(msg=False, timeLimit=spopt_limit))
            status, obj = (
                pulp.LpStatus[model.problem.status],
                float(pulp.value(model.problem.objective)),
            )
        except Exception as exc:  # spopt raises when PuLP reports no solution
            status, obj = f"raised: {str(exc)[:60]}", None
        t2 = time.perf_counter()
    return {
        "spopt_build_s": t1 - t0,
        "spopt_solve_s": t2 - t1,
        "spopt_status": status,
        "spopt_objective": obj,
    }


def case_capacitated(time_limit: float, standard: float = 60.0) -> dict:
    from geoalloc.optimize import OptimizeOptions, problem_from_inputs, solve
    from geoalloc.optimize.shortfall import shortfall_reasons
    from geoalloc.travel import crowfly_matrix

    rng = np.random.default_rng(SEED + 1)
    grid, hosp = load_points()
    grid = grid.iloc[np.sort(rng.choice(len(grid), 10_000, replace=False))]
    sites = sites_with_candidates(grid, hosp, rng, 17)
    sites = sites.rename(columns={"Total_Bed": "beds", "Adult ICU": "icu", "Total Vent": "vent"})
    # a candidate opens with 100 beds, 20 ICU beds and 10 ventilators for 10 M
    for col, base in (("beds", 100.0), ("icu", 20.0), ("vent", 10.0)):
        sites.loc[~sites["existing"], col] = base
    sites["opening_cost"] = np.where(sites["existing"], 0.0, 10e6)
    sites["max_beds"] = sites["beds"] + 200.0
    share = gravity_demand(grid, hosp, rng)
    share = share / share.sum()
    cap_total = sites[["beds", "icu", "vent"]].sum()
    needs = pd.DataFrame(
        {
            "beds": share * 0.95 * cap_total["beds"],
            "icu": share * 1.05 * cap_total["icu"],
            "vent": share * 0.9 * cap_total["vent"],
        },
        index=grid.index,
    )
    t0 = time.perf_counter()
    tm = crowfly_matrix(grid, sites, max_minutes=standard)
    od = od_long(tm)
    od_s = time.perf_counter() - t0
    opts = OptimizeOptions(
        model="capacitated",
        max_minutes=standard,
        opening_cost_column="opening_cost",
        max_size_columns={"beds": "max_beds"},
        cost_per_unit={"beds": 150e3, "icu": 400e3, "vent": 30e3},
        module_size={"beds": 10},
        budget=150e6,
        resource_budgets={"vent": 3e6},
        cost_weight=1e-5,
        unmet_penalty_minutes=240.0,
        mip_gap=0.01,
        time_limit_s=time_limit,
    )
    problem = problem_from_inputs(
        needs,
        pd.Series(share * 1e7, index=grid.index),
        sites,
        od,
        resources=["beds", "icu", "vent"],
        options=opts,
    )
    t0 = time.perf_counter()
    alloc = solve(problem, opts)
    wall = time.perf_counter() - t0
    t0 = time.perf_counter()
    shortfall = shortfall_reasons(problem, alloc, opts)  # what every run adds after the solve
    shortfall_s = time.perf_counter() - t0
    return {
        "case": f"capacitated 10,000 × 200 × 3 resources, budget, {standard:g}-min standard",
        "pairs": len(od),
        "od_s": od_s,
        "status": alloc.status,
        "objective": alloc.objective,
        "bound": alloc.bound,
        "gap": alloc.gap,
        "build_s": alloc.build_s,
        "solve_s": alloc.solve_s,
        "wall_s": wall,
        "notes": list(alloc.notes),
        "costs": alloc.costs,
        "unmet": alloc.unmet.sum().to_dict(),
        "open_candidates": int(alloc.sites["open"][~alloc.sites["existing"]].sum()),
        "shortfall_rows": len(shortfall),
        "shortfall_s": shortfall_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["pmedian", "capacitated", "spopt-pmedian"])
    parser.add_argument("--spopt-limit", type=float, default=60.0)
    parser.add_argument("--time-limit", type=float, default=110.0)
    args = parser.parse_args()
    if args.case:
        cases = {
            "pmedian": lambda: case_pmedian(args.spopt_limit),
            "capacitated": lambda: case_capacitated(args.time_limit),
            "spopt-pmedian": lambda: case_spopt_pmedian(args.spopt_limit),
        }
        result = cases[args.case]()
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result, default=float))
        return
    results = []
    for case in ("pmedian", "capacitated"):
        cmd = [
            sys.executable,
            __file__,
            "--case",
            case,
            "--spopt-limit",
            str(args.spopt_limit),
            "--time-limit",
            str(args.time_limit),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    for r in results:
        print(f"\n## {r['case']}")
        for key, value in r.items():
            if key != "case":
                print(f"- {key}: {value}")


if __name__ == "__main__":
    main()
