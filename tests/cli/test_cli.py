"""The command line, run in-process: data on stdout, one clear error line otherwise."""

from __future__ import annotations

import io
import json

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from frontline.cli.main import cli


def run(*args, env=None):
    runner = CliRunner()
    return runner.invoke(cli, ["-q", *args], env=env, catch_exceptions=False)


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.output.startswith("frontline, version ")


def test_monthly_csv_reproduces_afp(data_dir):
    result = run("--data-dir", str(data_dir), "monthly", "--start", "2024-08", "--end",
                 "2024-10", "--through", "2024-10-27", "--gap-policy", "interpolate",
                 "--format", "csv", "--all-columns")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout))  # data on stdout, warnings on stderr
    for column in ("period", "start_date", "end_date", "start_snapshot", "end_snapshot",
                   "source", "exact", "total_start_km2", "total_end_km2", "net_km2",
                   "net_mi2", "gained_km2", "lost_km2"):
        assert column in table.columns
    assert list(table["period"]) == ["2024-08", "2024-09", "2024-10"]
    assert list(table["exact"]) == [True, False, False]
    assert table["end_date"].iloc[-1] == "2024-10-27"
    net = table["net_km2"].round().tolist()
    assert net[0] == 477 and abs(net[1] - 459) < 4 and abs(net[2] - 478) < 2
    assert round(table["net_mi2"].iloc[0]) == 184


