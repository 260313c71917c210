"""Benchmark: population zonal sums, geoalloc's ``raster_population`` (exactextract, exact
fractional coverage) against rasterstats' ``zonal_stats(..., stats="sum")``, in the same run.

Data (written to a temporary folder, deleted at the end; nothing is committed):

- raster: 10,000 × 10,000 pixels of 25 m in EPSG:3879 (the Helsinki region's GK25 lattice), a
  250 km square centred on Helsinki (x 25,372,000…25,622,000, y 6,547,000…6,797,000), float32,
  tiled 512 × 512, uncompressed (400 MB); values drawn with ``numpy.random.default_rng(14)``: a
  pixel is empty (0) with probability 0.6, else log-normal persons (μ = 0, σ = 1: median 1,
  mean 1.65); 1 % of the pixels are nodata (−99999);
- areas: 100,000 rectangles of 620 m × 990 m (a 400 × 250 grid), offset by (137 m, 91 m) from the
  raster's corner so that no edge follows the pixel lattice: each area covers ~982 pixels, ~130
  of them partly.

Each method runs in a fresh process (this script with ``--child``): the process imports its
library and reads the areas, then the call alone is timed (wall clock); peak memory is the
process's peak resident set (``VmHWM`` of ``/proc/self/status``), also given above its resident
set just before the call. rasterstats (~5 ms an area here) runs on a random subset of the areas
(``--rasterstats-areas``, default 10,000), and geoalloc runs on that subset too, so the two are
compared on the same areas, per-area rates and sums (rasterstats counts a pixel whole when its
centre is in the area, ``all_touched=False``; exactextract by the share of it the area covers).

Run from the repository root: ``.venv/bin/python bench/zonal_sums.py`` (~2 minutes on 2 cores). Writes its
section of ``bench/RESULTS.md`` (replacing the previous one) and prints it; logs on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN = "<!-- bench/zonal_sums.py: begin (this section is rewritten by the script) -->"
END = "<!-- bench/zonal_sums.py: end -->"

PIXELS = 10_000
PIXEL_M = 25.0
LEFT, TOP = 25_372_000.0, 6_797_000.0  # EPSG:3879: a 250 km square centred on Helsinki
CRS = "EPSG:3879"
NODATA = -99999.0
EMPTY_SHARE, NODATA_SHARE = 0.6, 0.01
COLUMNS, ROWS = 400, 250
CELL_W, CELL_H = 620.0, 990.0
OFFSET_X, OFFSET_Y = 137.0, 91.0
SEED = 14


def write_raster(path: Path, pixels: int) -> None:
    import rasterio
    from affine import Affine
    from rasterio.windows import Window

    rng = np.random.default_rng(SEED)
    profile = {
        "driver": "GTiff",
        "width": pixels,
        "height": pixels,
        "count": 1,
        "dtype": "float32",
        "crs": CRS,
        "transform": Affine(PIXEL_M, 0.0, LEFT, 0.0, -PIXEL_M, TOP),
        "nodata": NODATA,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
    }
    with rasterio.open(path, "w", **profile) as raster:
        for row in range(0, pixels, 512):
            height = min(512, pixels - row)
            values = rng.lognormal(0.0, 1.0, (height, pixels)).astype("float32")
            values[rng.random((height, pixels)) < EMPTY_SHARE] = 0.0
            values[rng.random((height, pixels)) < NODATA_SHARE] = NODATA
            raster.write(values, 1, window=Window(0, row, pixels, height))


def write_areas(path: Path, pixels: int) -> int:
    import geopandas as gpd
    import shapely

    scale = pixels / PIXELS  # a smaller raster (--pixels) keeps the same grid, scaled
    width, height = CELL_W * scale, CELL_H * scale
    xs = LEFT + OFFSET_X * scale + width * np.arange(COLUMNS)
    ys = TOP - OFFSET_Y * scale - height * (np.arange(ROWS) + 1)
    xx, yy = np.meshgrid(xs, ys)
    boxes = shapely.box(xx.ravel(), yy.ravel(), xx.ravel() + width, yy.ravel() + height)
    areas = gpd.GeoDataFrame(
        {"area_id": [f"a{i}" for i in range(len(boxes))]}, geometry=boxes, crs=CRS
    )
    areas.to_file(path, driver="GPKG")
    return len(areas)


def _status(key: str) -> int:
    """A ``/proc/self/status`` memory figure in bytes (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{key} not in /proc/self/status")


def child(method: str, raster: Path, areas_path: Path, subset: Path | None, out: Path) -> None:
    """One measurement in this (fresh) process: read the areas, time the call, record the peak."""
    import warnings

    import geopandas as gpd

    if method == "geoalloc":
        from geoalloc.region.population import raster_population
    else:
        from rasterstats import zonal_stats
    areas = gpd.read_file(areas_path)
    if subset is not None:
        areas = areas.iloc[np.load(subset)].reset_index(drop=True)
    before = _status("VmRSS")
    started = time.perf_counter()
    if method == "geoalloc":
        estimate = raster_population(raster, areas)
        sums = estimate.totals.to_numpy()
        extra = {"source_total": estimate.source_total, "notes": list(estimate.notes)}
    else:
        with warnings.catch_warnings():  # affine's PendingDeprecationWarning inside rasterstats
            warnings.simplefilter("ignore")
            stats = zonal_stats(list(areas.geometry), str(raster), stats="sum", nodata=NODATA)
        sums = np.array([s["sum"] if s["sum"] is not None else 0.0 for s in stats])
        extra = {}
    seconds = time.perf_counter() - started
    np.save(out.with_suffix(".npy"), sums)
    out.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "areas": len(areas),
                "rss_before": before,
                "peak": _status("VmHWM"),
                "total": float(sums.sum()),
                **extra,
            }
        )
    )


