"""``geoalloc init``: a planner's own region, from an OSM extract and what else they have, to a
validated inputs folder and a commented ``scenario.toml`` that ``geoalloc run`` takes as is.

The folder holds ``areas.gpkg`` (``area_id``, ``name``, ``population`` and any age bands,
``population_source``, the polygons), ``facilities.gpkg`` (``site_id``, ``name``, ``kind``, ``beds``,
``beds_source``, ``candidate``, ``opening_cost``, ``source``, the points), ``scenario.toml`` and
``init.json`` (every choice, the population totals and their source, counts, notes, timings).

Defaults a planner should edit are written into ``scenario.toml`` with a comment each (see the
constants below); figures that are estimates are labelled as such in the files, in ``init.json``
and in the command's output.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoalloc._errors import InputError
from geoalloc._validate import file_problem
from geoalloc.region.areas import FAR_FROM_ROADS_M, GRID_FILL
from geoalloc.region.choices import AreasChoice, PopulationChoice, parse_areas

log = logging.getLogger(__name__)

#: beds assumed at an existing site whose data gives none, by kind, when no site of the region
#: has a bed count to take the median of (labelled "assumed" in ``beds_source``; edit the file)
ASSUMED_BEDS = {"hospital": 100.0, "clinic": 10.0}
#: beds a candidate site can run if opened (a temporary ward or field site)
CANDIDATE_BEDS = 20.0
#: candidate sites the plan may open by default (a budget of one opening cost per site)
NEW_SITES = 3
#: the demand assumptions written into scenario.toml, each to be replaced by local figures
ADMISSIONS_PER_1000 = 100.0  # hospital admissions per 1,000 residents per year (all ages)
LOS_DAYS = 5.0  # mean length of stay, days
OCCUPANCY_TARGET = 0.85
#: travel standard per mode, minutes
MAX_MINUTES = {"drive": 30.0, "walk": 20.0, "bike": 20.0}
#: facilities up to this far beyond the road network's extent belong to the region: within the
#: travel model's default ``max_snap_m`` (2 km) of a road node, so that the run can reach them
FACILITY_MARGIN_M = 1500.0
#: the most populated cells offered as candidate sites with ``--candidates cells``
CELL_CANDIDATES = 20
#: columns taken as the count of a population vector file when --population-column is not given
POPULATION_COLUMNS = (
    "population",
    "pop",
    "total_pop",
    "totalpop",
    "pop_total",
    "residents",
    "inhabitants",
    "asukkaita",
    "count",
    "value",
)


@dataclass(frozen=True)
class InitRequest:
    """What to build (see :mod:`geoalloc.region.choices` for the spelled-out options)."""

    network: Path
    areas: AreasChoice = field(default_factory=lambda: parse_areas("grid:1km"))
    population: PopulationChoice = field(default_factory=lambda: PopulationChoice("buildings"))
    facilities: str | Path = "osm"
    candidates: str | Path = "none"
    mode: str = "drive"
    new_sites: int = NEW_SITES
    name: str | None = None
    population_total: float | None = None
    #: longitude/latitude columns of a facilities or candidates CSV (detected when None)
    lon: str | None = None
    lat: str | None = None


@dataclass
class RegionInputs:
    """The areas and facilities of a region, before they are written, and what was seen making them."""

    areas: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    origins: gpd.GeoDataFrame
    age_bands: list[str]
    facts: dict[str, Any]
    notes: list[str]
    warnings: list[str]


@dataclass(frozen=True)
class InitResult:
    """A written inputs folder: where, and what ``init.json`` says."""

    folder: Path
    scenario_path: Path
    facts: dict[str, Any]
    notes: list[str]
    warnings: list[str]


@contextmanager
def _timed(timings: dict[str, float], step: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[step] = round(time.perf_counter() - started, 3)


def _check_input(path: Path, option: str) -> None:
    why = file_problem(path, directory_ok=option == "areas")
    if why is not None:
        where = f"file not found: {path}" if why == "not found" else f"{path} is {why}"
        msg = f"{option}: {where} — check the path (relative paths start at the current folder)"
        raise InputError(msg)


def _check_network(path: Path) -> None:
    from geoalloc.inputs.osm_layers import is_osm_pbf

    _check_input(path, "network")
    if not is_osm_pbf(path):
        msg = (
            f"network {path}: not an OSM .osm.pbf extract — download one for your region "
            "(e.g. from download.geofabrik.de or extract.bbbike.org) and give its path"
        )
        raise InputError(msg)


def build_region(request: InitRequest) -> RegionInputs:
    """Areas with their population and facilities for ``request`` (nothing is written).

    Raises
    ------
    InputError
        A file that cannot be used, no area with people, no facility in the region — with what
        to do (exit 3 in the CLI).
    """
    from geoalloc.region import areas as areas_mod

    _check_network(request.network)
    timings: dict[str, float] = {}
    notes: list[str] = []
    warnings: list[str] = []
    with _timed(timings, "network_extent"):
        extent = areas_mod.network_extent(request.network, request.mode)
        places = areas_mod.place_names(request.network)
    with _timed(timings, "areas"):
        areas, area_facts = _make_areas(request, extent, places)
    with _timed(timings, "population"):
        population = _estimate_population(
            request.population, request.network, areas, request.areas.kind
        )
    caveats = [n for n in population.notes if "ESTIMATE" in n]
    notes.extend(n for n in population.notes if n not in caveats)
    totals = population.totals.reindex(areas.index).fillna(0.0)
    bands = population.bands.reindex(areas.index).fillna(0.0)
    check = _population_checks(population, float(totals.sum()), extent, places, request)
    warnings.extend(f"population: {c}" for c in caveats if request.population_total is None)
    warnings.extend(check.warnings)
    totals, bands = totals * check.factor, bands * check.factor
    areas["population"] = totals.to_numpy()
    age_bands = [str(c) for c in bands.columns]
    for band in age_bands:
        areas[band] = bands[band].to_numpy()
    areas["population_source"] = population.method + ("" if population.measured else " (estimate)")
    # grid cells (a grid, or the cells filling the boundaries' gaps) are kept where people live
    empty = areas["area_source"].isin(["grid", GRID_FILL]).to_numpy() & (
        areas["population"].to_numpy() <= 0
    )
    dropped_cells = int(empty.sum())
    areas = areas[~empty].reset_index(drop=True)
    if dropped_cells:
        notes.append(f"{dropped_cells:,} grid cells with no residents left out")
    if len(areas) == 0 or float(areas["population"].sum()) <= 0:
        msg = (
            f"no residents found in the region ({population.source}) — check that the population "
            "source covers the road network's extent, or give a population source"
        )
        raise InputError(msg)
    if "fill" in area_facts:
        filled = areas["area_source"].eq(GRID_FILL).to_numpy()
        area_facts["fill"]["population"] = round(float(areas.loc[filled, "population"].sum()), 1)
        if area_facts["fill"]["cells"]:
            warnings.append(
                f"the boundaries at admin_level {request.areas.admin_level} leave "
                f"{area_facts['fill']['area_km2']:,.1f} km² of the network's extent uncovered "
                f"({area_facts['fill']['population']:,.0f} residents): filled with "
                f"{area_facts['fill']['cells']} grid cells (area_source 'grid fill')"
            )
    with _timed(timings, "origins"):
        origins = _trip_origins(request, areas)
    moved = origins["origin"].ne("representative point").to_numpy()
    if moved.any():
        notes.append(
            f"{int(moved.sum())} areas start their trips at a road node inside them: their "
            f"representative point is more than {FAR_FROM_ROADS_M:,.0f} m from the roads "
            f"(origins.gpkg; up to {origins['distance_m'].max():,.0f} m moved)"
        )
    with _timed(timings, "facilities"):
        facilities, facility_facts = _make_facilities(request, extent, areas, notes, warnings)
    total = float(areas["population"].sum())
    facts: dict[str, Any] = {
        "network": str(request.network),
        "mode": request.mode,
        "areas": area_facts
        | {
            "count": len(areas),
            "how": request.areas.describe(),
            "grid_cells_without_residents_left_out": dropped_cells,
        },
        "population": {
            "total": round(total, 1),
            "source_total": round(float(population.source_total) * check.factor, 1),
            "method": population.method,
            "source": population.source + check.label,
            "measured": bool(population.measured),
            "age_bands": age_bands,
            "per_km2_of_extent": round(check.per_km2, 1),
            "osm_place_population_tags": round(check.tagged_total, 1),
            "control_total": request.population_total,
        },
        "facilities": facility_facts,
        "timings_s": timings,
    }
    return RegionInputs(areas, facilities, origins, age_bands, facts, notes, warnings)


def _trip_origins(request: InitRequest, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each area's trip origin against the nodes the run will snap to (the routable graph, built
    and cached now, so that the first run of the scenario reads it from the cache)."""
    from geoalloc.region.areas import trip_origins
    from geoalloc.travel.api import default_cache_dir, load_network
    from geoalloc.travel.options import NetworkOptions

    options = NetworkOptions(source=str(request.network.resolve()), mode=request.mode)
    graph = load_network(options, cache_dir=default_cache_dir())
    nodes = np.column_stack([np.asarray(graph.lon, float), np.asarray(graph.lat, float)])
    return trip_origins(areas, nodes)


