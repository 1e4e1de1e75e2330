"""Resumability (interrupt + rerun, counting recomputations), distributed == local, errors, CLI."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from jobs import small_job
from typer.testing import CliRunner

from urbansat import pipeline
from urbansat.errors import ConfigError
from urbansat.pipeline.config import load_config


def _run(cfg, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pipeline.run_job(cfg, progress=False, **kw)


def test_interrupt_and_resume(tmp_path, project_samples, monkeypatch):
    cfg = small_job(tmp_path, project_samples, scheduler="synchronous")

    def boom(key):
        raise KeyboardInterrupt(f"simulated interruption after {key}")

    monkeypatch.setattr(pipeline.cache, "_after_step", boom)
    with pytest.raises(KeyboardInterrupt):
        _run(cfg)
    monkeypatch.setattr(pipeline.cache, "_after_step", None)
    cache = tmp_path / "out" / ".urbansat-cache"
    done = sorted(p.name for p in cache.iterdir() if p.name.startswith(("conc-", "emis-")))
    assert len(done) == 1  # the first step finished atomically, nothing else
    r2 = _run(cfg)
    assert len(r2.reused) == 1 and len(r2.computed) == 1  # only the unfinished step recomputed
    r3 = _run(cfg)
    assert r3.computed == [] and len(r3.reused) == 2
    pd.testing.assert_frame_equal(r2.indicators, r3.indicators)
    r4 = _run(cfg, resume=False)
    assert len(r4.computed) == 2
    # a changed option changes the step key: recomputed, not reused
    cfg["concentration"] = {"background_buffer_km": 20.0}
    r5 = _run(cfg)
    assert [k for k in r5.computed if k.startswith("conc-")] and not [
        k for k in r5.computed if k.startswith("emis-")
    ]


@pytest.mark.slow
def test_distributed_equals_single_process(tmp_path, project_samples):
    from distributed import LocalCluster

    ref = _run(small_job(tmp_path / "a", project_samples, scheduler="synchronous"), resume=False)
    # two worker processes talking over tcp, as on a real cluster
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        memory_limit="1GiB",
    ) as cluster:
        dist = _run(
            small_job(tmp_path / "b", project_samples, scheduler=cluster.scheduler_address),
            resume=False,
        )
    assert "tcp://" in dist.provenance["options"]["scheduler_used"]
    cols = [
        "boundary_id",
        "target",
        "indicator",
        "period",
        "value",
        "uncertainty",
        "status",
        "n_obs",
    ]
    pd.testing.assert_frame_equal(
        ref.indicators[cols], dist.indicators[cols], check_exact=False, rtol=1e-12
    )
    assert (ref.indicators.status == "ok").sum() >= 3


def test_config_reports_every_problem_with_key_path(tmp_path):
    p = tmp_path / "job.toml"
    p.write_text(
        """
[job]
output_dir = "out"
scheduler = "fast"
periods = { "2020" = ["2021-01-01", "2020-01-01"] }
colour = "red"

[[boundaries]]
path = "missing.geojson"
level = "city"

[[granules]]
name = "g"
paths = ["nothing/*.nc"]
gas = "n2o"

[[emissions]]
granules = "h"
method = "magic"
wind = "breeze"

[outputs]
formats = ["csv", "xlsx"]
""",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_config(p)
    msg = str(err.value)
    for needle in (
        "job.scheduler",
        "job.periods.2020",
        "job.colour: unknown key",
        "boundaries[0].path",
        "boundaries[0].level",
        "granules[0].paths",
        "granules[0].gas",
        "emissions[0].granules",
        "emissions[0].method",
        "emissions[0].wind",
        "emissions[0]: give sources",
        "outputs.formats",
    ):
        assert needle in msg, needle
    assert "13 problem(s)" in msg or msg.count("\n  - ") >= 12


def test_cli_run_and_demo_help(tmp_path, project_samples):
    import tomllib  # noqa: F401  (the CLI reads TOML)

    from urbansat.cli import app

    cfg = small_job(tmp_path, project_samples, scheduler="synchronous")
    lines = [
        "[job]",
        'name = "cli"',
        f'output_dir = "{tmp_path / "out"}"',
        'scheduler = "synchronous"',
        'periods = { "2022" = ["2022-01-01", "2023-01-01"] }',
        "[[boundaries]]",
        f'path = "{cfg["boundaries"][0]["path"]}"',
        'level = "county"',
        'id_field = "id"',
        "[[granules]]",
        'name = "ch4"',
        f'paths = ["{cfg["granules"][0]["paths"][0]}"]',
        "[outputs]",
        'formats = ["csv", "json"]',
        "report = false",
    ]
    job = tmp_path / "job.toml"
    job.write_text("\n".join(lines), encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["run", str(job), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "indicator rows" in res.output and (tmp_path / "out" / "indicators.csv").is_file()
    bad = tmp_path / "bad.toml"
    bad.write_text("[job]\nperiods = []\n", encoding="utf-8")
    res = runner.invoke(app, ["run", str(bad)])
    assert res.exit_code == 2 and "job.output_dir" in res.output
    res = runner.invoke(app, ["demo", "--help"])
    assert res.exit_code == 0 and "--output" in res.output


def test_granule_bbox_filter_that_selects_nothing_gives_no_data(tmp_path, project_samples):
    cfg = small_job(tmp_path, project_samples, scheduler="synchronous")
    cfg["granules"][0]["bbox"] = [10.0, 50.0, 11.0, 51.0]  # far from the Bowen granule
    r = _run(cfg)
    ch4 = r.indicators[r.indicators.target == "ch4"]
    # the granule measures CH4 but holds nothing in the box: nothing was there, it was observable
    ch4 = ch4[~ch4.indicator.str.startswith("emission_change")]  # single_period with one period
    assert (ch4.status == "no_data").all() and ch4.value.isna().all()
    cfg["granules"][0]["gas"] = "ch4"
    r = _run(cfg)
    ch4 = r.indicators[
        (r.indicators.target == "ch4") & ~r.indicators.indicator.str.startswith("emission_change")
    ]
    assert (
        ch4.status == "no_data"
    ).all() and ch4.value.isna().all()  # configured but nothing observed
    cfg["granules"][0]["bbox"] = [148.0, -23.5, 150.0, -22.0]
    r2 = _run(cfg)
    row = r2.indicators.query("target == 'ch4' and indicator == 'concentration.column_mean'").iloc[
        0
    ]
    assert row.status == "ok" and row.n_obs > 10


def test_job_wind_from_era5_model_levels(tmp_path, project_samples):
    from urbansat.errors import ConfigError
    from urbansat.pipeline.config import validate_config
    from urbansat.pipeline.steps import _wind_arg

    sc = project_samples / "smartcarb"
    job = small_job(tmp_path, project_samples)
    job["emissions"][0]["wind"] = {
        "path": "SMARTCARB_ERA5-lvl-20150423t1100.nc",
        "surface": "SMARTCARB_ERA5-sfc-20150423t1100.nc",
    }
    cfg = validate_config(job, base_dir=sc)
    w = _wind_arg(cfg["emissions"][0]["wind"])
    assert w.attrs["wind_source"] == "era5_model_levels"
    assert "boundary_layer_height" in w
    job["emissions"][0]["wind"]["surface"] = "no-such-sfc.nc"
    with pytest.raises(ConfigError, match=r"emissions\[0\]\.wind\.surface: file .*no-such-sfc\.nc"):
        validate_config(job, base_dir=sc)
