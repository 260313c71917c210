"""The Python API: run a scenario file, or plan straight from GeoDataFrames, in a notebook or script.

:func:`run` is ``geoalloc run`` without the writing; :func:`plan` builds the scenario from frames
and keyword arguments (the scenario file's keys) instead of a TOML file. Both return a
:class:`~geoalloc.runs.result.RunResult`; nothing is written until its ``write``. Import these from
:mod:`geoalloc` (``geoalloc.plan``, ``geoalloc.run``, ``geoalloc.load_scenario``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ValidationError

from geoalloc._errors import InputError
from geoalloc.access.options import AccessOptions
from geoalloc.demand.options import DemandOptions, HistoryOptions
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.phased_options import DeploymentOptions
from geoalloc.parallel import ComputeOptions
from geoalloc.runs import run_scenario
from geoalloc.runs.result import RunResult
from geoalloc.scenario import FrameSource, OutageOptions, Scenario, load_scenario, resolve_paths
from geoalloc.scenario.errors import validation_problems
from geoalloc.scenario.telemedicine import TelemedicineOptions
from geoalloc.travel.options import NetworkOptions

#: how :func:`plan` names itself in the problems of its arguments
PLAN_CALL = "geoalloc.plan()"


def run(scenario: Scenario | str | os.PathLike[str]) -> RunResult:
    """Run a scenario end to end and return its results (nothing is written).

    The same run as ``geoalloc run``: the scenario's kind (planning, time-phased deployment,
    telemedicine) decides what is run.

    Parameters
    ----------
    scenario
        A :class:`~geoalloc.scenario.Scenario` (from :func:`load_scenario`, possibly changed with
        ``model_copy``) or the path of a scenario TOML file.

    Returns
    -------
    RunResult
        Layers, summary and manifest; ``.write(folder)`` writes the run folder, ``.explore()``
        returns the map.

    Raises
    ------
    InputError
        The scenario file or an input is invalid (every problem at once).
    InfeasibleError
        The model has no feasible solution.
    SolverError
        No solver, or no solution within ``[optimize] time_limit_s``.

    Examples
    --------
    >>> import geoalloc
    >>> scenario = geoalloc.load_scenario("examples/chicago/beds.toml")  # doctest: +SKIP
    >>> tighter = scenario.model_copy(
    ...     update={"optimize": scenario.optimize.model_copy(update={"max_minutes": 20})}
    ... )  # doctest: +SKIP
    >>> geoalloc.run(tighter).summary["plan"]["covered_pct"]  # doctest: +SKIP
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(Path(scenario))
    return run_scenario(scenario)


def robust(
    scenario: Scenario | str | os.PathLike[str],
    *,
    draws: int | None = None,
    seed: int | None = None,
    executor: str | None = None,
    workers: int | None = None,
) -> RunResult:
    """Plans under uncertainty: ``geoalloc robust`` without the writing.

    Draws ``draws`` plausible futures from the scenario's ``[robustness]`` uncertainty (its
    documented defaults when the section is absent), solves each, solves the robust plan (a
    sample-average model over the first ``saa_draws`` draws) and the plan for the mean future, and
    evaluates both on every draw.

    Parameters
    ----------
    scenario
        A capacitated planning :class:`~geoalloc.scenario.Scenario` or the path of its TOML file.
    draws, seed
        Override ``[robustness] draws`` (default 100) and ``seed`` (default 1).
    executor, workers
        Where the draws run (``"serial"``, ``"processes"``, ``"dask"``; default: ``[compute]``).

    Returns
    -------
    RunResult
        Of kind ``robust``: layers ``facilities`` (``chosen_share``, ``expanded_share``, the
        robust and the mean plan) and ``areas`` (``p_covered``), ``summary["robustness"]``.

    Raises
    ------
    UsageError
        The scenario is not a capacitated planning scenario.
    InputError
        An input or a ``[robustness]`` value is invalid (the key is named).
    SolverError
        No solver, or no solution within the time limit.

    Examples
    --------
    >>> result = geoalloc.robust("icu_robust.toml", draws=20, seed=1)  # doctest: +SKIP
    >>> result.facilities["chosen_share"].sort_values().tail(3)  # doctest: +SKIP
    """
    from geoalloc.runs.robust import run_robust, with_robustness

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(Path(scenario))
    scenario = with_robustness(scenario, draws=draws, seed=seed)
    compute = scenario.compute
    update: dict[str, Any] = {}
    if executor is not None:
        update["executor"] = executor
        if executor != "dask":
            update["scheduler"] = None
    if workers is not None:
        update["workers"] = workers
    if update:
        try:
            compute = ComputeOptions.model_validate(compute.model_dump() | update)
        except ValidationError as exc:
            problems = validation_problems(exc, "geoalloc.robust()")
            raise InputError(problems, header="invalid executor or workers") from None
    return run_robust(scenario, compute=compute)


