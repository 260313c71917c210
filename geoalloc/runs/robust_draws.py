"""The draws of ``geoalloc robust``: plausible futures from the ``[robustness]`` uncertainty.

Draw ``k`` of ``N`` takes the generator ``np.random.Generator(PCG64(SeedSequence(seed).spawn(N)[k]))``:
its numbers depend on ``seed`` and ``k`` only, so draw ``k`` is the same whatever ``N`` (≥ k + 1)
and whatever executor solves it. Each generator is read in a fixed order: one standard normal per
area (population, in sorted area id order), then three standard normals (admission rates, LOS,
surge), one uniform (speed), with a ``[history]`` the bootstrap's row indices and, with
``population_alternative``, one uniform (the alternative population when below 1/2).

The inputs, the travel matrix, the checks and the capacitated model are made once
(:class:`DrawBase`); a draw only recomputes the needs per area (:func:`geoalloc.demand.area_needs`
on its perturbed population and options) and divides the travel minutes by its speed factor before
its problem's tables are made (:func:`geoalloc.runs.planning.build_problem`, which drops the pairs
beyond the standard; the independent check reads them). The matrix is never routed again, and the
model is not built again: :func:`solve_draw_problem` writes the draw's numbers into the model built
once on every pair the slowest speed factor can use
(:mod:`geoalloc.optimize.capacitated_reuse`), which is the model a build for the draw would give;
the evaluations of a fixed plan likewise (``DrawBase.evaluation_model``).
Where that model cannot be shared (single-source assignment, a model large enough for the
reduction of :mod:`geoalloc.optimize.capacitated_scale`) each draw's model is built on its own, as
:func:`geoalloc.optimize.solve` does, and a log line says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from geoalloc.demand import area_needs
from geoalloc.demand.area_needs import surge_multiplier
from geoalloc.demand.los import WEIGHT_COLUMN, LosFit, LosModel
from geoalloc.demand.options import DemandOptions
from geoalloc.optimize import solve
from geoalloc.optimize.capacitated_reuse import ReusableModel, reusable_model, solve_reused
from geoalloc.optimize.problem import Allocation, AllocationProblem
from geoalloc.optimize.stochastic import evaluation_model
from geoalloc.runs.planning import Inputs, build_problem
from geoalloc.scenario import Scenario
from geoalloc.scenario.robustness import RobustnessOptions

#: the areas column that carries a draw's admission multiplier (admission-rate factor × surge)
MULTIPLIER_COLUMN = "robust_admission_multiplier"


@dataclass(frozen=True)
class DrawFactors:
    """The factors of one draw.

    Attributes
    ----------
    k
        The draw's number (0-based).
    population
        Per area (sorted area ids), the factor on its population (mean one).
    admission, los, speed, surge
        Region-wide factors on admission rates, mean LOS, road speeds (travel minutes are divided
        by it) and the surge part of admissions (1 when the scenario has no surge).
    alternative
        Whether the draw takes ``[robustness] population_alternative`` as its population.
    """

    k: int
    population: np.ndarray
    admission: float
    los: float
    speed: float
    surge: float
    alternative: bool = False


@dataclass(frozen=True)
class DrawBase:
    """What every draw starts from, built once and sent to each worker once.

    Attributes
    ----------
    scenario
        The planning scenario.
    inputs
        Its checked inputs; the areas carry the base admission multiplier per area.
    od
        The long travel table (``area``, ``site``, ``minutes``) up to the horizon the slowest
        speed factor needs.
    multiplier
        Per area, the admission multiplier of the scenario (surge multiplier, case surge).
    surge
        Whether the scenario has a surge that ``surge_error`` perturbs.
    los_values
        With a ``[history]``: one LOS value per history row (days) for the bootstrap.
    notes
        What the run's summary says about the draws' inputs.
    model
        The capacitated model built once on every pair of ``od``
        (:func:`~geoalloc.optimize.capacitated_reuse.reusable_model`); None where it cannot be
        shared: each draw's model is then built on its own.
    evaluation_model
        Likewise, the model a fixed plan is evaluated on
        (:func:`~geoalloc.optimize.stochastic.evaluation_model`).
    """

    scenario: Scenario
    inputs: Inputs
    od: pd.DataFrame
    multiplier: pd.Series
    surge: bool
    los_values: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    model: ReusableModel | None = None
    evaluation_model: ReusableModel | None = None

    @property
    def options(self) -> RobustnessOptions:
        return self.scenario.robustness or RobustnessOptions()

    @property
    def area_ids(self) -> pd.Index:
        return self.inputs.areas.index.sort_values()


def history_los_values(los: LosModel) -> np.ndarray | None:
    """One LOS value per history row, days: the exact LOS, else the middle of its band (the lower
    end of an open last band). None without a history. A pooled history's rows of weight 0 are
    left out; the bootstrap resamples the others alike (it does not use their weights)."""
    if los.history is None or los.history.table.empty:
        return None
    table = los.history.table
    if WEIGHT_COLUMN in table.columns:
        table = table[table[WEIGHT_COLUMN].to_numpy(dtype=float) > 0]
        if table.empty:
            return None
    low = table["los_low_days"].to_numpy(dtype=float)
    high = table["los_high_days"].to_numpy(dtype=float)
    values = np.where(np.isfinite(high), (low + high) / 2.0, low)
    if "los_days" in table.columns:
        exact = table["los_days"].to_numpy(dtype=float)
        values = np.where(np.isfinite(exact), exact, values)
    return values


def has_surge(inputs: Inputs, multiplier: pd.Series) -> bool:
    """True when the scenario's admissions carry a surge: a multiplier other than 1 somewhere
    (a surge multiplier, ``[demand.cases]``) or a ``[demand.surge]`` epidemic or table."""
    return bool((np.abs(multiplier.to_numpy(dtype=float) - 1.0) > 1e-12).any()) or (
        inputs.demand.surge.kind != "none"
    )


def make_base(scenario: Scenario, inputs: Inputs, od: pd.DataFrame) -> DrawBase:
    """The :class:`DrawBase` of a scenario whose inputs are checked and travel table computed."""
    multiplier = surge_multiplier(inputs.areas, inputs.demand).astype(float)
    notes = []
    surge = inputs.demand.surge
    if surge.kind == "table" and surge.path is not None:
        notes.append(
            "[demand.surge] table read from a file: its day-by-day multipliers are not perturbed "
            "(surge_error applies to the surge multiplier and case surge only)"
        )
    options = scenario.robustness or RobustnessOptions()
    if "saa_draws" in options.model_fields_set and options.saa_draws > options.draws:
        notes.append(
            f"[robustness] saa_draws = {options.saa_draws} is more than the {options.draws} "
            f"draws: the robust plan is solved on all {options.draws} (set saa_draws ≤ draws, "
            "or more draws, to keep draws it is not solved on for an out-of-sample check)"
        )
    base_inputs = replace(inputs, _travel={})
    widest = widest_problem(scenario, base_inputs, od)
    return DrawBase(
        scenario=scenario,
        inputs=base_inputs,
        od=od,
        multiplier=multiplier,
        surge=has_surge(inputs, multiplier),
        los_values=history_los_values(inputs.los),
        notes=notes,
        model=reusable_model(widest, scenario.optimize),
        evaluation_model=evaluation_model(widest, scenario.optimize),
    )


def widest_problem(scenario: Scenario, inputs: Inputs, od: pd.DataFrame) -> AllocationProblem:
    """The base problem with every pair of ``od`` (those beyond the standard too): the pairs any
    draw can use, whatever its speed factor."""
    optimize = scenario.optimize.model_copy(update={"max_minutes": None})
    return build_problem(scenario.model_copy(update={"optimize": optimize}), inputs, od)


def _lognormal(sd: float, z: float | np.ndarray) -> float | np.ndarray:
    """A mean-one lognormal factor: ``exp(sd·z − sd²/2)``."""
    return np.exp(sd * np.asarray(z) - sd * sd / 2.0)


def draw_generators(seed: int, draws: int) -> list[np.random.Generator]:
    """One generator per draw, spawned from ``seed``: draw ``k``'s is the same for any ``draws > k``."""
    return [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(draws)]


