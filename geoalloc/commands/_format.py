"""Human-readable formatting of a run's summary for the terminal (the library never prints)."""

from __future__ import annotations

import math


def _num(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:,.{digits}f}"


def summary_lines(summary: dict, out_dir: str) -> list[str]:
    if summary.get("model") == "telemedicine":
        from geoalloc.telemedicine.outputs import summary_lines as telemedicine_lines

        return telemedicine_lines(summary, out_dir)
    base, plan = summary["baseline"], summary["plan"]
    standard = summary["max_minutes"]
    lines = [
        f"scenario {summary['scenario']}: {summary['areas']} areas, {summary['sites']} sites, "
        f"model {summary['model']} ({summary['solver']['name']}: {summary['solver']['status']})",
        f"  covered within {standard} min: baseline {_num(base['covered_pct'])} % → plan {_num(plan['covered_pct'])} %",
        f"  mean / p90 minutes: baseline {_num(base['minutes_mean'])} / {_num(base['minutes_p90'])}"
        f" → plan {_num(plan['minutes_mean'])} / {_num(plan['minutes_p90'])}",
    ]
    for resource, demand in summary["demand"].items():
        lines.append(
            f"  {resource}: demand {_num(demand)}, served {_num(summary['served'][resource])}, "
            f"unmet {_num(summary['unmet'][resource])}"
        )
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(summary["area_status"].items()))
    lines.append(f"  areas by status: {statuses}")
    deployment = summary.get("deployment")
    if deployment:
        before = deployment["unmet_unit_days"]["without_redeployment"]
        after = deployment["unmet_unit_days"]["with_redeployment"]
        opened = [t["name"] for t in deployment["temporary_sites"] if t["opened"]]
        lines.append(
            f"  time-phased ({deployment['periods']} × {deployment['period_days']} days): "
            f"{len(deployment['moves'])} shipments, {len(opened)} temporary site(s) opened; "
            "unmet unit-days without → with redeployment: "
            + ", ".join(f"{r} {_num(before[r])} → {_num(after[r])}" for r in before)
        )
    lines.append(f"map: {out_dir}/map.html")
    lines.append(f"report: {out_dir}/report.html")
    return lines
