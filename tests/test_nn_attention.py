"""Attention and transformer layers against PyTorch: outputs, attention weights and gradients with PyTorch's
weights loaded (float64 tightly, float32 to its rounding), masks of each kind, state-dict keys, signatures,
gradchecks and errors."""

from __future__ import annotations

import ast
import copy
import inspect
import math

import numpy as np
import pytest

import autograd_lite as al
import nn
from nn import functional as F

REASON = "PyTorch (the test-only oracle) is not installed"
# NumPy must never compute inf - inf or 0 * inf on the way (masked scores are -inf); torch's nested-tensor
# notice (a fast path of PyTorch's that is not here) is not ours.
pytestmark = [pytest.mark.filterwarnings("error::RuntimeWarning"),
              pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")]
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-6)}


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason=REASON)


def pair(torch, a: np.ndarray, grad: bool = True) -> tuple:
    """The same array as our tensor and as PyTorch's (floating ones requiring grad)."""
    grad = grad and a.dtype.kind == "f"
    return al.tensor(a.copy(), requires_grad=grad), torch.tensor(a.copy(), requires_grad=grad)


def same(ours: al.Tensor, theirs, dtype=np.float64) -> None:
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == np.dtype(dtype)
    np.testing.assert_allclose(ours.array, theirs.detach().numpy(), **TOL[dtype])


def load_torch_weights(ours: nn.Module, theirs) -> None:
    """PyTorch's state dict into our module: the keys (in order) must be the same."""
    sd = {k: al.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(sd)
    ours.load_state_dict(sd)


def backward_both(out: al.Tensor, out_t, seed: int = 7) -> None:
    """Backpropagate the same random cotangent through both outputs."""
    g = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
    (out * al.tensor(g)).sum().backward()
    (out_t * out_t.new_tensor(g)).sum().backward()


def same_param_grads(ours: nn.Module, theirs, dtype=np.float64) -> None:
    grads_t = {k: p.grad for k, p in theirs.named_parameters()}
    grads = dict(ours.named_parameters())
    assert set(grads) == set(grads_t)
    for name, p in grads.items():
        assert p.grad is not None, name
        np.testing.assert_allclose(p.grad.array, grads_t[name].numpy(), **TOL[dtype], err_msg=name)


def rand(*shape: int, seed: int = 0, dtype=np.float64) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ------------------------------------------------------------------ scaled_dot_product_attention
def _sdpa_masks(kind: str, L: int, S: int) -> tuple[np.ndarray | None, bool]:  # noqa: N803
    rng = np.random.default_rng(3)
    if kind == "none":
        return None, False
    if kind == "causal":
        return None, True
    if kind == "bool":
        m = rng.random((L, S)) < 0.7
        m[:, 0] = True                                    # every query keeps one key
        return m, False
    if kind == "bool-broadcast":                          # one mask row per batch element, over all queries
        m = rng.random((2, 1, 1, S)) < 0.7
        m[..., 0] = True
        return m, False
    if kind == "float":
        m = rng.standard_normal((L, S))
        m[rng.random((L, S)) < 0.3] = -math.inf
        m[:, 0] = 0.0
        return m, False
    if kind == "fully-masked-row":                       # query 1 may attend to nothing: PyTorch gives it zeros
        m = np.ones((L, S), dtype=bool)
        m[1] = False
        return m, False
    raise ValueError(kind)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["none", "causal", "bool", "bool-broadcast", "float", "fully-masked-row"])
@pytest.mark.parametrize("L, S", [(4, 4), (3, 5)])
def test_sdpa_matches_pytorch_with_every_kind_of_mask(torch, dtype, kind, L, S) -> None:  # noqa: N803
    q, qt = pair(torch, rand(2, 3, L, 6, seed=1, dtype=dtype))
    k, kt = pair(torch, rand(2, 3, S, 6, seed=2, dtype=dtype))
    v, vt = pair(torch, rand(2, 3, S, 5, seed=3, dtype=dtype))    # value's features may differ from E
    mask, causal = _sdpa_masks(kind, L, S)
    m = mt = None
    if mask is not None:
        mask = mask if mask.dtype == bool else mask.astype(dtype)
        m, mt = al.tensor(mask), torch.tensor(mask)
    out = F.scaled_dot_product_attention(q, k, v, m, is_causal=causal)
    out_t = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, mt, is_causal=causal)
    same(out, out_t, dtype)
    if kind == "fully-masked-row":
        assert np.all(out.array[..., 1, :] == 0)
    backward_both(out, out_t)
    for ours, theirs in ((q, qt), (k, kt), (v, vt)):
        assert np.isfinite(ours.grad.array).all()
        same(ours.grad, theirs.grad, dtype)


