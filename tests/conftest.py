"""Shared fixtures: a seeded random generator and a factory of float64 leaf tensors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al

SEED = 20240611


class LeafFactory:
    """Makes float64 tensors with requires_grad=True whose values suit a gradient check.

    kind="normal": standard normal; "positive": uniform in [0.5, 2]; "away": |value| in [0.25, 1.5]
    (bounded away from 0, for kinked functions and denominators).
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def values(self, shape: tuple[int, ...], kind: str = "normal") -> np.ndarray:
        if kind == "normal":
            return self.rng.standard_normal(shape)
        if kind == "positive":
            return self.rng.uniform(0.5, 2.0, shape)
        if kind == "away":
            return self.rng.choice([-1.0, 1.0], shape) * self.rng.uniform(0.25, 1.5, shape)
        raise ValueError(kind)

    def __call__(self, shape: tuple[int, ...], positive: bool = False, kind: str = "normal") -> al.Tensor:
        return al.tensor(self.values(shape, "positive" if positive else kind), requires_grad=True)

    def distinct(self, *shapes: tuple[int, ...]) -> tuple[al.Tensor, ...]:
        """Leaves whose values are pairwise distinct across all of them (gaps >= 0.1): no ties."""
        sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
        pool = (self.rng.permutation(sum(sizes)) - sum(sizes) / 2) * 0.15
        out, start = [], 0
        for shape, n in zip(shapes, sizes):
            out.append(al.tensor(pool[start:start + n].reshape(shape), requires_grad=True))
            start += n
        return tuple(out)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(SEED)


@pytest.fixture
def leaf(rng: np.random.Generator) -> LeafFactory:
    return LeafFactory(rng)
