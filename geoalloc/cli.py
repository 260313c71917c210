"""The ``geoalloc`` command: a thin click layer that parses, calls the library and formats.

Logs and progress go to stderr, results to stdout. Exit codes: 0 ok · 1 unexpected internal error ·
2 usage error · 3 invalid input data · 4 model infeasible · 5 no solver / no solution in time.
"""

from __future__ import annotations

import logging
import sys

import click

from geoalloc import __version__
from geoalloc._errors import GeoallocError

log = logging.getLogger("geoalloc")


class GeoallocGroup(click.Group):
    """Turns geoalloc's own errors into a clear message and their exit code, never a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except GeoallocError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


def _configure_logging(verbose: int, quiet: int) -> None:
    level = logging.WARNING - 10 * verbose + 10 * quiet
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("geoalloc")
    root.handlers[:] = [handler]
    root.setLevel(max(logging.DEBUG, min(level, logging.CRITICAL)))
    root.propagate = False


@click.group(cls=GeoallocGroup)
@click.version_option(__version__, prog_name="geoalloc")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (repeatable).")
@click.option("-q", "--quiet", count=True, help="Less log output on stderr (repeatable).")
def cli(verbose: int, quiet: int) -> None:
    """Plan where hospital beds, staff and equipment should be."""
    _configure_logging(verbose, quiet)


@cli.command()
def solvers() -> None:
    """List the MILP solvers available here (preferred first)."""
    from geoalloc.optimize import available_solvers

    names = available_solvers()
    if not names:
        raise click.ClickException("no MILP solver available — pip install highspy")
    for name in names:
        click.echo(name)


def main() -> None:
    cli(prog_name="geoalloc")
cli.add_command(__import__("geoalloc.commands.frontier", fromlist=["x"]).frontier_command)
