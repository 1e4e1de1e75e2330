"""Memory of a LocalCluster worker stays flat over a long distributed job (>= 500 tasks)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

N_TASKS = 520
BATCH = 40
#: Measured on the CI machine (2 cores): with the workers' profiler on (distributed's default)
#: these tasks grew a worker by 0.2-0.35 MB per task; with urbansat's worker config 0.01-0.03.
MAX_GROWTH_MB_PER_TASK = 0.08


def _worker_rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def _measure(tmp_path: Path, project_samples: Path, config: dict) -> list[tuple[int, float]]:
    import dask
    import pandas as pd
    from distributed import get_client

    from urbansat.pipeline.cache import _load_table, _save_table, _Steps
    from urbansat.pipeline.execution import _scheduler
    from urbansat.pipeline.steps import _open_swath

    src = next((project_samples / "tropomi_ch4").glob("S5P_RPRO_L2__CH4____*.SUB.nc4"))
    files = []
    for i in range(N_TASKS):  # distinct names, as in a long job over many granules
        p = tmp_path / src.name.replace("_03_020400_", f"_{i:03d}_020400_")
        p.symlink_to(src)
        files.append(str(p))

    def task(f: str) -> pd.DataFrame:
        sw = _open_swath(f, {})
        return pd.DataFrame({"file": [Path(f).name], "mean": [float(sw["xch4"].mean())]})

    steps = _Steps(tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    samples: list[tuple[int, float]] = []
    with dask.config.set(config), _scheduler("local", 0):
        client = get_client()
        for k in range(0, N_TASKS, BATCH):
            jobs = [
                (f"t{i}", ".parquet", lambda f=files[i]: task(f), _save_table, _load_table)
                for i in range(k, min(N_TASKS, k + BATCH))
            ]
            steps.run_many(jobs, desc="memory", progress=False)
            samples.append((k + BATCH, max(client.run(_worker_rss).values()) / 1e6))
    return samples


@pytest.mark.slow
def test_worker_memory_flat_over_520_tasks(tmp_path, project_samples):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        samples = _measure(tmp_path, project_samples, {})
    (n0, m0), (n1, m1) = samples[2], samples[-1]  # after warm-up (imports, first opens)
    growth = (m1 - m0) / (n1 - n0)
    assert growth < MAX_GROWTH_MB_PER_TASK, f"worker grew {growth:.3f} MB/task: {samples}"


if __name__ == "__main__":  # measurement: python tests/pipeline/test_worker_memory.py [profile]
    import sys
    import tempfile

    cfg = {"distributed.worker.profile.enabled": True} if "profile" in sys.argv else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = _measure(
            Path(tempfile.mkdtemp()), Path(__file__).resolve().parents[2] / "data" / "samples", cfg
        )
    (n0, m0), (n1, m1) = s[2], s[-1]
    print(s, f"\n{(m1 - m0) / (n1 - n0):.4f} MB/task", os.cpu_count())
