"""Lexicographic optimisation: minimise one goal, keep it, minimise the next.

For goals ``c_1 … c_K`` over the same feasible set, level ``k`` solves ``min c_k·x`` subject to
the model and ``c_l·x ≤ v_l + tol_l`` for every earlier level ``l`` (``v_l`` the value it reached;
the previous level's solution stays feasible). No warm start is passed: HiGHS 1.16, handed a
start (``setSolution``) that an earlier solve returned, can report an "optimal" objective and
bound that the solution it returns does not have. Each level is proven
within ``mip_gap`` of its own optimum (given the levels before it), so no exchange rate between
goals is assumed. A level whose goal is constant over the free columns is skipped (nothing to
choose); a level whose goal is already at its least possible value (over the column bounds) at
the previous level's solution is proven there and not solved again — e.g. no new site opened and
nothing spent once unmet demand is least; a level that does not finish keeps the previous
level's solution and says so.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from geoalloc.optimize.linear import (
    LinearModel,
    RawSolution,
    exact_dot,
    relative_gap,
    solve_with_options,
    status_from_gap,
)

log = logging.getLogger(__name__)

#: slack on a level's value when it becomes a constraint for the next, relative to the value plus
#: the goal's largest coefficient. The first is none, so later levels cannot trade any of an
#: earlier goal; when the solver's own tolerances (integrality ~1e-6) make that infeasible, the
#: level is retried with the next slack
KEEP_TOLS = (0.0, 1e-6, 1e-4)
KEEP_TOL = KEEP_TOLS[1]


def kept_value(c: np.ndarray, value: float, tol: float = KEEP_TOL) -> float:
    """The bound ``c·x ≤ kept_value`` that keeps a level at ``value`` for the next levels."""
    scale = abs(value) + float(np.max(np.abs(c))) if len(c) else abs(value)
    return value + tol * scale + tol


@dataclass(frozen=True)
class Goal:
    """One level of a lexicographic objective: ``c`` per column of the model (its offset 0)."""

    key: str  #: short name: ``unmet``, ``cost``, ``new_sites``, ``travel``
    label: str  #: in words, for the report
    unit: str  #: what its value counts, in words (``beds``, ``currency``, ``sites`` …)
    c: np.ndarray


@dataclass(frozen=True)
class LevelResult:
    """What one level reached: its value at the final solution, the solver's bound and gap."""

    goal: Goal
    status: str  #: optimal · feasible · skipped (constant goal) · not_solved (kept the previous)
    value: float  #: ``c·x`` at the final solution
    bound: float | None
    gap: float | None
    solve_s: float

    def record(self) -> dict:
        """The level for ``summary.json``."""
        return {
            "key": self.goal.key,
            "label": self.goal.label,
            "unit": self.goal.unit,
            "value": self.value,
            "bound": self.bound,
            "gap": self.gap,
            "status": self.status,
        }


def least_value(lm: LinearModel, c: np.ndarray) -> float:
    """The least ``c·x`` over ``lm``'s column bounds alone (``-inf`` when unbounded below): a
    lower bound on the goal over the model's feasible set."""
    pos, neg = c > 0, c < 0
    return exact_dot(c[pos], lm.col_lo[pos]) + exact_dot(c[neg], lm.col_hi[neg])


def _with_rows(lm: LinearModel, rows: list[np.ndarray], his: list[float]) -> LinearModel:
    if not rows:
        return lm
    extra = sparse.csr_array(np.vstack(rows))
    return replace(
        lm,
        A=sparse.vstack([lm.A, extra], format="csr"),
        row_lo=np.concatenate([lm.row_lo, np.full(len(rows), -np.inf)]),
        row_hi=np.concatenate([lm.row_hi, np.asarray(his, dtype=float)]),
    )


def _solve_keeping(
    lm: LinearModel,
    keep_rows: list[np.ndarray],
    keep_values: list[float],
    c: np.ndarray,
    key: str,
    options,
) -> RawSolution:
    """``min c·x`` over ``lm`` with every earlier level kept at its value."""
    for tol in KEEP_TOLS:
        his = [kept_value(row, v, tol) for row, v in zip(keep_rows, keep_values, strict=True)]
        model = replace(_with_rows(lm, keep_rows, his), c=c, offset=0.0)
        solved = solve_with_options(model, options)
        if solved.x is not None or solved.outcome != "infeasible" or not keep_rows:
            break
        # the earlier levels kept so tightly that rounding leaves no room: loosen them
        log.info("lexicographic level %r: infeasible at slack %g, loosened", key, tol)
    return solved


def _next_goal(goals: list[Goal], free: np.ndarray) -> Goal | None:
    """The first of ``goals`` with something to choose (not constant over the free columns)."""
    for goal in goals:
        if np.any(np.asarray(goal.c, dtype=float)[free] != 0.0):
            return goal
    return None


