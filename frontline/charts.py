"""The month's publication charts, and the series the notebooks chart.

:func:`publication_charts` writes, for one month (``frontline charts --month``):

``monthly_gains_<month>.png|svg|csv``
    Net change per month for the 12 months ending with ``month`` (ISW, preset ``afp``,
    :func:`frontline.monthly_gains` with ``gap_policy="interpolate"``): a month whose end
    date has no ISW snapshot is interpolated between the nearest snapshots, drawn hatched
    and marked ``exact=False`` in the CSV.
``gains_map_<month>.png|svg|csv``
    Territory gained and lost in the month, over oblasts and towns, with a locator map of
    Ukraine; the CSV splits the change by oblast. A map needs polygons at both ends, and
    ISW's polygons exist only on a few dates: :func:`map_snapshots` takes ISW's polygon
    snapshots when there is one at most ``max_offset_days`` before each end of the month,
    else DeepStateMap's daily map, and the chart says which maps and dates it shows.
``pokrovsk_<month>.png|svg|csv``
    The Pokrovsk close-up: the area held on the snapshot dates of the month (every ISW
    snapshot, or DeepStateMap weekly), from the same source as the map; the CSV has the
    area held inside Pokrovsk raion and within 10 and 20 km of the town, and the distance
    from the town to the area held (:func:`axis_series`).
``notes_<month>.md``
    What each file shows, the snapshots used, what is inexact, and the credit line.

Every file is written through a temporary name and renamed into place.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from tqdm.auto import tqdm

from ._output import format_table, write_atomic
from .area import geodesic_area_km2, km2_to_mi2
from .change import _default_preset, change, monthly_gains, snapshot
from .errors import SnapshotGapError
from .history import History
from .layers import preset_layers
from .plot import (
    _SOURCE_LABELS,
    _date_axis,
    _day,
    _footer,
    _set_title,
    plot_change_map,
    plot_controlled_total,
    plot_monthly_gains,
    plot_pokrovsk,
    source_credit,
)

__all__ = [
    "UKRAINE_KM2",
    "MapSnapshots",
    "axis_series",
    "compare_sources",
    "controlled_totals",
    "held_by_date",
    "map_snapshots",
    "plot_axis_series",
    "plot_totals",
    "publication_charts",
    "reproduce_published",
    "plot_source_difference",
    "sample_dates",
    "source_difference",
    "source_differences",
]

#: Ukraine's area within its 2013 borders, km² (the official figure; geodesic sums of
#: the boundary files give 602,517 without Sevastopol, see data/README.md).
UKRAINE_KM2 = 603_550.0

_NBSP = "\u00a0"
_SOURCE_NAMES = {"isw": "ISW/CTP", "deepstate": "DeepStateMap"}
_MEASURES = {
    "isw": "ISW's control + advances + claimed layers",
    "deepstate": "DeepStateMap's occupied area",
}


# --------------------------------------------------------------------------- series


def sample_dates(dates, every: str | None = None) -> pd.DatetimeIndex:
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
                      layers=None, start=None, end=None, every: str | None = None,
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
        :mod:`frontline.change`.
    """
    if layers is None:
        layers = preset_layers(_default_preset(source, preset))
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
                unit: str | None = "Pokrovsk raion", radii_km=(10, 20), start=None,
                end=None, dates=None, gap_policy: str = "error", data_dir=None,
                progress: bool = False) -> pd.DataFrame:
    """Area held around a town, and the distance to it, on every snapshot date.

    One row per date with the area held inside ``unit`` and within each radius of the
    town (geodesic circles clipped to Ukraine's land), how much of each was taken since
    the first date of the series, and the shortest distance from the town to the area
    held (:func:`frontline.area_series` and :func:`frontline.distance_series`).

    Parameters
    ----------
    town : str
        A town name (:func:`frontline.find_town`).
    source : {"isw", "isw-weekly", "deepstate"}
        A source with polygons.
    unit : str, optional
        A unit name (:func:`frontline.find_unit`); None for the rings only.
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
    from .regions import area_series, distance_series
    from .units import area_from_spec

    data_dir = _data_dir(history, data_dir)
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


def held_by_date(history: History, dates, /, *, source: str, preset: str | None = None,
                 gap_policy: str = "error") -> gpd.GeoDataFrame:
    """The area held on each date as one polygon per date, for maps.

    Returns
    -------
    geopandas.GeoDataFrame
        ``date, snapshot, source, exact, total_km2, geometry`` (EPSG:4326): the union of
        the preset's layers (:func:`frontline.snapshot`), as :func:`frontline.plot_pokrovsk`
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
        :func:`frontline.change` with ``gap_policy``).
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


