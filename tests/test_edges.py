"""The engine at the edges: each case found by comparing with PyTorch is right here, or a clear error.

One test per cause (indexing, constructors, views, .grad and requires_grad assignment, index ranges, dims
of 0-d tensors, zero-size dims, sizes too large to allocate, non-numeric data), each with the reproducer
that found it. Where PyTorch is installed (the test-only oracle) results are compared with it too.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import autograd_lite as al
import nn.functional as F


def _torch():
    return pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")


# ------------------------------------------------------------------------------------------ indexing
INDICES = [
    (0, slice(None), [1, 2]),                 # (2, 4) in PyTorch; NumPy's rule gives (4, 2)
    (slice(None), 1, None, [0, 2]),
    ([0, 1], 1, [1, 2]),
    ([0, 1], slice(None), 1),
    (slice(None), [0, 1], 1),
    (1, [0, 1], slice(None), None),
    (Ellipsis, 1, [0, 1]),
    ([0], Ellipsis, [1]),
    ([[0]], slice(None), [1, 2]),
    (0, slice(None), 1, [1, 2]),
    (slice(None), [0, 1], 2, [1, 2]),         # ints between index arrays: the arrays stay adjacent
    (1, np.array([True, False, True]), 2),
    (0, [1, 1, 2], slice(1, 3), -1),          # a repeated index: gradients add up
    (None, 0, [0, 2], None, 1),
    (-1, Ellipsis, [0, 0, 3]),
]


def _as_torch_index(torch, index):
    return tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index)


def _two_steps(x: np.ndarray, index: tuple) -> np.ndarray:
    """PyTorch's reading of an index, in plain NumPy: the ints select first (their dims go away), then the
    rest (slices, None, index arrays) applies to what is left, by NumPy's rule."""
    first = []
    for i in index:
        if isinstance(i, int) or i is Ellipsis:
            first.append(i)
        elif i is not None:
            first.extend([slice(None)] * (i.ndim if isinstance(i, np.ndarray) and i.dtype == bool else 1))
    return x[tuple(first)][tuple(i for i in index if not isinstance(i, int))]


@pytest.mark.parametrize("index", INDICES, ids=repr)
def test_ints_beside_index_arrays_select_first_as_in_pytorch(index):
    x = np.arange(120.0).reshape(2, 3, 4, 5)
    xt = al.tensor(x, requires_grad=True)
    expected = _two_steps(x, index)
    got = xt[index]
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got.detach().numpy(), expected)
    assert al.gradcheck(lambda t: (t[index] * t[index]).sum(), (xt,))
    # Setting through the same index writes the same elements (without repeats: each once).
    y = al.zeros(2, 3, 4, 5, dtype=al.float64)
    y[index] = 1.0
    np.testing.assert_array_equal(y.numpy() == 1.0, np.isin(x, expected))


@pytest.mark.parametrize("index", INDICES, ids=repr)
def test_mixed_indices_against_pytorch(index):
    torch = _torch()
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    a, b = al.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ta = _as_torch_index(torch, index)
    out_a, out_b = a[index], b[ta]
    assert out_a.shape == tuple(out_b.shape)
    np.testing.assert_array_equal(out_a.detach().numpy(), out_b.detach().numpy())
    w = np.random.default_rng(1).standard_normal(out_a.shape)
    (out_a * al.tensor(w)).sum().backward()
    (out_b * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=0, atol=1e-12)
    ya, yb = al.zeros(2, 3, 4, 5, dtype=al.float64), torch.zeros(2, 3, 4, 5, dtype=torch.float64)
    v = np.arange(out_a.numel(), dtype=np.float64).reshape(out_a.shape) + 1
    ya[index] = al.tensor(v)
    yb[ta] = torch.tensor(v)
    np.testing.assert_array_equal(ya.numpy(), yb.numpy())


# ----------------------------------------------------------------------------- constructors and data
def test_tensor_options_are_keyword_only():
    with pytest.raises(TypeError):
        al.tensor([1.0, 2.0], al.float64)          # was: float32, requires_grad=True
    t = al.tensor([1.0, 2.0], dtype=al.float64)
    assert t.dtype == np.float64 and not t.requires_grad
    with pytest.raises(TypeError):
        al.full((2,), 1.0, al.float64)
    with pytest.raises(TypeError):
        al.zeros_like(t, al.float32)
    with pytest.raises(TypeError):
        t.new_tensor([1], al.int64)


@pytest.mark.parametrize("args", [(2, 3), (5,)])
def test_legacy_size_constructors_are_refused(args):
    with pytest.raises(TypeError, match=r"legacy size constructor does not exist.*al\.empty"):
        al.Tensor(*args)
    assert al.Tensor([1.0, 2.0]).shape == (2,)          # Tensor(data) is tensor(data)


@pytest.mark.parametrize("data", ["abc", ["a", "b"], b"xy", {"a": 1}, [[1, 2], [3]], object()])
def test_non_numeric_data_is_refused(data):
    with pytest.raises(TypeError, match="tensor: cannot make a tensor from"):
        al.tensor(data)


@pytest.mark.parametrize("other", ["a", b"a", {"k": 1}, object()])
def test_non_numeric_operands_are_refused_clearly(other):
    x = al.ones(2, 3)
    for op in (lambda: x + other, lambda: other * x, lambda: x < other, lambda: x.maximum(other)):
        with pytest.raises(TypeError, match=r"unsupported operand of type .*expected Tensors, numbers or NumPy arrays"):
            op()
    with pytest.raises(TypeError, match=r"maximum: expected a Tensor, got"):
        al.maximum(x, other)


