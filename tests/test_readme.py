"""The README's Python examples run as written (a README that lies is worse than none)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)                 # examples may write files (checkpoints)
    namespace: dict = {}
    # Later blocks may build on earlier ones, as a reader running them in order would.
    for code in BLOCKS[:index + 1]:
        exec(compile(code, f"README.md block {index}", "exec"), namespace)
