"""Why AFP's published levels sit ~1,846 km² below frontline's ``afp`` total (docs/totals.md).

Run:  FRONTLINE_DATA_DIR=../shared/data python docs/afp_offset.py

AFP published levels ("analysis of ISW data"): as of 30 Jul 2024 65,776 km² taken since
24 Feb 2022 and 107,956 km² including the 42,180 km² held before; 65,891 (12 Aug),
66,266 (1 Sep) and 67,192 (27 Oct 2024) taken since. The script prints

1. the offset frontline total − (AFP since + 42,180) on those four dates;
2. on ISW's polygons of 2024-08-25 (the zips closest to AFP's dates), how much each
   boundary clip, an area on the sphere, or a geometric subtraction of ISW's own
   2022-02-24 Crimea and Donbas polygons would take off the total.

A candidate explains the offset only if it removes ~1,846 km² (AFP rounds to 1 km²).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyproj import Geod

import frontline
from frontline.geodesy import MAX_EDGE_DEG, geodesic_area_km2

AFP_SINCE = {"2024-07-30": 65_776, "2024-08-12": 65_891, "2024-09-01": 66_266,
             "2024-10-27": 67_192}
AFP_BEFORE = 42_180
DAY = "2024-08-25"


def _outline(path: str) -> shapely.Geometry:
    frame = pyogrio.read_dataframe(path).to_crs("EPSG:4326")
    return shapely.union_all(shapely.make_valid(np.asarray(frame.geometry.values)))


def _spherical_km2(geometry) -> float:
    sphere = Geod(a=6_371_008.8, b=6_371_008.8)  # R of The Economist's / sf's areas
    total = 0.0
    for polygon in shapely.get_parts(shapely.segmentize(geometry, MAX_EDGE_DEG)):
        rings = [polygon.exterior, *polygon.interiors]
        areas = [abs(sphere.polygon_area_perimeter(*np.asarray(r.coords).T[:2])[0])
                 for r in rings]
        total += areas[0] - sum(areas[1:])
    return total / 1e6


def main() -> None:
    """Print the offsets and what each candidate clip would remove."""
    root = Path(os.environ.get("FRONTLINE_DATA_DIR", "../shared/data"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", frontline.CopiesDisagreeWarning)
        history = frontline.load(root, sources=["isw", "isw-areas"])
    print("1. frontline total (afp) − AFP's level (since + 42,180), km²")
    for date, since in AFP_SINCE.items():
        row = frontline.total(history, date, gap_policy="interpolate", share=False).iloc[0]
        print(f"   {date}  {row['total_km2']:>11,.2f}  {since + AFP_BEFORE:>9,}  "
              f"{row['total_km2'] - since - AFP_BEFORE:>8,.2f}  ({row['snapshot']})")

    union = history.union("isw", DAY, ("control", "advances", "claimed"))
    total = float(geodesic_area_km2(union))
    print(f"\n2. ISW polygons {DAY}: total {total:,.2f} km²; removed by each candidate:")
    b = root / "boundaries"
    outlines = {
        "Minregion 2020 oblasts (27 units)":
            f"/vsigzip/{root}/isw/boundaries_used/ukraine_oblasts_minregion_2020.geojson.gz",
        "geoBoundaries ADM1 (territorial sea included)":
            str(b / "geoboundaries/geoBoundaries-UKR-ADM1.geojson"),
        "Natural Earth 10m, Ukraine (DEU view)":
            str(b / "naturalearth/ne_10m_admin_0_countries_deu_UKR.geojson"),
        "OSM darmat1 Ukraine.geojson (generalised)": str(b / "osm_darmat1/Ukraine.geojson"),
    }
    for name, path in outlines.items():
        inside = float(geodesic_area_km2(shapely.intersection(union, _outline(path))))
        print(f"   clip to {name:<46} {total - inside:>9,.1f}")
    oblasts = frontline.boundaries.load_units("oblast", data_dir=root)
    land = shapely.union_all(np.asarray(oblasts.geometry.values))
    inside = float(geodesic_area_km2(shapely.intersection(union, land)))
    print(f"   clip to {'OSM raions + Kyiv (no Sevastopol)':<46} {total - inside:>9,.1f}")
    print(f"   {'area on the sphere (R = 6,371,008.8 m)':<54} "
          f"{total - _spherical_km2(union):>9,.1f}")

    pre_path = root / "isw/nikkei_geojson/2022/2022-02-24_RussianAssessedCoTinUkraine.geojson.gz"
    pre = pyogrio.read_dataframe(f"/vsigzip/{pre_path}")
    crimea, donbas = (pre.loc[pre["OBJECTID"] == i, "geometry"].item() for i in (1, 2))
    before = shapely.union(crimea, donbas)
    before_km2 = float(geodesic_area_km2(before))
    since = float(geodesic_area_km2(shapely.difference(union, before)))
    afp_since = AFP_SINCE["2024-07-30"] + (total - history.total_km2(
        "isw-areas", "2024-07-30", ("control", "advances", "claimed")))
    print(f"   ISW's own 2022-02-24 Crimea + Donbas polygons: {before_km2:,.1f} km² "
          f"(AFP: {AFP_BEFORE:,}); union − them = {since:,.1f} km² taken since, AFP's "
          f"level carried to {DAY} by frontline's change: {afp_since:,.1f} "
          f"(difference {since - afp_since:,.1f})")
    minregion = pyogrio.read_dataframe(outlines["Minregion 2020 oblasts (27 units)"])
    crimea_all = shapely.union_all(minregion.loc[minregion["ADMIN_1"].str.contains(
        "Крим|Севастополь"), "geometry"].values)
    left_out = shapely.difference(crimea_all, crimea)
    print(f"   Crimea (Minregion) outside ISW's 2022 Crimea polygon (the Sivash lagoon): "
          f"{float(geodesic_area_km2(left_out)):,.1f} km²; inside the {DAY} union: "
          f"{float(geodesic_area_km2(shapely.intersection(left_out, union))):,.1f} km²")


if __name__ == "__main__":
    main()
