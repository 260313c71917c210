"""The stakeholder report (``report.html``): one self-contained page of a run's results.

Headline KPIs baseline vs plan, charts (:mod:`geoalloc.outputs.charts`: SVG images, so nothing is
fetched and nothing in them can run), a table per site, the solver's status and the
manifest's input hashes. Every string from input data is HTML-escaped.

Optional summary entries are shown when present:

- ``summary["surge"]``: needed vs available capacity over time, either a dict of equal-length lists
  ``{"day": [...], "needed": [...], "available": [...], "resource": "beds"}`` or a list of such
  records;
- ``summary["frontier"]``: the equity–efficiency frontier, a list of records whose first two
  numeric entries are plotted (x, y), e.g. ``[{"minutes_mean": 6.1, "gini_minutes": 0.30}, ...]``;
- ``plan["cost"]`` / ``baseline["cost"]`` and ``plan["worst_group_covered_pct"]``;
- ``summary["access"]``: the ``[access]`` index (:mod:`geoalloc.outputs.access`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

import geoalloc._text as fmt
from geoalloc.outputs.access import access_section
from geoalloc.outputs.charts import (
    coverage_chart,
    frontier_chart,
    surge_chart,
    unmet_chart,
    utilisation_chart,
)
from geoalloc.outputs.checks import checks_section
from geoalloc.outputs.display_grid import MAP_AREAS_MAX
from geoalloc.outputs.escape import text
from geoalloc.outputs.estimate import estimate_box
from geoalloc.outputs.objective import objective_section
from geoalloc.outputs.snapping import far_snap_section
from geoalloc.outputs.unproven import unproven_box
from geoalloc.outputs.update_report import update_section

log = logging.getLogger(__name__)

PAGE_CSS = """
body { font: 14px/1.45 -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif;
  margin: 24px auto; max-width: 1050px; color: #222; padding: 0 16px; }
h1 { margin-bottom: 2px; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 3px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; vertical-align: top; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
thead th { background: #f2f2f2; }
.muted { color: #666; } .better { color: #1a7f37; } .worse { color: #b42318; }
figure { margin: 10px 0; } figcaption { color: #555; font-size: 13px; }
img.chart { max-width: 100%; height: auto; }
code { font-size: 12px; word-break: break-all; }
"""
# --- tables ------------------------------------------------------------------------------------


def _row(label: str, before: str, after: str, note: str = "") -> str:
    return (
        f"<tr><td>{label}</td><td>{before}</td><td>{after}</td><td class='muted'>{note}</td></tr>"
    )


def kpi_table(summary: dict) -> str:
    """Baseline vs plan KPIs as an HTML table."""
    base, plan = summary["baseline"], summary["plan"]
    standard = summary.get("max_minutes")
    within = f"within {fmt.standard(standard)}" if standard else "reachable"
    rows = [
        _row(
            f"population covered {within}",
            f"{fmt.quantity(base.get('covered_population'))} ({fmt.percent(base.get('covered_pct'))})",
            f"{fmt.quantity(plan.get('covered_population'))} ({fmt.percent(plan.get('covered_pct'))})",
            f"of {fmt.quantity(plan.get('population'))}",
        ),
        _row(
            "mean minutes (population-weighted)",
            fmt.number(base.get("minutes_mean")),
            fmt.number(plan.get("minutes_mean")),
            "to the nearest existing / open site",
        ),
        _row(
            "median minutes",
            fmt.number(base.get("minutes_p50")),
            fmt.number(plan.get("minutes_p50")),
        ),
        _row(
            "p90 minutes", fmt.number(base.get("minutes_p90")), fmt.number(plan.get("minutes_p90"))
        ),
        _row(
            "max minutes", fmt.number(base.get("minutes_max")), fmt.number(plan.get("minutes_max"))
        ),
        _row(
            "Gini of minutes (equity, 0 = equal)",
            fmt.number(base.get("gini_minutes"), 3),
            fmt.number(plan.get("gini_minutes"), 3),
        ),
        _row(
            "worst-decile mean minutes",
            fmt.number(base.get("worst_decile_minutes")),
            fmt.number(plan.get("worst_decile_minutes")),
        ),
    ]
    if "worst_group_covered_pct" in plan or "worst_group_covered_pct" in base:
        rows.append(
            _row(
                "worst group's coverage",
                fmt.percent(base.get("worst_group_covered_pct")),
                fmt.percent(plan.get("worst_group_covered_pct")),
            )
        )
    for r in summary["resources"]:
        demand = (summary.get("demand") or {}).get(r)
        rows.append(
            _row(
                f"unmet {text(r)}",
                fmt.quantity((base.get("unmet") or {}).get(r)),
                fmt.quantity((plan.get("unmet") or {}).get(r)),
                f"of {fmt.quantity(demand)} needed",
            )
        )
        bu = (base.get("utilisation") or {}).get(r) or {}
        pu = (plan.get("utilisation") or {}).get(r) or {}
        rows.append(
            _row(
                f"{text(r)} utilisation range (mean)",
                f"{fmt.share(bu.get('min'))} – {fmt.share(bu.get('max'))} ({fmt.share(bu.get('mean'))})",
                f"{fmt.share(pu.get('min'))} – {fmt.share(pu.get('max'))} ({fmt.share(pu.get('mean'))})",
            )
        )
    rows.append(
        _row("sites open", str(base.get("sites_open", "–")), str(plan.get("sites_open", "–")))
    )
    if "cost" in plan or "cost" in base:
        rows.append(_row("cost", fmt.quantity(base.get("cost")), fmt.quantity(plan.get("cost"))))
    head = "<thead><tr><th>indicator</th><th>baseline</th><th>plan</th><th></th></tr></thead>"
    return f"<table class='kpis'>{head}<tbody>{''.join(rows)}</tbody></table>"


def site_table(facilities: pd.DataFrame, resources: list[str]) -> str:
    """One row per site: status, and per resource capacity before → after, load, utilisation
    (and the queue check and cost columns when present)."""
    extra = [c for c in facilities.columns if c == "cost" or str(c).endswith("_cost")]
    head = ["site", "name", "status"]
    for r in resources:
        head += [f"{text(r)} before → after", f"{text(r)} load", f"{text(r)} utilisation"]
        if f"{r}_blocking" in facilities.columns:
            head.append(f"{text(r)} blocking")
        if f"{r}_wait_hours" in facilities.columns:
            head.append(f"{text(r)} wait")
    head += [text(c).replace("_", " ") for c in extra]
    order = facilities.sort_values(["status", "name"], kind="stable")
    body = []
    for _, row in order.iterrows():
        cells = [text(row.get("site_id")), text(row.get("name")), text(row.get("status"))]
        for r in resources:
            cells += [
                f"{fmt.quantity(row.get(f'{r}_before'))} → {fmt.quantity(row.get(f'{r}_after'))}",
                fmt.quantity(row.get(f"{r}_load")),
                fmt.share(row.get(f"{r}_utilisation")),
            ]
            if f"{r}_blocking" in facilities.columns:
                cells.append(fmt.share(row.get(f"{r}_blocking")))
            if f"{r}_wait_hours" in facilities.columns:
                cells.append(fmt.hours(row.get(f"{r}_wait_hours")))
        cells += [fmt.quantity(row.get(c)) for c in extra]
        body.append(
            "<tr>"
            + "".join(f"<td class='text'>{c}</td>" for c in cells[:3])
            + "".join(f"<td>{c}</td>" for c in cells[3:])
            + "</tr>"
        )
    thead = (
        "<thead><tr>"
        + "".join(f"<th class='text'>{h}</th>" for h in head[:3])
        + "".join(f"<th>{h}</th>" for h in head[3:])
        + "</tr></thead>"
    )
    return f"<table class='sites'>{thead}<tbody>{''.join(body)}</tbody></table>"


def _solver_table(summary: dict) -> str:
    solver = summary.get("solver") or {}
    gap = solver.get("gap")
    rows = [
        ("solver", text(solver.get("name"))),
        ("status", text(solver.get("status"))),
        ("objective", fmt.number(solver.get("objective"), 2)),
        ("bound", fmt.number(solver.get("bound"), 2)),
        ("gap", fmt.percent(100 * gap, 3) if isinstance(gap, int | float) else fmt.MISSING),
    ]
    acceptable = solver.get("acceptable_gap")
    if isinstance(acceptable, int | float):
        proven = "no: see the warning at the top" if solver.get("unproven") else "yes"
        rows += [
            ("acceptable gap", fmt.percent(100 * acceptable, 3)),
            ("proven within it", proven),
        ]
    rows += [
        ("model build", fmt.number(solver.get("build_s"), 2, " s")),
        ("solve", fmt.number(solver.get("solve_s"), 2, " s")),
    ]
    timings = summary.get("timings_s") or {}
    for key, value in timings.items():
        rows.append((f"run step {text(key).removesuffix('_s')}", fmt.number(value, 2, " s")))
    if timings and "write" not in timings:  # this page is written in that step
        rows.append(("run step write", "in summary.json (this page is written in it)"))
    total = sum(v for v in timings.values() if isinstance(v, int | float))
    label = (
        "run time (all steps)" if "write" in timings or not timings else "run time (before write)"
    )
    rows.append((label, fmt.number(total, 2, " s")))
    return "<table>" + "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in rows) + "</table>"


def _manifest_table(manifest: dict) -> str:
    inputs = manifest.get("inputs") or {}
    rows = "".join(
        f"<tr><td>{text(path)}</td><td><code>{text(info.get('sha256'))}</code></td>"
        f"<td>{fmt.quantity(info.get('bytes'))}</td></tr>"
        for path, info in inputs.items()
    )
    versions = ", ".join(
        f"{text(k)} {text(v)}" for k, v in (manifest.get("dependencies") or {}).items() if v
    )
    return (
        "<table><thead><tr><th>input file</th><th>SHA-256</th><th>bytes</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        f"<p class='muted'>geoalloc {text(manifest.get('geoalloc'))}, Python "
        f"{text(manifest.get('python'))}; {versions}</p>"
    )


def _counts(counts: dict | None) -> str:
    if not counts:
        return "–"
    return ", ".join(f"{text(k)}: {fmt.quantity(v)}" for k, v in counts.items())


#: areas listed one by one in the report's shortfall section (all of them are in summary.json)
SHORTFALL_ROWS = 25


def shortfall_section(summary: dict, names: Mapping[str, str] | None = None) -> str:
    """Who is left without, and why: unmet demand by reason, the budget spent, the largest gaps;
    ``names``: the areas' display names by id (a column of the largest gaps when given)."""
    shortfall = summary.get("shortfall") or {}
    by_reason = shortfall.get("by_reason") or []
    if not by_reason:
        return "<h2>Who is left without, and why</h2><p>Nobody: all demand is served.</p>"
    rows = "".join(
        f"<tr><td>{text(r['resource'])}</td><td class='text'>{text(r['meaning'])} "
        f"<span class='muted'>({text(r['reason'])})</span></td><td>{fmt.quantity(r['areas'])}"
        f"</td><td>{fmt.number(r['population'], 0)}</td><td>{fmt.number(r['unmet'], 1)}</td></tr>"
        for r in by_reason
    )
    costs = summary.get("costs") or {}
    spent = (
        f"<p>Spent on opening and expansion: {fmt.number(costs.get('opening', 0) + costs.get('expansion', 0), 0)}"
        f" (total with operating: {fmt.number(costs.get('total'), 0)}).</p>"
        if costs
        else ""
    )
    areas = sorted(shortfall.get("areas") or [], key=lambda a: -float(a["unmet"]))
    names = names or {}
    named = any(names.get(str(a["area"])) for a in areas[:SHORTFALL_ROWS])
    listed = "".join(
        f"<tr><td>{text(a['area'])}</td>"
        + (f"<td class='text'>{text(names.get(str(a['area'])))}</td>" if named else "")
        + f"<td>{text(a['resource'])}</td><td>{fmt.number(a['unmet'], 2)}"
        f"</td><td>{fmt.number(a['population'], 0)}</td><td>{fmt.number(a['priority'], 2)}</td>"
        f"<td class='text'>{text(a['detail'])}</td></tr>"
        for a in areas[:SHORTFALL_ROWS]
    )
    more = (
        f"<p class='muted'>{len(areas) - SHORTFALL_ROWS} more rows in summary.json (shortfall) "
        "and results.gpkg (layer shortfall).</p>"
        if len(areas) > SHORTFALL_ROWS
        else ""
    )
    return (
        "<h2>Who is left without, and why</h2>"
        "<p class='muted'>Unmet demand in the plan, by the limit that keeps it unserved.</p>"
        "<table><tr><th>resource</th><th class='text'>why</th><th>areas</th><th>people</th>"
        f"<th>unmet units</th></tr>{rows}</table>{spent}"
        "<h3>Largest gaps</h3><table><tr><th>area</th>"
        + ("<th class='text'>name</th>" if named else "")
        + "<th>resource</th><th>unmet</th>"
        f"<th>people</th><th>priority</th><th class='text'>detail</th></tr>{listed}</table>{more}"
    )


def area_names(areas: pd.DataFrame) -> dict[str, str]:
    """The areas' display names by id (their ``name`` column; none when they have none)."""
    if "name" not in areas.columns:
        return {}
    return {
        str(a): str(n)
        for a, n in zip(areas["area_id"], areas["name"], strict=True)
        if isinstance(n, str) and n.strip() and n != str(a)
    }


def report_html(layers: dict[str, gpd.GeoDataFrame], summary: dict, manifest: dict) -> str:
    """The report page as one self-contained HTML string."""
    resources = list(summary["resources"])
    standard = summary.get("max_minutes")
    areas, facilities = layers["areas"], layers["facilities"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><link rel='icon' href='data:,'>",
        f"<title>geoalloc report — {text(summary['scenario'])}</title>",
        f"<style>{PAGE_CSS}</style></head><body>",
        f"<h1>{text(summary['scenario'])}</h1>",
        f"<p class='muted'>model: {text(summary['model'])} · travel standard: "
        f"{fmt.standard(standard)} · resources: "
        f"{', '.join(text(r) for r in resources)} · {fmt.quantity(summary.get('areas'))} areas, "
        f"{fmt.quantity(summary.get('sites'))} sites · report written "
        f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}</p>",
        "<p>The interactive map of this run is <a href='map.html'>map.html</a> in the same folder."
        "</p>",
        unproven_box(summary),
        estimate_box(summary),
        checks_section(summary),
        *update_section(summary),
        "<h2>Headline: baseline vs plan</h2>",
        "<p class='muted'>Baseline: the existing sites with today's capacity, each area to its "
        "nearest existing site. Plan: the optimised sites and capacities.</p>",
        kpi_table(summary),
        f"<p>areas by status: {_counts(summary.get('area_status'))}<br>"
        f"sites by status: {_counts(summary.get('site_status'))}</p>",
        objective_section(summary),
        shortfall_section(summary, area_names(areas)),
        far_snap_section(summary),
        "<h2>Coverage curve</h2>",
        f"<figure>{coverage_chart(areas, standard)}<figcaption>Share of the population that "
        "reaches a site within t minutes.</figcaption></figure>",
    ]
    for r in resources:
        parts += [
            f"<h2>{text(r)} utilisation per site</h2>",
            f"<figure>{utilisation_chart(facilities, r)}<figcaption>Load ÷ capacity; the dashed "
            "line is 100 %.</figcaption></figure>",
        ]
    if summary.get("access"):
        on_grid = len(areas) > MAP_AREAS_MAX
        parts.append(access_section(areas, summary["access"], on_display_grid=on_grid))
    surge = surge_chart(summary.get("surge")) if summary.get("surge") else None
    if surge:
        parts += ["<h2>Surge: needed vs available</h2>", f"<figure>{surge}</figure>"]
    if summary.get("deployment"):
        from geoalloc.outputs.deployment_report import deployment_section

        deployment = summary["deployment"]
        parts += deployment_section(deployment, unmet_chart(deployment))
    frontier = frontier_chart(summary.get("frontier")) if summary.get("frontier") else None
    if frontier:
        parts += ["<h2>Equity–efficiency frontier</h2>", f"<figure>{frontier}</figure>"]
    parts += [
        "<h2>Sites</h2>",
        site_table(facilities, resources),
        "<h2>Solver and run time</h2>",
        _solver_table(summary),
    ]
    notes = summary.get("input_notes") or []
    flags = summary.get("travel_flags") or []
    if notes or flags:
        parts.append("<h2>Notes on the inputs</h2><ul>")
        parts += [f"<li>{text(n)}</li>" for n in notes]
        if flags:
            parts.append(f"<li>{len(flags)} travel flag(s), see <code>summary.json</code></li>")
        parts.append("</ul>")
    parts += [
        "<h2>Inputs (manifest)</h2>",
        _manifest_table(manifest),
        "</body></html>",
    ]
    return "\n".join(parts)
