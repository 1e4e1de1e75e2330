"""Architecture: pure packages never import the I/O edges (ingest, export) or the pipeline.

STYLE.md §Architecture: ``schema/errors/constants/categories`` <- ``spatial`` <- ``inversion``,
``sinks`` <- ``indicators`` <- ``validation``; only ``pipeline`` (and the CLI) compose EDGE + PURE,
and nothing imports ``pipeline``. Checked statically (every import statement, also inside
functions) and at run time (``sys.modules`` after importing the pure packages).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "urbansat"
PURE = ("spatial", "inversion", "sinks", "indicators", "validation", "plot")
PURE_MODULES = ("schema.py", "categories.py", "constants.py", "errors.py")
EDGES = ("urbansat.ingest", "urbansat.export", "urbansat.pipeline", "urbansat.cli")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                out.append((node.lineno, "." * node.level + (node.module or "")))
            elif node.module:
                out += [(node.lineno, node.module)] + [
                    (node.lineno, f"{node.module}.{a.name}") for a in node.names
                ]
    return out


#: Known violations, reported to their owners; strict xfail turns green -> red when fixed.
KNOWN: dict[str, str] = {}


def _pure_files() -> list:
    files = [SRC / m for m in PURE_MODULES]
    for pkg in PURE:
        files += sorted((SRC / pkg).rglob("*.py"))
    out = []
    for f in files:
        if not f.is_file():
            continue
        rel = str(f.relative_to(SRC))
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN[rel])] if rel in KNOWN else []
        out.append(pytest.param(f, marks=marks, id=rel))
    return out


@pytest.mark.parametrize("path", _pure_files())
def test_pure_module_imports_no_edge(path):
    bad = [(n, m) for n, m in _imports(path) if m.startswith(EDGES) or m.startswith(".")]
    assert not bad, (
        f"{path.relative_to(SRC)} imports {bad}: pure code must not import "
        "ingest/export/pipeline/cli (and uses absolute imports only); take data as arguments "
        "instead."
    )


#: what the export edge may import from the package: the foundation only (it writes tables it
#: is given; composing tables, plots and readers is the pipeline's and the report's job)
FOUNDATION = (
    "urbansat._version",
    "urbansat.errors",
    "urbansat.constants",
    "urbansat.schema",
    "urbansat.categories",
    "urbansat.status",  # the status enum: a contract (the netCDF writes it as CF flags)
    "urbansat.export",
)


def test_export_imports_only_the_foundation():
    bad = [
        (str(f.relative_to(SRC)), n, m)
        for f in sorted((SRC / "export").rglob("*.py"))
        for n, m in _imports(f)
        if m.startswith("urbansat") and not m.startswith(FOUNDATION)
    ]
    assert not bad, f"export/ must only write what it is given; it imports {bad}"


def test_nothing_imports_pipeline():
    offenders = []
    for f in SRC.rglob("*.py"):
        if f.parent.name in ("pipeline", "cli") or f == SRC / "__init__.py":
            continue  # the package root only maps the lazy public name run_job
        offenders += [
            (str(f.relative_to(SRC)), n)
            for n, m in _imports(f)
            if m.startswith("urbansat.pipeline")
        ]
    assert not offenders, f"only the CLI may import urbansat.pipeline: {offenders}"


def test_runtime_imports_of_pure_packages_stay_pure():
    code = (
        "import sys\n"
        + "".join(f"import urbansat.{p}\n" for p in PURE if (SRC / p / "__init__.py").exists())
        + f"bad = sorted(m for m in sys.modules if m.startswith({EDGES!r}))\n"
        + "print(bad)\nsys.exit(1 if bad else 0)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, f"pure packages pulled in edge modules: {r.stdout} {r.stderr[-2000:]}"


def test_tests_never_import_benchmark_scripts():
    """Shared helpers live in urbansat.testing; benchmarks/ are scripts, not a library."""
    tests = Path(__file__).resolve().parent
    bench_names = {p.stem for p in (tests.parent / "benchmarks").glob("*.py")}
    bad = []
    for path in tests.rglob("*.py"):
        if path == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8")
        bad += [
            f"{path.relative_to(tests)}:{line}: {name}"
            for line, name in _imports(path)
            if name.split(".")[0] in bench_names or name.startswith("benchmarks")
        ]
        if '/ "benchmarks"' in text and ("sys.path" in text or "spec_from_file" in text):
            bad.append(f"{path.relative_to(tests)}: loads a module from benchmarks/")
    assert bad == [], f"tests import benchmark scripts (move the helper to urbansat.testing): {bad}"
