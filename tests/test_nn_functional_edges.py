"""nn.functional on edge inputs (issue 11), side by side with PyTorch, the test-only oracle: broadcasting,
mixed dtypes, values out of range, 0-d and 1-D inputs, empty batches. Each case either gives PyTorch's
result (value, dtype, shape, gradients) or an error that names the function, as PyTorch errors too."""

from __future__ import annotations

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
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=rtol, atol=atol)


def grads_match(ours: list, theirs: list, rtol: float = 1e-9, atol: float = 1e-12) -> None:
    for a, t in zip(ours, theirs):
        assert (a.grad is None) == (t.grad is None)
        if t.grad is not None:
            np.testing.assert_allclose(a.grad.data, t.grad.numpy(), rtol=rtol, atol=atol)


# ------------------------------------------------------------------ cosine_similarity
def test_cosine_similarity_broadcasts_before_normalising(torch) -> None:
    a = np.array([[1.0, 2, 3], [4, 5, 6]])
    b = np.array([[1.0], [2.0]])
    out = F.cosine_similarity(al.tensor(a), al.tensor(b), dim=1)
    np.testing.assert_allclose(out.data, [0.9258201, 0.9869275], rtol=1e-6)    # was [1.60, 1.71]: above 1
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
    t = np.asarray(target, dtype=np.int64)
    ours = F.multi_margin_loss(x, t, reduction=reduction)
    if reduction == "mean" and x.numel() == 0:
        assert ours.shape == () and math.isnan(ours.item())     # PyTorch returns uninitialised memory here
        return
    theirs = torch.nn.functional.multi_margin_loss(tx, torch.tensor(t), reduction=reduction)
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
            F.multi_margin_loss(x, np.array(target))
        with pytest.raises(RuntimeError, match="target out of range"):
            torch.nn.functional.multi_margin_loss(torch.zeros(3, 4), torch.tensor(target))
    with pytest.raises(ValueError, match=r"multi_margin_loss: target should be 1-D with one class index per sample, "
                                         r"shape \(3,\), got \(3, 1\)"):
        F.multi_margin_loss(x, np.zeros((3, 1), dtype=np.int64))
    with pytest.raises(ValueError, match=r"multi_margin_loss: expected an input of shape \(C,\) or \(N, C\)"):
        F.multi_margin_loss(al.zeros(2, 3, 4), np.zeros(2, dtype=np.int64))
    with pytest.raises(ValueError, match=r"multi_margin_loss: weight should have one element per class, shape \(4,\)"):
        F.multi_margin_loss(x, np.zeros(3, dtype=np.int64), weight=al.ones(3))


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
    t = np.array(target)
    theirs = outcome(lambda: getattr(torch.nn.functional, fn)(tx, torch.tensor(t), **kw))
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
            F.embedding(np.array([0]), w, padding_idx=padding_idx)
    out = F.embedding(np.array([2, 0]), f64w := al.tensor(arr(3, 2, seed=10), requires_grad=True), padding_idx=-1)
    out.sum().backward()
    np.testing.assert_array_equal(f64w.grad.data, [[1, 1], [0, 0], [0, 0]])      # -1 is row 2: no gradient
    with pytest.raises(IndexError, match="embedding: index -1 is out of range for 3 embeddings"):
        F.embedding(np.array([-1]), w)
    with pytest.raises(ValueError, match=r"embedding: expected a 2-D weight \(num_embeddings, embedding_dim\)"):
        F.embedding(np.array([0]), al.ones(3))
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
    idx = np.array([0, 2, 1, 1])
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
    ours, theirs = call(F, x, t), call(torch.nn.functional, tx, torch.tensor(t))
    assert math.isnan(ours.item()) and math.isnan(theirs.item())
    ours.backward()
    theirs.backward()
    grads_match([x], [tx])


@pytest.mark.parametrize("reduction, want", [("sum", 0.0), ("none", None)])
def test_empty_batch_sum_and_none(torch, reduction, want) -> None:
    for fn in ("nll_loss", "cross_entropy"):
        (x, tx) = pair(torch, arr(0, 4), True)
        t = np.zeros(0, dtype=np.int64)
        assert_same(getattr(F, fn)(x, t, reduction=reduction),
                    getattr(torch.nn.functional, fn)(tx, torch.tensor(t), reduction=reduction))


def test_batch_norm_on_an_empty_batch_leaves_the_running_stats(torch) -> None:
    bn, tbn = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    out = bn(al.zeros(0, 3))
    assert out.shape == tuple(tbn(torch.zeros(0, 3)).shape) == (0, 3)
    np.testing.assert_array_equal(bn.running_mean.data, 0)
    np.testing.assert_array_equal(bn.running_var.data, 1)
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
        (lambda: F.cross_entropy(x, np.zeros(4, dtype=np.int64), weight=al.ones(4)),
         r"cross_entropy: weight should have one element per class, shape \(3,\), got \(4,\)"),
        (lambda: F.cross_entropy(x, al.zeros(4, 3), weight=al.ones(4)), r"cross_entropy: weight should have one"),
        (lambda: F.nll_loss(x, np.zeros(4, dtype=np.int64), weight=al.ones(2)), r"nll_loss: weight should have one"),
        (lambda: F.cross_entropy(al.tensor(0.0), np.array(0)), r"cross_entropy: expected logits of shape \(C,\)"),
        (lambda: F.nll_loss(al.tensor(0.0), np.array(0)), r"nll_loss: expected log-probabilities of shape \(C,\)"),
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
    ours = [F.cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing) for t in (np.array([2]), np.array(2))]
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
