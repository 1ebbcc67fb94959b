"""Generated data sets for teaching and tests: spirals, moons, and the seed tutorial's kinked line.

Each returns NumPy arrays (float32 inputs; int64 class labels or float32 targets) from a seed, so an
experiment can be rerun exactly and needs no download.
"""

from __future__ import annotations

import numpy as np


def make_spirals(n_per_class: int = 100, classes: int = 3, noise: float = 0.2,
                 seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms (the CS231n example): not linearly separable, so a hidden layer must work.

    Returns x of shape (classes * n_per_class, 2) and labels y in 0..classes-1.
    """
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        theta = np.linspace(c * 4.0, (c + 1) * 4.0, n_per_class) + rng.normal(0, noise, n_per_class)
        xs.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        ys.append(np.full(n_per_class, c, dtype=np.int64))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys)


def make_moons(n_samples: int = 200, noise: float = 0.1, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (as scikit-learn's make_moons), labels 0 and 1."""
    rng = np.random.default_rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], axis=1)
    x = np.concatenate([outer, inner]) + rng.normal(0, noise, (n_samples, 2))
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    return x.astype(np.float32), y


def make_piecewise_linear(n_samples: int = 500, x0: float = 0.3, m1: float = 0.5, m2: float = 2.0,
                          b: float = 0.0, low: float = -1.0, high: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The seed tutorial's regression problem: noise-free points of two line segments meeting at x0,

        f(x) = m1 * min(x - x0, 0) + m2 * max(x - x0, 0) + b,

    which an Input-ReLU-Linear network can represent exactly. Returns x and f(x), each (n_samples, 1).
    """
    x = np.linspace(low, high, n_samples)[:, None]
    y = m1 * np.minimum(x - x0, 0) + m2 * np.maximum(x - x0, 0) + b
    return x.astype(np.float32), y.astype(np.float32)