@pytest.mark.parametrize("shape", [(5, 4), (3, 5, 4), (2, 2, 3, 5, 4)], ids=["2d", "3d", "5d"])
def test_sdpa_any_leading_dims_and_a_given_scale(torch, shape) -> None:
    q, qt = pair(torch, rand(*shape, seed=4))
    k, kt = pair(torch, rand(*shape, seed=5))
    v, vt = pair(torch, rand(*shape, seed=6))
    out = F.scaled_dot_product_attention(q, k, v, scale=0.3)
    out_t = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, scale=0.3)
    same(out, out_t)
    assert not np.allclose(out.array, F.scaled_dot_product_attention(q, k, v).array)    # the scale is used
    backward_both(out, out_t)
    same(q.grad, qt.grad)
    same(k.grad, kt.grad)


def test_sdpa_is_the_textbook_formula() -> None:
    q, k, v = rand(3, 4, seed=1), rand(5, 4, seed=2), rand(5, 2, seed=3)
    scores = q @ k.T / math.sqrt(4)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    out = F.scaled_dot_product_attention(al.tensor(q), al.tensor(k), al.tensor(v))
    np.testing.assert_allclose(out.array, w @ v, rtol=1e-12)


def test_sdpa_grouped_query_attention(torch) -> None:
    q, qt = pair(torch, rand(2, 6, 4, 3, seed=1))
    k, kt = pair(torch, rand(2, 2, 5, 3, seed=2))          # 2 key/value heads shared by 6 query heads
    v, vt = pair(torch, rand(2, 2, 5, 3, seed=3))
    out = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    out_t = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, enable_gqa=True)
    same(out, out_t)
    backward_both(out, out_t)
    same(k.grad, kt.grad)
    same(v.grad, vt.grad)
    with pytest.raises(al.ShapeError, match="multiple"):
        F.scaled_dot_product_attention(q, k[:, :1].expand(2, 4, 5, 3), v[:, :1].expand(2, 4, 5, 3), enable_gqa=True)


def test_sdpa_dropout_drops_weights_and_scales_the_rest() -> None:
    # With value = I, the output is the (dropped) attention weights themselves.
    q, k = al.tensor(rand(200, 8, seed=1)), al.tensor(rand(50, 8, seed=2))
    eye = al.tensor(np.eye(50))
    w = F.scaled_dot_product_attention(q, k, eye).array
    al.manual_seed(0)
    dropped = F.scaled_dot_product_attention(q, k, eye, dropout_p=0.25).array
    kept = dropped != 0
    np.testing.assert_allclose(dropped[kept], w[kept] / 0.75, rtol=1e-12)
    assert abs((~kept).mean() - 0.25) < 0.02
    assert np.all(F.scaled_dot_product_attention(q, k, eye, dropout_p=1.0).array == 0)


def test_sdpa_signature_is_pytorchs(torch) -> None:
    # torch's builtin has no introspectable signature: read it from its docstring (which spans two lines).
    doc = torch.nn.functional.scaled_dot_product_attention.__doc__
    head = doc.strip().split("->")[0].replace("\n", " ")
    args = ast.parse(f"def {head}: pass").body[0].args
    theirs = [a.arg for a in args.args]
    ours = inspect.signature(F.scaled_dot_product_attention).parameters
    assert list(ours) == theirs                                      # the docstring shows no '*'
    defaults = dict(zip(theirs[len(theirs) - len(args.defaults):], (ast.literal_eval(d) for d in args.defaults)))
    assert {n: p.default for n, p in ours.items() if n in defaults} == defaults
    # ... but scale and enable_gqa are keyword-only there (its schema has '*'), so here too.
    q = torch.ones(2, 3)
    with pytest.raises(TypeError):
        torch.nn.functional.scaled_dot_product_attention(q, q, q, None, 0.0, False, 0.5)
    assert [n for n, p in ours.items() if p.kind is p.KEYWORD_ONLY] == ["scale", "enable_gqa"]


