"""The month's publication charts, and the series the notebooks chart.

:func:`publication_charts` writes, for one month (``frontline charts --month``):

``monthly_gains_<month>.png|svg|csv``
    Net change per month for the 12 months ending with ``month`` (ISW, preset ``afp``,
    :func:`frontline.monthly_gains` with ``gap_policy="interpolate"``): a month whose end
    date has no ISW snapshot is interpolated between the nearest snapshots, drawn hatched
    and marked ``exact=False`` in the CSV.
``gains_map_<month>.png|svg|csv``
    Territory gained and lost in the month, over oblasts and towns, with a locator map of
    Ukraine; the CSV splits the change by oblast. A map needs polygons at both ends, and
    ISW's polygons exist only on a few dates: :func:`map_snapshots` takes ISW's polygon
    snapshots when there is one at most ``max_offset_days`` before each end of the month,
    else DeepStateMap's daily map, and the chart says which maps and dates it shows.
``pokrovsk_<month>.png|svg|csv``
    The Pokrovsk close-up: the area held on the snapshot dates of the month (every ISW
    snapshot, or DeepStateMap weekly), from the same source as the map; the CSV has the
    area held inside Pokrovsk raion and within 10 and 20 km of the town, and the distance
    from the town to the area held (:func:`axis_series`).
``notes_<month>.md``
    What each file shows, the snapshots used, what is inexact, and the credit line.

Every file is written through a temporary name and renamed into place.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from frontline.changes import change, monthly_gains
from frontline.compare import (
    SOURCE_NAMES,
    MapSnapshots,
    axis_series,
    data_dir_for,
    day_label,
    held_by_date,
    map_snapshots,
)
from frontline.errors import InvalidArgumentError
from frontline.history import History
from frontline.io.writers import format_table, write_atomic
from frontline.layers import preset_layers
from frontline.sources.credits import source_credit
from frontline.viz.plots import (
    plot_change_map,
    plot_monthly_gains,
    plot_pokrovsk,
    zoom_extent,
)

__all__ = ["publication_charts"]


_NBSP = "\u00a0"

def _unbroken(text: str) -> str:
    """No line break inside a date (``31 Aug 2024``) when a title wraps."""
    return text.replace(" ", _NBSP)

def _period_name(month: pd.Period, end: pd.Timestamp) -> str:
    if end == month.to_timestamp(how="end").normalize():
        return f"{month:%B %Y}"
    return f"1–{end.day} {month:%B %Y}"

def _save(fig, stem: Path, metadata: dict) -> list[Path]:
    """PNG (200 dpi) and SVG (text kept as text) of a figure, written atomically."""
    import matplotlib

    written = []
    for fmt in ("png", "svg"):
        buffer = io.BytesIO()
        meta = dict(metadata) if fmt == "png" else {"Title": metadata.get("Title"),
                                                   "Description": metadata.get("Source")}
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "frontline"}):
            fig.savefig(buffer, format=fmt, dpi=200, bbox_inches="tight", metadata=meta,
                        facecolor="white")
        written.append(write_atomic(stem.with_suffix(f".{fmt}"), buffer.getvalue()))
    return written

def _monthly(history, month: pd.Period, through) -> pd.DataFrame:
    """The 12 months ending with ``month`` (fewer when ISW's data starts later)."""
    layers = preset_layers("afp")
    known = [history.dates(s, layers) for s in ("isw", "isw-areas") if s in history.sources]
    first_date = min((d[0] for d in known if len(d)), default=None)
    first = month - 11
    if first_date is not None:
        earliest = (first_date + pd.Timedelta(days=1)).to_period("M")
        if first_date != first_date + pd.offsets.MonthEnd(0):
            earliest += 1  # the month after the first snapshot's month needs its end
        first = max(first, min(earliest, month))
    table = monthly_gains(history, start=str(first), end=str(month), through=through,
                          gap_policy="interpolate")
    table.insert(table.columns.get_loc("net_mi2"), "label_km2",
                 table["net_km2"].round().astype(int))
    table.insert(table.columns.get_loc("exact") + 1, "hatched", ~table["exact"])
    return table

def _month_change_polygons(history, month, shown: MapSnapshots):
    result = change(history, shown.start, shown.end, source=shown.source)
    polygons = result.polygons().assign(
        period=str(month), source=shown.source,
        start_snapshot=f"{shown.start:%Y-%m-%d}", end_snapshot=f"{shown.end:%Y-%m-%d}")
    return result, polygons

def _locator(ax, oblasts, polygons, extent) -> None:
    """A small map of Ukraine under the legend: every change, the zoomed window outlined."""
    import math

    from matplotlib.patches import Rectangle

    inset = ax.inset_axes([1.03, 0.0, 0.42, 0.34])
    oblasts.boundary.plot(ax=inset, color="0.55", linewidth=0.3)
    for kind, colour in (("gained", "#b2182b"), ("lost", "#2166ac")):
        part = polygons[polygons["kind"] == kind]
        if not part.empty:
            part.plot(ax=inset, color=colour, linewidth=0)
    minx, miny, maxx, maxy = extent
    inset.add_patch(Rectangle((minx, miny), maxx - minx, maxy - miny, fill=False,
                              edgecolor="black", linewidth=0.9))
    bounds = oblasts.total_bounds
    inset.set_xlim(bounds[0], bounds[2])
    inset.set_ylim(bounds[1], bounds[3])
    inset.set_aspect(1.0 / math.cos(math.radians((bounds[1] + bounds[3]) / 2)))
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel("")
    inset.set_ylabel("")
    inset.set_title("Ukraine: the window shown", fontsize=7)

def _notes(month_name, monthly, shown, axis, net_map, written, credit) -> str:
    inexact = monthly.loc[~monthly["exact"], "period"].tolist()
    lines = [
        f"# frontline charts: {month_name}",
        "",
        f"{credit}. ISW/CTP data must be credited to \"ISW and AEI's Critical Threats "
        "Project\" and may not be redistributed without ISW's consent.",
        "",
        "## monthly_gains",
        f"Net change of the territory held or claimed by Russia (ISW's control + advances "
        f"+ claimed layers, preset afp), {monthly['period'].iloc[0]} to "
        f"{monthly['period'].iloc[-1]}; a month's figure is total(last day) − total(last "
        "day of the previous month).",
        "Gap policy: interpolate. " + (
            f"Inexact months (hatched bars, exact=false in the CSV): {', '.join(inexact)}: "
            "an end date without an ISW snapshot is interpolated linearly between the "
            "snapshots named in start_snapshot/end_snapshot." if inexact
            else "Every month is exact (snapshots on both end dates)."),
        "",
        "## gains_map",
        f"{shown.note}. Net change on the map: {net_map:,.1f} km² (the bar uses the "
        "month's exact or interpolated end dates, so it can differ). The CSV splits the "
        "mapped change by oblast.",
        "",
        "## pokrovsk",
        f"Area held around Pokrovsk on {len(axis)} {SOURCE_NAMES[shown.source]} snapshot "
        f"dates: {', '.join(axis['snapshot'])}. The CSV gives the area held inside "
        "Pokrovsk raion and within 10 and 20 km (geodesic, Ukraine's land only) and the "
        "shortest distance from the town centre to the area held.",
        "",
        "## files",
        *[f"- {path.name}" for path in written],
        "",
    ]
    return "\n".join(lines)

def publication_charts(history: History, month, *, through=None, out_dir,
                       data_dir=None, progress: bool = True,
                       max_offset_days: int = 3) -> list[Path]:
    """Write the month's publication set: bars, gains map, Pokrovsk close-up, CSVs, notes.

    Parameters
    ----------
    history : History
        From :func:`frontline.load` (ISW polygons and area table; DeepState for maps).
    month : str or pandas.Period
        ``YYYY-MM``: the last month of the bars and the month mapped.
    through : date-like, optional
        End the month early on this date (AFP's "October up to the 27th").
    out_dir : path-like
        Folder for the files (created if needed).
    data_dir : path-like, optional
        Where the boundaries and towns are; default: the history's data directory.
    progress : bool
        A progress bar on stderr (tqdm).
    max_offset_days : int
        See :func:`map_snapshots`.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of the module docs.

    Notes
    -----
    ``publication_charts(frontline.load(), "2024-10", through="2024-10-27",
    out_dir="charts")`` writes AFP's October 2024 (about 15 s on 2 cores).
    """
    import matplotlib.pyplot as plt

    from frontline.boundaries import load_towns, load_units
    from frontline.regions import breakdown

    month = pd.Period(month, "M")
    end = (pd.Timestamp(through).normalize() if through is not None
           else month.to_timestamp(how="end").normalize())
    if end.to_period("M") != month:
        raise InvalidArgumentError(f"through={end:%Y-%m-%d} must fall in {month}: it ends that "
                         "month early.")
    start = (month - 1).to_timestamp(how="end").normalize()
    out_dir = Path(out_dir)
    data_dir = data_dir_for(history, data_dir)
    month_name = _period_name(month, end)
    written: list[Path] = []
    bar = tqdm(total=4, desc=f"charts {month}", unit="chart", disable=not progress)

    def step(label):
        bar.set_postfix_str(label)

    try:
        # 1. bars for the last 12 months
        step("monthly table")
        monthly = _monthly(history, month, through)
        ax = plot_monthly_gains(monthly)
        credit_bars = source_credit(monthly["source"])
        stem = out_dir / f"monthly_gains_{month}"
        written += _save(ax.figure, stem, {"Title": ax.get_title(), "Source": credit_bars})
        plt.close(ax.figure)
        written.append(write_atomic(stem.with_suffix(".csv"), format_table(monthly, "csv")))
        bar.update()

        # 2. the month's map
        step("gains map")
        shown = map_snapshots(history, start, end, max_offset_days=max_offset_days)
        result, polygons = _month_change_polygons(history, month, shown)
        oblasts = load_units("oblast", data_dir=data_dir)
        towns = load_towns(data_dir=data_dir)
        extent = zoom_extent(polygons)
        title = (f"Territory gained and lost by Russia, {month_name}\n"
                 f"{SOURCE_NAMES[shown.source]}: maps of {_unbroken(day_label(shown.start))} "
                 f"and {_unbroken(day_label(shown.end))}; gained {result.gained_km2:,.0f} km², "
                 "lost "
                 f"{result.lost_km2:,.0f} km², net {result.net_km2:+,.0f} km²"
                 ).replace(" km²", _NBSP + "km²")
        source_line = f"{shown.credit}. {shown.note}"
        ax = plot_change_map(polygons[polygons["kind"] == "gained"],
                             polygons[polygons["kind"] == "lost"], boundaries=oblasts,
                             towns=towns, extent=extent, title=title,
                             source_line=source_line)
        _locator(ax, oblasts, polygons, extent or tuple(oblasts.total_bounds))
        ax.figure.set_size_inches(10, 8)
        stem = out_dir / f"gains_map_{month}"
        written += _save(ax.figure, stem, {"Title": title, "Source": shown.credit})
        plt.close(ax.figure)
        by_oblast = breakdown(result, oblasts)
        by_oblast = by_oblast[(by_oblast["gained_km2"] > 0.005)
                              | (by_oblast["lost_km2"] > 0.005)]
        by_oblast = by_oblast.sort_values("net_km2", ascending=False)
        total = result.to_frame().assign(level="country", name="Ukraine (all polygons)")
        table = pd.concat([by_oblast, total], ignore_index=True)[[
            "level", "name", "start_date", "end_date", "start_snapshot", "end_snapshot",
            "source", "preset", "gained_km2", "lost_km2", "net_km2", "net_mi2",
        ]].rename(columns={"start_date": "period_start", "end_date": "period_end"})
        table.insert(2, "period", str(month))
        table["period_start"], table["period_end"] = start, end
        written.append(write_atomic(stem.with_suffix(".csv"), format_table(table, "csv")))
        bar.update()

        # 3. the Pokrovsk close-up
        step("Pokrovsk")
        held = held_by_date(history, shown.dates, source=shown.source)
        title = (f"Pokrovsk axis, {month_name}: area held by Russia on each "
                 f"{SOURCE_NAMES[shown.source]} snapshot date\n"
                 f"{day_label(shown.dates[0])} – {day_label(shown.dates[-1])}")
        ax = plot_pokrovsk(held, data_dir=data_dir, title=title)
        stem = out_dir / f"pokrovsk_{month}"
        written += _save(ax.figure, stem, {"Title": title, "Source": shown.credit})
        plt.close(ax.figure)
        axis = axis_series(history, "Pokrovsk", source=shown.source, dates=shown.dates,
                           data_dir=data_dir)
        written.append(write_atomic(stem.with_suffix(".csv"), format_table(axis, "csv")))
        bar.update()

        # 4. notes
        step("notes")
        credit = source_credit(["isw", shown.source])
        notes_path = out_dir / f"notes_{month}.md"
        written.append(notes_path)
        write_atomic(notes_path, _notes(month_name, monthly, shown, axis, result.net_km2,
                                        written, credit))
        bar.update()
    finally:
        bar.close()
    return written
