"""How long ``geoalloc robust`` takes for 200 draws of the Chicago ICU scenario, per executor.

The scenario is ``examples/chicago_robust/icu_robust.toml`` (878 tracts × 66 hospitals, 3
resources, ICU beds and ventilators expandable). The same run — ``draws`` draws, seed 1 — is made
three times, one after the other in this process: serial, 2 worker processes, and a Dask
LocalCluster of 2 single-threaded workers (started in the run). Per case:

- wall seconds of the whole run and CPU seconds (user + system of this process and of its
  finished children, i.e. the worker processes);
- the run's own timings (``summary["timings_s"]``: read, travel, solve, draws, saa, evaluate) and
  its per-draw cost (``summary["robustness"]["per_draw"]``: a draw's solve against a bare
  ``solve()`` of the base problem, both measured in the same run);
- the 1-minute load average before and after (the machine is shared).

The three runs must give identical results: the ``facilities`` and ``areas`` layers and the KPIs
(distributions, robust vs mean comparison, coin-toss sites, the sample-average objective). The
script exits 1 when they do not, or when a target is missed: a draw costs ≤ 1.5× a bare solve
(serial: wall seconds; with 2 workers, CPU seconds — a draw's wall time in a worker also counts the
other worker and the main process sharing the 2 cores, so the table gives the draws' wall time ÷ N
÷ the bare solve beside it), and the 2-core cases (processes, Dask) take < 5 minutes.

Command (from the repo root; needs ../shared/data; ~12 minutes on a quiet machine)::

    PYTHONPATH=$PWD .venv/bin/python bench/robust_draws.py [--draws 200] [--seed 1]
        [--workers 2] [--cases serial processes dask] [--out DIR]

``--out DIR`` writes the serial run's folder there (``geoalloc report`` reads it). Prints a
Markdown table on stdout (copy it into bench/RESULTS.md); logs on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from geoalloc.parallel import ComputeOptions
from geoalloc.runs.result import RunResult
from geoalloc.runs.robust import run_robust, with_robustness
from geoalloc.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "examples" / "chicago_robust" / "icu_robust.toml"
#: targets of issue 16
MAX_DRAW_RATIO = 1.5
MAX_WALL_S = 300.0
#: the KPIs that must be the same on every executor (timings and the executor's name are not)
KPI_KEYS = (
    "draws",
    "draws_solved",
    "draws_not_solved",
    "saa_draws",
    "evaluated",
    "kpis",
    "comparison",
    "coin_toss_sites",
    "areas_below",
    "draw_factors",
)

log = logging.getLogger("bench.robust_draws")


def cpu_seconds() -> float:
    """User + system CPU of this process and of its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_case(executor: str, draws: int, seed: int, workers: int) -> tuple[RunResult, dict]:
    """One ``geoalloc robust`` run on ``executor``; its result and measurements."""
    scenario = with_robustness(load_scenario(SCENARIO), draws=draws, seed=seed)
    compute = ComputeOptions(executor=executor, workers=None if executor == "serial" else workers)
    load_before = os.getloadavg()
    started, cpu = time.perf_counter(), cpu_seconds()
    result = run_robust(scenario, compute=compute)
    wall_s, cpu_s = time.perf_counter() - started, cpu_seconds() - cpu
    load_after = os.getloadavg()
    robustness = result.summary["robustness"]
    row = {
        "executor": executor,
        "workers": 1 if executor == "serial" else workers,
        "wall_s": wall_s,
        "cpu_s": cpu_s,
        "load_before": load_before[0],
        "load_after": load_after[0],
        "timings_s": dict(result.summary["timings_s"]),
        "per_draw": dict(robustness["per_draw"]),
        "saa": {k: robustness["saa"][k] for k in ("status", "gap", "solve_s", "build_s")},
    }
    log.info("%s: %.1f s wall, %.1f s CPU, load %.1f → %.1f", executor, wall_s, cpu_s,
             load_before[0], load_after[0])  # fmt: skip
    return result, row


def _plain(value: Any) -> Any:
    """JSON-comparable copy (tuples → lists, numpy scalars → floats)."""
    return json.loads(json.dumps(value, default=float))


def differences(reference: RunResult, other: RunResult) -> list[str]:
    """What differs between two runs' layers and KPIs (empty when identical)."""
    problems: list[str] = []
    for name in ("facilities", "areas"):
        a, b = reference.layers[name], other.layers[name]
        if not a.geometry.geom_equals_exact(b.geometry, tolerance=0).all():
            problems.append(f"{name}: geometries differ")
        try:
            pd.testing.assert_frame_equal(
                pd.DataFrame(a.drop(columns="geometry")),
                pd.DataFrame(b.drop(columns="geometry")),
                check_exact=True,
            )
        except AssertionError as exc:
            problems.append(f"{name}: {str(exc).splitlines()[0]}")
    ra, rb = reference.summary["robustness"], other.summary["robustness"]
    for key in KPI_KEYS:
        if _plain(ra[key]) != _plain(rb[key]):
            problems.append(f"summary robustness {key!r} differs")
    for key in ("objective", "expected_unmet", "status"):
        if ra["saa"][key] != rb["saa"][key]:
            problems.append(f"sample-average {key}: {ra['saa'][key]} vs {rb['saa'][key]}")
    for key in ("area_status", "costs"):
        if _plain(reference.summary[key]) != _plain(other.summary[key]):
            problems.append(f"summary {key!r} differs")
    return problems


