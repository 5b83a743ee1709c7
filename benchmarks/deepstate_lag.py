"""Benchmark: which download-date lag makes DeepStateMap files match DeepState's monthly figures.

Run:  FRONTLINE_DATA_DIR=/work/shared/data /work/main/.venv/bin/python benchmarks/deepstate_lag.py

DeepStateMap daily files (``deepstate/daily/deepstatemap_data_YYYYMMDD.geojson``, one
MultiPolygon each, EPSG:4326, all territory marked occupied) are named by their *download*
date (about 03:00 UTC), so a file shows the map as of an earlier day. frontline assumes a lag
of 1 day (map date = download date - 1). This script tests that assumption against the
monthly statistics DeepState publishes (occupied area gained in a month = occupied area on
the month's last day - occupied area on the previous month's last day):

    2024-08: 363 km²     2025-06: 556 km²     2025-07: 564 km²

For each lag L in 0, 1, 2, 3 days the area on map date D is read from the file downloaded on
D + L, and the monthly net change is computed for every month 2024-08 .. 2026-07 (the three
published months are the test; the rest is context). Area is geodesic on the WGS84 ellipsoid:
each polygon's edges longer than 0.01° are densified (``shapely.segmentize``) and measured with
``pyproj.Geod(ellps="WGS84").geometry_area_perimeter`` (absolute value; pyproj subtracts the
holes, whose rings are first oriented opposite to the exterior so that it can). Each file is
read once. A value that needs a missing file is left empty and the row says which file is
missing; nothing is substituted.

Output: a month × lag table of net change (km²), the absolute difference of each lag to each
published figure, and the lag that fits each published figure best.
"""

from __future__ import annotations

import calendar
import os
import sys
import time
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pyogrio
import shapely
from pyproj import Geod

LAGS = (0, 1, 2, 3)
#: DeepState's published monthly net gain of occupied area (km²).
PUBLISHED = {(2024, 8): 363.0, (2025, 6): 556.0, (2025, 7): 564.0}
FIRST_MONTH = (2024, 8)
LAST_MONTH = (2026, 7)
#: Edges longer than this (degrees) are densified before measuring.
MAX_EDGE_DEG = 0.01

_GEOD = Geod(ellps="WGS84")


def data_dir() -> Path:
    """The DeepState daily folder under ``FRONTLINE_DATA_DIR``; exits with a clear error."""
    root = os.environ.get("FRONTLINE_DATA_DIR")
    if not root:
        sys.exit("error: FRONTLINE_DATA_DIR is not set; point it at the data directory, e.g.\n"
                 "  FRONTLINE_DATA_DIR=/work/shared/data python benchmarks/deepstate_lag.py")
    daily = Path(root) / "deepstate" / "daily"
    if not daily.is_dir():
        sys.exit(f"error: {daily} is not a directory (FRONTLINE_DATA_DIR={root!r})")
    return daily


DAILY = data_dir()


def file_for(download: date) -> Path:
    return DAILY / f"deepstatemap_data_{download:%Y%m%d}.geojson"


def polygon_area_km2(polygon: shapely.Polygon) -> float:
    """Geodesic area (km²) of one lon/lat polygon, holes subtracted."""
    # pyproj adds the holes' signed areas to the exterior's, which subtracts them only when
    # the holes wind opposite to the exterior; orient so that is always true.
    polygon = shapely.orient_polygons(polygon, exterior_cw=False)
    polygon = shapely.segmentize(polygon, MAX_EDGE_DEG)
    area_m2, _ = _GEOD.geometry_area_perimeter(polygon)
    return abs(area_m2) / 1e6


