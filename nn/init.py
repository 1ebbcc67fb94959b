"""nn.init: fill a tensor in place with starting values, as torch.nn.init does (gains, fans, Xavier, Kaiming).

Every initializer writes into the tensor's own array, in the tensor's dtype, under `no_grad()`,
and returns the same tensor, so `nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5))` works on
parameters. Writes go through `Tensor.copy_`/`fill_`/`zero_`, which bump the tensor's version
counter: a graph that saved the old values then refuses to backpropagate through the new ones.

Randomness comes from `generator=` (a `numpy.random.Generator`) or else from autograd_lite's
default generator, looked up at each call, so `al.manual_seed(s)` makes initialisation repeatable.
Samples are drawn in float64 and rounded once into the tensor's dtype.

Fans follow PyTorch's layout for weights: `(out_features, in_features)` for Linear and
`(out_channels, in_channels, *kernel)` for convolutions, hence fan_in = size(1) * receptive field.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

import autograd_lite as al

__all__ = [
    "calculate_gain",
    "calculate_fan_in_and_fan_out",
    "zeros_",
    "ones_",
    "constant_",
    "eye_",
    "normal_",
    "uniform_",
    "trunc_normal_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
_FAN_MODES = ["fan_in", "fan_out"]


# ---------------------------------------------------------------- helpers


def _check_tensor(tensor: Any, where: str) -> None:
    if not isinstance(tensor, al.Tensor):
        raise TypeError(f"{where}: expected an autograd_lite Tensor, got {type(tensor).__name__}")


def _check_floating(tensor: al.Tensor, where: str) -> None:
    # Random values would be silently truncated in an integer array; PyTorch refuses too.
    if not tensor.is_floating_point():
        raise TypeError(f"{where}: expects a floating-point tensor, got dtype {tensor.dtype}")


def _generator(generator: np.random.Generator | None) -> np.random.Generator:
    # The default is looked up now, not at import: manual_seed replaces the generator object.
    if generator is None:
        return al.default_generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a numpy.random.Generator, got {type(generator).__name__}")
    return generator


def _copy_into(tensor: al.Tensor, values: np.ndarray) -> al.Tensor:
    # copy_ keeps the array object and its dtype, and counts the write in the version counter.
    with al.no_grad():
        tensor.copy_(values)
    return tensor


def _uniform_fill(tensor: al.Tensor, a: float, b: float, generator: np.random.Generator | None,
                  where: str) -> al.Tensor:
    _check_tensor(tensor, where)
    _check_floating(tensor, where)
    if a > b:
        raise ValueError(f"{where}: expects to return a [from, to) range, but found from={a} > to={b}")
    return _copy_into(tensor, _generator(generator).uniform(a, b, tensor.shape))


def _normal_fill(tensor: al.Tensor, mean: float, std: float, generator: np.random.Generator | None,
                 where: str) -> al.Tensor:
    _check_tensor(tensor, where)
    _check_floating(tensor, where)
    if std < 0:
        raise ValueError(f"{where}: expects std >= 0.0, but found std {std}")
    return _copy_into(tensor, _generator(generator).normal(mean, std, tensor.shape))


# ---------------------------------------------------------------- gains and fans


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (its `nn.functional` name), as in PyTorch.

    linear, conv*, sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu: sqrt(2 / (1 + slope^2)) with
    `param` as the negative slope (0.01 if None); selu: 3/4.
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):  # True is an int: refuse it
            negative_slope = float(param)
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        # Found empirically by PyTorch (pytorch/pytorch#50664); use "linear" for self-normalising nets.
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def calculate_fan_in_and_fan_out(tensor: al.Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel): each is a channel count times the kernel size.

    A Linear weight (out_features, in_features) has fan_in = in_features and fan_out = out_features;
    a conv weight (out_channels, in_channels, kh, kw) has fan_in = in_channels * kh * kw.
    """
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    # Each output unit sees in_channels * (kernel positions) inputs, and each input reaches as many outputs.
    receptive_field_size = math.prod(shape[2:])
    return shape[1] * receptive_field_size, shape[0] * receptive_field_size


# PyTorch's name, which layer code (`reset_parameters`) written against torch calls.
_calculate_fan_in_and_fan_out = calculate_fan_in_and_fan_out


