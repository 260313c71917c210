"""Plans under uncertainty: the sample-average (two-stage) capacitated model, and a fixed plan's
best assignment under one draw.

A *draw* is one plausible future: an :class:`AllocationProblem` with the same areas, sites,
resources, capacities, existing flags and costs as every other draw, and its own demand and
travel pairs (a draw of population, admission rates, LOS, speeds …).

First stage, shared by every draw (the plan): ``y_j`` site open and ``e_jr`` modules added.
Second stage, per draw ``k`` (how the plan is used in that future): ``x^k``, ``u^k`` and, with
``minimax_weight``, ``W^k``.

The sample-average model (extensive form, :func:`solve_sample_average`)
    The capacitated model of each draw (:func:`~geoalloc.optimize.capacitated.build_capacitated`,
    every option of it), stacked block-diagonally with the ``y`` and ``e_r`` columns merged into
    one shared set. Rows that touch only those columns (``budget``, ``budget_r``, ``p``,
    couplings, expansion only where open) are the same in every draw and kept once; every other
    row (assignment, capacity, linking, equity floor, minimax) is kept per draw, so equity floors
    hold in every draw. The expansion bound ``⌈demand / module⌉`` uses the largest total demand
    over the draws, the same for all.

    ``objective = "lexicographic"``: each goal is the mean over the draws of that draw's goal —
    expected unmet demand, then cost (the same in every draw), then new sites, then expected
    travel. ``objective = "weighted"``: the mean of the draws' weighted objectives.

A fixed plan on one draw (:func:`evaluate_plan`)
    The same capacitated model with ``y`` and ``e`` pinned to the plan: the least unmet demand,
    then the least travel (or the weighted objective), the plan can reach under that draw's
    demand and pairs. Unmet demand is always allowed there (what the plan leaves unmet is the
    measure), and rows on the plan alone (budgets, ``p``, couplings) are not imposed: the plan is
    taken as given.

Statuses come from the solver's proven gaps, as everywhere in :mod:`geoalloc.optimize`; every
draw's assignment is checked independently (:func:`~geoalloc.optimize.check.check_allocation`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import sparse

from geoalloc._errors import InfeasibleError, InputError, SolverError
from geoalloc._validate import format_ids
from geoalloc.optimize._prepare import Indexed, prepare
from geoalloc.optimize.capacitated import (
    Layout,
    build_capacitated,
    capacitated_sites,
    decode_solution,
    diagnose,
    objective_detail,
    plan_costs,
    solved_outcome,
)
from geoalloc.optimize.capacitated_reuse import ReusableModel, model_for, reusable_model
from geoalloc.optimize.check import check_allocation
from geoalloc.optimize.classic import group_codes
from geoalloc.optimize.first_stage import FirstStage, plan_arrays
from geoalloc.optimize.lexicographic import Goal, solve_lexicographic
from geoalloc.optimize.linear import (
    LinearModel,
    RawSolution,
    exact_dot,
    solve_with_options,
)
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import Allocation, AllocationProblem, SolveOutcome
from geoalloc.optimize.solvers import usable_solver_options

log = logging.getLogger(__name__)

#: seconds each draw alone gets when an infeasible sample-average model is explained
DIAGNOSE_LIMIT_S = 30.0


@dataclass(frozen=True)
class PlanOnDraw:
    """One plan under one draw's demand and travel.

    Attributes
    ----------
    unmet
        Index: area id. Columns: resources. Units of demand the plan leaves unmet in that draw.
    served_minutes
        ``Σ quantity × minutes`` of the assignment (demand-weighted minutes, e.g. bed-minutes).
    status
        ``optimal`` (every level proven within ``mip_gap``) or ``feasible`` (see ``gap``).
    gap
        The worst proven relative gap of the levels (None when one proved none).
    notes
        What the user should know, e.g. an equity floor the plan cannot keep in this draw.
    """

    unmet: pd.DataFrame
    served_minutes: float
    status: str
    gap: float | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SampleAveragePlan:
    """The plan of the sample-average model and its figures over the draws it was solved for.

    Attributes
    ----------
    plan
        The first stage: sites open and units added, shared by every draw.
    expected_unmet
        Mean over the draws of the units left unmet (summed over areas and resources).
    unmet_per_draw
        Per draw (in the order given): index area id, columns resources, units left unmet.
    outcome
        Status, objective (the last level's value, or the weighted objective), bound and gap as
        the solver proved them, never a claim.
    n_draws
        Number of draws in the model.
    columns, rows
        Size of the stacked model.
    levels
        The lexicographic levels' records (``key``, ``label``, ``unit``, ``value``, ``bound``,
        ``gap``, ``status``); empty with the weighted objective.
    notes
        What the user should know (model size, options adjusted).
    """

    plan: FirstStage
    expected_unmet: float
    unmet_per_draw: list[pd.DataFrame]
    outcome: SolveOutcome
    n_draws: int
    columns: int
    rows: int
    levels: list[dict]
    notes: tuple[str, ...] = ()


# ------------------------------------------------------------------------------------ options


def _usable(options: OptimizeOptions | None) -> OptimizeOptions:
    """``options`` checked for a robust plan: the capacitated model, without per-plan outputs."""
    options = options or OptimizeOptions(model="capacitated")
    if options.model != "capacitated":
        msg = (
            f"[optimize] model = {options.model!r}: robust plans use the capacitated model — set "
            'model = "capacitated" (its sites, capacity and unmet demand are what the draws vary)'
        )
        raise InputError(msg)
    refused = []
    if options.explain:
        refused.append(
            "explain = true: dual prices and the why-this-site table describe one plan in one "
            "future, not a plan over many draws — remove it (a planning run of one draw gives them)"
        )
    if options.frontier_floors is not None:
        refused.append(
            "frontier_floors: the equity–efficiency frontier is a sweep of planning runs, not a "
            "robust plan — remove it (or run `geoalloc frontier` on the scenario)"
        )
    if refused:
        raise InputError([f"[optimize] {text}" for text in refused])
    return usable_solver_options(options)


def _fit_p(options: OptimizeOptions, m: int) -> tuple[OptimizeOptions, tuple[str, ...]]:
    """``p`` above the number of sites keeps every site, as :func:`~geoalloc.optimize.solve`."""
    if options.p is not None and options.p > m:
        note = f"p = {options.p} but only {m} sites are given: all {m} are used"
        log.warning(note)
        return options.model_copy(update={"p": m}), (note,)
    return options, ()


# ------------------------------------------------------------------------------------- draws


@dataclass(frozen=True)
class _Draw:
    """One draw's capacitated model and what it takes to decode and check it."""

    problem: AllocationProblem
    ix: Indexed
    groups: np.ndarray | None
    lm: LinearModel
    lay: Layout


