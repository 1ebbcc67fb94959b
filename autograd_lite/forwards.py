"""The NumPy forwards of the primitives in ops.py that take more than one NumPy call: a dtype rule, a check, a
stable formula or some index bookkeeping around the call. `forwards.sigmoid` is the forward of `ops.sigmoid`,
and so on: each is named after its primitive (so `abs`, `pow`, `round` and `sum` shadow the builtins here).

Values only: no derivative is computed here (the rules are in ops.py, next to their primitives). A forward
of one NumPy call stays on its line of the table in ops.py (`np.exp`, `lambda x: np.maximum(x, 0)`), and
convolution and pooling have theirs in conv_kernels.py. The helpers that ops.py's rules and other modules
need as well (`reduced_axes`, `reduced_count`, `gather_index`, and `einsum_parts`, einsum's equation parsed)
are here too: this module imports nothing of tensors or the engine, so any module may import it.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import promotion


def _no_bools(op: str, x: np.ndarray) -> None:
    """PyTorch has no arithmetic of this kind on bools (NumPy would give ints or logic): refuse it. (For
    ops whose result is a bool again, where the engine would not look; the others declare
    `refuses_bools` and are checked on the engine's slow path, at no cost to the usual call.)"""
    if x.dtype.kind == "b":
        raise TypeError(promotion.no_bools_message(op))


# ---------------------------------------------------------------------------------------------
# arithmetic
# ---------------------------------------------------------------------------------------------


def pow(x: np.ndarray, y: Any) -> np.ndarray:
    if (x.dtype.kind == "b" if type(x) is np.ndarray else type(x) is bool) and promotion.is_bool(y):
        if type(y) is bool and type(x) is np.ndarray:
            return x.copy() if y else np.ones_like(x)    # (PyTorch's bool tensor ** True / False)
        raise TypeError(promotion.no_bools_message("pow"))
    if type(y) is int and y < 0 and type(x) is np.ndarray and x.dtype.kind in "biu":
        raise ValueError("Integers to negative integer powers are not allowed (as in PyTorch); make the base a float")
    if type(y) is np.ndarray and y.dtype.kind in "iu" and np.asarray(x).dtype.kind in "biu" and (y < 0).any():
        # An integer tensor exponent may hold negative powers, which PyTorch computes in integers:
        # 1 ** -n = 1, (-1) ** -n = +-1, and 0 for every other base (1 / x^n truncated).
        out = np.power(x, np.maximum(y, 0))
        odd = np.where(y % 2 == 1, -1, 1)
        return np.where(y < 0, np.where(x == 1, 1, np.where(x == -1, odd, 0)), out).astype(out.dtype)
    return np.power(x, y)


# ---------------------------------------------------------------------------------------------
# elementwise functions
# ---------------------------------------------------------------------------------------------


def abs(x: np.ndarray) -> np.ndarray:
    return _no_bools("abs", x) or np.abs(x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    # 1 / (1 + e^-x) is accurate everywhere: where e^-x overflows (x < -88 in float32) the result is 0,
    # which is right to within a subnormal. So silence that warning instead of branching on the sign
    # (one pass over the data instead of four; measured as precise, at half the time).
    if x.dtype.kind in "bu":              # -x has no meaning for these; their sigmoid is float32 anyway
        x = x.astype(np.float32)
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def reciprocal(x: np.ndarray) -> np.ndarray:
    # 1 / x: integers give floats (as PyTorch's), and 1 / 0 is inf without a warning (PyTorch's is silent;
    # errstate costs a microsecond, so only where there is a 0).
    if x.dtype.kind == "f" and np.count_nonzero(x) == x.size:
        return np.reciprocal(x)
    with np.errstate(divide="ignore"):
        return np.true_divide(1, x)


def _integral_or(fn: Any, name: str) -> Any:
    """floor, ceil, round, trunc: integers are returned as they are, in their dtype (as in PyTorch; NumPy's
    would be float); bools are refused, as PyTorch's are."""
    return lambda x, **kw: _no_bools(name, x) or (x.copy() if x.dtype.kind in "iu" else fn(x, **kw))


floor = _integral_or(np.floor, "floor")
ceil = _integral_or(np.ceil, "ceil")
trunc = _integral_or(np.trunc, "trunc")
round = _integral_or(lambda x, decimals=0: np.round(x, decimals), "round")     # half to even


# ---------------------------------------------------------------------------------------------
# choosing between values
# ---------------------------------------------------------------------------------------------


def clamp(x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    if lo is not None:
        x = np.maximum(x, lo)
    if hi is not None:
        x = np.minimum(x, hi)
    return x


def where(c: np.ndarray, x: Any, y: Any) -> np.ndarray:
    # NumPy would wrap a number an integer operand cannot hold (where(c, uint8, 300) gives 44); PyTorch refuses
    for a, b in ((x, y), (y, x)):
        if type(a) is int and type(b) is np.ndarray and b.dtype.kind in "iu" and not promotion.fits(a, b.dtype):
            raise TypeError(f"the number {a} cannot be converted to the tensor's dtype {b.dtype} without overflow")
    return np.where(c, x, y)


# ---------------------------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------------------------


def reduced_axes(ndim: int, dim: Any) -> tuple[int, ...]:
    """The axes a reduction over `dim` (an int, a tuple, or None for all) removes, sorted and >= 0."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else dim
    return tuple(sorted(d % ndim for d in dims)) if ndim else ()


def reduced_count(shape: tuple[int, ...], dim: Any) -> int:
    """How many elements a reduction over `dim` combines into each result (a mean's divisor)."""
    return math.prod(shape[a] for a in reduced_axes(len(shape), dim))


def sum(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    # Bools and integers sum to int64, as in PyTorch (NumPy would keep uint8 sums in uint64).
    return np.sum(x, axis=dim, keepdims=keepdim, dtype=np.int64 if x.dtype.kind in "bi" or
                  (x.dtype.kind == "u" and x.dtype.itemsize < 8) else None)


def mean(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    if x.size:
        return np.mean(x, axis=dim, keepdims=keepdim)
    with np.errstate(invalid="ignore"):       # a mean of nothing is NaN (PyTorch's, without NumPy's warning)
        return np.sum(x, axis=dim, keepdims=keepdim) / x.dtype.type(reduced_count(x.shape, dim))


def prod(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    # Bools and integers multiply in int64, as PyTorch's (and as `sum` here).
    if isinstance(dim, tuple):
        raise TypeError(f"expected dim to be one int or None (PyTorch's prod reduces one dim or all), got {dim!r}")
    return np.prod(x, axis=dim, keepdims=keepdim, dtype=_int64_for_integers(x))


def cumsum(x: np.ndarray, dim: int) -> np.ndarray:
    # Bools and integers add up in int64, as PyTorch's (and as `sum` here).
    return np.cumsum(x, axis=dim, dtype=_int64_for_integers(x))


def _int64_for_integers(x: np.ndarray) -> Any:
    """The dtype prod and cumsum compute bools and integers in, as PyTorch's: int64 (NumPy would keep uint8's
    in uint64); None (NumPy's, the input's) for the rest."""
    return np.int64 if x.dtype.kind in "bi" or (x.dtype.kind == "u" and x.dtype.itemsize < 8) else None


# ---------------------------------------------------------------------------------------------
# linear algebra
# ---------------------------------------------------------------------------------------------


def matmul(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    _no_bools("matmul", x)
    return np.matmul(x, y)


# ---------------------------------------------------------------------------------------------
# shapes
# ---------------------------------------------------------------------------------------------


def pad(x: np.ndarray, pairs: tuple, value: float) -> np.ndarray:
    return np.pad(x, pairs, mode="constant", constant_values=value)


# ---------------------------------------------------------------------------------------------
# indexing
# ---------------------------------------------------------------------------------------------


def _is_advanced(index: Any) -> bool:
    """Does the index contain integer arrays (which may repeat an element)?"""
    parts = index if isinstance(index, tuple) else (index,)
    return builtins.any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts)


def getitem(x: np.ndarray, index: Any) -> np.ndarray:
    out = x[index]
    if not isinstance(out, np.ndarray):
        # NumPy gives a scalar (a copy) for x[0] of a vector; PyTorch a 0-d view, which x[0].add_(1)
        # or x[0].fill_(v) change x through. An Ellipsis at the end makes NumPy return that view.
        out = x[(*index, ...) if isinstance(index, tuple) else (index, ...)]
    elif not out.flags.c_contiguous and out.base is not x and (x.base is None or out.base is not x.base):
        out = np.ascontiguousarray(out)       # a copy (index arrays) is contiguous in PyTorch: .view works on it
    return out


def getitem_backward(g: np.ndarray, index: Any, shape: tuple[int, ...]) -> np.ndarray:
    z = np.zeros(shape, dtype=g.dtype)
    if _is_advanced(index):
        np.add.at(z, index, g)      # x[[0, 0]] uses x[0] twice: its gradient is the sum of both
    else:
        z[index] = g                # slices and masks touch each element at most once
    return z


def _block(index: np.ndarray, dim: int) -> tuple:
    """The corner of the input that gather reads: PyTorch lets the index be smaller than the input
    on the other dims (index.size(d) <= input.size(d)) and never broadcasts it."""
    return tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(index.shape))


def gather(x: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
    if x.ndim == 2 and dim == 1 and index.shape[1] == 1:    # one pick per row: plain fancy indexing
        return x[np.arange(index.shape[0]), index[:, 0]][:, None]
    return np.take_along_axis(x[_block(index, dim)], index, axis=dim)


def gather_index(index: np.ndarray, dim: int) -> tuple:
    """The full index (one array per dim) of the elements gather reads: `index` along dim, the grid elsewhere."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def gather_backward(g: np.ndarray, index: np.ndarray, dim: int, shape: tuple[int, ...]) -> np.ndarray:
    z = np.zeros(shape, dtype=g.dtype)
    if len(shape) == 2 and dim == 1 and index.shape[1] == 1:
        z[np.arange(index.shape[0]), index[:, 0]] = g[:, 0]
    elif index.shape[dim] == 1:
        np.put_along_axis(z[_block(index, dim)], index, g, axis=dim)  # one index per slice: no repeats
    else:
        np.add.at(z, gather_index(index, dim), g)  # repeated indices add their gradients
    return z


def index_put(x: np.ndarray, value: Any, index: Any) -> np.ndarray:
    # x[index] = value out of place (the op behind setitem and fill_ on tensors in the graph)
    out = np.array(x, copy=True)
    out[index] = value
    return out


# ---------------------------------------------------------------------------------------------
# the fused primitives (ops.py, part 2)
# ---------------------------------------------------------------------------------------------


def linear(x: np.ndarray, w: np.ndarray, b: Any) -> np.ndarray:
    out = matmul(x, w.T)
    if b is not None:
        out += b                     # into the fresh product: one array instead of two
    return out


def softmax(x: np.ndarray, dim: int) -> np.ndarray:
    if x.ndim and not x.shape[dim]:
        return x.copy()                                     # over an empty dim: nothing to normalise
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def log_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    if x.ndim and not x.shape[dim]:
        return x.copy()
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def logsumexp(x: np.ndarray, dim: Any, keepdim: bool) -> np.ndarray:
    # log sum exp(x) = m + log sum exp(x - m): with m the max no exponent exceeds 0 (no overflow).
    # (initial=-inf: over no elements at all the max is -inf, and the sum's log too: log 0.)
    m = np.amax(x, axis=dim, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=reduced_axes(x.ndim, dim))


def binary_cross_entropy(p: np.ndarray, t: Any) -> np.ndarray:
    # PyTorch's: each log clamped at -100, so a prediction of exactly 0 or 1 costs 100, not inf.
    with np.errstate(divide="ignore"):
        return -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))


def nll_loss(logp: np.ndarray, target: np.ndarray, weight: np.ndarray | None, denom: float,
             reduction: str) -> np.ndarray:
    # target: each sample's class (0 where ignored); weight: each sample's weight (0 where ignored),
    # or None when every sample counts with weight 1.
    picked = logp[np.arange(len(target)), target]
    losses = -picked if weight is None else -(picked * weight)
    if reduction == "none":
        return losses
    total = losses.sum()
    return total / logp.dtype.type(denom) if reduction == "mean" else total


def norm2(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    return np.sqrt(np.sum(x * x, axis=dim, keepdims=keepdim))


def normp(x: np.ndarray, p: float, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    with np.errstate(divide="ignore"):        # p < 0 at a zero entry: inf, and a norm of 0 (PyTorch's)
        return np.sum(np.abs(x) ** p, axis=dim, keepdims=keepdim) ** (1.0 / p)


EINSUM_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"    # (in PyTorch's order: 'A' is 0)


def einsum_parts(equation: str, ndims: Sequence[int] = ()) -> tuple[list[str], str]:
    """'ij,jk->ik' -> (['ij', 'jk'], 'ik'); without '->', the output is the indices used once, sorted (after the
    dims of '...'). Given the operands' `ndims`, each '...' becomes letters the equation does not use, one per
    dim it stands for, aligned from the right as broadcasting aligns dims: '...ij,...jk' of a 4-d and a 3-d
    operand is 'ABij,Bjk' (and its output 'ABik')."""
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    inputs = lhs.split(",")
    batch = ""                                     # the letters of '...', in order
    if "..." in lhs:
        spans = {k: n - len(s) + 3 for k, (s, n) in enumerate(zip(inputs, ndims)) if "..." in s}
        batch = "".join(c for c in EINSUM_LETTERS if c not in equation)[:builtins.max(spans.values(), default=0)]
        inputs = [s.replace("...", batch[len(batch) - spans[k]:]) if k in spans else s for k, s in enumerate(inputs)]
    if not arrow:
        letters = "".join(inputs)
        rhs = batch + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in batch))
    return inputs, rhs.replace("...", batch)


def einsum(*xs: np.ndarray, equation: str) -> np.ndarray:
    return _no_bools("einsum", xs[0]) or np.einsum(equation, *xs, optimize=True)


def softplus(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    # Above the threshold softplus equals x to float precision (PyTorch's convention).
    bx = x * beta
    return np.where(bx > threshold, x, np.log1p(np.exp(np.minimum(bx, threshold))) / beta)


def elu(x: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def lstm_cell(input_gates: np.ndarray, hidden_gates: np.ndarray, c: np.ndarray) -> np.ndarray:
    a = input_gates + hidden_gates
    h = c.shape[-1]
    s = sigmoid(a)                               # i, f and o need it; g's quarter is not used
    c_next = s[..., h:2 * h] * c + s[..., :h] * np.tanh(a[..., 2 * h:3 * h])
    return np.stack([s[..., 3 * h:] * np.tanh(c_next), c_next])
