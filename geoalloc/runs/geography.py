"""Do the inputs lie where they can be routed? The areas and sites against the road network's extent
(or, for crowfly, against each other), checked before any routing by every kind that routes
(planning and the kinds built on it, telemedicine), and so by ``geoalloc validate`` too.

Nonsense geography routes nothing: coordinates in degrees tagged with a projected CRS, latitude and
longitude swapped, a file without a CRS whose coordinates are not what was assumed, sites thousands
of km away, an OSM extract of another region. Every area would come out "unreachable" and the plan
empty, with exit 0. Instead:

- when (almost) nothing can be routed — less than :data:`MIN_ROUTABLE_SHARE` of the areas'
  population (of the areas, when it is 0) within reach, or no site within reach — it is an
  :class:`~geoalloc._errors.InputError` (exit 3) naming the file(s), both extents (longitude and
  latitude) and the likely cause with its fix: swapped axes (swapped back, the points lie on the
  network), degrees tagged with a projected CRS, a missing CRS, the distance in km, or the wrong
  extract (areas and sites lie together, away from the network);
- a layer tagged with a projected CRS whose coordinates are all within ±180 / ±90 is an input error
  in any case (read in metres, a whole region sits within 200 m of the CRS's origin);
- when only some areas or sites are out of reach, a warning (logged, so the CLI shows it on stderr,
  and kept in the run's ``input_notes``) names them with their distance.

*Within reach* means, on a road network, within ``[network] max_snap_m`` of a node of its largest
strongly connected component (the nodes points are snapped to; great-circle distance, so a point
the snapping measures at a hair over the limit may pass here); for crowfly, a site within the
crow-fly distance the travel horizon covers (``speed_kph`` × horizon ÷ ``circuity``) of some area's
point. A travel table (``source = "matrix"``) has no extent: nothing is checked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from geoalloc._validate import Problems, format_ids
from geoalloc.inputs.coordinates import DEGREES_BOUNDS
from geoalloc.inputs.read import source_label
from geoalloc.runs.travel import HORIZON_FACTOR, horizon_minutes
from geoalloc.scenario import FrameSource, Scenario
from geoalloc.travel import default_cache_dir
from geoalloc.travel.api import load_network
from geoalloc.travel.geodesy import EARTH_RADIUS_M

log = logging.getLogger(__name__)

#: below this share of the areas' population (of the areas, when the population is 0) within reach
#: of the road network, the areas do not overlap it: an input error, not a run of "unreachable"
MIN_ROUTABLE_SHARE = 0.10
#: a hypothesis (swapped axes, degrees) explains a layer when this share of its points, so
#: corrected, falls inside the reference's extent (widened by the reach)
EXPLAINED_SHARE = 0.5
#: areas and sites lie "together" (so the network is the wrong extract) when their extents are
#: this close, km
TOGETHER_KM = 100.0
#: how to swap a layer's coordinates
SWAP_HOW = (
    "in geopandas: gdf.geometry = shapely.transform(gdf.geometry.values, lambda xy: xy[:, ::-1]); "
    "or swap the x and y columns the points were made from"
)
#: extents are printed with this many decimals of a degree (≈ 100 m)
DECIMALS = 3


@dataclass(frozen=True)
class Layer:
    """Points of one input layer, as the check sees them.

    ``lon``/``lat`` are the points routed (EPSG:4326); ``native`` the same points in the CRS the
    file declares (``declared``; ``None``: it declares none and was taken as EPSG:4326, so
    ``native`` is ``lon``/``lat``); ``weight`` the population of each area (1 per site).
    """

    label: str
    noun: str
    file: str
    ids: pd.Index
    lon: np.ndarray
    lat: np.ndarray
    native: np.ndarray
    declared: CRS | None
    weight: np.ndarray

    @property
    def bounds(self) -> np.ndarray:
        return _bounds(self.lon, self.lat)


@dataclass(frozen=True)
class Reference:
    """What a layer must lie near: the road network's nodes, or (crowfly) the other layer."""

    name: str
    label: str
    lon: np.ndarray
    lat: np.ndarray
    reach_m: float
    reach_text: str

    @property
    def bounds(self) -> np.ndarray:
        return _bounds(self.lon, self.lat)


