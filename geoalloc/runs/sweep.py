"""Scenario sweeps: many variants of one scenario through the pipeline, one KPI table and chart.

A variant sets some scenario keys (``optimize.p = 20``, ``demand.los_days = 4``). Variants come
from a cartesian product of ``--vary KEY=V1,V2,...`` options or from a CSV table (one column per
key). Every variant runs through :func:`geoalloc.runs.planning.run_scenario` on the chosen executor
(:mod:`geoalloc.parallel`); variants that share the inputs, network and travel horizon share one
travel matrix, computed once and sent to each worker once. A variant that fails (bad value, bad
input, infeasible model, no solution in time) is reported in the table with its reason while the
others complete.

The sweep folder (written atomically) holds ``kpis.csv``, ``kpis.json``, ``chart.png``,
``sweep.json`` and ``variants/<name>/`` with each variant's own run folder.
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
import math
import re
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from geoalloc._errors import GeoallocError, InputError
from geoalloc._validate import file_problem
from geoalloc.parallel import ComputeOptions, dask_client, run_map
from geoalloc.runs.kinds import require_comparable
from geoalloc.runs.timings import stage, timed_run
from geoalloc.runs.travel import horizon_minutes
from geoalloc.scenario import Scenario, resolve_paths
from geoalloc.scenario.errors import validation_problems

log = logging.getLogger(__name__)

#: scenario sections a variant may not change (the sweep names the variants and runs them).
FIXED_KEYS = ("name", "compute")
#: KPI columns taken from each variant's summary, in table order.
KPI_COLUMNS = (
    "model",
    "sites_open",
    "covered_pct",
    "baseline_covered_pct",
    "minutes_mean",
    "minutes_p90",
    "baseline_minutes_mean",
    "objective",
    "solver_status",
    "gap",
    "proven",
)


@dataclass(frozen=True)
class Variant:
    """One variant: a name and the scenario keys it sets (dotted key -> value)."""

    name: str
    values: dict[str, Any]


@dataclass(frozen=True)
class VariantOutcome:
    """What one variant gave: ``status`` is ``ok``, ``failed`` (a geoalloc error: bad input,
    infeasible, no solution) or ``error`` (an unexpected error, a bug)."""

    name: str
    status: str
    error: str | None = None
    reason: str | None = None
    exit_code: int = 0
    kpis: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class SweepResult:
    """The sweep's table (one row per variant, in input order) and where it was written."""

    out_dir: Path
    table: pd.DataFrame
    outcomes: list[VariantOutcome]
    #: seconds per stage of the sweep itself (travel, variants, write; as in sweep.json)
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> list[VariantOutcome]:
        return [o for o in self.outcomes if o.status != "ok"]


@dataclass(frozen=True)
class _Task:
    variant: Variant
    scenario: Scenario | None  # None: the variant's values are invalid (``invalid`` says why)
    invalid: str | None
    travel_key: str | None
    out_dir: Path


# ------------------------------------------------------------------------------------------------
# keys and values


def sweep_keys(scenario: Scenario) -> list[str]:
    """Every dotted key a variant may set (leaves of the scenario, including dict entries)."""
    keys: list[str] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping) and value:
            for k, v in value.items():
                walk(f"{prefix}.{k}", v)
        else:
            keys.append(prefix)

    for section, value in scenario.model_dump().items():
        if section not in FIXED_KEYS:
            walk(section, value)
    return keys


def parse_value(text: str) -> Any:
    """A value as written on the command line or in a CSV cell: TOML syntax (``5``, ``1.5``,
    ``true``, ``"text"``), ``none`` for no value, anything else as plain text."""
    text = text.strip()
    if text.lower() in ("none", "null"):
        return None
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _label(value: Any) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", str(value)).strip("_") or "x"


def cartesian_variants(vary: Mapping[str, Sequence[Any]]) -> list[Variant]:
    """Every combination of the varied values, named ``001_p5_los_days4`` and so on."""
    keys = list(vary)
    variants = []
    for i, combo in enumerate(itertools.product(*(vary[k] for k in keys)), start=1):
        values = dict(zip(keys, combo, strict=True))
        label = "_".join(f"{k.rsplit('.', 1)[-1]}{_label(v)}" for k, v in values.items())
        variants.append(Variant(name=f"{i:03d}_{label}"[:120], values=values))
    return variants


