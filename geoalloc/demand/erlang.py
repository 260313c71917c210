"""Erlang-B (loss) and Erlang-C (delay) formulas and their inverses.

The offered load ``load_erlangs`` = arrivals per day × mean LOS in days = mean number of occupied
servers (beds) if none were turned away. Erlang-B, the blocking probability of an M/G/c/c loss
system, depends on the LOS distribution only through its mean (insensitivity). Erlang-C, the
probability that an arrival waits in an M/M/c queue, assumes exponential LOS.

All functions use the numerically stable recursion ``B(0) = 1``,
``B(k) = a B(k-1) / (k + a B(k-1))``, which needs no factorials and is exact to rounding for
thousands of servers.
"""

from __future__ import annotations

import math

import numpy as np

#: Relative slack when comparing a computed probability to a target, so that a target equal to a
#: table value (e.g. ``B(2, 2) = 0.4``) is met by that number of servers despite rounding.
_REL_TOL = 1e-12


def _check(servers: int, load_erlangs: float) -> None:
    if servers < 0 or int(servers) != servers:
        msg = f"servers must be a whole number >= 0, got {servers!r}"
        raise ValueError(msg)
    if not (load_erlangs >= 0 and math.isfinite(load_erlangs)):
        msg = f"offered load must be finite and >= 0 Erlangs, got {load_erlangs!r}"
        raise ValueError(msg)


def erlang_b(servers: int, load_erlangs: float) -> float:
    """Probability that an arrival finds all ``servers`` busy and is turned away (M/G/c/c).

    Parameters
    ----------
    servers
        Number of servers (beds), c ≥ 0.
    load_erlangs
        Offered load a = λ × mean service time (Erlangs), ≥ 0.
    """
    _check(servers, load_erlangs)
    b = 1.0
    for k in range(1, int(servers) + 1):
        b = load_erlangs * b / (k + load_erlangs * b)
    return b


def erlang_c(servers: int, load_erlangs: float) -> float:
    """Probability that an arrival has to wait (M/M/c); 1 when the load is ≥ ``servers``."""
    _check(servers, load_erlangs)
    if load_erlangs == 0:
        return 0.0
    if load_erlangs >= servers:
        return 1.0
    b = erlang_b(servers, load_erlangs)
    return servers * b / (servers - load_erlangs * (1.0 - b))


def erlang_c_mean_wait(servers: int, load_erlangs: float, mean_service: float) -> float:
    """Mean wait of all arrivals in an M/M/c queue, in the unit of ``mean_service`` (e.g. days).

    ``C(c, a) × mean_service ÷ (c − a)``; infinite when the load is at or above ``servers``.
    """
    if load_erlangs == 0:
        return 0.0
    if load_erlangs >= servers:
        return math.inf
    return erlang_c(servers, load_erlangs) * mean_service / (servers - load_erlangs)


def servers_for_blocking(load_erlangs: float, target: float) -> int:
    """Fewest servers whose Erlang-B blocking is at most ``target``.

    Exact: ``B(c*, a) ≤ target < B(c* − 1, a)``. No load, or ``target ≥ 1``, needs no servers.
    """
    _check(0, load_erlangs)
    if not 0 < target:
        msg = f"blocking target must be > 0 (0 needs infinitely many servers), got {target!r}"
        raise ValueError(msg)
    if load_erlangs == 0 or target >= 1:
        return 0
    b, k = 1.0, 0
    while b > target * (1 + _REL_TOL):
        k += 1
        b = load_erlangs * b / (k + load_erlangs * b)
    return k


def servers_for_wait_probability(load_erlangs: float, target: float) -> int:
    """Fewest servers whose Erlang-C probability of waiting is at most ``target`` (M/M/c)."""
    _check(0, load_erlangs)
    if not 0 < target:
        msg = f"waiting target must be > 0, got {target!r}"
        raise ValueError(msg)
    if load_erlangs == 0:
        return 0
    c = max(1, math.floor(load_erlangs) + 1)
    while erlang_c(c, load_erlangs) > target * (1 + _REL_TOL):
        c += 1
    return c


def erlang_b_array(servers: np.ndarray, load_erlangs: np.ndarray) -> np.ndarray:
    """:func:`erlang_b` element-wise over two equal-length arrays."""
    servers = np.asarray(servers)
    load_erlangs = np.asarray(load_erlangs, dtype=float)
    return np.array(
        [erlang_b(int(c), float(a)) for c, a in zip(servers, load_erlangs, strict=True)]
    )
