"""The queue simulation counts busy beds instead of stepping through every arrival: the same figures.

The reference is the event loop the queue check used before (a heap of the times beds fall free,
one step per arrival, LOS drawn by scipy); every run must give the same floats from the same seed.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest

from geoalloc.demand.los import LosFit
from geoalloc.demand.queue import _arrivals, _full_at, simulate_loss, simulate_queue

EXPONENTIAL_5 = LosFit.assumed(5.0)
LOGNORMAL_5 = LosFit("lognormal", {"mu": math.log(5.0) - 0.5 * 0.8**2, "sigma": 0.8})
GAMMA = LosFit("gamma", {"shape": 0.7, "scale_days": 4.0})
WEIBULL = LosFit("weibull", {"shape": 1.4, "scale_days": 3.0})


def reference_loss(arrivals_per_day, servers, los, *, rng, days, warmup_days):
    end = warmup_days + days
    t = _arrivals(rng, arrivals_per_day, end)
    s = np.asarray(los.frozen.rvs(size=len(t), random_state=rng)) if len(t) else np.empty(0)
    accepted = np.zeros(len(t), dtype=bool)
    busy: list[float] = []
    for i, (ti, si) in enumerate(zip(t.tolist(), s.tolist(), strict=True)):
        while busy and busy[0] <= ti:
            heapq.heappop(busy)
        if len(busy) < servers:
            heapq.heappush(busy, ti + si)
            accepted[i] = True
    counted = t >= warmup_days
    n = int(counted.sum())
    blocked = float((~accepted & counted).sum() / n) if n else math.nan
    occ_time = np.clip(np.minimum(t + s, end) - np.maximum(t, warmup_days), 0.0, None)[
        accepted
    ].sum()
    occupancy = float(occ_time / (days * servers)) if servers else math.nan
    return blocked, occupancy


def reference_queue(arrivals_per_day, servers, los, *, rng, days, warmup_days):
    end = warmup_days + days
    t = _arrivals(rng, arrivals_per_day, end)
    s = np.asarray(los.frozen.rvs(size=len(t), random_state=rng)) if len(t) else np.empty(0)
    free = [0.0] * servers
    waits = np.empty(len(t))
    for i, (ti, si) in enumerate(zip(t.tolist(), s.tolist(), strict=True)):
        f = heapq.heappop(free)
        start = ti if ti > f else f
        waits[i] = start - ti
        heapq.heappush(free, start + si)
    counted = waits[t >= warmup_days]
    if not counted.size:
        return math.nan, math.nan
    return float(counted.mean()), float((counted > 0).mean())


def _same(a: tuple, b: tuple) -> bool:
    return all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b, strict=True))


def _runs_agree(fast, reference, los, load_erlangs, servers, seed, days=300.0, runs=3):
    """``runs`` consecutive runs from one generator each, as the queue check draws them."""
    rate = load_erlangs / los.mean_days
    warm = 10 * los.mean_days
    ours, theirs = np.random.default_rng([seed, 7]), np.random.default_rng([seed, 7])
    for _ in range(runs):
        a = fast(rate, servers, los, rng=ours, days=days, warmup_days=warm)
        b = reference(rate, servers, los, rng=theirs, days=days, warmup_days=warm)
        assert _same(a, b), (a, b)
    assert ours.random() == theirs.random()  # the same draws were taken


# (offered load in Erlangs, beds): one bed, light loads, loads near and past the bed count, a
# bed count far above the load (the Chicago plan's sites), the published 5 % point of
# Erlang-B (6.216 Erlangs on 10 beds), and no arrivals at all
CASES = [
    (0.5, 1),
    (2.0, 1),
    (3.0, 8),
    (6.216, 10),
    (9.5, 10),
    (30.0, 10),
    (85.0, 100),
    (120.0, 785),
    (0.0, 4),
]


@pytest.mark.parametrize(("load", "servers"), CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loss_runs_equal_the_event_loop(load, servers, seed):
    _runs_agree(simulate_loss, reference_loss, EXPONENTIAL_5, load, servers, seed)


@pytest.mark.parametrize(("load", "servers"), CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_queue_runs_equal_the_event_loop(load, servers, seed):
    # past the bed count the queue grows without bound; the waits must still match
    _runs_agree(simulate_queue, reference_queue, EXPONENTIAL_5, load, servers, seed)


@pytest.mark.parametrize("los", [LOGNORMAL_5, GAMMA, WEIBULL], ids=lambda f: f.distribution)
@pytest.mark.parametrize(("load", "servers"), [(4.0, 5), (20.0, 24), (12.0, 6)])
def test_every_los_distribution_gives_the_same_runs(los, load, servers):
    _runs_agree(simulate_loss, reference_loss, los, load, servers, seed=3, days=200.0)
    _runs_agree(simulate_queue, reference_queue, los, load, servers, seed=3, days=200.0)


def test_runs_at_the_arrival_cap_and_long_horizons_agree():
    # a long run with heavy blocking: many arrivals settled one by one
    _runs_agree(simulate_loss, reference_loss, LOGNORMAL_5, 6.216, 9, seed=11, days=3000, runs=2)
    _runs_agree(simulate_queue, reference_queue, EXPONENTIAL_5, 8.5, 10, seed=5, days=3000, runs=2)


def test_stays_too_short_to_register_fall_back_to_the_event_loop():
    # stays of ~1e-300 days leave at their arrival time (t + s == t): the counting's premise
    # (every stay ends after it starts) fails and the run is stepped through instead
    instant = LosFit("weibull", {"shape": 1.0, "scale_days": 1e-300})
    for fast, reference in ((simulate_loss, reference_loss), (simulate_queue, reference_queue)):
        ours, theirs = np.random.default_rng(4), np.random.default_rng(4)
        a = fast(3.0, 1, instant, rng=ours, days=50, warmup_days=1)
        b = reference(3.0, 1, instant, rng=theirs, days=50, warmup_days=1)
        assert _same(a, b)
    # mixed with ordinary stays on a congested single bed
    mixed_rate = 0.9
    for fast, reference in ((simulate_loss, reference_loss), (simulate_queue, reference_queue)):
        ours, theirs = np.random.default_rng(9), np.random.default_rng(9)
        for los in (instant, EXPONENTIAL_5, instant):
            a = fast(mixed_rate, 1, los, rng=ours, days=100, warmup_days=5)
            b = reference(mixed_rate, 1, los, rng=theirs, days=100, warmup_days=5)
            assert _same(a, b)


@pytest.mark.parametrize("servers", [1, 3, 12, 40])
def test_full_at_finds_exactly_the_arrivals_that_find_every_server_busy(servers):
    rng = np.random.default_rng(servers)
    t = np.sort(rng.uniform(0.0, 200.0, 1500))
    d = t + rng.exponential(0.9 * servers * 200.0 / 1500, 1500)  # about 90 % of the beds
    busy = np.tril(d[None, :] > t[:, None], k=-1).sum(axis=1)  # #{j < i: d_j > t_i}
    found = _full_at(t, d, servers)
    assert found is not None
    positions, counts = found
    assert positions.tolist() == np.flatnonzero(busy >= servers).tolist()
    assert counts.tolist() == busy[busy >= servers].tolist()
    # stays that end as they start: nobody is busy, or the count declines (the caller steps)
    instant = _full_at(t, t.copy(), servers)
    assert instant is None or instant[0].size == 0


@pytest.mark.parametrize(
    "los",
    [
        EXPONENTIAL_5,
        LOGNORMAL_5,
        GAMMA,
        LosFit("gamma", {"shape": 2.5, "scale_days": 1.5}),
        WEIBULL,
        LosFit("weibull", {"shape": 0.6, "scale_days": 4.0}),
    ],
    ids=lambda f: f"{f.distribution}-{next(iter(f.params.values()))}",
)
def test_los_draws_equal_scipy(los):
    for seed in range(3):
        for size in (0, 1, 9, 4000):
            ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
            a = los.sample(ours, size)
            b = np.asarray(los.frozen.rvs(size=size, random_state=theirs), dtype=float)
            assert a.dtype == b.dtype and a.shape == b.shape
            assert np.array_equal(a, b)
            assert np.array_equal(np.signbit(a), np.signbit(b))  # no -0.0 where scipy has 0.0
            assert ours.random() == theirs.random()
