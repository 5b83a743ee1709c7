"""One validation step every input passes on its way in: report every problem, raise once.

:func:`check_layer` runs on each layer's features after reprojection to EPSG:4326 and
before any GEOS call (so metre coordinates under a degrees CRS cannot blow up memory);
:func:`repair_layer` then repairs invalid rings under the ``on_invalid=`` policy and reports
what the repair changed; :func:`check_layer_total` refuses a dissolved layer larger than
:data:`MAX_LAYER_KM2`; :func:`check_area_table` runs on each area table. The checks collect
every problem of the input and raise one :class:`~frontline.errors.ReadError` naming the
file and the fix.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike

from frontline.errors import FrontlineWarning, ReadError
from frontline.geodesy import geodesic_area_km2

__all__ = ["MAX_LAYER_KM2", "ON_INVALID", "REGION", "REPAIR_REPORT_KM2", "check_area_table",
           "check_layer", "check_layer_total", "repair_layer"]

#: Where every layer frontline reads must lie (lon/lat): Ukraine, Crimea and western Russia
#: (Kursk, Belgorod), with a margin. A layer outside it has a wrong or missing CRS.
REGION = (18.0, 40.0, 50.0, 58.0)

#: No layer (nor area-table value) can be larger than this many km²: Ukraine (603,628 km²)
#: and the five Russian oblasts on its border (Bryansk, Kursk, Belgorod, Voronezh, Rostov:
#: 245,171 km²), rounded up. A larger total comes from a wrong CRS, wrong units or a
#: layer that is not a map of the war, and is refused.
MAX_LAYER_KM2 = 850_000.0

#: Policies for invalid rings (``on_invalid=``): ``"repair"`` (the default) repairs them
#: and warns when the repair changes the features' area by more than
#: :data:`REPAIR_REPORT_KM2`; ``"raise"`` refuses the file.
ON_INVALID = ("repair", "raise")
#: A repair changing a layer's features by more than this many km² is reported (a
#: :class:`~frontline.errors.FrontlineWarning`). Smaller repairs (ISW's tiny self-touching
#: loops, degenerate holes: at most 0.04 km² in the real data) are counted in the canonical
#: table's ``n_repaired`` only.
REPAIR_REPORT_KM2 = 0.1

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

    Checks: areas numeric, finite, non-negative and at most :data:`MAX_LAYER_KM2`; dates
    parseable and not after today;
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
        elif value > MAX_LAYER_KM2:
            problems.append(f"row {i}: area {value:,.0f} km² is more than Ukraine and "
                            f"western Russia together ({MAX_LAYER_KM2:,.0f} km²)")
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


def _polygons(geometry) -> list:
    """The Polygon parts of any geometry (collections opened, lines and points left out)."""
    kind = shapely.get_type_id(geometry)
    if kind == 3:
        return [geometry]
    if kind in (6, 7):
        return [p for part in shapely.get_parts(geometry) for p in _polygons(part)]
    return []


def _ring_polygon(ring):
    """The polygon a ring encloses, made valid (a self-crossing ring gives its loops)."""
    coords = shapely.get_coordinates(ring)
    if len(coords) < 4:
        return shapely.Polygon()
    parts = _polygons(shapely.make_valid(shapely.Polygon(coords)))
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _repair(geometry):
    """A valid (multi)polygon: each shell's area minus what its holes cover *inside* it.

    ``shapely.make_valid`` would turn a hole lying outside its shell into a second held
    area; here the hole cuts out of the shell only what it overlaps (nothing, if outside).
    """
    pieces = []
    for polygon in _polygons(geometry):
        if shapely.is_valid(polygon):
            pieces.append(polygon)
            continue
        shell = _ring_polygon(polygon.exterior)
        holes = [_ring_polygon(ring) for ring in polygon.interiors]
        pieces.append(shapely.difference(shell, shapely.union_all(holes)) if holes else shell)
    merged = shapely.union_all(pieces) if pieces else shapely.MultiPolygon()
    parts = _polygons(merged)
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()


def _as_written_km2(geometry) -> float:
    """Area as the rings are written: each shell's ring area minus its holes' ring areas."""
    total = 0.0
    for polygon in _polygons(geometry):
        areas = [_ring_km2(ring) for ring in [polygon.exterior, *polygon.interiors]]
        total += areas[0] - sum(areas[1:])
    return total


def _ring_km2(ring) -> float:
    coords = shapely.get_coordinates(ring)
    if len(np.unique(coords, axis=0)) < 3:  # collapsed to a point or a line: no area
        return 0.0
    return float(geodesic_area_km2(shapely.Polygon(coords)))


def repair_layer(geometries: ArrayLike, /, *, file: str | os.PathLike[str], member: str = "",
                 layer: str = "", on_invalid: str = "repair") -> tuple[np.ndarray, int]:
    """Repair a layer's invalid polygons under an explicit policy, reporting what changed.

    A repaired polygon holds its shell's area minus what its holes cover inside it: a
    self-crossing ring (a bow tie) holds both loops, a hole lying outside its shell cuts
    nothing out and adds nothing. With ``on_invalid="repair"`` a
    :class:`~frontline.errors.FrontlineWarning` names the file, the layer and the km² the
    repair changed when that exceeds :data:`REPAIR_REPORT_KM2`; ``"raise"`` refuses the
    file (:class:`~frontline.errors.ReadError`) instead.

    Parameters
    ----------
    geometries : array-like of shapely geometries
        The layer's features in lon/lat (after :func:`check_layer`).
    file, member, layer : str
        Named in the warning or error.
    on_invalid : {"repair", "raise"}

    Returns
    -------
    (numpy.ndarray, int)
        The features (2D, invalid ones replaced by their repair) and how many were repaired.

    Examples
    --------
    >>> from shapely.geometry import Polygon
    >>> bow_tie = Polygon([(37.0, 48.0), (37.2, 48.1), (37.2, 48.0), (37.0, 48.1)])
    >>> repair_layer([bow_tie], file="bow.shp", on_invalid="raise")
    Traceback (most recent call last):
    ...
    frontline.errors.ReadError: bow.shp: 1 invalid polygon (Self-intersection[37.1 48.05])...
    """
    if on_invalid not in ON_INVALID:
        from frontline.errors import InvalidArgumentError

        raise InvalidArgumentError(f"on_invalid={on_invalid!r}: choose one of "
                                   f"{', '.join(map(repr, ON_INVALID))}.")
    geoms = shapely.force_2d(np.asarray(geometries, dtype=object))
    invalid = ~shapely.is_missing(geoms) & ~shapely.is_valid(geoms)
    count = int(invalid.sum())
    if not count:
        return geoms, 0
    where = f"{file}" + (f" ({member})" if member else "")
    reason = shapely.is_valid_reason(geoms[invalid][0])
    if on_invalid == "raise":
        raise ReadError(f"{where}: {count} invalid polygon{'s' if count > 1 else ''} "
                        f"({reason}{', ...' if count > 1 else ''}) and on_invalid='raise': "
                        "repair the file (QGIS 'Fix geometries', shapely.make_valid) or "
                        "read it with on_invalid='repair'.")
    geoms = geoms.copy()
    before = after = 0.0
    for i in np.flatnonzero(invalid):
        before += _as_written_km2(geoms[i])
        geoms[i] = _repair(geoms[i])
        after += float(geodesic_area_km2(geoms[i]))
    if abs(after - before) > REPAIR_REPORT_KM2:
        named = f" layer {layer!r}" if layer else " layer"
        warnings.warn(
            f"{where}:{named}: {count} invalid polygon{'s' if count > 1 else ''} repaired "
            f"({reason}): they measure {after:,.2f} km² repaired against {before:,.2f} km² "
            f"as written ({after - before:+,.2f} km² changed by the repair). Check the "
            "file; on_invalid='raise' refuses such files.", FrontlineWarning, stacklevel=2)
    return geoms, count


def check_layer_total(geometry: shapely.Geometry | None, /, *, file: str | os.PathLike[str],
                      member: str = "") -> None:
    """Refuse a dissolved layer larger than :data:`MAX_LAYER_KM2` (ReadError naming the file).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> check_layer_total(box(37.0, 48.0, 37.2, 48.1), file="ok.shp")
    >>> check_layer_total(box(18.0, 40.0, 50.0, 58.0), file="huge.shp")
    Traceback (most recent call last):
    ...
    frontline.errors.ReadError: huge.shp: the layer measures 4,667,251 km², more than...
    """
    if geometry is None or shapely.is_empty(geometry):
        return
    # The box around the layer bounds its area: measure the layer only when the box could
    # exceed the limit (most layers are far smaller). The box is measured with its edges
    # cut every degree (not every 0.01°: a thousandth of the time), so it is held to 99 %
    # of the limit, far more than that coarser cut can change its area.
    box = shapely.box(*shapely.bounds(geometry))
    if float(geodesic_area_km2(box, max_edge_deg=1.0)) <= 0.99 * MAX_LAYER_KM2:
        return
    total = float(geodesic_area_km2(geometry))
    if total > MAX_LAYER_KM2:
        where = f"{file}" + (f" ({member})" if member else "")
        raise ReadError(
            f"{where}: the layer measures {total:,.0f} km², more than Ukraine and western "
            f"Russia together ({MAX_LAYER_KM2:,.0f} km²): its CRS, units or content are "
            "wrong. Nothing was read from it.")
