"""Reader fixes of the probe round F (repros in the probe's notes; one test per fix)."""

from __future__ import annotations

import shutil
from pathlib import Path

import netCDF4
import numpy as np
import pytest

import urbansat
from urbansat.errors import SchemaError
from urbansat.ingest.granules import granule_summary
from urbansat.testing.granules import write_gosat_fts, write_oco_lite, write_tropomi_ch4


def _copy(src: Path, dst_dir: Path) -> Path:
    dst_dir.mkdir()
    dst = dst_dir / src.name
    shutil.copy(src, dst)
    return dst


# --- 1. OCO Lite: the product fill -999999 is masked also when another _FillValue is declared
def test_oco_lite_product_fill_masked_when_variable_declares_nan_fill(tmp_path):
    src = write_oco_lite(tmp_path / "a", n_frames=40)
    dst = _copy(src, tmp_path / "b")
    with netCDF4.Dataset(dst, "a") as nc:
        for grp, name, units in (
            ("Retrieval", "psurf", "hPa"),
            ("Meteorology", "windspeed_u_met", "m s-1"),
        ):
            g = nc[grp]
            x = g[name][:].filled(-999999.0)
            x[::7] = -999999.0  # the producer's fill on some soundings
            g.renameVariable(name, name + "_orig")
            v = g.createVariable(name, "f4", ("sounding_id",), fill_value=np.float32(np.nan))
            v.units = units
            v[:] = x
    before = dst.read_bytes()
    ds = urbansat.open_granules(dst)
    assert dst.read_bytes() == before
    sp, u = ds.surface_pressure.values, ds.eastward_wind.values
    assert not (sp == -99999900).any()
    assert not (u == -999999).any()
    # the filled soundings are NaN, the others keep their values
    assert np.isnan(sp).sum() > 0
    assert np.nanmin(sp) > 50000


# --- 2. SMARTCARB: the seeded noise of a pixel does not depend on the window
def _write_smartcarb(path: Path, nobs: int = 30, nrows: int = 12) -> Path:
    rng = np.random.default_rng(1)
    with netCDF4.Dataset(path, "w") as nc:
        nc.createDimension("nobs", nobs)
        nc.createDimension("nrows", nrows)
        nc.createDimension("ncorners", 4)
        lat = 51.0 + 0.02 * np.arange(nobs)[:, None] + 0.0 * np.arange(nrows)
        lon = 13.0 + 0.03 * np.arange(nrows)[None, :] + 0.0 * lat
        fields = {
            "XCO2_BG": 400.0 + rng.normal(0, 0.1, (nobs, nrows)),
            "XCO2_RA": np.full((nobs, nrows), 1.0),
            "XCO2_GPP": np.full((nobs, nrows), 2.0),
            "XCO2_TOT": np.full((nobs, nrows), 0.5),
            "CLCT": np.zeros((nobs, nrows)),
            "PS": np.full((nobs, nrows), 100000.0),
            "uXCO2": np.full((nobs, nrows), 0.7),
            "latitude": lat,
            "longitude": lon,
            "time": np.full((nobs, nrows), 0.0),
        }
        for name, values in fields.items():
            v = nc.createVariable(name, "f4", ("nobs", "nrows"))
            v[:] = values
        nc["time"].units = "seconds since 2015-04-23 11:00:00"
        for name, base in (("latitude_corners", lat), ("longitude_corners", lon)):
            v = nc.createVariable(name, "f4", ("nobs", "nrows", "ncorners"))
            v[:] = base[..., None] + np.array([-0.01, 0.01, 0.01, -0.01])
    return path


