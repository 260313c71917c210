"""The optimizer's inputs and its frozen result."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class AllocationProblem:
    """Everything a location model needs, as plain tables keyed by id (sorted).

    Attributes
    ----------
    demand
        Index: area id. Columns: resources (e.g. ``beds``). Units of each resource needed (≥ 0).
    population
        Index: area id. Persons per area (for coverage KPIs and coverage models).
    capacity
        Index: site id. Columns: the same resources. Capacity now (existing sites) or when opened
        (candidate sites).
    existing
        Index: site id. True for a site open today, False for a candidate.
    od
        Columns ``area``, ``site``, ``minutes``: the feasible pairs only (within the standard).
    groups
        Optional. Index: area id. Equity group of each area (district, age band, quintile …).
    opening_cost
        Optional. Index: site id. Fixed cost of opening a candidate site (currency).
    operating_cost
        Optional. Index: site id. Cost of keeping an existing site open (used with closing).
    max_size
        Optional. Index: site id. Columns: resources. Maximum capacity after expansion (units).
    priority
        Optional. Index: area id. Weight (≥ 0) on the unmet-demand penalty of each area in the
        capacitated model: scarce capacity goes first where the weight is high (e.g. LOS risk or
        severity); 1 for every area when absent.
    """

    demand: pd.DataFrame
    population: pd.Series
    capacity: pd.DataFrame
    existing: pd.Series
    od: pd.DataFrame
    groups: pd.Series | None = None
    opening_cost: pd.Series | None = None
    operating_cost: pd.Series | None = None
    max_size: pd.DataFrame | None = None
    priority: pd.Series | None = None

    @property
    def resources(self) -> list[str]:
        return list(self.demand.columns)


@dataclass(frozen=True)
class Allocation:
    """A solved plan. Status comes from the solver's bound, not from its label.

    Attributes
    ----------
    status
        ``optimal`` (proven gap ≤ the scenario's ``mip_gap``) or ``feasible`` (a solution whose
        proven gap is larger, e.g. after a time limit; see ``gap``). ``infeasible`` and
        ``no_solution`` are raised by :func:`geoalloc.optimize.solve` as
        :class:`~geoalloc._errors.InfeasibleError` (exit 4, with reasons) and
        :class:`~geoalloc._errors.SolverError` (exit 5) instead of being returned.
    objective, bound, gap
        The solution's objective (minutes, sites or covered weight, by model), the solver's
        proven bound on the optimum, and their relative gap (None when nothing was proven).
    build_s, solve_s
        Seconds spent building the model (arrays) and in the solver.
    sites
        Index: site id. Columns ``open``, ``existing`` and, per resource ``r``: ``r_before``,
        ``r_after`` (capacity) and ``r_load`` (units assigned).
    assignments
        Columns ``area``, ``site``, ``resource``, ``quantity``, ``minutes``.
    unmet
        Index: area id. Columns: resources. Units of demand not served.
    notes
        Things the user should know (areas excluded as unreachable, equity groups, reductions used).
    marginal_value
        With ``explain``: index site id, columns resources — objective (demand-weighted minutes)
        saved by one more unit of capacity, from the LP duals with the integer decisions fixed.
    why
        With ``explain``: index site id — ``served`` (units), ``areas`` (count), ``mean_minutes``,
        ``minutes_saved`` (demand-weighted minutes saved vs each area's next-best open site, with
        the unmet penalty where there is none).
    costs
        Cost breakdown of the plan (currency): ``opening``, ``operating``, ``expansion``, ``total``
        and ``expansion_<resource>``.
    """

    model: str
    status: str
    objective: float
    bound: float | None
    gap: float | None
    solver: str
    build_s: float
    solve_s: float
    sites: pd.DataFrame
    assignments: pd.DataFrame
    unmet: pd.DataFrame
    notes: tuple[str, ...] = ()
    marginal_value: pd.DataFrame | None = None
    why: pd.DataFrame | None = None
    costs: dict[str, float] = field(default_factory=dict)


def solver_summary(plan: object) -> dict:
    """The solver figures of a solved plan (an :class:`Allocation`, or the time-phased and
    telemedicine plans, which carry the same attributes) for ``summary.json``."""
    return {
        "name": getattr(plan, "solver", None),
        "status": plan.status,  # type: ignore[attr-defined]
        "objective": plan.objective,  # type: ignore[attr-defined]
        "bound": plan.bound,  # type: ignore[attr-defined]
        "gap": plan.gap,  # type: ignore[attr-defined]
        "build_s": plan.build_s,  # type: ignore[attr-defined]
        "solve_s": plan.solve_s,  # type: ignore[attr-defined]
        "notes": list(getattr(plan, "notes", ())),
    }
