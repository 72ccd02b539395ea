"""Sphinx configuration of the nsnn_sim documentation (``make docs``: warnings are errors, no network)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

import nsnn_sim  # noqa: E402

project = "nsnn_sim"
author = "The nsnn_sim developers"
copyright = "the nsnn_sim developers, MIT licence"
release = nsnn_sim.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "nsnn_docs",  # docs/_ext/nsnn_docs.py: the API and tutorial pages, generated from the package
]
# no intersphinx: the build reads nothing from the network

templates_path = ["_templates"]
exclude_patterns = ["_build", "_ext", "_templates", "figures", "REPORT.md"]
root_doc = "index"

autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
numpydoc_show_class_members = False  # the class template lists members with autodoc instead
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "alabaster"
html_static_path = []
html_title = f"nsnn_sim {release}"
