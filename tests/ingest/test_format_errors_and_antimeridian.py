"""Corrupt files versus readable files of another layout; extents across 180 E.

1. ``open_granules`` turned every OSError/KeyError/ValueError/TypeError of a reader into
   "corrupt: download it again", also for a perfectly readable netCDF-4/HDF5 file of the
   wrong product or of a version with a missing, renamed or retyped variable, where
   downloading again cannot help. A file whose every object and value reads is now a
   layout error (``MissingVariableError`` / ``SchemaError``) naming the file, the missing
   name and the product the reader expected; damaged bytes are still an ``InputFileError``
   saying "download it again", now naming the variable whose values do not read.
2. ``urbansat info`` printed a box across 180 E (``lon 179.9 .. -179.9``) without saying so,
   and the extents in the ``EmptySelectionError`` of ``open_granules(bbox=)`` were the plain
   min..max (``-179.99..180.00``: the whole globe). Both now use the smallest longitude
   interval holding the soundings and say "crosses 180 E".
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dask.array as dsa
import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

import urbansat
from urbansat.cli import app
from urbansat.errors import (
    EmptySelectionError,
    InputFileError,
    MissingVariableError,
    SchemaError,
)
from urbansat.ingest import extents
from urbansat.ingest.granules import granule_summary
from urbansat.testing.granules import write_gosat_fts, write_oco_lite, write_tropomi_ch4

runner = CliRunner()


@contextmanager
def untouched(*paths: Path) -> Iterator[None]:
    """Assert that the files keep their bytes and mtime through the block."""
    before = [(Path(p).read_bytes(), os.stat(p).st_mtime_ns) for p in paths]
    yield
    assert [(Path(p).read_bytes(), os.stat(p).st_mtime_ns) for p in paths] == before


def _open(path: Path, **kw: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urbansat.UrbansatWarning)
        urbansat.open_granules(path, **kw).load()


def _rewrite(path: Path, name: str, data: np.ndarray) -> None:
    """Replace HDF5 dataset ``name`` by ``data`` (a converter that changed its shape or type)."""
    with h5py.File(path, "r+") as f:
        attrs = {
            k: v
            for k, v in f[name].attrs.items()
            # fill values of the old dtype and the dimension bookkeeping do not fit
            if k not in ("_FillValue", "DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME")
            and not k.startswith("_Netcdf4")
        }
        del f[name]
        new = f.create_dataset(name, data=data)
        for k, v in attrs.items():
            new.attrs[k] = v


def _delete(path: Path, name: str) -> None:
    with h5py.File(path, "r+") as f:
        del f[name]


# ------------------------------------------------------------ 1. corrupt or another layout
def test_variable_on_another_dimension_is_a_layout_error_not_corrupt(tmp_path: Path) -> None:
    p = write_oco_lite(tmp_path, n_frames=20)
    with h5py.File(p, "r") as f:
        psurf = f["Retrieval/psurf"][()]
    _rewrite(p, "Retrieval/psurf", psurf[:-2])  # no longer on the sounding_id dimension
    with untouched(p), pytest.raises(MissingVariableError) as info:
        _open(p)
    msg = str(info.value)
    assert p.name in msg and "'psurf'" in msg and "oco2_l2_lite" in msg, msg
    assert "readable netCDF-4/HDF5" in msg and "will not help" in msg, msg
    assert "download it again" not in msg and "incomplete or corrupt" not in msg, msg
    assert "urbansat.ingest.readers.oco_lite" in msg, msg  # where the layout read is documented


@pytest.mark.parametrize(
    ("writer", "name"),
    [
        (lambda d: write_gosat_fts(d, n_soundings=21), "Data/mixingRatio/XCO2BiasCorrected"),
        (
            lambda d: write_tropomi_ch4(d, n_scanlines=12, n_pixels=6),
            "PRODUCT/methane_mixing_ratio_precision",
        ),
        (lambda d: write_tropomi_ch4(d, n_scanlines=12, n_pixels=6), "PRODUCT/latitude"),
    ],
    ids=["gosat-gas", "tropomi-precision", "tropomi-latitude"],
)
def test_variable_retyped_as_strings_is_a_layout_error(tmp_path: Path, writer, name) -> None:
    """A readable file whose variable a converter turned into strings: not corrupt.

    The old code said "cannot be read as netCDF-4/HDF5 ... download it again" (or let a raw
    numpy TypeError escape, for the gas uncertainty).
    """
    p = Path(writer(tmp_path))
    with h5py.File(p, "r") as f:
        values = f[name][()]
    _rewrite(p, name, np.asarray(values).astype("S8"))
    with untouched(p), pytest.raises(SchemaError) as info:
        _open(p)
    msg = str(info.value)
    assert p.name in msg and "every value reads" in msg and "will not help" in msg, msg
    assert "download it again" not in msg, msg


def test_wrong_product_names_the_product_of_the_content(tmp_path: Path) -> None:
    p = write_tropomi_ch4(tmp_path, n_scanlines=12, n_pixels=6)
    with untouched(p), pytest.raises(MissingVariableError) as info:
        _open(p, product="oco2_l2_lite")
    msg = str(info.value)
    assert p.name in msg and "'xco2'" in msg, msg
    assert "product='tropomi_l2_ch4'" in msg and "will not help" in msg, msg


def test_oco_lite_without_xco2_is_not_sent_to_download_again(tmp_path: Path) -> None:
    """The example of the report: an OCO-2 Lite file (readable) that lacks ``xco2``."""
    p = write_oco_lite(tmp_path, n_frames=20)
    _delete(p, "xco2")
    with untouched(p), pytest.raises(MissingVariableError) as info:
        _open(p)
    msg = str(info.value)
    assert p.name in msg and "['xco2']" in msg and "oco2_l2_lite" in msg, msg
    assert "will not help" in msg and "names them differently" in msg, msg
    assert "corrupt" not in msg, msg


@pytest.mark.parametrize("kept", ["vertex_latitude", "vertex_longitude"])
def test_oco_lite_lone_vertex_variable_is_no_corrupt_file(tmp_path: Path, kept: str) -> None:
    """One of the optional vertex pair: opened without footprints (was 'corrupt' KeyError)."""
    p = write_oco_lite(tmp_path, n_frames=20)
    other = "vertex_longitude" if kept == "vertex_latitude" else "vertex_latitude"
    _delete(p, other)
    with untouched(p):
        ds = urbansat.open_granules(p)
        assert "latitude_bounds" not in ds and "longitude_bounds" not in ds
        assert int(ds.qa_pass.sum()) > 0
        with pytest.raises(MissingVariableError, match=other):  # asked for: both are needed
            urbansat.open_granules(p, variables=["latitude_bounds"])


@pytest.mark.parametrize("gone", ["footPrintLatitude", "footPrintLongitude"])
def test_gosat_lone_footprint_variable_is_no_corrupt_file(tmp_path: Path, gone: str) -> None:
    p = write_gosat_fts(tmp_path, n_soundings=20)
    _delete(p, f"Data/geolocation/{gone}")
    with untouched(p):
        ds = urbansat.open_granules(p)
        assert "latitude_bounds" not in ds and int(ds.qa_pass.sum()) > 0
        with pytest.raises(MissingVariableError, match=gone):
            urbansat.open_granules(p, variables=["footprint_latitude"])


def test_corrupt_chunk_is_still_corrupt_and_named(tmp_path: Path) -> None:
    """Damaged bytes stay an InputFileError saying "download it again", now with the variable."""
    p = write_oco_lite(tmp_path, n_frames=20)
    with h5py.File(p, "r") as f:
        chunk = f["xco2"].id.get_chunk_info(0)  # gzip-compressed: garbage does not inflate
    data = bytearray(p.read_bytes())
    data[chunk.byte_offset : chunk.byte_offset + chunk.size] = b"\xff" * chunk.size
    p.write_bytes(bytes(data))
    with untouched(p), pytest.raises(InputFileError) as info:
        _open(p)
    msg = str(info.value)
    assert p.name in msg and "download it again" in msg and "cannot be read" in msg, msg
    assert "'/xco2'" in msg, msg


def test_dimension_scale_removed_is_still_corrupt(tmp_path: Path) -> None:
    """netCDF-C cannot open a netCDF-4 file whose dimension scale was deleted: corrupt."""
    p = write_oco_lite(tmp_path, n_frames=20)
    _delete(p, "levels")
    with untouched(p), pytest.raises(InputFileError, match="download it again") as info:
        _open(p)
    assert p.name in str(info.value)


def test_truncated_file_is_still_truncated(tmp_path: Path) -> None:
    good = write_tropomi_ch4(tmp_path / "good", n_scanlines=12, n_pixels=6)
    p = tmp_path / good.name
    p.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with untouched(p), pytest.raises(InputFileError, match=r"truncated|cannot be read") as info:
        _open(p)
    assert "download it again" in str(info.value)


# ------------------------------------------------------------------- 2. extents and 180 E
def _across(tmp_path: Path) -> Path:
    return write_oco_lite(tmp_path, n_frames=30, center=(179.99, 10.0), n_sweeps=3)


def test_info_says_the_box_crosses_180e(tmp_path: Path) -> None:
    p = _across(tmp_path)
    with untouched(p):
        text = runner.invoke(app, ["info", str(p)])
        js = runner.invoke(app, ["info", "--json", str(p)])
    assert text.exit_code == 0, text.output
    (line,) = [x for x in text.stdout.splitlines() if x.strip().startswith("bbox")]
    assert "(crosses 180 E)" in line, line
    (row,) = [json.loads(x) for x in js.stdout.splitlines() if x.startswith("{")]
    lon0, _, lon1, _ = row["bbox"]
    assert 179.5 < lon0 < 180.0 and -180.0 <= lon1 < -179.5, row["bbox"]
    assert row["bbox_crosses_antimeridian"] is True
    assert f"lon {lon0} .. {lon1} (crosses 180 E)" in line, line


def test_info_away_from_180e_says_nothing(tmp_path: Path) -> None:
    p = write_oco_lite(tmp_path, n_frames=20)
    text = runner.invoke(app, ["info", str(p)])
    js = runner.invoke(app, ["info", "--json", str(p)])
    assert text.exit_code == 0 and "crosses" not in text.stdout, text.output
    (row,) = [json.loads(x) for x in js.stdout.splitlines() if x.startswith("{")]
    assert row["bbox_crosses_antimeridian"] is False and row["bbox"][0] < row["bbox"][2]


def test_empty_selection_extents_cross_180e(tmp_path: Path) -> None:
    p = _across(tmp_path)
    with untouched(p), pytest.raises(EmptySelectionError) as info:
        urbansat.open_granules(p, bbox=(0.0, 0.0, 1.0, 1.0))
    msg = str(info.value)
    assert "(crosses 180 E)" in msg and "lon 179." in msg and "..-179." in msg, msg
    assert "-179.99..180.00" not in msg, msg


def test_summary_box_is_the_smallest_interval(tmp_path: Path) -> None:
    """Soundings near 0, 70 and 180 E: the widest gap (-170..-10) is neither at 0 nor 180.

    The smallest interval holding them runs from 10 W east across 180 E to 170 W (200
    degrees); the old summary compared only -180..180 with 0..360 and gave ~-180..180.
    """
    p = write_oco_lite(tmp_path, n_frames=30)
    ds = urbansat.open_granules(p, qa="none")
    rng = np.random.default_rng(0)
    lon = rng.choice([-5.0, 70.0, 179.0], size=ds.longitude.shape) + rng.uniform(
        -5.0, 5.0, ds.longitude.shape
    )
    lon = (lon + 180.0) % 360.0 - 180.0
    iy, ix = np.nonzero(np.isfinite(ds.xco2.values))
    lon[iy[:3], ix[:3]] = -10.0, -170.0, 75.0  # the extremes, exactly, on soundings
    ds = ds.assign_coords(longitude=(ds.longitude.dims, lon, ds.longitude.attrs))
    lon0, _, lon1, _ = granule_summary(ds)["bbox"]
    assert (lon0, lon1) == (-10.0, -170.0)


@pytest.mark.parametrize(
    ("lon", "expected"),
    [
        ([179.5, -179.5, 179.9], (179.5, -179.5)),
        ([-10.0, 10.0, 0.0], (-10.0, 10.0)),
        ([359.0, 1.0], (-1.0, 1.0)),  # 0..360 longitudes
        ([-120.0, 100.0, np.nan], (100.0, -120.0)),  # 140 degrees across 180 E, not 220
        ([-100.0, 100.0], (100.0, -100.0)),  # 160 degrees across 180 E, not 200
        ([-80.0, 100.0], (-80.0, 100.0)),  # 180 degrees either way: the plain box
        ([5.0], (5.0, 5.0)),
    ],
)
def test_lon_extent(lon: list[float], expected: tuple[float, float]) -> None:
    got = extents.longitude_extent(np.array(lon))
    assert got is not None and np.allclose(got, expected), got
    # blocks combined alike
    lazy = extents.longitude_extent(dsa.from_array(np.array(lon), chunks=1))
    assert lazy is not None and np.allclose(lazy, expected), lazy


def test_lon_extent_none_and_whole_globe() -> None:
    assert extents.longitude_extent(np.array([np.nan, np.nan])) is None
    west, east = extents.longitude_extent(np.linspace(-180.0, 179.999, 100_000))  # type: ignore[misc]
    assert west == -180.0 and east == pytest.approx(179.999)
