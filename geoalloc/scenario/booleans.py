"""true/false is no number: pydantic reads ``max_minutes = true`` as 1 minute and
``surge_multiplier = false`` as 0 without a word. :func:`refuse_bools_as_numbers` finds booleans
given where a section's field takes a number (and no boolean) and puts a :class:`BoolNotNumber` in
their place, which the field's validation then refuses by name (``'optimize.max_minutes': Input
should be a valid number (got true)``)."""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel


class BoolNotNumber:
    """A true/false given where a number goes; no number type accepts it. Shown as TOML writes it."""

    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "true" if self.value else "false"


def _members(annotation: Any) -> tuple[Any, ...]:
    """The types a field accepts: the members of a union, ``Annotated`` metadata dropped."""
    if get_origin(annotation) is Annotated:
        return _members(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        return tuple(m for arg in get_args(annotation) for m in _members(arg))
    return (annotation,)


def _is_model(member: Any) -> bool:
    return isinstance(member, type) and issubclass(member, BaseModel)


def _checked(value: Any, annotation: Any) -> Any:
    members = _members(annotation)
    if bool in members or Any in members:
        return value
    if isinstance(value, bool):
        return BoolNotNumber(value) if {int, float} & set(members) else value
    if isinstance(value, dict):
        for member in members:
            if _is_model(member):
                return refuse_bools_as_numbers(value, member)
            if get_origin(member) is dict:
                item = get_args(member)[1] if get_args(member) else Any
                return {k: _checked(v, item) for k, v in value.items()}
    if isinstance(value, list):
        for member in members:
            if get_origin(member) in (list, tuple) and get_args(member):
                return [_checked(v, get_args(member)[0]) for v in value]
    return value


def refuse_bools_as_numbers(data: Any, model: type[BaseModel]) -> Any:
    """``data`` (the raw input of ``model``) with every true/false that stands where ``model``'s
    field takes a number but no boolean replaced by a :class:`BoolNotNumber`, at any depth (inner
    sections, tables of numbers, lists). Anything else is returned as given."""
    if not isinstance(data, dict):
        return data
    fields = model.model_fields
    return {k: _checked(v, fields[k].annotation) if k in fields else v for k, v in data.items()}
