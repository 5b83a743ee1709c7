"""The month's publication charts, and the series the notebooks chart.

:func:`publication_charts` writes, for one month (``frontline charts --month``):

``monthly_gains_<month>.png|svg|csv``
    Net change per month for the 12 months ending with ``month``
    (:func:`frontline.monthly_gains` with ``gap_policy="interpolate"``): ISW (preset
    ``afp``) when ISW's data reaches the month's last day, else DeepStateMap for all the
    bars (one source per chart; the chart and the notes say why). A month whose end date
    has no snapshot is interpolated between the nearest ones, drawn hatched and marked
    ``exact=False`` in the CSV; a month the data ends inside is drawn to its last day and
    marked "partial" on its bar (e.g. "1–21 Aug").
``gains_map_<month>.png|svg|csv``
    Territory gained and lost in the month, over the area held at its start, oblasts and
    towns (an equal-area projection, labels that do not collide), with a locator map of
    Ukraine; the CSV splits the change by oblast. A map needs polygons at both ends, and
    ISW's polygons exist only on a few dates: :func:`map_snapshots` takes ISW's polygon
    snapshots when there is one at most ``max_offset_days`` before each end of the month,
    else DeepStateMap's daily map, and the chart says which maps and dates it shows. The
    subtitle's rounded gained − lost equals its rounded net, and the footnote says
    whether the month's bar rests on the same days as the map, and if not why.
``pokrovsk_<month>.png|svg|csv``
    The Pokrovsk close-up: the area held on the snapshot dates of the month (every ISW
    snapshot, or DeepStateMap weekly), from the same source as the map; the CSV has the
    area held inside Pokrovsk raion and within 10 and 20 km of the town, and the distance
    from the town to the area held (:func:`axis_series`).
``notes_<month>.md``
    What each file shows, the snapshots used, what is inexact, and the credit line.

The set is written into a temporary folder inside ``out_dir`` first and moved into place
only when every file of it has been written, so a failed run leaves the previous set as
it was (never a mix of old and new files); temporary folders of killed runs are removed
by the next run for the same month (:func:`frontline.io.writers.clean_stale_temps`: one
another run is still writing is left alone).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from frontline._typing import DateLike, StrPath
from frontline.boundaries import boundaries_dir
from frontline.changes import change, monthly_gains
from frontline.compare import (
    SOURCE_NAMES,
    MapSnapshots,
    axis_series,
    day_label,
    held_by_date,
    map_snapshots,
)
from frontline.errors import InvalidArgumentError, SnapshotGapError
from frontline.history import History
from frontline.io.writers import clean_stale_temps, format_table, temp_folder, write_atomic
from frontline.layers import preset_layers
from frontline.sources.credits import source_credit
from frontline.viz.plots import (
    plot_change_map,
    plot_monthly_gains,
    plot_pokrovsk,
    round_adding_up,
    zoom_extent,
)

__all__ = ["bars_source", "publication_charts"]


_NBSP = "\u00a0"
_STAGING = ".frontline-charts-"
#: Bar sources in order of preference, with the preset each is measured with.
_BAR_SOURCES = (("isw", "afp"), ("deepstate", "deepstate"))


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


def _spans(history) -> dict:
    """First and last date each bar source can measure (ISW: polygons or area table)."""
    spans = {}
    for source, preset in _BAR_SOURCES:
        inputs = ("isw", "isw-areas") if source == "isw" else (source,)
        dates = [history.dates(s, preset_layers(preset)) for s in inputs
                 if s in history.sources]
        dates = [d for d in dates if len(d)]
        if dates:
            spans[source] = (min(d[0] for d in dates), max(d[-1] for d in dates))
    return spans


def bars_source(history: History, month: str | pd.Period, end: DateLike | None = None, *,
                cut_short: bool = True) -> tuple[str, pd.Timestamp, str]:
    """Which source the month's bars come from, and to which day.

    ISW (its polygons or its area table, preset ``afp``) when its data reaches ``end``,
    else DeepStateMap (preset ``deepstate``); when neither reaches the end of the month
    and ``cut_short`` is true, the source reaching furthest into the month, to its last
    day (a partial month).

    Parameters
    ----------
    history : History
    month : str or pandas.Period
        ``YYYY-MM``.
    end : date-like, optional
        The month's last day to chart (default: its calendar end).
    cut_short : bool
        Allow a partial month when no source reaches ``end``.

    Returns
    -------
    (str, pandas.Timestamp, str)
        The source, the end date used, and why it is not ISW's full month, in words
        ("" when it is).

    Raises
    ------
    SnapshotGapError
        When no source covers the month; the message names what the data holds.
    """
    month = pd.Period(month, "M")
    end = (pd.Timestamp(end).normalize() if end is not None
           else month.to_timestamp(how="end").normalize())
    spans = _spans(history)
    start = (month - 1).to_timestamp(how="end").normalize()
    preferred = _BAR_SOURCES[0][0]

    def other_source(source):
        if source == preferred or preferred not in spans:
            return ""
        return (f"ISW's data ends on {day_label(spans[preferred][1])}, so every bar is "
                f"{SOURCE_NAMES[source]}'s (one source per chart)")

    for source, _ in _BAR_SOURCES:
        if source in spans and spans[source][0] <= start and spans[source][1] >= end:
            return source, end, other_source(source)
    inside = [(spans[s][1], s) for s, _ in _BAR_SOURCES
              if s in spans and spans[s][0] <= start < spans[s][1] < end]
    if inside and cut_short:
        last, source = max(inside)
        why = "; ".join(filter(None, [other_source(source), (
            f"the data ends on {day_label(last)}, so {month:%B %Y} is shown to that day "
            "only (a partial month)")]))
        return source, last, why
    held = "; ".join(f"{SOURCE_NAMES[s]} {day_label(a)} – {day_label(b)}"
                     for s, (a, b) in spans.items()) or "no ISW or DeepStateMap data"
    raise SnapshotGapError(
        f"No source covers {month} ({start:%Y-%m-%d} → {end:%Y-%m-%d}): the data holds "
        f"{held}. Choose a month inside those dates.")


def _monthly(history, month: pd.Period, end: pd.Timestamp, source: str) -> pd.DataFrame:
    """The 12 months ending with ``month`` (fewer when the source's data starts later)."""
    first_date = _spans(history)[source][0]
    earliest = (first_date + pd.Timedelta(days=1)).to_period("M")
    if first_date != first_date + pd.offsets.MonthEnd(0):
        earliest += 1  # the month after the first snapshot's month needs its end
    first = max(month - 11, min(earliest, month))
    through = None if end == month.to_timestamp(how="end").normalize() else end
    table = monthly_gains(history, start=str(first), end=str(month), through=through,
                          source=None if source == "isw" else source,
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


def _days(label) -> str:
    """A snapshot label in words: ``30 Sep 2024``, or the two days of an estimate."""
    parts = str(label).split("/")
    if len(parts) == 1:
        return day_label(parts[0])
    return f"an estimate between {day_label(parts[0])} and {day_label(parts[1])}"


def _bar_and_map(bar: pd.Series, shown: MapSnapshots, net_map: float) -> str:
    """Whether the month's bar and its map rest on the same days, in words."""
    same = (str(bar["start_snapshot"]) == f"{shown.start:%Y-%m-%d}"
            and str(bar["end_snapshot"]) == f"{shown.end:%Y-%m-%d}"
            and str(bar["source"]).startswith(shown.source))
    days = f"{_days(bar['start_snapshot'])} and {_days(bar['end_snapshot'])}"
    if same:
        return (f"The month's bar ({bar['net_km2']:+,.0f} km²) and this map rest on the "
                f"same days, {days}.")
    name = SOURCE_NAMES.get(shown.source, shown.source)
    return (f"The month's bar ({bar['net_km2']:+,.0f} km²) compares {days}; this map "
            f"({net_map:+,.0f} km²) compares {day_label(shown.start)} and "
            f"{day_label(shown.end)}, the nearest days with {name} polygons, so the two "
            "figures differ.")


def _notes(month_name, monthly, shown, axis, net_map, written, credit, why,
           bar_and_map) -> str:
    inexact = monthly.loc[~monthly["exact"], "period"].tolist()
    isw = str(monthly["source"].iloc[-1]).startswith("isw") or shown.source == "isw"
    measured = ("held or claimed by Russia (ISW's control + advances + claimed layers, "
                "preset afp)" if str(monthly["source"].iloc[-1]).startswith("isw")
                else "held by Russia (DeepStateMap's occupied area, preset deepstate)")
    lines = [
        f"# frontline charts: {month_name}",
        "",
        f"{credit}." + (" ISW/CTP data must be credited to \"ISW and AEI's Critical "
                        "Threats Project\" and may not be redistributed without ISW's "
                        "consent." if isw else ""),
        "",
        "## monthly_gains",
        f"Net change of the territory {measured}, "
        f"{monthly['period'].iloc[0]} to {monthly['period'].iloc[-1]}; a month's figure is "
        "total(last day) − total(last day of the previous month).",
        *([f"Source: {why}."] if why else []),
        "Gap policy: interpolate. " + (
            f"Inexact months (hatched bars, exact=false in the CSV): {', '.join(inexact)}: "
            "an end date without a snapshot is interpolated linearly between the "
            "snapshots named in start_snapshot/end_snapshot." if inexact
            else "Every month is exact (snapshots on both end dates)."),
        "",
        "## gains_map",
        f"{shown.note}. Net change on the map: {net_map:,.1f} km². {bar_and_map} The CSV "
        "splits the mapped change by oblast.",
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


def _swap_in(staged: list[Path], out_dir: Path) -> list[Path]:
    """Move the finished set's files from their temporary folder into ``out_dir``."""
    moved = []
    for path in staged:
        target = out_dir / path.name
        os.replace(path, target)
        moved.append(target)
    return moved


def _map_title(month_name, shown, result) -> str:
    gained, lost, net = round_adding_up(result.gained_km2, result.lost_km2, result.net_km2)
    return (f"Territory gained and lost by Russia, {month_name}\n"
            f"{SOURCE_NAMES[shown.source]}: maps of {_unbroken(day_label(shown.start))} "
            f"and {_unbroken(day_label(shown.end))}; gained {gained:,.0f} km², lost "
            f"{lost:,.0f} km², net {net:+,.0f} km²").replace(" km²", _NBSP + "km²")


def _write_set(history, month, end, source, why, stage: Path, data_dir, max_offset_days,
               step) -> list[Path]:
    """Draw and write every file of the set into ``stage``; return them in order."""
    import matplotlib.pyplot as plt

    from frontline.boundaries import load_towns, load_units
    from frontline.regions import breakdown

    start = (month - 1).to_timestamp(how="end").normalize()
    month_name = _period_name(month, end)
    written: list[Path] = []

    # 1. bars for the last 12 months
    step("monthly table")
    monthly = _monthly(history, month, end, source)
    ax = plot_monthly_gains(monthly)
    if why:
        ax.text(0.99, 0.98, why[0].upper() + why[1:] + ".", transform=ax.transAxes,
                ha="right", va="top", fontsize=7, color="0.25", wrap=True)
    credit_bars = source_credit(monthly["source"])
    stem = stage / f"monthly_gains_{month}"
    written += _save(ax.figure, stem, {"Title": ax.get_title(), "Source": credit_bars})
    plt.close(ax.figure)
    written.append(write_atomic(stem.with_suffix(".csv"), format_table(monthly, "csv")))

    # 2. the month's map, from the bars' source when the bars are not ISW's
    step("gains map")
    sources = ("isw", "deepstate") if source == "isw" else (source,)
    shown = map_snapshots(history, start, end, max_offset_days=max_offset_days,
                          sources=sources)
    result, polygons = _month_change_polygons(history, month, shown)
    oblasts = load_units("oblast", data_dir=data_dir)
    towns = load_towns(data_dir=data_dir)
    extent = zoom_extent(polygons)
    title = _map_title(month_name, shown, result)
    bar_and_map = _bar_and_map(monthly.iloc[-1], shown, result.net_km2)
    held = None
    if result.start.geometry is not None:
        held = held_by_date(history, [shown.start], source=shown.source)
    fig, ax = plt.subplots(figsize=(10, 8), layout="constrained")
    gained_part = polygons[polygons["kind"] == "gained"]
    lost_part = polygons[polygons["kind"] == "lost"]
    ax = plot_change_map(
        gained_part if not gained_part.empty else None,
        lost_part if not lost_part.empty else None, boundaries=oblasts, towns=towns,
        extent=extent, title=title, ax=ax, held=held,
        held_label=f"Held by Russia on {day_label(shown.start)}", locator=True,
        source_line=f"{shown.credit}. {shown.note}", notes=[bar_and_map])
    stem = stage / f"gains_map_{month}"
    written += _save(fig, stem, {"Title": title, "Source": shown.credit})
    plt.close(fig)
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

    # 3. the Pokrovsk close-up
    step("Pokrovsk")
    held_dates = held_by_date(history, shown.dates, source=shown.source)
    title = (f"Pokrovsk axis, {month_name}: area held by Russia on each "
             f"{SOURCE_NAMES[shown.source]} map date\n"
             f"{day_label(shown.dates[0])} – {day_label(shown.dates[-1])}")
    ax = plot_pokrovsk(held_dates, data_dir=data_dir, title=title)
    stem = stage / f"pokrovsk_{month}"
    written += _save(ax.figure, stem, {"Title": title, "Source": shown.credit})
    plt.close(ax.figure)
    axis = axis_series(history, "Pokrovsk", source=shown.source, dates=shown.dates,
                       data_dir=data_dir)
    written.append(write_atomic(stem.with_suffix(".csv"), format_table(axis, "csv")))

    # 4. notes
    step("notes")
    credit = source_credit([monthly["source"].iloc[-1], shown.source])
    notes_path = stage / f"notes_{month}.md"
    written.append(notes_path)
    write_atomic(notes_path, _notes(month_name, monthly, shown, axis, result.net_km2,
                                    written, credit, why, bar_and_map))
    return written


def publication_charts(history: History, month: str | pd.Period, *,
                       through: DateLike | None = None, out_dir: StrPath,
                       data_dir: StrPath | None = None, progress: bool = True,
                       max_offset_days: int = 3) -> list[Path]:
    """Write the month's publication set: bars, gains map, Pokrovsk close-up, CSVs, notes.

    Parameters
    ----------
    history : History
        From :func:`frontline.load` (ISW polygons and area table; DeepState for maps and
        for months ISW's data does not reach).
    month : str or pandas.Period
        ``YYYY-MM``: the last month of the bars and the month mapped. Any month the data
        covers; a month the data ends inside is drawn to its last day (partial).
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

    Raises
    ------
    SnapshotGapError
        When no source covers the month (the message names what the data holds).

    Notes
    -----
    ``publication_charts(frontline.load(), "2024-10", through="2024-10-27",
    out_dir="charts")`` writes AFP's October 2024 (about 15 s on 2 cores).
    """
    month = pd.Period(month, "M")
    end = (pd.Timestamp(through).normalize() if through is not None
           else month.to_timestamp(how="end").normalize())
    if end.to_period("M") != month:
        raise InvalidArgumentError(f"through={end:%Y-%m-%d} must fall in {month}: it ends that "
                                   "month early.")
    source, end, why = bars_source(history, month, end, cut_short=through is None)
    out_dir = Path(out_dir)
    data_dir = boundaries_dir(history if data_dir is None else data_dir)
    bar = tqdm(total=4, desc=f"charts {month}", unit="chart", disable=not progress)

    def step(label):
        if bar.n or label != "monthly table":
            bar.update()
        bar.set_postfix_str(label)

    out_dir.mkdir(parents=True, exist_ok=True)
    staging = f"{_STAGING}{month}-"
    clean_stale_temps(out_dir, prefix=staging)
    try:
        with temp_folder(out_dir, staging) as stage:
            staged = _write_set(history, month, end, source, why, stage, data_dir,
                                max_offset_days, step)
            bar.update()
            written = _swap_in(staged, out_dir)
    finally:
        bar.close()
    return written
