"""Benchmark: the planning map (``map.html``) of 10,000 and 100,000 areas — build seconds, file MB
and the time headless Chromium takes to load and draw it — with the per-polygon map (one GeoJSON
polygon per area, the map of every run up to ``MAP_AREAS_MAX`` areas) as the baseline in the same
run at 10,000 areas.

Geometry and population: the state-scale instance the other state-scale benchmarks share
(``bench/state_instance.py``): on the New York DIMACS road graph (``../shared/data/dimacs_usa_road``,
264,346 nodes, real geometry), the squares of a regular grid in UTM 18N (EPSG:32618) that hold
road nodes, the N with the most nodes; residents proportional to the road nodes times a log-normal
factor (synthetic, stated there), 20 million in all; 2,000 candidate sites in cells drawn by
population, at their cells' road nodes.

Plan values (SYNTHESISED for this benchmark — no solve; the map build, not the plan, is measured):

- demand: 1.2 beds per 1,000 residents;
- sites: 400 of the 2,000 candidate sites, drawn with ``numpy.random.default_rng(17)``, are
  existing; the plan keeps 300 of them, closes 100 and opens 100 of the other 1,600, drawn the
  same way (so 400 are open); an open
  site's beds are 0.8 × the demand of the areas nearest to it within the standard, so about a fifth
  of that demand is unmet;
- minutes: crow-fly (haversine × circuity 1.3 at 40 km/h, as geoalloc's ``crowfly`` network
  computes them) from each area's centre to its nearest open site (the plan) and nearest existing
  site (the baseline); an area beyond the 45-minute standard is unserved; a site serves its areas
  nearest first until it is full, the rest is unmet (``partly served`` / ``unserved``);
- catchments: the union of the squares each open site serves (shapely ``coverage_union_all``).

The layers have every column the run's ``results.gpkg`` has that the map reads (the same names
and units), and the map is built by the real code: ``geoalloc.outputs.maps.write_map``.

Browser: Debian's headless Chromium through Selenium (the flags of ``tests/outputs/test_browser.py``:
nothing leaves the machine), the page served from 127.0.0.1; "load + draw" is the time from the
navigation's start until two animation frames after the load event (the layers' scripts have run
and the first frame with them is painted), the median of 3 loads; the number of SVG paths drawn
and the JS heap in use are read then.

Run from the repository root: ``.venv/bin/python bench/map_scale.py`` (~3 minutes on 2 cores).
Writes its section of ``bench/RESULTS.md`` (replacing the previous one) and prints it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.headless import INSTALL_HINT, browser_paths, chromium, serve  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN = "<!-- bench/map_scale.py: begin (this section is rewritten by the script) -->"
END = "<!-- bench/map_scale.py: end -->"
SEED = 17
SITES, EXISTING, CLOSED, OPENED = 2_000, 400, 100, 100
BEDS_PER_1000 = 1.2
STANDARD_MIN = 45.0
SPEED_KPH, CIRCUITY = 40.0, 1.3


def grid_areas(n_areas: int, lon: np.ndarray, lat: np.ndarray):
    """The areas of the shared state-scale instance (``bench/state_instance.py``): squares in
    EPSG:32618 with their ``population``, and the instance (for its sites)."""
    import geopandas as gpd
    import shapely
    from state_instance import state_instance

    instance = state_instance(lon, lat, n_areas=n_areas, n_sites=SITES)
    half = instance.cell_m / 2
    squares = shapely.box(
        instance.x_m - half, instance.y_m - half, instance.x_m + half, instance.y_m + half
    )
    frame = gpd.GeoDataFrame({"population": instance.population}, geometry=squares, crs=32618)
    return frame, instance


def synthetic_plan(areas, instance, lon: np.ndarray, lat: np.ndarray) -> dict:
    """The layers of a plan on ``areas`` (see the module docstring: values synthesised)."""
    import geopandas as gpd
    import pandas as pd
    import shapely
    from scipy.spatial import cKDTree

    from geoalloc.travel.geodesy import haversine_m

    n = len(areas)
    population = areas["population"].to_numpy(float)
    demand = population * BEDS_PER_1000 / 1000
    centres = areas.geometry.centroid.to_crs(4326)
    alon, alat = centres.x.to_numpy(), centres.y.to_numpy()
    nodes = instance.site_node - 1  # DIMACS ids are 1-based
    slon, slat = lon[nodes], lat[nodes]
    order = np.random.default_rng(SEED).permutation(SITES)  # spread the roles over the region
    existing = np.zeros(SITES, dtype=bool)
    existing[order[:EXISTING]] = True
    open_ = existing.copy()
    open_[order[EXISTING - CLOSED : EXISTING]] = False  # closed by the plan
    open_[order[EXISTING : EXISTING + OPENED]] = True  # opened by the plan

    def nearest(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids = np.flatnonzero(mask)
        scale = np.cos(np.radians(np.mean(alat)))
        tree = cKDTree(np.c_[slon[ids] * scale, slat[ids]])
        _, k = tree.query(np.c_[alon * scale, alat], k=1)
        site = ids[k]
        metres = haversine_m(alon, alat, slon[site], slat[site])
        return site, metres * CIRCUITY / (SPEED_KPH * 1000 / 60)

    site, minutes = nearest(open_)
    base_site, base_minutes = nearest(existing)
    reach = minutes <= STANDARD_MIN
    capacity = np.zeros(SITES)
    np.add.at(capacity, site[reach], demand[reach])
    capacity = np.floor(0.8 * capacity)
    served = np.zeros(n)
    left = capacity.copy()
    for i in np.lexsort((minutes, site)):  # nearest first at each site
        if reach[i] and left[site[i]] > 0:
            served[i] = min(demand[i], left[site[i]])
            left[site[i]] -= served[i]
    unmet = demand - served
    status = np.where(
        demand <= 0,
        "no demand",
        np.where(
            ~reach,
            "unserved",
            np.where(unmet <= 1e-9, "served", np.where(served > 0, "partly served", "unserved")),
        ),
    )
    site_ids = np.array([f"S{i:04d}" for i in range(SITES)], dtype=object)
    assigned = served > 0
    area_ids = np.array([f"A{i:06d}" for i in range(n)], dtype=object)
    layer = areas.assign(
        area_id=area_ids,
        population=population,
        demand_beds=demand,
        served_beds=served,
        unmet_beds=unmet,
        site=np.where(assigned, site_ids[site], None),
        minutes=np.where(assigned, minutes, np.inf),
        nearest_open_minutes=minutes,
        baseline_site=site_ids[base_site],
        baseline_minutes=base_minutes,
        status=status,
        travel_flag=None,
        far_snap=False,
    )
    load = np.bincount(site, weights=served, minlength=SITES)
    base_load = np.bincount(base_site, weights=demand, minlength=SITES)
    before = np.where(existing, np.maximum(capacity, 10.0), 0.0)
    after = np.where(open_, np.maximum(capacity, 10.0), 0.0)
    statuses = np.select(
        [existing & open_, existing & ~open_, ~existing & open_],
        ["kept", "closed", "opened"],
        "candidate not chosen",
    )
    facilities = gpd.GeoDataFrame(
        {
            "site_id": site_ids,
            "name": [f"site {i}" for i in range(SITES)],
            "existing": existing,
            "open": open_,
            "beds_before": before,
            "beds_after": after,
            "beds_load": load,
            "beds_utilisation": np.where(after > 0, load / np.maximum(after, 1e-9), np.nan),
            "beds_baseline_load": np.where(existing, base_load, np.nan),
            "beds_baseline_utilisation": np.where(existing, base_load / before.clip(1e-9), np.nan),
            "status": statuses,
        },
        geometry=gpd.points_from_xy(slon, slat),
        crs=4326,
    )
    rows = np.flatnonzero(assigned)
    lines = shapely.linestrings(
        np.stack([np.c_[alon[rows], alat[rows]], np.c_[slon[site[rows]], slat[site[rows]]]], axis=1)
    )
    assignments = gpd.GeoDataFrame(
        {
            "area": area_ids[rows],
            "site": site_ids[site[rows]],
            "resource": "beds",
            "quantity": served[rows],
            "minutes": minutes[rows],
        },
        geometry=lines,
        crs=4326,
    )
    served_by = pd.Series(site_ids[site[rows]])
    shapes = layer.geometry.to_numpy()[rows]
    pops = population[rows]
    catchment_rows = []
    for s, index in served_by.groupby(served_by).groups.items():
        idx = np.asarray(index)
        catchment_rows.append((s, float(pops[idx].sum()), shapely.coverage_union_all(shapes[idx])))
    catchments = gpd.GeoDataFrame(
        {"site": [r[0] for r in catchment_rows], "population": [r[1] for r in catchment_rows]},
        geometry=[r[2] for r in catchment_rows],
        crs=32618,
    )
    summary = plan_summary(layer, facilities)
    return {
        "layers": {
            "areas": layer,
            "facilities": facilities,
            "assignments": assignments,
            "catchments": catchments,
        },
        "summary": summary,
    }


def plan_summary(areas, facilities) -> dict:
    """The summary fields the map's title box reads."""
    pop = areas["population"].to_numpy(float)

    def kpis(minutes: np.ndarray, unmet: float, sites_open: int) -> dict:
        finite = np.isfinite(minutes)
        return {
            "covered_pct": 100 * float(pop[minutes <= STANDARD_MIN].sum() / pop.sum()),
            "minutes_mean": float(np.average(minutes[finite], weights=pop[finite] + 1e-12)),
            "minutes_p90": float(np.quantile(minutes[finite], 0.9)),
            "sites_open": sites_open,
            "unmet": {"beds": unmet},
        }

    plan = kpis(
        areas["minutes"].to_numpy(float),
        float(areas["unmet_beds"].sum()),
        int(facilities["open"].sum()),
    )
    base = kpis(
        areas["baseline_minutes"].to_numpy(float), float("nan"), int(facilities["existing"].sum())
    )
    return {
        "scenario": f"new-york-grid-{len(areas)}",
        "model": "synthesised plan (benchmark)",
        "max_minutes": STANDARD_MIN,
        "resources": ["beds"],
        "plan": plan,
        "baseline": base,
    }


