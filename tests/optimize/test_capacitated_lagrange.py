"""The capacitated Lagrangian bound on a case small enough to check by hand.

Two areas, two candidate sites, one resource, exactly one site open (p = 1), unmet demand at 100
minutes per unit:

    area 1: 10 units, 1 minute to A, 5 to B        site A: 15 units
    area 2: 10 units, 4 minutes to A, 2 to B       site B: 20 units

Open B: both areas served, 10·5 + 10·2 = 70. Open A: area 1 served (10), 5 units of area 2 at 4
minutes (20) and 5 unmet (500) = 530. The optimum is 70.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy.optimize import linprog

from geoalloc.optimize.capacitated_lagrange import (
    CapacitatedLists,
    _knapsacks,
    _relaxation,
    _stable_argsort,
    lagrangian,
    transport_plan,
)
from geoalloc.optimize.capacitated_scale import rounded_sites
from geoalloc.optimize.nearest import NearestLists
from geoalloc.optimize.options import OptimizeOptions

OPTIMUM = 70.0
PENALTY = 100.0
DEMAND = np.array([[10.0], [10.0]])
CAPACITY = np.array([[15.0], [20.0]])
MINUTES = np.array([[1.0, 5.0], [4.0, 2.0]])  # area × site


def _lists(width: int) -> NearestLists:
    order = np.argsort(MINUTES, axis=1, kind="stable")
    site = order[:, :width].astype(np.int32)
    minutes = np.take_along_axis(MINUTES, order, axis=1)
    beyond = minutes[:, width] if width < 2 else np.full(2, PENALTY)
    return NearestLists(
        site=site,
        minutes=minutes[:, :width],
        degree=np.array([2, 2]),
        beyond=beyond,
        penalty=PENALTY,
        indptr=np.array([0, 2, 4]),
    )


def _lists_model(width: int) -> CapacitatedLists:
    return CapacitatedLists(_lists(width), DEMAND, CAPACITY, np.zeros(2), 1.0, PENALTY)


def _lp_bound() -> float:
    """The LP relaxation with x ≤ y (the best bound the Lagrangian can reach), by HiGHS.

    Columns: x1A x1B x2A x2B u1 u2 yA yB."""
    c = [10 * 1, 10 * 5, 10 * 4, 10 * 2, 10 * PENALTY, 10 * PENALTY, 0, 0]
    A_eq = [
        [1, 1, 0, 0, 1, 0, 0, 0],
        [0, 0, 1, 1, 0, 1, 0, 0],
        [0, 0, 0, 0, 0, 0, 1, 1],
    ]
    A_ub = [
        [10, 0, 10, 0, 0, 0, -15, 0],
        [0, 10, 0, 10, 0, 0, 0, -20],
        [1, 0, 0, 0, 0, 0, -1, 0],
        [0, 1, 0, 0, 0, 0, 0, -1],
        [0, 0, 1, 0, 0, 0, -1, 0],
        [0, 0, 0, 1, 0, 0, 0, -1],
    ]
    res = linprog(c, A_ub=A_ub, b_ub=[0] * 6, A_eq=A_eq, b_eq=[1, 1, 1], bounds=(0, 1))
    assert res.status == 0
    return float(res.fun)


@pytest.mark.parametrize("width", [2, 1])
def test_the_bound_holds_and_reaches_the_lp_value(width):
    C = _lists_model(width)
    lam = DEMAND * np.array([[5.0], [4.0]])  # each unit at its second-nearest site
    lp = _lp_bound()
    assert lp <= OPTIMUM + 1e-9
    for scaled in (True, False):
        bound, _, sets, shares = lagrangian(
            C, 1, np.zeros(2, dtype=bool), upper=530.0, lam=lam, scaled=scaled
        )
        # a lower bound of the full problem whatever the list width (the catch-all)
        assert bound <= OPTIMUM + 1e-6
        if width == 2:  # nothing cut off: the Lagrangian dual is the LP relaxation
            assert bound <= lp + 1e-6
            assert bound >= lp - 0.01 * OPTIMUM
        assert shares.shape == (2,)
        assert 0.0 <= shares.min() and shares.max() <= 1.0
        assert sets and all(len(S) == 1 for S in sets)


def test_transport_plans_price_both_sets_by_hand():
    C = _lists_model(2)
    options = OptimizeOptions(
        model="capacitated", p=1, objective="weighted", unmet_penalty_minutes=PENALTY
    )
    value_b, plan_b, _ = transport_plan(C, np.array([False, True]), options)
    value_a, _, _ = transport_plan(C, np.array([True, False]), options)
    assert value_b == pytest.approx(OPTIMUM)
    assert value_a == pytest.approx(530.0)
    (entries, share) = plan_b[0]
    assert share.sum() == pytest.approx(2.0)  # both areas wholly served from B
    assert (C.site[entries] == 1).all()


def test_the_averaged_choice_rounds_to_the_optimum():
    C = _lists_model(2)
    lam = DEMAND * np.array([[5.0], [4.0]])
    _, _, _, shares = lagrangian(
        C, 1, np.zeros(2, dtype=bool), upper=530.0, lam=lam, deadline=time.monotonic() + 5
    )
    opened = rounded_sites(shares, 1, np.zeros(2, dtype=bool))
    assert opened.tolist() == [False, True]


def test_rounded_sites_keeps_the_fixed_ones():
    shares = np.array([0.1, 0.9, 0.6, 0.4, 0.55])
    fixed = np.array([True, False, False, False, False])
    assert rounded_sites(shares, 3, fixed).tolist() == [True, True, True, False, False]
    assert rounded_sites(shares, 1, fixed).tolist() == [True, False, False, False, False]
    assert rounded_sites(shares, None, fixed).tolist() == [True, True, True, False, True]


def test_pricing_the_averaged_choice_during_the_steps_keeps_the_bound():
    C = _lists_model(2)
    lam = DEMAND * np.array([[5.0], [4.0]])
    seen: list[np.ndarray] = []

    def check(shares: np.ndarray) -> float:
        seen.append(shares)
        opened = rounded_sites(shares, 1, np.zeros(2, dtype=bool))
        options = OptimizeOptions(
            model="capacitated", p=1, objective="weighted", unmet_penalty_minutes=PENALTY
        )
        return transport_plan(C, opened, options)[0]

    bound, _, _, _ = lagrangian(
        C, 1, np.zeros(2, dtype=bool), upper=530.0, lam=lam, check=check, check_every_s=0.0
    )
    assert seen  # called, with shares of every site
    assert all(s.shape == (2,) for s in seen)
    assert bound <= OPTIMUM + 1e-6
    assert bound >= _lp_bound() - 0.01 * OPTIMUM


@pytest.mark.parametrize("levels", [1, 3, 40, 10**9])
def test_the_fast_sort_orders_exactly_as_the_stable_one(levels):
    rng = np.random.default_rng(levels)
    for n in (0, 1, 2, 17, 5_000):
        q = rng.integers(0, levels, n) * 0.37 - 1.0
        assert np.array_equal(_stable_argsort(q), np.argsort(q, kind="stable"))


def _padded_lists(site: np.ndarray, minutes: np.ndarray) -> NearestLists:
    """Each area's listed sites (−1 pads a short list) and minutes; the next site at 40."""
    n = len(site)
    return NearestLists(
        site=site,
        minutes=minutes,
        degree=(site >= 0).sum(axis=1),
        beyond=np.full(n, 40.0),
        penalty=PENALTY,
        indptr=np.zeros(n + 1, dtype=np.int64),
    )


