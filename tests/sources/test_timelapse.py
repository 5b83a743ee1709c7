"""frontline snapshot isw --date D against fake ISW time-lapse services on 127.0.0.1.

The fakes model services.ISW_TIMELAPSE: a layer description, the distinct dates of its
date field (epoch milliseconds, or YYYY-MM-DD for a date-only field), counts and paged
GeoJSON for a ``where`` on one day.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re

import pytest
from click.testing import CliRunner
from shapely.geometry import box, mapping, shape

from frontline.cli.main import cli
from frontline.errors import NotFoundError, ServiceError
from frontline.geodesy import geodesic_area_km2
from frontline.io.readers import read_isw_geojson
from frontline.sources.arcgis import snapshot_isw_day, timelapse_dates
from frontline.sources.archive import load_history, read_manifest
from frontline.sources.services import ISW_TIMELAPSE, Timelapse, TimelapseService

from .._httpserver import LocalServer, Reply

DAILY = Timelapse("UkrainianCoTTimelapse_FEB_2022_to_DEC_2024_view", 0, "2022-02-24",
                  "2024-12-31")
MAY = Timelapse("May_CoT_view", 0, "2026-05-01", "2026-05-31", "pub_date", True)
TABLE = TimelapseService("2026-12-01", "test", (DAILY, MAY))


def epoch_ms(day: str) -> int:
    stamp = dt.datetime.fromisoformat(day).replace(hour=12, tzinfo=dt.timezone.utc)
    return int(stamp.timestamp() * 1000)


class FakeTimelapse:
    """One time-lapse layer: {day: [geometries]}."""

    def __init__(self, server, layer: Timelapse, days: dict, *, max_records=2,
                 listed=None):
        self.layer, self.days, self.max_records = layer, days, max_records
        self.listed = sorted(days) if listed is None else listed
        self.path = f"/arcgis/rest/services/{layer.service}/FeatureServer/{layer.layer_id}"
        self.wheres = []
        server.route(self.path, Reply.json({"objectIdField": "OBJECTID",
                                            "maxRecordCount": max_records,
                                            "currentVersion": 11.3}))
        server.route(self.path + "/query", self.query)

    def value(self, day):
        return day if self.layer.date_only else epoch_ms(day)

    def day_of(self, where: str) -> str:
        kind = "DATE" if self.layer.date_only else "TIMESTAMP"
        match = re.fullmatch(rf"{self.layer.date_field} >= {kind} '(\d{{4}}-\d\d-\d\d)"
                             rf"(?: 00:00:00)?' AND {self.layer.date_field} < {kind} "
                             rf"'(\d{{4}}-\d\d-\d\d)(?: 00:00:00)?'", where)
        assert match, where
        return match.group(1)

    def query(self, q):
        if q.get("returnDistinctValues") == "true":
            assert q["outFields"] == self.layer.date_field
            return Reply.json({"features": [{"attributes": {self.layer.date_field:
                                                            self.value(d)}}
                                            for d in self.listed]})
        self.wheres.append(q["where"])
        day = self.day_of(q["where"])
        geometries = self.days.get(day, [])
        if q.get("returnCountOnly") == "true":
            return Reply.json({"count": len(geometries)})
        offset = int(q["resultOffset"])
        size = min(int(q["resultRecordCount"]), self.max_records)
        page = [{"type": "Feature", "id": i + 1, "geometry": mapping(g),
                 "properties": {"OBJECTID": i + 1, self.layer.date_field: self.value(day)}}
                for i, g in enumerate(geometries)][offset:offset + size]
        answer = {"type": "FeatureCollection", "features": page}
        if offset + size < len(geometries):
            answer["exceededTransferLimit"] = True
        return Reply.json(answer)


@pytest.fixture
def server():
    with LocalServer() as server:
        yield server


def squares(n, y=48.0):
    return [box(37 + 0.2 * i, y, 37.1 + 0.2 * i, y + 0.1) for i in range(n)]


def take(server, tmp_path, day, **kwargs):
    kwargs.setdefault("backoff", 0.01)
    return snapshot_isw_day(day, root=tmp_path / "archive", timelapse=TABLE,
                            base=f"{server.url}/arcgis/rest/services", progress=False,
                            **kwargs)


def test_a_past_day_is_paged_stored_and_says_where_it_came_from(server, tmp_path):
    fake = FakeTimelapse(server, DAILY, {"2023-05-31": squares(5), "2023-06-01": squares(2)})
    report = take(server, tmp_path, "2023-05-31")
    assert report[["layer", "service", "date", "features", "pages", "status"]].values.tolist() \
        == [["control", DAILY.service, "2023-05-31", 5, 3, "added"]]
    area = load_history(tmp_path / "archive").area_km2("isw", "2023-05-31", "control")
    assert area == pytest.approx(sum(float(geodesic_area_km2(g)) for g in squares(5)),
                                 rel=1e-9)
    provenance = json.loads(read_manifest(tmp_path / "archive")["provenance"].iloc[0])
    assert provenance["service"] == DAILY.service and provenance["service_date"] == \
        "2023-05-31"
    assert provenance["kind"] == "arcgis-timelapse" and provenance["pages"] == 3
    assert fake.wheres[0] == ("datetime >= TIMESTAMP '2023-05-31 00:00:00' AND "
                              "datetime < TIMESTAMP '2023-06-01 00:00:00'")
    assert take(server, tmp_path, "2023-05-31")["status"].tolist() == ["unchanged"]


def test_a_date_only_field_is_queried_with_date_literals(server, tmp_path):
    fake = FakeTimelapse(server, MAY, {"2026-05-15": squares(1)})
    assert timelapse_dates(MAY, base=f"{server.url}/arcgis/rest/services") == ["2026-05-15"]
    report = take(server, tmp_path, "2026-05-15")
    assert report["service"].tolist() == ["May_CoT_view"]
    assert fake.wheres[0] == "pub_date >= DATE '2026-05-15' AND pub_date < DATE '2026-05-16'"


def test_a_day_no_service_holds_names_the_nearest_dates(server, tmp_path):
    FakeTimelapse(server, DAILY, {"2023-05-30": squares(1), "2023-06-02": squares(1)})
    with pytest.raises(NotFoundError, match=r"holds 2023-05-31\. Nearest dates: "
                                            rf"{DAILY.service}: 2023-05-30 before, "
                                            r"2023-06-02 after"):
        take(server, tmp_path, "2023-05-31")
    assert not (tmp_path / "archive" / "manifest.parquet").exists()


def test_a_day_after_every_service_asks_the_last_one(server, tmp_path):
    FakeTimelapse(server, MAY, {"2026-05-30": squares(1)})
    with pytest.raises(NotFoundError, match="May_CoT_view: 2026-05-30 before, none after"):
        take(server, tmp_path, "2026-09-01")


def test_a_listed_day_with_no_features_is_an_error(server, tmp_path):
    FakeTimelapse(server, DAILY, {"2023-05-31": []}, listed=["2023-05-31"])
    with pytest.raises(ServiceError, match="lists 2023-05-31 among its dates but returned "
                                           "no features.*nothing was stored"):
        take(server, tmp_path, "2023-05-31")


def test_429_with_retry_after_then_html_error_page(server, tmp_path):
    fake = FakeTimelapse(server, DAILY, {"2023-05-31": squares(1)})
    server.route(fake.path, Reply(429, b"", {"Retry-After": "0"}),
                 Reply.json({"objectIdField": "OBJECTID", "maxRecordCount": 2}))
    assert take(server, tmp_path, "2023-05-31")["status"].tolist() == ["added"]
    server.route(fake.path + "/query",
                 Reply.html("<html><title>Service Unavailable</title></html>", 200))
    with pytest.raises(ServiceError, match="HTML page .'Service Unavailable'. instead of JSON"):
        take(server, tmp_path, "2023-05-31")


def test_the_shipped_table_covers_the_war_without_overlaps():
    layers = ISW_TIMELAPSE.layers
    assert layers[0].first == "2022-02-24" and layers[0].last == "2024-12-31"
    spans = sorted((t.first, t.last) for t in layers)
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert [t.service for t in layers if t.date_only] == ["May_CoT_view"]


def test_cli_date_uses_the_time_lapse_and_refuses_bad_dates(server, tmp_path, monkeypatch):
    FakeTimelapse(server, ISW_TIMELAPSE.layers[0], {"2024-10-27": squares(3)})
    monkeypatch.setenv("FRONTLINE_ARCGIS_URL", f"{server.url}/arcgis/rest/services")
    result = CliRunner().invoke(cli, ["-q", "snapshot", "isw", "--date", "2024-10-27",
                                      "--archive", str(tmp_path / "a"), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "ISW and AEI's Critical Threats Project" in result.stderr
    assert result.stdout.splitlines()[1].startswith(
        "control,UkrainianCoTTimelapse_FEB_2022_to_DEC_2024_view,3,2,")
    bad = CliRunner().invoke(cli, ["snapshot", "isw", "--date", "2024-13-01"])
    assert bad.exit_code == 2 and "--date" in bad.output and "YYYY-MM-DD" in bad.output


def test_a_real_isw_layer_served_as_a_time_lapse_keeps_its_area(server, tmp_path, data_dir):
    # ISW's control layer of 2023-05-31 (as its ArcGIS service gave it; ../shared/data),
    # served as the time-lapse's features of that day, 2 a page.
    path = data_dir / "isw/nikkei_geojson/2023/2023-05-31.geojson.gz"
    raw = json.loads(gzip.decompress(path.read_bytes()))
    control = [shape(f["geometry"]) for f in raw["features"]
               if f["properties"].get("layer") == "VIEW_RussiaCoTinUkraine_V3"]
    FakeTimelapse(server, DAILY, {"2023-05-31": control}, max_records=2)
    report = take(server, tmp_path, "2023-05-31")
    assert report[["features", "pages"]].values.tolist() == [[len(control), 3]]
    expected = read_isw_geojson(path).set_index("layer").loc["control", "geometry"]
    stored = load_history(tmp_path / "archive").area_km2("isw", "2023-05-31", "control")
    assert stored == pytest.approx(float(geodesic_area_km2(expected)), abs=0.01)
    assert stored > 100_000  # Crimea and the pre-2022 areas are part of ISW's control layer
