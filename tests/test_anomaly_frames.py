"""Anomaly mode points at the user's own line: wherever the project or the script lives (even in a folder
named `autograd_lite`), and for ops made deep inside nn's layers and losses."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import traceback
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as al
import nn
import nn.functional as F
from autograd_lite import anomaly

REPO = Path(__file__).resolve().parent.parent
FRAME = re.compile(r'File "(.+?)", line (\d+), in (\S+)\n {4}(.*)')

# A user's training script: one NaN made directly (0 * log of a zero), one made inside nn.Linear by a
# NaN weight. Each message is printed after a marker so the test can read them apart. The lines the
# messages must show end in `# <- ...`.
USER_SCRIPT = """\
import warnings

import numpy as np

import autograd_lite as al
import nn

warnings.simplefilter("ignore")


def step(x):
    return x.log() * x  # <- direct


def train(model, x):
    return model(x).sum()  # <- layer


with al.detect_anomaly():
    try:
        step(al.tensor([1.0, 0.0], requires_grad=True))
    except al.AnomalyError as exc:
        print("=== direct"); print(exc)
    model = nn.Linear(2, 1)
    model.weight.array[...] = np.nan
    try:
        train(model, al.ones(3, 2))
    except al.AnomalyError as exc:
        print("=== layer"); print(exc)
