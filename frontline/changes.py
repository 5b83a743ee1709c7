r"""Totals, changes between two dates, and the monthly table.

Method (AFP's "analysis of ISW data")
-------------------------------------
* A day's **total** is the geodesic area of the union of a preset's layers on that day;
  the ``afp`` preset is ISW's control ∪ advances ∪ claimed inside Ukraine (the three
  are disjoint, so where only an area table is known the total is the sum of the three
  areas).
* A **change** between two dates: ``net = total(end) − total(start)``; ``gained`` is the
  area of end − start and ``lost`` the area of start − end (polygons only), so
  ``gained − lost = net``. Part of what entered or left the counted layers only changed
  class: ``reclassified_in`` is the part of ``gained`` that the start held in an
  uncounted :data:`RECLASSIFIABLE` layer (infiltration or counteroffensives becoming
  advances), ``reclassified_out`` the part of ``lost`` that the end holds in one
  (advances becoming infiltration). ``reclassified = reclassified_in −
  reclassified_out``; ``gained_outright = gained − reclassified_in`` and ``lost_outright
  = lost − reclassified_out`` are area that came from (went to) none of ISW's area
  layers, so ``gained_outright − lost_outright + reclassified = gained − lost = net``.
  Every row also carries each layer's own change (``<layer>_change_km2``), from polygons
  or from the area table, so a table-only row still shows which layers traded area.
* A **month's** figure is the change from the last day of the previous month to the
  last day of the month (or to ``through`` for a partial month).

Gaps
----
A date with no snapshot is never replaced silently. ``gap_policy`` says what to do:

``"error"`` (default)
    Raise :class:`~frontline.errors.SnapshotGapError` naming every missing date and the
    nearest snapshots on either side. The default, because a published figure must not
    change meaning without the journalist deciding it.
``"previous"``
    Use the latest snapshot before the date, at most ``max_gap_days`` (default
    :data:`MAX_GAP_DAYS`) earlier, and never for a date after the last one the source
    holds.
``"interpolate"``
    Interpolate the total linearly (by day) between the nearest snapshots before and
    after. No polygons, so ``gained``/``lost`` are empty. The row carries its uncertainty:
    ``uncertainty_km2`` = :data:`INTERPOLATION_K50` · \|ΔT\| (a 50 % band) and
    ``uncertainty90_km2`` = :data:`INTERPOLATION_K90` · \|ΔT\| (90 %), ΔT the change of
    the total across the gap, calibrated by a leave-one-out study of ISW's daily table
    (``benchmarks/interpolation_study.py``, ``docs/interpolation.md``); a row whose two
    ends are both interpolated adds them in quadrature.

Whatever the policy, each result names the snapshot(s) it used and is ``exact=False``
unless the requested date itself was used. A date after the last date a source holds is
always an error naming the last date of each input.

Glitches
--------
An area-table value that jumps and comes straight back (:mod:`frontline.glitches`) is
flagged: a figure starting or ending on such a day says so in its ``glitch`` column, and
``on_glitch`` decides: ``"warn"`` (default: a :class:`~frontline.errors.GlitchWarning` on
stderr, the value used), ``"error"`` (raise :class:`~frontline.errors.GlitchError`) or
``"skip"`` (use the nearest clean day, at most ``max_gap_days`` away; ``exact=False``).

Sources
-------
``source=None`` uses every ISW input: the polygons (``isw``) where they exist for the
date, else the area table (``isw-areas``). ``"isw"``, ``"isw-areas"``, ``"isw-weekly"``
and ``"deepstate"`` narrow it to one input. Where polygons and the area table both exist
for a date they must agree within :data:`AGREEMENT_KM2`, or a
:class:`~frontline.errors.FrontlineWarning` says by how much they differ.
"""

from __future__ import annotations

import functools
import os
import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from frontline._tiling import tile, tiled_difference
from frontline._typing import DateLike
from frontline.errors import (
    FrontlineWarning,
    GlitchError,
    GlitchWarning,
    InvalidArgumentError,
    SnapshotGapError,
)
from frontline.geodesy import geodesic_area_km2, km2_to_mi2
from frontline.glitches import JUMP_DAYS, JUMP_FACTOR, find_glitches, find_jumps, is_jump
from frontline.history import History
from frontline.layers import OPTIONAL_LAYERS, preset_layers
from frontline.overlay import union

__all__ = [
    "AGREEMENT_KM2",
    "GAP_POLICIES",
    "GLITCH_POLICIES",
    "INTERPOLATION_K50",
    "INTERPOLATION_K90",
    "MAX_GAP_DAYS",
    "LAYER_CHANGE_LAYERS",
    "MONTHLY_COLUMNS",
    "RECLASSIFIABLE",
    "BASELINES",
    "NO_PRE2022_LAYER",
    "TOTAL_COLUMNS",
    "Snapshot",
    "Change",
    "snapshot",
    "total",
    "change",
    "monthly_changes",
    "monthly_gains",
]

GAP_POLICIES = ("error", "previous", "interpolate")
GLITCH_POLICIES = ("warn", "error", "skip")

#: Uncertainty of a linearly interpolated total, as a share of the change of the total
#: across the gap: 50 % and 90 % of 534 hidden single days of 2024-25 fell within
#: ±0.25·|ΔT| and ±0.82·|ΔT| (benchmarks/interpolation_study.py).
INTERPOLATION_K50 = 0.25
INTERPOLATION_K90 = 0.82

#: How many days ``gap_policy="previous"`` (and a glitch skip) may reach back by default.
MAX_GAP_DAYS = 3

#: Largest difference (km²) tolerated between a polygon total and the area table's.
AGREEMENT_KM2 = 0.5