@pytest.mark.parametrize(("args", "kwargs", "error", "match"), [
    (((2, 3, 4), (2, 5, 3), (2, 5, 4)), {}, al.ShapeError, "query's last dim"),
    (((2, 3, 4), (2, 5, 4), (2, 6, 4)), {}, al.ShapeError, "same sequence length"),
    (((4,), (4,), (4,)), {}, al.ShapeError, "at least 2 dims"),
    (((3, 4), (3, 4), (3, 4)), dict(attn_mask=np.ones((4, 3), bool)), al.ShapeError, "does not broadcast"),
    (((3, 4), (3, 4), (3, 4)), dict(attn_mask=np.ones((3, 3), np.int64)), al.DTypeError, "bool or float64"),
    (((3, 4), (3, 4), (3, 4)), dict(attn_mask=np.ones((3, 3), np.float32)), al.DTypeError, "bool or float64"),
    (((3, 4), (3, 4), (3, 4)), dict(attn_mask=np.ones((3, 3), bool), is_causal=True), ValueError, "is_causal"),
    (((3, 4), (3, 4), (3, 4)), dict(dropout_p=1.5), ValueError, "dropout_p"),
])
def test_sdpa_refuses_bad_input(args, kwargs, error, match) -> None:
    q, k, v = (al.tensor(rand(*s)) for s in args)
    if "attn_mask" in kwargs:
        kwargs["attn_mask"] = al.tensor(kwargs["attn_mask"])
    with pytest.raises(error, match=match) as info:
        F.scaled_dot_product_attention(q, k, v, **kwargs)
    assert "scaled_dot_product_attention" in str(info.value)


def test_sdpa_refuses_mixed_dtypes_and_non_tensors() -> None:
    q, k, v = (al.tensor(rand(3, 4, seed=s)) for s in range(3))
    with pytest.raises(al.DTypeError, match="one dtype"):
        F.scaled_dot_product_attention(q, k, v.float())
    with pytest.raises(TypeError, match="expected a Tensor"):
        F.scaled_dot_product_attention(q, k.array, v)


# ------------------------------------------------------------------ MultiheadAttention
def _mha_pair(torch, dtype, **kwargs) -> tuple:
    theirs = torch.nn.MultiheadAttention(8, 2, **kwargs).to(torch.float64 if dtype == np.float64 else torch.float32)
    ours = nn.MultiheadAttention(8, 2, **kwargs).to(dtype)
    load_torch_weights(ours, theirs.eval())
    return ours.eval(), theirs


MHA_CASES = {
    "self": dict(),
    "bias=False": dict(bias=False),
    "kdim-vdim": dict(kdim=3, vdim=5),
    "add_bias_kv": dict(add_bias_kv=True),
    "add_zero_attn": dict(add_zero_attn=True),
    "batch_first": dict(batch_first=True),
}
MASKS = ["none", "bool-attn", "float-attn-3d", "bool-padding", "float-padding+bool-attn", "causal-hint"]


