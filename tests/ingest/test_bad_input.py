"""Every bad input gives a clear UrbansatError naming the file, the problem and the fix."""

from __future__ import annotations

import netCDF4
import numpy as np
import pytest

import urbansat
from urbansat.errors import (
    EmptySelectionError,
    InputFileError,
    MissingVariableError,
    MixedInputError,
    ProductNotRecognizedError,
    SchemaError,
    UrbansatError,
)
from urbansat.testing.granules import write_gosat_fts, write_oco_lite, write_tropomi_ch4

BOWEN = (
    "S5P_RPRO_L2__CH4____20220722T025309_20220722T043439_24725_03_020400_20230201T033930.SUB.nc4"
)


def test_not_netcdf(tmp_path):
    p = tmp_path / BOWEN
    p.write_text("<html>404 Not Found</html>")
    with pytest.raises(InputFileError, match="not a netCDF or HDF5 file") as ei:
        urbansat.open_granules(p)
    assert str(p) in str(ei.value) and "download" in str(ei.value)
    assert isinstance(ei.value, OSError) and isinstance(ei.value, UrbansatError)


def test_truncated(tmp_path, project_samples):
    src = (project_samples / "tropomi_ch4" / BOWEN).read_bytes()
    p = tmp_path / BOWEN
    p.write_bytes(src[: len(src) // 3])
    with pytest.raises(InputFileError, match=r"truncated|cannot be read") as ei:
        urbansat.open_granules(p)
    assert str(p) in str(ei.value) and "download it again" in str(ei.value)


def test_missing_and_empty_file(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        urbansat.open_granules(tmp_path / "nope.nc")
    (tmp_path / "empty.nc").write_bytes(b"")
    with pytest.raises(InputFileError, match="empty"):
        urbansat.open_granules(tmp_path / "empty.nc")
    with pytest.raises(InputFileError, match="matches no file"):
        urbansat.open_granules(str(tmp_path / "*.nc4"))


def test_unknown_product(tmp_path):
    p = tmp_path / "mystery.nc"
    with netCDF4.Dataset(p, "w") as nc:
        nc.createDimension("n", 3)
        nc.createVariable("foo", "f4", ("n",))[:] = [1, 2, 3]
    with pytest.raises(ProductNotRecognizedError, match="tropomi_l2_ch4") as ei:
        urbansat.open_granules(p)
    assert "mystery.nc" in str(ei.value) and "product=" in str(ei.value)
    with pytest.raises(ProductNotRecognizedError, match="Installed readers"):
        urbansat.open_granules(p, product="oco9_l2_lite")


def test_known_product_missing_required_variable(tmp_path):
    p = write_oco_lite(tmp_path, n_frames=5)
    with netCDF4.Dataset(p, "a") as nc:
        nc.renameVariable("xco2_quality_flag", "renamed_flag")
    with pytest.raises(MissingVariableError, match="xco2_quality_flag") as ei:
        urbansat.open_granules(p)
    assert p.name in str(ei.value) and "oco2_l2_lite" in str(ei.value)
    q = write_tropomi_ch4(tmp_path / "t", n_scanlines=4, n_pixels=3)
    with netCDF4.Dataset(q, "a") as nc:
        nc["PRODUCT"].renameVariable("latitude", "lat_renamed")
    with pytest.raises(MissingVariableError, match=r"latitude.*'PRODUCT'"):
        urbansat.open_granules(q)


def test_unknown_variable_requested(tmp_path):
    p = write_tropomi_ch4(tmp_path, n_scanlines=4, n_pixels=3)
    with pytest.raises(MissingVariableError, match="Available"):
        urbansat.open_granules(p, variables=["not_a_variable"])


def test_all_fill(tmp_path):
    p = write_tropomi_ch4(
        tmp_path,
        n_scanlines=6,
        n_pixels=5,
        noise=0.0,
        values=lambda lon, lat: np.full(lon.shape, 9.96921e36),
    )
    with pytest.raises(InputFileError, match="no valid xch4 value") as ei:
        urbansat.open_granules(p)
    assert p.name in str(ei.value)
    q = write_oco_lite(tmp_path, n_frames=4, noise=0.0, values=-999999.0)
    with pytest.raises(InputFileError, match="no valid xco2"):
        urbansat.open_granules(q)


def test_bbox_selects_nothing(tmp_path):
    p = write_tropomi_ch4(tmp_path, n_scanlines=6, n_pixels=5)
    with pytest.raises(EmptySelectionError, match=r"bbox=.*selects no sounding") as ei:
        urbansat.open_granules(p, bbox=(0.0, 0.0, 1.0, 1.0))
    assert "lon 14" in str(ei.value)  # reports the granule extent
    with pytest.raises(EmptySelectionError, match="time="):
        urbansat.open_granules(p, time=("2001-01-01", "2001-01-02"))
    with pytest.raises(SchemaError, match="lat_min < lat_max"):
        urbansat.open_granules(p, bbox=(148.0, -22.0, 150.0, -23.0))
    with pytest.raises(SchemaError, match="end is before start"):
        urbansat.open_granules(p, time=("2022-07-23", "2022-07-22"))
    with pytest.raises(SchemaError, match="qa="):
        urbansat.open_granules(p, qa="strict")


def test_mixed_products_and_gases(tmp_path):
    t = write_tropomi_ch4(tmp_path, n_scanlines=4, n_pixels=3)
    o = write_oco_lite(tmp_path, n_frames=4)
    with pytest.raises(
        MixedInputError, match=r"tropomi_l2_ch4.*oco2_l2_lite|oco2_l2_lite.*tropomi"
    ) as ei:
        urbansat.open_granules([t, o])
    assert t.name in str(ei.value) and o.name in str(ei.value)
    c = write_gosat_fts(tmp_path / "c", gas="co2")
    m = write_gosat_fts(tmp_path / "m", gas="ch4")
    with pytest.raises(MixedInputError, match="different gases"):
        urbansat.open_granules([c, m])
    with pytest.raises(MixedInputError, match="gas='co2'"):
        urbansat.open_granules([c, m], gas="co2")
    with pytest.raises(MixedInputError):
        urbansat.open_granules(t, gas="co2")
    assert urbansat.open_granules([m], gas="ch4").attrs["gas"] == "ch4"


def test_registry_lists_readers():
    names = urbansat.list_readers()
    for n in ("oco2_l2_lite", "oco3_l2_lite", "acos_l2_lite", "gosat_l2_fts", "tropomi_l2_ch4"):
        assert n in names
    from urbansat.ingest.readers import BUILTIN_READERS

    assert BUILTIN_READERS["smartcarb"] == "urbansat.ingest.readers.smartcarb:SmartcarbReader"


def test_minimal_plugin_reader_gets_window_chunks_and_qa(tmp_path, minimal_reader):
    """A plug-in with only open_dataset(path, *, variables=None) still gets bbox/chunks/qa."""
    from urbansat.testing.granules import make_swath

    p = tmp_path / "x.minimal"
    with netCDF4.Dataset(p, "w"):
        pass
    ds = urbansat.open_granules(p, chunks={"y": 6})
    assert ds.xco2.chunks[0][0] == 6 and int(ds.qa_pass.sum()) == 17 * 8
    assert int(urbansat.open_granules(p, qa="none").qa_pass.sum()) == 20 * 8
    full = make_swath(shape_yx=(20, 8))
    lat = full.latitude.values
    box = (-119.0, float(lat[10, 0]) - 1e-6, -117.0, float(lat[12, 0]) + 1e-6)
    assert urbansat.open_granules(p, bbox=box).sizes["y"] == 3


def test_gosat_odd_shapes(tmp_path):
    import h5py

    p = write_gosat_fts(tmp_path, n_soundings=10)
    with h5py.File(p, "a") as h:  # a flattened 36-point footprint (n*36,) is skipped, not a crash
        fl = h["Data/geolocation/footPrintLatitude"][()].ravel()
        del h["Data/geolocation/footPrintLatitude"]
        h["Data/geolocation/footPrintLatitude"] = fl
    ds = urbansat.open_granules(p)
    assert "latitude_bounds" not in ds and ds.sizes["y"] == 10
    with h5py.File(p, "a") as h:
        lat = h["Data/geolocation/latitude"][()]
        del h["Data/geolocation/latitude"]
        h["Data/geolocation/latitude"] = lat[:5]
    with pytest.raises(SchemaError, match="one value per exposure") as ei:
        urbansat.open_granules(p)
    assert p.name in str(ei.value)
