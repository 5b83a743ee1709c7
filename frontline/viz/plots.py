"""Publication charts of frontline's tables (matplotlib).

Every function takes the library's own tables, draws on ``ax`` (a new figure when
``ax`` is None) and returns the Axes. Each figure carries a title with the period, axis
labels with units, the snapshot dates it rests on, and a source line crediting "ISW and
AEI's Critical Threats Project" and/or "DeepStateMap". pyplot is imported only to create
a figure when no Axes is given; no style or rcParams is changed.

Maps are drawn in :data:`MAP_CRS`, a Lambert azimuthal equal-area projection centred on
Ukraine (areas true everywhere, shapes within about 1 % across the country), without degree
axes and with a scale bar in km; windows (``extent=``) are given in longitude/latitude.
Held territory is shown for context, oblast names and town labels are placed by
adjustText and any label that still collides with another is left out
(:func:`place_labels`), so the drawn labels never overlap.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from frontline._typing import StrPath
from frontline.compare import UKRAINE_KM2, day_label
from frontline.errors import InvalidArgumentError
from frontline.geodesy import KM2_PER_MI2, geodesic_distance_km, geodesic_forward, km2_to_mi2
from frontline.sources.credits import source_credit

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

#: A longitude/latitude window: ``(minx, miny, maxx, maxy)``.
Extent = tuple[float, float, float, float]

__all__ = [
    "MAP_CRS",
    "POKROVSK",
    "POKROVSK_TOWNS",
    "source_credit",
    "plot_monthly_gains",
    "plot_controlled_total",
    "plot_change_map",
    "plot_area_closeup",
    "plot_pokrovsk",
    "plot_source_comparison",
    "plot_totals",
    "plot_axis_series",
    "plot_source_difference",
    "label_extent",
    "place_labels",
    "round_adding_up",
]

#: The projection maps are drawn in: Lambert azimuthal equal-area centred on Ukraine.
MAP_CRS = "+proj=laea +lat_0=48.5 +lon_0=31.5 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"

#: Town labels and oblast names carry this gid, so tests and callers can find them.
LABEL_GID = "frontline-label"

#: Pokrovsk's centre (GeoNames 704422): longitude, latitude.
POKROVSK = (37.17706, 48.28014)

SOURCE_LABELS = {
    "isw": "ISW/CTP (polygons)",
    "isw-areas": "ISW/CTP (area tables)",
    "isw-weekly": "ISW/CTP (weekly copies)",
    "deepstate": "DeepStateMap",
}

_PRESET_WHAT = {
    "afp": "territory held or claimed by Russia",
    "control": "territory assessed as Russian-controlled",
    "deepstate": "territory marked occupied",
}

_PRESET_HOW = {
    "afp": "ISW's control + advances + claimed layers (preset afp)",
    "control": "ISW's control layer (preset control)",
    "deepstate": "DeepStateMap's occupied area (preset deepstate)",
}

_GAIN = "#b2182b"
_LOSS = "#2166ac"
_INEXACT_NOTE = (
    "Hatched bars: the source has no figure for the first or last day of that month, so the "
    "value is estimated from the nearest days it has (listed below); the thin line is the "
    "range in which 9 of 10 such estimates fall"
)
_HELD = "#ddd5ca"


# ----------------------------------------------------------------------- helpers


def _new_axes(ax, figsize):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _require(frame, columns, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidArgumentError(
            f"{what} needs the column(s) {', '.join(missing)}; got "
            f"{', '.join(map(str, frame.columns))}."
        )
    if len(frame) == 0:
        raise InvalidArgumentError(f"{what} got an empty table: nothing to draw.")


def _chars_across(ax, fontsize: float) -> int:
    """About how many characters of ``fontsize`` fit across the axes."""
    fig = ax.get_figure()
    width_in = ax.get_position().width * fig.get_figwidth()
    return max(40, int(width_in * 72 / (0.55 * fontsize)))


def footer(ax: Axes, lines: Iterable[str]) -> None:
    """Small text under the axes (below tick labels and the x label), left-aligned and
    wrapped to the axes' width.
    """
    from matplotlib.transforms import Bbox

    def below(renderer):
        boxes = [ax.get_window_extent(renderer)]
        if ax.axison and ax.xaxis.get_visible():
            box = ax.xaxis.get_tightbbox(renderer)
            if box is not None:
                boxes.append(box)
        return Bbox.union(boxes)

    width = _chars_across(ax, 7)
    text = "\n".join(_wrap(line, width) for line in lines if line)
    ax.annotate(
        text, xy=(0, 0), xycoords=below,
        xytext=(0, -4), textcoords="offset points", ha="left", va="top",
        fontsize=7, color="0.3", annotation_clip=False,
    )


def _date_range(first, last) -> str:
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    if first.normalize() == last.normalize():
        return day_label(first)
    return f"{day_label(first)} – {day_label(last)}"


def _km2_axis(ax) -> None:
    from matplotlib.ticker import StrMethodFormatter

    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    secondary = ax.secondary_yaxis(
        "right", functions=(km2_to_mi2, lambda mi2: np.asarray(mi2) * KM2_PER_MI2)
    )
    secondary.set_ylabel("mi²")
    secondary.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def date_axis(ax: Axes) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    # minticks=3: a span of 4-5 years gets yearly ticks (with the default 5, matplotlib
    # tries monthly ones, finds no interval under maxticks and warns)
    locator = AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _period_labels(table: pd.DataFrame) -> list[str]:
    """``Aug``, ``Sep``, ``Oct 1–27`` (partial month), with the year where it changes."""
    labels, year = [], None
    for row in table.itertuples():
        end = pd.Timestamp(row.end_date)
        start = pd.Timestamp(row.start_date) + pd.Timedelta(days=1)
        if start.day == 1 and start.month == end.month and start.year == end.year:
            label = f"{start:%b}"
            if not end.is_month_end:
                label += f" 1–{end.day}"
        else:  # not a calendar month: show both ends
            label = f"{start.day} {start:%b}–{end.day} {end:%b}"
        if end.year != year:
            label += f"\n{end.year}"
            year = end.year
        labels.append(label)
    return labels


def _as_4326(frame, what: str):
    if frame is None:
        return None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"{what} must be a GeoDataFrame; got {type(frame).__name__}.")
    if frame.crs is None:
        raise InvalidArgumentError(
            f"{what} has no CRS: set it with {what}.set_crs(...) (frontline's tables are "
            "EPSG:4326)."
        )
    return frame if frame.crs.to_epsg() == 4326 else frame.to_crs("EPSG:4326")


def _towns_frame(towns):
    """Town points as a GeoDataFrame with ``name`` (from points or lat/lon columns)."""
    if towns is None:
        return None
    if isinstance(towns, gpd.GeoDataFrame):
        return _as_4326(towns, "towns")
    _require(towns, ["name", "latitude", "longitude"], "towns")
    towns = towns.dropna(subset=["latitude", "longitude"])
    return gpd.GeoDataFrame(
        towns[["name"]].copy(),
        geometry=gpd.points_from_xy(towns["longitude"], towns["latitude"]), crs="EPSG:4326",
    )


def _clip(frame, extent):
    """Clip polygons to what the projected view of ``extent`` shows, with a margin (large
    national polygons draw much faster).
    """
    if frame is None or extent is None or frame.empty:
        return frame
    frame = frame.copy()
    minx, miny, maxx, maxy = _map_box(extent)
    pad_x, pad_y = (maxx - minx) * 0.05, (maxy - miny) * 0.05
    window = _to_map_transformer().transform_bounds(
        minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y, densify_pts=21,
        direction="INVERSE")
    frame["geometry"] = shapely.clip_by_rect(frame.geometry.values, *window)
    return frame[~frame.geometry.is_empty]


@functools.lru_cache(maxsize=1)
def _to_map_transformer():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", MAP_CRS, always_xy=True)


def _project(frame):
    """A lon/lat frame in :data:`MAP_CRS` (None and empty frames pass through)."""
    if frame is None or frame.empty:
        return frame
    return frame.to_crs(MAP_CRS)


def _map_xy(lon, lat):
    return _to_map_transformer().transform(lon, lat)


def _map_box(extent):
    """The projected box that holds a longitude/latitude window."""
    return _to_map_transformer().transform_bounds(*extent, densify_pts=21)


def _bare_axes(ax, bounds) -> None:
    """Show ``bounds`` (projected x/y) at equal scale, without ticks or axis labels."""
    minx, miny, maxx, maxy = bounds
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")


def _set_map_extent(ax, extent) -> None:
    """Show the lon/lat window ``extent`` in :data:`MAP_CRS`: no degree axes, a scale bar."""
    box = _map_box(extent)
    _bare_axes(ax, box)
    for spine in ax.spines.values():
        spine.set_color("0.6")
        spine.set_linewidth(0.6)
    _scale_bar(ax, box)


def _scale_bar(ax, box) -> None:
    """A bar of a round number of km, measured geodesically at its own place on the map."""
    minx, miny, maxx, maxy = box
    x0, y = minx + (maxx - minx) * 0.04, miny + (maxy - miny) * 0.05
    lon0, lat0 = _to_map_transformer().transform(x0, y, direction="INVERSE")
    lon1, lat1 = _to_map_transformer().transform(maxx, y, direction="INVERSE")
    width_km = float(geodesic_distance_km(lon0, lat0, lon1, lat1))
    nice = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500]
    length = max([n for n in nice if n <= width_km / 4] or [nice[0]])
    end_lon, end_lat = geodesic_forward(lon0, lat0, 90, length)[:2]
    ex, ey = _map_xy(end_lon, end_lat)
    x1 = x0 + math.hypot(ex - x0, ey - y)
    ax.plot([x0, x1], [y, y], color="black", linewidth=2.5, solid_capstyle="butt", zorder=6)
    text = ax.annotate(f"{length:g} km", xy=((x0 + x1) / 2, y), xytext=(0, 3),
                       textcoords="offset points", ha="center", va="bottom", fontsize=7,
                       zorder=6)
    _fixed_texts(ax).append(text)


def _fixed_texts(ax) -> list:
    """Texts drawn on a map that labels must not cover (scale bar, ring radii)."""
    if not hasattr(ax, "_frontline_fixed"):
        ax._frontline_fixed = []
    return ax._frontline_fixed


def round_adding_up(gained: float, lost: float, net: float, *, decimals: int = 0
                    ) -> tuple[float, float, float]:
    """Round gained, lost and net so that the rounded gained − lost equals the rounded net.

    Each is rounded to ``decimals``; when the three rounded values do not add up (451,
    1, +451 for 450.9, 0.6, +450.3) the one whose rounding moved least away from its exact
    value is rounded the other way, so every shown value stays within one unit of the last
    digit of its exact value.

    Parameters
    ----------
    gained, lost : float
        Gross areas (≥ 0).
    net : float
        ``gained − lost``.
    decimals : int
        Digits after the decimal point.

    Returns
    -------
    (float, float, float)
        Rounded gained, lost and net with ``gained − lost == net``.

    Examples
    --------
    >>> round_adding_up(450.9, 0.6, 450.3)
    (451.0, 1.0, 450.0)
    >>> round_adding_up(12.4, 3.4, 9.0)
    (12.0, 3.0, 9.0)
    """
    scale = 10.0 ** decimals
    exact = np.array([gained, lost, net], dtype=float) * scale
    rounded = np.round(exact)
    miss = rounded[0] - rounded[1] - rounded[2]  # -1, 0 or +1 in units of the last digit
    if miss:
        # gained down, lost up or net up by one unit fixes miss=+1 (the reverse for -1)
        steps = np.array([-miss, miss, miss])
        cost = np.abs(rounded + steps - exact)
        which = int(np.argmin(cost))
        rounded[which] += steps[which]
    return tuple(round(float(v) / scale, decimals) for v in rounded)


def _overlaps(box, others) -> bool:
    return any(box.overlaps(other) for other in others)


def label_extent(text: Text, renderer: RendererBase) -> Bbox:
    """A label's drawn extent: its text and the box behind it (town labels have one)."""
    from matplotlib.transforms import Bbox

    box = text.get_window_extent(renderer)
    patch = text.get_bbox_patch()
    if patch is not None:
        box = Bbox.union([box, patch.get_window_extent(renderer)])
    return box


