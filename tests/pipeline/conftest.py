from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, project_samples):
    """The complete demo job, run once (synchronous) for the pipeline tests."""
    import os

    os.environ.setdefault("URBANSAT_SAMPLES", str(project_samples))
    from urbansat.cli.job_cmds import write_demo_config
    from urbansat.pipeline import run_job

    out = tmp_path_factory.mktemp("demo")
    cfg = write_demo_config(out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_job(cfg, scheduler="synchronous", progress=False)
    return cfg, result


sys.path.insert(0, str(Path(__file__).resolve().parent))
