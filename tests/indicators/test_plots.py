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


def test_maps_have_context_outlines_and_geographic_axis_names():
    """Issue 19 item 3: Natural Earth outlines under the maps, axes named from the CRS."""
    import rioxarray  # noqa: F401  (registers .rio)

    from urbansat.plot.context import axis_labels, draw_context

    berlin = box(13.0, 52.3, 13.8, 52.7)  # the German-Polish border is 1 degree east
    ax = plot_boundary_map(berlin, None, pad_deg=1.5)
    assert len(ax.lines) > 1  # the boundary plus country outlines
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("longitude [°E]", "latitude [°N]")
    assert ax.get_xlim() == (13.0 - 1.5, 13.8 + 1.5)  # the context does not move the window
    bare = plot_boundary_map(berlin, None, pad_deg=1.5, context=False)
    assert len(bare.lines) == 1

    import matplotlib.pyplot as plt

    _, sea = plt.subplots()
    sea.set_xlim(-30, -29)
    sea.set_ylim(0, 1)
    assert draw_context(sea, (-30.0, 0.0, -29.0, 1.0)) == 0  # mid-Atlantic: nothing to draw

    # a UTM raster near Berlin: easting/northing with the CRS name, outlines reprojected
    x = 390_000.0 + 1000.0 * np.arange(40)
    y = 5_830_000.0 - 1000.0 * np.arange(40)
    a = xr.DataArray(
        np.full((40, 40), 10, dtype="uint8"),
        dims=("y", "x"),
        coords={"y": y, "x": x},
        attrs={"legend": {10: "Tree cover"}, "year": 2020},
    ).rio.write_crs("EPSG:32633")
    axes = plot_landcover_pair(a, a, box(400_000, 5_800_000, 410_000, 5_810_000))
    assert axes[0].get_xlabel() == "easting [m], WGS 84 / UTM zone 33N"
    assert axes[0].get_ylabel() == "northing [m]"
    assert axis_labels("EPSG:4326") == ("longitude [°E]", "latitude [°N]")
    _, utm = plt.subplots()  # 14.3-15.3 deg E at 52.3 deg N: across the Oder border
    assert draw_context(utm, (450_000.0, 5_780_000.0, 520_000.0, 5_820_000.0), "EPSG:32633") > 0
    xs = np.concatenate([line.get_xdata() for line in utm.lines])
    assert xs.min() >= 450_000 and xs.max() <= 520_000  # reprojected and clipped, not degrees
    plt.close("all")


def test_raster_images_sit_on_their_pixel_edges_and_masked_classes_draw_blank():
    """Images were drawn between the outer pixel centres, half a pixel inside their place
    (a single pixel had no size), and a masked (NaN) land cover crashed in np.vectorize."""
    import shapely

    from urbansat.errors import SchemaError
    from urbansat.plot.indicators import plot_landcover_pair
    from urbansat.plot.sinks import plot_carbon_change
    from urbansat.testing.landcover import make_landcover

    lc = make_landcover(np.array([[10, 30], [30, 10]], np.uint8), year=2020)
    box = shapely.box(*lc.rio.bounds())
    left, bottom, right, top = lc.rio.bounds()
    axes = plot_landcover_pair(lc.where(lc != 30), lc, box, context=False)
    np.testing.assert_allclose(
        axes[0].images[0].get_extent(), (left, right, bottom, top), rtol=0, atol=1e-9
    )
    assert np.ma.count_masked(axes[0].images[0].get_array()) == 2  # the two masked pixels
    one = lc.isel(y=[0], x=[0])
    ax = plot_carbon_change(one.astype(float), box)
    np.testing.assert_allclose(
        ax.images[0].get_extent(),
        (left, (left + right) / 2, (bottom + top) / 2, top),
        atol=1e-9,
    )
    with pytest.raises(SchemaError, match="the raster to plot is empty"):
        plot_carbon_change(lc.isel(y=[], x=[]).astype(float), box)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_figures_refuse_an_empty_table_or_an_unknown_boundary_by_name(table):
    import pandas as pd

    from urbansat.errors import EmptySelectionError, SchemaError

    for plot, args in ((plot_sink_bars, ("C1", "2020")), (plot_period_change, ("R1",))):
        with pytest.raises(SchemaError, match=r"lacks columns \['boundary_id'"):
            plot(pd.DataFrame(), *args)
        with pytest.raises(EmptySelectionError, match=r"no row with boundary_id 'nowhere'.*'C1'"):
            plot(table, "nowhere", *args[1:])
    with pytest.raises(EmptySelectionError, match=r"no row with period '1999'.*'2020'"):
        plot_sink_bars(table, "C1", "1999")