def read_variants_csv(path: str | Path) -> list[Variant]:
    """Variants from a CSV table: one column per key, one row per variant; an optional ``variant``
    column names them; an empty cell keeps the scenario's value."""
    path = Path(path)
    why = file_problem(path)
    if why is not None:
        what = "variants file not found" if why == "not found" else f"the variants path is {why}"
        raise InputError(f"{path}: {what} — check the path")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise InputError(f"{path}: no variants (a header row of keys, then one row per variant)")
    variants, seen, problems = [], set(), []
    for i, row in enumerate(rows, start=1):
        name = (row.pop("variant", None) or "").strip()
        values = {k.strip(): parse_value(v) for k, v in row.items() if k and v and v.strip()}
        label = "_".join(f"{k.rsplit('.', 1)[-1]}{_label(v)}" for k, v in values.items())
        name = _label(name) if name else f"{i:03d}_{label or 'base'}"[:120]
        if name in seen:
            problems.append(f"{path}: row {i + 1}: variant name {name!r} used twice — rename it")
        seen.add(name)
        variants.append(Variant(name=name, values=values))
    if problems:
        raise InputError(problems, header=f"{len(problems)} problem(s) in {path}")
    return variants


def check_keys(scenario: Scenario, variants: Sequence[Variant]) -> None:
    """Raise one :class:`InputError` naming every unknown key, with the list of valid keys."""
    valid = sweep_keys(scenario)
    unknown = sorted({k for v in variants for k in v.values if k not in valid})
    if unknown:
        msg = [
            f"unknown scenario key {key!r} — a variant can set only an existing key"
            for key in unknown
        ]
        msg.append("valid keys: " + ", ".join(valid))
        raise InputError(msg, header=f"{len(unknown)} unknown key(s) in the sweep")


def apply_variant(scenario: Scenario, variant: Variant) -> Scenario:
    """The scenario with the variant's values set, validated like a scenario file.

    Raises
    ------
    InputError
        An unknown key, or a value the scenario rejects (e.g. ``demand.los_days = -1``).
    """
    check_keys(scenario, [variant])
    data = scenario.model_dump()
    for key, value in variant.values.items():
        *parents, leaf = key.split(".")
        node = data
        for part in parents:
            node = node[part]
        node[leaf] = value
    data["name"] = f"{scenario.name}-{variant.name}"[:200]
    try:
        changed = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc, f"variant {variant.name}")
        raise InputError(problems, header=f"variant {variant.name}: invalid value(s)") from None
    return resolve_paths(changed, Path.cwd())


# ------------------------------------------------------------------------------------------------
# travel shared by variants


def travel_key(scenario: Scenario) -> str:
    """Variants with equal keys can share one travel matrix: same inputs, network and horizon."""
    return json.dumps(
        {
            "areas": scenario.areas.model_dump(mode="json"),
            "facilities": scenario.facilities.model_dump(mode="json"),
            "network": scenario.network.model_dump(mode="json"),
            "horizon": horizon_minutes(scenario),
        },
        sort_keys=True,
    )


def travel_for(scenario: Scenario):
    """The travel matrix :func:`geoalloc.runs.planning.run_scenario` would compute for ``scenario``
    (same points, network and horizon), or ``None`` if its inputs do not check out (each variant
    then reports its own error)."""
    from geoalloc.runs.kinds import kind_for
    from geoalloc.runs.planning import Inputs

    try:
        inputs = kind_for(scenario).check(scenario)
    except GeoallocError as exc:
        log.info("sweep: no shared travel matrix for %s: %s", scenario.name, exc)
        return None
    return inputs.travel_matrix(scenario) if isinstance(inputs, Inputs) else None


# ------------------------------------------------------------------------------------------------
# one variant (runs on a worker)


def _kpis(summary: dict) -> dict[str, Any]:
    plan, base = summary["plan"], summary["baseline"]
    kpis = {
        "model": summary["model"],
        "sites_open": plan["sites_open"],
        "covered_pct": plan["covered_pct"],
        "baseline_covered_pct": base["covered_pct"],
        "minutes_mean": plan["minutes_mean"],
        "minutes_p90": plan["minutes_p90"],
        "baseline_minutes_mean": base["minutes_mean"],
        "objective": summary["solver"]["objective"],
        "solver_status": summary["solver"]["status"],
        "gap": summary["solver"].get("gap"),
        # not proven: the solver stopped above [optimize] acceptable_gap (see summary["unproven"])
        "proven": not summary.get("unproven"),
    }
    for resource, unmet in summary["unmet"].items():
        kpis[f"unmet_{resource}"] = unmet
    return kpis


