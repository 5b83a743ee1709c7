"""The command line, run in-process: data on stdout, one clear error line otherwise."""

from __future__ import annotations

import io
import json

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


def test_change_with_polygons(data_dir, tmp_path):
    out = tmp_path / "gained_lost.geojson"
    result = run("--data-dir", str(data_dir), "change", "--from", "2024-09-29", "--to",
                 "2024-10-26", "--source", "isw", "--polygons", str(out), "--format", "csv")
    assert result.exit_code == 0, result.output
    row = pd.read_csv(io.StringIO(result.stdout)).iloc[0]
    assert row.gained_km2 - row.lost_km2 == pytest.approx(row.net_km2, abs=0.01)
    import geopandas as gpd

    polygons = gpd.read_file(out)
    assert set(polygons["kind"]) == {"gained", "lost"}
    assert polygons.loc[polygons["kind"] == "gained", "area_km2"].sum() == pytest.approx(
        row.gained_km2, abs=0.01)


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
    result = CliRunner().invoke(cli, ["-q", "--data-dir", str(data_dir), "monthly", "--start",
                                      "2024-08", "--end", "2024-09", "--through",
                                      "2024-10-27"])
    assert result.exit_code == 1
    assert "--through 2024-10-27 must fall in the last month (2024-09)" in result.output


def test_change_pinned_to_an_archive_vintage(tmp_path):
    """ISW redraws a day: the archive keeps both vintages and --as-of picks the older."""
    from shapely.geometry import box

    from frontline.sources.archive import import_paths

    from .._synthetic import write_isw_zip

    archive = tmp_path / "archive"
    start = write_isw_zip(tmp_path / "a" / "cm.zip", "UkraineControlMapAO30SEP2024",
                          [box(37.0, 48.0, 37.2, 48.1)])
    first = write_isw_zip(tmp_path / "b" / "cm.zip", "UkraineControlMapAO31OCT2024",
                          [box(37.0, 48.0, 37.3, 48.1)])
    import_paths([start, first], root=archive, imported_at="2024-11-01T12:00:00Z")
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
            "--format", "csv"]
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
