"""The independent checker of a time-phased plan: every constraint recomputed from its tables.

It reads only the problem's tables (by id), the options and the plan's tables — never the model's
arrays — and recomputes lead times row by row, stocks from the initial units and the moves, the
capacity of every site in every period and served + unmet = demand, so a builder or decoder bug
shows up here. Violations raise :class:`~geoalloc.optimize.check.CheckError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geoalloc._validate import format_ids
from geoalloc.optimize.check import ABS_TOL, REL_TOL, CheckError
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.phased_options import MINUTES_PER_DAY

if TYPE_CHECKING:  # the solver calls this checker: types only, no import cycle
    from geoalloc.optimize.phased import PhasedHistory, PhasedPlan, PhasedProblem

#: tolerance on capacity and stock rows (solver feasibility tolerance on unit-sized quantities)
CAP_TOL = 1e-5


def _lead(minutes: float, handling_days: float, period_days: int) -> int:
    return max(1, math.ceil((minutes / MINUTES_PER_DAY + handling_days) / period_days - 1e-9))


def check_phased(
    problem: PhasedProblem, options: OptimizeOptions, plan: PhasedPlan, *, fixed_before: int = 0
) -> dict:
    """Check ``plan`` against ``problem``; return recomputed totals (unmet, costs).

    ``fixed_before``: shipments departing before this period were decided earlier (history, see
    :class:`~geoalloc.optimize.phased.PhasedHistory`) and cannot be taken back, so a set of
    shipments that cancels out only counts if it leaves them whole.

    Verifies: shipments only between connected sites, arriving exactly ``lead`` periods after they
    leave (never before) and within the horizon; stocks = initial + arrivals − departures, never
    negative, each movable resource's units conserved (at sites + in transit); temporary sites
    hold or serve nothing before they are ready; served ≤ capacity per site, resource and period;
    served only within the travel standard; served + unmet = demand per area, resource, period;
    the budget; no shipments that cancel out (:func:`cancelling_cycle`).
    """
    bad: list[str] = []
    dep = problem.options
    T, P = dep.periods, dep.period_days
    resources = problem.resources
    movable = dep.movable_resources
    cap = problem.capacity.astype(float)
    temporary = problem.temporary.reindex(cap.index).fillna(False).astype(bool)
    demand = problem.demand.astype(float)

    # --- temporary sites: ready period of each opened one --------------------------------------
    ready: dict[object, int] = {}
    temp_cost = 0.0
    for site, row in plan.temporary.iterrows():
        if not bool(row["opened"]):
            continue
        if not temporary.get(site, False):
            bad.append(f"site {site} opened as temporary but is not a temporary site")
            continue
        setup = math.ceil(float(problem.setup_days[site]) / P - 1e-9)
        o = int(row["open_period"])
        if int(row["ready_period"]) != o + setup:
            bad.append(f"temporary site {site}: ready period {row['ready_period']} ≠ {o + setup}")
        ready[site] = o + setup
        temp_cost += float(problem.opening_cost[site]) + float(problem.daily_cost[site]) * P * (
            T - o
        )

    def is_ready(site: object, t: int) -> bool:
        if not temporary.get(site, False):
            return True
        return site in ready and t >= ready[site]

    # --- moves: lead, horizon, connected pairs --------------------------------------------------
    moves = plan.moves
    minutes = problem.transfers.set_index(["from_site", "to_site"])["minutes"]
    transfer_cost = 0.0
    by_name = {m.resource: m for m in dep.movable}
    for row in moves.itertuples(index=False):
        key = (row.from_site, row.to_site)
        if row.resource not in by_name:
            bad.append(f"move of {row.resource!r}, which is not movable")
            continue
        if key not in minutes.index or row.from_site == row.to_site:
            bad.append(f"move {row.from_site} → {row.to_site}: not a transfer pair")
            continue
        t_min = float(minutes.loc[key])
        if dep.max_transfer_minutes is not None and t_min > dep.max_transfer_minutes + 1e-9:
            bad.append(f"move {row.from_site} → {row.to_site} beyond max_transfer_minutes")
        lead = _lead(t_min, dep.handling_days, P)
        if int(row.arrive_period) != int(row.depart_period) + lead:
            bad.append(
                f"{row.units:g} {row.resource} {row.from_site} → {row.to_site} leave in period "
                f"{row.depart_period} and arrive in {row.arrive_period}, but the lead is {lead}"
            )
        if int(row.depart_period) < 0 or int(row.arrive_period) >= T:
            bad.append(f"move {row.from_site} → {row.to_site} outside the horizon")
        if int(row.arrive_day) != dep.start_day + int(row.arrive_period) * P:
            bad.append(f"move {row.from_site} → {row.to_site}: arrive_day misstated")
        if row.units < -ABS_TOL:
            bad.append("negative shipment")
        if dep.integer_moves and abs(row.units - round(row.units)) > 1e-6:
            bad.append(f"move {row.from_site} → {row.to_site} of a fractional {row.units} units")
        mv = by_name[row.resource]
        transfer_cost += row.units * (mv.cost_per_unit + mv.cost_per_unit_minute * t_min)

    # --- stocks: recomputed from the initial units and the moves ----------------------------------
    stock: dict[tuple[object, str], np.ndarray] = {}
    for r in movable:
        for site in cap.index:
            level = np.zeros(T)
            level[:] = 0.0 if temporary[site] else float(cap.loc[site, r])
            stock[(site, r)] = level
        total = float(cap.loc[~temporary, r].sum())
        in_transit = np.zeros(T)
        for row in moves[moves["resource"] == r].itertuples(index=False):
            d, a = int(row.depart_period), int(row.arrive_period)
            if (row.from_site, r) in stock:
                stock[(row.from_site, r)][d:] -= row.units
            if (row.to_site, r) in stock:
                stock[(row.to_site, r)][a:] += row.units
            in_transit[d:a] += row.units
        departed = (
            moves[moves["resource"] == r].groupby(["from_site", "depart_period"])["units"].sum()
        )
        for (site, t), units in departed.items():
            if (site, r) not in stock:
                continue
            before = (
                stock[(site, r)][int(t) - 1]
                if int(t) > 0
                else (0.0 if temporary[site] else float(cap.loc[site, r]))
            )
            # stock[t − 1] is after period t − 1's arrivals and departures: what was there
            if units > before + CAP_TOL:
                bad.append(
                    f"{units:g} {r} leave {site} in period {t} but only {before:g} were there "
                    "before it (a unit leaves no earlier than the period after it arrived)"
                )
        at_sites = sum(stock[(site, r)] for site in cap.index)
        if np.abs(at_sites + in_transit - total).max() > _tol(total):
            bad.append(f"{r}: units at sites + in transit ≠ the {total:g} units at the start")
        for site in cap.index:
            level = stock[(site, r)]
            if (level < -CAP_TOL).any():
                periods = list(np.flatnonzero(level < -CAP_TOL))
                bad.append(f"{r} stock at {site} negative in periods {periods}")
            if temporary[site]:
                room = np.array([cap.loc[site, r] if is_ready(site, t) else 0.0 for t in range(T)])
                if (level > room + CAP_TOL).any():
                    bad.append(f"{r} at temporary site {site} before it is ready or over its room")
    cycle = cancelling_cycle(
        moves[moves["depart_period"].astype(int) >= fixed_before],
        stock,
        temporary,
        cap,
        is_ready,
        T,
        dep.integer_moves,
    )
    if cycle:
        bad.append(f"shipments that cancel out (nothing gained, cost spent): {cycle}")
    reported = plan.stocks.set_index(["site", "resource", "period"])["stock"]
    for (site, r), level in stock.items():
        for t in range(T):
            got = reported.get((site, r, t), np.nan)
            if not abs(got - level[t]) <= _tol(level[t]):
                bad.append(f"reported {r} stock at {site} in period {t} is {got}, not {level[t]}")
                break

    # --- served: pairs, standard, capacity -------------------------------------------------------
    served = plan.served
    od = problem.od.set_index(["area", "site"])["minutes"]
    if len(served):
        keys = pd.MultiIndex.from_arrays([served["area"], served["site"]])
        known = keys.isin(od.index)
        if not known.all():
            bad.append(f"{int((~known).sum())} served rows use (area, site) pairs not in the OD")
        elif options.max_minutes is not None:
            beyond = od.reindex(keys).to_numpy() > options.max_minutes + 1e-9
            if beyond.any():
                bad.append(f"{int(beyond.sum())} served rows beyond the travel standard")
        if (served["quantity"] < -ABS_TOL).any():
            bad.append("negative served quantities")
    load = served.groupby(["site", "resource", "period"])["quantity"].sum()
    over = []
    for (site, r, t), q in load.items():
        if r in movable:
            limit = float(stock[(site, r)][int(t)])
        elif is_ready(site, int(t)):
            limit = float(cap.loc[site, r])
        else:
            limit = 0.0
        if q > limit + CAP_TOL + REL_TOL * abs(limit):
            over.append(f"{site}/{r}/period {t}: {q:.6g} > {limit:.6g}")
    for mv in dep.movable:
        if mv.usable_per is None:
            continue
        for (site, r, t), q in load.items():
            if r != mv.resource:
                continue
            per = float(cap.loc[site, mv.usable_per]) if is_ready(site, int(t)) else 0.0
            if q > mv.usable_ratio * per + CAP_TOL + REL_TOL * per:
                over.append(
                    f"{site}/{r} in use/period {t}: {q:.6g} > {mv.usable_ratio:g} × {per:g}"
                )
    if over:
        bad.append(f"served over capacity at {format_ids(over)}")

    # --- served + unmet = demand --------------------------------------------------------------------
    got = (
        served.groupby(["period", "area", "resource"])["quantity"]
        .sum()
        .unstack("resource")
        .reindex(index=demand.index, columns=resources)
        .fillna(0.0)
    )
    unmet = plan.unmet.reindex(index=demand.index, columns=resources)
    if unmet.isna().any().any():
        bad.append("the unmet table misses (period, area) rows or resources")
    unmet = unmet.fillna(0.0)
    if (unmet < -ABS_TOL).any().any():
        bad.append("negative unmet demand")
    diff = (got + unmet - demand).abs().to_numpy()
    wrong = (diff > demand.abs().to_numpy() * REL_TOL + ABS_TOL).any(axis=1)
    if wrong.any():
        bad.append(f"served + unmet ≠ demand for (period, area) {format_ids(demand.index[wrong])}")

    # --- costs and budget -----------------------------------------------------------------------------
    total = temp_cost + transfer_cost
    if abs(total - plan.costs["total"]) > _tol(total):
        bad.append(f"costs: the plan states {plan.costs['total']:.6g}, recomputed {total:.6g}")
    if options.budget is not None and total > options.budget + _tol(options.budget):
        bad.append(f"cost {total:.6g} over the budget {options.budget:.6g}")
    if not plan.redeploy and (len(moves) or ready):
        bad.append("the plan without redeployment moves units or opens temporary sites")
    if bad:
        raise CheckError(bad)
    return {"unmet": {r: float(unmet[r].sum()) for r in resources}, "cost": total}


def check_history(plan: PhasedPlan, history: PhasedHistory) -> None:
    """Raise :class:`CheckError` unless ``plan`` keeps every decision of ``history``: the same
    shipments departing before ``history.before`` (resource, sites, periods, units) and the
    same temporary sites opened before it, in the same periods."""
    bad: list[str] = []
    keys = ["resource", "from_site", "to_site", "depart_period", "arrive_period"]

    def shipped(moves: pd.DataFrame) -> pd.Series:
        past = moves[moves["depart_period"].astype(int) < history.before]
        table = past.assign(
            depart_period=past["depart_period"].astype(int),
            arrive_period=past["arrive_period"].astype(int),
        )
        return table.groupby(keys)["units"].sum()

    was, now = shipped(history.schedule.moves), shipped(plan.moves)
    both = was.index.union(now.index)
    diff = (was.reindex(both).fillna(0.0) - now.reindex(both).fillna(0.0)).abs()
    changed = diff.index[diff > 1e-6]
    if len(changed):
        bad.append(f"shipments departed before period {history.before} changed: {list(changed)}")
    opened = plan.temporary[plan.temporary["opened"].astype(bool)]["open_period"].astype(int)
    early_was = history.schedule.opened[history.schedule.opened < history.before]
    early_now = opened[opened < history.before]
    if early_was.to_dict() != early_now.to_dict():
        bad.append(
            f"temporary sites opened before period {history.before} changed: "
            f"{early_was.to_dict()} → {early_now.to_dict()}"
        )
    if bad:
        raise CheckError(bad)


def _tol(scale: float) -> float:
    return 1e-6 + 1e-6 * abs(scale)


def cancelling_cycle(
    moves: pd.DataFrame,
    stock: dict[tuple[object, str], np.ndarray],
    temporary: pd.Series,
    capacity: pd.DataFrame,
    is_ready: Callable[[object, int], bool],
    periods: int,
    integer_moves: bool,
) -> str | None:
    """A set of shipments that cancels out, in words, or None when there is none.

    Taking ``δ`` units off some shipments changes site j's stock of r in period t by ``Δs_jrt =
    δ leaving j by t − δ arriving at j by t``. When every ``Δs ≥ 0`` (and temporary sites keep
    within their room) the plan serves the same with fewer shipments: those units went round and
    came back. Such a ``δ`` is a circulation in the time-expanded graph whose nodes are (site,
    resource, period), with an arc (j, r, t) → (j, r, t + 1) wherever site j's stock may rise in
    period t (always at an existing site; at a temporary site up to its free room) and, for each
    shipment, an arc from its (destination, arrival period) back to its (origin, departure
    period); a non-zero circulation exists exactly when that graph has a directed cycle
    (with whole-unit shipments: a cycle of arcs that carry at least one unit). ``stock`` is the
    recomputed stock per (site, resource), one value per period.
    """
    if moves.empty:
        return None
    import networkx as nx  # here: only a time-phased plan's moves need a graph

    least = 1.0 - 1e-6 if integer_moves else CAP_TOL
    graph = nx.DiGraph()
    for row in moves.itertuples(index=False):
        if row.units < least:
            continue
        head = (row.to_site, row.resource, int(row.arrive_period))
        tail = (row.from_site, row.resource, int(row.depart_period))
        if graph.has_edge(head, tail):  # the same shipment split over rows
            graph[head][tail]["moves"].append(row)
        else:
            graph.add_edge(head, tail, moves=[row])
    sites = {(s, r) for s, r, _t in list(graph.nodes)}
    for site, r in sites:
        for t in range(periods - 1):
            room = np.inf
            if temporary.get(site, False):
                limit = float(capacity.loc[site, r]) if is_ready(site, t) else 0.0
                room = limit - float(stock[(site, r)][t]) if (site, r) in stock else 0.0
            if room >= least:
                graph.add_edge((site, r, t), (site, r, t + 1))
    try:
        arcs = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return None
    words = []
    for head, tail in arcs:
        for row in graph[head][tail].get("moves", []):
            words.append(
                f"{row.units:g} {row.resource} {row.from_site} → {row.to_site} (day "
                f"{row.depart_day} → {row.arrive_day})"
            )
    return "; ".join(words)
