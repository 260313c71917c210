"""Re-planning with the least disruption: new data in, the plan in force changes as little as it can.

The capacitated model (:mod:`geoalloc.optimize.capacitated`) is built for the *new* problem and
extended with the distance to the plan in force — its first stage ``(y⁰, e⁰)``: sites open and
expansion modules (:class:`~geoalloc.optimize.first_stage.FirstStage`). The distance is the
local-branching distance of Fischetti & Lodi (2003), *Local branching*, Math. Program. 98:23–47:

``changes = Σ_{j: y⁰_j = 1} (1 − y_j) + Σ_{j: y⁰_j = 0} y_j + Σ_{j,r} |e_jr − e⁰_jr|``

over the sites whose ``y_j`` the model may change (a site the model keeps open whatever — an
existing site without ``allow_closing`` or ``p`` — never counts), and over the modules of every
expandable resource (``e`` counts modules of ``module_size`` units). Each site term is a column
``s_j ∈ [0, 1]`` tied to ``y_j`` by one equality row; each module term is two columns
``d⁺_jr, d⁻_jr ≥ 0`` with ``e_jr − e⁰_jr = d⁺_jr − d⁻_jr``, so ``d⁺ + d⁻ ≥ |e − e⁰|`` and a limit
on their sum limits the true distance. Closing a site that had modules added also removes them:
the closure and each module removed count.

:class:`ChangeLimits` turns the distance into what a planner can say:

- ``max_changes``: at most that many changes in all (sites opened or closed, modules added or
  removed) — the local-branching constraint ``changes ≤ k``;
- ``max_site_changes``: at most that many sites opened or closed;
- ``max_units_changed``: per resource, at most that many units added or removed over all sites
  (``Σ_j module_r × |e_jr − e⁰_jr|``);
- ``unmet_per_change``: a change must avoid at least that many units of unmet demand to be made
  ("a change is worth it only if it serves 5 more beds"). With the lexicographic objective each
  change costs that many units in the first goal, which becomes ``unmet + unmet_per_change ×
  changes``; with the weighted objective each change costs ``unmet_penalty_minutes ×
  unmet_per_change`` demand-weighted minutes, the price of that many units unmet. The plan's
  figures (``objective_detail``, ``outcome.objective``) stay the plan's own, without that cost;
  the status and gap are those of the sum the re-plan minimised.

The plan in force is a feasible point of the extended model (its distance is 0). Its assignment
under the new data is solved first (sites and modules pinned): that is :attr:`Replan.current`.
The re-plan is then solved and compared with it on the objective it minimised (the lexicographic
levels in order, or the weighted sum): a re-plan that comes out worse — a time limit, a gap — is
replaced by the plan in force, and its notes say so. The result is never worse than keeping the
plan.

The lexicographic path passes no start to the solver (see :mod:`geoalloc.optimize.lexicographic`:
HiGHS misreports solves started from an earlier solution); the weighted path starts HiGHS (arrays
backend) from the plan in force. Re-planning builds the full capacitated model: the state-scale
reduction of :mod:`geoalloc.optimize.capacitated_scale` is not used.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from geoalloc._errors import InputError, SolverError
from geoalloc._validate import format_ids
from geoalloc.optimize._prepare import Indexed, may_close, prepare
from geoalloc.optimize.capacitated import (
    Layout,
    build_capacitated,
    capacitated_allocation,
)
from geoalloc.optimize.check import check_allocation
from geoalloc.optimize.classic import group_codes
from geoalloc.optimize.first_stage import FirstStage, plan_arrays
from geoalloc.optimize.lexicographic import Goal, LevelResult, solve_lexicographic
from geoalloc.optimize.linear import LinearModel, ModelBuilder, RawSolution, solve_with_options
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import Allocation, AllocationProblem
from geoalloc.optimize.solvers import usable_solver_options

log = logging.getLogger(__name__)

#: relative slack when comparing the re-plan's objective with the plan in force's
COMPARE_TOL = 1e-6
#: a module count this close to a whole number is whole
WHOLE_TOL = 1e-6


@dataclass(frozen=True)
class ChangeLimits:
    """How much a re-plan may change the plan in force (None: no limit).

    Attributes
    ----------
    max_changes
        Changes in all: sites opened + sites closed + expansion modules added or removed (the
        local-branching distance). 0 keeps the plan in force.
    max_site_changes
        Sites opened + sites closed.
    max_units_changed
        Resource → units added or removed over all sites, ``Σ_j |units added now − units added
        in the plan in force|`` (e.g. ``{"beds": 40}``: at most 40 beds moved). A resource
        without ``cost_per_unit`` is never added, so its limit always holds.
    unmet_per_change
        Units of unmet demand a change must avoid to be made: each site opened or closed and each
        module added or removed costs this much in the unmet goal (lexicographic objective), or
        ``unmet_penalty_minutes ×`` this much in the weighted objective. ``5`` reads "a change is
        worth it only if it serves 5 more beds". 0: changes are free.
    unmet_per_site_change
        The same price for each site opened or closed only, on top of ``unmet_per_change``
        (opening or closing a hospital disrupts more than a module).
    unmet_per_unit_changed
        Resource → the same price for each unit added or removed (e.g. ``{"beds": 0.5}``: a bed
        moved must serve half a bed more), on top of the others.
    """

    max_changes: int | None = None
    max_site_changes: int | None = None
    max_units_changed: dict[str, float] = field(default_factory=dict)
    unmet_per_change: float = 0.0
    unmet_per_site_change: float = 0.0
    unmet_per_unit_changed: dict[str, float] = field(default_factory=dict)

    @property
    def priced(self) -> bool:
        """True when some change has a price."""
        return (
            self.unmet_per_change > 0
            or self.unmet_per_site_change > 0
            or any(v > 0 for v in self.unmet_per_unit_changed.values())
        )

    def __post_init__(self) -> None:
        problems = []
        for name in ("max_changes", "max_site_changes"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0
            ):
                problems.append(f"{name} = {value!r}: give a whole number ≥ 0 (or None: no limit)")
        for r, units in self.max_units_changed.items():
            if not np.isfinite(units) or units < 0:
                problems.append(f"max_units_changed[{r!r}] = {units!r}: give units ≥ 0")
        for name in ("unmet_per_change", "unmet_per_site_change"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                problems.append(f"{name} = {value!r}: give units of demand ≥ 0")
        for r, value in self.unmet_per_unit_changed.items():
            if not np.isfinite(value) or value < 0:
                problems.append(f"unmet_per_unit_changed[{r!r}] = {value!r}: give units ≥ 0")
        if problems:
            raise InputError(problems, header="the re-planning limits are invalid")


@dataclass(frozen=True)
class Replan:
    """A re-plan and the plan in force, both under the new data.

    Attributes
    ----------
    allocation
        The new plan, as :func:`~geoalloc.optimize.solve` returns one (checked by
        :func:`~geoalloc.optimize.check.check_allocation`).
    current
        The plan in force re-evaluated on the new data: its sites and modules, the best
        assignment they allow (zero changes).
    changes
        One row per change: ``site``, ``change`` (``open``, ``close``, ``add``, ``remove``),
        ``resource`` (None for ``open`` and ``close``) and ``units`` (units added or removed;
        NaN for ``open`` and ``close``): see :func:`change_table`.
    n_site_changes
        Sites opened + sites closed.
    units_changed
        Expandable resource → units added or removed over all sites.
    n_changes
        The local-branching distance: sites opened or closed + modules added or removed.
    kept_current
        True when the re-plan came out worse than the plan in force (e.g. stopped by the time
        limit) and the plan in force was returned instead (``notes`` say why).
    notes
        What the user should know.
    """

    allocation: Allocation
    current: Allocation
    changes: pd.DataFrame
    n_site_changes: int
    units_changed: dict[str, float]
    n_changes: float = 0.0
    kept_current: bool = False
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------- the plan in force


def _usable(options: OptimizeOptions) -> OptimizeOptions:
    if options.model != "capacitated":
        msg = (
            f"[optimize] model = {options.model!r}: re-planning uses the capacitated model (its "
            'sites, modules and unmet demand are what a re-plan changes) — set model = "capacitated"'
        )
        raise InputError(msg)
    return usable_solver_options(options)


def _current_arrays(
    ix: Indexed, lay: Layout, options: OptimizeOptions, current: FirstStage
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The plan in force over ``ix``: opened (m,), modules (m, R); notes. Refuses (InputError)
    a plan the model cannot take as it is."""
    opened, added, notes = plan_arrays(ix, current, options, absent="closed", tol=WHOLE_TOL)
    problems: list[str] = []
    must_open = ix.existing & (not may_close(options)) & ~opened
    if must_open.any():
        problems.append(
            f"existing site(s) {format_ids(ix.sites[must_open])} are closed in the plan in force "
            "but the model keeps every existing site open — set [optimize] allow_closing = true "
            "(or p), or open them in the plan in force"
        )
    modules = np.zeros_like(added)
    for k, r in enumerate(ix.resources):
        if k not in lay.expandable:  # no units added: plan_arrays refused them
            continue
        size = lay.module[k]
        mods = added[:, k] / size
        if not options.continuous_expansion:
            whole = np.abs(mods - np.round(mods)) <= WHOLE_TOL
            if not whole.all():
                problems.append(
                    f"units of {r} added at site(s) {format_ids(ix.sites[~whole])} are not whole "
                    f"modules of {size:g} — give multiples of [optimize] module_size[{r!r}]"
                )
            mods = np.round(mods)
        over = mods > lay.e_ub[:, k] * (1 + WHOLE_TOL) + WHOLE_TOL
        if over.any():
            problems.append(
                f"units of {r} added at site(s) {format_ids(ix.sites[over])} exceed what the model "
                f"allows there (max_size column, max_added or the total demand): at most "
                f"{format_ids([f'{u * size:g}' for u in lay.e_ub[over, k]])} units"
            )
        modules[:, k] = mods
    if problems:
        raise InputError(problems, header="the plan in force does not fit the problem")
    return opened, modules, notes


