"""``map.html`` and ``report.html`` of a telemedicine run (all input text HTML-escaped).

Both name areas by the care they receive in the plan (the areas layer's ``service``, see
:mod:`geoalloc.runs.telemedicine`): *all in person*, *in person and by video*, *all by video*,
*in person, part unmet*, *by video only, the rest unmet*, *no care* — not by whether a physician is
within reach, which an area can be while the physicians' hours go to others. Hubs are named by
their site's name. Hours are physician-hours per week; T is the travel standard.
"""

from __future__ import annotations

import datetime as dt

import folium
import geopandas as gpd
import pandas as pd

import geoalloc._text as fmt
from geoalloc.outputs.charts import stacked_bars_chart
from geoalloc.outputs.checks import checks_section
from geoalloc.outputs.escape import text
from geoalloc.outputs.estimate import estimate_box
from geoalloc.outputs.layers import (
    Legend,
    base_map_layer,
    circle_layer,
    circle_record,
    in_4326,
    layer_control,
    polygon_layer,
    title_box,
)
from geoalloc.outputs.leaflet import base_map
from geoalloc.outputs.popups import area_heading, offline_note
from geoalloc.outputs.report import PAGE_CSS
from geoalloc.outputs.unproven import unproven_box

#: the care an area receives, best first, and its colour on the map
SERVICE_COLOURS = {
    "all in person": "#1a9641",
    "in person and by video": "#a6d96a",
    "all by video": "#67a9cf",
    "in person, part unmet": "#fdae61",
    "by video only, the rest unmet": "#c2a5cf",
    "no care": "#d7191c",
    "no need": "#dddddd",
}
#: a run folder of an earlier geoalloc has no ``service`` column: its areas go by ``status``
ACCESS_COLOURS = {
    "in person": "#1a9641",
    "telemedicine": "#2b83ba",
    "partly": "#fdae61",
    "still without": "#d7191c",
}
PHYSICAL_SITE_COLOUR = "#000000"
HUB_COLOUR = "#2b83ba"
HUB_CLOSED_COLOUR = "#bbbbbb"
IN_PERSON_COLOUR, VIDEO_COLOUR, UNMET_HOURS_COLOUR = "#1a9641", "#2b83ba", "#d7191c"


def _service(areas: pd.DataFrame) -> pd.Series:
    """Each area's care received (its access status in a folder without ``service``)."""
    column = "service" if "service" in areas.columns else "status"
    return areas[column].astype(str)


def _colours() -> dict[str, str]:
    return SERVICE_COLOURS | {k: v for k, v in ACCESS_COLOURS.items() if k not in SERVICE_COLOURS}


def _yes_no(value: object) -> str:
    return "yes" if bool(value) else "no"


def _nearest(row: pd.Series) -> str:
    """Minutes to the nearest physician, or why there are none."""
    minutes = fmt.finite(row.get("minutes_to_physician"))
    if minutes is not None:
        return fmt.minutes(minutes)
    flag = row.get("travel_flag")
    if isinstance(flag, str) and flag:
        return f"no road route ({text(flag.replace('_', ' '))})"
    return "none within reach"


def _area_tip(row: pd.Series) -> str:
    return "<br>".join(
        [
            area_heading(row),
            f"care received: <b>{text(row['service_label'])}</b>",
            f"population: {fmt.quantity(row['population'])}",
            f"nearest physician: {_nearest(row)}",
            f"connected for video: {_yes_no(row['connected'])}",
            f"need: {fmt.quantity(row['demand_hours'])} physician-h/week, of which video could "
            f"serve {fmt.quantity(row['divertible_hours'])}",
            f"in person: {fmt.quantity(row['in_person_hours'])} · by video: "
            f"{fmt.quantity(row['tele_hours'])} · unmet: {fmt.quantity(row['unmet_hours'])} h/week",
        ]
    )


def _site_popup(row: pd.Series) -> str:
    lines = [f"<b>{text(row['name'])}</b> (site {text(row['site_id'])})"]
    if row["in_person_hours"] > 0:
        lines.append(
            f"in person: {fmt.quantity(row['in_person_load'])} of "
            f"{fmt.quantity(row['in_person_hours'])} physician-h/week used"
        )
    if row["hub_candidate"]:
        lines.append(
            f"video hub: {fmt.quantity(row['hub_hours'])} physician-h/week, "
            f"{fmt.quantity(row['hub_load'])} used"
            if row["hub_open"]
            else "video hub candidate, not opened"
        )
    return "<br>".join(lines)


