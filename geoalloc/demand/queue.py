"""Queue check of a plan: per site, how often an arrival finds no bed, occupancy and waits.

Analytic figures come from Erlang-B (loss: a patient who finds every bed taken goes elsewhere;
insensitive to the LOS distribution) and, where queuing is allowed, Erlang-C (M/M/c: exponential LOS
assumed). Beside them, a seeded discrete-event simulation with the fitted LOS distribution: Poisson
arrivals, ``simulation_replications`` independent runs of ``simulation_days`` each after a warm-up
of 10 × mean LOS, a 95 % t-interval over the runs.

Units. The optimizer allocates demand in *units of the resource*; with ``capacity_method =
"occupancy"`` an area's need is ``bed-days per day ÷ occupancy target``. So a site's load in units
converts back to the offered load (Erlangs = mean occupied beds) as ``units × occupancy target``
(``icu_occupancy_target`` for ICU beds), and to arrivals per day as offered load ÷ mean LOS (days).
Pass a ``bed_days_per_day`` column in ``sites_load`` to give the offered load directly instead (it
must be used with ``capacity_method = "erlang_b"``, whose per-area units are not additive).

Random stream. :func:`queue_check` seeds one generator per site, ``numpy.random.default_rng([seed,
position of the site in the sorted ids])``, and draws all R replications of the site from it at
once, in this order:

1. ``rng.poisson(λ × H, R)``: n_r, the number of arrivals of replication r = 0 … R − 1 over its
   horizon H = warm-up + simulated days, at λ arrivals per day;
2. ``rng.standard_exponential(n_0 + … + n_{R−1} + R)``: spacings e, replication after replication,
   n_r + 1 each. Replication r's arrival k = 1 … n_r is at H × (e_1 + … + e_k) / (e_1 + … +
   e_{n_r + 1}) over its own spacings: its arrival times in order, distributed as n_r sorted
   uniform times on [0, H], i.e. a Poisson process of rate λ;
3. ``los.sample(rng, n_0 + … + n_{R−1})`` (:meth:`LosFit.sample`): the stays, in the order of the
   arrivals.

The single-run :func:`simulate_loss` and :func:`simulate_queue` draw the same with R = 1.
Earlier versions of this module (geoalloc 0.1.0) drew each replication on its own: a Poisson
count, that many uniform times sorted, then the stays. So the same seed now gives other
simulated figures than they did; the figures are statistically equal (the same distributions:
``tests/demand/test_queue_stats.py`` compares the two, and both with Erlang-B and Erlang-C).
"""

from __future__ import annotations

import bisect
import functools
import heapq
import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoalloc._errors import InputError
from geoalloc.demand.erlang import (
    erlang_b,
    erlang_c,
    erlang_c_mean_wait,
    servers_for_blocking,
)
from geoalloc.demand.los import LosFit, LosModel
from geoalloc.demand.options import DemandOptions

log = logging.getLogger(__name__)

WARMUP_MEAN_LOS = 10.0


@functools.lru_cache(maxsize=64)
def _t_quantile(q: float, dof: int) -> float:
    # scipy.special's inverse of Student's t (what scipy.stats.t.ppf computes), not scipy.stats
    # itself: importing that took ~1 s of a run for this one number
    from scipy import special

    return float(special.stdtrit(dof, q))


