"""The optimizer's inputs and its frozen result."""

from __future__ import annotations

from dataclasses import dataclass

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
        Columns ``area``, ``site``, ``minutes``: the feasible pairs only (within the travel standard).
    """

    demand: pd.DataFrame
    population: pd.Series
    capacity: pd.DataFrame
    existing: pd.Series
    od: pd.DataFrame

    @property
    def resources(self) -> list[str]:
        return list(self.demand.columns)


@dataclass(frozen=True)
class Allocation:
    """A solved plan. Status comes from the solver's bound, not from its label.

    Attributes
    ----------
    status
        ``optimal`` (gap within tolerance), ``feasible`` (a solution with a larger gap),
        ``infeasible`` or ``no_solution``.
    sites
        Index: site id. Columns ``open``, ``existing`` and, per resource ``r``: ``r_before``,
        ``r_after`` (capacity) and ``r_load`` (units assigned).
    assignments
        Columns ``area``, ``site``, ``resource``, ``quantity``, ``minutes``.
    unmet
        Index: area id. Columns: resources. Units of demand not served.
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
