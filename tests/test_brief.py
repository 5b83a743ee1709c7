"""frontline.brief: the month in a paragraph, every number traceable to a table row."""

from __future__ import annotations

import json
import re

import pytest

from frontline.brief import month_brief
from frontline.changes import change, monthly_gains
from frontline.regions import distance_series


@pytest.fixture(scope="module")
def november(history):
    return month_brief(history, "2024-11")


def _table_values(brief) -> list[float]:
    values = []
    for table in brief.tables.values():
        for column in table.columns:
            if table[column].dtype.kind == "f":
                values += [float(v) for v in table[column].dropna()]
    return values


def test_every_number_in_the_text_is_a_table_value(november):
    values = _table_values(november)
    numbers = re.findall(r"(-?[\d,]+\.\d) (?:km²|mi²|km\b)", november.text)
    assert len(numbers) >= 15
    for number in numbers:
        value = float(number.replace(",", ""))
        assert any(abs(abs(v) - value) <= 0.05 + 1e-9 for v in values), number
    for share in re.findall(r"(\d+) %", november.text):
        assert any(abs(v - int(share)) <= 0.5 for v in november.tables["oblasts"][
            "share_of_national_net_pct"]), share


def test_november_2024(history, november):
    """ISW: Oct 31 (ISW's zips) -> Nov 30 (area table), 725.42 km² (AFP: 725, pinned in
    tests/changes/test_published.py); no ISW polygons for 30 Nov, so the gross figures
    and the geography come from DeepStateMap's maps of the same two dates, and say so."""
    month = november.tables["month"].iloc[0]
    expected = monthly_gains(history, start="2024-11", end="2024-11").iloc[0]
    assert month.net_km2 == pytest.approx(expected.net_km2, abs=0.005)
    assert month.net_km2 == pytest.approx(725.42, abs=0.01) and month.exact
    text = november.text
    assert text.startswith("In November 2024 Russian forces gained a net 725.4 km² "
                           "(280.1 mi²) of territory in Ukraine by ISW/CTP's maps")
    ranking = november.tables["ranking"]
    assert len(ranking) == 32 and ranking["period"].min() == "2022-04"
    assert ranking.iloc[0].period == "2024-11" and ranking.iloc[0]["rank"] == 1
    by_period = ranking.set_index("period")["net_km2"]
    assert by_period["2024-08"] == pytest.approx(476.87, abs=0.01)  # AFP: 477
    assert by_period["2024-10"] == pytest.approx(613.05, abs=0.01)  # AFP: 610
    assert set(ranking.loc[~ranking["exact"], "period"]) == {"2024-09", "2024-10"}
    assert ("It was the largest monthly net gain of the 32 months from April 2022 to "
            "November 2024, 2 of them interpolated (2024-09, 2024-10).") in text
    maps = november.tables["map_change"].iloc[0]
    deepstate = change(history, "2024-10-31", "2024-11-30", source="deepstate")
    assert maps.source == "deepstate"
    assert maps.net_km2 == pytest.approx(deepstate.net_km2, abs=0.005)
    assert maps.gained_km2 - maps.lost_km2 == pytest.approx(maps.net_km2, abs=0.02)
    assert "DeepStateMap maps of 31 Oct 2024 and 30 Nov 2024" in text
    assert "Caveats: the gross figures, oblasts, raions and towns come from those maps" in text
    oblasts = november.tables["oblasts"]
    assert oblasts.iloc[0]["name"] == "Donetsk Oblast"
    # the rows add up to the maps' national net (the last row: outside every oblast)
    assert oblasts["net_km2"].sum() == pytest.approx(maps.net_km2, abs=0.05)
    assert oblasts.iloc[-1]["name"] == "outside every oblast (Russia, sea)"
    assert "Most of it was in Donetsk Oblast (" in text
    towns = november.tables["towns"].set_index("town")
    kurakhove = distance_series(history, "Kurakhove", source="deepstate",
                                dates=["2024-10-31", "2024-11-30"])
    assert towns.loc["Kurakhove", "distance_end_km"] == pytest.approx(
        kurakhove["distance_km"].iloc[1], abs=0.005)
    assert towns.loc["Kurakhove", "closer_km"] == pytest.approx(
        kurakhove["distance_km"].iloc[0] - kurakhove["distance_km"].iloc[1], abs=0.01)
    assert "Kurakhove (0.1 km away at the end, 4.6 km closer)" in text
    assert text.endswith("Data: ISW and AEI's Critical Threats Project; DeepStateMap.")


def test_markdown_and_json(november):
    markdown = november.to_markdown()
    assert markdown.startswith("# November 2024\n\nIn November 2024")
    for name in ("month", "ranking", "map_change", "oblasts", "raions", "towns"):
        assert f"\n## {name}\n" in markdown
    assert markdown.rstrip().endswith("Data: ISW and AEI's Critical Threats Project; "
                                      "DeepStateMap")
    data = json.loads(november.to_json())
    assert data["text"] == november.text and data["month"] == "2024-11"
    assert data["tables"]["month"][0]["net_km2"] == 725.42
    assert data["tables"]["ranking"][0]["period"] == "2024-11"


def test_a_month_with_a_gap_is_refused_unless_asked(history):
    from frontline.errors import InvalidArgumentError, SnapshotGapError

    with pytest.raises(SnapshotGapError, match="2024-09-30 .* has no isw/isw-areas snapshot"):
        month_brief(history, "2024-10", since="2024-09", units=False)
    brief = month_brief(history, "2024-10", since="2024-09", units=False,
                        gap_policy="interpolate")
    assert "the month's figure is not exact: 2024-09-30 has no snapshot" in brief.text
    assert "ISW/CTP maps of 29 Sep 2024 and 31 Oct 2024" in brief.text
    with pytest.raises(InvalidArgumentError, match="--month"):
        month_brief(history, "November")
