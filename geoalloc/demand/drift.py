"""Has the data changed since the plan was made? Drift tests on length of stay and admission rates.

A plan assumes a length-of-stay (LOS) distribution and admission rates per area or band. When new
admissions come in, these tests say whether they differ from what the plan assumed by more than
chance would explain — and by how much, in the units a planner uses (days, share of long stays,
admissions per 1,000 people per year) — so that a change below the noise can be left alone.

LOS (:func:`los_drift`), two samples of stays (days), old and new:

- **Mann–Whitney U** (two-sided): do new stays tend to be longer or shorter than old ones? It makes
  no assumption on the shape of the distribution (LOS is skewed). Its effect size is the
  **Hodges–Lehmann shift** (the median of all new − old differences, in days), with a distribution-
  free confidence interval from the U statistic's normal approximation (Hollander & Wolfe).
- **Two-sample Kolmogorov–Smirnov**: has the shape changed (e.g. more long stays at the same median)?
- **P(LOS > k)**, the long-stay share the plan's LOS risk uses, old vs new, with Newcombe's hybrid
  Wilson interval for the difference of two proportions (Newcombe 1998, method 10).
- the mean LOS, old vs new, with Welch's interval for the difference (bed-days scale with the mean).

A change is reported when the Mann–Whitney or the Kolmogorov–Smirnov test rejects at ``alpha``
(two tests at ``alpha / 2`` each: Bonferroni, so the chance of a false alarm stays ≤ ``alpha``).

Admission rates (:func:`rate_drift`), counts and person-years per key (area, age band), old and new:

- the **rate ratio** new ÷ old with its **exact conditional interval**: given the total ``n = a + b``,
  the new count ``b`` is binomial with ``π = E_new·RR ÷ (E_old + E_new·RR)``; Clopper–Pearson limits
  on ``π`` give limits on ``RR = π/(1 − π) · E_old/E_new``;
- the **exact two-sided p-value** of RR = 1 (twice the smaller binomial tail, capped at 1), adjusted
  across keys by **Holm**'s step-down method so that the chance of any false alarm over all areas
  stays ≤ ``alpha``.

References: Hollander, Wolfe & Chicken, *Nonparametric Statistical Methods* (3rd ed., 2014), §4.3;
Newcombe, *Statistics in Medicine* 17:873–890 (1998); Rothman, Greenland & Lash, *Modern
Epidemiology* (3rd ed.), ch. 14 (exact intervals for a rate ratio); Holm, *Scand. J. Statist.* 6:65–70
(1979).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from geoalloc._errors import InputError

#: the default level of every test: a false alarm in at most 5 % of updates where nothing changed
ALPHA = 0.05


def _z(level: float) -> float:
    from scipy import special

    return float(special.ndtri(0.5 + level / 2))


@dataclass(frozen=True)
class LosDrift:
    """What changed in length of stay between two samples of stays (days).

    Attributes
    ----------
    n_old, n_new
        Stays in each sample.
    mean_old_days, mean_new_days, mean_difference_days, mean_difference_ci_days
        Mean LOS and the new − old difference with Welch's interval (bed-days scale with the mean).
    median_old_days, median_new_days
        Median LOS.
    shift_days, shift_ci_days
        Hodges–Lehmann shift (median of new − old differences) and its distribution-free interval.
    risk_days, p_longer_old, p_longer_new, p_longer_difference, p_longer_difference_ci
        The long-stay share P(LOS > risk_days), old and new, and the difference with Newcombe's
        interval.
    mann_whitney_p, ks_p
        Two-sided p-values of the Mann–Whitney U and two-sample Kolmogorov–Smirnov tests.
    alpha, changed
        The level and whether either test rejects at ``alpha / 2`` (Bonferroni over the two).
    verdict
        One line in plain words.
    """

    n_old: int
    n_new: int
    mean_old_days: float
    mean_new_days: float
    mean_difference_days: float
    mean_difference_ci_days: tuple[float, float]
    median_old_days: float
    median_new_days: float
    shift_days: float
    shift_ci_days: tuple[float, float]
    risk_days: float
    p_longer_old: float
    p_longer_new: float
    p_longer_difference: float
    p_longer_difference_ci: tuple[float, float]
    mann_whitney_p: float
    ks_p: float
    alpha: float
    changed: bool
    verdict: str

    def to_dict(self) -> dict:
        """The figures as plain JSON values (for ``summary.json``)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


