"""The classic location models: LSCP, MCLP, p-median, p-center — sparse, certified, from arrays.

Formulations (variables only for feasible (area, site) pairs; ``N_i`` = sites within the standard):

LSCP (Toregas 1971)
    ``min Σ_j y_j``  s.t. ``Σ_{j∈N_i} y_j ≥ 1`` for every reachable area. Identical coverage
    rows are merged (a row per distinct ``N_i``). Areas no site reaches are reported and left out.
MCLP (Church & ReVelle 1974)
    ``max Σ_g w_g z_g`` s.t. ``z_g ≤ Σ_{j∈N_g} y_j``, ``Σ y_j = p``, ``0 ≤ z_g ≤ 1``; areas with the
    same coverage set (and equity group) are aggregated into one row ``g`` with summed weight.
p-median (ReVelle & Swain 1970) with Church's BEAMR reduction
    A greedy + fast-interchange heuristic (Teitz–Bart with Whitaker's swap evaluation) gives an
    incumbent. The MILP then keeps, per area, only its ``k_i`` nearest sites (at least 10, and at
    least 5 beyond the heuristic's site) plus a catch-all variable priced at the next-nearest
    site's minutes (or the unmet penalty): its optimum is a *lower bound* on the true optimum, and
    any of its site sets is a feasible solution. ``k_i`` is doubled for the areas that use the
    catch-all until the bound certifies the incumbent within ``mip_gap``.
p-center
    Bisection over the distinct travel minutes: radius ``R`` is achievable iff the LSCP at radius
    ``R`` needs ≤ ``p`` sites. Each LSCP is a small set-covering MILP; the bound is the largest
    radius proven infeasible.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from geoalloc._errors import InfeasibleError, InputError, SolverError
from geoalloc._validate import format_ids
from geoalloc.optimize._prepare import Indexed
from geoalloc.optimize._result import assignments_from_single, nearest_open, site_table
from geoalloc.optimize.linear import (
    ModelBuilder,
    relative_gap,
    solve_with_options,
    status_from_gap,
)
from geoalloc.optimize.objective import classic_detail
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.pmedian_sparse import beamr_model, beamr_solve
from geoalloc.optimize.problem import Allocation, SolveOutcome

log = logging.getLogger(__name__)

_DENSE_LIMIT = 20_000_000  # n × m cells above which the dense heuristic is skipped


def kept_open(ix: Indexed, options: OptimizeOptions) -> np.ndarray:
    """The sites the model must keep open: the existing ones with ``existing = "keep"``."""
    if options.existing == "keep":
        return ix.existing.copy()
    return np.zeros(ix.m, dtype=bool)


def _need_p(options: OptimizeOptions, ix: Indexed) -> int:
    """Sites open in all (``p``, or the kept existing sites + ``add``), checked against them."""
    kept = int(kept_open(ix, options).sum())
    p = options.sites_in_all(kept)
    if p is None:
        msg = (
            f"[optimize] model {options.model!r} needs add = the number of new sites to open "
            f"(the {kept} existing site(s) stay open: existing = 'keep')"
            if kept
            else f"[optimize] p is required for model {options.model!r} — set p = number of "
            "sites to open"
        )
        raise InputError(msg)
    if p == 0:  # add = 0 beside no existing site
        msg = (
            f"[optimize] add = 0 and no site is existing: model {options.model!r} would open no "
            "site at all — give add = the number of new sites to open (at least 1)"
        )
        raise InputError(msg)
    if p < kept:
        msg = (
            f"[optimize] p = {p} counts every open site, but the {kept} existing sites stay open "
            f"(existing = 'keep') — give add = k to open k new sites beside them, p ≥ {kept}, "
            "or existing = 'may_close' to let the model close existing sites"
        )
        raise InputError(msg)
    if p > ix.m:
        msg = f"p = {p} but only {ix.m} sites are given"
        raise InfeasibleError(msg)
    return p


def _unreachable_note(
    ix: Indexed, reachable: np.ndarray, standard: float | None
) -> tuple[str, ...]:
    missing = np.flatnonzero(~reachable)
    if not len(missing):
        return ()
    within = f"within {standard:g} minutes" if standard is not None else "in the OD table"
    return (
        f"{len(missing)} area(s) that no site reaches {within} were left out: "
        f"{format_ids(ix.areas[missing])}",
    )


def _coverage_keys(ix: Indexed, extra: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A key per area identifying its coverage set (pairs present) — two random 64-bit hashes.

    Returns (keys as structured array, reachable mask). Areas with identical keys share a row.
    """
    rng = np.random.default_rng(12345)
    h1 = rng.integers(1, 2**62, size=ix.m, dtype=np.int64).astype(np.uint64)
    h2 = rng.integers(1, 2**62, size=ix.m, dtype=np.int64).astype(np.uint64)
    k1 = np.zeros(ix.n, dtype=np.uint64)
    k2 = np.zeros(ix.n, dtype=np.uint64)
    np.add.at(k1, ix.pair_area, h1[ix.pair_site])
    np.add.at(k2, ix.pair_area, h2[ix.pair_site])
    count = np.bincount(ix.pair_area, minlength=ix.n).astype(np.uint64)
    cols = [k1, k2, count]
    if extra is not None:
        cols.append(extra.astype(np.uint64))
    keys = np.stack(cols, axis=1)
    return keys, count > 0


