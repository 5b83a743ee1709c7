"""Plot functions: what each figure shows (titles, units, bars, marks, credits, legends).

Figures are drawn under the Agg backend and closed after each test (``conftest.py``).
Tables are built by hand in the monthly table's shape; the maps are also drawn from the
real DeepState polygons and boundaries (``FRONTLINE_DATA_DIR``).
"""

from __future__ import annotations

import geopandas as gpd
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from shapely.geometry import box

import frontline
from frontline import KM2_PER_MI2
from frontline.viz.plots import (
    LABEL_GID,
    MAP_CRS,
    label_extent,
    plot_area_closeup,
    plot_change_map,
    plot_controlled_total,
    plot_monthly_gains,
    plot_pokrovsk,
    plot_source_comparison,
    round_adding_up,
    source_credit,
)

ISW_CREDIT = "ISW and AEI's Critical Threats Project"


def monthly_table(source="isw-areas+isw") -> pd.DataFrame:
    """AFP's three months: August exact, September and October (to the 27th) interpolated."""
    rows = [
        ("2024-08", "2024-07-31", "2024-08-31", "2024-07-31", "2024-08-31", True,
         109804.84, 110281.71, ""),
        ("2024-09", "2024-08-31", "2024-09-30", "2024-08-31", "2024-09-29/2024-10-01", False,
         110281.71, 110741.14, "2024-09-30 has no snapshot: interpolated"),
        ("2024-10", "2024-09-30", "2024-10-27", "2024-09-29/2024-10-01",
         "2024-10-26/2024-10-28", False, 110741.14, 111219.35,
         "2024-10-27 has no snapshot: interpolated"),
    ]
    table = pd.DataFrame(rows, columns=[
        "period", "start_date", "end_date", "start_snapshot", "end_snapshot", "exact",
        "total_start_km2", "total_end_km2", "note"])
    table["start_date"] = pd.to_datetime(table["start_date"])
    table["end_date"] = pd.to_datetime(table["end_date"])
    table["start_input"] = "isw-areas"
    table["end_input"] = "isw/isw-areas"
    table["source"] = source
    table["preset"] = "afp"
    table["gap_policy"] = "interpolate"
    table["net_km2"] = table["total_end_km2"] - table["total_start_km2"]
    table["net_mi2"] = table["net_km2"] / KM2_PER_MI2
    for column in ("gained_km2", "lost_km2", "gained_mi2", "lost_mi2"):
        table[column] = np.nan
    return table


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def footer(ax) -> str:
    return "\n".join(texts(ax))


def legend_labels(ax) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None, "no legend"
    return [t.get_text() for t in legend.get_texts()]


def secondary_axis(ax):
    children = [c for c in ax.child_axes if type(c).__name__ == "SecondaryAxis"]
    assert len(children) == 1
    return children[0]


# ----------------------------------------------------------------- monthly bars


def test_monthly_bars_show_values_units_title_and_credit():
    table = monthly_table()
    ax = plot_monthly_gains(table)
    assert len(ax.patches) == 3
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([476.87, 459.43, 478.21], abs=0.01)
    assert [t for t in texts(ax) if t in {"477", "459", "478"}] == ["477", "459", "478"]
    assert "partial:\n1–27 Oct" in texts(ax)  # the partial month said on its bar
    assert "Partial month: October 2024: 1–27 Oct only" in footer(ax)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Aug\n2024", "Sep", "Oct 1–27"]
    title = ax.get_title()
    assert "per month" in title and "1 Aug 2024 – 27 Oct 2024" in title and "km²" in title
    assert ax.get_ylabel() == "Net change (km²)"
    assert "Period" in ax.get_xlabel()
    assert ISW_CREDIT in footer(ax)
    assert "DeepStateMap" not in footer(ax)
    # the days used are on the chart, in words rather than column names
    assert "29 Sep 2024 & 1 Oct 2024*" in footer(ax)
    assert "snapshot" not in footer(ax)


