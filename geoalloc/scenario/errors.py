"""The one wording of a scenario's validation errors (a scenario file, a sweep variant, an API call)."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from geoalloc.optimize.options import INAPPLICABLE


def validation_problems(exc: ValidationError, where: str) -> list[str]:
    """One line per problem pydantic found: where, which key, what is wrong, how to fix.

    Parameters
    ----------
    exc
        The error raised while validating a scenario (or one of its sections).
    where
        What was being validated, e.g. the scenario file's path or ``"variant 002_p10"``.
    """
    return [_problem(where, error) for error in exc.errors()]


def _problem(where: str, error: ErrorDetails) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key '{key}' — remove it or check its spelling"
    if error["type"] == "missing":
        return f"{where}: required key '{key}' is missing"
    if error["type"] == INAPPLICABLE:  # names the key, the model and the fix itself
        return f"{where}: {error['msg']}"
    return f"{where}: '{key}': {error['msg']} (got {error.get('input')!r})"