def _reason(exc: Exception) -> str:
    """One line: the error's header and its problems (the table keeps one row per variant)."""
    details = getattr(exc, "problems", None) or getattr(exc, "reasons", None)
    if isinstance(exc, InputError) and details:
        return f"{exc.header}: " + "; ".join(details)
    if details:
        return "; ".join(details)
    return " ".join(str(exc).split())


def run_variant(task: _Task, matrices: Mapping[str, Any]) -> VariantOutcome:
    """Run one variant through the pipeline and write its run folder; never raises.

    A plain function of its arguments (picklable, no globals): the unit of work of a sweep, with
    the travel matrices as the shared argument.
    """
    from geoalloc.runs import run_scenario

    started = time.perf_counter()
    name = task.variant.name
    if task.scenario is None:
        return VariantOutcome(name, "failed", "InputError", task.invalid, InputError.exit_code)
    try:
        travel = matrices.get(task.travel_key) if task.travel_key else None
        result = run_scenario(task.scenario, travel=travel)
        result.write(task.out_dir)
    except GeoallocError as exc:
        log.warning("sweep: variant %s failed: %s", name, exc)
        return VariantOutcome(
            name,
            "failed",
            type(exc).__name__,
            _reason(exc),
            exc.exit_code,
            seconds=time.perf_counter() - started,
        )
    except Exception as exc:  # a bug: keep the other variants, report it, exit 1 at the end
        log.error("sweep: variant %s: internal error", name, exc_info=True)
        return VariantOutcome(
            name,
            "error",
            type(exc).__name__,
            _reason(exc),
            1,
            seconds=time.perf_counter() - started,
        )
    return VariantOutcome(
        name, "ok", kpis=_kpis(result.summary), seconds=time.perf_counter() - started
    )


# ------------------------------------------------------------------------------------------------
# the sweep


def run_sweep(
    scenario: Scenario,
    variants: Sequence[Variant],
    out_dir: str | Path,
    *,
    compute: ComputeOptions | None = None,
    overwrite: bool = False,
) -> SweepResult:
    """Run every variant of ``scenario`` and write the sweep folder.

    Parameters
    ----------
    scenario
        The base scenario (from :func:`geoalloc.scenario.load_scenario`).
    variants
        From :func:`cartesian_variants` or :func:`read_variants_csv`.
    out_dir
        The sweep folder (replaced only with ``overwrite``). On a remote Dask cluster it must be
        on a file system the workers see at the same path: each variant's run folder is written
        by its worker.
    compute
        Where to run the variants (default: ``scenario.compute``).

    Raises
    ------
    InputError
        No variants, duplicate names, or a key that is not in the scenario (before anything runs).
    """
    from geoalloc.runs.folder import write_run_folder

    if not variants:
        raise InputError("the sweep has no variants — give at least one key with its values")
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise InputError("variant names must be unique")
    require_comparable(scenario, "sweeps")
    check_keys(scenario, variants)
    compute = compute or scenario.compute
    out_dir = Path(out_dir)
    varied = list(dict.fromkeys(k for v in variants for k in v.values))
    log.info("sweep: %d variants of %s on %s", len(variants), scenario.name, compute.executor)

    outcomes: list[VariantOutcome] = []
    table_out: pd.DataFrame | None = None

    def write(folder: Path) -> None:
        nonlocal outcomes, table_out
        with stage("travel"):  # the shared matrices (reading a variant's inputs inside: read)
            tasks, matrices = _prepare(scenario, variants, folder)
        with stage("variants"):  # each variant's own stages are in its summary.json
            outcomes = _run_tasks(tasks, matrices, compute)
        with stage("write"):
            for i, (task, outcome) in enumerate(zip(tasks, outcomes, strict=True)):
                if outcome.status == "ok" and not task.out_dir.is_dir():
                    msg = (
                        f"the run folder {task.out_dir} written by a worker is not visible here — "
                        "the sweep folder must be on a file system shared with the Dask workers"
                    )
                    outcomes[i] = VariantOutcome(
                        outcome.name, "failed", "InputError", msg, InputError.exit_code
                    )
            table = _table(variants, outcomes, varied)
            table.to_csv(folder / "kpis.csv", index=False)
            (folder / "kpis.json").write_text(
                json.dumps(_records(table), indent=2, allow_nan=False), encoding="utf-8"
            )
            _chart(table, folder / "chart.png", scenario.name)
            meta = {
                "scenario": scenario.model_dump(mode="json"),
                "varied_keys": varied,
                "variants": [{"name": v.name, "values": v.values} for v in variants],
                "compute": compute.model_dump(mode="json"),
                "travel_matrices": len(matrices),
                "timings_s": clock.as_dict(),  # write: up to here
            }
            (folder / "sweep.json").write_text(
                json.dumps(meta, indent=2, default=str), encoding="utf-8"
            )
            table_out = table

    with timed_run() as clock:
        written = write_run_folder(out_dir, overwrite=overwrite, write=write)
    assert table_out is not None
    n_bad = sum(o.status != "ok" for o in outcomes)
    log.info("sweep: %d ok, %d failed → %s", len(outcomes) - n_bad, n_bad, written)
    return SweepResult(
        out_dir=written, table=table_out, outcomes=outcomes, timings_s=clock.as_dict()
    )


