"""An append-only local archive of dated layers and area tables, with vintages, in Parquet.

ISW redraws its past polygons and renames its services; a figure is only reproducible if
the data it came from is kept. The archive keeps every version ("vintage") of every
(source, date, layer) it has been given and never overwrites one::

    <root>/manifest.parquet                       one row per stored vintage (the index)
    <root>/segments/<stamp>-<id>.parquet          GeoParquet: the layers of one import
    <root>/segments/<stamp>-<id>-areas.parquet    Parquet: the area-table rows of one import
    <root>/raw/<sha256>.geojson.gz                raw responses of ArcGIS snapshots

Manifest columns: ``source, date, layer, layer_name, vintage, imported_at, sha256,
geometry_sha256, file, member, n_features, n_repaired, segment, row, provenance, kind,
segment_sha256`` (``sha256`` is the input file's, ``segment_sha256`` the segment's, checked
every time the segment is read; ``provenance`` a JSON text: service URL, retrieval time,
feature counts...). Columns this version does not know (written by a newer one) are kept
as they are when an import rewrites the manifest. ``imported_at`` is UTC. ``kind`` is
``layer`` (a polygon layer, its geometry in a GeoParquet segment) or ``area`` (a row of
an area table, source ``isw-areas``: its ``area_km2`` in an area segment;
``geometry_sha256`` is then the sha256 of the area value, ``member`` is empty and the
feature counts are 0).

Segments are written and read by :mod:`frontline.store`, the format the layer cache
(:mod:`frontline.cache`) uses too: one store, two roles.

Rules:

- The same bytes imported again change nothing (the file's sha256 is already listed).
- A different file for a (source, date, layer) already held adds vintage n + 1 if its
  geometry (or, for an area table, its area) differs from the latest vintage's; an
  identical one adds nothing.
- Analyses use the latest vintage of each key by default; ``as_of`` pins them to the
  vintages the archive held at that time ("data as of"; see :func:`parse_as_of` for the
  forms accepted: a date means the *end* of that day, UTC).
- Vintages added by one import each get their own time: the k-th new vintage of a key
  within one import is stamped k − 1 microseconds after the import's time (files in the
  order given, folders sorted), so every vintage has a distinct, ordered identity and
  ``as_of`` can reach each of them.
- Area tables held under another file name are copies of the same table (as in a data
  directory): a later import of another copy is combined with what the archive holds by
  :func:`frontline.io.readers.combine_area_tables`'s rule, so copies that disagree never
  stack up as vintages; the same file name imported again with a changed value is a
  revision and adds a vintage.
- Every write goes to a temporary name and is renamed into place; the manifest is
  replaced last. A failed or interrupted import leaves the archive as it was (a process
  killed outright may leave a segment no manifest row lists: unused, reported by
  :func:`archive_orphans` and ``frontline archive status``, safe to delete).

The archive lives in ``$FRONTLINE_ARCHIVE``, else in the user data folder
(``platformdirs.user_data_dir("frontline")/archive``): it is data, not a cache.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import logging
import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from tqdm.auto import tqdm

from frontline import store
from frontline.cache import get_cache
from frontline.errors import ArchiveError, InvalidArgumentError, ReadError
from frontline.history import History
from frontline.io import readers
from frontline.io.writers import write_atomic
from frontline.settings import ENV_ARCHIVE

__all__ = [
    "ENV_ARCHIVE",
    "MANIFEST_COLUMNS",
    "add_layers",
    "archive_dir",
    "archive_gaps",
    "archive_orphans",
    "archive_status",
    "import_paths",
    "layer_files",
    "load_history",
    "parse_as_of",
    "read_manifest",
]

log = logging.getLogger(__name__)

MANIFEST = "manifest.parquet"
KEY = ["source", "date", "layer"]
MANIFEST_COLUMNS = [
    "source", "date", "layer", "layer_name", "vintage", "imported_at", "sha256",
    "geometry_sha256", "file", "member", "n_features", "n_repaired", "segment", "row",
    "provenance", "kind", "segment_sha256",
]
_DTYPES = {"vintage": "int64", "n_features": "int64", "n_repaired": "int64", "row": "int64"}



def archive_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """The archive folder: ``root``, else ``$FRONTLINE_ARCHIVE``, else the user data folder.

    Nothing is created here.
    """
    if root is None:
        root = os.environ.get(ENV_ARCHIVE) or None
    if root is None:
        import platformdirs

        root = Path(platformdirs.user_data_dir("frontline")) / "archive"
    return Path(root).expanduser()


# ------------------------------------------------------------------- manifest


def _empty_manifest() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in MANIFEST_COLUMNS})
    frame["date"] = frame["date"].astype("datetime64[ns]")
    frame["imported_at"] = frame["imported_at"].astype("datetime64[ns]")
    return frame.astype(_DTYPES)


def read_manifest(root: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The archive's manifest: one row per stored vintage (empty if no archive yet).

    Raises
    ------
    ArchiveError
        The manifest exists but cannot be read.
    """
    path = archive_dir(root) / MANIFEST
    if not path.exists():
        return _empty_manifest()
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise ArchiveError(
            f"{path}: cannot read the archive manifest ({err}). Restore it from a backup; "
            "segments/ still holds every layer."
        ) from err
    if "kind" not in frame.columns:  # archives written before area tables were kept
        frame["kind"] = "layer"
    if "segment_sha256" not in frame.columns:  # written before segments were checked
        frame["segment_sha256"] = None
    extra = [c for c in frame.columns if c not in MANIFEST_COLUMNS]
    return frame[MANIFEST_COLUMNS + extra]