@contextlib.contextmanager
def headless_chromium() -> Iterator[object]:
    """A headless Chromium (Selenium) that reaches 127.0.0.1 only."""
    paths = browser_paths()
    if paths is None:
        raise SystemExit(f"needs a headless browser: {INSTALL_HINT}")
    with chromium(paths, probe=PROBE, timeout_s=300) as browser:
        yield browser


#: records the page's uncaught script errors
PROBE = """
window.__errors = [];
window.addEventListener('error', function (e) {
  if (e.target && e.target !== window) { return; }
  window.__errors.push(String(e.message || e.type));
}, true);
"""
DRAWN = """
var done = arguments[arguments.length - 1];
requestAnimationFrame(function () { requestAnimationFrame(function () {
  var paths = document.querySelectorAll('.leaflet-overlay-pane path, .leaflet-marker-pane path');
  done({ms: performance.now(), paths: paths.length,
        cells: document.querySelectorAll('path.geoalloc-cell').length,
        heap_mb: performance.memory ? performance.memory.usedJSHeapSize / 1e6 : null,
        errors: window.__errors || []});
}); });
"""


def load_and_draw(browser, url: str, repeats: int = 3) -> dict:
    """Median seconds from navigation to two frames after the load event, over ``repeats``."""
    from selenium.webdriver.support.ui import WebDriverWait

    runs = []
    for _ in range(repeats):
        browser.get("about:blank")
        browser.get(url)
        WebDriverWait(browser, 300).until(
            lambda b: b.execute_script("return document.readyState") == "complete"
        )
        runs.append(browser.execute_async_script(DRAWN))
    seconds = statistics.median(r["ms"] / 1000 for r in runs)
    last = runs[-1]
    return {
        "draw_s": seconds,
        "paths": last["paths"],
        "cells": last["cells"],
        "heap_mb": last["heap_mb"],
        "errors": last["errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="area counts, comma-separated")
    parser.add_argument(
        "--baseline-max", type=int, default=10_000, help="per-polygon baseline up to this size"
    )
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()

    from dimacs_ny import read_dimacs

    from geoalloc.outputs.display_grid import MAP_AREAS_MAX
    from geoalloc.outputs.maps import write_map

    load = os.getloadavg()
    _, _, _, lon, lat = read_dimacs()
    rows = []
    out = Path(tempfile.mkdtemp(prefix="geoalloc-map-scale-"))
    try:
        with headless_chromium() as browser, serve(out) as base_url:
            for n in (int(s) for s in args.sizes.split(",")):
                started = time.perf_counter()
                areas, instance = grid_areas(n, lon, lat)
                cell_m = instance.cell_m
                plan = synthetic_plan(areas, instance, lon, lat)
                made_s = time.perf_counter() - started
                short = int((plan["layers"]["areas"]["unmet_beds"] > 1e-9).sum())
                print(
                    f"{n:,} areas of {cell_m:,.0f} m, {short:,} short; plan made in {made_s:.1f} s",
                    file=sys.stderr,
                )
                variants = [("display grid (default)", MAP_AREAS_MAX)]
                if n <= args.baseline_max:
                    variants.append(("per polygon (baseline)", n + 1))
                for label, max_areas in variants:
                    name = f"map_{n}_{max_areas}.html"
                    started = time.perf_counter()
                    write_map(out / name, plan["layers"], plan["summary"], max_areas=max_areas)
                    build_s = time.perf_counter() - started
                    mb = (out / name).stat().st_size / 1e6
                    browser_figures = load_and_draw(browser, f"{base_url}/{name}")
                    row = {"areas": n, "cell_m": cell_m, "map": label, "build_s": build_s}
                    row |= {"mb": mb} | browser_figures
                    print(row, file=sys.stderr)
                    rows.append(row)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    section = report(rows, load, os.getloadavg())
    print(section)
    if not args.no_write:
        write_section(section)


def report(rows: list[dict], load_before: tuple, load_after: tuple) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        BEGIN,
        "## Map at scale (issue 17, target 3: a map that opens) — `bench/map_scale.py`",
        "",
        "Command: `.venv/bin/python bench/map_scale.py` (from the repo root). Areas and "
        "population: the shared state-scale instance (`bench/state_instance.py`: squares over "
        "the New York DIMACS graph's road nodes, synthetic population, 20 M in all); **plan "
        "values synthesised** (crow-fly nearest open site, capacity for 80 % "
        "of the demand near each site: no solve — see the script's docstring); map built by "
        "`geoalloc.outputs.maps.write_map`; load + draw in headless Chromium from 127.0.0.1, "
        "median of 3 loads. Targets: 100,000 areas open in < 5 s and < 30 MB.",
        "",
        f"Run {when}; load average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/"
        f"{load_before[2]:.2f}, after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f} "
        "on 2 cores.",
        "",
        "| areas | area cell | map | build s | map.html MB | load + draw s | SVG paths | "
        "display cells | JS heap MB | script errors |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        heap = f"{r['heap_mb']:.0f}" if r["heap_mb"] is not None else "–"
        lines.append(
            f"| {r['areas']:,} | {r['cell_m']:,.0f} m | {r['map']} | {r['build_s']:.1f} | "
            f"{r['mb']:.1f} | **{r['draw_s']:.2f}** | {r['paths']:,} | {r['cells']:,} | {heap} | "
            f"{len(r['errors'])} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def write_section(section: str) -> None:
    text = RESULTS.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
