"""One-day glitches in dated area series: a value that jumps and comes straight back.

ISW's daily area tables hold days on which a layer halves or doubles and returns the next
day (advances on 2024-07-03 and 2025-03-04: 2,058 → 400 → 2,064 km²). A figure whose start
or end falls on such a day is wrong by hundreds of km², so such days are flagged, never
used silently (see :func:`frontline.change`'s ``on_glitch``).

The rule (documented thresholds): a value on day *d* is a glitch when, against both the
previous and the next value of the same layer (each at most :data:`NEIGHBOUR_DAYS` away),
it differs by more than :data:`JUMP_SHARE` of the neighbour and by more than
:data:`JUMP_KM2`, in the same direction, while the two neighbours agree with each other
(their difference is under a quarter of the jump): the series jumps and comes back.
A lasting change (a redrawn layer) is not a glitch: it does not come back.

The same walk over each layer's neighbouring values also flags *jumps*
(:func:`find_jumps`): a value more than :data:`JUMP_FACTOR` times a neighbour's (or less
than its 1/:data:`JUMP_FACTOR`), both above :data:`JUMP_KM2`, the neighbour at most
:data:`JUMP_DAYS` away. No layer of the real data moves tenfold within a week (the
largest short moves are the one-day glitches above, about fivefold); over a month ISW's
counteroffensives layer does (2022-03-31 → 2022-04-30, 2,541 → 27,823 km²), hence the
week. A 100-fold jump between days is a wrong file, CRS or unit. Figures resting on a jump
are warned about, not refused: the files say so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["GLITCH_COLUMNS", "JUMP_DAYS", "JUMP_FACTOR", "JUMP_KM2", "JUMP_SHARE",
           "NEIGHBOUR_DAYS", "find_glitches", "find_jumps", "is_jump"]

#: A glitch moves a layer by more than this share of its neighbours' value ...
JUMP_SHARE = 0.25
#: ... and by more than this many km².
JUMP_KM2 = 50.0
#: The neighbours compared are at most this many days away.
NEIGHBOUR_DAYS = 2
#: A jump: a value more than this many times a neighbour's, or less than its 1/JUMP_FACTOR ...
JUMP_FACTOR = 10.0
#: ... the neighbour at most this many days away.
JUMP_DAYS = 7

GLITCH_COLUMNS = ["source", "date", "layer", "area_km2", "before_km2", "after_km2",
                  "jump_km2"]


def find_glitches(areas: pd.DataFrame, /) -> pd.DataFrame:
    """The (source, date, layer) values of an area table that jump and come back.

    Parameters
    ----------
    areas : pandas.DataFrame
        Rows ``source, date, layer, area_km2`` (e.g. ``History.areas`` or
        :meth:`History.layer_areas`).

    Returns
    -------
    pandas.DataFrame
        One row per flagged value: ``source, date, layer, area_km2`` and the neighbours'
        values ``before_km2``, ``after_km2``, ``jump_km2`` (value − mean of neighbours).

    Examples
    --------
    >>> table = pd.DataFrame({"source": "t", "layer": "advances",
    ...     "date": pd.date_range("2025-03-02", periods=5),
    ...     "area_km2": [2050.0, 2058.6, 399.9, 2064.3, 2070.0]})
    >>> print(find_glitches(table)[["date", "layer", "jump_km2"]].to_string(index=False))
          date    layer  jump_km2
    2025-03-04 advances  -1661.55
    """
    rows = []
    for source, layer, dates, values in _series(areas):
        if len(values) < 3:
            continue
        days = np.asarray((dates - dates[0]).days)
        before, value, after = values[:-2], values[1:-1], values[2:]
        up, down = value - before, value - after
        near = (np.diff(days)[:-1] <= NEIGHBOUR_DAYS) & (np.diff(days)[1:] <= NEIGHBOUR_DAYS)
        same_way = (np.sign(up) == np.sign(down)) & (up != 0)
        big = ((np.abs(up) > np.maximum(JUMP_KM2, JUMP_SHARE * np.abs(before)))
               & (np.abs(down) > np.maximum(JUMP_KM2, JUMP_SHARE * np.abs(after))))
        back = np.abs(before - after) < 0.25 * np.minimum(np.abs(up), np.abs(down))
        for k in np.flatnonzero(near & same_way & big & back):
            rows.append((source, dates[k + 1], layer, value[k], before[k], after[k],
                         round(value[k] - (before[k] + after[k]) / 2, 2)))
    return _frame(rows)


def is_jump(a: float, b: float) -> bool:
    """Whether two neighbouring values (km²) are a jump: both above :data:`JUMP_KM2`, one
    more than :data:`JUMP_FACTOR` times the other.

    Examples
    --------
    >>> is_jump(165.79, 574713.46), is_jump(165.79, 170.0)
    (True, False)
    """
    return min(a, b) > JUMP_KM2 and max(a, b) > JUMP_FACTOR * min(a, b)


def find_jumps(areas: pd.DataFrame, /) -> pd.DataFrame:
    """The (source, date, layer) values more than :data:`JUMP_FACTOR` times a neighbour's.

    Parameters
    ----------
    areas : pandas.DataFrame
        Rows ``source, date, layer, area_km2``.

    Returns
    -------
    pandas.DataFrame
        As :func:`find_glitches`; ``before_km2``/``after_km2`` are NaN where there is no
        neighbour within :data:`JUMP_DAYS`, ``jump_km2`` is value − the neighbour it jumps
        from (the nearer one when both qualify).

    Examples
    --------
    >>> table = pd.DataFrame({"source": "t", "layer": "control",
    ...     "date": pd.to_datetime(["2024-10-31", "2024-11-01"]),
    ...     "area_km2": [165.79, 574713.46]})
    >>> print(find_jumps(table)[["date", "jump_km2"]].to_string(index=False))
          date   jump_km2
    2024-10-31 -574547.67
    2024-11-01  574547.67
    """
    rows = []
    for source, layer, dates, values in _series(areas):
        for i in range(len(values)):
            near = {}
            for j in (i - 1, i + 1):
                if 0 <= j < len(values) and abs((dates[j] - dates[i]).days) <= JUMP_DAYS:
                    near[j] = values[j]
            jumped = [j for j, other in near.items() if is_jump(values[i], other)]
            if jumped:
                j = min(jumped, key=lambda k: abs((dates[k] - dates[i]).days))
                rows.append((source, dates[i], layer, values[i], near.get(i - 1, np.nan),
                             near.get(i + 1, np.nan), round(values[i] - values[j], 2)))
    return _frame(rows)


def _series(areas: pd.DataFrame):
    """Each (source, layer) series in date order: ``(source, layer, dates, values)``."""
    for (source, layer), part in areas.groupby(["source", "layer"], sort=True):
        part = part.sort_values("date")
        yield source, layer, pd.DatetimeIndex(part["date"]), part["area_km2"].to_numpy(
            dtype=float)


def _frame(rows: list) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=GLITCH_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    return frame