@pytest.mark.filterwarnings("ignore:Support for mismatched")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("masks", MASKS)
@pytest.mark.parametrize("case", list(MHA_CASES))
def test_multihead_attention_matches_pytorch(torch, case, masks, dtype) -> None:
    kwargs = MHA_CASES[case]
    ours, theirs = _mha_pair(torch, dtype, **kwargs)
    L, S, N = 4, 6, 3                                                     # noqa: N806
    if masks == "causal-hint":
        S = L                                                             # noqa: N806
    bf = kwargs.get("batch_first", False)
    lay = (lambda n, s, e: (n, s, e)) if bf else (lambda n, s, e: (s, n, e))
    q, qt = pair(torch, rand(*lay(N, L, 8), seed=1, dtype=dtype))
    k, kt = pair(torch, rand(*lay(N, S, kwargs.get("kdim", 8)), seed=2, dtype=dtype))
    v, vt = pair(torch, rand(*lay(N, S, kwargs.get("vdim", 8)), seed=3, dtype=dtype))
    rng = np.random.default_rng(4)
    extra = {}
    if masks == "bool-attn":
        m = rng.random((L, S)) < 0.3
        m[:, 0] = False                                          # MultiheadAttention's bool masks: True = masked out
        extra["attn_mask"] = m
    elif masks == "float-attn-3d":
        extra["attn_mask"] = rng.standard_normal((N * 2, L, S)).astype(dtype)
    elif masks == "bool-padding":
        m = rng.random((N, S)) < 0.4
        m[:, 0] = False
        extra["key_padding_mask"] = m
    elif masks == "float-padding+bool-attn":
        extra["key_padding_mask"] = rng.standard_normal((N, S)).astype(dtype)
        extra["attn_mask"] = np.triu(np.ones((L, S), bool), 1)
    elif masks == "causal-hint":
        extra["attn_mask"] = torch.nn.Transformer.generate_square_subsequent_mask(L).numpy().astype(dtype)
        extra["is_causal"] = True
    for need_weights, average in ((True, True), (True, False), (False, True)):
        for p in (*ours.parameters(), q, k, v):
            p.grad = None
        theirs.zero_grad()
        for t in (qt, kt, vt):
            t.grad = None
        ours_kw = {n: (al.tensor(a) if isinstance(a, np.ndarray) else a) for n, a in extra.items()}
        theirs_kw = {n: (torch.tensor(a) if isinstance(a, np.ndarray) else a) for n, a in extra.items()}
        out, w = ours(q, k, v, need_weights=need_weights, average_attn_weights=average, **ours_kw)
        out_t, w_t = theirs(qt, kt, vt, need_weights=need_weights, average_attn_weights=average, **theirs_kw)
        same(out, out_t, dtype)
        if need_weights:
            same(w, w_t, dtype)
            assert w.shape == ((N, L, S + ("add" in case)) if average else (N, 2, L, S + ("add" in case)))
        else:
            assert w is None and w_t is None
        backward_both(out, out_t)
        for ours_in, theirs_in in ((q, qt), (k, kt), (v, vt)):
            same(ours_in.grad, theirs_in.grad, dtype)
        same_param_grads(ours, theirs, dtype)


@pytest.mark.filterwarnings("ignore:Support for mismatched")
@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_unbatched_input(torch, need_weights) -> None:
    ours, theirs = _mha_pair(torch, np.float64, batch_first=True)
    q, qt = pair(torch, rand(4, 8, seed=1))
    k, kt = pair(torch, rand(5, 8, seed=2))
    kpm = np.array([False, True, False, False, True])
    attn = np.random.default_rng(0).standard_normal((2, 4, 5))          # unbatched 3-D: (num_heads, L, S)
    out, w = ours(q, k, k, key_padding_mask=al.tensor(kpm), attn_mask=al.tensor(attn), need_weights=need_weights,
                  average_attn_weights=False)
    out_t, w_t = theirs(qt, kt, kt, key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(attn),
                        need_weights=need_weights, average_attn_weights=False)
    same(out, out_t)
    assert out.shape == (4, 8)
    if need_weights:
        same(w, w_t)
        assert w.shape == (2, 4, 5) and np.all(w.array[..., [1, 4]] == 0)
    backward_both(out, out_t)
    same(q.grad, qt.grad)
    same(k.grad, kt.grad)


def test_multihead_attention_with_every_key_masked_follows_pytorch(torch) -> None:
    # Batch element 1 may attend to nothing: NaN with need_weights (PyTorch's plain softmax), zeros without.
    ours, theirs = _mha_pair(torch, np.float64)
    x, xt = pair(torch, rand(3, 2, 8), grad=False)
    kpm = np.array([[False, False, True], [True, True, True]])
    for need_weights in (True, False):
        out, _ = ours(x, x, x, key_padding_mask=al.tensor(kpm), need_weights=need_weights)
        out_t, _ = theirs(xt, xt, xt, key_padding_mask=torch.tensor(kpm), need_weights=need_weights)
        np.testing.assert_allclose(out.array, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)   # NaN == NaN here
        assert np.isnan(out.array[:, 1]).all() == need_weights and np.isfinite(out.array[:, 0]).all()


@pytest.mark.parametrize("kwargs", [{}, dict(bias=False), dict(kdim=3, vdim=5), dict(add_bias_kv=True),
                                    dict(kdim=3, bias=False, add_bias_kv=True)], ids=str)
def test_multihead_attention_parameters_are_pytorchs(torch, kwargs) -> None:
    ours, theirs = nn.MultiheadAttention(12, 3, **kwargs), torch.nn.MultiheadAttention(12, 3, **kwargs)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert ours.head_dim == 4 and all(p.dtype == np.float32 for p in ours.parameters())
    assert (ours.in_proj_weight is None) == ("kdim" in kwargs) == (ours.q_proj_weight is not None)
    # PyTorch's initialisation: xavier_uniform_ projections, zero biases.
    for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
        w = getattr(ours, name)
        if w is not None:
            bound = math.sqrt(6 / sum(w.shape))
            assert np.abs(w.array).max() <= bound and np.abs(w.array).max() > 0.8 * bound
    if kwargs.get("bias", True):
        assert np.all(ours.in_proj_bias.array == 0) and np.all(ours.out_proj.bias.array == 0)


