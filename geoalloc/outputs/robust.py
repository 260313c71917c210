"""``map.html``, ``report.html`` and the console lines of a robust run (``geoalloc robust``).

The map answers two questions: *how often is this site chosen* (the share of draws whose own plan
opens it — or expands it, when every site is open already) and *how likely is this area to be
served within the standard* under the robust plan; the robust plan's sites are ringed. The report
states the uncertainty in words, the KPI intervals over the draws, the robust plan against the plan
for the mean future, the coin-toss sites and the areas covered in fewer than 90 % of the draws.
Every string from the inputs is HTML-escaped.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

import geoalloc._text as fmt
from geoalloc.outputs.escape import text
from geoalloc.outputs.estimate import estimate_box
from geoalloc.outputs.layers import (
    Legend,
    circle_layer,
    circle_record,
    in_4326,
    layer_control,
    polygon_data,
    polygon_view,
    title_box,
)
from geoalloc.outputs.leaflet import base_map
from geoalloc.outputs.popups import area_heading, offline_note
from geoalloc.outputs.report import PAGE_CSS
from geoalloc.outputs.svgplot import Chart

#: classes of the probability an area is covered: (lower bound, colour, label), worst first
COVERED_CLASSES = (
    (0.0, "#d7191c", "< 50 %"),
    (0.5, "#fdae61", "50–80 %"),
    (0.8, "#ffffbf", "80–90 %"),
    (0.9, "#a6d96a", "90–99 %"),
    (0.99, "#1a9641", "≥ 99 %"),
)
#: classes of how often a site is chosen: (lower bound, colour, label)
CHOSEN_CLASSES = (
    (0.0, "#bdbdbd", "never"),
    (1e-9, "#c6dbef", "in < 20 % of draws"),
    (0.2, "#fd8d3c", "a coin toss: 20–80 %"),
    (0.8 + 1e-9, "#6baed6", "in > 80 % of draws"),
    (1.0 - 1e-9, "#08519c", "in every draw"),
)
ROBUST_RING = "#000000"
NO_VALUE = "#999999"


def _class(value: object, classes: tuple) -> tuple[str, str]:
    """The colour and label of ``value`` in ``classes`` (grey when not a number)."""
    number = fmt.finite(value)
    if number is None:
        return NO_VALUE, "not evaluated"
    colour, label = classes[0][1], classes[0][2]
    for low, c, lab in classes:
        if number >= low:
            colour, label = c, lab
    return colour, label


def _share_column(summary: dict) -> str:
    return str((summary.get("robustness") or {}).get("chosen_share_of") or "chosen_share")


def _area_tip(row: pd.Series, resources: list[str]) -> str:
    lines = [
        area_heading(row),
        f"served within the standard: {fmt.percent(100 * row['p_covered'])} of draws (robust plan)",
        f"under the mean plan: {fmt.percent(100 * row['p_covered_mean_plan'])} of draws",
        f"population: {fmt.quantity(row['population'])}",
    ]
    for r in resources:
        column = f"unmet_mean_{r}"
        if column in row.index:
            lines.append(
                f"{text(r)}: need {fmt.number(row.get(f'need_mean_{r}'))}, unmet "
                f"{fmt.number(row[column], 2)} on average (robust plan)"
            )
    return "<br>".join(lines)


def _site_popup(row: pd.Series, resources: list[str]) -> str:
    lines = [
        f"<b>{text(row['name'])}</b> (site {text(row['site_id'])})",
        f"{'existing' if row['existing'] else 'candidate'} · robust plan: "
        f"{'open' if row['open'] else 'not open'} · mean plan: "
        f"{'open' if row['mean_plan_open'] else 'not open'}",
        f"opened by {fmt.percent(100 * row['chosen_share'])} of the draws' own plans, expanded by "
        f"{fmt.percent(100 * row['expanded_share'])}",
    ]
    for r in resources:
        added = f"{r}_added_mean"
        if added in row.index:
            lines.append(
                f"{text(r)}: robust plan adds {fmt.number(row[f'{r}_added'], 0)} (mean plan "
                f"{fmt.number(row[f'mean_plan_{r}_added'], 0)}); the draws add "
                f"{fmt.number(row[added])} on average (p10–p90 "
                f"{fmt.number(row[f'{r}_added_p10'], 0)}–{fmt.number(row[f'{r}_added_p90'], 0)})"
            )
    return "<br>".join(lines)


def build_robust_map(layers: dict[str, gpd.GeoDataFrame], summary: dict) -> folium.Map:
    """Areas by the probability of being served within the standard (robust plan; the mean plan
    as a second layer), sites by how often the draws' own plans choose them, the robust plan's
    sites ringed; every mark in the legend."""
    areas = in_4326(layers["areas"])
    sites = in_4326(layers["facilities"])
    resources = list(summary.get("resources") or [])
    robustness = summary.get("robustness") or {}
    n = robustness.get("draws")
    fmap = base_map(areas)
    legend = Legend()
    colours = [_class(p, COVERED_CLASSES)[0] for p in areas["p_covered"]]
    mean_colours = [_class(p, COVERED_CLASSES)[0] for p in areas["p_covered_mean_plan"]]
    props = pd.DataFrame(
        {
            "tip": [_area_tip(row, resources) for _, row in areas.iterrows()],
            "c": colours,
            "m": mean_colours,
        },
        index=areas.index,
    )
    data = polygon_data(fmap, areas, props)
    rows = [(c, label) for _, c, label in reversed(COVERED_CLASSES)]
    legend_id = legend.section(
        "geoalloc-legend-covered",
        f"probability an area is served within {fmt.minutes(summary.get('max_minutes'))} "
        f"(robust plan, {n} draws)",
        rows,
    )
    polygon_view(
        fmap,
        data,
        "Areas: probability covered (robust plan)",
        colour_key="c",
        legend_id=legend_id,
        show=True,
    )
    legend_id = legend.section(
        "geoalloc-legend-covered-mean", "probability covered (mean plan)", rows
    )
    polygon_view(
        fmap,
        data,
        "Areas: probability covered (mean plan)",
        colour_key="m",
        legend_id=legend_id,
    )
    share = _share_column(summary)
    what = "opened" if share == "chosen_share" else "expanded (every site is open)"
    records = []
    for i, (_, row) in enumerate(sites.iterrows()):
        colour, label = _class(row[share], CHOSEN_CLASSES)
        records.append(
            circle_record(
                row.geometry,
                radius=4.0 + 10.0 * float(row[share]),
                colour=colour,
                tip=f"{text(row['name'])}: {what} in {fmt.percent(100 * row[share])} of draws",
                popup=_site_popup(row, resources),
                css_class=f"geoalloc-site geoalloc-site-{i}",
            )
        )
    legend_id = legend.section(
        "geoalloc-legend-chosen",
        f"how often a site is {what} by the draws' own plans (size: share)",
        [(c, label) for _, c, label in CHOSEN_CLASSES],
        symbol="dot",
    )
    circle_layer(fmap, records, f"Sites: how often {what}", legend_id=legend_id)
    rings = [
        circle_record(
            row.geometry,
            radius=7.0 + 10.0 * float(row[share]),
            colour=ROBUST_RING,
            tip=f"{text(row['name'])}: open in the robust plan",
            css_class=f"geoalloc-robust-site geoalloc-robust-site-{i}",
        )
        for i, (_, row) in enumerate(sites.iterrows())
        if bool(row["open"])
    ]
    legend_id = legend.section(
        "geoalloc-legend-robust", "robust plan", [(ROBUST_RING, "site open")], symbol="ring"
    )
    circle_layer(
        fmap, rings, "Robust plan: open sites", fill_opacity=0.0, weight=2.5, legend_id=legend_id
    )
    comparison = robustness.get("comparison") or {}
    total = (comparison.get("robust_plan") or {}).get("expected_unmet") or {}
    total_mean = (comparison.get("mean_plan") or {}).get("expected_unmet") or {}
    title_box(
        fmap,
        f"<h4>{text(summary['scenario'])}</h4>"
        f"plans under uncertainty: {n} draws (seed {robustness.get('seed')}) · standard "
        f"{fmt.minutes(summary.get('max_minutes'))}<br>"
        f"expected unmet units: robust plan {fmt.number(total.get('total'))}, mean plan "
        f"{fmt.number(total_mean.get('total'))}<br>"
        f"coin-toss sites: {len(robustness.get('coin_toss_sites') or [])} · areas covered in "
        f"< 90 % of draws: {(robustness.get('areas_below') or {}).get('count')}"
        f"<br><i>{offline_note(False)}</i>",
        summary,
    )
    legend.add_to(fmap)
    layer_control(fmap)
    return fmap


# --- the report -------------------------------------------------------------------------------


def _table(head: list[str], rows: list[list[str]]) -> str:
    cells_head = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{cells_head}</tr></thead><tbody>{body}</tbody></table>"


def _interval(stats: dict | None, digits: int = 1, suffix: str = "") -> list[str]:
    stats = stats or {}
    return [
        fmt.number(stats.get("mean"), digits, suffix),
        fmt.number(stats.get("p5"), digits, suffix)
        + " – "
        + fmt.number(stats.get("p95"), digits, suffix),
        fmt.number(stats.get("p50"), digits, suffix),
    ]


def uncertainty_section(summary: dict) -> str:
    """The stated uncertainty, in plain words."""
    robustness = summary["robustness"]
    u = robustness["uncertainty"]

    def pct(key: str) -> str:
        return fmt.percent(100 * float(u[key]["value"]), 0)

    lo, hi = u["speed_factor"]["value"]
    los = (
        "the mean length of stay varies as a bootstrap of the admissions history does (the "
        "history's rows resampled with replacement)"
        if u.get("los_bootstrap")
        else f"the mean length of stay by about ± {pct('los_error')}"
    )
    alternative = u.get("population_alternative", {}).get("value")
    items = [
        f"each area's population is off by about ± {pct('population_error')} (one standard "
        "deviation, independently per area, on average right)"
        + (
            f", after taking either the given population or column {text(alternative)} "
            "(each in half of the draws);"
            if alternative
            else ";"
        ),
        f"admission rates across the region by about ± {pct('admission_rate_error')};",
        f"{los};",
        f"road speeds anywhere between {fmt.percent(100 * lo, 0)} and {fmt.percent(100 * hi, 0)} "
        "of the assumed (every travel time divided by the same factor);",
        f"the surge part of admissions by about ± {pct('surge_error')} (when the scenario has a "
        "surge).",
    ]
    defaults = [
        k for k, v in u.items() if isinstance(v, dict) and v.get("value") == v.get("default")
    ]
    return (
        "<h2>The uncertainty assumed</h2>"
        f"<p>{robustness['draws']} plausible futures were drawn (seed {robustness['seed']}) in "
        "which</p><ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
        f"<p class='muted'>Values left at geoalloc's defaults: {text(', '.join(defaults)) or 'none'}. "
        "An area counts as served within the standard in a draw when at most "
        f"{fmt.percent(100 * float(u['coverage_tolerance']['value']), 1)} of its need is unmet. "
        f"The robust plan was solved on the first {robustness['saa_draws']} draws; on the other "
        f"{robustness['out_of_sample_draws']} it is evaluated out of sample. The mean plan is "
        f"{text(robustness['mean_plan_is'])}.</p>"
    )


def kpi_section(summary: dict) -> str:
    """KPI intervals over the draws for the draws' own plans, the robust and the mean plan."""
    kpis = summary["robustness"]["kpis"]
    names = {
        "own_plans": "each draw's own best plan",
        "robust_plan": "robust plan",
        "mean_plan": "mean plan",
    }
    rows = []
    for key, label in names.items():
        block = kpis.get(key) or {}
        rows.append([f"{label}: population covered", *_interval(block.get("covered_pct"), 1, " %")])
        for r, stats in (block.get("unmet") or {}).items():
            rows.append([f"{label}: {text(r)} unmet (units)", *_interval(stats)])
    return "<h2>Figures over the draws</h2>" + _table(
        ["figure", "mean", "90 % interval (p5 – p95)", "median"], rows
    )


