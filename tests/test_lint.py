"""The code base is ruff-clean (rule set of the pinned ruff in the dev extras)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_ruff_clean():
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if exe is None:
        pytest.skip("ruff is not installed: pip install -e '.[dev]'")
    out = subprocess.run([exe, "check", "src", "tests", "benchmarks", "notebooks"], cwd=REPO,
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_mypy_clean():
    """src/urbansat type-checks with the pinned mypy and pandas-stubs ([tool.mypy] in pyproject)."""
    pytest.importorskip("mypy", reason="mypy is not installed: pip install -e '.[dev]'")
    out = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=REPO,
                         capture_output=True, text=True, check=False, timeout=600)
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
