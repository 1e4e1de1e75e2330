"""T/CI 231 indicator table: completeness, known values, statuses, golden CSV."""

from __future__ import annotations

from pathlib import Path

import builders
import numpy as np
import pandas as pd
import pytest

from urbansat.categories import GASES, SINK_CATEGORIES
from urbansat.errors import BoundaryError, SchemaError
from urbansat.indicators import TIDY_COLUMNS, indicator_spec, tci231_indicators, to_wide
from urbansat.schema import require_indicator_table

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden" / "tci231_small.csv"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return builders.full_table()


def _get(t, bid, target, ind, period):
    r = t[
        (t.boundary_id == bid) & (t.target == target) & (t.indicator == ind) & (t.period == period)
    ]
    assert len(r) == 1, (bid, target, ind, period)
    return r.iloc[0]


def test_columns_exact(table):
    assert tuple(table.columns) == TIDY_COLUMNS


def test_every_row_of_table1_present(table):
    spec = indicator_spec()
    atm = [k for k in spec.key if k.startswith(("total_emission", "concentration"))]
    # atmosphere for region/county/park, all 6 gases, both periods
    for bid in ("R1", "C1", "P1"):
        for gas in GASES:
            for key in atm:
                for p in ("2020", "2021"):
                    _get(table, bid, gas, key, p)
            for q in ("absolute_change", "relative_change"):
                _get(table, bid, gas, f"emission_change.{q}", "2020->2021")
    # sinks for region/county/project, 11 categories + total
    sink_keys = [k for k in spec.key if spec.set_index("key").loc[k, "subject"] == "sink"]
    for bid in ("R1", "C1", "J1"):
        for cat in [*SINK_CATEGORIES, "total"]:
            for key in sink_keys:
                _get(
                    table,
                    bid,
                    cat,
                    key,
                    "2020->2021" if key.endswith("net_sink_change") else "2021",
                )
    # scopes: no sink rows for the park, no atmosphere rows for the project
    assert not ((table.boundary_id == "P1") & (table.subject == "sink")).any()
    assert not ((table.boundary_id == "J1") & (table.subject == "atmosphere")).any()


def test_known_emission_values(table):
    r = _get(table, "R1", "co2", "total_emission.emission_rate", "2020")
    assert r.value == pytest.approx(1500.0)
    assert r.uncertainty == pytest.approx(np.hypot(100, 80))
    assert r.status == "ok" and r.n_obs == 65
    # park holds only plantA
    assert _get(table, "P1", "co2", "total_emission.emission_rate", "2020").value == pytest.approx(
        1000
    )
    # 2021: plantB rejected -> partial, only plantA (1.2 x 1000)
    r21 = _get(table, "R1", "co2", "total_emission.emission_rate", "2021")
    assert (
        r21.status == "partial"
        and r21.value == pytest.approx(1200)
        and "plume not detected" in r21.note
        and r21.method == "ime (1 source(s) summed)"
    )
    ch = _get(table, "R1", "co2", "emission_change.absolute_change", "2020->2021")
    assert ch.value == pytest.approx(-300) and ch.uncertainty == pytest.approx(
        np.hypot(np.hypot(100, 80), 120)
    )
    rel = _get(table, "R1", "co2", "emission_change.relative_change", "2020->2021")
    assert rel.value == pytest.approx(-20.0) and rel.unit == "%"
    amt = _get(table, "R1", "co2", "total_emission.emission_amount", "2020")
    assert amt.value == pytest.approx(1500 * 366 / 365.25) and amt.unit == "t"


def test_concentration_values(table):
    # county all 402, region 100 cells at 402 and 300 at 401, outside 400
    c = _get(table, "C1", "co2", "concentration.column_mean", "2020")
    assert c.value == pytest.approx(402.0) and c.n_obs == 100 and c.unit == "ppm"
    r = _get(table, "R1", "co2", "concentration.column_mean", "2020")
    assert r.value == pytest.approx(401.25) and r.n_obs == 400
    bg = _get(table, "R1", "co2", "concentration.background", "2020")
    assert bg.value == pytest.approx(400.0)
    en = _get(table, "C1", "co2", "concentration.enhancement", "2021")
    assert en.value == pytest.approx(2.0)
    assert en.uncertainty > 0


def test_unobserved_gases_never_zero_or_dropped(table):
    sf6 = table[table.target == "sf6"]
    assert len(sf6) > 0 and (sf6.status == "not_observable").all() and sf6.value.isna().all()
    n2o = _get(table, "R1", "n2o", "total_emission.emission_rate", "2021")
    assert n2o.status == "from_inventory" and n2o.value == 15.0
    # county has inventory for 2020 only
    assert (
        _get(table, "C1", "n2o", "total_emission.emission_rate", "2021").status == "not_observable"
    )
    # CH4 has no input at all: no configured instrument
    assert _get(table, "R1", "ch4", "concentration.column_mean", "2020").status == "not_observable"


