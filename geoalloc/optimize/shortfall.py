"""Who is left without, and why: the limit that keeps each area's unmet demand unserved.

For every (area, resource) with unmet demand in a solved plan, :func:`shortfall_reasons` names the
first limit that explains it, checked in this order:

``no_site_within_standard``
    No site (open or candidate) lies within the travel standard of the area.
``not_among_chosen_sites``
    Sites within reach exist but the plan keeps them closed (classic models: only ``p`` open).
``fixed_stock``
    Every open site within reach is full for the resource and the resource cannot be added (no
    ``[optimize] cost_per_unit`` for it) nor opened elsewhere within reach.
``maximum_size``
    Every site within reach is full and already at its maximum size (``max_size_columns`` /
    ``max_added``), and no closed site within reach has that resource.
``budget``
    More could be added within reach, but the total ``[optimize] budget`` left is below the
    cheapest addition (one module, or opening the cheapest closed site within reach).
``resource_budget``
    Likewise for the resource's own budget (``[optimize] resource_budgets``).
``coupling``
    Expanding would break a ``couplings`` ratio at every site within reach that has room.
``cost_above_penalty``
    (``objective = "weighted"``) Adding is possible and affordable but costs more (×
    ``cost_weight``) than the unmet penalty it saves: raise ``unmet_penalty_minutes`` or lower
    ``cost_weight``.
``within_solver_gap``
    (``objective = "lexicographic"``) Adding is possible and affordable: the plan's unmet demand
    is proven only within ``mip_gap`` of the least possible, and this remainder is within it.
``capacity_left_unused``
    Some site within reach has spare capacity and still does not serve the area (its priority
    weight makes the penalty smaller than the travel minutes, or the solver stopped at a small
    gap).
``solver_stopped_early``
    The solver stopped (e.g. at its time limit) before proving the plan within ``[optimize]
    acceptable_gap``, and the area would otherwise be ``capacity_left_unused`` or
    ``cost_above_penalty``: those two follow only from an optimal plan, so here the cause is
    that the solver did not finish, not capacity or cost.

The detail text names the sites, the figures and the other areas that took the capacity when a
priority weighting is in force. Pure function of the problem, the options and the plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import geoalloc._text as fmt
from geoalloc._validate import format_ids
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import Allocation, AllocationProblem

#: units of unmet demand (or capacity) below this are float noise
TOLERANCE = 1e-6

REASONS = {
    "no_site_within_standard": "no site within the travel standard",
    "not_among_chosen_sites": "sites within reach are not among those the plan keeps open",
    "fixed_stock": "every site within reach is full and this resource cannot be added",
    "maximum_size": "every site within reach is full and at its maximum size",
    "budget": "every site within reach is full and the budget is spent",
    "resource_budget": "every site within reach is full and this resource's budget is spent",
    "coupling": "expanding would break a resource ratio (coupling) at every site within reach",
    "cost_above_penalty": "adding capacity costs more than the unmet-demand penalty it saves",
    "within_solver_gap": "the least unmet demand is proven only within mip_gap; this is within it",
    "capacity_left_unused": "a site within reach has spare capacity but does not serve the area",
    "solver_stopped_early": "the solver stopped before proving the plan: a better plan may serve "
    "this demand",
}

#: reasons that follow from the plan being optimal: for an unproven plan they are not shown
OPTIMALITY_REASONS = frozenset({"capacity_left_unused", "cost_above_penalty", "within_solver_gap"})


def _money(value: float) -> str:
    return f"{value:,.0f}"


class _Plan:
    """The plan's per-site figures for one resource, and what the options allow."""

    def __init__(
        self, problem: AllocationProblem, allocation: Allocation, options: OptimizeOptions
    ) -> None:
        self.problem = problem
        self.options = options
        self.sites = allocation.sites
        self._room: dict[str, pd.Series] = {}  # per resource, computed once
        self._figures: dict[str, dict[str, dict]] = {}
        self.is_open = self.sites["open"].astype(bool).to_dict()
        self.costs = allocation.costs
        self.open = self.sites["open"].astype(bool)
        self.invested = float(self.costs.get("opening", 0.0)) + float(
            self.costs.get("expansion", 0.0)
        )
        opening = problem.opening_cost
        self.opening_cost = (
            pd.to_numeric(opening, errors="coerce").reindex(self.sites.index).fillna(0.0)
            if opening is not None
            else pd.Series(0.0, index=self.sites.index)
        )

    def room(self, resource: str) -> pd.Series:
        """Units of ``resource`` each site could still add (inf when unbounded; 0 if fixed)."""
        if resource not in self._room:
            self._room[resource] = self._room_of(resource)
        return self._room[resource]

    def _room_of(self, resource: str) -> pd.Series:
        if resource not in self.options.cost_per_unit:
            return pd.Series(0.0, index=self.sites.index)
        room = pd.Series(np.inf, index=self.sites.index)
        max_size = self.problem.max_size
        if max_size is not None and resource in max_size.columns:
            limit = pd.to_numeric(max_size[resource], errors="coerce").reindex(room.index)
            room = (limit - self.sites[f"{resource}_after"]).where(limit.notna(), np.inf)
        if resource in self.options.max_added:
            added = self.sites[f"{resource}_after"] - self.sites[f"{resource}_before"]
            room = np.minimum(room, self.options.max_added[resource] - added)
        module = float(self.options.module_size.get(resource, 1.0))
        step = 0.0 if self.options.continuous_expansion else module
        return room.where(room >= max(step, TOLERANCE), 0.0)

    def figures(self, resource: str) -> dict[str, dict]:
        """Per site, as dicts for fast lookups: ``spare`` (capacity after − load), ``room`` (units
        that could still be added) and ``before`` (capacity before the plan)."""
        if resource not in self._figures:
            after = self.sites[f"{resource}_after"]
            self._figures[resource] = {
                "spare": (after - self.sites[f"{resource}_load"]).to_dict(),
                "room": self.room(resource).to_dict(),
                "before": self.sites[f"{resource}_before"].to_dict(),
            }
        return self._figures[resource]

    def module_cost(self, resource: str) -> float:
        unit = float(self.options.cost_per_unit.get(resource, 0.0))
        return unit * float(self.options.module_size.get(resource, 1.0))

    def coupling_blocks(self, resource: str, site: object) -> bool:
        """True when one more module of ``resource`` at ``site`` breaks a max-ratio coupling."""
        step = float(self.options.module_size.get(resource, 1.0))
        for coupling in self.options.couplings:
            if coupling.resource != resource or coupling.max_ratio is None:
                continue
            after = float(self.sites.at[site, f"{resource}_after"])
            per = float(self.sites.at[site, f"{coupling.per}_after"])
            per_expandable = coupling.per in self.options.cost_per_unit
            if after + step > coupling.max_ratio * per + TOLERANCE and not per_expandable:
                return True
        return False


