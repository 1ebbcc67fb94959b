"""Activation modules: ReLU, LeakyReLU, PReLU (a learnable slope), ELU, Tanh, Sigmoid, Softplus, GELU,
Softmax, LogSoftmax -- thin wrappers over nn.functional that carry their settings."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_lite as al

from . import functional as F
from .module import Module, check_device
from .parameter import Parameter


class ReLU(Module):
    """max(0, x)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.relu(input, self.inplace)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    """Leaky ReLU whose slope is learned: one shared slope, or one per channel (dim 1)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None) -> None:
        check_device(device, type(self).__name__)
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(al.full((num_parameters,), init, dtype=np.dtype(dtype or np.float32)))

    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Tanh(Module):
    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.tanh(input)


class Sigmoid(Module):
    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.sigmoid(input)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class SiLU(Module):
    """x * sigmoid(x) (swish)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.silu(input)


class GELU(Module):
    """x * Phi(x), exact (erf) by default or with the tanh approximation."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: al.Tensor) -> al.Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
