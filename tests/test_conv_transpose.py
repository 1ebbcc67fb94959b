"""Transposed convolutions: conv_transpose1d/2d against PyTorch (outputs and the gradients of input, weight
and bias, float64 and float32, over a grid of stride, padding, output_padding, dilation, groups, bias,
batched and unbatched), gradcheck and gradgradcheck, the adjoint identity with conv, PyTorch's argument
rules, and the ConvTranspose1d/2d modules' signature, state_dict, init and output_size."""

from __future__ import annotations

import inspect
import itertools
import math

import numpy as np
import pytest

import autograd_lite as al
import nn
import nn.functional as F

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def _torch():
    return pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")


def _leaf(rng, shape, dtype=np.float64):
    return al.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)


# ---------------------------------------------------------------------------------------------
# Against PyTorch: every combination of the settings, outputs and all three gradients
# ---------------------------------------------------------------------------------------------


def _grid(nd):
    """(stride, padding, output_padding, dilation, groups, bias, batched) that PyTorch accepts: output_padding
    below the stride or the dilation. Includes output_padding >= stride (dilation 3), and padding larger than
    what the windows reach (the output is then cut from inside the full result, or is only zeros and bias).
    Every combination of the first five; bias and batched take each of their four combinations in turn."""
    settings = [c for c in itertools.product((1, 2, 3), (0, 1, 2), (0, 1, 2), (1, 3), (1, 2)) if c[2] < c[0] or
                c[2] < c[3]]
    for i, (s, p, op, d, g) in enumerate(settings):
        bias, batched = i % 2 == 0, i % 4 < 2
        yield (s,) * nd if nd == 1 else (s, 1), p, op if nd == 1 else (op, 0), d, g, bias, batched


def _compare(torch, fn_al, fn_torch, x_shape, w_shape, kw, bias, dtype, rtol, atol, rng):
    x, w = _leaf(rng, x_shape, dtype), _leaf(rng, w_shape, dtype)
    b = _leaf(rng, (w_shape[1] * kw["groups"],), dtype) if bias else None
    try:
        expected = fn_torch(*(torch.tensor(t.array, requires_grad=True) if t is not None else None
                              for t in (x, w, b)), **kw)
    except RuntimeError:           # the output would be empty: PyTorch refuses it, and so must we
        with pytest.raises(ValueError, match="output size is too small"):
            fn_al(x, w, b, **kw)
        return False
    xt, wt, bt = (torch.tensor(t.array, requires_grad=True) if t is not None else None for t in (x, w, b))
    expected = fn_torch(xt, wt, bt, **kw)
    out = fn_al(x, w, b, **kw)
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    np.testing.assert_allclose(out.array, expected.detach().numpy(), rtol=rtol, atol=atol)
    g = rng.standard_normal(out.shape).astype(dtype)
    out.backward(al.tensor(g))
    expected.backward(torch.tensor(g))
    for ours, theirs in ((x, xt), (w, wt), (b, bt)):
        if ours is not None:
            assert ours.grad.dtype == dtype
            np.testing.assert_allclose(ours.grad.array, theirs.grad.numpy(), rtol=rtol, atol=atol)
    return True


@pytest.mark.parametrize("dtype,rtol,atol", [(np.float64, 1e-10, 1e-11), (np.float32, 2e-5, 2e-5)],
                         ids=["float64", "float32"])
def test_conv_transpose1d_matches_pytorch_over_the_grid(rng, dtype, rtol, atol) -> None:
    torch = _torch()
    compared = 0
    for s, p, op, d, g, bias, batched in _grid(1):
        kw = dict(stride=s, padding=p, output_padding=op, dilation=d, groups=g)
        x_shape = (2, 4, 5) if batched else (4, 5)
        compared += _compare(torch, al.conv_transpose1d, torch.nn.functional.conv_transpose1d, x_shape,
                             (4, 3, 3), kw, bias, dtype, rtol, atol, rng)
    assert compared > 50          # most settings give an output; the rest are refused as PyTorch refuses them


