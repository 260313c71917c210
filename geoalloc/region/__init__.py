"""A planner's own region from what they have: areas, population per area, facilities and a ready
scenario (``geoalloc init``).

- :mod:`geoalloc.region.areas` — areas from a vector file, OSM administrative boundaries (with a
  coverage check) or a regular grid;
- :mod:`geoalloc.region.population` — population per area from a raster, points, census polygons
  or (as an estimate) OSM buildings, conserving the total;
- :mod:`geoalloc.region.facilities` — facilities and candidate sites from OSM, a CSV with
  longitude/latitude or a vector file, with duplicates reported;
- :mod:`geoalloc.region.init` — all of it into a validated inputs folder and a commented
  ``scenario.toml``.
"""