def _group_rows(
    ix: Indexed, keys: np.ndarray, members: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Row id per member area (positions in ``members``) and the representative area of each row."""
    _, first, inverse = np.unique(keys[members], axis=0, return_index=True, return_inverse=True)
    return inverse.ravel(), members[first]


def _finish(
    ix: Indexed,
    options: OptimizeOptions,
    *,
    model: str,
    opened: np.ndarray,
    site: np.ndarray,
    minutes: np.ndarray,
    objective: float,
    bound: float | None,
    gap: float | None,
    build_s: float,
    solve_s: float,
    notes: tuple[str, ...],
) -> Allocation:
    assignments, load, unmet = assignments_from_single(ix, site, minutes)
    after = np.where(opened[:, None], ix.capacity, 0.0)
    why = None
    if options.explain:
        from geoalloc.optimize.capacitated import why_table

        why = why_table(ix, opened, assignments, options)
    outcome = SolveOutcome(
        status=status_from_gap(gap, options.mip_gap),  # from the bound, never a solver's label
        objective=float(objective),
        bound=None if bound is None else float(bound),
        gap=gap,
        solver=options.solver,
        build_s=build_s,
        solve_s=solve_s,
    )
    return Allocation(
        model=model,
        outcome=outcome,
        sites=site_table(ix, opened, after, load),
        assignments=assignments,
        unmet=unmet,
        notes=notes,
        why=why,
        objective_detail=classic_detail(
            options, int(kept_open(ix, options).sum()), int(opened.sum())
        ),
    )


def _no_solution(raw, what: str) -> SolverError:
    msg = (
        f"{what}: no solution within the time limit (solver said {raw.solver_label!r}) — "
        "raise time_limit_s, loosen mip_gap or shrink the problem"
    )
    return SolverError(msg)


def _covered_sites(
    ix: Indexed, rows_of_area: np.ndarray, members: np.ndarray, n_rows: int, radius: float | None
):
    """Triplets (row, site) of the coverage rows: pairs within ``radius`` of member areas."""
    row_of = np.full(ix.n, -1, dtype=np.int64)
    row_of[members] = rows_of_area
    sel = row_of[ix.pair_area] >= 0
    if radius is not None:
        sel &= ix.minutes <= radius
    rows = row_of[ix.pair_area[sel]]
    cols = ix.pair_site[sel]
    pairs = (
        np.unique(np.stack([rows, cols], axis=1), axis=0)
        if len(rows)
        else np.empty((0, 2), dtype=np.int64)
    )
    return pairs[:, 0], pairs[:, 1]


# --------------------------------------------------------------------------------------- LSCP


def _lscp_arrays(
    ix: Indexed,
    radius: float | None,
    reachable: np.ndarray,
    upper_p: int | None = None,
    kept: np.ndarray | None = None,
):
    """Set-covering model at ``radius`` over the areas in ``reachable`` (rows deduplicated);
    the ``kept`` sites are open whatever the cost."""
    sel = np.ones(len(ix.minutes), dtype=bool) if radius is None else ix.minutes <= radius
    rng = np.random.default_rng(7)
    h1 = rng.integers(1, 2**62, size=ix.m, dtype=np.int64).astype(np.uint64)
    h2 = rng.integers(1, 2**62, size=ix.m, dtype=np.int64).astype(np.uint64)
    k1 = np.zeros(ix.n, dtype=np.uint64)
    k2 = np.zeros(ix.n, dtype=np.uint64)
    np.add.at(k1, ix.pair_area[sel], h1[ix.pair_site[sel]])
    np.add.at(k2, ix.pair_area[sel], h2[ix.pair_site[sel]])
    cnt = np.bincount(ix.pair_area[sel], minlength=ix.n).astype(np.uint64)
    members = np.flatnonzero(reachable)
    keys = np.stack([k1, k2, cnt], axis=1)
    rows_of_area, _ = _group_rows(ix, keys, members)
    n_rows = int(rows_of_area.max()) + 1 if len(rows_of_area) else 0
    rr, cc = _covered_sites(ix, rows_of_area, members, n_rows, radius)
    b = ModelBuilder()
    lo = np.zeros(ix.m) if kept is None else kept.astype(float)
    b.add_vars("y", ix.m, cost=1.0, lo=lo, hi=1, integer=True)
    b.add_rows("cover", n_rows, rr, cc, 1.0, lo=1.0)
    if upper_p is not None:
        b.add_rows("p", 1, np.zeros(ix.m), np.arange(ix.m), 1.0, hi=float(upper_p))
    return b.build(), n_rows


def solve_lscp(ix: Indexed, options: OptimizeOptions) -> Allocation:
    started = time.perf_counter()
    reachable = np.bincount(ix.pair_area, minlength=ix.n) > 0
    notes = _unreachable_note(ix, reachable, options.max_minutes)
    kept = kept_open(ix, options)
    lm, n_rows = _lscp_arrays(ix, None, reachable, kept=kept)
    build_s = time.perf_counter() - started
    raw = solve_with_options(lm, options)
    if raw.x is None:
        raise _no_solution(raw, "LSCP")
    opened = raw.x[lm.blocks["y"]] > 0.5
    objective = float(opened.sum())
    bound = None if raw.bound is None else float(np.ceil(raw.bound - 1e-6))
    gap = relative_gap(objective, bound)
    site, minutes = nearest_open(ix, opened)
    notes += (
        f"set covering with {n_rows} distinct coverage rows for {int(reachable.sum())} areas"
        + (f"; the {int(kept.sum())} existing sites kept open" if kept.any() else ""),
    )
    return _finish(
        ix,
        options,
        model="lscp",
        opened=opened,
        site=site,
        minutes=minutes,
        objective=objective,
        bound=bound,
        gap=gap,
        build_s=build_s,
        solve_s=raw.solve_s,
        notes=notes,
    )


# --------------------------------------------------------------------------------------- MCLP


def solve_mclp(
    ix: Indexed, options: OptimizeOptions, groups: np.ndarray | None = None
) -> Allocation:
    """``groups``: integer equity group per area (with ``options.coverage_floor``)."""
    p = _need_p(options, ix)
    started = time.perf_counter()
    w = ix.weights(options)
    keys, reachable = _coverage_keys(ix, groups)
    members = np.flatnonzero(reachable & (w > 0))
    rows_of_area, rep = _group_rows(ix, keys, members)
    n_rows = len(rep)
    row_w = np.bincount(rows_of_area, weights=w[members], minlength=n_rows)
    rr, cc = _covered_sites(ix, rows_of_area, members, n_rows, None)
    b = ModelBuilder()
    y0 = b.add_vars("y", ix.m, lo=kept_open(ix, options).astype(float), hi=1, integer=True)
    z0 = b.add_vars("z", n_rows, cost=-row_w, lo=0, hi=1)
    backup = options.backup_weight > 0
    # z_g (+ z2_g) − Σ_{j∈N_g} y_j ≤ 0: covered once (twice) needs one (two) open sites in reach
    rows = [np.arange(n_rows), rr]
    cols = [z0 + np.arange(n_rows), y0 + cc]
    vals = [np.ones(n_rows), -np.ones(len(rr))]
    if backup:
        z2 = b.add_vars("z2", n_rows, cost=-options.backup_weight * row_w, lo=0, hi=1)
        rows.append(np.arange(n_rows))
        cols.append(z2 + np.arange(n_rows))
        vals.append(np.ones(n_rows))
    b.add_rows(
        "cover", n_rows, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), hi=0.0
    )
    if backup:  # z2_g ≤ z_g: a second coverage counts only on top of a first
        b.add_rows(
            "backup",
            n_rows,
            np.r_[np.arange(n_rows), np.arange(n_rows)],
            np.r_[z2 + np.arange(n_rows), z0 + np.arange(n_rows)],
            np.r_[np.ones(n_rows), -np.ones(n_rows)],
            hi=0.0,
        )
    b.add_rows("p", 1, np.zeros(ix.m), y0 + np.arange(ix.m), 1.0, lo=float(p), hi=float(p))
    notes: list[str] = [f"MCLP with {n_rows} aggregated coverage rows for {len(members)} areas"]
    if groups is not None and options.coverage_floor is not None:
        _add_group_floor_mclp(b, ix, options, groups, w, members, rows_of_area, z0, n_rows)
    lm = b.build()
    build_s = time.perf_counter() - started
    raw = solve_with_options(lm, options)
    if raw.outcome == "infeasible":
        raise InfeasibleError(_floor_reasons(ix, options, groups, w, reachable, p))
    if raw.x is None:
        raise _no_solution(raw, "MCLP")
    opened = raw.x[lm.blocks["y"]] > 0.5
    site, minutes = nearest_open(ix, opened)
    objective = float(w[site >= 0].sum())
    if backup:
        twice = open_sites_in_reach(ix, opened) >= 2
        objective += options.backup_weight * float(w[twice].sum())
        notes.append(
            f"backup coverage: {int(twice.sum())} areas ({float(w[twice].sum()):.6g} weight) "
            "have two or more open sites within the standard"
        )
    bound = None if raw.bound is None else -raw.bound
    gap = None if bound is None else max(0.0, (bound - objective) / max(abs(objective), 1.0))
    # areas not covered are unmet in this model's terms
    return _finish(
        ix,
        options,
        model="mclp",
        opened=opened,
        site=site,
        minutes=minutes,
        objective=objective,
        bound=bound,
        gap=gap,
        build_s=build_s,
        solve_s=raw.solve_s,
        notes=tuple(notes),
    )


def open_sites_in_reach(ix: Indexed, opened: np.ndarray) -> np.ndarray:
    """Per area, how many open sites are within the standard (the pairs kept in ``ix``)."""
    return np.bincount(ix.pair_area[opened[ix.pair_site]], minlength=ix.n)


def _add_group_floor_mclp(b, ix, options, groups, w, members, rows_of_area, z0, n_rows) -> None:
    # rows are aggregated by (coverage set, group), so each row has one group
    row_group = np.zeros(n_rows, dtype=np.int64)
    row_group[rows_of_area] = groups[members]
    row_w = np.bincount(rows_of_area, weights=w[members], minlength=n_rows)
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    total = np.bincount(groups, weights=w, minlength=n_groups)
    b.add_rows(
        "floor",
        n_groups,
        row_group,
        z0 + np.arange(n_rows),
        row_w,
        lo=options.coverage_floor * total,
    )


def _floor_reasons(ix, options, groups, w, reachable, p) -> list[str]:
    reasons = []
    if groups is not None and options.coverage_floor is not None:
        n_groups = int(groups.max()) + 1
        total = np.bincount(groups, weights=w, minlength=n_groups)
        reach = np.bincount(groups, weights=w * reachable, minlength=n_groups)
        for g in range(n_groups):
            share = reach[g] / total[g] if total[g] > 0 else 1.0
            if share + 1e-9 < options.coverage_floor:
                reasons.append(
                    f"equity group #{g}: only {share:.1%} of its demand is within the "
                    "standard of any "
                    f"site, below the coverage floor {options.coverage_floor:.1%}"
                )
        if not reasons:
            reasons.append(
                f"the coverage floor {options.coverage_floor:.1%} cannot be met for every "
                "group with "
                f"p = {p} sites — raise p or lower the floor"
            )
    return reasons or ["the model has no feasible solution"]


# ------------------------------------------------------------------------------ p-median


def _dense_cost(ix: Indexed, cap: float) -> np.ndarray:
    D = np.full((ix.n, ix.m), cap)
    D[ix.pair_area, ix.pair_site] = np.minimum(ix.minutes, cap)
    return D


def _cost_of(D: np.ndarray, w: np.ndarray, open_idx: np.ndarray) -> float:
    return float(w @ D[:, open_idx].min(axis=1))


def greedy_interchange(
    D: np.ndarray,
    w: np.ndarray,
    p: int,
    *,
    max_passes: int = 50,
    kept: np.ndarray | None = None,
) -> np.ndarray:
    """Greedy add, then best-improvement vertex substitution (Teitz–Bart, Whitaker's evaluation).

    ``D`` is (n, m) minutes, already capped at the unmet penalty; returns the open site positions.
    ``kept`` (boolean per site): sites open from the start that are never swapped out.
    """
    n, m = D.shape
    best = np.full(n, D.max() if D.size else 0.0)
    chosen: list[int] = []
    available = np.ones(m, dtype=bool)
    fixed = np.zeros(m, dtype=bool) if kept is None else kept.astype(bool)
    for j in np.flatnonzero(fixed).tolist():
        chosen.append(j)
        available[j] = False
        best = np.minimum(best, D[:, j])
    for _ in range(max(0, min(p, m) - len(chosen))):
        gains = w @ np.maximum(0.0, best[:, None] - D)
        gains[~available] = -np.inf
        j = int(np.argmax(gains))
        chosen.append(j)
        available[j] = False
        best = np.minimum(best, D[:, j])
    S = np.array(sorted(chosen), dtype=np.int64)
    if len(S) == 0 or len(S) == m:
        return S
    for _ in range(max_passes):
        sub = D[:, S]
        order = np.argsort(sub, axis=1, kind="stable")
        closest = S[order[:, 0]]
        b1 = np.take_along_axis(sub, order[:, :1], axis=1)[:, 0]
        b2 = (
            np.take_along_axis(sub, order[:, 1:2], axis=1)[:, 0]
            if len(S) > 1
            else np.full(n, D.max())
        )
        current = float(w @ b1)
        best_delta, best_swap = -1e-9 * max(current, 1.0), None
        in_S = np.zeros(m, dtype=bool)
        in_S[S] = True
        for j in np.flatnonzero(~in_S).tolist():
            a = np.minimum(b1, D[:, j])
            base = float(w @ (a - b1))
            extra = np.bincount(closest, weights=w * (np.minimum(b2, D[:, j]) - a), minlength=m)
            deltas = base + extra[S]
            deltas[fixed[S]] = np.inf  # a kept site is never swapped out
            k = int(np.argmin(deltas))
            if deltas[k] < best_delta:
                best_delta, best_swap = float(deltas[k]), (j, int(S[k]))
        if best_swap is None:
            break
        j, k = best_swap
        S = np.array(sorted(set(S.tolist()) - {k} | {j}), dtype=np.int64)
    return S


def solve_p_median(
    ix: Indexed, options: OptimizeOptions, *, k0: int = 10, slack: int = 5
) -> Allocation:
    p = _need_p(options, ix)
    t0 = time.perf_counter()
    hard_deadline = time.monotonic() + options.hard_limit_s
    penalty = options.unmet_penalty_minutes
    w = ix.weights(options)
    reachable = np.bincount(ix.pair_area, minlength=ix.n) > 0
    notes: list[str] = list(_unreachable_note(ix, reachable, options.max_minutes))
    if notes:
        notes = [notes[0].replace("were left out", f"count as unmet at {penalty:g} minutes")]

    if ix.n * ix.m > SCALE_CELLS:
        return _solve_p_median_at_scale(ix, options, p, w, penalty, notes)

    # pairs usable at all: cheaper than being unmet
    use = ix.minutes < penalty
    pa, ps, pt = ix.pair_area[use], ix.pair_site[use], ix.minutes[use]
    order = np.lexsort((ps, pt, pa))
    pa, ps, pt = pa[order], ps[order], pt[order]
    starts = np.searchsorted(pa, np.arange(ix.n))
    rank = np.arange(len(pa)) - starts[pa]
    deg = np.bincount(pa, minlength=ix.n)

    heuristic_S = None
    kept = kept_open(ix, options)
    if ix.n * ix.m <= _DENSE_LIMIT:
        D = _dense_cost(ix, penalty)
        hs = time.perf_counter()
        heuristic_S = greedy_interchange(D, w, p, kept=kept)
        ub = _cost_of(D, w, heuristic_S)
        log.info("p-median heuristic: %.6g in %.3f s", ub, time.perf_counter() - hs)
        best_S = heuristic_S
    else:
        D = None
        ub, best_S = np.inf, None

    def true_cost(S: np.ndarray) -> float:
        if D is not None:
            return _cost_of(D, w, S)
        opened = np.zeros(ix.m, dtype=bool)
        opened[S] = True
        _, mins = nearest_open(ix, opened)
        return float(w @ np.minimum(np.where(np.isfinite(mins), mins, penalty), penalty))

    # k_i: at least k0, and at least up to the site the heuristic assigns area i to
    k = np.full(ix.n, k0, dtype=np.int64)
    if heuristic_S is not None:
        in_h = np.zeros(ix.m, dtype=bool)
        in_h[heuristic_S] = True
        hit = in_h[ps]
        first_hit = np.full(ix.n, -1)
        idx = np.flatnonzero(hit)
        ua, fi = np.unique(pa[idx], return_index=True)
        first_hit[ua] = rank[idx[fi]]
        k = np.maximum(k, first_hit + slack)
    k = np.minimum(k, deg)

    build_total, solve_total = time.perf_counter() - t0, 0.0
    lb: float | None = None
    rounds = 0
    while True:
        rounds += 1
        tb = time.perf_counter()
        keep = rank < k[pa]
        xa, xs, xt = pa[keep], ps[keep], pt[keep]
        # catch-all price: minutes of the first pair left out, or the penalty
        nxt = np.full(ix.n, penalty)
        left = ~keep & (rank == k[pa])
        nxt[pa[left]] = np.minimum(pt[left], penalty)
        P = len(xa)
        lm, start = beamr_model(w, p, kept, xa, xs, xt, nxt, best_S)
        build_total += time.perf_counter() - tb
        remaining = hard_deadline - time.monotonic()
        if remaining <= 1.0:
            break
        raw, lb, (ub, best_S) = beamr_solve(
            lm, options, start, remaining, lb, (ub, best_S), true_cost
        )
        solve_total += raw.solve_s
        gap = relative_gap(ub, lb) if np.isfinite(ub) else None
        log.info("p-median BEAMR round %d: %d arcs, bound %s, incumbent %.6g", rounds, P, lb, ub)
        if gap is not None and gap <= options.mip_gap + 1e-9:
            break
        if raw.x is None or raw.outcome == "time_limit":
            break
        zval = raw.x[lm.blocks["z"]]
        grow = (zval > 1e-6) & (nxt < penalty) & (k < deg)
        if not grow.any():
            break
        k[grow] = np.minimum(deg[grow], np.maximum(2 * k[grow], k[grow] + k0))
    if best_S is None:
        msg = "p-median: no solution within the time limit — raise time_limit_s"
        raise SolverError(msg)
    notes.append(
        f"p-median: greedy+interchange incumbent, BEAMR reduction in {rounds} round(s), "
        f"{int((rank < k[pa]).sum())} of {len(pa)} arcs"
    )
    opened = np.zeros(ix.m, dtype=bool)
    opened[best_S] = True
    site, minutes = nearest_open(ix, opened)
    # an area is left unmet when being unmet is cheaper than its nearest open site
    site = np.where(minutes < penalty, site, -1)
    objective = float(w @ np.where(site >= 0, minutes, penalty))
    gap = relative_gap(objective, lb)
    return _finish(
        ix,
        options,
        model="p-median",
        opened=opened,
        site=site,
        minutes=minutes,
        objective=objective,
        bound=lb,
        gap=gap,
        build_s=build_total,
        solve_s=solve_total,
        notes=tuple(notes),
    )


#: areas × sites above which the p-median runs at scale (no dense matrix): at 20,000 × 500 the
#: dense path took 312 s and proved no bound within 300 s, the path at scale 17 s and 0.9 %
SCALE_CELLS = 2_000_000
#: nearest sites kept per area by the p-median at scale
SCALE_LIST_WIDTH = 64


def _solve_p_median_at_scale(
    ix: Indexed,
    options: OptimizeOptions,
    p: int,
    w: np.ndarray,
    penalty: float,
    notes: list[str],
) -> Allocation:
    """p-median without a dense matrix: :mod:`geoalloc.optimize.pmedian_sparse`."""
    from geoalloc.optimize.nearest import nearest_lists, nearest_open_exact
    from geoalloc.optimize.pmedian_sparse import solve_lists

    started = time.perf_counter()
    lists = nearest_lists(ix, SCALE_LIST_WIDTH, penalty)
    lists_s = time.perf_counter() - started
    kept = kept_open(ix, options)
    opened, _ub, lb, more, build_s, solve_s, _cols = solve_lists(ix, options, w, p, kept, lists)
    site, minutes = nearest_open_exact(ix, lists, opened)
    objective = float(w @ np.where(site >= 0, minutes, penalty))
    gap = relative_gap(objective, lb)
    return _finish(
        ix,
        options,
        model="p-median",
        opened=opened,
        site=site,
        minutes=minutes,
        objective=objective,
        bound=lb,
        gap=gap,
        build_s=lists_s + build_s,
        solve_s=solve_s,
        notes=tuple(notes + more),
    )


# ------------------------------------------------------------------------------ p-center


def solve_p_center(ix: Indexed, options: OptimizeOptions) -> Allocation:
    p = _need_p(options, ix)
    kept = kept_open(ix, options)
    t0 = time.perf_counter()
    hard_deadline = time.monotonic() + options.hard_limit_s
    reachable = np.bincount(ix.pair_area, minlength=ix.n) > 0
    notes = list(_unreachable_note(ix, reachable, options.max_minutes))
    if not reachable.any():
        raise InfeasibleError("no area is reachable from any site — check the travel matrix")
    # lower bound: every area needs its nearest site
    nearest = np.full(ix.n, np.inf)
    np.minimum.at(nearest, ix.pair_area, ix.minutes)
    lo_val = float(nearest[reachable].max())
    # upper bound from a heuristic site set (p-median heuristic on reachable areas)
    big = float(ix.minutes.max()) * 10 + 1
    S = None
    if ix.n * ix.m <= _DENSE_LIMIT:
        D = _dense_cost(ix, big)
        S = greedy_interchange(D[reachable], np.ones(int(reachable.sum())), p, kept=kept)
        hi_val = float(D[np.ix_(reachable, S)].min(axis=1).max())
        if hi_val >= big:
            hi_val = float(ix.minutes.max())
    else:
        hi_val = float(ix.minutes.max())
    values = np.unique(ix.minutes[(ix.minutes >= lo_val) & (ix.minutes <= hi_val)])
    if not len(values) or values[-1] < hi_val:
        values = np.append(values, hi_val)
    build_s = time.perf_counter() - t0
    solve_s = 0.0
    lo, hi = 0, len(values) - 1  # values[hi] is achievable (heuristic or all sites)
    feasible_open = None
    uncertain = False
    if S is not None and hi_val < big:
        feasible_open = np.zeros(ix.m, dtype=bool)
        feasible_open[S] = True
    if feasible_open is None:
        # the heuristic did not reach every area: is the largest radius achievable with p sites?
        lm, _ = _lscp_arrays(ix, None, reachable, kept=kept)
        raw = solve_with_options(
            lm,
            options,
            mip_gap=0.0,
            hard_limit_s=max(1.0, hard_deadline - time.monotonic()),
        )
        solve_s += raw.solve_s
        if raw.x is None:
            raise _no_solution(raw, "p-center")
        need = int(round(raw.x[lm.blocks["y"]].sum()))
        if need > p and raw.bound is not None and np.ceil(raw.bound - 1e-6) > p:
            least = int(np.ceil(raw.bound - 1e-6))
            msg = f"serving every reachable area needs at least {least} sites, more than p = {p}"
            raise InfeasibleError(msg)
        if need <= p:
            feasible_open = raw.x[lm.blocks["y"]] > 0.5
    while lo < hi:
        mid = (lo + hi) // 2
        remaining = hard_deadline - time.monotonic()
        if remaining <= 1.0:
            uncertain = True
            break
        tb = time.perf_counter()
        lm, _ = _lscp_arrays(ix, float(values[mid]), reachable, kept=kept)
        build_s += time.perf_counter() - tb
        raw = solve_with_options(
            lm,
            options,
            time_limit_s=min(options.time_limit_s, remaining * 0.9),
            mip_gap=0.0,
            hard_limit_s=remaining,
        )
        solve_s += raw.solve_s
        y = None if raw.x is None else raw.x[lm.blocks["y"]]
        lower = None if raw.bound is None else int(np.ceil(raw.bound - 1e-6))
        if y is not None and int(round(y.sum())) <= p:
            hi = mid
            feasible_open = y > 0.5
        elif lower is not None and lower > p or raw.outcome == "infeasible":
            lo = mid + 1
        else:
            uncertain = True  # could not decide this radius in time: treat as infeasible
            lo = mid + 1
    if feasible_open is None:
        feasible_open = np.ones(ix.m, dtype=bool) if p >= ix.m else None  # kept ⊆ all
        if feasible_open is None:
            msg = "p-center: no solution within the time limit — raise time_limit_s"
            raise SolverError(msg)
    # fill up to p sites greedily (lower mean minutes; the worst case cannot get worse)
    opened = feasible_open.copy()
    if opened.sum() < p and ix.n * ix.m <= _DENSE_LIMIT:
        D = _dense_cost(ix, big)
        best = D[:, opened].min(axis=1) if opened.any() else np.full(ix.n, big)
        while opened.sum() < p:
            gains = np.maximum(0.0, best[:, None] - D).sum(axis=0)
            gains[opened] = -np.inf
            j = int(np.argmax(gains))
            opened[j] = True
            best = np.minimum(best, D[:, j])
    site, minutes = nearest_open(ix, opened)
    objective = float(minutes[reachable].max())
    bound = float(values[lo]) if not uncertain else float(values[0])
    bound = min(bound, objective)
    gap = relative_gap(objective, bound)
    notes.append(f"p-center by bisection over {len(values)} candidate radii")
    return _finish(
        ix,
        options,
        model="p-center",
        opened=opened,
        site=site,
        minutes=minutes,
        objective=objective,
        bound=bound,
        gap=gap,
        build_s=build_s,
        solve_s=solve_s,
        notes=tuple(notes),
    )


def group_codes(ix: Indexed, groups: pd.Series | None) -> tuple[np.ndarray | None, list]:
    """Integer code per area of its equity group, and the group labels."""
    if groups is None:
        return None, []
    g = groups.reindex(ix.areas)
    if g.isna().any():
        msg = (
            f"equity groups: areas without a group: {format_ids(g.index[g.isna()])} — give "
            "every area a group"
        )
        raise InputError(msg)
    codes, labels = pd.factorize(g, sort=True)
    return codes.astype(np.int64), list(labels)
