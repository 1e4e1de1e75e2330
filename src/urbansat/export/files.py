"""EDGE: atomic file writes and content checksums.

:func:`atomic_write` writes to a temporary file beside the target and renames it with
:func:`os.replace`, so a reader never sees a half-written file and an interrupted job
leaves the previous output intact.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from urbansat.errors import InputFileError

__all__ = ["atomic_write", "sha256"]


@contextlib.contextmanager
def atomic_write(path: str | Path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.stem}.tmp-", suffix=suffix or path.suffix
    )
    os.close(fd)
    os.unlink(tmp)  # writers (GDAL, netCDF) want to create the file themselves
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def sha256(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """Return the hex sha256 of a file (streamed)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(chunk), b""):
                h.update(block)
    except OSError as err:
        raise InputFileError(f"cannot checksum input {str(path)!r}: {err}") from err
    return h.hexdigest()
