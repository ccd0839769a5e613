"""The documentation site's sources stay complete (no Sphinx needed: CI builds the site itself).

* every public name has an entry in docs/api.rst, and a runnable example in its docstring;
* the README sections that docs/ includes still exist;
* every gallery script has a title and a place in the gallery's order;
* the front page's Python example runs.
"""

import ast
import functools
import importlib
import importlib.util
import inspect
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

pytestmark = pytest.mark.skipif(not (DOCS / "api.rst").exists(), reason="docs/ not next to the tests")

#: modules whose ``__all__`` is public API (docs/check_site.py checks the built pages for the same)
PUBLIC_MODULES = (
    "gaussmix", "gaussmix.selection", "gaussmix.model_io", "gaussmix.outliers", "gaussmix.plotting",
    "gaussmix.datasets", "gaussmix.data", "gaussmix.exceptions", "gaussmix.covariance",
)

#: public classes and functions whose docstrings have no example yet (scikit-learn's own
#: warning class, and docstrings in modules being reworked: add one and drop the name here)
WITHOUT_EXAMPLES = {
    "gaussmix.ConvergenceWarning",  # scikit-learn's class, re-exported
}


def api_entries() -> list[str]:
    """The full names docs/api.rst lists in its autosummary tables."""
    entries, module, in_table = [], None, False
    for line in (DOCS / "api.rst").read_text(encoding="utf-8").splitlines():
        m = re.match(r"\.\. (?:current)?module:: (\S+)", line)
        if m:
            module = m.group(1)
        if line.startswith(".. autosummary::"):
            in_table = True
            continue
        if in_table:
            if line.strip().startswith(":") or not line.strip():
                continue
            if not line.startswith(" "):
                in_table = False
                continue
            entries.append(f"{module}.{line.strip()}")
    return entries


@functools.lru_cache(maxsize=1)
def _check_site():
    """docs/check_site.py as a module (standard library only; the site checker's name resolution)."""
    spec = importlib.util.spec_from_file_location("check_site", DOCS / "check_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def resolve(dotted: str):
    obj = _check_site().resolve_name(dotted)
    if obj is None:
        raise ImportError(dotted)
    return obj


def public_names():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            yield f"{module_name}.{name}", getattr(module, name)


def test_api_entries_resolve():
    entries = api_entries()
    assert len(entries) > 40
    assert len(entries) == len(set(entries)), "a name is listed twice in docs/api.rst"
    for entry in entries:
        resolve(entry)  # raises for a name that does not exist


def test_every_public_name_has_an_api_entry():
    entries = api_entries()
    documented_objects = {id(resolve(e)) for e in entries if inspect.isclass(resolve(e)) or callable(resolve(e))}
    missing = [name for name, obj in public_names()
               if name not in entries and not ((inspect.isclass(obj) or callable(obj)) and id(obj) in documented_objects)]
    assert not missing, f"public names missing from docs/api.rst: {missing}"


def test_documented_classes_and_functions_have_examples():
    lacking = []
    for entry in api_entries():
        obj = resolve(entry)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue  # constants: their '#:' comment documents them
        if entry in WITHOUT_EXAMPLES:
            continue
        if ">>>" not in (inspect.getdoc(obj) or ""):
            lacking.append(entry)
    assert not lacking, f"public names whose docstring has no '>>>' example: {lacking}"


@pytest.mark.parametrize("page", ["getting-started.md", "large-data.md"])
def test_included_readme_sections_exist(page):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    text = (DOCS / page).read_text(encoding="utf-8")
    markers = re.findall(r':(?:start-after|end-before): "([^"]+)"', text)
    assert markers
    for marker in markers:
        assert marker in readme, f"docs/{page} includes the README from {marker!r}, which the README lacks"


@pytest.mark.skipif(not (ROOT / "examples").is_dir(), reason="examples/ not next to the tests (an sdist)")
def test_gallery_scripts_have_titles_and_an_order():
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from gallery_order import EXAMPLE_ORDER
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    scripts = sorted(p.name for p in (ROOT / "examples").glob("plot_*.py"))
    assert scripts and sorted(EXAMPLE_ORDER) == scripts
    for name in scripts:
        doc = ast.get_docstring(ast.parse((ROOT / "examples" / name).read_text(encoding="utf-8")))
        lines = (doc or "").strip().splitlines()
        assert len(lines) > 2 and set(lines[1]) == {"="} and len(lines[1]) >= len(lines[0]), \
            f"examples/{name} needs a docstring starting with a title underlined by '='"


def test_front_page_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / "index.md").read_text(encoding="utf-8"), flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/index.md", "exec"), {})
