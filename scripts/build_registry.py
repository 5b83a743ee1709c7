"""Build ``frontline/sources/registry.json`` from the MANIFEST.md tables of a reference data folder.

Usage::

    python scripts/build_registry.py ../shared/data        # writes frontline/sources/registry.json
    python scripts/build_registry.py ../shared/data --check    # exits 1 if it is out of date

Every row of ``isw/MANIFEST.md``, ``isw/extra/MANIFEST.md``, ``deepstate/MANIFEST.md`` and
``boundaries/MANIFEST.md`` becomes one registry entry: its path in the data folder, the group
it belongs to, its size and sha256, and its source (a GitHub repository and commit, with the
licence and attribution). A file's public address is its repository, commit and path:
``https://raw.githubusercontent.com/<repo>/<commit>/<path>``. Files that no repository holds
byte for byte (extracts made by hand, files from wheels) get no address: they can only be
fetched from a mirror (``FRONTLINE_MIRROR``).

The script checks each row against the file on disk (size and sha256) so a registry is
never built from a manifest that disagrees with its data.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

REGISTRY = Path(__file__).resolve().parents[1] / "frontline" / "sources" / "registry.json"

# (manifest, prefix of its "file" column in the data folder)
MANIFESTS = [
    ("isw/MANIFEST.md", "isw/"),
    ("isw/extra/MANIFEST.md", "isw/extra/"),
    ("deepstate/MANIFEST.md", "deepstate/"),
    ("boundaries/MANIFEST.md", "boundaries/"),
]

# First matching prefix decides the group.
GROUPS = [
    ("deepstate/", "deepstate"),
    ("boundaries/settlements/", "towns"),
    ("boundaries/", "boundaries"),
    ("isw/boundaries_used/", "boundaries"),
    ("isw/original_shapefiles_2024/", "isw-history"),
    ("isw/original_shapefiles_2026/", "isw-history"),
    ("isw/nikkei_geojson/", "isw-history"),
    ("isw/lemonde_weekly_topojson/", "isw-weekly"),
    ("isw/area_tables/", "isw-areas"),
    ("isw/extra/", "isw-extra"),
]

# Folders whose files are copies of ISW/CTP data (ISW's terms apply).
ISW_DATA = ("isw/original_shapefiles_2024/", "isw/original_shapefiles_2026/",
            "isw/nikkei_geojson/",
            "isw/lemonde_weekly_topojson/", "isw/area_tables/")

_SHA = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"\b([0-9a-f]{40})\b")
_REPO = re.compile(r"^(?:GitHub\s+)?([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)(?:\s|$)")
_UNCOMPRESSED = re.compile(r"sha256 of uncompressed original:\s*([0-9a-f]{64})")
_ATTRIBUTION = re.compile(r"Attribut(?:ion|e):\s*'([^']+)'")


def group_of(name: str) -> str:
    for prefix, group in GROUPS:
        if name.startswith(prefix):
            return group
    raise ValueError(f"{name}: no group for this folder; add its prefix to GROUPS.")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _table_rows(text: str):
    """Data rows of the manifest's file tables: lists of stripped cells."""
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if any(_SHA.match(c) or _UNCOMPRESSED.match(c) for c in cells):
            yield cells


def _deepstate_source(text: str) -> tuple[str, str, str]:
    repo = re.search(r"GitHub \*\*([^*]+)\*\*", text).group(1)
    commit = _COMMIT.search(text).group(1)
    licence = re.search(r"Licence / attribution: (.+?)\n", text).group(1)
    return repo, commit, licence