# ------------------------------------------------------------------------------------------- views
def test_view_shares_memory_or_raises_and_reshape_copies():
    a = al.arange(6.0).reshape(2, 3)
    v = a.view(3, 2)
    v[0, 0] = 100.0
    assert a[0, 0].item() == 100.0                  # a view: the write reaches a
    with pytest.raises(RuntimeError, match=r"view: .* cannot be viewed as shape \(6,\) without copying.*reshape"):
        a.t().view(6)
    r = a.t().reshape(6)                             # reshape may copy
    assert r.tolist() == [100.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    assert a.stride() == (3, 1) and a.t().stride() == (1, 3) and a.stride(-1) == 1


def test_view_after_a_convolution_works_as_in_pytorch_code():
    # A convolution's output is batch-last memory here, contiguous in PyTorch: x.view(n, -1) must work.
    x = al.randn(2, 1, 8, 8, requires_grad=True)
    y = F.max_pool2d(F.conv2d(x, al.randn(3, 1, 3, 3)).relu(), 2)
    assert not y.is_contiguous()
    flat = y.view(y.size(0), -1)
    assert flat.shape == (2, 27)
    np.testing.assert_array_equal(flat.detach().numpy(), y.detach().numpy().reshape(2, -1))
    flat.sum().backward()
    assert x.grad.shape == x.shape


def test_stale_view_is_brought_up_to_date_against_pytorch():
    torch = _torch()

    def run(x, w):
        y = x * 2
        v = y[:2]
        z = v.exp() * w[:2]
        y.mul_(w)
        u = v * 3
        v.add_(1)
        return (u * u).sum() + (z * z).sum() + (y * y).sum()

    xs, ws = np.array([0.5, 1.0, 1.5]), np.array([0.7, 1.2, 0.9])
    a = [al.tensor(v, requires_grad=True) for v in (xs, ws)]
    b = [torch.tensor(v, requires_grad=True) for v in (xs, ws)]
    la, lb = run(*a), run(*b)
    la.backward()
    lb.backward()
    assert la.item() == pytest.approx(lb.item(), rel=1e-14)
    for p, q in zip(a, b):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-13)


def test_fused_lstm_cell_outputs_are_independent_under_in_place_ops():
    def f(gates, c):
        h, c2 = al.fused_lstm_cell(gates, gates * 0.5, c)
        h.mul_(2)                               # h and c2 come from one array: c2 must stay usable
        c2.add_(h)
        return (c2 * c2).sum() + (h * h).sum()

    rng = np.random.default_rng(3)
    assert al.gradcheck(f, (al.tensor(rng.standard_normal((2, 8)), requires_grad=True),
                            al.tensor(rng.standard_normal((2, 2)), requires_grad=True)))


# ------------------------------------------------------------------ requires_grad and .grad, checked
def test_requires_grad_on_integer_tensors_is_refused():
    x = al.ones(3, dtype=al.int64)
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients"):
        x.requires_grad = True
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients"):
        x.requires_grad_()
    assert not x.requires_grad
    y = al.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad = False


@pytest.mark.parametrize(("value", "error", "match"), [
    (np.ones(3, np.float32), TypeError, "expected to be a Tensor or None, got ndarray"),
    (al.ones(4), ValueError, r"has shape \(4,\), but the tensor has shape \(3,\)"),
    (al.ones(3, dtype=al.float64), TypeError, "has dtype float64, but the tensor has dtype float32"),
    (al.ones(3, dtype=al.int64), TypeError, "has dtype int64"),
])
def test_grad_assignment_is_checked(value, error, match):
    x = al.ones(3, requires_grad=True)
    with pytest.raises(error, match="grad: assigned grad " + match if "expected" not in match else match):
        x.grad = value
    assert x.grad is None
    x.grad = al.full((3,), 2.0)
    x.grad = None


# -------------------------------------------------------------------------------- index value ranges
@pytest.mark.parametrize("call", [
    lambda: al.tensor([1.0, 2.0, 3.0]).gather(0, al.tensor([-1])),        # wrapped around to 3.0 before
    lambda: al.tensor([1.0, 2.0, 3.0]).gather(0, al.tensor([3])),
    lambda: al.zeros(3).scatter(0, al.tensor([-1]), al.ones(1)),
    lambda: al.zeros(3).index_select(0, al.tensor([-1])),
])
def test_index_values_out_of_range_are_refused(call):
    with pytest.raises(IndexError, match=r"index -?\d is out of range for dim 0 of size 3"):
        call()


def test_scatter_refuses_a_src_of_another_dtype():
    with pytest.raises(TypeError, match="scatter: expected src of the tensor's dtype float32, got float64"):
        al.zeros(3).scatter(0, al.tensor([0]), al.ones(1, dtype=al.float64))


# ------------------------------------------------------------------------------- dims of 0-d tensors
@pytest.mark.parametrize("call", [
    lambda s: s.sort(1), lambda s: s.argsort(1), lambda s: s.cumsum(1), lambda s: s.flip(1),
    lambda s: s.transpose(0, 1), lambda s: s.norm(dim=2), lambda s: s.softmax(1), lambda s: s.squeeze(1),
])
def test_out_of_range_dims_of_0d_tensors_are_refused(call):
    with pytest.raises(IndexError, match=r"dim -?\d is out of range for a tensor with 0 dims"):
        call(al.tensor(1.0))


def test_dims_0_and_minus_1_of_0d_tensors_work_as_in_pytorch():
    s = al.tensor(-2.0, requires_grad=True)
    assert s.transpose(0, -1).item() == -2.0 and s.swapaxes(0, -1).shape == ()
    n = s.norm(dim=-1)
    assert n.shape == () and n.item() == 2.0
    n.backward()
    assert s.grad.item() == -1.0
    assert s.sort(-1).values.item() == -2.0 and s.cumsum(0).item() == -2.0


def test_repeated_dims_are_refused():
    with pytest.raises(ValueError, match=r"squeeze: dim 0 appears multiple times"):
        al.ones(1, 2, 1).squeeze((0, 0))
    with pytest.raises(ValueError, match=r"flip: dim 0 appears multiple times"):
        al.ones(2, 2).flip((0, -2))


# ------------------------------------------------------------------------------------ zero-size dims
def test_softmax_family_over_an_empty_dim():
    x = al.ones(2, 0, requires_grad=True)
    assert x.softmax(1).shape == (2, 0) and x.log_softmax(1).shape == (2, 0)
    lse = x.logsumexp(1)
    assert lse.tolist() == [-np.inf, -np.inf]
    lse.sum().backward()
    assert x.grad.shape == (2, 0)


