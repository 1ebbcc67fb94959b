"""Every fused primitive against the composite of plain primitives it replaces, in float64.

ops.py has plain mathematical primitives (add, mul, exp, sum, matmul, getitem, ...) and fused ones that
exist for speed or numerical stability (softmax, conv, lstm_cell, ...). Each fused primitive has its own
hand-written rule; here it must agree with the derivative the engine gets by chaining the plain rules of
the composite the primitive stands for:

* the forward values;
* the first gradients with respect to every differentiable input, both on the fast array path (where
  combined rules (`combined_vjp`) such as the convolution's and the LSTM cell's run) and on the recorded path of
  `create_graph=True` (where each input's own rule runs);
* the second derivatives: the gradient of a random contraction of those first gradients.

The loss is L = sum(R * out) + sum(Q * out^2) / 2 for fixed random R and Q. Its quadratic term makes the
gradient that reaches the op depend on the inputs, so the second derivative also runs the fused rule's
own rule (double backward), not only the op's curvature: for ops that are linear in an input (nll_loss,
pooling, conv in each argument) that would otherwise be compared as zero against zero.

The composites use only plain primitives through the public API; `_compare` checks that: no fused
primitive may appear in a composite's graph (forward or recorded backward), and the fused side's graph
must contain the primitive under test. Inputs of kinked functions are kept away from kinks and ties.
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import ops
from autograd_lite.engine import Primitive

# Numeric warnings (overflow, divide by zero, invalid value) are bugs in a forward or backward rule.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

# The fused primitives of ops.py: everything in the table that is not a plain mathematical primitive.
# Besides the speed and stability fusions, this counts the gradients of conv and the pools, which are
# primitives of their own (conv_transpose, conv_weight_grad, max_pool_backward, avg_pool_backward), and
# the one-op activations that are a composite of plain ones: rsqrt = 1 / sqrt, softplus, elu, leaky_relu.
FUSED = frozenset({
    "linear", "softmax", "log_softmax", "logsumexp", "binary_cross_entropy", "nll_loss",
    "norm2", "normp", "std_sqrt", "einsum",
    "conv", "conv_transpose", "conv_weight_grad",
    "max_pool", "max_pool_backward", "avg_pool", "avg_pool_backward",
    "lstm_cell",
    "rsqrt", "softplus", "elu", "leaky_relu",
})

# The primitives the tests below compare, filled in by @covers as the module is imported.
TESTED: set[str] = set()


def covers(*names):
    """Mark a test as the comparison of these fused primitives with their composites."""
    def mark(fn):
        TESTED.update(names)
        return fn
    return mark


def test_fused_is_exactly_part_2_of_the_table():
    # The primitives ops.py declares in its Part 2 (the fused ones) are the ones this file must test: a new
    # fused primitive without a comparison here fails this test.
    source = Path(ops.__file__).read_text()
    part2 = source[source.index("# PART 2."):]
    declared = set(re.findall(r"^(\w+) = Primitive\(", part2, re.M))
    assert declared == FUSED, (declared - FUSED, FUSED - declared)


# ---------------------------------------------------------------------------------------------
# the comparison
# ---------------------------------------------------------------------------------------------

# Two independent float64 computations of the same quantity: they differ by rounding only. The values
# compared are O(1) and computed from a few dozen terms at most, so a relative 1e-10 is ~10^6 ulps of
# slack for reordered sums; atol covers entries that cancel to ~0 (a sum of O(1) terms that is exactly
# 0 in one computation and ~1e-16 in the other). The largest difference seen is about a tenth of this
# tolerance (logsumexp's second derivative at an offset of 1000), most are below 1e-3 of it.
RTOL, ATOL = 1e-10, 1e-12


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _ops_in_graph(*roots):
    """The names of the primitives recorded in the graphs behind `roots`."""
    names, seen = set(), set()
    stack = [t for t in roots if isinstance(t, al.Tensor)]
    while stack:
        node = stack.pop().grad_fn
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.add(node.op.name)
        stack.extend(x for x in node.inputs or () if isinstance(x, al.Tensor))
    return names


def _close(actual, expected, what, rtol, atol):
    a = actual.detach().numpy() if isinstance(actual, al.Tensor) else np.asarray(actual)
    e = expected.detach().numpy() if isinstance(expected, al.Tensor) else np.asarray(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} (fused) != {e.shape} (composite)"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"{what}: fused (actual) vs composite (desired)")


def _second(grads, weights, inputs):
    """Gradients of sum_i <grads_i, weights_i> with respect to `inputs` (zeros where there is no path)."""
    total = sum((g * s).sum() for g, s in zip(grads, weights))
    if not total.requires_grad:               # the first gradients are constants: second derivative 0
        return [np.zeros(x.shape) for x in inputs]
    found = al.grad(total, inputs, allow_unused=True)
    return [np.zeros(x.shape) if g is None else g for g, x in zip(found, inputs)]


def _compare(fused, composite, inputs, rng, op, rtol=RTOL, atol=ATOL):
    """fused(*inputs) against composite(*inputs): values, first gradients (array and recorded paths) and
    second derivatives with respect to every input. `op`: the fused primitive that must be exercised."""
    outs_f, outs_c = _as_tuple(fused(*inputs)), _as_tuple(composite(*inputs))
    assert op in _ops_in_graph(*outs_f), f"the fused side does not record {op}: {_ops_in_graph(*outs_f)}"
    leaked = _ops_in_graph(*outs_c) & FUSED
    assert not leaked, f"the composite uses fused primitives {leaked}"
    assert len(outs_f) == len(outs_c)
    for i, (f, c) in enumerate(zip(outs_f, outs_c)):
        assert f.dtype == np.float64 and c.dtype == np.float64, (f.dtype, c.dtype)
        _close(f, c, f"{op}: value of output {i}", rtol, atol)

    rs = [rng.standard_normal(o.shape) for o in outs_f]
    qs = [rng.standard_normal(o.shape) for o in outs_f]

    def loss(outs):
        return sum((r * o + 0.5 * q * o * o).sum() for o, r, q in zip(outs, rs, qs))

    fast_f = al.grad(loss(outs_f), inputs, retain_graph=True)        # combined rules on arrays
    fast_c = al.grad(loss(outs_c), inputs, retain_graph=True)
    first_f = al.grad(loss(outs_f), inputs, create_graph=True)       # each input's rule, recorded
    first_c = al.grad(loss(outs_c), inputs, create_graph=True)
    leaked = _ops_in_graph(*first_c) & FUSED
    assert not leaked, f"the composite's backward uses fused primitives {leaked}"
    for i in range(len(inputs)):
        _close(fast_f[i], fast_c[i], f"{op}: first gradient of input {i} (array path)", rtol, atol)
        _close(first_f[i], first_c[i], f"{op}: first gradient of input {i} (create_graph)", rtol, atol)

    ss = [rng.standard_normal(x.shape) for x in inputs]
    second_f, second_c = _second(first_f, ss, inputs), _second(first_c, ss, inputs)
    for i in range(len(inputs)):
        _close(second_f[i], second_c[i], f"{op}: second derivative, input {i}", rtol, atol)


def _leaf(values):
    return al.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def _avoid(rng, shape, points, low, high):
    """Values in [low, high] kept >= 0.1 from each of `points` (points >= 0.7 apart)."""
    v = rng.uniform(low, high, shape)
    for p in points:
        v = np.where(np.abs(v - p) < 0.1, p + 0.2, v)
    return _leaf(v)


def _keep_shape(shape, dim, keepdim):
    """A reduction's output shape (for reshaping a keepdim=True composite result)."""
    axes = range(len(shape)) if dim is None else [d % len(shape) for d in _as_tuple(dim)]
    return tuple(1 if i in axes else n for i, n in enumerate(shape) if keepdim or i not in axes)


