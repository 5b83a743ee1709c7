"""Writers: atomic writes, files by extension, rounding, reader columns, polygon exports."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import time

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

from frontline.changes import change
from frontline.errors import InvalidArgumentError, SnapshotGapError, short_message
from frontline.exports import EXPORT_COLUMNS, SLIVER_KM2, change_polygons
from frontline.geodesy import geodesic_area_km2, km2_to_mi2
from frontline.history import History
from frontline.io import writers
from frontline.io.writers import (
    DETAIL_COLUMNS,
    clean_stale_temps,
    file_format,
    format_table,
    reader_columns,
    round_table,
    temp_folder,
    write_atomic,
    write_polygons,
    write_table,
)

# ------------------------------------------------------------------ atomic writes


def test_write_atomic_syncs_the_file_then_the_folder(tmp_path, monkeypatch):
    synced, real_fsync, real_replace = [], os.fsync, os.replace

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def replace(src, dst):
        synced.append(("rename", os.path.basename(src), os.path.basename(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(writers.os, "fsync", fsync)
    monkeypatch.setattr(writers.os, "replace", replace)
    write_atomic(tmp_path / "a.csv", "x\n1\n")
    temp, rename, folder = synced
    assert re.fullmatch(r"\.a\.csv\.[0-9a-f]{12}\.part\.csv", os.path.basename(temp))
    assert rename[1] == os.path.basename(temp) and rename[2] == "a.csv"
    assert folder == str(tmp_path)  # the rename itself made durable
    assert (tmp_path / "a.csv").read_text() == "x\n1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "table.csv"
    target.write_text("old\n")

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writers.os, "replace", broken)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_temp_files_of_killed_runs_are_removed_by_the_next_write(tmp_path, caplog):
    old = tmp_path / ".gains.csv.0123456789ab.part.csv"  # what a killed run leaves
    young = tmp_path / ".other.csv.ba9876543210.part"  # a run still writing
    mine = tmp_path / ".notes.part"  # not frontline's pattern: never touched
    for path in (old, young, mine):
        path.write_text("half")
    hour_ago = time.time() - writers.STALE_TEMP_SECONDS - 60
    os.utime(old, (hour_ago, hour_ago))
    os.utime(mine, (hour_ago, hour_ago))
    with caplog.at_level(logging.WARNING, logger="frontline.io.writers"):
        write_atomic(tmp_path / "gains.csv", "x\n")
    assert not old.exists() and young.exists() and mine.exists()
    assert f"removed {old}, left by an interrupted write" in caplog.text
    assert clean_stale_temps(tmp_path, older_than=0) == [young]


def test_temp_folders_are_swept_only_when_nothing_can_still_write_them(tmp_path, caplog,
                                                                         gone_pid):
    # the one sweeper of fetch's downloads and the chart set's staging folders
    prefix = ".frontline-demo-"
    nested = tmp_path / "deepstate" / "daily"
    nested.mkdir(parents=True)
    killed = nested / f"{prefix}{gone_pid}-abc"  # its process is gone: removed at once
    killed.mkdir()
    (killed / f"{prefix}{gone_pid}-inner").write_text("half")  # inside it: removed with it
    running = tmp_path / f"{prefix}{os.getpid()}-def"  # another run still writing: kept,
    running.mkdir()                                      # however old
    hour_ago = time.time() - writers.STALE_TEMP_SECONDS - 60
    os.utime(running, (hour_ago, hour_ago))
    legacy_old = tmp_path / f"{prefix}killedrun"  # no process id: by age
    legacy_young = tmp_path / f"{prefix}youngrun"
    for path in (legacy_old, legacy_young):
        path.mkdir()
    os.utime(legacy_old, (hour_ago, hour_ago))
    other = tmp_path / f"{gone_pid}-notes"  # not the prefix: never touched
    other.mkdir()
    assert clean_stale_temps(tmp_path, prefix=prefix) == [legacy_old]  # this folder only
    with caplog.at_level(logging.WARNING, logger="frontline.io.writers"):
        assert clean_stale_temps(tmp_path, prefix=prefix, recursive=True) == [killed]
    assert f"removed {killed}, left by an interrupted write" in caplog.text
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["deepstate", running.name, legacy_young.name, other.name])
    assert list(nested.iterdir()) == []


def test_temp_folder_carries_the_process_id_and_is_removed_even_on_error(tmp_path):
    with pytest.raises(RuntimeError, match="stop"), temp_folder(tmp_path, ".x-") as folder:
        (folder / "a.png").write_text("half")
        assert re.fullmatch(rf"\.x-{os.getpid()}-\w+", folder.name)
        assert clean_stale_temps(tmp_path, prefix=".x-", older_than=0) == []  # ours: kept
        raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []


def test_writing_to_a_folder_is_refused(tmp_path):
    with pytest.raises(InvalidArgumentError, match="is a folder: give a file name"):
        write_atomic(tmp_path, "x")


# ------------------------------------------------------------------ tables

TABLE = pd.DataFrame({
    "period": ["2024-01", "2024-02"],
    "end_date": pd.to_datetime(["2024-01-31", "2024-02-29"]),
    "exact": [True, False],
    "net_km2": [145.72000000000116, 1234567.891234],
    "share_pct": [12.3456, 0.001],
    "nearest_latitude": [48.28293847561, 47.1],
    "total_start_km2": [1.0, 2.0],
})


def test_csv_holds_plain_rounded_numbers():
    text = format_table(TABLE, "csv", decimals=2)
    assert text.splitlines()[1] == "2024-01,2024-01-31,True,145.72,12.346,48.282938,1.0"
    assert "1234567.89," in text and "1,234,567" not in text  # no thousands separators
    full = format_table(TABLE, "csv", decimals=None)
    assert "145.72000000000116" in full and "48.28293847561" in full


def test_round_table_rules():
    rounded = round_table(TABLE)
    assert rounded["net_km2"].tolist() == [145.72, 1234567.89]
    assert rounded["share_pct"].tolist() == [12.346, 0.001]
    assert rounded["nearest_latitude"].iloc[0] == 48.282938
    assert TABLE["net_km2"].iloc[0] == 145.72000000000116  # the input is not changed
    assert round_table(TABLE, None)["net_km2"].iloc[0] == 145.72000000000116


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet", ".xlsx"])
def test_table_files_read_back_equal(tmp_path, suffix):
    path = write_table(tmp_path / f"t{suffix}", TABLE)
    back = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".xlsx": pd.read_excel,
            ".json": lambda p: pd.DataFrame(json.loads(p.read_text()))}[suffix](path)
    assert list(back.columns) == list(TABLE.columns)
    assert back["net_km2"].tolist() == [145.72, 1234567.89]
    assert back["nearest_latitude"].tolist() == [48.282938, 47.1]
    assert [str(v)[:10] for v in back["end_date"]] == ["2024-01-31", "2024-02-29"]
    assert back["exact"].tolist() == [True, False]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_csv_files_open_in_excel_and_pandas(tmp_path):
    frame = pd.DataFrame({"name": ["Покровськ"], "glitch": ["−1,661.52 km²"]})
    path = write_table(tmp_path / "t.csv", frame)
    assert path.read_bytes().startswith("\ufeffname,glitch\nПокровськ,".encode())
    assert pd.read_csv(path).to_dict("list") == frame.to_dict("list")


def test_markdown_and_text_files(tmp_path):
    assert write_table(tmp_path / "t.md", TABLE).read_text().startswith("| period")
    assert "1,234,567.89" in write_table(tmp_path / "t.txt", TABLE).read_text()


def test_unknown_extension_names_the_option():
    assert file_format("a.GeoJSON") == "geojson" and file_format("x.XLSX") == "xlsx"
    with pytest.raises(InvalidArgumentError, match=r"--output a\.docx: unknown extension "
                       r"'\.docx'; tables are written as \.csv"):
        file_format("a.docx")
    with pytest.raises(InvalidArgumentError, match="writes a table, not polygons"):
        write_table("a.geojson", TABLE)


def test_reader_columns():
    assert "total_start_km2" in DETAIL_COLUMNS
    assert "total_start_km2" not in reader_columns(TABLE).columns
    assert list(reader_columns(TABLE.assign(control_change_km2=1.0)).columns) == list(
        reader_columns(TABLE).columns)
    assert list(reader_columns(TABLE, all_columns=True).columns) == list(TABLE.columns)
    assert list(reader_columns(TABLE, ["net_km2", "period"]).columns) == ["net_km2", "period"]
    with pytest.raises(InvalidArgumentError, match="--columns: no column 'net' in this table; "
                       "it has period, end_date"):
        reader_columns(TABLE, ["net"])


# ------------------------------------------------------------------ polygon exports

KEPT = box(37.5, 48.0, 37.6, 48.05)  # lost by the end
SLIVER = box(37.9, 48.0, 37.9005, 48.0005)  # 37 m x 56 m = 0.002 km²


def _history():
    frame = gpd.GeoDataFrame(
        {"date": pd.to_datetime(["2024-01-31", "2024-01-31", "2024-02-27", "2024-02-27"]),
         "layer": ["control"] * 4},
        geometry=[box(37.0, 48.0, 37.2, 48.1), KEPT, box(37.0, 48.0, 37.3, 48.1), SLIVER],
        crs="EPSG:4326")
    return History.from_frame(frame)


def _change():
    return change(_history(), "2024-02-01", "2024-02-27", source="user", preset="control",
                  gap_policy="previous")


def test_change_polygons_dissolved_slivers_dropped_snapshot_dates():
    result = _change()
    export = change_polygons(result)
    assert list(export.columns) == [*EXPORT_COLUMNS, "geometry"]
    assert export["kind"].tolist() == ["gained", "lost"]
    assert (export["area_km2"] >= SLIVER_KM2).all()
    gained, lost = export.iloc[0], export.iloc[1]
    sliver_km2 = float(geodesic_area_km2(SLIVER))
    assert 0.0019 < sliver_km2 < 0.0022
    assert gained.dropped_parts == 1 and gained.dropped_km2 == pytest.approx(sliver_km2)
    assert gained.area_km2 + gained.dropped_km2 == pytest.approx(result.gained_km2, abs=1e-9)
    assert 82.5 < gained.area_km2 < 83.3  # 0.1° x 0.1° at 48° N
    assert lost.area_km2 == pytest.approx(result.lost_km2) and lost.dropped_parts == 0
    assert gained.area_mi2 == pytest.approx(km2_to_mi2(gained.area_km2))
    # the requested date (1 Feb) and the snapshot used (31 Jan) are both there
    assert str(gained.start_date)[:10] == "2024-02-01" and gained.start_snapshot == "2024-01-31"
    assert gained.end_snapshot == "2024-02-27" and not gained.exact
    assert gained.source == "user" and gained.preset == "control"
    assert export.attrs["dropped"] == {"gained": (1, pytest.approx(sliver_km2)),
                                       "lost": (0, 0.0)}
    keep_all = change_polygons(result, min_area_km2=0)
    assert keep_all.iloc[0].parts == 2 and keep_all.iloc[0].dropped_parts == 0


def test_change_polygons_refuses_changes_without_polygons():
    later = gpd.GeoDataFrame({"date": pd.to_datetime(["2024-03-31"]), "layer": ["control"]},
                             geometry=[box(37.0, 48.0, 37.4, 48.1)], crs="EPSG:4326")
    frame = pd.concat([_history().layers(), later.assign(source="user")], ignore_index=True)
    history = History.from_frame(gpd.GeoDataFrame(frame, crs="EPSG:4326"))
    interpolated = change(history, "2024-01-31", "2024-03-15", source="user",
                          preset="control", gap_policy="interpolate")
    with pytest.raises(SnapshotGapError, match="A polygon export needs polygon snapshots"):
        change_polygons(interpolated)
    with pytest.raises(InvalidArgumentError, match="min_area_km2"):
        change_polygons(_change(), min_area_km2=-1)


def test_geojson_and_gpkg_exports_open_with_pyogrio(tmp_path):
    export = change_polygons(_change())
    path = write_polygons(tmp_path / "change.geojson", export)
    back = pyogrio.read_dataframe(path)
    assert len(back) == 2 and back.crs.to_epsg() == 4326
    assert (back["area_km2"] >= SLIVER_KM2).all()
    # pyogrio reads the YYYY-MM-DD strings back as dates
    assert {str(v)[:10] for v in back["end_snapshot"]} == {"2024-02-27"}
    assert {str(v)[:10] for v in back["start_snapshot"]} == {"2024-01-31"}
    assert back["area_km2"].iloc[0] == round(export["area_km2"].iloc[0], 2)
    raw = json.loads(path.read_text())
    assert raw["features"][0]["properties"]["start_date"] == "2024-02-01"
    with pytest.raises(InvalidArgumentError, match="GeoJSON is always WGS84"):
        write_polygons(tmp_path / "x.geojson", export, crs="EPSG:3857")
    gpkg = write_polygons(tmp_path / "change.gpkg", export, crs="EPSG:3857")
    projected = pyogrio.read_dataframe(gpkg)
    assert projected.crs.to_epsg() == 3857 and projected.total_bounds[0] > 4e6
    assert projected["area_km2"].tolist() == back["area_km2"].tolist()  # still geodesic
    with pytest.raises(InvalidArgumentError, match="--crs EPSG:99999: not a CRS"):
        write_polygons(tmp_path / "y.gpkg", export, crs="EPSG:99999")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["change.geojson", "change.gpkg"]


# ------------------------------------------------------------------ error messages


def test_short_message_keeps_the_first_items_a_count_and_the_fix():
    items = [f"{d:%Y-%m-%d} (end of {d:%Y-%m}) has no isw snapshot; nearest: none"
             for d in pd.date_range("2022-01-31", periods=60, freq="ME")]
    text = ("Missing snapshots: " + "; ".join(items) + ". Pass --gap-policy previous or "
            "interpolate (gap_policy=) to use the nearest snapshots.")
    short = short_message(text)
    assert len(text) > 3000 and len(short) < 700
    assert short.startswith("Missing snapshots: 2022-01-31 (end of 2022-01) has no isw")
    assert "… and 115 more." in short  # 120 items split on "; ", 5 shown
    assert short.endswith("Pass --gap-policy previous or interpolate (gap_policy=) to use "
                          "the nearest snapshots.")
    assert short_message("short; message") == "short; message"
    long_item = "x" * 2000
    assert len(short_message(long_item)) <= 201


def test_json_keeps_full_digits_then_rounds():
    rows = json.loads(format_table(TABLE, "json", decimals=2))
    assert rows[0]["net_km2"] == 145.72 and rows[1]["nearest_latitude"] == 47.1
    assert json.loads(format_table(TABLE, "json", decimals=None))[0]["net_km2"] == (
        145.72000000000116)
    assert pd.read_csv(io.StringIO(format_table(TABLE, "csv", decimals=2)))[
        "net_km2"].dtype == float


def test_change_polygons_dissolves_each_class_and_direction():
    """A change whose polygons() also has the reclassified class (area that only changed
    layer): one feature per (class, direction), and kind tells the gross side."""
    real = _change()

    class Reclassified:
        gained, start, end = real.gained, real.start, real.end

        def to_frame(self):
            return real.to_frame()

        def polygons(self):
            frame = real.polygons()
            frame["class"] = frame["kind"]
            frame["direction"] = frame["kind"].map({"gained": "in", "lost": "out"})
            moved = frame.iloc[[0]].assign(**{"class": "reclassified"})
            moved["geometry"] = [box(38.0, 48.0, 38.1, 48.1)]
            return pd.concat([frame, moved], ignore_index=True)

    export = change_polygons(Reclassified())
    assert list(zip(export["class"], export["direction"], export["kind"], strict=True)) == [
        ("gained", "in", "gained"), ("lost", "out", "lost"), ("reclassified", "in", "gained")]
    assert set(export.attrs["dropped"]) == {"gained", "lost", "reclassified in"}


def test_a_refused_write_is_one_error_naming_the_file(tmp_path, monkeypatch):
    # disk full (or any refusal of the system) on the rename: WriteError naming the file,
    # the old file untouched and no temporary file left behind (issue 10)
    import errno

    from frontline.errors import WriteError

    target = tmp_path / "table.csv"
    target.write_text("old\n")

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writers.os, "replace", full)
    with pytest.raises(WriteError, match=r"Could not write .*table\.csv: No space left on "
                                         r"device \(errno 28\).*left as it was"):
        writers.write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]
