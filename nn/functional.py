"""nn.functional: the stateless forms of layers, activations and losses (PyTorch's torch.nn.functional).

Everything here is composed from autograd_lite's public operations, so every derivative comes from the
engine's table; nothing here needs a backward of its own. Modules in `layers.py`/`loss.py` hold
parameters and settings and call these functions.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import autograd_lite as al

Tensor = al.Tensor
_REDUCTIONS = ("mean", "sum", "none")


# ------------------------------------------------------------------ layers
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b with W of shape (out_features, in_features), PyTorch's layout."""
    return al.linear(input, weight, bias)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution of (N, C, L) or (C, L) input; weight (out_channels, in_channels/groups, kL)."""
    return al.conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution of (N, C, H, W) or (C, H, W) input; weight (out_channels, in_channels/groups, kH, kW)."""
    return al.conv2d(input, weight, bias, stride, padding, dilation, groups)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The maximum of each window; with return_indices, also where it was (flat within each plane)."""
    return al.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """The mean of each window (ceil_mode=False only)."""
    return al.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size, whatever the input size (PyTorch's cell boundaries)."""
    return al.adaptive_avg_pool2d(input, output_size)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
            generator: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p) while
    training, so the expected activation is unchanged and evaluation needs no rescaling."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = al.rand(*input.shape, generator=generator, dtype=np.float64) >= p
    return input * al.tensor(keep.data.astype(input.dtype) / input.dtype.type(1.0 - p))


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float | None = 0.1, eps: float = 1e-5,
               num_batches_tracked: Tensor | None = None) -> Tensor:
    """Normalise each channel (dim 1) by the batch statistics while training, by the running ones in eval.

    x_hat = (x - mean) / sqrt(var + eps), y = weight * x_hat + bias, with the biased batch variance;
    the running variance is updated with the unbiased one, as in PyTorch.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input with at least 2 dims (N, C, ...), got shape {input.shape}")
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    if training:
        n = input.numel() // input.shape[1]
        if n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input "
                             f"of shape {input.shape}")
        mean = input.mean(dim=axes, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dim=axes, keepdim=True)
        if running_mean is not None and running_var is not None:
            if momentum is None:            # a cumulative moving average, as in PyTorch
                count = float(num_batches_tracked.item()) if num_batches_tracked is not None else 1.0
                factor = 1.0 / count
            else:
                factor = momentum
            with al.no_grad():
                bm = mean.detach().reshape(-1)
                bv = var.detach().reshape(-1) * (n / (n - 1))
                running_mean.mul_(1 - factor).add_(bm.to(running_mean.dtype) * factor)
                running_var.mul_(1 - factor).add_(bv.to(running_var.dtype) * factor)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when training=False")
        mean = running_mean.reshape(shape)
        var = running_var.reshape(shape)
        centered = input - mean
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input: Tensor, normalized_shape: tuple[int, ...] | list[int] | int,
               weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last len(normalized_shape) dims of each sample (biased variance)."""
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(ns):]) != ns:
        raise ValueError(f"layer_norm: normalized_shape {ns} does not match the last dims of the input "
                         f"shape {input.shape}")
    axes = tuple(range(input.ndim - len(ns), input.ndim))
    mean = input.mean(dim=axes, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dim=axes, keepdim=True)
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of `weight` picked by integer indices; the row at `padding_idx` gets no gradient."""
    idx = input.data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: expected integer indices (int64), got dtype {idx.dtype}")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"embedding: index {int(idx.max() if idx.max() >= n else idx.min())} is out of range "
                         f"for {n} embeddings")
    rows = weight[idx]
    if padding_idx is not None:
        # Padding positions read their row from a detached copy: the value is used, no gradient reaches
        # it. Masking the gathered rows (not the whole table) keeps the cost proportional to the batch.
        is_pad = (idx == padding_idx % n)[..., None]
        rows = al.where(is_pad, weight.detach()[idx], rows)
    return rows


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return input.flatten(start_dim, end_dim)


# ------------------------------------------------------------------ activations
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); with `inplace=True` written into the input (which must not be a leaf requiring grad)."""
    return input.relu_() if inplace else al.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return al.leaky_relu(input, negative_slope)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Leaky ReLU with a learnable slope: one per channel (dim 1) or a single shared one."""
    if weight.numel() != 1:
        if input.ndim < 2 or input.shape[1] != weight.numel():
            channels = input.shape[1] if input.ndim > 1 else 1
            raise ValueError(f"prelu: {weight.numel()} slopes do not match the {channels} channels (dim 1) "
                             f"of an input of shape {input.shape}")
        weight = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    return al.where((input > 0).data, input, weight * input)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return al.elu(input, alpha)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return al.softplus(input, beta, threshold)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish). `inplace` is accepted and computed out of place."""
    return input * input.sigmoid()


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p along dim, eps): unit vectors along `dim` (PyTorch's F.normalize)."""
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along `dim`, the inputs broadcast together."""
    n1 = x1.norm(2, dim, keepdim=True).clamp(min=eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(..., num_classes) int64 indicators of the class indices in `tensor` (num_classes=-1: max + 1)."""
    idx = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise al.DTypeError(f"one_hot: expected integer class indices (int64), got dtype {idx.dtype}")
    if idx.size and idx.min() < 0:
        raise ValueError(f"one_hot: class indices must be >= 0, got {int(idx.min())}")
    n = int(idx.max()) + 1 if num_classes == -1 and idx.size else int(num_classes)
    if idx.size and int(idx.max()) >= n:
        raise ValueError(f"one_hot: class index {int(idx.max())} is out of range for num_classes={n}")
    return al.from_numpy((idx[..., None] == np.arange(max(n, 0))).astype(np.int64))


pad = al.pad    # PyTorch's F.pad: (left, right) pairs from the last dim backwards


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), the Gaussian CDF computed with erf ('none', PyTorch's default) or tanh ('tanh')."""
    if approximate == "none":
        return input * 0.5 * (1.0 + (input * (1.0 / math.sqrt(2.0))).erf())
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1.0 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def sigmoid(input: Tensor) -> Tensor:
    return al.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return al.tanh(input)


def _softmax_dim(input: Tensor, dim: int | None, name: str) -> int:
    if dim is not None:
        return dim
    # PyTorch's deprecated implicit choice, with its warning: dim 0 for 0-, 1- and 3-d inputs, else 1.
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  f"as an argument.", UserWarning, stacklevel=3)
    return 0 if input.ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """softmax along `dim`; with `dtype`, the input is converted first (as PyTorch's)."""
    x = input if dtype is None else input.to(dtype)
    return al.softmax(x, _softmax_dim(x, dim, "softmax"))


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    x = input if dtype is None else input.to(dtype)
    return al.log_softmax(x, _softmax_dim(x, dim, "log_softmax"))


