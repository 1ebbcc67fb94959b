"""The table of primitives: each op's forward on NumPy arrays and its vector-Jacobian product per input.

Read this file to learn backprop. Every differentiable thing autograd_lite can do is built from the
primitives below, and each entry says, in plain math, how a gradient flows back through it:

    name = Primitive("name", forward, rule_for_input_0, rule_for_input_1, ...)

A rule receives `g` (dLoss/dOutput, the shape of the output), `out` (the output value) and the op's
inputs, and returns dLoss/dInput. For y = x * w the rules are `g * w` and `g * x`: the chain rule,
one local derivative at a time. Rules may return a gradient of the broadcast shape; the engine sums it
back to the input's shape in one place (`engine.sum_to`), so no rule here deals with broadcasting.

The rules are written with operators and the primitives themselves, so they run on NumPy arrays
(fast, nothing recorded) and equally on Tensors when `create_graph=True`: then the backward pass is
recorded and can be differentiated again. That is why a rule says `cos(x)` and not `np.cos(x)`.

Attributes (a reduction's `dim`, a reshape's `shape`) are keyword arguments of both forward and rules.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from . import promotion, special
from .conv_kernels import (
    _avg_pool_backward_forward,
    _avg_pool_forward,
    _conv_backward,
    _conv_forward,
    _conv_transpose_forward,
    _conv_weight_grad_forward,
    _max_pool_backward_forward,
    _max_pool_forward,
)
from .engine import Primitive, sum_to
from .sparse_grad import SparseGrad

# ---------------------------------------------------------------------------------------------
# Helpers for reductions: put back the reduced axes so a gradient can be broadcast over them.
# ---------------------------------------------------------------------------------------------


def _reduced_axes(ndim: int, dim: Any) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else dim
    return tuple(sorted(d % ndim for d in dims)) if ndim else ()


def _keep(g: Any, shape: tuple[int, ...], dim: Any, keepdim: bool) -> Any:
    """Reshape a reduction's output (or its gradient) to the keepdim=True shape."""
    if keepdim:
        return g
    axes = _reduced_axes(len(shape), dim)
    return g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _count(shape: tuple[int, ...], dim: Any) -> int:
    return math.prod(shape[a] for a in _reduced_axes(len(shape), dim))


def _spread(g: Any, x: Any, dim: Any, keepdim: bool) -> Any:
    """The gradient of a sum: every element that was added receives the same `g`."""
    return broadcast_to(_keep(g, x.shape, dim, keepdim), shape=x.shape)


