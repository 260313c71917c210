"""Compare two run folders: KPI differences, areas that gained or lost access, sites that changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geoalloc._errors import UsageError
from geoalloc.runs.folder import RunFolder

KPI_KEYS = (
    "covered_population",
    "covered_pct",
    "unreachable_population",
    "minutes_mean",
    "minutes_p50",
    "minutes_p90",
    "minutes_max",
    "gini_minutes",
    "worst_decile_minutes",
    "sites_open",
)
TOLERANCE = 1e-6


def read_run(folder: Path) -> dict:
    """The summary and the ``areas``/``facilities`` layers of a run folder of a comparable kind."""
    run_folder = RunFolder(Path(folder))
    kind = run_folder.kind()
    if not kind.comparable:
        msg = (
            f"{folder}: a {kind.name} run — `geoalloc compare` compares runs of the planning models "
            "(lscp, mclp, p-median, p-center, capacitated, time-phased); compare "
            f"{kind.name} runs by their summary.json figures"
        )
        raise UsageError(msg)
    run = run_folder.read(layers=("areas", "facilities"))
    return results_of(run.folder, run.summary, run.layers["areas"], run.layers["facilities"])


def _diff(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return float(b) - float(a)


def _covered(areas: pd.DataFrame, standard: float | None) -> pd.Series:
    minutes = areas["nearest_open_minutes"].astype(float)
    return minutes.notna() & (minutes <= standard if standard is not None else True)


def compare_runs(run_a: Path, run_b: Path) -> dict:
    """What changed from run A to run B (JSON-serialisable).

    Areas are matched by id; an id present in only one run is listed, not dropped. An area *gains
    access* when an open site is within B's standard in B but not within A's standard in A.
    """
    return compare_results(read_run(run_a), read_run(run_b))


def results_of(
    folder: Path | str, summary: dict, areas: pd.DataFrame, facilities: pd.DataFrame
) -> dict:
    """A run's results as :func:`compare_results` takes them (a run not written yet, too)."""
    return {
        "folder": folder,
        "summary": summary,
        "areas": areas.set_index("area_id"),
        "facilities": facilities.set_index("site_id"),
    }


def compare_results(a: dict, b: dict) -> dict:
    """:func:`compare_runs` of two runs' results (as :func:`read_run` or :func:`results_of` give)."""
    kpis = {}
    for key in KPI_KEYS:
        va, vb = a["summary"]["plan"].get(key), b["summary"]["plan"].get(key)
        kpis[key] = {"a": va, "b": vb, "change": _diff(va, vb)}
    for resource in sorted(set(a["summary"]["resources"]) | set(b["summary"]["resources"])):
        va = a["summary"]["plan"]["unmet"].get(resource)
        vb = b["summary"]["plan"]["unmet"].get(resource)
        kpis[f"unmet_{resource}"] = {"a": va, "b": vb, "change": _diff(va, vb)}

    only_a = sorted(set(a["areas"].index) - set(b["areas"].index))
    only_b = sorted(set(b["areas"].index) - set(a["areas"].index))
    common = a["areas"].index.intersection(b["areas"].index).sort_values()
    cov_a = _covered(a["areas"], a["summary"]["max_minutes"]).reindex(common)
    cov_b = _covered(b["areas"], b["summary"]["max_minutes"]).reindex(common)
    minutes_a = a["areas"]["nearest_open_minutes"].reindex(common).astype(float)
    minutes_b = b["areas"]["nearest_open_minutes"].reindex(common).astype(float)
    population = a["areas"]["population"].reindex(common).astype(float)
    from geoalloc.outputs.report import area_names

    names = area_names(b["areas"].reset_index()) or area_names(a["areas"].reset_index())

    def area_rows(mask: pd.Series) -> list[dict]:
        return [
            {
                "area": str(i),
                **({"name": names[i]} if names.get(i) else {}),
                "population": float(population[i]),
                "minutes_a": None if np.isnan(minutes_a[i]) else float(minutes_a[i]),
                "minutes_b": None if np.isnan(minutes_b[i]) else float(minutes_b[i]),
                "status_a": a["areas"].at[i, "status"],
                "status_b": b["areas"].at[i, "status"],
            }
            for i in common[mask.to_numpy()]
        ]

    gained = area_rows(~cov_a & cov_b)
    lost = area_rows(cov_a & ~cov_b)
    status_changed = area_rows(
        a["areas"]["status"].reindex(common) != b["areas"]["status"].reindex(common)
    )

    resources = sorted(set(a["summary"]["resources"]) & set(b["summary"]["resources"]))
    sites = a["facilities"].index.union(b["facilities"].index).sort_values()
    site_rows = []
    for site in sites:
        in_a, in_b = site in a["facilities"].index, site in b["facilities"].index
        frame = b["facilities"] if in_b else a["facilities"]
        row = {
            "site": str(site),
            "name": str(frame.at[site, "name"]),
            "status_a": a["facilities"].at[site, "status"] if in_a else None,
            "status_b": b["facilities"].at[site, "status"] if in_b else None,
        }
        changed = not (in_a and in_b) or row["status_a"] != row["status_b"]
        for r in resources:
            after_a = float(a["facilities"].at[site, f"{r}_after"]) if in_a else None
            after_b = float(b["facilities"].at[site, f"{r}_after"]) if in_b else None
            load_a = float(a["facilities"].at[site, f"{r}_load"]) if in_a else None
            load_b = float(b["facilities"].at[site, f"{r}_load"]) if in_b else None
            row |= {
                f"{r}_after_a": after_a,
                f"{r}_after_b": after_b,
                f"{r}_load_a": load_a,
                f"{r}_load_b": load_b,
            }
            if (
                after_a is not None
                and after_b is not None
                and load_a is not None
                and load_b is not None
                and (abs(after_a - after_b) > TOLERANCE or abs(load_a - load_b) > TOLERANCE)
            ):
                changed = True
        if changed:
            site_rows.append(row)

    return {
        "run_a": str(a["folder"]),
        "run_b": str(b["folder"]),
        "scenario_a": a["summary"]["scenario"],
        "scenario_b": b["summary"]["scenario"],
        "kpis": kpis,
        "areas_gained_access": gained,
        "areas_lost_access": lost,
        "areas_status_changed": status_changed,
        "areas_only_in_a": [str(i) for i in only_a],
        "areas_only_in_b": [str(i) for i in only_b],
        "sites_changed": site_rows,
    }


def write_comparison_map(comparison: dict, run_a: Path, run_b: Path, path: Path) -> Path:
    """Write run B's map with run A as layers (areas that gained/lost access, A's facilities)."""
    from geoalloc.outputs.maps import comparison_map, save_map

    b = RunFolder(Path(run_b)).read()
    a = RunFolder(Path(run_a)).read(layers=("facilities",))
    return save_map(comparison_map(b.layers, b.summary, comparison, a.layers["facilities"]), path)
