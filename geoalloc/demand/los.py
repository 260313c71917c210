"""Length-of-stay (LOS) distributions fitted to a history, per case-mix group, and the LOS risk.

Each candidate distribution (lognormal, gamma, Weibull, exponential) is fitted by maximum likelihood
to the LOS *intervals* of :class:`~geoalloc.demand.history.History`: an exact LOS contributes its
density, a band ``[low, high)`` the probability ``F(high) − F(low)``, an open last band
``[low, ∞)`` the survival ``1 − F(low)`` (right-censored, so it does not bias the fit the way a
midpoint would), and an exact LOS of 0 the probability of less than one minute. The distribution
with the lowest AIC (2 × parameters − 2 × log-likelihood) is chosen; the empirical figures are kept
beside it for checks.

The LOS risk is P(LOS > k days) for the scenario's ``risk_days`` k.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geoalloc._errors import InputError
from geoalloc.demand.history import History

if TYPE_CHECKING:
    from scipy import stats

log = logging.getLogger(__name__)

DISTRIBUTIONS = ("lognormal", "gamma", "weibull", "exponential")
#: A fit's mean LOS may be at most this many times the longest LOS (or band end) in the rows.
MEAN_BEYOND_DATA = 10.0
#: An exact LOS of 0 is taken as "under one minute" (timestamps are to the minute at best).
ZERO_LOS_DAYS = 1.0 / 1440.0
#: Fewest rows a group needs for its own fit (2 parameters); smaller groups report "-".
MIN_ROWS_FIT = 5


@dataclass(frozen=True)
class LosFit:
    """One fitted LOS distribution (days).

    Attributes
    ----------
    distribution
        ``"lognormal"`` (params ``mu``, ``sigma`` of log-days), ``"gamma"`` (``shape``,
        ``scale_days``), ``"weibull"`` (``shape``, ``scale_days``) or ``"exponential"``
        (``scale_days``).
    params
        Parameter name → value.
    n
        Rows fitted (0 for an assumed distribution).
    loglik, aic
        Maximised log-likelihood and AIC (NaN for an assumed distribution).
    """

    distribution: str
    params: dict[str, float]
    n: int = 0
    loglik: float = math.nan
    aic: float = math.nan
    candidates: dict[str, float] = field(default_factory=dict)

    @classmethod
    def assumed(cls, mean_days: float) -> LosFit:
        """An exponential LOS with the given mean: the M/M/c assumption when there is no history."""
        if not mean_days > 0:
            msg = f"mean LOS must be > 0 days, got {mean_days!r}"
            raise ValueError(msg)
        return cls("exponential", {"scale_days": float(mean_days)})

    @property
    def frozen(self) -> stats.rv_continuous:
        """The scipy frozen distribution."""
        from scipy import stats  # here, not at import: a run without LOS figures skips scipy.stats

        p = self.params
        if self.distribution == "lognormal":
            return stats.lognorm(s=p["sigma"], scale=math.exp(p["mu"]))
        if self.distribution == "gamma":
            return stats.gamma(a=p["shape"], scale=p["scale_days"])
        if self.distribution == "weibull":
            return stats.weibull_min(c=p["shape"], scale=p["scale_days"])
        if self.distribution == "exponential":
            return stats.expon(scale=p["scale_days"])
        msg = f"unknown LOS distribution {self.distribution!r}"
        raise ValueError(msg)

    @property
    def mean_days(self) -> float:
        if self.distribution == "exponential":  # its scale, exactly: no scipy.stats to import
            return float(self.params["scale_days"])
        return float(self.frozen.mean())

    @property
    def median_days(self) -> float:
        return self.quantile_days(0.5)

    def quantile_days(self, q: float) -> float:
        if self.distribution == "exponential" and 0.0 <= q < 1.0:  # scipy's formula, not its
            from scipy import special  # scipy.stats import (~1 s of a run for two figures)

            return float(-special.log1p(-q) * self.params["scale_days"] + 0.0)
        return float(self.frozen.ppf(q))

    def p_longer(self, days: float) -> float:
        """LOS risk P(LOS > ``days``)."""
        if self.distribution == "exponential" and math.isfinite(days):  # scipy's formula
            x = float(days) / self.params["scale_days"]
            return 1.0 if x <= 0 else float(np.exp(-x))
        return float(self.frozen.sf(days))

    def survival(self, days: np.ndarray) -> np.ndarray:
        """P(LOS > d) for each d in ``days``."""
        return np.asarray(self.frozen.sf(np.asarray(days, dtype=float)), dtype=float)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` LOS draws in days.

        The same numbers, from the same ``rng`` state, as ``self.frozen.rvs(size=size,
        random_state=rng)``, drawn without building the scipy distribution and checking its
        arguments on every call (which took longer than the draws in the queue simulation).
        """
        p = self.params
        if self.distribution == "exponential":
            draws = rng.standard_exponential(size)
            draws *= p["scale_days"]
        elif self.distribution == "lognormal":
            draws = rng.standard_normal(size)
            draws *= p["sigma"]
            np.exp(draws, out=draws)
            draws *= math.exp(p["mu"])
        elif self.distribution == "gamma":
            draws = rng.standard_gamma(p["shape"], size)
            draws *= p["scale_days"]
        elif self.distribution == "weibull":  # scipy draws it by inverting the CDF
            from scipy import special

            u = rng.uniform(size=size)
            draws = pow(-special.log1p(-u), 1.0 / p["shape"])
            draws *= p["scale_days"]
            draws += 0.0  # scipy adds loc = 0, which turns the -0.0 of u = 0 (shape 1) into 0.0
        else:
            return np.asarray(self.frozen.rvs(size=size, random_state=rng), dtype=float)
        return draws

    def to_dict(self) -> dict:
        return {
            "distribution": self.distribution,
            "params": {k: float(v) for k, v in self.params.items()},
            "n": self.n,
            "aic": None if math.isnan(self.aic) else float(self.aic),
            "mean_days": self.mean_days,
            "median_days": self.median_days,
            "p90_days": self.quantile_days(0.9),
        }