def build_telemedicine_map(layers: dict[str, gpd.GeoDataFrame], summary: dict) -> folium.Map:
    """Areas coloured by the care they receive (tooltips with the figures), sites with
    physician-hours and video hubs as markers with popups, the offline roads and places when the
    run has them; every mark in the legend. Self-contained once written by
    :func:`geoalloc.outputs.leaflet.save_map`."""
    areas = in_4326(layers["areas"])
    areas["service_label"] = _service(areas).to_numpy()
    sites = in_4326(layers["facilities"])
    colours = _colours()
    fmap = base_map(areas)
    legend = Legend()
    base = base_map_layer(fmap, layers.get("roads"), layers.get("places"), legend)
    present = set(areas["service_label"])
    legend_id = legend.section(
        "geoalloc-legend-service",
        "care each area receives",
        [(c, text(s)) for s, c in colours.items() if s in present],
    )
    polygon_layer(
        fmap,
        areas,
        "Areas: care received",
        tips=[_area_tip(row) for _, row in areas.iterrows()],
        colours=[colours.get(s, "#999999") for s in areas["service_label"]],
        style={"color": "#333333", "weight": 1, "fillOpacity": 0.55},
        legend_id=legend_id,
    )
    physical: list[dict] = []
    hubs: list[dict] = []
    for i, (_, row) in enumerate(sites.iterrows()):
        if row["in_person_hours"] > 0:
            target, colour, radius = physical, PHYSICAL_SITE_COLOUR, 8.0
        elif row["hub_candidate"]:
            target = hubs
            colour = HUB_COLOUR if row["hub_open"] else HUB_CLOSED_COLOUR
            radius = 6 + min(10.0, row["hub_hours"] / 5.0) if row["hub_open"] else 4.0
        else:
            continue
        target.append(
            circle_record(
                row.geometry,
                radius=radius,
                colour=colour,
                tip=text(row["name"]),
                popup=_site_popup(row),
                css_class=f"geoalloc-site geoalloc-site-{i}",
            )
        )
    legend_id = legend.section(
        "geoalloc-legend-physical",
        "in-person care",
        [(PHYSICAL_SITE_COLOUR, "site with physician-hours")],
        symbol="dot",
    )
    circle_layer(fmap, physical, "Sites with physician-hours", legend_id=legend_id)
    hub_rows = [(HUB_COLOUR, "hub opened (size: physician-hours)")]
    if any(h["c"] == HUB_CLOSED_COLOUR for h in hubs):
        hub_rows.append((HUB_CLOSED_COLOUR, "hub candidate, not opened"))
    legend_id = legend.section(
        "geoalloc-legend-hubs", "video consultations", hub_rows, symbol="dot"
    )
    circle_layer(fmap, hubs, "Telemedicine hubs (size: hours)", legend_id=legend_id)
    figures = summary["telemedicine"]
    standard = fmt.minutes(summary["max_minutes"])
    title_box(
        fmap,
        f"<h4>{text(summary['scenario'])}</h4>"
        f"telemedicine · standard T: a physician within {standard} by road<br>"
        f"beyond T of any physician: {fmt.quantity(figures['people_beyond_t_physical_only'])} "
        f"people<br>of them gaining access by video: "
        f"{fmt.quantity(figures['people_gaining_access_through_telemedicine'])}<br>"
        f"still without any: {fmt.quantity(figures['people_still_without_any'])}<br>"
        f"video hubs opened: {figures.get('hubs_open', 0)}"
        f"<br><i>{offline_note(base is not None)}</i>",
        summary,
    )
    legend.add_to(fmap)
    layer_control(fmap)
    return fmap


# --- the report ----------------------------------------------------------------------------


def _table(head: list[str], rows: list[list[str]], *, text_columns: int = 1) -> str:
    """An HTML table of already-escaped cells; the first ``text_columns`` columns left-aligned."""

    def cells(values: list[str], tag: str) -> str:
        return "".join(
            f"<{tag} class='text'>{v}</{tag}>" if i < text_columns else f"<{tag}>{v}</{tag}>"
            for i, v in enumerate(values)
        )

    body = "".join(f"<tr>{cells(r, 'td')}</tr>" for r in rows)
    return f"<table><thead><tr>{cells(head, 'th')}</tr></thead><tbody>{body}</tbody></table>"


def _people(value: object, total: float) -> str:
    number = fmt.finite(value)
    if number is None:
        return fmt.MISSING
    share = f" ({fmt.percent(100 * number / total)})" if total > 0 else ""
    return f"{fmt.quantity(number)}{share}"


