"""A category override on a table whose code rows are labelled with other categories.

Until 2026-12-08 any lucode row of the parameter refused a category override ("cannot change
factor table ..."), also when the table's own code rows said they were forest and the
override was for grassland, whose codes have no code row and take the category row.
"""

from __future__ import annotations

import pandas as pd
import pytest

from urbansat.errors import FactorError
from urbansat.sinks.factors import factor_table_from_frame


def _forest_codes():
    return factor_table_from_frame(
        pd.DataFrame(
            {
                "lucode": [10, 30],
                "category": ["forest", "forest"],
                "parameter": ["c_above", "c_above"],
                "value": [100.0, 80.0],
            }
        ),
        name="mine",
    )


def test_override_of_a_category_the_code_rows_do_not_hold_is_applied() -> None:
    base = _forest_codes()
    before = base.data.copy()
    rows = pd.DataFrame({"category": ["grassland"], "parameter": ["c_above"], "value": [5.0]})
    out = base.override(rows)
    grass = out.data[(out.data["category"] == "grassland") & out.data["lucode"].isna()]
    assert grass["value"].tolist() == [5.0]
    # the forest codes keep their rows, and the base table is unchanged
    forest = out.data[out.data["lucode"].notna()].sort_values("lucode")
    assert forest["value"].tolist() == [100.0, 80.0]
    pd.testing.assert_frame_equal(base.data, before)


def test_override_of_the_code_rows_own_category_is_still_refused() -> None:
    rows = pd.DataFrame({"category": ["forest"], "parameter": ["c_above"], "value": [5.0]})
    with pytest.raises(FactorError, match=r"forest\.c_above: the table gives c_above per class"):
        _forest_codes().override(rows)


def test_unlabelled_code_rows_still_refuse_any_category_override() -> None:
    base = factor_table_from_frame(
        pd.DataFrame({"lucode": [10], "parameter": ["c_above"], "value": [100.0]}), name="invest"
    )
    rows = pd.DataFrame({"category": ["grassland"], "parameter": ["c_above"], "value": [5.0]})
    with pytest.raises(FactorError, match=r"grassland\.c_above.*lucode \[10\]"):
        base.override(rows)
