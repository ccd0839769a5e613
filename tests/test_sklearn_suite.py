"""scikit-learn's own tests for GaussianMixture, run against gaussmix.

The test file is read from the *installed* scikit-learn (not copied), its one import of
``GaussianMixture`` is swapped for gaussmix's, and every test that uses only the public API
runs here.  Tests that reach into scikit-learn's private implementation (functions of
``sklearn.mixture._gaussian_mixture``, an estimator's ``_initialize`` / ``_set_parameters``,
mocks of its internals) test scikit-learn's code, not the contract, and are left out; the
list is computed from the source below, so a new public test runs without any change here.
"""

import ast
import re
import types
from pathlib import Path

import numpy as np
import pytest
import sklearn

SOURCE = Path(sklearn.__file__).parent / "mixture" / "tests" / "test_gaussian_mixture.py"
_IMPORT = "from sklearn.mixture import GaussianMixture\n"
_CODE = SOURCE.read_text()


def _private_tests(code: str) -> set[str]:
    """Tests whose body (or a helper of the file they call) uses scikit-learn's internals."""
    tree = ast.parse(code)
    private_names = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                     and (node.module or "").startswith("sklearn.mixture.") for alias in node.names}
    functions = {node.name: ast.get_source_segment(code, node) for node in tree.body
                 if isinstance(node, ast.FunctionDef)}
    # an estimator's private steps, and mocks of internals (an estimator's ``_n_parameters``,
    # which gaussmix also has, is left to run)
    internal_call = re.compile(r"\._initialize\(|\._set_parameters\(|\bMock\(")

    def uses_internals(name, seen):
        src = functions[name]
        if internal_call.search(src) or any(re.search(rf"\b{re.escape(n)}\b", src) for n in private_names):
            return True
        called = {m for m in re.findall(r"\b(_\w+)\(", src) if m in functions and m not in seen}
        return any(uses_internals(m, seen | {m}) for m in called)

    return {name for name in functions if name.startswith("test_") and uses_internals(name, {name})}


PRIVATE = _private_tests(_CODE)
_module = types.ModuleType("sklearn_gaussian_mixture_tests_on_gaussmix")
_module.__file__ = str(SOURCE)
if _IMPORT in _CODE:
    exec(compile(_CODE.replace(_IMPORT, "from gaussmix import GaussianMixture\n"), str(SOURCE), "exec"),
         _module.__dict__)
for _name, _test in list(vars(_module).items()):
    if _name.startswith("test_") and callable(_test) and _name not in PRIVATE:
        globals()[_name] = _test


@pytest.fixture
def global_random_seed():
    """scikit-learn's fixture, at its default (its conftest is not loaded here)."""
    return 42


@pytest.fixture
def global_dtype():
    """scikit-learn's fixture, at its default (float64 unless SKLEARN_RUN_FLOAT32_TESTS is set)."""
    return np.float64


def test_the_swapped_file_was_found_and_runs_gaussmix():
    assert _IMPORT in _CODE, f"{SOURCE} no longer imports GaussianMixture as expected"
    from gaussmix import GaussianMixture

    assert _module.GaussianMixture is GaussianMixture
    public = [n for n in vars(_module) if n.startswith("test_") and n not in PRIVATE]
    assert len(public) >= 30, public
    # the four message tests and the divergence test of the issue are among those that run
    for name in ("test_check_weights", "test_check_means", "test_check_precisions", "test_regularisation",
                 "test_gaussian_mixture_setting_best_params"):
        assert name in public
    assert PRIVATE >= {"test_compute_log_det_cholesky", "test_gaussian_mixture_precisions_init"}
