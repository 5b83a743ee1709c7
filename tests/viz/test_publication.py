"""``frontline charts``: the month's publication set, and the helpers behind it.

The command runs once on the real data (``FRONTLINE_DATA_DIR``) for AFP's October 2024
(up to the 27th); the tests then read the files it wrote: valid PNG and SVG, the chart
text, and CSVs holding the numbers the charts show. The map-date choice and the series
helpers are also tested on tiny polygons built in code.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import geopandas as gpd
import matplotlib.image
import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image
from shapely.geometry import box

import frontline
from frontline import SnapshotGapError
from frontline.cli.main import cli
from frontline.compare import controlled_totals, map_snapshots, sample_dates

ISW_CREDIT = "ISW and AEI's Critical Threats Project"
MONTH = "2024-10"
FILES = [f"{chart}_{MONTH}.{ext}" for chart in ("monthly_gains", "gains_map", "pokrovsk")
         for ext in ("png", "svg", "csv")] + [f"notes_{MONTH}.md"]


@pytest.fixture(scope="module")
def charts(data_dir, tmp_path_factory):
    """``frontline charts --month 2024-10 --through 2024-10-27 --out <tmp>``, once."""
    out = tmp_path_factory.mktemp("charts")
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "-q", "charts",
                                      "--month", MONTH, "--through", "2024-10-27",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.stdout  # the paths written; warnings go to stderr


def svg_text(path) -> str:
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = " ".join("".join(e.itertext()) for e in root.iter() if e.tag.endswith("text"))
    return text.replace("\u00a0", " ")  # titles keep "31 Aug 2024" and "451 km²" unbroken


def test_writes_the_listed_files_and_nothing_else(charts):
    out, output = charts
    assert output.splitlines() == [str(out / name) for name in FILES]
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)  # no .part leftovers


@pytest.mark.parametrize("chart", ["monthly_gains", "gains_map", "pokrovsk"])
def test_png_and_svg_are_valid(charts, chart):
    out, _ = charts
    png = out / f"{chart}_{MONTH}.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(png)
    assert pixels.shape[0] > 1000 and pixels.shape[1] > 1500  # 200 dpi
    with Image.open(png) as image:
        image.verify()
    with Image.open(png) as image:
        assert ISW_CREDIT in image.text["Source"]
        assert image.text["Title"]
    text = svg_text(out / f"{chart}_{MONTH}.svg")  # text kept as text, not paths
    assert f"Data: {ISW_CREDIT}" in text
    assert "Chart: frontline." in text


def test_monthly_bars_csv_holds_the_numbers_shown(charts, history):
    out, _ = charts
    table = pd.read_csv(out / f"monthly_gains_{MONTH}.csv")
    assert list(table["period"]) == [str(p) for p in pd.period_range("2023-11", MONTH,
                                                                          freq="M")]
    rows = table.set_index("period")
    assert rows.loc["2024-08", "label_km2"] == 477  # AFP: 477 km² in August
    assert rows.loc["2024-08", "net_km2"] == pytest.approx(476.87, abs=0.01)
    assert rows.loc["2024-09", "label_km2"] == 456
    assert rows.loc["2024-10", "label_km2"] == 477  # AFP: 478 (interpolated here)
    assert list(rows.loc[["2024-08", "2024-09", "2024-10"], "hatched"]) == [False, True, True]
    assert (rows["hatched"] == ~rows["exact"]).all()
    assert set(rows["gap_policy"]) == {"interpolate"} and set(rows["preset"]) == {"afp"}
    assert "interpolate" in rows.loc["2024-10", "note"]
    # the month's row is the monthly table's own row
    own = frontline.monthly_gains(history, start=MONTH, end=MONTH, through="2024-10-27",
                                  gap_policy="interpolate").iloc[0]
    row = rows.loc[MONTH]
    for column in ("start_snapshot", "end_snapshot", "source", "exact"):
        assert str(row[column]) == str(own[column])
    for column in ("total_start_km2", "total_end_km2", "net_km2", "net_mi2"):
        assert row[column] == pytest.approx(own[column], abs=1e-6)
    assert row["end_date"] == "2024-10-27"


def test_monthly_bars_text(charts):
    out, _ = charts
    text = svg_text(out / f"monthly_gains_{MONTH}.svg")
    assert "Net change in territory held or claimed by Russia, per month" in text
    assert "1 Nov 2023 – 27 Oct 2024, km²" in text
    assert "Oct 1–27" in text and "mi²" in text
    labels = pd.read_csv(out / f"monthly_gains_{MONTH}.csv")["label_km2"]
    for label in labels:  # every bar's value is written on it
        assert f" {label} " in f" {text} "
    assert "Hatched bars: the source has no figure for the first or last day" in text
    assert "26 Oct 2024 & 28 Oct 2024*" in text  # the days used, in words
    assert "snapshot" not in text.lower()  # no CSV column names in the footnotes


def test_gains_map_csv_and_text(charts):
    out, _ = charts
    table = pd.read_csv(out / f"gains_map_{MONTH}.csv")
    total = table[table["level"] == "country"].iloc[0]
    # ISW's polygons nearest before 30 Sep and 27 Oct: 29 Sep and 26 Oct
    assert (total["start_snapshot"], total["end_snapshot"]) == ("2024-09-29", "2024-10-26")
    assert total["source"] == "isw"
    assert total["net_km2"] == pytest.approx(450.59, abs=0.05)
    assert total["gained_km2"] - total["lost_km2"] == pytest.approx(total["net_km2"],
                                                                     abs=0.01)
    oblasts = table[table["level"] == "oblast"].set_index("name")
    assert oblasts.index[0] == "Donetsk Oblast"  # largest net first
    assert oblasts.loc["Donetsk Oblast", "net_km2"] == pytest.approx(296.66, abs=0.1)
    assert oblasts["net_km2"].sum() == pytest.approx(total["net_km2"], abs=0.5)
    text = svg_text(out / f"gains_map_{MONTH}.svg")
    assert "Territory gained and lost by Russia, 1–27 October 2024" in text
    assert "maps of 29 Sep 2024 and 26 Oct 2024" in text
    assert "no ISW/CTP polygons for 2024-09-30 and 2024-10-27" in text
    # 451.17 gained, 0.58 lost, net 450.59: plain rounding says "451, 1, +451"; the
    # subtitle's figures add up (lost shown as 0, within 1 km² of 0.58)
    assert total["gained_km2"] == pytest.approx(451.17, abs=0.05)
    assert total["lost_km2"] == pytest.approx(0.58, abs=0.05)
    assert "gained 451 km², lost 0 km², net +451 km²" in text
    # the bar (477, interpolated 30 Sep -> 27 Oct) and the map (451) say why they differ
    assert "The month's bar (+477 km²) compares an estimate between 29 Sep 2024 and 1 Oct" in text
    assert "this map (+451 km²) compares 29 Sep 2024 and 26 Oct 2024" in text
    assert "Held by Russia on 29 Sep 2024" in text  # held territory for context
    assert "Donetsk Oblast" in text and "Kharkiv Oblast" in text  # oblast names
    assert "Pokrovsk" in text and "Ukraine: the area shown" in text
    assert "start_snapshot" not in text and "Longitude" not in text


def test_pokrovsk_csv_and_text(charts):
    out, _ = charts
    table = pd.read_csv(out / f"pokrovsk_{MONTH}.csv")
    assert list(table["date"]) == ["2024-09-29", "2024-10-05", "2024-10-12", "2024-10-19",
                                   "2024-10-26"]
    assert set(table["source"]) == {"isw"}
    assert table["unit_area_km2"].iloc[0] == pytest.approx(4002.2, abs=1.0)
    assert table["unit_km2"].is_monotonic_increasing
    assert table["unit_taken_km2"].iloc[-1] == pytest.approx(
        table["unit_km2"].iloc[-1] - table["unit_km2"].iloc[0])
    assert table["unit_taken_km2"].iloc[-1] == pytest.approx(163.1, abs=0.5)
    assert table["within_20km_km2"].iloc[-1] > table["within_10km_km2"].iloc[-1]
    assert table["distance_km"].between(5, 10).all() and not table["inside"].any()
    text = svg_text(out / f"pokrovsk_{MONTH}.svg")
    assert "Pokrovsk axis, 1–27 October 2024" in text
    assert ("Dates of the maps: 29 Sep 2024, 5 Oct 2024, 12 Oct 2024, 19 Oct 2024, "
            "26 Oct 2024") in text
    for label in ("Pokrovsk", "Myrnohrad", "Selydove", "Pokrovskii Raion", "10 km", "20 km"):
        assert label in text


def test_notes_say_what_is_inexact_and_credit(charts):
    out, _ = charts
    notes = (out / f"notes_{MONTH}.md").read_text(encoding="utf-8")
    assert ISW_CREDIT in notes and "may not be redistributed" in notes
    assert "Inexact months (hatched bars, exact=false in the CSV): 2024-09, 2024-10" in notes
    assert "interpolated linearly" in notes
    for name in FILES:
        assert f"- {name}" in notes


def test_a_month_without_isw_polygons_maps_deepstate(history):
    shown = map_snapshots(history, "2024-07-31", "2024-08-31")
    assert shown.source == "deepstate" and shown.exact
    assert "ISW/CTP polygons are not available within 3 days" in shown.note
    assert shown.credit == "Data: DeepStateMap"
    assert shown.dates[0] == pd.Timestamp("2024-07-31")
    assert shown.dates[-1] == pd.Timestamp("2024-08-31")
    assert len(shown.dates) == 6  # weekly, and the last day


def test_bars_come_from_isw_where_it_reaches_else_deepstate(history):
    from frontline.viz.publication import bars_source

    assert bars_source(history, "2024-10") == ("isw", pd.Timestamp("2024-10-31"), "")
    # ISW's table ends 28 Feb 2026, its polygons 27 Apr 2026: May 2026 is DeepState's
    source, end, why = bars_source(history, "2026-05")
    assert (source, end) == ("deepstate", pd.Timestamp("2026-05-31"))
    assert "ISW's data ends on 27 Apr 2026, so every bar is DeepStateMap's" in why
    # DeepState ends on 21 Aug 2026: August is a partial month, said so
    source, end, why = bars_source(history, "2026-08")
    assert (source, end) == ("deepstate", pd.Timestamp("2026-08-21"))
    assert "August 2026 is shown to that day only (a partial month)" in why
    with pytest.raises(SnapshotGapError, match="No source covers 2026-11.*21 Aug 2026"):
        bars_source(history, "2026-11")


def test_a_failed_run_leaves_the_previous_set_untouched(data_dir, tmp_path, monkeypatch,
                                                        gone_pid):
    import os

    import frontline.viz.publication as publication

    out = tmp_path / "out"
    out.mkdir()
    for name in FILES:  # the previous run's set
        (out / name).write_text(f"old {name}")
    stale = out / f".frontline-charts-2024-10-{gone_pid}-killedrun"  # a killed run's folder
    stale.mkdir()
    (stale / "monthly_gains_2024-10.png").write_text("half")
    running = out / f".frontline-charts-2024-10-{os.getppid()}-running"  # a run still going
    running.mkdir()

    def fail(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(publication, "plot_pokrovsk", fail)
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "-q", "charts",
                                      "--month", MONTH, "--through", "2024-10-27",
                                      "--out", str(out)])
    assert result.exit_code != 0 and "disk on fire" in str(result.exception)
    # the bars and the map were drawn before the failure, yet none of them replaced the
    # old files: the set is swapped in only when complete
    assert sorted(p.name for p in out.iterdir()) == sorted([*FILES, running.name])
    for name in FILES:
        assert (out / name).read_text() == f"old {name}"


def test_bad_through_is_one_line(data_dir, tmp_path):
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "-q", "charts",
                                      "--month", "2024-10", "--through", "2024-11-02",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "through=2024-11-02 must fall in 2024-10" in result.output
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ synthetic


def toy_history():
    """ISW polygons on 1 and 29 Sep; DeepState every day of September (growing east)."""
    rows = []
    for day in ("2024-09-01", "2024-09-29"):
        shift = 0.1 if day == "2024-09-29" else 0.0
        rows += [("isw", day, "control", box(37.0, 48.0, 37.2 + shift, 48.2)),
                 ("isw", day, "advances", box(37.2 + shift, 48.0, 37.3 + shift, 48.2)),
                 ("isw", day, "claimed", box(37.0, 47.9, 37.1, 48.0))]
    frames = []
    for source in ("isw", "deepstate"):
        part = [r for r in rows if r[0] == source]
        if source == "deepstate":
            part = [("deepstate", f"2024-09-{d:02d}", "occupied",
                     box(37.0, 48.0, 37.2 + d / 100, 48.2)) for d in range(1, 31)]
        frame = gpd.GeoDataFrame({"date": pd.to_datetime([r[1] for r in part]),
                                  "layer": [r[2] for r in part]},
                                 geometry=[r[3] for r in part], crs="EPSG:4326")
        history = frontline.History.from_frame(frame, source=source)
        frames.append(history)
    catalog = pd.concat([h.catalog for h in frames], ignore_index=True)
    cache = {k: v for h in frames for k, v in h._cache.items()}
    return frontline.History(catalog, frames=cache)


def test_map_snapshots_prefers_isw_within_the_offset():
    history = toy_history()
    shown = map_snapshots(history, "2024-09-01", "2024-09-29")
    assert shown.source == "isw" and shown.exact
    assert list(shown.dates.strftime("%d")) == ["01", "29"]
    shown = map_snapshots(history, "2024-09-02", "2024-09-30")
    assert shown.source == "isw" and not shown.exact
    assert (shown.start, shown.end) == (pd.Timestamp("2024-09-01"),
                                        pd.Timestamp("2024-09-29"))
    assert "no ISW/CTP polygons for 2024-09-02 and 2024-09-30" in shown.note
    shown = map_snapshots(history, "2024-09-05", "2024-09-30")
    assert shown.source == "deepstate" and shown.exact
    assert list(shown.dates.strftime("%d")) == ["05", "12", "19", "26", "30"]
    with pytest.raises(SnapshotGapError, match="No polygons to map 2024-08-31"):
        map_snapshots(history, "2024-08-31", "2024-09-30")  # nothing on or before 08-31


def test_controlled_totals_one_measure_per_source():
    history = toy_history()
    totals = controlled_totals(history, source="isw")
    assert list(totals["date"].dt.strftime("%m-%d")) == ["09-01", "09-29"]
    assert set(totals["measures"]) == {"control + advances + claimed"}
    assert totals["total_km2"].iloc[1] > totals["total_km2"].iloc[0]
    weekly = controlled_totals(history, source="deepstate", every="W")
    assert weekly["date"].dt.day_of_week.iloc[:-1].eq(6).all()  # Sundays, then the last day
    assert set(weekly["measures"]) == {"occupied"}
    with pytest.raises(SnapshotGapError, match="has every one of the layers"):
        controlled_totals(history, source="isw", layers=("control", "partisan"))


def test_sample_dates():
    dates = pd.to_datetime(["2024-01-05", "2024-01-31", "2024-02-01", "2024-03-10"])
    assert list(sample_dates(dates, "M").strftime("%m-%d")) == ["01-31", "02-01", "03-10"]
    assert list(sample_dates(dates)) == list(dates)


def test_charts_from_the_archive_match_the_data_directory(charts, data_dir, tmp_path):
    """ISW's 2024 zips, the area tables and DeepState's Oct-Nov files, imported: the same
    CSVs and notes as from the data directory."""
    from frontline.sources.archive import import_paths

    archive = tmp_path / "archive"
    daily = sorted((data_dir / "deepstate/daily").glob("deepstatemap_data_20241[01]*.geojson"))
    import_paths([data_dir / "isw/original_shapefiles_2024", data_dir / "isw/area_tables",
                  *daily], root=archive)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "--archive", str(archive),
                                      "-q", "charts", "--month", MONTH, "--through",
                                      "2024-10-27", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    for name in FILES:
        if name.endswith((".csv", ".md")):
            assert (out / name).read_text() == (charts[0] / name).read_text(), name


def test_charts_from_an_empty_archive_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["-q", "--as-of", "2026-01-01", "charts", "--month",
                                      "2024-10", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "the archive is empty" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_source_differences_side_by_side():
    table = pd.DataFrame({
        "date": pd.to_datetime(["2024-10-01", "2024-10-01", "2024-10-08", "2024-10-08"]),
        "source": ["isw", "deepstate", "isw", "deepstate"],
        "total_km2": [110.0, 100.0, 121.0, 110.0]})
    wide = frontline.compare.source_differences(table, value="total_km2")
    assert list(wide.columns) == ["name", "date", "isw_km2", "deepstate_km2",
                                  "difference_km2", "difference_pct"]
    assert list(wide["difference_km2"]) == [10.0, 11.0]
    assert list(wide["difference_pct"]) == pytest.approx([10.0, 10.0])
    assert set(wide["name"]) == {"Ukraine (national total)"}
    with pytest.raises(ValueError, match="needs two sources"):
        frontline.compare.source_differences(table[table["source"] == "isw"], value="total_km2")


def test_plot_totals_says_what_each_line_measures():
    history = toy_history()
    totals = pd.concat([controlled_totals(history, source="isw"),
                        controlled_totals(history, source="deepstate")], ignore_index=True)
    ax = frontline.viz.plot_totals(totals)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["DeepStateMap: occupied",
                      "ISW/CTP (polygons): control + advances + claimed"]
    assert ax.get_legend().get_title().get_text() == "source: layers measured"
    mixed = pd.concat([totals, controlled_totals(history, source="isw", preset="control")])
    with pytest.raises(ValueError, match="One line per source and measure: isw"):
        frontline.viz.plot_totals(mixed)


def test_source_difference_map_on_toy_polygons():
    history = toy_history()
    difference = frontline.compare.source_difference(history, "2024-09-29")
    only = difference.groupby("kind")["area_km2"].sum()
    totals = difference.attrs["totals_km2"]
    assert only["isw only"] - only.get("deepstate only", 0.0) == pytest.approx(
        totals["isw"] - totals["deepstate"], abs=1e-3)
    ax = frontline.viz.plot_source_difference(difference)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("Held by Russia per ISW/CTP (polygons) only:")
    assert ax.get_title().startswith("Where the maps disagree: ISW/CTP (polygons) vs "
                                     "DeepStateMap")
    footer = " ".join(t.get_text() for t in ax.texts)
    assert f"Data: {ISW_CREDIT}; DeepStateMap" in footer


def test_plot_axis_series_one_colour_per_source():
    rows = []
    for source, offset in (("isw", 100.0), ("deepstate", 0.0)):
        for day, km2 in (("2024-09-01", 1000.0), ("2024-10-01", 1200.0)):
            rows.append({"date": pd.Timestamp(day), "source": source, "unit": "Pokrovskii Raion",
                         "unit_km2": km2 + offset, "within_10km_km2": 1.0,
                         "within_20km_km2": 50.0 + offset, "town": "Pokrovsk",
                         "distance_km": 10.0 - offset / 100})
    area_ax, distance_ax = frontline.viz.plot_axis_series(pd.DataFrame(rows))
    labels = [line.get_label() for line in area_ax.get_lines()]
    assert labels == ["DeepStateMap: in Pokrovskii Raion",
                      "DeepStateMap: within 20 km of Pokrovsk",
                      "ISW/CTP (polygons): in Pokrovskii Raion",
                      "ISW/CTP (polygons): within 20 km of Pokrovsk"]
    colours = [line.get_color() for line in area_ax.get_lines()]
    assert colours[0] == colours[1] != colours[2] == colours[3]
    assert [line.get_color() for line in distance_ax.get_lines()] == colours[::2]
    assert distance_ax.get_ylabel() == "Distance from Pokrovsk (km)"
    assert area_ax.get_title().startswith("Area held by Russia near Pokrovsk, km²")
    credit = " ".join(t.get_text() for t in distance_ax.texts)
    assert f"Data: {ISW_CREDIT}; DeepStateMap" in credit