# ---------------------------------------------------------------------------------------------
# linear
# ---------------------------------------------------------------------------------------------


@covers("linear")
@pytest.mark.parametrize(("x_shape", "out_features", "bias"), [
    ((3, 4), 5, True),
    ((3, 4), 2, False),
    ((2, 3, 4), 5, True),       # leading batch dims: the weight gradient sums over all of them
    ((4,), 3, True),            # a single sample
])
def test_linear(leaf, rng, x_shape, out_features, bias):
    x, w = leaf(x_shape), leaf((out_features, x_shape[-1]))
    inputs = [x, w] + ([leaf((out_features,))] if bias else [])

    def composite(x, w, b=None):
        out = x @ w.transpose(0, 1)
        return out if b is None else out + b

    _compare(al.linear, composite, inputs, rng, "linear")


# ---------------------------------------------------------------------------------------------
# softmax, log_softmax, logsumexp
# ---------------------------------------------------------------------------------------------

SOFTMAX_CASES = [
    pytest.param((5,), 0, id="vector"),
    pytest.param((3, 4), 1, id="matrix-dim1"),
    pytest.param((3, 4), 0, id="matrix-dim0"),
    pytest.param((2, 3, 4), -2, id="3d-dim-minus2"),
]

# offset 0: the composite is the definition, exp(x) / sum exp(x). offset 1000: exp(x) overflows, so the
# fused ops must shift by the max; the composite does the same with amax (exact in value: the shift
# cancels; its gradient through amax cancels to rounding). Values are continuous normals: no ties.
OFFSETS = [pytest.param(0.0, id="plain"), pytest.param(1000.0, id="offset1000")]


def _shifted(x, dim, offset):
    """(x - m, m): m = 0 for the plain composite, the max along dim for the large offset."""
    if not offset:
        return x, 0.0
    m = x.amax(dim, keepdim=True)
    return x - m, m


@covers("softmax")
@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize(("shape", "dim"), SOFTMAX_CASES)
def test_softmax(rng, shape, dim, offset):
    x = _leaf(rng.standard_normal(shape) + offset)

    def composite(x):
        e = _shifted(x, dim, offset)[0].exp()
        return e / e.sum(dim, keepdim=True)

    _compare(lambda x: al.softmax(x, dim), composite, [x], rng, "softmax")


