"""Making tensors: from data, filled with constants, ranges, and random numbers from a seedable generator.

Randomness comes from one NumPy `Generator` per process (`manual_seed` resets it), or from a
`np.random.Generator` passed as `generator=`, so that every run can be made repeatable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .checks import array_of, check_device, check_number, check_requires_grad
from .errors import check_allocation, is_int
from .random import generator_or_default
from .tensor import Tensor, wrap

# The dtypes, as NumPy dtype objects (what `Tensor.dtype` is): `x.dtype == al.float32`, and both print `float32`.
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
float = float32  # noqa: A001 - PyTorch's alias: torch.float is float32
double = float64
half = float16
long = int64

def _size(size: tuple, op: str, dtype: Any) -> tuple[int, ...]:
    """zeros(2, 3) and zeros((2, 3)) both work, as in PyTorch."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return check_allocation(op, size, dtype)


def _make(arr: np.ndarray, requires_grad: bool, where: str, device: Any = None) -> Tensor:
    check_device(device, where)   # "cpu" (or None) is accepted, so PyTorch code passing device= runs
    check_requires_grad(arr.dtype, requires_grad, where)
    t = wrap(arr)
    t._requires_grad = bool(requires_grad)
    return t


def _float_dtype(dtype: Any, op: str | None = None) -> np.dtype:
    dt = np.dtype(np.float32 if dtype is None else dtype)
    if op is not None and dt.kind not in "fc":       # rand and randn make floats only, as PyTorch's
        raise TypeError(f"{op}: expected a floating point dtype, got {dt}")
    return dt


def tensor(data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           name: str | None = None) -> Tensor:
    """A new tensor holding a copy of `data` (a number, nested lists, an array, or a Tensor).

    Python floats become float32 and ints int64, as in PyTorch; NumPy arrays keep their dtype.
    `name` labels the tensor in pictures of the graph (`viz.draw_graph`) and in its repr. Everything
    after `data` is keyword-only, as in PyTorch: `tensor(x, float64)` would otherwise read the dtype
    as requires_grad.
    """
    t = _make(array_of(data, dtype, True, "tensor"), requires_grad, "tensor", device)
    t.name = name
    return t


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with `array` (no copy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biufc":
        raise TypeError(f"from_numpy: can't convert an array of dtype {array.dtype}; the supported types are "
                        f"bool, integers, floats and complex numbers")
    return wrap(array)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    dt = _float_dtype(dtype)
    return _make(np.zeros(_size(size, "zeros", dt), dtype=dt), requires_grad, "zeros", device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    dt = _float_dtype(dtype)
    return _make(np.ones(_size(size, "ones", dt), dtype=dt), requires_grad, "ones", device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    dt = _float_dtype(dtype)
    return _make(np.empty(_size(size, "empty", dt), dtype=dt), requires_grad, "empty", device)


def full(size: Sequence[int], fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Filled with `fill_value`; the dtype follows the value (float -> float32, int -> int64)."""
    check_number("full", fill_value)
    if dtype is None:
        dtype = np.bool_ if isinstance(fill_value, bool) else (
            np.int64 if isinstance(fill_value, int) else np.float32)
    shape = check_allocation("full", (size,) if isinstance(size, int) else size, dtype)
    return _make(np.full(shape, fill_value, dtype=dtype), requires_grad, "full", device)


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(input.shape, dtype=dtype or input.dtype), requires_grad, "zeros_like", device)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(input.shape, dtype=dtype or input.dtype), requires_grad, "ones_like", device)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    check_number("full_like", fill_value)
    return _make(np.full(input.shape, fill_value, dtype=dtype or input.dtype), requires_grad, "full_like", device)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from start to end (exclusive); int64 for integer arguments, else float32.

    Float values are computed as start + i * step in float64 and then rounded, as PyTorch does: in
    float32 the error of the step would grow along the range (arange(-1, 1, 0.1)[-1] was 0.90000045)."""
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, (Tensor, np.ndarray, np.generic)) else v for v in (start, end, step))
    ints = all(isinstance(v, int) for v in (start, end, step))
    dtype = np.dtype((np.int64 if ints else np.float32) if dtype is None else dtype)
    if step == 0 or (end - start) * step < 0:
        raise ValueError(f"arange: the bounds and the step are inconsistent (start {start}, end {end}, step "
                         f"{step}): the step must be nonzero and go from start towards end")
    if dtype.kind != "f":
        # An integer dtype takes integer arguments, truncated as PyTorch's: arange(0.5, 3.7) is 0, 1, 2.
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError("arange: step must be nonzero (after conversion to an integer dtype)")
        return _make(np.arange(start, end, step, dtype=dtype), requires_grad, "arange", device)
    # PyTorch's way for floats: the length from the arguments, the values start + i * step in float64,
    # then rounded to the dtype.
    n = max(0, math.ceil((end - start) / step))
    return _make((start + np.arange(n, dtype=np.float64) * step).astype(dtype), requires_grad, "arange", device)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    if not is_int(steps):
        raise TypeError(f"linspace: steps must be an int, got {type(steps).__name__} {steps!r}")
    if steps < 0:
        raise ValueError(f"linspace: number of steps must be non-negative, got {steps}")
    return _make(np.linspace(start, end, steps, dtype=_float_dtype(dtype)), requires_grad, "linspace", device)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, "eye", device)


def randn(*size: Any, generator: np.random.Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Samples from the standard normal distribution."""
    dt = _float_dtype(dtype, "randn")
    rng = generator_or_default(generator, "randn")
    arr = rng.standard_normal(_size(size, "randn", np.float64), dtype=np.float64).astype(dt, copy=False)
    return _make(arr, requires_grad, "randn", device)


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: np.random.Generator | None = None,
           dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples from normal distributions, as PyTorch's `normal`: `normal(mean, std)` with a tensor for either
    (one sample per element, of their broadcast shape), or `normal(mean, std, size)` with two numbers. The
    result is not differentiable with respect to mean and std (sample `mean + std * randn_like(mean)` for that).
    """
    check_device(device, "normal")
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal: with a number for both mean and std, give the size too: normal(0.0, 1.0, (2, 3))")
        shape = _size((size,) if is_int(size) else tuple(size), "normal", np.float64)
        dt = _float_dtype(dtype, "normal")
    else:
        if size is not None:
            raise TypeError("normal: size is given by mean and std when either is a tensor; pass no size")
        shape = np.broadcast_shapes(*(v.shape for v in tensors))
        dt = tensors[0].dtype if dtype is None else _float_dtype(dtype, "normal")
    std_values = std.array if isinstance(std, Tensor) else std
    if np.any(np.asarray(std_values) < 0):
        raise RuntimeError("normal: expected all elements of std >= 0.0")
    mean_values = mean.array if isinstance(mean, Tensor) else mean
    arr = generator_or_default(generator).normal(mean_values, std_values, shape).astype(dt, copy=False)
    return _make(np.asarray(arr), requires_grad, "normal", device)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: np.random.Generator | None = None) -> Tensor:
    """Indices drawn from the categorical distributions given by the rows of `input`: `Tensor.multinomial`."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial: expected a Tensor of weights, got {type(input).__name__}")
    return input.multinomial(num_samples, replacement, generator=generator)


def bernoulli(input: Tensor, p: Any = None, *, generator: np.random.Generator | None = None) -> Tensor:
    """0 or 1 drawn for each element, 1 with the probability the element gives (or `p`): `Tensor.bernoulli`."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli: expected a Tensor of probabilities, got {type(input).__name__}")
    return input.bernoulli(p, generator=generator)


