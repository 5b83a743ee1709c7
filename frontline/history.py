"""A data directory (or any GeoDataFrame) as one dated history of layers.

:func:`load` scans a data directory laid out like ``../shared/data`` into a
:class:`History`: a catalogue of every dated layer (read lazily, cached once read) plus
the area-only rows of the area tables. Scanning reads names, not geometries, so it is
fast; geometries are read the first time an analysis needs them.

Layout read (every folder optional)::

    isw/**/*.zip                         ISW's daily download zips        -> source "isw"
    isw/**/*.geojson[.gz]                ISW ArcGIS GeoJSON copies        -> source "isw"
    isw/**/<layer>/<date>.topojson       weekly simplified copies         -> source "isw-weekly"
    isw/**/area_tables/*.json|*.csv      per-layer daily area tables      -> source "isw-areas"
    deepstate/**/deepstatemap_data_YYYYMMDD.geojson   (download day)      -> source "deepstate"
    deepstate/**/deepstate_mapday_YYYY-MM-DD.geojson  (map day, month-end) -> source "deepstate"

Folders named ``boundaries*``, ``extra`` and ``archive`` hold no layers and are not read
(:data:`frontline.io.readers.SKIP_DIRS`; files are classified by
:func:`frontline.io.readers.classify`, for the archive's imports too).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from tqdm.auto import tqdm

from frontline._tiling import tile
from frontline._typing import DateLike, StrPath
from frontline.cache import Cache, get_cache
from frontline.errors import (
    DataDirError,
    DuplicateSnapshotError,
    InvalidArgumentError,
    NotFoundError,
    ReadError,
    UnknownLayerError,
)
from frontline.geodesy import geodesic_area_km2, km2_to_mi2
from frontline.io import readers
from frontline.layers import OPTIONAL_LAYERS, canonical_layer
from frontline.overlay import union
from frontline.settings import HOW_TO_GET_DATA, resolve_data_dir
from frontline.store import decode_geometry

__all__ = ["History", "load", "SOURCES"]

log = logging.getLogger(__name__)

#: Sources frontline reads and what they are.
SOURCES = {
    "isw": "ISW/CTP layers at full resolution (ISW's zips, ISW's ArcGIS GeoJSON)",
    "isw-areas": "ISW layer areas from published daily area tables (no polygons)",
    "isw-weekly": "ISW layers from Le Monde's simplified weekly TopoJSON (no claimed layer)",
    "deepstate": "DeepStateMap daily occupied area",
}

CATALOG_COLUMNS = ["source", "date", "layer", "layer_name", "file", "member", "reader"]

class History:
    """Every dated layer of every source, with provenance; geometries read on demand.

    Build one with :func:`load` (a data directory) or :meth:`History.from_frame`
    (a GeoDataFrame of your own). ``catalog`` lists polygon layers, ``areas`` the
    area-only rows of area tables.
    """

    def __init__(self, catalog: pd.DataFrame, areas: pd.DataFrame | None = None, *,
                 frames: dict | None = None, root: Path | None = None,
                 cache: Cache | None = None, keys: dict | None = None,
                 file_keys: dict | None = None) -> None:
        self.catalog = catalog.reset_index(drop=True)
        self.areas = (
            areas if areas is not None else pd.DataFrame(columns=readers.AREA_COLUMNS)
        ).reset_index(drop=True)
        self.root = root
        self._cache: dict[tuple, object] = dict(frames or {})
        self._area_cache: dict[tuple, float] = {}
        #: The layer cache (:mod:`frontline.cache`) and, per (source, date, layer), the key
        #: of what it was read from: a file's cache key, or an archive vintage's geometry
        #: sha256. Measures of keyed layers are kept in the cache between runs.
        self.store = cache
        self.keys: dict[tuple, str] = dict(keys or {})
        self.file_keys: dict[str, str] = dict(file_keys or {})
        self._index: dict | None = None
        self._area_sources: frozenset | None = None
        #: Where copies of an area table disagreed, the candidates and the one chosen
        #: (see :func:`frontline.io.readers.combine_area_tables`); empty if none did.
        #: Days between a DeepState file's download date and its map date (see ``load``).
        self.deepstate_lag = readers.DEEPSTATE_LAG_DAYS
        self.disagreements = pd.DataFrame(
            columns=["source", "date", "layer", "file", "area_km2", "chosen", "rule"])
        _check_duplicates(self.catalog, ["source", "date", "layer"])
        _check_duplicates(self.areas, ["source", "date", "layer"])

    def __repr__(self) -> str:
        counts = self.catalog.groupby("source")["date"].nunique().to_dict()
        counts.update({f"{k} (areas)": v for k, v in
                       self.areas.groupby("source")["date"].nunique().to_dict().items()})
        return f"<History {counts}>"

    # ---------------------------------------------------------------- building
    @classmethod
    def from_frame(cls, frame: gpd.GeoDataFrame, /, *, source: str = "user",
                   date: str = "date", layer: str = "layer") -> History:
        """A history from any GeoDataFrame with a date column and a layer column.

        Layer names are mapped to canonical names (unknown names raise); features
        sharing a (date, layer) are dissolved. The frame must have a CRS.
        """
        if frame.crs is None:
            raise ReadError(
                "The GeoDataFrame has no CRS: set one with frame.set_crs(...) before use."
            )
        for column in (date, layer):
            if column not in frame.columns:
                raise ReadError(
                    f"The GeoDataFrame has no {column!r} column: pass date=/layer= naming "
                    f"the columns (it has {list(frame.columns)})."
                )
        frame = frame.to_crs("EPSG:4326")
        canonical = frame[layer].astype(str).map(canonical_layer)
        rows = []
        for (when, name), part in frame.groupby([frame[date], canonical], sort=True):
            names = ", ".join(dict.fromkeys(part[layer].astype(str)))
            row = readers.layer_row(source, pd.Timestamp(when), name, "<GeoDataFrame>", "", part)
            row["layer_name"] = names
            rows.append(row)
        table = readers.canonical_frame(rows)
        return cls.from_canonical(table)

    @classmethod
    def from_canonical(cls, table: gpd.GeoDataFrame, areas: pd.DataFrame | None = None,
                       ) -> History:
        """A history from an already canonical table (see :mod:`frontline.io.readers`)."""
        catalog = table[CATALOG_COLUMNS[:-1]].copy()
        catalog["reader"] = "memory"
        frames = {
            (r.source, r.date, r.layer): r.geometry for r in table.itertuples()
        }
        return cls(catalog, areas, frames=frames)

    # ---------------------------------------------------------------- queries
    @property
    def sources(self) -> list[str]:
        """Every source this history holds (polygon and area sources)."""
        return sorted(set(self.catalog["source"]) | set(self.areas["source"]))

    def is_area_source(self, source: str) -> bool:
        """Whether ``source`` comes from area tables (areas only, no polygons)."""
        if self._area_sources is None:
            self._area_sources = frozenset(self.areas["source"])
        return source in self._area_sources

    def _table(self, source: str) -> pd.DataFrame:
        return self.areas if self.is_area_source(source) else self.catalog

    def dates(self, source: str, layers: Iterable[str] | None = None, *,
              start: DateLike | None = None, end: DateLike | None = None) -> pd.DatetimeIndex:
        """Dates (from ``start`` to ``end``) on which ``source`` has every one of ``layers``
        (all its dates if None).
        """
        table = self._select(self._table(source), source, start, end, None)
        if layers is None:
            return pd.DatetimeIndex(sorted(table["date"].unique()))
        have = table.groupby("date")["layer"].agg(set)
        ok = [d for d, s in have.items() if _covers(s, layers)]
        return pd.DatetimeIndex(sorted(ok))

    def held(self, source: str, date: DateLike) -> set[str]:
        """The layers ``source`` holds on ``date`` (polygons or area-table rows)."""
        return set(self._held().get((source, pd.Timestamp(date)), ()))

    def resolve_layers(self, source: str, date: DateLike,
                       layers: Iterable[str]) -> tuple[str, ...]:
        """Layers present on ``date`` that stand for ``layers`` (see ``advances_or_claimed``)."""
        have = self._held().get((source, pd.Timestamp(date)), set())
        return _substitute(have, layers)

    def geometry(self, source: str, date: DateLike, layer: str) -> shapely.Geometry:
        """The dissolved geometry (EPSG:4326) of one layer on one date."""
        key = (source, pd.Timestamp(date), layer)
        if key not in self._cache:
            entry = self._entry(*key)
            self._read(entry)
        return self._cache[key]

    def memo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """A value derived from this history's layers, computed once per history.

        ``key`` must name everything the value depends on (e.g. ``("glitches", source,
        layers)``); ``compute`` is called without arguments on the first request.
        """
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def tiles(self, source: str, date: DateLike, layers: Iterable[str]) -> dict:
        """The 0.25° tiles (:func:`frontline._tiling.tile`: {(i, j): piece}) of the union of
        ``layers`` on ``date``: from memory, else from the cache (kept by the layers'
        keys), else cut.
        """
        date = pd.Timestamp(date)
        names = self.resolve_layers(source, date, layers)
        key = ("tiles", source, date, names)
        if key not in self._cache:
            self._cache[key] = self._stored_tiles(source, date, names)
        return self._cache[key]

    def _stored_tiles(self, source: str, date: pd.Timestamp, names: tuple) -> dict:
        return self._stored("tiles", self.layer_keys(source, date, names),
                            lambda: tile(self.union(source, date, names)),
                            _tiles_frame, _tiles_from_table)

    def provenance(self, source: str, date: DateLike, layer: str) -> str:
        """``file`` (and ``!member`` inside a zip) a layer came from."""
        entry = self._entry(source, pd.Timestamp(date), layer)
        if entry["reader"] == "area":
            return entry["file"]
        return entry["file"] + (f"!{entry['member']}" if entry["member"] else "")

    def area_km2(self, source: str, date: DateLike, layer: str) -> float:
        """Geodesic area of one layer on one date (from the area table for area sources)."""
        key = (source, pd.Timestamp(date), layer)
        if key not in self._area_cache:
            entry = self._entry(*key)
            if entry["reader"] == "area":
                self._area_cache[key] = float(entry["area_km2"])
            else:
                self._area_cache[key] = self._measure(
                    "area", self.layer_keys(source, date, (layer,)),
                    lambda: geodesic_area_km2(self.geometry(*key)))
        return self._area_cache[key]

    def union(self, source: str, date: DateLike, layers: Iterable[str]) -> shapely.Geometry:
        """The union (EPSG:4326) of the layers standing for ``layers`` on ``date``, cached.

        Every analysis that needs a day's controlled area asks here, so each union is
        computed once per history.
        """
        date = pd.Timestamp(date)
        names = self.resolve_layers(source, date, layers)
        key = ("union", source, date, names)
        if key not in self._cache:
            if len(names) == 1:
                self._cache[key] = self.geometry(source, date, names[0])
            else:
                self._cache[key] = self._stored_union(source, date, names)
        return self._cache[key]

    def _stored_union(self, source: str, date: pd.Timestamp, names: tuple):
        """The union of several layers, kept in the cache (by the layers' keys) between
        runs: ISW's 75,000-vertex union takes most of a second, reading it back 10 ms.
        """
        return self._stored(
            "unions", self.layer_keys(source, date, names),
            lambda: union([self.geometry(source, date, name) for name in names]),
            lambda merged: gpd.GeoDataFrame(geometry=[merged], crs="EPSG:4326"),
            lambda table: decode_geometry(table)[0])

    def _stored(self, kind: str, keys: tuple | None, compute: Callable[[], Any],
                encode: Callable[[Any], gpd.GeoDataFrame],
                decode: Callable[[Any], Any]) -> Any:
        """``compute()``, kept in the cache's ``kind`` folder under the layers' ``keys``
        (not kept when they are unknown or the cache is off).
        """
        if self.store is None or keys is None:
            return compute()
        entry = hashlib.sha256("|".join([kind, *keys]).encode()).hexdigest()
        table = self.store.read(kind, entry)
        if table is not None:
            return decode(table)
        value = compute()
        self.store.write(kind, entry, encode(value))
        return value

    def total_km2(self, source: str, date: DateLike, layers: Iterable[str]) -> float:
        """Area of ``layers`` together on ``date``: the geodesic area of their union, or,
        for an area table, the sum of their areas (ISW's layers are meant to be disjoint).
        """
        date = pd.Timestamp(date)
        names = self.resolve_layers(source, date, layers)
        key = ("total", source, date, names)
        if key not in self._area_cache:
            if self.is_area_source(source):
                total = sum(self.area_km2(source, date, name) for name in names)
            else:
                total = self._measure(
                    "total", self.layer_keys(source, date, names),
                    lambda: geodesic_area_km2(self.union(source, date, layers)))
            self._area_cache[key] = float(total)
        return self._area_cache[key]

    def layers(self, *, source: str | Iterable[str] | None = None,
               start: DateLike | None = None, end: DateLike | None = None,
               layers: Iterable[str] | None = None,
               progress: bool = False) -> gpd.GeoDataFrame:
        """The canonical table (:mod:`frontline.io.readers`) for a selection, geometries read."""
        rows = self._select(self.catalog, source, start, end, layers)
        records = []
        for entry in tqdm(rows.to_dict("records"), desc="reading layers", unit="layer",
                          disable=not progress):
            geometry = self.geometry(entry["source"], entry["date"], entry["layer"])
            records.append({**entry, "geometry": geometry})
        frame = pd.DataFrame(records, columns=CATALOG_COLUMNS + ["geometry"])
        frame = frame.drop(columns="reader")
        return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")

    def layer_areas(self, *, source: str | Iterable[str] | None = None,
                    start: DateLike | None = None, end: DateLike | None = None,
                    layers: Iterable[str] | None = None,
                    progress: bool = False) -> pd.DataFrame:
        """One row per (date, source, layer): ``area_km2``, ``area_mi2`` and the file."""
        polygons = self._select(self.catalog, source, start, end, layers)
        tables = self._select(self.areas, source, start, end, layers)
        records = []
        for entry in tqdm(polygons.to_dict("records"), desc="measuring", unit="layer",
                          disable=not progress):
            area = self.area_km2(entry["source"], entry["date"], entry["layer"])
            records.append({**entry, "area_km2": area})
        frame = pd.concat([pd.DataFrame(records), tables], ignore_index=True)
        if frame.empty:
            return pd.DataFrame(columns=["date", "source", "layer", "area_km2", "area_mi2",
                                         "file", "member"])
        frame["member"] = frame["member"].fillna("") if "member" in frame else ""
        frame["date"] = pd.to_datetime(frame["date"])
        frame["area_mi2"] = km2_to_mi2(frame["area_km2"])
        frame = frame.sort_values(["date", "source", "layer"]).reset_index(drop=True)
        return frame[["date", "source", "layer", "area_km2", "area_mi2", "file", "member"]]

    def coverage(self) -> pd.DataFrame:
        """What each source holds: per (source, layer) the first and last date, how many
        dates, the days missing in between and the days flagged as glitches.

        Returns
        -------
        pandas.DataFrame
            ``source, layer, first_date, last_date, n_dates, n_missing, gaps, n_glitches,
            glitches``; ``gaps`` lists the longest runs of missing days first (at most
            five, then a count), ``glitches`` the flagged days (:mod:`frontline.glitches`,
            area tables only).
        """
        from frontline.glitches import find_glitches

        keys = ["source", "layer", "date"]
        held = pd.concat([self.catalog[keys], self.areas[keys]], ignore_index=True)
        flagged = find_glitches(self.areas) if len(self.areas) else pd.DataFrame(
            columns=keys)
        rows = []
        for (source, layer), part in held.groupby(["source", "layer"], sort=True):
            dates = pd.DatetimeIndex(sorted(part["date"].unique()))
            runs = _missing_runs(dates)
            bad = flagged[(flagged["source"] == source) & (flagged["layer"] == layer)]
            rows.append({
                "source": source, "layer": layer, "first_date": dates[0],
                "last_date": dates[-1], "n_dates": len(dates),
                "n_missing": int(sum(n for _, _, n in runs)),
                "gaps": _runs_text(runs), "n_glitches": len(bad),
                "glitches": ", ".join(f"{d:%Y-%m-%d}" for d in bad["date"]),
            })
        return pd.DataFrame(rows, columns=["source", "layer", "first_date", "last_date",
                                           "n_dates", "n_missing", "gaps", "n_glitches",
                                           "glitches"])

    # ---------------------------------------------------------------- internals
    @staticmethod
    def _select(table, source, start, end, layers):
        mask = pd.Series(True, index=table.index)
        if source is not None:
            wanted = [source] if isinstance(source, str) else list(source)
            mask &= table["source"].isin(wanted)
        if start is not None:
            mask &= table["date"] >= pd.Timestamp(start)
        if end is not None:
            mask &= table["date"] <= pd.Timestamp(end)
        if layers is not None:
            mask &= table["layer"].isin(list(layers))
        return table[mask]

    def _entries(self) -> dict:
        """{(source, date, layer): row} of the catalogue and the area rows, built once."""
        if self._index is None:
            index = {}
            for table, reader in ((self.catalog, None), (self.areas, "area")):
                for entry in table.to_dict("records"):
                    if reader:
                        entry["reader"] = reader
                    key = (entry["source"], pd.Timestamp(entry["date"]), entry["layer"])
                    index.setdefault(key, entry)
            held: dict = {}
            for source, date, layer in index:
                held.setdefault((source, date), set()).add(layer)
            self._index = {"entries": index, "held": held}
        return self._index["entries"]

    def _held(self) -> dict:
        """{(source, date): layers held}."""
        self._entries()
        return self._index["held"]

    def _entry(self, source, date, layer) -> dict:
        entry = self._entries().get((source, pd.Timestamp(date), layer))
        if entry is None:
            raise NotFoundError(f"No {layer!r} layer for {source} on {date:%Y-%m-%d}.")
        return entry

    def _measure(self, kind: str, keys: tuple | None, compute) -> float:
        """A measure of keyed layers, from the cache when it holds it (see ``keys``)."""
        if self.store is None or keys is None:
            return float(compute())
        return float(self.store.measure((kind, *keys), compute)[0])

    def layer_key(self, source: str, date: DateLike, layer: str) -> str | None:
        """What a layer's geometry depends on (a cache key), or None when unknown."""
        return self.keys.get((source, pd.Timestamp(date), layer))

    def layer_keys(self, source: str, date: DateLike, layers: Iterable[str]
                   ) -> tuple[str, ...] | None:
        """The keys (:meth:`layer_key`) of ``layers`` on ``date``: what anything measured
        from them depends on; None when one is unknown (the value is then not cached).
        """
        keys = tuple(self.layer_key(source, date, layer) for layer in layers)
        return None if None in keys else keys

    def prefetch(self, source: str, dates: Iterable[DateLike], layers: Iterable[str], *,
                 workers: int | None = None) -> int:
        """Read the files holding ``layers`` on ``dates`` ahead of use.

        DeepState's files are parsed by GDAL in worker threads (outside Python's lock)
        while this thread validates and dissolves the ones already parsed; every other
        step runs here, one file at a time, as :meth:`geometry` would run it (GEOS's
        validity check and Python's warning filters are not thread-safe: a warning
        raised in a worker could be lost). Layers in memory or in the cache are not
        parsed again.

        Parameters
        ----------
        source : str
        dates : iterable of date-like
        layers : iterable of str
            Layer names or presets' layers (as :meth:`union` takes them).
        workers : int, optional
            Parsing threads; default the machine's cores (at most 8). 1: none.

        Returns
        -------
        int
            How many files were read (from the cache or parsed).
        """
        wanted = {}
        layers = tuple(layers)
        for date in dates:
            date = pd.Timestamp(date)
            for name in self.resolve_layers(source, date, layers):
                if (source, date, name) not in self._cache:
                    entry = self._entry(source, date, name)
                    wanted.setdefault(entry["file"], entry)
        entries = list(wanted.values())
        workers = workers or min(8, os.cpu_count() or 1)
        with _quiet():
            if workers <= 1 or len(entries) < 2:
                for entry in entries:
                    self._keep(self._load_rows(entry))
            else:
                with ThreadPoolExecutor(workers) as pool:
                    for entry, raw in zip(entries, pool.map(self._parse, entries),
                                          strict=True):
                        self._keep(self._load_rows(entry, raw))
        return len(entries)

    def _parse(self, entry: dict):
        """GDAL's part of reading a DeepState file not yet cached (thread-safe), or None."""
        if entry["reader"] != "deepstate":
            return None
        key = self.file_keys.get(entry["file"]) if self.store is not None else None
        if key is not None and self.store.holds("layers", key):
            return None
        return readers.read_geometries(entry["file"])

    def _read(self, entry: dict) -> None:
        with _quiet():
            self._keep(self._load_rows(entry))

    def _load_rows(self, entry: dict, raw=None) -> list[dict]:
        """The canonical rows of the file holding ``entry``: from the cache, else read
        (``raw``: its geometries parsed beforehand) and kept.
        """
        key = self.file_keys.get(entry["file"]) if self.store is not None else None
        rows = self.store.read_layers(key) if key is not None else None
        if rows is None:
            rows = readers.layer_rows(entry["file"], entry["reader"],
                                      lag_days=self.deepstate_lag, raw=raw)
            if key is not None:
                self.store.write_layers(key, rows)
        return rows

    def _keep(self, rows: list[dict]) -> None:
        for row in rows:
            self._cache[(row["source"], pd.Timestamp(row["date"]), row["layer"])] = row["geometry"]


def _tiles_frame(tiles: dict) -> gpd.GeoDataFrame:
    """A day's tiles ({(i, j): piece}) as a cache entry."""
    return gpd.GeoDataFrame({"i": [k[0] for k in tiles], "j": [k[1] for k in tiles]},
                            geometry=list(tiles.values()), crs="EPSG:4326")


def _tiles_from_table(table) -> dict:
    ij = zip(table.column("i").to_pylist(), table.column("j").to_pylist(), strict=True)
    return dict(zip(ij, decode_geometry(table), strict=True))


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Reading's warning filter: ISW's "Measured 3D" polygons lose their M (and Z) on
    purpose. Entered in the calling thread only (warnings' filters are not thread-safe).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Measured \\(M\\) geometry types")
        yield


def _missing_runs(dates: pd.DatetimeIndex) -> list[tuple]:
    """(first, last, days) of each run of days missing between consecutive dates."""
    runs = []
    for a, b in zip(dates[:-1], dates[1:], strict=True):
        days = (b - a).days - 1
        if days > 0:
            runs.append((a + pd.Timedelta(days=1), b - pd.Timedelta(days=1), days))
    return runs


def _runs_text(runs: list[tuple], most: int = 5) -> str:
    """The longest runs first: ``2024-08-12`` or ``2024-09-30..2024-10-02 (3 d)``."""
    shown = sorted(runs, key=lambda r: (-r[2], r[0]))[:most]
    parts = [f"{a:%Y-%m-%d}" if n == 1 else f"{a:%Y-%m-%d}..{b:%Y-%m-%d} ({n} d)"
             for a, b, n in shown]
    if len(runs) > most:
        parts.append(f"+{len(runs) - most} more")
    return "; ".join(parts)


def _covers(have: set, layers) -> bool:
    try:
        _substitute(have, layers)
    except NotFoundError:
        return False
    return True


def _substitute(have: set, layers) -> tuple[str, ...]:
    """Layers to union for ``layers``; ``advances_or_claimed`` stands for both."""
    wanted = list(layers)
    if ({"advances", "claimed"} <= set(wanted) and "advances_or_claimed" in have
            and not ({"advances", "claimed"} & have)):
        wanted = [w for w in wanted if w not in ("advances", "claimed")]
        wanted.append("advances_or_claimed")
    wanted = [w for w in wanted if w in have or w not in OPTIONAL_LAYERS]
    missing = [w for w in wanted if w not in have]
    if missing:
        raise NotFoundError(f"no {', '.join(missing)} layer (held: {', '.join(sorted(have))})")
    return tuple(wanted)


def _check_duplicates(table: pd.DataFrame, keys: list[str]) -> None:
    if table.empty:
        return
    pairs = table.drop_duplicates([*keys, "file"])
    pairs = pairs[pairs.duplicated(keys, keep=False)]  # keys claimed by 2+ files
    if len(pairs):
        clashes = pairs.groupby(keys)["file"].agg(lambda f: sorted(set(f)))
        lines = [f"{s} {d:%Y-%m-%d} {layer}: {' vs '.join(f)}"
                 for (s, d, layer), f in clashes.items()]
        raise DuplicateSnapshotError(
            "Two different files claim the same source, date and layer: "
            + "; ".join(lines[:5]) + (f" (+{len(lines) - 5} more)" if len(lines) > 5 else "")
            + ". Keep one of them in the data directory (or import both into the archive, "
            "which keeps vintages)."
        )


# ------------------------------------------------------------------ scanning


def _scan_zip(path: Path) -> list[dict]:
    return [
        {"source": "isw", "date": when, "layer": canonical_layer(stem), "layer_name": stem,
         "file": str(path), "member": member, "reader": "zip"}
        for member, stem, when in readers.zip_entries(path, check=False)
    ]


def _scan_geojson(path: Path) -> list[dict]:
    """Catalogue a GeoJSON file from its name and its ``layer`` values, without geometry."""
    target = readers.gdal_path(path)
    name = path.name.split(".")[0]
    date = readers.date_from_name(name, path, "file name")
    try:  # the schema first: reading the values is slower, and most files have none
        by_property = "layer" in pyogrio.read_info(target)["fields"]
        values = (pyogrio.read_dataframe(target, columns=["layer"], read_geometry=False)
                  if by_property else None)
    except Exception as err:
        raise ReadError(f"{path}: cannot read ({err}): download the file again.") from err
    names = (list(dict.fromkeys(values["layer"].astype(str))) if by_property
             else [readers.layer_from_file_name(name)])
    return [
        {"source": "isw", "date": date, "layer": canonical_layer(n), "layer_name": n,
         "file": str(path), "member": n if by_property else "", "reader": "geojson"}
        for n in names
    ]


def _scan_name(path: Path, source: str, layer_name: str, date, reader: str) -> list[dict]:
    return [{
        "source": source, "date": date, "layer": canonical_layer(layer_name),
        "layer_name": layer_name, "file": str(path), "member": "", "reader": reader,
    }]


def data_files(root: Path) -> list[tuple[Path, str]]:
    """Every file of a data directory frontline reads, with its source: ``(path, source)``.

    ISW's files under ``isw/``, DeepState's under ``deepstate/``, each classified by
    :func:`frontline.io.readers.classify`; folders in
    :data:`frontline.io.readers.SKIP_DIRS` are left out.
    """
    jobs = []  # (path, source)
    for folder, sources in (("isw", ("isw", "isw-areas", "isw-weekly")),
                            ("deepstate", ("deepstate",))):
        top = root / folder
        if not top.is_dir():
            continue
        for path in sorted(top.rglob("*")):
            if not path.is_file() or readers.skipped(path, top):
                continue
            source = readers.classify(path)
            if source in sources:
                jobs.append((path, source))
    return jobs


def load(data_dir: StrPath | None = None, *, sources: Iterable[str] | None = None,
         on_unknown: str = "raise",
         deepstate_lag: int = readers.DEEPSTATE_LAG_DAYS, progress: bool = False,
         cache: bool = True) -> History:
    """Scan a data directory into a :class:`History` (geometries are read on demand).

    Parameters
    ----------
    data_dir : path-like, optional
        Defaults to ``$FRONTLINE_DATA_DIR``.
    sources : iterable of str, optional
        Only these sources (``isw``, ``isw-areas``, ``isw-weekly``, ``deepstate``).
    on_unknown : {"raise", "skip"}
        A file whose layer name is unknown raises :class:`UnknownLayerError` listing every
        such file; ``"skip"`` leaves them out and logs each one.
    deepstate_lag : int
        Days between a DeepState file's download date and the map date it stands for
        (default 1; 2 reproduces DeepState's own 2025 monthly figures).
    progress : bool
        Show a progress bar while scanning.
    cache : bool
        Use the layer cache (:mod:`frontline.cache`; default on unless ``$FRONTLINE_CACHE``
        is ``off``): files read once are read back from it while they are unchanged, and
        measured areas are kept. Figures are identical either way.

    Raises
    ------
    DataDirError
        No data directory configured, or nothing readable in it.
    ReadError, DuplicateSnapshotError, UnknownLayerError
    """
    root = resolve_data_dir(data_dir)
    wanted = set(SOURCES) if sources is None else set(sources)
    unknown_sources = wanted - set(SOURCES)
    if unknown_sources:
        raise InvalidArgumentError(f"Unknown source(s) {sorted(unknown_sources)}: choose from "
                         f"{', '.join(SOURCES)}.")
    jobs = data_files(root)
    jobs = [(p, kind) for p, kind in jobs if kind in wanted]
    if not jobs:
        raise DataDirError(
            f"{root}: no ISW or DeepState data found (looked for isw/ and deepstate/ "
            f"folders): {HOW_TO_GET_DATA}."
        )

    store = get_cache() if cache else None
    lag = int(deepstate_lag)
    file_keys = {}
    if store is not None:
        file_keys = {str(p): store.file_key(p, f"lag={lag}" if kind == "deepstate" else "")
                     for p, kind in jobs}
    index_name = _index_name(root, lag)
    held = _read_index(store, index_name)
    catalog, areas, frames, unknown, scanned = [], [], {}, [], []
    for path, kind in tqdm(jobs, desc="scanning", unit="file", disable=not progress):
        key = file_keys.get(str(path))
        if kind != "isw-areas" and key in held:
            catalog += [{**row, "file": str(path)} for row in held[key]]
            continue
        try:
            if kind == "isw-areas":
                areas.append(_area_table(store, key, path))
                continue
            rows = _scan(path, kind, lag)
        except UnknownLayerError as err:
            unknown.append(f"{path}: {err}")
            continue
        catalog += rows
        scanned += [{**row, "key": key} for row in rows]
    if unknown:
        if on_unknown == "raise":
            raise UnknownLayerError(
                f"{len(unknown)} file(s) hold layers with unknown names: {unknown[0]}"
                + (f" (+{len(unknown) - 1} more)" if len(unknown) > 1 else "")
                + " Pass on_unknown='skip' (--on-unknown skip) to leave them out."
            )
        for line in unknown:
            log.warning("skipped: %s", line)
    catalog = pd.DataFrame(catalog, columns=CATALOG_COLUMNS)
    catalog["date"] = pd.to_datetime(catalog["date"]).astype("datetime64[ns]")
    catalog = _same_deepstate_maps_once(catalog, lag)
    # Several copies of one table (sdspieg's and hcss's) are read together, each key once.
    areas, disagreements = readers.combine_area_tables(areas)
    if store is not None and scanned:
        _write_index(store, index_name, held, scanned, file_keys)
    keys = {(source, date, layer): f"{file_keys[file]}:{member}:{layer}"
            for source, date, layer, file, member in zip(
                catalog["source"], catalog["date"], catalog["layer"], catalog["file"],
                catalog["member"], strict=True) if file in file_keys}
    history = History(catalog, areas, frames=frames, root=root, cache=store, keys=keys,
                      file_keys=file_keys)
    history.disagreements = disagreements
    history.deepstate_lag = lag
    return history


#: Two DeepState files of one day are the same map when their occupied areas differ by
#: at most this much (geodesic km² of the symmetric difference): any figure from either
#: is then the same to 0.01 km².
SAME_MAP_KM2 = 0.01


def _same_deepstate_maps_once(catalog: pd.DataFrame, lag: int) -> pd.DataFrame:
    """Drop a map-day DeepState file that holds the same map as a daily file of its day.

    A month-end file (``deepstate_mapday_*``) and a registry daily file
    (``deepstatemap_data_*``, dated by download day − lag) can stand for one day: the
    same map (occupied areas within :data:`SAME_MAP_KM2`) is counted once, from the
    daily file; different maps stay, and :class:`History` refuses them as any two files
    claiming one (source, date, layer) are refused.
    """
    deepstate = catalog[catalog["source"] == "deepstate"]
    twice = deepstate[deepstate.duplicated(["date", "layer"], keep=False)]
    drop = []
    for _, files in twice.groupby(["date", "layer"]):
        daily = files[files["reader"] == "deepstate"]
        mapday = files[files["reader"] == "deepstate-mapday"]
        if len(daily) != 1 or len(mapday) != 1:
            continue
        a = readers.read_deepstate(daily["file"].iloc[0], lag_days=lag)["geometry"].iloc[0]
        b = readers.read_deepstate_mapday(mapday["file"].iloc[0])["geometry"].iloc[0]
        apart = float(geodesic_area_km2(shapely.symmetric_difference(a, b)))
        if apart <= SAME_MAP_KM2:
            log.info("%s: the same map as %s (%.4f km² apart): counted once, from the "
                     "daily file", mapday["file"].iloc[0], daily["file"].iloc[0], apart)
            drop.append(mapday.index[0])
    return catalog.drop(index=drop).reset_index(drop=True)


def _scan(path: Path, kind: str, lag: int) -> list[dict]:
    """Catalogue rows of one layer file, from names (a GeoJSON's ``layer`` values)."""
    if path.name.lower().endswith(".zip"):
        return _scan_zip(path)
    if kind == "isw":
        return _scan_geojson(path)
    if kind == "isw-weekly":
        return _scan_name(path, "isw-weekly", path.parent.name,
                          readers.date_from_name(path.stem, path, "file name"), "topojson")
    if path.name.lower().startswith(readers.MAPDAY_PREFIX):
        return _scan_name(path, "deepstate", "occupied",
                          readers.date_from_name(path.stem, path, "file name"),
                          "deepstate-mapday")
    return _scan_name(path, "deepstate", "occupied", readers.deepstate_date(path, lag_days=lag),
                      "deepstate")


def _area_table(store: Cache | None, key: str | None, path: Path) -> pd.DataFrame:
    """An area table's rows, from the cache while the file is unchanged."""
    if store is not None and key is not None:
        frame = store.read_table("areas", key)
        if frame is not None:
            frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
            frame["file"] = str(path)
            return frame[readers.AREA_COLUMNS]
    frame = readers.read_area_table(path)
    if store is not None and key is not None:
        store.write_table("areas", key, frame)
    return frame


def _index_name(root: Path, lag: int) -> str:
    """The index of one data directory read with one DeepState lag."""
    return hashlib.sha256(f"{root.resolve()}|lag={lag}".encode()).hexdigest()


def _read_index(store: Cache | None, name: str) -> dict:
    """{file key: catalogue rows} of the files catalogued by earlier runs."""
    if store is None:
        return {}
    frame = store.read_table("index", name)
    if frame is None or "key" not in frame.columns:
        return {}
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    held: dict = {}
    for row in frame.to_dict("records"):
        held.setdefault(row.pop("key"), []).append(row)
    return held


def _write_index(store: Cache, name: str, held: dict, scanned: list[dict],
                 file_keys: dict) -> None:
    """Add newly catalogued files to the index; entries of files that changed or are gone
    are dropped (files not looked at this time, e.g. of other sources, are kept).
    """
    current = set(file_keys.values())
    rows = [{**row, "key": key} for key, held_rows in held.items() for row in held_rows
            if key in current or (row["file"] not in file_keys and Path(row["file"]).exists())]
    rows += scanned
    frame = pd.DataFrame(rows, columns=CATALOG_COLUMNS + ["key"])
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    store.write_table("index", name, frame)
