"""Import the command modules so that they register their commands on the typer app."""

from __future__ import annotations

import importlib

__all__ = ["COMMAND_MODULES", "register_commands"]

#: The command groups: ``granule_cmds`` (info, plot), ``invert_cmds`` (invert),
#: ``job_cmds`` (run, demo).
COMMAND_MODULES = ("granule_cmds", "invert_cmds", "job_cmds")


def register_commands() -> None:
    """Import every command module; a module that is absent is skipped (partial installs)."""
    for mod in COMMAND_MODULES:
        try:
            importlib.import_module(f"urbansat.cli.{mod}")
        except ModuleNotFoundError as err:  # only the command module itself may be absent
            if err.name != f"urbansat.cli.{mod}":
                raise
