"""Regional breakdowns, area-through-time and distance-to-town series.

Everything here measures a day's controlled area (the union of a preset's layers, as in
:mod:`frontline.changes`) inside administrative units or custom areas
(:mod:`frontline.boundaries`), geodesically on the WGS84 ellipsoid:

* :func:`breakdown` splits a :class:`~frontline.changes.Change` by unit: gained, lost and
  net km²/mi², the unit's controlled share at both ends and its share of the national
  net figure. :func:`monthly_by_unit` does it for every month of the monthly table.
* :func:`area_series` follows the controlled area inside one or more units on every
  snapshot date of a source (every ISW date, every DeepState day).
* :func:`distance_series` gives the shortest geodesic distance from a town to the
  controlled area on every date (0 when the town is inside it).

How it stays fast
-----------------
Units are cut once into tiles on a 0.2° grid (:class:`UnitTiles`). On each day only the
tiles the day's outline passes through are intersected — every other tile is wholly
inside or wholly outside, decided by one point-in-polygon test — and the day's polygon
is first clipped to the tile's bounding box. A crossed tile whose clipped polygon is
byte-for-byte the one it saw last time keeps its area, so along a daily series only the
tiles where the front moved are recomputed. ``benchmarks/bench_regions.py`` times this
against a loop of :func:`geopandas.overlay` calls.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from tqdm.auto import tqdm

from frontline._tiling import UnitTiles
from frontline._typing import DateLike, StrPath
from frontline.boundaries import LEVELS, area_from_spec, find_town, load_units
from frontline.cache import get_cache
from frontline.changes import Change, Totals, default_preset, monthly_changes
from frontline.errors import InvalidArgumentError, SnapshotGapError
from frontline.geodesy import (
    geodesic_area_km2,
    geodesic_distance_km,
    km2_to_mi2,
    local_transformers,
    transform_geometry,
)
from frontline.history import History

__all__ = [
    "BREAKDOWN_COLUMNS",
    "UnitTiles",
    "area_series",
    "areas_within",
    "breakdown",
    "distance_series",
    "distance_to",
    "monthly_by_unit",
]

#: Units to break down by: a level (``"raion"``), unit name(s), or a GeoDataFrame.
Units: TypeAlias = str | Iterable[str] | gpd.GeoDataFrame

BREAKDOWN_COLUMNS = [
    "level", "code", "name", "oblast", "unit_area_km2", "start_date", "end_date",
    "start_snapshot", "end_snapshot", "source", "preset", "exact",
    "controlled_start_km2", "controlled_end_km2", "share_start_pct", "share_end_pct",
    "gained_km2", "lost_km2", "net_km2", "gained_mi2", "lost_mi2", "net_mi2",
    "share_of_national_net_pct",
]

_SEGMENT_DEG = 0.001


# --------------------------------------------------------------------------- tiles


_TILE_CACHE: OrderedDict = OrderedDict()


def _tiles(units: gpd.GeoDataFrame) -> UnitTiles:
    """Tiles for a units table, cached on the units' geometry (tiling takes ~1 s)."""
    digest = hashlib.sha1()
    for wkb in shapely.to_wkb(np.asarray(units.geometry.values, dtype=object)):
        digest.update(wkb)
    key = digest.hexdigest()
    if key not in _TILE_CACHE:
        _TILE_CACHE[key] = UnitTiles(units.geometry.values)
        while len(_TILE_CACHE) > 4:
            _TILE_CACHE.popitem(last=False)
    _TILE_CACHE.move_to_end(key)
    return _TILE_CACHE[key]


