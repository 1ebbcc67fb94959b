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
        raise ShapeError(f"{op}: trying to create a tensor with a negative dimension: shape {tuple(shape)}")
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    if nbytes > _MEMORY:
        raise AllocationError(f"{op}: a tensor of shape {tuple(shape)} and dtype {np.dtype(dtype)} would need "
                              f"{nbytes:,} bytes, more than this machine's {_MEMORY:,} bytes of memory")
    return shape


SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or to use results after the graph was "
    "freed): the intermediate values were released after the first backward. Pass "
    "retain_graph=True to the first backward() or grad() call if you need to backward twice."
)


def _describe(a: Any) -> str:
    if hasattr(a, "grad_fn"):
        return f"Tensor(shape={tuple(a.shape)}, dtype={a.dtype})"
    if isinstance(a, np.ndarray):
        return f"ndarray(shape={tuple(a.shape)}, dtype={a.dtype})"
    return repr(a)


def unsupported_operand(op: str, value: Any) -> DTypeError:
    """The error for an operand that is not a Tensor, a number or a NumPy array (a list, a string...)."""
    shown = repr(value) if len(repr(value)) <= 40 else "..."
    return DTypeError(f"{op}: unsupported operand of type {type(value).__name__} ({shown}): expected Tensors, numbers "
                      f"or NumPy arrays of numbers (make a tensor with al.tensor)")


def op_error(name: str, args: Sequence[Any], attrs: dict, exc: Exception) -> Exception:
    """NumPy's complaint about an op's arguments, as an error that names our op and what it was given."""
    shapes = [tuple(a.shape) for a in args if hasattr(a, "grad_fn") or isinstance(a, np.ndarray)]
    if name == "matmul" and len(shapes) == 2 and isinstance(exc, ValueError):
        a, b = shapes
        ka = a[-1] if a else None
        kb = (b[-2] if len(b) >= 2 else b[0]) if b else None
        msg = (f"matmul: shapes {a} and {b} cannot be multiplied: the inner dimensions differ "
               f"({ka} != {kb}); expected the last dim of the first to equal the "
               f"{'only' if len(b) == 1 else 'second-to-last'} dim of the second")
        return ShapeError(msg)
    if "broadcast" in str(exc) and len(shapes) >= 2:
        shown = " and ".join(str(s) for s in shapes)
        return ShapeError(f"{name}: shapes {shown} cannot be broadcast together")
    got = ", ".join(_describe(a) for a in args)
    odd = [a for a in args if not (hasattr(a, "grad_fn") or isinstance(a, (np.ndarray, np.generic, int, float,
                                                                           complex, type(None))))]
    if odd:                                          # a string, say: no NumPy detail helps here
        return unsupported_operand(name, odd[0])
    extra = f" with {', '.join(f'{k}={v!r}' for k, v in attrs.items())}" if attrs else ""
    cls = IndexError if isinstance(exc, IndexError) else DTypeError if isinstance(exc, TypeError) else ShapeError
    return cls(f"{name}: invalid arguments ({got}){extra}: {exc}")
