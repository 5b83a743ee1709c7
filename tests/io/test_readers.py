"""Readers and the canonical table, on the real files and on synthetic ones."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

import frontline
from frontline.errors import (
    CopiesDisagreeWarning,
    DataDirError,
    DuplicateSnapshotError,
    ReadError,
    UnknownLayerError,
)
from frontline.geodesy import geodesic_area_km2
from frontline.io.readers import (
    CANONICAL_COLUMNS,
    combine_area_tables,
    parse_date,
    read_area_table,
)

from .._synthetic import write_isw_zip

# Every date of ISW's zips in the data folder: 17 in 2024, 19 in 2026 (isw/MANIFEST.md).
ISW_DATES = ["2024-08-25", "2024-09-01", "2024-09-08", "2024-09-12", "2024-09-14",
             "2024-09-21", "2024-09-29", "2024-10-05", "2024-10-12", "2024-10-19",
             "2024-10-26", "2024-10-31", "2024-11-01", "2024-11-10", "2024-11-16",
             "2024-11-17", "2024-12-31", "2026-03-22", "2026-03-29", "2026-04-05",
             *[f"2026-04-{day:02d}" for day in range(12, 28)]]


@pytest.mark.parametrize("name, expected", [
    ("UkraineControlMapAO31OCT2024.shp", dt.date(2024, 10, 31)),
    ("AssessedRussianAdvancesinUkraineSEP012024", dt.date(2024, 9, 1)),
    ("Kursk Incursion Russian Advances in Russia October 31, 2024.shp", dt.date(2024, 10, 31)),
    ("Claimed Limit of Ukrainian Advance September 8, 2024", dt.date(2024, 9, 8)),
    ("deepstatemap_data_20241001.geojson", dt.date(2024, 10, 1)),
    ("2023-04-30.geojson.gz", dt.date(2023, 4, 30)),
    ("UkraineControlMap.shp", None),
])
def test_parse_date(name, expected):
    assert parse_date(name) == expected


def test_isw_zip_reprojects_and_drops_z(data_dir):
    folder = data_dir / "isw/original_shapefiles_2024/2024-10-31"
    table = frontline.io.read_isw_zip(
        folder / "kursk_incursion_russian_advances_in_russia_october_31_2024.zip")
    assert list(table.columns) == CANONICAL_COLUMNS
    row = table.iloc[0]
    assert row.layer == "kursk_russian_advances"
    assert row.date == pd.Timestamp("2024-10-31")
    assert row.member == "Kursk Incursion Russian Advances in Russia October 31, 2024.shp"
    assert table.crs.to_epsg() == 4326
    assert not row.geometry.has_z
    # Kursk lies in Russia: lon 34-36 E, lat 51-52 N once reprojected from ESRI:102013.
    minx, miny, maxx, maxy = row.geometry.bounds
    assert 34 < minx < maxx < 36.5 and 50.8 < miny < maxy < 52
    # The data README: 347.75 km² in the area table for this layer and date.
    assert geodesic_area_km2(row.geometry) == pytest.approx(347.75, abs=0.05)


def test_every_layer_of_every_zip_has_a_canonical_name(history):
    isw = history.catalog[history.catalog["source"] == "isw"]
    zips = isw[isw["reader"] == "zip"]
    assert sorted({f"{d:%Y-%m-%d}" for d in zips["date"]}) == ISW_DATES
    assert {"control", "advances", "claimed", "counteroffensives", "partisan",
            "kursk_ukrainian_advance", "kursk_russian_advances",
            "kursk_russian_claims"} <= set(zips["layer"])
    # The zip's folder date always equals the date parsed from the .shp name inside.
    folder_dates = pd.to_datetime(zips["file"].str.extract(r"(\d{4}-\d{2}-\d{2})")[0])
    assert (folder_dates.values == zips["date"].values).all()


def test_zip_areas_equal_area_table(history):
    """Every (date, layer) held both by a zip and by the area tables agrees within 0.05 km²:
    93 pairs on 16 dates of 2024 (the tables skip 2024-09-12; the 2026 zips start after
    the tables end)."""
    zips = history.catalog[history.catalog["reader"] == "zip"]
    table = history.areas.set_index(["date", "layer"])["area_km2"]
    pairs = []
    for row in zips.itertuples():
        if (row.date, row.layer) in table.index:
            polygons = history.area_km2("isw", row.date, row.layer)
            assert polygons == pytest.approx(table[(row.date, row.layer)], abs=0.05), row
            pairs.append((row.date, row.layer))
    assert len(pairs) == 93
    assert {f"{d:%Y-%m-%d}" for d, _ in pairs} == set(ISW_DATES[:17]) - {"2024-09-12"}
    assert {"control", "advances", "claimed", "counteroffensives", "partisan",
            "kursk_russian_advances"} == {layer for _, layer in pairs}


def test_2026_zips_hold_infiltration_and_the_new_kursk_layer(history):
    zips = history.catalog[(history.catalog["reader"] == "zip")
                           & (history.catalog["date"] >= "2026-01-01")]
    per_date = zips.groupby("date")["layer"].agg(set)
    assert len(per_date) == 19
    assert all({"control", "advances", "claimed", "counteroffensives", "infiltration"} <= s
               for s in per_date)
    kursk = zips[zips["layer"] == "kursk_ukrainian_advances"]
    assert "Ukrainian Advances in Russia" in kursk["layer_name"].iloc[0]
    # The 2026 counteroffensives layer means something else: ~70,000 km², against 296 km²
    # on 2024-09-12. MANIFEST's 70,466.52 km² is measured without densifying the layer's
    # long straight edges; frontline densifies them (README, Method): 70,474.40, +0.011 %.
    assert history.area_km2("isw", "2026-04-14", "counteroffensives") == pytest.approx(
        70474.40, abs=0.05)
    assert history.area_km2("isw", "2024-09-12", "counteroffensives") == pytest.approx(
        296.45, abs=0.05)
    assert history.area_km2("isw", "2026-04-14", "infiltration") == pytest.approx(
        208.84, abs=0.05)
    # Layers whose rings GDAL cannot organise (it warns and returns a collection) measure
    # as isw/MANIFEST.md says, and reading them shows no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert history.area_km2("isw", "2026-03-29", "advances") == pytest.approx(
            4068.49, abs=0.05)
        assert history.area_km2("isw", "2026-04-05", "infiltration") == pytest.approx(
            148.79, abs=0.05)


def test_arcgis_geojson_layers(history):
    # 2023 files: one file per day, the layer named by the ArcGIS service.
    may = history.catalog[(history.catalog["date"] == "2023-05-31")
                          & (history.catalog["source"] == "isw")]
    assert set(may["layer_name"]) >= {"VIEW_RussiaCoTinUkraine_V3",
                                      "MDS_AssessedRussianAdvanceInUkraine_view",
                                      "VIEW_ClaimedRussianTerritoryinUkraine_V2"}
    # Nikkei's 2023-04-30 copy names advances and claimed alike (two features:
    # 2,151.04 + 497.27 km² per the manifest).
    assert history.area_km2("isw", "2023-04-30", "advances_or_claimed") == pytest.approx(
        2151.04 + 497.27, abs=0.1)
    # 2022 files: one layer per file, named after the date.
    assert history.area_km2("isw", "2022-11-30", "claimed") > 0


def test_area_table_and_economist_extract(history):
    areas = history.areas
    assert areas["date"].min() == pd.Timestamp("2022-12-31")
    assert {"control", "advances", "claimed", "infiltration", "other"} <= set(areas["layer"])
    # Nikkei full-resolution polygons vs The Economist's converted areas: within 0.41 km²
    # per the manifest, on the month-ends both cover.
    for date in ("2023-05-31", "2023-06-30", "2023-07-31"):
        polygons = sum(history.area_km2("isw", date, layer)
                       for layer in ("control", "advances", "claimed"))
        table = sum(history.area_km2("isw-areas", date, layer)
                    for layer in ("control", "advances", "claimed"))
        assert polygons == pytest.approx(table, abs=1.0)


def test_two_copies_of_the_area_table_are_read_together(data_dir):
    folder = data_dir / "isw/area_tables"
    old = read_area_table(folder / "sdspieg_daily_areas.json")
    new = read_area_table(folder / "hcss_daily_areas.json")
    with pytest.warns(CopiesDisagreeWarning, match=r"disagree on 3 value") as caught:
        combined, disagreements = combine_area_tables([old, new])
    text = str(caught[0].message)
    for line in ("2025-04-19 partisan", "2025-08-10 claimed", "2025-12-04 infiltration"):
        assert line in text
    keys = ["date", "layer"]
    assert not combined.duplicated(keys).any()
    both = old.merge(new, on=keys)
    assert len(both) == 3601 and (both["area_km2_x"] == both["area_km2_y"]).sum() == 3598
    assert len(combined) == len(pd.concat([old[keys], new[keys]]).drop_duplicates())
    # hcss doubled three values; each time sdspieg's agrees with the neighbouring days.
    chosen = disagreements[disagreements["chosen"]]
    assert len(chosen) == 3 and set(chosen["file"].map(lambda f: f.split("/")[-1])) == {
        "sdspieg_daily_areas.json"}
    claimed = combined.set_index(keys)["area_km2"][(pd.Timestamp("2025-08-10"), "claimed")]
    assert claimed == pytest.approx(1297.66)
    # The newer copy reaches 2026-02-28 (January 2026's month end is only there).
    assert combined["date"].max() == pd.Timestamp("2026-02-28")


def _copy(file, values, dates=("2025-01-01", "2025-01-02", "2025-01-03")):
    return pd.DataFrame({"source": "isw-areas", "date": pd.to_datetime(list(dates)),
                         "layer": "advances", "layer_name": "russian_advances",
                         "file": file, "area_km2": values})


def test_copies_rule_neighbours_first_then_the_newest_copy():
    a = _copy("a.json", [100.0, 101.0, 102.0])
    b = _copy("b.json", [100.0, 202.0, 102.0, 103.0],
              dates=("2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"))
    with pytest.warns(CopiesDisagreeWarning, match="a.json"):
        combined, _ = combine_area_tables([a, b])
    assert combined["area_km2"].tolist() == [100.0, 101.0, 102.0, 103.0]
    # Neither value agrees with the neighbours: the newest copy (b reaches a later date).
    a = _copy("a.json", [100.0, 150.0, 102.0])
    with pytest.warns(CopiesDisagreeWarning, match="newest copy"):
        combined, disagreements = combine_area_tables([a, b])
    assert combined["area_km2"].tolist() == [100.0, 202.0, 102.0, 103.0]
    assert disagreements.loc[disagreements["chosen"], "file"].tolist() == ["b.json"]


@pytest.mark.parametrize("date", ["2024-08-25", "2024-09-01", "2024-09-29", "2024-11-17"])
def test_weekly_topojson_close_to_originals(history, date):
    """Le Monde's simplified copies: control within ~3 km² of ISW's own file, advances
    1-2 % (10-35 km²) smaller (data README) -- fine for trends, not for monthly figures."""
    control = history.area_km2("isw-weekly", date, "control") - history.area_km2(
        "isw", date, "control")
    advances = history.area_km2("isw-weekly", date, "advances") - history.area_km2(
        "isw", date, "advances")
    assert abs(control) < 3
    assert -35 < advances < -10


def test_deepstate_date_is_download_date_minus_one(data_dir):
    path = data_dir / "deepstate/daily/deepstatemap_data_20241001.geojson"
    table = frontline.io.read_deepstate(path)
    assert table.iloc[0].date == pd.Timestamp("2024-09-30")
    assert table.iloc[0].layer == "occupied"
    # Everything DeepState marks occupied, Crimea and pre-2022 areas included.
    assert 100_000 < geodesic_area_km2(table.iloc[0].geometry) < 125_000


def test_load_canonical_table(history):
    table = history.layers(source="isw", start="2024-10-31", end="2024-10-31")
    assert list(table.columns) == ["source", "date", "layer", "layer_name", "file", "member",
                                   "geometry"]
    assert table.crs.to_epsg() == 4326
    assert len(table) == 8 and table["date"].nunique() == 1
    assert table["file"].str.endswith(".zip").all()
    assert not table.duplicated(["source", "date", "layer"]).any()


def test_from_frame_user_layers():
    frame = frontline.History.from_frame(
        __import__("geopandas").GeoDataFrame(
            {"date": ["2024-01-01", "2024-01-01", "2024-02-01"],
             "layer": ["UkraineControlMap", "control", "control"]},
            geometry=[box(37, 48, 37.1, 48.1), box(37.1, 48, 37.2, 48.1),
                      box(37, 48, 37.3, 48.1)], crs="EPSG:4326"))
    jan = frame.area_km2("user", "2024-01-01", "control")
    feb = frame.area_km2("user", "2024-02-01", "control")
    assert feb == pytest.approx(1.5 * jan, rel=1e-3)


# ------------------------------------------------------------------ bad input


def _dir_with(tmp_path, *names):
    for name in names:
        (tmp_path / "isw" / name).parent.mkdir(parents=True, exist_ok=True)
    return tmp_path


def test_empty_zip(tmp_path):
    path = tmp_path / "isw" / "ukraine_control_map.zip"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    with pytest.raises(ReadError, match=r"ukraine_control_map\.zip: not a readable zip.*"
                                        r"download it again"):
        frontline.load(tmp_path)


def test_corrupt_zip(tmp_path):
    path = write_isw_zip(tmp_path / "isw" / "cm.zip", "UkraineControlMapAO31OCT2024")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReadError, match=r"cm\.zip: not a readable zip"):
        frontline.load(tmp_path)


def test_missing_prj_inferred_as_web_mercator(tmp_path):
    square = box(37.0, 48.0, 37.2, 48.1)
    path = write_isw_zip(tmp_path / "cm.zip", "UkraineControlMapAO31OCT2024", [square],
                         keep_prj=False)
    with pytest.warns(frontline.FrontlineWarning,
                      match=r"cm\.zip: 'UkraineControlMapAO31OCT2024\.shp' has no CRS "
                            r"\(\.prj missing\); EPSG:3857 \(Web Mercator metres.*was assumed"):
        table = frontline.io.read_isw_zip(path)
    assert geodesic_area_km2(table.geometry.iloc[0]) == pytest.approx(
        geodesic_area_km2(square), rel=1e-6)


def test_missing_prj_inferred_as_lon_lat_is_said(tmp_path):
    square = box(37.0, 48.0, 37.2, 48.1)
    path = write_isw_zip(tmp_path / "cm.zip", "UkraineControlMapAO31OCT2024", [square],
                         crs="EPSG:4326", keep_prj=False)
    with pytest.warns(frontline.FrontlineWarning,
                      match=r"cm\.zip: .*has no CRS.*EPSG:4326 \(lon/lat degrees\) was assumed"):
        table = frontline.io.read_isw_zip(path)
    assert geodesic_area_km2(table.geometry.iloc[0]) == pytest.approx(
        geodesic_area_km2(square), rel=1e-6)


def test_missing_prj_not_inferable(tmp_path):
    path = write_isw_zip(tmp_path / "cm.zip", "UkraineControlMapAO31OCT2024",
                         [box(0, 0, 1000, 1000)], crs=None)
    with pytest.raises(ReadError, match=r"cm\.zip: 'UkraineControlMapAO31OCT2024\.shp' has no "
                                        r"CRS.*put ISW's \.prj beside the \.shp"):
        frontline.io.read_isw_zip(path)


def test_no_date_in_name(tmp_path):
    write_isw_zip(tmp_path / "isw" / "cm.zip", "UkraineControlMap")
    with pytest.raises(ReadError, match=r"cm\.zip: no date in member 'UkraineControlMap'.*"
                                        r"rename the file"):
        frontline.load(tmp_path)


def test_name_with_two_dates_is_dated_by_the_as_of_date(tmp_path):
    # An export stamp after ISW's "as of" date: the map is of the AO date, not the export's.
    path = write_isw_zip(tmp_path / "cm.zip", "UkraineControlMapAO31OCT2024_export20241105")
    table = frontline.io.read_isw_zip(path)
    assert list(table["date"]) == [pd.Timestamp("2024-10-31")]


def test_name_with_two_unmarked_dates_is_refused(tmp_path):
    write_isw_zip(tmp_path / "isw" / "adv.zip",
                  "AssessedRussianAdvancesinUkraineOCT312024_20241105")
    with pytest.raises(ReadError, match=r"adv\.zip: member 'AssessedRussianAdvancesinUkraine"
                                        r"OCT312024_20241105' holds 2 dates \(2024-10-31, "
                                        r"2024-11-05\) and none is marked.*pass date="):
        frontline.load(tmp_path)


def test_name_repeating_one_date_is_dated_by_it():
    from frontline.io.readers import date_from_name

    assert date_from_name("2024-10-31_UkraineControlMapAO31OCT2024", "f.geojson",
                          "file name") == pd.Timestamp("2024-10-31")


def test_directory_without_data(tmp_path):
    (tmp_path / "isw").mkdir()
    with pytest.raises(DataDirError, match=r"no ISW or DeepState data found"):
        frontline.load(tmp_path)


def test_no_data_directory_configured(monkeypatch):
    monkeypatch.delenv("FRONTLINE_DATA_DIR", raising=False)
    with pytest.raises(DataDirError, match=r"No data directory configured: set "
                                           r"FRONTLINE_DATA_DIR"):
        frontline.load()


def test_two_files_same_source_date_layer(tmp_path):
    write_isw_zip(tmp_path / "isw" / "a" / "cm.zip", "UkraineControlMapAO31OCT2024")
    write_isw_zip(tmp_path / "isw" / "b" / "cm.zip", "UkraineControlMapAO31OCT2024",
                  [box(37.0, 48.0, 37.3, 48.1)])
    with pytest.raises(DuplicateSnapshotError,
                       match=r"isw 2024-10-31 control: .*a/cm\.zip vs .*b/cm\.zip"):
        frontline.load(tmp_path)


def test_unknown_layer_is_reported(tmp_path):
    write_isw_zip(tmp_path / "isw" / "x.zip", "MysteryLayerAO31OCT2024")
    with pytest.raises(UnknownLayerError, match=r"x\.zip: Unknown layer name "
                                                r"'MysteryLayerAO31OCT2024'"):
        frontline.load(tmp_path)
    write_isw_zip(tmp_path / "isw" / "cm.zip", "UkraineControlMapAO31OCT2024")
    history = frontline.load(tmp_path, on_unknown="skip")
    assert list(history.catalog["layer"]) == ["control"]


def test_nested_zip_bundle(tmp_path):
    import zipfile

    inner = write_isw_zip(tmp_path / "parts" / "ukraine_control_map.zip",
                          "UkraineControlMapAO31OCT2024")
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(inner, "ukraine_control_map.zip")
    table = frontline.io.read_isw_zip(bundle)
    assert table.iloc[0].layer == "control"
    assert table.iloc[0].member == "ukraine_control_map.zip/UkraineControlMapAO31OCT2024.shp"
    assert np.isclose(geodesic_area_km2(table.iloc[0].geometry),
                      geodesic_area_km2(box(37.0, 48.0, 37.2, 48.1)), rtol=1e-6)
