"""What the update of a time-phased deployment changed, for the terminal and the report
(``summary["update"]`` with ``kind = "deployment"``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geoalloc._text as fmt
from geoalloc.outputs.escape import text
from geoalloc.outputs.limits import limits_words

#: changes listed in the terminal (all of them are in summary.json and the changes layer)
MAX_CHANGES_SHOWN = 10


def change_words(row: Mapping[str, Any]) -> str:
    """One change of the schedule in words."""
    change = row["change"]
    if row.get("site") is not None:
        before, after = row.get("open_day_before"), row.get("open_day_after")
        if change == "site opened":
            return f"open temporary site {row['site']} on day {after}"
        if change == "site cancelled":
            return f"do not open temporary site {row['site']} (was day {before})"
        return f"open temporary site {row['site']} on day {after} instead of day {before}"
    verb = "ship" if change == "shipment added" else "cancel the shipment of"
    return (
        f"{verb} {fmt.number(row['units'], 0)} {row['resource']} {row['from_site']} → "
        f"{row['to_site']} (leaves day {row['depart_day']}, usable day {row['arrive_day']}, "
        f"lead {row['lead_periods']} period(s))"
    )


def _unit_days(values: Mapping[str, float] | None) -> str:
    if values is None:
        return "not feasible on the new data"
    return ", ".join(f"{fmt.number(v)} {r}" for r, v in values.items()) or "none"


def _limits_words(limits: Mapping[str, Any]) -> str:
    return limits_words(
        limits, site_changes="temporary site(s) changed", units_changed="shipped differently"
    )


def phased_update_lines(summary: Mapping[str, Any]) -> list[str]:
    """The lines ``geoalloc update`` prints for the update of a time-phased deployment."""
    update = summary["update"]
    rows = update["change_rows"]
    kept = (
        f"decisions before day {update['first_change_day']} kept"
        if update["as_of_period"]
        else "nothing has happened yet: every decision may change"
    )
    lines = [
        f"update of {update['parent']['folder']} ({update['parent']['scenario']}) as of day "
        f"{update['as_of_day']}: {kept}",
    ]
    lines += [f"  data: {line}" for line in update["drift"]["lines"]]
    if update["kept_by_rule"]:
        lines.append("  schedule kept as it is: no change in the data beyond the noise")
    lines.append(
        f"  changes: {fmt.number(update['changes'], 0)} ({_limits_words(update['limits'])})"
        + ("" if rows else " — the schedule in force is kept")
    )
    lines += [f"    {change_words(row)}" for row in rows[:MAX_CHANGES_SHOWN]]
    if len(rows) > MAX_CHANGES_SHOWN:
        lines.append(
            f"    … and {len(rows) - MAX_CHANGES_SHOWN} more (summary.json update.change_rows)"
        )
    lines.append(
        f"  unmet unit-days if the schedule is kept: {_unit_days(update['kept']['unmet_unit_days'])}"
        f"; after the update: {_unit_days(update['new']['unmet_unit_days'])}"
    )
    lines += [f"  note: {note}" for note in update.get("notes", [])]
    return lines


def phased_update_section(summary: Mapping[str, Any]) -> list[str]:
    """The report's section on the update of a time-phased deployment."""
    update = summary["update"]
    parts = [
        "<h2>Update: what changed in the data, and in the schedule</h2>",
        f"<p>This schedule updates <code>{text(update['parent']['folder'])}</code> "
        f"({text(update['parent']['scenario'])}) as of day {update['as_of_day']}: the shipments "
        f"that left and the temporary sites opened before day {update['first_change_day']} are "
        "kept (shipments under way arrive when scheduled); a new shipment is usable its lead time "
        "after it leaves, a new site after its set-up days. Changes allowed: "
        f"{text(_limits_words(update['limits']))}.</p>",
        "<h3>What changed in the data</h3>",
        "<ul>" + "".join(f"<li>{text(line)}</li>" for line in update["drift"]["lines"]) + "</ul>",
        "<h3>What the schedule changes</h3>",
    ]
    rows = update["change_rows"]
    if rows:
        parts.append(
            "<ul>" + "".join(f"<li>{text(change_words(row))}</li>" for row in rows) + "</ul>"
        )
    else:
        parts.append("<p>No change: the schedule in force stays as it is.</p>")
    parts.append(
        "<table><tr><th>unmet unit-days</th><th>schedule kept</th><th>updated schedule</th></tr>"
        f"<tr><td></td><td>{text(_unit_days(update['kept']['unmet_unit_days']))}</td>"
        f"<td>{text(_unit_days(update['new']['unmet_unit_days']))}</td></tr></table>"
    )
    parts += [f"<p class='muted'>{text(note)}</p>" for note in update.get("notes", [])]
    return parts