def place_labels(ax: Axes, labels: list[Text] | None = None) -> list:
    """Move town labels apart with adjustText, then leave out any label that still collides.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        A map drawn by this module (its labels carry :data:`LABEL_GID`).
    labels : list of matplotlib.text.Text, optional
        Default: the axes' labels, town names (largest town first) before unit names.
        All are moved apart; a town label moved far gets a leader line to its point.

    Returns
    -------
    list of str
        The labels left out, in order: they overlapped a more important label, the scale
        bar or a ring radius even after adjustText moved them, or fell outside the map.

    Notes
    -----
    Call it after the figure has its final size and layout: extents are measured by the
    renderer (:func:`label_extent`: the text and the white box behind a town's name). The
    plotting functions of this module call it last.
    """
    from adjustText import adjust_text

    if labels is None:
        labels = [t for t in ax.texts if t.get_gid() == LABEL_GID]
    labels = [t for t in labels if t.get_visible()]
    if not labels:
        ax._frontline_dropped = []
        return []
    towns = [t for t in labels if getattr(t, "_frontline_kind", "town") == "town"]
    units = [t for t in labels if t not in towns]
    fig = ax.get_figure()
    fig.canvas.draw()
    points = getattr(ax, "_frontline_points", None)
    kwargs = {}
    if points is not None and len(points):
        kwargs = {"x": points[:, 0], "y": points[:, 1]}
    # Towns and unit names are moved apart together (unit names only a little, without a
    # leader line: they name an area, not a point).
    _, leaders = adjust_text(
        towns + units, ax=ax, objects=_fixed_texts(ax) or None, expand=(1.1, 1.3),
        ensure_inside_axes=True, time_lim=2,
        arrowprops={"arrowstyle": "-", "color": "0.35", "linewidth": 0.5}, **kwargs)
    for leader in leaders or []:
        if getattr(leader, "patchA", None) in units:
            leader.remove()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    kept = [label_extent(t, renderer) for t in _fixed_texts(ax)]
    dropped = []
    for text in towns + units:
        box = label_extent(text, renderer)
        inside = (box.x0 >= frame.x0 - 1 and box.x1 <= frame.x1 + 1
                  and box.y0 >= frame.y0 - 1 and box.y1 <= frame.y1 + 1)
        if not inside or _overlaps(box, kept):
            dropped.append(text.get_text())
            text.remove()
        else:
            kept.append(box)
    for leader in leaders or []:
        # the leader line of a label left out would point from nothing
        if (leader.axes is not None and getattr(leader, "patchA", None) is not None
                and leader.patchA.axes is None):
            leader.remove()
    ax._frontline_dropped = dropped
    return dropped


