"""nn.functional on edge inputs (issue 11), side by side with PyTorch, the test-only oracle: broadcasting,
mixed dtypes, values out of range, 0-d and 1-D inputs, empty batches. Each case either gives PyTorch's
result (value, dtype, shape, gradients) or an error that names the function, as PyTorch errors too."""

from __future__ import annotations

import ast
import inspect
import itertools
import math
import warnings

import numpy as np
import pytest

import autograd_lite as al
import nn
import nn.functional as F

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")     # no NumPy warnings on the way either

REASON = "PyTorch (the test-only oracle) is not installed"


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason=REASON)


def arr(*shape: int, seed: int = 0, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(lo, hi, shape)


def pair(torch, a: np.ndarray | None, grad: bool = False) -> tuple:
    """The same array as an autograd_lite and a PyTorch tensor (same dtype), both leaves."""
    if a is None:
        return None, None
    return (al.tensor(a, requires_grad=grad and a.dtype.kind == "f"),
            torch.tensor(a, requires_grad=grad and a.dtype.kind == "f"))


def outcome(fn):
    """The result of fn(), or the exception it raised (warnings are recorded, not raised)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn()
    except Exception as exc:   # noqa: BLE001 -- comparing who raises is the point
        return exc


def assert_same(ours, theirs, rtol: float = 1e-6, atol: float = 1e-7) -> None:
    """Both raised, or both gave the same dtype, shape and values."""
    if isinstance(theirs, Exception) or isinstance(ours, Exception):
        assert isinstance(ours, Exception) and isinstance(theirs, Exception), (ours, theirs)
        return
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (ours.dtype, theirs.dtype)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.array, theirs.detach().numpy(), rtol=rtol, atol=atol)


def grads_match(ours: list, theirs: list, rtol: float = 1e-9, atol: float = 1e-12) -> None:
    for a, t in zip(ours, theirs):
        assert (a.grad is None) == (t.grad is None)
        if t.grad is not None:
            np.testing.assert_allclose(a.grad.array, t.grad.numpy(), rtol=rtol, atol=atol)


# ------------------------------------------------------------------ cosine_similarity
def test_cosine_similarity_broadcasts_before_normalising(torch) -> None:
    a = np.array([[1.0, 2, 3], [4, 5, 6]])
    b = np.array([[1.0], [2.0]])
    out = F.cosine_similarity(al.tensor(a), al.tensor(b), dim=1)
    np.testing.assert_allclose(out.array, [0.9258201, 0.9869275], rtol=1e-6)    # was [1.60, 1.71]: above 1
    assert_same(out, torch.nn.functional.cosine_similarity(torch.tensor(a), torch.tensor(b), dim=1), rtol=1e-12)


@pytest.mark.parametrize("sa, sb, dim", [((3,), (), 0), ((), (3,), -1), ((), (), 0), ((2, 1, 4), (3, 1), -1),
                                          ((2, 1, 4), (3, 1), 1), ((1, 5), (4, 5), 0), ((2, 0), (2, 0), 1)])
def test_cosine_similarity_shapes_and_gradients_like_pytorch(torch, sa, sb, dim) -> None:
    (x1, t1), (x2, t2) = pair(torch, arr(*sa, seed=1), grad=True), pair(torch, arr(*sb, seed=2), grad=True)
    ours, theirs = F.cosine_similarity(x1, x2, dim), torch.nn.functional.cosine_similarity(t1, t2, dim)
    assert_same(ours, theirs, rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    grads_match([x1, x2], [t1, t2])
    if ours.numel():
        assert al.gradcheck(lambda a, b: F.cosine_similarity(a, b, dim), (x1, x2))


@pytest.mark.parametrize("va, vb, eps", [
    ([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], 1e-8),          # a zero vector
    ([1e-9, 0.0], [3.0, 4.0], 1e-8),                   # a norm below eps
    ([1e-5, 0.0], [1e-5, 0.0], 1e-8),                  # both norms small, their product below eps
    ([1e-5, 0.0], [1e-5, 0.0], 1e-3),                  # both below eps: each is clamped on its own
    ([2e-4, -1e-4], [3.0, 1.0], 1e-3),
])
def test_cosine_similarity_eps_clamps_each_norm_like_pytorch(torch, va, vb, eps) -> None:
    # PyTorch 2.x: x1 / max(||x1||, eps) . x2 / max(||x2||, eps), its gradient treating the clamp as the
    # identity (it clamps in place under no_grad) -- values and gradients both matched here.
    (x1, t1), (x2, t2) = pair(torch, np.array([va]), grad=True), pair(torch, np.array([vb]), grad=True)
    ours, theirs = F.cosine_similarity(x1, x2, eps=eps), torch.nn.functional.cosine_similarity(t1, t2, eps=eps)
    assert_same(ours, theirs, rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    grads_match([x1, x2], [t1, t2], rtol=1e-9, atol=1e-6)


def test_cosine_similarity_dtypes_and_errors(torch) -> None:
    TF = torch.nn.functional
    for da, db in itertools.product([np.float32, np.float64, np.int64], repeat=2):
        a, b = arr(2, 3, seed=3).astype(da), arr(2, 3, seed=4).astype(db) * 5
        assert_same(outcome(lambda a=a, b=b: F.cosine_similarity(al.tensor(a), al.tensor(b))),
                    outcome(lambda a=a, b=b: TF.cosine_similarity(torch.tensor(a), torch.tensor(b))), rtol=1e-6)
    with pytest.raises(TypeError, match="cosine_similarity: expected a floating point input, got dtypes int64"):
        F.cosine_similarity(al.tensor([1, 2]), al.tensor([1, 2]), dim=0)
    with pytest.raises(IndexError, match=r"cosine_similarity: dim 1 is out of range for a tensor with 1 dims"):
        F.cosine_similarity(al.ones(3), al.ones(3))
    with pytest.raises(ValueError, match=r"cosine_similarity: shapes \(2, 3\) and \(4, 3\) do not broadcast"):
        F.cosine_similarity(al.ones(2, 3), al.ones(4, 3))


def test_normalize_takes_0d_inputs_and_names_a_bad_dim(torch) -> None:
    assert_same(F.normalize(al.tensor(-3.0), dim=0), torch.nn.functional.normalize(torch.tensor(-3.0), dim=0))
    with pytest.raises(IndexError, match="normalize: dim 1 is out of range for a tensor with 1 dims"):
        F.normalize(al.ones(3))


# ------------------------------------------------------------------ cross_entropy with class probabilities
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5), (4,)], ids=["NC", "NCd", "C"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probability_target_gets_pytorchs_gradient(torch, shape, smoothing, weighted, reduction):
    class_dim = 0 if len(shape) == 1 else 1
    probs = np.exp(arr(*shape, seed=6, lo=-2, hi=2))
    probs /= probs.sum(class_dim, keepdims=True)
    (x, tx), (p, tp) = pair(torch, arr(*shape, seed=5, lo=-2, hi=2), True), pair(torch, probs, True)
    (w, tw) = pair(torch, arr(shape[class_dim], seed=7, lo=0.5, hi=2), True) if weighted else (None, None)
    ours = F.cross_entropy(x, p, weight=w, reduction=reduction, label_smoothing=smoothing)
    theirs = torch.nn.functional.cross_entropy(tx, tp, weight=tw, reduction=reduction, label_smoothing=smoothing)
    assert_same(ours, theirs, rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    assert p.grad is not None                       # was None: the target was read as a constant
    grads_match([x, p] + ([w] if weighted else []), [tx, tp] + ([tw] if weighted else []))
    inputs = (x, p) + ((w,) if weighted else ())
    assert al.gradcheck(lambda *a: F.cross_entropy(a[0], a[1], weight=a[2] if weighted else None,
                                                   reduction=reduction, label_smoothing=smoothing), inputs)


# ------------------------------------------------------------------ multi_margin_loss
@pytest.mark.parametrize("xshape, target", [((4,), [1]), ((4,), 1), ((1, 4), 2), ((3, 4), [0, 3, 1]),
                                            ((), 0), ((0, 4), np.zeros(0, dtype=np.int64))])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_multi_margin_loss_shapes_like_pytorch(torch, xshape, target, reduction) -> None:
    (x, tx) = pair(torch, arr(*xshape, seed=8), grad=True)
    t = al.tensor(np.asarray(target, dtype=np.int64))
    ours = F.multi_margin_loss(x, t, reduction=reduction)
    if reduction == "mean" and x.numel() == 0:
        assert ours.shape == () and math.isnan(ours.item())     # PyTorch returns uninitialised memory here
        return
    theirs = torch.nn.functional.multi_margin_loss(tx, torch.tensor(t.array), reduction=reduction)
    assert_same(ours, theirs, rtol=1e-12)                 # (4,) with target (1,), 'none': (1,), was ()
    ours.sum().backward()
    theirs.sum().backward()
    grads_match([x], [tx])
    if x.numel():
        assert al.gradcheck(lambda a: F.multi_margin_loss(a, t, reduction=reduction), (x,))


def test_multi_margin_loss_errors(torch) -> None:
    x = al.zeros(3, 4)
    for target in ([-1, 0, 1], [4, 0, 1]):            # -1 was accepted (read from the end by NumPy)
        with pytest.raises(IndexError, match=rf"multi_margin_loss: target {target[0]} is out of range for 4 "
                                             r"classes; expected values between 0 and 3"):
            F.multi_margin_loss(x, al.tensor(target))
        with pytest.raises(RuntimeError, match="target out of range"):
            torch.nn.functional.multi_margin_loss(torch.zeros(3, 4), torch.tensor(target))
    with pytest.raises(ValueError, match=r"multi_margin_loss: target should be 1-D with one class index per sample, "
                                         r"shape \(3,\), got \(3, 1\)"):
        F.multi_margin_loss(x, al.zeros(3, 1, dtype=al.int64))
    with pytest.raises(ValueError, match=r"multi_margin_loss: expected an input of shape \(C,\) or \(N, C\)"):
        F.multi_margin_loss(al.zeros(2, 3, 4), al.zeros(2, dtype=al.int64))
    with pytest.raises(ValueError, match=r"multi_margin_loss: weight should have one element per class, shape \(4,\)"):
        F.multi_margin_loss(x, al.zeros(3, dtype=al.int64), weight=al.ones(3))


# ------------------------------------------------------------------ values out of range
def test_binary_cross_entropy_refuses_values_outside_0_1_like_pytorch(torch) -> None:
    for p, y, bad in [(0.5, 2.0, "target 2.0"), (0.5, -1.0, "target -1.0"), (0.5, math.nan, "target nan"),
                      (1.5, 1.0, "input 1.5"), (math.nan, 1.0, "input nan")]:
        with pytest.raises(ValueError, match=rf"binary_cross_entropy: {bad} is out of range; expected values "
                                             r"between 0 and 1"):
            F.binary_cross_entropy(al.tensor([0.2, p]), al.tensor([0.0, y]))
        with pytest.raises(RuntimeError, match="should be between 0 and 1"):
            torch.nn.functional.binary_cross_entropy(torch.tensor([0.2, p]), torch.tensor([0.0, y]))
    # the logits form takes any target, as PyTorch's does
    assert_same(F.binary_cross_entropy_with_logits(al.tensor([0.5]), al.tensor([2.0])),
                torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor([0.5]), torch.tensor([2.0])))


@pytest.mark.parametrize("fn, smoothing", [("nll_loss", None), ("cross_entropy", 0.0), ("cross_entropy", 0.1)])
@pytest.mark.parametrize("target, ignore_index", [([5, 0, 1], -100), ([-1, 0, 1], -100), ([-1, 0, 1], -1),
                                                  ([7, 0, 1], 7), ([2, 0, 1], 2), ([-100, -100, 3], -100)])
def test_class_indices_out_of_range_unless_ignored(torch, fn, target, ignore_index, smoothing) -> None:
    (x, tx) = pair(torch, arr(3, 4, seed=9), grad=True)
    kw = {"ignore_index": ignore_index, "reduction": "none"}
    if smoothing is not None:                         # nll_loss has no label smoothing
        kw["label_smoothing"] = smoothing
    t = al.tensor(target)
    theirs = outcome(lambda: getattr(torch.nn.functional, fn)(tx, torch.tensor(target), **kw))
    if isinstance(theirs, Exception):
        bad = next(v for v in target if v != ignore_index and not 0 <= v < 4)
        with pytest.raises(IndexError, match=rf"{fn}: target {bad} is out of range for 4 classes; expected values "
                                             rf"between 0 and 3 or ignore_index={ignore_index}"):
            getattr(F, fn)(x, t, **kw)
        return
    ours = getattr(F, fn)(x, t, **kw)
    assert_same(ours, theirs, rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    grads_match([x], [tx])


def test_embedding_and_one_hot_ranges(torch) -> None:
    w = al.ones(3, 2)
    for padding_idx in (3, -4):                   # was wrapped modulo 3: row 0 silently became the padding
        with pytest.raises(ValueError, match=rf"embedding: padding_idx {padding_idx} is out of range for 3 "
                                             r"embeddings; expected values between -3 and 2"):
            F.embedding(al.tensor([0]), w, padding_idx=padding_idx)
    out = F.embedding(al.tensor([2, 0]), f64w := al.tensor(arr(3, 2, seed=10), requires_grad=True), padding_idx=-1)
    out.sum().backward()
    np.testing.assert_array_equal(f64w.grad.array, [[1, 1], [0, 0], [0, 0]])      # -1 is row 2: no gradient
    with pytest.raises(IndexError, match="embedding: index -1 is out of range for 3 embeddings"):
        F.embedding(al.tensor([-1]), w)
    with pytest.raises(ValueError, match=r"embedding: expected a 2-D weight \(num_embeddings, embedding_dim\)"):
        F.embedding(al.tensor([0]), al.ones(3))
    # one_hot: an empty tensor has no largest class to infer num_classes from
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty tensor"):
        torch.nn.functional.one_hot(torch.zeros(0, dtype=torch.long))
    with pytest.raises(ValueError, match="one_hot: can not infer the number of classes from an empty tensor; "
                                         "pass num_classes"):
        F.one_hot(al.tensor(np.zeros(0, dtype=np.int64)))
    assert F.one_hot(al.tensor(np.zeros(0, dtype=np.int64)), 3).shape == (0, 3)
    with pytest.raises(ValueError, match="one_hot: class index -1 is out of range for num_classes=3"):
        F.one_hot(al.tensor([-1, 2]))
    with pytest.raises(ValueError, match="one_hot: num_classes must be a number of classes or -1"):
        F.one_hot(al.tensor([0]), -2)


# ------------------------------------------------------------------ dtypes
def _bad_dtype_calls():
    x32, w64 = al.zeros(4, 3), al.ones(3, dtype=al.float64)
    x64 = al.zeros(4, 3, dtype=al.float64)
    idx = al.tensor([0, 2, 1, 1])
    return [
        ("prelu", "weight", lambda: F.prelu(x32, w64)),
        ("prelu", "weight", lambda: F.prelu(x64, al.ones(1))),
        ("layer_norm", "weight", lambda: F.layer_norm(x32, (3,), w64)),
        ("layer_norm", "bias", lambda: F.layer_norm(x32, (3,), al.ones(3), w64)),
        ("layer_norm", "weight", lambda: F.layer_norm(x64, (3,), al.ones(3))),
        ("batch_norm", "weight", lambda: F.batch_norm(x32, None, None, w64, training=True)),
        ("batch_norm", "bias", lambda: F.batch_norm(x32, al.zeros(3), al.ones(3), None, w64)),
        ("batch_norm", "running_mean", lambda: F.batch_norm(x32, al.zeros(3, dtype=al.float64), al.ones(3))),
        ("batch_norm", "running_var", lambda: F.batch_norm(x32, al.zeros(3), w64, training=True)),
        ("batch_norm", "running_mean", lambda: F.batch_norm(x64, al.zeros(3), al.ones(3))),
        ("nll_loss", "weight", lambda: F.nll_loss(x32, idx, weight=w64)),
        ("cross_entropy", "weight", lambda: F.cross_entropy(x32, idx, weight=w64)),
        ("cross_entropy", "weight", lambda: F.cross_entropy(x64, idx, weight=al.ones(3), label_smoothing=0.1)),
        ("multi_margin_loss", "weight", lambda: F.multi_margin_loss(x32, idx, weight=w64)),
        ("binary_cross_entropy", "target", lambda: F.binary_cross_entropy(x32, al.zeros(4, 3, dtype=al.float64))),
        ("binary_cross_entropy", "target", lambda: F.binary_cross_entropy(x64, al.zeros(4, 3))),
    ]


@pytest.mark.parametrize("op, name, call", _bad_dtype_calls(), ids=lambda v: v if isinstance(v, str) else "")
def test_no_silent_promotion_where_pytorch_refuses(torch, op, name, call) -> None:
    with pytest.raises(TypeError, match=rf"{op}: expected {name} of dtype float(32|64) \(the input's\), got "
                                        rf"float(64|32); convert it with \.to\("):
        call()


def test_modules_fail_the_same_way_until_converted() -> None:
    x = al.randn(5, 3)
    bn = nn.BatchNorm1d(3).double()
    with pytest.raises(TypeError, match="batch_norm: expected weight of dtype float32"):
        bn(x)
    assert bn(x.double()).dtype == np.float64
    with pytest.raises(TypeError, match="prelu: expected weight of dtype float64"):
        nn.PReLU()(x.double())


F32, F64, I64 = np.float32, np.float64, np.int64
# name -> (call(m, x, t, w) with m nn.functional or torch.nn.functional, kind of target, takes a weight)
LOSSES = {
    "mse_loss": (lambda m, x, t, w: m.mse_loss(x, t), "real", False),
    "l1_loss": (lambda m, x, t, w: m.l1_loss(x, t), "real", False),
    "huber_loss": (lambda m, x, t, w: m.huber_loss(x, t, delta=0.3), "real", False),
    "smooth_l1_loss": (lambda m, x, t, w: m.smooth_l1_loss(x, t, beta=0.3), "real", False),
    "binary_cross_entropy": (lambda m, x, t, w: m.binary_cross_entropy(x, t, weight=w), "real", True),
    "bce_with_logits": (lambda m, x, t, w: m.binary_cross_entropy_with_logits(x, t, weight=w), "real", True),
    "bce_with_logits_pos_weight": (lambda m, x, t, w: m.binary_cross_entropy_with_logits(x, t, pos_weight=w),
                                   "real", True),
    "nll_loss": (lambda m, x, t, w: m.nll_loss(x, t, weight=w), "index", True),
    "cross_entropy": (lambda m, x, t, w: m.cross_entropy(x, t, weight=w), "index", True),
    "cross_entropy_smoothed": (lambda m, x, t, w: m.cross_entropy(x, t, weight=w, label_smoothing=0.1), "index", True),
    "cross_entropy_probs": (lambda m, x, t, w: m.cross_entropy(x, t, weight=w), "real", True),
    "cross_entropy_probs_smoothed": (lambda m, x, t, w: m.cross_entropy(x, t, weight=w, label_smoothing=0.1),
                                     "real", True),
    "multi_margin_loss": (lambda m, x, t, w: m.multi_margin_loss(x, t, weight=w), "index", True),
}


def _dtype_cases():
    for name, (_, kind, weighted) in LOSSES.items():
        targets = [I64] if kind == "index" else [F32, F64, I64]
        weights = [None, F32, F64] + ([I64] if name.startswith("b") else []) if weighted else [None]
        for dx, dt, dw in itertools.product([F32, F64], targets, weights):
            yield pytest.param(name, dx, dt, dw, id=f"{name}-{np.dtype(dx)}-{np.dtype(dt)}-{dw and np.dtype(dw)}")


@pytest.mark.parametrize("name, dx, dt, dw", list(_dtype_cases()))
def test_every_loss_and_dtype_combination_like_pytorch(torch, name, dx, dt, dw) -> None:
    """The result's dtype (and value) is PyTorch's, or both refuse: mse/l1/smooth_l1 promote, huber keeps
    the input's dtype, BCE wants the input's dtype for its target, BCE-with-logits takes the target's,
    class weights must match the input, probability targets promote with the input and the weight."""
    call, kind, _ = LOSSES[name]
    x = arr(3, 4, seed=11, lo=0.1, hi=0.9).astype(dx)
    t = np.array([0, 2, 1]) if kind == "index" else arr(3, 4, seed=12, lo=0.0, hi=1.0).astype(dt)
    if kind == "real" and dt == I64:
        t = (t > 0.5).astype(I64)
    w = None if dw is None else arr(4, seed=13, lo=0.5, hi=2.0).astype(dw)
    if dw == I64:
        w = np.array([1, 2, 1, 3])
    ours = outcome(lambda: call(F, *(None if a is None else al.tensor(a) for a in (x, t, w))))
    theirs = outcome(lambda: call(torch.nn.functional, *(None if a is None else torch.tensor(a) for a in (x, t, w))))
    assert_same(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dx, dt", list(itertools.product([F32, F64], repeat=2)))
def test_bce_with_logits_takes_the_targets_dtype(torch, dx, dt) -> None:
    (x, tx) = pair(torch, arr(5, seed=14, lo=-3, hi=3).astype(dx), True)
    (y, ty) = pair(torch, arr(5, seed=15).astype(dt))
    ours = F.binary_cross_entropy_with_logits(x, y, pos_weight=al.tensor(2.0, dtype=dx))
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(tx, ty, pos_weight=torch.tensor(2.0, dtype=tx.dtype))
    assert ours.dtype == dt                   # (x64, t32) is float32, (x32, t64) float64
    assert_same(ours, theirs, rtol=1e-6)
    ours.backward()
    theirs.backward()
    assert x.grad.dtype == dx
    grads_match([x], [tx], rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------ regression losses broadcast, with a warning
REGRESSION = {
    "mse_loss": {},
    "l1_loss": {},
    "huber_loss": {"delta": 0.4},
    "smooth_l1_loss": {"beta": 0.4},
}


@pytest.mark.parametrize("name", list(REGRESSION))
@pytest.mark.parametrize("sx, st", [((4, 1), (4,)), ((4,), ()), ((2, 3), (1, 3))])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_broadcast_with_pytorchs_warning(torch, name, sx, st, reduction) -> None:
    (x, tx), (y, ty) = pair(torch, arr(*sx, seed=16), True), pair(torch, arr(*st, seed=17), True)
    kw = dict(REGRESSION[name], reduction=reduction)
    with pytest.warns(UserWarning, match="Using a target size .* that is different to the input size") as ours_w:
        ours = getattr(F, name)(x, y, **kw)
    with pytest.warns(UserWarning, match="Using a target size .* that is different to the input size"):
        theirs = getattr(torch.nn.functional, name)(tx, ty, **kw)
    assert ours_w[0].message.args[0].startswith(f"{name}: Using a target size {st} that is different to the "
                                                f"input size {sx}. This will likely lead to incorrect results")
    assert ours_w[0].filename == __file__          # the warning points at the caller
    assert_same(ours, theirs, rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    grads_match([x, y], [tx, ty])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert al.gradcheck(lambda a, b: getattr(F, name)(a, b, **kw), (x, y))


def test_regression_losses_refuse_shapes_that_do_not_broadcast(torch) -> None:
    for name in REGRESSION:
        with pytest.raises(ValueError, match=rf"{name}: target shape \(3,\) does not broadcast with input shape "
                                             r"\(4, 2\)"):
            getattr(F, name)(al.zeros(4, 2), al.zeros(3))
        with pytest.raises(RuntimeError, match="must match the size"), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            getattr(torch.nn.functional, name)(torch.zeros(4, 2), torch.zeros(3))


def test_bce_targets_and_weights_do_not_broadcast(torch) -> None:
    TF = torch.nn.functional
    for fn in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        with pytest.raises(ValueError, match=rf"{fn}: target shape \(2, 1\) differs from input shape \(2,\)"):
            getattr(F, fn)(al.full((2,), 0.5), al.ones(2, 1))
        with pytest.raises(ValueError):
            getattr(TF, fn)(torch.full((2,), 0.5), torch.ones(2, 1))
        # a weight may broadcast up to the input's shape, not beyond it (that made a table of losses)
        with pytest.raises(ValueError, match=rf"{fn}: weight of shape \(3, 2\) does not broadcast to the input's "
                                             r"shape \(2,\)"):
            getattr(F, fn)(al.full((2,), 0.5), al.ones(2), weight=al.ones(3, 2))
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            getattr(TF, fn)(torch.full((2,), 0.5), torch.ones(2), weight=torch.ones(3, 2))
        assert_same(getattr(F, fn)(al.full((3, 2), 0.4), al.ones(3, 2), weight=al.tensor([1.0, 2.0])),
                    getattr(TF, fn)(torch.full((3, 2), 0.4), torch.ones(3, 2), weight=torch.tensor([1.0, 2.0])))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(3, 2\) does not broadcast"):
        F.binary_cross_entropy_with_logits(al.zeros(2), al.ones(2), pos_weight=al.ones(3, 2))


# ------------------------------------------------------------------ empty batches and nothing counted
EMPTY_MEANS = [
    ("nll_loss", lambda m, x, t: m.nll_loss(x.log_softmax(1), t)),
    ("cross_entropy", lambda m, x, t: m.cross_entropy(x, t)),
    ("cross_entropy_weighted", lambda m, x, t: m.cross_entropy(x, t, weight=x.new_ones(4))),
    ("cross_entropy_smoothed", lambda m, x, t: m.cross_entropy(x, t, label_smoothing=0.1)),
    ("cross_entropy_probs", lambda m, x, t: m.cross_entropy(x, x.detach().softmax(1))),
    ("mse_loss", lambda m, x, t: m.mse_loss(x, x.detach() * 0.5)),
    ("l1_loss", lambda m, x, t: m.l1_loss(x, x.detach() * 0.5)),
    ("bce", lambda m, x, t: m.binary_cross_entropy(x.sigmoid(), x.detach().sigmoid())),
    ("bce_with_logits", lambda m, x, t: m.binary_cross_entropy_with_logits(x, x.detach().sigmoid())),
]


_CLASS_INDEX_LOSSES = ("nll_loss", "cross_entropy", "cross_entropy_weighted", "cross_entropy_smoothed")


@pytest.mark.parametrize("name, call, rows", [(n, c, r) for n, c in EMPTY_MEANS for r in (0, 2)
                                              if r == 0 or n in _CLASS_INDEX_LOSSES],   # (only class indices
                         ids=lambda v: v if isinstance(v, str) else "")                  # can all be ignored)
def test_mean_over_nothing_is_nan_with_a_zero_gradient(torch, name, call, rows) -> None:
    # PyTorch: NaN, and a zero gradient; here NumPy warned (0/0) and nll_loss's backward raised ZeroDivisionError
    # rows=0: an empty batch; rows=2: every target ignored
    (x, tx) = pair(torch, arr(rows, 4, seed=18), True)
    t = np.full(rows, -100)
    ours, theirs = call(F, x, al.tensor(t)), call(torch.nn.functional, tx, torch.tensor(t))
    assert math.isnan(ours.item()) and math.isnan(theirs.item())
    ours.backward()
    theirs.backward()
    grads_match([x], [tx])


@pytest.mark.parametrize("reduction, want", [("sum", 0.0), ("none", None)])
def test_empty_batch_sum_and_none(torch, reduction, want) -> None:
    for fn in ("nll_loss", "cross_entropy"):
        (x, tx) = pair(torch, arr(0, 4), True)
        t = np.zeros(0, dtype=np.int64)
        assert_same(getattr(F, fn)(x, al.tensor(t), reduction=reduction),
                    getattr(torch.nn.functional, fn)(tx, torch.tensor(t), reduction=reduction))


def test_batch_norm_on_an_empty_batch_leaves_the_running_stats(torch) -> None:
    bn, tbn = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    out = bn(al.zeros(0, 3))
    assert out.shape == tuple(tbn(torch.zeros(0, 3)).shape) == (0, 3)
    np.testing.assert_array_equal(bn.running_mean.array, 0)
    np.testing.assert_array_equal(bn.running_var.array, 1)
    with pytest.raises(ValueError, match="batch_norm: expected more than 1 value per channel"):
        bn(al.zeros(1, 3))
    assert F.layer_norm(al.zeros(0, 3), (3,)).shape == (0, 3)
    assert F.layer_norm(al.zeros(2, 0), (0,)).shape == (2, 0)


# ------------------------------------------------------------------ shapes of parameters and inputs
def test_parameter_shapes_are_checked(torch) -> None:
    x = al.zeros(4, 3)
    cases = [
        (lambda: F.layer_norm(x, (3,), al.ones(1)),
         r"layer_norm: expected weight of shape \(3,\) \(normalized_shape\), got \(1,\)"),
        (lambda: F.layer_norm(x, (3,), None, al.ones(1, 3)), r"layer_norm: expected bias of shape \(3,\)"),
        (lambda: F.layer_norm(x, ()), r"layer_norm: expected normalized_shape with at least one dim"),
        (lambda: F.batch_norm(x, None, None, al.ones(4), training=True),
         r"batch_norm: weight should contain 3 elements \(one per channel"),
        (lambda: F.batch_norm(x, al.zeros(4), al.ones(4)), r"batch_norm: running_mean should contain 3 elements"),
        (lambda: F.prelu(x, al.ones(1, 3)),
         r"prelu: expected weight to be a scalar or a 1-D tensor, got shape \(1, 3\)"),
        (lambda: F.cross_entropy(x, al.zeros(4, dtype=al.int64), weight=al.ones(4)),
         r"cross_entropy: weight should have one element per class, shape \(3,\), got \(4,\)"),
        (lambda: F.cross_entropy(x, al.zeros(4, 3), weight=al.ones(4)), r"cross_entropy: weight should have one"),
        (lambda: F.nll_loss(x, al.zeros(4, dtype=al.int64), weight=al.ones(2)), r"nll_loss: weight should have one"),
        (lambda: F.cross_entropy(al.tensor(0.0), al.tensor(0)), r"cross_entropy: expected logits of shape \(C,\)"),
        (lambda: F.nll_loss(al.tensor(0.0), al.tensor(0)), r"nll_loss: expected log-probabilities of shape \(C,\)"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
    # the same mistakes in PyTorch
    TF, tx = torch.nn.functional, torch.zeros(4, 3)
    for call in (lambda: TF.layer_norm(tx, (3,), torch.ones(1)), lambda: TF.layer_norm(tx, ()),
                 lambda: TF.batch_norm(tx, None, None, torch.ones(4), training=True),
                 lambda: TF.prelu(tx, torch.ones(1, 3)),
                 lambda: TF.cross_entropy(tx, torch.zeros(4, dtype=torch.long), weight=torch.ones(4))):
        assert isinstance(outcome(call), Exception)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_1d_input_takes_a_one_element_target(torch, reduction, smoothing) -> None:
    (x, tx) = pair(torch, arr(4, seed=19), True)
    ours = [F.cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing)
            for t in (al.tensor([2]), al.tensor(2))]
    theirs = torch.nn.functional.cross_entropy(tx, torch.tensor(2), reduction=reduction, label_smoothing=smoothing)
    for out in ours:                         # a target of shape (1,) was refused; both give a 0-d loss
        assert_same(out, theirs, rtol=1e-12)
    if not smoothing:                        # (PyTorch's own smoothing fails on the (1,) target: a shape bug)
        assert_same(ours[0], torch.nn.functional.cross_entropy(tx, torch.tensor([2]), reduction=reduction))


def test_dropout_refuses_integer_inputs(torch) -> None:
    # 1 / (1 - p) in int64 was 0: a division by zero and NaN/inf outputs
    with pytest.raises(TypeError, match="dropout: expected a floating point input, got dtype int64"):
        F.dropout(al.tensor([1, 2, 3]))
    assert isinstance(outcome(lambda: torch.nn.functional.dropout(torch.tensor([1, 2, 3]))), Exception)
    x = al.tensor([1, 2, 3])
    assert F.dropout(x, training=False) is x


# ------------------------------------------------------------------ F.pad (autograd_lite.pad)
@pytest.mark.parametrize("amounts", [(-2, -2), (-1, -3), (-2, -1), (-3, 0), (-3, 1), (0, 0, -1, -1),
                                     (-4, 2), (2, -4), (5, -4)])   # PyTorch crops first, then pads
def test_pad_cropping_more_than_a_dim_holds(torch, amounts) -> None:
    shape = (3,) if len(amounts) == 2 else (2, 3)
    a = np.arange(float(math.prod(shape))).reshape(shape)
    theirs = outcome(lambda: torch.nn.functional.pad(torch.tensor(a), amounts))
    if isinstance(theirs, Exception):
        with pytest.raises(ValueError, match="pad:"):
            F.pad(al.tensor(a), amounts)
    else:
        assert_same(F.pad(al.tensor(a), amounts), theirs)


@pytest.mark.parametrize("fn", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("dtype", ["int32", "int16", "int8"])
def test_class_index_tensors_must_be_int64_or_uint8(torch, fn, dtype) -> None:
    x = arr(3, 4, seed=2)
    theirs = outcome(lambda: getattr(torch.nn.functional, fn)(torch.tensor(x), torch.tensor([0, 1, 2]).to(
        getattr(torch, dtype))))
    assert isinstance(theirs, Exception)
    with pytest.raises(TypeError, match=f"{fn}: expected class indices of dtype int64 \\(or uint8\\) as target, "
                                        f"got dtype {dtype}"):
        getattr(F, fn)(al.tensor(x), al.tensor([0, 1, 2], dtype=getattr(np, dtype)))
    for ok in ("int64", "uint8"):
        assert_same(getattr(F, fn)(al.tensor(x), al.tensor([0, 1, 2], dtype=getattr(np, ok))),
                    getattr(torch.nn.functional, fn)(torch.tensor(x), torch.tensor([0, 1, 2]).to(getattr(torch, ok))))


@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("dtypes", [("float32", "bool"), ("bool", "float32"), ("float32", "int64"),
                                    ("int64", "float32"), ("float64", "bool")])
def test_regression_losses_with_bool_and_integer_operands_as_pytorch(torch, fn, dtypes) -> None:
    values = np.array([[1.0, 0.0], [2.0, 1.0]])
    a, b = (values.astype(d) for d in dtypes)
    theirs = outcome(lambda: getattr(torch.nn.functional, fn)(torch.tensor(a), torch.tensor(b)))
    if isinstance(theirs, Exception):
        with pytest.raises(TypeError, match=f"{fn}: "):
            getattr(F, fn)(al.tensor(a), al.tensor(b))
    else:
        assert_same(getattr(F, fn)(al.tensor(a), al.tensor(b)), theirs)


# ------------------------------------------------------------------ integer and bool inputs (float-only functions)
NON_FLOAT = ["int32", "int64", "bool", "uint8", "int8", "int16"]
# name -> call(m, lib, a): m nn.functional or torch.nn.functional, lib autograd_lite or torch, a of shape (2, 3)
ON_DTYPES = {
    "gelu": lambda m, lib, a: m.gelu(a),
    "gelu_tanh": lambda m, lib, a: m.gelu(a, approximate="tanh"),
    "silu": lambda m, lib, a: m.silu(a),
    "elu": lambda m, lib, a: m.elu(a),
    "leaky_relu": lambda m, lib, a: m.leaky_relu(a),
    "softplus": lambda m, lib, a: m.softplus(a),
    "relu": lambda m, lib, a: m.relu(a),
    "sigmoid": lambda m, lib, a: m.sigmoid(a),
    "tanh": lambda m, lib, a: m.tanh(a),
    "softmax": lambda m, lib, a: m.softmax(a, 1),
    "log_softmax": lambda m, lib, a: m.log_softmax(a, 1),
    "softmax_dtype": lambda m, lib, a: m.softmax(a, 1, dtype=lib.float64),
    "log_softmax_dtype": lambda m, lib, a: m.log_softmax(a, -1, dtype=lib.float32),
    "normalize": lambda m, lib, a: m.normalize(a),
    "layer_norm": lambda m, lib, a: m.layer_norm(a, (3,)),
    "batch_norm_train": lambda m, lib, a: m.batch_norm(a, None, None, training=True),
    "batch_norm_eval": lambda m, lib, a: m.batch_norm(a, lib.zeros(3, dtype=a.dtype), lib.ones(3, dtype=a.dtype)),
    "dropout": lambda m, lib, a: m.dropout(a, 0.5),
    "dropout_eval": lambda m, lib, a: m.dropout(a, 0.5, training=False),
    "dropout_p0": lambda m, lib, a: m.dropout(a, 0.0),
    "dropout_p1": lambda m, lib, a: m.dropout(a, 1.0),
    "prelu": lambda m, lib, a: m.prelu(a, lib.tensor([0.25])),
    "prelu_same_dtype": lambda m, lib, a: m.prelu(a, lib.ones(1, dtype=a.dtype)),
    "cosine_similarity": lambda m, lib, a: m.cosine_similarity(a, a),
    "one_hot": lambda m, lib, a: m.one_hot(a),
    "pad": lambda m, lib, a: m.pad(a, (1, 1)),
    "mse_loss": lambda m, lib, a: m.mse_loss(a, a),
    "huber_loss": lambda m, lib, a: m.huber_loss(a, a),
    "smooth_l1_loss": lambda m, lib, a: m.smooth_l1_loss(a, a),
    "binary_cross_entropy": lambda m, lib, a: m.binary_cross_entropy(a, a),
    "binary_cross_entropy_with_logits": lambda m, lib, a: m.binary_cross_entropy_with_logits(a, a),
    "cross_entropy": lambda m, lib, a: m.cross_entropy(a, lib.tensor([0, 1])),
    "nll_loss": lambda m, lib, a: m.nll_loss(a, lib.tensor([0, 1])),
    "multi_margin_loss": lambda m, lib, a: m.multi_margin_loss(a, lib.tensor([0, 1])),
    "embedding_weight": lambda m, lib, a: m.embedding(lib.tensor([0, 1]), a),
}


@pytest.mark.parametrize("dtype", NON_FLOAT + ["float32"])
@pytest.mark.parametrize("name", list(ON_DTYPES))
def test_integer_and_bool_inputs_like_pytorch(torch, name, dtype) -> None:
    # gelu, silu, elu, leaky_relu and softplus computed float32 from int and bool tensors, where PyTorch's
    # kernels raise NotImplementedError; sigmoid and tanh give float32 there, as PyTorch's do.
    call = ON_DTYPES[name]
    values = [[1, 0, 3], [0, 1, 0]] if name.startswith("binary") else [[1, 2, 3], [2, 1, 2]]
    ours = outcome(lambda: call(F, al, al.tensor(values, dtype=getattr(al, dtype))))
    theirs = outcome(lambda: call(torch.nn.functional, torch, torch.tensor(values, dtype=getattr(torch, dtype))))
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"PyTorch raises {theirs!r}; we return {ours!r}"
        op = name.removesuffix("_tanh").removesuffix("_dtype").removesuffix("_train").removesuffix("_eval")
        op = op.removesuffix("_same").removesuffix("_p1").removesuffix("_p0").removesuffix("_weight")
        assert str(ours).startswith(f"{op}: "), ours
        return
    assert not isinstance(ours, Exception), f"PyTorch returns {theirs.dtype}; we raise {ours!r}"
    if name == "dropout":                       # random: only the dtype and the shape
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "") and ours.shape == tuple(theirs.shape)
        return
    assert_same(ours, theirs, rtol=1e-5, atol=1e-6)


def test_float_only_activations_name_themselves_and_say_what_they_got() -> None:
    for name in ("gelu", "silu", "elu", "leaky_relu", "softplus", "normalize"):
        with pytest.raises(TypeError, match=rf"^{name}: expected a floating point input, got dtype int64 .*"
                                            r"convert it with \.float\(\)"):
            getattr(F, name)(al.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="^normalize: "):         # was "norm: ...": PyTorch's RuntimeError too
        F.normalize(al.ones(2, 3, dtype=al.int64))


def test_dropout_on_integers_with_p_1_and_in_place(torch) -> None:
    for dtype in ("int64", "bool", "uint8"):       # PyTorch multiplies by 0: zeros of the input's dtype
        assert_same(F.dropout(al.tensor([1, 0, 1], dtype=getattr(al, dtype)), 1.0),
                    torch.nn.functional.dropout(torch.tensor([1, 0, 1], dtype=getattr(torch, dtype)), 1.0))
    x = al.ones(1000)
    al.manual_seed(0)
    assert F.dropout(x, 0.5, inplace=True) is x            # in place, as PyTorch's: x itself is scaled
    assert set(np.unique(x.array)) == {0.0, 2.0}
    y = al.tensor([1.0, math.inf])
    assert F.dropout(y, 1.0, inplace=True) is y and y.array[0] == 0 and math.isnan(y.array[1])
    with pytest.raises(RuntimeError):                      # a leaf that requires grad cannot be scaled in place
        F.dropout(al.ones(3, requires_grad=True), 0.5, inplace=True)
    with pytest.raises(RuntimeError):
        torch.nn.functional.dropout(torch.ones(3, requires_grad=True), 0.5, inplace=True)
    drop = nn.Dropout(0.5, inplace=True)
    x = al.ones(10)
    assert drop(x) is x


# ------------------------------------------------------------------ prelu of a 0-d input
@pytest.mark.parametrize("wshape", [(1,), ()])
@pytest.mark.parametrize("value", [-2.0, 3.0])
def test_prelu_keeps_a_0d_inputs_shape(torch, wshape, value) -> None:
    (x, tx), (w, tw) = pair(torch, np.array(value), True), pair(torch, np.full(wshape, 0.25), True)
    ours, theirs = F.prelu(x, w), torch.nn.functional.prelu(tx, tw)
    assert ours.shape == () == tuple(theirs.shape)                 # was (1,)
    assert_same(ours, theirs)
    ours.backward()
    theirs.backward()
    grads_match([x, w], [tx, tw])
    assert nn.PReLU()(al.tensor(-1.0)).shape == ()


# ------------------------------------------------------------------ Tensors only, as PyTorch's nn.functional
def _nontensor_calls():
    """(function, argument, call(m, M, bad)): the argument `bad` (a list, an array, a number) in place of a
    Tensor, everything else valid."""
    x, t, p = "M.ones(2, 3)", "M.tensor([1, 0])", "M.full((2, 3), 0.5)"
    table = [
        ("gelu", "input", "F.gelu(v)"), ("silu", "input", "F.silu(v)"), ("elu", "input", "F.elu(v)"),
        ("leaky_relu", "input", "F.leaky_relu(v)"), ("softplus", "input", "F.softplus(v)"),
        ("relu", "input", "F.relu(v)"), ("relu", "input", "F.relu(v, inplace=True)"),
        ("sigmoid", "input", "F.sigmoid(v)"), ("tanh", "input", "F.tanh(v)"),
        ("softmax", "input", "F.softmax(v, 0)"), ("log_softmax", "input", "F.log_softmax(v, 0)"),
        ("normalize", "input", "F.normalize(v, dim=0)"), ("dropout", "input", "F.dropout(v)"),
        ("dropout", "input", "F.dropout(v, training=False)"),
        ("prelu", "input", "F.prelu(v, M.ones(1))"), ("prelu", "weight", f"F.prelu({x}, v)"),
        ("layer_norm", "input", "F.layer_norm(v, (2,))"), ("layer_norm", "weight", f"F.layer_norm({x}, (3,), v)"),
        ("batch_norm", "input", "F.batch_norm(v, None, None, training=True)"),
        ("batch_norm", "running_mean", f"F.batch_norm({x}, v, M.ones(3))"),
        ("batch_norm", "weight", f"F.batch_norm({x}, None, None, v, training=True)"),
        ("cosine_similarity", "x1", "F.cosine_similarity(v, M.ones(2), dim=0)"),
        ("cosine_similarity", "x2", "F.cosine_similarity(M.ones(2), v, dim=0)"),
        ("one_hot", "tensor", "F.one_hot(v)"),
        ("embedding", "input", f"F.embedding(v, {x})"), ("embedding", "weight", f"F.embedding({t}, v)"),
        ("mse_loss", "input", "F.mse_loss(v, M.ones(2))"), ("mse_loss", "target", "F.mse_loss(M.ones(2), v)"),
        ("mse_loss", "weight", "F.mse_loss(M.ones(2), M.ones(2), weight=v)"),
        ("l1_loss", "target", "F.l1_loss(M.ones(2), v)"), ("huber_loss", "target", "F.huber_loss(M.ones(2), v)"),
        ("smooth_l1_loss", "target", "F.smooth_l1_loss(M.ones(2), v)"),
        ("binary_cross_entropy", "target", f"F.binary_cross_entropy({p}, v)"),
        ("binary_cross_entropy", "weight", f"F.binary_cross_entropy({p}, {p}, weight=v)"),
        ("binary_cross_entropy_with_logits", "target", f"F.binary_cross_entropy_with_logits({p}, v)"),
        ("binary_cross_entropy_with_logits", "weight", f"F.binary_cross_entropy_with_logits({p}, {p}, weight=v)"),
        ("binary_cross_entropy_with_logits", "pos_weight",
         f"F.binary_cross_entropy_with_logits({p}, {p}, pos_weight=v)"),
        ("nll_loss", "target", f"F.nll_loss({x}, v)"), ("nll_loss", "weight", f"F.nll_loss({x}, {t}, v)"),
        ("cross_entropy", "target", f"F.cross_entropy({x}, v)"),
        ("cross_entropy", "weight", f"F.cross_entropy({x}, {t}, weight=v)"),
        ("multi_margin_loss", "target", f"F.multi_margin_loss({x}, v)"),
        ("multi_margin_loss", "weight", f"F.multi_margin_loss({x}, {t}, weight=v)"),
    ]
    for fn, arg, call in table:
        for kind, bad in (("list", [1, 0]), ("ndarray", np.array([1.0, 0.0], dtype=np.float32)), ("number", 1.0)):
            yield pytest.param(fn, arg, call, bad, id=f"{fn}-{arg}-{call.count('=')}-{kind}")


@pytest.mark.parametrize("fn, arg, call, bad", list(_nontensor_calls()))
def test_tensor_arguments_take_tensors_only_like_pytorch(torch, fn, arg, call, bad) -> None:
    # F.embedding([0, 2], w), F.cross_entropy(x, [1, 0]) and F.mse_loss(x, [1., 2.]) computed; F.gelu([1.0])
    # raised AttributeError without naming gelu. PyTorch raises TypeError (or AttributeError) for each.
    theirs = outcome(lambda: eval(call, {"F": torch.nn.functional, "M": torch, "v": bad}))
    assert isinstance(theirs, (TypeError, AttributeError)), theirs
    with pytest.raises(TypeError, match=rf"^{fn}: expected a Tensor as {arg}, got {type(bad).__name__}; make one "
                                        r"with al\.tensor"):
        eval(call, {"F": F, "M": al, "v": bad})


def test_numbers_where_pytorch_takes_numbers(torch) -> None:
    TF, x, tx = torch.nn.functional, -al.ones(2, 3), -torch.ones(2, 3)
    for slope in (2, 0.5):
        assert_same(F.leaky_relu(x, slope), TF.leaky_relu(tx, slope))
    assert_same(F.leaky_relu(x, al.tensor(0.2)), TF.leaky_relu(tx, torch.tensor(0.2)))
    assert_same(F.elu(x, 2), TF.elu(tx, 2))
    assert_same(F.softplus(x, 2, 10), TF.softplus(tx, 2, 10))
    assert_same(F.pad(x, (1, 1), value=3), TF.pad(tx, (1, 1), value=3))
    assert_same(F.huber_loss(x, x * 0, delta=2), TF.huber_loss(tx, tx * 0, delta=2))
    assert_same(F.multi_margin_loss(x, al.tensor([0, 1]), 2, 2), TF.multi_margin_loss(tx, torch.tensor([0, 1]), 2, 2))


def test_loss_modules_take_tensors_only_like_pytorch(torch) -> None:
    for cls in ("CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "MultiMarginLoss"):
        with pytest.raises(TypeError):
            getattr(torch.nn, cls)(weight=[1.0, 2.0])
        with pytest.raises(TypeError, match=rf"^{cls}: expected a Tensor as weight, got list"):
            getattr(nn, cls)(weight=[1.0, 2.0])
    with pytest.raises(TypeError, match="^BCEWithLogitsLoss: expected a Tensor as pos_weight, got ndarray"):
        nn.BCEWithLogitsLoss(pos_weight=np.ones(2))
    with pytest.raises(TypeError, match="^cross_entropy: expected a Tensor as target, got list"):
        nn.CrossEntropyLoss()(al.ones(2, 3), [1, 0])
    with pytest.raises(TypeError, match="^embedding: expected a Tensor as input, got list"):
        nn.Embedding(3, 2)([0, 2])


# ------------------------------------------------------------------ index dtypes
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool"])
def test_embedding_takes_int64_and_int32_indices_only(torch, dtype) -> None:
    w = arr(3, 2, seed=20)
    idx = [1, 0] if dtype == "bool" else [2, 0]
    theirs = outcome(lambda: torch.nn.functional.embedding(torch.tensor(idx, dtype=getattr(torch, dtype)),
                                                           torch.tensor(w)))
    if isinstance(theirs, Exception):
        with pytest.raises(TypeError, match=rf"^embedding: expected indices of dtype int64 or int32 as input, got "
                                            rf"dtype {dtype}; convert them with \.long\(\)"):
            F.embedding(al.tensor(idx, dtype=getattr(al, dtype)), al.tensor(w))
    else:
        assert dtype in ("int64", "int32")
        assert_same(F.embedding(al.tensor(idx, dtype=getattr(al, dtype)), al.tensor(w)), theirs)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8", "bool"])
def test_multi_margin_loss_takes_int64_targets_only(torch, dtype) -> None:
    x = arr(2, 3, seed=21)
    theirs = outcome(lambda: torch.nn.functional.multi_margin_loss(torch.tensor(x),
                                                                   torch.tensor([1, 0], dtype=getattr(torch, dtype))))
    if isinstance(theirs, Exception):           # uint8 was accepted, as nll_loss and cross_entropy accept it
        with pytest.raises(TypeError, match=rf"^multi_margin_loss: expected class indices of dtype int64 as "
                                            rf"target, got dtype {dtype}"):
            F.multi_margin_loss(al.tensor(x), al.tensor([1, 0], dtype=getattr(al, dtype)))
    else:
        assert dtype == "int64"
        assert_same(F.multi_margin_loss(al.tensor(x), al.tensor([1, 0], dtype=getattr(al, dtype))), theirs)


# ------------------------------------------------------------------ layer_norm's normalized_shape
@pytest.mark.parametrize("ns", [3, (3,), [3], (3.0,), 3.0, (2, 3)], ids=str)
def test_layer_norm_takes_a_tuple_or_list_like_pytorch(torch, ns) -> None:
    a = arr(2, 3, seed=22)
    theirs = outcome(lambda: torch.nn.functional.layer_norm(torch.tensor(a), ns))
    if isinstance(theirs, TypeError):           # an int was taken as (3,); PyTorch's F.layer_norm refuses it
        with pytest.raises(TypeError, match=r"^layer_norm: expected normalized_shape to be a tuple or list of "
                                            r"ints, got (int|float)"):
            F.layer_norm(al.tensor(a), ns)
    else:
        assert_same(F.layer_norm(al.tensor(a), ns), theirs, rtol=1e-10)
    assert_same(F.layer_norm(al.tensor(a), torch.Size([3])), torch.nn.functional.layer_norm(torch.tensor(a), (3,)),
                rtol=1e-10)
    assert nn.LayerNorm(3).normalized_shape == (3,) == torch.nn.LayerNorm(3).normalized_shape    # the module takes it


# ------------------------------------------------------------------ cross_entropy: ignore_index and label_smoothing
@pytest.mark.parametrize("ignore_index", [-100, -1, 0, 1, 2])
def test_cross_entropy_probability_targets_refuse_an_ignore_index(torch, ignore_index) -> None:
    x, probs = arr(2, 3, seed=23), np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])
    theirs = outcome(lambda: torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(probs),
                                                               ignore_index=ignore_index))
    if isinstance(theirs, Exception):           # PyTorch: any ignore_index >= 0; a negative one is unused
        assert "ignore_index is not supported for floating point target" in str(theirs)
        with pytest.raises(RuntimeError, match=rf"^cross_entropy: ignore_index is not supported for "
                                               rf"class-probability \(floating point\) targets, got "
                                               rf"ignore_index={ignore_index}"):
            F.cross_entropy(al.tensor(x), al.tensor(probs), ignore_index=ignore_index)
    else:
        assert ignore_index < 0
        assert_same(F.cross_entropy(al.tensor(x), al.tensor(probs), ignore_index=ignore_index), theirs, rtol=1e-12)


@pytest.mark.parametrize("smoothing", [-5.0, -0.1, 0.0, 0.3, 1.0, 1.5, 2.0])
@pytest.mark.parametrize("kind", ["indices", "probabilities"])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_label_smoothing_range_like_pytorch(torch, smoothing, kind, reduction) -> None:
    # PyTorch: a negative label_smoothing is no smoothing (al raised ValueError); above 1 is an error
    (x, tx) = pair(torch, arr(3, 4, seed=24), True)
    probs = np.exp(arr(3, 4, seed=25)) / np.exp(arr(3, 4, seed=25)).sum(1, keepdims=True)
    target = np.array([3, 0, 1]) if kind == "indices" else probs
    theirs = outcome(lambda: torch.nn.functional.cross_entropy(tx, torch.tensor(target), reduction=reduction,
                                                               label_smoothing=smoothing))
    if isinstance(theirs, Exception):
        with pytest.raises(RuntimeError, match=r"^cross_entropy: label_smoothing must be between 0\.0 and 1\.0, got"):
            F.cross_entropy(x, al.tensor(target), reduction=reduction, label_smoothing=smoothing)
        return
    ours = F.cross_entropy(x, al.tensor(target), reduction=reduction, label_smoothing=smoothing)
    assert_same(ours, theirs, rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    grads_match([x], [tx])


def test_cross_entropy_target_of_the_inputs_shape_is_probabilities(torch) -> None:
    # PyTorch's rule: a target of the input's shape holds class probabilities, so an int64 one is an error
    # (for a (1,) input and a (1,) target too, which al read as one class index)
    for xs in ((2, 3), (1,)):
        t = np.zeros(xs, dtype=np.int64)
        assert isinstance(outcome(lambda xs=xs, t=t: torch.nn.functional.cross_entropy(torch.zeros(xs),
                                                                                        torch.tensor(t))),
                          RuntimeError)
        with pytest.raises(TypeError, match=rf"^cross_entropy: a target of the input's shape \({xs[0]},.*\) holds "
                                            r"class probabilities and must be floating point, got dtype int64"):
            F.cross_entropy(al.zeros(*xs), al.tensor(t))


# ------------------------------------------------------------------ legacy size_average / reduce and 'elementwise_mean'
LEGACY = ["mse_loss", "l1_loss", "smooth_l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
          "nll_loss", "cross_entropy", "multi_margin_loss"]
ALL_LOSSES = LEGACY + ["huber_loss"]


def _loss_args(name: str, lib) -> tuple:
    x = lib.tensor([[0.25, 0.5, 0.125], [0.75, 0.375, 0.625]], dtype=lib.float64)
    if name in ("nll_loss", "cross_entropy", "multi_margin_loss"):
        return x, lib.tensor([2, 0])
    return x, lib.tensor([[0.5, 0.0, 1.0], [1.0, 0.25, 0.0]], dtype=lib.float64)


def _with_warnings(fn):
    """outcome(fn) and the UserWarnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn()
        except Exception as exc:   # noqa: BLE001 -- comparing who raises is the point
            out = exc
    return out, [str(w.message) for w in caught if w.category is UserWarning]


@pytest.mark.parametrize("name", LEGACY)
@pytest.mark.parametrize("size_average, reduce", [(sa, r) for sa in (None, True, False) for r in (None, True, False)
                                                  if (sa, r) != (None, None)])
def test_legacy_size_average_and_reduce_like_pytorch(torch, name, size_average, reduce) -> None:
    # PyTorch still takes them, with a deprecation warning: reduce=False is 'none', else size_average=False
    # 'sum', else 'mean' -- whatever `reduction` says. al raised TypeError (unexpected keyword).
    kw = {"size_average": size_average, "reduce": reduce, "reduction": "sum"}
    ours, ours_w = _with_warnings(lambda: getattr(F, name)(*_loss_args(name, al), **kw))
    theirs, theirs_w = _with_warnings(lambda: getattr(torch.nn.functional, name)(*_loss_args(name, torch), **kw))
    assert_same(ours, theirs, rtol=1e-12)
    legacy = [m for m in theirs_w if "size_average and reduce args will be deprecated" in m]
    assert len(legacy) == 1 and ours_w == [f"{name}: {legacy[0]}"], (ours_w, theirs_w)


@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy"])
def test_legacy_flags_by_position_land_where_pytorchs_do(torch, name) -> None:
    # F.nll_loss(input, target, weight, size_average, ignore_index, reduce, reduction): PyTorch's order
    args = (None, False, 0, None, "mean")
    assert_same(outcome(lambda: getattr(F, name)(*_loss_args(name, al), *args)),
                outcome(lambda: getattr(torch.nn.functional, name)(*_loss_args(name, torch), *args)), rtol=1e-12)


def test_a_reduction_passed_where_the_legacy_flags_are_is_an_error() -> None:
    # PyTorch would read the string as size_average=True ('mean', with a deprecation warning), whatever it
    # says; here it is the likeliest mistake of code written for the old signatures, so it is refused.
    x = al.ones(3)
    with pytest.raises(TypeError, match=r"^smooth_l1_loss: size_average is a legacy flag \(True, False or None\), "
                                        r"got the string 'none'; pass reduction='none' by keyword"):
        F.smooth_l1_loss(x, x, "none")


@pytest.mark.parametrize("name", ALL_LOSSES)
@pytest.mark.parametrize("reduction", ["elementwise_mean", "avg", "MEAN", None, 1])
def test_reduction_values_like_pytorch(torch, name, reduction) -> None:
    ours, ours_w = _with_warnings(lambda: getattr(F, name)(*_loss_args(name, al), reduction=reduction))
    theirs, theirs_w = _with_warnings(lambda: getattr(torch.nn.functional, name)(*_loss_args(name, torch),
                                                                                 reduction=reduction))
    if isinstance(theirs, Exception):
        assert isinstance(theirs, ValueError)
        assert isinstance(ours, ValueError) and str(ours).startswith(f"{name}: {reduction!r} is not a valid value "
                                                                     f"for reduction"), ours
        return
    assert reduction == "elementwise_mean"      # 'mean', with PyTorch's deprecation warning
    assert_same(ours, theirs, rtol=1e-12)
    assert ours_w == [f"{name}: reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead."]
    assert any(m.startswith("reduction='elementwise_mean' is deprecated") for m in theirs_w)


LOSS_MODULES = ["MSELoss", "L1Loss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss", "NLLLoss", "CrossEntropyLoss",
                "MultiMarginLoss"]


@pytest.mark.parametrize("cls", LOSS_MODULES)
@pytest.mark.parametrize("flags", [{"size_average": False}, {"reduce": False}, {"size_average": True, "reduce": True},
                                   {"reduction": "elementwise_mean"}], ids=str)
def test_loss_modules_take_the_legacy_arguments(torch, cls, flags) -> None:
    ours, ours_w = _with_warnings(lambda: getattr(nn, cls)(**flags))
    theirs, _ = _with_warnings(lambda: getattr(torch.nn, cls)(**flags))
    want = {"elementwise_mean": "mean"}.get(theirs.reduction, theirs.reduction)   # PyTorch keeps the old name
    assert ours.reduction == want
    if "reduction" not in flags:
        assert ours_w == [f"{cls}: size_average and reduce args will be deprecated, please use "
                          f"reduction='{want}' instead."]
    name = {"MSELoss": "mse_loss", "L1Loss": "l1_loss", "SmoothL1Loss": "smooth_l1_loss", "BCELoss":
            "binary_cross_entropy", "BCEWithLogitsLoss": "binary_cross_entropy_with_logits", "NLLLoss": "nll_loss",
            "CrossEntropyLoss": "cross_entropy", "MultiMarginLoss": "multi_margin_loss"}[cls]
    assert_same(outcome(lambda: ours(*_loss_args(name, al))), outcome(lambda: theirs(*_loss_args(name, torch))),
                rtol=1e-12)


def test_loss_module_constructors_by_position_and_their_checks(torch) -> None:
    for cls, args in [("CrossEntropyLoss", (None, None, 0, False)), ("NLLLoss", (None, False)),
                      ("MultiMarginLoss", (2, 0.5, None, False)), ("SmoothL1Loss", (None, None, "sum", 0.5)),
                      ("BCEWithLogitsLoss", (None, None, False))]:
        ours = _with_warnings(lambda cls=cls, args=args: getattr(nn, cls)(*args))[0]
        theirs = _with_warnings(lambda cls=cls, args=args: getattr(torch.nn, cls)(*args))[0]
        assert ours.reduction == theirs.reduction
        for attr in ("ignore_index", "p", "margin", "beta"):
            assert getattr(ours, attr, None) == getattr(theirs, attr, None)
    with pytest.raises(TypeError, match="^HuberLoss: delta must be a float or int, got str"):
        nn.HuberLoss(delta="1")
    with pytest.raises(TypeError):
        torch.nn.HuberLoss(delta="1")
    with pytest.raises(TypeError):                 # HuberLoss has no legacy flags, in PyTorch either
        torch.nn.HuberLoss(size_average=False)
    with pytest.raises(TypeError):
        nn.HuberLoss(size_average=False)


# ------------------------------------------------------------------ weighted mse_loss, l1_loss, huber_loss
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "elementwise_mean"])
@pytest.mark.parametrize("wkind", ["float64", "float32", "int64", "zeros", "shape"])
def test_weighted_regression_losses_like_pytorch(torch, name, reduction, wkind) -> None:
    (x, tx), (y, ty) = pair(torch, arr(2, 3, seed=26), True), pair(torch, arr(2, 3, seed=27, lo=-3, hi=3))
    w = {"float64": arr(2, 3, seed=28, lo=0.5, hi=2), "float32": arr(2, 3, seed=28, lo=0.5, hi=2).astype(np.float32),
         "int64": np.array([[1, 2, 3], [0, 1, 2]]), "zeros": np.zeros((2, 3)), "shape": np.ones(3)}[wkind]
    ours = outcome(lambda: getattr(F, name)(x, y, reduction=reduction, weight=al.tensor(w)))
    theirs = outcome(lambda: getattr(torch.nn.functional, name)(tx, ty, reduction=reduction, weight=torch.tensor(w)))
    if isinstance(theirs, Exception):            # a weight not of the input's shape; 'elementwise_mean'
        assert isinstance(ours, ValueError) and str(ours).startswith(f"{name}: "), (ours, theirs)
        return
    if wkind == "zeros" and reduction == "mean" and name != "huber_loss":
        assert math.isnan(ours.item()) and math.isnan(theirs.item())     # 0 / 0, without a NumPy warning
        return
    assert_same(ours, theirs, rtol=1e-6)
    ours.sum().backward()
    theirs.sum().backward()
    grads_match([x], [tx], rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------ embedding: max_norm, scale_grad_by_freq, sparse
@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (0.5, 1.0), (2.0, 3.0), (0.1, math.inf), (None, 2.0)])
@pytest.mark.parametrize("scale_grad_by_freq", [False, True])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_max_norm_and_scale_grad_by_freq_like_pytorch(torch, max_norm, norm_type, scale_grad_by_freq,
                                                               padding_idx) -> None:
    w0 = arr(5, 3, seed=29, lo=-2, hi=2)
    idx = np.array([[0, 2, 2], [4, 0, 0]])
    (w, tw) = pair(torch, w0, True)
    kw = {"padding_idx": padding_idx, "max_norm": max_norm, "norm_type": norm_type,
          "scale_grad_by_freq": scale_grad_by_freq}
    ours, theirs = F.embedding(al.tensor(idx), w, **kw), torch.nn.functional.embedding(torch.tensor(idx), tw, **kw)
    assert_same(ours, theirs, rtol=1e-6)
    np.testing.assert_allclose(w.array, tw.detach().numpy(), rtol=1e-6)      # rows renormalised in place
    if max_norm is not None:
        assert not np.allclose(w.array[[0, 2, 4]], w0[[0, 2, 4]]) and np.array_equal(w.array[[1, 3]], w0[[1, 3]])
    (ours * al.tensor(arr(2, 3, 3, seed=30))).sum().backward()
    (theirs * torch.tensor(arr(2, 3, 3, seed=30))).sum().backward()
    grads_match([w], [tw], rtol=1e-6)
    module = nn.Embedding(5, 3, padding_idx, max_norm, norm_type, scale_grad_by_freq)
    assert module.max_norm == max_norm and module.scale_grad_by_freq == scale_grad_by_freq


