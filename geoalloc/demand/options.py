"""The ``[demand]`` and ``[history]`` sections of a scenario file.

Every number has a documented default; the defaults are planning assumptions, not facts about your
region — set them from local data where you have it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from geoalloc._validate import SECTION_CONFIG

#: Resources that :func:`geoalloc.demand.area_needs` knows how to derive from bed-days.
KNOWN_RESOURCES = ("beds", "icu_beds", "ventilators", "nurses", "physicians")

HOURS_PER_WEEK = 168.0

#: The longest mean length of stay ``los_days`` may give, days: a year. Longer is a typo (or
#: minutes, or hours) and drives the bed need beyond any solver's precision.
MAX_LOS_DAYS = 365.0
#: The most admissions per 1,000 persons per year ``admissions_per_1000`` may give: ten a person.
MAX_ADMISSIONS_PER_1000 = 10_000.0
#: The largest scalar ``surge_multiplier``: demand a hundred times the baseline.
MAX_SURGE_MULTIPLIER = 100.0
#: The lowest ``occupancy_target`` (and ``icu_occupancy_target``): 1 %, a hundred beds for each
#: occupied one. Lower is a typo, and divides the bed need up to infinity (5e-324 made it
#: 1e324 beds: exit 5 'no solution' instead of a word on the key).
MIN_OCCUPANCY_TARGET = 0.01

#: Admissions per 1,000 persons per year, in ``[0, MAX_ADMISSIONS_PER_1000]``.
AdmissionRate = Annotated[float, Field(ge=0, le=MAX_ADMISSIONS_PER_1000)]


class CasesOptions(BaseModel):
    """A surge driven by case counts in zones (e.g. COVID-19 cases per ZIP code).

    The cases of each zone are spread over the areas whose representative point lies in it, in
    proportion to their population; an area's extra admissions per day are its cases ×
    ``admitted_share`` ÷ ``days``. They multiply the area's admissions (``[demand]
    surge_multiplier`` then applies on top), so every resource, the LOS and the queue check follow.
    ``path`` is relative to the scenario file.
    """

    model_config = SECTION_CONFIG

    path: Path
    layer: str | None = None
    cases: str = Field(description="column with the case count of each zone")
    admitted_share: float = Field(gt=0, le=1, description="share of cases admitted to hospital")
    days: float = Field(gt=0, description="days over which the cases were counted / arrive")


class SurgeOptions(BaseModel):
    """A surge over days: a multiplier per day on the baseline admissions, or an SIR epidemic.

    ``kind = "table"``: ``multipliers`` (one per day from day 0, inline) or ``path`` (CSV with a
    ``day`` or ``date`` column and a ``multiplier`` or ``admissions`` column; ``admissions`` is the
    region's admissions per day, shared out to areas in proportion to their baseline admissions).

    ``kind = "sir"``: a discrete-time SIR model per area, as CHIME does: growth rate from
    ``doubling_time_days``, recovery rate ``1 / infectious_days``, contact reduction
    ``social_distancing``; new infections × ``hospitalised_share`` × ``market_share`` are extra
    admissions on top of the baseline, ``icu_share_of_hospitalised`` and
    ``ventilated_share_of_icu`` of them need ICU beds and ventilators.

    The daily admissions are convolved with the LOS survival function into a daily census per
    resource, whose peak and peak day are reported per area.
    """

    model_config = SECTION_CONFIG

    kind: Literal["none", "table", "sir"] = "none"
    # table
    multipliers: list[float] | None = Field(
        None, description="table: multiplier on baseline admissions for day 0, 1, 2, …"
    )
    path: Path | None = Field(None, description="table: CSV (day|date, multiplier|admissions)")
    # SIR
    days: int = Field(180, ge=1, le=3650, description="sir: days simulated")
    initial_infected_share: float = Field(
        1e-4, gt=0, lt=1, description="sir: share of the population infected on day 0"
    )
    doubling_time_days: float = Field(
        4.0, gt=0, description="sir: doubling time of infections, days"
    )
    infectious_days: float = Field(14.0, gt=0, description="sir: mean days infectious (CHIME: 14)")
    social_distancing: float = Field(0.0, ge=0, lt=1, description="sir: relative contact reduction")
    hospitalised_share: float = Field(
        0.025, ge=0, le=1, description="sir: share of infections admitted (CHIME default 2.5 %)"
    )
    icu_share_of_hospitalised: float = Field(
        0.30, ge=0, le=1, description="sir: share of surge admissions needing ICU (CHIME 0.75/2.5)"
    )
    ventilated_share_of_icu: float = Field(
        0.67, ge=0, le=1, description="sir: share of surge ICU patients ventilated (CHIME 0.5/0.75)"
    )
    market_share: float = Field(
        1.0, gt=0, le=1, description="sir: share of the area's cases that come to these hospitals"
    )
    plan_for_peak: bool = Field(
        False, description="true: the per-area needs handed to the optimizer are the surge peaks"
    )

    @model_validator(mode="after")
    def _table_has_data(self) -> SurgeOptions:
        if self.kind == "table" and (self.multipliers is None) == (self.path is None):
            msg = "surge kind 'table' needs one of 'multipliers' (inline list) or 'path' (CSV)"
            raise ValueError(msg)
        if self.multipliers is not None and any(m < 0 for m in self.multipliers):
            msg = "surge multipliers must be >= 0"
            raise ValueError(msg)
        return self


class SurgeMultiplierTable(BaseModel):
    """A multiplier per area from a table (CSV, CSV.gz or Parquet): ``id`` → ``multiplier``.
    Areas not in the table keep ``default``; ids no area has are an error (a typo would otherwise
    go unnoticed). ``path`` is relative to the scenario file."""

    model_config = SECTION_CONFIG

    path: Path
    id: str = Field(description="column with the area id")
    multiplier: str = Field("multiplier", description="column with the multiplier (≥ 0)")
    default: float = Field(1.0, ge=0, description="multiplier of areas not in the table")


class DemandOptions(BaseModel):
    """Population × admission rates × length of stay → capacity needed per area and resource.

    Admissions per area per year = Σ over age bands of persons × ``admissions_per_1000[band]`` ÷
    1000, times the surge multiplier. ``admissions_per_1000`` maps an age-band label (from
    ``[areas] age_bands``, plus ``"other"`` for the rest of the population) to admissions per 1,000
    persons per year; a single key ``"all"`` applies one rate to the whole population. With a
    ``[history]`` that has an area id, the rates are estimated from it instead (see
    ``rates_from_history``).

    Bed-days per day (the offered load in Erlangs, i.e. mean occupied beds) = admissions per day ×
    mean LOS (``los_days``, or the mean of the LOS distribution fitted to the history).

    Resources (``resources``; the first one is the primary resource the queue check looks at):

    - ``beds`` = bed-days per day ÷ ``occupancy_target`` (``capacity_method = "occupancy"``, the
      default: additive over areas, so the optimizer can pool areas at a site), or the fewest beds
      whose Erlang-B blocking (M/G/c/c, insensitive to the LOS distribution) is at most
      ``blocking_target`` for the area's load alone (``capacity_method = "erlang_b"``:
      conservative, since pooling at a site needs fewer). The queue check applies Erlang-B at each
      site either way.
    - ``icu_beds`` = ``icu_share`` × bed-days per day ÷ ``icu_occupancy_target``; ``icu_share`` is
      the share of occupied bed-days that are ICU bed-days.
    - ``ventilators`` = ``ventilators_per_icu_bed`` × ``icu_beds``.
    - staff (``nurses``, ``physicians``, any key of ``staff_per_occupied_bed``): on duty per shift =
      ratio × occupied beds (bed-days per day, ICU bed-days weighted by ``icu_staff_multiplier``);
      FTE = on duty × coverage factor, where the coverage factor = 168 h a week ÷
      (``fte_hours_per_week`` × (1 − ``absence_share``)) keeps a post filled 24/7 through leave,
      sickness and training
      (defaults: 168 ÷ (40 × 0.85) ≈ 4.94), unless ``coverage_factor`` is given.
    """

    model_config = SECTION_CONFIG

    resource: str = Field("beds", description="primary resource (first of `resources`)")
    resources: list[str] | None = Field(
        None, description="resources to plan, primary first; default: [resource]"
    )
    admissions_per_1000: dict[str, AdmissionRate] = Field(
        default_factory=lambda: {"all": 100.0},
        description="admissions per 1,000 persons per year by age band (0 to 10,000)",
    )
    los_days: float = Field(
        5.0, gt=0, le=MAX_LOS_DAYS, description="mean LOS, days, when there is no history (≤ 365)"
    )
    occupancy_target: float = Field(
        0.85,
        ge=MIN_OCCUPANCY_TARGET,
        le=1,
        description="share of beds occupied on average (0.01 to 1): beds = bed-days ÷ target",
    )
    capacity_method: Literal["occupancy", "erlang_b"] = "occupancy"
    blocking_target: float = Field(
        0.05, gt=0, lt=1, description="Erlang-B: largest share of arrivals that may find no bed"
    )
    queue_allowed: bool = Field(
        False, description="patients wait for a bed (Erlang-C waits) instead of being turned away"
    )
    simulate_queues: bool = Field(
        True,
        description="run the seeded queue simulation beside the Erlang figures in each open "
        "site's queue check (a few ms a site; false keeps the analytic figures only)",
    )
    risk_days: float = Field(7.0, gt=0, description="k of the LOS risk P(LOS > k days)")
    surge_multiplier: float | str | SurgeMultiplierTable = Field(
        1.0,
        description="scalar ≥ 0, the name of an areas column with a multiplier per area, or a "
        "table { path, id, multiplier } of area id → multiplier",
    )
    surge: SurgeOptions = Field(default_factory=SurgeOptions)
    cases: CasesOptions | None = Field(
        None, description="surge admissions from case counts in zones"
    )
    rates_from_history: bool = Field(
        True, description="estimate admission rates from a [history] with an area id when present"
    )
    # ICU and equipment
    icu_share: float = Field(
        0.08, ge=0, le=1, description="share of occupied bed-days that are ICU bed-days"
    )
    icu_occupancy_target: float = Field(0.75, ge=MIN_OCCUPANCY_TARGET, le=1)
    ventilators_per_icu_bed: float = Field(0.5, ge=0)
    # staff
    staff_per_occupied_bed: dict[str, float] = Field(
        default_factory=lambda: {"nurses": 0.2, "physicians": 0.05},
        description="staff on duty per occupied bed per shift (nurses 1:5, physicians 1:20)",
    )
    icu_staff_multiplier: float = Field(
        2.5, ge=0, description="an ICU bed needs this many times the ward staff ratio (1:2 nursing)"
    )
    fte_hours_per_week: float = Field(40.0, gt=0, le=HOURS_PER_WEEK)
    absence_share: float = Field(0.15, ge=0, lt=1, description="leave, sickness, training")
    coverage_factor: float | None = Field(
        None, gt=0, description="FTE per post staffed 24/7; default from hours and absence"
    )
    # queue check simulation
    simulation_days: float = Field(180.0, gt=0, description="simulated days per replication")
    simulation_replications: int = Field(10, ge=2, le=1000)
    simulation_max_arrivals: int = Field(
        200_000, ge=1000, description="cap per site and replication; the horizon shrinks to fit"
    )

    @model_validator(mode="after")
    def _resources_are_known(self) -> DemandOptions:
        staff = set(self.staff_per_occupied_bed)
        known = set(KNOWN_RESOURCES) | staff
        for name in self.planned:
            if name not in known:
                msg = (
                    f"resource {name!r} is unknown: use one of {sorted(known)} or add a staff "
                    "ratio for it in staff_per_occupied_bed"
                )
                raise ValueError(msg)
        if self.resources:
            if "resource" in self.model_fields_set and self.resources[0] != self.resource:
                msg = (
                    f"resources[0] ({self.resources[0]!r}) must be the primary resource "
                    f"({self.resource!r}), or leave 'resource' out"
                )
                raise ValueError(msg)
            self.resource = self.resources[0]
        if isinstance(self.surge_multiplier, float | int) and not (
            0 <= self.surge_multiplier <= MAX_SURGE_MULTIPLIER
        ):
            msg = f"surge_multiplier must be between 0 and {MAX_SURGE_MULTIPLIER:g}"
            raise ValueError(msg)
        return self

    @property
    def planned(self) -> list[str]:
        """The resources to plan, primary first."""
        if self.resources:
            return list(self.resources)
        return [self.resource]

    @property
    def staff_coverage_factor(self) -> float:
        """FTE needed to keep one post filled 24/7."""
        if self.coverage_factor is not None:
            return self.coverage_factor
        return HOURS_PER_WEEK / (self.fte_hours_per_week * (1.0 - self.absence_share))


class HistoryJoin(BaseModel):
    """A second table joined onto the history rows by a key (MIMIC-IV keeps ages in
    ``patients.csv.gz``, joined on ``subject_id``); each key at most once in it."""

    model_config = SECTION_CONFIG

    path: Path
    on: str = Field(description="key column present in both tables")


class HistoryOptions(BaseModel):
    """An admissions history (CSV, CSV.gz or Parquet): one row per admission or stay.

    LOS comes from, in this order: ``admit`` and ``discharge`` timestamps, a ``los`` column in
    days, or a banded ``los_band`` column (``"0-10"``, ``"11-20"``, …, ``"More than 100 Days"``;
    interval-censored). Columns left unset are recognised by name: ``admittime``/``dischtime``
    (MIMIC-IV hosp), ``intime``/``outtime`` (MIMIC-IV icu), ``los``/``los_days``/``length_of_stay``,
    ``Stay``. ``path`` is relative to the scenario file.
    """

    model_config = SECTION_CONFIG

    path: Path
    admit: str | None = Field(None, description="admission timestamp column")
    discharge: str | None = Field(None, description="discharge timestamp column")
    los: str | None = Field(None, description="LOS column, in days")
    los_band: str | None = Field(None, description="banded LOS column, e.g. 'Stay'")
    area_id: str | None = Field(None, description="column with the patient's area id")
    age_band: str | None = Field(
        None, description="column with the age-band label used in [demand] admissions_per_1000"
    )
    age: str | None = Field(
        None, description="numeric age column (years), banded with age_band_min_years"
    )
    age_band_min_years: dict[str, float] = Field(
        default_factory=dict,
        description='band label -> lowest age (years) in it, e.g. {"50+" = 50}; a row takes '
        "the band with the highest minimum at or below its age, 'other' below them all",
    )
    join: HistoryJoin | None = Field(None, description="a table joined onto the rows by a key")
    group_by: list[str] = Field(
        default_factory=list,
        description="case-mix columns to fit LOS per group (e.g. admission_type)",
    )
    years: float | None = Field(
        None, gt=0, description="years the history covers (for rates); default: from admit times"
    )
    id: str | None = Field(None, description="row id column used in problem reports")

    @model_validator(mode="after")
    def _one_age_source(self) -> HistoryOptions:
        if self.age is not None and self.age_band is not None:
            msg = "give [history] age_band (labels) or age with age_band_min_years, not both"
            raise ValueError(msg)
        if (self.age is None) != (not self.age_band_min_years):
            msg = "[history] age and age_band_min_years go together"
            raise ValueError(msg)
        return self
