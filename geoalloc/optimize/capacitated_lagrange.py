"""The capacitated model at state scale by Lagrangian relaxation on each area's nearest sites.

Reduced problem (a relaxation of the full one, so its lower bounds bound the full optimum):
area ``i`` keeps its ``K`` nearest sites; the part of its demand for ``r`` that goes farther or
is left unmet goes to ``u_ir`` at ``d_ir · min(minutes_weight · beyond_i, unmet_penalty)`` per
unit share (``beyond_i``: minutes of the nearest site not listed) — no full plan costs less there.

Relaxing the assignment rows ``Σ_j x_ijr + u_ir = 1`` with multipliers ``λ_ir`` splits it by site:

    L(λ) = Σ λ_ir + Σ min(0, price_ir − λ_ir) + min_{Σ y = p} Σ_j y_j (f_j + V_j(λ)),
    V_j(λ) = Σ_r min { Σ_i (w d_ir t_ij − λ_ir) x_ijr : Σ_i d_ir x_ijr ≤ c_jr, 0 ≤ x ≤ 1 },

each ``V_j`` a continuous knapsack solved exactly by sorting. ``L(λ)`` is a lower bound for every
``λ``; subgradient steps raise it, each row's step scaled by its demand (``λ_ir`` is of the order
of ``d_ir`` times minutes: plain steps move the rows of small demand far too much). The best
``L(λ)`` is the LP relaxation's value (the subproblem has the integrality property), so the site
choices averaged over the later steps approximate the LP's fractional ``y``; their ``p`` largest
make the plan that closes the gap (at 20,000 × 500: 0.13 % where the relaxation's last choice left
4 %). Plans: for a set of open sites, the assignment is the transportation LP over the listed pairs
to open sites (unmet at the penalty), solved per resource with HiGHS — a feasible plan of the full
model, priced exactly. The sets tried are a p-median incumbent, the averaged choice rounded and
the relaxation's last choice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np

from geoalloc.optimize.linear import ModelBuilder, solve_highs_arrays
from geoalloc.optimize.nearest import NearestLists
from geoalloc.optimize.subgradient import PolyakSteps

log = logging.getLogger(__name__)


class CapacitatedLists:
    """The listed (area, site) entries, flat, with demand per resource and the catch-all price."""

    def __init__(
        self,
        lists: NearestLists,
        demand: np.ndarray,
        capacity: np.ndarray,
        site_cost: np.ndarray,
        minutes_weight: float,
        penalty: float,
    ) -> None:
        n, K = lists.site.shape
        flat = lists.site.ravel()
        valid = flat >= 0
        self.lists = lists
        self.n, self.R = demand.shape
        self.m = capacity.shape[0]
        self.row = np.repeat(np.arange(n, dtype=np.int64), K)[valid]
        self.site = flat[valid].astype(np.int64)
        self.t = lists.minutes.ravel()[valid]
        self.demand = demand
        self.capacity = capacity
        self.site_cost = site_cost
        self.mw = minutes_weight
        self.penalty = penalty
        # the catch-all's price per unit of demand
        self.price = np.minimum(minutes_weight * lists.beyond, penalty)
        # per entry and resource, its area's demand and the minutes-weighted cost of serving it
        # (R, entries): read at every step of the relaxation
        self.entry_demand = np.ascontiguousarray(demand[self.row].T)
        self.entry_cost = minutes_weight * self.entry_demand * self.t
        # the same costs per (resource, area, list rank), +inf where the list has no site; each
        # area's listed sites come first and by minutes, so the entries of negative reduced cost
        # are a prefix of its list (counted at each step without gathering over all entries)
        width = lists.site.shape[1]
        self.rank_cost = np.full((self.R, n, width), np.inf)
        for r in range(self.R):
            self.rank_cost[r][valid.reshape(n, width)] = self.entry_cost[r]
        self.prefix = bool(
            (valid.reshape(n, width)[:, 1:] <= valid.reshape(n, width)[:, :-1]).all()
            and (self.rank_cost[:, :, 1:] >= self.rank_cost[:, :, :-1]).all()
        )
        self.row_start = np.searchsorted(self.row, np.arange(n))
        # the site as a 16-bit key when it fits: numpy's stable sort of it is a radix sort
        self.site_key = self.site.astype(np.int16) if self.m < 2**15 else self.site


def _stable_argsort(q: np.ndarray) -> np.ndarray:
    """``np.argsort(q, kind="stable")`` for finite ``q``, by the faster unstable sort and then
    each run of equal values put back in index order."""
    order = np.argsort(q)
    sorted_q = q[order]
    tie = sorted_q[1:] == sorted_q[:-1]
    if tie.any():
        run = np.concatenate([[0], np.cumsum(~tie)])
        in_run = np.zeros(len(q), dtype=bool)
        in_run[1:] |= tie
        in_run[:-1] |= tie
        at = np.flatnonzero(in_run)
        sub = order[at]
        order[at] = sub[np.argsort(run[at] * len(q) + sub)]  # keys distinct: by run, index
    return order


def _knapsacks(C: CapacitatedLists, lam: np.ndarray, r: int):
    """Per site, ``V_jr``; and the shares x of the entries that enter (entry index, share)."""
    d = C.entry_demand[r]
    if C.prefix:
        # reduced cost w d t − λ < 0  ⇔  w d t < λ (exact in floating point), a prefix per area
        lam_r = lam[:, r]
        count = (C.rank_cost[r] < lam_r[:, None]).sum(axis=1)
        count[C.demand[:, r] <= 0] = 0
        total = int(count.sum())
        rows = np.repeat(np.arange(C.n), count)
        take = np.repeat(C.row_start - (np.cumsum(count) - count), count) + np.arange(total)
        a_take = C.entry_cost[r][take] - lam_r[rows]
    else:
        a = C.entry_cost[r] - lam[:, r][C.row]
        take = np.flatnonzero((a < 0) & (d > 0))
        a_take = a[take]
    if not len(take):
        return np.zeros(C.m), take, np.zeros(0)
    s = C.site[take]
    dd = d[take]
    share = np.ones(len(take))
    # a site whose entries all fit in its capacity takes them all: only the entries of the sites
    # they overfill are sorted (by site, then ratio) to fill each up to its capacity
    over = np.bincount(s, weights=dd, minlength=C.m) > C.capacity[:, r]
    if over.any():
        sel = np.flatnonzero(over[s])
        q = a_take[sel] / dd[sel]
        by_q = _stable_argsort(q)
        order = sel[by_q[np.argsort(C.site_key[take[sel[by_q]]], kind="stable")]]
        s_o, dd_o = s[order], dd[order]
        cum = np.cumsum(dd_o)
        starts = np.searchsorted(s_o, np.arange(C.m))
        first = starts[s_o]
        before = cum - dd_o - np.where(first > 0, cum[first - 1], 0.0)
        share[order] = np.clip((C.capacity[s_o, r] - before) / dd_o, 0.0, 1.0)
    value = np.bincount(s, weights=a_take * share, minlength=C.m)
    return value, take, share


def _relaxation(C: CapacitatedLists, lam: np.ndarray, p: int | None, fixed: np.ndarray, catch):
    """``L(λ)``, a subgradient (n, R) at ``λ`` and the sites the relaxation opens."""
    n, R = C.demand.shape
    V = C.site_cost.copy()
    parts = []
    for r in range(R):
        v, take, share = _knapsacks(C, lam, r)
        V += v
        parts.append((take, share))
    y = fixed.copy()
    if p is not None:
        free = int(p - fixed.sum())
        cand = np.flatnonzero(~fixed)
        if free > 0:
            y[cand[np.argpartition(V[cand], free - 1)[:free]]] = True
    else:
        y |= V < 0
    value = float(lam.sum() + np.minimum(0.0, catch - lam).sum() + V[y].sum())
    g = np.ones((n, R))
    g -= (catch < lam) & (C.demand > 0)
    for r, (take, share) in enumerate(parts):
        on = y[C.site[take]]
        g[:, r] -= np.bincount(C.row[take[on]], weights=share[on], minlength=n)
    g[C.demand <= 0] = 0.0
    return value, g, y


#: iterations without a better bound before the step factor is halved
PATIENCE = 15


def lagrangian(
    C: CapacitatedLists,
    p: int | None,
    fixed: np.ndarray,
    *,
    upper: float,
    lam: np.ndarray,
    iterations: int = 100_000,
    deadline: float | None = None,
    target_gap: float = 0.0,
    scaled: bool = True,
    check: Callable[[np.ndarray], float] | None = None,
    check_every_s: float = np.inf,
) -> tuple[float, np.ndarray, list[np.ndarray], np.ndarray]:
    """Raise ``L(λ)`` by subgradient steps; every ``L(λ)`` evaluated is a valid bound.

    ``scaled``: steps along ``d ∘ g`` (each assignment row's subgradient times its demand, the
    multipliers' natural scale) rather than ``g``. ``check``: called every ``check_every_s`` seconds
    with the averaged site shares; it returns the objective of the best plan known (e.g. after
    pricing the shares' rounding), which becomes the steps' target and the gap's reference.

    Returns
    -------
    The best bound, its multipliers, the site sets the relaxation chose at each new best (latest
    last), and the site shares averaged over the later half of the steps (m,) — an approximate
    fractional site choice, whose largest shares make good plans.
    """
    lam = np.asarray(lam, dtype=float).copy()
    catch = C.demand * C.price[:, None]
    metric = C.demand if scaled else np.ones_like(C.demand)
    steps = PolyakSteps(upper, lam, patience=PATIENCE, target_gap=target_gap, deadline=deadline)
    sets: list[np.ndarray] = []
    # cumulative site choices, and their snapshot at the last power of two (the average is taken
    # from the snapshot at or below half the steps: the early steps' choices are poor)
    y_sum = np.zeros(C.m)
    snaps = {0: (0, y_sum.copy())}
    done = 0
    last_check = time.monotonic()
    for _ in range(iterations):
        value, g, y = _relaxation(C, lam, p, fixed, catch)
        y_sum += y
        done += 1
        if done & (done - 1) == 0:  # a power of two
            snaps[done] = (done, y_sum.copy())
        if steps.record(value, lam):
            sets.append(np.flatnonzero(y))
        if check is not None and time.monotonic() - last_check >= check_every_s:
            steps.upper = min(steps.upper, check(_average(snaps, y_sum, done)))
            last_check = time.monotonic()
        if steps.done():
            break
        dg = metric * g
        following = steps.step(lam, value, dg, float((g * dg).sum()))
        if following is None:
            break
        lam = following
        log.debug(
            "capacitated Lagrangian: %.8g (best %.8g, θ %.3g)", value, steps.best, steps.theta
        )
    log.info("capacitated Lagrangian: %d steps, bound %.8g", done, steps.best)
    return steps.best, steps.best_lam, sets, _average(snaps, y_sum, done)


def _average(snaps: dict, y_sum: np.ndarray, done: int) -> np.ndarray:
    """The site choices averaged from the snapshot at or below half the ``done`` steps."""
    start, base = max((v for key, v in snaps.items() if 2 * key <= done), key=lambda v: v[0])
    return (y_sum - base) / max(done - start, 1)


def transport_plan(
    C: CapacitatedLists, opened: np.ndarray, options
) -> tuple[float, list, np.ndarray]:
    """The least-cost assignment to ``opened`` over the listed pairs (unmet at the penalty), one
    LP per resource: its objective in the full model's prices, per resource the served entries
    as (entry index, share), and the assignment rows' duals (n, R) — multipliers to start the
    relaxation from."""
    on = np.flatnonzero(opened[C.site])
    total = float(C.site_cost[opened].sum())
    plan = []
    duals = np.zeros((C.n, C.R))
    for r in range(C.R):
        d = C.demand[:, r]
        e = on[d[C.row[on]] > 0]
        units = np.flatnonzero(d > 0)
        unit_of = np.full(C.n, -1)
        unit_of[units] = np.arange(len(units))
        X, U = len(e), len(units)
        b = ModelBuilder()
        x0 = b.add_vars("x", X, cost=C.mw * d[C.row[e]] * C.t[e], lo=0, hi=1)
        u0 = b.add_vars("u", U, cost=options.unmet_penalty_minutes * d[units], lo=0, hi=1)
        b.add_rows(
            "assign",
            U,
            np.concatenate([unit_of[C.row[e]], np.arange(U)]),
            np.concatenate([x0 + np.arange(X), u0 + np.arange(U)]),
            1.0,
            lo=1.0,
            hi=1.0,
        )
        sites = np.flatnonzero(opened)
        row_of = np.full(C.m, -1)
        row_of[sites] = np.arange(len(sites))
        b.add_rows(
            "capacity",
            len(sites),
            row_of[C.site[e]],
            x0 + np.arange(X),
            d[C.row[e]],
            hi=C.capacity[sites, r],
        )
        raw = solve_highs_arrays(
            b.build(),
            time_limit_s=options.time_limit_s,
            mip_gap=0.0,
            hard_limit_s=options.hard_limit_s,
            threads=options.threads,
            want_duals=True,
        )
        if raw.x is None or raw.objective is None:
            return np.inf, [], duals
        if raw.row_duals is not None:
            duals[units, r] = raw.row_duals[:U]
        total += float(raw.objective)
        share = raw.x[x0 : x0 + X]
        nz = share > 1e-12
        plan.append((e[nz], share[nz]))
    return total, plan, duals
