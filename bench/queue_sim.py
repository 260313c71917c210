"""Queue-check simulation benchmark: the Chicago beds plan's 400 runs, former event loop vs now.

Run from the repo root (one command, about a minute on 2 busy cores):

    .venv/bin/python bench/queue_sim.py            # --repeat 3 (best of), --scenario PATH

Inputs: the plan of ``examples/chicago/beds.toml`` (real tracts and hospitals from
``../shared/data/chicago_kang2020``), solved once (not timed) with :func:`geoalloc.run`; its open
sites' loads and beds go through :func:`geoalloc.demand.queue.queue_check_plan` as in a run: 40
sites × ``simulation_replications`` (10) runs of 180 days after a 50-day warm-up, seed 0.

Compared, in the same process and run:

- ``reference``: the event loop the queue check used up to geoalloc 0.1.0, with its random stream
  (``tests/demand/_reference_queue.py``: per run a Poisson count, sorted uniform times, stays
  drawn by scipy; a heap step per arrival), 10 consecutive runs per site from the site's
  generator;
- ``geoalloc``: :func:`simulate_loss_runs` / :func:`simulate_queue_runs` as the queue check calls
  them (one call per site for its 10 runs, the random stream of the module notes).

The two draw different random numbers, so their figures are compared statistically: per site,
Welch's t-test of the 10 runs of each (blocked share and occupancy for "loss", mean wait and
waiting share for "queue"; sites where neither shows any blocking or wait have nothing to test),
and the smallest p-value times the number of tests (Bonferroni) must stay above 0.001; the script
exits 1 otherwise. Beside it, how many of the sites' 95 % intervals (geoalloc's queue check) hold
the Erlang-B blocking (loss). "loss" is the example as written (beds turn patients away); "queue"
is the same plan with ``queue_allowed = true`` (FCFS waits). Wall times and CPU (process) times
are each the best of ``--repeat`` passes.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
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
    queue_check_plan,
    simulate_loss_runs,
    simulate_queue_runs,
)
from tests.demand._reference_queue import reference_loss, reference_queue  # noqa: E402

SEED = 0  # geoalloc.runs.manifest.SEED: the seed a run gives the queue check


def plan_inputs(scenario: Path) -> tuple[pd.DataFrame, LosFit, object]:
    """The solved plan's sites table, its LOS fit and ``[demand]`` options."""
    import geoalloc

    result = geoalloc.run(scenario)
    fit = result.summary["demand_model"]["los"]["fit"]
    los = LosFit(fit["distribution"], dict(fit["params"]))
    return result.plan.sites, los, result.scenario.demand


def run_specs(table: pd.DataFrame, los: LosFit) -> list[tuple]:
    """(site position, arrivals per day, servers, days, warm-up) of every simulated site."""
    warm = WARMUP_MEAN_LOS * los.mean_days
    return [
        (pos, float(row.arrivals_per_day), int(row.servers), float(row.sim_days), warm)
        for pos, row in enumerate(table.itertuples())
        if not math.isnan(row.sim_days)
    ]


def one_at_a_time(reference: Callable) -> Callable:
    """The reference loop behind the signature of ``simulate_*_runs``: R consecutive runs."""

    def runs(lam, servers, los, *, rng, days, warmup_days, replications):
        out = [
            reference(lam, servers, los, rng=rng, days=days, warmup_days=warmup_days)
            for _ in range(replications)
        ]
        return np.array([r[0] for r in out]), np.array([r[1] for r in out])

    return runs


def all_runs(specs: list[tuple], los: LosFit, replications: int, fn: Callable) -> list:
    """Per site, the two per-run figure arrays of ``fn`` (a ``simulate_*_runs``)."""
    return [
        fn(
            lam,
            servers,
            los,
            rng=np.random.default_rng([SEED, pos]),
            days=days,
            warmup_days=warm,
            replications=replications,
        )
        for pos, lam, servers, days, warm in specs
    ]


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


