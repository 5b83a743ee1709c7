"""Readers: every input format frontline knows, to one canonical dated-layer table.

The canonical table is a GeoDataFrame in EPSG:4326 with one row per
(source, date, layer) and its provenance::

    source      "isw" (ISW's zips and ArcGIS GeoJSON, full resolution),
                "isw-weekly" (Le Monde's simplified weekly TopoJSON copies),
                "deepstate" (DeepStateMap daily polygons), or a user's own name
    date        the day the map stands for (datetime64, midnight)
    layer       canonical layer name (see :mod:`frontline.layers`)
    layer_name  the name as found in the file
    file        the file it came from
    member      the member inside a zip (or the ``layer`` property value), else ""
    n_features  how many features were dissolved into the row's geometry
    n_repaired  how many of them were invalid and repaired with ``make_valid``
    geometry    the layer's features dissolved into one (multi)polygon

Area tables (``read_area_table``) give the same keys with ``area_km2`` and no geometry.

Dates come from file or member names, never from file times. DeepState's files are
named by their *download* date (about 03:00 UTC), so a file shows the map as of the
previous day: ``deepstatemap_data_20241001.geojson`` is dated 2024-09-30. A DeepState map
named by its *map* day (hcss-utils' month-end files, stored as
``deepstate_mapday_2024-09-30.geojson``) is dated that day, whatever the lag.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer

from frontline._typing import DateLike, StrPath
from frontline.errors import CopiesDisagreeWarning, FrontlineWarning, ReadError
from frontline.io.validate import (
    check_area_table,
    check_layer,
    check_layer_total,
    repair_layer,
)
from frontline.layers import POINT_LAYERS, canonical_layer
from frontline.overlay import union
from frontline.sources.services import DEEPSTATE, HCSS_MONTH_END, MonthEndClasses

__all__ = [
    "CANONICAL_COLUMNS",
    "AREA_COLUMNS",
    "parse_date",
    "read_isw_zip",
    "read_isw_geojson",
    "read_topojson",
    "read_deepstate",
    "read_deepstate_mapday",
    "union_closed",
    "MAPDAY_PREFIX",
    "read_area_table",
    "combine_area_tables",
    "is_area_file",
    "read_file",
    "reader_for",
    "canonical_frame",
    "classify",
    "layer_row",
    "layer_rows",
    "read_geometries",
    "skipped",
    "SKIP_DIRS",
]

CANONICAL_COLUMNS = [
    "source", "date", "layer", "layer_name", "file", "member", "n_features", "n_repaired",
    "geometry",
]
AREA_COLUMNS = ["source", "date", "layer", "layer_name", "file", "area_km2"]

_MON = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
_MONTH_NAMES = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
_DATE_PATTERNS = [
    # 2024-10-31 (file names of GeoJSON/TopoJSON copies)
    (re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"), "ymd"),
    # 20241001 (DeepState)
    (re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)"), "ymd"),
    # AO31OCT2024 (control map)
    (re.compile(rf"(?<!\d)(\d{{1,2}})({_MON})(\d{{4}})(?!\d)", re.I), "dmy"),
    # OCT312024 (advances, claimed, counteroffensives, partisan)
    (re.compile(rf"({_MON})(\d{{2}})(\d{{4}})(?!\d)", re.I), "mdy"),
    # October 31, 2024 (Kursk layers)
    (re.compile(rf"({_MONTH_NAMES})\s*(\d{{1,2}}),?\s*(\d{{4}})", re.I), "mdy"),
]


def parse_date(name: str) -> dt.date | None:
    """Parse the date ISW (or a copy) wrote into a file or layer name; None if there is none.

    Examples
    --------
    >>> parse_date("UkraineControlMapAO31OCT2024.shp")
    datetime.date(2024, 10, 31)
    >>> parse_date("AssessedRussianAdvancesinUkraineSEP012024")
    datetime.date(2024, 9, 1)
    >>> parse_date("Kursk Incursion Russian Advances in Russia October 31, 2024.shp")
    datetime.date(2024, 10, 31)
    """
    for pattern, order in _DATE_PATTERNS:
        match = pattern.search(name)
        if not match:
            continue
        a, b, c = match.groups()
        if order == "ymd":
            year, month, day = int(a), int(b), int(c)
        elif order == "dmy":
            year, month, day = int(c), _month(b), int(a)
        else:
            year, month, day = int(c), _month(a), int(b)
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return None


def _month(text: str) -> int:
    return [m.lower() for m in _MON.split("|")].index(text[:3].lower()) + 1


def date_from_name(name: str, file: Path, what: str) -> pd.Timestamp:
    """The date in a file or member name (see :func:`parse_date`); ReadError if none.

    A name holding several different dates is dated by ISW's "as of" date when one is
    marked so (``UkraineControlMapAO31OCT2024_export20241105`` is the map as of
    2024-10-31, exported later); otherwise it is ambiguous and refused.
    """
    found = []  # (start, end, date, marked "as of"), first pattern wins on overlaps
    for pattern, _order in _DATE_PATTERNS:
        for match in pattern.finditer(name):
            if any(match.start() < end and start < match.end() for start, end, *_ in found):
                continue
            date = parse_date(match.group(0))
            if date is not None:
                as_of = name[:match.start()].upper().endswith("AO")
                found.append((match.start(), match.end(), date, as_of))
    dates = sorted({date for *_, date, _ in found})
    if len(dates) > 1:
        marked = sorted({date for *_, date, as_of in found if as_of})
        if len(marked) != 1:
            shown = ", ".join(f"{d:%Y-%m-%d}" for d in dates)
            raise ReadError(
                f"{file}: {what} {name!r} holds {len(dates)} dates ({shown}) and none is "
                "marked as the map's \"as of\" date (AO31OCT2024): rename the file to "
                "keep only the date the map stands for, or pass date=."
            )
        dates = marked
    if not dates:
        raise ReadError(
            f"{file}: no date in {what} {name!r}. frontline reads dates only from names "
            "(e.g. UkraineControlMapAO31OCT2024.shp, 2024-10-31_layer.geojson, "
            "deepstatemap_data_20241001.geojson): rename the file or pass date=."
        )
    return pd.Timestamp(dates[0])


def _dissolve(geoms: np.ndarray) -> shapely.Geometry:
    """Union valid features (after :func:`~frontline.io.validate.repair_layer`) into one
    2D geometry (:func:`frontline.overlay.union`).
    """
    return union(shapely.force_2d(np.asarray(geoms, dtype=object)))


def canonical_frame(rows: list[dict]) -> gpd.GeoDataFrame:
    """Build a canonical table from row dicts (one per source, date, layer)."""
    frame = pd.DataFrame(rows, columns=CANONICAL_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def layer_row(source: str, date: pd.Timestamp, layer_name: str, file: StrPath, member: str,
              features: gpd.GeoDataFrame | np.ndarray, *, on_invalid: str = "repair"
              ) -> dict:
    """One canonical row: the features (a GeoDataFrame in EPSG:4326, or an array of its
    geometries) validated (:func:`check_layer`), repaired under ``on_invalid``
    (:func:`~frontline.io.validate.repair_layer`) and dissolved, the layer name made
    canonical.
    """
    layer = canonical_layer(layer_name)
    geoms = np.asarray(getattr(features, "geometry", features), dtype=object)
    check_layer(geoms, file=file, member=member, polygons=layer not in POINT_LAYERS)
    geoms, n_repaired = repair_layer(geoms, file=file, member=member, layer=layer_name,
                                     on_invalid=on_invalid)
    geometry = _dissolve(geoms)
    check_layer_total(geometry, file=file, member=member)
    return {
        "source": source,
        "date": date,
        "layer": layer,
        "layer_name": layer_name,
        "file": str(file),
        "member": member,
        "n_features": len(geoms),
        "n_repaired": n_repaired,
        "geometry": geometry,
    }


# --------------------------------------------------------------------------- zips


def _zip_members(path: Path, *, check: bool = True) -> list[str]:
    """The .shp members of an ISW zip, looking one level into nested zips; ``check``
    tests every member's CRC (a read of the whole zip).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            bad = archive.testzip() if check else None
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise ReadError(
            f"{path}: not a readable zip ({err}). The download is empty or corrupt: "
            "download it again from ISW."
        ) from err
    if bad is not None:
        raise ReadError(f"{path}: member {bad!r} is corrupt: download the zip again from ISW.")
    members = [n for n in names if n.lower().endswith(".shp")]
    for inner in (n for n in names if n.lower().endswith(".zip")):
        with zipfile.ZipFile(path) as archive, archive.open(inner) as handle:
            try:
                with zipfile.ZipFile(handle) as nested:
                    members += [
                        f"{inner}/{n}" for n in nested.namelist() if n.lower().endswith(".shp")
                    ]
            except zipfile.BadZipFile as err:
                raise ReadError(
                    f"{path}: nested zip {inner!r} is corrupt: download the bundle again."
                ) from err
    if not members:
        raise ReadError(
            f"{path}: no shapefile (.shp) inside. Expected one of ISW's layer zips, "
            "e.g. UkraineControlMapAO31OCT2024.shp inside ukraine_control_map.zip."
        )
    return members