@pytest.mark.parametrize("dtype,rtol,atol", [(np.float64, 1e-10, 1e-11), (np.float32, 2e-5, 2e-5)],
                         ids=["float64", "float32"])
def test_conv_transpose2d_matches_pytorch_over_the_grid(rng, dtype, rtol, atol) -> None:
    torch = _torch()
    compared = 0
    for s, p, op, d, g, bias, batched in _grid(2):
        kw = dict(stride=s, padding=(p, 1), output_padding=op, dilation=(d, 1), groups=g)
        x_shape = (2, 4, 4, 3) if batched else (4, 4, 3)
        compared += _compare(torch, F.conv_transpose2d, torch.nn.functional.conv_transpose2d, x_shape,
                             (4, 1, 3, 2), kw, bias, dtype, rtol, atol, rng)
    assert compared > 50


@pytest.mark.parametrize("x_shape,w_shape,kw", [
    ((16, 8, 8, 8), (8, 4, 4, 4), dict(stride=2, padding=1)),                   # DCGAN's upsampling block
    ((4, 16, 7, 7), (16, 8, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((2, 6, 5, 5), (6, 1, 3, 3), dict(padding=1, groups=6)),                    # depthwise
    ((1, 3, 1, 1), (3, 2, 4, 4), dict()),                        # a 1x1 input (a generator's first layer)
])
def test_conv_transpose2d_matches_pytorch_at_layer_sizes(rng, x_shape, w_shape, kw) -> None:
    torch = _torch()
    groups = kw.get("groups", 1)
    assert _compare(torch, al.conv_transpose2d, torch.nn.functional.conv_transpose2d, x_shape, w_shape,
                    {"groups": groups, **kw}, True, np.float64, 1e-10, 1e-10, rng)


# ---------------------------------------------------------------------------------------------
# Without PyTorch: gradcheck, gradgradcheck and the adjoint identity
# ---------------------------------------------------------------------------------------------

GRADCHECK = [
    ((1, 2, 3, 3), (2, 2, 2, 2), dict(stride=2), True),
    ((2, 2, 3, 2), (2, 1, 3, 2), dict(stride=(2, 1), padding=1, output_padding=(1, 0), groups=2), True),
    ((1, 2, 2, 3), (2, 2, 2, 2), dict(stride=1, dilation=2, output_padding=1, padding=1), False),  # op >= stride
    ((2, 3, 3), (2, 2, 2, 2), dict(padding=(0, 1)), True),                                         # unbatched
    ((1, 1, 1, 1), (1, 1, 1, 1), dict(stride=3, padding=1, output_padding=2), True),               # zeros + bias
]


@pytest.mark.parametrize("x_shape,w_shape,kw,bias", GRADCHECK, ids=[str(c[2]) for c in GRADCHECK])
def test_conv_transpose2d_gradcheck_and_gradgradcheck(rng, x_shape, w_shape, kw, bias) -> None:
    inputs = [_leaf(rng, x_shape), _leaf(rng, w_shape)] + ([_leaf(rng, (w_shape[1] * kw.get("groups", 1),))]
                                                            if bias else [])

    def f(x, w, b=None):
        return al.conv_transpose2d(x, w, b, **kw)

    assert al.gradcheck(f, inputs)
    assert al.gradgradcheck(f, inputs)


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, output_padding=1), dict(dilation=2, groups=2),
                                dict(stride=1, dilation=3, output_padding=2, padding=2)], ids=str)
def test_conv_transpose1d_gradcheck_and_gradgradcheck(rng, kw) -> None:
    inputs = [_leaf(rng, (2, 2, 4)), _leaf(rng, (2, 3 // kw.get("groups", 1) or 1, 3)), _leaf(rng, (3,))]
    if kw.get("groups", 1) == 2:
        inputs = [_leaf(rng, (2, 2, 4)), _leaf(rng, (2, 2, 3)), _leaf(rng, (4,))]
    assert al.gradcheck(lambda x, w, b: al.conv_transpose1d(x, w, b, **kw), inputs)
    assert al.gradgradcheck(lambda x, w, b: al.conv_transpose1d(x, w, b, **kw), inputs)


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1), dict(stride=(2, 3), padding=(1, 0), dilation=(1, 2)),
                                dict(stride=2, groups=2, padding=2)], ids=str)
