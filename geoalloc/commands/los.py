"""``geoalloc los HISTORY``: the fitted length-of-stay table of an admissions history."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click
import pandas as pd

from geoalloc._errors import InputError
from geoalloc.commands._options import FiniteFloatRange
from geoalloc.demand.history import read_history
from geoalloc.demand.los import fit_los_model
from geoalloc.demand.options import HistoryOptions
from geoalloc.demand.summary import los_summary


def _fmt(value: object, digits: int = 2) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def format_table(table: pd.DataFrame, risk_days: float) -> str:
    """The LOS table as aligned text."""
    k = f"{risk_days:g}"
    cols = [
        ("by", "by", 0),
        ("group", "group", 0),
        ("n", "n", 0),
        ("mean_days", "mean d", 2),
        ("median_days", "median d", 2),
        ("p90_days", "p90 d", 2),
        ("p_los_gt_k", f"P(>{k}d)", 3),
        ("distribution", "fitted", 0),
        ("fit_mean_days", "fit mean d", 2),
        ("fit_p90_days", "fit p90 d", 2),
        ("fit_p_los_gt_k", f"fit P(>{k}d)", 3),
    ]
    cells = [[title for _, title, _ in cols]]
    for _, row in table.iterrows():
        cells.append([_fmt(row[c], d) for c, _, d in cols])
    widths = [max(len(r[i]) for r in cells) for i in range(len(cols))]
    lines = []
    for r in cells:
        parts = [
            r[i].ljust(widths[i]) if i < 2 or i == 7 else r[i].rjust(widths[i])
            for i in range(len(cols))
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


#: the [history] keys the library names, and this command's options for them
_FLAGS = {
    "[history] admit/discharge": "--admit/--discharge",
    "[history] los_band": "--los-band",
    "[history] los": "--los",
    "[history] group_by": "--by",
}


def _as_flags(problem: str) -> str:
    for key, flag in _FLAGS.items():
        problem = problem.replace(key, flag)
    return problem


@click.command("los")
@click.argument("history", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", "by", multiple=True, help="Case-mix column to group by (repeatable).")
@click.option(
    "--risk-days",
    type=FiniteFloatRange(min=0, min_open=True),
    default=7.0,
    show_default=True,
    help="k of the LOS risk P(LOS > k days).",
)
@click.option("--admit", help="Admission timestamp column (default: recognised by name).")
@click.option("--discharge", help="Discharge timestamp column.")
@click.option("--los", "los_col", help="LOS column, in days.")
@click.option("--los-band", help="Banded LOS column (e.g. 'Stay' with '0-10', '11-20', …).")
@click.option("--id", "id_col", help="Row id column used when reporting bad rows.")
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the classifier's folds."
)
@click.option(
    "--strict", is_flag=True, help="Fail (exit 3) on any bad row instead of leaving it out."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def los_command(
    history: Path,
    by: tuple[str, ...],
    risk_days: float,
    admit: str | None,
    discharge: str | None,
    los_col: str | None,
    los_band: str | None,
    id_col: str | None,
    seed: int,
    strict: bool,
    as_json: bool,
) -> None:
    """Fit length-of-stay distributions to an admissions HISTORY (CSV, CSV.gz, Parquet).

    Prints count, mean, median, p90, the chosen distribution (lowest AIC of lognormal, gamma,
    Weibull, exponential) and the LOS risk P(LOS > K days), overall and per group of each --by
    column. Recognises admittime/dischtime (MIMIC-IV), intime/outtime, a 'los' column (days) and a
    banded 'Stay' column; name the columns otherwise. Bad rows are left out and reported.
    """
    options = HistoryOptions(
        path=history,
        admit=admit,
        discharge=discharge,
        los=los_col,
        los_band=los_band,
        id=id_col,
        group_by=list(by),
    )
    try:
        hist = read_history(history, options, strict=strict)
    except InputError as exc:  # the library names scenario keys; here they are options
        raise InputError([_as_flags(p) for p in exc.problems], header=exc.header) from None
    model = fit_los_model(hist, risk_days=risk_days, seed=seed)
    if as_json:
        click.echo(json.dumps(los_summary(model)["los"], indent=2))
        return
    p = hist.problems
    click.echo(
        f"{hist.source}: {p.n_rows - p.n_bad} of {p.n_rows} rows used, LOS from {hist.los_from} "
        f"({hist.kind})"
    )
    click.echo(format_table(model.table, risk_days))
    for line in p.lines(hist.source):
        click.echo(f"left out: {line}")
    clf = model.classifier
    if clf is not None and by:
        if clf["status"] == "fitted":
            click.echo(
                f"long-stay classifier (LOS > {risk_days:g} d, {clf['model']}, "
                f"{clf['folds']}-fold CV): "
                f"AUC {clf['auc_mean']:.3f} ± {clf['auc_sd']:.3f}, Brier {clf['brier']:.3f} "
                f"(overall share: {clf['brier_baseline']:.3f})"
            )
            click.echo(
                "  calibration (predicted → observed, rows): "
                + ", ".join(
                    f"{c['predicted']:.2f}→{c['observed']:.2f} ({c['rows']})"
                    for c in clf["calibration"]
                )
            )
        else:
            click.echo(f"long-stay classifier not fitted: {_as_flags(clf['reason'])}")
