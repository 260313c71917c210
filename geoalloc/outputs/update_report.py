"""What an update changed and why, for the terminal and the report (``summary["update"]``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geoalloc._text as fmt
from geoalloc.outputs.escape import text
from geoalloc.outputs.limits import limits_words


def _change_words(row: Mapping[str, Any]) -> str:
    change = row["change"]
    if change in ("open", "close"):
        return f"{'open' if change == 'open' else 'close'} {row.get('name') or row['site']}"
    verb = "add" if change == "add" else "remove"
    units = fmt.number(row.get("units"), 0)
    return f"{verb} {units} {row['resource']} at {row.get('name') or row['site']}"


def _unmet_words(unmet: Mapping[str, float]) -> str:
    return ", ".join(f"{fmt.number(v)} {r}" for r, v in unmet.items()) or "none"


def update_lines(summary: Mapping[str, Any]) -> list[str]:
    """The lines ``geoalloc update`` prints before the planning figures."""
    update = summary.get("update")
    if not update:
        return []
    if update.get("kind") == "deployment":
        from geoalloc.outputs.phased_update_report import phased_update_lines

        return phased_update_lines(summary)
    drift = update["drift"]
    lines = [f"update of {update['parent']['folder']} ({update['parent']['scenario']})"]
    lines += [f"  data: {line}" for line in drift["lines"]]
    for site in update.get("closed_by_data") or []:
        lines.append(f"  {site}: out of service in the new data — closed, not counted as a change")
    if update["kept_by_rule"]:
        lines.append("  plan kept as it is: no change in the data beyond the noise")
    rows = update["change_rows"]
    lines.append(
        f"  changes: {len(rows)} ({limits_words(update['limits'])})"
        + ("" if rows else " — the plan in force is kept")
    )
    lines += [f"    {_change_words(row)}" for row in rows[:10]]
    if len(rows) > 10:
        lines.append(f"    … and {len(rows) - 10} more (summary.json update.change_rows)")
    lines.append(
        f"  unmet if the plan is kept: {_unmet_words(update['kept']['unmet'])}; "
        f"after the update: {_unmet_words(update['new']['unmet'])}"
    )
    access = update["access"]
    if access["areas_gained"] or access["areas_lost"]:
        lines.append(
            f"  access within the standard: {access['areas_gained']} area(s) gain "
            f"({fmt.quantity(access['population_gained'])} people), {access['areas_lost']} lose "
            f"({fmt.quantity(access['population_lost'])} people)"
        )
    lines += [f"  note: {note}" for note in update.get("notes", [])]
    return lines


def _bound(value: Any, digits: int = 1) -> str:
    """An interval end; "inf" (unbounded, as summary.json writes it) in words."""
    if value in ("inf", "-inf") or value is None:
        return "no bound"
    return fmt.number(value, digits)


def _surge_rows(surge: Mapping[str, Any] | None) -> list[str]:
    """The surge refitted to daily admissions: one row of the drift table."""
    if not surge:
        return []
    verdict = "changed" if surge["changed"] else "no change"
    days = surge["days_observed"]
    if surge["kind"] == "table":
        ratio = surge["parameters"][0]["estimate"]
        return [
            f"<tr><td>surge table ({days} days observed)</td>"
            f"<td>observed admissions {fmt.number(ratio, 2)} × the table's</td><td></td>"
            f"<td>Poisson deviance {fmt.number(surge['deviance'], 1)} on {days} df, "
            f"p = {surge['p_value']:.2g}</td><td>{verdict}</td></tr>"
        ]
    row = next(r for r in surge["parameters"] if r["name"] == "doubling_time_days")
    return [
        f"<tr><td>surge doubling time ({days} days observed)</td>"
        f"<td>{fmt.number(row['plan'], 1)} → {fmt.number(row['estimate'], 1)} days</td>"
        f"<td>{fmt.number(100 * surge['level'], 0)} % profile-likelihood interval "
        f"{_bound(row['ci_low'])} to {_bound(row['ci_high'])} days; Pearson dispersion "
        f"{fmt.number(surge['pearson_dispersion'], 2)}</td>"
        f"<td>Poisson likelihood ratio, p = {surge['p_value']:.2g}</td><td>{verdict}</td></tr>"
    ]


def _drift_table(drift: Mapping[str, Any]) -> str:
    rows = []
    los = drift.get("los")
    if los:
        low, high = los["shift_ci_days"]
        p_low, p_high = los["p_longer_difference_ci"]
        rows.append(
            "<tr><td>length of stay</td>"
            f"<td>mean {fmt.number(los['mean_old_days'], 2)} → {fmt.number(los['mean_new_days'], 2)}"
            f" days; P(LOS &gt; {fmt.number(los['risk_days'], 0)} d) "
            f"{fmt.percent(100 * los['p_longer_old'])} → {fmt.percent(100 * los['p_longer_new'])}</td>"
            f"<td>shift {fmt.number(los['shift_days'], 2)} days ({fmt.number(low, 2)} to "
            f"{fmt.number(high, 2)}); long-stay share {fmt.number(100 * p_low, 1)} to "
            f"{fmt.number(100 * p_high, 1)} points</td>"
            f"<td>Mann–Whitney p = {los['mann_whitney_p']:.2g}; Kolmogorov–Smirnov p = "
            f"{los['ks_p']:.2g}</td><td>{'changed' if los['changed'] else 'no change'}</td></tr>"
        )
    rows += _surge_rows(drift.get("surge"))
    rates = drift.get("rates")
    if rates:
        rows.append(
            f"<tr><td>admission rates (per {text(rates['by'])})</td>"
            f"<td>{rates['keys']} compared</td><td>exact rate ratios, Holm-adjusted</td><td></td>"
            f"<td>{rates['changed']} changed</td></tr>"
        )
    for row in drift.get("band_rates") or []:
        rows.append(
            f"<tr><td>admission rate, age band {text(row['age_band'])}</td>"
            f"<td>{fmt.number(row['rate_old_per_1000'], 1)} → "
            f"{fmt.number(row['rate_new_per_1000'], 1)} per 1,000 a year</td>"
            f"<td>ratio {fmt.number(row['rate_ratio'], 2)} ({fmt.number(row['ratio_ci_low'], 2)} "
            f"to {fmt.number(row['ratio_ci_high'], 2)})</td><td>exact, p = "
            f"{fmt.number(row['p_value'], 3)}</td>"
            f"<td>{'changed' if row['changed'] else 'no change'}</td></tr>"
        )
    for part in ("population", "capacity", "needs"):
        counts = drift.get(part) or {}
        moved = sum(v for k, v in counts.items() if k != "same")
        rows.append(
            f"<tr><td>{part}</td><td>"
            + ", ".join(f"{text(k)}: {v}" for k, v in counts.items())
            + f"</td><td></td><td></td><td>{'changed' if moved else 'no change'}</td></tr>"
        )
    return (
        "<table><tr><th>what</th><th>old → new</th><th>size of the change (95 % interval)</th>"
        f"<th>test</th><th>verdict</th></tr>{''.join(rows)}</table>"
    )


def _surge_words(surge: Mapping[str, Any] | None) -> str:
    if not surge:
        return ""
    since = f" from {surge['first_date']}" if surge.get("first_date") else ""
    if surge["kind"] == "table":
        return (
            f"The surge table's first {surge['days_observed']} days are the daily admissions "
            f"observed{since} (÷ the baseline); the rest of the table is the plan's. "
        )
    return (
        f"The surge (CHIME's SIR) was refitted to the {surge['days_observed']} days of admissions "
        f"observed{since} by Poisson maximum likelihood: doubling time and initial infected share "
        "fitted, the other surge parameters held at the scenario's; the re-plan uses the refitted "
        "curve. "
    )


def update_section(summary: Mapping[str, Any]) -> list[str]:
    """The report's section on the update: the drift, the changes, what each buys, the kept plan."""
    update = summary.get("update")
    if not update:
        return []
    if update.get("kind") == "deployment":
        from geoalloc.outputs.phased_update_report import phased_update_section

        return phased_update_section(summary)
    parent = update["parent"]
    pool = update["pool"]
    rule = {
        "new": "the new admissions alone",
        "all": "old and new admissions, each counted once",
        "window": f"the admissions of the last {fmt.number(pool['window_days'], 0)} days",
        "exponential": "old and new admissions, an admission's weight halving every "
        f"{fmt.number(pool['half_life_days'], 0)} days back",
    }[pool["rule"]]
    parts = [
        "<h2>Update: what changed in the data, and in the plan</h2>",
        f"<p>This plan updates <code>{text(parent['folder'])}</code> "
        f"({text(parent['scenario'])}). "
        + (
            f"LOS and admission rates refitted on {rule}. "
            if pool.get("history_given")
            else "No new admissions: the LOS and admission rates are the plan's. "
        )
        + _surge_words(update["drift"].get("surge"))
        + f"Changes allowed: {text(limits_words(update['limits']))}.</p>",
        "<h3>What changed in the data</h3>",
        "<ul>" + "".join(f"<li>{text(line)}</li>" for line in update["drift"]["lines"]) + "</ul>",
        _drift_table(update["drift"]),
    ]
    closed = update.get("closed_by_data") or []
    if closed:
        parts.append(
            "<p>Out of service in the new data, so closed whatever the plan: "
            + ", ".join(text(site) for site in closed)
            + " (not counted as changes of the plan).</p>"
        )
    if update["kept_by_rule"]:
        parts.append("<p><b>The plan is kept as it is:</b> no change beyond the noise.</p>")
    rows = update["change_rows"]
    parts.append("<h3>What the plan changes, and what each change buys</h3>")
    if rows:
        body = "".join(
            f"<tr><td>{text(_change_words(row))}</td>"
            f"<td>{fmt.number(row.get('unmet_avoided'))}</td>"
            f"<td>{fmt.number(row.get('demand_minutes_avoided'), 0)}</td></tr>"
            for row in rows
        )
        parts.append(
            "<table><tr><th>change</th><th>unmet units avoided</th>"
            "<th>demand-minutes avoided</th></tr>" + body + "</table>"
            "<p class='muted'>Each change is undone alone, the others kept, and the assignment "
            "solved again with every site and unit fixed; a negative figure is a cost (e.g. more "
            "travel to serve demand that was unmet).</p>"
        )
    else:
        parts.append("<p>No change: the plan in force stays as it is.</p>")
    frontier = update.get("frontier")
    if frontier:
        resources = [k.removeprefix("unmet_") for k in frontier[0] if k.startswith("unmet_")]
        head = "".join(f"<th>unmet {text(r)}</th>" for r in resources)
        body = "".join(
            "<tr><td>"
            + ("no limit" if row["max_changes"] is None else str(row["max_changes"]))
            + f"</td><td>{fmt.number(row['changes'], 0)}</td>"
            + "".join(f"<td>{fmt.number(row[f'unmet_{r}'])}</td>" for r in resources)
            + f"<td>{fmt.number(row['travel_demand_minutes'], 0)}</td></tr>"
            for row in frontier
        )
        parts += [
            "<h3>Disruption against benefit</h3>",
            "<p class='muted'>The same update re-planned at each limit on the number of changes "
            "(sites opened or closed plus modules added or removed): choose the row whose benefit "
            "is worth its disruption.</p>",
            f"<table><tr><th>at most</th><th>changes made</th>{head}"
            f"<th>demand-minutes</th></tr>{body}</table>",
        ]
    kept, new = update["kept"], update["new"]
    parts += [
        "<h3>Keeping the plan as it is, under the new data</h3>",
        "<table><tr><th></th><th>plan kept</th><th>updated plan</th></tr>"
        f"<tr><td>unmet demand</td><td>{text(_unmet_words(kept['unmet']))}</td>"
        f"<td>{text(_unmet_words(new['unmet']))}</td></tr>"
        f"<tr><td>population covered</td><td>{fmt.percent(kept['covered_pct'])}</td>"
        f"<td>{fmt.percent(new['covered_pct'])}</td></tr>"
        f"<tr><td>mean minutes to the nearest open site</td><td>{fmt.number(kept['minutes_mean'])}"
        f"</td><td>{fmt.number(new['minutes_mean'])}</td></tr></table>",
    ]
    access = update["access"]
    parts.append(
        f"<p>Access within the standard, compared with keeping the plan: {access['areas_gained']}"
        f" area(s) gain it ({fmt.quantity(access['population_gained'])} people), "
        f"{access['areas_lost']} lose it ({fmt.quantity(access['population_lost'])} people). "
        "The map's <i>Plan kept</i> button shows them, with the kept plan's sites.</p>"
    )
    parts += [f"<p class='muted'>{text(note)}</p>" for note in update.get("notes", [])]
    return parts
