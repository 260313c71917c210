"""What a run produced, in memory, ready to be written as a run folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd

from geoalloc.runs.folder import RunFolder

if TYPE_CHECKING:
    import folium

    from geoalloc.optimize.problem import Allocation
    from geoalloc.optimize.telemedicine import TelePlan
    from geoalloc.runs.kinds import RunKind
    from geoalloc.scenario import Scenario


@dataclass(frozen=True)
class RunResult:
    """Everything one run produced (nothing is written until :meth:`write`).

    Made by :func:`geoalloc.run` (a scenario) and :func:`geoalloc.plan` (GeoDataFrames).

    Attributes
    ----------
    scenario
        The scenario that was run (paths resolved).
    kind
        The run kind that produced it (see :mod:`geoalloc.runs.kinds`).
    layers
        The output layers by name (``areas``, ``facilities``, ``assignments`` …), EPSG:4326, as
        written to ``results.gpkg``.
    summary
        The figures written to ``summary.json`` (see :mod:`geoalloc.runs.schema`).
    manifest
        Versions, input hashes, the resolved scenario and timings.
    plan
        The solved plan: an :class:`~geoalloc.optimize.problem.Allocation` for planning runs, a
        :class:`~geoalloc.optimize.telemedicine.TelePlan` for telemedicine runs.

    Examples
    --------
    >>> result = geoalloc.run("my.toml")  # doctest: +SKIP
    >>> result.summary["plan"]["covered_pct"]  # doctest: +SKIP
    97.5
    >>> result.areas.loc["17031010100", "minutes"]  # doctest: +SKIP
    4.2
    >>> result.write("maps/my-run")  # doctest: +SKIP
    PosixPath('maps/my-run')
    """

    scenario: Scenario
    kind: RunKind
    layers: dict[str, gpd.GeoDataFrame]
    summary: dict[str, Any]
    manifest: dict[str, Any]
    plan: Allocation | TelePlan

    @property
    def areas(self) -> gpd.GeoDataFrame:
        """The ``areas`` layer indexed by area id (the index is named ``area_id``; ids as text).

        One row per input area with its population, demand, served and unmet quantities, assigned
        site, minutes and status (a telemedicine run: minutes to a physician, hours and status).
        A copy: changing it changes neither :attr:`layers` nor what :meth:`write` writes.

        Returns
        -------
        geopandas.GeoDataFrame
            EPSG:4326.
        """
        return _indexed(self.layers["areas"], "area_id")

    @property
    def facilities(self) -> gpd.GeoDataFrame:
        """The ``facilities`` layer indexed by site id (the index is named ``site_id``).

        One row per site: open or not, capacity before and after, load and utilisation per
        resource (a telemedicine run: in-person and hub hours). A copy, as :attr:`areas`.

        Returns
        -------
        geopandas.GeoDataFrame
            EPSG:4326, points.
        """
        return _indexed(self.layers["facilities"], "site_id")

    @property
    def assignments(self) -> gpd.GeoDataFrame:
        """The ``assignments`` layer as written: one row per (area, site, resource) with the
        quantity and minutes, columns ``area`` and ``site`` holding the ids (a telemedicine run:
        hours and ``kind``, in person or telemedicine). A copy, as :attr:`areas`.

        Returns
        -------
        geopandas.GeoDataFrame
            EPSG:4326, a line from the area to the site (a point at the area for telemedicine).
        """
        return self.layers["assignments"].copy()

    def explore(self) -> folium.Map:
        """The run's interactive map, as :meth:`geopandas.GeoDataFrame.explore` returns one.

        The same map as the run folder's ``map.html`` (its layers, legends, popups and KPI box),
        with Leaflet inside the page: shown in a notebook it needs no internet except for the
        background tiles.

        Returns
        -------
        folium.Map
            Displayed by Jupyter when it is a cell's value; ``.save("map.html")`` writes it.

        Examples
        --------
        >>> result.explore()  # doctest: +SKIP
        """
        from geoalloc.outputs.maps import map_html

        fmap = self.kind.build_map(self.layers, self.summary)
        map_html(fmap)  # renders the page once, which puts Leaflet's JS and CSS into it
        return fmap

    def write(self, out_dir: Path | str, *, overwrite: bool = False) -> Path:
        """Write the run folder (``map.html``, ``report.html``, ``results.gpkg``, ``summary.json``,
        ``manifest.json``) atomically and return its path.

        Parameters
        ----------
        out_dir
            The folder to write; replaced only with ``overwrite``.
        overwrite
            Replace ``out_dir`` if it exists.

        Returns
        -------
        pathlib.Path
            ``out_dir``.

        Raises
        ------
        geoalloc.UsageError
            ``out_dir`` exists and ``overwrite`` is false (an
            :class:`~geoalloc._errors.OutputExistsError`).

        Examples
        --------
        >>> result.write("maps/my-run", overwrite=True)  # doctest: +SKIP
        PosixPath('maps/my-run')
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

    def __repr__(self) -> str:
        solver = self.summary.get("solver") or {}
        return (
            f"RunResult(kind={self.kind.name!r}, scenario={self.scenario.name!r}, "
            f"areas={self.summary.get('areas')}, sites={self.summary.get('sites')}, "
            f"status={solver.get('status')!r})"
        )


def _indexed(layer: gpd.GeoDataFrame, id_column: str) -> gpd.GeoDataFrame:
    if id_column in layer.columns:
        return layer.set_index(id_column)
    return layer.copy()
