"""frontline snapshot deepstate against a fake DeepStateMap API on 127.0.0.1.

The fake models the API as public code uses it (services.DEEPSTATE): ``/history/last``,
``/history/public``, ``/history/{id}/geojson`` (sometimes ``{map: ...}``) and
``/history/{id}/areas``. Its map is a real daily file of ../shared/data cut into
DeepState's classes, so the stored layer can be checked against that file's area.
"""

from __future__ import annotations

import json

import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box, mapping

from frontline.cli.main import cli
from frontline.errors import FrontlineWarning, NotFoundError, ServiceError
from frontline.geodesy import geodesic_area_km2
from frontline.io.readers import read_deepstate
from frontline.sources.archive import load_history, read_manifest
from frontline.sources.deepstate import occupied_layer, snapshot_deepstate

from .._httpserver import LocalServer, Reply

DAILY = "deepstate/daily/deepstatemap_data_20241001.geojson"
# Snapshot ids are unix times: 2024-09-30 19:12:00 UTC and the day before.
ID, EARLIER = 1727723520, 1727637120


def feature(name: str, geometry, fill: str = "#a52714") -> dict:
    return {"type": "Feature", "geometry": mapping(geometry),
            "properties": {"name": name, "fill": fill}}


def split_into_classes(geometry) -> list[dict]:
    """The daily file's polygons as DeepState draws them: Crimea as 'Occupied Crimea', the
    largest polygon cut in two along a meridian ('Occupied' west, 'CADR and CALR' east),
    plus a liberated area, a marker and a line that must not count."""
    polygons = sorted(shapely.get_parts(geometry), key=lambda p: -p.area)
    crimea = next(p for p in polygons if p.contains(shapely.Point(34.1, 44.95)))
    features = []
    for polygon in polygons:
        if polygon is crimea:
            features.append(feature("Окупований Крим /// Occupied Crimea /// x", polygon,
                                    "#880e4f"))
    big = next(p for p in polygons if p is not crimea)
    x0, y0, x1, y1 = big.bounds
    cut = (x0 + x1) / 2
    features.append(feature("Окуповано /// Occupied /// x",
                            shapely.clip_by_rect(big, x0 - 1, y0 - 1, cut, y1 + 1)))
    features.append(feature("ОРДЛО /// CADR and CALR /// x",
                            shapely.clip_by_rect(big, cut, y0 - 1, x1 + 1, y1 + 1)))
    for polygon in polygons:
        if polygon is not crimea and polygon is not big:
            features.append(feature("Окуповано /// Occupied /// x", polygon))
    features.append(feature("Звільнено /// Liberated /// x", box(36.0, 49.5, 36.3, 49.7),
                            "#0f9d58"))
    features.append(feature("Техніка /// Equipment /// x", shapely.Point(37.5, 48.0)))
    features.append(feature("Лінія /// Line /// x",
                            shapely.LineString([(37, 48), (38, 48.5)])))
    return features


class FakeDeepState:
    """The four endpoints, scripted per test."""

    def __init__(self, server, features, *, areas=True, wrap=False):
        self.server = server
        self.collection = {"type": "FeatureCollection", "features": features}
        created = "2024-09-30T19:12:00.000Z"
        server.route("/api/history/last", Reply.json(
            {"id": ID, "description": "...", "createdAt": created, "map": self.collection}))
        server.route("/api/history/public", Reply.json([
            {"id": EARLIER, "createdAt": "2024-09-29T19:12:00.000Z"},
            {"id": ID, "createdAt": created}]))
        body = {"map": self.collection} if wrap else self.collection
        server.route(f"/api/history/{ID}/geojson", Reply.json(body))
        if areas:
            server.route(f"/api/history/{ID}/areas", Reply.json([
                {"type": "occupied_after_24_02_2022", "area": 66000.5},
                {"type": "liberated", "area": 1000.0},
                {"type": "unspecified", "area": 500.0}]))


@pytest.fixture
def server():
    with LocalServer() as server:
        yield server


@pytest.fixture
def daily(data_dir):
    return read_deepstate(data_dir / DAILY)["geometry"].iloc[0]


def take(server, tmp_path, **kwargs):
    kwargs.setdefault("backoff", 0.01)
    return snapshot_deepstate(root=tmp_path / "archive", base=f"{server.url}/api",
                              notice=lambda text: None, **kwargs)


# ------------------------------------------------------------------ the union


