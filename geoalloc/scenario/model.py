"""Scenario files: TOML → validated pydantic models (unknown keys rejected, paths relative to the file)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from geoalloc._errors import InputError
from geoalloc._validate import SECTION_CONFIG, file_problem
from geoalloc.access.options import AccessOptions
from geoalloc.demand.options import DemandOptions, HistoryOptions
from geoalloc.optimize.options import OptimizeOptions, RunKindName, refuse_inapplicable
from geoalloc.optimize.phased_options import DeploymentOptions
from geoalloc.parallel import ComputeOptions
from geoalloc.scenario.booleans import refuse_bools_as_numbers
from geoalloc.scenario.errors import validation_problems
from geoalloc.scenario.frames import LayerSource
from geoalloc.scenario.paths import resolve_paths
from geoalloc.scenario.robustness import RobustnessOptions
from geoalloc.scenario.telemedicine import TelemedicineOptions
from geoalloc.travel.options import NetworkOptions

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class PopulationPointsOptions(BaseModel):
    """Population from a point layer (or grid cells, at their representative point) summed into
    the areas — by partitions with dask-geopandas when the layer is too large for memory."""

    model_config = SECTION_CONFIG

    path: Path
    value: str | None = Field(None, description="column to sum (persons); None counts points")


class PopulationRasterOptions(BaseModel):
    """Population from a raster of persons per pixel (a GeoTIFF: WorldPop, GHSL, Kontur, a national
    grid), summed into the areas by exact fractional coverage (each pixel split between the areas
    by the share of it they cover; the areas reprojected to the raster's CRS, the raster never
    resampled — see geoalloc.inputs.population_raster)."""

    model_config = SECTION_CONFIG

    path: Path
    band: int = Field(1, ge=1, description="the band that holds persons per pixel (1-based)")
    age_bands: dict[str, Path] = Field(
        default_factory=dict,
        description="areas column -> raster of that age band's persons (band 1), each summed "
        "the same way; the columns are [areas] age_bands columns",
    )


class PopulationCensusOptions(BaseModel):
    """Population from census polygons (tracts, blocks) with a count column, shared among the areas
    by area-weighted interpolation in an equal-area CRS (counts of persons only — see
    geoalloc.inputs.population_census)."""

    model_config = SECTION_CONFIG

    path: Path
    layer: str | None = None
    column: str = Field(description="the census polygons' count column (persons)")
    age_bands: dict[str, str] = Field(
        default_factory=dict,
        description="areas column -> census count column of that age band, interpolated the "
        "same way; the columns are [areas] age_bands columns",
    )


#: the [areas] keys that compute the population column from another source
POPULATION_SOURCES = ("population_points", "population_raster", "population_census")


class DistrictsOptions(BaseModel):
    """Polygons (districts, ZIP codes, counties) that group the areas: each area takes the id of
    the district sharing the largest part of its area (at least 1 % of it, else the area is in no
    district and grouped as "(no district)"), in a new areas column ``column`` — for
    ``[optimize] equity_group_column`` (equity floors and coverage per district)."""

    model_config = SECTION_CONFIG

    path: Path
    layer: str | None = None
    id: str = Field(description="district id column of the polygons")
    column: str = Field("district", description="areas column to write the district id to")


class OriginsOptions(BaseModel):
    """Where each area's trips start: a point layer (town centres, population-weighted centroids;
    polygons give their representative point) whose ``id`` column holds area ids. Areas without a
    point start from their representative point (noted); points of no area are ignored (noted)."""

    model_config = SECTION_CONFIG

    path: Path
    layer: str | None = None
    id: str = Field(description="column with the id of the area each point belongs to")
    lon: str | None = Field(
        None, description="longitude column of a CSV table (default: detected from its name)"
    )
    lat: str | None = Field(
        None, description="latitude column of a CSV table (default: detected from its name)"
    )


class TableJoin(BaseModel):
    """Columns from a CSV table joined onto a vector layer by a shared key column (e.g. published
    populations onto OSM boundaries). Keys are compared as text."""

    model_config = SECTION_CONFIG

    path: Path = Field(description="CSV file (relative to the scenario file)")
    on: str = Field(description="key column, present in both the layer and the table")
    how: Literal["inner", "left"] = Field(
        "inner",
        description="inner: layer rows without a table row are dropped (and listed as a note); "
        "left: they are kept, with empty joined columns",
    )


class AreasOptions(BaseModel):
    """Demand polygons: any vector file GeoPandas reads, or a GeoDataFrame (:func:`geoalloc.plan`)."""

    model_config = SECTION_CONFIG

    path: LayerSource = Field(
        description="the layer file (relative to the scenario file), or a GeoDataFrame in Python"
    )
    layer: str | None = None
    id: str
    population: str
    name: str | None = Field(
        None,
        description="column of the areas' names, shown in the map's tooltips and the report "
        "(default: a column called name, any case; else, on an OSM network, the place in or "
        "near each area)",
    )
    age_bands: dict[str, str] = Field(
        default_factory=dict, description="column -> band label; the rest of population is 'other'"
    )
    population_points: PopulationPointsOptions | None = Field(
        None, description="compute the `population` column by summing a point layer into the areas"
    )
    population_raster: PopulationRasterOptions | None = Field(
        None, description="compute the `population` column from a raster of persons per pixel"
    )
    population_census: PopulationCensusOptions | None = Field(
        None, description="compute the `population` column from census polygons by area weights"
    )
    population_estimate: str | None = Field(
        None,
        description="when the population is an estimate, the sentence that says how it was made "
        "(geoalloc init writes it): every run of the scenario flags its plan with it — console, "
        "report, map and summary.json (population_estimate)",
    )
    population_total: float | None = Field(
        None,
        gt=0,
        description="the region's published population (a census count, persons): a control "
        "total the areas' population is checked against after every run (summary.json checks, "
        "id population_total; more than 5 % off is a warning)",
    )
    districts: DistrictsOptions | None = Field(
        None, description="district polygons: each area's district id into a new column"
    )
    origins: OriginsOptions | None = Field(
        None, description="a point per area where its trips start, instead of its polygon's point"
    )
    join: TableJoin | None = Field(None, description="columns joined from a CSV by a key column")

    @model_validator(mode="after")
    def _one_population_source(self) -> AreasOptions:
        given = [key for key in POPULATION_SOURCES if getattr(self, key) is not None]
        if len(given) > 1:
            msg = (
                f"[areas] has {' and '.join(given)}: the population comes from one source at a "
                "time — keep one of them"
            )
            raise ValueError(msg)
        bands = self.population_source_bands()
        unknown = sorted(set(bands) - set(self.age_bands))
        if unknown:
            msg = (
                f"[areas] {given[0]} age_bands names {unknown}, which are not [areas] age_bands "
                f"columns ({sorted(self.age_bands)}) — add them there with their band label, "
                'e.g. age_bands = { over65 = "65+" }'
            )
            raise ValueError(msg)
        return self

    def population_source(self) -> str | None:
        """The key of the source the population column is computed from, or None (a column)."""
        return next((key for key in POPULATION_SOURCES if getattr(self, key) is not None), None)

    def population_source_bands(self) -> list[str]:
        """The age-band columns the population source computes (none for points)."""
        source = self.population_raster or self.population_census
        return list(source.age_bands) if source is not None else []


class FacilitiesOptions(BaseModel):
    """Existing and candidate sites: points (polygons become a representative point), from a file
    (any vector file, or a CSV table with longitude/latitude columns) or a GeoDataFrame
    (:func:`geoalloc.plan`)."""

    model_config = SECTION_CONFIG

    path: LayerSource = Field(
        description="the layer file (relative to the scenario file), or a GeoDataFrame in Python"
    )
    layer: str | None = None
    id: str
    name: str | None = None
    capacity: dict[str, str] = Field(description="resource -> column with the current capacity")
    lon: str | None = Field(
        None,
        description="longitude column (WGS84 degrees) of a CSV table; default: detected from "
        "its name (longitude, lon, lng, long, x — any case)",
    )
    lat: str | None = Field(
        None,
        description="latitude column (WGS84 degrees) of a CSV table; default: detected from its "
        "name (latitude, lat, y — any case)",
    )
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

    model_config = SECTION_CONFIG

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
    """A whole scenario: one section per table of the scenario file.

    Build it with :func:`load_scenario` (a TOML file) so that paths are resolved;
    :func:`geoalloc.plan` builds one from GeoDataFrames. A scenario is immutable in practice: make
    a variant with ``model_copy(update=...)``, which does not check the new values (give them
    with the field's type).

    Parameters
    ----------
    name
        The run's name (a folder name: letters, digits, ``.``, ``_``, ``-``).
    areas, facilities
        ``[areas]`` and ``[facilities]``: the layers (a file or a GeoDataFrame) and their columns.
    history, network, demand, optimize, outage, compute, telemedicine, deployment, access, robustness
        The other sections; absent ones take their defaults (or none).

    Raises
    ------
    pydantic.ValidationError
        An unknown key or an invalid value (:func:`load_scenario` turns these into one
        :class:`InputError`).

    Examples
    --------
    >>> import geoalloc
    >>> scenario = geoalloc.load_scenario("examples/chicago/beds.toml")
    >>> faster = scenario.model_copy(
    ...     update={"optimize": scenario.optimize.model_copy(update={"time_limit_s": 10.0})}
    ... )
    >>> faster.optimize.time_limit_s
    10.0
    """

    model_config = SECTION_CONFIG

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
    access: AccessOptions | None = Field(
        None,
        description="an accessibility index (2SFCA, E2SFCA, BFCA, gravity) per area for the "
        "baseline and the plan (see geoalloc.access.options)",
    )
    robustness: RobustnessOptions | None = Field(
        None,
        description="the uncertainty `geoalloc robust` draws futures from (defaults when absent; "
        "see geoalloc.scenario.robustness); `geoalloc run` does not read it",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_bools_as_numbers(cls, data: Any) -> Any:
        # `max_minutes = true` is a mistake, not 1 minute: every section refuses true/false
        # where it takes a number
        return refuse_bools_as_numbers(data, cls)

    @field_validator("name")
    @classmethod
    def _name_is_a_folder_name(cls, value: str) -> str:
        if not _NAME_RE.match(value):
            msg = f"name {value!r} must be usable as a folder name (letters, digits, '.', '_', '-')"
            raise ValueError(msg)
        return value

    def optimize_reader(self) -> RunKindName:
        """Which run reads ``[optimize]``: the section that asks for a run kind, named as the
        registry's kinds are named (``tests/test_run_folder.py`` checks they agree)."""
        if self.telemedicine is not None:
            return "telemedicine"
        return "deployment" if self.deployment is not None else "planning"

    @model_validator(mode="after")
    def _optimize_keys_apply(self) -> Scenario:
        # [optimize] keys the run does not read are refused at load time, before any lookup
        refuse_inapplicable(self.optimize, kind=self.optimize_reader())
        if self.access is not None and self.optimize_reader() == "telemedicine":
            msg = (
                "[access] is reported by planning runs; a telemedicine run does not read it — "
                "remove the section"
            )
            raise ValueError(msg)
        return self


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    Relative paths in ``[areas]``, ``[facilities]`` and ``[network] source`` are resolved against the
    scenario file's folder. The input files themselves are read when the scenario is run.

    Parameters
    ----------
    path
        The scenario file (TOML; unknown keys are rejected).

    Returns
    -------
    Scenario
        The validated scenario with absolute paths; change it with ``model_copy(update=...)``.

    Raises
    ------
    InputError
        The file is missing, not TOML, or has invalid keys or values (every problem at once).

    Examples
    --------
    >>> import geoalloc
    >>> scenario = geoalloc.load_scenario("examples/chicago/beds.toml")
    >>> scenario.optimize.model
    'capacitated'
    """
    path = Path(path)
    why = file_problem(path)
    if why is not None:
        what = "scenario file not found" if why == "not found" else f"the scenario path is {why}"
        raise InputError(f"{path}: {what} — check the path")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML: {exc} — fix the syntax at that line") from None
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = validation_problems(exc, str(path))
        raise InputError(
            problems, header=f"{len(problems)} problem(s) in scenario {path}"
        ) from None
    return resolve_paths(scenario, path.parent)