def test_multihead_attention_trains_with_dropout_and_evaluates_without(torch) -> None:
    mha = nn.MultiheadAttention(8, 2, dropout=0.5).double()
    x = al.tensor(rand(5, 2, 8))
    al.manual_seed(0)
    a, wa = mha(x, x, x)
    b, wb = mha(x, x, x)
    assert not np.allclose(a.array, b.array)
    assert np.any(wa.array == 0) or not np.allclose(wa.array.sum(-1), 1)       # weights are dropped
    mha.eval()
    c, wc = mha(x, x, x)
    np.testing.assert_array_equal(c.array, mha(x, x, x)[0].array)
    np.testing.assert_allclose(wc.array.sum(-1), 1, rtol=1e-12)


@pytest.mark.filterwarnings("ignore:Support for mismatched")
def test_mixed_mask_types_warn_as_pytorch(torch) -> None:
    mha = nn.MultiheadAttention(4, 1).double()
    x = al.tensor(rand(3, 1, 4))
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask") as caught:
        mha(x, x, x, key_padding_mask=al.tensor([[False, True, False]]), attn_mask=al.zeros(3, 3, dtype=al.float64))
    assert caught[0].filename == __file__


@pytest.mark.parametrize(("make", "call", "error", "match"), [
    (lambda: nn.MultiheadAttention(10, 3), None, ValueError, "embed_dim must be divisible by num_heads.*10.*3"),
    (lambda: nn.MultiheadAttention(0, 1), None, ValueError, "greater than 0"),
    (None, lambda m, x: m(x[0, 0], x[0, 0], x[0, 0]), al.ShapeError, "unbatched 2D.*batched 3D"),
    (None, lambda m, x: m(x, x[0], x[0]), al.ShapeError, "3-D key"),
    (None, lambda m, x: m(x[..., :4], x, x), al.ShapeError, "embedding dimension of 8"),
    (None, lambda m, x: m(x, x, x, attn_mask=al.ones(3, 4, dtype=al.bool)), al.ShapeError, r"should be \(3, 3\)"),
    (None, lambda m, x: m(x, x, x, attn_mask=al.zeros(3, 3, 3, dtype=al.float64)), al.ShapeError,
     r"should be \(4, 3, 3\)"),
    (None, lambda m, x: m(x, x, x, attn_mask=al.zeros(3, 3, dtype=al.int64)), al.DTypeError, "bool and floating"),
    (None, lambda m, x: m(x, x, x, attn_mask=al.zeros(3, 3, dtype=al.float32)), al.DTypeError, "float64"),
    (None, lambda m, x: m(x, x, x, key_padding_mask=al.zeros(2, 4, dtype=al.bool)), al.ShapeError, r"\(2, 3\)"),
    (None, lambda m, x: m(x, x, x, key_padding_mask=al.zeros(3, dtype=al.bool)), al.ShapeError, "key_padding_mask"),
    (None, lambda m, x: m(x, x, x, is_causal=True), RuntimeError, "Need attn_mask"),
    (None, lambda m, x: m(x, x[:2], x), al.ShapeError, "does not match value"),
])
def test_multihead_attention_refuses_bad_input(make, call, error, match) -> None:
    mha = nn.MultiheadAttention(8, 2).double()
    with pytest.raises(error, match=match):
        if make is not None:
            make()
        else:
            call(mha, al.tensor(rand(3, 2, 8)))


# ------------------------------------------------------------------ transformer layers
LAYER_CASES = [dict(norm_first=nf, batch_first=bf) for nf in (False, True) for bf in (False, True)]


def _ids(cases: list[dict]) -> list[str]:
    return [",".join(f"{k}={v}" for k, v in c.items()) or "defaults" for c in cases]


def _seq(torch, bf: bool, n: int, s: int, e: int, seed: int, dtype=np.float64) -> tuple:
    return pair(torch, rand(*((n, s, e) if bf else (s, n, e)), seed=seed, dtype=dtype))