def test_chunk_unflatten_and_linear_with_zero_sizes():
    torch = _torch()
    assert [c.shape for c in al.ones(0, 3).chunk(2)] == [tuple(c.shape) for c in torch.ones(0, 3).chunk(2)]
    assert [c.shape for c in al.ones(0, 3).chunk(3)] == [tuple(c.shape) for c in torch.ones(0, 3).chunk(3)]
    for shape, dim, sizes in [((0, 4), -2, (1, -1)), ((4, 0), -2, (1, -1)), ((0, 4), -1, (2, -1))]:
        assert al.ones(*shape).unflatten(dim, sizes).shape == tuple(torch.ones(*shape).unflatten(dim, sizes).shape)
    with pytest.raises(ValueError, match=r"unflatten: sizes \(4, -1\) do not match dim 0 of size 6"):
        al.ones(6).unflatten(0, (4, -1))
    x, w, b = (al.ones(*s, requires_grad=True) for s in ((2, 0), (3, 0), (3,)))
    F.linear(x, w, b).sum().backward()          # in_features == 0: the output is the bias
    assert x.grad.shape == (2, 0) and w.grad.shape == (3, 0) and b.grad.tolist() == [2.0, 2.0, 2.0]


def test_padding_cannot_crop_more_than_a_dim_holds():
    assert F.pad(al.ones(3), (-2, -1)).shape == (0,)
    with pytest.raises(ValueError, match=r"pad: padding \(-2, -2\) of dim 0 \(size 3\) crops 4 elements"):
        F.pad(al.ones(3), (-2, -2))


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_pooling_needs_channels_and_spatial_sizes(pool):
    with pytest.raises(ValueError, match=r"non-zero sizes in every dim but the batch dim, got shape \(1, 0, 4, 4\)"):
        pool(al.ones(1, 0, 4, 4), 2)
    assert pool(al.ones(0, 1, 4, 4), 2).shape == (0, 1, 2, 2)            # an empty batch is fine


def test_mm_takes_matrices_only():
    with pytest.raises(ValueError, match=r"mm: expected two matrices \(2-D tensors\), got shapes \(3,\) and \(3,\)"):
        al.mm(al.ones(3), al.ones(3))
    a = al.tensor([[1.0, 2.0]], requires_grad=True)
    out = a.mm(al.tensor([[3.0], [4.0]]))
    assert out.tolist() == [[11.0]]


# ------------------------------------------------------------------------------ avg_pool2d ceil_mode
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize(("size", "kernel", "stride", "padding"),
                         [((5, 5), 2, 2, 0), ((5, 8), 3, 2, 1), ((6, 5), 3, 3, 1), ((7, 7), 2, 3, 1)])
def test_avg_pool2d_ceil_mode(size, kernel, stride, padding, count_include_pad):
    x = al.tensor(np.random.default_rng(0).standard_normal((2, 3, *size)), requires_grad=True)

    def f(t):
        return F.avg_pool2d(t, kernel, stride, padding, ceil_mode=True, count_include_pad=count_include_pad)

    assert al.gradcheck(f, (x,))
    assert al.gradgradcheck(f, (x,))
    torch = pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")
    expected = torch.nn.functional.avg_pool2d(torch.tensor(x.detach().numpy()), kernel, stride, padding,
                                              ceil_mode=True, count_include_pad=count_include_pad)
    np.testing.assert_allclose(f(x).detach().numpy(), expected.numpy(), rtol=1e-13, atol=1e-14)


# ------------------------------------------------------------------------------- impossible sizes
@pytest.mark.parametrize("call", [
    lambda: al.ones(2).repeat(10**8, 10**8),
    lambda: al.zeros(10**8, 10**8),
    lambda: al.randn(10**13),
    lambda: al.full((10**7, 10**7), 1.0),
])
def test_sizes_beyond_memory_are_refused_before_allocating(call):
    import tracemalloc
    tracemalloc.start()
    try:
        with pytest.raises(MemoryError, match=r"would need [\d,]+ bytes, more than this machine's"):
            call()
        assert tracemalloc.get_traced_memory()[1] < 10**6       # nothing of the sort was allocated
    finally:
        tracemalloc.stop()


def test_negative_sizes_are_refused():
    with pytest.raises(ValueError, match=r"zeros: trying to create a tensor with a negative dimension"):
        al.zeros(-1, 2)


# ----------------------------------------------- in-place changes backward accepts, as PyTorch does
@pytest.mark.parametrize("make", [
    lambda x: x.gather(0, al.tensor([2, 0])),
    lambda x: al.where(al.tensor([True, False, True]), x, al.zeros(3, dtype=al.float64)),
    lambda x: x.floor() + x.sign() + x.round(),
    lambda x: al.maximum(x, al.zeros(3, dtype=al.float64) + 1.0),
])
def test_ops_whose_rules_read_nothing_changed_allow_in_place_changes(make):
    x = al.tensor([0.5, 1.5, 2.5], dtype=al.float64, requires_grad=True)
    y = x * 1
    out = make(y)
    if out.grad_fn.op.name in ("maximum", "minimum"):
        out.mul_(2)                           # maximum reads its inputs, not its output
    else:
        y.add_(1)                             # these rules do not read y
    out.sum().backward()
    assert x.grad is not None


# ------------------------------------------------------------------------------ dtypes of results
# PyTorch's type promotion (promotion.py): dimensioned tensors, then 0-d tensors, then numbers decide, and a
# lower group only by a higher category; an integer with a float gives that float. (NumPy gives the
# second column: each of these was a silent difference.)
PROMOTIONS = [
    # operands                                                               PyTorch     NumPy
    ((np.ones(2, np.int16), np.ones(2, np.float16)), np.float16),          # float32
    ((np.ones(2, np.int64), np.ones(2, np.float16)), np.float16),          # float64
    ((np.ones(2, np.float16), np.array(2.0, np.float32)), np.float16),     # float32
    ((np.ones(2, np.float32), np.array(2.0, np.float64)), np.float32),     # float64
    ((np.ones(2, np.int32), np.array(2, np.int64)), np.int32),             # int64
    ((np.ones(2, np.int64), np.array(2.5, np.float64)), np.float64),       # (a higher category decides)
    ((np.ones(2, np.int64), 2.5), np.float32),                             # float64
    ((np.ones(2, np.bool_), 2), np.int64),
    ((np.ones(2, np.uint8), np.ones(2, np.int8)), np.int16),
    ((np.ones(2, np.float32), np.ones(2, np.float64)), np.float64),
]