def test_embedding_sparse_and_pretrained(torch) -> None:
    with pytest.raises(NotImplementedError, match=r"^embedding: sparse=True .* is not supported"):
        F.embedding(al.tensor([0]), al.ones(2, 2), sparse=True)
    w = al.tensor(arr(4, 2, seed=31))
    emb = nn.Embedding.from_pretrained(w)
    temb = torch.nn.Embedding.from_pretrained(torch.tensor(w.array))
    assert emb.weight.requires_grad is False is temb.weight.requires_grad
    assert_same(emb(al.tensor([3, 1])), temb(torch.tensor([3, 1])))
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad
    assert repr(nn.Embedding(4, 2, max_norm=1.0)) == repr(torch.nn.Embedding(4, 2, max_norm=1.0))
    with pytest.raises(ValueError, match=r"Embedding: _weight of shape \(4, 2\) does not match"):
        nn.Embedding(3, 2, _weight=w)


# ------------------------------------------------------------------ batch_norm: momentum, eps, bias=False, float16
def test_batch_norm_momentum_and_eps_like_pytorch(torch) -> None:
    TF, x = torch.nn.functional, arr(4, 3, seed=32)
    for kw in ({"training": True, "eps": 0.0}, {"training": True, "eps": -1.0}, {"eps": 0.0}, {"eps": -1e-5},
               {"training": True, "momentum": None}, {"momentum": None}):
        ours = outcome(lambda kw=kw: F.batch_norm(al.tensor(x), al.zeros(3, dtype=al.float64),
                                                  al.ones(3, dtype=al.float64), **kw))
        theirs = outcome(lambda kw=kw: TF.batch_norm(torch.tensor(x), torch.zeros(3, dtype=torch.float64),
                                                     torch.ones(3, dtype=torch.float64), **kw))
        assert_same(ours, theirs, rtol=1e-10)
        if isinstance(ours, Exception):
            assert type(ours) is type(theirs) and str(ours).startswith("batch_norm: "), (ours, theirs)