def draw_factors(
    options: RobustnessOptions,
    *,
    draws: int,
    seed: int,
    n_areas: int,
    surge: bool = False,
    los_values: np.ndarray | None = None,
    alternative: bool = False,
) -> list[DrawFactors]:
    """The factors of every draw (see the module's docstring for the order of the numbers)."""
    out = []
    lo, hi = options.speed_factor
    for k, rng in enumerate(draw_generators(seed, draws)):
        z_population = rng.standard_normal(n_areas)
        z_admission, z_los, z_surge = rng.standard_normal(3)
        u_speed = float(rng.random())
        if los_values is not None and len(los_values):
            rows = rng.integers(0, len(los_values), len(los_values))
            los = float(los_values[rows].mean() / los_values.mean())
        else:
            los = float(_lognormal(options.los_error, z_los))
        use_alternative = alternative and float(rng.random()) < 0.5
        out.append(
            DrawFactors(
                k=k,
                population=np.asarray(_lognormal(options.population_error, z_population)),
                admission=float(_lognormal(options.admission_rate_error, z_admission)),
                los=los,
                speed=lo + (hi - lo) * u_speed,
                surge=float(_lognormal(options.surge_error, z_surge)) if surge else 1.0,
                alternative=use_alternative,
            )
        )
    return out


