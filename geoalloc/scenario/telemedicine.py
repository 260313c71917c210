"""The ``[telemedicine]`` section of a scenario file (units in every description).

An area is *eligible* for telemedicine when it is connected: either a true/false column of the
areas (``connected``), or polygons of network coverage (``coverage``) — an area is connected when
its representative point lies in a coverage polygon, or, with ``coverage_min_share``, when at least
that share of its surface does (measured in a local UTM projection).

Outpatient demand, in physician-hours per week, is population × ``visits_per_1000`` (per 1,000
persons per year, by the ``[areas]`` age bands or ``all``) ÷ 1,000 × ``minutes_per_visit`` ÷ 60 ÷
``weeks_per_year``. The ``divertible_share`` of a connected area's demand may be served by a hub at
any distance; the rest, and everything of a non-connected area, only in person at a site with
physician-hours within ``[optimize] max_minutes`` (the standard T).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from geoalloc._validate import SECTION_CONFIG

#: The most visits per 1,000 persons per year ``visits_per_1000`` may give: a hundred a person.
MAX_VISITS_PER_1000 = 100_000.0


class CaseMixShares(BaseModel):
    """Divertible shares by case mix: each ``[history]`` row's ``by`` column names its group (a
    service, a specialty); an area's share is the mean of the groups' shares weighted by its
    rows in the history (``[history] area_id`` needed). Areas without rows take the whole
    history's mix (noted)."""

    model_config = SECTION_CONFIG

    by: str = Field(description="[history] column with each row's case-mix group")
    shares: dict[str, float] = Field(description="group -> share (0..1) a hub may serve")

    @model_validator(mode="after")
    def _shares_are_shares(self) -> CaseMixShares:
        bad = sorted(g for g, v in self.shares.items() if not 0 <= v <= 1)
        if bad:
            raise ValueError(f"divertible_share shares must be between 0 and 1 (check {bad})")
        return self


class TelemedicineOptions(BaseModel):
    """Tele-consultation hubs next to physical sites; see the module docstring for the rules."""

    model_config = SECTION_CONFIG

    # connectivity (exactly one of the two)
    connected: str | None = Field(
        None, description="areas column, true/false: the area can hold video consultations"
    )
    coverage: Path | None = Field(
        None, description="polygons (any vector file) where connectivity is good enough"
    )
    coverage_min_share: float | None = Field(
        None,
        gt=0,
        le=1,
        description="with coverage: share of an area's surface that must lie inside (else the "
        "representative-point rule)",
    )
    # demand
    divertible_share: float | str | CaseMixShares = Field(
        description="share (0..1) of a connected area's outpatient hours a hub may serve: a number "
        "for every area, the name of an areas column, or shares by case mix from the [history] "
        '({ by = "service", shares = { PSYCH = 0.7, SURG = 0.1 } })'
    )
    visits_per_1000: dict[str, Annotated[float, Field(ge=0, le=MAX_VISITS_PER_1000)]] = Field(
        description="outpatient/specialist visits per 1,000 persons per year, by age band "
        "label of [areas] age_bands (+ 'other'), or 'all'"
    )
    minutes_per_visit: float = Field(gt=0, description="physician minutes per visit")
    weeks_per_year: float = Field(52.0, gt=0, description="weeks the yearly visits spread over")
    # sites and hubs (columns of the [facilities] file)
    site_hours: str = Field(
        description="facilities column: in-person physician-hours per week (0 where none)"
    )
    hub: str = Field(description="facilities column, true/false: candidate tele-consultation hub")
    hub_max_hours: float | str = Field(
        description="most physician-hours per week a hub can have: a number, or a facilities column"
    )
    hub_opening_cost: float | str = Field(
        0.0, description="one-off cost of opening a hub (currency): a number or a facilities column"
    )
    cost_per_hour: float = Field(
        0.0, ge=0, description="cost of one physician-hour per week at a hub (currency)"
    )
    budget: float | None = Field(
        None, ge=0, description="most that hub openings + hub hours may cost (currency)"
    )
    # objective weights (minutes-equivalent per physician-hour)
    unmet_penalty: float = Field(
        1000.0, gt=0, description="objective weight of one unmet physician-hour per week"
    )
    tele_minutes: float = Field(
        30.0,
        ge=0,
        description="objective weight of one tele-served hour (in-person within T is preferred "
        "while it costs fewer travel minutes); must be below unmet_penalty",
    )
    cost_weight: float = Field(
        0.001,
        ge=0,
        description="objective weight per currency unit (keeps hubs no larger than used)",
    )

    @model_validator(mode="after")
    def _one_connectivity_source(self) -> TelemedicineOptions:
        if (self.connected is None) == (self.coverage is None):
            msg = "give exactly one of connected (an areas column) or coverage (a polygon file)"
            raise ValueError(msg)
        if self.coverage_min_share is not None and self.coverage is None:
            raise ValueError("coverage_min_share needs coverage")
        if isinstance(self.divertible_share, float) and not 0 <= self.divertible_share <= 1:
            msg = f"divertible_share must be between 0 and 1, got {self.divertible_share}"
            raise ValueError(msg)
        for key in ("hub_max_hours", "hub_opening_cost"):
            value = getattr(self, key)
            if isinstance(value, float) and value < 0:
                raise ValueError(f"{key} must be ≥ 0, got {value}")
        if self.tele_minutes >= self.unmet_penalty:
            msg = "tele_minutes must be below unmet_penalty, or no hub would ever serve anyone"
            raise ValueError(msg)
        return self
