"""Resumable step cache of a job: input checksums and atomically saved per-step results.

A step's key hashes its kind, the sha256 of its inputs, its options **and** the
urbansat version and the packaged factor-table versions
(:func:`urbansat.pipeline.manifest.code_versions`), so an upgrade never reuses a
result computed by other code or other factors.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import pandas as pd
import xarray as xr

from urbansat.errors import InputFileError
from urbansat.export import atomic_write, netcdf_ready, sha256
from urbansat.pipeline.execution import _client, _in_worker, _progress

_CACHE = ".urbansat-cache"

T = TypeVar("T")
#: One cached step: ``(key, file suffix, compute, save(value, path), load(path))``.
_StepJob: TypeAlias = tuple[
    str, str, Callable[[], T], Callable[[T, Path], None], Callable[[Path], T]
]


@functools.cache
def _code_salt() -> str:
    from urbansat.pipeline.manifest import code_versions

    return json.dumps(code_versions(), sort_keys=True)


def _hash(*parts: Any) -> str:
    text = json.dumps([_code_salt(), *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_regular_file(path: str | Path, *, what: str = "input") -> os.stat_result:
    """Stat ``path`` and refuse what is not a regular file, without opening it.

    FIFOs and devices would hang a read.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputFileError(f"{what} {str(path)!r} does not exist; check the path.") from None
    except OSError as err:
        raise InputFileError(f"{what} {str(path)!r} cannot be read: {err}") from err
    if stat.S_ISDIR(st.st_mode):
        raise InputFileError(f"{what} {str(path)!r} is a directory; give the files inside it.")
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a FIFO"
            if stat.S_ISFIFO(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "not a regular file"
        )
        raise InputFileError(
            f"{what} {str(path)!r} is {kind}, not a regular file; it is not read (a read could "
            "block "
            "forever). Give the data file itself."
        )
    return st


class _Checksums:
    """sha256 of input files, memoised in the cache dir by (path, size, mtime)."""

    def __init__(self, cache: Path) -> None:
        self.file = cache / "checksums.json"
        try:
            self.known: dict[str, str] = json.loads(self.file.read_text())
        except (OSError, ValueError):
            self.known = {}
        self.used: dict[str, str] = {}

    def __call__(self, path: str | Path) -> str:
        p = str(Path(path).resolve())
        st = check_regular_file(p)
        key = f"{p}|{st.st_size}|{st.st_mtime_ns}"
        if key not in self.known:
            self.known[key] = sha256(p)
        self.used[p] = self.known[key]
        return self.known[key]

    def save(self) -> None:
        with atomic_write(self.file) as tmp:
            tmp.write_text(json.dumps(self.known, indent=0))


#: Test hook: called with the step key after each computed step (used to simulate interruptions).
_after_step: Callable[[str], None] | None = None


class _Steps:
    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.computed: list[str] = []
        self.reused: list[str] = []

    def run_many(
        self,
        jobs: list[_StepJob[T]],
        *,
        desc: str,
        progress: bool,
    ) -> list[T]:
        """Run independent steps; on a dask.distributed cluster each missing step is one task.

        Finished steps are loaded from the cache; the others are submitted together
        (``client.submit``), each runs with dask's synchronous scheduler inside its
        worker (one granule per task), and results are saved atomically as they arrive.
        """
        out: dict[int, T] = {}
        todo = []
        for i, (key, suffix, _, _, load) in enumerate(jobs):
            path = self.cache / f"{key}{suffix}"
            if path.exists():
                try:
                    out[i] = load(path)
                except (OSError, ValueError):
                    todo.append(i)
                else:
                    self.reused.append(key)
            else:
                todo.append(i)
        client = _client()
        bar = _progress(None, desc=desc, enabled=progress, total=len(todo)) if todo else None
        if client is None:
            for i in todo:
                out[i] = self._finish(jobs[i], jobs[i][2]())
                if bar is not None:
                    bar.update(1)
        else:
            from distributed import as_completed

            futures = {client.submit(_in_worker, jobs[i][2], pure=False): i for i in todo}
            done = as_completed(list(futures))  # type: ignore[no-untyped-call]  # distributed: untyped
            for fut in done:
                i = futures.pop(fut)
                value = fut.result()
                fut.release()  # the worker drops its copy now, not when the whole batch is done
                del fut
                out[i] = self._finish(jobs[i], value)
                if bar is not None:
                    bar.update(1)
        if bar is not None:
            bar.close()
        return [out[i] for i in range(len(jobs))]

    def _finish(self, job: _StepJob[T], value: T) -> T:
        key, suffix, _, save, _ = job
        with atomic_write(self.cache / f"{key}{suffix}") as tmp:
            save(value, tmp)
        self.computed.append(key)
        if _after_step is not None:
            _after_step(key)
        return value


def _save_table(df: pd.DataFrame, p: Path) -> None:
    df.to_parquet(p, index=False)


def _load_table(p: Path) -> pd.DataFrame:
    return pd.read_parquet(p)


def _save_ds(ds: xr.Dataset, p: Path) -> None:
    netcdf_ready(ds).to_netcdf(p, engine="netcdf4")


def _load_ds(p: Path) -> xr.Dataset:
    with xr.open_dataset(p, engine="netcdf4") as ds:
        return ds.load()
