"""The archive: idempotent imports, vintages, "data as of", atomic writes, status and gaps.

Built on ISW's real zips of 2024-10-31 (bundled into one nested zip, as ISW e-mails them),
real DeepState files and sdspieg's real area table from FRONTLINE_DATA_DIR.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box

import frontline.sources.archive as archive
from frontline import monthly_gains, store
from frontline.cli.main import cli
from frontline.errors import ArchiveError, CopiesDisagreeWarning, InvalidArgumentError, ReadError
from frontline.geodesy import geodesic_area_km2
from frontline.io.readers import read_area_table, read_deepstate, read_isw_geojson, read_isw_zip
from frontline.sources.archive import (
    archive_gaps,
    archive_orphans,
    archive_status,
    import_paths,
    load_history,
    read_manifest,
)

DAY = "2024-10-31"
FIRST = pd.Timestamp("2026-01-01 09:00")
SECOND = pd.Timestamp("2026-02-01 09:00")


def snapshot_of(root: Path) -> dict[str, bytes]:
    """Every file of an archive (temporary ones included) with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and p.name != ".lock"}


@pytest.fixture(scope="module")
def bundle(data_dir, tmp_path_factory) -> Path:
    """ISW's eight layer zips of 2024-10-31 inside one zip (a nested bundle)."""
    path = tmp_path_factory.mktemp("bundle") / "ISW_bundle_2024-10-31.zip"
    with zipfile.ZipFile(path, "w") as outer:
        for layer_zip in sorted((data_dir / "isw/original_shapefiles_2024" / DAY).glob("*.zip")):
            outer.write(layer_zip, layer_zip.name)
    return path


def archive_of(path: Path, tmp_path_factory) -> Path:
    """A new archive holding ``path`` (vintage 1, imported at FIRST)."""
    root = tmp_path_factory.mktemp("archive") / "archive"
    import_paths([path], root=root, imported_at=FIRST)
    return root


def private_copy(archive_root: Path, tmp_path: Path) -> Path:
    """A copy of a module's archive that one test may change."""
    copy = tmp_path / "archive"
    shutil.copytree(archive_root, copy)
    return copy


@pytest.fixture(scope="module")
def base_archive(bundle, tmp_path_factory) -> Path:
    return archive_of(bundle, tmp_path_factory)


@pytest.fixture
def root(base_archive, tmp_path) -> Path:
    """A private copy of the archive holding the 2024-10-31 bundle (vintage 1)."""
    return private_copy(base_archive, tmp_path)


@pytest.fixture(scope="module")
def redrawn(data_dir, tmp_path_factory) -> Path:
    """ISW's control layer of 2024-10-31 redrawn: a 0.2° square near Pokrovsk given back."""
    control = read_isw_zip(data_dir / "isw/original_shapefiles_2024" / DAY
                           / "ukraine_control_map.zip").geometry.iloc[0]
    changed = control.difference(box(37.5, 47.9, 37.7, 48.1))
    path = tmp_path_factory.mktemp("redrawn") / f"{DAY}_UkraineControlMap.geojson"
    gpd.GeoDataFrame(geometry=[changed], crs="EPSG:4326").to_file(path, driver="GeoJSON")
    return path


def control_km2(history) -> float:
    return history.area_km2("isw", DAY, "control")


# ------------------------------------------------------------------ idempotence


def test_nested_bundle_is_imported_layer_by_layer(base_archive):
    manifest = read_manifest(base_archive)
    assert sorted(manifest["layer"]) == sorted([
        "control", "advances", "claimed", "counteroffensives", "partisan",
        "kursk_ukrainian_advance", "kursk_russian_advances", "kursk_russian_claims"])
    assert set(manifest["vintage"]) == {1}
    assert manifest["member"].str.contains(".zip/").all()  # read through the nested zips


def test_importing_the_same_bundle_twice_changes_nothing(root, bundle):
    before = snapshot_of(root)
    report = import_paths([bundle], root=root, imported_at=SECOND)
    assert set(report["status"]) == {"unchanged"} and len(report) == 8
    assert snapshot_of(root) == before


