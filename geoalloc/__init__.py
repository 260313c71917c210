"""geoalloc: where hospital beds, staff and equipment should be.

Population and admissions become beds/staff/equipment needed (``geoalloc.demand``), travel times
come from OpenStreetMap road graphs (``geoalloc.travel``), a facility-location MILP places and sizes
capacity (``geoalloc.optimize``), and the results are written as data and Folium maps
(``geoalloc.runs.planning``). The library never prints and never configures logging handlers.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("geoalloc")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
