"""The run folder's ``summary.json``: its format version and its schema, in one place.

The writers (the run kinds), the readers (:class:`~geoalloc.runs.folder.RunFolder`, ``geoalloc
report``, ``geoalloc compare``) and the tests share these types. A folder whose ``format`` is not
:data:`FORMAT_VERSION` (an older geoalloc's, or a foreign one) is refused with a clear message.

Bump :data:`FORMAT_VERSION` when a key is renamed or removed, or its meaning changes; adding an
optional key does not need a bump.
"""

from typing import Any, NotRequired, TypedDict

#: the version of the run-folder layout and of ``summary.json``, written as ``summary["format"]``
FORMAT_VERSION = 1

#: the files every run folder holds
SUMMARY_FILE = "summary.json"
MANIFEST_FILE = "manifest.json"
LAYERS_FILE = "results.gpkg"
MAP_FILE = "map.html"
REPORT_FILE = "report.html"


class SolverFigures(TypedDict):
    """What the solver said (``summary["solver"]``)."""

    name: str
    status: str
    objective: float | None
    bound: NotRequired[float | None]
    gap: NotRequired[float | None]


class CheckRecord(TypedDict):
    """One finding of a plausibility check (``summary["checks"]``, see
    :mod:`geoalloc.runs.checks`): what was seen, why it matters, what to do."""

    id: str  # the check's id, e.g. "idle_existing_capacity"
    severity: str  # "warning" (the plan may mislead until this is looked at) | "info"
    seen: str
    why: str
    what_to_do: str
    ids: NotRequired[list[str]]  # the sites or areas concerned, all of them


class PassedCheck(TypedDict):
    """A plausibility check that ran and found nothing (``summary["checks_passed"]``)."""

    id: str
    checked: str  # what it looks for, in words


class SummaryBase(TypedDict):
    """Keys every kind of run writes."""

    format: int
    kind: str  # the run kind's registered name: planning | deployment | telemedicine | …
    scenario: str
    model: str
    max_minutes: float | None
    areas: int
    sites: int
    area_status: dict[str, int]
    input_notes: list[str]
    solver: dict[str, Any]
    # one record per solve not proven within [optimize] acceptable_gap (empty: all proven); a
    # folder of an earlier geoalloc may lack it
    unproven: NotRequired[list[dict[str, Any]]]
    # how the areas' population was estimated, when it is an estimate ([areas]
    # population_estimate): the plan is flagged with it; absent or None when measured
    population_estimate: NotRequired[str | None]
    # how points join a road network (mode, access_speed_kph, far_snap_m, max_snap_m; None
    # without roads) and every area or site joined from farther than far_snap_m, farthest first
    # (id, role area/site, name, snap_m, access_minutes[, population]); see runs/snapping.py
    snapping: NotRequired[dict[str, Any] | None]
    far_snaps: NotRequired[list[dict[str, Any]]]
    costs: dict[str, Any]
    timings_s: dict[str, float]
    # plausibility checks (geoalloc.runs.checks): what a planner should look at, warnings first,
    # and the checks that ran and found nothing; a folder of an earlier geoalloc lacks them
    checks: NotRequired[list[CheckRecord]]
    checks_passed: NotRequired[list[PassedCheck]]


class PlanningSummary(SummaryBase):
    """A planning (static or time-phased) run: baseline vs plan, per resource."""

    resources: list[str]
    demand: dict[str, float]
    served: dict[str, float]
    unmet: dict[str, float]
    baseline: dict[str, Any]
    plan: dict[str, Any]
    site_status: dict[str, int]
    demand_model: dict[str, Any]
    shortfall: dict[str, Any]
    travel_flags: list[dict[str, Any]]
    # how the plan was ranked: the capacitated model's lexicographic levels (with their values)
    # or weighted terms, or a classic model's policy for existing sites; see optimize/objective.py
    objective: NotRequired[dict[str, Any] | None]
    why_sites: NotRequired[list[dict[str, Any]]]
    marginal_value: NotRequired[list[dict[str, Any]]]
    frontier: NotRequired[list[dict[str, Any]]]
    surge: NotRequired[dict[str, Any] | None]
    deployment: NotRequired[dict[str, Any]]  # time-phased runs only
    # [access]: an accessibility index per area for the baseline and the plan (method, resource,
    # units, catchment, decay; population-weighted mean, p10/median/p90, zero share, worst-off
    # areas, by equity group); see runs/access.py
    access: NotRequired[dict[str, Any]]


class TelemedicineSummary(SummaryBase):
    """A telemedicine run: access figures with and without hubs."""

    telemedicine: dict[str, Any]
    # areas by the care they receive (geoalloc.runs.telemedicine.SERVICES); a folder of an
    # earlier geoalloc may lack it
    area_service: NotRequired[dict[str, int]]


def required_keys(schema: Any) -> frozenset[str]:
    """The keys a summary of ``schema`` (a TypedDict class) must hold: those not ``NotRequired``."""
    return frozenset(schema.__required_keys__)


class RobustSummary(SummaryBase):
    """A robust run (``geoalloc robust``): the stated uncertainty, KPI distributions over the
    draws for the draws' own plans, the robust plan and the mean plan, and their comparison
    (see :mod:`geoalloc.runs.robust`)."""

    resources: list[str]
    robustness: dict[str, Any]
