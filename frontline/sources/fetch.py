"""Download the registry's files: hash-checked, atomic, with retries and a progress bar.

:func:`fetch` puts files into the data layout (``isw/``, ``deepstate/``, ``boundaries/``)
of a data directory: ``FRONTLINE_DATA_DIR`` when set, else the user cache folder.
Downloads go through :func:`pooch.retrieve` and :func:`frontline.sources.network.http_get`
(an overall deadline per request, a bounded retry budget): each file is written to a temporary name
beside its target (in a ``.frontline-fetch-<pid>-*`` folder), its sha256 is checked, and
only then is it moved into place, so a failed download leaves nothing behind; what a killed
run leaves is removed, and logged, by the next :func:`fetch`
(:func:`frontline.io.writers.clean_stale_temps`).
Files already present are verified (sha256), not downloaded again; a present file whose
hash is wrong is replaced.

``FRONTLINE_MIRROR`` (or ``mirror=``) makes every download come from a local copy laid
out like the data folder: a directory (files are copied) or a base URL (``<url>/<name>``).
The same hash checks apply.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import logging
import os
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pooch
import requests
from tqdm.auto import tqdm

from frontline.errors import FetchError, one_line
from frontline.io.writers import clean_stale_temps, temp_folder, write_atomic
from frontline.settings import ENV_DATA_DIR, ENV_MIRROR, cache_dir, resolve_data_dir
from frontline.sources.network import (
    DEFAULT_POLICY,
    USER_AGENT,
    HttpPolicy,
    http_get,
    new_session,
)
from frontline.sources.registry import ISW_TERMS, Entry, select_entries

__all__ = ["ENV_MIRROR", "TEMP_PREFIX", "USER_AGENT", "ensure_data", "fetch", "verify_file"]

log = logging.getLogger(__name__)


class _Downloader:
    """A pooch downloader: local copies, or HTTP(S) with retries, counting into one bar."""

    def __init__(self, session: requests.Session, *, policy: HttpPolicy, bar=None):
        self.session = session
        self.policy = policy
        self.bar = bar

    def __call__(self, url: str, output_file, pooch_obj, check_only: bool = False):
        if check_only:
            return True
        if "://" not in url or url.startswith("file://"):
            source = Path(url.removeprefix("file://"))
            if not source.is_file():
                raise FetchError(f"not in the mirror: {source} does not exist")
            shutil.copyfile(source, output_file)
            self._count(source.stat().st_size)
            return None
        answer = http_get(self.session, url, policy=self.policy, sink=output_file,
                          on_bytes=self._count)
        if answer.status >= 400:
            Path(output_file).unlink(missing_ok=True)
            raise FetchError(f"HTTP {answer.status} {answer.reason}")
        return None

    def _count(self, nbytes: int) -> None:
        if self.bar is not None:
            self.bar.update(nbytes)


# ----------------------------------------------------------------- verification


def _sha256(path: Path, *, gunzip: bool = False) -> str:
    digest = hashlib.sha256()
    opener = gzip.open if gunzip else open
    with opener(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: str | os.PathLike[str], entry: Entry) -> bool:
    """Whether ``path`` holds ``entry``'s data (sha256; gzipped files by their content).

    Examples
    --------
    >>> from frontline.sources.registry import Entry
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty.txt"
    >>> _ = path.write_bytes(b"")
    >>> empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    >>> verify_file(path, Entry("empty.txt", "towns", "", empty, 0))
    True
    """
    path = Path(path)
    if not path.is_file():
        return False
    if _sha256(path) == entry.sha256:
        return True
    if entry.transform == "gzip" and entry.source_sha256:
        # Our gzip of the original need not be byte-identical to the registry's copy.
        try:
            return _sha256(path, gunzip=True) == entry.source_sha256
        except (OSError, EOFError, gzip.BadGzipFile):
            return False
    return False


# ----------------------------------------------------------------- fetching


def _source(entry: Entry, mirror: str | None) -> tuple[str, str, str]:
    """(address, sha256 of what arrives, transform to apply) for one entry."""
    if mirror:
        if "://" in mirror and not mirror.startswith("file://"):
            return f"{mirror.rstrip('/')}/{quote(entry.name)}", entry.sha256, ""
        root = Path(mirror.removeprefix("file://")).expanduser()
        return str(root / entry.name), entry.sha256, ""
    if entry.transform:
        return entry.url, entry.source_sha256, entry.transform
    return entry.url, entry.sha256, ""


@contextlib.contextmanager
def _quiet_pooch():
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


#: Every temporary folder :func:`fetch` makes in a data directory starts with this, then
#: the process id: ``.frontline-fetch-<pid>-<random>``
#: (:func:`frontline.io.writers.temp_folder`). One left by a run that was killed (its
#: process is gone) is removed by the next :func:`fetch`, which says so
#: (:func:`frontline.io.writers.clean_stale_temps`).
TEMP_PREFIX = ".frontline-fetch-"


def _download(entry: Entry, target: Path, url: str, sha: str, transform: str,
              downloader: _Downloader) -> None:
    # pooch writes its own temporary file beside its output: keep both inside a folder of
    # frontline's naming (TEMP_PREFIX), so what a killed run leaves is recognised later.
    with temp_folder(target.parent, TEMP_PREFIX) as tmp:
        if not transform:
            raw = pooch.retrieve(url, known_hash=f"sha256:{sha}", fname=target.name,
                                 path=tmp, downloader=downloader)
            os.replace(raw, target)
            return
        # Download the original, check it, then store it gzipped.
        raw = pooch.retrieve(url, known_hash=f"sha256:{sha}", fname="original",
                             path=tmp, downloader=downloader)
        write_atomic(target, gzip.compress(Path(raw).read_bytes(), compresslevel=9, mtime=0))


def data_target(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where :func:`fetch` writes: ``data_dir``, else ``$FRONTLINE_DATA_DIR``, else the cache."""
    chosen = data_dir or os.environ.get(ENV_DATA_DIR) or cache_dir()
    return Path(chosen).expanduser()