def _torch_dtype(torch, dtype):
    return torch.float64 if dtype == np.float64 else torch.float32


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ["relu", "gelu", "callable"])
@pytest.mark.parametrize("case", LAYER_CASES, ids=_ids(LAYER_CASES))
def test_encoder_layer_matches_pytorch(torch, case, activation, dtype) -> None:
    act, act_t = {"relu": ("relu", "relu"), "gelu": ("gelu", "gelu"),
                  "callable": (nn.functional.silu, torch.nn.functional.silu)}[activation]
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, activation=act_t, **case).to(_torch_dtype(torch, dtype))
    ours = nn.TransformerEncoderLayer(8, 2, 16, activation=act, **case).to(dtype)
    load_torch_weights(ours, theirs)
    ours.eval(), theirs.eval()
    x, xt = _seq(torch, case["batch_first"], 3, 5, 8, seed=1, dtype=dtype)
    causal = nn.Transformer.generate_square_subsequent_mask(5, dtype=dtype)
    causal_t = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=_torch_dtype(torch, dtype))
    kpm = np.array([[False] * 5, [False] * 3 + [True] * 2, [False, True] * 2 + [False]])
    for kw, kw_t in [({}, {}), (dict(src_mask=causal, is_causal=True), dict(src_mask=causal_t, is_causal=True)),
                     (dict(src_key_padding_mask=al.tensor(kpm)), dict(src_key_padding_mask=torch.tensor(kpm)))]:
        x.grad, xt.grad = None, None
        ours.zero_grad(), theirs.zero_grad()
        out, out_t = ours(x, **kw), theirs(xt, **kw_t)
        same(out, out_t, dtype)
        backward_both(out, out_t)
        same(x.grad, xt.grad, dtype)
        same_param_grads(ours, theirs, dtype)


@pytest.mark.parametrize("case", LAYER_CASES, ids=_ids(LAYER_CASES))
def test_decoder_layer_matches_pytorch(torch, case) -> None:
    theirs = torch.nn.TransformerDecoderLayer(8, 2, 16, activation="gelu", **case).double().eval()
    ours = nn.TransformerDecoderLayer(8, 2, 16, activation="gelu", **case).double().eval()
    load_torch_weights(ours, theirs)
    tgt, tgt_t = _seq(torch, case["batch_first"], 2, 4, 8, seed=1)
    mem, mem_t = _seq(torch, case["batch_first"], 2, 6, 8, seed=2)
    tgt_mask = np.triu(np.ones((4, 4), bool), 1)                       # bool: True = may not attend
    mem_kpm = np.array([[False] * 6, [False] * 4 + [True] * 2])
    out = ours(tgt, mem, tgt_mask=al.tensor(tgt_mask), memory_key_padding_mask=al.tensor(mem_kpm))
    out_t = theirs(tgt_t, mem_t, tgt_mask=torch.tensor(tgt_mask), memory_key_padding_mask=torch.tensor(mem_kpm))
    same(out, out_t)
    backward_both(out, out_t)
    same(tgt.grad, tgt_t.grad)
    same(mem.grad, mem_t.grad)
    same_param_grads(ours, theirs)


@pytest.mark.parametrize("case", LAYER_CASES, ids=_ids(LAYER_CASES))
def test_stacks_and_transformer_match_pytorch(torch, case) -> None:
    theirs = torch.nn.Transformer(8, 2, 2, 3, 16, dropout=0.0, **case).double().eval()
    ours = nn.Transformer(8, 2, 2, 3, 16, dropout=0.0, **case).double().eval()
    load_torch_weights(ours, theirs)
    assert "encoder.layers.1.self_attn.in_proj_weight" in ours.state_dict()
    assert {"decoder.layers.2.multihead_attn.out_proj.bias", "decoder.norm.weight"} <= set(ours.state_dict())
    src, src_t = _seq(torch, case["batch_first"], 2, 5, 8, seed=1)
    tgt, tgt_t = _seq(torch, case["batch_first"], 2, 4, 8, seed=2)
    tgt_mask, tgt_mask_t = (nn.Transformer.generate_square_subsequent_mask(4, dtype=al.float64),
                            torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64))
    kpm = np.array([[False] * 5, [False] * 3 + [True] * 2])
    out = ours(src, tgt, tgt_mask=tgt_mask, src_key_padding_mask=al.tensor(kpm),
               memory_key_padding_mask=al.tensor(kpm))
    out_t = theirs(src_t, tgt_t, tgt_mask=tgt_mask_t, src_key_padding_mask=torch.tensor(kpm),
                   memory_key_padding_mask=torch.tensor(kpm))
    same(out, out_t)
    backward_both(out, out_t)
    same(src.grad, src_t.grad)
    same(tgt.grad, tgt_t.grad)
    same_param_grads(ours, theirs)
    # The encoder stack alone, unbatched, with a causal mask (detected as one from its values).
    causal = nn.Transformer.generate_square_subsequent_mask(5, dtype=al.float64)
    enc = ours.encoder(src[0] if case["batch_first"] else src[:, 0], mask=causal)
    enc_t = theirs.encoder(src_t[0] if case["batch_first"] else src_t[:, 0], mask=torch.tensor(causal.array))
    assert enc.shape == (5, 8)
    same(enc, enc_t)


