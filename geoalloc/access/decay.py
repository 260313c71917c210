"""Distance-decay weights of the floating-catchment and gravity indices: how much a site counts
for an area (and an area's people for a site) at a given travel time, in minutes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from geoalloc._errors import InputError

DecayKind = Literal["none", "step", "gaussian", "exponential", "inverse_power"]

#: Luo & Qi (2009)'s zones and weights, used by Kang et al. (2020) on the Chicago data: 0–10,
#: 10–20 and 20–30 minutes weighted 1.00, 0.68 and 0.22 (from a Gaussian decay); pysal/access's
#: default for ``enhanced_two_stage_fca``
KANG_STEPS: tuple[tuple[float, float], ...] = ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))


@dataclass(frozen=True)
class Decay:
    """A distance-decay function of travel minutes; build it with a constructor.

    Attributes
    ----------
    kind
        ``none`` (weight 1 everywhere: the plain 2SFCA), ``step`` (a weight per travel-time zone),
        ``gaussian``, ``exponential`` or ``inverse_power``.
    steps
        ``step`` only: ``(upper_minutes, weight)`` pairs, upper bounds increasing; a trip of
        ``t`` minutes takes the weight of the first zone whose upper bound is ≥ ``t`` (bounds
        inclusive, as pysal/access's ``step_fn``), and 0 beyond the last bound.
    sigma_minutes
        ``gaussian`` only: the width σ of ``w(t) = exp(-t² / (2 σ²))`` (pysal/access's
        ``weights.gaussian``; ``w(0) = 1``, no normalisation).
    beta_per_minute
        ``exponential`` only: the rate β of ``w(t) = exp(-β t)``.
    power
        ``inverse_power`` only: the exponent β of ``w(t) = max(t, min_minutes)^(-β)``
        (pysal/access's ``weights.gravity(scale=1, alpha=-β, min_dist=min_minutes)``).
    min_minutes
        ``inverse_power`` only: trips shorter than this count as this long, so that a site at
        zero minutes does not weigh infinitely.
    """

    kind: DecayKind = "none"
    steps: tuple[tuple[float, float], ...] = ()
    sigma_minutes: float | None = None
    beta_per_minute: float | None = None
    power: float | None = None
    min_minutes: float = 1.0

    @classmethod
    def none(cls) -> Decay:
        """Weight 1 for every trip within the catchment (the plain 2SFCA)."""
        return cls("none")

    @classmethod
    def step(cls, steps: object) -> Decay:
        """Weights by travel-time zone: ``[[10, 1.0], [20, 0.68], [30, 0.22]]`` gives trips of
        0–10 minutes (10 included) weight 1, 10–20 weight 0.68, 20–30 weight 0.22, longer 0."""
        problems = step_problems(steps)
        if problems:
            raise InputError(problems, header="access decay steps: " + str(steps))
        pairs = tuple((float(u), float(w)) for u, w in steps)  # type: ignore[attr-defined]
        return cls("step", steps=pairs)

    @classmethod
    def gaussian(cls, sigma_minutes: float) -> Decay:
        """``w(t) = exp(-t² / (2 σ²))`` with ``σ = sigma_minutes`` (pysal/access's Gaussian)."""
        _positive("sigma_minutes", sigma_minutes)
        return cls("gaussian", sigma_minutes=float(sigma_minutes))

    @classmethod
    def exponential(cls, beta_per_minute: float) -> Decay:
        """``w(t) = exp(-β t)`` with ``β = beta_per_minute``."""
        _positive("beta_per_minute", beta_per_minute)
        return cls("exponential", beta_per_minute=float(beta_per_minute))

    @classmethod
    def inverse_power(cls, power: float, min_minutes: float = 1.0) -> Decay:
        """``w(t) = max(t, min_minutes)^(-power)`` (the classic gravity impedance)."""
        _positive("power", power)
        _positive("min_minutes", min_minutes)
        return cls("inverse_power", power=float(power), min_minutes=float(min_minutes))

    def weights(self, minutes: np.ndarray) -> np.ndarray:
        """The weight of each trip of ``minutes`` (an array; vectorised)."""
        t = np.asarray(minutes, dtype=float)
        if self.kind == "none":
            return np.ones_like(t)
        if self.kind == "step":
            bounds = np.array([u for u, _ in self.steps])
            values = np.append([w for _, w in self.steps], 0.0)
            return values[np.searchsorted(bounds, t, side="left")]
        if self.kind == "gaussian":
            assert self.sigma_minutes is not None
            return np.exp(-(t * t) / (2.0 * self.sigma_minutes**2))
        if self.kind == "exponential":
            assert self.beta_per_minute is not None
            return np.exp(-self.beta_per_minute * t)
        assert self.power is not None
        return np.power(np.maximum(t, self.min_minutes), -self.power)

    def describe(self) -> str:
        """The function in words, e.g. for a report."""
        if self.kind == "none":
            return "no decay (every site within the catchment counts fully)"
        if self.kind == "step":
            zones, low = [], 0.0
            for upper, weight in self.steps:
                zones.append(f"{low:g}–{upper:g} min × {weight:g}")
                low = upper
            return "step weights by travel-time zone (upper bounds included): " + ", ".join(zones)
        if self.kind == "gaussian":
            return f"Gaussian decay exp(-t²/(2σ²)), σ = {self.sigma_minutes:g} min"
        if self.kind == "exponential":
            return f"exponential decay exp(-β t), β = {self.beta_per_minute:g} per minute"
        return (
            f"inverse-power decay t^(-{self.power:g}), trips under {self.min_minutes:g} min "
            f"counted as {self.min_minutes:g} min"
        )

    def as_dict(self) -> dict:
        """The function's parameters (for summary.json)."""
        out: dict = {"kind": self.kind}
        if self.kind == "step":
            out["steps"] = [[u, w] for u, w in self.steps]
        elif self.kind == "gaussian":
            out["sigma_minutes"] = self.sigma_minutes
        elif self.kind == "exponential":
            out["beta_per_minute"] = self.beta_per_minute
        elif self.kind == "inverse_power":
            out |= {"power": self.power, "min_minutes": self.min_minutes}
        return out


def _positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not np.isfinite(value) or value <= 0:
        raise InputError(f"access decay {name} = {value!r}: must be a finite number > 0")


def step_problems(steps: object) -> list[str]:
    """Every problem of a steps list ``[[upper_minutes, weight], ...]``."""
    try:
        pairs = [(float(u), float(w)) for u, w in steps]  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return [
            "steps must be a list of [upper_minutes, weight] pairs, e.g. [[10, 1.0], [20, 0.68]]"
        ]
    problems = []
    if not pairs:
        problems.append("steps is empty: give at least one [upper_minutes, weight] pair")
    if any(not (np.isfinite(u) and np.isfinite(w)) for u, w in pairs):
        problems.append("steps hold a value that is not a finite number")
    if any(u <= 0 for u, _ in pairs):
        problems.append("a step's upper bound (minutes) must be > 0")
    if any(w < 0 for _, w in pairs):
        problems.append("a step's weight must be >= 0")
    uppers = [u for u, _ in pairs]
    if any(b <= a for a, b in zip(uppers, uppers[1:], strict=False)):
        problems.append(f"the steps' upper bounds must increase ({uppers})")
    return problems
