"""The HTML of the planning map's popups, tooltips and title box, from a run's layers and summary.

Every string from input data is escaped with :func:`~geoalloc.outputs.escape.text`; numbers are
formatted by :mod:`geoalloc._text`, like the report and the terminal lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

import geoalloc._text as fmt
from geoalloc.outputs.escape import text


def _named(value: object) -> str:
    """A display name as text: "" for None, NaN and blanks."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def area_heading(row: Mapping) -> str:
    """The first line of an area's tooltip: its display name (``name`` column) and id, or its id."""
    area_id = text(row.get("area_id"))
    name = _named(row.get("name"))
    if name and name != str(row.get("area_id")):
        return f"<b>{text(name)}</b> (area {area_id})"
    return f"<b>area {area_id}</b>"


@dataclass(frozen=True)
class Names:
    """The display names of a run's areas (their ``name`` column, when the run has one) and sites,
    to name them in tooltips as escaped HTML."""

    areas: dict[str, str]
    sites: dict[str, str]

    @classmethod
    def of(cls, areas: pd.DataFrame, facilities: pd.DataFrame | None = None) -> Names:
        area_names = (
            {str(a): _named(n) for a, n in zip(areas["area_id"], areas["name"], strict=True)}
            if "name" in areas.columns
            else {}
        )
        site_names = (
            {
                str(s): _named(n)
                for s, n in zip(facilities["site_id"], facilities["name"], strict=True)
            }
            if facilities is not None and "name" in facilities.columns
            else {}
        )
        return cls(area_names, site_names)

    def area(self, area_id: object) -> str:
        """``"<name> (area <id>)"``, or ``"area <id>"`` when it has no name."""
        name = self.areas.get(str(area_id), "")
        if name and name != str(area_id):
            return f"{text(name)} (area {text(area_id)})"
        return f"area {text(area_id)}"

    def site(self, site_id: object) -> str:
        """The site's name, or its id when it has none."""
        return text(self.sites.get(str(site_id)) or site_id)


def facility_popup(row: Mapping[str, Any], resources: list[str], *, baseline: bool = False) -> str:
    """HTML of a facility's popup (``row``: its columns, a Series or a dict): capacity before →
    after, load and utilisation per resource, and the queue check (``<r>_blocking``,
    ``<r>_wait_hours``) and cost columns when present."""
    columns = list(row.keys())
    blocking = any(f"{r}_blocking" in columns for r in resources)
    waiting = any(f"{r}_wait_hours" in columns for r in resources)
    header = ["resource", "capacity before → after", "load", "utilisation"]
    if baseline:
        header = ["resource", "capacity", "load (baseline)", "utilisation (baseline)"]
    if blocking and not baseline:
        header.append("blocking probability")
    if waiting and not baseline:
        header.append("expected wait")
    lines = [
        "<div class='geoalloc-popup'>",
        f"<b class='geoalloc-site-name'>{text(row.get('name'))}</b><br>",
        f"site id: {text(row.get('site_id'))} · status: {text(row.get('status'))}",
        "<table><tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr>",
    ]
    for r in resources:
        if baseline:
            cells = [
                text(r),
                fmt.quantity(row.get(f"{r}_before")),
                fmt.quantity(row.get(f"{r}_baseline_load")),
                fmt.share(row.get(f"{r}_baseline_utilisation")),
            ]
        else:
            cells = [
                text(r),
                f"{fmt.quantity(row.get(f'{r}_before'))} → {fmt.quantity(row.get(f'{r}_after'))}",
                fmt.quantity(row.get(f"{r}_load")),
                fmt.share(row.get(f"{r}_utilisation")),
            ]
            if blocking:
                cells.append(fmt.share(row.get(f"{r}_blocking")))
            if waiting:
                cells.append(fmt.hours(row.get(f"{r}_wait_hours")))
        lines.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    lines.append("</table>")
    if bool(row.get("far_snap", False)):
        lines.append(f"{far_snap_text(row.get('snap_m'))}<br>")
    for column in columns:
        if column == "cost" or str(column).endswith("_cost"):
            value = fmt.finite(row[column])
            if value is not None:
                lines.append(f"{text(column).replace('_', ' ')}: {fmt.quantity(value)}<br>")
    lines.append("</div>")
    return "".join(lines)


