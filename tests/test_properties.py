"""Property-based tests: broadcasting, indexing and reductions over shapes and indices drawn by Hypothesis.

Values come from NumPy generators seeded by a drawn integer; Hypothesis runs derandomized, so every run
draws the same examples.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import (
    array_shapes,
    arrays,
    basic_indices,
    integer_array_indices,
    mutually_broadcastable_shapes,
)

import autograd_lite as al

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

PROFILE = settings(max_examples=40, deadline=None, derandomize=True, database=None)

seeds = st.integers(0, 2**32 - 1)


def _leaf(values):
    return al.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def _unbroadcast(g, shape):
    """Reference adjoint of broadcasting `shape` to `g.shape`: sum over the broadcast axes."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


# ---------------------------------------------------------------------------------------------
# (1) broadcasting binary ops
# ---------------------------------------------------------------------------------------------


def _distinct_values(rng, *shapes):
    """Pairwise-distinct values (gaps of 0.1) across all arrays: no ties for maximum/minimum."""
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    pool = (rng.permutation(sum(sizes)) - sum(sizes) / 2) * 0.1
    out, start = [], 0
    for s, n in zip(shapes, sizes):
        out.append(pool[start:start + n].reshape(s))
        start += n
    return out


def _away_from_zero(rng, shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 1.5, shape)


# name -> (fn, forward reference, (dL/dx, dL/dy) given w = dL/dout, on broadcast arrays)
BINARY = {
    "add": (lambda x, y: x + y, np.add, lambda w, a, b: (w, w)),
    "sub": (lambda x, y: x - y, np.subtract, lambda w, a, b: (w, -w)),
    "mul": (lambda x, y: x * y, np.multiply, lambda w, a, b: (w * b, w * a)),
    "div": (lambda x, y: x / y, np.divide, lambda w, a, b: (w / b, -w * a / b**2)),
    "maximum": (al.maximum, np.maximum, lambda w, a, b: (w * (a > b), w * (b > a))),
    "minimum": (al.minimum, np.minimum, lambda w, a, b: (w * (a < b), w * (b < a))),
}


@PROFILE
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=1, max_side=3),
       op=st.sampled_from(sorted(BINARY)), seed=seeds)
def test_broadcast_binary(shapes, op, seed):
    fn, ref, vjp = BINARY[op]
    rng = np.random.default_rng(seed)
    sx, sy = shapes.input_shapes
    if op in ("maximum", "minimum"):
        a, b = _distinct_values(rng, sx, sy)
    else:
        a = rng.standard_normal(sx)
        b = _away_from_zero(rng, sy) if op == "div" else rng.standard_normal(sy)
    x, y = _leaf(a), _leaf(b)

    out = fn(x, y)
    assert isinstance(out, al.Tensor)
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.detach().numpy(), ref(a, b), rtol=1e-14, atol=0)
    assert al.gradcheck(fn, (x, y))

    w = rng.standard_normal(out.shape)
    (out * al.tensor(w)).sum().backward()
    assert x.grad.shape == sx and y.grad.shape == sy
    ab, bb = np.broadcast_arrays(a, b)
    gx, gy = vjp(w, ab, bb)
    np.testing.assert_allclose(x.grad.numpy(), _unbroadcast(np.asarray(gx, dtype=np.float64), sx), rtol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), _unbroadcast(np.asarray(gy, dtype=np.float64), sy), rtol=1e-12)


@PROFILE
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, min_side=1, max_side=3),
       seed=seeds)
def test_broadcast_where(shapes, seed):
    rng = np.random.default_rng(seed)
    sc, sx, sy = shapes.input_shapes
    cond = rng.random(sc) < 0.5
    a, b = rng.standard_normal(sx), rng.standard_normal(sy)
    x, y = _leaf(a), _leaf(b)

    out = al.where(cond, x, y)
    assert out.shape == shapes.result_shape
    np.testing.assert_array_equal(out.detach().numpy(), np.where(cond, a, b))
    assert al.gradcheck(lambda s, t: al.where(cond, s, t), (x, y))

    w = rng.standard_normal(out.shape)
    (out * al.tensor(w)).sum().backward()
    assert x.grad.shape == sx and y.grad.shape == sy
    cb = np.broadcast_to(cond, out.shape)
    np.testing.assert_allclose(x.grad.numpy(), _unbroadcast(np.where(cb, w, 0.0), sx), rtol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), _unbroadcast(np.where(cb, 0.0, w), sy), rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# (2) indexing: the gradient of x[index] is np.add.at into zeros (repeats accumulate)
# ---------------------------------------------------------------------------------------------


@st.composite
def shapes_and_indices(draw):
    kind = draw(st.sampled_from(["basic", "int-arrays", "slice+int-arrays", "bool-mask"]))
    min_dims = {"basic": 0, "slice+int-arrays": 2}.get(kind, 1)
    shape = draw(array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=4))
    as_tensor = False
    if kind == "basic":
        index = draw(basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True).filter(
            lambda ix: not any(isinstance(i, slice) and (i.step or 1) < 0
                               for i in (ix if isinstance(ix, tuple) else (ix,)))))   # (PyTorch has no negative steps)
    elif kind == "int-arrays":
        # result shapes bigger than the sides force repeated indices
        index = draw(integer_array_indices(shape, result_shape=array_shapes(min_dims=0, max_dims=2, max_side=5)))
        as_tensor = draw(st.booleans())
    elif kind == "slice+int-arrays":
        rest = draw(integer_array_indices(shape[1:], result_shape=array_shapes(min_dims=1, max_dims=2, max_side=5)))
        index = (slice(None),) + tuple(rest)
    else:
        k = draw(st.integers(1, len(shape)))
        index = draw(arrays(np.bool_, shape[:k]))
        as_tensor = draw(st.booleans())
    return shape, index, as_tensor


