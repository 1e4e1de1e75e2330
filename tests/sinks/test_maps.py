"""Carbon maps, whole-raster totals, per-pool stocks, valuation, InVEST inputs (issue 18, 1-4)."""

from __future__ import annotations

import warnings

import dask.array as dsa
import numpy as np
import pandas as pd
import pytest
import rioxarray
import shapely

import urbansat
from urbansat.errors import ConfigError, FactorError, OutputPathError
from urbansat.export.rasters import write_carbon_maps
from urbansat.sinks import (
    Valuation,
    account_sinks,
    carbon_maps,
    valuation_constant,
)
from urbansat.testing.landcover import make_landcover_pair, write_geotiff

KW = {"legend": "worldcover", "factors": "ipcc2019", "climate_zone": "subtropical_humid_asia"}
# an InVEST biophysical table for the WorldCover codes [t C ha-1] (test values, not factors)
INVEST = pd.DataFrame(
    {
        "lucode": [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100],
        "c_above": [0, 100, 20, 5, 5, 0, 0, 0, 0, 3, 80, 2],
        "c_below": [0, 30, 8, 2, 1, 0, 0, 0, 0, 1, 30, 1],
        "c_soil": [0, 80, 60, 50, 40, 20, 10, 0, 0, 100, 200, 30],
        "c_dead": [0, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    }
)


@pytest.fixture
def pair():
    return make_landcover_pair(shape_yx=(40, 40), chunks=16)


def test_maps_lazy_and_sum_to_table(pair):
    s, e = pair
    m = carbon_maps(s, e, **KW)
    assert isinstance(m["stock_start"].data, dsa.Array) and isinstance(
        m["pool_density_end"].data, dsa.Array
    )
    assert m.rio.crs == s.rio.crs and m["stock_change"].attrs["units"] == "t C"
    assert m["density_change"].attrs["units"] == "t C ha-1"
    whole = account_sinks(s, e, None, years=5, method="stock_difference", **KW)
    assert list(whole.boundary.values) == ["raster"]
    tot = whole.sel(boundary="raster", category="total")
    np.testing.assert_allclose(float(m["stock_start"].sum()), float(tot.stock_start), rtol=1e-12)
    np.testing.assert_allclose(float(m["stock_end"].sum()), float(tot.stock_end), rtol=1e-12)
    np.testing.assert_allclose(
        float(m["stock_change"].sum()), float(tot.net_sink) * 5 * 12 / 44, rtol=1e-10
    )
    # per pool: maps and table agree, and the pools sum to the stock
    per_pool_map = (m["pool_density_start"] * m["pixel_area"]).sum(("y", "x"))
    np.testing.assert_allclose(
        per_pool_map.values, tot.stock_start_pool.sel(pool=list(m.pool.values)).values, rtol=1e-12
    )
    np.testing.assert_allclose(
        float(tot.stock_start_pool.sum()), float(tot.stock_start), rtol=1e-12
    )
    # a per-pixel hand check: stock = density x true pixel area
    y, x = 7, 11
    d = float(m["density_start"][y, x])
    assert np.isclose(float(m["stock_start"][y, x]), d * float(m["pixel_area"][y]))


def test_write_rasters_atomic_and_never_over_inputs(tmp_path, pair):
    s, e = pair
    src = write_geotiff(
        tmp_path / "start.tif", s.values, crs=s.rio.crs, transform=s.rio.transform(), nodata=0
    )
    m = carbon_maps(s, e, **KW)
    out = write_carbon_maps(
        m, tmp_path / "maps", variables=["density_change", "stock_start", "pool_density_start"]
    )
    assert sorted(out) == sorted(
        [
            "density_change",
            "stock_start",
            "c_above_start",
            "c_below_start",
            "c_soil_start",
            "c_dead_start",
        ]
    )
    back = rioxarray.open_rasterio(out["density_change"]).squeeze("band", drop=True)
    np.testing.assert_allclose(
        back.values, m["density_change"].values.astype("float32"), equal_nan=True
    )
    assert back.rio.crs == s.rio.crs
    assert not list((tmp_path / "maps").glob(".*tmp*"))
    before = src.read_bytes()
    with pytest.raises(
        OutputPathError, match=r"map 'start' to '.*start\.tif' would overwrite an input"
    ):
        write_carbon_maps(
            m.rename({"density_start": "start"}), tmp_path, variables=["start"], inputs=[src]
        )
    assert src.read_bytes() == before
    with pytest.raises(OutputPathError, match=r"exists; pass overwrite=True"):
        write_carbon_maps(m, tmp_path / "maps", variables=["stock_start"], overwrite=False)


def test_valuation_hand_computation():
    # V = 100, r = 10 %, c = 0, n = 2: (100 + 100 / 1.1) / 2 = 95.4545...
    assert np.isclose(valuation_constant(100.0, 10.0, 0.0, 2), (100 + 100 / 1.1) / 2, rtol=1e-15)
    # r = 5 %, c = 2 %, n = 3: V/n (1 + q + q^2), q = 1 / (1.05 x 1.02)
    q = 1 / (1.05 * 1.02)
    assert np.isclose(valuation_constant(43.0, 5.0, 2.0, 3), 43.0 / 3 * (1 + q + q * q), rtol=1e-14)
    assert valuation_constant(43.0, 0.0, 0.0, 7) == pytest.approx(43.0)  # q = 1 branch


def test_npv_in_table_and_maps(pair):
    s, e = pair
    val = {"price": 43.0, "discount_rate": 7.0, "rate_change": 1.0}
    k = valuation_constant(43.0, 7.0, 1.0, 5)
    ds = account_sinks(s, e, None, years=5, method="stock_difference", valuation=val, **KW)
    m = carbon_maps(s, e, valuation=val, years=5, **KW)
    tot = ds.sel(boundary="raster", category="total")
    dc = float(tot.stock_end - tot.stock_start)
    np.testing.assert_allclose(float(tot.npv), dc * k, rtol=1e-10)
    np.testing.assert_allclose(float(m["npv"].sum()), dc * k, rtol=1e-10)
    np.testing.assert_allclose(
        m["npv_density"].values, m["density_change"].values * k, equal_nan=True
    )
    assert float(tot.npv_low) <= float(tot.npv) <= float(tot.npv_high)
    assert (
        "r = 7 %" in ds.attrs["valuation"]
        and "_calculate_valuation_constant" in ds.attrs["valuation"]
    )


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"price": -5.0}, r"price=-5\.0 per t C is negative"),
        ({"price": 5.0, "discount_rate": 150.0}, r"discount_rate=150\.0 is outside \[0, 100\]"),
        ({"price": 5.0, "discount_rate": -1.0}, r"discount_rate=-1\.0 is outside"),
        ({"price": 5.0, "rate_change": -100.0}, r"rate_change=-100\.0"),
        # accepted, and the NPV of large stocks overflowed to inf
        ({"price": 1e300}, r"price=1e\+300 per t C is above 1e\+12 \(MAX_CARBON_PRICE\)"),
    ],
)
def test_bad_valuation_named(kw, needle):
    with pytest.raises(ConfigError, match=needle):
        Valuation(**kw)


