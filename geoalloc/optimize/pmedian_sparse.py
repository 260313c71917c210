"""p-median at state scale: heuristic, Lagrangian bound and BEAMR, on each area's nearest sites.

Used by :func:`geoalloc.optimize.classic.solve_p_median` when the dense areas × sites matrix of
the small-problem path would be too large. Nothing here is dense in areas × sites: every step
works on :class:`~geoalloc.optimize.nearest.NearestLists` (each area's ``K`` nearest usable sites
and the minutes of the first one left out) with numpy, in time linear in ``n × K``.

Incumbent
    Greedy add, then vertex substitution (Teitz–Bart) with Whitaker's swap evaluation
    vectorised over all (in, out) pairs at once: ``Δ(j, k) = gain(j) + loss(k) + corr(j, k)``
    where ``gain`` sums the savings of adding ``j``, ``loss`` the cost of losing ``k`` (areas
    move to their second-nearest open site) and ``corr`` (sparse: only pairs nearer than an
    area's second open site) corrects the areas that would move to ``j``. The heuristic prices
    an area none of whose listed sites is open at the penalty; the incumbent's objective is
    always recomputed exactly on all the pairs.
Lower bound (valid for the full problem)
    The *reduced* problem keeps the listed sites of each area and a catch-all priced at
    ``beyond`` (the minutes of the nearest site left out, or the unmet penalty): every full
    solution maps to a reduced one that costs no more, so any lower bound of the reduced problem
    bounds the full one. Its Lagrangian relaxation of the assignment rows,
    ``L(λ) = Σ λ_i + Σ min(0, w_i·beyond_i − λ_i) + min_{Σy=p} Σ_j y_j Σ_i min(0, w_i t_ij − λ_i)``,
    is a lower bound for every ``λ``; subgradient steps raise it. When it does not reach
    ``mip_gap``, the BEAMR MILP (the reduced problem with the ``k_i`` nearest sites, ``k_i``
    doubled where the catch-all is used) is solved with that bound as the known bound.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np

from geoalloc.optimize.linear import (
    LinearModel,
    ModelBuilder,
    RawSolution,
    relative_gap,
    solve_with_options,
)
from geoalloc.optimize.nearest import NearestLists, nearest_open_exact
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.subgradient import PolyakSteps

log = logging.getLogger(__name__)


class _Entries:
    """The valid (area, site, minutes) entries of the lists, flat, and grouped by site."""

    def __init__(self, lists: NearestLists, w: np.ndarray, m: int) -> None:
        n, K = lists.site.shape
        flat = lists.site.ravel()
        valid = flat >= 0
        self.n, self.m, self.K = n, m, K
        self.row = np.repeat(np.arange(n, dtype=np.int64), K)[valid]
        self.site = flat[valid].astype(np.int64)
        self.t = lists.minutes.ravel()[valid]
        self.w = w[self.row]
        order = np.argsort(self.site, kind="stable")
        self.by_site = order
        self.site_ptr = np.searchsorted(self.site[order], np.arange(m + 1))

    def of_site(self, j: int) -> np.ndarray:
        return self.by_site[self.site_ptr[j] : self.site_ptr[j + 1]]


def beamr_model(
    w: np.ndarray,
    p: int,
    kept: np.ndarray,
    xa: np.ndarray,
    xs: np.ndarray,
    xt: np.ndarray,
    catch_all: np.ndarray,
    incumbent: np.ndarray | None,
) -> tuple[LinearModel, np.ndarray | None]:
    """The BEAMR-reduced p-median over the kept pairs (area ``xa``, site ``xs``, minutes ``xt``)
    with a catch-all per area priced at ``catch_all`` minutes, and a start from the
    ``incumbent`` site set (each area at its first kept open site, else the catch-all)."""
    n, m, P = len(w), len(kept), len(xa)
    b = ModelBuilder()
    y0 = b.add_vars("y", m, lo=kept.astype(float), hi=1, integer=True)
    x0 = b.add_vars("x", P, cost=w[xa] * xt, lo=0, hi=1)
    z0 = b.add_vars("z", n, cost=w * catch_all, lo=0, hi=1)
    b.add_rows(
        "assign",
        n,
        np.concatenate([xa, np.arange(n)]),
        np.concatenate([x0 + np.arange(P), z0 + np.arange(n)]),
        1.0,
        lo=1.0,
        hi=1.0,
    )
    b.add_rows(
        "link",
        P,
        np.concatenate([np.arange(P), np.arange(P)]),
        np.concatenate([x0 + np.arange(P), y0 + xs]),
        np.concatenate([np.ones(P), -np.ones(P)]),
        hi=0.0,
    )
    b.add_rows("p", 1, np.zeros(m), y0 + np.arange(m), 1.0, lo=float(p), hi=float(p))
    lm = b.build()
    if incumbent is None:
        return lm, None
    start = np.zeros(lm.n_cols)
    start[y0 + incumbent] = 1.0
    is_open = np.zeros(m, dtype=bool)
    is_open[incumbent] = True
    open_pairs = np.flatnonzero(is_open[xs])
    served, first = np.unique(xa[open_pairs], return_index=True)
    start[x0 + open_pairs[first]] = 1.0
    unserved = np.ones(n)
    unserved[served] = 0.0
    start[z0 : z0 + n] = unserved
    return lm, start


def beamr_solve(
    lm: LinearModel,
    options: OptimizeOptions,
    start: np.ndarray | None,
    remaining_s: float,
    lb: float | None,
    incumbent: tuple[float, np.ndarray | None],
    true_cost: Callable[[np.ndarray], float],
    *,
    known_bound: float | None = None,
) -> tuple[RawSolution, float | None, tuple[float, np.ndarray | None]]:
    """One solve of a BEAMR-reduced p-median (``y`` the site block) within ``remaining_s``: the
    reduced model's bound raises ``lb`` (its optimum bounds the full problem's), and its sites,
    priced on every pair by ``true_cost``, replace the ``(cost, sites)`` incumbent when cheaper."""
    raw = solve_with_options(
        lm,
        options,
        time_limit_s=min(options.time_limit_s, remaining_s * 0.9),
        hard_limit_s=remaining_s,
        start=start,
        known_bound=known_bound,
    )
    if raw.bound is not None:
        lb = raw.bound if lb is None else max(lb, raw.bound)
    if raw.x is not None:
        sites = np.flatnonzero(raw.x[lm.blocks["y"]] > 0.5)
        cost = true_cost(sites)
        if cost < incumbent[0]:
            incumbent = (cost, sites)
    return raw, lb, incumbent


def _first_two(
    lists: NearestLists, in_s: np.ndarray, penalty: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per area: minutes of the nearest and second-nearest open listed site (``penalty`` if
    none) and the nearest's site position (−1 if none)."""
    n = lists.site.shape[0]
    rows = np.arange(n)
    is_open = np.zeros(lists.site.shape, dtype=bool)
    valid = lists.site >= 0
    is_open[valid] = in_s[lists.site[valid]]
    f1 = np.argmax(is_open, axis=1)
    hit1 = is_open[rows, f1]
    b1 = np.where(hit1, lists.minutes[rows, f1], penalty)
    c1 = np.where(hit1, lists.site[rows, f1], -1).astype(np.int64)
    is_open[rows[hit1], f1[hit1]] = False
    f2 = np.argmax(is_open, axis=1)
    hit2 = is_open[rows, f2]
    b2 = np.where(hit2, lists.minutes[rows, f2], penalty)
    return np.minimum(b1, penalty), np.minimum(b2, penalty), c1


