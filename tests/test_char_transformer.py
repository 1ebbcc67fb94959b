"""A character-level GPT written with our nn (embeddings, causal MultiheadAttention blocks, a linear head)
learns a text with AdamW, draws its graph with attention's ops in it, and takes PyTorch's steps exactly.

The model is written once, against whichever `nn` it is given: ours, or torch.nn (the same names), so the
PyTorch comparison runs the same code. The text is names.txt from ../shared/data/text (or the file in
$AUTOGRAD_LITE_TEXT) when present, else a text made here, so the test runs without ../shared.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import autograd_lite as al
import nn
from autograd_lite import viz

ROOT = Path(__file__).resolve().parent.parent
BLOCK, BATCH = 16, 16


def load_text() -> str:
    """Up to 20,000 characters of names.txt (one lowercase name a line), or a made-up text of short words."""
    path = Path(os.environ.get("AUTOGRAD_LITE_TEXT", ROOT.parent / "shared" / "data" / "text" / "names.txt"))
    if path.is_file():
        return path.read_text(encoding="utf-8")[:20_000]
    rng = np.random.default_rng(0)
    syllables = ["ka", "lo", "mi", "ra", "ne", "tu", "sa", "an", "el", "ori", "ja", "den"]
    return "\n".join("".join(rng.choice(syllables, rng.integers(1, 4))) for _ in range(3000))


def make_gpt(lib: Any, vocab: int, d: int = 32, heads: int = 4, layers: int = 2) -> Any:
    """A GPT (pre-norm blocks of causal self-attention and an MLP, residual connections) built from `lib`:
    our nn, or torch.nn."""

    class Block(lib.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1 = lib.LayerNorm(d)
            self.attn = lib.MultiheadAttention(d, heads, batch_first=True)
            self.ln2 = lib.LayerNorm(d)
            self.mlp = lib.Sequential(lib.Linear(d, 4 * d), lib.GELU(), lib.Linear(4 * d, d))

        def forward(self, x: Any, mask: Any) -> Any:
            h = self.ln1(x)
            x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False, is_causal=True)[0]
            return x + self.mlp(self.ln2(x))

    class GPT(lib.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok = lib.Embedding(vocab, d)
            self.pos = lib.Embedding(BLOCK, d)
            self.blocks = lib.ModuleList([Block() for _ in range(layers)])
            self.ln_f = lib.LayerNorm(d)
            self.head = lib.Linear(d, vocab)

        def forward(self, idx: Any, positions: Any, mask: Any) -> Any:
            x = self.tok(idx) + self.pos(positions)
            for block in self.blocks:
                x = block(x, mask)
            return self.head(self.ln_f(x))

    return GPT()


class Data:
    """The text as integer codes, and batches of (input, next-character target) windows."""

    def __init__(self) -> None:
        text = load_text()
        self.chars = sorted(set(text))
        self.codes = np.array([self.chars.index(c) for c in text], dtype=np.int64)

    def batch(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        starts = rng.integers(0, len(self.codes) - BLOCK - 1, BATCH)
        x = np.stack([self.codes[s:s + BLOCK] for s in starts])
        y = np.stack([self.codes[s + 1:s + BLOCK + 1] for s in starts])
        return x, y


def our_loss(model: Any, x: np.ndarray, y: np.ndarray) -> al.Tensor:
    logits = model(al.tensor(x), al.arange(BLOCK), nn.Transformer.generate_square_subsequent_mask(BLOCK))
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), al.tensor(y.reshape(-1)))


def test_char_gpt_learns_the_text() -> None:
    al.manual_seed(0)
    data = Data()
    model = make_gpt(nn, len(data.chars))
    opt = nn.optim.AdamW(model.parameters(), lr=1e-2)
    held_out = Data.batch(data, np.random.default_rng(123))      # a fixed batch measures the progress

    def held_out_loss() -> float:
        with al.no_grad():
            return our_loss(model, *held_out).item()

    start = held_out_loss()
    assert abs(start - np.log(len(data.chars))) < 1.5               # about uniform at the start
    rng = np.random.default_rng(0)
    for _ in range(40):
        loss = our_loss(model, *data.batch(rng))
        opt.zero_grad()
        loss.backward()
        opt.step()
    end = held_out_loss()
    assert np.isfinite(end) and end < 0.8 * start, (start, end)


def test_char_gpt_graph_shows_attention() -> None:
    al.manual_seed(0)
    data = Data()
    model = make_gpt(nn, len(data.chars), layers=1)
    loss = our_loss(model, *data.batch(np.random.default_rng(0)))
    graph = viz.draw_graph(loss, params=dict(model.named_parameters()), group_modules=model, max_nodes=2000)
    src = graph.source
    assert "truncated" not in src
    # Attention's ops, drawn inside the attention module's cluster: Q K^T and weights @ V (matmul), the
    # causal mask (masked_fill, recorded as where(mask, -inf, scores)), the softmax; and its parameters.
    start = src.index('label="blocks.0.attn (MultiheadAttention)"')
    cluster = src[start:src.index("}", start)]
    assert cluster.count("label=matmul") == 2 and "softmax(dim=3)" in cluster and ", -inf, " in cluster
    for name in ("blocks.0.attn.in_proj_weight", "blocks.0.attn.out_proj.weight", "head.weight", "tok.weight"):
        assert f'label="{name}' in src, name
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's `dot` program is not installed: the DOT source was checked, not the picture")
    svg = graph.pipe(format="svg").decode()
    assert "<svg" in svg and "blocks.0.attn (MultiheadAttention)" in svg and "softmax(dim=3)" in svg


def same_gradients(ours: Any, theirs: Any) -> None:
    """The first step's gradients, parameter by parameter. (Not the parameters after the steps: where a
    gradient is near zero, e.g. the key bias's, which the softmax cancels, Adam's normalised step turns
    float32 rounding into a step of size lr either way.)"""
    grads = {name: p.grad.array for name, p in ours.named_parameters()}
    for name, p in theirs.named_parameters():
        ref = p.grad.numpy()
        np.testing.assert_allclose(grads[name], ref, rtol=1e-4, atol=1e-6 * np.abs(ref).max(), err_msg=name)


def test_char_gpt_takes_pytorchs_adamw_steps() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")
    torch.manual_seed(0)
    data = Data()
    theirs = make_gpt(torch.nn, len(data.chars))
    ours = make_gpt(nn, len(data.chars))
    ours.load_state_dict({k: al.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    opt = nn.optim.AdamW(ours.parameters(), lr=1e-2)
    opt_t = torch.optim.AdamW(theirs.parameters(), lr=1e-2, foreach=False)
    mask_t = torch.nn.Transformer.generate_square_subsequent_mask(BLOCK)
    rng = np.random.default_rng(0)
    losses, losses_t = [], []
    for _ in range(3):
        x, y = data.batch(rng)
        loss = our_loss(ours, x, y)
        logits_t = theirs(torch.tensor(x), torch.arange(BLOCK), mask_t)
        loss_t = torch.nn.functional.cross_entropy(logits_t.reshape(-1, logits_t.shape[-1]),
                                                   torch.tensor(y).reshape(-1))
        for optimizer, value in ((opt, loss), (opt_t, loss_t)):
            optimizer.zero_grad()
            value.backward()
        if not losses:
            same_gradients(ours, theirs)
        opt.step()
        opt_t.step()
        losses.append(loss.item())
        losses_t.append(loss_t.item())
    np.testing.assert_allclose(losses, losses_t, rtol=1e-5)
    assert losses[2] < losses[0]                                   # the steps did something
