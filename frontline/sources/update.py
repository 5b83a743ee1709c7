"""``frontline update``: one command a newsroom runs every day.

It takes today's ISW layers (:func:`~frontline.sources.arcgis.snapshot_isw`), DeepState's
latest map (:func:`~frontline.sources.deepstate.snapshot_deepstate`) and the mirrors'
files newer than the registry (:func:`~frontline.sources.mirrors.fetch_latest`, then
imported), all into the archive. Each source is tried even when another fails; running
it again adds nothing that is already held (the archive keeps identical layers once).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from frontline.errors import FrontlineError
from frontline.sources.arcgis import snapshot_isw
from frontline.sources.archive import import_paths
from frontline.sources.deepstate import snapshot_deepstate
from frontline.sources.mirrors import fetch_latest, recorded_paths
from frontline.sources.registry import ISW_TERMS

__all__ = ["UpdateResult", "update"]

log = logging.getLogger(__name__)

_ADDED = ("added", "new vintage")


@dataclass
class UpdateResult:
    """What :func:`update` did: one report per source, the failures, a summary line."""

    reports: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)
    parts: list = field(default_factory=list)
    added: int = 0

    @property
    def ok(self) -> bool:
        """True when every source was read."""
        return not self.failures

    @property
    def summary(self) -> str:
        """One line: what was added (or that nothing was), and which sources failed."""
        head = (f"update: {self.added} added to the archive" if self.added
                else "update: nothing new")
        failed = "; ".join(f"{name} FAILED" for name in self.failures)
        return f"{head} ({'; '.join(self.parts)})" + (f"; {failed}" if failed else "")


def _count(report: pd.DataFrame) -> tuple[int, int]:
    status = report["status"].astype(str) if len(report) else pd.Series(dtype=str)
    return int(status.isin(_ADDED).sum()), int((status == "unchanged").sum())


def update(*, root: str | os.PathLike[str] | None = None, data_dir: str | os.PathLike[str],
           groups: Iterable[str] = (), notice: Callable[[str], object] | None = None,
           progress: bool = False,
           steps: Iterable[str] = ("isw", "deepstate", "mirrors")) -> UpdateResult:
    """Take the latest ISW and DeepState snapshots and the mirrors' newer files.

    Parameters
    ----------
    root : path-like, optional
        The archive.
    data_dir : path-like
        Where mirror files are downloaded (and their first-seen hashes recorded).
    groups : iterable of str
        Mirror groups to fetch (default: every mirror).
    notice : callable, optional
        Receives ISW's terms and DeepState's licence, once each, before the first
        download of each (default: stderr).
    progress : bool
    steps : iterable of str
        Which of ``isw``, ``deepstate``, ``mirrors`` to run.

    Returns
    -------
    UpdateResult
        ``summary`` is one line; ``ok`` is False when a source failed (its message is in
        ``failures``).
    """
    result = UpdateResult()
    said = set()
    tell = notice or (lambda text: print(text, file=sys.stderr))

    def once(text):
        if text not in said:
            said.add(text)
            tell(text)

    once(ISW_TERMS)  # before the first ISW layer is read
    notice = once
    for step in steps:
        try:
            if step == "isw":
                report = snapshot_isw(root=root, on_empty="skip", progress=progress)
                added, same = _count(report)
                result.parts.append(f"isw: {added} layer(s) added, {same} unchanged")
            elif step == "deepstate":
                report = snapshot_deepstate(root=root, notice=notice)
                added, _ = _count(report)
                line = report.iloc[0]
                result.parts.append(f"deepstate: map of {line['date']} "
                                    f"{'added' if added else 'unchanged'}")
            elif step == "mirrors":
                fetched = fetch_latest(list(groups), data_dir=data_dir, notice=notice)
                new = int(fetched["status"].str.startswith(("added", "new vintage")).sum())
                report = import_paths(recorded_paths(data_dir), root=root)
                added, _ = _count(report)
                report = pd.concat([fetched.assign(kind="fetch"), report.assign(kind="import")],
                                   ignore_index=True)
                result.parts.append(f"mirrors: {new} new file(s), {added} layer(s) imported")
            else:
                raise ValueError(f"unknown update step {step!r}")
        except FrontlineError as err:
            result.failures[step] = str(err)
            result.parts.append(f"{step}: failed")
            log.error("%s: %s", step, err)
            continue
        result.reports[step] = report
        result.added += added
    return result
