"""frontline.explore: the interactive map's layers, tooltips and slider (ipyleaflet).

Built on tiny polygons made here; the widget is rendered in a real JupyterLab by
tests/test_jupyterlab.py (notebook 05).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

import frontline
from frontline.geodesy import geodesic_area_km2


def toy_history():
    """DeepState-like maps on three days: the held box grows east, and a corner is lost."""
    days = {"2025-01-31": box(37.0, 48.0, 37.2, 48.2),
            "2025-02-28": box(37.0, 48.0, 37.3, 48.2),
            "2025-03-31": box(37.0, 48.05, 37.4, 48.2)}
    frame = gpd.GeoDataFrame({"date": pd.to_datetime(list(days)), "layer": "occupied"},
                             geometry=list(days.values()), crs="EPSG:4326")
    return frontline.History.from_frame(frame, source="deepstate"), days


def test_layers_of_a_date_with_areas_dates_and_tooltips():
    history, days = toy_history()
    frame = frontline.viz.explore_layers(history, "2025-03-31", previous="2025-02-28",
                                     source="deepstate")
    assert list(frame["kind"]) == ["held", "gained", "lost"]
    held = frame.iloc[0]
    expected = float(geodesic_area_km2([days["2025-03-31"]])[0])
    assert held["area_km2"] == pytest.approx(expected, rel=1e-9)
    gained = float(geodesic_area_km2([box(37.3, 48.05, 37.4, 48.2)])[0])
    lost = float(geodesic_area_km2([box(37.0, 48.0, 37.3, 48.05)])[0])
    assert frame.iloc[1]["area_km2"] == pytest.approx(gained, rel=1e-6)
    assert frame.iloc[2]["area_km2"] == pytest.approx(lost, rel=1e-6)
    assert frame["area_mi2"].iloc[0] == pytest.approx(expected / 2.589988110336, rel=1e-9)
    assert set(frame["start_snapshot"].iloc[1:]) == {"2025-02-28"}
    assert set(frame["end_snapshot"]) == {"2025-03-31"}
    mi2 = expected / 2.589988110336
    assert held["tooltip"] == (f"Held by Russia on 31 Mar 2025 (DeepStateMap map of "
                               f"31 Mar 2025): {expected:,.0f} km² ({mi2:,.0f} mi²)")
    assert frame.iloc[1]["tooltip"].startswith(
        f"Gained by Russia, 28 Feb 2025 → 31 Mar 2025: this area {gained:,.1f} km²")


def test_explore_widget_has_a_slider_map_and_switches_date():
    pytest.importorskip("ipyleaflet")
    history, _ = toy_history()
    widget = frontline.explore(history, ["2025-01-31", "2025-02-28", "2025-03-31"])
    slider = widget.slider
    assert [label for label, _ in slider.options] == ["31 Jan 2025", "28 Feb 2025",
                                                      "31 Mar 2025"]
    assert slider.value == pd.Timestamp("2025-03-31")
    geojson = [layer for layer in widget.map.layers if type(layer).__name__ == "GeoJSON"]
    assert [len(layer.data["features"]) for layer in geojson] == [1, 1, 1]
    summary = widget.children[1].value
    assert "31 Mar 2025" in summary and "since 28 Feb 2025: gained" in summary
    slider.value = pd.Timestamp("2025-01-31")  # the first date: held only, no change
    assert [len(layer.data["features"]) for layer in geojson] == [1, 0, 0]
    assert "since" not in widget.children[1].value
    props = geojson[0].data["features"][0]["properties"]
    assert props["start_snapshot"] == "2025-01-31" and "km²" in props["tooltip"]
    assert "DeepStateMap" in widget.children[-1].value  # the credit


def test_explore_draws_boundaries_for_context():
    pytest.importorskip("ipyleaflet")
    history, _ = toy_history()
    units = gpd.GeoDataFrame({"name_en": ["A", "B"]},
                             geometry=[box(36.5, 47.5, 37.25, 48.5), box(37.25, 47.5, 38, 48.5)],
                             crs="EPSG:4326")
    widget = frontline.explore(history, ["2025-02-28", "2025-03-31"], boundaries=units)
    outlines = [layer for layer in widget.map.layers if getattr(layer, "name", "") == "Boundaries"]
    assert len(outlines) == 1
    features = outlines[0].data["features"]
    assert [f["properties"]["name"] for f in features] == ["A", "B"]
    assert {f["geometry"]["type"] for f in features} == {"LineString"}


def test_explore_needs_polygons():
    history, _ = toy_history()
    with pytest.raises(frontline.FrontlineError, match="explore needs at least one date"):
        frontline.explore(history, [])


def test_notebook_data_dir_is_taken_from_the_repository(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    (repo / "pyproject.toml").write_text("[project]\n")
    data = tmp_path / "shared" / "data"
    data.mkdir(parents=True)
    monkeypatch.chdir(repo / "notebooks")  # where a kernel starts
    monkeypatch.setenv("FRONTLINE_DATA_DIR", "../shared/data")
    assert frontline.notebook_data_dir() == data.resolve()
    import os

    assert os.environ["FRONTLINE_DATA_DIR"] == str(data.resolve())
    monkeypatch.setenv("FRONTLINE_DATA_DIR", "../nowhere")
    with pytest.raises(frontline.FrontlineError, match="FRONTLINE_DATA_DIR=../nowhere "
                       "resolves to .*nowhere, which does not exist"):
        frontline.notebook_data_dir()
