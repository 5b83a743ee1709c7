"""Benchmark: the DeepState-occupied area inside each of the 136 raions on every DeepState day.

Run:  FRONTLINE_DATA_DIR=../shared/data python benchmarks/bench_regions.py [--naive-days 30]

The same work done two ways, in the same run, on geometries already read into memory
(reading the 769 daily files is timed separately and is the same for both):

* frontline : ``frontline.area_series(history, "raion", source="deepstate")`` -- raions
              cut once into 0.2° tiles; each day only the tiles its outline crosses are
              intersected, and a crossed tile whose clipped polygon did not change since
              the previous day keeps its area;
* naive     : for each day, ``geopandas.overlay(raions, day, how="intersection")`` and the
              geodesic area of every piece, summed per raion -- the obvious script.

The naive loop takes about 0.2 s a day, so it runs on ``--naive-days`` days spread over
the whole period and its time is extrapolated to every day (the output says so). Both
give the same km² (checked on those days). Peak memory is the process's maximum resident
set size (``resource.getrusage``) after each step.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

import frontline
from frontline.geodesy import geodesic_area_km2


def peak_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def naive_day(raions: gpd.GeoDataFrame, day) -> pd.Series:
    frame = gpd.GeoDataFrame({"day": [1]}, geometry=[day], crs="EPSG:4326")
    pieces = gpd.overlay(raions[["code", "geometry"]], frame, how="intersection")
    pieces["km2"] = geodesic_area_km2(pieces.geometry.values)
    return pieces.groupby("code")["km2"].sum().reindex(raions["code"], fill_value=0.0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("FRONTLINE_DATA_DIR"))
    parser.add_argument("--naive-days", type=int, default=30,
                        help="days the naive loop runs on (extrapolated to every day)")
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error("set FRONTLINE_DATA_DIR or pass --data-dir")
    data_dir = Path(args.data_dir)

    t0 = time.perf_counter()
    history = frontline.load(data_dir, sources=["deepstate"])
    dates = history.dates("deepstate")
    days = [history.geometry("deepstate", d, "occupied") for d in dates]
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    raions = frontline.boundaries.load_units("raion", data_dir=data_dir)
    t_units = time.perf_counter() - t0
    print(f"DeepState days: {len(dates)} ({dates[0]:%Y-%m-%d} .. {dates[-1]:%Y-%m-%d}); "
          f"raions: {len(raions)}")
    print(f"reading the daily files: {t_read:6.1f} s   loading raions: {t_units:4.1f} s   "
          f"(same for both; not in the figures below)   peak RSS {peak_mb():,.0f} MB")

    t0 = time.perf_counter()
    series = frontline.area_series(history, raions, source="deepstate")
    t_fast = time.perf_counter() - t0
    fast_peak = peak_mb()
    table = series.pivot(index="date", columns="code", values="controlled_km2")
    print(f"frontline : {len(dates)} days x {len(raions)} raions in {t_fast:6.1f} s "
          f"({1000 * t_fast / len(dates):5.1f} ms/day, tiling included)   "
          f"peak RSS {fast_peak:,.0f} MB")

    pick = np.unique(np.linspace(0, len(dates) - 1, args.naive_days).round().astype(int))
    t0 = time.perf_counter()
    naive = {dates[i]: naive_day(raions, days[i]) for i in pick}
    t_naive_part = time.perf_counter() - t0
    per_day = t_naive_part / len(pick)
    t_naive = per_day * len(dates)
    print(f"naive     : {len(pick)} of {len(dates)} days in {t_naive_part:6.1f} s "
          f"({1000 * per_day:5.1f} ms/day) -> extrapolated to all {len(dates)} days: "
          f"{t_naive:6.1f} s   peak RSS {peak_mb():,.0f} MB")
    print(f"speed-up  : {t_naive / t_fast:5.1f}x (target >= 10x)")

    diff = max(float(np.abs(table.loc[d, s.index].to_numpy() - s.to_numpy()).max())
               for d, s in naive.items())
    print(f"check     : largest difference frontline vs naive on those days: {diff:.4f} km²")
    return 0 if diff < 0.05 else 1


if __name__ == "__main__":
    raise SystemExit(main())
