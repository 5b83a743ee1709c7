"""History.prefetch: files parsed ahead in threads give what reading them one by one gives."""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import Polygon, box, mapping

import frontline
from frontline.cache import no_cache
from frontline.errors import FrontlineWarning
from frontline.geodesy import geodesic_area_km2

BOW_TIE = Polygon([(37.0, 48.0), (37.2, 48.1), (37.2, 48.0), (37.0, 48.1)])


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data" / "deepstate" / "daily"
    folder.mkdir(parents=True)
    shapes = [box(37.0, 48.0, 37.0 + 0.05 * n, 48.5) for n in range(1, 7)] + [BOW_TIE]
    for n, shape in enumerate(shapes):
        text = json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": mapping(shape)}]})
        (folder / f"deepstatemap_data_202408{n + 1:02d}.geojson").write_text(text)
    return tmp_path / "data"


def test_prefetch_in_threads_equals_reading_one_by_one(data):
    with no_cache():
        serial = frontline.load(data, sources=["deepstate"])
        dates = serial.dates("deepstate")
        with pytest.warns(FrontlineWarning, match="invalid polygon repaired"):
            expected = [serial.geometry("deepstate", d, "occupied") for d in dates]
        # the repair is reported every time: no warning is lost to a thread (shapely's
        # is_valid swaps the process's warning filters, so it must not run in workers)
        for _ in range(5):
            threaded = frontline.load(data, sources=["deepstate"])
            with pytest.warns(FrontlineWarning, match="invalid polygon repaired"):
                assert threaded.prefetch("deepstate", dates, ("occupied",), workers=3) == 7
        assert threaded.prefetch("deepstate", dates, ("occupied",), workers=3) == 0
    got = [threaded.geometry("deepstate", d, "occupied") for d in dates]
    assert all(shapely.equals_exact(a, b, 0.0) for a, b in zip(got, expected, strict=True))
    # the bow tie holds both loops: half the 0.2° x 0.1° box
    assert float(geodesic_area_km2(got[-1])) == pytest.approx(
        float(geodesic_area_km2(box(37.0, 48.0, 37.2, 48.1))) / 2, rel=1e-6)


def test_prefetch_fills_the_cache_as_reading_does(data, tmp_path, monkeypatch):
    monkeypatch.setenv("FRONTLINE_CACHE", str(tmp_path / "cache"))
    history = frontline.load(data, sources=["deepstate"])
    with pytest.warns(FrontlineWarning):
        history.prefetch("deepstate", history.dates("deepstate"), ("occupied",), workers=2)
    assert len(list((tmp_path / "cache" / "layers").rglob("*.parquet"))) == 7
