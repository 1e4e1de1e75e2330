"""Factor tables, legends and land-cover mosaics that gave wrong results or raw errors.

Probed 2026-12-07 (repros 4, 9, 10, 14); each test fails on the code before its fix, and
every test checks that the caller's frames and files are left as they were.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from affine import Affine

import urbansat
from urbansat.errors import FactorError, InputFileError, LegendError
from urbansat.ingest.factors import read_factor_table, read_legend
from urbansat.sinks.factors import as_factor_table, factor_table_from_frame
from urbansat.sinks.legends import validate_legend
from urbansat.testing.landcover import write_geotiff

#: the four InVEST pools of the hand tables [t C ha-1]
INVEST = pd.DataFrame(
    {
        "lucode": [10, 30],
        "c_above": [100.0, 10.0],
        "c_below": [20.0, 5.0],
        "c_soil": [50.0, 40.0],
        "c_dead": [5.0, 0.0],
    }
)


def _forest_2x2() -> xr.DataArray:
    """2 x 2 pixels of 10 m (0.04 ha), all class 10, in UTM 50N."""
    import rioxarray  # noqa: F401  # registers .rio

    da = xr.DataArray(
        np.full((2, 2), 10, dtype="uint8"),
        dims=("y", "x"),
        coords={"y": [2499995.0, 2499985.0], "x": [500005.0, 500015.0]},
    )
    return da.rio.write_crs("EPSG:32650").rio.write_transform()


def _stock_start(factors: object) -> float:
    da = _forest_2x2()
    ds = urbansat.account_sinks(
        da,
        da.copy(),
        None,
        factors=factors,
        method="stock_difference",
        legend={10: "forest", 30: "grassland"},
        years=5,
        pools=["c_above"],
    )
    return float(ds.stock_start.sel(category="total")[0])


# --- repro 4: one factor given twice, once with its category and once without -------------


@pytest.mark.parametrize("order", [[0, 1], [1, 0]])
def test_a_lucode_factor_given_with_and_without_its_category_is_refused(order):
    rows = pd.DataFrame(
        {
            "lucode": [10, 10],
            "category": ["forest", None],
            "parameter": ["c_above", "c_above"],
            "value": [100.0, 300.0],
        }
    ).iloc[order]
    before = rows.copy()
    # the last row won: 0.04 ha x 300 = 12 t C or x 100 = 4 t C depending on the row order
    with pytest.raises(FactorError, match=r"defines the same factor twice: lucode 10 c_above"):
        factor_table_from_frame(rows)
    with pytest.raises(FactorError, match=r"same factor twice: lucode 10 c_above"):
        _stock_start(rows)
    pd.testing.assert_frame_equal(rows, before)


def test_a_lucode_row_next_to_a_category_row_is_still_one_factor_each():
    rows = pd.DataFrame(
        {
            "lucode": [10, None],
            "category": [None, "forest"],
            "parameter": ["c_above", "c_above"],
            "value": [100.0, 300.0],
        }
    )
    assert _stock_start(rows) == pytest.approx(0.04 * 100.0, rel=1e-12)  # the code wins


# --- repro 9: blank and misspelt names together gave a raw TypeError from sorted() ---------


def test_a_legend_csv_with_a_blank_and_a_misspelt_category_names_both(tmp_path):
    p = tmp_path / "leg.csv"
    p.write_text("code,name,category\n10,Tree,forrest\n20,Shrub,\n30,Grass,grassland\n")
    raw = p.read_bytes()
    lg = read_legend(p)
    before = lg.copy()
    with pytest.raises(
        LegendError, match=r"Legend 'leg' uses unknown categories \['forrest', <blank in row 1>\]"
    ):
        validate_legend(lg)
    pd.testing.assert_frame_equal(lg, before)
    assert p.read_bytes() == raw


def test_a_factor_table_with_a_blank_and_a_misspelt_parameter_names_both(tmp_path):
    rows = pd.DataFrame(
        {"category": ["forest", "forest"], "parameter": ["c_abvoe", np.nan], "value": [1.0, 2.0]}
    )
    before = rows.copy()
    with pytest.raises(
        FactorError, match=r"unknown parameter\(s\) \['c_abvoe', <blank in row 1>\]"
    ):
        factor_table_from_frame(rows)
    pd.testing.assert_frame_equal(rows, before)
    # the same from a CSV file, which stays as it was
    p = tmp_path / "factors.csv"
    p.write_text("category,parameter,value\nforest,c_abvoe,1\nforest,,2\n")
    raw = p.read_bytes()
    with pytest.raises(FactorError, match=r"\['c_abvoe', <blank in row 1>\]"):
        factor_table_from_frame(read_factor_table(p))
    assert p.read_bytes() == raw


def test_a_factor_row_without_category_and_lucode_is_refused():
    # such a row matched no class and was dropped without a word
    rows = pd.DataFrame(
        {
            "category": ["forest", " "],
            "lucode": [None, None],
            "parameter": ["c_above", "c_below"],
            "value": [100.0, 20.0],
        }
    )
    before = rows.copy()
    with pytest.raises(FactorError, match=r"row\(s\) \[1\] have neither a 'category' nor"):
        factor_table_from_frame(rows)
    pd.testing.assert_frame_equal(rows, before)


# --- repro 10: the gaps of a mosaic without nodata were class 0 -----------------------------


def _two_diagonal_tiles(tmp_path, first: np.ndarray | None = None) -> list:
    a = np.full((4, 4), 10, dtype="uint8")
    pa, pb = tmp_path / "tA.tif", tmp_path / "tB.tif"
    write_geotiff(
        pa,
        a if first is None else first,
        crs="EPSG:32650",
        transform=Affine(10, 0, 5e5, 0, -10, 2.5e6),
    )
    write_geotiff(pb, a, crs="EPSG:32650", transform=Affine(10, 0, 500040, 0, -10, 2499960))
    return [pa, pb]


def test_the_gaps_of_a_mosaic_of_tiles_without_nodata_are_nodata(tmp_path):
    paths = _two_diagonal_tiles(tmp_path)
    raw = [p.read_bytes() for p in paths]
    legend = {0: "water", 10: "forest"}
    lc = urbansat.open_landcover(paths, legend=legend)
    assert lc.attrs["nodata"] == 255 and lc.rio.nodata == 255  # uint8 max, not a class
    v = lc.values
    assert (v[:4, 4:] == 255).all() and (v[4:, :4] == 255).all()
    assert (v[:4, :4] == 10).all() and (v[4:, 4:] == 10).all()
    factors = INVEST.assign(lucode=[0, 10]).assign(c_above=[0.0, 100.0])
    before = factors.copy()
    ds = urbansat.account_sinks(
        lc, lc.copy(), None, factors=factors, method="stock_difference", years=5
    ).sel(boundary="raster")
    # 2 tiles x 16 px x 100 m2 = 0.32 ha of forest; the two empty quadrants 0.32 ha unobserved
    # (they were 0.32 ha of water, unobserved 0)
    assert float(ds.area_start.sel(category="forest")) == pytest.approx(0.32, rel=1e-9)
    assert float(ds.area_start.sel(category="total")) == pytest.approx(0.32, rel=1e-9)
    assert float(ds.unobserved_area) == pytest.approx(0.32, rel=1e-9)
    assert 0 not in ds.class_start.values.tolist()
    pd.testing.assert_frame_equal(factors, before)
    assert [p.read_bytes() for p in paths] == raw


def test_the_gap_code_of_a_mosaic_skips_legend_classes_and_is_refused_in_a_tile(tmp_path):
    a = np.full((4, 4), 10, dtype="uint8")
    a[0, 0] = 255
    paths = _two_diagonal_tiles(tmp_path, first=a)
    raw = [p.read_bytes() for p in paths]
    lc = urbansat.open_landcover(paths, legend={10: "forest", 255: "bare"})
    assert lc.attrs["nodata"] == 254  # 255 is a class of this legend
    lc = urbansat.open_landcover(paths, legend={10: "forest"})
    with pytest.raises(InputFileError, match=r"with 255 .* but a tile holds 255 itself"):
        lc.values  # noqa: B018  # computing the mosaic checks the tiles
    with pytest.raises(InputFileError, match=r"every uint8 value is a class of the legend"):
        urbansat.open_landcover(paths, legend=dict.fromkeys(range(256), "bare"))
    assert [p.read_bytes() for p in paths] == raw


# --- repro 14: a category override on a lucode-keyed (InVEST) table changed nothing ---------


def test_a_category_override_of_an_invest_table_is_refused_with_the_per_code_form():
    inv, before = INVEST.copy(), INVEST.copy()
    rows = pd.DataFrame({"category": ["forest"], "parameter": ["c_above"], "value": [200.0]})
    rows_before = rows.copy()
    table = as_factor_table(inv)
    # it was kept and never used: 0.04 ha x 100 = 4 t C, not x 200 = 8 t C
    with pytest.raises(
        FactorError,
        match=r"keyed by land-cover code: forest\.c_above: the table gives c_above per class "
        r"code \(lucode \[10, 30\]\).*table\.override\(pd\.DataFrame\(\{'lucode'",
    ):
        table.override(rows)
    pd.testing.assert_frame_equal(inv, before)
    pd.testing.assert_frame_equal(rows, rows_before)
    # the form the message asks for gives the override: 0.04 ha x 200 t C/ha = 8 t C
    mine = table.override(
        pd.DataFrame({"lucode": [10], "parameter": ["c_above"], "value": [200.0]})
    )
    assert _stock_start(mine) == pytest.approx(0.04 * 200.0, rel=1e-12)
    assert _stock_start(table) == pytest.approx(0.04 * 100.0, rel=1e-12)