# ------------------------------------------------------------------ losses
def _check_reduction(reduction: str, where: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{where}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _same_shape(input: Tensor, target: Any, where: str) -> Tensor:
    """Regression losses compare elementwise: a target of another shape would broadcast silently
    ((N, 1) against (N,) makes an N x N matrix), so it is an error here."""
    t = target if isinstance(target, Tensor) else al.tensor(np.asarray(target), dtype=input.dtype)
    if t.shape != input.shape:
        raise ValueError(f"{where}: target shape {t.shape} differs from input shape {input.shape}; "
                         f"they must match (reshape one of them, e.g. target.reshape(input.shape))")
    if t.dtype.kind != "f":
        raise TypeError(f"{where}: expected a floating point target, got dtype {t.dtype}; use target.float()")
    return t


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    _check_reduction(reduction, "mse_loss")
    d = input - _same_shape(input, target, "mse_loss")
    return _reduce(d * d, reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    _check_reduction(reduction, "l1_loss")
    return _reduce((input - _same_shape(input, target, "l1_loss")).abs(), reduction)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta): quadratic near 0, linear far away."""
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = input - _same_shape(input, target, "huber_loss")
    a = d.abs()
    loss = al.where((a < delta).data, 0.5 * d * d, delta * (a - 0.5 * delta))
    return _reduce(loss, reduction)


def smooth_l1_loss(input: Tensor, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (Huber divided by beta); beta=0 is L1."""
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = input - _same_shape(input, target, "smooth_l1_loss")
    a = d.abs()
    if beta == 0:
        return _reduce(a, reduction)
    loss = al.where((a < beta).data, 0.5 * d * d / beta, a - 0.5 * beta)
    return _reduce(loss, reduction)


def _class_target(input: Tensor, target: Any, where: str) -> np.ndarray:
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{where}: expected class indices of dtype int64 with shape "
                        f"{input.shape[:1] + input.shape[2:]}, got dtype {t.dtype} with shape {t.shape}")
    return t