def _why_not_feasible(
    ix: Indexed, options: OptimizeOptions, lay: Layout, opened: np.ndarray, modules: np.ndarray
) -> list[str]:
    """Cheap reasons why the plan in force breaks a constraint of the model's options."""
    reasons = []
    if options.p is not None and int(opened.sum()) != options.p:
        reasons.append(
            f"it has {int(opened.sum())} sites open but [optimize] p = {options.p} — set p to "
            "the plan's count (or drop p and set allow_closing)"
        )
    added = modules * lay.module
    invest = float(lay.opening[opened & ~ix.existing].sum() + (added @ lay.unit_cost).sum())
    if options.budget is not None and invest > options.budget * (1 + 1e-9):
        reasons.append(
            f"it invests {invest:.6g}, above [optimize] budget {options.budget:.6g} — raise the "
            "budget to at least what the plan in force spent"
        )
    for r, limit in options.resource_budgets.items():
        k = ix.resources.index(r)
        spent = float(lay.unit_cost[k] * added[:, k].sum())
        if spent > limit * (1 + 1e-9):
            reasons.append(f"its {r} expansion costs {spent:.6g}, above its budget {limit:.6g}")
    if options.coverage_floor is not None:
        reasons.append(
            f"the coverage floor {options.coverage_floor:.1%} may not hold for it under the new "
            "demand — lower or drop [optimize] coverage_floor"
        )
    return reasons or ["a constraint of the model (couplings, budgets) does not hold for it"]


