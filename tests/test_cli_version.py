"""``urbansat --version`` prints the installed version (issue 19, CLI polish)."""

from __future__ import annotations

from typer.testing import CliRunner

import urbansat
from urbansat.cli import app


def test_version_flag_prints_installed_version() -> None:
    """``--version`` exits 0 and prints exactly ``urbansat <__version__>``."""
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"urbansat {urbansat.__version__}"


def test_root_help_lists_version_without_bool_placeholder() -> None:
    """The root help shows ``--version`` and never a ``<bool>`` metavar."""
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "120", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert "--version" in result.output
    assert "<bool>" not in result.output


def test_units_in_brackets_survive_in_help() -> None:
    """Bracketed units such as ``[m s-1]`` are printed, not eaten as rich markup."""
    result = CliRunner().invoke(app, ["invert", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "[m s-1]" in result.output
    assert "<bool>" not in result.output


def test_python_dash_m_urbansat_runs_the_cli():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "urbansat", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("urbansat ")
