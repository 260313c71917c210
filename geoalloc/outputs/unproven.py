"""The warning every report page shows at its top when the solver stopped before proving the plan."""

from __future__ import annotations

from geoalloc.outputs.escape import text

#: the not-proven warning box (inline, so every kind's report page shows it the same way)
UNPROVEN_STYLE = "border: 2px solid #b42318; background: #fef3f2; padding: 8px 12px; margin: 12px 0"


def unproven_box(summary: dict) -> str:
    """A warning at the top of a report when a solve stopped above ``[optimize] acceptable_gap``
    (``summary["unproven"]``): its gap, what it means and what to do; "" when all are proven."""
    records = summary.get("unproven") or []
    if not records:
        return ""
    items = "".join(f"<li>{text(r.get('message'))}</li>" for r in records)
    shortfall = (
        "; unmet demand it leaves beside spare capacity is listed as <em>solver_stopped_early</em>"
        if "shortfall" in summary
        else ""
    )
    return (
        f"<div class='unproven' style='{UNPROVEN_STYLE}'><strong>This plan is not proven: the "
        "solver stopped before it could show the plan is close to the best one.</strong> The "
        f"figures below describe the plan it had when it stopped{shortfall}.<ul>{items}</ul></div>"
    )


def unproven_line(summary: dict) -> str:
    """The first line of a map's title box when the plan is not proven (the map is what most
    readers see); "" when every solve is proven."""
    records = summary.get("unproven") or []
    if not records:
        return ""
    gaps = [r.get("gap") for r in records if isinstance(r.get("gap"), int | float)]
    gap = f" (gap up to {100 * max(gaps):.1f} %)" if gaps else " (no bound proven)"
    return (
        f"<div class='unproven' style='{UNPROVEN_STYLE}; margin: 0 0 6px 0'><strong>Not proven"
        f"{gap}:</strong> the solver stopped early; this plan may be far from the best. "
        "See the report.</div>"
    )
