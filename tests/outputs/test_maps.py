"""The map on a hand-made run of 3 areas × 3 sites: layers, popups, escaping, optional layers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from geoalloc.outputs.escape import safe_json, text
from geoalloc.outputs.layers import light_geometry
from geoalloc.outputs.leaflet import map_html
from geoalloc.outputs.planning_map import build_map
from geoalloc.outputs.popups import facility_popup
from geoalloc.outputs.styles import AREA_STATUS_COLOURS as AREA_STATUS

EVIL = "<script>alert(1)</script>"


def tiny_run(*, extras: bool = False) -> tuple[dict[str, gpd.GeoDataFrame], dict]:
    """Three 1 km-ish squares near Chicago and three sites (kept, opened, closed), in EPSG:4326.

    With ``extras``: the optional columns of the queue check, LOS risk and cost.
    """
    squares = [box(-87.70 + 0.012 * i, 41.85, -87.688 + 0.012 * i, 41.862) for i in range(3)]
    areas = gpd.GeoDataFrame(
        {
            "area_id": ["a1", "a2", EVIL],
            "population": [1000.0, 3000.0, 6000.0],
            "demand_beds": [2.0, 6.0, 12.0],
            "served_beds": [2.0, 6.0, 9.0],
            "unmet_beds": [0.0, 0.0, 3.0],
            "site": ["s1", "s2", "s2"],
            "minutes": [5.0, 12.0, 25.0],
            "nearest_open_minutes": [5.0, 12.0, 25.0],
            "baseline_site": ["s1", "s1", "s3"],
            "baseline_minutes": [5.0, 20.0, np.nan],
            "status": ["served", "served", "partly served"],
            "travel_flag": [None, None, "snapped 2 km"],
        },
        geometry=squares,
        crs=4326,
    )
    facilities = gpd.GeoDataFrame(
        {
            "site_id": ["s1", "s2", "s3"],
            "name": ["North", EVIL, "Old `${x}` \\ site"],
            "existing": [True, False, True],
            "open": [True, True, False],
            "beds_before": [10.0, 0.0, 8.0],
            "beds_after": [10.0, 15.0, 0.0],
            "beds_load": [2.0, 15.0, 0.0],
            "beds_utilisation": [0.2, 1.0, np.nan],
            "beds_baseline_load": [8.0, np.nan, 4.0],
            "beds_baseline_utilisation": [0.8, np.nan, 0.5],
            "status": ["kept", "opened", "closed"],
        },
        geometry=[Point(-87.695, 41.856), Point(-87.670, 41.856), Point(-87.660, 41.870)],
        crs=4326,
    )
    if extras:
        areas["los_risk"] = [1.0, 1.5, 2.0]
        facilities["beds_blocking"] = [0.012, 0.25, np.nan]
        facilities["beds_wait_hours"] = [0.5, 7.25, np.nan]
        facilities["opening_cost"] = [0.0, 1_500_000.0, 0.0]
    assignments = gpd.GeoDataFrame(
        {
            "area": ["a1", "a2", EVIL],
            "site": ["s1", "s2", "s2"],
            "resource": ["beds"] * 3,
            "quantity": [2.0, 6.0, 9.0],
            "minutes": [5.0, 12.0, 25.0],
        },
        geometry=[
            LineString([(-87.694, 41.856), (-87.695, 41.856)]),
            LineString([(-87.682, 41.856), (-87.670, 41.856)]),
            LineString([(-87.670, 41.856), (-87.670, 41.856)]),
        ],
        crs=4326,
    )
    catchments = gpd.GeoDataFrame(
        {"site": ["s1", "s2"], "population": [1000.0, 9000.0]},
        geometry=[squares[0], squares[1].union(squares[2])],
        crs=4326,
    )
    summary = {
        "scenario": "tiny",
        "model": "capacitated p-median",
        "max_minutes": 30.0,
        "resources": ["beds"],
        "demand": {"beds": 20.0},
        "baseline": {
            "covered_pct": 40.0,
            "minutes_mean": 12.5,
            "minutes_p90": 20.0,
            "sites_open": 2,
            "unmet": {"beds": 8.0},
        },
        "plan": {
            "covered_pct": 100.0,
            "minutes_mean": 19.1,
            "minutes_p90": 25.0,
            "sites_open": 2,
            "unmet": {"beds": 3.0},
        },
        "solver": {"name": "highs", "status": "optimal", "gap": 0.0},
    }
    layers = {
        "areas": areas,
        "facilities": facilities,
        "assignments": assignments,
        "catchments": catchments,
    }
    return layers, summary


def _page(layers: dict, summary: dict, **kwargs) -> str:
    fmap = build_map(
        layers["areas"],
        layers["facilities"],
        layers["assignments"],
        layers["catchments"],
        summary,
        **kwargs,
    )
    return map_html(fmap)


def _embedded_json(page: str) -> list:
    """Every JSON literal the page embeds for its layers (``var x = {...};`` / ``[...].forEach``)."""
    found = []
    for match in re.finditer(r"var geoalloc_data_\w+ = (\{.*?\});\n", page):
        found.append(json.loads(match.group(1)))
    for match in re.finditer(r"\n\s*(\[.*?\])\.forEach", page):
        found.append(json.loads(match.group(1)))
    return found


def _circles(data: list, cls: str) -> list[dict]:
    """The circle records whose class starts with ``cls``."""
    return next(
        d
        for d in data
        if isinstance(d, list) and d and isinstance(d[0], dict) and d[0]["cls"].startswith(cls)
    )


def test_text_escapes_html_and_template_literal_syntax() -> None:
    assert text(EVIL) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert text("a`${b}`\\") == "a&#96;&#36;{b}&#96;&#92;"
    assert text('O\'Hare "x" & y') == "O&#x27;Hare &quot;x&quot; &amp; y"
    assert text(None) == "–" and text(float("nan")) == "–"


def test_safe_json_never_closes_a_script_element() -> None:
    dumped = safe_json({"n": "</script><b>&", "x": float("nan"), "v": np.float64(1.5)})
    assert "<" not in dumped and ">" not in dumped and "&" not in dumped
    assert json.loads(dumped) == {"n": "</script><b>&", "x": None, "v": 1.5}


def test_popup_numbers_before_after_utilisation() -> None:
    layers, _ = tiny_run()
    row = layers["facilities"].iloc[1]
    popup = facility_popup(row, ["beds"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in popup and EVIL not in popup
    assert "<td>0 → 15</td><td>15</td><td>100 %</td>" in popup
    assert "blocking" not in popup and "wait" not in popup
    base = facility_popup(layers["facilities"].iloc[0], ["beds"], baseline=True)
    assert "<td>10</td><td>8</td><td>80 %</td>" in base


def test_popup_shows_queue_check_and_cost_when_present() -> None:
    layers, _ = tiny_run(extras=True)
    popup = facility_popup(layers["facilities"].iloc[1], ["beds"])
    assert "blocking probability" in popup and "expected wait" in popup
    assert "<td>25 %</td><td>7.2 h</td>" in popup
    assert "opening cost: 1,500,000" in popup
    closed = facility_popup(layers["facilities"].iloc[2], ["beds"])
    assert "<td>–</td><td>–</td>" in closed  # no queue figures for a closed site


def test_map_layers_escaping_and_no_external_resources() -> None:
    layers, summary = tiny_run()
    page = _page(layers, summary)
    for name in (
        "Plan: minutes to assigned site",
        "Areas: demand (beds needed)",
        "Plan: coverage status",
        "Plan: facilities",
        "Plan: assignment lines",
        "Plan: unmet demand",
        "Plan: catchments",
        "Baseline: minutes to nearest existing site",
        "Baseline: existing facilities",
    ):
        assert json.dumps(name) in page, name
    assert "LOS-risk" not in page and "Service areas" not in page
    # no raw input markup anywhere, and no template-literal syntax from input
    assert EVIL not in page and "${x}" not in page
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", page)
    # the embedded data round-trips: three areas, three sites with the evil name as text
    data = _embedded_json(page)
    areas_fc = next(d for d in data if isinstance(d, dict) and len(d["features"]) == 3)
    tips = [f["properties"]["tip"] for f in areas_fc["features"]]
    assert "<b>area &lt;script&gt;alert(1)&lt;/script&gt;</b>" in tips[2]
    assert "snapped 2 km" in tips[2]
    # colours: 5 min and 12 min in different classes; NaN baseline minutes in the no-data grey
    props = [f["properties"] for f in areas_fc["features"]]
    assert props[0]["m"] != props[1]["m"]
    assert props[2]["b"] == "#bbbbbb"
    sites = _circles(data, "geoalloc-site")
    assert [s["c"] for s in sites] == ["#1f78b4", "#33a02c", "#e31a1c"]
    # sized by capacity after: opened 15 > kept 10 > closed 0
    assert sites[1]["r"] > sites[0]["r"] > sites[2]["r"]
    unmet = _circles(data, "geoalloc-unmet")
    assert len(unmet) == 1 and "3 beds" in unmet[0]["tip"]


def test_optional_layers_when_present() -> None:
    layers, summary = tiny_run(extras=True)
    service = gpd.GeoDataFrame(
        {"site": ["s1", "s1", EVIL], "minutes": [10.0, 20.0, 10.0]},
        geometry=[
            Point(-87.695, 41.856).buffer(0.01),
            Point(-87.695, 41.856).buffer(0.02),
            Point(-87.67, 41.856).buffer(0.01),
        ],
        crs=4326,
    )
    page = _page(layers, summary, service_areas=service)
    assert json.dumps("Areas: LOS-risk-weighted demand") in page
    assert json.dumps("Service areas (isochrones)") in page
    assert "≤ 10 min" in page and "≤ 20 min" in page
    assert EVIL not in page
    data = _embedded_json(page)
    service_fc = next(
        d for d in data if isinstance(d, dict) and "within" in d["features"][0]["properties"]["tip"]
    )
    # drawn largest band first, so the inner band stays on top
    assert service_fc["features"][0]["properties"]["tip"].endswith("within 20 min")


def test_light_geometry_simplifies_and_rounds() -> None:
    # a polygon with 2,000 vertices on a circle of ~1 km: simplified to far fewer, 5 decimals
    circle = gpd.GeoDataFrame(geometry=[Point(-87.7, 41.85).buffer(0.01, 500)], crs=4326)
    light = light_geometry(circle)
    coords = np.asarray(light.iloc[0].exterior.coords)
    assert len(coords) < len(circle.geometry.iloc[0].exterior.coords) / 4
    assert np.allclose(coords, np.round(coords, 5))
    assert light.iloc[0].area == pytest.approx(circle.geometry.iloc[0].area, rel=0.01)


def test_light_geometry_of_empty_shapes() -> None:
    """A layer whose shapes are all empty (service areas of sites that reach nothing) has no
    extent to pick a UTM zone from: it crashed the map ('NaN or None values are not allowed')."""
    empty = gpd.GeoDataFrame(geometry=[Polygon(), Polygon()], crs=4326)
    light = light_geometry(empty)
    assert light.crs.to_epsg() == 4326
    assert light.is_empty.all() and len(light) == 2


def test_map_accepts_projected_layers() -> None:
    layers, summary = tiny_run()
    projected = {k: v.to_crs(32616) for k, v in layers.items()}
    page = _page(projected, summary)
    data = _embedded_json(page)
    sites = _circles(data, "geoalloc-site")
    assert sites[0]["lat"] == pytest.approx(41.856, abs=1e-5)
    assert sites[0]["lon"] == pytest.approx(-87.695, abs=1e-5)


def test_no_demand_anywhere_still_draws() -> None:
    layers, summary = tiny_run()
    areas = layers["areas"]
    areas["demand_beds"] = 0.0
    areas["minutes"] = np.nan
    areas["unmet_beds"] = 0.0
    layers["assignments"] = layers["assignments"].iloc[0:0]
    page = _page(layers, summary)
    assert json.dumps("Plan: unmet demand (none)") in page
    assert pd.notna(page)


def test_thousand_detailed_areas_stay_under_5_mb() -> None:
    """1,000 areas of 400 vertices each (a detailed boundary file), 50 sites: page < 5 MB."""
    layers, summary = tiny_run()
    n = 1000
    rng = np.random.default_rng(1)
    centres = [(-87.9 + 0.02 * (i % 40), 41.6 + 0.02 * (i // 40)) for i in range(n)]
    areas = gpd.GeoDataFrame(
        {
            "area_id": [f"tract-{i:04d}" for i in range(n)],
            "population": rng.integers(500, 8000, n).astype(float),
            "demand_beds": rng.uniform(0, 20, n),
            "served_beds": rng.uniform(0, 20, n),
            "unmet_beds": np.where(rng.uniform(size=n) < 0.1, rng.uniform(0, 3, n), 0.0),
            "site": [f"s{i % 50}" for i in range(n)],
            "minutes": rng.uniform(0, 45, n),
            "nearest_open_minutes": rng.uniform(0, 45, n),
            "baseline_site": [f"s{i % 50}" for i in range(n)],
            "baseline_minutes": rng.uniform(0, 60, n),
            "status": rng.choice(list(AREA_STATUS), n),
            "travel_flag": [None] * n,
        },
        geometry=[Point(x, y).buffer(0.0095, 100) for x, y in centres],
        crs=4326,
    )
    sites = layers["facilities"].sample(50, replace=True, random_state=1).reset_index(drop=True)
    sites["site_id"] = [f"s{i}" for i in range(50)]
    sites["name"] = [f"Hospital {i}" for i in range(50)]
    sites.geometry = [Point(x, y) for x, y in centres[::20]]
    assignments = gpd.GeoDataFrame(
        {
            "area": areas["area_id"],
            "site": areas["site"],
            "resource": "beds",
            "quantity": areas["served_beds"],
            "minutes": areas["minutes"],
        },
        geometry=[LineString([c, centres[(i % 50) * 20]]) for i, c in enumerate(centres)],
        crs=4326,
    )
    page = _page(
        {
            "areas": areas,
            "facilities": sites,
            "assignments": assignments,
            "catchments": layers["catchments"],
        },
        summary,
    )
    size_mb = len(page.encode("utf-8")) / 1e6
    assert size_mb < 5.0, size_mb
    assert page.count('"area_id') == 0  # tooltips carry the text, not the raw table
    assert page.count("tract-0999") >= 2  # tooltip and assignment line


# --- every mark in the legend, unmet demand's symbol, the layer control last -----------------


def test_every_mark_on_the_map_is_in_its_legend() -> None:
    from tests.helpers import legend_gaps

    layers, summary = tiny_run(extras=True)
    layers["facilities"].loc[2, "status"] = "out of service"  # a status of an outage run
    service = gpd.GeoDataFrame(
        {"site": ["s1", "s1"], "minutes": [10.0, 20.0]},
        geometry=[Point(-87.695, 41.856).buffer(0.01), Point(-87.695, 41.856).buffer(0.02)],
        crs=4326,
    )
    fmap = build_map(
        layers["areas"],
        layers["facilities"],
        layers["assignments"],
        layers["catchments"],
        summary,
        service_areas=service,
    )
    assert legend_gaps(fmap) == []
    page = map_html(fmap)
    assert "out of service" in page  # its own legend row (black), not an unexplained colour
    # the check finds a mark without a legend row: a status the legend does not list
    from geoalloc.outputs.layers import circle_layer, circle_record

    circle_layer(
        fmap,
        [circle_record(Point(-87.69, 41.85), radius=3, colour="#123456", tip="x", css_class="x")],
        "Unexplained",
    )
    assert legend_gaps(fmap) == ["Unexplained: no legend section (None)"]


def test_unmet_demand_is_a_dashed_ring_unlike_any_site() -> None:
    from geoalloc.outputs.styles import STATUS_COLOURS, UNMET_COLOUR, UNMET_DASH

    layers, summary = tiny_run()
    page = _page(layers, summary)
    unmet = _circles(_embedded_json(page), "geoalloc-unmet")
    assert [c["c"] for c in unmet] == [UNMET_COLOUR]  # the one area left short (3 beds)
    assert UNMET_COLOUR not in STATUS_COLOURS.values()
    assert f"dashArray: {json.dumps(UNMET_DASH)}" in page
    legend = re.search(
        r"id='geoalloc-legend-unmet'.*?</div></div>",
        page.replace("\\u003c", "<").replace("\\u003e", ">"),
    )
    assert legend and "geoalloc-ring" in legend.group(0) and UNMET_COLOUR in legend.group(0)


def test_a_layer_added_after_the_control_is_listed_in_it() -> None:
    """The compare map's bug: layers added to a finished map came after the layer control's
    script, which then named undefined variables (a script error, and no control)."""
    from geoalloc.outputs.layers import circle_layer, circle_record

    layers, summary = tiny_run()
    fmap = build_map(
        layers["areas"],
        layers["facilities"],
        layers["assignments"],
        layers["catchments"],
        summary,
    )
    late = circle_layer(
        fmap,
        [circle_record(Point(-87.69, 41.85), radius=3, colour="#123456", tip="x", css_class="x")],
        "Added late",
    )
    page = map_html(fmap)
    control = page.index("L.control.layers(")
    assert page.index(f"var {late.get_name()} = ") < control
    assert f'"Added late" : {late.get_name()},' in page


def test_unmet_rings_share_one_scale_with_the_areas_demand() -> None:
    """A ring's size says how much is short: a sliver of an area's need is a small ring even when
    it is the only shortfall on the map, and an area as needy as any, left wholly short, the
    largest ring."""
    layers, summary = tiny_run()
    areas = layers["areas"]
    areas.loc[2, ["served_beds", "unmet_beds"]] = [11.99, 0.01]  # of 12 beds needed
    sliver = _circles(_embedded_json(_page(layers, summary)), "geoalloc-unmet")
    areas.loc[2, ["served_beds", "unmet_beds"]] = [0.0, 12.0]  # the largest demand, all unmet
    areas.loc[0, ["served_beds", "unmet_beds"]] = [1.0, 1.0]  # half of 2 beds
    both = _circles(_embedded_json(_page(layers, summary)), "geoalloc-unmet")
    assert [c["r"] for c in sliver] == [3.3]
    assert [c["r"] for c in both] == [round(3 + 12 * (1 / 12) ** 0.5, 1), 15.0]


@pytest.mark.slow  # importing mapclassify (scikit-learn, pyplot) takes ~3 s
def test_classes_are_mapclassifys(shared_data: Path) -> None:
    """The map's quantile and user-defined classes equal mapclassify's (computed without
    importing it, which pulls in scikit-learn and pyplot), on Chicago's tract populations and on
    values with many ties."""
    import warnings

    import mapclassify

    from geoalloc.outputs.styles import bin_ids, quantile_bins

    tracts = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_tracts_pop.gpkg")
    samples = [
        tracts["TotalPop"].to_numpy(float),
        tracts["OverFifty"].to_numpy(float) / 7.0,
        np.repeat([0.0, 1.0, 2.5, 2.5, 40.0], 7),
        np.array([3.0, 3.0, 3.0, 9.0]),
    ]
    for y in samples:
        for k in (2, 3, 5, 7):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                theirs = mapclassify.Quantiles(y, k=k)
            bins = quantile_bins(y, k)
            assert bins.tolist() == theirs.bins.tolist()
            assert bin_ids(y, bins).tolist() == theirs.yb.tolist()
        for edges in ([10.0, 20.0, 30.0, 60.0], [float(np.median(y)), float(y.max()) + 1e-9]):
            theirs = mapclassify.UserDefined(y, bins=edges)
            assert bin_ids(y, theirs.bins).tolist() == theirs.yb.tolist()
