"""Layers given as GeoDataFrames instead of files, for the Python API (:func:`geoalloc.plan`).

A :class:`FrameSource` stands where a scenario names a file (``[areas] path``, ``[facilities] path``):
the readers in :mod:`geoalloc.inputs.read` check its frame exactly as they check a file's rows, and
the manifest records it by row count and a hash of its content instead of a file hash.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import PlainSerializer, PlainValidator
from pydantic_core import PydanticCustomError

if TYPE_CHECKING:
    import pandas as pd


def frame_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of a (Geo)DataFrame's content, as hex: its CRS, column names and types, index and
    values (geometries as WKB). Equal frames give equal hashes; row order counts.

    Parameters
    ----------
    frame
        Any DataFrame or GeoDataFrame.

    Returns
    -------
    str
        64 hex digits.
    """
    import pandas as pd
    from geopandas.array import GeometryDtype

    digest = hashlib.sha256()
    crs = getattr(frame, "crs", None)  # None for a DataFrame, or a GeoDataFrame without geometry
    digest.update((crs.to_wkt() if crs is not None else "no crs").encode())
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame.index.to_series(), index=False).to_numpy())
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if isinstance(values.dtype, GeometryDtype):
            values = values.to_wkb()
        try:
            hashed = pd.util.hash_pandas_object(values, index=False)
        except TypeError:  # unhashable cells (lists, dicts): hash their text
            hashed = pd.util.hash_pandas_object(values.astype(str), index=False)
        digest.update(hashed.to_numpy())
    return digest.hexdigest()


class FrameSource:
    """A GeoDataFrame standing where a scenario names a layer file.

    The frame is copied when the source is made, so later changes to the caller's frame change
    neither the run nor its recorded hash.

    Parameters
    ----------
    what
        What the frame holds, as the scenario section calls it: ``"areas"`` or ``"facilities"``.
        Problems in it are reported as being in the "<what> GeoDataFrame".
    frame
        The layer: a :class:`geopandas.GeoDataFrame` with a CRS (a plain
        :class:`pandas.DataFrame` is taken, and reported as a problem by the reader).

    Attributes
    ----------
    name
        ``"<what> GeoDataFrame"``: where problems in the frame are said to be.
    label
        ``"<<what> GeoDataFrame>"``: the frame's key in ``manifest.json`` ``inputs``.
    rows
        The frame's row count.
    sha256
        :func:`frame_sha256` of the frame.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> sites = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(9.5, 47.1)], crs=4326)
    >>> FrameSource("facilities", sites).name
    'facilities GeoDataFrame'
    """

    def __init__(self, what: str, frame: pd.DataFrame) -> None:
        self.what = what
        self.frame = frame.copy()
        self.rows = len(self.frame)
        self.sha256 = frame_sha256(self.frame)

    @property
    def name(self) -> str:
        return f"{self.what} GeoDataFrame"

    @property
    def label(self) -> str:
        return f"<{self.name}>"

    def record(self) -> dict[str, Any]:
        """How the manifest and the resolved scenario record the frame (it holds no path)."""
        return {"frame": self.label, "rows": self.rows, "sha256": self.sha256}

    def __repr__(self) -> str:
        return f"FrameSource({self.what!r}, rows={self.rows}, sha256={self.sha256[:12]}…)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrameSource):
            return NotImplemented
        return (self.what, self.sha256) == (other.what, other.sha256)

    def __hash__(self) -> int:
        return hash((self.what, self.sha256))


def _layer_source(value: object) -> Path | FrameSource:
    if isinstance(value, FrameSource | Path):
        return value
    if isinstance(value, str | os.PathLike):
        return Path(value)
    raise PydanticCustomError("path_type", "Input is not a valid path")


def _layer_json(value: Path | FrameSource) -> object:
    return value.record() if isinstance(value, FrameSource) else str(value)


#: the type of ``[areas] path`` and ``[facilities] path``: a file (text in TOML) or a FrameSource
#: (from Python); in JSON (``manifest.json``) a frame is its :meth:`FrameSource.record`
LayerSource = Annotated[
    Path | FrameSource,
    PlainValidator(_layer_source, json_schema_input_type=str),
    PlainSerializer(_layer_json, when_used="json"),
]
