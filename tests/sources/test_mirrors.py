"""frontline fetch --latest and frontline update against fakes on 127.0.0.1.

A fake GitHub (git-trees listing + raw files) serves the DeepState mirror with real daily
files of ../shared/data under names newer than the registry; fake ArcGIS and DeepState
services stand in for the live sources, so `update` runs end to end offline.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from click.testing import CliRunner
from shapely.geometry import box

from frontline.cli.main import cli
from frontline.errors import FetchError, InvalidArgumentError
from frontline.geodesy import geodesic_area_km2
from frontline.io.readers import read_isw_zip
from frontline.sources.archive import import_paths, load_history, read_manifest
from frontline.sources.mirrors import (
    RECORD,
    fetch_latest,
    git_blob_sha,
    read_record,
    recorded_paths,
)
from frontline.sources.services import ISW_LIVE

from .._httpserver import LocalServer, Reply
from .test_arcgis import FakeLayer, squares
from .test_deepstate import FakeDeepState, feature

REPO = "cyterat/deepstate-map-data"
WARMAPS = "amcaw/WarMaps"
PINNED = "deepstatemap_data_20260822.geojson"  # the registry's last DeepState file


class FakeGitHub:
    """``/gh-api/repos/<repo>/git/trees/HEAD`` and ``/gh-raw/<repo>/HEAD/<folder>/<name>``."""

    def __init__(self, server, files: dict, *, repo=REPO, folder="data"):
        self.server, self.repo, self.folder = server, repo, folder
        self.set(files)

    def set(self, files: dict):
        self.files = dict(files)
        tree = [{"path": f"{self.folder}/{name}", "type": "blob", "sha": git_blob_sha(body),
                 "size": len(body)} for name, body in self.files.items()]
        tree += [{"path": self.folder, "type": "tree", "sha": "0" * 40},
                 {"path": "README.md", "type": "blob", "sha": git_blob_sha(b"x"), "size": 1}]
        self.server.route(f"/gh-api/repos/{self.repo}/git/trees/HEAD",
                          Reply.json({"sha": "f" * 40, "tree": tree, "truncated": False}))
        for name, body in self.files.items():
            self.server.route(f"/gh-raw/{self.repo}/HEAD/{self.folder}/{name}",
                              Reply(200, body))

    def downloads(self) -> int:
        return sum(1 for path, _ in self.server.requests
                   if path.startswith(f"/gh-raw/{self.repo}/"))


@pytest.fixture
def server(monkeypatch):
    with LocalServer() as server:
        monkeypatch.setenv("FRONTLINE_GITHUB_API_URL", f"{server.url}/gh-api")
        monkeypatch.setenv("FRONTLINE_GITHUB_RAW_URL", f"{server.url}/gh-raw")
        FakeGitHub(server, {}, repo=HCSS, folder="public/data/deepstate_geojson")  # empty
        FakeGitHub(server, {}, repo=WARMAPS, folder="data/ukraine/zips")  # empty
        yield server


@pytest.fixture
def real(data_dir):
    """Bytes of three real daily files."""
    folder = data_dir / "deepstate" / "daily"
    return {day: (folder / f"deepstatemap_data_{day}.geojson").read_bytes()
            for day in ("20260820", "20260821", "20260822")}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_newer_files_are_fetched_with_trust_on_first_use(server, real, tmp_path):
    github = FakeGitHub(server, {
        "deepstatemap_data_20260801.geojson": real["20260820"],  # older than the registry
        PINNED: b"a rewritten pinned file",                          # pinned: never touched
        "deepstatemap_data_20261130.geojson": real["20260821"],
        "deepstatemap_data_20261201.geojson": real["20260822"],
        "notes.txt": b"not a data file"})
    table = fetch_latest(["deepstate"], data_dir=tmp_path)
    assert table[["name", "status"]].values.tolist() == [
        ["deepstate/daily/deepstatemap_data_20261130.geojson", "added (trust on first use)"],
        ["deepstate/daily/deepstatemap_data_20261201.geojson", "added (trust on first use)"]]
    assert (tmp_path / table["name"][1]).read_bytes() == real["20260822"]
    record = read_record(tmp_path)
    assert record[table["name"][1]]["sha256"] == sha256(real["20260822"])
    assert github.downloads() == 2
    # Again: nothing downloaded, everything present.
    again = fetch_latest(["deepstate"], data_dir=tmp_path)
    assert set(again["status"]) == {"present"} and github.downloads() == 2


def test_since_reaches_back_but_never_overwrites_a_pinned_file(server, real, tmp_path):
    FakeGitHub(server, {PINNED: b"a rewritten pinned file",
                        "deepstatemap_data_20260901.geojson": real["20260821"]})
    (tmp_path / "deepstate" / "daily").mkdir(parents=True)
    pinned = tmp_path / "deepstate" / "daily" / PINNED
    pinned.write_bytes(real["20260822"])
    table = fetch_latest(["deepstate"], data_dir=tmp_path, since="2026-08-22")
    assert table["status"].tolist() == ["pinned (registry)", "added (trust on first use)"]
    assert pinned.read_bytes() == real["20260822"]


def test_a_file_that_changes_upstream_becomes_a_new_vintage(server, real, tmp_path):
    name = "deepstatemap_data_20261201.geojson"
    github = FakeGitHub(server, {name: real["20260821"]})
    fetch_latest(["deepstate"], data_dir=tmp_path)
    github.set({name: real["20260822"]})  # the mirror rewrote the file
    table = fetch_latest(["deepstate"], data_dir=tmp_path)
    assert table["status"].tolist() == ["new vintage (changed upstream)"]
    first = tmp_path / "deepstate" / "daily" / name
    assert first.read_bytes() == real["20260821"]  # never overwritten
    vintage = tmp_path / table["path"][0]
    assert vintage.read_bytes() == real["20260822"]
    assert vintage.relative_to(tmp_path).parts[0] == "vintages"
    held = read_record(tmp_path)[f"deepstate/daily/{name}"]
    assert [v["sha256"] for v in [held, *held["vintages"]]] == [
        sha256(real["20260821"]), sha256(real["20260822"])]
    assert fetch_latest(["deepstate"], data_dir=tmp_path)["status"].tolist() == ["present"]


def test_a_download_that_does_not_match_the_listing_writes_nothing(server, real, tmp_path):
    name = "deepstatemap_data_20261201.geojson"
    FakeGitHub(server, {name: real["20260821"]})
    server.route(f"/gh-raw/{REPO}/HEAD/data/{name}", Reply(200, b"something else"))
    with pytest.raises(FetchError, match="does not match the listing.*nothing was written"):
        fetch_latest(["deepstate"], data_dir=tmp_path)
    assert not (tmp_path / "deepstate").exists() and read_record(tmp_path) == {}


HCSS = "hcss-utils/war-datasets-dashboard"
AREAS = "isw/area_tables/hcss_daily_areas.json"


def test_a_rolling_file_is_kept_as_vintages_beside_the_pinned_copy(server, data_dir,
                                                                    tmp_path):
    pinned = (data_dir / AREAS).read_bytes()
    (tmp_path / AREAS).parent.mkdir(parents=True)
    (tmp_path / AREAS).write_bytes(pinned)
    github = FakeGitHub(server, {"daily_areas.json": pinned}, repo=HCSS,
                        folder="public/data")
    shown = []
    table = fetch_latest(["isw-areas"], data_dir=tmp_path, notice=shown.append)
    assert table[["name", "status"]].values.tolist() == [[AREAS, "present (pinned)"]]
    assert github.downloads() == 0  # the blob id of the pinned copy matches
    rows = json.loads(pinned)
    rows.append({"date": "2026-03-01", "layerType": "russian_advances", "areaKm2": 1.5})
    newer = json.dumps(rows).encode()
    github.set({"daily_areas.json": newer})
    table = fetch_latest(["isw-areas"], data_dir=tmp_path, notice=shown.append)
    assert table["status"].tolist() == ["new vintage (changed upstream)"]
    assert (tmp_path / AREAS).read_bytes() == pinned  # the pinned copy is never touched
    vintage = tmp_path / table["path"][0]
    assert vintage.read_bytes() == newer and "vintages" in vintage.parts
    assert len(shown) == 2 and "ISW and AEI's Critical Threats Project" in shown[0]
    assert fetch_latest(["isw-areas"], data_dir=tmp_path,
                        notice=shown.append)["status"].tolist() == ["present"]


def test_an_unknown_group_is_refused(tmp_path):
    with pytest.raises(InvalidArgumentError, match="No public mirror for group.*isw-weekly"):
        fetch_latest(["isw-weekly"], data_dir=tmp_path)


def test_cli_fetch_latest_says_trust_on_first_use(server, real, tmp_path):
    FakeGitHub(server, {"deepstatemap_data_20261201.geojson": real["20260822"]})
    result = CliRunner().invoke(cli, ["-q", "--data-dir", str(tmp_path), "fetch", "--latest",
                                      "deepstate", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "name,group,date,status,sha256,mirror"
    assert "added (trust on first use)" in result.stdout
    assert "trust on first use" in result.stderr and RECORD in result.stderr


# ------------------------------------------------------------------ update


@pytest.fixture
def live(server, monkeypatch, real, data_dir):
    """Every live source faked: ISW's layers, DeepState's API, the DeepState mirror."""
    for i, endpoint in enumerate(ISW_LIVE):
        FakeLayer(server, endpoint, squares(2, x0=30.0 + i))
    FakeDeepState(server, [feature("a /// Occupied /// b", box(37, 48, 37.1, 48.1))])
    github = FakeGitHub(server, {"deepstatemap_data_20261201.geojson": real["20260822"]})
    FakeGitHub(server, {"daily_areas.json": (data_dir / AREAS).read_bytes()}, repo=HCSS,
               folder="public/data")
    zip_ = data_dir / "isw/original_shapefiles_2026/2026-04-27/russian_advances.zip"
    FakeGitHub(server, {"russian_advances.zip": zip_.read_bytes()}, repo="amcaw/IranMaps",
               folder="data/ukraine/zips")
    monkeypatch.setenv("FRONTLINE_ARCGIS_URL", f"{server.url}/arcgis/rest/services")
    monkeypatch.setenv("FRONTLINE_DEEPSTATE_URL", f"{server.url}/api")
    return github


def run_update(tmp_path):
    return CliRunner().invoke(cli, ["-q", "--data-dir", str(tmp_path / "data"), "update",
                                    "--archive", str(tmp_path / "archive")])


def test_update_twice_the_second_run_adds_nothing_and_says_so(live, tmp_path, real):
    first = run_update(tmp_path)
    assert first.exit_code == 0, first.output
    n = len(ISW_LIVE)
    assert first.stdout.strip() == (
        f"update: {n + 3} added to the archive (isw: {n} layer(s) added, 0 unchanged; "
        "deepstate: map of 2024-09-30 added; mirrors: 2 new file(s), 2 layer(s) imported)")
    assert "DeepStateMap data" in first.stderr and "ISW and AEI" in first.stderr
    manifest = read_manifest(tmp_path / "archive")
    assert sorted(manifest["source"].value_counts().items()) == [("deepstate", 2),
                                                                 ("isw", n + 1)]
    # amcaw's rolling zip went in with the date and layer of the .shp inside it.
    zipped = manifest[manifest["file"].str.endswith("russian_advances.zip")]
    assert zipped[["date", "layer"]].astype(str).values.tolist() == [["2026-04-27",
                                                                     "advances"]]
    assert first.stderr.count("ISW/CTP data:") == 1
    second = run_update(tmp_path)
    assert second.exit_code == 0, second.output
    assert second.stdout.strip() == (
        f"update: nothing new (isw: 0 layer(s) added, {n} unchanged; deepstate: map of "
        "2024-09-30 unchanged; mirrors: 0 new file(s), 0 layer(s) imported)")
    assert len(read_manifest(tmp_path / "archive")) == len(manifest)
    # The mirror rewrites its file: the archive gets a new vintage of that day.
    live.set({"deepstatemap_data_20261201.geojson": real["20260821"]})
    third = run_update(tmp_path)
    assert "mirrors: 1 new file(s), 1 layer(s) imported" in third.stdout
    manifest = read_manifest(tmp_path / "archive")
    mirrored = manifest[manifest["date"] == "2026-11-30"]
    assert mirrored["vintage"].tolist() == [1, 2]
    history = load_history(tmp_path / "archive", sources=["deepstate"])
    assert history.area_km2("deepstate", "2026-11-30", "occupied") == pytest.approx(
        load_history_area(real["20260821"], tmp_path), abs=1e-6)


def load_history_area(body: bytes, tmp_path) -> float:
    from frontline.geodesy import geodesic_area_km2
    from frontline.io.readers import read_deepstate

    path = tmp_path / "check" / "deepstatemap_data_20261201.geojson"
    path.parent.mkdir()
    path.write_bytes(body)
    return float(geodesic_area_km2(read_deepstate(path)["geometry"].iloc[0]))


def test_update_exits_non_zero_when_a_source_fails_and_takes_the_others(live, server,
                                                                         tmp_path):
    server.route("/api/history/last", Reply(503, b"busy", {"Retry-After": "0"}))
    result = CliRunner().invoke(cli, ["-q", "--data-dir", str(tmp_path / "data"), "update",
                                      "--archive", str(tmp_path / "archive")])
    assert result.exit_code == 1
    assert "deepstate: failed" in result.stdout and "deepstate FAILED" in result.stdout
    assert "Error: deepstate:" in result.stderr and "HTTP 503" in result.stderr
    assert "gave up after" in result.stderr
    sources = set(read_manifest(tmp_path / "archive")["source"])
    assert sources == {"isw", "deepstate"}  # ISW and the mirror file still went in
    assert json.loads((tmp_path / "data" / RECORD).read_text())


def test_warmaps_rolling_zips_are_kept_as_vintages_and_imported_by_their_shp_date(
        server, data_dir, tmp_path):
    # amcaw/WarMaps keeps ISW's zips under one name each, rewritten daily, as IranMaps.
    folder = data_dir / "isw/original_shapefiles_2026"
    first = (folder / "2026-04-26/russian_infiltration.zip").read_bytes()
    github = FakeGitHub(server, {"russian_infiltration.zip": first}, repo=WARMAPS,
                        folder="data/ukraine/zips")
    FakeGitHub(server, {}, repo="amcaw/IranMaps", folder="data/ukraine/zips")  # nothing
    shown = []
    table = fetch_latest(["isw-history"], data_dir=tmp_path, notice=shown.append)
    name = "isw/mirrors/amcaw-warmaps/russian_infiltration.zip"
    assert table[["name", "status", "mirror"]].values.tolist() == [
        [name, "added (trust on first use)", WARMAPS]]
    assert "ISW and AEI's Critical Threats Project" in shown[0]
    github.set({"russian_infiltration.zip": (folder / "2026-04-27/russian_infiltration.zip")
                .read_bytes()})
    assert fetch_latest(["isw-history"], data_dir=tmp_path, notice=shown.append)[
        "status"].tolist() == ["new vintage (changed upstream)"]
    assert not (tmp_path / name).exists()  # rolling files live under vintages/ only
    report = import_paths(recorded_paths(tmp_path), root=tmp_path / "archive")
    assert sorted(zip(report["date"].astype(str), report["layer"], report["status"],
                      strict=True)) == [
        ("2026-04-26", "infiltration", "added"), ("2026-04-27", "infiltration", "added")]
    history = load_history(tmp_path / "archive")
    expected = read_isw_zip(folder / "2026-04-27/russian_infiltration.zip")["geometry"].iloc[0]
    assert history.area_km2("isw", "2026-04-27", "infiltration") == pytest.approx(
        float(geodesic_area_km2(expected)), abs=0.01)
    assert history.area_km2("isw", "2026-04-27", "infiltration") == pytest.approx(269.79,
                                                                                  abs=0.01)
