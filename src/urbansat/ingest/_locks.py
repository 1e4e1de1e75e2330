"""The one lock around every netCDF-C / HDF5 call of :mod:`urbansat.ingest`.

Neither the netCDF-C library nor the HDF5 library bundled with the ``netCDF4``
wheel is thread-safe, and ``netCDF4`` releases the GIL inside its C calls
(``nc_open``, attribute and variable inquiries, reads). xarray serialises its
*data reads* with the global ``combine_locks([NETCDFC_LOCK, HDF5_LOCK])``
(``xarray.backends.netCDF4_.NETCDF4_PYTHON_LOCK``), but not the metadata it reads
while ``open_dataset``/``open_groups`` build the Dataset, nor any direct
``netCDF4.Dataset`` call. A granule opened in one thread while dask threads read
chunks of another granule (or close a garbage-collected one) therefore ran two
netCDF-C calls at once and could segfault (pydata/xarray#9779). Reproduced with the
thread stress of ``benchmarks/bench_ingest.py --stress 60``: 5 of 6 runs of 60-90 s
died (SIGSEGV / SIGABRT "free(): invalid pointer"), the 6th raised "NetCDF: Can't
open HDF5 attribute"; faulthandler showed the main thread in an unlocked
``netCDF4.Dataset`` open while a dask thread read a chunk under xarray's lock.

:data:`NETCDF_LOCK` is that same global xarray lock, made re-entrant within one
thread, so a reader can hold it across a whole ``xr.open_groups`` call *and* pass it
as ``lock=`` (xarray acquires it again inside, for the file open): the metadata
phase, direct ``netCDF4``/``h5py`` calls and every later dask chunk read of the
granule exclude each other and every other xarray netCDF4/HDF5 read in the process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import xarray as xr
from xarray.backends.locks import HDF5_LOCK, NETCDFC_LOCK, acquire, combine_locks

__all__ = [
    "NETCDF_LOCK",
    "ReentrantLockView",
    "file_manager",
    "netcdf_handle",
    "netcdf_lock",
    "open_netcdf",
    "open_netcdf_groups",
]


class ReentrantLockView:
    """A lock that shares its exclusion with ``base`` but is re-entrant per thread.

    The first :meth:`acquire` in a thread takes ``base``; nested acquires in the same
    thread only count, and the matching last :meth:`release` releases ``base``.
    Other threads (and xarray code holding ``base`` directly) are excluded as by
    ``base`` itself. It has the lock API xarray's backends use
    (``acquire(blocking=True)``, ``release``, ``locked``, context manager).

    Parameters
    ----------
    base : lock
        A non re-entrant lock, here xarray's combined netCDF-C + HDF5 lock.
    """

    def __init__(self, base: Any) -> None:
        self._base = base
        self._local = threading.local()

    def acquire(self, blocking: bool = True) -> bool:
        """Acquire the lock; return False only if ``blocking=False`` and another thread holds it."""
        depth = getattr(self._local, "depth", 0)
        if depth:
            if not blocking:
                # Only xarray's CachingFileManager.__del__ asks without blocking: a garbage
                # collection inside our own locked open would close a file in the middle
                # of a netCDF-C call sequence. Refuse, as xarray's plain lock would (the
                # file stays in xarray's LRU cache and is closed on eviction or at exit).
                return False
            self._local.depth = depth + 1
            return True
        # xarray.backends.locks.acquire has no type annotations
        if not acquire(self._base, blocking=blocking):  # type: ignore[no-untyped-call]
            return False
        self._local.depth = 1
        return True

    def release(self) -> None:
        """Release one level; the base lock is released when the outermost level is."""
        depth = getattr(self._local, "depth", 0)
        if depth <= 0:
            raise RuntimeError("release of an urbansat netCDF lock that this thread does not hold")
        self._local.depth = depth - 1
        if depth == 1:
            self._base.release()

    def locked(self) -> bool:
        """Return True when some thread holds the base lock."""
        return bool(self._base.locked())

    def held_here(self) -> bool:
        """Return True when the calling thread holds the lock."""
        return getattr(self._local, "depth", 0) > 0

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        # pickled (dask.distributed) file managers get the process-wide lock back
        return (netcdf_lock, ())

    def __repr__(self) -> str:
        return f"<ReentrantLockView of {self._base!r}>"


#: xarray's global netCDF-C + HDF5 lock (the one its netCDF4 backend reads under),
#: re-entrant per thread.
NETCDF_LOCK = ReentrantLockView(combine_locks([NETCDFC_LOCK, HDF5_LOCK]))


def netcdf_lock() -> ReentrantLockView:
    """Return :data:`NETCDF_LOCK` (the unpickling hook of the lock)."""
    return NETCDF_LOCK


#: netCDF4.Dataset keywords of xarray's own netCDF4 backend (read mode).
_NC_KWARGS = {"clobber": True, "diskless": False, "persist": False, "format": "NETCDF4"}


def file_manager(path: str | Path) -> Any:
    """Return an xarray ``CachingFileManager`` that shares ONE netCDF handle per file.

    xarray gives every open its own manager id, so opening a file again (a
    reader's structure probe, the same granule opened by two calls) adds a second
    netCDF-C handle of it. The netCDF-C 4.10.1 / HDF5 2.2.0 libraries of the
    ``netCDF4`` 1.7.5.1 wheel crash on that, single-threaded, with plain ``netCDF4``
    and no h5py imported: open one file three times, close the first handle and
    one more, open it again -> SIGSEGV (``o1 o2 o3 c1 c3 o4`` and ``o1 o2 o3 c1 c2
    o4`` crash; ``o1 o2 o3 c2 c3 o4`` and ``o1 o2 c1 c2 o3`` do not; h5py, with its
    own HDF5 2.0.0, survives all four). Here the manager id is the
    file's identity ``(st_dev, st_ino, st_size, st_mtime_ns)``, so every manager of
    one unchanged file uses the same cached handle (xarray closes it when the last
    manager is garbage collected), and a rewritten file gets a new one. The manager
    locks with :data:`NETCDF_LOCK`.

    Parameters
    ----------
    path : str or pathlib.Path
        netCDF-3/4 file, opened read-only.

    Returns
    -------
    xarray.backends.CachingFileManager
    """
    import netCDF4
    from xarray.backends import CachingFileManager

    p = os.path.realpath(os.fspath(path))
    st = os.stat(p)
    ident = ("urbansat-netcdf", st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    return CachingFileManager(
        netCDF4.Dataset, p, mode="r", kwargs=dict(_NC_KWARGS), lock=NETCDF_LOCK, manager_id=ident
    )


@contextmanager
def netcdf_handle(path: str | Path) -> Iterator[Any]:
    """Yield the shared ``netCDF4.Dataset`` of ``path`` with :data:`NETCDF_LOCK` held.

    For direct ``netCDF4`` reads (structure probes): do not close the handle, it is
    shared with the lazy Datasets of the same file (:func:`file_manager`).
    """
    manager = file_manager(path)
    with NETCDF_LOCK:
        yield manager.acquire(needs_lock=False)
    # the manager is dropped after the lock is released: xarray closes the handle
    # now unless another manager (an open Dataset of this file) still uses it
    del manager


def open_netcdf(path: str | Path, **kwargs: Any) -> xr.Dataset:
    """``xr.open_dataset(path, engine="netcdf4", **kwargs)`` under :data:`NETCDF_LOCK`.

    The whole open (file open and metadata reads) runs under :data:`NETCDF_LOCK`,
    the returned Dataset's lazy arrays read their chunks under it too, and the
    file handle is the shared one of :func:`file_manager`.

    Parameters
    ----------
    path : str or pathlib.Path
        netCDF-3 or netCDF-4 file.
    **kwargs
        Passed to :func:`xarray.open_dataset` (``chunks``, ``decode_times``, ...).

    Returns
    -------
    xarray.Dataset
    """
    from xarray.backends import NetCDF4DataStore

    with NETCDF_LOCK:
        # xarray's NetCDF4DataStore has no type annotations
        store = NetCDF4DataStore(file_manager(path), mode="r", lock=NETCDF_LOCK)  # type: ignore[no-untyped-call]
        try:
            return xr.open_dataset(store, **kwargs)
        except BaseException:
            # (unannotated, as above)
            store.close()  # type: ignore[no-untyped-call]
            raise


def open_netcdf_groups(
    path: str | Path, groups: Sequence[str], **kwargs: Any
) -> dict[str, xr.Dataset]:
    """Open several groups of one netCDF-4 file with ONE file open, under the lock.

    Like ``xr.open_groups(path, engine="netcdf4", lock=NETCDF_LOCK)`` restricted to
    ``groups``, but every group store really uses :data:`NETCDF_LOCK`: xarray 2026.9
    ``open_groups`` builds its group stores without the ``lock=`` it was given, so
    their reads take xarray's non re-entrant ``NETCDF4_PYTHON_LOCK`` and would
    deadlock inside the locked open (decoding reads the first value of string
    variables, default indexes read the dimension coordinates). The groups share one
    file manager (``NetCDF4DataStore.get_child_store``), so the file's metadata is
    parsed once, and that manager shares its handle with every other open of the
    file (:func:`file_manager`); the Datasets pickle for dask.distributed.

    Parameters
    ----------
    path : str or pathlib.Path
        netCDF-4 file.
    groups : sequence of str
        Group paths, ``"/"`` for the root (e.g. ``["/", "Sounding"]`` or
        ``["PRODUCT", "PRODUCT/SUPPORT_DATA/GEOLOCATIONS"]``).
    **kwargs
        Passed to :func:`xarray.open_dataset` for each group (``decode_times``,
        ``drop_variables``, ``mask_and_scale``, ``chunks``, ...).

    Returns
    -------
    dict of str to xarray.Dataset
        One Dataset per entry of ``groups``, keyed as given.
    """
    from xarray.backends import NetCDF4DataStore

    with NETCDF_LOCK:
        # xarray's NetCDF4DataStore has no type annotations
        root = NetCDF4DataStore(file_manager(path), mode="r", lock=NETCDF_LOCK)  # type: ignore[no-untyped-call]
        out: dict[str, xr.Dataset] = {}
        try:
            for g in groups:
                rel = g.strip("/")
                store = root.get_child_store(rel) if rel else root
                out[g] = xr.open_dataset(store, **kwargs)
        except BaseException:
            # (unannotated, as above)
            root.close()  # type: ignore[no-untyped-call]
            raise
        return out
