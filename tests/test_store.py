"""frontline.store: segments written without a GeoDataFrame read back as GeoParquet."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from frontline import store


def test_rows_read_back_with_their_values_and_as_geoparquet(tmp_path):
    rows = [{"source": "deepstate", "date": pd.Timestamp("2026-07-30"), "layer": "occupied",
             "n_features": 3, "geometry": box(37, 48, 38, 49)},
            {"source": "deepstate", "date": pd.Timestamp("2026-07-31"), "layer": "occupied",
             "n_features": 1, "geometry": box(37, 48, 38.5, 49)}]
    path = tmp_path / "s.parquet"
    digest = store.write_segment(path, store.rows_table(rows))
    table = store.read_segment(path, sha256=digest)
    assert table.column("n_features").to_pylist() == [3, 1]
    assert [pd.Timestamp(d) for d in table.column("date").to_pylist()] == [
        pd.Timestamp("2026-07-30"), pd.Timestamp("2026-07-31")]
    assert [g.bounds for g in store.decode_geometry(table)] == [(37, 48, 38, 49),
                                                                 (37, 48, 38.5, 49)]
    frame = gpd.read_parquet(path)  # any GeoParquet reader sees lon/lat WGS84
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry.iloc[1].equals(box(37, 48, 38.5, 49))


def test_a_geodataframe_of_geometry_only_and_a_wrong_crs(tmp_path):
    path = tmp_path / "g.parquet"
    store.write_segment(path, gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs="EPSG:4326"))
    assert shapely.equals(store.decode_geometry(store.read_segment(path))[0], box(0, 0, 1, 1))
    with pytest.raises(ValueError, match="EPSG:4326, not"):
        store.write_segment(path, gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=3857))
