"""The README's Python examples run as written (the README stays true)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks():
    if not README.exists():  # tests run from an installed sdist without the README
        return []
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.skipif(not README.exists(), reason="README.md not next to the tests")
def test_readme_has_python_examples():
    assert python_blocks()


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_python_block_runs(index):
    code = python_blocks()[index]
    if "import torch" in code:  # PyTorch is an optional extra
        pytest.importorskip("torch")
    exec(compile(code, f"README.md[python block {index}]", "exec"), {})
