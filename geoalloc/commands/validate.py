"""``geoalloc validate SCENARIO.toml``: check every input, print every problem, exit 3 if any."""

from __future__ import annotations

from pathlib import Path

import click

from geoalloc.pipeline import check_inputs
from geoalloc.scenario import load_scenario


@click.command("validate")
@click.argument("scenario_path", metavar="SCENARIO.toml", type=click.Path(path_type=Path))
def validate_command(scenario_path: Path) -> None:
    """Check the scenario file and every input it names; print all problems (exit 3 if any)."""
    scenario = load_scenario(scenario_path)
    if scenario.telemedicine is not None:
        from geoalloc.telemedicine.run import check_telemedicine_inputs

        problem, areas, sites, notes = check_telemedicine_inputs(scenario)
        for note in notes:
            click.echo(f"note: {note}")
        click.echo(
            f"ok: {len(areas)} areas, {len(sites)} sites ({len(problem.hubs)} hub candidates), "
            f"scenario {scenario.name!r} is valid"
        )
        return
    inputs = check_inputs(scenario)
    for note in inputs.notes:
        click.echo(f"note: {note}")
    click.echo(
        f"ok: {len(inputs.areas)} areas, {len(inputs.facilities)} sites "
        f"({int(inputs.facilities['existing'].sum())} existing), scenario {scenario.name!r} is valid"
    )
