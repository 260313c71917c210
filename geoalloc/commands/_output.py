"""What every command that writes one run folder does around the run: the folder's lock, the
refusal of an existing folder without ``--overwrite``, the atomic write, and the printout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from geoalloc._errors import UNPROVEN_EXIT_CODE
from geoalloc.outputs.terminal import timing_lines, unproven_lines
from geoalloc.runs.folder import dumps_json
from geoalloc.runs.output_lock import hold_output

if TYPE_CHECKING:
    from geoalloc.runs.result import RunResult


def write_and_report(
    out_dir: Path, overwrite: bool, as_json: bool, run: Callable[[], RunResult]
) -> RunResult:
    """``run()`` and write its folder to ``out_dir``, then print its summary (JSON with
    ``--json``) and, with ``-v``, where the time went.

    One run per output folder, from the start: a second one is refused at once (exit 2), and so is
    an existing folder without ``overwrite``.
    """
    with hold_output(out_dir):
        if out_dir.exists() and not overwrite:
            raise click.UsageError(
                f"output folder {out_dir} exists — pass --overwrite to replace it, or choose --out"
            )
        result = run()
        written = result.write(out_dir, overwrite=overwrite)
    if as_json:
        click.echo(dumps_json(result.summary | {"out_dir": str(written)}))
    else:
        for line in result.kind.summary_lines(result.summary, str(written)):
            click.echo(line)
    if click.get_current_context().find_root().params.get("verbose"):  # -v: where time went
        for line in timing_lines(result.summary.get("timings_s")):
            click.echo(line, err=True)
    return result


def exit_if_unproven(result: RunResult) -> None:
    """Say which solves were not proven within ``acceptable_gap`` and exit 6 if any was."""
    unproven = result.summary.get("unproven") or []
    for line in unproven_lines(unproven):
        click.echo(line, err=True)
    if unproven:
        click.get_current_context().exit(UNPROVEN_EXIT_CODE)
