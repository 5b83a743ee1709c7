"""frontline snapshot isw against a fake ArcGIS FeatureServer on 127.0.0.1."""

from __future__ import annotations

import gzip
import hashlib
import json

import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box, mapping

from frontline.cli.main import cli
from frontline.errors import ServiceError
from frontline.geodesy import geodesic_area_km2
from frontline.layers import canonical_layer
from frontline.sources.arcgis import ENDPOINTS, Endpoint, snapshot_isw
from frontline.sources.archive import load_history, read_manifest

from .._httpserver import LocalServer, Reply

CONTROL = Endpoint("control", "VIEW_RussiaCoTinUkraine_V3", 49, "OBJECTID")
ADVANCES = Endpoint("advances", "AssessedRussianAdvanceInUkraine_V2_view", 0, "OBJECTID")


def squares(n: int, *, x0: float = 37.0, size: float = 0.1) -> list:
    """``n`` disjoint squares in the Donbas, as shapely boxes."""
    return [box(x0 + 0.2 * i, 48.0, x0 + 0.2 * i + size, 48.0 + size) for i in range(n)]


class FakeLayer:
    """One FeatureServer layer: its description, its count and paged GeoJSON queries."""

    def __init__(self, server, endpoint, geometries, *, oid="OBJECTID", max_records=2,
                 count=None, geojson_key="top"):
        self.geometries = geometries
        self.oid = oid
        self.max_records = max_records
        self.count = len(geometries) if count is None else count
        self.geojson_key = geojson_key
        self.path = (f"/arcgis/rest/services/{endpoint.service}/FeatureServer/"
                     f"{endpoint.layer_id}")
        server.route(self.path, Reply.json({
            "currentVersion": 11.3, "name": endpoint.service, "objectIdField": oid,
            "maxRecordCount": max_records, "editingInfo": {"lastEditDate": 1761868800000},
        }))
        server.route(self.path + "/query", self.query)

    def features(self):
        return [{"type": "Feature", "id": i + 1, "geometry": mapping(g),
                 "properties": {self.oid: i + 1, "Name": f"area {i + 1}"}}
                for i, g in enumerate(self.geometries)]

    def query(self, q):
        if q.get("returnCountOnly") == "true":
            return Reply.json({"count": self.count})
        assert q["f"] == "geojson" and q["outSR"] == "4326"
        assert q["orderByFields"] == f"{self.oid} ASC"
        offset = int(q["resultOffset"])
        size = min(int(q["resultRecordCount"]), self.max_records)
        page = self.features()[offset:offset + size]
        answer = {"type": "FeatureCollection", "features": page}
        if offset + size < len(self.geometries):
            if self.geojson_key == "top":
                answer["exceededTransferLimit"] = True
            else:
                answer["properties"] = {"exceededTransferLimit": True}
        return Reply.json(answer)


@pytest.fixture
def server():
    with LocalServer() as server:
        yield server


def take(server, tmp_path, endpoints=(CONTROL,), **kwargs):
    kwargs.setdefault("backoff", 0.01)
    return snapshot_isw(root=tmp_path / "archive", endpoints=endpoints,
                        base=f"{server.url}/arcgis/rest/services", progress=False, **kwargs)


def expected_km2(geometries) -> float:
    return float(sum(geodesic_area_km2(g) for g in geometries))


# ------------------------------------------------------------------ endpoint table


def test_every_endpoint_name_is_known_to_the_layer_vocabulary():
    # Older copies name layers by service (Nikkei's "layer" property): the vocabulary
    # must map every service of the table to the layer the table says.
    for endpoint in ENDPOINTS:
        assert canonical_layer(endpoint.service) == endpoint.layer, endpoint.service
    assert len({e.layer for e in ENDPOINTS}) == len(ENDPOINTS)
    assert {"control", "advances", "claimed", "counteroffensives", "infiltration"} <= {
        e.layer for e in ENDPOINTS}
    assert any(e.layer.startswith("kursk") for e in ENDPOINTS)


# ------------------------------------------------------------------ happy paths


