"""Where frontline finds its data."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DataDirError

ENV_DATA_DIR = "FRONTLINE_DATA_DIR"

HOW_TO_GET_DATA = (
    f"set {ENV_DATA_DIR} to a folder laid out like data/README.md describes "
    "(isw/, deepstate/, boundaries/), pass --data-dir, or run `frontline fetch`"
)


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Return the data directory: the argument, else ``$FRONTLINE_DATA_DIR``.

    Raises
    ------
    DataDirError
        When neither is set, or the folder does not exist.
    """
    if data_dir is None:
        data_dir = os.environ.get(ENV_DATA_DIR) or None
    if data_dir is None:
        raise DataDirError(f"No data directory configured: {HOW_TO_GET_DATA}.")
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise DataDirError(f"Data directory {path} does not exist: {HOW_TO_GET_DATA}.")
    return path
