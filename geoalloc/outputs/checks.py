"""The plausibility checks of a run (``summary["checks"]`` and ``summary["checks_passed"]``, from
:mod:`geoalloc.runs.checks`) in words: a report section and the console's lines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geoalloc.outputs.escape import text

#: a warning's box (amber, as the population-estimate caveat) and a note's (grey-blue)
WARNING_STYLE = "border: 2px solid #b54708; background: #fffaeb; padding: 8px 12px; margin: 8px 0"
INFO_STYLE = "border: 1px solid #7a8ba8; background: #f5f8ff; padding: 8px 12px; margin: 8px 0"
#: ids listed in a finding's foldable list in the report (all of them are in summary.json)
IDS_SHOWN = 50


def _counts(findings: list[Mapping[str, Any]]) -> tuple[int, int]:
    warnings = sum(1 for f in findings if f.get("severity") == "warning")
    return warnings, len(findings) - warnings


def _finding_html(record: Mapping[str, Any]) -> str:
    warning = record.get("severity") == "warning"
    ids = [str(i) for i in record.get("ids") or []]
    listed = (
        f"<details><summary class='muted'>{len(ids)} site or area id(s)</summary>"
        f"<code>{text(', '.join(ids[:IDS_SHOWN]))}</code>"
        + (f" … ({len(ids) - IDS_SHOWN} more in summary.json)" if len(ids) > IDS_SHOWN else "")
        + "</details>"
        if ids
        else ""
    )
    return (
        f"<div class='check {'warning' if warning else 'info'}' "
        f"style='{WARNING_STYLE if warning else INFO_STYLE}'>"
        f"<strong>{'Warning' if warning else 'Note'}:</strong> {text(record.get('seen'))}."
        f"<br><strong>Why it matters:</strong> {text(record.get('why'))}."
        f"<br><strong>What to do:</strong> {text(record.get('what_to_do'))}."
        f" <span class='muted'>(check <code>{text(record.get('id'))}</code>)</span>{listed}</div>"
    )


def checks_section(summary: Mapping[str, Any]) -> str:
    """The report's section on the plausibility checks: each finding in words (what was seen, why
    it matters, what to do), then the checks that found nothing; "" for a folder written before
    geoalloc checked its plans."""
    if "checks" not in summary and "checks_passed" not in summary:
        return ""
    findings = list(summary.get("checks") or [])
    passed = list(summary.get("checks_passed") or [])
    warnings, notes = _counts(findings)
    ran = len(passed) + len({f.get("id") for f in findings})
    if findings:
        head = (
            f"<p>geoalloc ran {ran} checks for what often makes a plan mislead. "
            f"{warnings} warning(s) and {notes} note(s) need a look before the plan is "
            "presented:</p>"
        )
    else:
        head = f"<p>geoalloc ran {ran} checks for what often makes a plan mislead: none found anything.</p>"
    rest = (
        "<p class='muted'>Checked, nothing found: "
        + "; ".join(text(p.get("checked")) for p in passed)
        + ".</p>"
        if passed
        else ""
    )
    return (
        "<h2>Before presenting this plan: plausibility checks</h2>"
        + head
        + "".join(_finding_html(f) for f in findings)
        + rest
    )


def check_lines(summary: Mapping[str, Any]) -> list[str]:
    """The console's lines: a count, then one line per finding (what was seen and what to do);
    none for a folder written before geoalloc checked its plans."""
    if "checks" not in summary and "checks_passed" not in summary:
        return []
    findings = list(summary.get("checks") or [])
    passed = [str(p.get("id")) for p in summary.get("checks_passed") or []]
    warnings, notes = _counts(findings)
    nothing = f"nothing found by {', '.join(passed)}" if passed else ""
    if findings:
        head = f"  checks: {warnings} warning(s), {notes} note(s)" + (
            f"; {nothing}" if nothing else ""
        )
    else:
        head = f"  checks: {nothing or 'none ran'}"
    lines = [head]
    for record in findings:
        label = "WARNING" if record.get("severity") == "warning" else "note"
        lines.append(
            f"  {label} [{record.get('id')}]: {record.get('seen')} — what to do: "
            f"{record.get('what_to_do')}"
        )
    return lines
