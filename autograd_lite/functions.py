"""Module-level forms of the tensor operations (`autograd_lite.exp(x)`, `cat`, `stack`, `where`, ...).

Single-tensor functions are one line each, forwarding to the Tensor method of the same name. Functions
of several tensors (cat, stack, where) and composites (split, chunk, pad) own their logic here, as do
convolution and pooling (conv1d, conv2d, max_pool2d, avg_pool2d, adaptive_avg_pool2d): their argument
checks and PyTorch's size rules, before one call to a primitive.
"""

from __future__ import annotations

import builtins
import functools
import math
import warnings
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import conv_kernels, forwards, ops, promotion
from .errors import DTypeError, ShapeError, check_allocation, is_int
from .tensor import Tensor, _array_of, _check_number, _check_same_dtype, _no_repeats, _norm_dim, wrap


def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """`data` as a Tensor: returned as is if it already is one (and of `dtype`); a NumPy array of the
    right dtype is shared, not copied (changes to either show in the other), as torch.as_tensor."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    return wrap(_array_of(data, dtype, False, "as_tensor"))


def _t(x: Any, op: str = "tensor") -> Tensor:
    """The tensor an op works on. PyTorch's functions take Tensors, not lists or arrays: `exp([1, 2])` is a
    TypeError there, so it is here (make one with al.tensor or al.from_numpy)."""
    if isinstance(x, Tensor):
        return x
    raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}; make one with al.tensor(...) "
                    f"(or al.from_numpy for an array)")


# ------------------------------------------------------------------ elementwise
def add(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    return _t(input, "add").add(other, alpha=alpha)


def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    return _t(input, "sub").sub(other, alpha=alpha)


def mul(input: Any, other: Any) -> Tensor:
    return ops.mul(_t(input, "mul"), other)


def div(input: Any, other: Any) -> Tensor:
    return ops.div(_t(input, "div"), other)


def neg(input: Any) -> Tensor:
    return ops.neg(_t(input, "neg"))


def pow(input: Any, exponent: Any) -> Tensor:
    if isinstance(input, Tensor):
        return ops.pow(input, exponent)
    return ops.pow(input, _t(exponent, "pow"))     # a number raised to a tensor power


def matmul(input: Any, other: Any) -> Tensor:
    return _t(input, "matmul").matmul(_t(other, "matmul"))


def mm(input: Any, mat2: Any) -> Tensor:
    """The product of two matrices (2-D only, as PyTorch's mm; `matmul` broadcasts)."""
    a, b = _t(input, "mm"), _t(mat2, "mm")
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError(f"mm: expected two matrices (2-D tensors), got shapes {a.shape} and {b.shape}")
    return a.matmul(b)


def linear(input: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias, with weight of shape (out_features, in_features) as in PyTorch."""
    x, weight = _t(input, "linear"), _t(weight, "linear")
    if (weight.ndim == 2 and x.ndim and x.shape[-1] == weight.shape[1] and x.dtype == weight.dtype and
            (bias is None or (type(bias) is Tensor or isinstance(bias, Tensor)) and bias.shape == weight.shape[:1]
             and bias.dtype == x.dtype)):
        return ops.linear(x, weight, bias)        # the usual layer: nothing else to check
    if weight.ndim not in (1, 2) or x.ndim == 0 or x.shape[-1:] != weight.shape[-1:]:
        raise ShapeError(f"linear: input of shape {x.shape} does not match weight of shape {weight.shape}; "
                         f"expected input's last dim to equal weight's in_features ({weight.shape[-1:]})")
    _check_same_dtype("linear", x, weight, bias)
    out_shape = x.shape[:-1] + weight.shape[:-1]
    if bias is not None:
        bias = _t(bias, "linear")
        if _broadcast_shape(bias.shape, out_shape) != out_shape:
            raise ShapeError(f"linear: bias of shape {bias.shape} does not broadcast to the output's shape {out_shape}")
    if weight.ndim == 1:                   # a vector of weights: one output, its dim dropped (PyTorch's)
        out = x.matmul(weight)
        return out if bias is None else out + bias
    if bias is not None and bias.shape != weight.shape[:1]:
        return ops.linear(x, weight, None) + bias
    return ops.linear(x, weight, bias)


def _broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """The shape `a` and `b` broadcast to, or None if they do not."""
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


def nll_loss(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """The negative log-likelihood of class indices given log-probabilities (PyTorch's nll_loss).

    `input` is (N, C) or (N, C, d1, ...) log-probabilities, `target` (N,) or (N, d1, ...) class
    indices; `weight` rescales each class; targets equal to `ignore_index` count for nothing; 'mean'
    divides by the total weight of the counted targets. One primitive, so its backward is one scatter.
    """
    x = _t(input, "nll_loss")
    tgt = target.data if isinstance(target, Tensor) else np.asarray(target)
    if reduction not in ("mean", "sum", "none"):
        raise ShapeError(f"nll_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if tgt.dtype.kind not in "iu":
        raise DTypeError(f"nll_loss: expected integer class indices as target (int64), got dtype {tgt.dtype}")
    if x.ndim == 1:
        x, tgt = x.unsqueeze(0), tgt.reshape(1)
        squeeze = reduction == "none"
    else:
        squeeze = False
    if x.ndim < 2 or tgt.shape != x.shape[:1] + x.shape[2:]:
        raise ShapeError(f"nll_loss: input of shape {tuple(_t(input, 'nll_loss').shape)} needs a target of shape "
                         f"{x.shape[:1] + x.shape[2:]} (the input's shape without the class dim 1), "
                         f"got {tgt.shape}")
    n_classes = x.shape[1]
    w = None
    if weight is not None:
        if isinstance(weight, Tensor) and weight.dtype != x.dtype:
            raise DTypeError(f"nll_loss: expected weight of dtype {x.dtype} (the input's), got {weight.dtype} "
                             f"(PyTorch does not promote here either)")
        w = weight.data if isinstance(weight, Tensor) else np.asarray(weight, dtype=x.dtype)
        if w.shape != (n_classes,):
            raise ShapeError(f"nll_loss: weight must have shape ({n_classes},), got {w.shape}")
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
    if denom == 0:                         # 'mean' of nothing (no targets, or all ignored): NaN, as PyTorch,
        total = ops.nll_loss(x, target=classes, weight=per_sample, denom=1.0, reduction="sum")
        return where(np.zeros((), dtype=bool), total, math.nan)          # with a zero gradient (no 0 / 0)
    out = ops.nll_loss(x, target=classes, weight=per_sample, denom=denom, reduction=reduction)
    if reduction == "none":
        return out.reshape(()) if squeeze else out.reshape(shape)
    return out


def binary_cross_entropy(input: Tensor, target: Any) -> Tensor:
    """Elementwise -(t log p + (1-t) log(1-p)) for probabilities p, logs clamped at -100 (no reduction).

    One primitive with PyTorch's backward, (p - t) / max(p (1 - p), 1e-12): a prediction of exactly 0 or
    1 (a float32 sigmoid saturates there) gives a finite gradient, not 0/0.
    """
    p = _t(input, "binary_cross_entropy")
    t = target if isinstance(target, Tensor) else wrap(np.asarray(target, dtype=p.dtype))
    if t.shape != p.shape:
        raise ShapeError(f"binary_cross_entropy: target shape {t.shape} differs from input shape {p.shape}")
    if t.dtype != p.dtype:
        raise DTypeError(f"binary_cross_entropy: expected a target of dtype {p.dtype} (the input's), got {t.dtype}")
    for name, a in (("input", p.data), ("target", t.data)):
        if a.size and not (0 <= a.min() and a.max() <= 1):      # (NaN is refused too: its comparisons fail)
            raise ShapeError(f"binary_cross_entropy: all elements of {name} should be between 0 and 1"
                             + (" (use binary_cross_entropy_with_logits for raw scores)" if name == "input" else ""))
    return ops.binary_cross_entropy(p, t)


def erf(input: Any) -> Tensor:
    """The error function, 2/sqrt(pi) * integral_0^x exp(-t^2) dt."""
    return ops.erf(_t(input, "erf"))


def exp(input: Any) -> Tensor:
    return ops.exp(_t(input, "exp"))


def log(input: Any) -> Tensor:
    return ops.log(_t(input, "log"))


def sqrt(input: Any) -> Tensor:
    return ops.sqrt(_t(input, "sqrt"))


def abs(input: Any) -> Tensor:
    return ops.abs(_t(input, "abs"))


def sign(input: Any) -> Tensor:
    return ops.sign(_t(input, "sign"))


def sin(input: Any) -> Tensor:
    return ops.sin(_t(input, "sin"))


def cos(input: Any) -> Tensor:
    return ops.cos(_t(input, "cos"))


def tanh(input: Any) -> Tensor:
    return ops.tanh(_t(input, "tanh"))


def sigmoid(input: Any) -> Tensor:
    return ops.sigmoid(_t(input, "sigmoid"))


def relu(input: Any) -> Tensor:
    return ops.relu(_t(input, "relu"))


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    return ops.leaky_relu(_t(input, "leaky_relu"), negative_slope=negative_slope)


def elu(input: Any, alpha: float = 1.0) -> Tensor:
    return ops.elu(_t(input, "elu"), alpha=alpha)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return ops.softplus(_t(input, "softplus"), beta=beta, threshold=threshold)


def maximum(input: Any, other: Any) -> Tensor:
    return ops.maximum(_t(input, "maximum"), _t(other, "maximum"))       # (no numbers, as PyTorch's)


def minimum(input: Any, other: Any) -> Tensor:
    return ops.minimum(_t(input, "minimum"), _t(other, "minimum"))


def clamp(input: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's names
    return _t(input, "clamp").clamp(min, max)


clip = clamp


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:
    """The indices of the nonzero entries: an (n, ndim) int64 tensor, or with `as_tuple` one index
    tensor per dim (ready for indexing), as PyTorch's."""
    x = _t(input, "nonzero").data
    idx = np.nonzero(np.atleast_1d(x))
    if as_tuple:                          # (a 0-d tensor: one index tensor, as for a vector of one)
        return tuple(wrap(i.astype(np.int64)) for i in idx)
    if x.ndim == 0:                       # (n, 0): n = 1 if it is nonzero
        return wrap(np.zeros((len(idx[0]), 0), dtype=np.int64))
    return wrap(np.stack(idx, axis=1).astype(np.int64))


def where(condition: Any, input: Any = None, other: Any = None) -> Any:
    """Elementwise `input if condition else other`; the gradient goes to the chosen side. With the
    condition alone, `nonzero(condition, as_tuple=True)`, as PyTorch's."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    cond = np.array(_array_arg("where", "condition", condition))   # a copy: kept by the graph
    if cond.dtype != np.bool_:
        raise DTypeError(f"where: expected a bool condition, got dtype {cond.dtype}")
    for v in (input, other):
        if not isinstance(v, Tensor):
            _check_number("where", v)                 # a tensor or a number, as PyTorch's (not a list)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):   # where(c, 1.0, 0): numbers
        input = wrap(_array_of(input, None, True, "where"))
    return ops.where(cond, input, other)


def _array_arg(op: str, name: str, value: Any) -> np.ndarray:
    """An index, mask or condition: a Tensor or a NumPy array (a list or a number is refused, as PyTorch
    refuses it; an array is our convenience)."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    raise TypeError(f"{op}: expected a Tensor as {name}, got {type(value).__name__}")


# ------------------------------------------------------------------ reductions and friends
def sum(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _t(input, "sum").sum(dim, keepdim, **kw)


def mean(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _t(input, "mean").mean(dim, keepdim, **kw)


def amax(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _t(input, "amax").amax(dim, keepdim, **kw)


def amin(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _t(input, "amin").amin(dim, keepdim, **kw)


def max(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Any:  # noqa: A001
    return _t(input, "max").max(dim, keepdim, **kw)


def min(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Any:  # noqa: A001
    return _t(input, "min").min(dim, keepdim, **kw)


def argmax(input: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _t(input, "argmax").argmax(dim, keepdim)


def argmin(input: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _t(input, "argmin").argmin(dim, keepdim)


def var(input: Any, dim: Any = None, *args: Any, **kw: Any) -> Tensor:
    return _t(input, "var").var(dim, *args, **kw)


def std(input: Any, dim: Any = None, *args: Any, **kw: Any) -> Tensor:
    return _t(input, "std").std(dim, *args, **kw)


def logsumexp(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    return _t(input, "logsumexp").logsumexp(dim, keepdim)


def softmax(input: Any, dim: int) -> Tensor:
    return _t(input, "softmax").softmax(dim)


def log_softmax(input: Any, dim: int) -> Tensor:
    return _t(input, "log_softmax").log_softmax(dim)


# ------------------------------------------------------------------ shapes
def reshape(input: Any, shape: Sequence[int]) -> Tensor:
    return _t(input, "reshape").reshape(tuple(shape))


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return _t(input, "flatten").flatten(start_dim, end_dim)


def transpose(input: Any, dim0: int, dim1: int) -> Tensor:
    return _t(input, "transpose").transpose(dim0, dim1)


def permute(input: Any, dims: Sequence[int]) -> Tensor:
    return _t(input, "permute").permute(*dims)


def squeeze(input: Any, dim: Any = None) -> Tensor:
    return _t(input, "squeeze").squeeze(dim)


def unsqueeze(input: Any, dim: int) -> Tensor:
    return _t(input, "unsqueeze").unsqueeze(dim)


def broadcast_to(input: Any, shape: Sequence[int]) -> Tensor:
    return _t(input, "broadcast_to").broadcast_to(shape)


def cat(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dim (NumPy's `concatenate`, with `axis` accepted too)."""
    if axis is not None:
        dim = axis
    if isinstance(tensors, Tensor):
        raise TypeError("cat: expected a sequence of tensors (a list or a tuple), got a Tensor")
    tensors = [_t(x, "cat") for x in tensors]
    if not tensors:
        raise ShapeError("cat: expected a non-empty sequence of tensors")
    if builtins.any(x.ndim != 1 for x in tensors) and builtins.any(x.shape == (0,) for x in tensors):
        # PyTorch's legacy rule: empty vectors are skipped (their dtypes still count in the result's)
        dtype = functools.reduce(promotion.promote_types, (x.dtype for x in tensors))
        kept = [x for x in tensors if x.shape != (0,)] or tensors[:1]
        return cat([x.to(dtype) for x in kept], dim)
    ndim = tensors[0].ndim
    if ndim == 0:
        raise ShapeError("cat: zero-dimensional tensors cannot be concatenated; use stack")
    d = _norm_dim(dim, ndim, "cat")
    for i, x in enumerate(tensors):
        if x.ndim != ndim or x.shape[:d] + x.shape[d + 1:] != tensors[0].shape[:d] + tensors[0].shape[d + 1:]:
            shapes = ", ".join(str(t.shape) for t in tensors)
            raise ShapeError(f"cat: tensors must have the same shape except in dim {dim}; got shapes "
                             f"{shapes} (tensor {i} differs)")
    if len(tensors) == 1:
        return ops.clone(tensors[0])     # new memory, as PyTorch's cat always returns
    return ops.cat(*tensors, dim=d)


concatenate = cat
concat = cat


def stack(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors of equal shape along a new dim."""
    if axis is not None:
        dim = axis
    tensors = [_t(x, "stack") for x in tensors]
    if not tensors:
        raise ShapeError("stack: expected a non-empty sequence of tensors")
    shapes = {x.shape for x in tensors}
    if len(shapes) > 1:
        raise ShapeError(f"stack: expects each tensor to be the same shape, got shapes "
                         f"{[x.shape for x in tensors]}")
    d = _norm_dim(dim, tensors[0].ndim + 1, "stack")
    return cat([x.unsqueeze(d) for x in tensors], dim=d)


def _at_least_1d(x: Tensor, op: str) -> None:
    """Ops that cut a tensor along a dim need one (PyTorch's refuse a 0-d tensor, even for dim 0)."""
    if x.ndim == 0:
        raise IndexError(f"{op}: expected a tensor with at least one dim, got a 0-d tensor")


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into pieces of `split_size` (the last may be smaller) or of the listed sizes."""
    _at_least_1d(tensor, "split")
    d = _norm_dim(dim, tensor.ndim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size < 0 or (size == 0 and n):
            raise ShapeError(f"split: split_size must be positive (0 only for a dim of size 0), got {size} for "
                             f"dim {dim} of size {n}")
        sizes = [builtins.min(size, n - s) for s in range(0, n, size)] if size else [0]
        sizes = sizes or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.any(s < 0 for s in sizes):
            raise ShapeError(f"split: section sizes must be >= 0, got {sizes}")
        if builtins.sum(sizes) != n:
            raise ShapeError(f"split: sections {sizes} sum to {builtins.sum(sizes)} but dim {dim} has size {n}")
    pieces = []
    start = 0
    for s in sizes:
        pieces.append(tensor[(slice(None),) * d + (slice(start, start + s),)])
        start += s
    return tuple(pieces)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into `chunks` pieces of equal size (the last may be smaller), as PyTorch does."""
    if chunks <= 0:
        raise ShapeError(f"chunk: chunks must be positive, got {chunks}")
    _at_least_1d(input, "chunk")
    n = input.shape[_norm_dim(dim, input.ndim, "chunk")]
    if n == 0:                            # PyTorch: `chunks` empty pieces
        return tuple(input[(slice(None),) * _norm_dim(dim, input.ndim, "chunk") + (slice(0, 0),)]
                     for _ in range(chunks))
    return split(input, -(-n // chunks), dim)


def pad(input: Any, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad, PyTorch's convention: `pad` lists (left, right) pairs starting from the last dim and going
    backwards; negative amounts crop (first, then the rest pads). Modes: 'constant' (`value`, 0 by default),
    and, for the last 1-3 dims of a batched or unbatched input, 'reflect' (mirrored without repeating the
    edge), 'replicate' (the edge repeated) and 'circular' (wrapped around)."""
    x = _t(input, "pad")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: unrecognised padding mode {mode!r}; expected one of {', '.join(_PAD_MODES)}")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ShapeError(f"pad: expected an even number of amounts covering at most {x.ndim} dims, "
                         f"got {len(pad)} for shape {x.shape}")
    for a in pad:
        if not is_int(a):
            raise TypeError(f"pad: the amounts must be ints, got {type(a).__name__} {a!r} in {tuple(pad)!r}")
    k = len(pad) // 2
    if mode != "constant":
        if value not in (None, 0):
            raise ValueError(f"pad: padding mode {mode!r} doesn't take a value argument (got {value!r})")
        if not (1 <= k <= 3 and x.ndim in (k + 1, k + 2)):
            raise NotImplementedError(f"pad: {mode!r} padding of {k} dims needs a {k + 1}-D or {k + 2}-D input, "
                                      f"got shape {x.shape}")
    pairs = [(0, 0)] * x.ndim
    for i in range(k):
        pairs[x.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    for d, ((lo, hi), n) in enumerate(zip(pairs, x.shape)):
        kept = n + builtins.min(lo, 0) + builtins.min(hi, 0)        # PyTorch crops first, then pads
        if kept < 0:
            raise ShapeError(f"pad: padding ({lo}, {hi}) of dim {d} (size {n}) crops {n - kept} elements; "
                             f"negative padding can crop at most the whole dim")
    if builtins.any(lo < 0 or hi < 0 for lo, hi in pairs):
        x = x[tuple(slice(-builtins.min(lo, 0), n + builtins.min(hi, 0))
                    for (lo, hi), n in zip(pairs, x.shape))]
        pairs = [(builtins.max(lo, 0), builtins.max(hi, 0)) for lo, hi in pairs]
    if builtins.all(p == (0, 0) for p in pairs):
        return ops.clone(x)              # new memory, as PyTorch's pad always returns
    if mode == "constant":
        return ops.pad(x, pairs=tuple(pairs), value=0.0 if value is None else value)
    for d, (lo, hi) in enumerate(pairs):
        if lo or hi:                     # each dim in turn: read its padded positions from the tensor
            x = x[(slice(None),) * d + (_pad_positions(mode, x.shape[d], lo, hi, d),)]
    return x


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_positions(mode: str, n: int, lo: int, hi: int, dim: int) -> np.ndarray:
    """Where each position of a dim of size n padded by (lo, hi) reads from. The padding is then an index
    into the tensor, so its gradient is indexing's: each element gets the sum of the gradients of its copies."""
    at = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(at, 0, n - 1)
    if mode == "reflect":
        if builtins.max(lo, hi) >= n:
            raise ShapeError(f"pad: reflect padding ({lo}, {hi}) of dim {dim} must be less than its size {n}")
        at = np.abs(at)                              # -1 -> 1: mirrored, the edge not repeated
        return np.where(at > n - 1, 2 * (n - 1) - at, at)
    if builtins.max(lo, hi) > n:
        raise ShapeError(f"pad: circular padding ({lo}, {hi}) of dim {dim} wraps around more than once "
                         f"(size {n})")
    return at % n


def _index_of(op: str, index: Any, dtypes: tuple) -> np.ndarray:
    """The index array of gather, scatter or index_select: a Tensor of one of the dtypes PyTorch takes there,
    or a NumPy array of any integer dtype (our convenience)."""
    idx = _array_arg(op, "index", index)
    if idx.dtype.kind not in "iu" or (isinstance(index, Tensor) and idx.dtype not in dtypes):
        names = " or ".join(np.dtype(d).name for d in dtypes)
        raise DTypeError(f"{op}: expected an index of dtype {names}, got {idx.dtype}")
    return idx


def _check_index_range(op: str, idx: np.ndarray, size: int, dim: int) -> None:
    """Index values must lie in [0, size): PyTorch's gather, scatter and index_select refuse negative ones
    (NumPy would wrap them around, reading from the end)."""
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = int(idx.min() if idx.min() < 0 else idx.max())
        raise IndexError(f"{op}: index {bad} is out of range for dim {dim} of size {size} "
                         f"(expected 0 <= index < {size})")


def gather(input: Tensor, dim: int, index: Any) -> Tensor:
    """out[i][j] = input[i][index[i][j]] for dim=1 (PyTorch's gather); repeats add their gradients."""
    input = _t(input, "gather")
    idx = _index_of("gather", index, (np.int64, np.int32))
    if idx.ndim != input.ndim:
        raise ShapeError(f"gather: index has {idx.ndim} dims but input has {input.ndim} (shape {input.shape})")
    d = _norm_dim(dim, input.ndim, "gather")
    for k in range(input.ndim):
        if k != d and idx.shape[k] > input.shape[k]:
            raise ShapeError(f"gather: index shape {idx.shape} is larger than input shape {input.shape} in "
                             f"dim {k}; expected index.size(d) <= input.size(d) for every d != dim")
    _check_index_range("gather", idx, input.shape[d] if input.ndim else 1, d)
    if input.ndim == 0:                   # a 0-d tensor and a 0-d index 0: the value itself
        return ops.clone(input)
    return ops.gather(input, index=idx, dim=d)


# ------------------------------------------------------------------ comparisons (no gradient)
def eq(input: Any, other: Any) -> Tensor:
    return _t(input, "eq") == other


def ne(input: Any, other: Any) -> Tensor:
    return _t(input, "ne") != other


def lt(input: Any, other: Any) -> Tensor:
    return _t(input, "lt") < other


def le(input: Any, other: Any) -> Tensor:
    return _t(input, "le") <= other


def gt(input: Any, other: Any) -> Tensor:
    return _t(input, "gt") > other


def ge(input: Any, other: Any) -> Tensor:
    return _t(input, "ge") >= other


def isnan(input: Any) -> Tensor:
    return wrap(np.isnan(_t(input, "isnan").data))


def isfinite(input: Any) -> Tensor:
    return wrap(np.isfinite(_t(input, "isfinite").data))


def isinf(input: Any) -> Tensor:
    return wrap(np.isinf(_t(input, "isinf").data))


def allclose(input: Any, other: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    return bool(np.allclose(np.asarray(input), np.asarray(other), rtol=rtol, atol=atol))


# ------------------------------------------------------------------ convolution and pooling
def _tuple(value: Any, n: int, name: str, op: str) -> tuple[int, ...]:
    """An int (the same for every spatial dim) or a sequence of n ints, as a tuple of n ints."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and len(value) == n and builtins.all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        return tuple(int(v) for v in value)
    raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")


def _positive(value: Any, n: int, name: str, op: str) -> tuple[int, ...]:
    t = _tuple(value, n, name, op)
    if builtins.any(v <= 0 for v in t):
        raise ShapeError(f"{op}: {name} must be positive, got {value!r}")
    return t


def _spatial_input(input: Any, nd: int, op: str) -> tuple[Tensor, bool]:
    """The input with a batch dim (added if the input is unbatched), and whether one was added."""
    x = _t(input, op)
    if x.ndim not in (nd + 1, nd + 2):
        raise ShapeError(f"{op}: expected a {nd + 1}D (unbatched) or {nd + 2}D (batched) input, "
                         f"got shape {x.shape}")
    if x.dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating point input, got dtype {x.dtype}")
    if builtins.any(n == 0 for n in x.shape[-nd - 1:]):
        raise ShapeError(f"{op}: expected a {nd + 1}D or {nd + 2}D input with non-zero sizes in every dim but "
                         f"the batch dim, got shape {x.shape}")
    return (x.unsqueeze(0), True) if x.ndim == nd + 1 else (x, False)


def _conv(op: str, nd: int, input: Any, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
          dilation: Any, groups: int) -> Tensor:
    x, unbatched = _spatial_input(input, nd, op)
    w = _t(weight, op)
    kernel_dims = ("kH", "kW") if nd == 2 else ("kL",) if nd == 1 else tuple(f"k{i}" for i in range(nd))
    if w.ndim != nd + 2:
        raise ShapeError(f"{op}: expected a {nd + 2}D weight (out_channels, in_channels/groups, "
                         f"{', '.join(kernel_dims)}), got shape {w.shape}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups <= 0:
        raise ShapeError(f"{op}: groups must be a positive integer, got {groups!r}")
    groups = int(groups)
    shown = tuple(_t(input, op).shape)
    c, o = x.shape[1], w.shape[0]
    if c % groups:
        raise ShapeError(f"{op}: input of shape {shown} has {c} channels, which is not divisible by "
                         f"groups={groups}")
    if w.shape[1] * groups != c:
        raise ShapeError(f"{op}: weight of shape {w.shape} expects {w.shape[1] * groups} input channels "
                         f"(weight.shape[1]={w.shape[1]} x groups={groups}), but the input of shape {shown} "
                         f"has {c}")
    if o % groups:
        raise ShapeError(f"{op}: weight of shape {w.shape} has {o} output channels, which is not divisible "
                         f"by groups={groups}")
    if bias is not None and _t(bias, op).shape != (o,):
        raise ShapeError(f"{op}: bias of shape {_t(bias).shape} does not match weight of shape {w.shape}; "
                         f"expected shape ({o},), one per output channel")
    _check_same_dtype(op, x, w, bias)
    stride_t = _positive(stride, nd, "stride", op)
    dilation_t = _positive(dilation, nd, "dilation", op)
    kernel = w.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pairs = ((0, 0),) * nd
        elif padding == "same":
            if builtins.any(s != 1 for s in stride_t):
                raise ShapeError(f"{op}: padding='same' is not supported for strided convolutions "
                                 f"(stride={stride!r})")
            # The output keeps the input's size; an odd total puts the extra zero after, as PyTorch.
            totals = [d * (k - 1) for d, k in zip(dilation_t, kernel)]
            pairs = tuple((t // 2, t - t // 2) for t in totals)
        else:
            raise ShapeError(f"{op}: invalid padding string {padding!r}, should be one of 'valid', 'same'")
    else:
        pad = _tuple(padding, nd, "padding", op)
        if builtins.any(p < 0 for p in pad):
            raise ShapeError(f"{op}: padding must be non-negative, got {padding!r}")
        pairs = tuple((p, p) for p in pad)
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pairs))
    reach = tuple(d * (k - 1) + 1 for d, k in zip(dilation_t, kernel))
    if builtins.any(r > p for r, p in zip(reach, padded)):
        raise ShapeError(f"{op}: the kernel (size {tuple(kernel)}, dilation {dilation_t}: it spans {reach}) is "
                         f"larger than the padded input {padded} (input of shape {shown}, padding {padding!r})")
    out = ops.conv(x, w, bias, stride=stride_t, padding=pairs, dilation=dilation_t, groups=groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution (PyTorch's cross-correlation) of (N, C, L) or (C, L) input with a weight of
    shape (out_channels, in_channels/groups, kL). padding: an int, a 1-tuple, 'valid' or 'same'."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (PyTorch's cross-correlation) of (N, C, H, W) or (C, H, W) input with a weight of
    shape (out_channels, in_channels/groups, kH, kW). stride, padding and dilation: an int or a pair;
    padding may also be 'valid' (none) or 'same' (the output keeps the input's size; stride 1 only)."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def _pool_settings(op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                   ceil_mode: bool) -> tuple[tuple[int, ...], ...]:
    """kernel, stride, padding, dilation as pairs, and the output size (PyTorch's formula and checks)."""
    kernel = _positive(kernel_size, 2, "kernel_size", op)
    stride_t = kernel if stride is None else _positive(stride, 2, "stride", op)
    dilation_t = _positive(dilation, 2, "dilation", op)
    pad = _tuple(padding, 2, "padding", op)
    if builtins.any(p < 0 or p > k // 2 for p, k in zip(pad, kernel)):
        raise ShapeError(f"{op}: padding should be at most half of the kernel size, but got padding={padding!r} "
                         f"for kernel_size={kernel_size!r}")
    size = []
    for n, k, s, p, d in zip(x.shape[2:], kernel, stride_t, pad, dilation_t):
        span = n + 2 * p - d * (k - 1) - 1
        o = (span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= n + p:   # the last window must start inside the input or left padding
            o -= 1
        size.append(o)
    if builtins.any(o < 1 for o in size):
        raise ShapeError(f"{op}: input of shape {x.shape} is too small for kernel_size={kernel_size!r}, "
                         f"stride={stride!r}, padding={padding!r}, dilation={dilation!r}: the output would have "
                         f"size {tuple(size)}")
    return kernel, stride_t, pad, dilation_t, tuple(size)


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The maximum of each kernel_size window (stride defaults to kernel_size; padding counts as -inf).
    The gradient goes to the window's arg-max (the first one on ties). With return_indices, also the
    positions of the maxima, flattened within each (H, W) plane, as PyTorch returns them."""
    x, unbatched = _spatial_input(input, 2, "max_pool2d")
    kernel, stride_t, pad, dilation_t, size = _pool_settings("max_pool2d", x, kernel_size, stride, padding,
                                                             dilation, ceil_mode)
    argmax = conv_kernels.max_pool_argmax(x.data, kernel, stride_t, pad, dilation_t, size)
    index = argmax.indices() if return_indices else None
    out = ops.max_pool(x, argmax=argmax)
    indices = wrap(np.ascontiguousarray(index[0] if unbatched else index)) if return_indices else None
    if unbatched:
        out = out.squeeze(0)
    return (out, indices) if return_indices else out


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """The mean of each kernel_size window (stride defaults to kernel_size). Zero padding counts in the
    divisor unless count_include_pad=False; divisor_override replaces the divisor."""
    x, unbatched = _spatial_input(input, 2, "avg_pool2d")
    kernel, stride_t, pad, _, size = _pool_settings("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    # PyTorch's windows along each dim: [start, start + k) clipped to the padded input (with ceil_mode the
    # last one may reach past it), and the part of it inside the input.
    starts = [np.arange(o) * s - p for o, s, p in zip(size, stride_t, pad)]
    ends = [np.minimum(a + k, n + p) for a, k, n, p in zip(starts, kernel, x.shape[2:], pad)]
    beyond = [builtins.max(int(a[-1]) + k - n - p, 0) for a, k, n, p in zip(starts, kernel, x.shape[2:], pad)]
    inside = [np.minimum(e, n) - np.maximum(a, 0) for a, e, n in zip(starts, ends, x.shape[2:])]
    if builtins.any(beyond):                  # ceil_mode's last windows: zeros beyond the padded input
        x = ops.pad(x, pairs=((0, 0), (0, 0), *((0, b) for b in beyond)), value=0.0)
    if divisor_override is not None:
        if divisor_override == 0:
            raise ShapeError("avg_pool2d: divisor_override must be non-zero")
        divisor: Any = divisor_override
    elif count_include_pad:
        counts = [e - a for a, e in zip(starts, ends)]
        divisor = math.prod(kernel) if not builtins.any(beyond) else np.multiply.outer(*counts).astype(x.dtype)
    else:                                     # per output position: its window's elements in the input
        divisor = np.multiply.outer(*inside).astype(x.dtype)
    out = ops.avg_pool(x, kernel=kernel, stride=stride_t, padding=pad, divisor=divisor)
    return out.squeeze(0) if unbatched else out


def _adaptive_mean(x: Tensor, dim: int, cells: int) -> Tensor:
    """Average dim `dim` down to `cells` cells; cell i spans [floor(i n / cells), ceil((i + 1) n / cells))."""
    n = x.shape[dim]
    if n % cells == 0:                      # equal, disjoint cells: one reshape and a mean
        return x.reshape(x.shape[:dim] + (cells, n // cells) + x.shape[dim + 1:]).mean(dim + 1)
    parts = []
    for i in range(cells):
        start, end = (i * n) // cells, -(-((i + 1) * n) // cells)
        parts.append(x[(slice(None),) * dim + (slice(start, end),)].mean(dim, keepdim=True))
    return cat(parts, dim)


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size (oH, oW), whatever the input's size; None keeps that dim.
    A rectangle's mean is the mean over rows of the means over columns, so each dim is done in turn."""
    x, unbatched = _spatial_input(input, 2, "adaptive_avg_pool2d")
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(sizes) != 2:
        raise TypeError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size!r}")
    sizes = tuple(x.shape[2 + i] if s is None else s for i, s in enumerate(sizes))
    if builtins.any(s < 0 for s in _tuple(sizes, 2, "output_size", "adaptive_avg_pool2d")):
        raise ShapeError(f"adaptive_avg_pool2d: output_size must be >= 0, got {output_size!r}")
    if 0 in sizes:                        # an empty output, as PyTorch's (its gradient is 0)
        out = (x[:, :, :1, :1] * 0).expand(x.shape[0], x.shape[1], *sizes)
        return out.squeeze(0) if unbatched else out
    out = _adaptive_mean(_adaptive_mean(x, 2, sizes[0]), 3, sizes[1])
    return out.squeeze(0) if unbatched else out


def fused_lstm_cell(input_gates: Any, hidden_gates: Any, cx: Any) -> tuple[Tensor, Tensor]:
    """One LSTM step after its two products, as one op (PyTorch's `_thnn_fused_lstm_cell`):
    input_gates = x W_ih^T + b_ih and hidden_gates = h W_hh^T + b_hh, each (B, 4H) in gate order
    i, f, g, o; cx the cell state (B, H). Returns (h', c'). The derivation is in `ops.py`."""
    ig, hg, c = _t(input_gates, "fused_lstm_cell"), _t(hidden_gates, "fused_lstm_cell"), _t(cx, "fused_lstm_cell")
    hidden = c.shape[-1] if c.ndim else 0
    for name, t in (("input_gates", ig), ("hidden_gates", hg)):
        if t.ndim < 1 or t.shape[-1] != 4 * hidden:
            raise ShapeError(f"fused_lstm_cell: {name} of shape {t.shape} should have 4 * {hidden} = {4 * hidden} "
                             f"gates in its last dim, for the cell state of shape {c.shape}")
    if ig.shape[:-1] != c.shape[:-1] or hg.shape[:-1] != c.shape[:-1]:
        raise ShapeError(f"fused_lstm_cell: input_gates {ig.shape}, hidden_gates {hg.shape} and cx {c.shape} "
                         f"should have the same leading (batch) dims")
    out = ops.lstm_cell(ig, hg, c)
    return out[0], out[1]


# ------------------------------------------------------------------ more of PyTorch's tensor ops
SortResult = namedtuple("SortResult", ["values", "indices"])     # torch.return_types.sort / topk


def _dims_tuple(dims: Any, ndim: int, op: str) -> tuple[int, ...]:
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    return tuple(_norm_dim(int(d), ndim, op) for d in dims)


def flip(input: Any, dims: Any) -> Tensor:
    """Reverse the order of elements along `dims` (an int or a tuple)."""
    x = _t(input, "flip")
    dims_t = _dims_tuple(dims, x.ndim, "flip")
    _no_repeats("flip", dims_t, dims)
    return ops.flip(x, dims=dims_t) if x.ndim else ops.clone(x)


def roll(input: Any, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements along `dims` by `shifts`, wrapping around; without dims, over the flattened tensor."""
    x = _t(input, "roll")
    if dims is None:
        if isinstance(shifts, (tuple, list)) and len(shifts) == 1:
            shifts = shifts[0]
        if not isinstance(shifts, (int, np.integer)):
            raise ShapeError(f"roll: without dims, shifts must be one int, got {shifts!r}")
        return ops.roll(x, shifts=int(shifts), dims=None)
    _at_least_1d(x, "roll")
    dims_t = _dims_tuple(dims, x.ndim, "roll")
    shifts_t = (int(shifts),) if isinstance(shifts, (int, np.integer)) else tuple(int(s) for s in shifts)
    if len(shifts_t) != len(dims_t):
        raise ShapeError(f"roll: got {len(shifts_t)} shifts for {len(dims_t)} dims ({shifts!r}, {dims!r})")
    return ops.roll(x, shifts=shifts_t, dims=dims_t)


def cumsum(input: Any, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative sum along `dim` (bools and integers in int64, as PyTorch's; `dtype` converts first)."""
    x = _t(input, "cumsum") if dtype is None else _t(input, "cumsum").to(dtype)
    d = _norm_dim(dim, x.ndim, "cumsum")
    if not x.ndim:
        return ops.cumsum(x.reshape(1), dim=0).reshape(())
    return ops.cumsum(x, dim=d)


def tril(input: Any, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (the rest set to 0); `diagonal` > 0 keeps more."""
    x = _t(input, "tril")
    if x.ndim < 2:
        raise ShapeError(f"tril: expected a tensor with at least 2 dims, got shape {x.shape}")
    return ops.tril(x, diagonal=int(diagonal))


def triu(input: Any, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (the rest set to 0); `diagonal` > 0 keeps less."""
    x = _t(input, "triu")
    if x.ndim < 2:
        raise ShapeError(f"triu: expected a tensor with at least 2 dims, got shape {x.shape}")
    return ops.triu(x, diagonal=int(diagonal))


def _bool_mask(op: str, mask: Any, shape: tuple[int, ...]) -> np.ndarray:
    """`mask` as a bool array broadcast to `shape` (from a copy: the graph keeps it)."""
    m = np.array(_array_arg(op, "mask", mask))
    if m.dtype != np.bool_:
        raise DTypeError(f"{op}: expected a bool mask, got dtype {m.dtype}")
    try:
        return np.broadcast_to(m, shape)
    except ValueError:
        raise ShapeError(f"{op}: a mask of shape {m.shape} does not broadcast to the tensor's shape {shape}") from None


def masked_fill(input: Any, mask: Any, value: Any) -> Tensor:
    """`value` where the (broadcast) bool `mask` is True, else the input: where(mask, value, input).
    The result keeps the input's dtype; a Tensor value (0-d) gets its gradient."""
    x = _t(input, "masked_fill")
    m_shape = np.shape(mask.data if isinstance(mask, Tensor) else mask)
    both = _broadcast_shape(x.shape, m_shape)
    if both is not None and both != x.shape:
        x = x.expand(*both)                                      # out of place, the input broadcasts too
    m = _bool_mask("masked_fill", mask, x.shape)
    if isinstance(value, Tensor):
        if value.ndim:
            raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}")
        fill = value.to(x.dtype)
    else:
        _check_number("masked_fill", value)
        fill = np.asarray(value, dtype=x.dtype)
    return ops.where(m, fill, x)


def index_select(input: Any, dim: int, index: Any) -> Tensor:
    """The entries at `index` (a 1-D integer tensor) along `dim`; repeated indices add their gradients."""
    x = _t(input, "index_select")
    idx = _index_of("index_select", index, (np.int64, np.int32))
    if idx.ndim > 1:
        raise ShapeError(f"index_select: index must be a 1-D tensor (or 0-d), got shape {idx.shape}")
    d = _norm_dim(dim, x.ndim, "index_select")
    flat = idx.reshape(-1)
    _check_index_range("index_select", flat, x.shape[d] if x.ndim else 1, d)
    if x.ndim == 0:
        return x.reshape(1)[flat].reshape(())                # (PyTorch: a 0-d input gives a 0-d result)
    return x[(slice(None),) * d + (flat,)]


def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    """The p-norm over `dim` (all elements by default): 2 / 'fro' (the default), 1, inf, -inf, or any
    other p > 0 as (sum |x|^p)^(1/p). The 2-norm's gradient is 0 where the norm is 0, as in PyTorch."""
    x = _t(input, "norm")
    if x.dtype.kind != "f":
        raise DTypeError(f"norm: expected a floating point tensor, got dtype {x.dtype}")
    axes = None if dim is None else _dims_tuple(dim, x.ndim, "norm")
    if x.ndim == 0:
        axes = None                       # dim 0 or -1 of a 0-d tensor: the tensor itself
    if p in ("fro", 2, 2.0, None):
        return ops.norm2(x, dim=axes, keepdim=keepdim)
    if p == 1:
        return x.abs().sum(axes, keepdim)
    if p == math.inf:
        return x.abs().amax(axes, keepdim)
    if p == -math.inf:
        return x.abs().amin(axes, keepdim)
    if p == 0:                            # how many entries are not 0 (a gradient of 0, through sign)
        return x.abs().sign().sum(axes, keepdim)
    if isinstance(p, (int, float)):       # any other p, negative ones too, as PyTorch's vector_norm
        return ops.normp(x, p=float(p), dim=axes, keepdim=keepdim)
    raise ValueError(f"norm: p must be 'fro', inf, -inf or a number, got {p!r}")


def _order(a: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """Indices that sort `a` along `dim`, stably (ties keep their order). As PyTorch: NaN counts as the
    largest value (last ascending, first descending)."""
    if not descending:
        return np.argsort(a, axis=dim, kind="stable")
    if a.dtype.kind == "f":
        order = np.argsort(-a, axis=dim, kind="stable")                     # NaN last...
        nan_first = np.argsort(~np.isnan(np.take_along_axis(a, order, axis=dim)), axis=dim, kind="stable")
        return np.take_along_axis(order, nan_first, axis=dim)              # ...then first
    return np.argsort(~a, axis=dim, kind="stable")                          # ~x: decreasing, no overflow


def sort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> SortResult:
    """(values, indices) sorted along `dim`; the values' gradient goes back to where each came from.
    The sort is always stable (`stable` is accepted for PyTorch's signature)."""
    x = _t(input, "sort")
    d = _norm_dim(dim, x.ndim, "sort")
    if x.ndim == 0:
        return SortResult(ops.clone(x), wrap(np.zeros((), dtype=np.int64)))
    idx = _order(x.data, d, descending).astype(np.int64)
    return SortResult(ops.gather(x, index=idx, dim=d), wrap(idx))


def argsort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    return sort(input, dim, descending, stable).indices


def topk(input: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> SortResult:  # noqa: A002
    """The k largest (or smallest) entries along `dim` and their indices, largest first."""
    x = _t(input, "topk")
    if x.dtype == np.bool_:
        raise DTypeError("topk: does not support bool input (as PyTorch's); convert it with .long()")
    d = _norm_dim(dim, x.ndim, "topk")
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise ShapeError(f"topk: k={k} is out of range for dim {dim} of size {n}")
    if x.ndim == 0:
        return sort(x)
    idx = np.take(_order(x.data, d, largest), np.arange(k), axis=d).astype(np.int64)
    return SortResult(ops.gather(x, index=idx, dim=d), wrap(idx))


def any(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether any entry (along `dim`) is nonzero: a bool tensor, outside the graph."""
    x = _t(input, "any")
    dims = None if dim is None else _dims_tuple(dim, x.ndim, "any")
    out = np.any(x.data, axis=dims if x.ndim else None, keepdims=keepdim)      # (0-d: dim 0 or -1 is all)
    return wrap(np.asarray(out, dtype=np.uint8 if x.dtype == np.uint8 else bool))   # uint8 in, uint8 out (PyTorch)


def all(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether every entry (along `dim`) is nonzero: a bool tensor, outside the graph."""
    x = _t(input, "all")
    dims = None if dim is None else _dims_tuple(dim, x.ndim, "all")
    out = np.all(x.data, axis=dims if x.ndim else None, keepdims=keepdim)      # (0-d: dim 0 or -1 is all)
    return wrap(np.asarray(out, dtype=np.uint8 if x.dtype == np.uint8 else bool))   # uint8 in, uint8 out (PyTorch)


def bmm(input: Any, mat2: Any) -> Tensor:
    """Batched matrix product of (B, n, m) and (B, m, p): matmul, with PyTorch's check of the dims."""
    a, b = _t(input, "bmm"), _t(mat2, "bmm")
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise ShapeError(f"bmm: expected two 3-D tensors with the same batch size, got {a.shape} and {b.shape}")
    _check_same_dtype("bmm", a, b)
    if a.dtype == np.bool_:
        raise DTypeError("bmm: not supported for bool tensors (as in PyTorch); convert them with .float()")
    return a.matmul(b)


def unbind(input: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along `dim`, as a tuple of tensors with that dim removed."""
    x = _t(input, "unbind")
    _at_least_1d(x, "unbind")
    d = _norm_dim(dim, x.ndim, "unbind")
    return tuple(x[(slice(None),) * d + (i,)] for i in range(x.shape[d]))


def narrow(input: Any, dim: int, start: int, length: int) -> Tensor:
    """`length` entries along `dim` from `start` (negative start counts from the end): a view."""
    x = _t(input, "narrow")
    _at_least_1d(x, "narrow")
    d = _norm_dim(dim, x.ndim, "narrow")
    n = x.shape[d]
    s = start + n if start < 0 else start
    if not (0 <= s <= n and 0 <= length and s + length <= n):
        raise ShapeError(f"narrow: start {start} and length {length} do not fit in dim {dim} of size {n}")
    return x[(slice(None),) * d + (slice(s, s + length),)]


def repeat(input: Any, *sizes: Any) -> Tensor:
    """Tile the tensor sizes[i] times along each dim (PyTorch's `repeat`, NumPy's `tile`)."""
    x = _t(input, "repeat")
    reps = tuple(int(s) for s in (sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes))
    if len(reps) < x.ndim:
        raise ShapeError(f"repeat: got {len(reps)} sizes for a tensor with {x.ndim} dims; expected at least {x.ndim}")
    if builtins.any(r < 0 for r in reps):
        raise ShapeError(f"repeat: sizes must be >= 0, got {reps}")
    shape = (1,) * (len(reps) - x.ndim) + x.shape
    check_allocation("repeat", tuple(r * n for r, n in zip(reps, shape)), x.dtype)
    return ops.repeat(x, sizes=reps)


def log1p(input: Any) -> Tensor:
    return ops.log1p(_t(input, "log1p"))


def expm1(input: Any) -> Tensor:
    return ops.expm1(_t(input, "expm1"))


def reciprocal(input: Any) -> Tensor:
    return ops.reciprocal(_t(input, "reciprocal"))


def rsqrt(input: Any) -> Tensor:
    return ops.rsqrt(_t(input, "rsqrt"))


def floor(input: Any) -> Tensor:
    return ops.floor(_t(input, "floor"))


def ceil(input: Any) -> Tensor:
    return ops.ceil(_t(input, "ceil"))


def trunc(input: Any) -> Tensor:
    return ops.trunc(_t(input, "trunc"))


def round(input: Any, *, decimals: int = 0) -> Tensor:  # noqa: A001
    """Round half to even (as PyTorch and NumPy), to `decimals` places."""
    return ops.round(_t(input, "round"), decimals=int(decimals))


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, as torch.einsum: einsum('ij,jk->ik', a, b) is a @ b; without '->' the output
    is the indices used once, in alphabetical order. Differentiable in every operand. (Not supported:
    '...' and an index repeated within one operand, such as 'ii->i'; they raise.)"""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    xs = [_t(x, "einsum") for x in operands]
    if not isinstance(equation, str) or "." in equation:
        raise ShapeError(f"einsum: '...' (ellipsis) is not supported, got {equation!r}")
    inputs, output = forwards.einsum_parts(equation)
    if len(inputs) != len(xs):
        raise ShapeError(f"einsum: {equation!r} names {len(inputs)} operands, got {len(xs)}")
    sizes: dict[str, int] = {}
    for sub, x in zip(inputs, xs):
        if len(set(sub)) != len(sub):
            raise ShapeError(f"einsum: an index repeated within one operand ({sub!r}, a diagonal) is not supported")
        if len(sub) != x.ndim:
            raise ShapeError(f"einsum: subscripts {sub!r} name {len(sub)} dims for an operand of shape {x.shape}")
        for c, n in zip(sub, x.shape):
            if sizes.setdefault(c, n) != n and 1 in (sizes[c], n):      # size 1 broadcasts, as PyTorch's
                sizes[c] = builtins.max(sizes[c], n)
            elif sizes[c] != n:
                raise ShapeError(f"einsum: index {c!r} has size {sizes[c]} in one operand and {n} in another "
                                 f"({equation!r}, shapes {[x.shape for x in xs]})")
    if builtins.any(c not in sizes for c in output) or len(set(output)) != len(output):
        raise ShapeError(f"einsum: output subscripts {output!r} must be distinct and appear in the inputs")
    _check_same_dtype("einsum", *xs)
    return ops.einsum(*xs, equation=equation.replace(" ", "") if "->" in equation else ",".join(inputs) + "->" + output)


def _scatter_args(op: str, x: Tensor, dim: int, index: Any, src: Any) -> tuple[int, np.ndarray, Any]:
    """Check scatter's arguments as PyTorch does; return the dim, the index array, and src cut to the
    index's shape (src[i][j] is written where index[i][j] points)."""
    idx = _index_of(op, index, (np.int64, np.int32))
    if idx.ndim != x.ndim:
        raise ShapeError(f"{op}: index has {idx.ndim} dims but the tensor has {x.ndim} (shape {x.shape})")
    d = _norm_dim(dim, x.ndim, op)
    src_shape = src.shape if isinstance(src, Tensor) else None
    for k in range(x.ndim):
        if (k != d and idx.shape[k] > x.shape[k]) or (src_shape is not None and idx.shape[k] > src_shape[k]):
            raise ShapeError(f"{op}: index of shape {idx.shape} is larger than the tensor {x.shape} (other than "
                             f"in dim {d}) or than src {src_shape}")
    _check_index_range(op, idx, x.shape[d] if x.ndim else 1, d)
    if isinstance(src, Tensor):
        if src.dtype != x.dtype:
            raise DTypeError(f"{op}: expected src of the tensor's dtype {x.dtype}, got {src.dtype} (PyTorch does not "
                             f"convert it either); convert it with .to({x.dtype})")
        src = src[tuple(slice(0, n) for n in idx.shape)] if src.shape != idx.shape else src
    return d, idx.copy(), src


def _scalar_as_1d(src: Any) -> Any:
    return src.reshape(1) if isinstance(src, Tensor) and src.ndim == 0 else src


def scatter(input: Any, dim: int, index: Any, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """A copy of input with src[i][j] (or `value`) written at [i][index[i][j]] for dim=1 (PyTorch's
    scatter); src gets the gradient of the places it was written to, input that of the others.
    reduce='add' adds instead of writing (as scatter_add), 'multiply' multiplies (not differentiable)."""
    x = _t(input, "scatter")
    if reduce is not None:
        return _scatter_reduce(x, dim, index, value if src is None else src, reduce)
    if x.ndim == 0:                   # as a vector of one, and back (PyTorch takes 0-d tensors here)
        return scatter(x.reshape(1), dim, _t(index, "scatter").reshape(1), _scalar_as_1d(src), value=value).reshape(())
    d, idx, src = _scatter_args("scatter", x, dim, index, value if src is None else src)
    return ops.index_put(x, src, index=forwards.gather_index(idx, d))


def _scatter_reduce(x: Tensor, dim: int, index: Any, src: Any, reduce: str) -> Tensor:
    """PyTorch's older scatter(..., reduce=): deprecated there (with this warning) in favour of scatter_reduce."""
    if reduce not in ("add", "multiply"):
        raise ValueError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
    if isinstance(src, Tensor):
        warnings.warn("The reduce argument of scatter with Tensor src is deprecated (as in PyTorch); use "
                      "scatter_add", UserWarning, stacklevel=3)
    if not isinstance(src, Tensor):
        _check_number("scatter", src)
        src = wrap(np.full(np.shape(index.data if isinstance(index, Tensor) else index), src, dtype=x.dtype))
    if reduce == "add":
        return scatter_add(x, dim, index, src)
    if x.requires_grad or src.requires_grad:
        raise RuntimeError("scatter: reduce='multiply' is not differentiable (as in PyTorch); use it under "
                           "no_grad()")
    d, idx, s = _scatter_args("scatter", x, dim, index, src)
    out = x.data.copy()
    np.multiply.at(out, forwards.gather_index(idx, d), s.data)
    return wrap(out)


def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Tensor:
    """input with src[i][j] added at [i][index[i][j]] for dim=1; repeated indices add up (PyTorch's)."""
    x = _t(input, "scatter_add")
    if x.ndim == 0:
        return scatter_add(x.reshape(1), dim, _t(index, "scatter_add").reshape(1), _scalar_as_1d(src)).reshape(())
    d, idx, src = _scatter_args("scatter_add", x, dim, index, _t(src, "scatter_add"))
    return x + ops.gather_backward(src, index=idx, dim=d, shape=x.shape)
