"""The report's section on areas and sites joined to the road network from far away."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geoalloc._text as fmt
from geoalloc.outputs.escape import text

#: rows listed in the report (every record is in summary.json's ``far_snaps``)
FAR_SNAP_ROWS = 25


def far_snap_section(summary: Mapping[str, Any]) -> str:
    """``<h2>`` section listing ``summary["far_snaps"]`` in words, with each point's distance and
    the minutes its straight-line leg adds; "" when nothing is joined from far away."""
    records = summary.get("far_snaps") or []
    snapping = summary.get("snapping") or {}
    if not records or not snapping:
        return ""
    threshold = fmt.number(snapping.get("far_snap_m"), 0)
    speed = fmt.number(snapping.get("access_speed_kph"), 0)
    sites = sum(1 for r in records if r["role"] == "site")
    areas = len(records) - sites
    rows = "".join(
        f"<tr><td class='text'>{text(r['role'])}</td>"
        f"<td class='text'>{text(r.get('name') or r['id'])}</td>"
        f"<td>{fmt.number(r['snap_m'], 0)}</td><td>{fmt.number(r['access_minutes'], 1)}</td>"
        f"<td>{fmt.quantity(r.get('population'))}</td></tr>"
        for r in records[:FAR_SNAP_ROWS]
    )
    more = (
        f"<p class='muted'>{len(records) - FAR_SNAP_ROWS} more in summary.json (far_snaps) and "
        "the layers' snap_m column.</p>"
        if len(records) > FAR_SNAP_ROWS
        else ""
    )
    counted = " and ".join(f"{n} {what}(s)" for n, what in ((sites, "site"), (areas, "area")) if n)
    return (
        "<h2>Far from the road network</h2>"
        f"<p>{counted} lie more than {threshold} m (straight line) "
        "from the nearest road of the network. Their trips start or end with a straight-line "
        f"leg at {speed} km/h ({text(snapping.get('mode'))} mode; <code>[network] "
        "access_speed_kph</code>), so their minutes rest on a route nobody checked. Look at "
        "them on the map: the extract may stop short of them (a site outside its edge), a road "
        "may be missing, or the point may be misplaced. Fix the extract or the point, or raise "
        "<code>far_snap_m</code> if the distance is real.</p>"
        "<table><tr><th class='text'>what</th><th class='text'>name</th><th>distance to the "
        "road (m)</th><th>minutes of the leg</th><th>people</th></tr>"
        f"{rows}</table>{more}"
    )
