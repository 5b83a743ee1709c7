"""frontline against the published figures in data/published_figures.csv.

Each row states its own tolerance and why (exact snapshot, interpolated gap, ...).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from frontline.changes import change
from frontline.geodesy import KM2_PER_MI2

FIGURES = pd.read_csv(Path(__file__).parents[2] / "data" / "published_figures.csv")


@pytest.mark.parametrize("row", FIGURES.to_dict("records"),
                         ids=[f"{r.figure}:{r.end_date}" for r in FIGURES.itertuples()])
def test_published_figure(history, row):
    result = change(history, row["start_date"], row["end_date"], gap_policy="interpolate")
    assert result.net_km2 == pytest.approx(row["value_km2"], abs=row["tolerance_km2"]), (
        row["why_tolerance"])
    if not pd.isna(row["value_mi2"]):
        assert result.net_km2 / KM2_PER_MI2 == pytest.approx(row["value_mi2"],
                                                             abs=row["tolerance_km2"] / 2)
    needs_interpolation = "interpolated" in row["why_tolerance"]
    assert result.exact == (not needs_interpolation)