def measure(label: str, method: str, raster, areas, subset, folder: Path) -> dict:
    out = folder / f"{label}.json"
    load_before = os.getloadavg()[0]
    command = [sys.executable, __file__, "--child", method, str(raster), str(areas), str(out)]
    if subset is not None:
        command += ["--subset", str(subset)]
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    }
    subprocess.run(command, check=True, env=env)
    result = json.loads(out.read_text())
    result |= {
        "label": label,
        "sums": np.load(out.with_suffix(".npy")),
        "load": (load_before, os.getloadavg()[0]),
    }
    logging.info(
        "%s: %d areas in %.1f s, peak %.0f MB (load %.1f → %.1f)",
        label,
        result["areas"],
        result["seconds"],
        result["peak"] / 1e6,
        *result["load"],
    )
    return result


def machine() -> str:
    import psutil

    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [s for s in cpuinfo.read_text().splitlines() if s.startswith("model name")]
        model = names[0].split(":", 1)[1].strip() if names else ""
    memory_gb = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores ({model or platform.machine()}), {memory_gb:.0f} GB RAM"


def versions() -> str:
    from importlib.metadata import version

    import rasterio

    packages = ("exactextract", "rasterstats", "rasterio", "shapely", "geopandas")
    return ", ".join(f"{p} {version(p)}" for p in packages) + f", GDAL {rasterio.__gdal_version__}"


def commit() -> str:
    try:
        run = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        return run.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _mb(value: float) -> str:
    return f"{value / 1e6:,.0f} MB"


