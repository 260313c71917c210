"""Options shared by several subcommands (rasterio's ``rio/options.py`` style)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import click

from geoalloc._errors import UsageError
from geoalloc.parallel import EXECUTORS, ComputeOptions


class FiniteFloatRange(click.FloatRange):
    """A ``click.FloatRange`` that refuses ``inf`` and ``nan`` too (click reads both as floats,
    and ``nan`` passes any range): a usage error (exit 2) naming the option."""

    name = "finite float range"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def compute_options(what: str) -> Callable:
    """``--executor``, ``--workers`` and ``--scheduler``: where ``what`` runs (over ``[compute]``)."""

    def decorate(command: Callable) -> Callable:
        command = click.option(
            "--scheduler",
            metavar="ADDRESS",
            default=None,
            help="Address of an existing Dask scheduler (e.g. tcp://10.0.0.5:8786); implies --executor dask.",
        )(command)
        command = click.option(
            "--workers", type=click.IntRange(min=1), default=None, help="Local worker processes."
        )(command)
        return click.option(
            "--executor",
            type=click.Choice(EXECUTORS),
            default=None,
            help=f"Where {what} run [default: the scenario's [compute] executor].",
        )(command)

    return decorate


def compute_from_cli(
    base: ComputeOptions, executor: str | None, workers: int | None, scheduler: str | None
) -> ComputeOptions:
    """``[compute]`` of the scenario, overridden by ``--executor`` / ``--workers`` /
    ``--scheduler`` (a scheduler address implies the Dask executor)."""
    update = base.model_dump(exclude_unset=True)
    if scheduler is not None:
        if executor not in (None, "dask"):
            msg = f"--scheduler needs the dask executor, not --executor {executor}"
            raise UsageError(msg)
        update |= {"executor": "dask", "scheduler": scheduler}
    elif executor is not None:
        update |= {"executor": executor}
        if executor != "dask":
            update["scheduler"] = None
    if workers is not None:
        update["workers"] = workers
    return ComputeOptions.model_validate(update)