def _first_stage_blocks(lm: LinearModel) -> list[str]:
    """The column blocks of the first stage: ``y`` and every ``e_<resource>``."""
    return [name for name in lm.blocks if name == "y" or name.startswith("e_")]


def _first_stage_mask(lm: LinearModel) -> np.ndarray:
    mask = np.zeros(lm.n_cols, dtype=bool)
    for name in _first_stage_blocks(lm):
        mask[lm.blocks[name]] = True
    return mask


def _same_table(a: pd.Series | pd.DataFrame | None, b: pd.Series | pd.DataFrame | None) -> bool:
    """Whether two tables keyed by id hold the same values (order of rows aside)."""
    if a is None or b is None:
        return a is None and b is None
    fa, fb = pd.DataFrame(a), pd.DataFrame(b)
    if set(fa.index) != set(fb.index) or list(fa.columns) != list(fb.columns):
        return False
    va = fa.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    vb = fb.reindex(fa.index).apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    return bool(np.array_equal(va, vb, equal_nan=True))


def _check_shared(problems: Sequence[AllocationProblem]) -> None:
    """Every draw has the first draw's areas, sites, resources, capacities, flags and costs."""
    first = problems[0]
    areas = set(first.demand.index)
    differ: list[str] = []
    for k, p in enumerate(problems[1:], start=1):
        what = [
            name
            for name, same in (
                ("resources", list(p.demand.columns) == first.resources),
                ("areas", set(p.demand.index) == areas),
                ("capacity", _same_table(p.capacity, first.capacity)),
                ("existing flags", _same_table(p.existing, first.existing)),
                ("opening costs", _same_table(p.opening_cost, first.opening_cost)),
                ("operating costs", _same_table(p.operating_cost, first.operating_cost)),
                ("maximum sizes", _same_table(p.max_size, first.max_size)),
            )
            if not same
        ]
        if what:
            differ.append(f"draw {k}: {', '.join(what)}")
    if differ:
        msg = (
            "the draws of a robust plan share areas, sites, resources, capacities, existing "
            "flags and costs (they differ only in demand and travel), but these differ from "
            "draw 0: " + "; ".join(differ[:10]) + (" …" if len(differ) > 10 else "")
        )
        raise InputError(msg)


