"""An update's changes on its map: the sites it opens, closes or resizes, and what each buys; for
the update of a time-phased deployment, the shipments it adds or cancels and the temporary sites
it opens, cancels or opens on another day."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from folium.map import Layer
from shapely.geometry import LineString

import geoalloc._text as fmt
from geoalloc.outputs.escape import text
from geoalloc.outputs.layers import Legend, circle_layer, circle_record, in_4326, line_layer
from geoalloc.outputs.planning_layers import shipment_records
from geoalloc.outputs.popups import Names

#: ring colours of the changes (the status colours of the sites stay those of the plan)
CHANGE_COLOURS = {
    "open": "#1a9850",
    "close": "#111111",
    "add": "#2166ac",
    "remove": "#b2182b",
    # the temporary sites of a time-phased deployment
    "site opened": "#1a9850",
    "site cancelled": "#111111",
    "site opened earlier": "#2166ac",
    "site opened later": "#b2182b",
}
CHANGE_WORDS = {
    "open": "opened by the update",
    "close": "closed by the update",
    "add": "units added by the update",
    "remove": "units removed by the update",
    "site opened": "temporary site opened by the update",
    "site cancelled": "temporary site no longer opened (cancelled)",
    "site opened earlier": "temporary site opened earlier",
    "site opened later": "temporary site opened later",
}
#: the lines of the shipments an update of a time-phased deployment changes: colour, dash
#: pattern (None: solid), legend words
#: (dark teal, unlike the blue of the sites kept and the brown of the plan's shipments)
SHIPMENT_CHANGE_STYLES = {
    "shipment added": ("#01665e", None, "shipment added by the update"),
    "shipment cancelled": ("#525252", "6 4", "shipment cancelled by the update"),
}
#: the changed shipments' lines stand out more than the schedule's (0.55)
CHANGE_LINE_OPACITY = 0.85
#: the layer (and legend) words of each kind of shipment change
SHIPMENT_CHANGE_NAMES = {
    "shipment added": "shipments added",
    "shipment cancelled": "shipments cancelled",
}
#: the name of every changes layer starts with it
CHANGES_LAYER = "Update: changes"


def _day(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)  # type: ignore[call-overload]


def _site_when(row: Mapping[str, Any]) -> str:
    before, after = _day(row.get("open_day_before")), _day(row.get("open_day_after"))
    if before is None:
        return f"opens on day {after} (was not to open)"
    if after is None:
        return f"was to open on day {before}"
    return f"opens on day {after} instead of day {before}"


def _tip(row: Mapping[str, Any]) -> str:
    what = CHANGE_WORDS[row["change"]]
    if row["change"] in ("add", "remove"):
        what = (
            f"{fmt.number(row.get('units'), 0)} {text(row.get('resource'))} {what.split(' ', 1)[1]}"
        )
    elif row["change"].startswith("site "):
        what = f"{what}: {_site_when(row)}"
    name = text(row.get("name") or row["site"])
    buys = (
        f"<br>unmet avoided: {fmt.number(row.get('unmet_avoided'))} units; demand-minutes "
        f"avoided: {fmt.number(row.get('demand_minutes_avoided'), 0)}"
        if row.get("unmet_avoided") is not None
        else ""
    )
    return f"<b>{name}</b>: {what}{buys}"


def add_changes(
    fmap: folium.Map,
    legend: Legend,
    changes: gpd.GeoDataFrame | None,
    *,
    names: Names | None = None,
    name: str = CHANGES_LAYER,
    nothing: str = "no change",
) -> Layer:
    """The ``changes`` layer of an update as rings around the sites, with a legend section (the
    shipments of a deployment update are left to :func:`add_shipment_changes`); ``names``: the
    sites' display names, when the rows have no ``name``; ``name``: the layer's (" (none)" added
    when it has no ring), ``nothing``: the legend's words then."""
    rows = [] if changes is None else in_4326(changes).to_dict(orient="records")
    rows = [row for row in rows if row["change"] in CHANGE_COLOURS]
    for row in rows:
        if names is not None and not row.get("name"):
            row["name"] = names.sites.get(str(row["site"]))
    records = [
        circle_record(
            row["geometry"],
            radius=14,
            colour=CHANGE_COLOURS[row["change"]],
            tip=_tip(row),
            css_class="geoalloc-change",
        )
        for row in rows
        if row.get("geometry") is not None
    ]
    kinds = sorted({row["change"] for row in rows}, key=list(CHANGE_COLOURS).index)
    legend_id = legend.section(
        "geoalloc-legend-changes",
        "what the update changes (rings)",
        [(CHANGE_COLOURS[k], CHANGE_WORDS[k]) for k in kinds] or [("#999999", nothing)],
        symbol="ring",
    )
    name = name if records else f"{name} (none)"
    return circle_layer(
        fmap, records, name, fill_opacity=0.0, weight=3.0, legend_id=legend_id, show=True
    )


