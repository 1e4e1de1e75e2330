"""Units attributes are obeyed at the edge (issue 15 item 1): converted with UDUNITS, or refused.

Every case writes a synthetic granule / wind file, rewrites the units attribute (and the values
when the unit says they are scaled), opens it, and checks the result against the original values
converted by hand, or the error (class, file and variable named). The input file is not changed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import h5py
import netCDF4
import numpy as np
import pytest
import xarray as xr

import urbansat
from urbansat.errors import SchemaError, UnitsError
from urbansat.testing.granules import write_gosat_fts, write_oco_lite, write_tropomi_ch4


def _sha(p: Path) -> str:
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


def _rewrite_nc(p: Path, names: list[str], units: str | None, factor: float) -> None:
    with netCDF4.Dataset(p, "a") as nc:
        for name in names:
            v = nc[name]
            v[:] = v[:] * factor
            if units is None:
                v.delncattr("units")
            else:
                v.setncattr("units", units)


TROPOMI_VARS = [
    "PRODUCT/methane_mixing_ratio_bias_corrected",
    "PRODUCT/methane_mixing_ratio_precision",
]
OCO_VARS = ["xco2", "xco2_uncertainty"]

# (units written, factor applied to the ppb values)
CH4_SPELLINGS = [
    ("1e-9", 1.0),
    ("ppb", 1.0),
    ("ppbv", 1.0),
    ("mol mol-1", 1e-9),
    ("mol/mol", 1e-9),
    ("1", 1e-9),
    ("ppm", 1e-3),
    ("1e-6", 1e-3),
]
# (units written, factor applied to the ppm values)
CO2_SPELLINGS = [
    ("ppm", 1.0),
    ("ppmv", 1.0),
    ("1e-6", 1.0),
    ("mol mol-1", 1e-6),
    ("mol/mol", 1e-6),
    ("1", 1e-6),
    ("ppb", 1e3),
    ("1e-9", 1e3),
]


@pytest.mark.parametrize(("units", "factor"), CH4_SPELLINGS)
def test_tropomi_xch4_units_are_converted(tmp_path: Path, units: str, factor: float) -> None:
    p = write_tropomi_ch4(tmp_path / "mod", n_scanlines=8, n_pixels=4)
    ref = urbansat.open_granules(write_tropomi_ch4(tmp_path / "ref", n_scanlines=8, n_pixels=4))
    _rewrite_nc(p, TROPOMI_VARS, units, factor)
    before = _sha(p)
    ds = urbansat.open_granules(p, chunks=None)
    np.testing.assert_allclose(ds.xch4.values, ref.xch4.values, rtol=1e-6)
    np.testing.assert_allclose(ds.xch4_uncertainty.values, ref.xch4_uncertainty.values, rtol=1e-6)
    assert ds.xch4.attrs["units"] == "ppb"
    assert _sha(p) == before


@pytest.mark.parametrize(("units", "factor"), CO2_SPELLINGS)
def test_oco_xco2_units_are_converted(tmp_path: Path, units: str, factor: float) -> None:
    p = write_oco_lite(tmp_path / "mod", n_frames=6)
    ref = urbansat.open_granules(write_oco_lite(tmp_path / "ref", n_frames=6))
    _rewrite_nc(p, OCO_VARS, units, factor)
    before = _sha(p)
    ds = urbansat.open_granules(p, chunks=None)
    np.testing.assert_allclose(ds.xco2.values, ref.xco2.values, rtol=1e-6)
    np.testing.assert_allclose(ds.xco2_uncertainty.values, ref.xco2_uncertainty.values, rtol=1e-6)
    assert ds.xco2.attrs["units"] == "ppm"
    assert _sha(p) == before


@pytest.mark.parametrize(
    ("gas", "units", "factor"),
    [("co2", "ppmv", 1.0), ("co2", "mol mol-1", 1e-6), ("ch4", "ppbv", 1.0), ("ch4", "1e-9", 1.0)],
)
def test_gosat_units_are_converted(tmp_path: Path, gas: str, units: str, factor: float) -> None:
    p = write_gosat_fts(tmp_path / "mod", gas=gas, n_soundings=20)
    var = f"x{gas}"
    ref = urbansat.open_granules(write_gosat_fts(tmp_path / "ref", gas=gas, n_soundings=20))
    g = var.upper()
    with h5py.File(p, "a") as h:
        for name in (
            f"Data/mixingRatio/{g}BiasCorrected",
            f"Data/mixingRatio/{g}BiasCorrectedError",
        ):
            d = h[name]
            vals = d[()]
            d[...] = np.where(vals == -9999.0, vals, vals * factor)
            d.attrs["unit"] = np.bytes_(units)
    before = _sha(p)
    ds = urbansat.open_granules(p, chunks=None)
    np.testing.assert_allclose(ds[var].values, ref[var].values, rtol=1e-6)
    assert _sha(p) == before


@pytest.mark.parametrize(
    ("product", "units", "found"),
    [
        ("tropomi", None, "no units attribute"),
        ("tropomi", "parts per million", "cannot parse"),
        ("oco", "ppm (x2019)", "cannot parse"),
        ("tropomi", "m s-1", "not convertible"),
        ("tropomi", "percent", "not convertible"),
        ("oco", None, "no units attribute"),
        ("oco", "K", "not convertible"),
        ("oco", "degrees_north", "not convertible"),
    ],
)
def test_bad_gas_units_are_refused(
    tmp_path: Path, product: str, units: str | None, found: str
) -> None:
    if product == "tropomi":
        p, var = write_tropomi_ch4(tmp_path, n_scanlines=6, n_pixels=4), TROPOMI_VARS[0]
    else:
        p, var = write_oco_lite(tmp_path, n_frames=5), OCO_VARS[0]
    _rewrite_nc(p, [var], units, 1.0)
    before = _sha(p)
    with pytest.raises(UnitsError, match=found) as info:
        urbansat.open_granules(p)
    msg = str(info.value)
    assert Path(p).name in msg
    assert repr(var) in msg
    assert isinstance(info.value, SchemaError)  # old `except SchemaError` keeps working
    assert _sha(p) == before


@pytest.mark.parametrize(
    ("product", "likely"), [("oco", "'mol mol-1'"), ("tropomi", "'mol mol-1'"), ("oco", "'ppb'")]
)
def test_values_that_belie_their_units_are_refused(
    tmp_path: Path, product: str, likely: str
) -> None:
    factor = 1e3 if likely == "'ppb'" else (1e-6 if product == "oco" else 1e-9)
    if product == "tropomi":
        p = write_tropomi_ch4(tmp_path, n_scanlines=6, n_pixels=4)
        _rewrite_nc(p, TROPOMI_VARS, "ppb", factor)  # mol/mol values labelled ppb
        var = "xch4"
    else:
        p = write_oco_lite(tmp_path, n_frames=5)
        _rewrite_nc(p, OCO_VARS, "ppm", factor)  # 4e-4 labelled ppm
        var = "xco2"
    before = _sha(p)
    with pytest.raises(UnitsError, match="values look like " + likely) as info:
        urbansat.open_granules(p)
    assert Path(p).name in str(info.value)
    assert var in str(info.value)
    assert _sha(p) == before


def test_qa_value_on_a_0_100_scale_is_refused(tmp_path: Path) -> None:
    p = write_tropomi_ch4(tmp_path, n_scanlines=6, n_pixels=4)
    with netCDF4.Dataset(p, "a") as nc:
        nc["PRODUCT/qa_value"].delncattr("scale_factor")
    before = _sha(p)
    with pytest.raises(UnitsError, match="scale_factor") as info:
        urbansat.open_granules(p)
    assert Path(p).name in str(info.value)
    assert "qa_value" in str(info.value)
    assert _sha(p) == before


def test_latitudes_outside_range_are_counted(tmp_path: Path) -> None:
    p = write_tropomi_ch4(tmp_path, n_scanlines=6, n_pixels=4)
    with netCDF4.Dataset(p, "a") as nc:
        lat = nc["PRODUCT/latitude"][:]
        lat[0, 0, :2] = 95.0
        nc["PRODUCT/latitude"][:] = lat
    with pytest.raises(SchemaError, match=r"has 2 latitude\(s\) up to") as info:
        urbansat.open_granules(p)
    assert Path(p).name in str(info.value)


def _era5_single(path: Path, u: float, v: float, units: str | None) -> Path:
    attrs = {} if units is None else {"units": units}
    ds = xr.Dataset(
        {
            "u10": (("time", "latitude", "longitude"), np.full((1, 3, 3), u), attrs),
            "v10": (("time", "latitude", "longitude"), np.full((1, 3, 3), v), attrs),
        },
        coords={
            "time": np.array(["2021-07-25T12:00"], dtype="datetime64[ns]"),
            "latitude": [-23.0, -23.5, -24.0],
            "longitude": [27.0, 27.5, 28.0],
        },
    )
    ds.to_netcdf(path)
    return path


@pytest.mark.parametrize(
    ("units", "factor"),
    [("m s-1", 1.0), ("m s**-1", 1.0), ("m/s", 1.0), ("km h-1", 1 / 3.6), ("knots", 0.514444)],
)
def test_wind_units_are_converted(tmp_path: Path, units: str, factor: float) -> None:
    p = _era5_single(tmp_path / "era5_sl.nc", 10.0, -4.0, units)
    before = _sha(p)
    w = urbansat.open_wind(p)
    np.testing.assert_allclose(w.eastward_wind.values, 10.0 * factor, rtol=1e-5)
    np.testing.assert_allclose(w.northward_wind.values, -4.0 * factor, rtol=1e-5)
    assert w.eastward_wind.attrs["units"] == "m s-1"
    assert _sha(p) == before


@pytest.mark.parametrize(("units", "found"), [(None, "no units"), ("K", "not convertible")])
def test_bad_wind_units_are_refused(tmp_path: Path, units: str | None, found: str) -> None:
    p = _era5_single(tmp_path / "era5_sl.nc", 10.0, -4.0, units)
    before = _sha(p)
    with pytest.raises(UnitsError, match=found) as info:
        urbansat.open_wind(p)
    assert p.name in str(info.value)
    assert "'u10'" in str(info.value)
    assert _sha(p) == before


def test_swath_wind_in_knots_is_converted() -> None:
    from urbansat.testing.granules import make_swath

    sw = make_swath(wind=(10.0, 0.0)) if "wind" in make_swath.__code__.co_varnames else None
    if sw is None:
        pytest.fail("make_swath has no wind option")
    sw["eastward_wind"].attrs["units"] = "knots"
    w = urbansat.open_wind(sw)
    np.testing.assert_allclose(w.eastward_wind.values, 10.0 * 0.514444, rtol=1e-5)
    assert sw["eastward_wind"].attrs["units"] == "knots"  # the input is not modified


@pytest.mark.parametrize(
    ("u", "units", "shown"),
    [
        (9.96921e36, "m s-1", "9.96921e+36"),  # netCDF default fill, not marked as missing
        (1000.0, "cm s-1", None),  # 10 m s-1: converted, plausible
        (900.0, "m s-1", "900"),  # a cm s-1 wind labelled m s-1
    ],
)
def test_wind_beyond_any_atmospheric_wind_is_refused(
    tmp_path: Path, u: float, units: str, shown: str | None
) -> None:
    p = _era5_single(tmp_path / "era5_sl.nc", u, -4.0, units)
    before = _sha(p)
    if shown is None:
        w = urbansat.open_wind(p)
        np.testing.assert_allclose(w.eastward_wind.values, u / 100.0, rtol=1e-6)
    else:
        with pytest.raises(urbansat.WindError, match="beyond any atmospheric wind") as info:
            urbansat.open_wind(p)
        assert p.name in str(info.value) and "'u10'" in str(info.value)
        assert shown in str(info.value) and "9 value(s)" in str(info.value)
    assert _sha(p) == before


def test_user_wind_beyond_any_atmospheric_wind_is_refused() -> None:
    with pytest.raises(urbansat.WindError, match=r"'v'.*beyond any atmospheric wind"):
        urbansat.open_wind((3.0, -350.0, 1.0))
    assert float(urbansat.open_wind((3.0, -150.0, 1.0)).northward_wind) == -150.0
