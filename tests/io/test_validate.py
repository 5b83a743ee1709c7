"""Bad input is refused with one error naming the file, the problem and the fix — never a
number. Small inputs built in the tests (no real data)."""

from __future__ import annotations

import io
import json
import re
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import make_valid
from shapely.geometry import LineString, Point, Polygon, box

import frontline
from frontline.errors import FrontlineError, FrontlineWarning, ReadError, UnknownLayerError
from frontline.geodesy import geodesic_area_km2
from frontline.io.readers import read_area_table, read_isw_zip
from frontline.io.validate import (
    MAX_LAYER_KM2,
    REPAIR_REPORT_KM2,
    check_layer,
    check_layer_total,
    repair_layer,
)
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


SHELL = box(37.0, 48.0, 37.2, 48.1)  # near Pokrovsk: 165.79 km²
HOLE_OUTSIDE = Polygon(SHELL.exterior.coords, [box(37.3, 48.0, 37.4, 48.1).exterior.coords[::-1]])
BOW_TIE = Polygon([(37.0, 48.0), (37.2, 48.1), (37.2, 48.0), (37.0, 48.1)])


def test_a_hole_outside_its_shell_is_not_counted_as_held_and_the_repair_is_reported(tmp_path):
    # GDAL alone would read the hole as a second held square (248.69 km²).
    assert float(geodesic_area_km2(SHELL)) == pytest.approx(165.79, abs=0.005)
    path = write_isw_zip(tmp_path / "hole.zip", STEM, [HOLE_OUTSIDE])
    with pytest.warns(FrontlineWarning, match=r"hole\.zip \(UkraineControlMapAO31OCT2024\.shp"
                                              r"\): layer 'UkraineControlMapAO31OCT2024': 1 "
                                              r"invalid polygon repaired \(Hole lies outside "
                                              r"shell.*165\.79 km² repaired against 82\.90 km² "
                                              r"as written \(\+82\.90 km² changed"):
        table = read_isw_zip(path)
    assert float(geodesic_area_km2(table.geometry.iloc[0])) == pytest.approx(165.79, abs=0.005)
    assert table["n_repaired"].tolist() == [1]


def test_a_hole_outside_its_shell_from_a_frame_gives_the_shell(tmp_path):
    frame = gpd.GeoDataFrame({"date": ["2024-10-31"], "layer": ["control"]},
                             geometry=[HOLE_OUTSIDE], crs="EPSG:4326")
    with pytest.warns(FrontlineWarning, match=r"layer 'control': 1 invalid polygon repaired"):
        history = frontline.History.from_frame(frame)
    assert history.area_km2("user", "2024-10-31", "control") == pytest.approx(165.79, abs=0.005)


def test_a_bow_tie_holds_both_loops_and_the_repair_is_reported(tmp_path):
    path = write_isw_zip(tmp_path / "bow.zip", STEM, [BOW_TIE])
    with pytest.warns(FrontlineWarning, match=r"bow\.zip.*1 invalid polygon repaired "
                                              r"\(Self-intersection.*82\.90 km² repaired"):
        table = read_isw_zip(path)
    # Two triangles, each a quarter of the 165.79 km² box.
    assert float(geodesic_area_km2(table.geometry.iloc[0])) == pytest.approx(82.90, abs=0.005)


def test_on_invalid_raise_refuses_the_file():
    with pytest.raises(ReadError, match=r"bow\.shp \(m\): 1 invalid polygon \(Self-intersection"
                                        r".*on_invalid='raise': repair the file"):
        repair_layer([BOW_TIE], file="bow.shp", member="m", on_invalid="raise")
    with pytest.raises(FrontlineError, match=r"on_invalid='fix': choose one of 'repair', "
                                             r"'raise'"):
        repair_layer([BOW_TIE], file="bow.shp", on_invalid="fix")


def test_a_tiny_repair_is_counted_not_warned():
    # A spike touching back on itself: the repair moves the area by far less than 0.1 km².
    spiky = Polygon([(37.0, 48.0), (37.2, 48.0), (37.2, 48.1), (37.1, 48.1), (37.1, 48.1001),
                     (37.1, 48.1), (37.0, 48.1)])
    assert not spiky.is_valid
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        geoms, count = repair_layer([spiky, SHELL], file="s.shp")
    assert count == 1 and geoms[0].is_valid
    assert float(geodesic_area_km2(geoms[0])) == pytest.approx(
        float(geodesic_area_km2(SHELL)), abs=REPAIR_REPORT_KM2)