@covers("log_softmax")
@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize(("shape", "dim"), SOFTMAX_CASES)
def test_log_softmax(rng, shape, dim, offset):
    x = _leaf(rng.standard_normal(shape) + offset)

    def composite(x):
        s = _shifted(x, dim, offset)[0]
        return s - s.exp().sum(dim, keepdim=True).log()

    _compare(lambda x: al.log_softmax(x, dim), composite, [x], rng, "log_softmax")


@covers("logsumexp")
@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("keepdim", [False, True], ids=["dropdim", "keepdim"])
@pytest.mark.parametrize(("shape", "dim"), [
    pytest.param((5,), 0, id="vector"),
    pytest.param((3, 4), 1, id="matrix-dim1"),
    pytest.param((2, 3, 4), (0, 2), id="3d-dims02"),
    pytest.param((2, 3, 4), None, id="3d-all"),
])
def test_logsumexp(rng, shape, dim, keepdim, offset):
    x = _leaf(rng.standard_normal(shape) + offset)

    def composite(x):
        s, m = _shifted(x, dim, offset)
        out = s.exp().sum(dim, keepdim=True).log() + m
        return out.reshape(_keep_shape(shape, dim, keepdim))

    # logsumexp with dim=None: the method reduces over every dim
    _compare(lambda x: x.logsumexp(tuple(range(x.ndim)) if dim is None else dim, keepdim), composite, [x], rng,
             "logsumexp")


# ---------------------------------------------------------------------------------------------
# losses: binary_cross_entropy, nll_loss
# ---------------------------------------------------------------------------------------------


@covers("binary_cross_entropy")
@pytest.mark.parametrize("hard", [False, True], ids=["soft-targets", "hard-targets"])
@pytest.mark.parametrize("shape", [(7,), (3, 4)], ids=["vector", "matrix"])
def test_binary_cross_entropy(rng, shape, hard):
    # p inside (0.05, 0.95): the fused op's clamps (logs at -100, p (1 - p) at 1e-12) are inactive there.
    # The target is differentiable too (its rule is log(1 - p) - log(p)).
    p = _leaf(rng.uniform(0.05, 0.95, shape))
    t = _leaf(rng.integers(0, 2, shape) if hard else rng.uniform(0.0, 1.0, shape))

    def composite(p, t):
        return -(t * p.log() + (1 - t) * (1 - p).log())

    _compare(al.binary_cross_entropy, composite, [p, t], rng, "binary_cross_entropy")


def _nll_composite(logp, target, weight, ignore_index, reduction):
    """-logp[i, target_i] * weight[target_i], ignored targets weighing 0; 'mean' divides by the weights' sum."""
    x, t = (logp.reshape(1, -1), target.reshape(1)) if logp.ndim == 1 else (logp, target)
    n_classes = x.shape[1]
    keep = t != ignore_index
    safe = np.where(keep, t, 0)
    w = (np.ones(n_classes) if weight is None else weight)[safe] * keep
    grid = np.indices(t.shape, sparse=True)
    losses = -(x[(grid[0], safe, *grid[1:])] * w)
    if reduction == "none":
        return losses.reshape(target.shape)
    total = losses.sum()
    return total / w.sum() if reduction == "mean" else total


NLL_CASES = [
    # (input shape, class weights, ignore_index, whether a target equals it, reduction)
    ((5, 4), False, -100, False, "mean"),
    ((5, 4), False, -100, False, "sum"),
    ((5, 4), False, -100, False, "none"),
    ((5, 4), True, -100, False, "mean"),
    ((5, 4), True, -100, False, "sum"),
    ((5, 4), False, -100, True, "mean"),     # targets of -100: PyTorch's padding, ignored by default
    ((6, 4), True, 2, True, "mean"),         # a valid class ignored
    ((6, 4), False, 2, True, "sum"),
    ((6, 4), True, 2, True, "none"),
    ((6, 4), True, -1, True, "mean"),
    ((3, 4, 2), True, 1, True, "mean"),      # (N, C, d): the class dim is 1
    ((3, 4, 2), False, -100, False, "none"),
    ((4,), True, -100, False, "mean"),       # one sample, unbatched
    ((4,), False, -100, False, "none"),
]


@covers("nll_loss")
@pytest.mark.parametrize(("shape", "weighted", "ignore_index", "ignored", "reduction"), NLL_CASES,
                         ids=[f"{'x'.join(map(str, c[0]))}-{'weighted' if c[1] else 'unweighted'}-ignore{c[2]}"
                              f"{'-hit' if c[3] else ''}-{c[4]}" for c in NLL_CASES])
def test_nll_loss(rng, shape, weighted, ignore_index, ignored, reduction):
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    target_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    target = rng.integers(0, n_classes, target_shape)
    if ignored:
        target.flat[0] = ignore_index                       # at least one ignored target...
        target.flat[-1] = (ignore_index + 1) % n_classes    # ...and at least one counted
    weight = rng.uniform(0.5, 2.0, n_classes) if weighted else None
    logp = _leaf(rng.standard_normal(shape))

    def fused(x):
        return al.nll_loss(x, target, weight=weight, ignore_index=ignore_index, reduction=reduction)

    def composite(x):
        return _nll_composite(x, target, weight, ignore_index, reduction)

    _compare(fused, composite, [logp], rng, "nll_loss")


