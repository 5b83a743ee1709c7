"""Benchmark: load the 13 ISW dates, measure them, and produce the change/monthly tables.

Run:  FRONTLINE_DATA_DIR=../shared/data python benchmarks/bench_core.py

Three timings, each of the same work -- the control ∪ advances ∪ claimed total on each of
the 13 dates of ISW's zips, the gained/lost change between consecutive dates (12 changes),
and the monthly table Aug-Nov 2024:

* naive   : read every zip with geopandas.read_file, dissolve, overlay with
            geopandas.overlay, geodesic area with pyproj -- the obvious script;
* cold    : frontline in a fresh History (files read once, names scanned lazily);
* warm    : the same History again (geometries and unions cached in memory).
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import Geod

import frontline
from frontline.changes import change, monthly_gains

warnings.filterwarnings("ignore", message="Measured")
DATA = Path(os.environ.get("FRONTLINE_DATA_DIR", "../shared/data"))
ZIPS = DATA / "isw" / "original_shapefiles_2024"
LAYER_ZIPS = ("ukraine_control_map.zip", "russian_advances.zip", "claimed_russian_territory.zip")
GEOD = Geod(ellps="WGS84")


def naive() -> pd.DataFrame:
    dates = sorted(p.name for p in ZIPS.iterdir())
    unions = {}
    for date in dates:
        parts = [gpd.read_file(ZIPS / date / name).to_crs(4326) for name in LAYER_ZIPS]
        merged = pd.concat(parts)[["geometry"]]
        unions[date] = gpd.GeoDataFrame(geometry=[merged.union_all()], crs=4326)
    rows = []
    for a, b in zip(dates, dates[1:], strict=False):
        gained = gpd.overlay(unions[b], unions[a], how="difference")
        lost = gpd.overlay(unions[a], unions[b], how="difference")
        area = lambda f: sum(abs(GEOD.geometry_area_perimeter(g)[0]) for g in f.geometry) / 1e6  # noqa: E731
        rows.append({"start": a, "end": b, "net_km2": area(unions[b]) - area(unions[a]),
                     "gained_km2": area(gained), "lost_km2": area(lost)})
    return pd.DataFrame(rows)


def with_frontline(history) -> pd.DataFrame:
    dates = history.dates("isw", ("control", "advances", "claimed"))
    dates = [d for d in dates if d.year == 2024]
    rows = []
    for a, b in zip(dates, dates[1:], strict=False):
        result = change(history, a, b, source="isw")
        rows.append({"start": f"{a:%Y-%m-%d}", "end": f"{b:%Y-%m-%d}",
                     "net_km2": result.net_km2, "gained_km2": result.gained_km2,
                     "lost_km2": result.lost_km2})
    monthly_gains(history, start="2024-08", end="2024-11", gap_policy="interpolate")
    return pd.DataFrame(rows)


def timed(label, func, *args):
    start = time.perf_counter()
    result = func(*args)
    seconds = time.perf_counter() - start
    print(f"{label:<40} {seconds:8.2f} s")
    return result, seconds


def main() -> None:
    print(f"data: {DATA}")
    base, t_naive = timed("naive (geopandas read_file + overlay)", naive)
    history = frontline.load(DATA, sources=["isw", "isw-areas"])
    ours, t_cold = timed("frontline cold (fresh History)", with_frontline, history)
    _, t_warm = timed("frontline warm (cached History)", with_frontline, history)
    diff = (base.set_index("end")["gained_km2"] - ours.set_index("end")["gained_km2"]).abs()
    print(f"speed-up cold: {t_naive / t_cold:5.1f}x   warm: {t_naive / t_warm:5.1f}x")
    print(f"largest gained_km2 difference naive vs frontline: {diff.max():.3f} km² "
          "(naive measures geodesic edges without densifying)")


if __name__ == "__main__":
    main()
