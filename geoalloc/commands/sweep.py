"""``geoalloc sweep SCENARIO.toml --vary KEY=V1,V2 ...``: many variants of one scenario."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

import geoalloc._text as fmt
from geoalloc._errors import UNPROVEN_EXIT_CODE, InputError
from geoalloc.commands._options import compute_from_cli, compute_options
from geoalloc.outputs.terminal import timing_lines
from geoalloc.runs.folder import dumps_json
from geoalloc.runs.output_lock import hold_output
from geoalloc.runs.sweep import cartesian_variants, parse_value, read_variants_csv, run_sweep
from geoalloc.scenario import load_scenario


def parse_vary(specs: Sequence[str]) -> dict[str, list[Any]]:
    """``["optimize.p=5,10", "demand.los_days=4,5"]`` → ``{"optimize.p": [5, 10], ...}``."""
    out: dict[str, list[Any]] = {}
    problems = []
    for spec in specs:
        key, sep, values = spec.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            problems.append(f"--vary {spec!r}: expected KEY=V1,V2,... (e.g. optimize.p=5,10,20)")
            continue
        if key in out:
            problems.append(f"--vary {key}: given twice — list all its values in one --vary")
            continue
        out[key] = [parse_value(v) for v in values.split(",")]
    if problems:
        raise InputError(problems, header=f"{len(problems)} problem(s) in --vary")
    return out


@click.command("sweep")
@click.argument("scenario_path", metavar="SCENARIO.toml", type=click.Path(path_type=Path))
@click.option(
    "--vary",
    "vary",
    multiple=True,
    metavar="KEY=V1,V2,...",
    help="Vary a scenario key over values (repeatable; the variants are every combination).",
)
@click.option(
    "--variants",
    "variants_csv",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="CSV of variants: one column per key, one row per variant (optional 'variant' name column).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Sweep folder [default: maps/<scenario name>-sweep].",
)
@click.option("--overwrite", is_flag=True, help="Replace the sweep folder if it exists.")
@compute_options("the variants")
@click.option("--json", "as_json", is_flag=True, help="Print the KPI table as JSON on stdout.")
def sweep_command(
    scenario_path: Path,
    vary: tuple[str, ...],
    variants_csv: Path | None,
    out: Path | None,
    overwrite: bool,
    executor: str | None,
    workers: int | None,
    scheduler: str | None,
    as_json: bool,
) -> None:
    """Run many variants of one scenario and write a KPI table (kpis.csv, kpis.json), a chart
    (chart.png) and each variant's run folder.

    Example: geoalloc sweep beds.toml --vary optimize.p=20,30,40 --vary demand.los_days=4,5
    """
    if bool(vary) == bool(variants_csv):
        raise click.UsageError("give either --vary KEY=V1,V2 (repeatable) or --variants FILE.csv")
    scenario = load_scenario(scenario_path)
    variants = (
        read_variants_csv(variants_csv) if variants_csv else cartesian_variants(parse_vary(vary))
    )
    compute = compute_from_cli(scenario.compute, executor, workers, scheduler)
    out_dir = out if out is not None else Path("maps") / f"{scenario.name}-sweep"
    with hold_output(out_dir):  # one sweep per folder, from the start
        if out_dir.exists() and not overwrite:
            raise click.UsageError(
                f"output folder {out_dir} exists — pass --overwrite to replace it, or choose --out"
            )
        result = run_sweep(scenario, variants, out_dir, compute=compute, overwrite=overwrite)
    table = result.table
    if as_json:
        click.echo(
            dumps_json(
                {"out_dir": str(result.out_dir), "variants": table.to_dict(orient="records")}
            )
        )
    else:
        click.echo(f"sweep of {scenario.name}: {len(table)} variants ({compute.executor})")
        for row in table.to_dict(orient="records"):
            if row["status"] == "ok":
                unproven = "" if row["proven"] else f" — NOT PROVEN ({_gap(row['gap'])})"
                click.echo(
                    f"  {row['variant']}: covered {fmt.percent(row['covered_pct'])}, mean "
                    f"{fmt.number(row['minutes_mean'])} min, cost {fmt.number(row['objective'], 0)}"
                    f"{unproven}"
                )
            else:
                reason = str(row["reason"]).splitlines()[0] if row["reason"] else ""
                click.echo(f"  {row['variant']}: {row['status']} ({row['error']}: {reason})")
        click.echo(f"table: {result.out_dir}/kpis.csv · chart: {result.out_dir}/chart.png")
    if click.get_current_context().find_root().params.get("verbose"):  # -v: where time went
        for line in timing_lines(result.timings_s):
            click.echo(line, err=True)
    failed = result.failed
    if failed:
        click.echo(f"{len(failed)} of {len(table)} variant(s) failed — see kpis.csv", err=True)
    if any(o.status == "error" for o in failed):
        raise click.exceptions.Exit(1)
    if failed and len(failed) == len(table):
        raise click.exceptions.Exit(failed[0].exit_code)
    unproven = [o.name for o in result.outcomes if o.status == "ok" and not o.kpis["proven"]]
    if unproven and not failed:
        click.echo(
            f"warning: {len(unproven)} of {len(table)} variant(s) NOT PROVEN — the solver stopped "
            f"above [optimize] acceptable_gap ({', '.join(unproven)}); raise [optimize] "
            f"time_limit_s, offer fewer candidate sites, or use coarser areas (exit code "
            f"{UNPROVEN_EXIT_CODE})",
            err=True,
        )
        raise click.exceptions.Exit(UNPROVEN_EXIT_CODE)


def _gap(gap: object) -> str:
    return f"gap {fmt.percent(100 * gap, 1)}" if isinstance(gap, int | float) else "no bound"


__all__ = ["sweep_command"]
