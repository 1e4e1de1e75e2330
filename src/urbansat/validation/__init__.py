"""PURE: compare satellite emission estimates with bottom-up inventories.

:func:`validate_inventory` (in :mod:`urbansat.validation.inventory`) matches estimates
with inventory items and scores them. ``validate`` is its deprecated former name.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from urbansat.errors import UrbansatDeprecationWarning
from urbansat.validation.inventory import VALIDATION_COLUMNS, validate_inventory

__all__ = ["VALIDATION_COLUMNS", "validate", "validate_inventory"]


def validate(*args: Any, **kwargs: Any) -> pd.DataFrame:
    """Compare estimates with an inventory: deprecated name of :func:`validate_inventory`.

    Renamed because it collided with :func:`urbansat.validate_granule`, which checks a
    swath against its schema. Takes the same arguments and returns the same table.

    .. deprecated:: 0.2
        Use :func:`urbansat.validate_inventory`; ``validate`` will be removed in 0.3.

    Parameters
    ----------
    *args, **kwargs
        Passed to :func:`validate_inventory`.

    Returns
    -------
    pandas.DataFrame
        The output of :func:`validate_inventory`.
    """
    warnings.warn(
        "urbansat.validate is deprecated and will be removed in urbansat 0.3; use "
        "urbansat.validate_inventory (same arguments).",
        UrbansatDeprecationWarning,
        stacklevel=2,
    )
    return validate_inventory(*args, **kwargs)