# -------------------------------------------------------------------------- the extended model


@dataclass(frozen=True)
class _Model:
    """The new problem's capacitated model with the distance to the plan in force."""

    ix: Indexed
    lay: Layout
    base: LinearModel  # the capacitated model as built
    lm: LinearModel  # base + distance columns and rows (limit rows unbounded)
    opened0: np.ndarray  # (m,) the plan in force
    modules0: np.ndarray  # (m, R) modules added in the plan in force
    distance: np.ndarray  # per column of lm: its weight in the number of changes
    site_distance: np.ndarray  # per column: its weight in the site changes
    units_distance: dict[str, np.ndarray]  # resource → per column: units changed
    build_s: float


def _pad(c: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[: len(c)] = c
    return out


def _extend(
    ix: Indexed,
    lay: Layout,
    base: LinearModel,
    opened0: np.ndarray,
    modules0: np.ndarray,
    fixed_open: np.ndarray,
) -> tuple[LinearModel, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """``base`` with the change columns and rows (see the module's notes)."""
    b = ModelBuilder.starting_from(base)
    y = base.blocks["y"].start
    free = np.flatnonzero(~fixed_open)
    F = len(free)
    s0 = b.add_vars("change_site", F, lo=0.0, hi=1.0)
    # s_j − y_j = 0 where y⁰_j = 0;  s_j + y_j = 1 where y⁰_j = 1
    was_open = opened0[free]
    b.add_rows(
        "change_site",
        F,
        np.concatenate([np.arange(F), np.arange(F)]),
        np.concatenate([s0 + np.arange(F), y + free]),
        np.concatenate([np.ones(F), np.where(was_open, 1.0, -1.0)]),
        lo=was_open.astype(float),
        hi=was_open.astype(float),
    )
    module_cols: dict[int, tuple[int, int]] = {}
    for k in lay.expandable:
        r = ix.resources[k]
        e = base.blocks[f"e_{r}"].start
        up = b.add_vars(f"change_up_{r}", ix.m, lo=0.0)
        down = b.add_vars(f"change_down_{r}", ix.m, lo=0.0)
        m = np.arange(ix.m)
        # e − d⁺ + d⁻ = e⁰
        b.add_rows(
            f"change_modules_{r}",
            ix.m,
            np.concatenate([m, m, m]),
            np.concatenate([e + m, up + m, down + m]),
            np.concatenate([np.ones(ix.m), -np.ones(ix.m), np.ones(ix.m)]),
            lo=modules0[:, k],
            hi=modules0[:, k],
        )
        module_cols[k] = (up, down)
    n = b.n_cols
    site_distance = np.zeros(n)
    site_distance[s0 : s0 + F] = 1.0
    distance = site_distance.copy()
    units_distance: dict[str, np.ndarray] = {}
    for k, (up, down) in module_cols.items():
        distance[up : up + ix.m] = 1.0
        distance[down : down + ix.m] = 1.0
        units = np.zeros(n)
        units[up : up + ix.m] = lay.module[k]
        units[down : down + ix.m] = lay.module[k]
        units_distance[ix.resources[k]] = units
    # the limit rows, unbounded here; each solve sets their upper bounds
    rows = [("max_changes", distance), ("max_site_changes", site_distance)]
    rows += [(f"max_units_changed_{r}", v) for r, v in units_distance.items()]
    for name, vector in rows:
        cols = np.flatnonzero(vector)
        b.add_rows(name, 1, np.zeros(len(cols)), cols, vector[cols])
    return b.build(), distance, site_distance, units_distance


def _build(
    problem: AllocationProblem, options: OptimizeOptions, current: FirstStage
) -> tuple[_Model, np.ndarray | None, list[str]]:
    started = time.perf_counter()
    ix = prepare(problem, max_minutes=options.max_minutes)
    groups, _labels = group_codes(ix, problem.groups)
    base, lay = build_capacitated(ix, problem, options, groups)
    opened0, modules0, notes = _current_arrays(ix, lay, options, current)
    fixed_open = ix.existing & (not may_close(options))
    lm, distance, site_distance, units_distance = _extend(
        ix, lay, base, opened0, modules0, fixed_open
    )
    model = _Model(
        ix,
        lay,
        base,
        lm,
        opened0,
        modules0,
        distance,
        site_distance,
        units_distance,
        time.perf_counter() - started,
    )
    return model, groups, notes


def _limited(model: _Model, limits: ChangeLimits) -> LinearModel:
    """The extended model with the limits' right-hand sides."""
    row_hi = model.lm.row_hi.copy()
    blocks = model.lm.row_blocks

    def bound(name: str, value: float | None) -> None:
        if value is not None:
            row_hi[blocks[name]] = float(value) + WHOLE_TOL

    bound("max_changes", limits.max_changes)
    bound("max_site_changes", limits.max_site_changes)
    for r, units in limits.max_units_changed.items():
        if f"max_units_changed_{r}" in blocks:
            bound(f"max_units_changed_{r}", units)
    return replace(model.lm, row_hi=row_hi)


def _change_cost(model: _Model, options: OptimizeOptions, limits: ChangeLimits) -> np.ndarray:
    """Per column: what one change costs in the first goal (lexicographic, units of demand) or
    in the weighted objective (demand-weighted minutes)."""
    cost = limits.unmet_per_change * model.distance
    cost = cost + limits.unmet_per_site_change * model.site_distance
    for resource, per_unit in limits.unmet_per_unit_changed.items():
        if resource not in model.ix.resources:
            msg = (
                f"unmet_per_unit_changed names {resource!r}, which is not planned "
                f"(planned: {', '.join(model.ix.resources)})"
            )
            raise InputError(msg)
        if resource in model.units_distance:  # a resource never added never changes
            cost = cost + per_unit * model.units_distance[resource]
    if options.objective == "weighted":
        cost = cost * options.unmet_penalty_minutes
    return cost


def _goals(model: _Model, options: OptimizeOptions, limits: ChangeLimits) -> list[Goal]:
    n = model.lm.n_cols
    goals = [replace(g, c=_pad(np.asarray(g.c, dtype=float), n)) for g in model.lay.goals]
    if limits.priced:
        first = goals[0]
        goals[0] = replace(
            first,
            label=f"{first.label} + the price of the changes",
            c=first.c + _change_cost(model, options, limits),
        )
    return goals


def _score(
    model: _Model, options: OptimizeOptions, goals: list[Goal], c: np.ndarray, x: np.ndarray
) -> np.ndarray:
    """What the re-plan minimised, at ``x``: the levels in order, or the weighted sum."""
    if options.objective == "lexicographic":
        return np.array([float(np.asarray(g.c) @ x) for g in goals])
    return np.array([float(c @ x + model.lm.offset)])


def _worse(new: np.ndarray, old: np.ndarray) -> bool:
    """``new`` lexicographically worse than ``old`` (beyond :data:`COMPARE_TOL`)."""
    for a, b in zip(new, old, strict=True):
        tol = COMPARE_TOL * max(1.0, abs(b))
        if a > b + tol:
            return True
        if a < b - tol:
            return False
    return False


def _full_point(model: _Model, x_base: np.ndarray) -> np.ndarray:
    """A solution of the base model as a point of the extended one (change columns filled in)."""
    ix, lm = model.ix, model.lm
    x = np.zeros(lm.n_cols)
    x[: len(x_base)] = x_base
    y = np.round(x_base[model.base.blocks["y"]])
    if "change_site" in lm.blocks:
        fixed_open = lm.col_lo[model.base.blocks["y"]] >= 1.0
        free = np.flatnonzero(~fixed_open)
        x[lm.blocks["change_site"]] = np.abs(y[free] - model.opened0[free])
    for k in model.lay.expandable:
        r = ix.resources[k]
        delta = x_base[model.base.blocks[f"e_{r}"]] - model.modules0[:, k]
        x[lm.blocks[f"change_up_{r}"]] = np.maximum(delta, 0.0)
        x[lm.blocks[f"change_down_{r}"]] = np.maximum(-delta, 0.0)
    return x


def _plain_levels(
    levels: list[LevelResult], plain: tuple[Goal, ...], x: np.ndarray, n: int
) -> list[LevelResult]:
    """The levels with the plan's own goals and values (the change cost taken out of the first);
    status, bound and gap stay those of the goal minimised."""
    by_key = {g.key: g for g in plain}
    out = []
    for level in levels:
        goal = by_key[level.goal.key]
        c = _pad(np.asarray(goal.c, dtype=float), n)
        if level.goal.label != goal.label:
            goal = replace(goal, label=f"{goal.label} (bound and gap: {level.goal.label})")
        out.append(replace(level, goal=replace(goal, c=c), value=float(c @ x)))
    return out


# --------------------------------------------------------------------------------- solving


@dataclass(frozen=True)
class _Solved:
    x: np.ndarray  # a point of the extended model
    allocation: Allocation
    score: np.ndarray


def _solve(
    model: _Model,
    options: OptimizeOptions,
    lm: LinearModel,
    goals: list[Goal],
    c: np.ndarray,
    start: np.ndarray | None,
) -> tuple[RawSolution, list[LevelResult]]:
    if options.objective == "lexicographic":
        return solve_lexicographic(lm, goals, options)
    return solve_with_options(replace(lm, c=c), options, start=start), []


def _allocation(
    model: _Model,
    options: OptimizeOptions,
    raw: RawSolution,
    levels: list[LevelResult],
    build_s: float,
    c: np.ndarray,
) -> Allocation:
    """The plan of ``raw.x`` with its own figures (see the module's notes): the objective
    without the change cost; the bound moved by the change cost at ``raw.x``, so that the gap
    is that of the sum minimised (``c``: its costs per column). A bound the solver stated with
    an objective that ``raw.x`` does not have is not used (see
    :mod:`geoalloc.optimize.lexicographic` on HiGHS and starts)."""
    if raw.x is None:  # pragma: no cover - the callers pass solutions only
        raise SolverError("re-plan: no solution to decode")
    x = raw.x
    if options.objective == "lexicographic":
        levels = _plain_levels(levels, model.lay.goals, x, model.lm.n_cols)
    else:
        plain = float(_pad(model.base.c, len(x)) @ x + model.base.offset)
        minimised = float(c @ x + model.lm.offset)
        stated = raw.objective
        bound = raw.bound
        if stated is None or abs(stated - minimised) > 1e-6 * max(1.0, abs(minimised)):
            log.warning(
                "re-plan: the solver stated %s for a solution worth %.10g: its bound is not used",
                stated,
                minimised,
            )
            bound = None
        bound = None if bound is None else bound - (minimised - plain)
        raw = replace(raw, objective=plain, bound=bound)
    return capacitated_allocation(model.ix, options, model.lm, model.lay, raw, levels, build_s)


def _evaluate_current(
    model: _Model, problem: AllocationProblem, options: OptimizeOptions
) -> tuple[Allocation, np.ndarray]:
    """The plan in force under the new data: sites and modules pinned, the rest solved."""
    base, lay, ix = model.base, model.lay, model.ix
    lo, hi = base.col_lo.copy(), base.col_hi.copy()
    y = base.blocks["y"]
    lo[y] = hi[y] = model.opened0.astype(float)
    for k in lay.expandable:
        e = base.blocks[f"e_{ix.resources[k]}"]
        lo[e] = hi[e] = model.modules0[:, k]
    pinned = replace(base, col_lo=lo, col_hi=hi)
    if options.objective == "lexicographic":
        raw, levels = solve_lexicographic(pinned, list(lay.goals), options)
    else:
        raw, levels = solve_with_options(pinned, options), []
    if raw.x is None:
        if raw.outcome == "infeasible":
            reasons = _why_not_feasible(ix, options, lay, model.opened0, model.modules0)
            raise InputError(
                [f"the plan in force: {reason}" for reason in reasons],
                header="the plan in force is not a feasible plan of the model on the new data",
            )
        msg = (
            f"the plan in force: no assignment found within {options.time_limit_s:g} s (solver "
            f"said {raw.solver_label!r}) — raise time_limit_s"
        )
        raise SolverError(msg)
    allocation = capacitated_allocation(ix, options, base, lay, raw, levels, 0.0)
    allocation = dataclasses.replace(
        allocation, notes=("the plan in force, re-evaluated on the new data",) + allocation.notes
    )
    check_allocation(problem, options, allocation)
    return allocation, _full_point(model, raw.x)


def _fit_p(problem: AllocationProblem, options: OptimizeOptions) -> OptimizeOptions:
    m = len(problem.capacity.index)
    if options.p is not None and options.p > m:
        return options.model_copy(update={"p": m})
    return options


class _Replanner:
    """One problem, one plan in force: the model built once, solved for each set of limits."""

    def __init__(
        self, problem: AllocationProblem, options: OptimizeOptions, current: FirstStage
    ) -> None:
        self.problem = problem
        self.options = _fit_p(problem, _usable(options))
        self.model, self.groups, self.notes = _build(problem, self.options, current)
        self.current, self.current_x = _evaluate_current(self.model, problem, self.options)
        self.last: _Solved | None = None  # the plan the last solve returned

    def solve(self, limits: ChangeLimits, fallback: _Solved | None = None) -> Replan:
        """Re-plan under ``limits``; ``fallback`` (a plan within the limits, e.g. the plan in
        force) is returned when the solve comes out worse than it."""
        model, options = self.model, self.options
        unknown = [r for r in limits.max_units_changed if r not in model.ix.resources]
        if unknown:
            msg = (
                f"max_units_changed names resource(s) {unknown} that are not planned "
                f"(planned: {model.ix.resources})"
            )
            raise InputError(msg)
        lm = _limited(model, limits)
        goals = _goals(model, options, limits)
        c = _pad(model.base.c, lm.n_cols) + _change_cost(model, options, limits)
        current = _Solved(
            self.current_x,
            self.current,
            _score(model, options, goals, c, self.current_x),
        )
        best = current
        if fallback is not None:
            fallback = replace(fallback, score=_score(model, options, goals, c, fallback.x))
            if _worse(current.score, fallback.score):
                best = fallback
        start = best.x if options.objective == "weighted" else None
        raw, levels = _solve(model, options, lm, goals, c, start)
        notes = list(self.notes)
        if raw.x is None or raw.outcome == "infeasible":
            why = (
                "the solver found no plan"
                if raw.x is None
                else "the solver called the model infeasible"
            )
            notes.append(
                f"re-plan: {why} (it said {raw.solver_label!r}); "
                + ("the plan in force" if best is current else "a plan with fewer changes")
                + " is kept (a feasible point of the model) — raise time_limit_s"
            )
            log.warning(notes[-1])
            chosen, kept = best, True
        else:
            allocation = _allocation(model, options, raw, levels, model.build_s, c)
            score = _score(model, options, goals, c, raw.x)
            if _worse(score, best.score):
                notes.append(
                    "re-plan: the solve came out worse than keeping "
                    + ("the plan in force" if best is current else "a plan with fewer changes")
                    + f" (status {allocation.status}, gap {allocation.gap}); that plan is "
                    "returned — lower mip_gap or raise time_limit_s for a better one"
                )
                log.warning(notes[-1])
                chosen, kept = best, True
            else:
                chosen, kept = _Solved(raw.x, allocation, score), False
        allocation = chosen.allocation
        if kept and chosen is current:
            allocation = dataclasses.replace(
                allocation, notes=tuple(n for n in allocation.notes if "re-evaluated" not in n)
            )
        fresh_notes = tuple(n for n in notes if n not in allocation.notes)
        allocation = dataclasses.replace(allocation, notes=allocation.notes + fresh_notes)
        if not kept:
            check_allocation(self.problem, options, allocation)
        self.last = replace(chosen, allocation=allocation)
        return _result(model, self.current, allocation, notes, kept)


# ---------------------------------------------------------------------------------- results


def _plan_arrays(model: _Model, allocation: Allocation) -> tuple[np.ndarray, np.ndarray]:
    ix = model.ix
    sites = allocation.sites.reindex(ix.sites)
    opened = sites["open"].astype(bool).to_numpy()
    added = np.zeros((ix.m, len(ix.resources)))
    for k in model.lay.expandable:
        added[:, k] = sites[f"{ix.resources[k]}_added"].to_numpy(dtype=float)
    return opened, added


def change_table(
    sites: pd.Index,
    resources: list[str],
    opened0: np.ndarray,
    added0: np.ndarray,
    opened: np.ndarray,
    added: np.ndarray,
) -> pd.DataFrame:
    """One row per change from plan 0 to the new plan.

    Columns ``site``; ``change``: ``open`` or ``close`` (the site), ``add`` or ``remove`` (units
    of a resource); ``resource`` (None for ``open``/``close``); ``units``: units added or removed
    (for ``open``/``close``: NaN). Sites in id order, opening/closing before units.
    """
    rows: list[dict] = []
    for j, site in enumerate(sites):
        if opened[j] != opened0[j]:
            rows.append(
                {
                    "site": site,
                    "change": "open" if opened[j] else "close",
                    "resource": None,
                    "units": np.nan,
                }
            )
        for k, r in enumerate(resources):
            delta = float(added[j, k] - added0[j, k])
            if abs(delta) > WHOLE_TOL:
                rows.append(
                    {
                        "site": site,
                        "change": "add" if delta > 0 else "remove",
                        "resource": r,
                        "units": abs(delta),
                    }
                )
    return pd.DataFrame(rows, columns=["site", "change", "resource", "units"])


def _result(
    model: _Model,
    current: Allocation,
    allocation: Allocation,
    notes: list[str],
    kept: bool,
) -> Replan:
    ix, lay = model.ix, model.lay
    opened0, added0 = _plan_arrays(model, current)
    opened, added = _plan_arrays(model, allocation)
    changes = change_table(ix.sites, ix.resources, opened0, added0, opened, added)
    n_site_changes = int((opened != opened0).sum())
    units_changed = {
        ix.resources[k]: float(np.abs(added[:, k] - added0[:, k]).sum()) for k in lay.expandable
    }
    modules_changed = sum(
        float(np.abs(added[:, k] - added0[:, k]).sum() / lay.module[k]) for k in lay.expandable
    )
    return Replan(
        allocation=allocation,
        current=current,
        changes=changes,
        n_site_changes=n_site_changes,
        units_changed=units_changed,
        n_changes=n_site_changes + modules_changed,
        kept_current=kept,
        notes=tuple(notes),
    )


# ------------------------------------------------------------------------------------- public


def solve_replan(
    problem: AllocationProblem,
    options: OptimizeOptions,
    current: FirstStage,
    limits: ChangeLimits,
) -> Replan:
    """Re-plan ``problem`` (the new data) starting from the plan in force, within ``limits``.

    Parameters
    ----------
    problem
        The new data: demand, sites (the plan's, possibly with new candidates), travel.
    options
        The ``[optimize]`` section (``model = "capacitated"``).
    current
        The plan in force: sites open and units added
        (:func:`~geoalloc.optimize.first_stage.first_stage_of` of its allocation). Sites of
        ``problem`` it does not list are closed in it (existing sites the model keeps open: open).
    limits
        How much may change (:class:`ChangeLimits`); ``ChangeLimits()`` is a fresh
        optimisation, ``ChangeLimits(max_changes=0)`` the plan in force re-evaluated.

    Returns
    -------
    Replan
        The new plan (never worse than the plan in force on what was minimised: see the
        module's notes), the plan in force re-evaluated, and the changes between them.

    Raises
    ------
    InputError
        Another model than the capacitated one; a plan in force with an open site that is not
        in ``problem``, units not in whole modules or beyond the model's bounds, resources not
        planned or not expandable, an existing site closed that the model keeps open; a plan in
        force that breaks the model's constraints on the new data (``p``, budgets, a coverage
        floor).
    """
    return _Replanner(problem, options, current).solve(limits)


def disruption_frontier(
    problem: AllocationProblem,
    options: OptimizeOptions,
    current: FirstStage,
    max_changes: Sequence[int | None],
) -> pd.DataFrame:
    """Disruption against benefit: one re-plan per limit on the number of changes.

    The model is built and the plan in force evaluated once; the limits are solved in
    increasing order (None, no limit, last), each never worse than the plan of the limit before
    it (that plan is within the larger limit), so unmet demand never rises along the front.

    Parameters
    ----------
    problem, options, current
        As for :func:`solve_replan`.
    max_changes
        Limits on the changes (sites opened or closed + modules added or removed); None: no limit.

    Returns
    -------
    pandas.DataFrame
        One row per limit, in increasing order: ``max_changes`` (<NA>: none), ``changes``
        (made), ``site_changes``, ``units_changed_<r>`` per expandable resource, ``unmet_<r>``
        per resource and ``unmet`` (units), ``travel_demand_minutes`` (``Σ quantity ×
        minutes``), ``status``, ``gap``, ``solve_s``, ``kept_current`` (the solve came out worse
        than the plan of the row before, which was kept).
    """
    if not len(max_changes):
        raise InputError("disruption_frontier: give at least one limit on the changes")
    finite = sorted({int(k) for k in max_changes if k is not None})
    if any(k < 0 for k in finite):
        raise InputError(f"disruption_frontier: limits must be ≥ 0, got {list(max_changes)}")
    limits: list[int | None] = list(finite)
    if any(k is None for k in max_changes):
        limits.append(None)
    replanner = _Replanner(problem, options, current)
    resources = replanner.model.ix.resources
    rows = []
    previous: _Solved | None = None
    for k in limits:
        result = replanner.solve(ChangeLimits(max_changes=k), previous)
        plan = result.allocation
        asg = plan.assignments
        row: dict = {
            "max_changes": k,
            "changes": result.n_changes,
            "site_changes": result.n_site_changes,
        }
        for r, units in result.units_changed.items():
            row[f"units_changed_{r}"] = units
        unmet = plan.unmet.sum()
        for r in resources:
            row[f"unmet_{r}"] = float(unmet[r])
        row["unmet"] = float(unmet.sum())
        row["travel_demand_minutes"] = (
            float((asg["quantity"] * asg["minutes"]).sum()) if len(asg) else 0.0
        )
        row["status"] = plan.status
        row["gap"] = plan.gap
        row["solve_s"] = plan.solve_s
        row["kept_current"] = result.kept_current
        rows.append(row)
        previous = replanner.last
    table = pd.DataFrame(rows)
    table["max_changes"] = table["max_changes"].astype("Int64")
    return table
