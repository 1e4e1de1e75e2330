"""The README's quickstart runs as written, from the repository root."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_readme_quickstart_runs(monkeypatch):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Quickstart") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    assert len(code.strip().splitlines()) <= 12
    monkeypatch.chdir(REPO)
    ns: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "README.md#quickstart", "exec"), ns)  # noqa: S102 - the README is ours
    emis, sinks, table = ns["emis"], ns["sinks"], ns["table"]
    # Jänschwalde, SMARTCARB truth 42.40 Mt CO2/yr at 2015-04-23 11 UTC
    q = float(emis.emission_t_per_yr.sel(source="Janschwalde")) / 1e6
    assert q == pytest.approx(42.40, rel=0.15)
    assert {"atmosphere", "sink"} <= set(table.subject)
    assert "principe" in set(sinks.boundary.values)
    # the table gives numbers: the emission in its own period, the sinks in theirs
    t = table.set_index(["boundary_id", "target", "indicator", "period"])
    e = t.loc[("janschwalde", "co2", "total_emission.emission_rate", "2015")]
    assert e.status == "ok" and e.value == pytest.approx(float(emis.emission_t_per_yr[0]))
    assert 0 < e.uncertainty < e.value
    s = t.loc[("principe", "total", "total_sink.net_sink", "2021")]
    assert s.status == "ok" and abs(s.value) > 0 and s.uncertainty > 0
    assert set(table.period) == {"2015", "2021"}
    assert (table.status == "not_applicable").sum() == 2  # one summary row per boundary
    assert os.path.isdir(REPO / "data" / "samples")