# ---------------------------------------------------------------------------------------------
# norms and std
# ---------------------------------------------------------------------------------------------

NORM_DIMS = [
    pytest.param((5,), None, False, id="vector"),
    pytest.param((3, 4), 1, False, id="matrix-dim1"),
    pytest.param((3, 4), 0, True, id="matrix-dim0-keepdim"),
    pytest.param((2, 3, 4), (0, 2), False, id="3d-dims02"),
    pytest.param((2, 3, 4), None, True, id="3d-all-keepdim"),
]


@covers("norm2")
@pytest.mark.parametrize("p", [2, "fro"])
@pytest.mark.parametrize(("shape", "dim", "keepdim"), NORM_DIMS)
def test_norm2(leaf, rng, shape, dim, keepdim, p):
    x = leaf(shape)                                   # a norm away from 0 (its kink)

    def composite(x):
        return (x * x).sum(dim, keepdim=keepdim).sqrt()

    _compare(lambda x: al.norm(x, p, dim, keepdim), composite, [x], rng, "norm2")


@covers("normp")
@pytest.mark.parametrize("p", [3, 1.5, 0.5, -2.0])
@pytest.mark.parametrize(("shape", "dim", "keepdim"), NORM_DIMS)
def test_normp(leaf, rng, shape, dim, keepdim, p):
    x = leaf(shape, kind="away")                      # |x| >= 0.25: away from abs's kink at 0

    def composite(x):
        return (x.abs() ** p).sum(dim, keepdim=keepdim) ** (1.0 / p)

    _compare(lambda x: al.norm(x, p, dim, keepdim), composite, [x], rng, "normp")


@covers("std_sqrt")
@pytest.mark.parametrize("correction", [1, 0])
@pytest.mark.parametrize(("shape", "dim", "keepdim"), NORM_DIMS)
def test_std(leaf, rng, shape, dim, keepdim, correction):
    x = leaf(shape)                                   # a std away from 0 (where the fused rule gives 0)
    n = math.prod(shape) if dim is None else math.prod(shape[d] for d in _as_tuple(dim))

    def composite(x):
        centered = x - x.sum(dim, keepdim=True) / n
        return ((centered * centered).sum(dim, keepdim=keepdim) / (n - correction)).sqrt()

    _compare(lambda x: x.std(dim, keepdim=keepdim, correction=correction), composite, [x], rng, "std_sqrt")


# ---------------------------------------------------------------------------------------------
# einsum
# ---------------------------------------------------------------------------------------------


def _einsum_composite(equation, *xs):
    """Broadcast every operand over all the indices (sorted), multiply, sum the others, order the rest."""
    lhs, rhs = equation.split("->")
    subs = lhs.split(",")
    letters = sorted(set("".join(subs)))
    product = None
    for sub, x in zip(subs, xs):
        order = sorted(range(len(sub)), key=lambda i: letters.index(sub[i]))
        if order != list(range(len(sub))):
            x = x.permute(*order)
        x = x.reshape(tuple(x.shape[sorted(sub, key=letters.index).index(c)] if c in sub else 1 for c in letters))
        product = x if product is None else product * x
    summed = tuple(i for i, c in enumerate(letters) if c not in rhs)
    if summed:
        product = product.sum(summed)
    kept = [c for c in letters if c in rhs]
    order = [kept.index(c) for c in rhs]
    return product.permute(*order) if order != sorted(order) else product


EINSUM_CASES = [
    # (fused equation, the same with its output spelled out for the composite, operand shapes, marks)
    ("ij,jk->ik", "ij,jk->ik", [(3, 4), (4, 2)], ()),
    ("bij,bjk->bik", "bij,bjk->bik", [(2, 3, 4), (2, 4, 2)], ()),
    ("i,i->", "i,i->", [(5,), (5,)], ()),
    ("ij,kj", "ij,kj->ik", [(3, 4), (2, 4)], ()),                  # implicit output
    ("ij->ji", "ij->ji", [(3, 4)], ()),
    ("ijk->j", "ijk->j", [(2, 3, 4)], ()),
    ("ij,jk->k", "ij,jk->k", [(3, 4), (4, 2)], ()),                # i summed out of one operand alone
    ("ij,kl->ljki", "ij,kl->ljki", [(2, 3), (3, 2)], ()),          # outer product, permuted
    ("abc,cd,ad->bd", "abc,cd,ad->bd", [(2, 3, 4), (4, 3), (2, 3)], ()),
    # Size 1 broadcasts (PyTorch's einsum). An operand of size 1 along an index gets a gradient summed over
    # it (by the engine); one of size n where the others have 1 gets a gradient of size n there, not 1.
    ("ij,ij->i", "ij,ij->i", [(1, 4), (3, 4)], ()),
    ("ij,jk->ik", "ij,jk->ik", [(3, 4), (1, 2)], ()),              # j: 4 in x, 1 in y
    ("ij,ij->i", "ij,ij->i", [(3, 1), (3, 4)], ()),                # j: 1 in x, 4 in y
]