def _build_draws(
    problems: Sequence[AllocationProblem], options: OptimizeOptions
) -> tuple[list[_Draw], OptimizeOptions, tuple[str, ...]]:
    indexed = [prepare(p, max_minutes=options.max_minutes) for p in problems]
    options, notes = _fit_p(options, indexed[0].m)
    expansion_demand = np.max([ix.demand.sum(axis=0) for ix in indexed], axis=0)
    draws = []
    for p, ix in zip(problems, indexed, strict=True):
        groups, _labels = group_codes(ix, p.groups)
        lm, lay = build_capacitated(ix, p, options, groups, expansion_demand=expansion_demand)
        draws.append(_Draw(p, ix, groups, lm, lay))
    return draws, options, notes


# ---------------------------------------------------------------------------------- stacking


@dataclass(frozen=True)
class _Stacked:
    lm: LinearModel
    colmaps: list[np.ndarray]  # per draw: global column of each of its model's columns


def _coo(A: sparse.csr_array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    return rows, A.indices.astype(np.int64), np.asarray(A.data, dtype=float)


def _mean_vector(
    draws: Sequence[_Draw], colmaps: list[np.ndarray], n_cols: int, vectors
) -> np.ndarray:
    """``Σ_k v_k / K`` over the stacked columns, ``v_k`` a vector over draw k's model."""
    out = np.zeros(n_cols)
    for colmap, v in zip(colmaps, vectors, strict=True):
        np.add.at(out, colmap, np.asarray(v, dtype=float) / len(draws))
    return out


def _stack(draws: Sequence[_Draw]) -> _Stacked:
    """The draws' models as one: draw 0's model as it is, then each further draw's second-stage
    columns and rows, its first-stage columns mapped onto draw 0's. The costs ``c`` are the mean
    of the draws' (the weighted objective's expectation)."""
    base = draws[0].lm
    first_names = _first_stage_blocks(base)
    lo0, hi0 = base.col_lo.copy(), base.col_hi.copy()
    own_lo: list[np.ndarray] = []
    own_hi: list[np.ndarray] = []
    own_int: list[np.ndarray] = []
    r0, c0, v0 = _coo(base.A)
    rows, cols, vals = [r0], [c0], [v0]
    row_lo, row_hi = [base.row_lo], [base.row_hi]
    blocks = {name if name in first_names else f"{name}[0]": sl for name, sl in base.blocks.items()}
    row_blocks = {f"{name}[0]": sl for name, sl in base.row_blocks.items()}
    colmaps = [np.arange(base.n_cols)]
    n_cols, n_rows = base.n_cols, base.n_rows
    for k, draw in enumerate(draws[1:], start=1):
        lm = draw.lm
        if _first_stage_blocks(lm) != first_names:  # pragma: no cover - _check_shared's job
            msg = f"draw {k}'s model has other first-stage columns than draw 0's"
            raise RuntimeError(msg)
        own = ~_first_stage_mask(lm)
        colmap = np.empty(lm.n_cols, dtype=np.int64)
        for name in first_names:
            colmap[lm.blocks[name]] = np.arange(base.n_cols)[base.blocks[name]]
        colmap[own] = n_cols + np.arange(int(own.sum()))
        # each draw's bounds on the shared columns hold too (the same when built alike)
        shared = colmap[~own]
        lo0[shared] = np.maximum(lo0[shared], lm.col_lo[~own])
        hi0[shared] = np.minimum(hi0[shared], lm.col_hi[~own])
        own_lo.append(lm.col_lo[own])
        own_hi.append(lm.col_hi[own])
        own_int.append(lm.integer[own])
        for name, sl in lm.blocks.items():
            if name not in first_names:
                width = sl.stop - sl.start
                start = int(colmap[sl.start]) if width else n_cols
                blocks[f"{name}[{k}]"] = slice(start, start + width)
        n_cols += int(own.sum())
        for name, sl in lm.row_blocks.items():
            height = sl.stop - sl.start
            r, col, v = _coo(lm.A[sl])
            mapped = colmap[col]
            if name in base.row_blocks and not own[col].any():
                # rows on the first stage alone: kept once where draw 0 has the very same rows
                bsl = base.row_blocks[name]
                if (
                    bsl.stop - bsl.start == height
                    and np.array_equal(base.row_lo[bsl], lm.row_lo[sl])
                    and np.array_equal(base.row_hi[bsl], lm.row_hi[sl])
                    and (
                        base.A[bsl]
                        != sparse.csr_array((v, (r, mapped)), shape=(height, base.n_cols))
                    ).nnz
                    == 0
                ):
                    continue
            rows.append(r + n_rows)
            cols.append(mapped)
            vals.append(v)
            row_lo.append(lm.row_lo[sl])
            row_hi.append(lm.row_hi[sl])
            row_blocks[f"{name}[{k}]"] = slice(n_rows, n_rows + height)
            n_rows += height
        colmaps.append(colmap)
    A = sparse.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_rows, n_cols),
    )
    A.sum_duplicates()
    lm = LinearModel(
        c=_mean_vector(draws, colmaps, n_cols, [d.lm.c for d in draws]),
        col_lo=np.concatenate([lo0, *own_lo]),
        col_hi=np.concatenate([hi0, *own_hi]),
        integer=np.concatenate([base.integer, *own_int]),
        A=A,
        row_lo=np.concatenate(row_lo),
        row_hi=np.concatenate(row_hi),
        blocks=blocks,
        row_blocks=row_blocks,
    )
    return _Stacked(lm, colmaps)


