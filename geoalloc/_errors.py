"""Errors that geoalloc raises on purpose, each mapped to a documented CLI exit code.

They subclass builtins (as osmnx's do) so callers can still ``except ValueError``.

Exit codes: 0 ok · 1 unexpected internal error · 2 usage error (an output folder that exists,
cannot be written or is being written by another run too) · 3 invalid input data · 4 model
infeasible · 5 no solver / no solution within the time limit · 6 the run is written but its plan
is not proven within ``[optimize] acceptable_gap`` (:data:`UNPROVEN_EXIT_CODE`) (and, set by the
CLI for a run stopped from outside: 130 Ctrl-C/SIGINT · 143 SIGTERM).
"""

from __future__ import annotations

from collections.abc import Sequence

#: exit code of ``geoalloc run`` when the run folder is complete but the solver stopped (e.g. at
#: its time limit) above ``[optimize] acceptable_gap``: no error is raised, the plan is usable
#: but may be far from the best one (``summary["unproven"]`` says which solve and by how much)
UNPROVEN_EXIT_CODE = 6


class GeoallocError(Exception):
    """Base class of geoalloc's own errors.

    Attributes
    ----------
    exit_code : int
        The exit code of the ``geoalloc`` command when this error ends it (1 for this base class).

    Examples
    --------
    >>> import geoalloc
    >>> try:
    ...     geoalloc.load_scenario("missing.toml")
    ... except geoalloc.GeoallocError as exc:
    ...     print(exc.exit_code)
    3
    """

    exit_code = 1


class UsageError(GeoallocError, ValueError):
    """geoalloc was called wrongly (e.g. the output folder exists and may not be replaced).

    Exit code 2. Also a :class:`ValueError`.

    Examples
    --------
    >>> result.write("maps/my-run")  # doctest: +SKIP
    Traceback (most recent call last):
    geoalloc._errors.OutputExistsError: output folder maps/my-run exists — replace it, ...
    """

    exit_code = 2


class OutputExistsError(UsageError):
    """The output folder exists and replacing it was not asked for."""

    def __init__(self, path: object) -> None:
        self.path = path
        super().__init__(f"output folder {path} exists — replace it, or choose another folder")


class OutputNotWritableError(UsageError):
    """The output folder cannot be written: no space left on the device, a read-only file system,
    no permission. Nothing is left behind (exit 2, as for an output folder that exists).

    Attributes
    ----------
    path : object
        The output folder.
    cause : str
        Why, as the system says it (``"no space left on device"``, ``"read-only file system"``,
        ``"permission denied"``).
    """

    def __init__(self, path: object, cause: str, fix: str) -> None:
        self.path = path
        self.cause = cause
        super().__init__(f"cannot write the output folder {path}: {cause} — {fix}")


class OutputBusyError(UsageError):
    """Another geoalloc process is writing the same output folder right now (exit 2).

    Attributes
    ----------
    path
        The output folder.
    holder : str
        What the lock file says about the process that holds it (its pid), or ``""``.
    """

    def __init__(self, path: object, holder: str = "") -> None:
        self.path = path
        self.holder = holder
        by = f" (pid {holder})" if holder else ""
        super().__init__(
            f"output folder {path} is being written by another geoalloc run{by} — wait for it "
            "to finish, or choose another output folder"
        )


class InputError(GeoallocError, ValueError):
    """Input data or the scenario file is invalid. Carries every problem found, not just the first.

    Exit code 3. Also a :class:`ValueError`.

    Parameters
    ----------
    problems
        One human-readable line per problem: what is wrong, where (file, column, ids), how to fix.
    header
        A one-line summary printed before the problems.

    Attributes
    ----------
    problems : list of str
        The problems, one line each.
    header : str
        The summary line.

    Examples
    --------
    >>> from geoalloc import InputError
    >>> error = InputError(["areas GeoDataFrame: has no CRS — set one with gdf.set_crs(...)"])
    >>> print(error)
    1 problem(s) in the input:
    - areas GeoDataFrame: has no CRS — set one with gdf.set_crs(...)
    """

    exit_code = 3

    def __init__(self, problems: str | Sequence[str], header: str | None = None) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        self.header = header or f"{len(self.problems)} problem(s) in the input"
        super().__init__(self.header + ":\n" + "\n".join(f"- {p}" for p in self.problems))


class InfeasibleError(GeoallocError, RuntimeError):
    """The model has no feasible solution; ``reasons`` says which areas, capacity or budget bind.

    Exit code 4. Also a :class:`RuntimeError`.

    Parameters
    ----------
    reasons
        One line per reason the model cannot be solved.

    Attributes
    ----------
    reasons : list of str
        The reasons, one line each.

    Examples
    --------
    >>> from geoalloc import InfeasibleError
    >>> InfeasibleError("capacity short by 12 beds").reasons
    ['capacity short by 12 beds']
    """

    exit_code = 4

    def __init__(self, reasons: str | Sequence[str]) -> None:
        self.reasons: list[str] = [reasons] if isinstance(reasons, str) else list(reasons)
        super().__init__("the model is infeasible:\n" + "\n".join(f"- {r}" for r in self.reasons))


class SolverError(GeoallocError, RuntimeError):
    """No usable solver, or no solution within the time limit.

    Exit code 5. Also a :class:`RuntimeError`.

    Examples
    --------
    >>> geoalloc.run(scenario)  # doctest: +SKIP
    Traceback (most recent call last):
    geoalloc._errors.SolverError: capacitated: no solution within 60.0 s — raise ...
    """

    exit_code = 5
