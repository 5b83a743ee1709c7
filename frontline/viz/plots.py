"""Publication charts of frontline's tables (matplotlib).

Every function takes the library's own tables, draws on ``ax`` (a new figure when
``ax`` is None) and returns the Axes. Each figure carries a title with the period, axis
labels with units, the snapshot dates it rests on, and a source line crediting "ISW and
AEI's Critical Threats Project" and/or "DeepStateMap". pyplot is imported only to create
a figure when no Axes is given; no style or rcParams is changed.

Maps are drawn in longitude/latitude with the aspect corrected for latitude
(``1 / cos(latitude)``), so that a kilometre east looks as long as a kilometre north in
the middle of the map, with a scale bar in km.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from frontline.compare import UKRAINE_KM2, day_label
from frontline.errors import InvalidArgumentError
from frontline.geodesy import KM2_PER_MI2, geodesic_distance_km, geodesic_forward, km2_to_mi2
from frontline.sources.credits import source_credit

__all__ = [
    "POKROVSK",
    "POKROVSK_TOWNS",
    "source_credit",
    "plot_monthly_gains",
    "plot_controlled_total",
    "plot_change_map",
    "plot_area_closeup",
    "plot_pokrovsk",
    "plot_source_comparison",
]

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
    "Hatched: no snapshot for an end date; interpolated/substituted — see "
    "start_snapshot/end_snapshot"
)


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


def footer(ax, lines) -> None:
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


def date_axis(ax) -> None:
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
    """Clip polygons to the view (large national polygons draw much faster)."""
    if frame is None or extent is None or frame.empty:
        return frame
    frame = frame.copy()
    pad_x = (extent[2] - extent[0]) * 0.05
    pad_y = (extent[3] - extent[1]) * 0.05
    frame["geometry"] = shapely.clip_by_rect(
        frame.geometry.values, extent[0] - pad_x, extent[1] - pad_y,
        extent[2] + pad_x, extent[3] + pad_y,
    )
    return frame[~frame.geometry.is_empty]


def _set_map_extent(ax, extent) -> None:
    minx, miny, maxx, maxy = extent
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect(1.0 / math.cos(math.radians((miny + maxy) / 2)))
    ax.set_xlabel("Longitude (°E)")
    ax.set_ylabel("Latitude (°N)")
    ax.tick_params(labelsize=7)
    _scale_bar(ax, extent)


def _scale_bar(ax, extent) -> None:
    minx, miny, maxx, maxy = extent
    lat = miny + (maxy - miny) * 0.06
    width_km = float(geodesic_distance_km(minx, lat, maxx, lat))
    nice = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500]
    length = max([n for n in nice if n <= width_km / 4] or [nice[0]])
    x0 = minx + (maxx - minx) * 0.04
    x1 = geodesic_forward(x0, lat, 90, length)[0]
    ax.plot([x0, x1], [lat, lat], color="black", linewidth=2.5, solid_capstyle="butt",
            zorder=6)
    ax.annotate(f"{length:g} km", xy=((x0 + x1) / 2, lat), xytext=(0, 3),
                textcoords="offset points", ha="center", va="bottom", fontsize=7, zorder=6)


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
    if towns is None or towns.empty:
        return
    minx, miny, maxx, maxy = extent
    inside = towns.cx[minx:maxx, miny:maxy]
    if inside.empty:
        return
    ax.scatter(inside.geometry.x, inside.geometry.y, s=14, color="black", zorder=7,
               label="town", edgecolor="white", linewidth=0.6)
    for name, point in zip(inside["name"], inside.geometry, strict=True):
        ax.annotate(str(name), xy=(point.x, point.y), xytext=(4, 3),
                    textcoords="offset points", fontsize=7, zorder=7,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                          "alpha": 0.7})


def _draw_boundaries(ax, boundaries, extent) -> None:
    boundaries = _clip(_as_4326(boundaries, "boundaries"), extent)
    if boundaries is None or boundaries.empty:
        return
    boundaries.boundary.plot(ax=ax, color="0.45", linewidth=0.6, zorder=2)


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


def _snapshot_text(table: pd.DataFrame) -> str:
    """``Snapshots: 2024-07-31, 2024-08-31, 2024-09-29/2024-10-01*`` (* = inexact)."""
    seen = []
    for row in table.itertuples():
        for label in (row.start_snapshot, row.end_snapshot):
            label = str(label)
            if "/" in label:
                label += "*"
            if label not in seen:
                seen.append(label)
    text = "Snapshots used: " + ", ".join(seen)
    if any(s.endswith("*") for s in seen):
        text += " (* = two snapshots, interpolated)"
    return text


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(
        "\n".join(textwrap.wrap(line, width=width, break_on_hyphens=False)) or line
        for line in text.split("\n")
    )


def set_title(ax, *lines) -> None:
    width = _chars_across(ax, 10)
    ax.set_title("\n".join(_wrap(line, width) for line in lines), fontsize=10)


# ----------------------------------------------------------------------- charts


def plot_monthly_gains(table: pd.DataFrame, *, ax=None, source_line: str | None = None):
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
            handles=[Patch(facecolor=_GAIN, edgecolor=_GAIN, label="exact"),
                     Patch(facecolor=_GAIN, edgecolor=_GAIN, alpha=0.45, hatch="///",
                           label="inexact (see note)")]
            + ([_line_handle("0.25", "-", "90 % band of the interpolation")]
               if (band > 0).any() else []),
            loc="upper left", fontsize=7, frameon=False, ncols=2,
        )
    credit = source_line if source_line is not None else source_credit(table["source"])
    footer(ax, [_INEXACT_NOTE if not exact.all() else "",
                 f"Measured: {how}." if how else "", _snapshot_text(table),
                 credit + ". Chart: frontline."])
    return ax


def plot_controlled_total(series_by_source: pd.DataFrame, *, ax=None,
                          share_of: float | None = None):
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


def plot_change_map(gained, lost, *, boundaries=None, towns=None, ax=None, by="period",
                    extent=None, source=None, title=None, source_line=None):
    """Territory gained and lost, coloured by period, over boundaries with towns.

    Parameters
    ----------
    gained, lost : geopandas.GeoDataFrame or None
        Polygons (any CRS; drawn in EPSG:4326) with a ``by`` column naming the period.
        ``lost`` is drawn in blues and hatched, ``gained`` in reds (later periods darker).
    boundaries : geopandas.GeoDataFrame, optional
        Outlines drawn as lines (oblasts for a national map, raions for a close-up).
    towns : geopandas.GeoDataFrame or pandas.DataFrame, optional
        Points with ``name`` (or a table with ``name, latitude, longitude``), labelled.
    by : str
        The column naming each polygon's period.
    extent : (minx, miny, maxx, maxy), optional
        Longitude/latitude window; default: the boundaries, else the polygons.
    source : str, optional
        ``"isw"`` or ``"deepstate"`` for the credit line when the frames have no
        ``source`` column.
    title, source_line : str, optional
        Replace the default title and credit line.

    Returns
    -------
    matplotlib.axes.Axes
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

    handles = []
    for name, frame, cmap, hatch in (("gained", gained, "Reds", None),
                                     ("lost", lost, "Blues", "////")):
        frame = _clip(frame, extent)
        if frame is None or frame.empty:
            continue
        shades = colormaps[cmap](np.linspace(0.45, 0.95, max(len(periods), 1)))
        for index, period in enumerate(periods):
            part = frame[frame[by].astype(str) == period]
            if part.empty:
                continue
            colour = shades[index]
            part.plot(ax=ax, facecolor=colour, edgecolor=colour if hatch is None else "white",
                      hatch=hatch, linewidth=0.3, zorder=3)
            handles.append(Patch(facecolor=colour, hatch=hatch, edgecolor="white",
                                 label=f"{name} {period}"))
    _draw_boundaries(ax, boundaries, extent)
    _draw_towns(ax, _towns_frame(towns), extent)
    _set_map_extent(ax, extent)
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  fontsize=7, title=f"by {by}", title_fontsize=7, frameon=False)

    if title is None:
        dates = [f[c] for f in layers for c in ("start_date", "end_date") if c in f.columns]
        span = ""
        if dates:
            dates = pd.to_datetime(pd.concat(dates))
            span = f"\n{_date_range(dates.min(), dates.max())}"
        elif periods:
            span = f"\n{periods[0]} – {periods[-1]}" if len(periods) > 1 else f"\n{periods[0]}"
        title = f"Territory gained and lost by Russia, by {by}{span}"
    set_title(ax, title)
    snaps = sorted({str(v) for f in layers for c in ("start_snapshot", "end_snapshot")
                    if c in f.columns for v in f[c].dropna()})
    credit = source_line if source_line is not None else _credit_from(
        layers, source, "plot_change_map")
    footer(ax, ["Snapshots used: " + ", ".join(snaps) if snaps else "",
                 "Red: gained by Russia; blue, hatched: lost. " + credit
                 + ". Chart: frontline."])
    return ax


