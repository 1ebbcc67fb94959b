"""`Size`: PyTorch's `torch.Size`, the tuple that `Tensor.shape` and `Tensor.size()` return.

A tuple in every way (equal to the plain tuple, usable as a NumPy shape), that prints as PyTorch's does and
has `numel()`. Slicing it and adding tuples to it give a Size again, as in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any


class Size(tuple):
    __slots__ = ()
    shown_as = "al.Size"     # torch_compat shows it as "torch.Size", so printed shapes read as PyTorch's

    def __repr__(self) -> str:
        return f"{Size.shown_as}({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        return math.prod(self)

    def __getitem__(self, index: Any) -> Any:
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other: Any) -> Size:
        return Size(tuple.__add__(self, tuple(other) if isinstance(other, tuple) else other))

    def __radd__(self, other: Any) -> Size:
        return Size(tuple(other) + tuple(self))
