"""The lines ``geoalloc run`` prints for a run, from its summary only (the CLI echoes them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geoalloc._text as fmt
from geoalloc._errors import UNPROVEN_EXIT_CODE
from geoalloc.outputs.checks import check_lines
from geoalloc.outputs.estimate import estimate_lines


def planning_lines(summary: Mapping[str, Any]) -> list[str]:
    """The headline figures of a planning run: coverage, minutes, demand served, area status."""
    base, plan = summary["baseline"], summary["plan"]
    standard = summary["max_minutes"]
    lines = [
        f"scenario {summary['scenario']}: {summary['areas']} areas, {summary['sites']} sites, "
        f"model {summary['model']} ({summary['solver']['name']}: {summary['solver']['status']})",
        f"  covered within {standard} min: baseline {fmt.percent(base['covered_pct'])} → plan {fmt.percent(plan['covered_pct'])}",
        f"  mean / p90 minutes: baseline {fmt.number(base['minutes_mean'])} / {fmt.number(base['minutes_p90'])}"
        f" → plan {fmt.number(plan['minutes_mean'])} / {fmt.number(plan['minutes_p90'])}",
    ]
    for resource, demand in summary["demand"].items():
        lines.append(
            f"  {resource}: demand {fmt.number(demand)}, served {fmt.number(summary['served'][resource])}, "
            f"unmet {fmt.number(summary['unmet'][resource])}"
        )
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(summary["area_status"].items()))
    lines.append(f"  areas by status: {statuses}")
    lines += access_lines(summary)
    return lines + objective_lines(summary) + estimate_lines(summary) + check_lines(summary)


def access_lines(summary: Mapping[str, Any]) -> list[str]:
    """The ``[access]`` index in one line: people-weighted mean and zero access, baseline → plan."""
    block = summary.get("access")
    if not block:
        return []
    base, plan = block["baseline"], block["plan"]
    return [
        f"  access ({block['method']}, {block['units']}, {fmt.number(block['max_minutes'], 0)} min "
        f"inclusive): mean {fmt.number(base['mean'], 2)} → {fmt.number(plan['mean'], 2)}, "
        f"p10 {fmt.number(base['p10'], 2)} → {fmt.number(plan['p10'], 2)}, people with none "
        f"{fmt.share(base['zero_share'])} → {fmt.share(plan['zero_share'])}"
    ]


def objective_lines(summary: Mapping[str, Any]) -> list[str]:
    """How the plan was ranked (``summary["objective"]``) in one line, with each level's value
    (lexicographic), the weights (weighted) or the policy for existing sites (classic models)."""
    detail = summary.get("objective") or {}
    kind = detail.get("kind")
    if kind == "lexicographic":
        levels = [level for level in detail["levels"] if level["status"] != "skipped"]
        text = "; ".join(
            f"{n}. {level['label']}: {fmt.number(level['value'], 1)} {level['unit']}"
            for n, level in enumerate(levels, 1)
        )
        return [f"  plan chosen by, in this order: {text}"]
    if kind == "weighted":
        terms = ", ".join(f"{t['label']} × {t['weight']:g} ({t['unit']})" for t in detail["terms"])
        return [f"  plan chosen by one weighted sum: {terms}; {detail['example']}"]
    if kind == "classic":
        return [f"  existing sites: {classic_policy(detail)}"]
    return []


def classic_policy(detail: Mapping[str, Any]) -> str:
    """A classic model's policy for the existing sites, in words."""
    existing = detail["existing_sites"]
    added = detail["sites_open"] - existing
    if detail["existing"] == "keep":
        return (
            f'all {existing} kept open (existing = "keep"); {max(added, 0)} new site(s) '
            f"added, {detail['sites_open']} open in all"
        )
    return (
        f'may close (existing = "may_close"): {detail["sites_open"]} site(s) open in all, '
        f"chosen among existing and candidate sites alike"
    )


def folder_lines(out_dir: str) -> list[str]:
    """Where the map and the report of a run are."""
    return [f"map: {out_dir}/map.html", f"report: {out_dir}/report.html"]


def timing_lines(timings: Mapping[str, Any] | None) -> list[str]:
    """The seconds per stage of a run (``summary["timings_s"]``) as a small table, and their sum."""
    rows = [(str(k), float(v)) for k, v in (timings or {}).items() if isinstance(v, int | float)]
    if not rows:
        return []
    width = max(len(name) for name, _ in [*rows, ("total", 0.0)])
    lines = ["time per stage:"]
    lines += [f"  {name:<{width}} {seconds:7.2f} s" for name, seconds in rows]
    lines.append(f"  {'total':<{width}} {sum(s for _, s in rows):7.2f} s")
    return lines


def deployment_lines(summary: Mapping[str, Any]) -> list[str]:
    """The time-phased plan in one line: shipments, temporary sites, unmet unit-days."""
    deployment = summary["deployment"]
    before = deployment["unmet_unit_days"]["without_redeployment"]
    after = deployment["unmet_unit_days"]["with_redeployment"]
    opened = [t["name"] for t in deployment["temporary_sites"] if t["opened"]]
    return [
        f"  time-phased ({deployment['periods']} × {deployment['period_days']} days): "
        f"{len(deployment['moves'])} shipments, {len(opened)} temporary site(s) opened; "
        "unmet unit-days without → with redeployment: "
        + ", ".join(f"{r} {fmt.number(before[r])} → {fmt.number(after[r])}" for r in before)
    ]


def telemedicine_lines(summary: Mapping[str, Any], out_dir: str) -> list[str]:
    """What ``geoalloc run`` prints for a telemedicine run."""
    f = summary["telemedicine"]
    solver = summary["solver"]
    names = f.get("hub_names") or {}
    hubs = ", ".join(
        f"{names.get(h, h)}: {fmt.quantity(v)} h" for h, v in f["physician_hours_by_hub"].items()
    )
    service = summary.get("area_service") or {}
    received = ", ".join(f"{k}: {v}" for k, v in service.items() if v)
    return [
        f"scenario {summary['scenario']}: {summary['areas']} areas, {summary['sites']} sites, "
        f"model telemedicine ({solver['name']}: {solver['status']})",
        f"  people beyond {fmt.standard(summary['max_minutes'])} of any physician: "
        f"{fmt.quantity(f['people_beyond_t_physical_only'])}",
        f"  gaining access through telemedicine: "
        f"{fmt.quantity(f['people_gaining_access_through_telemedicine'])}; still without any: "
        f"{fmt.quantity(f['people_still_without_any'])}",
        f"  physician-hours by hub (per week): {hubs or 'none opened'}",
        *([f"  areas by the care they receive: {received}"] if received else []),
        *estimate_lines(summary),
        *check_lines(summary),
        *folder_lines(out_dir),
    ]


def unproven_lines(unproven: list[Mapping[str, Any]]) -> list[str]:
    """Warning lines for the solves a run left unproven (``summary["unproven"]``): the gap, what
    it means and what to do; none when every plan is proven."""
    lines = []
    for record in unproven:
        gap = record.get("gap")
        gap_text = "unknown" if gap is None else fmt.percent(100 * gap)
        lines.append(
            f"warning: {record['solve']} is NOT PROVEN: the solver stopped at a gap of {gap_text} "
            f"(acceptable: {fmt.percent(100 * record['acceptable_gap'])}); a much better plan "
            "may exist and the unmet demand may not be real — raise [optimize] time_limit_s, "
            f"offer fewer candidate sites, or use coarser areas (exit code {UNPROVEN_EXIT_CODE})"
        )
    return lines
