"""Scenario files: TOML → validated pydantic sections, with every input path resolved in one place."""

from geoalloc.scenario.model import (
    AreasOptions,
    DistrictsOptions,
    FacilitiesOptions,
    OriginsOptions,
    OutageOptions,
    PopulationPointsOptions,
    Scenario,
    TableJoin,
    load_scenario,
)
from geoalloc.scenario.paths import input_files, resolve_paths

__all__ = [
    "AreasOptions",
    "DistrictsOptions",
    "FacilitiesOptions",
    "OriginsOptions",
    "OutageOptions",
    "PopulationPointsOptions",
    "Scenario",
    "TableJoin",
    "input_files",
    "load_scenario",
    "resolve_paths",
]