def test_classes_are_unioned_exactly_as_the_registry_daily_files(server, tmp_path, daily):
    FakeDeepState(server, split_into_classes(daily))
    report = take(server, tmp_path, snapshot_id=ID)
    expected = float(geodesic_area_km2(daily))
    stored = load_history(tmp_path / "archive").area_km2("deepstate", "2024-09-30",
                                                         "occupied")
    assert stored == pytest.approx(expected, abs=0.01)
    assert report["area_km2"].iloc[0] == pytest.approx(expected, abs=0.01)
    # The file dated 2024-10-01 shows the map of 2024-09-30: the same date here.
    assert report[["date", "status", "vintage"]].values.tolist() == [
        ["2024-09-30", "added", 1]]


def test_provenance_holds_id_created_time_url_sha256_and_deepstate_areas(server, tmp_path,
                                                                        daily):
    FakeDeepState(server, split_into_classes(daily))
    report = take(server, tmp_path, snapshot_id=ID)
    row = read_manifest(tmp_path / "archive").iloc[0]
    provenance = json.loads(row["provenance"])
    assert provenance["snapshot_id"] == ID
    assert provenance["created_at"] == "2024-09-30T19:12:00Z"
    assert provenance["url"] == f"{server.url}/api/history/{ID}/geojson"
    assert provenance["sha256"] == row["sha256"] == report["sha256"].iloc[0]
    # Crimea, the west half of the largest polygon plus every other polygon, its east half.
    n = len(shapely.get_parts(daily))
    assert provenance["classes"] == {"Occupied Crimea": 1, "Occupied": n - 1,
                                     "CADR and CALR": 1}
    assert provenance["other_polygons"] == 1 and provenance["not_polygons"] == 2
    assert provenance["deepstate_areas"][0] == {"type": "occupied_after_24_02_2022",
                                                "area": 66000.5}
    assert report["deepstate_occupied_since_2022_km2"].iloc[0] == 66000.5


def test_latest_snapshot_and_the_same_map_again_adds_nothing(server, tmp_path, daily):
    FakeDeepState(server, split_into_classes(daily))
    first = take(server, tmp_path)
    assert first[["snapshot_id", "date", "status"]].values.tolist() == [
        [ID, "2024-09-30", "added"]]
    again = take(server, tmp_path)
    assert again["status"].tolist() == ["unchanged"]
    assert len(read_manifest(tmp_path / "archive")) == 1


def test_a_wrapped_map_answer_is_read(server, tmp_path, daily):
    FakeDeepState(server, split_into_classes(daily), wrap=True)
    report = take(server, tmp_path, date="2024-09-30")
    assert report["snapshot_id"].tolist() == [ID]
    assert report["area_km2"].iloc[0] == pytest.approx(float(geodesic_area_km2(daily)),
                                                       abs=0.01)


def test_the_areas_are_optional(server, tmp_path):
    FakeDeepState(server, [feature("a /// Occupied /// b", box(37, 48, 37.1, 48.1))],
                  areas=False)
    report = take(server, tmp_path, snapshot_id=ID, retries=0)
    assert report["deepstate_occupied_since_2022_km2"].isna().all()
    provenance = json.loads(read_manifest(tmp_path / "archive")["provenance"].iloc[0])
    assert provenance["deepstate_areas"] is None


# ------------------------------------------------------------------ classes


def test_an_unknown_class_is_reported_not_dropped(server, tmp_path):
    features = [feature("a /// Occupied /// b", box(37, 48, 37.1, 48.1)),
                feature("c /// Contested since 2026 /// d", box(38, 48, 38.1, 48.1),
                        "#bcaaa4")]
    FakeDeepState(server, features)
    with pytest.warns(FrontlineWarning, match="unknown DeepState class.*'Contested since "
                                              "2026' \\(1\\).*kept in the raw answer"):
        report = take(server, tmp_path)
    assert report["unknown_classes"].tolist() == ["Contested since 2026"]
    provenance = json.loads(read_manifest(tmp_path / "archive")["provenance"].iloc[0])
    assert provenance["unknown_classes"] == {"Contested since 2026": {"features": 1,
                                                                      "fill": "#bcaaa4"}}
    assert report["area_km2"].iloc[0] == pytest.approx(
        float(geodesic_area_km2(box(37, 48, 37.1, 48.1))), abs=0.005)  # 2 decimals


def test_an_unknown_class_in_occupied_colours_stops_the_snapshot(server, tmp_path):
    features = [feature("a /// Occupied /// b", box(37, 48, 37.1, 48.1)),
                feature("c /// Occupied territory /// d", box(38, 48, 38.1, 48.1))]
    FakeDeepState(server, features)
    with pytest.raises(ServiceError, match="'Occupied territory'.*occupied colours.*"
                                           "nothing was stored"):
        take(server, tmp_path)
    assert not (tmp_path / "archive" / "manifest.parquet").exists()