#: Named areas held by Russia before 24 February 2022, for ``since_invasion_km2``:
#: name -> (km², source). The data holds no ISW layer of that area (see
#: :data:`NO_PRE2022_LAYER`), so each baseline is a published figure, named and cited.
BASELINES: dict[str, tuple[float, str]] = {
    "afp": (42_180.0, (
        "AFP, 31 Jul 2024 (analysis of ISW data): 107,956 km² held including Crimea and "
        "the areas held before the invasion, 65,776 km² of it taken since 24 Feb 2022, "
        "so 42,180 km² held before "
        "(https://english.aawsat.com/world/5046004-russia-seizes-almost-200-km2-ukraine-july)"
    )),
}

#: Why no baseline comes from the data itself.
NO_PRE2022_LAYER = (
    "the data holds no layer of the area Russia held before 24 Feb 2022 (ISW's "
    "2022-02-24 control layer already includes the first day's advances)")

#: Columns of :func:`total`.
TOTAL_COLUMNS = [
    "date", "snapshot", "source", "preset", "exact", "total_km2", "total_mi2",
    "share_of_ukraine_pct", "ukraine_km2", "ukraine_source", "baseline", "baseline_km2",
    "baseline_source", "since_invasion_km2", "since_invasion_mi2", "uncertainty_km2",
    "uncertainty90_km2", "glitch", "note",
]

#: ISW's area layers between which territory is reclassified: a layer of these that a
#: preset does not count is where counted area goes to (or comes from) without being
#: lost (gained). Partisan warfare (drawn over held ground) and the Kursk layers (in
#: Russia) are not among them.
RECLASSIFIABLE = ("control", "advances", "claimed", "advances_or_claimed", "infiltration",
                  "counteroffensives")

#: Layers whose own change every row carries as ``<layer>_change_km2``.
LAYER_CHANGE_LAYERS = ("control", "advances", "claimed", "infiltration", "counteroffensives")

MONTHLY_COLUMNS = [
    "period", "start_date", "end_date", "start_snapshot", "end_snapshot", "start_input",
    "end_input", "source", "preset", "exact", "gap_policy", "total_start_km2",
    "total_end_km2", "net_km2", "net_mi2", "uncertainty_km2", "uncertainty90_km2",
    "gained_km2", "lost_km2", "gained_mi2", "lost_mi2", "reclassified_km2",
    "reclassified_mi2", "reclassified_in_km2", "reclassified_out_km2",
    "gained_outright_km2", "lost_outright_km2",
    *(f"{layer}_change_km2" for layer in LAYER_CHANGE_LAYERS), "glitch", "note",
]


@dataclass(frozen=True)
class Snapshot:
    """The total measured for one requested date, and how it was obtained."""

    requested: pd.Timestamp
    used: tuple  # the snapshot dates used (two when interpolated)
    input: str  # "isw", "isw-areas", "deepstate", ... ("a/b" when interpolated across two)
    total_km2: float
    geometry: object = field(default=None, repr=False)  # union (EPSG:4326), None without polygons
    exact: bool = True
    method: str = "exact"  # "exact", "previous" or "interpolate"
    files: tuple = ()
    #: Sum of the layers' own areas minus the area of their union (km²): how much ISW's
    #: nominally disjoint layers overlap. NaN where only areas are known.
    overlap_km2: float = np.nan
    #: Glitch days (see :mod:`frontline.glitches`) this figure rests on or skipped, "" if none.
    glitch: str = ""
    #: |change of the total across the gap| for an interpolated total (0 otherwise): the
    #: uncertainty is INTERPOLATION_K50 (K90) times it.
    gap_change_km2: float = 0.0

    @property
    def label(self) -> str:
        """The snapshot date(s) used, e.g. ``2024-09-29`` or ``2024-09-29/2024-10-01``."""
        return "/".join(f"{d:%Y-%m-%d}" for d in self.used)

    def describe(self) -> str:
        """In words: the date asked for and how its total was obtained."""
        if self.method == "exact":
            return f"{self.requested:%Y-%m-%d} ({self.input})"
        if self.method == "skip-glitch":
            return (f"{self.requested:%Y-%m-%d} is a glitch day ({self.glitch}): used the "
                    f"nearest clean day, {self.label} ({self.input})")
        if self.method == "previous":
            return (f"{self.requested:%Y-%m-%d} has no snapshot: used the previous one, "
                    f"{self.label} ({self.input})")
        return (f"{self.requested:%Y-%m-%d} has no snapshot: interpolated between "
                f"{self.label} ({self.input})")


