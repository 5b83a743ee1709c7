"""frontline fetch: the registry, downloads through a local HTTP server, mirrors, failures.

No test touches the internet: a server on 127.0.0.1 serves the real data folder (as a
mirror) and scripted faults.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import runpy
from pathlib import Path

import pytest
from click.testing import CliRunner

from frontline.cli.main import cli
from frontline.errors import FetchError
from frontline.settings import resolve_data_dir
from frontline.sources.fetch import ensure_data, fetch, verify_file
from frontline.sources.registry import Entry, registry, select_entries

from .._httpserver import LocalServer, Reply

ROOT = Path(__file__).resolve().parents[2]
AREAS = "isw/area_tables/sdspieg_daily_areas.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def listing(folder: Path) -> list[str]:
    """Every file below ``folder``, hidden and temporary ones included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def mirror(data_dir):
    """The real data folder served over HTTP on 127.0.0.1."""
    with LocalServer(data_dir) as server:
        yield server


@pytest.fixture
def server():
    with LocalServer() as server:
        yield server


def _entry(url: str, body: bytes, **changes) -> dict[str, Entry]:
    entry = Entry(name="isw/area_tables/test.json", group="isw-areas", url=url,
                  sha256=sha256(body), size=len(body), isw_terms=True)
    return {entry.name: Entry(**{**entry.__dict__, **changes})}


# ------------------------------------------------------------------ registry


def test_registry_is_in_step_with_the_data_folder_manifests(data_dir):
    # The builder re-reads every MANIFEST.md, checks size and sha256 of every file on disk
    # and compares with the committed registry: exit code 0 means nothing is stale.
    main = runpy.run_path(str(ROOT / "scripts" / "build_registry.py"))["main"]
    assert main([str(data_dir), "--check"]) == 0


def test_registry_covers_every_data_file_with_an_address_or_a_mirror_note(data_dir):
    entries = registry()
    on_disk = {str(p.relative_to(data_dir)) for p in data_dir.rglob("*")
               if p.is_file() and p.name not in ("MANIFEST.md", "README.md")}
    assert set(entries) == on_disk
    # data/README.md: 769 DeepState files, all from one repository at one commit.
    deepstate = select_entries(["deepstate"])
    assert len(deepstate) == 769
    assert {(e.repo, e.commit) for e in deepstate} == {
        ("cyterat/deepstate-map-data", "e904719a6726c7e6b5d6e87a7701e1b77b18e554")}
    assert all(e.url.startswith("https://raw.githubusercontent.com/") for e in deepstate)
    # Copies of ISW data carry ISW's terms; boundaries and DeepState do not.
    assert all(e.isw_terms for e in select_entries(["isw-history", "isw-weekly"]))
    assert not any(e.isw_terms for e in select_entries(["deepstate", "boundaries", "towns"]))


def test_select_entries_by_folder_glob_and_base_name():
    assert len(select_entries(["isw/original_shapefiles_2024/2024-10-31"])) == 8
    assert [e.name for e in select_entries(["deepstatemap_data_20241001.geojson"])] == [
        "deepstate/daily/deepstatemap_data_20241001.geojson"]
    assert len(select_entries(["deepstate/daily/deepstatemap_data_202410*"])) == 31


def test_unknown_name_is_one_clear_error():
    with pytest.raises(KeyError, match="neither a group nor a file of the registry"):
        select_entries(["no-such-group"])


def test_gzipped_copies_record_the_original_hash(data_dir):
    entry = registry()["isw/nikkei_geojson/2023/2023-04-30.geojson.gz"]
    assert entry.transform == "gzip"
    original = gzip.decompress((data_dir / entry.name).read_bytes())
    assert sha256(original) == entry.source_sha256


# ------------------------------------------------------------------ happy paths


def test_fetch_from_an_http_mirror_then_verify_without_downloading(mirror, data_dir,
                                                                   tmp_path):
    names = ["isw/area_tables", "deepstate/daily/deepstatemap_data_2024100*"]
    first = fetch(names, data_dir=tmp_path, mirror=mirror.url, progress=False,
                  notice=lambda text: None)
    assert len(first) == 4 + 9  # 4 area-table files (2 copies, extract, metadata), 9 days
    assert set(first["status"]) == {"downloaded"}
    for name in first["name"]:
        assert (tmp_path / name).read_bytes() == (data_dir / name).read_bytes()
    assert listing(tmp_path) == sorted(first["name"])  # no temporary file left over

    served = len(mirror.requests)
    again = fetch(names, data_dir=tmp_path, mirror=mirror.url, progress=False)
    assert set(again["status"]) == {"present"}
    assert len(mirror.requests) == served  # verified locally, nothing downloaded