def comparison_section(summary: dict) -> str:
    """The robust plan against the mean plan, on the same draws."""
    comparison = summary["robustness"]["comparison"]
    resources = list(summary.get("resources") or [])
    rows = []
    for label, key in (
        ("expected unmet, all draws", "expected_unmet"),
        ("expected unmet, out-of-sample draws", "expected_unmet_out_of_sample"),
        ("mean unmet in the worst 5 % of draws", "worst_5pct_unmet"),
    ):
        for r in [*resources, "total"]:
            robust = (comparison["robust_plan"].get(key) or {}).get(r)
            mean = (comparison["mean_plan"].get(key) or {}).get(r)
            rows.append([f"{label}: {text(r)}", fmt.number(robust, 2), fmt.number(mean, 2)])
    outside = comparison["robust_plan"].get("out_of_sample_draws")
    none_outside = (
        "<p class='muted'>Every draw was one the robust plan was solved on (saa_draws = draws): "
        "there are no out-of-sample draws.</p>"
        if not outside
        else ""
    )
    return (
        "<h2>Robust plan vs the plan for the mean future</h2>"
        "<p>Units of need left unmet, both plans evaluated on the same draws (sites and added "
        "units fixed, patients assigned as well as each draw allows).</p>"
        + _table(["figure", "robust plan", "mean plan"], rows)
        + none_outside
    )