@dataclass(frozen=True)
class Change:
    """The change of a preset's total between two dates, and what moved.

    With polygons at both ends ``gained``/``lost`` (gross: ``gained_km2 − lost_km2 ==
    net_km2`` to rounding) and their parts ``reclassified_in``/``reclassified_out`` hold
    the geometries (EPSG:4326; see the module docs); otherwise those are None/NaN and only
    the per-layer changes (``layer_changes``, from the area table) say what moved.
    """

    start: Snapshot
    end: Snapshot
    source: str
    preset: str
    net_km2: float
    gained_km2: float
    lost_km2: float
    reclassified_in_km2: float = np.nan
    reclassified_out_km2: float = np.nan
    #: A function returning the (gained, lost, reclassified_in, reclassified_out)
    #: geometries, computed when first asked (the km² above may come from the cache,
    #: which keeps no geometry); None without polygons at both ends.
    moved: object = field(default=None, repr=False, compare=False)
    #: {layer: (start km², end km²)} of every :data:`RECLASSIFIABLE` layer held at
    #: either end (an optional layer missing at one end counts 0 there).
    layer_changes: dict = field(default_factory=dict, repr=False)
    #: Layers counted as "uncounted" at (start, end): where reclassified area went.
    uncounted_layers: tuple = ((), ())
    #: Per-layer moves from polygons, measured on request: a function returning
    #: {layer: (entered km², left km²)}; None without polygons at both ends.
    layer_moves: object = field(default=None, repr=False, compare=False)
    #: The data directory of the history measured (``History.root``; None for one built
    #: in memory): where breakdowns find the boundaries.
    data_dir: object = field(default=None, repr=False)
    #: What the change's geometries depend on (the layers' cache keys at both ends), for
    #: measures of them kept in the cache; None when unknown or the cache is off.
    keys: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def gained(self) -> shapely.Geometry | None:
        """What entered the counted layers (EPSG:4326), or None without polygons."""
        return self.moved()[0] if self.moved is not None else None

    @property
    def lost(self) -> shapely.Geometry | None:
        """What left the counted layers (EPSG:4326), or None without polygons."""
        return self.moved()[1] if self.moved is not None else None

    @property
    def reclassified_in(self) -> shapely.Geometry | None:
        """The part of ``gained`` an uncounted layer held at the start, or None."""
        return self.moved()[2] if self.moved is not None else None

    @property
    def reclassified_out(self) -> shapely.Geometry | None:
        """The part of ``lost`` an uncounted layer holds at the end, or None."""
        return self.moved()[3] if self.moved is not None else None

    @property
    def exact(self) -> bool:
        """Whether both ends used the snapshots of the dates asked for."""
        return self.start.exact and self.end.exact

    @property
    def reclassified_km2(self) -> float:
        """Area reclassified into the counted layers minus area reclassified out (km²)."""
        return self.reclassified_in_km2 - self.reclassified_out_km2

    @property
    def gained_outright_km2(self) -> float:
        """Gained area that no ISW area layer held at the start: gained − reclassified in."""
        return self.gained_km2 - self.reclassified_in_km2

    @property
    def lost_outright_km2(self) -> float:
        """Lost area that no ISW area layer holds at the end: lost − reclassified out."""
        return self.lost_km2 - self.reclassified_out_km2

    def _gap_change(self) -> float:
        return float(np.hypot(self.start.gap_change_km2, self.end.gap_change_km2))

    def _layer_change(self, layer: str) -> float:
        if layer not in self.layer_changes:
            return np.nan
        start, end = self.layer_changes[layer]
        return end - start

    def to_frame(self) -> pd.DataFrame:
        """One row: dates, snapshots used, totals, net/gained/lost/reclassified in km² and
        mi², and each layer's own change (``<layer>_change_km2``).
        """
        notes = [s.describe() for s in (self.start, self.end) if s.method != "exact"]
        row = {
            "start_date": self.start.requested, "end_date": self.end.requested,
            "start_snapshot": self.start.label, "end_snapshot": self.end.label,
            "start_input": self.start.input, "end_input": self.end.input,
            "source": _combined_source(self.start.input, self.end.input),
            "preset": self.preset, "exact": self.exact,
            "total_start_km2": self.start.total_km2, "total_end_km2": self.end.total_km2,
            "net_km2": self.net_km2, "net_mi2": km2_to_mi2(self.net_km2),
            "uncertainty_km2": INTERPOLATION_K50 * self._gap_change(),
            "uncertainty90_km2": INTERPOLATION_K90 * self._gap_change(),
            "gained_km2": self.gained_km2, "lost_km2": self.lost_km2,
            "reclassified_km2": self.reclassified_km2,
            "gained_mi2": km2_to_mi2(self.gained_km2), "lost_mi2": km2_to_mi2(self.lost_km2),
            "reclassified_mi2": km2_to_mi2(self.reclassified_km2),
            "reclassified_in_km2": self.reclassified_in_km2,
            "reclassified_out_km2": self.reclassified_out_km2,
            "gained_outright_km2": self.gained_outright_km2,
            "lost_outright_km2": self.lost_outright_km2,
            **{f"{layer}_change_km2": self._layer_change(layer)
               for layer in LAYER_CHANGE_LAYERS},
            "glitch": "; ".join(s.glitch for s in (self.start, self.end) if s.glitch),
            "note": "; ".join(notes),
        }
        return pd.DataFrame([row])

    def by_layer(self) -> pd.DataFrame:
        """What each of ISW's area layers did between the two dates.

        Returns
        -------
        pandas.DataFrame
            One row per :data:`RECLASSIFIABLE` layer held at either end: ``layer,
            counted`` (whether the preset counts it), ``start_km2, end_km2, change_km2``
            (from polygons or the area table) and, with polygons at both ends,
            ``entered_km2`` (area in the layer at the end but not at the start) and
            ``left_km2`` (the reverse); ``change_km2 = entered_km2 − left_km2``.
        """
        counted = set(preset_layers(self.preset))
        moves = self.layer_moves() if self.layer_moves is not None else {}
        rows = []
        for layer, (start, end) in self.layer_changes.items():
            entered, left = moves.get(layer, (np.nan, np.nan))
            rows.append({"layer": layer, "counted": layer in counted or (
                             layer == "advances_or_claimed" and {"advances", "claimed"} <= counted),
                         "start_km2": start, "end_km2": end, "change_km2": end - start,
                         "entered_km2": entered, "left_km2": left})
        columns = ["layer", "counted", "start_km2", "end_km2", "change_km2", "entered_km2",
                   "left_km2"]
        frame = pd.DataFrame(rows, columns=columns)
        frame.insert(0, "end_date", self.end.requested)
        frame.insert(0, "start_date", self.start.requested)
        frame["start_snapshot"], frame["end_snapshot"] = self.start.label, self.end.label
        frame["source"], frame["preset"] = self.source, self.preset
        return frame

    def polygons(self) -> gpd.GeoDataFrame:
        """What moved, as a GeoDataFrame for mapping: one row per polygon part.

        Columns ``class`` (``"gained"`` and ``"lost"``: outright; ``"reclassified"``: area
        that only changed layer), ``direction`` (``"in"`` into the counted layers, ``"out"``
        out of them), ``kind`` (``"gained"``/``"lost"``: the gross side a part belongs
        to, so ``kind == "gained"`` sums to ``gained_km2``), ``start_date``, ``end_date``
        and ``area_km2`` (geodesic). Empty without polygons at both ends.
        """
        rows = []
        if self.gained is None or self.lost is None:
            pieces = ()
        else:
            pieces = (("gained", "in", "gained", _minus(self.gained, self.reclassified_in)),
                      ("lost", "out", "lost", _minus(self.lost, self.reclassified_out)),
                      ("reclassified", "in", "gained", self.reclassified_in),
                      ("reclassified", "out", "lost", self.reclassified_out))
        for klass, direction, kind, geometry in pieces:
            if geometry is None:
                continue
            parts = shapely.get_parts(geometry)
            parts = parts[shapely.area(parts) > 0] if len(parts) else parts
            for part in parts:
                rows.append({"class": klass, "direction": direction, "kind": kind,
                             "start_date": self.start.requested,
                             "end_date": self.end.requested, "geometry": part})
        frame = gpd.GeoDataFrame(
            rows, columns=["class", "direction", "kind", "start_date", "end_date", "geometry"],
            geometry="geometry", crs="EPSG:4326")
        frame["area_km2"] = geodesic_area_km2(frame.geometry.values)
        return frame


