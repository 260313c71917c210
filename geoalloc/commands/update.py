"""``geoalloc update RUN_DIR …``: new data in, the plan re-made with the least disruption; and
``geoalloc follow RUN_DIR INBOX``: every new file of a folder applied in order, unattended."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from geoalloc.commands._output import exit_if_unproven, write_and_report

POOL_RULES = ("all", "new", "window", "exponential")


def _parse_units(specs: tuple[str, ...], option: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for spec in specs:
        resource, sep, value = spec.partition("=")
        try:
            out[resource.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not resource.strip():
            raise click.UsageError(
                f"{option} {spec!r}: expected RESOURCE=UNITS (e.g. {option} beds=40)"
            )
    return out


def _parse_frontier(spec: str | None) -> tuple[int | None, ...]:
    if not spec:
        return ()
    limits: list[int | None] = []
    for part in spec.split(","):
        part = part.strip().lower()
        if part in ("none", "unlimited"):
            limits.append(None)
        elif part.isdigit():
            limits.append(int(part))
        else:
            raise click.UsageError(
                f"--frontier {spec!r}: expected whole numbers ≥ 0 or 'none', e.g. 0,2,4,none"
            )
    return tuple(limits)


def update_options(function: Any) -> Any:
    """The options ``update`` and ``follow`` share: limits, pooling, drift level."""
    options = [
        click.option(
            "--max-changes",
            type=click.IntRange(min=0),
            default=None,
            help="At most this many changes: sites opened or closed plus modules added or removed "
            "(a time-phased deployment: temporary sites changed plus units shipped differently; "
            "0: keep the plan, re-evaluated on the new data).",
        ),
        click.option(
            "--max-site-changes",
            type=click.IntRange(min=0),
            default=None,
            help="At most this many sites opened or closed.",
        ),
        click.option(
            "--max-units",
            "max_units",
            multiple=True,
            metavar="RESOURCE=UNITS",
            help="At most this many units of a resource added or removed over all sites "
            "(repeatable), e.g. --max-units beds=40.",
        ),
        click.option(
            "--change-cost",
            "unmet_per_change",
            type=click.FloatRange(min=0),
            default=0.0,
            show_default=True,
            help="Make a change only if it serves at least this many more units of demand "
            "(e.g. 5: a hospital opened, closed or a module moved must serve 5 more beds).",
        ),
        click.option(
            "--site-change-cost",
            "unmet_per_site_change",
            type=click.FloatRange(min=0),
            default=0.0,
            help="Open or close a site only if it serves at least this many more units "
            "(on top of --change-cost).",
        ),
        click.option(
            "--unit-change-cost",
            "unit_change_cost",
            multiple=True,
            metavar="RESOURCE=UNITS",
            help="Add or remove a unit of a resource only if it serves at least this many more "
            "units (repeatable), e.g. --unit-change-cost beds=0.5.",
        ),
        click.option(
            "--pool",
            type=click.Choice(POOL_RULES),
            default="all",
            show_default=True,
            help="How a new history is pooled with the plan's for the refit: all (old and new), "
            "new (new only), window (the last --window-days), exponential (--half-life-days).",
        ),
        click.option("--window-days", type=click.FloatRange(min=0, min_open=True), default=365.0),
        click.option(
            "--half-life-days", type=click.FloatRange(min=0, min_open=True), default=180.0
        ),
        click.option(
            "--alpha",
            type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
            default=0.05,
            show_default=True,
            help="Level of the drift tests: the chance of a false alarm when nothing changed.",
        ),
        click.option(
            "--frontier",
            default=None,
            metavar="N1,N2,...",
            help="Also re-plan at these limits on the changes ('none': no limit) and report "
            "disruption against unmet demand and travel, e.g. --frontier 0,2,4,8,none.",
        ),
        click.option(
            "--skip-below-noise",
            is_flag=True,
            help="Keep the plan as it is when the data did not change beyond the noise.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _as_of_day_option(help_text: str) -> Any:
    """The ``--as-of-day DAY`` option (``update``, ``follow``) with its help."""
    return click.option(
        "--as-of-day", "as_of_day", type=int, default=None, metavar="DAY", help=help_text
    )


def _request(parent: Path, new: dict[str, Path | None], settings: dict[str, Any]):
    from geoalloc.optimize.replan import ChangeLimits
    from geoalloc.runs.update import UpdateRequest

    limits = ChangeLimits(
        max_changes=settings["max_changes"],
        max_site_changes=settings["max_site_changes"],
        max_units_changed=_parse_units(settings["max_units"], "--max-units"),
        unmet_per_change=settings["unmet_per_change"],
        unmet_per_site_change=settings["unmet_per_site_change"],
        unmet_per_unit_changed=_parse_units(settings["unit_change_cost"], "--unit-change-cost"),
    )
    return UpdateRequest(
        parent=parent,
        frontier=_parse_frontier(settings["frontier"]),
        limits=limits,
        pool=settings["pool"],
        window_days=settings["window_days"],
        half_life_days=settings["half_life_days"],
        alpha=settings["alpha"],
        skip_below_noise=settings["skip_below_noise"],
        history=new.get("history"),
        areas=new.get("areas"),
        facilities=new.get("facilities"),
        scenario=new.get("scenario"),
        surge_admissions=new.get("surge_admissions"),
    )


@click.command("update")
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--history",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="New admissions (the same columns as the plan's [history]).",
)
@click.option(
    "--areas",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="New areas file (same id and population columns).",
)
@click.option(
    "--facilities",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="New facilities file (same id and capacity columns).",
)
@click.option(
    "--scenario",
    "scenario_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A new scenario file replacing the plan's (e.g. a surge).",
)
@click.option(
    "--surge-admissions",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Daily region admissions observed so far (CSV: date or day, admissions): the scenario's "
    "[demand.surge] is refitted to them (SIR: doubling time with its interval) and the plan "
    "re-made on the refitted curve.",
)
@update_options
@_as_of_day_option(
    "Time-phased deployment runs only: the day (of the surge curve, as [deployment] "
    "start_day) the update is made on. Shipments that left and temporary sites opened in the "
    "periods started before it are kept; changes start in the first period starting on or after "
    "it and take effect only after their lead (set-up) time. Default: the deployment's "
    "start_day (nothing has happened yet).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="The update's run folder.",
)
@click.option("--overwrite", is_flag=True, help="Replace the output folder if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def update_command(
    run_dir: Path,
    history: Path | None,
    areas: Path | None,
    facilities: Path | None,
    scenario_path: Path | None,
    surge_admissions: Path | None,
    out: Path,
    overwrite: bool,
    as_json: bool,
    as_of_day: int | None,
    **settings: Any,
) -> None:
    """Update the plan of RUN_DIR with new data: drift found, the plan re-made from the current
    one with the least disruption, what changed and why. Writes a normal run folder (map.html,
    report.html, results.gpkg, summary.json, manifest.json naming its parent).

    A time-phased deployment run (a scenario with [deployment]) is updated from --as-of-day on:
    the shipments and temporary sites of the periods already started are kept, and --max-changes
    counts temporary sites changed plus units shipped differently.

    Example: geoalloc update maps/chicago-beds --scenario surge.toml --max-changes 4 --out maps/u1

    Example: geoalloc update maps/chicago-surge --surge-admissions daily.csv --out maps/u2

    Example: geoalloc update maps/icu-phased --scenario surge.toml --as-of-day 9 --out maps/u3
    """
    import dataclasses

    from geoalloc.runs.update import run_update

    new = {
        "history": history,
        "areas": areas,
        "facilities": facilities,
        "scenario": scenario_path,
        "surge_admissions": surge_admissions,
    }
    request = dataclasses.replace(_request(run_dir, new, settings), as_of_day=as_of_day)
    exit_if_unproven(
        write_and_report(out, overwrite, as_json, lambda: run_update(request, out_dir=out))
    )


@click.command("follow")
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path, file_okay=False))
@click.argument("inbox", metavar="INBOX", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--as",
    "role",
    type=click.Choice(("history", "areas", "facilities", "surge-admissions")),
    default="history",
    show_default=True,
    help="What the inbox files are (surge-admissions: the daily admissions so far, each file "
    "refitting the surge of the update before).",
)
@click.option(
    "--pattern",
    default="*.csv",
    show_default=True,
    help="Which files of INBOX to apply (applied in name order: date your files).",
)
@click.option(
    "--out-root",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Where each update's folder is written (one per file, named after it).",
)
@update_options
@_as_of_day_option(
    "Time-phased deployment runs only: update every file as of this day (of the surge "
    "curve; see `geoalloc update --as-of-day`). Default: the deployment's start_day.",
)
@click.option(
    "--day-from-name",
    is_flag=True,
    help="Time-phased deployment runs only: read each file's day from its name, day<N> "
    "(day09_areas.gpkg, areas_day12.gpkg), and apply the files in the order of their days; a "
    "file without a day in its name stops the run before anything is applied. For a job that "
    "drops each day's file into INBOX.",
)
def follow_command(
    run_dir: Path,
    inbox: Path,
    role: str,
    pattern: str,
    out_root: Path,
    as_of_day: int | None,
    day_from_name: bool,
    **settings: Any,
) -> None:
    """Apply every file of INBOX, in name order, as an update of the plan of RUN_DIR, each update
    starting from the one before: for a schedule (cron) or a folder that receives new files.

    Safe to rerun: a file already applied (same content, same parent, same day) is skipped; an
    update interrupted leaves no half-written folder, and the next run redoes it.

    A time-phased deployment run is updated as of --as-of-day, or with --day-from-name as of the
    day in each file's name.

    Example: geoalloc follow maps/icu-phased inbox/ --as areas --pattern 'day*.gpkg'
    --day-from-name --out-root maps/follow
    """
    from geoalloc.runs.follow import follow

    if as_of_day is not None and day_from_name:
        raise click.UsageError("give --as-of-day or --day-from-name, not both")
    role = role.replace("-", "_")  # the option's word → the request's field
    for step in follow(
        run_dir,
        inbox,
        role=role,
        pattern=pattern,
        out_root=out_root,
        make_request=lambda parent, path: _request(parent, {role: path}, settings),
        as_of_day=as_of_day,
        day_from_name=day_from_name,
    ):
        day = "" if step.as_of_day is None else f" (as of day {step.as_of_day})"
        if step.skipped:
            click.echo(f"{step.source.name}: already applied{day} → {step.folder}")
        else:
            click.echo(f"{step.source.name}: applied{day} → {step.folder}")
            for line in step.lines:
                click.echo(f"  {line}")


__all__ = ["follow_command", "update_command"]
