"""The two-stage plans of ``geoalloc robust``, in one place: every call the robust run makes to
:mod:`geoalloc.optimize.stochastic` goes through this module.

- :func:`first_stage_of` (:mod:`geoalloc.optimize.first_stage`): a solved plan's first stage
  (sites open, units added per resource);
- :func:`evaluate_plan`: a first stage fixed, the assignment solved on one draw;
- :func:`solve_sample_average`: the sample-average (extensive form) model over several draws.

Until :mod:`geoalloc.optimize.stochastic` is part of geoalloc, :func:`evaluate_plan` is computed
here with :func:`geoalloc.optimize.solve` (the plan's sites fixed open at their capacity, nothing
else open, no expansion), and :func:`solve_sample_average` says that it needs that module.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geoalloc._errors import SolverError
from geoalloc.optimize import solve
from geoalloc.optimize.first_stage import FirstStage, first_stage_of
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import Allocation, AllocationProblem

#: whether the two-stage model of :mod:`geoalloc.optimize.stochastic` is available
HAS_STOCHASTIC = importlib.util.find_spec("geoalloc.optimize.stochastic") is not None

#: [optimize] keys that make a plan's first stage (sites, expansion) or that only the first stage
#: reads: a draw's assignment under a fixed plan is solved without them
_FIRST_STAGE_KEYS: dict[str, Any] = {
    "p": None,
    "add": None,
    "allow_closing": False,
    "cost_per_unit": {},
    "module_size": {},
    "max_added": {},
    "max_size_columns": {},
    "budget": None,
    "resource_budgets": {},
    "opening_cost_column": None,
    "operating_cost_column": None,
    "explain": False,
    "frontier_floors": None,
}


@dataclass(frozen=True)
class _PlanOnDraw:
    """A first stage on one draw: units unmet per area × resource, the served demand's minutes
    (Σ units × minutes), the solver's status and gap."""

    unmet: pd.DataFrame
    served_minutes: float
    status: str
    gap: float | None


def _evaluate_plan(
    problem: AllocationProblem, options: OptimizeOptions, plan: FirstStage
) -> _PlanOnDraw:
    opened = plan.opened.reindex(problem.capacity.index).fillna(False).astype(bool)
    sites = opened.index[opened.to_numpy()]
    added = plan.added.reindex(index=sites, columns=problem.resources).fillna(0.0)
    fixed = replace(
        problem,
        capacity=problem.capacity.loc[sites] + added,
        existing=pd.Series(True, index=sites),
        od=problem.od[problem.od["site"].isin(sites)].reset_index(drop=True),
        opening_cost=None,
        operating_cost=None,
        max_size=None,
    )
    allocation = solve(fixed, options.model_copy(update=_FIRST_STAGE_KEYS))
    unmet = allocation.unmet.reindex(index=problem.demand.index, columns=problem.resources)
    unmet = unmet.fillna(problem.demand)
    served = allocation.assignments
    minutes = float((served["quantity"] * served["minutes"]).sum()) if len(served) else 0.0
    return _PlanOnDraw(
        unmet=unmet, served_minutes=minutes, status=allocation.status, gap=allocation.gap
    )


def _solve_sample_average(problems: Sequence[AllocationProblem], options: OptimizeOptions) -> Any:
    msg = (
        "the robust plan needs the two-stage model of geoalloc.optimize.stochastic, which this "
        "geoalloc does not have — update geoalloc"
    )
    raise SolverError(msg)


if TYPE_CHECKING or HAS_STOCHASTIC:  # typed as the two-stage model's own
    from geoalloc.optimize.stochastic import (  # type: ignore[import-not-found,unused-ignore]
        PlanOnDraw,
        evaluate_plan,
        solve_sample_average,
    )
else:  # until it is part of geoalloc
    PlanOnDraw = _PlanOnDraw
    evaluate_plan = _evaluate_plan
    solve_sample_average = _solve_sample_average


def served_minutes(allocation: Allocation) -> float:
    """Σ units × minutes of a plan's assignments (the travel the served demand makes)."""
    served = allocation.assignments
    return float((served["quantity"] * served["minutes"]).sum()) if len(served) else 0.0


def unmet_array(unmet: pd.DataFrame, areas: pd.Index, resources: list[str]) -> np.ndarray:
    """Units unmet as an areas × resources array in the given order (missing: 0)."""
    return unmet.reindex(index=areas, columns=resources).fillna(0.0).to_numpy(dtype=float)


__all__ = [
    "HAS_STOCHASTIC",
    "FirstStage",
    "PlanOnDraw",
    "evaluate_plan",
    "first_stage_of",
    "served_minutes",
    "solve_sample_average",
    "unmet_array",
]
