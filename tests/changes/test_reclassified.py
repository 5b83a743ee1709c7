"""What moved: gained, lost and reclassified, overall and per layer (issue 8, item 4)."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

import frontline
from frontline.changes import LAYER_CHANGE_LAYERS, MONTHLY_COLUMNS, change, monthly_gains
from frontline.geodesy import geodesic_area_km2
from frontline.history import History


def _frame(rows):
    return gpd.GeoDataFrame(
        {"date": pd.to_datetime([r[0] for r in rows]), "layer": [r[1] for r in rows]},
        geometry=[r[2] for r in rows], crs="EPSG:4326")


def _km2(geometry) -> float:
    return float(geodesic_area_km2(geometry))


def test_a_move_into_infiltration_is_reclassified_not_lost():
    # start: control [37.0, 37.1], advances [37.1, 37.2]; end: the eastern half of the
    # advances became infiltration, and new advances appeared at [37.3, 37.4] from nothing.
    control = box(37.0, 48.0, 37.1, 48.1)
    history = History.from_frame(_frame([
        ("2026-01-01", "control", control),
        ("2026-01-01", "advances", box(37.1, 48.0, 37.2, 48.1)),
        ("2026-01-01", "claimed", box(36.0, 48.0, 36.01, 48.01)),
        ("2026-01-02", "control", control),
        ("2026-01-02", "advances", shapely.union(box(37.1, 48.0, 37.15, 48.1),
                                                 box(37.3, 48.0, 37.4, 48.1))),
        ("2026-01-02", "claimed", box(36.0, 48.0, 36.01, 48.01)),
        ("2026-01-02", "infiltration", box(37.15, 48.0, 37.2, 48.1)),
    ]))
    result = change(history, "2026-01-01", "2026-01-02", source="user", preset="afp")
    half, new = _km2(box(37.15, 48.0, 37.2, 48.1)), _km2(box(37.3, 48.0, 37.4, 48.1))
    assert result.gained_km2 == pytest.approx(new, abs=1e-6)
    assert result.lost_km2 == pytest.approx(half, abs=1e-6)  # gross: left the counted layers
    assert result.reclassified_out_km2 == pytest.approx(half, abs=1e-6)
    assert result.reclassified_in_km2 == pytest.approx(0.0, abs=1e-9)
    assert result.lost_outright_km2 == pytest.approx(0.0, abs=1e-6)  # nothing was lost
    assert result.gained_outright_km2 == pytest.approx(new, abs=1e-6)
    assert result.reclassified_km2 == pytest.approx(-half, abs=1e-6)
    assert (result.gained_outright_km2 - result.lost_outright_km2 + result.reclassified_km2
            == pytest.approx(result.net_km2, abs=1e-6))
    assert result.uncounted_layers == ((), ("infiltration",))

    polygons = result.polygons()
    by_class = polygons.groupby(["class", "direction"])["area_km2"].sum()
    assert by_class[("gained", "in")] == pytest.approx(new, abs=1e-6)
    assert by_class[("reclassified", "out")] == pytest.approx(half, abs=1e-6)
    assert ("lost", "out") not in by_class.index  # no outright loss drawn
    assert polygons.groupby("kind")["area_km2"].sum()["lost"] == pytest.approx(half, abs=1e-6)

    # the same area counted (afp+infiltration): nothing moved out, the total grew by `new`
    counted = change(history, "2026-01-01", "2026-01-02", source="user",
                     preset="afp+infiltration")
    assert counted.lost_km2 == pytest.approx(0.0, abs=1e-6)
    assert counted.net_km2 == pytest.approx(new, abs=1e-6)

    layers = result.by_layer().set_index("layer")
    assert layers.loc["infiltration", "start_km2"] == 0.0  # not drawn: counted empty
    assert layers.loc["infiltration", "entered_km2"] == pytest.approx(half, abs=1e-6)
    assert not layers.loc["infiltration", "counted"] and layers.loc["advances", "counted"]
    assert layers.loc["advances", "change_km2"] == pytest.approx(new - half, abs=1e-6)
    np.testing.assert_allclose(layers["entered_km2"] - layers["left_km2"],
                               layers["change_km2"], atol=1e-6)
    row = result.to_frame().iloc[0]
    assert row["infiltration_change_km2"] == pytest.approx(half, abs=1e-6)
    assert row["control_change_km2"] == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(row["counteroffensives_change_km2"])  # no such layer at either end


def test_monthly_rows_carry_the_split_columns():
    history = History.from_frame(_frame([
        ("2026-01-31", "control", box(37.0, 48.0, 37.1, 48.1)),
        ("2026-02-28", "control", box(37.0, 48.0, 37.2, 48.1)),
    ]))
    row = monthly_gains(history, start="2026-02", end="2026-02", source="user",
                        preset="control").iloc[0]
    assert list(row.index) == MONTHLY_COLUMNS
    assert row["reclassified_km2"] == 0.0 and row["gained_outright_km2"] == row["gained_km2"]
    assert row["control_change_km2"] == pytest.approx(row["net_km2"], abs=1e-9)
    assert {f"{layer}_change_km2" for layer in LAYER_CHANGE_LAYERS} <= set(row.index)


@pytest.fixture(scope="module")
def isw(data_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", frontline.CopiesDisagreeWarning)
        return frontline.load(data_dir, sources=["isw", "isw-areas"])


def test_april_2026_from_the_zips_split_three_ways_and_per_layer(isw):
    """2026-04-12 → 04-27 (ISW's zips): checked against plain shapely overlays of the
    layers (no tiles), then pinned."""
    start, end = pd.Timestamp("2026-04-12"), pd.Timestamp("2026-04-27")
    result = change(isw, start, end, source="isw")  # preset afp
    counted, uncounted = ("control", "advances", "claimed"), ("infiltration",
                                                             "counteroffensives")
    layer = {(d, name): isw.geometry("isw", d, name) for d in (start, end)
             for name in counted + uncounted}
    c0, c1 = (shapely.union_all([layer[(d, n)] for n in counted]) for d in (start, end))
    u0, u1 = (shapely.union_all([layer[(d, n)] for n in uncounted]) for d in (start, end))
    entered, left = shapely.difference(c1, c0), shapely.difference(c0, c1)
    assert result.gained_km2 == pytest.approx(_km2(entered), abs=0.01)
    assert result.lost_km2 == pytest.approx(_km2(left), abs=0.01)
    assert result.reclassified_in_km2 == pytest.approx(
        _km2(shapely.intersection(entered, u0)), abs=0.01)
    assert result.reclassified_out_km2 == pytest.approx(
        _km2(shapely.intersection(left, u1)), abs=0.01)
    # the figures (km²) once checked: most of the fortnight's movement is reclassification
    assert result.net_km2 == pytest.approx(230.85, abs=0.05)
    assert result.gained_km2 == pytest.approx(323.92, abs=0.05)
    assert result.lost_km2 == pytest.approx(93.07, abs=0.05)
    assert result.reclassified_in_km2 == pytest.approx(162.05, abs=0.05)
    assert result.reclassified_out_km2 == pytest.approx(85.67, abs=0.05)
    assert result.gained_outright_km2 == pytest.approx(161.87, abs=0.05)
    assert result.lost_outright_km2 == pytest.approx(7.40, abs=0.05)
    assert (result.gained_outright_km2 - result.lost_outright_km2 + result.reclassified_km2
            == pytest.approx(result.net_km2, abs=0.01))

    table = result.by_layer().set_index("layer")
    assert list(table.index) == ["control", "advances", "claimed", "infiltration",
                                 "counteroffensives"]
    for name in counted + uncounted:
        a, b = layer[(start, name)], layer[(end, name)]
        assert table.loc[name, "entered_km2"] == pytest.approx(
            _km2(shapely.difference(b, a)), abs=0.01)
        assert table.loc[name, "left_km2"] == pytest.approx(
            _km2(shapely.difference(a, b)), abs=0.01)
        assert table.loc[name, "change_km2"] == pytest.approx(_km2(b) - _km2(a), abs=0.01)
    expected = {"control": 3.11, "advances": -35.83, "claimed": 263.57,
                "infiltration": 64.62, "counteroffensives": -140.94}
    for name, value in expected.items():
        assert table.loc[name, "change_km2"] == pytest.approx(value, abs=0.05)
    # the counted layers are disjoint, so their changes add up to the net
    assert table.loc[list(counted), "change_km2"].sum() == pytest.approx(result.net_km2,
                                                                         abs=0.05)


def test_a_table_only_row_still_says_which_layers_traded_area(isw):
    row = change(isw, "2025-12-31", "2026-01-24", source="isw-areas").to_frame().iloc[0]
    assert np.isnan(row["gained_km2"]) and np.isnan(row["reclassified_km2"])  # no polygons
    assert row["control_change_km2"] == pytest.approx(0.0, abs=0.005)
    assert (row["control_change_km2"] + row["advances_change_km2"]
            + row["claimed_change_km2"] == pytest.approx(row["net_km2"], abs=0.01))
    assert row["infiltration_change_km2"] == pytest.approx(22.03, abs=0.01)


def test_a_change_knows_the_folder_it_was_measured_from(isw, data_dir):
    """Where a breakdown finds the boundaries (issue 12): the history's own folder."""
    assert change(isw, "2025-12-31", "2026-01-24", source="isw-areas").data_dir == data_dir
    frame = _frame([("2026-01-01", "control", box(37.0, 48.0, 37.1, 48.1))])
    assert change(History.from_frame(frame), "2026-01-01", "2026-01-01", source="user",
                  preset="control").data_dir is None


def test_cli_layer_changes(data_dir):
    import io

    from click.testing import CliRunner

    from frontline.cli.main import cli

    result = CliRunner().invoke(cli, ["-q", "--data-dir", str(data_dir), "layer-changes",
                                      "--from", "2025-12-31", "--to", "2026-01-24",
                                      "--format", "csv"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout)).set_index("layer")
    assert list(table.index) == ["control", "advances", "claimed", "infiltration"]
    assert table.loc["infiltration", "change_km2"] == pytest.approx(22.03, abs=0.01)
    assert not table.loc["infiltration", "counted"] and table.loc["claimed", "counted"]
    assert table["entered_km2"].isna().all()  # area table: no polygons
