"""Survey of bad inputs (issue 10): build one small bad input per class, run frontline on
it, and print what frontline does with each as a markdown table.

Run from the repository root (offline, well under 2 minutes)::

    PYTHONPATH=$PWD FRONTLINE_DATA_DIR=/work/shared/data python scripts/bad_input_survey.py

Each case runs in its own forked process (memory capped at 3 GB, a time limit), so a
crash, a memory blow-up or a hang costs only that row. Every input is built in a
temporary folder; the real data (``$FRONTLINE_DATA_DIR``) is used only by the rows that
name it. Verdicts:

- ``refused clearly``: a ``FrontlineError`` (CLI: one line, exit code ≠ 0) naming the problem;
- ``repaired and reported``: a figure equal to the one of the repaired input, with a warning;
- ``handled``: the right behaviour for a case that is not a refusal (a deadline kept, a
  column kept, the same vintage for two spellings of a date);
- ``UNCLEAR``: refused, but the message does not name what it should (file, option...);
- ``NOT HANDLED``: nothing wrong printed, but the fault is left as is (an empty table with
  exit 0, a temp file left behind, a column dropped);
- ``WRONG NUMBER``: a figure (or a date on a figure) that differs from the right one;
- ``TRACEBACK``: an exception that is not a ``FrontlineError``, or a crash.

Exit code 1 if any row is ``WRONG NUMBER`` or ``TRACEBACK``.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import multiprocessing
import os
import re
import resource
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
import warnings
import zipfile
from pathlib import Path

import click
import geopandas as gpd
import pandas as pd
import shapely
from click.testing import CliRunner
from shapely.geometry import MultiPolygon, Point, Polygon, box, mapping

import frontline
from frontline.cli import cli
from frontline.errors import FrontlineError
from frontline.geodesy import geodesic_area_km2

CASE_SECONDS = 40  # a case still running after this is a hang (a row, not the survey)
MEMORY_BYTES = 3 * 1024**3
STEM = "UkraineControlMapAO31OCT2024"
DAY = "2024-10-31"
# A rectangle near Pokrovsk (lon/lat) and its geodesic area: the right figure of a layer.
SHELL = box(37.0, 48.0, 37.2, 48.1)
SHELL_KM2 = float(geodesic_area_km2(SHELL))

CASES = []


def case(name, seconds=CASE_SECONDS):
    """Register a case: a function (tmp: Path) -> row dict (did, code, verdict)."""
    def register(func):
        CASES.append((name, func, seconds))
        return func
    return register


# ----------------------------------------------------------------- helpers


_TMP = re.compile(r"(/vsizip/)?/tmp/frontline-survey-[^/]+/")


def first_line(text) -> str:
    """The first line of a message (the ``Error:`` line of a usage error), temporary
    folders left out, cut to 150 characters."""
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error: ")]
    line = (errors or lines or [""])[0].removeprefix("Error: ")
    line = _TMP.sub("", line)
    return line if len(line) <= 150 else line[:147] + "..."


def _frontline_error():
    """The FrontlineError behind the last CLI error line (ClickException <- error)."""
    for shown in _SHOWN:
        if isinstance(shown.__cause__, FrontlineError):
            return shown.__cause__
    return None


def row(did, code, verdict) -> dict:
    return {"did": did, "code": code, "verdict": verdict}


_SHOWN = []  # the ClickExceptions the CLI printed: their __cause__ is frontline's error
_show = click.ClickException.show


def _record_show(self, file=None):
    _SHOWN.append(self)
    return _show(self, file)


click.ClickException.show = _record_show


def invoke(args, env=None):
    """Run the CLI in-process; returns click's Result."""
    _SHOWN.clear()
    return CliRunner().invoke(cli, ["-q", *map(str, args)], env=env, catch_exceptions=True)


def judge_cli(result, *, expect=None, column="area_km2", tol=0.01, names=(), parse=None,
              repair=False):
    """Verdict of one CLI run.

    ``expect`` None: the input must be refused. A number: the figure must equal it (the
    figure is the sum of ``column`` of the CSV on stdout, or ``parse(stdout)``).
    ``names``: strings the refusal must contain (file, option). ``repair``: the input
    needs a repair, which must be reported (a warning).
    """
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        return row(f"{type(exc).__name__}: {first_line(exc)}", result.exit_code, "TRACEBACK")
    stderr = result.stderr
    if result.exit_code != 0:
        message = first_line(stderr) or first_line(result.output)
        error = _frontline_error()
        if error is not None:
            message = f"{type(error).__name__}: {message}"
        if "Traceback" in stderr:
            return row(message, result.exit_code, "TRACEBACK")
        missing = [n for n in names if n not in stderr]
        verdict = "refused clearly" if not missing else f"UNCLEAR (does not name {missing[0]})"
        return row(message, result.exit_code, verdict)
    warned = first_line(stderr) if "Warning" in stderr else ""
    try:
        figure = parse(result.stdout) if parse else _csv_sum(result.stdout, column)
    except Exception as err:  # noqa: BLE001 - a row, not a crash
        return row(f"exit 0, output not parsed ({err})", 0, "NOT HANDLED")
    if figure is None:
        return row(f"exit 0, empty output {first_line(result.stdout)!r}", 0, "NOT HANDLED")
    did = f"prints {figure:,.2f} km²" + (f"; {warned}" if warned else "")
    if expect is None or abs(figure - expect) > tol:
        right = "should be refused" if expect is None else f"right: {expect:,.2f}"
        return row(f"{did} ({right})", 0, "WRONG NUMBER")
    if repair:
        return row(did, 0, "repaired and reported" if warned else "repaired silently")
    return row(did, 0, "repaired and reported" if warned else "handled")


