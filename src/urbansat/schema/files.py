"""The file gate: what every input path must be before anything reads it.

:func:`check_input_file` runs before any open, parse or checksum of a user file
(granules, boundaries, land cover, factor tables, inventories, job files). It only
calls :func:`os.stat` (never ``open``), so a FIFO, a character device such as
``/dev/zero`` or a directory is refused at once instead of hanging a reader or the
checksum that reads the whole file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from urbansat.errors import InputFileError

__all__ = ["MAX_INPUT_BYTES", "check_input_file"]

#: Largest input file accepted (1 TiB): a bigger size is a sparse or device file, not data.
MAX_INPUT_BYTES: Final = 1 << 40


def _kind(mode: int) -> str | None:
    """Name of a non-regular file type, or None for a regular file."""
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def check_input_file(
    path: str | os.PathLike[str], what: str = "Input", *, min_bytes: int = 1
) -> Path:
    """Check that ``path`` is an existing, readable regular file of a sane size.

    Parameters
    ----------
    path : str or os.PathLike
        The file (symlinks are followed).
    what : str, default "Input"
        What the file is, for the message (``"Granule"``, ``"Boundary"`` ...).
    min_bytes : int, default 1
        Smallest acceptable size; 0 allows empty files.

    Returns
    -------
    pathlib.Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    InputFileError
        Missing path, directory, FIFO, device or socket, unreadable, empty
        (below ``min_bytes``) or larger than :data:`MAX_INPUT_BYTES`; the message
        names the file, the problem and the fix.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputFileError(
            f"{what} file '{p}' does not exist. Check the path (and glob pattern)."
        ) from None
    except OSError as err:
        raise InputFileError(
            f"{what} file '{p}' cannot be examined ({err.strerror}). Check the path."
        ) from None
    kind = _kind(st.st_mode)
    if kind is not None:
        hint = (
            f"Pass the files inside it, e.g. sorted(Path('{p}').glob('*'))."
            if kind == "a directory"
            else "urbansat reads only regular files (a pipe or device would never end); "
            "copy the data to a file first."
        )
        raise InputFileError(f"{what} path '{p}' is {kind}, not a regular file. {hint}")
    if not os.access(p, os.R_OK):
        raise InputFileError(
            f"{what} file '{p}' is not readable (permission denied). Fix its permissions."
        )
    if st.st_size < min_bytes:
        raise InputFileError(
            f"{what} file '{p}' is empty ({st.st_size} bytes). "
            "The download or copy failed: fetch it again."
        )
    if st.st_size > MAX_INPUT_BYTES:
        raise InputFileError(
            f"{what} file '{p}' reports {st.st_size} bytes (over {MAX_INPUT_BYTES} bytes): "
            "not a data file (sparse or special). Pass the real data file."
        )
    return p