@pytest.mark.parametrize("geojson_key", ["top", "properties"])
def test_paged_layer_whose_last_page_is_short_is_read_whole(server, tmp_path, geojson_key):
    geometries = squares(5)
    FakeLayer(server, CONTROL, geometries, max_records=2, geojson_key=geojson_key)
    report = take(server, tmp_path, date="2026-11-25")
    assert report[["layer", "features", "pages", "status", "vintage"]].values.tolist() == [
        ["control", 5, 3, "added", 1]]
    offsets = [q.get("resultOffset") for path, q in server.requests
               if path.endswith("/query") and "resultOffset" in q]
    assert offsets == ["0", "2", "4"]
    history = load_history(tmp_path / "archive")
    area = history.area_km2("isw", "2026-11-25", "control")
    assert area == pytest.approx(expected_km2(geometries), rel=1e-9)


def test_provenance_and_raw_response_are_stored(server, tmp_path):
    FakeLayer(server, CONTROL, squares(3), max_records=2)
    report = take(server, tmp_path)
    row = read_manifest(tmp_path / "archive").iloc[0]
    provenance = json.loads(row["provenance"])
    assert provenance["service_url"] == (f"{server.url}/arcgis/rest/services/"
                                         "VIEW_RussiaCoTinUkraine_V3/FeatureServer/49")
    assert provenance["service_version"] == "V3"
    assert provenance["server_version"] == 11.3
    assert (provenance["features"], provenance["service_count"], provenance["pages"]) == (
        3, 3, 2)
    assert provenance["last_edit"].startswith("2025-10-31")
    assert provenance["retrieved_at"][:10] == str(row["date"].date())
    raw = gzip.decompress(
        (tmp_path / "archive" / "raw" / f"{row['sha256']}.geojson.gz").read_bytes())
    assert hashlib.sha256(raw).hexdigest() == row["sha256"] == report["sha256"][0]
    assert len(json.loads(raw)["features"]) == 3


def test_object_id_field_comes_from_the_layer_description(server, tmp_path):
    FakeLayer(server, CONTROL, squares(3), oid="FID")  # the table says OBJECTID
    report = take(server, tmp_path)
    assert report["features"].tolist() == [3]
    orders = {q["orderByFields"] for _, q in server.requests if "orderByFields" in q}
    assert orders == {"FID ASC"}


def test_429_then_success(server, tmp_path):
    layer = FakeLayer(server, CONTROL, squares(2), max_records=5)
    server.route(layer.path, Reply(429, b"", {"Retry-After": "0"}),
                 Reply.json({"objectIdField": "OBJECTID", "maxRecordCount": 5}))
    report = take(server, tmp_path)
    assert report["status"].tolist() == ["added"]
    assert [p for p, _ in server.requests].count(layer.path) == 2


def test_same_features_again_add_nothing_changed_ones_add_a_vintage(server, tmp_path):
    FakeLayer(server, CONTROL, squares(3))
    take(server, tmp_path, date="2026-11-25")
    assert take(server, tmp_path, date="2026-11-25")["status"].tolist() == ["unchanged"]
    FakeLayer(server, CONTROL, squares(4))  # ISW redrew the layer the same day
    again = take(server, tmp_path, date="2026-11-25")
    assert again[["status", "vintage"]].values.tolist() == [["new vintage", 2]]
    assert read_manifest(tmp_path / "archive")["vintage"].tolist() == [1, 2]


# ------------------------------------------------------------------ failures


def test_html_error_page_instead_of_json(server, tmp_path):
    FakeLayer(server, CONTROL, squares(2))
    server.route(f"/arcgis/rest/services/{CONTROL.service}/FeatureServer/49/query",
                 Reply.html("<html><head><title>Service Unavailable</title></head></html>"))
    with pytest.raises(ServiceError, match="HTML page .*'Service Unavailable'.* instead of"):
        take(server, tmp_path)
    assert not (tmp_path / "archive" / "manifest.parquet").exists()


def test_zero_features_is_an_error_and_stores_nothing(server, tmp_path):
    FakeLayer(server, CONTROL, squares(2))
    FakeLayer(server, ADVANCES, [])
    with pytest.raises(ServiceError, match="returned no features.*Nothing was stored"):
        take(server, tmp_path, endpoints=(CONTROL, ADVANCES))
    assert not (tmp_path / "archive" / "manifest.parquet").exists()


