"""The ``[deployment]`` section of a scenario file: the time-phased emergency deployment model.

Time runs in periods of ``period_days`` days from day ``start_day`` of the surge curve
(``[demand.surge]``, after any ``[demand.cases]`` multiplier): period t covers days
``start_day + t·period_days`` … ``start_day + (t+1)·period_days − 1``, and its demand per area and
resource is the peak (or mean, ``period_demand``) of the daily needs over those days.

Sites
    Existing sites keep their capacity of every fixed resource. Candidate sites (``[facilities]
    candidate`` rows, and the rows of ``temporary_sites``, a file with the same columns as the
    facilities file) are the *temporary* sites (field hospitals, mobile units): opening one costs
    ``fixed_cost_column`` once (currency) plus ``daily_cost_column`` per day from its opening day
    to the end of the horizon; it is ready ``setup_days_column`` days after opening,
    rounded up to whole periods, and from then on offers its capacity columns (fixed resources),
    and may hold up to that many units of each movable resource.

Movable resources (``[[deployment.movable]]``)
    Units start at the existing sites (their capacity column) and may be shipped between sites;
    with ``usable_per`` a site can put no more of them to use than ``usable_ratio`` × its capacity
    of that fixed resource (a ventilator needs an ICU bed; the rest are stored). A
    shipment departing in period t leaves the stock of its origin in t and joins the stock of its
    destination in ``t + lead``: in transit in between, usable by neither. ``lead`` (periods) =
    ``ceil((minutes ÷ 1440 + handling_days) ÷ period_days)``, at least 1, where ``minutes`` is the
    travel time between the two sites on the scenario's ``[network]``. A shipment costs
    ``cost_per_unit + cost_per_unit_minute × minutes`` per unit (currency).

Objective and limits come from ``[optimize]``: ``max_minutes`` (travel standard),
``unmet_penalty_minutes`` (per unit of demand unserved for one day: the model counts unit-days),
``minutes_weight``, ``cost_weight`` (minutes per currency unit), ``budget`` (opening + running +
transfers), the solver, ``time_limit_s`` and ``mip_gap``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from geoalloc._validate import SECTION_CONFIG

MINUTES_PER_DAY = 1440.0


class MovableResource(BaseModel):
    """A resource that can be redeployed between sites (ventilators, monitors, staff teams)."""

    model_config = SECTION_CONFIG

    resource: str = Field(description="a planned resource of [demand] resources")
    cost_per_unit: float = Field(0.0, ge=0, description="currency per unit shipped (handling)")
    cost_per_unit_minute: float = Field(
        0.0, ge=0, description="currency per unit shipped per minute of travel between the sites"
    )
    usable_per: str | None = Field(
        None,
        description="a fixed resource each unit in use needs at the same site (a ventilator needs "
        "an ICU bed): units in use at a site ≤ usable_ratio × that resource's capacity there",
    )
    usable_ratio: float = Field(1.0, gt=0, description="units usable per unit of usable_per")


class DeploymentOptions(BaseModel):
    """The time-phased plan: periods, movable resources, temporary sites (see the module docs)."""

    model_config = SECTION_CONFIG

    period_days: int = Field(7, ge=1, le=366, description="days per period")
    periods: int = Field(6, ge=1, le=104, description="number of periods in the horizon")
    start_day: int = Field(0, ge=0, description="day of the surge curve the horizon starts on")
    period_demand: Literal["peak", "mean"] = Field(
        "peak", description="demand of a period: the peak or the mean of its days' needs"
    )
    movable: list[MovableResource] = Field(
        default_factory=list, description="resources that may be shipped between sites"
    )
    handling_days: float = Field(
        0.5, ge=0, description="loading, set-up and hand-over added to every shipment, days"
    )
    max_transfer_minutes: float | None = Field(
        None, gt=0, description="no shipment between sites further apart than this, minutes"
    )
    integer_moves: bool = Field(True, description="shipments in whole units")
    temporary_sites: Path | None = Field(
        None,
        description="vector file of temporary sites with the [facilities] id, name and capacity "
        "columns (relative to the scenario file); added to the facilities as candidates",
    )
    fixed_cost_column: str | None = Field(
        None, description="facilities column: cost of opening a temporary site (currency)"
    )
    setup_days_column: str | None = Field(
        None, description="facilities column: days from opening a temporary site to its first use"
    )
    daily_cost_column: str | None = Field(
        None, description="facilities column: running cost of an open temporary site per day"
    )

    @property
    def horizon_days(self) -> int:
        return self.period_days * self.periods

    @property
    def movable_resources(self) -> list[str]:
        return [m.resource for m in self.movable]

    @model_validator(mode="after")
    def _movable_once(self) -> DeploymentOptions:
        names = self.movable_resources
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            msg = f"movable resource(s) {twice} listed more than once — keep one entry each"
            raise ValueError(msg)
        return self