def _to_tensor_index(index):
    if isinstance(index, tuple):
        return tuple(al.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
    return al.tensor(index)


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(case=shapes_and_indices(), seed=seeds)
def test_getitem_gradient_is_add_at(case, seed):
    shape, index, as_tensor = case
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    x = _leaf(a)
    t_index = _to_tensor_index(index) if as_tensor else index

    out = x[t_index]
    expected = a[index]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    assert al.gradcheck(lambda t: t[t_index], (x,))

    w = rng.standard_normal(expected.shape)
    (out * al.tensor(w)).sum().backward()
    ref = np.zeros(shape)
    np.add.at(ref, index, w)
    assert x.grad.shape == shape
    np.testing.assert_allclose(x.grad.numpy(), ref, rtol=1e-12, atol=0)


# ---------------------------------------------------------------------------------------------
# (3) reductions over random dims, against NumPy
# ---------------------------------------------------------------------------------------------


def _lse(a, axis, keepdims):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis if axis is not None else tuple(range(a.ndim)))


REDUCTIONS = {
    "sum": (lambda x, d, k: x.sum(d, keepdim=k), lambda a, d, k: np.sum(a, axis=d, keepdims=k)),
    "mean": (lambda x, d, k: x.mean(d, keepdim=k), lambda a, d, k: np.mean(a, axis=d, keepdims=k)),
    "amax": (lambda x, d, k: x.amax(d, keepdim=k), lambda a, d, k: np.amax(a, axis=d, keepdims=k)),
    "amin": (lambda x, d, k: al.amin(x, d, k), lambda a, d, k: np.amin(a, axis=d, keepdims=k)),
    "var": (lambda x, d, k: x.var(d, keepdim=k), lambda a, d, k: np.var(a, axis=d, ddof=1, keepdims=k)),
    "var0": (lambda x, d, k: x.var(d, correction=0, keepdim=k), lambda a, d, k: np.var(a, axis=d, keepdims=k)),
    "std": (lambda x, d, k: x.std(d, keepdim=k), lambda a, d, k: np.std(a, axis=d, ddof=1, keepdims=k)),
    "logsumexp": (lambda x, d, k: x.logsumexp(d, keepdim=k), _lse),
}


@st.composite
def shapes_and_dims(draw):
    shape = draw(array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3))
    nd = len(shape)
    if nd == 0:
        return shape, None
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return shape, None
    if kind == "int":
        return shape, draw(st.integers(-nd, nd - 1))
    axes = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
    negate = draw(st.lists(st.booleans(), min_size=len(axes), max_size=len(axes)))
    return shape, tuple(ax - nd if neg else ax for ax, neg in zip(axes, negate))


def _reduced_count(shape, dim):
    if dim is None:
        return int(np.prod(shape, dtype=np.int64))
    dims = (dim,) if isinstance(dim, int) else dim
    return int(np.prod([shape[d] for d in dims], dtype=np.int64))


@PROFILE
@given(case=shapes_and_dims(), op=st.sampled_from(sorted(REDUCTIONS)), keepdim=st.booleans(), seed=seeds)
def test_reduction_matches_numpy(case, op, keepdim, seed):
    shape, dim = case
    if op in ("var", "std") and _reduced_count(shape, dim) < 2:
        shape, dim = shape + (2,), -1       # Bessel's correction needs two elements
    fn, ref = REDUCTIONS[op]
    rng = np.random.default_rng(seed)
    (a,) = _distinct_values(rng, shape)     # no ties: amax/amin are differentiable here
    x = _leaf(a)
    out = fn(x, dim, keepdim)
    expected = np.asarray(ref(a, dim, keepdim))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    assert al.gradcheck(lambda t: fn(t, dim, keepdim), (x,))


@PROFILE
@given(shape=array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3), data=st.data(),
       name=st.sampled_from(["max", "min"]), keepdim=st.booleans(), seed=seeds)
def test_max_min_along_dim_matches_numpy(shape, data, name, keepdim, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    rng = np.random.default_rng(seed)
    (a,) = _distinct_values(rng, shape)
    x = _leaf(a)
    values, indices = getattr(x, name)(dim, keepdim=keepdim)
    npfn, argfn = (np.amax, np.argmax) if name == "max" else (np.amin, np.argmin)
    np.testing.assert_array_equal(values.detach().numpy(), npfn(a, axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(indices.numpy(), argfn(a, axis=dim, keepdims=keepdim))
    values.sum().backward()
    expected = np.zeros(shape)
    np.put_along_axis(expected, argfn(a, axis=dim, keepdims=True), 1.0, axis=dim)
    np.testing.assert_array_equal(x.grad.numpy(), expected)