def _minus(geometry, part):
    """``geometry`` without ``part`` (a piece of it), or ``geometry`` if there is none."""
    if part is None or part.is_empty:
        return geometry
    return shapely.difference(geometry, part)


def _combined_source(*inputs: str) -> str:
    seen = []
    for value in inputs:
        for part in value.split("/"):
            if part not in seen:
                seen.append(part)
    return "+".join(seen)


def _inputs(source: str | None) -> tuple[str, ...]:
    return ("isw", "isw-areas") if source is None else (source,)


def default_preset(source: str | None, preset: str | None) -> str:
    if preset is not None:
        return preset
    return "deepstate" if source == "deepstate" else "afp"


class Totals:
    """Which dates each input can measure for a preset, and the totals on them."""

    def __init__(self, history: History, source: str | None, preset: str, *,
                 max_gap_days: int = MAX_GAP_DAYS, on_glitch: str = "warn") -> None:
        if on_glitch not in GLITCH_POLICIES:
            raise InvalidArgumentError(f"Unknown glitch policy {on_glitch!r} (--on-glitch): "
                                       f"choose one of {', '.join(GLITCH_POLICIES)}.")
        if int(max_gap_days) < 0:
            raise InvalidArgumentError(
                f"max_gap_days (--max-gap-days) must be 0 or more, not {max_gap_days!r}.")
        self.max_gap_days = int(max_gap_days)
        self.on_glitch = on_glitch
        self.history = history
        self.preset = preset
        self.layers = preset_layers(preset)
        self.inputs = _inputs(source)
        known = set(history.sources)
        if not known & set(self.inputs):
            raise SnapshotGapError(
                f"No {' or '.join(self.inputs)} data in this history (it has: "
                f"{', '.join(sorted(known)) or 'nothing'}): check the data directory."
            )
        self.by_date: dict[pd.Timestamp, str] = {}
        held = {name: history.dates(name, self.layers) for name in self.inputs
                if name in known}
        for name in reversed(self.inputs):  # earlier inputs take precedence
            for date in held.get(name, ()):
                self.by_date[pd.Timestamp(date)] = name
        if not self.by_date:
            raise SnapshotGapError(
                f"No date has every layer of preset {preset!r} ({', '.join(self.layers)}) "
                f"in {' or '.join(self.inputs)}: choose another preset or source."
            )
        self.dates = pd.DatetimeIndex(sorted(self.by_date))
        #: The last date each input holds (named when a date lies past the data's end).
        self.last = {name: dates[-1] for name, dates in held.items() if len(dates)}
        self.glitches = self._glitches()

    def _glitches(self) -> dict:
        """Flagged days of the area inputs: {date: "2025-03-04 advances (−1,661.52 km²)"}."""
        flagged: dict = {}
        for name in self.inputs:
            if name not in set(self.history.sources) or not self.history.is_area_source(name):
                continue
            areas = self.history.areas
            rows = areas[(areas["source"] == name) & areas["layer"].isin(self.layers)]
            found = self.history.memo(("glitches", name, self.layers),
                                      lambda rows=rows: find_glitches(rows))
            for row in found.itertuples():
                if self.by_date.get(row.date) != name:
                    continue  # the date is measured from polygons, not from the table
                text = (f"{row.date:%Y-%m-%d} {row.layer} {row.area_km2:,.2f} km² between "
                        f"{row.before_km2:,.2f} and {row.after_km2:,.2f} ({name})")
                flagged[row.date] = "; ".join(filter(None, [flagged.get(row.date), text]))
        return flagged

    def _past_the_end(self, date: pd.Timestamp) -> str:
        last = ", ".join(f"{name} {day:%Y-%m-%d}" for name, day in self.last.items())
        return (f"{date:%Y-%m-%d} is after the last date the data holds ({last}): no figure "
                "can be given for it; add newer data (frontline fetch, frontline import) or "
                "choose an earlier date.")

    def tiles(self, snap: Snapshot) -> dict:
        """The tiles of a polygon snapshot's union (:meth:`History.tiles`)."""
        (date,) = snap.used
        return self.history.tiles(snap.input, date, self.layers)

    def neighbours(self, date: pd.Timestamp) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        before = self.dates[self.dates < date]
        after = self.dates[self.dates > date]
        return (before[-1] if len(before) else None), (after[0] if len(after) else None)

    def gap_message(self, date: pd.Timestamp, purpose: str = "") -> str:
        before, after = self.neighbours(date)
        near = " and ".join(f"{d:%Y-%m-%d}" for d in (before, after) if d is not None)
        return (f"{date:%Y-%m-%d}{f' ({purpose})' if purpose else ''} has no "
                f"{'/'.join(self.inputs)} snapshot; nearest: {near or 'none'}")

    def measure(self, date: pd.Timestamp) -> tuple[float, object, tuple, float]:
        """Total, union geometry (None for area inputs), files and layer overlap on a date."""
        name = self.by_date[date]
        layers = self.history.resolve_layers(name, date, self.layers)
        files = tuple(self.history.provenance(name, date, layer) for layer in layers)
        layer_sum = float(sum(self.history.area_km2(name, date, layer) for layer in layers))
        if self.history.is_area_source(name):
            return layer_sum, None, files, np.nan
        union = self.history.union(name, date, self.layers)
        total = self.history.total_km2(name, date, self.layers)
        self._check_agreement(name, date, layers, total)
        self._check_jumps(name, date, layers)
        return total, union, files, layer_sum - total

    def _check_jumps(self, name, date, layers) -> None:
        """Warn when a layer's total jumps against its neighbouring days (glitches.find_jumps)."""
        rows, catalog = [], self.history.catalog
        for layer in layers:
            held = self.history.memo(
                ("layer dates", name, layer),
                lambda layer=layer: pd.DatetimeIndex(sorted(catalog.loc[
                    (catalog["source"] == name) & (catalog["layer"] == layer), "date"])))
            if date not in held:
                continue
            i = held.get_loc(date)
            for day in held[max(i - 1, 0):i + 2]:
                if abs((day - date).days) <= JUMP_DAYS:
                    rows.append((name, day, layer, self.history.area_km2(name, day, layer)))
        here = {lay: a for s, d, lay, a in rows if d == date}
        if not any(is_jump(a, here[lay]) for s, d, lay, a in rows if d != date):
            return  # the usual case, without building find_jumps' table
        found = find_jumps(pd.DataFrame(rows, columns=["source", "date", "layer", "area_km2"]))
        for row in found[found["date"] == date].itertuples():
            other = row.area_km2 - row.jump_km2
            day = min((d for s, d, lay, a in rows if lay == row.layer and d != date
                       and np.isclose(a, other, rtol=0, atol=0.01)),
                      key=lambda d: abs((d - date).days))
            warnings.warn(
                f"{date:%Y-%m-%d} {row.layer} ({name}): {row.area_km2:,.2f} km² against "
                f"{other:,.2f} km² on {day:%Y-%m-%d}, more than a {JUMP_FACTOR:g}-fold jump "
                "(frontline.glitches.find_jumps): a wrong file, CRS or unit is likely; the "
                f"value is used. Check {self.history.provenance(name, date, row.layer)}.",
                FrontlineWarning, stacklevel=3)

    def _check_agreement(self, name, date, layers, total) -> None:
        if name != "isw" or "isw-areas" not in self.inputs:
            return
        if date not in self.history.dates("isw-areas", self.layers):
            return
        table = self.history.total_km2("isw-areas", date, self.layers)
        if abs(table - total) > AGREEMENT_KM2:
            warnings.warn(
                f"{date:%Y-%m-%d}: polygons give {total:,.2f} km² but the area table gives "
                f"{table:,.2f} km² for preset {self.preset!r} (difference "
                f"{total - table:+.2f} km²); the polygons are used.",
                FrontlineWarning, stacklevel=3,
            )

    def _on_glitch(self, date: pd.Timestamp) -> Snapshot:
        what = self.glitches[date]
        if self.on_glitch == "error":
            raise GlitchError(
                f"{date:%Y-%m-%d} is a glitch day: {what}. Pass on_glitch='skip' "
                "(--on-glitch skip) to use the nearest clean day, or 'warn' to use it.")
        if self.on_glitch == "warn":
            warnings.warn(f"{date:%Y-%m-%d} is a glitch day: {what}; the value is used "
                          "(on_glitch='skip' uses the nearest clean day).", GlitchWarning,
                          stacklevel=4)
            total, geometry, files, overlap = self.measure(date)
            return Snapshot(date, (date,), self.by_date[date], total, geometry, True, "exact",
                            files, overlap, glitch=what)
        clean = [d for d in self.dates if d not in self.glitches
                 and abs((d - date).days) <= self.max_gap_days]
        if not clean:
            raise GlitchError(f"{date:%Y-%m-%d} is a glitch day ({what}) and no clean day lies "
                              f"within max_gap_days={self.max_gap_days} of it.")
        nearest = min(clean, key=lambda d: (abs((d - date).days), d > date))
        total, geometry, files, overlap = self.measure(nearest)
        return Snapshot(date, (nearest,), self.by_date[nearest], total, geometry, False,
                        "skip-glitch", files, overlap, glitch=what)

    def snapshot(self, date: DateLike, gap_policy: str) -> Snapshot:
        date = pd.Timestamp(date).normalize()
        if gap_policy not in GAP_POLICIES:
            raise InvalidArgumentError(f"Unknown gap policy {gap_policy!r}: choose one of "
                             f"{', '.join(GAP_POLICIES)}.")
        if date in self.by_date:
            if date in self.glitches:
                return self._on_glitch(date)
            total, geometry, files, overlap = self.measure(date)
            return Snapshot(date, (date,), self.by_date[date], total, geometry, True, "exact",
                            files, overlap)
        before, after = self.neighbours(date)
        if after is None:
            raise SnapshotGapError(self._past_the_end(date))
        if (gap_policy == "previous" and before is not None
                and (date - before).days > self.max_gap_days):
            raise SnapshotGapError(
                f"{self.gap_message(date)}: the previous snapshot is {(date - before).days} "
                f"days earlier, more than max_gap_days={self.max_gap_days} (--max-gap-days); "
                "raise the limit or use gap_policy='interpolate'.")
        if gap_policy == "previous" and before is not None:
            total, geometry, files, overlap = self.measure(before)
            return Snapshot(date, (before,), self.by_date[before], total, geometry, False,
                            "previous", files, overlap)
        if gap_policy == "interpolate" and before is not None and after is not None:
            (t0, _, f0, _), (t1, _, f1, _) = self.measure(before), self.measure(after)
            weight = (date - before).days / (after - before).days
            total = t0 + weight * (t1 - t0)
            inputs = "/".join(dict.fromkeys([self.by_date[before], self.by_date[after]]))
            return Snapshot(date, (before, after), inputs, total, None, False, "interpolate",
                            f0 + f1, gap_change_km2=abs(t1 - t0))
        hint = {
            "error": "pass gap_policy='previous' or 'interpolate' (--gap-policy) to use them; "
                     "the result will be marked exact=False",
            "previous": "there is no earlier snapshot to fall back on",
            "interpolate": "interpolation needs a snapshot on both sides",
        }[gap_policy]
        raise SnapshotGapError(f"{self.gap_message(date)}: {hint}.")


