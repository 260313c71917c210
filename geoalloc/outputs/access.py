"""The report's section on the ``[access]`` index (``summary["access"]``, see
:mod:`geoalloc.runs.access`): what the index is, in words; its distribution over the people for
the baseline and the plan; who is worst off; and per equity group."""

from __future__ import annotations

import numpy as np
import pandas as pd

import geoalloc._text as fmt
from geoalloc.outputs.charts import (
    BASELINE_COLOUR,
    PLAN_COLOUR,
    PX_PER_IN,
    _svg_img,
    coverage_curve,
)
from geoalloc.outputs.escape import text
from geoalloc.outputs.svgplot import Chart


def access_title(block: dict) -> str:
    """The index's name as a map layer and a heading: "Access: icu_beds per 1,000 people
    (e2sfca)" (HTML-escaped)."""
    return f"Access: {text(block['units'])} ({text(block['method'])})"


def access_words(block: dict) -> str:
    """The index in plain words: method, demand, catchment (inclusive) and decay."""
    per = block.get("per", 1000.0)
    who = (
        f"each area's {text(block['resource'])} needed"
        if block.get("demand") == "needs"
        else "the people of each area"
        + (
            f" counted in <code>{text(block['population_column'])}</code>"
            if block.get("population_column")
            else ""
        )
    )
    unit = "per 1,000 people" if per == 1000.0 else f"per unit of {text(block['resource'])} needed"
    return (
        f"<p>Method: the {text(block['method_name'])}. Every site's {text(block['resource'])} "
        f"is shared among {who} within its catchment, and each area adds up its shares of the "
        f"sites within its own catchment: the index is {text(block['resource'])} {unit} "
        "within reach, counting the competition for them. A higher value is better access; 0 "
        "means no site with this resource within the catchment.</p>"
        + (
            "<p>The balanced FCA shares each person among the sites in reach and each site's "
            "level of service among the areas in reach, so nobody is counted twice; an area's "
            "value is its share of the sites' levels of service, far lower than a 2SFCA value. "
            "Compare areas with one another.</p>"
            if block.get("method") == "bfca"
            else ""
        )
        + f"<p>Catchment: {fmt.number(block.get('max_minutes'), 0)} minutes, <b>inclusive</b> — a "
        f"site exactly {fmt.number(block.get('max_minutes'), 0)} minutes away counts. Distance "
        f"decay: {text(block.get('decay_text'))}. Baseline: today's capacity at the existing "
        "sites; plan: the capacity after the plan at the sites it keeps open.</p>"
    )


def access_chart(areas: pd.DataFrame, block: dict) -> str:
    """The distribution: share of the people whose index is at most x, baseline vs plan."""
    weights = areas["access_population"].astype(float)
    columns = block["columns"]
    series = {
        "plan": (areas[columns["plan"]], PLAN_COLOUR, None),
        "baseline": (areas[columns["baseline"]], BASELINE_COLOUR, "7,4"),
    }
    every = pd.concat([s for s, _, _ in series.values()]).astype(float)
    top = float(np.nanmax(every)) if np.isfinite(every).any() else 1.0
    top = max(top, 1e-9) * 1.05
    grid = np.linspace(0.0, top, 300)
    chart = Chart(
        7.5 * PX_PER_IN,
        3.6 * PX_PER_IN,
        (0.0, top),
        (0.0, 101.0),
        xlabel=f"access x ({block['units']})",
        ylabel="people with access ≤ x (%)",
    )
    for label, (values, colour, dash) in series.items():
        share = coverage_curve(values.astype(float), weights, grid)  # the same weighted share
        chart.line(grid, 100 * share, colour, label=label, dash=dash)
    return _svg_img(chart, "distribution of the access index over the people")


def access_section(areas: pd.DataFrame, block: dict, *, on_display_grid: bool) -> str:
    """The report's ``[access]`` section (empty without ``block``)."""
    if not block:
        return ""
    base, plan = block["baseline"], block["plan"]
    rows = [
        ("mean (weighted by people)", "mean"),
        ("10th percentile (p10)", "p10"),
        ("median", "median"),
        ("90th percentile (p90)", "p90"),
        ("lowest", "min"),
        ("highest", "max"),
    ]
    body = "".join(
        f"<tr><td>{label}</td><td>{fmt.number(base.get(key), 2)}</td>"
        f"<td>{fmt.number(plan.get(key), 2)}</td></tr>"
        for label, key in rows
    )
    body += (
        f"<tr><td>people with zero access</td><td>{fmt.quantity(base.get('zero_population'))} "
        f"({fmt.share(base.get('zero_share'))})</td><td>"
        f"{fmt.quantity(plan.get('zero_population'))} ({fmt.share(plan.get('zero_share'))})"
        "</td></tr>"
    )
    table = (
        "<table><thead><tr><th>access, "
        f"{text(block['units'])}</th><th>baseline</th><th>plan</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )
    worst = "".join(
        f"<tr><td class='text'>{text(a['area_id'])}</td><td class='text'>"
        f"{text(a.get('name', ''))}</td><td>{fmt.quantity(a['population'])}</td>"
        f"<td>{fmt.number(a['value'], 2)}</td><td>{a['sites_in_reach']}</td></tr>"
        for a in plan.get("worst_areas", [])
    )
    parts = [
        f"<h2>{access_title(block)}</h2>",
        access_words(block),
        table,
        f"<figure>{access_chart(areas, block)}<figcaption>Share of the people whose access is "
        "at most x, baseline and plan.</figcaption></figure>",
        "<h3>Who is worst off (plan)</h3>",
        "<table><thead><tr><th class='text'>area</th><th class='text'>name</th><th>people</th>"
        f"<th>access</th><th>sites in reach</th></tr></thead><tbody>{worst}</tbody></table>",
    ]
    groups = plan.get("by_group")
    if groups:
        base_groups = base.get("by_group", {})
        lines = "".join(
            f"<tr><td class='text'>{text(g)}</td><td>{fmt.quantity(v['population'])}</td>"
            f"<td>{fmt.number(base_groups.get(g, {}).get('mean'), 2)}</td>"
            f"<td>{fmt.number(v['mean'], 2)}</td><td>{fmt.share(v['zero_share'])}</td></tr>"
            for g, v in groups.items()
        )
        parts += [
            "<h3>By equity group</h3>",
            "<table><thead><tr><th class='text'>group</th><th>people</th><th>mean, baseline"
            "</th><th>mean, plan</th><th>zero access, plan</th></tr></thead>"
            f"<tbody>{lines}</tbody></table>",
        ]
    where = (
        "The map draws this run's areas on a display grid and has no access layer: the index "
        "of every area is in <code>results.gpkg</code>"
        if on_display_grid
        else "The map's layer of the same name shows the plan's index per area (off at first)"
    )
    columns = block["columns"]
    parts.append(
        f"<p class='muted'>{where} (columns <code>{text(columns['plan'])}</code> and "
        f"<code>{text(columns['baseline'])}</code> of the <code>areas</code> layer).</p>"
    )
    return "\n".join(parts)
