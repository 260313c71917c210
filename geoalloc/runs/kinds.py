"""Run kinds: what kind of run a scenario asks for, in one registry.

A run kind (planning, time-phased deployment, telemedicine, …) is one module under
:mod:`geoalloc.runs` with a class that satisfies :class:`RunKind`, registered once in
:mod:`geoalloc.runs` (``register(MyKind())``). Nothing else in geoalloc learns its name: the CLI, the
run folder, ``geoalloc report``, ``compare``, ``sweep`` and ``validate`` ask the registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from geoalloc._errors import InputError, UsageError

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from geoalloc.runs.result import RunResult
    from geoalloc.scenario import Scenario
    from geoalloc.travel.matrix import TravelMatrix


@runtime_checkable
class CheckedInputs(Protocol):
    """What a kind's :meth:`RunKind.check` returns: its read and checked inputs."""

    @property
    def notes(self) -> list[str]:
        """What geoalloc adjusted or assumed while reading (shown by ``geoalloc validate``)."""
        ...

    def describe(self) -> str:
        """One line for ``geoalloc validate``: what was read (areas, sites …)."""
        ...


@runtime_checkable
class RunKind(Protocol):
    """One kind of run.

    Attributes
    ----------
    name
        Written as ``summary["kind"]``; how a run folder names the kind that wrote it. A kind
        other than planning is asked for by the scenario section of the same name.
    layers
        Layers every folder of this kind holds in ``results.gpkg``.
    optional_layers
        Layers it may hold.
    summary_schema
        The :class:`typing.TypedDict` of its ``summary.json`` (see :mod:`geoalloc.runs.schema`).
    comparable
        Whether ``geoalloc compare``, ``sweep`` and ``frontier`` take it (they read the planning
        figures: baseline vs plan per resource).
    """

    name: str
    layers: tuple[str, ...]
    optional_layers: tuple[str, ...]
    summary_schema: type
    comparable: bool

    def handles(self, scenario: Scenario) -> bool:
        """True if ``scenario`` asks for this kind of run."""
        ...

    def check(self, scenario: Scenario) -> CheckedInputs:
        """Read and check every input; one :class:`~geoalloc._errors.InputError` with all problems."""
        ...

    def run(self, scenario: Scenario, *, travel: TravelMatrix | None = None) -> RunResult:
        """Run end to end (nothing is written). ``travel``: a matrix already computed for these
        inputs, network and horizon (a sweep shares one between variants)."""
        ...

    def build_map(
        self, layers: Mapping[str, gpd.GeoDataFrame], summary: Mapping[str, Any]
    ) -> folium.Map:
        """The run's interactive map from its results only: ``map.html`` is this map, saved, and
        :meth:`~geoalloc.runs.result.RunResult.explore` shows it in a notebook."""
        ...

    def report_html(
        self,
        layers: Mapping[str, gpd.GeoDataFrame],
        summary: Mapping[str, Any],
        manifest: Mapping[str, Any],
    ) -> str:
        """The run's ``report.html`` page, from its results only (the run folder writes it and
        ``map.html``, the saved :meth:`build_map`)."""
        ...

    def summary_lines(self, summary: Mapping[str, Any], out_dir: str) -> list[str]:
        """The lines ``geoalloc run`` prints for a run of this kind."""
        ...


_KINDS: list[RunKind] = []
_FALLBACK: list[RunKind] = []  # the kind asked last (planning): at most one


def register(kind: RunKind, *, fallback: bool = False) -> RunKind:
    """Add ``kind`` to the registry and return it.

    Kinds are asked in the order they were registered; the ``fallback`` kind (planning), which
    handles every scenario no other kind claims, is asked last. Names must be unique.
    """
    if not isinstance(kind, RunKind):
        msg = f"{kind!r} is not a RunKind (see geoalloc.runs.kinds.RunKind)"
        raise TypeError(msg)
    if any(k.name == kind.name for k in registered()):
        msg = f"a run kind named {kind.name!r} is already registered"
        raise ValueError(msg)
    if fallback and _FALLBACK:
        msg = f"{_FALLBACK[0].name!r} is already the fallback run kind"
        raise ValueError(msg)
    (_FALLBACK if fallback else _KINDS).append(kind)
    return kind


def registered() -> tuple[RunKind, ...]:
    """Every registered kind, in the order they are asked."""
    return (*_KINDS, *_FALLBACK)


def kind_for(scenario: Scenario) -> RunKind:
    """The kind of run ``scenario`` asks for."""
    for kind in registered():
        if kind.handles(scenario):
            return kind
    msg = f"scenario {scenario.name!r}: no run kind handles it (registered: {_names()})"
    raise InputError(msg)


def kind_named(name: object, *, where: str = "") -> RunKind:
    """The kind registered as ``name``; an :class:`InputError` (exit 3) naming ``where`` if none."""
    for kind in registered():
        if kind.name == name:
            return kind
    prefix = f"{where}: " if where else ""
    msg = f"{prefix}unknown run kind {name!r} — this geoalloc knows: {_names()}"
    raise InputError(msg)


def require_comparable(scenario: Scenario, what: str) -> None:
    """Refuse a scenario whose kind ``what`` (sweeps, frontiers) cannot take: exit 2, saying so."""
    kind = kind_for(scenario)
    if not kind.comparable:
        msg = (
            f"{what} run the planning models; scenario {scenario.name!r} has a [{kind.name}] "
            "section, which they do not take yet — run its variants one by one with `geoalloc run`"
        )
        raise UsageError(msg)


def _names() -> str:
    return ", ".join(k.name for k in registered()) or "none"