def snapshot(history: History, date: DateLike, *, source: str | None = None,
             preset: str | None = None, gap_policy: str = "error", max_gap_days: int = MAX_GAP_DAYS,
             on_glitch: str = "warn") -> Snapshot:
    """The total of a preset on one date, saying which snapshot produced it.

    Parameters
    ----------
    history : History
        The layers and area tables to measure.
    date : date-like
        The day asked for.
    source, preset, gap_policy, max_gap_days, on_glitch
        As in :func:`monthly_gains`.

    Returns
    -------
    Snapshot
        The total (km²), the snapshot date used, whether it is exact, and its inputs.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> frame = gpd.GeoDataFrame({"date": pd.to_datetime(["2024-01-31"]), "layer": ["control"]},
    ...                          geometry=[box(37.0, 48.0, 37.1, 48.1)], crs="EPSG:4326")
    >>> snap = snapshot(History.from_frame(frame), "2024-01-31", source="user", preset="control")
    >>> round(snap.total_km2, 2), snap.exact
    (82.9, True)
    """
    preset = default_preset(source, preset)
    return Totals(history, source, preset, max_gap_days=max_gap_days,
                  on_glitch=on_glitch).snapshot(date, gap_policy)


def _layer_changes(history: History, s: Snapshot, e: Snapshot) -> dict:
    """{layer: (start km², end km²)} for the reclassifiable layers held at either end."""
    if len(s.used) != 1 or len(e.used) != 1:
        return {}  # interpolated: no layer's own area is known
    held = [history.held(snap.input, snap.used[0]) for snap in (s, e)]
    out = {}
    for layer in RECLASSIFIABLE:
        if layer not in held[0] and layer not in held[1]:
            continue
        if (layer not in held[0] or layer not in held[1]) and layer not in OPTIONAL_LAYERS:
            continue  # a layer drawn at one end only: its change is unknown
        areas = [history.area_km2(snap.input, snap.used[0], layer) if layer in have else 0.0
                 for snap, have in zip((s, e), held, strict=True)]
        out[layer] = (areas[0], areas[1])
    return out


