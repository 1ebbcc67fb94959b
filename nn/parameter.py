"""nn.Parameter: a Tensor that a Module registers as learnable (requires_grad=True by default)."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_lite as al


class Parameter(al.Tensor):
    """A tensor that is a module's parameter: assigning one to a Module attribute registers it.

    Like `torch.nn.Parameter(tensor)`, it shares memory with the tensor or array it wraps.
    Results of operations on a Parameter are plain Tensors.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty((0,), dtype=np.float32)
        super().__init__(data, requires_grad=requires_grad, copy=False)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
