"""Sphinx configuration of the urbansat documentation (built by ``.ci/docs``).

Offline and warnings-as-errors: notebooks are rendered with their stored outputs (not
executed; ``tests/test_notebooks.py`` runs them), the API reference comes from the
docstrings (numpy convention, numpydoc), the Markdown pages are read by MyST.
"""

from __future__ import annotations

import re
from pathlib import Path

import urbansat

project = "urbansat"
author = "urbansat contributors"
copyright = "urbansat contributors"  # noqa: A001 - Sphinx's configuration name
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

# notebooks: render what is stored, never execute (no kernel, no network at build time)
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "colon_fence"]
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
    documented = set(re.findall(r"^\.\. auto\w+:: urbansat\.(\w+)", text, flags=re.M))
    documented |= {"__version__"}
    if "automodule:: urbansat.errors" in text:
        documented |= set(urbansat.errors.__all__)
    missing = sorted(set(urbansat.__all__) - documented)
    if missing:
        raise RuntimeError(f"docs/api.rst does not document {missing} (urbansat.__all__)")


_check_api_reference_is_complete()
