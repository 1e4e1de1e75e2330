"""urbansat: satellite monitoring of city carbon.

Ingest XCO2/XCH4 granules and land-cover rasters, reduce them exactly to
city / county / park / project boundaries, estimate emissions by flux
inversion with honest uncertainties, account carbon sinks, and build the
satellite indicators of T/CI 231-2023 Table 1.

The public functions are imported lazily (PEP 562) so ``import urbansat``
stays fast and optional heavy dependencies load only when used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from urbansat._version import __version__
from urbansat.errors import (
    AlignmentError,
    BoundaryCRSError,
    BoundaryError,
    ConfigError,
    CRSError,
    DuplicateInputWarning,
    EmptyResultWarning,
    EmptySelectionError,
    FactorError,
    InputFileError,
    InversionError,
    LegendError,
    MissingVariableError,
    MixedInputError,
    OutputPathError,
    ProductNotRecognizedError,
    SchemaError,
    SuspectValueWarning,
    UnitsError,
    UnusedInputWarning,
    UrbansatDeprecationWarning,
    UrbansatError,
    UrbansatWarning,
    WindError,
)

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "open_granules": "urbansat.ingest.granules",
    "select_target": "urbansat.ingest.granules",
    "list_readers": "urbansat.ingest.readers",
    "open_landcover": "urbansat.ingest.landcover",
    "read_boundaries": "urbansat.ingest.boundaries",
    "open_wind": "urbansat.ingest.winds",
    "validate_granule": "urbansat.schema",
    "to_soundings": "urbansat.schema",
    "zonal_stats": "urbansat.spatial.zonal",
    "Coverage": "urbansat.spatial.weights",
    "class_areas": "urbansat.spatial.zonal",
    "select_soundings": "urbansat.spatial.swath",
    "grid_soundings": "urbansat.spatial.gridding",
    "estimate_emissions": "urbansat.inversion",
    "InversionOptions": "urbansat.inversion",
    "account_sinks": "urbansat.sinks",
    "carbon_maps": "urbansat.sinks.maps",
    "write_carbon_maps": "urbansat.export.rasters",
    "error_adjusted_areas": "urbansat.sinks.accuracy",
    "read_invest_table": "urbansat.ingest.factors",
    "tci231_indicators": "urbansat.indicators",
    "validate": "urbansat.validation",  # deprecated alias of validate_inventory
    "validate_inventory": "urbansat.validation",
    "run_job": "urbansat.pipeline",
    "period_totals": "urbansat.temporal",
}

__all__ = [
    "AlignmentError",
    "BoundaryCRSError",
    "BoundaryError",
    "CRSError",
    "ConfigError",
    "Coverage",
    "DuplicateInputWarning",
    "EmptyResultWarning",
    "EmptySelectionError",
    "FactorError",
    "InputFileError",
    "InversionError",
    "InversionOptions",
    "LegendError",
    "MissingVariableError",
    "MixedInputError",
    "OutputPathError",
    "ProductNotRecognizedError",
    "SchemaError",
    "SuspectValueWarning",
    "UnitsError",
    "UnusedInputWarning",
    "UrbansatDeprecationWarning",
    "UrbansatError",
    "UrbansatWarning",
    "WindError",
    "__version__",
    "account_sinks",
    "carbon_maps",
    "class_areas",
    "error_adjusted_areas",
    "estimate_emissions",
    "grid_soundings",
    "list_readers",
    "open_granules",
    "open_landcover",
    "open_wind",
    "period_totals",
    "read_boundaries",
    "read_invest_table",
    "run_job",
    "select_soundings",
    "select_target",
    "tci231_indicators",
    "to_soundings",
    "validate",
    "validate_granule",
    "validate_inventory",
    "write_carbon_maps",
    "zonal_stats",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'urbansat' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover
    from urbansat.export.rasters import write_carbon_maps
    from urbansat.indicators import tci231_indicators
    from urbansat.ingest.boundaries import read_boundaries
    from urbansat.ingest.factors import read_invest_table
    from urbansat.ingest.granules import open_granules, select_target
    from urbansat.ingest.landcover import open_landcover
    from urbansat.ingest.readers import list_readers
    from urbansat.ingest.winds import open_wind
    from urbansat.inversion import InversionOptions, estimate_emissions
    from urbansat.pipeline import run_job
    from urbansat.schema import to_soundings, validate_granule
    from urbansat.sinks import account_sinks
    from urbansat.sinks.accuracy import error_adjusted_areas
    from urbansat.sinks.maps import carbon_maps
    from urbansat.spatial.gridding import grid_soundings
    from urbansat.spatial.swath import select_soundings
    from urbansat.spatial.weights import Coverage
    from urbansat.spatial.zonal import class_areas, zonal_stats
    from urbansat.temporal import period_totals
    from urbansat.validation import validate, validate_inventory
