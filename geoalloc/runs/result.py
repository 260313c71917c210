"""What a run produced, in memory, ready to be written as a run folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd

from geoalloc.runs.folder import RunFolder

if TYPE_CHECKING:
    from geoalloc.optimize.problem import Allocation
    from geoalloc.optimize.telemedicine import TelePlan
    from geoalloc.runs.kinds import RunKind
    from geoalloc.scenario import Scenario


@dataclass(frozen=True)
class RunResult:
    """Everything one run produced (nothing is written until :meth:`write`).

    Attributes
    ----------
    scenario
        The scenario that was run (paths resolved).
    kind
        The run kind that produced it (see :mod:`geoalloc.runs.kinds`).
    layers
        The output layers by name (``areas``, ``facilities``, ``assignments`` …), EPSG:4326.
    summary
        The figures written to ``summary.json`` (see :mod:`geoalloc.runs.schema`).
    manifest
        Versions, input hashes, the resolved scenario and timings.
    plan
        The solved plan: an :class:`~geoalloc.optimize.problem.Allocation` for planning runs, a
        :class:`~geoalloc.optimize.telemedicine.TelePlan` for telemedicine runs.
    """

    scenario: Scenario
    kind: RunKind
    layers: dict[str, gpd.GeoDataFrame]
    summary: dict[str, Any]
    manifest: dict[str, Any]
    plan: Allocation | TelePlan

    def write(self, out_dir: Path | str, *, overwrite: bool = False) -> Path:
        """Write the run folder (``map.html``, ``report.html``, ``results.gpkg``, ``summary.json``,
        ``manifest.json``) atomically and return its path.

        Parameters
        ----------
        out_dir
            The folder to write; replaced only with ``overwrite``.
        overwrite
            Replace ``out_dir`` if it exists (else :class:`~geoalloc.runs.folder.OutputExistsError`).
        """
        folder = RunFolder.write(
            out_dir,
            kind=self.kind,
            layers=self.layers,
            summary=self.summary,
            manifest=self.manifest,
            overwrite=overwrite,
        )
        return folder.path