def _uncounted(totals: Totals, snap: Snapshot) -> tuple[str, ...]:
    """The reclassifiable layers a polygon snapshot holds that the preset does not count."""
    (date,) = snap.used
    counted = set(totals.history.resolve_layers(snap.input, date, totals.layers))
    held = totals.history.held(snap.input, date)
    return tuple(layer for layer in RECLASSIFIABLE if layer in held and layer not in counted
                 and not (layer in ("advances", "claimed") and "advances_or_claimed" in counted))


def _within(geometry, totals: Totals, snap: Snapshot, layers: tuple[str, ...]):
    """The part of ``geometry`` (small: what moved) inside ``layers`` on a snapshot,
    tile by tile (the uncounted layers can be large: 70,000 km² of counteroffensives).
    """
    if not layers or geometry is None or geometry.is_empty:
        return shapely.MultiPolygon()
    (date,) = snap.used
    other = totals.history.tiles(snap.input, date, layers)
    pieces = []
    for index, piece in tile(geometry).items():
        if index in other:
            pieces.append(shapely.intersection(piece, other[index]))
    return union([p for p in pieces if not p.is_empty])


def _layer_tiles(totals: Totals, snap: Snapshot, layer: str) -> dict:
    (date,) = snap.used
    return totals.history.tiles(snap.input, date, (layer,))


def _change(totals: Totals, start, end, gap_policy: str, source) -> Change:
    s = totals.snapshot(start, gap_policy)
    e = totals.snapshot(end, gap_policy)
    net = e.total_km2 - s.total_km2
    layer_changes = _layer_changes(totals.history, s, e)
    if s.geometry is None or e.geometry is None:
        return Change(s, e, _combined_source(s.input, e.input), totals.preset, net, np.nan,
                      np.nan, layer_changes=layer_changes, data_dir=totals.history.root)
    start_other_layers, end_other_layers = _uncounted(totals, s), _uncounted(totals, e)

    @functools.cache
    def moved() -> tuple:
        start_tiles, end_tiles = totals.tiles(s), totals.tiles(e)
        entered = tiled_difference(end_tiles, start_tiles)
        left = tiled_difference(start_tiles, end_tiles)
        # what entered from an uncounted layer was reclassified, not gained outright
        return (entered, left, _within(entered, totals, s, start_other_layers),
                _within(left, totals, e, end_other_layers))

    def measure() -> list[float]:
        return [float(geodesic_area_km2(g)) for g in moved()]

    store = totals.history.store
    keys = (None if store is None
            else _change_keys(totals, s, e, start_other_layers, end_other_layers))
    gained, lost, moved_in, moved_out = (
        measure() if keys is None
        else store.measure(("change", totals.preset, *keys), measure).tolist())

    @functools.cache
    def moves() -> dict:  # measured only when asked for (Change.by_layer)
        out = {}
        for layer in layer_changes:
            held = [layer in totals.history.held(snap.input, snap.used[0])
                    for snap in (s, e)]
            a = _layer_tiles(totals, s, layer) if held[0] else {}
            b = _layer_tiles(totals, e, layer) if held[1] else {}
            out[layer] = (float(geodesic_area_km2(tiled_difference(b, a))),
                          float(geodesic_area_km2(tiled_difference(a, b))))
        return out

    return Change(s, e, _combined_source(s.input, e.input), totals.preset, net, gained, lost,
                  moved_in, moved_out, moved, layer_changes,
                  (start_other_layers, end_other_layers), moves, totals.history.root,
                  None if keys is None else (totals.preset, *keys))