def _calculate_correct_fan(tensor: al.Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in _FAN_MODES:
        raise ValueError(f"Mode {mode} not supported, please use one of {_FAN_MODES}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


# ---------------------------------------------------------------- constants


def zeros_(tensor: al.Tensor) -> al.Tensor:
    """Fill with 0."""
    _check_tensor(tensor, "zeros_")
    with al.no_grad():
        tensor.zero_()
    return tensor


def ones_(tensor: al.Tensor) -> al.Tensor:
    """Fill with 1."""
    return constant_(tensor, 1.0)


def constant_(tensor: al.Tensor, val: float) -> al.Tensor:
    """Fill with `val`."""
    _check_tensor(tensor, "constant_")
    with al.no_grad():
        tensor.fill_(val)
    return tensor


def eye_(tensor: al.Tensor) -> al.Tensor:
    """Fill a 2-D tensor with the identity (ones on the main diagonal of a possibly non-square matrix)."""
    _check_tensor(tensor, "eye_")
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _copy_into(tensor, np.eye(*tensor.shape))


# ---------------------------------------------------------------- plain distributions


def uniform_(tensor: al.Tensor, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | None = None) -> al.Tensor:
    """Fill with samples from the uniform distribution U(a, b)."""
    return _uniform_fill(tensor, a, b, generator, "uniform_")


def normal_(tensor: al.Tensor, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | None = None) -> al.Tensor:
    """Fill with samples from the normal distribution N(mean, std^2)."""
    return _normal_fill(tensor, mean, std, generator, "normal_")


def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(tensor: al.Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: np.random.Generator | None = None) -> al.Tensor:
    """Fill with samples from N(mean, std^2) conditioned on lying in [a, b] (out-of-range draws are redrawn).

    Works best when a <= mean <= b. Note a and b are absolute bounds, not multiples of std.
    """
    _check_tensor(tensor, "trunc_normal_")
    _check_floating(tensor, "trunc_normal_")
    if not std > 0:
        raise ValueError(f"trunc_normal_: expects std > 0.0, but found std {std}")
    if a > b:
        raise ValueError(f"trunc_normal_: expects a <= b, but found a={a} > b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    gen = _generator(generator)
    n = math.prod(tensor.shape)
    # The share of the normal's mass inside [a, b] decides how to sample, as in PyTorch.
    mass = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
    if mass > 0.3:
        # Redraw only the misses: each round keeps >30% of them, so few rounds are needed.
        values = gen.normal(mean, std, n)
        missed = np.flatnonzero((values < a) | (values > b))
        while missed.size:
            values[missed] = gen.normal(mean, std, missed.size)
            missed = missed[(values[missed] < a) | (values[missed] > b)]
    else:
        # A narrow or far window would reject almost every normal draw. Propose uniformly on [a, b]
        # instead and accept x with probability pdf(x) / max pdf on [a, b] (at the point nearest the mean).
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ValueError(f"trunc_normal_: [a, b] = [{a}, {b}] is unbounded but holds only {mass:.3g} of "
                             f"the normal's mass; use finite bounds")
        peak = min(max(mean, a), b)
        log_peak = -0.5 * ((peak - mean) / std) ** 2
        values = np.empty(n)
        pending = np.arange(n)
        while pending.size:
            x = gen.uniform(a, b, pending.size)
            accept = np.log(gen.random(pending.size)) <= -0.5 * ((x - mean) / std) ** 2 - log_peak
            values[pending[accept]] = x[accept]
            pending = pending[~accept]
    return _copy_into(tensor, values.reshape(tensor.shape))


# ---------------------------------------------------------------- scaled by the fans


def xavier_uniform_(tensor: al.Tensor, gain: float = 1.0,
                    generator: np.random.Generator | None = None) -> al.Tensor:
    """Glorot & Bengio (2010): U(-bound, bound) with bound = gain * sqrt(6 / (fan_in + fan_out))."""
    _check_tensor(tensor, "xavier_uniform_")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    # Averaging the fans balances the forward and backward variances; U(-a, a) has std a / sqrt(3).
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return _uniform_fill(tensor, -bound, bound, generator, "xavier_uniform_")


def xavier_normal_(tensor: al.Tensor, gain: float = 1.0,
                   generator: np.random.Generator | None = None) -> al.Tensor:
    """Glorot & Bengio (2010): N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _check_tensor(tensor, "xavier_normal_")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _normal_fill(tensor, 0.0, std, generator, "xavier_normal_")


def _kaiming_std(tensor: al.Tensor, a: float, mode: str, nonlinearity: str) -> float:
    # fan_in keeps the forward activations' variance; fan_out keeps the backward gradients'.
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _is_empty(tensor: al.Tensor) -> bool:
    # PyTorch returns before computing fans, so an empty weight of any shape passes untouched.
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def kaiming_uniform_(tensor: al.Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> al.Tensor:
    """He et al. (2015): U(-bound, bound) with bound = gain * sqrt(3 / fan), fan picked by `mode`.

    `a` is the negative slope of the leaky ReLU that follows (used only with 'leaky_relu'); with the
    defaults (a=0, 'leaky_relu') the gain is sqrt(2), as for ReLU. Fans assume the (out, in) layout:
    for a weight used as `x @ w`, pass `w.T`.
    """
    _check_tensor(tensor, "kaiming_uniform_")
    if _is_empty(tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return _uniform_fill(tensor, -bound, bound, generator, "kaiming_uniform_")


def kaiming_normal_(tensor: al.Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> al.Tensor:
    """He et al. (2015): N(0, std^2) with std = gain / sqrt(fan), fan picked by `mode` (see kaiming_uniform_)."""
    _check_tensor(tensor, "kaiming_normal_")
    if _is_empty(tensor):
        return tensor
    return _normal_fill(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator, "kaiming_normal_")


# ---------------------------------------------------------------- orthogonal


def orthogonal_(tensor: al.Tensor, gain: float = 1, generator: np.random.Generator | None = None) -> al.Tensor:
    """Saxe et al. (2013): a (semi-)orthogonal matrix times `gain`; dims after the first are flattened.

    For a (rows, cols) view, the rows are orthonormal when rows <= cols (W W^T = I), else the columns are.
    """
    _check_tensor(tensor, "orthogonal_")
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    _check_floating(tensor, "orthogonal_")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flattened = _generator(generator).standard_normal((rows, cols))
    # QR of a tall matrix gives orthonormal columns; for a wide one, factor its transpose.
    if rows < cols:
        flattened = flattened.T
    q, r = np.linalg.qr(flattened)
    # QR's signs are a convention, which biases Q; flipping each column by the sign of R's diagonal
    # makes Q Haar-distributed (Mezzadri, arXiv:math-ph/0609050).
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _copy_into(tensor, (gain * q).reshape(tensor.shape))
