"""Queue-check simulation benchmark: the Chicago beds plan's 400 runs, event loop vs counting.

Run from the repo root (one command, about two minutes on 2 busy cores):

    .venv/bin/python bench/queue_sim.py            # --repeat 3 (best of), --scenario PATH

Inputs: the plan of ``examples/chicago/beds.toml`` (real tracts and hospitals from
``../shared/data/chicago_kang2020``), solved once (not timed) with :func:`geoalloc.run`; its open
sites' loads and beds go through :func:`geoalloc.demand.queue.queue_check_plan` as in a run: 40
sites × ``simulation_replications`` (10) runs of 180 days after a 50-day warm-up, seed 0.

Compared, in the same process and run:

- ``reference``: the event loop the queue check used before (kept below verbatim: a heap of the
  times servers fall free, one Python step per arrival, LOS drawn through ``LosFit.frozen.rvs``);
- ``reference, new LOS draws``: the same loop drawing with today's :meth:`LosFit.sample`, to
  separate the two changes;
- ``geoalloc``: :func:`simulate_loss` / :func:`simulate_queue` as the queue check calls them.

Every run's figures must be equal to the reference's (``==`` on floats), and the whole queue-check
table equal too; the script exits 1 otherwise. "loss" is the example as written (beds turn
patients away); "queue" is the same plan with ``queue_allowed = true`` (FCFS waits). Wall times
and CPU (process) times are each the best of ``--repeat`` passes.
"""

from __future__ import annotations

import argparse
import heapq
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geoalloc.demand import queue as queue_module  # noqa: E402
from geoalloc.demand.los import LosFit  # noqa: E402
from geoalloc.demand.queue import (  # noqa: E402
    WARMUP_MEAN_LOS,
    _arrivals,
    queue_check_plan,
    simulate_loss,
    simulate_queue,
)

SEED = 0  # geoalloc.runs.manifest.SEED: the seed a run gives the queue check


def _frozen_draws(los: LosFit, rng: np.random.Generator, size: int) -> np.ndarray:
    return np.asarray(los.frozen.rvs(size=size, random_state=rng), dtype=float)


def _new_draws(los: LosFit, rng: np.random.Generator, size: int) -> np.ndarray:
    return los.sample(rng, size)


def reference_loss(
    arrivals_per_day: float,
    servers: int,
    los: LosFit,
    *,
    rng: np.random.Generator,
    days: float,
    warmup_days: float,
    draws: Callable = _frozen_draws,
) -> tuple[float, float]:
    """The queue check's M/G/c/c run before counting: one heap step per arrival."""
    end = warmup_days + days
    t = _arrivals(rng, arrivals_per_day, end)
    s = draws(los, rng, len(t)) if len(t) else np.empty(0)
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


def reference_queue(
    arrivals_per_day: float,
    servers: int,
    los: LosFit,
    *,
    rng: np.random.Generator,
    days: float,
    warmup_days: float,
    draws: Callable = _frozen_draws,
) -> tuple[float, float]:
    """The queue check's M/G/c FCFS run before counting: one heap step per arrival."""
    end = warmup_days + days
    t = _arrivals(rng, arrivals_per_day, end)
    s = draws(los, rng, len(t)) if len(t) else np.empty(0)
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


def plan_inputs(scenario: Path) -> tuple[pd.DataFrame, LosFit, object]:
    """The solved plan's sites table, its LOS fit and ``[demand]`` options."""
    import geoalloc

    result = geoalloc.run(scenario)
    fit = result.summary["demand_model"]["los"]["fit"]
    los = LosFit(fit["distribution"], dict(fit["params"]))
    return result.plan.sites, los, result.scenario.demand


def run_specs(table: pd.DataFrame, los: LosFit, replications: int) -> list[tuple]:
    """(site position, arrivals per day, servers, days, warm-up) of every simulated site."""
    warm = WARMUP_MEAN_LOS * los.mean_days
    return [
        (pos, float(row.arrivals_per_day), int(row.servers), float(row.sim_days), warm)
        for pos, row in enumerate(table.itertuples())
        if not math.isnan(row.sim_days)
    ]