def compare_sources(history: History, areas=("Donetsk oblast", "Pokrovsk raion"), /, *,
                    sources=("isw", "deepstate"), dates=None, data_dir=None,
                    progress: bool = False) -> pd.DataFrame:
    """The area held by each source on their common dates: all of it, and inside areas.

    Parameters
    ----------
    areas : sequence of str
        Unit names (:func:`frontline.find_unit`), each measured on its own.
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
    from .regions import area_series
    from .units import area_from_spec

    if dates is None:
        common = None
        for source in sources:
            layers = preset_layers(_default_preset(source, None))
            have = history.dates(source, layers)
            common = have if common is None else common.intersection(have)
        dates = common
    dates = pd.DatetimeIndex(pd.to_datetime(list(dates)))
    if len(dates) == 0:
        raise SnapshotGapError(f"{' and '.join(sources)} have no snapshot date in common.")
    data_dir = _data_dir(history, data_dir)
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
        raise ValueError(f"source_differences needs two sources; got {sources}.")
    first, second = sources
    wide = table.pivot_table(index=["name", "date"], columns="source", values=value,
                             sort=False).reset_index()
    wide.columns.name = None
    wide = wide.rename(columns={first: f"{first}_km2", second: f"{second}_km2"})
    wide["difference_km2"] = wide[f"{first}_km2"] - wide[f"{second}_km2"]
    wide["difference_pct"] = 100.0 * wide["difference_km2"] / wide[f"{second}_km2"]
    return wide


def plot_totals(totals: pd.DataFrame, *, ax=None, share_of: float | None = UKRAINE_KM2):
    """:func:`frontline.plot_controlled_total` with each line saying what it measures.

    ``totals`` stacks :func:`controlled_totals` tables (``date, source, measures,
    total_km2``); the legend reads e.g. "ISW/CTP (weekly copies): control + advances".
    """
    if "measures" in totals.columns:
        measures = totals.groupby("source")["measures"].agg(lambda m: sorted(set(m)))
        mixed = measures[measures.map(len) > 1]
        if len(mixed):
            raise ValueError(
                f"One line per source and measure: {', '.join(mixed.index)} has several "
                f"({'; '.join(' / '.join(m) for m in mixed)}); rename the source of one."
            )
    ax = plot_controlled_total(totals, ax=ax, share_of=share_of)
    if "measures" in totals.columns:
        labels = {_SOURCE_LABELS.get(s, s): f"{_SOURCE_LABELS.get(s, s)}: {m[0]}"
                  for s, m in measures.items()}
        for line in ax.get_lines():
            if line.get_label() in labels:
                line.set_label(labels[line.get_label()])
        ax.legend(title="source: layers measured", fontsize=7, title_fontsize=7)
    return ax


def plot_axis_series(series: pd.DataFrame, *, axes=None):
    """Area held inside the unit and within the largest ring, and the distance to the
    town, over time: one line per source (:func:`axis_series` tables stacked).

    Returns
    -------
    (matplotlib.axes.Axes, matplotlib.axes.Axes)
        The area panel and the distance panel.
    """
    from matplotlib.ticker import StrMethodFormatter

    rings = sorted(int(c.split("_")[1][:-2]) for c in series.columns
                   if c.startswith("within_") and c.endswith("km_km2"))
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
    area_ax, distance_ax = axes
    frame = series.assign(date=pd.to_datetime(series["date"]))
    town = str(frame["town"].iloc[0])
    unit = str(frame["unit"].iloc[0]) if "unit" in frame.columns else None
    spans = []
    for index, (source, group) in enumerate(frame.groupby("source", sort=True)):
        label = _SOURCE_LABELS.get(source, source)
        style = {"color": f"C{index}", "marker": "o" if len(group) <= 40 else None,
                 "markersize": 3}  # one colour per source in both panels
        if unit is not None:
            area_ax.plot(group["date"], group["unit_km2"], label=f"{label}: in {unit}",
                         **style)
        if rings:
            area_ax.plot(group["date"], group[f"within_{rings[-1]}km_km2"], linestyle="--",
                         label=f"{label}: within {rings[-1]} km of {town}", **style)
        distance_ax.plot(group["date"], group["distance_km"], label=label, **style)
        spans.append(f"{label}: {len(group)} snapshots, "
                     f"{_day(group['date'].min())} – {_day(group['date'].max())}")
    for ax in axes:
        _date_axis(ax)
        ax.grid(color="0.9")
        ax.set_xlabel("Date of the map")
        ax.legend(fontsize=7)
    area_ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    area_ax.set_ylabel("Area held by Russia (km²)")
    distance_ax.set_ylabel(f"Distance from {town} (km)")
    distance_ax.set_ylim(bottom=0)
    period = f"{_day(frame['date'].min())} – {_day(frame['date'].max())}"
    _set_title(area_ax, f"Area held by Russia near {town}, km²", period)
    _set_title(distance_ax, f"Distance from {town}'s centre to the area held, km", period)
    _footer(area_ax, ["; ".join(spans)])
    _footer(distance_ax, [source_credit(list(frame["source"].unique()))
                          + ". Chart: frontline."])
    return area_ax, distance_ax


def source_difference(history: History, date, /, *, sources=("isw", "deepstate")
                      ) -> gpd.GeoDataFrame:
    """Where two sources' maps of one date disagree: held in one and not the other.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per polygon: ``kind`` (``"<first> only"``, ``"<second> only"``),
        ``date``, ``area_km2``; ``attrs["totals_km2"]`` holds each source's total.
    """
    from ._overlay import tile, tiled_difference

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


def plot_source_difference(difference: gpd.GeoDataFrame, *, boundaries=None, towns=None,
                           extent=None, ax=None):
    """Map of :func:`source_difference`: each source's extra area in its own colour.

    The default window is where most of the disagreement lies (a locator is not drawn);
    pass ``extent=(minx, miny, maxx, maxy)`` for another.
    """
    from matplotlib.patches import Patch

    from .plot import _draw_boundaries, _draw_towns, _new_axes, _set_map_extent

    kinds = list(dict.fromkeys(difference["kind"]))
    if extent is None:
        extent = _zoom_extent(difference, share=0.9)
    ax = _new_axes(ax, (9, 8))
    ax.set_facecolor("#f7f7f4")
    colours = ["#d95f02", "#7570b3"]
    handles = []
    for kind, colour in zip(kinds, colours, strict=False):
        part = difference[difference["kind"] == kind]
        clipped = part.clip(extent) if extent is not None else part
        if not clipped.empty:
            clipped.plot(ax=ax, color=colour, linewidth=0, zorder=3)
        source = str(part["source"].iloc[0])
        handles.append(Patch(color=colour, label=f"held by Russia per "
                             f"{_SOURCE_LABELS.get(source, source)} only: "
                             f"{part['area_km2'].sum():,.0f} km²"))
    _draw_boundaries(ax, boundaries, extent)
    _draw_towns(ax, towns if towns is None or isinstance(towns, gpd.GeoDataFrame)
                else gpd.GeoDataFrame(towns[["name"]], geometry=gpd.points_from_xy(
                    towns["longitude"], towns["latitude"]), crs="EPSG:4326"), extent)
    _set_map_extent(ax, extent)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
              frameon=False)
    date = pd.Timestamp(difference["date"].iloc[0])
    totals = difference.attrs.get("totals_km2", {})
    names = " vs ".join(_SOURCE_LABELS.get(s, s) for s in totals) or " vs ".join(kinds)
    _set_title(ax, f"Where the maps disagree: {names}", f"{_day(date)}, km²")
    lines = [", ".join(f"{_SOURCE_LABELS.get(s, s)} total {v:,.0f} km²"
                       for s, v in totals.items())]
    lines.append(source_credit(list(difference["source"].unique())) + ". Chart: frontline.")
    _footer(ax, lines)
    return ax


# --------------------------------------------------------------------------- map dates


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
        return self.start == self.requested_start and self.end == self.requested_end

    @property
    def credit(self) -> str:
        return source_credit(self.source)


def _previous(dates: pd.DatetimeIndex, date: pd.Timestamp):
    before = dates[dates <= date]
    return before[-1] if len(before) else None


def map_snapshots(history: History, start, end, *, max_offset_days: int = 3,
                  sources=("isw", "deepstate"), every_days: int = 7) -> MapSnapshots:
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
        layers = preset_layers(_default_preset(source, None))
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
        name = _SOURCE_NAMES.get(source, source)
        shown = f"{name} maps of {_day(first)} and {_day(last)}"
        if first != start or last != end:
            missing = [f"{d:%Y-%m-%d}" for d, used in ((start, first), (end, last))
                       if d != used]
            shown += (f" (no {name} polygons for {' and '.join(missing)}: the latest "
                      "earlier map is shown)")
        if source != sources[0]:
            first_name = _SOURCE_NAMES.get(sources[0], sources[0])
            shown += (f"; {first_name} polygons are not available within "
                      f"{max_offset_days} days of both dates, so the map is "
                      f"{name}'s (its figures differ from {first_name}'s)")
        return MapSnapshots(source, start, end, first, last, inside, shown)
    raise SnapshotGapError(
        f"No polygons to map {start:%Y-%m-%d} → {end:%Y-%m-%d} within {max_offset_days} "
        f"days of both dates ({'; '.join(tried)}): raise max_offset_days or choose "
        "another month."
    )


# --------------------------------------------------------------------------- the set


def _data_dir(history: History, data_dir):
    from ._config import resolve_data_dir

    if data_dir is None and history.root is not None:
        return history.root
    return resolve_data_dir(data_dir)


def _unbroken(text: str) -> str:
    """No line break inside a date (``31 Aug 2024``) when a title wraps."""
    return text.replace(" ", _NBSP)


def _period_name(month: pd.Period, end: pd.Timestamp) -> str:
    if end == month.to_timestamp(how="end").normalize():
        return f"{month:%B %Y}"
    return f"1–{end.day} {month:%B %Y}"


def _save(fig, stem: Path, metadata: dict) -> list[Path]:
    """PNG (200 dpi) and SVG (text kept as text) of a figure, written atomically."""
    import matplotlib

    written = []
    for fmt in ("png", "svg"):
        buffer = io.BytesIO()
        meta = dict(metadata) if fmt == "png" else {"Title": metadata.get("Title"),
                                                   "Description": metadata.get("Source")}
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "frontline"}):
            fig.savefig(buffer, format=fmt, dpi=200, bbox_inches="tight", metadata=meta,
                        facecolor="white")
        written.append(write_atomic(stem.with_suffix(f".{fmt}"), buffer.getvalue()))
    return written


def _monthly(history, month: pd.Period, through) -> pd.DataFrame:
    """The 12 months ending with ``month`` (fewer when ISW's data starts later)."""
    layers = preset_layers("afp")
    known = [history.dates(s, layers) for s in ("isw", "isw-areas") if s in history.sources]
    first_date = min((d[0] for d in known if len(d)), default=None)
    first = month - 11
    if first_date is not None:
        earliest = (first_date + pd.Timedelta(days=1)).to_period("M")
        if first_date != first_date + pd.offsets.MonthEnd(0):
            earliest += 1  # the month after the first snapshot's month needs its end
        first = max(first, min(earliest, month))
    table = monthly_gains(history, start=str(first), end=str(month), through=through,
                          gap_policy="interpolate")
    table.insert(table.columns.get_loc("net_mi2"), "label_km2",
                 table["net_km2"].round().astype(int))
    table.insert(table.columns.get_loc("exact") + 1, "hatched", ~table["exact"])
    return table


def _month_change_polygons(history, month, shown: MapSnapshots):
    result = change(history, shown.start, shown.end, source=shown.source)
    polygons = result.polygons().assign(
        period=str(month), source=shown.source,
        start_snapshot=f"{shown.start:%Y-%m-%d}", end_snapshot=f"{shown.end:%Y-%m-%d}")
    return result, polygons


def _zoom_extent(polygons: gpd.GeoDataFrame, share: float = 0.8, pad: float = 0.3):
    """A window around where most of the area changed: the area-weighted central
    ``share`` of the polygons' centres in longitude and in latitude (stray far-off
    specks stay on the locator map), padded, at least 1.5° x 1° and about as wide as
    tall on the ground."""
    if polygons.empty:
        return None
    centres = shapely.get_coordinates(shapely.centroid(polygons.geometry.values))
    weights = polygons["area_km2"].to_numpy()
    tail = (1.0 - share) / 2
    bounds = []
    for axis in (0, 1):
        order = np.argsort(centres[:, axis])
        cumulative = np.cumsum(weights[order]) / weights.sum()
        low = centres[order, axis][np.searchsorted(cumulative, tail)]
        high = centres[order, axis][min(np.searchsorted(cumulative, 1 - tail),
                                        len(order) - 1)]
        bounds.append((low, high))
    (minx, maxx), (miny, maxy) = bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_x, half_y = max((maxx - minx) / 2 + pad, 0.75), max((maxy - miny) / 2 + pad, 0.5)
    stretch = 1.0 / np.cos(np.radians(cy))  # degrees of longitude per degree of latitude
    half_x = max(half_x, 0.9 * half_y * stretch)
    half_y = max(half_y, 0.6 * half_x / stretch)
    return (cx - half_x, cy - half_y, cx + half_x, cy + half_y)


def _locator(ax, oblasts, polygons, extent) -> None:
    """A small map of Ukraine under the legend: every change, the zoomed window outlined."""
    import math

    from matplotlib.patches import Rectangle

    inset = ax.inset_axes([1.03, 0.0, 0.42, 0.34])
    oblasts.boundary.plot(ax=inset, color="0.55", linewidth=0.3)
    for kind, colour in (("gained", "#b2182b"), ("lost", "#2166ac")):
        part = polygons[polygons["kind"] == kind]
        if not part.empty:
            part.plot(ax=inset, color=colour, linewidth=0)
    minx, miny, maxx, maxy = extent
    inset.add_patch(Rectangle((minx, miny), maxx - minx, maxy - miny, fill=False,
                              edgecolor="black", linewidth=0.9))
    bounds = oblasts.total_bounds
    inset.set_xlim(bounds[0], bounds[2])
    inset.set_ylim(bounds[1], bounds[3])
    inset.set_aspect(1.0 / math.cos(math.radians((bounds[1] + bounds[3]) / 2)))
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel("")
    inset.set_ylabel("")
    inset.set_title("Ukraine: the window shown", fontsize=7)


def _notes(month_name, monthly, shown, axis, net_map, written, credit) -> str:
    inexact = monthly.loc[~monthly["exact"], "period"].tolist()
    lines = [
        f"# frontline charts: {month_name}",
        "",
        f"{credit}. ISW/CTP data must be credited to \"ISW and AEI's Critical Threats "
        "Project\" and may not be redistributed without ISW's consent.",
        "",
        "## monthly_gains",
        f"Net change of the territory held or claimed by Russia (ISW's control + advances "
        f"+ claimed layers, preset afp), {monthly['period'].iloc[0]} to "
        f"{monthly['period'].iloc[-1]}; a month's figure is total(last day) − total(last "
        "day of the previous month).",
        "Gap policy: interpolate. " + (
            f"Inexact months (hatched bars, exact=false in the CSV): {', '.join(inexact)}: "
            "an end date without an ISW snapshot is interpolated linearly between the "
            "snapshots named in start_snapshot/end_snapshot." if inexact
            else "Every month is exact (snapshots on both end dates)."),
        "",
        "## gains_map",
        f"{shown.note}. Net change on the map: {net_map:,.1f} km² (the bar uses the "
        "month's exact or interpolated end dates, so it can differ). The CSV splits the "
        "mapped change by oblast.",
        "",
        "## pokrovsk",
        f"Area held around Pokrovsk on {len(axis)} {_SOURCE_NAMES[shown.source]} snapshot "
        f"dates: {', '.join(axis['snapshot'])}. The CSV gives the area held inside "
        "Pokrovsk raion and within 10 and 20 km (geodesic, Ukraine's land only) and the "
        "shortest distance from the town centre to the area held.",
        "",
        "## files",
        *[f"- {path.name}" for path in written],
        "",
    ]
    return "\n".join(lines)


def publication_charts(history: History, month, *, through=None, out_dir,
                       data_dir=None, progress: bool = True,
                       max_offset_days: int = 3) -> list[Path]:
    """Write the month's publication set: bars, gains map, Pokrovsk close-up, CSVs, notes.

    Parameters
    ----------
    history : History
        From :func:`frontline.load` (ISW polygons and area table; DeepState for maps).
    month : str or pandas.Period
        ``YYYY-MM``: the last month of the bars and the month mapped.
    through : date-like, optional
        End the month early on this date (AFP's "October up to the 27th").
    out_dir : path-like
        Folder for the files (created if needed).
    data_dir : path-like, optional
        Where the boundaries and towns are; default: the history's data directory.
    progress : bool
        A progress bar on stderr (tqdm).
    max_offset_days : int
        See :func:`map_snapshots`.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of the module docs.

    Notes
    -----
    ``publication_charts(frontline.load(), "2024-10", through="2024-10-27",
    out_dir="charts")`` writes AFP's October 2024 (about 15 s on 2 cores).
    """
    import matplotlib.pyplot as plt

    from .regions import breakdown
    from .units import load_towns, load_units

    month = pd.Period(month, "M")
    end = (pd.Timestamp(through).normalize() if through is not None
           else month.to_timestamp(how="end").normalize())
    if end.to_period("M") != month:
        raise ValueError(f"through={end:%Y-%m-%d} must fall in {month}: it ends that "
                         "month early.")
    start = (month - 1).to_timestamp(how="end").normalize()
    out_dir = Path(out_dir)
    data_dir = _data_dir(history, data_dir)
    month_name = _period_name(month, end)
    written: list[Path] = []
    bar = tqdm(total=4, desc=f"charts {month}", unit="chart", disable=not progress)

    def step(label):
        bar.set_postfix_str(label)

    try:
        # 1. bars for the last 12 months
        step("monthly table")
        monthly = _monthly(history, month, through)
        ax = plot_monthly_gains(monthly)
        credit_bars = source_credit(monthly["source"])
        stem = out_dir / f"monthly_gains_{month}"
        written += _save(ax.figure, stem, {"Title": ax.get_title(), "Source": credit_bars})
        plt.close(ax.figure)
        written.append(write_atomic(stem.with_suffix(".csv"), format_table(monthly, "csv")))
        bar.update()

        # 2. the month's map
        step("gains map")
        shown = map_snapshots(history, start, end, max_offset_days=max_offset_days)
        result, polygons = _month_change_polygons(history, month, shown)
        oblasts = load_units("oblast", data_dir=data_dir)
        towns = load_towns(data_dir=data_dir)
        extent = _zoom_extent(polygons)
        title = (f"Territory gained and lost by Russia, {month_name}\n"
                 f"{_SOURCE_NAMES[shown.source]}: maps of {_unbroken(_day(shown.start))} "
                 f"and {_unbroken(_day(shown.end))}; gained {result.gained_km2:,.0f} km², lost "
                 f"{result.lost_km2:,.0f} km², net {result.net_km2:+,.0f} km²"
                 ).replace(" km²", _NBSP + "km²")
        source_line = f"{shown.credit}. {shown.note}"
        ax = plot_change_map(polygons[polygons["kind"] == "gained"],
                             polygons[polygons["kind"] == "lost"], boundaries=oblasts,
                             towns=towns, extent=extent, title=title,
                             source_line=source_line)
        _locator(ax, oblasts, polygons, extent or tuple(oblasts.total_bounds))
        ax.figure.set_size_inches(10, 8)
        stem = out_dir / f"gains_map_{month}"
        written += _save(ax.figure, stem, {"Title": title, "Source": shown.credit})
        plt.close(ax.figure)
        by_oblast = breakdown(result, oblasts)
        by_oblast = by_oblast[(by_oblast["gained_km2"] > 0.005)
                              | (by_oblast["lost_km2"] > 0.005)]
        by_oblast = by_oblast.sort_values("net_km2", ascending=False)
        total = result.to_frame().assign(level="country", name="Ukraine (all polygons)")
        table = pd.concat([by_oblast, total], ignore_index=True)[[
            "level", "name", "start_date", "end_date", "start_snapshot", "end_snapshot",
            "source", "preset", "gained_km2", "lost_km2", "net_km2", "net_mi2",
        ]].rename(columns={"start_date": "period_start", "end_date": "period_end"})
        table.insert(2, "period", str(month))
        table["period_start"], table["period_end"] = start, end
        written.append(write_atomic(stem.with_suffix(".csv"), format_table(table, "csv")))
        bar.update()

        # 3. the Pokrovsk close-up
        step("Pokrovsk")
        held = held_by_date(history, shown.dates, source=shown.source)
        title = (f"Pokrovsk axis, {month_name}: area held by Russia on each "
                 f"{_SOURCE_NAMES[shown.source]} snapshot date\n"
                 f"{_day(shown.dates[0])} – {_day(shown.dates[-1])}")
        ax = plot_pokrovsk(held, data_dir=data_dir, title=title)
        stem = out_dir / f"pokrovsk_{month}"
        written += _save(ax.figure, stem, {"Title": title, "Source": shown.credit})
        plt.close(ax.figure)
        axis = axis_series(history, "Pokrovsk", source=shown.source, dates=shown.dates,
                           data_dir=data_dir)
        written.append(write_atomic(stem.with_suffix(".csv"), format_table(axis, "csv")))
        bar.update()

        # 4. notes
        step("notes")
        credit = source_credit(["isw", shown.source])
        notes_path = out_dir / f"notes_{month}.md"
        written.append(notes_path)
        write_atomic(notes_path, _notes(month_name, monthly, shown, axis, result.net_km2,
                                        written, credit))
        bar.update()
    finally:
        bar.close()
    return written

