"""Plausibility checks: what a planner should look at before putting a plan in front of anyone.

A plan can be optimal for its model and still mislead: hospitals left idle while schools open,
a small site drawing a whole city in the baseline, one hospital listed twice, a population that
misses half the region. After every run each check below reads the run's results (its summary,
its layers, its scenario) and says what it saw, why it matters and what to do. The findings go to
``summary["checks"]`` (one record per finding, see :class:`~geoalloc.runs.schema.CheckRecord`),
the checks that ran and found nothing to ``summary["checks_passed"]``; the report shows both in
words near the top and ``geoalloc run`` prints a line per finding.

Each check is one function registered with :func:`check` in :data:`CHECKS`: it returns its
findings (an empty list: it ran and found nothing) or ``None`` when it does not apply to the run
(e.g. no control total was given, no road network to compare the areas with). To add a check,
write one such function here and decorate it; nothing else needs to change.

The checks and their thresholds (module constants):

============================== ======================================================= ========
id                             triggered when                                          severity
============================== ======================================================= ========
``idle_existing_capacity``     the plan opens new sites while an existing site uses    warning
                               less than :data:`IDLE_SHARE` (10 %) of its capacity
``load_above_capacity``        an open site's load in the plan exceeds its capacity    warning
                               (uncapacitated models: lscp, mclp, p-median, p-center)
``baseline_over_capacity``     an existing site's baseline load is above               warning
                               :data:`BASELINE_OVERLOAD` (150 %) of its capacity
``duplicate_sites``            two sites are likely one facility                       warning
                               (:func:`~geoalloc.inputs.duplicates.find_duplicates`:
                               within 150 m and names ≥ 60 % alike, or within 1 m)
``outage_site_without_load``   ``[outage] closed_sites`` closes a site whose baseline  warning
                               load is zero in every resource
``population_total``           the areas' population differs from ``[areas]            warning
                               population_total`` by more than
                               :data:`POPULATION_TOLERANCE` (5 %)
``network_extent_uncovered``   more than :data:`UNCOVERED_SHARE` (10 %) of the road    warning
                               network's extent lies in no area (road networks only)
``unreachable_demand``         areas with no site within the standard hold             warning
                               :data:`UNREACHABLE_SHARE` (5 %) or more of the demand;
                               any less but some                                       info
``far_from_roads``             a site is joined to the road network from farther than  warning
                               ``[network] far_snap_m`` (300 m; ``summary["far_snaps"]``,
                               see :mod:`geoalloc.runs.snapping`); areas so joined     warning
                               hold :data:`FAR_AREAS_SHARE` (5 %) or more of the
                               population; any less but some                           info
============================== ======================================================= ========
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

import geoalloc._text as fmt
from geoalloc.inputs.duplicates import find_duplicates
from geoalloc.inputs.extent import nodes_extent
from geoalloc.runs.schema import CheckRecord, PassedCheck
from geoalloc.travel import default_cache_dir, load_network

if TYPE_CHECKING:
    from geoalloc.scenario import Scenario

log = logging.getLogger(__name__)

#: an existing site that uses less than this share of its capacity is idle
IDLE_SHARE = 0.10
#: an existing site whose baseline load is above this multiple of its capacity is implausible
BASELINE_OVERLOAD = 1.5
#: the areas' population may differ from ``[areas] population_total`` by this share
POPULATION_TOLERANCE = 0.05
#: the share of the road network's extent that may lie in no area
UNCOVERED_SHARE = 0.10
#: the share of the demand in areas no site reaches within the standard that is a warning
UNREACHABLE_SHARE = 0.05
#: the share of the population in areas joined far from the road network that is a warning
FAR_AREAS_SHARE = 0.05
#: the network's nodes are thinned to about this many before the extent is drawn
#: (:func:`~geoalloc.inputs.extent.nodes_extent`): 0.6 s at most
EXTENT_NODES = 50_000
#: sites or areas named one by one in a finding's ``seen`` (all of them are in its ``ids``)
NAMED = 5
#: relative slack on loads and capacities (solver tolerance)
TOLERANCE = 1e-6

PLANNING_KINDS = frozenset({"planning", "deployment", "update", "deployment_update"})
ALL_KINDS = PLANNING_KINDS | {"telemedicine"}


@dataclass(frozen=True)
class RunFacts:
    """What a check reads: the run's summary and layers (as written), its scenario and, for the
    planning kinds, the travel table within the horizon (``area``, ``site``, ``minutes``)."""

    summary: Mapping[str, Any]
    layers: Mapping[str, gpd.GeoDataFrame]
    scenario: Scenario
    od: pd.DataFrame | None = None

    @property
    def kind(self) -> str:
        return str(self.summary.get("kind", "planning"))

    @property
    def resources(self) -> list[str]:
        return list(self.summary.get("resources") or [])

    @property
    def sites(self) -> gpd.GeoDataFrame:
        return self.layers["facilities"]

    @property
    def areas(self) -> gpd.GeoDataFrame:
        return self.layers["areas"]

    @cached_property
    def names(self) -> dict[Any, str]:
        """Each site's name by site id (its id when it has none)."""
        return _labels(self.sites)

    @cached_property
    def extent(self) -> tuple[shapely.Polygon, CRS] | None:
        """The road network's extent in its metric CRS, or None (crowfly, a travel table)."""
        network = self.scenario.network
        if not network.has_roads:
            return None
        graph = load_network(network, cache_dir=default_cache_dir())  # in memory after routing
        if graph.content_hash not in _EXTENTS:  # a sweep's variants share their network
            lon = np.concatenate([graph.lon, graph.dropped_lon])
            lat = np.concatenate([graph.lat, graph.dropped_lat])
            _EXTENTS.clear()
            _EXTENTS[graph.content_hash] = nodes_extent(lon, lat, thin_to=EXTENT_NODES)
        return _EXTENTS[graph.content_hash]