def all_runs(specs: list[tuple], los: LosFit, replications: int, fn: Callable) -> list:
    out = []
    for pos, lam, servers, days, warm in specs:
        rng = np.random.default_rng([SEED, pos])
        out.append(
            [
                fn(lam, servers, los, rng=rng, days=days, warmup_days=warm)
                for _ in range(replications)
            ]
        )
    return out


def best_of(repeat: int, fn: Callable) -> tuple[float, float, object]:
    """(best wall s, best CPU s, result) over ``repeat`` passes: on a busy machine the least
    disturbed pass is the closest to the work itself, for wall and CPU time alike."""
    wall, cpu, result = math.inf, math.inf, None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, result


def same(a: list, b: list) -> bool:
    flat_a = [x for site in a for run in site for x in run]
    flat_b = [x for site in b for run in site for x in run]
    return len(flat_a) == len(flat_b) and all(
        x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(flat_a, flat_b, strict=True)
    )


def compare(sites: pd.DataFrame, los: LosFit, options, queue_allowed: bool, repeat: int) -> dict:
    """Time the 400 runs and the whole queue check, reference vs geoalloc; check they agree."""
    opts = options.model_copy(update={"queue_allowed": queue_allowed})
    reps = opts.simulation_replications
    specs = run_specs(queue_check_plan(sites, los, options=opts, seed=SEED), los, reps)
    ours = simulate_queue if queue_allowed else simulate_loss
    ref = reference_queue if queue_allowed else reference_loss

    def ref_new_draws(*args, **kwargs):
        return ref(*args, draws=_new_draws, **kwargs)

    row: dict = {"system": "queue" if queue_allowed else "loss", "load": os.getloadavg()[0]}
    row["ref_wall"], row["ref_cpu"], ref_out = best_of(
        repeat, lambda: all_runs(specs, los, reps, ref)
    )
    row["mid_wall"], _, mid_out = best_of(repeat, lambda: all_runs(specs, los, reps, ref_new_draws))
    row["new_wall"], row["new_cpu"], new_out = best_of(
        repeat, lambda: all_runs(specs, los, reps, ours)
    )
    row["runs_equal"] = same(ref_out, new_out) and same(mid_out, new_out)
    row["runs"] = sum(len(site) for site in new_out)
    row["arrivals"] = sum(lam * (days + warm) * reps for _, lam, _, days, warm in specs)

    # the whole queue check, with the reference loop swapped in for the before figure
    name = ours.__name__
    row["qc_new"], _, qc_new = best_of(
        repeat, lambda: queue_check_plan(sites, los, options=opts, seed=SEED)
    )
    setattr(queue_module, name, ref)
    try:
        row["qc_ref"], _, qc_ref = best_of(
            repeat, lambda: queue_check_plan(sites, los, options=opts, seed=SEED)
        )
    finally:
        setattr(queue_module, name, ours)
    try:
        pd.testing.assert_frame_equal(qc_ref, qc_new, check_exact=True)
        row["table_equal"] = True
    except AssertionError:
        row["table_equal"] = False
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "examples/chicago/beds.toml")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    sites, los, options = plan_inputs(args.scenario)
    print(f"plan solved in {time.perf_counter() - started:.1f} s (not timed below)")
    rows = [compare(sites, los, options, allowed, args.repeat) for allowed in (False, True)]
    print(f"\nload average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        "\n| system | runs | arrivals | load | reference s (CPU s) | ref. + new LOS draws s | "
        "geoalloc s (CPU s) | ratio wall (CPU) | ratio to ref. + new draws | "
        "queue_check s before → after | runs / table equal |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['system']} | {r['runs']} | {r['arrivals']:,.0f} | {r['load']:.1f} | "
            f"{r['ref_wall']:.3f} ({r['ref_cpu']:.3f}) | {r['mid_wall']:.3f} | "
            f"{r['new_wall']:.3f} ({r['new_cpu']:.3f}) | "
            f"**{r['ref_wall'] / r['new_wall']:.1f}×** ({r['ref_cpu'] / r['new_cpu']:.1f}×) | "
            f"{r['mid_wall'] / r['new_wall']:.1f}× | {r['qc_ref']:.3f} → {r['qc_new']:.3f} | "
            f"{r['runs_equal']} / {r['table_equal']} |"
        )
    if not all(r["runs_equal"] and r["table_equal"] for r in rows):
        print("MISMATCH: the counting simulation differs from the reference loop", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