def _write_manifest(root: Path, manifest: pd.DataFrame) -> None:
    """Replace the manifest atomically (temporary file, then rename)."""
    extra = [c for c in manifest.columns if c not in MANIFEST_COLUMNS]
    table = manifest[MANIFEST_COLUMNS + extra].reset_index(drop=True)
    store.write_segment(root / MANIFEST, table)


@contextlib.contextmanager
def _locked(root: Path):
    """One writer at a time (an advisory lock, released when the process dies)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        fcntl = None
    try:
        root.mkdir(parents=True, exist_ok=True)
        handle = open(root / ".lock", "w")  # noqa: SIM115 - closed below
    except OSError as err:
        raise ArchiveError(
            f"Cannot write to the archive {root}: {err.strerror or err}. Give a writable "
            "folder with --archive or $FRONTLINE_ARCHIVE (a folder, not a file).") from err
    if fcntl is None:  # pragma: no cover
        with handle:
            yield
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise ArchiveError(
                f"{root}: another frontline import or snapshot is writing to this archive: "
                "wait for it to finish and run the command again."
            ) from err
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ------------------------------------------------------------------- writing


def _geometry_sha256(geometry) -> str:
    wkb = shapely.to_wkb(shapely.normalize(geometry), output_dimension=2)
    return hashlib.sha256(wkb).hexdigest()


def _area_sha256(area_km2) -> str:
    return hashlib.sha256(np.float64(area_km2).tobytes()).hexdigest()


def _is_area_table(table: pd.DataFrame) -> bool:
    """Rows of an area table (``area_km2``, no geometry) rather than canonical layers."""
    return "area_km2" in table.columns and "geometry" not in table.columns


def file_sha256(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _utc_now() -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))


def add_layers(table: gpd.GeoDataFrame, /, *, root: str | os.PathLike[str] | None = None,
               sha256: str,
               provenance: dict | None = None, imported_at: str | dt.date | None = None,
               raw: bytes | None = None) -> pd.DataFrame:
    """Append canonical layer rows (see :mod:`frontline.io.readers`) to the archive.

    Parameters
    ----------
    table : GeoDataFrame
        Canonical rows (EPSG:4326), one per (source, date, layer).
    root : path-like, optional
        The archive (see :func:`archive_dir`).
    sha256 : str
        sha256 of the input the rows were read from (its identity).
    provenance : dict, optional
        Stored as JSON with each row (retrieval time, service URL...).
    imported_at : timestamp, optional
        The vintage time (UTC). Default: now.
    raw : bytes, optional
        The input's bytes, kept gzipped in ``raw/`` (used for ArcGIS snapshots).

    Returns
    -------
    pandas.DataFrame
        One row per input row: ``source, date, layer, vintage, status`` with status
        ``added`` (first vintage), ``new vintage`` or ``unchanged``.
    """
    return append_tables(archive_dir(root), [(table, sha256, provenance, raw)], imported_at)


def append_tables(root: Path,
                  batches: Iterable[tuple[pd.DataFrame, str, dict | None, bytes | None]],
                  imported_at: str | dt.date | None = None) -> pd.DataFrame:
    """Append batches of (table, file sha256, provenance, raw bytes) atomically.

    A table holds canonical layer rows (geometry) or area-table rows (``area_km2``); each
    kind goes to its own segment, and the manifest is replaced last.
    """
    imported_at = _utc_now() if imported_at is None else pd.Timestamp(imported_at)
    if imported_at.tzinfo is not None:  # the manifest holds naive UTC times
        imported_at = imported_at.tz_convert("UTC").tz_localize(None)
    with _locked(root):
        manifest = read_manifest(root)
        latest = {}
        if len(manifest):
            last = manifest.sort_values("vintage").groupby(KEY, sort=False).tail(1)
            latest = {(r.source, r.date, r.layer): (r.vintage, r.geometry_sha256)
                      for r in last.itertuples()}
        report, new_rows, values, raws, repeat = [], [], [], [], {}
        for table, sha, provenance, raw in batches:
            kind = "area" if _is_area_table(table) else "layer"
            for row in table.itertuples():
                key = (row.source, pd.Timestamp(row.date), row.layer)
                value = row.area_km2 if kind == "area" else row.geometry
                value_sha = _area_sha256(value) if kind == "area" else _geometry_sha256(value)
                vintage, previous = latest.get(key, (0, None))
                if previous == value_sha:
                    report.append((*key, vintage, "unchanged"))
                    continue
                latest[key] = (vintage + 1, value_sha)
                report.append((*key, vintage + 1, "added" if vintage == 0 else "new vintage"))
                repeat[key] = repeat.get(key, -1) + 1  # a key's k-th new vintage in this import
                new_rows.append({
                    "source": row.source, "date": key[1], "layer": row.layer,
                    "layer_name": row.layer_name, "vintage": vintage + 1,
                    "imported_at": imported_at + pd.Timedelta(microseconds=repeat[key]),
                    "sha256": sha, "geometry_sha256": value_sha,
                    "file": row.file, "member": getattr(row, "member", ""),
                    "n_features": getattr(row, "n_features", 0),
                    "n_repaired": getattr(row, "n_repaired", 0), "row": len(new_rows),
                    "provenance": json.dumps(provenance or {}, sort_keys=True, default=str),
                    "kind": kind,
                })
                values.append(value)
            if raw is not None:
                raws.append((sha, raw))
        report = pd.DataFrame(report, columns=["source", "date", "layer", "vintage", "status"])
        if not new_rows:
            return report
        rows = pd.DataFrame(new_rows)
        rows["segment_sha256"] = None
        values = pd.Series(values, dtype=object)
        stamp = f"segments/{imported_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"
        segments = []  # (path in the archive, frame)
        for kind, part in rows.groupby("kind", sort=True):
            columns = part[["row", "source", "date", "layer", "vintage"]]
            if kind == "area":
                segment = f"{stamp}-areas.parquet"
                frame = columns.assign(area_km2=values[part.index].astype("float64"))
            else:
                segment = f"{stamp}.parquet"
                frame = gpd.GeoDataFrame(columns, geometry=list(values[part.index]),
                                         crs="EPSG:4326")
            rows.loc[part.index, "segment"] = segment
            segments.append((segment, frame.reset_index(drop=True)))
        written = []
        try:
            for sha, raw in raws:
                path = root / "raw" / f"{sha}.geojson.gz"
                if not path.exists():
                    write_atomic(path, gzip.compress(raw, mtime=0))
                    written.append(path)
            for segment, frame in segments:
                written.append(root / segment)
                digest = store.write_segment(root / segment, frame)
                rows.loc[rows["segment"] == segment, "segment_sha256"] = digest
            combined = pd.concat([manifest, rows[MANIFEST_COLUMNS]], ignore_index=True)
            combined = combined[list(manifest.columns)]
            _write_manifest(root, combined.astype(_DTYPES))
        except BaseException:
            # The manifest was not replaced: remove what this import wrote, so the
            # archive is exactly as it was.
            for path in written:
                path.unlink(missing_ok=True)
            raise
        return report


def layer_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand folders into the files frontline can import; keep files as given.

    In folders: layer files, and the ``.json``/``.csv`` area tables of ``area_tables``
    folders (not their ``*metadata*`` files). A ``.json`` or ``.csv`` file given by name is
    read as an area table.

    Raises
    ------
    ReadError
        A path that does not exist, or a file of a type frontline does not import.
    """
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files += [item for item in sorted(path.rglob("*"))
                      if item.is_file() and not readers.skipped(item, path)
                      and readers.classify(item) is not None]
        elif path.is_file():
            if readers.reader_for(path) is None:
                raise ReadError(
                    f"{path}: not a file frontline imports. Expected one of ISW's zips "
                    "(nested zips included), a GeoJSON (.geojson, .geojson.gz), a TopoJSON, "
                    "a DeepState file (deepstatemap_data_YYYYMMDD.geojson) or an area table "
                    "(.json or .csv with date, layer, area_km2)."
                )
            files.append(path)
        else:
            raise ReadError(f"{path}: no such file or folder: check the path.")
    return files


