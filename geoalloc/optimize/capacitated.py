"""The capacitated multi-resource planning model, built from arrays (sparse in feasible pairs).

Indices: areas ``i``, sites ``j``, resources ``r``; pairs ``(i, j)`` only within the travel
standard. Data: demand ``d_ir``, minutes ``t_ij``, capacity ``c_jr`` (now, or when opened),
module size ``s_r``, cost per unit ``k_r``, opening cost ``f_j``, operating cost ``o_j``.

Variables
    ``y_j ∈ {0,1}`` site open (fixed to 1 for existing sites unless ``allow_closing`` or ``p``
    is given — with ``p`` exactly p sites stay open, existing or candidate);
    ``e_jr ∈ ℤ₊`` modules of resource r added at j (only resources with a ``cost_per_unit``);
    ``x_ijr ∈ [0,1]`` share of area i's demand for r served at j (single-source: one binary
    ``x_ij`` shared by every resource); ``u_ir ∈ [0,1]`` share unmet (``u_i`` with single-source);
    ``W`` the worst area's mean minutes (only with ``minimax_weight``).

Objective, ``objective = "lexicographic"`` (the default; :mod:`geoalloc.optimize.lexicographic`)
    1. unmet demand ``Σ d_ir u_ir`` (units);
    2. cost ``Σ_cand f_j y_j + Σ_exist o_j y_j + Σ k_r s_r e_jr`` (currency);
    3. new sites ``Σ_cand y_j``;
    4. travel ``Σ d_ir t_ij x_ijr + minimax_weight·W`` (demand-weighted minutes), plus, with a
       priority weight ``π_i``, ``unmet_penalty·Σ π_i d_ir u_ir``: the total unmet is fixed by
       goal 1, so that term only decides who is left short, against travel;
    each minimised with the levels before it kept at their values.
Objective, ``objective = "weighted"`` (demand-weighted minutes)
    ``minutes_weight·Σ d_ir t_ij x_ijr + unmet_penalty·Σ π_i d_ir u_ir + minimax_weight·W
    + cost_weight·(Σ_cand f_j y_j + Σ_exist o_j y_j + Σ k_r s_r e_jr)``

Constraints
    ``Σ_j x_ijr + u_ir = 1``                              every demanded (i, r)
    ``Σ_i d_ir x_ijr ≤ c_jr y_j + s_r e_jr``              every (j, r)      (capacity)
    ``x_ijr ≤ y_j``                                        pairs at sites that may stay closed
    ``s_r e_jr ≤ U_jr y_j``                                 expansion only where open (max size)
    ``Σ f_j y_j + Σ k_r s_r e_jr ≤ budget``;  ``Σ_j k_r s_r e_jr ≤ budget_r``
    ``after_a ≤ ratio·after_b`` / ``≥`` for couplings, ``after_r = c_jr y_j + s_r e_jr``
    ``Σ_{(i,r)∈g} d_ir u_ir ≤ (1 − floor)·Σ_{(i,r)∈g} d_ir``  every equity group g
    ``Σ_j t_ij x_ijr ≤ W``                                  with ``minimax_weight > 0``
    ``Σ_j y_j = p``                                         when ``p`` is given
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from geoalloc._errors import InfeasibleError, InputError, SolverError
from geoalloc._validate import format_ids
from geoalloc.optimize._prepare import Indexed, may_close, site_values
from geoalloc.optimize._result import site_table
from geoalloc.optimize.lexicographic import Goal, combined_gap, solve_lexicographic
from geoalloc.optimize.linear import (
    LinearModel,
    ModelBuilder,
    RawSolution,
    lp_duals,
    solve_linear,
    solve_with_options,
    status_from_gap,
)
from geoalloc.optimize.objective import demand_minutes_unit, demand_unit, weighted_detail
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import Allocation, AllocationProblem, SolveOutcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Layout:
    """Where each piece of the model lives, to decode a solution."""

    xa: np.ndarray  # area per x column
    xs: np.ndarray  # site per x column
    xr: np.ndarray  # resource per x column (−1 for single-source: every resource)
    xt: np.ndarray  # minutes per x column
    ua: np.ndarray  # area per u column
    ur: np.ndarray  # resource per u column (−1: every resource)
    expandable: list[int]
    module: np.ndarray  # (R,)
    e_ub: np.ndarray  # (m, R) modules
    opening: np.ndarray  # (m,)
    operating: np.ndarray  # (m,)
    unit_cost: np.ndarray  # (R,)
    goals: tuple[Goal, ...] = ()  # the lexicographic levels, most important first


def expansion_bounds(
    ix: Indexed, problem: AllocationProblem, options: OptimizeOptions, total_demand: np.ndarray
) -> np.ndarray:
    """The modules each site may add per resource, ``(m, R)``: ``⌈total_demand / module⌉``, no
    more than the room below the site's ``max_size`` nor ``max_added``; 0 for the resources
    without a ``cost_per_unit``.

    ``total_demand``: per resource (in ``ix.resources`` order), the demand that bounds one site's
    expansion."""
    e_ub = np.zeros((ix.m, len(ix.resources)))
    for k, r in enumerate(ix.resources):
        if r not in options.cost_per_unit:
            continue
        module = float(options.module_size.get(r, 1.0))
        ub = np.full(ix.m, np.ceil(total_demand[k] / module))
        if problem.max_size is not None and r in problem.max_size.columns:
            ms = pd.to_numeric(problem.max_size[r].reindex(ix.sites), errors="coerce").to_numpy(
                dtype=float
            )
            room = np.where(np.isnan(ms), np.inf, np.maximum(0.0, ms - ix.capacity[:, k]))
            ub = np.minimum(
                ub,
                np.floor(room / module + 1e-9)
                if not options.continuous_expansion
                else room / module,
            )
        if r in options.max_added:
            ub = np.minimum(ub, options.max_added[r] / module)
        e_ub[:, k] = ub
    return e_ub


def build_capacitated(
    ix: Indexed,
    problem: AllocationProblem,
    options: OptimizeOptions,
    groups: np.ndarray | None,
    *,
    expansion_demand: np.ndarray | None = None,
) -> tuple[LinearModel, Layout]:
    """The capacitated model of ``ix`` (see the module's notes) and where its pieces live.

    ``expansion_demand``: per resource (in ``ix.resources`` order), the total demand that bounds
    the modules added at one site (``⌈demand / module⌉``); default this problem's own total. The
    sample-average model passes the largest total over its draws, so that every draw's model has
    the same expansion columns and rows.
    """
    R = len(ix.resources)
    res_pos = {r: k for k, r in enumerate(ix.resources)}
    bad = [
        r
        for r in list(options.cost_per_unit)
        + list(options.module_size)
        + list(options.max_size_columns)
        + list(options.resource_budgets)
        + list(options.max_added)
        if r not in res_pos
    ]
    for c in options.couplings:
        bad += [r for r in (c.resource, c.per) if r not in res_pos]
    if bad:
        msg = (
            f"[optimize] names resource(s) {sorted(set(bad))} that are not planned; "
            f"planned: {ix.resources}"
        )
        raise InputError(msg)
    module = np.array([float(options.module_size.get(r, 1.0)) for r in ix.resources])
    unit_cost = np.array([float(options.cost_per_unit.get(r, 0.0)) for r in ix.resources])
    expandable = [res_pos[r] for r in ix.resources if r in options.cost_per_unit]
    opening = site_values(ix, problem.opening_cost, "opening cost")
    operating = site_values(ix, problem.operating_cost, "operating cost")
    fixed_open = ix.existing & (not may_close(options))
    total_demand = ix.demand.sum(axis=0) if expansion_demand is None else expansion_demand

    e_ub = expansion_bounds(ix, problem, options, total_demand)

    # assignment columns
    pa, ps, pt = ix.pair_area, ix.pair_site, ix.minutes
    if options.single_source:
        demanded = ix.demand.sum(axis=1) > 0
        sel = demanded[pa]
        xa, xs, xt = pa[sel], ps[sel], pt[sel]
        xr = np.full(len(xa), -1)
        ua = np.flatnonzero(demanded)
        ur = np.full(len(ua), -1)
    else:
        parts = [
            (pa[ix.demand[pa, k] > 0], ps[ix.demand[pa, k] > 0], pt[ix.demand[pa, k] > 0], k)
            for k in range(R)
        ]
        xa = np.concatenate([p[0] for p in parts])
        xs = np.concatenate([p[1] for p in parts])
        xt = np.concatenate([p[2] for p in parts])
        xr = np.concatenate([np.full(len(p[0]), p[3]) for p in parts])
        ua_l, ur_l = np.nonzero(ix.demand > 0)
        ua, ur = ua_l, ur_l
    X, U = len(xa), len(ua)
    # unit (demand row) of each u and x column
    unit_key = ua * (R + 1) + (ur + 1)
    x_key = xa * (R + 1) + (xr + 1)
    x_unit = np.searchsorted(unit_key, x_key)  # (ua, ur) is sorted by construction
    if options.single_source:
        unit_d = ix.demand[ua].sum(axis=1)
        x_weighted_minutes = ix.demand[xa].sum(axis=1) * xt
    else:
        unit_d = ix.demand[ua, ur]
        x_weighted_minutes = ix.demand[xa, xr] * xt

    b = ModelBuilder()
    y_cost = np.where(ix.existing, operating, opening) * options.cost_weight
    y0 = b.add_vars("y", ix.m, cost=y_cost, lo=fixed_open.astype(float), hi=1.0, integer=True)
    x0 = b.add_vars(
        "x",
        X,
        cost=options.minutes_weight * x_weighted_minutes,
        lo=0,
        hi=1,
        integer=options.single_source,
    )
    u_hi = 1.0 if options.allow_unmet else 0.0
    unit_penalty = options.unmet_penalty_minutes * unit_d
    if ix.priority is not None:
        unit_penalty = unit_penalty * ix.priority[ua]
    u0 = b.add_vars("u", U, cost=unit_penalty, lo=0, hi=u_hi)
    e_cols = {}
    for k in expandable:
        e_cols[k] = b.add_vars(
            f"e_{ix.resources[k]}",
            ix.m,
            cost=options.cost_weight * unit_cost[k] * module[k],
            lo=0,
            hi=e_ub[:, k],
            integer=not options.continuous_expansion,
        )
    w_col = (
        b.add_vars("W", 1, cost=options.minimax_weight, lo=0)
        if options.minimax_weight > 0
        else None
    )

    # Σ_j x + u = 1
    b.add_rows(
        "assign",
        U,
        np.concatenate([x_unit, np.arange(U)]),
        np.concatenate([x0 + np.arange(X), u0 + np.arange(U)]),
        1.0,
        lo=1.0,
        hi=1.0,
    )
    # capacity rows (j, r): row id j*R + r
    if options.single_source:
        cr, cc, cv = [], [], []
        for k in range(R):
            dk = ix.demand[xa, k]
            nz = dk > 0
            cr.append(xs[nz] * R + k)
            cc.append(x0 + np.flatnonzero(nz))
            cv.append(dk[nz])
        cap_rows, cap_cols, cap_vals = np.concatenate(cr), np.concatenate(cc), np.concatenate(cv)
    else:
        cap_rows, cap_cols, cap_vals = xs * R + xr, x0 + np.arange(X), ix.demand[xa, xr]
    js, ks = np.divmod(np.arange(ix.m * R), R)
    rows = [cap_rows, np.arange(ix.m * R)]
    cols = [cap_cols, y0 + js]
    vals = [cap_vals, -ix.capacity[js, ks]]
    for k in expandable:
        rows.append(np.arange(ix.m) * R + k)
        cols.append(e_cols[k] + np.arange(ix.m))
        vals.append(np.full(ix.m, -module[k]))
    b.add_rows(
        "capacity",
        ix.m * R,
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(vals),
        hi=0.0,
    )
    # linking x ≤ y at sites that may be closed
    closable = ~fixed_open
    lk = np.flatnonzero(closable[xs])
    if len(lk):
        L = len(lk)
        b.add_rows(
            "link",
            L,
            np.concatenate([np.arange(L), np.arange(L)]),
            np.concatenate([x0 + lk, y0 + xs[lk]]),
            np.concatenate([np.ones(L), -np.ones(L)]),
            hi=0.0,
        )
    # expansion only where open: s e ≤ U y  (U = e_ub × s)
    for k in expandable:
        sites_k = np.flatnonzero(closable & (e_ub[:, k] > 0))
        if len(sites_k):
            S = len(sites_k)
            b.add_rows(
                f"expand_open_{ix.resources[k]}",
                S,
                np.concatenate([np.arange(S), np.arange(S)]),
                np.concatenate([e_cols[k] + sites_k, y0 + sites_k]),
                np.concatenate([np.ones(S), -e_ub[sites_k, k]]),
                hi=0.0,
            )
    # budgets
    if options.budget is not None:
        cand = np.flatnonzero(~ix.existing & (opening > 0))
        rr: list[np.ndarray] = [np.zeros(len(cand), dtype=np.int64)]
        cc, vv = [y0 + cand], [opening[cand]]
        for k in expandable:
            if unit_cost[k] > 0:
                rr.append(np.zeros(ix.m, dtype=np.int64))
                cc.append(e_cols[k] + np.arange(ix.m))
                vv.append(np.full(ix.m, unit_cost[k] * module[k]))
        b.add_rows(
            "budget",
            1,
            np.concatenate(rr),
            np.concatenate(cc),
            np.concatenate(vv),
            hi=float(options.budget),
        )
    for r, limit in options.resource_budgets.items():
        k = res_pos[r]
        if k not in e_cols:
            continue
        b.add_rows(
            f"budget_{r}",
            1,
            np.zeros(ix.m),
            e_cols[k] + np.arange(ix.m),
            unit_cost[k] * module[k],
            hi=float(limit),
        )
    # couplings: after_a − ratio × after_b ≤ 0 (max) or ≥ 0 (min)
    for c in options.couplings:
        a, bb = res_pos[c.resource], res_pos[c.per]
        for ratio, lo, hi, tag in (
            (c.max_ratio, -np.inf, 0.0, "max"),
            (c.min_ratio, 0.0, np.inf, "min"),
        ):
            if ratio is None:
                continue
            rr = [np.arange(ix.m)]
            cc = [y0 + np.arange(ix.m)]
            vv = [ix.capacity[:, a] - ratio * ix.capacity[:, bb]]
            if a in e_cols:
                rr.append(np.arange(ix.m))
                cc.append(e_cols[a] + np.arange(ix.m))
                vv.append(np.full(ix.m, module[a]))
            if bb in e_cols:
                rr.append(np.arange(ix.m))
                cc.append(e_cols[bb] + np.arange(ix.m))
                vv.append(np.full(ix.m, -ratio * module[bb]))
            b.add_rows(
                f"coupling_{c.resource}_{c.per}_{tag}",
                ix.m,
                np.concatenate(rr),
                np.concatenate(cc),
                np.concatenate(vv),
                lo=lo,
                hi=hi,
            )
    # equity floor per group
    if groups is not None and options.coverage_floor is not None:
        n_groups = int(groups.max()) + 1
        g_of_unit = groups[ua]
        total = np.bincount(g_of_unit, weights=unit_d, minlength=n_groups)
        b.add_rows(
            "floor",
            n_groups,
            g_of_unit,
            u0 + np.arange(U),
            unit_d,
            hi=(1.0 - options.coverage_floor) * total,
        )
    # minimax: Σ_j t x − W ≤ 0 per demand unit
    if w_col is not None:
        b.add_rows(
            "minimax",
            U,
            np.concatenate([x_unit, np.arange(U)]),
            np.concatenate([x0 + np.arange(X), np.full(U, w_col)]),
            np.concatenate([xt, -np.ones(U)]),
            hi=0.0,
        )
    if options.p is not None:
        if options.p < int(fixed_open.sum()):
            msg = (
                f"p = {options.p} but {int(fixed_open.sum())} existing sites must stay open "
                "— raise p or set allow_closing"
            )
            raise InfeasibleError(msg)
        if options.p > ix.m:
            raise InfeasibleError(f"p = {options.p} but only {ix.m} sites are given")
        b.add_rows(
            "p",
            1,
            np.zeros(ix.m),
            y0 + np.arange(ix.m),
            1.0,
            lo=float(options.p),
            hi=float(options.p),
        )
    lm = b.build()
    layout = Layout(xa, xs, xr, xt, ua, ur, expandable, module, e_ub, opening, operating, unit_cost)
    goals = capacitated_goals(ix, lm, layout, options, unmet=unit_d, travel=x_weighted_minutes)
    return lm, replace(layout, goals=goals)


def capacitated_goals(
    ix: Indexed,
    lm: LinearModel,
    lay: Layout,
    options: OptimizeOptions,
    *,
    unmet: np.ndarray,
    travel: np.ndarray,
) -> tuple[Goal, ...]:
    """The lexicographic levels as objective vectors over ``lm``'s columns (laid out as ``lay``
    says): ``unmet`` per u column, ``travel`` per x column.

    With a priority column, each unmet unit's weight in the travel goal is
    ``unmet_penalty_minutes × priority`` — the total unmet is fixed by the first goal, so it only
    decides which areas are left short, against travel, at that documented rate."""

    def vector() -> np.ndarray:
        return np.zeros(lm.n_cols)

    blocks = lm.blocks
    c_unmet = vector()
    c_unmet[blocks["u"]] = unmet
    c_cost = vector()
    c_cost[blocks["y"]] = np.where(ix.existing, lay.operating, lay.opening)
    for k in lay.expandable:
        c_cost[blocks[f"e_{ix.resources[k]}"]] = lay.unit_cost[k] * lay.module[k]
    c_new = vector()
    c_new[blocks["y"]] = (~ix.existing).astype(float)
    c_travel = vector()
    c_travel[blocks["x"]] = travel
    if "W" in blocks:
        c_travel[blocks["W"]] = options.minimax_weight
    travel_label = "least travel"
    if ix.priority is not None:
        c_travel[blocks["u"]] = options.unmet_penalty_minutes * unmet * ix.priority[lay.ua]
        travel_label += " (who is left short: each unit at unmet_penalty_minutes × its priority)"
    unit = demand_unit(ix.resources)
    return (
        Goal("unmet", "least unmet demand within the travel standard", unit, c_unmet),
        Goal("cost", "least cost (opening, expansion, operating)", "currency", c_cost),
        Goal("new_sites", "fewest new sites opened", "sites", c_new),
        Goal("travel", travel_label, demand_minutes_unit(ix.resources), c_travel),
    )


def decode_solution(ix: Indexed, lm: LinearModel, lay: Layout, xval: np.ndarray):
    """A solution of :func:`build_capacitated`'s model as the plan's arrays and tables:
    ``(opened, added, after, assignments, load, unmet)``."""
    R = len(ix.resources)
    opened = xval[lm.blocks["y"]] > 0.5
    added = np.zeros((ix.m, R))
    for k in lay.expandable:
        e = xval[lm.blocks[f"e_{ix.resources[k]}"]]
        added[:, k] = np.maximum(0.0, np.round(e, 9)) * lay.module[k]
    after = np.where(opened[:, None], ix.capacity, 0.0) + added
    x = np.clip(xval[lm.blocks["x"]], 0.0, 1.0)
    u = np.clip(xval[lm.blocks["u"]], 0.0, 1.0)
    if (lay.xr < 0).any():  # single-source: every resource follows the binary choice
        x = np.round(x)
        nz = np.flatnonzero(x > 0.5)
        a_rep = np.repeat(lay.xa[nz], R)
        s_rep = np.repeat(lay.xs[nz], R)
        t_rep = np.repeat(lay.xt[nz], R)
        r_rep = np.tile(np.arange(R), len(nz))
        q = ix.demand[a_rep, r_rep]
        unmet = np.zeros((ix.n, R))
        served = np.zeros(ix.n, dtype=bool)
        served[lay.xa[nz]] = True
        unmet[~served] = ix.demand[~served]
    else:
        nz = np.flatnonzero(x > 1e-9)
        a_rep, s_rep, t_rep, r_rep = lay.xa[nz], lay.xs[nz], lay.xt[nz], lay.xr[nz]
        q = ix.demand[a_rep, r_rep] * x[nz]
        # make allocated + unmet = demand exact: unmet is the remainder
        served = np.zeros((ix.n, R))
        np.add.at(served, (a_rep, r_rep), q)
        over = served > ix.demand
        if over.any():  # float noise above demand: scale the area's shares down
            scale = np.where(
                served > 0, np.minimum(1.0, ix.demand / np.where(served > 0, served, 1)), 1.0
            )
            q = q * scale[a_rep, r_rep]
            served = np.minimum(served, ix.demand)
        unmet = ix.demand - served
        unmet[np.abs(unmet) < 1e-9] = 0.0
        del u
    keep = q > 0
    assignments = pd.DataFrame(
        {
            "area": ix.areas[a_rep[keep]],
            "site": ix.sites[s_rep[keep]],
            "resource": np.asarray(ix.resources, dtype=object)[r_rep[keep]],
            "quantity": q[keep],
            "minutes": t_rep[keep],
        }
    )
    load = np.zeros((ix.m, R))
    np.add.at(load, (s_rep[keep], r_rep[keep]), q[keep])
    unmet_df = pd.DataFrame(np.maximum(unmet, 0.0), index=ix.areas, columns=ix.resources)
    unmet_df.index.name = "area"
    return opened, added, after, assignments, load, unmet_df


def plan_costs(ix: Indexed, lay: Layout, opened: np.ndarray, added: np.ndarray) -> dict[str, float]:
    costs = {
        "opening": float(lay.opening[opened & ~ix.existing].sum()),
        "operating": float(lay.operating[opened & ix.existing].sum()),
    }
    exp_total = 0.0
    for k in lay.expandable:
        v = float(lay.unit_cost[k] * added[:, k].sum())
        costs[f"expansion_{ix.resources[k]}"] = v
        exp_total += v
    costs["expansion"] = exp_total
    costs["total"] = costs["opening"] + costs["operating"] + exp_total
    return costs


def solve_capacitated(
    ix: Indexed,
    problem: AllocationProblem,
    options: OptimizeOptions,
    groups: np.ndarray | None = None,
) -> Allocation:
    from geoalloc.optimize.capacitated_scale import (
        reduction_applies,
        solve_capacitated_at_scale,
    )

    if reduction_applies(ix, options, groups):
        return solve_capacitated_at_scale(ix, problem, options, groups)
    started = time.perf_counter()
    lm, lay = build_capacitated(ix, problem, options, groups)
    return solve_built(ix, problem, options, groups, lm, lay, time.perf_counter() - started)


def solve_built(
    ix: Indexed,
    problem: AllocationProblem,
    options: OptimizeOptions,
    groups: np.ndarray | None,
    lm: LinearModel,
    lay: Layout,
    build_s: float,
) -> Allocation:
    """Solve the capacitated model ``lm`` of ``ix`` (:func:`build_capacitated`'s, or one equal
    to it) for ``options``' objective and decode its plan.

    ``build_s``: the seconds the model took to make, reported in the outcome.

    Raises
    ------
    InfeasibleError
        No plan exists (with the reasons :func:`diagnose` finds).
    SolverError
        No solution within the time limit.
    """
    log.info(
        "capacitated model: %d columns, %d rows, %d non-zeros, built in %.2f s",
        lm.n_cols,
        lm.n_rows,
        lm.A.nnz,
        build_s,
    )
    lexicographic = options.objective == "lexicographic"
    if lexicographic:
        raw, levels = solve_lexicographic(lm, list(lay.goals), options)
    else:
        raw, levels = solve_with_options(lm, options), []
    if raw.proven_infeasible:
        raise InfeasibleError(diagnose(ix, problem, options, groups, lay))
    if raw.x is None:
        msg = (
            f"capacitated model: no solution within {options.time_limit_s:g} s (solver said "
            f"{raw.solver_label!r}) — raise time_limit_s or loosen mip_gap"
        )
        raise SolverError(msg)
    return capacitated_allocation(ix, options, lm, lay, raw, levels, build_s)


def capacitated_allocation(
    ix: Indexed,
    options: OptimizeOptions,
    lm: LinearModel,
    lay: Layout,
    raw: RawSolution,
    levels: list,
    build_s: float,
) -> Allocation:
    """The :class:`Allocation` of a solution ``raw.x`` of ``lm`` (built by
    :func:`build_capacitated`, possibly extended with more columns and rows: only its blocks are
    read), with the lexicographic ``levels`` it reached (empty with the weighted objective)."""
    if raw.x is None:  # pragma: no cover - the callers pass solutions only
        raise SolverError("capacitated model: no solution to decode")
    lexicographic = options.objective == "lexicographic"
    opened, added, after, assignments, load, unmet = decode_solution(ix, lm, lay, raw.x)
    notes = [f"capacitated model: {lm.n_cols} columns, {lm.n_rows} rows, {lm.A.nnz} non-zeros"]
    short = unmet.sum()
    for r, v in short.items():
        if v > 1e-6:
            because = (
                "the least any plan within the standard leaves"
                if lexicographic
                else f"penalty {options.unmet_penalty_minutes:g} minutes per unit"
            )
            notes.append(f"{v:.6g} units of {r} unmet ({because})")
    marginal = why = None
    if options.explain:
        marginal = marginal_values(ix, lm, lay, raw.x)
        why = why_table(ix, opened, assignments, options)
    records = [level.record() for level in levels] if lexicographic else None
    return Allocation(
        model="capacitated",
        outcome=solved_outcome(raw, levels, options, build_s),
        objective_detail=objective_detail(options, ix.resources, records),
        sites=capacitated_sites(ix, lay, opened, after, load, added),
        assignments=assignments,
        unmet=unmet,
        notes=tuple(notes),
        marginal_value=marginal,
        why=why,
        costs=plan_costs(ix, lay, opened, added),
    )


def capacitated_sites(
    ix: Indexed,
    lay: Layout,
    opened: np.ndarray,
    after: np.ndarray,
    load: np.ndarray,
    added: np.ndarray,
) -> pd.DataFrame:
    """The sites table of a decoded plan (:func:`decode_solution`): the columns of
    :func:`~geoalloc.optimize._result.site_table` and ``<resource>_added`` for each resource the
    model expands."""
    table = site_table(ix, opened, after, load)
    for k in lay.expandable:
        table[f"{ix.resources[k]}_added"] = added[:, k]
    return table


def objective_detail(
    options: OptimizeOptions, resources: list[str], levels: list[dict] | None
) -> dict:
    """The ``objective_detail`` of a capacitated plan: the lexicographic ``levels`` (their
    records) when given, else the weighted objective's terms."""
    if levels is not None:
        return {"kind": "lexicographic", "levels": levels}
    return weighted_detail(options, resources)