def test_conv_transpose_is_the_adjoint_of_conv(rng, kw) -> None:
    # <conv(x, w), y> = <x, conv_transpose(y, w)>: the same weight, read in the transposed layout, with
    # output_padding making the transposed result the size of x.
    x, w = rng.standard_normal((2, 4, 9, 8)), rng.standard_normal((6, 4 // kw.get("groups", 1), 3, 3))
    y_shape = al.conv2d(al.tensor(x), al.tensor(w), **kw).shape
    y = rng.standard_normal(y_shape)
    stride = kw["stride"] if isinstance(kw["stride"], tuple) else (kw["stride"],) * 2
    back = al.conv_transpose2d(al.tensor(y), al.tensor(w), **kw)
    extra = tuple(n - m for n, m in zip(x.shape[2:], back.shape[2:]))
    assert all(0 <= e < s for e, s in zip(extra, stride))
    back = al.conv_transpose2d(al.tensor(y), al.tensor(w), output_padding=extra, **kw)
    assert back.shape == x.shape
    lhs = (al.conv2d(al.tensor(x), al.tensor(w), **kw).array * y).sum()
    np.testing.assert_allclose(lhs, (x * back.array).sum(), rtol=1e-12)


def test_conv_transpose_keeps_float32_and_handles_an_empty_batch(rng) -> None:
    x, w = _leaf(rng, (2, 3, 4, 4), np.float32), _leaf(rng, (3, 2, 3, 3), np.float32)
    out = F.conv_transpose2d(input=x, weight=w, stride=2)
    assert out.dtype == np.float32 and out.shape == (2, 2, 9, 9)
    out.sum().backward()
    assert x.grad.dtype == w.grad.dtype == np.float32
    empty = al.zeros(0, 3, 4, 4, dtype=np.float64, requires_grad=True)
    w64 = _leaf(rng, (3, 2, 3, 3))
    out = al.conv_transpose2d(empty, w64, stride=2, padding=1, output_padding=1)
    assert out.shape == (0, 2, 8, 8)
    out.sum().backward()
    assert empty.grad.shape == empty.shape and not w64.grad.array.any()


# ---------------------------------------------------------------------------------------------
# Errors: PyTorch's rules, with messages that name the op, what it got and what it expected
# ---------------------------------------------------------------------------------------------


def _z(*shape):
    return al.zeros(*shape, dtype=np.float64)


@pytest.mark.parametrize("call,error,message", [
    (lambda: al.conv_transpose2d(_z(1, 3, 4, 4), _z(4, 2, 3, 3)), ValueError,
     r"conv_transpose2d: weight of shape \(4, 2, 3, 3\) expects 4 input channels .* input of shape "
     r"\(1, 3, 4, 4\) has 3"),
    (lambda: al.conv_transpose2d(_z(1, 4, 4, 4), _z(4, 2, 3, 3), groups=3), ValueError,
     r"conv_transpose2d: weight of shape \(4, 2, 3, 3\) has 4 input channels \(dim 0\), which is not divisible by "
     r"groups=3"),
    (lambda: al.conv_transpose2d(_z(1, 4, 4, 4), _z(4, 2, 3, 3), stride=2, output_padding=2), ValueError,
     r"conv_transpose2d: output_padding must be smaller than either stride or dilation, got output_padding=\(2, 2\), "
     r"stride=\(2, 2\), dilation=\(1, 1\)"),
    (lambda: al.conv_transpose2d(_z(1, 4, 2, 2), _z(4, 2, 3, 3), padding=3), ValueError,
     r"conv_transpose2d: input of shape \(1, 4, 2, 2\) gives an output of size \(-2, -2\).*too small"),
    (lambda: al.conv_transpose2d(_z(1, 4, 2, 2), _z(4, 2, 3, 3), _z(2), groups=2), ValueError,
     r"conv_transpose2d: bias of shape \(2,\) does not match .* groups=2; expected shape \(4,\)"),
    (lambda: al.conv_transpose2d(_z(1, 4, 2, 2), _z(4, 2, 3, 3), _z(3)), ValueError,
     r"conv_transpose2d: bias of shape \(3,\) does not match weight of shape \(4, 2, 3, 3\) and groups=1; "
     r"expected shape \(2,\)"),
    (lambda: al.conv_transpose2d(_z(1, 4, 2, 2), _z(4, 2, 3, 3), padding="same"), TypeError,
     r"conv_transpose2d: padding must be an int or a tuple of 2 ints, got 'same'"),
    (lambda: al.conv_transpose2d(_z(1, 4, 2, 2), _z(4, 2, 3, 3), padding=-1), ValueError,
     r"conv_transpose2d: padding must be non-negative, got -1"),
    (lambda: al.conv_transpose2d(_z(1, 4, 2, 2), _z(4, 2, 3, 3), output_padding=-1), ValueError,
     r"conv_transpose2d: output_padding must be non-negative, got -1"),
    (lambda: al.conv_transpose2d(_z(1, 4, 2, 2), _z(4, 2, 3)), ValueError,
     r"conv_transpose2d: expected a 4D weight \(in_channels, out_channels/groups, kH, kW\), got shape \(4, 2, 3\)"),
    (lambda: al.conv_transpose1d(_z(1, 4, 2, 2), _z(4, 2, 3)), ValueError,
     r"conv_transpose1d: expected a 2D \(unbatched\) or 3D \(batched\) input, got shape \(1, 4, 2, 2\)"),
    (lambda: al.conv_transpose1d(_z(1, 4, 5), _z(4, 2, 3), stride=0), ValueError,
     r"conv_transpose1d: stride must be positive"),
    (lambda: al.conv_transpose1d(_z(1, 4, 5), _z(4, 2, 3), groups=0), ValueError,
     r"conv_transpose1d: groups must be a positive integer, got 0"),
    (lambda: al.conv_transpose1d(_z(1, 4, 5), al.zeros(4, 2, 3, dtype=np.float32)), TypeError, r"conv_transpose1d"),
])
def test_conv_transpose_errors(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()


def test_conv_transpose_refuses_what_pytorch_refuses() -> None:
    torch = _torch()
    for kw in (dict(stride=2, output_padding=2), dict(padding=3), dict(padding=-1), dict(output_padding=-1)):
        with pytest.raises(RuntimeError):
            torch.nn.functional.conv_transpose2d(torch.zeros(1, 4, 2, 2), torch.zeros(4, 2, 3, 3), **kw)
        with pytest.raises(RuntimeError):          # ShapeError is a RuntimeError too, as PyTorch's
            al.conv_transpose2d(al.zeros(1, 4, 2, 2), al.zeros(4, 2, 3, 3), **kw)


# ---------------------------------------------------------------------------------------------
# The modules
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ConvTranspose1d", "ConvTranspose2d"])
def test_module_signatures_are_pytorchs(name) -> None:
    torch = _torch()

    def sig(fn):
        return [(p.name, p.default, p.kind) for p in inspect.signature(fn).parameters.values()]

    assert sig(getattr(nn, name).__init__) == sig(getattr(torch.nn, name).__init__)
    assert [p[:2] for p in sig(getattr(nn, name).forward)] == [p[:2] for p in sig(getattr(torch.nn, name).forward)]
    # (F.conv_transpose1d/2d's signatures: tests/test_nn_functional_edges.py compares every function's.)


@pytest.mark.parametrize("cls,args,kw", [
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2)),
    ("ConvTranspose2d", (3, 5, (2, 4)), dict(bias=False, dilation=(1, 2))),
    ("ConvTranspose1d", (4, 2, 5), dict(stride=3, groups=2)),
])
def test_modules_state_dict_and_numbers_are_pytorchs(rng, cls, args, kw) -> None:
    torch = _torch()
    ours, theirs = getattr(nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)
    assert repr(ours) == repr(theirs)
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    assert all(ours_sd[k].shape == tuple(theirs_sd[k].shape) and ours_sd[k].dtype == np.float32 for k in ours_sd)
    ours.load_state_dict({k: al.tensor(v.numpy()) for k, v in theirs_sd.items()})
    x = rng.standard_normal((2, args[0]) + (5,) * (2 if cls.endswith("2d") else 1)).astype(np.float32)
    np.testing.assert_allclose(ours(al.tensor(x)).array, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(ours(al.tensor(x[0])).array, theirs(torch.tensor(x[0])).detach().numpy(),
                               rtol=1e-5, atol=1e-5)       # unbatched


def test_init_is_kaiming_uniform_with_the_transposed_fan_in() -> None:
    # PyTorch's fan_in of a transposed weight (in, out/groups, *k) is out/groups * prod(k): the bounds
    # 1/sqrt(fan_in) for the bias, and (gain sqrt(2/(1+5)) * sqrt(3/fan_in)) = 1/sqrt(fan_in) for the weight.
    al.manual_seed(0)
    m = nn.ConvTranspose2d(64, 8, 3, groups=2)
    fan_in = 8 // 2 * 9
    assert m.weight.shape == (64, 4, 3, 3) and m.bias.shape == (8,)
    bound = 1 / math.sqrt(fan_in)
    for t in (m.weight, m.bias):
        assert np.abs(t.array).max() <= bound
    assert np.abs(m.weight.array).max() > 0.95 * bound          # uniform over the whole range, not narrower
    assert abs(m.weight.array.std() - bound / math.sqrt(3)) < 0.05 * bound


def test_forward_output_size_picks_the_output_padding(rng) -> None:
    torch = _torch()
    ours, theirs = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1), torch.nn.ConvTranspose2d(3, 2, 3, stride=2,
                                                                                               padding=1)
    ours.load_state_dict({k: al.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    for size in [(7, 7), (8, 7), [2, 2, 8, 8]]:
        out = ours(al.tensor(x), output_size=size)
        expected = theirs(torch.tensor(x), output_size=size)
        assert out.shape == tuple(expected.shape)
        np.testing.assert_allclose(out.array, expected.detach().numpy(), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"requested an output size of \[9, 7\], but valid sizes range from "
                                         r"\[7, 7\] to \[8, 8\] \(for an input of \(4, 4\)\)"):
        ours(al.tensor(x), output_size=[9, 7])
    with pytest.raises(ValueError, match="for 4D input, output_size must have 2 or 4 elements"):
        ours(al.tensor(x), output_size=[8])
    m1 = nn.ConvTranspose1d(2, 2, 3, stride=3)
    assert m1(al.zeros(2, 4), output_size=[12]).shape == (2, 12)            # unbatched: (C, L) sizes


def test_module_argument_errors() -> None:
    with pytest.raises(ValueError, match='ConvTranspose2d: only "zeros" padding mode is supported'):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"in_channels \(3\) must be divisible by groups \(2\)"):
        nn.ConvTranspose2d(3, 2, 3, groups=2)
    with pytest.raises(ValueError, match=r"out_channels \(3\) must be divisible by groups \(2\)"):
        nn.ConvTranspose1d(2, 3, 3, groups=2)
    with pytest.raises(TypeError, match="padding must be an int or a tuple of ints, got 'same'"):
        nn.ConvTranspose2d(2, 2, 3, padding="same")


def test_a_generator_trains(rng) -> None:
    # Linear -> ConvTranspose2d stack (a tiny DCGAN generator) learns to draw a fixed 8x8 image.
    al.manual_seed(0)
    model = nn.Sequential(nn.ConvTranspose2d(4, 8, 4), nn.GroupNorm(2, 8), nn.ReLU(),
                          nn.ConvTranspose2d(8, 1, 4, stride=2, padding=1), nn.Sigmoid())
    z = al.tensor(rng.standard_normal((4, 4, 1, 1)).astype(np.float32))
    target = al.tensor(np.tile(np.eye(8, dtype=np.float32), (4, 1, 1, 1)))
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = F.mse_loss(model(z), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert model(z).shape == (4, 1, 8, 8)
    assert losses[-1] < 0.1 * losses[0]
