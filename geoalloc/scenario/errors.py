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
    return [_problem(where, error) for error in _without_other_union_members(exc.errors())]


#: the tag pydantic puts after a field's key for the number member of a union (``float | str``)
_NUMBER_MEMBERS = ("float", "int")


def _without_other_union_members(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """A number given to a ``float | str | …`` key that is no finite number fails every member of
    the union; only the number's complaint says what is wrong, so the others are left out and the
    key is named without the member's tag (``demand.surge_multiplier``, not ``….float``)."""
    number_keys = {
        tuple(e["loc"][:-1])
        for e in errors
        if e["type"] == "finite_number" and e["loc"] and e["loc"][-1] in _NUMBER_MEMBERS
    }
    kept: list[ErrorDetails] = []
    for error in errors:
        loc = tuple(error["loc"])
        if loc[:-1] in number_keys and len(loc) > 0:
            if error["type"] != "finite_number":
                continue
            error = {**error, "loc": loc[:-1]}
        kept.append(error)
    return kept


def _problem(where: str, error: ErrorDetails) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key '{key}' — remove it or check its spelling"
    if error["type"] == "missing":
        return f"{where}: required key '{key}' is missing"
    if error["type"] == INAPPLICABLE:  # names the key, the model and the fix itself
        return f"{where}: {error['msg']}"
    if error["type"] == "finite_number":
        return (
            f"{where}: '{key}': must be a finite number, got {error.get('input')!r} — give a "
            "number (inf and nan are no values here)"
        )
    return f"{where}: '{key}': {error['msg']} (got {error.get('input')!r})"
