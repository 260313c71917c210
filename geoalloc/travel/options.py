"""The ``[network]`` section of a scenario file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from geoalloc._validate import SECTION_CONFIG

Mode = Literal["drive", "walk", "bike"]

#: ``[network]`` keys of a travel table (``source = "matrix"``) and their defaults: the columns
#: ``geoalloc travel`` writes
TABLE_COLUMNS = {"origin": "origin", "destination": "destination", "minutes": "minutes"}


class NetworkOptions(BaseModel):
    """How travel times are computed.

    ``source`` is ``"crowfly"`` (great-circle distance × ``circuity`` ÷ ``speed_kph``), an OSM file
    (``.osm``, ``.osm.bz2``, ``.osm.pbf``, ``.graphml``; relative to the scenario file),
    ``"place:<name>"`` (downloaded once through osmnx and cached) or ``"matrix"``: a table of
    travel minutes computed elsewhere (``path``; columns ``origin``, ``destination``,
    ``minutes``), used as is.
    """

    model_config = SECTION_CONFIG

    source: str = "crowfly"
    mode: Mode = "drive"
    speed_kph: float = Field(40.0, gt=0, description="crowfly only: travel speed")
    circuity: float = Field(
        1.3, ge=1.0, description="crowfly only: road distance ÷ great-circle distance"
    )
    speeds_kph: dict[str, float] | None = Field(
        None, description="OSM only: speed per highway class where `maxspeed` is not tagged"
    )
    access_speed_kph: float = Field(
        5.0, gt=0, description="speed on the off-network leg from a point to its nearest node"
    )
    max_snap_m: float = Field(
        2000.0, gt=0, description="a point farther than this from any node is flagged, not snapped"
    )
    path: Path | None = Field(
        None,
        description=(
            "matrix only: the travel table, CSV (.csv, .csv.gz) or Parquet, relative to the "
            "scenario file"
        ),
    )
    origin: str | None = Field(
        None, description="matrix only: column of origin ids (the areas'); default 'origin'"
    )
    destination: str | None = Field(
        None,
        description="matrix only: column of destination ids (the sites'); default 'destination'",
    )
    minutes: str | None = Field(
        None, description="matrix only: column of travel minutes; default 'minutes'"
    )

    @model_validator(mode="after")
    def _table_keys(self) -> NetworkOptions:
        if self.is_matrix:
            if self.path is None:
                msg = (
                    'source = "matrix" needs path = the travel table (CSV or Parquet with '
                    "columns origin, destination, minutes), relative to the scenario file"
                )
                raise ValueError(msg)
            for key, default in TABLE_COLUMNS.items():
                if getattr(self, key) is None:
                    setattr(self, key, default)
            return self
        given = [k for k in ("path", *TABLE_COLUMNS) if getattr(self, k) is not None]
        if given:
            verb = "applies" if len(given) == 1 else "apply"
            msg = (
                f'{", ".join(given)} {verb} only to a travel table (source = "matrix"), not to '
                f"source = {self.source!r} — remove {'it' if len(given) == 1 else 'them'}, or set "
                'source = "matrix"'
            )
            raise ValueError(msg)
        return self

    @property
    def is_crowfly(self) -> bool:
        return self.source == "crowfly"

    @property
    def is_place(self) -> bool:
        return self.source.startswith("place:")

    @property
    def is_matrix(self) -> bool:
        """Travel minutes are read from the table at ``path`` (no routing)."""
        return self.source == "matrix"

    @property
    def table_columns(self) -> dict[str, str]:
        """A travel table's column names: ``origin``, ``destination`` and ``minutes`` → name."""
        return {key: getattr(self, key) or default for key, default in TABLE_COLUMNS.items()}