def _change_keys(totals: Totals, s: Snapshot, e: Snapshot, *uncounted: tuple) -> tuple | None:
    """What a change's gained/lost/reclassified km² depend on: the keys of the counted
    and the uncounted layers at both ends (None when a layer's key is unknown).
    """
    keys = []
    for snap, other in zip((s, e), uncounted, strict=True):
        (date,) = snap.used
        counted = totals.history.resolve_layers(snap.input, date, totals.layers)
        for group in (counted, other):
            held = totals.history.layer_keys(snap.input, date, group)
            if held is None:
                return None
            keys.append("+".join(held))
    return tuple(keys)


def change(history: History, start: DateLike, end: DateLike, *, source: str | None = None,
           preset: str | None = None, gap_policy: str = "error",
           max_gap_days: int = MAX_GAP_DAYS, on_glitch: str = "warn") -> Change:
    """Compare a preset's total on two dates: net, gross gained and gross lost.

    Parameters
    ----------
    history : History
    start, end : date-like
    source : {None, "isw", "isw-areas", "isw-weekly", "deepstate"} or a user source name
        None: ISW polygons where they exist, else the ISW area table.
    preset : {"afp", "control", "deepstate"}, optional
        Default ``afp`` (``deepstate`` for the DeepState source).
    gap_policy : {"error", "previous", "interpolate"}
    max_gap_days : int
        How far back ``"previous"`` (and a glitch skip) may reach.
    on_glitch : {"warn", "error", "skip"}
        What a start or end on a glitch day does (see the module docs).

    Returns
    -------
    Change
        ``gained``/``lost`` geometries and km² are present only when both ends have
        polygons; ``gained_km2 − lost_km2 + reclassified_km2 == net_km2`` then holds to
        rounding. :meth:`Change.by_layer` says what each layer did.
    """
    preset = default_preset(source, preset)
    totals = Totals(history, source, preset, max_gap_days=max_gap_days, on_glitch=on_glitch)
    return _change(totals, start, end, gap_policy, source)


def _month_ends(start: str | None, end: str | None, through, dates: pd.DatetimeIndex):
    """(period, start_date, end_date) for each month in range."""
    through = pd.Timestamp(through).normalize() if through is not None else None
    first = pd.Period(start, "M") if start else (dates[0] + pd.offsets.MonthBegin(1)).to_period("M")
    if end:
        last = pd.Period(end, "M")
    elif through is not None:
        last = through.to_period("M")
    else:
        last = (dates[-1] + pd.Timedelta(days=1)).to_period("M") - 1
    if through is not None and through.to_period("M") != last:
        raise InvalidArgumentError(
            f"--through {through:%Y-%m-%d} must fall in the last month ({last}): it ends "
            "that month early."
        )
    if last < first:
        raise InvalidArgumentError(f"The end month {last} is before the start month {first}.")
    periods = []
    for month in pd.period_range(first, last, freq="M"):
        start_date = (month - 1).to_timestamp(how="end").normalize()
        end_date = month.to_timestamp(how="end").normalize()
        if month == last and through is not None:
            end_date = through
        periods.append((str(month), start_date, end_date))
    return periods


def monthly_changes(history: History, /, *, start: str | None = None, end: str | None = None,
                    through: DateLike | None = None, preset: str | None = None,
                    source: str | None = None,
                    gap_policy: str = "error", max_gap_days: int = MAX_GAP_DAYS,
                    on_glitch: str = "warn") -> list[tuple[str, Change]]:
    """The :class:`Change` of every month from ``start`` to ``end`` (``YYYY-MM``).

    A month runs from the last day of the previous month to its own last day, or to
    ``through`` (a date in the last month) for a partial month. With
    ``gap_policy="error"`` every missing date is checked first and reported in one error.
    """
    preset = default_preset(source, preset)
    totals = Totals(history, source, preset, max_gap_days=max_gap_days, on_glitch=on_glitch)
    periods = _month_ends(start, end, through, totals.dates)
    beyond = [e for _, _, e in periods if e > totals.dates[-1]]
    if beyond:
        raise SnapshotGapError(totals._past_the_end(beyond[0]))
    if gap_policy == "error":
        missing = []
        for period, start_date, end_date in periods:
            for date, role in ((start_date, f"start of {period}"), (end_date, f"end of {period}")):
                if date not in totals.by_date:
                    missing.append(totals.gap_message(date, role))
        if missing:
            raise SnapshotGapError(
                "Missing snapshots: " + "; ".join(dict.fromkeys(missing))
                + ". Pass --gap-policy previous or interpolate (gap_policy=) to use the "
                "nearest snapshots; those rows are then marked exact=false."
            )
    return [(period, _change(totals, s, e, gap_policy, source)) for period, s, e in periods]