def check_geography(
    scenario: Scenario,
    area_points: gpd.GeoDataFrame,
    population: pd.Series,
    sites: gpd.GeoDataFrame,
) -> list[str]:
    """Check that the areas' and sites' points lie where the scenario's network can route them.

    Parameters
    ----------
    scenario
        The run's scenario (its ``[network]``, and the files the layers came from).
    area_points
        One point per area (EPSG:4326) where its trips start, indexed by area id.
    population
        People per area, indexed by area id.
    sites
        The sites (any CRS), indexed by site id.

    Returns
    -------
    list of str
        Warnings: areas or sites out of reach while the rest are not (each also logged).

    Raises
    ------
    InputError
        (Almost) nothing can be routed, or a layer's coordinates are degrees tagged with a
        projected CRS; each problem names the file, both extents and the likely cause.
    """
    network = scenario.network
    if network.is_matrix:
        return []
    areas = _layer(
        area_points,
        population.reindex(area_points.index).fillna(0.0).to_numpy(dtype=float),
        source_label("[areas]", scenario.areas.path),
        "areas",
        scenario.areas.path,
        scenario.areas.layer,
    )
    points = sites.geometry.to_crs(4326)
    site_layer = _layer(
        gpd.GeoDataFrame(geometry=points.representative_point(), index=sites.index),
        np.ones(len(sites)),
        source_label("[facilities]", scenario.facilities.path),
        "sites",
        scenario.facilities.path,
        scenario.facilities.layer,
    )
    problems = Problems()
    reference = None
    if not network.is_crowfly:
        reference = _network_reference(scenario)
    for layer in (areas, site_layer):
        _degrees_tagged_projected(layer, reference, problems)
    if not problems:
        if reference is not None:
            _check_on_network(areas, site_layer, reference, network.source, problems)
        else:
            _check_crowfly(scenario, areas, site_layer, problems)
    problems.raise_if_any(
        header=(
            f"scenario {scenario.name!r}: the inputs do not lie where the network can route them"
        )
    )
    for note in problems.notes:
        log.warning(note)
    return problems.notes


# --- the layers and the reference ------------------------------------------------------------


def _layer(
    points: gpd.GeoDataFrame,
    weight: np.ndarray,
    label: str,
    noun: str,
    source: Path | FrameSource,
    layer: str | None,
) -> Layer:
    lonlat = points.geometry.to_crs(4326)
    lon, lat = lonlat.x.to_numpy(dtype=float), lonlat.y.to_numpy(dtype=float)
    declared = _declared_crs(source, layer)
    if declared is None or declared.equals(CRS.from_epsg(4326)):
        native = np.column_stack([lon, lat])
    else:
        back = lonlat.to_crs(declared)
        native = np.column_stack([back.x.to_numpy(dtype=float), back.y.to_numpy(dtype=float)])
    return Layer(label, noun, source.name, points.index, lon, lat, native, declared, weight)


def _declared_crs(source: Path | FrameSource, layer: str | None) -> CRS | None:
    """The CRS the input declares (``None``: none, it was taken as EPSG:4326 on reading)."""
    if isinstance(source, FrameSource):
        crs = source.frame.crs if isinstance(source.frame, gpd.GeoDataFrame) else None
        return CRS.from_user_input(crs) if crs is not None else None
    from geoalloc.inputs.osm_layers import is_osm_pbf

    if is_osm_pbf(source):
        return CRS.from_epsg(4326)  # OSM is longitude/latitude by definition
    import pyogrio

    try:
        crs = pyogrio.read_info(source, layer=layer)["crs"]
    except Exception:  # noqa: BLE001 - the reader read it; without its metadata, assume 4326
        return CRS.from_epsg(4326)
    return CRS.from_user_input(crs) if crs else None