def test_a_valuation_constant_beyond_float_range_is_refused():
    # q**n raised Python's raw OverflowError; for fractional n it was inf
    from urbansat.sinks.valuation import valuation_constant

    for n in (100, 100.5):
        with pytest.raises(ConfigError, match=r"valuation constant overflows: .*q = 100000"):
            valuation_constant(50.0, 0.0, -99.999, n)
    assert valuation_constant(50.0, 0.0, -99.999, 5) == pytest.approx(
        50.0 / 5 * sum(1e5**t for t in range(5)), rel=1e-9
    )


@pytest.mark.parametrize(
    ("valuation", "needle"),
    [
        # a typo was the dataclass' TypeError "unexpected keyword argument 'discount'"
        ({"price": 5.0, "discount": 7.0}, r"unknown key\(s\) \['discount'\]; the keys are"),
        ({"discount_rate": 7.0}, r"valuation needs a 'price'"),
        ([5.0, 7.0], r"must be a Valuation or a mapping"),
    ],
)
def test_malformed_valuation_mapping_refused(pair, valuation, needle):
    s, e = pair
    for call in (
        lambda: carbon_maps(s, e, valuation=valuation, years=5, **KW),
        lambda: account_sinks(
            s, e, None, years=5, method="stock_difference", valuation=valuation, **KW
        ),
    ):
        with pytest.raises(ConfigError, match=needle):
            call()