def _leg(units: float, depart: int, arrive: int, lead_periods: int) -> str:
    return (
        f"{fmt.quantity(units)} leave day {depart}, usable from day {arrive} (lead "
        f"{lead_periods} period(s), {arrive - depart} days)"
    )


def _route_tip(row: Any, names: Names) -> str:
    """A route's changed shipments in words: the total, then each shipment by day, and those of
    the other kind on the same route (their line lies under or over this one)."""
    legs = "".join(f"<br>{_leg(*leg)}" for leg in row.legs)
    other = "".join(f"<br>{_leg(*leg)}" for leg in row.other_legs)
    if other:
        kind = next(k for k in SHIPMENT_CHANGE_NAMES if k != row.change)
        other = f"<br><i>on the same route, {SHIPMENT_CHANGE_NAMES[kind]}:</i>{other}"
    return (
        f"<b>{SHIPMENT_CHANGE_STYLES[row.change][2]}</b>: {fmt.quantity(row.units)} "
        f"{text(row.resource)}: {names.site(row.from_site)} → {names.site(row.to_site)}"
        f"{legs}{other}"
    )


def _routes(changes: pd.DataFrame, point: gpd.GeoSeries) -> gpd.GeoDataFrame:
    """The shipment changes by kind and route (resource, from, to): the units summed, each
    shipment a leg ``(units, depart_day, arrive_day, lead_periods)`` in the order of its day."""
    rows = changes[changes["change"].isin(list(SHIPMENT_CHANGE_STYLES))].copy()
    for column in ("from_site", "to_site", "resource"):
        rows[column] = rows[column].astype(str)
    rows = rows[rows["from_site"].isin(point.index) & rows["to_site"].isin(point.index)]
    rows = rows.sort_values(["depart_day", "arrive_day"])
    routes = []
    for (change, resource, a, b), legs in rows.groupby(
        ["change", "resource", "from_site", "to_site"], sort=True
    ):
        routes.append(
            {
                "change": change,
                "resource": resource,
                "from_site": a,
                "to_site": b,
                "units": float(legs["units"].astype(float).sum()),
                "legs": [
                    (float(u), int(d), int(t), int(lead))
                    for u, d, t, lead in zip(
                        legs["units"],
                        legs["depart_day"],
                        legs["arrive_day"],
                        legs["lead_periods"],
                        strict=True,
                    )
                ],
                "geometry": LineString([point[a], point[b]]),
            }
        )
    legs = {(r["change"], r["resource"], r["from_site"], r["to_site"]): r["legs"] for r in routes}
    for route in routes:
        kind = next(k for k in SHIPMENT_CHANGE_STYLES if k != route["change"])
        key = (kind, route["resource"], route["from_site"], route["to_site"])
        route["other_legs"] = legs.get(key, [])
    columns = ["change", "resource", "from_site", "to_site", "units", "legs", "other_legs"]
    return gpd.GeoDataFrame(pd.DataFrame(routes, columns=[*columns, "geometry"]), crs=4326)