def greedy_interchange_lists(
    lists: NearestLists,
    w: np.ndarray,
    p: int,
    m: int,
    *,
    kept: np.ndarray | None = None,
    deadline: float | None = None,
    max_swaps: int = 10_000,
) -> np.ndarray:
    """Greedy + vertex substitution on the lists (see the module's notes); open site positions.

    ``kept``: sites open from the start that are never swapped out. ``deadline``
    (``time.monotonic``): the interchange stops there with the best set so far.
    """
    penalty = lists.penalty
    E = _Entries(lists, w, m)
    fixed = np.zeros(m, dtype=bool) if kept is None else kept.astype(bool)
    in_s = fixed.copy()
    best = np.full(E.n, penalty)
    for j in np.flatnonzero(fixed).tolist():
        e = E.of_site(j)
        np.minimum.at(best, E.row[e], E.t[e])
    for _ in range(max(0, min(p, m) - int(in_s.sum()))):
        d = best[E.row] - E.t
        pos = d > 0
        gains = np.bincount(E.site[pos], weights=E.w[pos] * d[pos], minlength=m)
        gains[in_s] = -np.inf
        j = int(np.argmax(gains))
        in_s[j] = True
        e = E.of_site(j)
        np.minimum.at(best, E.row[e], E.t[e])
    if in_s.sum() in (0, m):
        return np.flatnonzero(in_s)
    swaps = 0
    while swaps < max_swaps:
        if deadline is not None and time.monotonic() > deadline:
            log.info("p-median interchange: stopped at the time limit after %d swaps", swaps)
            break
        S = np.flatnonzero(in_s)
        P = len(S)
        pos_in_s = np.full(m, -1, dtype=np.int64)
        pos_in_s[S] = np.arange(P)
        b1, b2, c1 = _first_two(lists, in_s, penalty)
        current = float(w @ b1)
        near = (E.t < b2[E.row]) & ~in_s[E.site]
        r, j, t, ww = E.row[near], E.site[near], E.t[near], E.w[near]
        add = t < b1[r]
        gain = np.bincount(j[add], weights=ww[add] * (t[add] - b1[r[add]]), minlength=m)
        has = c1 >= 0
        loss = np.bincount(c1[has], weights=(w * (b2 - b1))[has], minlength=m)
        corr_ok = c1[r] >= 0
        key = j[corr_ok] * P + pos_in_s[c1[r[corr_ok]]]
        corr = np.bincount(
            key,
            weights=ww[corr_ok] * (np.maximum(t[corr_ok], b1[r[corr_ok]]) - b2[r[corr_ok]]),
            minlength=m * P,
        ).reshape(m, P)
        delta = gain[:, None] + loss[S][None, :] + corr
        delta[in_s, :] = np.inf
        delta[:, fixed[S]] = np.inf
        flat = int(np.argmin(delta))
        jin, kout = divmod(flat, P)
        if not delta[jin, kout] < -1e-9 * max(current, 1.0):
            break
        in_s[jin] = True
        in_s[S[kout]] = False
        swaps += 1
    log.info("p-median interchange: %d swaps", swaps)
    return np.flatnonzero(in_s)


