"""A month in one sourced paragraph, with the tables every number in it comes from.

:func:`month_brief` writes what a wire reporter files about a month of the war: the net
and gross change in km² and mi², how the month ranks among every month the data covers
("the largest since ..."), the oblasts and raions where most of it happened, the towns
the front came closest to and how far it moved towards them, what is inexact and why,
and the credit line. Every number in the paragraph is a (rounded) value of a row of
:attr:`Brief.tables`:

``month``
    The month's row of the monthly table (:func:`frontline.monthly_gains`).
``ranking``
    Every month from the first the source covers to this one, by net change
    (``gap_policy="interpolate"``, so a month with a missing end still ranks; those rows
    say ``exact=false``), with its ``rank``.
``map_change``
    The change between the polygon maps that stand for the month's ends
    (:func:`frontline.compare.map_snapshots`: ISW's polygons on or at most ``max_offset_days``
    before each end, else DeepStateMap's): gross gained and lost, and the base of the
    breakdowns. When these are the month's own snapshots its net equals the month's.
``oblasts``, ``raions``
    That change by unit (:func:`frontline.breakdown`), the largest net first.
``towns``
    Distance from each front-line town (``load_towns``) to the controlled area on the two
    maps, the closest at the end first.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from frontline._typing import StrPath
from frontline.boundaries import boundaries_dir, load_towns
from frontline.changes import change, monthly_gains
from frontline.compare import SOURCE_NAMES, day_label, map_snapshots
from frontline.errors import InvalidArgumentError, SnapshotGapError
from frontline.geodesy import km2_to_mi2
from frontline.history import History
from frontline.io.writers import format_table, reader_columns, round_table
from frontline.layers import PRESET_DESCRIPTIONS
from frontline.regions import breakdown, distance_to
from frontline.sources.credits import source_credit

__all__ = ["Brief", "month_brief"]

#: Units and towns named in the paragraph (the tables hold every one).
NAMED = 3


@dataclass
class Brief:
    """A month's paragraph (:attr:`text`) and the tables behind it (:attr:`tables`)."""

    month: str
    text: str
    tables: dict = field(default_factory=dict)
    credit: str = ""

    def to_markdown(self) -> str:
        """The paragraph, then each table under its name (Markdown)."""
        parts = [f"# {pd.Period(self.month, 'M'):%B %Y}", "", self.text, ""]
        for name, table in self.tables.items():  # the reader's columns; JSON has all
            parts += [f"## {name}", "", format_table(reader_columns(table), "markdown").rstrip(),
                      ""]
        parts.append(self.credit)
        return "\n".join(parts) + "\n"

    def to_dict(self) -> dict:
        """``{"month", "text", "credit", "tables": {name: [row, ...]}}`` (JSON-ready)."""
        tables = {name: json.loads(format_table(table, "json"))
                  for name, table in self.tables.items()}
        return {"month": self.month, "text": self.text, "credit": self.credit,
                "tables": tables}

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _km2(value: float) -> str:
    return f"{value:,.1f} km²"


def _mi2(value: float) -> str:
    return f"{value:,.1f} mi²"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _month_name(period: str) -> str:
    return f"{pd.Period(period, 'M'):%B %Y}"


def _ranking(history, month: pd.Period, source, preset, since) -> pd.DataFrame:
    table = monthly_gains(history, start=since, end=str(month), source=source, preset=preset,
                          gap_policy="interpolate")
    table = table[["period", "start_snapshot", "end_snapshot", "source", "preset", "exact",
                   "net_km2", "net_mi2"]].copy()
    table["rank"] = table["net_km2"].rank(ascending=False, method="min").astype(int)
    return table.sort_values(["rank", "period"]).reset_index(drop=True)


def _rank_sentence(ranking: pd.DataFrame, month: str) -> str:
    row = ranking[ranking["period"] == month].iloc[0]
    earlier = ranking[ranking["period"] < month]
    first = ranking["period"].min()
    inexact = ranking.loc[~ranking["exact"], "period"].sort_values().tolist()
    counted = (f"{len(ranking)} months from {_month_name(first)} to {_month_name(month)}"
               + (f", {len(inexact)} of them interpolated ({', '.join(inexact)})"
                  if inexact else ""))
    if row.net_km2 <= 0:
        return (f"It ranks {_ordinal(int(row['rank']))} of the {counted} by net change "
                "(a net loss of held territory).")
    larger = earlier[earlier["net_km2"] >= row.net_km2]
    if larger.empty:
        since = f"the largest monthly net gain of the {counted}"
    else:
        last = larger.sort_values("period").iloc[-1]
        since = (f"the largest since {_month_name(last.period)} ({_km2(last.net_km2)}); it "
                 f"ranks {_ordinal(int(row['rank']))} of the {counted}")
    return f"It was {since}."