@pytest.mark.parametrize("momentum", [None, 0.3])
def test_batchnorm_module_momentum_none_is_a_cumulative_average(torch, momentum) -> None:
    bn, tbn = nn.BatchNorm1d(3, momentum=momentum).double(), torch.nn.BatchNorm1d(3, momentum=momentum).double()
    for seed in range(3):
        a = arr(5, 3, seed=33 + seed)
        assert_same(bn(al.tensor(a)), tbn(torch.tensor(a)), rtol=1e-10)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        assert_same(getattr(bn, name), getattr(tbn, name), rtol=1e-10)


def test_batchnorm_bias_false_like_pytorch(torch) -> None:
    bn, tbn = nn.BatchNorm1d(3, bias=False), torch.nn.BatchNorm1d(3, bias=False)
    assert bn.bias is None and list(bn.state_dict()) == list(tbn.state_dict())
    a = arr(4, 3, seed=36).astype(np.float32)
    assert_same(bn(al.tensor(a)), tbn(torch.tensor(a)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("pdtype", ["float16", "float32", "float64"])
def test_norms_of_float16_inputs_take_float32_parameters_like_pytorch(torch, pdtype) -> None:
    a = arr(4, 3, seed=37).astype(np.float16)
    TF = torch.nn.functional
    for call in (lambda m, lib, x, p: m.layer_norm(x, (3,), lib.ones(3, dtype=p), lib.zeros(3, dtype=p)),
                 lambda m, lib, x, p: m.batch_norm(x, lib.zeros(3, dtype=p), lib.ones(3, dtype=p)),
                 lambda m, lib, x, p: m.batch_norm(x, None, None, lib.ones(3, dtype=p), training=True)):
        ours = outcome(lambda call=call: call(F, al, al.tensor(a), getattr(al, pdtype)))
        theirs = outcome(lambda call=call: call(TF, torch, torch.tensor(a), getattr(torch, pdtype)))
        assert_same(ours, theirs, rtol=2e-3, atol=2e-3)


# ------------------------------------------------------------------ normalize(out=), softmax's _stacklevel
def test_normalize_out_like_pytorch(torch) -> None:
    a = arr(2, 3, seed=38)
    out, tout = al.empty(2, 3, dtype=al.float64), torch.empty(2, 3, dtype=torch.float64)
    res, tres = F.normalize(al.tensor(a), out=out), torch.nn.functional.normalize(torch.tensor(a), out=tout)
    assert res is out and tres is tout
    assert_same(out, tout, rtol=1e-12)
    out32 = al.empty(2, 3, dtype=al.float32)
    assert_same(F.normalize(al.tensor(a), out=out32), torch.nn.functional.normalize(
        torch.tensor(a), out=torch.empty(2, 3, dtype=torch.float32)))
    with pytest.raises(RuntimeError, match="^normalize: functions with out=... arguments don't support automatic"):
        F.normalize(al.tensor(a, requires_grad=True), out=out)
    with pytest.raises(TypeError, match=r"^normalize: the result \(dtype float64\) can't be cast to out's dtype int64"):
        F.normalize(al.tensor(a), out=al.empty(2, 3, dtype=al.int64))


def test_softmax_takes_pytorchs_positional_stacklevel(torch) -> None:
    a = arr(2, 3, seed=39).astype(np.float32)
    for fn in ("softmax", "log_softmax"):
        assert_same(getattr(F, fn)(al.tensor(a), 1, 3, al.float64),
                    getattr(torch.nn.functional, fn)(torch.tensor(a), 1, 3, torch.float64))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax") as caught:
        F.softmax(al.tensor(a))
    assert caught[0].filename == __file__


# ------------------------------------------------------------------ every signature is PyTorch's
NOT_IN_TORCH = {"flatten"}      # torch.flatten: nn.Flatten's functional form, which PyTorch's F lacks
# Keyword-only in the operator's schema, though the docstring's signature leaves out its '*'
# (torch.nn.functional.scaled_dot_product_attention(q, k, v, None, 0.0, False, 0.5) is a TypeError).
KEYWORD_ONLY = {"scaled_dot_product_attention": ("scale", "enable_gqa")}


def _torch_signature(torch, name: str) -> list[tuple]:
    """(name, default, kind) of each parameter of torch.nn.functional.<name>; for a builtin without an
    introspectable signature, from the first line of its docstring (e.g. "gelu(input, approximate='none')")."""
    fn = getattr(torch.nn.functional, name)
    if name == "max_pool2d":                        # a boolean dispatch between two Python functions
        fn = torch.nn.functional.max_pool2d_with_indices
    try:
        sig = inspect.signature(fn)
    except ValueError:
        lines = fn.__doc__.strip().splitlines()
        head = lines[0]
        for line in lines[1:]:                      # the signature may span lines (scaled_dot_product_attention's)
            if head.count("(") == head.count(")"):
                break
            head += " " + line.strip()
        head = head.split("->")[0].strip()
        args = ast.parse(f"def {head}: pass").body[0].args
        defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
        keyword_only = KEYWORD_ONLY.get(name, ())
        out = [(a.arg, "<required>" if d is None else ast.literal_eval(d),
                "KEYWORD_ONLY" if a.arg in keyword_only else "POSITIONAL_OR_KEYWORD")
               for a, d in zip(args.args, defaults)]
        return out + [(a.arg, ast.literal_eval(d), "KEYWORD_ONLY") for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    return [(p.name, "<required>" if p.default is inspect.Parameter.empty else p.default, p.kind.name)
            for p in sig.parameters.values()]


def _our_signature(fn) -> list[tuple]:
    return [(p.name, "<required>" if p.default is inspect.Parameter.empty else p.default, p.kind.name)
            for p in inspect.signature(fn).parameters.values()]


def test_every_function_has_pytorchs_signature(torch) -> None:
    # Names, order, defaults and kinds: a positional call from PyTorch code lands in the same parameter
    # (e.g. F.nll_loss(x, t, w, None, -100, False): size_average and reduce were missing, so False became
    # the reduction).
    ours = {name: fn for name, fn in vars(F).items() if not name.startswith("_") and inspect.isfunction(fn)
            and fn.__module__ in ("nn.functional", "autograd_lite.functions")}
    assert {name for name in ours if not hasattr(torch.nn.functional, name)} == NOT_IN_TORCH
    differ = {}
    for name, fn in sorted(ours.items()):
        if name in NOT_IN_TORCH:
            continue
        mine, theirs = _our_signature(fn), _torch_signature(torch, name)
        if mine != theirs:
            differ[name] = (mine, theirs)
    assert not differ, "\n".join(f"{n}:\n  ours  {a}\n  torch {b}" for n, (a, b) in differ.items())


def test_every_module_constructor_has_pytorchs_signature(torch) -> None:
    names = ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softplus", "SiLU", "GELU", "Softmax", "LogSoftmax", "Linear",
             "Flatten", "Unflatten", "Dropout", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding",
             "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
             "BCEWithLogitsLoss", "MultiMarginLoss"]
    differ = {}
    for name in names:
        mine, theirs = _our_signature(getattr(nn, name).__init__), _our_signature(getattr(torch.nn, name).__init__)
        if [p[:2] for p in mine] != [p[:2] for p in theirs]:
            differ[name] = (mine, theirs)
    assert not differ, "\n".join(f"{n}:\n  ours  {a}\n  torch {b}" for n, (a, b) in differ.items())
