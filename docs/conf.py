"""Sphinx configuration of the urbansat documentation (built by ``.ci/docs``).

Offline and warnings-as-errors: the tutorial notebooks are stored without outputs and
executed at build time by myst-nb on ``data/samples/`` (a failing cell fails the build;
``tests/test_notebooks.py`` runs them too and checks their results), the API reference
comes from the docstrings (numpy convention, numpydoc), the Markdown pages are read by MyST.
"""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

import urbansat

project = "urbansat"
author = "urbansat contributors"
copyright = "urbansat contributors"
release = urbansat.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "notebooks/_build.py", "**/.ipynb_checkpoints"]

# notebooks: stored without outputs (nbstripout), executed at every build so that the site
# shows their figures and tables; offline (data/samples/ only); an error in a cell fails
# the build. Each notebook runs in < 60 s on 2 cores (tests/test_notebooks.py).
nb_execution_mode = "force"
nb_execution_timeout = 180  # seconds per cell
nb_execution_raise_on_error = True
nb_execution_show_tb = True  # the traceback of a failing cell goes to the build log
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
# notebooks and pages may use headings below h1 without an h2 in between
suppress_warnings = ["myst.header"]

autodoc_typehints = "none"  # numpydoc shows the documented types
autodoc_default_options = {"members": True, "show-inheritance": True}
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

# offline build: no inventories are fetched; references to other projects stay plain text
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}

html_theme = "furo"
html_title = f"urbansat {release}"


def _check_api_reference_is_complete() -> None:
    """Fail the build if a public name of ``urbansat.__all__`` is missing from api.rst."""
    text = (Path(__file__).parent / "api.rst").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\.\. auto\w+:: urbansat\.(\w+)", text, flags=re.MULTILINE))
    documented |= {"__version__"}
    if "automodule:: urbansat.errors" in text:
        documented |= set(urbansat.errors.__all__)
    missing = sorted(set(urbansat.__all__) - documented)
    if missing:
        raise RuntimeError(f"docs/api.rst does not document {missing} (urbansat.__all__)")


#: modules left out of the module reference, with the reason
_MODULE_REFERENCE_SKIP = {
    # the package re-exports the function model_error(), which shadows the submodule of the
    # same name as an attribute of urbansat.inversion, so autodoc cannot import the module
    "urbansat.inversion.model_error",
    # likewise urbansat.export re-exports provenance(), which shadows its module: autodoc then
    # describes the function twice; it is documented once, under the urbansat.export package
    "urbansat.export.provenance",
}


def _write_module_reference() -> None:
    """Write api_modules.rst: every public module (generated at each build, not committed)."""
    lines = [
        "Module reference",
        "================",
        "",
        "Every public module of the package, rendered from its docstrings: a reference for",
        "readers of the code. The curated API is on the :doc:`api` page. A package lists its",
        "modules; its public names are documented in the module that defines them.",
        "",
    ]
    for info in pkgutil.walk_packages(urbansat.__path__, "urbansat."):
        name = info.name
        private = any(part.startswith("_") for part in name.split(".")[1:])
        if private or name.startswith(("urbansat.data", "urbansat.cli")):
            continue
        if name in _MODULE_REFERENCE_SKIP:
            continue
        lines += [f"``{name}``", "-" * (len(name) + 4), "", f".. automodule:: {name}"]
        lines += [] if info.ispkg else ["   :members:"]
        lines += [""]
    out = Path(__file__).parent / "api_modules.rst"
    text = "\n".join(lines)
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")


_check_api_reference_is_complete()
_write_module_reference()
