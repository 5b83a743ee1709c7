"""Bad input is refused with one error naming the file, the problem and the fix — never a
number. Small inputs built in the tests (no real data)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box

import frontline
from frontline.errors import FrontlineError, ReadError, UnknownLayerError
from frontline.io.readers import read_area_table, read_isw_zip
from frontline.io.validate import check_layer
from frontline.layers import canonical_layer

from .._synthetic import write_isw_zip

STEM = "UkraineControlMapAO31OCT2024"


def test_a_points_layer_is_refused(tmp_path):
    path = write_isw_zip(tmp_path / "p.zip", STEM, [Point(37.0, 48.0)], crs="EPSG:4326")
    with pytest.raises(ReadError, match=r"p\.zip.*geometry types Point \(polygons only\)"):
        read_isw_zip(path)


def test_all_null_geometries_are_refused():
    with pytest.raises(ReadError, match="all 2 geometries are null"):
        check_layer([None, None], file="null.shp")


def test_swapped_axes_are_recognised_and_named(tmp_path):
    swapped = box(48.0, 37.0, 48.2, 37.1)  # lat, lon
    path = write_isw_zip(tmp_path / "s.zip", STEM, [swapped], crs="EPSG:4326")
    with pytest.raises(ReadError, match="longitude and latitude are swapped"):
        read_isw_zip(path)


def test_web_mercator_metres_under_a_degrees_prj_are_refused(tmp_path):
    metres = box(4_118_000, 6_140_000, 4_140_000, 6_160_000)  # Web Mercator, near Pokrovsk
    frame = gpd.GeoDataFrame(geometry=[metres], crs="EPSG:4326")  # the wrong .prj
    with pytest.raises(ReadError, match="beyond longitude/latitude: the file's CRS is wrong"):
        frontline.History.from_frame(frame.assign(date="2024-10-31", layer="control"))


def test_a_layer_outside_the_region_is_refused():
    with pytest.raises(ReadError, match="outside Ukraine and western Russia"):
        check_layer([box(2.0, 48.0, 2.1, 48.1)], file="paris.geojson")


def test_every_problem_of_a_layer_in_one_error():
    with pytest.raises(ReadError, match=r"2 problems: geometry types LineString .*"
                                        r"outside Ukraine"):
        check_layer([None, LineString([(2, 48), (2.1, 48.1)]), box(2, 48, 2.1, 48.1)],
                    file="bad.geojson")


def test_null_features_beside_real_ones_are_left_out():
    check_layer([None, box(37.0, 48.0, 37.1, 48.1)], file="isw.shp")  # as in ISW's files


def _table(tmp_path, rows):
    path = tmp_path / "areas.json"
    path.write_text(json.dumps(rows))
    return path


def test_area_table_rows_are_checked_and_named(tmp_path):
    path = _table(tmp_path, [
        {"date": "2025-01-01", "layerType": "russian_advances", "areaKm2": "abc"},
        {"date": "2025-01-02", "layerType": "russian_advances", "areaKm2": -5},
        {"date": "2099-01-01", "layerType": "russian_advances", "areaKm2": 5},
        {"date": "2025-01-03", "layerType": "russian_advances", "areaKm2": 7},
        {"date": "2025-01-03", "layerType": "russian_advances", "areaKm2": 8},
    ])
    with pytest.raises(ReadError) as caught:
        read_area_table(path)
    text = str(caught.value)
    assert str(path) in text
    assert "row 1: area 'abc' is not a number" in text
    assert "row 2: area -5 is negative" in text
    assert "row 3: date 2099-01-01 is after today" in text
    assert "2025-01-03 advances is given 2 times (rows 4, 5)" in text


def test_an_infinite_area_is_refused(tmp_path):
    path = tmp_path / "areas.csv"
    path.write_text("date,layer,area_km2\n2025-01-01,control,inf\n")
    with pytest.raises(ReadError, match="row 1: area inf is not finite"):
        read_area_table(path)


def test_unknown_layer_names_the_closest_spelling():
    with pytest.raises(UnknownLayerError,
                       match="closest known spelling is 'AssessedRussianAdvancesinUkraine'"):
        canonical_layer("AssessedRussianAdvancsInUkrainOCT312024")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(30, 40), st.floats(45, 50)), min_size=3,
                max_size=6))
def test_generated_rings_raise_or_measure_like_their_repair(points):
    """Any generated ring either raises a FrontlineError or gives the area of its repair:
    never another number."""
    ring = Polygon(points)
    frame = gpd.GeoDataFrame({"date": ["2024-10-31"], "layer": ["control"]}, geometry=[ring],
                             crs="EPSG:4326")
    try:
        history = frontline.History.from_frame(frame)
    except FrontlineError:
        return
    measured = history.area_km2("user", "2024-10-31", "control")
    from shapely import make_valid

    from frontline.geodesy import geodesic_area_km2
    repaired = make_valid(ring) if not ring.is_valid else ring
    assert measured == pytest.approx(float(geodesic_area_km2(repaired)), rel=1e-6, abs=1e-6)
    assert np.isfinite(measured)


def test_check_lists_the_real_datas_known_problems_and_nothing_false(data_dir):
    from click.testing import CliRunner

    from frontline.cli import cli

    result = CliRunner().invoke(cli, ["-q", "check", str(data_dir), "--source", "isw-areas",
                                      "--format", "csv"])
    assert result.exit_code == 1
    import io

    import pandas as pd

    problems = pd.read_csv(io.StringIO(result.stdout))
    assert problems["kind"].tolist() == ["copies disagree"] * 3 + ["glitch"] * 2
    assert [p.split(":")[0] for p in problems["problem"]] == [
        "2025-04-19 partisan", "2025-08-10 claimed", "2025-12-04 infiltration",
        "2024-07-03 advances", "2025-03-04 advances"]
    assert set(problems.loc[problems["kind"] == "copies disagree", "file"].map(
        lambda f: f.rsplit("/", 1)[-1])) == {"hcss_daily_areas.json"}


def test_check_names_every_bad_file_of_a_folder(tmp_path):
    from click.testing import CliRunner

    from frontline.cli import cli

    folder = tmp_path / "data" / "isw" / "zips"
    write_isw_zip(folder / "good.zip", STEM)
    write_isw_zip(folder / "points.zip", "AssessedRussianAdvancesinUkraineOCT312024",
                  [Point(37.0, 48.0)], crs="EPSG:4326")
    write_isw_zip(folder / "swapped.zip", "ClaimedRussianTerritoryinUkraineOCT312024",
                  [box(48.0, 37.0, 48.1, 37.1)], crs="EPSG:4326")
    result = CliRunner().invoke(cli, ["-q", "check", str(tmp_path / "data"), "--format",
                                      "csv"])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()[1:]
    assert len(lines) == 2
    assert "points.zip" in lines[0] and "polygons only" in lines[0]
    assert "swapped.zip" in lines[1] and "swapped" in lines[1]
    clean = CliRunner().invoke(cli, ["-q", "check", str(folder.parent.parent), "--source",
                                     "deepstate"])
    assert clean.exit_code == 0
