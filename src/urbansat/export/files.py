"""EDGE: atomic file writes and content checksums.

:func:`atomic_write` writes to a temporary file beside the target and renames it with
:func:`os.replace`, so a reader never sees a half-written file and an interrupted job
leaves the previous output intact.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from urbansat.errors import InputFileError, OutputPathError

__all__ = ["atomic_write", "sha256"]


@contextlib.contextmanager
def atomic_write(path: str | Path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    On an exception the temporary file is removed and ``path`` is untouched.

    Raises
    ------
    OutputPathError
        ``path`` exists and is not a regular file (a folder, a FIFO, a device such as
        ``/dev/null``, a socket), which the rename would replace by a file; or a parent of
        ``path`` is a file.
    """
    path = Path(path)
    _require_writable_target(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as err:
        raise OutputPathError(
            f"cannot write {str(path)!r}: a parent of it is a file, not a folder ({err}); "
            "choose an output path inside a folder"
        ) from err
    except OSError as err:  # PermissionError, a read-only file system
        raise OutputPathError(
            f"cannot write {str(path)!r}: its folder {str(path.parent)!r} cannot be created "
            f"({err.strerror}); choose an output folder you may write to"
        ) from err
    try:
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.stem}.tmp-", suffix=suffix or path.suffix
        )
    except OSError as err:  # PermissionError, a read-only file system
        raise OutputPathError(
            f"cannot write {str(path)!r}: the folder {str(path.parent)!r} is not writable "
            f"({err.strerror}); choose an output folder you may write to"
        ) from err
    os.close(fd)
    os.unlink(tmp)  # writers (GDAL, netCDF) want to create the file themselves
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def special_kind(path: str | Path) -> str | None:
    """Say what ``path`` is when it exists and is not a regular file (None otherwise).

    A symlink is judged by what it points to. Returns ``"a folder"``, ``"a FIFO (named
    pipe)"``, ``"a device"``, ``"a socket"`` or ``"not a regular file"``: a target that
    writing an output (a rename over it) would replace by a file.
    """
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):  # absent, or a parent is a file
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "not a regular file"


def _require_writable_target(path: Path) -> None:
    """Refuse a target that exists and is not a regular file (what the rename would destroy)."""
    kind = special_kind(path)
    if kind is not None:
        raise OutputPathError(
            f"refusing to write {str(path)!r}: it is {kind}, which writing the output would "
            "replace by a file; give the path of a new or existing regular file (for a folder, "
            "a file name inside it)"
        )


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