def _params(name: str, theta: np.ndarray) -> dict[str, float]:
    if name == "lognormal":
        return {"mu": float(theta[0]), "sigma": math.exp(theta[1])}
    if name in ("gamma", "weibull"):
        return {"shape": math.exp(theta[0]), "scale_days": math.exp(theta[1])}
    return {"scale_days": math.exp(theta[0])}


def _start(name: str, mid: np.ndarray, w: np.ndarray) -> np.ndarray:
    mid = np.maximum(mid, ZERO_LOS_DAYS)
    mean = float(np.average(mid, weights=w))
    var = float(np.average((mid - mean) ** 2, weights=w)) or mean**2
    if name == "lognormal":
        logs = np.log(mid)
        m = float(np.average(logs, weights=w))
        s = math.sqrt(float(np.average((logs - m) ** 2, weights=w))) or 1.0
        return np.array([m, math.log(s)])
    if name == "gamma":
        k = mean**2 / var
        return np.array([math.log(k), math.log(mean / k)])
    if name == "weibull":
        return np.array([0.0, math.log(mean)])
    return np.array([math.log(mean)])


def _logpdf_sf(name: str, theta: np.ndarray) -> tuple:
    """Fast log-density and survival functions for parameters ``theta`` (log scale where > 0).

    Closed forms with :mod:`scipy.special` (building a frozen scipy distribution per evaluation
    is ~100× slower); :class:`LosFit.frozen` gives the same distributions for everything else.
    """
    from scipy import special

    if name == "lognormal":
        mu, sigma = float(theta[0]), math.exp(theta[1])

        def logpdf(x: np.ndarray) -> np.ndarray:
            z = (np.log(x) - mu) / sigma
            return -np.log(x * sigma) - 0.5 * math.log(2 * math.pi) - 0.5 * z * z

        def sf(x: np.ndarray) -> np.ndarray:
            with np.errstate(divide="ignore"):
                return special.ndtr(-(np.log(x) - mu) / sigma)

    elif name == "gamma":
        k, scale = math.exp(theta[0]), math.exp(theta[1])
        const = -special.gammaln(k) - k * math.log(scale)

        def logpdf(x: np.ndarray) -> np.ndarray:
            return (k - 1) * np.log(x) - x / scale + const

        def sf(x: np.ndarray) -> np.ndarray:
            return special.gammaincc(k, x / scale)

    elif name == "weibull":
        k, scale = math.exp(theta[0]), math.exp(theta[1])

        def logpdf(x: np.ndarray) -> np.ndarray:
            r = x / scale
            return math.log(k / scale) + (k - 1) * np.log(r) - r**k

        def sf(x: np.ndarray) -> np.ndarray:
            return np.exp(-((x / scale) ** k))

    else:
        scale = math.exp(theta[0])

        def logpdf(x: np.ndarray) -> np.ndarray:
            return -math.log(scale) - x / scale

        def sf(x: np.ndarray) -> np.ndarray:
            return np.exp(-x / scale)

    return logpdf, sf


