"""``solve(problem, options)``: the model named in the options, solved and independently checked."""

from __future__ import annotations

import dataclasses
import logging

from geoalloc.optimize._prepare import Indexed
from geoalloc.optimize.check import check_allocation
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import Allocation, AllocationProblem
from geoalloc.optimize.solvers import usable_solver_options

log = logging.getLogger(__name__)


def solve(problem: AllocationProblem, options: OptimizeOptions | None = None) -> Allocation:
    """Solve ``problem`` with the model named in ``options`` and check the answer.

    Parameters
    ----------
    problem
        The tables (see :class:`AllocationProblem`); pairs beyond ``options.max_minutes`` are
        ignored.
    options
        The ``[optimize]`` section; defaults to :class:`OptimizeOptions` ().

    Returns
    -------
    Allocation
        Status ``optimal`` (proven gap ≤ ``mip_gap``) or ``feasible`` (with ``gap``).
    """
    from geoalloc.optimize._prepare import prepare
    from geoalloc.optimize.capacitated import solve_capacitated
    from geoalloc.optimize.classic import (
        group_codes,
        solve_lscp,
        solve_mclp,
        solve_p_center,
        solve_p_median,
    )

    options = usable_solver_options(options or OptimizeOptions())
    standard = (
        options.max_minutes
        if options.model in ("lscp", "mclp", "capacitated", "p-median", "p-center")
        else None
    )
    ix = prepare(problem, max_minutes=standard)
    options, notes = fit_to_sites(ix, options)
    groups, _labels = group_codes(ix, problem.groups)
    if options.model == "lscp":
        allocation = solve_lscp(ix, options)
    elif options.model == "mclp":
        allocation = solve_mclp(ix, options, groups)
    elif options.model == "p-median":
        allocation = solve_p_median(ix, options)
    elif options.model == "p-center":
        allocation = solve_p_center(ix, options)
    else:
        allocation = solve_capacitated(ix, problem, options, groups)
    return checked(problem, options, allocation, notes)


def fit_to_sites(ix: Indexed, options: OptimizeOptions) -> tuple[OptimizeOptions, tuple[str, ...]]:
    """``options`` with ``p`` and ``add`` lowered to the sites ``ix`` has (e.g. an outage takes a
    site out of service: every site left is used), and the notes that say so."""
    notes: tuple[str, ...] = ()
    if options.p is not None and options.p > ix.m:
        notes = (f"p = {options.p} but only {ix.m} sites are given: all {ix.m} are used",)
        log.warning(notes[0])
        options = options.model_copy(update={"p": ix.m})
    kept = int(ix.existing.sum()) if options.existing == "keep" else 0
    if options.add is not None and kept + options.add > ix.m:
        notes = (
            f"add = {options.add} but only {ix.m - kept} candidate sites are given: all are used",
        )
        log.warning(notes[0])
        options = options.model_copy(update={"add": ix.m - kept})
    return options, notes


def checked(
    problem: AllocationProblem,
    options: OptimizeOptions,
    allocation: Allocation,
    notes: tuple[str, ...] = (),
) -> Allocation:
    """``allocation`` with ``notes`` put first, once :func:`check_allocation` passed it."""
    if notes:
        allocation = dataclasses.replace(allocation, notes=notes + allocation.notes)
    check_allocation(problem, options, allocation)
    log.info(
        "%s: %s, objective %.6g, bound %s, gap %s, build %.2f s, solve %.2f s",
        allocation.model,
        allocation.status,
        allocation.objective,
        allocation.bound,
        allocation.gap,
        allocation.build_s,
        allocation.solve_s,
    )
    return allocation
