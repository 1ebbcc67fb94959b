"""Convolution and pooling: conv1d/2d, conv_transpose1d/2d, max_pool2d, avg_pool2d, adaptive_avg_pool2d, as PyTorch's.

Each checks its arguments and applies PyTorch's size rules (stride, padding, output_padding, dilation,
groups, ceil_mode), then calls one primitive from ops.py, whose kernels (im2col over strided windows) are
in conv_kernels.py. A transposed convolution is the `conv_transpose` primitive that is already conv's
input gradient: its own gradients are a conv and a conv weight gradient, so it is twice differentiable.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from . import conv_kernels, ops
from .checks import check_same_dtype
from .errors import DTypeError, ShapeError
from .tensor import Tensor, tensor_arg, wrap


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
    x = tensor_arg(input, op)
    if x.ndim not in (nd + 1, nd + 2):
        raise ShapeError(f"{op}: expected a {nd + 1}D (unbatched) or {nd + 2}D (batched) input, "
                         f"got shape {tuple(x.shape)}")
    if x.dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating point input, got dtype {x.dtype}")
    if builtins.any(n == 0 for n in x.shape[-nd - 1:]):
        raise ShapeError(f"{op}: expected a {nd + 1}D or {nd + 2}D input with non-zero sizes in every dim but "
                         f"the batch dim, got shape {tuple(x.shape)}")
    return (x.unsqueeze(0), True) if x.ndim == nd + 1 else (x, False)


def _operands(op: str, nd: int, input: Any, weight: Any, groups: Any, layout: str) -> tuple:
    """A convolution's checked operands: (input with a batch dim, whether it had none, weight, groups as an
    int, the input's shape as given). `layout` names the weight's first two dims in the error."""
    x, unbatched = _spatial_input(input, nd, op)
    w = tensor_arg(weight, op)
    kernel_dims = ("kH", "kW") if nd == 2 else ("kL",) if nd == 1 else tuple(f"k{i}" for i in range(nd))
    if w.ndim != nd + 2:
        raise ShapeError(f"{op}: expected a {nd + 2}D weight ({layout}, {', '.join(kernel_dims)}), got shape "
                         f"{tuple(w.shape)}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups <= 0:
        raise ShapeError(f"{op}: groups must be a positive integer, got {groups!r}")
    return x, unbatched, w, int(groups), tuple(tensor_arg(input, op).shape)


def _conv(op: str, nd: int, input: Any, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
          dilation: Any, groups: int) -> Tensor:
    x, unbatched, w, groups, shown = _operands(op, nd, input, weight, groups, "out_channels, in_channels/groups")
    c, o = x.shape[1], w.shape[0]
    if c % groups:
        raise ShapeError(f"{op}: input of shape {shown} has {c} channels, which is not divisible by groups={groups}")
    if w.shape[1] * groups != c:
        raise ShapeError(f"{op}: weight of shape {tuple(w.shape)} expects {w.shape[1] * groups} input channels "
                         f"(weight.shape[1]={w.shape[1]} x groups={groups}), but the input of shape {shown} has {c}")
    if o % groups:
        raise ShapeError(f"{op}: weight of shape {tuple(w.shape)} has {o} output channels, which is not divisible "
                         f"by groups={groups}")
    if bias is not None and tensor_arg(bias, op).shape != (o,):
        raise ShapeError(f"{op}: bias of shape {tuple(tensor_arg(bias).shape)} does not match weight of shape "
                         f"{tuple(w.shape)}; expected shape ({o},), one per output channel")
    check_same_dtype(op, x, w, bias)
    stride_t = _positive(stride, nd, "stride", op)
    dilation_t = _positive(dilation, nd, "dilation", op)
    kernel = w.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pairs = ((0, 0),) * nd
        elif padding == "same":
            if builtins.any(s != 1 for s in stride_t):
                raise ShapeError(f"{op}: padding='same' is not supported for strided convolutions (stride={stride!r})")
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


def _conv_transpose(op: str, nd: int, input: Any, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
                    output_padding: Any, groups: int, dilation: Any) -> Tensor:
    x, unbatched, w, groups, shown = _operands(op, nd, input, weight, groups, "in_channels, out_channels/groups")
    c = x.shape[1]
    if w.shape[0] != c:
        raise ShapeError(f"{op}: weight of shape {tuple(w.shape)} expects {w.shape[0]} input channels "
                         f"(weight.shape[0], the transposed layout), but the input of shape {shown} has {c}")
    if c % groups:
        raise ShapeError(f"{op}: weight of shape {tuple(w.shape)} has {c} input channels (dim 0), which is not "
                         f"divisible by groups={groups}")
    o = w.shape[1] * groups
    if bias is not None and tensor_arg(bias, op).shape != (o,):
        raise ShapeError(f"{op}: bias of shape {tuple(tensor_arg(bias).shape)} does not match weight of shape "
                         f"{tuple(w.shape)} and groups={groups}; expected shape ({o},), one per output channel")
    check_same_dtype(op, x, w, bias)
    stride_t = _positive(stride, nd, "stride", op)
    dilation_t = _positive(dilation, nd, "dilation", op)
    pad, extra = _tuple(padding, nd, "padding", op), _tuple(output_padding, nd, "output_padding", op)
    if builtins.any(p < 0 for p in pad):
        raise ShapeError(f"{op}: padding must be non-negative, got {padding!r}")
    if builtins.any(e < 0 for e in extra):
        raise ShapeError(f"{op}: output_padding must be non-negative, got {output_padding!r}")
    if builtins.any(e >= s and e >= d for e, s, d in zip(extra, stride_t, dilation_t)):
        raise ShapeError(f"{op}: output_padding must be smaller than either stride or dilation, got "
                         f"output_padding={extra}, stride={stride_t}, dilation={dilation_t}")
    # The size the convolution with these settings maps back onto this input: PyTorch's formula.
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + e + 1
                 for n, s, p, d, k, e in zip(x.shape[2:], stride_t, pad, dilation_t, w.shape[2:], extra))
    if builtins.any(n < 1 for n in size):
        raise ShapeError(f"{op}: input of shape {shown} gives an output of size {size} (stride {stride_t}, padding "
                         f"{pad}, dilation {dilation_t}, kernel {tuple(w.shape[2:])}): the output size is too small")
    # The result is the full transposed convolution, all (n - 1) s + d (k - 1) + 1 positions its windows
    # reach, cut to [padding, padding + size): output_padding moves the end of the cut into the padding cut
    # off after (asymmetric padding for the primitive), and past the full length it adds zeros. So the
    # primitive's padded length is the full length, and conv (its gradient) gives back the input's size.
    full = tuple(n + 2 * p - e for n, p, e in zip(size, pad, extra))
    settings = {"stride": stride_t, "dilation": dilation_t, "groups": groups}
    if builtins.any(p >= f for p, f in zip(pad, full)):      # a cut past the full result's end: zeros there
        out = ops.conv_transpose(x, w, size=full, padding=((0, 0),) * nd, **settings)
        out = ops.pad(out, pairs=((0, 0), (0, 0), *((0, builtins.max(e - p, 0)) for p, e in zip(pad, extra))),
                      value=0.0)
        out = out[(slice(None), slice(None), *(slice(p, p + n) for p, n in zip(pad, size)))]
    else:
        zeros = tuple(builtins.max(e - p, 0) for p, e in zip(pad, extra))
        out = ops.conv_transpose(x, w, size=tuple(n - z for n, z in zip(size, zeros)),
                                 padding=tuple((p, builtins.max(p - e, 0)) for p, e in zip(pad, extra)), **settings)
        if builtins.any(zeros):
            out = ops.pad(out, pairs=((0, 0), (0, 0), *((0, z) for z in zeros)), value=0.0)
    if bias is not None:
        out = out + tensor_arg(bias, op).reshape(o, *(1,) * nd)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """1-D transposed convolution (the input gradient of conv1d) of (N, C_in, L) or (C_in, L) input with a
    weight of shape (in_channels, out_channels/groups, kL); output length (L - 1) stride - 2 padding +
    dilation (kL - 1) + output_padding + 1."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """2-D transposed convolution (the input gradient of conv2d, a "deconvolution") of (N, C_in, H, W) or
    (C_in, H, W) input with a weight of shape (in_channels, out_channels/groups, kH, kW). stride, padding,
    output_padding (extra rows and columns at the end, each below the stride or the dilation) and
    dilation: an int or a pair."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


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
        raise ShapeError(f"{op}: input of shape {tuple(x.shape)} is too small for kernel_size={kernel_size!r}, "
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
    argmax = conv_kernels.max_pool_argmax(x.array, kernel, stride_t, pad, dilation_t, size)
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
    return ops.cat(*parts, dim=dim)       # (two parts at least: one cell took the branch above)


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

