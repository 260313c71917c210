"""The ``[network]`` section of a scenario file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from geoalloc._validate import SECTION_CONFIG

Mode = Literal["drive", "walk", "bike"]

#: Default speed on the off-network leg (the straight line from a point to its nearest road node),
#: km/h, by mode. Walking and cycling: the modes' own speeds (5 and 15 km/h, as on the network: a
#: pedestrian or cyclist cuts across car parks and paths). Driving: 20 km/h — local streets at
#: 30 km/h (the residential class of :data:`geoalloc.travel.speeds.DRIVE_SPEEDS_KPH`) over a route
#: about 1.5 × the straight line (detour factors of local street networks run 1.2–1.5; the leg is
#: also where a driver turns in and parks): 30 ÷ 1.5 = 20. A walking pace on a driving leg made a
#: hospital 1 km from the extract's roads 12 minutes farther than it is (Harrisburg, 2015 extract).
ACCESS_SPEED_KPH: dict[str, float] = {"drive": 20.0, "walk": 5.0, "bike": 15.0}
#: Default ``far_snap_m``: an area or site joined to a road node farther than this (metres) is
#: flagged with its distance. 300 m is a city block or two: beyond it, the point is probably off
#: the extract's roads (an extract's edge, a missing access road, a misplaced point), and the
#: straight-line leg stands in for a route nobody checked.
FAR_SNAP_M = 300.0

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
    access_speed_kph: float | None = Field(
        None,
        gt=0,
        description="speed on the off-network leg from a point to its nearest node, km/h; "
        "default by mode (ACCESS_SPEED_KPH): drive 20, walk 5, bike 15",
    )
    far_snap_m: float = Field(
        FAR_SNAP_M,
        gt=0,
        description="an area or site joined to a road node farther than this, metres, is "
        "flagged with its distance (summary far_snaps, the layers' snap_m, the report, the "
        "console); it is still routed. At most max_snap_m",
    )
    max_snap_m: float = Field(
        2000.0,
        gt=0,
        description="the hard limit: a point farther than this from any node is flagged "
        "far_from_network and not routed",
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

    @model_validator(mode="after")
    def _far_snap_within_max(self) -> NetworkOptions:
        if self.far_snap_m > self.max_snap_m:
            msg = (
                f"far_snap_m = {self.far_snap_m:g} m is above max_snap_m = {self.max_snap_m:g} m: "
                "a point farther than max_snap_m from the roads is not routed at all, so none "
                "would ever be flagged as joined from far — give far_snap_m below max_snap_m "
                f"(defaults {FAR_SNAP_M:g} and {type(self).model_fields['max_snap_m'].default:g} m)"
            )
            raise ValueError(msg)
        return self

    @property
    def access_kph(self) -> float:
        """The off-network leg's speed, km/h: ``access_speed_kph`` if given, else the mode's
        default (:data:`ACCESS_SPEED_KPH`)."""
        if self.access_speed_kph is not None:
            return self.access_speed_kph
        return ACCESS_SPEED_KPH[self.mode]

    @property
    def has_roads(self) -> bool:
        """Travel is routed over a road graph (an OSM file or a place), so points are snapped."""
        return not (self.is_crowfly or self.is_matrix)

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
