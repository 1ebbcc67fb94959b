"""Convolution, pooling and upsampling layers: Conv1d/2d, ConvTranspose1d/2d, MaxPool2d, AvgPool2d,
AdaptiveAvgPool2d, Upsample, UpsamplingNearest2d, UpsamplingBilinear2d.

Parameter names, shapes, defaults and initialisation are PyTorch's: a Conv2d weight is
(out_channels, in_channels // groups, kH, kW), a ConvTranspose2d weight (in_channels, out_channels // groups,
kH, kW), and the bias (out_channels,), both drawn as kaiming_uniform_(a=sqrt(5)) gives (uniform in
+-1/sqrt(fan_in), fan_in from the weight's dim 1 and kernel), so state dicts move between the two
libraries unchanged. The arithmetic is in autograd_lite (conv1d, conv2d, ... and their primitives).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as al

from . import functional as F
from . import init
from .module import Module, check_device
from .parameter import Parameter


def _ntuple(value: Any, n: int) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _ConvNd(Module):
    _dims = 0
    _transposed = False           # the weight's first two dims: (in, out // groups) when transposed

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        check_device(device, type(self).__name__)
        super().__init__()
        name, n = type(self).__name__, self._dims
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by groups ({groups})")
        self.stride, self.dilation = _ntuple(stride, n), _ntuple(dilation, n)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of 'valid', 'same'")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
            self.padding: Any = padding
        else:
            self.padding = _ntuple(padding, n)
        if padding_mode != "zeros":
            if padding_mode in ("reflect", "replicate", "circular"):
                raise NotImplementedError(f"{name}: padding_mode={padding_mode!r} is not supported; only 'zeros'")
            raise ValueError(f"{name}: padding_mode must be one of 'zeros', 'reflect', 'replicate' or "
                             f"'circular', got {padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _ntuple(kernel_size, n)
        self.groups, self.padding_mode = groups, padding_mode
        dt = np.dtype(np.float32 if dtype is None else dtype)
        channels = (in_channels, out_channels // groups) if self._transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(al.empty(*channels, *self.kernel_size, dtype=dt))
        if bias:
            self.bias = Parameter(al.empty(out_channels, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if getattr(self, "output_padding", (0,) * self._dims) != (0,) * self._dims:     # (transposed only)
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) or (C_in, L) inputs; weight (out_channels, in_channels/groups, k)."""

    _dims = 1

    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W) inputs; weight (out_channels, in_channels/groups,
    kH, kW)."""

    _dims = 2

    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'{type(self).__name__}: only "zeros" padding mode is supported, got {padding_mode!r}')
        if isinstance(padding, str):
            raise TypeError(f"{type(self).__name__}: padding must be an int or a tuple of ints, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)
        self.output_padding = _ntuple(output_padding, self._dims)

    def _output_padding(self, input: al.Tensor, output_size: Any) -> tuple[int, ...]:
        """output_padding, or the one that gives `output_size` (its last dims: the spatial ones), as PyTorch's."""
        if output_size is None:
            return self.output_padding
        n = self._dims
        batched = input.ndim == n + 2
        sizes = list(output_size)
        if len(sizes) == n + (2 if batched else 1):
            sizes = sizes[-n:]
        if len(sizes) != n:
            raise ValueError(f"{type(self).__name__}: for {input.ndim}D input, output_size must have {n} or "
                             f"{n + (2 if batched else 1)} elements (got {len(sizes)})")
        spatial = input.shape[-n:]
        smallest = [(i - 1) * s - 2 * p + d * (k - 1) + 1 for i, s, p, d, k in
                    zip(spatial, self.stride, self.padding, self.dilation, self.kernel_size)]
        largest = [m + s - 1 for m, s in zip(smallest, self.stride)]
        if any(not lo <= size <= hi for size, lo, hi in zip(sizes, smallest, largest)):
            raise ValueError(f"{type(self).__name__}: requested an output size of {list(output_size)}, but valid "
                             f"sizes range from {smallest} to {largest} (for an input of {tuple(spatial)})")
        return tuple(size - lo for size, lo in zip(sizes, smallest))


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution (conv1d's input gradient) over (N, C_in, L) or (C_in, L) inputs; weight
    (in_channels, out_channels/groups, k). `output_size` in forward picks the output_padding that gives it."""

    _dims = 1

    def forward(self, input: al.Tensor, output_size: Any = None) -> al.Tensor:
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (conv2d's input gradient, an upsampling layer) over (N, C_in, H, W) or
    (C_in, H, W) inputs; weight (in_channels, out_channels/groups, kH, kW). `output_size` in forward picks the
    output_padding that gives it (a stride-2 layer maps 7 and 8 both to 4: output_size says which to undo)."""

    _dims = 2

    def forward(self, input: al.Tensor, output_size: Any = None) -> al.Tensor:
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups, self.dilation)


class MaxPool2d(Module):
    """The maximum over each kernel_size window; stride defaults to kernel_size."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: al.Tensor) -> Any:
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """The mean over each kernel_size window; stride defaults to kernel_size (ceil_mode=False only)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size (oH, oW), whatever the input's spatial size."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class Upsample(Module):
    """Resamples (N, C, *spatial) inputs to `size` or by `scale_factor` with F.interpolate's modes."""

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):            # stored as floats, as PyTorch's
            self.scale_factor: Any = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample with mode='nearest' (PyTorch's older name)."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample with mode='bilinear' and align_corners=True (PyTorch's older name; note the corners)."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
