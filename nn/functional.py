"""nn.functional: the stateless forms of layers, activations and losses (PyTorch's torch.nn.functional).

Everything here is composed from autograd_lite's public operations, so every derivative comes from the
engine's table; nothing here needs a backward of its own. Modules in `layers.py`/`loss.py` hold
parameters and settings and call these functions.

Arguments are checked as PyTorch 2.x checks them (Tensors, not lists or arrays; dtypes that must match;
values that must lie in a range; shapes), by the helpers in the next section, so a mistake is an error
that names the function, what it got and what it expected, never a silently wrong number. Signatures are
PyTorch's, parameter for parameter and in its order (the losses' legacy size_average and reduce
included), so positional calls written for PyTorch land in the same parameters.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from typing import Any

import numpy as np

import autograd_lite as al

Tensor = al.Tensor
_REDUCTIONS = ("mean", "sum", "none")
_HERE = os.path.dirname(os.path.abspath(__file__))


# ------------------------------------------------------------------ argument checks shared by everything below
def _warn(message: str) -> None:
    """A UserWarning that points at the first caller outside the nn package (the user's line), however deep
    in nn (a loss module's constructor, a forward) it is raised."""
    level, frame = 1, sys._getframe(0)          # stacklevel 1 is this function's own frame
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _HERE:
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)


def _tensor(where: str, name: str, value: Any, optional: bool = False) -> Any:
    """`value` itself if it is a Tensor (or None, where the argument is optional). PyTorch's nn.functional
    takes Tensors only: a list, an array or a number is a TypeError there (or an AttributeError), so it is
    here, naming the function and the argument, instead of being converted to some dtype silently."""
    if isinstance(value, Tensor) or (optional and value is None):
        return value
    raise TypeError(f"{where}: expected a Tensor as {name}, got {type(value).__name__}; make one with "
                    f"al.tensor(...) (PyTorch's {where} takes Tensors only)")


def _check_dtypes(where: str, input: Any, *, mixed: bool = False, **others: Any) -> np.dtype:
    """A floating Tensor input, and every other tensor in `others` (parameters, running statistics, class
    weights, targets; None where absent) a Tensor of the input's dtype. PyTorch's kernels for these do not
    promote: a float64 buffer in a float32 model is an error there, where elementwise promotion would
    silently make the rest of the model float64. Integer and bool inputs are refused as PyTorch's kernels
    refuse them ("not implemented for 'Long'"), rather than computed in float32.

    With `mixed` (batch_norm, layer_norm), PyTorch's one exception: a float16 input whose parameters are
    all float32 (a half-precision model keeping its norm layers in float32). Returns the dtype to compute
    in: the input's, or float32 there."""
    _tensor(where, "input", input)
    if input.dtype.kind != "f":
        raise al.DTypeError(f"{where}: expected a floating point input, got dtype {input.dtype} (PyTorch's {where} "
                            f"is not implemented for integer or bool tensors); convert it with .float()")
    given = {name: _tensor(where, name, other, optional=True) for name, other in others.items()}
    given = {name: other for name, other in given.items() if other is not None}
    if mixed and input.dtype == np.float16 and given and all(t.dtype == np.float32 for t in given.values()):
        return np.dtype(np.float32)
    for name, other in given.items():
        if other.dtype != input.dtype:
            raise al.DTypeError(f"{where}: expected {name} of dtype {input.dtype} (the input's), got {other.dtype}; "
                                f"convert it with .to({input.dtype}) (PyTorch does not promote here either)")
    return input.dtype


def _check_range(where: str, name: str, values: np.ndarray, lo: float, hi: float, *, of: str = "",
                 ignore: int | None = None, error: type[Exception] = al.ShapeError) -> None:
    """Every element of `values` in [lo, hi] (NaN is not), or equal to `ignore`; else `error` names the
    first one that is not. One check for class indices and for probabilities alike."""
    if values.size and lo <= values.min() and values.max() <= hi:     # (NaN fails this: the slow path names it)
        return
    ok = (values >= lo) & (values <= hi)
    if ignore is not None:
        ok |= values == ignore
    if not ok.all():
        bad = values[~ok].flat[0].item()
        also = f" or ignore_index={ignore}" if ignore is not None else ""
        raise error(f"{where}: {name} {bad} is out of range{of}; expected values between {lo} and {hi}{also}")


def _wrap_dim(where: str, dim: int, ndim: int) -> int:
    """`dim` in [0, ndim); a 0-d tensor takes dim 0 or -1, as in PyTorch."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{where}: dim {dim} is out of range for a tensor with {ndim} dims "
                         f"(expected {-n} <= dim < {n})")
    return dim % n


def _check_broadcasts_to(where: str, name: str, other: Tensor, shape: tuple[int, ...]) -> None:
    """`other` (a weight) broadcasts to `shape` without enlarging it: a larger weight would silently
    turn the loss of each element into a table of losses (PyTorch refuses it too)."""
    try:
        ok = np.broadcast_shapes(other.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise al.ShapeError(f"{where}: {name} of shape {tuple(other.shape)} does not broadcast to the input's "
                            f"shape {tuple(shape)}")


def _moments(x: Tensor, axes: tuple[int, ...]) -> tuple[Tensor, Tensor, Tensor]:
    """The mean over `axes`, x - mean and the biased variance (the statistics kept as dims of size 1). Over
    no elements at all (an empty batch) there is nothing to normalise: PyTorch returns the empty result
    without a word, where NumPy's mean of nothing would warn, so mean and variance are taken as 0 there."""
    if math.prod(x.shape[a] for a in axes) == 0:
        zero = x.sum(dim=axes, keepdim=True)                  # the sum of nothing
        return zero, x - zero, zero
    mean = x.mean(dim=axes, keepdim=True)
    centered = x - mean
    return mean, centered, (centered * centered).mean(dim=axes, keepdim=True)


def _mean_of_nothing(total: Tensor) -> Tensor:
    """PyTorch's 'mean' over no elements (an empty batch, or every target ignored): NaN, with a zero
    gradient. Dividing by 0 here would warn in NumPy and make the gradient NaN (or raise, in nll_loss)."""
    return al.where(np.zeros((), dtype=bool), total, math.nan)


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


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """1-D transposed convolution of (N, C, L) or (C, L) input; weight (in_channels, out_channels/groups, kL)."""
    return al.conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """2-D transposed convolution of (N, C, H, W) or (C, H, W) input; weight (in_channels, out_channels/groups,
    kH, kW)."""
    return al.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)


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


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p) while
    training, so the expected activation is unchanged and evaluation needs no rescaling. With
    `inplace=True` the input itself is scaled (it must not be a leaf that requires grad), as in PyTorch.
    Repeatable with al.manual_seed."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    _tensor("dropout", "input", input)
    if not training or p == 0.0:
        return input
    if p == 1.0:                         # PyTorch multiplies by 0: any dtype, NaN where the input is inf or NaN
        if input.dtype.kind != "f":
            return input.zero_() if inplace else al.zeros_like(input)
        with np.errstate(invalid="ignore"):           # inf * 0 is NaN, without NumPy's warning
            return input.mul_(0.0) if inplace else input * 0.0
    _check_dtypes("dropout", input)       # 1/(1-p) in an integer dtype would be 0 or a division by 0
    keep = al.rand(*input.shape, dtype=np.float64) >= p
    mask = al.tensor(keep.array.astype(input.dtype) / input.dtype.type(1.0 - p))
    return input.mul_(mask) if inplace else input * mask


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) by the batch statistics while training, by the running ones in eval.

    x_hat = (x - mean) / sqrt(var + eps), y = weight * x_hat + bias, with the biased batch variance;
    while training, the running statistics (if given) move towards the batch's by `momentum`, the
    variance's with the unbiased batch variance, as in PyTorch. (BatchNorm's momentum=None, a cumulative
    average, is the module's business: it passes 1/num_batches_tracked here, as PyTorch's does.)
    """
    params = {"weight": weight, "bias": bias, "running_mean": running_mean, "running_var": running_var}
    dtype = _check_dtypes("batch_norm", input, mixed=True, **params)
    if isinstance(momentum, (bool, np.bool_)) or not isinstance(momentum, (int, float, np.integer, np.floating)):
        raise TypeError(f"batch_norm: expected momentum to be a float, got {type(momentum).__name__} {momentum!r} "
                        f"(for a cumulative average, nn.BatchNorm*d(momentum=None) passes 1/num_batches_tracked)")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input with at least 2 dims (N, C, ...), got shape "
                         f"{tuple(input.shape)}")
    channels = input.shape[1]
    for name, t in params.items():
        if t is not None and t.numel() != channels:
            raise al.ShapeError(f"batch_norm: {name} should contain {channels} elements (one per channel, dim 1 of "
                                f"the input of shape {tuple(input.shape)}), got shape {tuple(t.shape)}")
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, channels) + (1,) * (input.ndim - 2)
    n = math.prod(input.shape[a] for a in axes)
    if training and n == 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input "
                         f"of shape {tuple(input.shape)}")
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm: eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm: eps must be non-negative, but got {eps}")
    x = input.to(dtype)               # float16 with float32 parameters: computed in float32, as in PyTorch
    if training:
        mean, centered, var = _moments(x, axes)
        # An empty batch has no statistics: PyTorch leaves the running ones as they are.
        if running_mean is not None and running_var is not None and n > 0:
            with al.no_grad():
                bm = mean.detach().reshape(-1)
                bv = var.detach().reshape(-1) * (n / (n - 1))
                running_mean.mul_(1 - momentum).add_(bm * momentum)
                running_var.mul_(1 - momentum).add_(bv * momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when training=False")
        var = running_var.reshape(shape)
        centered = x - running_mean.reshape(shape)
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out.to(input.dtype)


def _shape_of_ints(where: str, name: str, value: Any) -> tuple[int, ...]:
    """A tuple or list of ints (torch.Size-like) as a tuple; anything else (an int, a float, a tensor) is a
    TypeError, as PyTorch's argument parser has it."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{where}: expected {name} to be a tuple or list of ints, got {type(value).__name__} "
                        f"{value!r}" + (f"; write ({value},)" if isinstance(value, int) else ""))
    for v in value:
        if isinstance(v, (bool, np.bool_, float, np.floating, al.Tensor)) or not hasattr(v, "__index__"):
            raise TypeError(f"{where}: expected {name} to be a tuple or list of ints, got {type(v).__name__} "
                            f"{v!r} in {tuple(value)!r}")
    return tuple(int(v) for v in value)


