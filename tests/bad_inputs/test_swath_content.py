"""Swath files whose content is wrong: refused or merged with a warning, never used silently."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import netCDF4
import numpy as np
import pytest

import urbansat
from urbansat.errors import DuplicateInputWarning, InputFileError, MixedInputError, SchemaError
from urbansat.testing.granules import write_oco_lite, write_tropomi_ch4


def _sha(p: Path) -> str:
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


def test_same_granule_twice_is_read_once_with_a_warning(tmp_path: Path) -> None:
    p = write_tropomi_ch4(tmp_path, n_scanlines=10, n_pixels=5)
    copy = Path(shutil.copy(p, tmp_path / "copy_of_granule.nc"))
    before = (_sha(p), _sha(copy))
    single = urbansat.open_granules(p)
    with pytest.warns(DuplicateInputWarning, match="copy_of_granule.nc"):
        both = urbansat.open_granules([p, copy], product="tropomi_l2_ch4")
    assert both.sizes["y"] == single.sizes["y"]  # counted once, not twice
    assert (_sha(p), _sha(copy)) == before


def test_same_path_listed_twice_is_read_once(tmp_path: Path) -> None:
    p = write_tropomi_ch4(tmp_path, n_scanlines=8, n_pixels=4)
    with pytest.warns(DuplicateInputWarning, match="same granule twice"):
        ds = urbansat.open_granules([p, p])
    assert ds.sizes["y"] == 8


def test_different_granules_are_not_merged(tmp_path: Path) -> None:
    a = write_tropomi_ch4(tmp_path / "a", n_scanlines=8, n_pixels=4, seed=1)
    b = write_tropomi_ch4(
        tmp_path / "b", n_scanlines=8, n_pixels=4, seed=2, date="2022-07-23T03:30:44", orbit=24739
    )
    ds = urbansat.open_granules([a, b])
    assert ds.sizes["y"] == 16


def test_two_processings_of_the_same_soundings_are_refused(tmp_path: Path) -> None:
    # same orbit, times and positions, other values (e.g. OFFL and RPRO of one orbit)
    a = write_tropomi_ch4(tmp_path / "a", n_scanlines=8, n_pixels=4, seed=1)
    b = write_tropomi_ch4(tmp_path / "b", n_scanlines=8, n_pixels=4, seed=2)
    with pytest.raises(MixedInputError, match=r"share 32 sounding\(s\).*Pass only one"):
        urbansat.open_granules([a, b])


def test_duplicate_sounding_ids_are_refused(tmp_path: Path) -> None:
    p = write_oco_lite(tmp_path, n_frames=5)
    with netCDF4.Dataset(p, "a") as nc:
        sid = nc["sounding_id"][:]
        sid[1] = sid[0]
        nc["sounding_id"][:] = sid
    before = _sha(p)
    with pytest.raises(SchemaError, match="repeat a sounding_id") as info:
        urbansat.open_granules(p)
    assert Path(p).name in str(info.value)
    assert _sha(p) == before


def test_latitude_outside_range_is_refused(tmp_path: Path) -> None:
    p = write_tropomi_ch4(tmp_path, n_scanlines=6, n_pixels=4)
    with netCDF4.Dataset(p, "a") as nc:
        lat = nc["PRODUCT/latitude"][:]
        lat[0, 0, 0] = 95.0
        nc["PRODUCT/latitude"][:] = lat
    before = _sha(p)
    with pytest.raises(SchemaError, match=r"outside \[-90, 90\]") as info:
        urbansat.open_granules(p)
    assert Path(p).name in str(info.value)
    assert _sha(p) == before


def test_delta_time_all_fill_is_an_error_naming_the_file(tmp_path: Path) -> None:
    p = write_tropomi_ch4(tmp_path, n_scanlines=6, n_pixels=4)
    with netCDF4.Dataset(p, "a") as nc:
        v = nc["PRODUCT/delta_time"]
        v.set_auto_mask(False)
        v[:] = np.full(v.shape, v.getncattr("_FillValue"), dtype=v.dtype)
    before = _sha(p)
    with pytest.raises(InputFileError, match="delta_time is the fill value") as info:
        urbansat.open_granules(p)
    assert Path(p).name in str(info.value)
    assert _sha(p) == before