@pytest.mark.parametrize(("operands", "dtype"), PROMOTIONS, ids=lambda v: str(v) if not isinstance(v, tuple) else
                         "-".join(str(getattr(o, "dtype", type(o).__name__)) + ("0d" if getattr(o, "ndim", 1) == 0
                                                                                 else "") for o in v))
def test_type_promotion_follows_pytorch(operands, dtype):
    a, b = (al.tensor(o) if isinstance(o, np.ndarray) else o for o in operands)
    for result in (a + b, a * b, al.maximum(a, b) if isinstance(b, al.Tensor) else b * a):
        assert result.dtype == dtype
    if isinstance(b, al.Tensor):
        assert al.where(al.tensor([True, False]), a, b).dtype == dtype
    torch = pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")
    ta, tb = (torch.from_numpy(o) if isinstance(o, np.ndarray) else o for o in operands)
    assert str((ta + tb).dtype) == "torch." + np.dtype(dtype).name


def test_float_results_of_integers_are_computed_in_float32():
    # PyTorch converts integers to float32 first: exp(int16) is exp(float32); int / int is float32 division
    for make in (lambda x: x.exp(), lambda x: x.sqrt(), lambda x: x / al.tensor([3]), lambda x: x * 0.1):
        for dtype in (al.int16, al.int64, np.uint8, np.bool_):
            x = al.tensor(np.array([1, 2, 7]).astype(dtype))
            expected = make(x.float())
            got = make(x)
            assert got.dtype == np.float32
            np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_integers_wrap_around_as_in_pytorch():
    x = al.tensor(np.array([0, 1, 2], np.uint8))
    assert (x + (-1)).tolist() == [255, 0, 1] and (x + (-1)).dtype == np.uint8
    assert (x - 300).tolist() == [212, 213, 214]
    assert (x < -1).dtype == np.bool_


@pytest.mark.parametrize(("make", "expected"), [
    (lambda: al.tensor([True, False]).sigmoid(), ([0.7310585975646973, 0.5], np.float32)),
    (lambda: al.tensor([True, False]).sign(), ([True, False], np.bool_)),
    (lambda: al.tensor([True, False]).square(), ([1, 0], np.int64)),
    (lambda: al.tensor([1, 2]).logsumexp(0), ([2.3132617473602295], np.float32)),
    (lambda: al.tensor([1.0, 0.0, 2.0]).norm(0), ([2.0], np.float32)),
    (lambda: al.tensor([1.0, 0.5, 2.0]).norm(-1), ([0.2857142984867096], np.float32)),
    (lambda: al.tensor(2.0).nonzero(), ((1, 0), np.int64)),
    (lambda: al.tensor(0.0).nonzero(), ((0, 0), np.int64)),
    (lambda: al.tensor(2.0).any(0), ([True], np.bool_)),
    (lambda: al.tensor(0.0).all(-1), ([False], np.bool_)),
    (lambda: al.arange(6.0).reshape(2, 3)[[[0, 1], [1, 0]]], ([1.0, 3.0], np.float32)),   # a list of lists: a tuple
])
def test_small_results_as_in_pytorch(make, expected):
    values, dtype = expected
    out = make()
    assert out.dtype == dtype
    if isinstance(values, tuple):
        assert out.shape == values
    else:
        np.testing.assert_allclose(np.ravel(out.numpy()), values, rtol=1e-6)


def test_softmax_of_integers_is_refused_clearly():
    for op in ("softmax", "log_softmax"):
        with pytest.raises(TypeError, match=f"{op}: expected a floating point tensor, got dtype int64"):
            getattr(al.tensor([1, 2, 3]), op)(0)


def test_norm_with_p_0_and_negative_p_against_pytorch():
    torch = _torch()
    values = np.array([1.0, 0.5, -2.0, 0.0])
    for p in (0, -1, -2.5, 0.5, 3):
        x, t = al.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
        a, b = x.norm(p), t.norm(p)
        assert a.item() == pytest.approx(b.item(), rel=1e-12)
        a.backward()
        b.backward()
        expected = np.zeros(4) if t.grad is None else t.grad.numpy()      # (PyTorch: no gradient for p = 0)
        np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_means_of_nothing_are_nan_without_warnings():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(al.zeros(0).mean().item())
        assert np.isnan(al.zeros(0, 3).mean(0).numpy()).all()
        x = al.zeros(2, 3, requires_grad=True)
        loss = al.nll_loss(x, np.full(2, -100))          # every target ignored
        assert np.isnan(loss.item())
        loss.backward()
        assert (x.grad.numpy() == 0).all()


def test_engine_losses_check_their_arguments():
    with pytest.raises(ValueError, match="binary_cross_entropy: all elements of target should be between 0 and 1"):
        al.binary_cross_entropy(al.tensor([0.5]), al.tensor([2.0]))
    with pytest.raises(ValueError, match="binary_cross_entropy: all elements of input should be between 0 and 1"):
        al.binary_cross_entropy(al.tensor([float("nan")]), al.tensor([1.0]))
    with pytest.raises(TypeError, match="binary_cross_entropy: expected a target of dtype float32"):
        al.binary_cross_entropy(al.tensor([0.5]), al.tensor([1.0], dtype=al.float64))
    with pytest.raises(TypeError, match="nll_loss: expected weight of dtype float32"):
        al.nll_loss(al.zeros(2, 3), np.array([0, 1]), weight=al.ones(3, dtype=al.float64))


