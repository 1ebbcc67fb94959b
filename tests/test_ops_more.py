"""PyTorch's further tensor ops (log1p ... topk): forward against NumPy, gradcheck and gradgradcheck in
float64, and their argument errors. The semantics checked (NaN order in sort, int64 cumsums, rounding
half to even) are PyTorch's, as documented for each op."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_ops_gradcheck import UNARY_SHAPES, _shape_id, check

import autograd_lite as al

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=_shape_id)
@pytest.mark.parametrize("name,ref,kind", [
    ("log1p", np.log1p, "positive"), ("expm1", np.expm1, "normal"),
    ("reciprocal", np.reciprocal, "away"), ("rsqrt", lambda a: 1 / np.sqrt(a), "positive"),
])
def test_smooth_elementwise(leaf, shape, name, ref, kind):
    x = leaf(shape, kind=kind)
    check(getattr(al, name), (x,), ref)
    check(lambda t: getattr(t, name)(), (x,), ref)


@pytest.mark.parametrize("name,ref", [("floor", np.floor), ("ceil", np.ceil), ("trunc", np.trunc),
                                      ("round", np.round)])
def test_step_functions_have_zero_gradient(leaf, name, ref):
    x = leaf((2, 3)) * 3                      # the gradient is 0 everywhere, as PyTorch's (also at the jumps)
    x.retain_grad()
    out = getattr(x, name)()
    np.testing.assert_array_equal(out.array, ref(x.array))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.array, np.zeros((2, 3)))
    ints = al.tensor([1, -2, 3])
    assert getattr(ints, name)().dtype == np.int64 and getattr(ints, name)().tolist() == [1, -2, 3]


def test_round_is_half_to_even_and_takes_decimals():
    assert al.tensor([0.5, 1.5, 2.5, -0.5]).round().tolist() == [0.0, 2.0, 2.0, -0.0]
    np.testing.assert_allclose(al.tensor([1.2345, 2.5678], dtype=al.float64).round(decimals=2).array, [1.23, 2.57])


@pytest.mark.parametrize("dims", [0, 1, (0, 1), (-1,)])
def test_flip(leaf, dims):
    check(lambda t: t.flip(dims), (leaf((3, 4)),), lambda a: np.flip(a, dims))
    check(lambda t: al.flip(t, dims), (leaf((3, 4)),), lambda a: np.flip(a, dims))


@pytest.mark.parametrize("shifts,dims", [(1, 0), (-2, 1), ((1, 2), (0, 1)), (3, None)])
def test_roll(leaf, shifts, dims):
    check(lambda t: t.roll(shifts, dims), (leaf((3, 4)),), lambda a: np.roll(a, shifts, dims))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum(leaf, dim):
    check(lambda t: t.cumsum(dim), (leaf((3, 4)),), lambda a: np.cumsum(a, axis=dim))


def test_cumsum_of_integers_is_int64():
    out = al.tensor(np.array([200, 100, 50], np.uint8)).cumsum(0)
    assert out.dtype == np.int64 and out.tolist() == [200, 300, 350]


@pytest.mark.parametrize("sizes", [(2, 1), (1, 3), (2, 2, 3)])
def test_repeat(leaf, sizes):
    check(lambda t: t.repeat(*sizes), (leaf((2, 3)),), lambda a: np.tile(a, sizes))


@pytest.mark.parametrize("diagonal", [-1, 0, 1])
def test_tril_triu(leaf, diagonal):
    check(lambda t: t.tril(diagonal), (leaf((2, 3, 4)),), lambda a: np.tril(a, diagonal))
    check(lambda t: t.triu(diagonal), (leaf((3, 4)),), lambda a: np.triu(a, diagonal))


def test_masked_fill_gradient_goes_to_the_kept_entries_and_to_a_tensor_value(leaf):
    mask = np.array([[True, False, True], [False, False, True]])
    check(lambda t: t.masked_fill(al.tensor(mask), -1.0), (leaf((2, 3)),), lambda a: np.where(mask, -1.0, a))
    check(lambda t, v: t.masked_fill(al.tensor(mask[0]), v), (leaf((2, 3)), leaf(())),
          lambda a, v: np.where(mask[0], v, a))


def test_index_select_adds_repeated_indices(leaf):
    idx = al.tensor([2, 0, 2])
    check(lambda t: t.index_select(1, idx), (leaf((2, 3)),), lambda a: a[:, [2, 0, 2]])
    x = al.tensor(np.ones((2, 3)), requires_grad=True)
    x.index_select(1, idx).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [[1, 0, 2], [1, 0, 2]])


@pytest.mark.parametrize("p,dim,keepdim", [("fro", None, False), (2, 1, False), (2, (0, 1), True), (1, 0, False),
                                           (3, 1, True), (math.inf, 1, False), (-math.inf, 0, False)])
def test_norm(leaf, p, dim, keepdim):
    x = leaf((3, 4), kind="away")
    ref_p = 2 if p == "fro" else p
    axis = dim if dim is None or isinstance(dim, int) else tuple(dim)

    def ref(a):
        if ref_p in (math.inf, -math.inf):
            return (np.max if ref_p > 0 else np.min)(np.abs(a), axis=axis, keepdims=keepdim)
        return np.sum(np.abs(a) ** ref_p, axis=axis, keepdims=keepdim) ** (1 / ref_p)

    check(lambda t: t.norm(p, dim, keepdim), (x,), ref)


def test_norm_gradient_at_zero_is_zero_not_nan():
    x = al.zeros(3, dtype=al.float64, requires_grad=True)
    x.norm().backward()
    np.testing.assert_array_equal(x.grad.array, np.zeros(3))


@pytest.mark.parametrize("descending", [False, True])
def test_sort_values_carry_the_gradient(leaf, descending):
    x, = leaf.distinct((3, 5))
    check(lambda t: t.sort(1, descending).values, (x,),
          lambda a: -np.sort(-a, axis=1) if descending else np.sort(a, axis=1))
    idx = x.sort(1, descending).indices
    np.testing.assert_array_equal(np.take_along_axis(x.array, idx.array, 1), x.sort(1, descending).values.array)
    np.testing.assert_array_equal(x.argsort(1, descending=descending).array, idx.array)


def test_sort_is_stable_and_puts_nan_where_pytorch_does():
    x = al.tensor([2.0, np.nan, 1.0, 2.0, np.inf, 1.0])
    assert x.sort().indices.tolist() == [2, 5, 0, 3, 4, 1]                  # NaN is the largest
    assert x.sort(descending=True).indices.tolist() == [1, 4, 0, 3, 2, 5]   # ties keep their order
    assert al.tensor([3, 1, 2], dtype=al.uint8).sort(descending=True).values.tolist() == [3, 2, 1]
    assert al.tensor([True, False, True]).argsort(descending=True).tolist() == [0, 2, 1]


@pytest.mark.parametrize("largest", [True, False])
def test_topk(leaf, largest):
    x, = leaf.distinct((3, 6))
    check(lambda t: t.topk(2, dim=1, largest=largest).values, (x,),
          lambda a: (-np.sort(-a, axis=1) if largest else np.sort(a, axis=1))[:, :2])
    with pytest.raises(RuntimeError, match=r"topk: k=7 is out of range"):
        x.topk(7)


def test_any_all_unbind_narrow_bmm_and_new_tensors(leaf):
    b = al.tensor([[True, False], [False, False]])
    assert b.any().item() and not b.all().item()
    assert b.any(1).tolist() == [True, False] and b.all(0, keepdim=True).shape == (1, 2)
    x = leaf((3, 4))
    check(lambda t: al.stack(t.unbind(1), dim=1) * 2, (x,), lambda a: a * 2)
    check(lambda t: t.narrow(1, -3, 2), (x,), lambda a: a[:, 1:3])
    check(lambda a, c: al.bmm(a, c), (leaf((2, 3, 4)), leaf((2, 4, 2))), lambda a, c: a @ c)
    with pytest.raises(ValueError, match="bmm: expected two 3-D"):
        al.bmm(leaf((3, 4)), leaf((4, 2)))
    z = x.new_zeros(2, 3)
    assert z.dtype == np.float64 and z.shape == (2, 3) and not z.requires_grad
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0] and x.new_ones(1).dtype == np.float64
    assert x.new_tensor([1, 2]).dtype == np.float64 and al.tensor([1, 2]).type_as(x).dtype == np.float64


@pytest.mark.parametrize("bad,error,match", [
    (lambda: al.ones(3).tril(), ValueError, "tril: expected a tensor with at least 2 dims"),
    (lambda: al.ones(2, 3).repeat(2), ValueError, "repeat: got 1 sizes for a tensor with 2 dims"),
    (lambda: al.ones(2, 3).masked_fill(al.tensor([1, 0, 1]), 0.0), TypeError, "masked_fill: expected a bool mask"),
    (lambda: al.ones(2, 3).masked_fill(al.ones(3, 3) > 0, 0.0), ValueError, "does not broadcast"),
    (lambda: al.ones(2, 3).index_select(1, al.tensor([[0]])), ValueError, "index must be a 1-D tensor"),
    (lambda: al.ones(2, 3).index_select(1, al.tensor([0], dtype=al.int16)), TypeError,
     "expected an index of dtype int64 or int32, got int16"),
    (lambda: al.tensor([1, 2]).norm(), TypeError, "norm: expected a floating point tensor"),
    (lambda: al.ones(2, 3).narrow(1, 2, 2), ValueError, "narrow: start 2 and length 2 do not fit"),
    (lambda: al.ones(2, 3).roll((1, 2), 0), ValueError, "roll: got 2 shifts for 1 dims"),
    (lambda: al.ones(2, 3).flip(2), IndexError, "flip: dim 2 is out of range"),
])
def test_errors_name_the_op(bad, error, match):
    with pytest.raises(error, match=match):
        bad()


def test_dtype_names():
    # NumPy dtype objects, equal to NumPy's scalar types and printing as their names (a tensor's dtype is one too)
    torch = pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")
    for name in ("bool", "int", "int8", "short", "int16", "int32", "int64", "long", "uint8", "half", "float16",
                 "float", "float32", "double", "float64"):
        ours, theirs = getattr(al, name), getattr(torch, name)
        assert isinstance(ours, np.dtype) and str(ours) == str(theirs).replace("torch.", "")
        assert al.zeros(1, dtype=ours).dtype == ours and al.zeros(1, dtype=ours).dtype.itemsize == theirs.itemsize
    assert al.bool == np.bool_ and al.int == np.int32 and al.int8 == np.int8 and al.short == np.int16


def test_fixes_from_the_side_by_side_review():
    # new_* honour dtype=; reciprocal of integers is float; general-p norms and std have zero (not NaN)
    # gradients where PyTorch defines them so; pad(value=None) pads with 0; index_select range-checks.
    assert al.ones(2).new_zeros(2, dtype=al.int64).dtype == np.int64
    assert al.tensor([1]).new_full((2,), 1.5, dtype=al.float32).tolist() == [1.5, 1.5]
    r = al.tensor([2, 0]).reciprocal()
    assert r.dtype == np.float32 and r.tolist() == [0.5, math.inf]
    x = al.tensor([0.0, 1.0], requires_grad=True, dtype=al.float64)
    x.norm(0.5).backward()
    assert x.grad.tolist() == [0.0, 1.0]
    rows = al.tensor([[0.0, 0.0], [1.0, 2.0]], requires_grad=True, dtype=al.float64)
    rows.norm(3, dim=1).sum().backward()
    assert rows.grad.array[0].tolist() == [0.0, 0.0] and np.all(np.isfinite(rows.grad.array))
    flat = al.tensor([[2.0, 2.0]], requires_grad=True, dtype=al.float64)
    flat.std(1).sum().backward()
    assert flat.grad.tolist() == [[0.0, 0.0]]
    assert al.pad(al.ones(2), (1, 1), value=None).tolist() == [0.0, 1.0, 1.0, 0.0]
    with pytest.raises(IndexError, match="index_select: index -1 is out of range for dim 0 of size 3"):
        al.ones(3).index_select(0, al.tensor([-1]))
    assert al.tensor(np.array([1, 0], np.uint8)).any().dtype == np.uint8
    assert al.tensor(True).cumsum(0).dtype == np.int64
    np.testing.assert_allclose(al.var(al.tensor([[1.0, 2.0], [3.0, 5.0]]), 1, False, True).array, [[0.25], [1.0]])


@pytest.mark.parametrize("p", [0.5, 1.5, 3.0])
def test_general_p_norm_is_gradchecked(leaf, p):
    x = leaf((3, 4), kind="away")
    check(lambda t: t.norm(p, 1), (x,), lambda a: np.sum(np.abs(a) ** p, axis=1) ** (1 / p))


def test_std_is_gradchecked(leaf):
    check(lambda t: t.std(1), (leaf((3, 4)),), lambda a: np.std(a, axis=1, ddof=1))


@pytest.mark.parametrize("args", [(0, 5, 1.5), (0.5, 3.7), (0.5,), (5, 0, -1.5), (-2.5, 4.9, 2.2)])
def test_arange_with_float_arguments(args):
    # An integer dtype truncates the arguments first (PyTorch's): arange(0.5, 3.7, dtype=int64) is 0, 1, 2.
    ints = al.arange(*args, dtype=al.int64)
    start, end, step = (list(args) + [1])[:3] if len(args) > 1 else (0, args[0], 1)
    np.testing.assert_array_equal(ints.array, np.arange(int(start), int(end), int(step)))
    floats = al.arange(*args)
    n = max(0, math.ceil((end - start) / step))
    np.testing.assert_array_equal(floats.array, (start + np.arange(n) * step).astype(np.float32))
    assert al.arange(al.tensor(3)).dtype == np.int64


@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 2)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]), ("ij->i", [(3, 4)]),
    ("ij->ji", [(3, 4)]), ("ij,jk", [(3, 4), (4, 2)]), ("i,i->", [(4,), (4,)]), ("i,j->ij", [(3,), (2,)]),
    ("ijk,ik->j", [(2, 3, 4), (2, 4)]), ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]),
])
def test_einsum(leaf, equation, shapes):
    inputs = [leaf(s) for s in shapes]
    check(lambda *t: al.einsum(equation, *t), tuple(inputs), lambda *a: np.einsum(equation, *a))


def test_einsum_errors():
    a = al.ones(2, 3)
    for bad, match in [(lambda: al.einsum("ii->i", al.ones(2, 3)), "index 'i' is repeated in subscripts 'ii'"),
                       (lambda: al.einsum("i.j->ij", a), "not part of one '...'"),
                       (lambda: al.einsum("...ijk->ij", a), r"name 3 dims, got operand 0 of shape \(2, 3\); expected "
                                                          "at least 3"),
                       (lambda: al.einsum("ij,jk->ik", a, al.ones(4, 2)), "index 'j' has size 3 in one operand and 4"),
                       (lambda: al.einsum("ij,jk->ik", a), "names 2 operands, got 1"),
                       (lambda: al.einsum("ij->ik", a), "output subscripts 'ik'"),
                       (lambda: al.einsum("ij,jk->ik", a, al.ones(3, 2, dtype=al.float64)),
                        "einsum: expected operands of one dtype")]:
        with pytest.raises(RuntimeError, match=match):
            bad()


def _scatter_ref(x, index, src, add):
    out = x.copy()
    for i, j in np.ndindex(*index.shape):                     # dim 1, written out from the definition
        if add:
            out[i, index[i, j]] += src[i, j]
        else:
            out[i, index[i, j]] = src[i, j]
    return out


def test_scatter_and_scatter_add(leaf):
    unique = al.tensor([[0, 2, 4, 1], [3, 2, 0, 1], [4, 0, 1, 2]])       # scatter: no repeats within a row
    repeats = al.tensor([[0, 2, 2, 1], [3, 3, 0, 1], [4, 0, 2, 2]])      # scatter_add: repeats add up
    x, src = leaf((3, 5)), leaf((3, 6))                                   # src larger than index: its corner
    check(lambda a, s: a.scatter(1, unique, s), (x, src),
          lambda a, s: _scatter_ref(a, unique.array, s[:, :4], add=False))
    check(lambda a, s: a.scatter_add(1, repeats, s), (x, src),
          lambda a, s: _scatter_ref(a, repeats.array, s[:, :4], add=True))

    def in_place(a, s):
        y = a * 1
        y.scatter_(1, unique, s)
        y.scatter_add_(1, repeats, s * 2)
        return y

    check(in_place, (x, src), lambda a, s: _scatter_ref(_scatter_ref(a, unique.array, s[:, :4], False),
                                                        repeats.array, 2 * s[:, :4], True))


def test_scatter_makes_one_hot_rows_and_checks_its_arguments():
    labels = al.tensor([2, 0, 1])
    assert al.zeros(3, 4).scatter_(1, labels[:, None], 1.0).tolist() == np.eye(4)[[2, 0, 1]].tolist()
    assert al.zeros(3, 4).scatter(1, labels[:, None], value=2.0).array.sum() == 6.0
    with pytest.raises(IndexError, match="scatter: index 4 is out of range for dim 1 of size 4"):
        al.zeros(3, 4).scatter(1, al.tensor([[4]]), value=1.0)
    with pytest.raises(TypeError, match="scatter_add: expected an index of dtype int64 or int32, got float32"):
        al.zeros(2).scatter_add(0, al.tensor([0.0]), al.ones(1))
    with pytest.raises(ValueError, match="index has 1 dims but the tensor has 2"):
        al.zeros(3, 4).scatter_(1, labels, 1.0)
