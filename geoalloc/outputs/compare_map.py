"""The map ``geoalloc compare --map`` writes: run B's planning map with run A as layers.

Two layers come from A, each with its legend section: *Compared with A: areas that gained/lost
access* (B's areas whose access changed, in two colours) and *A: facilities* (A's sites, faded,
coloured by their status in A). A third switch button, *Run A*, shows these two and hides B's
plan and baseline layers; *Plan* and *Baseline* bring B's back. They are added through
:func:`geoalloc.outputs.planning_map.build_map`'s ``extend``, before the legend and the layer
control are made, so that both list them.
"""

from __future__ import annotations

from collections.abc import Callable

import folium
import geopandas as gpd
from folium.map import Layer

import geoalloc._text as fmt
from geoalloc.outputs.escape import text
from geoalloc.outputs.layers import Legend, circle_layer, circle_record, in_4326, polygon_layer
from geoalloc.outputs.planning_layers import status_colour, status_rows
from geoalloc.outputs.planning_map import map_of_run
from geoalloc.outputs.popups import Names
from geoalloc.outputs.styles import ACCESS_CHANGE_COLOURS

#: the label of the switch button that shows the compared run
OTHER_RUN_BUTTON = "Run A"


def comparison_map(
    layers: dict[str, gpd.GeoDataFrame],
    summary: dict,
    comparison: dict,
    other_facilities: gpd.GeoDataFrame,
    *,
    button: str = OTHER_RUN_BUTTON,
    also: Callable[[folium.Map, Legend], object] | None = None,
) -> folium.Map:
    """Run B's map (its ``layers`` and ``summary``) with run A of ``comparison`` as layers.

    Parameters
    ----------
    layers, summary
        Run B's results (as :func:`geoalloc.outputs.planning_map.map_of_run` takes them).
    comparison
        :func:`geoalloc.runs.compare.compare_runs` of A and B (``scenario_a``,
        ``areas_gained_access``, ``areas_lost_access``: rows with ``area``, ``population``,
        ``minutes_a``, ``minutes_b`` in minutes).
    other_facilities
        Run A's facilities layer (``site_id``, ``name``, ``status``, points).
    button
        The label of the switch button that shows run A (an update's map: "Plan kept").
    also
        Adds more layers of run B (with their legend sections) before A's: an update's changes.

    Returns
    -------
    folium.Map
        Save it with :func:`~geoalloc.outputs.leaflet.save_map`.
    """

    def extend(fmap: folium.Map, legend: Legend) -> dict[str, tuple[str, list[Layer]]]:
        if also is not None:
            also(fmap, legend)
        shown = add_comparison(fmap, legend, comparison, layers["areas"], other_facilities)
        other = text(comparison["scenario_a"])
        tip = f"show {other}: the areas whose access differs and its facilities"
        return {button: (tip, shown)}

    return map_of_run(layers, summary, extend=extend)


def add_comparison(
    fmap: folium.Map,
    legend: Legend,
    comparison: dict,
    areas: gpd.GeoDataFrame,
    other_facilities: gpd.GeoDataFrame,
) -> list[Layer]:
    """Add the other run of ``comparison`` (this map being run B's) as two layers with their
    legend sections: the areas that gained or lost access, and run A's facilities. Returns both.

    ``areas``: this run's areas layer (for the polygons and names); ``other_facilities``: run A's
    facilities layer (columns ``site_id``, ``name``, ``status``, geometry).
    """
    other = text(comparison["scenario_a"])
    names = Names.of(areas)
    rows = [
        (row, kind)
        for kind, key in (
            ("gained access", "areas_gained_access"),
            ("lost access", "areas_lost_access"),
        )
        for row in comparison[key]
    ]
    shapes = in_4326(areas).set_index(areas["area_id"].astype(str).to_numpy())
    changed = shapes.loc[[str(row["area"]) for row, _ in rows]] if rows else shapes.iloc[:0]
    name = f"Compared with {other}: areas that gained/lost access"
    counts = {kind: sum(1 for _, k in rows if k == kind) for kind in ACCESS_CHANGE_COLOURS}
    legend_id = legend.section(
        "geoalloc-legend-compare",
        f"access compared with {other}",
        [
            (c, f"{kind} ({counts[kind]} area{'s' if counts[kind] != 1 else ''})")
            for kind, c in ACCESS_CHANGE_COLOURS.items()
            if counts[kind]
        ],
    )
    areas_layer = polygon_layer(
        fmap,
        changed,
        name if rows else f"{name} (none)",
        tips=[
            f"<b>{names.area(row['area'])}</b>: {kind} compared with {other}<br>"
            f"nearest open site: {fmt.minutes(row['minutes_a'])} → "
            f"{fmt.minutes(row['minutes_b'])}<br>population: {fmt.quantity(row['population'])}"
            for row, kind in rows
        ],
        colours=[ACCESS_CHANGE_COLOURS[kind] for _, kind in rows],
        style={"color": "#222", "weight": 1.5, "fillOpacity": 0.7},
        legend_id=legend_id,
        show=bool(rows),
    )
    sites = in_4326(other_facilities)
    records = [
        circle_record(
            point,
            radius=6,
            colour=status_colour(status),
            tip=f"{text(site_name)} ({text(status)} in {other})",
            css_class="geoalloc-other-site",
        )
        for point, site_name, status in zip(
            sites.geometry, sites["name"], sites["status"], strict=True
        )
    ]
    legend_id = legend.section(
        "geoalloc-legend-other-sites",
        f"facilities of {other} (faded), by their status there",
        status_rows(sites["status"]),
        symbol="faded dot",
    )
    sites_layer = circle_layer(
        fmap,
        records,
        f"{other}: facilities",
        show=False,
        fill_opacity=0.35,
        legend_id=legend_id,
    )
    return [areas_layer, sites_layer]
