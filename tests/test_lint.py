"""The code base passes the linters configured in pyproject.toml (issue 20).

The same commands as ``.ci/lint``: ``ruff check`` with the rule set of ``[tool.ruff.lint]``
(pycodestyle, pyflakes, isort, bugbear, pyupgrade, simplify, comprehensions, ruff, pylint,
pep8-naming, numpy-convention docstrings), ``ruff format --check`` and ``mypy`` with
``strict = true`` on ``src/urbansat`` (``[tool.mypy]``; per-module exceptions only with a
written reason). A regression fails the suite, not only CI's lint step.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PATHS = ["src", "tests", "benchmarks", "notebooks", "docs"]


def _ruff() -> str:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if exe is None:
        pytest.skip("ruff is not installed: pip install -e '.[dev]'")
    return exe


def _run(cmd: list[str], timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=REPO, capture_output=True, text=True, check=False, timeout=timeout
    )


def test_ruff_clean():
    out = _run([_ruff(), "check", *PATHS])
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_ruff_format_clean():
    out = _run([_ruff(), "format", "--check", *PATHS])
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


@pytest.mark.slow  # a whole-package mypy run (~60 s)
def test_mypy_strict_clean():
    """src/urbansat type-checks strictly with the pinned mypy and pandas-stubs."""
    pytest.importorskip("mypy", reason="mypy is not installed: pip install -e '.[dev]'")
    out = _run([sys.executable, "-m", "mypy", "--no-incremental"])
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
