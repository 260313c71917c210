"""The time-phased emergency deployment model, built from arrays (sparse in feasible pairs).

Indices: areas ``i``, sites ``j, k``, resources ``r`` (movable ones ``r ∈ M``), periods
``t = 0 … T−1`` of ``P`` days. Pairs ``(i, j)`` only within the travel standard; shipments only
between sites the network connects (within ``max_transfer_minutes``). Data: demand ``d_irt``
(units), minutes ``t_ij``, capacity ``c_jr`` (existing sites now; temporary sites once ready),
initial stock ``s⁰_jr`` of movable resources (existing sites' capacity, 0 at temporary sites),
lead ``L_jk`` (periods, ≥ 1), shipment cost ``g_jkr`` (per unit), opening cost ``f_j`` and
running cost per day ``h_j`` of temporary site j, set-up ``σ_j`` (periods).

Variables
    ``w_jt ∈ {0,1}`` temporary site j opened in period t or before (``w_jt ≥ w_j,t−1``; opened
    in period o means ready from ``o + σ_j``: ``ready_jt = w_j,t−σ_j``);
    ``m_jkrt ≥ 0`` units of movable r shipped from j in period t, arriving at k in ``t + L_jk``
    (integer with ``integer_moves``); ``s_jrt ≥ 0`` stock of movable r usable at j in period t;
    ``x_ijrt ∈ [0,1]`` share of ``d_irt`` served at j; ``u_irt ∈ [0,1]`` share unmet.

Objective (demand-weighted minutes per day, summed over the days of the horizon)
    ``P·minutes_weight·Σ d t x + P·unmet_penalty·Σ d u
    + cost_weight·(Σ_j f_j w_j,T−1 + Σ_jt h_j·P·w_jt + Σ g_jkr m_jkrt)``

Constraints
    ``Σ_j x_ijrt + u_irt = 1``                                   every demanded (i, r, t)
    ``s_jrt = s_jr,t−1 + Σ_k m_kjr,t−L_kj − Σ_k m_jkrt``           flow, ``s_jr,−1 = s⁰_jr``
    ``Σ_k m_jkrt ≤ s_jr,t−1``                  a unit leaves no earlier than the period after it came
    ``Σ_i d x_ijrt ≤ c_jr``                                      fixed r, existing j
    ``Σ_i d x_ijrt ≤ c_jr · w_j,t−σ_j``                           fixed r, temporary j
    ``Σ_i d x_ijrt ≤ s_jrt``                                     movable r
    ``s_jrt ≤ c_jr · w_j,t−σ_j``                                  movable r, temporary j
    ``Σ_i d x_ijrt ≤ ρ_r c_jq (· w_j,t−σ_j)``           movable r usable only per unit of fixed q
    ``Σ_j f_j w_j,T−1 + Σ h_j P w_jt + Σ g m ≤ budget``

(The cumulative ``w`` rather than one binary per opening period: branching on ``w_jt`` splits the
timeline in two, which closes the gap far sooner under a budget.)

A shipment leaves its origin's stock when it departs and joins the destination's when it arrives:
in transit it is usable nowhere, so no unit is ever used before it can arrive. The plan *without
redeployment* is the same model with every ``m`` and ``z`` fixed to 0; it is solved first and
handed to the solver as a starting solution, so the plan is never worse than it.

Decisions already made (an update of the plan on new data, :mod:`geoalloc.optimize.phased_replan`)
enter as a :class:`PhasedHistory`: every ``m_jkrt`` and ``w_jt`` of a period ``t`` before its
``before`` period is fixed (both column bounds) to the value the schedule gives it — shipments that
departed arrive at their scheduled period, temporary sites opened stay open — and the model decides
the rest. A new shipment can then depart no earlier than ``before`` and arrive no earlier than
``before + L_jk``; a site opened then is ready from ``before + σ_j``.

A plan solved to a gap may keep shipments that cancel out (19 units A → B and 1 back in the same
period); :mod:`geoalloc.optimize.phased_cleanup` takes them out after the solve, provably without
changing what is served, and the checker verifies that none is left.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geoalloc._errors import InfeasibleError, SolverError
from geoalloc._validate import Problems
from geoalloc.optimize.linear import (
    LinearModel,
    ModelBuilder,
    solve_with_options,
)
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.phased_options import MINUTES_PER_DAY, DeploymentOptions
from geoalloc.optimize.problem import Solved, SolveOutcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PhasedProblem:
    """Everything the time-phased model needs, as tables keyed by id.

    Attributes
    ----------
    demand
        Index: (period, area). Columns: resources. Units needed in that period (≥ 0).
    capacity
        Index: site id. Columns: resources. Existing sites: capacity now (for a movable resource:
        the units there at the start). Temporary sites: capacity once ready (for a movable
        resource: the most units it can hold).
    temporary
        Index: site id. True for a temporary site (field hospital, mobile unit).
    od
        Columns ``area``, ``site``, ``minutes``: the feasible (area, site) pairs.
    transfers
        Columns ``from_site``, ``to_site``, ``minutes``: site pairs a shipment can use.
    opening_cost, daily_cost, setup_days
        Index: site id (temporary sites). Currency once, currency per day open, days to ready.
    options
        The ``[deployment]`` section (periods, movable resources, handling days …).
    """

    demand: pd.DataFrame
    capacity: pd.DataFrame
    temporary: pd.Series
    od: pd.DataFrame
    transfers: pd.DataFrame
    opening_cost: pd.Series
    daily_cost: pd.Series
    setup_days: pd.Series
    options: DeploymentOptions

    @property
    def resources(self) -> list[str]:
        return list(self.demand.columns)

    @property
    def periods(self) -> int:
        return self.options.periods


@dataclass(frozen=True)
class PhasedPlan(Solved):
    """A solved time-phased plan (or the plan without redeployment, ``redeploy`` False).

    Attributes
    ----------
    outcome
        What the solver proved (:class:`~geoalloc.optimize.problem.SolveOutcome`); ``plan.status``
        and the like read it.
    served
        Columns ``period``, ``area``, ``site``, ``resource``, ``quantity`` (units), ``minutes``.
    unmet
        Index: (period, area). Columns: resources. Units not served.
    stocks
        Columns ``site``, ``resource``, ``period``, ``stock``: units of each movable resource
        usable at each site in each period (shipments in transit excluded).
    moves
        Columns ``resource``, ``from_site``, ``to_site``, ``units``, ``depart_period``,
        ``arrive_period``, ``depart_day``, ``arrive_day``, ``minutes``, ``lead_periods``, ``cost``.
        Days count from day 0 of the surge curve; a unit is usable from its ``arrive_day`` on.
    temporary
        Index: temporary site id. ``opened``, ``open_period``, ``ready_period``, ``open_day``,
        ``ready_day``, ``cost`` (opening + running to the end of the horizon).
    costs
        ``opening``, ``running``, ``transfers``, ``total`` (currency).
    cancelled
        What :func:`~geoalloc.optimize.phased_cleanup.cancel_circular_moves` took out of the
        solver's plan: ``units``, ``shipments`` (touched), ``shipments_removed``,
        ``transfer_cost`` (currency saved) and ``moves`` (per shipment touched: ``resource``,
        ``from_site``, ``to_site``, ``depart_day``, ``arrive_day``, ``units`` taken off); zeros
        and no moves when nothing cancelled out.
    """

    redeploy: bool
    outcome: SolveOutcome
    served: pd.DataFrame
    unmet: pd.DataFrame
    stocks: pd.DataFrame
    moves: pd.DataFrame
    temporary: pd.DataFrame
    costs: dict[str, float]
    notes: tuple[str, ...] = field(default_factory=tuple)
    cancelled: dict[str, Any] = field(
        default_factory=lambda: {
            "units": 0.0,
            "shipments": 0,
            "shipments_removed": 0,
            "transfer_cost": 0.0,
            "moves": [],
        }
    )


@dataclass(frozen=True)
class PhasedSchedule:
    """The decisions of a time-phased plan: its shipments and the temporary sites it opens.

    Attributes
    ----------
    moves
        Columns ``resource``, ``from_site``, ``to_site``, ``units``, ``depart_period``,
        ``arrive_period`` (as :attr:`PhasedPlan.moves` and a run folder's ``moves`` layer).
    opened
        Index: temporary site id; values: the period it is opened in (sites opened only).
    """

    moves: pd.DataFrame
    opened: pd.Series

    @classmethod
    def of(cls, plan: PhasedPlan) -> PhasedSchedule:
        """The schedule of a solved plan."""
        columns = ["resource", "from_site", "to_site", "units", "depart_period", "arrive_period"]
        opened = plan.temporary[plan.temporary["opened"].astype(bool)]["open_period"]
        return cls(moves=plan.moves[columns].copy(), opened=opened.astype(int))


@dataclass(frozen=True)
class PhasedHistory:
    """Decisions made before period ``before``, fixed in the model (see the module docs).

    Attributes
    ----------
    schedule
        The plan in force; its shipments departing before ``before`` and its sites opened before
        ``before`` are history.
    before
        The first period still to decide (0: nothing fixed; ``periods``: everything fixed).
    """

    schedule: PhasedSchedule
    before: int


def lead_periods(minutes: np.ndarray, options: DeploymentOptions) -> np.ndarray:
    """Periods from departure to arrival: ``ceil((minutes ÷ 1440 + handling_days) ÷ period_days)``,
    at least 1 (a shipment is in transit during the period it leaves in)."""
    days = np.asarray(minutes, dtype=float) / MINUTES_PER_DAY + options.handling_days
    return np.maximum(1, np.ceil(days / options.period_days - 1e-9)).astype(np.int64)


@dataclass(frozen=True)
class _Index:
    areas: pd.Index
    sites: pd.Index
    resources: list[str]
    movable: list[int]  # positions of movable resources in ``resources``
    demand: np.ndarray  # (T, n, R)
    capacity: np.ndarray  # (m, R)
    temporary: np.ndarray  # (m,) bool
    pa: np.ndarray
    ps: np.ndarray
    pt: np.ndarray
    fa: np.ndarray  # transfer from-site position
    fb: np.ndarray  # transfer to-site position
    fm: np.ndarray  # transfer minutes
    lead: np.ndarray  # transfer lead, periods
    opening: np.ndarray  # (m,)
    daily: np.ndarray  # (m,)
    setup: np.ndarray  # (m,) periods

    @property
    def n(self) -> int:
        return len(self.areas)

    @property
    def m(self) -> int:
        return len(self.sites)


def _index(problem: PhasedProblem, max_minutes: float | None) -> _Index:
    """Validate ``problem`` (every problem at once) and turn it into sorted positional arrays."""
    opts = problem.options
    problems = Problems()
    resources = problem.resources
    movable = opts.movable_resources
    unknown = [r for r in movable if r not in resources]
    if unknown:
        problems.add(
            "[deployment] movable",
            f"resource(s) {unknown} are not planned",
            f"list them in [demand] resources (planned: {resources})",
        )
    for mv in opts.movable:
        if mv.usable_per is not None and (
            mv.usable_per not in resources or mv.usable_per in movable
        ):
            problems.add(
                "[deployment] movable",
                f"{mv.resource}: usable_per {mv.usable_per!r} is not a planned fixed resource",
                f"name one of {[r for r in resources if r not in movable]}",
            )
    cap = problem.capacity
    missing = [r for r in resources if r not in cap.columns]
    if missing:
        problems.add("capacity", f"no capacity column for {missing}", "add one per resource")
    periods = sorted(set(problem.demand.index.get_level_values(0)))
    if periods != list(range(opts.periods)):
        problems.add(
            "demand",
            f"periods {periods[:5]}… are not 0 … {opts.periods - 1}",
            "give demand for every period",
        )
    values = problem.demand.to_numpy(dtype=float)
    if not np.isfinite(values).all() or (values < 0).any():
        problems.add("demand", "negative, missing or infinite demand", "fix the surge curve")
    temp = problem.temporary.reindex(cap.index).fillna(False).astype(bool)
    for name, series in (
        ("opening cost", problem.opening_cost),
        ("daily cost", problem.daily_cost),
        ("set-up days", problem.setup_days),
    ):
        s = pd.to_numeric(series.reindex(cap.index[temp.to_numpy()]), errors="coerce")
        bad = s.index[~(s >= 0) | ~np.isfinite(s)]
        if len(bad):
            problems.add(
                "[deployment] temporary sites",
                f"{name}: missing or negative",
                "give every temporary site a number ≥ 0",
                ids=bad,
            )
    problems.raise_if_any("the time-phased deployment problem is invalid")

    areas = problem.demand.index.get_level_values(1).unique().sort_values()
    sites = cap.index.sort_values()
    T, R = opts.periods, len(resources)
    demand = np.zeros((T, len(areas), R))
    t_pos = problem.demand.index.get_level_values(0).to_numpy()
    a_pos = areas.get_indexer(problem.demand.index.get_level_values(1))
    demand[t_pos, a_pos] = problem.demand[resources].to_numpy(dtype=float)

    od = problem.od
    if max_minutes is not None:
        od = od[od["minutes"] <= max_minutes]
    a = areas.get_indexer(od["area"])
    s = sites.get_indexer(od["site"])
    keep = (a >= 0) & (s >= 0)
    order = np.lexsort((s[keep], a[keep]))
    pa, ps = a[keep][order], s[keep][order]
    pt = od["minutes"].to_numpy(dtype=float)[keep][order]

    tr = problem.transfers
    if opts.max_transfer_minutes is not None:
        tr = tr[tr["minutes"] <= opts.max_transfer_minutes]
    fa = sites.get_indexer(tr["from_site"])
    fb = sites.get_indexer(tr["to_site"])
    keep = (fa >= 0) & (fb >= 0) & (fa != fb)
    fm = tr["minutes"].to_numpy(dtype=float)[keep]
    fa, fb = fa[keep], fb[keep]
    order = np.lexsort((fb, fa))
    fa, fb, fm = fa[order], fb[order], fm[order]

    temporary = temp.reindex(sites).to_numpy()

    def site_values(series: pd.Series) -> np.ndarray:
        out = pd.to_numeric(series.reindex(sites), errors="coerce").fillna(0.0).to_numpy(float)
        return np.where(temporary, out, 0.0)

    setup_days = site_values(problem.setup_days)
    setup = np.ceil(setup_days / opts.period_days - 1e-9).astype(np.int64)
    return _Index(
        areas=areas,
        sites=sites,
        resources=resources,
        movable=[resources.index(r) for r in movable],
        demand=demand,
        capacity=cap.loc[sites, resources].to_numpy(dtype=float),
        temporary=temporary,
        pa=pa,
        ps=ps,
        pt=pt,
        fa=fa,
        fb=fb,
        fm=fm,
        lead=lead_periods(fm, opts),
        opening=site_values(problem.opening_cost),
        daily=site_values(problem.daily_cost),
        setup=setup,
    )


@dataclass(frozen=True)
class _Layout:
    x_t: np.ndarray
    x_r: np.ndarray
    x_pair: np.ndarray
    u_t: np.ndarray
    u_a: np.ndarray
    u_r: np.ndarray
    z_site: np.ndarray  # w columns: temporary site …
    z_period: np.ndarray  # … and period (site-major, every period)
    z_cost: np.ndarray  # currency: running cost of the period, plus opening on the last one
    m_pair: np.ndarray  # transfer pair
    m_k: np.ndarray  # position in ix.movable
    m_t: np.ndarray
    m_cost: np.ndarray  # currency per unit


def _ready_terms(ix: _Index, lay: _Layout, z0: int, T: int, j: np.ndarray, t: np.ndarray):
    """The w column that makes site j ready in period t (``w_j,t−σ_j``), for each (j, t) that has
    one: returns (index into ``j``/``t``, column). The w block is site-major, T columns a site."""
    first = np.full(ix.m, -1, dtype=np.int64)
    sites = lay.z_site[::T]
    first[sites] = np.arange(len(sites)) * T
    tt = np.asarray(t, dtype=np.int64) - ix.setup[j]
    ok = np.flatnonzero((first[j] >= 0) & (tt >= 0))
    return ok, z0 + first[j[ok]] + tt[ok]


def schedule_values(
    ix: _Index, lay: _Layout, schedule: PhasedSchedule, deployment: DeploymentOptions
) -> tuple[np.ndarray, np.ndarray]:
    """The value of every ``m`` and ``w`` column in ``schedule``: ``(m⁰, w⁰)``.

    Raises
    ------
    InputError
        A shipment or opening the model cannot make: a site no longer there, sites the network no
        longer connects, a lead time that differs (the shipment would arrive another day), or a
        temporary site that can no longer be ready within the horizon.
    """
    T = deployment.periods
    problems = Problems()
    m0 = np.zeros(len(lay.m_pair))
    moves = schedule.moves
    if len(moves):
        fa = ix.sites.get_indexer(pd.Index(moves["from_site"]))
        fb = ix.sites.get_indexer(pd.Index(moves["to_site"]))
        gone = sorted(
            {str(s) for s, p in zip(moves["from_site"], fa, strict=True) if p < 0}
            | {str(s) for s, p in zip(moves["to_site"], fb, strict=True) if p < 0}
        )
        if gone:
            problems.add(
                "the plan in force",
                "ships units from or to sites that are not in the new facilities",
                "keep these sites in the facilities file (with capacity 0 if they are closed)",
                ids=gone,
            )
        movable = [ix.resources[k] for k in ix.movable]
        q = np.array([movable.index(r) if r in movable else -1 for r in moves["resource"]])
        not_movable = sorted({str(r) for r, k in zip(moves["resource"], q, strict=True) if k < 0})
        if not_movable:
            problems.add(
                "the plan in force",
                f"ships resource(s) {not_movable}, which the new [deployment] does not move",
                "keep them in [[deployment.movable]]",
            )
        pair_of = {(int(a), int(b)): p for p, (a, b) in enumerate(zip(ix.fa, ix.fb, strict=True))}
        column_of = {
            (int(k), int(p), int(t)): c
            for c, (k, p, t) in enumerate(zip(lay.m_k, lay.m_pair, lay.m_t, strict=True))
        }
        lost = []
        for row, a, b, k in zip(moves.itertuples(index=False), fa, fb, q, strict=True):
            if a < 0 or b < 0 or k < 0:
                continue
            p = pair_of.get((int(a), int(b)))
            t = int(row.depart_period)
            arrive = t + int(ix.lead[p]) if p is not None else None
            column = column_of.get((int(k), p, t)) if p is not None else None
            if column is None or arrive != int(row.arrive_period):
                lost.append(
                    f"{row.units:g} {row.resource} {row.from_site} → {row.to_site} (period "
                    f"{t} → {int(row.arrive_period)}"
                    + (f"; now {arrive})" if arrive is not None else "; not connected now)")
                )
                continue
            m0[column] += float(row.units)
        if lost:
            problems.add(
                "the plan in force",
                "shipment(s) the new data cannot make as scheduled (sites no longer connected "
                "within [deployment] max_transfer_minutes, or another lead time): "
                + "; ".join(lost[:5])
                + (f" and {len(lost) - 5} more" if len(lost) > 5 else ""),
                "keep the plan's [deployment] section and [network] for the update",
            )
    w0 = np.zeros(len(lay.z_site))
    if len(schedule.opened):
        position = ix.sites.get_indexer(schedule.opened.index)
        first = {int(j): c for c, j in enumerate(lay.z_site) if c % T == 0}
        missing = []
        for site, j, o in zip(schedule.opened.index, position, schedule.opened, strict=True):
            if j < 0 or int(j) not in first:
                missing.append(str(site))
                continue
            w0[first[int(j)] + int(o) : first[int(j)] + T] = 1.0
        if missing:
            problems.add(
                "the plan in force",
                "opens temporary sites that are not temporary sites of the new data, or can no "
                "longer be ready within the horizon (their setup days)",
                "keep these sites in the [deployment] temporary_sites (or candidates)",
                ids=missing,
            )
    problems.raise_if_any(header="the plan in force cannot be kept on the new data")
    return m0, w0


def pin_history(
    lm: LinearModel, lay: _Layout, m0: np.ndarray, w0: np.ndarray, before: int
) -> LinearModel:
    """``lm`` with every ``m`` and ``w`` column of a period before ``before`` fixed to ``m⁰``/``w⁰``."""
    lo, hi = lm.col_lo.copy(), lm.col_hi.copy()
    for block, period, value in (("m", lay.m_t, m0), ("w", lay.z_period, w0)):
        cols = np.arange(lm.blocks[block].start, lm.blocks[block].stop)
        past = period < before
        lo[cols[past]] = value[past]
        hi[cols[past]] = value[past]
    return dataclasses.replace(lm, col_lo=lo, col_hi=hi)


def _cat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype)


def build_phased(
    ix: _Index, options: OptimizeOptions, deployment: DeploymentOptions, *, redeploy: bool
) -> tuple[LinearModel, _Layout]:
    """The MILP as arrays (see the module docs); ``redeploy`` False fixes every m and z to 0."""
    T, R, P = deployment.periods, len(ix.resources), float(deployment.period_days)
    M = len(ix.movable)
    movable_of = {k: q for q, k in enumerate(ix.movable)}
    by_name = {mv.resource: mv for mv in deployment.movable}

    # x columns: (t, r, pair) with demand > 0
    xt_l, xr_l, xp_l = [], [], []
    for t in range(T):
        for k in range(R):
            sel = np.flatnonzero(ix.demand[t, ix.pa, k] > 0)
            xt_l.append(np.full(len(sel), t))
            xr_l.append(np.full(len(sel), k))
            xp_l.append(sel)
    x_t, x_r, x_pair = (np.concatenate(v).astype(np.int64) for v in (xt_l, xr_l, xp_l))
    u_t, u_a, u_r = np.nonzero(ix.demand > 0)
    # w columns: (temporary site that can be ready within the horizon, period)
    temp_sites = np.flatnonzero(ix.temporary & (ix.setup < T))
    z_site = np.repeat(temp_sites, T)
    z_period = np.tile(np.arange(T), len(temp_sites))
    z_cost = ix.daily[z_site] * P + np.where(z_period == T - 1, ix.opening[z_site], 0.0)
    # m columns: (transfer pair, movable resource, departure period) arriving within the horizon
    m_pair_l, m_k_l, m_t_l, m_c_l = [], [], [], []
    for q, k in enumerate(ix.movable):
        mv = by_name[ix.resources[k]]
        for t in range(T):
            sel = np.flatnonzero(t + ix.lead < T)
            m_pair_l.append(sel)
            m_k_l.append(np.full(len(sel), q))
            m_t_l.append(np.full(len(sel), t))
            m_c_l.append(mv.cost_per_unit + mv.cost_per_unit_minute * ix.fm[sel])
    m_pair, m_k, m_t = _cat(m_pair_l, np.int64), _cat(m_k_l, np.int64), _cat(m_t_l, np.int64)
    m_cost = _cat(m_c_l, float)
    lay = _Layout(
        x_t, x_r, x_pair, u_t, u_a, u_r, z_site, z_period, z_cost, m_pair, m_k, m_t, m_cost
    )

    X, U, Z, N = len(x_t), len(u_t), len(z_site), len(m_pair)
    S = M * ix.m * T
    xd = ix.demand[x_t, ix.pa[x_pair], x_r]
    ud = ix.demand[u_t, u_a, u_r]
    b = ModelBuilder()
    x0 = b.add_vars("x", X, cost=P * options.minutes_weight * xd * ix.pt[x_pair], lo=0, hi=1)
    u_hi = 1.0 if options.allow_unmet else 0.0
    u0 = b.add_vars("u", U, cost=P * options.unmet_penalty_minutes * ud, lo=0, hi=u_hi)
    z0 = b.add_vars(
        "w", Z, cost=options.cost_weight * z_cost, lo=0, hi=1.0 if redeploy else 0.0, integer=True
    )
    m0 = b.add_vars(
        "m",
        N,
        cost=options.cost_weight * m_cost,
        lo=0,
        hi=np.inf if redeploy else 0.0,
        integer=deployment.integer_moves,
    )
    # stock s[q, j, t] at column s0 + (q*m + j)*T + t; temporary sites hold at most c_jr
    s_hi = np.full((M, ix.m, T), np.inf)
    for q, k in enumerate(ix.movable):
        s_hi[q, ix.temporary, :] = ix.capacity[ix.temporary, k][:, None]
    s0 = b.add_vars("s", S, lo=0, hi=s_hi.reshape(-1))

    # Σ_j x + u = 1 per demanded (t, i, r)
    unit_key = (u_t * ix.n + u_a) * R + u_r
    x_key = (x_t * ix.n + ix.pa[x_pair]) * R + x_r
    x_unit = np.searchsorted(unit_key, x_key)
    b.add_rows(
        "assign",
        U,
        np.concatenate([x_unit, np.arange(U)]),
        np.concatenate([x0 + np.arange(X), u0 + np.arange(U)]),
        1.0,
        lo=1.0,
        hi=1.0,
    )

    # capacity rows (t, j, r): row (t*m + j)*R + r
    C = T * ix.m * R
    cap_t, cap_j, cap_r = np.unravel_index(np.arange(C), (T, ix.m, R))
    rows = [(x_t * ix.m + ix.ps[x_pair]) * R + x_r]
    cols = [x0 + np.arange(X)]
    vals = [xd]
    hi = np.zeros(C)
    is_movable = np.isin(cap_r, ix.movable)
    fixed_existing = ~is_movable & ~ix.temporary[cap_j]
    hi[fixed_existing] = ix.capacity[cap_j[fixed_existing], cap_r[fixed_existing]]
    mov = np.flatnonzero(is_movable)
    q_of = np.array([movable_of.get(int(r), -1) for r in cap_r[mov]], dtype=np.int64)
    rows.append(mov)
    cols.append(s0 + (q_of * ix.m + cap_j[mov]) * T + cap_t[mov])
    vals.append(-np.ones(len(mov)))
    ft = np.flatnonzero(~is_movable & ix.temporary[cap_j])
    rq, zc = _ready_terms(ix, lay, z0, T, cap_j[ft], cap_t[ft])
    rows.append(ft[rq])
    cols.append(zc)
    vals.append(-ix.capacity[cap_j[ft[rq]], cap_r[ft[rq]]])
    b.add_rows(
        "capacity",
        C,
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(vals),
        hi=hi,
    )

    for mv in deployment.movable:
        if mv.usable_per is None:
            continue
        # units of r in use at (j, t) ≤ ratio × capacity of the fixed resource q there (once ready)
        k, q = ix.resources.index(mv.resource), ix.resources.index(mv.usable_per)
        sel = np.flatnonzero(x_r == k)
        row_of = x_t[sel] * ix.m + ix.ps[x_pair[sel]]
        limit = mv.usable_ratio * np.tile(ix.capacity[:, q], T)
        tj_t, tj_j = np.divmod(np.arange(T * ix.m), ix.m)
        temp_rows = np.flatnonzero(ix.temporary[tj_j])
        rq, zc = _ready_terms(ix, lay, z0, T, tj_j[temp_rows], tj_t[temp_rows])
        b.add_rows(
            f"usable_{mv.resource}",
            T * ix.m,
            np.concatenate([row_of, temp_rows[rq]]),
            np.concatenate([x0 + sel, zc]),
            np.concatenate([xd[sel], -limit[temp_rows[rq]]]),
            hi=np.where(ix.temporary[tj_j], 0.0, limit),
        )
    if M:
        # flow: s_t − s_{t−1} − arrivals_t + departures_t = s⁰ (t = 0) or 0
        F = M * ix.m * T
        fq, fj, ft_ = np.unravel_index(np.arange(F), (M, ix.m, T))
        rows = [np.arange(F)]
        cols = [s0 + np.arange(F)]
        vals = [np.ones(F)]
        prev = np.flatnonzero(ft_ > 0)
        rows.append(prev)
        cols.append(s0 + prev - 1)
        vals.append(-np.ones(len(prev)))
        dep_row = (m_k * ix.m + ix.fa[m_pair]) * T + m_t
        arr_row = (m_k * ix.m + ix.fb[m_pair]) * T + m_t + ix.lead[m_pair]
        rows += [dep_row, arr_row]
        cols += [m0 + np.arange(N), m0 + np.arange(N)]
        vals += [np.ones(N), -np.ones(N)]
        rhs = np.zeros(F)
        first = ft_ == 0
        initial = np.where(ix.temporary[:, None], 0.0, ix.capacity[:, ix.movable])  # (m, M)
        rhs[first] = initial[fj[first], fq[first]]
        b.add_rows(
            "flow",
            F,
            np.concatenate(rows),
            np.concatenate(cols),
            np.concatenate(vals),
            lo=rhs,
            hi=rhs,
        )
        # ship only what was there before the period: no unit passes through a site (nor through
        # a temporary site that is not ready) in the period it arrives
        rows = [dep_row, prev]
        cols = [m0 + np.arange(N), s0 + prev - 1]
        vals = [np.ones(N), -np.ones(len(prev))]
        b.add_rows(
            "ship_from_stock",
            F,
            np.concatenate(rows),
            np.concatenate(cols),
            np.concatenate(vals),
            hi=np.where(first, rhs, 0.0),
        )
        # temporary sites hold stock only once ready: s ≤ c · ready
        held = np.flatnonzero(ix.temporary[fj])
        if len(held):
            rq, zc = _ready_terms(ix, lay, z0, T, fj[held], ft_[held])
            hold = ix.capacity[fj[held], np.asarray(ix.movable)[fq[held]]]
            b.add_rows(
                "ready_stock",
                len(held),
                np.concatenate([np.arange(len(held)), rq]),
                np.concatenate([s0 + held, zc]),
                np.concatenate([np.ones(len(held)), -hold[rq]]),
                hi=0.0,
            )
    later = np.flatnonzero(z_period > 0)
    if len(later):
        # once open, open for the rest of the horizon: w_jt − w_j,t−1 ≥ 0
        L = len(later)
        b.add_rows(
            "stay_open",
            L,
            np.concatenate([np.arange(L), np.arange(L)]),
            np.concatenate([z0 + later, z0 + later - 1]),
            np.concatenate([np.ones(L), -np.ones(L)]),
            lo=0.0,
        )
    if options.budget is not None and (Z or N):
        b.add_rows(
            "budget",
            1,
            np.zeros(Z + N, dtype=np.int64),
            np.concatenate([z0 + np.arange(Z), m0 + np.arange(N)]),
            np.concatenate([z_cost, m_cost]),
            hi=float(options.budget),
        )
    return b.build(), lay


def _decode(
    ix: _Index, lm: LinearModel, lay: _Layout, xval: np.ndarray, deployment: DeploymentOptions
):
    T, R, P = deployment.periods, len(ix.resources), deployment.period_days
    x = np.clip(xval[lm.blocks["x"]], 0.0, 1.0)
    nz = np.flatnonzero(x > 1e-9)
    a = ix.pa[lay.x_pair[nz]]
    q = ix.demand[lay.x_t[nz], a, lay.x_r[nz]] * x[nz]
    served_sum = np.zeros((T, ix.n, R))
    np.add.at(served_sum, (lay.x_t[nz], a, lay.x_r[nz]), q)
    over = served_sum > ix.demand
    if over.any():  # float noise above demand: scale the unit's shares down
        scale = np.where(
            served_sum > 0, np.minimum(1.0, ix.demand / np.where(served_sum > 0, served_sum, 1)), 1
        )
        q = q * scale[lay.x_t[nz], a, lay.x_r[nz]]
        served_sum = np.minimum(served_sum, ix.demand)
    unmet = ix.demand - served_sum
    unmet[np.abs(unmet) < 1e-9] = 0.0
    res = np.asarray(ix.resources, dtype=object)
    served = pd.DataFrame(
        {
            "period": lay.x_t[nz],
            "area": ix.areas[a],
            "site": ix.sites[ix.ps[lay.x_pair[nz]]],
            "resource": res[lay.x_r[nz]],
            "quantity": q,
            "minutes": ix.pt[lay.x_pair[nz]],
        }
    )
    unmet_df = pd.DataFrame(
        np.maximum(unmet, 0.0).reshape(T * ix.n, R),
        index=pd.MultiIndex.from_product([range(T), ix.areas], names=["period", "area"]),
        columns=ix.resources,
    )
    # moves (whole units with integer_moves) and the stocks they imply
    mval = np.maximum(0.0, xval[lm.blocks["m"]])
    if deployment.integer_moves:
        mval = np.round(mval)
    mv = np.flatnonzero(mval > 1e-9)
    pair = lay.m_pair[mv]
    lead = ix.lead[pair]
    moves = pd.DataFrame(
        {
            "resource": res[np.asarray(ix.movable, dtype=np.int64)[lay.m_k[mv]]]
            if len(mv)
            else np.empty(0, dtype=object),
            "from_site": ix.sites[ix.fa[pair]],
            "to_site": ix.sites[ix.fb[pair]],
            "units": mval[mv],
            "depart_period": lay.m_t[mv],
            "arrive_period": lay.m_t[mv] + lead,
            "depart_day": deployment.start_day + lay.m_t[mv] * P,
            "arrive_day": deployment.start_day + (lay.m_t[mv] + lead) * P,
            "minutes": ix.fm[pair],
            "lead_periods": lead,
            "cost": mval[mv] * lay.m_cost[mv],
        }
    )
    M = len(ix.movable)
    stock = np.zeros((M, ix.m, T))
    initial = np.where(ix.temporary[:, None], 0.0, ix.capacity[:, ix.movable])
    delta = np.zeros((M, ix.m, T))
    np.add.at(delta, (lay.m_k[mv], ix.fa[pair], lay.m_t[mv]), -mval[mv])
    np.add.at(delta, (lay.m_k[mv], ix.fb[pair], lay.m_t[mv] + lead), mval[mv])
    if M:
        stock = initial.T[:, :, None] + np.cumsum(delta, axis=2)
    sq, sj, st = np.unravel_index(np.arange(M * ix.m * T), (M, ix.m, T))
    stocks = pd.DataFrame(
        {
            "site": ix.sites[sj],
            "resource": res[np.asarray(ix.movable, dtype=np.int64)[sq]] if M else [],
            "period": st,
            "stock": stock.reshape(-1),
        }
    )
    w = xval[lm.blocks["w"]] > 0.5
    temp_ids = ix.sites[ix.temporary]
    temporary = pd.DataFrame(
        {
            "opened": False,
            "open_period": pd.array([pd.NA] * len(temp_ids), dtype="Int64"),
            "ready_period": pd.array([pd.NA] * len(temp_ids), dtype="Int64"),
            "open_day": pd.array([pd.NA] * len(temp_ids), dtype="Int64"),
            "ready_day": pd.array([pd.NA] * len(temp_ids), dtype="Int64"),
            "cost": 0.0,
        },
        index=pd.Index(temp_ids, name="site"),
    )
    opening = running = 0.0
    n_w = len(lay.z_site) // T
    for q in range(n_w):
        open_by = w[q * T : (q + 1) * T]
        if not open_by[-1]:
            continue
        j, o = int(lay.z_site[q * T]), int(np.argmax(open_by))
        site = ix.sites[j]
        cost_open, cost_run = float(ix.opening[j]), float(ix.daily[j] * P * (T - o))
        opening += cost_open
        running += cost_run
        temporary.loc[site, ["opened", "cost"]] = [True, cost_open + cost_run]
        temporary.loc[site, "open_period"] = o
        temporary.loc[site, "ready_period"] = int(o + ix.setup[j])
        temporary.loc[site, "open_day"] = int(deployment.start_day + o * P)
        temporary.loc[site, "ready_day"] = int(deployment.start_day + (o + ix.setup[j]) * P)
    transfers = float(moves["cost"].sum())
    costs = {
        "opening": opening,
        "running": running,
        "transfers": transfers,
        "total": opening + running + transfers,
    }
    return served, unmet_df, stocks, moves, temporary, costs


def _solve_one(
    ix: _Index,
    options: OptimizeOptions,
    deployment: DeploymentOptions,
    *,
    redeploy: bool,
    start: np.ndarray | None = None,
    known_bound: float | None = None,
    adjust: Callable[[LinearModel, _Layout], LinearModel] | None = None,
) -> tuple[PhasedPlan, np.ndarray]:
    """Build, solve and decode one model. ``adjust``: applied to the built model (history
    fixed, change limits added: columns after the model's own); ``start`` is padded with zeros
    for the columns it adds."""
    started = time.perf_counter()
    lm, lay = build_phased(ix, options, deployment, redeploy=redeploy)
    if adjust is not None:
        lm = adjust(lm, lay)
    if start is not None and len(start) < lm.n_cols:
        start = np.concatenate([start, np.zeros(lm.n_cols - len(start))])
    build_s = time.perf_counter() - started
    what = "time-phased plan" if redeploy else "time-phased plan without redeployment"
    if redeploy and not deployment.integer_moves and known_bound is None and ix.movable:
        what += " (fractional shipments)"
    log.info(
        "%s: %d columns, %d rows, %d non-zeros, built in %.2f s",
        what,
        lm.n_cols,
        lm.n_rows,
        lm.A.nnz,
        build_s,
    )
    overrides: dict = {"known_bound": known_bound}
    if start is not None and options.backend == "arrays":
        overrides["start"] = start
    raw = solve_with_options(lm, options, **overrides)
    if raw.proven_infeasible:
        msg = (
            f"{what}: the solver proved the model infeasible — set [optimize] allow_unmet = true "
            "or check the budget"
        )
        raise InfeasibleError(msg)
    if raw.x is None:
        msg = (
            f"{what}: no solution within {options.time_limit_s:g} s (solver said "
            f"{raw.solver_label!r}) — raise [optimize] time_limit_s, shorten the horizon or set "
            "[deployment] integer_moves = false"
        )
        raise SolverError(msg)
    served, unmet, stocks, moves, temporary, costs = _decode(ix, lm, lay, raw.x, deployment)
    notes = (f"{what}: {lm.n_cols} columns, {lm.n_rows} rows, {lm.A.nnz} non-zeros",)
    plan = PhasedPlan(
        redeploy=redeploy,
        outcome=SolveOutcome.from_solution(raw, options, build_s),
        served=served,
        unmet=unmet,
        stocks=stocks,
        moves=moves,
        temporary=temporary,
        costs=costs,
        notes=notes,
    )
    return plan, raw.x


def solve_phased(
    problem: PhasedProblem,
    options: OptimizeOptions | None = None,
    *,
    history: PhasedHistory | None = None,
) -> tuple[PhasedPlan, PhasedPlan]:
    """Solve the plan without redeployment, then the time-phased plan; check both.

    Returns ``(static, plan)``: ``static`` keeps every unit where it is and opens no temporary
    site; ``plan`` may ship movable units and open temporary sites, and never holds shipments
    that cancel out (units sent both ways, or round a ring of sites, with nothing gained:
    :func:`geoalloc.optimize.phased_cleanup.cancel_circular_moves` takes them out of the
    solver's plan without changing what it serves). Both are verified by
    :func:`geoalloc.optimize.phased_check.check_phased` (a violation raises ``CheckError``).

    ``history``: decisions already made (see the module docs): ``plan`` keeps every shipment
    departing and every temporary site opened before ``history.before`` as ``history.schedule``
    has them and decides the rest (``static``, which moves nothing, ignores it). An
    :class:`InputError` says which of them the problem cannot hold (a site gone, a lead changed).
    """
    from geoalloc.optimize.phased_check import check_history, check_phased
    from geoalloc.optimize.phased_cleanup import cancel_circular_moves
    from geoalloc.optimize.solvers import usable_solver_options

    options = usable_solver_options(options or OptimizeOptions())
    ix = _index(problem, options.max_minutes)
    if not len(ix.pa):
        log.warning("time-phased plan: no (area, site) pair within the standard")
    deployment = problem.options
    static, static_x = _solve_one(ix, options, deployment, redeploy=False)
    check_phased(problem, options, static)
    start: np.ndarray | None = static_x
    adjust = None
    before = 0
    if history is not None and history.before > 0:
        before = history.before
        adjust = history_adjust(ix, deployment, history)
        start = None  # the plan without redeployment breaks the history: no start
    known_bound = None
    if deployment.integer_moves and len(ix.movable):
        # Whole-unit shipments make the bound slow to prove; the same plan with fractional
        # shipments is a relaxation, so its proven bound is a valid bound here too.
        relaxed = deployment.model_copy(update={"integer_moves": False})
        loose, _ = _solve_one(ix, options, relaxed, redeploy=True, start=start, adjust=adjust)
        known_bound = loose.bound
    plan, _ = _solve_one(
        ix,
        options,
        deployment,
        redeploy=True,
        start=start,
        known_bound=known_bound,
        adjust=adjust,
    )
    plan = cancel_circular_moves(problem, options, plan, fixed_before=before)
    check_phased(problem, options, plan, fixed_before=before)
    if history is not None:
        check_history(plan, history)
    for name, p in (("without redeployment", static), ("with redeployment", plan)):
        log.info(
            "time-phased plan %s: %s, objective %.6g, gap %s, unmet %s",
            name,
            p.status,
            p.objective,
            p.gap,
            {r: round(float(v), 3) for r, v in p.unmet.sum().items()},
        )
    return static, plan


def history_adjust(
    ix: _Index, deployment: DeploymentOptions, history: PhasedHistory
) -> Callable[[LinearModel, _Layout], LinearModel]:
    """The ``adjust`` of :func:`_solve_one` that fixes ``history`` (its schedule's values are
    checked against the model once, on the first build)."""
    values: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def adjust(lm: LinearModel, lay: _Layout) -> LinearModel:
        if "v" not in values:
            values["v"] = schedule_values(ix, lay, history.schedule, deployment)
        m0, w0 = values["v"]
        return pin_history(lm, lay, m0, w0, history.before)

    return adjust