def import_paths(paths: Iterable[str | os.PathLike[str]], /, *,
                 root: str | os.PathLike[str] | None = None,
                 imported_at: str | dt.date | None = None, progress: bool = False) -> pd.DataFrame:
    """Import layer files and area tables (or folders of them) into the archive, idempotently.

    ISW's zips (nested zips of e-mailed bundles included), ISW GeoJSON (``.geojson``,
    ``.geojson.gz``), Le Monde's TopoJSON and DeepState's daily files are read with the
    readers of :mod:`frontline.io.readers`; area tables (``.json``/``.csv``, see
    :func:`~frontline.io.readers.read_area_table`) become area-only rows of source
    ``isw-areas``, with the same vintage rules (a different area for a key held adds a
    vintage). Folders are searched recursively (``boundaries`` and ``extra`` folders are
    left out; ``.json``/``.csv`` files are taken from ``area_tables`` folders only). A file
    whose bytes are already in the archive is skipped without being read. Everything is
    written in one step: if any file fails to read, nothing is imported.

    Parameters
    ----------
    paths : iterable of path-like
    root : path-like, optional
        The archive (see :func:`archive_dir`).
    imported_at : timestamp, optional
        The vintage time (UTC). Default: now.
    progress : bool
        A progress bar over the files.

    Returns
    -------
    pandas.DataFrame
        ``source, date, layer, vintage, status, file``: one row per layer read; status
        ``added``, ``new vintage`` or ``unchanged``.

    Raises
    ------
    ReadError
        A path that does not exist, is not a layer file or area table, or cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> report = import_paths([], root=tempfile.mkdtemp())
    >>> list(report.columns)
    ['source', 'date', 'layer', 'vintage', 'status', 'file']
    """
    root = archive_dir(root)
    files = layer_files(paths)
    manifest = read_manifest(root)
    known = manifest.groupby("sha256") if len(manifest) else None
    batches, skipped = [], []
    for path in tqdm(files, desc="importing", unit="file", disable=not progress):
        sha = file_sha256(path)
        if known is not None and sha in known.groups:
            held = known.get_group(sha)
            skipped += [(r.source, r.date, r.layer, r.vintage, "unchanged", str(path))
                        for r in held.itertuples()]
            continue
        table = readers.read_file(path)
        batches.append((table, sha, {"kind": "import", "path": str(path)}, None))
    columns = ["source", "date", "layer", "vintage", "status", "file"]
    batches, superseded = _keep_chosen_copies(batches, _held_area_rows(root, manifest))
    skipped += superseded
    report = append_tables(root, batches, imported_at) if batches else pd.DataFrame()
    if len(report):
        report["file"] = [f for table, *_ in batches for f in table["file"]]
    report = pd.concat([report, pd.DataFrame(skipped, columns=columns)], ignore_index=True)
    report = report.reindex(columns=columns)
    report["date"] = pd.to_datetime(report["date"]).astype("datetime64[ns]")
    return report


