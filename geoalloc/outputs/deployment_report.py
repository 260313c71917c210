"""The report's time-phased deployment section, from ``summary["deployment"]`` alone."""

from __future__ import annotations

import geoalloc._text as fmt
from geoalloc.outputs.escape import text

#: shipments listed in the report (all of them are in summary.json and results.gpkg)
MAX_MOVES_SHOWN = 40


def deployment_section(deployment: dict, chart: str | None) -> list[str]:
    """HTML parts (``chart``: :func:`geoalloc.outputs.charts.unmet_chart`): unmet before/after, temporary sites opened, shipments, costs."""
    days = deployment["period_days"]
    parts = [
        "<h2>Time-phased deployment</h2>",
        f"<p class='muted'>{deployment['periods']} periods of {days} day(s) from day "
        f"{deployment['start_day']}; each period must cover the {text(deployment['period_demand'])}"
        " of its days. Shipments leave in one period and are usable from a later one (lead = "
        "travel + handling, rounded up to periods).</p>",
    ]
    if chart:
        parts.append(f"<figure>{chart}</figure>")
    before = deployment["unmet_unit_days"]["without_redeployment"]
    after = deployment["unmet_unit_days"]["with_redeployment"]
    rows = "".join(
        f"<tr><td>{text(r)}</td><td>{fmt.quantity(before[r])}</td>"
        f"<td>{fmt.quantity(after[r])}</td></tr>"
        for r in before
    )
    parts.append(
        "<table><tr><th>unmet unit-days</th><th>without redeployment</th>"
        f"<th>with redeployment</th></tr>{rows}</table>"
    )
    temporary = [t for t in deployment.get("temporary_sites", []) if t.get("opened")]
    if temporary:
        rows = "".join(
            f"<tr><td>{text(t['name'])}</td><td>{t['open_day']}</td><td>{t['ready_day']}</td>"
            f"<td>{fmt.quantity(t['cost'])}</td></tr>"
            for t in temporary
        )
        parts.append(
            "<h3>Temporary sites opened</h3><table><tr><th>site</th><th>open day</th>"
            f"<th>ready day</th><th>cost</th></tr>{rows}</table>"
        )
    else:
        parts.append("<p>No temporary site opened.</p>")
    moves = deployment.get("moves") or []
    if moves:
        shown = sorted(moves, key=lambda m: (m["depart_day"], -m["units"]))[:MAX_MOVES_SHOWN]
        rows = "".join(
            f"<tr><td>{text(m['resource'])}</td><td>{fmt.quantity(m['units'])}</td>"
            f"<td>{text(m['from_site'])}</td><td>{text(m['to_site'])}</td>"
            f"<td>{m['depart_day']}</td><td>{m['arrive_day']}</td></tr>"
            for m in shown
        )
        more = (
            f"<p class='muted'>{len(moves) - len(shown)} more in summary.json and results.gpkg "
            "(layer moves).</p>"
            if len(moves) > len(shown)
            else ""
        )
        parts.append(
            f"<h3>Shipments ({len(moves)})</h3><table><tr><th>resource</th><th>units</th>"
            "<th>from</th><th>to</th><th>leave day</th><th>usable from day</th></tr>"
            f"{rows}</table>{more}"
        )
    else:
        parts.append("<p>No shipment.</p>")
    cancelled = deployment.get("cancelled_moves") or {}
    if cancelled.get("units"):
        parts.append(
            f"<p class='muted'>Shipments that cancelled out in the solver's plan (units sent both "
            f"ways between two sites, or round a ring of sites, for nothing) were taken out: "
            f"{fmt.quantity(cancelled['units'])} units from {cancelled['shipments']} shipment(s), "
            f"shipping cost {fmt.quantity(cancelled['transfer_cost'])} lower; what is served is "
            "unchanged, and the checker verified that none is left.</p>"
        )
    costs = deployment.get("costs", {})
    parts.append(
        "<p>costs: " + ", ".join(f"{text(k)} {fmt.quantity(v)}" for k, v in costs.items()) + "</p>"
    )
    return parts