def headline_table(summary: dict, layers: dict[str, gpd.GeoDataFrame]) -> str:
    """The run's figures in words: physical sites only vs with the video hubs."""
    f = summary["telemedicine"]
    population = float(f["population"])
    beyond = f["people_beyond_t_physical_only"]
    still = f["people_still_without_any"]
    standard = fmt.minutes(summary["max_minutes"])
    sites = layers["facilities"]
    candidates = int(sites["hub_candidate"].astype(bool).sum())
    costs = summary.get("costs") or {}
    served_physical = f["physical_only_served_hours"]
    served_hubs = f["in_person_hours"] + f["tele_hours"]
    rows = [
        [
            f"people beyond {standard} by road of any physician",
            _people(beyond, population),
            _people(beyond, population),
            f"of {fmt.quantity(population)} people; hubs do not move physicians",
        ],
        [
            "people with access to care (a physician within reach, or video)",
            _people(population - beyond, population),
            _people(population - still, population),
            "",
        ],
        [
            "people gaining access through video consultations",
            "–",
            _people(f["people_gaining_access_through_telemedicine"], population),
            "of those beyond reach: in areas whose video-suited need a hub serves",
        ],
        [
            "people still without any access",
            _people(beyond, population),
            _people(still, population),
            "",
        ],
        [
            "need served (physician-hours per week)",
            fmt.quantity(served_physical),
            fmt.quantity(served_hubs),
            f"of {fmt.quantity(f['demand_hours'])} needed",
        ],
        [
            "of which in person",
            fmt.quantity(served_physical),
            fmt.quantity(f["in_person_hours"]),
            "",
        ],
        ["of which by video", "0", fmt.quantity(f["tele_hours"]), ""],
        [
            "need unmet (physician-hours per week)",
            fmt.quantity(f["physical_only_unmet_hours"]),
            fmt.quantity(f["unmet_hours"]),
            "",
        ],
        [
            "video hubs opened",
            "0",
            f"{f.get('hubs_open', 0)} of {candidates} candidates",
            "",
        ],
    ]
    if costs:
        rows.append(
            [
                "cost of the hubs (opening + physician-hours for a year)",
                "0",
                f"{fmt.quantity(costs.get('total'))} ({fmt.quantity(costs.get('opening'))} + "
                f"{fmt.quantity(costs.get('hours'))})",
                "",
            ]
        )
    head = ["", "physical sites only", "with video hubs", ""]
    return _table(head, [[text(r[0]), *r[1:3], f"<span class='muted'>{r[3]}</span>"] for r in rows])


def headline_sentence(summary: dict) -> str:
    """The headline in one sentence."""
    f = summary["telemedicine"]
    standard = fmt.minutes(summary["max_minutes"])
    beyond = fmt.quantity(f["people_beyond_t_physical_only"])
    hubs = f.get("hubs_open", 0)
    if f["people_beyond_t_physical_only"] <= 0:
        return f"<p>Everyone lives within {standard} by road of a physician.</p>"
    return (
        f"<p>{beyond} people live beyond {standard} by road of any physician. With "
        f"{hubs} video hub{'s' if hubs != 1 else ''}, "
        f"{fmt.quantity(f['people_gaining_access_through_telemedicine'])} of them gain access to "
        f"the part of their care that video can serve; "
        f"{fmt.quantity(f['people_still_without_any'])} remain without any.</p>"
    )


def why_text(row: pd.Series, standard: float) -> str:
    """Why an area receives the care it does, in words (for the report's table)."""
    reasons = []
    minutes = fmt.finite(row.get("minutes_to_physician"))
    flag = row.get("travel_flag")
    beyond = bool(row["beyond_t"])
    divertible = float(row["divertible_hours"])
    need = float(row["demand_hours"])
    video = float(row["tele_hours"])
    unmet = float(row["unmet_hours"])
    if beyond:
        if minutes is None and isinstance(flag, str) and flag:
            reasons.append(
                f"no road route to a physician ({flag.replace('_', ' ')}: its trips start too "
                "far from the road network)"
            )
        elif minutes is None:
            reasons.append("no physician within reach by road")
        else:
            reasons.append(
                f"the nearest physician is {fmt.minutes(minutes)} away, beyond "
                f"{fmt.minutes(standard)}"
            )
        if not bool(row["connected"]):
            reasons.append("not connected, so video consultations cannot reach it")
        elif divertible <= 0:
            reasons.append("none of its need is suited to video")
        elif video >= divertible - 1e-6:
            share = fmt.percent(100 * divertible / need) if need > 0 else "–"
            reasons.append(
                f"the {share} of its need suited to video is served by a hub; the rest needs a "
                "physician in person"
            )
        elif video > 0:
            reasons.append(
                f"hubs serve {fmt.percent(100 * video / divertible)} of its video-suited need "
                "(their hours or the budget run out)"
            )
        else:
            reasons.append("no hub serves it (their hours or the budget go to other areas)")
    elif unmet > 1e-6:
        reasons.append(
            f"a physician is within reach ({fmt.minutes(minutes)}), but the physicians' hours "
            "are used up by other areas"
        )
    elif video > 0:
        reasons.append("within reach; part of its need goes to a hub to free in-person hours")
    else:
        reasons.append("a physician within reach serves all of it")
    return "; ".join(reasons)


