"""Contracts of the data products urbansat passes between layers (one module each).

``swath`` (C1, the normalized granule), ``boundaries`` (C2), ``wind`` (C3, user winds),
``results`` (C4 emission result, C5 sink result, C6 indicator table); beside them
``files`` (the file-type gate run before any read or checksum), ``flags`` (on/off
switches), ``geo`` (the one longitude/latitude rule), ``antimeridian`` (polygons crossing
180 degrees split into parts that do not), ``time`` (instants in UTC without a zone) and
``legend`` (the legend attributes of a land-cover raster). ``docs/architecture.md`` lists
where each contract is checked.
This ``__init__`` only re-exports.
"""

from __future__ import annotations

from urbansat.schema.antimeridian import crosses_antimeridian, split_antimeridian
from urbansat.schema.boundaries import boundary_ids, require_boundaries
from urbansat.schema.files import check_input_file
from urbansat.schema.flags import require_flag
from urbansat.schema.geo import LONGITUDE_RANGE, longitude_ok, wrap_longitude
from urbansat.schema.legend import cf_legend_attrs, legend_categories_of, legend_of
from urbansat.schema.results import (
    METHOD_DIM,
    TERM_DIM,
    TIDY_COLUMNS,
    require_emission_result,
    require_indicator_table,
    require_sink_result,
    require_tidy_columns,
)
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
from urbansat.schema.time import naive_utc
from urbansat.schema.wind import user_wind

__all__ = [
    "GAS_STANDARD_NAMES",
    "GAS_UNITS",
    "LONGITUDE_RANGE",
    "METHOD_DIM",
    "SWATH_DIMS",
    "TERM_DIM",
    "TIDY_COLUMNS",
    "boundary_ids",
    "cf_legend_attrs",
    "check_input_file",
    "crosses_antimeridian",
    "gas_of",
    "gas_variable",
    "legend_categories_of",
    "legend_of",
    "longitude_ok",
    "naive_utc",
    "require_boundaries",
    "require_dataset",
    "require_emission_result",
    "require_flag",
    "require_indicator_table",
    "require_sink_result",
    "require_tidy_columns",
    "split_antimeridian",
    "to_soundings",
    "user_wind",
    "validate_granule",
    "wrap_longitude",
]
