"""``geoalloc run SCENARIO.toml``: the whole pipeline for one scenario."""

from __future__ import annotations

from pathlib import Path

import click

from geoalloc.commands._options import compute_from_cli, compute_options
from geoalloc.commands._output import exit_if_unproven, write_and_report
from geoalloc.runs import default_out_dir, run_scenario
from geoalloc.scenario import load_scenario


def run_and_report(
    scenario_path: Path,
    out: Path | None,
    overwrite: bool,
    as_json: bool,
    compute: dict | None = None,
) -> None:
    scenario = load_scenario(scenario_path)
    if compute and any(v is not None for v in compute.values()):
        scenario = scenario.model_copy(
            update={"compute": compute_from_cli(scenario.compute, **compute)}
        )
    out_dir = out if out is not None else default_out_dir(scenario)
    exit_if_unproven(write_and_report(out_dir, overwrite, as_json, lambda: run_scenario(scenario)))


@click.command("run")
@click.argument("scenario_path", metavar="SCENARIO.toml", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Output folder [default: maps/<scenario name>].",
)
@click.option("--overwrite", is_flag=True, help="Replace the output folder if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@compute_options("the routing trees")
def run_command(
    scenario_path: Path,
    out: Path | None,
    overwrite: bool,
    as_json: bool,
    executor: str | None,
    workers: int | None,
    scheduler: str | None,
) -> None:
    """Run the whole pipeline for one scenario and write map.html, report.html, results.gpkg,
    summary.json and manifest.json.

    Exits 6 (after writing the folder) when the solver stopped before proving the plan within
    [optimize] acceptable_gap: the plan may be far from the best one.
    """
    compute = {"executor": executor, "workers": workers, "scheduler": scheduler}
    run_and_report(scenario_path, out, overwrite, as_json, compute)


__all__ = ["run_and_report", "run_command"]