def table(results: list[dict], subset_size: int, n_areas: int, pixels: int, wall: float) -> str:
    full, same, theirs = results
    exact, centres = same["sums"], theirs["sums"]
    diff = np.abs(exact - centres)
    rel = diff / np.maximum(exact, 1e-9)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    pixel_m = PIXEL_M * PIXELS / pixels
    width, height = CELL_W * pixels / PIXELS, CELL_H * pixels / PIXELS
    inside, cut = width * height / pixel_m**2, 2 * (width + height) / pixel_m
    lines = [
        BEGIN,
        "## Population zonal sums (issue 14) — `bench/zonal_sums.py`",
        "",
        f"Command: `.venv/bin/python bench/zonal_sums.py` (this section is written by it), {stamp}, "
        f"at commit {commit()}, {wall / 60:.1f} minutes in all. Machine: {machine()}, Python "
        f"{platform.python_version()}; {versions()}. **Load:** the 1-minute load average before "
        "→ after each measurement is in the table (the machine is shared: above the core count, "
        "other work competed for the cores).",
        "",
        f"Raster: {pixels:,} × {pixels:,} float32 pixels of {pixel_m:g} m in "
        f"{CRS} around Helsinki (tiled 512², uncompressed, on local disk); values from "
        f"`numpy.random.default_rng({SEED})`: 0 with probability {EMPTY_SHARE}, else log-normal "
        f"persons (μ 0, σ 1), {NODATA_SHARE:.0%} nodata. Areas: {n_areas:,} rectangles "
        f"({COLUMNS} × {ROWS} grid, offset from the pixel lattice so every area cuts pixels). "
        "Each row is a fresh process; wall = the call alone (areas read, libraries imported); "
        "peak = the process's peak RSS (VmHWM), and its growth over the RSS before the call.",
        "",
        "| method | areas | wall | per 1,000 areas | peak RSS (growth in the call) | load before → after |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for result, name in (
        (
            full,
            "geoalloc `raster_population` (exactextract; with the checks and the raster's sum over the areas' union)",
        ),
        (same, "geoalloc `raster_population`, on the rasterstats subset"),
        (theirs, 'rasterstats `zonal_stats(geometries, path, stats="sum")`, random subset'),
    ):
        per = 1000 * result["seconds"] / result["areas"]
        lines.append(
            f"| {name} | {result['areas']:,} | {result['seconds']:,.1f} s | {per:,.2f} s | "
            f"{_mb(result['peak'])} (+{_mb(result['peak'] - result['rss_before'])}) | "
            f"{result['load'][0]:.1f} → {result['load'][1]:.1f} |"
        )
    theirs_full = theirs["seconds"] * n_areas / theirs["areas"]
    lines += [
        "",
        f"rasterstats for all {n_areas:,} areas, at its rate on the subset: ~{theirs_full:,.0f} s "
        f"({theirs_full / full['seconds']:,.0f}× geoalloc's full run). geoalloc over all areas: "
        f"Σ areas {full['total']:,.1f} persons, the raster over the areas' union "
        f"{full['source_total']:,.1f} (difference {full['total'] - full['source_total']:+.3g}).",
        "",
        f"Sums on the same {subset_size:,} areas: exact {exact.sum():,.1f} vs pixel centres "
        f"{centres.sum():,.1f} persons ({centres.sum() / exact.sum() - 1:+.3%} in all); per area "
        f"the pixel-centre sum differs from the exact one by {np.median(rel):.2%} at the median, "
        f"{np.percentile(rel, 95):.2%} at the 95th percentile, {rel.max():.2%} at most "
        f"({diff.max():,.1f} persons): an area here covers ~{inside:,.0f} pixels, ~{cut:,.0f} "
        "of them cut by its edges, each counted whole or not at all by its centre.",
        END,
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    content = RESULTS.read_text(encoding="utf-8")
    if BEGIN in content and END in content:
        head, rest = content.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        content = head + text + tail
    else:
        content = content.rstrip("\n") + "\n\n" + text + "\n"
    RESULTS.write_text(content, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pixels", type=int, default=PIXELS, help="raster side in pixels")
    parser.add_argument("--rasterstats-areas", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    parser.add_argument("--child", nargs=4, metavar=("METHOD", "RASTER", "AREAS", "OUT"))
    parser.add_argument("--subset", type=Path)
    args = parser.parse_args()
    if args.child:
        method, raster, areas, out = args.child
        child(method, Path(raster), Path(areas), args.subset, Path(out))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="zonal_sums_") as tmp:
        folder = Path(tmp)
        raster, areas = folder / "population.tif", folder / "areas.gpkg"
        logging.info("writing the %d² raster and the areas to %s", args.pixels, folder)
        write_raster(raster, args.pixels)
        n_areas = write_areas(areas, args.pixels)
        size = min(args.rasterstats_areas, n_areas)
        chosen = np.sort(np.random.default_rng(SEED).choice(n_areas, size, replace=False))
        subset = folder / "subset.npy"
        np.save(subset, chosen)
        results = [
            measure("geoalloc-all", "geoalloc", raster, areas, None, folder),
            measure("geoalloc-subset", "geoalloc", raster, areas, subset, folder),
            measure("rasterstats-subset", "rasterstats", raster, areas, subset, folder),
        ]
    text = table(results, size, n_areas, args.pixels, time.perf_counter() - started)
    if not args.no_write:
        write_section(text)
    print(text)


if __name__ == "__main__":
    main()
