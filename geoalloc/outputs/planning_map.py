"""The stakeholder map (``map.html``) of a planning run: a self-contained Leaflet page.

Layers (each in the layer control, in this order, each with its legend section, shown while the
layer is on — every mark on the map is in the legend):

- *Background: roads and places (offline)* when the run has an OSM network (its ``roads`` and
  ``places`` layers): light roads and place and road names that need no tile server;
- *Plan: minutes to assigned site*, *Areas: demand*, *Plan: coverage status* and, when the areas
  carry a ``los_risk`` column, *Areas: LOS-risk-weighted demand*, and with ``[access]`` *Access:
  <units> (<method>)* (off at first) — choropleths, classes by
  mapclassify, each with its legend (units in the title);
- *Plan: facilities* — circles sized by capacity after the plan and coloured by status, with a
  popup table (capacity before → after, load and utilisation per resource; blocking probability
  ``<r>_blocking`` and expected wait ``<r>_wait_hours`` and cost columns when present);
- *Plan: assignment lines*, *Plan: unmet demand* (dashed magenta rings, sized by the units
  short), *Plan: catchments*;
- *Service areas* when given (one polygon per site and travel-time band);
- *Plan: shipments* of a time-phased plan when given;
- *Baseline: minutes to nearest existing site* and *Baseline: existing facilities*.

A large run (more than ``max_areas`` areas, :data:`~geoalloc.outputs.display_grid.MAP_AREAS_MAX`
by default) draws its areas aggregated on a display grid of square cells
(:mod:`geoalloc.outputs.display_grid`, :mod:`geoalloc.outputs.grid_layers`): the same layers and
legend sections, one shape per cell instead of per area (10⁵ polygons are tens of MB and freeze a
browser); unmet-demand rings and assignment lines per cell; catchments and service areas
simplified on the scale of a cell. The title box says so, and that every area is in
``results.gpkg``.

Areas are named by their ``name`` column when the run has one (tooltips read "<name> (area
<id>)"). Two buttons switch between the plan's main layers (its minutes, facilities and unmet
demand) and the baseline's (a compared run adds a third, :mod:`geoalloc.outputs.compare_map`).
Every string that comes from input data (ids, names, resource names, the scenario name) is
HTML-escaped before it reaches the page, and embedded JSON has ``<``, ``>`` and ``&`` escaped, so
a facility named ``<script>alert(1)</script>`` shows as text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import folium
import geopandas as gpd
from folium.map import Layer

from geoalloc.outputs.display_grid import DISPLAY_CELLS_MAX, MAP_AREAS_MAX, display_grid
from geoalloc.outputs.grid_layers import (
    aggregation_note,
    grid_area_layers,
    grid_assignment_layer,
    grid_unmet_layer,
)
from geoalloc.outputs.layers import (
    SIMPLIFY_M,
    Legend,
    base_map_layer,
    in_4326,
    layer_control,
    title_box,
)
from geoalloc.outputs.leaflet import GroupSwitch, base_map, save_map
from geoalloc.outputs.planning_layers import (
    area_layers,
    assignment_layer,
    baseline_area_layer,
    catchment_layer,
    facility_layer,
    service_area_layer,
    shipment_layer,
    unmet_layer,
)
from geoalloc.outputs.popups import Names, title_html

#: what :func:`build_map` calls to add layers of its own (a compared run's): it adds them to the
#: map and their sections to the legend, and returns the switch buttons it adds,
#: ``{label: (tooltip, layers)}``
Extension = Callable[[folium.Map, Legend], dict[str, tuple[str, list[Layer]]]]


def build_map(
    areas: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    assignments: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame,
    summary: dict,
    *,
    service_areas: gpd.GeoDataFrame | None = None,
    moves: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    places: gpd.GeoDataFrame | None = None,
    extend: Extension | None = None,
    headline: str = "",
    show_moves: bool = True,
    max_areas: int = MAP_AREAS_MAX,
    max_cells: int = DISPLAY_CELLS_MAX,
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
    roads, places : GeoDataFrame, optional
        The offline base map (:mod:`geoalloc.runs.basemap`): lines with ``tier`` and ``name``,
        points with ``name`` and ``place``.
    extend : callable, optional
        Adds more layers (and their legend sections) before the legend and the layer control are
        made, and returns the switch buttons for them (:data:`Extension`).
    headline : str
        HTML shown first in the title box, under the scenario's name (an update's day and what
        it changes).
    show_moves : bool
        Show the shipments at first (an update's map hides them under its changes).
    max_areas : int
        Above this many areas, the areas are drawn aggregated on a display grid (see the module).
    max_cells : int
        The display grid's most cells with areas in them.

    Returns
    -------
    folium.Map
        Save it with :func:`~geoalloc.outputs.leaflet.save_map` to get a self-contained page.
    """
    resources = list(summary["resources"])
    # a large run's areas are drawn on a display grid in their metric CRS: not projected twice
    grid = display_grid(areas, max_cells=max_cells) if len(areas) > max_areas else None
    if grid is None:
        areas = in_4326(areas)
    facilities = in_4326(facilities)
    fmap = base_map(areas if grid is None else in_4326(grid.cells))
    legend = Legend()
    names = Names.of(areas, facilities)
    base = base_map_layer(fmap, roads, places, legend)
    simplify_m = SIMPLIFY_M if grid is None else max(SIMPLIFY_M, grid.cell_m / 4)
    if grid is None:
        area_maps = area_layers(fmap, areas, summary, legend)
    else:
        area_maps = grid_area_layers(fmap, areas, grid, summary, legend)
    plan_sites = facility_layer(fmap, facilities, resources, legend)
    if grid is None:
        assignment_layer(fmap, assignments, resources[0], legend, names)
        unmet = unmet_layer(fmap, areas, resources, legend)
    else:
        grid_assignment_layer(
            fmap, assignments, areas, facilities, grid, resources[0], legend, names
        )
        unmet = grid_unmet_layer(fmap, areas, grid, resources, legend, names)
    catchment_layer(fmap, catchments, legend, names, simplify_m=simplify_m)
    service_area_layer(fmap, service_areas, legend, names, simplify_m=simplify_m)
    shipment_layer(fmap, moves, legend, names, show=show_moves)
    baseline = [
        baseline_area_layer(fmap, area_maps, legend),
        facility_layer(fmap, facilities, resources, legend, baseline=True),
    ]
    # the plan's unmet rings go with its switch button: left on, they would read as the
    # baseline's (or the compared run's) unmet demand
    plan = [area_maps.plan_minutes, plan_sites, *([unmet] if unmet.show else [])]
    groups = {
        "Plan": ("show the plan's layers, hide the others", plan),
        "Baseline": ("show the baseline's layers (today's sites), hide the others", baseline),
    }
    if extend is not None:
        groups |= extend(fmap, legend)
    GroupSwitch(groups).add_to(fmap)
    note = aggregation_note(grid, len(areas)) if grid is not None else ""
    title = title_html(summary, base_map=base is not None, headline=headline)
    title_box(fmap, note + title, summary)
    legend.add_to(fmap)
    layer_control(fmap)
    return fmap


