"""The readers serialise every netCDF-C / HDF5 call with xarray's netCDF4 lock.

netCDF-C is not thread-safe and ``netCDF4`` releases the GIL in its C calls; xarray
locks only its chunk reads. A reader that opened a file (or read its metadata)
without that lock while a dask thread read another granule segfaulted
(``benchmarks/bench_ingest.py --stress``). These tests hold xarray's own lock in the
test thread and check that each reader's open, and each lazy chunk read, waits for it.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest
from xarray.backends.netCDF4_ import NETCDF4_PYTHON_LOCK

from urbansat.ingest._locks import NETCDF_LOCK, open_netcdf
from urbansat.ingest.readers import guess_reader
from urbansat.testing.granules import write_gosat_fts, write_oco_lite, write_tropomi_ch4

REPO = Path(__file__).resolve().parents[2]
BOWEN = (
    "S5P_RPRO_L2__CH4____20220722T025309_20220722T043439_24725_03_020400_20230201T033930.SUB.nc4"
)
SMARTCARB = "Sentinel_7_CO2_2015042311_o1670_l0483.nc"


def _in_thread(fn):
    """Start ``fn`` in a thread; return (thread, result dict with 'value' or 'error')."""
    res: dict = {}

    def run():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res["value"] = fn()
        except BaseException as err:  # noqa: BLE001 - reported to the test thread
            res["error"] = err

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, res


def _waits_for_xarray_lock(fn):
    """Run ``fn`` in a thread while this thread holds xarray's netCDF4 lock.

    Asserts that ``fn`` does not finish while the lock is held, then that it
    finishes once released; returns its result.
    """
    assert NETCDF4_PYTHON_LOCK.acquire()
    try:
        t, res = _in_thread(fn)
        t.join(0.5)
        blocked = t.is_alive()
    finally:
        NETCDF4_PYTHON_LOCK.release()
    t.join(60)
    assert not t.is_alive(), "did not finish after the lock was released (deadlock)"
    if "error" in res:
        raise res["error"]
    assert blocked, "ran netCDF/HDF5 calls while another thread held xarray's netCDF4 lock"
    return res["value"]


@pytest.fixture(scope="module")
def granules(tmp_path_factory, project_samples):
    d = tmp_path_factory.mktemp("locks")
    return {
        "tropomi_real": project_samples / "tropomi_ch4" / BOWEN,
        "tropomi": write_tropomi_ch4(d, n_scanlines=9, n_pixels=4),
        "oco": write_oco_lite(d, n_frames=9),
        "gosat": write_gosat_fts(d, n_soundings=9),
        "smartcarb": project_samples / "smartcarb" / SMARTCARB,
    }


@pytest.mark.parametrize("kind", ["tropomi_real", "tropomi", "oco", "gosat", "smartcarb"])
def test_open_and_chunk_reads_wait_for_the_netcdf_lock(granules, kind):
    path = granules[kind]
    reader = guess_reader(path)
    ds = _waits_for_xarray_lock(lambda: reader.open_dataset(path, chunks={"y": 4}))
    gas = "xco2" if "xco2" in ds else "xch4"
    assert ds[gas].chunks is not None
    if kind == "gosat":  # the GOSAT reader holds its (small) arrays in memory after the open
        return
    # the lazy chunk reads (dask threads) take the same lock
    out = _waits_for_xarray_lock(lambda: ds["qa_pass"].compute(scheduler="threads"))
    assert out.shape == ds[gas].shape and out.dtype == bool
    ds.close()


def test_open_netcdf_waits_for_the_lock_and_reads(project_samples):
    path = project_samples / "smartcarb" / SMARTCARB
    ds = _waits_for_xarray_lock(lambda: open_netcdf(path, chunks={"nobs": 50}))
    assert "XCO2_BG" in ds
    x = _waits_for_xarray_lock(
        lambda: ds["XCO2_BG"].isel(nobs=slice(0, 3)).compute(scheduler="threads")
    )
    assert x.sizes["nobs"] == 3
    ds.close()


def test_netcdf_lock_is_reentrant_per_thread_and_excludes_others():
    with NETCDF_LOCK:
        with NETCDF_LOCK:  # nested in the same thread: no deadlock
            assert NETCDF_LOCK.held_here() and NETCDF4_PYTHON_LOCK.locked()
        assert NETCDF_LOCK.held_here()
        t, res = _in_thread(lambda: NETCDF_LOCK.acquire(blocking=False))
        t.join(10)
        assert res["value"] is False  # another thread is excluded
    assert not NETCDF_LOCK.held_here() and not NETCDF4_PYTHON_LOCK.locked()
    with pytest.raises(RuntimeError, match="does not hold"):
        NETCDF_LOCK.release()
    # pickled file managers (dask.distributed) get the process-wide lock back
    assert pickle.loads(pickle.dumps(NETCDF_LOCK)) is NETCDF_LOCK


@pytest.mark.slow
def test_thread_stress_survives():
    """Open granules while dask threads compute and drop others: no crash (SIGSEGV)."""
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "faulthandler",
            str(REPO / "benchmarks" / "bench_ingest.py"),
            "--stress",
            "8",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "survived" in proc.stdout


def _handles(path: Path) -> int:
    """Open netCDF-C handles of ``path`` in xarray's file cache."""
    from xarray.backends.file_manager import FILE_CACHE

    real = os.path.realpath(path)
    return sum(
        1
        for f in list(FILE_CACHE.values())
        if hasattr(f, "filepath") and f.isopen() and os.path.realpath(f.filepath()) == real
    )


@pytest.mark.parametrize("kind", ["tropomi", "oco", "smartcarb"])
def test_one_netcdf_handle_per_file(granules, kind):
    """Opening a granule again reuses its handle (the netCDF4 wheel's netCDF-C/HDF5
    crash with three handles of one file of which two are closed before a new open)."""
    path = granules[kind]
    reader = guess_reader(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opened = [reader.open_dataset(path, chunks={"y": 4}) for _ in range(3)]
    assert _handles(path) == 1
    gas = "xco2" if "xco2" in opened[0] else "xch4"
    vals = [ds[gas].compute(scheduler="threads") for ds in opened]
    for v in vals[1:]:
        assert v.equals(vals[0])
    assert _handles(path) == 1


def test_rewritten_file_is_not_read_from_a_stale_handle(tmp_path):
    p = write_tropomi_ch4(tmp_path, n_scanlines=6, n_pixels=3, seed=1)
    reader = guess_reader(p)
    first = reader.open_dataset(p, chunks={"y": 4})
    a = first.xch4.compute()
    q = write_tropomi_ch4(tmp_path, n_scanlines=6, n_pixels=3, seed=2)  # same name, new content
    assert q == p
    b = reader.open_dataset(p, chunks={"y": 4}).xch4.compute()
    assert not a.equals(b)