def _chosen_chart(sites: pd.DataFrame, share: str) -> str:
    chosen = sites[sites[share] > 0].sort_values(share).tail(40)
    if chosen.empty:
        return ""
    labels = [str(n)[:38] for n in chosen["name"]]
    chart = Chart(
        width=760,
        height=40 + 16 * len(chosen) + 44,
        xlim=(0.0, 1.0),
        ylim=(-0.5, len(chosen) - 0.5),
        xlabel="share of draws",
        rows=labels,
    )
    positions = np.arange(len(chosen))
    colours = [_class(v, CHOSEN_CLASSES)[0] for v in chosen[share]]
    for pos, value, colour in zip(positions, chosen[share], colours, strict=True):
        chart.bars([pos], [value], colour, height=0.7)
    data = base64.b64encode(chart.svg().encode("utf-8")).decode("ascii")
    return (
        f"<figure><img class='chart' alt='share of draws choosing each site' "
        f"src='data:image/svg+xml;base64,{data}'><figcaption>How often the draws' own plans "
        "choose each site (orange: a coin toss).</figcaption></figure>"
    )


def _site_name(row: pd.Series) -> str:
    name, site = str(row["name"]), str(row["site_id"])
    return text(name) if name == site else f"{text(name)} (site {text(site)})"


