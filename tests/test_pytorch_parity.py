"""Behaviours that follow PyTorch where NumPy would do otherwise (found by comparing the two side by side)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
import nn


def test_uint8_index_is_a_mask_with_pytorchs_deprecation_warning() -> None:
    x = al.tensor([1.0, 2.0, 3.0])
    mask = al.tensor(np.array([1, 0, 1], dtype=np.uint8))
    with pytest.warns(UserWarning, match="uint8 is deprecated"):
        picked = x[mask]
    assert picked.tolist() == [1.0, 3.0]
    with pytest.warns(UserWarning, match="uint8"):
        x[mask] = 0.0
    assert x.tolist() == [0.0, 2.0, 0.0]
    assert x[al.tensor([1, 0, 1])].tolist() == [2.0, 0.0, 2.0]       # int64: positions, as before


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64])
def test_integer_and_bool_sums_are_int64(dtype: type) -> None:
    t = al.tensor(np.array([[200, 100], [1, 0]]).astype(dtype))
    assert t.sum().dtype == np.int64 and t.sum(0).dtype == np.int64 and t.sum(1, keepdim=True).dtype == np.int64
    assert t.sum().item() == int(np.array([[200, 100], [1, 0]]).astype(dtype).astype(np.int64).sum())
    assert al.tensor([1.5, 2.0]).sum().dtype == np.float32                 # floats keep their dtype


def test_float_arange_is_computed_in_float64_then_rounded() -> None:
    a = al.arange(-1, 1, 0.1)
    assert a.dtype == np.float32 and a.shape == (20,)
    assert a[-1].item() == float(np.float32(0.9))                          # was 0.90000045 in float32
    np.testing.assert_array_equal(a.array, (-1 + np.arange(20) * 0.1).astype(np.float32))
    assert al.arange(0, 3, dtype=al.float64).dtype == np.float64 and al.arange(4).dtype == np.int64


def test_randint_takes_pytorchs_high_size_form() -> None:
    g = np.random.default_rng(0)
    r = al.randint(10, (3, 4), generator=g)
    assert r.shape == (3, 4) and r.dtype == np.int64 and 0 <= r.array.min() and r.array.max() < 10
    assert al.randint(5, 7, (2,)).array.min() >= 5


def test_as_tensor_shares_memory_when_it_can() -> None:
    a = np.zeros(3, np.float32)
    t = al.as_tensor(a)
    a[0] = 5
    assert t.tolist() == [5.0, 0.0, 0.0]
    b = np.zeros(3)                                                         # a dtype change must copy
    u = al.as_tensor(b, dtype=al.float32)
    b[0] = 5
    assert u.tolist() == [0.0, 0.0, 0.0] and u.dtype == np.float32


def test_matrix_products_and_convolutions_do_not_promote() -> None:
    w32 = al.ones(3, 3)
    x64 = al.ones(2, 3, dtype=al.float64)
    with pytest.raises(al.DTypeError, match=r"matmul: expected operands of one dtype, got float64 and float32"):
        x64 @ w32
    with pytest.raises(RuntimeError, match="matmul"):                      # PyTorch's exception class
        w32 @ np.ones((3, 3))
    with pytest.raises(TypeError, match="matmul: expected a Tensor, got ndarray"):
        al.matmul(w32, np.ones((3, 3)))
    with pytest.raises(TypeError, match="linear"):
        nn.Linear(3, 2)(x64)
    with pytest.raises(al.DTypeError, match="conv2d.*float64 and float32"):
        nn.Conv2d(1, 1, 2)(al.ones(1, 1, 3, 3, dtype=al.float64))
    assert (x64 + w32[:2]).dtype == np.float64                               # elementwise ops do promote
    assert (x64 @ w32.double()).dtype == np.float64


def test_shape_errors_are_also_runtime_errors() -> None:
    for bad in (lambda: al.ones(2, 3) @ al.ones(2, 3), lambda: al.ones(2, 3) + al.ones(3, 2),
                lambda: al.ones(2).item(), lambda: al.ones(6).reshape(4)):
        with pytest.raises(RuntimeError):
            bad()
        with pytest.raises(ValueError):
            bad()


def test_device_cpu_is_accepted_by_factories_and_modules() -> None:
    # PyTorch code passes device="cpu" (or a device variable) everywhere; other devices are refused.
    assert al.zeros(2, device="cpu").shape == (2,) and al.tensor([1.0], device="cpu:0").dtype == np.float32
    assert al.arange(3, device="cpu").tolist() == [0, 1, 2] and al.randn(2, 2, device="cpu").shape == (2, 2)
    assert al.randint(3, (2,), device="cpu").shape == (2,) and al.full((2,), 1.0, device="cpu").tolist() == [1, 1]
    lstm = nn.LSTM(3, 4, device="cpu", dtype=al.float64)
    assert lstm.weight_hh_l0.dtype == np.float64
    assert nn.Linear(2, 3, True, "cpu").weight.shape == (3, 2)                 # PyTorch's positional order
    assert nn.Conv2d(1, 2, 3, device="cpu").weight.shape == (2, 1, 3, 3)
    with pytest.raises(RuntimeError, match="ones: autograd_lite runs on the CPU only.*'cuda'"):
        al.ones(2, device="cuda")
    with pytest.raises(RuntimeError, match="BatchNorm2d: autograd_lite runs on the CPU only"):
        nn.BatchNorm2d(3, device="cuda:0")


def test_older_pytorch_call_forms() -> None:
    x = al.tensor([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(x.var(0, False).array, np.var(x.array, axis=0))           # var(dim, unbiased)
    np.testing.assert_allclose(x.std(1, True, True).array, np.std(x.array, axis=1, ddof=1, keepdims=True))
    np.testing.assert_allclose(x.var(False).item(), np.var(x.array))                    # var(unbiased)
    assert x.to("cpu", al.float64).dtype == np.float64 and x.to(al.tensor([1])).dtype == np.int64
    assert x.type() == "torch.FloatTensor" and al.tensor([1]).type() == "torch.LongTensor"
    assert x.type(al.float64).dtype == np.float64


def test_backward_with_inputs_writes_only_their_grads() -> None:
    w, b = al.tensor([1.0, 2.0], requires_grad=True), al.tensor([3.0], requires_grad=True)
    (w * b).sum().backward(inputs=[w])
    assert w.grad.tolist() == [3.0, 3.0] and b.grad is None
    (w * b).sum().backward(inputs=w)                                                  # accumulates
    assert w.grad.tolist() == [6.0, 6.0] and b.grad is None
    seed = np.ones(2, np.float32)
    (w + 0).backward(seed, inputs=[w])
    seed[0] = 100                                                                      # not aliased
    assert w.grad.tolist() == [7.0, 7.0]


def test_where_with_a_condition_alone_and_nonzero() -> None:
    x = al.tensor([[1.0, 2.0], [3.0, 0.0]])
    rows, cols = al.where(x > 1)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0] and rows.dtype == np.int64
    assert x.nonzero().tolist() == [[0, 0], [0, 1], [1, 0]]
    assert al.nonzero(x, as_tuple=True)[1].tolist() == [0, 1, 0]


def test_softmax_without_dim_warns_and_picks_pytorchs_dim() -> None:
    import nn.functional as F

    x = al.tensor(np.arange(6.0).reshape(2, 3), dtype=al.float32)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = F.softmax(x)
    np.testing.assert_allclose(out.array, al.softmax(x, 1).array)                      # 2-d: dim 1
    with pytest.warns(UserWarning, match="log_softmax"):
        assert nn.LogSoftmax()(al.ones(3)).shape == (3,)
    assert F.softmax(x, 1, dtype=al.float64).dtype == np.float64


def test_more_pytorch_call_forms() -> None:
    m = nn.Linear(2, 3).to("cpu", al.float64)
    assert m.weight.dtype == np.float64
    assert nn.Linear(2, 3).to(al.ones(1, dtype=al.float64)).weight.dtype == np.float64
    assert al.ones(2).new_zeros(2, device="cpu").tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="new_full: autograd_lite runs on the CPU only"):
        al.ones(2).new_ones(2, device="cuda")
    summed = al.tensor([True, True]).cumsum(0, dtype=al.float32)
    assert summed.dtype == np.float32 and summed.tolist() == [1.0, 2.0]
    assert al.arange(4).roll((1,)).tolist() == [3, 0, 1, 2]
