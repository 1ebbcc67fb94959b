"""Argument checks shared by the Tensor's methods and the module-level functions: data, numbers, devices, dtypes, dims.

Each turns what a user may pass (PyTorch's spellings and NumPy's) into one plain form, or raises the error
PyTorch raises, naming the op. They work on Python values and NumPy arrays; this module imports none of
tensor.py, engine.py, ops.py, so that tensor.py, creation.py and functions.py can all share it. (The check
that an op's argument is a Tensor, `tensor_arg`, is in tensor.py, next to the class.)
"""

from __future__ import annotations

import builtins
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import devices
from .errors import DTypeError, ShapeError, is_int

_NUMERIC_KINDS = "biufc"      # bool, signed and unsigned integers, floats, complex: no strings or objects


def is_tensor(x: Any) -> bool:
    """Whether `x` is a Tensor (or a subclass, such as nn.Parameter). Told by its `grad_fn`, which only
    Tensors have, because this module cannot import tensor.py (tensor.py imports it)."""
    return hasattr(x, "grad_fn")


# ------------------------------------------------------------------ data and numbers
def array_of(data: Any, dtype: Any, copy: bool, op: str) -> np.ndarray:
    """The array a new tensor holds: `data` (numbers, nested sequences, an array or a Tensor) in `dtype`
    or PyTorch's default for it; shared with an array or Tensor of that dtype when `copy` is False."""
    if hasattr(data, "grad_fn"):         # a Tensor (is_tensor, written out: every new tensor passes here)
        data = data.array
    try:
        if dtype is None:
            dtype = _default_dtype(data)
        arr = np.array(data, dtype=dtype, copy=copy if copy else None)
    except OverflowError:                        # tensor(-1, dtype=uint8): a number wraps around, as PyTorch's
        if type(data) is not int:
            raise DTypeError(f"{op}: a value in {_what(data)} cannot be converted to {np.dtype(dtype)} without "
                             f"overflow") from None
        arr = np.array(data).astype(dtype)
    except (ValueError, TypeError) as exc:       # ragged lists, or strings asked to be numbers
        raise DTypeError(f"{op}: cannot make a tensor from {_what(data)} ({exc})") from None
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise DTypeError(f"{op}: cannot make a tensor from {_what(data)}; expected numbers, bools, "
                         f"(nested) sequences of them, a NumPy array or a Tensor")
    return arr


def _default_dtype(data: Any) -> np.dtype | None:
    """PyTorch's defaults: Python floats become float32, ints int64, bools bool; arrays keep theirs."""
    if isinstance(data, (np.ndarray, np.generic)):
        return None
    arr = np.asarray(data)
    if arr.dtype == np.float64:
        return np.dtype(np.float32)
    if arr.dtype.kind == "i":
        return np.dtype(np.int64)
    if arr.dtype.kind == "c":
        return np.dtype(np.complex64)
    return None


def _what(data: Any) -> str:
    """How an error names data it cannot use: the value itself if short, else its type."""
    shown = repr(data)
    return f"{type(data).__name__} {shown}" if len(shown) <= 40 else f"a {type(data).__name__}"


def check_number(op: str, value: Any) -> None:
    """A fill value: a number (a NumPy scalar, a 0-d tensor), not a string, a list or a tensor of values."""
    if isinstance(value, (int, float, complex, np.number, np.bool_)) or (is_tensor(value) and not value.ndim):
        return
    raise TypeError(f"{op}: expected a number as the value, got {type(value).__name__} {value!r}"[:200])


# ------------------------------------------------------------------ gradients, devices, dtypes
def check_requires_grad(dtype: np.dtype, requires_grad: bool, where: str) -> None:
    if requires_grad and dtype.kind != "f":
        raise DTypeError(f"{where}: only floating point tensors can require gradients, got dtype {dtype}; "
                         f"convert with .float() or dtype=float32 first")


def is_device(value: Any) -> bool:
    """A device, or the name of one (an argument of `to` that is not a dtype)."""
    return isinstance(value, devices.device) or (
        isinstance(value, str) and value.split(":")[0] in ("cpu", "cuda", "mps", "xpu", "meta"))


def check_device(device: Any, op: str = "to") -> None:
    """Accept the CPU (PyTorch code passes device="cpu" or torch.device("cpu")); refuse any other."""
    devices.check_device(op, device)


def check_same_dtype(op: str, *operands: Any) -> None:
    """Matrix products and convolutions do not promote dtypes (PyTorch raises too): otherwise float64
    data fed to a float32 model would silently run all of it in float64, at half the speed."""
    a, *rest = [o.dtype for o in operands if isinstance(o, np.ndarray) or is_tensor(o)]
    if any(d != a for d in rest):
        got = " and ".join(str(o.dtype) for o in operands if isinstance(o, np.ndarray) or is_tensor(o))
        raise DTypeError(f"{op}: expected operands of one dtype, got {got}; convert one with .float(), "
                         f".double() or .to(dtype) (matrix products do not promote, as in PyTorch)")


# ------------------------------------------------------------------ dims and shapes
def dims_arg(dim: Any, axis: Any = None) -> Any:
    """Accept PyTorch's `dim` or NumPy's `axis`; tuples and lists of dims alike."""
    if axis is not None:
        if dim is not None:
            raise TypeError("pass either dim or axis, not both")
        dim = axis
    if isinstance(dim, list):
        dim = tuple(dim)
    if isinstance(dim, tuple) and len(dim) == 0:
        return None            # PyTorch's amax(dim=()) means all dims
    return dim


def keepdim_arg(keepdim: bool, keepdims: bool | None) -> bool:
    """PyTorch's `keepdim` or NumPy's `keepdims`."""
    return bool(keepdims) if keepdims is not None else bool(keepdim)


def norm_dim(dim: int, ndim: int, op: str) -> int:
    """`dim` as a non-negative dim of a tensor with `ndim` dims (negative ones count from the end)."""
    # Like PyTorch, a 0-d tensor accepts dim 0 and -1 (as if it had one dim of size 1).
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dims (expected {-n} <= dim < {n})")
    return dim % n


def norm_dims(dims: Any, ndim: int, op: str) -> tuple[int, ...]:
    """An int or a sequence of dims, as a tuple of non-negative dims."""
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    return tuple(norm_dim(int(d), ndim, op) for d in dims)


def no_repeats(op: str, dims: Sequence[int], given: Any) -> None:
    """PyTorch refuses a dim named twice (sum((0, 0)), squeeze, permute(0, 0))."""
    if len(set(dims)) != len(dims):
        raise ShapeError(f"{op}: dim {next(d for d in dims if list(dims).count(d) > 1)} appears multiple times "
                         f"in the list of dims {given!r}")


def shape_args(shape: tuple, op: str = "reshape") -> tuple[int, ...]:
    """reshape(2, 3) and reshape((2, 3)) both work, as in PyTorch; sizes are ints, or -1 for "the rest"."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if isinstance(s, np.dtype):
            raise TypeError(f"{op}: a size must be an int, got the dtype {s}; a dtype comes alone (view(dtype))")
        if not is_int(s):
            raise TypeError(f"{op}: a size must be an int, got {type(s).__name__} {s!r} in {shape!r}")
        if s < -1:
            raise ShapeError(f"{op}: invalid size {s} in {shape!r}: sizes are >= 0, or -1 for the size inferred")
    return tuple(int(s) for s in shape)


def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """The shape `a` and `b` broadcast to, or None if they do not."""
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
    """The `stacklevel` for `warnings.warn` that points at the user's line: the first frame, going out from
    the function that warns, outside this package (a method and the function that calls it need different
    levels)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level
