"""What ``geoalloc init`` was asked for, parsed from its option values.

- areas: ``grid:1000`` / ``grid:500m`` / ``grid:2km`` (square cells of that side), ``admin:8`` (OSM
  administrative boundaries at ``admin_level`` 8, gaps filled with 1 km cells), or the path of a
  vector file of polygons;
- population: the path of a GeoTIFF of counts (``.tif``/``.tiff``), of a point or polygon vector
  file (points are summed into the areas, polygons are census areas interpolated by area), or
  ``osm-buildings`` (the default: an estimate from building floor area, labelled as such);
- facilities: ``osm`` (the default: the extract's hospitals, clinics, doctors and ``healthcare=*``)
  or the path of a CSV with longitude/latitude columns (HIFLD's works as is) or a vector file;
- candidates: ``none`` (the default), ``osm`` (public buildings: schools, town halls, community
  centres, libraries), ``cells`` (the most populated areas' points) or a path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from geoalloc._errors import UsageError

RASTER_SUFFIXES = (".tif", ".tiff", ".vrt")
BUILDINGS = "osm-buildings"
OSM = "osm"
_GRID = re.compile(r"^grid:(?P<size>\d+(?:\.\d+)?)\s*(?P<unit>m|km)?$", re.IGNORECASE)
_ADMIN = re.compile(r"^admin:(?P<level>\d{1,2})$", re.IGNORECASE)
#: smallest and largest grid cells geoalloc init lays (metres): below 50 m a cell holds a handful
#: of buildings; above 50 km one cell is a whole region
GRID_CELL_M = (50.0, 50_000.0)
AREAS_HELP = "grid:<size>[m|km] (e.g. grid:1km), admin:<level> (e.g. admin:8) or a vector file"


@dataclass(frozen=True)
class AreasChoice:
    """Which areas to make: a grid (``cell_m``), OSM boundaries (``admin_level``) or a file."""

    kind: Literal["grid", "admin", "file"]
    cell_m: float | None = None
    admin_level: str | None = None
    path: Path | None = None

    def describe(self) -> str:
        if self.kind == "grid":
            return f"a {self.cell_m:,.0f} m square grid over the road network"
        if self.kind == "admin":
            return f"OSM administrative boundaries at admin_level {self.admin_level}"
        return f"the polygons of {self.path}"


@dataclass(frozen=True)
class PopulationChoice:
    """Where the population comes from: a raster, a vector file (points or census polygons) with
    its count ``column``, or the OSM buildings estimate."""

    kind: Literal["raster", "vector", "buildings"]
    path: Path | None = None
    column: str | None = None
    #: age bands: (label, source) — a raster path per band, or a column of the vector file
    bands: tuple[tuple[str, str], ...] = ()


def parse_areas(value: str) -> AreasChoice:
    """``grid:1km`` / ``grid:500`` / ``admin:8`` / a path; :class:`UsageError` (exit 2) when the
    value is none of them."""
    text = value.strip()
    grid = _GRID.match(text)
    if grid is not None:
        cell_m = float(grid["size"]) * (1000.0 if (grid["unit"] or "m").lower() == "km" else 1.0)
        low, high = GRID_CELL_M
        if not low <= cell_m <= high:
            msg = (
                f"areas {value!r}: a grid cell of {cell_m:,.0f} m is outside "
                f"{low:,.0f}–{high:,.0f} m — choose e.g. grid:1km (rural) or grid:250m (a city)"
            )
            raise UsageError(msg)
        return AreasChoice("grid", cell_m=cell_m)
    admin = _ADMIN.match(text)
    if admin is not None:
        return AreasChoice("admin", admin_level=str(int(admin["level"])))
    if text.lower().startswith(("grid", "admin")):
        msg = f"areas {value!r} is not understood — write {AREAS_HELP}"
        raise UsageError(msg)
    return AreasChoice("file", path=Path(text))


def parse_population(
    value: str | None, column: str | None, bands: tuple[str, ...] | list[str] = ()
) -> PopulationChoice:
    """A raster by its suffix, ``osm-buildings`` (or nothing) for the estimate, else a vector file.

    ``bands`` are ``LABEL=SOURCE`` texts: the persons of an age band from another raster (SOURCE
    a path) or from another column of the vector file (SOURCE a column name); LABEL becomes the
    areas' column and the band's name in ``[demand] admissions_per_1000``."""
    parsed = tuple(_band(text) for text in bands)
    if value is None or value.strip().lower() == BUILDINGS:
        if column is not None or parsed:
            msg = (
                "a population column or age bands need a population file (a raster, or a "
                "vector file with those columns); the buildings estimate has no ages"
            )
            raise UsageError(msg)
        return PopulationChoice("buildings")
    path = Path(value)
    if path.name.lower().endswith(RASTER_SUFFIXES):
        if column is not None:
            msg = f"a population column is for vector files; {path.name} is a raster (its values are counted)"
            raise UsageError(msg)
        return PopulationChoice("raster", path=path, bands=parsed)
    return PopulationChoice("vector", path=path, column=column, bands=parsed)


_BAND = re.compile(r"^(?P<label>[A-Za-z][A-Za-z0-9_]*)=(?P<source>.+)$")


def _band(text: str) -> tuple[str, str]:
    match = _BAND.match(text.strip())
    if match is None:
        msg = (
            f"age band {text!r}: write LABEL=SOURCE, LABEL a column name (letters, digits, _; "
            "e.g. over65=worldpop_65plus.tif, or over65=POP65 for a column of the vector file)"
        )
        raise UsageError(msg)
    return match["label"], match["source"].strip()


def parse_sites(value: str | None, default: str) -> str | Path:
    """``osm`` / ``none`` / ``cells`` as words, anything else as a path."""
    text = (value if value is not None else default).strip()
    if text.lower() in {OSM, "none", "cells"}:
        return text.lower()
    return Path(text)
