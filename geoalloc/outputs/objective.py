"""The report's "How the plan was chosen": the objective in words and units, from
``summary["objective"]`` (see :mod:`geoalloc.optimize.objective`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geoalloc._text as fmt
from geoalloc.outputs.escape import text

#: what each lexicographic level means for a reader, by key
LEVEL_MEANING = {
    "unmet": "demand no site can take within the travel standard",
    "cost": "opening candidates, expanding, and running existing sites that could close, in "
    "the cost columns' currency",
    "new_sites": "candidate sites opened",
    "travel": "each unit of demand times its minutes to the site that serves it",
}


def _level_rows(levels: list[Mapping[str, Any]]) -> str:
    rows = []
    for n, level in enumerate(levels, 1):
        status = level["status"]
        if status == "skipped":
            state = "nothing to choose (the same for every plan)"
        elif status == "optimal":
            state = "proven best"
        elif status == "not_solved":
            state = "not solved in time: the previous goal's plan is kept"
        else:
            gap = level.get("gap")
            state = "best found" + (f", within {fmt.percent(100 * gap)}" if gap is not None else "")
        rows.append(
            f"<tr><td>{n}</td><td class='text'>{text(level['label'])}<br>"
            f"<span class='muted'>{text(LEVEL_MEANING.get(level['key'], ''))}</span></td>"
            f"<td>{fmt.number(level['value'], 1)}</td><td class='text'>{text(level['unit'])}</td>"
            f"<td class='text'>{state}</td></tr>"
        )
    return "".join(rows)


def objective_section(summary: Mapping[str, Any]) -> str:
    """``<h2>`` section saying how the plan was ranked: the lexicographic goals in order with
    their values, the weighted objective's weights in units, or a classic model's policy for the
    existing sites; "" when the summary does not say (an older run folder)."""
    detail = summary.get("objective") or {}
    kind = detail.get("kind")
    head = "<h2>How the plan was chosen</h2>"
    if kind == "lexicographic":
        return (
            head + "<p>Among all plans within the travel standard, this one is the best by these "
            "goals <b>in this order</b>: each is kept while the next is improved, and no exchange "
            "rate between them is assumed. So a candidate site opens only where the existing "
            "sites cannot serve the demand (or where costs say it is cheaper), and an existing "
            "site with room is used before a new one.</p>"
            "<table><tr><th>order</th><th class='text'>goal</th><th>value</th>"
            "<th class='text'>unit</th><th class='text'>solver</th></tr>"
            f"{_level_rows(detail.get('levels') or [])}</table>"
            "<p class='muted'>To trade cost against travel instead, set <code>[optimize] "
            'objective = "weighted"</code> with <code>cost_weight</code> (minutes per currency '
            "unit) and <code>unmet_penalty_minutes</code>.</p>"
        )
    if kind == "weighted":
        rows = "".join(
            f"<tr><td class='text'>{text(t['label'])}</td><td>{t['weight']:,.6g}</td>"
            f"<td class='text'>{text(t['unit'])}</td></tr>"
            for t in detail.get("terms") or []
        )
        return (
            head + "<p>The plan minimises one weighted sum, in "
            f"{text(detail.get('unit'))} (each unit of demand times its minutes): the weights "
            "below say what each term is worth in those minutes. In words: "
            f"{text(detail.get('example'))}.</p>"
            "<table><tr><th class='text'>term</th><th>weight</th><th class='text'>unit</th></tr>"
            f"{rows}</table>"
        )
    if kind == "classic":
        from geoalloc.outputs.terminal import classic_policy

        may_close = detail.get("existing") == "may_close"
        hint = (
            '<code>existing = "keep"</code> with <code>add = k</code> keeps every existing site '
            "and adds k."
            if may_close
            else '<code>existing = "may_close"</code> with <code>p</code> lets the model pick '
            "p sites among existing and candidate ones alike."
        )
        return (
            head + f"<p>Model {text(summary.get('model'))}. Existing sites: "
            f"{text(classic_policy(detail))}. {hint} This model does not limit a site's load to "
            "its capacity: see the utilisation of each site below.</p>"
        )
    return ""
