"""Layers, activations and losses: forward against NumPy references written out here, gradchecked in float64."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as al
import nn
import nn.functional as F

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def f64(*shape: int, seed: int = 0, scale: float = 1.0, requires_grad: bool = True) -> al.Tensor:
    return al.tensor(np.random.default_rng(seed).standard_normal(shape) * scale, requires_grad=requires_grad)


def away(*shape: int, seed: int = 0) -> al.Tensor:
    rng = np.random.default_rng(seed)
    return al.tensor(rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 1.5, shape), requires_grad=True)


def check(fn, inputs, second: bool = True) -> None:
    assert al.gradcheck(fn, inputs)
    if second:
        assert al.gradgradcheck(fn, inputs)


# ------------------------------------------------------------------ layers
def test_linear_layout_forward_and_grads() -> None:
    lin = nn.Linear(3, 4).double()
    assert lin.weight.shape == (4, 3) and lin.bias.shape == (4,)
    x = f64(5, 3)
    np.testing.assert_allclose(lin(x).array, x.array @ lin.weight.array.T + lin.bias.array, rtol=1e-12)
    check(lambda x, w, b: F.linear(x, w, b), (x, lin.weight, lin.bias))


def test_linear_default_init_bounds_like_pytorch() -> None:
    al.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)        # kaiming_uniform_(a=sqrt(5)) on fan_in = 400
    assert np.abs(lin.weight.array).max() <= bound and np.abs(lin.weight.array).max() > 0.99 * bound
    assert np.abs(lin.bias.array).max() <= bound
    al.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(400, 300).weight.array, lin.weight.array)   # seedable


def test_linear_without_bias_and_shape_error() -> None:
    lin = nn.Linear(3, 2, bias=False)
    assert lin.bias is None and list(lin.state_dict()) == ["weight"]
    with pytest.raises(ValueError, match=r"linear: input of shape \(4, 5\)"):
        lin(al.zeros(4, 5))


def test_dropout_is_inverted_and_identity_in_eval() -> None:
    al.manual_seed(1)
    drop = nn.Dropout(0.25)
    x = al.ones(200, 200, requires_grad=True)
    y = drop(x)
    kept = y.array != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y.array[kept], 1 / 0.75)             # scaled so the mean is unchanged
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, kept / 0.75)          # gradient through the same mask
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def _bn_ref(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    axes = (0,) + tuple(range(2, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean) / np.sqrt(var + eps) * w.reshape(shape) + b.reshape(shape), mean.ravel(), var.ravel()


@pytest.mark.parametrize("layer, shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (4, 3, 5)),
                                          (nn.BatchNorm2d, (4, 3, 2, 2))])
def test_batchnorm_train_eval_and_running_stats(layer, shape) -> None:
    bn = layer(3, momentum=0.1).double()
    with al.no_grad():
        bn.weight.copy_(np.array([1.0, 2.0, 0.5]))
        bn.bias.copy_(np.array([0.0, -1.0, 3.0]))
    x = f64(*shape, seed=3, scale=2.0)
    n = x.numel() // 3
    expected, mean, var = _bn_ref(x.array, bn.weight.array, bn.bias.array, bn.eps)
    np.testing.assert_allclose(bn(x).array, expected, rtol=1e-10, atol=1e-12)
    # Running statistics: momentum 0.1 from (0, 1), the variance unbiased.
    np.testing.assert_allclose(bn.running_mean.array, 0.9 * 0 + 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.array, 0.9 * 1 + 0.1 * var * n / (n - 1), rtol=1e-12)
    assert bn.num_batches_tracked.item() == 1
    # Eval uses the running statistics and does not update them.
    bn.eval()
    rm, rv = bn.running_mean.array.copy(), bn.running_var.array.copy()
    shape_c = (1, -1) + (1,) * (x.ndim - 2)
    want = (x.array - rm.reshape(shape_c)) / np.sqrt(rv.reshape(shape_c) + bn.eps) \
        * bn.weight.array.reshape(shape_c) + bn.bias.array.reshape(shape_c)
    np.testing.assert_allclose(bn(x).array, want, rtol=1e-10)
    np.testing.assert_array_equal(bn.running_mean.array, rm)
    assert bn.num_batches_tracked.item() == 1


def test_batchnorm_gradcheck_training_mode() -> None:
    x, w, b = f64(5, 3, seed=1), f64(3, seed=2), f64(3, seed=3)
    check(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    x4 = f64(3, 2, 2, 2, seed=4)
    check(lambda x: F.batch_norm(x, None, None, training=True), (x4,))


def test_batchnorm_momentum_none_is_cumulative_average() -> None:
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [f64(4, 2, seed=s) for s in range(3)]
    for xb in batches:
        bn(xb)
    np.testing.assert_allclose(bn.running_mean.array, np.mean([xb.array.mean(0) for xb in batches], axis=0),
                               rtol=1e-12)


def test_batchnorm_errors() -> None:
    with pytest.raises(ValueError, match="expected 3 channels"):
        nn.BatchNorm1d(3)(al.zeros(4, 2))
    with pytest.raises(ValueError, match="4D"):
        nn.BatchNorm2d(3)(al.zeros(4, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(al.zeros(1, 3))


def test_layernorm() -> None:
    ln = nn.LayerNorm((3, 4)).double()
    x = f64(2, 3, 4, seed=5)
    mean = x.array.mean(axis=(1, 2), keepdims=True)
    var = x.array.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(ln(x).array, (x.array - mean) / np.sqrt(var + 1e-5), rtol=1e-10)
    check(lambda x, w, b: F.layer_norm(x, (4,), w, b), (x, f64(4, seed=6), f64(4, seed=7)))
    with pytest.raises(ValueError, match="normalized_shape"):
        ln(al.zeros(2, 4, 3))


def test_embedding_and_padding_idx() -> None:
    emb = nn.Embedding(5, 3, padding_idx=0).double()
    np.testing.assert_array_equal(emb.weight.array[0], 0)
    idx = np.array([[0, 2, 2], [4, 0, 1]])
    out = emb(al.tensor(idx))
    np.testing.assert_array_equal(out.array, emb.weight.array[idx])
    out.sum().backward()
    counts = np.bincount(idx.ravel(), minlength=5).astype(float)
    counts[0] = 0                                              # the padding row gets no gradient
    np.testing.assert_array_equal(emb.weight.grad.array, np.repeat(counts[:, None], 3, axis=1))
    check(lambda w: F.embedding(al.tensor(idx), w), (f64(5, 3),))
    with pytest.raises(IndexError, match="out of range for 5"):
        emb(al.tensor([5]))
    with pytest.raises(TypeError, match="indices of dtype int64 or int32"):
        emb(al.tensor([1.0]))


def test_flatten_identity_unflatten() -> None:
    x = al.randn(2, 3, 4)
    assert nn.Flatten()(x).shape == (2, 12) and nn.Identity()(x) is x
    assert nn.Unflatten(1, (2, 6))(nn.Flatten()(x)).shape == (2, 2, 6)


# ------------------------------------------------------------------ activations
@pytest.mark.parametrize("module, ref", [
    (nn.ReLU(), lambda a: np.maximum(a, 0)),
    (nn.LeakyReLU(0.1), lambda a: np.where(a > 0, a, 0.1 * a)),
    (nn.ELU(0.7), lambda a: np.where(a > 0, a, 0.7 * np.expm1(a))),
    (nn.Tanh(), np.tanh),
    (nn.Sigmoid(), lambda a: 1 / (1 + np.exp(-a))),
    (nn.Softplus(beta=2.0), lambda a: np.log1p(np.exp(2 * a)) / 2),
    (nn.GELU(), lambda a: a * 0.5 * (1 + np.vectorize(math.erf)(a / math.sqrt(2)))),
    (nn.GELU("tanh"), lambda a: 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))),
    (nn.Softmax(1), lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True)),
    (nn.LogSoftmax(1), lambda a: a - np.log(np.exp(a).sum(1, keepdims=True))),
], ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "")
def test_activation_modules(module, ref) -> None:
    x = away(4, 3)
    np.testing.assert_allclose(module(x).array, ref(x.array), rtol=1e-10, atol=1e-12)
    check(module, (x,))


def test_prelu_learns_its_slope() -> None:
    p = nn.PReLU(3).double()
    assert np.all(p.weight.array == 0.25)
    x = away(4, 3, 2)
    np.testing.assert_allclose(p(x).array, np.where(x.array > 0, x.array, 0.25 * x.array))
    check(lambda x, w: F.prelu(x, w), (x, p.weight))
    p(x).sum().backward()
    np.testing.assert_allclose(p.weight.grad.array, np.where(x.array > 0, 0, x.array).sum(axis=(0, 2)))


# ------------------------------------------------------------------ losses
def _softmax_np(a: np.ndarray, axis: int = 1) -> np.ndarray:
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _ce_ref(logits, target, weight=None, ignore_index=-100, reduction="mean", eps=0.0):
    """Cross-entropy written out per sample from the definition (with PyTorch's label smoothing)."""
    logp = np.log(_softmax_np(logits))
    c = logits.shape[1]
    lp = np.moveaxis(logp, 1, -1).reshape(-1, c)
    t = target.reshape(-1)
    w = np.ones(c) if weight is None else weight
    nll, smooth, wsum, count = [], [], 0.0, 0
    for i, k in enumerate(t):
        if k == ignore_index:
            nll.append(0.0)
            smooth.append(0.0)
            continue
        nll.append(-lp[i, k] * w[k])
        smooth.append(-(lp[i] * w).sum())
        wsum += w[k]
        count += 1
    nll, smooth = np.array(nll), np.array(smooth)
    if reduction == "none":
        return ((1 - eps) * nll + eps / c * smooth).reshape(target.shape)
    if reduction == "sum":
        return (1 - eps) * nll.sum() + eps / c * smooth.sum()
    smooth_mean = smooth.sum() / (wsum if weight is not None else count)
    return (1 - eps) * nll.sum() / wsum + eps / c * smooth_mean


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("ignore", [False, True], ids=["all", "ignore"])
def test_cross_entropy_class_indices(reduction, weighted, smoothing, ignore) -> None:
    rng = np.random.default_rng(7)
    x = f64(6, 4, seed=8)
    t = rng.integers(0, 4, 6)
    if ignore:
        t[2] = -100
    w = rng.uniform(0.5, 2, 4) if weighted else None
    tt, wt = al.tensor(t), None if w is None else al.tensor(w)       # PyTorch's losses take Tensors only
    loss = nn.CrossEntropyLoss(weight=wt, reduction=reduction, label_smoothing=smoothing)
    np.testing.assert_allclose(loss(x, tt).array, _ce_ref(x.array, t, w, -100, reduction, smoothing), rtol=1e-10)
    check(lambda x: F.cross_entropy(x, tt, weight=wt, reduction=reduction, label_smoothing=smoothing), (x,))


def test_cross_entropy_spatial_and_unbatched() -> None:
    rng = np.random.default_rng(9)
    x = f64(2, 3, 4, seed=10)
    t = rng.integers(0, 3, (2, 4))
    np.testing.assert_allclose(F.cross_entropy(x, al.tensor(t)).array, _ce_ref(x.array, t), rtol=1e-10)
    check(lambda x: F.cross_entropy(x, al.tensor(t), label_smoothing=0.1), (x,))
    v = f64(5, seed=11)
    np.testing.assert_allclose(F.cross_entropy(v, al.tensor(2)).array,
                               -np.log(_softmax_np(v.array[None]))[0, 2], rtol=1e-10)


def test_cross_entropy_probability_targets() -> None:
    x = f64(4, 3, seed=12)
    p = _softmax_np(np.random.default_rng(13).standard_normal((4, 3)))
    want = -(p * np.log(_softmax_np(x.array))).sum(1).mean()
    np.testing.assert_allclose(F.cross_entropy(x, al.tensor(p)).array, want, rtol=1e-10)
    check(lambda x: F.cross_entropy(x, al.tensor(p), label_smoothing=0.1), (x,))


def test_cross_entropy_is_stable_for_huge_logits() -> None:
    x = al.tensor([[1000.0, 995.0, 10.0, 10.0, 1.0]], requires_grad=True)
    loss = F.cross_entropy(x, al.tensor([0]))
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(np.log1p(np.exp(-5.0)), rel=1e-5)
    loss.backward()
    assert np.all(np.isfinite(x.grad.array))


def test_cross_entropy_target_errors() -> None:
    x = al.zeros(4, 3)
    with pytest.raises(TypeError, match=r"cross_entropy: expected class indices \(int64\) of shape \(4,\)"):
        F.cross_entropy(x, al.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"cross_entropy: input of shape \(4, 3\) needs class indices of shape "
                                         r"\(4,\) \(the input's shape without the class dim\), got \(4, 1\)"):
        F.cross_entropy(x, al.zeros(4, 1, dtype=al.int64))
    with pytest.raises(IndexError, match=r"cross_entropy: target 3 is out of range for 3 classes; expected values "
                                         r"between 0 and 2 or ignore_index=-100"):
        F.cross_entropy(x, al.tensor([0, 1, 3, 1]))
    with pytest.raises(ValueError, match="reduction"):
        nn.CrossEntropyLoss(reduction="avg")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_module(reduction) -> None:
    x = f64(5, 3, seed=14)
    t = np.array([0, 2, 1, 1, 0])
    logp = x.log_softmax(1)
    want = -logp.array[np.arange(5), t]
    want = {"mean": want.mean(), "sum": want.sum(), "none": want}[reduction]
    np.testing.assert_allclose(nn.NLLLoss(reduction=reduction)(logp, al.tensor(t)).array, want, rtol=1e-12)


REGRESSION = [
    ("mse", F.mse_loss, lambda d: d ** 2),
    ("l1", F.l1_loss, np.abs),
    ("huber", lambda x, y, reduction="mean": F.huber_loss(x, y, reduction=reduction, delta=0.7),
     lambda d: np.where(np.abs(d) < 0.7, 0.5 * d ** 2, 0.7 * (np.abs(d) - 0.35))),
    ("smooth_l1", lambda x, y, reduction="mean": F.smooth_l1_loss(x, y, reduction=reduction, beta=0.7),
     lambda d: np.where(np.abs(d) < 0.7, 0.5 * d ** 2 / 0.7, np.abs(d) - 0.35)),
]


@pytest.mark.parametrize("name, fn, ref", REGRESSION, ids=[r[0] for r in REGRESSION])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses(name, fn, ref, reduction) -> None:
    x, y = f64(4, 3, seed=15), f64(4, 3, seed=16)
    d = x.array - y.array
    # keep away from the kinks (|d| == 0 and |d| == 0.7)
    d = np.where(np.abs(np.abs(d) - 0.7) < 0.05, d + 0.2, d)
    d = np.where(np.abs(d) < 0.05, 0.3, d)
    x = al.tensor(y.array + d, requires_grad=True)
    want = ref(d)
    want = {"mean": want.mean(), "sum": want.sum(), "none": want}[reduction]
    np.testing.assert_allclose(fn(x, y, reduction=reduction).array, want, rtol=1e-10)
    check(lambda a, b: fn(a, b, reduction=reduction), (x, y), second=name == "mse")


def test_regression_loss_warns_on_mismatched_shapes_and_takes_int_targets() -> None:
    # PyTorch's behaviour: a warning, then broadcasting ((4, 1) against (4,) is a 4 x 4 table of errors).
    with pytest.warns(UserWarning, match=r"mse_loss: Using a target size \(4,\) that is different to the input "
                                         r"size \(4, 1\)"):
        assert nn.MSELoss(reduction="none")(al.zeros(4, 1), al.zeros(4)).shape == (4, 4)
    with pytest.raises(ValueError, match=r"l1_loss: target shape \(3,\) does not broadcast with input shape \(2,\)"):
        nn.L1Loss()(al.zeros(2), al.zeros(3))
    # integer targets promote as in PyTorch: the result keeps the input's float dtype
    out = nn.L1Loss()(al.zeros(3), al.tensor([1, 2, 3]))
    assert out.dtype == np.float32 and out.item() == pytest.approx(2.0)
    with pytest.raises(TypeError, match="l1_loss: expected a floating point input or target"):
        nn.L1Loss()(al.tensor([1, 2, 3]), al.tensor([1, 2, 3]))


def test_bce_losses_and_stability() -> None:
    rng = np.random.default_rng(17)
    logits = f64(6, seed=18, scale=2.0)
    y = al.tensor(rng.integers(0, 2, 6).astype(float))
    p = 1 / (1 + np.exp(-logits.array))
    want = -(y.array * np.log(p) + (1 - y.array) * np.log(1 - p)).mean()
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(logits, y).array, want, rtol=1e-10)
    probs = al.tensor(p, requires_grad=True)
    np.testing.assert_allclose(nn.BCELoss()(probs, y).array, want, rtol=1e-10)
    check(lambda a: F.binary_cross_entropy_with_logits(a, y), (logits,))
    check(lambda a: F.binary_cross_entropy(a, y), (probs,))
    pw = al.tensor(np.array(3.0))
    want_pw = -(3.0 * y.array * np.log(p) + (1 - y.array) * np.log(1 - p)).mean()
    np.testing.assert_allclose(nn.BCEWithLogitsLoss(pos_weight=pw)(logits, y).array, want_pw, rtol=1e-10)
    big = al.tensor([800.0, -800.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(big, al.tensor([0.0, 1.0]))
    assert loss.item() == pytest.approx(800.0)
    loss.backward()
    np.testing.assert_allclose(big.grad.array, [0.5, -0.5])
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(al.tensor([1.5]), al.tensor([1.0]))


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss(p, weighted) -> None:
    rng = np.random.default_rng(19)
    x = f64(5, 4, seed=20)
    t = rng.integers(0, 4, 5)
    w = rng.uniform(0.5, 2, 4) if weighted else None
    want = []
    for i in range(5):
        terms = [max(0.0, 1.0 - x.array[i, t[i]] + x.array[i, j]) ** p * (1 if w is None else w[t[i]])
                 for j in range(4) if j != t[i]]
        want.append(sum(terms) / 4)
    tt, wt = al.tensor(t), None if w is None else al.tensor(w)       # PyTorch's losses take Tensors only
    np.testing.assert_allclose(nn.MultiMarginLoss(p=p, weight=wt)(x, tt).array, np.mean(want), rtol=1e-10)
    check(lambda a: F.multi_margin_loss(a, tt, p=p, weight=wt), (x,), second=False)


def test_bce_with_logits_gradient_at_zero_logits() -> None:
    # d/dx = (sigmoid(x) - y) / N, also at x = 0 (zero-initialised output layers start there)
    x = al.zeros(4, requires_grad=True, dtype=al.float64)
    y = np.array([1.0, 0.0, 1.0, 0.0])
    F.binary_cross_entropy_with_logits(x, al.tensor(y)).backward()
    np.testing.assert_allclose(x.grad.array, (0.5 - y) / 4)
    check(lambda a: F.binary_cross_entropy_with_logits(a, al.tensor(y)), (f64(4, seed=21),))


def test_bce_gradient_is_finite_at_saturated_probabilities() -> None:
    # A float32 sigmoid is exactly 1.0 above x ~ 17: PyTorch's backward stays finite there.
    z = al.tensor([20.0, -120.0, 0.3], requires_grad=True)
    loss = F.binary_cross_entropy(z.sigmoid(), al.tensor([1.0, 0.0, 1.0]))
    loss.backward()
    assert np.all(np.isfinite(z.grad.array))
    p = 1 / (1 + np.exp(-0.3))
    np.testing.assert_allclose(z.grad.array[2], (p - 1) / 3, rtol=1e-5)
    # a prediction of exactly 0 for a positive target costs 100 (the clamped log), not inf
    assert F.binary_cross_entropy(al.tensor([0.0]), al.tensor([1.0])).item() == pytest.approx(100.0)
    # the target's gradient (soft labels), checked numerically (a target of 1.0 would be nudged out of
    # [0, 1] by the finite differences, an error as in PyTorch)
    probs = al.tensor(np.array([0.2, 0.7, 0.9]), requires_grad=True)
    soft = al.tensor(np.array([0.1, 0.5, 0.99]), requires_grad=True)
    check(lambda a, b: F.binary_cross_entropy(a, b), (probs, soft))