def test_zero_features_can_be_skipped(server, tmp_path):
    FakeLayer(server, CONTROL, squares(2))
    FakeLayer(server, ADVANCES, [])
    report = take(server, tmp_path, endpoints=(CONTROL, ADVANCES), on_empty="skip")
    assert report["status"].tolist() == ["added", "empty, skipped"]
    assert read_manifest(tmp_path / "archive")["layer"].tolist() == ["control"]


def test_arcgis_error_object_with_http_200(server, tmp_path):
    FakeLayer(server, CONTROL, squares(2))
    server.route(f"/arcgis/rest/services/{CONTROL.service}/FeatureServer/49",
                 Reply.json({"error": {"code": 498, "message": "Invalid token."}}))
    with pytest.raises(ServiceError, match="ArcGIS error 498: Invalid token"):
        take(server, tmp_path)


def test_features_short_of_the_service_count(server, tmp_path):
    FakeLayer(server, CONTROL, squares(5), count=6)
    with pytest.raises(ServiceError, match="got 5 features in 3 page.*counts 6"):
        take(server, tmp_path)
    assert not list(tmp_path.rglob("*.parquet"))


def test_persistent_server_error_after_retries(server, tmp_path):
    server.route(f"/arcgis/rest/services/{CONTROL.service}/FeatureServer/49",
                 Reply(503, b"busy"))
    with pytest.raises(ServiceError, match="HTTP 503"):
        take(server, tmp_path, retries=2)
    assert len(server.requests) == 3


# ------------------------------------------------------------------ CLI


def test_cli_snapshot_uses_the_base_url_from_the_environment(server, tmp_path, monkeypatch):
    FakeLayer(server, ENDPOINTS[0], squares(3))
    monkeypatch.setenv("FRONTLINE_ARCGIS_URL", f"{server.url}/arcgis/rest/services")
    result = CliRunner().invoke(cli, ["-q", "snapshot", "isw", "--layer", "control",
                                      "--archive", str(tmp_path / "a"), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "ISW and AEI's Critical Threats Project" in result.stderr
    assert result.stdout.splitlines()[1].startswith("control,VIEW_RussiaCoTinUkraine_V3,3,2,")
    merged = shapely.union_all(squares(3))
    history = load_history(tmp_path / "a")
    date = history.dates("isw")[0]
    assert history.area_km2("isw", date, "control") == pytest.approx(
        float(geodesic_area_km2(merged)), rel=1e-9)


def test_cli_snapshot_error_is_one_line(server, tmp_path, monkeypatch):
    monkeypatch.setenv("FRONTLINE_ARCGIS_URL", f"{server.url}/arcgis/rest/services")
    result = CliRunner().invoke(cli, ["-q", "snapshot", "isw", "--layer", "control",
                                      "--archive", str(tmp_path / "a")])
    assert result.exit_code == 1
    assert "HTTP 404" in result.output and "Traceback" not in result.output


def test_esri_json_instead_of_geojson(server, tmp_path):
    FakeLayer(server, CONTROL, squares(2))
    esri = {"features": [{"attributes": {"OBJECTID": 1},
                          "geometry": {"rings": [[[37, 48], [37.1, 48], [37, 48.1], [37, 48]]]}}]}
    query = f"/arcgis/rest/services/{CONTROL.service}/FeatureServer/49/query"
    server.route(query, lambda q: Reply.json({"count": 1} if "returnCountOnly" in q else esri))
    with pytest.raises(ServiceError, match="not a GeoJSON FeatureCollection"):
        take(server, tmp_path)


def test_service_that_ignores_the_offset_does_not_loop_forever(server, tmp_path):
    layer = FakeLayer(server, CONTROL, squares(4), max_records=2)
    first_page = layer.query({"f": "geojson", "outSR": "4326", "orderByFields": "OBJECTID ASC",
                              "resultOffset": "0", "resultRecordCount": "2"})
    server.route(layer.path + "/query",
                 lambda q: (Reply.json({"count": 4}) if "returnCountOnly" in q else first_page))
    with pytest.raises(ServiceError, match="page 2 repeats features already read"):
        take(server, tmp_path)
