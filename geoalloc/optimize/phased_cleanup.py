"""Shipments that cancel out, taken out of a solved time-phased plan without changing what it serves.

A MIP solved to a gap may keep shipments that undo each other: 19 ventilators from site A to site B
and 1 back in the same period, or a ring A → B → C → A. Such moves cost money and buy nothing. This
module removes the largest such set, as a small linear programme over the plan's own moves:

    maximise   Σ_e (g_e + 1) · δ_e            g_e: the shipment's cost per unit (currency)
    subject to 0 ≤ δ_e ≤ units_e               (integer with ``integer_moves``)
               0 ≤ Δs_jrt ≤ room_jrt − s_jrt   every site j, movable resource r, period t

where ``δ_e`` is taken off shipment ``e`` and ``Δs_jrt = Σ δ (shipments leaving j by t) − Σ δ
(shipments arriving at j by t)`` is the change in site j's usable stock in period t. ``room`` is
unbounded at existing sites and, at a temporary site, its capacity once ready (0 before).

Why the plan stays as good, constraint by constraint (the model is in
:mod:`geoalloc.optimize.phased`): every stock is at least what it was (``Δs ≥ 0``), so every unit
served stays served from the same site (served ≤ stock) and every shipment that remains still
leaves from stock that was there before its period (fewer units leave, more were there);
temporary sites stay within their room; fixed resources, the openings and the service shares
(``x``, ``u``) do not change, so neither do served and unmet demand; shipping costs only fall, so
the budget still holds and the objective falls by ``cost_weight × the shipping cost saved``.
Every unit that leaves comes back: in the last period the stocks sum to the same total as before
(all shipments arrive within the horizon), so each ``Δs`` is 0 there and ``δ`` is a circulation —
cycles of shipments that cancel out. After the maximum is taken no such cycle is left (one more
could be added to ``δ``); :func:`geoalloc.optimize.phased_check.check_phased` verifies that
independently, as a search for a cycle in the time-expanded graph of the plan.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

import geoalloc._text as fmt
from geoalloc.optimize.linear import relative_gap, status_from_gap
from geoalloc.optimize.options import OptimizeOptions

if TYPE_CHECKING:  # phased.py calls this module: types only, no import cycle
    from geoalloc.optimize.phased import PhasedPlan, PhasedProblem

log = logging.getLogger(__name__)

#: shipments and stock changes smaller than this (units) are float noise
UNIT_TOL = 1e-9


def cancel_circular_moves(
    problem: PhasedProblem, options: OptimizeOptions, plan: PhasedPlan, *, fixed_before: int = 0
) -> PhasedPlan:
    """``plan`` without the shipments that cancel out (see the module docs).

    Parameters
    ----------
    problem
        The time-phased problem ``plan`` solves.
    options
        The ``[optimize]`` options it was solved with (``cost_weight``, ``mip_gap``).
    plan
        A solved plan (with redeployment).
    fixed_before
        Shipments departing before this period were decided earlier and are left whole (see
        :class:`~geoalloc.optimize.phased.PhasedHistory`).

    Returns
    -------
    PhasedPlan
        The same plan when nothing cancels out; otherwise the plan with those shipments reduced or
        removed, its stocks, shipping costs and objective recomputed (the gap and status from the
        solver's bound), what was removed in ``cancelled`` and a note saying it. Served and unmet
        demand, openings and temporary sites are unchanged.
    """
    moves = plan.moves
    if moves.empty:
        return plan
    keys, matrix = _rows(problem, moves)
    removed = _largest_cancelling_set(problem, plan, keys, matrix, fixed_before)
    if removed is None or not (removed > UNIT_TOL).any():
        return plan

    per_unit = (moves["cost"] / moves["units"]).to_numpy(dtype=float)
    units = moves["units"].to_numpy(dtype=float) - removed
    units[np.abs(units) < UNIT_TOL] = 0.0
    kept = units > 0
    cleaned = moves.assign(units=units, cost=units * per_unit)[kept].reset_index(drop=True)

    stocks = plan.stocks.copy()
    change = pd.Series(matrix @ removed, index=keys)
    key = pd.MultiIndex.from_frame(stocks[["site", "resource", "period"]])
    stocks["stock"] = stocks["stock"].to_numpy(dtype=float) + change.reindex(key).fillna(
        0.0
    ).to_numpy(dtype=float)

    saved = float(np.dot(removed, per_unit))
    costs = dict(plan.costs)
    costs["transfers"] = float(cleaned["cost"].sum())
    costs["total"] = costs["opening"] + costs["running"] + costs["transfers"]
    objective = plan.outcome.objective - options.cost_weight * saved
    gap = relative_gap(objective, plan.outcome.bound)
    outcome = dataclasses.replace(
        plan.outcome,
        objective=objective,
        gap=gap,
        status=status_from_gap(gap, options.mip_gap),
    )
    columns = ["resource", "from_site", "to_site", "depart_day", "arrive_day"]
    touched = moves[columns].assign(units=removed)[removed > UNIT_TOL]
    cancelled = {
        "units": float(removed.sum()),
        "shipments": len(touched),
        "shipments_removed": len(moves) - len(cleaned),
        "transfer_cost": saved,
        "moves": touched.to_dict(orient="records"),
    }
    note = (
        f"shipments that cancelled out (units sent both ways or round a ring of sites) taken out "
        f"of the solver's plan: {cancelled['units']:g} units from {cancelled['shipments']} "
        f"shipment(s), {cancelled['shipments_removed']} of them dropped; shipping cost "
        f"{fmt.number(saved, 0)} lower, served demand unchanged"
    )
    log.info("time-phased plan: %s", note)
    return dataclasses.replace(
        plan,
        moves=cleaned,
        stocks=stocks,
        costs=costs,
        outcome=outcome,
        notes=(*plan.notes, note),
        cancelled=cancelled,
    )


def _room(problem: PhasedProblem, plan: PhasedPlan) -> pd.Series:
    """Free room ``room − stock`` per (site, resource, period) at temporary sites (0 before ready)."""
    temporary = problem.temporary.reindex(problem.capacity.index).fillna(False).astype(bool)
    stocks = plan.stocks[plan.stocks["site"].map(temporary).fillna(False).astype(bool)]
    ready = plan.temporary["ready_period"].where(plan.temporary["opened"].astype(bool))
    ready_period = stocks["site"].map(ready).astype("Float64")
    is_ready = (ready_period.notna() & (stocks["period"] >= ready_period)).fillna(False)
    capacity = np.array(
        [
            float(problem.capacity.loc[s, r])
            for s, r in zip(stocks["site"], stocks["resource"], strict=True)
        ]
    )
    room = np.where(is_ready.to_numpy(dtype=bool), capacity, 0.0)
    free = np.maximum(0.0, room - stocks["stock"].to_numpy(dtype=float))
    return pd.Series(free, index=pd.MultiIndex.from_frame(stocks[["site", "resource", "period"]]))


def _rows(problem: PhasedProblem, moves: pd.DataFrame) -> tuple[pd.MultiIndex, sparse.csr_array]:
    """One row per (site, resource, period) of the sites the moves touch: ``Δs`` as ``A @ δ``."""
    T = problem.periods
    sites = pd.unique(np.concatenate([moves["from_site"], moves["to_site"]]))
    keys = pd.MultiIndex.from_product(
        [sites, pd.unique(moves["resource"]), range(T)], names=["site", "resource", "period"]
    )
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for e, move in enumerate(moves.itertuples(index=False)):
        for site, start, sign in (
            (move.from_site, int(move.depart_period), 1.0),
            (move.to_site, int(move.arrive_period), -1.0),
        ):
            first = keys.get_loc((site, move.resource, 0))
            rows.extend(range(first + start, first + T))
            cols.extend([e] * (T - start))
            vals.extend([sign] * (T - start))
    matrix = sparse.csr_array((vals, (rows, cols)), shape=(len(keys), len(moves)))
    return keys, matrix


def _largest_cancelling_set(
    problem: PhasedProblem,
    plan: PhasedPlan,
    keys: pd.MultiIndex,
    matrix: sparse.csr_array,
    fixed_before: int = 0,
) -> np.ndarray | None:
    """Units to take off each move (the module's linear programme; ``keys`` and ``matrix`` from
    :func:`_rows`), or None if it fails."""
    moves = plan.moves
    upper = _room(problem, plan).reindex(keys).fillna(np.inf).to_numpy(dtype=float)
    units = moves["units"].to_numpy(dtype=float)
    movable = np.where(moves["depart_period"].to_numpy(dtype=int) >= fixed_before, units, 0.0)
    per_unit = (moves["cost"] / moves["units"]).to_numpy(dtype=float)
    integer = problem.options.integer_moves
    result = milp(
        c=-(per_unit + 1.0),
        constraints=LinearConstraint(matrix, lb=np.zeros(len(keys)), ub=upper),
        bounds=Bounds(np.zeros(len(units)), movable),
        integrality=np.ones(len(units)) if integer else None,
    )
    if not result.success or result.x is None:
        log.warning(
            "time-phased plan: the search for shipments that cancel out failed: %s", result.message
        )
        return None
    removed = np.clip(result.x, 0.0, movable)
    if integer:
        removed = np.round(removed)
    removed[removed < UNIT_TOL] = 0.0
    return removed