@cache
def area_km2(download: date) -> float | None:
    """Occupied area (km²) in the file downloaded on ``download``; ``None`` if no such file."""
    path = file_for(download)
    if not path.exists():
        return None
    geoms = pyogrio.read_dataframe(path).geometry
    if len(geoms) != 1:
        raise ValueError(f"{path.name}: expected one feature, found {len(geoms)}")
    geom = geoms.iloc[0]
    if geom.geom_type == "Polygon":
        parts = [geom]
    elif geom.geom_type == "MultiPolygon":
        parts = list(geom.geoms)
    else:
        raise ValueError(f"{path.name}: expected a (Multi)Polygon, found {geom.geom_type}")
    return sum(polygon_area_km2(p) for p in parts)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def months() -> list[tuple[int, int]]:
    out, (y, m) = [], FIRST_MONTH
    while (y, m) <= LAST_MONTH:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly_change(year: int, month: int, lag: int) -> tuple[float | None, list[str]]:
    """Net change (km²) of the month at ``lag``, and the notes on any missing file."""
    end = month_end(year, month)
    start = date(year, month, 1) - timedelta(days=1)
    values, notes = [], []
    for map_date in (start, end):
        download = map_date + timedelta(days=lag)
        value = area_km2(download)
        if value is None:
            notes.append(f"lag {lag}: {file_for(download).name} missing (map date {map_date})")
        values.append(value)
    if None in values:
        return None, notes
    return values[1] - values[0], notes


def fmt(value: float | None, width: int = 10) -> str:
    return f"{'—':>{width}}" if value is None else f"{value:>{width}.2f}"


def main() -> None:
    t0 = time.perf_counter()
    results: dict[tuple[int, int], dict[int, float | None]] = {}
    notes: dict[tuple[int, int], list[str]] = {}
    for ym in months():
        results[ym], notes[ym] = {}, []
        for lag in LAGS:
            results[ym][lag], missing = monthly_change(*ym, lag)
            notes[ym].extend(missing)

    lag_cols = "".join(f"{f'lag {lag}':>10}" for lag in LAGS)
    print("DeepStateMap monthly net change of occupied area (km², geodesic WGS84)")
    print("area on map date D read from the file downloaded on D + lag; * = published month\n")
    print(f"{'month':<9}{lag_cols}{'published':>11}  notes")
    for ym in months():
        pub = PUBLISHED.get(ym)
        row = "".join(fmt(results[ym][lag]) for lag in LAGS)
        mark = "*" if pub is not None else " "
        pub_s = f"{pub:>11.2f}" if pub is not None else " " * 11
        print(f"{ym[0]}-{ym[1]:02d}{mark}  {row}{pub_s}  {'; '.join(notes[ym])}")

    print("\nAbsolute difference to the published figure (km²)\n")
    print(f"{'month':<9}{'published':>10}{lag_cols}  best lag")
    best: dict[tuple[int, int], list[int]] = {}
    for ym, pub in PUBLISHED.items():
        diffs = {lag: None if v is None else abs(v - pub) for lag, v in results[ym].items()}
        known = {lag: d for lag, d in diffs.items() if d is not None}
        low = min(known.values()) if known else None
        best[ym] = [lag for lag, d in known.items() if round(d, 2) == round(low, 2)]
        row = "".join(fmt(diffs[lag]) for lag in LAGS)
        best_s = ", ".join(map(str, best[ym])) if best[ym] else "none (files missing)"
        print(f"{ym[0]}-{ym[1]:02d}   {pub:>10.2f}{row}  {best_s}")

    print()
    for ym, lags in best.items():
        pub = PUBLISHED[ym]
        if not lags:
            print(f"{ym[0]}-{ym[1]:02d} ({pub:.0f} km²): no lag computable (files missing)")
            continue
        got = ", ".join(f"lag {lag} = {results[ym][lag]:.2f}" for lag in lags)
        print(f"{ym[0]}-{ym[1]:02d} ({pub:.0f} km²) is reproduced best by {got} km²")
    for year in sorted({y for y, _ in PUBLISHED}):
        yms = [ym for ym in PUBLISHED if ym[0] == year]
        totals = {}
        for lag in LAGS:
            vals = [results[ym][lag] for ym in yms]
            if None not in vals:
                totals[lag] = sum(abs(v - PUBLISHED[ym]) for v, ym in zip(vals, yms, strict=True))
        if totals:
            lag = min(totals, key=totals.get)
            print(f"{year}: lag {lag} fits best (sum of |difference| over "
                  f"{len(yms)} published month(s) = {totals[lag]:.2f} km²)")
    print(f"\n{area_km2.cache_info().currsize} files looked up, "
          f"{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