def _area_name(row: pd.Series) -> str:
    name = row.get("name")
    area_id = str(row["area_id"])
    if isinstance(name, str) and name.strip() and name.strip() != area_id:
        return f"{text(name)} <span class='muted'>({text(area_id)})</span>"
    return text(area_id)


def who_section(areas: pd.DataFrame, standard: float) -> str:
    """The areas beyond reach or with unmet need: who gains access, who is still without, why."""
    concerned = areas[areas["beyond_t"].astype(bool) | (areas["unmet_hours"] > 1e-6)]
    intro = (
        "<h2>Who gains access, and who is still without — and why</h2>"
        "<p class='muted'>Areas beyond the standard of any physician, or with need left unmet, "
        "largest population first.</p>"
    )
    if not len(concerned):
        return intro + "<p>None: every area's need is met.</p>"
    concerned = concerned.sort_values("population", ascending=False)
    rows = [
        [
            _area_name(row),
            text(row["service_label"]),
            f"<span class='text'>{text(why_text(row, standard))}</span>",
            fmt.quantity(row["population"]),
            fmt.quantity(row["people_gaining_access"]),
            fmt.quantity(row["tele_hours"]),
            fmt.quantity(row["unmet_hours"]),
        ]
        for _, row in concerned.iterrows()
    ]
    head = [
        "area",
        "care received",
        "why",
        "people",
        "gaining access by video",
        "by video (h/week)",
        "unmet (h/week)",
    ]
    return intro + _table(head, rows, text_columns=3)


def care_chart(areas: pd.DataFrame) -> str | None:
    """Physician-hours per week per area: in person, by video and unmet, stacked."""
    ordered = areas.sort_values("demand_hours", ascending=False)
    labels = [
        str(n) if isinstance(n, str) and n.strip() else str(a)
        for a, n in zip(ordered["area_id"], ordered.get("name", ordered["area_id"]), strict=True)
    ]
    return stacked_bars_chart(
        labels,
        {
            "in person": (ordered["in_person_hours"].tolist(), IN_PERSON_COLOUR),
            "by video": (ordered["tele_hours"].tolist(), VIDEO_COLOUR),
            "unmet": (ordered["unmet_hours"].tolist(), UNMET_HOURS_COLOUR),
        },
        "physician-hours per week",
        "physician-hours per week per area: in person, by video, unmet",
    )


def hubs_table(sites: pd.DataFrame) -> str:
    """The video hubs by name: opened ones with their hours, then the candidates not opened."""
    hubs = sites[sites["hub_candidate"].astype(bool)].copy()
    if not len(hubs):
        return "<p>No site is a hub candidate.</p>"
    hubs = hubs.sort_values(["hub_open", "hub_hours", "name"], ascending=[False, False, True])
    rows = [
        [
            text(row["name"]),
            text(row["site_id"]),
            "opened" if row["hub_open"] else "not opened",
            fmt.quantity(row["hub_hours"]) if row["hub_open"] else "–",
            fmt.quantity(row["hub_load"]) if row["hub_open"] else "–",
        ]
        for _, row in hubs.iterrows()
    ]
    head = ["hub", "site id", "status", "physician-hours per week", "used"]
    return _table(head, rows, text_columns=3)


def areas_table(areas: pd.DataFrame) -> str:
    rows = [
        [
            _area_name(row),
            text(row["service_label"]),
            fmt.quantity(row["population"]),
            _nearest(row),
            "yes" if row["beyond_t"] else "no",
            _yes_no(row["connected"]),
            fmt.quantity(row["demand_hours"]),
            fmt.quantity(row["in_person_hours"]),
            fmt.quantity(row["tele_hours"]),
            fmt.quantity(row["unmet_hours"]),
        ]
        for _, row in areas.sort_values("population", ascending=False).iterrows()
    ]
    head = [
        "area",
        "care received",
        "people",
        "nearest physician",
        "beyond the standard",
        "connected",
        "need (h/week)",
        "in person",
        "by video",
        "unmet",
    ]
    return _table(head, rows, text_columns=2)


