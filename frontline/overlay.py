"""Unions of polygons: one function every stage dissolves with.

Most unions frontline computes are of parts that already tile without overlapping: the
classes of a DeepState map, the layers of an ISW day, the raions of an oblast, the
pieces of one geometry cut along a grid. For such a *coverage* GEOS has a union that only
removes the shared edges (:func:`shapely.coverage_union_all`), several times faster than
the full overlay (:func:`shapely.union_all`) and giving the same polygons. It is used
only when :func:`shapely.coverage_is_valid` says the parts form a valid coverage (no
overlaps, shared edges matching vertex for vertex); anything else gets the full overlay.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike

__all__ = ["union"]

_POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon


def union(geoms: ArrayLike) -> shapely.Geometry:
    """The union of valid geometries (EPSG:4326 or any planar coordinates).

    Parameters
    ----------
    geoms : array-like of shapely geometries
        Valid geometries; missing ones (None) are ignored.

    Returns
    -------
    shapely.Geometry
        An empty MultiPolygon when nothing is given; a single polygonal geometry as it
        is; a coverage union when the parts tile; else :func:`shapely.union_all`.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> union([box(0, 0, 1, 1), box(1, 0, 2, 1)]).area  # a coverage: edges removed
    2.0
    >>> union([box(0, 0, 2, 1), box(1, 0, 3, 1)]).area  # overlapping: a full overlay
    3.0
    """
    geoms = np.asarray(geoms, dtype=object).ravel()
    geoms = geoms[~shapely.is_missing(geoms)]
    if len(geoms) == 0:
        return shapely.MultiPolygon()
    types = shapely.get_type_id(geoms)
    if len(geoms) == 1 and types[0] in _POLYGONAL:
        return geoms[0]
    if np.isin(types, _POLYGONAL).all():
        try:
            if shapely.coverage_is_valid(geoms):
                return shapely.coverage_union_all(geoms)
        except shapely.errors.GEOSException:  # GEOS refuses the coverage check
            pass
    return shapely.union_all(geoms)