def _mean_goals(draws: Sequence[_Draw], stacked: _Stacked) -> list[Goal]:
    """Each lexicographic goal as the mean over the draws of that draw's goal."""
    K = len(draws)
    goals = []
    for level, goal in enumerate(draws[0].lay.goals):
        c = _mean_vector(
            draws, stacked.colmaps, stacked.lm.n_cols, [d.lay.goals[level].c for d in draws]
        )
        label = goal.label if K == 1 else f"{goal.label}, mean over the {K} draws"
        goals.append(Goal(goal.key, label, goal.unit, c))
    return goals


# ------------------------------------------------------------------------------- decode, check


def _draw_allocation(
    draw: _Draw,
    x: np.ndarray,
    options: OptimizeOptions,
    outcome: SolveOutcome,
    levels: list[dict] | None,
) -> tuple[Allocation, np.ndarray, np.ndarray]:
    """One draw's plan as an :class:`Allocation` (for the independent check), with the opened
    (m,) and added (m, R) arrays."""
    ix, lm, lay = draw.ix, draw.lm, draw.lay
    opened, added, after, assignments, load, unmet = decode_solution(ix, lm, lay, x)
    allocation = Allocation(
        model="capacitated",
        outcome=outcome,
        objective_detail=objective_detail(options, ix.resources, levels),
        sites=capacitated_sites(ix, lay, opened, after, load, added),
        assignments=assignments,
        unmet=unmet,
        costs=plan_costs(ix, lay, opened, added),
    )
    return allocation, opened, added