@pytest.mark.parametrize("scheme", ["", "file://"])
def test_fetch_from_a_mirror_directory_and_replace_a_corrupt_copy(data_dir, tmp_path, scheme):
    target = tmp_path / AREAS
    target.parent.mkdir(parents=True)
    target.write_bytes(b"[]")  # a damaged earlier download
    table = fetch([AREAS], data_dir=tmp_path, mirror=f"{scheme}{data_dir}", progress=False,
                  notice=lambda text: None)
    assert table["status"].tolist() == ["replaced"]
    assert target.read_bytes() == (data_dir / AREAS).read_bytes()


def test_public_address_download_is_gzipped_like_the_registry_copy(server, data_dir,
                                                                    tmp_path):
    real = registry()["isw/nikkei_geojson/2023/2023-04-30.geojson.gz"]
    original = gzip.decompress((data_dir / real.name).read_bytes())
    server.route("/Nikkei/data/20230430.geojson", Reply(200, original))
    entries = {real.name: Entry(**{**real.__dict__,
                                   "url": f"{server.url}/Nikkei/data/20230430.geojson"})}
    table = fetch([real.name], data_dir=tmp_path, entries=entries, mirror="",
                  progress=False, notice=lambda text: None)
    assert table["status"].tolist() == ["downloaded"]
    stored = tmp_path / real.name
    assert gzip.decompress(stored.read_bytes()) == original
    assert verify_file(stored, real)
    assert listing(tmp_path) == [real.name]


def test_isw_terms_are_shown_before_isw_copies_only(mirror, tmp_path):
    shown = []
    fetch(["deepstatemap_data_20241001.geojson"], data_dir=tmp_path, mirror=mirror.url,
          progress=False, notice=shown.append)
    assert shown == []
    fetch([AREAS], data_dir=tmp_path, mirror=mirror.url, progress=False,
          notice=shown.append)
    assert len(shown) == 1
    assert "ISW and AEI's Critical Threats Project" in shown[0]
    assert "redistribut" in shown[0]


def test_429_then_success_honours_retry_after(server, tmp_path):
    body = b'[{"date": "2024-10-31", "layerType": "russian_advances", "areaKm2": 1.0}]'
    server.route("/a.json", Reply(429, b"slow down", {"Retry-After": "0"}), Reply(200, body))
    entries = _entry(f"{server.url}/a.json", body)
    table = fetch([], data_dir=tmp_path, entries=entries, mirror="", progress=False,
                  backoff=0.01, notice=lambda text: None)
    assert table["status"].tolist() == ["downloaded"]
    assert [path for path, _ in server.requests] == ["/a.json", "/a.json"]
    assert (tmp_path / "isw/area_tables/test.json").read_bytes() == body


# ------------------------------------------------------------------ failures


@pytest.mark.parametrize("reply, changes, message", [
    (Reply(200, b"other bytes"), {}, "hash of downloaded file"),
    (Reply(200, b"0123456789" * 100, truncate_to=100), {}, "cut short"),
    (Reply(404, b"not found"), {}, "HTTP 404"),
    (Reply(503, b"busy"), {}, "HTTP 503"),
], ids=["wrong-hash", "truncated", "404", "503-after-retries"])
def test_failed_download_is_one_error_and_leaves_nothing(server, tmp_path, reply, changes,
                                                         message):
    body = b"0123456789" * 100
    server.route("/f.json", reply)
    entries = _entry(f"{server.url}/f.json", body, **changes)
    with pytest.raises(FetchError, match=message) as info:
        fetch([], data_dir=tmp_path, entries=entries, mirror="", progress=False,
              retries=1, backoff=0.01, notice=lambda text: None)
    text = str(info.value)
    assert "isw/area_tables/test.json" in text and "FRONTLINE_MIRROR" in text
    assert "\n" not in text
    assert listing(tmp_path) == []


def test_next_fetch_removes_what_a_killed_fetch_left(tmp_path, caplog, gone_pid):
    from frontline.sources.fetch import TEMP_PREFIX

    body = b"0123456789" * 100
    (tmp_path / "mirror" / "isw/area_tables").mkdir(parents=True)
    (tmp_path / "mirror" / "isw/area_tables/test.json").write_bytes(body)
    folder = tmp_path / "data" / "deepstate" / "daily"
    folder.mkdir(parents=True)
    stale = folder / f"{TEMP_PREFIX}{gone_pid}-abc123"  # a killed run's (its process is gone)
    stale.mkdir()
    (stale / "tmpq1w2e3").write_bytes(b"half a download")
    running = folder / f"{TEMP_PREFIX}{os.getpid()}-def456"  # a run still going: kept
    running.mkdir()
    mine = folder / "notes.tmp"  # not frontline's naming: left alone
    mine.write_text("x")
    entries = _entry("", body)
    with caplog.at_level("WARNING", logger="frontline"):
        table = fetch([], data_dir=tmp_path / "data", entries=entries,
                      mirror=str(tmp_path / "mirror"), progress=False,
                      notice=lambda text: None)
    assert table["status"].tolist() == ["downloaded"]
    assert not stale.exists() and running.is_dir() and mine.is_file()
    assert f"removed {stale}, left by an interrupted write" in caplog.text
    assert listing(tmp_path / "data") == ["deepstate/daily/notes.tmp",
                                          "isw/area_tables/test.json"]


