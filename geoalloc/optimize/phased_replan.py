"""Re-planning a time-phased deployment with the least disruption, from a day on which part of it
has already happened.

The plan in force is a :class:`~geoalloc.optimize.phased.PhasedSchedule` (its shipments and the
temporary sites it opens). On the day of the update, the periods that have started are history:
every shipment departing in them and every temporary site opened in them is fixed (the
:class:`~geoalloc.optimize.phased.PhasedHistory` of :mod:`geoalloc.optimize.phased`); shipments
already on their way still arrive in their scheduled period. New decisions start in the first
period starting on or after that day (``as_of_period``), so a new shipment is usable no earlier
than ``as_of_period + lead`` and a site opened then no earlier than ``as_of_period + setup``:
moves respect lead times.

The distance to the plan in force counts, over the periods from ``as_of_period`` on only (the
local-branching distance of :mod:`geoalloc.optimize.replan` on the time-phased decisions):

``site changes = Σ_j c_j``, ``c_j ≥ |w_jt − w⁰_jt|`` for every ``t ≥ as_of_period`` — a temporary
site opened, cancelled, or opened in another period counts once;

``units changed_r = Σ_{jkt, t ≥ as_of_period} |m_jkrt − m⁰_jkrt|`` — each unit shipped that the
plan in force did not ship, or not shipped that it did, counts once (a shipment of 3 units moved
one period later is 6 units changed: 3 cancelled, 3 added).

:class:`~geoalloc.optimize.replan.ChangeLimits` bounds it: ``max_changes`` (site changes + units
changed, all resources), ``max_site_changes``, ``max_units_changed`` (per movable resource; a
resource that is not movable is never shipped, so its limit always holds). ``max_changes = 0``
keeps the plan in force. The prices (``unmet_per_change`` …) are not taken by the time-phased model
yet: a limit with a price is refused.

The plan in force, kept whole and re-evaluated on the new demand (every ``m`` and ``w`` fixed), is
solved first; it is a feasible point of the re-plan, which starts from it, and a re-plan that comes
out worse (a time limit, a gap) is replaced by it. The result is never worse than keeping the plan.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoalloc._errors import InfeasibleError, InputError
from geoalloc.optimize.linear import LinearModel, ModelBuilder
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.phased import (
    PhasedHistory,
    PhasedPlan,
    PhasedProblem,
    PhasedSchedule,
    _index,
    _Layout,
    _solve_one,
    pin_history,
    schedule_values,
)
from geoalloc.optimize.replan import COMPARE_TOL, ChangeLimits

log = logging.getLogger(__name__)

#: a shipment this close to the plan in force's is unchanged (units)
UNIT_TOL = 1e-6


@dataclass(frozen=True)
class PhasedReplan:
    """A time-phased re-plan, the plan in force under the new data, and what changed.

    Attributes
    ----------
    plan
        The new plan (checked; the history kept: :func:`~geoalloc.optimize.phased_check.check_history`).
    kept
        The plan in force, kept whole and re-evaluated on the new demand (None when the new data
        make it infeasible, e.g. a budget it now exceeds; ``notes`` say so).
    static
        The plan without redeployment (moves nothing, opens nothing) on the new data.
    as_of_period
        The first period the update could change.
    changes
        One row per change: ``change`` (``shipment added``, ``shipment cancelled``, ``site
        opened``, ``site cancelled``, ``site opened earlier``, ``site opened later``), ``site``
        (the temporary site), ``resource``, ``from_site``, ``to_site``, ``units`` (units added or
        cancelled), ``depart_period``, ``arrive_period``, ``lead_periods``, ``open_period_before``,
        ``open_period_after``.
    n_site_changes, units_changed, n_changes
        The distance to the plan in force (module docs): site changes, movable resource → units
        changed, their sum.
    kept_current
        True when the re-plan came out worse than the plan in force and the plan in force was
        returned instead.
    notes
        What the user should know.
    """

    plan: PhasedPlan
    kept: PhasedPlan | None
    static: PhasedPlan
    as_of_period: int
    changes: pd.DataFrame
    n_site_changes: int
    units_changed: dict[str, float]
    n_changes: float
    kept_current: bool = False
    notes: tuple[str, ...] = ()


def as_of_period(day: int, start_day: int, period_days: int) -> int:
    """The first period starting on or after ``day`` (0 for a day on or before ``start_day``)."""
    return max(0, -(-(day - start_day) // period_days))


def _check_limits(limits: ChangeLimits) -> None:
    if limits.priced:
        msg = (
            "change costs (unmet demand a change must avoid) are not taken by the update of a "
            "time-phased deployment yet — limit the changes by number instead (max_changes, "
            "max_site_changes, max_units_changed)"
        )
        raise InputError(msg)


def _limits_adjust(
    limits: ChangeLimits, movable: list[str], m0: np.ndarray, w0: np.ndarray, before: int, T: int
):
    """The ``adjust`` that fixes the history and adds the distance columns and the limit rows."""

    def adjust(lm: LinearModel, lay: _Layout) -> LinearModel:
        lm = pin_history(lm, lay, m0, w0, before)
        wanted = (
            limits.max_changes is not None
            or limits.max_site_changes is not None
            or bool(limits.max_units_changed)
        )
        if not wanted:
            return lm
        b = ModelBuilder.starting_from(lm)
        m_cols = np.arange(lm.blocks["m"].start, lm.blocks["m"].stop)[lay.m_t >= before]
        m_ref = m0[lay.m_t >= before]
        m_res = lay.m_k[lay.m_t >= before]
        n_m = len(m_cols)
        up = b.add_vars("m_more", n_m, lo=0.0)
        down = b.add_vars("m_less", n_m, lo=0.0)
        # m − d⁺ + d⁻ = m⁰
        b.add_rows(
            "m_distance",
            n_m,
            np.tile(np.arange(n_m), 3),
            np.concatenate([m_cols, up + np.arange(n_m), down + np.arange(n_m)]),
            np.concatenate([np.ones(n_m), -np.ones(n_m), np.ones(n_m)]),
            lo=m_ref,
            hi=m_ref,
        )
        n_sites = len(lay.z_site) // T
        c0 = b.add_vars("site_changed", n_sites, lo=0.0, hi=1.0)
        w_start = lm.blocks["w"].start
        later = np.flatnonzero(lay.z_period >= before)
        site_of = later // T
        n_l = len(later)
        if n_l:
            # c_j ≥ w_jt − w⁰_jt and c_j ≥ w⁰_jt − w_jt
            for sign, name in ((1.0, "site_more"), (-1.0, "site_less")):
                b.add_rows(
                    name,
                    n_l,
                    np.tile(np.arange(n_l), 2),
                    np.concatenate([c0 + site_of, w_start + later]),
                    np.concatenate([np.ones(n_l), -sign * np.ones(n_l)]),
                    lo=-sign * w0[later],
                )
        sites = c0 + np.arange(n_sites)
        units = np.concatenate([up + np.arange(n_m), down + np.arange(n_m)])
        if limits.max_changes is not None:
            cols = np.concatenate([sites, units])
            b.add_rows(
                "max_changes",
                1,
                np.zeros(len(cols), dtype=np.int64),
                cols,
                1.0,
                hi=float(limits.max_changes),
            )
        if limits.max_site_changes is not None and n_sites:
            b.add_rows(
                "max_site_changes",
                1,
                np.zeros(n_sites, dtype=np.int64),
                sites,
                1.0,
                hi=float(limits.max_site_changes),
            )
        for resource, most in limits.max_units_changed.items():
            if resource not in movable:
                continue
            sel = np.flatnonzero(m_res == movable.index(resource))
            cols = np.concatenate([up + sel, down + sel])
            b.add_rows(
                f"max_units_{resource}",
                1,
                np.zeros(len(cols), dtype=np.int64),
                cols,
                1.0,
                hi=float(most),
            )
        return b.build()

    return adjust


def change_rows(
    parent: PhasedSchedule, plan: PhasedPlan, before: int
) -> tuple[pd.DataFrame, int, dict[str, float]]:
    """What ``plan`` changed in ``parent`` from period ``before`` on: the rows of
    :attr:`PhasedReplan.changes`, the site changes and the units changed per resource."""
    keys = ["resource", "from_site", "to_site", "depart_period", "arrive_period"]

    def shipped(moves: pd.DataFrame) -> pd.Series:
        later = moves[moves["depart_period"].astype(int) >= before]
        later = later.assign(
            depart_period=later["depart_period"].astype(int),
            arrive_period=later["arrive_period"].astype(int),
        )
        return later.groupby(keys)["units"].sum()

    was, now = shipped(parent.moves), shipped(plan.moves)
    both = was.index.union(now.index)
    diff = now.reindex(both).fillna(0.0) - was.reindex(both).fillna(0.0)
    rows = []
    units_changed: dict[str, float] = {}
    for key, delta in diff.items():
        if abs(delta) <= UNIT_TOL:
            continue
        resource, a, b, t, arrive = key
        units_changed[resource] = units_changed.get(resource, 0.0) + abs(float(delta))
        rows.append(
            {
                "change": "shipment added" if delta > 0 else "shipment cancelled",
                "site": None,
                "resource": resource,
                "from_site": a,
                "to_site": b,
                "units": abs(float(delta)),
                "depart_period": int(t),
                "arrive_period": int(arrive),
                "lead_periods": int(arrive) - int(t),
                "open_period_before": None,
                "open_period_after": None,
            }
        )
    opened = plan.temporary[plan.temporary["opened"].astype(bool)]["open_period"].astype(int)
    n_sites = 0
    for site in parent.opened.index.union(opened.index):
        old = parent.opened.get(site)
        new = opened.get(site)
        old_v = None if old is None else int(old)
        new_v = None if new is None else int(new)
        if old_v == new_v or (old_v is not None and old_v < before):
            continue
        if old_v is None:
            change = "site opened"
        elif new_v is None:
            change = "site cancelled"
        else:
            change = "site opened earlier" if new_v < old_v else "site opened later"
        n_sites += 1
        rows.append(
            {
                "change": change,
                "site": site,
                "resource": None,
                "from_site": None,
                "to_site": None,
                "units": None,
                "depart_period": None,
                "arrive_period": None,
                "lead_periods": None,
                "open_period_before": old_v,
                "open_period_after": new_v,
            }
        )
    columns = [
        "change",
        "site",
        "resource",
        "from_site",
        "to_site",
        "units",
        "depart_period",
        "arrive_period",
        "lead_periods",
        "open_period_before",
        "open_period_after",
    ]
    return pd.DataFrame(rows, columns=columns), n_sites, units_changed


def solve_phased_update(
    problem: PhasedProblem,
    options: OptimizeOptions | None,
    parent: PhasedSchedule,
    as_of: int,
    limits: ChangeLimits | None = None,
) -> PhasedReplan:
    """Re-plan ``parent`` on ``problem`` (the new data) from period ``as_of`` on (module docs).

    Parameters
    ----------
    problem
        The time-phased problem on the new data (same periods as the plan in force).
    options
        The ``[optimize]`` options.
    parent
        The plan in force.
    as_of
        The first period the update may change (:func:`as_of_period` of the update's day);
        earlier periods keep ``parent``'s decisions.
    limits
        How much may change from ``as_of`` on (None: no limit).

    Returns
    -------
    PhasedReplan
        With no limit, ``plan`` is the time-phased optimum with the history fixed (as
        :func:`~geoalloc.optimize.phased.solve_phased` with a history); with ``max_changes = 0``
        it is ``kept``; never worse than ``kept``.

    Raises
    ------
    InputError
        A limit with a price; ``as_of`` outside the horizon; a decision of ``parent`` the new data
        cannot hold (a site gone, another lead time); history the new data make infeasible.
    """
    from geoalloc.optimize.phased_check import check_history, check_phased
    from geoalloc.optimize.phased_cleanup import cancel_circular_moves
    from geoalloc.optimize.solvers import usable_solver_options

    limits = limits or ChangeLimits()
    _check_limits(limits)
    deployment = problem.options
    T = deployment.periods
    if not 0 <= as_of <= T:
        msg = f"the update's first period {as_of} is outside the horizon (periods 0 … {T - 1})"
        raise InputError(msg)
    options = usable_solver_options(options or OptimizeOptions())
    ix = _index(problem, options.max_minutes)
    movable = [ix.resources[k] for k in ix.movable]
    static, _ = _solve_one(ix, options, deployment, redeploy=False)
    check_phased(problem, options, static)

    values: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def pinned(before: int, with_limits: bool):
        def adjust(lm: LinearModel, lay: _Layout) -> LinearModel:
            if "v" not in values:
                values["v"] = schedule_values(ix, lay, parent, deployment)
            m0, w0 = values["v"]
            if with_limits:
                return _limits_adjust(limits, movable, m0, w0, before, T)(lm, lay)
            return pin_history(lm, lay, m0, w0, before)

        return adjust

    notes: list[str] = []
    kept: PhasedPlan | None = None
    kept_x: np.ndarray | None = None
    try:
        kept, kept_x = _solve_one(ix, options, deployment, redeploy=True, adjust=pinned(T, False))
        check_phased(problem, options, kept, fixed_before=T)
    except InfeasibleError:
        notes.append(
            "the plan in force, kept whole, is infeasible on the new data (a budget it now "
            "exceeds, or fewer units at a site than it ships): the re-plan is not compared with it"
        )
    history = PhasedHistory(schedule=parent, before=as_of)
    replan_bound: float | None = None
    if limits.max_changes == 0 and kept is not None:
        plan = kept
    else:
        adjust = pinned(as_of, True)
        known_bound = None
        if deployment.integer_moves and len(ix.movable):
            relaxed = deployment.model_copy(update={"integer_moves": False})
            try:
                loose, _ = _solve_one(
                    ix, options, relaxed, redeploy=True, start=kept_x, adjust=adjust
                )
            except InfeasibleError:
                raise _history_infeasible(as_of) from None
            known_bound = loose.bound
        try:
            plan, _ = _solve_one(
                ix,
                options,
                deployment,
                redeploy=True,
                start=kept_x,
                known_bound=known_bound,
                adjust=adjust,
            )
        except InfeasibleError:
            raise _history_infeasible(as_of) from None
        replan_bound = plan.bound
        plan = cancel_circular_moves(problem, options, plan, fixed_before=as_of)
        check_phased(problem, options, plan, fixed_before=as_of)
    check_history(plan, history)
    kept_current = False
    if kept is not None and plan is not kept:
        if plan.objective > kept.objective + COMPARE_TOL * max(1.0, abs(kept.objective)):
            notes.append(
                f"the re-plan (objective {plan.objective:.6g}, {plan.status}) came out worse than "
                f"keeping the plan in force ({kept.objective:.6g}): the plan in force is kept"
            )
            plan, kept_current = kept, True
    changes, n_sites, units = change_rows(parent, plan, as_of)
    n_changes = n_sites + sum(units.values())
    if kept is not None and replan_bound is not None and changes.empty:
        room = kept.objective - replan_bound
        if room > COMPARE_TOL * max(1.0, abs(kept.objective)):
            penalty = options.unmet_penalty_minutes
            as_unit_days = f" (at most {room / penalty:.4g} unmet unit-days)" if penalty > 0 else ""
            notes.append(
                f"no change found worth more than the [optimize] mip_gap {options.mip_gap:g} of "
                f"the objective: the solver's bound leaves up to {room:.6g} demand-weighted "
                f"minutes to gain{as_unit_days} — lower mip_gap in the update's scenario to look "
                "further"
            )
    log.info(
        "time-phased update from period %d: %d site change(s), units changed %s; objective "
        "kept %s → %.6g",
        as_of,
        n_sites,
        units,
        f"{kept.objective:.6g}" if kept is not None else "—",
        plan.objective,
    )
    return PhasedReplan(
        plan=dataclasses.replace(plan, notes=(*plan.notes, *notes)),
        kept=kept,
        static=static,
        as_of_period=as_of,
        changes=changes,
        n_site_changes=n_sites,
        units_changed=units,
        n_changes=float(n_changes),
        kept_current=kept_current,
        notes=tuple(notes),
    )


def _history_infeasible(as_of: int) -> InputError:
    return InputError(
        f"the decisions of the plan in force before period {as_of} (shipments departed, temporary "
        "sites opened) cannot be kept on the new data: the solver proved it infeasible (fewer "
        "units at a site than already shipped from it, a budget already spent, or no unmet "
        "demand allowed) — check the new facilities' units and the [optimize] budget, or set "
        "[optimize] allow_unmet = true"
    )
