"""The capacitated model built once and solved for many problems that differ only in numbers.

``geoalloc robust`` solves one capacitated problem per draw: the same areas, sites, options and
travel pairs each time, with other demand per area and the travel minutes divided by a speed
factor (so that pairs beyond the standard at that speed drop out). :func:`reusable_model` builds
the model once (:func:`~geoalloc.optimize.capacitated.build_capacitated`) on every pair any speed
factor can use, with demand in every area and resource, and finds where each number that changes
lives. :func:`model_for` then writes one problem's numbers into copies of its arrays — the costs,
the demand coefficients of the capacity rows, the expansion bounds, the equity floor's limits, the
minimax minutes — and leaves out the columns and rows that problem does not have (pairs beyond
its standard, (area, resource) units without demand, expansions bounded to 0).

What it gives is the model ``build_capacitated`` builds for that problem: the same columns, rows
and numbers in the same order, so the solver is handed the same model and returns the same plan.
:func:`solve_reused` solves, decodes and checks it (:func:`~geoalloc.optimize.check.check_allocation`,
against the problem's own tables) as :func:`~geoalloc.optimize.solve` does.

Not covered — :func:`reusable_model` returns None and logs why; solve each problem with
:func:`~geoalloc.optimize.solve`: single-source assignment (its capacity coefficients sit per
resource inside one shared column and come and go with demand) and models large enough for
:mod:`geoalloc.optimize.capacitated_scale`'s reduction. A problem that does not fit the model
(other areas, sites, capacity or costs, invalid numbers) is solved with ``solve`` too, with a log
line.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import sparse

from geoalloc._errors import GeoallocError
from geoalloc.optimize import _prepare, capacitated
from geoalloc.optimize._prepare import Indexed, may_close, site_values, sorted_ids
from geoalloc.optimize.capacitated import Layout, capacitated_goals, expansion_bounds
from geoalloc.optimize.capacitated_scale import reduction_applies
from geoalloc.optimize.classic import group_codes
from geoalloc.optimize.linear import LinearModel
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import Allocation, AllocationProblem
from geoalloc.optimize.solvers import usable_solver_options
from geoalloc.optimize.solving import checked, fit_to_sites, solve

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReusableModel:
    """A capacitated model built once on the widest pairs, and where its changing numbers live.

    Attributes
    ----------
    ix
        The widest problem's arrays (every pair, minutes at speed factor 1); its demand is a
        placeholder (1 everywhere), so the model has a column for every (pair, resource) and
        (area, resource).
    given
        The ``[optimize]`` options as given (a problem that does not fit is solved with them).
    options
        The options the model was built with (solver options made usable, ``p``/``add`` fitted to
        the sites) and ``notes`` that say what was fitted.
    groups
        Equity group code per area (None without groups).
    lm, lay
        The model and its layout (:func:`~geoalloc.optimize.capacitated.build_capacitated`).
    capacity_at, minimax_at
        Per ``x`` column: the position in ``lm.A.data`` of its demand coefficient in its capacity
        row, of its minutes in its minimax row (None without minimax).
    floor_at
        Per ``u`` column: the position of its demand in its group's floor row (None without one).
    link_x
        The ``x`` column of each row of the ``link`` block.
    expand_sites, expand_at
        Per expandable resource (its position): the sites of its ``expand_open`` rows and the
        positions of their ``−e_ub`` coefficients.
    """

    ix: Indexed
    given: OptimizeOptions
    options: OptimizeOptions
    notes: tuple[str, ...]
    groups: np.ndarray | None
    lm: LinearModel
    lay: Layout
    capacity_at: np.ndarray
    minimax_at: np.ndarray | None
    floor_at: np.ndarray | None
    link_x: np.ndarray
    expand_sites: dict[int, np.ndarray]
    expand_at: dict[int, np.ndarray]


def why_not_reusable(
    ix: Indexed, options: OptimizeOptions, groups: np.ndarray | None
) -> str | None:
    """Why problems like ``ix`` cannot share one built model (None when they can)."""
    if options.model != "capacitated":
        return f"model {options.model!r} (only the capacitated model is built once)"
    if options.single_source:
        return "single-source assignment (its capacity coefficients change with demand)"
    if reduction_applies(ix, options, groups):
        return "the model is large enough for the reduction of capacitated_scale"
    return None


def entry_positions(A: sparse.csr_array, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The positions in ``A.data`` of the entries ``(rows[i], cols[i])`` (each must exist; ``A``
    in canonical form: sorted indices, no duplicates)."""
    if not A.has_canonical_format:
        raise ValueError("entry_positions needs a canonical CSR matrix")
    n_cols = A.shape[1]
    row_of = np.repeat(np.arange(A.shape[0], dtype=np.int64), np.diff(A.indptr))
    keys = row_of * n_cols + A.indices.astype(np.int64)
    wanted = np.asarray(rows, dtype=np.int64) * n_cols + np.asarray(cols, dtype=np.int64)
    at = np.searchsorted(keys, wanted)
    if len(wanted) and (
        (at >= len(keys)).any() or (keys[np.minimum(at, len(keys) - 1)] != wanted).any()
    ):
        raise ValueError("entry_positions: an entry is not in the matrix")
    return at