#: the last network's extent, by the network's content hash
_EXTENTS: dict[str, tuple[shapely.Polygon, CRS]] = {}


Find = Callable[[RunFacts], list[CheckRecord] | None]


@dataclass(frozen=True)
class Check:
    """One plausibility check: its id, what it looks for (in words), the run kinds it reads."""

    id: str
    checked: str
    kinds: frozenset[str]
    find: Find


#: every check, in the order the outputs list them
CHECKS: list[Check] = []


def check(
    check_id: str, checked: str, kinds: frozenset[str] = PLANNING_KINDS
) -> Callable[[Find], Find]:
    """Register the decorated function as the check ``check_id`` (see the module's docstring)."""

    def register(find: Find) -> Find:
        if any(c.id == check_id for c in CHECKS):
            msg = f"check {check_id!r} is registered twice"
            raise ValueError(msg)
        CHECKS.append(Check(check_id, checked, kinds, find))
        return find

    return register


def run_checks(facts: RunFacts) -> tuple[list[CheckRecord], list[PassedCheck]]:
    """Every check that applies to the run: its findings (warnings first) and the checks that
    ran and found nothing.

    Parameters
    ----------
    facts
        The run's summary, layers, scenario (and travel table).

    Returns
    -------
    (list of CheckRecord, list of PassedCheck)
        ``summary["checks"]`` and ``summary["checks_passed"]``.
    """
    findings: list[CheckRecord] = []
    passed: list[PassedCheck] = []
    for entry in CHECKS:
        if facts.kind not in entry.kinds:
            continue
        found = entry.find(facts)
        if found is None:
            continue
        if found:
            findings.extend(found)
        else:
            passed.append({"id": entry.id, "checked": entry.checked})
    findings.sort(key=lambda record: record["severity"] != "warning")  # stable: registry order
    for record in findings:
        log.info("check %s (%s): %s", record["id"], record["severity"], record["seen"])
    return findings, passed


def finding(
    check_id: str,
    severity: str,
    seen: str,
    why: str,
    what_to_do: str,
    ids: list[str] | None = None,
) -> CheckRecord:
    """One finding of a check (``ids``: the sites or areas it concerns, all of them)."""
    record: CheckRecord = {
        "id": check_id,
        "severity": severity,
        "seen": seen,
        "why": why,
        "what_to_do": what_to_do,
    }
    if ids is not None:
        record["ids"] = [str(i) for i in ids]
    return record


# --- helpers -----------------------------------------------------------------------------------


