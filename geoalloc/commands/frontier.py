"""``geoalloc frontier SCENARIO.toml``: the equity–efficiency trade-off, one solve per floor."""

from __future__ import annotations

import json
from pathlib import Path

import click


def _floors(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"{text!r}: give numbers between 0 and 1, e.g. 0,0.5,0.9") from exc
    if not values or any(not 0.0 <= v <= 1.0 for v in values):
        raise click.BadParameter(f"{text!r}: every floor must lie between 0 and 1")
    return values


@click.command("frontier")
@click.argument("scenario_path", metavar="SCENARIO.toml", type=click.Path(path_type=Path))
@click.option(
    "--floors",
    default=None,
    help="Comma-separated coverage floors 0–1 (default: [optimize] frontier_floors, else "
    "0,0.5,0.7,0.8,0.9,0.95,1).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON records.")
def frontier_command(scenario_path: Path, floors: str | None, as_json: bool) -> None:
    """Solve once per equity coverage floor; print mean minutes vs worst-group coverage.

    Needs ``[optimize] equity_group_column`` (a column of the areas file) and the ``capacitated`` or
    ``mclp`` model.
    """
    from geoalloc.runs.planning import frontier_of
    from geoalloc.scenario import load_scenario

    wanted = _floors(floors)
    table = frontier_of(load_scenario(scenario_path), wanted)
    if as_json:
        click.echo(json.dumps(table.to_dict(orient="records"), default=float))
        return
    click.echo(f"{'floor':>6} {'status':>11} {'mean min':>9} {'worst group':>11} {'unmet':>10}")
    for row in table.itertuples(index=False):
        click.echo(
            f"{row.floor:>6.2f} {row.status:>11} {row.mean_minutes:>9.2f} "
            f"{row.worst_group_coverage:>11.1%} {row.unmet:>10.1f}"
        )