def _finish_map(ax) -> None:
    """Last step of every map: no axis labels (geopandas names the CRS axes), labels placed."""
    ax.set_xlabel("")
    ax.set_ylabel("")
    place_labels(ax)


def _label_style(kind: str) -> dict:
    if kind == "town":
        return {"fontsize": 7.5, "color": "black", "zorder": 8,
                "bbox": {"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none",
                         "alpha": 0.75}}
    return {"fontsize": 7.5, "color": "0.35", "style": "italic", "zorder": 7,
            "ha": "center", "va": "center"}


def _extent_of(frames, margin=0.05):
    bounds = [f.total_bounds for f in frames if f is not None and not f.empty]
    if not bounds:
        raise InvalidArgumentError("Nothing to map: every layer is empty and no extent was given.")
    bounds = np.array(bounds)
    minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
    maxx, maxy = bounds[:, 2].max(), bounds[:, 3].max()
    dx, dy = (maxx - minx) * margin or 0.1, (maxy - miny) * margin or 0.1
    return (minx - dx, miny - dy, maxx + dx, maxy + dy)


def _draw_towns(ax, towns, extent) -> None:
    """Town points and their labels (largest towns first, for :func:`place_labels`)."""
    if towns is None or towns.empty:
        return
    minx, miny, maxx, maxy = extent
    inside = towns.cx[minx:maxx, miny:maxy]
    if inside.empty:
        return
    if "geonames_population" in inside.columns:
        inside = inside.sort_values("geonames_population", ascending=False, kind="stable")
    x, y = _map_xy(inside.geometry.x.to_numpy(), inside.geometry.y.to_numpy())
    x, y = np.asarray(x), np.asarray(y)
    ax.scatter(x, y, s=14, color="black", zorder=7, label="town", edgecolor="white",
               linewidth=0.6)
    ax._frontline_points = np.column_stack([x, y])
    box = _map_box(extent)
    width = box[2] - box[0]
    for name, px, py in zip(inside["name"], x, y, strict=True):
        text = ax.text(px + width * 0.004, py, str(name), ha="left", va="bottom",
                       **_label_style("town"))
        text.set_gid(LABEL_GID)
        text.set_in_layout(False)


def _draw_boundaries(ax, boundaries, extent, *, names: bool = False) -> None:
    """Outlines of the units in view and, with ``names``, the name of each unit that
    fills enough of the view to carry one.
    """
    boundaries = _clip(_as_4326(boundaries, "boundaries"), extent)
    if boundaries is None or boundaries.empty:
        return
    projected = _project(boundaries)
    projected.boundary.plot(ax=ax, color="0.45", linewidth=0.6, zorder=2)
    if not names:
        return
    column = next((c for c in ("name_en", "name") if c in projected.columns), None)
    if column is None:
        return
    box = _map_box(extent)
    view = shapely.box(*box)
    view_area = view.area
    shown = projected.assign(geometry=projected.geometry.intersection(view))
    shown = shown.assign(_area=shown.geometry.area)
    shown = shown[shown["_area"] > 0.01 * view_area].sort_values("_area", ascending=False)
    for name, geometry in zip(shown[column], shown.geometry, strict=True):
        point = geometry.representative_point()
        text = ax.text(point.x, point.y, str(name), **_label_style("unit"))
        text._frontline_kind = "unit"
        text.set_gid(LABEL_GID)
        text.set_in_layout(False)


def _draw_held(ax, held, extent, label: str | None, within=None):
    """The area held, in a neutral colour under the change, for context (inside
    ``within``, Ukraine's units, when given: a layer's edge past the border is not shown).
    """
    held = _clip(_as_4326(held, "held"), extent)
    if held is None or held.empty:
        return None
    from matplotlib.patches import Patch

    if within is not None:
        land = shapely.union_all(_clip(within, extent).geometry.values)
        held = held.assign(geometry=shapely.intersection(held.geometry.values, land))
        held = held[~held.geometry.is_empty]

    _project(held).plot(ax=ax, facecolor=_HELD, edgecolor="none", zorder=1)
    return Patch(facecolor=_HELD, edgecolor="none", label=label or "held by Russia")


def _credit_from(frames, source, what: str) -> str:
    if source is not None:
        return source_credit(source)
    values = []
    for frame in frames:
        if frame is not None and "source" in frame.columns:
            values += list(frame["source"].dropna().unique())
    if not values:
        raise InvalidArgumentError(
            f"{what} cannot tell whose data it shows: pass source='isw' or 'deepstate' "
            "(or source_line=...), or give the frames a 'source' column."
        )
    return source_credit(values)


def _day_or_pair(label: str) -> str:
    """``2024-09-29`` → ``29 Sep 2024``; ``2024-09-29/2024-10-01`` → ``29 Sep & 1 Oct 2024*``."""
    parts = [p for p in str(label).split("/") if p]
    try:
        days = [pd.Timestamp(p) for p in parts]
    except ValueError:
        return str(label)
    if len(days) == 1:
        return day_label(days[0])
    return " & ".join(day_label(d) for d in days) + "*"


