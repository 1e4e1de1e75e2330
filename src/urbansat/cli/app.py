"""The ``urbansat`` typer application, its ``--version`` option and the console entry point.

Command modules register their commands on :data:`app` when :mod:`urbansat.cli` imports
them (:func:`urbansat.cli.commands.register_commands`); the console script enters through
``urbansat.cli:main``, so they are always registered.
"""

from __future__ import annotations

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
