"""The stakeholder map (``map.html``) of a planning run: a self-contained Leaflet page.

Layers (each in the layer control, in this order):

- *Plan: minutes to assigned site*, *Areas: demand*, *Plan: coverage status* and, when the areas
  carry a ``los_risk`` column, *Areas: LOS-risk-weighted demand* — choropleths, classes by
  mapclassify, each with its legend (units in the title);
- *Plan: facilities* — circles sized by capacity after the plan and coloured by status, with a
  popup table (capacity before → after, load and utilisation per resource; blocking probability
  ``<r>_blocking`` and expected wait ``<r>_wait_hours`` and cost columns when present);
- *Plan: assignment lines*, *Plan: unmet demand*, *Plan: catchments*;
- *Service areas* when given (one polygon per site and travel-time band);
- *Plan: shipments* of a time-phased plan when given;
- *Baseline: minutes to nearest existing site* and *Baseline: existing facilities*.

Two buttons switch between the plan's and the baseline's main layers. Every string that comes from
input data (ids, names, resource names, the scenario name) is HTML-escaped before it reaches the
page, and embedded JSON has ``<``, ``>`` and ``&`` escaped, so a facility named
``<script>alert(1)</script>`` shows as text.
"""

from __future__ import annotations

from pathlib import Path

import folium
import geopandas as gpd

from geoalloc.outputs.layers import Legend, in_4326, layer_control, title_box
from geoalloc.outputs.leaflet import GroupSwitch, base_map, save_map
from geoalloc.outputs.planning_layers import (
    area_layers,
    assignment_layer,
    baseline_area_layer,
    catchment_layer,
    facility_layer,
    facility_legend,
    service_area_layer,
    shipment_layer,
    unmet_layer,
)
from geoalloc.outputs.popups import title_html


def build_map(
    areas: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    assignments: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame,
    summary: dict,
    *,
    service_areas: gpd.GeoDataFrame | None = None,
    moves: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """A Folium map of one run, from the run's output layers.

    Parameters
    ----------
    areas, facilities, assignments, catchments : GeoDataFrame
        The run's layers as written to ``results.gpkg`` (any CRS; shown in EPSG:4326).
        Optional columns shown when present: areas ``los_risk`` (multiplier of demand);
        facilities ``<r>_blocking`` (probability, 0–1), ``<r>_wait_hours`` (hours), ``cost`` and
        ``*_cost`` (currency units).
    summary : dict
        The run's ``summary.json`` (scenario, model, max_minutes in minutes, resources, KPIs).
    service_areas : GeoDataFrame, optional
        Isochrones: columns ``site``, ``minutes`` (the band's upper limit, minutes) and polygons.
    moves : GeoDataFrame, optional
        Shipments of a time-phased plan (the ``moves`` layer): lines from site to site with
        ``resource``, ``units``, ``from_site``, ``to_site``, ``depart_day``, ``arrive_day``.

    Returns
    -------
    folium.Map
        Save it with :func:`~geoalloc.outputs.leaflet.save_map` to get a self-contained page.
    """
    resources = list(summary["resources"])
    areas, facilities = in_4326(areas), in_4326(facilities)
    fmap = base_map(areas)
    legend = Legend()
    area_maps = area_layers(fmap, areas, summary, legend)
    plan_sites = facility_layer(fmap, facilities, resources)
    assignment_layer(fmap, assignments, resources[0])
    unmet_layer(fmap, areas, resources)
    catchment_layer(fmap, catchments)
    service_area_layer(fmap, service_areas, legend)
    shipment_layer(fmap, moves)
    baseline = [
        baseline_area_layer(fmap, area_maps, legend),
        facility_layer(fmap, facilities, resources, baseline=True),
    ]
    GroupSwitch([area_maps.plan_minutes, plan_sites], baseline).add_to(fmap)
    facility_legend(legend, facilities, resources[0])
    title_box(fmap, title_html(summary), summary)
    legend.add_to(fmap)
    layer_control(fmap)
    return fmap


def map_of_run(layers: dict[str, gpd.GeoDataFrame], summary: dict) -> folium.Map:
    """:func:`build_map` from a run's ``layers`` (as in ``results.gpkg``; ``service_areas`` and
    ``moves`` used when present) and its summary."""
    return build_map(
        layers["areas"],
        layers["facilities"],
        layers["assignments"],
        layers["catchments"],
        summary,
        service_areas=layers.get("service_areas"),
        moves=layers.get("moves"),
    )


def write_map(path: Path | str, layers: dict[str, gpd.GeoDataFrame], summary: dict) -> Path:
    """Build the map of a run from its ``layers`` (as in ``results.gpkg``) and write it to ``path``."""
    return save_map(map_of_run(layers, summary), path)
