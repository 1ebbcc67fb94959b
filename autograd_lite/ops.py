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
A forward of more than one NumPy call is in forwards.py, under its primitive's name (`forwards.sigmoid`).

Part 1 is the table of plain mathematical primitives, then the rules too long for one of its lines.
Part 2 holds the fused primitives, kept for speed or numerical stability: each names the composite of
plain primitives it replaces, and tests/test_fused_rules.py checks its gradients against that composite's.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from . import conv_kernels, forwards, special
from .engine import Primitive, sum_to
from .sparse_grad import SparseGrad

# =============================================================================================
# PART 1. The mathematical primitives
# =============================================================================================
# A rule too long for its line is a function after the table ("Rules longer than a line"): the line calls it.

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
                lambda g, out, x: -g)                        # -1
pow = Primitive("pow", forwards.pow,
                lambda g, out, x, y: _pow_rule_base(g, out, x, y),        # y x^(y-1)
                lambda g, out, x, y: _pow_rule_exponent(g, out, x, y))    # x^y log x

# --- elementwise functions ----------------------------------------------------------------
exp = Primitive("exp", np.exp,
                lambda g, out, x: g * out)                   # exp(x) = out
log = Primitive("log", np.log,
                lambda g, out, x: g / x)                     # 1/x
sqrt = Primitive("sqrt", np.sqrt,
                 lambda g, out, x: g / (2 * out))            # 1/(2 sqrt x)
abs = Primitive("abs", forwards.abs,
                lambda g, out, x: g * sign(x))               # sign(x); 0 at the kink, like PyTorch
sign = Primitive("sign", lambda x: x.copy() if x.dtype == np.bool_ else np.sign(x),   # (bools: as they are)
                 lambda g, out, x: g * 0)                     # flat almost everywhere
sin = Primitive("sin", np.sin,
                lambda g, out, x: g * cos(x))                # cos x
cos = Primitive("cos", np.cos,
                lambda g, out, x: -g * sin(x))               # -sin x
tanh = Primitive("tanh", np.tanh,
                 lambda g, out, x: g * (1 - out * out))      # 1 - tanh^2
sigmoid = Primitive("sigmoid", forwards.sigmoid,
                    lambda g, out, x: g * out * (1 - out))   # s (1 - s)
log1p = Primitive("log1p", np.log1p,
                  lambda g, out, x: g / (1 + x))             # 1/(1+x); log1p is exact for small x
expm1 = Primitive("expm1", np.expm1,
                  lambda g, out, x: g * (out + 1))           # e^x = out + 1
reciprocal = Primitive("reciprocal", forwards.reciprocal,
                       lambda g, out, x: -g * out * out)     # -1/x^2 = -out^2
erf = Primitive("erf", special.erf,   # math.erf's values, vectorised: see special.py
                lambda g, out, x: g * (2 / math.sqrt(math.pi)) * exp(-x * x))   # 2/sqrt(pi) e^(-x^2)
relu = Primitive("relu", lambda x: np.maximum(x, 0),
                 lambda g, out, x: g * (out > 0))            # 1 where x > 0; 0 at the kink
# Step functions: flat almost everywhere, so their gradient is 0 (as PyTorch's).
floor = Primitive("floor", forwards.floor, lambda g, out, x: g * 0)
ceil = Primitive("ceil", forwards.ceil, lambda g, out, x: g * 0)
trunc = Primitive("trunc", forwards.trunc, lambda g, out, x: g * 0)
round = Primitive("round", forwards.round, lambda g, out, x, decimals=0: g * 0)     # half to even

# --- choosing between values: the gradient goes where the value came from ------------------
maximum = Primitive("maximum", np.maximum,
                    lambda g, out, x, y: g * (x > y) + (g / 2) * (x == y),   # ties share evenly
                    lambda g, out, x, y: g * (y > x) + (g / 2) * (x == y))
minimum = Primitive("minimum", np.minimum,
                    lambda g, out, x, y: g * (x < y) + (g / 2) * (x == y),
                    lambda g, out, x, y: g * (y < x) + (g / 2) * (x == y))
