"""The queue simulation's random stream changed: its figures are statistically those of before.

Two checks, each with fixed seeds (so the tests are deterministic) and each shown able to fail:

- against exact values: Erlang-B blocking of M/M/c/c, and of M/G/c/c with lognormal and gamma
  stays (blocking depends on the LOS mean only), expected occupancy a(1 − B)/c, and the Erlang-C
  wait probability and mean wait of M/M/c. The estimate over the replications must lie within
  ``Z`` standard errors of the exact value, and the same check must reject a 10 % higher
  arrival rate;
- against the event loop of earlier releases with their random stream
  (``tests/demand/_reference_queue.py``): Welch's two-sample statistic of the per-run blocked
  share, occupancy, mean wait and waiting share, over many runs of each, must stay below ``Z``,
  including M/G/c/c and M/G/c with lognormal stays, and must exceed it when the simulation is
  given a 10 % higher arrival rate.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from geoalloc.demand.erlang import erlang_b, erlang_c, erlang_c_mean_wait
from geoalloc.demand.los import LosFit
from geoalloc.demand.queue import simulate_loss_runs, simulate_queue_runs
from tests.demand._reference_queue import reference_loss, reference_queue

Z = 4.0  # |estimate − value| / standard error beyond this is a difference (two-sided p ≈ 6e-5)
WRONG_RATE = 1.1  # a 10 % error in the arrival rate must be told apart

EXPONENTIAL_5 = LosFit.assumed(5.0)
LOGNORMAL_5 = LosFit("lognormal", {"mu": math.log(5.0) - 0.5 * 0.8**2, "sigma": 0.8})
GAMMA_5 = LosFit("gamma", {"shape": 0.7, "scale_days": 5.0 / 0.7})


def _z_exact(values: np.ndarray, exact: float) -> float:
    se = values.std(ddof=1) / math.sqrt(len(values))
    return float((values.mean() - exact) / se)


def _welch(a: np.ndarray, b: np.ndarray) -> float:
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    return float((a.mean() - b.mean()) / se)


def _runs(simulate, rate, servers, los, seed, arrivals_per_run=6000, replications=20):
    """``replications`` runs of ``simulate`` (a ``simulate_*_runs``) of about
    ``arrivals_per_run`` arrivals each, after a warm-up of 10 mean stays."""
    return simulate(
        rate,
        servers,
        los,
        rng=np.random.default_rng([seed, servers]),
        days=arrivals_per_run / rate,
        warmup_days=10 * los.mean_days,
        replications=replications,
    )


# (offered load in Erlangs, beds): small and larger sites, light to heavy blocking
LOSS_CASES = [(2.0, 4), (6.216, 10), (20.0, 24), (45.0, 50)]


@pytest.mark.parametrize("los", [EXPONENTIAL_5, LOGNORMAL_5, GAMMA_5], ids=lambda f: f.distribution)
@pytest.mark.parametrize(("load", "servers"), LOSS_CASES)
def test_blocking_and_occupancy_equal_erlang_b(los, load, servers):
    rate = load / los.mean_days
    exact = erlang_b(servers, load)
    blocked, occupancy = _runs(simulate_loss_runs, rate, servers, los, seed=17)
    assert abs(_z_exact(blocked, exact)) < Z
    assert abs(_z_exact(occupancy, load * (1 - exact) / servers)) < Z
    # the check can fail: a 10 % higher arrival rate is far outside
    wrong, _ = _runs(simulate_loss_runs, rate * WRONG_RATE, servers, los, seed=17)
    assert _z_exact(wrong, exact) > Z


# (offered load, beds) of M/M/c queues: waits of about 5 % to 50 % of arrivals
QUEUE_CASES = [(3.5, 5), (8.0, 10), (17.0, 20)]


@pytest.mark.parametrize(("load", "servers"), QUEUE_CASES)
def test_waits_equal_erlang_c(load, servers):
    los = EXPONENTIAL_5
    rate = load / los.mean_days
    mean_wait, waited = _runs(simulate_queue_runs, rate, servers, los, seed=19)
    assert abs(_z_exact(waited, erlang_c(servers, load))) < Z
    assert abs(_z_exact(mean_wait, erlang_c_mean_wait(servers, load, los.mean_days))) < Z
    wrong_wait, wrong_waited = _runs(simulate_queue_runs, rate * WRONG_RATE, servers, los, seed=19)
    assert _z_exact(wrong_waited, erlang_c(servers, load)) > Z
    assert _z_exact(wrong_wait, erlang_c_mean_wait(servers, load, los.mean_days)) > Z


def _reference_runs(reference, rate, servers, los, days, runs=60, seed=23):
    rng = np.random.default_rng([seed, servers])  # consecutive runs, as the queue check drew them
    out = [
        reference(rate, servers, los, rng=rng, days=days, warmup_days=10 * los.mean_days)
        for _ in range(runs)
    ]
    return np.array([r[0] for r in out]), np.array([r[1] for r in out])


# (system, LOS, offered load, beds): loss and queue, exponential and lognormal stays
AGAINST_REFERENCE = [
    ("loss", EXPONENTIAL_5, 6.216, 10),
    ("loss", LOGNORMAL_5, 20.0, 24),
    ("queue", EXPONENTIAL_5, 3.5, 5),
    ("queue", LOGNORMAL_5, 8.5, 10),
]


@pytest.mark.parametrize(
    ("system", "los", "load", "servers"),
    AGAINST_REFERENCE,
    ids=[f"{s}-{f.distribution}-{a}-{c}" for s, f, a, c in AGAINST_REFERENCE],
)
def test_figures_equal_those_of_the_former_event_loop(system, los, load, servers):
    rate = load / los.mean_days
    arrivals_per_run = 3000
    days = arrivals_per_run / rate
    simulate, reference = (
        (simulate_loss_runs, reference_loss)
        if system == "loss"
        else (simulate_queue_runs, reference_queue)
    )
    before = _reference_runs(reference, rate, servers, los, days)
    now = _runs(simulate, rate, servers, los, 29, arrivals_per_run, replications=60)
    # loss: blocked share and occupancy; queue: mean wait and waiting share
    for old, new in zip(before, now, strict=True):
        assert abs(_welch(new, old)) < Z
    # and the comparison can fail: a 10 % higher rate moves the first figure beyond Z
    wrong = _runs(simulate, rate * WRONG_RATE, servers, los, 29, arrivals_per_run, replications=60)
    assert _welch(wrong[0], before[0]) > Z