@covers("einsum")
@pytest.mark.parametrize(("equation", "explicit", "shapes"), [
    pytest.param(*c[:3], marks=c[3], id=f"{c[0]}:{'-'.join('x'.join(map(str, s)) for s in c[2])}")
    for c in EINSUM_CASES])
def test_einsum(leaf, rng, equation, explicit, shapes):
    xs = [leaf(s) for s in shapes]
    _compare(lambda *xs: al.einsum(equation, *xs), lambda *xs: _einsum_composite(explicit, *xs), xs, rng, "einsum")


@pytest.mark.parametrize(("equation", "shapes"), [
    ("ij,jk->ik", [(3, 4), (1, 2)]),        # j broadcast from y's size 1 (PyTorch: gradients (3, 4) and (1, 2))
    ("ij,ij->i", [(3, 1), (3, 4)]),         # j broadcast from x's size 1
    ("ij,jk,k->i", [(3, 4), (1, 2), (1,)]),  # j: 4 in x, 1 in y; k: 2 in y, 1 in z, summed out
])
def test_einsum_broadcast_gradcheck(leaf, equation, shapes):
    # Against central differences too, not only the composite: the gradients' shapes are the operands'.
    xs = [leaf(s) for s in shapes]
    grads = al.grad(al.einsum(equation, *xs).sum(), xs)
    assert [g.shape for g in grads] == [x.shape for x in xs]
    assert al.gradcheck(lambda *xs: al.einsum(equation, *xs), tuple(xs))
    assert al.gradgradcheck(lambda *xs: al.einsum(equation, *xs), tuple(xs))


# ---------------------------------------------------------------------------------------------
# convolution and its two gradients
# ---------------------------------------------------------------------------------------------


def _per_dim(value, nd):
    return (value,) * nd if isinstance(value, int) else tuple(value)


def _pad_pairs(padding, kernel, dilation):
    """PyTorch's padding per spatial dim as (before, after); 'same' puts an odd total's extra zero after."""
    if padding == "same":
        return [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation)]
    return [(p, p) for p in _per_dim(padding, len(kernel))]


def _conv_composite(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Pad; then for each kernel offset the strided slice of the input times that offset's weights (a
    matmul per group), added up; then the bias."""
    nd = x.ndim - 2
    kernel = w.shape[2:]
    stride, dilation = _per_dim(stride, nd), _per_dim(dilation, nd)
    pairs = _pad_pairs(padding, kernel, dilation)
    if any(lo or hi for lo, hi in pairs):
        x = al.pad(x, [a for lo, hi in reversed(pairs) for a in (lo, hi)])
    n, c, o = x.shape[0], x.shape[1], w.shape[0]
    size = [(x.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(nd)]
    out = None
    for offset in itertools.product(*(range(k) for k in kernel)):
        window = tuple(slice(k * d, k * d + s * (m - 1) + 1, s) for k, d, s, m in zip(offset, dilation, stride, size))
        cols = x[(slice(None), slice(None)) + window].reshape(n, groups, c // groups, math.prod(size))
        taps = w[(slice(None), slice(None)) + offset].reshape(groups, o // groups, c // groups)
        term = taps @ cols                                  # (n, groups, o / groups, pixels)
        out = term if out is None else out + term
    out = out.reshape(n, o, *size)
    return out if b is None else out + b.reshape((o,) + (1,) * nd)


CONV_CASES = [
    # (id, input shape, out channels, kernel, stride, padding, dilation, groups, bias)
    ("1d-basic", (2, 3, 7), 4, (3,), 1, 0, 1, 1, True),
    ("1d-stride2-pad1", (2, 2, 8), 3, (3,), 2, 1, 1, 1, False),       # the last padded column is never read
    ("1d-dil3-pad2-groups2", (2, 4, 9), 6, (2,), 1, 2, 3, 2, True),
    ("1d-depthwise-stride3", (1, 3, 6), 3, (3,), 3, 1, 1, 3, False),
    ("1d-same-even-kernel", (2, 2, 6), 3, (4,), 1, "same", 1, 1, True),  # padding (1, 2)
    ("2d-basic", (2, 2, 5, 6), 3, (2, 3), 1, 0, 1, 1, True),
    ("2d-stride2-pad1", (2, 2, 6, 5), 2, (3, 3), 2, 1, 1, 1, False),
    ("2d-mixed-groups2", (2, 4, 7, 6), 4, (3, 2), (2, 1), (1, 0), (1, 2), 2, True),
    ("2d-same-dilated", (1, 2, 5, 5), 2, (2, 3), 1, "same", (1, 2), 1, True),  # padding (0, 1), (2, 2)
    ("2d-depthwise-x2", (2, 3, 5, 4), 6, (3, 3), 1, 1, 1, 3, True),
]
CONV_PARAMS = [pytest.param(*c[1:], id=c[0]) for c in CONV_CASES]
CONV_ARGS = ("x_shape", "out_channels", "kernel", "stride", "padding", "dilation", "groups", "bias")


def _conv_fn(nd):
    return al.conv1d if nd == 1 else al.conv2d


@covers("conv")
@pytest.mark.parametrize(CONV_ARGS, CONV_PARAMS)
def test_conv(leaf, rng, x_shape, out_channels, kernel, stride, padding, dilation, groups, bias):
    x, w = leaf(x_shape), leaf((out_channels, x_shape[1] // groups, *kernel))
    inputs = [x, w] + ([leaf((out_channels,))] if bias else [])
    conv = _conv_fn(len(kernel))

    def fused(x, w, b=None):
        return conv(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)

    def composite(x, w, b=None):
        return _conv_composite(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)

    _compare(fused, composite, inputs, rng, "conv")


def _out_shape(x, w, conv, **settings):
    return conv(x.detach(), w.detach(), **settings).shape


@covers("conv_transpose", "conv_weight_grad")
@pytest.mark.parametrize("wrt", ["x", "w"])
@pytest.mark.parametrize(CONV_ARGS, CONV_PARAMS)
def test_conv_transpose_and_weight_grad(leaf, rng, wrt, x_shape, out_channels, kernel, stride, padding, dilation,
                                        groups, bias):
    # conv_transpose(g, w) is the gradient of <conv(x, w), g> with respect to x, a function of g and w (x gives
    # its size only); conv_weight_grad(x, g) the gradient with respect to w, a function of x and g (w gives its
    # shape only). Each is compared with that gradient of the composite convolution. (The cases are conv's;
    # `bias` does not enter these gradients and is not used.)
    settings = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    x0, w0 = leaf(x_shape), leaf((out_channels, x_shape[1] // groups, *kernel))
    conv = _conv_fn(len(kernel))
    g0 = leaf(_out_shape(x0, w0, conv, **settings))

    def gradient(convolution, x, w, g):
        return al.grad(convolution(x, w, **settings), x if wrt == "x" else w, grad_outputs=g, create_graph=True)[0]

    if wrt == "x":
        _compare(lambda g, w: gradient(conv, x0, w, g), lambda g, w: gradient(_conv_composite, x0, w, g),
                 [g0, w0], rng, "conv_transpose")
    else:
        _compare(lambda x, g: gradient(conv, x, w0, g), lambda x, g: gradient(_conv_composite, x, w0, g),
                 [x0, g0], rng, "conv_weight_grad")


# ---------------------------------------------------------------------------------------------
# pooling and its gradients
# ---------------------------------------------------------------------------------------------


def _pool_geometry(hw, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's output size per dim, and how far the last window reaches past the padded input."""
    size, beyond = [], []
    for n, k, s, p, d in zip(hw, kernel, stride, padding, dilation):
        span = n + 2 * p - d * (k - 1) - 1
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= n + p:      # the last window must start inside the input or left padding
            o -= 1
        size.append(o)
        beyond.append(max((o - 1) * s + d * (k - 1) + 1 - (n + 2 * p), 0))
    return size, beyond


