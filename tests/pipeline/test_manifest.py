"""The run manifest: folder contents, interrupted runs, stale outputs, cache keys, 2 processes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from jobs import small_job

from urbansat import pipeline
from urbansat.pipeline import cache as cache_mod
from urbansat.pipeline.manifest import MANIFEST_VERSION, code_versions, read_manifest


def _run(cfg, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pipeline.run_job(cfg, progress=False, **kw)


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_manifest_of_a_complete_run(tmp_path, project_samples):
    cfg = small_job(tmp_path, project_samples, scheduler="synchronous")
    cfg["outputs"]["formats"] = ["csv", "json"]
    r = _run(cfg)
    out = tmp_path / "out"
    m = read_manifest(out)
    assert r.manifest == out / "manifest.json"
    assert (
        m["manifest_version"] == MANIFEST_VERSION
        and m["status"] == "complete"
        and m["error"] is None
    )
    assert m["urbansat_version"] == code_versions()["urbansat"]
    assert m["factor_tables"]["ipcc2019"] == code_versions()["factor_tables"]["ipcc2019"]
    assert m["started"] <= m["finished"] and m["elapsed_s"] > 0
    assert m["previous_run"] is None and len(m["run_id"]) == 32
    assert {s: v["status"] for s, v in m["steps"].items()} == {
        "boundaries": "ok",
        "concentrations": "ok",
        "emissions": "ok",
        "sinks": "ok",
        "indicators": "ok",
        "validation": "ok",
        "exports": "ok",
    }
    assert m["steps"]["emissions"]["computed"] == 1
    inputs = {i["path"]: i for i in m["inputs"]}
    b = str(Path(cfg["boundaries"][0]["path"]).resolve())
    assert inputs[b]["sha256"] == _sha(Path(b)) and inputs[b]["bytes"] == Path(b).stat().st_size
    assert any("S5P_RPRO_L2__CH4" in p for p in inputs)
    names = {o["path"] for o in m["outputs"]}
    assert {
        "indicators.csv",
        "indicators.json",
        "indicators_wide.csv",
        "job_provenance.json",
        "indicators.csv.provenance.json",
    } <= names
    for o in m["outputs"]:
        assert _sha(out / o["path"]) == o["sha256"]
    assert m["config"]["job"]["output_dir"] == str(out.resolve())
    assert json.loads((out / "job_provenance.json").read_text())["run_id"] == m["run_id"]


def test_interrupted_run_is_marked_and_resumed_or_replaced_explicitly(
    tmp_path, project_samples, monkeypatch
):
    cfg = small_job(tmp_path, project_samples, scheduler="synchronous")
    cfg["outputs"]["formats"] = ["csv", "json"]
    first = _run(cfg)
    out = tmp_path / "out"
    first_id = read_manifest(out)["run_id"]

    def boom(key):
        raise KeyboardInterrupt(f"simulated interruption after {key}")

    monkeypatch.setattr(cache_mod, "_after_step", boom)
    cfg["concentration"] = {"background_buffer_km": 15.0}  # new step keys: recomputed
    with pytest.raises(KeyboardInterrupt):
        _run(cfg)
    monkeypatch.setattr(cache_mod, "_after_step", None)
    m = read_manifest(out)
    assert m["status"] == "interrupted" and "simulated interruption" in m["error"]
    assert m["previous_run"] == {"run_id": first_id, "status": "complete", "action": "replaced"}
    assert m["outputs"] == []  # nothing of this run is claimed as an output
    interrupted = m["run_id"]
    cfg["outputs"]["formats"] = ["csv"]  # the rerun writes fewer tables
    r = _run(cfg)
    m2 = read_manifest(out)
    assert m2["status"] == "complete"
    assert m2["previous_run"] == {
        "run_id": interrupted,
        "status": "interrupted",
        "action": "resumed",
    }
    # the step finished before the interruption and the emission step of the first run
    assert r.computed == [] and len(r.reused) == 2
    assert not (out / "indicators.json").exists()  # the stale table of the first run is gone
    assert {o["path"] for o in m2["outputs"]} == {
        p.name
        for p in out.iterdir()
        if p.is_file() and p.name not in ("manifest.json", ".urbansat.lock")
    }
    r3 = _run(cfg, resume=False)
    m3 = read_manifest(out)
    assert m3["previous_run"]["action"] == "replaced" and r3.reused == [] and len(r3.computed) == 2
    assert first.manifest == r3.manifest


def test_cache_keys_change_with_the_code_and_factor_versions(
    tmp_path, project_samples, monkeypatch
):
    cfg = small_job(tmp_path, project_samples, scheduler="synchronous")
    _run(cfg)
    assert _run(cfg).computed == []
    real = code_versions()
    import urbansat.pipeline.manifest as man

    for changed in (
        {**real, "urbansat": real["urbansat"] + ".post1"},
        {**real, "factor_tables": {**real["factor_tables"], "ipcc2019": "v999"}},
        {**real, "result_layout": real["result_layout"] + 1},  # a result Dataset's variables
    ):
        monkeypatch.setattr(man, "code_versions", lambda changed=changed: changed)
        cache_mod._code_salt.cache_clear()
        try:
            r = _run(cfg)
        finally:
            cache_mod._code_salt.cache_clear()
        assert r.reused == [] and len(r.computed) == 2


def test_hard_kill_leaves_incomplete(tmp_path, project_samples):
    cfg = small_job(tmp_path, project_samples, scheduler="synchronous")
    script = textwrap.dedent(f"""
        import os, sys, warnings, json
        warnings.simplefilter("ignore")
        from urbansat import pipeline
        from urbansat.pipeline import cache
        cache._after_step = lambda key: os._exit(9)   # as a SIGKILL: no cleanup at all
        pipeline.run_job(json.loads({json.dumps(json.dumps(cfg))}), progress=False)
    """)
    p = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert p.returncode == 9, p.stderr
    m = read_manifest(tmp_path / "out")
    assert m["status"] == "incomplete" and m["finished"] is None
    r = _run(cfg)
    assert (
        read_manifest(tmp_path / "out")["previous_run"]["action"] == "resumed"
        and len(r.reused) == 1
    )


@pytest.mark.slow
def test_two_processes_fresh_on_one_folder_do_not_race(tmp_path, project_samples):
    cfg = small_job(tmp_path, project_samples, scheduler="synchronous")
    cfg["outputs"]["formats"] = ["csv", "parquet", "json"]
    job = tmp_path / "job.json"
    job.write_text(json.dumps(cfg), encoding="utf-8")
    script = textwrap.dedent(f"""
        import json, warnings
        warnings.simplefilter("ignore")
        from urbansat.pipeline import run_job
        r = run_job(json.load(open({str(job)!r})), progress=False, resume=False)
        run_id = json.load(open(r.manifest))["run_id"]
        print(json.dumps({{"computed": len(r.computed), "run": run_id}}))
    """)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    for p, (_, stderr) in zip(procs, results, strict=True):
        assert p.returncode == 0, stderr[-3000:]
    runs = [json.loads(stdout.strip().splitlines()[-1]) for stdout, _ in results]
    assert all(
        r["computed"] == 2 for r in runs
    )  # each --fresh run recomputed everything, neither crashed
    m = read_manifest(tmp_path / "out")
    assert m["status"] == "complete" and m["run_id"] in {r["run"] for r in runs}
    assert m["previous_run"]["status"] == "complete"  # the other run finished before this one began
    for o in m["outputs"]:
        assert _sha(tmp_path / "out" / o["path"]) == o["sha256"]
    assert not list((tmp_path / "out").glob(".urbansat-cache.old-*"))