# ------------------------------------------------------------- what PyTorch refuses is refused here
@pytest.mark.parametrize(("call", "match"), [
    (lambda: al.ones(2) - al.tensor([True, False]), "sub is not supported for bool operands"),
    (lambda: al.tensor([True]) - 1, "sub is not supported for bool operands"),
    (lambda: True - al.ones(2), "sub is not supported for bool operands"),
    (lambda: -al.tensor([True]), "neg"),
    (lambda: al.tensor([True]) ** al.tensor([True]), "pow is not supported for bool operands"),
    (lambda: al.tensor([True]) // al.tensor([True]), "floor_divide is not supported for two bool operands"),
    (lambda: al.tensor([True]) % al.tensor([True]), "remainder is not supported for two bool operands"),
    (lambda: al.tensor([[True]]) @ al.tensor([[True]]), "matmul is not supported for bool operands"),
    (lambda: al.einsum("i,i->", al.tensor([True]), al.tensor([True])), "einsum is not supported for bool"),
    (lambda: al.tensor([True]).relu(), "relu is not supported for bool operands"),
    (lambda: al.ones(2) * (1, 2), "mul: unsupported operand of type tuple"),
    (lambda: al.ones(2) + [1.0, 2.0], "add: unsupported operand of type list"),
    (lambda: al.zeros(2.5), "zeros: a size must be an int, got float 2.5"),
    (lambda: al.zeros((2, 3.5)), "zeros: a size must be an int, got float 3.5"),
    (lambda: al.ones("a"), "ones: a size must be an int, got str"),
    (lambda: al.arange(5, 0), "arange: the bounds and the step are inconsistent"),
    (lambda: al.arange(0, 5, -1), "arange: the bounds and the step are inconsistent"),
    (lambda: al.randint(0, 5), "randint: missing the size"),
    (lambda: al.tensor([1, 2]).var(), "var: expected a floating point tensor"),
    (lambda: al.tensor([1, 2]).std(), "std: expected a floating point tensor"),
    (lambda: al.ones(2, 3).argmax(2), "argmax: dim 2 is out of range"),
    (lambda: al.ones(2, 3).sum((1, -1)), "sum: dim 1 appears multiple times"),
    (lambda: al.ones(3).permute(1), "permute: dim 1 is out of range"),
    (lambda: al.ones(2, 2).permute(0, 0), "permute: dim 0 appears multiple times"),
    (lambda: al.tensor(1.0).flatten(1), "flatten: dim 1 is out of range"),
    (lambda: al.tensor(1.0).unflatten(0, (1, -1)), "unflatten: expected a tensor with at least one dim"),
    (lambda: al.tensor(1.0).unbind(), "unbind: expected a tensor with at least one dim"),
    (lambda: al.tensor(1.0).split(1), "split: expected a tensor with at least one dim"),
    (lambda: al.tensor(1.0).chunk(1), "chunk: expected a tensor with at least one dim"),
    (lambda: al.tensor(1.0).narrow(0, 0, 1), "narrow: expected a tensor with at least one dim"),
    (lambda: al.tensor(1.0).roll(1, 0), "roll: expected a tensor with at least one dim"),
    (lambda: al.where(al.tensor([True]), al.ones(1), "a"), "where: expected a number as the value, got str"),
    (lambda: al.where([True], al.ones(1), 0.0), "where: expected a Tensor as condition, got list"),
    (lambda: al.ones(2).gather(0, [0]), "gather: expected a Tensor as index, got list"),
    (lambda: al.cat(al.ones(2, 3)), "cat: expected a sequence of tensors"),
])
def test_what_pytorch_refuses_is_refused_with_the_ops_name(call, match):
    with pytest.raises((TypeError, ValueError, IndexError, RuntimeError), match=match):
        call()


def test_an_in_place_op_on_a_view_of_a_leaf_is_refused():
    x = al.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="mul_: a view of a leaf tensor that requires grad is being used in an "
                                           "in-place operation"):
        x[:2].mul_(2)
    assert x.is_leaf and x.grad_fn is None                   # (it silently became a non-leaf before)
    with al.no_grad():
        x[:2].mul_(2)
    assert x.tolist() == [2.0, 2.0, 1.0]


def test_numpy_scalars_count_as_numbers_and_integers_stay_their_dtype():
    u = al.tensor(np.array([0, 1], np.uint8))
    assert (u + np.int32(3)).dtype == np.uint8 and (u - np.int32(3)).tolist() == [253, 254]
    assert (al.tensor([True]) + np.int32(3)).dtype == np.int64
    assert (al.ones(2) * np.float64(0.5)).dtype == np.float32
    u.add_(1)
    u.mul_(3)
    u.sub_(4)
    assert u.dtype == np.uint8 and u.tolist() == [255, 2]
    with pytest.raises(TypeError, match=r"div_: the result \(float32\) cannot be stored in this tensor of dtype uint8"):
        u.div_(2)


def test_0d_tensors_where_pytorch_takes_them():
    s = al.tensor(1.5, requires_grad=True)
    zero = al.zeros((), dtype=al.int64)
    assert s.index_select(0, al.tensor([0])).shape == ()
    assert s.movedim(0, 0).shape == () and s.movedim(-1, 0).shape == ()
    assert s.scatter(0, zero, al.tensor(2.5)).item() == 2.5
    out = al.scatter_add(s, 0, zero, s)
    assert out.item() == 3.0
    out.backward()
    assert s.grad.item() == 2.0


def test_setting_through_an_index_takes_a_list():
    y = al.zeros(2, 2)
    y[0] = [1.0, 2.0]
    assert y.tolist() == [[1.0, 2.0], [0.0, 0.0]]


@pytest.mark.parametrize("call", [
    lambda: al.exp([1.0, 2.0]), lambda: al.sum(np.ones(2)), lambda: al.softmax([1.0], 0), lambda: al.tanh(2.0),
    lambda: al.cat([np.ones(2), al.ones(2)]), lambda: al.maximum(al.ones(2), [1.0, 2.0]),
    lambda: al.sort(np.ones(2)), lambda: al.pad([1.0], (1, 1)),
])
def test_module_level_functions_take_tensors_as_pytorchs(call):
    with pytest.raises(TypeError, match=r"^\w+: expected a Tensor, got (list|ndarray|float)"):
        call()
    assert al.pow(2, al.tensor([1.0, 3.0])).tolist() == [2.0, 8.0]         # a number to a tensor power
    assert al.where(al.tensor([True, False]), al.ones(2), 0.0).tolist() == [1.0, 0.0]   # numbers where PyTorch