def parse_manifest(root: Path, manifest: str, prefix: str) -> list[dict]:
    text = (root / manifest).read_text(encoding="utf-8")
    deepstate = _deepstate_source(text) if manifest.startswith("deepstate") else None
    entries = []
    for cells in _table_rows(text):
        i = next(k for k, c in enumerate(cells) if _SHA.match(c) or _UNCOMPRESSED.match(c))
        name = prefix + cells[0]
        # Rows added later give "690541 (gzip of 1877583)" and only the uncompressed
        # original's sha256: the stored file's own sha256 is then taken from disk.
        stored_sha = cells[i] if _SHA.match(cells[i]) else sha256(root / name)
        entry = {"name": name, "group": group_of(name),
                 "size": int(re.match(r"\d+", cells[i - 1]).group()),
                 "sha256": stored_sha, "repo": "", "commit": "", "path": "",
                 "source_sha256": "", "transform": ""}
        rest = " | ".join(cells[i:])
        if deepstate:
            entry.update(repo=deepstate[0], commit=deepstate[1], path=cells[1])
            licence = deepstate[2]
        else:
            licence = cells[i + 1] if len(cells) > i + 1 else ""
            repo = _REPO.match(cells[1]) if len(cells) > 3 else None
            commit = _COMMIT.search(cells[2]) if len(cells) > 3 else None
            derived = "DERIVED" in " ".join(cells[1:4])
            if repo and commit and not derived:
                # "public/data/daily_areas.json (identical blob also at ...)": the path only
                entry.update(repo=repo.group(1), commit=commit.group(1),
                             path=cells[3].split(" (")[0].strip())
        uncompressed = _UNCOMPRESSED.search(rest)
        if uncompressed:
            entry.update(source_sha256=uncompressed.group(1), transform="gzip")
        attribution = _ATTRIBUTION.search(licence)
        entry["licence"] = licence
        entry["attribution"] = attribution.group(1) if attribution else ""
        entry["isw_terms"] = name.startswith(ISW_DATA)
        entries.append(entry)
    return entries


def check_files(root: Path, entries: list[dict]) -> list[str]:
    problems = []
    for entry in entries:
        path = root / entry["name"]
        if not path.is_file():
            problems.append(f"{path}: listed in a MANIFEST but missing")
        elif path.stat().st_size != entry["size"] or sha256(path) != entry["sha256"]:
            problems.append(f"{path}: size or sha256 differs from its MANIFEST row")
    return problems


def build(root: Path) -> dict:
    entries = []
    for manifest, prefix in MANIFESTS:
        entries += parse_manifest(root, manifest, prefix)
    problems = check_files(root, entries)
    if problems:
        raise SystemExit("\n".join(problems[:20]) + f"\n{len(problems)} problem(s): fix the "
                         "data folder or its MANIFEST.md before building the registry.")
    # Licence texts repeat across hundreds of rows: store each source once.
    sources: dict[tuple, str] = {}
    files = []
    for entry in sorted(entries, key=lambda e: e["name"]):
        key = (entry["repo"], entry["commit"], entry["licence"], entry["attribution"],
               entry["isw_terms"])
        source_id = sources.setdefault(key, f"s{len(sources) + 1}")
        files.append([entry["name"], entry["group"], source_id, entry["path"], entry["size"],
                      entry["sha256"], entry["source_sha256"], entry["transform"]])
    return {
        "about": "Generated by scripts/build_registry.py from the data folder's MANIFEST.md "
                 "tables. Do not edit by hand.",
        "file_columns": ["name", "group", "source", "path", "size", "sha256",
                         "source_sha256", "transform"],
        "sources": {
            source_id: {"repo": k[0], "commit": k[1], "licence": k[2], "attribution": k[3],
                        "isw_terms": k[4]}
            for k, source_id in sources.items()
        },
        "files": files,
    }


def render(registry: dict) -> str:
    """JSON with one file per line, so diffs of the registry stay readable."""
    head = {k: v for k, v in registry.items() if k != "files"}
    text = json.dumps(head, indent=1, ensure_ascii=False)[:-2]
    lines = [json.dumps(row, ensure_ascii=False) for row in registry["files"]]
    return text + ',\n "files": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="data folder with isw/, deepstate/, boundaries/")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if frontline/sources/registry.json is "
                             "out of date")
    args = parser.parse_args(argv)
    text = render(build(args.data))
    if args.check:
        current = REGISTRY.read_text(encoding="utf-8") if REGISTRY.exists() else ""
        if current != text:
            print(f"{REGISTRY} is out of date: run scripts/build_registry.py", file=sys.stderr)
            return 1
        return 0
    REGISTRY.write_text(text, encoding="utf-8")
    print(f"wrote {REGISTRY} ({len(json.loads(text)['files'])} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