def _stays(values: object, which: str) -> np.ndarray:
    days = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(days) | (days < 0)
    if bad.any():
        rows = ", ".join(str(i) for i in np.flatnonzero(bad)[:5])
        msg = (
            f"{which} LOS: {int(bad.sum())} value(s) that are not days ≥ 0 (positions {rows}) — "
            "leave out open stays and fix the values"
        )
        raise InputError(msg)
    if len(days) < 2:
        msg = (
            f"{which} LOS: {len(days)} stay(s) — a drift test needs at least 2 stays in each sample"
        )
        raise InputError(msg)
    return days


def _hodges_lehmann(old: np.ndarray, new: np.ndarray, level: float) -> tuple[float, float, float]:
    """Shift estimate and interval from the sorted pairwise differences new − old.

    The interval's ranks come from the U statistic's normal approximation (with the tie-free
    variance); with more than 4 million pairs the differences are taken on a seeded subsample of
    each side (2,000 stays), which keeps the estimate and widens nothing by design.
    """
    limit = 2_000
    if len(old) * len(new) > limit * limit:
        rng = np.random.default_rng(0)
        old = rng.choice(old, size=min(limit, len(old)), replace=False)
        new = rng.choice(new, size=min(limit, len(new)), replace=False)
    diffs = np.sort((new[:, None] - old[None, :]).ravel())
    m, n = len(old), len(new)
    mn = m * n
    z = _z(level)
    half = z * math.sqrt(mn * (m + n + 1) / 12.0)
    k = int(math.floor(mn / 2.0 - half))  # the k-th smallest and k-th largest difference
    k = min(max(k, 1), mn)
    return float(np.median(diffs)), float(diffs[k - 1]), float(diffs[mn - k])


def _wilson(successes: float, n: int, z: float) -> tuple[float, float]:
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _newcombe(a: float, m: int, b: float, n: int, level: float) -> tuple[float, float]:
    """Newcombe's hybrid Wilson interval (method 10) for p_new − p_old, p_old = a/m, p_new = b/n."""
    z = _z(level)
    p_old, p_new = a / m, b / n
    lo_old, hi_old = _wilson(a, m, z)
    lo_new, hi_new = _wilson(b, n, z)
    d = p_new - p_old
    lower = d - math.sqrt((p_new - lo_new) ** 2 + (hi_old - p_old) ** 2)
    upper = d + math.sqrt((hi_new - p_new) ** 2 + (p_old - lo_old) ** 2)
    return lower, upper


def _welch(old: np.ndarray, new: np.ndarray, level: float) -> tuple[float, float]:
    from scipy import special

    var_old, var_new = old.var(ddof=1) / len(old), new.var(ddof=1) / len(new)
    se = math.sqrt(var_old + var_new)
    d = float(new.mean() - old.mean())
    if se == 0:
        return d, d
    dof = (var_old + var_new) ** 2 / (var_old**2 / (len(old) - 1) + var_new**2 / (len(new) - 1))
    t = float(special.stdtrit(dof, 0.5 + level / 2))
    return d - t * se, d + t * se