def test_decoder_stack_without_norm_and_unbatched(torch) -> None:
    layer_t = torch.nn.TransformerDecoderLayer(8, 4, 12, dropout=0.0)
    theirs = torch.nn.TransformerDecoder(layer_t, 2).double()
    ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 4, 12, dropout=0.0), 2).double()
    load_torch_weights(ours, theirs)
    tgt, tgt_t = pair(torch, rand(3, 8, seed=1))
    mem, mem_t = pair(torch, rand(5, 8, seed=2))
    out, out_t = ours(tgt, mem, tgt_is_causal=False), theirs(tgt_t, mem_t, tgt_is_causal=False)
    same(out, out_t)
    assert out.shape == (3, 8)


def test_generate_square_subsequent_mask_is_pytorchs(torch) -> None:
    m = nn.Transformer.generate_square_subsequent_mask(4)
    m_t = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert m.dtype == np.float32
    np.testing.assert_array_equal(m.array, m_t.numpy())
    assert np.isneginf(m.array[0, 1]) and m.array[1, 0] == 0 and m.array[2, 2] == 0
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=al.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="CPU only"):
        nn.Transformer.generate_square_subsequent_mask(3, device="cuda")


def test_stack_layers_are_independent_deep_copies() -> None:
    layer = nn.TransformerEncoderLayer(4, 2, 8)
    enc = nn.TransformerEncoder(layer, 3)
    assert len(enc.layers) == 3 and "layers.2.norm2.bias" in enc.state_dict()
    a, b = enc.layers[0].self_attn.in_proj_weight, enc.layers[1].self_attn.in_proj_weight
    assert a is not b and a is not layer.self_attn.in_proj_weight
    np.testing.assert_array_equal(a.array, layer.self_attn.in_proj_weight.array)     # copies of the template
    with al.no_grad():
        a.add_(1.0)
    assert not np.allclose(a.array, b.array)
    assert len(list(enc.parameters())) == 3 * len(list(layer.parameters()))           # the template is not in it
    clone = copy.deepcopy(enc)
    assert np.array_equal(clone.layers[0].linear1.weight.array, enc.layers[0].linear1.weight.array)
    assert clone.layers[0].linear1.weight is not enc.layers[0].linear1.weight


def test_state_dict_keys_are_pytorchs(torch) -> None:
    pairs = [(nn.TransformerEncoderLayer(8, 2, 16, bias=False), torch.nn.TransformerEncoderLayer(8, 2, 16, bias=False)),
             (nn.TransformerDecoderLayer(8, 2, 16), torch.nn.TransformerDecoderLayer(8, 2, 16)),
             (nn.Transformer(8, 2, 1, 1, 16), torch.nn.Transformer(8, 2, 1, 1, 16))]
    for ours, theirs in pairs:
        assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


def test_transformer_reinitialises_matrices_xavier_uniform() -> None:
    model = nn.Transformer(16, 2, 1, 1, 32)
    w = model.encoder.layers[0].linear1.weight.array                        # (32, 16)
    assert np.abs(w).max() <= math.sqrt(6 / 48) and np.abs(w).max() > 1 / math.sqrt(16)   # not Linear's bound
    assert np.all(model.decoder.norm.weight.array == 1)


def test_dropout_is_active_in_training_only() -> None:
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3).double()
    x = al.tensor(rand(4, 2, 8))
    al.manual_seed(0)
    assert not np.allclose(layer(x).array, layer(x).array)
    layer.eval()
    np.testing.assert_array_equal(layer(x).array, layer(x).array)
    no_drop = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0).double()
    no_drop.load_state_dict(layer.state_dict())
    np.testing.assert_allclose(no_drop(x).array, layer(x).array, rtol=1e-12)          # train mode, p = 0


