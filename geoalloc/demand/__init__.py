"""Demand: people and admissions history → beds, staff and equipment needed per area.

- :func:`area_needs` / :func:`planned_resources`: needs per area and resource (pipeline entry).
- :func:`fit_history` (:func:`read_history` + :func:`fit_los_model`): LOS distributions per case-mix
  group, LOS risk P(LOS > k), long-stay classifier.
- :func:`erlang_b`, :func:`erlang_c`, :func:`servers_for_blocking`: queueing formulas.
- :func:`surge_needs`: surge curves (table or SIR) → daily census → peak needs per area.
- :func:`queue_check`: analytic and simulated blocking / occupancy / waits per site of a plan.
- :func:`los_summary`: the demand block of ``summary.json``.
"""

from geoalloc.demand.area_needs import area_needs, area_surge, planned_resources
from geoalloc.demand.erlang import (
    erlang_b,
    erlang_c,
    erlang_c_mean_wait,
    servers_for_blocking,
    servers_for_wait_probability,
)
from geoalloc.demand.history import History, HistoryProblems, parse_band, read_history
from geoalloc.demand.los import (
    LosFit,
    LosModel,
    fit_los,
    fit_los_model,
    long_stay_classifier,
    los_table,
)
from geoalloc.demand.needs import (
    admissions_per_year,
    band_population,
    capacity_needed,
    resource_needs,
)
from geoalloc.demand.options import DemandOptions, HistoryOptions, SurgeOptions
from geoalloc.demand.summary import fit_history, los_summary
from geoalloc.demand.surge import SurgeResult, surge_needs

#: names served from :mod:`geoalloc.demand.queue` on first use: the queue module imports
#: scipy.stats, which a run that checks no queue (``geoalloc validate``, equipment plans) skips
_QUEUE_NAMES = frozenset(
    {
        "queue_check",
        "queue_check_plan",
        "simulate_loss",
        "simulate_loss_runs",
        "simulate_queue",
        "simulate_queue_runs",
    }
)


def __getattr__(name: str) -> object:
    if name in _QUEUE_NAMES:
        from geoalloc.demand import queue

        return getattr(queue, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [
    "DemandOptions",
    "History",
    "HistoryOptions",
    "HistoryProblems",
    "LosFit",
    "LosModel",
    "SurgeOptions",
    "SurgeResult",
    "admissions_per_year",
    "area_needs",
    "area_surge",
    "band_population",
    "capacity_needed",
    "erlang_b",
    "erlang_c",
    "erlang_c_mean_wait",
    "fit_history",
    "fit_los",
    "fit_los_model",
    "long_stay_classifier",
    "los_summary",
    "los_table",
    "parse_band",
    "planned_resources",
    "queue_check",
    "queue_check_plan",
    "read_history",
    "resource_needs",
    "servers_for_blocking",
    "servers_for_wait_probability",
    "simulate_loss",
    "simulate_loss_runs",
    "simulate_queue",
    "simulate_queue_runs",
    "surge_needs",
]
