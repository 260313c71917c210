"""The ``geoalloc`` command: a thin click layer that parses, calls the library and formats.

Logs and progress go to stderr, results to stdout. Exit codes: 0 ok · 1 unexpected internal error ·
2 usage error (also: another run is writing the same output folder) · 3 invalid input data ·
4 model infeasible · 5 no solver / no solution in time · 6 run written, but its plan not proven
within [optimize] acceptable_gap (solver stopped early) · 130 interrupted (Ctrl-C, SIGINT) ·
143 terminated (SIGTERM). An interrupted or terminated run cleans up after itself like a failed one.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import logging
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from geoalloc import __version__
from geoalloc._errors import GeoallocError, OutputBusyError, OutputExistsError

log = logging.getLogger("geoalloc")

#: the exit codes of a run stopped from outside, as shells report a process killed by the signal
EXIT_INTERRUPTED = 130  # 128 + SIGINT (Ctrl-C)
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread: it unwinds (and cleans up) like Ctrl-C."""


#: the signal that stopped this run, once one has: an interrupt that lands while an extension
#: module initialises comes out as that import's error ("ImportError: initialization failed"),
#: and is still the user's Ctrl-C, not a bug
_stopped_by: list[KeyboardInterrupt] = []


def _raise_terminated(signum: int, frame: object) -> None:
    _stopped_by.append(Terminated())
    raise _stopped_by[-1]


def _raise_interrupted(signum: int, frame: object) -> None:
    _stopped_by.append(KeyboardInterrupt())
    raise _stopped_by[-1]


def _report_interrupt(exc: BaseException) -> int:
    """The one line for a run stopped by a signal, and its exit code."""
    after_echo = "\n" if sys.stderr.isatty() else ""  # past the terminal's "^C"
    if isinstance(exc, Terminated):
        click.echo(f"{after_echo}geoalloc: terminated (SIGTERM)", err=True)
        return EXIT_TERMINATED
    click.echo(f"{after_echo}geoalloc: interrupted (Ctrl-C)", err=True)
    return EXIT_INTERRUPTED


#: one module per subcommand, imported only when that command runs (or its own --help is asked):
#: name → (module, the click command in it)
COMMANDS: dict[str, tuple[str, str]] = {
    "compare": ("geoalloc.commands.compare", "compare_command"),
    "demo": ("geoalloc.commands.demo", "demo_command"),
    "frontier": ("geoalloc.commands.frontier", "frontier_command"),
    "follow": ("geoalloc.commands.update", "follow_command"),
    "init": ("geoalloc.commands.init", "init_command"),
    "lineage": ("geoalloc.commands.lineage", "lineage_command"),
    "los": ("geoalloc.commands.los", "los_command"),
    "report": ("geoalloc.commands.report", "report_command"),
    "robust": ("geoalloc.commands.robust", "robust_command"),
    "run": ("geoalloc.commands.run", "run_command"),
    "sweep": ("geoalloc.commands.sweep", "sweep_command"),
    "travel": ("geoalloc.commands.travel", "travel_command"),
    "update": ("geoalloc.commands.update", "update_command"),
    "validate": ("geoalloc.commands.validate", "validate_command"),
}


def _help_text(module: str, function: str) -> str:
    """The docstring of a command's function, read from its source file without importing it."""
    spec = importlib.util.find_spec(module)
    source = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else ""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return (ast.get_docstring(node) or "").split("\f")[0]
    return ""


class GeoallocGroup(click.Group):
    """Turns geoalloc's own errors into a clear message and their exit code, never a traceback.

    Subcommands in :data:`COMMANDS` are imported on first use, so that ``geoalloc --help`` and
    ``--version`` do not load the geo stack.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, attribute = COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from :data:`COMMANDS`' help lines, importing no command module."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in COMMANDS and name not in self.commands:
                text = _help_text(*COMMANDS[name])
                rows.append((name, click.utils.make_default_short_help(text, limit)))
            else:
                command = self.commands[name]
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt as exc:  # click would say "Aborted!" and exit 1
            raise click.exceptions.Exit(_report_interrupt(exc)) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: the run cleaned up on its way out
            ctx.exit(_report_interrupt(exc))
        except OutputBusyError as exc:
            click.echo(
                f"error: output folder {exc.path} is being written by another geoalloc run"
                + (f" (pid {exc.holder})" if exc.holder else "")
                + " — wait for it to finish, or choose another --out",
                err=True,
            )
            ctx.exit(exc.exit_code)
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
            if _stopped_by:  # a signal turned into another error on its way out
                ctx.exit(_report_interrupt(_stopped_by[-1]))
            if ctx.params.get("verbose", 0) > 0:
                click.echo(traceback.format_exc().rstrip(), err=True)
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


def main() -> None:
    """The ``geoalloc`` command: SIGTERM unwinds like Ctrl-C; either ends in one line, no
    traceback, exit 143 or 130, whenever it comes while the command runs. Once the command has
    ended, a Ctrl-C is ignored and the exit code is the command's."""
    try:
        signal.signal(signal.SIGTERM, _raise_terminated)
        signal.signal(signal.SIGINT, _raise_interrupted)
        cli(prog_name="geoalloc")
    except KeyboardInterrupt as exc:
        sys.exit(_report_interrupt(exc))
    finally:
        # the command has ended, its output is complete: a Ctrl-C while the interpreter shuts
        # down is ignored (the exit code stays the command's). CPython resets the handlers it set
        # late in its shutdown, so a Python handler could not answer it there; SIGTERM ends the
        # process as the signal itself does (143 in a shell)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
