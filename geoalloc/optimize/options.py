"""The ``[optimize]`` section of a scenario file.

Units: minutes for travel, the scenario's currency for costs, resource units (beds, staff …) for
capacity and demand.

The capacitated planning model ranks plans by ``objective``:

``"lexicographic"`` (the default)
    Four goals, each solved in turn and kept (within ``mip_gap``) while the next is minimised —
    no exchange rate between them is assumed:

    1. *unmet demand*: units of demand (beds …) left unserved within ``max_minutes``, summed over
       resources;
    2. *cost*: opening candidates + expanding + operating the existing sites kept (when they may
       close), in the costs' currency;
    3. *new sites*: the number of candidate sites opened — where costs say nothing, a new site is
       still a site to staff and run, so an existing site with room serves first;
    4. *travel*: demand-weighted minutes (``Σ demand × minutes``, e.g. bed-minutes), plus
       ``minimax_weight`` × the worst area's mean minutes; with ``priority_column``, plus
       ``unmet_penalty_minutes`` × each unit left unmet × its area's weight — the total unmet is
       fixed by goal 1, so the weights decide *who* is left short, traded against travel at that
       rate (a weight 1 % higher is worth ``0.01 × unmet_penalty_minutes`` minutes a unit).

    So a candidate opens only if it serves demand nothing else can (or costs nothing and saves
    travel that no existing site within reach can); an existing site with room is never left idle
    for a new one by accident.
``"weighted"``
    One sum in *demand-weighted minutes*: ``minutes_weight`` × travel + ``unmet_penalty_minutes``
    per unit unmet + ``cost_weight`` (minutes per currency unit) × cost. Trade-offs are then the
    weights' (e.g. ``cost_weight = 1e-6``: a site costing 5,000,000 weighs as much as 5 bed-minutes).

The classic models (``lscp``, ``mclp``, ``p-median``, ``p-center``) keep every existing site open
(``existing = "keep"``) and choose the candidates to add: ``add`` new sites, or ``p`` sites in all
(existing ones included); ``existing = "may_close"`` lets them choose ``p`` among all sites, as the
textbook models do.

A key the run does not read is refused, as an unknown key is: ``budget`` with ``model =
"p-median"`` would otherwise be ignored without a word. :data:`APPLIES_TO` says which models (and
which other kinds of run) read each key; a key set to its default value is never refused.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple, get_args

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from geoalloc._validate import SECTION_CONFIG

ModelName = Literal["lscp", "mclp", "p-median", "p-center", "capacitated"]
SolverName = Literal["highs", "cbc"]
#: the kinds of run that read [optimize], by name (the scenario's sections decide which one)
RunKindName = Literal["planning", "deployment", "telemedicine"]
ObjectiveName = Literal["lexicographic", "weighted"]
ExistingPolicy = Literal["keep", "may_close"]
#: the models that take ``existing`` and (but lscp) ``add``
CLASSIC_MODELS: tuple[ModelName, ...] = ("lscp", "mclp", "p-median", "p-center")

#: The largest travel standard ``max_minutes``: a day. A larger one is no standard (and a horizon
#: that size breaks the service areas and routing).
MAX_MINUTES = 1440.0
#: The longest solver time limit (``time_limit_s``, ``hard_time_limit_s``): a week, in seconds.
MAX_TIME_LIMIT_S = 7 * 86_400.0
#: The largest weight of a term of the objective (``unmet_penalty_minutes``, ``minutes_weight``,
#: ``cost_weight``, ``minimax_weight``, ``backup_weight``): a billion. Beyond it the objective's
#: coefficients leave any solver's precision (1e308 overflowed to inf while the model was built).
MAX_OBJECTIVE_WEIGHT = 1e9


class Coupling(BaseModel):
    """A ratio between two resources' capacity *after* the plan, at every open site.

    ``resource ≤ max_ratio × per`` (e.g. ventilators ≤ 0.5 × icu_beds) and/or
    ``resource ≥ min_ratio × per`` (e.g. nurses ≥ 1.2 × beds).
    """

    model_config = SECTION_CONFIG

    resource: str
    per: str
    max_ratio: float | None = Field(None, ge=0)
    min_ratio: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one_ratio(self) -> Coupling:
        if self.max_ratio is None and self.min_ratio is None:
            msg = f"coupling {self.resource!r} per {self.per!r}: give max_ratio and/or min_ratio"
            raise ValueError(msg)
        return self


class OptimizeOptions(BaseModel):
    """Which location model to solve, with which solver, limits, costs and equity terms.

    Models
    ------
    ``lscp``
        Fewest sites so that every reachable area is within ``max_minutes``.
    ``mclp``
        ``p`` sites maximising the weight covered within ``max_minutes``.
    ``p-median``
        ``p`` sites minimising weighted travel minutes (areas no open site reaches in the OD table
        count as unmet at ``unmet_penalty_minutes``).
    ``p-center``
        ``p`` sites minimising the worst travel minutes of any reachable area.
    ``capacitated``
        The planning model: existing and candidate sites, per-resource capacity and expansion,
        budgets, couplings, unmet demand at a penalty, optional single-source assignment.

    Facility columns (``opening_cost_column``, ``operating_cost_column``, ``max_size_columns``)
    name columns of the facility file; the pipeline passes them to
    :func:`geoalloc.optimize.problem_from_inputs`. ``equity_group_column`` names a column of the
    *areas* file (the pipeline passes it as ``groups``).
    """

    model_config = SECTION_CONFIG

    model: ModelName = "p-median"
    p: int | None = Field(
        None,
        ge=1,
        description="sites open in all; in the capacitated model exactly p sites stay open, "
        "existing or candidate (without p, existing sites stay open and candidates may open); "
        "in the classic models with existing = 'keep' p counts the kept existing sites too "
        "(add = k counts only new ones)",
    )
    add: int | None = Field(
        None,
        ge=0,
        description="mclp, p-median, p-center: candidate sites to add to the existing ones "
        "(existing = 'keep'); the same as p = existing sites + add",
    )
    existing: ExistingPolicy = Field(
        "keep",
        description="classic models: 'keep' (every existing site stays open; the model adds "
        "candidates) or 'may_close' (the model picks p among all sites and may close existing "
        "ones, as the textbook models do)",
    )
    objective: ObjectiveName = Field(
        "lexicographic",
        description="capacitated: 'lexicographic' (least unmet demand, then least cost, then "
        "fewest new sites, then least travel — each kept while the next is minimised) or "
        "'weighted' (one sum in demand-weighted minutes with minutes_weight, "
        "unmet_penalty_minutes and cost_weight)",
    )
    max_minutes: float | None = Field(
        30.0, gt=0, le=MAX_MINUTES, description="travel standard, minutes (at most a day)"
    )
    weight: Literal["demand", "population"] = Field(
        "demand",
        description="area weight of the classic models: the first resource's demand, or population",
    )
    solver: SolverName = "highs"
    backend: Literal["arrays", "pulp"] = Field(
        "arrays",
        description="'arrays' feeds HiGHS from numpy (fast); 'pulp' builds the same model in PuLP "
        "(readable, LP files, the only path for CBC)",
    )
    time_limit_s: float = Field(
        60.0, gt=0, le=MAX_TIME_LIMIT_S, description="solver time limit, seconds (at most a week)"
    )
    hard_time_limit_s: float | None = Field(
        None,
        gt=0,
        le=MAX_TIME_LIMIT_S,
        description="geoalloc's own wall-clock limit; default 1.25 × time_limit_s + 5",
    )
    mip_gap: float = Field(0.001, ge=0, description="relative gap at which the solver may stop")
    acceptable_gap: float = Field(
        0.05,
        ge=0,
        description="largest proven gap a plan may have without being reported as unproven: a "
        "plan stopped above it (and above mip_gap), e.g. by the time limit, is flagged in the "
        "console, report.html and summary.json (unproven), `geoalloc run` exits 6, and unmet "
        "demand it leaves beside spare capacity is labelled solver_stopped_early",
    )
    unmet_penalty_minutes: float = Field(
        1000.0,
        gt=0,
        le=MAX_OBJECTIVE_WEIGHT,
        description="cost of one unit of unmet demand, in demand-weighted minutes (p-median, "
        "the capacitated model's weighted objective, the time-phased model)",
    )
    allow_unmet: bool = Field(True, description="capacitated: allow unmet demand at the penalty")

    # --- capacitated planning model -------------------------------------------------------
    minutes_weight: float = Field(
        1.0,
        ge=0,
        le=MAX_OBJECTIVE_WEIGHT,
        description="weight of demand-weighted minutes (objective = 'weighted')",
    )
    cost_weight: float = Field(
        1e-6,
        ge=0,
        le=MAX_OBJECTIVE_WEIGHT,
        description="demand-weighted minutes per currency unit of opening/expansion/operating "
        "cost (objective = 'weighted', and the time-phased model)",
    )
    opening_cost_column: str | None = Field(
        None, description="facility column: fixed cost of opening a candidate site"
    )
    operating_cost_column: str | None = Field(
        None,
        description="facility column: cost of keeping an existing site open (with allow_closing)",
    )
    allow_closing: bool = Field(
        False, description="existing sites may be closed (always so when p is given)"
    )
    cost_per_unit: dict[str, float] = Field(
        default_factory=dict,
        description="resource → cost of one added unit; only resources listed here can be expanded",
    )
    module_size: dict[str, float] = Field(
        default_factory=dict, description="resource → units per expansion module (default 1)"
    )
    continuous_expansion: bool = Field(False, description="expansion in fractional units")
    max_size_columns: dict[str, str] = Field(
        default_factory=dict,
        description="resource → facility column: maximum capacity after expansion",
    )
    max_added: dict[str, float] = Field(
        default_factory=dict, description="resource → maximum units added at any one site"
    )
    budget: float | None = Field(None, ge=0, description="total budget for opening + expansion")
    resource_budgets: dict[str, float] = Field(
        default_factory=dict, description="resource → budget for that resource's expansion"
    )
    couplings: list[Coupling] = Field(default_factory=list)
    single_source: bool = Field(False, description="each area served by one site for all resources")

    # --- equity ----------------------------------------------------------------------------
    equity_group_column: str | None = Field(
        None, description="areas column defining groups (district, age group, deprivation quintile)"
    )
    coverage_floor: float | None = Field(
        None,
        ge=0,
        le=1,
        description="each group's share of demand served within the standard ≥ this",
    )
    minimax_weight: float = Field(
        0.0,
        ge=0,
        le=MAX_OBJECTIVE_WEIGHT,
        description="weight of the worst area's mean travel minutes in the objective",
    )
    frontier_floors: list[float] | None = Field(
        None, description="coverage floors for the equity–efficiency frontier (one solve each)"
    )
    backup_weight: float = Field(
        0.0,
        ge=0,
        le=MAX_OBJECTIVE_WEIGHT,
        description="mclp: weight of covering an area a second time (backup / N-1 coverage: it "
        "stays covered if any one site fails); the objective is covered + backup_weight × covered "
        "twice, so a weight below 1 keeps first coverage first",
    )
    priority_column: str | None = Field(
        None,
        description="capacitated: an areas column weighting each area's unmet penalty (severity, "
        "LOS risk …), or 'long_stay_share' for the share of its admissions staying longer than "
        "[demand] risk_days; scarce capacity then goes first where the weight is high, traded "
        "against travel at unmet_penalty_minutes per unit and weight (with the lexicographic "
        "objective, once the least total unmet demand is reached)",
    )
    explain: bool = Field(False, description="compute dual prices and the why-this-site table")
    threads: int | None = Field(None, ge=1, description="solver threads (default: solver's choice)")

    def sites_in_all(self, existing_sites: int) -> int | None:
        """Classic models: how many sites are open in all — ``existing_sites + add`` with
        ``add``, else ``p`` (None when neither is given)."""
        if self.add is not None:
            return existing_sites + self.add
        return self.p

    @property
    def hard_limit_s(self) -> float:
        if self.hard_time_limit_s is not None:
            return self.hard_time_limit_s
        return 1.25 * self.time_limit_s + 5.0

    @model_validator(mode="after")
    def _p_or_add(self) -> OptimizeOptions:
        if self.p is not None and self.add is not None:
            msg = (
                f"give p (sites open in all) or add (new sites on top of the existing ones), not "
                f"both: p = {self.p}, add = {self.add}"
            )
            raise ValueError(msg)
        if self.add is not None and self.existing != "keep":
            msg = (
                "add counts new sites on top of the kept existing ones: it needs existing = "
                "'keep' (with existing = 'may_close' give p, the sites open in all)"
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _keys_apply_to_the_model(self) -> OptimizeOptions:
        # which kind of run reads these options is known only to the scenario, which checks again
        # with it; here only keys that no run reads with this model are refused
        refuse_inapplicable(self, kind=None)
        return self


# ------------------------------------------------------------------------- which keys apply


class Applies(NamedTuple):
    """Who reads one ``[optimize]`` key (a row of :data:`APPLIES_TO`)."""

    models: frozenset[ModelName]
    """the planning models that read it"""
    deployment: bool = False
    """the time-phased ``[deployment]`` model reads it too, whatever ``model`` is"""
    telemedicine: bool = False
    """a ``[telemedicine]`` run reads it (that run solves its own model, never ``model``)"""
    with_explain: bool = False
    """every planning model reads it when ``explain = true``"""
    weighted_only: bool = False
    """the capacitated model reads it only with ``objective = "weighted"`` (or, for
    ``unmet_penalty_minutes``, with a ``priority_column``: see ``with_priority``)"""
    with_priority: bool = False
    """the capacitated model's lexicographic objective reads it when ``priority_column`` is set"""


