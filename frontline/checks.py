"""``frontline check``: every problem of a data directory, one line each.

Reads every file of a data directory (:func:`frontline.history.data_files`) through the
readers and their validation (:mod:`frontline.io.validate`), then looks at what only the
whole shows: copies of one area table that disagree
(:func:`~frontline.io.readers.combine_area_tables`) and glitch days
(:mod:`frontline.glitches`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable

import pandas as pd
from tqdm.auto import tqdm

from frontline.errors import CopiesDisagreeWarning, FrontlineError, FrontlineWarning
from frontline.glitches import find_glitches
from frontline.history import SOURCES, data_files
from frontline.io import readers
from frontline.settings import resolve_data_dir

__all__ = ["CHECK_COLUMNS", "check_data"]

CHECK_COLUMNS = ["kind", "file", "problem"]


def check_data(data_dir: str | os.PathLike | None = None, /, *,
               sources: Iterable[str] | None = None, progress: bool = False) -> pd.DataFrame:
    """Every problem found in a data directory: unreadable or invalid files, files read
    only with a repair or an assumed CRS, disagreeing copies, glitch days. An empty table
    means nothing was found.

    Returns
    -------
    pandas.DataFrame
        ``kind`` (``invalid``; ``warning``: a file read with a repair or an assumed CRS;
        ``copies disagree``; ``glitch``), ``file``, ``problem``.
    """
    root = resolve_data_dir(data_dir)
    wanted = set(SOURCES) if sources is None else set(sources)
    problems, tables = [], []
    files = [(p, s) for p, s in data_files(root) if s in wanted]
    for path, source in tqdm(files, desc="checking", unit="file", disable=not progress):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                warnings.filterwarnings("ignore", message="Measured \\(M\\) geometry types")
                table = readers.read_file(path)
        except FrontlineError as err:
            problems.append(("invalid", str(path), str(err)))
            continue
        # What the readers said about a file they could read (a repair, a CRS assumed).
        problems += [("warning", str(path), str(w.message)) for w in caught
                     if issubclass(w.category, FrontlineWarning)
                     and not issubclass(w.category, CopiesDisagreeWarning)]
        if source == "isw-areas":
            tables.append(table)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # listed below instead
        combined, disagreements = readers.combine_area_tables(tables)
    for row in disagreements[~disagreements["chosen"]].itertuples():
        chosen = disagreements[(disagreements["date"] == row.date)
                               & (disagreements["layer"] == row.layer)
                               & disagreements["chosen"]].iloc[0]
        problems.append(("copies disagree", row.file,
                         f"{row.date:%Y-%m-%d} {row.layer}: {row.area_km2:,.2f} km², other "
                         f"copy {chosen.area_km2:,.2f} ({chosen.rule}): not used"))
    if len(combined):
        for row in find_glitches(combined).itertuples():
            problems.append(("glitch", row.source,
                             f"{row.date:%Y-%m-%d} {row.layer}: {row.area_km2:,.2f} km² "
                             f"between {row.before_km2:,.2f} and {row.after_km2:,.2f} "
                             "(jumps and comes back; figures on this day are flagged)"))
    return pd.DataFrame(problems, columns=CHECK_COLUMNS)
