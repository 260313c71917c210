"""The map of a time-phased deployment's update, and ``geoalloc follow`` as of a day, on the tiny
instance of tests/runs/phased_instance.py with its temporary site T at B.

The plan: A 40,000 people, B none — T stays closed, nothing moves. B grows to 20,000 (27.4 beds a
day): updated as of day 0, 28 beds leave S1 on day 0 for T, usable on day 2 (lead 2 periods), and
T opens on day 2 to hold them; B goes without on days 0 and 1 (54.8 unit-days, 137.0 if the
schedule is kept). B back to none, the update of that update as of day 0 cancels both.
"""

from __future__ import annotations

import json
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from folium.map import Layer
from shapely.geometry import Point

import geoalloc
from geoalloc.cli import cli
from geoalloc.outputs.layers import Legend
from geoalloc.outputs.leaflet import Box
from geoalloc.outputs.popups import Names
from geoalloc.outputs.update_map import add_shipment_changes
from geoalloc.runs.folder import RunFolder
from geoalloc.runs.follow import already_applied
from geoalloc.runs.manifest import sha256_file
from geoalloc.runs.result import RunResult
from tests.helpers import legend_gaps
from tests.runs.phased_instance import DEPLOYMENT, write_areas, write_plan

GROWN = {"A": 40_000.0, "B": 20_000.0}
GONE = {"A": 40_000.0, "B": 0.0}


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory, write_scenario) -> Path:
    folder = tmp_path_factory.mktemp("phased-t")
    return write_plan(folder, write_scenario, GONE, temporary=True, deployment=DEPLOYMENT)


@pytest.fixture(scope="module")
def opened(plan: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Path]:
    """The update as of day 0 on B grown, and its folder (the parent of the next update)."""
    folder = tmp_path_factory.mktemp("opened")
    result = geoalloc.update(plan, areas=write_areas(folder / "b.gpkg", GROWN), out=folder / "u")
    return result, result.write(folder / "u")


def _layers(fmap) -> dict[str, Layer]:
    children = fmap._children.values()
    return {c.layer_name: c for c in children if isinstance(c, Layer) and c.overlay}


def _title(fmap) -> str:
    [box] = [
        c for c in fmap._children.values() if isinstance(c, Box) and "title" in c.css_class_json
    ]
    return json.loads(box.html_json)


def _data(layer: Layer) -> list:
    return json.loads(layer.data_json)  # type: ignore[attr-defined]


@pytest.mark.slow  # the plan and an update: 4 s
def test_the_map_draws_the_shipment_added_and_the_site_opened(opened) -> None:
    opened, _ = opened
    summary = opened.summary
    assert [row["change"] for row in summary["update"]["change_rows"]] == [
        "shipment added",
        "site opened",
    ]
    fmap = opened.kind.build_map(opened.layers, summary)
    assert legend_gaps(fmap) == []
    layers = _layers(fmap)
    added = layers["Update: changes: shipments added (1 on 1 route(s))"]
    sites = layers["Update: changes: temporary sites"]
    assert "Update: changes: shipments cancelled (1 on 1 route(s))" not in layers
    assert added.show and sites.show
    # the schedule's own shipments (the same line) are off at first, under the changes
    assert not layers["Plan: shipments (what moves where and when)"].show
    [line] = _data(added)
    assert line[5] == (
        "<b>shipment added by the update</b>: 28 beds: S1 → T<br>28 leave day 0, usable from day "
        "2 (lead 2 period(s), 2 days)"
    )
    [ring] = _data(sites)
    assert (
        ring["tip"]
        == "<b>T</b>: temporary site opened by the update: opens on day 2 (was not to open)"
    )
    title = _title(fmap)
    assert "Update as of day 0" in title
    # the unmet unit-days of beds: 5 days × 27.4 kept → 2 days × 27.4 updated
    assert "<td>beds</td><td>137</td><td>→</td><td>55</td>" in title
    assert "1 shipment(s) added, 0 cancelled, 1 temporary site(s) changed" in title
    assert (
        title.index("unmet unit-days")
        < title.index("Below: the static plan")
        < title.index("baseline")
    )


@pytest.mark.slow
def test_the_map_draws_cancelled_shipments_dashed_from_the_folder(opened, tmp_path) -> None:
    _, parent = opened
    undone = geoalloc.update(parent, areas=write_areas(tmp_path / "b.gpkg", GONE), as_of_day=0)
    folder = undone.write(tmp_path / "u2")
    run = RunFolder(folder).read()  # the layers as results.gpkg gives them back
    fmap = run.kind.build_map(run.layers, run.summary)
    assert legend_gaps(fmap) == []
    layers = _layers(fmap)
    cancelled = layers["Update: changes: shipments cancelled (1 on 1 route(s))"]
    assert json.loads(cancelled.dash_json) == "6 4"  # type: ignore[attr-defined]
    assert "Update: changes: shipments added (1 on 1 route(s))" not in layers
    [line] = _data(cancelled)
    assert line[5].startswith("<b>shipment cancelled by the update</b>: 28 beds: S1 → T")
    [ring] = _data(layers["Update: changes: temporary sites"])
    assert "no longer opened (cancelled): was to open on day 2" in ring["tip"]
    page = (folder / "map.html").read_text(encoding="utf-8")
    assert "Update: changes: shipments cancelled (1 on 1 route(s))" in page
    assert "shipment cancelled by the update" in page