def test_occupied_layer_ignores_markers_and_known_classes():
    fc = {"type": "FeatureCollection", "features": [
        feature("a /// Occupied /// b", box(37, 48, 37.2, 48.1)),
        feature("a /// Occupied /// b", box(37.1, 48, 37.3, 48.1)),  # overlaps: counted once
        feature("x /// Liberated /// y", box(30, 50, 31, 51), "#0f9d58"),
        feature("x /// Unit /// y", shapely.Point(37, 48))]}
    geometry, found = occupied_layer(fc)
    assert geometry.area == pytest.approx(0.3 * 0.1, rel=1e-6)
    assert found == {"features": {"Occupied": 2}, "unknown_classes": {}, "other": 1,
                     "not_polygons": 1}


# ------------------------------------------------------------------ failures


def test_a_map_without_occupied_polygons_is_an_error(server, tmp_path):
    FakeDeepState(server, [feature("x /// Liberated /// y", box(30, 50, 31, 51))])
    with pytest.raises(ServiceError, match="no polygon of the occupied classes.*Nothing "
                                           "was stored"):
        take(server, tmp_path)


@pytest.mark.parametrize("reply, message", [
    (Reply.html("<html><title>Cloudflare: checking your browser</title></html>", 403),
     "HTTP 403"),
    (Reply.html("<html><head><title>Maintenance</title></head></html>"),
     "HTML page \\('Maintenance'\\) instead of JSON"),
    (Reply(200, b"", {"Content-Type": "application/json"}), "empty answer"),
    (Reply(200, b"{not json", {"Content-Type": "application/json"}), "not JSON"),
    (Reply.json({"error": "nope"}), "holds no map"),
], ids=["403-html", "html-200", "empty", "not-json", "no-map"])
def test_bad_answers_are_one_error_and_store_nothing(server, tmp_path, reply, message):
    server.route("/api/history/last", reply)
    with pytest.raises(ServiceError, match=message):
        take(server, tmp_path, retries=0)
    assert not (tmp_path / "archive").exists() or not any((tmp_path / "archive").iterdir())


def test_429_and_503_with_retry_after_then_the_map(server, tmp_path):
    fake = FakeDeepState(server, [feature("a /// Occupied /// b", box(37, 48, 37.1, 48.1))])
    server.route("/api/history/last", Reply(429, b"", {"Retry-After": "0"}),
                 Reply(503, b"busy", {"Retry-After": "0"}),
                 Reply.json({"id": ID, "createdAt": "2024-09-30T19:12:00Z",
                             "map": fake.collection}))
    report = take(server, tmp_path)
    assert report["status"].tolist() == ["added"]
    assert [p for p, _ in server.requests].count("/api/history/last") == 3


def test_a_date_without_snapshot_names_the_nearest(server, tmp_path):
    FakeDeepState(server, [feature("a /// Occupied /// b", box(37, 48, 37.1, 48.1))])
    with pytest.raises(NotFoundError, match="no snapshot created on 2024-10-05.*Nearest: "
                                            "2024-09-30 19:12 before, none after"):
        take(server, tmp_path, date="2024-10-05")
    with pytest.raises(NotFoundError, match="no snapshot with id 42"):
        take(server, tmp_path, snapshot_id=42)


# ------------------------------------------------------------------ CLI


def test_cli_shows_the_licence_and_uses_the_environment(server, tmp_path, monkeypatch,
                                                         daily):
    FakeDeepState(server, split_into_classes(daily))
    monkeypatch.setenv("FRONTLINE_DEEPSTATE_URL", f"{server.url}/api")
    result = CliRunner().invoke(cli, ["-q", "snapshot", "deepstate", "--id", str(ID),
                                      "--archive", str(tmp_path / "a"), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "commercial use needs" in result.stderr and "redistribut" in result.stderr
    assert result.stdout.splitlines()[1].startswith(f"deepstate,2024-09-30,occupied,{ID},")
    stderr_before_download = result.stderr.index("DeepStateMap data")
    assert stderr_before_download == 0


def test_cli_date_and_id_together_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["snapshot", "deepstate", "--id", "1", "--date",
                                      "2024-09-30", "--archive", str(tmp_path / "a")])
    assert result.exit_code != 0
    assert "--date or --id, not both" in result.output and "Traceback" not in result.output
