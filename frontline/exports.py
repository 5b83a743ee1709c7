"""Polygon exports a graphics desk can load as they are (QGIS, Datawrapper, Flourish).

:func:`change_polygons` turns what :meth:`frontline.changes.Change.polygons` returns into
one feature per class (``gained``, ``lost``, and where the change has it
``reclassified`` in each direction): the class's pieces dissolved into one
(multi)polygon, pieces smaller than :data:`SLIVER_KM2` dropped (their number and total
area are on every feature of the class and in ``attrs["dropped"]``), and each feature
carrying the dates asked for, the snapshot dates used, source, preset, ``exact``,
geodesic ``area_km2``/``area_mi2`` and the credit line. ``kind`` is the gross side a
feature belongs to, so the features of ``kind == "gained"`` (kept plus dropped) add up to
``Change.gained_km2``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from frontline.changes import Change
from frontline.errors import InvalidArgumentError, SnapshotGapError
from frontline.geodesy import geodesic_area_km2, km2_to_mi2
from frontline.sources.credits import source_credit

__all__ = ["EXPORT_COLUMNS", "SLIVER_KM2", "change_polygons"]

#: Pieces smaller than this (km²; 0.01 km² = 1 hectare, the precision of the tables) are
#: dropped from an export: slivers where two days' outlines differ by a redrawn vertex.
SLIVER_KM2 = 0.01

#: Attributes of every exported feature, in order (then ``geometry``).
EXPORT_COLUMNS = ["class", "direction", "kind", "start_date", "end_date", "start_snapshot",
                  "end_snapshot", "source", "preset", "exact", "area_km2", "area_mi2", "parts",
                  "dropped_parts", "dropped_km2", "credit"]


def change_polygons(change: Change, *, min_area_km2: float = SLIVER_KM2) -> gpd.GeoDataFrame:
    """The change's territory, one dissolved feature per class, slivers dropped.

    Parameters
    ----------
    change : frontline.Change
        With polygons at both ends (:func:`frontline.change` on polygon snapshots).
    min_area_km2 : float
        Pieces under this geodesic area are dropped (default :data:`SLIVER_KM2`); 0 keeps
        every piece.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns :data:`EXPORT_COLUMNS`: ``start_date``/``end_date`` the dates
        asked for, ``start_snapshot``/``end_snapshot`` the snapshot dates used,
        ``area_km2`` the kept pieces' geodesic area, ``parts`` their number,
        ``dropped_parts``/``dropped_km2`` the slivers left out. ``attrs["dropped"]``
        maps each class (``"reclassified in"``...) to ``(parts, km2)`` dropped, classes
        dropped entirely included.

    Raises
    ------
    SnapshotGapError
        The change has no polygons (an area table or an interpolated end).
    """
    if not min_area_km2 >= 0:
        raise InvalidArgumentError(
            f"min_area_km2 (--min-area-km2) must be 0 or more, not {min_area_km2!r}.")
    if change.gained is None:
        raise SnapshotGapError(
            f"No polygons for {change.start.describe()} → {change.end.describe()}: the "
            "figure comes from an area table or interpolation. A polygon export needs "
            "polygon snapshots at both ends (--source isw or deepstate, on their dates).")
    pieces = change.polygons()
    if "class" not in pieces.columns:  # gained and lost only
        pieces = pieces.assign(**{"class": pieces["kind"], "direction": pieces["kind"].map(
            {"gained": "in", "lost": "out"})})
    row = change.to_frame().iloc[0]
    credit = source_credit(row["source"])
    features, dropped = [], {}
    groups = pieces.groupby(["class", "direction", "kind"], sort=False)
    for (klass, direction, kind), group in groups:
        label = klass if klass in ("gained", "lost") else f"{klass} {direction}"
        parts = shapely.get_parts(shapely.union_all(group.geometry.values))
        parts = parts[shapely.get_type_id(parts) == 3]  # polygons (a union may add lines)
        areas = geodesic_area_km2(parts) if len(parts) else np.array([])
        keep = areas >= min_area_km2
        dropped[label] = (int((~keep).sum()), float(areas[~keep].sum()))
        if not keep.any():
            continue
        features.append({
            "class": klass, "direction": direction, "kind": kind,
            "start_date": row["start_date"], "end_date": row["end_date"],
            "start_snapshot": row["start_snapshot"], "end_snapshot": row["end_snapshot"],
            "source": row["source"], "preset": row["preset"], "exact": bool(row["exact"]),
            "area_km2": float(areas[keep].sum()),
            "area_mi2": float(km2_to_mi2(areas[keep].sum())),
            "parts": int(keep.sum()), "dropped_parts": dropped[label][0],
            "dropped_km2": dropped[label][1], "credit": credit,
            "geometry": shapely.multipolygons(parts[keep]),
        })
    frame = gpd.GeoDataFrame(pd.DataFrame(features, columns=[*EXPORT_COLUMNS, "geometry"]),
                             geometry="geometry", crs="EPSG:4326")
    frame.attrs["dropped"] = dropped
    frame.attrs["min_area_km2"] = float(min_area_km2)
    return frame