def test_sink_values(table):
    r = _get(table, "C1", "forest", "total_sink.net_sink", "2020")
    assert (
        r.value == pytest.approx(12.0)
        and r.uncertainty == pytest.approx(2.4)
        and r.unit == "t CO2 yr-1"
    )
    ch = _get(table, "C1", "forest", "sink_change.net_sink_change", "2020->2021")
    assert ch.value == pytest.approx(-6.0)
    assert _get(
        table, "R1", "forest", "resource_change.area_change", "2021"
    ).value == pytest.approx(10.0)
    assert _get(table, "R1", "forest", "sink_change.stock_change", "2020").value == pytest.approx(
        100.0
    )


def test_missing_inputs_give_status_rows():
    b = builders.boundaries()
    t = tci231_indicators(boundaries=b, periods=["2020"], collapse=False)
    assert set(t.status) == {"not_observable", "no_data", "single_period"}
    assert t.value.isna().all()
    assert (t[t.indicator == "emission_change.absolute_change"].status == "not_observable").all()
    assert (t[t.indicator == "sink_change.net_sink_change"].status == "single_period").all()
    # collapsed (the default): nothing applies, so one not_applicable row per boundary
    c = tci231_indicators(boundaries=b, periods=["2020"])
    assert list(c.boundary_id) == list(b.boundary_id)
    assert set(c.status) == {"not_applicable"}
    counts = t.groupby("boundary_id").size()
    for bid, method, note in zip(c.boundary_id, c.method, c.note, strict=True):
        assert method == ""
        assert note.startswith(f"{counts[bid]} rows do not apply")


def test_bad_inputs_raise_clear_errors():
    b = builders.boundaries()
    with pytest.raises(BoundaryError, match="unknown level"):
        tci231_indicators(boundaries=b.assign(level="city"), periods=["2020"])
    with pytest.raises(SchemaError, match="gas"):
        ds = builders.emissions("co2", 1.0)
        ds.attrs.pop("gas")
        tci231_indicators(emissions=ds, boundaries=b, periods=["2020"])
    with pytest.raises(SchemaError, match="mapping period"):
        tci231_indicators(
            emissions=builders.emissions("co2", 1), boundaries=b, periods=["2020", "2021"]
        )
    with pytest.raises(SchemaError, match="not among periods"):
        tci231_indicators(
            emissions={"1999": builders.emissions("co2", 1)}, boundaries=b, periods=["2020"]
        )


def test_inputs_not_modified():
    b = builders.boundaries()
    ds = builders.emissions("co2", 1.0)
    before = ds.copy(deep=True)
    b0 = b.copy()
    tci231_indicators(emissions=ds, boundaries=b, periods=["2020"])
    assert ds.identical(before)
    assert b.equals(b0)


def test_require_indicator_table_catches_zero_for_unobserved(table):
    bad = table.copy()
    i = bad.index[bad.status == "not_observable"][0]
    bad.loc[i, "value"] = 0.0
    with pytest.raises(SchemaError, match="carry a value"):
        require_indicator_table(bad)


def test_wide_pivot_has_chinese_and_english(table):
    wide = to_wide(table, value="cell")
    assert "二氧化碳" in wide.index.get_level_values("target_zh")
    assert "生态碳汇总量" in wide.index.get_level_values("indicator_zh")
    assert "carbon emission concentration" in wide.index.get_level_values("indicator_en")
    assert ("Region [R1]", "2020") in wide.columns
    num = to_wide(table)
    assert (
        num.loc[num.index.get_level_values("quantity_en") == "total carbon emission (rate)"].shape[
            0
        ]
        == 6
    )
    cell = num.xs("CO2", level="target_en").xs("total carbon emission (rate)", level="quantity_en")
    assert float(cell[("Region [R1]", "2020")].iloc[0]) == pytest.approx(1500.0)


def test_golden_csv(table):
    golden = pd.read_csv(GOLDEN, dtype={"period": str, "boundary_id": str})
    got = pd.read_csv(
        __import__("io").StringIO(table.to_csv(index=False, float_format="%.10g")),
        dtype={"period": str, "boundary_id": str},
    )
    pd.testing.assert_frame_equal(got, golden, check_exact=False, rtol=1e-9)


def test_spec_rows_have_unique_ids_and_units():
    spec = indicator_spec()
    assert spec["id"].is_unique and spec["key"].is_unique
    assert set(spec["subject"]) == {"atmosphere", "sink"}
    assert (
        (spec["unit"] != "").all()
        and (spec["name_zh"] != "").all()
        and (spec["source_variable"] != "").all()
    )
    assert list(spec["id"].str[0].unique()) == ["A", "B"]