def test_areas_from_the_archive_match_isw_area_table(root, data_dir):
    # data/README.md: each layer's geodesic area equals the area table (rounded to
    # 0.01 km²) to within about 0.01 km²; the readers measure control 0.02 km² above it.
    table = read_area_table(data_dir / "isw/area_tables/sdspieg_daily_areas.json")
    day = table[table["date"] == pd.Timestamp(DAY)].set_index("layer")["area_km2"]
    history = load_history(root)
    for layer in ("control", "advances", "claimed"):
        assert history.area_km2("isw", DAY, layer) == pytest.approx(day[layer], abs=0.05)


# ------------------------------------------------------------------ vintages


def test_changed_file_adds_a_vintage_and_as_of_gives_the_earlier_figure(root, redrawn,
                                                                        data_dir):
    original_km2 = float(geodesic_area_km2(read_isw_zip(
        data_dir / "isw/original_shapefiles_2024" / DAY / "ukraine_control_map.zip"
    ).geometry.iloc[0]))
    redrawn_km2 = float(geodesic_area_km2(read_isw_geojson(redrawn).geometry.iloc[0]))
    assert original_km2 - redrawn_km2 > 100  # the square really changed the figure

    report = import_paths([redrawn], root=root, imported_at=SECOND)
    assert report[["layer", "vintage", "status"]].values.tolist() == [
        ["control", 2, "new vintage"]]

    status = archive_status(root).set_index("layer")
    assert status.loc["control", "vintages"] == 2
    assert status.loc["control", "default_vintage"] == 2
    assert status.loc["control", "imported_at"] == "2026-01-01 09:00:00, 2026-02-01 09:00:00"
    assert status.loc["advances", "vintages"] == 1

    assert control_km2(load_history(root)) == pytest.approx(redrawn_km2, abs=1e-6)
    assert control_km2(load_history(root, as_of="2026-01-15")) == pytest.approx(
        original_km2, abs=1e-6)
    assert control_km2(load_history(root, as_of="2026-02-01")) == pytest.approx(
        redrawn_km2, abs=1e-6)  # a date means the end of that day
    assert archive_status(root, as_of="2026-01-15").set_index("layer").loc[
        "control", "default_vintage"] == 1


def test_as_of_before_the_first_vintage_is_an_error(root):
    with pytest.raises(ArchiveError, match="held nothing as of 2025-12-31"):
        load_history(root, as_of="2025-12-31")


def test_empty_archive_is_an_error(tmp_path):
    with pytest.raises(ArchiveError, match="the archive is empty.*frontline import"):
        load_history(tmp_path / "none")


# ------------------------------------------------------------------ killed imports


def _fail_manifest(monkeypatch):
    def killed(*args, **kwargs):
        raise RuntimeError("killed while writing the manifest")
    monkeypatch.setattr(archive, "_write_manifest", killed)


def _fail_segment(monkeypatch):
    real = store.pq.write_table

    def killed(table, where, *args, **kwargs):
        real(table, where, *args, **kwargs)  # into frontline.store's buffer: nothing on disk
        raise RuntimeError("killed while writing the segment")
    monkeypatch.setattr(store.pq, "write_table", killed)


@pytest.mark.parametrize("kill", [_fail_manifest, _fail_segment],
                         ids=["during-manifest", "during-segment"])
def test_killed_import_leaves_the_archive_readable_and_unchanged(root, redrawn, monkeypatch,
                                                                 kill):
    before = snapshot_of(root)
    km2 = control_km2(load_history(root))
    kill(monkeypatch)
    with pytest.raises(RuntimeError, match="killed while writing"):
        import_paths([redrawn], root=root, imported_at=SECOND)
    monkeypatch.undo()
    assert snapshot_of(root) == before
    assert control_km2(load_history(root)) == km2
    # ... and the same import succeeds afterwards.
    assert import_paths([redrawn], root=root)["status"].tolist() == ["new vintage"]


