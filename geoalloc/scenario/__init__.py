"""Scenario files: TOML → validated pydantic sections, with every input path resolved in one place.

Areas and facilities may also be GeoDataFrames (:class:`FrameSource`, from :func:`geoalloc.plan`).
"""

from geoalloc.scenario.frames import FrameSource
from geoalloc.scenario.model import (
    AreasOptions,
    DistrictsOptions,
    FacilitiesOptions,
    OriginsOptions,
    OutageOptions,
    PopulationCensusOptions,
    PopulationPointsOptions,
    PopulationRasterOptions,
    Scenario,
    TableJoin,
    load_scenario,
)
from geoalloc.scenario.paths import input_files, input_frames, resolve_paths

__all__ = [
    "AreasOptions",
    "DistrictsOptions",
    "FacilitiesOptions",
    "FrameSource",
    "OriginsOptions",
    "OutageOptions",
    "PopulationCensusOptions",
    "PopulationPointsOptions",
    "PopulationRasterOptions",
    "Scenario",
    "TableJoin",
    "input_files",
    "input_frames",
    "load_scenario",
    "resolve_paths",
]