def test_observed_gas_without_data_is_no_data_not_unobservable():
    t = tci231_indicators(
        boundaries=builders.boundaries(), periods=["2020"], observed_gases=["ch4"]
    )
    ch4 = t[(t.target == "ch4") & (t.indicator == "concentration.column_mean")]
    assert (ch4.status == "no_data").all()
    assert (t[t.target == "sf6"].status == "not_observable").all()


#: Words of a reason (missing, rejected, not applicable): never in ``method``.
_REASON_WORDS = ("rejected", "plume not detected", "no ", "not available", "unknown", "collapsed")


def test_method_says_how_and_note_says_why(table):
    """``method`` holds only how a value was computed; every reason is in ``note``."""
    b = builders.boundaries()
    ds = builders.emissions("co2", 1.0)
    ds = ds.assign(qa_reason=("source", np.array(["plume not detected"] * 2)))
    rejected_table = tci231_indicators(emissions=ds, boundaries=b, periods=["2020"])
    both = pd.concat([table, rejected_table], ignore_index=True)
    for m in both.method:
        assert not any(w in m for w in _REASON_WORDS), m
    assert (both.loc[~both.status.isin(["ok", "partial", "from_inventory"]), "method"] == "").all()
    unvalued = both[both.status.isin(["no_data", "rejected", "not_observable", "not_applicable"])]
    assert (unvalued.note != "").all()
    # a partial row (table): the method only, the rejected source named in the note
    r21 = _get(table, "R1", "co2", "total_emission.emission_rate", "2021")
    assert r21.method == "ime (1 source(s) summed)"
    assert r21.note == "rejected plantB: plume not detected"
    amount = _get(table, "R1", "co2", "total_emission.emission_amount", "2021")
    assert amount.method == "ime (1 source(s) summed); x 0.9993 yr"
    assert amount.note == r21.note
    # a rejected row: no method, every source and its QA reason in the note
    rej = rejected_table[rejected_table.status == "rejected"]
    assert len(rej)
    assert (rej.method == "").all()
    p1 = rej[(rej.boundary_id == "P1") & (rej.indicator == "total_emission.emission_rate")]
    assert p1.note.tolist() == ["plantA: plume not detected"]
    assert rej.note.str.fullmatch(r"(plant[AB]: plume not detected(; )?)+").all()


def _n2o_rows(inv: pd.DataFrame) -> pd.DataFrame:
    t = tci231_indicators(
        boundaries=builders.boundaries(), periods=["2020", "2021"], inventory=inv, collapse=False
    )
    r = t[(t.target == "n2o") & (t.indicator == "total_emission.emission_rate")]
    return r.set_index(["boundary_id", "period"])


def test_inventory_without_uncertainty_is_unknown_not_zero():
    # the sum of squares skipped NaN: a table without uncertainties reported 0.0
    r = _n2o_rows(builders.inventory().drop(columns="emission_t_per_yr_uncertainty"))
    assert r.loc[("R1", "2020"), "value"] == 12.0
    assert np.isnan(r.loc[("R1", "2020"), "uncertainty"])
    # sectors are summed, their sigmas in quadrature; one unknown sigma makes the sum's unknown
    inv = builders.inventory()
    two = pd.concat([inv, inv.iloc[[0]].assign(emission_t_per_yr=4.0)], ignore_index=True)
    r = _n2o_rows(two.assign(sector=["energy", "energy", "energy", "waste"]))
    assert r.loc[("R1", "2020"), "value"] == 16.0
    assert r.loc[("R1", "2020"), "uncertainty"] == pytest.approx(np.hypot(2.0, 2.0))
    two.loc[3, "emission_t_per_yr_uncertainty"] = np.nan
    r = _n2o_rows(two.assign(sector=["energy", "energy", "energy", "waste"]))
    assert np.isnan(r.loc[("R1", "2020"), "uncertainty"])


@pytest.mark.parametrize(
    ("change", "match"),
    [
        # a blank emission was summed as 0 t yr-1
        ({"emission_t_per_yr": [np.nan, 15.0, 3.0]}, r"rows \[0\] have no emission_t_per_yr"),
        # text was summed as text ("12" + "3" = "123") or pandas' error
        ({"emission_t_per_yr": ["12", "x", "3"]}, r"holds 'x' in row 1, which is not a number"),
        ({"emission_t_per_yr": [True, True, True]}, r"holds True/False"),
        ({"emission_t_per_yr_uncertainty": [-1.0, 2.0, 1.0]}, r"rows \[0\] have a negative"),
        # an infinity (a spreadsheet's division by zero) or a negative emission was used as is
        ({"emission_t_per_yr": [np.inf, 15.0, 3.0]}, r"rows \[0\] have emission_t_per_yr \[inf\]"),
        ({"emission_t_per_yr": [10.0, -100.0, 3.0]}, r"rows \[1\].*finite number >= 0"),
        ({"emission_t_per_yr_uncertainty": [1.0, np.inf, 1.0]}, r"rows \[1\] have an infinite"),
        # a misspelt gas filled nothing: N2O stayed not_observable
        ({"gas": ["n20", "n2o", "n2o"]}, r"gas\(es\) \['n20'\], not gases of T/CI 231"),
    ],
)
def test_malformed_inventory_refused(change, match):
    inv = builders.inventory().assign(**change)
    before = inv.copy()
    with pytest.raises(SchemaError, match=match):
        _n2o_rows(inv)
    pd.testing.assert_frame_equal(inv, before)


