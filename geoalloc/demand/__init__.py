"""Demand: people and admissions → capacity needed per area and resource."""

from geoalloc.demand.needs import admissions_per_year, band_population, capacity_needed
from geoalloc.demand.options import DemandOptions

__all__ = ["DemandOptions", "admissions_per_year", "band_population", "capacity_needed"]