def _held_area_rows(root: Path, manifest: pd.DataFrame) -> pd.DataFrame:
    """The area-table rows analyses use now (latest vintages), with their values."""
    if manifest.empty:
        return pd.DataFrame(columns=readers.AREA_COLUMNS)
    current = _current(manifest)
    held = current[current["kind"] == "area"].reset_index(drop=True)
    frame = held[[c for c in readers.AREA_COLUMNS if c != "area_km2"]].copy()
    frame["area_km2"] = _read_values(root, held, "area_km2").astype("float64")
    return frame


def _keep_chosen_copies(batches, held: pd.DataFrame):
    """Copies of one area table -- imported together, or one imported now and others
    held under other file names -- give each key one value, chosen by
    :func:`frontline.io.readers.combine_area_tables`'s rule; a new copy's rows that lost
    are left out (reported ``other copy used``), so disagreeing copies never stack as
    vintages. Held rows of a file imported again are not a copy (a changed value there
    is a revision: a new vintage).
    """
    tables = [table for table, *_ in batches if _is_area_table(table)]
    new_files = {f for table in tables for f in table["file"]}
    others = held[~held["file"].isin(new_files)] if len(held) else held
    copies = [part.reset_index(drop=True) for _, part in others.groupby("file", sort=True)]
    if not tables or len(tables) + len(copies) < 2:
        return batches, []
    combined, _ = readers.combine_area_tables(copies + tables)
    keys = ["source", "date", "layer"]
    chosen = combined.set_index(keys)["area_km2"].round(6)
    kept, superseded = [], []
    for table, *rest in batches:
        if _is_area_table(table):
            wanted = chosen.reindex(pd.MultiIndex.from_frame(table[keys])).to_numpy()
            keep = np.isclose(table["area_km2"].round(6).to_numpy(), wanted, rtol=0, atol=0)
            superseded += [(r.source, r.date, r.layer, 0, "other copy used", r.file)
                           for r in table[~keep].itertuples()]
            table = table[keep].reset_index(drop=True)
        kept.append((table, *rest))
    return kept, superseded