def _prepare(
    scenario: Scenario, variants: Sequence[Variant], folder: Path
) -> tuple[list[_Task], dict[str, Any]]:
    tasks: list[_Task] = []
    groups: dict[str, list[Scenario]] = {}
    for variant in variants:
        try:
            changed = apply_variant(scenario, variant)
        except InputError as exc:
            tasks.append(
                _Task(variant, None, _reason(exc), None, folder / "variants" / variant.name)
            )
            continue
        # inside a worker everything runs serially: no nested pools or clusters
        changed = changed.model_copy(update={"compute": ComputeOptions()})
        key = travel_key(changed)
        groups.setdefault(key, []).append(changed)
        tasks.append(_Task(variant, changed, None, key, folder / "variants" / variant.name))
    matrices = {}
    for key, members in groups.items():
        for member in members:  # the first variant whose inputs check out gives the group's matrix
            matrix = travel_for(member)
            if matrix is not None:
                matrices[key] = matrix
                break
    log.info("sweep: %d travel matrix(es) for %d variants", len(matrices), len(variants))
    return tasks, matrices


def _run_tasks(
    tasks: list[_Task], matrices: dict[str, Any], compute: ComputeOptions
) -> list[VariantOutcome]:
    if compute.executor != "dask":
        return run_map(
            run_variant,
            tasks,
            executor=compute.executor,
            workers=compute.workers,
            shared=matrices,
            desc="variants",
        )
    with dask_client(compute.scheduler, compute.workers) as client:
        return run_map(
            run_variant, tasks, executor="dask", scheduler=client, shared=matrices, desc="variants"
        )


def _table(
    variants: Sequence[Variant], outcomes: Sequence[VariantOutcome], varied: list[str]
) -> pd.DataFrame:
    rows = []
    for variant, outcome in zip(variants, outcomes, strict=True):
        row: dict[str, Any] = {"variant": variant.name, "status": outcome.status}
        for key in varied:
            row[key] = variant.values.get(key)
        row |= {c: None for c in KPI_COLUMNS} | outcome.kpis
        row |= {
            "error": outcome.error,
            "reason": outcome.reason,
            "seconds": round(outcome.seconds, 3),
            "out_dir": f"variants/{variant.name}" if outcome.status == "ok" else None,
        }
        rows.append(row)
    return pd.DataFrame(rows)


def _records(table: pd.DataFrame) -> list[dict]:
    def clean(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if hasattr(value, "item"):
            return clean(value.item())
        return value

    return [{k: clean(v) for k, v in row.items()} for row in table.to_dict(orient="records")]


def _chart(table: pd.DataFrame, path: Path, title: str) -> None:
    """Coverage, mean minutes and cost (the model's objective) per variant, as bars (Agg)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [
        name if status == "ok" else f"{name} ({status})"
        for name, status in zip(table["variant"], table["status"], strict=True)
    ]
    panels = (
        ("covered_pct", "population covered (%)"),
        ("minutes_mean", "mean minutes to the nearest open site"),
        ("objective", "cost (model objective)"),
    )
    height = max(3.0, 0.35 * len(table) + 1.5)
    figure = Figure(figsize=(15, height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(panels), sharey=True)
    positions = list(range(len(table)))
    for ax, (column, xlabel) in zip(axes, panels, strict=True):
        values = pd.to_numeric(table[column], errors="coerce").fillna(0.0)
        colors = ["tab:blue" if s == "ok" else "tab:gray" for s in table["status"]]
        ax.barh(positions, values, color=colors)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(positions, labels)
    axes[0].invert_yaxis()
    figure.suptitle(f"sweep of {title}: {len(table)} variants")
    figure.savefig(path, dpi=100)