def sites_section(sites: pd.DataFrame, summary: dict) -> str:
    """The coin-toss sites, and the chart of how often each site is chosen."""
    share = _share_column(summary)
    coin = sites[(sites[share] >= 0.2) & (sites[share] <= 0.8)].sort_values(share, ascending=False)
    what = "open" if share == "chosen_share" else "expand"
    rows = [
        [
            _site_name(r),
            fmt.percent(100 * r[share]),
            "yes" if r["open"] else "no",
            "yes" if r["mean_plan_open"] else "no",
        ]
        for _, r in coin.iterrows()
    ]
    table = (
        _table(
            ["site", f"share of draws whose plan would {what} it", "robust plan", "mean plan"], rows
        )
        if rows
        else "<p>No site is a coin toss: each is chosen in fewer than 20 % or more than 80 % of "
        "the draws.</p>"
    )
    return (
        "<h2>Sites that are a coin toss</h2>"
        f"<p>Sites that between 20 % and 80 % of the draws' own plans {what}: whether they are "
        "needed depends on which future comes.</p>" + table + _chosen_chart(sites, share)
    )


def areas_section(areas: pd.DataFrame) -> str:
    """The areas served within the standard in fewer than 90 % of the draws (robust plan)."""
    low = areas[areas["p_covered"] < 0.9].sort_values("p_covered")
    if low.empty:
        return (
            "<h2>Areas at risk</h2><p>Under the robust plan every area is served within the "
            "standard in at least 90 % of the draws.</p>"
        )
    rows = [
        [
            area_heading(r),
            fmt.percent(100 * r["p_covered"]),
            fmt.percent(100 * r["p_covered_mean_plan"]),
            fmt.quantity(r["population"]),
        ]
        for _, r in low.head(200).iterrows()
    ]
    more = f"<p class='muted'>… and {len(low) - 200} more.</p>" if len(low) > 200 else ""
    return (
        f"<h2>Areas at risk</h2><p>{len(low)} area(s) are served within the standard in fewer "
        "than 90 % of the draws under the robust plan.</p>"
        + _table(["area", "robust plan", "mean plan", "population"], rows)
        + more
    )


