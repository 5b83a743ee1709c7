"""The README's common questions: frontline's first and second run against a naive script.

Run:  FRONTLINE_DATA_DIR=../shared/data python benchmarks/bench_cli.py

For each question three timings, side by side in this one run:

* first  : ``frontline ...`` as a fresh process with an empty layer cache (a new,
           temporary FRONTLINE_CACHE per question): every file read from its raw form;
* second : the same command again (a new process; the cache filled by the first run);
* naive  : the obvious geopandas/pyogrio script answering the same question, timed in
           this process (its imports are already loaded, which favours it).

The command's wall time includes Python's start-up and imports (about 1.1 s on these
machines), with compiled bytecode kept as a normal installation keeps it. Ratios are
frontline's time over the naive script's (lower is better).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Geod, Transformer

warnings.filterwarnings("ignore", message="Measured")
warnings.filterwarnings("ignore", category=RuntimeWarning, message="organizePolygons")
DATA = Path(os.environ.get("FRONTLINE_DATA_DIR", "../shared/data")).resolve()
ROOT = Path(__file__).resolve().parents[1]
GEOD = Geod(ellps="WGS84")
DEEPSTATE = DATA / "deepstate" / "daily"
ZIPS = DATA / "isw" / "original_shapefiles_2024"
RAIONS = DATA / "boundaries" / "osm_darmat1" / "adm2_raions_by_oblast"
POKROVSK = (48.28014, 37.17706)  # lat, lon (GeoNames 704422)

QUESTIONS = {
    "monthly ISW 2025": ["monthly", "--start", "2025-01", "--end", "2025-12"],
    "monthly DeepState 2024-08..2026-07": ["monthly", "--source", "deepstate",
                                           "--start", "2024-08", "--end", "2026-07",
                                           "--gap-policy", "previous"],
    "areas Pokrovsk raion (DeepState)": ["areas", "--source", "deepstate",
                                         "--area", "Pokrovsk raion"],
    "distance to Pokrovsk (DeepState)": ["distance", "--town", "Pokrovsk",
                                         "--source", "deepstate"],
    "change 2024-09-29..10-26 by oblast": ["change", "--from", "2024-09-29", "--to",
                                           "2024-10-26", "--source", "isw", "--by", "oblast"],
}


# ----------------------------------------------------------------- naive scripts


def km2(geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(geometry)[0]) / 1e6


def deepstate_union(day: pd.Timestamp):
    """The map of ``day`` (or of the latest of the 3 days before, as --gap-policy previous):
    the file downloaded the next morning, dissolved.
    """
    for back in range(4):
        path = DEEPSTATE / f"deepstatemap_data_{day + pd.Timedelta(days=1 - back):%Y%m%d}.geojson"
        if path.exists():
            break
    frame = pyogrio.read_dataframe(path)
    return frame.geometry.make_valid().union_all()


def naive_isw_2025() -> pd.DataFrame:
    records = pd.DataFrame(json.loads((DATA / "isw/area_tables/hcss_daily_areas.json")
                                      .read_text()))
    afp = records[records["layerType"].isin(
        ["ukraine_control_map", "russian_advances", "russian_claimed"])]
    totals = afp.groupby("date")["areaKm2"].sum()
    ends = [f"{p.to_timestamp(how='end'):%Y-%m-%d}"
            for p in pd.period_range("2024-12", "2025-12", freq="M")]
    held = totals.reindex(ends).interpolate()
    return pd.DataFrame({"end": ends[1:], "net_km2": np.diff(held.to_numpy())})


def month_ends(first: str, last: str) -> list[pd.Timestamp]:
    return [p.to_timestamp(how="end").normalize()
            for p in pd.period_range(pd.Period(first, "M") - 1, last, freq="M")]


def naive_deepstate_monthly() -> pd.DataFrame:
    ends = month_ends("2024-08", "2026-07")
    unions = {d: deepstate_union(d) for d in ends}
    rows = []
    for a, b in zip(ends, ends[1:], strict=False):
        gained = gpd.overlay(gpd.GeoDataFrame(geometry=[unions[b]], crs=4326),
                             gpd.GeoDataFrame(geometry=[unions[a]], crs=4326), how="difference")
        lost = gpd.overlay(gpd.GeoDataFrame(geometry=[unions[a]], crs=4326),
                           gpd.GeoDataFrame(geometry=[unions[b]], crs=4326), how="difference")
        rows.append({"end": b, "net_km2": km2(unions[b]) - km2(unions[a]),
                     "gained_km2": sum(map(km2, gained.geometry)),
                     "lost_km2": sum(map(km2, lost.geometry))})
    return pd.DataFrame(rows)


def pokrovsk_raion():
    frame = pyogrio.read_dataframe(RAIONS / "donetska_oblast.geojson")
    hit = frame[frame["name:en"].fillna("").str.contains("Pokrovsk")
                & (frame["admin_level"].astype(str) == "6")]
    return hit.geometry.iloc[0]


def deepstate_days() -> list[pd.Timestamp]:
    return sorted(pd.Timestamp(p.stem[-8:]) - pd.Timedelta(days=1)
                  for p in DEEPSTATE.glob("deepstatemap_data_*.geojson"))


def naive_areas() -> pd.DataFrame:
    raion = pokrovsk_raion()
    rows = []
    for day in deepstate_days():
        inside = shapely.intersection(deepstate_union(day), raion)
        rows.append({"date": day, "controlled_km2": km2(inside)})
    return pd.DataFrame(rows)


def naive_distance() -> pd.DataFrame:
    lat, lon = POKROVSK
    local = f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m"
    forward = Transformer.from_crs("EPSG:4326", local, always_xy=True)
    rows = []
    for day in deepstate_days():
        union = shapely.transform(deepstate_union(day), lambda xy: np.column_stack(
            forward.transform(xy[:, 0], xy[:, 1])))
        rows.append({"date": day, "distance_km": union.distance(shapely.Point(0, 0)) / 1e3})
    return pd.DataFrame(rows)


def isw_union(day: str):
    layers = ["ukraine_control_map.zip", "russian_advances.zip", "claimed_russian_territory.zip"]
    parts = [gpd.read_file(ZIPS / day / name).to_crs(4326) for name in layers]
    return pd.concat(parts).geometry.make_valid().union_all()


def naive_change_by_oblast() -> pd.DataFrame:
    start, end = isw_union("2024-09-29"), isw_union("2024-10-26")
    raions = pd.concat([pyogrio.read_dataframe(p) for p in sorted(RAIONS.glob("*.geojson"))])
    raions = raions[raions["admin_level"].astype(str) == "6"]
    oblasts = raions.dissolve(by=raions["katotth"].astype(str).str[:4])
    gained = shapely.difference(end, start)
    lost = shapely.difference(start, end)
    rows = []
    for code, geometry in oblasts.geometry.items():
        rows.append({"code": code, "gained_km2": km2(shapely.intersection(gained, geometry)),
                     "lost_km2": km2(shapely.intersection(lost, geometry)),
                     "net_km2": km2(shapely.intersection(end, geometry))
                     - km2(shapely.intersection(start, geometry))})
    return pd.DataFrame(rows)


NAIVE = dict(zip(QUESTIONS, [naive_isw_2025, naive_deepstate_monthly, naive_areas,
                             naive_distance, naive_change_by_oblast], strict=True))


# ----------------------------------------------------------------- frontline runs


def frontline_run(args: list[str], cache: Path) -> tuple[float, str]:
    # as on a user's machine, Python keeps frontline's compiled bytecode between runs
    # (a sandbox's PYTHONDONTWRITEBYTECODE=1 would recompile 44 modules every run)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env = {**env, "FRONTLINE_CACHE": str(cache), "FRONTLINE_DATA_DIR": str(DATA),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                       os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-c", "from frontline.cli import main; main()", "-q", *args,
               "--format", "csv"]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"frontline {' '.join(args)} failed:\n{done.stderr}")
    return seconds, done.stdout


def main() -> None:
    print(f"data: {DATA}")
    print(f"{'question':<38} {'first':>7} {'second':>7} {'naive':>7} "
          f"{'first/naive':>11} {'second/naive':>12}")
    rows = []
    for name, args in QUESTIONS.items():
        with tempfile.TemporaryDirectory(prefix="frontline-bench-cache-") as tmp:
            first, out1 = frontline_run(args, Path(tmp))
            second, out2 = frontline_run(args, Path(tmp))
        if out1 != out2:
            raise SystemExit(f"{name}: the second run printed different figures")
        start = time.perf_counter()
        NAIVE[name]()
        naive = time.perf_counter() - start
        rows.append((name, first, second, naive))
        print(f"{name:<38} {first:7.2f} {second:7.2f} {naive:7.2f} {first / naive:11.2f} "
              f"{second / naive:12.3f}", flush=True)
    print("seconds, wall clock; first and second print identical output (checked).")


if __name__ == "__main__":
    main()
