"""Rows that do not apply: one not_applicable row; boundary_periods; unused inputs warn."""

from __future__ import annotations

import warnings

import builders
import numpy as np
import pandas as pd
import pytest

from urbansat.errors import BoundaryError, UnusedInputWarning
from urbansat.indicators import tci231_indicators, to_wide
from urbansat.indicators.collapse import SUMMARY_INDICATOR, collapse_not_applicable

P2 = {"2020": ("2020-01-01", "2021-01-01"), "2021": ("2021-01-01", "2022-01-01")}


def _collapsed_count(summary: pd.Series) -> int:
    return int(str(summary["note"]).split()[0])


def test_collapse_keeps_every_row_that_applies_and_counts_the_rest():
    full = builders.full_table()
    out = collapse_not_applicable(full)
    summary = out[out.status == "not_applicable"]
    # one per boundary with a row that does not apply; the project J1 has none (two periods,
    # every category with area)
    assert list(summary.boundary_id) == ["R1", "C1", "P1"]
    assert len(out[out.boundary_id == "J1"]) == int((full.boundary_id == "J1").sum())
    assert (summary.indicator == SUMMARY_INDICATOR).all()
    assert summary.value.isna().all() and summary.uncertainty.isna().all()
    for _, s in summary.iterrows():
        kept = out[(out.boundary_id == s.boundary_id) & (out.status != "not_applicable")]
        n_full = int((full.boundary_id == s.boundary_id).sum())
        assert len(kept) + _collapsed_count(s) == n_full
    # every valued or rejected row survives unchanged
    key = ["boundary_id", "subject", "target", "indicator", "period"]
    keep = full[full.status.isin(["ok", "partial", "from_inventory", "rejected"])]
    merged = keep.merge(out, on=key, suffixes=("", "_c"), how="left")
    assert (merged.status == merged.status_c).all()
    np.testing.assert_array_equal(merged.value.to_numpy(), merged.value_c.to_numpy())
    # gases no instrument observes are listed, never left as rows
    assert (summary.method == "").all()
    r1 = summary[summary.boundary_id == "R1"].note.iloc[0]
    assert "pfcs, hfcs, sf6" in r1 and "no configured instrument" in r1
    assert not out.status.isin(["not_observable", "single_period"]).any()
    assert set(out.target) & {"pfcs", "hfcs", "sf6", "ch4"} == set()
    # N2O (inventory) keeps its emission rows; its concentration rows are collapsed
    n2o = out[(out.boundary_id == "R1") & (out.target == "n2o")]
    assert set(n2o.indicator) == {
        "total_emission.emission_rate",
        "total_emission.emission_amount",
        "emission_change.absolute_change",
        "emission_change.relative_change",
    }


def test_zero_area_category_collapses_but_a_nonzero_one_stays():
    sk = builders.sinks()
    cat = list(sk.category.values)
    zero, moving = cat.index("mangrove"), cat.index("seagrass")
    for v in ("area_start", "area_end", "area_change", "stock_start", "stock_end"):
        sk[v][:, zero] = 0.0
        sk[v][:, moving] = 0.0
    for v in ("net_sink", "net_sink_uncertainty", "gross_removals", "gross_emissions"):
        sk[v][:, zero] = 0.0
    b = builders.boundaries()
    t = tci231_indicators(sinks={"2020": sk}, boundaries=b, periods={"2020": P2["2020"]})
    c1 = t[t.boundary_id == "C1"]
    assert "mangrove" not in set(c1.target)
    assert "seagrass" in set(c1.target)  # 0 ha but a non-zero net sink: shown, not hidden
    why = c1[c1.status == "not_applicable"].note.iloc[0]
    assert "mangrove: 0 ha of the category in the boundary at both land-cover epochs" in why
    full = tci231_indicators(
        sinks={"2020": sk}, boundaries=b, periods={"2020": P2["2020"]}, collapse=False
    )
    assert len(full[(full.boundary_id == "C1") & (full.target == "mangrove")]) == 9


def test_rejected_estimates_are_not_collapsed():
    b = builders.boundaries()
    ds = builders.emissions("co2", 1.0)
    ds = ds.assign(qa_reason=("source", np.array(["plume not detected"] * 2)))
    t = tci231_indicators(emissions=ds, boundaries=b, periods={"2020": P2["2020"]})
    rows = t[(t.boundary_id == "P1") & (t.target == "co2")]
    assert set(rows.status) >= {"rejected"}
    rejected = rows[rows.status == "rejected"]
    assert "plume not detected" in rejected.note.iloc[0]
    assert rejected.method.iloc[0] == ""


def test_boundary_periods_tabulate_only_the_periods_given():
    b = builders.boundaries()
    ems = {"2020": builders.emissions("co2", 1.0), "2021": builders.emissions("co2", 1.2)}
    t = tci231_indicators(
        emissions=ems, boundaries=b, periods=P2, boundary_periods={"P1": ["2021"]}
    )
    p1 = t[t.boundary_id == "P1"]
    assert set(p1.period) == {"2021"}
    assert not p1.indicator.str.startswith("emission_change").any()  # one period: no change
    r1 = t[(t.boundary_id == "R1") & (t.target == "co2")]
    assert "2020->2021" in set(r1.period)
    change = r1[(r1.indicator == "emission_change.absolute_change") & (r1.period == "2020->2021")]
    assert change.value.iloc[0] == pytest.approx(0.2 * 1500.0)
    with pytest.raises(BoundaryError, match=r"boundaries \['X9'\] that are not in boundaries"):
        tci231_indicators(boundaries=b, periods=P2, boundary_periods={"X9": ["2020"]})
    with pytest.raises(BoundaryError, match=r"periods \['2030'\] are not among"):
        tci231_indicators(boundaries=b, periods=P2, boundary_periods={"P1": ["2030"]})


