"""Functions and methods PyTorch programs use, added for them: each against PyTorch, gradchecked in float64.

equal, allclose, isclose, logical_*, clamp_min/max, masked_select, dot, outer, addmm, lerp, addcmul, addcdiv,
the in-place exp_ log_ sqrt_ abs_ neg_ pow_ tanh_ sigmoid_, *_like random tensors, and small Tensor facts.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al


def _torch():
    return pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")


RNG = np.random.default_rng(0)
A = RNG.random((3, 4)) + 0.5
B = RNG.random((3, 4)) + 0.5
V = RNG.random(4) + 0.5
W = RNG.random(5) + 0.5
M = RNG.random((3, 5)) + 0.5
N = RNG.random((5, 4)) + 0.5

DIFFERENTIABLE = {
    "masked_select": (lambda m, a: m.masked_select(a, m.tensor(A > 1.0)), [A]),
    "dot": (lambda m, v, w: m.dot(v, w), [V, V[::-1].copy()]),
    "outer": (lambda m, v, w: m.outer(v, w), [V, W]),
    "addmm": (lambda m, a, x, y: m.addmm(a, x, y, beta=0.5, alpha=2.0), [A, M, N]),
    "lerp": (lambda m, a, b: m.lerp(a, b, 0.3), [A, B]),
    "addcmul": (lambda m, a, b: a.addcmul(b, a, value=0.5), [A, B]),
    "addcdiv": (lambda m, a, b: a.addcdiv(a, b, value=-2.0), [A, B]),
    "exp_": (lambda m, a: (a * 1).exp_(), [A]),
    "log_": (lambda m, a: (a * 1).log_(), [A]),
    "sqrt_": (lambda m, a: (a * 1).sqrt_(), [A]),
    "abs_": (lambda m, a: (a - 1).abs_(), [A]),
    "neg_": (lambda m, a: (a * 1).neg_(), [A]),
    "pow_": (lambda m, a: (a * 1).pow_(3), [A]),
    "tanh_": (lambda m, a: (a * 1).tanh_(), [A]),
    "sigmoid_": (lambda m, a: (a * 1).sigmoid_(), [A]),
    "clamp_min": (lambda m, a: a.clamp_min(1.0), [A]),
    "clamp_max": (lambda m, a: a.clamp_max(1.0), [A]),
}


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_values_and_gradients_match_pytorch(name):
    torch = _torch()
    fn, arrays = DIFFERENTIABLE[name]
    ours = [al.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = fn(al, *ours), fn(torch, *theirs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
    seed = RNG.random(tuple(ref.shape))
    out.backward(al.tensor(seed))
    ref.backward(torch.tensor(seed))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert al.gradcheck(lambda *xs: fn(al, *xs), [al.tensor(a, requires_grad=True) for a in arrays])


def test_comparisons_and_logic_match_pytorch():
    torch = _torch()
    a, b = A.astype(np.float32), (A + 1e-7).astype(np.float32)
    for m in (al, torch):
        x, y = m.tensor(a), m.tensor(b)
        assert m.equal(x, x.clone()) and not m.equal(x, y) and not m.equal(x, x[:2])
        assert m.allclose(x, y) and x.allclose(y) and not m.allclose(x, y + 1)
    np.testing.assert_array_equal(al.isclose(al.tensor(a), al.tensor(b), rtol=0, atol=0).numpy(),
                                  torch.isclose(torch.tensor(a), torch.tensor(b), rtol=0, atol=0).numpy())
    p, q = np.array([True, False, True, False]), np.array([True, True, False, False])
    for name in ("logical_and", "logical_or", "logical_xor"):
        np.testing.assert_array_equal(getattr(al, name)(al.tensor(p), al.tensor(q)).numpy(),
                                      getattr(torch, name)(torch.tensor(p), torch.tensor(q)).numpy())
    np.testing.assert_array_equal(al.logical_not(al.tensor([0.0, 2.0])).numpy(), [True, False])
    np.testing.assert_array_equal((al.tensor([1, 2, 3]) % 2).numpy(), al.tensor([1, 2, 3]).remainder(2).numpy())


def test_like_constructors_and_tensor_facts():
    x = al.zeros(3, 4, dtype=al.float64)
    for made in (al.rand_like(x), al.randn_like(x), al.empty_like(x), al.randint_like(x, 0, 5)):
        assert made.shape == (3, 4) and made.dtype == np.float64
    assert al.rand_like(x, dtype=al.float32).dtype == np.float32
    assert x.ndimension() == 2 and x.element_size() == x.itemsize == 8 and x.nbytes == 96 and not x.is_complex()
    assert al.numel(x) == 12 and al.is_tensor(x) and not al.is_tensor(x.numpy()) and al.is_floating_point(x)
    np.testing.assert_array_equal(al.t(al.tensor(M)).numpy(), M.T)
    np.testing.assert_array_equal(al.square(al.tensor(V)).numpy(), V * V)


def test_shape_errors_name_the_op():
    with pytest.raises(al.ShapeError, match=r"dot: expected two 1-D tensors of the same size, got shapes \(4,\)"):
        al.dot(al.tensor(V), al.tensor(W))
    with pytest.raises(al.ShapeError, match="outer: expected two vectors"):
        al.outer(al.tensor(A), al.tensor(V))
    with pytest.raises(TypeError, match="equal: expected a Tensor"):
        al.equal(al.tensor(V), V)


def test_the_default_dtype_is_float32_and_only_that():
    torch = _torch()
    assert str(al.get_default_dtype()) == str(torch.get_default_dtype()).replace("torch.", "") == "float32"
    al.set_default_dtype(al.float32)
    with pytest.raises(NotImplementedError, match="set_default_dtype: only float32 .* got float64"):
        al.set_default_dtype(al.float64)
    assert al.tensor([1.5]).dtype == al.get_default_dtype()