#: residents per km² of the road network's extent below which an estimate is implausible for a
#: region with roads: a settled rural district has tens to hundreds, a town thousands
MIN_PLAUSIBLE_PER_KM2 = 25.0
#: a measured population that differs from the stated control total by more than this share
#: gets a warning
CONTROL_TOLERANCE = 0.05


@dataclass(frozen=True)
class PopulationCheck:
    """What was seen of a population's total: the factor applied (a control total spread by an
    estimate), the label that says so, and the warnings."""

    factor: float
    label: str
    per_km2: float
    tagged_total: float
    warnings: list[str]


def _population_checks(
    population: Any, total: float, extent: Any, places: gpd.GeoDataFrame, request: InitRequest
) -> PopulationCheck:
    """Is the total plausible? Compared with the extent's area, with the ``population`` tags of
    the OSM place nodes inside the extent, and with the stated control total (an estimate is
    scaled to it: the buildings then only say where the people live)."""
    from geoalloc.inputs.read import metric_crs

    shape = gpd.GeoSeries([extent], crs=4326)
    extent_km2 = float(shape.to_crs(metric_crs(shape)).area.iloc[0]) / 1e6
    inside = places[places.within(extent) & places["population"].notna()]
    inside = inside.sort_values("population", ascending=False)
    tagged_total = float(inside["population"].sum())
    warnings: list[str] = []
    factor, label = 1.0, ""
    control = request.population_total
    if control is not None and not population.measured and total > 0:
        factor = control / total
        label = f"; scaled to the stated total of {control:,.0f} (the estimate says where, not how many)"
        total = control
    elif control is not None and abs(total - control) > CONTROL_TOLERANCE * control:
        warnings.append(
            f"the population source gives {total:,.0f} residents, {total / control - 1:+.0%} off "
            f"the stated control total of {control:,.0f}: check that the source covers the "
            "whole region and counts the same people"
        )
    per_km2 = total / extent_km2 if extent_km2 > 0 else float("nan")
    if not population.measured and control is None:
        warnings.append(
            "without a measured population, a published total of the region's residents (a "
            "control total) makes the estimate better: the buildings then only say where they live"
        )
        if per_km2 < MIN_PLAUSIBLE_PER_KM2:
            warnings.append(
                f"the estimate gives {total:,.0f} residents, {per_km2:,.1f} per km² of the road "
                f"network's extent ({extent_km2:,.0f} km²) — implausibly few for a region with "
                "roads: its buildings look largely unmapped in OSM"
            )
        if tagged_total > 2 * total:
            largest = ", ".join(
                f"{row.name} {row.population:,.0f}" for row in inside.head(3).itertuples()
            )
            warnings.append(
                f"OSM place nodes inside the region are tagged with {tagged_total:,.0f} residents "
                f"({largest}) — more than the buildings estimate of {total:,.0f}: the estimate "
                "is far too low here"
            )
    return PopulationCheck(factor, label, per_km2, tagged_total, warnings)