def _windows(x, kernel, stride, dilation, size):
    """The window elements at each kernel offset: one strided slice (N, C, Ho, Wo) per offset."""
    return [x[(slice(None), slice(None)) + tuple(slice(i * d, i * d + s * (m - 1) + 1, s)
                                                   for i, d, s, m in zip(offset, dilation, stride, size))]
            for offset in itertools.product(*(range(k) for k in kernel))]


def _pool_settings(kernel, stride, padding, dilation=1):
    kernel = _per_dim(kernel, 2)
    return kernel, kernel if stride is None else _per_dim(stride, 2), _per_dim(padding, 2), _per_dim(dilation, 2)


def _max_pool_composite(x, kernel, stride, padding, dilation, ceil_mode):
    """Pad with -inf (and past the padded input for ceil_mode's last windows), stack the windows' slices,
    and take their amax."""
    kernel, stride, padding, dilation = _pool_settings(kernel, stride, padding, dilation)
    size, beyond = _pool_geometry(x.shape[-2:], kernel, stride, padding, dilation, ceil_mode)
    (ph, pw), (bh, bw) = padding, beyond
    xp = al.pad(x, [pw, pw + bw, ph, ph + bh], value=-math.inf)
    return al.stack(_windows(xp, kernel, stride, dilation, size), dim=-1).amax(-1)


