"""Regional breakdowns, area and distance series (frontline.regions) on real and toy data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod
from shapely.geometry import Point, box

import frontline
from frontline import regions as R
from frontline.boundaries import find_unit
from frontline.cli.main import cli
from frontline.errors import SnapshotGapError
from frontline.geodesy import geodesic_area_km2

POKROVSK = (48.28014, 37.17706)


# --------------------------------------------------------------------------- toy data


def test_tiles_match_direct_intersection():
    units = [box(36.0, 47.0, 37.3, 48.1), box(37.3, 47.0, 38.0, 48.1),
             shapely.Point(37.0, 48.5).buffer(0.4)]
    tiles = R.UnitTiles(units, step=0.2)
    shapes = [
        box(36.5, 47.5, 37.6, 48.6),
        shapely.Point(37.2, 48.0).buffer(0.55).difference(box(37.1, 47.9, 37.25, 48.05)),
        box(30.0, 40.0, 31.0, 41.0),  # far away
        box(35.0, 46.0, 39.0, 50.0),  # covers everything
    ]
    for shape in shapes:
        for _ in range(2):  # the second pass is served from the per-tile memo
            got = tiles.areas(shape)
            want = geodesic_area_km2([shapely.intersection(u, shape) for u in units])
            np.testing.assert_allclose(got, want, atol=1e-3)
    assert tiles.areas(None).tolist() == [0.0, 0.0, 0.0]


def test_distance_to_toy():
    square = box(37.0, 48.0, 38.0, 49.0)
    inside = R.distance_to(square, 48.5, 37.5)
    assert inside["distance_km"] == 0.0 and inside["inside"]
    south = R.distance_to(square, 47.5, 37.5)
    expected = Geod(ellps="WGS84").inv(37.5, 47.5, 37.5, 48.0)[2] / 1000
    assert south["distance_km"] == pytest.approx(expected, abs=1e-3)
    # far away: the search window grows until it finds the polygon
    far = R.distance_to(square, 44.0, 37.5)
    assert far["distance_km"] == pytest.approx(
        Geod(ellps="WGS84").inv(37.5, 44.0, 37.5, 48.0)[2] / 1000, abs=1e-3)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def isw_october(history):
    """ISW, 2024-09-29 -> 2024-10-26, AFP preset (the nearest snapshots to AFP's Oct 1-27)."""
    return frontline.change(history, "2024-09-29", "2024-10-26", source="isw", preset="afp")


@pytest.fixture(scope="module")
def by_oblast(isw_october, data_dir):
    return R.breakdown(isw_october, "oblast", data_dir=data_dir).set_index("code")


def test_breakdown_sums_to_national(isw_october, by_oblast):
    assert isw_october.net_km2 == pytest.approx(450.59, abs=0.05)
    assert by_oblast["net_km2"].sum() == pytest.approx(isw_october.net_km2, abs=0.5)
    assert by_oblast["gained_km2"].sum() == pytest.approx(isw_october.gained_km2, abs=0.5)
    assert by_oblast["lost_km2"].sum() == pytest.approx(isw_october.lost_km2, abs=0.5)
    assert abs(by_oblast.attrs["outside_net_km2"]) < 0.5
    np.testing.assert_allclose(by_oblast["gained_km2"] - by_oblast["lost_km2"],
                               by_oblast["net_km2"], atol=0.01)
    assert by_oblast["share_of_national_net_pct"].sum() == pytest.approx(100.0, abs=0.1)


def test_afp_october_donetsk_and_kharkiv(by_oblast):
    donetsk, kharkiv = by_oblast.loc["UA-14"], by_oblast.loc["UA-63"]
    # AFP: 324 km² of 478 (two thirds) in Donetsk oblast, Sep 30 -> Oct 27; the nearest
    # ISW polygons are Sep 29 and Oct 26: 296.66 of 450.59 km² (65.8 %)
    assert donetsk["net_km2"] == pytest.approx(296.66, abs=0.1)
    assert donetsk["share_of_national_net_pct"] == pytest.approx(65.84, abs=0.1)
    assert donetsk["share_end_pct"] == pytest.approx(64.50, abs=0.05)
    assert donetsk["controlled_end_km2"] - donetsk["controlled_start_km2"] == pytest.approx(
        donetsk["net_km2"])
    # AFP: "over 40 km² near Kupiansk"; all of Kharkiv oblast gained 40.09 km²
    assert kharkiv["gained_km2"] == pytest.approx(40.09, abs=0.1)
    assert kharkiv["lost_km2"] == pytest.approx(0.0, abs=0.01)
    assert by_oblast.loc["UA-09", "net_km2"] == pytest.approx(58.25, abs=0.1)


def test_kupiansk_raion(isw_october, data_dir):
    # of Kharkiv oblast's 40.09 km², 28.73 km² were in Kupiansk raion itself
    table = R.breakdown(isw_october, "Kupiansk raion", data_dir=data_dir)
    assert len(table) == 1
    assert table["gained_km2"].item() == pytest.approx(28.73, abs=0.1)


def test_breakdown_by_raion_nests_in_oblasts(isw_october, by_oblast, data_dir):
    by_raion = R.breakdown(isw_october, "raion", data_dir=data_dir)
    donetsk = by_raion[by_raion["code"].str.startswith("UA14")]["net_km2"].sum()
    assert donetsk == pytest.approx(by_oblast.loc["UA-14", "net_km2"], abs=0.01)


def test_breakdown_needs_polygons(history):
    interpolated = frontline.change(history, "2024-09-30", "2024-10-26", preset="afp",
                                    gap_policy="interpolate")
    with pytest.raises(SnapshotGapError, match="a breakdown by unit needs polygons"):
        R.breakdown(interpolated, "oblast")


PokrovskRaion = {  # DeepState occupied km² inside Pokrovsk raion (4,002.23 km²)
    "2024-08-01": 768.46,
    "2024-09-01": 1028.26,
    "2024-10-01": 1230.82,
    "2024-11-01": 1424.90,
    "2024-12-01": 1749.67,
}


def test_deepstate_pokrovsk_raion(history, data_dir):
    series = R.area_series(history, "Pokrovsk raion", source="deepstate",
                           dates=list(PokrovskRaion), data_dir=data_dir)
    assert list(series["date"].dt.strftime("%Y-%m-%d")) == list(PokrovskRaion)
    np.testing.assert_allclose(series["controlled_km2"], list(PokrovskRaion.values()),
                               atol=0.5)
    assert series["area_km2"].iloc[0] == pytest.approx(4002.2, abs=1.0)
    np.testing.assert_allclose(series["share_pct"],
                               100 * series["controlled_km2"] / series["area_km2"])
    assert series["exact"].all() and (series["source"] == "deepstate").all()
    # the tiled measurement equals a direct intersection with the raion
    raion = find_unit("Pokrovsk raion", data_dir=data_dir).geometry.iloc[0]
    day = history.geometry("deepstate", "2024-11-01", "occupied")
    direct = float(geodesic_area_km2(shapely.intersection(raion, day)))
    assert series["controlled_km2"].iloc[3] == pytest.approx(direct, abs=0.01)


def test_area_series_every_day(history, data_dir):
    series = R.area_series(history, "Pokrovsk raion", source="deepstate",
                           start="2024-08-10", end="2024-08-25", data_dir=data_dir)
    # one row per DeepState day: 2024-08-17 and 08-18 have no file
    assert len(series) == 16 - 2
    assert series["date"].is_monotonic_increasing and series["date"].is_unique


def test_distance_to_pokrovsk(history):
    table = R.distance_series(history, "Pokrovsk", source="deepstate",
                              dates=["2024-08-01", "2024-11-01"])
    assert (table["latitude"].iloc[0], table["longitude"].iloc[0]) == POKROVSK
    # shortest geodesic distance from the town centre to the DeepState-occupied area
    np.testing.assert_allclose(table["distance_km"], [18.93, 9.98], atol=0.05)
    assert not table["inside"].any()
    # check against a brute-force minimum over the outline densified every ~10 m
    geod = Geod(ellps="WGS84")
    for date, found in zip(["2024-08-01", "2024-11-01"], table["distance_km"], strict=True):
        day = history.geometry("deepstate", date, "occupied")
        near = shapely.clip_by_rect(day, 36.7, 47.9, 37.7, 48.6).boundary
        xy = shapely.get_coordinates(shapely.segmentize(near, 0.0001))
        brute = geod.inv(np.full(len(xy), POKROVSK[1]), np.full(len(xy), POKROVSK[0]),
                         xy[:, 0], xy[:, 1])[2].min() / 1000
        assert found == pytest.approx(brute, abs=0.01)


def test_distance_inside_is_zero(history):
    # Avdiivka was occupied in February 2024, before the DeepState files begin
    table = R.distance_series(history, "Avdiivka", source="deepstate", dates=["2024-08-01"])
    assert table["distance_km"].item() == 0.0 and table["inside"].item()


def test_monthly_by_oblast_deepstate(history, data_dir):
    table = R.monthly_by_unit(history, "oblast", source="deepstate", start="2024-08",
                              end="2024-09", data_dir=data_dir)
    national = frontline.monthly_gains(history, source="deepstate", start="2024-08",
                                       end="2024-09").set_index("period")
    sums = table.groupby("period")["net_km2"].sum()
    for period in ("2024-08", "2024-09"):
        assert sums[period] == pytest.approx(national.loc[period, "net_km2"], abs=0.5)
    assert set(table.columns) >= set(R.BREAKDOWN_COLUMNS) | {"period"}


def test_series_needs_polygon_source(history):
    with pytest.raises(ValueError, match="needs polygons: pass source="):
        R.area_series(history, "Pokrovsk raion", source="isw-areas")


def test_cli_distance(data_dir):
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "-q", "distance",
                                      "--town", "Pokrovsk", "--date", "2024-11-01",
                                      "--format", "csv"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(pd.io.common.StringIO(result.stdout))
    assert frame["distance_km"].item() == pytest.approx(9.98, abs=0.05)


def test_point_geometry_helpers():
    assert R.distance_to(None, 48.0, 37.0)["distance_km"] != 0.0
    assert np.isnan(R.distance_to(Point(0, 0).buffer(0).buffer(0), 48.0, 37.0)["distance_km"])


def _run(data_dir, *args):
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "-q", *args])
    assert result.exit_code == 0, result.output
    return pd.read_csv(pd.io.common.StringIO(result.stdout))