def test_monthly_inexact_bars_are_hatched_lighter_and_explained():
    ax = plot_monthly_gains(monthly_table())
    hatches = [p.get_hatch() for p in ax.patches]
    assert hatches[0] is None and hatches[1] == hatches[2] == "///"
    assert ax.patches[0].get_alpha() is None
    assert ax.patches[1].get_alpha() == pytest.approx(0.45)
    assert "Hatched bars: the source has no figure for the first or last day" in footer(ax)
    assert legend_labels(ax) == ["measured on both days", "estimated (see note)"]


def test_monthly_exact_only_has_no_hatch_note_or_legend():
    table = monthly_table().iloc[:1]
    ax = plot_monthly_gains(table)
    assert [p.get_hatch() for p in ax.patches] == [None]
    assert "Hatched" not in footer(ax)
    assert ax.get_legend() is None


def test_monthly_secondary_axis_is_in_square_miles():
    ax = plot_monthly_gains(monthly_table())
    secondary = secondary_axis(ax)
    assert secondary.get_ylabel() == "mi²"
    ax.figure.canvas.draw()
    km2_top = ax.get_ylim()[1]
    mi2_top = secondary.get_ylim()[1]
    assert mi2_top == pytest.approx(km2_top / 2.589988110336)


def test_monthly_losses_and_deepstate_credit():
    table = monthly_table(source="deepstate")
    table.loc[1, "net_km2"] = -12.4
    table["preset"] = "deepstate"
    ax = plot_monthly_gains(table)
    assert "-12" in texts(ax)
    gain, loss = ax.patches[0].get_facecolor(), ax.patches[1].get_facecolor()
    assert gain[:3] != loss[:3]
    assert "Data: DeepStateMap" in footer(ax) and "ISW" not in footer(ax)
    assert "marked occupied" in ax.get_title()


def test_monthly_source_line_override_and_given_axes():
    fig, ax = plt.subplots()
    before = plt.get_fignums()
    out = plot_monthly_gains(monthly_table(), ax=ax, source_line="Data: my own polygons")
    assert out is ax and plt.get_fignums() == before
    assert "Data: my own polygons" in footer(ax) and ISW_CREDIT not in footer(ax)


def test_monthly_partial_month_inside_a_year_change():
    table = monthly_table()
    table.loc[2, ["start_date", "end_date"]] = [pd.Timestamp("2024-12-31"),
                                                pd.Timestamp("2025-01-15")]
    ax = plot_monthly_gains(table)
    assert ax.get_xticklabels()[2].get_text() == "Jan 1–15\n2025"


def test_monthly_rejects_bad_tables():
    with pytest.raises(ValueError, match="needs the column.*net_km2"):
        plot_monthly_gains(monthly_table().drop(columns="net_km2"))
    with pytest.raises(ValueError, match="empty table"):
        plot_monthly_gains(monthly_table().iloc[:0])
    table = monthly_table()
    table.loc[1, "net_km2"] = np.nan
    with pytest.raises(ValueError, match="net_km2 is missing for 2024-09"):
        plot_monthly_gains(table)


def test_plots_change_no_global_state():
    before = dict(matplotlib.rcParams)
    plot_monthly_gains(monthly_table())
    plot_controlled_total(totals_table(), share_of=603_550)
    assert dict(matplotlib.rcParams) == before


def test_source_credit():
    assert source_credit("isw-areas+isw") == f"Data: {ISW_CREDIT}"
    assert source_credit(["isw", "deepstate"]) == f"Data: {ISW_CREDIT}; DeepStateMap"
    with pytest.raises(ValueError, match="No source to credit"):
        source_credit([])


# ----------------------------------------------------------------- totals, comparison


def totals_table() -> pd.DataFrame:
    isw = pd.DataFrame({"date": pd.to_datetime(["2024-08-25", "2024-09-29", "2024-10-26"]),
                        "source": "isw", "total_km2": [110_100.0, 110_730.0, 111_180.0]})
    days = pd.date_range("2024-08-20", "2024-10-31", freq="D")
    deepstate = pd.DataFrame({"date": days, "source": "deepstate",
                              "total_km2": 112_000.0 + 15.0 * np.arange(len(days))})
    return pd.concat([isw, deepstate], ignore_index=True)


