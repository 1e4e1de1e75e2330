"""Error hierarchy of urbansat.

Every error raised on bad user input derives from :class:`UrbansatError` *and*
from the matching builtin, so ``except ValueError`` keeps working (the pattern of
odc-geo's ``CRSMismatchError(ValueError)``). A message names three things: what
is wrong, the offending file / variable / value, and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "AlignmentError",
    "BoundaryCRSError",
    "BoundaryError",
    "CRSError",
    "ConfigError",
    "DuplicateInputWarning",
    "EmptyResultWarning",
    "EmptySelectionError",
    "FactorError",
    "InputFileError",
    "InversionError",
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
]


class UrbansatError(Exception):
    """Base class of every error urbansat raises on bad input or state."""


class InputFileError(UrbansatError, OSError):
    """A file cannot be read: missing, truncated, not netCDF/HDF5/GeoTIFF."""


class ProductNotRecognizedError(UrbansatError, ValueError):
    """No reader recognises the file; the message lists the installed readers."""


class MissingVariableError(UrbansatError, KeyError):
    """A known product lacks a variable or group that the reader requires."""

    def __str__(self) -> str:
        """Return the message as given (KeyError would repr() it)."""
        return str(self.args[0]) if self.args else ""


class SchemaError(UrbansatError, ValueError):
    """A dataset does not satisfy the normalized urbansat contract (schema.py)."""


class UnitsError(SchemaError):
    """A units attribute is missing, unparsable or not convertible, or belies the values."""


class EmptySelectionError(UrbansatError, ValueError):
    """A filter (bbox, time, boundary, QA) selects nothing at all."""


class OutputPathError(UrbansatError, ValueError):
    """An output path would overwrite an input of the same call or job, or cannot be a target."""


class MixedInputError(UrbansatError, ValueError):
    """Inputs of different products or gases were given to one call."""


class BoundaryError(UrbansatError, ValueError):
    """Boundaries are empty, duplicated, lack a CRS, or do not overlap the data."""


class CRSError(UrbansatError, ValueError):
    """A CRS is missing or disagrees with the data."""


class BoundaryCRSError(BoundaryError, CRSError):
    """Boundaries whose coordinates cannot be in their CRS (e.g. degrees labelled EPSG:3857)."""


class AlignmentError(UrbansatError, ValueError):
    """Two rasters do not share CRS, grid and pixel registration."""


class LegendError(UrbansatError, ValueError):
    """A land-cover raster holds class codes that the legend does not map."""


class FactorError(UrbansatError, ValueError):
    """A carbon factor table lacks a class, zone or column that is needed."""


class WindError(UrbansatError, ValueError):
    """Wind input is missing, zero, or does not cover the source."""


class InversionError(UrbansatError, ValueError):
    """An inversion cannot be set up with the inputs given."""


class ConfigError(UrbansatError, ValueError):
    """A job configuration is invalid; the message lists every problem with its key path."""


class UrbansatWarning(UserWarning):
    """Base class of urbansat warnings."""


class UrbansatDeprecationWarning(UrbansatWarning, DeprecationWarning):
    """A public name or argument is deprecated; the message names its replacement."""


class EmptyResultWarning(UrbansatWarning):
    """A step produced an empty (but valid) result, e.g. no sounding passed QA."""


class UnusedInputWarning(UrbansatWarning):
    """A supplied input fills no result (e.g. emissions outside every boundary or period)."""


class DuplicateInputWarning(UrbansatWarning):
    """The same input (a granule by content, a sounding by id) was given twice and is used once."""


class SuspectValueWarning(UrbansatWarning):
    """Values look like an undeclared fill (e.g. -9999 with no ``nodata``) and are used as data."""
