"""The area layers of a large planning map, drawn on its display grid (:mod:`~geoalloc.outputs.display_grid`).

Above :data:`~geoalloc.outputs.display_grid.MAP_AREAS_MAX` areas, :func:`geoalloc.outputs.planning_map.build_map`
draws these instead of one shape per area; they keep the names, legend sections and switch
buttons of the per-area layers (:mod:`geoalloc.outputs.planning_layers`), so the page works the
same, and each legend title says what a cell's colour is (a sum, or a population-weighted mean):

- the choropleths (*Plan: minutes to assigned site*, *Areas: demand*, *Plan: coverage status*,
  *Areas: LOS-risk-weighted demand*, *Baseline: minutes to nearest existing site*) fill the cells,
  with a tooltip per cell: its number of areas, population, demand and unmet demand, minutes,
  coverage, the statuses of its areas and its travel notes;
- *Plan: unmet demand*: a dashed ring per cell with areas left short, sized by their unmet units,
  naming the areas shortest of care;
- *Plan: assignment lines*: a line per (cell, site) from the cell's population-weighted centre.

The title box says that the areas are aggregated and where each one is (:func:`aggregation_note`).
"""

from __future__ import annotations

import math

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.map import Layer
from shapely.geometry import LineString

import geoalloc._text as fmt
from geoalloc.outputs.display_grid import DisplayGrid, cell_anchors, cell_values
from geoalloc.outputs.escape import text
from geoalloc.outputs.layers import (
    Legend,
    circle_record,
    in_4326,
    line_record,
    polygon_data,
    polygon_view,
)
from geoalloc.outputs.planning_layers import AreaLayers, assignment_lines, unmet_rings
from geoalloc.outputs.popups import Names
from geoalloc.outputs.styles import (
    AREA_STATUS_COLOURS,
    AREA_STYLE,
    DEMAND_PALETTE,
    NO_DATA_COLOUR,
    RISK_PALETTE,
    UNMET_COLOUR,
    classify_minutes,
    classify_quantiles,
)

#: the style of the display cells (``geoalloc-cell``: their SVG paths' class)
CELL_STYLE = AREA_STYLE | {"className": "geoalloc-cell"}
#: the areas named in an unmet-demand ring's tooltip (those shortest of care first)
NAMED_SHORT_AREAS = 5


def aggregation_note(grid: DisplayGrid, n_areas: int) -> str:
    """The title box's note on a gridded map (HTML): how many areas on how many cells, what the
    colours are and where every area is."""
    return (
        "<div class='geoalloc-aggregated'><b>Areas shown aggregated</b>: "
        f"{n_areas:,} areas on {len(grid.cells):,} display "
        f"cell{'s' if len(grid.cells) != 1 else ''} of {grid.label} "
        "(sums of population and demand, population-weighted mean minutes). Every area, with "
        "all its values, is in <b>results.gpkg</b> (layer <i>areas</i>).</div>"
    )


def grid_area_layers(
    fmap: folium.Map,
    areas: gpd.GeoDataFrame,
    grid: DisplayGrid,
    summary: dict,
    legend: Legend,
) -> AreaLayers:
    """The area choropleths of :func:`~geoalloc.outputs.planning_layers.area_layers` on the
    display cells: *Plan: minutes to assigned site* (shown), *Areas: demand*, *Plan: coverage
    status* (the worst status of a cell's areas), *Areas: LOS-risk-weighted demand* with a
    ``los_risk`` column; the cells embedded once."""
    resources = list(summary["resources"])
    primary = text(resources[0])
    values = cell_values(areas, grid, resources, summary.get("max_minutes"))
    per = f"per {grid.label} cell"
    props = pd.DataFrame(index=values.index)
    props["tip"] = cell_tooltips(values, grid, resources, summary.get("max_minutes"))
    all_minutes = pd.concat([values["minutes"], values["baseline_minutes"]]).astype(float)
    finite_max = all_minutes[np.isfinite(all_minutes)]
    vmax = float(finite_max.max()) if len(finite_max) else 1.0
    standard = summary.get("max_minutes")
    props["m"], legend_minutes = classify_minutes(
        values["minutes"], standard, vmax, "no area of the cell assigned"
    )
    props["b"], legend_base = classify_minutes(
        values["baseline_minutes"], standard, vmax, "no existing site in reach"
    )
    props["d"], legend_demand = classify_quantiles(
        values[f"demand_{resources[0]}"], DEMAND_PALETTE, primary
    )
    props["s"] = values["status"].map(AREA_STATUS_COLOURS).fillna(NO_DATA_COLOUR).tolist()
    choropleths = [
        (
            "m",
            "Plan: minutes to assigned site",
            legend_minutes,
            f"minutes to the assigned site (population-weighted mean {per})",
        ),
        (
            "d",
            f"Areas: demand ({primary} needed)",
            legend_demand,
            f"{primary} needed (sum {per})",
        ),
        (
            "s",
            "Plan: coverage status",
            [(c, s) for s, c in AREA_STATUS_COLOURS.items()],
            f"coverage status (plan): the worst of the cell's areas ({grid.label} cells)",
        ),
    ]
    if "risk_demand" in values.columns:
        props["r"], legend_risk = classify_quantiles(values["risk_demand"], RISK_PALETTE, primary)
        choropleths.append(
            (
                "r",
                "Areas: LOS-risk-weighted demand",
                legend_risk,
                f"{primary} needed × LOS risk (sum {per})",
            )
        )
    data = polygon_data(fmap, grid.cells, props, simplify_m=0.0)
    shown = []
    for key, name, rows, title in choropleths:
        legend_id = f"geoalloc-legend-{key}"
        show = key == "m"
        shown.append(
            polygon_view(
                fmap, data, name, colour_key=key, legend_id=legend_id, show=show, style=CELL_STYLE
            )
        )
        legend.section(legend_id, title, rows)
    return AreaLayers(
        data,
        shown[0],
        legend_base,
        baseline_title=f"minutes to the nearest existing site (baseline; population-weighted "
        f"mean {per})",
        style=CELL_STYLE,
    )


