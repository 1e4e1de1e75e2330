"""``urbansat run job.toml`` and ``urbansat demo``: batch jobs from the command line."""

from __future__ import annotations

import importlib.resources
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from urbansat.cli.app import app
from urbansat.errors import InputFileError, UrbansatError
from urbansat.export import atomic_write

if TYPE_CHECKING:
    from urbansat.pipeline.job import JobResult

__all__ = ["demo", "run", "samples_dir", "write_demo_config"]

DEFAULT_DEMO_DIR = "urbansat-demo-output"


def samples_dir() -> Path:
    """Return the project's ``data/samples`` (``$URBANSAT_SAMPLES`` overrides).

    Raises
    ------
    InputFileError
        When the directory cannot be found (installed without the repository).
    """
    env = os.environ.get("URBANSAT_SAMPLES")
    cand = Path(env) if env else Path(__file__).resolve().parents[3] / "data" / "samples"
    if not (cand / "smartcarb").is_dir():
        raise InputFileError(
            f"demo samples not found at {str(cand)!r}: run the demo from a clone of the urbansat "
            "repository, or set URBANSAT_SAMPLES to its data/samples directory."
        )
    return cand


def write_demo_config(out_dir: str | Path) -> Path:
    """Write the demo job TOML into ``out_dir`` (absolute input paths) and return its path."""
    out = Path(out_dir).resolve()
    demo = importlib.resources.files("urbansat.data") / "demo"
    template = (demo / "demo_job.toml.in").read_text(encoding="utf-8")
    text = template.format(
        samples=samples_dir().as_posix(), demo=Path(str(demo)).resolve().as_posix()
    )
    path = out / "demo_job.toml"
    with atomic_write(path) as tmp:  # an unwritable folder is an OutputPathError
        tmp.write_text(text, encoding="utf-8")
    return path


def _summary(result: JobResult) -> None:
    t = result.indicators
    typer.echo(
        f"\n{len(t)} indicator rows for {t.boundary_id.nunique()} boundaries in "
        f"{result.elapsed_s:.1f} s"
    )
    typer.echo(
        "status counts: " + ", ".join(f"{k} {v}" for k, v in t.status.value_counts().items())
    )
    typer.echo(f"steps computed {len(result.computed)}, reused from cache {len(result.reused)}")
    for name, paths in result.outputs.items():
        typer.echo(f"  {name}: " + ", ".join(p.name for p in paths))
    if result.report is not None:
        typer.echo(f"report: {result.report}")
    if result.report_pdf is not None:
        typer.echo(f"printable report: {result.report_pdf}")
    if result.manifest is not None:
        import json

        m = json.loads(result.manifest.read_text(encoding="utf-8"))
        prev = m.get("previous_run")
        if prev and prev.get("status") != "complete":
            typer.echo(
                f"earlier run {prev['run_id']} was {prev['status']}: {prev['action']} by this run"
            )
        typer.echo(f"manifest: {result.manifest} (run {m['run_id']}, {m['status']})")


@app.command("run")
def run(
    config: Annotated[Path, typer.Argument(help="Job configuration (TOML).")],
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="auto | synchronous | threads | local | tcp://host:port (overrides the config).",
        ),
    ] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="Hide progress bars.")] = False,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Ignore cached steps and recompute everything.")
    ] = False,
) -> None:
    """Run a job: granules -> concentrations, emissions, sinks -> T/CI 231 tables, exports."""
    from urbansat.pipeline import run_job

    try:
        result = run_job(config, scheduler=scheduler, progress=not no_progress, resume=not fresh)
    except UrbansatError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code=2) from None
    _summary(result)


@app.command("demo")
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="Output directory.")] = Path(
        DEFAULT_DEMO_DIR
    ),
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="As for `urbansat run`.")
    ] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="Hide progress bars.")] = False,
    open_report: Annotated[
        bool,
        typer.Option("--open", help="Open the HTML report in the default web browser when done."),
    ] = False,
) -> None:
    """Run a complete job on the shipped data/samples; write the tables and the report.

    The report is written as report.html and, printable (A4), report.pdf.
    """
    from urbansat.export.guard import check_output_dir
    from urbansat.pipeline import run_job

    try:
        check_output_dir(output, key="--output")
        cfg = write_demo_config(output)
        typer.echo(f"demo job: {cfg}")
        result = run_job(cfg, scheduler=scheduler, progress=not no_progress)
    except UrbansatError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code=2) from None
    _summary(result)
    if open_report and result.report is not None:
        _open_in_browser(result.report)


def _open_in_browser(path: Path) -> None:
    """Open ``path`` (its file:// URI) with :func:`webbrowser.open`; say so when it cannot."""
    import webbrowser

    uri = path.resolve().as_uri()
    if not webbrowser.open(uri):
        typer.echo(f"no web browser could be started; open {uri} yourself.", err=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