def _network_reference(scenario: Scenario) -> Reference:
    network = scenario.network
    graph = load_network(network, cache_dir=default_cache_dir())  # cached: routing reuses it
    return Reference(
        name="the road network",
        label=f"the road network ({_network_label(network.source)})",
        lon=np.asarray(graph.lon, dtype=float),
        lat=np.asarray(graph.lat, dtype=float),
        reach_m=network.max_snap_m,
        reach_text=f"{network.max_snap_m:,.0f} m ([network] max_snap_m)",
    )


def _network_label(source: str) -> str:
    return f"[network] {source if source.startswith('place:') else Path(source).name}"


# --- the checks ------------------------------------------------------------------------------


def _degrees_tagged_projected(
    layer: Layer, reference: Reference | None, problems: Problems
) -> None:
    """A projected layer whose coordinates all fit ±180 / ±90: degrees under a wrong tag."""
    declared = layer.declared
    if declared is None or not declared.is_projected or not _within_degrees(layer.native):
        return
    lon, lat = layer.native[:, 0], layer.native[:, 1]
    where = ""
    if reference is not None:
        inside = _inside_share(lon, lat, reference)
        if inside >= EXPLAINED_SHARE:
            where = f"; read as degrees they lie on {reference.label} ({_extent(reference)})"
    problems.add(
        layer.label,
        f"its coordinates ({_native_extent(layer.native)}) are longitude/latitude degrees, but "
        f"it is tagged {_crs_name(declared)}, a projected CRS in metres: so it lies within "
        f"{_max_abs_m(layer.native):,.0f} m of that CRS's origin, at {_extent(layer)}{where}",
        f"tag it EPSG:4326 without reprojecting: ogr2ogr -a_srs EPSG:4326 fixed.gpkg {layer.file} "
        "(or gdf.set_crs(4326, allow_override=True) in geopandas)",
    )


def _check_on_network(
    areas: Layer, sites: Layer, network: Reference, source: str, problems: Problems
) -> None:
    area_m = _nearest_m(areas.lon, areas.lat, network.lon, network.lat)
    site_m = _nearest_m(sites.lon, sites.lat, network.lon, network.lat)
    area_ok = area_m <= network.reach_m
    site_ok = site_m <= network.reach_m
    areas_fail = _share(areas.weight, area_ok) < MIN_ROUTABLE_SHARE
    sites_fail = not site_ok.any()
    causes = {
        layer.noun: _cause(layer, network)
        for layer, fails in ((areas, areas_fail), (sites, sites_fail))
        if fails
    }
    together = _apart_km(areas, sites) <= TOGETHER_KM
    if areas_fail and sites_fail and together and not any(causes.values()):
        _wrong_extract(areas, sites, network, source, area_m, problems)
    else:
        for layer, distance_m, ok in ((areas, area_m, area_ok), (sites, site_m, site_ok)):
            if layer.noun in causes:
                _outside(layer, network, distance_m, ok, causes[layer.noun], problems)
    for layer, distance_m, ok in ((areas, area_m, area_ok), (sites, site_m, site_ok)):
        if layer.noun not in causes and not ok.all():
            _warn_some(
                layer,
                f"farther than {network.reach_text} from {network.label}",
                distance_m,
                ok,
                problems,
            )


