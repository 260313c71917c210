"""The ``[network]`` section of a scenario file."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["drive", "walk", "bike"]


class NetworkOptions(BaseModel):
    """How travel times are computed.

    ``source`` is ``"crowfly"`` (great-circle distance × ``circuity`` ÷ ``speed_kph``), an OSM file
    (``.osm``, ``.osm.bz2``, ``.osm.pbf``, ``.graphml``; relative to the scenario file) or
    ``"place:<name>"`` (downloaded once through osmnx and cached).
    """

    model_config = ConfigDict(extra="forbid")

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

    @property
    def is_crowfly(self) -> bool:
        return self.source == "crowfly"

    @property
    def is_place(self) -> bool:
        return self.source.startswith("place:")
