"""In-place ops on tensors in the graph (PyTorch's semantics): y.add_(...), y[i] = v, y.relu_(), ...

The tensor keeps its identity and its memory and becomes the in-place op's output; what it held before
lives on as the op's input, and ops recorded earlier still send their gradients there. Each case is
gradchecked in float64 through a function that uses the in-place op, so the gradients are checked
against central differences, not against hand-written numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
import nn


def leaf(*shape, seed=0):
    return al.tensor(np.random.default_rng(seed).uniform(0.5, 1.5, shape), requires_grad=True)


def _check(fn, *inputs):
    assert al.gradcheck(fn, inputs)


def test_add_sub_mul_div_in_place_are_differentiated():
    def f(x, w):
        y = x * 2
        z = y * 3                        # recorded before: uses the old y
        y.add_(w)
        y.mul_(w)
        y.sub_(x, alpha=0.5)
        y.div_(w + 1)
        return (y * y).sum() + z.sum()

    _check(f, leaf(3), leaf(3, seed=1))


def test_the_other_operand_can_be_the_tensor_itself():
    def f(x):
        y = x * 2
        y.add_(y)
        y.mul_(y)
        return y.sum()

    _check(f, leaf(3))


def test_setitem_in_a_loop_like_an_rnn_buffer():
    def f(w, h0):
        out = al.zeros(4, 2, dtype=al.float64)
        h = h0
        for t in range(4):
            h = (h * w).tanh()
            out[t] = h
        return (out * out).sum()

    _check(f, leaf(2), leaf(2, seed=2))


def test_setitem_of_a_part_and_with_a_broadcast_value():
    def f(x, v):
        y = x * 1.5
        y[1:, 0] = v                      # a 0-d value broadcast over two entries
        y[0] = y[0] * 2                   # reads the old row, writes it back
        return (y * y).sum()

    _check(f, leaf(3, 2), leaf())


def test_masked_fill_fill_copy_and_zero_in_place():
    mask = al.tensor([True, False, True])

    def f(x, v):
        y = x * 2
        y.masked_fill_(mask, 0.0)
        a = x * 1
        a.fill_(v)
        b = x * 1
        b.copy_(x * x)
        c = x * 1
        c.zero_()
        return (y * y).sum() + (a * x).sum() + b.sum() + c.sum()

    _check(f, leaf(3), leaf())


def test_relu_and_clamp_in_place():
    def f(x):
        y = x - 1.0
        y.relu_()
        z = x * 2 - 2.0
        z.clamp_(-0.8, 0.6)
        return (y * y).sum() + (z * z).sum()

    x = al.tensor([0.3, 0.7, 1.4, 1.9, 0.45], dtype=al.float64, requires_grad=True)   # away from the kinks
    _check(f, x)


def test_residual_block_with_in_place_add_and_relu():
    def f(x, w):
        out = x @ w
        out += x
        out.relu_()
        return out.sum()

    _check(f, leaf(2, 3), leaf(3, 3, seed=3))


def test_ops_that_read_the_old_value_are_refused_as_in_pytorch():
    x = leaf(3)
    y = x * 2
    z = y.exp()                           # exp's rule reads its output, z: not y
    w = y * x                             # mul's rule for x reads y
    y.add_(1)
    z.sum().backward(retain_graph=True)   # fine: what exp read is unchanged
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        w.sum().backward()


def test_an_op_that_does_not_read_its_input_allows_changing_it():
    # The audit's case: PyTorch succeeds because exp saves its output, not its input.
    w = leaf(2)
    a = w * 1
    b = a.exp()
    with al.no_grad():
        a.mul_(2)
    b.sum().backward()
    np.testing.assert_allclose(w.grad.array, np.exp(w.array))


def test_a_multiplication_by_a_constant_does_not_need_its_input():
    def f(w):
        out = al.zeros(3, 2, dtype=al.float64)
        out[0] = w * 1
        for t in range(1, 3):
            out[t] = (out[t - 1] * 2).tanh()          # out[t - 1] * 2 never reads out[t - 1] back
        return out.sum()

    _check(f, leaf(2))


def test_leaves_and_views_are_refused_with_clear_errors():
    x = leaf(3)
    with pytest.raises(RuntimeError, match="add_: a leaf tensor that requires grad"):
        x.add_(1)
    ints = al.zeros(2, dtype=al.int64)
    with pytest.raises(TypeError, match=r"add_: the result \(float64\) cannot be stored in this tensor of dtype int64"):
        ints.add_(leaf(2))


def test_a_view_taken_before_an_in_place_change_is_brought_up_to_date():
    # As PyTorch regenerates a view's grad_fn: v reads the new y, in values and in the graph, and ops
    # recorded with v before the change keep the old place (here z uses the old y's first two elements).
    def f(x, w):
        y = x * 2
        v = y[:2]
        z = v.exp() * w[:2]                   # (exp reads its output, not v: v may change)
        y.mul_(w)                             # v now holds 2 x w there
        u = v * 3
        v.add_(1)                             # in place on the refreshed view: writes into y
        return (u * u).sum() + (z * z).sum() + (y * y).sum()

    _check(f, leaf(3), leaf(3, seed=1))

    def g(x):                                 # fused_lstm_cell's h and c are views of one array
        h, c = al.fused_lstm_cell(x, x * 2, x[:, :1] * 1)
        h.mul_(2)
        return (c * c).sum() + (h * h).sum()

    _check(g, leaf(2, 4))


def test_an_element_is_a_view_as_in_pytorch():
    t = al.zeros(3)
    t[1].add_(2.0)                        # NumPy's t.array[1] would be a copy
    t[2].fill_(5.0)
    assert t.tolist() == [0.0, 2.0, 5.0]


def test_in_place_ops_on_views_write_into_the_base():
    # PyTorch's CopySlices: y[0] += 1, y[:, 1] *= w, buf[1:] += w[1:] on tensors in the graph.
    def f(x, w):
        y = x * 1
        y[0] += 1.0
        y[:, 1] *= w
        y[1:].mul_(y[:1] + 1)                 # a view updated from another view of the same tensor
        z = y.reshape(-1)
        z[2:5].add_(w)                        # a view of a view
        return (y * y).sum()

    _check(f, leaf(3, 2), leaf(3, seed=4))


def test_a_view_of_a_plain_buffer_brings_it_into_the_graph():
    def f(w):
        buf = al.zeros(3, 2, dtype=al.float64)
        buf[1:] += w
        buf[0].copy_(w[0] * 2)
        return (buf * buf).sum()

    _check(f, leaf(2, 2))


def test_views_and_numpy_aliases_see_the_change():
    x = leaf(3)
    y = x * 2
    arr = y.array
    y.add_(1)
    assert arr is y.array
    np.testing.assert_allclose(arr, x.array * 2 + 1)
    y2 = x * 1
    with al.no_grad():
        alias = y2[1:]                    # outside the graph: a plain view
    y2.mul_(3)
    np.testing.assert_allclose(alias.array, x.array[1:] * 3)


def test_double_backward_through_an_in_place_op():
    def f(x):
        with al.enable_grad():            # gradcheck's numerical pass runs f under no_grad
            y = x * x
            y.add_(x)
            (g,) = al.grad(y.sum(), [x], create_graph=True)
        return (g * g).sum()

    _check(f, leaf(3))


def test_relu_module_in_place_matches_out_of_place():
    x = leaf(2, 3) - 1.0
    a = nn.ReLU(inplace=True)(x * 1)
    b = nn.ReLU()(x * 1)
    np.testing.assert_array_equal(a.array, b.array)
    y = x * 1
    assert nn.functional.relu(y, inplace=True) is y


def test_graph_pictures_show_the_version_each_op_used():
    from autograd_lite import viz

    x = al.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = x * 2
    z = y * y
    y.add_(1)
    lines = viz.summary(z.sum() + y.sum()).splitlines()
    assert lines[1].startswith("%1 = mul(%0, 2)") and lines[2].startswith("%2 = mul(%1, %1)")
    assert any(line.startswith("%4 = add_(%1, 1)") for line in lines)    # the new y is made from the old


def test_old_versions_are_released_with_the_graph():
    # A long-lived tensor changed in place many times keeps its old values only while a graph needs them.
    import gc

    x = leaf(1000)
    y = x * 1
    w = leaf(1000, seed=5)
    for _ in range(5):
        y.mul_(w)                          # each keeps a copy of the old y: w's gradient needs it
    assert all(ref() is not None and ref().array is not y.array for _, ref in y._earlier_versions)
    y.sum().backward()
    gc.collect()
    assert all(ref() is None for _, ref in y._earlier_versions)
    np.testing.assert_allclose(x.grad.array, w.array ** 5)
    z = x * 2
    w = z * 3
    z.add_(1)
    z.sum().backward()                     # frees the graph w was recorded on
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        w.sum().backward()


def test_views_of_a_tensor_in_any_memory_order_change_in_place_as_in_pytorch():
    # The base is a transpose in memory: its view's elements are found by their byte offsets.
    x = leaf(3)
    base = al.from_numpy(np.ones((2, 3)).T)
    base[0].add_(x[:2] * 1)
    np.testing.assert_array_equal(base.array, [[1 + x.array[0], 1 + x.array[1]], [1, 1], [1, 1]])
    base.sum().backward()
    np.testing.assert_array_equal(x.grad.array, [1, 1, 0])


@pytest.mark.parametrize("nd", [1, 2])
def test_in_place_ops_on_views_of_a_convolutions_output(nd):
    # A convolution returns its output batch-last in memory, (N, O, *S) as a view of (O, *S, N): PyTorch
    # changes slices of it in place (channels_last outputs are ordinary tensors there), and so do we.
    rng = np.random.default_rng(3)
    conv = al.conv1d if nd == 1 else al.conv2d
    x = al.tensor(rng.standard_normal((2, 3) + (6,) * nd), requires_grad=True)
    w = al.tensor(rng.standard_normal((4, 3) + (3,) * nd), requires_grad=True)
    s = al.tensor(rng.standard_normal((2, 2) + (4,) * nd), requires_grad=True)

    def f(x, w, s):
        y = conv(x, w)
        assert not y.array.flags.c_contiguous
        y[:, 0] += 1
        y[:, 1:3].mul_(s)
        y[1, :, 0] *= 2
        return y

    assert al.gradcheck(f, (x, w, s))
    assert al.gradgradcheck(f, (x, w, s))
    torch = pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")
    xt, wt, st = (torch.tensor(t.array, requires_grad=True) for t in (x, w, s))
    yt = (torch.nn.functional.conv1d if nd == 1 else torch.nn.functional.conv2d)(xt, wt)
    yt[:, 0] += 1
    yt[:, 1:3].mul_(st)
    yt[1, :, 0] *= 2
    r = rng.standard_normal(tuple(yt.shape))
    (yt * torch.tensor(r)).sum().backward()
    y = f(x, w, s)
    (y * al.tensor(r)).sum().backward()
    np.testing.assert_allclose(y.array, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    for ours, theirs in ((x, xt), (w, wt), (s, st)):
        np.testing.assert_allclose(ours.grad.array, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_a_hook_on_a_view_made_under_no_grad_is_not_called_as_in_pytorch():
    x = leaf(3)
    y = x * 1
    with al.no_grad():
        v = y[:2]
    calls = []
    v.register_hook(lambda g: calls.append(g))
    (v * 2).sum().backward()
    assert calls == [] and v.grad is None and x.grad is None


def test_in_place_on_a_view_of_memory_that_overlaps_itself_is_refused_as_in_pytorch():
    from numpy.lib.stride_tricks import as_strided
    rows = al.from_numpy(as_strided(np.arange(1.0, 5.0), shape=(3, 2), strides=(8, 8)))   # rows share elements
    with pytest.raises(RuntimeError, match="mul: unsupported operation: more than one element of the written-to "
                                           "tensor refers to a single memory location"):
        rows[1].mul_(leaf(1)[0])
    np.testing.assert_array_equal(rows.array, [[1, 2], [2, 3], [3, 4]])       # unchanged
    expanded = (leaf(2) * 1).expand(3, 2).detach()
    with pytest.raises(RuntimeError, match="refers to a single memory location"):
        expanded[0].mul_(leaf(2))


@pytest.mark.parametrize("layout", ["c", "f", "reversed", "conv"])
def test_views_are_found_in_their_base_whatever_its_layout(layout):
    # The positions of a view's elements in its base, for each way a base can lie in memory: by division
    # for bases stored row-major in some order of their dims, by lookup for the others (negative strides).
    a = np.arange(24.0).reshape(2, 3, 4)
    base = {"c": a.copy(), "f": np.asfortranarray(a), "reversed": a[::-1, :, ::-1],
            "conv": np.ascontiguousarray(a.transpose(1, 2, 0)).transpose(2, 0, 1)}[layout]
    original = base.copy()
    d = al.from_numpy(base)                       # (shares base's memory, as PyTorch's from_numpy)
    w = al.tensor(2.0, requires_grad=True, dtype=al.float64)
    d[:, 1:, ::2].mul_(w)
    expected = original.copy()
    expected[:, 1:, ::2] *= 2
    np.testing.assert_array_equal(d.array, expected)
    (d * al.from_numpy(np.ones((2, 3, 4)))).sum().backward()
    np.testing.assert_allclose(w.grad.array, original[:, 1:, ::2].sum())