def test_smartcarb_noise_does_not_depend_on_the_window(tmp_path):
    from urbansat.ingest.readers.smartcarb import SmartcarbReader

    p = _write_smartcarb(tmp_path / "Sentinel_7_CO2_2015042311_o1670_l0483.nc")
    before = p.read_bytes()
    reader = SmartcarbReader()
    full = reader.open_dataset(p, noise_ppm=0.5, seed=0).load()
    rows, cols = slice(7, 19), slice(3, 10)
    sub = reader.open_dataset(p, noise_ppm=0.5, seed=0, window=(rows, cols)).load()
    assert p.read_bytes() == before
    np.testing.assert_array_equal(sub.xco2.values, full.xco2.isel(y=rows, x=cols).values)
    # the noise is there (the field differs from the noise-free one)
    clean = reader.open_dataset(p).load()
    assert np.abs(full.xco2.values - clean.xco2.values).mean() > 0.1


# --- 3. variables=[one variable of a pair / derived group] on valid files
@pytest.fixture(scope="module")
def pair_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("pairs")
    return {
        "tropomi": write_tropomi_ch4(d / "t", n_scanlines=12, n_pixels=6),
        "oco": write_oco_lite(d / "o", n_frames=20),
        "gosat": write_gosat_fts(d / "g"),
    }


@pytest.mark.parametrize(
    ("product", "requested", "returned"),
    [
        ("tropomi", "pressure", ["pressure"]),
        ("tropomi", "latitude_bounds", ["latitude_bounds", "longitude_bounds"]),
        ("tropomi", "longitude_bounds", ["latitude_bounds", "longitude_bounds"]),
        ("tropomi", "eastward_wind", ["eastward_wind"]),
        ("tropomi", "northward_wind", ["northward_wind"]),
        ("oco", "latitude_bounds", ["latitude_bounds", "longitude_bounds"]),
        ("oco", "longitude_bounds", ["latitude_bounds", "longitude_bounds"]),
        ("gosat", "footprint_latitude", ["latitude_bounds", "longitude_bounds"]),
        ("gosat", "footprint_longitude", ["latitude_bounds", "longitude_bounds"]),
    ],
)
def test_one_variable_of_a_pair_is_read_with_its_companion(
    pair_files, product, requested, returned
):
    p = pair_files[product]
    before = p.read_bytes()
    full = urbansat.open_granules(p)
    ds = urbansat.open_granules(p, variables=[requested])
    assert p.read_bytes() == before
    for name in returned:
        assert name in ds, f"{requested} -> {name} missing"
        # normalized exactly as in the full read (unwrapped corners, masked fills, CF attrs)
        np.testing.assert_array_equal(ds[name].values, full[name].values)
        assert ds[name].attrs == full[name].attrs


# --- 4. OCO-3 target= with variables=
def test_oco3_target_with_variables_reads_the_target_variables(tmp_path):
    p = write_oco_lite(
        tmp_path, platform="oco3", mode="sam", target="fossil_Los_Angeles_USA", n_frames=20
    )
    before = p.read_bytes()
    whole = urbansat.open_granules(p, target="fossil0005")
    ds = urbansat.open_granules(p, target="fossil0005", variables=("xco2_apriori",))
    ds0 = urbansat.open_granules(p, target="fossil0005", variables=())
    assert p.read_bytes() == before
    assert int(ds.qa_pass.sum()) == int(whole.qa_pass.sum()) == int(ds0.qa_pass.sum()) > 0
    assert "xco2_apriori" in ds


# --- 5. granule_summary of a swath beside 180 E
def test_granule_summary_bbox_across_the_antimeridian(tmp_path):
    p = write_oco_lite(tmp_path, n_frames=60, center=(179.98, 0.0))
    ds = urbansat.open_granules(p)
    lon_min, _, lon_max, _ = granule_summary(ds)["bbox"]
    assert lon_min > lon_max  # a box across 180 E, not -180..180
    assert 179.5 < lon_min < 180.0
    assert -180.0 <= lon_max < -179.5
    # open_granules takes that box back and keeps every sounding
    box = granule_summary(ds)["bbox"]
    again = urbansat.open_granules(p, bbox=box)
    assert int(again.qa_pass.sum()) == int(ds.qa_pass.sum())


