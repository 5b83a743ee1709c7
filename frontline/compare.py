"""Comparisons: the series and tables the notebooks and charts are built from.

Totals by source over time (:func:`controlled_totals`), the Pokrovsk axis
(:func:`axis_series`), the area held on given dates (:func:`held_by_date`), ISW vs
DeepStateMap on common dates (:func:`compare_sources`, :func:`source_differences`,
:func:`source_difference`), published figures side by side (:func:`reproduce_published`)
and which maps stand for a period (:func:`map_snapshots`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from tqdm.auto import tqdm

from frontline._typing import DateLike, StrPath
from frontline.boundaries import boundaries_dir
from frontline.changes import change, default_preset, snapshot
from frontline.errors import InvalidArgumentError, SnapshotGapError
from frontline.geodesy import geodesic_area_km2, km2_to_mi2
from frontline.history import History
from frontline.layers import preset_layers
from frontline.sources.credits import source_credit

__all__ = [
    "MapSnapshots",
    "UKRAINE_KM2",
    "axis_series",
    "day_label",
    "SOURCE_NAMES",
    "compare_sources",
    "controlled_totals",
    "held_by_date",
    "map_snapshots",
    "notebook_data_dir",
    "reproduce_published",
    "sample_dates",
    "source_difference",
    "source_differences",
]


#: Ukraine's area within its 2013 borders, km² (the official figure; geodesic sums of
#: the boundary files give 602,517 without Sevastopol, see data/README.md).
UKRAINE_KM2 = 603_550.0

SOURCE_NAMES = {"isw": "ISW/CTP", "deepstate": "DeepStateMap"}

_MEASURES = {
    "isw": "ISW's control + advances + claimed layers",
    "deepstate": "DeepStateMap's occupied area",
}

def day_label(value: DateLike) -> str:
    """A date as charts and notes print it: ``31 Aug 2024``.

    Examples
    --------
    >>> day_label("2024-08-31")
    '31 Aug 2024'
    """
    return f"{pd.Timestamp(value).day} {pd.Timestamp(value):%b %Y}"


def sample_dates(dates: Sequence[DateLike] | pd.Index, every: str | None = None
                 ) -> pd.DatetimeIndex:
    """The last of ``dates`` in each period of ``every`` (``"M"`` month, ``"W"`` week).

    Examples
    --------
    >>> dates = pd.to_datetime(["2024-01-30", "2024-01-31", "2024-02-10"])
    >>> list(sample_dates(dates, "M").strftime("%Y-%m-%d"))
    ['2024-01-31', '2024-02-10']
    """
    dates = pd.DatetimeIndex(pd.to_datetime(dates)).sort_values()
    if every is None or len(dates) == 0:
        return dates
    last = pd.Series(dates, index=dates).groupby(dates.to_period(every)).max()
    return pd.DatetimeIndex(last.to_numpy())

def controlled_totals(history: History, /, *, source: str, preset: str | None = None,
                      layers: Iterable[str] | None = None, start: DateLike | None = None,
                      end: DateLike | None = None, every: str | None = None,
                      progress: bool = False) -> pd.DataFrame:
    """The controlled total on every date one source can measure, for one set of layers.

    One source and one measure per call, so that lines are never mixed: dates on which
    the source lacks one of the layers are left out (ISW's 2022-02-24 and 02-28 copies
    hold only the control layer; Le Monde's weekly copies have no claimed layer, so
    pass ``layers=("control", "advances")`` for them).

    Parameters
    ----------
    history : History
    source : {"isw", "isw-areas", "isw-weekly", "deepstate"}
    preset : {"afp", "control", "deepstate"}, optional
        Default ``afp`` (``deepstate`` for DeepStateMap). Ignored when ``layers`` is given.
    layers : sequence of str, optional
        Canonical layers whose union is measured, instead of a preset.
    start, end : date-like, optional
    every : {"M", "W", None}
        Keep only the last date of each month or week (a long daily source is slow to
        read in full: DeepStateMap's 769 days take about a minute).

    Returns
    -------
    pandas.DataFrame
        ``date, source, measures, total_km2, total_mi2``. A day's total is the geodesic
        area of the union of the layers (polygon sources) or the sum of the area table's
        layer areas (``isw-areas``; ISW's layers are disjoint), as in
        :mod:`frontline.changes`.
    """
    if layers is None:
        layers = preset_layers(default_preset(source, preset))
    layers = tuple(layers)
    dates = sample_dates(history.dates(source, layers, start=start, end=end), every)
    if len(dates) == 0:
        raise SnapshotGapError(
            f"No {source} date between {start or 'the start'} and {end or 'the end'} has "
            f"every one of the layers {', '.join(layers)}: choose other layers or dates."
        )
    rows = []
    for date in tqdm(dates, desc=f"{source} totals", unit="date", disable=not progress):
        total = history.total_km2(source, date, layers)
        rows.append({"date": date, "source": source, "measures": " + ".join(layers),
                     "total_km2": total})
    frame = pd.DataFrame(rows)
    frame["total_mi2"] = km2_to_mi2(frame["total_km2"])
    return frame

def axis_series(history: History, town: str = "Pokrovsk", /, *, source: str,
                unit: str | None = "Pokrovsk raion", radii_km: Iterable[float] = (10, 20),
                start: DateLike | None = None, end: DateLike | None = None,
                dates: Iterable[DateLike] | None = None, gap_policy: str = "error",
                data_dir: StrPath | None = None, progress: bool = False) -> pd.DataFrame:
    """Area held around a town, and the distance to it, on every snapshot date.

    One row per date with the area held inside ``unit`` and within each radius of the
    town (geodesic circles clipped to Ukraine's land), how much of each was taken since
    the first date of the series, and the shortest distance from the town to the area
    held (:func:`frontline.area_series` and :func:`frontline.distance_series`).

    Parameters
    ----------
    town : str
        A town name (:func:`frontline.boundaries.find_town`).
    source : {"isw", "isw-weekly", "deepstate"}
        A source with polygons.
    unit : str, optional
        A unit name (:func:`frontline.boundaries.find_unit`); None for the rings only.
    radii_km : sequence of float
    start, end, dates, gap_policy
        As :func:`frontline.area_series`.

    Returns
    -------
    pandas.DataFrame
        ``date, snapshot, source, preset, exact``, then for the unit ``unit``,
        ``unit_area_km2``, ``unit_km2``, ``unit_share_pct``, ``unit_taken_km2``; for each
        radius R ``within_<R>km_km2``, ``within_<R>km_taken_km2``; then ``town``,
        ``distance_km``, ``inside``.
    """
    from frontline.boundaries import area_from_spec
    from frontline.regions import area_series, distance_series

    data_dir = boundaries_dir(history if data_dir is None else data_dir)
    areas = []
    if unit is not None:
        areas.append(area_from_spec(area=unit, data_dir=data_dir).assign(key="unit"))
    for radius in radii_km:
        ring = area_from_spec(near=town, radius_km=radius, data_dir=data_dir)
        areas.append(ring.assign(key=f"within_{radius:g}km"))
    areas = gpd.GeoDataFrame(pd.concat(areas, ignore_index=True), crs="EPSG:4326")
    series = area_series(history, areas.drop(columns="key"), source=source, start=start,
                         end=end, dates=dates, gap_policy=gap_policy, progress=progress)
    series["key"] = np.tile(areas["key"].to_numpy(), len(series) // len(areas))
    keys = ["date", "snapshot", "source", "preset", "exact"]
    wide = series.pivot_table(index=keys, columns="key", values="controlled_km2",
                              sort=False).reset_index()
    wide.columns.name = None
    out = wide[keys].copy()
    if unit is not None:
        first = series[series["key"] == "unit"].iloc[0]
        out["unit"] = first["name"]
        out["unit_area_km2"] = first["area_km2"]
        out["unit_km2"] = wide["unit"]
        out["unit_share_pct"] = 100.0 * wide["unit"] / first["area_km2"]
        out["unit_taken_km2"] = wide["unit"] - wide["unit"].iloc[0]
    for radius in radii_km:
        key = f"within_{radius:g}km"
        out[f"{key}_km2"] = wide[key]
        out[f"{key}_taken_km2"] = wide[key] - wide[key].iloc[0]
    distance = distance_series(history, town, source=source, start=start, end=end,
                               dates=dates, gap_policy=gap_policy, data_dir=data_dir)
    out["town"] = distance["town"].to_numpy()
    out["distance_km"] = distance["distance_km"].to_numpy()
    out["inside"] = distance["inside"].to_numpy()
    return out

def held_by_date(history: History, dates: Iterable[DateLike], /, *, source: str,
                 preset: str | None = None,
                 gap_policy: str = "error") -> gpd.GeoDataFrame:
    """The area held on each date as one polygon per date, for maps.

    Returns
    -------
    geopandas.GeoDataFrame
        ``date, snapshot, source, exact, total_km2, geometry`` (EPSG:4326): the union of
        the preset's layers (:func:`frontline.snapshot`), as :func:`frontline.viz.plot_pokrovsk`
        and :func:`frontline.plot_area_closeup` take it.
    """
    rows = []
    for date in pd.DatetimeIndex(pd.to_datetime(list(dates))):
        snap = snapshot(history, date, source=source, preset=preset, gap_policy=gap_policy)
        if snap.geometry is None:
            raise SnapshotGapError(
                f"{snap.describe()}: no polygons (a total only), so nothing to map; use "
                "gap_policy='previous' or a date with polygons."
            )
        rows.append({"date": snap.requested, "snapshot": snap.label, "source": snap.input,
                     "exact": snap.exact, "total_km2": snap.total_km2,
                     "geometry": snap.geometry})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")

def reproduce_published(history: History, figures: pd.DataFrame, /, *,
                        gap_policy: str = "interpolate") -> pd.DataFrame:
    """Published figures next to frontline's: one row per figure.

    Parameters
    ----------
    figures : pandas.DataFrame
        ``data/published_figures.csv``: ``publisher, published, figure, start_date,
        end_date, value_km2, tolerance_km2`` (``value_mi2`` optional).

    Returns
    -------
    pandas.DataFrame
        The figures' columns, then ``frontline_km2``, ``frontline_mi2``,
        ``difference_km2`` (frontline − published), ``within_tolerance``,
        ``start_snapshot``, ``end_snapshot``, ``source``, ``exact`` (from
        :func:`frontline.changes` with ``gap_policy``).
    """
    rows = []
    for row in figures.to_dict("records"):
        result = change(history, row["start_date"], row["end_date"], gap_policy=gap_policy)
        used = result.to_frame().iloc[0]
        rows.append({
            "frontline_km2": result.net_km2, "frontline_mi2": km2_to_mi2(result.net_km2),
            "difference_km2": result.net_km2 - row["value_km2"],
            "within_tolerance": abs(result.net_km2 - row["value_km2"])
            <= row["tolerance_km2"],
            "start_snapshot": used["start_snapshot"], "end_snapshot": used["end_snapshot"],
            "source": used["source"], "exact": result.exact,
        })
    columns = [c for c in ("publisher", "published", "figure", "start_date", "end_date",
                           "value_km2", "value_mi2", "tolerance_km2") if c in figures]
    return pd.concat([figures[columns].reset_index(drop=True), pd.DataFrame(rows)], axis=1)

def compare_sources(history: History,
                    areas: Iterable[str] = ("Donetsk oblast", "Pokrovsk raion"), /, *,
                    sources: Sequence[str] = ("isw", "deepstate"),
                    dates: Iterable[DateLike] | None = None, data_dir: StrPath | None = None,
                    progress: bool = False) -> pd.DataFrame:
    """The area held by each source on their common dates: all of it, and inside areas.

    Parameters
    ----------
    areas : sequence of str
        Unit names (:func:`frontline.boundaries.find_unit`), each measured on its own.
    sources : pair of str
        Sources with polygons; each uses its default preset (``afp`` for ISW: control +
        advances + claimed; DeepStateMap's occupied area).
    dates : list of date-like, optional
        Default: every date both sources have a snapshot for.

    Returns
    -------
    pandas.DataFrame
        Long: ``date, source, name, controlled_km2``; ``name`` is ``"Ukraine (national
        total)"`` for the whole map and the unit's name otherwise.
    """
    from frontline.boundaries import area_from_spec
    from frontline.regions import area_series

    if dates is None:
        common = None
        for source in sources:
            layers = preset_layers(default_preset(source, None))
            have = history.dates(source, layers)
            common = have if common is None else common.intersection(have)
        dates = common
    dates = pd.DatetimeIndex(pd.to_datetime(list(dates)))
    if len(dates) == 0:
        raise SnapshotGapError(f"{' and '.join(sources)} have no snapshot date in common.")
    data_dir = boundaries_dir(history if data_dir is None else data_dir)
    units = gpd.GeoDataFrame(pd.concat([area_from_spec(area=a, data_dir=data_dir)
                                        for a in areas], ignore_index=True), crs="EPSG:4326")
    frames = []
    for source in sources:
        totals = held_by_date(history, dates, source=source)
        frames.append(pd.DataFrame({"date": totals["date"], "source": source,
                                    "name": "Ukraine (national total)",
                                    "controlled_km2": totals["total_km2"]}))
        inside = area_series(history, units, source=source, dates=dates, progress=progress)
        frames.append(inside[["date", "source", "name", "controlled_km2"]]
                      .assign(source=source))
    return pd.concat(frames, ignore_index=True)

def source_differences(table: pd.DataFrame, /, *, value: str = "controlled_km2"
                       ) -> pd.DataFrame:
    """Side by side: one row per (name, date) with each source's km² and the difference.

    ``table`` is :func:`compare_sources`' long table (two sources), or stacked
    :func:`controlled_totals` tables with ``value="total_km2"``. The difference is the
    first source minus the second (ISW − DeepState), in km² and in % of the second.
    """
    if "name" not in table.columns:
        table = table.assign(name="Ukraine (national total)")
    sources = list(dict.fromkeys(table["source"]))
    if len(sources) != 2:
        raise InvalidArgumentError(f"source_differences needs two sources; got {sources}.")
    first, second = sources
    wide = table.pivot_table(index=["name", "date"], columns="source", values=value,
                             sort=False).reset_index()
    wide.columns.name = None
    wide = wide.rename(columns={first: f"{first}_km2", second: f"{second}_km2"})
    wide["difference_km2"] = wide[f"{first}_km2"] - wide[f"{second}_km2"]
    wide["difference_pct"] = 100.0 * wide["difference_km2"] / wide[f"{second}_km2"]
    return wide

def source_difference(history: History, date: DateLike, /, *,
                      sources: Sequence[str] = ("isw", "deepstate")) -> gpd.GeoDataFrame:
    """Where two sources' maps of one date disagree: held in one and not the other.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per polygon: ``kind`` (``"<first> only"``, ``"<second> only"``),
        ``date``, ``area_km2``; ``attrs["totals_km2"]`` holds each source's total.
    """
    from frontline._tiling import tile, tiled_difference

    held = {s: held_by_date(history, [date], source=s).iloc[0] for s in sources}
    first, second = sources
    tiles = {s: tile(held[s].geometry) for s in sources}
    rows = []
    for a, b in ((first, second), (second, first)):
        only = tiled_difference(tiles[a], tiles[b])
        for part in shapely.get_parts(only):
            if part.area > 0:
                rows.append({"kind": f"{a} only", "date": pd.Timestamp(date), "source": a,
                             "geometry": part})
    frame = gpd.GeoDataFrame(rows, columns=["kind", "date", "source", "geometry"],
                             geometry="geometry", crs="EPSG:4326")
    frame["area_km2"] = geodesic_area_km2(frame.geometry.values)
    frame.attrs["totals_km2"] = {s: float(held[s]["total_km2"]) for s in sources}
    return frame

@dataclass(frozen=True)
class MapSnapshots:
    """Which polygon maps stand for a period on a map, and why."""

    source: str  # "isw" or "deepstate"
    requested_start: pd.Timestamp
    requested_end: pd.Timestamp
    start: pd.Timestamp  # the snapshot shown for the start
    end: pd.Timestamp
    dates: pd.DatetimeIndex  # snapshots inside the period, for a close-up
    note: str

    @property
    def exact(self) -> bool:
        """Whether the maps shown are those of the period's own ends."""
        return self.start == self.requested_start and self.end == self.requested_end

    @property
    def credit(self) -> str:
        """The credit line of the maps' source."""
        return source_credit(self.source)

def _previous(dates: pd.DatetimeIndex, date: pd.Timestamp):
    before = dates[dates <= date]
    return before[-1] if len(before) else None

def map_snapshots(history: History, start: DateLike, end: DateLike, *,
                  max_offset_days: int = 3, sources: Sequence[str] = ("isw", "deepstate"),
                  every_days: int = 7) -> MapSnapshots:
    """The polygon snapshots a map of the change from ``start`` to ``end`` can show.

    Each source in ``sources`` is tried in turn: it is used when it has a polygon
    snapshot on, or at most ``max_offset_days`` before, each of ``start`` and ``end``
    (the latest one on or before the date, as ``gap_policy="previous"``). ISW's polygons
    come first, then DeepStateMap's daily map. The result names the dates shown, so a map
    can say "ISW maps of 29 Sep and 26 Oct" rather than pretend to show 30 Sep–27 Oct.

    ``dates`` lists the snapshots from start to end for a close-up: every one when there
    are at most six, else one every ``every_days`` days and the last.

    Raises
    ------
    SnapshotGapError
        When no source has polygons close enough to both dates.
    """
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    tried = []
    for source in sources:
        if source not in history.sources:
            tried.append(f"{source}: not in the data")
            continue
        layers = preset_layers(default_preset(source, None))
        dates = history.dates(source, layers)
        first, last = _previous(dates, start), _previous(dates, end)
        limit = pd.Timedelta(days=max_offset_days)
        if (first is None or last is None or start - first > limit or end - last > limit
                or first >= last):
            near = ", ".join(f"{d:%Y-%m-%d}" for d in (first, last) if d is not None)
            tried.append(f"{source}: nearest snapshots on or before are {near or 'none'}")
            continue
        inside = dates[(dates >= first) & (dates <= last)]
        if len(inside) > 6:
            targets = pd.date_range(first, last, freq=f"{every_days}D").append(
                pd.DatetimeIndex([last]))
            inside = pd.DatetimeIndex(sorted({_previous(inside, t) for t in targets}))
        name = SOURCE_NAMES.get(source, source)
        shown = f"{name} maps of {day_label(first)} and {day_label(last)}"
        if first != start or last != end:
            missing = [f"{d:%Y-%m-%d}" for d, used in ((start, first), (end, last))
                       if d != used]
            shown += (f" (no {name} polygons for {' and '.join(missing)}: the latest "
                      "earlier map is shown)")
        if source != sources[0]:
            first_name = SOURCE_NAMES.get(sources[0], sources[0])
            shown += (f"; {first_name} polygons are not available within "
                      f"{max_offset_days} days of both dates, so the map is "
                      f"{name}'s (its figures differ from {first_name}'s)")
        return MapSnapshots(source, start, end, first, last, inside, shown)
    raise SnapshotGapError(
        f"No polygons to map {start:%Y-%m-%d} → {end:%Y-%m-%d} within {max_offset_days} "
        f"days of both dates ({'; '.join(tried)}): raise max_offset_days or choose "
        "another month."
    )

def notebook_data_dir(start: StrPath | None = None) -> Path:
    """The data directory for a notebook, wherever JupyterLab was started.

    ``$FRONTLINE_DATA_DIR`` as given when absolute; a relative one (the README's
    ``FRONTLINE_DATA_DIR=../shared/data jupyter lab notebooks/``) is taken from the
    repository's root — the nearest folder above the kernel's working folder holding
    ``pyproject.toml`` and ``notebooks/`` — not from the kernel's own folder
    (``notebooks/``), where it would point elsewhere. The absolute path is then put back
    into ``FRONTLINE_DATA_DIR`` for this process, so functions called without
    ``data_dir=`` find the same folder.

    Parameters
    ----------
    start : path-like, optional
        Where to start looking for the repository (default: the working folder).

    Returns
    -------
    pathlib.Path
        The data directory (absolute).

    Raises
    ------
    DataDirError
        When the variable is unset or the folder does not exist (the message names both
        the value and the folder it was resolved to).
    """
    import os
    from pathlib import Path

    from frontline.errors import DataDirError
    from frontline.settings import ENV_DATA_DIR, resolve_data_dir

    value = os.environ.get(ENV_DATA_DIR)
    if not value:
        return resolve_data_dir()  # the cache of frontline fetch, or the usual error
    path = Path(value).expanduser()
    if not path.is_absolute():
        here = Path(start or Path.cwd()).resolve()
        root = next((d for d in (here, *here.parents)
                     if (d / "pyproject.toml").is_file() and (d / "notebooks").is_dir()),
                    here)
        path = root / path
    path = path.resolve()
    if not path.is_dir():
        raise DataDirError(
            f"{ENV_DATA_DIR}={value} resolves to {path}, which does not exist: set it to "
            "the data directory (absolute, or relative to the repository's root)."
        )
    os.environ[ENV_DATA_DIR] = str(path)
    return path
