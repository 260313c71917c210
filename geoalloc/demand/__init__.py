"""Demand: people and admissions → capacity needed per area and resource."""

from geoalloc.demand.area_needs import area_needs, planned_resources
from geoalloc.demand.needs import admissions_per_year, band_population, capacity_needed
from geoalloc.demand.options import DemandOptions

__all__ = [
    "DemandOptions",
    "admissions_per_year",
    "area_needs",
    "band_population",
    "capacity_needed",
    "planned_resources",
]