"""


def frames(message: str) -> list[tuple[str, int, str, str]]:
    """(file, line, function, source) of each frame the message shows, after "created here:"."""
    shown = message.split("created here:\n", 1)[1]
    return [(os.path.realpath(f), int(n), fn, src.strip()) for f, n, fn, src in FRAME.findall(shown)]


def line_of(path: Path, marker: str) -> int:
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if marker in text)


def library_frames(shown: list[tuple[str, int, str, str]]) -> list[str]:
    lib = [os.path.realpath(REPO / "autograd_lite"), os.path.realpath(REPO / "nn")]
    return [f for f, *_ in shown if any(f.startswith(d + os.sep) for d in lib)]


def run_script(folder: Path, layout: str) -> dict[str, str]:
    """Run USER_SCRIPT as `folder/train.py` with this interpreter; the messages it printed, by name."""
    folder.mkdir(parents=True)
    env = dict(os.environ)
    if layout == "clone":
        # The project cloned into a folder named autograd_lite, the script beside its packages (symlinked,
        # so the frames' paths differ from the packages' real paths until resolved).
        try:
            for pkg in ("autograd_lite", "nn"):
                (folder / pkg).symlink_to(REPO / pkg, target_is_directory=True)
        except OSError:
            pytest.skip("symbolic links are not available here")
    else:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    script = folder / "train.py"
    script.write_text(USER_SCRIPT)
    done = subprocess.run([sys.executable, str(script)], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    parts = done.stdout.split("=== ")[1:]
    return {p.split("\n", 1)[0]: p.split("\n", 1)[1] for p in parts}


@pytest.mark.parametrize("layout", ["script_only", "clone"])
def test_a_script_in_a_folder_named_autograd_lite_is_the_users(tmp_path: Path, layout: str) -> None:
    messages = run_script(tmp_path / "autograd_lite", layout)
    script = os.path.realpath(tmp_path / "autograd_lite" / "train.py")
    direct = frames(messages["direct"])
    assert "'log' produced Inf" in messages["direct"]
    # the user's frames, innermost last: the line that made the op, then the call that led to it
    assert direct[-1] == (script, line_of(Path(script), "# <- direct"), "step", "return x.log() * x  # <- direct")
    assert direct[-2][:3] == (script, line_of(Path(script), "step(al.tensor"), "<module>")
    assert library_frames(direct) == []
    layer = frames(messages["layer"])
    assert "'linear' produced NaN" in messages["layer"]
    assert layer[-1] == (script, line_of(Path(script), "# <- layer"), "train", "return model(x).sum()  # <- layer")
    assert library_frames(layer) == []


def test_nan_inside_an_nn_layer_shows_the_line_that_called_the_layer() -> None:
    model = nn.Linear(2, 1)
    model.weight.array[...] = np.nan
    with al.detect_anomaly(), pytest.raises(al.AnomalyError) as info:
        model(al.ones(3, 2))  # <- layer call
    shown = frames(str(info.value))
    assert "'linear' produced NaN" in str(info.value)
    assert shown[-1][1:] == (line_of(Path(__file__), "# <- layer call"),
                             "test_nan_inside_an_nn_layer_shows_the_line_that_called_the_layer",
                             "model(al.ones(3, 2))  # <- layer call")
    assert library_frames(shown) == []         # nn's __call__/forward and F.linear are not the user's code
    assert len(shown) <= 3                     # the last few user frames, not the whole pytest stack


def test_nan_inside_an_nn_loss_shows_the_users_line() -> None:
    logits = al.tensor([[np.inf, 0.0]], requires_grad=True)
    with al.detect_anomaly(), pytest.raises(al.AnomalyError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F.cross_entropy(logits, al.tensor([0]))  # <- loss call
    shown = frames(str(info.value))
    assert "'log_softmax' produced NaN" in str(info.value)
    assert shown[-1][1] == line_of(Path(__file__), "# <- loss call") and library_frames(shown) == []


def test_inf_in_the_backward_of_an_nn_op_shows_the_users_line() -> None:
    # x w = 1e30 * 1e-30 is finite, but d(1e20 * x w)/dw = 1e20 * 1e30 overflows float32 in MmBackward0 (PyTorch's
    # name for a linear layer without bias: its matrix product).
    model = nn.Linear(1, 1, bias=False)
    model.weight.array[...] = 1e-30
    with al.detect_anomaly():
        out = model(al.tensor([[1e30]]))  # <- made here
        with pytest.raises(al.AnomalyError) as info, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (out * 1e20).sum().backward()
    shown = frames(str(info.value))
    assert "Function 'MmBackward0'" in str(info.value) and "gradient of its input 1" in str(info.value)
    assert shown[-1][1] == line_of(Path(__file__), "# <- made here") and library_frames(shown) == []


def fake_node(filenames: list[str]) -> types.SimpleNamespace:
    trace = traceback.StackSummary.from_list([(f, i + 1, f"f{i}", f"line_{i}") for i, f in enumerate(filenames)])
    return types.SimpleNamespace(trace=trace)


def test_without_user_frames_the_whole_trace_is_shown() -> None:
    lib = [str(REPO / "autograd_lite" / "ops.py"), str(REPO / "nn" / "layers.py")] * 3
    text = anomaly._where(fake_node(lib))
    assert [fn for _, _, fn, _ in FRAME.findall(text)] == [f"f{i}" for i in range(6)]
    # with user frames: only those, the last three, in order; `<frozen ...>` and `<string>` count as user's
    mixed = ["/home/u/a.py", lib[0], "<frozen runpy>", "/home/u/b.py", lib[1], "<string>", lib[0]]
    text = anomaly._where(fake_node(mixed))
    assert [fn for _, _, fn, _ in FRAME.findall(text)] == ["f2", "f3", "f5"]


def test_library_dirs_are_the_packages_not_folder_names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = {p: os.path.normcase(os.path.realpath(REPO / p)) for p in ("autograd_lite", "nn")}
    assert set(anomaly.library_dirs()) == set(real.values())
    # A user's own module named `nn`, elsewhere, is not the library's: its frames stay visible.
    (tmp_path / "nn.py").write_text("")
    monkeypatch.setitem(sys.modules, "nn", types.SimpleNamespace(__file__=str(tmp_path / "nn.py")))
    assert anomaly.library_dirs() == (real["autograd_lite"],)
    # and a file in a sibling folder whose name merely starts with the package's is not the library's
    assert not anomaly._in_library(str(REPO / "autograd_lite_extra" / "x.py"), anomaly.library_dirs())
    assert anomaly._in_library(str(REPO / "autograd_lite" / "ops.py"), anomaly.library_dirs())
