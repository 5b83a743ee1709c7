"""One validation step every input passes on its way in: report every problem, raise once.

:func:`check_layer` runs on each layer's features after reprojection to EPSG:4326 and
before any GEOS call (so metre coordinates under a degrees CRS cannot blow up memory);
:func:`check_area_table` on each area table. Both collect every problem of the input and
raise one :class:`~frontline.errors.ReadError` naming the file and the fix.
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike

from frontline.errors import ReadError

__all__ = ["REGION", "check_area_table", "check_layer"]

#: Where every layer frontline reads must lie (lon/lat): Ukraine, Crimea and western Russia
#: (Kursk, Belgorod), with a margin. A layer outside it has a wrong or missing CRS.
REGION = (18.0, 40.0, 50.0, 58.0)

_POLYGONAL = {"Polygon", "MultiPolygon"}
_TYPE_NAMES = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
               5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}


def _bounds_problem(bounds) -> str | None:
    minx, miny, maxx, maxy = bounds
    if not np.isfinite([minx, miny, maxx, maxy]).all():
        return "coordinates are not finite numbers (NaN or infinite)"
    if max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90:
        return (f"coordinates reach ({minx:,.0f}, {miny:,.0f})-({maxx:,.0f}, {maxy:,.0f}), "
                "beyond longitude/latitude: the file's CRS is wrong or missing (metres "
                "read as degrees); fix its .prj or pass crs=")
    x0, y0, x1, y1 = REGION
    if x0 <= minx and maxx <= x1 and y0 <= miny and maxy <= y1:
        return None
    if x0 <= miny and maxy <= x1 and y0 <= minx and maxx <= y1:
        return ("longitude and latitude are swapped (the layer lies at lon "
                f"{minx:.1f}..{maxx:.1f}, lat {miny:.1f}..{maxy:.1f}): swap the axes "
                "(GeoJSON is lon, lat) or fix the CRS's axis order")
    return (f"the layer lies at lon {minx:.2f}..{maxx:.2f}, lat {miny:.2f}..{maxy:.2f}, "
            f"outside Ukraine and western Russia (lon {x0:g}..{x1:g}, lat {y0:g}..{y1:g}): "
            "the file's CRS is wrong (e.g. Web Mercator metres under a degrees .prj)")


def check_layer(geometries: ArrayLike, /, *, file: str | os.PathLike[str], member: str = "",
                polygons: bool = True) -> None:
    """Refuse a layer frontline cannot measure honestly; every problem in one error.

    Checks: at least one geometry that is neither null nor empty, polygons only,
    coordinates that are finite longitude/latitude inside :data:`REGION` (swapped axes
    are named). ``polygons=False`` lets a layer that is points by nature (ISW's Kursk
    incursion events, :data:`frontline.layers.POINT_LAYERS`) through.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> check_layer([box(37.0, 48.0, 37.1, 48.1)], file="ok.shp")
    >>> check_layer([Point(37.0, 48.0)], file="points.shp")
    Traceback (most recent call last):
    ...
    frontline.errors.ReadError: points.shp: 1 problem: geometry types Point (polygons only)...
    """
    geoms = np.asarray(geometries, dtype=object)
    where = f"{file}" + (f" ({member})" if member else "")
    problems = []
    if len(geoms) == 0:
        problems.append("no features")
    missing = shapely.is_missing(geoms) if len(geoms) else np.array([], dtype=bool)
    present = geoms[~missing]
    # ISW's own files hold features without geometry beside real ones (92 of 190 in the
    # claimed layer of 2024-12-31): they hold no area and are left out. A layer with no
    # geometry at all is refused (it would measure 0 km²).
    if len(geoms) and missing.all():
        problems.append(f"all {len(geoms)} geometries are null")
    if len(present):
        empty = shapely.is_empty(present)
        if empty.all():
            problems.append(f"all {len(present)} geometries are empty")
        kinds = sorted(set(shapely.get_type_id(present[~empty]).tolist()))
        names = [_TYPE_NAMES[k] for k in kinds]
        other = [n for n in names if n not in _POLYGONAL and n != "GeometryCollection"]
        if other and polygons:
            problems.append(f"geometry types {', '.join(other)} (polygons only): a point "
                            "or line layer has no area")
        if (~empty).any():
            bounds = shapely.total_bounds(present[~empty])
            problem = _bounds_problem(bounds)
            if problem:
                problems.append(problem)
    if problems:
        raise ReadError(f"{where}: {len(problems)} problem{'s' if len(problems) > 1 else ''}: "
                        + "; ".join(problems) + ". Nothing was read from it.")


def check_area_table(frame: pd.DataFrame, /, *, file: str | os.PathLike[str],
                     today: dt.date | None = None) -> None:
    """Refuse an area table with values frontline cannot use; every problem in one error.

    Checks: areas numeric, finite and non-negative; dates parseable and not after today;
    one value per (date, layer) in the file. Rows are numbered from 1 as in the file.

    Examples
    --------
    >>> table = pd.DataFrame({"date": ["2025-01-01", "2099-01-01"],
    ...                       "layer": ["control", "control"], "area_km2": ["1.5", "-2"]})
    >>> check_area_table(table, file="t.csv")
    Traceback (most recent call last):
    ...
    frontline.errors.ReadError: t.csv: 2 problems: row 2: area -2 is negative; row 2: ...
    """
    today = today or dt.date.today()
    problems = []
    area = pd.to_numeric(frame["area_km2"], errors="coerce")
    dates = pd.to_datetime(frame["date"], errors="coerce")
    for i, (raw, value, when, raw_date) in enumerate(
            zip(frame["area_km2"], area, dates, frame["date"], strict=True), start=1):
        if pd.isna(value):
            problems.append(f"row {i}: area {raw!r} is not a number")
        elif not np.isfinite(value):
            problems.append(f"row {i}: area {raw!r} is not finite")
        elif value < 0:
            problems.append(f"row {i}: area {value:g} is negative")
        if pd.isna(when):
            problems.append(f"row {i}: date {raw_date!r} is not a date")
        elif when.date() > today:
            problems.append(f"row {i}: date {when:%Y-%m-%d} is after today ({today})")
    keys = pd.DataFrame({"date": dates, "layer": frame["layer"]})
    twice = keys[keys.duplicated(keep=False) & keys["date"].notna()]
    for (when, layer), part in twice.groupby(["date", "layer"], sort=True):
        rows = ", ".join(str(i + 1) for i in part.index)
        problems.append(f"{when:%Y-%m-%d} {layer} is given {len(part)} times (rows {rows})")
    if problems:
        shown = problems[:5] + ([f"+{len(problems) - 5} more"] if len(problems) > 5 else [])
        raise ReadError(f"{file}: {len(problems)} problem{'s' if len(problems) > 1 else ''}: "
                        + "; ".join(shown) + ". Fix the table (or remove the rows); nothing "
                        "was read from it.")
