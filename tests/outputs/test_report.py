"""report.html: coverage curve by hand, the page on a hand-made run, reading run folders, and
``geoalloc report RUN_DIR`` on a real Chicago run."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from test_maps import EVIL, tiny_run
from test_maps_data import EVIL_NAME, chicago_escaped_run

from geoalloc._errors import InputError
from geoalloc.cli import cli
from geoalloc.outputs.charts import coverage_curve
from geoalloc.outputs.report import report_html
from geoalloc.runs import RunFolder

MANIFEST = {
    "geoalloc": "0.1.0",
    "python": "3.11",
    "dependencies": {"folium": "0.20.0"},
    "inputs": {"/data/areas.gpkg": {"sha256": "ab" * 32, "bytes": 1234}},
}


def _svgs(page: str) -> list[str]:
    return [
        base64.b64decode(m).decode("utf-8")
        for m in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", page)
    ]


def test_coverage_curve_by_hand() -> None:
    minutes = pd.Series([5.0, 10.0, np.nan])
    population = pd.Series([100.0, 300.0, 600.0])
    grid = np.array([0.0, 4.9, 5.0, 9.0, 10.0, 1000.0])
    share = coverage_curve(minutes, population, grid)
    # the unreachable 600 are never covered
    assert share.tolist() == pytest.approx([0.0, 0.0, 0.1, 0.1, 0.4, 0.4])
    assert coverage_curve(minutes, population * 0, grid).tolist() == [0.0] * 6


def test_coverage_curve_matches_a_direct_count() -> None:
    rng = np.random.default_rng(0)
    minutes = pd.Series(rng.uniform(0, 40, 500))
    minutes[rng.integers(0, 500, 20)] = np.nan
    population = pd.Series(rng.integers(0, 5000, 500).astype(float))
    grid = np.linspace(0, 45, 46)
    share = coverage_curve(minutes, population, grid)
    direct = [population[minutes <= t].sum() / population.sum() for t in grid]
    assert share == pytest.approx(direct)
    assert np.all(np.diff(share) >= 0)


def test_report_on_a_hand_made_run() -> None:
    layers, summary = tiny_run(extras=True)
    summary = summary | {
        "areas": 3,
        "sites": 3,
        "area_status": {"served": 2, "partly served": 1},
        "site_status": {"kept": 1, "opened": 1, "closed": 1},
        "input_notes": [f"note about {EVIL}"],
        "timings_s": {"inputs_s": 0.5, "optimize_s": 1.25},
    }
    summary["solver"] |= {"objective": 12.5, "bound": 12.5, "build_s": 0.1, "solve_s": 0.2}
    summary["surge"] = {"day": [0, 1, 2], "needed": [10, 30, 20], "available": [25, 25, 25]}
    summary["frontier"] = [
        {"minutes_mean": 7.0, "gini_minutes": 0.30},
        {"minutes_mean": 6.0, "gini_minutes": 0.35},
    ]
    page = report_html(layers, summary, MANIFEST)
    assert EVIL not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2  # site table + note
    # coverage, utilisation, surge, frontier
    svgs = _svgs(page)
    assert len(svgs) == 4
    assert all("<svg" in s for s in svgs)
    assert "<script" not in "".join(svgs)
    # KPIs baseline vs plan, solver and run time, manifest hashes
    assert "<td>40.0 %</td>" in page or "(40.0 %)" in page
    assert "12.50" in page and "1.75 s" in page
    assert "ab" * 32 in page
    # site table: before → after, utilisation, queue check and cost columns
    assert "0 → 15" in page and "100 %" in page
    assert "beds blocking" in page and "7.2 h" in page and "1,500,000" in page
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", page)


def test_site_names_with_dollars_are_not_mathtext() -> None:
    layers, summary = tiny_run()
    layers["facilities"].loc[0, "name"] = r"St $\frac{1 Hospital $"
    # unescaped, matplotlib would parse "$\frac{1 Hospital $" as broken mathtext and raise
    page = report_html(layers, summary, {})
    assert len(_svgs(page)) == 2
    assert r"St &#36;&#92;frac{1 Hospital &#36;" in page  # and the site table shows it as text


def test_site_names_in_any_script_stay_text() -> None:
    """Names in scripts matplotlib's font lacks (CJK, emoji) warned once per glyph — an internal
    error under a warnings-as-errors run — and were drawn as boxes: the charts now keep text as
    text, which the browser draws in its own fonts."""
    layers, summary = tiny_run()
    layers["facilities"].loc[0, "name"] = "病院 🏥 North"
    page = report_html(layers, summary, {})
    svgs = _svgs(page)
    assert len(svgs) == 2
    assert any("病院 🏥 North" in svg for svg in svgs)


def test_report_without_optional_parts() -> None:
    layers, summary = tiny_run()
    page = report_html(layers, summary, {})
    assert len(_svgs(page)) == 2
    assert "Surge" not in page and "frontier" not in page
    assert "blocking" not in page


def test_load_run_lists_every_problem(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="run folder not found"):
        RunFolder(tmp_path / "nope").read()
    (tmp_path / "summary.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError) as info:
        RunFolder(tmp_path).read()
    text = str(info.value)
    assert "results.gpkg: missing" in text
    assert "summary.json: not valid JSON" in text
    assert "manifest.json: missing" in text


def test_cli_report_on_missing_folder_exits_3(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "nope")])
    assert result.exit_code == 3
    assert "run folder not found" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_cli_report_rebuilds_map_and_report(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(chicago_escaped_run(tmp_path_factory, shared_data), run_dir)
    original_map = (run_dir / "map.html").read_text(encoding="utf-8")
    (run_dir / "map.html").unlink()
    (run_dir / "report.html").unlink()
    result = CliRunner().invoke(cli, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert "map.html" in result.output and "report.html" in result.output
    rebuilt = (run_dir / "map.html").read_text(encoding="utf-8")

    # the same data as the map `geoalloc run` wrote from memory (element ids differ per build)
    def data(page: str) -> list:
        return [json.loads(m) for m in re.findall(r"var geoalloc_data_\w+ = (\{.*?\});\n", page)]

    assert data(rebuilt) == data(original_map)
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    assert EVIL_NAME not in report and "&lt;script&gt;alert(1)&lt;/script&gt;" in report
