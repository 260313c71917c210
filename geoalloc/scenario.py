"""Scenario files: TOML → validated pydantic models (unknown keys rejected, paths relative to the file)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from geoalloc._errors import InputError, UsageError
from geoalloc.demand.options import DemandOptions, HistoryOptions, SurgeMultiplierTable
from geoalloc.optimize.options import (
    INAPPLICABLE,
    OptimizeOptions,
    RunKindName,
    refuse_inapplicable,
)
from geoalloc.optimize.phased_options import DeploymentOptions
from geoalloc.parallel import ComputeOptions
from geoalloc.telemedicine.options import TelemedicineOptions
from geoalloc.travel.options import NetworkOptions

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class PopulationPointsOptions(BaseModel):
    """Population from a point layer (or grid cells, at their representative point) summed into
    the areas — by partitions with dask-geopandas when the layer is too large for memory."""

    model_config = ConfigDict(extra="forbid")

    path: Path
    value: str | None = Field(None, description="column to sum (persons); None counts points")


class DistrictsOptions(BaseModel):
    """Polygons (districts, ZIP codes, counties) that group the areas: each area takes the id of
    the district sharing the largest part of its area (at least 1 % of it, else the area is in no
    district and grouped as "(no district)"), in a new areas column ``column`` — for
    ``[optimize] equity_group_column`` (equity floors and coverage per district)."""

    model_config = ConfigDict(extra="forbid")

    path: Path
    layer: str | None = None
    id: str = Field(description="district id column of the polygons")
    column: str = Field("district", description="areas column to write the district id to")


class OriginsOptions(BaseModel):
    """Where each area's trips start: a point layer (town centres, population-weighted centroids;
    polygons give their representative point) whose ``id`` column holds area ids. Areas without a
    point start from their representative point (noted); points of no area are ignored (noted)."""

    model_config = ConfigDict(extra="forbid")

    path: Path
    layer: str | None = None
    id: str = Field(description="column with the id of the area each point belongs to")


class TableJoin(BaseModel):
    """Columns from a CSV table joined onto a vector layer by a shared key column (e.g. published
    populations onto OSM boundaries). Keys are compared as text."""

    model_config = ConfigDict(extra="forbid")

    path: Path = Field(description="CSV file (relative to the scenario file)")
    on: str = Field(description="key column, present in both the layer and the table")
    how: Literal["inner", "left"] = Field(
        "inner",
        description="inner: layer rows without a table row are dropped (and listed as a note); "
        "left: they are kept, with empty joined columns",
    )


class AreasOptions(BaseModel):
    """Demand polygons: any vector file GeoPandas reads."""

    model_config = ConfigDict(extra="forbid")

    path: Path
    layer: str | None = None
    id: str
    population: str
    age_bands: dict[str, str] = Field(
        default_factory=dict, description="column -> band label; the rest of population is 'other'"
    )
    population_points: PopulationPointsOptions | None = Field(
        None, description="compute the `population` column by summing a point layer into the areas"
    )
    districts: DistrictsOptions | None = Field(
        None, description="district polygons: each area's district id into a new column"
    )
    origins: OriginsOptions | None = Field(
        None, description="a point per area where its trips start, instead of its polygon's point"
    )
    join: TableJoin | None = Field(None, description="columns joined from a CSV by a key column")


class FacilitiesOptions(BaseModel):
    """Existing and candidate sites: points (polygons become a representative point)."""

    model_config = ConfigDict(extra="forbid")

    path: Path
    layer: str | None = None
    id: str
    name: str | None = None
    capacity: dict[str, str] = Field(description="resource -> column with the current capacity")
    candidate: str | None = Field(None, description="boolean column: true for not-yet-open sites")
    join: TableJoin | None = Field(None, description="columns joined from a CSV by a key column")
    capacity_scale: dict[str, float] = Field(
        default_factory=dict,
        description="resource -> factor (>= 0) on every site's capacity, rounded down to whole "
        "units: a smaller stock than the file's (resource-limited what-ifs, equipment out of use)",
    )

    @field_validator("capacity_scale")
    @classmethod
    def _scaled_resources_have_capacity(cls, value: dict[str, float], info) -> dict[str, float]:
        capacity = info.data.get("capacity") or {}
        unknown = sorted(set(value) - set(capacity))
        if unknown:
            msg = f"capacity_scale names {unknown}, which have no capacity column ({sorted(capacity)})"
            raise ValueError(msg)
        negative = sorted(r for r, f in value.items() if not f >= 0)
        if negative:
            msg = f"capacity_scale factors must be >= 0 (check {negative})"
            raise ValueError(msg)
        return value


class OutageOptions(BaseModel):
    """Emergency outages: sites out of service (the baseline still has them, the plan does not)."""

    model_config = ConfigDict(extra="forbid")

    closed_sites: list[str] = Field(default_factory=list, description="ids of sites out of service")
    road_closures: Path | None = Field(
        None,
        description="polygons (any vector file) where roads are cut: every edge touching them is "
        "removed, or slowed by road_slowdown_factor; road networks only",
    )
    road_slowdown_factor: float | None = Field(
        None,
        ge=1.0,
        description="slow the roads in road_closures by this factor instead of cutting",
    )


class Scenario(BaseModel):
    """A whole scenario. Build it with :func:`load_scenario` so that paths are resolved."""

    model_config = ConfigDict(extra="forbid")

    name: str
    areas: AreasOptions
    facilities: FacilitiesOptions
    history: HistoryOptions | None = None
    network: NetworkOptions = Field(default_factory=NetworkOptions)
    demand: DemandOptions = Field(default_factory=DemandOptions)
    optimize: OptimizeOptions = Field(default_factory=OptimizeOptions)
    outage: OutageOptions = Field(default_factory=OutageOptions)
    compute: ComputeOptions = Field(default_factory=ComputeOptions)
    telemedicine: TelemedicineOptions | None = None
    deployment: DeploymentOptions | None = Field(
        None, description="time-phased emergency deployment (see geoalloc.optimize.phased_options)"
    )

    @field_validator("name")
    @classmethod
    def _name_is_a_folder_name(cls, value: str) -> str:
        if not _NAME_RE.match(value):
            msg = f"name {value!r} must be usable as a folder name (letters, digits, '.', '_', '-')"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _optimize_keys_apply(self) -> Scenario:
        # [optimize] keys the run does not read are refused; which run depends on the sections
        kind: RunKindName = (
            "telemedicine"
            if self.telemedicine is not None
            else "deployment"
            if self.deployment is not None
            else "planning"
        )
        refuse_inapplicable(self.optimize, kind=kind)
        return self


def require_planning_model(scenario: Scenario, what: str) -> None:
    """Refuse a ``[telemedicine]`` scenario in ``what`` (sweeps, frontiers), which run the planning
    models only: a :class:`UsageError` (exit 2) that says so."""
    if scenario.telemedicine is not None:
        msg = (
            f"{what} run the planning models; scenario {scenario.name!r} has a [telemedicine] "
            "section, which they do not take yet — run its variants one by one with `geoalloc run`"
        )
        raise UsageError(msg)


def _format_pydantic_error(path: Path, error: dict) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{path}: unknown key '{where}' — remove it or check its spelling"
    if error["type"] == "missing":
        return f"{path}: required key '{where}' is missing"
    if error["type"] == INAPPLICABLE:  # says which key, which model, and the fix
        return f"{path}: {error['msg']}"
    return f"{path}: '{where}': {error['msg']} (got {error.get('input')!r})"


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    Relative paths in ``[areas]``, ``[facilities]`` and ``[network] source`` are resolved against the
    scenario file's folder. Every problem in the file is reported at once as an :class:`InputError`.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: scenario file not found — check the path")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML: {exc} — fix the syntax at that line") from None
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = [_format_pydantic_error(path, err) for err in exc.errors()]
        raise InputError(
            problems, header=f"{len(problems)} problem(s) in scenario {path}"
        ) from None
    return resolve_paths(scenario, path.parent)


def resolve_paths(scenario: Scenario, base: Path) -> Scenario:
    """Return a copy whose input paths are absolute, relative ones taken from ``base``."""

    def resolve(p: Path) -> Path:
        return p if p.is_absolute() else (base / p).resolve()

    network = scenario.network
    if not network.is_crowfly and not network.is_place:
        network = network.model_copy(update={"source": str(resolve(Path(network.source)))})
    history = scenario.history
    if history is not None:
        update: dict = {"path": resolve(history.path)}
        if history.join is not None:
            update["join"] = history.join.model_copy(update={"path": resolve(history.join.path)})
        history = history.model_copy(update=update)
    demand = scenario.demand
    if demand.surge.path is not None:
        surge = demand.surge.model_copy(update={"path": resolve(demand.surge.path)})
        demand = demand.model_copy(update={"surge": surge})
    if demand.cases is not None:
        cases = demand.cases.model_copy(update={"path": resolve(demand.cases.path)})
        demand = demand.model_copy(update={"cases": cases})
    table = demand.surge_multiplier
    if isinstance(table, SurgeMultiplierTable):
        table = table.model_copy(update={"path": resolve(table.path)})
        demand = demand.model_copy(update={"surge_multiplier": table})
    outage = scenario.outage
    if outage.road_closures is not None:
        outage = outage.model_copy(update={"road_closures": resolve(outage.road_closures)})
    deployment = scenario.deployment
    if deployment is not None and deployment.temporary_sites is not None:
        deployment = deployment.model_copy(
            update={"temporary_sites": resolve(deployment.temporary_sites)}
        )
    areas = scenario.areas.model_copy(update={"path": resolve(scenario.areas.path)})
    if areas.population_points is not None:
        points = areas.population_points
        areas = areas.model_copy(
            update={"population_points": points.model_copy(update={"path": resolve(points.path)})}
        )
    for key in ("districts", "origins"):
        part = getattr(areas, key)
        if part is not None:
            areas = areas.model_copy(
                update={key: part.model_copy(update={"path": resolve(part.path)})}
            )
    areas, facilities = (
        section.model_copy(
            update={"join": section.join.model_copy(update={"path": resolve(section.join.path)})}
        )
        if section.join is not None
        else section
        for section in (areas, scenario.facilities)
    )
    telemedicine = scenario.telemedicine
    if telemedicine is not None and telemedicine.coverage is not None:
        telemedicine = telemedicine.model_copy(update={"coverage": resolve(telemedicine.coverage)})
    return scenario.model_copy(
        update={
            "areas": areas,
            "facilities": facilities.model_copy(update={"path": resolve(facilities.path)}),
            "telemedicine": telemedicine,
            "network": network,
            "history": history,
            "demand": demand,
            "outage": outage,
            "deployment": deployment,
        }
    )
