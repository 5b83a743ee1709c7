"""Benchmark: load the 13 ISW dates, measure them, and produce the change/monthly tables.

Run:  FRONTLINE_DATA_DIR=../shared/data python benchmarks/bench_core.py [--profile]

Four timings of the same work -- the control ∪ advances ∪ claimed total on each ISW date
of 2024, the gained/lost change between consecutive dates, and the monthly table
Aug-Nov 2024 -- side by side in this one run:

* naive     : read every zip with geopandas.read_file, dissolve, overlay with
              geopandas.overlay, geodesic area with pyproj -- the obvious script;
* cold      : frontline with an empty layer cache (a temporary FRONTLINE_CACHE): scan,
              read, validate and measure from the raw files (``load`` included);
* warm      : a new History on the filled cache, as a second run would be (``load``
              included; layers, unions and measures read back);
* in memory : the same History again (everything already in memory).

The figures of the cold and warm runs must be identical (checked). Then the peak memory
(RSS) of a DeepState 769-day series (``area_series`` for Pokrovsk raion) in a fresh
process, cold and warm. ``--profile`` prints where the cold run's time goes.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import Geod

import frontline
import frontline.cache
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
    print(f"{label:<44} {seconds:8.2f} s", flush=True)
    return result, seconds


def loaded_run():
    return with_frontline(frontline.load(DATA, sources=["isw", "isw-areas"]))


_RSS = """
import resource, sys, frontline
history = frontline.load(sys.argv[1], sources=["deepstate"])
series = frontline.area_series(history, "Pokrovsk raion", source="deepstate")
print(len(series.drop_duplicates("date")), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss(cache: Path) -> tuple[int, float, float]:
    env = {**os.environ, "FRONTLINE_CACHE": str(cache)}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _RSS, str(DATA)], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return int(out[0]), int(out[1]) / 1024, time.perf_counter() - start


def main() -> None:
    print(f"data: {DATA}")
    base, t_naive = timed("naive (geopandas read_file + overlay)", naive)
    with tempfile.TemporaryDirectory(prefix="frontline-bench-cache-") as tmp:
        os.environ["FRONTLINE_CACHE"] = tmp
        if "--profile" in sys.argv:
            profile = cProfile.Profile()
            profile.enable()
        ours, t_cold = timed("frontline cold (empty cache, load included)", loaded_run)
        if "--profile" in sys.argv:
            profile.disable()
        frontline.cache.forget_cache()  # as a new process would: read the folder again
        warm, t_warm = timed("frontline warm (filled cache, new History)", loaded_run)
        history = frontline.load(DATA, sources=["isw", "isw-areas"])
        with_frontline(history)
        _, t_memory = timed("frontline in memory (same History again)", with_frontline,
                            history)
        if not ours.equals(warm):
            raise SystemExit("the warm run's figures differ from the cold run's")
        diff = (base.set_index("end")["gained_km2"] - ours.set_index("end")["gained_km2"]).abs()
        print(f"speed-up vs naive: cold {t_naive / t_cold:5.1f}x   warm {t_naive / t_warm:5.1f}x"
              f"   in memory {t_naive / t_memory:5.1f}x")
        print(f"largest gained_km2 difference naive vs frontline: {diff.max():.3f} km² "
              "(naive measures geodesic edges without densifying); cold == warm: exact")
    with tempfile.TemporaryDirectory(prefix="frontline-bench-cache-") as tmp:
        for label in ("cold", "warm"):
            days, rss, seconds = peak_rss(Path(tmp))
            print(f"DeepState series, {days} days, Pokrovsk raion, {label}: peak RSS "
                  f"{rss:,.0f} MB, {seconds:.1f} s (fresh process)")
    if "--profile" in sys.argv:
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(20)
        print("\ncold run, where the time goes (tottime):")
        print(text.getvalue())


if __name__ == "__main__":
    main()