_ALL: frozenset[ModelName] = frozenset(get_args(ModelName))
_CAPACITATED: frozenset[ModelName] = frozenset({"capacitated"})
_CLASSIC: frozenset[ModelName] = frozenset(CLASSIC_MODELS)
#: the solver settings: every model, the time-phased model and the telemedicine model read them
_SOLVER = Applies(_ALL, deployment=True, telemedicine=True)

#: Every ``[optimize]`` key and who reads it, as established from the code that reads it:
#: ``optimize/__init__.py`` (solve), ``classic.py``, ``capacitated.py``, ``check.py``,
#: ``frontier.py``, ``linear.py`` (``solve_with_options``), ``phased.py`` and ``telemedicine.py``,
#: and in the application layer the pipeline, ``deployment.py`` and ``telemedicine/run.py``.
APPLIES_TO: dict[str, Applies] = {
    # the model choice itself (a telemedicine run never solves it)
    "model": Applies(_ALL),
    # lscp finds the fewest sites itself; the others open (or keep) exactly / at most p
    "p": Applies(frozenset({"mclp", "p-median", "p-center", "capacitated"})),
    # the classic models keep (or may close) the existing sites and add candidates; lscp adds as
    # few as cover every area, so it takes no number
    "add": Applies(frozenset({"mclp", "p-median", "p-center"})),
    "existing": Applies(_CLASSIC),
    # the capacitated model's ranking of plans (the time-phased model has its own weighted one)
    "objective": Applies(_CAPACITATED),
    # the travel standard: every model, the time-phased model, telemedicine's T
    "max_minutes": _SOLVER,
    # area weights of mclp (weight covered) and p-median (weighted minutes); lscp and p-center
    # treat every area alike, capacitated serves each unit of demand
    "weight": Applies(frozenset({"mclp", "p-median"})),
    "solver": _SOLVER,
    "backend": _SOLVER,
    "time_limit_s": _SOLVER,
    "hard_time_limit_s": _SOLVER,
    "mip_gap": _SOLVER,
    "acceptable_gap": _SOLVER,
    # p-median prices an area no open site reaches at it, capacitated each unit unmet; the
    # why-this-site table (explain) of every model prices an area without another open site at it
    # (the capacitated model reads the weights only with objective = "weighted")
    "unmet_penalty_minutes": Applies(
        frozenset({"p-median", "capacitated"}),
        deployment=True,
        with_explain=True,
        weighted_only=True,
        with_priority=True,
    ),
    "allow_unmet": Applies(_CAPACITATED, deployment=True),
    "minutes_weight": Applies(_CAPACITATED, deployment=True, weighted_only=True),
    "cost_weight": Applies(_CAPACITATED, deployment=True, weighted_only=True),
    # the time-phased model takes its own cost columns from [deployment]
    "opening_cost_column": Applies(_CAPACITATED),
    "operating_cost_column": Applies(_CAPACITATED),
    "allow_closing": Applies(_CAPACITATED),
    "cost_per_unit": Applies(_CAPACITATED),
    "module_size": Applies(_CAPACITATED),
    "continuous_expansion": Applies(_CAPACITATED),
    "max_size_columns": Applies(_CAPACITATED),
    "max_added": Applies(_CAPACITATED),
    # the time-phased model spends it on opening, running and shipments
    "budget": Applies(_CAPACITATED, deployment=True),
    "resource_budgets": Applies(_CAPACITATED),
    "couplings": Applies(_CAPACITATED),
    "single_source": Applies(_CAPACITATED),
    # the groups: every model's coverage per group in the results, telemedicine's figures per group
    "equity_group_column": Applies(_ALL, telemedicine=True),
    # a floor on each group's coverage: a row of mclp and of capacitated
    "coverage_floor": Applies(frozenset({"mclp", "capacitated"})),
    "minimax_weight": Applies(_CAPACITATED),
    # the frontier re-solves mclp or capacitated with rising coverage floors
    "frontier_floors": Applies(frozenset({"mclp", "capacitated"})),
    "backup_weight": Applies(frozenset({"mclp"})),
    # weights the unmet penalty of each area, which only capacitated trades against capacity
    "priority_column": Applies(_CAPACITATED),
    # the why-this-site table of every model (dual prices: capacitated)
    "explain": Applies(_ALL),
    "threads": _SOLVER,
}

