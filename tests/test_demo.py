"""The README's demo trains to high accuracy and writes the two files it promises."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo.py"


def test_demo_trains_and_writes_graph_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib (the `examples` extra) is not installed")
    spec = importlib.util.spec_from_file_location("demo", DEMO)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    acc = demo.main(["--out", str(tmp_path)])
    assert acc >= 0.97
    graph = tmp_path / ("graph.svg" if shutil.which("dot") else "graph.dot")
    assert graph.stat().st_size > 1000
    assert (tmp_path / "decision_regions.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert f"wrote the computation graph to {graph}" in printed and "final training accuracy" in printed
