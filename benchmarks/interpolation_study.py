"""Leave-one-out study of gap-filling on ISW's daily area table.

What it measures
----------------
ISW's per-layer daily area table (two copies, ``sdspieg_daily_areas.json`` and
``hcss_daily_areas.json``) gives the daily total

    T(d) = ukraine_control_map + russian_advances + russian_claimed   (AFP's rule)

on every day where all three layers have a value. For every day d of 2024-01-01 .. 2025-12-31
that has T(d), T(d-1) and T(d+1), the script hides T(d), estimates it from the other days
with about a dozen estimators (linear interpolation, carry-forward/backward, per-layer
linear, wider midpoint, quadratic, medians, extrapolations, ...) and prints, per estimator,
n, median, 90th percentile and mean of |estimate - T(d)| in km².

For linear interpolation it also calibrates an uncertainty band k * |dT| with
dT = T(d+1) - T(d-1): the share of errors inside 0.25 |dT| and 0.6 |dT|, and the k giving
50 % and 90 % coverage; and the same for gaps of 2 and 3 hidden days (d .. d+g-1 hidden,
interpolated from d-1 and d+g).

Everything is reported twice: on all days, and with one-day glitches removed. A glitch is a
day on which a layer differs by more than 25 % from both neighbours in the same direction
while the neighbours agree within 25 % (e.g. russian_advances 2,058 -> 400 -> 2,064 km² on
2025-03-04); glitch days are treated as missing.

The two copies are combined value by value: the sdspieg value where it has one, else the
hcss value (hcss alone covers some later days, and doubles three values that sdspieg has
right).

Run
---
    FRONTLINE_DATA_DIR=/work/shared/data .venv/bin/python benchmarks/interpolation_study.py

The last line printed is ``RESULT linear median=... p90=... k50=... k90=...`` (all days).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

LAYERS = ("ukraine_control_map", "russian_advances", "russian_claimed")
START, END = pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31")
COPIES = ("sdspieg", "hcss")  # first copy wins where both have a value
GLITCH_JUMP = 0.25
BAND_KS = (0.25, 0.6)
GAPS = (1, 2, 3)

Estimator = Callable[[pd.Series, pd.DataFrame], pd.Series]


def data_dir() -> Path:
    """Return the data directory named by ``FRONTLINE_DATA_DIR``.

    Returns
    -------
    Path
        The folder holding ``isw/area_tables``.

    Raises
    ------
    SystemExit
        If the variable is unset or the area tables are not there.
    """
    value = os.environ.get("FRONTLINE_DATA_DIR")
    if not value:
        sys.exit(
            "FRONTLINE_DATA_DIR is not set. Run as:\n"
            "  FRONTLINE_DATA_DIR=/path/to/data python benchmarks/interpolation_study.py"
        )
    path = Path(value)
    if not (path / "isw" / "area_tables").is_dir():
        sys.exit(f"FRONTLINE_DATA_DIR={value}: no isw/area_tables folder there")
    return path


def read_copy(path: Path) -> pd.Series:
    """Read one area-table copy.

    Parameters
    ----------
    path : Path
        JSON list of ``{date, layerType, areaKm2}`` records.

    Returns
    -------
    pandas.Series
        ``areaKm2`` indexed by (date, layerType).
    """
    table = pd.DataFrame(json.loads(path.read_text()))
    table["date"] = pd.to_datetime(table["date"])
    return table.set_index(["date", "layerType"])["areaKm2"].sort_index()


def load_table(area_dir: Path, copies: tuple[str, ...] = COPIES) -> pd.DataFrame:
    """Combine the copies into one wide daily table.

    Parameters
    ----------
    area_dir : Path
        Folder holding ``<copy>_daily_areas.json``.
    copies : tuple of str
        Copies to combine; an earlier copy's value wins where several have one.

    Returns
    -------
    pandas.DataFrame
        One row per calendar day (missing days all-NaN), one column per layer, km².
    """
    combined = None
    for name in copies:
        values = read_copy(area_dir / f"{name}_daily_areas.json")
        combined = values if combined is None else combined.combine_first(values)
    wide = combined.unstack("layerType")
    return wide.reindex(pd.date_range(wide.index.min(), wide.index.max(), freq="D"))


def disagreements(area_dir: Path) -> pd.DataFrame:
    """List the values on which the copies disagree by more than 0.01 km².

    Parameters
    ----------
    area_dir : Path
        Folder holding the copies.

    Returns
    -------
    pandas.DataFrame
        One column per copy, rows where both have a value and differ.
    """
    both = pd.concat(
        {name: read_copy(area_dir / f"{name}_daily_areas.json") for name in COPIES}, axis=1
    ).dropna()
    return both[(both[COPIES[0]] - both[COPIES[1]]).abs() > 0.01]


def find_glitches(wide: pd.DataFrame, jump: float = GLITCH_JUMP) -> pd.DataFrame:
    """Flag one-day glitches: a layer jumps against both neighbours and returns.

    Parameters
    ----------
    wide : pandas.DataFrame
        Daily table from :func:`load_table`.
    jump : float
        Relative jump against each neighbour that counts as a glitch.

    Returns
    -------
    pandas.DataFrame
        Columns date, layer, previous, value, next.
    """
    prev, nxt = wide.shift(1), wide.shift(-1)
    to_prev, to_next = (wide - prev) / prev, (wide - nxt) / nxt
    returns = (nxt - prev).abs() / prev <= jump
    flag = (
        (to_prev.abs() > jump)
        & (to_next.abs() > jump)
        & (np.sign(to_prev) == np.sign(to_next))
        & returns
    )
    rows = [
        {
            "date": day,
            "layer": layer,
            "previous": prev.at[day, layer],
            "value": wide.at[day, layer],
            "next": nxt.at[day, layer],
        }
        for layer in wide.columns
        for day in wide.index[flag[layer]]
    ]
    return pd.DataFrame(rows, columns=["date", "layer", "previous", "value", "next"])


def daily_total(wide: pd.DataFrame) -> pd.Series:
    """Return T(d), the sum of :data:`LAYERS`, NaN unless all three have a value.

    Parameters
    ----------
    wide : pandas.DataFrame
        Daily table.

    Returns
    -------
    pandas.Series
        Daily total in km².
    """
    return wide[list(LAYERS)].sum(axis=1, min_count=len(LAYERS))


def _stack(total: pd.Series, offsets: tuple[int, ...]) -> np.ndarray:
    """Return T at day d + offset for each offset, as columns (NaN where missing)."""
    return np.column_stack([total.shift(-k).to_numpy() for k in offsets])


def _series(values: np.ndarray, like: pd.Series) -> pd.Series:
    """Wrap an array computed from ``like`` back into a Series on its index."""
    return pd.Series(values, index=like.index)


def at(total: pd.Series, k: int) -> pd.Series:
    """Return T(d + k) aligned on d (the index must be a complete daily range)."""
    return total.shift(-k)


def per_layer(layers: pd.DataFrame, estimator: Estimator) -> pd.Series:
    """Apply a total-level estimator to each layer and sum the estimates.

    Parameters
    ----------
    layers : pandas.DataFrame
        Daily table.
    estimator : callable
        Estimator applied to each layer series.

    Returns
    -------
    pandas.Series
        Sum over :data:`LAYERS`, NaN unless every layer's estimate exists.
    """
    parts = pd.concat([estimator(layers[name], layers) for name in LAYERS], axis=1)
    return parts.sum(axis=1, min_count=len(LAYERS))


def _linear(t: pd.Series, _: pd.DataFrame) -> pd.Series:
    """Midpoint of the two neighbours."""
    return (at(t, -1) + at(t, 1)) / 2


def _median4(t: pd.Series, _: pd.DataFrame) -> pd.Series:
    """Median of the four nearest neighbours (NaN if any is missing)."""
    return _series(np.median(_stack(t, (-2, -1, 1, 2)), axis=1), t)


def _mixed(_: pd.Series, layers: pd.DataFrame) -> pd.Series:
    """Control map carried forward (it moves in steps), front layers linear."""
    control = at(layers["ukraine_control_map"], -1)
    front = [_linear(layers[name], layers) for name in ("russian_advances", "russian_claimed")]
    return control + front[0] + front[1]


ESTIMATORS: dict[str, tuple[str, Estimator]] = {
    "linear": ("(T[d-1] + T[d+1]) / 2", _linear),
    "per_layer_linear": ("linear per layer, summed", lambda t, w: per_layer(w, _linear)),
    "carry_forward": ("T[d-1]", lambda t, w: at(t, -1)),
    "carry_backward": ("T[d+1]", lambda t, w: at(t, 1)),
    "wide_midpoint": ("(T[d-2] + T[d+2]) / 2", lambda t, w: (at(t, -2) + at(t, 2)) / 2),
    "quadratic_5pt": (
        "LS quadratic (= cubic) through d±1, d±2",
        lambda t, w: (4 * (at(t, -1) + at(t, 1)) - (at(t, -2) + at(t, 2))) / 6,
    ),
    "mean_4": (
        "mean of T[d±1], T[d±2]",
        lambda t, w: _series(_stack(t, (-2, -1, 1, 2)).mean(1), t),
    ),
    "median_4": ("median of T[d±1], T[d±2]", _median4),
    "mean_6": (
        "mean of T[d±1..3] (= LS line there)",
        lambda t, w: _series(_stack(t, (-3, -2, -1, 1, 2, 3)).mean(1), t),
    ),
    "extrap_forward": ("2 T[d-1] - T[d-2]", lambda t, w: 2 * at(t, -1) - at(t, -2)),
    "extrap_backward": ("2 T[d+1] - T[d+2]", lambda t, w: 2 * at(t, 1) - at(t, 2)),
    "drift_forward": (
        "T[d-1] + last week's mean daily change",
        lambda t, w: at(t, -1) + (at(t, -1) - at(t, -8)) / 7,
    ),
    "mixed_layers": ("control carried forward, advances+claimed linear", _mixed),
    "per_layer_median4": (
        "median_4 per layer, summed",
        lambda t, w: per_layer(w, _median4),
    ),
}


def single_days(total: pd.Series) -> pd.Index:
    """Return the days d in [START, END] with T(d-1), T(d) and T(d+1).

    Parameters
    ----------
    total : pandas.Series
        Daily total on a complete daily index.

    Returns
    -------
    pandas.DatetimeIndex
        The study days.
    """
    ok = total.notna() & at(total, -1).notna() & at(total, 1).notna()
    ok &= (total.index >= START) & (total.index <= END)
    return total.index[ok]


def error_stats(errors: pd.Series) -> dict[str, float]:
    """Summarise absolute errors.

    Parameters
    ----------
    errors : pandas.Series
        Signed errors (estimate - truth), NaN where the estimator is undefined.

    Returns
    -------
    dict
        n, median, p90 and mean of |error|.
    """
    err = errors.dropna().abs()
    if err.empty:
        return {"n": 0, "median": np.nan, "p90": np.nan, "mean": np.nan}
    return {"n": len(err), "median": err.median(), "p90": err.quantile(0.9), "mean": err.mean()}


def estimator_table(total: pd.Series, layers: pd.DataFrame) -> pd.DataFrame:
    """Run every estimator on the single days.

    Parameters
    ----------
    total : pandas.Series
        Daily total.
    layers : pandas.DataFrame
        Daily table (for per-layer estimators).

    Returns
    -------
    pandas.DataFrame
        One row per estimator: n, median, p90, mean of |error| on the days where it is
        defined, and median/p90 on the days where every estimator is defined.
    """
    days = single_days(total)
    errors = pd.DataFrame(
        {name: (fn(total, layers) - total).loc[days] for name, (_, fn) in ESTIMATORS.items()}
    )
    common = errors.dropna()
    rows = {}
    for name in errors:
        own, shared = error_stats(errors[name]), error_stats(common[name])
        rows[name] = own | {"median_common": shared["median"], "p90_common": shared["p90"]}
    table = pd.DataFrame(rows).T
    table["n"] = table["n"].astype(int)
    table.attrs["n_common"] = len(common)
    return table


def band_ratio(errors: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """Return |error| / |dT|; 0 where both are zero, inf where only dT is zero."""
    err, spread = np.abs(errors), np.abs(spread)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = err / spread
    ratio[spread == 0] = np.where(err[spread == 0] == 0, 0.0, np.inf)
    return ratio


def gap_study(total: pd.Series, gap: int) -> dict[str, float]:
    """Hide ``gap`` consecutive days, interpolate linearly, calibrate the band.

    Every window d .. d+gap-1 inside [START, END] whose days and both anchors d-1, d+gap
    have T is used (windows overlap); each hidden day is one sample.

    Parameters
    ----------
    total : pandas.Series
        Daily total on a complete daily index.
    gap : int
        Number of hidden days.

    Returns
    -------
    dict
        Windows, samples, median/p90 |error|, median |dT|, coverage at each of
        :data:`BAND_KS`, and k50/k90 (smallest k covering 50 % / 90 % of the samples).
    """
    before, after = at(total, -1), at(total, gap)
    ok = before.notna() & after.notna()
    for j in range(gap):
        ok &= at(total, j).notna()
    last = total.index + pd.Timedelta(days=gap - 1)
    ok &= (total.index >= START) & (last <= END)
    spread = (after - before)[ok].to_numpy()
    errors, spreads = [], []
    for j in range(gap):
        estimate = before[ok] + (j + 1) / (gap + 1) * (after - before)[ok]
        errors.append((estimate - at(total, j)[ok]).to_numpy())
        spreads.append(spread)
    err, spr = np.concatenate(errors), np.concatenate(spreads)
    ratio = band_ratio(err, spr)
    out = {
        "windows": int(ok.sum()),
        "samples": len(err),
        "median": float(np.median(np.abs(err))),
        "p90": float(np.quantile(np.abs(err), 0.9)),
        "median_dT": float(np.median(np.abs(spr))),
    }
    for k in BAND_KS:
        out[f"cov_{k}"] = float(np.mean(ratio <= k))
    out["k50"] = float(np.quantile(ratio, 0.5, method="inverted_cdf"))
    out["k90"] = float(np.quantile(ratio, 0.9, method="inverted_cdf"))
    return out


def clean(wide: pd.DataFrame, glitches: pd.DataFrame) -> pd.DataFrame:
    """Return the table with every glitch day set to missing (all layers).

    Parameters
    ----------
    wide : pandas.DataFrame
        Daily table.
    glitches : pandas.DataFrame
        Output of :func:`find_glitches`.

    Returns
    -------
    pandas.DataFrame
        Copy of ``wide`` with the glitch days' rows NaN.
    """
    out = wide.copy()
    out.loc[pd.DatetimeIndex(glitches["date"].unique())] = np.nan
    return out


def print_estimators(title: str, table: pd.DataFrame) -> None:
    """Print one estimator table."""
    print(
        f"\n{title}  (|error| km²; 'common' = the {table.attrs['n_common']} days on which "
        "every estimator is defined)"
    )
    print(
        f"{'estimator':<19}{'n':>5}{'median':>9}{'p90':>9}{'mean':>9}"
        f"{'med/common':>12}{'p90/common':>12}  definition"
    )
    for name, row in table.iterrows():
        print(
            f"{name:<19}{int(row['n']):>5d}{row['median']:>9.1f}{row['p90']:>9.1f}"
            f"{row['mean']:>9.1f}{row['median_common']:>12.1f}{row['p90_common']:>12.1f}"
            f"  {ESTIMATORS[name][0]}"
        )


def print_bands(title: str, bands: dict[int, dict[str, float]]) -> None:
    """Print the band calibration for each gap length."""
    print(f"\n{title}  (linear interpolation; band = k * |dT|, dT = T[after] - T[before])")
    covs = "".join(f"{'cov ' + str(k):>10}" for k in BAND_KS)
    print(
        f"{'gap':>4}{'windows':>9}{'samples':>9}{'median':>9}{'p90':>9}{'med|dT|':>9}"
        f"{covs}{'k50':>7}{'k90':>7}"
    )
    for gap, b in bands.items():
        cov = "".join(f"{b[f'cov_{k}']:>10.1%}" for k in BAND_KS)
        print(
            f"{gap:>4}{b['windows']:>9}{b['samples']:>9}{b['median']:>9.1f}{b['p90']:>9.1f}"
            f"{b['median_dT']:>9.1f}{cov}{b['k50']:>7.2f}{b['k90']:>7.2f}"
        )


def main() -> None:
    """Run the study and print the tables and the RESULT line."""
    area_dir = data_dir() / "isw" / "area_tables"
    wide = load_table(area_dir)
    glitches = find_glitches(wide)
    wide_clean = clean(wide, glitches)
    total, total_clean = daily_total(wide), daily_total(wide_clean)

    in_window = total.loc[START:END]
    print(
        f"ISW daily area table, {START.date()} .. {END.date()}: "
        f"{in_window.notna().sum()} of {len(in_window)} days have T(d)"
    )
    print("copies disagree on (sdspieg value used):")
    print(disagreements(area_dir).to_string(float_format=lambda v: f"{v:,.2f}"))
    print(f"\none-day glitches (>{GLITCH_JUMP:.0%} against both neighbours, then back):")
    print(glitches.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))

    n_all, n_clean = len(single_days(total)), len(single_days(total_clean))
    sds = load_table(area_dir, copies=COPIES[:1])
    sds_clean = daily_total(clean(sds, find_glitches(sds)))
    print(
        f"\nsingle days (T at d-1, d, d+1): {n_all} all, {n_clean} without glitches "
        f"(sdspieg copy alone: {len(single_days(daily_total(sds)))} all, "
        f"{len(single_days(sds_clean))} without glitches)"
    )

    print_estimators("ALL DAYS", estimator_table(total, wide))
    print_estimators("GLITCH DAYS REMOVED", estimator_table(total_clean, wide_clean))

    bands = {gap: gap_study(total, gap) for gap in GAPS}
    print_bands("BAND, ALL DAYS", bands)
    print_bands("BAND, GLITCH DAYS REMOVED", {gap: gap_study(total_clean, gap) for gap in GAPS})

    lin = bands[1]
    print(
        f"\nRESULT linear median={lin['median']:.1f} p90={lin['p90']:.1f} "
        f"k50={lin['k50']:.2f} k90={lin['k90']:.2f}"
    )


if __name__ == "__main__":
    main()