def zip_entries(path: Path, *, date: DateLike | None = None, check: bool = True
                ) -> list[tuple[str, str, pd.Timestamp]]:
    """``(member, layer name, date)`` of each shapefile in an ISW zip, from names only.

    ``check=False`` skips the members' CRC test (cataloguing a folder: the test runs
    when a zip is read).
    """
    entries = []
    for member in _zip_members(path, check=check):
        stem = Path(member).name[:-4]
        when = pd.Timestamp(date) if date is not None else date_from_name(stem, path, "member")
        entries.append((member, stem, when))
    return entries


def _vsi(path: Path, member: str) -> str:
    if ".zip/" in member:
        inner, rest = member.split(".zip/", 1)
        return f"/vsizip/{{/vsizip/{path}/{inner}.zip}}/{rest}"
    return f"/vsizip/{path}/{member}"


# Over Ukraine and western Russia, lon 20..50 E and lat 40..60 N.
_REGION = (20.0, 40.0, 50.0, 60.0)


def _infer_crs(gdf: gpd.GeoDataFrame, file: Path, member: str) -> str:
    """Infer a missing CRS from the coordinates, only where the answer is unambiguous."""
    minx, miny, maxx, maxy = gdf.total_bounds
    inside = lambda x0, y0, x1, y1: (  # noqa: E731
        _REGION[0] <= x0 and x1 <= _REGION[2] and _REGION[1] <= y0 and y1 <= _REGION[3]
    )
    assumed = None
    if inside(minx, miny, maxx, maxy):
        assumed = "EPSG:4326", "lon/lat degrees"
    to_lonlat = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    x0, y0 = to_lonlat.transform(minx, miny)
    x1, y1 = to_lonlat.transform(maxx, maxy)
    if not assumed and np.isfinite([x0, y0, x1, y1]).all() and inside(x0, y0, x1, y1):
        assumed = "EPSG:3857", "Web Mercator metres, as ISW writes its layers"
    if assumed:
        warnings.warn(f"{file}: {member!r} has no CRS (.prj missing); {assumed[0]} "
                      f"({assumed[1]}) was assumed from its coordinates. Put ISW's .prj "
                      "beside the .shp or pass crs= to state it.", FrontlineWarning,
                      stacklevel=4)
        return assumed[0]
    raise ReadError(
        f"{file}: {member!r} has no CRS (.prj missing) and its coordinates are neither "
        "lon/lat nor Web Mercator over Ukraine: put ISW's .prj beside the .shp or pass crs=."
    )