def reusable_model(
    problem: AllocationProblem, options: OptimizeOptions | None = None
) -> ReusableModel | None:
    """Build the capacitated model once for every problem like ``problem``.

    Parameters
    ----------
    problem
        The widest problem: its ``od`` holds every pair any of the problems may use, with its
        minutes at speed factor 1 (pairs beyond the standard included: each problem drops its
        own, see :func:`model_for`). Its demand is not used.
    options
        The ``[optimize]`` section (``model = "capacitated"``).

    Returns
    -------
    ReusableModel or None
        None when the problems cannot share a model (:func:`why_not_reusable`) or the model
        cannot be built (an error :func:`~geoalloc.optimize.solve` reports for each problem);
        the reason is logged.
    """
    given = options or OptimizeOptions()
    usable = usable_solver_options(given)
    try:
        wide = _prepare.prepare(problem)
        usable, notes = fit_to_sites(wide, usable)
        groups, _labels = group_codes(wide, problem.groups)
        reason = why_not_reusable(wide, usable, groups)
        if reason is None:
            wide = replace(wide, demand=np.ones((wide.n, len(wide.resources))))
            lm, lay = capacitated.build_capacitated(wide, problem, usable, groups)
    except GeoallocError as exc:
        reason = f"it cannot be built ({exc})"
    if reason is not None:
        log.info("capacitated model built per problem, not once: %s", reason)
        return None
    return _locate(wide, given, usable, notes, groups, lm, lay)


def _locate(
    ix: Indexed,
    given: OptimizeOptions,
    options: OptimizeOptions,
    notes: tuple[str, ...],
    groups: np.ndarray | None,
    lm: LinearModel,
    lay: Layout,
) -> ReusableModel:
    """The :class:`ReusableModel` of a model built on ``ix`` (every unit demanded)."""
    R = len(ix.resources)
    A, blocks, row_blocks = lm.A, lm.blocks, lm.row_blocks
    x_cols = blocks["x"].start + np.arange(len(lay.xa))
    u_cols = blocks["u"].start + np.arange(len(lay.ua))
    capacity_at = entry_positions(A, row_blocks["capacity"].start + lay.xs * R + lay.xr, x_cols)
    x_unit = lay.xa * R + lay.xr  # every (area, resource) is a unit, in this order
    minimax_at = (
        entry_positions(A, row_blocks["minimax"].start + x_unit, x_cols)
        if "minimax" in row_blocks
        else None
    )
    floor_at = (
        entry_positions(A, row_blocks["floor"].start + groups[lay.ua], u_cols)
        if "floor" in row_blocks and groups is not None
        else None
    )
    closable = ~(ix.existing & (not may_close(options)))
    link_x = np.flatnonzero(closable[lay.xs])
    expand_sites: dict[int, np.ndarray] = {}
    expand_at: dict[int, np.ndarray] = {}
    for k in lay.expandable:
        name = f"expand_open_{ix.resources[k]}"
        if name not in row_blocks:
            continue
        sites = np.flatnonzero(closable & (lay.e_ub[:, k] > 0))
        expand_sites[k] = sites
        rows = row_blocks[name].start + np.arange(len(sites))
        expand_at[k] = entry_positions(A, rows, blocks["y"].start + sites)
    return ReusableModel(
        ix=ix,
        given=given,
        options=options,
        notes=notes,
        groups=groups,
        lm=lm,
        lay=lay,
        capacity_at=capacity_at,
        minimax_at=minimax_at,
        floor_at=floor_at,
        link_x=link_x,
        expand_sites=expand_sites,
        expand_at=expand_at,
    )


def _values(frame: pd.DataFrame, index: pd.Index, columns: list[str]) -> np.ndarray:
    """``frame.loc[index, columns]`` as floats (without the lookup when already in that order)."""
    if frame.index.equals(index) and list(frame.columns) == columns:
        return frame.to_numpy(dtype=float)
    return frame.loc[index, columns].to_numpy(dtype=float)


