"""The layer cache: parsed, validated layers of a data directory, kept between runs.

Reading ISW's zips and DeepState's files (parse, reproject, validate, dissolve) is most
of a cold run. The cache keeps what the readers returned, in the store's format
(:mod:`frontline.store`: GeoParquet segments, WKB geometry), so the next run reads it
back instead::

    <cache>/layers/<key>.parquet      the canonical rows of one input file
    <cache>/areas/<key>.parquet       the rows of one area table
    <cache>/index/<name>.parquet      what a data directory's files hold (catalogue rows)
    <cache>/frames/<key>.parquet      tables built from several files (boundary units)
    <cache>/unions/<key>.parquet      a day's union of several layers (ISW's presets)
    <cache>/tiles/<key>.parquet       grid tiles of units or of a day's union
    <cache>/measures/<id>.parquet     expensive pure measures (see below)

An entry's ``key`` is the sha256 of the file's absolute path, size, modification and
change times (nanoseconds) and inode, the reader's parameters (DeepState's lag) and
:data:`FORMAT`; for a file of at most :data:`HASH_MAX_BYTES` its content's sha256 too.
Change a file (or ``touch`` it) and its key changes: the old entry is no longer used (it
stays on disk until ``frontline cache clear``).

Measures (a layer's geodesic area, a day's total, the area inside units, a distance)
are keyed by what they depend on: the keys of the layers measured, the units' geometry,
the town's coordinates. They are written once per run as one new segment, so two runs
never write the same file, and merged when there are many.

Every file is written through a temporary name and renamed into place, so two runs
filling the cache at once both succeed and read complete entries. A damaged entry is
rebuilt from the input with a :class:`~frontline.errors.FrontlineWarning`.

Where: ``$FRONTLINE_CACHE`` when set (``off``, ``0``, ``no`` or ``false`` turn the cache
off), else ``<user cache folder>/store`` (``~/.cache/frontline/store`` on Linux). The CLI's
``--no-cache`` turns it off for one run; ``frontline cache status|clear`` shows and
empties it. Figures are identical with and without the cache.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import threading
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator
from importlib import metadata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

from frontline import store
from frontline._typing import StrPath
from frontline.errors import FrontlineWarning, InvalidArgumentError
from frontline.settings import ENV_CACHE
from frontline.settings import cache_dir as user_cache_dir

__all__ = [
    "ENV_CACHE",
    "FORMAT",
    "HASH_MAX_BYTES",
    "Cache",
    "cache_root",
    "cache_status",
    "cached_frame",
    "clear_cache",
    "forget_cache",
    "get_cache",
    "no_cache",
]

def _version() -> str:
    try:
        return metadata.version("frontline")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


#: Part of every key: the entries' layout (bump it when the readers' output or a measure
#: changes) and frontline's version, so a new release never reads an older one's entries.
FORMAT = f"2/{_version()}"
#: Files up to this size are also keyed by their content's sha256 (cheap: DeepState's
#: daily files and the area tables); larger ones (ISW's zips) by size and times.
HASH_MAX_BYTES = 1 << 20
#: Measure segments merged into one when a run finds more than this many.
MERGE_AT = 32

#: The cache's folders, one per kind of entry.
KINDS = ("layers", "areas", "index", "frames", "unions", "tiles", "measures")

_OFF = {"0", "off", "no", "false", "none"}
#: File keys computed in this process, by (path, size, times, inode, parameters).
_FILE_KEYS: dict[tuple, str] = {}
_disabled = threading.local()


def _digest(*parts) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


def cache_root() -> Path | None:
    """The cache folder, or None when the cache is off (``$FRONTLINE_CACHE``, ``--no-cache``).

    Nothing is created here.
    """
    if getattr(_disabled, "depth", 0):
        return None
    value = os.environ.get(ENV_CACHE, "").strip()
    if value.lower() in _OFF:
        return None
    if value:
        return Path(value).expanduser()
    return user_cache_dir() / "store"


@contextlib.contextmanager
def no_cache() -> Iterator[None]:
    """Turn the cache off inside a ``with`` block (what ``--no-cache`` does for a run)."""
    _disabled.depth = getattr(_disabled, "depth", 0) + 1
    try:
        yield
    finally:
        _disabled.depth -= 1


class Cache:
    """One cache folder: layer entries, area-table entries, directory indexes, measures."""

    def __init__(self, root: StrPath) -> None:
        self.root = Path(root)
        self._measures: dict[str, np.ndarray] | None = None
        self._new: dict[str, np.ndarray] = {}
        self._segments: list[Path] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Cache {self.root}>"

    # ------------------------------------------------------------------ keys
    @staticmethod
    def file_key(path: Path, *params) -> str:
        """The key of a file's entry (see the module docs); changes when the file does."""
        path = Path(path)
        info = path.stat()
        parts = (FORMAT, os.path.abspath(path), info.st_size, info.st_mtime_ns,
                 info.st_ctime_ns, info.st_ino, *params)
        key = _FILE_KEYS.get(parts)
        if key is None:
            content = ""
            if info.st_size <= HASH_MAX_BYTES:
                content = hashlib.sha256(path.read_bytes()).hexdigest()
            key = _FILE_KEYS[parts] = _digest(*parts, content)
        return key

    # --------------------------------------------------------------- entries
    def _entry(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / f"{key}.parquet"

    def holds(self, kind: str, key: str) -> bool:
        """Whether an entry is on disk (it may still turn out damaged when read)."""
        return self._entry(kind, key).exists()

    def read(self, kind: str, key: str, columns: Iterable[str] | None = None
             ) -> pa.Table | None:
        """An entry as an Arrow table, or None when it is missing or damaged (removed
        with a warning).
        """
        path = self._entry(kind, key)
        if not path.exists():
            return None
        try:
            return store.read_segment(path, columns)
        except store.DamagedSegment as err:
            warnings.warn(f"cache entry {path} is damaged ({err.reason}): it is rebuilt from "
                          "the input file.", FrontlineWarning, stacklevel=4)
            path.unlink(missing_ok=True)
            return None

    def write(self, kind: str, key: str, frame: pd.DataFrame | pa.Table) -> None:
        """Keep an entry (a failure to write warns and is otherwise ignored)."""
        try:
            store.write_segment(self._entry(kind, key), frame, durable=False)
        except OSError as err:  # a full or read-only cache never stops an analysis
            warnings.warn(f"cannot write to the cache {self.root} ({err}): continuing "
                          "without it (set FRONTLINE_CACHE or pass --no-cache).",
                          FrontlineWarning, stacklevel=4)

    def read_layers(self, key: str) -> list[dict] | None:
        """The canonical rows cached for a file (dicts, dates as Timestamps), or None when
        missing or damaged.
        """
        table = self.read("layers", key)
        if table is None:
            return None
        rows = table.drop(["geometry"]).to_pylist()
        for row, geometry in zip(rows, store.decode_geometry(table), strict=True):
            row["date"] = pd.Timestamp(row["date"])
            row["geometry"] = geometry
        return rows

    def write_layers(self, key: str, rows: list[dict]) -> None:
        """Keep a file's canonical rows (dicts, see :func:`frontline.io.readers.layer_rows`)."""
        self.write("layers", key, store.rows_table(rows))

    def read_table(self, kind: str, key: str) -> pd.DataFrame | None:
        """A plain cached table (``areas`` rows or an ``index``), or None."""
        table = self.read(kind, key)
        return None if table is None else table.to_pandas()

    def write_table(self, kind: str, key: str, frame: pd.DataFrame) -> None:
        """Keep a plain table (``areas`` rows or an ``index``)."""
        self.write(kind, key, pd.DataFrame(frame))

    # -------------------------------------------------------------- measures
    def _load_measures(self) -> dict:
        if self._measures is not None:
            return self._measures
        found: dict[str, np.ndarray] = {}
        folder = self.root / "measures"
        self._segments = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        for path in self._segments:
            try:
                table = store.read_segment(path)
            except store.DamagedSegment as err:
                if path.exists():
                    warnings.warn(f"cache entry {path} is damaged ({err.reason}): its "
                                  "measures are computed again.", FrontlineWarning,
                                  stacklevel=4)
                    path.unlink(missing_ok=True)
                continue
            keys = table.column("key").to_pylist()
            values = table.column("value").to_pylist()
            for key, value in zip(keys, values, strict=True):
                found[key] = np.frombuffer(value, dtype=np.float64)
        self._measures = found
        return found

    def has_measure(self, key: tuple) -> bool:
        """Whether a measure is held under ``key`` (see :meth:`measure`)."""
        with self._lock:
            return _digest(FORMAT, *key) in self._load_measures()

    def measure(self, key: tuple, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """A pure measure (float64 array) stored under ``key``; ``compute()`` on a miss.

        ``key`` must name everything the value depends on (layer keys, units digest...).
        """
        name = _digest(FORMAT, *key)
        with self._lock:
            held = self._load_measures().get(name)
        if held is not None:
            return held.copy()
        value = np.atleast_1d(np.asarray(compute(), dtype=np.float64))
        with self._lock:
            self._new[name] = value
            self._measures[name] = value
        return value.copy()

    def flush(self) -> None:
        """Write the measures computed since the last flush as one new segment."""
        with self._lock:
            if not self._new:
                return
            new, self._new = self._new, {}
            frame = _measure_table(new)
            folder = self.root / "measures"
            try:
                if len(self._segments) >= MERGE_AT:
                    self._merge(folder)
                else:
                    store.write_segment(folder / f"{uuid.uuid4().hex}.parquet", frame,
                                        durable=False)
            except OSError as err:
                warnings.warn(f"cannot write to the cache {self.root} ({err}): the measures "
                              "of this run are not kept.", FrontlineWarning, stacklevel=2)

    def _merge(self, folder: Path) -> None:
        """Every known measure in one segment; the segments read are then removed."""
        store.write_segment(folder / f"{uuid.uuid4().hex}.parquet",
                            _measure_table(self._measures or {}), durable=False)
        for path in self._segments:
            path.unlink(missing_ok=True)
        self._segments = []


def _measure_table(values: dict) -> pa.Table:
    # Arrow directly (no pandas thread pool: this also runs at interpreter exit)
    return pa.table({"key": pa.array(list(values), pa.string()),
                     "value": pa.array([v.astype(np.float64).tobytes() for v in values.values()],
                                       pa.binary())})


_CACHES: dict[Path, Cache] = {}


def get_cache() -> Cache | None:
    """The cache in use (one object per folder and process), or None when it is off."""
    root = cache_root()
    if root is None:
        return None
    if root.exists() and not root.is_dir():
        raise InvalidArgumentError(
            f"{ENV_CACHE}={root} is a file, not a folder: point it at a folder, or set "
            f"{ENV_CACHE}=off (--no-cache) to run without the cache.")
    if root not in _CACHES:
        _CACHES[root] = Cache(root)
    return _CACHES[root]


def forget_cache() -> None:
    """Write pending measures, then forget what this process read from the cache: the
    next use reads the folder again (as a new run would).
    """
    _flush_all()
    _CACHES.clear()
    _FILE_KEYS.clear()


@atexit.register
def _flush_all() -> None:
    for cache in list(_CACHES.values()):
        with contextlib.suppress(Exception):
            cache.flush()


def cache_status(root: StrPath | None = None) -> pd.DataFrame:
    """What the cache holds: per kind of entry, how many files and megabytes.

    Returns
    -------
    pandas.DataFrame
        ``kind, entries, mb, folder``; empty when the cache is off or not created yet.
    """
    root = Path(root) if root is not None else cache_root()
    rows = []
    if root is not None:
        for kind in KINDS:
            files = list((root / kind).rglob("*.parquet")) if (root / kind).is_dir() else []
            rows.append({"kind": kind, "entries": len(files),
                         "mb": sum(f.stat().st_size for f in files) / 1e6,
                         "folder": str(root / kind)})
    return pd.DataFrame(rows, columns=["kind", "entries", "mb", "folder"])


def clear_cache(root: StrPath | None = None) -> int:
    """Delete every cache entry; return how many files were removed.

    Only the cache's own folders are removed (never a data directory or the archive).
    """
    root = Path(root) if root is not None else cache_root()
    removed = 0
    if root is None:
        return 0
    for kind in KINDS:
        folder = root / kind
        if folder.is_dir():
            removed += sum(1 for p in folder.rglob("*") if p.is_file())
            shutil.rmtree(folder, ignore_errors=True)
    _CACHES.pop(root, None)
    return removed


def cached_frame(name: str, files: Iterable[StrPath],
                 compute: Callable[[], gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """A GeoDataFrame built from ``files`` by ``compute()``, kept in the cache.

    The entry's key names ``name`` and every file's key (see :meth:`Cache.file_key`), so
    it is rebuilt when any of the files changes. Without a cache, ``compute()``.
    """
    cache = get_cache()
    if cache is None:
        return compute()
    key = _digest(FORMAT, name, *(cache.file_key(Path(f)) for f in files))
    table = cache.read("frames", key)
    if table is not None:
        frame = table.drop(["geometry"]).to_pandas()
        return gpd.GeoDataFrame(frame, geometry=store.decode_geometry(table), crs="EPSG:4326")
    frame = compute()
    cache.write("frames", key, frame)
    return frame
