"""Files newer than the registry, from the public mirrors (``frontline fetch --latest``).

The registry pins every file it knows by sha256; the mirrors of
:data:`frontline.sources.services.MIRRORS` keep adding files after it was built. This
module lists a mirror (GitHub's git-trees API), picks the files matching its naming
pattern dated after the registry's last one (or from ``since``), and downloads them into
the data directory.

Trust on first use: a file the registry does not pin has no known hash, so its sha256
(and its git blob id) is recorded when it is first downloaded, in ``latest.json`` inside
the data directory's ``.frontline/`` folder. Later runs skip a file whose blob id is
unchanged without downloading it. A file that changed upstream is never overwritten: the
new bytes are kept as a new vintage under ``vintages/<sha256[:12]>/`` (a folder analyses
of the data directory do not read) and recorded; ``frontline update`` imports them into
the archive, where they become a new vintage of that day. A file the registry pins is
never touched.

Every download is checked against the git blob id the listing gave (a body cut short or
changed between listing and download is refused) and written atomically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pandas as pd

from frontline.errors import FetchError, InvalidArgumentError, ServiceError
from frontline.io.readers import parse_date
from frontline.io.writers import write_atomic
from frontline.settings import ENV_GITHUB_API, ENV_GITHUB_RAW
from frontline.sources.network import DEFAULT_POLICY, http_get, json_answer, new_session
from frontline.sources.registry import ISW_TERMS, Entry, registry
from frontline.sources.services import MIRRORS, Mirror

__all__ = ["ENV_GITHUB_API", "ENV_GITHUB_RAW", "RECORD", "fetch_latest", "read_record"]

log = logging.getLogger(__name__)

#: Where first-seen hashes are kept, relative to the data directory.
RECORD = ".frontline/latest.json"
VINTAGES = "vintages"

COLUMNS = ["name", "group", "date", "status", "sha256", "path", "mirror"]


def _api() -> str:
    return (os.environ.get(ENV_GITHUB_API) or "https://api.github.com").rstrip("/")


def _raw() -> str:
    return (os.environ.get(ENV_GITHUB_RAW) or "https://raw.githubusercontent.com").rstrip("/")


def git_blob_sha(data: bytes) -> str:
    """The git blob id of ``data`` (what GitHub's trees list for a file).

    Examples
    --------
    >>> git_blob_sha(b"")
    'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'
    """
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324


def read_record(data_dir: str | os.PathLike[str]) -> dict:
    """The first-seen record of a data directory: ``{name: {sha256, blob, url, ...}}``."""
    path = Path(data_dir) / RECORD
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise FetchError(
            f"{path}: the record of first-seen hashes is damaged ({err}): restore it from a "
            "backup or delete it (files downloaded before are then trusted again on next use)."
        ) from err


def _target(mirror: Mirror, base: str, match: re.Match) -> str:
    """Where a mirror file goes in the data layout."""
    return mirror.target.format(name=base, date=match.groupdict().get("date") or "")


def _registry_last(mirror: Mirror, entries) -> pd.Timestamp | None:
    """The last date of the registry's files this mirror also provides."""
    pattern = re.compile(mirror.pattern)
    dates = []
    for name in entries:
        base = name.rsplit("/", 1)[-1]
        match = pattern.match(base)
        if match and name == _target(mirror, base, match):
            dates.append(_date(match.group("date")))
    return max(dates) if dates else None


def _registry_first(group: str, entries) -> pd.Timestamp | None:
    """The first date in the names of the registry's files of ``group``."""
    days = [parse_date(name.rsplit("/", 1)[-1]) for name, entry in entries.items()
            if entry.group == group]
    days = [d for d in days if d is not None]
    return pd.Timestamp(min(days)) if days else None


def _date(text: str) -> pd.Timestamp:
    return pd.Timestamp(dt.date.fromisoformat(text) if "-" in text
                        else dt.datetime.strptime(text, "%Y%m%d").date())


def _listing(session, mirror: Mirror, policy) -> list[dict]:
    url = f"{_api()}/repos/{mirror.repo}/git/trees/{mirror.branch}"
    try:
        answer = http_get(session, url, params={"recursive": "1"}, policy=policy)
    except FetchError as err:
        raise ServiceError(f"{err} Check the network and ${ENV_GITHUB_API}.") from err
    found = json_answer(answer, fix="check the mirror table in frontline/sources/services.py.")
    if not isinstance(found, dict) or not isinstance(found.get("tree"), list):
        raise ServiceError(f"{url}: not a git tree listing (expected {{'tree': [...]}}): "
                           "check the mirror table in frontline/sources/services.py.")
    if found.get("truncated"):
        raise ServiceError(f"{url}: GitHub truncated the listing: frontline cannot tell "
                           "which files are newest; report this (the mirror outgrew it).")
    folder = mirror.folder.strip("/")
    return [item for item in found["tree"]
            if isinstance(item, dict) and item.get("type") == "blob"
            and (item.get("path", "").rsplit("/", 1)[0] if "/" in item.get("path", "") else "")
            == folder]


def _download(session, url: str, blob: str, policy) -> bytes:
    try:
        answer = http_get(session, url, policy=policy)
    except FetchError as err:
        raise FetchError(f"{err} Nothing was written; run `frontline fetch --latest` again.") \
            from err
    if answer.status >= 400:
        raise FetchError(f"{url}: HTTP {answer.status} {answer.reason}: nothing was written.")
    if blob and git_blob_sha(answer.body) != blob:
        raise FetchError(
            f"{url}: the file does not match the listing (git blob {blob[:12]}, got "
            f"{git_blob_sha(answer.body)[:12]}): it was cut short or changed while "
            "downloading; nothing was written; run `frontline fetch --latest` again.")
    return answer.body


def fetch_latest(groups: Iterable[str] = (), /, *, data_dir: str | os.PathLike[str],
                 since: str | dt.date | None = None, mirrors: Sequence[Mirror] = MIRRORS,
                 entries: dict[str, Entry] | None = None,
                 retries: int = 3, backoff: float = 1.0, deadline: float | None = None,
                 budget: float | None = None,
                 notice: Callable[[str], object] | None = None) -> pd.DataFrame:
    """Download the mirrors' files newer than the registry into ``data_dir``.

    Parameters
    ----------
    groups : iterable of str
        Registry groups (``deepstate``); empty: every mirror.
    data_dir : path-like
        The data directory written to (its ``.frontline/latest.json`` records hashes).
    since : date-like, optional
        Take files dated from this day on (default: after the registry's last date).
        Files the registry pins are never touched either way.
    mirrors : sequence of Mirror
        The mirror table (default: :data:`frontline.sources.services.MIRRORS`).
    entries : dict, optional
        The registry (default: :func:`frontline.sources.registry.registry`).
    retries, backoff, deadline, budget
        The network policy (:class:`~frontline.sources.network.HttpPolicy`).
    notice : callable, optional
        Receives ISW's terms before a copy of ISW data is downloaded (default: stderr).

    Returns
    -------
    pandas.DataFrame
        One row per file considered: ``name, group, date, status, sha256, path, mirror``;
        status ``added (trust on first use)``, ``present``, ``new vintage (changed
        upstream)``, ``pinned (registry)``, for a rolling file whose content is the
        registry's, ``present (pinned)``, or, for a back-fill mirror's file on a day the
        registry's files of its group hold, ``not taken (...)`` (nothing downloaded).
        Rolling files (one name, changed in place) are checked whatever ``since`` says.

    Raises
    ------
    InvalidArgumentError
        A group no mirror provides.
    ServiceError, FetchError
        A listing or a download failed; files finished before stay (complete, recorded).
    """
    groups = list(groups)
    known = {m.group for m in mirrors}
    unknown = sorted(set(groups) - known)
    if unknown:
        raise InvalidArgumentError(
            f"No public mirror for group(s) {unknown}: --latest knows {sorted(known)} "
            "(frontline/sources/services.py, MIRRORS).")
    entries = registry() if entries is None else entries
    root = Path(data_dir).expanduser()
    record = read_record(root)
    policy = DEFAULT_POLICY.with_(retries=retries, backoff=backoff, deadline=deadline,
                                  budget=budget)
    start = pd.Timestamp(since).normalize() if since is not None else None
    notice = notice or (lambda text: print(text, file=sys.stderr))
    rows, shown = [], False
    with new_session() as session:
        for mirror in mirrors:
            if groups and mirror.group not in groups:
                continue
            last = _registry_last(mirror, entries)
            first = _registry_first(mirror.group, entries) if mirror.back_fill else None
            pattern = re.compile(mirror.pattern)
            for item in sorted(_listing(session, mirror, policy), key=lambda i: i["path"]):
                base = item["path"].rsplit("/", 1)[-1]
                match = pattern.match(base)
                if not match:
                    continue
                name = _target(mirror, base, match)
                day = _date(match.group("date")) if "date" in match.groupdict() else pd.NaT
                row = {"name": name, "group": mirror.group, "date": day, "sha256": "",
                       "path": str(root / name), "mirror": mirror.repo}
                if mirror.rolling:
                    if mirror.isw_terms and not shown:
                        notice(ISW_TERMS)
                        shown = True
                    rows.append(_rolling(session, mirror, item, name, root, record, row,
                                         entries, policy))
                    write_atomic(root / RECORD, json.dumps(record, indent=1, sort_keys=True))
                    continue
                if (start is not None and day < start) or (
                        start is None and last is not None and day <= last):
                    continue
                if first is not None and day >= first:
                    rows.append({**row, "status": f"not taken (the registry's {mirror.group} "
                                                  f"files hold days from {first:%Y-%m-%d})"})
                    continue
                if name in entries:
                    rows.append({**row, "status": "pinned (registry)",
                                 "sha256": entries[name].sha256})
                    continue
                if mirror.isw_terms and not shown:
                    notice(ISW_TERMS)
                    shown = True
                rows.append(_one(session, mirror, item, name, root, record, row, policy))
                write_atomic(root / RECORD, json.dumps(record, indent=1, sort_keys=True))
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values(["group", "name"]).reset_index(drop=True)


def _one(session, mirror: Mirror, item: dict, name: str, root: Path, record: dict, row: dict,
         policy) -> dict:
    """Fetch one mirror file: first use, unchanged, or a new vintage."""
    blob = str(item.get("sha") or "")
    url = f"{_raw()}/{mirror.repo}/{mirror.branch}/{item['path']}"
    held = record.get(name)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    if held is not None:
        versions = [held, *held.get("vintages", [])]
        same = next((v for v in versions if blob and v.get("blob") == blob), None)
        if same is not None:
            return {**row, "status": "present", "sha256": same["sha256"],
                    "path": str(root / same.get("path", name))}
    body = _download(session, url, blob, policy)
    sha = hashlib.sha256(body).hexdigest()
    target = root / name
    if held is None and target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() \
            != sha:
        # A file put there by hand: keep it, and keep the mirror's copy as a vintage.
        held = {"sha256": hashlib.sha256(target.read_bytes()).hexdigest(), "blob": "",
                "url": "", "first_seen": now, "path": name, "vintages": [],
                "note": "present before frontline fetched it"}
        record[name] = held
    if held is None:
        write_atomic(target, body)
        record[name] = {"sha256": sha, "blob": blob, "url": url, "size": len(body),
                        "first_seen": now, "path": name, "vintages": []}
        log.info("%s: trust on first use, sha256 %s recorded", name, sha)
        return {**row, "status": "added (trust on first use)", "sha256": sha}
    versions = [held, *held.get("vintages", [])]
    same = next((v for v in versions if v.get("sha256") == sha), None)
    if same is not None:  # a new blob id for the same bytes
        same["blob"] = blob
        return {**row, "status": "present", "sha256": sha,
                "path": str(root / same.get("path", name))}
    where = f"{VINTAGES}/{sha[:12]}/{name}"
    write_atomic(root / where, body)
    held.setdefault("vintages", []).append(
        {"sha256": sha, "blob": blob, "url": url, "size": len(body), "first_seen": now,
         "path": where})
    log.warning("%s changed upstream (sha256 %s, first seen %s): kept as a new vintage in %s; "
                "the file first seen is unchanged.", name, sha[:12], held["first_seen"], where)
    return {**row, "status": "new vintage (changed upstream)", "sha256": sha,
            "path": str(root / where)}


def _rolling(session, mirror: Mirror, item: dict, name: str, root: Path, record: dict,
             row: dict, entries, policy) -> dict:
    """A file that keeps its name and changes in place: each new content is a vintage."""
    blob = str(item.get("sha") or "")
    url = f"{_raw()}/{mirror.repo}/{mirror.branch}/{item['path']}"
    held = record.get(name)
    versions = [] if held is None else [held, *held.get("vintages", [])]
    same = next((v for v in versions if blob and v.get("blob") == blob), None)
    if same is not None:
        return {**row, "status": "present", "sha256": same["sha256"],
                "path": str(root / same["path"])}
    pinned = entries.get(name)
    local = root / name
    if pinned is not None and local.is_file() and git_blob_sha(local.read_bytes()) == blob:
        return {**row, "status": "present (pinned)", "sha256": pinned.sha256}
    body = _download(session, url, blob, policy)
    sha = hashlib.sha256(body).hexdigest()
    if pinned is not None and sha == pinned.sha256:
        return {**row, "status": "present (pinned)", "sha256": sha}
    same = next((v for v in versions if v.get("sha256") == sha), None)
    if same is not None:
        same["blob"] = blob
        return {**row, "status": "present", "sha256": sha, "path": str(root / same["path"])}
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    where = f"{VINTAGES}/{sha[:12]}/{name}"
    write_atomic(root / where, body)
    version = {"sha256": sha, "blob": blob, "url": url, "size": len(body),
               "first_seen": now, "path": where}
    if held is None:
        record[name] = {**version, "vintages": []}
        status = ("new vintage (changed upstream)" if pinned is not None
                  else "added (trust on first use)")
    else:
        held.setdefault("vintages", []).append(version)
        status = "new vintage (changed upstream)"
    return {**row, "status": status, "sha256": sha, "path": str(root / where)}


def recorded_paths(data_dir: str | os.PathLike[str]) -> list[Path]:
    """Every file the record lists (first-seen copies and vintages) that exists."""
    root = Path(data_dir)
    paths = []
    for held in read_record(root).values():
        for version in [held, *held.get("vintages", [])]:
            path = root / version.get("path", "")
            if version.get("path") and path.is_file():
                paths.append(path)
    return sorted(paths)