def scaled_los_fit(fit: LosFit, factor: float) -> LosFit:
    """``fit`` with every LOS multiplied by ``factor`` (its mean too): a change of time scale."""
    params = dict(fit.params)
    if fit.distribution == "lognormal":
        params["mu"] = params["mu"] + math.log(factor)
    else:
        params["scale_days"] = params["scale_days"] * factor
    return replace(fit, params=params)


def scaled_los(los: LosModel, factor: float) -> LosModel:
    """``los`` with every length of stay times ``factor`` (the history's rows too, so that fits
    per age band scale with it)."""
    if factor == 1.0:
        return los
    history = los.history
    if history is not None:
        table = history.table.copy()
        for column in ("los_low_days", "los_high_days", "los_days"):
            if column in table.columns:
                table[column] = table[column] * factor
        history = replace(history, table=table)
    return replace(los, overall=scaled_los_fit(los.overall, factor), history=history)


def _demand_of(demand: DemandOptions, factors: DrawFactors, *, has_history: bool) -> DemandOptions:
    update: dict[str, object] = {"surge_multiplier": MULTIPLIER_COLUMN}
    if not has_history:
        update["los_days"] = demand.los_days * factors.los
    surge = demand.surge
    if factors.surge != 1.0 and surge.kind == "sir":
        share = min(1.0, surge.hospitalised_share * factors.surge)
        update["surge"] = surge.model_copy(update={"hospitalised_share": share})
    elif factors.surge != 1.0 and surge.kind == "table" and surge.multipliers is not None:
        scaled = [max(0.0, 1.0 + (m - 1.0) * factors.surge) for m in surge.multipliers]
        update["surge"] = surge.model_copy(update={"multipliers": scaled})
    return demand.model_copy(update=update)


def draw_inputs(base: DrawBase, factors: DrawFactors) -> Inputs:
    """The inputs of one draw: population, admission multiplier, LOS and needs perturbed."""
    scenario, inputs = base.scenario, base.inputs
    ids = base.area_ids
    factor = pd.Series(factors.population, index=ids).reindex(inputs.areas.index)
    areas = inputs.areas.copy()
    population = scenario.areas.population
    alternative = base.options.population_alternative
    if factors.alternative and alternative is not None:
        given = areas[population].astype(float)
        other = pd.to_numeric(areas[alternative], errors="coerce").astype(float)
        share = (other / given).where(given > 0, 0.0)
        for column in scenario.areas.age_bands:  # the bands keep their shares
            areas[column] = areas[column].astype(float) * share
        areas[population] = other
    for column in (population, *scenario.areas.age_bands):
        areas[column] = areas[column].astype(float) * factor
    excess = (base.multiplier - 1.0) * factors.surge
    areas[MULTIPLIER_COLUMN] = (factors.admission * (1.0 + excess)).clip(lower=0.0)
    has_history = inputs.los.history is not None
    demand = _demand_of(inputs.demand, factors, has_history=has_history)
    los = (
        scaled_los(inputs.los, factors.los)
        if has_history
        else LosModel.assumed(demand.los_days, demand.risk_days)
    )
    needs = area_needs(
        areas,
        population=scenario.areas.population,
        age_bands=scenario.areas.age_bands,
        options=demand,
        los=los,
    )
    return replace(inputs, areas=areas, needs=needs, demand=demand, los=los, _travel={})


def draw_problem(base: DrawBase, factors: DrawFactors) -> AllocationProblem:
    """The allocation problem of one draw (travel minutes divided by its speed factor)."""
    inputs = draw_inputs(base, factors)
    od = base.od.assign(minutes=base.od["minutes"] / factors.speed)
    return build_problem(base.scenario, inputs, od)


def solve_draw_problem(
    base: DrawBase, problem: AllocationProblem, speed: float = 1.0
) -> Allocation:
    """Solve ``problem`` (a draw's, travel minutes divided by ``speed``; the base problem at
    ``speed = 1``) on the model built once (``base.model``): the plan
    :func:`~geoalloc.optimize.solve` gives, checked the same way. Without a shared model (see the
    module's notes), ``solve(problem, options)`` itself."""
    if base.model is None:
        return solve(problem, base.scenario.optimize)
    return solve_reused(base.model, problem, speed_factor=speed)


__all__ = [
    "MULTIPLIER_COLUMN",
    "DrawBase",
    "DrawFactors",
    "draw_factors",
    "draw_generators",
    "draw_inputs",
    "draw_problem",
    "has_surge",
    "history_los_values",
    "make_base",
    "scaled_los",
    "solve_draw_problem",
    "widest_problem",
]