clamp = Primitive("clamp", forwards.clamp,
                  lambda g, out, x, lo, hi: _clamp_rule_x(g, out, x, lo, hi),             # 1 where lo <= x <= hi
                  lambda g, out, x, lo, hi: g * (x < lo) if hi is None else g * ((x < lo) & (lo < hi)),  # x < lo
                  lambda g, out, x, lo, hi: g * (x > hi) if lo is None else g * ((x > hi) | (hi < lo)))  # x > hi
# (When min > max every element equals max, as in PyTorch: the gradient goes to max only.)
where = Primitive("where", forwards.where,
                  None,                                       # the condition has no gradient
                  lambda g, out, c, x, y: where(c, g, 0.0),   # 1 where c
                  lambda g, out, c, x, y: where(c, 0.0, g))   # 1 elsewhere

# --- reductions -----------------------------------------------------------------------------
sum = Primitive("sum", forwards.sum,                          # 1: g spread over the elements added
                lambda g, out, x, dim=None, keepdim=False: _spread(g, x, dim, keepdim))
mean = Primitive("mean", forwards.mean,                       # 1/n
                 lambda g, out, x, dim=None, keepdim=False:
                     _spread(g, x, dim, keepdim) / forwards.reduced_count(x.shape, dim))
prod = Primitive("prod", forwards.prod,                        # the product of the other elements
                 lambda g, out, x, dim=None, keepdim=False: _prod_rule(g, out, x, dim, keepdim))
# amax, amin: 1 at the extreme value, shared evenly between the elements equal to it
amax = Primitive("amax", lambda x, dim=None, keepdim=False: np.amax(x, axis=dim, keepdims=keepdim),
                 lambda g, out, x, dim=None, keepdim=False: _extreme_rule(g, out, x, dim, keepdim))
amin = Primitive("amin", lambda x, dim=None, keepdim=False: np.amin(x, axis=dim, keepdims=keepdim),
                 lambda g, out, x, dim=None, keepdim=False: _extreme_rule(g, out, x, dim, keepdim))
cumsum = Primitive("cumsum", forwards.cumsum,                # out_i = x_0 + ... + x_i, so dx_j = g_j + ... + g_n:
                   lambda g, out, x, dim:                     # the cumulative sum of g, from the end
                       flip(cumsum(flip(g, dims=(dim,)), dim=dim), dims=(dim,)))

# --- linear algebra -------------------------------------------------------------------------
matmul = Primitive("matmul", forwards.matmul,
                   lambda g, out, x, y: _matmul_rule_x(g, out, x, y),     # g y^T
                   lambda g, out, x, y: _matmul_rule_y(g, out, x, y))     # x^T g

# --- shapes: each element's gradient goes back where it came from (summed over broadcast_to's and repeat's copies)
reshape = Primitive("reshape", lambda x, shape: np.reshape(x, shape),
                    lambda g, out, x, shape: g.reshape(x.shape))            # reshaped back
permute = Primitive("permute", lambda x, dims: np.transpose(x, dims),
                    lambda g, out, x, dims: permute(g, dims=_inverse_permutation(dims)))   # permuted back
broadcast_to = Primitive("broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
                         lambda g, out, x, shape: sum_to(g, x.shape))       # the copies added up
cast = Primitive("cast", lambda x, dtype: x.astype(dtype),
                 lambda g, out, x, dtype: g.astype(x.dtype), exact_dtype=True)   # in x's dtype again
clone = Primitive("clone", np.copy,
                  lambda g, out, x: g)                                      # 1
contiguous = Primitive("contiguous", np.ascontiguousarray,   # the same values, in row-major memory
                       lambda g, out, x: g)                                 # 1
pad = Primitive("pad", forwards.pad,
                lambda g, out, x, pairs, value: _unpad(g, pairs))           # the padding cut off
cat = Primitive("cat", lambda *xs, dim: np.concatenate(xs, axis=dim),
                lambda i, g, out, *xs, dim: _cat_rule(i, g, out, *xs, dim=dim),   # input i's slice of g
                variadic=True)
flip = Primitive("flip", lambda x, dims: np.flip(x, dims).copy(),      # a copy, as PyTorch's (not a view)
                 lambda g, out, x, dims: flip(g, dims=dims))              # flipped back
roll = Primitive("roll", lambda x, shifts, dims: np.roll(x, shifts, dims),
                 lambda g, out, x, shifts, dims:                          # rolled back
                     roll(g, shifts=tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts,
                          dims=dims))