def update(
    run_dir: str | os.PathLike[str],
    *,
    history: str | os.PathLike[str] | None = None,
    areas: str | os.PathLike[str] | None = None,
    facilities: str | os.PathLike[str] | None = None,
    scenario: str | os.PathLike[str] | None = None,
    surge_admissions: str | os.PathLike[str] | None = None,
    max_changes: int | None = None,
    max_site_changes: int | None = None,
    max_units: dict[str, float] | None = None,
    change_cost: float = 0.0,
    site_change_cost: float = 0.0,
    unit_change_cost: dict[str, float] | None = None,
    pool: str = "all",
    window_days: float = 365.0,
    half_life_days: float = 180.0,
    alpha: float = 0.05,
    skip_below_noise: bool = False,
    as_of_day: int | None = None,
    out: str | os.PathLike[str] | None = None,
) -> RunResult:
    """Update the plan of a run folder with new data (the same as ``geoalloc update``).

    The plan is re-made from the one in force with the least disruption allowed by the limits
    (``max_changes``: sites opened or closed plus modules added or removed; ``max_site_changes``;
    ``max_units``: units per resource; ``change_cost``, ``site_change_cost``, ``unit_change_cost``:
    units of demand a change, a site opened or closed, a unit moved must serve), and
    the result says what changed in the data and in the plan, and why. ``surge_admissions`` (a
    CSV of daily region admissions: ``date`` or ``day``, ``admissions``) refits the scenario's
    ``[demand.surge]`` before the re-plan (see :mod:`geoalloc.demand.surge_fit`). Nothing is
    written: ``.write(out)`` writes the folder (give the same ``out`` here so that the manifest records the
    parent's path relative to it).

    A time-phased deployment run (a scenario with ``[deployment]``) is updated from ``as_of_day``
    (the day of the surge curve the update is made on; default its ``start_day``: nothing has
    happened yet): the shipments and temporary sites of the periods already started are kept,
    new shipments and sites take effect only after their lead and set-up times, and
    ``max_changes`` counts temporary sites changed plus units shipped differently
    (:mod:`geoalloc.runs.update_phased`).

    Examples
    --------
    >>> result = geoalloc.update("maps/chicago-beds", scenario="surge.toml", max_changes=4,
    ...                          out="maps/chicago-beds-u1")  # doctest: +SKIP
    >>> result.summary["update"]["change_rows"]  # doctest: +SKIP
    """
    from geoalloc.optimize.replan import ChangeLimits
    from geoalloc.runs.update import UpdateRequest, run_update

    def path(value: str | os.PathLike[str] | None) -> Path | None:
        return Path(value) if value is not None else None

    request = UpdateRequest(
        parent=Path(run_dir),
        history=path(history),
        areas=path(areas),
        facilities=path(facilities),
        scenario=path(scenario),
        surge_admissions=path(surge_admissions),
        limits=ChangeLimits(
            max_changes=max_changes,
            max_site_changes=max_site_changes,
            max_units_changed=dict(max_units or {}),
            unmet_per_change=change_cost,
            unmet_per_site_change=site_change_cost,
            unmet_per_unit_changed=dict(unit_change_cost or {}),
        ),
        pool=pool,  # type: ignore[arg-type]
        window_days=window_days,
        half_life_days=half_life_days,
        alpha=alpha,
        skip_below_noise=skip_below_noise,
        as_of_day=as_of_day,
    )
    return run_update(request, out_dir=path(out))


