"""The ``[optimize]`` section of a scenario file."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ModelName = Literal["lscp", "mclp", "p-median", "p-center", "capacitated"]
SolverName = Literal["highs", "cbc"]


class OptimizeOptions(BaseModel):
    """Which location model to solve, with which solver and limits."""

    model_config = ConfigDict(extra="forbid")

    model: ModelName = "p-median"
    p: int | None = Field(None, ge=1, description="sites to open/keep, where the model takes p")
    max_minutes: float | None = Field(30.0, gt=0, description="travel standard")
    solver: SolverName = "highs"
    time_limit_s: float = Field(60.0, gt=0)
    mip_gap: float = Field(0.001, ge=0, description="relative gap at which the solver may stop")
    unmet_penalty_minutes: float = Field(
        1000.0, gt=0, description="cost of one unit of unmet demand, in demand-weighted minutes"
    )