def monthly_gains(history: History, /, *, start: str | None = None, end: str | None = None,
                  through: DateLike | None = None, preset: str | None = None,
                  source: str | None = None,
                  gap_policy: str = "error", max_gap_days: int = MAX_GAP_DAYS,
                  on_glitch: str = "warn") -> pd.DataFrame:
    """The monthly table: one row per month with net, gained and lost km²/mi².

    Columns: :data:`MONTHLY_COLUMNS` (``period, start_date, end_date, start_snapshot,
    end_snapshot, start_input, end_input, source, preset, exact, gap_policy,
    total_start_km2, total_end_km2, net_km2, net_mi2, gained_km2, lost_km2, gained_mi2,
    lost_mi2, note``). See :func:`monthly_changes` for the arguments and the module
    docs for the method.

    Parameters
    ----------
    history : History
        The layers and area tables to measure.
    start, end : str, optional
        First and last month (``YYYY-MM``); default: every month the data covers.
    through : date-like, optional
        Cut the last month at this day (a partial month, ``exact=False`` if no snapshot).
    preset : str, optional
        What a total counts (:data:`frontline.PRESETS`); default ``afp``.
    source : str, optional
        One input (``isw``, ``isw-areas``, ``deepstate``, …); default every ISW input.
    gap_policy : {"error", "previous", "interpolate", ...}
        What to do when a month end has no snapshot (never silent).
    max_gap_days : int
        How far ``previous`` may reach back.
    on_glitch : {"warn", "error", "skip"}
        What to do when a month end falls on a flagged glitch day.

    Returns
    -------
    pandas.DataFrame
        One row per month, columns :data:`MONTHLY_COLUMNS`.
    """
    rows = []
    for period, result in monthly_changes(history, start=start, end=end, through=through,
                                          preset=preset, source=source,
                                          gap_policy=gap_policy, max_gap_days=max_gap_days,
                                          on_glitch=on_glitch):
        row = result.to_frame()
        row.insert(0, "period", period)
        row["gap_policy"] = gap_policy
        rows.append(row)
    table = pd.concat(rows, ignore_index=True)
    return table[MONTHLY_COLUMNS]


def total(history: History, date: DateLike, /, *, source: str | None = None,
          preset: str | None = None, gap_policy: str = "error",
          max_gap_days: int = MAX_GAP_DAYS, on_glitch: str = "warn",
          baseline: str | float | None = "afp", share: bool = True,
          data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """The area held on one day: km², mi², share of Ukraine and the part taken since the
    full-scale invasion.

    Parameters
    ----------
    history : History
    date : date-like
    source, preset, gap_policy, max_gap_days, on_glitch
        As :func:`change`.
    baseline : {"afp", "none"}, float or None
        The area held before 24 Feb 2022 that ``since_invasion_km2`` subtracts:
        a name of :data:`BASELINES` (``"afp"``: AFP's published 42,180 km²), a number of
        km² of your own (named "user-supplied"), or ``"none"``/None for no
        ``since_invasion_km2`` (NaN). The data itself holds no such layer
        (:data:`NO_PRE2022_LAYER`).
    share : bool
        Give ``share_of_ukraine_pct``: the total over Ukraine's area within its
        internationally recognised borders, Crimea included
        (:func:`frontline.boundaries.load_ukraine`, 602,312.71 km²). Needs the outline
        in the data directory.
    data_dir : path-like, optional
        Where the outline is; default the history's own data directory, else
        ``$FRONTLINE_DATA_DIR``.

    Returns
    -------
    pandas.DataFrame
        One row, :data:`TOTAL_COLUMNS`. Interpolated totals carry their uncertainty.

    Notes
    -----
    AFP's published levels are about 1,846 km² below frontline's ``afp`` total of the same
    day (107,956 against 109,801.63 km² on 30 Jul 2024), although the changes agree;
    ``docs/totals.md`` lists what was tried to explain it. ``since_invasion_km2`` with
    the ``afp`` baseline is therefore that much above AFP's "taken since" figures.
    """
    preset = default_preset(source, preset)
    totals = Totals(history, source, preset, max_gap_days=max_gap_days, on_glitch=on_glitch)
    snap = totals.snapshot(date, gap_policy)
    name, baseline_km2, baseline_source = _baseline(baseline)
    notes = [snap.describe()] if snap.method != "exact" else []
    if name == "none":
        notes.append(f"no since_invasion_km2: {NO_PRE2022_LAYER}; pass baseline='afp' "
                     "(--baseline afp) for AFP's published figure or a number of km²")
    ukraine_km2, ukraine_source = np.nan, ""
    if share:
        from frontline.boundaries import load_ukraine

        ukraine = load_ukraine(data_dir=data_dir if data_dir is not None else history)
        ukraine_km2, ukraine_source = float(ukraine["area_km2"].iloc[0]), ukraine[
            "source"].iloc[0]
    since = snap.total_km2 - baseline_km2
    row = {
        "date": snap.requested, "snapshot": snap.label, "source": snap.input,
        "preset": preset, "exact": snap.exact, "total_km2": snap.total_km2,
        "total_mi2": km2_to_mi2(snap.total_km2),
        "share_of_ukraine_pct": 100.0 * snap.total_km2 / ukraine_km2,
        "ukraine_km2": ukraine_km2, "ukraine_source": ukraine_source,
        "baseline": name, "baseline_km2": baseline_km2, "baseline_source": baseline_source,
        "since_invasion_km2": since, "since_invasion_mi2": km2_to_mi2(since),
        "uncertainty_km2": INTERPOLATION_K50 * snap.gap_change_km2,
        "uncertainty90_km2": INTERPOLATION_K90 * snap.gap_change_km2,
        "glitch": snap.glitch, "note": "; ".join(notes),
    }
    return pd.DataFrame([row], columns=TOTAL_COLUMNS)


def _baseline(baseline: str | float | None) -> tuple[str, float, str]:
    """(name, km², source) of a ``baseline=`` value; NaN km² for none."""
    if baseline is None or baseline == "none":
        return "none", np.nan, NO_PRE2022_LAYER
    if isinstance(baseline, str) and baseline in BASELINES:
        km2, where = BASELINES[baseline]
        return baseline, km2, where
    try:
        km2 = float(baseline)
    except (TypeError, ValueError):
        km2 = np.nan
    if not (np.isfinite(km2) and km2 >= 0):
        raise InvalidArgumentError(
            f"Unknown baseline {baseline!r} (--baseline): choose one of "
            f"{', '.join([*BASELINES, 'none'])}, or give a number of km² (>= 0).")
    return "user", km2, "user-supplied area held before 24 Feb 2022"
