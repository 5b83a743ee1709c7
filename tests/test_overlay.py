"""frontline.overlay.union: the coverage union only where it equals the full overlay."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, box

from frontline.geodesy import geodesic_area_km2
from frontline.io.readers import read_deepstate
from frontline.overlay import union


def test_a_coverage_is_unioned_without_its_shared_edges():
    cells = [box(37 + i, 48, 38 + i, 49) for i in range(5)]
    got = union(cells)
    assert shapely.coverage_is_valid(cells)
    assert got.geom_type == "Polygon"  # the four shared edges are gone
    assert shapely.equals(got, box(37, 48, 42, 49))


def test_overlapping_or_mismatched_parts_get_the_full_overlay():
    overlapping = [box(0, 0, 2, 1), box(1, 0, 3, 1)]
    assert not shapely.coverage_is_valid(overlapping)
    assert union(overlapping).area == 3.0
    # shared edge with a vertex on one side only: not a valid coverage either
    left = shapely.Polygon([(0, 0), (1, 0), (1, 0.5), (1, 1), (0, 1)])
    right = box(1, 0, 2, 1)
    assert not shapely.coverage_is_valid([left, right])
    assert shapely.equals(union([left, right]), box(0, 0, 2, 1))


def test_missing_single_and_non_polygonal_inputs():
    assert union([]).is_empty and isinstance(union([]), MultiPolygon)
    assert union([None, None]).is_empty
    one = box(0, 0, 1, 1)
    assert union([None, one]) is one
    points = union([Point(0, 0), Point(1, 1), Point(0, 0)])
    assert points.geom_type == "MultiPoint" and len(points.geoms) == 2


def test_a_real_deepstate_map_measures_the_same_either_way(data_dir):
    path = sorted((data_dir / "deepstate" / "daily").glob("deepstatemap_data_*.geojson"))[-1]
    dissolved = read_deepstate(path).geometry.iloc[0]
    parts = np.asarray(shapely.get_parts(dissolved), dtype=object)
    # the map's polygons, given as separate features: a coverage (disjoint parts)
    got = float(geodesic_area_km2(union(parts)))
    full = float(geodesic_area_km2(shapely.union_all(parts)))
    assert abs(got - full) < 1e-6
    assert 100_000 < got < 130_000  # DeepState's occupied area in 2026, km²