def solved_outcome(
    raw: RawSolution, levels: list, options: OptimizeOptions, build_s: float
) -> SolveOutcome:
    """The outcome of a solve of the capacitated model: :func:`lexicographic_outcome` with the
    lexicographic objective (``levels`` as
    :func:`~geoalloc.optimize.lexicographic.solve_lexicographic` returned them), else the
    solver's own."""
    if options.objective == "lexicographic":
        return lexicographic_outcome(raw, levels, options, build_s)
    return SolveOutcome.from_solution(raw, options, build_s)


def lexicographic_outcome(
    raw: RawSolution, levels: list, options: OptimizeOptions, build_s: float
) -> SolveOutcome:
    """The outcome of a lexicographic solve: objective and bound are the travel level's (the
    last), gap and status the worst level's — the plan is ``optimal`` only when every level is
    proven within ``mip_gap``."""
    travel = next(level for level in levels if level.goal.key == "travel")
    gap = combined_gap(levels)
    return SolveOutcome(
        status=status_from_gap(gap, options.mip_gap),
        objective=travel.value,
        bound=travel.bound if travel.status != "skipped" else travel.value,
        gap=gap,
        solver=options.solver,
        build_s=build_s,
        solve_s=raw.solve_s,
    )


# ----------------------------------------------------------------------- infeasibility reasons


