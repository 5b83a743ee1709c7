"""hcss-utils' month-end DeepState files: fetched as a mirror, dated by their map day.

The files (``public/data/deepstate_geojson/<map day>.geojson``) hold every class of
DeepState's map with a ``layer_type``; frontline stores them as
``deepstate/month_end/deepstate_mapday_<day>.geojson``, reads the occupied classes, and
dates them by the day in the name. The fakes are built from real daily files of
../shared/data (their occupied area cut into features, plus liberated ones).
"""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import box, mapping

from frontline.errors import DuplicateSnapshotError, ReadError
from frontline.geodesy import geodesic_area_km2
from frontline.history import load
from frontline.io.readers import classify, read_deepstate, read_deepstate_mapday
from frontline.sources.archive import import_paths, read_manifest
from frontline.sources.mirrors import fetch_latest, read_record, recorded_paths
from frontline.sources.services import HCSS_MONTH_END, MIRRORS

from .._httpserver import LocalServer
from .test_mirrors import HCSS, FakeGitHub

DAILY = "deepstatemap_data_20240801.geojson"  # download day 2024-08-01: map of 2024-07-31


@pytest.fixture
def daily(data_dir):
    """(path, occupied geometry) of a real registry daily file."""
    path = data_dir / "deepstate" / "daily" / DAILY
    return path, read_deepstate(path)["geometry"].iloc[0]


def month_end(geometry, day: str, *, drop: int = 0, extra: dict | None = None) -> bytes:
    """A month-end file as hcss-utils writes it: the occupied area cut into its polygons
    (less the ``drop`` smallest), and two liberated polygons."""
    parts = sorted(shapely.get_parts(geometry), key=lambda g: g.area, reverse=True)
    parts = parts[:len(parts) - drop]
    features = [{"type": "Feature", "geometry": mapping(box(30.5, 50.3, 30.6, 50.4)),
                 "properties": {"name": "Liberated 25.03", "date": day,
                                "layer_type": "liberated"}},
                {"type": "Feature", "geometry": mapping(box(32.1, 46.7, 32.2, 46.8)),
                 "properties": {"name": "Liberated", "date": day, "layer_type": "liberated"}}]
    features += [{"type": "Feature", "geometry": mapping(part),
                  "properties": {"name": "Occupied", "date": day,
                                 "layer_type": "russian_occupied", **(extra or {})}}
                 for part in parts]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def km2(geometry) -> float:
    return float(geodesic_area_km2(geometry))


def test_a_month_end_file_is_dated_by_its_map_day_and_measures_the_daily_files_area(
        daily, tmp_path):
    path, geometry = daily
    file = tmp_path / "deepstate_mapday_2024-07-31.geojson"
    file.write_bytes(month_end(geometry, "2024-07-31"))
    assert classify(file) == "deepstate"
    row = read_deepstate_mapday(file).iloc[0]
    assert (row["source"], f"{row['date']:%Y-%m-%d}", row["layer"]) == (
        "deepstate", "2024-07-31", "occupied")
    # The same map as the registry's file of that day: the liberated polygons are not
    # counted, the occupied ones unioned and closed as the daily files are.
    assert km2(row["geometry"]) == pytest.approx(km2(geometry), abs=0.01)
    assert km2(row["geometry"]) > 100_000
    assert km2(shapely.symmetric_difference(row["geometry"], geometry)) < 0.01


def test_an_unknown_class_or_a_misdated_feature_stops_the_read(daily, tmp_path):
    _, geometry = daily
    file = tmp_path / "deepstate_mapday_2024-07-31.geojson"
    file.write_bytes(month_end(geometry, "2024-07-31", extra={"layer_type": "occupied_2014"}))
    with pytest.raises(ReadError, match=r"unknown layer_type 'occupied_2014' \(\d+ features\)"
                                        r": frontline cannot tell whether it is occupied "
                                        r"territory; add it to HCSS_MONTH_END"):
        read_deepstate_mapday(file)
    file.write_bytes(month_end(geometry, "2024-07-30"))
    with pytest.raises(ReadError, match=r"features dated \['2024-07-30'\] in a map named "
                                        r"2024-07-31"):
        read_deepstate_mapday(file)
    assert HCSS_MONTH_END.checked and HCSS_MONTH_END.occupied == ("russian_occupied",)