def add_shipment_changes(
    fmap: folium.Map,
    legend: Legend,
    changes: gpd.GeoDataFrame | None,
    facilities: gpd.GeoDataFrame,
    names: Names,
) -> list[Layer]:
    """The shipments an update of a time-phased deployment adds and cancels (rows of its
    ``changes`` layer with ``change`` "shipment added" / "shipment cancelled", ``resource``,
    ``units``, ``from_site``, ``to_site``, ``depart_day``, ``arrive_day``, ``lead_periods``): a
    layer of lines per kind that has any, each with its legend section. One line per route
    (resource, from → to), however many days it ships on — lines drawn over each other would
    show one shipment's tooltip for all — its tooltip listing each shipment by day, widths by
    units on one scale. ``facilities``: the run's sites (``site_id``, points)."""
    if changes is None or not len(changes):
        return []
    point = in_4326(facilities).set_index(facilities["site_id"].astype(str).to_numpy()).geometry
    routes = _routes(changes, point)
    if not len(routes):
        return []
    records = shipment_records(routes, names, _route_tip)
    layers = []
    for kind, (colour, dash, words) in SHIPMENT_CHANGE_STYLES.items():
        mine = (routes["change"] == kind).to_numpy()
        these = [r for r, m in zip(records, mine, strict=True) if m]
        if not these:
            continue
        shipments = sum(len(legs) for legs in routes.loc[mine, "legs"])
        legend_id = legend.section(
            f"geoalloc-legend-{kind.replace(' ', '-')}",
            f"{SHIPMENT_CHANGE_NAMES[kind]} (width: units)",
            [(colour, words)],
            symbol="dashed line" if dash else "line",
        )
        name = (
            f"{CHANGES_LAYER}: {SHIPMENT_CHANGE_NAMES[kind]} ({shipments} on {len(these)} route(s))"
        )
        layers.append(
            line_layer(
                fmap,
                these,
                name,
                show=True,
                colour=colour,
                legend_id=legend_id,
                dash=dash,
                opacity=CHANGE_LINE_OPACITY,
            )
        )
    return layers


def phased_update_headline(summary: Mapping[str, Any]) -> str:
    """The lines at the top of a deployment update's title box: the day it is made on, what it
    changes, and the unmet unit-days per resource if the schedule is kept → as updated."""
    update = summary["update"]
    rows = update.get("change_rows") or []
    counts = {k: sum(1 for row in rows if row["change"] == k) for k in SHIPMENT_CHANGE_STYLES}
    sites = sum(1 for row in rows if row["change"].startswith("site "))
    changed = (
        f"{counts['shipment added']} shipment(s) added, {counts['shipment cancelled']} "
        f"cancelled, {sites} temporary site(s) changed"
        if rows
        else "no change: the schedule in force is kept"
    )
    kept = (update.get("kept") or {}).get("unmet_unit_days")
    new = (update.get("new") or {}).get("unmet_unit_days") or {}
    lines = [
        f"<b>Update as of day {int(update['as_of_day'])}</b> of "
        f"{text(update['parent'].get('scenario'))}: decisions before day "
        f"{int(update['first_change_day'])} kept; {changed}",
        "<table><tr><td>unmet unit-days</td><td><b>schedule kept</b></td><td></td>"
        "<td><b>updated</b></td></tr>",
    ]
    for r, value in new.items():
        before = fmt.number(kept[r], 0) if kept is not None else "not feasible"
        lines.append(
            f"<tr><td>{text(r)}</td><td>{before}</td><td>→</td><td>{fmt.number(value, 0)}</td></tr>"
        )
    # the planning table below is the static plan's, in units (not unit-days): said, not guessed
    lines.append(
        "</table><i>Below: the static plan the schedule starts from (unmet in units).</i><br>"
    )
    return "".join(lines)