#: what a [telemedicine] scenario takes instead of an [optimize] key it does not read
_TELEMEDICINE_OWN = {
    "budget": "[telemedicine] budget",
    "cost_weight": "[telemedicine] cost_weight",
    "unmet_penalty_minutes": "[telemedicine] unmet_penalty",
}

#: the ``type`` of the pydantic error that refuses keys (its message says what, where and the fix)
INAPPLICABLE = "inapplicable_option"


def given_keys(options: OptimizeOptions) -> list[str]:
    """The keys set explicitly to a value other than their default, in field order.

    A key at its default value changes nothing, so it is never refused: this also keeps options
    that went through ``model_dump`` and back (a sweep variant) valid.
    """
    given = []
    for key, info in type(options).model_fields.items():
        if key not in options.model_fields_set:
            continue
        default: Any = info.get_default(call_default_factory=True)
        if getattr(options, key) != default:
            given.append(key)
    return given


def _reads(row: Applies, options: OptimizeOptions, kind: RunKindName | None) -> bool:
    lexicographic = options.model == "capacitated" and options.objective != "weighted"
    unread = row.weighted_only and lexicographic
    if unread and row.with_priority and options.priority_column is not None:
        unread = False  # the travel goal weighs who is left short at the penalty
    in_model = options.model in row.models and not unread
    planning = in_model or (row.with_explain and options.explain)
    if kind == "planning":
        return planning
    if kind == "deployment":  # the planning model runs too (over the existing sites)
        return planning or row.deployment
    if kind == "telemedicine":
        return row.telemedicine
    return planning or row.deployment or row.telemedicine


