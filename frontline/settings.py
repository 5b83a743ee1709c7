"""Where frontline finds its data."""

from __future__ import annotations

import os
from pathlib import Path

from frontline.errors import DataDirError

#: Every FRONTLINE_* environment variable frontline reads.
ENV_DATA_DIR = "FRONTLINE_DATA_DIR"
ENV_ARCGIS_URL = "FRONTLINE_ARCGIS_URL"
ENV_ARCHIVE = "FRONTLINE_ARCHIVE"
ENV_CACHE = "FRONTLINE_CACHE"
ENV_DEEPSTATE_URL = "FRONTLINE_DEEPSTATE_URL"
ENV_GITHUB_API = "FRONTLINE_GITHUB_API_URL"
ENV_GITHUB_RAW = "FRONTLINE_GITHUB_RAW_URL"
ENV_MIRROR = "FRONTLINE_MIRROR"

HOW_TO_GET_DATA = (
    f"set {ENV_DATA_DIR} to a folder laid out like data/README.md describes "
    "(isw/, deepstate/, boundaries/), pass --data-dir, or run `frontline fetch`"
)


def cache_dir() -> Path:
    """The user cache folder ``frontline fetch`` fills when no data directory is set.

    ``platformdirs.user_cache_dir("frontline")`` (``~/.cache/frontline`` on Linux,
    ``$XDG_CACHE_HOME/frontline`` when that is set). Nothing is created here.
    """
    import platformdirs

    return Path(platformdirs.user_cache_dir("frontline"))


def _holds_fetched_data(path: Path) -> bool:
    return any((path / name).is_dir() for name in ("isw", "deepstate"))


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Return the data directory: the argument, else ``$FRONTLINE_DATA_DIR``, else the
    user cache folder (:func:`cache_dir`) when ``frontline fetch`` has filled it.

    Raises
    ------
    DataDirError
        When neither is set, or the folder does not exist.
    """
    if data_dir is None:
        data_dir = os.environ.get(ENV_DATA_DIR) or None
    if data_dir is None and _holds_fetched_data(cache_dir()):
        data_dir = cache_dir()
    if data_dir is None:
        raise DataDirError(f"No data directory configured: {HOW_TO_GET_DATA}.")
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise DataDirError(f"Data directory {path} does not exist: {HOW_TO_GET_DATA}.")
    return path
