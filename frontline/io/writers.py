"""Writing tables to the terminal or files: csv, json, table, markdown."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from frontline.errors import InvalidArgumentError

FORMATS = ("csv", "json", "table", "markdown")


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as YYYY-MM-DD, geometry columns dropped."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    geometry_columns = [c for c in frame.columns if str(frame[c].dtype) == "geometry"]
    return pd.DataFrame(frame.drop(columns=geometry_columns))


def format_table(frame: pd.DataFrame, fmt: str = "table", *, floatfmt: str = ".2f") -> str:
    """Render a table as text in one of :data:`FORMATS`."""
    frame = _plain(frame)
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        return frame.to_json(orient="records", indent=2, force_ascii=False) + "\n"
    if fmt == "markdown":
        return frame.to_markdown(index=False, floatfmt=floatfmt) + "\n"
    if fmt == "table":
        with pd.option_context("display.max_rows", None, "display.max_columns", None,
                               "display.width", 250, "display.float_format",
                               lambda v: format(v, ",.2f")):
            return frame.to_string(index=False) + "\n"
    raise InvalidArgumentError(f"Unknown format {fmt!r}: choose one of {', '.join(FORMATS)}.")


def write_atomic(path, data: str | bytes) -> Path:
    """Write a file through a temporary name in the same folder, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a normal file is wanted
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


__all__ = ["FORMATS", "format_table", "write_atomic"]