def _snapshot_text(table: pd.DataFrame) -> str:
    """``Days of the data used: 31 Jul 2024, 31 Aug 2024, 29 Sep & 1 Oct 2024*``."""
    seen = []
    for row in table.itertuples():
        for label in (row.start_snapshot, row.end_snapshot):
            label = _day_or_pair(label)
            if label not in seen:
                seen.append(label)
    text = "Days of the data used: " + ", ".join(seen)
    if any(s.endswith("*") for s in seen):
        text += " (* = estimated between the two days)"
    return text


def _partial_months(table: pd.DataFrame) -> list[str]:
    """``January 2026: 1–24 Jan only`` for each calendar month cut short."""
    notes = []
    for row in table.itertuples():
        end = pd.Timestamp(row.end_date)
        start = pd.Timestamp(row.start_date) + pd.Timedelta(days=1)
        if start.day == 1 and start.to_period("M") == end.to_period("M") and (
                not end.is_month_end):
            notes.append(f"{end:%B %Y}: 1–{end.day} {end:%b} only")
    return notes


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(
        "\n".join(textwrap.wrap(line, width=width, break_on_hyphens=False)) or line
        for line in text.split("\n")
    )


def set_title(ax: Axes, *lines: str) -> None:
    width = _chars_across(ax, 10)
    ax.set_title("\n".join(_wrap(line, width) for line in lines), fontsize=10)


# ----------------------------------------------------------------------- charts


def plot_monthly_gains(table: pd.DataFrame, *, ax: Axes | None = None,
                       source_line: str | None = None) -> Axes:
    """Bars of the net change per period (km², with a mi² axis), as in the monthly table.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`frontline.monthly_gains`' table (one row per period): ``period,
        start_date, end_date, start_snapshot, end_snapshot, source, exact, net_km2`` are
        used, ``preset`` names what is measured when present.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    source_line : str, optional
        Replaces the credit line derived from the table's ``source`` column.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Each bar is labelled with its value in km². Inexact periods (a start or end date with
    no snapshot, interpolated or substituted) are drawn lighter and hatched, and a note
    under the chart says so; the snapshots used are listed there too. A partial month
    is labelled with its days (``Oct 1–27``).

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "period": ["2024-08"], "start_date": [pd.Timestamp("2024-07-31")],
    ...     "end_date": [pd.Timestamp("2024-08-31")], "start_snapshot": ["2024-07-31"],
    ...     "end_snapshot": ["2024-08-31"], "source": ["isw"], "preset": ["afp"],
    ...     "exact": [True], "net_km2": [476.87]})
    >>> ax = plot_monthly_gains(table)
    >>> [t.get_text() for t in ax.texts if t.get_text() == "477"]
    ['477']
    """
    from matplotlib.patches import Patch

    _require(table, ["period", "start_date", "end_date", "start_snapshot", "end_snapshot",
                     "source", "exact", "net_km2"], "plot_monthly_gains")
    table = table.reset_index(drop=True)
    net = table["net_km2"].astype(float)
    if net.isna().any():
        bad = ", ".join(table.loc[net.isna(), "period"].astype(str))
        raise InvalidArgumentError(f"net_km2 is missing for {bad}: cannot draw those bars.")
    exact = table["exact"].astype(bool).to_numpy()
    ax = _new_axes(ax, (max(7.0, 0.7 * len(table) + 3), 5.0))

    colours = [_GAIN if v >= 0 else _LOSS for v in net]
    x = np.arange(len(table))
    bars = ax.bar(x, net, color=colours, edgecolor=colours, linewidth=0.8, width=0.7,
                  zorder=3)
    for bar, is_exact in zip(bars, exact, strict=True):
        if not is_exact:
            bar.set_alpha(0.45)
            bar.set_hatch("///")
    ax.bar_label(bars, labels=[f"{v:,.0f}" for v in net], padding=2, fontsize=8)
    first_days = [pd.Timestamp(d) + pd.Timedelta(days=1) for d in table["start_date"]]
    for index, (value, first_day, end) in enumerate(zip(
            net, first_days, pd.to_datetime(table["end_date"]), strict=True)):
        if (first_day.day == 1 and first_day.to_period("M") == end.to_period("M")
                and not end.is_month_end):
            # said on the bar itself, above its value label
            ax.annotate(f"partial:\n1–{end.day} {end:%b}", xy=(index, max(value, 0.0)),
                        xytext=(0, 14), textcoords="offset points", ha="center",
                        va="bottom", fontsize=7, color="0.2", fontstyle="italic")
    # Interpolated months: the 90 % band of the interpolation (changes.INTERPOLATION_K90).
    band = (table["uncertainty90_km2"].fillna(0.0).to_numpy(dtype=float)
            if "uncertainty90_km2" in table.columns else np.zeros(len(table)))
    if (band > 0).any():
        shown = band > 0
        ax.errorbar(x[shown], net.to_numpy()[shown], yerr=band[shown], fmt="none", ecolor="0.25",
                    elinewidth=1.0, capsize=3, zorder=5)
    ax.axhline(0, color="0.2", linewidth=0.8, zorder=4)
    ax.set_xticks(x, _period_labels(table))
    top, bottom = max(float(net.max()), 0.0), min(float(net.min()), 0.0)
    span = (top - bottom) or 1.0
    # Room above the bars for their labels and the legend.
    ax.set_ylim(bottom - (0.1 * span if bottom < 0 else 0.0), top + 0.3 * span)
    ax.grid(axis="y", color="0.9", zorder=0)
    ax.set_axisbelow(True)
    _km2_axis(ax)
    ax.set_ylabel("Net change (km²)")
    ax.set_xlabel("Period (change from the last day of the previous month)")

    presets = list(table["preset"].dropna().unique()) if "preset" in table.columns else []
    what = _PRESET_WHAT.get(presets[0], f"preset {presets[0]}") if len(presets) == 1 else (
        "territory held by Russia"
    )
    how = "; ".join(_PRESET_HOW.get(p, f"preset {p}") for p in presets)
    first = pd.Timestamp(table["start_date"].iloc[0]) + pd.Timedelta(days=1)
    set_title(ax, f"Net change in {what}, per month",
               f"{_date_range(first, table['end_date'].iloc[-1])}, km²")
    if not exact.all():
        ax.legend(
            handles=[Patch(facecolor=_GAIN, edgecolor=_GAIN, label="measured on both days"),
                     Patch(facecolor=_GAIN, edgecolor=_GAIN, alpha=0.45, hatch="///",
                           label="estimated (see note)")]
            + ([_line_handle("0.25", "-", "likely range of the estimate (90 %)")]
               if (band > 0).any() else []),
            loc="upper left", fontsize=7, frameon=False, ncols=2,
        )
    credit = source_line if source_line is not None else source_credit(table["source"])
    cut = _partial_months(table)
    footer(ax, [_INEXACT_NOTE if not exact.all() else "",
                ("Partial month: " + "; ".join(cut) + " (the data ends there, or the chart "
                 "was asked to stop there).") if cut else "",
                 f"Measured: {how}." if how else "", _snapshot_text(table),
                 credit + ". Chart: frontline."])
    return ax


