"""`Tensor.data` as PyTorch's: a tensor sharing the memory, outside the graph, unseen by the version checks.

The programs people already have update parameters through it (`p.data -= lr * p.grad`, `p.data.zero_()`,
`w.data.normal_(0, 0.01)`, `p.data.add_(g, alpha=-lr)`); each is run here and in PyTorch from the same start.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al


def _torch():
    return pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")


def _pair(values):
    torch = _torch()
    ours = al.tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    return ours, theirs


def test_data_is_a_tensor_sharing_memory_outside_the_graph():
    x = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    for t in (x, y):
        d = t.data
        assert isinstance(d, al.Tensor) and d.array is t.array
        assert not d.requires_grad and d.grad_fn is None and d.is_leaf and d.grad is None
    assert x.array.dtype == np.float32 and x.numpy is not None


@pytest.mark.parametrize("update", ["isub", "add_alpha", "zero_", "copy_", "setitem", "mul_"])
def test_parameter_updates_through_data_match_pytorch(update):
    values = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
    ours, theirs = _pair(values)
    for p in (ours, theirs):
        loss = (p * p).sum() + p.sum()
        loss.backward()
        if update == "isub":
            p.data -= 0.1 * p.grad
        elif update == "add_alpha":
            p.data.add_(p.grad, alpha=-0.1)
        elif update == "zero_":
            p.data.zero_()
        elif update == "copy_":
            p.data.copy_(p.grad * 3)
        elif update == "setitem":
            p.data[0] = 7.0
        else:
            p.data.mul_(0.5)
        assert p.requires_grad and p.grad_fn is None and p.is_leaf
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def test_data_normal_and_uniform_fill_the_parameter_itself():
    w = al.zeros(200, 300, requires_grad=True)
    w.data.normal_(0, 0.01)
    assert abs(float(w.array.std()) - 0.01) < 2e-4 and w.requires_grad
    w.data.uniform_(-0.1, 0.1)
    assert -0.1 <= w.array.min() and w.array.max() < 0.1 and abs(float(w.array.mean())) < 2e-3


def test_changes_through_data_are_not_versioned_but_through_detach_they_are():
    # PyTorch's contract: .data shares no version counter (backward trusts it), .detach() does (backward checks).
    torch = _torch()
    for lib in (al, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        out = (a * a).sum()
        a.data.mul_(2)
        out.backward()                              # uses the changed values, silently, as PyTorch does
        np.testing.assert_array_equal(np.asarray(a.grad.detach().numpy()), [4.0, 8.0])
        b = lib.tensor([1.0, 2.0], requires_grad=True)
        out = (b * b).sum()
        b.detach().mul_(2)
        with pytest.raises(RuntimeError, match="modified by an in-?place operation"):
            out.backward()


def test_assigning_data_replaces_the_values_and_refuses_arrays():
    torch = _torch()
    ours, theirs = _pair([1.0, 2.0])
    ours.data = al.tensor([5.0, 6.0, 7.0])
    theirs.data = torch.tensor([5.0, 6.0, 7.0])
    assert ours.shape == tuple(theirs.shape) == (3,) and ours.requires_grad
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    with pytest.raises(TypeError, match="data: assigned data must be a Tensor, got ndarray"):
        ours.data = np.zeros(3, dtype=np.float32)
