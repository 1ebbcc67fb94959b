"""End to end: small networks learn XOR, a 3-class spiral and a kinked line; resuming from a checkpoint is exact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import autograd_lite as al
import nn
from nn.data import DataLoader, TensorDataset, make_piecewise_linear, make_spirals
from nn.optim import SGD, Adam
from nn.optim.lr_scheduler import StepLR


def accuracy(model: nn.Module, x: al.Tensor, y: np.ndarray) -> float:
    model.eval()
    with al.no_grad():
        pred = model(x).argmax(dim=1).numpy()
    model.train()
    return float((pred == y).mean())


def test_mlp_learns_xor() -> None:
    al.manual_seed(0)
    x = al.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    opt = Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(300):
        opt.zero_grad()
        loss = loss_fn(model(x), al.tensor(y))
        loss.backward()
        opt.step()
    assert accuracy(model, x, y) == 1.0
    assert loss.item() < 0.05


def test_mlp_learns_spiral_to_97_percent() -> None:
    al.manual_seed(1)
    xs, ys = make_spirals(100, 3, seed=1)
    x = al.tensor(xs)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
    opt = Adam(model.parameters(), lr=0.01)
    loader = DataLoader(TensorDataset(x, al.tensor(ys)), batch_size=32, shuffle=True,
                        generator=np.random.default_rng(1))
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(60):
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
    assert accuracy(model, x, ys) >= 0.97


def test_regression_fits_piecewise_linear_function() -> None:
    # The seed tutorial's problem: a two-segment line with a kink at x0, fitted by Input-ReLU-Linear.
    al.manual_seed(2)
    x_np, y_np = make_piecewise_linear(500, x0=0.3, m1=0.5, m2=2.0)
    assert x_np.shape == (500, 1)
    kink = np.argmin(np.abs(x_np[:, 0] - 0.3))
    np.testing.assert_allclose(np.diff(y_np[:, 0])[:kink - 2] / np.diff(x_np[:, 0])[:kink - 2], 0.5, rtol=1e-3)
    np.testing.assert_allclose(np.diff(y_np[:, 0])[kink + 2:] / np.diff(x_np[:, 0])[kink + 2:], 2.0, rtol=1e-3)
    x, y = al.tensor(x_np), al.tensor(y_np)
    model = nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = Adam(model.parameters(), lr=0.01)
    loss_fn = nn.MSELoss()
    for _ in range(800):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < 1e-4, loss.item()
    with al.no_grad():
        worst = np.abs(model(x).array - y_np).max()
    assert worst < 0.05


def _train(model: nn.Module, opt: object, sched: object, x: al.Tensor, y: np.ndarray, steps: int) -> None:
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model(x), al.tensor(y)).backward()
        opt.step()
        sched.step()


def _fresh(seed: int) -> tuple[nn.Module, object, object]:
    al.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
    opt = Adam(model.parameters(), lr=0.01, weight_decay=1e-3)
    sched = StepLR(opt, step_size=7, gamma=0.5)
    return model, opt, sched


@pytest.mark.parametrize("make_opt", ["adam", "sgd"])
def test_resume_from_checkpoint_is_bit_identical(tmp_path: Path, make_opt: str) -> None:
    xs, ys = make_spirals(40, 3, seed=3)
    x = al.tensor(xs)

    def fresh(seed: int) -> tuple[nn.Module, object, object]:
        model, opt, sched = _fresh(seed)
        if make_opt == "sgd":
            opt = SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
            sched = StepLR(opt, step_size=7, gamma=0.5)
        return model, opt, sched

    # 2N steps straight.
    model, opt, sched = fresh(0)
    _train(model, opt, sched, x, ys, 20)
    straight = {k: v.array.copy() for k, v in model.state_dict().items()}
    straight_lr = opt.param_groups[0]["lr"]

    # N steps, save everything, load into fresh objects (differently initialised), N more.
    model, opt, sched = fresh(0)
    _train(model, opt, sched, x, ys, 10)
    path = tmp_path / "ckpt.safetensors"
    nn.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, path)
    model2, opt2, sched2 = fresh(123)
    ckpt = nn.load(path)
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["optimizer"])
    sched2.load_state_dict(ckpt["scheduler"])
    _train(model2, opt2, sched2, x, ys, 10)
    resumed = {k: v.array for k, v in model2.state_dict().items()}

    assert straight.keys() == resumed.keys()
    for k in straight:
        np.testing.assert_array_equal(resumed[k], straight[k], err_msg=k)
    assert opt2.param_groups[0]["lr"] == straight_lr
    assert sched2.get_last_lr() == pytest.approx([0.01 * 0.5 ** 2] if make_opt == "adam" else [0.1 * 0.5 ** 2])