def _why(key: str, row: Applies, options: OptimizeOptions, kind: RunKindName | None) -> str:
    if kind == "telemedicine":
        reads = ", ".join(k for k, r in APPLIES_TO.items() if r.telemedicine)
        own = _TELEMEDICINE_OWN.get(key)
        instead = f" (the telemedicine model takes {own})" if own else ""
        return (
            f"[optimize] {key}: not used by a [telemedicine] run — of [optimize] it reads only "
            f"{reads}; remove it{instead}"
        )
    models = ", ".join(m for m in get_args(ModelName) if m in row.models)
    if row.weighted_only and options.model == "capacitated" and options.model in row.models:
        return (
            f"[optimize] {key}: not used by the capacitated model's objective "
            f"{options.objective!r}, which ranks plans by unmet demand, then cost, then new "
            "sites, then travel with no exchange rate between them — remove it, or set "
            'objective = "weighted" to trade them at the weights given'
        )
    also = [
        text
        for flag, text in (
            (row.with_explain, "to any model with explain = true"),
            (row.deployment, "to any model in a [deployment] run"),
        )
        if flag
    ]
    extra = f" (and {', and '.join(also)})" if also else ""
    return (
        f"[optimize] {key}: not used by model {options.model!r} — it applies to: {models}{extra}; "
        "remove it or change model"
    )