def cell_tooltips(
    values: pd.DataFrame, grid: DisplayGrid, resources: list[str], standard: float | None
) -> list[str]:
    """HTML of each display cell's tooltip."""
    tips = []
    within = f"within {fmt.minutes(standard)}" if standard is not None else "with a site in reach"
    for row in values.to_dict(orient="records"):
        n = int(row["n_areas"])
        parts = [
            f"<b>{n:,} area{'s' if n != 1 else ''}</b> in this {grid.label} display cell "
            "(each in results.gpkg)",
            f"population: {fmt.quantity(row['population'])}",
        ]
        for r in resources:
            parts.append(
                f"{text(r)} needed: {fmt.quantity(row[f'demand_{r}'])}, "
                f"unmet: {fmt.quantity(row[f'unmet_{r}'])}"
            )
        parts.append(
            f"minutes to assigned site: {fmt.minutes(row['minutes'])} (population-weighted "
            f"mean), worst area {fmt.minutes(row['minutes_max'])}"
        )
        parts.append(f"covered {within}: {fmt.share(row['covered_share'])} of the population")
        if row["unassigned"]:
            parts.append(
                f"<b>{int(row['unassigned']):,} area(s) with no assigned site</b> "
                f"(population {fmt.quantity(row['unassigned_population'])})"
            )
        parts.append(f"areas: {text(row['status_counts'])}")
        parts.append(f"baseline: {fmt.minutes(row['baseline_minutes'])} (population-weighted mean)")
        if row["flagged"]:
            parts.append(f"{int(row['flagged']):,} area(s) with a travel note")
        tips.append("<br>".join(parts))
    return tips


def grid_unmet_layer(
    fmap: folium.Map,
    areas: gpd.GeoDataFrame,
    grid: DisplayGrid,
    resources: list[str],
    legend: Legend,
    names: Names,
) -> Layer:
    """*Plan: unmet demand* on the display grid: a dashed magenta ring per cell with areas left
    short, at the unmet-weighted centre of those areas, sized by the cell's unmet units on the
    scale of the largest cell's demand; the tooltip names the areas shortest of care."""
    unmet = np.zeros(len(areas))
    demand = np.zeros(len(areas))
    for r in resources:
        unmet += areas[f"unmet_{r}"].astype(float).fillna(0.0).to_numpy()
        demand += areas[f"demand_{r}"].astype(float).fillna(0.0).to_numpy()
    short = unmet > 1e-9
    n = len(grid.cells)
    cell_unmet = np.bincount(grid.cell, weights=unmet * short, minlength=n)
    cell_demand = np.bincount(grid.cell, weights=demand, minlength=n)
    records = []
    if short.any():
        anchors = cell_anchors(grid, np.where(short, unmet, 0.0)).tolist()
        largest = float(max(cell_demand.max(), cell_unmet.max()))
        short_cell = grid.cell[short]
        count = np.bincount(short_cell, minlength=n)
        per_resource = {
            r: np.bincount(
                short_cell,
                weights=areas[f"unmet_{r}"].astype(float).fillna(0.0).to_numpy()[short],
                minlength=n,
            )
            for r in resources
        }
        frame = pd.DataFrame(
            {"cell": short_cell, "area": areas["area_id"].to_numpy()[short], "total": unmet[short]}
        ).sort_values(["cell", "total"], ascending=[True, False], kind="stable")
        frame = frame[frame.groupby("cell").cumcount() < NAMED_SHORT_AREAS]
        named: dict[int, list[str]] = {}
        for cell, area, total in zip(frame["cell"], frame["area"], frame["total"], strict=True):
            named.setdefault(int(cell), []).append(
                f"{names.area(area)}: {fmt.quantity(total)} short"
            )
        for cell in np.flatnonzero(count).tolist():
            k = int(count[cell])
            lines = [
                f"<b>{k:,} area{'s' if k != 1 else ''} short of care</b> in this "
                f"{grid.label} display cell",
                "unmet: "
                + ", ".join(f"{fmt.quantity(per_resource[r][cell])} {text(r)}" for r in resources),
                *named.get(cell, []),
            ]
            if k > NAMED_SHORT_AREAS:
                lines.append(f"… and {k - NAMED_SHORT_AREAS:,} more (results.gpkg)")
            radius = round(3 + 12 * math.sqrt(cell_unmet[cell] / largest), 1)
            records.append(
                circle_record(
                    anchors[cell],
                    radius=radius,
                    colour=UNMET_COLOUR,
                    tip="<br>".join(lines),
                    css_class="geoalloc-unmet",
                )
            )
    return unmet_rings(
        fmap,
        records,
        legend,
        f"unmet demand (size: units short per {grid.label} cell)",
        "the demand no site serves in a display cell's areas",
    )


