"""Fuzzing the input files and their geography: files truncated (plain and compressed), emptied,
overwritten with garbage, replaced by a folder; coordinates with swapped axes, the wrong CRS,
moved across the globe or off it."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.fuzzing import (
    AREAS_FILE,
    HISTORY_FILE,
    HISTORY_SECTION,
    MATRIX_NETWORK,
    SITES_FILE,
    TRAVEL_FILE,
    Case,
    base_sections,
    fuzz_settings,
    run_case,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

#: the files a scenario reads, and the section that names each
FILES = {
    AREAS_FILE: ("areas", "path"),
    SITES_FILE: ("facilities", "path"),
    TRAVEL_FILE: ("network", "path"),
    HISTORY_FILE: ("history", "path"),
}
DAMAGES = ("truncate", "truncate gzip", "empty", "garbage", "folder", "header only", "binary")


def _sections_reading(name: str, path: str) -> dict[str, dict[str, object]]:
    sections = base_sections()
    if name == TRAVEL_FILE:
        sections["network"] = {**MATRIX_NETWORK, "path": path}
    elif name == HISTORY_FILE:
        sections["history"] = {**HISTORY_SECTION, "path": path}
    else:
        section, key = FILES[name]
        sections[section][key] = path
    return sections


@st.composite
def file_cases(draw):
    name = draw(st.sampled_from(sorted(FILES)))
    damage = draw(st.sampled_from(DAMAGES))
    fraction = draw(st.floats(0.0, 0.95))
    garbage = draw(st.binary(min_size=1, max_size=64))
    # a gzip copy keeps a name the reader knows: .csv.gz (tables), .geojson.gz is not one
    target = f"{name}.gz" if damage == "truncate gzip" and name.endswith(".csv") else name

    def prepare(folder: Path) -> None:
        path = folder / name
        data = path.read_bytes()
        out = folder / target
        if damage == "truncate":
            out.write_bytes(data[: int(len(data) * fraction)])
        elif damage == "truncate gzip":
            packed = gzip.compress(data)
            out.write_bytes(packed[: max(1, int(len(packed) * fraction))])
        elif damage == "empty":
            out.write_bytes(b"")
        elif damage == "garbage":
            out.write_bytes(garbage)
        elif damage == "binary":  # the start of the file, then garbage
            out.write_bytes(data[: int(len(data) * fraction)] + garbage)
        elif damage == "header only":
            out.write_bytes(
                data.split(b"\n", 1)[0] + b"\n" if name.endswith(".csv") else data[:100]
            )
        elif damage == "folder":
            path.unlink()
            out.mkdir()
        if out != path:
            path.unlink(missing_ok=True)

    what = f"{target}: {damage}" + (f" at {fraction:.0%}" if "truncate" in damage else "")
    # a plain CSV cut short is a shorter table (the travel table's missing pairs are unreachable,
    # a history's cut row is left out with a warning): any ending may follow, never a crash
    shorter = name.endswith(".csv") and damage in ("truncate", "header only", "binary")
    case = Case("broken files", what, (target,), not shorter, warning_ok=True)
    return case, _sections_reading(name, target), prepare


@fuzz_settings(14)
@given(drawn=file_cases())
def test_broken_files(fuzz_inputs: Path, drawn) -> None:
    """Every broken input file is refused (exit 3) and named; never a traceback."""
    case, sections, prepare = drawn
    run_case(fuzz_inputs, case, sections, prepare=prepare)


#: what can be wrong with coordinates, as found in real files
GEOGRAPHY = ("swap axes", "tag as EPSG:3857", "move 7,900 km", "latitude beyond 90", "no CRS")


@st.composite
def geography_cases(draw):
    name = draw(st.sampled_from((AREAS_FILE, SITES_FILE)))
    how = draw(st.sampled_from(GEOGRAPHY))
    latitude = draw(st.floats(90.5, 1e6))

    def prepare(folder: Path) -> None:
        import geopandas as gpd
        import shapely

        frame = gpd.read_file(folder / name)
        if how == "swap axes":
            frame.geometry = shapely.transform(frame.geometry.to_numpy(), lambda xy: xy[:, ::-1])
        elif how == "tag as EPSG:3857":
            frame = frame.set_crs(3857, allow_override=True)
        elif how == "move 7,900 km":  # Chicago → about Honolulu's longitude
            frame.geometry = frame.geometry.translate(xoff=-70.0)
        elif how == "latitude beyond 90":
            frame.geometry = frame.geometry.translate(yoff=latitude - 41.8)
        elif how == "no CRS":
            frame = frame.set_crs(None, allow_override=True)
        path = folder / name
        path.unlink()
        with warnings.catch_warnings():  # writing a layer without a CRS is the point here
            warnings.simplefilter("ignore", UserWarning)
            frame.to_file(path)

    # issue 18: refused (exit 3), or at least a loud warning naming the file
    case = Case("geography", f"{name}: {how}", (name,), True, warning_ok=True)
    return case, base_sections(), prepare


@fuzz_settings(8)
@given(drawn=geography_cases())
def test_geography(fuzz_inputs: Path, drawn) -> None:
    """Coordinates that cannot be right are refused (exit 3), or run with a warning, naming the
    file."""
    case, sections, prepare = drawn
    run_case(fuzz_inputs, case, sections, prepare=prepare)
