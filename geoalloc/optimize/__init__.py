"""Facility-location and capacity-allocation models.

``solve(problem, options)`` runs the model named in ``options.model`` (``lscp``, ``mclp``,
``p-median``, ``p-center`` or ``capacitated``), checks the answer independently
(:func:`check_allocation`) and returns a frozen :class:`Allocation` whose status comes from the
solver's proven bound. It raises :class:`~geoalloc._errors.InfeasibleError` (with reasons) when
no plan exists and :class:`~geoalloc._errors.SolverError` when there is no solver or no solution
in time.

With your own travel-minutes matrix, the classic models are classes in spopt's shape:
``PMedian.from_cost_matrix(minutes, weights, p=3).solve(solver="highs")`` returns the same
:class:`Allocation` (also :class:`LSCP`, :class:`MCLP`, :class:`PCenter`).
"""

from __future__ import annotations

from geoalloc.optimize.check import CheckError, check_allocation
from geoalloc.optimize.from_inputs import problem_from_inputs
from geoalloc.optimize.frontier import frontier
from geoalloc.optimize.models import LSCP, MCLP, LocationModel, PCenter, PMedian
from geoalloc.optimize.options import Coupling, OptimizeOptions
from geoalloc.optimize.problem import Allocation, AllocationProblem, SolveOutcome
from geoalloc.optimize.solvers import available_solvers
from geoalloc.optimize.solving import solve

__all__ = [
    "Allocation",
    "AllocationProblem",
    "CheckError",
    "Coupling",
    "LSCP",
    "LocationModel",
    "MCLP",
    "OptimizeOptions",
    "PCenter",
    "PMedian",
    "SolveOutcome",
    "available_solvers",
    "check_allocation",
    "frontier",
    "problem_from_inputs",
    "solve",
]
