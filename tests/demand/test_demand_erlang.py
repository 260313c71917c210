"""Erlang-B / Erlang-C against published table values, and their inverses at the boundaries."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from geoalloc.demand.erlang import (
    erlang_b,
    erlang_c,
    erlang_c_mean_wait,
    servers_for_blocking,
    servers_for_wait_probability,
)

# Offered load (Erlangs) for N servers at a grade of service, from the standard Erlang-B table
# (e.g. the tables printed in Cooper, "Introduction to Queueing Theory", and telephony handbooks).
ERLANG_B_TABLE = [
    (1, 0.01, 0.0101),
    (1, 0.05, 0.0526),
    (2, 0.01, 0.153),
    (2, 0.05, 0.381),
    (5, 0.01, 1.361),
    (5, 0.02, 1.657),
    (10, 0.01, 4.461),
    (10, 0.02, 5.084),
    (10, 0.05, 6.216),
    (20, 0.01, 12.031),
    (20, 0.05, 15.249),
    (50, 0.01, 37.901),
    (100, 0.01, 84.064),
    (100, 0.05, 95.24),
]


@pytest.mark.parametrize(("servers", "gos", "load"), ERLANG_B_TABLE)
def test_erlang_b_matches_published_table(servers, gos, load):
    # the table rounds the load to 3-4 significant digits: B at that load is the GoS to ~0.5 %
    assert erlang_b(servers, load) == pytest.approx(gos, rel=6e-3)


@pytest.mark.parametrize(("servers", "load"), [(1, 0.5), (7, 3.2), (40, 35.0), (300, 280.0)])
def test_erlang_b_equals_truncated_poisson(servers, load):
    # independent oracle: B = P(N = c) / P(N <= c) for N ~ Poisson(a)
    expected = stats.poisson.pmf(servers, load) / stats.poisson.cdf(servers, load)
    assert erlang_b(servers, load) == pytest.approx(expected, rel=1e-10)


def test_erlang_b_hand_values():
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(2, 2.0) == pytest.approx(0.4)  # (4/2) / (1 + 2 + 2)
    assert erlang_b(5, 0.0) == 0.0


def test_erlang_c_published_and_hand_values():
    assert erlang_c(1, 0.7) == pytest.approx(0.7)  # M/M/1: P(wait) = rho
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=1e-4)  # classic table value
    assert erlang_c(3, 3.0) == 1.0 and erlang_c(3, 4.0) == 1.0
    # M/M/1 mean wait = rho / (1 - rho) × mean service
    assert erlang_c_mean_wait(1, 0.5, 4.0) == pytest.approx(0.5 / 0.5 * 4.0)
    assert math.isinf(erlang_c_mean_wait(2, 2.0, 1.0))


@pytest.mark.parametrize("load", [0.3, 1.0, 2.0, 6.216, 13.7, 84.064, 250.0])
@pytest.mark.parametrize("target", [0.001, 0.01, 0.05, 0.2])
def test_servers_for_blocking_is_the_smallest(load, target):
    c = servers_for_blocking(load, target)
    assert erlang_b(c, load) <= target * (1 + 1e-12)
    assert c == 0 or erlang_b(c - 1, load) > target


def test_servers_for_blocking_exact_at_table_boundaries():
    # target equal to an exact value of B: that number of servers meets it, one fewer does not
    assert servers_for_blocking(2.0, 0.4) == 2
    assert servers_for_blocking(2.0, 0.4 - 1e-9) == 3
    assert servers_for_blocking(1.0, 0.5) == 1
    b10 = erlang_b(10, 6.216)
    assert servers_for_blocking(6.216, b10) == 10
    assert servers_for_blocking(6.216, b10 * (1 - 1e-9)) == 11
    assert servers_for_blocking(0.0, 0.05) == 0
    assert servers_for_blocking(5.0, 1.0) == 0
    with pytest.raises(ValueError, match="target"):
        servers_for_blocking(5.0, 0.0)
    with pytest.raises(ValueError, match="load"):
        servers_for_blocking(-1.0, 0.05)


def test_servers_for_wait_probability():
    c = servers_for_wait_probability(8.0, 0.2)
    assert erlang_c(c, 8.0) <= 0.2 < erlang_c(c - 1, 8.0)
    assert servers_for_wait_probability(0.0, 0.1) == 0