def test_a_file_that_fails_to_read_imports_nothing(root, redrawn, tmp_path):
    broken = tmp_path / "ukraine_control_map.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    before = snapshot_of(root)
    with pytest.raises(ReadError, match="not a readable zip"):
        import_paths([redrawn, broken], root=root)
    assert snapshot_of(root) == before


def test_unknown_file_type_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ReadError, match="not a file frontline imports"):
        import_paths([path], root=tmp_path / "archive")


# ------------------------------------------------------------------ DeepState, gaps


def test_deepstate_round_trip_and_gaps(data_dir, tmp_path):
    # DeepState has no files for 2024-08-18 and 2024-08-19 (data/README.md); a file shows
    # the day before its name, so 20240817 -> 08-16 and 20240820 -> 08-19.
    files = [data_dir / "deepstate/daily" / f"deepstatemap_data_202408{d}.geojson"
             for d in ("16", "17", "20")]
    root = tmp_path / "archive"
    report = import_paths(files, root=root)
    assert report["date"].dt.strftime("%m-%d").tolist() == ["08-15", "08-16", "08-19"]
    gaps = archive_gaps(root)
    assert gaps.values.tolist() == [
        ["deepstate", pd.Timestamp("2024-08-17"), pd.Timestamp("2024-08-18"), 2]]
    history = load_history(root, sources=["deepstate"])
    raw = read_deepstate(files[-1]).geometry.iloc[0]
    assert shapely.equals_exact(history.geometry("deepstate", "2024-08-19", "occupied"), raw,
                                tolerance=0)


# ------------------------------------------------------------------ CLI


def test_cli_import_then_status_lists_vintages(bundle, redrawn, tmp_path):
    runner = CliRunner()
    where = ["--archive", str(tmp_path / "a")]
    first = runner.invoke(cli, ["-q", "import", str(bundle), *where, "--format", "csv"])
    assert first.exit_code == 0, first.output
    assert first.stdout.count(",added,") == 8
    second = runner.invoke(cli, ["-q", "import", str(bundle), str(redrawn), *where])
    assert second.exit_code == 0, second.output
    assert "8 unchanged" in second.stderr and "1 new vintage" in second.stderr
    status = runner.invoke(cli, ["archive", "status", *where, "--show", "vintages",
                                 "--format", "csv"])
    assert status.exit_code == 0, status.output
    lines = status.stdout.strip().splitlines()
    assert lines[0] == ("source,date,layer,vintages,default_vintage,default_imported_at,"
                        "imported_at")
    assert len(lines) == 2 and lines[1].startswith(f"isw,{DAY},control,2,2,")
    row = pd.read_csv(io.StringIO(status.stdout)).iloc[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["default_imported_at"])
    vintages = row["imported_at"].split(", ")
    assert len(vintages) == 2 and vintages[-1] == row["default_imported_at"]
    everything = runner.invoke(cli, ["archive", "status", *where])
    assert everything.exit_code == 0, everything.output
    assert "== summary ==" in everything.stdout and "== gaps ==" in everything.stdout


def test_cli_import_missing_path_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "nope.zip"),
                                      "--archive", str(tmp_path / "a")])
    assert result.exit_code == 1
    assert "no such file or folder" in result.output and "Traceback" not in result.output


