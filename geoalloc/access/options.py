"""The ``[access]`` section of a scenario: which accessibility index every planning run reports,
for the baseline and the plan."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from geoalloc._validate import SECTION_CONFIG
from geoalloc.access.decay import KANG_STEPS, Decay, step_problems

#: the decay parameters and the decay each belongs to
_PARAMETERS = {
    "steps": "step",
    "sigma_minutes": "gaussian",
    "beta_per_minute": "exponential",
    "power": "inverse_power",
    "min_minutes": "inverse_power",
}


class AccessOptions(BaseModel):
    """An accessibility index per area in every planning run (``geoalloc.access``): supply per
    1,000 people within a catchment, for the baseline (today's capacity) and the plan.

    ``method`` is ``2sfca`` (Luo & Wang 2003), ``e2sfca`` (Luo & Qi 2009; default decay: steps
    0–10, 10–20, 20–30 minutes × 1.00, 0.68, 0.22), ``bfca`` (Páez et al. 2019) or ``gravity``
    (demand-adjusted; default decay ``inverse_power`` with ``power = 1``). The catchment
    ``max_minutes`` is inclusive (a site at exactly ``max_minutes`` counts).
    """

    model_config = SECTION_CONFIG

    method: Literal["2sfca", "e2sfca", "bfca", "gravity"]
    resource: str | None = Field(
        None, description="the resource whose supply is counted (default: the primary resource)"
    )
    max_minutes: float | None = Field(
        None,
        gt=0,
        le=1440,
        description="the catchment, minutes, inclusive (default: [optimize] max_minutes); the "
        "run's travel times are computed at least this far",
    )
    decay: Literal["step", "gaussian", "exponential", "inverse_power"] | None = Field(
        None,
        description="distance decay (2sfca: none; e2sfca default step, bfca default none, "
        "gravity default inverse_power)",
    )
    steps: list[tuple[float, float]] | None = Field(
        None,
        description="decay = step: [[upper_minutes, weight], ...], upper bounds inclusive "
        "(default [[10, 1.0], [20, 0.68], [30, 0.22]])",
    )
    sigma_minutes: float | None = Field(
        None, gt=0, description="decay = gaussian: σ of exp(-t²/(2σ²)), minutes"
    )
    beta_per_minute: float | None = Field(
        None, gt=0, description="decay = exponential: β of exp(-β t), per minute"
    )
    power: float | None = Field(
        None, gt=0, description="decay = inverse_power: β of max(t, min_minutes)^-β (default 1)"
    )
    min_minutes: float | None = Field(
        None,
        gt=0,
        description="decay = inverse_power: shorter trips count as this long (default 1 minute)",
    )
    demand: Literal["population", "needs"] = Field(
        "population",
        description="who competes for the supply: the areas' people (the index is per 1,000 "
        "people) or the resource's units needed (the index is units per unit needed)",
    )
    population_column: str | None = Field(
        None,
        description="demand = population: an areas column of persons counted instead of the "
        "whole population (e.g. the at-risk over-50s)",
    )

    @model_validator(mode="after")
    def _decay_is_whole(self) -> AccessOptions:
        kind = self.decay_kind()
        if self.method == "2sfca" and self.decay is not None:
            msg = "[access] method 2sfca takes no decay: use method = 'e2sfca' for a decay"
            raise ValueError(msg)
        given = [key for key in _PARAMETERS if getattr(self, key) is not None]
        stray = [key for key in given if _PARAMETERS[key] != kind]
        if stray:
            msg = f"[access] {', '.join(stray)} do(es) not apply to decay = {kind!r}"
            raise ValueError(msg)
        if kind == "gaussian" and self.sigma_minutes is None:
            raise ValueError("[access] decay = 'gaussian' needs sigma_minutes (σ, minutes)")
        if kind == "exponential" and self.beta_per_minute is None:
            raise ValueError("[access] decay = 'exponential' needs beta_per_minute")
        if kind == "step" and self.steps is not None:
            problems = step_problems(self.steps)
            if problems:
                raise ValueError("[access] " + "; ".join(problems))
        if self.population_column is not None and self.demand != "population":
            msg = "[access] population_column applies to demand = 'population' only"
            raise ValueError(msg)
        return self

    def decay_kind(self) -> str:
        """The decay in force, defaults included."""
        if self.decay is not None:
            return self.decay
        return {"e2sfca": "step", "gravity": "inverse_power"}.get(self.method, "none")

    def decay_function(self) -> Decay:
        """The :class:`~geoalloc.access.decay.Decay` these options describe."""
        kind = self.decay_kind()
        if kind == "step":
            return Decay.step(self.steps if self.steps is not None else KANG_STEPS)
        if kind == "gaussian":
            assert self.sigma_minutes is not None
            return Decay.gaussian(self.sigma_minutes)
        if kind == "exponential":
            assert self.beta_per_minute is not None
            return Decay.exponential(self.beta_per_minute)
        if kind == "inverse_power":
            return Decay.inverse_power(self.power or 1.0, min_minutes=self.min_minutes or 1.0)
        return Decay.none()