def test_cli_areas_in_a_unit(data_dir):
    frame = _run(data_dir, "areas", "--source", "deepstate", "--area", "Pokrovsk raion",
                 "--start", "2024-10-30", "--end", "2024-11-02", "--format", "csv")
    assert list(frame["date"]) == ["2024-10-30", "2024-10-31", "2024-11-01", "2024-11-02"]
    assert frame.loc[2, "controlled_km2"] == pytest.approx(PokrovskRaion["2024-11-01"],
                                                           abs=0.5)


def test_cli_change_by_oblast(data_dir):
    frame = _run(data_dir, "change", "--from", "2024-09-29", "--to", "2024-10-26",
                 "--source", "isw", "--by", "oblast", "--format", "csv").set_index("code")
    assert len(frame) == 26
    assert frame.loc["UA-14", "net_km2"] == pytest.approx(296.66, abs=0.1)
    assert frame["net_km2"].sum() == pytest.approx(450.59, abs=0.5)


def test_cli_monthly_near_town(data_dir):
    frame = _run(data_dir, "monthly", "--source", "deepstate", "--start", "2024-08",
                 "--end", "2024-08", "--near", "Pokrovsk", "--radius-km", "20",
                 "--format", "csv")
    assert frame["name"].item() == "within 20 km of Pokrovsk"
    assert frame["unit_area_km2"].item() == pytest.approx(np.pi * 400, abs=0.5)
    assert frame["net_km2"].item() == pytest.approx(65.44, abs=0.1)


