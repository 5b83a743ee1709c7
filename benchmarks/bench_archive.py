"""Cold load (raw files through the readers) against warm load (the GeoParquet archive).

Usage::

    FRONTLINE_DATA_DIR=../shared/data python benchmarks/bench_archive.py
    python benchmarks/bench_archive.py --data-dir ../shared/data --archive /tmp/fl-archive

Cold: every ISW zip and ISW GeoJSON under ``isw/`` and every DeepState daily file under
``deepstate/`` is read with :mod:`frontline.io.readers` (reprojected, dissolved: what an
analysis needs before it can measure anything). Warm: the same layers are loaded from the
archive with :func:`frontline.load_history`. The archive is built first (into a
temporary folder unless ``--archive`` names one that already holds the data). Target:
warm load of everything under 1 s.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from tqdm.auto import tqdm

from frontline.io.readers import read_file
from frontline.sources.archive import (
    import_paths,
    layer_files,
    load_history,
    read_manifest,
)


def raw_files(data_dir: Path, *, weekly: bool) -> list[Path]:
    files = layer_files([data_dir / "isw", data_dir / "deepstate"])
    return [f for f in files if weekly or not f.name.endswith(".topojson")]


def cold_load(files: list[Path]) -> tuple[float, int]:
    start = time.perf_counter()
    rows = 0
    for path in tqdm(files, desc="cold: reading raw files", unit="file"):
        rows += len(read_file(path))
    return time.perf_counter() - start, rows


def warm_load(root: Path, repeat: int) -> tuple[float, int]:
    best, rows = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        history = load_history(root)
        best = min(best, time.perf_counter() - start)
        rows = len(history.catalog)
    return best, rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("FRONTLINE_DATA_DIR", "../shared/data")))
    parser.add_argument("--archive", type=Path, default=None,
                        help="archive folder to build or reuse (default: a temporary one)")
    parser.add_argument("--weekly", action="store_true",
                        help="also Le Monde's weekly TopoJSON copies (isw-weekly)")
    parser.add_argument("--repeat", type=int, default=3, help="warm loads; the best counts")
    args = parser.parse_args(argv)

    files = raw_files(args.data_dir, weekly=args.weekly)
    print(f"{len(files)} raw files under {args.data_dir} "
          f"({sum(f.stat().st_size for f in files) / 1e6:.1f} MB)")
    cold_s, cold_rows = cold_load(files)

    with tempfile.TemporaryDirectory(prefix="frontline-bench-") as tmp:
        root = args.archive or Path(tmp) / "archive"
        start = time.perf_counter()
        report = import_paths(files, root=root, progress=True)
        import_s = time.perf_counter() - start
        manifest = read_manifest(root)
        size = sum(p.stat().st_size for p in root.rglob("*.parquet"))
        warm_s, warm_rows = warm_load(root, args.repeat)

    print(f"import into the archive: {import_s:6.2f} s  ({(report['status'] != 'unchanged').sum()} "
          f"layers written; archive {len(manifest)} layer vintages, {size / 1e6:.1f} MB "
          "GeoParquet)")
    print(f"cold load (raw files):   {cold_s:6.2f} s  ({cold_rows} layers)")
    print(f"warm load (archive):     {warm_s:6.2f} s  ({warm_rows} layers, best of "
          f"{args.repeat})")
    print(f"speed-up: {cold_s / warm_s:.0f}x; target warm < 1 s: "
          f"{'met' if warm_s < 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
