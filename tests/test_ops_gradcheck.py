"""Every differentiable operation: forward against NumPy, gradcheck, and gradgradcheck in float64.

Each case builds its inputs from the seeded `leaf` factory (see conftest.py). Kinked functions
(relu, abs, clamp, maximum, amax, ...) get inputs bounded away from their kinks and ties, so central
differences are valid there.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd_lite as al

# Numeric warnings (overflow, divide by zero, invalid value) are bugs in a forward or backward rule.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _np(x):
    return x.detach().numpy() if isinstance(x, al.Tensor) else x


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def check(fn, inputs, ref=None, second=True):
    """Forward against `ref` (on NumPy copies of the inputs), then gradcheck and gradgradcheck."""
    inputs = _as_tuple(inputs)
    outs = _as_tuple(fn(*inputs))
    assert outs, "the function returned no outputs"
    for o in outs:
        # An ndarray result would make gradcheck vacuous (it only looks at Tensors): insist on Tensors.
        assert isinstance(o, al.Tensor), f"expected a Tensor result, got {type(o).__name__}"
        assert o.dtype == np.float64, o.dtype
        assert o.requires_grad
    if ref is not None:
        expected = _as_tuple(ref(*[_np(x) for x in inputs]))
        assert len(expected) == len(outs)
        for o, e in zip(outs, expected):
            e = np.asarray(e)
            assert o.shape == e.shape, (o.shape, e.shape)
            np.testing.assert_allclose(o.detach().numpy(), e, rtol=1e-10, atol=1e-12)
    assert al.gradcheck(fn, inputs)
    if second:
        assert al.gradgradcheck(fn, inputs)


def normal(lf, shape):
    return lf(shape)


def positive(lf, shape):
    return lf(shape, positive=True)


def away(lf, shape):
    return lf(shape, kind="away")


def _avoid(lf, shape, points, low=-1.5, high=1.5):
    """Values in [low, high] kept >= 0.1 from each of `points` (points must be >= 0.7 apart)."""
    v = lf.rng.uniform(low, high, shape)
    for p in points:
        v = np.where(np.abs(v - p) < 0.1, p + 0.2, v)
    return al.tensor(v, requires_grad=True)


def _sigmoid_ref(a):
    return 1.0 / (1.0 + np.exp(-a))


def _shape_id(shape):
    if shape == ():
        return "scalar"
    kind = {1: "vector", 2: "matrix"}.get(len(shape), f"{len(shape)}d")
    return kind + "x".join(map(str, shape))


UNARY_SHAPES = [(), (3,), (2, 3)]

# (id, fn, NumPy reference, input maker)
UNARY = [
    ("neg", lambda x: -x, np.negative, normal),
    ("neg-fn", al.neg, np.negative, normal),
    ("neg-method", lambda x: x.neg(), np.negative, normal),
    ("exp", al.exp, np.exp, normal),
    ("exp-method", lambda x: x.exp(), np.exp, normal),
    ("log", al.log, np.log, positive),
    ("log-method", lambda x: x.log(), np.log, positive),
    ("sqrt", al.sqrt, np.sqrt, positive),
    ("sqrt-method", lambda x: x.sqrt(), np.sqrt, positive),
    ("abs", al.abs, np.abs, away),
    ("abs-builtin", abs, np.abs, away),
    ("sin", al.sin, np.sin, normal),
    ("cos", al.cos, np.cos, normal),
    ("cos-method", lambda x: x.cos(), np.cos, normal),
    ("tanh", al.tanh, np.tanh, normal),
    ("tanh-method", lambda x: x.tanh(), np.tanh, normal),
    ("sigmoid", al.sigmoid, _sigmoid_ref, normal),
    ("sigmoid-method", lambda x: x.sigmoid(), _sigmoid_ref, normal),
    ("relu", al.relu, lambda a: np.maximum(a, 0.0), away),
    ("relu-method", lambda x: x.relu(), lambda a: np.maximum(a, 0.0), away),
    ("leaky_relu", lambda x: al.leaky_relu(x, 0.2), lambda a: np.where(a > 0, a, 0.2 * a), away),
    ("leaky_relu-default", al.leaky_relu, lambda a: np.where(a > 0, a, 0.01 * a), away),
    ("elu", lambda x: al.elu(x, 1.5), lambda a: np.where(a > 0, a, 1.5 * (np.exp(a) - 1)), away),
    ("elu-default", al.elu, lambda a: np.where(a > 0, a, np.exp(a) - 1), away),
    ("softplus", lambda x: al.softplus(x, beta=2.0), lambda a: np.log1p(np.exp(2.0 * a)) / 2.0, normal),
    ("softplus-default", al.softplus, lambda a: np.log1p(np.exp(a)), normal),
    # threshold=1: inputs on both sides of it (but away from it): x above the threshold is returned as is
    ("softplus-threshold",
     lambda x: al.softplus(x, beta=1.0, threshold=1.0),
     lambda a: np.where(a > 1.0, a, np.log1p(np.exp(a))),
     lambda lf, s: _avoid(lf, s, [1.0], low=-1.0, high=3.0)),
    ("square", lambda x: x.square(), np.square, normal),
    ("clone", lambda x: x.clone(), np.copy, normal),
    ("pos", lambda x: +x, np.copy, normal),
    # arithmetic with Python and NumPy scalars, both sides
    ("add-scalar", lambda x: x + 2.5, lambda a: a + 2.5, normal),
    ("radd-scalar", lambda x: 2.5 + x, lambda a: 2.5 + a, normal),
    ("radd-int", lambda x: 3 + x, lambda a: 3 + a, normal),
    ("sub-scalar", lambda x: x - 2.5, lambda a: a - 2.5, normal),
    ("rsub-scalar", lambda x: 2.5 - x, lambda a: 2.5 - a, normal),
    ("mul-scalar", lambda x: x * -1.5, lambda a: a * -1.5, normal),
    ("rmul-scalar", lambda x: -1.5 * x, lambda a: -1.5 * a, normal),
    ("div-scalar", lambda x: x / 2.5, lambda a: a / 2.5, normal),
    ("rdiv-scalar", lambda x: 2.5 / x, lambda a: 2.5 / a, away),
    ("rmul-np-scalar", lambda x: np.float64(1.5) * x, lambda a: 1.5 * a, normal),
    ("radd-np-scalar", lambda x: np.float64(1.5) + x, lambda a: 1.5 + a, normal),
    ("rsub-np-scalar", lambda x: np.float64(1.5) - x, lambda a: 1.5 - a, normal),
    ("rdiv-np-scalar", lambda x: np.float64(1.5) / x, lambda a: 1.5 / a, away),
    # powers with a constant exponent, and a constant base raised to a tensor
    ("pow-3", lambda x: x ** 3, lambda a: a ** 3, normal),
    ("pow-2.5", lambda x: x ** 2.5, lambda a: a ** 2.5, positive),
    ("pow-0.5", lambda x: x ** 0.5, np.sqrt, positive),
    ("pow-neg2", lambda x: x ** -2, lambda a: a ** -2.0, away),
    ("pow-0", lambda x: x ** 0, lambda a: np.ones_like(a), normal),
    ("pow-method", lambda x: x.pow(2), np.square, normal),
    ("pow-fn", lambda x: al.pow(x, 3.0), lambda a: a ** 3, normal),
    ("rpow-2", lambda x: 2.0 ** x, lambda a: 2.0 ** a, normal),
    ("rpow-half", lambda x: 0.5 ** x, lambda a: 0.5 ** a, normal),
    ("rpow-int", lambda x: 3 ** x, lambda a: 3.0 ** a, normal),
    ("rpow-np-scalar", lambda x: np.float64(1.5) ** x, lambda a: 1.5 ** a, normal),
    ("pow-fn-scalar-base", lambda x: al.pow(2.0, x), lambda a: 2.0 ** a, normal),
    # float64 -> float64 casts
    ("to-float64", lambda x: x.to(al.float64), np.copy, normal),
    ("to-np-float64", lambda x: x.to(np.float64), np.copy, normal),
    ("double", lambda x: x.double(), np.copy, normal),
]


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=_shape_id)
@pytest.mark.parametrize(("fn", "ref", "make"), [pytest.param(*c[1:], id=c[0]) for c in UNARY])
def test_unary(leaf, fn, ref, make, shape):
    check(fn, make(leaf, shape), ref)


# ---------------------------------------------------------------------------------------------
# binary elementwise
# ---------------------------------------------------------------------------------------------

BINARY_SHAPES = [
    ("scalar", (), ()),
    ("vector", (3,), (3,)),
    ("matrix", (2, 3), (2, 3)),
    ("bcast-row", (2, 3), (3,)),
    ("bcast-row-left", (3,), (2, 3)),
    ("bcast-outer", (2, 1), (1, 3)),
    ("bcast-scalar-left", (), (2, 3)),
    ("bcast-scalar-right", (2, 3), ()),
    ("bcast-3d", (4, 1, 3), (2, 1)),
]


def _pair(make_x, make_y):
    def make(lf, sx, sy):
        return make_x(lf, sx), make_y(lf, sy)
    return make


def _distinct_pair(lf, sx, sy):
    return lf.distinct(sx, sy)


BINARY = [
    ("add", lambda x, y: x + y, np.add, _pair(normal, normal)),
    ("add-fn", al.add, np.add, _pair(normal, normal)),
    ("add-alpha", lambda x, y: al.add(x, y, alpha=2.5), lambda a, b: a + 2.5 * b, _pair(normal, normal)),
    ("sub", lambda x, y: x - y, np.subtract, _pair(normal, normal)),
    ("sub-fn", al.sub, np.subtract, _pair(normal, normal)),
    ("sub-alpha", lambda x, y: x.sub(y, alpha=0.5), lambda a, b: a - 0.5 * b, _pair(normal, normal)),
    ("mul", lambda x, y: x * y, np.multiply, _pair(normal, normal)),
    ("mul-fn", al.mul, np.multiply, _pair(normal, normal)),
    ("div", lambda x, y: x / y, np.true_divide, _pair(normal, away)),
    ("div-fn", al.div, np.true_divide, _pair(normal, away)),
    ("div-method", lambda x, y: x.div(y), np.true_divide, _pair(normal, away)),
    ("pow", lambda x, y: x ** y, np.power, _pair(positive, normal)),
    ("pow-fn", al.pow, np.power, _pair(positive, normal)),
    ("maximum", al.maximum, np.maximum, _distinct_pair),
    ("maximum-method", lambda x, y: x.maximum(y), np.maximum, _distinct_pair),
    ("max-other", lambda x, y: x.max(y), np.maximum, _distinct_pair),
    ("minimum", al.minimum, np.minimum, _distinct_pair),
    ("min-other", lambda x, y: x.min(y), np.minimum, _distinct_pair),
]


@pytest.mark.parametrize(("sx", "sy"), [pytest.param(a, b, id=i) for i, a, b in BINARY_SHAPES])
@pytest.mark.parametrize(("fn", "ref", "make"), [pytest.param(*c[1:], id=c[0]) for c in BINARY])
def test_binary(leaf, fn, ref, make, sx, sy):
    check(fn, make(leaf, sx, sy), ref)


# A NumPy array on the left must reach Tensor.__r*__ (and record), not turn into an ndarray.
NDARRAY_OPS = [
    ("radd", lambda k, x: k + x, lambda k, a: k + a, normal, "normal"),
    ("rsub", lambda k, x: k - x, lambda k, a: k - a, normal, "normal"),
    ("rmul", lambda k, x: k * x, lambda k, a: k * a, normal, "normal"),
    ("rdiv", lambda k, x: k / x, lambda k, a: k / a, away, "normal"),
    ("rpow", lambda k, x: k ** x, lambda k, a: k ** a, normal, "positive"),
    ("add", lambda k, x: x + k, lambda k, a: a + k, normal, "normal"),
    ("sub", lambda k, x: x - k, lambda k, a: a - k, normal, "normal"),
    ("mul", lambda k, x: x * k, lambda k, a: a * k, normal, "normal"),
    ("div", lambda k, x: x / k, lambda k, a: a / k, normal, "away"),
    ("pow", lambda k, x: x ** k, lambda k, a: a ** k, positive, "normal"),
    ("maximum", lambda k, x: al.maximum(x, al.as_tensor(k)), lambda k, a: np.maximum(a, k), normal, "far"),
    ("where-other", lambda k, x: al.where(k > 0, x, al.tensor(k)), lambda k, a: np.where(k > 0, a, k), normal,
     "normal"),                                    # (the condition may be an array; the values must be tensors)
]

NDARRAY_SHAPES = [
    ("same", (2, 3), (2, 3)),
    ("array-bigger", (2, 3), (3,)),
    ("tensor-bigger", (3,), (2, 3)),
    ("tensor-scalar", (2, 3), ()),
    ("array-0d", (), (2, 3)),
]


@pytest.mark.parametrize(("sa", "sx"), [pytest.param(a, b, id=i) for i, a, b in NDARRAY_SHAPES])
@pytest.mark.parametrize(("fn", "ref", "make", "akind"), [pytest.param(*c[1:], id=c[0]) for c in NDARRAY_OPS])
def test_ndarray_operand(leaf, fn, ref, make, akind, sa, sx):
    if akind == "far":   # the array sits far from the tensor's values: no ties for maximum
        A = leaf.rng.choice([-5.0, 5.0], sa)
    else:
        A = np.asarray(leaf.values(sa, akind))
    x = make(leaf, sx)
    out = fn(A, x)
    assert type(out) is al.Tensor
    check(lambda t: fn(A, t), (x,), lambda a: ref(A, a))


# ---------------------------------------------------------------------------------------------
# matmul
# ---------------------------------------------------------------------------------------------

MATMUL_SHAPES = [
    ("1d@1d", (3,), (3,)),
    ("1d@2d", (3,), (3, 4)),
    ("2d@1d", (2, 3), (3,)),
    ("2d@2d", (2, 3), (3, 4)),
    ("3d@3d", (2, 2, 3), (2, 3, 4)),
    ("bcast-4d@3d", (2, 1, 3, 4), (5, 4, 2)),
    ("3d@2d", (2, 2, 3), (3, 4)),
    ("2d@3d", (2, 3), (2, 3, 4)),
    ("3d@1d", (2, 2, 3), (3,)),
    ("1d@3d", (3,), (2, 3, 4)),
]

MATMUL_FNS = [
    ("op", lambda x, y: x @ y),
    ("fn", al.matmul),
    ("method", lambda x, y: x.matmul(y)),
]


@pytest.mark.parametrize(("sx", "sy"), [pytest.param(a, b, id=i) for i, a, b in MATMUL_SHAPES])
@pytest.mark.parametrize("fn", [pytest.param(f, id=i) for i, f in MATMUL_FNS])
def test_matmul(leaf, fn, sx, sy):
    check(fn, (leaf(sx), leaf(sy)), np.matmul)


@pytest.mark.parametrize(("sx", "sy"), [pytest.param(a, b, id=i) for i, a, b in MATMUL_SHAPES])
def test_matmul_one_side_constant(leaf, sx, sy):
    A = leaf.values(sx)
    B = leaf.values(sy)
    check(lambda y: A @ y, (leaf(sy),), lambda b: A @ b)           # ndarray @ Tensor: __rmatmul__
    check(lambda x: x @ B, (leaf(sx),), lambda a: a @ B)


def test_mm_2d(leaf):
    check(al.mm, (leaf((2, 3)), leaf((3, 2))), np.matmul)


# ---------------------------------------------------------------------------------------------
# clamp, where
# ---------------------------------------------------------------------------------------------

CLAMP_SCALAR = [
    ("both", lambda x: x.clamp(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5)),
    ("fn", lambda x: al.clamp(x, -0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5)),
    ("clip", lambda x: al.clip(x, -0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5)),
    ("only-min", lambda x: x.clamp(min=-0.5), lambda a: np.maximum(a, -0.5)),
    ("only-max", lambda x: x.clamp(max=0.5), lambda a: np.minimum(a, 0.5)),
    ("only-min-fn", lambda x: al.clamp(x, min=0.5), lambda a: np.maximum(a, 0.5)),
    ("only-max-fn", lambda x: al.clamp(x, max=-0.5), lambda a: np.minimum(a, -0.5)),
]


@pytest.mark.parametrize("shape", UNARY_SHAPES + [(4, 3)], ids=_shape_id)
@pytest.mark.parametrize(("fn", "ref"), [pytest.param(*c[1:], id=c[0]) for c in CLAMP_SCALAR])
def test_clamp_scalar_bounds(leaf, fn, ref, shape):
    check(fn, (_avoid(leaf, shape, [-0.5, 0.5]),), ref)


def _clamp_inputs(lf, sx, slo, shi, crossed=False):
    """x of the full broadcast shape, bounds on either side of 0 (swapped if crossed), x >= 0.1 away
    from both bounds."""
    lo = lf.rng.uniform(-1.2, -0.2, slo)
    hi = lf.rng.uniform(0.2, 1.2, shi)
    if crossed:
        lo, hi = -lo, -hi
    x = lf.rng.uniform(-2.0, 2.0, sx)
    for b in (np.broadcast_to(lo, sx), np.broadcast_to(hi, sx)):
        x = np.where(np.abs(x - b) < 0.1, b + 0.2, x)
    return tuple(al.tensor(v, requires_grad=True) for v in (x, lo, hi))


CLAMP_TENSOR_SHAPES = [
    ("scalar", (), (), ()),
    ("vector", (5,), (5,), (5,)),
    ("matrix", (3, 4), (3, 4), (3, 4)),
    ("bcast", (3, 4), (4,), (3, 1)),
]


@pytest.mark.parametrize(("sx", "slo", "shi"), [pytest.param(*c[1:], id=c[0]) for c in CLAMP_TENSOR_SHAPES])
def test_clamp_tensor_bounds(leaf, sx, slo, shi):
    inputs = _clamp_inputs(leaf, sx, slo, shi)
    check(lambda x, lo, hi: x.clamp(lo, hi), inputs, lambda a, lo, hi: np.minimum(np.maximum(a, lo), hi))
    check(lambda x, lo, hi: al.clamp(x, min=lo), inputs, lambda a, lo, hi: np.maximum(a, lo))
    check(lambda x, lo, hi: al.clamp(x, max=hi), inputs, lambda a, lo, hi: np.minimum(a, hi))


@pytest.mark.parametrize(("sx", "slo", "shi"), [pytest.param(*c[1:], id=c[0]) for c in CLAMP_TENSOR_SHAPES])
def test_clamp_crossed_tensor_bounds(leaf, sx, slo, shi):
    # PyTorch: if min > max, clamp sets every element to max; the whole gradient goes to max.
    inputs = _clamp_inputs(leaf, sx, slo, shi, crossed=True)
    out = inputs[0].clamp(inputs[1], inputs[2])
    np.testing.assert_array_equal(out.detach().numpy(), np.broadcast_to(inputs[2].detach().numpy(), sx))
    check(lambda x, lo, hi: x.clamp(lo, hi), inputs)


WHERE_SHAPES = [
    ("scalar", (), (), ()),
    ("vector", (4,), (4,), (4,)),
    ("matrix", (2, 3), (2, 3), (2, 3)),
    ("bcast", (3,), (2, 1), (2, 3)),
    ("bcast-cond-biggest", (2, 3), (3,), ()),
]

WHERE_FNS = [   # (id, fn, reference, which of x and y the result depends on)
    ("fn", lambda c, x, y: al.where(c, x, y), np.where, "xy"),
    ("cond-tensor", lambda c, x, y: al.where(al.tensor(c), x, y), np.where, "xy"),
    ("method", lambda c, x, y: x.where(c, y), np.where, "xy"),
    ("scalar-other", lambda c, x, y: al.where(c, x, 0.5), lambda c, a, b: np.where(c, a, 0.5), "x"),
    ("scalar-input", lambda c, x, y: al.where(c, -0.5, y), lambda c, a, b: np.where(c, -0.5, b), "y"),
]


@pytest.mark.parametrize(("sc", "sx", "sy"), [pytest.param(*c[1:], id=c[0]) for c in WHERE_SHAPES])
@pytest.mark.parametrize(("fn", "ref", "uses"), [pytest.param(*c[1:], id=c[0]) for c in WHERE_FNS])
def test_where(leaf, fn, ref, uses, sc, sx, sy):
    cond = leaf.rng.random(sc) < 0.5
    x, y = leaf(sx), leaf(sy)
    if uses == "xy":
        check(lambda a, b: fn(cond, a, b), (x, y), lambda a, b: ref(cond, a, b))
    elif uses == "x":
        check(lambda a: fn(cond, a, y), (x,), lambda a: ref(cond, a, None))
    else:
        check(lambda b: fn(cond, x, b), (y,), lambda b: ref(cond, None, b))


# ---------------------------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------------------------


def _lse_ref(a, axis, keepdims):
    return np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))


def _distinct1(lf, shape):
    return lf.distinct(shape)[0]


# (id, fn(x, dim, keepdim), ref(a, axis, keepdims), maker, needs >= 2 reduced elements)
REDUCTIONS = [
    ("sum", lambda x, d, k: x.sum(d, keepdim=k), lambda a, d, k: np.sum(a, axis=d, keepdims=k), normal, False),
    ("sum-fn", lambda x, d, k: al.sum(x, d, k), lambda a, d, k: np.sum(a, axis=d, keepdims=k), normal, False),
    ("sum-numpy-kw", lambda x, d, k: x.sum(axis=d, keepdims=k),
     lambda a, d, k: np.sum(a, axis=d, keepdims=k), normal, False),
    ("mean", lambda x, d, k: x.mean(d, keepdim=k), lambda a, d, k: np.mean(a, axis=d, keepdims=k), normal, False),
    ("mean-fn", lambda x, d, k: al.mean(x, d, k), lambda a, d, k: np.mean(a, axis=d, keepdims=k), normal, False),
    ("amax", lambda x, d, k: x.amax(d, keepdim=k), lambda a, d, k: np.amax(a, axis=d, keepdims=k),
     _distinct1, False),
    ("amax-fn", lambda x, d, k: al.amax(x, d, k), lambda a, d, k: np.amax(a, axis=d, keepdims=k),
     _distinct1, False),
    ("amin", lambda x, d, k: x.amin(d, keepdim=k), lambda a, d, k: np.amin(a, axis=d, keepdims=k),
     _distinct1, False),
    ("var", lambda x, d, k: x.var(d, keepdim=k), lambda a, d, k: np.var(a, axis=d, ddof=1, keepdims=k),
     normal, True),
    ("var-fn", lambda x, d, k: al.var(x, d, keepdim=k), lambda a, d, k: np.var(a, axis=d, ddof=1, keepdims=k),
     normal, True),
    ("var-correction0", lambda x, d, k: x.var(d, correction=0, keepdim=k),
     lambda a, d, k: np.var(a, axis=d, keepdims=k), normal, False),
    ("std", lambda x, d, k: x.std(d, keepdim=k), lambda a, d, k: np.std(a, axis=d, ddof=1, keepdims=k),
     normal, True),
    ("std-unbiased-false", lambda x, d, k: al.std(x, d, unbiased=False, keepdim=k),
     lambda a, d, k: np.std(a, axis=d, keepdims=k), normal, True),
    ("logsumexp", lambda x, d, k: x.logsumexp(d, keepdim=k), _lse_ref, normal, False),
    ("logsumexp-fn", lambda x, d, k: al.logsumexp(x, d, k), _lse_ref, normal, False),
]

REDUCTION_DIMS = [
    ((), None), ((), 0), ((), -1),
    ((4,), None), ((4,), 0), ((4,), -1), ((4,), (0,)),
    ((2, 3), None), ((2, 3), 0), ((2, 3), 1), ((2, 3), -1), ((2, 3), (0, 1)), ((2, 3), (-1, -2)),
    ((2, 3, 2), None), ((2, 3, 2), 1), ((2, 3, 2), -1), ((2, 3, 2), (0, 2)), ((2, 3, 2), (-1, 0)),
]


def _count(shape, dim):
    if dim is None:
        return int(np.prod(shape, dtype=np.int64))
    dims = (dim,) if isinstance(dim, int) else dim
    return int(np.prod([shape[d] for d in dims], dtype=np.int64)) if shape else 1


@pytest.mark.parametrize("keepdim", [False, True], ids=["nokeep", "keep"])
@pytest.mark.parametrize(("shape", "dim"), [pytest.param(s, d, id=f"{_shape_id(s)}-dim{d}")
                                            for s, d in REDUCTION_DIMS])
@pytest.mark.parametrize(("fn", "ref", "make", "needs_two"), [pytest.param(*c[1:], id=c[0]) for c in REDUCTIONS])
def test_reduction(leaf, fn, ref, make, needs_two, shape, dim, keepdim):
    if needs_two and _count(shape, dim) < 2:
        # Bessel's correction over one element is 0/0; compare with NumPy's NaN separately below.
        shape = shape + (2,) if shape else (2,)
    x = make(leaf, shape)
    check(lambda t: fn(t, dim, keepdim), (x,), lambda a: _scalar_safe(ref, a, dim, keepdim))


def _scalar_safe(ref, a, dim, keepdim):
    """NumPy rejects axis=0 on a 0-d array; PyTorch accepts dim 0 and -1 there (a 0-d result)."""
    if a.ndim == 0 and dim is not None:
        return ref(a.reshape(1), 0, False).reshape(())
    return ref(a, dim, keepdim)


def test_var_of_one_element_is_nan():
    x = al.tensor(np.array([1.5]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(x.var().item())
        assert x.var(correction=0).item() == 0.0


MAXMIN_DIMS = [((), 0), ((), -1), ((4,), 0), ((4,), -1), ((2, 3), 0), ((2, 3), 1), ((2, 3), -1),
               ((2, 3, 4), 1), ((2, 3, 4), -3)]


@pytest.mark.parametrize("keepdim", [False, True], ids=["nokeep", "keep"])
@pytest.mark.parametrize(("shape", "dim"), [pytest.param(s, d, id=f"{_shape_id(s)}-dim{d}") for s, d in MAXMIN_DIMS])
@pytest.mark.parametrize(("name", "npfn", "argfn"), [("max", np.amax, np.argmax), ("min", np.amin, np.argmin)])
def test_max_min_dim(leaf, name, npfn, argfn, shape, dim, keepdim):
    (x,) = leaf.distinct(shape)
    a = x.detach().numpy()
    res = getattr(x, name)(dim, keepdim=keepdim)
    values, indices = res                                   # a (values, indices) namedtuple
    assert res.values is values and res.indices is indices
    np.testing.assert_array_equal(values.detach().numpy(), _scalar_safe(
        lambda v, d, k: npfn(v, axis=d, keepdims=k), a, dim, keepdim))
    np.testing.assert_array_equal(indices.numpy(), _scalar_safe(
        lambda v, d, k: argfn(v, axis=d, keepdims=k), a, dim, keepdim))
    assert indices.dtype == np.int64
    assert not indices.requires_grad
    fn_res = getattr(al, name)(x, dim, keepdim)
    np.testing.assert_array_equal(fn_res.values.detach().numpy(), values.detach().numpy())
    check(lambda t: getattr(t, name)(dim, keepdim=keepdim).values, (x,))


@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (2, 3, 2)], ids=_shape_id)
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_all(leaf, name, shape):
    (x,) = leaf.distinct(shape)
    ref = np.amax if name == "max" else np.amin
    check(lambda t: getattr(t, name)(), (x,), ref)
    check(lambda t: getattr(al, name)(t), (x,), ref)


def test_max_without_dim_shares_gradient_among_ties():
    x = al.tensor(np.array([[1.0, 3.0], [3.0, -2.0], [0.5, 3.0]]), requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.array([[0, 1 / 3], [1 / 3, 0], [0, 1 / 3]]))
    y = al.tensor(np.array([2.0, -1.0, -1.0]), requires_grad=True)
    (y.min() * 4.0).backward()
    np.testing.assert_allclose(y.grad.numpy(), np.array([0.0, 2.0, 2.0]))


def test_amax_along_dim_shares_gradient_among_ties_per_slice():
    x = al.tensor(np.array([[2.0, 2.0, 1.0], [0.0, 5.0, 4.0]]), requires_grad=True)
    (x.amax(1) * al.tensor(np.array([1.0, 10.0]))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.array([[0.5, 0.5, 0.0], [0.0, 10.0, 0.0]]))


def test_max_dim_gradient_goes_to_the_returned_index():
    x = al.tensor(np.array([[4.0, 4.0, 1.0], [0.0, 2.0, 2.0]]), requires_grad=True)
    values, indices = x.max(1)
    values.sum().backward()
    expected = np.zeros((2, 3))
    expected[np.arange(2), indices.numpy()] = 1.0
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    np.testing.assert_array_equal(values.detach().numpy(), [4.0, 2.0])


# ---------------------------------------------------------------------------------------------
# softmax, log_softmax
# ---------------------------------------------------------------------------------------------


def _softmax_ref(a, dim):
    e = np.exp(a - np.max(a, axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


SOFTMAX_DIMS = [((), 0), ((4,), 0), ((4,), -1), ((2, 3), 0), ((2, 3), 1), ((2, 3), -1), ((2, 3), -2),
                ((2, 3, 2), 0), ((2, 3, 2), 1), ((2, 3, 2), -1)]

SOFTMAX_FNS = [
    ("softmax", lambda x, d: x.softmax(d), _softmax_ref),
    ("softmax-fn", lambda x, d: al.softmax(x, d), _softmax_ref),
    ("log_softmax", lambda x, d: x.log_softmax(d), lambda a, d: np.log(_softmax_ref(a, d))),
    ("log_softmax-fn", lambda x, d: al.log_softmax(x, dim=d), lambda a, d: np.log(_softmax_ref(a, d))),
]


@pytest.mark.parametrize(("shape", "dim"), [pytest.param(s, d, id=f"{_shape_id(s)}-dim{d}") for s, d in SOFTMAX_DIMS])
@pytest.mark.parametrize(("fn", "ref"), [pytest.param(*c[1:], id=c[0]) for c in SOFTMAX_FNS])
def test_softmax(leaf, fn, ref, shape, dim):
    x = leaf(shape)
    check(lambda t: fn(t, dim), (x,), lambda a: ref(a, dim))


@pytest.mark.parametrize(("shape", "dim"), [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -2)])
def test_softmax_sums_to_one(rng, shape, dim):
    x = al.tensor(rng.standard_normal(shape) * 10)
    s = al.softmax(x, dim).numpy()
    assert np.all(s > 0)
    np.testing.assert_allclose(s.sum(axis=dim), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(al.log_softmax(x, dim).numpy()).sum(axis=dim), 1.0, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# shapes
# ---------------------------------------------------------------------------------------------

SHAPE_OPS = [
    ("reshape", (2, 3), lambda x: x.reshape(3, 2), lambda a: a.reshape(3, 2)),
    ("reshape-tuple", (2, 3), lambda x: x.reshape((6,)), lambda a: a.reshape(6)),
    ("reshape-minus1", (2, 3), lambda x: x.reshape(-1, 2), lambda a: a.reshape(3, 2)),
    ("reshape-fn", (2, 3), lambda x: al.reshape(x, (1, 6)), lambda a: a.reshape(1, 6)),
    ("reshape-scalar-up", (), lambda x: x.reshape(1, 1), lambda a: a.reshape(1, 1)),
    ("reshape-to-scalar", (1,), lambda x: x.reshape(()), lambda a: a.reshape(())),
    ("view", (2, 3), lambda x: x.view(3, 2), lambda a: a.reshape(3, 2)),
    ("view-as", (2, 3), lambda x: x.view_as(al.zeros(6)), lambda a: a.reshape(6)),
    ("flatten", (2, 3, 2), lambda x: x.flatten(), lambda a: a.reshape(-1)),
    ("flatten-start1", (2, 3, 2), lambda x: x.flatten(1), lambda a: a.reshape(2, 6)),
    ("flatten-fn-0-1", (2, 3, 2), lambda x: al.flatten(x, 0, 1), lambda a: a.reshape(6, 2)),
    ("flatten-scalar", (), lambda x: x.flatten(), lambda a: a.reshape(1)),
    ("transpose", (2, 3), lambda x: x.transpose(0, 1), lambda a: a.T),
    ("transpose-neg", (2, 3, 4), lambda x: x.transpose(-1, 0), lambda a: np.swapaxes(a, -1, 0)),
    ("transpose-fn", (2, 3, 4), lambda x: al.transpose(x, 1, 2), lambda a: np.swapaxes(a, 1, 2)),
    ("permute", (2, 3, 4), lambda x: x.permute(2, 0, 1), lambda a: np.transpose(a, (2, 0, 1))),
    ("permute-tuple", (2, 3, 4), lambda x: x.permute((1, 2, 0)), lambda a: np.transpose(a, (1, 2, 0))),
    ("permute-neg", (2, 3, 4), lambda x: x.permute(-1, -3, -2), lambda a: np.transpose(a, (2, 0, 1))),
    ("permute-fn", (2, 3, 4), lambda x: al.permute(x, (2, 0, 1)), lambda a: np.transpose(a, (2, 0, 1))),
    ("T-matrix", (2, 3), lambda x: x.T, lambda a: a.T),
    ("T-vector", (3,), lambda x: x.T, lambda a: a),
    ("T-3d", (2, 3, 4), lambda x: x.T, lambda a: np.transpose(a, (2, 1, 0))),
    ("mT", (2, 3, 4), lambda x: x.mT, lambda a: np.swapaxes(a, -1, -2)),
    ("t", (2, 3), lambda x: x.t(), lambda a: a.T),
    ("squeeze-all", (1, 3, 1), lambda x: x.squeeze(), lambda a: a.reshape(3)),
    ("squeeze-0", (1, 3, 1), lambda x: x.squeeze(0), lambda a: a.reshape(3, 1)),
    ("squeeze-neg", (1, 3, 1), lambda x: x.squeeze(-1), lambda a: a.reshape(1, 3)),
    ("squeeze-not-1", (2, 3), lambda x: x.squeeze(0), lambda a: a),
    ("squeeze-fn", (1, 3, 1), lambda x: al.squeeze(x, 2), lambda a: a.reshape(1, 3)),
    ("unsqueeze-0", (2, 3), lambda x: x.unsqueeze(0), lambda a: a[None]),
    ("unsqueeze-neg1", (2, 3), lambda x: x.unsqueeze(-1), lambda a: a[..., None]),
    ("unsqueeze-mid", (2, 3), lambda x: al.unsqueeze(x, 1), lambda a: a[:, None]),
    ("unsqueeze-scalar", (), lambda x: x.unsqueeze(0), lambda a: a.reshape(1)),
    ("expand", (1, 3), lambda x: x.expand(2, 3), lambda a: np.broadcast_to(a, (2, 3))),
    ("expand-tuple", (1, 3), lambda x: x.expand((4, 3)), lambda a: np.broadcast_to(a, (4, 3))),
    ("expand-minus1", (2, 1), lambda x: x.expand(-1, 4), lambda a: np.broadcast_to(a, (2, 4))),
    ("expand-new-dims", (3,), lambda x: x.expand(2, 2, 3), lambda a: np.broadcast_to(a, (2, 2, 3))),
    ("expand-scalar", (), lambda x: x.expand(2, 3), lambda a: np.broadcast_to(a, (2, 3))),
    ("expand_as", (3, 1), lambda x: x.expand_as(al.zeros(2, 3, 4)), lambda a: np.broadcast_to(a, (2, 3, 4))),
    ("broadcast_to", (3, 1), lambda x: x.broadcast_to((2, 3, 4)), lambda a: np.broadcast_to(a, (2, 3, 4))),
    ("broadcast_to-fn", (1, 2), lambda x: al.broadcast_to(x, (3, 2)), lambda a: np.broadcast_to(a, (3, 2))),
    ("reshape-then-sum", (2, 3), lambda x: x.reshape(3, 2).T.sum(0), lambda a: a.reshape(3, 2).T.sum(0)),
]


@pytest.mark.parametrize(("shape", "fn", "ref"), [pytest.param(*c[1:], id=c[0]) for c in SHAPE_OPS])
def test_shape_op(leaf, shape, fn, ref):
    check(fn, (leaf(shape),), ref)


# ---------------------------------------------------------------------------------------------
# indexing
# ---------------------------------------------------------------------------------------------

_MASK = np.array([[True, False, True, True], [False, False, False, True], [True, True, False, False]])

# (id, shape, index given to the Tensor, the same index for NumPy)
INDEXES = [
    ("slice", (3, 4), np.s_[1:], None),
    ("slice-step", (3, 4), np.s_[::2, 1:3], None),
    ("step-range", (5,), np.s_[3:0:2], None),
    ("empty-slice", (3, 4), np.s_[2:1], None),
    ("int", (3, 4), 1, None),
    ("int-neg", (3, 4), np.s_[-1, 2], None),
    ("int-slice", (3, 4), np.s_[1, ::3], None),
    ("none", (3, 4), None, None),
    ("none-mid", (3, 4), np.s_[:, None, 1:], None),
    ("ellipsis", (2, 3, 4), np.s_[..., 1], None),
    ("ellipsis-none", (2, 3, 4), np.s_[0, ..., None], None),
    ("scalar-ellipsis", (), Ellipsis, None),
    ("scalar-none", (), None, None),
    ("list-repeat", (3, 4), [0, 0, 2], None),
    ("array-repeat-2d", (3, 4), np.array([[0, 1], [1, 1]]), None),
    ("array-neg-repeat", (3, 4), np.array([-1, 2, 2]), None),
    ("two-arrays", (3, 4), ([0, 0, 2], [1, 1, 3]), None),
    ("two-arrays-bcast", (3, 4), (np.array([[0], [2]]), np.array([1, 1, 3])), None),
    ("slice-array", (3, 4), np.s_[:, [3, 3, 0]], None),
    ("array-slice", (3, 4), np.s_[[2, 2], 1:], None),
    ("ellipsis-array", (2, 3, 4), np.s_[..., [1, 1]], None),
    ("none-array", (3, 4), np.s_[None, [1, 1]], None),
    ("int-array", (2, 3, 4), np.s_[1, [0, 0], ::2], None),
    ("bool-mask", (3, 4), _MASK, None),
    ("bool-rows", (3, 4), np.array([True, False, True]), None),
    ("bool-list", (3, 4), [True, False, True], np.array([True, False, True])),
    ("bool-slice", (3, 4), np.s_[1:, np.array([True, False, False, True])], None),
    ("bool-all-false", (3, 4), np.zeros((3, 4), bool), None),
    ("int-tensor", (3, 4), al.tensor([2, 0, 2]), np.array([2, 0, 2])),
    ("int-tensor-pair", (3, 4), (al.tensor([[1, 1]]), al.tensor([0, 0])), (np.array([[1, 1]]), np.array([0, 0]))),
    ("int-tensor-0d", (3, 4), al.tensor(1), np.array(1)),
    ("bool-tensor", (3, 4), al.tensor(_MASK), _MASK),
]


@pytest.mark.parametrize(("shape", "index", "np_index"), [pytest.param(*c[1:], id=c[0]) for c in INDEXES])
def test_getitem(leaf, shape, index, np_index):
    if np_index is None:
        np_index = index
    x = leaf(shape)
    check(lambda t: t[index], (x,), lambda a: a[np_index])
    # The gradient is the adjoint of reading: add into zeros, repeated elements accumulating.
    w = leaf.values(x.detach().numpy()[np_index].shape)
    (x[index] * al.tensor(w)).sum().backward()
    expected = np.zeros(shape)
    np.add.at(expected, np_index, w)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-14, atol=0)


def test_getitem_repeated_index_accumulates_exact_counts():
    x = al.tensor(np.arange(4.0), requires_grad=True)
    x[[0, 0, 0, 3, -1]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 0.0, 2.0])


def test_iterating_a_tensor_yields_differentiable_rows(leaf):
    x = leaf((3, 2))
    rows = list(x)
    assert len(rows) == 3
    check(lambda t: tuple(t), (x,), lambda a: tuple(a))


# ---------------------------------------------------------------------------------------------
# joining and splitting
# ---------------------------------------------------------------------------------------------

JOIN = [
    ("cat-0", [(2, 3), (1, 3)], lambda *xs: al.cat(xs, 0), lambda *a: np.concatenate(a, 0)),
    ("cat-1", [(2, 3), (2, 2)], lambda *xs: al.cat(xs, 1), lambda *a: np.concatenate(a, 1)),
    ("cat-neg", [(2, 1, 3), (2, 2, 3)], lambda *xs: al.cat(list(xs), -2), lambda *a: np.concatenate(a, -2)),
    ("cat-three", [(2,), (3,), (1,)], lambda *xs: al.cat(xs), lambda *a: np.concatenate(a)),
    ("cat-same-twice", [(2,)], lambda x: al.cat([x, x * 2.0, x]), lambda a: np.concatenate([a, 2 * a, a])),
    ("concatenate-axis", [(2, 3), (2, 1)], lambda *xs: al.concatenate(xs, axis=1), lambda *a: np.concatenate(a, 1)),
    ("concat", [(1, 2), (3, 2)], lambda *xs: al.concat(xs), lambda *a: np.concatenate(a)),
    ("stack-0", [(2, 3), (2, 3)], lambda *xs: al.stack(xs), lambda *a: np.stack(a)),
    ("stack-1", [(2, 3), (2, 3), (2, 3)], lambda *xs: al.stack(xs, 1), lambda *a: np.stack(a, 1)),
    ("stack-neg1", [(2, 3), (2, 3)], lambda *xs: al.stack(xs, dim=-1), lambda *a: np.stack(a, -1)),
    ("stack-scalars", [(), (), ()], lambda *xs: al.stack(xs), lambda *a: np.stack(a)),
    ("stack-axis", [(3,), (3,)], lambda *xs: al.stack(xs, axis=1), lambda *a: np.stack(a, 1)),
]


@pytest.mark.parametrize(("shapes", "fn", "ref"), [pytest.param(*c[1:], id=c[0]) for c in JOIN])
def test_join(leaf, shapes, fn, ref):
    check(fn, tuple(leaf(s) for s in shapes), ref)


def test_cat_with_a_constant_tensor(leaf):
    C = leaf.values((2, 2))
    check(lambda x: al.cat([al.tensor(C), x], 1), (leaf((2, 3)),), lambda a: np.concatenate([C, a], 1))
    with pytest.raises(TypeError, match="cat: expected a Tensor, got ndarray"):   # as PyTorch's cat
        al.cat([C, leaf((2, 3))], 1)


def _np_split(a, sizes, axis):
    return tuple(np.split(a, np.cumsum(sizes)[:-1], axis=axis))


SPLIT = [
    ("split-int", (5, 2), lambda x: x.split(2), [2, 2, 1], 0),
    ("split-int-even", (4, 3), lambda x: al.split(x, 2), [2, 2], 0),
    ("split-sections", (5, 2), lambda x: x.split([1, 3, 1]), [1, 3, 1], 0),
    ("split-dim1", (2, 5), lambda x: al.split(x, 2, dim=1), [2, 2, 1], 1),
    ("split-neg-dim", (2, 5), lambda x: x.split([4, 1], dim=-1), [4, 1], 1),
    ("split-bigger-than-dim", (3,), lambda x: x.split(5), [3], 0),
    ("chunk-3", (5, 2), lambda x: x.chunk(3), [2, 2, 1], 0),
    ("chunk-exact", (6,), lambda x: al.chunk(x, 3), [2, 2, 2], 0),
    ("chunk-fewer-pieces", (2, 6), lambda x: al.chunk(x, 4, 1), [2, 2, 2], 1),   # ceil(6/4) = 2 -> 3 pieces
    ("chunk-neg-dim", (2, 3), lambda x: x.chunk(2, dim=-1), [2, 1], 1),
]


@pytest.mark.parametrize(("shape", "fn", "sizes", "axis"), [pytest.param(*c[1:], id=c[0]) for c in SPLIT])
def test_split_chunk(leaf, shape, fn, sizes, axis):
    x = leaf(shape)
    pieces = fn(x)
    assert isinstance(pieces, tuple)
    assert [p.shape[axis] for p in pieces] == sizes
    check(fn, (x,), lambda a: _np_split(a, sizes, axis))


# ---------------------------------------------------------------------------------------------
# pad (PyTorch convention: (left, right) pairs from the last dim backwards; negative crops)
# ---------------------------------------------------------------------------------------------


def _pad_ref(a, amounts, value=0.0):
    """Reference from the definition: dim -1 gets amounts[0:2], dim -2 amounts[2:4], ..."""
    out = a
    for i in range(len(amounts) // 2):
        axis = a.ndim - 1 - i
        lo, hi = amounts[2 * i], amounts[2 * i + 1]
        n = out.shape[axis]
        out = np.take(out, np.arange(max(-lo, 0), n - max(-hi, 0)), axis=axis)
        width = [(0, 0)] * a.ndim
        width[axis] = (max(lo, 0), max(hi, 0))
        out = np.pad(out, width, constant_values=value)
    return out


PADS = [
    ("last-dim", (2, 3), (1, 2), {}),
    ("two-dims", (2, 3), (1, 0, 0, 2), {}),
    ("first-dim-only", (2, 3), (0, 0, 1, 1), {}),
    ("value", (2, 3), (1, 1), {"value": 2.5}),
    ("crop", (2, 3), (-1, 1), {}),
    ("crop-both-sides", (3, 4), (-1, -1, 0, -1), {}),
    ("crop-and-pad", (3, 4), (2, -2, -1, 1), {"value": -1.0}),
    ("vector", (3,), (2, 1), {}),
    ("3d", (2, 2, 3), (1, 1, 0, 1, 1, 0), {}),
]


@pytest.mark.parametrize(("shape", "amounts", "kw"), [pytest.param(*c[1:], id=c[0]) for c in PADS])
def test_pad(leaf, shape, amounts, kw):
    check(lambda t: al.pad(t, amounts, **kw), (leaf(shape),), lambda a: _pad_ref(a, amounts, **kw))


def test_pad_convention_by_example():
    x = al.tensor(np.array([[1.0, 2.0]]))
    out = al.pad(x, (1, 0, 0, 1), value=9.0)
    np.testing.assert_array_equal(out.numpy(), [[9.0, 1.0, 2.0], [9.0, 9.0, 9.0]])
    np.testing.assert_array_equal(al.pad(x, (0, -1)).numpy(), [[1.0]])


# ---------------------------------------------------------------------------------------------
# gather
# ---------------------------------------------------------------------------------------------


def _gather_ref(a, dim, index):
    """PyTorch's definition: out[p] = input[p with p[dim] replaced by index[p]], p over index's shape."""
    out = np.empty(index.shape)
    for p in np.ndindex(*index.shape):
        src = list(p)
        src[dim] = index[p]
        out[p] = a[tuple(src)]
    return out


GATHERS = [
    ("dim0", (3, 4), 0, np.array([[0, 2, 2, 1], [1, 1, 0, 0]])),
    ("dim1", (3, 4), 1, np.array([[0, 0, 3, 1, 1], [2, 2, 2, 2, 0], [3, 1, 0, 1, 3]])),
    ("dim-neg", (3, 4), -1, np.array([[1], [1], [0]])),
    ("vector", (5,), 0, np.array([4, 4, 0, 2, 2, 2])),
    ("3d", (2, 3, 2), 1, np.array([[[0, 2], [2, 2]], [[1, 0], [1, 1]]])),
    # PyTorch only needs index.size(d) <= input.size(d) for d != dim; the output has index's shape
    ("index-smaller-on-other-dim", (3, 4), 1, np.array([[0, 3], [1, 1]])),
    ("index-size-1-on-other-dim", (3, 4), 1, np.array([[3, 0]])),
]


@pytest.mark.parametrize("how", ["fn", "method", "tensor-index"])
@pytest.mark.parametrize(("shape", "dim", "index"), [pytest.param(*c[1:], id=c[0]) for c in GATHERS])
def test_gather(leaf, shape, dim, index, how):
    if how == "fn":
        fn = lambda t: al.gather(t, dim, index)
    elif how == "method":
        fn = lambda t: t.gather(dim, index)
    else:
        fn = lambda t: al.gather(t, dim, al.tensor(index))
    x = leaf(shape)
    check(fn, (x,), lambda a: _gather_ref(a, dim % len(shape), index))
    # repeated indices accumulate into the gradient
    w = leaf.values(index.shape)
    (fn(x) * al.tensor(w)).sum().backward()
    expected = np.zeros(shape)
    d = dim % len(shape)
    for p in np.ndindex(*index.shape):
        src = list(p)
        src[d] = index[p]
        expected[tuple(src)] += w[p]
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-14, atol=0)


# ---------------------------------------------------------------------------------------------
# dtype casts
# ---------------------------------------------------------------------------------------------


def test_cast_float32_to_float64_gradient_comes_back_as_float32(rng):
    x = al.tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    y = x.to(al.float64)
    assert y.dtype == np.float64 and y.requires_grad and y.grad_fn is not None
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy().astype(np.float64))
    w = rng.standard_normal((2, 3))
    (y * al.tensor(w)).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), w.astype(np.float32), rtol=1e-7)


def test_cast_float64_to_float32_and_back(rng):
    a = rng.standard_normal(4)
    x = al.tensor(a, requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32
    z = y.double() * 3.0
    z.sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), np.full(4, 3.0))


def test_cast_to_int_leaves_the_graph(rng):
    x = al.tensor(rng.standard_normal(3) * 5, requires_grad=True)
    i = x.long()
    assert i.dtype == np.int64
    assert not i.requires_grad


# ---------------------------------------------------------------------------------------------
# composites: several ops in one graph, a tensor used many times
# ---------------------------------------------------------------------------------------------


def test_composite_mlp_like(leaf):
    x, w1, b1, w2 = leaf((4, 3)), leaf((3, 5)), leaf((5,)), leaf((5, 2))

    def f(x, w1, b1, w2):
        h = al.tanh(x @ w1 + b1)
        return al.log_softmax(h @ w2, dim=1).mean()

    check(f, (x, w1, b1, w2))


def test_composite_reuse(leaf):
    x = leaf((3,), positive=True)
    check(lambda t: (t * t.exp() / t.sum() + t.sqrt() * t.log()).sum(), (x,))


# ---------------------------------------------------------------------------------------------
# forward values against NumPy at extreme inputs (no overflow, no warnings)
# ---------------------------------------------------------------------------------------------


def test_logsumexp_of_large_values_is_finite():
    x = al.tensor(np.array([1000.0, 1000.0]))
    np.testing.assert_allclose(al.logsumexp(x, 0).item(), 1000.0 + np.log(2.0), rtol=1e-15)
    y = al.tensor(np.array([[-1000.0, -1000.0], [1000.0, 999.0]]))
    np.testing.assert_allclose(y.logsumexp(1).numpy(), [-1000.0 + np.log(2.0), 1000.0 + np.log1p(np.exp(-1.0))],
                               rtol=1e-15)


def test_logsumexp_gradient_at_large_values_is_softmax():
    x = al.tensor(np.array([1000.0, 1000.0, 0.0]), requires_grad=True)
    x.logsumexp(0).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.5, 0.0], atol=1e-300)


def test_sigmoid_extremes_without_warnings():
    x = al.tensor(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0]), requires_grad=True)
    s = al.sigmoid(x)
    np.testing.assert_allclose(s.detach().numpy(), [0.0, np.exp(-50.0) / (1 + np.exp(-50.0)), 0.5, 1.0, 1.0],
                               rtol=1e-14)
    assert s.detach().numpy()[0] == 0.0
    s.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_softplus_of_large_and_very_negative_inputs():
    x = al.tensor(np.array([30.0, 1000.0, -1000.0]), requires_grad=True)
    y = al.softplus(x)
    np.testing.assert_array_equal(y.detach().numpy()[:2], [30.0, 1000.0])
    assert y.detach().numpy()[2] == 0.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0, 0.0], atol=1e-300)


def test_softmax_of_large_logits():
    x = al.tensor(np.array([1000.0, 1000.0, -1000.0]))
    np.testing.assert_allclose(al.softmax(x, 0).numpy(), [0.5, 0.5, 0.0], atol=1e-300)
    np.testing.assert_allclose(al.log_softmax(x, 0).numpy()[:2], [-np.log(2.0)] * 2, rtol=1e-15)
    assert np.isfinite(al.log_softmax(x, 0).numpy()).all()


def test_softmax_with_minus_infinity_mask():
    x = al.tensor(np.array([[0.0, -np.inf, 1.0], [2.0, 2.0, -np.inf]]), requires_grad=True)
    s = al.softmax(x, 1)
    e = np.exp([[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]) * [[1, 0, 1], [1, 1, 0]]
    np.testing.assert_allclose(s.detach().numpy(), e / e.sum(1, keepdims=True), rtol=1e-15)
    (s * al.tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    assert x.grad.numpy()[0, 1] == 0.0 and x.grad.numpy()[1, 2] == 0.0


def test_elu_of_very_negative_input():
    x = al.tensor(np.array([-1000.0, 1000.0]), requires_grad=True)
    y = al.elu(x, alpha=2.0)
    np.testing.assert_array_equal(y.detach().numpy(), [-2.0, 1000.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])


def test_relu_and_abs_have_zero_gradient_at_zero():
    # PyTorch's convention at the kink.
    x = al.tensor(np.array([0.0, 0.0]), requires_grad=True)
    (al.relu(x) + al.abs(x)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_maximum_at_ties_shares_gradient():
    x = al.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = al.tensor(np.array([1.0, 0.0]), requires_grad=True)
    al.maximum(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 1.0])
    np.testing.assert_array_equal(y.grad.numpy(), [0.5, 0.0])


def test_clamp_gradient_passes_at_the_bounds():
    x = al.tensor(np.array([-1.0, 0.0, 1.0, 2.0]), requires_grad=True)
    x.clamp(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0, 0.0])


@pytest.mark.parametrize("exponent", [0, 0.0, np.float64(0.0), np.int64(0)], ids=repr)
def test_pow_zero_exponent_at_zero_base_has_zero_gradient(exponent):
    x = al.tensor(np.zeros(3), requires_grad=True)
    (x ** exponent).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))


def test_pow_zero_tensor_exponent_at_zero_base_has_zero_gradient():
    # PyTorch: d/dx x^y = y x^(y-1) is taken as 0 where y == 0, also for a tensor exponent.
    x = al.tensor(np.zeros(3), requires_grad=True)
    y = al.tensor(np.array([0.0, 1.0, 2.0]), requires_grad=True)
    (x ** y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, 0.0, 0.0])


# ---------------------------------------------------------------------------------------------
# error messages
# ---------------------------------------------------------------------------------------------


def test_matmul_shape_mismatch_names_op_and_shapes():
    a = al.tensor(np.ones((2, 3)), requires_grad=True)
    b = al.tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"matmul") as info:
        a @ b
    assert "(2, 3)" in str(info.value) and "(4, 5)" in str(info.value)
    with pytest.raises(ValueError, match=r"matmul.*\(3,\).*\(4,\)"):
        al.tensor(np.ones(3)) @ al.tensor(np.ones(4))


def test_broadcast_mismatch_names_op_and_shapes():
    a = al.tensor(np.ones((2, 3)), requires_grad=True)
    b = al.tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"^add\b") as info:
        a + b
    assert "(2, 3)" in str(info.value) and "(4,)" in str(info.value)
    with pytest.raises(ValueError, match=r"^mul\b.*\(2, 3\).*\(4,\)"):
        a * b


def test_getitem_with_float_index_tensor():
    x = al.tensor(np.arange(4.0), requires_grad=True)
    with pytest.raises(IndexError, match=r"must be int64, int32, uint8 or bool, got dtype float32"):
        x[al.tensor([1.0, 2.0])]
    with pytest.raises(IndexError, match=r"must be int64, int32, uint8 or bool, got dtype float64"):
        x[np.array([0.5])]
    with pytest.raises(IndexError, match=r"must be int64, int32, uint8 or bool, got dtype int16"):
        x[al.tensor([1], dtype=np.int16)]                  # as PyTorch's, which takes those four


@pytest.mark.parametrize("index", [np.s_[::-1], np.s_[:, ::-2], np.s_[3:0:-2]], ids=repr)
def test_negative_slice_steps_are_refused_as_in_pytorch(index):
    with pytest.raises(ValueError, match=r"getitem: slice step must be positive.*use \.flip"):
        al.ones(5, 5)[index]


@pytest.mark.parametrize("data", [[1, 2, 3], np.arange(3), 5, [True, False]], ids=["list", "ndarray", "int", "bool"])
def test_requires_grad_on_non_float_dtype_raises(data):
    with pytest.raises(TypeError, match=r"floating point"):
        al.tensor(data, requires_grad=True)


def test_requires_grad_with_int_dtype_argument_raises():
    with pytest.raises(TypeError, match=r"floating point"):
        al.tensor([1.0, 2.0], dtype=al.int64, requires_grad=True)


def test_cat_mismatched_shapes_names_cat():
    a = al.tensor(np.ones((2, 3)))
    b = al.tensor(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"^cat\b") as info:
        al.cat([a, b], 0)
    assert "(2, 3)" in str(info.value) and "(2, 4)" in str(info.value)
    al.cat([a, b], 1)   # fine along the differing dim


def test_where_requires_bool_condition():
    x = al.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match=r"where.*bool"):
        al.where(al.tensor([1, 0]), x, 0.0)
    with pytest.raises(TypeError, match=r"where.*bool"):
        al.where(np.array([0.5, 1.0]), x, x)
    with pytest.raises(TypeError, match=r"where: expected a Tensor as condition, got list"):
        al.where([True, False], x, x)                 # as PyTorch's: a Tensor (or here a NumPy array)
    with pytest.raises(TypeError, match=r"where: expected a number as the value, got ndarray"):
        al.where(np.array([True, False]), x, np.ones(2))


def test_gradcheck_rejects_float32_inputs():
    x = al.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        al.gradcheck(lambda t: t * 2, (x,))


def test_gradcheck_detects_a_wrong_gradient():
    # The checker itself must be able to fail: a primitive whose rule forgets the factor 2 of x^2.
    bad_square = al.Primitive("bad_square", np.square, lambda g, out, x: g * x)
    x = al.tensor(np.array([0.3, -0.7]), requires_grad=True)
    assert not al.gradcheck(lambda t: bad_square(t), (x,), raise_exception=False)
    with pytest.raises(al.GradcheckError, match="input 0"):
        al.gradcheck(lambda t: bad_square(t), (x,))
    good_square = al.Primitive("good_square", np.square, lambda g, out, x: 2 * g * x)
    assert al.gradcheck(lambda t: good_square(t), (x,))


# --- linear (x W^T + b, PyTorch's weight layout) and erf ---------------------------------------
@pytest.mark.parametrize("xshape", [(3,), (4, 3), (2, 4, 3)], ids=["vector", "matrix", "batched"])
@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "nobias"])
def test_linear(leaf, xshape, with_bias):
    x, w = leaf(xshape), leaf((5, 3))
    b = leaf((5,)) if with_bias else None
    if with_bias:
        check(lambda x, w, b: al.linear(x, w, b), (x, w, b), lambda x, w, b: x @ w.T + b)
    else:
        check(lambda x, w: al.linear(x, w), (x, w), lambda x, w: x @ w.T)


def test_linear_shape_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"linear: input of shape \(4, 2\).*weight of shape \(5, 3\)"):
        al.linear(al.zeros(4, 2), al.zeros(5, 3))


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=_shape_id)
def test_erf(leaf, shape):
    import math
    check(al.erf, (leaf(shape),), np.vectorize(math.erf))


# --- nll_loss: the primitive behind cross-entropy ----------------------------------------------
def _nll_ref(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    """Written out from the definition, independent of the library."""
    c = logp.shape[1]
    lp = np.moveaxis(logp, 1, -1).reshape(-1, c)
    t = target.reshape(-1)
    losses, ws = np.zeros(len(t)), np.zeros(len(t))
    for i, k in enumerate(t):
        if k == ignore_index:
            continue
        ws[i] = 1.0 if weight is None else weight[k]
        losses[i] = -lp[i, k] * ws[i]
    if reduction == "none":
        return losses.reshape(target.shape)
    return losses.sum() / (ws.sum() if reduction == "mean" else 1.0)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weighted"])
@pytest.mark.parametrize("ignore", [False, True], ids=["all", "ignore"])
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2)], ids=["NC", "NCd"])
def test_nll_loss(leaf, rng, reduction, weighted, ignore, shape):
    x = leaf(shape)
    target = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    if ignore:
        target.flat[1] = -100
    weight = rng.uniform(0.5, 2.0, shape[1]) if weighted else None
    check(lambda t: al.nll_loss(t, target, weight=weight, reduction=reduction), (x,),
          lambda a: _nll_ref(a, target, weight, reduction=reduction))


def test_nll_loss_errors():
    x = al.zeros(3, 4)
    with pytest.raises(TypeError, match="nll_loss: expected integer class indices.*float32"):
        al.nll_loss(x, al.zeros(3))
    with pytest.raises(ValueError, match=r"nll_loss: input of shape \(3, 4\) needs a target of shape \(3,\)"):
        al.nll_loss(x, np.zeros((3, 1), dtype=np.int64))
    with pytest.raises(IndexError, match="target 4 is out of bounds for 4 classes"):
        al.nll_loss(x, np.array([0, 4, 1]))