def test_controlled_total_one_line_per_source_with_share():
    ax = plot_controlled_total(totals_table(), share_of=603_550)
    assert [line.get_label() for line in ax.get_lines()] == ["DeepStateMap",
                                                            "ISW/CTP (polygons)"]
    assert legend_labels(ax) == ["DeepStateMap", "ISW/CTP (polygons)"]
    assert len(ax.get_lines()[1].get_xdata()) == 3
    assert ax.get_ylabel() == "Area held (km²)"
    assert "20 Aug 2024 – 31 Oct 2024" in ax.get_title()
    share = secondary_axis(ax)
    assert share.get_ylabel() == "% of Ukraine (603,550 km²)"
    ax.figure.canvas.draw()
    assert share.get_ylim()[0] == pytest.approx(ax.get_ylim()[0] / 603_550 * 100)
    assert f"Data: {ISW_CREDIT}; DeepStateMap" in footer(ax)
    assert "ISW/CTP (polygons): 3 dates" in footer(ax)


def test_controlled_total_rejects_bad_share():
    with pytest.raises(ValueError, match="share_of must be an area"):
        plot_controlled_total(totals_table(), share_of=0)


def test_source_comparison_uses_common_dates_only():
    table = totals_table().rename(columns={"total_km2": "area_km2"})
    ax = plot_source_comparison(table, area_name="Ukraine")
    assert [len(line.get_xdata()) for line in ax.get_lines()] == [3, 3]
    assert legend_labels(ax) == ["DeepStateMap", "ISW/CTP (polygons)"]
    assert "Ukraine: DeepStateMap vs ISW/CTP (polygons)" in ax.get_title()
    assert "3 common dates, 25 Aug 2024 – 26 Oct 2024" in ax.get_title()
    assert secondary_axis(ax).get_ylabel() == "mi²"
    assert "deepstate − isw: mean +" in footer(ax)
    assert f"Data: DeepStateMap; {ISW_CREDIT}" in footer(ax)


def test_source_comparison_of_an_area_series_table():
    table = totals_table().rename(columns={"total_km2": "controlled_km2"})
    table["name"] = "Pokrovsk raion"
    table["area_km2"] = 4002.0  # the unit's own area, not what is compared
    ax = plot_source_comparison(table, value="controlled_km2")
    assert "in Pokrovsk raion:" in ax.get_title()
    assert min(ax.get_lines()[0].get_ydata()) > 110_000
    table.loc[0, "name"] = "Donetsk oblast"
    with pytest.raises(ValueError, match="one area at a time"):
        plot_source_comparison(table, value="controlled_km2")


def test_source_comparison_needs_common_dates():
    table = totals_table().rename(columns={"total_km2": "area_km2"})
    table.loc[table["source"] == "isw", "date"] += pd.Timedelta(days=400)
    with pytest.raises(ValueError, match="no date in common"):
        plot_source_comparison(table)
    with pytest.raises(ValueError, match="needs two sources"):
        plot_source_comparison(table[table["source"] == "isw"])


# ----------------------------------------------------------------- maps (synthetic)


def change_frames():
    gained = gpd.GeoDataFrame(
        {"period": ["2024-08", "2024-09"], "source": "isw",
         "start_date": pd.to_datetime(["2024-07-31", "2024-08-31"]),
         "end_date": pd.to_datetime(["2024-08-31", "2024-09-30"])},
        geometry=[box(37.3, 48.1, 37.4, 48.2), box(37.2, 48.1, 37.3, 48.2)], crs="EPSG:4326")
    lost = gpd.GeoDataFrame({"period": ["2024-09"], "source": "isw"},
                            geometry=[box(37.5, 48.0, 37.55, 48.05)], crs="EPSG:4326")
    oblasts = gpd.GeoDataFrame({"name": ["A", "B"]}, geometry=[box(36, 47, 37.5, 49),
                                                              box(37.5, 47, 39, 49)],
                               crs="EPSG:4326")
    towns = pd.DataFrame({"name": ["Pokrovsk", "Nowhere", "Robotyne"],
                          "latitude": [48.28014, 10.0, np.nan],
                          "longitude": [37.17706, 10.0, np.nan]})
    return gained, lost, oblasts, towns