repeat = Primitive("repeat", lambda x, sizes: np.tile(x, sizes),
                   lambda g, out, x, sizes: _repeat_rule(g, out, x, sizes))   # the copies added up
tril = Primitive("tril", lambda x, diagonal: np.tril(x, diagonal),
                 lambda g, out, x, diagonal: tril(g, diagonal=diagonal))  # the kept entries' gradient
triu = Primitive("triu", lambda x, diagonal: np.triu(x, diagonal),
                 lambda g, out, x, diagonal: triu(g, diagonal=diagonal))

# --- indexing: reading some elements, and its adjoint, adding into zeros at those elements ---
# getitem: g where x was read, 0 elsewhere. On arrays the engine gets just that, a SparseGrad (so that many reads
# of one tensor are gathered into one array); on Tensors (create_graph) the recorded adjoint, getitem_backward.
getitem = Primitive("getitem", forwards.getitem,
                    lambda g, out, x, index: SparseGrad(x.shape, g.dtype, index, g) if type(g) is np.ndarray
                    else getitem_backward(g, index=index, shape=x.shape))
# getitem's gradient as a primitive of its own: zeros of x's shape with g added at the index. It is linear in
# g, so its gradient (h: its output's gradient) is h read back at that index.
getitem_backward = Primitive("getitem_backward", forwards.getitem_backward,
                             lambda h, out, g, index, shape: getitem(h, index=index))
gather = Primitive("gather", forwards.gather,
                   lambda g, out, x, index, dim:                            # g where x was read, 0 elsewhere
                       gather_backward(g, index=index, dim=dim, shape=x.shape))
gather_backward = Primitive("gather_backward", forwards.gather_backward,    # the same for gather
                            lambda h, out, g, index, dim, shape: gather(h, index=index, dim=dim))
index_put = Primitive("index_put", forwards.index_put,                  # x with value written at index:
                      lambda g, out, x, value, index: index_put(g, 0.0, index=index),   # g, 0 there
                      lambda g, out, x, value, index: getitem(g, index=index),                  # g there
                      exact_dtype=True)                  # x's dtype, whatever the value's (setitem's rule)

# What each rule reads, for backward's check that it was not changed in place since (PyTorch checks
# what it saved): ops not listed read all their inputs and their output. An input that no rule reads
# can be modified in place before backward; `out` is the op's own result. A tuple of tuples says it
# per rule: what input i's rule reads.
for _op in (add, sub, neg, sum, mean, reshape, permute, broadcast_to, cast, clone, contiguous, pad, cat,
            getitem, index_put, flip, roll, repeat, tril, triu, cumsum):
    _op.reads_inputs, _op.reads_output = (), False          # no values: shapes and attributes only
for _op in (exp, expm1, sqrt, reciprocal, tanh, sigmoid, relu):
    _op.reads_inputs, _op.reads_output = (), True           # written in terms of the output
for _op in (mul, matmul):
    _op.reads_inputs, _op.reads_output = ((1,), (0,)), False   # each factor's gradient is the other one
div.reads_inputs, div.reads_output = ((1,), (0, 1)), False  # g / y and -g x / y^2
for _op in (log, abs, sin, cos, erf, log1p):
    _op.reads_inputs, _op.reads_output = (0,), False        # written in terms of the input
for _op in (maximum, minimum):
    _op.reads_inputs, _op.reads_output = (0, 1), False      # which of the two is larger
for _op in (sign, floor, ceil, trunc, round, gather, gather_backward, getitem_backward):
    _op.reads_inputs, _op.reads_output = (), False          # a gradient of 0, or moved by the index alone
where.reads_inputs, where.reads_output = (0,), False        # the condition only
pow.reads_inputs, pow.reads_output = ((0, 1), (0, 1)), False   # base and exponent, not the result
clamp.reads_inputs, clamp.reads_output = (0, 1, 2), False   # which side of the bounds x is
for _op in (sub, relu):
    _op.refuses_bools = True        # no arithmetic of these on bools, as in PyTorch (their results change dtype)


# ---------------------------------------------------------------------------------------------
# Rules longer than a line
# ---------------------------------------------------------------------------------------------


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


