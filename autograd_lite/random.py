"""Where random numbers come from: PyTorch's `torch.random` (the default generator, `manual_seed`, `Generator`).

One NumPy `Generator` per process serves every random function and method (`randn`, `Tensor.normal_`,
dropout, nn's initializers and data shuffling) unless a generator is passed as `generator=`. It is reseeded
in place, so code that kept a reference to `default_generator()` sees the new seed too. The numbers are
NumPy's (PCG64), not PyTorch's: a seed gives repeatable runs here, not PyTorch's values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import check_device
from .errors import ShapeError, is_int

_default_generator = np.random.default_rng()
_initial_seed = [int(np.random.SeedSequence().entropy) % 2**63]


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the default generator (used by randn, rand, randint, the random `Tensor` methods, and nn's
    initializers and data loading) and return it."""
    if not is_int(seed):
        raise TypeError(f"manual_seed: expected an int seed, got {type(seed).__name__}")
    _initial_seed[0] = int(seed)
    _default_generator.bit_generator.state = np.random.default_rng(seed).bit_generator.state
    return _default_generator


def seed() -> int:
    """Seed the default generator from fresh entropy, and return that seed (PyTorch's `torch.seed`)."""
    fresh = int(np.random.SeedSequence().entropy) % 2**63
    manual_seed(fresh)
    return fresh


def initial_seed() -> int:
    """The seed the default generator was last seeded with (PyTorch's `torch.initial_seed`)."""
    return _initial_seed[0]


def default_generator() -> np.random.Generator:
    """The generator used when no `generator=` is given."""
    return _default_generator


def generator_or_default(generator: np.random.Generator | None, op: str = "generator") -> np.random.Generator:
    """The generator an op draws from: the one given, else the default; anything else is refused."""
    if generator is None:
        return _default_generator
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{op}: generator must be an al.Generator (or a numpy.random.Generator), "
                        f"got {type(generator).__name__}")
    return generator


# ---------------------------------------------------------------- the draws behind Tensor's random methods
# Each checks its parameters as PyTorch does and returns float64 NumPy values (the caller casts them).


def normal_values(shape: tuple, mean: float, std: float, generator: np.random.Generator | None) -> np.ndarray:
    if std < 0:
        raise RuntimeError(f"normal_: expects std >= 0.0, but found std {std}")
    return generator_or_default(generator, "normal_").normal(mean, std, shape)


def uniform_values(shape: tuple, low: float, high: float, generator: np.random.Generator | None) -> np.ndarray:
    if low > high:
        raise RuntimeError(f"uniform_: expects to return a [from, to) range, but found from={low} > to={high}")
    return generator_or_default(generator, "uniform_").uniform(low, high, shape)


def exponential_values(shape: tuple, lambd: float, generator: np.random.Generator | None) -> np.ndarray:
    if not lambd > 0:
        raise RuntimeError(f"exponential_: expects lambda > 0.0, but found lambda={lambd}")
    return generator_or_default(generator, "exponential_").exponential(1 / lambd, shape)


def bernoulli_values(shape: tuple, p: Any, generator: np.random.Generator | None, op: str) -> np.ndarray:
    probs = np.asarray(p, dtype=np.float64)       # a number, or the probabilities of a Tensor
    if not ((probs >= 0) & (probs <= 1)).all():
        raise RuntimeError(f"{op}: expected all probabilities p to be in [0, 1], got {probs}")
    return (generator_or_default(generator, op).random(shape) < probs).astype(np.float64)


def multinomial_indices(weights: np.ndarray, num_samples: int, replacement: bool,
                        generator: np.random.Generator | None) -> np.ndarray:
    """For each row of weights (a vector is one row), `num_samples` category indices (int64)."""
    if weights.ndim not in (1, 2):
        raise ShapeError(f"multinomial: prob_dist must be 1 or 2 dim, got {weights.ndim} dims (shape "
                         f"{tuple(weights.shape)})")
    if not is_int(num_samples) or num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (got {num_samples!r})")
    rows = np.atleast_2d(weights).astype(np.float64)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                           f"({num_samples} > {rows.shape[1]})")
    rng = generator_or_default(generator, "multinomial")
    drawn = []
    for w in rows:
        total = w.sum()
        if total <= 0:
            raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
        nonzero = int(np.count_nonzero(w))
        if replacement or num_samples <= nonzero:
            drawn.append(rng.choice(w.size, size=int(num_samples), replace=bool(replacement), p=w / total))
        else:                         # every category of some weight, then (as PyTorch's) some of weight 0
            first = rng.choice(w.size, size=nonzero, replace=False, p=w / total)
            drawn.append(np.concatenate([first, np.flatnonzero(w == 0)[:num_samples - nonzero]]))
    out = np.asarray(drawn, dtype=np.int64)
    return out[0] if weights.ndim == 1 else out


class Generator(np.random.Generator):
    """PyTorch's `torch.Generator`: a random number generator of its own, to pass as `generator=` (to randn,
    rand, randint, randperm, normal, multinomial, the random `Tensor` methods, and nn's data loading). A NumPy
    generator (PCG64), so any NumPy `Generator` is accepted wherever this one is; its numbers are NumPy's."""

    def __init__(self, device: Any = "cpu") -> None:
        check_device(device, "Generator")
        self._seed = int(np.random.SeedSequence().entropy) % 2**63
        super().__init__(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> Generator:
        """Reseed in place and return the generator itself, as PyTorch's (`Generator().manual_seed(42)`)."""
        if not is_int(seed):
            raise TypeError(f"Generator.manual_seed: expected an int seed, got {type(seed).__name__}")
        self._seed = int(seed)
        self.bit_generator.state = np.random.PCG64(self._seed).state
        return self

    def seed(self) -> int:
        """Reseed from fresh entropy and return that seed."""
        return self.manual_seed(int(np.random.SeedSequence().entropy) % 2**63)._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        self.bit_generator.state = state
        return self