def _avg_pool_composite(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """The sum of the windows' slices of the zero-padded input, over each window's divisor: the same window
    sum of a mask that is 1 on the input (and on the padding with count_include_pad), 0 elsewhere."""
    kernel, stride, padding, dilation = _pool_settings(kernel, stride, padding)
    size, beyond = _pool_geometry(x.shape[-2:], kernel, stride, padding, dilation, ceil_mode)
    (ph, pw), (bh, bw) = padding, beyond
    xp = al.pad(x, [pw, pw + bw, ph, ph + bh])
    total = sum(_windows(xp, kernel, stride, dilation, size)[1:], _windows(xp, kernel, stride, dilation, size)[0])
    if divisor_override is not None:
        return total / divisor_override
    mask = np.pad(np.ones(x.shape[-2:]), [(ph, ph), (pw, pw)], constant_values=1.0 if count_include_pad else 0.0)
    mask = np.pad(mask, [(0, bh), (0, bw)])[None, None]
    divisor = np.sum(_windows(mask, kernel, stride, dilation, size), axis=0)
    return total / divisor


MAX_POOL_CASES = [
    # (id, input shape, kernel, stride, padding, dilation, ceil_mode)
    ("k2", (2, 2, 4, 6), 2, None, 0, 1, False),
    ("k3-s2-p1", (2, 2, 5, 5), 3, 2, 1, 1, False),
    ("k2x3-s1x2-p1-dil2x1", (1, 2, 6, 7), (2, 3), (1, 2), 1, (2, 1), False),
    ("k3-s2-ceil", (2, 1, 6, 6), 3, 2, 0, 1, True),                  # the last windows reach past the input
    ("k3-s2-p1-ceil", (1, 2, 6, 7), 3, 2, 1, 1, True),
    ("unbatched-k2-s1", (2, 4, 5), 2, 1, 0, 1, False),
]
MAX_POOL_PARAMS = [pytest.param(*c[1:], id=c[0]) for c in MAX_POOL_CASES]
MAX_POOL_ARGS = ("shape", "kernel", "stride", "padding", "dilation", "ceil_mode")


def _max_pool_fns(kernel, stride, padding, dilation, ceil_mode, unbatched):
    def fused(x):
        return al.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)

    def composite(x):
        out = _max_pool_composite(x[None] if unbatched else x, kernel, stride, padding, dilation, ceil_mode)
        return out[0] if unbatched else out

    return fused, composite


@covers("max_pool")
@pytest.mark.parametrize(MAX_POOL_ARGS, MAX_POOL_PARAMS)
def test_max_pool(leaf, rng, shape, kernel, stride, padding, dilation, ceil_mode):
    # Distinct values (gaps >= 0.1): no ties within a window, so the arg-max is unambiguous. Max pooling is
    # piecewise linear: its second derivative through the quadratic loss runs max_pool_backward's rule.
    (x,) = leaf.distinct(shape)
    fused, composite = _max_pool_fns(kernel, stride, padding, dilation, ceil_mode, len(shape) == 3)
    _compare(fused, composite, [x], rng, "max_pool")


def _compare_gradients_of(fused_op, composite_op, x, leaf, rng, op):
    """The gradient of <f(x), g> with respect to x, as a function of g (a pooling's backward primitive):
    the fused op's against the composite's."""
    def gradient_of(f):
        return lambda g: al.grad(f(x), x, grad_outputs=g, create_graph=True)[0]

    _compare(gradient_of(fused_op), gradient_of(composite_op), [leaf(fused_op(x).shape)], rng, op)


@covers("max_pool_backward")
@pytest.mark.parametrize(MAX_POOL_ARGS, MAX_POOL_PARAMS)
def test_max_pool_backward(leaf, rng, shape, kernel, stride, padding, dilation, ceil_mode):
    # max_pool_backward(g) is the gradient of <max_pool(x), g> with respect to x, as a function of g.
    (x,) = leaf.distinct(shape)
    fused_pool, composite_pool = _max_pool_fns(kernel, stride, padding, dilation, ceil_mode, len(shape) == 3)
    _compare_gradients_of(fused_pool, composite_pool, x, leaf, rng, "max_pool_backward")


AVG_POOL_CASES = [
    # (id, input shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    ("k2", (2, 2, 4, 6), 2, None, 0, False, True, None),
    ("k3-s2-p1", (2, 2, 5, 5), 3, 2, 1, False, True, None),
    ("k3-s2-p1-exclude-pad", (2, 2, 5, 5), 3, 2, 1, False, False, None),
    ("k2x3-s2x1-p1-exclude-pad", (1, 2, 6, 7), (2, 3), (2, 1), 1, False, False, None),
    ("k3-s2-p1-ceil", (1, 2, 6, 6), 3, 2, 1, True, True, None),     # the last windows reach past the padding
    ("k3-s2-p1-ceil-exclude-pad", (1, 2, 6, 6), 3, 2, 1, True, False, None),
    ("k3-s2-ceil-nopad", (2, 1, 6, 7), 3, 2, 0, True, True, None),
    ("k3-s1-p1-divisor5", (1, 2, 4, 5), 3, 1, 1, False, True, 5),
    ("unbatched-k2-s1", (2, 4, 5), 2, 1, 0, False, True, None),
]
AVG_POOL_PARAMS = [pytest.param(*c[1:], id=c[0]) for c in AVG_POOL_CASES]
AVG_POOL_ARGS = ("shape", "kernel", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")


def _avg_pool_fns(kernel, stride, padding, ceil_mode, count_include_pad, divisor_override, unbatched):
    def fused(x):
        return al.avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)

    def composite(x):
        out = _avg_pool_composite(x[None] if unbatched else x, kernel, stride, padding, ceil_mode,
                                  count_include_pad, divisor_override)
        return out[0] if unbatched else out

    return fused, composite