def test_emissions_outside_every_boundary_or_period_warn():
    b = builders.boundaries()
    far = builders.emissions("co2", 1.0).assign_coords(
        longitude=("source", [50.0, 51.0]), latitude=("source", [10.0, 10.0])
    )
    with pytest.warns(UnusedInputWarning, match="outside every boundary"):
        tci231_indicators(emissions={"2020": far}, boundaries=b, periods={"2020": P2["2020"]})
    # inside P1 and R1, but those tabulate 2021 only
    near = builders.emissions("co2", 1.0)
    with pytest.warns(UnusedInputWarning, match="tabulates period '2020'"):
        tci231_indicators(
            emissions={"2020": near},
            boundaries=b.iloc[[0, 2]],
            periods=P2,
            boundary_periods={"R1": ["2021"], "P1": ["2021"]},
        )
    # the README mistake: an overpass of 2015 given for a table of 2021
    old = near.assign_attrs(overpass_time="2015-04-23 11:13:45")
    with pytest.warns(UnusedInputWarning, match="does not hold the overpass"):
        t = tci231_indicators(emissions=old, boundaries=b, periods={"2021": P2["2021"]})
    assert t[t.target == "co2"].status.isin(["ok"]).any()  # still tabulated, but warned


def test_sinks_of_other_boundaries_warn():
    b = builders.boundaries()
    sk = builders.sinks().assign_coords(boundary=["X1", "X2", "X3"])
    with pytest.warns(UnusedInputWarning, match=r"sinks for period '2020' account boundaries"):
        tci231_indicators(sinks={"2020": sk}, boundaries=b, periods={"2020": P2["2020"]})


def test_inputs_that_fill_rows_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnusedInputWarning)
        t = tci231_indicators(
            emissions={"2020": builders.emissions("co2", 1.0)},
            sinks={"2020": builders.sinks()},
            boundaries=builders.boundaries(),
            periods={"2020": P2["2020"]},
        )
    assert t.status.isin(["ok"]).sum() > 0


def test_wide_table_ends_each_boundary_with_the_summary():
    t = collapse_not_applicable(builders.full_table())
    wide = to_wide(t, value="cell")
    last = wide.index[-1]
    assert "rows that do not apply to the boundary" in last
    cell = wide.loc[last, ("Region [R1]", "2020")]
    assert "rows do not apply to this boundary" in cell and "pfcs" in cell
    assert len(wide) < len(to_wide(builders.full_table(), value="cell"))


@pytest.mark.parametrize("gases", [["c02"], ["co2", "methane"], "co3"])
def test_unknown_observed_gas_is_refused(gases):
    # "c02" was dropped silently: CO2 became not_observable instead of no_data
    from urbansat.errors import SchemaError

    sk, bnd = builders.sinks(), builders.boundaries()
    given = (sk.copy(deep=True), bnd.copy(), list(gases) if isinstance(gases, list) else gases)
    with pytest.raises(SchemaError, match=r"observed_gases names \[.*\], not gases of T/CI 231"):
        tci231_indicators(
            sinks={"2020": sk}, boundaries=bnd, periods={"2020": P2["2020"]}, observed_gases=gases
        )
    assert sk.identical(given[0]) and bnd.equals(given[1]) and gases == given[2]


def test_observed_gas_names_are_case_and_space_insensitive():
    kw = {
        "sinks": {"2020": builders.sinks()},
        "boundaries": builders.boundaries(),
        "periods": {"2020": P2["2020"]},
        "collapse": False,
    }
    a = tci231_indicators(observed_gases=["CO2 ", "ch4"], **kw)
    b = tci231_indicators(observed_gases=["co2", "ch4"], **kw)
    pd.testing.assert_frame_equal(a, b)
    none = tci231_indicators(**kw)
    # listed without data: no_data; not listed and no data: not_observable
    co2 = (a.target == "co2") & (a.boundary_id == "R1")
    assert "no_data" in set(a.loc[co2, "status"])  # change rows of one period: single_period
    none_co2 = set(none.loc[(none.target == "co2") & (none.boundary_id == "R1"), "status"])
    assert "no_data" not in none_co2 and "not_observable" in none_co2


def test_periods_out_of_date_order_are_refused_not_differenced_backwards():
    """2021 then 2020 gave the change row '2021->2020' with the sign reversed."""
    from urbansat.errors import SchemaError

    b = builders.boundaries()
    for periods in (
        ["2021", "2020"],
        {"2021": ("2021-01-01", "2022-01-01"), "2020": ("2020-01-01", "2021-01-01")},
    ):
        with pytest.raises(SchemaError, match="list the periods in date order"):
            tci231_indicators(boundaries=b, periods=periods)
