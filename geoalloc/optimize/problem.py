"""The optimizer's inputs and its frozen results: the solver's outcome, shared by every plan."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

import geoalloc._text as fmt
from geoalloc._errors import SolverError
from geoalloc.optimize.linear import RawSolution, relative_gap, status_from_gap
from geoalloc.optimize.options import OptimizeOptions

log = logging.getLogger(__name__)


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
class SolveOutcome:
    """What the solver proved about a plan; every kind of plan carries one as ``outcome``.

    Attributes
    ----------
    status
        ``optimal`` (proven gap ≤ the scenario's ``mip_gap``) or ``feasible`` (a solution whose
        proven gap is larger, e.g. after a time limit; see ``gap``). It comes from the solver's
        bound, never from its label. ``infeasible`` and ``no_solution`` are raised as
        :class:`~geoalloc._errors.InfeasibleError` (exit 4, with reasons) and
        :class:`~geoalloc._errors.SolverError` (exit 5) instead of being returned.
    objective, bound, gap
        The solution's objective (minutes, sites or covered weight, by model), the solver's
        proven bound on the optimum, and their relative gap (None when nothing was proven).
    solver
        The solver that ran: ``highs`` or ``cbc``.
    build_s, solve_s
        Seconds spent building the model (arrays) and in the solver.
    """

    status: str
    objective: float
    bound: float | None
    gap: float | None
    solver: str
    build_s: float
    solve_s: float

    @classmethod
    def from_solution(
        cls, raw: RawSolution, options: OptimizeOptions, build_s: float
    ) -> SolveOutcome:
        """The outcome of one solve: objective and bound as the solver returned them, the gap
        between them and the status from that gap (``options.mip_gap``)."""
        if raw.objective is None:
            msg = (
                f"the solver returned no solution (it said {raw.solver_label!r}) — raise "
                "[optimize] time_limit_s or loosen mip_gap"
            )
            raise SolverError(msg)
        objective = float(raw.objective)
        gap = relative_gap(objective, raw.bound)
        return cls(
            status=status_from_gap(gap, options.mip_gap),
            objective=objective,
            bound=raw.bound,
            gap=gap,
            solver=options.solver,
            build_s=build_s,
            solve_s=raw.solve_s,
        )

    def unproven(self, acceptable_gap: float) -> bool:
        """True when the plan is not ``optimal`` and its proven gap is above ``acceptable_gap``
        (or unknown: no bound was proven). A plan within ``mip_gap`` is never unproven."""
        return self.status != "optimal" and (self.gap is None or self.gap > acceptable_gap)

    def gap_warning(self, what: str, acceptable_gap: float) -> str | None:
        """What to tell the user about an :meth:`unproven` plan (``what`` names the solve), or
        None when the plan is proven within ``acceptable_gap``."""
        if not self.unproven(acceptable_gap):
            return None
        gap = (
            "without proving any bound (gap unknown)"
            if self.gap is None
            else f"at a proven gap of {fmt.percent(100 * self.gap)}"
        )
        return (
            f"{what} is not proven: the solver stopped after {self.solve_s:.1f} s {gap}, above "
            f"[optimize] acceptable_gap {fmt.percent(100 * acceptable_gap)} — a much better plan "
            "may exist, and this plan's figures (its unmet demand above all) may be far from "
            "what is achievable; raise [optimize] time_limit_s, offer fewer candidate sites, or "
            "use coarser areas"
        )

    def summary(
        self, notes: Sequence[str] = (), acceptable_gap: float | None = None
    ) -> dict[str, Any]:
        """The ``solver`` block of ``summary.json``: ``name``, ``status``, ``objective``,
        ``bound``, ``gap``, ``build_s``, ``solve_s``, the plan's ``notes`` and, given the
        scenario's ``acceptable_gap``, that threshold and ``unproven`` (:meth:`unproven`)."""
        block: dict[str, Any] = {
            "name": self.solver,
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "build_s": self.build_s,
            "solve_s": self.solve_s,
            "notes": list(notes),
        }
        if acceptable_gap is not None:
            block["acceptable_gap"] = acceptable_gap
            block["unproven"] = self.unproven(acceptable_gap)
        return block


class Solved:
    """A solved plan: its :class:`SolveOutcome` and its notes.

    ``plan.status``, ``plan.objective``, ``plan.bound``, ``plan.gap``, ``plan.solver``,
    ``plan.build_s`` and ``plan.solve_s`` read the outcome's fields.
    """

    outcome: SolveOutcome
    notes: tuple[str, ...]

    @property
    def status(self) -> str:
        return self.outcome.status

    @property
    def objective(self) -> float:
        return self.outcome.objective

    @property
    def bound(self) -> float | None:
        return self.outcome.bound

    @property
    def gap(self) -> float | None:
        return self.outcome.gap

    @property
    def solver(self) -> str:
        return self.outcome.solver

    @property
    def build_s(self) -> float:
        return self.outcome.build_s

    @property
    def solve_s(self) -> float:
        return self.outcome.solve_s


@dataclass(frozen=True)
class Allocation(Solved):
    """A solved plan of a location model.

    Attributes
    ----------
    model
        The model solved: ``lscp``, ``mclp``, ``p-median``, ``p-center`` or ``capacitated``.
    outcome
        What the solver proved (:class:`SolveOutcome`): status, objective, bound, gap, solver and
        seconds; ``allocation.status`` and the like read it.
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
    objective_detail
        How the plan was ranked, in words and units (see
        :func:`geoalloc.optimize.objective.describe_objective`): the capacitated model's
        ``lexicographic`` levels with their values, or its ``weighted`` terms; a classic model's
        policy for existing sites (``existing``, ``p``, ``add``).
    """

    model: str
    outcome: SolveOutcome
    sites: pd.DataFrame
    assignments: pd.DataFrame
    unmet: pd.DataFrame
    notes: tuple[str, ...] = ()
    marginal_value: pd.DataFrame | None = None
    why: pd.DataFrame | None = None
    costs: dict[str, float] = field(default_factory=dict)
    objective_detail: dict[str, Any] | None = None


def solver_summary(plan: Solved, options: OptimizeOptions | None = None) -> dict[str, Any]:
    """The solver figures of a solved plan (an :class:`Allocation`, a time-phased or a
    telemedicine plan) for ``summary.json``: :meth:`SolveOutcome.summary` with the plan's notes
    (and, given the options, ``acceptable_gap`` and ``unproven``)."""
    acceptable = None if options is None else options.acceptable_gap
    return plan.outcome.summary(plan.notes, acceptable)


def unproven_solves(
    solves: Sequence[tuple[str, Solved]], options: OptimizeOptions
) -> list[dict[str, Any]]:
    """``summary["unproven"]``: a record per solve (``(what, plan)``, ``what`` naming it) whose
    plan is not proven within ``[optimize] acceptable_gap`` (:meth:`SolveOutcome.unproven`), each
    logged as a warning; empty when every plan is proven.

    A record holds ``solve`` (``what``), ``status``, ``gap`` (None when unknown),
    ``acceptable_gap``, ``solve_s`` and ``message`` (what it means and what to do).
    """
    records = []
    for what, plan in solves:
        message = plan.outcome.gap_warning(what, options.acceptable_gap)
        if message is None:
            continue
        log.warning(message)
        records.append(
            {
                "solve": what,
                "status": plan.status,
                "gap": plan.gap,
                "acceptable_gap": options.acceptable_gap,
                "solve_s": plan.solve_s,
                "message": message,
            }
        )
    return records