def _as_units(units, data_dir=None) -> gpd.GeoDataFrame:
    """A units table from a level name, a unit name/list, or a GeoDataFrame."""
    if isinstance(units, gpd.GeoDataFrame):
        frame = units
    elif isinstance(units, str) and units in LEVELS:
        frame = load_units(units, data_dir=data_dir)
    else:
        frame = area_from_spec(area=units, data_dir=data_dir)
    if frame.crs is None:
        raise InvalidArgumentError("The units GeoDataFrame has no CRS: set one with .set_crs(...).")
    frame = frame.to_crs("EPSG:4326").reset_index(drop=True)
    if "name" not in frame.columns:
        frame = frame.assign(name=frame.get("name_en", pd.Series(frame.index.astype(str))))
    for column, default in (("level", "custom"), ("code", ""), ("oblast", None)):
        if column not in frame.columns:
            frame[column] = default
    if "area_km2" not in frame.columns:
        frame["area_km2"] = geodesic_area_km2(frame.geometry.values)
    return frame


def areas_within(geometry: shapely.Geometry, units: Units) -> pd.DataFrame:
    """km² of a geometry (EPSG:4326) inside each unit, and its share of the unit's area.

    Returns
    -------
    pandas.DataFrame
        ``code, name, area_km2`` of the units, ``within_km2`` and ``share_pct``.
    """
    units = _as_units(units)
    within = _tiles(units).areas(geometry)
    frame = units[["code", "name", "area_km2"]].copy()
    frame["within_km2"] = within
    frame["share_pct"] = 100.0 * within / frame["area_km2"]
    return pd.DataFrame(frame)


# --------------------------------------------------------------------------- breakdown


def _need_polygons(snapshot, what: str) -> None:
    if snapshot.geometry is None:
        raise SnapshotGapError(
            f"The {what} ({snapshot.describe()}, input {snapshot.input}) has no polygons, "
            "only a total: a breakdown by unit needs polygons at both ends. Use a source "
            "with polygons (--source isw or deepstate) or gap_policy='previous'."
        )


def breakdown(change: Change, units: Units, *, data_dir: StrPath | None = None
              ) -> pd.DataFrame:
    """Split a change by unit: gained, lost, net, controlled shares, share of national net.

    Parameters
    ----------
    change : Change
        From :func:`frontline.changes`; both ends need polygons.
    units : {"oblast", "raion", "hromada"}, unit name(s), or GeoDataFrame
        A level loads every unit of it (:func:`~frontline.boundaries.load_units`); names build
        one area (:func:`~frontline.boundaries.area_from_spec`); a GeoDataFrame is used as is.

    Returns
    -------
    pandas.DataFrame
        One row per unit, :data:`BREAKDOWN_COLUMNS`. ``share_start_pct`` and
        ``share_end_pct`` are the controlled share of the unit's land area;
        ``share_of_national_net_pct`` is the unit's net over the change's national net.
        ``attrs`` holds ``national_net_km2`` and ``outside_net_km2`` (the part of the
        national net outside every unit, e.g. Sevastopol or polygons past the coast).
    """
    _need_polygons(change.start, "start")
    _need_polygons(change.end, "end")
    units = _as_units(units, data_dir if data_dir is not None else change.data_dir)
    tiles = _tiles(units)

    def measure() -> np.ndarray:
        return np.concatenate([tiles.areas(g) for g in (
            change.start.geometry, change.end.geometry, change.gained, change.lost)])

    cache = get_cache() if change.keys is not None else None
    values = (measure() if cache is None  # kept by the change's keys and the units' tiles
              else cache.measure(("breakdown", tiles.digest, *change.keys), measure))
    start, end, gained, lost = values.reshape(4, tiles.n_units)
    net = end - start
    row = change.to_frame().iloc[0]
    frame = pd.DataFrame({
        "level": units["level"].values, "code": units["code"].values,
        "name": units["name"].values, "oblast": units["oblast"].values,
        "unit_area_km2": units["area_km2"].values,
        "start_date": row["start_date"], "end_date": row["end_date"],
        "start_snapshot": row["start_snapshot"], "end_snapshot": row["end_snapshot"],
        "source": row["source"], "preset": change.preset, "exact": change.exact,
        "controlled_start_km2": start, "controlled_end_km2": end,
        "share_start_pct": 100.0 * start / units["area_km2"].values,
        "share_end_pct": 100.0 * end / units["area_km2"].values,
        "gained_km2": gained, "lost_km2": lost, "net_km2": net,
        "gained_mi2": km2_to_mi2(gained), "lost_mi2": km2_to_mi2(lost),
        "net_mi2": km2_to_mi2(net),
        "share_of_national_net_pct": (100.0 * net / change.net_km2 if change.net_km2
                                      else np.full(len(net), np.nan)),
    }, columns=BREAKDOWN_COLUMNS)
    frame.attrs["national_net_km2"] = change.net_km2
    frame.attrs["outside_net_km2"] = change.net_km2 - float(net.sum())
    return frame


