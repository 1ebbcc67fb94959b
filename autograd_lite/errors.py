"""The exceptions tensor ops raise for bad shapes, dtypes and sizes: Python's classes and PyTorch's at once.

Python's convention is ValueError for a bad shape and TypeError for a bad dtype; PyTorch raises
RuntimeError for both. Each class here is both, so `except ValueError` and `except RuntimeError`
(in code ported from PyTorch) catch the same mistakes.
"""

from __future__ import annotations

import math
import operator
import os
from collections.abc import Sequence
from typing import Any

import numpy as np


class ShapeError(ValueError, RuntimeError):
    """Shapes (or other arguments) that a tensor op cannot work with."""


class DTypeError(TypeError, RuntimeError):
    """A dtype that a tensor op cannot work with, or two that it cannot combine."""


class AllocationError(MemoryError, RuntimeError):
    """A tensor too large for this machine's memory, refused before any of it is allocated."""


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):       # not POSIX: no bound but the address space
        return 2**63


_MEMORY = _memory_bytes()


def is_int(n: Any) -> bool:
    """An int, or what stands for one (a NumPy integer, a one-element integer tensor): not a bool, a float,
    a float tensor or a type (np.int32 has an __index__ method too)."""
    if isinstance(n, (bool, np.bool_, type)):
        return False
    try:
        operator.index(n)
    except TypeError:
        return False
    return True


def check_allocation(op: str, shape: Sequence[int], dtype: Any) -> tuple[int, ...]:
    """`shape` as ints, refused before anything is allocated if a size is negative or the tensor would
    not fit in this machine's memory (NumPy would try first, sometimes after allocating gigabytes of
    intermediate results, and fail with less to say)."""
    for n in shape:                 # ints (or what stands for one: a NumPy int, a 0-d int tensor), not 2.5
        if not is_int(n):
            raise TypeError(f"{op}: a size must be an int, got {type(n).__name__} {n!r} in {tuple(shape)!r}")
    shape = tuple(int(n) for n in shape)
    if any(n < 0 for n in shape):
        raise ShapeError(f"{op}: trying to create a tensor with a negative dimension: shape {shape}")
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    if nbytes > _MEMORY:
        raise AllocationError(f"{op}: a tensor of shape {shape} and dtype {np.dtype(dtype)} would need {nbytes:,} "
                              f"bytes, more than this machine's {_MEMORY:,} bytes of memory")
    return shape
