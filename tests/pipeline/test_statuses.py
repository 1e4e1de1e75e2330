"""Statuses that tell the truth: one list, no 0 +- 0 'ok' from nothing, a granule counted once."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from jobs import small_job

from urbansat.errors import UrbansatWarning
from urbansat.indicators import STATUSES, tci231_indicators
from urbansat.pipeline import run_job
from urbansat.status import MEANINGS, VALUED, Status, carries_value

SRC = Path(__file__).resolve().parents[2] / "src" / "urbansat"


def test_one_enum_with_the_valued_set():
    assert set(STATUSES) == {s.value for s in Status} == {s.value for s in MEANINGS}
    assert set(VALUED) == {"ok", "partial", "from_inventory"}
    assert [s for s in Status if s.carries_value] == [
        Status.OK,
        Status.PARTIAL,
        Status.FROM_INVENTORY,
    ]
    assert (
        carries_value(Status.PARTIAL)
        and not carries_value("no_data")
        and not carries_value("rejected")
    )
    assert Status("no_data") == "no_data" and Status.NO_DATA.meaning.startswith("nothing")


def test_the_valued_list_is_written_nowhere_else():
    pattern = re.compile(r"""["']ok["'],\s*["']partial["'],\s*["']from_inventory["']""")
    hits = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if p.name != "status.py" and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert hits == [], f"use urbansat.status.VALUED instead of a literal list in {hits}"


def test_all_nodata_epoch_is_no_data_never_zero_ok():
    from urbansat.sinks import account_sinks
    from urbansat.testing.landcover import make_boundaries, make_landcover, make_landcover_pair

    good0, good1 = make_landcover_pair((40, 40))
    empty0 = make_landcover(np.zeros((40, 40), np.uint8), year=2015)  # 0 = WorldCover nodata
    empty1 = make_landcover(np.zeros((40, 40), np.uint8), year=2020)
    b = make_boundaries(good0, 2)
    periods = {"2020": ("2015-01-01", "2021-01-01")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for start, end in ((empty0, good1), (good0, empty1), (empty0, empty1)):
            t = tci231_indicators(
                sinks={"2020": account_sinks(start, end, b, climate_zone="subtropical_humid_asia")},
                boundaries=b,
                periods=periods,
            )
            net = t[t.indicator == "total_sink.net_sink"]
            assert (net.status == "no_data").all()
            assert net.value.isna().all() and net.uncertainty.isna().all()
            assert net.note.str.contains("no valid land-cover pixel in the boundary").all()
            assert (net.method == "").all()
        ok = tci231_indicators(
            sinks={"2020": account_sinks(good0, good1, b, climate_zone="subtropical_humid_asia")},
            boundaries=b,
            periods=periods,
        )
    total = ok[(ok.indicator == "total_sink.net_sink") & (ok.target == "total")]
    assert (total.status == "ok").all() and np.isfinite(total.value).all()


def test_same_granule_listed_twice_is_counted_once(tmp_path, project_samples):
    cfg = small_job(tmp_path, project_samples, scheduler="synchronous")
    original = next((project_samples / "tropomi_ch4").glob("S5P_RPRO_L2__CH4____*.SUB.nc4"))
    copy = tmp_path / original.name.replace("SUB", "COPY.SUB")
    shutil.copy(original, copy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        once = run_job(cfg, progress=False)
    cfg["job"]["output_dir"] = str(tmp_path / "out2")
    cfg["granules"][0]["paths"] = [str(original), str(original), str(copy)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.warns(UrbansatWarning, match="same content"):
            twice = run_job(cfg, progress=False)
    cols = ["boundary_id", "target", "indicator", "value", "status", "n_obs"]
    assert once.indicators[cols].equals(twice.indicators[cols])
    em = twice.emissions[("2022", "ch4")]
    assert (
        int(em["n_overpasses"].values[0]) == 1 if "n_overpasses" in em else em.sizes["source"] == 1
    )
    assert len(twice.soundings["ch4"]) == len(once.soundings["ch4"])