# ------------------------------------------------------------------------- the parity suite's second round
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(("shape", "amounts"), [((1, 3, 4), (1, 2)), ((1, 3, 4), (3, 0)), ((1, 3, 4), (-1, 2)),
                                                ((2, 4), (1, 1)), ((1, 3, 4), (2, 2, 1, 1)),
                                                ((1, 2, 3, 4, 3), (1, 1, 2, 2, 1, 0))])
def test_pad_modes_against_pytorch(mode, shape, amounts):
    x = al.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    assert al.gradcheck(lambda t: al.pad(t, amounts, mode=mode), (x,))
    torch = _torch()
    expected = torch.nn.functional.pad(torch.tensor(x.detach().numpy()), amounts, mode=mode)
    np.testing.assert_array_equal(al.pad(x, amounts, mode=mode).detach().numpy(), expected.numpy())


@pytest.mark.parametrize(("call", "match"), [
    (lambda: al.pad(al.ones(1, 3, 4), (4, 0), mode="reflect"), "reflect padding .* must be less than its size 4"),
    (lambda: al.pad(al.ones(1, 3, 4), (0, 5), mode="circular"), "wraps around more than once"),
    (lambda: al.pad(al.ones(4), (1, 1), mode="reflect"), "needs a 2-D or 3-D input"),
    (lambda: al.pad(al.ones(1, 4), (1, 1), mode="reflect", value=1.0), "doesn't take a value"),
    (lambda: al.pad(al.ones(1, 4), (1, 1), mode="bogus"), "unrecognised padding mode 'bogus'"),
    (lambda: al.pad(al.ones(4), (1.5, 1)), "the amounts must be ints"),
    (lambda: al.tensor([True]).abs(), "abs is not supported for bool"),
    (lambda: al.tensor([True]).floor(), "floor is not supported for bool"),
    (lambda: al.tensor([True]).argmax(), "argmax: does not support bool"),
    (lambda: al.tensor([True]).topk(1), "topk: does not support bool"),
    (lambda: al.ones(3)[al.tensor([0], dtype=np.int8)], "must be int64, int32, uint8 or bool, got dtype int8"),
    (lambda: al.ones(3).gather(0, al.tensor([0], dtype=al.int16)), "gather: expected an index of dtype int64 or int32"),
    (lambda: al.tensor([2], dtype=np.uint8) ** -1, "Integers to negative integer powers are not allowed"),
    (lambda: al.tensor([True]).add_(1), r"add_: the result \(int64\) cannot be stored in this tensor of dtype bool"),
    (lambda: al.ones(2, 3).split(0), "split: split_size must be positive"),
    (lambda: al.ones(6).split([6, -1]), "split: section sizes must be >= 0"),
    (lambda: al.linear(al.ones(2, 3), al.ones(4, 3), al.ones(3)), "linear: bias of shape"),
    (lambda: (al.ones(3, requires_grad=True) * 2).backward([1.0, 1.0, 1.0]), "gradients can be Tensors"),
    (lambda: al.ones(2).to("float32"), "to: expected a dtype"),
    (lambda: al.ones(2).to(3), "to: expected a dtype"),
    (lambda: al.ones(2, 3).expand(3), "expand: "),
    (lambda: al.bmm(al.ones(1, 2, 2), al.ones(1, 2, 2, dtype=al.float64)), "bmm: expected operands of one dtype"),
    (lambda: al.full((2,), "a"), "full: expected a number as the value"),
    (lambda: al.ones(2).masked_fill(al.tensor([True, False]), "a"), "masked_fill: expected a number"),
    (lambda: al.ones(2, 3).reshape(-2, 3), "reshape: invalid size -2"),
    (lambda: al.ones(2, 3).reshape(2.0, 3), "reshape: a size must be an int"),
    (lambda: al.linspace(0, 1, -1), "linspace: number of steps must be non-negative"),
    (lambda: al.randperm(-1), "randperm: n must be a non-negative int"),
    (lambda: al.rand(2, dtype=al.int64), "rand: expected a floating point dtype"),
    (lambda: al.from_numpy(np.array([1, None], dtype=object)), "from_numpy: can't convert an array of dtype object"),
    (lambda: al.ones(3).scatter(0, al.tensor([0]), 2.0, reduce="max"), "reduce must be 'add' or 'multiply'"),
])
def test_second_round_refusals(call, match):
    with pytest.raises((TypeError, ValueError, IndexError, RuntimeError, NotImplementedError), match=match):
        call()


