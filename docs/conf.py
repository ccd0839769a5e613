"""Sphinx configuration of the gaussmix documentation site.

Build it (from the repository root, after ``pip install ".[docs]"``)::

    python -m sphinx -b html -W --keep-going docs docs/_build/html

The site is static HTML that opens without a network: no intersphinx inventories are
fetched, no math (so no MathJax from a CDN), and the theme's fonts and scripts are its own
files under ``_static``.  ``python docs/check_site.py`` checks the built pages.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import gaussmix

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))  # gallery_order: the examples' order

# The examples' figures are drawn headless (CI has no display).
os.environ.setdefault("MPLBACKEND", "Agg")

project = "gaussmix"
author = "gaussmix developers"
copyright = "gaussmix developers, BSD-3-Clause"
version = release = gaussmix.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
# docs/gallery.py draws the README's static images; the example scripts live in examples/.
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# --------------------------------------------------------------------------- MyST
# The user guide is the Markdown files GitHub shows: GitHub-style heading anchors
# (cli.md links to #gaussmix-fit), tables and the usual extensions.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]

# --------------------------------------------------------------------------- API
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
autoclass_content = "class"
toc_object_entries_show_parents = "hide"  # "On this page" lists fit(), not GaussianMixture.fit()

numpydoc_show_class_members = False  # the class template lists members itself
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# scikit-learn's metadata-routing methods (set_fit_request, ...) are generated on every
# estimator class; they are scikit-learn's API, not gaussmix's, and their docstrings use
# scikit-learn's glossary.
_SKLEARN_MEMBERS = {"get_metadata_routing", "get_params", "set_params", "set_output"}


_SHAPE = re.compile(r"of shape \(([^)]*)\)")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?![`\w])")


def _literal_shapes(app, what, name, obj, options, lines):
    """``ndarray of shape (n_features_in_,)``: a name ending in '_' is a reST reference, so
    the shapes of the docstrings' type fields are made literal (as scikit-learn writes them)."""
    for i, line in enumerate(lines):
        if "of shape (" in line:
            lines[i] = _SHAPE.sub(lambda m: "of shape (" + _TRAILING_UNDERSCORE.sub(r"``\1``", m.group(1)) + ")", line)


def _skip_member(app, what, name, obj, skip, options):
    if name.startswith("set_") and name.endswith("_request"):
        return True
    if name in _SKLEARN_MEMBERS:
        return True
    return None


# --------------------------------------------------------------------------- gallery
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # every example is run during the build
    "within_subsection_order": "gallery_order.ExampleOrder",
    "backreferences_dir": "api/backreferences",
    "doc_module": ("gaussmix",),
    "reference_url": {"gaussmix": None},  # link names in the code to the API pages
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "remove_config_comments": True,
    "show_memory": False,
    "abort_on_example_error": False,  # report every failing example; -W then fails the build
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "plot_gallery": "True",
    "min_reported_time": 1,
    # the computation-times page loads jQuery and DataTables from CDNs: the site must work offline
    "write_computation_times": False,
    "show_signature": False,
}

# --------------------------------------------------------------------------- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"gaussmix {release}"
html_static_path = ["_static"]
html_css_files = ["gaussmix.css"]
html_show_sourcelink = False
html_copy_source = False
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "icon_links": [],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
    "use_edit_page_button": False,
    "show_version_warning_banner": False,
}
html_sidebars = {"index": [], "getting-started": []}
html_context = {"default_mode": "light"}


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-docstring", _literal_shapes)
