"""A day's total: km², mi², share of Ukraine, since the full-scale invasion (issue 8, item 3)."""

from __future__ import annotations

import io
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely.geometry import box

import frontline
from frontline.boundaries import load_ukraine
from frontline.changes import BASELINES, TOTAL_COLUMNS, total
from frontline.cli.main import cli
from frontline.errors import DataDirError, InvalidArgumentError
from frontline.geodesy import KM2_PER_MI2, geodesic_area_km2
from frontline.history import History

#: AFP, 31 Jul 2024: levels as of 30 Jul 2024 (english.aawsat.com/world/5046004-...).
AFP_TOTAL_2024_07_30, AFP_SINCE_2024_07_30 = 107_956, 65_776


def _tiny_history():
    frame = gpd.GeoDataFrame({"date": pd.to_datetime(["2024-01-31"]), "layer": ["control"]},
                             geometry=[box(37.0, 48.0, 37.1, 48.1)], crs="EPSG:4326")
    return History.from_frame(frame)


def test_baselines_and_refusals_on_a_tiny_history():
    history = _tiny_history()
    area = float(geodesic_area_km2(box(37.0, 48.0, 37.1, 48.1)))
    row = total(history, "2024-01-31", source="user", preset="control", share=False,
                baseline=50.0).iloc[0]
    assert list(row.index) == TOTAL_COLUMNS
    assert row["total_km2"] == pytest.approx(area) and row["exact"]
    assert row["total_mi2"] == pytest.approx(area / KM2_PER_MI2)
    assert row["baseline"] == "user" and row["since_invasion_km2"] == pytest.approx(area - 50)
    assert np.isnan(row["share_of_ukraine_pct"])
    none = total(history, "2024-01-31", source="user", preset="control", share=False,
                 baseline="none").iloc[0]
    assert np.isnan(none["since_invasion_km2"]) and "no layer" in none["note"]
    assert total(history, "2024-01-31", source="user", preset="control", share=False,
                 baseline="afp").iloc[0]["baseline_km2"] == 42_180
    with pytest.raises(InvalidArgumentError, match=r"Unknown baseline 'isw'.*afp, none"):
        total(history, "2024-01-31", source="user", preset="control", baseline="isw")
    with pytest.raises(InvalidArgumentError, match=r"Unknown baseline -5"):
        total(history, "2024-01-31", source="user", preset="control", baseline=-5)


def test_no_outline_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("FRONTLINE_DATA_DIR", raising=False)
    with pytest.raises(DataDirError, match=r"ukraine_oblasts_minregion_2020.*--no-share"):
        total(_tiny_history(), "2024-01-31", source="user", preset="control",
              data_dir=tmp_path)


def test_afp_baseline_is_the_difference_of_afps_two_published_levels():
    assert BASELINES["afp"][0] == AFP_TOTAL_2024_07_30 - AFP_SINCE_2024_07_30
    assert "aawsat.com" in BASELINES["afp"][1]


@pytest.fixture(scope="module")
def isw(data_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", frontline.CopiesDisagreeWarning)
        return frontline.load(data_dir, sources=["isw", "isw-areas"])


def test_ukraine_outline_against_an_equal_area_projection(data_dir):
    ukraine = load_ukraine(data_dir=data_dir)
    assert ukraine["area_km2"].item() == pytest.approx(602_312.71, abs=0.01)
    # independent: the 27 units in a Lambert azimuthal equal-area projection on Ukraine
    path = data_dir / "isw/boundaries_used/ukraine_oblasts_minregion_2020.geojson.gz"
    units = pyogrio.read_dataframe(f"/vsigzip/{path}")
    assert len(units) == 27 and {"Автономна Республіка Крим", "Місто Севастополь"} <= set(
        units["ADMIN_1"])
    laea = units.to_crs("+proj=laea +lat_0=48.5 +lon_0=31.5 +datum=WGS84 +units=m")
    assert laea.area.sum() / 1e6 == pytest.approx(602_312.71, abs=0.5)
    # the State Statistics Service's 603,628 km² is 0.22 % more
    assert 603_628 / ukraine["area_km2"].item() - 1 == pytest.approx(0.0022, abs=0.0001)


def test_total_on_30_july_2024_against_afp(isw, monkeypatch):
    monkeypatch.delenv("FRONTLINE_DATA_DIR", raising=False)  # the history's own folder
    row = total(isw, "2024-07-30").iloc[0]
    assert row["exact"] and row["source"] == "isw-areas" and row["preset"] == "afp"
    assert row["total_km2"] == pytest.approx(109_801.63, abs=0.005)
    assert row["share_of_ukraine_pct"] == pytest.approx(100 * 109_801.63 / 602_312.71,
                                                        abs=1e-4)
    assert round(row["share_of_ukraine_pct"]) == 18  # AFP: "18 percent of Ukraine"
    assert row["since_invasion_km2"] == pytest.approx(109_801.63 - 42_180, abs=0.005)
    assert "Minregion" in row["ukraine_source"] and "AFP" in row["baseline_source"]
    # AFP's levels sit a constant ~1,846 km² below frontline's (docs/totals.md): the
    # offset is the same on each date AFP published a level, so the changes agree.
    offsets = {}
    for date, afp_since in (("2024-07-30", 65_776), ("2024-09-01", 66_266),
                            ("2024-10-27", 67_192)):
        got = total(isw, date, gap_policy="interpolate", share=False).iloc[0]
        offsets[date] = got["since_invasion_km2"] - afp_since
    assert offsets["2024-07-30"] == pytest.approx(1_845.63, abs=0.01)
    assert max(offsets.values()) - min(offsets.values()) < 4  # AFP rounds; 10-27 interpolated


def test_isw_own_2022_polygons_of_crimea_and_donbas_support_afps_baseline(data_dir):
    """ISW's 2022-02-24 control layer: features 1 (Crimea) and 2 (the pre-2022 Donbas)
    measure 42,261.0 km², 81 km² above AFP's 42,180; the layer's other six features are
    the first day's advances, so it is no baseline layer itself."""
    path = data_dir / "isw/nikkei_geojson/2022/2022-02-24_RussianAssessedCoTinUkraine.geojson.gz"
    frame = pyogrio.read_dataframe(f"/vsigzip/{path}")
    pre = frame[frame["OBJECTID"].isin([1, 2])]
    assert geodesic_area_km2(pre.geometry.values).sum() == pytest.approx(42_261.0, abs=0.1)
    assert len(frame) == 8


def test_cli_total(data_dir):
    result = CliRunner().invoke(cli, ["-q", "--data-dir", str(data_dir), "total", "--date",
                                      "2026-04-27", "--source", "isw", "--format", "csv"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    row = pd.read_csv(io.StringIO(result.stdout)).iloc[0]
    assert row["snapshot"] == "2026-04-27" and row["baseline"] == "afp"
    assert row["total_km2"] == pytest.approx(118_740.19, abs=0.01)
    assert row["share_of_ukraine_pct"] == pytest.approx(19.714, abs=0.001)
    bad = CliRunner().invoke(cli, ["-q", "--data-dir", str(data_dir), "total", "--date",
                                   "2024-07-30", "--baseline", "pre2022"])
    assert bad.exit_code == 1 and "Unknown baseline 'pre2022'" in bad.output
