"""Contracts of the data products urbansat passes between layers (one module each).

``swath`` (the normalized granule contract), ``files`` (the file-type gate run
before any read or checksum), ``antimeridian`` (polygons crossing 180 degrees split
into parts that do not), ``legend`` (the legend attributes of a land-cover raster). This
``__init__`` only re-exports.
"""

from __future__ import annotations

from urbansat.schema.antimeridian import crosses_antimeridian, split_antimeridian
from urbansat.schema.files import check_input_file
from urbansat.schema.legend import cf_legend_attrs, legend_categories_of, legend_of
from urbansat.schema.swath import (
    GAS_STANDARD_NAMES,
    GAS_UNITS,
    SWATH_DIMS,
    gas_of,
    gas_variable,
    require_dataset,
    to_soundings,
    validate_granule,
)

__all__ = [
    "GAS_STANDARD_NAMES",
    "GAS_UNITS",
    "SWATH_DIMS",
    "cf_legend_attrs",
    "check_input_file",
    "crosses_antimeridian",
    "gas_of",
    "gas_variable",
    "legend_categories_of",
    "legend_of",
    "require_dataset",
    "split_antimeridian",
    "to_soundings",
    "validate_granule",
]
