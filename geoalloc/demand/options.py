"""The ``[demand]`` section of a scenario file."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DemandOptions(BaseModel):
    """Population × admission rates × length of stay → capacity needed.

    ``admissions_per_1000`` maps an age-band label (from ``[areas] age_bands``, plus ``"other"`` for
    the rest of the population) to admissions per 1,000 persons per year. A single key ``"all"``
    applies one rate to the whole population.
    """

    model_config = ConfigDict(extra="forbid")

    resource: str = "beds"
    admissions_per_1000: dict[str, float] = Field(default_factory=lambda: {"all": 100.0})
    los_days: float = Field(5.0, gt=0)
    occupancy_target: float = Field(0.85, gt=0, le=1)
