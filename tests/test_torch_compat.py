"""autograd_lite.torch_compat: `import torch` served by autograd_lite and nn, in each of its three forms.

Every test runs in a fresh interpreter: installing replaces `torch` for a whole process (and this one may
have imported the real PyTorch, the test-only oracle, which install() must then refuse).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args, "-c", textwrap.dedent(code)] if code else [sys.executable, *args],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def _ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_script_runs_unchanged_with_its_arguments(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent("""
        import argparse, sys
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, TensorDataset
        from helper_module import scale

        parser = argparse.ArgumentParser()
        parser.add_argument("--epochs", type=int, default=1)
        args = parser.parse_args()
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        torch.manual_seed(0)
        x = torch.randn(64, 4) * scale
        y = (x.sum(1) > 0).long()
        model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2)).to(device)
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        for epoch in range(args.epochs):
            for xb, yb in DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True):
                loss = F.cross_entropy(model(xb.to(device)), yb.to(device))
                opt.zero_grad()
                loss.backward()
                opt.step()
            print(f"epoch {epoch}: loss {loss.item():>7f}")
        print(__name__, sys.argv[1:], device, x.shape, type(loss.grad_fn).__name__ != "", loss.grad_fn.name())
    """))
    (tmp_path / "helper_module.py").write_text("scale = 2.0\n")      # the script's folder is on sys.path
    out = _ok(_python("", "-m", "autograd_lite.torch_compat", str(script), "--epochs", "3"))
    lines = out.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["epoch 0", "epoch 1", "epoch 2"]
    assert float(lines[2].split()[-1]) < float(lines[0].split()[-1])
    assert lines[3] == "__main__ ['--epochs', '3'] cpu torch.Size([64, 4]) True NllLossBackward0"


def test_what_is_not_here_says_so_by_name():
    out = _ok(_python("""
        import autograd_lite.torch_compat as compat
        torch = compat.install()
        import torch.onnx                                      # a submodule that is not here still imports
        import torch.distributed as dist
        for what in (lambda: torch.fft, lambda: torch.onnx.export, lambda: dist.init_process_group,
                     lambda: torch.nn.functional.not_a_function, lambda: torch.zeros(2).not_a_method):
            try:
                what()
            except AttributeError as e:
                print(type(e).__name__, "|", e)
        print(hasattr(torch, "fft"), hasattr(torch, "tensor"), hasattr(torch.nn, "Linear"))
    """))
    lines = out.strip().splitlines()
    for line, name in zip(lines, ["torch.fft", "torch.onnx.export", "torch.distributed.init_process_group",
                                  "torch.nn.functional.not_a_function"]):
        assert line.startswith("NotAvailableError | " + name + " is not available in autograd_lite"), line
    assert lines[4] == "AttributeError | 'Tensor' object has no attribute 'not_a_method'"   # Python's own
    assert lines[5] == "False True True"


def test_install_refuses_when_the_real_torch_is_imported_and_uninstall_restores_it():
    pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")
    out = _ok(_python("""
        import torch
        import autograd_lite.torch_compat as compat
        try:
            compat.install()
        except RuntimeError as e:
            print("refused:", e)
    """))
    assert out.startswith("refused: install: the real PyTorch is already imported in this process")
    out = _ok(_python("""
        import autograd_lite.torch_compat as compat
        ours = compat.install()
        import torch
        print(torch is ours, torch.nn.Linear.__module__, torch.zeros(2, 3).shape)
        compat.uninstall()
        import torch
        print(torch is ours, torch.zeros(2, 3).shape, type(torch.zeros(2)).__module__)
    """))
    assert out.splitlines() == ["True nn.layers torch.Size([2, 3])", "False torch.Size([2, 3]) torch"]


def test_imported_as_torch_without_installing():
    out = _ok(_python("""
        import sys
        import autograd_lite.torch_compat as torch
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        F = torch.nn.functional
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.Adam(model.parameters())
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 10)
        print(x.grad.tolist(), type(F.relu(x)).__name__, "torch" in sys.modules, torch.float32 is not None)
        print(torch.utils.data.DataLoader.__name__, torch.autograd.Function.__name__, torch.cuda.is_available())
    """))
    assert out.splitlines() == ["[2.0, 4.0] Tensor False True", "DataLoader Function False"]


def test_save_and_load_a_state_dict_as_torch_code_does(tmp_path):
    out = _ok(_python(f"""
        import io
        import autograd_lite.torch_compat as compat
        torch = compat.install()
        model = torch.nn.Linear(3, 2)
        torch.save(model.state_dict(), {str(tmp_path / "model.pth")!r})
        again = torch.nn.Linear(3, 2)
        again.load_state_dict(torch.load({str(tmp_path / "model.pth")!r}, weights_only=True))
        buffer = io.BytesIO()
        torch.save({{"model": model.state_dict(), "epoch": 3}}, buffer)
        buffer.seek(0)
        checkpoint = torch.load(buffer, map_location="cpu")
        x = torch.randn(4, 3)
        print(torch.equal(again(x), model(x)), checkpoint["epoch"])
        try:
            torch.save(model, {str(tmp_path / "whole.pth")!r})
        except TypeError as e:
            print(e)
    """))
    lines = out.splitlines()
    assert lines[0] == "True 3"
    assert "got a whole Linear object" in lines[1] and "save(obj.state_dict(), f)" in lines[1]


def test_torchvision_mnist_with_its_transforms(tmp_path):
    import gzip
    import struct

    import numpy as np

    pixels = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, magic, body, dims in (("t10k-images-idx3-ubyte.gz", 2051, pixels.tobytes(), (2, 28, 28)),
                                    ("t10k-labels-idx1-ubyte.gz", 2049, bytes([7, 1]), (2,))):
        with gzip.open(raw / name, "wb") as f:
            f.write(struct.pack(f">I{len(dims)}I", magic, *dims) + body)
    out = _ok(_python(f"""
        import autograd_lite.torch_compat as compat
        compat.install()
        import nn.data.mnist as mnist
        mnist.MD5.clear()                                        # the tiny files written by the test
        from torchvision import datasets, transforms
        tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
        ds = datasets.MNIST({str(tmp_path)!r}, train=False, download=False, transform=tf)
        image, label = ds[1]
        print(len(ds), label, image.shape, image.dtype, ds.data.dtype, ds.targets.tolist())
        print(float(image[0, 0, 0]))
    """))
    lines = out.splitlines()
    assert lines[0] == "2 1 torch.Size([1, 28, 28]) float32 uint8 [7, 1]"
    first = np.float32(784 % 256) / np.float32(255)
    assert float(lines[1]) == pytest.approx(float((first - np.float32(0.1307)) / np.float32(0.3081)), rel=1e-6)