# ------------------------------------------------------------------- reading


_DAY_FORMS = (
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), "2026-12-01"),
    (re.compile(r"(\d{4})(\d{2})(\d{2})"), "20261201"),
    (re.compile(r"(\d{4})/(\d{2})/(\d{2})"), "2026/12/01"),
)


def parse_as_of(as_of: str | dt.date) -> pd.Timestamp:
    """The time (naive UTC) an ``as_of`` stands for: every command and function reads it so.

    A **date** means the *end* of that day (UTC), so ``2026-12-01`` includes what was
    imported on 1 December. Accepted dates: ``2026-12-01``, ``20261201``, ``2026/12/01``
    and :class:`datetime.date`; all mean the same. A **time** (``2026-12-01T14:30``,
    ``2026-12-01 14:30:00+01:00``, a :class:`datetime.datetime` or Timestamp) means that
    instant; without a zone it is UTC.

    Raises
    ------
    InvalidArgumentError
        A value that is neither (the message names ``--as-of``).

    Examples
    --------
    >>> parse_as_of("20261201") == parse_as_of("2026-12-01")
    True
    >>> parse_as_of("2026-12-01")
    Timestamp('2026-12-01 23:59:59.999999999')
    >>> parse_as_of("2026-12-01T14:30+01:00")
    Timestamp('2026-12-01 13:30:00')
    """
    is_day = isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime)
    value = as_of
    if isinstance(as_of, str):
        text = as_of.strip()
        for pattern, _ in _DAY_FORMS:
            match = pattern.fullmatch(text)
            if match:
                value, is_day = "-".join(match.groups()), True
                break
        else:
            value = text
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        forms = ", ".join(example for _, example in _DAY_FORMS)
        raise InvalidArgumentError(
            f"--as-of {as_of!r} is not a date or a time: give a date ({forms}; the end of "
            "that day, UTC) or a time (2026-12-01T14:30, UTC unless a zone is given)."
        ) from err
    if stamp is pd.NaT:
        raise InvalidArgumentError(f"--as-of {as_of!r} is not a date or a time.")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp + pd.Timedelta(days=1) - pd.Timedelta(1, "ns") if is_day else stamp