def test_the_prefix_knapsacks_match_the_sweep_over_all_entries():
    """Lists of uneven length (padded), tied minutes and areas without demand: counting each
    area's prefix of negative reduced costs gives the same bound and subgradient, bit for bit."""
    rng = np.random.default_rng(3)
    n, m, width, R = 300, 40, 8, 2
    minutes = np.full((n, width), np.inf)
    site = np.full((n, width), -1, dtype=np.int32)
    for i in range(n):
        k = int(rng.integers(1, width + 1))
        site[i, :k] = rng.choice(m, k, replace=False)
        minutes[i, :k] = np.sort(rng.integers(1, 30, k).astype(float))
    lists = _padded_lists(site, minutes)
    demand = rng.integers(0, 5, (n, R)).astype(float)
    capacity = rng.uniform(5, 30, (m, R))
    fast = CapacitatedLists(lists, demand, capacity, np.ones(m), 1.0, PENALTY)
    sweep = CapacitatedLists(lists, demand, capacity, np.ones(m), 1.0, PENALTY)
    sweep.prefix = False
    assert fast.prefix
    catch = demand * fast.price[:, None]
    fixed = np.zeros(m, dtype=bool)
    for scale in (5.0, 15.0, 35.0):
        lam = demand * rng.integers(0, 2 * int(scale), (n, R))
        a, b = (_relaxation(C, lam, 10, fixed, catch) for C in (fast, sweep))
        assert a[0] == b[0]
        assert np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])


def test_each_site_knapsack_is_its_lp_optimum():
    """Sites their entries overfill (sorted and cut at capacity) and sites they fit (all taken,
    unsorted): each site's value and shares are the optimum of its own LP, by HiGHS."""
    rng = np.random.default_rng(11)
    n, m, width = 120, 12, 4
    site = np.stack([rng.choice(m, width, replace=False) for _ in range(n)]).astype(np.int32)
    minutes = np.sort(rng.uniform(1, 30, (n, width)), axis=1)
    lists = _padded_lists(site, minutes)
    demand = rng.integers(1, 6, (n, 1)).astype(float)
    capacity = np.where(rng.random((m, 1)) < 0.5, rng.uniform(2, 40, (m, 1)), 400.0)
    C = CapacitatedLists(lists, demand, capacity, np.zeros(m), 1.0, PENALTY)
    lam = demand * rng.uniform(5, 25, (n, 1))
    value, take, share = _knapsacks(C, lam, 0)
    a = C.entry_cost[0] - lam[C.row, 0]
    d = C.entry_demand[0]
    x = np.zeros(len(C.site))  # every entry's share
    x[take] = share
    full, cut = 0, 0
    for j in range(m):
        mine = np.flatnonzero(C.site == j)
        res = linprog(a[mine], A_ub=[d[mine]], b_ub=[capacity[j, 0]], bounds=(0, 1))
        assert res.status == 0
        assert value[j] == pytest.approx(res.fun, rel=1e-9, abs=1e-9)
        assert float(a[mine] @ x[mine]) == pytest.approx(res.fun, rel=1e-9, abs=1e-9)
        assert float(d[mine] @ x[mine]) <= capacity[j, 0] + 1e-9
        negative = mine[a[mine] < 0]
        if d[negative].sum() > capacity[j, 0]:
            cut += 1
        else:
            full += 1
            assert np.all(x[negative] == 1.0)
    assert full >= 2 and cut >= 2  # both kinds of site are checked