def test_granule_summary_bbox_unchanged_away_from_the_antimeridian(tmp_path):
    p = write_oco_lite(tmp_path, n_frames=40)
    ds = urbansat.open_granules(p)
    lon = ds.longitude.values[np.isfinite(ds.xco2.values)]
    lon_min, _, lon_max, _ = granule_summary(ds)["bbox"]
    assert lon_min <= float(lon.min()) < lon_min + 1e-4  # rounded outward
    assert lon_max - 1e-4 < float(lon.max()) <= lon_max
    again = urbansat.open_granules(p, bbox=granule_summary(ds)["bbox"])
    assert int(again.qa_pass.sum()) == int(ds.qa_pass.sum())


# --- 6. OCO Lite: surface-first levels are refused, not labelled TOA first
@pytest.mark.parametrize("variables", [None, ["column_averaging_kernel"], ["pressure"]])
def test_oco_lite_surface_first_levels_refused(tmp_path, variables):
    src = write_oco_lite(tmp_path / "a", n_frames=20)
    dst = _copy(src, tmp_path / "b")
    with netCDF4.Dataset(dst, "a") as nc:
        for v in ("pressure_levels", "xco2_averaging_kernel", "co2_profile_apriori"):
            nc.variables[v][:] = nc.variables[v][:][:, ::-1]
        nc.variables["pressure_weight"][:] = nc.variables["pressure_weight"][:][:, ::-1]
    before = dst.read_bytes()
    with pytest.raises(SchemaError, match="pressure_levels decrease with the level index") as e:
        urbansat.open_granules(dst, variables=variables)
    assert str(dst) in str(e.value)
    assert "top of the atmosphere first" in str(e.value)
    assert dst.read_bytes() == before
    # the original (TOA first) file opens and says so
    ok = urbansat.open_granules(src, variables=variables)
    assert ok.attrs["level_order"] == "top of atmosphere first"


def test_smartcarb_noise_same_with_and_without_bbox(shared_samples):
    f = shared_samples / "smartcarb" / "Sentinel_7_CO2_2015042311_o1670_l0483.nc"
    if not f.is_file():
        pytest.skip(f"{f} not found")
    opt = {"noise_ppm": 0.5, "seed": 0}
    full = urbansat.open_granules(f, reader_options=opt)
    sub = urbansat.open_granules(f, bbox=(14.0, 51.5, 14.8, 52.0), reader_options=opt)
    flat = {
        (round(float(a), 6), round(float(b), 6)): v
        for a, b, v in zip(
            full.latitude.values.ravel(),
            full.longitude.values.ravel(),
            full.xco2.values.ravel(),
            strict=True,
        )
    }
    d = [
        abs(v - flat[(round(float(a), 6), round(float(b), 6))])
        for a, b, v in zip(
            sub.latitude.values.ravel(),
            sub.longitude.values.ravel(),
            sub.xco2.values.ravel(),
            strict=True,
        )
        if np.isfinite(v) and (round(float(a), 6), round(float(b), 6)) in flat
    ]
    assert len(d) > 100
    assert max(d) == 0.0


def test_tropomi_pressure_without_layer_count_is_a_clear_error():
    import xarray as xr

    from urbansat.errors import MissingVariableError
    from urbansat.ingest.readers.tropomi_ch4 import _vertical

    ds = xr.Dataset(
        {
            "surface_pressure": (("y", "x"), np.full((2, 3), 98000.0)),
            "pressure_interval": (("y", "x"), np.full((2, 3), 8000.0)),
        }
    )
    with pytest.raises(MissingVariableError, match=r"'pressure'.*pressure_weight"):
        _vertical(ds, None, "granule.nc")
    p = _vertical(ds, 12, "granule.nc")["pressure"]
    assert p.sizes["level"] == 12
    np.testing.assert_allclose(p.values[0, 0, [0, -1]], [98000 - 11.5 * 8000, 94000])
