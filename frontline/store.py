"""One storage format for parsed layers: Parquet segments checked by sha256.

A *segment* is one Parquet file: GeoParquet (geometry as WKB, EPSG:4326) for layers,
plain Parquet for area-table rows or measured values. It is written once, through a
temporary name that is flushed to disk and renamed into place, and the sha256 of its
bytes is returned so that whoever lists the segment can check it when reading it back.

Two roles share it:

* the archive (:mod:`frontline.sources.archive`): data kept for good, with vintages; its
  manifest lists each segment's sha256;
* the cache (:mod:`frontline.cache`): the parsed, validated layers of a data directory,
  rebuilt whenever a file changes or an entry is damaged.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from frontline._typing import StrPath
from frontline.io.writers import write_atomic

__all__ = ["DamagedSegment", "decode_geometry", "read_segment", "rows_table", "write_segment"]


class DamagedSegment(Exception):
    """A segment is missing, unreadable or does not match its sha256 (internal: the
    archive turns it into an :class:`~frontline.errors.ArchiveError`, the cache rebuilds
    the entry with a warning).
    """

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (:func:`frontline.io.writers.write_atomic`).

    Two processes writing the same path at once both succeed; the file is one of the two
    complete versions, never a mix. ``durable=False`` skips the fsyncs (the cache: an
    entry lost to a power cut is rebuilt, and a fsync per entry would cost more than
    reading the input again).
    """
    # no sweep for stale temporary files on every segment (a folder scan per write):
    # the archive reports a killed import's leftovers (archive_orphans), the cache
    # rebuilds what it misses
    write_atomic(path, data, durable=durable, clean=False)


def write_segment(path: StrPath, frame: pd.DataFrame | pa.Table, *, durable: bool = True
                  ) -> str:
    """Write a (Geo)DataFrame as one Parquet segment, atomically; return its sha256.

    A GeoDataFrame becomes GeoParquet (WKB geometry); any other frame (or an Arrow
    table) plain Parquet. ``durable``: see :func:`write_bytes`.
    """
    buffer = io.BytesIO()
    pq.write_table(frame if isinstance(frame, pa.Table) else _arrow(frame), buffer)
    data = buffer.getvalue()
    write_bytes(Path(path), data, durable=durable)
    return hashlib.sha256(data).hexdigest()


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A frame as an Arrow table; a GeoDataFrame's geometry as WKB with GeoParquet
    metadata (what ``GeoDataFrame.to_parquet`` writes, without converting the CRS to
    PROJJSON again for every segment: segments are always EPSG:4326).
    """
    geometry = getattr(frame, "_geometry_column_name", None)
    if geometry is None or geometry not in frame:
        return pa.Table.from_pandas(pd.DataFrame(frame), preserve_index=False)
    crs = frame.crs
    if crs is None or crs.to_epsg() != 4326:
        raise ValueError(f"store segments are EPSG:4326, not {crs}")
    plain = pd.DataFrame({c: frame[c] for c in frame.columns if c != geometry})
    return _with_geometry(pa.Table.from_pandas(plain, preserve_index=False),
                          frame[geometry].values, geometry)


def rows_table(rows: list[dict], geometry: str = "geometry") -> pa.Table:
    """Row dicts (shapely geometries under ``geometry``, EPSG:4326) as a GeoParquet
    table for :func:`write_segment`: what a GeoDataFrame of the rows would write, built
    without one (for one-row entries, most of the cost).
    """
    plain = [{k: v for k, v in row.items() if k != geometry} for row in rows]
    return _with_geometry(pa.Table.from_pylist(plain), [row[geometry] for row in rows],
                          geometry)


def _with_geometry(table: pa.Table, geoms, column: str) -> pa.Table:
    wkb = pa.array(shapely.to_wkb(np.asarray(geoms, dtype=object)), pa.binary())
    # a table of no other column has no rows either: start from the geometry then
    table = table.append_column(column, wkb) if table.num_columns else pa.table({column: wkb})
    return table.replace_schema_metadata({**(table.schema.metadata or {}),
                                          b"geo": _geo_metadata(column)})


@functools.cache
def _geo_metadata(column: str) -> bytes:
    """GeoParquet 1.0 metadata of one WKB column in EPSG:4326."""
    from pyproj import CRS

    return json.dumps({"version": "1.0.0", "primary_column": column, "columns": {column: {
        "encoding": "WKB", "geometry_types": [], "crs": CRS("EPSG:4326").to_json_dict()}}}
    ).encode()


def read_segment(path: StrPath, columns: Iterable[str] | None = None, *,
                 sha256: str | None = None) -> pa.Table:
    """Read a segment (optionally only ``columns``), checking its sha256 when given.

    Raises
    ------
    DamagedSegment
        The file is missing, unreadable, or its bytes do not match ``sha256``.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DamagedSegment(path, f"cannot be read ({err.strerror or err})") from err
    if sha256 is not None and isinstance(sha256, str) and sha256:
        got = hashlib.sha256(data).hexdigest()
        if got != sha256:
            raise DamagedSegment(path, f"sha256 is {got[:12]}…, expected {sha256[:12]}… "
                                       "(the file was changed or damaged)")
    try:
        return pq.ParquetFile(pa.BufferReader(data)).read(columns=columns, use_threads=False)
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise DamagedSegment(path, f"is not a readable Parquet file ({err})") from err


def decode_geometry(table: pa.Table, column: str = "geometry") -> np.ndarray:
    """Shapely geometries from a segment's WKB column (straight from Arrow)."""
    return shapely.from_wkb(table.column(column).to_numpy(zero_copy_only=False))
