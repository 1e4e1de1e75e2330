"""Command-line interface: ``urbansat info|plot|invert|run|demo ...``.

Each command group lives in its own module and registers itself on :data:`app`:
``granule_cmds`` (info, plot), ``invert_cmds`` (invert), ``job_cmds`` (run, demo).
Modules that do not exist yet are skipped so partial installs still give a working CLI.
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
    # plain click help: rich rendering shows '<bool>' on flags and parses '[m s-1]' as markup
    rich_markup_mode=None,
)

for _mod in ("granule_cmds", "invert_cmds", "job_cmds"):
    try:
        importlib.import_module(f"urbansat.cli.{_mod}")
    except ModuleNotFoundError as _err:  # only the command module itself may be absent
        if _err.name != f"urbansat.cli.{_mod}":
            raise


def _print_version(value: bool) -> None:
    """Print ``urbansat <version>`` and exit when ``--version`` is given."""
    if value:
        from urbansat._version import __version__

        typer.echo(f"urbansat {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the installed urbansat version and exit.",
    ),
) -> None:
    """Satellite monitoring of city carbon (T/CI 231-2023 satellite indicators)."""


def main() -> None:
    """Entry point of the ``urbansat`` console script."""
    app()