def _towns(change_, towns: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for town in towns.itertuples():
        start = distance_to(change_.start.geometry, town.latitude, town.longitude)
        end = distance_to(change_.end.geometry, town.latitude, town.longitude)
        rows.append({"town": town.name, "raion": getattr(town, "raion_osm_en", ""),
                     "start_snapshot": change_.start.label, "end_snapshot": change_.end.label,
                     "source": change_.source, "distance_start_km": start["distance_km"],
                     "distance_end_km": end["distance_km"],
                     "closer_km": start["distance_km"] - end["distance_km"],
                     "inside_start": start["inside"], "inside_end": end["inside"]})
    table = pd.DataFrame(rows)
    return table.sort_values(["inside_start", "distance_end_km"]).reset_index(drop=True)


def _where(oblasts: pd.DataFrame, raions: pd.DataFrame, map_change) -> str:
    net = map_change.net_km2
    top = oblasts[oblasts["net_km2"] > 0].head(NAMED)
    if top.empty or net <= 0:
        return ""
    named = [f"{r.name} ({_km2(r.net_km2)}, {r.share_of_national_net_pct:.0f} %)"
             for r in top.itertuples()]
    text = f"Most of it was in {', '.join(named[:-1]) + ' and ' if len(named) > 1 else ''}"
    text += f"{named[-1]}"
    top_raions = raions[raions["net_km2"] > 0].head(NAMED)
    if len(top_raions):
        text += "; by raion, " + ", ".join(
            f"{r.name} ({_km2(r.net_km2)})" for r in top_raions.itertuples())
    return text + "."


def _towns_sentence(towns: pd.DataFrame) -> str:
    near = towns[~towns["inside_start"] & (towns["closer_km"] >= 0.05)].head(NAMED)
    if near.empty:
        return ""
    parts = []
    for r in near.itertuples():
        if r.inside_end:
            parts.append(f"{r.town} (reached: inside the controlled area at the end, "
                         f"{r.distance_start_km:.1f} km away at the start)")
        else:
            parts.append(f"{r.town} ({r.distance_end_km:.1f} km away at the end, "
                         f"{r.closer_km:.1f} km closer)")
    return "Of the towns it moved towards, the front came closest to " + ", ".join(parts) + "."


def month_brief(history: History, month: str, /, *, source: str | None = None,
                preset: str | None = None, gap_policy: str = "error", since: str | None = None,
                max_offset_days: int = 3, data_dir: StrPath | None = None,
                units: bool = True) -> Brief:
    """The month in a short sourced paragraph, with the tables behind every number.

    Parameters
    ----------
    history : History
        With the month's source (ISW by default); DeepStateMap too if its maps should
        stand in where ISW has no polygons, boundaries and towns for the breakdowns.
    month : str
        ``YYYY-MM``.
    source, preset, gap_policy
        As :func:`frontline.monthly_gains` for the month's own figure (the ranking always
        interpolates, and says which months it interpolated).
    since : str, optional
        First month of the ranking, ``YYYY-MM`` (default: the first the source covers;
        for ISW, April 2022).
    max_offset_days : int
        How far before a month end a polygon map may be to stand for it
        (:func:`frontline.compare.map_snapshots`).
    data_dir : path-like, optional
        Boundaries and towns (default: the folder the history was read from).
    units : bool
        False leaves out the oblasts, raions and towns (no boundary files needed).

    Returns
    -------
    Brief
        ``text``, ``tables`` (see the module docs), ``credit``; ``to_markdown()``,
        ``to_json()``.
    """
    if not re.fullmatch(r"\d{4}-\d{2}", str(month)):
        raise InvalidArgumentError(f"month {month!r} (--month): give YYYY-MM, e.g. 2024-11.")
    period = pd.Period(str(month), "M")
    month = str(period)
    row = monthly_gains(history, start=month, end=month, source=source, preset=preset,
                        gap_policy=gap_policy).iloc[0]
    if since is not None and pd.Period(str(since), "M") > period:
        raise InvalidArgumentError(f"since {since} (--since) is after the month {month}.")
    ranking = _ranking(history, period, source, preset, since)
    preset = row["preset"]
    credit_sources = [row["source"]]
    start, end = pd.Timestamp(row["start_date"]), pd.Timestamp(row["end_date"])
    net = row["net_km2"]
    verb = "gained" if net >= 0 else "lost"
    name = "ISW/CTP" if str(row["source"]).startswith("isw") else SOURCE_NAMES.get(
        row["source"], row["source"])
    text = [f"In {_month_name(month)} Russian forces {verb} a net {_km2(abs(net))} "
            f"({_mi2(abs(row['net_mi2']))}) of territory in Ukraine by {name}'s maps "
            f"(preset {preset}: {PRESET_DESCRIPTIONS.get(preset, preset)}), from "
            f"{day_label(start)} to {day_label(end)}."]
    text.append(_rank_sentence(ranking, month))
    inexact = []
    if not row["exact"]:
        inexact.append(f"the month's figure is not exact: {row['note']} (90 % band "
                       f"±{row['uncertainty90_km2']:.1f} km²)")
    if row["glitch"]:
        inexact.append(f"it rests on a glitch day: {row['glitch']}")
    tables = {"month": pd.DataFrame([row]).reset_index(drop=True), "ranking": ranking}

    shown = None
    try:
        shown = map_snapshots(history, start, end, max_offset_days=max_offset_days)
    except SnapshotGapError as err:
        inexact.append(f"no gross figures and no breakdown: {err}")
    if shown is not None:
        map_change = change(history, shown.start, shown.end, source=shown.source,
                            gap_policy="error")
        credit_sources.append(shown.source)
        tables["map_change"] = map_change.to_frame()
        same = (shown.source == row["source"] and shown.exact)
        gross = (f"gained {_km2(map_change.gained_km2)} and lost "
                 f"{_km2(map_change.lost_km2)} ({_mi2(km2_to_mi2(map_change.gained_km2))}"
                 f" and {_mi2(km2_to_mi2(map_change.lost_km2))})")
        if same:
            text.append(f"In gross terms they {gross}.")
        else:
            text.append(f"On the polygon maps that stand for the month ({shown.note}) they "
                        f"{gross}, a net {_km2(map_change.net_km2)}.")
            inexact.append(f"the gross figures, oblasts, raions and towns come from those "
                           f"maps ({SOURCE_NAMES.get(shown.source, shown.source)}, "
                           f"{shown.start:%Y-%m-%d} to {shown.end:%Y-%m-%d}), not from the "
                           "month's own figure")
        if units:
            root = boundaries_dir(history if data_dir is None else data_dir)
            oblasts = breakdown(map_change, "oblast", data_dir=root)
            outside = float(oblasts.attrs.get("outside_net_km2", 0.0))
            raions = breakdown(map_change, "raion", data_dir=root)
            keep = ["name", "oblast", "start_snapshot", "end_snapshot", "source", "gained_km2",
                    "lost_km2", "net_km2", "net_mi2", "share_of_national_net_pct"]
            oblasts = oblasts.sort_values("net_km2", ascending=False)[keep]
            raions = raions.sort_values("net_km2", ascending=False)[keep]
            moved = ["gained_km2", "lost_km2"]
            oblast_rows = oblasts[(oblasts[moved] >= 0.005).any(axis=1)].drop(columns="oblast")
            if abs(outside) >= 0.005:  # so that the rows add up to the national net
                oblast_rows = pd.concat([oblast_rows, pd.DataFrame([{
                    "name": "outside every oblast (Russia, sea)",
                    "start_snapshot": map_change.start.label,
                    "end_snapshot": map_change.end.label, "source": map_change.source,
                    "net_km2": outside, "net_mi2": km2_to_mi2(outside),
                    "share_of_national_net_pct": 100.0 * outside / map_change.net_km2}])],
                    ignore_index=True)
            tables["oblasts"] = oblast_rows.reset_index(drop=True)
            tables["raions"] = raions[(raions[moved] >= 0.005).any(axis=1)].reset_index(
                drop=True)
            where = _where(oblasts, raions, map_change)
            if where:
                text.append(where)
            towns = _towns(map_change, load_towns(data_dir=root))
            tables["towns"] = towns
            sentence = _towns_sentence(towns)
            if sentence:
                text.append(sentence)
    if inexact:
        text.append("Caveats: " + "; ".join(inexact) + ".")
    else:
        text.append("Exact: every figure uses snapshots of the dates asked for.")
    credit = source_credit(credit_sources)
    text.append(f"{credit}.")
    tables = {name: round_table(table) for name, table in tables.items()}
    for table in tables.values():
        for column in table.columns:
            if table[column].dtype == object:
                table[column] = table[column].replace({np.nan: None})
    return Brief(month, " ".join(text), tables, credit)
