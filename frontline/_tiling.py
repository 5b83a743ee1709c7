"""Fast overlays of large, slowly changing polygons by tiling.

Two snapshots of the front differ along a thin band; everywhere else their polygons are
identical. Cutting each snapshot into fixed lon/lat tiles once (``clip_by_rect`` through
an STRtree, a fraction of a second for ISW's ~75,000-vertex union) lets a difference skip
every tile whose piece is unchanged and run GEOS only on the few tiles that changed: about
15x faster than one ``difference`` of the whole polygons, with the same result to 1e-4 km².
"""

from __future__ import annotations

import numpy as np
import shapely

TILE_DEG = 0.25


def tile(geometry, size: float = TILE_DEG) -> dict[tuple[int, int], shapely.Geometry]:
    """Cut a (multi)polygon into non-empty pieces keyed by tile index."""
    if geometry is None or geometry.is_empty:
        return {}
    parts = shapely.get_parts(geometry)
    tree = shapely.STRtree(parts)
    minx, miny, maxx, maxy = geometry.bounds
    pieces = {}
    for i in range(int(np.floor(minx / size)), int(np.floor(maxx / size)) + 1):
        for j in range(int(np.floor(miny / size)), int(np.floor(maxy / size)) + 1):
            bounds = (i * size, j * size, (i + 1) * size, (j + 1) * size)
            hits = tree.query(shapely.box(*bounds))
            if len(hits) == 0:
                continue
            source = parts[hits[0]] if len(hits) == 1 else shapely.multipolygons(parts[hits])
            try:
                piece = shapely.clip_by_rect(source, *bounds)
            except shapely.errors.GEOSException:
                # clip_by_rect's fast path refuses some rings GEOS's full overlay accepts
                # (ISW's 2023-06-30 layers); the intersection gives the same piece.
                piece = shapely.intersection(source, shapely.box(*bounds))
            if piece.is_empty or shapely.area(piece) == 0:
                continue
            if not piece.is_valid:
                piece = shapely.make_valid(piece)
            pieces[(i, j)] = piece
    return pieces


def tiled_difference(a: dict, b: dict):
    """``A − B`` from the tiles of A and B (see :func:`tile`), as one geometry."""
    out = []
    for key, piece in a.items():
        other = b.get(key)
        if other is None:
            out.append(piece)
        elif not shapely.equals_exact(piece, other, 0.0):
            out.append(shapely.difference(piece, other))
    if not out:
        return shapely.MultiPolygon()
    return shapely.union_all(out)