def _make_areas(
    request: InitRequest, extent: Any, places: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    from geoalloc.region import areas as areas_mod

    choice = request.areas
    facts: dict[str, Any] = {"kind": choice.kind}
    if choice.kind == "grid":
        assert choice.cell_m is not None
        areas = areas_mod.grid_areas(extent, choice.cell_m)
        areas["name"] = areas_mod.display_names(areas, places).to_numpy()
        areas["area_source"] = "grid"
        facts["cell_m"] = choice.cell_m
    elif choice.kind == "admin":
        assert choice.admin_level is not None
        admin = areas_mod.admin_areas(request.network, choice.admin_level, extent, places=places)
        areas = admin.areas.rename(columns={"source": "area_source"})
        filled = areas["area_source"].eq(GRID_FILL).to_numpy()
        facts["admin_level"] = choice.admin_level
        facts["covered_share"] = round(float(admin.covered_share), 4)
        facts["fill"] = {
            "gaps": len(admin.gaps),
            "area_km2": round(float(admin.gaps["area_km2"].sum()) if len(admin.gaps) else 0.0, 2),
            "cells": int(filled.sum()),
        }
    else:
        assert choice.path is not None
        _check_input(choice.path, "areas")
        areas = areas_mod.vector_areas(choice.path)
        if "name" not in areas.columns or areas["name"].isna().all():
            areas["name"] = areas_mod.display_names(areas, places).to_numpy()
        areas["area_source"] = choice.path.name
        facts["path"] = str(choice.path)
    areas = areas.reset_index(drop=True)
    names = areas["name"].astype(object)
    areas["name"] = names.where(names.notna(), areas["area_id"].astype(str)).astype(str)
    return areas, facts


def _estimate_population(
    choice: PopulationChoice, network: Path, areas: gpd.GeoDataFrame, kind: str
):
    from geoalloc.region import population as pop

    if choice.kind == "buildings":
        return pop.buildings_population(network, areas)
    assert choice.path is not None
    _check_input(choice.path, "population")
    if choice.kind == "raster":  # grid cells beyond the raster hold nobody (and are left out)
        band_paths = {label: Path(source) for label, source in choice.bands}
        for label, band_path in band_paths.items():
            _check_input(band_path, f"population band {label}")
        return pop.raster_population(
            choice.path, areas, band_paths=band_paths or None, outside_ok=kind != "file"
        )
    return _population_from_vector(choice, areas)


def _population_from_vector(choice: PopulationChoice, areas: gpd.GeoDataFrame):
    """Points (or a finer grid) are summed into the areas; polygons are interpolated by area."""
    import pyogrio

    from geoalloc.region import population as pop

    assert choice.path is not None
    try:
        info = pyogrio.read_info(choice.path)
    except Exception as exc:  # pyogrio's DataSourceError and friends: not a vector file
        msg = (
            f"population {choice.path}: not a raster (.tif) nor a vector file GeoPandas reads "
            f"({exc}) — give a GeoTIFF of counts, or a GeoPackage/Shapefile/GeoJSON with a count column"
        )
        raise InputError(msg) from exc
    columns = [str(c) for c in info["fields"]]
    column = choice.column or _count_column(columns)
    if column is None or column not in columns:
        looked = f"{choice.column!r}" if choice.column else f"one of {list(POPULATION_COLUMNS)}"
        msg = (
            f"population {choice.path}: no count column ({looked}) among its columns "
            f"{columns} — name it (the population column)"
        )
        raise InputError(msg)
    bands = dict(choice.bands)
    missing = sorted(set(bands.values()) - set(columns))
    if missing:
        msg = f"population {choice.path}: no column {missing} for the age bands (its columns: {columns})"
        raise InputError(msg)
    geometry = str(info.get("geometry_type") or "")
    if "Point" in geometry:
        return pop.points_population(choice.path, areas, value=column, band_values=bands or None)
    return pop.census_population(choice.path, column, areas, band_columns=bands or None)


def _count_column(columns: list[str]) -> str | None:
    by_lower = {c.lower(): c for c in columns}
    for name in POPULATION_COLUMNS:
        if name in by_lower:
            return by_lower[name]
    return None


def _make_facilities(
    request: InitRequest,
    extent: Any,
    areas: gpd.GeoDataFrame,
    notes: list[str],
    warnings: list[str],
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    from geoalloc.region import facilities as fac

    source = request.facilities
    if isinstance(source, Path):
        _check_input(source, "facilities")
        sites = fac.file_facilities(source, lon=request.lon, lat=request.lat)
        label = source.name
    else:
        sites = fac.osm_facilities(request.network)
        label = "OSM"
    where = f"facilities {label}"
    sites, outside = fac.within_extent(sites, _widened(extent, FACILITY_MARGIN_M), where=where)
    if "STATUS" in sites.columns:  # HIFLD: closed hospitals are kept out, and said so
        closed = sites["STATUS"].astype(str).str.upper().ne("OPEN").to_numpy()
        if closed.any():
            notes.append(
                f"{int(closed.sum())} facilities whose STATUS is not OPEN left out: "
                + ", ".join(sites.loc[closed, "name"].astype(str).head(10))
            )
            sites = sites[~closed]
    if len(sites) == 0:
        msg = (
            f"{where}: no facility inside the road network's extent ({outside:,} outside it) — "
            "check that the file covers this region, or give another facilities file"
        )
        raise InputError(msg)
    if outside:
        notes.append(f"{outside:,} facilities of {label} lie outside the road network's extent")
    sites = sites.reset_index(drop=True).copy()
    sites["candidate"] = False
    sites["source"] = label
    beds_assumed = _fill_unknown_beds(sites, warnings)
    candidates = _candidates(request, extent, areas)
    if len(candidates):
        candidates = candidates.reset_index(drop=True).copy()
        candidates["candidate"] = True
        candidates["beds"] = CANDIDATE_BEDS
        candidates["beds_source"] = f"assumed: {CANDIDATE_BEDS:g} beds if opened"
        candidates["source"] = str(request.candidates)
        clash = candidates["site_id"].astype(str).isin(sites["site_id"].astype(str))
        candidates.loc[clash, "site_id"] = "C-" + candidates.loc[clash, "site_id"].astype(str)
    duplicates = fac.find_duplicates(sites)
    for row in duplicates.head(20).itertuples(index=False):
        warnings.append(
            f"facilities {row.site_a} ({row.name_a}) and {row.site_b} ({row.name_b}) look like one "
            f"place ({row.distance_m:,.0f} m apart, names {row.name_similarity:.0%} alike) — keep "
            "one of them in facilities.gpkg"
        )
    keep = ["site_id", "name", "kind", "beds", "beds_source", "candidate", "source"]
    frames = [sites[keep + ["geometry"]]]
    if len(candidates):
        frames.append(candidates[keep + ["geometry"]])
    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=4326)
    merged["site_id"] = merged["site_id"].astype(str)
    merged["name"] = merged["name"].astype(str)
    merged["beds"] = merged["beds"].astype(float)
    merged["opening_cost"] = np.where(merged["candidate"], 1.0, 0.0)
    facts = {
        "source": label,
        "existing": len(sites),
        "outside_extent": int(outside),
        "beds": round(float(sites["beds"].sum()), 1),
        "beds_assumed_at": beds_assumed,
        "candidates": len(candidates),
        "candidates_from": str(request.candidates),
        "duplicates": len(duplicates),
    }
    return merged, facts


def _fill_unknown_beds(sites: gpd.GeoDataFrame, warnings: list[str]) -> int:
    """Sites without a bed count get the median of the region's known counts, else a per-kind
    assumption (:data:`ASSUMED_BEDS`); labelled in ``beds_source`` and warned about."""
    beds = pd.to_numeric(sites["beds"], errors="coerce")
    unknown = beds.isna().to_numpy()
    if not unknown.any():
        return 0
    known = beds[~unknown]
    if len(known) >= 3:
        median = float(known.median())
        sites.loc[unknown, "beds"] = median
        sites.loc[unknown, "beds_source"] = (
            f"assumed: median of the {len(known)} sites with a bed count"
        )
        how = f"the median of the {len(known)} sites with a count ({median:,.0f})"
    else:
        kinds = sites["kind"].astype(str).str.lower()
        assumed = kinds.map(lambda k: _assumed_beds(k)).astype(float)
        sites.loc[unknown, "beds"] = assumed[unknown]
        sites.loc[unknown, "beds_source"] = [
            f"assumed: {b:g} per {k} (no bed count in the data)"
            for b, k in zip(assumed[unknown], kinds[unknown], strict=True)
        ]
        how = ", ".join(f"{b:g} per {k}" for k, b in ASSUMED_BEDS.items()) + ", 0 otherwise"
    sites["beds"] = sites["beds"].astype(float)
    warnings.append(
        f"{int(unknown.sum())} of {len(sites)} facilities have no bed count in the data: assumed "
        f"{how} — put the real numbers in facilities.gpkg (column beds) before deciding"
    )
    return int(unknown.sum())


def _assumed_beds(kind: str) -> float:
    for word, beds in ASSUMED_BEDS.items():
        if word in kind:
            return beds
    return 0.0


def _candidates(request: InitRequest, extent: Any, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from geoalloc.region import facilities as fac

    choice = request.candidates
    if choice == "none":
        return gpd.GeoDataFrame(geometry=[], crs=4326)
    if choice == "osm":
        return fac.osm_candidates(request.network, extent)
    if choice == "cells":
        return fac.cell_candidates(areas, areas["population"], top=CELL_CANDIDATES)
    assert isinstance(choice, Path)
    _check_input(choice, "candidates")
    found = fac.file_facilities(choice, lon=request.lon, lat=request.lat)
    inside, _ = fac.within_extent(
        found, _widened(extent, FACILITY_MARGIN_M), where=f"candidates {choice.name}"
    )
    return inside


def _widened(extent: Any, margin_m: float) -> Any:
    """``extent`` (EPSG:4326) buffered by ``margin_m`` metres, measured in its UTM zone."""
    from geoalloc.inputs.read import metric_crs

    shape = gpd.GeoSeries([extent], crs=4326)
    crs = metric_crs(shape)
    return shape.to_crs(crs).buffer(margin_m).to_crs(4326).iloc[0]


def scenario_name(out: Path, name: str | None) -> str:
    """A folder-safe scenario name: ``name``, else the output folder's name."""
    raw = name or out.resolve().name or "region"
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-._") or "region"
    return cleaned if cleaned[0].isalnum() else f"r{cleaned}"


def scenario_text(request: InitRequest, inputs: RegionInputs, out: Path) -> str:
    """The commented ``scenario.toml`` for ``inputs`` written to ``out``."""
    facts = inputs.facts
    population = facts["population"]
    facilities = facts["facilities"]
    network = _path_from(out, request.network)
    name = scenario_name(out, request.name)
    estimate = "" if population["measured"] else "  ESTIMATE: replace it with a measured source"
    bands = inputs.age_bands
    band_line = (
        f"age_bands = {{ {', '.join(f'{_toml_key(b)} = {json.dumps(b)}' for b in bands)} }}\n"
        if bands
        else ""
    )
    rates = (
        "{ "
        + ", ".join(f"{json.dumps(b)} = {ADMISSIONS_PER_1000}" for b in bands)
        + f", other = {ADMISSIONS_PER_1000} }}"
        if bands
        else f"{{ all = {ADMISSIONS_PER_1000} }}"
    )
    lines = [
        f"# Written by `geoalloc init` for {request.network.name}. Edit the figures marked EDIT and run:",
        f"#   geoalloc run {out.as_posix()}/scenario.toml",
        f'name = "{name}"',
        "",
        "[areas]",
        f'path = "areas.gpkg"       # {facts["areas"]["count"]:,} areas: {facts["areas"]["how"]}',
        'id = "area_id"',
        'name = "name"              # shown in tooltips, tables and the report',
        'population = "population"  '
        f"# {population['total']:,.0f} residents from {population['method']}{estimate}",
        f"# source: {population['source']}",
        f"# the source holds {population['source_total']:,.0f} over the same extent",
        'origins = { path = "origins.gpkg", id = "area_id" }  # where trips start: see its column origin',
    ]
    if not population["measured"]:
        lines.append(
            f"population_estimate = {json.dumps(population['source'], ensure_ascii=False)}"
        )
    control = request.population_total
    if control is not None:
        lines.append(
            f"population_total = {control:.0f}   # the stated control total: every run checks "
            "the areas' population against it"
            if float(control).is_integer()
            else f"population_total = {control!r}   # the stated control total"
        )
    lines += [band_line.rstrip("\n")] if band_line else []
    lines += [
        "",
        "[facilities]",
        'path = "facilities.gpkg"   '
        f"# {facilities['existing']} existing ({facilities['source']}), "
        f"{facilities['candidates']} candidates ({facilities['candidates_from']})",
        'id = "site_id"',
        'name = "name"',
        'capacity = { beds = "beds" }  # see beds_source: EDIT assumed bed counts in facilities.gpkg',
        'candidate = "candidate"',
        "",
        "[network]",
        f'source = "{network}"',
        f'mode = "{request.mode}"',
        "",
        "[demand]",
        'resource = "beds"',
        f"admissions_per_1000 = {rates}   # EDIT: admissions per 1,000 residents per year",
        f"los_days = {LOS_DAYS}            # EDIT: mean length of stay, days",
        f"occupancy_target = {OCCUPANCY_TARGET}   # beds are planned to be this full on average",
        "",
        "[optimize]",
        'model = "capacitated"      # existing sites stay open; unmet demand is reported',
        f"max_minutes = {MAX_MINUTES.get(request.mode, 30.0):g}           # EDIT: the travel standard",
        'solver = "highs"',
        "time_limit_s = 60",
    ]
    if facilities["candidates"]:
        lines += [
            'opening_cost_column = "opening_cost"  # 1 per candidate site: put real costs here',
            f"budget = {request.new_sites}                # so at most {request.new_sites} "
            "candidate sites open; EDIT with real costs and budget",
        ]
    return "\n".join(lines) + "\n"


def _path_from(folder: Path, path: Path) -> str:
    """``path`` as the scenario in ``folder`` names it: relative when both share a folder below
    the root (so folder and data can move together), else absolute."""
    target, base = path.resolve(), folder.resolve()
    if os.path.commonpath([target, base]) == base.anchor:  # nothing in common but the root
        return target.as_posix()
    return Path(os.path.relpath(target, base)).as_posix()


def _toml_key(label: str) -> str:
    return label if re.fullmatch(r"[A-Za-z0-9_-]+", label) else json.dumps(label)


def write_region(
    inputs: RegionInputs,
    request: InitRequest,
    out: Path,
    *,
    overwrite: bool = False,
    check: Callable[[Path], list[str]] | None = None,
) -> Path:
    """Write the inputs folder atomically (see :func:`geoalloc.runs.folder.write_run_folder`);
    returns the path of its ``scenario.toml``.

    ``check`` is called with the written ``scenario.toml`` before the folder takes its place
    (it is written beside ``out``, so the scenario's relative paths are already right): its notes
    join ``init.json``, and an error it raises leaves ``out`` as it was."""
    from geoalloc.runs.folder import dumps_json, write_run_folder

    out = Path(out)

    def write(folder: Path) -> None:
        timings = inputs.facts["timings_s"]
        with _timed(timings, "write"):
            inputs.areas.to_crs(4326).to_file(folder / "areas.gpkg", driver="GPKG")
            inputs.facilities.to_crs(4326).to_file(folder / "facilities.gpkg", driver="GPKG")
            inputs.origins.to_crs(4326).to_file(folder / "origins.gpkg", driver="GPKG")
            text = scenario_text(request, inputs, out)
            (folder / "scenario.toml").write_text(text, encoding="utf-8")
        if check is not None:
            with _timed(timings, "validate"):
                inputs.notes.extend(check(folder / "scenario.toml"))
        record = {"facts": inputs.facts, "notes": inputs.notes, "warnings": inputs.warnings}
        (folder / "init.json").write_text(dumps_json(record), encoding="utf-8")

    write_run_folder(out, overwrite=overwrite, write=write)
    return out / "scenario.toml"


def check_written(scenario_path: Path) -> list[str]:
    """What ``geoalloc validate`` says of a written scenario: its notes (an error raises)."""
    from geoalloc.runs import check_scenario
    from geoalloc.scenario import load_scenario

    return list(check_scenario(load_scenario(scenario_path)).notes)


def init_region(
    request: InitRequest,
    out: Path | str,
    *,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
) -> InitResult:
    """Build the region's inputs, check that the scenario is valid and write them to ``out``.

    Parameters
    ----------
    request
        What to build from (see :class:`InitRequest`).
    out
        The folder to write (refused if it exists, unless ``overwrite``).
    progress
        Called with a short line before each step (the CLI prints them to stderr).

    Raises
    ------
    InputError
        An input that cannot be used (exit 3), with the culprit and the fix; ``out`` is left as
        it was.
    OutputExistsError
        ``out`` exists and ``overwrite`` is false (exit 2).
    """
    out = Path(out)
    if progress is not None:
        progress(f"reading {request.network.name}: areas, population, facilities")
    inputs = build_region(request)
    scenario_path = write_region(inputs, request, out, overwrite=overwrite, check=check_written)
    return InitResult(out, scenario_path, inputs.facts, inputs.notes, inputs.warnings)