def lagrangian_bound(
    lists: NearestLists,
    w: np.ndarray,
    p: int,
    m: int,
    *,
    upper: float,
    lam: np.ndarray,
    kept: np.ndarray | None = None,
    iterations: int = 400,
    deadline: float | None = None,
    target_gap: float = 0.0,
) -> tuple[float, np.ndarray]:
    """The best Lagrangian lower bound found on the reduced problem (see the module's notes),
    and the multipliers that gave it. ``lam``: starting multipliers (e.g. each area's weighted
    minutes in the incumbent); ``upper``: the incumbent's objective, for the step size."""
    n = lists.site.shape[0]
    E = _Entries(lists, w, m)
    fixed = np.zeros(m, dtype=bool) if kept is None else kept.astype(bool)
    free_p = int(p - fixed.sum())
    catch = w * lists.beyond
    wt = E.w * E.t
    lam = np.asarray(lam, dtype=float).copy()
    steps = PolyakSteps(upper, lam, patience=20, target_gap=target_gap, deadline=deadline)
    for it in range(iterations):
        red = wt - lam[E.row]
        neg = red < 0
        rho = np.bincount(E.site[neg], weights=red[neg], minlength=m)
        y = fixed.copy()
        if free_p > 0:
            cand = np.flatnonzero(~fixed)
            pick = cand[np.argpartition(rho[cand], free_p - 1)[:free_p]]
            y[pick] = True
        z = catch < lam
        value = float(lam.sum() + np.minimum(0.0, catch - lam).sum() + rho[y].sum())
        steps.record(value, lam)
        if steps.done():
            break
        served = neg & y[E.site]
        g = 1.0 - np.bincount(E.row[served], minlength=n) - z
        following = steps.step(lam, value, g, float(g @ g))
        if following is None:
            break
        lam = following
        log.debug("Lagrangian %d: %.8g (best %.8g, θ %.3g)", it, value, steps.best, steps.theta)
    return steps.best, steps.best_lam


