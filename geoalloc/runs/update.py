"""The update run kind: new data in, the plan re-made from its parent's with the least disruption.

``geoalloc update RUN_DIR [--history NEW.csv] [--areas NEW.gpkg] [--facilities NEW.gpkg]
[--scenario NEW.toml] [--surge-admissions DAILY.csv] [--max-changes N …] --out DIR`` (and
:func:`geoalloc.update`):

1. **The parent.** ``RUN_DIR`` is a planning (or update) run of the capacitated model. Its scenario
   comes from its ``manifest.json``; every input file it names must still have the hash recorded
   there, so the drift is measured against the data the plan was made on.
2. **The new data.** The update's scenario is the parent's with the new files in place (a new
   scenario file replaces it whole — e.g. a surge — and the file options then replace its paths).
   A new history is pooled with the parent's by the chosen rule (:mod:`geoalloc.demand.pooling`)
   and the LOS model and admission rates are refitted on the pool. Daily admissions
   (``--surge-admissions``) refit the scenario's ``[demand.surge]`` (:mod:`geoalloc.demand.
   surge_fit`: the SIR's doubling time and initial infected share, or a table's first days); the
   re-plan then uses the refitted curve.
3. **Drift.** :func:`geoalloc.runs.update_drift.data_drift`: LOS, admission rates, the surge,
   population, capacity and needs, old vs new; with ``skip_below_noise`` a change below the noise keeps the plan.
4. **Re-plan** from the parent's plan (:func:`geoalloc.optimize.replan.solve_replan`) under the
   change limits; the plan kept as it is, re-evaluated on the new data, is computed beside it.
5. **Explain.** The folder holds the usual outputs plus the ``changes`` layer (one row per site
   change), the ``kept_facilities`` layer (the parent's plan under the new data), per area the
   minutes and status under the kept plan and whether access was gained or lost, and
   ``summary["update"]``: the drift, the changes, what each buys, and the kept plan's figures.
6. **Lineage.** The manifest's ``parent`` record (:mod:`geoalloc.runs.lineage`) names the parent by
   the hash of its manifest; the new inputs' hashes are in ``inputs`` as for every run.

A **time-phased deployment run** (a scenario with ``[deployment]``, or an update of one) is updated
by :mod:`geoalloc.runs.update_phased` (``[--as-of-day D]``, :attr:`UpdateRequest.as_of_day`): the
shipments and temporary sites of the periods started before day ``D`` (default: the deployment's
``start_day``, nothing has happened yet) are kept — shipments under way still arrive when
scheduled — and the rest of the schedule is re-made with the least disruption; a new shipment
leaves no earlier than the first period starting on or after ``D`` and is usable ``lead`` periods
later, a new temporary site is ready after its set-up days, so no change takes effect before its
lead time. The change limits count temporary sites changed plus units shipped differently
(:mod:`geoalloc.optimize.phased_replan`); the result is never worse than keeping the schedule.
``as_of_day`` with a planning parent is an input error (exit 3).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import geopandas as gpd
import pandas as pd
from pydantic import ValidationError

from geoalloc._errors import InputError, UsageError
from geoalloc._validate import Problems, file_problem
from geoalloc.demand.history import History, read_history, read_rows
from geoalloc.demand.los import LosModel, fit_los_model
from geoalloc.demand.needs import band_population
from geoalloc.demand.options import HistoryOptions
from geoalloc.demand.pooling import PoolRule, joined_history, pooled_history
from geoalloc.demand.surge import SurgeResult
from geoalloc.demand.surge_fit import (
    DailyAdmissions,
    SurgeFit,
    fit_surge,
    read_daily_admissions,
    region_baseline,
    surge_drift,
)
from geoalloc.inputs.read import read_areas, read_facilities
from geoalloc.optimize.first_stage import FirstStage
from geoalloc.optimize.problem import Allocation, AllocationProblem
from geoalloc.optimize.replan import ChangeLimits, Replan, disruption_frontier, solve_replan
from geoalloc.runs.compare import compare_results, results_of
from geoalloc.runs.evaluate import evaluate
from geoalloc.runs.folder import RunFolder
from geoalloc.runs.lineage import PARENT_KEY, parent_record
from geoalloc.runs.manifest import SEED, sha256_file
from geoalloc.runs.planning import Inputs, PlanningKind, run_planning
from geoalloc.runs.result import RunResult
from geoalloc.runs.schema import PlanningSummary
from geoalloc.runs.update_drift import DataDrift, data_drift
from geoalloc.scenario import Scenario, load_scenario
from geoalloc.scenario.errors import validation_problems

if TYPE_CHECKING:
    import folium

    from geoalloc.travel.matrix import TravelMatrix

log = logging.getLogger(__name__)

#: run kinds an update starts from
PARENT_KINDS = ("planning", "update")
#: time-phased deployment run kinds an update starts from (:mod:`geoalloc.runs.update_phased`)
PHASED_PARENT_KINDS = ("deployment", "deployment_update")


@dataclass(frozen=True)
class UpdateRequest:
    """What an update is asked to do.

    Attributes
    ----------
    parent
        The run folder of the plan in force.
    history, areas, facilities
        New files replacing the parent scenario's (None: unchanged).
    scenario
        A new scenario file replacing the parent's whole (a surge, new assumptions); the file
        options above then replace its paths.
    surge_admissions
        Daily region admissions observed (CSV: ``date`` or ``day``, ``admissions``) to refit the
        scenario's ``[demand.surge]`` on (:mod:`geoalloc.demand.surge_fit`); None: the surge is
        the scenario's.
    limits
        How much the plan may change (:class:`~geoalloc.optimize.replan.ChangeLimits`).
    pool, window_days, half_life_days
        How the new history is pooled with the parent's (:mod:`geoalloc.demand.pooling`).
    alpha
        The drift tests' level.
    skip_below_noise
        Keep the plan as it is when no drift is found beyond the noise.
    frontier
        Limits on the number of changes (None: no limit) at which to re-plan too, for the
        disruption-vs-benefit table a planner chooses from; the plan itself follows ``limits``.
    as_of_day
        The update of a time-phased deployment only: the day (of the surge curve, as the
        deployment's ``start_day``) the update is made on; what the plan in force decided for
        the periods started before it is history (None: its ``start_day``, nothing happened yet).
    """

    parent: Path
    history: Path | None = None
    areas: Path | None = None
    facilities: Path | None = None
    scenario: Path | None = None
    surge_admissions: Path | None = None
    limits: ChangeLimits = field(default_factory=ChangeLimits)
    pool: PoolRule = "all"
    window_days: float = 365.0
    half_life_days: float = 180.0
    alpha: float = 0.05
    skip_below_noise: bool = False
    frontier: tuple[int | None, ...] = ()
    as_of_day: int | None = None


@runtime_checkable
class UpdatesParent(Protocol):
    """A run kind that updates parents of another kind (the time-phased deployment update)."""

    def update_parent(
        self, request: UpdateRequest, parent: Parent, *, out_dir: Path | None
    ) -> RunResult:
        """Run the update of ``parent`` end to end (nothing is written)."""
        ...


@dataclass(frozen=True)
class Parent:
    """The parent run: its folder, figures, scenario and plan."""

    folder: Path
    summary: dict[str, Any]
    manifest: dict[str, Any]
    scenario: Scenario
    facilities: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame

    def history_files(self) -> list[dict[str, Any]]:
        """The history files the plan's LOS was fitted to, oldest first, with their hashes and
        the years each covers: an update's pooled files, else its scenario's ``[history]``."""
        recorded = (self.manifest.get("update") or {}).get("history_files")
        if recorded:
            return list(recorded)
        history = self.scenario.history
        if history is None:
            return []
        record = (self.manifest.get("inputs") or {}).get(str(history.path)) or {}
        return [{"path": str(history.path), "sha256": record.get("sha256"), "years": history.years}]

    def pool(self) -> dict[str, Any]:
        """How the plan pooled its history files (an update's rule; a plan: all)."""
        update = self.manifest.get("update") or {}
        return {
            "rule": update.get("pool", "all"),
            "window_days": update.get("window_days", 365.0),
            "half_life_days": update.get("half_life_days", 180.0),
        }


def read_parent(folder: Path) -> Parent:
    """Read the run an update starts from; an :class:`InputError` (exit 3) when it cannot be one."""
    folder = Path(folder)
    run = RunFolder(folder).read(layers=("facilities", "areas"))
    kind = run.summary.get("kind")
    if kind not in PARENT_KINDS + PHASED_PARENT_KINDS:
        msg = (
            f"{folder}: a {kind} run — `geoalloc update` re-plans planning runs of the capacitated "
            "model and time-phased deployment runs (or earlier updates of either); give the "
            "folder of such a run"
        )
        raise InputError(msg)
    if kind in PARENT_KINDS and run.summary.get("model") != "capacitated":
        msg = (
            f"{folder}: a plan of the {run.summary.get('model')} model — `geoalloc update` re-plans "
            "capacitated plans (sites and units); run the scenario with [optimize] model = "
            '"capacitated" first'
        )
        raise InputError(msg)
    try:
        scenario = Scenario.model_validate(run.manifest.get("scenario") or {})
    except ValidationError as exc:
        problems = validation_problems(exc, f"{folder}/manifest.json scenario")
        raise InputError(problems, header=f"{folder}: its manifest's scenario is damaged") from None
    _check_inputs_unchanged(folder, run.manifest)
    return Parent(
        folder, run.summary, run.manifest, scenario, run.layers["facilities"], run.layers["areas"]
    )


def _check_inputs_unchanged(folder: Path, manifest: dict[str, Any]) -> None:
    problems = []
    for name, record in (manifest.get("inputs") or {}).items():
        if name.startswith("<"):  # a layer given as a GeoDataFrame: no file to read again
            problems.append(
                f"{name}: the plan was made from a GeoDataFrame, which an update cannot read "
                "again — run the plan from files (a scenario TOML) to keep it current"
            )
            continue
        path = Path(name)
        if not path.is_file():
            problems.append(f"{path}: the plan's input is missing — restore it where it was")
        elif sha256_file(path) != record.get("sha256"):
            problems.append(
                f"{path}: the plan's input has changed since the plan was made (its SHA-256 "
                "differs from the manifest's) — the drift would be measured against other data: "
                "restore the file, or rerun the plan on it and update that run"
            )
    if problems:
        raise InputError(
            problems, header=f"{folder}: the plan's inputs cannot be read as they were"
        )


def current_plan(facilities: gpd.GeoDataFrame, resources: list[str]) -> FirstStage:
    """The plan in force, from a run's facilities layer: sites open and units added."""
    table = facilities.set_index("site_id")
    table.index = table.index.astype(str)
    added = pd.DataFrame(
        {
            r: pd.to_numeric(table[f"{r}_added"], errors="coerce").fillna(0.0)
            if f"{r}_added" in table.columns
            else 0.0
            for r in resources
        },
        index=table.index,
    )
    return FirstStage(opened=table["open"].astype(bool), added=added)


def _check_new_files(request: UpdateRequest) -> None:
    """Each new file must be there and readable, named by the option that gave it: a missing
    ``--areas`` is the caller's path, not one of the scenario file."""
    problems = Problems()
    given = {
        "history": request.history,
        "areas": request.areas,
        "facilities": request.facilities,
        "surge-admissions": request.surge_admissions,
    }
    for option, path in given.items():
        if path is None:
            continue
        why = file_problem(path, directory_ok=option in ("areas", "facilities"))
        if why is not None:
            problems.add(
                f"update --{option} {path}",
                why,
                "check the path (a relative path starts at the current folder)",
            )
    problems.raise_if_any()


def updated_scenario(parent: Parent, request: UpdateRequest, expect: str = "planning") -> Scenario:
    """The update's scenario: the parent's (or the new scenario file) with the new files.
    ``expect``: the kind of run the parent is (planning or deployment); the scenario must be too."""
    _check_new_files(request)
    scenario = load_scenario(request.scenario) if request.scenario else parent.scenario
    from geoalloc.runs.kinds import kind_for

    kind = kind_for(scenario)
    if kind.name != expect and expect == "planning":
        msg = (
            f"{request.scenario}: a {kind.name} scenario — an update re-plans the capacitated "
            f"planning model; leave out its [{kind.name}] section"
        )
        raise InputError(msg)
    if kind.name != expect:
        msg = (
            f"{request.scenario}: a {kind.name} scenario, but the plan in force is a {expect} "
            f"run — give the new scenario the plan's [{expect}] section"
        )
        raise InputError(msg)
    update: dict[str, Any] = {}
    if request.areas is not None:
        update["areas"] = scenario.areas.model_copy(update={"path": request.areas.resolve()})
    if request.facilities is not None:
        update["facilities"] = scenario.facilities.model_copy(
            update={"path": request.facilities.resolve()}
        )
    if request.history is not None:
        if scenario.history is None:
            from geoalloc.demand.options import HistoryOptions

            update["history"] = HistoryOptions(path=request.history.resolve())
        else:
            update["history"] = scenario.history.model_copy(
                update={"path": request.history.resolve(), "years": None}
            )
    return scenario.model_copy(update=update) if update else scenario


def _check_same_columns(old_path: Path, options: HistoryOptions) -> None:
    """The new history must have every column of the plan's (``options.path`` is the new one)."""
    old_columns = list(read_rows(options, old_path).columns)
    new_columns = set(read_rows(options, options.path).columns)
    missing = [c for c in old_columns if c not in new_columns]
    if missing:
        msg = (
            f"{options.path}: no column(s) {', '.join(repr(c) for c in missing)}, which the plan's "
            f"history {old_path.name} has — give the new admissions in the same columns as the "
            f"plan's history (this file has: {', '.join(sorted(map(str, new_columns)))})"
        )
        raise InputError(msg)


def _read_recorded(record: dict[str, Any], scenario: Scenario, area_ids: pd.Index) -> History:
    """One history file of the plan, read with the update's columns, checked unchanged."""
    path = Path(record["path"])
    if not path.is_file():
        raise InputError(f"{path}: a history file the plan was fitted to is missing — restore it")
    if record.get("sha256") and sha256_file(path) != record["sha256"]:
        msg = (
            f"{path}: a history file the plan was fitted to has changed since (its SHA-256 "
            "differs from the one recorded) — restore it, or rerun the plan on it"
        )
        raise InputError(msg)
    assert scenario.history is not None  # called only with a history
    options = scenario.history.model_copy(update={"path": path, "years": record.get("years")})
    return read_history(path, options, area_ids=area_ids)


def _text_index(table: pd.Series | pd.DataFrame) -> Any:
    """``table`` with its ids as text (as run folders hold them)."""
    out = table.copy()
    out.index = out.index.astype(str)
    return out


def _in_service(facilities: pd.DataFrame, resources: list[str], scenario: Scenario) -> pd.DataFrame:
    """Units per site and resource, 0 at the sites ``[outage] closed_sites`` puts out of service."""
    capacity = facilities.reindex(columns=resources).astype(float)
    closed = capacity.index.intersection(pd.Index(scenario.outage.closed_sites, dtype=object))
    capacity.loc[closed] = 0.0
    return capacity


def _without_closed(plan: FirstStage, closed_sites: list[str]) -> tuple[FirstStage, list[str]]:
    """The plan in force without the sites the new data put out of service (``[outage]
    closed_sites``): they close whatever the re-plan does, so they are not counted as its changes."""
    closed = [s for s in closed_sites if s in plan.opened.index]
    forced = [s for s in closed if bool(plan.opened[s])]
    keep = plan.opened.index.difference(pd.Index(closed, dtype=object), sort=False)
    return FirstStage(opened=plan.opened.loc[keep], added=plan.added.loc[keep]), forced


def check_plan_sites_kept(
    plan: FirstStage, parent_sites: pd.DataFrame, facilities: pd.DataFrame, source: str
) -> None:
    """Every site open in the plan in force must still be in the new facilities: a row that
    is gone may be a closure or a mistake, and the update cannot tell which. An
    :class:`InputError` (exit 3) names the sites and says how to close them."""
    open_sites = plan.opened.index[plan.opened.to_numpy(dtype=bool)]
    gone = [s for s in open_sites if s not in set(facilities.index.astype(str))]
    if not gone:
        return
    names = parent_sites["name"] if "name" in parent_sites.columns else pd.Series(dtype=object)
    listed = ", ".join(
        f"{site} ({names[site]})" if site in names.index and str(names[site]) != site else site
        for site in gone[:10]
    ) + (f" and {len(gone) - 10} more" if len(gone) > 10 else "")
    ids = ", ".join(f'"{site}"' for site in gone)
    msg = (
        f"{source}: {len(gone)} site(s) open in the plan are missing from these facilities: "
        f"{listed} — an update cannot tell a closure from a row lost by mistake. To close them, "
        "keep their rows and give the update a new scenario (the plan's scenario with this "
        f"section added) with [outage] closed_sites = [{ids}]: the update then closes them "
        "whatever it re-plans, and does not count them as its changes"
    )
    raise InputError(msg)


def _check_p_after_closures(plan: FirstStage, forced: list[str], scenario: Scenario) -> None:
    """With ``[optimize] p`` (exactly p sites open), sites of the plan put out of service leave
    it short of p: the update cannot tell whether their places stay vacant or are filled, so the
    scenario must say it (an :class:`InputError`, exit 3, that says how)."""
    p = scenario.optimize.p
    still_open = int(plan.opened.to_numpy(dtype=bool).sum())
    if p is None or not forced or still_open == p:
        return
    msg = (
        f"[outage] closed_sites puts {len(forced)} site(s) of the plan out of service "
        f"({', '.join(forced[:10])}): {still_open} of its sites stay open, but [optimize] p = {p} "
        f"asks for exactly {p}. In the update's new scenario: set p = {still_open} to "
        "keep their places vacant, or drop p and set allow_closing = true to let the update open "
        "replacements (each one a change: bound them with a limit on site changes)"
    )
    raise InputError(msg)


@dataclass
class _UpdateState:
    """What one update learns on its way (its kind's hooks fill it in, in run order)."""

    request: UpdateRequest
    parent: Parent
    parent_areas: gpd.GeoDataFrame  # the plan's areas and sites as its scenario reads them
    parent_sites: gpd.GeoDataFrame
    new_history: History | None = None
    old_history: History | None = None
    history_files: list[dict[str, Any]] = field(default_factory=list)
    drift: DataDrift | None = None
    problem: AllocationProblem | None = None
    current: FirstStage | None = None
    replan: Replan | None = None
    kept_plan: bool = False
    forced: list[str] = field(default_factory=list)  # sites of the plan now out of service
    frontier: pd.DataFrame | None = None
    los: LosModel | None = None  # fitted once: the surge refit and the run both read it
    surge_series: DailyAdmissions | None = None
    surge_fit: SurgeFit | None = None


def _check_surge_section(parent: Parent, scenario: Scenario, request: UpdateRequest) -> None:
    """Daily admissions refit a surge: the update's scenario must have one."""
    if request.surge_admissions is None or scenario.demand.surge.kind != "none":
        return
    source = (
        f"the new scenario {request.scenario}"
        if request.scenario is not None
        else f"the plan's scenario ({parent.folder})"
    )
    msg = (
        f"surge admissions {request.surge_admissions}: {source} has no [demand.surge] to refit — "
        'add one to the scenario (e.g. [demand.surge] kind = "sir", doubling_time_days = 4.0, '
        'hospitalised_share = 0.025, days = 120; or kind = "table") and give that scenario to the '
        "update as its new scenario, or leave out the daily admissions"
    )
    raise InputError(msg)


class UpdateKind(PlanningKind):
    """A planning run re-made from its parent's plan on new data (see the module's notes).

    The registered instance reads update folders; :func:`run_update` makes one per update.
    """

    name = "update"
    layers: tuple[str, ...] = (*PlanningKind.layers, "kept_facilities")
    optional_layers: tuple[str, ...] = (*PlanningKind.optional_layers, "changes")
    summary_schema: type = PlanningSummary
    comparable = True

    def __init__(self, state: _UpdateState | None = None) -> None:
        self._state = state

    def handles(self, scenario: Scenario) -> bool:
        return False  # asked for by `geoalloc update`, not by a scenario section

    def run(self, scenario: Scenario, *, travel: TravelMatrix | None = None) -> RunResult:
        if self._state is None:
            msg = "an update starts from a run folder: use geoalloc update or geoalloc.update()"
            raise UsageError(msg)
        if self._state.surge_series is not None:
            scenario = self._refit_surge(scenario)
        return run_planning(scenario, self, travel=travel)

    def _refit_surge(self, scenario: Scenario) -> Scenario:
        """The scenario with its ``[demand.surge]`` refitted to the observed daily admissions.

        The baseline B is the region's admissions per day of the update's demand without the
        surge (rates, history and population as the re-plan has them); N its population.
        """
        state = self._need_state()
        assert state.surge_series is not None
        problems = Problems()
        areas = read_areas(scenario.areas, problems)
        problems.raise_if_any(header=f"scenario {scenario.name!r}: the areas cannot be read")
        assert areas is not None
        demand = scenario.demand
        baseline, population = region_baseline(
            areas,
            population=scenario.areas.population,
            age_bands=scenario.areas.age_bands,
            demand=demand,
            los=self.los_model(scenario, areas.index),
        )
        fit = fit_surge(
            state.surge_series,
            demand.surge,
            baseline_admissions_per_day=baseline,
            population=population,
            level=1.0 - state.request.alpha,
        )
        state.surge_fit = fit
        for note in fit.notes:
            log.info("surge refit: %s", note)
        surge = fit.surge
        return scenario.model_copy(update={"demand": demand.model_copy(update={"surge": surge})})

    def _need_state(self) -> _UpdateState:
        assert self._state is not None  # run() refuses to start without one
        return self._state

    # --- the planning hooks ------------------------------------------------------------------

    def los_model(self, scenario: Scenario, area_ids: pd.Index) -> LosModel:
        state = self._need_state()
        if state.los is None:
            state.los = self._fit_los(scenario, area_ids)
        return state.los

    def _fit_los(self, scenario: Scenario, area_ids: pd.Index) -> LosModel:
        state = self._need_state()
        request = state.request
        files = state.parent.history_files()
        state.history_files = list(files)
        if scenario.history is None or (request.history is None and len(files) <= 1):
            return super().los_model(scenario, area_ids)  # the plan's own history, or none
        olds = [_read_recorded(record, scenario, area_ids) for record in files]
        if request.history is None:  # the plan's pooled history, as it was pooled
            pool = state.parent.pool()
            pooled = pooled_history(
                olds[:-1],
                olds[-1],
                pool["rule"],
                window_days=pool["window_days"],
                half_life_days=pool["half_life_days"],
            )
            return fit_los_model(pooled, risk_days=scenario.demand.risk_days, seed=SEED)
        if files:
            _check_same_columns(Path(files[-1]["path"]), scenario.history)
        new = read_history(scenario.history.path, scenario.history, area_ids=area_ids)
        if olds and new.los_from != olds[-1].los_from:
            msg = (
                f"{scenario.history.path}: its LOS comes from {new.los_from} but the plan's "
                f"history's from {olds[-1].los_from} — give the new admissions in the same "
                "columns as the plan's history"
            )
            raise InputError(msg)
        state.new_history = new
        state.old_history = joined_history(olds) if olds else None
        state.history_files.append(
            {
                "path": str(scenario.history.path),
                "sha256": sha256_file(scenario.history.path),
                "years": new.years,
            }
        )
        pooled = (
            pooled_history(
                olds,
                new,
                request.pool,
                window_days=request.window_days,
                half_life_days=request.half_life_days,
            )
            if olds
            else new
        )
        return fit_los_model(pooled, risk_days=scenario.demand.risk_days, seed=SEED)

    def measure_drift(self, scenario: Scenario, inputs: Inputs, resources: list[str]) -> None:
        """The drift of the data from the plan's to the new (``state.drift``)."""
        state = self._need_state()
        population = scenario.areas.population
        parent_areas = state.parent.areas.set_index("area_id")
        parent_areas.index = parent_areas.index.astype(str)
        state.drift = data_drift(
            old_history=state.old_history,
            new_history=state.new_history,
            old_population=parent_areas["population"].astype(float),
            new_population=_text_index(inputs.areas[population].astype(float)),
            old_capacity=_in_service(state.parent_sites, resources, state.parent.scenario),
            new_capacity=_in_service(inputs.facilities, resources, scenario),
            old_needs=pd.DataFrame(
                {r: parent_areas[f"demand_{r}"].astype(float) for r in resources}
            ),
            new_needs=_text_index(inputs.needs.reindex(columns=resources)),
            resources=resources,
            risk_days=scenario.demand.risk_days,
            alpha=state.request.alpha,
            old_band_population=band_population(
                state.parent_areas,
                state.parent.scenario.areas.population,
                state.parent.scenario.areas.age_bands,
            ).sum(),
            new_band_population=band_population(
                inputs.areas, scenario.areas.population, scenario.areas.age_bands
            ).sum(),
            surge=surge_drift(state.surge_fit, alpha=state.request.alpha)
            if state.surge_fit is not None
            else None,
            needs_follow_history=(
                (state.new_history is not None or state.surge_fit is not None)
                and state.request.scenario is None
                and state.request.areas is None
                and state.request.facilities is None
            ),
        )

    def solve_plan(
        self, scenario: Scenario, inputs: Inputs, problem: AllocationProblem
    ) -> Allocation:
        state = self._need_state()
        resources = list(problem.resources)
        self.measure_drift(scenario, inputs, resources)
        assert state.drift is not None
        limits = state.request.limits
        if state.request.skip_below_noise and not state.drift.changed:
            limits = ChangeLimits(max_changes=0)
            state.kept_plan = True
        state.problem = problem
        plan_in_force = current_plan(state.parent.facilities, resources)
        check_plan_sites_kept(
            plan_in_force,
            _text_index(state.parent.facilities.set_index("site_id")),
            _text_index(inputs.facilities),
            str(state.request.facilities or scenario.facilities.path),
        )
        state.current, state.forced = _without_closed(plan_in_force, scenario.outage.closed_sites)
        _check_p_after_closures(state.current, state.forced, scenario)
        state.replan = solve_replan(problem, scenario.optimize, state.current, limits)
        if state.request.frontier:
            state.frontier = disruption_frontier(
                problem, scenario.optimize, state.current, list(state.request.frontier)
            )
        return state.replan.allocation

    def extend(
        self,
        scenario: Scenario,
        inputs: Inputs,
        od: pd.DataFrame,
        layers: dict[str, gpd.GeoDataFrame],
        surge: SurgeResult | None,
        summary: PlanningSummary,
    ) -> None:
        from geoalloc.runs.update_explain import change_values, explain_update

        state = self._need_state()
        # solve_plan ran before
        assert state.replan is not None and state.drift is not None
        assert state.problem is not None and state.current is not None
        group_column = scenario.optimize.equity_group_column
        kept = evaluate(
            areas=inputs.areas,
            area_points=inputs.area_points,
            population=inputs.areas[scenario.areas.population].astype(float),
            needs=inputs.needs,
            resources=list(summary["resources"]),
            facilities=inputs.facilities,
            od=od,
            allocation=state.replan.current,
            max_minutes=scenario.optimize.max_minutes,
            out_of_service=pd.Index(scenario.outage.closed_sites, dtype=object),
            groups=inputs.areas[group_column] if group_column else None,
        )
        kept_summary = {
            "scenario": f"{state.parent.summary.get('scenario')} (plan kept)",
            "plan": kept["plan"],
            "resources": summary["resources"],
            "max_minutes": summary["max_minutes"],
        }
        comparison = compare_results(
            results_of(
                state.parent.folder,
                kept_summary,
                kept["layers"]["areas"],
                kept["layers"]["facilities"],
            ),
            results_of("update", dict(summary), layers["areas"], layers["facilities"]),
        )
        explain_update(
            layers=layers,
            summary=summary,
            kept_layers=kept["layers"],
            kept_plan=kept["plan"],
            comparison=comparison,
            replan=state.replan,
            values=change_values(state.problem, scenario.optimize, state.replan, state.current),
            drift=state.drift,
            request=state.request,
            parent=state.parent,
            kept_by_rule=state.kept_plan,
        )
        summary["update"]["closed_by_data"] = state.forced  # type: ignore[typeddict-item]
        if state.frontier is not None:
            frame = state.frontier.astype(object).where(state.frontier.notna(), None)
            summary["update"]["frontier"] = frame.to_dict(orient="records")  # type: ignore[typeddict-item]

    # --- outputs -----------------------------------------------------------------------------

    def build_map(
        self, layers: Mapping[str, gpd.GeoDataFrame], summary: Mapping[str, Any]
    ) -> folium.Map:
        from geoalloc.outputs.compare_map import comparison_map
        from geoalloc.outputs.update_map import add_changes

        update = summary.get("update") or {}
        comparison = update.get("comparison")
        if comparison is None or "kept_facilities" not in layers:
            return super().build_map(layers, summary)
        return comparison_map(
            dict(layers),
            dict(summary),
            comparison,
            layers["kept_facilities"],
            button="Plan kept",
            also=lambda fmap, legend: add_changes(fmap, legend, layers.get("changes")),
        )

    def summary_lines(self, summary: Mapping[str, Any], out_dir: str) -> list[str]:
        from geoalloc.outputs.terminal import folder_lines, planning_lines
        from geoalloc.outputs.update_report import update_lines

        return update_lines(summary) + planning_lines(summary) + folder_lines(out_dir)


UPDATE = UpdateKind()


def run_update(request: UpdateRequest, *, out_dir: Path | None = None) -> RunResult:
    """Run an update end to end (nothing is written): the new plan and why it changed.

    ``out_dir``: where the folder will be written, so that the parent record also holds the
    parent's path relative to it (a chain of folders can then be moved together).
    """
    parent = read_parent(request.parent)
    kind = parent.summary.get("kind")
    if kind in PHASED_PARENT_KINDS and request.surge_admissions is not None:
        msg = (
            f"{parent.folder}: a {kind} run — refitting the surge to daily admissions is not "
            "done for time-phased deployments yet: give the refitted curve in a new scenario's "
            "[demand.surge] instead"
        )
        raise InputError(msg)
    if kind in PHASED_PARENT_KINDS:  # its own kind updates it (registered as deployment_update)
        from geoalloc.runs.kinds import kind_named

        updater = kind_named(PHASED_PARENT_KINDS[1])
        assert isinstance(updater, UpdatesParent)
        return updater.update_parent(request, parent, out_dir=out_dir)
    if request.as_of_day is not None:
        msg = (
            f"{parent.folder}: a {kind} run — as_of_day (the day an update is made on) is for the "
            "update of a time-phased deployment run (a scenario with [deployment]); leave it out "
            "for a planning run"
        )
        raise InputError(msg)
    scenario = updated_scenario(parent, request)
    _check_surge_section(parent, scenario, request)
    series = (
        read_daily_admissions(request.surge_admissions)
        if request.surge_admissions is not None
        else None
    )
    parent_areas, parent_sites = read_parent_inputs(parent)
    state = _UpdateState(
        request=request,
        parent=parent,
        parent_areas=parent_areas,
        parent_sites=parent_sites,
        surge_series=series,
    )
    result = UpdateKind(state).run(scenario)
    record_lineage(result, state, out_dir)
    return result


def read_parent_inputs(
    parent: Parent, add_sites: Callable[..., gpd.GeoDataFrame | None] | None = None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The plan's own areas and sites, read as its scenario reads them (its inputs' hashes were
    checked unchanged). ``add_sites``: its kind's sites added (the temporary sites of a
    deployment: :meth:`~geoalloc.runs.planning.PlanningKind.add_sites`)."""
    problems = Problems()
    parent_areas = read_areas(parent.scenario.areas, problems)
    parent_sites = read_facilities(
        parent.scenario.facilities,
        problems,
        crs=parent_areas.crs if parent_areas is not None else None,
    )
    if add_sites is not None:
        parent_sites = add_sites(parent.scenario, parent_sites, problems)
    problems.raise_if_any(header=f"{parent.folder}: the plan's inputs cannot be read")
    assert parent_areas is not None and parent_sites is not None
    return parent_areas, parent_sites


def record_lineage(result: RunResult, state: _UpdateState, out_dir: Path | None) -> None:
    """The manifest's ``parent`` record and ``update`` section: what the update started from."""
    parent, request = state.parent, state.request
    record = parent_record(parent.folder, out_dir if out_dir is not None else Path.cwd())
    if out_dir is None:  # no folder yet: the parent's absolute path stands in for the relative one
        record["folder"] = str(parent.folder.resolve())
    result.manifest[PARENT_KEY] = record
    result.manifest["update"] = {
        "history_files": state.history_files,
        "pool": request.pool,
        "window_days": request.window_days,
        "half_life_days": request.half_life_days,
        "alpha": request.alpha,
        "limits": result.summary["update"]["limits"],
        "skip_below_noise": request.skip_below_noise,
        "new_inputs": {
            role: {"path": str(path.resolve()), "sha256": sha256_file(path)}
            for role, path in (
                ("history", request.history),
                ("areas", request.areas),
                ("facilities", request.facilities),
                ("scenario", request.scenario),
                ("surge_admissions", request.surge_admissions),
            )
            if path is not None
        },
    }
    if request.surge_admissions is not None:  # an input of this run, checked by its updates
        path = request.surge_admissions.resolve()
        result.manifest["inputs"][str(path)] = {
            "sha256": sha256_file(path),
            "bytes": path.stat().st_size,
        }