def far_snap_text(snap_m: object) -> str:
    """The note of a point joined to the road network from far away (``far_snap``)."""
    return (
        f"<b>joined to the road network {fmt.number(snap_m, 0)} m away</b> (straight line): "
        "its minutes rest on that leg"
    )


def area_tooltips(areas: pd.DataFrame, resources: list[str]) -> list[str]:
    """HTML of each area's tooltip: population, demand and unmet per resource, status, assigned
    and nearest sites with minutes, and the travel note and shortfall reason when present."""
    tips = []
    has_risk = "los_risk" in areas.columns
    has_flag = "travel_flag" in areas.columns
    columns = [c for c in areas.columns if c != areas.geometry.name]
    for row in areas[columns].to_dict(orient="records"):
        get = row.get
        parts = [area_heading(row)]
        parts.append(f"population: {fmt.quantity(get('population'))}")
        for r in resources:
            parts.append(
                f"{text(r)} needed: {fmt.quantity(get(f'demand_{r}'))}, "
                f"unmet: {fmt.quantity(get(f'unmet_{r}'))}"
            )
        if has_risk:
            parts.append(f"LOS risk: {fmt.quantity(get('los_risk'))}")
        parts.append(f"status: {text(get('status'))}")
        parts.append(f"assigned site: {text(get('site'))} ({fmt.minutes(get('minutes'))})")
        parts.append(f"nearest open site: {fmt.minutes(get('nearest_open_minutes'))}")
        parts.append(
            f"baseline: {text(get('baseline_site'))} ({fmt.minutes(get('baseline_minutes'))})"
        )
        flag = get("travel_flag") if has_flag else None
        if bool(get("far_snap", False)):
            parts.append(far_snap_text(get("snap_m")))
        elif isinstance(flag, str) and flag:
            parts.append(f"travel note: {text(flag)}")
        reason = get("unmet_reason")
        if isinstance(reason, str) and reason:
            parts.append(f"left without because: {text(reason)}")
        tips.append("<br>".join(parts))
    return tips


def title_html(summary: dict, *, base_map: bool = False, headline: str = "") -> str:
    """The title box of a planning run: scenario, model, standard, baseline vs plan figures;
    ``base_map``: the map draws the offline roads and places; ``headline``: HTML shown first
    under the scenario's name (an update's day and what it changes)."""
    resources = summary["resources"]
    plan, base = summary["plan"], summary["baseline"]
    lines = [
        f"<h4>{text(summary['scenario'])}</h4>",
        headline,
        f"model: {text(summary['model'])} · standard: {fmt.standard(summary.get('max_minutes'))}",
    ]
    if summary.get("budget") is not None:
        lines.append(f"budget: {text(summary['budget'])}")
    lines.append("<table><tr><td></td><td><b>baseline</b></td><td><b>plan</b></td></tr>")
    rows = [
        (
            "covered within standard",
            fmt.percent(base.get("covered_pct")),
            fmt.percent(plan.get("covered_pct")),
        ),
        ("mean minutes", fmt.number(base["minutes_mean"]), fmt.number(plan["minutes_mean"])),
        ("p90 minutes", fmt.number(base["minutes_p90"]), fmt.number(plan["minutes_p90"])),
        ("sites open", f"{base['sites_open']}", f"{plan['sites_open']}"),
    ]
    for r in resources:
        rows.append(
            (f"unmet {text(r)}", fmt.quantity(base["unmet"][r]), fmt.quantity(plan["unmet"][r]))
        )
    lines.extend(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>" for a, b, c in rows)
    lines.append("</table>")
    solver = summary.get("solver") or {}
    if solver:
        gap = solver.get("gap")
        gap_text = f", gap {fmt.percent(100 * gap, 2)}" if isinstance(gap, int | float) else ""
        lines.append(f"solver: {text(solver.get('name'))} {text(solver.get('status'))}{gap_text}")
    lines.append(f"<br><i>{offline_note(base_map)}</i>")
    return "".join(lines)


def offline_note(base_map: bool) -> str:
    """What of the map works offline (a title box's last line); ``base_map``: it draws the
    offline roads and places."""
    if base_map:
        return (
            "Roads and place names come from the OSM extract and work offline; "
            "the background tiles need internet."
        )
    return "Background tiles need internet; the data layers work offline."