def _check_crowfly(scenario: Scenario, areas: Layer, sites: Layer, problems: Problems) -> None:
    """Crowfly has no network: a site must lie within the horizon's crow-fly reach of an area.

    With nothing in reach, either layer may be the one that is off: each is tried against the
    other (when both explain it — one of them swapped — the problem names both files)."""
    horizon = horizon_minutes(scenario)
    if horizon is None:
        return  # no cut-off: every pair gets its minutes, however far
    network = scenario.network
    reach_m = network.speed_kph * 1000.0 * horizon / 60.0 / network.circuity
    reach_text = (
        f"{reach_m / 1000:,.1f} km (the crow-fly reach of the {horizon:g}-minute travel horizon "
        f"at {network.speed_kph:g} km/h, circuity {network.circuity:g})"
    )
    around_areas = Reference(
        "the areas", f"the areas ({areas.label})", areas.lon, areas.lat, reach_m, reach_text
    )
    around_sites = Reference(
        "the sites", f"the sites ({sites.label})", sites.lon, sites.lat, reach_m, reach_text
    )
    site_m = _nearest_m(sites.lon, sites.lat, areas.lon, areas.lat)
    site_ok = site_m <= reach_m
    if site_ok.any():
        if not site_ok.all():
            what = f"farther than {reach_text} from every area"
            _warn_some(sites, what, site_m, site_ok, problems)
        return
    site_cause = _cause(sites, around_areas)
    area_cause = _cause(areas, around_sites)
    if site_cause is not None and area_cause is not None:  # swapped: which one, only you know
        site_cause = (
            f"latitude and longitude are swapped in one of the two files ({areas.file} or "
            f"{sites.file}): swapped back, either lies on the other",
            f"swap the coordinates of the one that is not where your region is "
            f"(areas: {_extent(areas)}; sites: {_extent(sites)}) — {SWAP_HOW}",
        )
    elif area_cause is not None:
        area_m = _nearest_m(areas.lon, areas.lat, sites.lon, sites.lat)
        _outside(areas, around_sites, area_m, area_m <= reach_m, area_cause, problems)
        return
    elif site_cause is None and float(np.min(site_m)) <= TOGETHER_KM * 1000:
        # the layers lie together: the reach (max_minutes, speed_kph, circuity) falls short
        site_cause = (
            f"the reach is shorter than the distances: the nearest site lies "
            f"{_distance_text(float(np.min(site_m)))} from an area",
            f"check [optimize] max_minutes ({_horizon_text(scenario, horizon)}), "
            f"[network] speed_kph and circuity — or the coordinates of {sites.file}",
        )
    _outside(sites, around_areas, site_m, site_ok, site_cause, problems)


def _outside(
    layer: Layer,
    reference: Reference,
    distance_m: np.ndarray,
    ok: np.ndarray,
    cause: tuple[str, str] | None,
    problems: Problems,
) -> None:
    """The error for a layer (almost) entirely out of reach."""
    counted = f"{int(ok.sum())} of its {len(ok)} {layer.noun}"
    if layer.noun == "areas" and layer.weight.sum() > 0:
        counted += f" ({_share(layer.weight, ok):.0%} of the population)"
    if cause is None:
        nearest_m = float(np.nanmin(distance_m[~ok], initial=np.inf))  # of those out of reach
        cause = (
            f"the {layer.noun} lie {_distance_text(nearest_m)} from {reference.name} "
            "(the nearest one)",
            f"check the coordinates of {layer.file} and their CRS",
        )
    problems.add(
        layer.label,
        f"only {counted} lie within {reference.reach_text} of {reference.label} — "
        f"{layer.noun}: {_extent(layer)}; {reference.name}: {_extent(reference)}; "
        f"likely cause: {cause[0]}",
        cause[1],
    )


