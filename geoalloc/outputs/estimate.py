"""The warning every output of a run shows when its population is an estimate
(``summary["population_estimate"]``, from ``[areas] population_estimate``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geoalloc.outputs.escape import text

#: the estimate's warning box (amber: a caveat on the inputs, not a failed solve)
ESTIMATE_STYLE = "border: 2px solid #b54708; background: #fffaeb; padding: 8px 12px; margin: 12px 0"
_HEAD = "The population is an estimate, not a count"


def estimate_box(summary: Mapping[str, Any]) -> str:
    """The report's warning: how the population was estimated; "" when it was measured."""
    how = summary.get("population_estimate")
    if not how:
        return ""
    return (
        f"<div class='estimate' style='{ESTIMATE_STYLE}'><strong>{_HEAD}:</strong> "
        f"{text(how)}. Every figure that depends on it (demand, beds needed, unmet demand, "
        "coverage of people) is as uncertain as the estimate: replace it with a measured "
        "population before deciding.</div>"
    )


def estimate_line(summary: Mapping[str, Any]) -> str:
    """The line a map's title box starts with when the population is an estimate."""
    how = summary.get("population_estimate")
    if not how:
        return ""
    return (
        f"<div class='estimate' style='{ESTIMATE_STYLE}; margin: 0 0 6px 0'><strong>{_HEAD}"
        "</strong> (see the report): the numbers below are as uncertain as it is.</div>"
    )


def estimate_lines(summary: Mapping[str, Any]) -> list[str]:
    """The console's warning lines; none when the population was measured."""
    how = summary.get("population_estimate")
    return [f"  population: an ESTIMATE, not a count — {how}"] if how else []
