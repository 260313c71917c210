"""Capacitated p-median with a travel standard: the planning model of the first slice.

Sparse formulation: one assignment variable per feasible (area, site) pair only.

    min  Σ d_i t_ij x_ij + penalty Σ d_i u_i
    s.t. Σ_j x_ij + u_i = 1                 every area i (u_i = share of i's demand unmet)
         Σ_i d_i x_ij ≤ cap_j y_j            every site j (first resource)
         x_ij ≤ y_j                          every feasible pair
         Σ_j y_j = p                         when p is given; else existing sites open, candidates closed
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pulp

from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import Allocation, AllocationProblem
from geoalloc.optimize.solvers import make_solver


def solve_capacitated_pmedian(problem: AllocationProblem, options: OptimizeOptions) -> Allocation:
    resource = problem.resources[0]
    demand = problem.demand[resource]
    capacity = problem.capacity[resource]
    od = problem.od
    started = time.perf_counter()
    model = pulp.LpProblem("capacitated_p_median", pulp.LpMinimize)
    areas = list(demand.index)
    sites = list(capacity.index)
    y = {j: pulp.LpVariable(f"y_{k}", cat="Binary") for k, j in enumerate(sites)}
    u = {i: pulp.LpVariable(f"u_{k}", lowBound=0, upBound=1) for k, i in enumerate(areas)}
    x = {
        (a, s): pulp.LpVariable(f"x_{k}", lowBound=0, upBound=1)
        for k, (a, s) in enumerate(zip(od["area"], od["site"], strict=True))
    }
    minutes = dict(zip(zip(od["area"], od["site"], strict=True), od["minutes"], strict=True))
    model += pulp.lpSum(demand[a] * minutes[a, s] * var for (a, s), var in x.items()) + pulp.lpSum(
        options.unmet_penalty_minutes * demand[a] * u[a] for a in areas
    )
    by_area: dict[object, list] = {a: [] for a in areas}
    by_site: dict[object, list] = {s: [] for s in sites}
    for (a, s), var in x.items():
        by_area[a].append(var)
        by_site[s].append(demand[a] * var)
        model += var <= y[s]
    for a in areas:
        model += pulp.lpSum(by_area[a]) + u[a] == 1
    for s in sites:
        model += pulp.lpSum(by_site[s]) <= float(capacity[s]) * y[s]
    if options.p is not None:
        model += pulp.lpSum(y.values()) == min(options.p, len(sites))
    else:
        for s in sites:
            model += y[s] == int(bool(problem.existing[s]))
    build_s = time.perf_counter() - started

    solver = make_solver(options.solver, time_limit_s=options.time_limit_s, mip_gap=options.mip_gap)
    started = time.perf_counter()
    model.solve(solver)
    solve_s = time.perf_counter() - started
    status = "optimal" if pulp.LpStatus[model.status] == "Optimal" else "no_solution"

    opened = pd.Series({s: (y[s].value() or 0) > 0.5 for s in sites}, name="open")
    rows = [
        (a, s, resource, demand[a] * (var.value() or 0.0), minutes[a, s])
        for (a, s), var in x.items()
        if (var.value() or 0.0) > 1e-9
    ]
    assignments = pd.DataFrame(rows, columns=["area", "site", "resource", "quantity", "minutes"])
    load = assignments.groupby("site")["quantity"].sum().reindex(sites, fill_value=0.0)
    site_table = pd.DataFrame(
        {
            "open": opened,
            "existing": problem.existing.reindex(sites).astype(bool),
            f"{resource}_before": capacity.where(problem.existing.reindex(sites), 0.0),
            f"{resource}_after": capacity.where(opened, 0.0),
            f"{resource}_load": load,
        }
    )
    unmet = pd.DataFrame(
        {resource: [demand[a] * (u[a].value() or 0.0) for a in areas]}, index=demand.index
    )
    unmet[resource] = np.clip(unmet[resource], 0.0, None)
    return Allocation(
        model="capacitated p-median",
        status=status,
        objective=float(pulp.value(model.objective) or 0.0),
        bound=None,
        gap=None,
        solver=options.solver,
        build_s=build_s,
        solve_s=solve_s,
        sites=site_table,
        assignments=assignments,
        unmet=unmet,
    )
