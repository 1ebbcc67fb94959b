"""Gradient clipping (by global norm, by value) and flattening parameters to one vector and back.

Mirrors torch.nn.utils: `clip_grad_norm_` rescales all gradients together so that their joint norm (the
norm of the concatenation of every gradient) is at most max_norm, which keeps their direction; the
call between `backward()` and `optimizer.step()` is the usual guard against exploding gradients in RNNs.
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable

import numpy as np

import autograd_lite as al

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
           "parameters_to_vector", "vector_to_parameters"]

TensorOrTensors = al.Tensor | Iterable[al.Tensor]


def _vector_norm(x: np.ndarray, p: float) -> np.ndarray:
    """The p-norm of all of x's entries, in x's dtype (PyTorch's `linalg.vector_norm`)."""
    a = np.abs(x.reshape(-1))
    if p == math.inf:
        return np.max(a, initial=0)
    if p == -math.inf:
        return np.min(a)
    if p == 0:
        return np.asarray(np.count_nonzero(a), dtype=a.dtype)
    if p == 1:
        return np.sum(a)
    if p == 2:
        return np.sqrt(np.sum(a * a))
    return np.sum(a**p) ** (1.0 / p)


def get_total_norm(tensors: TensorOrTensors, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> al.Tensor:
    """The norm of the tensors taken together, as if they were concatenated into one vector.

    Computed as PyTorch does, as the norm of the vector of each tensor's norm (the same value for every p).
    `norm_type` may be `float('inf')` (largest absolute entry).
    """
    tensors = [tensors] if isinstance(tensors, al.Tensor) else list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return al.tensor(0.0)
    norms = [_vector_norm(t.array, norm_type) for t in tensors]
    total = _vector_norm(np.stack(norms), norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           f"it cannot be clipped. To disable this error and scale the gradients by the "
                           f"non-finite norm anyway, set `error_if_nonfinite=False`")
    return al.tensor(total)


def clip_grads_with_norm_(parameters: TensorOrTensors, max_norm: float, total_norm: al.Tensor) -> None:
    """Scale every gradient in place by min(max_norm / (total_norm + 1e-6), 1): only ever down."""
    parameters = [parameters] if isinstance(parameters, al.Tensor) else list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    if len(grads) == 0:
        return
    total = total_norm.array if isinstance(total_norm, al.Tensor) else np.asarray(total_norm)
    # The 1e-6 keeps a zero norm from dividing by zero; the coefficient is in the norm's dtype.
    clip_coef = float(max_norm) / (total + 1e-6)
    clip_coef_clamped = np.minimum(clip_coef, np.asarray(1.0, dtype=clip_coef.dtype))
    with al.no_grad():
        for g in grads:
            g.mul_(clip_coef_clamped)


def clip_grad_norm_(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> al.Tensor:
    """Rescale the gradients of `parameters` in place so their joint norm is at most `max_norm`.

    Args:
        parameters: a Tensor or an iterable of Tensors whose `.grad` is clipped (those without one are skipped).
        max_norm: the largest norm allowed. norm_type: the p of the p-norm, or `float('inf')`.
        error_if_nonfinite: raise if the total norm is nan or inf (otherwise the gradients become nan).

    Returns:
        The total norm of the gradients before clipping, as a 0-d Tensor.
    """
    if isinstance(parameters, al.Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total_norm)
    return total_norm


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float) -> None:
    """Clamp every gradient of `parameters` in place into [-clip_value, clip_value]."""
    parameters = [parameters] if isinstance(parameters, al.Tensor) else list(parameters)
    clip_value = float(clip_value)
    with al.no_grad():
        for p in parameters:
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)


def parameters_to_vector(parameters: Iterable[al.Tensor]) -> al.Tensor:
    """All parameters flattened and concatenated into one vector (differentiable, like any `cat`)."""
    return al.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: al.Tensor, parameters: Iterable[al.Tensor]) -> None:
    """Give each parameter its slice of `vec` as its data, in order (the inverse of parameters_to_vector).

    As in PyTorch, this replaces each parameter's `.array` by a view of `vec`: they share memory afterwards,
    and autograd does not see the change.
    """
    if not isinstance(vec, al.Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        if pointer + n > vec.numel():
            raise ValueError(f"vector_to_parameters: vec has {vec.numel()} elements, too few for the parameters")
        param.array = vec.array[pointer:pointer + n].reshape(param.shape)
        pointer += n