def layer_norm(input: Tensor, normalized_shape: tuple[int, ...] | list[int],
               weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last len(normalized_shape) dims of each sample (biased variance).

    `normalized_shape` is a tuple or list, as PyTorch's F.layer_norm takes (an int is a TypeError there;
    nn.LayerNorm(3) takes one and makes it (3,))."""
    _tensor("layer_norm", "input", input)
    ns = _shape_of_ints("layer_norm", "normalized_shape", normalized_shape)
    if not ns:
        raise al.ShapeError("layer_norm: expected normalized_shape with at least one dim, got ()")
    if len(ns) > input.ndim or tuple(input.shape[input.ndim - len(ns):]) != ns:
        raise ValueError(f"layer_norm: normalized_shape {ns} does not match the last dims of the input "
                         f"shape {tuple(input.shape)}")
    dtype = _check_dtypes("layer_norm", input, mixed=True, weight=weight, bias=bias)   # (shapes first, as PyTorch)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != ns:      # a broadcasting (1,) weight is a mistake, as in PyTorch
            raise al.ShapeError(f"layer_norm: expected {name} of shape {ns} (normalized_shape), got {tuple(t.shape)}")
    _, centered, var = _moments(input.to(dtype), tuple(range(input.ndim - len(ns), input.ndim)))
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out.to(input.dtype)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each sample's channels (dim 1) in num_groups groups of consecutive channels, each over its
    channels and all the other dims (biased variance), then scale and shift per channel: with one group it
    is a layer norm over (C, *), with C groups an instance norm. Statistics never mix samples, so training
    and evaluation compute the same thing."""
    where = "group_norm"
    _tensor(where, "input", input)
    if input.ndim < 2:
        raise al.ShapeError(f"{where}: expected an input with at least 2 dims (N, C, ...), got shape "
                            f"{tuple(input.shape)}")
    if isinstance(num_groups, (bool, np.bool_)) or not isinstance(num_groups, (int, np.integer)) or num_groups <= 0:
        raise ValueError(f"{where}: num_groups must be a positive integer, got {num_groups!r}")
    n, c = input.shape[:2]
    if c % num_groups:
        raise al.ShapeError(f"{where}: expected the number of channels in the input to be divisible by num_groups, "
                            f"got input of shape {tuple(input.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (_tensor(where, name, t).ndim != 1 or t.shape[0] != c):
            raise al.ShapeError(f"{where}: expected {name} to be a vector of size {c} (the input's channels), got "
                                f"{name} of shape {tuple(t.shape)} and input of shape {tuple(input.shape)}")
    if n * c // num_groups * math.prod(input.shape[2:]) == 1:      # PyTorch's check, as in its F.group_norm
        raise ValueError(f"{where}: expected more than 1 value per channel when training, got input of shape "
                         f"{tuple(input.shape)} and num_groups={num_groups}")
    dtype = _check_dtypes(where, input, mixed=True, weight=weight, bias=bias)
    x = input.to(dtype).reshape(n, num_groups, -1 if input.numel() else c // num_groups * math.prod(input.shape[2:]))
    _, centered, var = _moments(x, (2,))
    out = (centered / (var + eps).sqrt()).reshape(input.shape)
    shape = (1, c) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out.to(input.dtype)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of `weight` picked by integer indices (an int64 or int32 tensor, as PyTorch's); the row at
    `padding_idx` gets no gradient.

    With `max_norm`, each row picked whose `norm_type`-norm exceeds it is first rescaled, in place in
    `weight`, to norm max_norm (PyTorch's embedding_renorm_); with `scale_grad_by_freq`, the gradient of
    each row is divided by how often its index occurs in `input`. Sparse gradients are not supported.
    """
    where = "embedding"
    _tensor(where, "input", input)
    _tensor(where, "weight", weight)
    if input.dtype not in (np.int64, np.int32):
        raise al.DTypeError(f"{where}: expected indices of dtype int64 or int32 as input, got dtype {input.dtype}; "
                            f"convert them with .long() (as PyTorch's, only these)")
    if weight.ndim != 2:
        raise al.ShapeError(f"{where}: expected a 2-D weight (num_embeddings, embedding_dim), got shape "
                            f"{tuple(weight.shape)}")
    if sparse:
        raise NotImplementedError(f"{where}: sparse=True (a sparse gradient for the weight) is not supported: "
                                  f"autograd_lite's gradients are dense; use sparse=False")
    idx = input.array
    n = weight.shape[0]
    _check_range(where, "index", idx, 0, n - 1, of=f" for {n} embeddings", error=IndexError)
    if padding_idx is not None:
        # -n <= padding_idx < n, as in PyTorch: wrapping any value modulo n would pick a wrong row silently.
        _check_range(where, "padding_idx", np.asarray(padding_idx), -n, n - 1, of=f" for {n} embeddings")
    if max_norm is not None:
        _renorm_rows(weight, np.unique(idx), max_norm, norm_type)
    rows = weight[idx]
    if scale_grad_by_freq and rows.requires_grad:
        uniq, inverse, counts = np.unique(idx, return_inverse=True, return_counts=True)
        scale = (1.0 / counts[inverse.reshape(idx.shape)]).astype(weight.dtype)[..., None]
        rows.register_hook(lambda g: g * scale)
    if padding_idx is not None:
        # Padding positions read their row from a detached copy: the value is used, no gradient reaches
        # it. Masking the gathered rows (not the whole table) keeps the cost proportional to the batch.
        is_pad = (idx == padding_idx % n)[..., None]
        rows = al.where(is_pad, weight.detach()[idx], rows)
    return rows


def _renorm_rows(weight: Tensor, rows: np.ndarray, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_: each of these rows of `weight` whose norm exceeds max_norm is scaled, in
    place and without a gradient, by max_norm / (norm + 1e-7)."""
    if rows.size == 0:
        return
    values = weight.array[rows]
    norms = np.linalg.norm(values.astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(weight.dtype)[:, None]
        with al.no_grad():
            weight[al.from_numpy(rows[big])] = al.from_numpy((values[big] * scale).astype(weight.dtype))


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """torch.flatten (PyTorch's nn.functional has no flatten of its own; nn.Flatten's functional form)."""
    return al.flatten(input, start_dim, end_dim)


# ------------------------------------------------------------------ activations
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); with `inplace=True` written into the input (which must not be a leaf requiring grad)."""
    _tensor("relu", "input", input)
    return input.relu_() if inplace else al.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise (floating inputs only, as PyTorch's). `inplace` is
    accepted and computed out of place."""
    _check_dtypes("leaky_relu", input)
    return al.leaky_relu(input, negative_slope)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Leaky ReLU with a learnable slope: one per channel (dim 1) or a single shared one. The result has
    the input's shape (also a 0-d input's, with one slope)."""
    _check_dtypes("prelu", input, weight=weight)
    if weight.ndim > 1:
        raise al.ShapeError(f"prelu: expected weight to be a scalar or a 1-D tensor, got shape {tuple(weight.shape)}")
    if weight.numel() != 1:
        if input.ndim < 2 or input.shape[1] != weight.numel():
            channels = input.shape[1] if input.ndim > 1 else 1
            raise ValueError(f"prelu: {weight.numel()} slopes do not match the {channels} channels (dim 1) "
                             f"of an input of shape {tuple(input.shape)}")
        weight = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    else:
        weight = weight.reshape(())     # one slope: broadcasting its (1,) would make a 0-d input (1,)
    return al.where((input > 0).array, input, weight * input)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise (floating inputs only). `inplace` is computed out of place."""
    _check_dtypes("elu", input)
    return al.elu(input, alpha)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, and x where beta x > threshold (floating inputs only)."""
    _check_dtypes("softplus", input)
    return al.softplus(input, beta, threshold)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish; floating inputs only). `inplace` is computed out of place."""
    _check_dtypes("silu", input)
    return input * input.sigmoid()


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p along dim, eps): unit vectors along `dim` (PyTorch's F.normalize).

    With `out`, the result is written into it (of the result's shape, a dtype it can be cast to) and
    `out` is returned; as in PyTorch, that is not differentiable."""
    _check_dtypes("normalize", input)
    _tensor("normalize", "out", out, optional=True)
    d = _wrap_dim("normalize", dim, input.ndim)
    x = input.reshape(1) if input.ndim == 0 else input          # a 0-d input is a vector of one
    result = x / x.norm(p, d, keepdim=True).clamp(min=eps)
    result = result.reshape(()) if input.ndim == 0 else result
    if out is None:
        return result
    if al.is_grad_enabled() and (input.requires_grad or out.requires_grad):
        raise RuntimeError("normalize: functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad")
    if not np.can_cast(result.dtype, out.dtype, casting="same_kind"):
        raise al.DTypeError(f"normalize: the result (dtype {result.dtype}) can't be cast to out's dtype {out.dtype}")
    if out.shape != result.shape:
        raise al.ShapeError(f"normalize: out has shape {tuple(out.shape)}, the result has shape {tuple(result.shape)}; "
                            f"autograd_lite does not resize out (PyTorch does, with a deprecation warning)")
    return out.copy_(result)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 / max(||x1||, eps) . x2 / max(||x2||, eps) along `dim`, after broadcasting x1 and x2 together.

    That is PyTorch's computation: each vector is normalised first (the result stays in [-1, 1]), and
    normalising after broadcasting is what makes a norm taken over a broadcast dim count every copy.
    """
    _tensor("cosine_similarity", "x1", x1)
    _tensor("cosine_similarity", "x2", x2)
    floats = [t.dtype for t in (x1, x2) if t.dtype.kind == "f"]
    if not floats:
        raise al.DTypeError(f"cosine_similarity: expected a floating point input, got dtypes {x1.dtype} and {x2.dtype}")
    dtype = np.result_type(*floats)              # an integer operand takes the float one's dtype, as in PyTorch
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise al.ShapeError(f"cosine_similarity: shapes {tuple(x1.shape)} and {tuple(x2.shape)} do not broadcast "
                            f"together") from None
    d = _wrap_dim("cosine_similarity", dim, len(shape))
    ends = shape if shape else (1,)              # 0-d operands: vectors of one element
    a, b = (t.to(dtype).broadcast_to(shape).reshape(ends) for t in (x1, x2))
    out = (a / _clamp_norm(a, d, eps) * (b / _clamp_norm(b, d, eps))).sum(d)
    return out if shape else out.reshape(())


def _clamp_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """max(||x||, eps) along `dim` (kept), with PyTorch's gradient: it clamps the norm in place under
    no_grad, so its backward treats the clamp as the identity (below eps too). Adding the detached
    difference gives that: the value is the clamped one, the gradient is the norm's."""
    n = x.norm(2, dim, keepdim=True)
    return n + (n.clamp(min=eps) - n).detach()


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(..., num_classes) int64 indicators of the class indices in `tensor` (num_classes=-1: max + 1)."""
    _tensor("one_hot", "tensor", tensor)
    idx = tensor.array
    if idx.dtype != np.int64:
        raise al.DTypeError(f"one_hot: expected class indices of dtype int64, got dtype {idx.dtype}; convert them "
                            f"with .long() (as PyTorch's, only int64 tensors)")
    if num_classes < -1:
        raise al.ShapeError(f"one_hot: num_classes must be a number of classes or -1 (one more than the "
                            f"largest index), got {num_classes}")
    if num_classes == -1 and idx.size == 0:
        raise al.ShapeError("one_hot: can not infer the number of classes from an empty tensor; pass num_classes")
    n = int(idx.max()) + 1 if num_classes == -1 else int(num_classes)
    _check_range("one_hot", "class index", idx, 0, n - 1, of=f" for num_classes={n}")
    return al.from_numpy((idx[..., None] == np.arange(n)).astype(np.int64))


pad = al.pad    # PyTorch's F.pad: (left, right) pairs from the last dim backwards


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), the Gaussian CDF computed with erf ('none', PyTorch's default) or tanh ('tanh');
    floating inputs only, as PyTorch's."""
    _check_dtypes("gelu", input)
    if approximate == "none":
        return input * 0.5 * (1.0 + (input * (1.0 / math.sqrt(2.0))).erf())
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1.0 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x); integer and bool inputs give float32, as in PyTorch."""
    return al.sigmoid(_tensor("sigmoid", "input", input))


def tanh(input: Tensor) -> Tensor:
    """tanh(x); integer and bool inputs give float32, as in PyTorch."""
    return al.tanh(_tensor("tanh", "input", input))


def _softmax_dim(input: Tensor, dim: int | None, name: str) -> int:
    if dim is not None:
        return dim
    # PyTorch's deprecated implicit choice, with its warning: dim 0 for 0-, 1- and 3-d inputs, else 1.
    _warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.")
    return 0 if input.ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """softmax along `dim`; with `dtype`, the input is converted first (as PyTorch's). `_stacklevel` is
    PyTorch's (kept for its place in the signature; the warning of a missing dim points at the caller)."""
    _tensor("softmax", "input", input)
    x = input if dtype is None else input.to(dtype)
    return al.softmax(x, _softmax_dim(x, dim, "softmax"))


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """log(softmax(x)) along `dim`, computed stably; `dtype` and `_stacklevel` as in softmax."""
    _tensor("log_softmax", "input", input)
    x = input if dtype is None else input.to(dtype)
    return al.log_softmax(x, _softmax_dim(x, dim, "log_softmax"))


# ------------------------------------------------------------------ losses
_LEGACY_WARNING = "size_average and reduce args will be deprecated, please use reduction='{}' instead."


def _reduction(where: str, reduction: Any, size_average: Any = None, reduce: Any = None, *,
               elementwise_mean: bool = True) -> str:
    """The reduction a loss applies: 'mean', 'sum' or 'none'. Every loss goes through here.

    PyTorch's legacy arguments still work, with its deprecation warning: if either of size_average and
    reduce is given (both default to None, read as True), reduce=False means 'none', else
    size_average=False means 'sum', else 'mean' -- and `reduction` is then ignored (torch.nn._reduction.
    legacy_get_string). reduction='elementwise_mean', the old name of 'mean', is 'mean' with PyTorch's
    warning, except where PyTorch's own code refuses it (the weighted regression losses:
    `elementwise_mean=False`). A string in size_average or reduce is a TypeError, not a truthy flag: it is
    a reduction passed by position where PyTorch's signature has the legacy flags.
    """
    if size_average is not None or reduce is not None:
        for name, flag in (("size_average", size_average), ("reduce", reduce)):
            if isinstance(flag, str):
                raise TypeError(f"{where}: {name} is a legacy flag (True, False or None), got the string {flag!r}; "
                                f"pass reduction={flag!r} by keyword")
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        _warn(f"{where}: " + _LEGACY_WARNING.format(reduction))
        return reduction
    if reduction == "elementwise_mean" and elementwise_mean:
        _warn(f"{where}: reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.")
        return "mean"
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"{where}: {reduction!r} is not a valid value for reduction; expected 'mean', 'sum' or 'none'")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()            # (over no elements: NaN with a zero gradient, as PyTorch's)
    if reduction == "sum":
        return loss.sum()
    return loss


def _divide(total: Tensor, denom: Tensor) -> Tensor:
    """total / denom (0-d tensors). Over a zero denominator PyTorch gives NaN (0/0) or +-inf without a word,
    where NumPy would warn: that value is returned as a constant (a zero gradient)."""
    if denom.item() != 0:
        return total / denom
    with np.errstate(divide="ignore", invalid="ignore"):
        value = float(np.divide(total.item(), 0.0))
    return al.where(np.zeros((), dtype=bool), total, value)


def _reduce_weighted(where: str, loss: Tensor, input: Tensor, weight: Tensor | None, reduction: str,
                     mean_by_weight: bool) -> Tensor:
    """PyTorch's optional per-element weight of mse_loss, l1_loss and huber_loss: of the input's shape
    exactly; 'mean' is sum(w l) / sum(w) for the first two (`mean_by_weight`), mean(w l) for huber_loss."""
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != input.shape:
        raise al.ShapeError(f"{where}: weight of shape {tuple(weight.shape)} must have the input's shape "
                            f"{tuple(input.shape)} (one weight per element)")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return _divide(loss.sum(), weight.sum())
    return _reduce(loss, reduction)


def _regression_target(where: str, input: Tensor, target: Tensor) -> Tensor:
    """The target of an elementwise regression loss. A target of another shape is broadcast against the
    input as PyTorch does, with PyTorch's warning: (N, 1) against (N,) makes an N x N table of errors,
    which is rarely what was meant."""
    t = target
    if input.dtype.kind != "f" and t.dtype.kind != "f":
        raise al.DTypeError(f"{where}: expected a floating point input or target, got dtypes {input.dtype} and "
                            f"{t.dtype}")
    if t.shape != input.shape:
        try:
            np.broadcast_shapes(t.shape, input.shape)
        except ValueError:
            raise al.ShapeError(f"{where}: target shape {tuple(t.shape)} does not broadcast with input shape "
                                f"{tuple(input.shape)}; they should be the same") from None
        _warn(f"{where}: Using a target size {tuple(t.shape)} that is different to the input size "
              f"{tuple(input.shape)}. This will likely lead to incorrect results due to broadcasting. "
              f"Please ensure they have the same size.")
    return t


def _bools_as_floats(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """mse_loss, l1_loss and smooth_l1_loss compute in the promoted dtype of input and target, both counted
    as full tensors (the target is broadcast first: a 0-d float64 target makes a float64 loss), so PyTorch's
    take bool operands too (mse and smooth_l1; l1 refuses them before)."""
    if input.dtype == np.bool_:
        input = input.to(target.dtype if target.dtype.kind == "f" else np.float32)
    if target.dtype == np.bool_:
        target = target.to(input.dtype if input.dtype.kind == "f" else np.float32)
    dtype = al.promote_types(input.dtype, target.dtype)
    return input.to(dtype), target.to(dtype)


def _loss_tensors(where: str, input: Any, target: Any, **optional: Any) -> None:
    """A loss's input and target are Tensors, and so are its weights where given (PyTorch's are)."""
    _tensor(where, "input", input)
    _tensor(where, "target", target)
    for name, value in optional.items():
        _tensor(where, name, value, optional=True)


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """(x - y)^2, optionally weighted per element ('mean' is then sum(w (x - y)^2) / sum(w))."""
    where = "mse_loss"
    _loss_tensors(where, input, target, weight=weight)
    reduction = _reduction(where, reduction, size_average, reduce, elementwise_mean=weight is None)
    x, t = _bools_as_floats(input, _regression_target(where, input, target))
    d = x - t
    return _reduce_weighted(where, d * d, input, weight, reduction, mean_by_weight=True)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """|x - y|, optionally weighted per element ('mean' is then sum(w |x - y|) / sum(w))."""
    where = "l1_loss"
    _loss_tensors(where, input, target, weight=weight)
    reduction = _reduction(where, reduction, size_average, reduce, elementwise_mean=weight is None)
    if np.bool_ in (input.dtype, target.dtype):        # (mse and smooth_l1 take bools; PyTorch's l1 does not)
        raise al.DTypeError("l1_loss: subtraction with a bool tensor is not supported (as in PyTorch); convert "
                            "it with .float()")
    x, t = _bools_as_floats(input, _regression_target(where, input, target))
    loss = (x - t).abs()
    return _reduce_weighted(where, loss, input, weight, reduction, mean_by_weight=True)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta): quadratic near 0, linear far away.
    Optionally weighted per element ('mean' is then the mean of w l). No legacy flags: PyTorch's has none."""
    where = "huber_loss"
    _loss_tensors(where, input, target, weight=weight)
    reduction = _reduction(where, reduction, elementwise_mean=weight is None)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    t = _regression_target(where, input, target)
    if input.dtype.kind != "f":
        raise al.DTypeError(f"huber_loss: the result (float) cannot be stored in the input's dtype {input.dtype} "
                            f"(PyTorch's huber_loss keeps the input's dtype); convert the input with .float()")
    t = t.to(input.dtype)             # PyTorch's huber_loss keeps the input's dtype (mse_loss and l1_loss promote)
    d = input - t
    a = d.abs()
    loss = al.where((a < delta).array, 0.5 * d * d, delta * (a - 0.5 * delta))
    return _reduce_weighted(where, loss, input, weight, reduction, mean_by_weight=False)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (Huber divided by beta); beta=0 is L1."""
    where = "smooth_l1_loss"
    _loss_tensors(where, input, target)
    reduction = _reduction(where, reduction, size_average, reduce)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    input, target = _bools_as_floats(input, _regression_target(where, input, target))
    d = input - target
    a = d.abs()
    if beta == 0:
        return _reduce(a, reduction)
    loss = al.where((a < beta).array, 0.5 * d * d / beta, a - 0.5 * beta)
    return _reduce(loss, reduction)


def _class_weight(where: str, weight: Tensor | None, n_classes: int) -> Tensor | None:
    """A per-class weight: a tensor of shape (C,) (its dtype is the caller's to check)."""
    if weight is not None and weight.shape != (n_classes,):
        raise al.ShapeError(f"{where}: weight should have one element per class, shape ({n_classes},), got "
                            f"{tuple(weight.shape)}")
    return weight


def _class_indices(where: str, target: Tensor, n_classes: int, ignore_index: int | None = None,
                   dtypes: tuple[type, ...] = (np.int64, np.uint8)) -> np.ndarray:
    """Integer class indices in [0, C), or equal to `ignore_index` (which may lie outside that range), of
    the dtypes PyTorch's kernel takes (int64 or uint8 for nll_loss and cross_entropy, int64 only for
    multi_margin_loss)."""
    t = target.array
    if t.dtype not in dtypes:
        names = " (or uint8)" if np.uint8 in dtypes else ""
        raise al.DTypeError(f"{where}: expected class indices of dtype int64{names} as target, got dtype "
                            f"{t.dtype}; convert them with .long()")
    _check_range(where, "target", t, 0, n_classes - 1, of=f" for {n_classes} classes", ignore=ignore_index,
                 error=IndexError)
    return t


def _counted_weight(target: np.ndarray, weight: np.ndarray | None, ignore_index: int) -> float:
    """The divisor of PyTorch's 'mean' for class indices: the total weight of the targets not ignored."""
    keep = target != ignore_index
    if weight is None:
        return float(keep.sum())
    return float(weight[np.where(keep, target, 0)][keep].sum())


def _nll(logp: Tensor, target: np.ndarray, weight: Tensor | None, ignore_index: int, reduction: str) -> Tensor:
    """al.nll_loss on checked arguments (its 'mean' over no counted target, an empty batch or every target
    ignored, is PyTorch's NaN with a zero gradient)."""
    w = None if weight is None else weight.array    # a constant: PyTorch's nll_loss has no gradient for it
    return al.nll_loss(logp, target, weight=w, ignore_index=ignore_index, reduction=reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
             ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """-input[i, target_i] (log-probabilities in, class indices as target), weighted per class."""
    where = "nll_loss"
    _loss_tensors(where, input, target, weight=weight)
    reduction = _reduction(where, reduction, size_average, reduce)
    if input.ndim == 0:
        raise al.ShapeError("nll_loss: expected log-probabilities of shape (C,) or (N, C, d1, ...), got a 0-d input")
    n_classes = input.shape[0 if input.ndim == 1 else 1]
    w = _class_weight(where, weight, n_classes)
    _check_dtypes(where, input, weight=w)
    return _nll(input, _class_indices(where, target, n_classes, ignore_index), w, ignore_index, reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
                  ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits, computed stably as nll_loss(log_softmax(input)).

    `target` holds class indices (int64, shape of input without dim 1) or, when it has the input's shape,
    class probabilities (floating point; ignore_index must then be negative, i.e. unused). As in PyTorch,
    `label_smoothing` in (0, 1] mixes the target with the uniform distribution, a value <= 0 is no
    smoothing and one above 1 an error.
    """
    where = "cross_entropy"
    _loss_tensors(where, input, target, weight=weight)
    reduction = _reduction(where, reduction, size_average, reduce)
    if label_smoothing > 1.0:
        raise al.ShapeError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    smoothing = label_smoothing if label_smoothing > 0.0 else 0.0      # PyTorch ignores a negative one
    if input.ndim == 0:
        raise al.ShapeError("cross_entropy: expected logits of shape (C,) or (N, C, d1, ...), got a 0-d input")
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]
    w = _class_weight(where, weight, n_classes)
    index_shape = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()

    if target.shape == input.shape:              # PyTorch's rule: the input's shape means class probabilities
        if target.dtype.kind != "f":
            raise al.DTypeError(f"cross_entropy: a target of the input's shape {tuple(input.shape)} holds class "
                                f"probabilities and must be floating point, got dtype {target.dtype}; class "
                                f"indices have shape {tuple(index_shape)}")
        if ignore_index >= 0:
            raise al.ShapeError(f"cross_entropy: ignore_index is not supported for class-probability (floating "
                                f"point) targets, got ignore_index={ignore_index}")
        return _cross_entropy_probs(input, target, w, class_dim, reduction, smoothing)
    if target.dtype.kind == "f":
        if target.shape == index_shape:
            raise al.DTypeError(f"cross_entropy: expected class indices (int64) of shape {tuple(index_shape)}, "
                                f"got dtype "
                                f"{target.dtype}; convert the labels with .long() (float targets are read as class "
                                f"probabilities and need the input's shape {tuple(input.shape)})")
        raise ValueError(f"cross_entropy: probability targets must have the input's shape {tuple(input.shape)}, "
                         f"got {tuple(target.shape)}; for class indices use an int64 target of shape "
                         f"{tuple(index_shape)}")

    _check_dtypes(where, input, weight=w)
    t = _class_indices(where, target, n_classes, ignore_index)
    if t.shape != index_shape and not (input.ndim == 1 and t.shape == (1,)):
        raise ValueError(f"cross_entropy: input of shape {tuple(input.shape)} needs class indices of shape "
                         f"{tuple(index_shape)} (the input's shape without the class dim), got {tuple(t.shape)}")
    logp = input.log_softmax(class_dim)
    nll = _nll(logp, t, w, ignore_index, reduction)
    if smoothing == 0.0:
        return nll
    # PyTorch's smoothing term: the (weighted) sum of -logp over classes, ignored targets excluded.
    if input.ndim == 1:
        logp, t = logp.unsqueeze(0), t.reshape(1)
    wshape = (1, n_classes) + (1,) * (logp.ndim - 2)
    weighted = logp if w is None else logp * w.array.reshape(wshape)
    keep = t != ignore_index
    smooth = al.where(keep, -(weighted.sum(1)), 0.0)        # PyTorch's masked_fill: 0, also where logp is -inf
    if reduction == "mean":
        denom = _counted_weight(t, None if w is None else w.array, ignore_index)
        smooth = smooth.sum() / denom if denom else _mean_of_nothing(smooth.sum())
    elif reduction == "sum":
        smooth = smooth.sum()
    elif input.ndim == 1:
        smooth = smooth.reshape(())
    return nll * (1 - smoothing) + smooth * (smoothing / n_classes)


def _cross_entropy_probs(input: Tensor, probs: Tensor, weight: Tensor | None, class_dim: int, reduction: str,
                         label_smoothing: float) -> Tensor:
    """Cross-entropy against class probabilities: -sum_c w_c p_c log softmax(x)_c per sample, 'mean' over
    the samples. Differentiable in the target (and the weight) too, as in PyTorch, where input, target
    and weight promote: cross_entropy(x32, p64) is float64."""
    _check_dtypes("cross_entropy", input)
    if label_smoothing > 0:
        probs = probs * (1 - label_smoothing) + label_smoothing / input.shape[class_dim]
    terms = input.log_softmax(class_dim) * probs
    if weight is not None:
        terms = terms * weight.reshape((-1,) + (1,) * (input.ndim - 2))
    return _reduce(-terms.sum(class_dim), reduction)


def _binary_target(where: str, input: Tensor, target: Tensor) -> Tensor:
    """A BCE target: a float tensor of the input's shape exactly (PyTorch no longer broadcasts these)."""
    if target.shape != input.shape:
        raise al.ShapeError(f"{where}: target shape {tuple(target.shape)} differs from input shape "
                            f"{tuple(input.shape)}; they "
                            f"must be the same (reshape one of them, e.g. target.reshape(input.shape))")
    if target.dtype.kind != "f":
        raise al.DTypeError(f"{where}: expected a floating point target, got dtype {target.dtype}; use target.float()")
    return target


def _elementwise_weight(where: str, name: str, input: Tensor, weight: Tensor, dtype: np.dtype) -> Tensor:
    """A BCE weight or pos_weight: any dtype, converted to the loss's (PyTorch's rule); it must broadcast to
    the input's shape without enlarging it."""
    _check_broadcasts_to(where, name, weight, input.shape)
    return weight.to(dtype)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """-(y log p + (1-y) log(1-p)) for probabilities p in [0, 1]; logs are clamped at -100 like PyTorch."""
    where = "binary_cross_entropy"
    _loss_tensors(where, input, target, weight=weight)
    reduction = _reduction(where, reduction, size_average, reduce)
    t = _binary_target(where, input, target)
    _check_dtypes(where, input, target=t)
    _check_range(where, "input", input.array, 0, 1)          # (named as PyTorch's messages name them; cheap: min, max)
    _check_range(where, "target", t.array, 0, 1)
    loss = al.binary_cross_entropy(input, t)
    if weight is not None:
        loss = loss * _elementwise_weight(where, "weight", input, weight, input.dtype)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: bool | None = None, reduce: bool | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """BCE of sigmoid(x), computed without overflow for large |x|: (1 - y) x + (1 + (pw - 1) y) softplus(-x)."""
    where = "binary_cross_entropy_with_logits"
    _loss_tensors(where, input, target, weight=weight, pos_weight=pos_weight)
    reduction = _reduction(where, reduction, size_average, reduce)
    t = _binary_target(where, input, target)
    # PyTorch computes in the target's dtype (its kernel works in place on 1 - target): (x64, t32) gives
    # float32 and (x32, t64) float64, whatever the weights' dtypes.
    x = input.to(t.dtype)
    # softplus(-x) = log(1 + e^-x), computed without overflow; its rule gives sigmoid(-x), also at x = 0
    # (a hand-built log(1 + e^-|x|) + relu(-x) would lose half the slope there).
    log1p_exp = al.softplus(-x)
    if pos_weight is not None:
        coef = 1 + (_elementwise_weight(where, "pos_weight", input, pos_weight, t.dtype) - 1) * t
        loss = (1 - t) * x + coef * log1p_exp
    else:
        loss = (1 - t) * x + log1p_exp
    if weight is not None:
        loss = loss * _elementwise_weight(where, "weight", input, weight, t.dtype)
    return _reduce(loss, reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      size_average: bool | None = None, reduce: bool | None = None,
                      reduction: str = "mean") -> Tensor:
    """The multiclass hinge loss: sum over wrong classes i of max(0, margin - x[y] + x[i])^p / C."""
    where = "multi_margin_loss"
    _loss_tensors(where, input, target, weight=weight)
    reduction = _reduction(where, reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError(f"{where}: only p == 1 and p == 2 are supported, got {p}")
    if input.ndim > 2 or (input.ndim and input.shape[-1] == 0):
        raise al.ShapeError(f"{where}: expected an input of shape (C,) or (N, C) with C > 0, got {tuple(input.shape)}")
    x = input.reshape(-1, input.shape[-1]) if input.ndim else input.reshape(1, 1)   # 0-d: one class
    n, c = x.shape
    w = _class_weight(where, weight, c)
    _check_dtypes(where, input, weight=w)
    t = _class_indices(where, target, c, dtypes=(np.int64,))       # PyTorch's kernel: int64 targets only
    if t.ndim > 1 or t.size != n:
        raise al.ShapeError(f"{where}: target should be 1-D with one class index per sample, shape ({n},), got "
                            f"{tuple(t.shape)} for an input of shape {tuple(input.shape)}")
    y = t.reshape(-1)
    correct = x.gather(1, al.from_numpy(y[:, None]))                # x[y], shape (N, 1)
    hinge = (margin - correct + x).relu()
    if p == 2:
        hinge = hinge * hinge
    if w is not None:
        hinge = hinge * w.array[y][:, None]          # a constant: PyTorch's weight gets no gradient
    others = np.ones((n, c), dtype=input.dtype)
    others[np.arange(n), y] = 0                                     # the i == y term is left out
    loss = (hinge * others).sum(1) / c
    if reduction == "none":
        return loss.reshape(t.shape)             # PyTorch's: () for a 0-d target, (N,) for a 1-D one
    return _reduce(loss, reduction)


# ------------------------------------------------------------------ resampling
# interpolate resamples one spatial dim at a time, from the last to the first, as PyTorch's CPU kernels nest
# their loops: each output element is an input element picked along that dim (nearest), or two neighbours
# weighted (linear). So it is index_select and weighted sums, whose gradients add g back to where each
# element was read; the indices and weights are computed here, with PyTorch's index arithmetic (UpSample.h),
# in its precision (the input's, or float32, as each of its kernels computes them).
_LINEAR_MODES = {"linear": 3, "bilinear": 4, "trilinear": 5}
_SUPPORTED = "'nearest', 'nearest-exact', 'area' (3-D, 4-D), 'linear' (3-D), 'bilinear' (4-D), 'trilinear' (5-D)"


def _nearest_source(n_in: int, n_out: int, scale: float | None, exact: bool, dtype: np.dtype,
                    image: bool) -> np.ndarray:
    """The input index each output index reads: floor(dst * s), or floor((dst + 0.5) * s) for 'nearest-exact',
    s = 1 / scale_factor when given, else n_in / n_out. PyTorch's 2-D kernel (`image`) computes it in float32
    with its nearest_idx shortcuts (a copy when n_out == n_in, dst // 2 when n_out == 2 n_in); its 1-D and
    3-D kernels in the input's precision without them (so scale_factor=1.0001 shifts indices there)."""
    dst = np.arange(n_out)
    if image:
        if not exact and n_out == n_in:
            return dst
        if not exact and n_out == 2 * n_in:
            return dst >> 1
        s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(n_in) / np.float32(n_out)
        src = ((dst + 0.5) * np.float64(s)).astype(np.float32) if exact else dst.astype(np.float32) * s
    else:
        t = np.float64 if dtype == np.float64 else np.float32
        s = t(1.0 / scale) if scale is not None and scale > 0 else t(n_in) / t(n_out)
        src = np.maximum(s * (dst.astype(t) + t(0.5)) - t(0.5), t(0)) + t(0.5) if exact else s * dst.astype(t)
    return np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), n_in - 1)     # (floorf)


def _linear_taps(n_in: int, n_out: int, scale: float | None, align_corners: bool,
                 dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(i0, i1, w0, w1): output index j is w0[j] x[i0[j]] + w1[j] x[i1[j]] (PyTorch's
    compute_source_index_and_lambda, computed in float32 for float32 and float16 inputs, else in float64)."""
    t = np.float64 if dtype == np.float64 else np.float32
    dst = np.arange(n_out)
    if n_out == n_in:
        return dst, dst, np.ones(n_out, t), np.zeros(n_out, t)
    if align_corners:
        ratio = t(n_in - 1) / t(n_out - 1) if n_out > 1 else t(0)
        src = ratio * dst.astype(t)
    else:
        ratio = t(1.0 / scale) if scale is not None and scale > 0 else t(n_in) / t(n_out)
        src = np.maximum(ratio * (dst.astype(t) + t(0.5)) - t(0.5), t(0))      # (negative: clamped to 0)
    i0 = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), n_in - 1)   # PyTorch's floorf
    w1 = np.clip(src - i0.astype(t), t(0), t(1))
    return i0, i0 + (i0 < n_in - 1), t(1) - w1, w1


def _output_size(input: Tensor, size: Any, scale_factor: Any, recompute_scale_factor: bool | None
                 ) -> tuple[list[int], list[float | None]]:
    """The output's spatial size and the scale factors the kernels use (None: in / out), as PyTorch's."""
    dim = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("interpolate: recompute_scale_factor is not meaningful with an explicit size")
    spatial = list(input.shape[2:])
    if size is not None:
        sizes = list(size) if isinstance(size, (tuple, list)) else [size] * dim
        if len(sizes) != dim:
            raise ValueError(f"interpolate: input and output must have the same number of spatial dimensions, but "
                             f"got input with spatial dimensions of {spatial} and output size of {size}")
        if not all(isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_)) for s in sizes):
            raise TypeError(f"interpolate: expected size to be an int or a tuple of ints, got {size!r}")
        out, scales = [int(s) for s in sizes], [None] * dim
    else:
        factors = list(scale_factor) if isinstance(scale_factor, (tuple, list)) else [scale_factor] * dim
        if len(factors) != dim:
            raise ValueError(f"interpolate: input and scale_factor must have the same number of spatial dimensions, "
                             f"but got input with spatial dimensions of {spatial} and scale_factor of {scale_factor}")
        scales = [float(f) for f in factors]
        out = [int(n * f) for n, f in zip(spatial, scales)]          # C++'s truncation of the double product
        if recompute_scale_factor:
            scales = [None] * dim
    if any(n <= 0 for n in spatial + out):
        raise al.ShapeError(f"interpolate: input and output sizes should be greater than 0, but got input size "
                            f"{tuple(spatial)} and output size {tuple(out)}")
    return out, scales


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resample (N, C, *spatial) input to `size` or by `scale_factor`: 'nearest' (PyTorch's default, picks
    floor(dst * in / out)), 'nearest-exact' (the nearest centre), 'linear'/'bilinear'/'trilinear' (3-D, 4-D,
    5-D input; align_corners=False maps pixel centres, True the corner pixels) and 'area' (adaptive average
    pooling; 3-D and 4-D). With scale_factor the kernels use 1 / scale_factor (not in / out) unless
    recompute_scale_factor=True. bicubic, lanczos and antialias are not supported."""
    where = "interpolate"
    _check_dtypes(where, input)
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(f"{where}: align_corners option can only be set with the interpolating modes: "
                             f"linear | bilinear | bicubic | trilinear (got mode={mode!r})")
    elif align_corners is None:
        align_corners = False
    if input.ndim not in (3, 4, 5):
        raise NotImplementedError(f"{where}: only 3D, 4D and 5D inputs (N, C, *spatial) are supported, got shape "
                                  f"{tuple(input.shape)}; an unbatched input needs .unsqueeze(0)")
    if mode not in ("nearest", "nearest-exact", "area", *_LINEAR_MODES):
        raise NotImplementedError(f"{where}: mode={mode!r} is not supported; supported modes: {_SUPPORTED}")
    out_size, scales = _output_size(input, size, scale_factor, recompute_scale_factor)
    if antialias:
        if not (mode == "bilinear" and input.ndim == 4):
            raise ValueError(f"{where}: anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
                             f"requires a 4-D tensor as input, got mode={mode!r} and shape {tuple(input.shape)}")
        raise NotImplementedError(f"{where}: antialias=True is not supported; use antialias=False")
    if mode in _LINEAR_MODES and _LINEAR_MODES[mode] != input.ndim:
        raise NotImplementedError(f"{where}: got {input.ndim}D input, but {mode} mode needs "
                                  f"{_LINEAR_MODES[mode]}D input")
    if input.shape[1] == 0:
        raise al.ShapeError(f"{where}: expected non-empty channels, got input of shape {tuple(input.shape)}")
    if mode == "area":          # PyTorch's: adaptive average pooling to the output size
        if input.ndim == 5:
            raise NotImplementedError(f"{where}: mode='area' is not supported for 5D input (adaptive_avg_pool3d)")
        if input.ndim == 3:
            return al.adaptive_avg_pool2d(input.unsqueeze(2), (1, out_size[0])).squeeze(2)
        return al.adaptive_avg_pool2d(input, tuple(out_size))
    x = input
    for axis in reversed(range(2, input.ndim)):
        n_in, n_out, scale = input.shape[axis], out_size[axis - 2], scales[axis - 2]
        if mode in ("nearest", "nearest-exact"):
            index = _nearest_source(n_in, n_out, scale, mode == "nearest-exact", input.dtype, input.ndim == 4)
            x = x.index_select(axis, al.from_numpy(index))
            continue
        i0, i1, w0, w1 = _linear_taps(n_in, n_out, scale, align_corners, input.dtype)
        shape = (n_out,) + (1,) * (input.ndim - 1 - axis)
        x = (x.index_select(axis, al.from_numpy(i0)) * al.from_numpy(w0.astype(input.dtype).reshape(shape))
             + x.index_select(axis, al.from_numpy(i1)) * al.from_numpy(w1.astype(input.dtype).reshape(shape)))
    return x


# ------------------------------------------------------------------ attention
# Attention is the textbook formula, softmax(Q K^T * scale + bias) V, composed from matmul, softmax and
# masked_fill: the engine differentiates it like any other graph, and a picture of the graph shows it.
# Masks come in two conventions, both PyTorch's: scaled_dot_product_attention's bool mask says where
# attention may go (True = take part), MultiheadAttention's bool masks say where it may not (True = masked
# out). Both become an additive float bias here (0 or -inf), which is what a float mask is already.

def _check_attention_mask(where: str, name: str, mask: Tensor, dtype: np.dtype) -> None:
    """A mask is bool or of the query's floating dtype (PyTorch's rule: a float64 mask for float32 scores
    would silently make the scores float64)."""
    _tensor(where, name, mask)
    if mask.dtype != np.bool_ and mask.dtype != dtype:
        raise al.DTypeError(f"{where}: expected {name} of dtype bool or {dtype} (the query's), got {mask.dtype}")


def _attention_weights(scores: Tensor, masked_rows_to_zero: bool) -> Tensor:
    """softmax over the last dim. A row whose every score is -inf (a query that may attend to nothing)
    has no softmax: scaled_dot_product_attention gives it weights 0 (PyTorch 2.5+'s safe softmax), the
    explicit-weights path of multi_head_attention_forward NaN (PyTorch's plain softmax). Either way the
    row is filled in after a softmax of zeros, so neither the forward nor the backward computes inf - inf."""
    dead = np.isneginf(scores.array).all(axis=-1, keepdims=True)
    if not dead.any():
        return scores.softmax(-1)
    weights = scores.masked_fill(dead, 0.0).softmax(-1)
    return weights.masked_fill(dead, 0.0 if masked_rows_to_zero else math.nan)


def _repeat_heads(x: Tensor, groups: int) -> Tensor:
    """Each head of (..., H, S, E) repeated `groups` times in place: PyTorch's repeat_interleave(groups, -3),
    written as a broadcast so that its gradient sums over the copies."""
    *lead, heads, s, e = x.shape
    return x.unsqueeze(-3).expand(*lead, heads, groups, s, e).reshape(*lead, heads * groups, s, e)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, *, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + bias) V for query (..., L, E), key (..., S, E) and value (..., S, Ev); the
    leading dims broadcast. `scale` defaults to 1/sqrt(E), which keeps the scores' variance near 1 whatever
    E is (so the softmax does not saturate). `attn_mask`, broadcast to (..., L, S): bool, True where a
    query may attend; or float, added to the scores (use -inf to forbid). `is_causal`: query i attends to
    keys 0..i (the lower triangle of L x S, aligned top-left, as PyTorch's), and then attn_mask must be
    None. `dropout_p` drops attention weights, always (pass 0.0 in evaluation, as PyTorch's callers do).
    `enable_gqa`: grouped-query attention, key and value with fewer heads (dim -3) than the query, each
    shared by Hq/Hkv query heads. A query that may attend to nothing gets a zero output, as in PyTorch."""
    where = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        _tensor(where, name, t)
        if t.ndim < 2:
            raise al.ShapeError(f"{where}: expected query, key and value of at least 2 dims (..., L or S, E), got "
                                f"{name} of shape {tuple(t.shape)}")
    if not (query.dtype == key.dtype == value.dtype):
        raise al.DTypeError(f"{where}: expected query, key and value of one dtype, got {query.dtype}, {key.dtype} "
                            f"and {value.dtype}")
    _check_dtypes(where, query)
    if query.shape[-1] != key.shape[-1]:
        raise al.ShapeError(f"{where}: query's last dim (E={query.shape[-1]}) must equal key's, got query of shape "
                            f"{tuple(query.shape)} and key of shape {tuple(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise al.ShapeError(f"{where}: key and value need the same sequence length (dim -2), got key of shape "
                            f"{tuple(key.shape)} and value of shape {tuple(value.shape)}")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{where}: dropout_p has to be between 0 and 1, got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{where}: attn_mask must be None when is_causal=True (the causal mask is the mask)")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        heads, kv_heads = query.shape[-3], key.shape[-3]
        if key.ndim < 3 or value.shape[-3] != kv_heads or heads % kv_heads:
            raise al.ShapeError(f"{where}: with enable_gqa, the query's heads (dim -3, {heads}) must be a multiple "
                                f"of key's and value's, got shapes {tuple(query.shape)}, {tuple(key.shape)}, "
                                f"{tuple(value.shape)}")
        key, value = _repeat_heads(key, heads // kv_heads), _repeat_heads(value, heads // kv_heads)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        attn_mask = al.tensor(np.tril(np.ones((query.shape[-2], key.shape[-2]), dtype=bool)))
    if attn_mask is not None:
        _check_attention_mask(where, "attn_mask", attn_mask, query.dtype)
        try:
            np.broadcast_shapes(attn_mask.shape, scores.shape)
        except ValueError:
            raise al.ShapeError(f"{where}: attn_mask of shape {tuple(attn_mask.shape)} does not broadcast to "
                                f"the scores' shape {tuple(scores.shape)} (..., L, S)") from None
        if attn_mask.dtype == np.bool_:
            scores = scores.masked_fill(~attn_mask.array, -math.inf)
        else:
            scores = scores + attn_mask
    weights = _attention_weights(scores, masked_rows_to_zero=True)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value


def _canonical_mask(mask: Tensor | None, mask_name: str, other: Tensor | None, other_name: str,
                    dtype: np.dtype) -> Tensor | None:
    """A MultiheadAttention mask as an additive float bias of `dtype`: a bool mask's True (masked out)
    becomes -inf, False 0; a float mask is already one. Mixing a bool and a float mask works but warns,
    as PyTorch (which deprecates it) does."""
    if mask is None:
        return None
    if mask.dtype != np.bool_ and mask.dtype.kind != "f":
        raise al.DTypeError(f"multi_head_attention_forward: only bool and floating types of {mask_name} are "
                            f"supported, got dtype {mask.dtype}")
    if other is not None and other.dtype != mask.dtype:
        _warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both instead.")
    if mask.dtype == np.bool_:
        return al.zeros(*mask.shape, dtype=dtype).masked_fill(mask.array, -math.inf)
    if mask.dtype != dtype:
        raise al.DTypeError(f"multi_head_attention_forward: expected a float {mask_name} of the query's dtype "
                            f"{dtype}, got {mask.dtype}")
    return mask


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int,
                                 num_heads: int, in_proj_weight: Tensor | None, in_proj_bias: Tensor | None,
                                 bias_k: Tensor | None, bias_v: Tensor | None, add_zero_attn: bool,
                                 dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Tensor | None,
                                 training: bool = True, key_padding_mask: Tensor | None = None,
                                 need_weights: bool = True, attn_mask: Tensor | None = None,
                                 use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None,
                                 k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None,
                                 static_k: Tensor | None = None, static_v: Tensor | None = None,
                                 average_attn_weights: bool = True, is_causal: bool = False
                                 ) -> tuple[Tensor, Tensor | None]:
    """nn.MultiheadAttention's computation, PyTorch's layout: query (L, N, E) or unbatched (L, E), key and
    value (S, N, kdim/vdim) or (S, kdim/vdim). Project Q, K, V; split E into num_heads heads of E/num_heads;
    attend in each head; concatenate the heads and project with out_proj. Returns the output (L, N, E) and,
    with need_weights, the attention weights (N, L, S), or per head (N, num_heads, L, S) without
    average_attn_weights (unbatched: without N).

    Masks: key_padding_mask (N, S) or (S,), attn_mask (L, S) or (N*num_heads, L, S); bool ones mask out
    where True, float ones are added to the scores. is_causal is PyTorch's hint that attn_mask is the causal
    mask: it still needs attn_mask, and where PyTorch then ignores attn_mask (no key_padding_mask, no
    weights wanted) so does this. A query that may attend to nothing gets NaN with need_weights (PyTorch's
    plain softmax there), zeros without (scaled_dot_product_attention's)."""
    where = "multi_head_attention_forward"
    if query.ndim not in (2, 3):
        raise al.ShapeError(f"{where}: query should be unbatched 2D (L, E) or batched 3D (L, N, E), got shape "
                            f"{tuple(query.shape)}")
    batched = query.ndim == 3
    for name, t in (("key", key), ("value", value)):
        if t.ndim != query.ndim:
            raise al.ShapeError(f"{where}: for a {query.ndim}-D query, expected a {query.ndim}-D {name}, got shape "
                                f"{tuple(t.shape)}")
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        raise al.ShapeError(f"{where}: for a {query.ndim}-D query, expected key_padding_mask of {query.ndim - 1} "
                            f"dims ({'(N, S)' if batched else '(S,)'}), got shape {tuple(key_padding_mask.shape)}")
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        raise al.ShapeError(f"{where}: expected attn_mask of 2 dims (L, S) or 3 dims (N*num_heads, L, S), got shape "
                            f"{tuple(attn_mask.shape)}")
    if not batched:                      # an unbatched input is a batch of one, squeezed again at the end
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise al.ShapeError(f"{where}: was expecting embedding dimension of {embed_dim_to_check}, got {embed_dim} "
                            f"(query of shape {tuple(query.shape)})")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise ValueError(f"{where}: embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2] or (not use_separate_proj_weight and key.shape != value.shape):
        raise al.ShapeError(f"{where}: key of shape {tuple(key.shape)} does not match value of shape "
                            f"{tuple(value.shape)}")
    if key.shape[1] != bsz:
        raise al.ShapeError(f"{where}: key's batch size (dim 1) {key.shape[1]} differs from the query's {bsz}")

    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", attn_mask, "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError(f"{where}: Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                           f"module method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None                 # the hint is trusted: causal attention below, the mask unused
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype)
        if key_padding_mask is not None:
            is_causal = False

    # Input projections: the packed in_proj_weight holds W_q, W_k, W_v one under the other.
    b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
    if use_separate_proj_weight:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise ValueError(f"{where}: use_separate_proj_weight=True needs q_proj_weight, k_proj_weight and "
                             f"v_proj_weight")
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        if in_proj_weight is None:
            raise ValueError(f"{where}: use_separate_proj_weight is False but in_proj_weight is None")
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)

    if attn_mask is not None:
        expected = (tgt_len, src_len) if attn_mask.ndim == 2 else (bsz * num_heads, tgt_len, src_len)
        if attn_mask.shape != expected:
            raise al.ShapeError(f"{where}: the shape of the {attn_mask.ndim}D attn_mask is "
                                f"{tuple(attn_mask.shape)}, but should be {expected}")
        if attn_mask.ndim == 2:
            attn_mask = attn_mask.unsqueeze(0)
    if (bias_k is None) != (bias_v is None):
        raise ValueError(f"{where}: bias_k and bias_v come together (add_bias_kv), got only one of them")
    if bias_k is not None:               # one more, learned, key and value that every query may attend to
        if static_k is not None or static_v is not None:
            raise ValueError(f"{where}: bias cannot be added to a static key or value")
        k = al.cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = al.cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask = None if attn_mask is None else al.pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else al.pad(key_padding_mask, (0, 1))

    # Heads: (len, N, E) -> (N * num_heads, len, head_dim), batch-major then head, as PyTorch's.
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_k is None else static_k
    v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_v is None else static_v
    for name, t in (("static_k", static_k), ("static_v", static_v)):
        if t is not None and (t.ndim != 3 or t.shape[0] != bsz * num_heads or t.shape[2] != head_dim):
            raise al.ShapeError(f"{where}: expected {name} of shape (N*num_heads={bsz * num_heads}, S, "
                                f"head_dim={head_dim}), got {tuple(t.shape)}")
    if add_zero_attn:                    # one more key and value, all zeros
        zeros = al.zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype)
        k, v = al.cat([k, zeros], dim=1), al.cat([v, zeros], dim=1)
        attn_mask = None if attn_mask is None else al.pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else al.pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape != (bsz, src_len):
            raise al.ShapeError(f"{where}: expected key_padding_mask of shape (N, S) = {(bsz, src_len)}, got "
                                f"{tuple(key_padding_mask.shape)}")
        # One row of key biases per batch element, the same for each of its heads.
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    if need_weights:
        # The weights themselves are wanted, so they are computed here (not inside scaled_dot_product_attention).
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = _attention_weights(scores, masked_rows_to_zero=False)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        out = (weights @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        attn_mask = (attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1
                     else attn_mask.reshape(bsz, num_heads, -1, src_len))
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)     # (L, N, heads, head_dim), heads joined
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    return (out if batched else out.squeeze(1)), None