def machine() -> str:
    pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return (
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"{pages * page_size / 2**30:.0f} GB RAM, Python {platform.python_version()}"
    )


def table(rows: list[dict]) -> str:
    stages = ("read", "travel", "solve", "draws", "saa", "evaluate", "write")
    present = [s for s in stages if any(s in r["timings_s"] for r in rows)]
    head = (
        "| executor | wall s | CPU s | load before → after | "
        + " | ".join(f"{s} s" for s in present)
        + " | draw s (mean) | bare solve s | draw ÷ bare (wall) | draw ÷ bare (CPU) "
        "| draws wall s ÷ N ÷ bare |"
    )
    lines = [head, "|---|" + "---:|" * (3 + len(present) + 5)]
    for r in rows:
        pd_ = r["per_draw"]
        cpu_ratio = pd_["cpu_ratio_to_bare_solve"]
        lines.append(
            f"| {r['executor']} ({r['workers']}) | **{r['wall_s']:.1f}** | {r['cpu_s']:.1f} | "
            f"{r['load_before']:.1f} → {r['load_after']:.1f} | "
            + " | ".join(f"{r['timings_s'].get(s, 0.0):.1f}" for s in present)
            + f" | {pd_['draw_solve_s_mean']:.2f} | {pd_['bare_solve_s']:.2f} | "
            f"**{pd_['ratio_to_bare_solve']:.2f}** | "
            + (f"{cpu_ratio:.2f}" if cpu_ratio is not None else "–")
            + f" | {pd_['wall_s_per_draw'] / pd_['bare_solve_s']:.2f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--cases", nargs="+", default=["serial", "processes", "dask"],
        choices=["serial", "processes", "dask"],
    )  # fmt: skip
    parser.add_argument("--out", type=Path, help="write the first case's run folder here")
    parser.add_argument("--json", type=Path, help="write the measurements here as JSON")
    args = parser.parse_args()
    handler = logging.StreamHandler()
    handler.addFilter(lambda r: r.levelno >= logging.WARNING or r.name.startswith("bench"))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(message)s", handlers=[handler]
    )

    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rows: list[dict] = []
    results: list[RunResult] = []
    for executor in args.cases:
        result, row = run_case(executor, args.draws, args.seed, args.workers)
        results.append(result)
        rows.append(row)
        if args.out is not None and len(results) == 1:
            result.write(args.out, overwrite=True)
    failures: list[str] = []
    for executor, result in zip(args.cases[1:], results[1:], strict=True):
        for problem in differences(results[0], result):
            failures.append(f"{executor} vs {args.cases[0]}: {problem}")
    for row in rows:
        # a draw's own wall time in a worker also counts the other worker and the main process
        # competing for the 2 cores: with workers, its CPU seconds are the cost compared
        key = "ratio_to_bare_solve" if row["workers"] == 1 else "cpu_ratio_to_bare_solve"
        ratio = row["per_draw"][key]
        if ratio is None or ratio > MAX_DRAW_RATIO:
            failures.append(f"{row['executor']}: a draw costs {ratio:.2f} × a bare solve ({key})")
        if row["workers"] >= 2 and row["wall_s"] >= MAX_WALL_S:
            failures.append(f"{row['executor']}: {row['wall_s']:.0f} s ≥ {MAX_WALL_S:.0f} s")

    robustness = results[0].summary["robustness"]
    saa = robustness["saa"]
    print(f"Run {started} – {time.strftime('%H:%M UTC', time.gmtime())}; {machine()}; "
          f"{args.draws} draws, seed {args.seed}.\n")  # fmt: skip
    print(table(rows))
    print(
        f"\nSample-average model: {saa['n_draws']} draws, {saa['columns']:,} columns, "
        f"{saa['rows']:,} rows, {saa['status']}, gap {saa['gap']}. Draws solved: "
        f"{robustness['draws_solved']} of {robustness['draws']}."
    )
    same = not any("vs" in f for f in failures)
    print(f"Identical layers and KPIs on {', '.join(args.cases)}: {'yes' if same else 'NO'}.")
    for failure in failures:
        print(f"FAILED: {failure}")
    if args.json is not None:
        args.json.write_text(json.dumps({"rows": rows, "failures": failures}, indent=1))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
