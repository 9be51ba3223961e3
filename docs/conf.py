"""Sphinx configuration of the skae documentation."""

import skae

project = "skae"
author = "skae developers"
release = version = skae.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "download_all_examples": False,
}
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_validation_checks = set()
html_theme = "alabaster"
exclude_patterns = ["_build"]
nitpicky = False
templates_path = ["_templates"]


def _skip_metadata_routing(app, what, name, obj, skip, options):
    """sklearn generates set_*_request methods whose docstrings cite sklearn's own glossary."""
    return True if name.startswith("set_") and name.endswith("_request") else None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_routing)
