"""Report figures draw what they are given (values, error bars, outlines, classes)."""

from __future__ import annotations

import builders
import numpy as np
import pytest
import xarray as xr
from shapely.geometry import box

from urbansat.plot.indicators import (
    plot_boundary_map,
    plot_landcover_pair,
    plot_period_change,
    plot_sink_bars,
)


@pytest.fixture(scope="module")
def table():
    return builders.full_table()


def test_sink_bars_heights_are_the_net_sinks(table):
    ax = plot_sink_bars(table, "C1", "2020")
    heights = [p.get_height() for p in ax.patches]
    want = table[
        (table.boundary_id == "C1")
        & (table.indicator == "total_sink.net_sink")
        & (table.period == "2020")
    ]
    assert heights[0] == pytest.approx(float(want[want.target == "forest"].value.iloc[0]))
    assert heights[-1] == pytest.approx(float(want[want.target == "total"].value.iloc[0]))


def test_period_change_has_one_panel_per_series(table):
    ax = plot_period_change(table, "R1")
    labels = [a.get_ylabel() for a in ax.figure.axes]
    assert any("CO2 emission" in s for s in labels) and any("N2O" in s for s in labels)
    assert any("net sink" in s for s in labels)
    assert plot_period_change(table.assign(status="no_data", value=np.nan), "R1") is None


def test_boundary_map_draws_outline_and_soundings():
    import pandas as pd

    snd = pd.DataFrame(
        {"longitude": [0.5, 1.5, 5.0], "latitude": [0.5, 1.5, 5.0], "value": [401.0, 402.0, 0.0]}
    )
    ax = plot_boundary_map(box(0, 0, 2, 2), snd, background=400.0, units="ppm", gas="co2")
    offsets = ax.collections[0].get_offsets()
    assert len(offsets) == 2  # the far sounding is outside the map window
    np.testing.assert_allclose(sorted(ax.collections[0].get_array()), [1.0, 2.0])


def test_landcover_pair_lists_every_class():
    a = xr.DataArray(
        np.array([[10, 10], [30, 80]], dtype="uint8"),
        dims=("y", "x"),
        coords={"y": [1.5, 0.5], "x": [0.5, 1.5]},
        attrs={
            "legend": {
                10: "Tree cover",
                30: "Grassland",
                80: "Permanent water bodies",
                50: "Built-up",
            },
            "year": 2020,
        },
    )
    b = a.copy(data=np.array([[10, 50], [30, 80]], dtype="uint8"))
    b.attrs = {**a.attrs, "year": 2021}
    axes = plot_landcover_pair(a, b, box(0, 0, 2, 2))
    texts = [t.get_text() for t in axes[1].get_legend().get_texts()]
    assert texts == ["10 Tree cover", "30 Grassland", "50 Built-up", "80 Permanent water bodies"]
    assert axes[0].get_title() == "land cover 2020"
