"""map.html and report.html of real runs, opened in headless Chromium (Selenium + chromedriver
from Debian) with every request outside 127.0.0.1 blocked: the Chicago run, the Helsinki demo (with
its offline roads and place names), a ``geoalloc compare --map`` of two demo runs and the
Liechtenstein telemedicine example. Every kind of map gets the same checks: no script error, a
layer control, layers that switch on and off with their legend.

Skipped with the reason when chromium/chromedriver or selenium are absent (``make test`` installs
them). Screenshots go to ``bench/_out/browser/`` (gitignored) or ``$GEOALLOC_TEST_ARTIFACTS``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from test_maps_data import EVIL_NAME, chicago_escaped_run

from tests.headless import INSTALL_HINT, browser_paths, chromium, serve
from tests.helpers import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARTIFACTS = Path(
    os.environ.get("GEOALLOC_TEST_ARTIFACTS", REPO_ROOT / "bench" / "_out" / "browser")
)
#: installed before any page script: records uncaught errors and alert() calls
PROBE = """
window.__errors = [];
window.__alerts = [];
window.addEventListener('error', function (e) {
  if (e.target && e.target !== window && (e.target.tagName === 'IMG')) { return; }
  window.__errors.push(String(e.message || e.type) + ' @ ' + (e.filename || '') + ':' + (e.lineno || ''));
}, true);
window.addEventListener('unhandledrejection', function (e) { window.__errors.push('rejection: ' + e.reason); });
window.alert = function (m) { window.__alerts.push(String(m)); };
"""


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    pytest.importorskip("selenium.webdriver", reason="pip install -e '.[test]' (selenium)")
    paths = browser_paths()
    if paths is None:
        pytest.skip(f"no headless browser: {INSTALL_HINT}")
    with chromium(paths, probe=PROBE, timeout_s=60, console_log=True) as browser:
        yield browser


@pytest.fixture(scope="module")
def served_run(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[tuple[str, Path]]:
    """The Chicago run folder (one hospital named ``<script>alert(1)</script>``) on 127.0.0.1."""
    run_dir = chicago_escaped_run(tmp_path_factory, shared_data)
    with serve(run_dir) as base_url:
        yield base_url, run_dir


def _layer_labels(browser) -> list[str]:
    """The names in the layer control's overlay list."""
    return browser.execute_script(
        "return Array.from(document.querySelectorAll("
        "'.leaflet-control-layers-overlays label span')).map(s => s.textContent.trim())"
    )


