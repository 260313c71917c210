"""The map functions the rest of geoalloc uses (the run kinds, ``RunResult.explore``, ``geoalloc
compare``), in one place to import them from; each lives in its own module:

- :func:`build_map`, :func:`map_of_run`, :func:`write_map` — a planning run's map
  (:mod:`geoalloc.outputs.planning_map`, composed from :mod:`geoalloc.outputs.planning_layers`);
- :func:`comparison_map` — a run's map with another run as layers (:mod:`geoalloc.outputs.compare_map`);
- :func:`map_html`, :func:`save_map` — the self-contained page of any map
  (:mod:`geoalloc.outputs.leaflet`).

The telemedicine map is :func:`geoalloc.outputs.telemedicine.build_telemedicine_map`.
"""

from __future__ import annotations

from geoalloc.outputs.compare_map import comparison_map
from geoalloc.outputs.leaflet import map_html, save_map
from geoalloc.outputs.planning_map import build_map, map_of_run, write_map

__all__ = ["build_map", "comparison_map", "map_html", "map_of_run", "save_map", "write_map"]