def grid_assignment_layer(
    fmap: folium.Map,
    assignments: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    grid: DisplayGrid,
    primary: str,
    legend: Legend,
    names: Names,
) -> Layer:
    """*Plan: assignment lines* on the display grid: a line per (cell, site) from the cell's
    population-weighted centre to the site, width by the quantity of ``primary`` (of all
    resources when ``primary`` is not assigned)."""
    records = []
    if len(assignments):
        cell_of = pd.Series(grid.cell, index=areas["area_id"].astype(str).to_numpy())
        frame = pd.DataFrame(
            {
                "cell": cell_of.reindex(assignments["area"].astype(str).to_numpy()).to_numpy(),
                "area": assignments["area"].to_numpy(),
                "site": assignments["site"].to_numpy(),
                "resource": assignments["resource"].to_numpy(),
                "quantity": assignments["quantity"].astype(float).to_numpy(),
                "minutes": assignments["minutes"].astype(float).to_numpy(),
            }
        ).dropna(subset=["cell"])
        frame["cell"] = frame["cell"].astype(int)
        quantities = frame.pivot_table(
            index=["cell", "site"], columns="resource", values="quantity", aggfunc="sum"
        )
        weights = quantities.get(primary, quantities.sum(axis=1)).fillna(0.0)
        largest = float(max(weights.max(), 1e-9))
        weighted = frame.assign(qm=frame["quantity"] * frame["minutes"])
        pair = weighted.groupby(["cell", "site"])
        mean_minutes = pair["qm"].sum() / pair["quantity"].sum()
        n_areas = pair["area"].nunique()
        population = pd.to_numeric(areas["population"], errors="coerce").fillna(0.0)
        anchors = cell_anchors(grid, population.to_numpy(float)).tolist()
        site_points = dict(
            zip(
                facilities["site_id"].astype(str),
                in_4326(facilities).geometry.tolist(),
                strict=True,
            )
        )
        units = quantities.to_numpy(dtype=float)
        resource_names = [text(r) for r in quantities.columns]
        for (cell, site), row, weight, minutes, count in zip(
            quantities.index,
            units,
            weights.reindex(quantities.index).to_numpy(float),
            mean_minutes.reindex(quantities.index).to_numpy(float),
            n_areas.reindex(quantities.index).to_numpy(int),
            strict=True,
        ):
            end = site_points.get(str(site))
            if end is None or end.is_empty:
                continue
            what = ", ".join(
                f"{fmt.quantity(q)} {r}"
                for r, q in zip(resource_names, row, strict=True)
                if np.isfinite(q) and q > 0
            )
            start = anchors[int(cell)]
            tip = (
                f"{count:,} area{'s' if count != 1 else ''} of a {grid.label} display cell → "
                f"{names.site(site)}: {what} ({fmt.minutes(minutes)}, mean)"
            )
            line = LineString([(start.x, start.y), (end.x, end.y)])
            records.append(line_record(line, width=1 + 5 * float(weight) / largest, tip=tip))
    return assignment_lines(
        fmap, legend, records, primary, f"from a {grid.label} display cell to a site that serves it"
    )


__all__ = [
    "aggregation_note",
    "cell_tooltips",
    "grid_area_layers",
    "grid_assignment_layer",
    "grid_unmet_layer",
]
