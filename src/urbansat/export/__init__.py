"""EDGE: write indicator tables and results, atomically, with provenance.

Every writer writes to a temporary file in the target directory and renames it
with :func:`os.replace`, so a reader never sees a half-written file and an
interrupted job leaves the previous output intact. Every output records
provenance (:func:`provenance`): urbansat version, inputs with sha256
checksums, options, time and library versions:

* CSV - a ``provenance`` column per row plus a sidecar ``<file>.provenance.json``;
* Parquet - the ``urbansat_provenance`` key of the Arrow schema metadata;
* NetCDF - global attributes (CF-1.10 + ACDD-1.3) incl. ``urbansat_provenance``, and the
  CF attributes of every variable (:func:`cf_ready`);
* GeoPackage - a non-spatial ``provenance`` table beside the layers;
* JSON - a top-level ``provenance`` object.
"""

from urbansat.export.cf import cf_ready
from urbansat.export.files import atomic_write, sha256
from urbansat.export.provenance import provenance
from urbansat.export.tables import (
    netcdf_ready,
    table_to_dataset,
    write_csv,
    write_geopackage,
    write_json,
    write_netcdf,
    write_parquet,
    write_tables,
)

__all__ = [
    "atomic_write",
    "cf_ready",
    "netcdf_ready",
    "provenance",
    "sha256",
    "table_to_dataset",
    "write_csv",
    "write_geopackage",
    "write_json",
    "write_netcdf",
    "write_parquet",
    "write_tables",
]
