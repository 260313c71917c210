"""The two-stage plans of ``geoalloc robust``, in one place: every call the robust run makes to
:mod:`geoalloc.optimize.stochastic` goes through this module.

- :func:`first_stage_of` (:mod:`geoalloc.optimize.first_stage`): a solved plan's first stage
  (sites open, units added per resource);
- :func:`evaluate_plan`: a first stage fixed, the assignment solved on one draw (on the model
  :func:`evaluation_model` builds once for every draw);
- :func:`solve_sample_average`: the sample-average (extensive form) model over several draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoalloc.optimize.first_stage import FirstStage, first_stage_of
from geoalloc.optimize.problem import Allocation
from geoalloc.optimize.stochastic import (
    PlanOnDraw,
    evaluate_plan,
    evaluation_model,
    solve_sample_average,
)


def served_minutes(allocation: Allocation) -> float:
    """Σ units × minutes of a plan's assignments (the travel the served demand makes)."""
    served = allocation.assignments
    return float((served["quantity"] * served["minutes"]).sum()) if len(served) else 0.0


def unmet_array(unmet: pd.DataFrame, areas: pd.Index, resources: list[str]) -> np.ndarray:
    """Units unmet as an areas × resources array in the given order (missing: 0)."""
    return unmet.reindex(index=areas, columns=resources).fillna(0.0).to_numpy(dtype=float)


__all__ = [
    "FirstStage",
    "PlanOnDraw",
    "evaluate_plan",
    "evaluation_model",
    "first_stage_of",
    "served_minutes",
    "solve_sample_average",
    "unmet_array",
]
