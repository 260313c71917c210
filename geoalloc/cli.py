"""The ``geoalloc`` command: a thin click layer that parses, calls the library and formats.

Logs and progress go to stderr, results to stdout. Exit codes: 0 ok · 1 unexpected internal error ·
2 usage error · 3 invalid input data · 4 model infeasible · 5 no solver / no solution in time.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from geoalloc import __version__
from geoalloc._errors import GeoallocError, OutputExistsError

log = logging.getLogger("geoalloc")


class GeoallocGroup(click.Group):
    """Turns geoalloc's own errors into a clear message and their exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OutputExistsError as exc:  # the library names no flag; the CLI knows its own
            click.echo(
                f"error: output folder {exc.path} exists — pass --overwrite to replace it, "
                "or choose --out",
                err=True,
            )
            ctx.exit(exc.exit_code)
        except GeoallocError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # an unexpected internal error: exit 1, traceback only with -v
            log.debug("internal error", exc_info=True)
            click.echo(
                f"internal error: {type(exc).__name__}: {exc}\n"
                "(this is a bug in geoalloc; rerun with -v for the traceback and report it)",
                err=True,
            )
            ctx.exit(1)


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


# One module per subcommand; registered here, after the group exists.
from geoalloc.commands.compare import compare_command  # noqa: E402
from geoalloc.commands.demo import demo_command  # noqa: E402
from geoalloc.commands.frontier import frontier_command  # noqa: E402
from geoalloc.commands.los import los_command  # noqa: E402
from geoalloc.commands.report import report_command  # noqa: E402
from geoalloc.commands.run import run_command  # noqa: E402
from geoalloc.commands.sweep import sweep_command  # noqa: E402
from geoalloc.commands.travel import travel_command  # noqa: E402
from geoalloc.commands.validate import validate_command  # noqa: E402

for _command in (
    compare_command,
    demo_command,
    frontier_command,
    los_command,
    report_command,
    run_command,
    sweep_command,
    travel_command,
    validate_command,
):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="geoalloc")