def test_second_round_results_against_pytorch():
    torch = _torch()
    cases = [
        (lambda m: m.ones(2, 3)[..., ...].shape, None),
        (lambda m: m.ones(2, 0, 2)[..., -1, ...].shape, None),
        (lambda m: m.ones(1, 1, 1)[:, [0, 0], ..., m.tensor([True])].shape, None),
        (lambda m: (2 ** m.tensor([-2, 3, -1])).tolist(), None),
        (lambda m: (m.tensor([2, -1, 1, -2]) ** m.tensor([-1, -3, -2, -2])).tolist(), None),
        (lambda m: (m.tensor([True]) ** True).tolist(), None),
        (lambda m: m.ones(2).isnan().tolist() + m.tensor([float("inf")]).isinf().tolist(), None),
        (lambda m: m.arange(8.0).reshape(2, 4).index_select(1, m.tensor([2, 2])).view(4).tolist(), None),
        (lambda m: [t.shape[0] for t in m.ones(0).split(0)], None),
        (lambda m: m.zeros(3).scatter(0, m.tensor([0, 0]), m.tensor([1.0, 2.0]), reduce="add").tolist(), None),
        (lambda m: m.ones(3).scatter(0, m.tensor([0, 0]), m.tensor([2.0, 3.0]), reduce="multiply").tolist(), None),
        (lambda m: m.ones(3).masked_fill(m.ones(2, 3).bool(), 0.0).shape, None),
        (lambda m: m.einsum("ij,ij->ij", m.ones(1, 3), m.ones(2, 3)).shape, None),
        (lambda m: m.nn.functional.linear(m.ones(2, 3), m.ones(4, 3), m.ones(1)).shape, None),
        (lambda m: m.nn.functional.linear(m.ones(2, 3), m.ones(3)).shape, None),
        (lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(1, 1, 4, 4), (0, 8)).shape, None),
        (lambda m: m.tensor(-1, dtype=m.uint8).item(), None),
        (lambda m: m.ones(2).type("torch.DoubleTensor").dtype, "float64"),
    ]
    import nn as al_nn

    class AL:                 # autograd_lite under PyTorch's module names, for the shared cases
        def __getattr__(self, name):
            return al_nn if name == "nn" else getattr(al, name)

    for i, (case, expected) in enumerate(cases):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # (scatter's reduce= is deprecated in both)
            ours, theirs = case(AL()), case(torch)
        if expected is not None:                     # a dtype: float64 and torch.float64
            assert str(ours) == expected and str(theirs) == "torch." + expected, i
        elif isinstance(ours, (tuple, list)):        # a shape (torch.Size) or values
            assert tuple(ours) == tuple(theirs), (i, ours, theirs)
        else:
            assert ours == theirs, (i, ours, theirs)


def test_in_place_integer_ops_wrap_as_pytorchs():
    a = al.tensor([250], dtype=np.uint8)
    a.add_(al.tensor([10], dtype=al.int32))
    assert a.tolist() == [4]
    a.mul_(al.tensor([3]))
    assert a.tolist() == [12] and a.dtype == np.uint8


def test_a_view_made_under_no_grad_requires_grad_but_gets_no_gradient_as_in_pytorch():
    x = al.ones(3, requires_grad=True)
    with al.no_grad():
        y = x[:]
    assert y.requires_grad and y.is_leaf
    z = (y * 2).sum()
    assert z.requires_grad
    z.backward()                                      # as PyTorch's: runs, and reaches neither y nor x
    assert x.grad is None and y.grad is None
    assert al.grad((y * 3).sum(), [x, y], allow_unused=True) == (None, None)


def test_einsum_and_linear_broadcasting_are_differentiable():
    a, b = (al.randn(*shape, dtype=al.float64, requires_grad=True) for shape in ((1, 3), (2, 3)))
    assert al.gradcheck(lambda p, q: al.einsum("ij,ij->ij", p, q), (a, b))
    w = al.randn(4, 3, dtype=al.float64, requires_grad=True)
    bias = al.randn(1, dtype=al.float64, requires_grad=True)
    assert al.gradcheck(lambda x, w, c: al.linear(x, w, c), (b, w, bias))
    v = al.randn(3, dtype=al.float64, requires_grad=True)
    assert al.gradcheck(lambda x, w: al.linear(x, w), (b, v))


def test_cat_skips_empty_vectors_as_pytorchs_legacy_rule():
    torch = _torch()
    for tensors, dim in [(((2, 3), (0,)), 0), (((0,), (2, 3)), 1), (((0,), (0,)), 0)]:
        ours = al.cat([al.ones(*s) for s in tensors], dim)
        theirs = torch.cat([torch.ones(*s) for s in tensors], dim)
        assert ours.shape == tuple(theirs.shape)


def test_losses_do_not_read_their_output_so_it_may_change_in_place():
    # PyTorch's nll_loss and binary_cross_entropy backward never read the loss itself
    x = al.tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    per_sample = al.nll_loss(x.log_softmax(1), np.array([0, 2]), reduction="none")
    total = per_sample.sum()
    per_sample.mul_(2)
    total.backward()
    expected = al.tensor(x.detach().numpy(), requires_grad=True)
    al.nll_loss(expected.log_softmax(1), np.array([0, 2]), reduction="none").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected.grad.numpy())
    p = al.tensor([0.3, 0.6], dtype=al.float64, requires_grad=True)
    bce = al.binary_cross_entropy(p, al.tensor([0.0, 1.0], dtype=al.float64))
    s = bce.sum()
    bce.fill_(0.0)
    s.backward()
    np.testing.assert_allclose(p.grad.numpy(), [1 / 0.7, -1 / 0.6])
    with pytest.raises(TypeError, match="relu_: not supported for bool tensors"):
        al.tensor([True]).relu_()


@pytest.mark.parametrize(("make", "change"), [
    (lambda x: x.erf(), lambda y: y.zero_()),                     # these rules read the input, not the output
    (lambda x: x ** 2.0, lambda y: y.mul_(3)),
    (lambda x: x.log1p(), lambda y: y.add_(1)),
    (lambda x: F.softplus(x), lambda y: y.mul_(2)),
])
def test_in_place_changes_of_results_the_rules_do_not_read(make, change):
    x = al.tensor([0.5, 1.5], dtype=al.float64, requires_grad=True)
    y = make(x)
    total = (y * 1).sum()
    change(y)
    (g,) = al.grad(total, x)
    x2 = al.tensor([0.5, 1.5], dtype=al.float64, requires_grad=True)
    (expected,) = al.grad(make(x2).sum(), x2)
    np.testing.assert_allclose(g.numpy(), expected.numpy(), rtol=1e-14)


def test_rsqrt_and_number_over_tensor_read_only_their_result_as_pytorchs():
    x = al.tensor([0.5, 2.0], dtype=al.float64, requires_grad=True)
    y = x * 1
    z = y.rsqrt() + 3.0 / y
    y.mul_(2)                                   # (changes y after use; neither rule reads y)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -0.5 * np.array([0.5, 2.0]) ** -1.5 - 3.0 / np.array([0.25, 4.0]))
    torch = _torch()
    t = torch.tensor([0.5, 2.0], dtype=torch.float64)
    assert (3.0 / al.tensor(t.numpy())).numpy().tobytes() == (3.0 / t).numpy().tobytes()


