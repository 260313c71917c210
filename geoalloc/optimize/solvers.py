"""MILP solvers by name: HiGHS first, CBC when present."""

from __future__ import annotations

import importlib.util
import warnings
from typing import TYPE_CHECKING

from geoalloc._errors import SolverError

if TYPE_CHECKING:
    import pulp

_PULP_NAMES = {"highs": "HiGHS", "cbc": "PULP_CBC_CMD"}


def available_solvers() -> list[str]:
    """geoalloc's names of the solvers PuLP can run here, preferred first."""
    import pulp  # here: the solvers are asked only when a model is solved

    here = set(pulp.listSolvers(onlyAvailable=True))
    return [name for name, pulp_name in _PULP_NAMES.items() if pulp_name in here]


def solver_available(name: str) -> bool:
    """Whether the solver ``name`` runs here. HiGHS is asked directly (is highspy installed?, as
    PuLP asks): importing PuLP and probing every solver it knows costs ~0.25 s of each run."""
    if name == "highs":
        return importlib.util.find_spec("highspy") is not None
    return name in available_solvers()


def make_solver(
    name: str, *, time_limit_s: float, mip_gap: float, log_path: str | None = None
) -> pulp.LpSolver:
    """A PuLP solver object for ``name`` ('highs' or 'cbc'), or :class:`SolverError` if absent."""
    if name not in _PULP_NAMES:
        msg = f"unknown solver {name!r}; choose one of {sorted(_PULP_NAMES)}"
        raise SolverError(msg)
    if not solver_available(name):
        hint = (
            "pip install highspy"
            if name == "highs"
            else "install CBC (e.g. apt-get install coinor-cbc)"
        )
        msg = (
            f"solver {name!r} is not available here — {hint}, or pick one of {available_solvers()}"
        )
        raise SolverError(msg)
    with warnings.catch_warnings():
        # PuLP 3.3 flags PULP_CBC_CMD (its bundled CBC) for removal in 4.0; we pin pulp<4 and the
        # bundled binary is the only CBC most users have
        warnings.filterwarnings(
            "ignore", message=".*PULP_CBC_CMD is deprecated", category=DeprecationWarning
        )
        import pulp

        solver_cls = pulp.getSolver(_PULP_NAMES[name]).__class__
        return _construct(solver_cls, name, time_limit_s, mip_gap, log_path)


def _construct(solver_cls, name: str, time_limit_s: float, mip_gap: float, log_path: str | None):
    if name == "cbc" and log_path is not None:
        # CBC's log is the only place PuLP leaves its proven bound; geoalloc parses it from there
        return solver_cls(msg=False, timeLimit=time_limit_s, gapRel=mip_gap, logPath=log_path)
    return solver_cls(msg=False, timeLimit=time_limit_s, gapRel=mip_gap)


def usable_solver_options(options):
    """``options`` ([optimize]) checked against the solvers here; CBC always goes through PuLP.

    Raises :class:`SolverError` when the named solver is not installed.
    """
    if not solver_available(options.solver):
        msg = f"solver {options.solver!r} is not available here; available: {available_solvers()}"
        raise SolverError(msg)
    if options.solver == "cbc" and options.backend == "arrays":
        return options.model_copy(update={"backend": "pulp"})
    return options