def test_monthly_gap_error_is_one_line_and_writes_nothing(data_dir, tmp_path):
    out = tmp_path / "monthly.csv"
    runner = CliRunner()
    result = runner.invoke(cli, ["-q", "--data-dir", str(data_dir), "monthly", "--start",
                                 "2024-09", "--end", "2024-09", "--output", str(out)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "2024-09-30 (end of 2024-09) has no isw/isw-areas snapshot; nearest: " \
           "2024-09-29 and 2024-10-01" in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_monthly_deepstate_json(data_dir):
    result = run("--data-dir", str(data_dir), "monthly", "--source", "deepstate", "--start",
                 "2024-08", "--end", "2024-10", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["period"] for r in rows] == ["2024-08", "2024-09", "2024-10"]
    for row in rows:
        assert row["source"] == "deepstate" and row["preset"] == "deepstate"
        assert row["gained_km2"] - row["lost_km2"] == pytest.approx(row["net_km2"], abs=0.01)


def test_change_polygon_export_is_ready_for_a_graphics_desk(data_dir, tmp_path):
    """October 2024 as a month: the 30 Sep snapshot is missing, so the export must carry
    the snapshot used (29 Sep), not the date asked for; no sliver; credit on each feature."""
    import pyogrio

    from frontline.exports import SLIVER_KM2

    out = tmp_path / "gained_lost.geojson"
    args = ["--data-dir", str(data_dir), "change", "--from", "2024-09-30", "--to",
            "2024-10-26", "--source", "isw", "--gap-policy", "previous"]
    result = run(*args, "--output", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # the file instead of the table
    assert "wrote " in result.stderr and "piece(s) under 0.01 km² left out" in result.stderr
    row = pd.read_csv(io.StringIO(run(*args, "--format", "csv", "--all-columns").stdout)
                      ).iloc[0]
    polygons = pyogrio.read_dataframe(out)
    classes = list(zip(polygons["class"], polygons["direction"], strict=True))
    assert len(set(classes)) == len(classes)  # dissolved: one feature per class
    assert ("gained", "in") in classes and ("reclassified", "in") in classes
    assert (polygons["area_km2"] >= SLIVER_KM2).all()
    assert {str(v)[:10] for v in polygons["start_snapshot"]} == {"2024-09-29"}
    assert {str(v)[:10] for v in polygons["end_snapshot"]} == {"2024-10-26"}
    assert {str(v)[:10] for v in polygons["start_date"]} == {"2024-09-30"}
    assert set(polygons["credit"]) == {"Data: ISW and AEI's Critical Threats Project"}
    assert set(polygons["source"]) == {"isw"} and set(polygons["preset"]) == {"afp"}
    assert not polygons["exact"].any()
    gained = polygons[polygons["kind"] == "gained"]
    # kept + dropped pieces = the table's gross gain (451.2 km² on ISW's 29 Sep / 26 Oct maps)
    assert (gained["area_km2"] + gained["dropped_km2"]).sum() == pytest.approx(
        row.gained_km2, abs=0.02)
    assert gained["area_km2"].sum() == pytest.approx(451.15, abs=0.05)
    outright = polygons[polygons["class"] == "gained"].iloc[0]
    assert outright.area_km2 + outright.dropped_km2 == pytest.approx(row.gained_outright_km2,
                                                                     abs=0.01)
    assert outright.dropped_parts > 100  # the slivers of a redrawn outline
    assert outright.area_mi2 == pytest.approx(outright.area_km2 / 2.589988110336, abs=0.01)
    projected = tmp_path / "gained_lost.gpkg"
    result = run(*args, "--output", str(projected), "--crs", "EPSG:3035")
    assert result.exit_code == 0, result.output
    back = pyogrio.read_dataframe(projected)
    assert back.crs.to_epsg() == 3035
    assert back["area_km2"].tolist() == polygons["area_km2"].tolist()


def test_csv_output_reads_back_equal_to_the_table(data_dir, history, tmp_path):
    """--output FILE.csv: plain numbers pandas reads, equal to the library's table to the
    documented 2 decimals; --full-precision --all-columns gives every digit."""
    from frontline.changes import monthly_gains

    table = monthly_gains(history, start="2024-01", end="2024-10", through="2024-10-27",
                          gap_policy="interpolate")
    args = ["--data-dir", str(data_dir), "monthly", "--start", "2024-01", "--end", "2024-10",
            "--through", "2024-10-27", "--gap-policy", "interpolate"]
    out = tmp_path / "monthly.csv"
    result = run(*args, "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "2024-01,2023-12-31,2024-01-31," in out.read_text()
    back = pd.read_csv(out)
    assert "total_start_km2" not in back and "start_input" not in back  # reader's columns
    numeric = [c for c in back.columns if c.endswith(("_km2", "_mi2"))]
    assert {"net_km2", "net_mi2", "gained_km2", "uncertainty90_km2"} <= set(numeric)
    for column in numeric:
        assert back[column].dtype == float
        pd.testing.assert_series_equal(back[column], table[column], atol=0.005 + 1e-9,
                                       check_names=False)
    assert back["net_km2"].iloc[0] == 145.72  # not 145.72000000000116
    full = tmp_path / "full.csv"
    run(*args, "--output", str(full), "--all-columns", "--full-precision")
    every = pd.read_csv(full)
    assert list(every.columns) == [*table.columns, "credit"]
    assert set(every["credit"]) == {"Data: ISW and AEI's Critical Threats Project"}
    pd.testing.assert_series_equal(every["total_end_km2"], table["total_end_km2"],
                                   rtol=1e-12)
    xlsx = tmp_path / "monthly.xlsx"
    run(*args, "--output", str(xlsx), "--columns", "period,net_km2,exact")
    assert pd.read_excel(xlsx).to_dict("list") == {
        "period": [f"2024-{m:02d}" for m in range(1, 11)],
        "net_km2": back["net_km2"].tolist(), "exact": back["exact"].tolist()}


def test_areas_markdown_one_date(data_dir):
    result = run("--data-dir", str(data_dir), "areas", "--source", "isw", "--date",
                 "2024-10-31", "--layer", "control", "--layer", "advances", "--format",
                 "markdown")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("| date") and "area_km2" in lines[0] and "area_mi2" in lines[0]
    assert len(lines) == 4  # header, rule, two layers
    cells = {line.split("|")[3].strip(): line.split("|") for line in lines[2:]}
    # control on 2024-10-31: the area table says 108,486.15 km².
    assert float(cells["control"][4]) == pytest.approx(108486.15, abs=0.05)
    assert "ukraine_control_map.zip" in cells["control"][6]


def test_no_data_directory_fetches_then_runs(data_dir, monkeypatch):
    """A fresh machine: no data directory, so the main job fetches what it needs first
    (here from a local mirror, the same code path as a download) and then runs."""
    monkeypatch.delenv("FRONTLINE_DATA_DIR", raising=False)
    monkeypatch.setenv("FRONTLINE_MIRROR", str(data_dir))
    result = CliRunner().invoke(cli, ["-q", "monthly", "--start", "2024-08", "--end",
                                      "2024-08", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "ISW and AEI's Critical Threats Project" in result.output  # ISW's terms shown
    csv = result.output[result.output.index("period,"):]
    row = pd.read_csv(io.StringIO(csv)).iloc[0]
    assert round(row.net_km2) == 477


def test_no_data_and_fetch_fails_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("FRONTLINE_DATA_DIR", raising=False)
    monkeypatch.setenv("FRONTLINE_MIRROR", str(tmp_path / "empty-mirror"))
    result = CliRunner().invoke(cli, ["-q", "monthly", "--source", "isw-areas"])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in result.output
    assert "isw/area_tables/" in errors[0] and "FRONTLINE_MIRROR" in errors[0]


def test_bad_through_date(data_dir):
    # the group's options after the command, as the user typed them
    result = CliRunner().invoke(cli, ["monthly", "-q", "--data-dir", str(data_dir), "--start",
                                      "2024-08", "--end", "2024-09", "--through",
                                      "2024-10-27"])
    assert result.exit_code == 1
    assert "--through 2024-10-27 must fall in the last month (2024-09)" in result.output


def test_change_pinned_to_an_archive_vintage(tmp_path):
    """ISW redraws a day: the archive keeps both vintages and --as-of picks the older."""
    from shapely.geometry import box

    from frontline.sources.archive import import_paths

    from .._synthetic import write_isw_zip

    archive = _archive(tmp_path, imported_at="2024-11-01T12:00:00Z")
    redrawn = write_isw_zip(tmp_path / "c" / "cm.zip", "UkraineControlMapAO31OCT2024",
                            [box(37.0, 48.0, 37.4, 48.1)])
    import_paths([redrawn], root=archive, imported_at="2024-11-05T12:00:00Z")

    def net(*pin):
        result = run("--archive", str(archive), *pin, "change", "--from", "2024-09-30",
                     "--to", "2024-10-31", "--source", "isw", "--preset", "control",
                     "--format", "csv")
        assert result.exit_code == 0, result.output
        return pd.read_csv(io.StringIO(result.stdout)).iloc[0].net_km2

    latest, earlier = net(), net("--as-of", "2024-11-02")
    # Widening 0.2° -> 0.3° (first vintage) or 0.4° (redrawn), 0.1° tall, at 48° N:
    # 0.1° x 0.1° there is 7.45 km x 11.12 km = 82.9 km².
    assert earlier == pytest.approx(latest / 2, rel=1e-3)
    assert 82.5 < earlier < 83.3


def test_areas_and_distance_read_the_archive_not_the_data_directory(data_dir, tmp_path):
    """With --archive the region commands analyse the archive's layers: here a synthetic
    control layer for 2024-10-31 (a small box west of Pokrovsk) instead of ISW's real one;
    boundaries and towns still come from the data directory."""
    from shapely.geometry import box

    from frontline.geodesy import geodesic_area_km2
    from frontline.sources.archive import import_paths

    from .._synthetic import write_isw_zip

    square = box(36.0, 48.0, 36.2, 48.1)
    zipped = write_isw_zip(tmp_path / "control.zip", "UkraineControlMapAO31OCT2024", [square])
    import_paths([zipped], root=tmp_path / "archive")
    base = ["-q", "--data-dir", str(data_dir)]
    archived = base + ["--archive", str(tmp_path / "archive")]
    runner = CliRunner()
    args = ["areas", "--source", "isw", "--date", "2024-10-31", "--layer", "control",
            "--format", "csv", "--full-precision"]
    from_archive = pd.read_csv(io.StringIO(runner.invoke(cli, archived + args).stdout))
    from_files = pd.read_csv(io.StringIO(runner.invoke(cli, base + args).stdout))
    assert from_archive["area_km2"].iloc[0] == pytest.approx(geodesic_area_km2(square),
                                                             rel=1e-6)
    assert from_files["area_km2"].iloc[0] == pytest.approx(108_486.15, abs=0.05)
    distance = ["distance", "--town", "Pokrovsk", "--source", "isw", "--preset", "control",
                "--date", "2024-10-31", "--format", "csv"]
    far = pd.read_csv(io.StringIO(runner.invoke(cli, archived + distance).stdout))
    near = pd.read_csv(io.StringIO(runner.invoke(cli, base + distance).stdout))
    assert far["distance_km"].iloc[0] > 60  # the box lies ~70 km west of Pokrovsk
    assert near["distance_km"].iloc[0] == pytest.approx(20.0, abs=0.5)  # ISW's control layer
    units = runner.invoke(cli, archived + ["units", "--level", "oblast", "--format", "csv"])
    assert units.exit_code == 0 and "Donetsk" in units.stdout


# ----------------------------------------------------------------- options (no real data)


def _archive(tmp_path, **imported):
    """An archive of two synthetic control layers (30 Sep, 31 Oct 2024), one import."""
    from shapely.geometry import box

    from frontline.sources.archive import import_paths

    from .._synthetic import write_isw_zip

    archive = tmp_path / "archive"
    start = write_isw_zip(tmp_path / "a" / "cm.zip", "UkraineControlMapAO30SEP2024",
                          [box(37.0, 48.0, 37.2, 48.1)])
    end = write_isw_zip(tmp_path / "b" / "cm.zip", "UkraineControlMapAO31OCT2024",
                        [box(37.0, 48.0, 37.3, 48.1)])
    import_paths([start, end], root=archive, **imported)
    return archive


def test_group_options_after_the_command(tmp_path):
    archive = _archive(tmp_path)
    args = ["change", "--from", "2024-09-30", "--to", "2024-10-31", "--source", "isw",
            "--preset", "control", "--format", "csv"]
    before = CliRunner().invoke(cli, ["-q", "--archive", str(archive), *args])
    after = CliRunner().invoke(cli, [*args, "-q", "--archive", str(archive)])
    assert before.exit_code == 0 and after.exit_code == 0, after.output
    assert after.stdout == before.stdout
    assert 82.5 < pd.read_csv(io.StringIO(after.stdout)).iloc[0].net_km2 < 83.3
    # an option the command has itself keeps the command's meaning
    status = CliRunner().invoke(cli, ["archive", "status", "--archive", str(archive),
                                      "--show", "summary", "--format", "csv", "-q"])
    assert status.exit_code == 0 and "isw" in status.stdout


def test_output_on_a_table_command_and_polygons(tmp_path):
    archive = _archive(tmp_path)
    base = ["-q", "--archive", str(archive)]
    parquet = tmp_path / "areas.parquet"
    result = run(*base, "areas", "--source", "isw", "--output", str(parquet))
    assert result.exit_code == 0, result.output
    areas = pd.read_parquet(parquet)
    assert areas["date"].tolist() == ["2024-09-30", "2024-10-31"]
    geojson = tmp_path / "change.geojson"
    result = run(*base, "change", "--from", "2024-09-30", "--to", "2024-10-31", "--source",
                 "isw", "--preset", "control", "--output", str(geojson))
    assert result.exit_code == 0, result.output
    rows = json.loads(geojson.read_text())["features"]
    assert [f["properties"]["kind"] for f in rows] == ["gained"]  # nothing lost
    assert rows[0]["properties"]["credit"] == "Data: ISW and AEI's Critical Threats Project"
    assert set(areas["credit"]) == {"Data: ISW and AEI's Critical Threats Project"}
    assert 82.5 < rows[0]["properties"]["area_km2"] < 83.3


@pytest.mark.parametrize(("args", "message"), [
    (["change", "--from", "2024-13-01", "--to", "2024-10-31"],
     "Invalid value for '--from': '2024-13-01' is not a real date (YYYY-MM-DD)."),
    (["change", "--from", "30/09/2024", "--to", "2024-10-31"],
     "Invalid value for '--from': '30/09/2024' is not a date: give YYYY-MM-DD"),
    (["change", "--from", "2024-10-31", "--to", "2024-09-30"],
     "--from 2024-10-31 is after --to 2024-09-30: give the earlier date first."),
    (["monthly", "--start", "2024-10", "--end", "2024-09"],
     "--start 2024-10 is after --end 2024-09"),
    (["monthly", "--start", "2024-10-01"],
     "Invalid value for '--start': '2024-10-01' is not a month: give YYYY-MM"),
    (["areas", "--start", "2024-10-02", "--end", "2024-10-01"],
     "--start 2024-10-02 is after --end 2024-10-01"),
    (["areas", "--date", "2024-10-01", "--start", "2024-09-01"],
     "Give --date, or --start/--end, not both."),
    (["monthly", "--through", "2024-02-30"], "Invalid value for '--through'"),
    (["brief", "--month", "2024-11", "--since", "2025-01"],
     "--since 2025-01 is after --month 2024-11"),
    (["monthly", "--output", "gains.docx"],
     "--output gains.docx: unknown extension '.docx'; tables are written as .csv"),
    (["monthly", "--output", "gains.geojson"],
     "--output gains.geojson: `monthly` prints a table, not polygons"),
    (["monthly", "--format", "csv", "--output", "gains.json"],
     "--format csv and --output gains.json (json) disagree"),
    (["change", "--from", "2024-09-30", "--to", "2024-10-31", "--crs", "EPSG:3857"],
     "--crs reprojects a polygon file: give --output FILE.gpkg too."),
    (["change", "--from", "2024-09-30", "--to", "2024-10-31", "--output", "c.gpkg", "--crs",
      "EPSG:99999"], "--crs EPSG:99999: not a CRS pyproj knows"),
    (["change", "--from", "2024-09-30", "--to", "2024-10-31", "--output", "c.geojson",
      "--crs", "EPSG:3857"], "--crs EPSG:3857: GeoJSON is always WGS84"),
    (["monthly", "--columns", "net_km2", "--all-columns"],
     "Give --columns or --all-columns, not both."),
    (["change", "--from", "2024-09-30", "--to", "2024-10-31", "--polygons", "x.shp"],
     "--polygons x.shp: unknown extension '.shp'"),
    (["change", "--from", "2024-09-30", "--to", "2024-10-31", "--polygons", "x.csv"],
     "--polygons x.csv: polygons are written as .geojson or .gpkg."),
    (["brief", "--month", "2024-11", "--output", "brief.docx"],
     "--output brief.docx: a brief is written as .md or .json."),
])
def test_option_values_are_checked_before_any_work(tmp_path, args, message):
    """No data directory is given: every one of these fails on the option itself."""
    result = CliRunner().invoke(cli, ["-q", "--data-dir", str(tmp_path / "none"), *args])
    assert result.exit_code in (1, 2)
    assert message in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.output and list(tmp_path.iterdir()) == []


def test_a_long_error_is_cut_to_a_readable_line(tmp_path):
    archive = _archive(tmp_path)
    args = ["monthly", "--start", "2015-01", "--end", "2024-10", "--source", "isw",
            "--preset", "control"]
    short = CliRunner().invoke(cli, ["-q", "--archive", str(archive), *args])
    assert short.exit_code == 1
    line = short.stderr.strip()
    assert line.startswith("Error: Missing snapshots: 2014-12-31 (start of 2015-01) has no isw")
    assert len(line) < 800 and "; … and " in line and " more." in line
    assert line.endswith("those rows are then marked exact=false.")
    whole = CliRunner().invoke(cli, ["-q", "-v", "--archive", str(archive), *args])
    assert len(whole.stderr) > 5000 and "2024-08-31 (end of 2024-08)" in whole.stderr


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


def test_every_help_has_an_example():
    names = list(_commands(cli))
    assert len(names) >= 13 and ("brief",) in names and ("archive", "status") in names
    for name in names:
        result = CliRunner().invoke(cli, [*name, "--help"])
        assert result.exit_code == 0
        text = " ".join(result.output.split())
        assert f"Example: frontline {' '.join(name)}" in text, name


def test_brief_markdown_and_json(data_dir, tmp_path):
    """August 2024 ranked against June and July (area table: 128.47, 201.32, 476.87 km²);
    ISW has no polygons near 31 Jul, so the geography is DeepStateMap's and says so."""
    args = ["--data-dir", str(data_dir), "brief", "--month", "2024-08", "--since", "2024-06"]
    out = tmp_path / "brief.json"
    result = run(*args, "--output", str(out))
    assert result.exit_code == 0, result.output
    brief = json.loads(out.read_text())
    assert [r["period"] for r in brief["tables"]["ranking"]] == ["2024-08", "2024-07",
                                                                  "2024-06"]
    assert [r["net_km2"] for r in brief["tables"]["ranking"]] == [476.87, 201.32, 128.47]
    assert brief["tables"]["month"][0]["net_km2"] == 476.87
    text = brief["text"]
    assert text.startswith("In August 2024 Russian forces gained a net 476.9 km² (184.1 mi²)")
    assert "the largest monthly net gain of the 3 months from June 2024 to August 2024" in text
    assert brief["tables"]["map_change"][0]["source"] == "deepstate"
    assert "DeepStateMap maps of 31 Jul 2024 and 31 Aug 2024" in text
    markdown = run(*args).stdout
    assert markdown.startswith("# August 2024\n\n" + text + "\n")
    assert "\n## oblasts\n" in markdown and "\n## towns\n" in markdown


def test_units_with_outlines_to_a_geopackage(data_dir, tmp_path):
    import pyogrio

    out = tmp_path / "oblasts.gpkg"
    result = run("--data-dir", str(data_dir), "units", "--level", "oblast", "--output",
                 str(out))
    assert result.exit_code == 0, result.output
    units = pyogrio.read_dataframe(out)
    table = pd.read_csv(io.StringIO(run("--data-dir", str(data_dir), "units", "--level",
                                        "oblast", "--format", "csv").stdout))
    assert len(units) == len(table) >= 26 and units.crs.to_epsg() == 4326
    assert units["area_km2"].tolist() == table["area_km2"].tolist()
    donetsk = units[units["name_en"] == "Donetsk Oblast"].iloc[0]
    assert 26_000 < donetsk.area_km2 < 27_000 and donetsk.geometry.geom_type.endswith("Polygon")
