"""Benchmark: the Chicago run's map build (``examples/chicago/beds.toml``: 878 tracts, 66 hospitals)
— what ``geoalloc run`` spends on ``map.html`` after the plan: importing the map code, building the
Folium map and rendering the page — in fresh processes, this checkout against another one (e.g.
``main``) in the same run.

The run is made once (with this checkout) and its layers and summary pickled; each child process
imports geopandas and ``geoalloc.runs.planning`` (what a run has loaded before its map), then times
``import geoalloc.outputs.maps``, ``map_of_run(layers, summary)`` and ``map_html(fmap)`` (wall
clock, one build per process: the first build is the one a run pays). The two checkouts alternate,
``--repeats`` times each; the table gives medians, and whether the two pages are the same (element
ids aside).

Run from the repository root: ``.venv/bin/python bench/map_build.py --baseline ../main`` (~2 minutes).
Writes its section of ``bench/RESULTS.md`` (replacing the previous one) and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN = "<!-- bench/map_build.py: begin (this section is rewritten by the script) -->"
END = "<!-- bench/map_build.py: end -->"

CHILD = """
import json, pickle, sys, time
layers, summary = pickle.load(open(sys.argv[1], "rb"))
import geopandas, geoalloc.runs.planning
t0 = time.perf_counter()
import geoalloc.outputs.maps
from geoalloc.outputs.leaflet import map_html
t1 = time.perf_counter()
fmap = geoalloc.outputs.maps.map_of_run(layers, summary)
t2 = time.perf_counter()
page = map_html(fmap)
t3 = time.perf_counter()
open(sys.argv[2], "w", encoding="utf-8").write(page)
print(json.dumps({"import_s": t1 - t0, "build_s": t2 - t1, "render_s": t3 - t2,
                  "mapclassify": "mapclassify" in sys.modules, "sklearn": "sklearn" in sys.modules}))
"""


def chicago_layers(path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from geoalloc.runs import run_scenario
    from geoalloc.scenario import load_scenario

    result = run_scenario(load_scenario(ROOT / "examples" / "chicago" / "beds.toml"))
    with path.open("wb") as f:
        pickle.dump((dict(result.layers), dict(result.summary)), f)


def normalised(page: str) -> str:
    """The page with its random element ids numbered in order of appearance."""
    ids: dict[str, str] = {}
    return re.sub(r"[0-9a-f]{32}", lambda m: ids.setdefault(m.group(0), f"id{len(ids)}"), page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to compare (e.g. ../main)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    trees = {"this checkout": ROOT}
    if args.baseline is not None:
        trees = {f"baseline ({args.baseline})": args.baseline.resolve(), **trees}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="geoalloc-map-build-") as tmp:
        data = Path(tmp) / "chicago.pkl"
        chicago_layers(data)
        times: dict[str, list[dict]] = {label: [] for label in trees}
        pages: dict[str, str] = {}
        for _ in range(args.repeats):
            for label, tree in trees.items():
                page = Path(tmp) / f"{len(pages)}.html"
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, str(data), str(page)],
                    env=os.environ | {"PYTHONPATH": str(tree)},
                    cwd=tree,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                times[label].append(json.loads(done.stdout.strip().splitlines()[-1]))
                pages[label] = normalised(page.read_text(encoding="utf-8"))
    same = len(set(pages.values())) == 1
    section = report(times, same, load_before, os.getloadavg(), args.repeats)
    print(section)
    if not args.no_write:
        text = RESULTS.read_text(encoding="utf-8")
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            text = head + section + rest.split(END, 1)[1]
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        RESULTS.write_text(text, encoding="utf-8")


def report(times: dict, same: bool, before: tuple, after: tuple, repeats: int) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        BEGIN,
        "## Chicago map build (issue 17, target 2: the writes) — `bench/map_build.py`",
        "",
        "Command: `.venv/bin/python bench/map_build.py --baseline ../main` (from the repo root). "
        "The map of `examples/chicago/beds.toml` (878 tracts, 66 hospitals) built in fresh "
        "processes after the imports a run has made: importing the map code, `map_of_run`, "
        f"`map_html`; medians of {repeats} processes per checkout, alternating.",
        "",
        f"Run {when}; load average (1/5/15 min) before {before[0]:.2f}/{before[1]:.2f}/"
        f"{before[2]:.2f}, after {after[0]:.2f}/{after[1]:.2f}/{after[2]:.2f} on 2 cores. "
        f"Pages identical (element ids aside): {'yes' if same else 'NO'}.",
        "",
        "| checkout | import s | build s | render s | total s | imports scikit-learn |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for label, rows in times.items():
        med = {
            k: statistics.median(r[k] for r in rows) for k in ("import_s", "build_s", "render_s")
        }
        total = statistics.median(r["import_s"] + r["build_s"] + r["render_s"] for r in rows)
        lines.append(
            f"| {label} | {med['import_s']:.2f} | {med['build_s']:.2f} | {med['render_s']:.2f} | "
            f"**{total:.2f}** | {'yes' if rows[0]['sklearn'] else 'no'} |"
        )
    lines += ["", END]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