CONSTRUCTORS = ["MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
                "TransformerDecoder", "Transformer"]


def _params(fn) -> list[tuple]:
    out = []
    for p in inspect.signature(fn).parameters.values():
        default = "<required>" if p.default is inspect.Parameter.empty else p.default
        out.append((p.name, getattr(default, "__name__", default), p.kind.name))    # F.relu: compared by name
    return out


@pytest.mark.parametrize("name", CONSTRUCTORS)
def test_signatures_are_pytorchs(torch, name) -> None:
    ours, theirs = getattr(nn, name), getattr(torch.nn, name)
    assert _params(ours.__init__) == _params(theirs.__init__)
    assert _params(ours.forward) == _params(theirs.forward)
    assert _params(nn.Transformer.generate_square_subsequent_mask) == \
        _params(torch.nn.Transformer.generate_square_subsequent_mask)
    assert _params(F.multi_head_attention_forward) == _params(torch.nn.functional.multi_head_attention_forward)


def test_transformer_errors() -> None:
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match="divisible"):
        nn.TransformerDecoderLayer(8, 3)
    model = nn.Transformer(8, 2, 1, 1, 16, batch_first=True)
    with pytest.raises(al.ShapeError, match="batch number of src and tgt must be equal"):
        model(al.zeros(2, 5, 8), al.zeros(3, 4, 8))
    with pytest.raises(al.ShapeError, match="feature number of src and tgt must be equal to d_model=8"):
        model(al.zeros(2, 5, 8), al.zeros(2, 4, 6))
    with pytest.raises(TypeError, match="expected a Tensor as src"):
        model(np.zeros((2, 5, 8)), al.zeros(2, 4, 8))
    with pytest.raises(TypeError, match="encoder_layer"):
        nn.TransformerEncoder("layer", 2)


# ------------------------------------------------------------------ gradchecks (float64, small)
def test_gradcheck_sdpa_with_masks() -> None:
    q, k, v = (al.tensor(rand(2, 3, 4, seed=s), requires_grad=True) for s in (1, 2, 3))
    bias = al.tensor(rand(3, 3, seed=4), requires_grad=True)                  # a float mask gets a gradient too
    assert al.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), (q, k, v))
    assert al.gradcheck(lambda q, k, v, b: F.scaled_dot_product_attention(q, k, v, b), (q, k, v, bias))
    keep = al.tensor(np.array([[True, False, True], [False, False, False], [True, True, True]]))   # row 1: nothing
    assert al.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, keep), (q, k, v))


def test_gradcheck_multihead_attention_and_its_weights() -> None:
    mha = nn.MultiheadAttention(4, 2, kdim=3).double()
    q = al.tensor(rand(3, 2, 4, seed=1), requires_grad=True)
    k = al.tensor(rand(5, 2, 3, seed=2), requires_grad=True)
    v = al.tensor(rand(5, 2, 4, seed=3), requires_grad=True)
    kpm = al.tensor(np.array([[False, False, True, False, False], [False] * 5]))
    assert al.gradcheck(lambda q, k, v: mha(q, k, v, key_padding_mask=kpm)[0], (q, k, v))
    assert al.gradcheck(lambda q, k, v: mha(q, k, v, average_attn_weights=False)[1], (q, k, v))

    def through(w: al.Tensor) -> al.Tensor:         # gradcheck perturbs the module's own weight in place
        return mha(q, k, v, need_weights=False)[0]

    assert al.gradcheck(through, (mha.k_proj_weight,))


@pytest.mark.parametrize("norm_first", [False, True])
def test_gradcheck_encoder_and_decoder_layers(norm_first) -> None:
    enc = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=norm_first, activation="gelu").double()
    dec = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, norm_first=norm_first).double()
    src = al.tensor(rand(3, 2, 4, seed=1), requires_grad=True)
    tgt = al.tensor(rand(2, 2, 4, seed=2), requires_grad=True)
    mask = nn.Transformer.generate_square_subsequent_mask(2, dtype=al.float64)
    assert al.gradcheck(lambda s: enc(s, src_mask=nn.Transformer.generate_square_subsequent_mask(3, dtype=al.float64)),
                        (src,))
    assert al.gradcheck(lambda t, m: dec(t, m, tgt_mask=mask), (tgt, src))