def los_drift(
    old_days: object,
    new_days: object,
    *,
    risk_days: float = 7.0,
    alpha: float = ALPHA,
) -> LosDrift:
    """Test whether the new stays' LOS differs from the old ones', with effect sizes in days.

    Parameters
    ----------
    old_days, new_days
        Lengths of stay in days (array-like), one per completed stay.
    risk_days
        ``k`` of the long-stay share P(LOS > k) (the plan's ``[demand] risk_days``).
    alpha
        Chance of a false alarm when nothing changed (0.05: one update in twenty).

    Returns
    -------
    LosDrift
        The figures, intervals at level ``1 − alpha`` and the verdict.

    Raises
    ------
    InputError
        A value that is not a number of days ≥ 0, or fewer than 2 stays in a sample.
    """
    from scipy import stats

    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1 (got {alpha})")
    old = _stays(old_days, "old")
    new = _stays(new_days, "new")
    level = 1 - alpha
    if np.ptp(np.concatenate([old, new])) == 0:  # every stay equal: nothing can have changed
        mw_p = ks_p = 1.0
    else:
        mw_p = float(stats.mannwhitneyu(new, old, alternative="two-sided").pvalue)
        ks_p = float(stats.ks_2samp(new, old).pvalue)
    shift, shift_lo, shift_hi = _hodges_lehmann(old, new, level)
    long_old, long_new = float((old > risk_days).sum()), float((new > risk_days).sum())
    p_old, p_new = long_old / len(old), long_new / len(new)
    mean_lo, mean_hi = _welch(old, new, level)
    changed = min(mw_p, ks_p) < alpha / 2
    mean_old, mean_new = float(old.mean()), float(new.mean())
    if changed:
        direction = "longer" if shift > 0 or (shift == 0 and mean_new > mean_old) else "shorter"
        verdict = (
            f"LOS changed: new stays are {direction} (shift {shift:+.2f} days, "
            f"{shift_lo:+.2f} to {shift_hi:+.2f}; mean {mean_old:.2f} → {mean_new:.2f} days; "
            f"P(LOS > {risk_days:g} d) {p_old:.1%} → {p_new:.1%}); "
            f"Mann–Whitney p = {mw_p:.2g}, Kolmogorov–Smirnov p = {ks_p:.2g}"
        )
    else:
        verdict = (
            f"no LOS change beyond the noise (mean {mean_old:.2f} → {mean_new:.2f} days, "
            f"Mann–Whitney p = {mw_p:.2g}, Kolmogorov–Smirnov p = {ks_p:.2g}, level {alpha:g})"
        )
    return LosDrift(
        n_old=len(old),
        n_new=len(new),
        mean_old_days=mean_old,
        mean_new_days=mean_new,
        mean_difference_days=mean_new - mean_old,
        mean_difference_ci_days=(mean_lo, mean_hi),
        median_old_days=float(np.median(old)),
        median_new_days=float(np.median(new)),
        shift_days=shift,
        shift_ci_days=(shift_lo, shift_hi),
        risk_days=float(risk_days),
        p_longer_old=p_old,
        p_longer_new=p_new,
        p_longer_difference=p_new - p_old,
        p_longer_difference_ci=_newcombe(long_old, len(old), long_new, len(new), level),
        mann_whitney_p=mw_p,
        ks_p=ks_p,
        alpha=alpha,
        changed=bool(changed),
        verdict=verdict,
    )


RATE_COLUMNS = ("admissions", "person_years")