def to_lonlat(x, y):
    return Transformer.from_crs(MAP_CRS, "EPSG:4326", always_xy=True).transform(x, y)


def test_change_map_colours_by_period_over_boundaries_and_towns():
    gained, lost, oblasts, towns = change_frames()
    held = gpd.GeoDataFrame({"date": [pd.Timestamp("2024-07-31")]},
                            geometry=[box(37.4, 48.0, 38.5, 48.6)], crs="EPSG:4326")
    ax = plot_change_map(gained, lost, boundaries=oblasts, towns=towns, held=held,
                         held_label="Held by Russia on 31 Jul 2024")
    assert legend_labels(ax) == [
        "Held by Russia on 31 Jul 2024", "Gained by Russia, August 2024",
        "Gained by Russia, September 2024", "Lost by Russia (retaken by Ukraine), "
        "September 2024", "Oblast boundary"]
    handles = ax.get_legend().legend_handles
    assert handles[1].get_facecolor() != handles[2].get_facecolor()
    assert handles[3].get_hatch() == "////"
    assert "Pokrovsk" in texts(ax) and "Nowhere" not in texts(ax)
    assert {"A", "B"} <= set(texts(ax))  # the units are named
    assert "31 Jul 2024 – 30 Sep 2024" in ax.get_title()
    # projected (metres of the equal-area projection), no degree axes
    assert ax.get_aspect() == 1.0
    assert ax.get_xticks().size == 0 and ax.get_yticks().size == 0
    assert ax.get_xlabel() == "" and ax.get_ylabel() == ""
    lon, lat = to_lonlat(np.mean(ax.get_xlim()), np.mean(ax.get_ylim()))
    assert (lon, lat) == pytest.approx((37.5, 48.0), abs=0.05)
    assert any(t.endswith(" km") for t in texts(ax))  # scale bar
    assert f"Data: {ISW_CREDIT}" in footer(ax)


def test_change_map_scale_bar_is_geodesic():
    gained, lost, oblasts, towns = change_frames()
    ax = plot_change_map(gained, lost, boundaries=oblasts, towns=towns)
    bar = [line for line in ax.get_lines() if line.get_linewidth() == 2.5][0]
    (x0, x1), (y0, _) = bar.get_xdata(), bar.get_ydata()
    km = float(next(t for t in texts(ax) if t.endswith(" km")).split()[0])
    lon0, lat0 = to_lonlat(x0, y0)
    lon1, lat1 = to_lonlat(x1, y0)
    assert Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)[2] == pytest.approx(
        km * 1000, rel=0.005)


def test_change_map_zooms_to_an_extent_and_accepts_other_crs():
    gained, lost, oblasts, towns = change_frames()
    ax = plot_change_map(gained.to_crs("EPSG:3857"), None, boundaries=oblasts,
                         extent=(37.1, 48.0, 37.5, 48.3), towns=towns, title="Zoom")
    minx, miny, maxx, maxy = Transformer.from_crs(
        "EPSG:4326", MAP_CRS, always_xy=True).transform_bounds(37.1, 48.0, 37.5, 48.3,
                                                              densify_pts=21)
    assert ax.get_xlim() == pytest.approx((minx, maxx))
    assert ax.get_ylim() == pytest.approx((miny, maxy))
    assert ax.get_title() == "Zoom"
    assert legend_labels(ax)[:2] == ["Gained by Russia, August 2024",
                                     "Gained by Russia, September 2024"]


def label_boxes(ax):
    """Renderer extents of the labels drawn (towns, units), after a real draw."""
    fig = ax.get_figure()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    # the text and the white box behind it, as drawn
    return {t.get_text(): label_extent(t, renderer) for t in ax.texts
            if t.get_gid() == LABEL_GID and t.get_visible()}


