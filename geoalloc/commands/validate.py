"""``geoalloc validate SCENARIO.toml``: check every input, print every problem, exit 3 if any."""

from __future__ import annotations

from pathlib import Path

import click

from geoalloc.runs import check_scenario
from geoalloc.scenario import load_scenario


@click.command("validate")
@click.argument("scenario_path", metavar="SCENARIO.toml", type=click.Path(path_type=Path))
def validate_command(scenario_path: Path) -> None:
    """Check the scenario file and every input it names; print all problems (exit 3 if any)."""
    scenario = load_scenario(scenario_path)
    inputs = check_scenario(scenario)
    for note in inputs.notes:
        click.echo(f"note: {note}")
    click.echo(f"ok: {inputs.describe()}, scenario {scenario.name!r} is valid")
