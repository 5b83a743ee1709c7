"""Geodesic area on the WGS84 ellipsoid.

Planar area in Web Mercator or in degrees is never used: ISW's zips are in EPSG:3857,
whose scale factor over Ukraine is about 2.2, and their ``area``/``Shape_Area``
attributes are wrong. Every area here is computed from lon/lat coordinates on the
ellipsoid with :class:`pyproj.Geod` (Karney's algorithm).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from pyproj import CRS, Geod, Transformer

__all__ = [
    "KM2_PER_MI2",
    "geodesic_area_km2",
    "geodesic_circle",
    "geodesic_distance_km",
    "geodesic_forward",
    "km2_to_mi2",
    "local_transformers",
    "transform_geometry",
]

#: Square kilometres in one international square mile (1 mi = 1.609344 km exactly).
KM2_PER_MI2 = 2.589988110336

_GEOD = Geod(ellps="WGS84")

#: Edges longer than this (degrees) are densified before measuring, so that an edge means
#: the line drawn on the map (straight in lon/lat, as ISW's Web Mercator lines nearly are)
#: and splitting an edge at a vertex (as overlays do) does not change the area.
MAX_EDGE_DEG = 0.01


def km2_to_mi2(km2: float | np.ndarray | pd.Series) -> float | np.ndarray | pd.Series:
    """Convert km² to mi² (1 mi² = 2.589988110336 km²).

    Parameters
    ----------
    km2 : float, numpy.ndarray or pandas.Series
        Areas in square kilometres.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        The same areas in square miles (``km2 / KM2_PER_MI2``), of the same type.
    """
    return km2 / KM2_PER_MI2


def _ring_area_m2(ring, max_edge_deg: float) -> float:
    coords = shapely.get_coordinates(ring)
    if len(coords) < 4:
        return 0.0
    edges = np.hypot(*np.diff(coords, axis=0).T)
    if (edges > max_edge_deg).any():  # cut only the rings that need it (as segmentize)
        coords = shapely.get_coordinates(shapely.segmentize(ring, max_edge_deg))
    area, _ = _GEOD.polygon_area_perimeter(coords[:, 0], coords[:, 1])
    return abs(area)


def _polygon_area_m2(polygon, max_edge_deg: float) -> float:
    area = _ring_area_m2(polygon.exterior, max_edge_deg)
    for interior in polygon.interiors:
        area -= _ring_area_m2(interior, max_edge_deg)
    return area


def geodesic_area_km2(geometry: shapely.Geometry | ArrayLike | None, *,
                      max_edge_deg: float = MAX_EDGE_DEG) -> float | np.ndarray:
    """Geodesic area in km² of lon/lat (EPSG:4326) geometries on the WGS84 ellipsoid.

    Parameters
    ----------
    geometry : shapely geometry or array-like of geometries
        Coordinates must be longitude/latitude in degrees. Points and lines
        have zero area; ``None`` and empty geometries have zero area.
    max_edge_deg : float
        Edges longer than this are cut before measuring (:data:`MAX_EDGE_DEG`, the
        convention every figure uses; a coarser cut only for bounds, as a layer's box).

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
        return _area_m2(geometry, max_edge_deg) / 1e6
    geoms = np.asarray(geometry, dtype=object)
    return np.array([_area_m2(g, max_edge_deg) for g in geoms.ravel()],
                    dtype=float).reshape(geoms.shape) / 1e6


def _area_m2(geom, max_edge_deg: float) -> float:
    if geom is None or geom.is_empty:
        return 0.0
    kind = geom.geom_type
    if kind == "Polygon":
        return _polygon_area_m2(geom, max_edge_deg)
    if kind in ("MultiPolygon", "GeometryCollection"):
        return float(sum(_area_m2(part, max_edge_deg) for part in geom.geoms))
    return 0.0


# ------------------------------------------------------------- distances and circles


def geodesic_distance_km(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike,
                         lat2: ArrayLike) -> np.ndarray:
    """Geodesic distance on the WGS84 ellipsoid, km (arrays broadcast).

    Examples
    --------
    >>> round(float(geodesic_distance_km(37.0, 48.0, 38.0, 48.0)), 2)
    74.62
    """
    return np.asarray(_GEOD.inv(lon1, lat1, lon2, lat2)[2]) / 1000.0


def geodesic_forward(lon: ArrayLike, lat: ArrayLike, azimuth_deg: ArrayLike,
                     distance_km: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
    """The point ``distance_km`` from (lon, lat) along ``azimuth_deg``: (lon, lat)."""
    lon2, lat2, _ = _GEOD.fwd(lon, lat, azimuth_deg, distance_km * 1000.0)
    return lon2, lat2


def _aeqd(lat: float, lon: float) -> CRS:
    return CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")


@functools.lru_cache(maxsize=64)
def local_transformers(lat: float, lon: float) -> tuple[Transformer, Transformer]:
    """Transformers to and from a local azimuthal equidistant projection (metres) centred
    on a point: distances from the centre are true there.

    Kept per point (building a pair costs ~10 ms: a daily series asks for the same town
    hundreds of times).
    """
    local = _aeqd(lat, lon)
    return (Transformer.from_crs("EPSG:4326", local, always_xy=True),
            Transformer.from_crs(local, "EPSG:4326", always_xy=True))


def transform_geometry(geometry: shapely.Geometry,
                       transformer: Transformer) -> shapely.Geometry:
    """``geometry`` with every coordinate passed through ``transformer``."""
    return shapely.transform(geometry, lambda xy: np.column_stack(
        transformer.transform(xy[:, 0], xy[:, 1])))


def geodesic_circle(lat: float, lon: float, radius_km: float, *,
                    quad_segs: int = 64) -> shapely.Polygon:
    """A circle of ``radius_km`` around a point, geodesic (built in a local azimuthal
    equidistant projection centred on the point, returned in EPSG:4326).
    """
    forward, back = local_transformers(lat, lon)
    circle = shapely.Point(0.0, 0.0).buffer(radius_km * 1000.0, quad_segs=quad_segs)
    return transform_geometry(circle, back)