def plot_controlled_total(series_by_source: pd.DataFrame, *, ax: Axes | None = None,
                          share_of: float | None = None) -> Axes:
    """The controlled total over time, one line per source.

    Parameters
    ----------
    series_by_source : pandas.DataFrame
        Columns ``date``, ``source``, ``total_km2`` (one row per source and date). Sources
        are never mixed: each has its own line and legend entry.
    ax : matplotlib.axes.Axes, optional
    share_of : float, optional
        Ukraine's area in km² (e.g. 603,550): adds a right axis with the share in %.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.ticker import StrMethodFormatter

    _require(series_by_source, ["date", "source", "total_km2"], "plot_controlled_total")
    ax = _new_axes(ax, (9, 4.8))
    frame = series_by_source.assign(date=pd.to_datetime(series_by_source["date"]))
    counts = []
    for source, group in frame.groupby("source", sort=True):
        group = group.sort_values("date")
        label = SOURCE_LABELS.get(source, source)
        ax.plot(group["date"], group["total_km2"], label=label,
                marker="o" if len(group) <= 60 else None, markersize=3, linewidth=1.4)
        counts.append(f"{label}: {len(group)} dates, "
                      f"{_date_range(group['date'].iloc[0], group['date'].iloc[-1])}")
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    date_axis(ax)
    ax.set_ylabel("Area held (km²)")
    ax.set_xlabel("Date of the map")
    ax.grid(color="0.9")
    ax.legend(title="source", fontsize=8, title_fontsize=8)
    if share_of is not None:
        if not share_of > 0:
            raise InvalidArgumentError(f"share_of must be an area in km² > 0; got {share_of!r}.")
        share = ax.secondary_yaxis(
            "right", functions=(lambda km2: np.asarray(km2) / share_of * 100.0,
                                lambda pct: np.asarray(pct) * share_of / 100.0),
        )
        share.set_ylabel(f"% of Ukraine ({share_of:,.0f} km²)")
    set_title(ax, "Territory held by Russia over time, by source",
               f"{_date_range(frame['date'].min(), frame['date'].max())}, km²")
    footer(ax, ["; ".join(counts), source_credit(frame["source"]) + ". Chart: frontline."])
    return ax


def _period_name(value: str) -> str:
    """``2024-10`` → ``October 2024``; anything else as given."""
    try:
        return f"{pd.Period(value, 'M'):%B %Y}" if len(value) == 7 else value
    except ValueError:
        return value


def _locator(ax, boundaries, layers, extent) -> None:
    """A small map of Ukraine beside the legend: every change, the window outlined."""
    inset = ax.inset_axes([1.03, 0.0, 0.42, 0.34])
    country = _project(boundaries)
    country.boundary.plot(ax=inset, color="0.55", linewidth=0.3)
    for frame, colour in zip(layers, (_GAIN, _LOSS), strict=False):
        if frame is not None and not frame.empty:
            _project(frame).plot(ax=inset, color=colour, linewidth=0)
    window = gpd.GeoSeries([shapely.box(*extent).segmentize(0.05)], crs="EPSG:4326")
    _project(window).boundary.plot(ax=inset, color="black", linewidth=0.9)
    _bare_axes(inset, country.total_bounds)
    inset.set_title("Ukraine: the area shown", fontsize=7)


def plot_change_map(gained: gpd.GeoDataFrame | None, lost: gpd.GeoDataFrame | None, *,
                    boundaries: gpd.GeoDataFrame | None = None,
                    towns: pd.DataFrame | None = None, ax: Axes | None = None,
                    by: str = "period", extent: Extent | None = None,
                    source: str | None = None, title: str | None = None,
                    source_line: str | None = None, held: gpd.GeoDataFrame | None = None,
                    held_label: str | None = None, locator: bool = False,
                    notes: Iterable[str] = ()) -> Axes:
    """Territory gained and lost, coloured by period, over held territory, oblasts, towns.

    Parameters
    ----------
    gained, lost : geopandas.GeoDataFrame or None
        Polygons (any CRS) with a ``by`` column naming the period. ``lost`` is drawn in
        blues and hatched, ``gained`` in reds (later periods darker).
    boundaries : geopandas.GeoDataFrame, optional
        Outlines drawn as lines, named when they fill enough of the view (oblasts for a
        national map, raions for a close-up).
    towns : geopandas.GeoDataFrame or pandas.DataFrame, optional
        Points with ``name`` (or a table with ``name, latitude, longitude``), labelled;
        larger towns (``geonames_population``) win when labels collide.
    ax : matplotlib.axes.Axes, optional
        Give one from a figure of its final size: labels are placed for it.
    by : str
        The column naming each polygon's period.
    extent : (minx, miny, maxx, maxy), optional
        Longitude/latitude window; default: the boundaries, else the polygons.
    source : str, optional
        ``"isw"`` or ``"deepstate"`` for the credit line when the frames have no
        ``source`` column.
    title, source_line : str, optional
        Replace the default title and credit line.
    held : geopandas.GeoDataFrame, optional
        The area held by Russia (e.g. at the start), drawn in grey beneath the change
        (inside ``boundaries`` when given).
    held_label : str, optional
        Its legend entry (default "Held by Russia").
    locator : bool
        Add a small map of the whole of ``boundaries`` with the window outlined.
    notes : sequence of str
        Extra lines for the footnote (above the credit).

    Returns
    -------
    matplotlib.axes.Axes
        The map; ``ax._frontline_dropped`` lists town or oblast labels left out because
        they would have overlapped (:func:`place_labels`).
    """
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    gained = _as_4326(gained, "gained")
    lost = _as_4326(lost, "lost")
    layers = [f for f in (gained, lost) if f is not None]
    for name, frame in (("gained", gained), ("lost", lost)):
        if frame is not None and by not in frame.columns:
            raise InvalidArgumentError(
                f"{name} has no {by!r} column (columns: {', '.join(frame.columns)}): add "
                f"one naming each polygon's period, or pass by= another column."
            )
    boundaries = _as_4326(boundaries, "boundaries")
    if extent is None:
        extent = _extent_of([boundaries] if boundaries is not None else layers, margin=0.02)
    periods = sorted({str(v) for f in layers for v in f[by].dropna()})
    ax = _new_axes(ax, (9, 7))
    ax.set_facecolor("#f7f7f4")
    _set_map_extent(ax, extent)

    handles = []
    held_handle = _draw_held(ax, held, extent, held_label, within=boundaries)
    if held_handle is not None:
        handles.append(held_handle)
    for name, frame, cmap, hatch in (("Gained by Russia", gained, "Reds", None),
                                     ("Lost by Russia (retaken by Ukraine)", lost, "Blues",
                                      "////")):
        frame = _clip(frame, extent)
        if frame is None or frame.empty:
            continue
        shades = colormaps[cmap](np.linspace(0.45, 0.95, max(len(periods), 1)))
        if len(periods) == 1:
            shades = [_GAIN if cmap == "Reds" else _LOSS]
        for index, period in enumerate(periods):
            part = frame[frame[by].astype(str) == period]
            if part.empty:
                continue
            colour = shades[index]
            _project(part).plot(ax=ax, facecolor=colour,
                                edgecolor=colour if hatch is None else "white",
                                hatch=hatch, linewidth=0.3, zorder=3)
            label = name if len(periods) == 1 else f"{name}, {_period_name(period)}"
            handles.append(Patch(facecolor=colour, hatch=hatch, edgecolor="white",
                                 label=label))
    _draw_boundaries(ax, boundaries, extent, names=True)
    _draw_towns(ax, _towns_frame(towns), extent)
    if boundaries is not None:
        handles.append(_line_handle("0.45", "-", "Oblast boundary"))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  fontsize=7, frameon=False)
    if locator and boundaries is not None:
        _locator(ax, boundaries, [gained, lost], extent)

    if title is None:
        dates = [f[c] for f in layers for c in ("start_date", "end_date") if c in f.columns]
        span = ""
        if dates:
            dates = pd.to_datetime(pd.concat(dates))
            span = f"\n{_date_range(dates.min(), dates.max())}"
        elif periods:
            span = (f"\n{_period_name(periods[0])} – {_period_name(periods[-1])}"
                    if len(periods) > 1 else f"\n{_period_name(periods[0])}")
        title = f"Territory gained and lost by Russia{span}"
    set_title(ax, title)
    snaps = sorted({str(v) for f in layers for c in ("start_snapshot", "end_snapshot")
                    if c in f.columns for v in f[c].dropna()})
    credit = source_line if source_line is not None else _credit_from(
        layers, source, "plot_change_map")
    footer(ax, [*notes,
                "Maps compared: " + " and ".join(day_label(d) for d in snaps) if snaps else "",
                credit + ". Chart: frontline."])
    _finish_map(ax)
    return ax


def plot_area_closeup(controlled_by_date: gpd.GeoDataFrame, *,
                      center: tuple[float, float] | shapely.Point,
                      rings_km: Sequence[float] = (10, 20),
                      outline: gpd.GeoDataFrame | None = None,
                      towns: pd.DataFrame | None = None, ax: Axes | None = None,
                      title: str | None = None, extent: Extent | None = None,
                      source: str | None = None, source_line: str | None = None) -> Axes:
    """A close-up: the area held on each snapshot date, with distance rings and towns.

    Parameters
    ----------
    controlled_by_date : geopandas.GeoDataFrame
        ``date`` and ``geometry`` (the area held on that date), one row per date; a
        ``source`` column names whose map it is.
    center : (lon, lat) or shapely Point
        Centre of the rings (e.g. a town's point, :data:`POKROVSK`).
    rings_km : sequence of float
        Radii of geodesic rings around ``center``.
    outline : geopandas.GeoDataFrame, optional
        A unit's outline (e.g. the raion), drawn as a line; labelled with its ``name_en``
        or ``name`` column when present.
    towns : geopandas.GeoDataFrame or pandas.DataFrame, optional
        Town points with ``name`` (or ``name, latitude, longitude``).
    ax : matplotlib.axes.Axes, optional
    title : str, optional
    extent : (minx, miny, maxx, maxy), optional
        Default: the largest ring plus a quarter of its radius.
    source, source_line : str, optional
        Credit when ``controlled_by_date`` has no ``source`` column, or a full override.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    from frontline.geodesy import geodesic_circle

    controlled = _as_4326(controlled_by_date, "controlled_by_date")
    _require(controlled, ["date", "geometry"], "plot_area_closeup")
    lon, lat = (center.x, center.y) if isinstance(center, shapely.Point) else center
    rings = [(km, geodesic_circle(lat, lon, km)) for km in sorted(rings_km)]
    if extent is None:
        if rings:
            minx, miny, maxx, maxy = rings[-1][1].bounds
            dx, dy = (maxx - minx) * 0.125, (maxy - miny) * 0.125
            extent = (minx - dx, miny - dy, maxx + dx, maxy + dy)
        else:
            extent = _extent_of([controlled])
    ax = _new_axes(ax, (8, 7.5))
    ax.set_facecolor("#f7f7f4")
    _set_map_extent(ax, extent)

    controlled = controlled.assign(date=pd.to_datetime(controlled["date"])).sort_values("date")
    dates = list(controlled["date"])
    shades = colormaps["YlOrRd"](np.linspace(0.9, 0.25, max(len(dates), 1)))
    clipped = _project(_clip(controlled, extent))
    handles = []
    # Latest (largest) first, so each earlier date's area sits on top and the bands
    # between them are the advance from one date to the next.
    for index in range(len(dates) - 1, -1, -1):
        date = dates[index]
        part = clipped[clipped["date"] == date]
        if not part.empty:
            part.plot(ax=ax, facecolor=shades[index], edgecolor="0.3", linewidth=0.3,
                      zorder=3)
        handles.append(Patch(facecolor=shades[index], edgecolor="0.3",
                             label=f"Held by Russia on {day_label(date)}"))
    handles.reverse()
    if outline is not None:
        outline = _as_4326(outline, "outline")
        _project(outline).boundary.plot(ax=ax, color="black", linewidth=1.2, linestyle="--",
                                        zorder=5)
        name = next((str(outline[c].iloc[0]) for c in ("name_en", "name:en", "name")
                     if c in outline.columns and pd.notna(outline[c].iloc[0])), "outline")
        handles.append(_line_handle("black", "--", f"{name} (boundary)"))
    for km, ring in rings:
        ring = gpd.GeoSeries([ring], crs="EPSG:4326").to_crs(MAP_CRS).iloc[0]
        ax.plot(*ring.exterior.xy, color="0.15", linewidth=0.9, linestyle=":", zorder=5)
        top = ring.bounds[3]
        label = ax.annotate(f"{km:g} km", xy=(_map_xy(lon, lat)[0], top), xytext=(0, 2),
                            textcoords="offset points", ha="center", fontsize=7, zorder=6)
        _fixed_texts(ax).append(label)
    if rings:
        handles.append(_line_handle("0.15", ":", "Distance from the town centre: " + ", ".join(
            f"{km:g}" for km, _ in rings) + " km"))
    ax.plot(*_map_xy(lon, lat), marker="+", color="black", markersize=9, zorder=7)
    _draw_towns(ax, _towns_frame(towns), extent)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
              frameon=False)
    if title is None:
        title = (f"Area held around {lat:.3f}°N {lon:.3f}°E by date\n"
                 f"{_date_range(dates[0], dates[-1])}")
    set_title(ax, title)
    credit = source_line if source_line is not None else _credit_from(
        [controlled], source, "plot_area_closeup")
    footer(ax, ["Dates of the maps: " + ", ".join(day_label(d) for d in dates),
                 credit + ". Chart: frontline."])
    _finish_map(ax)
    return ax


