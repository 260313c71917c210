"""Step control of the subgradient method that raises a Lagrangian lower bound towards an
incumbent: Polyak steps ``θ (upper − value) / ‖g‖² · g``, with θ halved after ``patience``
iterations without a better bound. Shared by the p-median (:mod:`geoalloc.optimize.pmedian_sparse`)
and the capacitated model (:mod:`geoalloc.optimize.capacitated_lagrange`) at scale."""

from __future__ import annotations

import time

import numpy as np

from geoalloc.optimize.linear import relative_gap

#: θ at the start, and where the method stops (the steps have become too small to move the bound)
THETA_START = 2.0
THETA_END = 1e-4


class PolyakSteps:
    """The state of one subgradient ascent: the best bound so far and its multipliers, and θ.

    Parameters
    ----------
    upper
        The incumbent's objective (the target of the steps).
    lam
        The starting multipliers.
    patience
        Iterations without a better bound before θ is halved.
    target_gap
        Stop once the best bound is within this relative gap of ``upper``.
    deadline
        ``time.monotonic()`` after which to stop (None: no limit).
    """

    def __init__(
        self,
        upper: float,
        lam: np.ndarray,
        *,
        patience: int,
        target_gap: float = 0.0,
        deadline: float | None = None,
    ) -> None:
        self.upper = upper
        self.patience = patience
        self.target_gap = target_gap
        self.deadline = deadline
        self.theta = THETA_START
        self.best = -np.inf
        self.best_lam = np.asarray(lam, dtype=float).copy()
        self._stall = 0

    def record(self, value: float, lam: np.ndarray) -> bool:
        """Take the bound ``value`` the multipliers ``lam`` gave; True when it is the best so far."""
        if not np.isfinite(self.best) or value > self.best + 1e-12 * max(abs(self.best), 1.0):
            self.best, self.best_lam, self._stall = value, lam.copy(), 0
            return True
        self._stall += 1
        if self._stall >= self.patience:
            self.theta, self._stall = self.theta / 2, 0
        return False

    def done(self) -> bool:
        """True when the bound is close enough to the incumbent, or time is up."""
        gap = relative_gap(self.upper, self.best)
        if gap is not None and gap <= self.target_gap:
            return True
        return self.deadline is not None and time.monotonic() > self.deadline

    def step(self, lam: np.ndarray, value: float, g: np.ndarray, norm: float) -> np.ndarray | None:
        """The next multipliers from ``lam`` (whose bound was ``value``) along the subgradient
        ``g`` of squared norm ``norm``; None when the method has stopped (a zero subgradient, or θ
        too small)."""
        if norm == 0 or self.theta < THETA_END:
            return None
        size = max(self.upper - value, 1e-9 * max(abs(self.upper), 1.0))
        return lam + self.theta * size / norm * g