def _ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = float(
        _t_quantile(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    )
    return mean, max(mean - half, 0.0), mean + half


def _draw(
    rng: np.random.Generator, arrivals_per_day: float, los: LosFit, horizon_days: float, runs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The random stream of the module notes: (arrivals per replication, spacings, stays)."""
    counts = rng.poisson(arrivals_per_day * horizon_days, runs)
    total = int(counts.sum())
    spacings = rng.standard_exponential(total + runs)
    stays = los.sample(rng, total) if total else np.empty(0)
    return counts, spacings, stays


@dataclass(frozen=True)
class _Runs:
    """Replications laid end to end on one timeline, each one starting empty.

    Replication r starts at ``origin[r]`` = r × (horizon + longest stay + 1 day), so every
    patient who did not wait has left before the next replication's first arrival, and the
    replications are simulated as one system in one pass (a queue checks that those who waited
    have left too, see :func:`simulate_queue_runs`).
    """

    t: np.ndarray  # arrival times on the timeline, sorted
    s: np.ndarray  # stays (days), in the order of the arrivals
    counts: np.ndarray  # arrivals per replication
    starts: np.ndarray  # position in ``t`` of each replication's first arrival; then ``len(t)``
    origin: np.ndarray  # each replication's day 0 on the timeline


def _timeline(
    counts: np.ndarray, spacings: np.ndarray, stays: np.ndarray, horizon_days: float
) -> _Runs:
    runs = len(counts)
    longest = float(stays.max()) if len(stays) else 0.0
    origin = np.arange(runs) * (horizon_days + longest + 1.0)
    starts = np.zeros(runs + 1, dtype=np.intp)
    np.cumsum(counts, out=starts[1:])
    t = np.empty(int(starts[-1]))
    at = 0  # position in ``spacings``
    for r, (a, b) in enumerate(zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True)):
        own = t[a:b]  # a view: cache-sized steps over the replication's arrivals
        np.cumsum(spacings[at : at + b - a], out=own)
        at += b - a
        closing = (float(own[-1]) if b > a else 0.0) + float(spacings[at])
        at += 1
        own *= horizon_days / closing
        own += origin[r]
    return _Runs(t, stays, counts, starts, origin)


def _counted(runs: _Runs, warmup_days: float) -> tuple[np.ndarray, np.ndarray]:
    """Per replication, the positions of its first counted arrival (at or after the warm-up)
    and of the end of its arrivals."""
    first = np.searchsorted(runs.t, runs.origin + warmup_days, side="left")
    return first, runs.starts[1:]


# The simulations below give, arrival for arrival, the decisions of the textbook event loop (a
# heap of the times servers fall free, popped at each arrival; ``tests/demand/_reference_queue.py``
# keeps it, the reference of the tests and of ``bench/queue_sim.py``) without stepping through
# every arrival in Python.
# At arrival i the servers still busy are those whose stay ends after t_i. While nobody has been
# turned away (loss) or has waited (queue), arrival j leaves at d_j = t_j + s_j, so the number
# busy at t_i is #{j < i: d_j > t_i} = i − #{j: d_j ≤ t_i} (every later arrival leaves after t_i
# when every stay ends after it starts, d_j > t_j, which is checked): array arithmetic, first a
# bound over time bins, then a sorted search where the bound does not settle it. Only arrivals
# that find every server busy by that count need a step of their own: in a loss system, a
# turned-away patient just leaves the count; in a queue, stepping resumes from the first wait.


GROUP = 8  # arrivals bounded together by :func:`_full_at`


def _full_at(t: np.ndarray, d: np.ndarray, servers: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The arrivals that would find every server busy if none of them waited or was turned away.

    ``t`` are arrival times (sorted), ``d`` their departures (each ≥ its arrival). Returns
    their positions in ``t`` and the number busy at each, #{j < i: d_j > t_i} = i − #{j: d_j ≤
    t_i}, or None when that count cannot be had this way (a stay that ends as it starts, d = t).

    A cheap bound comes first. Departures go into time bins (about ``GROUP`` each) by a monotone
    map, so a departure in an earlier bin than an arrival is before it. For an arrival i among a
    group of ``GROUP`` consecutive arrivals starting at g, busy_i ≤ (last position in the group)
    − #{d in bins before t_g's}. In the groups where that bound reaches ``servers`` (on a
    lightly loaded site, none), each arrival's own bound i − #{d in bins before t_i's} is
    checked, and where that reaches it too, the departures in t_i's own bin up to t_i are added
    by a search in the sorted departures of those bins only: the exact count.
    """
    none = np.empty(0, dtype=np.intp)
    n = len(t)
    if n - 1 < servers:
        return none, none
    bins = max(n // GROUP, 1)
    t0 = float(t[0])
    span = float(t[-1]) - t0
    per_day = bins / span if span > 0 else 1.0
    d_bin = np.empty(n, dtype=np.intp)  # the same map for every time: t_bin below
    np.multiply(d - t0, per_day, out=d_bin, casting="unsafe")  # ≥ 0: truncation is floor
    left = np.bincount(d_bin, minlength=bins + 1)
    before = np.cumsum(left)
    before -= left  # before[k]: departures in bins < k
    last = np.arange(GROUP - 1, n + GROUP - 1, GROUP)  # the last position in each group
    last[-1] = n - 1
    first_bin = ((t[::GROUP] - t0) * per_day).astype(np.intp)  # ≤ bins: t ≤ t[-1]
    flagged = last - before[first_bin] >= servers
    if not flagged.any():
        return none, none
    if not bool(np.all(d > t)):
        return None
    maybe = np.flatnonzero(np.repeat(flagged, GROUP)[:n])
    t_bin = ((t[maybe] - t0) * per_day).astype(np.intp)
    closer = maybe - before[t_bin] >= servers  # the bound again, from each arrival's own bin
    maybe, t_bin = maybe[closer], t_bin[closer]
    t_maybe = t[maybe]
    # departures before t_i: those in earlier bins, and those of its own bin up to t_i, found
    # in the sorted departures of the bins that hold a flagged arrival
    wanted = np.zeros(len(left), dtype=bool)
    wanted[t_bin] = True
    near = d[wanted[d_bin]]
    near.sort()
    near_bin = ((near - t0) * per_day).astype(np.intp)
    own_bin = np.searchsorted(near, t_maybe, side="right") - np.searchsorted(near_bin, t_bin)
    busy = maybe - (before[t_bin] + own_bin)
    full = busy >= servers
    return maybe[full], busy[full]


def _loss_turned_away(
    t: np.ndarray, d: np.ndarray, servers: int, candidates: np.ndarray, busy: np.ndarray
) -> np.ndarray:
    """Positions (ascending) of the arrivals turned away by an M/G/c/c system (arrivals ``t``
    sorted, leaving at ``d`` = arrival + stay if accepted), given the ``candidates`` and ``busy``
    of :func:`_full_at`.

    An arrival is turned away when the accepted patients still in service fill every server. The
    count of :func:`_full_at` assumes everyone was accepted, an upper bound; the arrivals where it
    reaches ``servers`` are settled in order, less the turned-away patients it still holds.
    """
    away: list[float] = []  # departures the count holds for patients who were turned away
    turned: list[int] = []
    pop, push = heapq.heappop, heapq.heappush
    for i, ti, di, busy_i in zip(
        candidates.tolist(),
        t[candidates].tolist(),
        d[candidates].tolist(),
        busy.tolist(),
        strict=True,
    ):
        while away and away[0] <= ti:
            pop(away)
        if busy_i - len(away) >= servers:
            turned.append(i)
            push(away, di)
    return np.array(turned, dtype=np.intp)


def _loss_turned_away_stepwise(t: np.ndarray, d: np.ndarray, servers: int) -> np.ndarray:
    """:func:`_loss_turned_away` one arrival at a time (when some stay ends as it starts)."""
    turned: list[int] = []
    busy: list[float] = []
    for i, (ti, di) in enumerate(zip(t.tolist(), d.tolist(), strict=True)):
        while busy and busy[0] <= ti:
            heapq.heappop(busy)
        if len(busy) < servers:
            heapq.heappush(busy, di)
        else:
            turned.append(i)
    return np.array(turned, dtype=np.intp)


QUIET_ARRIVALS = 64  # a congested stretch ends after this many arrivals in a row without a wait
STEP_BLOCK = 128  # arrivals converted to Python floats at a time while stepping
BUSY_SHARE_STEPWISE = 0.2  # beyond this share of arrivals finding every bed busy, step them all


def _queue_waits(t: np.ndarray, s: np.ndarray, servers: int) -> np.ndarray:
    """Waits (days) of arrivals ``t`` (sorted) with stays ``s`` in an M/G/c FCFS queue.

    An arrival waits exactly when the patients still in the hospital at its arrival (in service
    or queued) are ``servers`` or more; a patient who waited leaves later than t + s. So the
    count of :func:`_full_at` (as if nobody had waited) is exact once every patient who waited
    has left, and before that it is short by the patients who waited and are still in for the
    delay. Arrivals are stepped one at a time through a heap of the times servers fall free only
    from an arrival that the count (with that correction) finds waiting until either the last
    patient who waited has left or ``QUIET_ARRIVALS`` arrivals in a row have not waited.
    """
    n = len(t)
    waits = np.zeros(n)
    d = t + s
    found = _full_at(t, d, servers)
    if found is None:
        return _queue_waits_stepwise(t, s, servers)
    candidates = found[0].tolist()
    if not candidates:
        return waits
    if len(candidates) > n * BUSY_SHARE_STEPWISE:
        return _queue_waits_stepwise(t, s, servers)
    leave = d.copy()  # departures, later for those who waited
    d_sorted = np.sort(d)
    late_d = late_out = np.empty(0)  # d and actual departure of those who waited, maybe still in
    last_out = -math.inf  # when the last patient who waited leaves
    longest = float(s.max())
    longest_wait = 0.0
    replace = heapq.heapreplace
    v = candidates[0]
    while v < n:
        # those still in at t_v arrived after t_v − (longest stay + longest wait so far)
        since = int(np.searchsorted(t, t[v] - (longest + longest_wait), side="left"))
        earlier = leave[since:v]
        free = earlier[earlier > t[v]].tolist()  # `servers` patients in service, none queued
        heapq.heapify(free)
        quiet = 0
        i = v
        stepping = True
        at: list[int] = []  # the arrivals who waited, their waits and departures
        wait_days: list[float] = []
        out_at: list[float] = []
        while stepping and i < n:
            block = slice(i, min(i + STEP_BLOCK, n))  # the next arrivals as Python floats
            for ti, si in zip(t[block].tolist(), s[block].tolist(), strict=True):
                if ti >= last_out and i > v:
                    stepping = False
                    break
                f = free[0]
                if ti >= f:
                    replace(free, ti + si)
                    quiet += 1
                    i += 1
                    if quiet == QUIET_ARRIVALS:
                        stepping = False
                        break
                    continue
                out = f + si
                replace(free, out)
                at.append(i)
                wait_days.append(f - ti)
                out_at.append(out)
                if out > last_out:
                    last_out = out
                quiet = 0
                i += 1
        if at:
            waits[at] = wait_days
            leave[at] = out_at
            longest_wait = max(longest_wait, max(wait_days))
            late_d = np.concatenate((late_d, d[at]))
            late_out = np.concatenate((late_out, out_at))
        # the next arrival to wait: while patients who waited are still in, the count as if
        # nobody had waited plus those of them in for their delay (d ≤ t < departure) ...
        v = n
        if i < n and t[i] < last_out:
            hi = int(np.searchsorted(t, last_out, side="left"))
            still_in = late_out > t[i]
            late_d, late_out = late_d[still_in], late_out[still_in]
            starts, ends = np.sort(late_d), np.sort(late_out)
            lo, size = i, 2 * QUIET_ARRIVALS  # looked at in growing pieces: it is often near
            while lo < hi:
                up = min(lo + size, hi)
                window = t[lo:up]
                busy = np.arange(lo, up) - np.searchsorted(d_sorted, window, side="right")
                busy += np.searchsorted(starts, window, side="right")
                busy -= np.searchsorted(ends, window, side="right")
                waiting = np.flatnonzero(busy >= servers)
                if waiting.size:
                    v = lo + int(waiting[0])
                    break
                lo, size = up, 4 * size
            if v < n:
                continue
            i = hi
        # ... and after them, the count alone
        nxt = bisect.bisect_left(candidates, i)
        if nxt < len(candidates):
            v = candidates[nxt]
    return waits


def _queue_waits_stepwise(t: np.ndarray, s: np.ndarray, servers: int) -> np.ndarray:
    """:func:`_queue_waits` one arrival at a time (when some stay ends as it starts)."""
    free = [0.0] * servers
    waits = np.empty(len(t))
    for i, (ti, si) in enumerate(zip(t.tolist(), s.tolist(), strict=True)):
        f = heapq.heappop(free)
        start = ti if ti > f else f
        waits[i] = start - ti
        heapq.heappush(free, start + si)
    return waits


def simulate_loss_runs(
    arrivals_per_day: float,
    servers: int,
    los: LosFit,
    *,
    rng: np.random.Generator,
    days: float,
    warmup_days: float,
    replications: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Independent runs of an M/G/c/c loss system: per run, share of arrivals blocked and mean
    occupancy of the servers.

    Parameters
    ----------
    arrivals_per_day
        Poisson arrival rate λ.
    servers
        Beds c.
    los
        Stays (days) are drawn from it.
    rng
        Draws the random stream of the module notes ("Random stream"): all runs at once.
    days, warmup_days
        Each run lasts ``warmup_days + days``; arrivals before ``warmup_days`` load the system but
        are not counted.
    replications
        Number of runs R.

    Returns
    -------
    tuple of arrays
        Blocked share (turned-away counted arrivals over counted arrivals; NaN for a run without
        any) and occupancy (the accepted patients' bed-days inside the counted days over ``days ×
        servers``; NaN without servers), R values each. A patient who finds every server busy is
        turned away.
    """
    horizon = warmup_days + days
    runs = _timeline(*_draw(rng, arrivals_per_day, los, horizon, replications), horizon)
    t = runs.t
    d = np.add(t, runs.s, out=runs.s)  # departures if accepted; the stays are not needed again
    full = _full_at(t, d, servers)
    if full is None:
        turned = _loss_turned_away_stepwise(t, d, servers)
    elif full[0].size:
        turned = _loss_turned_away(t, d, servers, *full)
    else:
        turned = np.empty(0, dtype=np.intp)
    first, stop = _counted(runs, warmup_days)
    counted = stop - first
    away = np.searchsorted(turned, stop) - np.searchsorted(turned, first)
    blocked = np.full(replications, math.nan)
    np.divide(away, counted, out=blocked, where=counted > 0)
    # bed-days inside the counted days, from max(t, warm-up) to min(d, horizon): for t sorted
    # and d ≥ t, clip(d) − clip(t) to [warm-up, horizon] of each run, less the turned away
    low, high = runs.origin + warmup_days, runs.origin + horizon
    occ_time = np.empty(replications)
    for r, (a, f, b) in enumerate(
        zip(runs.starts[:-1].tolist(), first.tolist(), stop.tolist(), strict=True)
    ):
        inside = float(np.clip(d[a:b], low[r], high[r]).sum())
        occ_time[r] = inside - (low[r] * (f - a) + float(t[f:b].sum()))
    if len(turned):
        run = np.searchsorted(runs.starts, turned, side="right") - 1
        lost = np.clip(d[turned], low[run], high[run]) - np.clip(t[turned], low[run], high[run])
        occ_time -= np.bincount(run, weights=lost, minlength=replications)
    occupancy = occ_time / (days * servers) if servers else np.full(replications, math.nan)
    return blocked, occupancy


def simulate_loss(
    arrivals_per_day: float,
    servers: int,
    los: LosFit,
    *,
    rng: np.random.Generator,
    days: float,
    warmup_days: float,
) -> tuple[float, float]:
    """One run of an M/G/c/c loss system: (share of arrivals blocked, mean occupancy of servers).

    :func:`simulate_loss_runs` with one replication (the same draws, the same figures).
    """
    return _one_run(simulate_loss_runs, arrivals_per_day, servers, los, rng, days, warmup_days)


def _one_run(
    runs_of,
    arrivals_per_day: float,
    servers: int,
    los: LosFit,
    rng: np.random.Generator,
    days: float,
    warmup_days: float,
) -> tuple[float, float]:
    """The two figures of ``runs_of`` (a ``simulate_*_runs``) for a single replication."""
    first, second = runs_of(
        arrivals_per_day,
        servers,
        los,
        rng=rng,
        days=days,
        warmup_days=warmup_days,
        replications=1,
    )
    return float(first[0]), float(second[0])


def simulate_queue_runs(
    arrivals_per_day: float,
    servers: int,
    los: LosFit,
    *,
    rng: np.random.Generator,
    days: float,
    warmup_days: float,
    replications: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Independent runs of an M/G/c first-come-first-served queue: per run, the mean wait (days)
    and the share of arrivals that wait.

    The parameters are those of :func:`simulate_loss_runs` (the same random stream); waits are
    of the arrivals after ``warmup_days`` (NaN for a run without any). ``servers`` must be ≥ 1
    when anyone arrives.
    """
    horizon = warmup_days + days
    runs = _timeline(*_draw(rng, arrivals_per_day, los, horizon, replications), horizon)
    t, s, starts = runs.t, runs.s, runs.starts
    waits: np.ndarray | None = None
    if arrivals_per_day * los.mean_days < servers:  # else the queue grows, and outlasts the run
        waits = _queue_waits(t, s, servers)
        waited = np.flatnonzero(waits)
        # the replications are one system only if those who waited left before the next began
        run = np.searchsorted(starts, waited, side="right") - 1
        later = run < replications - 1
        leave = t[waited] + waits[waited] + s[waited]
        if np.any(leave[later] >= runs.origin[run[later] + 1]):
            waits = None
    if waits is None:  # one replication at a time
        waits = np.empty(len(t))
        for a, b in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True):
            waits[a:b] = _queue_waits(t[a:b], s[a:b], servers)
        waited = np.flatnonzero(waits)
    first, stop = _counted(runs, warmup_days)
    counted = stop - first
    total = np.zeros(len(waited) + 1)
    np.cumsum(waits[waited], out=total[1:])
    lo, hi = np.searchsorted(waited, first), np.searchsorted(waited, stop)
    mean_wait = np.full(replications, math.nan)
    share = np.full(replications, math.nan)
    np.divide(total[hi] - total[lo], counted, out=mean_wait, where=counted > 0)
    np.divide(hi - lo, counted, out=share, where=counted > 0)
    return mean_wait, share


def simulate_queue(
    arrivals_per_day: float,
    servers: int,
    los: LosFit,
    *,
    rng: np.random.Generator,
    days: float,
    warmup_days: float,
) -> tuple[float, float]:
    """One run of an M/G/c first-come-first-served queue: (mean wait in days, share that waits).

    :func:`simulate_queue_runs` with one replication (the same draws, the same figures).
    """
    return _one_run(simulate_queue_runs, arrivals_per_day, servers, los, rng, days, warmup_days)


def offered_load(units: pd.Series, options: DemandOptions, resource: str) -> pd.Series:
    """Offered load (Erlangs) from a load in resource units: ``units × occupancy target``."""
    target = options.icu_occupancy_target if resource == "icu_beds" else options.occupancy_target
    return units.astype(float) * target


def is_bed_like(resource: str, options: DemandOptions) -> bool:
    """True for resources a patient occupies for the stay (beds, ICU beds), where a queue check
    applies; not for equipment (ventilators) or staff."""
    return resource != "ventilators" and resource not in options.staff_per_occupied_bed


def queue_check(
    sites_load: pd.DataFrame,
    capacity_after: pd.DataFrame,
    los: LosModel | LosFit,
    *,
    options: DemandOptions,
    resource: str | None = None,
    seed: int = 0,
    simulate: bool = True,
) -> pd.DataFrame:
    """Analytic and simulated queue figures per site for one bed-like resource.

    Parameters
    ----------
    sites_load
        Index: site id. Column ``resource``: load assigned to the site in units of the resource (see
        the module notes for the conversion), or column ``bed_days_per_day`` (Erlangs) directly.
    capacity_after
        Index: site id. Column ``resource``: capacity in the plan; it is rounded down to whole
        servers (beds). Sites missing from ``sites_load`` have no load.
    los
        Fitted LOS (:class:`LosModel` or :class:`LosFit`); its mean converts load to arrivals and
        the simulation draws from it.
    options
        The ``[demand]`` section: occupancy and blocking targets, ``queue_allowed``, simulation.
    resource
        ``"beds"`` (default: the primary resource) or ``"icu_beds"``.
    seed
        Seeds the simulation; each site gets its own stream from ``(seed, position in sorted ids)``
        (see "Random stream" in the module notes: reproducible for a seed, with other figures
        than geoalloc 0.1.0 gave for it, statistically equal).
    simulate
        Run the discrete-event simulation (else its columns are NaN).

    Returns
    -------
    DataFrame
        Index: site id (sorted). Columns: ``load_units``, ``offered_load_erlangs``,
        ``arrivals_per_day``, ``servers``, ``expected_occupancy`` (a(1 − B)/c),
        ``blocking_erlang_b``, ``servers_for_blocking_target``, ``meets_blocking_target``,
        ``wait_probability_erlang_c`` and ``mean_wait_days_erlang_c`` (NaN unless
        ``queue_allowed``), ``sim_blocking`` with ``sim_blocking_ci_low``/``_high``,
        ``sim_occupancy``, ``sim_mean_wait_days`` with its CI and ``sim_wait_probability`` (queue
        only), ``sim_days``, ``sim_replications``.
    """
    fit = los.overall if isinstance(los, LosModel) else los
    resource = resource or options.resource
    if not is_bed_like(resource, options):
        msg = f"queue check is for bed-like resources (beds, icu_beds), not {resource!r}"
        raise InputError(msg)
    if resource not in capacity_after.columns:
        msg = f"capacity table has no column {resource!r} (columns: {list(capacity_after.columns)})"
        raise InputError(msg)
    sites = capacity_after.index.sort_values()
    if "bed_days_per_day" in sites_load.columns:
        load_erl = sites_load["bed_days_per_day"].reindex(sites).fillna(0.0).astype(float)
        units = sites_load[resource].reindex(sites) if resource in sites_load else load_erl * np.nan
    elif resource in sites_load.columns:
        units = sites_load[resource].reindex(sites).fillna(0.0).astype(float)
        load_erl = offered_load(units, options, resource)
    else:
        msg = f"load table needs a {resource!r} or 'bed_days_per_day' column"
        raise InputError(msg)
    negative = load_erl.index[(load_erl < 0) | load_erl.isna()]
    if len(negative):
        msg = f"negative or missing load at sites {list(negative)[:20]}"
        raise InputError(msg)
    mean_los = fit.mean_days
    cap = capacity_after[resource].reindex(sites).astype(float)
    servers = np.floor(cap.fillna(0.0) + 1e-9).astype(int)

    rows = []
    for pos, site in enumerate(sites):
        a = float(load_erl[site])
        c = int(servers[site])
        lam = a / mean_los
        b = erlang_b(c, a)
        row = {
            "load_units": float(units[site]),
            "offered_load_erlangs": a,
            "arrivals_per_day": lam,
            "servers": c,
            "expected_occupancy": a * (1 - b) / c if c else math.nan,
            "blocking_erlang_b": b if a > 0 else 0.0,
            "servers_for_blocking_target": servers_for_blocking(a, options.blocking_target),
            "wait_probability_erlang_c": math.nan,
            "mean_wait_days_erlang_c": math.nan,
        }
        row["meets_blocking_target"] = bool(row["blocking_erlang_b"] <= options.blocking_target)
        if options.queue_allowed:
            row["wait_probability_erlang_c"] = erlang_c(c, a) if c else (1.0 if a else 0.0)
            row["mean_wait_days_erlang_c"] = erlang_c_mean_wait(c, a, mean_los) if c else math.inf
        sim = dict.fromkeys(
            [
                "sim_blocking",
                "sim_blocking_ci_low",
                "sim_blocking_ci_high",
                "sim_occupancy",
                "sim_mean_wait_days",
                "sim_mean_wait_ci_low",
                "sim_mean_wait_ci_high",
                "sim_wait_probability",
            ],
            math.nan,
        )
        sim_days = math.nan
        if simulate and lam > 0 and c > 0:
            rng = np.random.default_rng([seed, pos])
            reps = options.simulation_replications
            warm = WARMUP_MEAN_LOS * mean_los
            sim_days = options.simulation_days
            cap_days = options.simulation_max_arrivals / lam - warm
            if cap_days < sim_days:
                sim_days = max(cap_days, 10 * mean_los)
                log.info(
                    "site %s: simulated horizon cut to %.0f days (arrival cap)", site, sim_days
                )
            if options.queue_allowed:
                if a >= c:
                    log.warning(
                        "site %s: load %.1f ≥ %d beds, the queue grows without bound", site, a, c
                    )
                w, waited = simulate_queue_runs(
                    lam, c, fit, rng=rng, days=sim_days, warmup_days=warm, replications=reps
                )
                (
                    sim["sim_mean_wait_days"],
                    sim["sim_mean_wait_ci_low"],
                    sim["sim_mean_wait_ci_high"],
                ) = _ci(w)
                sim["sim_wait_probability"] = float(waited.mean())
                sim["sim_blocking"] = 0.0
            else:
                blocked, occupancy = simulate_loss_runs(
                    lam, c, fit, rng=rng, days=sim_days, warmup_days=warm, replications=reps
                )
                sim["sim_blocking"], sim["sim_blocking_ci_low"], sim["sim_blocking_ci_high"] = _ci(
                    blocked
                )
                sim["sim_occupancy"] = float(occupancy.mean())
        elif simulate and lam > 0 and c == 0:
            sim["sim_blocking"] = 1.0
        row.update(sim)
        row["sim_days"] = sim_days
        row["sim_replications"] = options.simulation_replications if simulate else 0
        rows.append(row)
    out = pd.DataFrame(rows, index=sites)
    out.index.name = capacity_after.index.name or "site"
    return out


def queue_check_plan(
    sites: pd.DataFrame,
    los: LosModel | LosFit,
    *,
    options: DemandOptions,
    resource: str | None = None,
    seed: int = 0,
    simulate: bool = True,
) -> pd.DataFrame:
    """:func:`queue_check` on the ``sites`` table of an :class:`~geoalloc.optimize.Allocation`.

    Reads ``<resource>_load`` (units assigned) and ``<resource>_after`` (capacity in the plan);
    closed sites (``open`` false) are left out.
    """
    resource = resource or options.resource
    needed = [f"{resource}_load", f"{resource}_after"]
    missing = [c for c in needed if c not in sites.columns]
    if missing:
        msg = f"allocation sites table lacks {missing} (columns: {list(sites.columns)})"
        raise InputError(msg)
    if "open" in sites.columns:
        sites = sites[sites["open"].astype(bool)]
    load = sites[[f"{resource}_load"]].rename(columns={f"{resource}_load": resource})
    capacity = sites[[f"{resource}_after"]].rename(columns={f"{resource}_after": resource})
    return queue_check(
        load, capacity, los, options=options, resource=resource, seed=seed, simulate=simulate
    )