def _line_handle(colour, style, label):
    from matplotlib.lines import Line2D

    return Line2D([], [], color=colour, linestyle=style, label=label)


#: Towns the Pokrovsk close-up keeps in view by default.
POKROVSK_TOWNS = ("Pokrovsk", "Myrnohrad", "Selydove", "Kurakhove", "Toretsk")


def plot_pokrovsk(controlled_by_date: gpd.GeoDataFrame, *,
                  outline: gpd.GeoDataFrame | None = None, towns: pd.DataFrame | None = None,
                  data_dir: StrPath | None = None, rings_km: Sequence[float] = (10, 20),
                  ax: Axes | None = None, title: str | None = None,
                  extent: Extent | None = None, source: str | None = None) -> Axes:
    """The Pokrovsk close-up: :func:`plot_area_closeup` centred on Pokrovsk.

    The Pokrovsk raion outline and the front-line towns are read from the data
    directory's ``boundaries/`` (see :mod:`frontline.boundaries`) unless given. The default
    view holds the rings and :data:`POKROVSK_TOWNS` (Pokrovsk to Kurakhove and Toretsk).

    Returns
    -------
    matplotlib.axes.Axes
    """
    from frontline.boundaries import find_unit, load_towns
    from frontline.geodesy import geodesic_circle

    if outline is None:
        outline = find_unit("Pokrovsk raion", level="raion", data_dir=data_dir)
    if towns is None:
        towns = load_towns(data_dir=data_dir)
    if extent is None:
        points = _towns_frame(towns)
        points = points[points["name"].isin(POKROVSK_TOWNS)]
        ring = geodesic_circle(POKROVSK[1], POKROVSK[0], max(rings_km, default=20))
        minx, miny, maxx, maxy = shapely.union_all([ring, *points.geometry]).bounds
        dx, dy = (maxx - minx) * 0.08, (maxy - miny) * 0.08
        extent = (minx - dx, miny - dy, maxx + dx, maxy + dy)
    dates = pd.to_datetime(controlled_by_date["date"])
    if title is None:
        title = ("Pokrovsk axis: area held by snapshot date\n"
                 f"{_date_range(dates.min(), dates.max())}")
    return plot_area_closeup(controlled_by_date, center=POKROVSK, rings_km=rings_km,
                             outline=outline, towns=towns, ax=ax, title=title,
                             extent=extent, source=source)


