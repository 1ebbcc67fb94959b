"""erf (special.py): every value equals math.erf's, rounded to the input's dtype, and it is fast."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import special

_math_erf = np.frompyfunc(math.erf, 1, 1)


def _reference(x: np.ndarray) -> np.ndarray:
    """math.erf of each element (computed on the exact float64 value), rounded to x's dtype."""
    return np.asarray(_math_erf(x.astype(np.float64)), dtype=np.float64).astype(x.dtype)


def _samples(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    tiny = 10.0 ** rng.uniform(-45, 0, n // 4) * rng.choice([-1, 1], n // 4)
    grid = np.linspace(-6.5, 6.5, n // 4)                     # every table cell, both signs
    special_values = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5.9, 6.0, 6.1, 1e-300, -1e-320,
                               1 / 256, -1 / 256, 3 / 256])
    return np.concatenate([rng.uniform(-8, 8, n // 4), rng.standard_normal(n // 4) * 2, tiny, grid,
                           special_values])


def test_table_expansion_is_far_inside_the_tolerance() -> None:
    # The claim special.py's check rests on: the float64 expansion stays far inside _TOLERANCE
    # (measured: 1.2e-15 at most, 6 units in the last place for small |x|; 1 beyond |x| = 2).
    x = _samples(400_000)
    x = x[np.isfinite(x)]
    ref = np.asarray(_math_erf(x), dtype=np.float64)
    got = special._erf_float64(x)
    assert np.max(np.abs(got - ref)) <= 2.0 ** -52
    rel = np.abs(got - ref) / np.maximum(np.abs(ref), np.finfo(np.float64).tiny)
    assert np.max(rel) < special._TOLERANCE / 64


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_equals_math_erf_bit_for_bit(dtype: type) -> None:
    x = _samples(400_000, seed=1).astype(dtype)
    got = special.erf(x)
    assert got.dtype == dtype and got.shape == x.shape
    np.testing.assert_array_equal(got, _reference(x))                  # NaN where NaN, signed zeros
    assert np.array_equal(np.signbit(got), np.signbit(_reference(x)))


def test_float32_every_value_near_a_boundary_goes_to_math_erf(monkeypatch: pytest.MonkeyPatch) -> None:
    # With a huge tolerance every element is "unsure" and is recomputed with math.erf: the fallback
    # path gives the same values as the fast one.
    x = _samples(40_000, seed=2).astype(np.float32)
    fast = special.erf(x)
    monkeypatch.setattr(special, "_TOLERANCE", 0.5)
    np.testing.assert_array_equal(special.erf(x), fast)


def test_float64_is_math_erf_and_shapes_are_kept() -> None:
    x = _samples(20_000, seed=3).reshape(-1, 1)
    got = special.erf(x)
    assert got.shape == x.shape and got.dtype == np.float64
    np.testing.assert_array_equal(got, _reference(x))
    assert special.erf(np.float32(0.5)).shape == ()
    assert special.erf(np.zeros((0, 3), np.float32)).shape == (0, 3)


def test_non_contiguous_input() -> None:
    x = np.random.default_rng(4).standard_normal((64, 300)).astype(np.float32).T[::2]
    np.testing.assert_array_equal(special.erf(x), _reference(x))


def test_tensor_erf_of_integers_is_float32() -> None:
    out = al.erf(al.tensor([0, 1, 2]))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.array, _reference(np.array([0.0, 1.0, 2.0], np.float32)))


def test_gelu_uses_it() -> None:
    import nn

    x = np.random.default_rng(5).standard_normal(10_000).astype(np.float32)
    got = nn.functional.gelu(al.tensor(x)).array
    half = np.float32(0.5)
    expected = x * half * (np.float32(1) + _reference((x * np.float32(1 / math.sqrt(2))).astype(np.float32)))
    np.testing.assert_array_equal(got, expected)
