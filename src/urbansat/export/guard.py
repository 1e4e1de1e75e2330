"""EDGE: outputs that can never destroy inputs.

Before anything is written, every output path of a call or job is resolved
(relative paths against the current directory, symlinks followed) and compared
with every input path, also by device and inode so that a hard link or a
second name of the same file is caught. A collision is an
:class:`~urbansat.errors.OutputPathError` raised before the first byte is
written, naming the output, the input it would overwrite and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from urbansat.errors import OutputPathError
from urbansat.export.files import special_kind

__all__ = [
    "TABLE_SUFFIXES",
    "check_output_dir",
    "check_outputs",
    "provenance_inputs",
    "table_paths",
]

#: File suffix per table format, as :func:`urbansat.export.write_tables` names its files.
TABLE_SUFFIXES: Final = {
    "csv": ".csv",
    "parquet": ".parquet",
    "json": ".json",
    "netcdf": ".nc",
    "gpkg": ".gpkg",
}


def _check_table_name(name: object) -> None:
    """Refuse a table name that is not a plain file stem (it would leave ``out_dir``)."""
    seps = [sep for sep in ("/", os.sep, os.altsep) if sep]
    if (
        not isinstance(name, str)
        or name.strip() in ("", ".", "..")
        or "\0" in name
        or any(sep in name for sep in seps)
    ):
        raise OutputPathError(
            f"Table name {name!r} is not a plain file name: a table is written as "
            "<out_dir>/<name>.<suffix>, so its name must be a non-empty string without "
            "'/', '\\', NUL, '.' or '..'. Rename the table."
        )


def table_paths(
    names: Iterable[str], out_dir: str | os.PathLike[str], formats: Iterable[str]
) -> list[Path]:
    """Every file :func:`~urbansat.export.write_tables` writes for these tables, before writing.

    Parameters
    ----------
    names : iterable of str
        Table names (``"indicators"`` goes to every format, the others to CSV,
        Parquet and JSON).
    out_dir : path
        The output directory.
    formats : iterable of str
        Keys of :data:`TABLE_SUFFIXES`.

    Returns
    -------
    list of pathlib.Path
        Including the ``<table>.csv.provenance.json`` sidecars.

    Raises
    ------
    OutputPathError
        For an unknown format, or a table name that is not a plain file name
        (``"../x"``, ``"a/b"``, ``""``), which would put a file outside ``out_dir``.
    """
    out: list[Path] = []
    fmts = list(formats)
    unknown = [f for f in fmts if f not in TABLE_SUFFIXES]
    if unknown:
        raise OutputPathError(
            f"Unknown table format(s) {unknown}; use some of {sorted(TABLE_SUFFIXES)}."
        )
    for name in names:
        _check_table_name(name)
        for fmt in fmts:
            if name != "indicators" and fmt in ("netcdf", "gpkg"):
                continue
            p = Path(out_dir) / f"{name}{TABLE_SUFFIXES[fmt]}"
            out.append(p)
            if fmt == "csv":
                out.append(p.with_name(p.name + ".provenance.json"))
    return out


def provenance_inputs(prov: Any) -> dict[str, str]:
    """Return the input files a provenance record lists, labelled for :func:`check_outputs`.

    A writer given ``prov`` documents those inputs (``prov["inputs"][i]["path"]``), so it
    must never write over one of them.
    """
    items = prov.get("inputs", []) if isinstance(prov, Mapping) else []
    return {
        f"provenance inputs[{i}]": str(item["path"])
        for i, item in enumerate(items)
        if isinstance(item, Mapping) and item.get("path")
    }


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def check_outputs(
    outputs: Iterable[str | os.PathLike[str]],
    inputs: Iterable[str | os.PathLike[str]] | Mapping[str, str | os.PathLike[str]],
) -> list[Path]:
    """Refuse outputs that are (or point to) an input; return the outputs resolved.

    Parameters
    ----------
    outputs : iterable of path
        Every file the call will write.
    inputs : iterable of path, or mapping of label -> path
        Every file the call reads; with a mapping the label names the input in the
        message (e.g. ``"--wind"`` or ``"boundaries[0].path"``).

    Returns
    -------
    list of pathlib.Path
        The resolved output paths, in order.

    Raises
    ------
    OutputPathError
        An output resolves to an input (same path after resolving symlinks, or the
        same device and inode), an output is an existing directory, a FIFO, device or
        socket, or lies under an existing file, or two outputs are the same file.
    """
    labelled = (
        [(str(k), Path(v)) for k, v in inputs.items()]
        if isinstance(inputs, Mapping)
        else [(str(p), Path(p)) for p in inputs]
    )
    by_path: dict[Path, str] = {}
    by_id: dict[tuple[int, int], str] = {}
    for label, p in labelled:
        r = p.expanduser().resolve()
        by_path.setdefault(r, label)
        ident = _identity(r)
        if ident is not None:
            by_id.setdefault(ident, label)
    resolved: list[Path] = []
    seen: dict[Path, str] = {}
    for out in outputs:
        r = Path(out).expanduser().resolve()
        hit = by_path.get(r)
        ident = _identity(r)
        if hit is None and ident is not None:
            hit = by_id.get(ident)
        if hit is not None:
            globbed = ".files[" in hit  # a file a job's [[granules]] pattern matched
            raise OutputPathError(
                f"output {str(out)!r} would overwrite the input {hit!r} (both are {str(r)!r}); "
                "nothing was written. Choose another output path or directory."
                + (
                    " The input was matched by the granules pattern, which also picks up "
                    "this job's own outputs (e.g. an earlier run's indicators.nc): narrow the "
                    "pattern or write the outputs to another directory."
                    if globbed
                    else ""
                )
            )
        if r.is_dir():
            raise OutputPathError(
                f"output {str(out)!r} is an existing directory; give a file path (nothing was "
                "written)."
            )
        kind = special_kind(r)
        if kind is not None:  # a FIFO or device: the write would replace it
            raise OutputPathError(
                f"output {str(out)!r} is not a regular file ({kind}), which writing would "
                "replace by a file; give the path of a new or regular file (nothing was "
                "written)."
            )
        blocker = next((p for p in r.parents if p.exists() and not p.is_dir()), None)
        if blocker is not None:  # found only when the write failed, after all the work
            raise OutputPathError(
                f"output {str(out)!r} lies under {str(blocker)!r}, which is an existing file, "
                "not a folder; choose an output path inside a folder (nothing was written)."
            )
        if r in seen:
            raise OutputPathError(
                f"outputs {seen[r]!r} and {str(out)!r} are the same file {str(r)!r}; give each its "
                "own name."
            )
        seen[r] = str(out)
        resolved.append(r)
    return resolved


def check_output_dir(path: str | os.PathLike[str], *, key: str = "output_dir") -> Path:
    """Check that ``path`` is a directory or can be created as one; return it resolved.

    Parameters
    ----------
    path : path
        The output directory.
    key : str
        Name of the setting in messages (``job.output_dir``).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    OutputPathError
        ``path`` (or one of its parents) is an existing file, not a directory, or the
        nearest existing folder may not be written to.
    """
    r = Path(path).expanduser().resolve()
    for p in (r, *r.parents):
        if p.exists():
            if not p.is_dir():
                which = "is" if p == r else f"lies under {str(p)!r}, which is"
                raise OutputPathError(
                    f"{key} {str(path)!r} {which} an existing file, not a directory; "
                    "choose a directory for the outputs (nothing was written)."
                )
            if not os.access(p, os.W_OK | os.X_OK):  # found before any work, not at the end
                which = "is" if p == r else f"would be created in {str(p)!r}, which is"
                raise OutputPathError(
                    f"{key} {str(path)!r} {which} a folder you may not write to; choose a "
                    "directory for the outputs you may write to (nothing was written)."
                )
            break
    return r
