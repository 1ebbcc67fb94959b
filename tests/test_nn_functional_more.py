"""nn.functional's silu, normalize, cosine_similarity, one_hot and pad: values from their definitions,
gradients checked in float64."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
import nn
import nn.functional as F


def leaf(shape, seed=0):
    return al.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_silu_and_its_module():
    x = leaf((3, 4))
    np.testing.assert_allclose(F.silu(x).array, x.array / (1 + np.exp(-x.array)), rtol=1e-12)
    np.testing.assert_array_equal(nn.SiLU()(x).array, F.silu(x).array)
    assert al.gradcheck(F.silu, (x,)) and al.gradgradcheck(F.silu, (x,))


@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1)])
def test_normalize(p, dim):
    x = leaf((3, 4), seed=1)
    norm = np.sum(np.abs(x.array) ** p, axis=dim, keepdims=True) ** (1 / p)
    np.testing.assert_allclose(F.normalize(x, p, dim).array, x.array / norm, rtol=1e-12)
    assert al.gradcheck(lambda t: F.normalize(t, p, dim), (x,))


def test_normalize_keeps_zero_vectors_at_zero():
    x = al.zeros(2, 3, dtype=al.float64, requires_grad=True)
    out = F.normalize(x)
    out.sum().backward()
    assert np.all(out.array == 0) and np.all(np.isfinite(x.grad.array))


def test_cosine_similarity_broadcasts_and_is_gradchecked():
    a, b = leaf((1, 5), seed=2), leaf((4, 5), seed=3)
    expected = (a.array * b.array).sum(1) / (np.linalg.norm(a.array, axis=1) * np.linalg.norm(b.array, axis=1))
    np.testing.assert_allclose(F.cosine_similarity(a, b).array, expected, rtol=1e-12)
    assert al.gradcheck(F.cosine_similarity, (a, b))


def test_one_hot():
    out = F.one_hot(al.tensor([0, 2, 1]))
    assert out.dtype == np.int64 and out.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert F.one_hot(al.tensor([[1], [0]]), num_classes=4).shape == (2, 1, 4)
    with pytest.raises(ValueError, match="class index 3 is out of range for num_classes=3"):
        F.one_hot(al.tensor([3]), 3)
    with pytest.raises(TypeError, match="one_hot: expected class indices of dtype int64, got dtype float32"):
        F.one_hot(al.tensor([1.0]))
    with pytest.raises(TypeError, match="one_hot: expected class indices of dtype int64, got dtype int32"):
        F.one_hot(al.tensor([1], dtype=al.int32))                  # PyTorch's takes int64 tensors only


def test_pad_is_al_pad():
    assert F.pad(al.ones(2, 2), (1, 0)).shape == (2, 3)
