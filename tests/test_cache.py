"""The layer cache (frontline.cache): invalidation, damage, two runs at once, same figures.

Every test runs on a small DeepState-like data directory written here, with its own
cache folder (FRONTLINE_CACHE), so none touches the session's or the user's cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from shapely.geometry import box, mapping

import frontline
from frontline.cache import cache_root, cache_status, forget_cache, get_cache, no_cache
from frontline.cli import cli
from frontline.errors import FrontlineWarning
from frontline.geodesy import geodesic_area_km2
from frontline.regions import area_series, breakdown, distance_series

ROOT = Path(__file__).resolve().parents[1]
DAYS = ["20240801", "20240802", "20240803", "20240804"]


def _write_day(folder: Path, day: str, width: float) -> Path:
    shape = box(37.0, 48.0, 37.0 + width, 48.5)
    text = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": mapping(shape)}]})
    path = folder / "deepstate" / "daily" / f"deepstatemap_data_{day}.geojson"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    for n, day in enumerate(DAYS):
        _write_day(folder, day, 0.2 + 0.05 * n)
    return folder


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("FRONTLINE_CACHE", str(folder))
    return folder


def _figures(data) -> dict:
    """Every figure the tests compare: layer areas, totals, an area series, distances."""
    history = frontline.load(data, sources=["deepstate"])
    areas = history.layer_areas()["area_km2"].tolist()
    totals = [history.total_km2("deepstate", d, ("occupied",))
              for d in history.dates("deepstate")]
    area = gpd.GeoDataFrame({"name": ["square"]}, geometry=[box(37.1, 48.1, 37.3, 48.3)],
                            crs="EPSG:4326")
    within = area_series(history, area, source="deepstate")["controlled_km2"].tolist()
    distance = distance_series(history, (48.25, 37.6), source="deepstate")
    first, last = history.dates("deepstate")[[0, -1]]
    change = frontline.change(history, first, last, source="deepstate")
    by_unit = breakdown(change, area)
    return {"areas": areas, "totals": totals, "within": within,
            "distance": distance["distance_km"].tolist(),
            "change": [change.net_km2, change.gained_km2, change.lost_km2],
            "breakdown": by_unit[["gained_km2", "lost_km2", "net_km2"]].values.tolist()}


def test_tests_never_use_the_user_cache():
    assert "frontline-cache" in str(cache_root())  # tests/conftest.py's session folder


def test_figures_are_identical_with_and_without_the_cache(data, cache):
    with no_cache():
        plain = _figures(data)
    assert not cache.exists()  # nothing written with the cache off
    cold = _figures(data)  # fills the cache
    forget_cache()
    warm = _figures(data)  # reads it back, as a new run would
    assert plain == cold == warm  # exact: the same floats
    kinds = cache_status(cache).set_index("kind")["entries"]
    assert kinds["layers"] == len(DAYS) and kinds["index"] == 1 and kinds["measures"] >= 1
    # the figures are the right ones, not only the same ones
    expected = geodesic_area_km2(box(37.0, 48.0, 37.2, 48.5))
    assert plain["areas"][0] == pytest.approx(float(expected), abs=1e-9)
    assert plain["within"][0] == pytest.approx(
        float(geodesic_area_km2(box(37.1, 48.1, 37.2, 48.3))), abs=1e-6)
    # the first day is 0.20° wide, the last 0.35°: gained is the strip between them
    strip = float(geodesic_area_km2(box(37.2, 48.0, 37.35, 48.5)))
    assert plain["change"] == pytest.approx([strip, strip, 0.0], abs=1e-6)
    inside = float(geodesic_area_km2(box(37.2, 48.1, 37.3, 48.3)))
    assert plain["breakdown"] == [pytest.approx([inside, 0.0, inside], abs=1e-6)]


def test_a_changed_file_invalidates_its_entry(data, cache):
    before = frontline.load(data, sources=["deepstate"]).layer_areas()["area_km2"].tolist()
    path = _write_day(data, DAYS[0], 0.4)  # redrawn: wider
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    after = frontline.load(data, sources=["deepstate"]).layer_areas()["area_km2"].tolist()
    assert after[1:] == before[1:]
    assert after[0] == pytest.approx(float(geodesic_area_km2(box(37.0, 48.0, 37.4, 48.5))),
                                     abs=1e-9)
    assert after[0] > before[0] * 1.9
    with no_cache():
        assert frontline.load(data, sources=["deepstate"]).layer_areas()["area_km2"].tolist() \
            == after


def test_same_size_and_time_but_new_content_is_seen(data, cache):
    """Small files are keyed by their content too: a rewrite that keeps the size and the
    modification time is not served from the stale entry."""
    path = data / "deepstate" / "daily" / f"deepstatemap_data_{DAYS[1]}.geojson"
    before = frontline.load(data, sources=["deepstate"]).layer_areas()["area_km2"].tolist()
    stat = path.stat()
    text = path.read_text().replace("37.25", "37.35")  # same length
    assert len(text) == stat.st_size
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    after = frontline.load(data, sources=["deepstate"]).layer_areas()["area_km2"].tolist()
    assert after[1] == pytest.approx(float(geodesic_area_km2(box(37.0, 48.0, 37.35, 48.5))),
                                     abs=1e-9)
    assert after[1] != before[1]


def test_a_damaged_entry_is_rebuilt_with_a_warning(data, cache):
    expected = frontline.load(data, sources=["deepstate"]).layer_areas()["area_km2"].tolist()
    forget_cache()
    for entry in (cache / "layers").rglob("*.parquet"):
        entry.write_bytes(b"PAR1 not parquet at all")
    for segment in (cache / "measures").glob("*.parquet"):
        segment.write_bytes(segment.read_bytes()[:40])  # truncated
    with pytest.warns(FrontlineWarning, match="cache entry .* is damaged"):
        history = frontline.load(data, sources=["deepstate"])
        got = history.layer_areas()["area_km2"].tolist()
    assert got == expected
    forget_cache()
    # rebuilt: the next run reads it without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = frontline.load(data, sources=["deepstate"])
        assert [float(geodesic_area_km2(history.geometry("deepstate", d, "occupied")))
                for d in history.dates("deepstate")] == expected


_SCRIPT = """
import json, sys
import frontline
history = frontline.load(sys.argv[1], sources=["deepstate"])
print(json.dumps([repr(a) for a in history.layer_areas()["area_km2"]]))
"""


def test_two_processes_filling_the_cache_at_once(data, cache):
    env = {**os.environ, "FRONTLINE_CACHE": str(cache),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    runs = [subprocess.Popen([sys.executable, "-c", _SCRIPT, str(data)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    assert outputs[0][0] == outputs[1][0]
    with no_cache():
        plain = frontline.load(data, sources=["deepstate"]).layer_areas()["area_km2"]
    assert json.loads(outputs[0][0]) == [repr(a) for a in plain]
    assert len(list((cache / "layers").rglob("*.parquet"))) == len(DAYS)
    assert not list(cache.rglob("*.part"))  # no temporary file left behind


def test_cli_no_cache_and_cache_commands(data, cache):
    runner = CliRunner()
    args = ["--data-dir", str(data), "--no-cache", "areas", "--source", "deepstate",
            "--format", "csv"]
    plain = runner.invoke(cli, args)
    assert plain.exit_code == 0, plain.output
    assert not cache.exists()
    cached = runner.invoke(cli, [a for a in args if a != "--no-cache"])
    assert cached.exit_code == 0 and cached.stdout == plain.stdout
    status = runner.invoke(cli, ["cache", "status", "--format", "csv"])
    assert status.exit_code == 0
    assert "layers,4," in status.stdout
    cleared = runner.invoke(cli, ["cache", "clear"])
    assert cleared.exit_code == 0 and "removed" in cleared.stderr
    assert not list(cache.rglob("*.parquet"))


def test_frontline_cache_off(data, monkeypatch, tmp_path):
    monkeypatch.setenv("FRONTLINE_CACHE", "off")
    assert cache_root() is None and get_cache() is None
    history = frontline.load(data, sources=["deepstate"])
    assert history.store is None
    assert np.isfinite(history.layer_areas()["area_km2"].astype(float)).all()
    result = CliRunner().invoke(cli, ["cache", "status"])
    assert result.exit_code == 0 and "the cache is off" in result.stderr
