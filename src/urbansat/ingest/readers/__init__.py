"""Granule readers and their registry (the xarray ``plugins.py`` idea).

The registry lives in :mod:`urbansat.ingest.readers.registry`; this ``__init__`` only
re-exports.

Built-in readers are listed in :data:`BUILTIN_READERS` as ``name -> "module:Class"``
and imported lazily, so a missing or broken module only disables itself.
External packages add readers through the entry-point group ``urbansat.readers``::

    [project.entry-points."urbansat.readers"]
    my_l2 = "mypkg.reader:MyReader"     # a urbansat.ingest.readers.GranuleReader subclass

Detection (:func:`guess_reader`) first asks every reader whether the file *name*
follows its product convention, then whether the *content* matches.

How to add a reader
-------------------
1. Subclass :class:`GranuleReader`; set ``name`` (``<sensor>_<level>_<product>``)
   and ``gases``; implement ``match_filename`` (optional), ``guess_can_open(path)``
   (never raises) and ``open_dataset(path, *, variables=None)``.
2. ``open_dataset`` returns the normalized swath of :mod:`urbansat.schema`
   (rename at the edge, convert units, TOA-first levels, ``qa_pass``, CF
   ``units``) and ends with ``return validate_granule(ds)``. Put the product
   facts (file-name regex, variable paths, fill values, QA thresholds) in
   ``urbansat/ingest/products/<name>.yaml`` (or your package's data).
3. Optionally accept ``gas=``, ``window=(rows, cols)``, ``chunks=`` and ``qa=``
   (see the built-ins): :func:`urbansat.open_granules` otherwise applies the
   window, chunks and ``qa="none"`` itself after your reader returns.
4. Register it in ``BUILTIN_READERS`` (in urbansat) or under the entry-point
   group (in your package), and write round-trip tests with a writer that
   produces the official layout (see :mod:`urbansat.testing.granules`).
"""

from __future__ import annotations

from urbansat.ingest.readers._base import GranuleReader
from urbansat.ingest.readers.registry import (
    BUILTIN_READERS,
    ENTRY_POINT_GROUP,
    get_reader,
    guess_reader,
    list_readers,
)

__all__ = [
    "BUILTIN_READERS",
    "ENTRY_POINT_GROUP",
    "GranuleReader",
    "get_reader",
    "guess_reader",
    "list_readers",
]
