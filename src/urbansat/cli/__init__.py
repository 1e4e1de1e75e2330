"""Command-line interface: ``urbansat info|plot|invert|run|demo ...``.

Each command group lives in its own module and registers itself on :data:`app`:
``granule_cmds`` (info, plot), ``invert_cmds`` (invert), ``job_cmds`` (run, demo). Modules that do not
exist yet are skipped so partial installs still give a working CLI.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="urbansat",
    help="Satellite monitoring of city carbon (T/CI 231-2023 satellite indicators).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _mod in ("granule_cmds", "invert_cmds", "job_cmds"):
    try:
        importlib.import_module(f"urbansat.cli.{_mod}")
    except ModuleNotFoundError as _err:  # only the command module itself may be absent
        if _err.name != f"urbansat.cli.{_mod}":
            raise


@app.callback()
def _root() -> None:
    """urbansat command-line interface."""


def main() -> None:
    """Entry point of the ``urbansat`` console script."""
    app()
