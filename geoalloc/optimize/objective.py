"""How a plan was ranked, as data in words and units: ``Allocation.objective_detail`` and
``summary["objective"]``.

The capacitated model's detail is

- ``{"kind": "lexicographic", "levels": [{"key", "label", "unit", "value", "bound", "gap",
  "status"}, ...]}`` — the levels in order (:mod:`geoalloc.optimize.lexicographic`); or
- ``{"kind": "weighted", "unit": "bed-minutes", "terms": [{"key", "label", "weight", "unit"},
  ...], "example": "..."}`` — the weights of the one sum.

A classic model's is ``{"kind": "classic", "existing": "keep" | "may_close", "existing_sites",
"p", "add"}``: whether existing sites were kept, and how many sites were open in all and added.
"""

from __future__ import annotations

from typing import Any

import geoalloc._text as fmt
from geoalloc.optimize.options import OptimizeOptions

#: the opening cost used to put ``cost_weight`` in words (``example`` of a weighted objective)
EXAMPLE_OPENING_COST = 5_000_000.0


def demand_unit(resources: list[str]) -> str:
    """What a unit of demand is: the resource when there is one (``beds``), else ``units``."""
    return resources[0] if len(resources) == 1 else "units"


def demand_minutes_unit(resources: list[str]) -> str:
    """The unit of demand-weighted minutes: ``bed-minutes`` (one bed's demand travelling one
    minute), ``unit-minutes`` for several resources."""
    unit = demand_unit(resources)
    return f"{unit[:-1] if unit.endswith('s') else unit}-minutes"


def weighted_detail(options: OptimizeOptions, resources: list[str]) -> dict[str, Any]:
    """The weighted objective's terms, each weight in demand-weighted minutes per unit of the
    term, and what an opening cost of 5,000,000 weighs in it."""
    unit = demand_unit(resources)
    minutes = demand_minutes_unit(resources)
    one = unit[:-1] if unit.endswith("s") else unit
    terms = [
        {
            "key": "travel",
            "label": "travel",
            "weight": options.minutes_weight,
            "unit": f"{minutes} per {minutes} travelled",
        },
        {
            "key": "unmet",
            "label": "unmet demand",
            "weight": options.unmet_penalty_minutes,
            "unit": f"{minutes} per {one} unmet",
        },
        {
            "key": "cost",
            "label": "cost",
            "weight": options.cost_weight,
            "unit": f"{minutes} per currency unit",
        },
    ]
    if options.minimax_weight > 0:
        terms.append(
            {
                "key": "worst_area",
                "label": "the worst area's mean minutes",
                "weight": options.minimax_weight,
                "unit": f"{minutes} per minute",
            }
        )
    weighs = options.cost_weight * EXAMPLE_OPENING_COST
    per_unit = options.unmet_penalty_minutes
    example = (
        f"opening a site that costs {fmt.number(EXAMPLE_OPENING_COST, 0)} weighs as much as "
        f"{weighs:,.6g} {minutes}; one {one} unmet weighs {per_unit:,.6g}"
    )
    return {"kind": "weighted", "unit": minutes, "terms": terms, "example": example}


def classic_detail(options: OptimizeOptions, existing_sites: int, opened: int) -> dict[str, Any]:
    """A classic model's policy for the existing sites and the sites it opened."""
    return {
        "kind": "classic",
        "existing": options.existing,
        "existing_sites": existing_sites,
        "p": options.p,
        "add": options.add,
        "sites_open": opened,
    }