def _solve_held_at_least(
    lm: LinearModel,
    keep_rows: list[np.ndarray],
    keep_values: list[float],
    c: np.ndarray,
    ahead: Goal | None,
    options,
) -> RawSolution | None:
    """The first level held at its least possible value while the next one is minimised, when
    that is feasible: a solution of it proves the first level optimal (no solution can do
    better than the least over the column bounds), and it is the next level's own solve (the
    same model that level gets once the first is kept at that value). ``None`` — solve the
    first level — when the held model finds no solution: the solver then stops at its root
    relaxation where that already stays above the least, as when demand is left unmet.

    It saves the first level's solve where its least is reached, e.g. no unmet demand: on the
    Chicago beds example that solve took longer than the travel level after it.
    """
    least = least_value(lm, c)
    if ahead is None or not np.isfinite(least):
        return None
    his = [kept_value(row, v, 0.0) for row, v in zip(keep_rows, keep_values, strict=True)]
    held = replace(
        _with_rows(lm, [*keep_rows, c], [*his, least]),
        c=np.asarray(ahead.c, dtype=float),
        offset=0.0,
    )
    solved = solve_with_options(held, options)
    found = solved.x is not None and solved.outcome in ("solved", "time_limit")
    if not found or solved.x is None or exact_dot(c, solved.x) > kept_value(c, least):
        log.info("lexicographic: held at its least, the first level found no plan: solved")
        return None
    return solved


def solve_lexicographic(
    lm: LinearModel, goals: list[Goal], options
) -> tuple[RawSolution, list[LevelResult]]:
    """Solve ``lm``'s feasible set for ``goals`` in order (``lm.c`` is ignored).

    Parameters
    ----------
    lm
        The model: columns, bounds, rows.
    goals
        The levels, most important first.
    options
        The ``[optimize]`` section: solver, backend, ``time_limit_s`` and ``hard_limit_s`` (each
        level's), ``mip_gap`` (each level's), threads.

    Returns
    -------
    (RawSolution, list of LevelResult)
        The last solution found (``x`` None when the first level found none: infeasible or out of
        time) and every level's figures at it.
    """
    free = lm.col_lo < lm.col_hi
    keep_rows: list[np.ndarray] = []
    keep_values: list[float] = []
    x: np.ndarray | None = None
    raw: RawSolution | None = None
    partial: list[tuple[Goal, str, float | None, float | None, float]] = []
    total_s = 0.0
    solved_ahead: RawSolution | None = None  # this level's solve, done by the level before
    for k, goal in enumerate(goals):
        c = np.asarray(goal.c, dtype=float)
        if not np.any(c[free] != 0.0):
            partial.append((goal, "skipped", None, None, 0.0))
            continue
        if solved_ahead is None and x is None:
            ahead = _next_goal(goals[k + 1 :], free)
            started = time.perf_counter()
            held = _solve_held_at_least(lm, keep_rows, keep_values, c, ahead, options)
            total_s += time.perf_counter() - started
            if held is not None:  # proven at its least: the next level is solved already
                least = least_value(lm, c)
                partial.append((goal, "optimal", least, 0.0, 0.0))
                log.info("lexicographic level %s: %.6g, its least possible: held", goal.key, least)
                keep_rows.append(c)
                keep_values.append(least)
                solved_ahead = held
                continue
        if x is not None and solved_ahead is None:
            value, least = exact_dot(c, x), least_value(lm, c)
            gap = relative_gap(value, least)
            if gap is not None and gap <= 1e-9:  # the solution in hand is this level's optimum
                partial.append((goal, "optimal", least, gap, 0.0))
                log.info("lexicographic level %s: %.6g, its least possible: kept", goal.key, value)
                keep_rows.append(c)
                keep_values.append(value)
                continue
        started = time.perf_counter()
        if solved_ahead is not None:
            solved, solved_ahead = solved_ahead, None
        else:
            solved = _solve_keeping(lm, keep_rows, keep_values, c, goal.key, options)
        total_s += time.perf_counter() - started
        if solved.x is None:
            if x is None:  # the first level decides feasibility: the caller diagnoses
                return solved, []
            log.warning("lexicographic objective: level %r found no solution: kept", goal.key)
            partial.append((goal, "not_solved", None, None, solved.solve_s))
            continue
        x, raw = solved.x, solved
        value = exact_dot(c, x)
        bound = solved.bound
        stated = solved.objective
        if stated is None or abs(stated - value) > 1e-6 * max(1.0, abs(value)):
            log.warning(
                "lexicographic level %r: the solver stated %s for a solution worth %.10g: its "
                "bound is not used",
                goal.key,
                stated,
                value,
            )
            bound = None
        gap = relative_gap(value, bound)
        status = status_from_gap(gap, options.mip_gap)
        partial.append((goal, status, bound, gap, solved.solve_s))
        log.info("lexicographic level %s: %.6g (%s, gap %s)", goal.key, value, status, gap)
        keep_rows.append(c)
        keep_values.append(value)
    if raw is None or x is None:  # every goal constant: any feasible point will do
        raw = solve_with_options(replace(lm, c=np.zeros(lm.n_cols), offset=0.0), options)
        if raw.x is None:
            return raw, []
        x = raw.x
    levels = [
        LevelResult(goal, status, exact_dot(goal.c, x), bound, gap, solve_s)
        for goal, status, bound, gap, solve_s in partial
    ]
    final = replace(raw, objective=exact_dot(lm.c, x) + lm.offset, solve_s=total_s)
    return final, levels


def combined_gap(levels: list[LevelResult]) -> float | None:
    """The worst proven gap over the solved levels (None if a solved level proved none, or a
    level was not solved)."""
    gaps = []
    for level in levels:
        if level.status == "skipped":
            continue
        if level.status == "not_solved" or level.gap is None:
            return None
        gaps.append(level.gap)
    return max(gaps) if gaps else 0.0
