"""The examples in the package's docstrings run as written."""

from __future__ import annotations

import doctest
import re
from pathlib import Path
from types import ModuleType

import pytest

import doku_direct
import doku_direct.testing


@pytest.mark.parametrize("module", [doku_direct, doku_direct.testing], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


def test_readme_python_examples_compile() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) >= 4
    for i, code in enumerate(blocks):
        compile(code, f"README.md python block {i + 1}", "exec")