def plot_source_comparison(table: pd.DataFrame, *, ax: Axes | None = None,
                           area_name: str | None = None, value: str = "area_km2") -> Axes:
    """ISW vs DeepState: the same area measured by each source on their common dates.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``date``, ``source`` and ``value``; two or more sources, one area. Only
        dates every source has are drawn.
    ax : matplotlib.axes.Axes, optional
    area_name : str, optional
        What was measured (e.g. ``"Pokrovsk raion"``), for the title; default: the
        table's ``name`` column when it has one.
    value : str
        The column holding the area in km² (``"controlled_km2"`` for
        :func:`frontline.area_series`' table, whose ``area_km2`` is the unit's own area).

    Returns
    -------
    matplotlib.axes.Axes
    """
    _require(table, ["date", "source", value], "plot_source_comparison")
    if "name" in table.columns:
        names = list(table["name"].dropna().unique())
        if len(names) > 1:
            raise InvalidArgumentError(
                f"plot_source_comparison draws one area at a time; the table holds "
                f"{len(names)} ({', '.join(map(str, names[:5]))}…): filter it by name first."
            )
        if area_name is None and names:
            area_name = str(names[0])
    frame = table.assign(date=pd.to_datetime(table["date"]))
    wide = frame.pivot_table(index="date", columns="source", values=value, aggfunc="first")
    if wide.shape[1] < 2:
        raise InvalidArgumentError(
            f"plot_source_comparison needs two sources; got {list(wide.columns)}."
        )
    common = wide.dropna()
    if common.empty:
        spans = "; ".join(
            f"{s}: {_date_range(wide[s].dropna().index.min(), wide[s].dropna().index.max())}"
            for s in wide.columns
        )
        raise InvalidArgumentError(f"The sources have no date in common ({spans}).")
    ax = _new_axes(ax, (9, 4.8))
    for source in common.columns:
        ax.plot(common.index, common[source], label=SOURCE_LABELS.get(source, source),
                marker="o" if len(common) <= 60 else None, markersize=3, linewidth=1.4)
    _km2_axis(ax)
    date_axis(ax)
    ax.set_ylabel("Area held (km²)")
    ax.set_xlabel("Date of the map")
    ax.grid(color="0.9")
    ax.legend(title="source", fontsize=8, title_fontsize=8)
    first, second = common.columns[0], common.columns[1]
    diff = common[first] - common[second]
    where = f" in {area_name}" if area_name else ""
    names = " vs ".join(SOURCE_LABELS.get(s, s) for s in common.columns)
    set_title(ax, f"Area held by Russia{where}: {names}",
               f"{len(common)} common dates, "
               f"{_date_range(common.index.min(), common.index.max())}, km²")
    footer(ax, [f"{first} − {second}: mean {diff.mean():+,.0f} km², "
                 f"from {diff.min():+,.0f} to {diff.max():+,.0f} km²",
                 source_credit(list(common.columns)) + ". Chart: frontline."])
    return ax


def plot_totals(totals: pd.DataFrame, *, ax: Axes | None = None,
                share_of: float | None = UKRAINE_KM2) -> Axes:
    """:func:`frontline.plot_controlled_total` with each line saying what it measures.

    ``totals`` stacks :func:`controlled_totals` tables (``date, source, measures,
    total_km2``); the legend reads e.g. "ISW/CTP (weekly copies): control + advances".
    """
    if "measures" in totals.columns:
        measures = totals.groupby("source")["measures"].agg(lambda m: sorted(set(m)))
        mixed = measures[measures.map(len) > 1]
        if len(mixed):
            raise InvalidArgumentError(
                f"One line per source and measure: {', '.join(mixed.index)} has several "
                f"({'; '.join(' / '.join(m) for m in mixed)}); rename the source of one."
            )
    ax = plot_controlled_total(totals, ax=ax, share_of=share_of)
    if "measures" in totals.columns:
        labels = {SOURCE_LABELS.get(s, s): f"{SOURCE_LABELS.get(s, s)}: {m[0]}"
                  for s, m in measures.items()}
        for line in ax.get_lines():
            if line.get_label() in labels:
                line.set_label(labels[line.get_label()])
        ax.legend(title="source: layers measured", fontsize=7, title_fontsize=7)
    return ax

