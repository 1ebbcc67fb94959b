"""Smoke tests of the examples: each main() runs in-process on tiny data (IDX files written here, never the
real MNIST or the network), prints its final line and returns its accuracy."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import re
import struct
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from nn.data import mnist as mnist_module

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FINAL_LINE = re.compile(r"^test accuracy: (\d+\.\d\d)%$")


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def idx_gz(array: np.ndarray) -> bytes:
    """An IDX file (unsigned bytes), gzipped: magic, big-endian dims, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


@pytest.fixture
def tiny_mnist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of the four MNIST files holding 256 training and 100 test digits that are easy to tell apart
    (digit k lights up row band k), with their MD5s put in the checksum table in place of the real ones."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 256), ("t10k", 100)):
        labels = rng.integers(0, 10, n)
        images = rng.integers(0, 40, (n, 28, 28))
        for i, k in enumerate(labels):
            images[i, 2 + 2 * k: 4 + 2 * k, 4:24] = 255
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{prefix}-{kind}-ubyte.gz"
            data = idx_gz(array)
            (tmp_path / name).write_bytes(data)
            monkeypatch.setitem(mnist_module.MD5, name, hashlib.md5(data).hexdigest())
    return tmp_path


def final_accuracy(printed: str) -> float:
    match = FINAL_LINE.match(printed.strip().splitlines()[-1])
    assert match, f"the last line is not the final accuracy: {printed.strip().splitlines()[-1]!r}"
    return float(match.group(1)) / 100


def test_mnist_mlp_runs_on_tiny_data(tiny_mnist: Path, capsys: pytest.CaptureFixture) -> None:
    # --download with every file present and matching its checksum must not touch the network.
    acc = load_example("mnist_mlp").main(["--data", str(tiny_mnist), "--epochs", "2", "--limit", "200",
                                          "--download"])
    printed = capsys.readouterr().out
    assert isinstance(acc, float) and acc >= 0.9          # the bands are easy: it learns them in 8 steps
    assert final_accuracy(printed) == pytest.approx(acc, abs=5e-5)
    assert "on 200 images, testing on 100" in printed
    assert re.search(r"^epoch 2/2: train loss \d+\.\d{4}, test accuracy \d+\.\d\d%, \d+\.\d s$", printed, re.M)


def test_mnist_lenet_runs_on_tiny_data(tiny_mnist: Path, capsys: pytest.CaptureFixture,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRAD_LITE_DATA", str(tiny_mnist))       # no --data: the default root
    acc = load_example("mnist_lenet").main(["--epochs", "1", "--limit", "128", "--batch-size", "32"])
    printed = capsys.readouterr().out
    assert isinstance(acc, float) and acc > 0.2           # 4 steps: well above chance (0.1), not yet there
    assert final_accuracy(printed) == pytest.approx(acc, abs=5e-5)
    assert "on 128 images, testing on 100" in printed and "epoch 1/1: train loss" in printed


def test_char_lstm_loss_decreases(capsys: pytest.CaptureFixture) -> None:
    acc = load_example("char_lstm").main(["--epochs", "3", "--steps", "10", "--hidden", "32", "--seq-len", "16",
                                          "--sample", "20"])
    printed = capsys.readouterr().out
    losses = [float(x) for x in re.findall(r"^epoch \d+/3: train loss (\d+\.\d+)", printed, re.M)]
    assert len(losses) == 3 and losses[-1] < losses[0] - 0.3, losses
    assert isinstance(acc, float) and 0.0 <= acc <= 1.0
    assert "greedy sample:\nAlice " in printed
    assert printed.strip().splitlines()[-1].startswith(f"held-out next-character accuracy: {acc:.2%}")
