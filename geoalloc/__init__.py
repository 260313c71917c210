"""geoalloc: where hospital beds, staff and equipment should be.

Population and admissions become beds/staff/equipment needed (``geoalloc.demand``), travel times
come from OpenStreetMap road graphs (``geoalloc.travel``), a facility-location MILP places and sizes
capacity (``geoalloc.optimize``), and the results are written as data and Folium maps
(``geoalloc.runs``). The library never prints and never configures logging handlers.

The public API (see the README's "Python API"):

- :func:`load_scenario` reads a scenario TOML file; :func:`run` runs a scenario;
  :func:`plan` plans straight from GeoDataFrames; :func:`robust` plans under uncertainty; :func:`update` keeps a plan current with new data. All return a :class:`RunResult`
  (``.areas``, ``.facilities``, ``.assignments``, ``.summary``, ``.explore()``, ``.write(dir)``).
- :class:`Scenario` is a validated scenario (its sections' options objects live with their
  engines: ``geoalloc.demand.DemandOptions``, ``geoalloc.optimize.OptimizeOptions``,
  ``geoalloc.travel.NetworkOptions``).
- The errors: :class:`GeoallocError` and its subclasses :class:`InputError` (invalid input, exit 3),
  :class:`InfeasibleError` (4), :class:`SolverError` (5) and :class:`UsageError` (2).

Everything but the errors is imported on first use, so ``import geoalloc`` and ``geoalloc
--version`` stay fast.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from geoalloc._errors import GeoallocError, InfeasibleError, InputError, SolverError, UsageError

try:
    __version__ = version("geoalloc")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from geoalloc.api import load_scenario, plan, robust, run, update
    from geoalloc.runs.result import RunResult
    from geoalloc.scenario import Scenario

#: public name → the module that defines it, imported when the name is first used
_LAZY = {
    "load_scenario": "geoalloc.api",
    "plan": "geoalloc.api",
    "robust": "geoalloc.api",
    "run": "geoalloc.api",
    "update": "geoalloc.api",
    "RunResult": "geoalloc.runs.result",
    "Scenario": "geoalloc.scenario",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'geoalloc' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "GeoallocError",
    "InfeasibleError",
    "InputError",
    "RunResult",
    "Scenario",
    "SolverError",
    "UsageError",
    "__version__",
    "load_scenario",
    "plan",
    "robust",
    "run",
    "update",
]
