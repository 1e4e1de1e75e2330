"""Files that are valid in layout but would read wrong: each gives the right values or a clear error.

Found by probing the readers with hostile files (2026-12-07); each test fails on the code before
its fix.
"""

from __future__ import annotations

import netCDF4
import numpy as np

import urbansat


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