def inapplicable_keys(
    options: OptimizeOptions, *, kind: RunKindName | None = None
) -> dict[str, str]:
    """The keys given in ``options`` that the run does not read, each with what to do about it.

    Parameters
    ----------
    options
        The ``[optimize]`` section. Only keys set explicitly, to a value other than their default,
        are looked at (:func:`given_keys`).
    kind
        Which run reads the options: ``"planning"`` (a scenario without ``[deployment]`` or
        ``[telemedicine]``: the model named in ``model``), ``"deployment"`` (that model, and the
        time-phased model, which reads :data:`APPLIES_TO` rows with ``deployment``),
        ``"telemedicine"`` (only rows with ``telemedicine``; the model is not solved), or None when
        not known: then only keys that no kind of run reads with this model are returned.

    Returns
    -------
    dict
        Key → message (``[optimize] budget: not used by model 'p-median' — it applies to:
        capacitated …; remove it or change model``), in field order; empty when every key applies.
    """
    return {
        key: _why(key, APPLIES_TO[key], options, kind)
        for key in given_keys(options)
        if not _reads(APPLIES_TO[key], options, kind)
    }


def refuse_inapplicable(options: OptimizeOptions, *, kind: RunKindName | None = None) -> None:
    """Raise a pydantic error (type :data:`INAPPLICABLE`) naming every key of
    :func:`inapplicable_keys`; for model validators (``OptimizeOptions``, ``Scenario``)."""
    problems = inapplicable_keys(options, kind=kind)
    if problems:
        raise PydanticCustomError(
            INAPPLICABLE,
            "{detail}",
            {"detail": "; ".join(problems.values()), "keys": list(problems)},
        )