def _negloglik(
    name: str,
    theta: np.ndarray,
    exact: np.ndarray,
    we: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    wi: np.ndarray,
) -> float:
    if not np.all(np.abs(theta) < 50):
        return math.inf
    logpdf, sf = _logpdf_sf(name, theta)
    total = 0.0
    with np.errstate(all="ignore"):
        if exact.size:
            total += float(np.dot(we, logpdf(exact)))
        if lo.size:
            prob = sf(lo) - sf(hi)
            total += float(np.dot(wi, np.log(np.maximum(prob, 1e-300))))
    return -total if math.isfinite(total) else math.inf


def fit_los(
    low_days: np.ndarray,
    high_days: np.ndarray,
    *,
    distributions: Sequence[str] = DISTRIBUTIONS,
    where: str = "history",
    weights: np.ndarray | None = None,
) -> LosFit:
    """Fit each candidate to LOS intervals by maximum likelihood; return the lowest-AIC one.

    Parameters
    ----------
    low_days, high_days
        Interval ends in days; ``low == high`` is an exact LOS, ``high = inf`` an open band.
    distributions
        Candidates, from :data:`DISTRIBUTIONS`.
    where
        Where the rows come from (the history file and its LOS column), for error messages.
    weights
        Optional weight ≥ 0 per row (e.g. older admissions weighing less when a history is pooled
        with new data); the likelihood is the weighted sum of the rows' log-likelihoods, and rows of
        weight 0 are left out. ``n`` of the fit counts the rows of weight > 0. Default: every row 1.
    """
    low = np.asarray(low_days, dtype=float)
    high = np.asarray(high_days, dtype=float)
    if weights is not None:
        row_w = np.asarray(weights, dtype=float)
        if row_w.shape != low.shape or not (np.isfinite(row_w) & (row_w >= 0)).all():
            msg = f"{where}: LOS weights must be one finite number ≥ 0 per row"
            raise InputError(msg)
        kept = row_w > 0
        low, high, row_w = low[kept], high[kept], row_w[kept]
    else:
        row_w = np.ones(low.shape)
    if low.size == 0:
        msg = "cannot fit an LOS distribution to no rows"
        raise InputError(msg)
    is_exact = (low == high) & (low > 0)
    zero = (low == high) & (low <= 0)
    lo = np.where(zero, 0.0, low)
    hi = np.where(zero, ZERO_LOS_DAYS, high)
    # group identical rows: banded data have few distinct intervals
    ex_vals, ex_inverse = np.unique(low[is_exact], return_inverse=True)
    ex_w = np.bincount(ex_inverse, weights=row_w[is_exact], minlength=len(ex_vals))
    pairs = np.column_stack([lo[~is_exact], hi[~is_exact]])
    iv_w: np.ndarray = np.empty(0)
    iv_lo = iv_hi = np.empty(0)
    if pairs.size:
        iv, iv_inverse = np.unique(pairs, axis=0, return_inverse=True)
        iv_w = np.bincount(iv_inverse.ravel(), weights=row_w[~is_exact], minlength=len(iv))
        iv_lo, iv_hi = iv[:, 0], iv[:, 1]
    mid = np.concatenate(
        [ex_vals, np.where(np.isinf(iv_hi), iv_lo * 1.5 + 1.0, (iv_lo + iv_hi) / 2)]
    )
    weights = np.concatenate([ex_w, iv_w]).astype(float)
    n = int(low.size)
    ends = np.concatenate([low, high])
    longest = float(np.max(ends[np.isfinite(ends)], initial=ZERO_LOS_DAYS))

    fits: list[LosFit] = []
    for name in distributions:
        if name not in DISTRIBUTIONS:
            msg = f"unknown LOS distribution {name!r}; choose from {DISTRIBUTIONS}"
            raise ValueError(msg)
        try:
            theta0 = _start(name, mid, weights)
        except OverflowError:  # rows of 1e300 days: no start, no fit
            log.debug("LOS fit %s: no starting point for rows this long", name)
            continue
        args = (name,)

        def objective(t: np.ndarray, name: str = args[0]) -> float:
            return _negloglik(
                name, t, ex_vals, ex_w.astype(float), iv_lo, iv_hi, iv_w.astype(float)
            )

        from scipy import optimize

        with np.errstate(all="ignore"):
            res = optimize.minimize(
                objective,
                theta0,
                method="Nelder-Mead",
                options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000, "maxfev": 8000},
            )
        if not math.isfinite(res.fun):
            log.debug("LOS fit %s failed: %s", name, res.message)
            continue
        k = theta0.size
        fit = LosFit(
            name, _params(name, res.x), n=n, loglik=-float(res.fun), aic=2 * k + 2 * float(res.fun)
        )
        if not _mean_within(fit, MEAN_BEYOND_DATA * longest):
            # degenerate rows (all alike, far from a day) let the likelihood run off
            log.debug("LOS fit %s ran off the data (params %s): left out", name, fit.params)
            continue
        fits.append(fit)
    if not fits:
        finite = low[np.isfinite(low)]
        span = f"from {finite.min():g} to {finite.max():g} days" if finite.size else "no finite LOS"
        msg = (
            f"{where}: no LOS distribution could be fitted to its {n} row(s) ({span}) — check "
            "the LOS values (a unit mix-up, placeholders) or give [demand] los_days instead"
        )
        raise InputError(msg)
    aics = {f.distribution: f.aic for f in fits}
    best = min(fits, key=lambda f: f.aic)
    return LosFit(best.distribution, best.params, best.n, best.loglik, best.aic, candidates=aics)


