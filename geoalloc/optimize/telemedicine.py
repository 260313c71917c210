"""Telemedicine hubs next to physical sites: a small MILP over physician-hours per week.

Indices: areas ``i``, physical sites ``p`` (in-person physician-hours), hubs ``h``. Data: demand
``D_i`` (physician-hours/week), divertible hours ``V_i`` (``share × D_i`` for connected areas, 0
otherwise), in-person capacity ``C_p``, minutes ``t_ip`` (pairs within the standard T only), hub
maximum ``M_h``, opening cost ``f_h``, cost per hour ``k``.

Variables
    ``x_ip ≥ 0`` hours of area i served in person at p (only pairs with ``t_ip ≤ T``);
    ``z_ih ≥ 0`` hours of area i served by hub h (only areas with ``V_i > 0``, any distance);
    ``u_i ≥ 0`` unmet hours; ``y_h ∈ {0,1}`` hub open; ``a_h ∈ [0, M_h]`` hub hours.

Objective (minutes-equivalent)
    ``Σ t_ip x_ip + tele_minutes·Σ z_ih + unmet_penalty·Σ u_i + cost_weight·(Σ f_h y_h + k Σ a_h)``

Constraints
    ``Σ_p x_ip + Σ_h z_ih + u_i = D_i``      every area
    ``Σ_h z_ih ≤ V_i``                        every eligible area (the divertible share)
    ``Σ_i x_ip ≤ C_p``                        every physical site
    ``Σ_i z_ih ≤ a_h``;  ``a_h ≤ M_h y_h``    every hub
    ``Σ f_h y_h + k Σ a_h ≤ budget``          with a budget

A non-connected area has no ``z`` column at all, so it cannot be tele-served by construction; the
independent :func:`check_telemedicine` verifies it (and every other constraint) from the plan's
tables. Unmet demand is always allowed, so the model is always feasible.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geoalloc.optimize.check import CheckError
from geoalloc.optimize.linear import (
    ModelBuilder,
    solve_with_options,
)
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import Solved, SolveOutcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TeleProblem:
    """The model's data, as tables keyed by id (all hours are physician-hours per week).

    Attributes
    ----------
    demand
        Index area id: outpatient hours needed.
    divertible
        Index area id: hours a hub may serve (0 for non-connected areas).
    connected
        Index area id: True where the area is eligible for telemedicine.
    site_hours
        Index site id: in-person hours of each physical site.
    od
        Columns ``area``, ``site``, ``minutes``: in-person pairs (filtered to ``max_minutes``).
    hubs
        Index hub id; columns ``max_hours``, ``opening_cost`` (currency).
    max_minutes
        The standard T (minutes).
    cost_per_hour, budget
        Currency per hub hour; limit on openings + hours (None: none).
    """

    demand: pd.Series
    divertible: pd.Series
    connected: pd.Series
    site_hours: pd.Series
    od: pd.DataFrame
    hubs: pd.DataFrame
    max_minutes: float
    cost_per_hour: float = 0.0
    budget: float | None = None


@dataclass(frozen=True)
class TeleWeights:
    """Objective weights (minutes-equivalent per physician-hour, and per currency unit)."""

    unmet_penalty: float = 1000.0
    tele_minutes: float = 30.0
    cost_weight: float = 0.001


@dataclass(frozen=True)
class TelePlan(Solved):
    """A solved plan; ``outcome`` is what the solver proved (status from its bound: ``optimal`` /
    ``feasible``), and ``plan.status`` and the like read it.

    ``in_person``: columns ``area``, ``site``, ``hours``, ``minutes``; ``tele``: ``area``, ``hub``,
    ``hours``; ``hubs``: index hub id, ``open``, ``hours`` (sized), ``load`` (used), ``cost``;
    ``unmet``: hours per area; ``notes``: things the user should know (none so far).
    """

    outcome: SolveOutcome
    in_person: pd.DataFrame
    tele: pd.DataFrame
    hubs: pd.DataFrame
    unmet: pd.Series
    costs: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def solve_telemedicine(
    problem: TeleProblem, options: OptimizeOptions, weights: TeleWeights | None = None
) -> TelePlan:
    """Build and solve the model with the ``[optimize]`` solver settings, then check the plan."""
    weights = weights or TeleWeights()
    started = time.perf_counter()
    areas = problem.demand.index.sort_values()
    sites = problem.site_hours.index.sort_values()
    hubs = problem.hubs.index.sort_values()
    n, h = len(areas), len(hubs)
    demand = problem.demand.reindex(areas).to_numpy(dtype=float, copy=True)
    divertible = problem.divertible.reindex(areas).fillna(0.0).to_numpy(dtype=float, copy=True)
    divertible[~problem.connected.reindex(areas).fillna(False).to_numpy(dtype=bool)] = 0.0
    od = problem.od[problem.od["minutes"] <= problem.max_minutes]
    od = od[od["site"].isin(sites) & od["area"].isin(areas)].sort_values(["area", "site"])
    pa = areas.get_indexer(od["area"])
    ps = sites.get_indexer(od["site"])
    pt = od["minutes"].to_numpy(dtype=float)
    eligible = np.flatnonzero(divertible > 0)
    za = np.repeat(eligible, h)
    zh = np.tile(np.arange(h), len(eligible))
    opening = problem.hubs["opening_cost"].reindex(hubs).to_numpy(dtype=float)
    max_hours = problem.hubs["max_hours"].reindex(hubs).to_numpy(dtype=float)
    k = float(problem.cost_per_hour)

    b = ModelBuilder()
    x0 = b.add_vars("x", len(pa), cost=pt, lo=0.0)
    z0 = b.add_vars("z", len(za), cost=weights.tele_minutes, lo=0.0)
    u0 = b.add_vars("u", n, cost=weights.unmet_penalty, lo=0.0, hi=demand)
    y0 = b.add_vars("y", h, cost=weights.cost_weight * opening, lo=0.0, hi=1.0, integer=True)
    a0 = b.add_vars("a", h, cost=weights.cost_weight * k, lo=0.0, hi=max_hours)
    b.add_rows(
        "assign",
        n,
        np.concatenate([pa, za, np.arange(n)]),
        np.concatenate([x0 + np.arange(len(pa)), z0 + np.arange(len(za)), u0 + np.arange(n)]),
        1.0,
        lo=demand,
        hi=demand,
    )
    e_row = np.repeat(np.arange(len(eligible)), h)
    b.add_rows(
        "divert", len(eligible), e_row, z0 + np.arange(len(za)), 1.0, hi=divertible[eligible]
    )
    b.add_rows(
        "site", len(sites), ps, x0 + np.arange(len(pa)), 1.0, hi=problem.site_hours.reindex(sites)
    )
    b.add_rows(
        "hub",
        h,
        np.concatenate([zh, np.arange(h)]),
        np.concatenate([z0 + np.arange(len(za)), a0 + np.arange(h)]),
        np.concatenate([np.ones(len(za)), -np.ones(h)]),
        hi=0.0,
    )
    b.add_rows(
        "hub_open",
        h,
        np.concatenate([np.arange(h), np.arange(h)]),
        np.concatenate([a0 + np.arange(h), y0 + np.arange(h)]),
        np.concatenate([np.ones(h), -max_hours]),
        hi=0.0,
    )
    if problem.budget is not None and h:
        b.add_rows(
            "budget",
            1,
            np.zeros(2 * h),
            np.concatenate([y0 + np.arange(h), a0 + np.arange(h)]),
            np.concatenate([opening, np.full(h, k)]),
            hi=float(problem.budget),
        )
    lm = b.build()
    build_s = time.perf_counter() - started
    raw = solve_with_options(lm, options)
    if raw.x is None:
        from geoalloc._errors import SolverError

        msg = (
            f"telemedicine model: no solution within {options.time_limit_s:g} s (solver said "
            f"{raw.solver_label!r}) — raise [optimize] time_limit_s"
        )
        raise SolverError(msg)
    xv = raw.x
    x = np.maximum(xv[lm.blocks["x"]], 0.0)
    z = np.maximum(xv[lm.blocks["z"]], 0.0)
    opened = xv[lm.blocks["y"]] > 0.5
    hours = np.where(opened, np.maximum(xv[lm.blocks["a"]], 0.0), 0.0)
    keep_x, keep_z = x > 1e-9, z > 1e-9
    in_person = pd.DataFrame(
        {
            "area": areas[pa[keep_x]],
            "site": sites[ps[keep_x]],
            "hours": x[keep_x],
            "minutes": pt[keep_x],
        }
    )
    tele = pd.DataFrame({"area": areas[za[keep_z]], "hub": hubs[zh[keep_z]], "hours": z[keep_z]})
    served = np.bincount(pa[keep_x], weights=x[keep_x], minlength=n) + np.bincount(
        za[keep_z], weights=z[keep_z], minlength=n
    )
    unmet = pd.Series(np.maximum(demand - served, 0.0), index=areas, name="unmet_hours")
    load = tele.groupby("hub")["hours"].sum().reindex(hubs).fillna(0.0)
    hub_table = pd.DataFrame(
        {
            "open": opened,
            "hours": hours,
            "load": load.to_numpy(),
            "cost": np.where(opened, opening, 0.0) + k * hours,
        },
        index=hubs,
    )
    hub_table.index.name = "hub"
    costs = {
        "opening": float(opening[opened].sum()),
        "hours": float(k * hours.sum()),
    }
    costs["total"] = costs["opening"] + costs["hours"]
    plan = TelePlan(
        outcome=SolveOutcome.from_solution(raw, options, build_s),
        in_person=in_person,
        tele=tele,
        hubs=hub_table,
        unmet=unmet,
        costs=costs,
    )
    check_telemedicine(problem, plan)
    log.info(
        "telemedicine: %s, objective %.6g, gap %s, %d hub(s) open, %.4g tele hours",
        plan.status,
        plan.objective,
        plan.gap,
        int(opened.sum()),
        float(tele["hours"].sum()),
    )
    return plan


def check_telemedicine(problem: TeleProblem, plan: TelePlan) -> None:
    """Verify a plan against the problem's tables alone; :class:`CheckError` lists every breach.

    No non-connected area is tele-served; tele hours ≤ each area's divertible hours; in person only
    at physical sites within the standard (the OD says so) and within their hours; hub load ≤ hub
    hours ≤ hub maximum, and only at open hubs; in person + tele + unmet = demand; the budget.
    """
    bad: list[str] = []
    demand = problem.demand.astype(float)

    def tol(scale: float) -> float:
        return 1e-6 * max(1.0, abs(scale))

    connected = problem.connected.reindex(demand.index).fillna(False).astype(bool)
    tele_area = plan.tele.groupby("area")["hours"].sum().reindex(demand.index).fillna(0.0)
    offenders = tele_area.index[(tele_area > 1e-9) & ~connected]
    if len(offenders):
        bad.append(f"non-connected areas are tele-served: {', '.join(map(str, offenders))}")
    limit = problem.divertible.reindex(demand.index).fillna(0.0).where(connected, 0.0)
    over = tele_area.index[tele_area > limit + limit.abs().map(tol)]
    if len(over):
        bad.append(f"tele hours above the divertible share: {', '.join(map(str, over))}")
    if not plan.in_person.empty:
        pairs = problem.od[problem.od["minutes"] <= problem.max_minutes + 1e-9]
        known = pd.MultiIndex.from_frame(pairs[["area", "site"]])
        used = pd.MultiIndex.from_frame(plan.in_person[["area", "site"]])
        outside = used[~used.isin(known)]
        if len(outside):
            bad.append(f"{len(outside)} in-person assignment(s) beyond {problem.max_minutes} min")
    site_load = plan.in_person.groupby("site")["hours"].sum()
    cap = problem.site_hours.reindex(site_load.index).fillna(0.0)
    over_sites = site_load.index[site_load > cap + cap.map(tol)]
    if len(over_sites):
        bad.append(f"sites over their in-person hours: {', '.join(map(str, over_sites))}")
    hubs = plan.hubs
    max_hours = problem.hubs["max_hours"].reindex(hubs.index)
    if (hubs["load"] > hubs["hours"] + hubs["hours"].map(tol)).any():
        bad.append("a hub serves more hours than it was given")
    if (hubs["hours"] > max_hours + max_hours.map(tol)).any():
        bad.append("a hub is sized above its maximum hours")
    if ((hubs["hours"] > 1e-9) & ~hubs["open"]).any():
        bad.append("a closed hub has hours")
    unknown_hubs = set(plan.tele["hub"]) - set(problem.hubs.index)
    if unknown_hubs:
        bad.append(f"tele hours at sites that are not hubs: {sorted(unknown_hubs)}")
    person_area = plan.in_person.groupby("area")["hours"].sum().reindex(demand.index).fillna(0.0)
    total = person_area + tele_area + plan.unmet.reindex(demand.index).fillna(0.0)
    off = total.index[(total - demand).abs() > demand.map(tol)]
    if len(off):
        bad.append(f"in person + tele + unmet ≠ demand for: {', '.join(map(str, off))}")
    opening = problem.hubs["opening_cost"].reindex(hubs.index)
    spent = float(opening[hubs["open"]].sum() + problem.cost_per_hour * hubs["hours"].sum())
    if problem.budget is not None and spent > problem.budget + tol(problem.budget):
        bad.append(f"hub costs {spent:.6g} exceed the budget {problem.budget:.6g}")
    if bad:
        raise CheckError(bad)