def monthly_by_unit(history: History, units: Units, /, *, data_dir: StrPath | None = None,
                    **monthly: Any) -> pd.DataFrame:
    """:func:`breakdown` for every month of the monthly table, stacked with a ``period``.

    ``monthly`` takes the keywords of :func:`frontline.changes.monthly_changes`
    (``start``, ``end``, ``through``, ``preset``, ``source``, ``gap_policy``).

    Parameters
    ----------
    history : History
        The layers to measure (polygons on the month ends).
    units : str, list of str or geopandas.GeoDataFrame
        A level (``"oblast"``, ``"raion"``, …), unit names, or your own polygons.
    data_dir : path, optional
        Where the boundaries are; default: the folder ``history`` was loaded from.
    **monthly
        Keywords of :func:`frontline.changes.monthly_changes`.

    Returns
    -------
    pandas.DataFrame
        One row per unit and month: :func:`breakdown`'s columns and ``period``.
    """
    units = _as_units(units, data_dir if data_dir is not None else history)
    frames = []
    for period, change in monthly_changes(history, **monthly):
        frame = breakdown(change, units)
        frame.insert(0, "period", period)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- series


@dataclass(frozen=True)
class _Day:
    """One date of a series: what was asked, which snapshot answered, its polygons.

    ``load`` gives the polygons when first asked (a measure held in the cache needs
    none); ``keys`` name the layers they are the union of (None when unknown).
    """

    requested: pd.Timestamp
    label: str
    input: str
    exact: bool
    load: Callable = field(repr=False)
    keys: tuple | None = None
    #: The layers ``load`` unions (read ahead by :func:`_prefetched`); () when ``load``
    #: is a snapshot already measured.
    layers: tuple = ()

    @property
    def geometry(self):
        """The day's controlled area (EPSG:4326)."""
        return self.load()

    def held(self, history: History, kind: tuple) -> bool:
        """Whether the cache holds this day's measure ``kind`` (no polygons needed)."""
        return (history.store is not None and self.keys is not None
                and history.store.has_measure((*kind, *self.keys)))

    def measure(self, history: History, kind: tuple, compute) -> np.ndarray:
        """``compute(geometry)``, kept in the history's cache under ``kind`` + the keys."""
        if history.store is None or self.keys is None:
            return np.asarray(compute(self.geometry), dtype=float)
        return history.store.measure((*kind, *self.keys), lambda: compute(self.geometry))


def _days(history: History, source, preset, start, end, dates, gap_policy):
    """(preset, _Day) for each date of a series; polygons required."""
    if source in (None, "isw-areas"):
        raise InvalidArgumentError(
            f"A series inside an area needs polygons: pass source='isw', 'isw-weekly' or "
            f"'deepstate' (got {source!r})."
        )
    preset = default_preset(source, preset)
    totals = Totals(history, source, preset)
    if dates is not None:
        for date in pd.DatetimeIndex(pd.to_datetime(list(dates))).normalize():
            snap = totals.snapshot(date, gap_policy)
            _need_polygons(snap, f"snapshot for {date:%Y-%m-%d}")
            yield preset, _Day(snap.requested, snap.label, snap.input, snap.exact,
                               lambda snap=snap: snap.geometry)
        return
    wanted = history.dates(source, totals.layers, start=start, end=end)
    if len(wanted) == 0:
        raise SnapshotGapError(
            f"No {source} snapshot between {start or 'the start'} and {end or 'the end'}."
        )
    for date in wanted:
        # every date here is a snapshot: union its layers without measuring the total
        keys = history.layer_keys(source, date,
                                  history.resolve_layers(source, date, totals.layers))
        yield preset, _Day(date, f"{date:%Y-%m-%d}", source, True,
                           lambda date=date: history.union(source, date, totals.layers),
                           keys, tuple(totals.layers))