def _clamp_rule_x(g: Any, out: Any, x: Any, lo: Any, hi: Any) -> Any:
    # The gradient passes where x was inside [lo, hi] (bounds included, as in PyTorch).
    if lo is not None:
        g = g * (x >= lo)
    if hi is not None:
        g = g * (x <= hi)
    return g


# Reductions: put back the reduced axes, so that a gradient can be broadcast over them.
def _keep(g: Any, shape: tuple[int, ...], dim: Any, keepdim: bool) -> Any:
    """Reshape a reduction's output (or its gradient) to the keepdim=True shape."""
    if keepdim:
        return g
    axes = forwards.reduced_axes(len(shape), dim)
    return g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _spread(g: Any, x: Any, dim: Any, keepdim: bool) -> Any:
    """The gradient of a sum: every element that was added receives the same `g`."""
    return broadcast_to(_keep(g, x.shape, dim, keepdim), shape=x.shape)


def _prod_rule(g: Any, out: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    # d out / d x_i is the product of the other elements: out / x_i where no element is 0 (PyTorch's formula).
    # With zeros, from p (the product of the nonzero elements) and the number of zeros in each product: one
    # zero, p at the zero and 0 elsewhere; more, 0. Written so that its own gradient is right too (create_graph):
    # next to one zero, 0 as (the zero's value) p / x_k; at each of two zeros, 0 as (the other's value) p.
    # (Exact to the second derivative; a third, at two zeros or more, is not: as if those 0s were constants.)
    if x.ndim == 0:
        return g
    zero = x == 0
    if not zero.any():
        return _keep(g, x.shape, dim, keepdim) * (_keep(out, x.shape, dim, keepdim) / x)
    count = sum(zero, dim=dim, keepdim=True)
    safe = where(zero, 1.0, x)
    p = prod(safe, dim=dim, keepdim=True)
    zeros = sum(where(zero, x, 0.0), dim=dim, keepdim=True)        # the zeros' values: 0, with a gradient
    at_zeros = where(count == 1, p, where(count == 2, (zeros - x) * p, 0.0))
    others = where(count == 0, p / safe, where(zero, at_zeros, where(count == 1, zeros * p / safe, 0.0)))
    return _keep(g, x.shape, dim, keepdim) * others


def _extreme_rule(g: Any, out: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    # amax/amin: the gradient is shared evenly between all elements equal to the extreme value.
    hit = (x == _keep(out, x.shape, dim, keepdim)).astype(x.dtype)
    return _keep(g, x.shape, dim, keepdim) * (hit / hit.sum(axis=dim, keepdims=True))


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


def _inverse_permutation(dims: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argsort(dims))


def _unpad(g: Any, pairs: tuple) -> Any:
    return g[tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(pairs))]


def _cat_rule(i: int, g: Any, out: Any, *xs: Any, dim: int) -> Any:
    dim %= g.ndim                       # a negative dim counts from the end (the slice below needs >= 0)
    start = builtins.sum(x.shape[dim] for x in xs[:i])
    return g[(slice(None),) * dim + (slice(start, start + xs[i].shape[dim]),)]


def _repeat_rule(g: Any, out: Any, x: Any, sizes: tuple[int, ...]) -> Any:
    # out is x tiled sizes[i] times along each dim (x gets leading dims of 1 when sizes is longer):
    # view g as (size_0, n_0, size_1, n_1, ...) and add up the copies.
    shape = (1,) * (len(sizes) - x.ndim) + tuple(x.shape)
    split = [v for r, n in zip(sizes, shape) for v in (r, n)]
    return g.reshape(tuple(split)).sum(axis=tuple(range(0, 2 * len(sizes), 2))).reshape(x.shape)


# =============================================================================================
# PART 2. Fused primitives: for speed or numerical stability
# =============================================================================================
# Each computes a composite of the plain primitives above, named in its comment:
#
#     name(inputs) = composite  -- why it is one primitive
#
# One node instead of several saves the engine's per-node work (on small arrays, most of the time); its
# rule can reuse the forward's work, use a stable formula, or give PyTorch's finite value where the
# composite's gradient is inf or NaN (each says where its gradient differs from the composite's).

# --- linear ------------------------------------------------------------------------------------


def _linear_rule_w(g: Any, out: Any, x: Any, w: Any, b: Any) -> Any:
    # dW = g^T x, with every leading (batch) dim of x and g summed over.
    if x.ndim == 1:
        return g[:, None] * x
    rows = math.prod(x.shape[:-1])                  # (not -1: x may have no elements, in_features = 0)
    return g.reshape(rows, g.shape[-1]).T @ x.reshape(rows, x.shape[-1])


# linear(x, W, b) = matmul(x, permute(W, (1, 0))) + b, without the add when b is None  -- one node whose
#   bias is added into the fresh product, and whose dW is one 2-D product over all the batch dims
linear = Primitive("linear", forwards.linear,                # x W^T + b, W stored (out, in)
                   lambda g, out, x, w, b: g @ w,
                   _linear_rule_w,
                   lambda g, out, x, w, b: g)                 # summed over the batch by the engine
linear.reads_inputs, linear.reads_output = ((1,), (0,), ()), False   # dx from W, dW from x, db from neither

# --- softmax, log_softmax, logsumexp: exponentials shifted by their largest entry ------------------
# softmax(x, dim) = e / sum(e, dim, keepdim=True), e = exp(x - amax(x, dim, keepdim=True))  -- one node instead
#   of five, and a rule from the output alone (the shift's gradient cancels out in the composite's)
softmax = Primitive("softmax", forwards.softmax,              # J = diag(s) - s s^T
                    lambda g, out, x, dim: out * (g - (g * out).sum(axis=dim, keepdims=True)))
# log_softmax(x, dim) = s - log(sum(exp(s), dim, keepdim=True)), s = x - amax(x, dim, keepdim=True)  -- one
#   node instead of six, and a rule from the output alone
log_softmax = Primitive("log_softmax", forwards.log_softmax,  # J = I - 1 softmax^T
                        lambda g, out, x, dim: g - exp(out) * g.sum(axis=dim, keepdims=True))
# logsumexp(x, dim, keepdim) = log(sum(exp(x - m), dim, keepdim=True)) + m, the reduced dims then dropped
#   unless keepdim, m = amax(x, dim, keepdim=True) where finite, else 0 (and 0 over no elements)  -- one
#   node; any m gives the same value, this one lets no exp overflow
logsumexp = Primitive("logsumexp", forwards.logsumexp,
                      lambda g, out, x, dim, keepdim:         # softmax(x) along dim
                          _keep(g, x.shape, dim, keepdim) * exp(x - _keep(out, x.shape, dim, keepdim)))
for _op in (softmax, log_softmax):
    _op.reads_inputs, _op.reads_output = (), True           # the output only
logsumexp.reads_inputs, logsumexp.reads_output = (0,), True

# --- losses --------------------------------------------------------------------------------------


def _bce_rule_p(g: Any, out: Any, p: Any, t: Any) -> Any:
    # (p - t) / (p (1 - p)), the denominator kept above 1e-12 (PyTorch's): finite at p = 0 or 1.
    return g * (p - t) / maximum(p * (1 - p), 1e-12)


def _bce_rule_t(g: Any, out: Any, p: Any, t: Any) -> Any:
    with np.errstate(divide="ignore"):
        return g * (clamp(log(1 - p), -100.0, None) - clamp(log(p), -100.0, None))


# binary_cross_entropy(p, t) = -(t clamp(log(p), -100, None) + (1 - t) clamp(log(1 - p), -100, None)),
#   elementwise (PyTorch's clamps: p = 0 or 1 costs 100, not inf)  -- one node; p's gradient is PyTorch's
#   (p - t) / maximum(p (1 - p), 1e-12), the composite's (p - t) / (p (1 - p)) except where p (1 - p) < 1e-12:
#   there it stays finite, where the composite's grows without bound, loses a clamped log's term (p or
#   1 - p below e^-100) and is NaN at p = 0 or 1 (0 / 0 in log's rule)
binary_cross_entropy = Primitive("binary_cross_entropy", forwards.binary_cross_entropy,
                                 _bce_rule_p, _bce_rule_t)
binary_cross_entropy.reads_inputs, binary_cross_entropy.reads_output = (0, 1), False


def _nll_rule(g: Any, out: Any, logp: Any, target: np.ndarray, weight: np.ndarray | None, denom: float,
              reduction: str) -> Any:
    # Only the picked log-probability of each sample has a derivative: -weight / divisor.
    scale = logp.dtype.type(-1.0 / denom)
    coef = g * scale if weight is None else g * (weight * scale)
    if coef.ndim == 0:                                   # a reduced loss: the same for every sample
        coef = coef.reshape(1)
    return gather_backward(coef[:, None], index=target[:, None], dim=1, shape=logp.shape)


# nll_loss(logp, target, weight, denom, reduction) = -(getitem(logp, (arange(N), target)) * weight), that
#   is each sample's picked log-probability times its weight (weight None: 1), kept for 'none', summed
#   for 'sum', summed and divided by denom for 'mean'. The rule divides by denom whatever the reduction:
#   callers pass denom = 1 unless it is 'mean'.  -- one node, whose backward is one scatter
nll_loss = Primitive("nll_loss", forwards.nll_loss, _nll_rule)     # -logp[i, target_i] * weight_i
nll_loss.reads_inputs, nll_loss.reads_output = (), False     # the targets and weights (constants) only

# --- norms -------------------------------------------------------------------------------------


def _norm2_rule(g: Any, out: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    # d sqrt(sum x^2) = x / norm, and 0 where the norm is 0 (PyTorch's choice: a subgradient, not NaN)
    norm = _keep(out, x.shape, dim, keepdim)
    return _keep(g, x.shape, dim, keepdim) * x / where(norm == 0, np.inf, norm)   # x / inf = 0


def _normp_rule(g: Any, out: Any, x: Any, p: float, dim: Any = None, keepdim: bool = False) -> Any:
    # d/dx_i = sign(x_i) |x_i|^(p-1) / norm^(p-1); 0 where x_i = 0 or the norm is 0 (PyTorch's choice,
    # where the formula has 0/0 or inf: p < 1 at a zero entry, any p at a zero norm)
    norm = _keep(out, x.shape, dim, keepdim)
    ax = abs(x)
    safe = where(ax == 0, 1.0, ax)                             # no 0 ** negative below
    scale = where(norm == 0, 0.0, 1.0) * where(ax == 0, 0.0, 1.0)
    return _keep(g, x.shape, dim, keepdim) * sign(x) * scale * (safe / where(norm == 0, 1.0, norm)) ** (p - 1)


# norm2(x, dim, keepdim) = sqrt(sum(x * x, dim, keepdim))  -- one node; its gradient is 0 where the norm
#   is 0 (PyTorch's), where the composite's is NaN (0 * inf)
norm2 = Primitive("norm2", forwards.norm2, _norm2_rule)       # sqrt(sum x^2): x / norm
# normp(x, p, dim, keepdim) = pow(sum(pow(abs(x), p), dim, keepdim), 1 / p)  -- one node; its gradient is
#   0 where x_i or the norm is 0 (PyTorch's), where the composite's may be NaN (0/0 or 0 * inf)
normp = Primitive("normp", forwards.normp, _normp_rule)       # (sum |x|^p)^(1/p): sign(x) |x|^(p-1) / norm^(p-1)
# std_sqrt(v) = sqrt(v), the last step of std = sqrt(var)  -- its gradient is 0 where v = 0 (PyTorch's std),
#   where sqrt's is inf
std_sqrt = Primitive("std_sqrt", np.sqrt,                     # the sqrt that makes std: 0 where std is 0
                     lambda g, out, x: g / (2 * where(out == 0, np.inf, out)))
std_sqrt.reads_inputs, std_sqrt.reads_output = (), True      # the output only

# --- einsum ------------------------------------------------------------------------------------


def _einsum_rule(i: int, g: Any, out: Any, *xs: Any, equation: str) -> Any:
    # The gradient of operand i is the same sum with g in the output's place and operand i's
    # subscripts as the result. An index of operand i that the others do not have at its size comes
    # back by broadcasting, a ones operand of that size carrying it: an index found nowhere else
    # (summed out of operand i alone), or one the others have with size 1 only (broadcast against
    # operand i's size, as PyTorch's einsum allows; without the ones the result would have size 1).
    inputs, output = forwards.einsum_parts(equation)
    subs = [output] + [s for j, s in enumerate(inputs) if j != i]
    operands = [g] + [x for j, x in enumerate(xs) if j != i]
    sizes = dict(zip(inputs[i], xs[i].shape))
    missing = "".join(c for c in inputs[i]
                      if not any(c in s and (sizes[c] == 1 or x.shape[s.index(c)] == sizes[c])
                                 for s, x in zip(subs, operands)))
    if missing:
        subs.append(missing)
        operands.append(np.ones(tuple(sizes[c] for c in missing), dtype=xs[i].dtype))
    return einsum(*operands, equation=",".join(subs) + "->" + inputs[i])


# einsum(*xs, equation) = the product of the operands, each permuted and reshaped to all the indices (size 1
#   where it lacks one, broadcast), summed over the indices not in the output, permuted to the output's
#   order  -- np.einsum(optimize=True) never forms that product: it contracts two operands at a time, in
#   the cheapest order, with matrix products where it can
einsum = Primitive("einsum", forwards.einsum, _einsum_rule, variadic=True)
einsum.reads_output = False                                  # the operands, not the result

# --- activations of one node --------------------------------------------------------------------
# rsqrt(x) = reciprocal(sqrt(x))  -- one node, whose rule reads the output only
rsqrt = Primitive("rsqrt", lambda x: 1 / np.sqrt(x),
                  lambda g, out, x: -0.5 * g * out * out * out)   # -x^(-3/2)/2 = -out^3/2 (PyTorch's)
# softplus(x, beta, threshold) = where(x beta > threshold, x, log1p(exp(minimum(x beta, threshold))) / beta)
#   -- one node instead of six; the rule is sigmoid(x beta) below the threshold, 1 above (the same as the
#   composite's except at x beta = threshold, where minimum's tie would halve it)
softplus = Primitive("softplus", forwards.softplus,
                     lambda g, out, x, beta, threshold:
                         where(x * beta > threshold, g, g * sigmoid(x * beta)))
# elu(x, alpha) = where(x > 0, x, alpha expm1(minimum(x, 0)))  -- one node instead of four; at x = 0 the
#   rule gives alpha (PyTorch's), where the composite's gives alpha / 2 (minimum's tie)
elu = Primitive("elu", forwards.elu,                          # 1 for x > 0, alpha e^x below (alpha at 0, flat:
                lambda g, out, x, alpha:                      # PyTorch's second derivative there is 0)
                    g * where(x > 0, 1.0, where(x < 0, alpha * exp(minimum(x, 0.0)), alpha)))
# leaky_relu(x, negative_slope) = where(x > 0, x, x negative_slope)  -- one node instead of two
leaky_relu = Primitive("leaky_relu",
                       lambda x, negative_slope: np.where(x > 0, x, x * negative_slope),
                       lambda g, out, x, negative_slope: where(x > 0, g, g * negative_slope))
rsqrt.reads_inputs, rsqrt.reads_output = (), True             # the output only
for _op in (softplus, elu, leaky_relu):
    _op.reads_inputs, _op.reads_output = (0,), False          # the input only

# --- convolution and pooling -------------------------------------------------------------------
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
# In the fast (array) backward, `conv_kernels.conv_gradients` computes the gradients the mask asks for together.
# Attributes: `stride` and `dilation` are tuples (one per spatial dim), `padding` a tuple of
# (before, after) pairs, `groups` an int; `size` is the input's spatial size, `kernel` the weight's.


def _conv_rule_bias(g: Any, out: Any, x: Any, w: Any, b: Any, **kw: Any) -> Any:
    return sum(g, dim=(0, *range(2, g.ndim)))          # every output pixel of channel o adds b[o]


# Three bilinear maps that are each other's gradients:
# conv(x, w, b)          = x * w + b          (N, C, *S) -> (N, O, *S_out)
# conv_transpose(g, w)   = d conv / dx  of g  (N, O, *S_out) -> (N, C, *S)     col2im(W^T g)
# conv_weight_grad(x, g) = d conv / dw  of g  -> (O, C/groups, *kernel)        g cols^T
# In plain primitives, with x_k = getitem(pad(x), the strided slice at kernel offset k) (the element each
# output pixel reads there), per group:
#   conv(x, w, b) = sum over k of matmul(w[:, :, k], x_k), plus b per output channel
#   conv_transpose(g, w) = the gradient of <conv(x, w), g> for x: matmul(w[:, :, k]^T, g) added into
#       zeros at x_k's slice (getitem_backward), summed over k, the padding cut off
#   conv_weight_grad(x, g) = the gradient of <conv(x, w), g> for w: at kernel offset k, matmul(g, x_k^T)
#       summed over the batch
#   -- one node each instead of a few per kernel offset; im2col one strided view and one copy, and
#   conv's columns kept for dW
conv = Primitive("conv", conv_kernels.conv,
                 lambda g, out, x, w, b, **kw: conv_transpose(g, w, size=x.shape[2:], **kw),
                 lambda g, out, x, w, b, **kw: conv_weight_grad(x, g, kernel=w.shape[2:], **kw),
                 _conv_rule_bias, combined_vjp=conv_kernels.conv_gradients, saves_for=(1,))
conv.reads_inputs, conv.reads_output = ((1,), (0,), ()), False   # dx from w, dw from x (or its saved columns)
conv_transpose = Primitive("conv_transpose", conv_kernels.conv_transpose,
                           lambda h, out, g, w, size, **kw: conv(h, w, None, **kw),
                           lambda h, out, g, w, size, **kw: conv_weight_grad(h, g, kernel=w.shape[2:], **kw))
conv_weight_grad = Primitive("conv_weight_grad", conv_kernels.conv_weight_grad,
                             lambda h, out, x, g, kernel, **kw: conv_transpose(g, h, size=x.shape[2:], **kw),
                             lambda h, out, x, g, kernel, **kw: conv(x, h, None, **kw))
# max_pool(x, argmax) = amax over each window of pad(x, -inf) (padded past the end too for ceil_mode's last
#   windows): the same values, read at each window's arg-max (`argmax`, found beforehand: the first maximum
#   on ties, as PyTorch's)  -- one node; its gradient goes to that one element, where amax's would be
#   shared evenly between ties
max_pool = Primitive("max_pool", conv_kernels.max_pool,
                     lambda g, out, x, argmax: max_pool_backward(g, argmax=argmax, shape=x.shape))
# max_pool_backward(g, argmax, shape) = max_pool's gradient: zeros of x's shape with g added at the arg-maxes
#   (a getitem_backward)  -- one node; its own gradient reads h back there (max_pool)
max_pool_backward = Primitive("max_pool_backward", conv_kernels.max_pool_backward,
                              lambda h, out, g, argmax, shape: max_pool(h, argmax=argmax))
# avg_pool(x, kernel, stride, padding, divisor) = (sum over kernel offsets k of getitem(pad(x, 0), the
#   strided slice at offset k)) / divisor, the divisor being the caller's: a number (the window's size, or
#   divisor_override) or one per output position (each window's elements inside the padded input, for
#   ceil_mode's last windows, or inside the input itself, for count_include_pad=False)  -- one node, no
#   copy of the windows
avg_pool = Primitive("avg_pool", conv_kernels.avg_pool,
                     lambda g, out, x, **pool: avg_pool_backward(g, size=x.shape[2:], **pool))
# avg_pool_backward(g, size, ...) = avg_pool's gradient: g / divisor added into zeros at every window
#   (getitem_backward at each offset's slice, summed), the padding cut off  -- one node; its gradient is
#   avg_pool again
avg_pool_backward = Primitive("avg_pool_backward", conv_kernels.avg_pool_backward,
                              lambda h, out, g, size, **pool: avg_pool(h, **pool))
for _op in (max_pool, max_pool_backward, avg_pool, avg_pool_backward):
    _op.reads_inputs, _op.reads_output = (), False         # where the maxima were (argmax) and the shapes only

# --- recurrent cells -----------------------------------------------------------------------------
#
# lstm_cell(ig, hg, c) = stack([h', c']) with a = ig + hg, i, f, g, o its four quarters along the last dim
#   (getitem), c' = sigmoid(f) c + sigmoid(i) tanh(g) and h' = sigmoid(o) tanh(c')  -- one node: see below
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


lstm_cell = Primitive("lstm_cell", forwards.lstm_cell, _lstm_cell_rule_gates, _lstm_cell_rule_gates,
                      lambda g, out, ig, hg, c: _lstm_cell_grads(g, out, ig, hg, c)[1],
                      combined_vjp=_lstm_cell_joint)
lstm_cell.reads_output = False