def _mean_within(fit: LosFit, limit_days: float) -> bool:
    """The fit's mean LOS is a positive number of days up to ``limit_days``: a fit whose
    likelihood ran off (a lognormal with sigma in the hundreds, a gamma with its mean at 1e21 days
    for rows of 1e-204 days) has none, or one far beyond every row."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            mean = fit.mean_days
        except (OverflowError, ValueError):
            return False
    return 0 < mean <= limit_days


def _empirical(rows: pd.DataFrame, k: float, exact: bool) -> dict[str, float]:
    if exact:
        los = rows["los_days"].to_numpy(dtype=float)
        return {
            "mean_days": float(np.mean(los)),
            "median_days": float(np.median(los)),
            "p90_days": float(np.percentile(los, 90)),
            "p_los_gt_k": float(np.mean(los > k)),
        }
    lo, hi = rows["los_low_days"].to_numpy(), rows["los_high_days"].to_numpy()
    decided = (hi <= k) | (lo >= k)
    p = float(np.mean(lo >= k)) if decided.all() else math.nan
    return {"mean_days": math.nan, "median_days": math.nan, "p90_days": math.nan, "p_los_gt_k": p}


def _row(label_by: str, label: str, rows: pd.DataFrame, k: float, exact: bool) -> dict:
    out: dict = {"by": label_by, "group": label, "n": len(rows)}
    out.update(_empirical(rows, k, exact))
    if len(rows) >= MIN_ROWS_FIT:
        fit = fit_los(
            rows["los_low_days"].to_numpy(),
            rows["los_high_days"].to_numpy(),
            where=f"history rows of {label_by} {label!r}",
        )
        out.update(
            distribution=fit.distribution,
            fit_mean_days=fit.mean_days,
            fit_median_days=fit.median_days,
            fit_p90_days=fit.quantile_days(0.9),
            fit_p_los_gt_k=fit.p_longer(k),
            aic=fit.aic,
        )
    else:
        out.update(
            distribution="-",
            fit_mean_days=math.nan,
            fit_median_days=math.nan,
            fit_p90_days=math.nan,
            fit_p_los_gt_k=math.nan,
            aic=math.nan,
        )
    return out


def los_table(history: History, *, by: Sequence[str] = (), risk_days: float = 7.0) -> pd.DataFrame:
    """The LOS table: overall (``by = "(all)"``), then per group of each ``by`` column.

    Columns: ``by``, ``group``, ``n``; empirical ``mean_days``, ``median_days``, ``p90_days``,
    ``p_los_gt_k`` (P(LOS > ``risk_days``); for banded data only when ``risk_days`` is a band edge);
    the chosen ``distribution`` and its ``fit_mean_days``, ``fit_median_days``, ``fit_p90_days``,
    ``fit_p_los_gt_k``, ``aic``. Groups with fewer than :data:`MIN_ROWS_FIT` rows get no fit ("-").
    Groups are sorted by label.
    """
    table = history.table
    missing = [c for c in by if c not in table.columns]
    if missing:
        msg = f"group column(s) {missing} not read from the history; available: {history.groups}"
        raise InputError(msg)
    exact = history.kind == "exact"
    rows = [_row("(all)", "(all)", table, risk_days, exact)]
    for col in by:
        for value, part in sorted(table.groupby(col, sort=False), key=lambda kv: str(kv[0])):
            rows.append(_row(col, str(value), part, risk_days, exact))
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class LosModel:
    """What the rest of geoalloc uses from the LOS analysis.

    Attributes
    ----------
    overall
        LOS distribution of all admissions (fitted, or assumed exponential without history).
    risk_days
        k of the LOS risk P(LOS > k).
    table
        :func:`los_table` (empty without history).
    history
        The history it came from, or None.
    classifier
        Long-stay classifier report (:func:`long_stay_classifier`), or None.
    """

    overall: LosFit
    risk_days: float = 7.0
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    history: History | None = None
    classifier: dict | None = None

    @property
    def mean_days(self) -> float:
        return self.overall.mean_days

    @property
    def risk(self) -> float:
        """P(LOS > risk_days) of the fitted distribution."""
        return self.overall.p_longer(self.risk_days)

    @classmethod
    def assumed(cls, mean_days: float, risk_days: float = 7.0) -> LosModel:
        """No history: exponential LOS with the scenario's ``los_days`` mean."""
        return cls(LosFit.assumed(mean_days), risk_days)