def robust_report_html(layers: dict[str, gpd.GeoDataFrame], summary: dict, manifest: dict) -> str:
    """The report page of a robust run."""
    areas = pd.DataFrame(layers["areas"].drop(columns="geometry"))
    sites = pd.DataFrame(layers["facilities"].drop(columns="geometry"))
    robustness = summary["robustness"]
    saa = robustness["saa"]
    per_draw = robustness["per_draw"]
    timings = summary.get("timings_s") or {}
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><link rel='icon' href='data:,'>",
        f"<title>geoalloc report — {text(summary['scenario'])} (robust)</title>",
        f"<style>{PAGE_CSS}</style></head><body>",
        f"<h1>{text(summary['scenario'])}: plans under uncertainty</h1>",
        f"<p class='muted'>standard: within {fmt.minutes(summary.get('max_minutes'))} · "
        f"{fmt.quantity(summary.get('areas'))} areas, {fmt.quantity(summary.get('sites'))} sites "
        f"· {robustness['draws']} draws on {text(robustness['executor'])} · report written "
        f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}</p>",
        "<p>The interactive map of this run is <a href='map.html'>map.html</a> in the same folder."
        "</p>",
        estimate_box(summary),
        uncertainty_section(summary),
        kpi_section(summary),
        comparison_section(summary),
        sites_section(sites, summary),
        areas_section(areas),
        "<h2>Solver</h2>",
        _table(
            ["solve", "status", "gap", "size", "seconds"],
            [
                [
                    f"robust plan (sample average over {saa['n_draws']} draws)",
                    text(saa["status"]),
                    fmt.percent(100 * saa["gap"], 3) if saa.get("gap") is not None else "—",
                    f"{fmt.quantity(saa['columns'])} columns × {fmt.quantity(saa['rows'])} rows",
                    fmt.number(saa["solve_s"]),
                ],
                [
                    f"each draw's own plan (mean of {robustness['draws_solved']})",
                    "",
                    "",
                    "",
                    f"{fmt.number(per_draw['draw_solve_s_mean'], 2)} (CPU "
                    f"{fmt.number(per_draw.get('draw_solve_cpu_s_mean'), 2)})",
                ],
                [
                    "the base problem, once (a bare solve)",
                    "",
                    "",
                    "",
                    f"{fmt.number(per_draw['bare_solve_s'], 2)} (CPU "
                    f"{fmt.number(per_draw.get('bare_solve_cpu_s'), 2)})",
                ],
            ],
        ),
        "<p class='muted'>seconds per stage: "
        + text(", ".join(f"{k} {fmt.number(v, 1)}" for k, v in timings.items()))
        + "</p>",
    ]
    notes = summary.get("input_notes") or []
    if notes:
        parts.append("<h2>Notes on the inputs</h2><ul>")
        parts += [f"<li>{text(n)}</li>" for n in notes]
        parts.append("</ul>")
    inputs = manifest.get("inputs") or {}
    if inputs:
        parts.append(
            "<h2>Inputs</h2>"
            + _table(
                ["input file", "SHA-256"],
                [[text(p), f"<code>{text(i.get('sha256'))}</code>"] for p, i in inputs.items()],
            )
        )
    parts.append("</body></html>")
    return "".join(parts)


def robust_lines(summary: dict[str, Any]) -> list[str]:
    """The console lines of a robust run."""
    robustness = summary["robustness"]
    comparison = robustness["comparison"]
    kpis = robustness["kpis"]
    robust = comparison["robust_plan"]["expected_unmet"].get("total")
    mean = comparison["mean_plan"]["expected_unmet"].get("total")
    covered = (kpis["robust_plan"].get("covered_pct") or {}) if kpis.get("robust_plan") else {}
    return [
        f"scenario {summary['scenario']}: {robustness['draws']} draws (seed {robustness['seed']}, "
        f"{robustness['executor']}), robust plan on {robustness['saa_draws']} "
        f"({robustness['saa']['status']})",
        f"  expected unmet units: robust plan {fmt.number(robust, 2)} · mean plan "
        f"{fmt.number(mean, 2)}",
        f"  population covered (robust plan): {fmt.percent(covered.get('mean'))} "
        f"(90 % interval {fmt.percent(covered.get('p5'))} – {fmt.percent(covered.get('p95'))})",
        f"  coin-toss sites: {len(robustness['coin_toss_sites'])} · areas covered in < 90 % of "
        f"draws: {robustness['areas_below']['count']}",
    ]