def _reason(plan: _Plan, resource: str, reachable: tuple, capacitated: bool) -> tuple[str, str]:
    """The reason code and detail for unmet ``resource`` demand of an area reaching ``reachable``
    (site ids, sorted)."""
    if not reachable:
        return "no_site_within_standard", "no site within the standard"
    opened = [s for s in reachable if plan.is_open[s]]
    closed = [s for s in reachable if not plan.is_open[s]]
    if not capacitated:
        if not opened:
            return (
                "not_among_chosen_sites",
                f"sites within reach ({format_ids(reachable)}) are not among those kept open",
            )
        return "capacity_left_unused", f"open sites within reach: {format_ids(opened)}"
    figures = plan.figures(resource)
    with_spare = [s for s in opened if figures["spare"][s] > TOLERANCE]
    if with_spare:
        return (
            "capacity_left_unused",
            f"{format_ids(with_spare)} within reach have "
            f"{sum(figures['spare'][s] for s in with_spare):.3g} {resource} spare",
        )
    room, before = figures["room"], figures["before"]
    full = f"sites within reach are full ({format_ids(opened)})" if opened else ""
    # ways to get more of the resource within reach: expand an open site, or open a closed one
    openable = [s for s in closed if before[s] > TOLERANCE or room[s] > 0]
    expandable = [s for s in opened if room[s] > 0]
    if not expandable and not openable:
        if resource not in plan.options.cost_per_unit:
            return (
                "fixed_stock",
                f"{full or 'no open site within reach'}; {resource} cannot be added "
                f"(no [optimize] cost_per_unit.{resource})",
            )
        return "maximum_size", f"{full or 'no open site within reach'}; all at maximum size"
    unblocked = [s for s in expandable if not plan.coupling_blocks(resource, s)]
    if not unblocked and not openable:
        return "coupling", f"{full}; a coupling ratio caps {resource} at {format_ids(expandable)}"
    cheapest = min(
        [plan.module_cost(resource)] * bool(unblocked)
        + [float(plan.opening_cost[s]) for s in openable]
    )
    options = plan.options
    if options.budget is not None:
        left = options.budget - plan.invested
        if left + TOLERANCE < cheapest:
            return (
                "budget",
                f"{full}; budget {_money(options.budget)} has {_money(max(left, 0.0))} left, "
                f"the cheapest addition within reach costs {_money(cheapest)}",
            )
    if resource in options.resource_budgets and unblocked:
        limit = options.resource_budgets[resource]
        left = limit - float(plan.costs.get(f"expansion_{resource}", 0.0))
        if left + TOLERANCE < plan.module_cost(resource) and not openable:
            return (
                "resource_budget",
                f"{full}; the {resource} budget {_money(limit)} has {_money(max(left, 0.0))} left",
            )
    if options.objective == "weighted":
        return (
            "cost_above_penalty",
            f"{full}; adding {resource} within reach costs {_money(cheapest)} "
            f"× cost_weight {options.cost_weight:g} > the unmet penalty it saves",
        )
    return (
        "within_solver_gap",
        f"{full}; adding {resource} within reach costs {_money(cheapest)} and is affordable, "
        f"but the unmet demand is proven only within mip_gap {options.mip_gap:g}",
    )


