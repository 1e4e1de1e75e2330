"""The curated top-level API and the error list of ``urbansat.errors`` stay in step.

``urbansat/__init__.py`` keeps a literal ``__all__`` (STYLE rule 11): ruff and type
checkers read re-exports only from a literal list, so the error class names stand in
both ``errors.__all__`` and ``urbansat.__all__``. This test is what keeps the two alike.
"""

from __future__ import annotations

import urbansat
from urbansat import errors


def test_top_level_reexports_every_error_class():
    missing = [n for n in errors.__all__ if n not in urbansat.__all__]
    assert missing == [], f"add {missing} to urbansat/__init__.py (import and __all__)"
    for name in errors.__all__:
        assert getattr(urbansat, name) is getattr(errors, name)


def test_top_level_lists_no_error_class_missing_from_errors():
    extra = [
        n for n in urbansat.__all__ if n.endswith(("Error", "Warning")) and n not in errors.__all__
    ]
    assert extra == [], (
        f"{extra} are exported by urbansat but not listed in urbansat.errors.__all__"
    )
