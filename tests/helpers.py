"""Small helpers shared by the tests: scenario files written into tmp dirs.

:func:`write_scenario` builds a scenario file from one dict per section (the ``write_scenario``
fixture of ``conftest.py`` hands it to tests); :func:`write_chicago_scenario` is the real Chicago
scenario built on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

#: the repository (tests import paths from here, whatever folder they are in)
REPO_ROOT = Path(__file__).resolve().parents[1]
#: the real data sets, beside the repository (tests reach them through the shared_data fixture)
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _string(text: str) -> str:
    return '"' + "".join(_ESCAPES.get(c) or _printable(c) for c in text) + '"'


def _printable(char: str) -> str:
    if char.isprintable():
        return char
    return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"


def _value(value: object) -> str:
    if isinstance(value, bool):  # before int: a bool is an int
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # 220.0 stays a float, 30 an integer; inf and nan as TOML spells them
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Path):
        return _string(value.as_posix())
    if isinstance(value, Mapping):
        items = [f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    msg = f"no TOML form for {value!r} ({type(value).__name__})"
    raise TypeError(msg)


def toml_text(document: Mapping[str, object]) -> str:
    """``document`` as TOML: its plain keys first, then one ``[section]`` per mapping value.

    Inside a section a mapping is an inline table (``capacity = { beds = "beds" }``). Values may be
    str, Path (written as POSIX text), int, float, bool, lists and mappings; a None value leaves its
    key out (TOML has no null).
    """
    plain = [f"{_key(k)} = {_value(v)}\n" for k, v in document.items() if _is_plain(v)]
    sections = [
        f"\n[{_key(k)}]\n"
        + "".join(f"{_key(kk)} = {_value(vv)}\n" for kk, vv in v.items() if vv is not None)
        for k, v in document.items()
        if isinstance(v, Mapping)
    ]
    return "".join(plain + sections)


def _is_plain(value: object) -> bool:
    return value is not None and not isinstance(value, Mapping)


def write_scenario(
    folder: Path,
    *,
    name: str,
    areas: Mapping[str, object] | None = None,
    facilities: Mapping[str, object] | None = None,
    network: Mapping[str, object] | None = None,
    demand: Mapping[str, object] | None = None,
    optimize: Mapping[str, object] | None = None,
    file: str = "scenario.toml",
    **sections: Mapping[str, object] | None,
) -> Path:
    """Write a scenario file ``folder / file`` and return its path.

    Each keyword is one section of the file, as a dict (see :func:`toml_text` for the values);
    ``[areas]``, ``[facilities]``, ``[network]``, ``[demand]``, ``[optimize]`` come in that order,
    then the others (``history``, ``outage``, ``compute``, ``telemedicine`` …) as given. A section
    left as None is left out. Relative paths in the sections are relative to ``folder``, as
    ``load_scenario`` reads them.
    """
    document = {
        "name": name,
        "areas": areas,
        "facilities": facilities,
        "network": network,
        "demand": demand,
        "optimize": optimize,
        **sections,
    }
    path = folder / file
    path.write_text(toml_text(document), encoding="utf-8")
    return path


def chicago_sections(
    shared_data: Path, *, p: int = 40, areas: Path | None = None, facilities: Path | None = None
) -> dict[str, dict[str, object]]:
    """The sections of the Chicago scenario: tracts and hospitals of ``chicago_kang2020`` (or the
    files given), crowfly at 30 km/h, beds for 220 admissions per 1,000 over-fifties a year (60
    for the others), the capacitated model with ``p`` sites within 30 minutes."""
    chicago = shared_data / "chicago_kang2020"
    return {
        "areas": {
            "path": areas or chicago / "chicago_tracts_pop.gpkg",
            "id": "GEOID",
            "population": "TotalPop",
            "age_bands": {"OverFifty": "50+"},
        },
        "facilities": {
            "path": facilities or chicago / "chicago_hospitals.gpkg",
            "id": "Hospital",
            "name": "Hospital",
            "capacity": {"beds": "Total_Bed"},
        },
        "network": {"source": "crowfly", "speed_kph": 30, "circuity": 1.3},
        "demand": {
            "resource": "beds",
            "admissions_per_1000": {"50+": 220.0, "other": 60.0},
            "los_days": 5.0,
            "occupancy_target": 0.85,
        },
        "optimize": {
            "model": "capacitated",
            "p": p,
            "max_minutes": 30,
            "solver": "highs",
            "time_limit_s": 60,
        },
    }


def write_chicago_scenario(
    folder: Path,
    shared_data: Path,
    *,
    name: str = "chicago-test",
    p: int = 40,
    areas: Path | None = None,
    facilities: Path | None = None,
    **sections: Mapping[str, object],
) -> Path:
    """The Chicago scenario (:func:`chicago_sections`) as ``folder / "scenario.toml"``.

    ``areas`` and ``facilities`` replace the input files. Other keywords are sections: one of the
    scenario's is updated key by key (a None value drops the key), a new one is added as given.
    """
    document = chicago_sections(shared_data, p=p, areas=areas, facilities=facilities)
    for section, keys in sections.items():
        document[section] = {**document.get(section, {}), **keys}
    return write_scenario(folder, name=name, **document)


#: the tiny instances' travel (crow-fly, 30 km/h × 1.3: 20 km is 52 minutes) and demand (beds:
#: population × 100 admissions per 1,000 a year × 5 days ÷ 365)
TINY_NETWORK = {"source": "crowfly", "speed_kph": 30, "circuity": 1.3}
TINY_DEMAND = {
    "resource": "beds",
    "admissions_per_1000": {"all": 100.0},
    "los_days": 5.0,
    "occupancy_target": 1.0,
}


def write_row_areas(
    path: Path,
    population: Mapping[str, float],
    x_m: Mapping[str, float],
    origin: tuple[float, float] = (380_000.0, 6_670_000.0),
) -> Path:
    """Areas of the tiny instances written to ``path``: a 1-km square per area (columns ``id``,
    ``pop`` from ``population``) centred ``x_m`` metres east of ``origin`` (EPSG:3067, southern
    Finland); returns ``path``."""
    import geopandas as gpd
    from shapely.geometry import box

    x0, y0 = origin
    gpd.GeoDataFrame(
        {"id": list(population), "pop": list(population.values())},
        geometry=[
            box(x0 + x_m[a] - 500, y0 - 500, x0 + x_m[a] + 500, y0 + 500) for a in population
        ],
        crs=3067,
    ).to_file(path)
    return path


def legend_gaps(fmap: object) -> list[str]:
    """What a geoalloc map draws that its legend does not show, as readable lines (none: every
    mark is in the legend).

    Every overlay layer of ``fmap`` must have a legend section (its ``legend_id``) in the map's
    legend box, holding each colour the layer draws (its ``colours``); a layer that draws nothing
    needs none.
    """
    import json

    from folium.map import Layer

    from geoalloc.outputs.leaflet import Box

    children = list(fmap._children.values())  # type: ignore[attr-defined]
    boxes = [c for c in children if isinstance(c, Box) and "geoalloc-legend" in c.css_class_json]
    legend = json.loads(boxes[0].html_json) if boxes else ""
    gaps = []
    for layer in children:
        if not isinstance(layer, Layer) or not getattr(layer, "overlay", False):
            continue
        name = layer.layer_name
        colours = getattr(layer, "colours", None)
        if colours is None:
            gaps.append(f"{name}: not a geoalloc layer (no colours to check)")
            continue
        if not colours:
            continue
        legend_id = getattr(layer, "legend_id", None)
        start = legend.find(f"id='{legend_id}'") if legend_id else -1
        if start < 0:
            gaps.append(f"{name}: no legend section ({legend_id})")
            continue
        end = legend.find("id='geoalloc-legend-", start + 1)
        section = legend[start : end if end > 0 else len(legend)].lower()
        gaps += [
            f"{name}: {c} not in its legend" for c in sorted(colours) if c.lower() not in section
        ]
    return gaps