def _open(browser, url: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    WebDriverWait(browser, 30).until(
        lambda b: b.execute_script("return document.readyState") == "complete"
    )


def _js_problems(browser) -> list[str]:
    """Uncaught errors, plus console errors other than blocked (non-loopback) resources."""
    problems = list(browser.execute_script("return window.__errors"))
    for entry in browser.get_log("browser"):
        if entry["level"] != "SEVERE":
            continue
        message = entry["message"]
        blocked = "Failed to load resource" in message and "127.0.0.1" not in message.split(" ")[0]
        if not blocked:
            problems.append(message)
    return problems


def _checked(browser, label: str) -> bool:
    xpath = f"//label[span[normalize-space()='{label}']]//input"
    return browser.find_element("xpath", xpath).is_selected()


def _click_layer(browser, label: str) -> None:
    browser.find_element("xpath", f"//label[span[normalize-space()='{label}']]//input").click()


def _legend_shown(browser, legend_id: str) -> bool:
    return browser.find_element("id", legend_id).is_displayed()


def _assert_map_works(browser, expected: list[str], toggles: dict[str, str]) -> list[str]:
    """The checks every map gets: Leaflet loaded, no script error, a layer control listing the
    ``expected`` layers, and each layer of ``toggles`` (label → its legend section's id) switching
    off and on again with its legend section. Returns the control's labels."""
    assert browser.execute_script("return typeof L !== 'undefined' && L.version") == "1.9.3"
    assert _js_problems(browser) == []
    assert len(browser.find_elements("css selector", ".leaflet-control-layers")) == 1
    labels = _layer_labels(browser)
    for label in expected:
        assert label in labels, (label, labels)
    for label, legend_id in toggles.items():
        on = _checked(browser, label)
        assert _legend_shown(browser, legend_id) == on, label
        _click_layer(browser, label)
        assert _checked(browser, label) != on and _legend_shown(browser, legend_id) != on, label
        _click_layer(browser, label)
        assert _checked(browser, label) == on and _legend_shown(browser, legend_id) == on, label
    assert _js_problems(browser) == []
    return labels


def _external_loads(browser) -> list[str]:
    """Resources fetched from anywhere but 127.0.0.1 (data: URIs aside) that returned bytes."""
    return browser.execute_script(
        """
        return performance.getEntriesByType('resource')
          .filter(e => !e.name.startsWith('http://127.0.0.1') && !e.name.startsWith('data:'))
          .filter(e => e.transferSize > 0 || e.responseEnd - e.responseStart > 0 && e.decodedBodySize > 0)
          .map(e => e.name);
        """
    )


def _click_popup(browser, css: str):
    """Click the element ``css`` and return the popup's content once it has faded in."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.find_element(By.CSS_SELECTOR, css).click()
    WebDriverWait(browser, 10).until(
        lambda b: b.execute_script(
            "var p = document.querySelector('.leaflet-popup');"
            "return p !== null && getComputedStyle(p).opacity === '1'"
        )
    )
    return browser.find_element(By.CSS_SELECTOR, ".leaflet-popup-content")


def _screenshot(browser, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    return path


def test_map_in_browser(driver, served_run: tuple[str, Path]) -> None:
    from selenium.webdriver.common.by import By

    base_url, run_dir = served_run
    facilities = gpd.read_file(run_dir / "results.gpkg", layer="facilities")
    _open(driver, f"{base_url}/map.html")

    assert driver.execute_script("return typeof L !== 'undefined' && L.version") == "1.9.3"
    labels = _layer_labels(driver)
    for expected in (
        "Plan: minutes to assigned site",
        "Areas: demand (beds needed)",
        "Plan: coverage status",
        "Plan: facilities",
        "Plan: assignment lines",
        "Plan: catchments",
        "Baseline: minutes to nearest existing site",
        "Baseline: existing facilities",
    ):
        assert expected in labels, labels
    assert any(label.startswith("Plan: unmet demand") for label in labels)
    # every site is drawn, and 878 area polygons
    assert len(driver.find_elements(By.CSS_SELECTOR, "path.geoalloc-site")) == len(facilities)
    assert (
        driver.execute_script("return document.querySelectorAll('path.leaflet-interactive').length")
        > 878
    )

    # click the facility with the evil name: its popup shows the name as text and its numbers
    i = int(facilities.index[facilities["name"] == EVIL_NAME][0])
    site = facilities.iloc[i]
    assert site["status"] == "kept"
    map_id = driver.execute_script("return document.querySelector('.folium-map').id")
    driver.execute_script(
        f"window[{map_id!r}].setView([arguments[0], arguments[1]], 14, {{animate: false}});",
        site.geometry.y,
        site.geometry.x,
    )
    popup = _click_popup(driver, f"path.geoalloc-site-{i}")
    name = popup.find_element(By.CSS_SELECTOR, ".geoalloc-site-name").text
    assert name == EVIL_NAME
    cells = [td.text for td in popup.find_elements(By.CSS_SELECTOR, "td")]
    assert cells[0] == "beds"
    assert cells[1] == f"{site['beds_before']:,.0f} → {site['beds_after']:,.0f}"
    assert cells[2] in (f"{site['beds_load']:,.0f}", f"{site['beds_load']:,.1f}")
    assert cells[3] == f"{round(100 * site['beds_utilisation'])} %"
    _screenshot(driver, "map_popup.png")

    # toggling a layer shows its legend
    driver.find_element(
        By.XPATH, "//label[span[normalize-space()='Plan: coverage status']]//input"
    ).click()
    assert driver.find_element(By.ID, "geoalloc-legend-s").is_displayed()

    # the Baseline / Plan switch swaps the two groups, in the layer control and the legend
    def checked(label: str) -> bool:
        xpath = f"//label[span[normalize-space()='{label}']]//input"
        return driver.find_element(By.XPATH, xpath).is_selected()

    driver.find_element(By.CSS_SELECTOR, "a.geoalloc-switch-baseline").click()
    assert checked("Baseline: minutes to nearest existing site")
    assert checked("Baseline: existing facilities")
    assert not checked("Plan: minutes to assigned site") and not checked("Plan: facilities")
    assert driver.find_element(By.ID, "geoalloc-legend-b").is_displayed()
    assert not driver.find_element(By.ID, "geoalloc-legend-m").is_displayed()
    n_existing = int(facilities["existing"].sum())
    assert len(driver.find_elements(By.CSS_SELECTOR, "path.geoalloc-base-site")) == n_existing
    assert len(driver.find_elements(By.CSS_SELECTOR, "path.geoalloc-site")) == 0
    driver.find_element(By.CSS_SELECTOR, "a.geoalloc-switch-plan").click()
    assert checked("Plan: minutes to assigned site") and checked("Plan: facilities")
    assert not checked("Baseline: minutes to nearest existing site")

    assert driver.execute_script("return window.__alerts") == []
    assert (
        driver.execute_script(
            "return Array.from(document.scripts).some(s => s.textContent.trim() === 'alert(1)')"
        )
        is False
    )
    assert _js_problems(driver) == []
    assert _external_loads(driver) == []


def test_map_overview_screenshot(driver, served_run: tuple[str, Path]) -> None:
    base_url, _ = served_run
    _open(driver, f"{base_url}/map.html")
    assert driver.execute_script("return typeof L") == "object"
    _screenshot(driver, "map.png")
    assert _js_problems(driver) == []


def test_report_in_browser(driver, served_run: tuple[str, Path]) -> None:
    from selenium.webdriver.common.by import By

    base_url, run_dir = served_run
    _open(driver, f"{base_url}/report.html")
    charts = driver.find_elements(By.CSS_SELECTOR, "img.chart")
    assert len(charts) == 2
    for chart in charts:
        assert (
            driver.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth", chart
            )
            > 100
        )
    cells = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "table.sites td")]
    assert EVIL_NAME in cells
    assert driver.execute_script("return window.__alerts") == []
    assert _js_problems(driver) == []
    assert _external_loads(driver) == []
    driver.set_window_size(1200, 2600)
    _screenshot(driver, "report.png")
    driver.set_window_size(1400, 900)


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``geoalloc demo`` (built-in Helsinki data), the same scenario with 3 sites instead of 6,
    and ``geoalloc compare --map`` of the two, in one folder: ``demo/``, ``p3/``, ``compare.html``."""
    from click.testing import CliRunner

    from geoalloc.cli import cli

    folder = tmp_path_factory.mktemp("demo_runs")
    done = subprocess.run(
        [sys.executable, "-m", "geoalloc", "-q", "demo", "--out", str(folder / "demo")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    scenario = (folder / "demo-inputs" / "scenario.toml").read_text(encoding="utf-8")
    assert "\np = 6 " in scenario
    variant = scenario.replace("\np = 6 ", "\np = 3 ").replace("helsinki-demo", "helsinki-3-sites")
    (folder / "demo-inputs" / "p3.toml").write_text(variant, encoding="utf-8")
    for args in (
        ["run", str(folder / "demo-inputs" / "p3.toml"), "--out", str(folder / "p3")],
        [
            "compare",
            str(folder / "demo"),
            str(folder / "p3"),
            "--map",
            str(folder / "compare.html"),
        ],
    ):
        result = CliRunner().invoke(cli, ["-q", *args])
        assert result.exit_code == 0, result.output
    return folder


PLANNING_LAYERS = [
    "Background: roads and places (offline)",
    "Plan: minutes to assigned site",
    "Plan: facilities",
    "Plan: assignment lines",
    "Plan: catchments",
    "Baseline: minutes to nearest existing site",
    "Baseline: existing facilities",
]
PLANNING_TOGGLES = {
    "Background: roads and places (offline)": "geoalloc-legend-base",
    "Plan: facilities": "geoalloc-legend-sites",
    "Plan: assignment lines": "geoalloc-legend-lines",
    "Plan: catchments": "geoalloc-legend-catchments",
    "Areas: demand (beds needed)": "geoalloc-legend-d",
}


def test_demo_map_and_report_in_browser(driver, demo_runs: Path) -> None:
    """The demo's map works like the Chicago one and draws the extract's roads and place names
    (no tile server needed to find a street); its report loads cleanly."""
    from selenium.webdriver.common.by import By

    with serve(demo_runs) as base_url:
        _open(driver, f"{base_url}/demo/map.html")
        _assert_map_works(driver, PLANNING_LAYERS, PLANNING_TOGGLES)
        assert len(driver.find_elements(By.CSS_SELECTOR, "path.geoalloc-site")) > 0
        # the offline base map: road lines by tier, place labels over them
        assert len(driver.find_elements(By.CSS_SELECTOR, "path.geoalloc-road")) >= 2
        labels = driver.execute_script(
            "return Array.from(document.querySelectorAll('.geoalloc-label'))"
            ".map(e => e.textContent)"
        )
        assert {"Helsinki", "Kluuvi", "Mannerheimintie"} <= set(labels)
        assert driver.execute_script(
            "var l = Array.from(document.querySelectorAll('.geoalloc-place-1'))"
            ".find(e => e.textContent === 'Helsinki');"
            "return l && getComputedStyle(l).opacity === '1'"
        )
        _click_layer(driver, "Background: roads and places (offline)")
        assert driver.find_elements(By.CSS_SELECTOR, "path.geoalloc-road") == []
        _click_layer(driver, "Background: roads and places (offline)")
        # the Plan / Baseline switch
        driver.find_element(By.CSS_SELECTOR, "a.geoalloc-switch-baseline").click()
        assert _checked(driver, "Baseline: existing facilities")
        assert not _checked(driver, "Plan: facilities")
        driver.find_element(By.CSS_SELECTOR, "a.geoalloc-switch-plan").click()
        assert _checked(driver, "Plan: facilities")
        # a cell's tooltip names it after the place in or near it
        tip = driver.execute_script(
            "var m = window[document.querySelector('.folium-map').id], t = null;"
            "m.eachLayer(function (l) { if (!t && l.feature && l.getTooltip()) {"
            " t = l.getTooltip().getContent(); } }); return t;"
        )
        assert re.match(r"<b>(near )?[A-Z][\w ]+</b> \(area E\d+N\d+\)", tip), tip
        assert _js_problems(driver) == []
        assert _external_loads(driver) == []
        _screenshot(driver, "demo_map.png")
        _open(driver, f"{base_url}/demo/report.html")
        assert len(driver.find_elements("css selector", "img.chart")) >= 2
        assert _js_problems(driver) == []
        _screenshot(driver, "demo_report.png")


def test_compare_map_in_browser(driver, demo_runs: Path) -> None:
    """``geoalloc compare --map``: run B's map with run A's layers, a layer control that lists
    them, a third switch button that shows run A, and B's unmet demand as dashed rings."""
    from selenium.webdriver.common.by import By

    from geoalloc.outputs.styles import UNMET_COLOUR

    other = gpd.read_file(demo_runs / "demo" / "results.gpkg", layer="facilities")
    with serve(demo_runs) as base_url:
        _open(driver, f"{base_url}/compare.html")
        compared = "Compared with helsinki-demo: areas that gained/lost access"
        labels = _assert_map_works(
            driver,
            [*PLANNING_LAYERS, compared, "helsinki-demo: facilities", "Plan: unmet demand"],
            {
                **PLANNING_TOGGLES,
                compared: "geoalloc-legend-compare",
                "helsinki-demo: facilities": "geoalloc-legend-other-sites",
                "Plan: unmet demand": "geoalloc-legend-unmet",
            },
        )
        assert labels.index("Baseline: existing facilities") < labels.index(compared)
        # with 3 sites instead of 6, two areas lost access (red) and one gained it: each plan
        # ranks fewest new sites before travel, so the 3 sites are not 3 of the 6
        legend = driver.find_element(By.ID, "geoalloc-legend-compare").text
        assert "lost access (2 areas)" in legend and "gained access (1 area)" in legend
        # unmet demand: dashed magenta rings, not the red of a closed site
        rings = driver.find_elements(By.CSS_SELECTOR, "path.geoalloc-unmet")
        assert rings
        assert {r.get_attribute("stroke-dasharray") for r in rings} == {"4 3"}
        assert {r.get_attribute("stroke") for r in rings} == {UNMET_COLOUR}
        # the switch: Run A shows A's facilities and the changed areas, hides B's plan
        driver.find_element(By.CSS_SELECTOR, "a.geoalloc-switch-run-a").click()
        assert _checked(driver, "helsinki-demo: facilities") and _checked(driver, compared)
        assert not _checked(driver, "Plan: facilities")
        assert not _checked(driver, "Plan: minutes to assigned site")
        # B's unmet rings go too: beside A's sites they would read as A's unmet demand
        assert not _checked(driver, "Plan: unmet demand")
        assert driver.find_elements(By.CSS_SELECTOR, "path.geoalloc-unmet") == []
        sites = driver.find_elements(By.CSS_SELECTOR, "path.geoalloc-other-site")
        assert len(sites) == len(other)
        assert _legend_shown(driver, "geoalloc-legend-other-sites")
        assert not _legend_shown(driver, "geoalloc-legend-sites")
        _screenshot(driver, "compare_map_run_a.png")
        driver.find_element(By.CSS_SELECTOR, "a.geoalloc-switch-plan").click()
        assert _checked(driver, "Plan: facilities") and _checked(driver, "Plan: unmet demand")
        assert not _checked(driver, "helsinki-demo: facilities")
        assert _js_problems(driver) == []
        assert _external_loads(driver) == []
        _screenshot(driver, "compare_map.png")


def test_optional_layers_in_browser(driver, tmp_path: Path) -> None:
    """Queue check, LOS risk, cost and service areas (data made here) load and show in the page."""
    from selenium.webdriver.common.by import By
    from shapely.geometry import Point
    from test_maps import EVIL, tiny_run

    from geoalloc.outputs.maps import write_map

    layers, summary = tiny_run(extras=True)
    layers["service_areas"] = gpd.GeoDataFrame(
        {"site": ["s1", "s1", EVIL], "minutes": [10.0, 20.0, 10.0]},
        geometry=[
            Point(-87.695, 41.856).buffer(0.01),
            Point(-87.695, 41.856).buffer(0.02),
            Point(-87.67, 41.856).buffer(0.01),
        ],
        crs=4326,
    )
    write_map(tmp_path / "map.html", layers, summary)
    with serve(tmp_path) as base_url:
        _open(driver, f"{base_url}/map.html")
        labels = _layer_labels(driver)
        assert "Service areas (isochrones)" in labels
        assert "Areas: LOS-risk-weighted demand" in labels
        for label in ("Service areas (isochrones)", "Areas: LOS-risk-weighted demand"):
            driver.find_element(
                By.XPATH, f"//label[span[normalize-space()='{label}']]//input"
            ).click()
        assert driver.find_element(By.ID, "geoalloc-legend-service").is_displayed()
        assert driver.find_element(By.ID, "geoalloc-legend-r").is_displayed()
        popup = _click_popup(driver, "path.geoalloc-site-1")
        assert popup.find_element(By.CSS_SELECTOR, ".geoalloc-site-name").text == EVIL
        cells = [td.text for td in popup.find_elements(By.CSS_SELECTOR, "td")]
        assert cells == ["beds", "0 → 15", "15", "100 %", "25 %", "7.2 h"]
        assert "opening cost: 1,500,000" in popup.text
        assert driver.execute_script("return window.__alerts") == []
        assert _js_problems(driver) == []
        _screenshot(driver, "map_optional_layers.png")


def test_telemedicine_map_in_browser(driver, tmp_path: Path, shared_data: Path) -> None:
    """The Liechtenstein telemedicine run: its map loads without errors, shows its layers and a
    hub's popup (folium's own popups need jQuery, which geoalloc pages do not load)."""

    from geoalloc.runs import run_scenario, write_run
    from geoalloc.scenario import load_scenario

    del shared_data  # the example points at ../shared; the fixture skips when it is absent
    example = REPO_ROOT / "examples" / "liechtenstein_telemedicine"
    result = run_scenario(load_scenario(example / "telemedicine.toml"))
    run_dir = write_run(result, tmp_path / "run")
    sites = result.layers["facilities"].reset_index(drop=True)
    with serve(run_dir) as base_url:
        _open(driver, f"{base_url}/map.html")
        labels = _assert_map_works(
            driver,
            [],
            {
                "Background: roads and places (offline)": "geoalloc-legend-base",
                "Areas: care received": "geoalloc-legend-service",
                "Sites with physician-hours": "geoalloc-legend-physical",
                "Telemedicine hubs (size: hours)": "geoalloc-legend-hubs",
            },
        )
        assert set(labels) == {
            "Background: roads and places (offline)",
            "Areas: care received",
            "Sites with physician-hours",
            "Telemedicine hubs (size: hours)",
        }
        assert "Balzers" in driver.execute_script(
            "return Array.from(document.querySelectorAll('.geoalloc-label'))"
            ".map(e => e.textContent)"
        )
        opened = sites.index[sites["hub_open"].astype(bool)]
        assert len(opened) == 2
        popup = _click_popup(driver, f"path.geoalloc-site-{opened[0]}")
        assert "physician-h/week" in popup.text
        assert _js_problems(driver) == []
        assert _external_loads(driver) == []
        _screenshot(driver, "map_telemedicine.png")
        _open(driver, f"{base_url}/report.html")
        charts = driver.find_elements("css selector", "img.chart")
        assert len(charts) == 1
        assert driver.execute_script("return arguments[0].naturalWidth", charts[0]) > 100
        assert "Rathaus Vaduz" in driver.find_element("tag name", "body").text
        assert _js_problems(driver) == []
        driver.set_window_size(1200, 2600)
        _screenshot(driver, "report_telemedicine.png")
        driver.set_window_size(1400, 900)


@pytest.fixture(scope="module")
def short_chicago_run(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """The Chicago run with stays of 20 days instead of 5 (four times the bed-days) and all 66
    hospitals: the beds fall short, so some tracts are left partly or wholly unserved (without
    the queue simulation, which the map does not draw)."""
    from geoalloc.runs import run_scenario, write_run
    from geoalloc.scenario import load_scenario
    from tests.helpers import write_chicago_scenario

    folder = tmp_path_factory.mktemp("chicago_short")
    scenario = write_chicago_scenario(
        folder,
        shared_data,
        name="chicago-short",
        p=66,
        demand={"los_days": 20.0, "simulate_queues": False},
    )
    return write_run(run_scenario(load_scenario(scenario)), folder / "run")


def test_gridded_map_in_browser(driver, short_chicago_run: Path) -> None:
    """Above its threshold of areas (set low here: 300 of 878 tracts) the map draws the areas on
    a display grid: one path per display cell, the note that they are aggregated and where each
    area is, unmet demand still visible as rings (one per cell with areas short) and in the
    coverage status's colours, a fraction of the per-polygon page's size, every tract in
    results.gpkg."""
    from selenium.webdriver.common.by import By

    from geoalloc.outputs.display_grid import cell_values, display_grid
    from geoalloc.outputs.maps import write_map
    from geoalloc.outputs.styles import AREA_STATUS_COLOURS, UNMET_COLOUR
    from geoalloc.runs.folder import RunFolder

    loaded = RunFolder(short_chicago_run).read()
    areas = loaded.layers["areas"]
    assert len(areas) == 878  # every tract is in the results
    short = areas["unmet_beds"].astype(float) > 1e-9
    assert short.sum() > 0 and (areas["status"] == "unserved").any()
    page = write_map(
        short_chicago_run / "grid.html", loaded.layers, loaded.summary, max_areas=300, max_cells=150
    )
    grid = display_grid(areas, max_cells=150)
    values = cell_values(areas, grid, ["beds"], loaded.summary["max_minutes"])
    cells_short = int((values["short_areas"] > 0).sum())
    per_polygon_mb = (short_chicago_run / "map.html").stat().st_size / 1e6
    grid_mb = page.stat().st_size / 1e6
    assert grid_mb < 0.5 * per_polygon_mb, (grid_mb, per_polygon_mb)
    with serve(short_chicago_run) as base_url:
        _open(driver, f"{base_url}/grid.html")
        _assert_map_works(
            driver,
            [label for label in PLANNING_LAYERS if not label.startswith("Background")],
            {k: v for k, v in PLANNING_TOGGLES.items() if not k.startswith("Background")}
            | {"Plan: unmet demand": "geoalloc-legend-unmet"},
        )
        assert len(driver.find_elements(By.CSS_SELECTOR, "path.geoalloc-cell")) == len(grid.cells)
        assert len(grid.cells) < 150 < len(areas)
        title = driver.find_element(By.CSS_SELECTOR, ".geoalloc-title").text
        assert f"Areas shown aggregated: 878 areas on {len(grid.cells)} display cells" in title
        assert "results.gpkg" in title
        legend = driver.find_element(By.ID, "geoalloc-legend-m").text
        assert f"population-weighted mean per {grid.label} cell" in legend
        # unmet demand: a dashed ring per display cell with areas short
        rings = driver.find_elements(By.CSS_SELECTOR, "path.geoalloc-unmet")
        assert len(rings) == cells_short > 0
        assert {r.get_attribute("stroke") for r in rings} == {UNMET_COLOUR}
        # the coverage status shows the unserved cells in red
        _click_layer(driver, "Plan: coverage status")
        fills = [
            p.get_attribute("fill")
            for p in driver.find_elements(By.CSS_SELECTOR, "path.geoalloc-cell")
        ]
        unserved = int((values["status"] == "unserved").sum())
        assert unserved > 0 and fills.count(AREA_STATUS_COLOURS["unserved"]) == unserved
        # a cell's tooltip counts its areas
        tip = driver.execute_script(
            "var m = window[document.querySelector('.folium-map').id], t = null;"
            "m.eachLayer(function (l) { if (!t && l.feature && l.getTooltip()) {"
            " t = l.getTooltip().getContent(); } }); return t;"
        )
        assert re.search(r"<b>[\d,]+ areas?</b> in this [\d.]+ k?m display cell", tip), tip
        assert _js_problems(driver) == []
        assert _external_loads(driver) == []
        _screenshot(driver, "map_display_grid.png")