def _in_sample(
    draw: _Draw,
    x: np.ndarray,
    options: OptimizeOptions,
    outcome: SolveOutcome,
    lexicographic: bool,
    *,
    check: bool,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """One draw's part of the sample-average solution (checked independently with ``check``):
    its unmet table, opened and added. Its own objective (and level values) are stated for the
    check."""
    levels: list[dict] | None
    if lexicographic:
        values = {g.key: exact_dot(g.c, x) for g in draw.lay.goals}
        levels = [{"key": key, "value": value} for key, value in values.items()]
        objective = values["travel"]
    else:
        levels = None
        objective = exact_dot(draw.lm.c, x) + draw.lm.offset
    own = replace(outcome, objective=objective, bound=None, gap=None)
    allocation, opened, added = _draw_allocation(draw, x, options, own, levels)
    if check:
        check_allocation(draw.problem, options, allocation)
    return allocation.unmet, opened, added


def _first_stage(ix: Indexed, opened: np.ndarray, added: np.ndarray) -> FirstStage:
    opened_s = pd.Series(opened.astype(bool), index=ix.sites, name="open")
    added_df = pd.DataFrame(added + 0.0, index=ix.sites, columns=ix.resources)  # no -0.0
    opened_s.index.name = added_df.index.name = "site"
    return FirstStage(opened=opened_s, added=added_df)


# ------------------------------------------------------------------------------ infeasibility


def _why_infeasible(draws: Sequence[_Draw], options: OptimizeOptions) -> list[str]:
    """Which draws have no plan even alone (each solved for feasibility only), and why the first
    of them has none; else that no one plan serves them all."""
    limit = min(options.time_limit_s, DIAGNOSE_LIMIT_S)
    alone = []
    for k, draw in enumerate(draws):
        raw = solve_with_options(
            replace(draw.lm, c=np.zeros(draw.lm.n_cols), offset=0.0),
            options,
            time_limit_s=limit,
            hard_limit_s=1.25 * limit + 5.0,
        )
        if raw.outcome == "infeasible":
            alone.append(k)
    if not alone:
        return [
            f"each of the {len(draws)} draws alone has a plan, but no one plan of open sites "
            "and added capacity serves them all within the constraints (allow_unmet = false, "
            "the equity floor, p, the budgets) — allow unmet demand, lower the floor or raise "
            "the budget"
        ]
    first = draws[alone[0]]
    reasons = diagnose(first.ix, first.problem, options, first.groups, first.lay)
    return [
        f"draw(s) {format_ids(alone)} (positions in the list of draws, from 0) have no plan "
        "even alone",
        *(f"draw {alone[0]}: {reason}" for reason in reasons),
    ]


# ------------------------------------------------------------------------------ sample average


def solve_sample_average(
    problems: Sequence[AllocationProblem],
    options: OptimizeOptions | None = None,
    *,
    check: bool = True,
) -> SampleAveragePlan:
    """The plan that is best on average over ``problems``: the two-stage sample-average model.

    Parameters
    ----------
    problems
        The draws, each a plausible future. They share areas, sites, resources, capacities,
        existing flags and costs; they differ in demand and travel pairs / minutes.
    options
        The ``[optimize]`` section; ``model`` must be ``capacitated``. Every option of that model
        applies (floors and minimax per draw, budgets, ``p`` and couplings on the shared plan),
        but ``explain`` and ``frontier_floors``, which are refused.
    check
        Check every draw's assignment independently
        (:func:`~geoalloc.optimize.check.check_allocation`: pairs, capacity, allocated + unmet =
        demand, budgets, floors, each level's value). About 0.2 s a draw on the Chicago tracts.

    Returns
    -------
    SampleAveragePlan
        The shared plan, its expected unmet demand and each draw's unmet table, the solver's
        outcome and the model's size.

    Raises
    ------
    InputError
        Another model, a refused option, no draws, or draws that differ in what they share.
    InfeasibleError
        No plan satisfies every draw's constraints (naming the draws that have none even alone).
    SolverError
        No solution within the time limit.
    """
    options = _usable(options)
    if not problems:
        msg = "solve_sample_average: no draws given — give at least one problem"
        raise InputError(msg)
    _check_shared(problems)
    started = time.perf_counter()
    draws, options, notes = _build_draws(problems, options)
    stacked = _stack(draws)
    lm = stacked.lm
    build_s = time.perf_counter() - started
    log.info(
        "sample-average model: %d draws, %d columns, %d rows, %d non-zeros, built in %.2f s",
        len(draws),
        lm.n_cols,
        lm.n_rows,
        lm.A.nnz,
        build_s,
    )
    lexicographic = options.objective == "lexicographic"
    raw: RawSolution
    if lexicographic:
        raw, level_results = solve_lexicographic(lm, _mean_goals(draws, stacked), options)
    else:
        raw, level_results = solve_with_options(lm, options), []
    if raw.proven_infeasible:
        raise InfeasibleError(_why_infeasible(draws, options))
    if raw.x is None:
        msg = (
            f"sample-average model ({len(draws)} draws): no solution within "
            f"{options.time_limit_s:g} s (solver said {raw.solver_label!r}) — raise "
            "time_limit_s, loosen mip_gap or use fewer draws"
        )
        raise SolverError(msg)
    outcome = solved_outcome(raw, level_results, options, build_s)
    unmet_per_draw = []
    plan = None
    for draw, colmap in zip(draws, stacked.colmaps, strict=True):
        unmet, opened, added = _in_sample(
            draw, raw.x[colmap], options, outcome, lexicographic, check=check
        )
        unmet_per_draw.append(unmet)
        if plan is None:
            plan = _first_stage(draw.ix, opened, added)
    assert plan is not None
    expected = float(np.mean([u.to_numpy().sum() for u in unmet_per_draw]))
    notes = (
        *notes,
        f"sample-average model: {len(draws)} draws, {lm.n_cols} columns, {lm.n_rows} rows, "
        f"{lm.A.nnz} non-zeros",
    )
    return SampleAveragePlan(
        plan=plan,
        expected_unmet=expected,
        unmet_per_draw=unmet_per_draw,
        outcome=outcome,
        n_draws=len(draws),
        columns=lm.n_cols,
        rows=lm.n_rows,
        levels=[level.record() for level in level_results],
        notes=notes,
    )


# ------------------------------------------------------------------------------ a fixed plan


def _pinned(lm: LinearModel, lay: Layout, ix: Indexed, opened: np.ndarray, added: np.ndarray):
    """``lm`` with ``y`` and ``e`` fixed to the plan (continuous: nothing left to branch on) and
    the rows on them alone dropped (the plan is taken as given)."""
    lo, hi, integer = lm.col_lo.copy(), lm.col_hi.copy(), lm.integer.copy()
    y = lm.blocks["y"]
    lo[y] = hi[y] = opened.astype(float)
    integer[y] = False
    for k in lay.expandable:
        e = lm.blocks[f"e_{ix.resources[k]}"]
        lo[e] = hi[e] = added[:, k] / lay.module[k]
        integer[e] = False
    first = _first_stage_mask(lm)
    keep_rows = np.ones(lm.n_rows, dtype=bool)
    row_blocks: dict[str, slice] = {}
    n = 0
    for name, sl in lm.row_blocks.items():
        _r, col, _v = _coo(lm.A[sl])
        if first[col].all():
            keep_rows[sl] = False
            continue
        row_blocks[name] = slice(n, n + sl.stop - sl.start)
        n += sl.stop - sl.start
    return replace(
        lm,
        col_lo=lo,
        col_hi=hi,
        integer=integer,
        A=lm.A[keep_rows],
        row_lo=lm.row_lo[keep_rows],
        row_hi=lm.row_hi[keep_rows],
        row_blocks=row_blocks,
    )


def evaluate_plan(
    problem: AllocationProblem,
    options: OptimizeOptions | None,
    plan: FirstStage,
    *,
    check: bool = True,
    model: ReusableModel | None = None,
    speed_factor: float = 1.0,
) -> PlanOnDraw:
    """The same capacitated model with the first stage fixed (y and e bounds pinned to the plan):
    the least unmet demand, then the least travel, this plan can achieve under ``problem``'s
    demand and pairs.

    Parameters
    ----------
    problem
        One draw (or any problem over the plan's sites).
    options
        The ``[optimize]`` section the plan was made with (``model = "capacitated"``). Its
        objective ranks the assignments (``weighted``: the weighted sum, the plan's costs
        constant). Unmet demand is allowed whatever ``allow_unmet`` says, and the plan's own
        constraints (budgets, ``p``, couplings, ``max_added``) are not imposed: the plan is
        taken as given. An equity floor the plan cannot keep in this draw is dropped, with a note.
    plan
        Sites open and units added (:func:`first_stage_of`, :attr:`SampleAveragePlan.plan`).
    check
        Check the assignment independently (:func:`~geoalloc.optimize.check.check_allocation`);
        about 0.2 s on the Chicago tracts, a third of the evaluation.
    model
        The model built once for every draw (:func:`evaluation_model`): ``problem``'s model is
        then written into it (:func:`~geoalloc.optimize.capacitated_reuse.model_for`, the model a
        build gives) instead of built. Without it, or when ``problem`` does not fit it, the model
        is built.
    speed_factor
        With ``model``: ``problem``'s travel minutes are the widest problem's divided by it.

    Returns
    -------
    PlanOnDraw

    Raises
    ------
    InputError
        A site of the plan missing from ``problem`` (or a site of ``problem`` the plan does not
        list), units added where the options expand nothing or at a closed site.
    """
    options = _usable(options)
    made = None if model is None else model_for(model, problem, speed_factor=speed_factor)
    if model is not None and made is None:
        log.info("the draw does not fit the evaluation model built once: its model is built")
    ix = prepare(problem, max_minutes=options.max_minutes) if made is None else made[0]
    opened, added, _notes = plan_arrays(ix, plan, options)
    groups, _labels = group_codes(ix, problem.groups)
    given = _evaluation_options(options)
    checked_problem = replace(problem, max_size=None)  # the plan's sizes are the plan's
    notes: tuple[str, ...] = ()
    solved = _solve_fixed(ix, problem, given, groups, opened, added, made=made)
    if solved is None and groups is not None and given.coverage_floor is not None:
        note = (
            f"the plan cannot keep the equity floor {given.coverage_floor:.1%} in this draw: "
            "its unmet demand is measured without it"
        )
        log.info(note)
        notes = (note,)
        given = given.model_copy(update={"coverage_floor": None})
        solved = _solve_fixed(ix, problem, given, None, opened, added)
    if solved is None:  # pragma: no cover - unmet demand is allowed: some assignment exists
        msg = "the plan has no assignment in this draw, even with unmet demand allowed"
        raise InfeasibleError(msg)
    draw, x, outcome, levels = solved
    allocation, _opened, _added = _draw_allocation(draw, x, given, outcome, levels)
    if check:
        check_allocation(checked_problem, given, allocation)
    assignments = allocation.assignments
    served_minutes = (
        float((assignments["quantity"] * assignments["minutes"]).sum()) if len(assignments) else 0.0
    )
    return PlanOnDraw(
        unmet=allocation.unmet,
        served_minutes=served_minutes,
        status=outcome.status,
        gap=outcome.gap,
        notes=notes,
    )


def _evaluation_options(options: OptimizeOptions) -> OptimizeOptions:
    """The options a plan is evaluated with (:func:`evaluate_plan`): its first stage pinned,
    unmet demand allowed, the plan's own constraints not imposed."""
    return options.model_copy(
        update={
            "allow_closing": True,  # every y is pinned: a link row for every site
            "allow_unmet": True,
            "p": None,
            "budget": None,
            "resource_budgets": {},
            "couplings": [],
            "max_added": {},
            "continuous_expansion": True,
        }
    )


def evaluation_model(
    problem: AllocationProblem, options: OptimizeOptions | None
) -> ReusableModel | None:
    """The model :func:`evaluate_plan` pins, built once for every draw like ``problem``.

    Parameters
    ----------
    problem
        The widest problem: every pair any draw may use, minutes at speed factor 1 (see
        :func:`~geoalloc.optimize.capacitated_reuse.reusable_model`).
    options
        The ``[optimize]`` section the plans were made with.

    Returns
    -------
    ReusableModel or None
        None when the draws cannot share it (the reason is logged): each evaluation then
        builds its own.
    """
    try:
        given = _evaluation_options(_usable(options))
    except InputError as exc:
        log.info("evaluation model built per draw, not once: %s", exc)
        return None
    return reusable_model(problem, given)


def _solve_fixed(
    ix: Indexed,
    problem: AllocationProblem,
    options: OptimizeOptions,
    groups: np.ndarray | None,
    opened: np.ndarray,
    added: np.ndarray,
    *,
    made: tuple[Indexed, LinearModel, Layout] | None = None,
) -> tuple[_Draw, np.ndarray, SolveOutcome, list[dict] | None] | None:
    """The pinned model solved: the draw, its solution, outcome and level records; None when
    infeasible. ``made``: the model already made for ``options`` (:func:`model_for`), else it
    is built."""
    started = time.perf_counter()
    if made is not None:
        _ix, lm, lay = made
    else:
        lm, lay = build_capacitated(ix, problem, options, groups)
    lm = _pinned(lm, lay, ix, opened, added)
    build_s = time.perf_counter() - started
    if options.objective == "lexicographic":
        raw, level_results = solve_lexicographic(lm, list(lay.goals), options)
    else:
        raw, level_results = solve_with_options(lm, options), []
    if raw.proven_infeasible:
        return None
    if raw.x is None:
        msg = (
            f"a fixed plan's assignment: no solution within {options.time_limit_s:g} s (solver "
            f"said {raw.solver_label!r}) — raise time_limit_s or loosen mip_gap"
        )
        raise SolverError(msg)
    draw = _Draw(problem, ix, groups, lm, lay)
    outcome = solved_outcome(raw, level_results, options, build_s)
    if options.objective == "lexicographic":
        return draw, raw.x, outcome, [level.record() for level in level_results]
    return draw, raw.x, outcome, None
