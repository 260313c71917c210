"""The stakeholder report (``report.html``): one self-contained page of a run's results.

Headline KPIs baseline vs plan, charts drawn with matplotlib (Agg, embedded as base64 SVG images,
so nothing is fetched and nothing in them can run), a table per site, the solver's status and the
manifest's input hashes. Every string from input data is HTML-escaped.

Optional summary entries are shown when present:

- ``summary["surge"]``: needed vs available capacity over time, either a dict of equal-length lists
  ``{"day": [...], "needed": [...], "available": [...], "resource": "beds"}`` or a list of such
  records;
- ``summary["frontier"]``: the equity–efficiency frontier, a list of records whose first two
  numeric entries are plotted (x, y), e.g. ``[{"minutes_mean": 6.1, "gini_minutes": 0.30}, ...]``;
- ``plan["cost"]`` / ``baseline["cost"]`` and ``plan["worst_group_covered_pct"]``.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

import geoalloc._text as fmt
from geoalloc.outputs.escape import text

log = logging.getLogger(__name__)

PLAN_COLOUR = "#d95f02"
BASELINE_COLOUR = "#1b9e77"

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


# --- charts ------------------------------------------------------------------------------------


def _label(value: object, width: int = 38) -> str:
    """Input text as a matplotlib label: shortened, and ``$`` escaped so it is never mathtext."""
    return str(value)[:width].replace("$", r"\$")


def _svg_img(fig: Figure, alt: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img class='chart' alt='{text(alt)}' src='data:image/svg+xml;base64,{data}'>"


def coverage_curve(minutes: pd.Series, population: pd.Series, grid: np.ndarray) -> np.ndarray:
    """Share (0–1) of ``population`` whose ``minutes`` are ≤ each value of ``grid`` (minutes).

    Areas with no reachable site (NaN minutes) count in the population but are never covered.
    """
    weights = population.to_numpy(dtype=float)
    values = minutes.to_numpy(dtype=float)
    total = weights.sum()
    if total <= 0:
        return np.zeros(len(grid))
    finite = np.isfinite(values)
    order = np.argsort(values[finite])
    sorted_minutes = values[finite][order]
    cumulative = np.concatenate([[0.0], np.cumsum(weights[finite][order])])
    counts = np.searchsorted(sorted_minutes, grid, side="right")
    return cumulative[counts] / total


def coverage_chart(areas: pd.DataFrame, standard: float | None) -> str:
    """Coverage curve: share of the population within t minutes of the nearest site, baseline
    (existing sites) vs plan (open sites), and of the assigned site under the plan."""
    population = areas["population"].astype(float)
    series = {
        "plan: nearest open site": (areas["nearest_open_minutes"], PLAN_COLOUR, "-"),
        "plan: assigned site": (areas["minutes"], PLAN_COLOUR, ":"),
        # drawn last and dashed, so it stays visible where the plan's curve coincides
        "baseline: nearest existing site": (areas["baseline_minutes"], BASELINE_COLOUR, "--"),
    }
    every = pd.concat([s for s, _, _ in series.values()]).astype(float)
    top = float(np.nanmax(every)) if np.isfinite(every).any() else 1.0
    top = max(top, standard or 0.0, 1.0) * 1.05
    grid = np.linspace(0.0, top, 300)
    fig = Figure(figsize=(7.5, 3.6))
    ax = fig.add_subplot()
    for label, (minutes, colour, style) in series.items():
        share = coverage_curve(minutes.astype(float), population, grid)
        ax.plot(grid, 100 * share, color=colour, linestyle=style, label=label, linewidth=2)
    if standard:
        ax.axvline(standard, color="#555", linewidth=1, linestyle="--")
        ax.annotate(
            f"standard {standard:g} min",
            (standard, 50),
            xytext=(-4, 0),
            textcoords="offset points",
            ha="right",
            fontsize=8,
            color="#555",
        )
    ax.set_xlabel("travel time t (minutes)")
    ax.set_ylabel("population within t (%)")
    ax.set_ylim(0, 101)
    ax.set_xlim(0, top)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return _svg_img(fig, "coverage curve: share of population within t minutes")


#: utilisation bars are drawn up to this share (a load on a site without capacity is infinite)
UTILISATION_CAP = 3.0


def utilisation_chart(facilities: pd.DataFrame, resource: str) -> str:
    """Utilisation (load ÷ capacity) per site of ``resource``: baseline vs plan, sites open in
    either, sorted by plan utilisation."""
    util = facilities[f"{resource}_utilisation"].astype(float)
    base = facilities[f"{resource}_baseline_utilisation"].astype(float)
    shown = facilities[np.isfinite(util) | np.isfinite(base)].copy()
    # a load on a site with no capacity is infinitely over: drawn at the chart's cap
    shown["_u"] = util[shown.index].clip(upper=UTILISATION_CAP).fillna(0.0)
    shown["_b"] = base[shown.index].clip(upper=UTILISATION_CAP).fillna(0.0)
    shown = shown.sort_values("_u")
    names = [_label(n) for n in shown["name"]]
    fig = Figure(figsize=(7.5, max(2.0, 0.17 * len(shown) + 0.9)))
    ax = fig.add_subplot()
    y = np.arange(len(shown))
    ax.barh(y + 0.2, 100 * shown["_b"], height=0.4, color=BASELINE_COLOUR, label="baseline")
    ax.barh(y - 0.2, 100 * shown["_u"], height=0.4, color=PLAN_COLOUR, label="plan")
    ax.axvline(100, color="#555", linewidth=1, linestyle="--")
    ax.set_yticks(y, names, fontsize=6.5)
    capped = bool((shown[["_u", "_b"]] >= UTILISATION_CAP).any().any())
    cap_note = f"; bars capped at {100 * UTILISATION_CAP:.0f} %" if capped else ""
    ax.set_xlabel(f"{_label(resource)} utilisation (% of capacity{cap_note})")
    ax.set_ylim(-0.7, len(shown) - 0.3)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return _svg_img(fig, f"{resource} utilisation per site")


def _records(value: object) -> pd.DataFrame | None:
    try:
        frame = pd.DataFrame(value)
    except (ValueError, TypeError):
        return None
    return frame if len(frame) else None


def surge_chart(surge: object) -> str | None:
    """Needed vs available capacity over time, from ``summary["surge"]`` (see module docs)."""
    frame = _records(surge)
    if frame is None or not {"needed", "available"} <= set(frame.columns):
        return None
    x_name = next((c for c in ("day", "date", "t", "time") if c in frame.columns), None)
    x = frame[x_name] if x_name else pd.Series(np.arange(len(frame)))
    resource = _label(frame["resource"].iloc[0]) if "resource" in frame.columns else "capacity"
    fig = Figure(figsize=(7.5, 3.2))
    ax = fig.add_subplot()
    ax.plot(x, frame["needed"].astype(float), color=PLAN_COLOUR, linewidth=2, label="needed")
    ax.plot(
        x, frame["available"].astype(float), color=BASELINE_COLOUR, linewidth=2, label="available"
    )
    ax.set_xlabel(_label(x_name or "step"))
    ax.set_ylabel(resource)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _svg_img(fig, "surge curve: needed vs available")


def frontier_chart(frontier: object) -> str | None:
    """The equity–efficiency frontier from ``summary["frontier"]``: its first two numeric columns."""
    frame = _records(frontier)
    if frame is None:
        return None
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    if len(numeric) < 2:
        return None
    x, y = numeric[0], numeric[1]
    fig = Figure(figsize=(6, 3.6))
    ax = fig.add_subplot()
    ordered = frame.sort_values(x)
    ax.plot(ordered[x], ordered[y], marker="o", color=PLAN_COLOUR)
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(y))
    ax.grid(alpha=0.3)
    return _svg_img(fig, "equity-efficiency frontier")


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
        ("model build", fmt.number(solver.get("build_s"), 2, " s")),
        ("solve", fmt.number(solver.get("solve_s"), 2, " s")),
    ]
    for key, value in (summary.get("timings_s") or {}).items():
        rows.append((f"run step {text(key).removesuffix('_s')}", fmt.number(value, 2, " s")))
    total = sum(v for v in (summary.get("timings_s") or {}).values() if isinstance(v, int | float))
    rows.append(("run time (all steps)", fmt.number(total, 2, " s")))
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


def shortfall_section(summary: dict) -> str:
    """Who is left without, and why: unmet demand by reason, the budget spent, the largest gaps."""
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
    listed = "".join(
        f"<tr><td>{text(a['area'])}</td><td>{text(a['resource'])}</td><td>{fmt.number(a['unmet'], 2)}"
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
        "<h3>Largest gaps</h3><table><tr><th>area</th><th>resource</th><th>unmet</th>"
        f"<th>people</th><th>priority</th><th class='text'>detail</th></tr>{listed}</table>{more}"
    )


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
        "<h2>Headline: baseline vs plan</h2>",
        "<p class='muted'>Baseline: the existing sites with today's capacity, each area to its "
        "nearest existing site. Plan: the optimised sites and capacities.</p>",
        kpi_table(summary),
        f"<p>areas by status: {_counts(summary.get('area_status'))}<br>"
        f"sites by status: {_counts(summary.get('site_status'))}</p>",
        shortfall_section(summary),
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
    surge = surge_chart(summary.get("surge")) if summary.get("surge") else None
    if surge:
        parts += ["<h2>Surge: needed vs available</h2>", f"<figure>{surge}</figure>"]
    if summary.get("deployment"):
        from geoalloc.outputs.deployment_report import deployment_section, unmet_chart

        deployment = summary["deployment"]
        chart = unmet_chart(deployment, _svg_img, PLAN_COLOUR, BASELINE_COLOUR)
        parts += deployment_section(deployment, chart)
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


def write_report(
    path: Path | str, layers: dict[str, gpd.GeoDataFrame], summary: dict, manifest: dict
) -> Path:
    """Write ``report.html`` for a run to ``path`` and return the path."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(report_html(layers, summary, manifest), encoding="utf-8")
    os.replace(tmp, path)  # a rebuild never leaves a half-written page
    log.info("report: %s (%.2f MB)", path, path.stat().st_size / 1e6)
    return path
