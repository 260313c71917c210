"""``geoalloc lineage RUN_DIR``: the chain of updates back to the first plan, with each step's KPIs."""

from __future__ import annotations

from pathlib import Path

import click

import geoalloc._text as fmt
from geoalloc._errors import InputError
from geoalloc.runs.folder import dumps_json


@click.command("lineage")
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the chain as JSON on stdout.")
def lineage_command(run_dir: Path, as_json: bool) -> None:
    """List the plan of RUN_DIR and the runs it was updated from, oldest first, with each step's
    figures; every link is checked (a parent moved or changed since is named, exit 3)."""
    from geoalloc.runs.lineage import broken_links, read_chain

    chain = read_chain(run_dir)
    if as_json:
        steps = [
            {
                "folder": str(step.folder),
                "scenario": step.scenario,
                "kind": step.kind,
                "manifest_sha256": step.manifest_sha256,
                "parent_link": step.parent_link,
                "parent_folder": step.parent_folder,
                **step.kpis,
            }
            for step in chain
        ]
        click.echo(dumps_json({"chain": steps}))
    else:
        for n, step in enumerate(chain):
            kpis = step.kpis
            unmet = (
                ", ".join(f"{fmt.number(v)} {r}" for r, v in (kpis["unmet"] or {}).items())
                or "none"
            )
            changes = (
                f", {fmt.number(kpis['changes'], 0)} change(s)"
                if kpis["changes"] is not None
                else ""
            )
            click.echo(
                f"{n}. {step.folder} ({step.kind}, {step.scenario}): covered "
                f"{fmt.percent(kpis['covered_pct'])}, {fmt.quantity(kpis['sites_open'])} sites "
                f"open, unmet {unmet}{changes} "
                f"[manifest {step.manifest_sha256[:12]}]"
            )
    broken = broken_links(chain)
    if broken:
        raise InputError(broken, header=f"{run_dir}: the chain is broken")


__all__ = ["lineage_command"]