def _wrong_extract(
    areas: Layer,
    sites: Layer,
    network: Reference,
    source: str,
    area_m: np.ndarray,
    problems: Problems,
) -> None:
    """Areas and sites lie together, away from the network: the network is of another region."""
    label = _network_label(source)
    inputs = _bounds(np.r_[areas.lon, sites.lon], np.r_[areas.lat, sites.lat])
    minx, miny, maxx, maxy = (round(float(v), 2) for v in inputs)
    if source.startswith("place:"):
        fix = 'name the place the areas are in ([network] source = "place:<name>")'
    else:
        fix = (
            "give an OSM extract that covers the areas and sites (e.g. from download.geofabrik.de; "
            f"osmium extract -b {minx - 0.05:.2f},{miny - 0.05:.2f},{maxx + 0.05:.2f},"
            f"{maxy + 0.05:.2f} region.osm.pbf -o {Path(source).stem.removesuffix('.osm')}-fixed.osm.pbf "
            "cuts one from a larger file)"
        )
    problems.add(
        label,
        f"the road network covers {_extent(network)}, but the areas ({areas.label}: "
        f"{_extent(areas)}) and the sites ({sites.label}: {_extent(sites)}) lie "
        f"{float(np.nanmin(area_m)) / 1000:,.0f} km from it, none within {network.reach_text}; "
        f"likely cause: the wrong extract ({Path(source).name if not source.startswith('place:') else source})",
        fix,
    )


def _warn_some(
    layer: Layer, what: str, distance_m: np.ndarray, ok: np.ndarray, problems: Problems
) -> None:
    """A warning naming the areas or sites out of reach, farthest first, with their distance."""
    out = np.flatnonzero(~ok)
    out = out[np.argsort(-distance_m[out], kind="stable")]
    listed = [f"{layer.ids[i]} ({_distance_text(distance_m[i])})" for i in out]
    hint = (
        "they get no road route (travel_flag far_from_network) — check their coordinates, or "
        "raise max_snap_m if the roads are that far"
        if layer.noun == "areas"
        else "no area can use them — check their coordinates"
    )
    problems.note(
        layer.label,
        f"{len(out)} of {len(ok)} {layer.noun} {what}: {format_ids(listed)}; {hint}",
    )


# --- likely causes ---------------------------------------------------------------------------


def _cause(layer: Layer, reference: Reference) -> tuple[str, str] | None:
    """Why ``layer`` misses ``reference``, when a correction of its coordinates explains it:
    ``(cause, fix)``; ``None`` when none does (the distance is then all there is to say)."""
    swapped = layer.native[:, ::-1]
    if layer.declared is None:
        lon, lat = swapped[:, 0], swapped[:, 1]
    else:
        lon, lat = _to_lonlat(swapped, layer.declared)
    if _inside_share(lon, lat, reference) >= EXPLAINED_SHARE:
        return (
            "latitude and longitude (or y and x) are swapped: swapped back, the "
            f"{layer.noun} lie on {reference.label}",
            f"swap the coordinates of {layer.file} — {SWAP_HOW}",
        )
    if layer.declared is None:
        return (
            f"{layer.file} declares no CRS, and its degrees taken as EPSG:4326 miss the network",
            f"set the CRS its coordinates are in: ogr2ogr -a_srs EPSG:<code> fixed.gpkg "
            f"{layer.file} (or gdf.set_crs(<code>, allow_override=True) in geopandas)",
        )
    return None


def _to_lonlat(xy: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    points = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)
    try:
        lonlat = points.to_crs(4326)
    except Exception:  # noqa: BLE001 - coordinates outside the CRS's domain: not an explanation
        return np.full(len(xy), np.nan), np.full(len(xy), np.nan)
    return lonlat.x.to_numpy(dtype=float), lonlat.y.to_numpy(dtype=float)


# --- geometry helpers ------------------------------------------------------------------------


def _unit_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lam, phi = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


#: point × reference pairs up to which the nearest reference is found by comparing all pairs
BRUTE_FORCE_PAIRS = 4_000_000