def _stopped_early(allocation: Allocation, options: OptimizeOptions) -> str:
    """What the solver left unproven, for the detail of ``solver_stopped_early`` ("" when the
    plan is proven within ``acceptable_gap``)."""
    outcome = allocation.outcome
    if not outcome.unproven(options.acceptable_gap):
        return ""
    gap = "an unknown gap" if outcome.gap is None else f"a gap of {fmt.percent(100 * outcome.gap)}"
    return (
        f"the solver stopped after {outcome.solve_s:.1f} s at {gap} (above acceptable_gap "
        f"{fmt.percent(100 * options.acceptable_gap)})"
    )


def shortfall_reasons(
    problem: AllocationProblem, allocation: Allocation, options: OptimizeOptions
) -> pd.DataFrame:
    """One row per (area, resource) with unmet demand: why it is unmet.

    Returns
    -------
    DataFrame with columns ``area``, ``resource``, ``unmet`` (units), ``population`` (persons in
    the area), ``priority`` (its weight, 1 without a priority column), ``reason`` (a code of
    :data:`REASONS`) and ``detail`` (the sites and figures behind it), sorted by area and resource.
    """
    columns = ["area", "resource", "unmet", "population", "priority", "reason", "detail"]
    unmet = allocation.unmet
    rows: list[dict] = []
    if unmet.empty:
        return pd.DataFrame(columns=columns)
    if not (unmet > TOLERANCE).to_numpy().any():  # nothing short: no reasons to look for
        return pd.DataFrame(rows, columns=columns).sort_values(
            ["area", "resource"], key=lambda s: s.astype(str), ignore_index=True
        )
    plan = _Plan(problem, allocation, options)
    od = problem.od
    if options.max_minutes is not None:
        od = od[od["minutes"] <= options.max_minutes]
    reachable_by_area = od.groupby("area")["site"].apply(lambda s: tuple(sorted(set(s), key=str)))
    capacitated = allocation.model == "capacitated"
    priority = problem.priority
    stopped = _stopped_early(allocation, options)
    answers: dict[tuple, tuple[str, str]] = {}
    for resource in unmet.columns:
        short = unmet[resource]
        for area in short.index[short > TOLERANCE]:
            reachable = reachable_by_area.get(area, ())
            key = (resource, reachable)  # areas reaching the same sites share the answer
            if key not in answers:
                reason, detail = _reason(plan, resource, reachable, capacitated)
                if stopped and reason in OPTIMALITY_REASONS:
                    reason, detail = "solver_stopped_early", f"{stopped}; {detail}"
                answers[key] = reason, detail
            reason, detail = answers[key]
            rows.append(
                {
                    "area": area,
                    "resource": resource,
                    "unmet": float(short[area]),
                    "population": float(problem.population.get(area, 0.0)),
                    "priority": float(priority.get(area, 1.0)) if priority is not None else 1.0,
                    "reason": reason,
                    "detail": detail,
                }
            )
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["area", "resource"], key=lambda s: s.astype(str), ignore_index=True)


def shortfall_summary(table: pd.DataFrame) -> list[dict]:
    """Per reason and resource: areas, persons in them and unmet units, largest first."""
    if table.empty:
        return []
    grouped = table.groupby(["reason", "resource"], sort=False).agg(
        areas=("area", "nunique"), population=("population", "sum"), unmet=("unmet", "sum")
    )
    grouped = grouped.reset_index().sort_values("unmet", ascending=False, ignore_index=True)
    grouped["meaning"] = grouped["reason"].map(REASONS)
    return grouped.to_dict(orient="records")