def welch_p(ref: list, new: list) -> list[float]:
    """Welch's t-test p-values, per site and figure, where either side varies."""
    from scipy import stats

    p = []
    for (r0, r1), (n0, n1) in zip(ref, new, strict=True):
        for a, b in ((r0, n0), (r1, n1)):
            a, b = a[~np.isnan(a)], b[~np.isnan(b)]
            if len(a) < 2 or len(b) < 2 or (np.ptp(a) == 0 and np.ptp(b) == 0):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                p.append(float(stats.ttest_ind(a, b, equal_var=False).pvalue))
    return p


def compare(sites: pd.DataFrame, los: LosFit, options, queue_allowed: bool, repeat: int) -> dict:
    """Time the 400 runs and the whole queue check, reference vs geoalloc; test their figures."""
    opts = options.model_copy(update={"queue_allowed": queue_allowed})
    reps = opts.simulation_replications
    specs = run_specs(queue_check_plan(sites, los, options=opts, seed=SEED), los)
    ours = simulate_queue_runs if queue_allowed else simulate_loss_runs
    ref = one_at_a_time(reference_queue if queue_allowed else reference_loss)

    row: dict = {"system": "queue" if queue_allowed else "loss", "load": os.getloadavg()[0]}
    row["ref_wall"], row["ref_cpu"], ref_out = best_of(
        repeat, lambda: all_runs(specs, los, reps, ref)
    )
    row["new_wall"], row["new_cpu"], new_out = best_of(
        repeat, lambda: all_runs(specs, los, reps, ours)
    )
    row["runs"] = reps * len(specs)
    row["arrivals"] = sum(lam * (days + warm) * reps for _, lam, _, days, warm in specs)
    p = welch_p(ref_out, new_out)
    row["tests"], row["min_p"] = len(p), min(p, default=math.nan)
    row["bonferroni"] = min(1.0, row["min_p"] * len(p)) if p else math.nan

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
    if queue_allowed:
        row["figure"] = (
            f"mean wait over sites {qc_new['sim_mean_wait_days'].mean() * 24:.2f} h "
            f"(reference {qc_ref['sim_mean_wait_days'].mean() * 24:.2f} h, Erlang-C "
            f"{qc_new['mean_wait_days_erlang_c'].mean() * 24:.2f} h)"
        )
    else:
        inside = (qc_new["sim_blocking_ci_low"] <= qc_new["blocking_erlang_b"]) & (
            qc_new["blocking_erlang_b"] <= qc_new["sim_blocking_ci_high"]
        )
        busy = qc_new["blocking_erlang_b"] > 1e-4
        row["figure"] = (
            f"mean blocking over sites {qc_new['sim_blocking'].mean():.4f} (reference "
            f"{qc_ref['sim_blocking'].mean():.4f}, Erlang-B {qc_new['blocking_erlang_b'].mean():.4f}); "
            f"Erlang-B inside the 95 % interval at {int(inside[busy].sum())} of {int(busy.sum())} "
            "sites with blocking > 0.01 %"
        )
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
        "\n| system | runs | arrivals | load | reference s (CPU s) | geoalloc s (CPU s) | "
        "ratio wall (CPU) | queue_check s before → after | Welch tests, min p (× tests) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['system']} | {r['runs']} | {r['arrivals']:,.0f} | {r['load']:.1f} | "
            f"{r['ref_wall']:.3f} ({r['ref_cpu']:.3f}) | {r['new_wall']:.3f} ({r['new_cpu']:.3f}) | "
            f"**{r['ref_wall'] / r['new_wall']:.1f}×** ({r['ref_cpu'] / r['new_cpu']:.1f}×) | "
            f"{r['qc_ref']:.3f} → {r['qc_new']:.3f} | "
            f"{r['tests']}, {r['min_p']:.3g} ({r['bonferroni']:.3g}) |"
        )
    for r in rows:
        print(f"{r['system']}: {r['figure']}")
    if any(r["bonferroni"] < 1e-3 for r in rows):
        print("DIFFERENT: the simulation's figures differ from the reference's", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