def nll_loss(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """-input[i, target_i] (log-probabilities in, class indices as target), weighted per class."""
    _check_reduction(reduction, "nll_loss")
    return al.nll_loss(input, _class_target(input, target, "nll_loss"), weight=weight,
                       ignore_index=ignore_index, reduction=reduction)


def cross_entropy(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits, computed stably as nll_loss(log_softmax(input)).

    `target` holds class indices (int64, shape of input without dim 1) or class probabilities (float,
    same shape as input). `label_smoothing` mixes the target with the uniform distribution, as in PyTorch.
    """
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    logp = input.log_softmax(class_dim)
    n_classes = input.shape[class_dim]
    w = None if weight is None else (weight.data if isinstance(weight, Tensor) else np.asarray(weight))
    t = target.data if isinstance(target, Tensor) else np.asarray(target)

    index_shape = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if t.dtype.kind == "f" and t.shape == index_shape and t.shape != input.shape:
        raise TypeError(f"cross_entropy: expected class indices (int64) of shape {index_shape}, got dtype "
                        f"{t.dtype}; convert the labels with .long() (float targets are read as class "
                        f"probabilities and need the input's shape {input.shape})")
    if t.dtype.kind == "f":                      # class probabilities
        if t.shape != input.shape:
            raise ValueError(f"cross_entropy: probability targets must have the input's shape {input.shape}, "
                             f"got {t.shape}; for class indices use an int64 target")
        probs = t.astype(input.dtype, copy=False)
        if label_smoothing > 0:
            probs = probs * (1 - label_smoothing) + label_smoothing / n_classes
        terms = logp * probs
        if w is not None:
            terms = terms * w.reshape((-1,) + (1,) * (input.ndim - 2)).astype(input.dtype)
        loss = -terms.sum(class_dim)
        if reduction == "mean":
            return loss.sum() / (loss.numel() if input.ndim > 1 else 1)
        return _reduce(loss, reduction)

    if t.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: expected class indices (int64) of shape "
                        f"{input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()} or class "
                        f"probabilities (float) of shape {input.shape}, got dtype {t.dtype}")
    if t.shape != index_shape:
        raise ValueError(f"cross_entropy: input of shape {input.shape} needs class indices of shape {index_shape} "
                         f"(the input's shape without the class dim), got {t.shape}")
    nll = al.nll_loss(logp, t, weight=w, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return nll
    # PyTorch's smoothing term: the (weighted) sum of -logp over classes, ignored targets excluded.
    if input.ndim == 1:
        logp, t = logp.unsqueeze(0), t.reshape(1)
    wshape = (1, n_classes) + (1,) * (logp.ndim - 2)
    weighted = logp if w is None else logp * w.reshape(wshape).astype(input.dtype)
    keep = (t != ignore_index)
    smooth = -(weighted.sum(1)) * keep.astype(input.dtype)
    if reduction == "mean":
        if w is None:
            denom = float(keep.sum())
        else:
            denom = float(w[np.where(keep, t, 0)][keep].sum())
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    elif input.ndim == 1:
        smooth = smooth.reshape(())
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:
    """-(y log p + (1-y) log(1-p)) for probabilities p in [0, 1]; logs are clamped at -100 like PyTorch."""
    _check_reduction(reduction, "binary_cross_entropy")
    t = _same_shape(input, target, "binary_cross_entropy")
    loss = al.binary_cross_entropy(input, t)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """BCE of sigmoid(x), computed without overflow for large |x|: (1 - y) x + (1 + (pw - 1) y) softplus(-x)."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    t = _same_shape(input, target, "binary_cross_entropy_with_logits")
    # softplus(-x) = log(1 + e^-x), computed without overflow; its rule gives sigmoid(-x), also at x = 0
    # (a hand-built log(1 + e^-|x|) + relu(-x) would lose half the slope there).
    log1p_exp = al.softplus(-input)
    if pos_weight is not None:
        coef = 1 + (pos_weight - 1) * t
        loss = (1 - t) * input + coef * log1p_exp
    else:
        loss = (1 - t) * input + log1p_exp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def multi_margin_loss(input: Tensor, target: Any, p: int = 1, margin: float = 1.0, weight: Any = None,
                      reduction: str = "mean") -> Tensor:
    """The multiclass hinge loss: sum over wrong classes i of max(0, margin - x[y] + x[i])^p / C."""
    _check_reduction(reduction, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 are supported, got {p}")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    t = _class_target(x, target, "multi_margin_loss").reshape(-1)
    n, c = x.shape
    if t.shape != (n,):
        raise ValueError(f"multi_margin_loss: target must have shape ({n},), got {t.shape}")
    correct = x.gather(1, t[:, None])                               # x[y], shape (N, 1)
    hinge = (margin - correct + x).relu()
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
        hinge = hinge * w[t][:, None].astype(input.dtype)
    others = np.ones((n, c), dtype=input.dtype)
    others[np.arange(n), t] = 0                                     # the i == y term is left out
    loss = (hinge * others).sum(1) / c
    if input.ndim == 1 and reduction == "none":
        loss = loss.reshape(())
    return _reduce(loss, reduction)