def _group_table(groups: list[dict]) -> str:
    if not groups:
        return ""
    rows = [
        [
            f"{text(g['by'])}: {text(g['group'])}",
            fmt.quantity(g["population"]),
            fmt.quantity(g["people_beyond_t_physical_only"]),
            fmt.quantity(g["people_gaining_access_through_telemedicine"]),
            fmt.quantity(g["people_still_without_any"]),
        ]
        for g in groups
    ]
    head = [
        "group",
        "people",
        "beyond the standard",
        "gaining access by video",
        "still without any",
    ]
    return "<h2>By group</h2>" + _table(head, rows)


def _service_counts(areas: pd.DataFrame) -> str:
    counts = areas["service_label"].value_counts()
    order = [s for s in _colours() if s in counts.index]
    order += sorted(set(counts.index) - set(order))
    return ", ".join(f"{text(s)}: {int(counts[s])}" for s in order)


def telemedicine_report_html(layers: dict[str, gpd.GeoDataFrame], summary: dict) -> str:
    """The report page of a telemedicine run: the headline in words (physical sites only vs with
    hubs), who gains access and who is still without and why, a chart of the hours per area, the
    hubs by name, the figures by group and per area, the notes on the inputs and the solver."""
    figures = summary["telemedicine"]
    standard = float(summary["max_minutes"])
    areas = pd.DataFrame(layers["areas"].drop(columns="geometry"))
    areas["service_label"] = _service(areas).to_numpy()
    sites = pd.DataFrame(layers["facilities"].drop(columns="geometry"))
    chart = care_chart(areas)
    solver = summary["solver"]
    gap = solver.get("gap")
    notes = summary.get("input_notes") or []
    flags = (
        areas["travel_flag"].fillna("").astype(str)
        if "travel_flag" in areas.columns
        else pd.Series("", index=areas.index)
    )
    flagged = areas[flags != ""]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><link rel='icon' href='data:,'>",
        f"<title>geoalloc report — {text(summary['scenario'])} (telemedicine)</title>",
        f"<style>{PAGE_CSS}</style></head><body>",
        f"<h1>{text(summary['scenario'])}: telemedicine coverage</h1>",
        f"<p class='muted'>standard: a physician within {fmt.minutes(standard)} by road · "
        f"{fmt.quantity(summary.get('areas'))} areas, {fmt.quantity(summary.get('sites'))} sites · "
        "hours are physician-hours per week · report written "
        f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}</p>",
        "<p>The interactive map of this run is <a href='map.html'>map.html</a> in the same folder."
        "</p>",
        unproven_box(summary),
        estimate_box(summary),
        checks_section(summary),
        "<h2>Headline: physical sites only vs with video hubs</h2>",
        headline_sentence(summary),
        headline_table(summary, layers),
        f"<p>areas by the care they receive: {_service_counts(areas)}</p>",
        who_section(areas, standard),
        "<h2>Care received, per area</h2>",
        f"<figure>{chart}<figcaption>Physician-hours per week of each area's need: served in "
        "person, served by video from a hub, and unmet.</figcaption></figure>"
        if chart
        else "",
        "<h2>Physician-hours by hub</h2>",
        hubs_table(sites),
        _group_table(figures.get("by_group") or []),
        "<h2>All areas</h2>",
        areas_table(areas),
    ]
    if notes or len(flagged):
        parts.append("<h2>Notes on the inputs</h2><ul>")
        parts += [f"<li>{text(n)}</li>" for n in notes]
        if len(flagged):
            listed = ", ".join(
                f"{text(a)} ({text(str(f).replace('_', ' '))})"
                for a, f in zip(flagged["area_id"], flags[flags != ""], strict=True)
            )
            parts.append(f"<li>travel flags: {listed}</li>")
        parts.append("</ul>")
    gap_text = fmt.percent(100 * gap, 3) if isinstance(gap, int | float) else fmt.MISSING
    parts += [
        "<h2>Solver</h2>",
        f"<p>{text(solver['name'])}: {text(solver['status'])}, gap {gap_text}; objective "
        f"{fmt.number(solver.get('objective'), 2)}.</p>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)