def test_carbon_maps_refuse_years_without_valuation_and_bool_years(pair):
    s, e = pair
    # years=True was accepted and ignored (without valuation) or read as one year (with it)
    with pytest.raises(ConfigError, match=r"years=5 is used only with valuation="):
        carbon_maps(s, e, years=5, **KW)
    with pytest.raises(ConfigError, match=r"years=True must be a number of years"):
        carbon_maps(s, e, valuation={"price": 5.0}, years=True, **KW)


def test_write_carbon_maps_requests_checked(tmp_path, pair):
    s, e = pair
    maps = carbon_maps(s, e, **KW)
    # one name is one map (it was iterated letter by letter: "No map 's' to write")
    out = write_carbon_maps(maps, tmp_path / "one", variables="stock_change")
    assert list(out) == ["stock_change"] and out["stock_change"].is_file()
    # an empty selection wrote nothing and said nothing
    with pytest.raises(ConfigError, match=r"variables=\[\] selects no map"):
        write_carbon_maps(maps, tmp_path / "none", variables=[])
    assert not (tmp_path / "none").exists()
    # a file where the directory should be was os.makedirs' FileExistsError
    f = tmp_path / "a_file"
    f.write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputPathError, match=r"exists and is not a directory"):
        write_carbon_maps(maps, f)
    assert f.read_text(encoding="utf-8") == "keep me"


