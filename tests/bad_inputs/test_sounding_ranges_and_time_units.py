"""Impossible sounding values and rewritten time axes are caught at the edge.

A granule whose gas column is plausible on average can still carry a few impossible values
(an undeclared fill such as -999999, corrupt bytes): those soundings must leave QA with a
warning that says how many and what to change, never enter an inversion. A time variable
whose units attribute is not the product's epoch would be decoded with the wrong epoch
without a word: it is refused.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import netCDF4
import numpy as np
import pytest

import urbansat
from urbansat.errors import UnitsError, UrbansatWarning
from urbansat.ingest.units import POSSIBLE_SOUNDING
from urbansat.testing.granules import write_oco_lite, write_tropomi_ch4


def _sha(p) -> str:
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


def _set(p, name, index, value):
    with netCDF4.Dataset(p, "a") as nc:
        v = nc[name]
        flat = np.asarray(v[:]).copy()
        flat.reshape(-1)[index] = value
        v[:] = flat


@pytest.mark.parametrize("bad", [-400.0, 0.0, 5000.0])
def test_impossible_xco2_soundings_leave_qa_with_a_warning(tmp_path, bad):
    # two identical files (the writer is seeded): one clean, one with three corrupt values
    n_pass = int(urbansat.open_granules(write_oco_lite(tmp_path / "a", n_frames=20)).qa_pass.sum())
    p = write_oco_lite(tmp_path / "b", n_frames=20)
    _set(p, "xco2", [0, 5, 9], bad)
    before = _sha(p)
    with pytest.warns(UrbansatWarning, match=r"3 sounding\(s\) have xco2 outside") as rec:
        ds = urbansat.open_granules(p)
    assert _sha(p) == before  # the file is read, never repaired in place
    assert p.name in str(rec[0].message) and "_FillValue" in str(rec[0].message)
    assert f"from {bad:.6g} to {bad:.6g}" in str(rec[0].message)  # the range of the bad ones
    lo, hi = POSSIBLE_SOUNDING["xco2"]
    x = ds.xco2.where(ds.qa_pass)
    assert float(x.min()) >= lo and float(x.max()) <= hi
    # only the corrupt soundings left QA (those of the three that passed before)
    assert n_pass - 3 <= int(ds.qa_pass.sum()) < n_pass


def test_impossible_xch4_soundings_leave_qa(tmp_path):
    p = write_tropomi_ch4(tmp_path, n_scanlines=8, n_pixels=6, noise=5.0)
    _set(p, "PRODUCT/methane_mixing_ratio_bias_corrected", [3], -1.0)
    with pytest.warns(UrbansatWarning, match=r"1 sounding\(s\) have xch4 outside"):
        ds = urbansat.open_granules(p)
    assert float(ds.xch4.where(ds.qa_pass).min()) >= POSSIBLE_SOUNDING["xch4"][0]


def test_clean_granules_do_not_warn(tmp_path):
    import warnings

    p = write_oco_lite(tmp_path, n_frames=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UrbansatWarning)
        urbansat.open_granules(p)


@pytest.mark.parametrize(
    ("product", "variable", "units"),
    [
        ("oco", "time", "seconds since 2010-01-01 00:00:00"),
        ("oco", "time", "hours since 1970-01-01"),
        ("tropomi", "PRODUCT/time", "seconds since 1970-01-01 00:00:00"),
        ("tropomi", "PRODUCT/delta_time", "seconds"),
    ],
)
def test_a_rewritten_time_axis_is_refused(tmp_path, product, variable, units):
    p = (
        write_oco_lite(tmp_path, n_frames=4)
        if product == "oco"
        else write_tropomi_ch4(tmp_path, n_scanlines=4, n_pixels=3)
    )
    with netCDF4.Dataset(p, "a") as nc:
        nc[variable].setncattr("units", units)
    before = _sha(p)
    with pytest.raises(UnitsError, match="rewrote the time axis") as ei:
        urbansat.open_granules(p)
    assert p.name in str(ei.value) and repr(units) in str(ei.value)
    assert _sha(p) == before


@pytest.mark.parametrize(
    "units",
    [
        "seconds since 1970-01-01",
        "second since 1970-01-01T00:00:00Z",
        "Seconds since 1970-01-01 00:00:00.0",
    ],
)
def test_equivalent_spellings_of_the_epoch_are_accepted(tmp_path, units):
    p = write_oco_lite(tmp_path, n_frames=4)
    with netCDF4.Dataset(p, "a") as nc:
        nc["time"].setncattr("units", units)
    ds = urbansat.open_granules(p)
    assert np.isfinite(ds.time.values.astype("datetime64[ns]").astype("int64")).any()