def test_elu_second_derivative_at_zero_as_pytorchs():
    x = al.tensor([0.0, -0.5], requires_grad=True)
    (g,) = al.grad(F.elu(x, alpha=2.0).sum(), [x], create_graph=True)
    (gg,) = al.grad(g.sum(), [x])
    assert g.tolist()[0] == 2.0 and gg.tolist()[0] == 0.0       # alpha, then flat there (PyTorch's)
    assert al.gradgradcheck(lambda t: F.elu(t, alpha=2.0), (al.tensor([-0.7, 0.4], dtype=al.float64,
                                                                      requires_grad=True),))


def test_regression_losses_promote_as_if_the_target_were_broadcast():
    import warnings as w
    with w.catch_warnings():
        w.simplefilter("ignore")
        for f in (F.mse_loss, F.l1_loss, F.smooth_l1_loss):
            assert f(al.tensor([1.5]), al.tensor(0.5, dtype=al.float64)).dtype == np.float64
        assert F.huber_loss(al.tensor([1.5]), al.tensor(0.5, dtype=al.float64)).dtype == np.float32
    assert al.promote_types(al.int16, al.float16) == np.float16
    assert al.cat([al.ones(0), al.ones(0, 0, 1, dtype=al.int64)]).dtype == np.float32


def test_view_as_another_dtype_reads_the_same_bytes_as_pytorchs():
    torch = _torch()
    for dtype in ("int32", "float16", "uint8", "float32"):
        ours = al.tensor([1.0, -2.5]).view(getattr(al, dtype) if hasattr(al, dtype) else np.dtype(dtype))
        theirs = torch.tensor([1.0, -2.5]).view(getattr(torch, dtype))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(RuntimeError, match="view: viewing a tensor that requires grad as another dtype"):
        al.ones(2, requires_grad=True).view(al.int32)
    with pytest.raises(TypeError, match="a size must be an int, got the dtype int32; a dtype comes alone"):
        al.ones(2, 3).reshape(al.int32, 3)


# ---------------------------------------------------------------------- from the review of this change
def test_a_view_that_later_requires_grad_gets_its_gradient():
    w = al.arange(6.0).reshape(2, 3).requires_grad_()          # a view of arange's memory, then a leaf
    (w * w).sum().backward()
    assert w.grad.tolist() == [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]
    v = al.randn(3, 4).t().requires_grad_()
    assert al.grad((v * 2).sum(), v)[0].shape == (4, 3)


def test_a_stale_view_as_the_root_of_backward_is_brought_up_to_date():
    x = al.ones(4, requires_grad=True)
    y = x * 1
    v = y[:2]
    y.mul_(3)
    v.backward(al.ones(2))
    assert x.grad.tolist() == [3.0, 3.0, 0.0, 0.0]               # PyTorch's (was [1, 1, 0, 0])


def test_a_bool_in_an_index_is_a_new_dim_beside_an_ellipsis():
    torch = _torch()
    for index in [(Ellipsis, True), (Ellipsis, False), (True, Ellipsis, None)]:
        assert al.ones(2, 3)[index].shape == tuple(torch.ones(2, 3)[index].shape)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: al.zeros(al.tensor(2.5)), "zeros: a size must be an int, got Tensor"),
    (lambda: al.ones(4).reshape(al.tensor(2.0), -1), "reshape: a size must be an int, got Tensor"),
    (lambda: al.full((2, 2), al.tensor([1.0, 2.0])), "full: expected a number as the value, got Tensor"),
    (lambda: al.tensor(np.array([0, 200], np.uint8)).clamp(-1, 300), "clamp: a number cannot be converted"),
    (lambda: al.where(al.tensor([True, False]), al.tensor(np.array([0, 1], np.uint8)), 300),
     "the number 300 cannot be converted to the tensor's dtype uint8"),
    (lambda: al.Tensor([1.0, 2.0], True), "Tensor: takes the data and keyword options"),
])
def test_review_refusals(call, match):
    with pytest.raises((TypeError, ValueError, RuntimeError), match=match):
        call()
    assert al.zeros(al.tensor(2)).shape == (2,) and al.full((2,), al.tensor(3.0)).tolist() == [3.0, 3.0]


def test_comparisons_wrap_numbers_an_integer_tensor_cannot_hold_as_pytorchs():
    torch = _torch()
    u, t = al.tensor(np.array([0, 200], np.uint8)), torch.tensor([0, 200], dtype=torch.uint8)
    for f in (lambda a: a < -1, lambda a: a == 256, lambda a: a > 300, lambda a: a + 300, lambda a: a - 1):
        assert f(u).tolist() == f(t).tolist()


def test_a_numpy_bool_is_a_number_to_subtract_as_in_pytorch():
    # np.bool_ counts as a Python number (True is 1) where the tensor is not bool: only bool - bool is refused.
    np.testing.assert_array_equal((al.tensor([1.0, 2.0]) - np.bool_(True)).array, [0.0, 1.0])
    np.testing.assert_array_equal((np.bool_(True) - al.tensor([1, 2])).array, [0, -1])
    torch = _torch()
    assert (torch.tensor([1.0, 2.0]) - np.bool_(True)).tolist() == [0.0, 1.0]


def test_a_number_an_integer_tensor_cannot_hold_is_one_clear_error():
    with pytest.raises(al.DTypeError, match="clamp: a number cannot be converted to the tensor's dtype uint8") as info:
        al.tensor([1], dtype=al.uint8).clamp(-1)
    assert info.value.__suppress_context__          # not shown after NumPy's OverflowError


def test_deprecation_warnings_point_at_the_users_line():
    x, idx, src = al.zeros(3, 4), al.tensor([[0, 1, 2, 0]]), al.ones(1, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        x.scatter(0, idx, src, reduce="add")
        al.scatter(x, 0, idx, src, reduce="add")
        x[al.tensor([1, 0, 1], dtype=al.uint8)]
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, line + k) for k in range(3)]