def _csv_sum(text, column):
    frame = pd.read_csv(io.StringIO(text))
    if frame.empty:
        return None
    return float(pd.to_numeric(frame[column]).sum())


def judge_call(func, *, expect=None, tol=0.01, names=()):
    """Verdict of one Python call returning a figure (or raising)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            figure = func()
        except FrontlineError as err:
            missing = [n for n in names if n not in str(err)]
            verdict = "refused clearly" if not missing else f"UNCLEAR (does not name {missing[0]})"
            return row(f"{type(err).__name__}: {first_line(err)}", "-", verdict)
        except Exception as err:  # noqa: BLE001 - a bug, reported as a row
            return row(f"{type(err).__name__}: {first_line(err)}", "-", "TRACEBACK")
    warned = "; ".join(first_line(w.message) for w in caught
                       if issubclass(w.category, frontline.FrontlineWarning))
    did = f"returns {figure:,.2f} km²" + (f"; warns: {warned}" if warned else "")
    if expect is None or abs(figure - expect) > tol:
        right = "should be refused" if expect is None else f"right: {expect:,.2f}"
        return row(f"{did} ({right})", "-", "WRONG NUMBER")
    return row(did, "-", "repaired and reported" if warned else "handled")


def write_zip(zip_path: Path, stem: str, geometries, *, crs="EPSG:3857",
              written_crs=None, keep_prj=True) -> Path:
    """A zip holding ``stem``.shp as ISW packs its layers. ``geometries`` are lon/lat and
    reprojected to ``crs``; ``written_crs`` writes them as they are under that CRS instead.
    """
    if written_crs is not None:
        frame = gpd.GeoDataFrame({"area": [1] * len(geometries)}, geometry=geometries,
                                 crs=written_crs)
    else:
        frame = gpd.GeoDataFrame({"area": [1] * len(geometries)}, geometry=geometries,
                                 crs="EPSG:4326").to_crs(crs)
    work = Path(tempfile.mkdtemp(dir=zip_path.parent.parent if zip_path.parent.exists()
                                 else None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame.to_file(work / f"{stem}.shp", engine="pyogrio")
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w") as archive:
        for part in sorted(work.iterdir()):
            if keep_prj or part.suffix != ".prj":
                archive.write(part, part.name)
            part.unlink()
    work.rmdir()
    return zip_path


def data_dir_with_zip(tmp: Path, geometries, stem=STEM, **kwargs) -> Path:
    root = tmp / "data"
    write_zip(root / "isw" / "zips" / f"{stem}.zip", stem, geometries, **kwargs)
    return root


def areas_of(root: Path, *extra, source="isw"):
    return invoke(["--data-dir", root, "areas", "--source", source, "--format", "csv", *extra])


def area_table(tmp: Path, text: str, name="t.csv") -> Path:
    root = tmp / "data"
    path = root / "isw" / "area_tables" / name
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return root


def real_data() -> Path | None:
    value = os.environ.get("FRONTLINE_DATA_DIR")
    return Path(value) if value and Path(value).is_dir() else None


class Server:
    """A local HTTP server on 127.0.0.1: ``handler(path, query) -> (status, body,
    headers, drip)``; ``drip`` sends the body one byte every that many seconds."""

    def __init__(self, handler):
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                from urllib.parse import parse_qsl, urlsplit
                parts = urlsplit(self.path)
                owner.hits += 1
                status, body, headers, drip = handler(parts.path, dict(parse_qsl(parts.query)))
                self.send_response(status)
                for key, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    if drip:
                        for i in range(len(body)):
                            self.wfile.write(body[i:i + 1])
                            self.wfile.flush()
                            time.sleep(drip)
                    else:
                        self.wfile.write(body)
                except OSError:
                    pass

        self.hits = 0
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def registry_entry(name: str, data: bytes):
    import hashlib

    from frontline.sources.registry import Entry

    return Entry(name, "deepstate", "", hashlib.sha256(data).hexdigest(), len(data))


# ----------------------------------------------------------------- layers


@case("control layer whose geometries are all null")
def _null(tmp):
    return judge_cli(areas_of(data_dir_with_zip(tmp, [None, None])), names=[f"{STEM}.zip"])


@case("null geometries via History.from_frame")
def _null_frame(tmp):
    frame = gpd.GeoDataFrame({"date": [DAY, DAY], "layer": ["control"] * 2},
                             geometry=[None, None], crs="EPSG:4326")
    return judge_call(lambda: frontline.History.from_frame(frame).area_km2(
        "user", DAY, "control"))


@case("longitude and latitude swapped")
def _swapped(tmp):
    swapped = box(48.0, 37.0, 48.1, 37.2)
    root = data_dir_with_zip(tmp, [swapped], written_crs="EPSG:4326")
    return judge_cli(areas_of(root), names=["swapped"])


@case("Web Mercator coordinates under a degrees .prj")
def _mercator(tmp):
    metres = gpd.GeoSeries([SHELL], crs="EPSG:4326").to_crs("EPSG:3857").iloc[0]
    root = data_dir_with_zip(tmp, [metres], written_crs="EPSG:4326")
    return judge_cli(areas_of(root), names=[f"{STEM}.zip"])


@case("metre coordinates (UTM) under a degrees CRS")
def _utm(tmp):
    metres = gpd.GeoSeries([SHELL], crs="EPSG:4326").to_crs("EPSG:32637").iloc[0]
    root = data_dir_with_zip(tmp, [metres], written_crs="EPSG:4326")
    return judge_cli(areas_of(root), names=[f"{STEM}.zip"])


@case("polygon whose hole lies outside its shell")
def _hole_outside(tmp):
    hole = box(37.3, 48.0, 37.4, 48.1)
    bad = Polygon(SHELL.exterior.coords, [hole.exterior.coords[::-1]])
    # The hole cuts nothing out of the shell: the right figure is the shell's area.
    return judge_cli(areas_of(data_dir_with_zip(tmp, [bad])), expect=SHELL_KM2, repair=True)


@case("self-intersecting ring (bow tie)")
def _bow_tie(tmp):
    bow = Polygon([(37.0, 48.0), (37.2, 48.1), (37.2, 48.0), (37.0, 48.1)])
    right = float(geodesic_area_km2(shapely.make_valid(bow)))
    return judge_cli(areas_of(data_dir_with_zip(tmp, [bow])), expect=right, repair=True)


@case("Points layer")
def _points(tmp):
    root = data_dir_with_zip(tmp, [Point(37.0, 48.0), Point(37.1, 48.1)])
    return judge_cli(areas_of(root), names=["polygons only"])


@case("TopoJSON with projected (Web Mercator) arcs")
def _topojson(tmp):
    metres = gpd.GeoSeries([SHELL], crs="EPSG:4326").to_crs("EPSG:3857").iloc[0]
    ring = [[round(x), round(y)] for x, y in metres.exterior.coords]
    topo = {"type": "Topology", "arcs": [ring], "objects": {"control": {
        "type": "GeometryCollection",
        "geometries": [{"type": "Polygon", "arcs": [[0]], "properties": {}}]}}}
    path = tmp / "data" / "isw" / "weekly" / "control_map" / f"{DAY}.topojson"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(topo))
    return judge_cli(areas_of(tmp / "data", source="isw-weekly"), names=[path.name])


@case("Esri JSON without spatial reference (metres)")
def _esri(tmp):
    metres = gpd.GeoSeries([SHELL], crs="EPSG:4326").to_crs("EPSG:3857").iloc[0]
    esri = {"geometryType": "esriGeometryPolygon", "fields": [],
            "features": [{"attributes": {}, "geometry": {
                "rings": [[list(c) for c in metres.exterior.coords]]}}]}
    path = tmp / "data" / "isw" / "geojson" / f"{DAY}_UkraineControlMap.geojson"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(esri))
    return judge_cli(areas_of(tmp / "data"), names=[path.name])


@case("DeepState file with a crs member (EPSG:3857)")
def _deepstate_crs(tmp):
    metres = gpd.GeoSeries([SHELL], crs="EPSG:4326").to_crs("EPSG:3857").iloc[0]
    collection = {"type": "FeatureCollection",
                  "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
                  "features": [{"type": "Feature", "properties": {},
                                "geometry": mapping(MultiPolygon([metres]))}]}
    path = tmp / "data" / "deepstate" / "daily" / "deepstatemap_data_20241101.geojson"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(collection))
    # Read with its CRS, the layer is SHELL; refusing it is also honest.
    return judge_cli(areas_of(tmp / "data", source="deepstate"), expect=SHELL_KM2)


@case("control layer whose geometries are all empty")
def _all_empty(tmp):
    frame = gpd.GeoDataFrame({"date": [DAY], "layer": ["control"]},
                             geometry=[Polygon()], crs="EPSG:4326")
    return judge_call(lambda: frontline.History.from_frame(frame).area_km2(
        "user", DAY, "control"))


@case("shapefile without .prj (no CRS; Web Mercator metres)")
def _no_prj(tmp):
    # read_isw_zip documents that a missing .prj is inferred when the coordinates are
    # unambiguously Web Mercator over Ukraine: the right figure is then SHELL's.
    root = data_dir_with_zip(tmp, [SHELL], keep_prj=False)
    return judge_cli(areas_of(root), expect=SHELL_KM2, repair=True)


@case("zip that is not a zip (truncated download)")
def _bad_zip(tmp):
    path = data_dir_with_zip(tmp, [SHELL]) / "isw" / "zips" / f"{STEM}.zip"
    path.write_bytes(path.read_bytes()[:200])
    return judge_cli(areas_of(tmp / "data"), names=[f"{STEM}.zip"])


@case("unknown layer name (typo)")
def _unknown_layer(tmp):
    stem = "AssessedRussianAdvancsInUkrainOCT312024"
    return judge_cli(areas_of(data_dir_with_zip(tmp, [SHELL], stem=stem)), names=[stem])


@case("two files claiming one (source, date, layer)")
def _duplicate(tmp):
    root = data_dir_with_zip(tmp, [SHELL])
    write_zip(root / "isw" / "other" / f"{STEM}.zip", STEM, [box(37.0, 48.0, 37.4, 48.1)])
    return judge_cli(areas_of(root), names=["zips", "other"])


@case("layer total jumping 100-fold between two days")
def _jump(tmp):
    root = data_dir_with_zip(tmp, [SHELL])
    big = box(30.0, 45.0, 40.0, 52.0)
    stem = "UkraineControlMapAO01NOV2024"
    write_zip(root / "isw" / "zips2" / f"{stem}.zip", stem, [big])
    result = invoke(["--data-dir", root, "change", "--source", "isw", "--preset", "control",
                     "--from", DAY, "--to", "2024-11-01", "--format", "csv"])
    right = float(geodesic_area_km2(big)) - SHELL_KM2  # what the files say, if believed
    out = judge_cli(result, column="net_km2", expect=right, tol=0.5)
    if out["verdict"] == "handled":
        out["verdict"] = "NOT HANDLED (no warning)"
    return out


@case("layer name with two dates (…AO31OCT2024_export20241105)")
def _two_dates(tmp):
    stem = "UkraineControlMapAO31OCT2024_export20241105"
    result = areas_of(data_dir_with_zip(tmp, [SHELL], stem=stem))
    out = judge_cli(result, expect=SHELL_KM2)
    if out["verdict"] in ("handled", "repaired and reported"):
        dates = set(pd.read_csv(io.StringIO(result.stdout))["date"])
        if dates != {DAY}:
            return row(f"dated {', '.join(sorted(dates))} (the map is of {DAY})", 0,
                       "WRONG NUMBER")
        out["did"] += f", dated {DAY}"
    return out


@case("bad layer imported into the archive (null geometries)")
def _import_null(tmp):
    path = write_zip(tmp / "in" / f"{STEM}.zip", STEM, [None])
    result = invoke(["import", path, "--archive", tmp / "archive"])
    out = judge_cli(result, names=[f"{STEM}.zip"])
    if out["verdict"].startswith(("refused", "UNCLEAR")) and any(
            (tmp / "archive").rglob("*.parquet")):
        out["verdict"] = "NOT HANDLED"
        out["did"] += " (but a segment was written)"
    return out


# ----------------------------------------------------------------- area tables


def _table_case(tmp, rows, names=("t.csv",)):
    text = "date,layer,area_km2\n" + "".join(f"{d},{la},{a}\n" for d, la, a in rows)
    return judge_cli(areas_of(area_table(tmp, text), source="isw-areas"), names=names)


@case("area table: negative area")
def _negative(tmp):
    return _table_case(tmp, [("2025-01-01", "control", "-5")], names=("t.csv", "row 1"))


@case("area table: empty area")
def _empty(tmp):
    return _table_case(tmp, [("2025-01-01", "control", "")], names=("t.csv", "row 1"))


@case("area table: infinite area")
def _infinite(tmp):
    return _table_case(tmp, [("2025-01-01", "control", "inf")], names=("t.csv", "row 1"))


@case("area table: non-numeric area 'abc'")
def _abc(tmp):
    return _table_case(tmp, [("2025-01-01", "control", "abc")], names=("t.csv", "row 1"))


@case("area table: date in 2099")
def _future(tmp):
    return _table_case(tmp, [("2099-01-01", "control", "5")], names=("t.csv", "2099"))


@case("area table: one key twice")
def _twice(tmp):
    return _table_case(tmp, [("2025-01-01", "control", "5"), ("2025-01-01", "control", "7")],
                       names=("t.csv", "2 times"))


@case("area table: empty file")
def _empty_file(tmp):
    return judge_cli(areas_of(area_table(tmp, "", name="t.json"), source="isw-areas"),
                     names=["t.json"])


@case("area table: truncated JSON")
def _truncated_json(tmp):
    text = json.dumps([{"date": "2025-01-01", "layerType": "russian_advances",
                        "areaKm2": 5}])[:30]
    return judge_cli(areas_of(area_table(tmp, text, name="t.json"), source="isw-areas"),
                     names=["t.json"])


@case("area table: 5,000 bad rows (length of the message)")
def _long_message(tmp):
    rows = "".join(f"2099-01-{1 + i % 28:02d},control,{-i}\n" for i in range(5000))
    result = areas_of(area_table(tmp, "date,layer,area_km2\n" + rows), source="isw-areas")
    out = judge_cli(result, names=["t.csv"])
    if result.exit_code != 0:
        size = len(result.stderr)
        out["did"] = f"{size:,} characters: {out['did'][:90]}..."
        if size > 2000:
            out["verdict"] = "UNCLEAR (message too long to read)"
    return out


@case("area table with one key twice, imported into the archive")
def _twice_import(tmp):
    root = area_table(tmp, "date,layer,area_km2\n2025-01-01,control,5\n2025-01-01,control,7\n")
    result = invoke(["import", root / "isw" / "area_tables" / "t.csv", "--archive",
                     tmp / "archive"])
    return judge_cli(result, names=["t.csv"])


# ----------------------------------------------------------------- archive


def _archive_with(tmp, geometries_by_time):
    """An archive holding one control layer per (imported_at, geometry)."""
    from frontline.sources.archive import import_paths

    archive = tmp / "archive"
    for i, (when, geometry) in enumerate(geometries_by_time):
        path = write_zip(tmp / f"in{i}" / f"{STEM}.zip", STEM, [geometry])
        import_paths([path], root=archive, imported_at=pd.Timestamp(when))
    return archive


@case("--as-of 20261201 vs --as-of 2026-12-01")
def _as_of(tmp):
    bigger = box(37.0, 48.0, 37.4, 48.1)
    archive = _archive_with(tmp, [("2026-11-30 10:00", SHELL), ("2026-12-01 12:00", bigger)])
    figures, rows = {}, []
    for form in ("2026-12-01", "20261201", "2026-12-01T23:59"):
        result = invoke(["--archive", archive, "--as-of", form, "areas", "--source", "isw",
                         "--format", "csv"])
        out = judge_cli(result, expect=0.0, tol=float("inf"))
        if out["verdict"] in ("TRACEBACK",):
            return out
        figures[form] = _csv_sum(result.stdout, "area_km2") if result.exit_code == 0 else None
        rows.append(f"{form} → " + (f"{figures[form]:,.2f}" if figures[form] is not None
                                    else first_line(result.stderr)))
    did = "; ".join(rows)
    if figures["2026-12-01"] != figures["20261201"]:
        return row(did, 0, "WRONG NUMBER")
    if None in (figures["2026-12-01"], figures["20261201"]):
        return row(did, 1, "refused clearly")
    return row(did, 0, "handled")


@case("two conflicting files for one key in one import")
def _one_import(tmp):
    from frontline.sources.archive import import_paths, read_manifest

    a = write_zip(tmp / "a" / f"{STEM}.zip", STEM, [SHELL])
    b = write_zip(tmp / "b" / f"{STEM}.zip", STEM, [box(37.0, 48.0, 37.4, 48.1)])
    try:
        import_paths([a, b], root=tmp / "archive")
    except FrontlineError as err:
        return row(f"{type(err).__name__}: {first_line(err)}", "-", "refused clearly")
    manifest = read_manifest(tmp / "archive")
    keys = manifest[["vintage", "imported_at"]].astype(str).agg(" ".join, axis=1)
    did = f"{len(manifest)} vintages: " + ", ".join(keys)
    if manifest["vintage"].nunique() == len(manifest) and manifest["imported_at"].nunique() \
            == len(manifest):
        return row(did + " (distinct, ordered)", "-", "handled")
    return row(did + " (same identity: one unreachable by --as-of)", "-", "NOT HANDLED")


def _segment(archive: Path) -> Path:
    return next(p for p in sorted((archive / "segments").glob("*.parquet"))
                if not p.name.endswith("-areas.parquet"))


@case("bit-flipped archive segment")
def _bit_flip(tmp):
    archive = _archive_with(tmp, [("2026-11-30", SHELL)])
    segment = _segment(archive)
    data = bytearray(segment.read_bytes())
    # Flip a bit in every 97th byte of the middle of the file (pages, not the footer).
    for i in range(len(data) // 4, len(data) // 2, 97):
        data[i] ^= 0x10
    segment.write_bytes(bytes(data))
    return judge_cli(invoke(["--archive", archive, "areas", "--source", "isw", "--format",
                             "csv"]), names=[segment.name])


@case("replaced archive segment (valid Parquet, other geometry)")
def _replaced(tmp):
    archive = _archive_with(tmp, [("2026-11-30", SHELL)])
    segment = _segment(archive)
    frame = gpd.read_parquet(segment)
    frame = frame.set_geometry(frame.geometry.scale(2.0, 2.0))
    frame.to_parquet(segment)
    return judge_cli(invoke(["--archive", archive, "areas", "--source", "isw", "--format",
                             "csv"]), names=[segment.name])


@case("unknown manifest column (written by a newer version)")
def _manifest_column(tmp):
    from frontline.sources.archive import import_paths

    archive = _archive_with(tmp, [("2026-11-30", SHELL)])
    manifest = pd.read_parquet(archive / "manifest.parquet")
    manifest["checked_by"] = "frontline 9.9"
    manifest.to_parquet(archive / "manifest.parquet")
    other = write_zip(tmp / "x" / "ClaimedRussianTerritoryinUkraineOCT312024.zip",
                      "ClaimedRussianTerritoryinUkraineOCT312024", [box(37.5, 48.0, 37.6, 48.1)])
    try:
        import_paths([other], root=archive)
    except FrontlineError as err:
        return row(f"{type(err).__name__}: {first_line(err)}", "-", "refused clearly")
    after = pd.read_parquet(archive / "manifest.parquet")
    if "checked_by" in after.columns:
        return row("column kept by the next import", "-", "handled")
    return row("column dropped by the next import", "-", "NOT HANDLED")


@case("archive path that is a file")
def _archive_file(tmp):
    path = tmp / "archive"
    path.write_text("not a folder")
    return judge_cli(invoke(["--archive", path, "areas", "--source", "isw"]),
                     names=["archive"])


@case("import into a read-only archive")
def _read_only(tmp):
    archive = _archive_with(tmp, [("2026-11-30", SHELL)])
    other = write_zip(tmp / "x" / "ClaimedRussianTerritoryinUkraineOCT312024.zip",
                      "ClaimedRussianTerritoryinUkraineOCT312024", [box(37.5, 48.0, 37.6, 48.1)])
    locked = [archive, archive / "segments", *archive.rglob("*")]
    if os.geteuid() == 0:  # root ignores modes: make the folders immutable instead
        import subprocess

        done = subprocess.run(["chattr", "+i", *map(str, locked)], capture_output=True)
        if done.returncode != 0:
            return row("not tested: running as root and chattr +i is not allowed here", "-",
                       "NOT TESTED")
        unlock = ["chattr", "-i", *map(str, locked)]
    else:
        for path in locked:
            path.chmod(0o555 if path.is_dir() else 0o444)
        unlock = None
    try:
        return judge_cli(invoke(["import", other, "--archive", archive]),
                         names=[str(archive)])
    finally:
        if unlock:
            import subprocess

            subprocess.run(unlock, capture_output=True)


@case("disk full during an import (file size limit)")
def _disk_full(tmp):
    archive = _archive_with(tmp, [("2026-11-30", SHELL)])
    before = sorted(p.name for p in archive.rglob("*"))
    many = [box(37.0 + i * 0.001, 48.0, 37.0005 + i * 0.001, 48.1) for i in range(3000)]
    other = write_zip(tmp / "x" / "ClaimedRussianTerritoryinUkraineOCT312024.zip",
                      "ClaimedRussianTerritoryinUkraineOCT312024", many)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, resource.RLIM_INFINITY))
    out = judge_cli(invoke(["import", other, "--archive", archive]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
    after = sorted(p.name for p in archive.rglob("*"))
    if out["verdict"] != "TRACEBACK" and after != before:
        out["did"] += f" (archive changed: {len(after) - len(before)} new file(s) left)"
        out["verdict"] = "NOT HANDLED"
    return out


# ----------------------------------------------------------------- CLI options


@case("--polygon table.csv (real data)")
def _polygon_csv(tmp):
    table = tmp / "table.csv"
    table.write_text("date,layer,area_km2\n2025-01-01,control,5\n")
    return _option_case(["areas", "--source", "deepstate", "--date", "2024-10-31",
                         "--polygon", table, "--format", "csv"], "table.csv")


@case("--start after --end (monthly, real area table)")
def _start_after_end(tmp):
    if real_data() is None:
        return row("not tested: FRONTLINE_DATA_DIR is not set", "-", "NOT TESTED")
    result = invoke(["--data-dir", real_data(), "monthly", "--source", "isw-areas",
                     "--start", "2024-10", "--end", "2024-08", "--format", "csv"])
    return judge_cli(result, names=["2024-08", "2024-10"], column="net_km2")


def _option_case(args, option, **kwargs):
    root = real_data()
    if root is None:
        return row("not tested: FRONTLINE_DATA_DIR is not set", "-", "NOT TESTED")
    kwargs.setdefault("column", "net_km2")
    return judge_cli(invoke(["--data-dir", root, *args]), names=[option], **kwargs)


@case("bad option value: monthly --start 2024-13")
def _bad_start(tmp):
    return _option_case(["monthly", "--source", "isw-areas", "--start", "2024-13",
                         "--end", "2024-12", "--format", "csv"], "--start")


@case("bad option value: monthly --through 2024-02-30")
def _bad_through(tmp):
    return _option_case(["monthly", "--source", "isw-areas", "--start", "2024-01",
                         "--end", "2024-02", "--through", "2024-02-30", "--format", "csv"],
                        "--through")


@case("bad option value: change --from yesterday")
def _bad_from(tmp):
    return _option_case(["change", "--source", "isw-areas", "--from", "yesterday", "--to",
                         "2024-10-31", "--format", "csv"], "--from")


def _date_form(form, *, ambiguous):
    root = real_data()
    if root is None:
        return row("not tested: FRONTLINE_DATA_DIR is not set", "-", "NOT TESTED")
    result = invoke(["--data-dir", root, "areas", "--source", "isw-areas", "--date", form,
                     "--format", "csv"])
    out = judge_cli(result, names=["--date"], expect=0.0, tol=float("inf"))
    if result.exit_code == 0 and out["verdict"] != "TRACEBACK":
        dates = sorted(set(pd.read_csv(io.StringIO(result.stdout))["date"]))
        out["did"] = f"read as {', '.join(dates)}: {out['did'].split(' (')[0]}"
        out["verdict"] = "NOT HANDLED (an ambiguous date guessed)" if ambiguous else "handled"
    return out


@case("date form: areas --date 31/10/2024 (day first; real data)")
def _bad_date(tmp):
    return _date_form("31/10/2024", ambiguous=False)


@case("ambiguous date: areas --date 10/11/2024 (real data)")
def _ambiguous_date(tmp):
    return _date_form("10/11/2024", ambiguous=True)


@case("bad option value: --as-of tomorrow")
def _bad_as_of(tmp):
    archive = _archive_with(tmp, [("2026-11-30", SHELL)])
    return judge_cli(invoke(["--archive", archive, "--as-of", "tomorrow", "areas", "--source",
                             "isw", "--format", "csv"]), names=["--as-of"])


@case("bad option value: --near Pokrovsk --radius-km -5")
def _bad_radius(tmp):
    return _option_case(["areas", "--source", "deepstate", "--near", "Pokrovsk",
                         "--radius-km", "-5", "--date", "2024-10-31", "--format", "csv"],
                        "--radius-km")


@case("bad option value: --format xml")
def _bad_format(tmp):
    return judge_cli(areas_of(data_dir_with_zip(tmp, [SHELL]), "--format", "xml"),
                     names=["--format"])


@case("bad option value: --deepstate-lag -1")
def _bad_lag(tmp):
    return judge_cli(invoke(["--deepstate-lag", "-1", "--data-dir",
                             data_dir_with_zip(tmp, [SHELL]), "areas"]),
                     names=["--deepstate-lag"])


# ----------------------------------------------------------------- real data


@case("areas --source isw-areas (real data)")
def _real_isw_areas(tmp):
    root = real_data()
    if root is None:
        return row("not tested: FRONTLINE_DATA_DIR is not set", "-", "NOT TESTED")
    result = invoke(["--data-dir", root, "areas", "--source", "isw-areas", "--date",
                     "2024-08-31", "--format", "csv"])
    # ISW's own table: the three layers of AFP's preset on 2024-08-31 (data README: the
    # area tables and the polygons agree within 0.01 km²); checked against the file.
    table = frontline.io.read_area_table(root / "isw" / "area_tables" / "sdspieg_daily_areas.json")
    day = table[table["date"] == "2024-08-31"]
    return judge_cli(result, expect=float(day["area_km2"].sum()), tol=0.01)


@case("change --from 2023-05-31 --to 2023-06-30 (real data)")
def _real_change(tmp):
    root = real_data()
    if root is None:
        return row("not tested: FRONTLINE_DATA_DIR is not set", "-", "NOT TESTED")
    result = invoke(["--data-dir", root, "change", "--source", "isw", "--from", "2023-05-31",
                     "--to", "2023-06-30", "--format", "csv", "--all-columns"])

    def consistent(text):
        # No independent figure for these days: gained − lost must equal net, and net the
        # difference of the two totals (the method's own identities).
        frame = pd.read_csv(io.StringIO(text)).iloc[0]
        if abs(frame["gained_km2"] - frame["lost_km2"] - frame["net_km2"]) > 0.01 or abs(
                frame["total_end_km2"] - frame["total_start_km2"] - frame["net_km2"]) > 0.01:
            raise ValueError("gained − lost ≠ net")
        return float(frame["net_km2"])
    out = judge_cli(result, parse=consistent, expect=0.0, tol=float("inf"))
    if out["verdict"] == "handled":
        out["did"] += " (gained − lost = net = Δtotal)"
    return out


@case("monthly --start 2023-01 --end 2023-12 (real data)", seconds=90)
def _real_monthly(tmp):
    root = real_data()
    if root is None:
        return row("not tested: FRONTLINE_DATA_DIR is not set", "-", "NOT TESTED")
    result = invoke(["--data-dir", root, "monthly", "--start", "2023-01", "--end", "2023-12",
                     "--format", "csv", "--all-columns"])

    def chained(text):
        # Each month's net is its totals' difference, and each month starts where the
        # previous one ended: the year's net is then total(2023-12-31) − total(2022-12-31).
        frame = pd.read_csv(io.StringIO(text))
        if len(frame) != 12:
            raise ValueError(f"{len(frame)} rows, not 12")
        if ((frame["total_end_km2"] - frame["total_start_km2"] - frame["net_km2"]).abs()
                > 0.01).any():
            raise ValueError("net ≠ total_end − total_start")
        if (frame["total_start_km2"].iloc[1:].to_numpy()
                - frame["total_end_km2"].iloc[:-1].to_numpy()).__abs__().max() > 0.01:
            raise ValueError("months do not chain")
        return float(frame["net_km2"].sum())
    out = judge_cli(result, parse=chained, expect=0.0, tol=float("inf"))
    if out["verdict"] == "handled":
        out["did"] += " in 2023 (12 months; net = Δtotal, months chain)"
    return out


@case("chart run failing mid-way (file size limit; real data)", seconds=120)
def _charts_mid_way(tmp):
    root = real_data()
    if root is None:
        return row("not tested: FRONTLINE_DATA_DIR is not set", "-", "NOT TESTED")
    out_dir = tmp / "charts"
    out_dir.mkdir()
    names = [f"{stem}_2024-10.{ext}" for stem in ("monthly_gains", "gains_map", "pokrovsk")
             for ext in ("png", "svg", "csv")] + ["notes_2024-10.md"]
    for name in names:
        (out_dir / name).write_text("old\n")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, resource.RLIM_INFINITY))
    result = invoke(["--data-dir", root, "charts", "--month", "2024-10", "--through",
                     "2024-10-27", "--out", out_dir])
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
    out = judge_cli(result, expect=0.0, tol=float("inf"), parse=lambda text: 0.0)
    if result.exit_code == 0:
        return row("charts written despite the limit?", 0, "NOT TESTED")
    new = [n for n in names if (out_dir / n).read_bytes() != b"old\n"]
    stray = sorted(p.name for p in out_dir.iterdir() if p.name not in names)
    did = f"{out['did'][:100]}; {len(new)} of {len(names)} files replaced"
    did += f", {len(stray)} stray file(s)" if stray else ""
    mixed = 0 < len(new) < len(names) or stray
    did += " (a mixed set)" if mixed else " (old set intact)"
    if out["verdict"] == "TRACEBACK":
        return row(did, result.exit_code, "TRACEBACK")
    return row(did, result.exit_code, "NOT HANDLED" if mixed else out["verdict"])


# ----------------------------------------------------------------- network


def _fetch_case(tmp, reply, *, deadline, budget, retries):
    from frontline.sources.fetch import fetch

    data = b"x" * 200
    name = "deepstate/daily/deepstatemap_data_20241101.geojson"
    server = Server(lambda path, query: reply(data))
    start = time.monotonic()
    try:
        fetch([name], data_dir=tmp / "data", mirror=server.url, progress=False,
              entries={name: registry_entry(name, data)}, deadline=deadline, budget=budget,
              retries=retries, backoff=0.1)
    except FrontlineError as err:
        seconds = time.monotonic() - start
        left = [p.name for p in (tmp / "data").rglob("*") if p.is_file()]
        said = str(err).split("failed: ", 1)[-1]
        did = f"{type(err).__name__} after {seconds:.1f} s: {first_line(said)}"
        if left:
            return row(did + f" (left: {left})", "-", "NOT HANDLED")
        if seconds > budget + deadline + 1 or "gave up after" not in str(err):
            return row(did, "-", "UNCLEAR (no deadline in the message)")
        return row(did, "-", "refused clearly")
    except Exception as err:  # noqa: BLE001
        return row(f"{type(err).__name__}: {first_line(err)}", "-", "TRACEBACK")
    return row("download succeeded?", "-", "NOT HANDLED")


@case("slow-drip server (one byte every 0.5 s; deadline 1 s, budget 3 s)")
def _drip(tmp):
    return _fetch_case(tmp, lambda data: (200, data, {}, 0.5), deadline=1.0, budget=3.0,
                       retries=1)


@case("permanent 429 (Retry-After 1; budget 2.5 s)")
def _429(tmp):
    return _fetch_case(tmp, lambda data: (429, b"slow down", {"Retry-After": "1"}, None),
                       deadline=5.0, budget=2.5, retries=50)


@case("a killed fetch's temp file")
def _killed_fetch(tmp):
    from frontline.sources.fetch import fetch

    data = b"y" * 400
    name = "deepstate/daily/deepstatemap_data_20241101.geojson"
    entries = {name: registry_entry(name, data)}
    server = Server(lambda path, query: (200, data, {}, 0.05))
    target = tmp / "data"
    child = os.fork()
    if child == 0:  # the fetch that gets killed
        with contextlib.suppress(BaseException):
            fetch([name], data_dir=target, mirror=server.url, progress=False, entries=entries)
        os._exit(0)
    time.sleep(2.0)
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    left = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    if not left:
        return row("the killed fetch left no file", "-", "handled")
    # The next run, from a complete local mirror: does it clean or report the leftovers?
    mirror = tmp / "mirror"
    (mirror / name).parent.mkdir(parents=True)
    (mirror / name).write_bytes(data)
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import logging

        handler = logging.StreamHandler(stderr)
        logging.getLogger("frontline").addHandler(handler)
        try:
            fetch([name], data_dir=target, mirror=str(mirror), progress=False, entries=entries)
        except FrontlineError as err:
            return row(f"next fetch: {type(err).__name__}: {first_line(err)}", "-",
                       "refused clearly")
        except Exception as err:  # noqa: BLE001
            return row(f"next fetch: {type(err).__name__}: {first_line(err)}", "-", "TRACEBACK")
    said = stderr.getvalue() + " ".join(str(w.message) for w in caught)
    still = [p for p in left if (target / p).exists() and p != name]
    if not still:
        return row(f"killed fetch left {left}; the next fetch removed them", "-", "handled")
    if any(Path(p).name in said for p in still):
        return row(f"left {still}; the next fetch reports them", "-", "handled")
    return row(f"left {still} in the data directory; the next fetch says nothing", "-",
               "NOT HANDLED")


@case("non-dict ArcGIS feature (features: [1, \"x\"])")
def _arcgis(tmp):
    from frontline.sources.arcgis import snapshot_isw

    def answer(path, query):
        if not path.endswith("/query"):
            body = {"objectIdField": "OBJECTID", "maxRecordCount": 2000}
        elif query.get("returnCountOnly") == "true":
            body = {"count": 2}
        else:
            body = {"type": "FeatureCollection", "features": [1, "x"]}
        return 200, json.dumps(body).encode(), {"Content-Type": "application/json"}, None

    server = Server(answer)
    try:
        snapshot_isw(root=tmp / "archive", layers=["control"], base=server.url,
                     progress=False, retries=0)
    except FrontlineError as err:
        return row(f"{type(err).__name__}: {first_line(err)}", "-", "refused clearly")
    except Exception as err:  # noqa: BLE001
        return row(f"{type(err).__name__}: {first_line(err)}", "-", "TRACEBACK")
    return row("snapshot stored", "-", "NOT HANDLED")


# ----------------------------------------------------------------- running


def _run_isolated(func, seconds=CASE_SECONDS) -> dict:
    """Run one case in a forked child (memory cap, time limit); return its row."""
    tmp = Path(tempfile.mkdtemp(prefix="frontline-survey-"))
    try:
        return _run_child(func, seconds, tmp)
    finally:  # removed here, so a case killed for taking too long leaves nothing either
        shutil.rmtree(tmp, ignore_errors=True)


def _run_child(func, seconds, tmp: Path) -> dict:
    reader, writer = multiprocessing.Pipe(duplex=False)
    child = os.fork()
    if child == 0:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
            try:
                out = func(tmp)
            except BaseException as err:  # noqa: BLE001 - a crash is a row
                tail = traceback.extract_tb(err.__traceback__)[-1]
                where = f" ({Path(tail.filename).name}:{tail.lineno})"
                out = row(f"{type(err).__name__}: {first_line(err)}{where}", "-",
                          "TRACEBACK")
            writer.send(out)
        finally:
            os._exit(0)
    writer.close()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if reader.poll(0.1):
            try:
                out = reader.recv()
            except EOFError:
                out = None
            os.waitpid(child, 0)
            if out is not None:
                return out
            break
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            if reader.poll(0.2):
                return reader.recv()
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
            return row(f"the process died (signal {sig}, exit {os.WEXITSTATUS(status)}): "
                       "out of memory or a crash", "-", "TRACEBACK")
    else:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        return row(f"still running after {seconds} s (killed)", "-", "TRACEBACK")
    return row("the case ended without a result", "-", "TRACEBACK")


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def main() -> int:
    socket.setdefaulttimeout(30)
    start = time.monotonic()
    rows = []
    for name, func, seconds in CASES:
        began = time.monotonic()
        out = _run_isolated(func, seconds)
        rows.append((name, out, time.monotonic() - began))
        print(f"{time.monotonic() - start:6.1f} s  {out['verdict']:<22} {name}",
              file=sys.stderr)
    print("| input class | what frontline did | exit | verdict |")
    print("|---|---|---|---|")
    for name, out, _ in rows:
        print(f"| {_cell(name)} | {_cell(out['did'])} | {out['code']} | {out['verdict']} |")
    counts = pd.Series([out["verdict"].split(" (")[0] for _, out, _ in rows]).value_counts()
    print()
    print(f"{len(rows)} classes in {time.monotonic() - start:.0f} s: "
          + ", ".join(f"{n} {v}" for v, n in counts.items()))
    bad = [name for name, out, _ in rows if out["verdict"] in ("WRONG NUMBER", "TRACEBACK")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
