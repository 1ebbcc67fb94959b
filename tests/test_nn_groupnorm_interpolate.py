"""GroupNorm and interpolate/Upsample: against PyTorch (outputs and gradients, float64 and float32, over
shapes, groups, modes, sizes, scale factors and align_corners), gradcheck and gradgradcheck, the modules'
signatures, state_dict, init and reprs, and PyTorch's argument rules."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import autograd_lite as al
import nn
import nn.functional as F


def _torch():
    return pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")


def _leaf(rng, shape, dtype=np.float64):
    return al.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)


TOL = {np.float64: (1e-10, 1e-11), np.float32: (2e-5, 2e-5)}


def _against_torch(torch, ours_fn, theirs_fn, leaves, rng, grads=True):
    """ours_fn(*leaves) against theirs_fn(*torch copies): output, then the gradient of every leaf."""
    dtype = leaves[0].dtype.type
    rtol, atol = TOL[dtype]
    copies = [torch.tensor(t.array, requires_grad=True) for t in leaves]
    out, expected = ours_fn(*leaves), theirs_fn(*copies)
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    np.testing.assert_allclose(out.array, expected.detach().numpy(), rtol=rtol, atol=atol)
    if not grads:
        return
    g = rng.standard_normal(out.shape).astype(dtype)
    out.backward(al.tensor(g))
    expected.backward(torch.tensor(g))
    for ours, theirs in zip(leaves, copies):
        np.testing.assert_allclose(ours.grad.array, theirs.grad.numpy(), rtol=rtol * 10, atol=atol * 10)


# ---------------------------------------------------------------------------------------------
# group_norm / GroupNorm
# ---------------------------------------------------------------------------------------------

GROUP_NORM = [((4, 6), 3), ((2, 6, 5), 1), ((2, 6, 5), 2), ((2, 6, 5), 6), ((2, 4, 3, 5), 2), ((3, 8, 2, 2, 3), 4)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("shape,groups", GROUP_NORM, ids=[f"{s}-g{g}" for s, g in GROUP_NORM])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_group_norm_matches_pytorch(rng, dtype, shape, groups, affine) -> None:
    torch = _torch()
    c = shape[1]
    leaves = [_leaf(rng, shape, dtype)]
    if affine != "none":
        leaves.append(_leaf(rng, (c,), dtype))
    if affine == "both":
        leaves.append(_leaf(rng, (c,), dtype))
    _against_torch(torch, lambda *t: F.group_norm(t[0], groups, *t[1:], eps=1e-3),
                   lambda *t: torch.nn.functional.group_norm(t[0], groups, *t[1:], eps=1e-3), leaves, rng)


@pytest.mark.parametrize("shape,groups", [((2, 4, 3), 2), ((2, 3, 2, 2), 3), ((3, 4), 2)], ids=str)
def test_group_norm_gradcheck_and_gradgradcheck(rng, shape, groups) -> None:
    inputs = [_leaf(rng, shape), _leaf(rng, (shape[1],)), _leaf(rng, (shape[1],))]

    def f(x, w, b):
        return F.group_norm(x, groups, w, b)

    assert al.gradcheck(f, inputs)
    assert al.gradgradcheck(f, inputs)


def test_group_norm_normalises_each_group_of_each_sample(rng) -> None:
    x = al.tensor(rng.standard_normal((3, 6, 4)) * 5 + 2)
    out = F.group_norm(x, 3).array.reshape(3, 3, 8)
    np.testing.assert_allclose(out.mean(axis=2), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=2), 1, rtol=1e-5)       # (eps = 1e-5 against variance ~25)
    empty = F.group_norm(al.zeros(0, 4, 3, dtype=np.float64), 2)
    assert empty.shape == (0, 4, 3)


def test_group_norm_module_is_pytorchs(rng) -> None:
    torch = _torch()

    def sig(cls):
        return [(p.name, p.default, p.kind) for p in inspect.signature(cls.__init__).parameters.values()]

    assert sig(nn.GroupNorm) == sig(torch.nn.GroupNorm)
    for kw in ({}, {"affine": False}, {"bias": False}, {"eps": 1e-3}):
        ours, theirs = nn.GroupNorm(2, 6, **kw), torch.nn.GroupNorm(2, 6, **kw)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for k, v in theirs.state_dict().items():
            np.testing.assert_array_equal(ours.state_dict()[k].array, v.numpy())       # ones and zeros
            assert ours.state_dict()[k].dtype == np.float32
        x = rng.standard_normal((2, 6, 3, 3)).astype(np.float32)
        np.testing.assert_allclose(ours(al.tensor(x)).array, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                                   atol=1e-5)
    ours, theirs = nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 2)
        theirs.bias.uniform_(-1, 1)
    ours.load_state_dict({k: al.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(ours(al.tensor(x)).array, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-5)
    m = nn.GroupNorm(1, 2)
    with al.no_grad():
        m.weight.fill_(3.0)
    m.reset_parameters()
    assert m.weight.array.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("call,error,message", [
    (lambda: F.group_norm(al.zeros(2, 5, 3), 2), ValueError,
     r"group_norm: expected the number of channels in the input to be divisible by num_groups, got input of shape "
     r"\(2, 5, 3\) and num_groups=2"),
    (lambda: F.group_norm(al.zeros(2, 6, 3), 2, weight=al.zeros(3)), ValueError,
     r"group_norm: expected weight to be a vector of size 6 \(the input's channels\), got weight of shape \(3,\)"),
    (lambda: F.group_norm(al.zeros(2, 6, 3), 2, bias=al.zeros(6, 1)), ValueError, r"group_norm: expected bias"),
    (lambda: F.group_norm(al.zeros(1, 2), 2), ValueError, r"group_norm: expected more than 1 value per channel"),
    (lambda: F.group_norm(al.zeros(6), 2), ValueError, r"group_norm: expected an input with at least 2 dims"),
    (lambda: F.group_norm(al.zeros(2, 6), 0), ValueError, r"group_norm: num_groups must be a positive integer"),
    (lambda: F.group_norm(al.zeros(2, 6, dtype=np.int64), 2), TypeError, r"group_norm: expected a floating point"),
    (lambda: F.group_norm(al.zeros(2, 6), 2, al.zeros(6, dtype=np.float64)), TypeError,
     r"group_norm: expected weight of dtype float32"),
    (lambda: nn.GroupNorm(4, 6), ValueError, r"GroupNorm: num_channels \(6\) must be divisible by num_groups \(4\)"),
])
def test_group_norm_errors(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------------------------------------
# interpolate / Upsample
# ---------------------------------------------------------------------------------------------

SIZES = [dict(size=7), dict(size=3), dict(size=1), dict(size=12), dict(scale_factor=2), dict(scale_factor=3),
         dict(scale_factor=1.7), dict(scale_factor=0.5), dict(scale_factor=0.4), dict(scale_factor=1.0),
         dict(scale_factor=2.3, recompute_scale_factor=True), dict(scale_factor=1.0001)]
MODES = [("nearest", (2, 3, 5), None), ("nearest-exact", (2, 3, 5), None), ("area", (2, 3, 6), None),
         ("linear", (2, 3, 5), False), ("linear", (2, 3, 5), True),
         ("nearest", (2, 2, 4, 5), None), ("nearest-exact", (2, 2, 4, 5), None), ("area", (2, 2, 4, 5), None),
         ("bilinear", (2, 2, 4, 5), False), ("bilinear", (2, 2, 4, 5), True),
         ("nearest", (1, 2, 3, 4, 5), None), ("trilinear", (1, 2, 3, 4, 5), False),
         ("trilinear", (1, 2, 3, 4, 5), True)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("mode,shape,align_corners", MODES, ids=[f"{m}-{len(s)}d-ac{a}" for m, s, a in MODES])
def test_interpolate_matches_pytorch(rng, dtype, mode, shape, align_corners) -> None:
    # Every size and scale factor: PyTorch's output size (floor of size * factor), and its index arithmetic
    # (with a factor, 1/factor is the kernels' scale unless recompute_scale_factor; in float32 for the
    # nearest modes), outputs and input gradients.
    torch = _torch()
    for kw in SIZES:
        if any(int(n * kw.get("scale_factor", 1)) == 0 for n in shape[2:]):
            continue
        # PyTorch's 1-D and 3-D nearest backward takes its 2-D kernel's shortcut (a copy when the size is
        # unchanged) where its forward does not: with scale_factor=1.0001 its gradient is not its forward's.
        # Ours is (the gradcheck below covers it); the outputs are compared.
        grads = not (mode == "nearest" and len(shape) != 4 and kw.get("scale_factor") == 1.0001)
        options = {**kw, "mode": mode, "align_corners": align_corners}
        _against_torch(torch, lambda t, o=options: F.interpolate(t, **o),
                       lambda t, o=options: torch.nn.functional.interpolate(t, **o), [_leaf(rng, shape, dtype)], rng,
                       grads)


@pytest.mark.parametrize("kw", [dict(size=(3, 8)), dict(scale_factor=(0.5, 2.5)), dict(size=[6, 2])], ids=str)
@pytest.mark.parametrize("mode,align_corners", [("nearest", None), ("bilinear", False), ("bilinear", True),
                                                ("nearest-exact", None)])
def test_interpolate_per_dim_sizes_match_pytorch(rng, kw, mode, align_corners) -> None:
    torch = _torch()
    kw = {**kw, "mode": mode, "align_corners": align_corners}
    _against_torch(torch, lambda t: F.interpolate(t, **kw), lambda t: torch.nn.functional.interpolate(t, **kw),
                   [_leaf(rng, (2, 3, 4, 6))], rng)


@pytest.mark.parametrize("shape,kw", [
    ((1, 2, 4), dict(size=7, mode="linear")),
    ((1, 2, 4), dict(scale_factor=0.6, mode="linear", align_corners=True)),
    ((1, 1, 3, 4), dict(size=(5, 3), mode="bilinear")),
    ((1, 1, 3, 3), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ((1, 2, 3, 3), dict(scale_factor=1.5, mode="nearest")),
    ((1, 2, 5), dict(size=3, mode="nearest-exact")),
    ((1, 2, 5), dict(scale_factor=1.0001, mode="nearest")),           # indices [0, 0, 1, 2, 3]
    ((1, 1, 2, 3, 2), dict(size=(3, 2, 3), mode="trilinear")),
    ((1, 2, 5, 4), dict(size=(2, 3), mode="area")),
], ids=str)
def test_interpolate_gradcheck_and_gradgradcheck(rng, shape, kw) -> None:
    x = _leaf(rng, shape)
    assert al.gradcheck(lambda t: F.interpolate(t, **kw), [x])
    assert al.gradgradcheck(lambda t: F.interpolate(t, **kw), [x])


def test_interpolate_by_hand() -> None:
    x = al.tensor([[[0.0, 1.0, 2.0]]])
    assert F.interpolate(x, scale_factor=2).tolist() == [[[0.0, 0.0, 1.0, 1.0, 2.0, 2.0]]]
    assert F.interpolate(x, size=5, mode="linear", align_corners=True).tolist() == [[[0.0, 0.5, 1.0, 1.5, 2.0]]]
    # align_corners=False maps pixel centres: output j reads (j + 0.5) * 3/6 - 0.5, clamped at 0
    np.testing.assert_allclose(F.interpolate(x, size=6, mode="linear").array,
                               [[[0.0, 0.25, 0.75, 1.25, 1.75, 2.0]]])
    # every output reading one input element: the gradient counts the reads
    y = al.tensor([[[1.0, 2.0]]], requires_grad=True)
    F.interpolate(y, size=5).sum().backward()
    assert y.grad.tolist() == [[[3.0, 2.0]]]


def test_upsample_modules_are_pytorchs(rng) -> None:
    torch = _torch()

    def sig(cls):
        return [(p.name, p.default) for p in inspect.signature(cls.__init__).parameters.values()]

    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    for name, args, kw in [("Upsample", (), dict(scale_factor=2)), ("Upsample", ((6, 7),), dict(mode="bilinear")),
                           ("Upsample", (), dict(scale_factor=(1.5, 2), mode="bilinear", align_corners=True)),
                           ("UpsamplingNearest2d", (), dict(scale_factor=3)),
                           ("UpsamplingBilinear2d", ((5, 9),), {}), ("UpsamplingBilinear2d", (), dict(scale_factor=2))]:
        assert sig(getattr(nn, name)) == sig(getattr(torch.nn, name))
        ours, theirs = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
        assert repr(ours) == repr(theirs)
        assert ours.state_dict() == {} and not list(theirs.state_dict())
        assert (ours.size, ours.scale_factor, ours.mode, ours.align_corners) == \
            (theirs.size, theirs.scale_factor, theirs.mode, theirs.align_corners)
        np.testing.assert_allclose(ours(al.tensor(x)).array, theirs(torch.tensor(x)).numpy(), rtol=1e-5, atol=1e-6)


def _z(*shape):
    return al.zeros(*shape)


@pytest.mark.parametrize("call,error,message", [
    (lambda: F.interpolate(_z(1, 2, 3, 3), scale_factor=2, mode="bicubic"), NotImplementedError,
     r"interpolate: mode='bicubic' is not supported; supported modes: 'nearest', 'nearest-exact', 'area'"),
    (lambda: F.interpolate(_z(1, 2, 3, 3), size=4, mode="lanczos"), NotImplementedError, r"mode='lanczos'"),
    (lambda: F.interpolate(_z(1, 2, 3), size=4, mode="cubic"), NotImplementedError, r"mode='cubic' is not"),
    (lambda: F.interpolate(_z(1, 2, 3, 3), size=4, mode="bilinear", antialias=True), NotImplementedError,
     r"interpolate: antialias=True is not supported"),
    (lambda: F.interpolate(_z(1, 2, 3), size=4, antialias=True), ValueError, r"anti-alias option is restricted"),
    (lambda: F.interpolate(_z(1, 2, 3), size=4, mode="bilinear"), NotImplementedError,
     r"interpolate: got 3D input, but bilinear mode needs 4D input"),
    (lambda: F.interpolate(_z(1, 2, 3, 3), size=4, mode="linear"), NotImplementedError,
     r"got 4D input, but linear mode needs 3D input"),
    (lambda: F.interpolate(_z(1, 2, 3, 3), size=4, mode="trilinear"), NotImplementedError,
     r"got 4D input, but trilinear mode needs 5D input"),
    (lambda: F.interpolate(_z(1, 2, 3, 3, 3), size=2, mode="area"), NotImplementedError, r"'area' .* 5D input"),
    (lambda: F.interpolate(_z(2, 3), size=4), NotImplementedError,
     r"interpolate: only 3D, 4D and 5D inputs \(N, C, \*spatial\) are supported, got shape \(2, 3\)"),
    (lambda: F.interpolate(_z(1, 2, 3), scale_factor=2, align_corners=True), ValueError,
     r"align_corners option can only be set with the interpolating modes"),
    (lambda: F.interpolate(_z(1, 2, 3)), ValueError, r"either size or scale_factor should be defined"),
    (lambda: F.interpolate(_z(1, 2, 3), size=4, scale_factor=2), ValueError,
     r"only one of size or scale_factor should be defined"),
    (lambda: F.interpolate(_z(1, 2, 3), size=4, recompute_scale_factor=True), ValueError,
     r"recompute_scale_factor is not meaningful with an explicit size"),
    (lambda: F.interpolate(_z(1, 2, 3), size=(4, 5)), ValueError,
     r"input and output must have the same number of spatial dimensions, but got input with spatial dimensions "
     r"of \[3\] and output size of \(4, 5\)"),
    (lambda: F.interpolate(_z(1, 2, 3, 3), scale_factor=(2, 2, 2)), ValueError,
     r"input and scale_factor must have the same number of spatial dimensions"),
    (lambda: F.interpolate(_z(1, 2, 3), size=2.5), TypeError, r"expected size to be an int or a tuple of ints"),
    (lambda: F.interpolate(_z(1, 2, 3), scale_factor=0.1), ValueError,
     r"interpolate: input and output sizes should be greater than 0, but got input size \(3,\) and output size "
     r"\(0,\)"),
    (lambda: F.interpolate(_z(1, 0, 3), size=4), ValueError, r"expected non-empty channels"),
    (lambda: F.interpolate(al.zeros(1, 2, 3, dtype=np.int64), size=4), TypeError, r"expected a floating point"),
    (lambda: F.interpolate([[[1.0]]], size=4), TypeError, r"interpolate: expected a Tensor as input"),
])
def test_interpolate_errors(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()


def test_interpolate_refuses_what_pytorch_refuses() -> None:
    torch = _torch()
    for shape, kw in [((1, 2, 3), dict(scale_factor=0.1)), ((1, 2, 3), dict(size=0)), ((1, 2, 3), {}),
                      ((1, 2, 3), dict(size=4, mode="bilinear")), ((2, 3), dict(size=4))]:
        with pytest.raises((RuntimeError, ValueError, NotImplementedError)):
            torch.nn.functional.interpolate(torch.zeros(shape), **kw)
        with pytest.raises((RuntimeError, ValueError, NotImplementedError)):
            F.interpolate(al.zeros(*shape), **kw)
    assert F.interpolate(al.zeros(0, 2, 3), size=4, mode="linear").shape == (0, 2, 4)     # an empty batch is fine
