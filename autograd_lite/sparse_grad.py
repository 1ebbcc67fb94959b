"""Sparse gradients: the gradient of reading part of a tensor, kept as parts until it is complete.

Skip on a first reading: to the backward pass (engine.py) a `SparseGrad` is just a gradient that can be
added to other gradients and made dense.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class SparseGrad:
    """A gradient that is zero except where part of a tensor was read: `x[index]` sends back only
    `values` at `index`. The engine adds such parts up as a list and writes them into one array of zeros
    when the tensor's turn comes, so reading a sequence step by step (`x[t]` for every t, `chunk`) costs
    work in proportion to the parts, not one full-size array of zeros per part added up (quadratic in
    the length).
    """

    __slots__ = ("shape", "dtype", "parts")
    # `array + SparseGrad`: NumPy must not try to make an array of it, but let Python call __radd__.
    __array_ufunc__ = None

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, index: Any, values: np.ndarray) -> None:
        self.shape, self.dtype = shape, dtype
        self.parts = [(index, values)]

    def dense(self) -> np.ndarray:
        z = np.zeros(self.shape, dtype=self.dtype)
        for index, values in self.parts:
            parts = index if isinstance(index, tuple) else (index,)
            if any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts):
                np.add.at(z, index, values)      # integer arrays may repeat an element: accumulate
            else:
                z[index] += values                # slices, ints, masks: each element once per part
        return z

    def astype(self, dtype: np.dtype) -> SparseGrad:
        """The same parts, to be written into zeros of `dtype` (the input's dtype): this object, changed (the
        engine's own, as in __add__), not a copy as NumPy's astype."""
        self.dtype = dtype
        return self

    def __add__(self, other: Any) -> Any:
        """Adding up gradients. In place: the engine owns both (every rule returns a new SparseGrad, and the
        engine adds into the one it keeps for a tensor until that tensor's turn)."""
        if type(other) is SparseGrad:
            self.parts += other.parts             # still sparse: more parts
            return self
        dense = self.dense()                      # a fresh array of ours
        dense += other
        return dense

    __radd__ = __add__

    def values(self) -> list[np.ndarray]:
        """The values of the parts (what anomaly mode checks for NaN and Inf)."""
        return [values for _, values in self.parts]
