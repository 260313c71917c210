"""Refit a ``[demand.surge]`` curve to the daily admissions observed so far.

**The observations.** A CSV with a ``date`` (ISO, ``YYYY-MM-DD``) or ``day`` (whole numbers)
column and an ``admissions`` column: the region's admissions on each day (all causes: the baseline
and the surge). Day 0 is the first row's date; days may be missing (gaps are skipped, not zeros).
:func:`read_daily_admissions` reads and checks it.

**SIR surges** (``kind = "sir"``, CHIME's discrete-time SIR, :func:`geoalloc.demand.surge.
sir_daily_new`). The expected admissions on observed day d are

    λ_d(T, i₀) = B + N · h · m · n_d(g, γ, i₀, sd),   g = 2^(1/T) − 1,

with B the baseline admissions per day of the scenario's demand (region total), N the region's
population, h ``hospitalised_share``, m ``market_share``, n_d the SIR's new infections on day d as
a share of the population, γ = 1 / ``infectious_days`` and sd ``social_distancing``. Early in an
epidemic n_d ≈ (g + γ)(1 − sd) · i₀ · (1 + g)^d, so the data identify the growth rate and only
the product h · m · i₀ · (1 + g)^offset: the fit estimates the doubling time T
(``doubling_time_days``) and the initial infected share i₀ (``initial_infected_share``) on the
first observed date — which fixes the day offset: the refitted curve's day 0 *is* the first
observed date — and holds h, m, γ and sd at the scenario's values (h is a clinical share; once the
susceptibles are depleted, h and i₀ separate, which early data cannot do). Estimation is by
Poisson maximum likelihood, ℓ(T, i₀) = Σ_d [y_d log λ_d − λ_d]; the 95 % interval on T is the
profile-likelihood interval {T : 2 (ℓ̂ − ℓ_p(T)) ≤ χ²₁(0.95)}, ℓ_p(T) = max_{i₀} ℓ(T, i₀). When
the counts vary more than Poisson counts (Pearson dispersion φ̂ = Σ (y − λ̂)² / λ̂ ÷ (K − 2) > 1)
it is widened as a quasi-likelihood interval, {T : 2 (ℓ̂ − ℓ_p(T)) ÷ φ̂ ≤ F₁,K−2(0.95)}; i₀'s
interval is its profile interval likewise, and the plan's doubling time is tested by the same
likelihood ratio. CHIME 1.1 fits the doubling time through two points (the first hospitalised
case and today's census); this uses every observed day and says how sure it is.

**Table surges** (``kind = "table"``): the observed days replace the table's first days
(multiplier = observed admissions ÷ B, day 0 = the first observed date), days the series skips
keep the table's multiplier (1, the baseline, beyond the table), and the rest of the table is kept.
The drift is the fit of the plan's table to the observed days (Poisson deviance, K degrees of
freedom).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from geoalloc._errors import InputError
from geoalloc._validate import CORRUPT_COMPRESSION, columns_found, file_problem, unreadable_table
from geoalloc.demand.los import LosModel
from geoalloc.demand.options import DemandOptions, SurgeOptions
from geoalloc.demand.surge import sir_daily_new, table_multipliers

#: fewest observed days a surge is refitted on (two parameters, and a dispersion to estimate)
MIN_DAYS = 7
#: the doubling times searched, days
MIN_DOUBLING_DAYS = 0.5
MAX_DOUBLING_DAYS = 365.0
#: the initial infected shares searched
MIN_INITIAL_SHARE = 1e-12
MAX_INITIAL_SHARE = 0.5
#: the level of the intervals
LEVEL = 0.95


@dataclass(frozen=True)
class DailyAdmissions:
    """Region admissions per observed day.

    Attributes
    ----------
    day
        Day index of each observation, 0 = the first observed day (increasing, gaps allowed).
    admissions
        Admissions on that day (≥ 0).
    first_date
        The date of day 0 (None when the file numbers its days).
    path
        The file read (None when built in code).
    notes
        What the reader noticed (e.g. counts that are not whole numbers).
    """

    day: np.ndarray
    admissions: np.ndarray
    first_date: pd.Timestamp | None = None
    path: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        """The file, for messages."""
        return str(self.path) if self.path is not None else "the daily admissions"


def read_daily_admissions(path: Path | str) -> DailyAdmissions:
    """Read and check a CSV of daily region admissions (``date`` or ``day``, ``admissions``).

    Raises :class:`InputError` (exit 3) naming the file, the column and the lines: a missing
    column, a date or day that is not one, a negative or non-numeric count, a day given twice,
    fewer than :data:`MIN_DAYS` days, or no admission at all.
    """
    path = Path(path)
    role = "the daily admissions"
    why = file_problem(path)
    if why is not None:
        raise InputError(f"{path}: {why} ({role}) — check the path")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, OSError, *CORRUPT_COMPRESSION) as exc:
        raise InputError(unreadable_table(path, exc, role)) from None
    cols = {str(c).strip().lower(): c for c in table.columns}
    problems = []
    if "date" not in cols and "day" not in cols:
        problems.append(
            f"{path}: needs a 'date' (YYYY-MM-DD) or 'day' (0, 1, 2, …) column; "
            f"{columns_found(table.columns)}"
        )
    if "admissions" not in cols:
        problems.append(
            f"{path}: needs an 'admissions' column (the region's admissions that day); "
            f"{columns_found(table.columns)}"
        )
    if problems:
        raise InputError(problems)
    lines = np.arange(len(table)) + 2  # the header is line 1
    first_date = None
    if "date" in cols:
        raw = table[cols["date"]].str.strip()
        dates = pd.to_datetime(raw, errors="coerce", format="ISO8601")
        bad = dates.isna().to_numpy()
        _refuse_rows(path, bad, lines, "a date that is not one (write dates as YYYY-MM-DD)")
        first_date = dates.min()
        day = ((dates - first_date).dt.days).to_numpy(dtype=np.int64)
        what = "date"
    else:
        raw = table[cols["day"]].str.strip()
        number = pd.to_numeric(raw, errors="coerce")
        bad = (number.isna() | (number != np.round(number))).to_numpy()
        _refuse_rows(path, bad, lines, "a day that is not a whole number")
        day = number.to_numpy(dtype=float).astype(np.int64)
        if len(day):  # a file of headers only is refused below, as too short
            day = day - day.min()
        what = "day"
    counts = pd.to_numeric(table[cols["admissions"]].str.strip(), errors="coerce")
    bad = (counts.isna() | ~np.isfinite(counts) | (counts < 0)).to_numpy()
    _refuse_rows(path, bad, lines, "admissions missing, not a number or negative")
    duplicated = pd.Series(day).duplicated(keep=False).to_numpy()
    _refuse_rows(path, duplicated, lines, f"the same {what} more than once (one row per {what})")
    admissions = counts.to_numpy(dtype=float)
    order = np.argsort(day, kind="stable")
    series = DailyAdmissions(
        day=day[order], admissions=admissions[order], first_date=first_date, path=path
    )
    check_series(series)
    if np.any(admissions != np.round(admissions)):
        series.notes.append(
            f"{path}: admissions that are not whole numbers — the Poisson fit treats them as "
            "counts; a smoothed series (e.g. 7-day means) understates the noise: give daily counts"
        )
    return series


def _refuse_rows(path: Path, bad: np.ndarray, lines: np.ndarray, what: str) -> None:
    if bad.any():
        shown = ", ".join(str(n) for n in lines[bad][:20])
        more = " …" if bad.sum() > 20 else ""
        msg = f"{path}: {int(bad.sum())} row(s) with {what} (line(s) {shown}{more}) — fix them"
        raise InputError(msg)


def check_series(series: DailyAdmissions) -> None:
    """Refuse a series too short or empty to refit a surge on (:class:`InputError`)."""
    if len(series.day) < MIN_DAYS:
        msg = (
            f"{series.where}: {len(series.day)} day(s) of admissions — a surge is refitted on at "
            f"least {MIN_DAYS} days; wait for more days or keep the plan's surge"
        )
        raise InputError(msg)
    if not np.any(series.admissions > 0):
        msg = (
            f"{series.where}: every day has 0 admissions — no growth to fit a surge to; check "
            "the 'admissions' column (the region's admissions per day, all causes)"
        )
        raise InputError(msg)


def region_baseline(
    areas: pd.DataFrame,
    *,
    population: str,
    age_bands: dict[str, str],
    demand: DemandOptions,
    los: LosModel | None = None,
) -> tuple[float, float]:
    """B and N of the fit: the region's admissions per day without the surge, and its persons.

    ``areas``, ``population``, ``age_bands``, ``demand`` and ``los`` as for
    :func:`geoalloc.demand.area_needs.area_needs` (rates from the history when it has area ids,
    the surge multiplier applied; ``[demand.cases]`` is not, as it is the planning run's).
    """
    from geoalloc.demand.area_needs import area_needs

    needs = area_needs(
        areas,
        population=population,
        age_bands=age_bands,
        options=demand.model_copy(
            update={"surge": demand.surge.model_copy(update={"kind": "none"})}
        ),
        los=los,
    )
    persons = float(pd.to_numeric(areas[population], errors="coerce").fillna(0.0).sum())
    return float(needs["admissions_per_day"].sum()), persons


@dataclass(frozen=True)
class SurgeFit:
    """A surge refitted to observed daily admissions.

    Attributes
    ----------
    kind
        ``"sir"`` or ``"table"``.
    surge
        The refitted ``[demand.surge]`` (its day 0 is the first observed day).
    plan
        The ``[demand.surge]`` the plan had.
    parameters
        One row per parameter: ``name``, ``plan`` (the scenario's value), ``estimate``,
        ``ci_low``, ``ci_high`` (NaN where not estimated; ±inf where the data do not bound it),
        ``fitted`` (False: held at the scenario's value).
    daily
        Index: day (0 = the first observed day). ``date`` (when known), ``observed``,
        ``expected`` (SIR: the fitted λ; table: the plan's table, B × multiplier), ``baseline``
        (B), ``pearson_residual`` ((observed − expected) ÷ √expected).
    baseline_admissions_per_day, population
        B and N.
    log_likelihood, deviance, pearson_dispersion
        Of the fit (SIR); the plan's table against the data (table: deviance with K degrees of
        freedom, dispersion ÷ K).
    p_value
        SIR: the likelihood-ratio test of the plan's doubling time (dispersion-adjusted); table:
        the deviance test of the plan's table on the observed days.
    level
        The intervals' coverage.
    first_date
        The date of day 0, or None.
    notes
        What the fit noticed (an estimate at a search bound, a dispersion above 1, …).
    """

    kind: Literal["sir", "table"]
    surge: SurgeOptions
    plan: SurgeOptions
    parameters: pd.DataFrame
    daily: pd.DataFrame
    baseline_admissions_per_day: float
    population: float
    log_likelihood: float
    deviance: float
    pearson_dispersion: float
    p_value: float
    level: float = LEVEL
    first_date: pd.Timestamp | None = None
    notes: list[str] = field(default_factory=list)

    def parameter(self, name: str) -> pd.Series:
        """The row of one parameter."""
        return self.parameters.set_index("name").loc[name]

    def to_dict(self) -> dict[str, Any]:
        """For ``summary.json``: the parameters, the fit's figures and the daily table."""
        params = self.parameters.astype(object).where(self.parameters.notna(), None)
        rows = []
        for row in params.to_dict(orient="records"):
            rows.append({k: _finite_or_text(v) for k, v in row.items()})
        daily = self.daily.reset_index()
        daily = daily.replace([np.inf, -np.inf], np.nan)
        if "date" in daily.columns:
            daily["date"] = daily["date"].dt.strftime("%Y-%m-%d")
        return {
            "kind": self.kind,
            "days_observed": len(self.daily),
            "first_date": None if self.first_date is None else self.first_date.strftime("%Y-%m-%d"),
            "baseline_admissions_per_day": self.baseline_admissions_per_day,
            "population": _number(self.population),
            "parameters": rows,
            "log_likelihood": _number(self.log_likelihood),
            "deviance": _number(self.deviance),
            "pearson_dispersion": _number(self.pearson_dispersion),
            "p_value": _number(self.p_value),
            "level": self.level,
            "notes": list(self.notes),
            "daily": daily.astype(object).where(daily.notna(), None).to_dict(orient="records"),
        }


def _number(value: float) -> float | None:
    """JSON has no NaN: a figure the fit does not have is None."""
    return None if math.isnan(value) else float(value)


def _finite_or_text(value: Any) -> Any:
    """JSON has no infinity: an unbounded interval end is written as "inf" / "-inf"."""
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


class _SirLikelihood:
    """−ℓ (Poisson, without the constant) of the SIR surge at (log T, log i₀)."""

    def __init__(
        self, series: DailyAdmissions, plan: SurgeOptions, baseline: float, scale: float
    ) -> None:
        self.day = series.day
        self.y = series.admissions
        self.days = int(series.day.max()) + 1
        self.plan = plan
        self.baseline = baseline
        self.scale = scale  # N · h · m

    def expected(self, doubling_days: float, initial_share: float) -> np.ndarray:
        new = sir_daily_new(
            growth_rate_per_day=2.0 ** (1.0 / doubling_days) - 1.0,
            infectious_days=self.plan.infectious_days,
            initial_infected_share=initial_share,
            social_distancing=self.plan.social_distancing,
            days=self.days,
        )
        return self.baseline + self.scale * new[self.day]

    def __call__(self, x: np.ndarray) -> float:
        lam = self.expected(math.exp(x[0]), math.exp(x[1]))
        lam = np.maximum(lam, 1e-300)
        return float(np.sum(lam - self.y * np.log(lam)))

    def profile(self, log_doubling: float) -> tuple[float, float]:
        """min over log i₀ of −ℓ at this doubling time, and the log i₀ that reaches it."""
        return _minimum(
            lambda v: self(np.array([log_doubling, v])),
            (math.log(MIN_INITIAL_SHARE), math.log(MAX_INITIAL_SHARE)),
        )

    def profile_share(self, log_share: float) -> tuple[float, float]:
        """min over log T of −ℓ at this initial infected share, and the log T that reaches it."""
        return _minimum(
            lambda v: self(np.array([v, log_share])),
            (math.log(MIN_DOUBLING_DAYS), math.log(MAX_DOUBLING_DAYS)),
        )


def _minimum(function: Any, bounds: tuple[float, float]) -> tuple[float, float]:
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(function, bounds=bounds, method="bounded", options={"xatol": 1e-9})
    return float(res.fun), float(res.x)


def _start(
    series: DailyAdmissions, plan: SurgeOptions, baseline: float, scale: float
) -> list[tuple[float, float]]:
    """Starting points: a log-linear fit of the excess admissions, and the scenario's values."""
    excess = np.maximum(series.admissions - baseline, 0.5)
    slope, intercept = np.polyfit(series.day.astype(float), np.log(excess), 1)
    starts = []
    growth = math.expm1(slope)
    g_lo = 2.0 ** (1.0 / MAX_DOUBLING_DAYS) - 1.0
    g_hi = 2.0 ** (1.0 / MIN_DOUBLING_DAYS) - 1.0
    gamma = 1.0 / plan.infectious_days
    for g in (min(max(growth, 2 * g_lo), g_hi / 2), 2.0 ** (1.0 / plan.doubling_time_days) - 1.0):
        new0 = math.exp(intercept) / scale
        i0 = new0 / ((g + gamma) * (1.0 - plan.social_distancing))
        i0 = min(max(i0, 10 * MIN_INITIAL_SHARE), MAX_INITIAL_SHARE / 2)
        starts.append((math.log(math.log(2.0) / math.log1p(g)), math.log(i0)))
    return starts


def fit_sir_surge(
    series: DailyAdmissions,
    plan: SurgeOptions,
    *,
    baseline_admissions_per_day: float,
    population: float,
    level: float = LEVEL,
) -> SurgeFit:
    """Fit the SIR surge's doubling time and initial infected share to daily admissions.

    Parameters
    ----------
    series
        The observed days (:func:`read_daily_admissions`).
    plan
        The scenario's ``[demand.surge]`` (``kind = "sir"``): its other parameters are held.
    baseline_admissions_per_day
        B: the region's admissions per day without the surge (the scenario's demand).
    population
        N: the region's population (persons).
    level
        Coverage of the profile-likelihood interval.

    Returns
    -------
    SurgeFit
        See the module's documentation for the model.
    """
    from scipy import optimize, stats

    check_series(series)
    scale = population * plan.hospitalised_share * plan.market_share
    if scale <= 0:
        msg = (
            "[demand.surge] hospitalised_share × market_share × population is 0: the SIR adds no "
            "admissions, so there is nothing to fit — set hospitalised_share (CHIME: 0.025)"
        )
        raise InputError(msg)
    nll = _SirLikelihood(series, plan, baseline_admissions_per_day, scale)
    bounds = [
        (math.log(MIN_DOUBLING_DAYS), math.log(MAX_DOUBLING_DAYS)),
        (math.log(MIN_INITIAL_SHARE), math.log(MAX_INITIAL_SHARE)),
    ]
    best = None
    for x0 in _start(series, plan, baseline_admissions_per_day, scale):
        res = optimize.minimize(
            nll,
            np.array(x0),
            method="Nelder-Mead",
            bounds=bounds,
            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 5000, "maxfev": 10000},
        )
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    # polish: restart the simplex at the optimum (Nelder-Mead can stall on a ridge)
    best = optimize.minimize(
        nll,
        best.x,
        method="Nelder-Mead",
        bounds=bounds,
        options={"xatol": 1e-12, "fatol": 1e-13, "maxiter": 5000, "maxfev": 10000},
    )
    log_t, log_i0 = (float(v) for v in best.x)
    f_hat = float(best.fun)
    lam = nll.expected(math.exp(log_t), math.exp(log_i0))
    y = series.admissions
    k = len(y)
    dispersion = float(np.sum((y - lam) ** 2 / lam) / (k - 2))
    deviance = _deviance(y, lam)
    # the likelihood-ratio statistic's reference: χ²₁ for Poisson counts; with the dispersion
    # estimated (φ̂ > 1), the statistic ÷ φ̂ against F(1, K − 2) (quasi-likelihood)
    if dispersion > 1.0:
        threshold = stats.f.ppf(level, 1, k - 2) * dispersion / 2.0
    else:
        threshold = stats.chi2.ppf(level, 1) / 2.0
    notes = list(series.notes)

    def excess(log_doubling: float) -> float:
        value, _ = nll.profile(log_doubling)
        return value - f_hat - threshold

    def excess_share(log_share: float) -> float:
        value, _ = nll.profile_share(log_share)
        return value - f_hat - threshold

    low, high = _interval(excess, log_t, bounds[0])
    share_low, share_high = _interval(excess_share, log_i0, bounds[1])
    if dispersion > 1.5:
        notes.append(
            f"the admissions vary {dispersion:.2g} times as much as Poisson counts would: the "
            "interval is widened by that factor (quasi-likelihood)"
        )
    for name, value, (lo, hi) in (("doubling time", log_t, bounds[0]), ("i0", log_i0, bounds[1])):
        if min(value - lo, hi - value) < 1e-6:
            notes.append(f"the {name} estimate lies at the edge of its search range")
    if math.isinf(high):
        notes.append(
            f"the data do not bound the doubling time from above (up to {MAX_DOUBLING_DAYS:g} "
            "days fits them): the surge may not be growing"
        )
    plan_log_t = math.log(plan.doubling_time_days)
    plan_nll, _ = nll.profile(plan_log_t)
    lr = max(0.0, 2.0 * (plan_nll - f_hat))
    p_value = float(
        stats.f.sf(lr / dispersion, 1, k - 2) if dispersion > 1.0 else stats.chi2.sf(lr, 1)
    )
    fitted = plan.model_copy(
        update={
            "doubling_time_days": math.exp(log_t),
            "initial_infected_share": math.exp(log_i0),
            "days": max(plan.days, int(series.day.max()) + 1),
        }
    )
    held = ("infectious_days", "social_distancing", "hospitalised_share", "market_share")
    parameters = pd.DataFrame(
        [
            {
                "name": "doubling_time_days",
                "plan": plan.doubling_time_days,
                "estimate": math.exp(log_t),
                "ci_low": math.exp(low) if math.isfinite(low) else 0.0,
                "ci_high": math.exp(high) if math.isfinite(high) else math.inf,
                "fitted": True,
            },
            {
                "name": "initial_infected_share",
                "plan": plan.initial_infected_share,
                "estimate": math.exp(log_i0),
                "ci_low": math.exp(share_low) if math.isfinite(share_low) else 0.0,
                "ci_high": math.exp(share_high) if math.isfinite(share_high) else math.inf,
                "fitted": True,
            },
            *(
                {
                    "name": name,
                    "plan": float(getattr(plan, name)),
                    "estimate": float(getattr(plan, name)),
                    "ci_low": math.nan,
                    "ci_high": math.nan,
                    "fitted": False,
                }
                for name in held
            ),
        ]
    )
    return SurgeFit(
        kind="sir",
        surge=fitted,
        plan=plan,
        parameters=parameters,
        daily=_daily_table(series, lam, baseline_admissions_per_day),
        baseline_admissions_per_day=float(baseline_admissions_per_day),
        population=float(population),
        log_likelihood=-f_hat - float(np.sum(_log_factorial(y))),
        deviance=deviance,
        pearson_dispersion=dispersion,
        p_value=p_value,
        level=level,
        first_date=series.first_date,
        notes=notes,
    )


def _interval(excess: Any, estimate: float, bounds: tuple[float, float]) -> tuple[float, float]:
    """Where ``excess`` (the profile's rise above the threshold) crosses 0 on each side of the
    estimate, on the log scale; ∓inf where it stays below 0 up to the search bound."""
    from scipy.optimize import brentq

    ends = []
    for bound in bounds:
        if abs(bound - estimate) < 1e-9 or excess(bound) < 0:
            ends.append(-math.inf if bound < estimate else math.inf)
        else:
            ends.append(brentq(excess, min(estimate, bound), max(estimate, bound), xtol=1e-8))
    return ends[0], ends[1]


def _deviance(y: np.ndarray, lam: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / lam), 0.0) - (y - lam)
    return float(2.0 * np.sum(term))


def _log_factorial(y: np.ndarray) -> np.ndarray:
    from scipy.special import gammaln

    return gammaln(y + 1.0)


def _daily_table(series: DailyAdmissions, expected: np.ndarray, baseline: float) -> pd.DataFrame:
    table = pd.DataFrame(index=pd.Index(series.day, name="day"))
    if series.first_date is not None:
        table["date"] = series.first_date + pd.to_timedelta(series.day, unit="D")
    table["observed"] = series.admissions
    table["expected"] = expected
    table["baseline"] = baseline
    with np.errstate(divide="ignore", invalid="ignore"):
        table["pearson_residual"] = (series.admissions - expected) / np.sqrt(expected)
    return table


def fit_table_surge(
    series: DailyAdmissions, plan: SurgeOptions, *, baseline_admissions_per_day: float
) -> SurgeFit:
    """Put the observed days in a ``kind = "table"`` surge (see the module's documentation).

    The drift test: the plan's table on the observed days (λ_d = B × multiplier_d, day 0 = the
    first observed day) against the observed counts, Poisson deviance with K degrees of freedom.
    """
    from scipy import stats

    check_series(series)
    base = float(baseline_admissions_per_day)
    if base <= 0:
        msg = (
            f"{series.where}: the scenario's demand has no baseline admissions to turn the "
            "observed admissions into multipliers — check [demand] admissions_per_1000"
        )
        raise InputError(msg)
    old = table_multipliers(plan, base)
    length = max(len(old), int(series.day.max()) + 1)
    new = np.ones(length)
    new[: len(old)] = old
    plan_on_days = np.where(series.day < len(old), new[np.minimum(series.day, length - 1)], 1.0)
    new[series.day] = series.admissions / base
    expected_plan = base * plan_on_days
    y = series.admissions
    k = len(y)
    deviance = _deviance(y, np.maximum(expected_plan, 1e-300))
    dispersion = float(np.sum((y - expected_plan) ** 2 / np.maximum(expected_plan, 1e-300)) / k)
    fitted = plan.model_copy(update={"multipliers": [float(v) for v in new], "path": None})
    parameters = pd.DataFrame(
        [
            {
                "name": "admissions_observed_over_plan",
                "plan": 1.0,
                "estimate": float(y.sum() / expected_plan.sum()),
                "ci_low": math.nan,
                "ci_high": math.nan,
                "fitted": True,
            }
        ]
    )
    table = _daily_table(series, expected_plan, base)
    return SurgeFit(
        kind="table",
        surge=fitted,
        plan=plan,
        parameters=parameters,
        daily=table,
        baseline_admissions_per_day=base,
        population=math.nan,
        log_likelihood=math.nan,
        deviance=deviance,
        pearson_dispersion=dispersion,
        p_value=float(stats.chi2.sf(deviance, k)),
        first_date=series.first_date,
        notes=list(series.notes),
    )


def fit_surge(
    series: DailyAdmissions,
    plan: SurgeOptions,
    *,
    baseline_admissions_per_day: float,
    population: float,
    level: float = LEVEL,
) -> SurgeFit:
    """Refit the scenario's surge to daily admissions: :func:`fit_sir_surge` for an SIR surge,
    :func:`fit_table_surge` for a table. A scenario without a surge cannot be refitted
    (:class:`InputError`: add a ``[demand.surge]``)."""
    if plan.kind == "sir":
        return fit_sir_surge(
            series,
            plan,
            baseline_admissions_per_day=baseline_admissions_per_day,
            population=population,
            level=level,
        )
    if plan.kind == "table":
        return fit_table_surge(
            series, plan, baseline_admissions_per_day=baseline_admissions_per_day
        )
    msg = (
        f"{series.where}: the plan has no [demand.surge] to refit on these daily admissions — "
        'add one to the scenario (e.g. [demand.surge] kind = "sir", doubling_time_days = 4.0, '
        "hospitalised_share = 0.025) and give that scenario to the update, or leave out the "
        "admissions"
    )
    raise InputError(msg)


@dataclass(frozen=True)
class SurgeDrift:
    """The plan's surge against the refitted one.

    Attributes
    ----------
    fit
        The refit.
    changed
        SIR: the plan's doubling time lies outside the refit's interval; table: the deviance
        test rejects the plan's table at ``alpha``.
    verdict
        The finding in plain words.
    """

    fit: SurgeFit
    changed: bool
    verdict: str
    alpha: float

    def to_dict(self) -> dict[str, Any]:
        """The ``update.drift.surge`` block of ``summary.json``."""
        out = {"changed": self.changed, "verdict": self.verdict, "alpha": self.alpha}
        out.update(self.fit.to_dict())
        return out


def surge_drift(fit: SurgeFit, alpha: float = 1.0 - LEVEL) -> SurgeDrift:
    """Whether the observed admissions moved the surge beyond the noise (see :class:`SurgeDrift`).

    For an SIR surge the interval is the fit's (at its level; ``alpha`` is only reported) and the
    verdict says whether the surge is growing faster or slower than the plan assumed.
    """
    days = len(fit.daily)
    if fit.kind == "sir":
        row = fit.parameter("doubling_time_days")
        plan_t, est, low, high = (
            float(row["plan"]),
            float(row["estimate"]),
            float(row["ci_low"]),
            float(row["ci_high"]),
        )
        changed = not (low <= plan_t <= high)
        upper = "no upper bound" if math.isinf(high) else f"{high:.1f}"
        where = (
            f"surge: doubling time {plan_t:g} days in the plan, {est:.1f} days "
            f"({100 * fit.level:.0f} % interval {low:.1f} to {upper}) on the {days} days observed"
        )
        if not changed:
            verdict = f"{where} — consistent with the plan (LR p = {fit.p_value:.2g})"
        elif est < plan_t:
            verdict = (
                f"{where} — the surge is growing faster than the plan assumed "
                f"(LR p = {fit.p_value:.2g})"
            )
        else:
            verdict = (
                f"{where} — the surge is growing slower than the plan assumed "
                f"(LR p = {fit.p_value:.2g})"
            )
        return SurgeDrift(fit=fit, changed=changed, verdict=verdict, alpha=1.0 - fit.level)
    ratio = float(fit.parameter("admissions_observed_over_plan")["estimate"])
    changed = fit.p_value < alpha
    verdict = (
        f"surge table: the {days} days observed have {ratio:.2f} times the admissions the plan's "
        f"table expected (Poisson deviance {fit.deviance:.1f} on {days} df, p = {fit.p_value:.2g})"
        + (
            " — the plan's table does not fit them; the observed days replace its first days"
            if changed
            else " — consistent with the plan"
        )
    )
    return SurgeDrift(fit=fit, changed=changed, verdict=verdict, alpha=alpha)