@pytest.mark.slow
def test_follow_reads_each_files_day_from_its_name(plan, tmp_path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_areas(inbox / "day2_more.gpkg", {"A": 40_000.0, "B": 30_000.0})
    write_areas(inbox / "day0_grown.gpkg", GROWN)  # applied first: its day is earlier
    args = ["follow", str(plan), str(inbox), "--as", "areas", "--pattern", "*.gpkg"]
    args += ["--day-from-name", "--out-root", str(tmp_path / "chain")]
    runner = CliRunner()
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert first.output.index("day0_grown.gpkg: applied (as of day 0)") < first.output.index(
        "day2_more.gpkg: applied (as of day 2)"
    )
    chain = tmp_path / "chain"
    for name, day in (("day0_grown", 0), ("day2_more", 2)):
        manifest = json.loads((chain / name / "manifest.json").read_text())
        assert manifest["update"]["as_of_day"] == day
    second = runner.invoke(cli, args)
    assert second.exit_code == 0, second.output
    assert second.output.count("already applied") == 2
    # the day is part of what was applied: the same file as of another day is not
    digest = sha256_file(inbox / "day2_more.gpkg")
    folder, parent = chain / "day2_more", chain / "day0_grown"
    assert already_applied(folder, parent, "areas", digest, 2)
    assert not already_applied(folder, parent, "areas", digest, 1)
    assert not already_applied(folder, parent, "areas", digest, None)  # the start day, 0
    # a file without its day stops the run before anything is applied
    write_areas(inbox / "grown.gpkg", GROWN)
    bad = runner.invoke(cli, args)
    assert bad.exit_code == 3
    assert "without their day in the name: grown.gpkg" in bad.output
    both = runner.invoke(cli, [*args, "--as-of-day", "1"])
    assert both.exit_code == 2 and "not both" in both.output


def test_shipments_on_one_route_are_one_line_listing_each_day() -> None:
    """Lines drawn over each other would show one shipment's tooltip for all of them."""
    sites = gpd.GeoDataFrame(
        {"site_id": ["S1", "S2", "S3"], "name": ["One", "Two", "<b>Three</b>"]},
        geometry=[Point(24.0, 60.0), Point(24.3, 60.0), Point(24.0, 60.2)],
        crs=4326,
    )
    shipment = {"resource": "beds", "from_site": "S1", "lead_periods": 1}
    changes = pd.DataFrame(
        [
            {
                **shipment,
                "change": "shipment added",
                "to_site": "S2",
                "units": 5.0,
                "depart_day": 12,
                "arrive_day": 15,
            },
            {
                **shipment,
                "change": "shipment added",
                "to_site": "S2",
                "units": 3.0,
                "depart_day": 9,
                "arrive_day": 12,
            },
            {
                **shipment,
                "change": "shipment cancelled",
                "to_site": "S2",
                "units": 4.0,
                "depart_day": 9,
                "arrive_day": 12,
            },
            {
                **shipment,
                "change": "shipment added",
                "to_site": "S3",
                "units": 2.0,
                "depart_day": 9,
                "arrive_day": 12,
            },
        ]
    )
    fmap = folium.Map()
    names = Names.of(pd.DataFrame({"area_id": []}), sites)
    layers = add_shipment_changes(fmap, Legend(), gpd.GeoDataFrame(changes), sites, names)
    assert [layer.layer_name for layer in layers] == [
        "Update: changes: shipments added (3 on 2 route(s))",
        "Update: changes: shipments cancelled (1 on 1 route(s))",
    ]
    added = sorted(_data(layers[0]), key=lambda line: line[5])
    assert [line[5] for line in added] == [
        "<b>shipment added by the update</b>: 2 beds: One → &lt;b&gt;Three&lt;/b&gt;<br>2 leave "
        "day 9, usable from day 12 (lead 1 period(s), 3 days)",
        "<b>shipment added by the update</b>: 8 beds: One → Two<br>3 leave day 9, usable from "
        "day 12 (lead 1 period(s), 3 days)<br>5 leave day 12, usable from day 15 (lead 1 "
        "period(s), 3 days)<br><i>on the same route, shipments cancelled:</i><br>4 leave day 9, "
        "usable from day 12 (lead 1 period(s), 3 days)",
    ]
    # the cancelled line over the added one tells of both too
    [cancelled] = _data(layers[1])
    assert cancelled[5].endswith(
        "<i>on the same route, shipments added:</i><br>3 leave day 9, usable from day 12 (lead 1 "
        "period(s), 3 days)<br>5 leave day 12, usable from day 15 (lead 1 period(s), 3 days)"
    )
    assert [line[4] for line in added] == [1 + 5 * 2 / 8, 6.0]  # width by units, one scale