def test_the_same_map_from_a_month_end_and_a_daily_file_counts_once(daily, tmp_path):
    path, geometry = daily
    folder = tmp_path / "data" / "deepstate"
    (folder / "daily").mkdir(parents=True)
    (folder / "month_end").mkdir()
    (folder / "daily" / DAILY).write_bytes(path.read_bytes())
    mapday = folder / "month_end" / "deepstate_mapday_2024-07-31.geojson"
    mapday.write_bytes(month_end(geometry, "2024-07-31"))
    history = load(tmp_path / "data", cache=False)
    catalog = history.catalog
    assert catalog[["date", "file"]].astype(str).values.tolist() == [
        ["2024-07-31", str(folder / "daily" / DAILY)]]
    assert history.area_km2("deepstate", "2024-07-31", "occupied") == pytest.approx(
        km2(geometry), abs=1e-6)
    # At lag 2 the daily file shows 2024-07-30: two days, nothing to resolve.
    lagged = load(tmp_path / "data", cache=False, deepstate_lag=2)
    assert sorted(lagged.catalog["date"].astype(str)) == ["2024-07-30", "2024-07-31"]
    # A different map for the same day: refused as any two files of one day are.
    parts = shapely.get_parts(geometry)
    assert len(parts) > 1
    mapday.write_bytes(month_end(geometry, "2024-07-31", drop=len(parts) - 1))
    with pytest.raises(DuplicateSnapshotError, match=r"deepstate 2024-07-31 occupied: .*"
                                                     r"deepstatemap_data_20240801\.geojson vs "
                                                     r".*deepstate_mapday_2024-07-31\.geojson"):
        load(tmp_path / "data", cache=False)


@pytest.fixture
def server(monkeypatch):
    with LocalServer() as server:
        monkeypatch.setenv("FRONTLINE_GITHUB_API_URL", f"{server.url}/gh-api")
        monkeypatch.setenv("FRONTLINE_GITHUB_RAW_URL", f"{server.url}/gh-raw")
        FakeGitHub(server, {})  # cyterat's mirror: nothing newer
        yield server


def test_fetch_latest_back_fills_the_months_before_the_daily_files(server, daily, tmp_path):
    _, geometry = daily
    small = shapely.MultiPolygon(sorted(shapely.get_parts(geometry), key=lambda g: g.area,
                                        reverse=True)[:5])
    files = {"2022-05-31.geojson": month_end(small, "2022-05-31"),
             "2024-06-30.geojson": month_end(geometry, "2024-06-30"),
             "2024-07-31.geojson": month_end(geometry, "2024-07-31"),
             "notes.md": b"not a map"}
    github = FakeGitHub(server, files, repo=HCSS, folder="public/data/deepstate_geojson")
    table = fetch_latest(["deepstate"], data_dir=tmp_path)
    assert table[["name", "status", "mirror"]].values.tolist() == [
        ["deepstate/month_end/deepstate_mapday_2022-05-31.geojson",
         "added (trust on first use)", HCSS],
        ["deepstate/month_end/deepstate_mapday_2024-06-30.geojson",
         "added (trust on first use)", HCSS],
        ["deepstate/month_end/deepstate_mapday_2024-07-31.geojson",
         "not taken (the registry's deepstate files hold days from 2024-07-08)", HCSS]]
    assert github.downloads() == 2
    assert set(read_record(tmp_path)) == set(table["name"][:2])
    # --since cannot bring in a day the daily files hold.
    assert fetch_latest(["deepstate"], data_dir=tmp_path, since="2024-07-01")[
        "status"].tolist() == ["not taken (the registry's deepstate files hold days from "
                               "2024-07-08)"]
    # The data directory reads them by map day, whatever the lag.
    for lag in (1, 2):
        history = load(tmp_path, sources=["deepstate"], cache=False, deepstate_lag=lag)
        assert history.catalog["date"].astype(str).tolist() == ["2022-05-31", "2024-06-30"]
    assert history.area_km2("deepstate", "2022-05-31", "occupied") == pytest.approx(
        km2(small), abs=0.01)
    # update imports them into the archive, dated by map day too.
    report = import_paths(recorded_paths(tmp_path), root=tmp_path / "archive")
    assert sorted(report["status"]) == ["added", "added"]
    manifest = read_manifest(tmp_path / "archive")
    assert manifest[["source", "date"]].astype(str).values.tolist() == [
        ["deepstate", "2022-05-31"], ["deepstate", "2024-06-30"]]


def test_the_mirror_table_dates_month_end_files_by_map_day():
    hcss = [m for m in MIRRORS if m.folder == "public/data/deepstate_geojson"]
    assert len(hcss) == 1 and hcss[0].back_fill and hcss[0].group == "deepstate"
    assert hcss[0].target.format(date="2022-05-31") == \
        "deepstate/month_end/deepstate_mapday_2022-05-31.geojson"