def test_download_keeps_its_temporary_files_under_frontlines_prefix(server, tmp_path,
                                                                     monkeypatch):
    # What pooch writes while downloading lies inside a TEMP_PREFIX folder (recognisable).
    import pooch

    from frontline.sources.fetch import TEMP_PREFIX

    seen = []
    real = pooch.retrieve

    def spy(url, known_hash, fname, path, downloader):
        seen.append(Path(path).name)
        return real(url, known_hash=known_hash, fname=fname, path=path, downloader=downloader)

    monkeypatch.setattr(pooch, "retrieve", spy)
    body = b"0123456789" * 100
    server.route("/f.json", Reply(200, body))
    fetch([], data_dir=tmp_path, entries=_entry(f"{server.url}/f.json", body), mirror="",
          progress=False, notice=lambda text: None)
    assert len(seen) == 1 and seen[0].startswith(f"{TEMP_PREFIX}{os.getpid()}-")
    assert listing(tmp_path) == ["isw/area_tables/test.json"]


def test_file_missing_from_a_mirror_directory(tmp_path):
    (tmp_path / "mirror").mkdir()
    with pytest.raises(FetchError, match="not in the mirror"):
        fetch([AREAS], data_dir=tmp_path / "data", mirror=str(tmp_path / "mirror"),
              progress=False, notice=lambda text: None)
    assert listing(tmp_path) == []


def test_files_without_address_are_reported_not_fetched(tmp_path, caplog):
    table = fetch(["isw-extra"], data_dir=tmp_path, mirror="", progress=False)
    assert table["status"].tolist() == ["no address"]
    assert "FRONTLINE_MIRROR" in caplog.text
    assert listing(tmp_path) == []


# ------------------------------------------------------------------ ensure_data / CLI


def test_ensure_data_fills_the_cache_when_nothing_is_configured(mirror, data_dir, tmp_path,
                                                                monkeypatch):
    monkeypatch.delenv("FRONTLINE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("FRONTLINE_MIRROR", mirror.url)
    path = ensure_data(["isw-areas"], progress=False)
    assert path == tmp_path / "cache" / "frontline"
    assert (path / AREAS).read_bytes() == (data_dir / AREAS).read_bytes()
    assert resolve_data_dir() == path  # analyses now find the fetched data


def test_ensure_data_leaves_a_configured_folder_alone(mirror, data_dir, monkeypatch):
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("FRONTLINE_MIRROR", mirror.url)
    assert ensure_data(["deepstate"], progress=False) == data_dir
    assert mirror.requests == []


def test_cli_fetch_prints_terms_and_a_summary(mirror, tmp_path, monkeypatch):
    monkeypatch.delenv("FRONTLINE_MIRROR", raising=False)
    result = CliRunner().invoke(cli, ["-q", "--data-dir", str(tmp_path), "fetch", "isw-areas",
                                      "--mirror", mirror.url, "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "ISW and AEI's Critical Threats Project" in result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("group,status,files,mb")
    assert "isw-areas,downloaded,4," in result.stdout
    assert os.path.exists(tmp_path / AREAS)


def test_cli_fetch_unknown_name_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "fetch", "nonsense"])
    assert result.exit_code == 1
    assert "neither a group nor a file" in result.output
    assert "Traceback" not in result.output


def test_unreachable_server_is_one_error(tmp_path):
    with LocalServer() as gone:
        url = f"{gone.url}/f.json"
    entries = _entry(url, b"x")  # the server has shut down: connections are refused
    with pytest.raises(FetchError, match="cannot connect"):
        fetch([], data_dir=tmp_path, entries=entries, mirror="", progress=False, retries=1,
              backoff=0.01, notice=lambda text: None)
    assert listing(tmp_path) == []


def test_cli_fetch_list_downloads_nothing(tmp_path):
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "fetch", "--list",
                                      "isw-areas", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "name,group,size,url,licence" and len(lines) == 5
    assert listing(tmp_path) == []