# ---------------------------------------------------------------------------------------------
# Forward functions that need more than one NumPy call
# ---------------------------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # 1 / (1 + e^-x) is accurate everywhere: where e^-x overflows (x < -88 in float32) the result is 0,
    # which is right to within a subnormal. So silence that warning instead of branching on the sign
    # (one pass over the data instead of four; measured as precise, at half the time).
    if x.dtype.kind in "bu":              # -x has no meaning for these; their sigmoid is float32 anyway
        x = x.astype(np.float32)
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def _softplus(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    # Above the threshold softplus equals x to float precision (PyTorch's convention).
    bx = x * beta
    return np.where(bx > threshold, x, np.log1p(np.exp(np.minimum(bx, threshold))) / beta)


def _elu(x: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _logsumexp(x: np.ndarray, dim: Any, keepdim: bool) -> np.ndarray:
    # log sum exp(x) = m + log sum exp(x - m): with m the max no exponent exceeds 0 (no overflow).
    # (initial=-inf: over no elements at all the max is -inf, and the sum's log too: log 0.)
    m = np.amax(x, axis=dim, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=_reduced_axes(x.ndim, dim))


def _softmax(x: np.ndarray, dim: int) -> np.ndarray:
    if x.ndim and not x.shape[dim]:
        return x.copy()                                     # over an empty dim: nothing to normalise
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _log_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    if x.ndim and not x.shape[dim]:
        return x.copy()
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def _is_advanced(index: Any) -> bool:
    """Does the index contain integer arrays (which may repeat an element)?"""
    parts = index if isinstance(index, tuple) else (index,)
    return builtins.any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts)


def _getitem_rule(g: Any, out: Any, x: Any, index: Any) -> Any:
    # The gradient is g at the elements read and zero elsewhere. On arrays, hand the engine just that
    # (a SparseGrad) so many reads of one tensor are gathered into one array; on Tensors (create_graph)
    # it is the recorded primitive index_scatter, whose own rule reads the elements again.
    if type(g) is np.ndarray:
        return SparseGrad(x.shape, g.dtype, index, g)
    return index_scatter(g, index=index, shape=x.shape)


def _scatter_forward(g: np.ndarray, index: Any, shape: tuple[int, ...]) -> np.ndarray:
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


def _gather_forward(x: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
    if x.ndim == 2 and dim == 1 and index.shape[1] == 1:    # one pick per row: plain fancy indexing
        return x[np.arange(index.shape[0]), index[:, 0]][:, None]
    return np.take_along_axis(x[_block(index, dim)], index, axis=dim)


def _gather_index(index: np.ndarray, dim: int) -> tuple:
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def _gather_scatter_forward(g: np.ndarray, index: np.ndarray, dim: int,
                            shape: tuple[int, ...]) -> np.ndarray:
    z = np.zeros(shape, dtype=g.dtype)
    if len(shape) == 2 and dim == 1 and index.shape[1] == 1:
        z[np.arange(index.shape[0]), index[:, 0]] = g[:, 0]
    elif index.shape[dim] == 1:
        np.put_along_axis(z[_block(index, dim)], index, g, axis=dim)  # one index per slice: no repeats
    else:
        np.add.at(z, _gather_index(index, dim), g)  # repeated indices add their gradients
    return z


def _pad_forward(x: np.ndarray, pairs: tuple, value: float) -> np.ndarray:
    return np.pad(x, pairs, mode="constant", constant_values=value)


def _unpad(g: Any, pairs: tuple) -> Any:
    return g[tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(pairs))]


def _index_put_forward(x: np.ndarray, value: Any, index: Any) -> np.ndarray:
    # x[index] = value out of place (the op behind setitem and fill_ on tensors in the graph)
    out = np.array(x, copy=True)
    out[index] = value
    return out


def _getitem_forward(x: np.ndarray, index: Any) -> np.ndarray:
    out = x[index]
    if not isinstance(out, np.ndarray):
        # NumPy gives a scalar (a copy) for x[0] of a vector; PyTorch a 0-d view, which x[0].add_(1)
        # or x[0].fill_(v) change x through. An Ellipsis at the end makes NumPy return that view.
        out = x[(*index, ...) if isinstance(index, tuple) else (index, ...)]
    elif not out.flags.c_contiguous and out.base is not x and (x.base is None or out.base is not x.base):
        out = np.ascontiguousarray(out)       # a copy (index arrays) is contiguous in PyTorch: .view works on it
    return out


def _reciprocal(x: np.ndarray) -> np.ndarray:
    # 1 / x: integers give floats (as PyTorch's), and 1 / 0 is inf without a warning (PyTorch's is silent;
    # errstate costs a microsecond, so only where there is a 0).
    if x.dtype.kind == "f" and np.count_nonzero(x) == x.size:
        return np.reciprocal(x)
    with np.errstate(divide="ignore"):
        return np.true_divide(1, x)


def _einsum_parts(equation: str) -> tuple[list[str], str]:
    """'ij,jk->ik' -> (['ij', 'jk'], 'ik'); without '->', the output is the indices used once, sorted."""
    lhs, _, rhs = equation.replace(" ", "").partition("->")
    inputs = lhs.split(",")
    if "->" not in equation:
        letters = "".join(inputs)
        rhs = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return inputs, rhs


def _einsum_rule(i: int, g: Any, out: Any, *xs: Any, equation: str) -> Any:
    # The gradient of operand i is the same sum with g in the output's place and operand i's
    # subscripts as the result. Indices of operand i found nowhere else (summed out of it alone) come
    # back by broadcasting: a ones operand carries them.
    inputs, output = _einsum_parts(equation)
    subs = [output] + [s for j, s in enumerate(inputs) if j != i]
    operands = [g] + [x for j, x in enumerate(xs) if j != i]
    missing = "".join(c for c in inputs[i] if not any(c in s for s in subs))
    if missing:
        sizes = dict(zip(inputs[i], xs[i].shape))
        subs.append(missing)
        operands.append(np.ones(tuple(sizes[c] for c in missing), dtype=xs[i].dtype))
    return einsum(*operands, equation=",".join(subs) + "->" + inputs[i])


def _integral_or(fn: Any, name: str) -> Any:
    """floor, ceil, round, trunc: integers are returned as they are, in their dtype (as in PyTorch; NumPy's
    would be float); bools are refused, as PyTorch's are."""
    return lambda x, **kw: _no_bools(name, x) or (x.copy() if x.dtype.kind in "iu" else fn(x, **kw))


def _cumsum(x: np.ndarray, dim: int) -> np.ndarray:
    # Bools and integers add up in int64, as PyTorch's (and as `sum` here).
    return np.cumsum(x, axis=dim, dtype=np.int64 if x.dtype.kind in "bi" or
                     (x.dtype.kind == "u" and x.dtype.itemsize < 8) else None)


def _repeat_rule(g: Any, out: Any, x: Any, sizes: tuple[int, ...]) -> Any:
    # out is x tiled sizes[i] times along each dim (x gets leading dims of 1 when sizes is longer):
    # view g as (size_0, n_0, size_1, n_1, ...) and add up the copies.
    shape = (1,) * (len(sizes) - x.ndim) + tuple(x.shape)
    split = [v for r, n in zip(sizes, shape) for v in (r, n)]
    return g.reshape(tuple(split)).sum(axis=tuple(range(0, 2 * len(sizes), 2))).reshape(x.shape)


def _norm2(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    return np.sqrt(np.sum(x * x, axis=dim, keepdims=keepdim))


def _normp(x: np.ndarray, p: float, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    with np.errstate(divide="ignore"):        # p < 0 at a zero entry: inf, and a norm of 0 (PyTorch's)
        return np.sum(np.abs(x) ** p, axis=dim, keepdims=keepdim) ** (1.0 / p)


def _normp_rule(g: Any, out: Any, x: Any, p: float, dim: Any = None, keepdim: bool = False) -> Any:
    # d/dx_i = sign(x_i) |x_i|^(p-1) / norm^(p-1); 0 where x_i = 0 or the norm is 0 (PyTorch's choice,
    # where the formula has 0/0 or inf: p < 1 at a zero entry, any p at a zero norm)
    norm = _keep(out, x.shape, dim, keepdim)
    ax = abs(x)
    safe = where(ax == 0, 1.0, ax)                             # no 0 ** negative below
    scale = where(norm == 0, 0.0, 1.0) * where(ax == 0, 0.0, 1.0)
    return _keep(g, x.shape, dim, keepdim) * sign(x) * scale * (safe / where(norm == 0, 1.0, norm)) ** (p - 1)


def _norm2_rule(g: Any, out: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    # d sqrt(sum x^2) = x / norm, and 0 where the norm is 0 (PyTorch's choice: a subgradient, not NaN)
    norm = _keep(out, x.shape, dim, keepdim)
    return _keep(g, x.shape, dim, keepdim) * x / where(norm == 0, np.inf, norm)   # x / inf = 0


def _cat_rule(i: int, g: Any, out: Any, *xs: Any, dim: int) -> Any:
    dim %= g.ndim                       # a negative dim counts from the end (the slice below needs >= 0)
    start = builtins.sum(x.shape[dim] for x in xs[:i])
    return g[(slice(None),) * dim + (slice(start, start + xs[i].shape[dim]),)]


def _clamp_forward(x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    if lo is not None:
        x = np.maximum(x, lo)
    if hi is not None:
        x = np.minimum(x, hi)
    return x


def _clamp_rule_x(g: Any, out: Any, x: Any, lo: Any, hi: Any) -> Any:
    # The gradient passes where x was inside [lo, hi] (bounds included, as in PyTorch).
    if lo is not None:
        g = g * (x >= lo)
    if hi is not None:
        g = g * (x <= hi)
    return g


def _no_bools(op: str, x: np.ndarray) -> None:
    """PyTorch has no arithmetic of this kind on bools (NumPy would give ints or logic): refuse it. (For
    ops whose result is a bool again, where the engine would not look; the others declare
    `refuses_bools` and are checked on the engine's slow path, at no cost to the usual call.)"""
    if x.dtype.kind == "b":
        raise TypeError(promotion.no_bools_message(op))


def _matmul(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    _no_bools("matmul", x)
    return np.matmul(x, y)


def _pow_forward(x: np.ndarray, y: Any) -> np.ndarray:
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


def _pow_rule_base(g: Any, out: Any, x: Any, y: Any) -> Any:
    # d/dx x^y = y x^(y-1), and 0 wherever y == 0 -- also at x = 0, where x^-1 would be inf.
    if isinstance(y, (int, float, np.number)):          # a constant exponent, the common case
        return g * 0 if y == 0 else g * y * x ** (y - 1)
    nonzero = y != 0
    return where(nonzero, g * y * x ** where(nonzero, y - 1, 1.0), 0.0)


def _pow_rule_exponent(g: Any, out: Any, x: Any, y: Any) -> Any:
    # d/dy x^y = x^y log x; at x = 0 (y >= 0) the limit is 0, though log 0 = -inf. (x^y again rather
    # than `out`: the result may have been changed in place, as PyTorch allows when the exponent is a number.)
    safe = where(x == 0, 1.0, x)
    return where((x == 0) & (y >= 0), 0.0, g * pow(safe, y) * log(safe))


def _matmul_rule_x(g: Any, out: Any, x: Any, y: Any) -> Any:
    if y.ndim == 1:
        if x.ndim == 1:
            return g * y                        # dot product: g is a scalar
        return g[..., None] * y                 # (..., n, k) @ (k,) -> (..., n)
    if x.ndim == 1:
        return (y @ g[..., None])[..., 0]       # (k,) @ (..., k, m) -> (..., m); summed by the engine
    return g @ y.swapaxes(-1, -2)


def _matmul_rule_y(g: Any, out: Any, x: Any, y: Any) -> Any:
    if x.ndim == 1:
        if y.ndim == 1:
            return g * x
        return x[:, None] * g[..., None, :]      # outer product of x and g
    if y.ndim == 1:
        return (x.swapaxes(-1, -2) @ g[..., None])[..., 0]
    return x.swapaxes(-1, -2) @ g


def _linear_forward(x: np.ndarray, w: np.ndarray, b: Any) -> np.ndarray:
    out = _matmul(x, w.T)
    if b is not None:
        out += b                     # into the fresh product: one array instead of two
    return out


def _linear_rule_w(g: Any, out: Any, x: Any, w: Any, b: Any) -> Any:
    # dW = g^T x, with every leading (batch) dim of x and g summed over.
    if x.ndim == 1:
        return g[:, None] * x
    rows = math.prod(x.shape[:-1])                  # (not -1: x may have no elements, in_features = 0)
    return g.reshape(rows, g.shape[-1]).T @ x.reshape(rows, x.shape[-1])


def _nll_forward(logp: np.ndarray, target: np.ndarray, weight: np.ndarray | None, denom: float,
                 reduction: str) -> np.ndarray:
    # target: each sample's class (0 where ignored); weight: each sample's weight (0 where ignored),
    # or None when every sample counts with weight 1.
    picked = logp[np.arange(len(target)), target]
    losses = -picked if weight is None else -(picked * weight)
    if reduction == "none":
        return losses
    total = losses.sum()
    return total / logp.dtype.type(denom) if reduction == "mean" else total


def _nll_rule(g: Any, out: Any, logp: Any, target: np.ndarray, weight: np.ndarray | None, denom: float,
              reduction: str) -> Any:
    # Only the picked log-probability of each sample has a derivative: -weight / divisor.
    scale = logp.dtype.type(-1.0 / denom)
    coef = g * scale if weight is None else g * (weight * scale)
    if coef.ndim == 0:                                   # a reduced loss: the same for every sample
        coef = coef.reshape(1)
    return gather_scatter(coef[:, None], index=target[:, None], dim=1, shape=logp.shape)


def _bce_forward(p: np.ndarray, t: Any) -> np.ndarray:
    # PyTorch's: each log clamped at -100, so a prediction of exactly 0 or 1 costs 100, not inf.
    with np.errstate(divide="ignore"):
        return -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))


def _bce_rule_p(g: Any, out: Any, p: Any, t: Any) -> Any:
    # (p - t) / (p (1 - p)), the denominator kept above 1e-12 (PyTorch's): finite at p = 0 or 1.
    return g * (p - t) / maximum(p * (1 - p), 1e-12)


def _bce_rule_t(g: Any, out: Any, p: Any, t: Any) -> Any:
    with np.errstate(divide="ignore"):
        return g * (clamp(log(1 - p), -100.0, None) - clamp(log(p), -100.0, None))


def _extreme_rule(g: Any, out: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    # amax/amin: the gradient is shared evenly between all elements equal to the extreme value.
    hit = (x == _keep(out, x.shape, dim, keepdim)).astype(x.dtype)
    return _keep(g, x.shape, dim, keepdim) * (hit / hit.sum(axis=dim, keepdims=True))


def _inverse_permutation(dims: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argsort(dims))


# =============================================================================================
# THE TABLE
# =============================================================================================

# --- arithmetic ----------------------------------------------------------------- d(out)/d(in)
add = Primitive("add", np.add,
                lambda g, out, x, y: g,                      # 1
                lambda g, out, x, y: g)                      # 1
sub = Primitive("sub", np.subtract,
                lambda g, out, x, y: g,                      # 1
                lambda g, out, x, y: -g)                     # -1
mul = Primitive("mul", np.multiply,
                lambda g, out, x, y: g * y,                  # y
                lambda g, out, x, y: g * x)                  # x
div = Primitive("div", np.true_divide,
                lambda g, out, x, y: g / y,                  # 1/y
                lambda g, out, x, y: -g * x / (y * y))       # -x/y^2 (PyTorch's formula, from x and y)
neg = Primitive("neg", np.negative,
                lambda g, out, x: -g)
pow = Primitive("pow", _pow_forward, _pow_rule_base, _pow_rule_exponent)  # y x^(y-1), x^y log x

# --- elementwise functions ----------------------------------------------------------------
exp = Primitive("exp", np.exp,
                lambda g, out, x: g * out)                   # exp(x) = out
log = Primitive("log", np.log,
                lambda g, out, x: g / x)                     # 1/x
sqrt = Primitive("sqrt", np.sqrt,
                 lambda g, out, x: g / (2 * out))            # 1/(2 sqrt x)
abs = Primitive("abs", lambda x: _no_bools("abs", x) or np.abs(x),
                lambda g, out, x: g * sign(x))               # sign(x); 0 at the kink, like PyTorch
sign = Primitive("sign", lambda x: x.copy() if x.dtype == np.bool_ else np.sign(x),   # (bools: as they are)
                 lambda g, out, x: g * 0)                     # flat almost everywhere
sin = Primitive("sin", np.sin,
                lambda g, out, x: g * cos(x))
cos = Primitive("cos", np.cos,
                lambda g, out, x: -g * sin(x))
tanh = Primitive("tanh", np.tanh,
                 lambda g, out, x: g * (1 - out * out))      # 1 - tanh^2
sigmoid = Primitive("sigmoid", _sigmoid,
                    lambda g, out, x: g * out * (1 - out))   # s (1 - s)
log1p = Primitive("log1p", np.log1p,
                  lambda g, out, x: g / (1 + x))             # 1/(1+x); log1p is exact for small x
expm1 = Primitive("expm1", np.expm1,
                  lambda g, out, x: g * (out + 1))           # e^x = out + 1
reciprocal = Primitive("reciprocal", _reciprocal,
                       lambda g, out, x: -g * out * out)     # -1/x^2 = -out^2
rsqrt = Primitive("rsqrt", lambda x: 1 / np.sqrt(x),
                  lambda g, out, x: -0.5 * g * out * out * out)   # -x^(-3/2)/2 = -out^3/2 (PyTorch's)
# Step functions: flat almost everywhere, so their gradient is 0 (as PyTorch's).
floor = Primitive("floor", _integral_or(np.floor, "floor"), lambda g, out, x: g * 0)
ceil = Primitive("ceil", _integral_or(np.ceil, "ceil"), lambda g, out, x: g * 0)
trunc = Primitive("trunc", _integral_or(np.trunc, "trunc"), lambda g, out, x: g * 0)
round = Primitive("round", _integral_or(lambda x, decimals=0: np.round(x, decimals), "round"),   # half to even
                  lambda g, out, x, decimals=0: g * 0)
relu = Primitive("relu", lambda x: np.maximum(x, 0),
                 lambda g, out, x: g * (out > 0))            # 1 where x > 0; 0 at the kink
leaky_relu = Primitive("leaky_relu",
                       lambda x, negative_slope: np.where(x > 0, x, x * negative_slope),
                       lambda g, out, x, negative_slope: where(x > 0, g, g * negative_slope))
elu = Primitive("elu", _elu,                                  # 1 for x > 0, alpha e^x below (alpha at 0, flat:
                lambda g, out, x, alpha:                      # PyTorch's second derivative there is 0)
                    g * where(x > 0, 1.0, where(x < 0, alpha * exp(minimum(x, 0.0)), alpha)))
erf = Primitive("erf", special.erf,   # math.erf's values, vectorised: see special.py
                lambda g, out, x: g * (2 / math.sqrt(math.pi)) * exp(-x * x))
softplus = Primitive("softplus", _softplus,
                     lambda g, out, x, beta, threshold:
                         where(x * beta > threshold, g, g * sigmoid(x * beta)))

# --- choosing between values: the gradient goes where the value came from ------------------
maximum = Primitive("maximum", np.maximum,
                    lambda g, out, x, y: g * (x > y) + (g / 2) * (x == y),   # ties share evenly
                    lambda g, out, x, y: g * (y > x) + (g / 2) * (x == y))
minimum = Primitive("minimum", np.minimum,
                    lambda g, out, x, y: g * (x < y) + (g / 2) * (x == y),
                    lambda g, out, x, y: g * (y < x) + (g / 2) * (x == y))
clamp = Primitive("clamp", _clamp_forward,
                  _clamp_rule_x,
                  lambda g, out, x, lo, hi: g * (x < lo) if hi is None else g * ((x < lo) & (lo < hi)),
                  lambda g, out, x, lo, hi: g * (x > hi) if lo is None else g * ((x > hi) | (hi < lo)))
# (When min > max every element equals max, as in PyTorch: the gradient goes to max only.)
def _where(c: np.ndarray, x: Any, y: Any) -> np.ndarray:
    # NumPy would wrap a number an integer operand cannot hold (where(c, uint8, 300) gives 44); PyTorch refuses
    for a, b in ((x, y), (y, x)):
        if type(a) is int and type(b) is np.ndarray and b.dtype.kind in "iu" and not promotion.fits(a, b.dtype):
            raise TypeError(f"the number {a} cannot be converted to the tensor's dtype {b.dtype} without overflow")
    return np.where(c, x, y)


where = Primitive("where", _where,
                  None,                                       # the condition has no gradient
                  lambda g, out, c, x, y: where(c, g, 0.0),
                  lambda g, out, c, x, y: where(c, 0.0, g))

# --- reductions -----------------------------------------------------------------------------
cumsum = Primitive("cumsum", _cumsum,                        # out_i = x_0 + ... + x_i, so dx_j = g_j + ... + g_n:
                   lambda g, out, x, dim:                     # the cumulative sum of g, from the end
                       flip(cumsum(flip(g, dims=(dim,)), dim=dim), dims=(dim,)))
norm2 = Primitive("norm2", _norm2, _norm2_rule)               # sqrt(sum x^2): x / norm
normp = Primitive("normp", _normp, _normp_rule)               # (sum |x|^p)^(1/p): sign(x) |x|^(p-1) / norm^(p-1)
std_sqrt = Primitive("std_sqrt", np.sqrt,                      # the sqrt that makes std: 0 where std is 0
                     lambda g, out, x: g / (2 * where(out == 0, np.inf, out)))
def _sum(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    # Bools and integers sum to int64, as in PyTorch (NumPy would keep uint8 sums in uint64).
    return np.sum(x, axis=dim, keepdims=keepdim, dtype=np.int64 if x.dtype.kind in "bi" or
                  (x.dtype.kind == "u" and x.dtype.itemsize < 8) else None)


sum = Primitive("sum", _sum,
                lambda g, out, x, dim=None, keepdim=False: _spread(g, x, dim, keepdim))
def _mean(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    if x.size:
        return np.mean(x, axis=dim, keepdims=keepdim)
    with np.errstate(invalid="ignore"):       # a mean of nothing is NaN (PyTorch's, without NumPy's warning)
        return np.sum(x, axis=dim, keepdims=keepdim) / x.dtype.type(_count(x.shape, dim))


mean = Primitive("mean", _mean,
                 lambda g, out, x, dim=None, keepdim=False:
                     _spread(g, x, dim, keepdim) / _count(x.shape, dim))
amax = Primitive("amax", lambda x, dim=None, keepdim=False: np.amax(x, axis=dim, keepdims=keepdim),
                 _extreme_rule)
amin = Primitive("amin", lambda x, dim=None, keepdim=False: np.amin(x, axis=dim, keepdims=keepdim),
                 _extreme_rule)
logsumexp = Primitive("logsumexp", _logsumexp,
                      lambda g, out, x, dim, keepdim:         # softmax(x) along dim
                          _keep(g, x.shape, dim, keepdim) * exp(x - _keep(out, x.shape, dim, keepdim)))
softmax = Primitive("softmax", _softmax,                      # J = diag(s) - s s^T
                    lambda g, out, x, dim: out * (g - (g * out).sum(axis=dim, keepdims=True)))
log_softmax = Primitive("log_softmax", _log_softmax,          # J = I - 1 softmax^T
                        lambda g, out, x, dim: g - exp(out) * g.sum(axis=dim, keepdims=True))

binary_cross_entropy = Primitive("binary_cross_entropy", _bce_forward,   # -(t log p + (1-t) log(1-p))
                                 _bce_rule_p, _bce_rule_t)
nll_loss = Primitive("nll_loss", _nll_forward, _nll_rule)     # -logp[i, target_i] * weight_i

# --- linear algebra -------------------------------------------------------------------------
matmul = Primitive("matmul", _matmul, _matmul_rule_x, _matmul_rule_y)  # g y^T and x^T g
linear = Primitive("linear", _linear_forward,                # x W^T + b, W stored (out, in)
                   lambda g, out, x, w, b: g @ w,
                   _linear_rule_w,
                   lambda g, out, x, w, b: g)                 # summed over the batch by the engine

# --- shapes: the gradient is moved back, never changed ---------------------------------------
reshape = Primitive("reshape", lambda x, shape: np.reshape(x, shape),
                    lambda g, out, x, shape: g.reshape(x.shape))
permute = Primitive("permute", lambda x, dims: np.transpose(x, dims),
                    lambda g, out, x, dims: permute(g, dims=_inverse_permutation(dims)))
broadcast_to = Primitive("broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
                         lambda g, out, x, shape: sum_to(g, x.shape))
cast = Primitive("cast", lambda x, dtype: x.astype(dtype),
                 lambda g, out, x, dtype: g.astype(x.dtype), exact_dtype=True)
clone = Primitive("clone", np.copy,
                  lambda g, out, x: g)
contiguous = Primitive("contiguous", np.ascontiguousarray,   # the same values, in row-major memory
                       lambda g, out, x: g)
pad = Primitive("pad", _pad_forward,
                lambda g, out, x, pairs, value: _unpad(g, pairs))
cat = Primitive("cat", lambda *xs, dim: np.concatenate(xs, axis=dim), _cat_rule, variadic=True)
einsum = Primitive("einsum", lambda *xs, equation: _no_bools("einsum", xs[0]) or
                   np.einsum(equation, *xs, optimize=True), _einsum_rule,
                   variadic=True)
flip = Primitive("flip", lambda x, dims: np.flip(x, dims).copy(),      # a copy, as PyTorch's (not a view)
                 lambda g, out, x, dims: flip(g, dims=dims))              # flipped back
roll = Primitive("roll", lambda x, shifts, dims: np.roll(x, shifts, dims),
                 lambda g, out, x, shifts, dims:                          # rolled back
                     roll(g, shifts=tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts,
                          dims=dims))
repeat = Primitive("repeat", lambda x, sizes: np.tile(x, sizes), _repeat_rule)   # the copies added up
tril = Primitive("tril", lambda x, diagonal: np.tril(x, diagonal),
                 lambda g, out, x, diagonal: tril(g, diagonal=diagonal))  # the kept entries' gradient
triu = Primitive("triu", lambda x, diagonal: np.triu(x, diagonal),
                 lambda g, out, x, diagonal: triu(g, diagonal=diagonal))

# --- indexing: reading some elements, and its adjoint, adding into zeros at those elements ---
getitem = Primitive("getitem", _getitem_forward, _getitem_rule)
index_scatter = Primitive("index_scatter", _scatter_forward,
                          lambda g, out, src, index, shape: getitem(g, index=index))
gather = Primitive("gather", _gather_forward,
                   lambda g, out, x, index, dim:
                       gather_scatter(g, index=index, dim=dim, shape=x.shape))
gather_scatter = Primitive("gather_scatter", _gather_scatter_forward,
                           lambda g, out, src, index, dim, shape: gather(g, index=index, dim=dim))
index_put = Primitive("index_put", _index_put_forward,                  # x with value written at index:
                      lambda g, out, x, value, index: index_put(g, 0.0, index=index),   # g, 0 there
                      lambda g, out, x, value, index: getitem(g, index=index),                  # g there
                      exact_dtype=True)                  # x's dtype, whatever the value's (setitem's rule)

# What each rule reads, for backward's check that it was not changed in place since (PyTorch checks
# what it saved): ops not listed read all their inputs and their output. An input that no rule reads
# can be modified in place before backward; `out` is the op's own result.
for _op in (add, sub, neg, sum, mean, reshape, permute, broadcast_to, cast, clone, contiguous, pad, cat,
            getitem, index_put, flip, roll, repeat, tril, triu, cumsum):
    _op.reads_inputs, _op.reads_output = (), False                       # only shapes: the gradient is moved
for _op in (exp, expm1, sqrt, reciprocal, tanh, sigmoid, relu):
    _op.reads_inputs, _op.reads_output = (), True                        # written in terms of the output
for _op in (mul, matmul, linear):
    _op.reads_inputs, _op.reads_output = ((1,), (0,), ()), False         # each factor's gradient is the other one
div.reads_inputs, div.reads_output = ((1,), (0, 1)), False               # g / y and -g x / y^2
for _op in (log, abs, sin, cos, leaky_relu, maximum, minimum):
    _op.reads_inputs, _op.reads_output = (0, 1), False                   # written in terms of the inputs
for _op in (sign, floor, ceil, trunc, round, gather, gather_scatter, index_scatter):
    _op.reads_inputs, _op.reads_output = (), False                       # a gradient of 0, or moved by the index alone
where.reads_inputs, where.reads_output = (0,), False                     # the condition only
for _op in (sub, relu):
    _op.refuses_bools = True        # no arithmetic of these on bools, as in PyTorch (their results change dtype)
for _op in (erf, elu, softplus, log1p):
    _op.reads_inputs, _op.reads_output = (0,), False                     # the input only
pow.reads_inputs, pow.reads_output = ((0, 1), (0, 1)), False             # base and exponent, not the result
for _op in (rsqrt, softmax, log_softmax, std_sqrt):
    _op.reads_inputs, _op.reads_output = (), True                        # the output only
logsumexp.reads_inputs, logsumexp.reads_output = (0,), True
einsum.reads_output = False                                       # the operands, not the result
binary_cross_entropy.reads_inputs, binary_cross_entropy.reads_output = (0, 1), False
nll_loss.reads_inputs, nll_loss.reads_output = (), False                 # the targets and weights (constants) only
clamp.reads_inputs, clamp.reads_output = (0, 1, 2), False                # which side of the bounds x is


# =============================================================================================
# Convolution and pooling
# =============================================================================================
#
# A convolution is a matrix product over windows. im2col copies every window of the (padded) input
# into a column; then one matrix product with the weight gives every output pixel at once:
#
#     out[n, o, p] = sum_{c, k} w[o, c, k] * x[n, c, stride * p + dilation * k - padding]
#                  = (W  @  cols)[o, (p, n)]      W: (out, in * kernel), cols: (in * kernel, pixels)
#
# Its two gradients are the two other products of the same three matrices: dW = g @ cols^T (the
# *weight gradient*, itself a convolution of the input with g) and dcols = W^T @ g, whose columns
# col2im adds back to the windows they came from (the *transposed convolution*, the input gradient).
# Because each of the three is linear in each of its two arguments, their rules are the other two:
# that closes the set under differentiation, so double backward works by construction.
#
# Layout: the input is copied once into (C, *spatial, N) -- channels first, batch last. Then the
# block of windows at one kernel offset is a long contiguous run (a row of Wo*N numbers), so im2col
# is one strided view and one copy, and col2im is one add per kernel offset (kh*kw adds, never a
# loop over pixels or batch items). cols is (C * kernel, spatial * N): groups split its rows. The
# output stays in that memory order, returned as an (N, O, *spatial) view: the next ReLU, pooling
# or convolution reads it without a transpose (NumPy's elementwise ops keep an input's layout).
# In the fast (array) backward, `_conv_backward` computes the gradients the mask asks for together.
# Attributes: `stride` and `dilation` are tuples (one per spatial dim), `padding` a tuple of
# (before, after) pairs, `groups` an int; `size` is the input's spatial size, `kernel` the weight's.


def _conv_rule_bias(g: Any, out: Any, x: Any, w: Any, b: Any, **kw: Any) -> Any:
    return sum(g, dim=(0, *range(2, g.ndim)))          # every output pixel of channel o adds b[o]



# --- convolution and pooling: three bilinear maps that are each other's gradients -------------
# conv(x, w, b)          = x * w + b          (N, C, *S) -> (N, O, *S_out)
# conv_transpose(g, w)   = d conv / dx  of g  (N, O, *S_out) -> (N, C, *S)     col2im(W^T g)
# conv_weight_grad(x, g) = d conv / dw  of g  -> (O, C/groups, *kernel)        g cols^T
conv = Primitive("conv", _conv_forward,
                 lambda g, out, x, w, b, **kw: conv_transpose(g, w, size=x.shape[2:], **kw),
                 lambda g, out, x, w, b, **kw: conv_weight_grad(x, g, kernel=w.shape[2:], **kw),
                 _conv_rule_bias, combined_vjp=_conv_backward, saves_for=(1,))
conv.reads_inputs, conv.reads_output = ((1,), (0,), ()), False   # dx from w, dw from x (or its saved columns)
conv_transpose = Primitive("conv_transpose", _conv_transpose_forward,
                           lambda h, out, g, w, size, **kw: conv(h, w, None, **kw),
                           lambda h, out, g, w, size, **kw: conv_weight_grad(h, g, kernel=w.shape[2:], **kw))
conv_weight_grad = Primitive("conv_weight_grad", _conv_weight_grad_forward,
                             lambda h, out, x, g, kernel, **kw: conv_transpose(g, h, size=x.shape[2:], **kw),
                             lambda h, out, x, g, kernel, **kw: conv(x, h, None, **kw))
# max pooling reads x at each window's arg-max (`argmax`); its gradient adds g back there
max_pool = Primitive("max_pool", _max_pool_forward,
                     lambda g, out, x, argmax: max_pool_backward(g, argmax=argmax, shape=x.shape))
max_pool_backward = Primitive("max_pool_backward", _max_pool_backward_forward,
                              lambda h, out, g, argmax, shape: max_pool(h, argmax=argmax))
# average pooling: window sums / divisor; its gradient spreads g / divisor over each window
avg_pool = Primitive("avg_pool", _avg_pool_forward,
                     lambda g, out, x, **pool: avg_pool_backward(g, size=x.shape[2:], **pool))
avg_pool_backward = Primitive("avg_pool_backward", _avg_pool_backward_forward,
                              lambda h, out, g, size, **pool: avg_pool(h, **pool))
for _op in (max_pool, max_pool_backward, avg_pool, avg_pool_backward):
    _op.reads_inputs, _op.reads_output = (), False         # where the maxima were (argmax) and the shapes only


# =============================================================================================
# Recurrent cells
# =============================================================================================
#
# One LSTM step after its two products, as one op (PyTorch's fused LSTM cell): with the gates
# a = input_gates + hidden_gates, split into i, f, g, o (PyTorch's order),
#
#     c' = s(f) c + s(i) tanh(g),      h' = s(o) tanh(c')           s = sigmoid
#
# and the result is h' and c' stacked, (2, B, H). Backward, from gh = dL/dh' and gc = dL/dc':
#
#     dc' = gc + gh s(o) (1 - tanh(c')^2)            (c' reaches the loss directly and through h')
#     di = dc' tanh(g) s(i)(1 - s(i))     df = dc' c s(f)(1 - s(f))
#     dg = dc' s(i) (1 - tanh(g)^2)       do = gh tanh(c') s(o)(1 - s(o))       dc = dc' s(f)
#
# The gate activations are recomputed from the gates (four cheap elementwise passes) rather than kept.
# One node per step instead of about a dozen: the per-op bookkeeping, not the arithmetic, is most of
# a small LSTM's time. The cell module (nn.LSTMCell) keeps the gates as separate ops, to be seen.


def _lstm_cell_forward(input_gates: np.ndarray, hidden_gates: np.ndarray, c: np.ndarray) -> np.ndarray:
    a = input_gates + hidden_gates
    h = c.shape[-1]
    s = _sigmoid(a)                              # i, f and o need it; g's quarter is not used
    c_next = s[..., h:2 * h] * c + s[..., :h] * np.tanh(a[..., 2 * h:3 * h])
    return np.stack([s[..., 3 * h:] * np.tanh(c_next), c_next])


def _lstm_cell_grads(g: Any, out: Any, input_gates: Any, hidden_gates: Any, c: Any) -> tuple[Any, Any]:
    """(d gates, d c): on arrays or, for create_graph, on Tensors (the ops below record then)."""
    a = input_gates + hidden_gates
    h = c.shape[-1]
    si, sf = sigmoid(a[..., :h]), sigmoid(a[..., h:2 * h])
    tg, so = tanh(a[..., 2 * h:3 * h]), sigmoid(a[..., 3 * h:])
    tc = tanh(sf * c + si * tg)                  # c' again, not read from `out`: h' and c' may be changed in place
    gh = g[0]
    dc = g[1] + gh * so * (1 - tc * tc)
    da = cat(dc * tg * si * (1 - si), dc * c * sf * (1 - sf), dc * si * (1 - tg * tg), gh * tc * so * (1 - so),
             dim=-1)
    return da, dc * sf


def _lstm_cell_joint(mask: Any, g: Any, out: Any, input_gates: Any, hidden_gates: Any, c: Any) -> list:
    da, dc = _lstm_cell_grads(g, out, input_gates, hidden_gates, c)
    return [da if mask[0] else None, da if mask[1] else None, dc if mask[2] else None]


def _lstm_cell_rule_gates(g: Any, out: Any, ig: Any, hg: Any, c: Any) -> Any:
    return _lstm_cell_grads(g, out, ig, hg, c)[0]      # the same for both: the gates are their sum


lstm_cell = Primitive("lstm_cell", _lstm_cell_forward, _lstm_cell_rule_gates, _lstm_cell_rule_gates,
                      lambda g, out, ig, hg, c: _lstm_cell_grads(g, out, ig, hg, c)[1],
                      combined_vjp=_lstm_cell_joint)
lstm_cell.reads_output = False
