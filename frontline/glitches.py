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
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["GLITCH_COLUMNS", "JUMP_KM2", "JUMP_SHARE", "NEIGHBOUR_DAYS", "find_glitches"]

#: A glitch moves a layer by more than this share of its neighbours' value ...
JUMP_SHARE = 0.25
#: ... and by more than this many km².
JUMP_KM2 = 50.0
#: The neighbours compared are at most this many days away.
NEIGHBOUR_DAYS = 2

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
    for (source, layer), part in areas.groupby(["source", "layer"], sort=True):
        part = part.sort_values("date")
        dates = pd.DatetimeIndex(part["date"])
        values = part["area_km2"].to_numpy(dtype=float)
        for i in range(1, len(part) - 1):
            gap_before = (dates[i] - dates[i - 1]).days
            gap_after = (dates[i + 1] - dates[i]).days
            if gap_before > NEIGHBOUR_DAYS or gap_after > NEIGHBOUR_DAYS:
                continue
            before, value, after = values[i - 1], values[i], values[i + 1]
            up, down = value - before, value - after
            if np.sign(up) != np.sign(down) or up == 0:
                continue
            big = all(abs(d) > max(JUMP_KM2, JUMP_SHARE * abs(n))
                      for d, n in ((up, before), (down, after)))
            back = abs(before - after) < 0.25 * min(abs(up), abs(down))
            if big and back:
                rows.append((source, dates[i], layer, value, before, after,
                             round(value - (before + after) / 2, 2)))
    frame = pd.DataFrame(rows, columns=GLITCH_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    return frame
