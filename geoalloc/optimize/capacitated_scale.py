"""The capacitated model at state scale: nearest-site lists, a Lagrangian bound, LP plans.

The full model (:mod:`geoalloc.optimize.capacitated`) has one column per (pair, resource): 10⁸
pairs × 3 resources at state scale, far beyond what HiGHS loads. Here each area keeps its
:data:`LIST_WIDTH` nearest sites and a catch-all priced at the minutes of the nearest site left
out (or the unmet penalty): with the weighted objective every full plan maps to a reduced one
that costs no more, so a lower bound of the reduced problem bounds the full optimum. The bound is
the Lagrangian relaxation of the assignment rows (:mod:`geoalloc.optimize.capacitated_lagrange`,
one continuous knapsack per site and resource); the plans are full-model plans — a p-median
incumbent's sites, the relaxation's site choices averaged over its later steps and rounded to the
``p`` largest, and its last choice, each assigned by transportation LPs over the listed pairs —
priced exactly. The gap between the two is the certificate.

Used when the objective is ``weighted`` and the full model would have more than
:data:`SCALE_COLUMNS` assignment columns, and only without a coverage floor, a minimax term,
priority weights (each would make the catch-all price no longer a relaxation), single-source
assignment, expansion, budgets or couplings (not in the relaxation yet); otherwise the full model
is built as before.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from geoalloc.optimize._prepare import Indexed, may_close, site_values
from geoalloc.optimize.linear import relative_gap, status_from_gap
from geoalloc.optimize.nearest import nearest_lists
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import Allocation, AllocationProblem, SolveOutcome

log = logging.getLogger(__name__)

#: assignment columns of the full model above which the reduction is used
SCALE_COLUMNS = 5_000_000
#: nearest sites listed per area (the most any area can keep)
LIST_WIDTH = 64
#: share of the relaxation's time between two pricings of its averaged site choice (each a plan,
#: and a lower target for the steps); the bound settles early, so the plans priced decide the gap
CHECK_SHARE = 0.1


def reduction_applies(ix: Indexed, options: OptimizeOptions, groups) -> bool:
    """Whether :func:`solve_capacitated_at_scale` is used (see the module's notes)."""
    columns = len(ix.pair_area) * (1 if options.single_source else len(ix.resources))
    return (
        columns > SCALE_COLUMNS
        and options.objective == "weighted"
        and options.minutes_weight > 0
        and options.minimax_weight == 0
        and (groups is None or options.coverage_floor is None)
        and ix.priority is None
        and options.allow_unmet
        and not options.single_source
        and not options.cost_per_unit
        and options.budget is None
        and not options.couplings
    )


def _pmedian_sites(ix: Indexed, lists, options: OptimizeOptions, p: int) -> np.ndarray:
    """A p-median incumbent weighted by the summed demand: the first set of sites tried."""
    from geoalloc.optimize.pmedian_sparse import greedy_interchange_lists

    return greedy_interchange_lists(
        lists,
        ix.demand.sum(axis=1),
        min(p, ix.m),
        ix.m,
        deadline=time.monotonic() + 0.1 * options.time_limit_s,
    )


def rounded_sites(shares: np.ndarray, p: int | None, fixed: np.ndarray) -> np.ndarray:
    """Open sites from the relaxation's averaged site shares: the sites that must stay open and
    the free ones with the largest shares (``p`` in all; without ``p``, those above one half)."""
    opened = fixed.copy()
    free = np.flatnonzero(~fixed)
    if p is None:
        opened[free[shares[free] > 0.5]] = True
    elif p > fixed.sum():
        k = int(p - fixed.sum())
        opened[free[np.argsort(-shares[free], kind="stable")[:k]]] = True
    return opened


def _as_masks(sets: list[np.ndarray], m: int) -> list[np.ndarray]:
    """Site positions as (m,) open/closed masks."""
    out = []
    for S in sets:
        mask = np.zeros(m, dtype=bool)
        mask[S] = True
        out.append(mask)
    return out


def solve_capacitated_at_scale(
    ix: Indexed,
    problem: AllocationProblem,
    options: OptimizeOptions,
    groups: np.ndarray | None = None,
) -> Allocation:
    """The capacitated model by the relaxation of the module's notes (weighted objective)."""
    import pandas as pd

    from geoalloc.optimize._result import site_table
    from geoalloc.optimize.capacitated_lagrange import (
        CapacitatedLists,
        lagrangian,
        transport_plan,
    )
    from geoalloc.optimize.objective import weighted_detail
    from geoalloc.optimize.pmedian_sparse import _first_two

    started = time.perf_counter()
    deadline = time.monotonic() + options.time_limit_s
    cutoff = options.unmet_penalty_minutes / options.minutes_weight
    lists = nearest_lists(ix, LIST_WIDTH, cutoff)
    opening = site_values(ix, problem.opening_cost, "opening cost")
    operating = site_values(ix, problem.operating_cost, "operating cost")
    site_cost = options.cost_weight * np.where(ix.existing, operating, opening)
    fixed = ix.existing & (not may_close(options))
    p = options.p
    C = CapacitatedLists(
        lists,
        ix.demand,
        ix.capacity,
        site_cost,
        options.minutes_weight,
        options.unmet_penalty_minutes,
    )
    S0 = _pmedian_sites(ix, lists, options, p if p is not None else max(1, int(fixed.sum())))
    if p is None:
        S0 = np.union1d(S0, np.flatnonzero(fixed))
    in_s = np.zeros(ix.m, dtype=bool)
    in_s[S0] = True
    t_plan = time.perf_counter()
    ub, plan, _duals = transport_plan(C, in_s, options)
    plan_s = time.perf_counter() - t_plan
    log.info("capacitated at scale: the first site set priced at %.8g in %.1f s", ub, plan_s)
    best_open = in_s
    # start from each unit priced at its second-nearest open site (the plan's duals start far
    # lower: they price areas short of capacity at the penalty everywhere)
    _, b2, _ = _first_two(lists, in_s, cutoff)
    lam0 = ix.demand * (options.minutes_weight * b2)[:, None]
    t_lr = time.perf_counter()
    budget = max(1.0, (deadline - time.monotonic()) - 1.5 * plan_s)
    tried = 1
    priced = {best_open.tobytes()}

    def price(cand: np.ndarray) -> float:
        """Assign ``cand`` (once) and keep its plan if it is the best; the best objective."""
        nonlocal ub, plan, best_open, tried
        if cand.tobytes() not in priced:
            priced.add(cand.tobytes())
            value, cand_plan, _ = transport_plan(C, cand, options)
            tried += 1
            log.info(
                "capacitated at scale: site set %d priced at %.8g (best %.8g)",
                tried,
                value,
                min(value, ub),
            )
            if value < ub:
                ub, plan, best_open = value, cand_plan, cand
        return ub

    lb, _lam, sets, shares = lagrangian(
        C,
        p,
        fixed,
        upper=ub,
        lam=lam0,
        deadline=time.monotonic() + budget,
        target_gap=options.mip_gap,
        check=lambda shares: price(rounded_sites(shares, p, fixed)),
        check_every_s=max(CHECK_SHARE * budget, 2 * plan_s),
    )
    lr_s = time.perf_counter() - t_lr
    # the relaxation's averaged site choice rounded (its p largest shares), then its last choice
    for k, cand in enumerate([rounded_sites(shares, p, fixed), *_as_masks(sets[-1:], ix.m)]):
        now_gap = relative_gap(ub, lb)
        if now_gap is not None and now_gap <= options.mip_gap:
            break
        if k > 0 and deadline - time.monotonic() < plan_s:
            break
        price(cand)
    gap = relative_gap(ub, lb)
    log.info("capacitated at scale: plan %.8g, bound %.8g, gap %s", ub, lb, gap)
    R = len(ix.resources)
    load = np.zeros((ix.m, R))
    served = np.zeros((ix.n, R))
    frames = []
    for r, (e, share) in enumerate(plan):
        q = ix.demand[C.row[e], r] * share
        np.add.at(load, (C.site[e], r), q)
        np.add.at(served, (C.row[e], r), q)
        frames.append(
            pd.DataFrame(
                {
                    "area": ix.areas[C.row[e]],
                    "site": ix.sites[C.site[e]],
                    "resource": ix.resources[r],
                    "quantity": q,
                    "minutes": C.t[e],
                }
            )
        )
    assignments = pd.concat(frames, ignore_index=True)
    unmet_arr = np.maximum(ix.demand - served, 0.0)
    unmet_arr[unmet_arr < 1e-9] = 0.0
    unmet = pd.DataFrame(unmet_arr, index=ix.areas, columns=ix.resources)
    unmet.index.name = "area"
    after = np.where(best_open[:, None], ix.capacity, 0.0)
    outcome = SolveOutcome(
        status=status_from_gap(gap, options.mip_gap),
        objective=ub,
        bound=lb,
        gap=gap,
        solver=options.solver,
        build_s=time.perf_counter() - started - lr_s,
        solve_s=lr_s,
    )
    notes = [
        f"capacitated model at scale: each area's {lists.width} nearest sites and a catch-all at "
        f"the next site's minutes; Lagrangian bound in {lr_s:.1f} s; {tried} site set(s) "
        "assigned by transportation LPs"
    ]
    for r, v in unmet.sum().items():
        if v > 1e-6:
            notes.append(
                f"{v:.6g} units of {r} unmet (penalty {options.unmet_penalty_minutes:g} minutes "
                "per unit)"
            )
    opening_total = float(opening[best_open & ~ix.existing].sum())
    operating_total = float(operating[best_open & ix.existing].sum())
    return Allocation(
        model="capacitated",
        outcome=outcome,
        objective_detail=weighted_detail(options, ix.resources),
        sites=site_table(ix, best_open, after, load),
        assignments=assignments,
        unmet=unmet,
        notes=tuple(notes),
        costs={
            "opening": opening_total,
            "operating": operating_total,
            "expansion": 0.0,
            "total": opening_total + operating_total,
        },
    )