def plot_area_closeup(controlled_by_date, *, center, rings_km=(10, 20), outline=None,
                      towns=None, ax=None, title=None, extent=None, source=None,
                      source_line=None):
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

    controlled = controlled.assign(date=pd.to_datetime(controlled["date"])).sort_values("date")
    dates = list(controlled["date"])
    shades = colormaps["YlOrRd"](np.linspace(0.9, 0.25, max(len(dates), 1)))
    clipped = _clip(controlled, extent)
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
                             label=f"held on {date:%Y-%m-%d}"))
    handles.reverse()
    if outline is not None:
        outline = _as_4326(outline, "outline")
        outline.boundary.plot(ax=ax, color="black", linewidth=1.2, linestyle="--", zorder=5)
        name = next((str(outline[c].iloc[0]) for c in ("name_en", "name:en", "name")
                     if c in outline.columns and pd.notna(outline[c].iloc[0])), "outline")
        handles.append(_line_handle("black", "--", name))
    for km, ring in rings:
        ax.plot(*ring.exterior.xy, color="0.15", linewidth=0.9, linestyle=":", zorder=5)
        ax.annotate(f"{km:g} km", xy=(lon, ring.bounds[3]), xytext=(0, 2),
                    textcoords="offset points", ha="center", fontsize=7, zorder=6)
    if rings:
        handles.append(_line_handle("0.15", ":", "rings: " + ", ".join(
            f"{km:g}" for km, _ in rings) + " km (geodesic)"))
    ax.plot([lon], [lat], marker="+", color="black", markersize=9, zorder=7)
    _draw_towns(ax, _towns_frame(towns), extent)
    _set_map_extent(ax, extent)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
              frameon=False)
    if title is None:
        title = (f"Area held around {lat:.3f}°N {lon:.3f}°E by snapshot date\n"
                 f"{_date_range(dates[0], dates[-1])}")
    set_title(ax, title)
    credit = source_line if source_line is not None else _credit_from(
        [controlled], source, "plot_area_closeup")
    footer(ax, ["Snapshot dates: " + ", ".join(f"{d:%Y-%m-%d}" for d in dates),
                 credit + ". Chart: frontline."])
    return ax