def _current(manifest: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """The vintage of each key analyses use: the latest one (held at ``as_of``)."""
    if as_of is not None:
        manifest = manifest[manifest["imported_at"] <= parse_as_of(as_of)]
    return (manifest.sort_values("vintage").groupby(KEY, sort=False).tail(1)
            .sort_values(KEY).reset_index(drop=True))


def _read_values(root: Path, rows: pd.DataFrame, column: str) -> np.ndarray:
    """One column (``geometry`` or ``area_km2``) of manifest rows, one read per segment.

    Geometries are decoded from WKB straight from Arrow.
    """
    out = np.empty(len(rows), dtype=object)
    for segment, part in rows.groupby("segment", sort=False):
        path = root / segment
        expected = part["segment_sha256"].dropna()
        try:
            table = store.read_segment(path, ["row", column],
                                       sha256=expected.iloc[0] if len(expected) else None)
        except store.DamagedSegment as err:
            raise ArchiveError(
                f"{path}: a segment of the archive is missing or damaged: {err.reason}. "
                f"It holds {len(part)} of the layers asked for (e.g. {part['source'].iloc[0]} "
                f"{part['date'].iloc[0]:%Y-%m-%d} {part['layer'].iloc[0]}). Restore it from "
                "a backup, or re-import its source files into a new archive."
            ) from err
        index = pd.Index(table.column("row").to_numpy())
        values = table.column(column).to_numpy(zero_copy_only=False)
        values = values[index.get_indexer(part["row"].to_numpy())]
        if column == "geometry":
            values = shapely.from_wkb(values)
        out[rows.index.get_indexer(part.index)] = values
    return out


def load_history(root: str | os.PathLike[str] | None = None, *, as_of: str | dt.date | None = None,
                 sources: Iterable[str] | None = None, cache: bool = True) -> History:
    """A :class:`~frontline.history.History` of the archive's layers (geometries loaded)
    and area tables (its ``areas``).

    Parameters
    ----------
    root : path-like, optional
        The archive (see :func:`archive_dir`).
    as_of : date, datetime or str, optional
        Use the vintages the archive held at this time (UTC; a date means the end of that
        day): "data as of". Default: the latest vintage of every layer.
    sources : iterable of str, optional
        Only these sources (``isw``, ``isw-areas``, ``isw-weekly``, ``deepstate``...).
    cache : bool
        Keep measures of the archive's layers (keyed by each vintage's geometry sha256)
        in the layer cache (:mod:`frontline.cache`). Figures are identical either way.

    Raises
    ------
    ArchiveError
        The archive is empty, held nothing at ``as_of``, or a segment is damaged (its
        sha256 differs from the manifest's: the message names it).

    Examples
    --------
    >>> import tempfile
    >>> load_history(tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    frontline.errors.ArchiveError: ...: the archive is empty...
    """
    root = archive_dir(root)
    manifest = read_manifest(root)
    if sources is not None:
        manifest = manifest[manifest["source"].isin(list(sources))]
    if manifest.empty:
        raise ArchiveError(
            f"{root}: the archive is empty{' for these sources' if sources else ''}: add data "
            "with `frontline import PATH...` or `frontline snapshot isw`."
        )
    current = _current(manifest, as_of)
    if current.empty:
        first = manifest["imported_at"].min()
        raise ArchiveError(
            f"{root}: the archive held nothing as of {as_of} (its first vintage is from "
            f"{first:%Y-%m-%d %H:%M:%S} UTC): pass a later as_of."
        )
    layers = current[current["kind"] == "layer"].reset_index(drop=True)
    table = layers[[c for c in readers.CANONICAL_COLUMNS if c != "geometry"]].copy()
    table["geometry"] = _read_values(root, layers, "geometry")
    table = gpd.GeoDataFrame(table, geometry="geometry", crs="EPSG:4326")
    held = current[current["kind"] == "area"].reset_index(drop=True)
    areas = held[[c for c in readers.AREA_COLUMNS if c != "area_km2"]].copy()
    areas["area_km2"] = _read_values(root, held, "area_km2").astype("float64")
    history = History.from_canonical(table, areas)
    history.store = get_cache() if cache else None
    history.keys = {(r.source, r.date, r.layer): f"archive:{r.geometry_sha256}"
                    for r in layers.itertuples()}
    return history


# ------------------------------------------------------------------- status


def archive_status(root: str | os.PathLike[str] | None = None, *,
                   as_of: str | dt.date | None = None) -> pd.DataFrame:
    """Every (source, date, layer) held, its vintages and the one analyses use.

    Returns
    -------
    pandas.DataFrame
        ``source, date, layer, vintages, default_vintage, default_imported_at,
        imported_at`` (``imported_at``: every vintage's time, oldest first).
    """
    manifest = read_manifest(root)
    columns = ["source", "date", "layer", "vintages", "default_vintage",
               "default_imported_at", "imported_at"]
    if manifest.empty:
        return pd.DataFrame(columns=columns)
    current = _current(manifest, as_of).set_index(KEY)
    grouped = manifest.sort_values("vintage").groupby(KEY)
    frame = pd.DataFrame({
        "vintages": grouped["vintage"].count(),
        "imported_at": grouped["imported_at"].agg(
            lambda s: ", ".join(f"{t:%Y-%m-%d %H:%M:%S}" for t in s)),
    })
    frame["default_vintage"] = current["vintage"].reindex(frame.index).astype("Int64")
    frame["default_imported_at"] = current["imported_at"].reindex(frame.index)
    return frame.reset_index()[columns]


def archive_gaps(root: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Runs of missing days between each source's first and last date.

    Returns
    -------
    pandas.DataFrame
        ``source, first_missing, last_missing, days``, one row per run.
    """
    manifest = read_manifest(root)
    rows = []
    for source, dates in manifest.groupby("source")["date"]:
        held = pd.DatetimeIndex(sorted(dates.unique()))
        every = pd.date_range(held.min(), held.max(), freq="D")
        missing = every.difference(held)
        if missing.empty:
            continue
        run = (pd.Series(missing).diff() != pd.Timedelta(days=1)).cumsum()
        for _, days in pd.Series(missing).groupby(run.to_numpy()):
            rows.append((source, days.iloc[0], days.iloc[-1], len(days)))
    return pd.DataFrame(rows, columns=["source", "first_missing", "last_missing", "days"])


def archive_orphans(root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Segments no manifest row refers to: left by an import killed before it finished.

    They hold nothing the archive uses (the manifest, replaced last, never listed them)
    and can be deleted.
    """
    root = archive_dir(root)
    used = set(read_manifest(root)["segment"])
    return sorted(p for p in (root / "segments").glob("*.parquet")
                  if f"segments/{p.name}" not in used)


def archive_summary(root: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """One row per source: dates held, first and last, missing days, layers, vintages."""
    manifest = read_manifest(root)
    gaps = archive_gaps(root)
    rows = []
    for source, part in manifest.groupby("source"):
        keys = part.groupby(KEY).size()
        rows.append({
            "source": source,
            "first": part["date"].min(), "last": part["date"].max(),
            "dates": part["date"].nunique(),
            "missing_days": int(gaps.loc[gaps["source"] == source, "days"].sum()),
            "layers": ", ".join(sorted(part["layer"].unique())),
            "layer_dates": len(keys),
            "with_several_vintages": int((keys > 1).sum()),
            "last_import": part["imported_at"].max(),
        })
    return pd.DataFrame(rows, columns=["source", "first", "last", "dates", "missing_days",
                                       "layers", "layer_dates", "with_several_vintages",
                                       "last_import"])