def test_repeated_inventory_row_refused_and_unused_rows_warned():
    inv = builders.inventory()
    with pytest.raises(SchemaError, match=r"inventory repeats rows .*'R1'.*added twice"):
        _n2o_rows(pd.concat([inv, inv.iloc[[0]]]))  # was 24 t yr-1 for R1 2020
    with pytest.raises(SchemaError, match=r"inventory must be a pandas.DataFrame"):
        _n2o_rows([1, 2])
    from urbansat.errors import UnusedInputWarning

    with pytest.warns(UnusedInputWarning, match=r"1 inventory row\(s\) name a boundary or period"):
        _n2o_rows(inv.assign(period=["2020", "1999", "2020"]))


def test_source_without_a_position_is_refused_not_dropped():
    # plantA (1000 t/yr, in P1 and R1) vanished: R1 = 500 'ok', P1 'no_data', no warning
    bd = builders.boundaries()
    em = builders.emissions("co2", 1.0)
    ok = tci231_indicators(emissions={"2019": em}, boundaries=bd, periods=["2019"])
    bad = em.assign_coords(longitude=("source", [np.nan, *em["longitude"].values[1:]]))
    with pytest.raises(SchemaError, match=r"sources \['plantA'\] have no finite longitude"):
        tci231_indicators(emissions={"2019": bad}, boundaries=bd, periods=["2019"])
    assert np.isfinite(em["longitude"].values).all()  # the input is untouched
    r1 = ok[(ok.boundary_id == "R1") & (ok.indicator == "total_emission.emission_rate")]
    assert (r1["value"] > 500).all()


def test_relative_change_to_zero_has_a_finite_sigma():
    # sigma was |0| x hypot(u1/E1, u2/0) = 0 x inf = NaN
    from urbansat.indicators.build import _change

    a = {"value": 1000.0, "uncertainty": 100.0, "status": "ok"}
    to_zero = _change(a, {"value": 0.0, "uncertainty": 50.0, "status": "ok"}, relative=True)
    assert to_zero["value"] == pytest.approx(-100.0)
    assert to_zero["uncertainty"] == pytest.approx(100 * 50.0 / 1000.0)  # 100 u2 / E1 [%]
    b = {"value": 1200.0, "uncertainty": 120.0, "status": "ok"}
    rel = _change(a, b, relative=True)  # the usual case is unchanged
    assert rel["uncertainty"] == pytest.approx(100 * 1.2 * np.hypot(0.1, 0.1), rel=1e-12)


def test_a_year_label_is_as_long_as_the_same_year_given_with_dates():
    # "2015" counted 1 Julian year (365.25 d), the dated 2015 its 365 days: 0.07 % apart
    from urbansat.indicators.periods import period_years

    for y, days in ((2015, 365), (2020, 366)):
        label = period_years([str(y)])[str(y)]
        dated = period_years({str(y): (f"{y}-01-01", f"{y + 1}-01-01")})[str(y)]
        assert label == dated == pytest.approx(days / 365.25, rel=1e-15)


def test_quarter_and_month_labels_have_their_dates():
    # 'YYYY-Qn' and 'YYYY-MM' counted as undated: no emission amount, order not checked
    from urbansat.indicators.periods import period_years

    got = period_years(["2020-Q1", "2020-Q2", "2020-07", "baseline"])
    assert got["2020-Q1"] == pytest.approx(91 / 365.25, rel=1e-15)  # leap February
    assert got["2020-Q2"] == pytest.approx(91 / 365.25, rel=1e-15)
    assert got["2020-07"] == pytest.approx(31 / 365.25, rel=1e-15)
    assert np.isnan(got["baseline"])  # a label without dates still has no length
    with pytest.raises(SchemaError, match=r"'2020-Q1' .* comes after '2020-Q2' .* starts before"):
        period_years(["2020-Q2", "2020-Q1"])
    with pytest.raises(SchemaError, match=r"periods '2020' .* and '2020-Q1' .* overlap"):
        period_years(["2020", "2020-Q1"])