def _read_rings_as_written(source: str) -> gpd.GeoDataFrame:
    """Read a shapefile; if GDAL finds rings wound against their role (a hole lying
    outside its shell), read it again keeping the roles the file's winding gives, so the
    hole stays a hole and :func:`~frontline.io.validate.repair_layer` repairs (and
    reports) it instead of GDAL silently turning it into a second held area.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        gdf = pyogrio.read_dataframe(source, columns=[])
    winding = [w for w in caught if "invalid winding order" in str(w.message)]
    for w in caught:
        if w not in winding:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if not winding:
        return gdf
    pyogrio.set_gdal_config_options({"OGR_ORGANIZE_POLYGONS": "ONLY_CCW"})
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*invalid winding order",
                                    category=RuntimeWarning)
            return pyogrio.read_dataframe(source, columns=[])
    finally:
        pyogrio.set_gdal_config_options({"OGR_ORGANIZE_POLYGONS": None})


def read_isw_zip(path: StrPath, *, crs: CRS | str | int | None = None,
                 date: DateLike | None = None) -> gpd.GeoDataFrame:
    """Read one of ISW's daily download zips into canonical rows.

    Layer and date come from each ``.shp`` name inside (``UkraineControlMapAO31OCT2024``,
    ``AssessedRussianAdvancesinUkraineOCT312024``, ``Kursk Incursion ... October 31, 2024``).
    Each file is reprojected from its own ``.prj`` (EPSG:3857 for most layers, ESRI:102013
    for the Kursk layers); Z/M coordinates are dropped. A missing ``.prj`` is inferred only
    when the coordinates are unambiguously lon/lat or Web Mercator over Ukraine.
    ISW's ``area`` and ``Shape_Area`` attributes are ignored.

    Parameters
    ----------
    path : path-like
        The zip (nested zips, as in ISW's e-mailed bundles, are read too).
    crs : optional
        CRS to assume for members without a ``.prj``.
    date : optional
        Date to use when a member's name carries none.
    """
    return canonical_frame(_isw_zip_rows(Path(path), crs=crs, date=date))


def _isw_zip_rows(path: Path, *, crs: CRS | str | int | None = None,
                  date: DateLike | None = None) -> list[dict]:
    rows = []
    for member, stem, when in zip_entries(path, date=date):
        try:
            with warnings.catch_warnings():
                # GDAL cannot sort some of ISW's 2026 rings into shells and holes and
                # returns them as a collection: _dissolve makes them valid and unions
                # them (areas equal isw/MANIFEST.md's, tests/io/test_readers.py).
                warnings.filterwarnings("ignore", message="organizePolygons",
                                        category=RuntimeWarning)
                gdf = _read_rings_as_written(_vsi(path, member))
        except Exception as err:  # pyogrio raises several DataSourceError types
            raise ReadError(
                f"{path}: cannot read {member!r} ({err}): download the zip again from ISW."
            ) from err
        if gdf.crs is None:
            gdf = gdf.set_crs(crs if crs is not None else _infer_crs(gdf, path, member))
        gdf = gdf.to_crs("EPSG:4326")
        rows.append(layer_row("isw", when, stem, path, member, gdf))
    return rows


# --------------------------------------------------------------------- GeoJSON


def gdal_path(path: Path) -> str:
    """The name GDAL reads a file by: through ``/vsigzip/`` when it is gzipped."""
    return f"/vsigzip/{path}" if path.suffix == ".gz" else str(path)


def layer_from_file_name(name: str) -> str:
    """The layer part of a ``YYYY-MM-DD_<Layer>`` file name (the whole name if no date)."""
    return re.sub(r"^\d{4}-\d{2}-\d{2}[_-]?", "", name) or name


def _read_vector(path: Path) -> gpd.GeoDataFrame:
    try:
        return pyogrio.read_dataframe(gdal_path(path))
    except Exception as err:
        raise ReadError(f"{path}: cannot read ({err}): download the file again.") from err


def read_geometries(path: StrPath) -> tuple[np.ndarray, str | None]:
    """A vector file's geometries and CRS (as GDAL names it), without its attributes and
    without a GeoDataFrame: for the thousands of small DeepState files that is a third
    of the reading time. Only GDAL runs here (no warning filter is touched), so several
    threads may read at once (:meth:`frontline.history.History.prefetch`).
    """
    path = Path(path)
    try:
        meta, _, wkb, _ = pyogrio.raw.read(gdal_path(path), columns=[], read_geometry=True)
    except Exception as err:
        raise ReadError(f"{path}: cannot read ({err}): download the file again.") from err
    return shapely.from_wkb(wkb), meta.get("crs")


def read_isw_geojson(path: StrPath, *, date: DateLike | None = None,
                     source: str = "isw") -> gpd.GeoDataFrame:
    """Read ISW layers as served by ISW's ArcGIS services (GeoJSON, optionally gzipped).

    A ``layer`` property names the service (``VIEW_RussiaCoTinUkraine_V3``, ...) when one
    file holds several layers; otherwise the layer is the file name after its date
    (``2022-03-31_RussianAssessedAdvanceinUkraine.geojson.gz``).
    """
    return canonical_frame(_isw_geojson_rows(Path(path), date=date, source=source))


def _isw_geojson_rows(path: Path, *, date: DateLike | None = None,
                      source: str = "isw") -> list[dict]:
    name = path.name.split(".")[0]
    when = pd.Timestamp(date) if date is not None else date_from_name(name, path, "file name")
    gdf = _read_vector(path)
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")  # RFC 7946: GeoJSON is lon/lat WGS84
    gdf = gdf.to_crs("EPSG:4326")
    if "layer" in gdf.columns:
        groups = list(gdf.groupby("layer", sort=False))
    else:
        groups = [(layer_from_file_name(name), gdf)]
    return [layer_row(source, when, str(key), path, str(key), part) for key, part in groups]


def read_topojson(path: StrPath, *, layer: str | None = None, date: DateLike | None = None,
                  source: str = "isw-weekly") -> gpd.GeoDataFrame:
    """Read a weekly TopoJSON copy of an ISW layer (Le Monde's ``<layer>/<date>.topojson``).

    These copies are simplified: fine for long-range and visual work, not for ±2 km²
    monthly figures, so they form their own source, ``isw-weekly``.
    """
    return canonical_frame(_topojson_rows(Path(path), layer=layer, date=date, source=source))


def _topojson_rows(path: Path, *, layer: str | None = None, date: DateLike | None = None,
                   source: str = "isw-weekly") -> list[dict]:
    layer = layer or path.parent.name
    when = pd.Timestamp(date) if date is not None else date_from_name(path.stem, path, "file name")
    geoms, _ = read_geometries(path)  # TopoJSON is lon/lat, whatever GDAL says
    return [layer_row(source, when, layer, path, "", geoms)]


#: Days between a DeepState file's download date and the map date it stands for. 1 fits
#: DeepState's published monthly figures of 2024 (363 km² in Aug 2024), 2 those of 2025
#: (556 km² in Jun, 564 in Jul): benchmarks/deepstate_lag.py measures both.
DEEPSTATE_LAG_DAYS = 1


def deepstate_date(path: StrPath, *, lag_days: int = DEEPSTATE_LAG_DAYS) -> pd.Timestamp:
    """The day a DeepState file shows: its download date (in the name) minus ``lag_days``.

    Examples
    --------
    >>> deepstate_date("deepstatemap_data_20241001.geojson")
    Timestamp('2024-09-30 00:00:00')
    >>> deepstate_date("deepstatemap_data_20250701.geojson", lag_days=2)
    Timestamp('2025-06-29 00:00:00')
    """
    path = Path(path)
    if int(lag_days) < 0:
        raise ReadError(f"lag_days (--deepstate-lag) must be 0 or more, not {lag_days!r}.")
    return date_from_name(path.stem, path, "file name") - pd.Timedelta(days=int(lag_days))


def read_deepstate(path: StrPath, *, lag_days: int = DEEPSTATE_LAG_DAYS) -> gpd.GeoDataFrame:
    """Read one DeepStateMap daily file (``deepstatemap_data_YYYYMMDD.geojson``).

    The row is dated the day *before* the date in the name (see module docs).
    """
    return canonical_frame(_deepstate_rows(Path(path), lag_days=lag_days))


def _deepstate_rows(path: Path, *, lag_days: int = DEEPSTATE_LAG_DAYS,
                    raw: tuple[np.ndarray, str | None] | None = None) -> list[dict]:
    geoms, crs = raw if raw is not None else read_geometries(path)
    if crs not in (None, "EPSG:4326", "OGC:CRS84"):
        geoms = gpd.GeoSeries(geoms, crs=crs).to_crs("EPSG:4326").values
    return [layer_row("deepstate", deepstate_date(path, lag_days=lag_days), "occupied", path,
                      "", geoms)]


#: File names of DeepState maps dated by their map day: ``deepstate_mapday_YYYY-MM-DD``.
MAPDAY_PREFIX = "deepstate_mapday_"


def union_closed(parts: Sequence[shapely.Geometry] | np.ndarray,
                 eps: float = DEEPSTATE.close_eps) -> shapely.Geometry:
    """The union of DeepState polygons, closed by buffering out and back in by ``eps``.

    As the registry's daily files are built (and :mod:`frontline.sources.deepstate`
    builds a snapshot): slivers between touching classes disappear.
    """
    merged = union(shapely.force_2d(np.asarray(parts, dtype=object)))
    mitre = shapely.BufferJoinStyle.mitre
    return shapely.buffer(shapely.buffer(merged, eps, quad_segs=1, join_style=mitre),
                          -eps, quad_segs=1, join_style=mitre)


def read_deepstate_mapday(path: StrPath, *,
                          classes: MonthEndClasses = HCSS_MONTH_END) -> gpd.GeoDataFrame:
    """Read a DeepState map named by its map day (``deepstate_mapday_YYYY-MM-DD.geojson``).

    hcss-utils' month-end files: every class of DeepState's map, each feature's class in
    ``classes.class_field``. The occupied classes are unioned and closed as the
    registry's daily files are (:func:`union_closed`); the row is dated the day in the
    name (no lag: the name is the map's day, not a download day).

    Raises
    ------
    ReadError
        A class in neither ``classes.occupied`` nor ``classes.other`` (frontline cannot
        tell whether it is occupied territory), no occupied polygon, or a feature dated
        another day than the name.
    """
    return canonical_frame(_deepstate_mapday_rows(Path(path), classes=classes))


def _deepstate_mapday_rows(path: Path, *, classes: MonthEndClasses = HCSS_MONTH_END
                           ) -> list[dict]:
    path = Path(path)
    when = date_from_name(path.stem, path, "file name")
    gdf = _read_vector(path)
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")  # RFC 7946: GeoJSON is lon/lat WGS84
    gdf = gdf.to_crs("EPSG:4326")
    fix = (f"add it to HCSS_MONTH_END in frontline/sources/services.py once you know "
           f"what it holds, or remove {path.name}")
    if classes.class_field not in gdf.columns:
        raise ReadError(f"{path}: no {classes.class_field!r} property (has "
                        f"{[c for c in gdf.columns if c != 'geometry']}): not a month-end "
                        f"DeepState map as hcss-utils publishes it; {fix}.")
    kinds = gdf[classes.class_field].astype(str)
    unknown = kinds[~kinds.isin([*classes.occupied, *classes.other])].value_counts()
    if len(unknown):
        shown = ", ".join(f"{k!r} ({n} features)" for k, n in unknown.items())
        raise ReadError(f"{path}: unknown {classes.class_field} {shown}: frontline cannot "
                        f"tell whether it is occupied territory; {fix}.")
    if "date" in gdf.columns:
        days = set(gdf["date"].dropna().astype(str).str[:10]) - {f"{when:%Y-%m-%d}"}
        if days:
            raise ReadError(f"{path}: features dated {sorted(days)[:3]} in a map named "
                            f"{when:%Y-%m-%d}: rename the file to the day its features "
                            "carry, or remove it.")
    occupied = gdf[kinds.isin(classes.occupied)]
    polygons = occupied.geometry.values[
        np.isin(shapely.get_type_id(occupied.geometry.values), [3, 6])]  # (Multi)Polygon
    if not len(polygons):
        raise ReadError(f"{path}: no polygon of the occupied classes "
                        f"({', '.join(classes.occupied)}): nothing to read; remove it.")
    return [layer_row("deepstate", when, "occupied", path, "", [union_closed(polygons)])]


#: The rows of a layer file, by the reader :func:`classify` names for it.
_ROWS = {"zip": _isw_zip_rows, "geojson": _isw_geojson_rows, "topojson": _topojson_rows,
         "deepstate-mapday": _deepstate_mapday_rows}


def layer_rows(path: StrPath, reader: str, *, lag_days: int = DEEPSTATE_LAG_DAYS,
               raw: tuple[np.ndarray, str | None] | None = None) -> list[dict]:
    """The canonical rows of one layer file as dicts (one per ``CANONICAL_COLUMNS``
    row): what :func:`read_file` returns before it becomes a GeoDataFrame. The layer
    cache keeps these rows; building a GeoDataFrame per file would cost more than
    reading a DeepState file.

    Parameters
    ----------
    path : path-like
    reader : {"zip", "geojson", "topojson", "deepstate", "deepstate-mapday"}
        As :func:`classify` names it.
    lag_days : int
        DeepState's lag (:func:`deepstate_date`); ignored by the other readers.
    raw : optional
        A DeepState file's :func:`read_geometries`, read beforehand (in another thread).
    """
    path = Path(path)
    if reader == "deepstate":
        return _deepstate_rows(path, lag_days=lag_days, raw=raw)
    if reader not in _ROWS:
        raise ReadError(f"{path}: no layer reader {reader!r} (choose one of "
                        f"{', '.join(sorted([*_ROWS, 'deepstate']))}).")
    return _ROWS[reader](path)


# ------------------------------------------------------------------ area tables


def read_area_table(path: StrPath, *, source: str = "isw-areas") -> pd.DataFrame:
    """Read a per-layer daily area table (an area-only source for days without polygons).

    Accepted: a JSON list of ``{date, layerType, areaKm2}`` (sdspieg's ``daily_areas.json``),
    The Economist's extract (``date, name, ..., area_km2_geodesic_equiv_x1.002718``), or
    any CSV with ``date, layer, area_km2`` columns. Areas must be geodesic km².
    """
    path = Path(path)
    try:
        if path.suffix == ".json":
            with open(path, encoding="utf-8") as handle:
                records = json.load(handle)
            frame = pd.DataFrame(records)
            frame = frame.rename(columns={"layerType": "layer_name", "areaKm2": "area_km2"})
        else:
            frame = pd.read_csv(path)
            if "area_km2_geodesic_equiv_x1.002718" in frame.columns:
                # The "type" column names the layer on every row ("name" is blank on
                # rows The Economist derived), and its areas are spherical: use the
                # column converted to the ellipsoid.
                frame = frame.rename(
                    columns={"type": "layer_name", "area_km2_geodesic_equiv_x1.002718": "area_km2"}
                )
            else:
                frame = frame.rename(columns={"layer": "layer_name"})
    except (ValueError, OSError) as err:
        raise ReadError(f"{path}: not a readable area table ({err}).") from err
    missing = {"date", "layer_name", "area_km2"} - set(frame.columns)
    if missing:
        raise ReadError(
            f"{path}: not an area table: columns {sorted(missing)} are missing. Expected "
            "date, layer, area_km2 (geodesic km²)."
        )
    frame["layer"] = [canonical_layer(str(n)) for n in frame["layer_name"]]
    check_area_table(frame, file=path)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    frame["source"] = source
    frame["file"] = str(path)
    frame["area_km2"] = frame["area_km2"].astype(float)
    return frame[AREA_COLUMNS].reset_index(drop=True)


#: Two copies "agree with the neighbours" when a value is within this many km², or this
#: share of the neighbours' value, of the value interpolated from the nearest days (within
#: ``NEIGHBOUR_DAYS``) on which the copies agree.
AGREE_KM2 = 10.0
AGREE_SHARE = 0.05
NEIGHBOUR_DAYS = 7


def _newness(table: pd.DataFrame) -> tuple:
    """How new a copy is: the last date it holds, then its file's modification time."""
    path = Path(table["file"].iloc[0])
    mtime = path.stat().st_mtime if path.exists() else 0.0
    return (table["date"].max(), mtime)


def combine_area_tables(tables: list[pd.DataFrame], /) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read several copies of one area table together: each (source, date, layer) once.

    Copies of one table (sdspieg's ``daily_areas.json`` and its successor, hcss's) mostly
    hold the same values. The rule, in this order:

    1. a key only one copy holds, or that every copy holding it gives the same value
       (to 1e-6 km²), is taken as it is; its ``file`` is the newest copy holding it;
    2. where copies disagree, the value that agrees with the neighbours is taken: the
       value interpolated (linearly by day) from the nearest earlier and later dates,
       within ``NEIGHBOUR_DAYS``, on which the copies agree, within ``AGREE_KM2`` km² or
       ``AGREE_SHARE`` of it (a doubled or halved value does not);
    3. else the newest copy's value (the copy reaching the later last date; on a tie
       the later-modified file).

    Every disagreement is listed in a :class:`~frontline.errors.CopiesDisagreeWarning`
    and in the second table returned.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The combined table (``AREA_COLUMNS``) and the disagreements, one row per
        candidate value: ``source, date, layer, file, area_km2, chosen, rule``.

    Examples
    --------
    >>> a = pd.DataFrame({"source": "t", "date": pd.to_datetime(["2025-01-01"] * 2),
    ...                   "layer": ["control", "claimed"], "layer_name": "x",
    ...                   "file": "a.json", "area_km2": [100.0, 5.0]})
    >>> b = a.assign(file="b.json")
    >>> combined, disagreements = combine_area_tables([a, b])
    >>> len(combined), len(disagreements)
    (2, 0)
    """
    tables = [t for t in tables if len(t)]
    empty = pd.DataFrame(columns=["source", "date", "layer", "file", "area_km2", "chosen",
                                  "rule"])
    if not tables:
        return pd.DataFrame(columns=AREA_COLUMNS), empty
    if len(tables) == 1:
        return tables[0][AREA_COLUMNS].reset_index(drop=True), empty
    order = sorted(range(len(tables)), key=lambda i: _newness(tables[i]))
    rank = {tables[i]["file"].iloc[0]: n for n, i in enumerate(order)}
    rows = pd.concat(tables, ignore_index=True)
    rows["rank"] = rows["file"].map(rank)
    rows["value"] = rows["area_km2"].round(6)
    keys = ["source", "date", "layer"]
    distinct = rows.groupby(keys)["value"].transform("nunique")
    agreed = rows[distinct <= 1].sort_values("rank").groupby(keys, sort=False).tail(1)
    disputed = rows[distinct > 1]
    chosen = [agreed]
    report = []
    for (source, date, layer), part in disputed.groupby(keys, sort=True):
        expected = _neighbour_value(agreed, source, layer, date)
        pick, rule = None, "newest copy (no neighbour agrees)"
        if expected is not None:
            miss = (part["area_km2"] - expected).abs()
            tolerance = max(AGREE_KM2, AGREE_SHARE * abs(expected))
            close = part[miss <= tolerance]
            if len(close):
                pick = close.sort_values("rank").iloc[-1]
                rule = f"agrees with the neighbouring days ({expected:,.2f} km²)"
        if pick is None:
            pick = part.sort_values("rank").iloc[-1]
        chosen.append(pick.to_frame().T)
        for candidate in part.itertuples():
            report.append({"source": source, "date": date, "layer": layer,
                           "file": candidate.file, "area_km2": candidate.area_km2,
                           "chosen": candidate.Index == pick.name, "rule": rule})
    combined = pd.concat(chosen).sort_values(keys)
    combined["date"] = pd.to_datetime(combined["date"]).astype("datetime64[ns]")
    combined["area_km2"] = combined["area_km2"].astype(float)
    disagreements = pd.DataFrame(report, columns=empty.columns)
    if len(disagreements):
        warnings.warn(_disagreement_text(disagreements), CopiesDisagreeWarning, stacklevel=2)
    return combined[AREA_COLUMNS].reset_index(drop=True), disagreements


def _neighbour_value(agreed: pd.DataFrame, source, layer, date) -> float | None:
    """The layer's value on ``date`` interpolated from the nearest agreed days around it."""
    series = agreed[(agreed["source"] == source) & (agreed["layer"] == layer)]
    window = pd.Timedelta(days=NEIGHBOUR_DAYS)
    before = series[(series["date"] < date) & (series["date"] >= date - window)]
    after = series[(series["date"] > date) & (series["date"] <= date + window)]
    if before.empty and after.empty:
        return None
    if before.empty or after.empty:
        side = before if len(before) else after
        near = side.iloc[(side["date"] - date).abs().argsort().iloc[0]]
        return float(near["area_km2"])
    a = before.sort_values("date").iloc[-1]
    b = after.sort_values("date").iloc[0]
    share = (date - a["date"]) / (b["date"] - a["date"])
    return float(a["area_km2"] + share * (b["area_km2"] - a["area_km2"]))


def _disagreement_text(disagreements: pd.DataFrame) -> str:
    lines = []
    for (date, layer), part in disagreements.groupby(["date", "layer"], sort=True):
        values = ", ".join(f"{Path(r.file).name} {r.area_km2:,.2f}" for r in part.itertuples())
        pick = part[part["chosen"]].iloc[0]
        lines.append(f"{date:%Y-%m-%d} {layer}: {values} -> {Path(pick.file).name} "
                     f"({pick.rule})")
    return (f"Copies of the area table disagree on {len(lines)} value(s); one was picked by "
            "frontline.io.readers.combine_area_tables's rule: " + "; ".join(lines))


# ------------------------------------------------------------- any file by name


#: Folders that hold no layers: never searched, in a data directory or a folder imported.
SKIP_DIRS = ("boundaries", "extra", "archive")
#: Area tables are read from folders of this name (other .json/.csv files are not).
AREA_DIR = "area_tables"


def skipped(path: Path, root: Path) -> bool:
    """Whether ``path`` lies in a folder (below ``root``) that holds no layers."""
    parts = Path(path).relative_to(root).parts[:-1]
    return any(p.startswith(SKIP_DIRS) for p in parts)


def classify(path: Path) -> str | None:
    """The source a file found in a folder feeds, from its name and folder; None when
    frontline does not read it.

    ``deepstate`` (``deepstatemap_data_YYYYMMDD.geojson``, dated by download day, and
    ``deepstate_mapday_YYYY-MM-DD.geojson``, by map day), ``isw-areas`` (``.json``/``.csv``
    in an ``area_tables`` folder, not its ``*metadata*`` files), ``isw`` (zips, GeoJSON),
    ``isw-weekly`` (TopoJSON). The one place that knows it (``history.load`` and the
    archive's import both ask here).

    Examples
    --------
    >>> classify(Path("isw/area_tables/sdspieg_daily_areas.json"))
    'isw-areas'
    >>> classify(Path("isw/area_tables/sdspieg_metadata.json")) is None
    True
    """
    path = Path(path)
    name = path.name.lower()
    if name.startswith(("deepstatemap_data_", MAPDAY_PREFIX)) and name.endswith(".geojson"):
        return "deepstate"
    if is_area_file(path):
        return "isw-areas" if AREA_DIR in path.parts[:-1] and "metadata" not in name else None
    if name.endswith((".zip", ".geojson", ".geojson.gz")):
        return "isw"
    if name.endswith(".topojson"):
        return "isw-weekly"
    return None


def is_area_file(path: Path) -> bool:
    """Whether a file is read as an area table (``.json``/``.csv``)."""
    return path.name.lower().endswith((".json", ".csv"))


def reader_for(path: Path) -> Callable[[Path], pd.DataFrame] | None:
    """The reader a file's name calls for, or None for a file frontline does not read."""
    name = path.name.lower()
    if name.startswith("deepstatemap_data_") and name.endswith(".geojson"):
        return read_deepstate
    if name.startswith(MAPDAY_PREFIX) and name.endswith(".geojson"):
        return read_deepstate_mapday
    if name.endswith(".zip"):
        return read_isw_zip
    if name.endswith((".geojson", ".geojson.gz")):
        return read_isw_geojson
    if name.endswith(".topojson"):
        return read_topojson
    if is_area_file(path):
        return _read_area_table_by_name
    return None


def _read_area_table_by_name(path: Path) -> pd.DataFrame:
    try:
        return read_area_table(path)
    except ReadError as err:
        raise ReadError(
            f"{err} frontline imports .json/.csv files as area tables only (sdspieg's "
            "daily_areas.json, The Economist's extract, or a CSV with date, layer, "
            "area_km2 columns)."
        ) from err


def read_file(path: StrPath) -> pd.DataFrame:
    """Rows of one file, with the reader its name calls for: canonical layer rows (a
    GeoDataFrame), or for an area table its rows (``AREA_COLUMNS``).
    """
    path = Path(path)
    with warnings.catch_warnings():
        # ISW's "Measured 3D" polygons: M is dropped on purpose (the readers drop Z too).
        warnings.filterwarnings("ignore", message="Measured \\(M\\) geometry types")
        reader = reader_for(path)
        if reader is None:
            raise ReadError(f"{path}: not a file frontline reads (zip, GeoJSON, TopoJSON, "
                            "DeepState file or area table).")
        return reader(path)
