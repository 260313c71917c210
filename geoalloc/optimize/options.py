"""The ``[optimize]`` section of a scenario file.

Units: minutes for travel, the scenario's currency for costs, resource units (beds, staff …) for
capacity and demand. The objective of every minimising model is in *demand-weighted minutes*; costs
enter it through ``cost_weight`` (minutes per currency unit) and unmet demand through
``unmet_penalty_minutes`` (minutes per unit of demand not served).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ModelName = Literal["lscp", "mclp", "p-median", "p-center", "capacitated"]
SolverName = Literal["highs", "cbc"]


class Coupling(BaseModel):
    """A ratio between two resources' capacity *after* the plan, at every open site.

    ``resource ≤ max_ratio × per`` (e.g. ventilators ≤ 0.5 × icu_beds) and/or
    ``resource ≥ min_ratio × per`` (e.g. nurses ≥ 1.2 × beds).
    """

    model_config = ConfigDict(extra="forbid")

    resource: str
    per: str
    max_ratio: float | None = Field(None, ge=0)
    min_ratio: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one_ratio(self) -> Coupling:
        if self.max_ratio is None and self.min_ratio is None:
            msg = f"coupling {self.resource!r} per {self.per!r}: give max_ratio and/or min_ratio"
            raise ValueError(msg)
        return self


class OptimizeOptions(BaseModel):
    """Which location model to solve, with which solver, limits, costs and equity terms.

    Models
    ------
    ``lscp``
        Fewest sites so that every reachable area is within ``max_minutes``.
    ``mclp``
        ``p`` sites maximising the weight covered within ``max_minutes``.
    ``p-median``
        ``p`` sites minimising weighted travel minutes (areas no open site reaches in the OD table
        count as unmet at ``unmet_penalty_minutes``).
    ``p-center``
        ``p`` sites minimising the worst travel minutes of any reachable area.
    ``capacitated``
        The planning model: existing and candidate sites, per-resource capacity and expansion,
        budgets, couplings, unmet demand at a penalty, optional single-source assignment.

    Facility columns (``opening_cost_column``, ``operating_cost_column``, ``max_size_columns``)
    name columns of the facility file; the pipeline passes them to
    :func:`geoalloc.optimize.problem_from_inputs`. ``equity_group_column`` names a column of the
    *areas* file (the pipeline passes it as ``groups``).
    """

    model_config = ConfigDict(extra="forbid")

    model: ModelName = "p-median"
    p: int | None = Field(
        None,
        ge=1,
        description="sites to open/keep; in the capacitated model exactly p sites stay open, "
        "existing or candidate (without p, existing sites stay open and candidates may open)",
    )
    max_minutes: float | None = Field(30.0, gt=0, description="travel standard, minutes")
    weight: Literal["demand", "population"] = Field(
        "demand",
        description="area weight of the classic models: the first resource's demand, or population",
    )
    solver: SolverName = "highs"
    backend: Literal["arrays", "pulp"] = Field(
        "arrays",
        description="'arrays' feeds HiGHS from numpy (fast); 'pulp' builds the same model in PuLP "
        "(readable, LP files, the only path for CBC)",
    )
    time_limit_s: float = Field(60.0, gt=0, description="solver time limit, seconds")
    hard_time_limit_s: float | None = Field(
        None, gt=0, description="geoalloc's own wall-clock limit; default 1.25 × time_limit_s + 5"
    )
    mip_gap: float = Field(0.001, ge=0, description="relative gap at which the solver may stop")
    unmet_penalty_minutes: float = Field(
        1000.0, gt=0, description="cost of one unit of unmet demand, in demand-weighted minutes"
    )
    allow_unmet: bool = Field(True, description="capacitated: allow unmet demand at the penalty")

    # --- capacitated planning model -------------------------------------------------------
    minutes_weight: float = Field(1.0, ge=0, description="weight of demand-weighted minutes")
    cost_weight: float = Field(
        1e-6, ge=0, description="minutes per currency unit of opening/expansion/operating cost"
    )
    opening_cost_column: str | None = Field(
        None, description="facility column: fixed cost of opening a candidate site"
    )
    operating_cost_column: str | None = Field(
        None,
        description="facility column: cost of keeping an existing site open (with allow_closing)",
    )
    allow_closing: bool = Field(
        False, description="existing sites may be closed (always so when p is given)"
    )
    cost_per_unit: dict[str, float] = Field(
        default_factory=dict,
        description="resource → cost of one added unit; only resources listed here can be expanded",
    )
    module_size: dict[str, float] = Field(
        default_factory=dict, description="resource → units per expansion module (default 1)"
    )
    continuous_expansion: bool = Field(False, description="expansion in fractional units")
    max_size_columns: dict[str, str] = Field(
        default_factory=dict,
        description="resource → facility column: maximum capacity after expansion",
    )
    max_added: dict[str, float] = Field(
        default_factory=dict, description="resource → maximum units added at any one site"
    )
    budget: float | None = Field(None, ge=0, description="total budget for opening + expansion")
    resource_budgets: dict[str, float] = Field(
        default_factory=dict, description="resource → budget for that resource's expansion"
    )
    couplings: list[Coupling] = Field(default_factory=list)
    single_source: bool = Field(False, description="each area served by one site for all resources")

    # --- equity ----------------------------------------------------------------------------
    equity_group_column: str | None = Field(
        None, description="areas column defining groups (district, age group, deprivation quintile)"
    )
    coverage_floor: float | None = Field(
        None,
        ge=0,
        le=1,
        description="each group's share of demand served within the standard ≥ this",
    )
    minimax_weight: float = Field(
        0.0, ge=0, description="weight of the worst area's mean travel minutes in the objective"
    )
    frontier_floors: list[float] | None = Field(
        None, description="coverage floors for the equity–efficiency frontier (one solve each)"
    )
    backup_weight: float = Field(
        0.0,
        ge=0,
        description="mclp: weight of covering an area a second time (backup / N-1 coverage: it "
        "stays covered if any one site fails); the objective is covered + backup_weight × covered "
        "twice, so a weight below 1 keeps first coverage first",
    )
    priority_column: str | None = Field(
        None,
        description="capacitated: an areas column weighting each area's unmet penalty (severity, "
        "LOS risk …), or 'long_stay_share' for the share of its admissions staying longer than "
        "[demand] risk_days; scarce capacity then goes first where the weight is high",
    )
    explain: bool = Field(False, description="compute dual prices and the why-this-site table")
    threads: int | None = Field(None, ge=1, description="solver threads (default: solver's choice)")

    @property
    def hard_limit_s(self) -> float:
        if self.hard_time_limit_s is not None:
            return self.hard_time_limit_s
        return 1.25 * self.time_limit_s + 5.0