def test_an_absurd_layer_total_is_refused(tmp_path):
    # Inside the lon/lat box around Ukraine and western Russia, but larger than both.
    huge = box(20.0, 41.0, 49.0, 57.0)
    assert float(geodesic_area_km2(huge)) > MAX_LAYER_KM2
    path = write_isw_zip(tmp_path / "huge.zip", STEM, [huge], crs="EPSG:4326")
    with pytest.raises(ReadError, match=r"huge\.zip \(UkraineControlMapAO31OCT2024\.shp\): "
                                        r"the layer measures 3,\d{3},\d{3} km², more than "
                                        r"Ukraine and western Russia together \(850,000 km²\)"):
        read_isw_zip(path)
    check_layer_total(box(30.0, 45.0, 40.0, 52.0), file="big.shp")  # 574,879 km²: allowed


def test_an_absurd_area_table_value_is_refused(tmp_path):
    path = tmp_path / "areas.csv"
    path.write_text("date,layer,area_km2\n2025-01-01,control,2000000\n")
    with pytest.raises(ReadError, match=r"areas\.csv: 1 problem: row 1: area 2,000,000 km² is "
                                        r"more than Ukraine and western Russia together"):
        read_area_table(path)


def test_a_hundredfold_jump_between_two_days_is_warned(tmp_path):
    from frontline.changes import change

    write_isw_zip(tmp_path / "isw" / "a" / "a.zip", STEM, [SHELL])
    big = box(30.0, 45.0, 40.0, 52.0)
    write_isw_zip(tmp_path / "isw" / "b" / "b.zip", "UkraineControlMapAO01NOV2024", [big])
    history = frontline.load(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = change(history, "2024-10-31", "2024-11-01", source="isw", preset="control")
    # What the files say is used (warned, not changed): big minus the shell.
    assert result.net_km2 == pytest.approx(
        float(geodesic_area_km2(big)) - float(geodesic_area_km2(SHELL)), abs=0.01)
    said = [str(w.message) for w in caught if issubclass(w.category, FrontlineWarning)]
    assert len(said) == 2
    assert re.match(r"2024-10-31 control \(isw\): 165\.79 km² against 574,879\.25 km² on "
                    r"2024-11-01, more than a 10-fold jump.*a\.zip", said[0])
    assert re.match(r"2024-11-01 control \(isw\): 574,879\.25 km² against 165\.79 km² on "
                    r"2024-10-31, more than a 10-fold jump.*b\.zip", said[1])


def test_jumps_follow_the_documented_thresholds():
    from frontline.glitches import find_jumps

    def table(values, days):
        return pd.DataFrame({"source": "t", "layer": "advances",
                             "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(days, "D"),
                             "area_km2": values})

    assert len(find_jumps(table([100.0, 999.0], [0, 1]))) == 0  # under tenfold
    assert len(find_jumps(table([100.0, 1001.0], [0, 1]))) == 2  # over: both ends named
    assert len(find_jumps(table([100.0, 1001.0], [0, 8]))) == 0  # neighbours too far apart
    assert len(find_jumps(table([40.0, 4000.0], [0, 1]))) == 0  # from under 50 km²: growth


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
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            history = frontline.History.from_frame(frame)
        except FrontlineError:
            return
    measured = history.area_km2("user", "2024-10-31", "control")
    repaired = make_valid(ring) if not ring.is_valid else ring
    assert measured == pytest.approx(float(geodesic_area_km2(repaired)), rel=1e-6, abs=1e-6)
    assert np.isfinite(measured)
    # A repair that moves the figure away from the ring as written is announced.
    distinct = len(set(points)) >= 3
    written = float(geodesic_area_km2(Polygon(points))) if distinct else 0.0
    announced = [w for w in caught if issubclass(w.category, FrontlineWarning)]
    if abs(measured - written) > REPAIR_REPORT_KM2:
        assert announced and "changed by the repair" in str(announced[0].message)
    else:
        assert not announced


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


def test_check_lists_repairs_and_assumed_crs_as_warnings(tmp_path):
    from click.testing import CliRunner

    from frontline.cli import cli

    folder = tmp_path / "data" / "isw" / "zips"
    write_isw_zip(folder / "good.zip", STEM)
    write_isw_zip(folder / "hole.zip", "AssessedRussianAdvancesinUkraineOCT312024",
                  [HOLE_OUTSIDE])
    write_isw_zip(folder / "noprj.zip", "ClaimedRussianTerritoryinUkraineOCT312024",
                  keep_prj=False)
    result = CliRunner().invoke(cli, ["-q", "check", str(tmp_path / "data"), "--format",
                                      "csv"])
    assert result.exit_code == 1
    problems = pd.read_csv(io.StringIO(result.stdout))
    assert problems["kind"].tolist() == ["warning", "warning"]
    assert [f.rsplit("/", 1)[-1] for f in problems["file"]] == ["hole.zip", "noprj.zip"]
    assert "+82.90 km² changed by the repair" in problems["problem"][0]
    assert "EPSG:3857 (Web Mercator metres" in problems["problem"][1]