def diagnose(
    ix: Indexed, problem: AllocationProblem, options: OptimizeOptions, groups, lay: Layout
) -> list[str]:
    """Why the capacitated model has no solution: cheap checks, then an elastic re-solve."""
    reasons: list[str] = []
    R = len(ix.resources)
    fixed_open = ix.existing & (not may_close(options))
    max_after = ix.capacity + lay.e_ub * lay.module
    for c in options.couplings:
        a = ix.resources.index(c.resource)
        b = ix.resources.index(c.per)
        if c.max_ratio is not None:
            bad = fixed_open & (ix.capacity[:, a] > c.max_ratio * max_after[:, b] + 1e-9)
            if bad.any():
                reasons.append(
                    f"coupling {c.resource} ≤ {c.max_ratio:g} × {c.per} cannot hold at "
                    f"sites that must stay open: {format_ids(ix.sites[bad])}"
                )
        if c.min_ratio is not None:
            bad = fixed_open & (max_after[:, a] + 1e-9 < c.min_ratio * ix.capacity[:, b])
            if bad.any():
                reasons.append(
                    f"coupling {c.resource} ≥ {c.min_ratio:g} × {c.per} cannot hold at "
                    f"sites that must stay open: {format_ids(ix.sites[bad])}"
                )
    if not options.allow_unmet:
        reach = np.bincount(ix.pair_area, minlength=ix.n) > 0
        lost = (~reach) & (ix.demand.sum(axis=1) > 0)
        if lost.any():
            reasons.append(
                f"{int(lost.sum())} area(s) with demand have no site within "
                f"{options.max_minutes} minutes: {format_ids(ix.areas[lost])}"
            )
        for k in range(R):
            d, cap = ix.demand[:, k].sum(), max_after[:, k].sum()
            if d > cap + 1e-9:
                reasons.append(
                    f"total {ix.resources[k]} capacity (even fully expanded) is {cap:.6g}, "
                    f"short of demand {d:.6g} by {d - cap:.6g}"
                )
    if groups is not None and options.coverage_floor is not None:
        reach = np.zeros(ix.n, dtype=bool)
        reach[ix.pair_area] = True
        dem = ix.demand.sum(axis=1)
        n_groups = int(groups.max()) + 1
        tot = np.bincount(groups, weights=dem, minlength=n_groups)
        within = np.bincount(groups, weights=dem * reach, minlength=n_groups)
        labels = (
            list(pd.factorize(problem.groups.reindex(ix.areas), sort=True)[1])
            if problem.groups is not None
            else list(range(n_groups))
        )
        for g in range(n_groups):
            if tot[g] > 0 and within[g] / tot[g] + 1e-9 < options.coverage_floor:
                reasons.append(
                    f"equity group {labels[g]!r}: only {within[g] / tot[g]:.1%} of its demand "
                    f"has any site within the standard, below the floor "
                    f"{options.coverage_floor:.1%}"
                )
    if reasons:
        return reasons
    # elastic re-solve: allow unmet demand, drop the floor; see what stays unserved, what binds
    elastic = options.model_copy(
        update={"allow_unmet": True, "coverage_floor": None, "explain": False}
    )
    try:
        lm, lay2 = build_capacitated(ix, problem, elastic, None)
        raw = solve_linear(
            lm,
            solver=elastic.solver,
            time_limit_s=min(60.0, elastic.time_limit_s),
            mip_gap=0.01,
            hard_limit_s=min(90.0, elastic.hard_limit_s),
        )
    except (InfeasibleError, SolverError):
        raw = None
    if raw is None or raw.x is None:
        return [
            "the model is infeasible and an elastic re-solve (unmet demand allowed) found "
            "no plan either"
        ]
    opened, added, _after, _a, _l, unmet = decode_solution(ix, lm, lay2, raw.x)
    for r, v in unmet.sum().items():
        if v > 1e-6:
            areas = unmet.index[unmet[r] > 1e-6]
            reasons.append(
                f"{v:.6g} units of {r} cannot be served within the standard with the "
                f"capacity and budget given (areas: {format_ids(areas)})"
            )
    if options.budget is not None:
        spent = plan_costs(ix, lay2, opened, added)
        invest = spent["opening"] + spent["expansion"]
        if invest >= options.budget * (1 - 1e-6):
            reasons.append(
                f"the budget {options.budget:g} binds: the best plan with unmet demand "
                "allowed spends all of it"
            )
    if options.coverage_floor is not None and groups is not None:
        reasons.append(
            f"the coverage floor {options.coverage_floor:.1%} cannot be met for every group "
            "with this capacity and budget"
        )
    return reasons or [
        "the model is infeasible (no single constraint family explains it; try allow_unmet = true)"
    ]


