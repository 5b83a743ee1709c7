"""frontline snapshot isw --date D against fake ISW time-lapse services on 127.0.0.1.

The fakes model services.ISW_TIMELAPSE: a layer description, the distinct dates of its
date field (epoch milliseconds, or YYYY-MM-DD for a date-only field), counts and paged
GeoJSON for a ``where`` on one day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import re

import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box, mapping, shape

from frontline.cli.main import cli
from frontline.errors import FrontlineWarning, NotFoundError, ServiceError
from frontline.geodesy import geodesic_area_km2
from frontline.io.readers import read_isw_geojson, read_isw_zip
from frontline.layers import LAYERS
from frontline.sources.arcgis import (
    monthly_layer,
    service_layers,
    snapshot_isw_day,
    timelapse_dates,
)
from frontline.sources.archive import load_history, read_manifest
from frontline.sources.services import (
    ISW_TIMELAPSE,
    MONTHLY_LAYER_NAMES,
    Timelapse,
    TimelapseService,
)

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


# ------------------------------------------------------------------ monthly services


APRIL = next(t for t in ISW_TIMELAPSE.layers if t.service == "Ukraine_Timelapse_April_2026_WFL1")
MONTHLY = TimelapseService("2026-12-01", "test", (DAILY, APRIL))


class FakeMonthly:
    """A monthly service: its root listing and one FakeTimelapse per listed layer.

    ``layers`` is ``{id: (name, {day: [geometries]})}``.
    """

    def __init__(self, server, entry: Timelapse, layers: dict, *, max_records=25):
        self.path = f"/arcgis/rest/services/{entry.service}/FeatureServer"
        server.route(self.path, Reply.json({
            "currentVersion": 11.3, "serviceDescription": "",
            "layers": [{"id": i, "name": name, "geometryType": "esriGeometryPolygon"}
                       for i, (name, _) in layers.items()],
            "tables": []}))
        self.layers = {i: FakeTimelapse(server, dataclasses.replace(entry, layer_id=i),
                                        days, max_records=max_records)
                       for i, (_, days) in layers.items()}


def take_monthly(server, tmp_path, day, **kwargs):
    kwargs.setdefault("backoff", 0.01)
    return snapshot_isw_day(day, root=tmp_path / "archive", timelapse=MONTHLY,
                            base=f"{server.url}/arcgis/rest/services", progress=False,
                            **kwargs)


def provenances(tmp_path) -> dict:
    manifest = read_manifest(tmp_path / "archive")
    return {row.layer: json.loads(row.provenance) for row in manifest.itertuples()}


def test_monthly_layer_names_map_to_the_vocabulary_and_nothing_is_guessed():
    assert {layer for _, layer in MONTHLY_LAYER_NAMES.patterns} <= set(LAYERS)
    assert MONTHLY_LAYER_NAMES.checked
    names = {
        "CoT_Merge_APR": "control", "Russian_Control_Merge_Apr": "control",
        "Advances_Merge_APR": "advances", "Claimed_Russian_Territory_Merge_APR": "claimed",
        "Claimed_Ukrainian_Counteroffensives_Merge_APR": "counteroffensives",
        "Infiltration_Merge_APR": "infiltration", "Partisan_Warfare_Merge_APR": "partisan",
        # full ISW spellings go through frontline.layers first
        "AssessedRussianAdvanceInUkraine_Merge_APR": "advances",
        "Kursk Incursion Russian Advances in Russia": "kursk_russian_advances",
        "Russian_controlled_Ukrainian_Territory_before_February_24_2022": "pre2022",
        # no pattern: reported, never read as a layer they resemble
        "Kursk_Advances_Merge_APR": None, "Ukrainian_Advances_Merge_APR": None,
        "Frontline_Merge_APR": None, "Claimed_Merge_APR": None, "occupied": None,
    }
    assert {name: monthly_layer(name) for name in names} == names


def test_a_monthly_service_stores_every_recognised_layer_with_its_provenance(
        server, tmp_path, data_dir):
    # ISW's five layers of 2026-04-27 (its zips in ../shared/data), served as the April
    # 2026 monthly service's *_Merge_APR layers, one feature per polygon, 25 a page.
    folder = data_dir / "isw/original_shapefiles_2026/2026-04-27"
    real = {}
    for path in sorted(folder.glob("*.zip")):
        for row in read_isw_zip(path).itertuples():
            real[row.layer] = row.geometry
    names = {3: ("CoT_Merge_APR", "control"), 7: ("Advances_Merge_APR", "advances"),
             9: ("Claimed_Russian_Territory_Merge_APR", "claimed"),
             12: ("Claimed_Ukrainian_Counteroffensives_Merge_APR", "counteroffensives"),
             15: ("Infiltration_Merge_APR", "infiltration")}
    parts = {layer: list(shapely.get_parts(real[layer])) for _, layer in names.values()}
    FakeMonthly(server, APRIL, {
        i: (name, {"2026-04-26": parts[layer][:3], "2026-04-27": parts[layer]})
        for i, (name, layer) in names.items()})
    report = take_monthly(server, tmp_path, "2026-04-27")
    by_layer = report.set_index("layer")
    assert sorted(by_layer.index) == sorted(layer for _, layer in names.values())
    assert set(report["status"]) == {"added"}
    for i, (name, layer) in names.items():
        n = len(parts[layer])
        assert by_layer.loc[layer, ["features", "pages", "layer_id", "layer_name"]].tolist() \
            == [n, -(-n // 25), i, name]  # ceil(n / 25) pages
    history = load_history(tmp_path / "archive")
    for layer, geometry in real.items():
        assert history.area_km2("isw", "2026-04-27", layer) == pytest.approx(
            float(geodesic_area_km2(geometry)), abs=0.01), layer
    # The real areas: control 112,998.75 km², advances 3,962.26, claimed 1,779.23.
    assert history.area_km2("isw", "2026-04-27", "control") == pytest.approx(112998.75,
                                                                             abs=0.01)
    for i, (name, layer) in names.items():
        provenance = provenances(tmp_path)[layer]
        assert (provenance["service"], provenance["layer_id"], provenance["layer_name"],
                provenance["service_date"]) == (APRIL.service, i, name, "2026-04-27")
        assert provenance["service_url"].endswith(f"/{APRIL.service}/FeatureServer/{i}")
        assert provenance["names_checked"] == MONTHLY_LAYER_NAMES.checked


def test_an_unknown_layer_name_is_reported_and_the_known_ones_stored(server, tmp_path):
    FakeMonthly(server, APRIL, {
        0: ("CoT_Merge_APR", {"2026-04-20": squares(3)}),
        1: ("Kursk_Advances_Merge_APR", {"2026-04-20": squares(2, y=51.0)}),
        2: ("Frontline_Merge_APR", {"2026-04-20": squares(1)})}, max_records=2)
    with pytest.warns(FrontlineWarning, match=r"layer name\(s\) 1 'Kursk_Advances_Merge_APR'"
                                              r", 2 'Frontline_Merge_APR' match no pattern"):
        report = take_monthly(server, tmp_path, "2026-04-20")
    assert report[["layer", "layer_id", "layer_name", "features", "pages", "status"]] \
        .values.tolist() == [
        ["control", 0, "CoT_Merge_APR", 3, 2, "added"],
        ["", 1, "Kursk_Advances_Merge_APR", 0, 0, "unknown layer name, not taken"],
        ["", 2, "Frontline_Merge_APR", 0, 0, "unknown layer name, not taken"]]
    assert read_manifest(tmp_path / "archive")["layer"].tolist() == ["control"]


def test_a_layer_without_features_on_the_day_is_reported_the_others_stored(server, tmp_path):
    fake = FakeMonthly(server, APRIL, {
        0: ("CoT_Merge_APR", {"2026-04-20": squares(2), "2026-04-21": squares(3)}),
        4: ("Advances_Merge_APR", {"2026-04-20": squares(1, y=48.5)}),
        5: ("Infiltration_Merge_APR", {"2026-04-21": squares(1, y=49.0)})})
    report = take_monthly(server, tmp_path, "2026-04-21")
    assert report[["layer", "features", "status"]].values.tolist() == [
        ["control", 3, "added"], ["advances", 0, "no features on 2026-04-21"],
        ["infiltration", 1, "added"]]
    assert fake.layers[4].wheres == []  # asked only for its dates, never queried
    history = load_history(tmp_path / "archive")
    assert history.area_km2("isw", "2026-04-21", "infiltration") == pytest.approx(
        float(geodesic_area_km2(squares(1, y=49.0)[0])), rel=1e-9)


def test_a_day_no_monthly_layer_holds_names_the_nearest_dates_of_its_layers(server,
                                                                            tmp_path):
    FakeMonthly(server, APRIL, {
        0: ("CoT_Merge_APR", {"2026-04-10": squares(1)}),
        1: ("Advances_Merge_APR", {"2026-04-14": squares(1)}),
        2: ("Unknown_Merge_APR", {"2026-04-12": squares(1)})})
    with pytest.warns(FrontlineWarning, match="Unknown_Merge_APR"), \
            pytest.raises(NotFoundError, match=rf"{APRIL.service}: 2026-04-10 before, "
                                               r"2026-04-14 after"):
        take_monthly(server, tmp_path, "2026-04-12")
    assert not (tmp_path / "archive" / "manifest.parquet").exists()


def test_two_layers_read_as_one_layer_on_the_day_are_refused(server, tmp_path):
    FakeMonthly(server, APRIL, {0: ("CoT_Merge_APR", {"2026-04-20": squares(1)}),
                                1: ("Russian_CoT_Merge_APR", {"2026-04-20": squares(2)})})
    with pytest.raises(ServiceError, match=r"layers 0 'CoT_Merge_APR' and 1 "
                                           r"'Russian_CoT_Merge_APR' both read as 'control' "
                                           r"on 2026-04-20.*nothing was stored"):
        take_monthly(server, tmp_path, "2026-04-20")
    assert not (tmp_path / "archive" / "manifest.parquet").exists()


def test_the_root_listing_is_read_and_a_listing_that_is_not_one_is_an_error(server,
                                                                            tmp_path):
    FakeMonthly(server, APRIL, {0: ("CoT_Merge_APR", {}), 6: ("Advances_Merge_APR", {})})
    base = f"{server.url}/arcgis/rest/services"
    assert service_layers(APRIL.service, base=base) == [(0, "CoT_Merge_APR"),
                                                        (6, "Advances_Merge_APR")]
    server.route(f"/arcgis/rest/services/{APRIL.service}/FeatureServer",
                 Reply.json({"layers": [{"id": "0", "name": "CoT"}]}))
    with pytest.raises(ServiceError, match="not a FeatureServer listing"):
        take_monthly(server, tmp_path, "2026-04-20")


def test_cli_date_on_a_monthly_service_warns_about_unknown_names(server, tmp_path,
                                                                 monkeypatch):
    FakeMonthly(server, APRIL, {0: ("CoT_Merge_APR", {"2026-04-20": squares(2)}),
                                1: ("Mystery_Merge_APR", {"2026-04-20": squares(1)})})
    monkeypatch.setenv("FRONTLINE_ARCGIS_URL", f"{server.url}/arcgis/rest/services")
    result = CliRunner().invoke(cli, ["-q", "snapshot", "isw", "--date", "2026-04-20",
                                      "--archive", str(tmp_path / "a"), "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("layer,service,features,pages,sha256,status,vintage,date,layer_id,"
                        "layer_name")
    assert lines[1].startswith(f"control,{APRIL.service},2,1,")
    assert lines[2] == (f",{APRIL.service},0,0,,"
                        '"unknown layer name, not taken",,2026-04-20,1,Mystery_Merge_APR')
    assert "'Mystery_Merge_APR' match no pattern" in result.stderr
    bad = CliRunner().invoke(cli, ["snapshot", "isw", "--date", "2026-04-20", "--layer",
                                   "control"])
    assert bad.exit_code == 2 and "drop --layer" in bad.output
