"""Facility-location and capacity-allocation models."""

from geoalloc.optimize.capacitated import solve_capacitated_pmedian
from geoalloc.optimize.from_inputs import problem_from_inputs
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import Allocation, AllocationProblem
from geoalloc.optimize.solvers import available_solvers


def solve(problem: AllocationProblem, options: OptimizeOptions) -> Allocation:
    """Solve ``problem`` with the model named in ``options``."""
    return solve_capacitated_pmedian(problem, options)


__all__ = [
    "Allocation",
    "AllocationProblem",
    "OptimizeOptions",
    "available_solvers",
    "problem_from_inputs",
    "solve",
]
