"""Sphinx configuration: the API reference from rnnfast's docstrings, the user guide
from the Markdown pages (`sphinx-build -W -b html docs docs/_build`)."""

import rnnfast

project = "rnnfast"
release = version = rnnfast.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.doctest",
              "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
# scikit-learn's metadata-routing setters (set_fit_request, ...) are scikit-learn's to
# document, and their docstrings point into its own docs
autodoc_default_options = {"members": True, "show-inheritance": True,
                           "exclude-members": ",".join(
                               f"set_{m}_request" for m in
                               ("fit", "partial_fit", "predict", "predict_proba", "score",
                                "transform", "predict_log_proba", "decision_function"))}
autodoc_member_order = "bysource"
autodoc_typehints = "none"
# the docstrings name arguments and shapes in plain backticks
default_role = "literal"
myst_heading_anchors = 3
html_theme = "alabaster"
html_title = f"rnnfast {release}"