#: a history table column with each row's weight (a pooled history: see geoalloc.demand.pooling)
WEIGHT_COLUMN = "weight"


def row_weights(table: pd.DataFrame) -> np.ndarray | None:
    """The rows' weights of a pooled history table, or None (every row counts once)."""
    if WEIGHT_COLUMN not in table.columns:
        return None
    return table[WEIGHT_COLUMN].to_numpy(dtype=float)


def fit_los_model(
    history: History,
    *,
    risk_days: float = 7.0,
    group_by: Sequence[str] | None = None,
    classifier: bool = True,
    seed: int = 0,
) -> LosModel:
    """Fit the overall and per-group LOS distributions and the long-stay classifier of a history."""
    by = list(history.groups if group_by is None else group_by)
    table = los_table(history, by=by, risk_days=risk_days)
    t = history.table
    overall = fit_los(
        t["los_low_days"].to_numpy(),
        t["los_high_days"].to_numpy(),
        where=f"{history.source or 'history'} ({history.los_from})",
        weights=row_weights(t),
    )
    clf = long_stay_classifier(history, by, risk_days=risk_days, seed=seed) if classifier else None
    return LosModel(overall, risk_days, table, history, clf)


def long_stay_classifier(
    history: History,
    features: Sequence[str],
    *,
    risk_days: float = 7.0,
    seed: int = 0,
    min_rows: int = 200,
    min_per_class: int = 20,
    folds: int = 5,
) -> dict:
    """Cross-validated classifier of long stay (LOS > ``risk_days``) from case-mix columns.

    A one-hot logistic regression (scikit-learn) with ``folds``-fold stratified cross-validation:
    AUC (mean and SD over folds), Brier score, and a calibration table (deciles of predicted
    probability: mean predicted vs observed share), beside the Brier score of predicting the
    overall long-stay share for everyone (``brier_baseline``). With fewer than ``min_rows`` rows,
    fewer than ``min_per_class`` long or short stays, or no feature columns, it is not fitted and
    says why: the group distributions are used.

    Returns a JSON-serialisable dict with ``status`` ``"fitted"`` or ``"not_fitted"``.
    """
    t = history.table
    if history.kind == "exact":
        y = (t["los_days"].to_numpy() > risk_days).astype(int)
        usable = np.ones(len(t), dtype=bool)
    else:
        lo, hi = t["los_low_days"].to_numpy(), t["los_high_days"].to_numpy()
        usable = (hi <= risk_days) | (lo >= risk_days)
        y = (lo >= risk_days).astype(int)
    n, pos = int(usable.sum()), int(y[usable].sum())
    base = {"risk_days": risk_days, "features": list(features), "rows": n, "long_stays": pos}
    reasons = []
    if not features:
        reasons.append("no case-mix columns ([history] group_by)")
    if n < min_rows:
        reasons.append(f"{n} rows < {min_rows}")
    if min(pos, n - pos) < min_per_class:
        reasons.append(f"{min(pos, n - pos)} rows in the smaller class < {min_per_class}")
    if reasons:
        return base | {
            "status": "not_fitted",
            "reason": "too little data: " + "; ".join(reasons) + " — using the group distributions",
        }
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    x = t.loc[usable, list(features)].astype(str)
    yy = y[usable]
    model = make_pipeline(
        OneHotEncoder(handle_unknown="ignore", min_frequency=5),
        LogisticRegression(C=1.0, max_iter=1000),
    )
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    pred = np.empty(n)
    aucs = []
    for train, test in cv.split(x, yy):
        model.fit(x.iloc[train], yy[train])
        pred[test] = model.predict_proba(x.iloc[test])[:, 1]
        aucs.append(roc_auc_score(yy[test], pred[test]))
    edges = np.unique(np.quantile(pred, np.linspace(0, 1, 11)))
    bins = np.clip(np.searchsorted(edges, pred, side="right") - 1, 0, max(len(edges) - 2, 0))
    calibration = [
        {
            "predicted": float(pred[bins == b].mean()),
            "observed": float(yy[bins == b].mean()),
            "rows": int((bins == b).sum()),
        }
        for b in np.unique(bins)
    ]
    return base | {
        "status": "fitted",
        "model": "one-hot logistic regression",
        "folds": folds,
        "auc_mean": float(np.mean(aucs)),
        "auc_sd": float(np.std(aucs, ddof=1)),
        "brier": float(brier_score_loss(yy, pred)),
        "brier_baseline": float(brier_score_loss(yy, np.full(n, yy.mean()))),
        "calibration": calibration,
    }
