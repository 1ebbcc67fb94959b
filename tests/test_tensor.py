"""The Tensor API: creation and dtypes, conversions, repr, in-place rules, seeding, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al


@pytest.mark.parametrize(
    "data, dtype",
    [(1.5, np.float32), ([1.0, 2.0], np.float32), ([[1, 2.5]], np.float32), (3, np.int64),
     ([1, 2], np.int64), (True, np.bool_), ([True, False], np.bool_)],
)
def test_python_data_gets_pytorch_default_dtypes(data: object, dtype: type) -> None:
    assert al.tensor(data).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32, np.uint8, np.bool_])
def test_numpy_arrays_keep_their_dtype(dtype: type) -> None:
    assert al.tensor(np.zeros(3, dtype=dtype)).dtype == dtype
    # Tensor(data), PyTorch's legacy constructor, always makes the default dtype, float32
    assert al.Tensor(np.zeros(3, dtype=dtype)).dtype == np.float32 and al.Tensor([1, 2]).dtype == np.float32


def test_tensor_copies_but_from_numpy_shares() -> None:
    a = np.zeros(3)
    t = al.tensor(a)
    a[0] = 1
    assert t.array[0] == 0
    s = al.from_numpy(a)
    a[1] = 2
    assert s.array[1] == 2


def test_explicit_dtype() -> None:
    assert al.tensor([1, 2], dtype=al.float64).dtype == np.float64
    assert al.tensor([1.7], dtype="float16").dtype == np.float16


@pytest.mark.parametrize("data", [[1, 2], np.arange(3), True])
def test_integer_and_bool_tensors_cannot_require_grad(data: object) -> None:
    with pytest.raises(TypeError, match="only floating point tensors can require gradients.*(int64|bool)"):
        al.tensor(data, requires_grad=True)
    with pytest.raises(TypeError, match="floating point"):
        al.tensor(data).requires_grad_()


def test_basic_properties() -> None:
    t = al.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.dim() == 2
    assert t.size() == (2, 3) and t.size(1) == 3 and t.numel() == 6 and len(t) == 2
    assert t.T.shape == (3, 2) and t.mT.shape == (3, 2)
    assert t.is_leaf and (t * 2).is_leaf is False
    np.testing.assert_array_equal(np.asarray(t), t.array)
    assert al.tensor(2.5).item() == 2.5 and float(al.tensor([2.5])) == 2.5


def test_numpy_refuses_on_requires_grad_like_pytorch() -> None:
    t = al.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        t.numpy()
    assert t.detach().numpy() is t.array


def test_item_on_many_elements_is_an_error() -> None:
    with pytest.raises(ValueError, match="one-element.*\\(2,\\)"):
        al.tensor([1.0, 2.0]).item()


def test_repr_is_readable() -> None:
    assert repr(al.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(al.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert "dtype=float64" in repr(al.tensor(np.zeros(2)))
    y = al.tensor([1.0], requires_grad=True) * 2
    assert repr(y) == "tensor([2.], grad_fn=<MulBackward0>)"


def test_ndarray_on_the_left_reaches_tensor_operators() -> None:
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, al.Tensor) and y.requires_grad
    z = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32) @ x
    assert isinstance(z, al.Tensor)
    (y.sum() + z.sum()).backward()
    np.testing.assert_allclose(x.grad.array, [4.0, 5.0])


def test_scalar_operands_keep_float32() -> None:
    x = al.tensor([1.0, 2.0])
    for y in (x * 2.5, 2.5 * x, x / 3, 1 - x, x ** 2, 2 ** x):
        assert y.dtype == np.float32


def test_comparisons_give_bool_and_no_grad() -> None:
    x = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = x > 1.5
    assert m.dtype == np.bool_ and not m.requires_grad
    np.testing.assert_array_equal((x == 2.0).array, [False, True, False])
    np.testing.assert_array_equal(((x > 1) & (x < 3)).array, [False, True, False])
    np.testing.assert_array_equal((~m).array, [True, False, False])


def test_tensors_are_hashable_by_identity() -> None:
    a, b = al.tensor([1.0]), al.tensor([1.0])
    assert len({a, b}) == 2


def test_creation_helpers() -> None:
    assert al.zeros(2, 3).shape == (2, 3) and al.zeros((2, 3)).dtype == np.float32
    assert al.ones(4).array.sum() == 4
    assert al.full((2,), 7).dtype == np.int64 and al.full((2,), 0.5).dtype == np.float32
    assert al.zeros_like(al.tensor(np.zeros(3))).dtype == np.float64
    assert al.ones_like(al.zeros(2, 2)).shape == (2, 2)
    assert al.arange(5).dtype == np.int64 and al.arange(0.0, 1.0, 0.25).shape == (4,)
    np.testing.assert_array_equal(al.eye(3).array, np.eye(3))
    assert al.randn(3, 4).dtype == np.float32 and al.rand(2).array.max() < 1
    assert al.zeros(2, requires_grad=True).requires_grad


def test_manual_seed_and_generator_repeat() -> None:
    al.manual_seed(123)
    a = al.randn(5)
    al.manual_seed(123)
    b = al.randn(5)
    np.testing.assert_array_equal(a.array, b.array)
    g1, g2 = np.random.default_rng(7), np.random.default_rng(7)
    np.testing.assert_array_equal(al.rand(3, generator=g1).array, al.rand(3, generator=g2).array)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        al.randn(2, generator=7)


def test_requires_grad_and_detach_semantics() -> None:
    x = al.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    d = y.detach()
    assert d.array is y.array and not d.requires_grad


def test_inplace_on_leaf_requiring_grad_needs_no_grad() -> None:
    w = al.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf.*no_grad"):
        w.add_(1.0)
    with al.no_grad():
        w.sub_(al.tensor([0.5, 0.5]), alpha=2).mul_(2.0)
    np.testing.assert_allclose(w.array, [0.0, 2.0])


def test_setitem_outside_autograd_and_recorded_inside() -> None:
    t = al.zeros(3)
    t[1] = 5.0
    t[al.tensor([0, 2])] = al.tensor([1.0, 2.0])
    np.testing.assert_array_equal(t.array, [1.0, 5.0, 2.0])
    leaf = al.tensor([1.0], requires_grad=True)
    t[0:1] = leaf * 2                      # now part of the graph, as in PyTorch (tests/test_inplace.py)
    assert t.requires_grad and t.grad_fn is not None and t.tolist() == [2.0, 5.0, 2.0]
    (t * al.tensor([10.0, 1.0, 1.0])).sum().backward()
    assert leaf.grad.tolist() == [20.0]


def test_dtype_conversions() -> None:
    x = al.tensor([1.7, -2.2], requires_grad=True)
    assert x.double().dtype == np.float64 and x.double().requires_grad
    assert x.long().dtype == np.int64 and not x.long().requires_grad
    assert x.to(np.float32) is x
    x.double().sum().backward()
    assert x.grad.dtype == np.float32


def test_iteration_and_indexing_return_tensors() -> None:
    t = al.tensor([[1.0, 2.0], [3.0, 4.0]])
    rows = list(t)
    assert len(rows) == 2 and isinstance(rows[0], al.Tensor)
    assert t[1, 0].item() == 3.0 and t[:, 1].shape == (2,)


def test_max_with_dim_returns_values_and_indices() -> None:
    x = al.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.array, [5.0, 7.0])
    np.testing.assert_array_equal(indices.array, [1, 0])
    assert indices.dtype == np.int64
    values.sum().backward()
    # The gradient goes to the returned index only (PyTorch's max(dim) semantics).
    np.testing.assert_array_equal(x.grad.array, [[0, 1, 0], [1, 0, 0]])


def test_max_without_dim_shares_gradient_among_ties() -> None:
    x = al.tensor([3.0, 1.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.array, [0.5, 0.0, 0.5])


def test_numpy_spellings_are_accepted() -> None:
    x = al.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.sum(axis=1, keepdims=True).array, x.array.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(al.concatenate([x, x], axis=0).array, np.concatenate([x.array] * 2))
    np.testing.assert_array_equal(x.clip(1, 4).array, np.clip(x.array, 1, 4))
    assert x.mean(axis=(0, 1)).item() == pytest.approx(2.5)


def test_var_std_default_to_bessel_correction() -> None:
    data = np.array([1.0, 2.0, 4.0, 7.0])
    x = al.tensor(data)
    assert x.var().item() == pytest.approx(data.var(ddof=1))
    assert x.var(correction=0).item() == pytest.approx(data.var())
    assert x.std(unbiased=False).item() == pytest.approx(data.std())


def test_clear_errors_for_bad_shapes_and_dims() -> None:
    with pytest.raises(ValueError, match="reshape.*\\(4,\\).*\\(2, 3\\)"):
        al.zeros(2, 3).reshape(4)
    with pytest.raises(IndexError, match="softmax: dim 2 is out of range"):
        al.zeros(2, 3).softmax(2)
    with pytest.raises(ValueError, match="broadcast_to.*\\(2, 3\\).*\\(4, 3\\)"):
        al.zeros(2, 3).broadcast_to((4, 3))
    with pytest.raises(ValueError, match="permute"):
        al.zeros(2, 3).permute(0, 0)
    with pytest.raises(ValueError, match="clamp"):
        al.zeros(2).clamp()
    with pytest.raises(TypeError, match="mean: expected a floating point"):
        al.arange(3).mean()


def test_augmented_assignment_updates_in_place_under_no_grad() -> None:
    w = al.tensor([1.0, 2.0], requires_grad=True)
    params = [w]
    (w * 3).sum().backward()
    with al.no_grad():
        for p in params:
            p -= 0.5 * p.grad
    assert params[0] is w
    np.testing.assert_allclose(w.array, [-0.5, 0.5])
    with pytest.raises(RuntimeError, match="leaf.*no_grad"):
        w += 1.0
    plain = al.zeros(2)
    plain += w                             # recorded: plain is now w + 0, as in PyTorch
    w.grad = None
    plain.sum().backward()
    assert plain.requires_grad and w.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    "make",
    [lambda: al.arange(4) * 0.5, lambda: al.arange(4) / 3, lambda: al.tensor([1, 2]) + al.tensor([1.0]),
     lambda: al.ones(3) * np.float64(2.0), lambda: al.arange(3).exp(), lambda: np.sqrt(2.0) * al.ones(2),
     lambda: al.arange(5) // 2.0],
)
def test_type_promotion_follows_pytorch_not_numpy(make: object) -> None:
    # NumPy would give float64 for all of these; PyTorch gives the default float32.
    assert make().dtype == np.float32


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8])
@pytest.mark.parametrize("op", [lambda t: t.exp(), lambda t: t.sqrt(), lambda t: t.tanh(), lambda t: al.erf(t),
                                lambda t: t > 0.5])
def test_float_results_of_bools_and_bytes_are_float32(dtype: object, op: object) -> None:
    # NumPy computes exp(bool) or sqrt(uint8) in float16; PyTorch gives the default float32 (and a
    # comparison stays bool).
    t = al.tensor(np.array([0, 1, 1], dtype=dtype))
    out = op(t)
    assert out.dtype == (np.bool_ if out.dtype == np.bool_ else np.float32)
    assert out.dtype == np.bool_ or np.allclose(out.array, op(al.tensor(t.array.astype(np.float32))).array)


def test_float16_operands_keep_float16() -> None:
    h = al.tensor([1.0, 2.0], dtype="float16")
    assert h.exp().dtype == np.float16
    assert (h * al.tensor(np.array([1, 2], dtype=np.uint8))).dtype == np.float16
    assert (h + 0.5).dtype == np.float16


def test_float64_operands_still_promote() -> None:
    assert (al.ones(2) * np.ones(2)).dtype == np.float64          # a float64 array is a tensor operand
    assert (al.ones(2) + al.ones(2, dtype=al.float64)).dtype == np.float64
    assert (al.arange(3) + 1).dtype == np.int64


def test_manual_seed_reseeds_the_generator_in_place() -> None:
    g = al.default_generator()
    al.manual_seed(0)
    a = g.random()
    al.manual_seed(0)
    assert g.random() == a and g is al.default_generator()


def test_set_grad_enabled_as_decorator_leaves_the_mode_alone() -> None:
    @al.set_grad_enabled(False)
    def f(t: al.Tensor) -> al.Tensor:
        return t * 2

    assert al.is_grad_enabled()
    assert not f(al.tensor([1.0], requires_grad=True)).requires_grad
    assert al.is_grad_enabled()


def test_bare_no_grad_decorator() -> None:
    @al.no_grad
    def f(t: al.Tensor) -> al.Tensor:
        return t * 2

    assert not f(al.tensor([1.0], requires_grad=True)).requires_grad and al.is_grad_enabled()


def test_cpu_device_is_accepted_and_others_explained() -> None:
    t = al.tensor([1.0], requires_grad=True)
    assert t.to("cpu") is t and t.cpu() is t and t.to(device="cpu") is t
    assert t.to("cpu").dtype == np.float32
    with pytest.raises(RuntimeError, match="CPU only"):
        t.to("cuda")


def test_zero_dim_float64_does_not_promote_a_float32_tensor() -> None:
    assert (al.ones(3) * al.tensor(np.float64(2.0))).dtype == np.float32
    assert (al.tensor(np.float64(2.0)) * al.tensor(np.float64(3.0))).dtype == np.float64
    assert (al.ones(3) * al.ones(3, dtype=al.float64)).dtype == np.float64


def test_stale_hook_handle_does_not_remove_a_newer_hook() -> None:
    x = al.tensor([1.0], requires_grad=True)
    h1 = x.register_hook(lambda g: g * 0)
    h1.remove()
    x.register_hook(lambda g: g * 3)
    h1.remove()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [6.0])


def test_cat_stack_pad_return_new_memory() -> None:
    x = al.tensor([1.0, 2.0])
    for y in (al.cat([x]), al.stack([x]), al.pad(x, (0, 0))):
        assert not np.shares_memory(y.array, x.array)


def test_contiguous_copies_only_when_needed_and_passes_the_gradient() -> None:
    x = al.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.is_contiguous() and x.contiguous() is x
    t = x.t()
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.array.flags.c_contiguous and c.requires_grad
    np.testing.assert_array_equal(c.array, x.array.T)
    (c * al.tensor(np.arange(6.0).reshape(3, 2))).sum().backward()
    np.testing.assert_array_equal(x.grad.array, np.arange(6.0).reshape(3, 2).T)
    # a convolution's output is a view of batch-last memory: not contiguous, as PyTorch's channels_last
    y = al.conv2d(al.ones(2, 1, 4, 4), al.ones(3, 1, 2, 2))
    assert not y.is_contiguous() and y.contiguous().is_contiguous()


def test_raw_cat_primitive_takes_a_negative_dim() -> None:
    from autograd_lite import ops
    a, b = al.ones(2, 3, requires_grad=True), al.ones(2, 2, requires_grad=True)
    (ops.cat(a, b, dim=-1) * al.tensor(np.arange(10.0).reshape(2, 5))).sum().backward()
    np.testing.assert_array_equal(a.grad.array, [[0, 1, 2], [5, 6, 7]])
    np.testing.assert_array_equal(b.grad.array, [[3, 4], [8, 9]])


def test_shape_and_size_are_pytorchs_size():
    torch = pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")
    ours, theirs = al.zeros(2, 3, 4).shape, torch.zeros(2, 3, 4).shape
    assert isinstance(ours, al.Size) and isinstance(ours, tuple) and ours == (2, 3, 4) == theirs
    assert repr(ours) == repr(theirs).replace("torch.", "al.") == "al.Size([2, 3, 4])" and str(ours) == repr(ours)
    assert ours.numel() == theirs.numel() == 24 and al.zeros(3).size() == (3,) and al.zeros(3).size(0) == 3
    for a, b in ((ours[1:], theirs[1:]), (ours + (5,), theirs + (5,)), (ours[:0], theirs[:0])):
        assert type(a) is al.Size and tuple(a) == tuple(b) and type(b) is torch.Size
    assert ours[0] == 2 and type(ours[0]) is int and al.zeros(ours).shape == ours
    assert np.zeros(ours).shape == ours and hash(ours) == hash((2, 3, 4))
