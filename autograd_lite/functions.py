"""Module-level forms of the tensor operations (`autograd_lite.exp(x)`, `cat`, `stack`, `where`, ...).

Single-tensor functions are one line each, forwarding to the Tensor method of the same name. Functions
of several tensors (cat, stack, where) and composites (split, chunk, pad) own their logic here.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from .tensor import Tensor, _norm_dim, _wrap


def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """`data` as a Tensor: returned as is if it already is one (and of `dtype`), else converted."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    return Tensor(data, dtype=dtype)


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# ------------------------------------------------------------------ elementwise
def add(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    return _t(input).add(other, alpha=alpha)


def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    return _t(input).sub(other, alpha=alpha)


def mul(input: Any, other: Any) -> Tensor:
    return ops.mul(_t(input), other)


def div(input: Any, other: Any) -> Tensor:
    return ops.div(_t(input), other)


def neg(input: Any) -> Tensor:
    return ops.neg(_t(input))


def pow(input: Any, exponent: Any) -> Tensor:
    if isinstance(input, Tensor):
        return ops.pow(input, exponent)
    return ops.pow(input, _t(exponent))     # a number raised to a tensor power


def matmul(input: Any, other: Any) -> Tensor:
    return ops.matmul(_t(input), other)


mm = matmul


def linear(input: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias, with weight of shape (out_features, in_features) as in PyTorch."""
    x = _t(input)
    if weight.ndim != 2 or x.shape[-1:] != weight.shape[1:]:
        raise ValueError(f"linear: input of shape {x.shape} does not match weight of shape {weight.shape}; "
                         f"expected input's last dim to equal weight's in_features ({weight.shape[-1]})")
    if bias is not None and bias.shape != weight.shape[:1]:
        raise ValueError(f"linear: bias of shape {bias.shape} does not match out_features {weight.shape[0]}")
    return ops.linear(x, weight, bias)


def nll_loss(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """The negative log-likelihood of class indices given log-probabilities (PyTorch's nll_loss).

    `input` is (N, C) or (N, C, d1, ...) log-probabilities, `target` (N,) or (N, d1, ...) class
    indices; `weight` rescales each class; targets equal to `ignore_index` count for nothing; 'mean'
    divides by the total weight of the counted targets. One primitive, so its backward is one scatter.
    """
    x = _t(input)
    tgt = target.data if isinstance(target, Tensor) else np.asarray(target)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"nll_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if tgt.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: expected integer class indices as target (int64), got dtype {tgt.dtype}")
    if x.ndim == 1:
        x, tgt = x.unsqueeze(0), tgt.reshape(1)
        squeeze = reduction == "none"
    else:
        squeeze = False
    if x.ndim < 2 or tgt.shape != x.shape[:1] + x.shape[2:]:
        raise ValueError(f"nll_loss: input of shape {tuple(_t(input).shape)} needs a target of shape "
                         f"{x.shape[:1] + x.shape[2:]} (the input's shape without the class dim 1), "
                         f"got {tgt.shape}")
    n_classes = x.shape[1]
    w = None
    if weight is not None:
        w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
        if w.shape != (n_classes,):
            raise ValueError(f"nll_loss: weight must have shape ({n_classes},), got {w.shape}")
    shape = tgt.shape
    if x.ndim > 2:     # (N, C, d1, ...) -> (N*d1*..., C): one row per prediction
        x = x.movedim(1, -1).reshape(-1, n_classes)
        tgt = tgt.reshape(-1)
    # Worked out once here, not in both forward and backward: each sample's class (0 if ignored,
    # so indexing stays valid), its weight (0 if ignored; None when all are 1), and the divisor of 'mean'.
    lo, hi = (int(tgt.min()), int(tgt.max())) if tgt.size else (0, 0)
    if w is None and 0 <= lo and hi < n_classes and not lo <= ignore_index <= hi:
        classes, per_sample = tgt, None            # the common case: every target counts once
        denom = float(tgt.size) if reduction == "mean" else 1.0
    else:
        keep = tgt != ignore_index
        bad = keep & ((tgt < 0) | (tgt >= n_classes))
        if bad.any():
            raise IndexError(f"nll_loss: target {int(tgt[bad].flat[0])} is out of bounds for {n_classes} classes")
        classes = np.where(keep, tgt, 0)
        per_sample = (keep if w is None else np.where(keep, w[classes], 0)).astype(x.dtype)
        denom = float(per_sample.sum(dtype=np.float64)) if reduction == "mean" else 1.0
    out = ops.nll_loss(x, target=classes, weight=per_sample, denom=denom, reduction=reduction)
    if reduction == "none":
        return out.reshape(()) if squeeze else out.reshape(shape)
    return out


def erf(input: Any) -> Tensor:
    """The error function, 2/sqrt(pi) * integral_0^x exp(-t^2) dt."""
    return ops.erf(_t(input))


def exp(input: Any) -> Tensor:
    return ops.exp(_t(input))


def log(input: Any) -> Tensor:
    return ops.log(_t(input))


def sqrt(input: Any) -> Tensor:
    return ops.sqrt(_t(input))


def abs(input: Any) -> Tensor:
    return ops.abs(_t(input))


def sign(input: Any) -> Tensor:
    return ops.sign(_t(input))


def sin(input: Any) -> Tensor:
    return ops.sin(_t(input))


def cos(input: Any) -> Tensor:
    return ops.cos(_t(input))


def tanh(input: Any) -> Tensor:
    return ops.tanh(_t(input))


def sigmoid(input: Any) -> Tensor:
    return ops.sigmoid(_t(input))


def relu(input: Any) -> Tensor:
    return ops.relu(_t(input))


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    return ops.leaky_relu(_t(input), negative_slope=negative_slope)


def elu(input: Any, alpha: float = 1.0) -> Tensor:
    return ops.elu(_t(input), alpha=alpha)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return ops.softplus(_t(input), beta=beta, threshold=threshold)


def maximum(input: Any, other: Any) -> Tensor:
    return ops.maximum(_t(input), other)


def minimum(input: Any, other: Any) -> Tensor:
    return ops.minimum(_t(input), other)


def clamp(input: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's names
    return _t(input).clamp(min, max)


clip = clamp


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """Elementwise `input if condition else other`; the gradient goes to the chosen side."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: expected a bool condition, got dtype {cond.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor(input)
    return ops.where(cond, input, other)


# ------------------------------------------------------------------ reductions and friends
def sum(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _t(input).sum(dim, keepdim, **kw)


def mean(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _t(input).mean(dim, keepdim, **kw)


def amax(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _t(input).amax(dim, keepdim, **kw)


def amin(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _t(input).amin(dim, keepdim, **kw)


def max(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Any:  # noqa: A001
    return _t(input).max(dim, keepdim, **kw)


def min(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Any:  # noqa: A001
    return _t(input).min(dim, keepdim, **kw)


def argmax(input: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _t(input).argmax(dim, keepdim)


def argmin(input: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _t(input).argmin(dim, keepdim)


def var(input: Any, dim: Any = None, **kw: Any) -> Tensor:
    return _t(input).var(dim, **kw)


def std(input: Any, dim: Any = None, **kw: Any) -> Tensor:
    return _t(input).std(dim, **kw)


def logsumexp(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    return _t(input).logsumexp(dim, keepdim)


def softmax(input: Any, dim: int) -> Tensor:
    return _t(input).softmax(dim)


def log_softmax(input: Any, dim: int) -> Tensor:
    return _t(input).log_softmax(dim)


# ------------------------------------------------------------------ shapes
def reshape(input: Any, shape: Sequence[int]) -> Tensor:
    return _t(input).reshape(tuple(shape))


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return _t(input).flatten(start_dim, end_dim)


def transpose(input: Any, dim0: int, dim1: int) -> Tensor:
    return _t(input).transpose(dim0, dim1)


def permute(input: Any, dims: Sequence[int]) -> Tensor:
    return _t(input).permute(*dims)


def squeeze(input: Any, dim: Any = None) -> Tensor:
    return _t(input).squeeze(dim)


def unsqueeze(input: Any, dim: int) -> Tensor:
    return _t(input).unsqueeze(dim)


def broadcast_to(input: Any, shape: Sequence[int]) -> Tensor:
    return _t(input).broadcast_to(shape)


def cat(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dim (NumPy's `concatenate`, with `axis` accepted too)."""
    if axis is not None:
        dim = axis
    tensors = [_t(x) for x in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    ndim = tensors[0].ndim
    if ndim == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated; use stack")
    d = _norm_dim(dim, ndim, "cat")
    for i, x in enumerate(tensors):
        if x.ndim != ndim or x.shape[:d] + x.shape[d + 1:] != tensors[0].shape[:d] + tensors[0].shape[d + 1:]:
            shapes = ", ".join(str(t.shape) for t in tensors)
            raise ValueError(f"cat: tensors must have the same shape except in dim {dim}; got shapes "
                             f"{shapes} (tensor {i} differs)")
    if len(tensors) == 1:
        return tensors[0]
    return ops.cat(*tensors, dim=d)


concatenate = cat
concat = cat


def stack(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors of equal shape along a new dim."""
    if axis is not None:
        dim = axis
    tensors = [_t(x) for x in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    shapes = {x.shape for x in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: expects each tensor to be the same shape, got shapes "
                         f"{[x.shape for x in tensors]}")
    d = _norm_dim(dim, tensors[0].ndim + 1, "stack")
    return cat([x.unsqueeze(d) for x in tensors], dim=d)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into pieces of `split_size` (the last may be smaller) or of the listed sizes."""
    d = _norm_dim(dim, tensor.ndim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [builtins.min(size, n - s) for s in range(0, n, size)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} sum to {builtins.sum(sizes)} but dim {dim} has size {n}")
    pieces = []
    start = 0
    for s in sizes:
        pieces.append(tensor[(slice(None),) * d + (slice(start, start + s),)])
        start += s
    return tuple(pieces)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into `chunks` pieces of equal size (the last may be smaller), as PyTorch does."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = input.shape[_norm_dim(dim, input.ndim, "chunk")]
    return split(input, builtins.max(-(-n // chunks), 1), dim)


def pad(input: Any, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad with a constant, PyTorch's convention: `pad` lists (left, right) pairs starting from the
    last dim and going backwards. Negative amounts crop."""
    x = _t(input)
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is supported, got {mode!r}")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: expected an even number of amounts covering at most {x.ndim} dims, "
                         f"got {len(pad)} for shape {x.shape}")
    pairs = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        pairs[x.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if builtins.any(lo < 0 or hi < 0 for lo, hi in pairs):
        x = x[tuple(slice(-builtins.min(lo, 0), n + builtins.min(hi, 0))
                    for (lo, hi), n in zip(pairs, x.shape))]
        pairs = [(builtins.max(lo, 0), builtins.max(hi, 0)) for lo, hi in pairs]
    if builtins.all(p == (0, 0) for p in pairs):
        return x
    return ops.pad(x, pairs=tuple(pairs), value=value)


def gather(input: Tensor, dim: int, index: Any) -> Tensor:
    """out[i][j] = input[i][index[i][j]] for dim=1 (PyTorch's gather); repeats add their gradients."""
    idx = index.data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"gather: index must be an integer tensor, got dtype {idx.dtype}")
    if idx.ndim != input.ndim:
        raise ValueError(f"gather: index has {idx.ndim} dims but input has {input.ndim} (shape {input.shape})")
    d = _norm_dim(dim, input.ndim, "gather")
    for k in range(input.ndim):
        if k != d and idx.shape[k] > input.shape[k]:
            raise ValueError(f"gather: index shape {idx.shape} is larger than input shape {input.shape} in "
                             f"dim {k}; expected index.size(d) <= input.size(d) for every d != dim")
    return ops.gather(input, index=idx, dim=d)


# ------------------------------------------------------------------ comparisons (no gradient)
def eq(input: Any, other: Any) -> Tensor:
    return _t(input) == other


def ne(input: Any, other: Any) -> Tensor:
    return _t(input) != other


def lt(input: Any, other: Any) -> Tensor:
    return _t(input) < other


def le(input: Any, other: Any) -> Tensor:
    return _t(input) <= other


def gt(input: Any, other: Any) -> Tensor:
    return _t(input) > other


def ge(input: Any, other: Any) -> Tensor:
    return _t(input) >= other


def isnan(input: Any) -> Tensor:
    return _wrap(np.isnan(_t(input).data))


def isfinite(input: Any) -> Tensor:
    return _wrap(np.isfinite(_t(input).data))


def allclose(input: Any, other: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    return bool(np.allclose(np.asarray(input), np.asarray(other), rtol=rtol, atol=atol))
