"""``geoalloc robust SCENARIO.toml --draws N --seed S``: plans under uncertainty."""

from __future__ import annotations

from pathlib import Path

import click

from geoalloc._errors import UNPROVEN_EXIT_CODE
from geoalloc.commands._options import compute_from_cli, compute_options
from geoalloc.commands._output import write_and_report
from geoalloc.runs.robust import run_robust, with_robustness
from geoalloc.scenario import load_scenario


@click.command("robust")
@click.argument("scenario_path", metavar="SCENARIO.toml", type=click.Path(path_type=Path))
@click.option(
    "--draws",
    type=click.IntRange(min=1),
    default=None,
    help="Plausible futures to draw [default: [robustness] draws, else 100].",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Seed of the draws [default: [robustness] seed, else 1].",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Output folder [default: maps/<scenario name>-robust].",
)
@click.option("--overwrite", is_flag=True, help="Replace the output folder if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@compute_options("the draws")
def robust_command(
    scenario_path: Path,
    draws: int | None,
    seed: int | None,
    out: Path | None,
    overwrite: bool,
    as_json: bool,
    executor: str | None,
    workers: int | None,
    scheduler: str | None,
) -> None:
    """Draw plausible futures from the scenario's [robustness] uncertainty, solve each, and find
    the plan that holds best over them (the robust plan), compared with the plan for the mean
    future; write map.html, report.html, results.gpkg, summary.json and manifest.json.

    Takes a capacitated planning scenario ([optimize] model = "capacitated"). Exits 6 (after
    writing the folder) when the robust plan's solve stopped above [optimize] acceptable_gap.
    """
    scenario = with_robustness(load_scenario(scenario_path), draws=draws, seed=seed)
    compute = compute_from_cli(scenario.compute, executor, workers, scheduler)
    out_dir = out if out is not None else Path("maps") / f"{scenario.name}-robust"
    result = write_and_report(
        out_dir, overwrite, as_json, lambda: run_robust(scenario, compute=compute)
    )
    solver = result.summary["solver"]
    if solver.get("unproven"):
        click.echo(
            f"warning: the robust plan is NOT PROVEN (gap {solver.get('gap')}) — the solver "
            "stopped above [optimize] acceptable_gap; raise [optimize] time_limit_s or use "
            f"fewer [robustness] saa_draws (exit code {UNPROVEN_EXIT_CODE})",
            err=True,
        )
        click.get_current_context().exit(UNPROVEN_EXIT_CODE)


__all__ = ["robust_command"]
