"""The run manifest of a job folder and the lock that lets one run at a time use it.

``<output_dir>/manifest.json`` says which run produced the folder and whether it
finished. It is written atomically (temp file + rename) twice: at the start with
``"status": "incomplete"`` (before anything else in the folder changes), and at
the end with ``"complete"`` plus the outputs and their checksums (or ``"failed"`` /
``"interrupted"`` with the error). A run killed hard leaves ``"incomplete"``. A
rerun over an unfinished run says what it did with it in ``previous_run.action``:
``"resumed"`` (finished cached steps reused; their keys are content hashes, so
nothing of a different configuration is reused) or ``"replaced"`` (``--fresh``:
the cache is cleared first). Outputs the previous manifest lists that this run
does not write are removed, so the folder never mixes two runs silently.

Format (``manifest_version`` 1)::

    {"manifest_version": 1, "run_id": "…", "status": "complete",
     "started": "2026-12-03T20:00:00+00:00", "finished": "…", "elapsed_s": 12.3,
     "urbansat_version": "0.1.0", "factor_tables": {"ipcc2019": "v3", …},
     "config_file": "/…/job.toml", "config": {…},
     "inputs": [{"path": "/…", "bytes": 123, "sha256": "…"}, …],
     "steps": {"boundaries": {"status": "ok", …}, "concentrations": {…}, …},
     "outputs": [{"path": "indicators.csv", "bytes": 456, "sha256": "…"}, …],
     "previous_run": {"run_id": "…", "status": "incomplete", "action": "resumed"} | null,
     "previous_outputs": [], "error": null}

``previous_outputs`` lists files of earlier runs still in the folder while a run is
not complete (empty once it is), and the files this run wrote before it completes (the
sink GeoTIFFs are written mid-run): a run that fails after writing them leaves them
listed, so a later run that no longer writes them removes them as stale.

**One run at a time per folder.** :class:`RunLock` holds an exclusive
``fcntl.flock`` on ``<output_dir>/.urbansat.lock`` for the whole run; a second
run of the same folder (another process, e.g. two ``urbansat run --fresh``)
waits for it instead of racing on the cache. The lock is released by the
kernel when the process dies, so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from urbansat._version import __version__
from urbansat.errors import InputFileError, OutputPathError
from urbansat.export import atomic_write, sha256

__all__ = [
    "MANIFEST",
    "MANIFEST_VERSION",
    "RunLock",
    "RunManifest",
    "code_versions",
    "read_manifest",
]

MANIFEST: Final = "manifest.json"
MANIFEST_VERSION: Final = 1
LOCK: Final = ".urbansat.lock"


#: Layout version of the cached step results (emission, concentration and sink Datasets).
#: The package version does not change between development commits, so a change of a
#: result's variables bumps this, and no cache of the old layout is reused (2: the
#: uncertainty terms along a ``term`` dimension, 2026-12-04).
RESULT_LAYOUT = 2


def code_versions() -> dict[str, Any]:
    """Return the urbansat, result-layout and factor-table versions (part of every cache key)."""
    from urbansat.sinks.factors import PACKAGED_TABLES

    return {
        "urbansat": __version__,
        "result_layout": RESULT_LAYOUT,
        "factor_tables": {name: ver for name, (_, ver) in sorted(PACKAGED_TABLES.items())},
    }


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def read_manifest(out_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Return the manifest of a job folder, or None when there is none (or it is unreadable).

    Parameters
    ----------
    out_dir : path
        The job's output directory.

    Returns
    -------
    dict or None
    """
    p = Path(out_dir) / MANIFEST
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class RunLock:
    """Exclusive lock of a job folder for the duration of a run (``fcntl.flock``).

    Parameters
    ----------
    out_dir : path
        The job's output directory (created if needed).
    poll_s : float
        Seconds between attempts while another run holds the lock.
    on_wait : callable, optional
        Called once with the other run's lock text when this run has to wait.
    """

    def __init__(
        self, out_dir: str | os.PathLike[str], *, poll_s: float = 0.2, on_wait: Any = None
    ) -> None:
        self.path = Path(out_dir) / LOCK
        self.poll_s = poll_s
        self.on_wait = on_wait
        self._fd: int | None = None

    def __enter__(self) -> Self:
        """Take the lock, waiting (and calling ``on_wait`` once) while another run holds it."""
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:  # an unwritable or read-only output folder: not a traceback
            raise OutputPathError(
                f"cannot take the run lock {str(self.path)!r} in the output folder "
                f"({err.strerror}); choose an output_dir you may write to (nothing was written)."
            ) from err
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited and self.on_wait is not None:
                    self.on_wait(self.path.read_text(encoding="utf-8", errors="replace").strip())
                waited = True
                time.sleep(self.poll_s)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} since {_now()}\n".encode())
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Release the lock and close its file."""
        import fcntl

        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class RunManifest:
    """The manifest of one run, written at its start (incomplete) and at its end.

    Parameters
    ----------
    out_dir : path
        The job's output directory.
    config : dict
        The validated configuration (plain-mapping form).
    config_file : str
        Where it was read from.
    resume : bool
        Whether finished cached steps of an earlier run are reused.
    """

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        *,
        config: dict[str, Any],
        config_file: str,
        resume: bool,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.previous = read_manifest(self.out_dir)
        self.t0 = time.perf_counter()
        prev = None
        if self.previous is not None:
            prev = {
                "run_id": self.previous.get("run_id"),
                "status": self.previous.get("status"),
                "action": "resumed"
                if resume and self.previous.get("status") != "complete"
                else "replaced",
            }
        self.data: dict[str, Any] = {
            "manifest_version": MANIFEST_VERSION,
            "run_id": uuid.uuid4().hex,
            "status": "incomplete",
            "started": _now(),
            "finished": None,
            "elapsed_s": None,
            "urbansat_version": __version__,
            "factor_tables": code_versions()["factor_tables"],
            "config_file": config_file,
            "config": json.loads(json.dumps(config, default=str)),
            "inputs": [],
            "steps": {},
            "outputs": [],
            "previous_run": prev,
            "error": None,
        }
        # files of earlier runs still in the folder: listed until this run completes, so a
        # later run can remove the ones it does not rewrite even after an interruption
        base = self.out_dir.resolve()
        self.data["previous_outputs"] = [
            str(p.relative_to(base)) for p in self.previous_outputs if p.is_file()
        ]

    @property
    def previous_outputs(self) -> list[Path]:
        """Outputs the previous run of this folder recorded (absolute paths)."""
        if self.previous is None:
            return []
        out = []
        rows = [*self.previous.get("outputs", []), *self.previous.get("previous_outputs", [])]
        for o in rows:
            rel = o.get("path") if isinstance(o, dict) else o
            if isinstance(rel, str):
                p = (self.out_dir / rel).resolve()
                if self.out_dir.resolve() in p.parents and p not in out:  # never outside the folder
                    out.append(p)
        return out

    def track(self, paths: Iterable[str | os.PathLike[str]]) -> None:
        """List files no complete run claims yet in ``previous_outputs``; rewrite the manifest.

        Files this run writes before it finishes (the sink GeoTIFFs), and those an earlier
        urbansat wrote without recording them: once the run completes ``outputs`` lists the
        ones it wrote, with their checksums; if it fails or is killed first, a later run that
        does not write them again still removes them as stale.
        """
        base = self.out_dir.resolve()
        listed: list[str] = self.data["previous_outputs"]
        for p in paths:
            try:
                rel = str(Path(p).resolve().relative_to(base))
            except ValueError:  # never outside the folder
                continue
            if rel not in listed:
                listed.append(rel)
        self.write()

    def step(self, name: str, status: str, **info: Any) -> None:
        """Record the status of one stage (``ok``, ``skipped``, ``failed``) with counts."""
        self.data["steps"][name] = {"status": status, **info}

    def write(self) -> Path:
        """Write the manifest atomically; return its path."""
        path = self.out_dir / MANIFEST
        with atomic_write(path) as tmp:
            tmp.write_text(json.dumps(self.data, indent=1, default=str), encoding="utf-8")
        return path

    def finish(
        self,
        status: str,
        *,
        inputs: dict[str, str] | None = None,
        outputs: list[Path] | None = None,
        error: BaseException | None = None,
    ) -> Path:
        """Record the end of the run (``complete``, ``failed`` or ``interrupted``) and write."""
        self.data["status"] = status
        self.data["finished"] = _now()
        if status == "complete":
            self.data["previous_outputs"] = []  # rewritten by this run or removed at its start
        self.data["elapsed_s"] = round(time.perf_counter() - self.t0, 3)
        if error is not None:
            self.data["error"] = f"{type(error).__name__}: {error}"
        if inputs is not None:
            self.data["inputs"] = [
                {"path": p, "bytes": os.path.getsize(p), "sha256": h}
                for p, h in sorted(inputs.items())
                if os.path.exists(p)
            ]
        if outputs is not None:
            rows = []
            for p in outputs:
                try:
                    rel = str(Path(p).resolve().relative_to(self.out_dir.resolve()))
                    rows.append({"path": rel, "bytes": os.path.getsize(p), "sha256": sha256(p)})
                except (OSError, ValueError, InputFileError):
                    continue
            self.data["outputs"] = rows
        return self.write()
