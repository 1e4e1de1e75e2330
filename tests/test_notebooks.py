"""Execute every example notebook (notebooks/NN_*.ipynb) on data/samples with nbclient."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))


def test_notebooks_are_generated_from_build_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("nb_build", NB_DIR / "_build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(mod.NOTEBOOKS)
    for p in NOTEBOOKS:
        nb = nbformat.read(p, as_version=4)
        code = [c.source for c in nb.cells]
        assert code == [src for _, src in mod.NOTEBOOKS[p.stem]], (
            f"{p.name} differs from _build.py: rerun it"
        )


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, project_samples, monkeypatch):
    monkeypatch.setenv("URBANSAT_SAMPLES", str(project_samples))
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NB_DIR)}}
    )
    client.execute()
    elapsed = time.perf_counter() - t0
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert not errors
    assert elapsed < 60, (
        f"{path.name} took {elapsed:.0f} s; keep each notebook small (< 30 s on 2 cores)"
    )
