"""Several overpasses of a source in one period: period_totals of the valid estimates (issue 17)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "indicators"))
import builders

from urbansat.pipeline.periods import _combine_overpasses, _period_of


def test_period_totals_of_valid_overpasses():
    a = builders.emissions("co2", 1.0).assign_attrs(
        overpass_time="2021-03-01T11:00"
    )  # plantA 1000 +- 100
    b = builders.emissions("co2", 2.0, reject_second=True).assign_attrs(
        overpass_time="2021-07-01T11:00"
    )
    periods = {"2021": ("2021-01-01", "2022-01-01")}
    c = _combine_overpasses([a, b], period="2021", periods=periods)
    assert 1000.0 < float(c.emission_t_per_yr.sel(source="plantA")) < 2000.0
    assert (
        float(c.emission_t_per_yr_uncertainty.sel(source="plantA")) > 100.0
    )  # sampling term, not sqrt(sum)/n
    assert float(c.emission_t_per_yr.sel(source="plantB")) == pytest.approx(
        500.0
    )  # only the valid one
    assert int(c.n_overpasses.sel(source="plantB")) == 2
    assert str(c.qa_reason.sel(source="plantB").values) == ""
    assert str(c.period_status.sel(source="plantA").values) == "partial"  # 2 overpasses < 6
    bad = builders.emissions("co2", 1, reject_second=True)
    allbad = _combine_overpasses(
        [
            bad.assign_attrs(overpass_time="2021-03-01T11:00"),
            bad.assign_attrs(overpass_time="2021-04-01T11:00"),
        ],
        period="2021",
        periods=periods,
    )
    assert np.isnan(float(allbad.emission_t_per_yr.sel(source="plantB")))
    assert "plume not detected" in str(allbad.qa_reason.sel(source="plantB").values)
    assert c.emission.attrs["units"] == "kg s-1"


def test_period_of_overpass():
    periods = {"2020": ("2020-01-01", "2021-01-01"), "2021": ("2021-01-01", "2022-01-01")}
    t = np.array(["2021-06-01T10:00"], dtype="datetime64[ns]")
    assert _period_of(t, periods) == "2021"
    assert _period_of(np.array(["2019-06-01"], dtype="datetime64[ns]"), periods) is None
    assert _period_of(t, ["2020", "2021"]) == "2021"