def rand(*size: Any, generator: np.random.Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Samples from the uniform distribution on [0, 1)."""
    dt = _float_dtype(dtype, "rand")
    rng = generator_or_default(generator, "rand")
    arr = rng.random(_size(size, "rand", np.float64), dtype=np.float64).astype(dt, copy=False)
    return _make(arr, requires_grad, "rand", device)


def randint(low: int, high: Any = None, size: Sequence[int] | None = None, *,
            generator: np.random.Generator | None = None, dtype: Any = None, device: Any = None) -> Tensor:
    """Integers drawn uniformly from [low, high): randint(low, high, size) or, as in PyTorch,
    randint(high, size)."""
    check_device(device)
    if isinstance(high, (tuple, list)) and size is None:
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint: missing the size, as PyTorch requires: randint(high, size) or "
                        "randint(low, high, size), e.g. randint(0, 10, (3,))")
    if high is None:
        low, high = 0, low
    rng = generator_or_default(generator, "randint")
    arr = rng.integers(low, high, size=check_allocation("randint", size, np.int64), dtype=np.int64)
    return wrap(arr.astype(dtype or np.int64, copy=False))


def randperm(n: int, *, generator: np.random.Generator | None = None, device: Any = None) -> Tensor:
    """A random permutation of 0..n-1."""
    check_device(device)
    if not is_int(n) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    return wrap(generator_or_default(generator).permutation(n).astype(np.int64))


def rand_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False,
              generator: np.random.Generator | None = None) -> Tensor:
    return rand(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad,
                generator=generator)


def randn_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False,
               generator: np.random.Generator | None = None) -> Tensor:
    return randn(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad,
                 generator=generator)


def randint_like(input: Tensor, low: int, high: Any = None, *, dtype: Any = None,
                 generator: np.random.Generator | None = None) -> Tensor:
    return randint(low, high, input.shape, dtype=input.dtype if dtype is None else dtype, generator=generator)


def empty_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return empty(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad)


def get_default_dtype() -> np.dtype:
    """The dtype of floating tensors made from Python floats or by randn, zeros, ...: float32, as PyTorch's."""
    return float32


def set_default_dtype(d: Any) -> None:
    """PyTorch's `set_default_dtype`: float32 is accepted (it is the default); another default is not available
    here, so it is refused rather than ignored."""
    if np.dtype(d) != float32:
        raise NotImplementedError(f"set_default_dtype: only float32 is available as the default dtype here, got "
                                  f"{np.dtype(d)}; make {np.dtype(d)} tensors with dtype=al.{np.dtype(d)} or .to()")
