"""``geoalloc report RUN_DIR``: rebuild map.html and report.html from a run folder."""

from __future__ import annotations

from pathlib import Path

import click

from geoalloc.runs import rebuild_outputs


@click.command("report")
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path))
def report_command(run_dir: Path) -> None:
    """Rebuild map.html and report.html of RUN_DIR from its results.gpkg, summary.json and
    manifest.json (e.g. after upgrading geoalloc)."""
    map_path, report_path = rebuild_outputs(run_dir)
    click.echo(f"map: {map_path} ({map_path.stat().st_size / 1e6:.1f} MB)")
    click.echo(f"report: {report_path} ({report_path.stat().st_size / 1e6:.1f} MB)")


__all__ = ["report_command"]
