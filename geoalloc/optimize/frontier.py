"""The equity–efficiency frontier: a short series of solves with rising coverage floors."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from geoalloc._errors import InfeasibleError, InputError, SolverError
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import AllocationProblem

log = logging.getLogger(__name__)

DEFAULT_FLOORS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0)


def frontier(
    problem: AllocationProblem, options: OptimizeOptions, floors: list[float] | None = None
) -> pd.DataFrame:
    """Solve once per coverage floor and report mean minutes vs worst-group coverage.

    Parameters
    ----------
    problem
        Must carry ``groups`` (the equity group of each area).
    options
        The ``[optimize]`` section; ``model`` must be ``capacitated`` or ``mclp``.
    floors
        Coverage floors (0–1); default ``options.frontier_floors`` or 0, 0.5 … 1.

    Returns
    -------
    DataFrame
        One row per floor: ``floor``, ``status``, ``objective``, ``mean_minutes`` (demand-weighted,
        over served demand), ``worst_group_coverage`` (share of a group's demand served within
        the standard, the lowest group), ``unmet`` (units, all resources).
    """
    from geoalloc.optimize.solving import solve

    if problem.groups is None:
        msg = "the frontier needs equity groups — set [optimize] equity_group_column"
        raise InputError(msg)
    if options.model not in ("capacitated", "mclp"):
        msg = f"the frontier runs the capacitated or mclp model, not {options.model!r}"
        raise InputError(msg)
    floors = list(floors or options.frontier_floors or DEFAULT_FLOORS)
    rows = []
    demand = problem.demand
    groups = problem.groups.reindex(demand.index)
    for floor in floors:
        opts = options.model_copy(update={"coverage_floor": float(floor)})
        try:
            alloc = solve(problem, opts)
        except (InfeasibleError, SolverError) as exc:
            rows.append(
                {
                    "floor": floor,
                    "status": "infeasible" if isinstance(exc, InfeasibleError) else "no_solution",
                    "objective": np.nan,
                    "mean_minutes": np.nan,
                    "worst_group_coverage": np.nan,
                    "unmet": np.nan,
                }
            )
            continue
        asg = alloc.assignments
        q = asg["quantity"].sum()
        mean = float((asg["quantity"] * asg["minutes"]).sum() / q) if q > 0 else np.nan
        served = asg.groupby("area")["quantity"].sum().reindex(demand.index).fillna(0.0)
        if options.model == "mclp":
            w = (
                demand.iloc[:, 0]
                if options.weight == "demand"
                else problem.population.reindex(demand.index)
            )
            covered = w.where(demand.index.isin(asg["area"]), 0.0)
            share = covered.groupby(groups).sum() / w.groupby(groups).sum()
        else:
            share = served.groupby(groups).sum() / demand.sum(axis=1).groupby(groups).sum()
        rows.append(
            {
                "floor": floor,
                "status": alloc.status,
                "objective": alloc.objective,
                "mean_minutes": mean,
                "worst_group_coverage": float(share.min()),
                "unmet": float(alloc.unmet.to_numpy().sum()),
            }
        )
    return pd.DataFrame(rows)