def plot_axis_series(series: pd.DataFrame, *, axes: Sequence[Axes] | None = None
                     ) -> tuple[Axes, Axes]:
    """Area held inside the unit and within the largest ring, and the distance to the
    town, over time: one line per source (:func:`axis_series` tables stacked).

    Returns
    -------
    (matplotlib.axes.Axes, matplotlib.axes.Axes)
        The area panel and the distance panel.
    """
    from matplotlib.ticker import StrMethodFormatter

    rings = sorted(int(c.split("_")[1][:-2]) for c in series.columns
                   if c.startswith("within_") and c.endswith("km_km2"))
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
    area_ax, distance_ax = axes
    frame = series.assign(date=pd.to_datetime(series["date"]))
    town = str(frame["town"].iloc[0])
    unit = str(frame["unit"].iloc[0]) if "unit" in frame.columns else None
    spans = []
    for index, (source, group) in enumerate(frame.groupby("source", sort=True)):
        label = SOURCE_LABELS.get(source, source)
        style = {"color": f"C{index}", "marker": "o" if len(group) <= 40 else None,
                 "markersize": 3}  # one colour per source in both panels
        if unit is not None:
            area_ax.plot(group["date"], group["unit_km2"], label=f"{label}: in {unit}",
                         **style)
        if rings:
            area_ax.plot(group["date"], group[f"within_{rings[-1]}km_km2"], linestyle="--",
                         label=f"{label}: within {rings[-1]} km of {town}", **style)
        distance_ax.plot(group["date"], group["distance_km"], label=label, **style)
        spans.append(f"{label}: {len(group)} snapshots, "
                     f"{day_label(group['date'].min())} – {day_label(group['date'].max())}")
    for ax in axes:
        date_axis(ax)
        ax.grid(color="0.9")
        ax.set_xlabel("Date of the map")
        ax.legend(fontsize=7)
    area_ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    area_ax.set_ylabel("Area held by Russia (km²)")
    distance_ax.set_ylabel(f"Distance from {town} (km)")
    distance_ax.set_ylim(bottom=0)
    period = f"{day_label(frame['date'].min())} – {day_label(frame['date'].max())}"
    set_title(area_ax, f"Area held by Russia near {town}, km²", period)
    set_title(distance_ax, f"Distance from {town}'s centre to the area held, km", period)
    footer(area_ax, ["; ".join(spans)])
    footer(distance_ax, [source_credit(list(frame["source"].unique()))
                          + ". Chart: frontline."])
    return area_ax, distance_ax

def plot_source_difference(difference: gpd.GeoDataFrame, *,
                           boundaries: gpd.GeoDataFrame | None = None,
                           towns: pd.DataFrame | None = None, extent: Extent | None = None,
                           ax: Axes | None = None) -> Axes:
    """Map of :func:`source_difference`: each source's extra area in its own colour.

    The default window is where most of the disagreement lies (a locator is not drawn);
    pass ``extent=(minx, miny, maxx, maxy)`` for another.
    """
    from matplotlib.patches import Patch


    kinds = list(dict.fromkeys(difference["kind"]))
    if extent is None:
        extent = zoom_extent(difference, share=0.9)
    ax = _new_axes(ax, (9, 8))
    ax.set_facecolor("#f7f7f4")
    _set_map_extent(ax, extent)
    colours = ["#d95f02", "#7570b3"]
    handles = []
    for kind, colour in zip(kinds, colours, strict=False):
        part = difference[difference["kind"] == kind]
        clipped = part.clip(extent) if extent is not None else part
        if not clipped.empty:
            _project(clipped).plot(ax=ax, color=colour, linewidth=0, zorder=3)
        source = str(part["source"].iloc[0])
        handles.append(Patch(color=colour, label=f"Held by Russia per "
                             f"{SOURCE_LABELS.get(source, source)} only: "
                             f"{part['area_km2'].sum():,.0f} km²"))
    _draw_boundaries(ax, boundaries, extent, names=True)
    _draw_towns(ax, _towns_frame(towns), extent)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
              frameon=False)
    date = pd.Timestamp(difference["date"].iloc[0])
    totals = difference.attrs.get("totals_km2", {})
    names = " vs ".join(SOURCE_LABELS.get(s, s) for s in totals) or " vs ".join(kinds)
    set_title(ax, f"Where the maps disagree: {names}", f"{day_label(date)}, km²")
    lines = [", ".join(f"{SOURCE_LABELS.get(s, s)} total {v:,.0f} km²"
                       for s, v in totals.items())]
    lines.append(source_credit(list(difference["source"].unique())) + ". Chart: frontline.")
    footer(ax, lines)
    _finish_map(ax)
    return ax


def zoom_extent(polygons: gpd.GeoDataFrame, share: float = 0.8, pad: float = 0.3
                ) -> Extent | None:
    """A window around where most of the area changed: the area-weighted central
    ``share`` of the polygons' centres in longitude and in latitude (stray far-off
    specks stay on the locator map), padded, at least 1.5° x 1° and about as wide as
    tall on the ground.
    """
    if polygons.empty:
        return None
    centres = shapely.get_coordinates(shapely.centroid(polygons.geometry.values))
    weights = polygons["area_km2"].to_numpy()
    tail = (1.0 - share) / 2
    bounds = []
    for axis in (0, 1):
        order = np.argsort(centres[:, axis])
        cumulative = np.cumsum(weights[order]) / weights.sum()
        low = centres[order, axis][np.searchsorted(cumulative, tail)]
        high = centres[order, axis][min(np.searchsorted(cumulative, 1 - tail),
                                        len(order) - 1)]
        bounds.append((low, high))
    (minx, maxx), (miny, maxy) = bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_x, half_y = max((maxx - minx) / 2 + pad, 0.75), max((maxy - miny) / 2 + pad, 0.5)
    stretch = 1.0 / np.cos(np.radians(cy))  # degrees of longitude per degree of latitude
    half_x = max(half_x, 0.9 * half_y * stretch)
    half_y = max(half_y, 0.6 * half_x / stretch)
    return (cx - half_x, cy - half_y, cx + half_x, cy + half_y)