def test_cli_region_errors(data_dir):
    runner = CliRunner()
    result = runner.invoke(cli, ["--data-dir", str(data_dir), "-q", "monthly", "--source",
                                 "deepstate", "--near", "Pokrovsk", "--radius-km", "0"])
    # refused when the command line is read, naming the option
    assert result.exit_code == 2
    assert "Invalid value for '--radius-km'" in result.output and "x>0" in result.output
    result = runner.invoke(cli, ["--data-dir", str(data_dir), "-q", "areas", "--source",
                                 "isw-areas", "--area", "Pokrovsk raion"])
    assert result.exit_code == 2 and "one source with polygons" in result.output


def test_two_boundary_sets_agree(isw_october, by_oblast, data_dir):
    # Minregion's 2020 oblasts (land only) as units, given as a GeoDataFrame
    path = data_dir / "isw/boundaries_used/ukraine_oblasts_minregion_2020.geojson.gz"
    if not path.is_file():
        pytest.fail(f"{path} is missing")
    import geopandas as gpd

    minregion = gpd.read_file(f"/vsigzip/{path}")
    donetsk = minregion[minregion["ADMIN_1"] == "Донецька область"].assign(name="Donetsk")
    table = R.breakdown(isw_october, donetsk)
    assert table["net_km2"].item() == pytest.approx(296.69, abs=0.01)  # OSM: 296.66
    assert table["net_km2"].item() - by_oblast.loc["UA-14", "net_km2"] == pytest.approx(
        0.03, abs=0.01)