def test_invest_table_first_class(tmp_path, pair):
    s, e = pair
    path = tmp_path / "biophysical.csv"
    INVEST.to_csv(path, index=False)
    table = urbansat.read_invest_table(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a user table gives no stream of warnings
        a = account_sinks(
            s, e, None, years=5, method="stock_difference", legend="worldcover", factors=table
        )
    with pytest.raises(FactorError, match=r"read_invest_table\(.*and pass the table"):
        account_sinks(s, e, None, years=5, method="stock_difference", factors=f"invest:{path}")
    assert float(a.stock_end.sum()) > 0
    assert "no 95 % ranges" in a.attrs["unranged_note"]
    with pytest.raises(FactorError, match=r"pass method='stock_difference'"):
        account_sinks(s, e, None, years=5, legend="worldcover", factors=table)
    with pytest.raises(
        ConfigError, match=r"years=0: the time between the epochs must be a positive"
    ):
        account_sinks(
            s, e, None, years=0, method="stock_difference", legend="worldcover", factors=table
        )
    assert issubclass(ConfigError, ValueError)


def test_whole_raster_equals_explicit_box(pair):
    import geopandas as gpd

    s, e = pair
    box = gpd.GeoDataFrame(
        {"boundary_id": ["b"]}, geometry=[shapely.box(*s.rio.bounds())], crs=s.rio.crs
    )
    a = account_sinks(s, e, None, years=5, **KW)
    b = account_sinks(s, e, box, years=5, **KW)
    np.testing.assert_allclose(a.net_sink.values, b.net_sink.values, rtol=1e-12)
    assert a.name.values.tolist() == ["whole raster"]


def test_job_toml_writes_rasters_with_npv(tmp_path, pair):
    import geopandas as gpd

    s, e = pair
    p0 = write_geotiff(
        tmp_path / "ESA_WorldCover_10m_2015_v100_N22E113_Map.tif",
        s.values,
        crs=s.rio.crs,
        transform=s.rio.transform(),
        nodata=0,
    )
    p1 = write_geotiff(
        tmp_path / "ESA_WorldCover_10m_2020_v100_N22E113_Map.tif",
        e.values,
        crs=s.rio.crs,
        transform=s.rio.transform(),
        nodata=0,
    )
    INVEST.to_csv(tmp_path / "bio.csv", index=False)
    bnd = tmp_path / "b.geojson"
    gpd.GeoDataFrame(
        {"id": ["all"], "name": ["all"]}, geometry=[shapely.box(*s.rio.bounds())], crs=s.rio.crs
    ).to_file(bnd, driver="GeoJSON")
    toml = tmp_path / "job.toml"
    toml.write_text(f"""
[job]
name = "maps"
output_dir = "out"
periods = {{ p = ["2015-01-01", "2021-01-01"] }}

[[boundaries]]
path = "b.geojson"
level = "county"
id_field = "id"

[[sinks]]
name = "lc"
period = "p"
landcover_start = "{p0.name}"
landcover_end = "{p1.name}"
legend = "worldcover"
factors = "invest:bio.csv"
method = "stock_difference"
years = 5
price = 43.0
discount_rate = 7.0
write_rasters = true

[outputs]
formats = ["csv"]
report = true
""")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = urbansat.run_job(toml, progress=False)
    rasters = tmp_path / "out" / "rasters" / "lc"
    assert (rasters / "density_change.tif").exists() and (rasters / "npv.tif").exists()
    ds = r.sinks["p"]
    npv = rioxarray.open_rasterio(rasters / "npv.tif").sum()
    assert np.isclose(
        float(npv), float(ds.npv.sel(category="total").sum()), rtol=1e-5
    )  # float32 rasters
    ind = r.indicators
    notes = ind[(ind["indicator"] == "total_sink.net_sink") & (ind["target"] == "total")]
    assert notes["note"].str.contains("NPV").all() and notes["note"].str.contains("r = 7 %").all()
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "carbon change map all p" in html  # the change-map figure of the sink boundary


def test_job_rasters_without_valuation_keep_the_sections_years(tmp_path, pair):
    # a [[sinks]] section's years serve the accounting: the maps, which need them only for
    # the NPV, are written without them (carbon_maps refuses years without valuation)
    from urbansat.pipeline.sinks_job import write_section_rasters

    s, e = pair
    paths = [
        write_geotiff(
            tmp_path / f"ESA_WorldCover_10m_{y}_v100_N22E113_Map.tif",
            a.values,
            crs=s.rio.crs,
            transform=s.rio.transform(),
            nodata=0,
        )
        for y, a in ((2015, s), (2020, e))
    ]
    section = {
        "name": "lc",
        "landcover_start": [str(paths[0])],
        "landcover_end": [str(paths[1])],
        "years": 5,
        **KW,
    }
    out = write_section_rasters(section, tmp_path / "out", [])
    assert "stock_change" in out and "npv" not in out


def test_report_items_with_accuracy_table(pair, tmp_path):
    from urbansat.plot.sinks import sink_report_items

    s, e = pair
    p0 = write_geotiff(
        tmp_path / "ESA_WorldCover_10m_2015_v100_N22E113_Map.tif",
        s.values,
        crs=s.rio.crs,
        transform=s.rio.transform(),
        nodata=0,
    )
    p1 = write_geotiff(
        tmp_path / "ESA_WorldCover_10m_2020_v200_N22E113_Map.tif",
        e.values,
        crs=s.rio.crs,
        transform=s.rio.transform(),
        nodata=0,
    )
    codes = sorted(set(np.unique(s.values)))
    n = pd.DataFrame(np.diag(np.full(len(codes), 30)), index=codes, columns=codes)
    n.iloc[0, 1] = 4
    acc = urbansat.error_adjusted_areas(n, pd.Series(1000.0, index=codes))
    ds = account_sinks(s, e, None, years=5, accuracy=acc, **KW)
    items = sink_report_items(
        "raster",
        shapely.box(*s.rio.bounds()),
        {"p": ds},
        {"p": ([str(p0)], [str(p1)])},
        lambda fig: "png",
        lambda paths: urbansat.open_landcover(paths[0]),
    )
    assert items[0]["png"] == "png" and "change" in items[0]["caption"]
    assert "<table" in items[1]["table_html"] and "area_low" in items[1]["table_html"]