# ------------------------------------------------------------------------------- explain


def marginal_values(ix: Indexed, lm: LinearModel, lay: Layout, xval: np.ndarray) -> pd.DataFrame:
    """Minutes saved per extra unit of capacity at each open site: LP duals with integers fixed."""
    lo, hi = lm.col_lo.copy(), lm.col_hi.copy()
    ints = np.flatnonzero(lm.integer)
    fixed = np.round(xval[ints])
    lo[ints], hi[ints] = fixed, fixed
    fixed_lm = LinearModel(
        lm.c,
        lo,
        hi,
        np.zeros_like(lm.integer),
        lm.A,
        lm.row_lo,
        lm.row_hi,
        lm.blocks,
        lm.row_blocks,
        lm.offset,
    )
    raw = lp_duals(fixed_lm)
    R = len(ix.resources)
    if raw.row_duals is None:
        return pd.DataFrame(np.nan, index=ix.sites, columns=ix.resources)
    duals = raw.row_duals[lm.row_blocks["capacity"]].reshape(ix.m, R)
    opened = xval[lm.blocks["y"]] > 0.5
    value = np.where(opened[:, None], np.maximum(0.0, -duals), np.nan)
    out = pd.DataFrame(value, index=ix.sites, columns=ix.resources)
    out.index.name = "site"
    return out


