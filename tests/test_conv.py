"""Convolution and pooling: forward against plain-loop NumPy references, gradcheck and gradgradcheck in
float64, PyTorch's argument rules and error messages, and the nn layers' parameters, init and reprs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as al
import nn
import nn.functional as F

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


# ---------------------------------------------------------------------------------------------
# Plain-loop references: one output element at a time, straight from the definitions
# ---------------------------------------------------------------------------------------------


def _pairs(padding, kernel, dilation):
    """PyTorch's padding per spatial dim as (before, after)."""
    nd = len(kernel)
    if padding == "valid":
        return [(0, 0)] * nd
    if padding == "same":   # total d(k-1); an odd total puts the extra zero after
        return [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation)]
    pad = (padding,) * nd if isinstance(padding, int) else tuple(padding)
    return [(p, p) for p in pad]


def _nd(value, nd):
    return (value,) * nd if isinstance(value, int) else tuple(value)


def conv_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """out[n, o, p] = b[o] + sum over c in o's group and kernel offsets k of w[o, c, k] x[n, c, s p + d k]."""
    unbatched = x.ndim == w.ndim - 1
    if unbatched:
        x = x[None]
    nd = w.ndim - 2
    stride, dilation, kernel = _nd(stride, nd), _nd(dilation, nd), w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + _pairs(padding, kernel, dilation))
    size = [(xp.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(nd)]
    n_batch, n_out, c_per_group = x.shape[0], w.shape[0], w.shape[1]
    out_per_group = n_out // groups
    out = np.zeros((n_batch, n_out, *size))
    for n in range(n_batch):
        for o in range(n_out):
            first = (o // out_per_group) * c_per_group
            for p in np.ndindex(*size):
                total = 0.0 if b is None else b[o]
                for c in range(c_per_group):
                    for k in np.ndindex(*kernel):
                        pos = tuple(p[i] * stride[i] + k[i] * dilation[i] for i in range(nd))
                        total += w[(o, c) + k] * xp[(n, first + c) + pos]
                out[(n, o) + p] = total
    return out[0] if unbatched else out


def _pool_size(n, k, s, p, d, ceil_mode):
    o = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    return o - 1 if ceil_mode and (o - 1) * s >= n + p else o


def max_pool_ref(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Each window's maximum, and where it is (flat in the plane): the first maximum, padding excluded."""
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    (kh, kw), (ph, pw), (dh, dw) = _nd(kernel_size, 2), _nd(padding, 2), _nd(dilation, 2)
    sh, sw = _nd(kernel_size if stride is None else stride, 2)
    n_batch, chans, h, w = x.shape
    oh, ow = _pool_size(h, kh, sh, ph, dh, ceil_mode), _pool_size(w, kw, sw, pw, dw, ceil_mode)
    out, idx = np.zeros((n_batch, chans, oh, ow)), np.zeros((n_batch, chans, oh, ow), dtype=np.int64)
    for n in range(n_batch):
        for c in range(chans):
            for i in range(oh):
                for j in range(ow):
                    best, where = -np.inf, None
                    for a in range(kh):
                        for b in range(kw):
                            r, q = i * sh - ph + a * dh, j * sw - pw + b * dw
                            if 0 <= r < h and 0 <= q < w and (where is None or x[n, c, r, q] > best):
                                best, where = x[n, c, r, q], r * w + q
                    out[n, c, i, j], idx[n, c, i, j] = best, where
    return (out[0], idx[0]) if unbatched else (out, idx)


def avg_pool_ref(x, kernel_size, stride=None, padding=0, count_include_pad=True, divisor_override=None):
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    (kh, kw), (ph, pw) = _nd(kernel_size, 2), _nd(padding, 2)
    sh, sw = _nd(kernel_size if stride is None else stride, 2)
    n_batch, chans, h, w = x.shape
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    out = np.zeros((n_batch, chans, oh, ow))
    for n in range(n_batch):
        for c in range(chans):
            for i in range(oh):
                for j in range(ow):
                    total, inside = 0.0, 0
                    for a in range(kh):
                        for b in range(kw):
                            r, q = i * sh - ph + a, j * sw - pw + b
                            if 0 <= r < h and 0 <= q < w:
                                total += x[n, c, r, q]
                                inside += 1
                    divisor = divisor_override or (kh * kw if count_include_pad else inside)
                    out[n, c, i, j] = total / divisor
    return out[0] if unbatched else out


def adaptive_ref(x, output_size):
    oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
    h, w = x.shape[-2:]
    oh, ow = oh or h, ow or w
    out = np.zeros(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, r1 = math.floor(i * h / oh), math.ceil((i + 1) * h / oh)
            c0, c1 = math.floor(j * w / ow), math.ceil((j + 1) * w / ow)
            out[..., i, j] = x[..., r0:r1, c0:c1].mean(axis=(-2, -1))
    return out


def test_references_agree_with_hand_computed_values() -> None:
    # The references themselves, on cases small enough to work out by hand.
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_allclose(conv_ref(x, np.ones((1, 1, 2, 2)))[0, 0],
                               [[10, 14, 18], [26, 30, 34], [42, 46, 50]])
    np.testing.assert_allclose(conv_ref(x, np.ones((1, 1, 1, 1)), padding=1)[0, 0, 0], np.zeros(6))
    np.testing.assert_allclose(max_pool_ref(x, 2)[0][0, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(max_pool_ref(x, 2)[1][0, 0], [[5, 7], [13, 15]])
    np.testing.assert_allclose(avg_pool_ref(x, 2)[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    np.testing.assert_allclose(adaptive_ref(x, 1)[0, 0], [[7.5]])


# ---------------------------------------------------------------------------------------------
# Gradient checks
# ---------------------------------------------------------------------------------------------


def _leaf(rng, shape):
    return al.tensor(rng.standard_normal(shape), requires_grad=True)


def check(fn, inputs, ref):
    """Forward against `ref` (on NumPy copies of the inputs), then gradcheck and gradgradcheck."""
    out = fn(*inputs)
    assert isinstance(out, al.Tensor) and out.dtype == np.float64 and out.requires_grad
    expected = ref(*[None if t is None else t.detach().numpy() for t in inputs])
    assert out.shape == expected.shape, (out.shape, expected.shape)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    assert al.gradcheck(fn, inputs)
    assert al.gradgradcheck(fn, inputs)


# (x shape, weight shape, keyword arguments, with bias). Every setting a layer accepts appears:
# stride 1/2 (and per dim), padding 0/1/pair/'same' (odd and even kernels)/'valid', dilation 1/2,
# groups 1/2/depthwise (with a channel multiplier too), with and without bias, batched and unbatched.
CONV2D = [
    ((2, 3, 5, 5), (2, 3, 3, 3), {}, True),
    ((2, 3, 5, 5), (2, 3, 3, 3), {"stride": 2}, False),
    ((2, 2, 5, 6), (3, 2, 2, 3), {"padding": 1}, True),
    ((2, 2, 4, 5), (2, 2, 3, 2), {"padding": (1, 2), "stride": (2, 1)}, True),
    ((1, 2, 5, 5), (2, 2, 3, 3), {"padding": "same", "dilation": 2}, True),
    ((2, 2, 5, 4), (2, 2, 2, 3), {"padding": "same"}, False),                  # asymmetric 'same'
    ((2, 2, 6, 6), (2, 2, 3, 3), {"padding": "valid", "stride": 2, "dilation": 2}, True),
    ((2, 2, 6, 5), (2, 2, 3, 2), {"padding": (2, 0), "stride": (1, 2), "dilation": (2, 1)}, False),
    ((2, 4, 5, 5), (4, 2, 3, 3), {"padding": 1, "groups": 2}, True),
    ((2, 4, 5, 5), (2, 2, 2, 2), {"stride": 2, "dilation": 2, "groups": 2}, False),
    ((2, 3, 5, 5), (3, 1, 3, 3), {"padding": 1, "groups": 3}, True),           # depthwise
    ((1, 2, 4, 4), (4, 1, 2, 2), {"stride": 2, "groups": 2}, False),           # depthwise, 2 per channel
    ((2, 3, 4, 4), (2, 3, 1, 1), {"stride": 2}, True),                         # 1x1
    ((3, 5, 5), (2, 3, 3, 3), {"padding": 1}, True),                           # unbatched
    ((4, 4, 5), (4, 2, 3, 2), {"padding": "same", "groups": 2}, False),        # unbatched
]

CONV1D = [
    ((2, 3, 7), (4, 3, 3), {}, True),
    ((2, 3, 7), (2, 3, 3), {"stride": 2, "padding": 1}, False),
    ((2, 2, 6), (2, 2, 4), {"padding": "same"}, True),                         # asymmetric 'same'
    ((2, 2, 7), (3, 2, 3), {"padding": "same", "dilation": 2}, False),
    ((2, 2, 9), (2, 2, 3), {"padding": "valid", "stride": 2, "dilation": 2}, True),
    ((2, 2, 6), (2, 2, 2), {"padding": (2,), "dilation": (2,)}, True),
    ((2, 4, 6), (2, 2, 3), {"groups": 2, "padding": 1}, True),
    ((2, 3, 6), (6, 1, 3), {"groups": 3, "stride": 2}, False),                 # depthwise, 2 per channel
    ((3, 7), (2, 3, 3), {"padding": 1}, True),                                 # unbatched
]


def _conv_id(case):
    x, w, kw, bias = case
    settings = ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults"
    return f"x{'x'.join(map(str, x))}-w{'x'.join(map(str, w))}-{settings}-{'bias' if bias else 'nobias'}"


def _check_conv(fn, rng, case):
    x_shape, w_shape, kw, bias = case
    inputs = [_leaf(rng, x_shape), _leaf(rng, w_shape)] + ([_leaf(rng, w_shape[:1])] if bias else [])

    def f(x, w, b=None):
        return fn(x, w, b, **kw)

    check(f, inputs, lambda x, w, b=None: conv_ref(x, w, b, **kw))


@pytest.mark.parametrize("case", CONV2D, ids=[_conv_id(c) for c in CONV2D])
def test_conv2d(rng, case) -> None:
    _check_conv(al.conv2d, rng, case)


@pytest.mark.parametrize("case", CONV1D, ids=[_conv_id(c) for c in CONV1D])
def test_conv1d(rng, case) -> None:
    _check_conv(al.conv1d, rng, case)


def conv_grads_ref(x, w, g, stride, padding):
    """dx and dw of sum(g * conv(x, w)) for groups=1, dilation=1: each output position's window, in turn."""
    kh, kw = w.shape[2:]
    (sh, sw), (ph, pw) = _nd(stride, 2), _nd(padding, 2)
    xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i, j in np.ndindex(*g.shape[2:]):
        window = (slice(None), slice(None), slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw))
        dw += np.einsum("no,nckl->ockl", g[:, :, i, j], xp[window])
        dxp[window] += np.einsum("no,ockl->nckl", g[:, :, i, j], w)
    return dxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]], dw


@pytest.mark.parametrize("x_shape,stride,padding", [((16, 2, 8, 16), 1, 1), ((16, 2, 8, 16), (1, 2), 0),
                                                     ((32, 1, 16, 16), 1, 0)])
def test_conv_at_sizes_that_take_the_fast_paths(rng, x_shape, stride, padding) -> None:
    # Large enough for the products to be cut into blocks of output pixels, with rows of 2 KiB, where
    # transposes go through cache-sized blocks, and (the last) a weight gradient summed over 6272 columns
    # in blocks of 896: all invisible at gradcheck sizes.
    x, w, b = _leaf(rng, x_shape), _leaf(rng, (3, x_shape[1], 3, 3)), _leaf(rng, (3,))
    out = al.conv2d(x, w, b, stride=stride, padding=padding)
    np.testing.assert_allclose(out.array, conv_ref(x.array, w.array, b.array, stride, padding), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(out.shape)
    out.backward(al.tensor(g))
    dx, dw = conv_grads_ref(x.array, w.array, g, stride, padding)
    np.testing.assert_allclose(x.grad.array, dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad.array, dw, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad.array, g.sum(axis=(0, 2, 3)), rtol=1e-10)


def test_empty_batch(rng) -> None:
    x, w = al.zeros(0, 4, 5, 5, dtype=np.float64, requires_grad=True), _leaf(rng, (4, 2, 3, 3))
    out = al.conv2d(x, w, padding=1, groups=2)
    assert out.shape == (0, 4, 5, 5)
    out.sum().backward()
    assert x.grad.shape == x.shape and w.grad.shape == w.shape and not w.grad.array.any()
    assert al.max_pool2d(x, 2).shape == al.avg_pool2d(x, 2).shape == (0, 4, 2, 2)


def test_conv_keeps_float32_and_accepts_keywords(rng) -> None:
    x = al.tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32))
    w = al.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    out = F.conv2d(input=x, weight=w, stride=2, padding=1)
    assert out.dtype == np.float32 and out.shape == (2, 4, 3, 3)
    np.testing.assert_allclose(out.array, conv_ref(x.array.astype(np.float64), w.array.astype(np.float64),
                                                  stride=2, padding=1), rtol=1e-5, atol=1e-5)
    out.sum().backward()
    assert w.grad.dtype == np.float32 and w.grad.shape == w.shape


def test_conv_bias_gradient_is_the_sum_over_batch_and_pixels(rng) -> None:
    x, w, b = _leaf(rng, (3, 2, 5, 4)), _leaf(rng, (4, 2, 2, 2)), _leaf(rng, (4,))
    g = rng.standard_normal((3, 4, 4, 3))
    al.conv2d(x, w, b).backward(al.tensor(g))
    np.testing.assert_allclose(b.grad.array, g.sum(axis=(0, 2, 3)), rtol=1e-12)


def test_conv_hessian_vector_product_matches_finite_differences(rng) -> None:
    # create_graph through conv, conv_transpose and conv_weight_grad: d/dw of (grad_x . v)
    x, w = _leaf(rng, (2, 2, 5, 5)), _leaf(rng, (3, 2, 3, 3))
    v = rng.standard_normal(x.shape)

    def grad_x_dot_v(wv):
        out = al.conv2d(x, wv, stride=2, padding=1)
        (gx,) = al.grad((out * out).sum(), x, create_graph=True)
        return (gx * al.tensor(v)).sum()

    (hv,) = al.grad(grad_x_dot_v(w), w)
    d = rng.standard_normal(w.shape)
    eps = 1e-6
    plus = grad_x_dot_v(al.tensor(w.array + eps * d)).item()
    minus = grad_x_dot_v(al.tensor(w.array - eps * d)).item()
    np.testing.assert_allclose((hv.array * d).sum(), (plus - minus) / (2 * eps), rtol=1e-6)


# (input shape, keyword arguments); inputs have distinct values, so every window has one maximum
MAX_POOL = [
    ((2, 2, 4, 4), {"kernel_size": 2}),
    ((2, 2, 5, 5), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((1, 2, 4, 6), {"kernel_size": (2, 3), "stride": (1, 2)}),
    ((1, 2, 6, 6), {"kernel_size": 3, "stride": 1, "padding": 1, "dilation": 2}),      # overlapping
    ((1, 2, 5, 6), {"kernel_size": 2, "stride": 2, "ceil_mode": True}),
    ((1, 1, 6, 5), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ((2, 5, 5), {"kernel_size": 2, "stride": 1}),                                      # unbatched
]


@pytest.mark.parametrize("shape,kw", MAX_POOL, ids=[str(k) for _, k in MAX_POOL])
def test_max_pool2d(leaf, shape, kw) -> None:
    (x,) = leaf.distinct(shape)
    check(lambda t: al.max_pool2d(t, **kw), [x], lambda a: max_pool_ref(a, **kw)[0])
    out, indices = al.max_pool2d(x, return_indices=True, **kw)
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(indices.array, max_pool_ref(x.array, **kw)[1])


def test_max_pool_gradient_goes_to_the_first_maximum_and_adds_up_over_windows() -> None:
    x = al.ones(1, 1, 2, 4, dtype=np.float64, requires_grad=True)     # every window is a tie
    out, indices = al.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(indices.array, [[[[0, 2]]]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.array, [[[[1, 0, 1, 0], [0, 0, 0, 0]]]])
    # overlapping windows (stride 1) that share one maximum: it receives every window's gradient
    y = al.tensor(np.array([[[[0.0, 1, 0], [1, 9, 1], [0, 1, 0]]]]), requires_grad=True)
    al.max_pool2d(y, 2, stride=1).sum().backward()
    np.testing.assert_array_equal(y.grad.array, [[[[0, 0, 0], [0, 4, 0], [0, 0, 0]]]])


def test_max_pool_nan_is_the_maximum_and_padding_is_never_chosen() -> None:
    x = al.tensor(np.array([[[[1.0, np.nan], [3.0, 2.0]]]]))
    out, indices = al.max_pool2d(x, 2, return_indices=True)
    assert np.isnan(out.item()) and indices.item() == 1
    # a window that holds only -inf and padding picks its first element inside the input
    z = al.tensor(np.full((1, 1, 2, 2), -np.inf))
    out, indices = al.max_pool2d(z, 2, stride=2, padding=1, return_indices=True)
    np.testing.assert_array_equal(indices.array, [[[[0, 1], [2, 3]]]])
    assert np.all(out.array == -np.inf)


AVG_POOL = [
    ((2, 2, 4, 4), {"kernel_size": 2}),
    ((2, 2, 5, 5), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((2, 2, 5, 5), {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}),
    ((1, 2, 5, 4), {"kernel_size": (3, 2), "stride": (1, 2), "padding": (1, 0), "count_include_pad": False}),
    ((1, 2, 5, 5), {"kernel_size": 3, "stride": 1, "padding": 1, "divisor_override": 4}),
    ((2, 5, 5), {"kernel_size": 2, "stride": 1}),                                       # unbatched
]


@pytest.mark.parametrize("shape,kw", AVG_POOL, ids=[str(k) for _, k in AVG_POOL])
def test_avg_pool2d(rng, shape, kw) -> None:
    check(lambda t: al.avg_pool2d(t, **kw), [_leaf(rng, shape)], lambda a: avg_pool_ref(a, **kw))


ADAPTIVE = [
    ((2, 2, 6, 8), (3, 4)),          # divisible: the reshape-mean path
    ((2, 2, 5, 7), (3, 4)),          # cells of unequal size that overlap
    ((2, 2, 5, 7), (2, None)),       # None keeps the input's size
    ((2, 2, 5, 7), 1),               # global average pooling
    ((1, 2, 3, 2), (5, 4)),          # larger than the input
    ((2, 5, 7), (2, 3)),             # unbatched
]


@pytest.mark.parametrize("shape,size", ADAPTIVE, ids=[f"{s}->{o}" for s, o in ADAPTIVE])
def test_adaptive_avg_pool2d(rng, shape, size) -> None:
    check(lambda t: al.adaptive_avg_pool2d(t, size), [_leaf(rng, shape)], lambda a: adaptive_ref(a, size))


# ---------------------------------------------------------------------------------------------
# Errors: PyTorch's rules, with messages that name the op and the shapes
# ---------------------------------------------------------------------------------------------


def _z(*shape):
    return al.zeros(*shape, dtype=np.float64)


@pytest.mark.parametrize("call,error,message", [
    (lambda: al.conv2d(_z(3, 5), _z(4, 3, 3, 3)), ValueError,
     r"conv2d: expected a 3D \(unbatched\) or 4D \(batched\) input, got shape \(3, 5\)"),
    (lambda: al.conv1d(_z(1, 2, 3, 5), _z(4, 2, 3)), ValueError,
     r"conv1d: expected a 2D \(unbatched\) or 3D \(batched\) input, got shape \(1, 2, 3, 5\)"),
    (lambda: al.conv2d(_z(1, 3, 5, 5), _z(4, 3, 3)), ValueError,
     r"conv2d: expected a 4D weight \(out_channels, in_channels/groups, kH, kW\), got shape \(4, 3, 3\)"),
    (lambda: al.conv2d(_z(1, 3, 5, 5), _z(4, 1, 3, 3), groups=2), ValueError,
     r"conv2d: input of shape \(1, 3, 5, 5\) has 3 channels, which is not divisible by groups=2"),
    (lambda: al.conv2d(_z(1, 3, 5, 5), _z(4, 2, 3, 3)), ValueError,
     r"conv2d: weight of shape \(4, 2, 3, 3\) expects 2 input channels .* input of shape \(1, 3, 5, 5\) has 3"),
    (lambda: al.conv2d(_z(3, 5, 5), _z(4, 2, 3, 3)), ValueError,
     r"conv2d: weight of shape \(4, 2, 3, 3\) expects 2 input channels .* input of shape \(3, 5, 5\) has 3"),
    (lambda: al.conv2d(_z(1, 4, 5, 5), _z(3, 2, 3, 3), groups=2), ValueError,
     r"conv2d: weight of shape \(3, 2, 3, 3\) has 3 output channels, which is not divisible by groups=2"),
    (lambda: al.conv2d(_z(1, 3, 5, 5), _z(4, 3, 3, 3), _z(3)), ValueError,
     r"conv2d: bias of shape \(3,\) does not match weight of shape \(4, 3, 3, 3\); expected shape \(4,\)"),
    (lambda: al.conv2d(_z(1, 3, 4, 4), _z(4, 3, 5, 5)), ValueError,
     r"conv2d: the kernel \(size \(5, 5\).* is larger than the padded input \(4, 4\) \(input of shape \(1, 3, 4, 4\)"),
    (lambda: al.conv2d(_z(1, 3, 4, 4), _z(4, 3, 3, 3), dilation=2), ValueError,
     r"conv2d: the kernel .* spans \(5, 5\)\) is larger than the padded input \(4, 4\)"),
    (lambda: al.conv2d(_z(1, 3, 5, 5), _z(4, 3, 3, 3), stride=2, padding="same"), ValueError,
     r"conv2d: padding='same' is not supported for strided convolutions"),
    (lambda: al.conv2d(_z(1, 3, 5, 5), _z(4, 3, 3, 3), padding="full"), ValueError,
     r"conv2d: invalid padding string 'full', should be one of 'valid', 'same'"),
    (lambda: al.conv2d(_z(1, 3, 5, 5), _z(4, 3, 3, 3), padding=-1), ValueError,
     r"conv2d: padding must be non-negative, got -1"),
    (lambda: al.conv2d(_z(1, 3, 5, 5), _z(4, 3, 3, 3), stride=0), ValueError, r"conv2d: stride must be positive"),
    (lambda: al.conv2d(_z(1, 3, 5, 5), _z(4, 3, 3, 3), stride=(1, 2, 3)), TypeError,
     r"conv2d: stride must be an int or a tuple of 2 ints, got \(1, 2, 3\)"),
    (lambda: al.conv2d(_z(1, 3, 5, 5), _z(4, 3, 3, 3), groups=0), ValueError,
     r"conv2d: groups must be a positive integer, got 0"),
    (lambda: al.conv2d(al.zeros(1, 3, 5, 5, dtype=np.int64), _z(4, 3, 3, 3)), TypeError,
     r"conv2d: expected a floating point input, got dtype int64"),
    (lambda: al.max_pool2d(_z(1, 1, 5, 5), 3, padding=2), ValueError,
     r"max_pool2d: padding should be at most half of the kernel size, but got padding=2 for kernel_size=3"),
    (lambda: al.avg_pool2d(_z(1, 1, 5, 5), (2, 4), padding=(1, 3)), ValueError,
     r"avg_pool2d: padding should be at most half of the kernel size"),
    (lambda: al.max_pool2d(_z(1, 1, 2, 2), 3), ValueError,
     r"max_pool2d: input of shape \(1, 1, 2, 2\) is too small for kernel_size=3.*output would have size \(0, 0\)"),
    (lambda: al.max_pool2d(_z(5, 5), 2), ValueError,
     r"max_pool2d: expected a 3D \(unbatched\) or 4D \(batched\) input, got shape \(5, 5\)"),
    (lambda: al.avg_pool2d(_z(1, 1, 4, 4), 2, divisor_override=0), ValueError,
     r"avg_pool2d: divisor_override must be non-zero"),
    (lambda: al.adaptive_avg_pool2d(_z(1, 1, 4, 4), (2, -1)), ValueError,
     r"adaptive_avg_pool2d: output_size must be >= 0"),          # (0 gives an empty output, as PyTorch's)
    (lambda: al.adaptive_avg_pool2d(_z(1, 1, 4, 4), (1, 2, 3)), TypeError,
     r"adaptive_avg_pool2d: output_size must be an int or a pair"),
])
def test_errors(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------------------------------------
# nn layers
# ---------------------------------------------------------------------------------------------


def test_conv2d_parameters_state_dict_and_init_like_pytorch() -> None:
    al.manual_seed(0)
    layer = nn.Conv2d(4, 6, (3, 2), groups=2)
    sd = layer.state_dict()
    assert list(sd) == ["weight", "bias"]
    assert sd["weight"].shape == (6, 2, 3, 2) and sd["bias"].shape == (6,)
    assert layer.weight.dtype == np.float32
    fan_in = 2 * 3 * 2                 # in_channels / groups * kH * kW
    bound = 1 / math.sqrt(fan_in)      # kaiming_uniform_(a=sqrt(5)) and PyTorch's bias bound agree
    for p in (layer.weight, layer.bias):
        assert np.all(np.abs(p.array) <= bound) and np.abs(p.array).max() > bound / 2
    assert list(nn.Conv2d(3, 5, 3, bias=False).state_dict()) == ["weight"]
    assert nn.Conv1d(4, 6, 5, groups=2).weight.shape == (6, 2, 5)
    assert nn.Conv2d(2, 3, 3, dtype=np.float64).weight.dtype == np.float64
    al.manual_seed(0)
    again = nn.Conv2d(4, 6, (3, 2), groups=2)
    np.testing.assert_array_equal(again.weight.array, layer.weight.array)


def test_conv_layers_forward_like_the_functions(rng) -> None:
    layer = nn.Conv2d(2, 3, 3, stride=2, padding=1, dilation=1, dtype=np.float64)
    x = al.tensor(rng.standard_normal((2, 2, 7, 6)))
    np.testing.assert_allclose(layer(x).array, conv_ref(x.array, layer.weight.array, layer.bias.array, 2, 1),
                               rtol=1e-12)
    one_d = nn.Conv1d(2, 4, 3, padding="same", groups=2, bias=False, dtype=np.float64)
    y = al.tensor(rng.standard_normal((2, 5)))             # unbatched
    np.testing.assert_allclose(one_d(y).array, conv_ref(y.array, one_d.weight.array, padding="same", groups=2),
                               rtol=1e-12)
    loaded = nn.Conv2d(2, 3, 3, stride=2, padding=1, dtype=np.float64)
    loaded.load_state_dict(layer.state_dict())
    np.testing.assert_array_equal(loaded(x).array, layer(x).array)


def test_pool_layers(leaf) -> None:
    (x,) = leaf.distinct((2, 3, 6, 6))
    out, idx = nn.MaxPool2d(3, 2, 1, return_indices=True)(x)
    ref, ref_idx = max_pool_ref(x.array, 3, 2, 1)
    np.testing.assert_array_equal(out.array, ref)
    np.testing.assert_array_equal(idx.array, ref_idx)
    np.testing.assert_allclose(nn.AvgPool2d(2, padding=1, count_include_pad=False)(x).array,
                               avg_pool_ref(x.array, 2, padding=1, count_include_pad=False), rtol=1e-12)
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d((4, 5))(x).array, adaptive_ref(x.array, (4, 5)), rtol=1e-12)


@pytest.mark.parametrize("module,expected", [
    (lambda: nn.Conv2d(3, 6, 5), "Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1))"),
    (lambda: nn.Conv2d(4, 8, (3, 2), stride=2, padding=1, dilation=2, groups=2, bias=False),
     "Conv2d(4, 8, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), dilation=(2, 2), groups=2, bias=False)"),
    (lambda: nn.Conv2d(4, 8, 3, padding="same"), "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=same)"),
    (lambda: nn.Conv1d(2, 4, 3, padding=1), "Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding=(1,))"),
    (lambda: nn.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (lambda: nn.MaxPool2d((3, 2), 1, 1, ceil_mode=True),
     "MaxPool2d(kernel_size=(3, 2), stride=1, padding=1, dilation=1, ceil_mode=True)"),
    (lambda: nn.AvgPool2d(2), "AvgPool2d(kernel_size=2, stride=2, padding=0)"),
    (lambda: nn.AdaptiveAvgPool2d((5, 7)), "AdaptiveAvgPool2d(output_size=(5, 7))"),
])
def test_reprs_are_pytorchs(module, expected) -> None:
    assert repr(module()) == expected


def test_conv_layer_argument_errors() -> None:
    with pytest.raises(ValueError, match=r"Conv2d: in_channels \(3\) must be divisible by groups \(2\)"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"Conv2d: out_channels \(3\) must be divisible by groups \(2\)"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match=r"Conv1d: padding='same' is not supported for strided convolutions"):
        nn.Conv1d(4, 3, 3, stride=2, padding="same")
    with pytest.raises(NotImplementedError, match=r"Conv2d: padding_mode='reflect' is not supported"):
        nn.Conv2d(4, 3, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"conv2d: weight of shape \(4, 3, 3, 3\) expects 3 input channels"):
        nn.Conv2d(3, 4, 3)(al.zeros(1, 2, 5, 5))


def test_small_cnn_learns(rng) -> None:
    # Conv -> ReLU -> MaxPool -> Conv -> AvgPool -> AdaptiveAvgPool -> Linear, trained a few steps.
    al.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 6, 3, padding="same", groups=2), nn.AvgPool2d(2),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 2))
    x = al.tensor(rng.standard_normal((16, 1, 8, 8)).astype(np.float32))
    y = (x.array[:, 0, :4].mean(axis=(1, 2)) > x.array[:, 0, 4:].mean(axis=(1, 2))).astype(np.int64)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), al.tensor(y))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())
    assert losses[-1] < 0.5 * losses[0]


# ---------------------------------------------------------------------------------------------
# Memory layout. A convolution returns its output in batch-last memory (an (N, C, ...) view of a
# (C, ..., N) array), and ReLU, pooling and the next convolution work on that memory as it is.
# Every op must give the same bits for either layout, and the fast backward the same gradients as
# the rules that create_graph records.
# ---------------------------------------------------------------------------------------------


def _batch_last(a):
    """The same values as a, in (C, ..., N) memory."""
    return np.moveaxis(np.ascontiguousarray(np.moveaxis(a, 0, -1)), -1, 0)


LAYOUT_CASES = (
    [(f"conv2d-{_conv_id(c)}", c[0], lambda t, c=c: al.conv2d(t, al.tensor(np.linspace(-1, 1, math.prod(c[1]))
                                                                              .reshape(c[1])), **c[2]))
     for c in CONV2D if len(c[0]) == 4]
    + [(f"conv1d-{_conv_id(c)}", c[0], lambda t, c=c: al.conv1d(t, al.tensor(np.linspace(-1, 1, math.prod(c[1]))
                                                                              .reshape(c[1])), **c[2]))
       for c in CONV1D if len(c[0]) == 3]
    + [(f"max_pool2d-{kw}", s, lambda t, kw=kw: al.max_pool2d(t, **kw)) for s, kw in MAX_POOL if len(s) == 4]
    + [(f"avg_pool2d-{kw}", s, lambda t, kw=kw: al.avg_pool2d(t, **kw)) for s, kw in AVG_POOL if len(s) == 4]
    + [(f"adaptive-{o}", s, lambda t, o=o: al.adaptive_avg_pool2d(t, o)) for s, o in ADAPTIVE if len(s) == 4]
)


@pytest.mark.parametrize("shape,op", [c[1:] for c in LAYOUT_CASES], ids=[c[0] for c in LAYOUT_CASES])
def test_batch_last_memory_gives_the_same_bits(rng, shape, op) -> None:
    a = rng.standard_normal((2, *shape[1:]))        # a batch of 2: with 1, both layouts are the same memory
    x1, x2 = al.tensor(a, requires_grad=True), al.tensor(_batch_last(a), requires_grad=True)
    assert x1.array.flags.c_contiguous and not x2.array.flags.c_contiguous
    out1, out2 = op(x1), op(x2)
    np.testing.assert_array_equal(out1.array, out2.array)
    g = rng.standard_normal(out1.shape)
    out1.backward(al.tensor(g))
    out2.backward(al.tensor(_batch_last(g)))
    np.testing.assert_array_equal(x1.grad.array, x2.grad.array)


def test_conv_output_is_a_batch_last_view_and_the_chain_through_it_is_correct(rng) -> None:
    x, w1, w2 = _leaf(rng, (3, 2, 7, 7)), _leaf(rng, (4, 2, 2, 2)), _leaf(rng, (2, 4, 2, 2))
    h = al.conv2d(x, w1)
    assert np.moveaxis(h.array, 0, -1).flags.c_contiguous           # (C, H, W, N) memory
    assert np.moveaxis(h.relu().array, 0, -1).flags.c_contiguous     # elementwise ops keep it

    def net(x, w1, w2):
        h = al.max_pool2d(al.conv2d(x, w1).tanh(), 2, stride=1)
        return al.avg_pool2d(al.conv2d(h, w2, padding=1), 2)

    assert al.gradcheck(net, [x, w1, w2])
    assert al.gradgradcheck(net, [x, w1, w2])
    # and the values: the same net on contiguous copies of every intermediate
    h = np.ascontiguousarray(al.max_pool2d(al.tensor(np.ascontiguousarray(al.conv2d(x, w1).array)).tanh(), 2,
                                           stride=1).array)
    ref = al.avg_pool2d(al.tensor(np.ascontiguousarray(al.conv2d(al.tensor(h), w2, padding=1).array)), 2)
    np.testing.assert_array_equal(net(x, w1, w2).array, ref.array)


@pytest.mark.parametrize("case", [c for c in CONV2D if len(c[0]) == 4][:12], ids=_conv_id)
def test_conv_joint_backward_equals_the_recorded_rules(rng, case) -> None:
    # backward() runs conv's combined rule on arrays; grad(create_graph=True) records the per-input rules
    x_shape, w_shape, kw, bias = case
    inputs = [_leaf(rng, x_shape), _leaf(rng, w_shape)] + ([_leaf(rng, w_shape[:1])] if bias else [])
    out = al.conv2d(*inputs, **kw)
    g = al.tensor(rng.standard_normal(out.shape))
    recorded = al.grad(out, inputs, g, retain_graph=True, create_graph=True)
    out.backward(g)
    for t, r in zip(inputs, recorded):
        np.testing.assert_allclose(t.grad.array, r.array, rtol=1e-12, atol=1e-12)


def test_conv_keeps_its_columns_until_backward_and_computes_only_the_gradients_asked_for(rng, monkeypatch) -> None:
    x, w, b = al.tensor(rng.standard_normal((2, 3, 6, 6))), _leaf(rng, (4, 3, 3, 3)), _leaf(rng, (4,))
    out = al.conv2d(x, w, b)
    assert out.grad_fn.saved.shape == (3, 3, 3, 4, 4, 2)              # im2col columns (C, kH, kW, oH, oW, N)
    from autograd_lite import conv_kernels

    def no_input_grad(*args, **kwargs):
        raise AssertionError("the input gradient was computed though the input does not require grad")

    monkeypatch.setattr(conv_kernels, "_input_grad", no_input_grad)
    g = rng.standard_normal(out.shape)
    out.backward(al.tensor(g), retain_graph=True)
    assert out.grad_fn.saved is not None                               # kept: the graph is retained
    first = w.grad.array.copy()
    out.backward(al.tensor(g))
    np.testing.assert_allclose(w.grad.array, 2 * first, rtol=1e-12)
    assert out.grad_fn.saved is None                                   # released with the graph
    with al.no_grad():
        assert al.conv2d(x, w, b).grad_fn is None
    # a frozen weight: its gradient, the only user of the columns, is not wanted, so they are not kept
    frozen = al.conv2d(_leaf(rng, (2, 3, 6, 6)), al.tensor(w.array), b)
    assert frozen.grad_fn is not None and frozen.grad_fn.saved is None


def test_max_pool_gradient_with_inf_goes_only_to_the_maximum() -> None:
    # The disjoint-window path multiplies g by "this offset won"; inf * 0 would put NaN elsewhere
    x = al.tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    al.max_pool2d(x, 2).backward(al.tensor(np.array([[[[np.inf, 1.0], [2.0, -np.inf]]]])))
    expected = np.zeros((4, 4))
    expected[1, 1], expected[1, 3], expected[3, 1], expected[3, 3] = np.inf, 1.0, 2.0, -np.inf
    np.testing.assert_array_equal(x.grad.array[0, 0], expected)


@pytest.mark.parametrize("shape,kw", [c for c in MAX_POOL if len(c[0]) == 4], ids=[str(k) for s, k in MAX_POOL
                                                                                   if len(s) == 4])
def test_max_pool_indices_do_not_depend_on_the_layout(leaf, shape, kw) -> None:
    (x,) = leaf.distinct((2, *shape[1:]))
    _, i1 = al.max_pool2d(x, return_indices=True, **kw)
    _, i2 = al.max_pool2d(al.tensor(_batch_last(x.array)), return_indices=True, **kw)
    np.testing.assert_array_equal(i1.array, i2.array)
    np.testing.assert_array_equal(i1.array, max_pool_ref(x.array, **kw)[1])
    assert i2.array.flags.c_contiguous


@pytest.mark.parametrize("first_layout", ["batch_last", "contiguous"])
def test_max_pool_double_backward_reads_the_gradient_in_the_inputs_layout(rng, first_layout) -> None:
    # grad of max_pool, recorded with create_graph, then differentiated again: the second pass reads
    # another array (in its own memory order) at the first input's arg-max positions
    x0, w0 = rng.standard_normal((2, 2, 4, 4)), rng.standard_normal((3, 2, 1, 1))
    c0 = rng.standard_normal((2, 3, 4, 4))

    def grads(contiguous_y: bool):
        x = al.tensor(x0, requires_grad=True)
        y = al.conv2d(x, al.tensor(w0))                                   # batch-last memory
        if first_layout == "contiguous":
            y = y.contiguous()
        z = al.max_pool2d(y, 2)
        (gy,) = al.grad((z * z).sum(), [y], create_graph=True)
        if contiguous_y:                         # the same values, the other memory order
            gy = gy.contiguous() if first_layout == "batch_last" else al.conv2d(gy, al.tensor(np.eye(3)[:, :, None,
                                                                                                      None]))
        (gy * al.tensor(c0)).sum().backward()
        return x.grad.array

    np.testing.assert_allclose(grads(True), grads(False), rtol=1e-12, atol=1e-12)
    # and against the definition: d/dx sum(c * dL/dy), with dL/dy = 2 y at each window's maximum
    y = np.einsum("nchw,oc->nohw", x0, w0[:, :, 0, 0])
    blocks = y.reshape(2, 3, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 3, 2, 2, 4)
    mask = (blocks == blocks.max(axis=-1, keepdims=True)).reshape(2, 3, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
    dy = 2 * c0 * mask.reshape(2, 3, 4, 4)                   # d/dy of sum(c * 2 y * mask)
    np.testing.assert_allclose(grads(False), np.einsum("nohw,oc->nchw", dy, w0[:, :, 0, 0]), rtol=1e-10)


@pytest.mark.parametrize("kw", [{"kernel_size": 2, "stride": 1}, {"kernel_size": 3, "stride": 3, "padding": 1},
                                {"kernel_size": 2, "ceil_mode": True}])
def test_max_pool_backward_of_an_empty_batch(kw) -> None:
    x = al.tensor(np.zeros((0, 3, 5, 5)), requires_grad=True)
    out = al.max_pool2d(x, **kw)
    out.sum().backward()
    assert x.grad.shape == (0, 3, 5, 5)
    (g,) = al.grad(al.max_pool2d(x, **kw).sum(), [x], create_graph=True)
    assert g.shape == (0, 3, 5, 5)