def map_of_run(
    layers: dict[str, gpd.GeoDataFrame],
    summary: dict,
    *,
    extend: Extension | None = None,
    headline: str = "",
    show_moves: bool = True,
    max_areas: int = MAP_AREAS_MAX,
    max_cells: int = DISPLAY_CELLS_MAX,
) -> folium.Map:
    """:func:`build_map` from a run's ``layers`` (as in ``results.gpkg``; ``service_areas``,
    ``moves``, ``roads`` and ``places`` used when present) and its summary (``extend``,
    ``headline`` and ``show_moves`` as there); above ``max_areas`` areas, drawn on a display grid of at most
    ``max_cells`` cells."""
    return build_map(
        layers["areas"],
        layers["facilities"],
        layers["assignments"],
        layers["catchments"],
        summary,
        service_areas=layers.get("service_areas"),
        moves=layers.get("moves"),
        roads=layers.get("roads"),
        places=layers.get("places"),
        extend=extend,
        headline=headline,
        show_moves=show_moves,
        max_areas=max_areas,
        max_cells=max_cells,
    )


def write_map(
    path: Path | str,
    layers: dict[str, gpd.GeoDataFrame],
    summary: dict,
    *,
    max_areas: int = MAP_AREAS_MAX,
    max_cells: int = DISPLAY_CELLS_MAX,
) -> Path:
    """Build the map of a run from its ``layers`` (as in ``results.gpkg``) and write it to
    ``path``; above ``max_areas`` areas, drawn on a display grid of at most ``max_cells`` cells."""
    return save_map(map_of_run(layers, summary, max_areas=max_areas, max_cells=max_cells), path)