def why_table(
    ix: Indexed, opened: np.ndarray, assignments: pd.DataFrame, options: OptimizeOptions
) -> pd.DataFrame:
    """Per open site: units served, areas, mean minutes, and minutes saved vs the next-best site."""
    penalty = options.unmet_penalty_minutes
    # best and second-best open site per area (within the pairs)
    sel = opened[ix.pair_site]
    a, s, t = ix.pair_area[sel], ix.pair_site[sel], ix.minutes[sel]
    order = np.lexsort((s, t, a))
    a, s, t = a[order], s[order], t[order]
    starts = np.searchsorted(a, np.arange(ix.n))
    rank = np.arange(len(a)) - starts[a]
    best_s = np.full(ix.n, -1)
    best_t = np.full(ix.n, penalty)
    second_t = np.full(ix.n, penalty)
    f = rank == 0
    best_s[a[f]], best_t[a[f]] = s[f], t[f]
    f = rank == 1
    second_t[a[f]] = t[f]
    if assignments.empty:
        return pd.DataFrame(
            columns=["served", "areas", "mean_minutes", "minutes_saved"], index=ix.sites[opened]
        )
    ai = ix.areas.get_indexer(assignments["area"])
    si = ix.sites.get_indexer(assignments["site"])
    nxt = np.where(best_s[ai] == si, second_t[ai], best_t[ai])
    q = assignments["quantity"].to_numpy()
    tm = assignments["minutes"].to_numpy()
    df = pd.DataFrame(
        {
            "site": assignments["site"],
            "area": assignments["area"],
            "q": q,
            "qt": q * tm,
            "saved": q * (np.minimum(nxt, penalty) - tm),
        }
    )
    g = df.groupby("site")
    out = pd.DataFrame(
        {
            "served": g["q"].sum(),
            "areas": g["area"].nunique(),
            "mean_minutes": g["qt"].sum() / g["q"].sum().where(g["q"].sum() > 0),
            "minutes_saved": g["saved"].sum(),
        }
    ).reindex(ix.sites[opened])
    out[["served", "areas", "minutes_saved"]] = out[["served", "areas", "minutes_saved"]].fillna(
        0.0
    )
    out.index.name = "site"
    return out