@covers("avg_pool")
@pytest.mark.parametrize(AVG_POOL_ARGS, AVG_POOL_PARAMS)
def test_avg_pool(leaf, rng, shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    x = leaf(shape)
    fused, composite = _avg_pool_fns(kernel, stride, padding, ceil_mode, count_include_pad, divisor_override,
                                     len(shape) == 3)
    _compare(fused, composite, [x], rng, "avg_pool")


@covers("avg_pool_backward")
@pytest.mark.parametrize(AVG_POOL_ARGS, AVG_POOL_PARAMS)
def test_avg_pool_backward(leaf, rng, shape, kernel, stride, padding, ceil_mode, count_include_pad,
                           divisor_override):
    # avg_pool_backward(g) is the gradient of <avg_pool(x), g> with respect to x, as a function of g.
    x = leaf(shape)
    fused_pool, composite_pool = _avg_pool_fns(kernel, stride, padding, ceil_mode, count_include_pad,
                                               divisor_override, len(shape) == 3)
    _compare_gradients_of(fused_pool, composite_pool, x, leaf, rng, "avg_pool_backward")


# ---------------------------------------------------------------------------------------------
# the LSTM cell
# ---------------------------------------------------------------------------------------------


def _lstm_composite(input_gates, hidden_gates, c):
    """Gates a = input_gates + hidden_gates in PyTorch's order i, f, g, o;
    c' = s(f) c + s(i) tanh(g), h' = s(o) tanh(c')."""
    a = input_gates + hidden_gates
    h = c.shape[-1]
    i, f, g, o = (a[..., k * h:(k + 1) * h] for k in range(4))
    c_next = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c_next.tanh(), c_next


@covers("lstm_cell")
@pytest.mark.parametrize("lead", [(3,), (1,), (), (2, 2)], ids=["batch3", "batch1", "unbatched", "lead2x2"])
@pytest.mark.parametrize("hidden", [2, 3])
def test_lstm_cell(leaf, rng, lead, hidden):
    inputs = [leaf((*lead, 4 * hidden)), leaf((*lead, 4 * hidden)), leaf((*lead, hidden))]
    _compare(al.fused_lstm_cell, _lstm_composite, inputs, rng, "lstm_cell")


# ---------------------------------------------------------------------------------------------
# one-op activations: rsqrt, softplus, elu, leaky_relu
# ---------------------------------------------------------------------------------------------

ACT_SHAPES = [pytest.param((5,), id="vector"), pytest.param((3, 4), id="matrix")]


@covers("rsqrt")
@pytest.mark.parametrize("shape", ACT_SHAPES)
def test_rsqrt(leaf, rng, shape):
    x = leaf(shape, positive=True)
    _compare(al.rsqrt, lambda x: 1 / x.sqrt(), [x], rng, "rsqrt")


@covers("softplus")
@pytest.mark.parametrize(("beta", "threshold", "low", "high"), [
    pytest.param(1.0, 20.0, -3.0, 3.0, id="default"),
    pytest.param(2.0, 20.0, -3.0, 3.0, id="beta2"),
    # inputs on both sides of the threshold (away from it): above it, softplus is x itself
    pytest.param(1.0, 1.0, -1.0, 3.0, id="threshold1"),
    pytest.param(0.5, 1.0, -1.0, 5.0, id="beta0.5-threshold1"),
])
@pytest.mark.parametrize("shape", ACT_SHAPES)
def test_softplus(rng, shape, beta, threshold, low, high):
    x = _avoid(rng, shape, [threshold / beta], low, high)
    above = (x.detach().numpy() * beta > threshold)

    def composite(x):
        return al.where(above, x, (1 + (x * beta).exp()).log() / beta)

    _compare(lambda x: al.softplus(x, beta, threshold), composite, [x], rng, "softplus")


@covers("elu")
@pytest.mark.parametrize("alpha", [1.0, 1.5])
@pytest.mark.parametrize("shape", ACT_SHAPES)
def test_elu(leaf, rng, shape, alpha):
    x = leaf(shape, kind="away")                      # |x| >= 0.25: away from the kink at 0
    positive = x.detach().numpy() > 0

    def composite(x):
        return al.where(positive, x, alpha * (x.exp() - 1))

    _compare(lambda x: al.elu(x, alpha), composite, [x], rng, "elu")


@covers("leaky_relu")
@pytest.mark.parametrize("slope", [0.01, 0.2])
@pytest.mark.parametrize("shape", ACT_SHAPES)
def test_leaky_relu(leaf, rng, shape, slope):
    x = leaf(shape, kind="away")
    positive = x.detach().numpy() > 0

    def composite(x):
        return al.where(positive, x, x * slope)

    _compare(lambda x: al.leaky_relu(x, slope), composite, [x], rng, "leaky_relu")


# ---------------------------------------------------------------------------------------------
# coverage
# ---------------------------------------------------------------------------------------------


def test_every_fused_primitive_is_compared():
    assert TESTED == FUSED, (f"fused primitives without a comparison: {sorted(FUSED - TESTED)}; "
                             f"compared but not listed in FUSED: {sorted(TESTED - FUSED)}")
    for name in sorted(FUSED):
        op = getattr(ops, name, None)
        assert isinstance(op, Primitive), f"autograd_lite.ops.{name} is not a Primitive: {op!r}"
        assert op.name == name, (name, op.name)