def test_cli_status_of_an_empty_archive(tmp_path):
    result = CliRunner().invoke(cli, ["archive", "status", "--archive", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("(none)") == 3


def test_hard_kill_leftovers_are_reported_not_used(root, redrawn, monkeypatch):
    # A process killed between the segment's rename and the manifest's (kill -9: no
    # clean-up runs) leaves a segment the manifest never lists.
    km2 = control_km2(load_history(root))

    def killed(*args):
        raise KeyboardInterrupt("killed")
    monkeypatch.setattr(archive, "_write_manifest", killed)
    monkeypatch.setattr(Path, "unlink", lambda self, missing_ok=False: None)  # no clean-up
    with pytest.raises(KeyboardInterrupt, match="killed"):
        import_paths([redrawn], root=root, imported_at=SECOND)
    monkeypatch.undo()
    assert len(archive_orphans(root)) == 1
    assert control_km2(load_history(root)) == km2
    result = CliRunner().invoke(cli, ["archive", "status", "--archive", str(root)])
    assert result.exit_code == 0 and "1 segment(s)" in result.stderr


def test_one_writer_at_a_time(root, redrawn):
    fcntl = pytest.importorskip("fcntl")
    with open(root / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(ArchiveError, match="another frontline import or snapshot"):
            import_paths([redrawn], root=root)


# ------------------------------------------------------------------ area tables

AUGUST_NET_KM2 = 476.87  # ISW's area table: afp total 2024-08-31 minus 2024-07-31


def august(history):
    row = monthly_gains(history, start="2024-08", end="2024-08").iloc[0]
    assert row["source"] == "isw-areas" and bool(row["exact"])
    return row["net_km2"]


@pytest.fixture(scope="module")
def area_table(data_dir) -> Path:
    return data_dir / "isw/area_tables/sdspieg_daily_areas.json"


@pytest.fixture(scope="module")
def base_area_archive(area_table, tmp_path_factory) -> Path:
    return archive_of(area_table, tmp_path_factory)


@pytest.fixture
def area_root(base_area_archive, tmp_path) -> Path:
    """A private copy of an archive holding sdspieg's area table (vintage 1)."""
    return private_copy(base_area_archive, tmp_path)


@pytest.fixture(scope="module")
def revised_table(area_table, tmp_path_factory) -> Path:
    """The area table with one value revised: control on 2024-08-31, 100 km² more."""
    records = json.loads(area_table.read_text(encoding="utf-8"))
    hits = [r for r in records
            if r["date"] == "2024-08-31" and r["layerType"] == "ukraine_control_map"]
    assert len(hits) == 1
    hits[0]["areaKm2"] = round(hits[0]["areaKm2"] + 100, 2)
    path = tmp_path_factory.mktemp("revised") / "daily_areas.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_area_table_is_archived_and_gives_the_monthly_figure(base_area_archive, area_table):
    manifest = read_manifest(base_area_archive)
    assert len(manifest) == len(read_area_table(area_table)) == 3601
    assert set(manifest["kind"]) == {"area"} and set(manifest["source"]) == {"isw-areas"}
    assert manifest["segment"].str.endswith("-areas.parquet").all()
    history = load_history(base_area_archive)
    assert history.catalog.empty and len(history.areas) == 3601
    assert history.area_km2("isw-areas", "2024-08-31", "control") == pytest.approx(
        read_area_table(area_table).set_index(["date", "layer"]).loc[
            (pd.Timestamp("2024-08-31"), "control"), "area_km2"], abs=0)
    assert august(history) == pytest.approx(AUGUST_NET_KM2, abs=0.01)
    # The CLI's default inputs (ISW polygons, else the area table) find it too.
    assert august(load_history(base_area_archive, sources=["isw", "isw-areas"])) == (
        pytest.approx(AUGUST_NET_KM2, abs=0.01))


def test_reimporting_the_area_table_changes_nothing(area_root, area_table):
    before = snapshot_of(area_root)
    report = import_paths([area_table], root=area_root, imported_at=SECOND)
    assert len(report) == 3601 and set(report["status"]) == {"unchanged"}
    assert snapshot_of(area_root) == before


def test_revised_area_adds_a_vintage_and_as_of_gives_the_earlier_figure(area_root,
                                                                         revised_table):
    # another file name: a copy of the table; the newer copy's value agrees with the
    # neighbours (within 5 %), so it is taken, as a new vintage
    with pytest.warns(CopiesDisagreeWarning, match="2024-08-31 control"):
        report = import_paths([revised_table], root=area_root, imported_at=SECOND)
    changed = report[report["status"] != "unchanged"]
    assert changed[["date", "layer", "vintage", "status"]].values.tolist() == [
        [pd.Timestamp("2024-08-31"), "control", 2, "new vintage"]]
    assert (report["status"] == "unchanged").sum() == 3600

    status = archive_status(area_root)
    several = status[status["vintages"] > 1]
    assert several[["source", "date", "layer", "vintages", "default_vintage"]].values.tolist() == [
        ["isw-areas", pd.Timestamp("2024-08-31"), "control", 2, 2]]
    assert several.iloc[0]["imported_at"] == "2026-01-01 09:00:00, 2026-02-01 09:00:00"

    assert august(load_history(area_root)) == pytest.approx(AUGUST_NET_KM2 + 100, abs=0.01)
    assert august(load_history(area_root, as_of="2026-01-15")) == pytest.approx(
        AUGUST_NET_KM2, abs=0.01)
    assert august(load_history(area_root, as_of="2026-02-01")) == pytest.approx(
        AUGUST_NET_KM2 + 100, abs=0.01)


@pytest.mark.parametrize("kill", [_fail_manifest, _fail_segment],
                         ids=["during-manifest", "during-segment"])
def test_killed_area_import_leaves_the_archive_readable_and_unchanged(area_root,
                                                                      revised_table,
                                                                      monkeypatch, kill):
    before = snapshot_of(area_root)
    kill(monkeypatch)
    with pytest.raises(RuntimeError, match="killed while writing"):
        import_paths([revised_table], root=area_root, imported_at=SECOND)
    monkeypatch.undo()
    assert snapshot_of(area_root) == before
    assert august(load_history(area_root)) == pytest.approx(AUGUST_NET_KM2, abs=0.01)
    assert archive_orphans(area_root) == []
    report = import_paths([revised_table], root=area_root)
    assert (report["status"] == "new vintage").sum() == 1


def test_layers_and_an_area_table_in_one_import(bundle, area_table, tmp_path):
    root = tmp_path / "archive"
    report = import_paths([bundle, area_table], root=root)
    assert len(report) == 8 + 3601 and set(report["status"]) == {"added"}
    segments = sorted(p.name for p in (root / "segments").iterdir())
    assert len(segments) == 2 and segments[0].endswith("-areas.parquet")
    history = load_history(root)
    assert len(history.catalog) == 8 and len(history.areas) == 3601
    # The polygons' control area and the table's agree (see the test above).
    assert control_km2(history) == pytest.approx(
        history.area_km2("isw-areas", DAY, "control"), abs=0.05)
    assert august(history) == pytest.approx(AUGUST_NET_KM2, abs=0.01)


def test_area_tables_folder_is_imported_without_its_metadata(data_dir, tmp_path):
    report = import_paths([data_dir / "isw/area_tables"], root=tmp_path / "archive")
    assert sorted({Path(f).name for f in report["file"]}) == [
        "economist_areas_of_control_extract.csv", "hcss_daily_areas.json",
        "sdspieg_daily_areas.json"]
    # Every row of the three tables is reported; the two copies (sdspieg's 3,601 rows and
    # hcss's 3,781) are combined, not stacked: the 3 values hcss doubled lose to sdspieg's.
    assert set(report["source"]) == {"isw-areas"} and len(report) == 3601 + 3781 + 39
    lost = report[report["status"] == "other copy used"]
    assert sorted(zip(lost["date"].dt.strftime("%Y-%m-%d"), lost["layer"], strict=True)) == [
        ("2025-04-19", "partisan"), ("2025-08-10", "claimed"), ("2025-12-04", "infiltration")]
    assert {Path(f).name for f in lost["file"]} == {"hcss_daily_areas.json"}
    assert (report["vintage"] <= 1).all()  # no key got a second vintage from a copy


def test_a_json_that_is_not_an_area_table_is_refused(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text('[{"when": "2024-08-31", "what": 1}]')
    with pytest.raises(ReadError, match="not an area table.*as area tables only"):
        import_paths([path], root=tmp_path / "archive")
    assert not (tmp_path / "archive").exists()


def test_cli_monthly_from_an_archived_area_table(area_table, tmp_path):
    runner = CliRunner()
    where = str(tmp_path / "a")
    imported = runner.invoke(cli, ["-q", "import", str(area_table), "--archive", where])
    assert imported.exit_code == 0, imported.output
    assert "3601 added" in imported.stderr
    result = runner.invoke(cli, ["--archive", where, "monthly", "--start", "2024-08",
                                 "--end", "2024-08"])
    assert result.exit_code == 0, result.output
    assert "476.87" in result.stdout
    table = runner.invoke(cli, ["--archive", where, "monthly", "--start", "2024-08",
                                "--end", "2024-08", "--format", "csv"])
    assert pd.read_csv(io.StringIO(table.stdout)).iloc[0]["net_km2"] == pytest.approx(
        AUGUST_NET_KM2, abs=0.01)


def test_a_manifest_written_before_area_tables_reads_as_layers(root):
    km2 = control_km2(load_history(root))
    old = pd.read_parquet(root / "manifest.parquet").drop(columns="kind")
    old.to_parquet(root / "manifest.parquet", index=False)
    assert set(read_manifest(root)["kind"]) == {"layer"}
    assert control_km2(load_history(root)) == km2


# ------------------------------------------------- checked segments, as_of, copies


def test_a_bit_flipped_segment_is_named_when_read(root):
    manifest = read_manifest(root)
    assert manifest["segment_sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    segment = root / manifest["segment"].iloc[0]
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit: Parquet may still read, the sha256 does not match
    segment.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match=re.escape(segment.name) + ".*sha256"):
        load_history(root)


def test_a_replaced_segment_is_refused(root, tmp_path):
    manifest = read_manifest(root)
    segment = root / manifest["segment"].iloc[0]
    other = gpd.GeoDataFrame({"row": [0], "source": ["isw"]},
                             geometry=[box(37.0, 48.0, 37.1, 48.1)], crs="EPSG:4326")
    other.to_parquet(segment, index=False)  # a readable file, but not the one listed
    with pytest.raises(ArchiveError, match="damaged.*expected"):
        load_history(root)


def test_unknown_manifest_columns_are_kept_on_the_next_import(root, redrawn):
    manifest = pd.read_parquet(root / "manifest.parquet")
    manifest["reviewed_by"] = "desk"  # written by a newer frontline
    manifest.to_parquet(root / "manifest.parquet", index=False)
    import_paths([redrawn], root=root, imported_at=SECOND)
    after = pd.read_parquet(root / "manifest.parquet")
    assert "reviewed_by" in after.columns
    old = after[after["imported_at"] < SECOND]
    assert len(old) == len(manifest) and (old["reviewed_by"] == "desk").all()
    assert after.loc[after["imported_at"] >= SECOND, "reviewed_by"].isna().all()


def _table(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["date", "layer", "area_km2"]).to_csv(path, index=False)
    return path


def test_vintages_from_one_import_have_distinct_ordered_times(tmp_path):
    first = _table(tmp_path / "a" / "t.csv", [("2025-01-01", "control", 100.0)])
    second = _table(tmp_path / "b" / "t.csv", [("2025-01-01", "control", 200.0)])
    root = tmp_path / "archive"
    report = archive.append_tables(
        root, [(read_area_table(first), "sha-a", None, None),
               (read_area_table(second), "sha-b", None, None)], FIRST)
    assert report["vintage"].tolist() == [1, 2]
    manifest = read_manifest(root).sort_values("vintage")
    times = manifest["imported_at"].tolist()
    assert times[0] == FIRST and times[1] == FIRST + pd.Timedelta(microseconds=1)
    # every vintage is reachable with as_of
    for when, km2 in ((times[0], 100.0), (times[1], 200.0)):
        history = load_history(root, as_of=when)
        assert history.area_km2("isw-areas", "2025-01-01", "control") == km2


def test_as_of_means_the_same_in_every_form(root, redrawn):
    import_paths([redrawn], root=root, imported_at=SECOND)  # 2026-02-01 09:00
    forms = ["20260201", "2026-02-01", "2026/02/01", pd.Timestamp("2026-02-01").date()]
    stamps = {archive.parse_as_of(f) for f in forms}
    assert stamps == {pd.Timestamp("2026-02-01 23:59:59.999999999")}  # the end of the day
    km2 = {control_km2(load_history(root, as_of=f)) for f in forms}
    assert len(km2) == 1
    assert km2 == {control_km2(load_history(root))}  # the new vintage: held that day
    assert control_km2(load_history(root, as_of="20260131")) != km2.pop()
    assert archive.parse_as_of("2026-02-01T10:00+01:00") == pd.Timestamp("2026-02-01 09:00")
    statuses = {tuple(archive_status(root, as_of=f)["default_vintage"]) for f in forms}
    assert len(statuses) == 1
    with pytest.raises(InvalidArgumentError, match="--as-of 'last tuesday' is not a date"):
        archive.parse_as_of("last tuesday")
    result = CliRunner().invoke(cli, ["--archive", str(root), "--as-of", "2026-13-45",
                                      "monthly", "--start", "2024-10", "--end", "2024-10"])
    assert result.exit_code == 1 and "--as-of '2026-13-45'" in result.output


def test_copies_imported_separately_do_not_stack_as_vintages(tmp_path):
    """Issue 8: a copy of the table held under another name, imported later with one
    doubled value, does not become the default vintage of that value."""
    days = pd.date_range("2025-01-01", "2025-01-09")
    rows = [(f"{d:%Y-%m-%d}", "claimed", 1000.0 + n) for n, d in enumerate(days)]
    first = _table(tmp_path / "sdspieg" / "area_tables" / "daily_areas.csv", rows)
    doubled = [(d, layer, km2 * 2 if d == "2025-01-05" else km2) for d, layer, km2 in rows]
    doubled.append(("2025-01-10", "claimed", 1009.0))  # the newer copy reaches further
    second = _table(tmp_path / "hcss" / "area_tables" / "daily_areas.csv", doubled)
    root = tmp_path / "archive"
    import_paths([first], root=root, imported_at=FIRST)
    with pytest.warns(CopiesDisagreeWarning, match="2025-01-05 claimed"):
        report = import_paths([second], root=root, imported_at=SECOND)
    by_day = report.set_index("date")["status"]
    assert by_day[pd.Timestamp("2025-01-05")] == "other copy used"
    assert by_day[pd.Timestamp("2025-01-10")] == "added"
    assert (archive_status(root)["vintages"] == 1).all()
    history = load_history(root)
    assert history.area_km2("isw-areas", "2025-01-05", "claimed") == 1004.0
    # the same file imported again with a changed value is a revision: a new vintage
    revised = [(d, layer, km2 + 1 if d == "2025-01-02" else km2) for d, layer, km2 in rows]
    _table(first, revised)
    report = import_paths([first], root=root, imported_at=SECOND + pd.Timedelta(days=1))
    assert report.loc[report["status"] == "new vintage", "date"].tolist() == [
        pd.Timestamp("2025-01-02")]


def test_an_archive_path_that_is_a_file_is_refused(tmp_path, data_dir):
    # issue 10: an archive path that is a file (or a folder that cannot be written) is one
    # ArchiveError naming it, not a traceback
    from frontline.errors import ArchiveError

    not_a_folder = tmp_path / "archive"
    not_a_folder.write_text("I am a file")
    day = sorted((data_dir / "isw/original_shapefiles_2024" / DAY).glob("*.zip"))[0]
    with pytest.raises(ArchiveError, match=r"Cannot write to the archive .*archive.*a folder"):
        import_paths([day], root=not_a_folder, imported_at=FIRST)
