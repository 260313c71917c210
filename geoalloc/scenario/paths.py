"""The one place that knows where a scenario's input files are.

Every ``pathlib.Path`` field of the scenario's sections (at any depth, in lists and dicts too) is an
input file, and so is ``[network] source`` when it names a file. :func:`resolve_paths` makes them
absolute (relative to the scenario file's folder) and :func:`input_files` lists them (for the
manifest's hashes): a new section with a ``Path`` field is picked up by both without a change here.
Layers given as GeoDataFrames (:class:`~geoalloc.scenario.frames.FrameSource`) are no files: they
are neither resolved nor listed by :func:`input_files`, but by :func:`input_frames`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from geoalloc.scenario.frames import FrameSource


def _network_file(scenario: BaseModel) -> Path | None:
    network = getattr(scenario, "network", None)
    if network is None or network.is_crowfly or network.is_place:
        return None
    if network.is_matrix:  # a travel table names its file in `path`, a Path field
        return None
    return Path(network.source)


def _map_paths(value: Any, fn: Callable[[Path], Path]) -> Any:
    """``value`` with ``fn`` applied to every Path inside it (models are copied, never changed)."""
    if isinstance(value, Path):
        return fn(value)
    if isinstance(value, BaseModel):
        update = {}
        for name in type(value).model_fields:
            old = getattr(value, name)
            new = _map_paths(old, fn)
            if new is not old:
                update[name] = new
        return value.model_copy(update=update) if update else value
    if isinstance(value, list | tuple):
        items = [_map_paths(v, fn) for v in value]
        changed = any(a is not b for a, b in zip(items, value, strict=True))
        return type(value)(items) if changed else value
    if isinstance(value, dict):
        mapped = {k: _map_paths(v, fn) for k, v in value.items()}
        changed = any(mapped[k] is not value[k] for k in value)
        return mapped if changed else value
    return value


def _walk(value: Any, kind: type) -> Iterator[Any]:
    """Every ``kind`` instance inside ``value`` (models, lists, tuples and dicts are walked)."""
    if isinstance(value, kind):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name), kind)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item, kind)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item, kind)


def resolve_paths(scenario: Any, base: Path) -> Any:
    """A copy of ``scenario`` whose input paths are absolute, relative ones taken from ``base``.

    Parameters
    ----------
    scenario
        A :class:`~geoalloc.scenario.Scenario`.
    base
        The folder relative paths are relative to (the scenario file's folder).
    """

    def resolve(path: Path) -> Path:
        if path.is_absolute():
            return path
        try:
            return (base / path).resolve()
        except (OSError, RuntimeError):  # a symbolic-link loop: the reader says so, naming it
            return Path(os.path.abspath(base / path))

    resolved = _map_paths(scenario, resolve)
    source = _network_file(resolved)
    if source is not None and not source.is_absolute():
        network = resolved.network.model_copy(update={"source": str(resolve(source))})
        resolved = resolved.model_copy(update={"network": network})
    return resolved


def input_files(scenario: Any) -> list[Path]:
    """Every input file the scenario names, each once, in the order of the scenario's sections.

    Layers given as GeoDataFrames are not files and are not listed (see :func:`input_frames`).
    """
    files = list(_walk(scenario, Path))
    source = _network_file(scenario)
    if source is not None:
        files.append(source)
    return list(dict.fromkeys(files))


def input_frames(scenario: Any) -> list[FrameSource]:
    """Every layer the scenario holds as a GeoDataFrame (:func:`geoalloc.plan`), each once.

    Parameters
    ----------
    scenario
        A :class:`~geoalloc.scenario.Scenario`.

    Returns
    -------
    list of FrameSource
        In the order of the scenario's sections (areas before facilities).
    """
    return list(dict.fromkeys(_walk(scenario, FrameSource)))
