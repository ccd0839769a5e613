"""Every docstring example in the installed package runs and prints what it claims."""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import gaussmix

MODULES = sorted(
    name for _, name, _ in pkgutil.walk_packages(gaussmix.__path__, prefix="gaussmix.")
    if not name.endswith("__main__")
)

#: modules whose examples use PyTorch (an optional extra)
NEEDS_TORCH = {"gaussmix.data.torch"}


@pytest.mark.parametrize("module_name", ["gaussmix"] + MODULES)
def test_docstring_examples(module_name):
    if module_name in NEEDS_TORCH:
        pytest.importorskip("torch")
    module = importlib.import_module(module_name)
    with np.printoptions(legacy=False):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {module_name}"


def test_public_api_has_examples():
    from gaussmix import GaussianMixture

    for name in ["fit", "fit_predict", "predict", "predict_proba", "score_samples", "score", "bic", "aic", "sample"]:
        doc = getattr(GaussianMixture, name).__doc__
        assert ">>>" in doc and "Returns" in doc, name
