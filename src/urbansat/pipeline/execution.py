"""Where a job's steps run: dask schedulers, distributed clients, progress bars."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

from urbansat.errors import (
    ConfigError,
)

_AUTO_LOCAL_BYTES = 256 * 1024**2
#: dask config of the LocalCluster a job starts (memory flat over long jobs).
WORKER_CONFIG: dict[str, Any] = {"distributed.worker.profile.enabled": False}


def _client() -> Any:
    """Return the active dask.distributed client, or None."""
    try:
        from distributed import get_client

        return get_client()
    except (ImportError, ValueError):
        return None


def _in_worker(fn: Callable[[], Any]) -> Any:
    """Run one step inside a worker with dask's synchronous scheduler (one task per granule)."""
    import dask

    with dask.config.set(scheduler="synchronous"):
        return fn()


@contextlib.contextmanager
def _scheduler(spec: str, total_bytes: int) -> Iterator[str]:
    import dask

    if spec == "auto":
        spec = "synchronous" if total_bytes < _AUTO_LOCAL_BYTES else "local"
    if spec in ("synchronous", "threads"):
        with dask.config.set(scheduler=spec):
            yield spec
        return
    from distributed import Client, LocalCluster

    if spec == "local":
        n = max(1, min(os.cpu_count() or 1, 8))
        # The workers' statistical profiler keeps a call tree per 1 s cycle for an hour
        # (distributed.worker.profile): over a long job that was ~0.33-0.85 MB of worker memory
        # per task. Nothing reads it here (no dashboard), so it is off (docs/reliability.md).
        # LocalCluster's and Client's constructors have no annotations (distributed 2026.8).
        with (
            dask.config.set(WORKER_CONFIG),
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):
            yield f"local ({n} workers) {client.scheduler.address}"
        return
    problem = scheduler_address_problem(spec)
    if problem:
        raise ConfigError(f"scheduler={spec!r}: {problem}")
    try:
        client = Client(spec, timeout="20s")  # type: ignore[no-untyped-call]  # as above
    except (OSError, ValueError) as err:  # ValueError: an address distributed cannot parse
        raise ConfigError(
            f"cannot connect to the dask scheduler at {spec!r} ({err}); is the cluster running?"
        ) from err
    with client:
        yield spec


#: Address schemes of dask.distributed's communication backends.
_SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")


def scheduler_address_problem(spec: str) -> str | None:
    """Say what is wrong with a scheduler address, or None when it can be tried.

    ``tcp://``, ``tcp://localhost:abc`` and ``ftp://x`` reached ``Client`` and raised a raw
    ``ValueError``; they are refused here, when the job file is read.
    """
    usage = "use auto, synchronous, threads, local or tcp://host:port (e.g. tcp://10.0.0.5:8786)"
    scheme, sep, rest = spec.partition("://")
    if not sep:
        return usage
    if scheme not in _SCHEMES:
        return f"unknown address scheme {scheme!r} ({', '.join(_SCHEMES)}); {usage}"
    if scheme in ("tcp", "tls", "ws", "wss"):
        host, colon, port = rest.rpartition(":")
        if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:  # noqa: PLR2004
            return f"{rest!r} is not host:port with a port 1-65535; {usage}"
    return None


def _progress(iterable: Any, *, desc: str, enabled: bool, total: int | None = None) -> Any:
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False)
