"""The registry of public data frontline knows how to fetch.

Every entry is one file of the data layout (``isw/``, ``deepstate/``, ``boundaries/``) with
its public address, sha256, size, licence and attribution. The registry is generated from
the data folder's ``MANIFEST.md`` tables by ``scripts/build_registry.py`` and shipped as
``frontline/sources/registry.json``; nothing here touches the network.

A file's public address is its GitHub repository, commit and path::

    https://raw.githubusercontent.com/<repo>/<commit>/<path>

Files no repository holds byte for byte (hand-made extracts, files from wheels) have no
address (``url == ""``): only a mirror (``FRONTLINE_MIRROR``) provides them.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from urllib.parse import quote

import pandas as pd

from frontline.errors import NotFoundError

__all__ = ["GROUPS", "ISW_TERMS", "Entry", "registry", "registry_table", "select_entries"]

RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"

#: Groups of the registry and what they hold.
GROUPS: dict[str, str] = {
    "deepstate": "DeepStateMap daily occupied-area polygons, 2024-07-08 to 2026-08-22",
    "isw-history": "ISW's daily download zips (2024) and full-resolution GeoJSON copies "
                   "(2022-2023 month ends)",
    "isw-areas": "Daily areas of ISW's layers (geodesic km²) from published tables",
    "isw-weekly": "Le Monde's simplified weekly TopoJSON copies of ISW layers, 2022-2026",
    "isw-extra": "AFP's published figures from ISW data (reference figures, mirror only)",
    "boundaries": "Ukraine's oblasts, raions and hromadas; country outlines",
    "towns": "Front-line towns and all Ukrainian places over 500 people (GeoNames)",
}

#: ISW's terms, shown before any ISW data is downloaded (copies or live layers).
ISW_TERMS = (
    "ISW/CTP data: these are maps by the Institute for the Study of War and AEI's Critical "
    "Threats Project. Attribute them as \"ISW and AEI's Critical Threats Project\". ISW "
    "does not allow redistribution without its consent "
    "(https://understandingwar.org/fair-use-and-attribution-policy/): keep the data for "
    "your own analysis; frontline never redistributes it."
)


@dataclass(frozen=True)
class Entry:
    """One downloadable file.

    Attributes
    ----------
    name : str
        Path in the data layout, e.g. ``deepstate/daily/deepstatemap_data_20241001.geojson``.
    group : str
        One of :data:`GROUPS`.
    url : str
        Public address, or ``""`` when only a mirror has the file.
    sha256, size
        Of the file as stored in the data layout.
    source_sha256 : str
        For ``transform == "gzip"``: sha256 of the file at ``url`` (stored gzipped).
    transform : str
        ``""`` (stored as downloaded) or ``"gzip"`` (gzipped after download).
    licence, attribution : str
        As stated by the source.
    isw_terms : bool
        A third-party copy of ISW data: :data:`ISW_TERMS` apply.
    repo, commit : str
        The GitHub repository and commit the file comes from (``""`` if none).
    """

    name: str
    group: str
    url: str
    sha256: str
    size: int
    source_sha256: str = ""
    transform: str = ""
    licence: str = ""
    attribution: str = ""
    isw_terms: bool = False
    repo: str = ""
    commit: str = ""


@lru_cache(maxsize=1)
def registry() -> dict[str, Entry]:
    """Every registry entry by name (read once from ``frontline/sources/registry.json``).

    Examples
    --------
    >>> entry = registry()["deepstate/daily/deepstatemap_data_20241001.geojson"]
    >>> entry.group, entry.url.startswith("https://raw.githubusercontent.com/")
    ('deepstate', True)
    """
    path = resources.files("frontline.sources").joinpath("registry.json")
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    columns = data["file_columns"]
    entries = {}
    for values in data["files"]:
        row = dict(zip(columns, values, strict=True))
        source = data["sources"][row["source"]]
        url = (RAW_URL.format(repo=source["repo"], commit=source["commit"],
                              path=quote(row["path"]))
               if source["repo"] and row["path"] else "")
        entries[row["name"]] = Entry(
            name=row["name"], group=row["group"], url=url, sha256=row["sha256"],
            size=int(row["size"]), source_sha256=row["source_sha256"],
            transform=row["transform"], licence=source["licence"],
            attribution=source["attribution"], isw_terms=bool(source["isw_terms"]),
            repo=source["repo"], commit=source["commit"],
        )
    return entries


def registry_table(entries: Iterable[Entry] | None = None) -> pd.DataFrame:
    """The registry (or a selection of it) as a table, one row per file.

    Examples
    --------
    >>> table = registry_table()
    >>> int((table["group"] == "deepstate").sum())
    769
    """
    entries = list(registry().values()) if entries is None else list(entries)
    columns = ["name", "group", "size", "sha256", "url", "isw_terms", "licence",
               "attribution"]
    return pd.DataFrame([{c: getattr(e, c) for c in columns} for e in entries],
                        columns=columns)


def select_entries(names: Iterable[str] = (), *,
                   entries: dict[str, Entry] | None = None) -> list[Entry]:
    """Entries for a list of names: groups, file names, folders or glob patterns.

    Parameters
    ----------
    names : iterable of str
        Each one is a group (``deepstate``), a file's path in the layout
        (``isw/area_tables/sdspieg_daily_areas.json``), a folder of the layout
        (``isw/original_shapefiles_2024/2024-10-31``), a glob over paths
        (``deepstate/daily/*202410*``) or a file's base name. None: every entry.
    entries : dict, optional
        The registry to select from (default: :func:`registry`).

    Raises
    ------
    KeyError
        A name that matches nothing, with the list of groups.

    Examples
    --------
    >>> len(select_entries(["isw/original_shapefiles_2024/2024-10-31"]))
    8
    """
    entries = registry() if entries is None else entries
    names = list(names)
    if not names:
        return list(entries.values())
    chosen: dict[str, Entry] = {}
    for name in names:
        folder = name.rstrip("/") + "/"
        hits = [e for e in entries.values()
                if e.group == name or e.name == name or e.name.startswith(folder)
                or fnmatch.fnmatch(e.name, name) or e.name.rsplit("/", 1)[-1] == name]
        if not hits:
            raise NotFoundError(
                f"{name!r} is neither a group nor a file of the registry: use a group "
                f"({', '.join(GROUPS)}), a path such as "
                "isw/area_tables/sdspieg_daily_areas.json, or `frontline fetch --list`."
            )
        chosen.update((e.name, e) for e in hits)
    return sorted(chosen.values(), key=lambda e: e.name)