def assert_no_overlap(boxes):
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not boxes[a].overlaps(boxes[b]), f"labels {a!r} and {b!r} overlap"


def test_crowded_town_labels_do_not_overlap():
    # Ten towns 1-2 km apart: labels drawn at their points would all collide.
    gained, lost, oblasts, _ = change_frames()
    towns = pd.DataFrame({"name": [f"Town number {i}" for i in range(10)],
                          "latitude": 48.15 + 0.01 * np.arange(10) % 0.05,
                          "longitude": 37.3 + 0.012 * np.arange(10),
                          "geonames_population": np.arange(10, 0, -1) * 1000})
    ax = plot_change_map(gained, lost, boundaries=oblasts, towns=towns,
                         extent=(37.0, 47.9, 37.7, 48.4))
    boxes = label_boxes(ax)
    assert_no_overlap(boxes)
    assert len(boxes) >= 6  # most are kept, moved apart
    assert "Town number 0" in boxes  # the largest town keeps its label
    dropped = ax._frontline_dropped
    assert len(boxes) + len(dropped) == 12  # ten towns and two units, each drawn or dropped


@given(gained=st.floats(0, 5000), lost=st.floats(0, 5000),
       decimals=st.integers(0, 2))
def test_round_adding_up_adds_up_and_stays_close(gained, lost, decimals):
    net = gained - lost
    g, l_, n = round_adding_up(gained, lost, net, decimals=decimals)
    unit = 10.0 ** -decimals
    assert round(g - l_, decimals) == n
    for shown, exact in ((g, gained), (l_, lost), (n, net)):
        assert abs(shown - exact) <= unit * (1 + 1e-9) + 1e-9


def test_change_map_rejects_missing_period_crs_or_source():
    gained, lost, _, _ = change_frames()
    with pytest.raises(ValueError, match="gained has no 'month' column"):
        plot_change_map(gained, lost, by="month")
    with pytest.raises(ValueError, match="lost has no CRS"):
        plot_change_map(gained, lost.set_crs(None, allow_override=True))
    with pytest.raises(ValueError, match="pass source='isw' or 'deepstate'"):
        plot_change_map(gained.drop(columns="source"), lost.drop(columns="source"))
    ax = plot_change_map(gained.drop(columns="source"), None, source="deepstate")
    assert "Data: DeepStateMap" in footer(ax)


def test_area_closeup_rings_are_geodesic_and_dates_coloured():
    center = (37.17706, 48.28014)
    held = gpd.GeoDataFrame(
        {"date": pd.to_datetime(["2024-08-01", "2024-10-01"]), "source": "deepstate"},
        geometry=[box(37.35, 48.0, 37.6, 48.3), box(37.25, 48.0, 37.6, 48.3)],
        crs="EPSG:4326")
    ax = plot_area_closeup(held, center=center, rings_km=(20, 10), towns=change_frames()[3])
    labels = legend_labels(ax)
    assert labels[:2] == ["Held by Russia on 1 Aug 2024", "Held by Russia on 1 Oct 2024"]
    assert labels[2] == "Distance from the town centre: 10, 20 km"
    geod = Geod(ellps="WGS84")
    rings = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert len(rings) == 2
    for line, km in zip(rings, (10, 20), strict=True):
        x, y = to_lonlat(np.asarray(line.get_xdata()), np.asarray(line.get_ydata()))
        distances = geod.inv(np.full(len(x), center[0]), np.full(len(y), center[1]), x, y)[2]
        assert distances == pytest.approx(km * 1000, abs=1.0)
    assert {"10 km", "20 km", "Pokrovsk"} <= set(texts(ax))
    assert "1 Aug 2024 – 1 Oct 2024" in ax.get_title()
    assert "Dates of the maps: 1 Aug 2024, 1 Oct 2024" in footer(ax)
    assert "Data: DeepStateMap" in footer(ax)


# ----------------------------------------------------------------- maps (real data)


