"""Contract for on/off arguments: a boolean, never a truthy string or number."""

from __future__ import annotations

import numpy as np

from urbansat.errors import SchemaError

__all__ = ["require_flag"]


def require_flag(name: str, value: object) -> bool:
    """Return ``value`` if it is a boolean, else raise :class:`~urbansat.errors.SchemaError`.

    A string such as ``"no"`` or ``"False"`` is truthy in Python and would silently mean
    True; a number such as 0 or 1 is refused too, so the intent is never guessed.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise SchemaError(
            f"{name}={value!r} is not True or False; pass {name}=True or {name}=False."
        )
    return bool(value)
