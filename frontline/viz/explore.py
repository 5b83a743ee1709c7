"""Interactive maps in JupyterLab: any date's area held, and the change since the date before.

:func:`explore` returns a widget (ipyleaflet, whose JupyterLab extension ships with the
package, so it works offline): a Leaflet map with a date slider. For the date chosen it
shows the area held by Russia (the preset's layers, :func:`frontline.snapshot`) and the
territory gained and lost since the previous date of the slider
(:func:`frontline.change`); a box in the corner says what is under the pointer — the
area in km² and mi² and the snapshot dates it comes from. :func:`explore_layers` builds
the same layers as GeoDataFrames, for a test or another map library.

Geometries are simplified for display only (about 100 m); every area shown is the
geodesic area of the unsimplified polygons.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import shapely

from frontline._typing import DateLike
from frontline.changes import change, default_preset, snapshot
from frontline.compare import SOURCE_NAMES, day_label, sample_dates
from frontline.errors import InvalidArgumentError
from frontline.geodesy import km2_to_mi2
from frontline.history import History
from frontline.layers import preset_layers
from frontline.sources.credits import source_credit

if TYPE_CHECKING:
    import ipywidgets

__all__ = ["explore", "explore_layers"]


#: Display simplification, degrees (about 100 m); areas come from the full polygons.
SIMPLIFY_DEG = 0.001

_STYLE = {
    "held": {"color": "#6b5b4b", "fillColor": "#c9b9a6", "weight": 0.5, "fillOpacity": 0.55},
    "gained": {"color": "#b2182b", "fillColor": "#b2182b", "weight": 0.8, "fillOpacity": 0.8},
    "lost": {"color": "#2166ac", "fillColor": "#2166ac", "weight": 0.8, "fillOpacity": 0.8},
}


def _dates(history: History, dates, source: str, preset: str) -> pd.DatetimeIndex:
    if dates is None:
        have = history.dates(source, preset_layers(preset))
        dates = sample_dates(have, "M")
    dates = pd.DatetimeIndex(pd.to_datetime(list(dates))).normalize().sort_values().unique()
    if len(dates) == 0:
        raise InvalidArgumentError(f"explore needs at least one date with {source} polygons.")
    return dates


def explore_layers(history: History, date: DateLike, /, *, previous: DateLike | None = None,
                   source: str = "deepstate", preset: str | None = None) -> gpd.GeoDataFrame:
    """The features :func:`explore` draws for one date.

    Parameters
    ----------
    history : History
    date : date-like
        A date with polygons of ``source`` (its snapshot is used exactly).
    previous : date-like, optional
        The date before, for the gained and lost territory; None for the held area only.
    source : str
        A source with polygons (``"isw"``, ``"deepstate"``, ``"isw-weekly"``).
    preset : str, optional
        Default: the source's default (``afp`` for ISW, ``deepstate``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature (EPSG:4326): ``kind`` (``held``, ``gained``, ``lost``),
        ``area_km2``, ``area_mi2`` (geodesic, of the full polygon), ``start_snapshot``
        and ``end_snapshot`` (``YYYY-MM-DD``; for ``held`` both are the map's date),
        ``source``, ``preset`` and ``tooltip`` (the text shown on hover).
    """
    preset = default_preset(source, preset)
    held = snapshot(history, date, source=source, preset=preset)
    if held.geometry is None:
        raise InvalidArgumentError(
            f"{held.describe()}: no polygons (a total only): explore needs a source with "
            "polygons (isw, deepstate).")
    name = SOURCE_NAMES.get(source, source)
    rows = [{"kind": "held", "area_km2": held.total_km2, "start_snapshot": held.label,
             "end_snapshot": held.label, "geometry": held.geometry,
             "tooltip": (f"Held by Russia on {day_label(held.requested)} ({name} map of "
                         f"{day_label(held.used[0])}): {held.total_km2:,.0f} km² "
                         f"({km2_to_mi2(held.total_km2):,.0f} mi²)")}]
    if previous is not None:
        result = change(history, previous, date, source=source, preset=preset)
        polygons = result.polygons()
        span = f"{day_label(result.start.used[0])} → {day_label(result.end.used[0])}"
        for kind, verb in (("gained", "Gained by Russia"),
                           ("lost", "Lost by Russia (retaken by Ukraine)")):
            part = polygons[polygons["kind"] == kind]
            total = float(part["area_km2"].sum())
            for geometry, area in zip(part.geometry, part["area_km2"], strict=True):
                rows.append({
                    "kind": kind, "area_km2": float(area),
                    "start_snapshot": result.start.label, "end_snapshot": result.end.label,
                    "geometry": geometry,
                    "tooltip": (f"{verb}, {span}: this area {area:,.1f} km² "
                                f"({km2_to_mi2(area):,.1f} mi²); all {kind} "
                                f"{total:,.0f} km²")})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    frame["area_mi2"] = km2_to_mi2(frame["area_km2"])
    frame["source"], frame["preset"] = source, preset
    return frame[["kind", "area_km2", "area_mi2", "start_snapshot", "end_snapshot", "source",
                  "preset", "tooltip", "geometry"]]


def _geojson(frame: gpd.GeoDataFrame, kind: str) -> dict:
    part = frame[frame["kind"] == kind]
    features = []
    for row in part.itertuples():
        geometry = shapely.simplify(row.geometry, SIMPLIFY_DEG, preserve_topology=True)
        if geometry.is_empty:
            continue
        features.append({
            "type": "Feature", "geometry": json.loads(shapely.to_geojson(geometry)),
            "properties": {"kind": row.kind, "area_km2": round(row.area_km2, 2),
                           "start_snapshot": row.start_snapshot,
                           "end_snapshot": row.end_snapshot, "tooltip": row.tooltip}})
    return {"type": "FeatureCollection", "features": features}


def _outlines(boundaries) -> dict:
    """Unit outlines as GeoJSON lines (context where background tiles cannot load)."""
    frame = boundaries.to_crs("EPSG:4326")
    name = next((c for c in ("name_en", "name") if c in frame.columns), None)
    features = []
    for index, geometry in enumerate(frame.geometry):
        line = shapely.simplify(geometry.boundary, SIMPLIFY_DEG * 5)
        features.append({"type": "Feature", "geometry": json.loads(shapely.to_geojson(line)),
                         "properties": {"name": str(frame[name].iloc[index]) if name else ""}})
    return {"type": "FeatureCollection", "features": features}


def explore(history: History, /, dates: Iterable[DateLike] | None = None, *,
            source: str = "deepstate", preset: str | None = None,
            boundaries: gpd.GeoDataFrame | None = None, height: str = "560px"
            ) -> ipywidgets.VBox:
    """An interactive map of the area held and of each change, with a date slider.

    Parameters
    ----------
    history : History
        From :func:`frontline.load`.
    dates : sequence of date-like, optional
        The slider's dates (each with polygons of ``source``); default: the last date of
        each month the source has polygons for.
    source : str
        ``"deepstate"`` (daily maps) or ``"isw"`` (ISW/CTP's polygon dates).
    preset : str, optional
        The layers measured; the source's default when None.
    boundaries : geopandas.GeoDataFrame, optional
        Outlines to draw for context (e.g. ``frontline.boundaries.load_units("oblast")``): the map's
        background tiles need a network, the outlines do not.
    height : str
        CSS height of the map.

    Returns
    -------
    ipywidgets.VBox
        The slider, the map and a credit line. ``.map`` is the ``ipyleaflet.Map``,
        ``.slider`` the date slider, ``.layers_for(date)`` the
        :func:`explore_layers` frame of a date (cached).

    Notes
    -----
    Needs ``pip install 'frontline[notebooks]'`` (ipyleaflet). Moving the slider to a
    date computes that date's layers (a few seconds for a national DeepStateMap map);
    hovering over an area shows its km² and mi² and the snapshot dates.
    """
    import ipyleaflet
    import ipywidgets

    preset = default_preset(source, preset)
    dates = _dates(history, dates, source, preset)
    cache: dict = {}

    def layers_for(date):
        date = pd.Timestamp(date).normalize()
        if date not in cache:
            index = dates.get_loc(date)
            previous = dates[index - 1] if index > 0 else None
            cache[date] = explore_layers(history, date, previous=previous, source=source,
                                         preset=preset)
        return cache[date]

    first = layers_for(dates[-1])
    minx, miny, maxx, maxy = first.total_bounds
    m = ipyleaflet.Map(center=((miny + maxy) / 2, (minx + maxx) / 2), zoom=6,
                       scroll_wheel_zoom=True, layout=ipywidgets.Layout(height=height))
    info = ipywidgets.HTML(value="Hover over an area for its size and dates.")
    m.add(ipyleaflet.WidgetControl(widget=info, position="topright"))
    if boundaries is not None:
        m.add(ipyleaflet.GeoJSON(data=_outlines(boundaries), name="Boundaries",
                                 style={"color": "#555555", "weight": 0.7, "fill": False}))
    layers = {}
    for kind in ("held", "gained", "lost"):
        layer = ipyleaflet.GeoJSON(data=_geojson(first, kind), style=_STYLE[kind],
                                   hover_style={"weight": 2.5, "fillOpacity": 0.95},
                                   name={"held": "Held by Russia", "gained": "Gained by Russia",
                                         "lost": "Lost by Russia"}[kind])

        def on_hover(feature=None, **_):
            if feature is not None:
                info.value = feature["properties"]["tooltip"]

        layer.on_hover(on_hover)
        m.add(layer)
        layers[kind] = layer
    m.add(ipyleaflet.LayersControl(position="topleft"))
    m.add(ipyleaflet.ScaleControl(position="bottomleft", imperial=False))
    options = [(day_label(d), d) for d in dates]
    slider = ipywidgets.SelectionSlider(options=options, value=dates[-1],
                                        description="Map date", continuous_update=False,
                                        layout=ipywidgets.Layout(width="95%"))
    summary = ipywidgets.HTML()
    credit = ipywidgets.HTML(
        f"<small>{source_credit(source)}. Areas: geodesic, of the full polygons; "
        "shapes simplified for display. Map: frontline.</small>")

    def show(date):
        frame = layers_for(date)
        for kind, layer in layers.items():
            layer.data = _geojson(frame, kind)
        held = frame[frame["kind"] == "held"].iloc[0]
        gained = frame.loc[frame["kind"] == "gained", "area_km2"].sum()
        lost = frame.loc[frame["kind"] == "lost", "area_km2"].sum()
        index = dates.get_loc(pd.Timestamp(date).normalize())
        change_text = ""
        if index > 0:
            change_text = (f"; since {day_label(dates[index - 1])}: gained "
                           f"{gained:,.0f} km², lost {lost:,.0f} km²")
        summary.value = (f"<b>{day_label(date)}</b>: held {held['area_km2']:,.0f} km² "
                         f"({held['area_mi2']:,.0f} mi²), "
                         f"{SOURCE_NAMES.get(source, source)} map of "
                         f"{day_label(held['end_snapshot'])}{change_text}")

    slider.observe(lambda change_: show(change_["new"]), names="value")
    show(dates[-1])
    box = ipywidgets.VBox([slider, summary, m, credit])
    box.map, box.slider, box.layers_for = m, slider, layers_for
    return box