def beamr_rounds(
    ix,
    lists: NearestLists,
    w: np.ndarray,
    p: int,
    kept: np.ndarray,
    options,
    *,
    k: np.ndarray,
    start_S: np.ndarray,
    upper: float,
    lower: float | None,
    hard_deadline: float,
    true_cost,
) -> tuple[np.ndarray, float, float | None, int, int, float]:
    """BEAMR MILPs on the lists: returns (best site set, its objective, bound, rounds, MILP
    columns of the last round, solve seconds). ``k`` (per area, ≤ the list width) grows where
    the catch-all is used."""
    n, K = lists.site.shape
    best_S, ub, lb = start_S, upper, lower
    rounds, cols, solve_s = 0, 0, 0.0
    rank = np.broadcast_to(np.arange(K), (n, K))
    while True:
        rounds += 1
        keep = (rank < k[:, None]) & (lists.site >= 0)
        xa = np.nonzero(keep)[0]
        xs = lists.site[keep].astype(np.int64)
        xt = lists.minutes[keep]
        rows = np.arange(n)
        nxt = np.where(k < K, lists.minutes[rows, np.minimum(k, K - 1)], lists.beyond)
        nxt = np.minimum(np.where(np.isfinite(nxt), nxt, lists.penalty), lists.penalty)
        lm, start = beamr_model(w, p, kept, xa, xs, xt, nxt, best_S)
        cols = lm.n_cols
        remaining = hard_deadline - time.monotonic()
        if remaining <= 1.0:
            break
        raw, lb, (ub, found) = beamr_solve(
            lm, options, start, remaining, lb, (ub, best_S), true_cost, known_bound=lb
        )
        best_S = best_S if found is None else found
        solve_s += raw.solve_s
        gap = relative_gap(ub, lb)
        log.info(
            "p-median BEAMR round %d: %d columns, bound %s, incumbent %.8g", rounds, cols, lb, ub
        )
        if gap is not None and gap <= options.mip_gap + 1e-9:
            break
        if raw.x is None or raw.outcome == "time_limit":
            break
        zval = raw.x[lm.blocks["z"]]
        grow = (zval > 1e-6) & (nxt < lists.penalty) & (k < np.minimum(lists.degree, K))
        if not grow.any():
            break
        k = k.copy()
        k[grow] = np.minimum(
            np.minimum(lists.degree[grow], K), np.maximum(2 * k[grow], k[grow] + 4)
        )
    return best_S, ub, lb, rounds, cols, solve_s


def solve_lists(ix, options, w: np.ndarray, p: int, kept: np.ndarray, lists: NearestLists):
    """The sparse p-median: (opened mask, objective, bound, notes, build s, solve s)."""
    t0 = time.perf_counter()
    hard_deadline = time.monotonic() + options.hard_limit_s
    penalty = lists.penalty
    budget = 0.4 * options.time_limit_s
    S = greedy_interchange_lists(lists, w, p, ix.m, kept=kept, deadline=time.monotonic() + budget)

    def true_cost(S: np.ndarray) -> float:
        opened = np.zeros(ix.m, dtype=bool)
        opened[S] = True
        _, mins = nearest_open_exact(ix, lists, opened)
        return float(w @ np.minimum(mins, penalty))

    ub = true_cost(S)
    heur_s = time.perf_counter() - t0
    log.info("p-median sparse heuristic: %.8g in %.1f s", ub, heur_s)
    in_s = np.zeros(ix.m, dtype=bool)
    in_s[S] = True
    b1, b2, _ = _first_two(lists, in_s, penalty)
    tl = time.perf_counter()
    lb: float | None
    lb, _lam = lagrangian_bound(
        lists,
        w,
        p,
        ix.m,
        upper=ub,
        lam=w * b2,
        kept=kept,
        deadline=time.monotonic() + 0.3 * options.time_limit_s,
        target_gap=options.mip_gap,
    )
    lr_s = time.perf_counter() - tl
    log.info("p-median Lagrangian bound %.8g in %.1f s (gap %s)", lb, lr_s, relative_gap(ub, lb))
    notes = [
        f"p-median at scale: each area's {lists.width} nearest usable sites; greedy+interchange "
        f"incumbent in {heur_s:.1f} s; Lagrangian bound on the reduced problem (catch-all at the "
        f"next site's minutes) in {lr_s:.1f} s"
    ]
    rounds, cols, solve_s = 0, 0, 0.0
    gap = relative_gap(ub, lb)
    if gap is None or gap > options.mip_gap + 1e-9:
        is_open = np.zeros(lists.site.shape, dtype=bool)
        valid = lists.site >= 0
        is_open[valid] = in_s[lists.site[valid]]
        first = np.where(is_open.any(axis=1), np.argmax(is_open, axis=1), lists.width - 1)
        k = np.minimum(np.maximum(3, first + 2), np.minimum(lists.degree, lists.width))
        S, ub, lb, rounds, cols, solve_s = beamr_rounds(
            ix,
            lists,
            w,
            p,
            kept,
            options,
            k=k,
            start_S=S,
            upper=ub,
            lower=lb,
            hard_deadline=hard_deadline,
            true_cost=true_cost,
        )
        notes.append(f"BEAMR MILP in {rounds} round(s), {cols} columns in the last")
    opened = np.zeros(ix.m, dtype=bool)
    opened[S] = True
    build_s = time.perf_counter() - t0 - solve_s
    return opened, ub, lb, notes, build_s, solve_s, cols
