"""PURE: compare satellite emission estimates with bottom-up inventories.

:func:`validate_inventory` (in :mod:`urbansat.validation.inventory`) matches estimates
with inventory items and scores them. ``validate`` is its deprecated former name.
"""

from __future__ import annotations

from urbansat.validation.inventory import VALIDATION_COLUMNS, validate, validate_inventory

__all__ = ["VALIDATION_COLUMNS", "validate", "validate_inventory"]
