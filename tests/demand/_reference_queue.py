"""The textbook event loop of the queue simulation, the reference of its tests and of
``bench/queue_sim.py``.

A heap of the times servers fall free, popped at each arrival, one Python step per arrival, with
the random stream of the earlier releases: per replication, a Poisson number of arrivals, that
many uniform times sorted, then the stays drawn by scipy (``LosFit.frozen.rvs``).
:func:`loss_steps` and :func:`queue_steps` are the loop alone, for given arrivals and stays.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

import numpy as np

from geoalloc.demand.los import LosFit


def arrivals(rng: np.random.Generator, rate_per_day: float, horizon_days: float) -> np.ndarray:
    """A Poisson process on [0, horizon] the way earlier releases drew it: count, then uniforms."""
    n = int(rng.poisson(rate_per_day * horizon_days))
    t = rng.uniform(0.0, horizon_days, n)
    t.sort()
    return t


def scipy_draws(los: LosFit, rng: np.random.Generator, size: int) -> np.ndarray:
    return np.asarray(los.frozen.rvs(size=size, random_state=rng), dtype=float)


def loss_steps(t: np.ndarray, s: np.ndarray, servers: int) -> np.ndarray:
    """Which arrivals (``t`` sorted, stays ``s``) an M/G/c/c system accepts."""
    accepted = np.zeros(len(t), dtype=bool)
    busy: list[float] = []
    for i, (ti, si) in enumerate(zip(t.tolist(), s.tolist(), strict=True)):
        while busy and busy[0] <= ti:
            heapq.heappop(busy)
        if len(busy) < servers:
            heapq.heappush(busy, ti + si)
            accepted[i] = True
    return accepted


def queue_steps(t: np.ndarray, s: np.ndarray, servers: int) -> np.ndarray:
    """Waits (days) of arrivals (``t`` sorted, stays ``s``) in an M/G/c FCFS queue."""
    free = [0.0] * servers
    waits = np.empty(len(t))
    for i, (ti, si) in enumerate(zip(t.tolist(), s.tolist(), strict=True)):
        f = heapq.heappop(free)
        start = ti if ti > f else f
        waits[i] = start - ti
        heapq.heappush(free, start + si)
    return waits


def loss_figures(
    t: np.ndarray, s: np.ndarray, servers: int, *, days: float, warmup_days: float
) -> tuple[float, float]:
    """(blocked share, occupancy) of one run from its arrivals and stays."""
    end = warmup_days + days
    accepted = loss_steps(t, s, servers)
    counted = t >= warmup_days
    n = int(counted.sum())
    blocked = float((~accepted & counted).sum() / n) if n else math.nan
    occ_time = np.clip(np.minimum(t + s, end) - np.maximum(t, warmup_days), 0.0, None)[
        accepted
    ].sum()
    occupancy = float(occ_time / (days * servers)) if servers else math.nan
    return blocked, occupancy


def queue_figures(
    t: np.ndarray, s: np.ndarray, servers: int, *, warmup_days: float
) -> tuple[float, float]:
    """(mean wait in days, share that waits) of one run from its arrivals and stays."""
    counted = queue_steps(t, s, servers)[t >= warmup_days]
    if not counted.size:
        return math.nan, math.nan
    return float(counted.mean()), float((counted > 0).mean())


def reference_loss(
    arrivals_per_day: float,
    servers: int,
    los: LosFit,
    *,
    rng: np.random.Generator,
    days: float,
    warmup_days: float,
    draws: Callable = scipy_draws,
) -> tuple[float, float]:
    """One M/G/c/c run as earlier releases simulated it: (blocked share, occupancy)."""
    t = arrivals(rng, arrivals_per_day, warmup_days + days)
    s = draws(los, rng, len(t)) if len(t) else np.empty(0)
    return loss_figures(t, s, servers, days=days, warmup_days=warmup_days)


def reference_queue(
    arrivals_per_day: float,
    servers: int,
    los: LosFit,
    *,
    rng: np.random.Generator,
    days: float,
    warmup_days: float,
    draws: Callable = scipy_draws,
) -> tuple[float, float]:
    """One M/G/c FCFS run as earlier releases simulated it: (mean wait, share that waits)."""
    t = arrivals(rng, arrivals_per_day, warmup_days + days)
    s = draws(los, rng, len(t)) if len(t) else np.empty(0)
    return queue_figures(t, s, servers, warmup_days=warmup_days)
