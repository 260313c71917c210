"""The queue simulation draws the random stream its module notes describe and counts busy beds
instead of stepping through every arrival: the figures of the textbook event loop on those draws.

The event loop (``tests/demand/_reference_queue.py``) runs here on the arrivals and stays rebuilt
from the documented stream, one replication at a time; the simulation must give the same blocked
shares and waiting shares (counts of arrivals), and the same occupancy and mean waits up to float
rounding (it shifts replications onto one timeline), and take exactly the documented draws.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from geoalloc.demand.los import LosFit
from geoalloc.demand.queue import (
    _full_at,
    simulate_loss,
    simulate_loss_runs,
    simulate_queue,
    simulate_queue_runs,
)
from tests.demand._reference_queue import loss_figures, queue_figures

EXPONENTIAL_5 = LosFit.assumed(5.0)
LOGNORMAL_5 = LosFit("lognormal", {"mu": math.log(5.0) - 0.5 * 0.8**2, "sigma": 0.8})
GAMMA = LosFit("gamma", {"shape": 0.7, "scale_days": 4.0})
WEIBULL = LosFit("weibull", {"shape": 1.4, "scale_days": 3.0})


def documented_stream(rng, arrivals_per_day, los, horizon_days, replications):
    """Arrivals and stays of each replication, drawn as the queue module's notes say."""
    counts = rng.poisson(arrivals_per_day * horizon_days, replications)
    spacings = rng.standard_exponential(int(counts.sum()) + replications)
    stays = los.sample(rng, int(counts.sum()))
    runs, at, k = [], 0, 0
    for n in counts.tolist():
        sums = np.cumsum(spacings[at : at + n + 1])
        runs.append((horizon_days * sums[:-1] / sums[-1], stays[k : k + n]))
        at, k = at + n + 1, k + n
    return runs


def _agree(ours, theirs, arrivals):
    """Shares are counts over ``arrivals``: equal counts; the rest equal up to rounding."""
    for (a_share, a_value), (b_share, b_value), n in zip(ours, theirs, arrivals, strict=True):
        if n == 0:
            assert math.isnan(a_share) and math.isnan(b_share)
            continue
        assert round(a_share * n) == round(b_share * n)
        assert a_value == pytest.approx(b_value, rel=1e-9, abs=1e-9)


def _check(system, los, load_erlangs, servers, seed, days=300.0, replications=3):
    rate = load_erlangs / los.mean_days
    warm = 10 * los.mean_days
    ours, theirs = np.random.default_rng([seed, 7]), np.random.default_rng([seed, 7])
    runs = documented_stream(theirs, rate, los, warm + days, replications)
    counted = [int((t >= warm).sum()) for t, _ in runs]
    if system == "loss":
        blocked, occupancy = simulate_loss_runs(
            rate, servers, los, rng=ours, days=days, warmup_days=warm, replications=replications
        )
        reference = [loss_figures(t, s, servers, days=days, warmup_days=warm) for t, s in runs]
        _agree(zip(blocked, occupancy, strict=True), reference, counted)
    else:
        mean_wait, share = simulate_queue_runs(
            rate, servers, los, rng=ours, days=days, warmup_days=warm, replications=replications
        )
        reference = [queue_figures(t, s, servers, warmup_days=warm) for t, s in runs]
        _agree(zip(share, mean_wait, strict=True), [(b, a) for a, b in reference], counted)
    assert ours.random() == theirs.random()  # exactly the documented draws were taken


# (offered load in Erlangs, beds): one bed, light loads, loads near and past the bed count (the
# queue then grows, outlasts its run and is simulated a replication at a time), a bed count far
# above the load (the Chicago plan's sites), the published 5 % point of Erlang-B (6.216 Erlangs
# on 10 beds), and no arrivals at all
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


@pytest.mark.parametrize("system", ["loss", "queue"])
@pytest.mark.parametrize(("load", "servers"), CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_runs_equal_the_event_loop_on_the_documented_draws(system, load, servers, seed):
    _check(system, EXPONENTIAL_5, load, servers, seed)


@pytest.mark.parametrize("los", [LOGNORMAL_5, GAMMA, WEIBULL], ids=lambda f: f.distribution)
@pytest.mark.parametrize(("load", "servers"), [(4.0, 5), (20.0, 24), (12.0, 6)])
def test_every_los_distribution_gives_the_event_loop_figures(los, load, servers):
    _check("loss", los, load, servers, seed=3, days=200.0)
    _check("queue", los, load, servers, seed=3, days=200.0)


def test_long_congested_runs_equal_the_event_loop():
    # long runs with heavy blocking or long queues: many arrivals settled one by one, and queues
    # near the bed count whose waits may outlast a replication (then run one at a time)
    _check("loss", LOGNORMAL_5, 6.216, 9, seed=11, days=3000, replications=2)
    _check("queue", EXPONENTIAL_5, 8.5, 10, seed=5, days=3000, replications=2)
    _check("queue", LOGNORMAL_5, 9.6, 10, seed=6, days=600, replications=6)


def test_one_run_is_the_first_of_one_replication():
    for one, runs in ((simulate_loss, simulate_loss_runs), (simulate_queue, simulate_queue_runs)):
        a = one(1.3, 8, GAMMA, rng=np.random.default_rng(2), days=100, warmup_days=20)
        b = runs(
            1.3, 8, GAMMA, rng=np.random.default_rng(2), days=100, warmup_days=20, replications=1
        )
        assert a == (float(b[0][0]), float(b[1][0]))


def test_stays_too_short_to_register_fall_back_to_the_event_loop():
    # stays of ~1e-300 days leave at their arrival time (t + s == t): the counting's premise
    # (every stay ends after it starts) fails and the runs are stepped through instead
    instant = LosFit("weibull", {"shape": 1.0, "scale_days": 1e-300})
    for system in ("loss", "queue"):
        _check(system, instant, 3e-300, 1, seed=4, days=50, replications=2)
    # a plain exponential LOS on a congested single bed, with the same fallback code beside it
    _check("loss", EXPONENTIAL_5, 0.9 * 5.0, 1, seed=9, days=100)
    _check("queue", EXPONENTIAL_5, 0.9, 1, seed=9, days=100)


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