def _numbers(model: ReusableModel, problem: AllocationProblem) -> Indexed | None:
    """``problem``'s demand, population and priority on the model's areas and sites (pairs: the
    model's widest), or None when it does not fit the model or has invalid numbers."""
    wide = model.ix
    if list(problem.demand.columns) != wide.resources:
        return None
    areas, sites = sorted_ids(problem.demand.index), sorted_ids(problem.capacity.index)
    if not (areas.equals(wide.areas) and sites.equals(wide.sites)):
        return None
    demand = _values(problem.demand, areas, wide.resources)
    population = problem.population.reindex(areas).to_numpy(dtype=float)
    capacity = _values(problem.capacity, sites, wide.resources)
    existing = problem.existing.reindex(sites)
    if (
        not (np.isfinite(demand).all() and (demand >= 0).all())
        or not (np.isfinite(population).all() and (population >= 0).all())
        or not np.array_equal(capacity, wide.capacity)
        or existing.isna().any()
        or not np.array_equal(existing.to_numpy(dtype=bool), wide.existing)
        or (problem.priority is None) != (wide.priority is None)
    ):
        return None
    priority = None
    if problem.priority is not None:
        priority = pd.to_numeric(problem.priority.reindex(areas), errors="coerce").to_numpy(
            dtype=float
        )
        if not (np.isfinite(priority).all() and (priority >= 0).all()):
            return None
    ix = replace(wide, demand=demand, population=population, priority=priority)
    groups, _labels = group_codes(ix, problem.groups)
    if groups is None or model.groups is None:
        same_groups = groups is None and model.groups is None
    else:
        same_groups = np.array_equal(groups, model.groups)
    opening = site_values(ix, problem.opening_cost, "opening cost")
    operating = site_values(ix, problem.operating_cost, "operating cost")
    if not (
        same_groups
        and np.array_equal(opening, model.lay.opening)
        and np.array_equal(operating, model.lay.operating)
    ):
        return None
    return ix


def _sliced_blocks(blocks: dict[str, slice], keep: np.ndarray) -> dict[str, slice]:
    """``blocks`` once only the ``keep`` columns (or rows) are left."""
    before = np.concatenate([[0], np.cumsum(keep)])
    return {
        name: slice(int(before[block.start]), int(before[block.stop]))
        for name, block in blocks.items()
    }


