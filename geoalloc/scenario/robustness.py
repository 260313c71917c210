"""The ``[robustness]`` section: the uncertainty ``geoalloc robust`` draws plausible futures from.

Every key has a documented default, used when the section (or the key) is absent: a scenario
without ``[robustness]`` runs ``geoalloc robust`` with these stated assumptions, and every run
folder lists the values it used (``summary.json``, ``robustness.uncertainty``).
"""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from geoalloc._validate import SECTION_CONFIG

#: the default ``[robustness]`` values, in the order the report states them
DEFAULT_DRAWS = 100
DEFAULT_SEED = 1
DEFAULT_SAA_DRAWS = 20
#: the most draws a run takes: each is a solve of the planning model
MAX_DRAWS = 100_000
#: the largest standard deviation of a lognormal error (log scale): beyond it a factor of 0.1 or 10
#: is an everyday draw, which is no longer a statement of uncertainty but a typo
MAX_LOG_SD = 2.0


class RobustnessOptions(BaseModel):
    """Uncertainty in the inputs of a planning scenario, for ``geoalloc robust``.

    Each draw ``k`` of ``draws`` takes its own random numbers (a generator spawned from ``seed``,
    so that draw ``k`` is the same whatever the number of draws and the executor) and perturbs the
    inputs:

    - population: per area, times a mean-one lognormal factor ``exp(sd·z − sd²/2)`` with
      ``sd = population_error``; with ``population_alternative``, each draw first takes either
      population column with probability 1/2;
    - admission rates: one region-wide mean-one lognormal factor (``admission_rate_error``);
    - length of stay: one region-wide mean-one lognormal factor on the mean LOS
      (``los_error``); with a ``[history]``, instead the ratio of the mean LOS of a bootstrap
      resample of the history's rows (as many rows, drawn with replacement) to the fitted mean;
    - road speeds: one region-wide factor drawn uniformly from ``speed_factor``; every travel time
      is divided by it (exact for a uniform change of speeds on a road network, whose shortest
      paths do not change, and for crow-fly travel);
    - surge: when the scenario has one (a surge multiplier other than 1, ``[demand.cases]`` or a
      ``[demand.surge]`` epidemic), the surge part of each area's admissions (its multiplier
      above 1) times one region-wide mean-one lognormal factor (``surge_error``).

    The draws' own plans, the robust plan (a sample-average model solved on the first
    ``saa_draws`` draws) and the plan for the mean future are all evaluated on every draw.
    """

    model_config = SECTION_CONFIG

    draws: int = Field(
        DEFAULT_DRAWS,
        ge=1,
        le=MAX_DRAWS,
        description="plausible futures drawn (each solved on its own); `geoalloc robust` may "
        "override it",
    )
    seed: int = Field(
        DEFAULT_SEED,
        ge=0,
        description="seed of the draws (a non-negative integer); `geoalloc robust` may override it",
    )
    population_error: float = Field(
        0.10,
        ge=0,
        le=MAX_LOG_SD,
        description="standard deviation (log scale, ≈ relative error) of each area's population "
        "factor; 0 keeps the population as given",
    )
    population_alternative: str | None = Field(
        None,
        description="a second population column of the areas file (persons, e.g. another "
        "census or a gridded estimate): each draw takes it instead of [areas] population with "
        "probability 1/2, before the per-area error (age bands keep their shares)",
    )
    admission_rate_error: float = Field(
        0.10,
        ge=0,
        le=MAX_LOG_SD,
        description="standard deviation (log scale) of the region-wide factor on admission rates",
    )
    los_error: float = Field(
        0.10,
        ge=0,
        le=MAX_LOG_SD,
        description="standard deviation (log scale) of the region-wide factor on the mean length "
        "of stay; ignored with a [history] (its bootstrap gives the factor)",
    )
    speed_factor: tuple[float, float] = Field(
        (0.85, 1.15),
        description="[lo, hi]: road speeds times a factor drawn uniformly in this range "
        "(travel minutes divided by it); 0 < lo ≤ hi ≤ 10",
    )
    surge_error: float = Field(
        0.20,
        ge=0,
        le=MAX_LOG_SD,
        description="standard deviation (log scale) of the region-wide factor on the surge part "
        "of admissions (the multiplier above 1), when the scenario has a surge",
    )
    saa_draws: int = Field(
        DEFAULT_SAA_DRAWS,
        ge=1,
        le=MAX_DRAWS,
        description="how many of the draws (the first ones) the robust plan's sample-average "
        "model is solved on; capped at draws",
    )
    coverage_tolerance: float = Field(
        0.005,
        ge=0,
        lt=1,
        description="share of an area's need (0–1) that may go unmet in a draw while the area "
        "still counts as served within the standard",
    )

    @field_validator("speed_factor")
    @classmethod
    def _speed_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        lo, hi = value
        if not (0 < lo <= hi <= 10):
            msg = (
                "speed_factor must be [lo, hi] with 0 < lo <= hi <= 10, the lower factor first "
                "(e.g. [0.85, 1.15]: roads 15 % slower to 15 % faster)"
            )
            raise ValueError(msg)
        return value


__all__ = ["DEFAULT_DRAWS", "DEFAULT_SAA_DRAWS", "DEFAULT_SEED", "RobustnessOptions"]