def _prefetched(history: History, snapshots, kind: tuple) -> list:
    """The series' days, the files of those whose measure ``kind`` is not cached read
    ahead in threads (:meth:`History.prefetch`); a warm run reads none.
    """
    snapshots = list(snapshots)
    missing = [day for _, day in snapshots if day.layers and not day.held(history, kind)]
    if missing:
        source = missing[0].input
        history.prefetch(source, [day.requested for day in missing], missing[0].layers)
    return snapshots


def area_series(history: History, area: Units, /, *, source: str, preset: str | None = None,
                start: DateLike | None = None, end: DateLike | None = None,
                dates: Iterable[DateLike] | None = None, gap_policy: str = "error",
                data_dir: StrPath | None = None, progress: bool = False) -> pd.DataFrame:
    """Controlled area and share inside one or more areas on every snapshot date.

    Parameters
    ----------
    history : History
    area : unit name(s), GeoDataFrame, or level name
        ``"Pokrovsk raion"``, ``["Donetsk oblast", "Luhansk oblast"]`` (one union area),
        :func:`~frontline.boundaries.area_from_spec` output, or ``"raion"`` for every raion.
    source : {"isw", "isw-weekly", "deepstate"}
        A source with polygons.
    start, end : date-like, optional
        Limit the series to snapshot dates in this range.
    dates : list of date-like, optional
        Exactly these dates instead (``gap_policy`` decides what a date without a
        snapshot gives).

    Returns
    -------
    pandas.DataFrame
        Long and tidy: one row per (date, area) with ``date, snapshot, source, preset,
        exact, code, name, area_km2, controlled_km2, controlled_mi2, share_pct``.
    """
    units = _as_units(area, data_dir if data_dir is not None else history)
    tiles = _tiles(units)
    kind = ("within", tiles.digest)
    days, within = [], []
    snapshots = _prefetched(history, _days(history, source, preset, start, end, dates,
                                           gap_policy), kind)
    for used_preset, day in tqdm(snapshots, desc="measuring", unit="day",
                                 disable=not progress):
        days.append((day.requested, day.label, day.input, used_preset, day.exact))
        within.append(day.measure(history, kind, tiles.areas))
    n = len(units)
    meta = pd.DataFrame(days, columns=["date", "snapshot", "source", "preset", "exact"])
    frame = meta.loc[meta.index.repeat(n)].reset_index(drop=True)
    frame["code"] = np.tile(units["code"].to_numpy(), len(days))
    frame["name"] = np.tile(units["name"].to_numpy(), len(days))
    frame["area_km2"] = np.tile(units["area_km2"].to_numpy(dtype=float), len(days))
    frame["controlled_km2"] = np.concatenate(within)
    frame["controlled_mi2"] = km2_to_mi2(frame["controlled_km2"])
    frame["share_pct"] = 100.0 * frame["controlled_km2"] / frame["area_km2"]
    return frame


