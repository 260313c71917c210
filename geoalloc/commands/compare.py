"""``geoalloc compare RUN_A RUN_B``: what changed between two runs."""

from __future__ import annotations

from pathlib import Path

import click

import geoalloc._text as fmt
from geoalloc.runs.compare import compare_runs, write_comparison_map
from geoalloc.runs.folder import dumps_json

MAX_LISTED = 15


@click.command("compare")
@click.argument("run_a", type=click.Path(path_type=Path, file_okay=False))
@click.argument("run_b", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--json", "as_json", is_flag=True, help="Print the full comparison as JSON on stdout."
)
@click.option(
    "--map",
    "map_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write RUN_B's map with RUN_A as layers (areas that gained/lost access, RUN_A's "
    "facilities) to this HTML file; swap the runs for the other way round.",
)
def compare_command(run_a: Path, run_b: Path, as_json: bool, map_path: Path | None) -> None:
    """Compare two run folders: KPI changes, areas that gained or lost access, sites that changed."""
    result = compare_runs(run_a, run_b)
    if map_path is not None:
        written = write_comparison_map(result, run_a, run_b, map_path)
        click.echo(f"map of B with A as layers: {written}", err=True)
    if as_json:
        click.echo(dumps_json(result))
        return
    click.echo(
        f"A = {result['scenario_a']} ({result['run_a']})  B = {result['scenario_b']} ({result['run_b']})"
    )
    click.echo(f"{'KPI (plan)':<28}{'A':>16}{'B':>16}{'B - A':>16}")
    for key, row in result["kpis"].items():
        click.echo(
            f"{key:<28}{fmt.number(row['a'], 2):>16}{fmt.number(row['b'], 2):>16}{fmt.number(row['change'], 2):>16}"
        )
    for title, key in (
        ("gained access", "areas_gained_access"),
        ("lost access", "areas_lost_access"),
    ):
        rows = result[key]
        people = sum(r["population"] for r in rows)
        click.echo(f"areas that {title}: {len(rows)} ({fmt.number(people, 0)} people)")
        for row in sorted(rows, key=lambda r: -r["population"])[:MAX_LISTED]:
            named = f" ({row['name']})" if row.get("name") else ""
            click.echo(
                f"  {row['area']}{named}: {fmt.number(row['population'], 0)} people, "
                f"{fmt.number(row['minutes_a'], 2)} → {fmt.number(row['minutes_b'], 2)} min"
            )
        if len(rows) > MAX_LISTED:
            click.echo(f"  … and {len(rows) - MAX_LISTED} more (--json lists all)")
    click.echo(f"sites whose allocation changed: {len(result['sites_changed'])}")
    for row in result["sites_changed"][:MAX_LISTED]:
        named = f" ({row['name']})" if row.get("name") and row["name"] != row["site"] else ""
        click.echo(f"  {row['site']}{named}: {row['status_a']} → {row['status_b']}")
    if len(result["sites_changed"]) > MAX_LISTED:
        click.echo(f"  … and {len(result['sites_changed']) - MAX_LISTED} more (--json lists all)")
