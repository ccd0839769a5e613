"""scikit-learn's own tests for GaussianMixture and BayesianGaussianMixture, run against gaussmix.

The test files (test_gaussian_mixture.py, test_bayesian_mixture.py, test_mixture.py) are read
from the *installed* scikit-learn (not copied), their one import of the estimators is swapped
for gaussmix's, and every test that uses only the public API runs here.  Tests that reach into scikit-learn's private implementation (functions of
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

FOLDER = Path(sklearn.__file__).parent / "mixture" / "tests"
#: each test file of scikit-learn's mixture module and the import swapped in it
FILES = {
    "test_gaussian_mixture.py": ("from sklearn.mixture import GaussianMixture\n",
                                 "from gaussmix import GaussianMixture\n"),
    "test_bayesian_mixture.py": ("from sklearn.mixture import BayesianGaussianMixture\n",
                                 "from gaussmix import BayesianGaussianMixture\n"),
    "test_mixture.py": ("from sklearn.mixture import BayesianGaussianMixture, GaussianMixture\n",
                        "from gaussmix import BayesianGaussianMixture, GaussianMixture\n"),
}
SOURCE = FOLDER / "test_gaussian_mixture.py"
_IMPORT = FILES[SOURCE.name][0]
_CODE = SOURCE.read_text()


def _private_tests(code: str) -> set[str]:
    """Tests whose body (or a helper of the file they call) uses scikit-learn's internals."""
    tree = ast.parse(code)
    # names from scikit-learn's private modules (sklearn.mixture._gaussian_mixture, ...), not its test helpers
    private_names = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                     and (node.module or "").startswith("sklearn.mixture._") for alias in node.names}
    functions = {node.name: ast.get_source_segment(code, node) for node in tree.body
                 if isinstance(node, ast.FunctionDef)}
    # an estimator's private steps, and mocks of internals (an estimator's ``_n_parameters``,
    # which gaussmix also has, is left to run)
    internal_call = re.compile(r"\._initialize\(|\._initialize_parameters\(|\._check_parameters\(|"
                               r"\._set_parameters\(|\bMock\(")

    def uses_internals(name, seen):
        src = functions[name]
        if internal_call.search(src) or any(re.search(rf"\b{re.escape(n)}\b", src) for n in private_names):
            return True
        called = {m for m in re.findall(r"\b(_\w+)\(", src) if m in functions and m not in seen}
        return any(uses_internals(m, seen | {m}) for m in called)

    return {name for name in functions if name.startswith("test_") and uses_internals(name, {name})}


def _load(name: str) -> tuple[types.ModuleType | None, set[str], str]:
    """The test file with gaussmix's estimators swapped in (None if its import changed), its private tests."""
    source = FOLDER / name
    code = source.read_text()
    theirs, ours = FILES[name]
    module = types.ModuleType(f"sklearn_{source.stem}_on_gaussmix")
    module.__file__ = str(source)
    if theirs not in code:
        return None, set(), code
    exec(compile(code.replace(theirs, ours), str(source), "exec"), module.__dict__)
    return module, _private_tests(code), code


MODULES = {name: _load(name) for name in FILES}
_module, PRIVATE, _ = MODULES[SOURCE.name]
for _file, (_mod, _private, _) in MODULES.items():
    if _mod is None:
        continue
    # test_gaussian_mixture.py's tests keep their names; the others' are prefixed by their file
    _prefix = "test_" if _file == SOURCE.name else f"test_{_file[5:-3]}__"
    for _name, _test in list(vars(_mod).items()):
        if _name.startswith("test_") and callable(_test) and _name not in _private:
            assert _prefix + _name[5:] not in globals(), _name
            globals()[_prefix + _name[5:]] = _test


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


def test_the_bayesian_and_shared_files_were_found_and_run_gaussmix():
    from gaussmix import BayesianGaussianMixture, GaussianMixture

    for name in ("test_bayesian_mixture.py", "test_mixture.py"):
        module, private, _ = MODULES[name]
        assert module is not None, f"{name} no longer imports the estimators as expected"
        assert module.BayesianGaussianMixture is BayesianGaussianMixture
    assert MODULES["test_mixture.py"][0].GaussianMixture is GaussianMixture
    module, private, _ = MODULES["test_bayesian_mixture.py"]
    public = [n for n in vars(module) if n.startswith("test_") and n not in private]
    assert len(public) >= 10, public
    assert private == {"test_log_dirichlet_norm", "test_log_wishart_norm", "test_compare_covar_type"}, private