def distance_to(geometry: shapely.Geometry, latitude: float, longitude: float) -> dict:
    """Shortest geodesic distance (km) from a point to a geometry; 0 when inside.

    The nearest point is found in an azimuthal equidistant projection centred on the
    point (distances from the centre are true there), after densifying the geometry's
    edges to 0.001° so that edges straight in lon/lat stay so; the distance to it is then
    measured on the WGS84 ellipsoid (:meth:`pyproj.Geod.inv`). Only the part of the
    geometry in a window around the point is projected; the window grows until the
    nearest point found is closer than the window's edge.

    Returns
    -------
    dict
        ``distance_km``, ``inside``, ``nearest_latitude``, ``nearest_longitude``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> round(distance_to(box(37.0, 48.0, 38.0, 49.0), 47.5, 37.5)["distance_km"], 2)
    55.59
    """
    empty = {"distance_km": np.nan, "inside": False, "nearest_latitude": np.nan,
             "nearest_longitude": np.nan}
    if geometry is None or geometry.is_empty:
        return empty
    if shapely.intersects(geometry, shapely.Point(longitude, latitude)):
        return {"distance_km": 0.0, "inside": True, "nearest_latitude": latitude,
                "nearest_longitude": longitude}
    forward, back = local_transformers(latitude, longitude)
    # window half-heights in degrees of latitude (~111 km each); lon scaled by cos(lat)
    stretch = 1.0 / max(np.cos(np.radians(latitude)), 0.1)
    for half in (0.25, 1.0, 4.0, None):
        if half is None:
            part = geometry
        else:
            part = shapely.clip_by_rect(geometry, longitude - half * stretch, latitude - half,
                                        longitude + half * stretch, latitude + half)
            if part.is_empty:
                continue
        # edges are straight in lon/lat: densify (~100 m) so they stay so once projected
        local = transform_geometry(shapely.segmentize(part, _SEGMENT_DEG), forward)
        line = shapely.shortest_line(shapely.Point(0.0, 0.0), local)
        x, y = shapely.get_coordinates(line)[-1]
        if half is not None and np.hypot(x, y) > 0.95 * half * 110_000:
            continue  # something outside the window may be closer
        lon, lat = back.transform(x, y)
        return {"distance_km": float(geodesic_distance_km(longitude, latitude, lon, lat)),
                "inside": False, "nearest_latitude": lat, "nearest_longitude": lon}
    return empty  # pragma: no cover - the last pass always returns


def _distance_values(geometry, latitude: float, longitude: float) -> list[float]:
    found = distance_to(geometry, latitude, longitude)
    return [found["distance_km"], float(found["inside"]), found["nearest_latitude"],
            found["nearest_longitude"]]


def distance_series(history: History, town: str | tuple[float, float], /, *, source: str,
                    preset: str | None = None, start: DateLike | None = None,
                    end: DateLike | None = None, dates: Iterable[DateLike] | None = None,
                    gap_policy: str = "error", data_dir: StrPath | None = None,
                    progress: bool = False) -> pd.DataFrame:
    """Distance from a town to the controlled area on every snapshot date.

    Parameters
    ----------
    town : str or (lat, lon)
        A name (see :func:`~frontline.boundaries.find_town`) or coordinates.
    source, preset, start, end, dates, gap_policy
        As :func:`area_series`.

    Returns
    -------
    pandas.DataFrame
        One row per date: ``date, snapshot, source, preset, exact, town, latitude,
        longitude, distance_km, distance_mi, inside, nearest_latitude,
        nearest_longitude``.
    """
    point = find_town(town, data_dir=data_dir if data_dir is not None else history)
    lat, lon = point["latitude"], point["longitude"]
    kind = ("distance", repr(lat), repr(lon))
    rows = []
    snapshots = _prefetched(history, _days(history, source, preset, start, end, dates,
                                           gap_policy), kind)
    for used_preset, snap in tqdm(snapshots, desc="measuring", unit="day",
                                  disable=not progress):
        values = snap.measure(history, kind,
                              lambda g, lat=lat, lon=lon: _distance_values(g, lat, lon))
        found = {"distance_km": values[0], "inside": bool(values[1]),
                 "nearest_latitude": values[2], "nearest_longitude": values[3]}
        rows.append({
            "date": snap.requested, "snapshot": snap.label, "source": snap.input,
            "preset": used_preset, "exact": snap.exact, "town": point["name"],
            "latitude": point["latitude"], "longitude": point["longitude"],
            "distance_km": found["distance_km"],
            "distance_mi": found["distance_km"] / 1.609344,
            "inside": found["inside"], "nearest_latitude": found["nearest_latitude"],
            "nearest_longitude": found["nearest_longitude"],
        })
    return pd.DataFrame(rows)