def _nearest_m(
    lon: np.ndarray, lat: np.ndarray, ref_lon: np.ndarray, ref_lat: np.ndarray
) -> np.ndarray:
    """Great-circle metres from each point to the nearest reference point (a chord k-d tree)."""
    if not len(lon) or not len(ref_lon):
        return np.full(len(lon), np.inf)
    points, refs = _unit_xyz(lon, lat), _unit_xyz(ref_lon, ref_lat)
    if len(points) * len(refs) <= BRUTE_FORCE_PAIRS:  # small: no k-d tree (nor scipy.spatial)
        chord = np.empty(len(points))
        for start in range(0, len(points), 4096):
            block = points[start : start + 4096, None, :] - refs[None, :, :]
            chord[start : start + 4096] = np.sqrt((block * block).sum(axis=2).min(axis=1))
    else:
        from scipy.spatial import cKDTree

        chord, _ = cKDTree(refs).query(points)
    return 2 * EARTH_RADIUS_M * np.arcsin(np.clip(np.asarray(chord) / 2, 0.0, 1.0))


def _apart_km(a: Layer, b: Layer) -> float:
    """The distance between two layers' nearest points, km."""
    return float(np.nanmin(_nearest_m(b.lon, b.lat, a.lon, a.lat), initial=np.inf)) / 1000


def _share(weight: np.ndarray, ok: np.ndarray) -> float:
    """The weighted share of ``ok`` (by count when the weights add up to 0)."""
    if not len(ok):
        return 1.0
    total = float(weight.sum())
    return float(weight[ok].sum()) / total if total > 0 else float(ok.mean())


def _inside_share(lon: np.ndarray, lat: np.ndarray, reference: Reference) -> float:
    """Share of points inside the reference's extent widened by its reach."""
    if not len(lon):
        return 0.0
    pad_lat = reference.reach_m / 111_000.0
    minx, miny, maxx, maxy = reference.bounds
    pad_lon = pad_lat / max(np.cos(np.radians(max(abs(miny), abs(maxy)))), 0.01)
    inside = (
        (lon >= minx - pad_lon)
        & (lon <= maxx + pad_lon)
        & (lat >= miny - pad_lat)
        & (lat <= maxy + pad_lat)
    )
    return float(inside.mean())


def _within_degrees(xy: np.ndarray) -> bool:
    low_x, low_y, high_x, high_y = DEGREES_BOUNDS
    finite = xy[np.isfinite(xy).all(axis=1)]
    return bool(
        len(finite)
        and (finite[:, 0] >= low_x).all()
        and (finite[:, 0] <= high_x).all()
        and (finite[:, 1] >= low_y).all()
        and (finite[:, 1] <= high_y).all()
    )


def _bounds(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    finite = np.isfinite(lon) & np.isfinite(lat)
    if not finite.any():
        return np.full(4, np.nan)
    return np.array([lon[finite].min(), lat[finite].min(), lon[finite].max(), lat[finite].max()])


def _extent(item: Layer | Reference) -> str:
    minx, miny, maxx, maxy = item.bounds
    d = DECIMALS
    return f"lon {minx:.{d}f}…{maxx:.{d}f}, lat {miny:.{d}f}…{maxy:.{d}f}"


def _native_extent(xy: np.ndarray) -> str:
    return f"x {np.nanmin(xy[:, 0]):.3f}…{np.nanmax(xy[:, 0]):.3f}, y {np.nanmin(xy[:, 1]):.3f}…{np.nanmax(xy[:, 1]):.3f}"


def _max_abs_m(xy: np.ndarray) -> float:
    return float(np.nanmax(np.hypot(xy[:, 0], xy[:, 1])))


def _crs_name(crs: CRS) -> str:
    code = crs.to_epsg()
    return f"EPSG:{code} ({crs.name})" if code else crs.name


def _distance_text(metres: float) -> str:
    return f"{metres / 1000:,.0f} km" if metres >= 10_000 else f"{metres:,.0f} m"


def _horizon_text(scenario: Scenario, horizon: float) -> str:
    """The standard and how the horizon follows from it (or from ``[access] max_minutes``)."""
    standard = scenario.optimize.max_minutes
    assert standard is not None
    if horizon > standard * HORIZON_FACTOR:
        return f"{standard:g}; the horizon is [access] max_minutes, {horizon:g}"
    return f"{standard:g}; the horizon is {HORIZON_FACTOR:g} times it"