def _line_handle(colour, style, label):
    from matplotlib.lines import Line2D

    return Line2D([], [], color=colour, linestyle=style, label=label)


#: Towns the Pokrovsk close-up keeps in view by default.
POKROVSK_TOWNS = ("Pokrovsk", "Myrnohrad", "Selydove", "Kurakhove", "Toretsk")


def plot_pokrovsk(controlled_by_date, *, outline=None, towns=None, data_dir=None,
                  rings_km=(10, 20), ax=None, title=None, extent=None, source=None):
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


def plot_source_comparison(table: pd.DataFrame, *, ax=None, area_name: str | None = None,
                           value: str = "area_km2"):
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


def plot_totals(totals: pd.DataFrame, *, ax=None, share_of: float | None = UKRAINE_KM2):
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

def plot_axis_series(series: pd.DataFrame, *, axes=None):
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

def plot_source_difference(difference: gpd.GeoDataFrame, *, boundaries=None, towns=None,
                           extent=None, ax=None):
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
    colours = ["#d95f02", "#7570b3"]
    handles = []
    for kind, colour in zip(kinds, colours, strict=False):
        part = difference[difference["kind"] == kind]
        clipped = part.clip(extent) if extent is not None else part
        if not clipped.empty:
            clipped.plot(ax=ax, color=colour, linewidth=0, zorder=3)
        source = str(part["source"].iloc[0])
        handles.append(Patch(color=colour, label=f"held by Russia per "
                             f"{SOURCE_LABELS.get(source, source)} only: "
                             f"{part['area_km2'].sum():,.0f} km²"))
    _draw_boundaries(ax, boundaries, extent)
    _draw_towns(ax, towns if towns is None or isinstance(towns, gpd.GeoDataFrame)
                else gpd.GeoDataFrame(towns[["name"]], geometry=gpd.points_from_xy(
                    towns["longitude"], towns["latitude"]), crs="EPSG:4326"), extent)
    _set_map_extent(ax, extent)
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
    return ax


def zoom_extent(polygons: gpd.GeoDataFrame, share: float = 0.8, pad: float = 0.3):
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