def _labels(sites: pd.DataFrame) -> dict[Any, str]:
    """Each site's name by site id (its id when it has none)."""
    names = sites["name"] if "name" in sites.columns else pd.Series(None, index=sites.index)
    return {
        site: str(name) if isinstance(name, str) and name.strip() else str(site)
        for site, name in zip(sites["site_id"], names, strict=True)
    }


def _listing(items: list[str], total: int | None = None) -> str:
    """The first :data:`NAMED` items, then how many more."""
    total = len(items) if total is None else total
    shown = "; ".join(items[:NAMED])
    return shown + (f"; and {total - NAMED} more" if total > NAMED else "")


def _numbers(sites: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(sites[column], errors="coerce").fillna(0.0).astype(float)


def _standard_text(summary: Mapping[str, Any]) -> str:
    standard = summary.get("max_minutes")
    return (
        f"the {fmt.standard(standard)} standard" if fmt.finite(standard) else "the travel horizon"
    )


# --- the checks --------------------------------------------------------------------------------


@check("idle_existing_capacity", "existing capacity idle while new sites open")
def idle_existing_capacity(facts: RunFacts) -> list[CheckRecord] | None:
    """New sites open while an existing site uses less than :data:`IDLE_SHARE` of its capacity."""
    sites = facts.sites
    if "status" not in sites.columns or not facts.resources:
        return None
    opened = sites[sites["status"] == "opened"]
    if opened.empty:
        return []
    in_use = sites[sites["existing"].astype(bool) & sites["open"].astype(bool)]
    idle = pd.Series(False, index=in_use.index)
    for r in facts.resources:
        after, load = _numbers(in_use, f"{r}_after"), _numbers(in_use, f"{r}_load")
        idle |= (after > 0) & (load < IDLE_SHARE * after)
    idle_sites = in_use[idle]
    if idle_sites.empty:
        return []
    parts = []
    for r in facts.resources:
        after, load = _numbers(idle_sites, f"{r}_after"), _numbers(idle_sites, f"{r}_load")
        new = _numbers(opened, f"{r}_after").sum()
        parts.append(
            f"{fmt.quantity((after - load).sum())} {r} unused at the idle sites, "
            f"{fmt.quantity(new)} {r} at the new ones"
        )
    r = facts.resources[0]
    idle_text = [
        f"{facts.names[s]} ({fmt.quantity(row[f'{r}_load'])} of {fmt.quantity(row[f'{r}_after'])} {r} used)"
        for s, row in zip(idle_sites["site_id"], idle_sites.to_dict("records"), strict=True)
    ]
    seen = (
        f"the plan opens {len(opened)} new site(s) ({_listing([facts.names[s] for s in opened['site_id']])}) "
        f"while {len(idle_sites)} existing site(s) use less than {fmt.share(IDLE_SHARE)} of their "
        f"capacity: {_listing(idle_text)} — {'; '.join(parts)}"
    )
    seen += _idle_reach(facts, idle_sites, opened)
    why = (
        "opening a site costs money, staff and time; existing capacity standing empty beside new "
        "sites usually means that opening looked cheaper to the model than using it (opening "
        "costs missing, or small against the travel minutes they save), or that the idle sites "
        "are hard to reach in the model (a position joined far from the road network, a "
        "disconnected road, a wrong position)"
    )
    what = (
        "check the idle sites' position and travel flags (summary.json travel_flags); give the "
        "candidate sites their real opening costs ([optimize] opening_cost_column) or limit what "
        "opens ([optimize] budget or p); compare with a run without candidate sites"
    )
    ids = list(idle_sites["site_id"]) + list(opened["site_id"])
    return [finding("idle_existing_capacity", "warning", seen, why, what, ids)]


def _idle_reach(facts: RunFacts, idle_sites: pd.DataFrame, opened: pd.DataFrame) -> str:
    """What the travel table says: which idle sites reach no area within the standard, and how
    many areas served by the new sites have an idle site within it."""
    if facts.od is None:
        return ""
    od = facts.od
    standard = fmt.finite(facts.summary.get("max_minutes"))
    if standard is not None:
        od = od[od["minutes"] <= standard]
    near_idle = od[od["site"].isin(set(idle_sites["site_id"]))]
    unreached = [s for s in idle_sites["site_id"] if s not in set(near_idle["site"])]
    assignments = facts.layers.get("assignments")
    text = ""
    if assignments is not None and len(assignments):
        served_new = set(assignments.loc[assignments["site"].isin(set(opened["site_id"])), "area"])
        could = served_new & set(near_idle["area"])
        text += (
            f"; {len(could)} of the {len(served_new)} area(s) the new sites serve have an idle "
            f"existing site within {_standard_text(facts.summary)}"
        )
    if unreached:
        names = _listing([facts.names[s] for s in unreached])
        text += f"; no area has {names} within {_standard_text(facts.summary)}"
    return text


def _over_capacity(facts: RunFacts, part: str) -> list[dict[str, Any]] | None:
    """``summary[part]["over_capacity"]`` (``part``: ``plan`` or ``baseline``): the sites above
    their capacity as the run's evaluation found them
    (:func:`~geoalloc.runs.evaluate.over_capacity`), fullest first; None when it is not there."""
    figures = facts.summary.get(part)
    return figures.get("over_capacity") if isinstance(figures, Mapping) else None


@check("load_above_capacity", "open sites loaded above their capacity")
def load_above_capacity(facts: RunFacts) -> list[CheckRecord] | None:
    """An open site's load in the plan is above its capacity (the classic models ignore it):
    ``summary["plan"]["over_capacity"]``."""
    records = _over_capacity(facts, "plan")
    if records is None:
        return None
    if not records:
        return []
    rows, excess = [], dict.fromkeys(facts.resources, 0.0)
    for rec in records:
        r, load, capacity = rec["resource"], rec["load"], rec["capacity"]
        ratio = fmt.share(rec["utilisation"]) if capacity > 0 else "no capacity"
        rows.append(
            f"{facts.names[rec['site_id']]}: {fmt.quantity(load)} {r} needed, "
            f"{fmt.quantity(capacity)} there ({ratio})"
        )
        excess[r] = excess.get(r, 0.0) + load - capacity
    ids = list(dict.fromkeys(rec["site_id"] for rec in records))
    model = str(facts.summary.get("model", ""))
    total = ", ".join(f"{fmt.quantity(e)} {r}" for r, e in excess.items() if e > TOLERANCE)
    seen = (
        f"{len(ids)} open site(s) carry more than their capacity in the plan: "
        f"{_listing(rows)} — {total} above capacity in all"
    )
    why = (
        f"the {model} model places sites by travel time alone and sends every area to an open "
        "site whatever it holds: the plan's unmet demand does not count these overloads, so it "
        "reads better than the beds allow"
        if model in {"lscp", "mclp", "p-median", "p-center"}
        else "a plan that loads a site above its capacity promises care the site cannot give"
    )
    what = (
        'plan capacity with [optimize] model = "capacitated" (it keeps every load within '
        "capacity and reports what is left unmet), or read these loads as the capacity the "
        "sites would need"
    )
    return [finding("load_above_capacity", "warning", seen, why, what, ids)]


@check(
    "baseline_over_capacity",
    f"existing sites above {fmt.share(BASELINE_OVERLOAD)} of their capacity in the baseline",
)
def baseline_over_capacity(facts: RunFacts) -> list[CheckRecord] | None:
    """An existing site's baseline load is above :data:`BASELINE_OVERLOAD` × its capacity:
    ``summary["baseline"]["over_capacity"]`` above that share."""
    records = _over_capacity(facts, "baseline")
    if records is None:
        return None
    over = [
        rec for rec in records if rec["capacity"] > 0 and rec["utilisation"] > BASELINE_OVERLOAD
    ]
    if not over:
        return []
    rows = [
        f"{facts.names[rec['site_id']]} {fmt.share(rec['utilisation'])} "
        f"({fmt.quantity(rec['load'])} {rec['resource']} needed, "
        f"{fmt.quantity(rec['capacity'])} there)"
        for rec in over
    ]
    ids = list(dict.fromkeys(rec["site_id"] for rec in over))
    seen = (
        f"{len(ids)} existing site(s) would be above {fmt.share(BASELINE_OVERLOAD)} of their "
        f"capacity today (the baseline sends each area to its nearest existing site within "
        f"{_standard_text(facts.summary)}): {_listing(rows)}"
    )
    why = (
        "the baseline is what the plan is compared with; a site far above its capacity usually "
        "means its capacity is wrong or not for everyone (a children's, psychiatric, "
        "rehabilitation or long-term care hospital counted as general beds), or it looks nearest "
        "to too many people (a position or road-network join that is off), or the demand rates "
        "are too high — then the baseline's unmet demand, and the plan's gain over it, are not real"
    )
    what = (
        "check these sites' capacity and kind in the facilities file (leave out those that do "
        "not take the patients planned for), their position and travel flags, and the "
        "[demand] rates"
    )
    return [finding("baseline_over_capacity", "warning", seen, why, what, ids)]


@check("duplicate_sites", "sites listed twice (same place, similar names)", ALL_KINDS)
def duplicate_sites(facts: RunFacts) -> list[CheckRecord] | None:
    """Two sites that are likely the same facility
    (:func:`~geoalloc.inputs.duplicates.find_duplicates`): a warning when either of them exists
    today (its capacity is counted twice), a note when both are candidate sites."""
    sites = facts.sites
    if "site_id" not in sites.columns or len(sites) < 2:
        return None
    columns = [c for c in ("site_id", "name") if c in sites.columns]
    pairs = find_duplicates(sites[[*columns, "geometry"]])
    if pairs.empty:
        return []
    if "existing" in sites.columns:
        existing = set(sites.loc[sites["existing"].astype(bool), "site_id"])
    elif "in_person_hours" in sites.columns:  # telemedicine: the sites with physicians today
        existing = set(sites.loc[_numbers(sites, "in_person_hours") > 0, "site_id"])
    else:
        existing = set(sites["site_id"])
    with_existing = pairs["site_a"].isin(existing) | pairs["site_b"].isin(existing)
    records = []
    for severity, group, what_kind in (
        ("warning", pairs[with_existing], "one facility listed twice"),
        ("info", pairs[~with_existing], "one candidate site listed twice"),
    ):
        if group.empty:
            continue
        rows = [
            f"{facts.names[a]} and {facts.names[b]} ({fmt.number(distance, 0)} m apart, "
            + (
                f"names {fmt.share(similar)} alike)"
                if reason == "similar names"
                else "at the same position)"
            )
            for a, b, distance, similar, reason in zip(
                group["site_a"],
                group["site_b"],
                group["distance_m"],
                group["name_similarity"],
                group["reason"],
                strict=True,
            )
        ]
        seen = f"{len(group)} pair(s) of sites look like {what_kind}: {_listing(rows)}"
        why = (
            "a facility listed twice (in two lists such as HIFLD and OSM, or as an OSM point and "
            "its building) counts its capacity twice and splits its patients between the copies; "
            "a plan may open or size a copy of a hospital that is already there"
            if severity == "warning"
            else "a plan may open both copies of one building, or count one as an alternative "
            "to the other; two neighbours with alike names may also be two real sites"
        )
        what = (
            "keep one site of each pair in the facilities file (merge their capacity if each "
            "holds part of it) and run again; if they are two facilities, nothing to do"
        )
        ids = list(dict.fromkeys([*group["site_a"], *group["site_b"]]))
        records.append(finding("duplicate_sites", severity, seen, why, what, ids))
    return records


@check("outage_site_without_load", "an outage that closes a site carrying no load")
def outage_site_without_load(facts: RunFacts) -> list[CheckRecord] | None:
    """``[outage] closed_sites`` names a site whose baseline load is zero."""
    closed = list(facts.scenario.outage.closed_sites)
    sites = facts.sites
    if not closed or not facts.resources or "status" not in sites.columns:
        return None
    out = sites[sites["status"] == "out of service"]
    loads = sum(_numbers(out, f"{r}_baseline_load") for r in facts.resources)
    empty = out[loads <= TOLERANCE]
    if empty.empty:
        return []
    names = _listing([facts.names[s] for s in empty["site_id"]])
    seen = (
        f"the outage closes {names}, which carries no load in the baseline: no area has it as "
        f"its nearest existing site within {_standard_text(facts.summary)}"
    )
    why = (
        "an outage is run to see what is lost when a site closes; closing a site that serves "
        "nobody in the model shows no loss, whatever the real site does — the comparison then "
        "says nothing about the outage"
    )
    what = (
        "check that [outage] closed_sites names the site you meant, and the site's position and "
        "travel flags (is it reachable?); close a site that serves people to test the region's "
        "resilience"
    )
    return [finding("outage_site_without_load", "warning", seen, why, what, list(empty["site_id"]))]


@check(
    "population_total",
    "the areas' population against the stated control total ([areas] population_total)",
    ALL_KINDS,
)
def population_total(facts: RunFacts) -> list[CheckRecord] | None:
    """The areas' population differs from ``[areas] population_total`` by more than
    :data:`POPULATION_TOLERANCE`."""
    control = facts.scenario.areas.population_total
    if control is None or "population" not in facts.areas.columns:
        return None
    total = float(pd.to_numeric(facts.areas["population"], errors="coerce").fillna(0.0).sum())
    off = total / control - 1.0
    if abs(off) <= POPULATION_TOLERANCE:
        return []
    seen = (
        f"the areas hold {fmt.quantity(round(total))} residents, {off:+.0%} off the stated total "
        f"of {fmt.quantity(control)} ([areas] population_total; tolerance "
        f"{fmt.share(POPULATION_TOLERANCE)})"
    )
    why = (
        "demand, the capacity it needs and the people covered all scale with the population: if "
        "the areas miss part of the region or count other people (another year, another "
        "boundary, an estimate), every figure of the plan is off by as much"
    )
    what = (
        "check that the areas cover the whole region and that the population column and the "
        "control total count the same people in the same year; fix the areas, their population "
        "source or the total"
    )
    return [finding("population_total", "warning", seen, why, what)]


@check(
    "network_extent_uncovered",
    f"areas that leave more than {fmt.share(UNCOVERED_SHARE)} of the road network's extent uncovered",
    ALL_KINDS,
)
def network_extent_uncovered(facts: RunFacts) -> list[CheckRecord] | None:
    """More than :data:`UNCOVERED_SHARE` of the road network's extent (the concave hull of its
    nodes, :func:`~geoalloc.inputs.extent.nodes_extent`) lies in no area."""
    extent = facts.extent
    if extent is None or len(facts.areas) == 0:
        return None
    hull, crs = extent
    shapes = facts.areas.geometry.to_crs(crs).to_numpy()
    shapes = shapes[~(pd.isna(shapes) | shapely.is_empty(shapes))]
    inside = shapely.intersection(shapes, hull)
    covered = shapely.union_all(inside[~shapely.is_empty(inside)])
    uncovered = hull.difference(covered)
    share = uncovered.area / hull.area if hull.area > 0 else 0.0
    if share <= UNCOVERED_SHARE:
        return []
    seen = (
        f"{fmt.share(share)} of the road network's extent ({fmt.number(uncovered.area / 1e6)} of "
        f"{fmt.number(hull.area / 1e6)} km², the concave hull of its junctions) lies in no "
        "area: the people who live there are not in the demand"
    )
    why = (
        "the sites serve the people around them whether or not an area holds them: with part "
        "of the region outside every area, loads near it are understated and coverage "
        "overstated. A grid clipped to where a buildings estimate found residents leaves out "
        "every place whose buildings are not mapped"
    )
    what = (
        "if people live there, extend the areas over it (a grid over the whole extent, the "
        "missing boundaries, a measured population source); if nobody does (water, industry, "
        "an extract larger than the study region), clip the road network to the region or "
        "read the loads near its edge as lower bounds"
    )
    return [finding("network_extent_uncovered", "warning", seen, why, what)]


@check(
    "unreachable_demand",
    f"demand no site can reach within the standard (a warning from {fmt.share(UNREACHABLE_SHARE)})",
)
def unreachable_demand(facts: RunFacts) -> list[CheckRecord] | None:
    """Areas with no site within the standard hold demand (:data:`UNREACHABLE_SHARE` or more of
    it: a warning; less: a note)."""
    areas = facts.areas
    if "status" not in areas.columns or not facts.resources:
        return None
    r = facts.resources[0]
    demand = _numbers(areas, f"demand_{r}")
    away = (areas["status"] == "unreachable") & (demand > 0)
    if not away.any():
        return []
    total = float(demand.sum())
    share = float(demand[away].sum()) / total if total > 0 else 0.0
    people = float(_numbers(areas, "population")[away].sum())
    flagged = (
        int(areas.loc[away, "travel_flag"].notna().sum()) if "travel_flag" in areas.columns else 0
    )
    seen = (
        f"{int(away.sum())} area(s) with {fmt.quantity(round(people))} residents and "
        f"{fmt.share(share)} of the {r} needed ({fmt.quantity(demand[away].sum())} of "
        f"{fmt.quantity(total)}) have no site within {_standard_text(facts.summary)}: no plan "
        "can serve them"
        + (
            f"; {flagged} of them carry a travel flag (summary.json travel_flags)"
            if flagged
            else ""
        )
    )
    why = (
        "demand no site can reach stays unmet whatever the plan does; much of it usually means "
        "the standard is tight for the region, sites beyond the region's edge are missing from "
        "the facilities file, or areas are joined to the road network badly"
    )
    what = (
        "look at these areas (status 'unreachable' in the areas layer and on the map) and their "
        "travel flags; add sites across the region's edge or candidate sites near them, or "
        "review [optimize] max_minutes"
    )
    severity = "warning" if share >= UNREACHABLE_SHARE else "info"
    ids = list(areas.loc[away, "area_id"])
    return [finding("unreachable_demand", severity, seen, why, what, ids)]


@check(
    "far_from_roads",
    "sites or areas joined to the road network from farther than [network] far_snap_m",
    ALL_KINDS,
)
def far_from_roads(facts: RunFacts) -> list[CheckRecord] | None:
    """Sites (a warning) and areas (a warning from :data:`FAR_AREAS_SHARE` of the population)
    joined to their road node from farther than ``far_snap_m`` — ``summary["far_snaps"]``.
    Not run without roads (crowfly, a travel table: nothing is snapped)."""
    snapping = facts.summary.get("snapping")
    if not snapping:
        return None
    records = facts.summary.get("far_snaps") or []
    threshold = fmt.number(snapping.get("far_snap_m"), 0)
    speed = fmt.number(snapping.get("access_speed_kph"), 0)
    leg = (
        f"a straight-line leg at {speed} km/h ([network] access_speed_kph, "
        f"{snapping.get('mode')} mode)"
    )
    findings = []
    sites = [r for r in records if r["role"] == "site"]
    if sites:
        rows = [
            f"{r.get('name') or r['id']} {fmt.number(r['snap_m'], 0)} m "
            f"({fmt.number(r['access_minutes'], 1)} min)"
            for r in sites
        ]
        seen = (
            f"{len(sites)} site(s) lie more than {threshold} m (straight line) from the nearest "
            f"node of the road network, so every trip to them ends with {leg}: {_listing(rows)}"
        )
        why = (
            "the extract may stop short of them (a site beyond its edge) or miss their access "
            "road, or their position is off: their minutes, and so which areas they serve in the "
            "baseline and the plan, rest on that guessed leg"
        )
        what = (
            "look at them on the map (snap_m in the facilities layer); use an extract that covers "
            "them or fix their position; raise [network] far_snap_m only if the distance is real"
        )
        findings.append(
            finding("far_from_roads", "warning", seen, why, what, [r["id"] for r in sites])
        )
    areas = [r for r in records if r["role"] == "area"]
    if areas:
        people = sum(float(r.get("population") or 0.0) for r in areas)
        total = float(_numbers(facts.areas, "population").sum()) if len(facts.areas) else 0.0
        share = people / total if total > 0 else 0.0
        seen = (
            f"{len(areas)} area(s) with {fmt.quantity(round(people))} residents "
            f"({fmt.share(share)}) start their trips more than {threshold} m from the nearest node "
            f"of the road network, up to {fmt.number(areas[0]['snap_m'], 0)} m, with {leg}"
        )
        why = (
            "a trip's start far from any road is often a point in empty land (a large area's "
            "middle, a mountain side) or a place the extract does not cover: its minutes are a "
            "guess"
        )
        what = (
            "look at these areas on the map (snap_m in the areas layer); give [areas] origins "
            "(village or town points) for large areas, or use an extract that covers them"
        )
        severity = "warning" if share >= FAR_AREAS_SHARE else "info"
        findings.append(
            finding("far_from_roads", severity, seen, why, what, [r["id"] for r in areas])
        )
    return findings