def test_region_functions_read_the_history_folder(history, isw_october, monkeypatch):
    # issue 12: a history loaded from a folder brings its boundaries along; no variable needed
    monkeypatch.delenv("FRONTLINE_DATA_DIR", raising=False)
    series = R.area_series(history, "Pokrovsk raion", source="deepstate",
                           dates=["2024-11-01"])
    assert series["controlled_km2"].item() == pytest.approx(PokrovskRaion["2024-11-01"],
                                                            abs=0.5)
    table = R.breakdown(isw_october, "Kupiansk raion")
    assert table["gained_km2"].item() == pytest.approx(28.73, abs=0.1)
    distance = R.distance_series(history, "Pokrovsk", source="deepstate",
                                 dates=["2024-11-01"])
    assert distance["distance_km"].item() == pytest.approx(9.98, abs=0.05)


def test_breakdown_on_isw_2023_06_30(history, data_dir):
    # ISW's 2023-06-30 layers hold rings GEOS's clip_by_rect refuses (issue 10): the
    # breakdown clips those one by one and still adds up to the national figure
    change = frontline.change(history, "2023-05-31", "2023-06-30", source="isw", preset="afp")
    table = R.breakdown(change, "oblast", data_dir=data_dir)
    assert change.net_km2 == pytest.approx(-381.74, abs=0.05)
    assert table["net_km2"].sum() + table.attrs["outside_net_km2"] == pytest.approx(
        change.net_km2, abs=0.5)
    # Kherson oblast against a direct overlay of the two days' unions with the oblast
    kherson = find_unit("Kherson Oblast", data_dir=data_dir).geometry.iloc[0]
    held = [shapely.intersection(shapely.make_valid(
        history.union("isw", day, ("control", "advances", "claimed"))), kherson)
        for day in ("2023-05-31", "2023-06-30")]
    direct = float(geodesic_area_km2(held[1]) - geodesic_area_km2(held[0]))
    assert table.set_index("code").loc["UA-65", "net_km2"] == pytest.approx(direct, abs=0.1)