def fetch(names: Iterable[str] = (), /, *, data_dir: str | os.PathLike[str] | None = None,
          mirror: str | None = None, progress: bool = True,
          retries: int = 3, backoff: float = 1.0, deadline: float | None = None,
          budget: float | None = None, entries: dict[str, Entry] | None = None,
          notice: Callable[[str], object] | None = None) -> pd.DataFrame:
    """Download registry files into a data directory; verify the ones already there.

    Parameters
    ----------
    names : iterable of str
        Groups (``deepstate``, ``isw-history``...), files, folders or glob patterns of the
        registry (see :func:`frontline.sources.registry.select_entries`). Empty: everything.
    data_dir : path-like, optional
        Default: ``$FRONTLINE_DATA_DIR``, else the user cache folder.
    mirror : str, optional
        A directory or base URL laid out like the data folder. Default:
        ``$FRONTLINE_MIRROR``; ``""`` ignores it and uses the registry's addresses.
    progress : bool
        One progress bar (bytes) over all downloads, on stderr.
    retries, backoff
        Further attempts after a failed request, and the first wait (doubled each time).
    deadline, budget : float, optional
        Seconds one attempt may take (connect and whole body), and all attempts of one
        file together (default: :data:`frontline.sources.network.DEFAULT_POLICY`).
    entries : dict, optional
        A registry to use instead of :func:`frontline.sources.registry.registry`.
    notice : callable, optional
        Receives ISW's terms before any copy of ISW data is downloaded. Default: print
        them on stderr.

    Returns
    -------
    pandas.DataFrame
        One row per file: ``name, group, status, size, path``; ``status`` is
        ``present`` (verified), ``downloaded``, ``replaced`` (a corrupt copy was
        replaced) or ``no address`` (only a mirror has it).

    Raises
    ------
    FetchError
        The first file that cannot be downloaded and verified; the files finished before
        it stay (complete and verified), nothing partial is left.
    KeyError
        A name that matches nothing in the registry.
    """
    chosen = select_entries(names, entries=entries)
    mirror = mirror if mirror is not None else (os.environ.get(ENV_MIRROR) or None)
    dest = data_target(data_dir)
    notice = notice or (lambda text: print(text, file=sys.stderr))
    clean_stale_temps(dest, prefix=TEMP_PREFIX, recursive=True)

    rows, todo = [], []
    for entry in chosen:
        target = dest / entry.name
        if verify_file(target, entry):
            rows.append((entry, "present", target))
        elif not mirror and not entry.url:
            rows.append((entry, "no address", target))
        else:
            todo.append((entry, "replaced" if target.exists() else "downloaded", target))
    missing = [e.name for e, status, _ in rows if status == "no address"]
    if missing:
        log.warning("%d file(s) have no public address and no mirror is set (%s%s): set %s "
                    "to a copy of the data folder to get them.", len(missing), missing[0],
                    ", ..." if len(missing) > 1 else "", ENV_MIRROR)
    if any(entry.isw_terms for entry, _, _ in todo):
        notice(ISW_TERMS)

    session = new_session()
    total = sum(entry.size for entry, _, _ in todo)
    with (tqdm(total=total, unit="B", unit_scale=True, desc="fetching", disable=not progress,
               file=sys.stderr) as bar, _quiet_pooch(), session):
        policy = DEFAULT_POLICY.with_(retries=retries, backoff=backoff, deadline=deadline,
                                      budget=budget)
        downloader = _Downloader(session, policy=policy, bar=bar)
        for entry, status, target in todo:
            url, sha, transform = _source(entry, mirror)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                _download(entry, target, url, sha, transform, downloader)
            except (FetchError, ValueError, OSError, requests.RequestException) as err:
                if not mirror and "cannot connect" in str(err):
                    raise FetchError(
                        f"{entry.name}: {url.split('/')[2]} cannot be reached "
                        f"({one_line(err)}). No data and no network: offline, point "
                        "frontline at a local copy laid out like the data folder: "
                        f"{ENV_DATA_DIR}=../shared/data (read in place) or "
                        f"{ENV_MIRROR}=../shared/data (copied into the cache). Nothing was "
                        f"written to {target}."
                    ) from err
                where = f"mirror {mirror}" if mirror else "its source"
                raise FetchError(
                    f"{entry.name}: download from {url} failed: {one_line(err)}. Nothing "
                    f"was written to {target}. Run `frontline fetch {entry.name}` again "
                    f"later; if it keeps failing, {where} has changed: set {ENV_MIRROR} to "
                    "a copy laid out like the data folder."
                ) from err
            rows.append((entry, status, target))
    table = pd.DataFrame(
        [{"name": e.name, "group": e.group, "status": s, "size": e.size, "path": str(p)}
         for e, s, p in rows],
        columns=["name", "group", "status", "size", "path"])
    return table.sort_values("name").reset_index(drop=True)


def ensure_data(groups: Iterable[str] = (), data_dir: str | os.PathLike[str] | None = None,
                progress: bool = True) -> Path:
    """The data directory to use, fetching ``groups`` first when none is configured.

    With ``data_dir`` or ``$FRONTLINE_DATA_DIR`` set, that folder is returned as it is
    (it is the user's; nothing is downloaded into it). Otherwise the user cache folder is
    filled with the registry's ``groups`` (files already there are verified, not
    downloaded again) and returned: the main command works on a fresh machine.

    Parameters
    ----------
    groups : iterable of str
        Registry groups or names (see :func:`fetch`), e.g. ``["isw-areas"]``.
    data_dir : path-like, optional
    progress : bool

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataDirError
        ``data_dir`` (or ``$FRONTLINE_DATA_DIR``) names a folder that does not exist.
    FetchError
        A download failed.
    """
    configured = data_dir or os.environ.get(ENV_DATA_DIR) or None
    if configured is not None:
        return resolve_data_dir(configured)
    dest = cache_dir()
    fetch(list(groups), data_dir=dest, progress=progress)
    return dest
