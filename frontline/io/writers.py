"""Writing tables and polygons: terminal formats, files by extension, atomic writes.

Every file frontline writes goes through :func:`write_atomic` (bytes or text) or
:func:`atomic_path` (a writer that needs a path, e.g. GeoPackage): the data is written
to a temporary ``.<name>.<random>.part<suffix>`` file in the target's folder, flushed to disk
(``fsync``), renamed over the target, and the folder itself is synced, so a crash leaves
either the old file or the new one, never half of one. Work that writes several files
before moving them into place does so in a :func:`temp_folder` (``<prefix><pid>-<random>``).
:func:`clean_stale_temps` is the one sweeper of what killed runs leave: the next write into
a folder removes atomic writes' files older than :data:`STALE_TEMP_SECONDS` (a younger one
may belong to a run still writing); ``fetch`` and the chart set remove their temporary
folders whose process is gone. Each removal is logged.

Numbers in tables are rounded (:func:`round_table`): columns measured in km², mi², km or
mi to :data:`DECIMALS` decimals (0.01 km² is one hectare), percentages to
:data:`PCT_DECIMALS` (0.001 % of Ukraine is 6 km²), other decimal columns (coordinates)
to :data:`OTHER_DECIMALS`. ``decimals=None`` keeps full precision.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from frontline._typing import StrPath
from frontline.errors import FrontlineError, InvalidArgumentError, WriteError

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj


__all__ = [
    "DECIMALS",
    "DETAIL_COLUMNS",
    "FILE_FORMATS",
    "FORMATS",
    "OTHER_DECIMALS",
    "PCT_DECIMALS",
    "POLYGON_FORMATS",
    "STALE_TEMP_SECONDS",
    "atomic_path",
    "check_crs",
    "clean_stale_temps",
    "file_format",
    "format_table",
    "reader_columns",
    "round_table",
    "temp_folder",
    "write_atomic",
    "write_polygons",
    "write_table",
]

log = logging.getLogger(__name__)

#: Formats printed on the terminal (``--format``).
FORMATS = ("csv", "json", "table", "markdown")

#: Table files by extension (``--output``).
FILE_FORMATS = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".xlsx": "xlsx",
                ".md": "markdown", ".txt": "table"}

#: Polygon files by extension, and the OGR driver writing each.
POLYGON_FORMATS = {".geojson": "GeoJSON", ".gpkg": "GPKG"}

#: Decimals kept for areas (km², mi²) and distances (km, mi).
DECIMALS = 2

#: Decimals kept for percentages (``_pct`` columns).
PCT_DECIMALS = 3

#: Decimals kept for any other decimal column (coordinates: 1e-6° is about 0.1 m).
OTHER_DECIMALS = 6

#: Columns a table keeps only with ``--all-columns`` (or ``--columns``): how a figure was
#: computed in more detail than a reader needs (each row still names its snapshots,
#: source, preset and whether it is exact); so are each layer's ``<layer>_change_km2``.
DETAIL_COLUMNS = ("start_input", "end_input", "gap_policy", "uncertainty_km2",
                  "total_start_km2", "total_end_km2", "gained_mi2", "lost_mi2",
                  "reclassified_mi2", "reclassified_in_km2", "reclassified_out_km2",
                  "gained_outright_km2", "lost_outright_km2")

#: A temporary file of an interrupted write older than this (seconds) is removed.
STALE_TEMP_SECONDS = 3600

_UNIT_COLUMN = re.compile(r"(_km2|_mi2|_km|_mi)$")
#: Detail columns by pattern: each layer's own change (``control_change_km2``...).
_DETAIL_PATTERN = re.compile(r"_change_km2$")
_TEMP = re.compile(r"^\..+\.[0-9a-f]{12}\.part(\.[A-Za-z0-9]+)?$")


def round_table(frame: pd.DataFrame, decimals: int | None = DECIMALS) -> pd.DataFrame:
    """Round a table's decimal columns for publication (a copy; ``None``: unchanged).

    Columns ending in ``_km2``, ``_mi2``, ``_km`` or ``_mi`` get ``decimals`` decimals,
    ``_pct`` columns :data:`PCT_DECIMALS`, other float columns :data:`OTHER_DECIMALS`
    (each at least ``decimals``).

    Examples
    --------
    >>> round_table(pd.DataFrame({"net_km2": [145.72000000000116], "lat": [48.2829384756]}))
       net_km2        lat
    0   145.72  48.282938
    """
    frame = frame.copy()
    if decimals is None:
        return frame
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            name = str(column)
            keep = (decimals if _UNIT_COLUMN.search(name) else
                    max(PCT_DECIMALS if name.endswith("_pct") else OTHER_DECIMALS, decimals))
            frame[column] = frame[column].round(keep)
    return frame


def reader_columns(frame: pd.DataFrame, columns: Iterable[str] | None = None, *,
                   all_columns: bool = False
                   ) -> pd.DataFrame:
    """The columns to show: ``columns`` if given, all with ``all_columns``, else every
    column but :data:`DETAIL_COLUMNS`.

    Raises
    ------
    InvalidArgumentError
        A name in ``columns`` the table does not have (the message lists those it has).
    """
    if columns:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InvalidArgumentError(
                f"--columns: no column {', '.join(map(repr, missing))} in this table; it has "
                f"{', '.join(map(str, frame.columns))}.")
        return frame[list(columns)]
    if all_columns:
        return frame
    return frame[[c for c in frame.columns
                  if c not in DETAIL_COLUMNS and not _DETAIL_PATTERN.search(str(c))]]


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as YYYY-MM-DD, geometry columns dropped."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    geometry_columns = [c for c in frame.columns if str(frame[c].dtype) == "geometry"]
    return pd.DataFrame(frame.drop(columns=geometry_columns))


def format_table(frame: pd.DataFrame, fmt: str = "table", *, floatfmt: str = ".2f",
                 decimals: int | None = None) -> str:
    """Render a table as text in one of :data:`FORMATS`.

    ``csv`` and ``json`` hold plain numbers (no thousands separators), rounded by
    :func:`round_table` to ``decimals`` (the CLI passes :data:`DECIMALS`; the default
    None keeps every digit); ``table`` and ``markdown`` are for reading.
    """
    frame = round_table(_plain(frame), decimals)
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        return frame.to_json(orient="records", indent=2, force_ascii=False,
                             double_precision=15) + "\n"
    if fmt == "markdown":
        return frame.to_markdown(index=False, floatfmt=floatfmt) + "\n"
    if fmt == "table":
        with pd.option_context("display.max_rows", None, "display.max_columns", None,
                               "display.width", 250, "display.float_format",
                               lambda v: format(v, ",.2f")):
            return frame.to_string(index=False) + "\n"
    raise InvalidArgumentError(f"Unknown format {fmt!r}: choose one of {', '.join(FORMATS)}.")


def file_format(path: StrPath, *, option: str = "--output") -> str:
    """The format a file name asks for: a key of :data:`FILE_FORMATS` values, or
    ``"geojson"``/``"gpkg"`` for polygons.

    Raises
    ------
    InvalidArgumentError
        An extension frontline does not write (the message lists those it does).
    """
    suffix = Path(path).suffix.lower()
    if suffix in FILE_FORMATS:
        return FILE_FORMATS[suffix]
    if suffix in POLYGON_FORMATS:
        return suffix[1:]
    raise InvalidArgumentError(
        f"{option} {path}: unknown extension {suffix or '(none)'!r}; tables are written as "
        f"{' '.join(FILE_FORMATS)}, polygons as {' '.join(POLYGON_FORMATS)}.")


def write_table(path: StrPath, frame: pd.DataFrame, *, decimals: int | None = DECIMALS
                ) -> Path:
    """Write a table to ``path`` atomically, the format taken from the extension.

    ``.csv`` (UTF-8 with a byte-order mark, so Excel reads it), ``.json``, ``.md``,
    ``.txt`` as :func:`format_table`; ``.parquet`` (typed
    columns); ``.xlsx`` (needs openpyxl: ``pip install frontline[excel]``). Dates are
    written as ``YYYY-MM-DD``; numbers rounded by :func:`round_table`.
    """
    fmt = file_format(path)
    if fmt in ("geojson", "gpkg"):
        raise InvalidArgumentError(
            f"--output {path}: this command writes a table, not polygons; use .csv, .json, "
            ".parquet or .xlsx.")
    if fmt in FORMATS:
        text = format_table(frame, fmt, decimals=decimals)
        # a byte-order mark: Excel reads UTF-8 (km², Cyrillic names) only with one;
        # pandas, R and Datawrapper skip it
        return write_atomic(path, "\ufeff" + text if fmt == "csv" else text)
    plain = round_table(_plain(frame), decimals)
    buffer = io.BytesIO()
    if fmt == "parquet":
        plain.to_parquet(buffer, index=False)
    else:
        try:
            import openpyxl  # noqa: F401
        except ImportError as err:
            raise InvalidArgumentError(
                f"--output {path}: writing .xlsx needs openpyxl (pip install "
                "'frontline[excel]'); or write .csv, which Excel opens too.") from err
        plain.to_excel(buffer, index=False, engine="openpyxl")
    return write_atomic(path, buffer.getvalue())


def write_polygons(path: StrPath, frame: gpd.GeoDataFrame, *,
                   crs: pyproj.CRS | str | int | None = None,
                   decimals: int | None = DECIMALS) -> Path:
    """Write a GeoDataFrame to ``.geojson`` or ``.gpkg`` atomically (pyogrio).

    Attributes are rounded as :func:`round_table`; ``crs`` reprojects first (GeoPackage
    only: GeoJSON is WGS84 by its standard, RFC 7946, and web tools such as Datawrapper
    read nothing else).
    """
    import pyogrio

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in POLYGON_FORMATS:
        raise InvalidArgumentError(
            f"--output {path}: polygons are written as .geojson or .gpkg, not "
            f"{suffix or '(none)'}.")
    if crs is not None:
        frame = frame.to_crs(check_crs(crs, path))
    plain = round_table(frame, decimals)
    for column in plain.columns:
        if pd.api.types.is_datetime64_any_dtype(plain[column]):
            plain[column] = plain[column].dt.strftime("%Y-%m-%d")
    options = {"RFC7946": "YES"} if suffix == ".geojson" else {}
    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(plain, tmp, driver=POLYGON_FORMATS[suffix],
                                layer=path.stem if suffix == ".gpkg" else None, **options)
    return path


def check_crs(crs: pyproj.CRS | str | int, path: StrPath) -> pyproj.CRS:
    """The ``pyproj.CRS`` a polygon file at ``path`` may be reprojected to.

    Raises
    ------
    InvalidArgumentError
        ``crs`` is not a CRS pyproj knows, or ``path`` is GeoJSON (always WGS84).
    """
    import pyproj

    if Path(path).suffix.lower() == ".geojson":
        raise InvalidArgumentError(
            f"--crs {crs}: GeoJSON is always WGS84 (EPSG:4326, RFC 7946); write a .gpkg "
            "to reproject.")
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as err:
        raise InvalidArgumentError(f"--crs {crs}: not a CRS pyproj knows ({err}).") from err


def write_atomic(path: StrPath, data: str | bytes, *, durable: bool = True,
                 clean: bool = True) -> Path:
    r"""Write a file through a temporary name in the same folder, then rename it into place.

    The temporary file is synced to disk before the rename and the folder after it; on
    any error it is removed and the target is left as it was.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "a.csv", "x\n1\n").read_text()
    'x\n1\n'
    >>> [p.name for p in folder.iterdir()]
    ['a.csv']
    """
    with atomic_path(path, durable=durable, clean=clean) as tmp, open(tmp, "wb") as handle:
        handle.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    return Path(path)


@contextlib.contextmanager
def atomic_path(path: StrPath, *, durable: bool = True, clean: bool = True
                ) -> Iterator[Path]:
    """A temporary path to write ``path`` through: renamed into place (with ``fsync`` of
    the file and the folder) when the block ends, removed if it raises.

    For writers that need a file name (GeoPackage, a library's ``to_file``); the
    temporary name is ``.<name>.<12 hex>.part<suffix>`` in the target's folder, so the
    rename never crosses file systems. ``durable=False`` skips the fsyncs (the cache: a
    lost entry is rebuilt); ``clean=False`` skips the sweep for stale temporary files.
    A write the system refuses (disk full, no permission) raises :class:`WriteError`
    naming the file; the target is left as it was.
    """
    path = Path(path)
    if path.is_dir():
        raise InvalidArgumentError(f"{path} is a folder: give a file name to write to.")
    # the real extension last: drivers (GeoPackage) check it
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part{path.suffix}")
    try:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if clean:
                clean_stale_temps(path.parent)
            yield tmp
            if durable:
                _fsync_file(tmp)
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
            if durable:
                _fsync_dir(path.parent)
        except OSError as err:
            if isinstance(err, FrontlineError):  # a domain error raised while writing
                raise
            raise WriteError(
                f"Could not write {path}: {err.strerror or err} (errno {err.errno}); "
                f"{path} was left as it was. Free disk space or check that the folder "
                "is writable, then run the command again.") from err
    finally:
        if tmp.exists():  # the write failed: remove it and what a driver left beside it
            for leftover in (tmp, *tmp.parent.glob(tmp.name + "-*")):  # SQLite's -journal
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()


@contextlib.contextmanager
def temp_folder(parent: StrPath, prefix: str) -> Iterator[Path]:
    """A temporary folder ``<prefix><pid>-<random>`` inside ``parent``, removed when the
    block ends (whether it raises or not).

    For work that writes several files before moving them into place (a download and its
    checks, the month's chart set): the process id in the name lets
    :func:`clean_stale_temps` tell a killed run's folder from one another run is still
    writing.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> with temp_folder(root, ".frontline-demo-") as tmp:
    ...     tmp.name.startswith(f".frontline-demo-{os.getpid()}-")
    True
    >>> list(root.iterdir())
    []
    """
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def clean_stale_temps(folder: StrPath, *, prefix: str | None = None,
                      recursive: bool = False, older_than: float = STALE_TEMP_SECONDS
                      ) -> list[Path]:
    """Remove what interrupted runs left in ``folder``; return the paths removed.

    Only frontline's own temporary names are touched: with ``prefix=None`` the files of
    :func:`atomic_path` (``.<name>.<12 hex>.part[<suffix>]``), else files or folders whose
    name starts with ``prefix`` (those :func:`temp_folder` makes). One is stale when
    nothing can still be writing it: a name carrying a process id (``<prefix><pid>-...``)
    when that process is gone, any other when it has not changed for ``older_than``
    seconds. Each removal is logged (a warning naming the path).

    Parameters
    ----------
    folder : path-like
        Where to look; nothing happens if it is not a folder.
    prefix : str, optional
        The names to sweep (e.g. ``".frontline-fetch-"``); default: atomic writes' files.
    recursive : bool
        Look in every folder below ``folder`` too.
    older_than : float
        Seconds after which a temporary without a process id is taken as abandoned.

    Returns
    -------
    list of pathlib.Path
        The paths removed, in name order.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / ".frontline-demo-999999999-abc").mkdir()  # no such process
    >>> [p.name for p in clean_stale_temps(root, prefix=".frontline-demo-")]
    ['.frontline-demo-999999999-abc']
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    if prefix is None:
        candidates = (p for p in (folder.rglob("*") if recursive else folder.iterdir())
                      if _TEMP.match(p.name))
    else:
        candidates = folder.rglob(f"{prefix}*") if recursive else folder.glob(f"{prefix}*")
    removed = []
    now = time.time()
    for path in sorted(candidates):
        if any(parent in removed for parent in path.parents):
            continue  # inside a folder already removed
        try:
            if not _abandoned(path, prefix, now - older_than):
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:  # gone meanwhile, or not ours to remove: leave it
            continue
        log.warning("removed %s, left by an interrupted write", path)
        removed.append(path)
    return removed


def _abandoned(path: Path, prefix: str | None, changed_before: float) -> bool:
    """Whether nothing can still be writing the temporary ``path`` (see clean_stale_temps)."""
    if prefix is not None:
        pid, dash, _ = path.name[len(prefix):].partition("-")
        if dash and pid.isdigit():
            return not _process_alive(int(pid))
    return path.lstat().st_mtime <= changed_before


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OverflowError:  # not a process id this system can have
        return False
    return True


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); folders cannot be opened for syncing on Windows."""
    if os.name != "posix":  # pragma: no cover
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
