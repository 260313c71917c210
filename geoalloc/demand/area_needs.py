"""The pipeline's entry point: capacity needed per area and resource for a scenario."""

from __future__ import annotations

import pandas as pd

from geoalloc.demand.needs import admissions_per_year, band_population, capacity_needed
from geoalloc.demand.options import DemandOptions


def area_needs(
    areas: pd.DataFrame, *, population: str, age_bands: dict[str, str], options: DemandOptions
) -> pd.DataFrame:
    """Needs per area (index: area id): ``admissions_per_day``, ``bed_days_per_day`` and one
    column per planned resource (units needed, e.g. ``beds``)."""
    bands = band_population(areas, population, age_bands)
    return capacity_needed(admissions_per_year(bands, options.admissions_per_1000), options)


def planned_resources(options: DemandOptions) -> list[str]:
    """The resources the optimizer allocates, primary first."""
    return [options.resource]
