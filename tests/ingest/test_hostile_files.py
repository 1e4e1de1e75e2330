"""Files valid in layout that would read wrong: each gives the right values or a clear error.

Found by probing the readers with hostile files (2026-12-07); each test fails on the code before
its fix.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import netCDF4
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import urbansat


@contextlib.contextmanager
def untouched(*paths):
    """Assert that the files are byte-for-byte and mtime unchanged by the block."""
    before = [(Path(q).read_bytes(), os.stat(q).st_mtime_ns) for q in paths]
    yield
    assert [(Path(q).read_bytes(), os.stat(q).st_mtime_ns) for q in paths] == before


def _cci_signed_byte(path, codes):
    """A CCI LC map as the product stores it: signed byte with ``_Unsigned = "true"``."""
    ny, nx = codes.shape
    with netCDF4.Dataset(path, "w") as nc:
        for d, n in (("time", 1), ("lat", ny), ("lon", nx)):
            nc.createDimension(d, n)
        nc.createVariable("lat", "f8", ("lat",))[:] = 0.1 - (np.arange(ny) + 0.5) / 360
        nc.createVariable("lon", "f8", ("lon",))[:] = 6.0 + (np.arange(nx) + 0.5) / 360
        v = nc.createVariable("lccs_class", "i1", ("time", "lat", "lon"), fill_value=np.int8(0))
        v.setncattr("_Unsigned", "true")
        v.set_auto_maskandscale(False)
        v[0] = codes.astype(np.uint8).view(np.int8)


def test_cci_unsigned_byte_codes_read_as_unsigned(tmp_path):
    codes = np.repeat(np.array([50, 190, 210], np.uint8), 12)[None, :].repeat(36, 0)
    p = tmp_path / "C3S-LC-L4-LCCS-Map-300m-P1Y-2018-v2.1.1.nc"
    _cci_signed_byte(p, codes)
    da = urbansat.open_landcover(p)
    assert da.dtype == np.uint8
    assert sorted(np.unique(da.values).tolist()) == [50, 190, 210]  # urban and water, not -66/-46
    assert da.rio.nodata == 0


def test_pressure_and_wind_obey_the_declared_units(tmp_path):
    from urbansat.testing.granules import write_oco_lite, write_tropomi_ch4

    p = write_oco_lite(tmp_path, wind=(3.0, 1.0), psurf_hpa=1000.0)
    with netCDF4.Dataset(p, "a") as nc:
        u = nc["Meteorology/windspeed_u_met"]
        u[:] = u[:] * 3.6
        u.units = "km h-1"
        ps = nc["Retrieval/psurf"]
        ps[:] = ps[:] * 100
        ps.units = "Pa"
    ds = urbansat.open_granules(p)
    np.testing.assert_allclose(float(ds.eastward_wind.mean()), 3.0, rtol=1e-6)  # not 10.8
    np.testing.assert_allclose(float(ds.surface_pressure.mean()), 1e5, rtol=1e-6)  # not 1e7
    assert ds.surface_pressure.attrs["units"] == "Pa"

    t = write_tropomi_ch4(tmp_path, n_scanlines=20, n_pixels=10, wind=(4.0, -1.0))
    with netCDF4.Dataset(t, "a") as nc:
        u = nc["PRODUCT/SUPPORT_DATA/INPUT_DATA/eastward_wind"]
        u[:] = u[:] * 3.6
        u.units = "km h-1"
        ps = nc["PRODUCT/SUPPORT_DATA/INPUT_DATA/surface_pressure"]
        ps[:] = ps[:] / 100
        ps.units = "hPa"
    ds = urbansat.open_granules(t)
    np.testing.assert_allclose(float(ds.eastward_wind.mean()), 4.0, rtol=1e-6)  # not 14.4
    assert 5e4 < float(ds.surface_pressure.mean()) < 1.1e5


def test_a_wind_in_an_unconvertible_unit_is_refused(tmp_path):
    from urbansat.errors import UnitsError
    from urbansat.testing.granules import write_oco_lite

    p = write_oco_lite(tmp_path)
    with netCDF4.Dataset(p, "a") as nc:
        nc["Meteorology/windspeed_u_met"].units = "K"
    with (
        untouched(p),
        pytest.raises(UnitsError, match=r"windspeed_u_met.*'K'.*not convertible to 'm s-1'"),
    ):
        urbansat.open_granules(p)


def test_a_redelivered_granule_is_refused_not_counted_twice(tmp_path):
    import shutil

    from urbansat.errors import MixedInputError
    from urbansat.testing.granules import write_oco_lite

    a = write_oco_lite(tmp_path)
    b = shutil.copy(a, tmp_path / "oco2_LtCO2_200704_B11100Ar_240101000000s.nc4")
    with netCDF4.Dataset(b, "a") as nc:
        nc.history = "re-delivered"  # the bytes differ, the soundings do not
    with (
        untouched(a, b),
        pytest.raises(MixedInputError, match=r"share \d+ sounding\(s\).*Pass only one") as ei,
    ):
        urbansat.open_granules([a, b])
    assert str(a) in str(ei.value) and str(b) in str(ei.value)


def test_a_gosat_file_listing_exposures_twice_is_refused(tmp_path):
    import h5py

    from urbansat.errors import SchemaError
    from urbansat.testing.granules import write_gosat_fts

    g = write_gosat_fts(tmp_path)
    (tmp_path / "dup").mkdir()
    g2 = tmp_path / "dup" / g.name
    with h5py.File(g) as h, h5py.File(g2, "w") as o:

        def cp(name, x):
            if isinstance(x, h5py.Dataset):
                o.create_dataset(name, data=np.concatenate([x[()], x[()]]))
                o[name].attrs.update(dict(x.attrs))

        h.visititems(cp)
    assert int(urbansat.open_granules(g).qa_pass.sum()) > 0
    with untouched(g2), pytest.raises(SchemaError, match=r"lists \d+ sounding\(s\) twice"):
        urbansat.open_granules(g2)


def _empty_copy(src, dst):
    """The layout of ``src`` with a ``sounding_id`` dimension of length 0."""
    with netCDF4.Dataset(src) as s, netCDF4.Dataset(dst, "w") as o:
        o.setncatts({k: s.getncattr(k) for k in s.ncattrs()})
        for n, dim in s.dimensions.items():
            o.createDimension(n, 0 if n == "sounding_id" else len(dim))

        def cp(sg, og):
            for n, v in sg.variables.items():
                nv = og.createVariable(n, v.datatype, v.dimensions)
                nv.setncatts({k: v.getncattr(k) for k in v.ncattrs()})
                if "sounding_id" not in v.dimensions:
                    nv[:] = v[:]
            for n, g in sg.groups.items():
                cp(g, og.createGroup(n))

        cp(s, o)


def test_an_empty_granule_is_skipped_not_called_corrupt(tmp_path):
    from urbansat.errors import EmptyResultWarning, InputFileError
    from urbansat.testing.granules import write_oco_lite

    good = write_oco_lite(tmp_path)
    (tmp_path / "e").mkdir()
    empty = tmp_path / "e" / "oco2_LtCO2_200705_B11100Ar_230603215457s.nc4"
    _empty_copy(good, empty)
    with untouched(empty), pytest.raises(InputFileError, match="hold no sounding") as ei:
        urbansat.open_granules(empty)
    assert "corrupt" not in str(ei.value)
    with pytest.warns(EmptyResultWarning, match="hold no sounding"):
        ds = urbansat.open_granules([good, empty])
    assert ds.sizes["y"] == urbansat.open_granules(good).sizes["y"]


def _tile(path, data, x0, nodata=0):
    from affine import Affine

    from urbansat.testing.landcover import write_geotiff

    r = 1 / 12000
    return write_geotiff(
        path, data, crs="EPSG:4326", transform=Affine(r, 0, x0, 0, -r, 0.005), nodata=nodata
    )


_WC = "ESA_WorldCover_10m_2020_v100_N00E00{}_Map.tif"


def test_mosaic_refuses_tiles_with_different_nodata(tmp_path):
    from urbansat.errors import InputFileError

    t1 = _tile(tmp_path / _WC.format(6), np.full((60, 60), 10, np.uint8), 6.0)
    crop = np.full((60, 60), 40, np.uint8)
    crop[:10] = 255
    t2 = _tile(tmp_path / _WC.format(7), crop, 6.005, nodata=255)
    with (
        untouched(t1, t2),
        pytest.raises(InputFileError, match=r"different nodata values .*: 0, .*: 255"),
    ):
        urbansat.open_landcover([t1, t2])


def test_mosaic_refuses_two_tiles_at_one_place_and_unequal_tile_sizes(tmp_path):
    from urbansat.errors import AlignmentError

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    t1 = _tile(tmp_path / "a" / _WC.format(6), np.full((60, 60), 10, np.uint8), 6.0)
    t3 = _tile(tmp_path / "b" / _WC.format(6), np.full((60, 60), 40, np.uint8), 6.0)
    with untouched(t1, t3), pytest.raises(AlignmentError, match="cover the same place"):
        urbansat.open_landcover([t1, t3])
    t4 = _tile(tmp_path / "b" / _WC.format(7), np.full((30, 60), 40, np.uint8), 6.005)
    with untouched(t1, t4), pytest.raises(AlignmentError, match=r"is 30 x 60 pixels .* 60 x 60"):
        urbansat.open_landcover([t1, t4])


def test_non_integer_nodata_is_refused_and_a_class_as_nodata_warned(tmp_path):
    from urbansat.errors import InputFileError, SuspectValueWarning

    data = np.repeat(np.array([10, 30, 40, 80], np.uint8), 15)[None, :].repeat(60, 0)
    (tmp_path / "x").mkdir()
    p = _tile(tmp_path / _WC.format(6), data, 6.0, nodata=10.5)
    with untouched(p), pytest.raises(InputFileError, match=r"nodata 10.5 .* read as 10"):
        urbansat.open_landcover(p)
    q = _tile(tmp_path / "x" / _WC.format(6), data, 6.0, nodata=80)
    with pytest.warns(SuspectValueWarning, match="nodata 80, which is the worldcover class 80"):
        urbansat.open_landcover(q)


def test_longitudes_beyond_360_are_refused_not_wrapped(tmp_path):
    import h5py

    from urbansat.errors import SchemaError
    from urbansat.testing.granules import write_gosat_fts

    p = write_gosat_fts(tmp_path)  # Tokyo, 139.7 E
    with h5py.File(p, "a") as h:
        lon = h["Data/geolocation/longitude"]
        x = lon[()]
        x[:5] = -999.0  # an undeclared fill; wrapped it was 81 E
        lon[...] = x
    with untouched(p), pytest.raises(SchemaError, match=r"5 longitude\(s\) outside -180..360"):
        urbansat.open_granules(p)


def test_0_360_longitudes_in_files_still_read(tmp_path):
    from urbansat.schema.geo import wrap_position

    np.testing.assert_allclose(wrap_position(np.array([350.0, 360.0, -180.0])), [-10, 0, -180])
    assert wrap_position(np.array([-999.0]))[0] == -999.0


def test_a_bbox_to_360_is_the_whole_circle(tmp_path):
    from urbansat.testing.granules import write_tropomi_ch4

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = write_tropomi_ch4(tmp_path / "a", n_scanlines=20, n_pixels=10, center=(10.0, 45.0))
    b = write_tropomi_ch4(
        tmp_path / "b",
        n_scanlines=20,
        n_pixels=10,
        center=(-5.0, 45.0),
        date="2022-07-22T05:00:00",
        orbit=24726,
    )
    ds = urbansat.open_granules([a, b], bbox=(-10, 40, 360, 50))
    assert len(ds.attrs["source_files"]) == 2  # the 10 E granule was dropped
    assert urbansat.open_granules(a, bbox=(0, -90, 360, 90)).sizes["y"] == 20
    # 170..360 in the 0..360 convention still crosses the antimeridian, as before
    assert urbansat.open_granules(b, bbox=(170, 40, 360, 50)).sizes["y"] > 0


def test_impossible_uncertainties_leave_qa_or_are_refused(tmp_path):
    from urbansat.errors import UnitsError
    from urbansat.testing.granules import write_oco_lite, write_tropomi_ch4

    t = write_tropomi_ch4(tmp_path, n_scanlines=20, n_pixels=10)
    with netCDF4.Dataset(t, "a") as nc:
        v = nc["PRODUCT/methane_mixing_ratio_precision"]
        v.set_auto_mask(False)
        x = v[:]
        x[0, :3, :] = -999.0  # an undeclared fill in 3 scanlines
        v[:] = x
    with pytest.warns(UserWarning, match=r"xch4_uncertainty outside 0-500 ppb"):
        ds = urbansat.open_granules(t)
    assert float(ds.xch4_uncertainty.where(ds.qa_pass).min()) > 0
    o = write_oco_lite(tmp_path)
    with netCDF4.Dataset(o, "a") as nc:
        nc["xco2_uncertainty"].units = "1"  # values still in ppm: 5e5 ppm after conversion
    with untouched(o), pytest.raises(UnitsError, match=r"xco2_uncertainty outside 0-100 ppm"):
        urbansat.open_granules(o)


def test_times_that_overflow_or_lie_outside_the_satellite_era_are_refused(tmp_path):
    from urbansat.errors import InputFileError, SchemaError
    from urbansat.testing.granules import write_oco_lite, write_tropomi_ch4

    p = write_oco_lite(tmp_path)  # 2020-07-04
    with netCDF4.Dataset(p, "a") as nc:
        nc["time"][:] = nc["time"][:] * 1000  # milliseconds under "seconds since 1970-01-01"
    with untouched(p), pytest.raises(SchemaError, match=r"have no time"):
        urbansat.open_granules(p)  # decoded to 2206 by an int64 wrap before
    (tmp_path / "b").mkdir()
    q = write_oco_lite(tmp_path / "b")
    with netCDF4.Dataset(q, "a") as nc:
        nc["time"][:] = nc["time"][:] - 300 * 365.25 * 86400  # 1720
    with untouched(q), pytest.raises(SchemaError, match=r"outside 1990-01-01"):
        urbansat.open_granules(q)
    t = write_tropomi_ch4(tmp_path, n_scanlines=20, n_pixels=10)
    with netCDF4.Dataset(t, "a") as nc:
        nc["PRODUCT/time"][:] = -2147483647  # its declared fill value
    with untouched(t), pytest.raises(InputFileError, match=r"PRODUCT/time .* is the fill value"):
        urbansat.open_granules(t)


def test_a_delta_time_re_encoded_against_another_day_is_refused(tmp_path):
    # same instants counted from the day before: every time came out a day late, silently
    from urbansat.errors import UnitsError
    from urbansat.testing.granules import write_tropomi_ch4

    t = write_tropomi_ch4(tmp_path, n_scanlines=20, n_pixels=10)
    with netCDF4.Dataset(t, "a") as nc:
        ref = str(nc["PRODUCT/delta_time"].units).split("since", 1)[1].strip()
        day_before = (pd.Timestamp(ref) - pd.Timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
        v = nc["PRODUCT/delta_time"]
        v.set_auto_mask(False)
        v[:] = v[:] + 86_400_000
        v.units = f"milliseconds since {day_before}"
    with untouched(t), pytest.raises(UnitsError, match=r"delta_time has units .* PRODUCT/time"):
        urbansat.open_granules(t)


def _regular_wind(path, u=3.0, v=-4.0):
    """A wind file on a regular 0.25 deg grid with 1-D lat/lon (CF, or ERA5 from CDO)."""
    lat = np.arange(34, 36.01, 0.25)
    lon = np.arange(104, 106.01, 0.25)
    shape = (1, lat.size, lon.size)
    xr.Dataset(
        {
            "uu": (("time", "lat", "lon"), np.full(shape, u), {"units": "m s-1"}),
            "vv": (("time", "lat", "lon"), np.full(shape, v), {"units": "m s-1"}),
            "cloud": (("lat",), np.zeros(lat.size)),
        },
        coords={
            "time": np.array(["2020-01-01T12"], "datetime64[ns]"),
            "lat": lat,
            "lon": lon,
        },
    ).to_netcdf(path)
    return path


def test_named_wind_variables_on_a_regular_grid(tmp_path):
    """``variables=`` on 1-D lat/lon crashed in xarray ("Could not convert tuple ...")."""
    from urbansat.inversion.wind import effective_wind

    p = _regular_wind(tmp_path / "w.nc")
    with untouched(p):
        w = urbansat.open_wind(p, variables=("uu", "vv"), sigma=1.0)
    assert w.latitude.dims == ("y", "x")
    assert float(w.latitude[3, 0]) == 34.75
    assert float(w.longitude[0, 2]) == 104.5
    e = effective_wind(w, 105.0, 35.0, np.datetime64("2020-01-01T12"))
    assert (e.u, e.v, e.speed) == pytest.approx((3.0, -4.0, 5.0))


@pytest.mark.parametrize(
    ("variables", "error", "match"),
    [
        (("uX", "vv"), urbansat.errors.MissingVariableError, r"\['uX'\] not in wind file.*'uu'"),
        (("uu",), urbansat.errors.WindError, r"must be the two names \(u, v\)"),
        ("uv", urbansat.errors.WindError, r"must be the two names \(u, v\)"),
        (("uu", "cloud"), urbansat.errors.MissingVariableError, r"'cloud'.*not a gridded"),
    ],
)
def test_named_wind_variables_that_do_not_fit(tmp_path, variables, error, match):
    """A misspelt, single or 1-D name gave a raw KeyError / TypeError."""
    p = _regular_wind(tmp_path / "w.nc")
    with untouched(p), pytest.raises(error, match=match):
        urbansat.open_wind(p, variables=variables, sigma=1.0)


@pytest.mark.parametrize("crs", ["EPSG:999999", "bogus", -5])
def test_an_unknown_boundary_crs_is_a_crs_error_naming_the_file(crs, project_samples):
    """pyproj's own CRSError escaped from read_boundaries (a traceback in `urbansat run`)."""
    p = project_samples / "boundaries" / "china_selected_cities.geojson"
    with (
        untouched(p),
        pytest.raises(
            urbansat.errors.CRSError, match=r"china_selected_cities.*not a CRS pyproj knows"
        ),
    ):
        urbansat.read_boundaries(p, level="county", crs=crs)


def test_a_gosat_time_string_that_is_not_a_time_is_named(tmp_path):
    """A corrupt ``scanAttribute/time`` string is a schema error naming it, not "unreadable"."""
    import h5py

    from urbansat.errors import SchemaError
    from urbansat.testing.granules import write_gosat_fts

    g = write_gosat_fts(tmp_path)
    with h5py.File(g, "a") as h:
        t = h["scanAttribute/time"][()]
        t[3] = b"2020-13-45 99:00:00.000"
        h["scanAttribute/time"][...] = t
    with (
        untouched(g),
        pytest.raises(SchemaError, match=r"scanAttribute/time .* '2020-13-45 99:00:00.000'"),
    ):
        urbansat.open_granules(g)
