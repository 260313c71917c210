"""An update's change limits in words, for the planning and the time-phased update reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geoalloc._text as fmt


def limits_words(
    limits: Mapping[str, Any],
    *,
    site_changes: str = "site(s) opened or closed",
    units_changed: str = "moved",
) -> str:
    """An update's change limits in words; ``site_changes`` and ``units_changed`` name what a
    site change and a unit change are in its kind of plan."""
    parts = []
    if limits.get("max_changes") is not None:
        parts.append(f"at most {limits['max_changes']} change(s)")
    if limits.get("max_site_changes") is not None:
        parts.append(f"at most {limits['max_site_changes']} {site_changes}")
    for resource, units in (limits.get("max_units_changed") or {}).items():
        parts.append(f"at most {fmt.number(units, 0)} {resource} {units_changed}")
    if limits.get("unmet_per_change"):
        parts.append(
            f"a change only if it serves at least {fmt.number(limits['unmet_per_change'])} "
            "more units"
        )
    if limits.get("unmet_per_site_change"):
        parts.append(
            "a site opened or closed only if it serves at least "
            f"{fmt.number(limits['unmet_per_site_change'])} more units"
        )
    for resource, units in (limits.get("unmet_per_unit_changed") or {}).items():
        parts.append(f"a {resource} moved only if it serves {fmt.number(units, 2)} more units")
    return "; ".join(parts) or "no limit on changes"
