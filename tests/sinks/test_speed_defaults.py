"""Defaults that give the fast path without options: open_landcover chunks by the file's tiling."""

from __future__ import annotations

import numpy as np
import pytest

from urbansat.ingest.landcover import (
    CHUNKS_PER_CORE,
    MAX_CHUNK_BYTES,
    default_chunks,
    open_landcover,
)
from urbansat.testing.landcover import write_clcd


@pytest.mark.parametrize(
    ("shape", "block", "itemsize", "cores"),
    [
        ((10000, 10000), (512, 512), 1, 2),
        ((36000, 36000), (1024, 1024), 1, 2),
        ((6000, 6000), (512, 512), 1, 2),
        ((6000, 6000), (256, 256), 2, 8),
        ((5000, 7000), (1, 7000), 1, 4),
        ((300, 300), (512, 512), 1, 2),
    ],
)
def test_default_chunks_are_whole_blocks_about_8_per_core_and_bounded(
    shape, block, itemsize, cores
):
    ck = default_chunks(shape, block, itemsize, n_cores=cores)
    ny, nx = shape
    assert ck["y"] <= ny and ck["x"] <= nx
    # whole blocks (or the whole raster)
    assert ck["y"] % min(block[0], ny) == 0 or ck["y"] == ny
    assert ck["x"] % min(block[1], nx) == 0 or ck["x"] == nx
    assert ck["y"] * ck["x"] * itemsize <= max(MAX_CHUNK_BYTES, block[0] * block[1] * itemsize)
    n = -(-ny // ck["y"]) * -(-nx // ck["x"])
    big = ny * nx >= 4 * CHUNKS_PER_CORE * cores * block[0] * min(block[1], 512)
    if big:  # enough blocks for every thread, not a flood of tiny tasks
        assert 2 * cores <= n <= 8 * CHUNKS_PER_CORE * cores


def test_open_landcover_without_chunks_uses_every_core(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    path = write_clcd(tmp_path, 2020, rng.integers(1, 9, size=(2048, 2048)).astype(np.uint8))
    monkeypatch.setattr("urbansat.ingest.landcover._cpu_count", lambda: 2)
    da = open_landcover(path)
    assert da.data.numblocks[0] * da.data.numblocks[1] >= 4  # one dask block would run on one core
    assert da.data.chunksize[0] % 256 == 0  # write_clcd tiles are 256 x 256
    explicit = open_landcover(path, chunks=1024)
    assert explicit.data.chunksize == (1024, 1024)
    np.testing.assert_array_equal(da.values, explicit.values)