def _deepstate(data_dir, *map_dates):
    """DeepState polygons for the given map dates (files are named a day later)."""
    frames = []
    for date in map_dates:
        name = f"deepstatemap_data_{pd.Timestamp(date) + pd.Timedelta(days=1):%Y%m%d}.geojson"
        path = data_dir / "deepstate" / "daily" / name
        assert path.exists(), f"{path} is missing from FRONTLINE_DATA_DIR"
        frames.append(frontline.io.read_deepstate(path))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")


@pytest.mark.realdata
def test_pokrovsk_closeup_on_real_deepstate(data_dir):
    held = _deepstate(data_dir, "2024-08-01", "2024-09-01", "2024-10-01", "2024-11-01")
    ax = plot_pokrovsk(held, data_dir=data_dir)
    labels = legend_labels(ax)
    assert labels[:4] == [f"Held by Russia on 1 {m} 2024" for m in ("Aug", "Sep", "Oct", "Nov")]
    assert any("Pokrovs" in label for label in labels[4:])  # the raion outline
    # Pokrovsk and Myrnohrad are 5 km apart: both labelled, neither over the other
    boxes = label_boxes(ax)
    assert {"Pokrovsk", "Myrnohrad", "Selydove", "Kurakhove", "Toretsk"} <= set(boxes)
    assert_no_overlap(boxes)
    assert ax.get_title().startswith("Pokrovsk axis: area held by snapshot date")
    assert "1 Aug 2024 – 1 Nov 2024" in ax.get_title()
    assert "Data: DeepStateMap" in footer(ax)


@pytest.mark.realdata
def test_national_change_map_on_real_deepstate(data_dir):
    from frontline.boundaries import load_units

    held = _deepstate(data_dir, "2024-08-31", "2024-09-30", "2024-10-31")
    history = frontline.History.from_canonical(held)
    parts = []
    for start, end in (("2024-08-31", "2024-09-30"), ("2024-09-30", "2024-10-31")):
        polygons = frontline.change(history, start, end, source="deepstate").polygons()
        parts.append(polygons.assign(period=f"{pd.Timestamp(end):%Y-%m}", source="deepstate"))
    polygons = pd.concat(parts, ignore_index=True)
    gained = polygons[polygons["kind"] == "gained"]
    lost = polygons[polygons["kind"] == "lost"]
    assert gained["area_km2"].sum() > 500  # DeepState: several hundred km² a month
    oblasts = load_units("oblast", data_dir=data_dir)
    ax = plot_change_map(gained, lost, boundaries=oblasts,
                         towns=frontline.boundaries.load_towns(data_dir=data_dir))
    assert legend_labels(ax)[:2] == ["Gained by Russia, September 2024",
                                     "Gained by Russia, October 2024"]
    west, _ = to_lonlat(ax.get_xlim()[0], np.mean(ax.get_ylim()))
    east, _ = to_lonlat(ax.get_xlim()[1], np.mean(ax.get_ylim()))
    assert west < 23 and east > 40  # all of Ukraine
    boxes = label_boxes(ax)
    assert_no_overlap(boxes)
    assert "Kyiv Oblast" in boxes and "Lviv Oblast" in boxes
    towns = set(frontline.boundaries.load_towns(data_dir=data_dir)["name"])
    assert len(towns & set(boxes)) >= 3  # crowded Donbas: the rest are left out, listed
    assert set(zoom_dropped := ax._frontline_dropped) and not set(zoom_dropped) & set(boxes)
    # a Donbas close-up: Chasiv Yar and Bakhmut (10 km apart) both labelled, apart
    fig, zoom = plt.subplots(figsize=(10, 8), layout="constrained")
    plot_change_map(gained, lost, boundaries=oblasts, ax=zoom, extent=(36.5, 47.6, 38.9, 49.3),
                    towns=frontline.boundaries.load_towns(data_dir=data_dir))
    boxes = label_boxes(zoom)
    assert_no_overlap(boxes)
    assert {"Chasiv Yar", "Bakhmut", "Pokrovsk", "Myrnohrad", "Donetsk Oblast"} <= set(boxes)
    assert "31 Aug 2024 – 31 Oct 2024" in ax.get_title()
    assert "Data: DeepStateMap" in footer(ax)
