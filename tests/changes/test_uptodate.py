"""Figures to the latest day on the data as it really comes: copies, glitches, staleness,
presets and coverage (issue "Up to date"). Real-data tests read FRONTLINE_DATA_DIR."""

from __future__ import annotations

import io
import warnings

import pandas as pd
import pytest
from click.testing import CliRunner

import frontline
from frontline.cli import cli
from frontline.errors import GlitchError, GlitchWarning, SnapshotGapError
from frontline.glitches import find_glitches
from frontline.history import CATALOG_COLUMNS


@pytest.fixture(scope="module")
def isw(data_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", frontline.CopiesDisagreeWarning)
        return frontline.load(data_dir, sources=["isw", "isw-areas"])


def test_january_2026_needs_the_newer_table_copy(isw):
    row = frontline.monthly_gains(isw, start="2026-01", end="2026-01").iloc[0]
    assert row["exact"] and row["end_snapshot"] == "2026-01-31"
    assert row["net_km2"] == pytest.approx(480.69, abs=0.005)  # AFP: 481


def test_december_2024_from_the_new_zips(isw):
    result = frontline.change(isw, "2024-11-17", "2024-12-31", source="isw")
    table = frontline.change(isw, "2024-11-17", "2024-12-31", source="isw-areas")
    assert table.net_km2 == pytest.approx(743.20, abs=0.005)
    assert result.net_km2 == pytest.approx(table.net_km2, abs=0.5)
    assert result.gained_km2 == pytest.approx(767.90, abs=0.05)
    assert result.lost_km2 == pytest.approx(24.69, abs=0.05)
    assert result.gained_km2 - result.lost_km2 == pytest.approx(result.net_km2, abs=1e-3)


def test_a_doubled_copy_value_is_not_used(isw):
    result = frontline.change(isw, "2025-08-09", "2025-08-10", source="isw-areas")
    assert result.net_km2 == pytest.approx(10.54, abs=0.005)  # not the doubled +1,300


def test_the_real_glitch_days_are_the_documented_ones(isw):
    found = find_glitches(isw.areas)
    assert [(f"{d:%Y-%m-%d}", layer) for d, layer in zip(found["date"], found["layer"],
                                                         strict=True)] == [
        ("2024-07-03", "advances"), ("2025-03-04", "advances")]
    assert found["jump_km2"].round(1).tolist() == [-731.9, -1661.5]


def test_a_figure_ending_on_a_glitch_day_says_so(isw):
    with pytest.warns(GlitchWarning, match="2025-03-04 is a glitch day"):
        warned = frontline.change(isw, "2025-02-28", "2025-03-04", source="isw-areas")
    assert warned.net_km2 == pytest.approx(-1656.40, abs=0.005)
    assert "2025-03-04 advances 399.94" in warned.to_frame()["glitch"].iloc[0]
    with pytest.raises(GlitchError, match="2025-03-04 is a glitch day.*--on-glitch skip"):
        frontline.change(isw, "2025-02-28", "2025-03-04", source="isw-areas",
                         on_glitch="error")
    skipped = frontline.change(isw, "2025-02-28", "2025-03-04", source="isw-areas",
                               on_glitch="skip")
    assert skipped.end.label == "2025-03-03" and not skipped.exact
    assert skipped.net_km2 == pytest.approx(12.09, abs=0.005)


def test_cli_warns_about_the_glitch_on_stderr(data_dir):
    result = CliRunner().invoke(cli, ["-q", "--data-dir", str(data_dir), "change", "--from",
                                      "2025-02-28", "--to", "2025-03-04", "--source",
                                      "isw-areas", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "Warning: 2025-03-04 is a glitch day" in result.stderr
    row = pd.read_csv(io.StringIO(result.stdout)).iloc[0]
    assert row["glitch"].startswith("2025-03-04 advances")


def test_a_month_after_the_data_ends_is_an_error_naming_the_last_dates(isw, data_dir):
    with pytest.raises(SnapshotGapError, match=r"isw 2026-04-27, isw-areas 2026-02-28"):
        frontline.monthly_gains(isw, start="2026-11", end="2026-11", gap_policy="previous")
    result = CliRunner().invoke(cli, ["-q", "--data-dir", str(data_dir), "monthly", "--start",
                                      "2026-11", "--end", "2026-11", "--gap-policy",
                                      "previous"])
    assert result.exit_code == 1
    assert "after the last date the data holds" in result.stderr
    assert "0.0" not in result.stdout


def test_previous_is_bounded_by_max_gap_days(isw):
    # ISW's zips: 2024-09-01 and 2024-09-08; 2024-09-05 is 4 days after the first.
    with pytest.raises(SnapshotGapError, match="4 days earlier, more than max_gap_days=3"):
        frontline.change(isw, "2024-09-01", "2024-09-05", source="isw", gap_policy="previous")
    result = frontline.change(isw, "2024-09-01", "2024-09-05", source="isw",
                              gap_policy="previous", max_gap_days=4)
    assert result.end.label == "2024-09-01" and not result.exact and result.net_km2 == 0


@pytest.mark.parametrize("preset, start, end, expected, published", [
    # ISW's own reports count control + advances: "752 km² from 1 Jan to 31 May 2024" and
    # 627 km² in November 2024; AFP's rule adds claimed.
    ("isw", "2023-12-31", "2024-05-31", 752.72, 752),
    ("isw", "2024-10-31", "2024-11-30", 627.62, 627),
    ("isw+kursk", "2024-10-31", "2024-11-30", 839.92, None),
    ("afp", "2024-10-31", "2024-11-30", 725.42, 725),
])
def test_presets_reproduce_published_levels(isw, preset, start, end, expected, published):
    result = frontline.change(isw, start, end, source="isw-areas", preset=preset)
    assert result.net_km2 == pytest.approx(expected, abs=0.005)
    if published is not None:
        assert abs(result.net_km2 - published) < 1


def test_infiltration_is_added_where_isw_draws_it(isw):
    assert frontline.PRESETS["afp+infiltration"] == ("control", "advances", "claimed",
                                                     "infiltration")
    plain = frontline.snapshot(isw, "2026-01-31", source="isw-areas")
    more = frontline.snapshot(isw, "2026-01-31", source="isw-areas", preset="afp+infiltration")
    infiltration = isw.area_km2("isw-areas", "2026-01-31", "infiltration")
    assert more.total_km2 - plain.total_km2 == pytest.approx(infiltration, abs=1e-6)
    # Before 2025-11-06 ISW drew no infiltration layer: the preset counts none.
    before = frontline.snapshot(isw, "2025-10-31", source="isw-areas", preset="afp+infiltration")
    assert before.total_km2 == frontline.snapshot(isw, "2025-10-31", source="isw-areas").total_km2


def test_april_2026_from_the_zips(isw):
    result = frontline.change(isw, "2026-04-12", "2026-04-27", source="isw")
    assert result.exact
    assert result.gained_km2 - result.lost_km2 == pytest.approx(result.net_km2, abs=1e-3)
    assert result.gained_km2 > result.lost_km2 > 0


def test_coverage_lists_dates_gaps_and_glitches(isw):
    table = isw.coverage().set_index(["source", "layer"])
    advances = table.loc[("isw-areas", "advances")]
    assert advances["last_date"] == pd.Timestamp("2026-02-28")
    assert advances["glitches"] == "2024-07-03, 2025-03-04" and advances["n_glitches"] == 2
    infiltration = table.loc[("isw-areas", "infiltration")]
    assert infiltration["first_date"] == pd.Timestamp("2025-11-06")
    zips = table.loc[("isw", "infiltration")]
    assert zips["n_dates"] == 19 and zips["last_date"] == pd.Timestamp("2026-04-27")


def _synthetic_history():
    dates = pd.date_range("2025-03-01", periods=5)
    values = [10.0, 10.1, 2.0, 10.2, 10.3]  # a one-day drop to a fifth, then back
    frame = pd.DataFrame({"source": "t", "date": dates, "layer": "control",
                          "layer_name": "control", "file": "t.csv",
                          "area_km2": [v * 100 for v in values]})
    return frontline.History(pd.DataFrame(columns=CATALOG_COLUMNS), frame)


def test_glitch_rule_on_a_tiny_table():
    history = _synthetic_history()
    found = find_glitches(history.areas)
    assert found["date"].tolist() == [pd.Timestamp("2025-03-03")]
    with pytest.warns(GlitchWarning, match="2025-03-03"):
        frontline.change(history, "2025-03-01", "2025-03-03", source="t", preset="control")
    skipped = frontline.change(history, "2025-03-01", "2025-03-03", source="t",
                               preset="control", on_glitch="skip")
    assert skipped.end.label == "2025-03-02"  # the nearest clean day; ties go earlier
    with pytest.raises(frontline.FrontlineError, match="--on-glitch"):
        frontline.change(history, "2025-03-01", "2025-03-03", source="t", preset="control",
                         on_glitch="sometimes")


@pytest.mark.parametrize("lag, month, expected, published", [
    (1, "2024-08", 363.49, 363),  # DeepState's own statistics fit a lag of 1 in 2024 ...
    (2, "2025-06", 556.52, 556),  # ... and of 2 in 2025 (benchmarks/deepstate_lag.py)
    (2, "2025-07", 564.16, 564),
])
def test_deepstate_lag_reproduces_deepstates_published_months(data_dir, lag, month, expected,
                                                              published):
    history = frontline.load(data_dir, sources=["deepstate"], deepstate_lag=lag)
    row = frontline.monthly_gains(history, start=month, end=month, source="deepstate").iloc[0]
    assert row["exact"]
    assert row["net_km2"] == pytest.approx(expected, abs=0.01)
    assert abs(row["net_km2"] - published) < 1


def test_deepstate_lag_is_refused_with_the_archive(tmp_path):
    result = CliRunner().invoke(cli, ["--archive", str(tmp_path), "--deepstate-lag", "2",
                                      "monthly", "--source", "deepstate"])
    assert result.exit_code == 1 and "--deepstate-lag applies to a data directory" in (
        result.stderr)


def test_interpolated_rows_carry_their_uncertainty(isw):
    table = frontline.monthly_gains(isw, start="2024-08", end="2024-09",
                                    gap_policy="interpolate").set_index("period")
    assert table.loc["2024-08", "uncertainty_km2"] == 0  # exact: no band
    before = frontline.snapshot(isw, "2024-09-29")
    after = frontline.snapshot(isw, "2024-10-01")
    gap = abs(after.total_km2 - before.total_km2)
    september = table.loc["2024-09"]
    assert september["uncertainty_km2"] == pytest.approx(0.25 * gap, rel=1e-9)
    assert september["uncertainty90_km2"] == pytest.approx(0.82 * gap, rel=1e-9)
    assert september["uncertainty_km2"] == pytest.approx(9.10, abs=0.01)
    # AFP's published 459 km² lies inside the 50 % band around 455.68.
    assert abs(september["net_km2"] - 459) < september["uncertainty_km2"]


def test_areas_of_an_area_table_source_is_a_table_not_a_traceback(data_dir):
    result = CliRunner().invoke(cli, ["-q", "--data-dir", str(data_dir), "areas", "--source",
                                      "isw-areas", "--format", "csv"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout))
    row = table[(table["date"] == "2024-08-31") & (table["layer"] == "control")].iloc[0]
    assert row["area_km2"] == pytest.approx(108_476.86, abs=0.005)


def test_a_change_touching_2023_06_30_is_measured(isw):
    # clip_by_rect refused a ring of ISW's 2023-06-30 layers (GEOSException); the tiling
    # falls back to the full intersection, and the polygons agree with the area table.
    result = frontline.change(isw, "2023-05-31", "2023-06-30", source="isw")
    table = frontline.change(isw, "2023-05-31", "2023-06-30", source="isw-areas")
    assert result.net_km2 == pytest.approx(table.net_km2, abs=0.05)
    assert result.gained_km2 - result.lost_km2 == pytest.approx(result.net_km2, abs=1e-3)
    assert len(frontline.monthly_gains(isw, start="2023-01", end="2023-12")) == 12