def model_for(
    model: ReusableModel, problem: AllocationProblem, *, speed_factor: float = 1.0
) -> tuple[Indexed, LinearModel, Layout] | None:
    """The capacitated model of ``problem`` from the model built once: the same model
    :func:`~geoalloc.optimize.capacitated.build_capacitated` builds for it.

    Parameters
    ----------
    model
        From :func:`reusable_model`.
    problem
        One problem over the model's areas and sites (its demand, population, priority); its
        pairs are the model's widest pairs with their minutes divided by ``speed_factor``, those
        within the standard kept (``problem.od`` itself is not read: the check reads it).
    speed_factor
        The problem's travel minutes are the widest problem's divided by it.

    Returns
    -------
    (Indexed, LinearModel, Layout) or None
        The problem's arrays, its model and the model's layout; None when ``problem`` does not
        fit the model (see :func:`_numbers`) or needs an expansion the model has no row for.
    """
    ix = _numbers(model, problem)
    if ix is None:
        return None
    options, lm, lay = model.options, model.lm, model.lay
    blocks, row_blocks = lm.blocks, lm.row_blocks
    demand = ix.demand
    minutes = ix.minutes / speed_factor
    standard = options.max_minutes
    within = np.ones(len(minutes), dtype=bool) if standard is None else minutes <= standard
    ix = replace(
        ix,
        pair_area=ix.pair_area[within],
        pair_site=ix.pair_site[within],
        minutes=minutes[within],
    )
    x_minutes = lay.xt / speed_factor
    keep_x = demand[lay.xa, lay.xr] > 0
    if standard is not None:
        keep_x &= x_minutes <= standard
    keep_u = demand[lay.ua, lay.ur] > 0
    xa, xs, xr, xt = lay.xa[keep_x], lay.xs[keep_x], lay.xr[keep_x], x_minutes[keep_x]
    ua, ur = lay.ua[keep_u], lay.ur[keep_u]
    unit_d = demand[ua, ur]
    x_weighted_minutes = demand[xa, xr] * xt
    e_ub = expansion_bounds(ix, problem, options, demand.sum(axis=0))

    # the numbers, at their places in copies of the arrays
    c, col_hi = lm.c.copy(), lm.col_hi.copy()
    x_cols = blocks["x"].start + np.flatnonzero(keep_x)
    u_cols = blocks["u"].start + np.flatnonzero(keep_u)
    c[x_cols] = options.minutes_weight * x_weighted_minutes
    unit_penalty = options.unmet_penalty_minutes * unit_d
    if ix.priority is not None:
        unit_penalty = unit_penalty * ix.priority[ua]
    c[u_cols] = unit_penalty
    data = lm.A.data.copy()
    data[model.capacity_at] = demand[lay.xa, lay.xr]
    if model.minimax_at is not None:
        data[model.minimax_at] = x_minutes
    if model.floor_at is not None:
        data[model.floor_at] = demand[lay.ua, lay.ur]
    row_hi = lm.row_hi.copy()
    if "floor" in row_blocks and model.groups is not None and options.coverage_floor is not None:
        n_groups = int(model.groups.max()) + 1
        total = np.bincount(model.groups[ua], weights=unit_d, minlength=n_groups)
        row_hi[row_blocks["floor"]] = (1.0 - options.coverage_floor) * total

    # which columns and rows this problem has
    keep_cols = np.ones(lm.n_cols, dtype=bool)
    keep_cols[blocks["x"]] = keep_x
    keep_cols[blocks["u"]] = keep_u
    keep_rows = np.ones(lm.n_rows, dtype=bool)
    keep_rows[row_blocks["assign"]] = keep_u
    if "minimax" in row_blocks:
        keep_rows[row_blocks["minimax"]] = keep_u
    if "link" in row_blocks:
        keep_rows[row_blocks["link"]] = keep_x[model.link_x]
    closable = ~(ix.existing & (not may_close(options)))
    for k in lay.expandable:
        col_hi[blocks[f"e_{ix.resources[k]}"]] = e_ub[:, k]
        sites = model.expand_sites.get(k, np.zeros(0, dtype=np.int64))
        wanted = np.flatnonzero(closable & (e_ub[:, k] > 0))
        if not np.array_equal(wanted, sites[e_ub[sites, k] > 0]):
            return None  # an expansion row the model was not built with
        if k in model.expand_at:
            data[model.expand_at[k]] = -e_ub[sites, k]
            keep_rows[row_blocks[f"expand_open_{ix.resources[k]}"]] = e_ub[sites, k] > 0
    rows, cols = np.flatnonzero(keep_rows), np.flatnonzero(keep_cols)
    A = sparse.csr_array((data, lm.A.indices, lm.A.indptr), shape=lm.A.shape)[rows][:, cols]
    A.sort_indices()
    made = LinearModel(
        c=c[cols],
        col_lo=lm.col_lo[cols],
        col_hi=col_hi[cols],
        integer=lm.integer[cols],
        A=A,
        row_lo=lm.row_lo[rows],
        row_hi=row_hi[rows],
        blocks=_sliced_blocks(blocks, keep_cols),
        row_blocks={  # build_capacitated adds these blocks only when they have rows
            name: block
            for name, block in _sliced_blocks(row_blocks, keep_rows).items()
            if block.stop > block.start or not name.startswith(("link", "expand_open_"))
        },
        offset=lm.offset,
    )
    layout = replace(lay, xa=xa, xs=xs, xr=xr, xt=xt, ua=ua, ur=ur, e_ub=e_ub)
    goals = capacitated_goals(ix, made, layout, options, unmet=unit_d, travel=x_weighted_minutes)
    layout = replace(layout, goals=goals)
    return ix, made, layout


def solve_reused(
    model: ReusableModel, problem: AllocationProblem, *, speed_factor: float = 1.0
) -> Allocation:
    """Solve ``problem`` on the model built once: the plan :func:`~geoalloc.optimize.solve`
    gives for it, without building the model again.

    Parameters
    ----------
    model
        From :func:`reusable_model`.
    problem
        One problem over the model's pairs, minutes divided by ``speed_factor`` (see
        :func:`model_for`); its tables are what the plan is checked against.
    speed_factor
        The problem's travel minutes are the widest problem's divided by it.

    Returns
    -------
    Allocation
        As :func:`~geoalloc.optimize.solve` returns it; ``build_s`` is the time the model took to
        update.

    Raises
    ------
    InfeasibleError, SolverError, CheckError
        As :func:`~geoalloc.optimize.solve`.
    """
    started = time.perf_counter()
    made = model_for(model, problem, speed_factor=speed_factor)
    if made is None:
        log.info("the problem does not fit the model built once: solved on its own")
        return solve(problem, model.given)
    ix, lm, lay = made
    allocation = capacitated.solve_built(
        ix, problem, model.options, model.groups, lm, lay, time.perf_counter() - started
    )
    return checked(problem, model.options, allocation, model.notes)


__all__ = [
    "ReusableModel",
    "entry_positions",
    "model_for",
    "reusable_model",
    "solve_reused",
    "why_not_reusable",
]
