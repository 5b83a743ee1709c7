"""Geodesic area on the WGS84 ellipsoid.

Planar area in Web Mercator or in degrees is never used: ISW's zips are in EPSG:3857,
whose scale factor over Ukraine is about 2.2, and their ``area``/``Shape_Area``
attributes are wrong. Every area here is computed from lon/lat coordinates on the
ellipsoid with :class:`pyproj.Geod` (Karney's algorithm).
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Geod

__all__ = ["KM2_PER_MI2", "geodesic_area_km2", "km2_to_mi2"]

#: Square kilometres in one international square mile (1 mi = 1.609344 km exactly).
KM2_PER_MI2 = 2.589988110336

_GEOD = Geod(ellps="WGS84")

#: Edges longer than this (degrees) are densified before measuring, so that an edge means
#: the line drawn on the map (straight in lon/lat, as ISW's Web Mercator lines nearly are)
#: and splitting an edge at a vertex (as overlays do) does not change the area.
MAX_EDGE_DEG = 0.01


def km2_to_mi2(km2):
    """Convert km² to mi² (1 mi² = 2.589988110336 km²)."""
    return km2 / KM2_PER_MI2


def _ring_area_m2(ring) -> float:
    coords = shapely.get_coordinates(ring)
    if len(coords) < 4:
        return 0.0
    area, _ = _GEOD.polygon_area_perimeter(coords[:, 0], coords[:, 1])
    return abs(area)


def _polygon_area_m2(polygon) -> float:
    area = _ring_area_m2(polygon.exterior)
    for interior in polygon.interiors:
        area -= _ring_area_m2(interior)
    return area


def geodesic_area_km2(geometry) -> float | np.ndarray:
    """Geodesic area in km² of lon/lat (EPSG:4326) geometries on the WGS84 ellipsoid.

    Parameters
    ----------
    geometry : shapely geometry or array-like of geometries
        Coordinates must be longitude/latitude in degrees. Points and lines
        have zero area; ``None`` and empty geometries have zero area.

    Returns
    -------
    float or numpy.ndarray of float

    Examples
    --------
    >>> from shapely.geometry import box
    >>> round(float(geodesic_area_km2(box(37.0, 48.0, 38.0, 49.0))), 1)
    8217.7
    """
    if isinstance(geometry, shapely.Geometry) or geometry is None:
        return _area_m2(_densify(geometry)) / 1e6
    geoms = _densify(np.asarray(geometry, dtype=object))
    return np.array([_area_m2(g) for g in geoms], dtype=float) / 1e6


def _densify(geometry):
    return shapely.segmentize(geometry, MAX_EDGE_DEG)


def _area_m2(geom) -> float:
    if geom is None or geom.is_empty:
        return 0.0
    kind = geom.geom_type
    if kind == "Polygon":
        return _polygon_area_m2(geom)
    if kind in ("MultiPolygon", "GeometryCollection"):
        return float(sum(_area_m2(part) for part in geom.geoms))
    return 0.0