def plan(
    areas: Any,
    facilities: Any,
    *,
    area_id: str,
    population: str,
    site_id: str,
    capacity: Mapping[str, str] | None = None,
    site_name: str | None = None,
    candidate: str | None = None,
    age_bands: Mapping[str, str] | None = None,
    demand: DemandOptions | Mapping[str, Any] | None = None,
    optimize: OptimizeOptions | Mapping[str, Any] | None = None,
    network: NetworkOptions | Mapping[str, Any] | str | os.PathLike[str] = "crowfly",
    history: HistoryOptions | Mapping[str, Any] | None = None,
    outage: OutageOptions | Mapping[str, Any] | None = None,
    telemedicine: TelemedicineOptions | Mapping[str, Any] | None = None,
    deployment: DeploymentOptions | Mapping[str, Any] | None = None,
    compute: ComputeOptions | Mapping[str, Any] | None = None,
    access: AccessOptions | Mapping[str, Any] | None = None,
    areas_options: Mapping[str, Any] | None = None,
    facilities_options: Mapping[str, Any] | None = None,
    name: str = "plan",
) -> RunResult:
    """Plan from GeoDataFrames: the run a scenario file would describe, without any file.

    The frames go through the same readers as files do, so every check applies (ids read as text
    and unique, a CRS, valid geometry, quantities ≥ 0 …) and problems are reported as being in the
    "areas GeoDataFrame" or "facilities GeoDataFrame". The frames are copied; they are not changed.
    Every other argument is the scenario section of the same name (``[demand]``, ``[optimize]``,
    ``[network]`` …) as a dict of the scenario file's keys or as its options object; relative
    paths in them (a history file, an OSM file) start at the current folder.

    Parameters
    ----------
    areas
        Demand areas (polygons or points) with a CRS, or the path of a vector file.
    facilities
        Existing and candidate sites (points; polygons become a representative point) with a CRS,
        or the path of a vector file.
    area_id
        The areas column with unique ids (read as text); a frame indexed by its ids may name its
        index.
    population
        The areas column with residents (persons).
    site_id
        The facilities column with unique ids (read as text), or the name of its index.
    capacity
        Resource → facilities column with each site's current capacity (units), e.g.
        ``{"beds": "beds"}``. Every planned resource needs one.
    site_name
        The facilities column with a display name (default: the id).
    candidate
        A facilities true/false column: true for sites not yet open (default: all sites exist).
    age_bands
        Areas column → age band label (persons per band; the rest of the population is "other").
    demand
        ``[demand]``: resources, admissions per 1,000 per year, LOS days, occupancy target …
        (:class:`~geoalloc.demand.options.DemandOptions`; default: its defaults).
    optimize
        ``[optimize]``: the model, ``p``, ``max_minutes`` (the travel standard), solver, limits …
        (:class:`~geoalloc.optimize.options.OptimizeOptions`).
    network
        ``[network]``: ``"crowfly"`` (default), an OSM file, ``"place:<name>"``, or a dict /
        :class:`~geoalloc.travel.options.NetworkOptions` with mode, speeds …
    history, outage, telemedicine, deployment, compute, access
        The scenario sections of these names (default: none, as when absent from a file);
        ``access`` adds an accessibility index per area (:mod:`geoalloc.access.options`).
    areas_options, facilities_options
        Further ``[areas]`` / ``[facilities]`` keys (``districts``, ``origins``, ``join``,
        ``capacity_scale`` …).
    name
        The run's name (the scenario ``name``: letters, digits, ``.``, ``_``, ``-``).

    Returns
    -------
    RunResult
        Layers, summary and manifest; ``manifest["inputs"]`` records each frame as
        ``"<areas GeoDataFrame>"`` with its row count and a SHA-256 of its content.

    Raises
    ------
    InputError
        An argument is not a valid scenario key or value, or the frames have problems (every
        problem at once, each naming the frame and column).
    InfeasibleError
        The model has no feasible solution.
    SolverError
        No solver, or no solution within the time limit.
    TypeError
        ``areas`` or ``facilities`` is neither a (Geo)DataFrame nor a path.

    Examples
    --------
    >>> import geopandas as gpd
    >>> import geoalloc
    >>> from shapely.geometry import Point, box
    >>> areas = gpd.GeoDataFrame(
    ...     {"GEOID": ["a", "b"], "pop": [12_000, 8_000]},
    ...     geometry=[box(24.90, 60.15, 24.92, 60.17), box(24.95, 60.15, 24.97, 60.17)],
    ...     crs=4326,
    ... )
    >>> sites = gpd.GeoDataFrame(
    ...     {"name": ["west", "east"], "beds": [20, 20]},
    ...     geometry=[Point(24.91, 60.16), Point(24.96, 60.16)],
    ...     crs=4326,
    ... )
    >>> result = geoalloc.plan(
    ...     areas, sites, area_id="GEOID", population="pop", site_id="name",
    ...     capacity={"beds": "beds"}, optimize={"model": "capacitated", "p": 2},
    ... )
    >>> sorted(result.facilities.index)
    ['east', 'west']
    """
    sections: dict[str, Any] = {
        "name": name,
        "areas": {
            "path": _layer_source("areas", areas),
            "id": area_id,
            "population": population,
            "age_bands": dict(age_bands or {}),
        }
        | dict(areas_options or {}),
        "facilities": {
            "path": _layer_source("facilities", facilities),
            "id": site_id,
            "capacity": dict(capacity or {}),
            "name": site_name,
            "candidate": candidate,
        }
        | dict(facilities_options or {}),
        "network": _network(network),
    }
    optional = {
        "demand": demand,
        "optimize": optimize,
        "history": history,
        "outage": outage,
        "telemedicine": telemedicine,
        "deployment": deployment,
        "compute": compute,
        "access": access,
    }
    sections |= {key: value for key, value in optional.items() if value is not None}
    try:
        scenario = Scenario.model_validate(sections)
    except ValidationError as exc:
        problems = validation_problems(exc, PLAN_CALL)
        header = f"{len(problems)} problem(s) in the arguments of {PLAN_CALL}"
        raise InputError(problems, header=header) from None
    return run_scenario(resolve_paths(scenario, Path.cwd()))


def _layer_source(what: str, value: object) -> FrameSource | Path:
    if isinstance(value, pd.DataFrame):
        return FrameSource(what, value)
    if isinstance(value, str | os.PathLike):
        return Path(value)
    msg = f"{what} must be a GeoDataFrame or the path of a vector file, not {type(value).__name__}"
    raise TypeError(msg)


def _network(value: object) -> object:
    if isinstance(value, str | os.PathLike):
        return {"source": os.fspath(value)}
    if isinstance(value, BaseModel | Mapping):
        return value
    msg = f"network must be 'crowfly', a path, 'place:<name>' or a dict, not {type(value).__name__}"
    raise TypeError(msg)


__all__ = ["load_scenario", "plan", "robust", "run", "update"]