def _rate_table(table: pd.DataFrame, which: str) -> pd.DataFrame:
    missing = [c for c in RATE_COLUMNS if c not in table.columns]
    if missing:
        msg = (
            f"{which} rates: no column(s) {missing} — give one row per area or band with "
            f"'admissions' (a count) and 'person_years' (the population × years observed)"
        )
        raise InputError(msg)
    if table.index.has_duplicates:
        dup = sorted({str(i) for i in table.index[table.index.duplicated()]})[:5]
        raise InputError(f"{which} rates: keys given twice: {', '.join(dup)} — one row per key")
    out = table[list(RATE_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    bad = out.index[
        ~(out["admissions"] >= 0)
        | ~(out["person_years"] > 0)
        | (out["admissions"] != np.round(out["admissions"]))
    ]
    if len(bad):
        keys = ", ".join(str(k) for k in bad[:5])
        msg = (
            f"{which} rates: rows {keys} need whole admissions ≥ 0 and person_years > 0 — "
            "fix these rows"
        )
        raise InputError(msg)
    return out


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error ≤ the level over all keys)."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    m = len(p)
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def rate_drift(old: pd.DataFrame, new: pd.DataFrame, *, alpha: float = ALPHA) -> pd.DataFrame:
    """Per key (area or age band): has the admission rate changed? Exact rate ratios, Holm-adjusted.

    Parameters
    ----------
    old, new
        Indexed by the key, with ``admissions`` (whole counts) and ``person_years`` (> 0: the
        population × the years the counts cover). Every key of either table appears in the result;
        a key in only one of them is flagged ``compared = False`` and not tested.
    alpha
        Chance of any false alarm over all keys when nothing changed.

    Returns
    -------
    pandas.DataFrame
        One row per key: ``admissions_old``, ``admissions_new``, ``rate_old_per_1000``,
        ``rate_new_per_1000`` (admissions per 1,000 person-years), ``rate_ratio`` (new ÷ old;
        ``inf`` when nothing was admitted before), ``ratio_ci_low``, ``ratio_ci_high`` (exact, level
        ``1 − alpha``), ``p_value`` (exact, two-sided), ``p_adjusted`` (Holm), ``changed``
        (``p_adjusted < alpha``), ``compared``.
    """
    from scipy import special

    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1 (got {alpha})")
    old_t, new_t = _rate_table(old, "old"), _rate_table(new, "new")
    keys = old_t.index.union(new_t.index, sort=False)
    both = keys.isin(old_t.index) & keys.isin(new_t.index)
    o = old_t.reindex(keys)
    n = new_t.reindex(keys)
    a = o["admissions"].to_numpy(dtype=float)
    b = n["admissions"].to_numpy(dtype=float)
    e_old = o["person_years"].to_numpy(dtype=float)
    e_new = n["person_years"].to_numpy(dtype=float)
    total = a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (b / e_new) / (a / e_old)
        ratio = np.where((a == 0) & (b == 0), np.nan, ratio)
        pi0 = e_new / (e_old + e_new)
        # Clopper–Pearson limits on π = b / total, then RR = π/(1−π) · E_old/E_new
        pi_lo = np.where(b > 0, special.betaincinv(b, total - b + 1, alpha / 2), 0.0)
        pi_hi = np.where(b < total, special.betaincinv(b + 1, total - b, 1 - alpha / 2), 1.0)
        scale = e_old / e_new
        lo = pi_lo / (1 - pi_lo) * scale
        hi = np.where(pi_hi < 1, pi_hi / (1 - pi_hi) * scale, np.inf)
        # exact two-sided p: twice the smaller tail of Binomial(total, π0) at b, at most 1
        # (whole counts: scipy takes integer k; keys in one table only are masked below)
        b_int = np.nan_to_num(b).astype(np.int64)
        n_int = np.nan_to_num(total).astype(np.int64)
        pi0_all = np.nan_to_num(pi0, nan=0.5)
        lower_tail = special.bdtr(b_int, n_int, pi0_all)  # P(X ≤ b)
        upper_tail = np.where(
            b_int > 0, special.bdtrc(np.maximum(b_int - 1, 0), n_int, pi0_all), 1.0
        )  # P(X ≥ b)
        p = np.minimum(1.0, 2 * np.minimum(lower_tail, upper_tail))
    tested = both & (total > 0)
    p = np.where(tested, p, np.nan)
    adjusted = np.full(len(keys), np.nan)
    if tested.any():
        adjusted[tested] = holm(p[tested])
    out = pd.DataFrame(
        {
            "admissions_old": a,
            "admissions_new": b,
            "rate_old_per_1000": 1000 * a / e_old,
            "rate_new_per_1000": 1000 * b / e_new,
            "rate_ratio": ratio,
            "ratio_ci_low": np.where(tested, lo, np.nan),
            "ratio_ci_high": np.where(tested, hi, np.nan),
            "p_value": p,
            "p_adjusted": adjusted,
            "changed": tested & (np.nan_to_num(adjusted, nan=1.0) < alpha),
            "compared": both,
        },
        index=keys,
    )
    out.index.name = old.index.name or new.index.name or "key"
    return out
