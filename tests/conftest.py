"""Shared fixtures. Real-data tests read FRONTLINE_DATA_DIR (set by .ci/run).

A test that needs the real data FAILS (never skips) when FRONTLINE_DATA_DIR is set but
the files are missing; it skips only when the variable is not set at all.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")


#: Fixtures that read FRONTLINE_DATA_DIR (directly or through another fixture).
REAL_DATA_FIXTURES = {"data_dir", "history", "isw"}


def _real_data_dir() -> Path:
    value = os.environ.get("FRONTLINE_DATA_DIR")
    if not value:
        pytest.skip("FRONTLINE_DATA_DIR is not set (CI sets it to ../shared/data)")
    path = Path(value)
    for needed in ("isw/original_shapefiles_2024", "isw/area_tables", "deepstate/daily",
                   "boundaries"):
        if not (path / needed).is_dir():
            pytest.fail(f"FRONTLINE_DATA_DIR={value} but {needed}/ is missing there")
    return path


def pytest_collection_modifyitems(config, items):
    """Mark every test that needs the real data ``realdata``, so the fast offline tier is
    ``pytest -m "not realdata and not browser"`` (CONTRIBUTING.md)."""
    for item in items:
        needs = set(getattr(item, "fixturenames", ())) & REAL_DATA_FIXTURES
        if needs or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.realdata)


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory):
    """The whole test session uses one temporary layer cache, never the user's
    (``FRONTLINE_CACHE``; set before any session fixture loads data).
    """
    folder = tmp_path_factory.mktemp("frontline-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FRONTLINE_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real data directory (../shared/data in CI)."""
    return _real_data_dir()


@pytest.fixture(scope="session")
def history(data_dir):
    """Every source in the real data directory, loaded once (geometries read lazily)."""
    import frontline

    return frontline.load(data_dir)


@pytest.fixture(scope="session")
def gone_pid() -> int:
    """The id of a process that has ended: what a killed run's temporary names carry."""
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return int(child.stdout)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(autouse=True)
def _isolated_user_folders(tmp_path_factory, monkeypatch):
    """Keep tests away from the user's cache, archive, mirror and ArcGIS settings.

    ``frontline fetch`` fills ``~/.cache/frontline`` (which then serves as the data
    directory when none is configured) and the archive lives in ``~/.local/share``: point
    both at empty temporary folders so a developer's own data never changes a result.
    """
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "share"))
    for name in ("FRONTLINE_MIRROR", "FRONTLINE_ARCHIVE", "FRONTLINE_ARCGIS_URL"):
        monkeypatch.delenv(name, raising=False)
