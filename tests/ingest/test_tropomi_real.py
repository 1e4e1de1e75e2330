"""Real TROPOMI CH4 files (data/samples/tropomi_ch4, copied from ../shared/samples)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import urbansat
from urbansat.errors import EmptyResultWarning, MissingVariableError, UrbansatWarning
from urbansat.ingest.readers import guess_reader
from urbansat.schema import to_soundings

BOWEN = (
    "S5P_RPRO_L2__CH4____20220722T025309_20220722T043439_24725_03_020400_20230201T033930.SUB.nc4"
)
SAHARA = (
    "S5P_OFFL_L2__CH4____20190311T101655_20190311T115825_07293_01_010202_20190317T121015.SUB.nc4"
)
STRIPPED = "S5P_OFFL_L2__CH4____20200303T013547_20200303T031717_12367_01_010302_20200306T053811.nc"
ORBIT = (
    "test_var_subsetting_tropomi_S5P_OFFL_L2__CH4____20190319T110835_20190319T125006_"
    "07407_01_010202_20190325T125810_subset.nc4"
)


@pytest.fixture(scope="module")
def tdir(project_samples):
    return project_samples / "tropomi_ch4"


def test_bowen_basin_269_soundings_mean_xch4(tdir):
    ds = urbansat.open_granules(tdir / BOWEN)
    assert ds.attrs["product"] == "tropomi_l2_ch4" and ds.attrs["product_version"] == "2.4.0"
    assert ds.attrs["layout"] == "v2"
    assert dict(ds.sizes) == {"y": 39, "x": 23, "corner": 4, "level": 12}
    assert ds.xch4.chunks is not None  # lazy dask
    assert int(ds.qa_pass.sum()) == 269
    mean = float(ds.xch4.where(ds.qa_pass).mean())
    assert mean == pytest.approx(1834.5, abs=0.1)
    assert ds.xch4.attrs["units"] == "ppb" and "bias_corrected" in ds.xch4.attrs["source"]
    flat = to_soundings(ds)
    assert flat.sizes["sounding"] == 269


def test_bowen_basin_vertical_and_winds(tdir):
    ds = urbansat.open_granules(tdir / BOWEN).compute()
    good = ds.qa_pass.values
    p = ds.pressure.values[good]
    # TOA first: pressure increases with level, all below surface pressure
    assert np.all(np.diff(p, axis=-1) > 0)
    assert np.all(p[:, -1] < ds.surface_pressure.values[good])
    np.testing.assert_allclose(ds.pressure_weight.sum("level").values[good], 1.0, rtol=1e-5)
    # a-priori: stratospheric top layer (< 1500 ppb), tropospheric ~1860 ppb
    prof = ds.xch4_profile_apriori.values[good]
    assert np.all(prof[:, 0] < 1500) and np.all(np.abs(prof[:, -1] - 1865) < 40)
    # prior column == sum_k w_k * prior_k
    col = (ds.pressure_weight * ds.xch4_profile_apriori).sum("level").values[good]
    np.testing.assert_allclose(ds.xch4_apriori.values[good], col, rtol=1e-5)
    assert (
        ds.eastward_wind.attrs["units"] == "m s-1"
        and np.isfinite(ds.eastward_wind.values[good]).all()
    )
    assert ds.time.dtype == np.dtype("datetime64[ns]")
    # time = reference + delta_time agrees with the v2 time_utc strings (independent oracle)
    import netCDF4

    with netCDF4.Dataset(tdir / BOWEN) as nc:
        utc = np.array(nc["PRODUCT/time_utc"][0, :], dtype=str)
    expected = np.array([np.datetime64(u.rstrip("Z"), "ns") for u in utc])
    assert np.all(np.abs(ds.time.values[:, 0] - expected) <= np.timedelta64(1, "ms"))
    # GES DISC subset: pixels of the bounding rectangle outside the box are masked
    assert np.isnan(ds.latitude.values).sum() == 39 * 23 - 615


def test_sahara_v1_no_qa_pass_gives_empty_with_warning(tdir):
    with pytest.warns(EmptyResultWarning, match="No sounding passes"):
        ds = urbansat.open_granules(tdir / SAHARA)
    assert ds.sizes["y"] == 0
    urbansat.validate_granule(ds)
    ds_all = urbansat.open_granules(tdir / SAHARA, qa="none")
    assert int(ds_all.qa_pass.sum()) == 3
    assert ds_all.attrs["layout"] == "v1" and ds_all.attrs["product_version"] == "1.2.2"


def test_stripped_granule_names_product_group(tdir):
    with pytest.raises(MissingVariableError, match="'PRODUCT' group") as ei:
        urbansat.open_granules(tdir / STRIPPED)
    assert STRIPPED in str(ei.value)


def test_full_orbit_variable_subset(tdir):
    with pytest.raises(MissingVariableError, match="qa='none'"):
        urbansat.open_granules(tdir / ORBIT)
    with pytest.warns(UrbansatWarning, match="NOT bias-corrected"):
        ds = urbansat.open_granules(tdir / ORBIT, qa="none")
    assert dict(ds.sizes) == {"y": 3245, "x": 215}
    assert "latitude_bounds" not in ds and "qa_value" not in ds
    assert "not bias-corrected" in ds.xch4.attrs["comment"].lower()
    assert "variable_subset" in ds.attrs
    assert int(ds.qa_pass.sum()) == 52210
    lon = ds.longitude.values
    assert np.nanmin(lon) >= -180 and np.nanmax(lon) < 180
    # antimeridian: some scanlines jump across +-180 (polar part of the orbit)
    jumps = np.abs(np.diff(lon, axis=1)) > 180
    assert jumps.any()


def test_full_orbit_bbox_across_antimeridian(tdir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UrbansatWarning)
        full = urbansat.open_granules(tdir / ORBIT, qa="none", chunks=None)
        lat, lon = full.latitude.values, full.longitude.values
        box = (170.0, 60.0, -170.0, 90.0)
        inside = (lat >= 60) & ((lon >= 170) | (lon <= -170))
        rows = np.flatnonzero(inside.any(axis=1))
        # there is geolocation but no retrieval there (polar night side): empty, not a crash
        with pytest.warns(EmptyResultWarning):
            ds = urbansat.open_granules(tdir / ORBIT, qa="none", bbox=box)
    assert rows.size > 0 and ds.sizes["y"] == 0


def test_bbox_window_real(tdir):
    box = (148.5, -23.0, 149.5, -22.5)
    ds = urbansat.open_granules(tdir / BOWEN, bbox=box)
    full = urbansat.open_granules(tdir / BOWEN)
    assert ds.sizes["y"] < full.sizes["y"] and ds.sizes["x"] < full.sizes["x"]
    lat, lon = ds.latitude.values, ds.longitude.values
    inside = (lat >= -23) & (lat <= -22.5) & (lon >= 148.5) & (lon <= 149.5)
    f_lat, f_lon = full.latitude.values, full.longitude.values
    f_inside = (f_lat >= -23) & (f_lat <= -22.5) & (f_lon >= 148.5) & (f_lon <= 149.5)
    assert inside.sum() == f_inside.sum() > 0  # the window keeps every sounding in the box


def test_detected_by_content_without_official_name(tdir, tmp_path):
    p = tmp_path / "granule.nc"
    p.write_bytes((tdir / BOWEN).read_bytes())
    assert guess_reader(p).name == "tropomi_l2_ch4"
    assert int(urbansat.open_granules(p).qa_pass.sum()) == 269


def test_raw_flags_keep_native_dtype(tdir):
    ds = urbansat.open_granules(tdir / BOWEN)
    assert ds.surface_classification.dtype == np.uint8
    assert ds.processing_quality_flags.dtype == np.uint32
    assert (
        ds.qa_value.dtype.kind == "f" and float(ds.qa_value.max()) <= 1.0
    )  # scale_factor 0.01 applied
