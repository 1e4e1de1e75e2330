"""open_landcover on a file holding several variables gives a clear InputFileError.

rioxarray.open_rasterio returns a Dataset (or a list of them) for such files; before
the fix (found by mypy) urbansat failed later with an AttributeError on ``.rio.nodata``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr

import urbansat
from urbansat.errors import InputFileError


def test_two_variable_netcdf_is_rejected_with_the_fix(tmp_path):
    x = np.arange(4) + 0.5
    y = np.arange(3)[::-1] + 0.5
    ds = xr.Dataset(
        {
            "lccs_a": (("y", "x"), np.ones((3, 4), "uint8")),
            "lccs_b": (("y", "x"), np.zeros((3, 4), "uint8")),
        },
        coords={"x": x, "y": y},
    )
    path = tmp_path / "two_vars.nc"
    ds.to_netcdf(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rasterio: the file has no geotransform
        with pytest.raises(InputFileError, match="several variables or subdatasets") as ei:
            urbansat.open_landcover(path, legend={1: "forest"})
    msg = str(ei.value)
    assert str(path) in msg and "['lccs_a', 'lccs_b']" in msg and "rio.to_raster" in msg
