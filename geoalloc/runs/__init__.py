"""Runs: one scenario in, one run folder out — whatever kind of run the scenario asks for.

The kinds (:mod:`geoalloc.runs.kinds`) are registered here, once. To add a kind, write its module
under ``geoalloc/runs/`` with a class that satisfies :class:`~geoalloc.runs.kinds.RunKind` and add
one ``register(...)`` line below; nothing else needs to learn its name.
"""

from __future__ import annotations

from pathlib import Path

from geoalloc._errors import OutputExistsError
from geoalloc.runs.deployment import DEPLOYMENT
from geoalloc.runs.folder import LoadedRun, RunFolder
from geoalloc.runs.kinds import (
    CheckedInputs,
    RunKind,
    kind_for,
    kind_named,
    register,
    registered,
    require_comparable,
)
from geoalloc.runs.planning import PLANNING
from geoalloc.runs.result import RunResult
from geoalloc.runs.robust import ROBUST
from geoalloc.runs.telemedicine import TELEMEDICINE
from geoalloc.runs.update import UPDATE
from geoalloc.runs.update_phased import DEPLOYMENT_UPDATE
from geoalloc.scenario import Scenario
from geoalloc.travel.matrix import TravelMatrix

register(TELEMEDICINE)
register(DEPLOYMENT)
register(ROBUST)  # asked for by `geoalloc robust`, never by a scenario section
register(UPDATE)  # asked for by `geoalloc update`, never by a scenario section
register(DEPLOYMENT_UPDATE)  # `geoalloc update` of a deployment run
register(PLANNING, fallback=True)


def check_scenario(scenario: Scenario) -> CheckedInputs:
    """Read and check every input ``scenario`` names, as its kind of run needs them.

    Raises
    ------
    InputError
        Every problem found, at once (exit 3 in the CLI).
    """
    return kind_for(scenario).check(scenario)


def run_scenario(scenario: Scenario, *, travel: TravelMatrix | None = None) -> RunResult:
    """Run ``scenario`` end to end (nothing is written): its kind decides what is run.

    Parameters
    ----------
    scenario
        A scenario from :func:`geoalloc.scenario.load_scenario` (paths resolved).
    travel
        A travel matrix already computed for these inputs, network and horizon (a sweep shares
        one between variants).
    """
    return kind_for(scenario).run(scenario, travel=travel)


def write_run(result: RunResult, out_dir: Path | str, *, overwrite: bool = False) -> Path:
    """Write ``result`` as a run folder (atomically) and return its path."""
    return result.write(out_dir, overwrite=overwrite)


def default_out_dir(scenario: Scenario) -> Path:
    """Where ``geoalloc run`` writes a scenario's run folder unless told otherwise."""
    return Path("maps") / scenario.name


def rebuild_outputs(run_dir: Path | str) -> tuple[Path, Path]:
    """Rebuild ``map.html`` and ``report.html`` of a run folder from its results; their paths."""
    return RunFolder(Path(run_dir)).rebuild_outputs()


__all__ = [
    "CheckedInputs",
    "LoadedRun",
    "OutputExistsError",
    "RunFolder",
    "RunKind",
    "RunResult",
    "check_scenario",
    "default_out_dir",
    "kind_for",
    "kind_named",
    "rebuild_outputs",
    "register",
    "registered",
    "require_comparable",
    "run_scenario",
    "write_run",
]
