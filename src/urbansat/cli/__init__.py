"""Command-line interface: ``urbansat info|plot|invert|run|demo ...``.

Each command group lives in its own module and registers itself on :data:`app`:
``granule_cmds`` (info, plot), ``invert_cmds`` (invert), ``job_cmds`` (run, demo).
Modules that do not exist yet are skipped so partial installs still give a working CLI.
"""

from __future__ import annotations

from urbansat.cli.app import app, main
from urbansat.cli.commands import register_commands

register_commands()

__all__ = ["app", "main"]
