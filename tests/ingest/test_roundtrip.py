"""Synthetic official-layout files round-trip through the production readers."""

from __future__ import annotations

import netCDF4
import numpy as np
import pytest
import xarray as xr

import urbansat
from urbansat.ingest.granules import select_target
from urbansat.ingest.readers import guess_reader
from urbansat.testing.granules import (
    OCO3_TARGETS,
    background_xch4,
    background_xco2,
    make_swath,
    write_gosat_fts,
    write_oco_lite,
    write_tropomi_ch4,
)


def _plume(lon, lat):
    """A known Gaussian enhancement (ppm) centred on Los Angeles."""
    lon0, lat0 = OCO3_TARGETS["fossil_Los_Angeles_USA"][1:]
    return 3.0 * np.exp(-(((lon - lon0) / 0.02) ** 2 + ((lat - lat0) / 0.05) ** 2))


@pytest.mark.parametrize(
    "platform,reader",
    [("oco2", "oco2_l2_lite"), ("oco3", "oco3_l2_lite"), ("acos", "acos_l2_lite")],
)
@pytest.mark.parametrize("version", ["v10", "v11"])
def test_oco_lite_roundtrip(tmp_path, platform, reader, version):
    p = write_oco_lite(
        tmp_path,
        platform=platform,
        version=version,
        n_frames=40,
        noise=0.0,
        enhancement=_plume,
        seed=3,
    )
    assert p.name.startswith(f"{platform}_LtCO2_200704_B1")
    assert guess_reader(p).name == reader
    ds = urbansat.open_granules(p, chunks={"y": 7, "x": 3}).compute()
    assert ds.attrs["product"] == reader and ds.attrs["version"] == version
    nfp = 1 if platform == "acos" else 8
    # official file: read the raw soundings independently
    with netCDF4.Dataset(p) as nc:
        sid = nc["sounding_id"][:]
        qf = nc["xco2_quality_flag"][:]
        plev = nc["pressure_levels"][:]
    if platform == "acos":  # one sounding per row
        y, x = np.argsort(np.argsort(sid)), np.zeros(sid.size, int)
        assert ds.sizes["y"] == sid.size and ds.sizes["x"] == 1
    else:
        y = np.searchsorted(np.unique(sid // 10), sid // 10)
        x = sid % 10 - 1
        assert ds.sizes["y"] == np.unique(sid // 10).size and ds.sizes["x"] == 8
    # values: known field at the footprint centres (float32 in the file)
    truth = background_xco2(ds.longitude.values, ds.latitude.values) + _plume(
        ds.longitude.values, ds.latitude.values
    )
    ok = np.isfinite(ds.xco2.values)
    assert ok.sum() == sid.size
    np.testing.assert_allclose(ds.xco2.values[ok], truth[ok], atol=1e-3)
    assert ds.xco2.attrs["units"] == "ppm" and ds.xco2_uncertainty.attrs["units"] == "ppm"
    # fill: positions without a sounding are NaN / False / -1
    assert (~ok).sum() == ds.sizes["y"] * ds.sizes["x"] - sid.size
    assert not ds.qa_pass.values[~ok].any()
    assert (ds.sounding_id.values[~ok] == -1).all()
    np.testing.assert_array_equal(ds.sounding_id.values[y, x], sid)
    # QA: qa_pass <=> xco2_quality_flag == 0
    assert int(ds.qa_pass.sum()) == int((qf == 0).sum())
    np.testing.assert_array_equal(ds.xco2_quality_flag.values[y, x], qf)
    # levels: TOA first, hPa -> Pa
    np.testing.assert_allclose(ds.pressure.values[y, x], plev * 100.0, rtol=1e-6)
    assert ds.pressure.attrs["units"] == "Pa" and ds.surface_pressure.attrs["units"] == "Pa"
    assert np.all(np.diff(ds.pressure.values[y, x], axis=-1) > 0)
    np.testing.assert_allclose(ds.pressure_weight.values[y, x].sum(-1), 1.0, rtol=1e-5)
    assert float(ds.surface_pressure.values[y, x][0]) == pytest.approx(100000.0)
    assert float(ds.eastward_wind.values[y, x][0]) == 3.0
    # corners enclose the centre, counter-clockwise
    lo, la = ds.longitude_bounds.values[y, x], ds.latitude_bounds.values[y, x]
    assert np.all(lo.min(-1) < ds.longitude.values[y, x]) and np.all(
        la.max(-1) > ds.latitude.values[y, x]
    )
    lo = lo.astype("f8") - ds.longitude.values[y, x, None]
    la = la.astype("f8") - ds.latitude.values[y, x, None]
    area2 = (
        (lo[:, 0] * la[:, 1] - lo[:, 1] * la[:, 0])
        + (lo[:, 1] * la[:, 2] - lo[:, 2] * la[:, 1])
        + (lo[:, 2] * la[:, 3] - lo[:, 3] * la[:, 2])
        + (lo[:, 3] * la[:, 0] - lo[:, 0] * la[:, 3])
    )
    assert np.all(area2 > 0)
    assert ds.time.dtype == np.dtype("datetime64[ns]")
    assert int(ds.footprint.values[-1]) == nfp


def test_oco_noise_is_seeded_and_known(tmp_path):
    p = write_oco_lite(tmp_path, n_frames=200, noise=0.7, seed=11, missing_fraction=0.0)
    ds = urbansat.open_granules(p, qa="none").compute()
    resid = ds.xco2.values - background_xco2(ds.longitude.values, ds.latitude.values)
    assert np.nanstd(resid) == pytest.approx(0.7, rel=0.05)
    assert abs(np.nanmean(resid)) < 0.7 * 4 / np.sqrt(1600)
    np.testing.assert_allclose(ds.xco2_uncertainty.values, 0.7, rtol=1e-6)


def test_oco3_sam_selection(tmp_path):
    sam = write_oco_lite(
        tmp_path / "a", platform="oco3", target="fossil_Los_Angeles_USA", n_frames=30
    )
    ds = urbansat.open_granules(sam)
    assert set(np.unique(ds.target_name.values)) <= {"fossil_Los_Angeles_USA", ""}
    assert int(ds.operation_mode.max()) == 4
    sel = select_target(ds, "fossil_Los_Angeles_USA")
    assert sel.attrs["target"] == "fossil_Los_Angeles_USA"
    assert int(sel.qa_pass.sum()) == int(ds.qa_pass.sum())
    same = urbansat.open_granules(sam, target="fossil0005")
    assert int(same.qa_pass.sum()) == int(ds.qa_pass.sum())
    with pytest.raises(urbansat.EmptySelectionError, match="fossil_Los_Angeles_USA"):
        select_target(ds, "fossil_Paris_France")
    with pytest.raises(urbansat.EmptySelectionError):
        select_target(ds, "fossil_Los_Angeles_USA", mode="target")


@pytest.mark.parametrize("platform", ["gosat", "gosat2"])
@pytest.mark.parametrize("gas", ["co2", "ch4"])
def test_gosat_fts_roundtrip(tmp_path, platform, gas):
    p = write_gosat_fts(tmp_path, platform=platform, gas=gas, noise=0.0, n_soundings=30, seed=2)
    assert p.name.startswith("GOSATTFTS2" if platform == "gosat" else "GOSAT2TFTS2")
    ds = urbansat.open_granules(p).compute()
    var = f"x{gas}"
    assert ds.attrs["product"] == "gosat_l2_fts" and ds.attrs["gas"] == gas
    assert ds.attrs["platform"] == ("GOSAT" if platform == "gosat" else "GOSAT-2")
    assert dict(ds.sizes) == {"y": 30, "x": 1, "corner": 4}
    bg = background_xco2 if gas == "co2" else background_xch4
    np.testing.assert_allclose(
        ds[var].values, bg(ds.longitude.values, ds.latitude.values), rtol=2e-7 * 10
    )
    assert ds[var].attrs["units"] == ("ppm" if gas == "co2" else "ppb")
    import h5py

    with h5py.File(p) as h:
        flag = h["Data/retrievalQuality/totalPostScreeningResult"][:]
        assert (
            h["Data/mixingRatio"][f"X{gas.upper()}BiasCorrected"].attrs["unit"]
            == ds[var].attrs["units"].encode()
        )
    assert int(ds.qa_pass.sum()) == int((flag == 0).sum())
    assert np.all(np.diff(ds.time.values[:, 0]) > np.timedelta64(0))
    # 36-point circle -> bounding box of 10.5 km diameter
    dlat = ds.latitude_bounds.values[..., 2] - ds.latitude_bounds.values[..., 0]
    np.testing.assert_allclose(dlat, 10.5 / 111.195, rtol=1e-3)


def test_gosat_fill_masked(tmp_path):
    vals = np.full(20, 410.0)
    vals[5] = -9999.0
    p = write_gosat_fts(tmp_path, n_soundings=20, values=vals, noise=0.0, bad_fraction=0.0)
    ds = urbansat.open_granules(p)
    assert np.isnan(ds.xco2.values[5, 0]) and not bool(ds.qa_pass.values[5, 0])
    assert int(ds.qa_pass.sum()) == 19


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_tropomi_roundtrip(tmp_path, version):
    def plume(lon, lat):
        return 50.0 * np.exp(-(((lon - 149.0) / 0.1) ** 2 + ((lat + 22.75) / 0.1) ** 2))

    p = write_tropomi_ch4(
        tmp_path, version=version, noise=0.0, enhancement=plume, n_scanlines=30, n_pixels=20
    )
    assert guess_reader(p).name == "tropomi_l2_ch4"
    ds = urbansat.open_granules(p).compute()
    assert ds.attrs["layout"] == version
    truth = background_xch4(ds.longitude.values, ds.latitude.values) + plume(
        ds.longitude.values, ds.latitude.values
    )
    np.testing.assert_allclose(ds.xch4.values, truth, atol=2e-3 * 1850 / 1000)
    with netCDF4.Dataset(p) as nc:
        qa = nc["PRODUCT/qa_value"][0]
    assert int(ds.qa_pass.sum()) == int((qa >= 0.5).sum())
    # layer pressures: mid-points of 12 equal layers of 98000/12 Pa, TOA first
    dp = 98000.0 / 12
    np.testing.assert_allclose(ds.pressure.values[0, 0], (np.arange(12) + 0.5) * dp, rtol=1e-5)
    np.testing.assert_allclose(ds.pressure_weight.values[0, 0], 1 / 12, rtol=1e-5)
    np.testing.assert_allclose(
        ds.xch4_profile_apriori.values[0, 0, :2], [1400.0, 1870.0], rtol=1e-5
    )
    assert ("eastward_wind" in ds) == (version == "v2")


def test_tropomi_antimeridian_corners(tmp_path):
    p = write_tropomi_ch4(tmp_path, center=(179.95, 10.0), n_scanlines=10, n_pixels=12, noise=0.0)
    ds = urbansat.open_granules(p).compute()
    lon, lonb = ds.longitude.values, ds.longitude_bounds.values
    assert lon.min() >= -180 and lon.max() < 180 and lon.min() < -179 and lon.max() > 179
    # corners continuous with their centre: a footprint never spans more than its width
    assert np.all(np.abs(lonb - lon[..., None]) < 0.1)
    assert "antimeridian" in ds.attrs
    sel = urbansat.open_granules(p, bbox=(179.9, 9.0, -179.9, 11.0))
    assert 0 < sel.sizes["x"] < 12


def test_numpy_equals_dask_uneven_chunks(tmp_path):
    for p in (
        write_tropomi_ch4(tmp_path, n_scanlines=23, n_pixels=17),
        write_oco_lite(tmp_path, n_frames=23),
        write_gosat_fts(tmp_path, n_soundings=23),
    ):
        eager = urbansat.open_granules(p, chunks=None).compute()
        lazy = urbansat.open_granules(p, chunks={"y": 5, "x": 3})
        assert lazy[next(iter(lazy.data_vars))].chunks is not None
        assert (
            lazy.xco2.chunks[0][:2] == (5, 5)
            if "xco2" in lazy
            else lazy.xch4.chunks[0][:2] == (5, 5)
        )
        xr.testing.assert_identical(eager, lazy.compute())


def test_many_granules_concat_sorted(tmp_path):
    late = write_tropomi_ch4(
        tmp_path / "b", date="2022-07-23T03:30:00", orbit=24739, n_scanlines=10, n_pixels=8
    )
    early = write_tropomi_ch4(
        tmp_path / "a", date="2022-07-22T03:30:00", version="v1", n_scanlines=12, n_pixels=6
    )
    ds = urbansat.open_granules([late, early])
    assert ds.sizes["y"] == 22 and ds.sizes["x"] == 8
    assert ds.attrs["source_files"] == [str(early), str(late)]
    np.testing.assert_array_equal(ds.granule.values, [0] * 12 + [1] * 10)
    t = ds.time.values[:, 0]
    assert np.all(np.diff(t) >= np.timedelta64(0))
    assert not ds.qa_pass.values[:12, 6:].any()  # padding of the narrower granule
    assert ds.surface_classification.dtype == np.uint8  # flags padded with their fill, not NaN
    assert (ds.surface_classification.values[:12, 6:] == 255).all()
    assert np.isnat(ds.time.values[:12, 6:]).all() and np.isnan(ds.latitude.values[:12, 6:]).all()
    # v1 has no ECMWF wind: NaN there, values from the v2 granule
    assert (
        np.isnan(ds.eastward_wind.values[:12]).all() and (ds.eastward_wind.values[12:] == 4.0).all()
    )
    # time filter prunes the whole late granule before reading it
    one = urbansat.open_granules([late, early], time=("2022-07-22", "2022-07-22T23:59"))
    assert one.sizes["y"] == 12 and one.attrs["source_files"] == [str(early)]


def test_make_swath_valid():
    ds = make_swath(gas="ch4", shape_yx=(9, 4), noise=0.0, chunks={"y": 4})
    np.testing.assert_allclose(ds.xch4.values, ds.xch4_truth.values, rtol=1e-6)
    urbansat.validate_granule(ds)


def test_lazy_datasets_pickle_for_distributed(tmp_path, project_samples):
    """Workers of dask.distributed receive the graph by pickle: results must survive it."""
    import pickle

    bowen = (
        project_samples
        / "tropomi_ch4"
        / (
            "S5P_RPRO_L2__CH4____20220722T025309_20220722T043439_24725_03_020400_20230201T033930.SUB.nc4"
        )
    )
    for p in (
        bowen,
        write_oco_lite(tmp_path, n_frames=9),
        write_gosat_fts(tmp_path, n_soundings=9),
    ):
        ds = urbansat.open_granules(p, chunks={"y": 4})
        back = pickle.loads(pickle.dumps(ds))
        xr.testing.assert_identical(ds.compute(), back.compute())


def test_oco_zero_latitude_and_vertex_masks(tmp_path):
    """Spec: soundings at latitude == 0 (longitude 0) and vertices at (0, 0) are producer fill."""
    p = write_oco_lite(tmp_path, n_frames=6, missing_fraction=0.0, bad_fraction=0.0, noise=0.0)
    with netCDF4.Dataset(p, "a") as nc:
        sid = nc["sounding_id"][:]
        nc["latitude"][0] = 0.0
        nc["longitude"][0] = 0.0
        vlat, vlon = nc["vertex_latitude"][:], nc["vertex_longitude"][:]
        vlat[1, 2] = 0.0
        vlon[1, 2] = 0.0
        nc["vertex_latitude"][:] = vlat
        nc["vertex_longitude"][:] = vlon
    ds = urbansat.open_granules(p).compute()
    y0, x0 = 0, int(sid[0] % 10) - 1
    assert np.isnan(ds.latitude.values[y0, x0]) and np.isnan(ds.xco2.values[y0, x0])
    assert not ds.qa_pass.values[y0, x0]
    y1, x1 = 0, int(sid[1] % 10) - 1
    assert np.isnan(ds.latitude_bounds.values[y1, x1, 2]) and np.isnan(
        ds.longitude_bounds.values[y1, x1, 2]
    )
    assert np.isfinite(ds.latitude_bounds.values[y1, x1, [0, 1, 3]]).all()
    assert int(ds.qa_pass.sum()) == sid.size - 1


def test_oco_unsorted_soundings_same_swath(tmp_path):
    """A Lite file whose soundings are not sorted by sounding_id gives the same swath."""
    p = write_oco_lite(tmp_path / "a", n_frames=12, seed=5)
    q = tmp_path / "b" / p.name
    q.parent.mkdir()
    tree = xr.open_groups(p, decode_times=False)
    perm = np.random.default_rng(0).permutation(tree["/"].sizes["sounding_id"])
    for i, (grp, g0) in enumerate(tree.items()):
        g = g0.isel(sounding_id=perm) if "sounding_id" in g0.dims else g0
        g.to_netcdf(q, mode="w" if i == 0 else "a", group=None if grp == "/" else grp.strip("/"))
    a = urbansat.open_granules(p, chunks={"y": 5}).compute()
    b = urbansat.open_granules(q, chunks={"y": 5}).compute()
    for v in ("xco2", "qa_pass", "sounding_id", "pressure", "longitude_bounds", "time"):
        xr.testing.assert_equal(a[v], b[v])


def test_oco3_sam_sweeps_cover_an_area(tmp_path):
    p = write_oco_lite(
        tmp_path,
        platform="oco3",
        target="fossil_Los_Angeles_USA",
        n_frames=36,
        n_sweeps=7,
        noise=0.0,
        enhancement=_plume,
        missing_fraction=0.0,
    )
    ds = urbansat.open_granules(p, target="fossil_Los_Angeles_USA").compute()
    assert ds.sizes["y"] == 36 * 7
    lon, lat = ds.longitude.values, ds.latitude.values
    width_km = (np.nanmax(lon) - np.nanmin(lon)) * 111.195 * np.cos(np.deg2rad(34.05))
    assert 65 < width_km < 80  # 7 sweeps x 8 footprints x 1.3 km
    # the plume maximum sits on the target, and the values are the known field
    j = np.nanargmax(ds.xco2.values)
    assert abs(lon.ravel()[j] + 118.24532) < 0.02 and abs(lat.ravel()[j] - 34.05349) < 0.05
    np.testing.assert_allclose(
        ds.xco2.values, background_xco2(lon, lat) + _plume(lon, lat), atol=1e-3
    )


def test_readers_stay_lazy(tmp_path, project_samples):
    """Readers build dask graphs only: no dask computation happens while opening."""
    import dask

    def refuse(*args, **kwargs):
        raise AssertionError("a reader triggered a dask computation")

    bowen = (
        project_samples
        / "tropomi_ch4"
        / (
            "S5P_RPRO_L2__CH4____20220722T025309_20220722T043439_24725_03_020400_20230201T033930.SUB.nc4"
        )
    )
    files = [
        bowen,
        write_oco_lite(tmp_path, n_frames=9),
        write_gosat_fts(tmp_path, n_soundings=9),
        write_tropomi_ch4(tmp_path, n_scanlines=9, n_pixels=4),
    ]
    for p in files:
        reader = guess_reader(p)
        with dask.config.set(scheduler=refuse):
            ds = reader.open_dataset(p, chunks={"y": 4})
        gas = "xco2" if "xco2" in ds else "xch4"
        assert ds[gas].chunks is not None and ds["qa_pass"].chunks is not None


def test_time_filter_timezone_aware(tmp_path):
    p = write_tropomi_ch4(tmp_path, date="2022-07-22T03:30:44", n_scanlines=20, n_pixels=4)
    # 11:30:50 in Beijing (UTC+8) = 03:30:50 UTC: scanlines 7.. (0.84 s apart) onwards
    ds = urbansat.open_granules(p, time=("2022-07-22T11:30:50+08:00", "2022-07-22T12:00+08:00"))
    t = ds.time.values[:, 0]
    assert t.min() >= np.datetime64("2022-07-22T03:30:50") and ds.sizes["y"] == 20 - 8


def test_directory_input(tmp_path):
    write_tropomi_ch4(tmp_path, n_scanlines=4, n_pixels=3)
    write_tropomi_ch4(tmp_path, n_scanlines=5, n_pixels=3, date="2022-07-23T03:00:00")
    (tmp_path / "notes.txt").write_text("not a granule")
    ds = urbansat.open_granules(tmp_path)
    assert ds.sizes["y"] == 9 and len(ds.attrs["source_files"]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(urbansat.InputFileError, match="no file with a known granule name"):
        urbansat.open_granules(empty)


def test_oco3_target_names_as_char_arrays(tmp_path):
    """Target names stored as netCDF char arrays (not vlen strings) decode to str."""
    p = write_oco_lite(tmp_path / "a", platform="oco3", target="fossil_Los_Angeles_USA", n_frames=6)
    q = tmp_path / "b" / p.name
    q.parent.mkdir()
    tree = xr.open_groups(p, decode_times=False)
    for i, (grp, g0) in enumerate(tree.items()):
        g, enc = g0, {}
        if grp == "/Sounding":
            g = g0.assign(
                target_name=g0.target_name.astype("S32"), target_id=g0.target_id.astype("S16")
            )
            enc = {"target_name": {"dtype": "S1"}, "target_id": {"dtype": "S1"}}
        g.to_netcdf(
            q,
            mode="w" if i == 0 else "a",
            group=None if grp == "/" else grp.strip("/"),
            encoding=enc,
        )
    with netCDF4.Dataset(q) as nc:
        assert nc["Sounding/target_name"].dtype == np.dtype("S1")  # really a char array
    ds = urbansat.open_granules(q, chunks={"y": 4})
    assert ds.target_name.dtype == object
    names = set(np.unique(ds.target_name.values.astype(str)))
    assert names <= {"fossil_Los_Angeles_USA", ""}
    assert int(select_target(ds, "fossil0005").qa_pass.sum()) == int(ds.qa_pass.sum())
