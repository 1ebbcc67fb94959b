"""PyTorch's type promotion: the dtype of an op's result when its operands' dtypes differ.

NumPy and PyTorch agree when every operand has one dtype. When they differ, PyTorch ranks the operands
in three groups, and a lower group decides only if it is of a higher *category* (bool < integer <
floating point < complex) than every group above it:

    1. tensors with dimensions,
    2. 0-d tensors,
    3. Python numbers (a float counts as the default dtype, float32; an int as int64).

So `float32 tensor * float64 0-d tensor` is float32, `int64 tensor * 2.5` is float32, and
`float16 tensor + int64 tensor` is float16 (where NumPy gives float64, float64 and float64). Within a
group, two dtypes promote as NumPy's do, except that an integer with a float gives that float (NumPy
widens the float to hold the integer: int16 with float16 is float32 there, float16 here).

The engine asks `result_type` only when an op's operands are of several dtypes, or its result is not
float32: the common case, float32 throughout, never comes here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .errors import DTypeError, unsupported_operand

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_F32 = np.dtype(np.float32)
_C64 = np.dtype(np.complex64)
_I64 = np.dtype(np.int64)
_BOOL = np.dtype(np.bool_)


def promote_types(a: Any, b: Any) -> np.dtype | None:
    """PyTorch's promote_types: NumPy's table, but an integer or bool with a float is that float.
    (`al.promote_types(al.int16, al.float16)` is float16; a None, here, is no dtype at all.)"""
    if a is None or b is None:
        return b if a is None else a
    a, b = np.dtype(a), np.dtype(b)
    ka, kb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ka >= 2 > kb:
        return a
    if kb >= 2 > ka:
        return b
    return np.promote_types(a, b)


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """A higher group's dtype, unless the lower group's is of a higher category (PyTorch's
    combine_categories)."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    kh, kl = _CATEGORY[higher.kind], _CATEGORY[lower.kind]
    if kh >= kl:
        return higher
    if kh == 2 and kl == 3:                       # a float tensor with a complex number: complex, same width
        return np.result_type(higher, np.complex64)
    return promote_types(higher, lower) if kh == 0 else lower


def _number_dtype(v: Any) -> np.dtype | None:
    if isinstance(v, (bool, np.bool_)):
        return _BOOL
    if isinstance(v, (int, np.integer)):
        return _I64
    if isinstance(v, (float, np.floating)):
        return _F32
    if isinstance(v, (complex, np.complexfloating)):
        return _C64
    return None


def result_type(arrays: Sequence[Any]) -> np.dtype | None:
    """The dtype PyTorch gives an elementwise op on these operands (arrays and numbers); None if none
    of them is an array or a number."""
    dims = zero = numbers = None
    for v in arrays:
        if type(v) is np.ndarray:
            if v.ndim:
                dims = promote_types(dims, v.dtype)
            else:
                zero = promote_types(zero, v.dtype)
        else:
            numbers = promote_types(numbers, _number_dtype(v))
    return _combine(dims, _combine(zero, numbers))


def is_bool(v: Any) -> bool:
    return v.dtype.kind == "b" if type(v) is np.ndarray else type(v) is bool or type(v) is np.bool_


def no_bools_message(op: str) -> str:
    hint = "use ~ or logical_not() to invert a mask" if op == "sub" else "convert with .float() or .long()"
    return f"{op} is not supported for bool operands (as in PyTorch); {hint}"


def fits(v: int, dtype: np.dtype) -> bool:
    """Can an integer dtype hold the Python int `v`?"""
    info = np.iinfo(dtype)
    return info.min <= v <= info.max


def can_cast(result: np.dtype, to: np.dtype) -> bool:
    """Can an in-place op store a result of dtype `result` in a tensor of dtype `to`? PyTorch's rule: not a
    float in an integer or bool tensor, not a complex in a real one, not a number in a bool; any integer in
    any integer tensor (wrapping around), as `uint8_tensor += int64_tensor`."""
    rk, tk = _CATEGORY[result.kind], _CATEGORY[to.kind]
    if rk >= 2 and tk < rk:
        return False
    return not (tk == 0 and rk > 0)


def result_of(out: np.ndarray, arrays: Sequence[Any]) -> np.dtype:
    """The dtype `out`, computed by NumPy from `arrays`, should have: PyTorch's promotion of the operands,
    and float32 (the default dtype) where the op makes floats from integers or bools (`exp`, `/`)."""
    want = result_type(arrays)
    if want is None:
        return out.dtype
    kind = out.dtype.kind
    if kind == "b" and want.kind != "b":          # comparisons and logic give bools whatever they compare
        return out.dtype
    if kind in "fc" and want.kind not in "fc":
        return _C64 if kind == "c" else _F32
    return want


# ----------------------------------------------------------------------------------------------
# Applied to an op's result (the engine's slow path, when operands differ in dtype)
# ----------------------------------------------------------------------------------------------

WRAPPING_OPS = frozenset(("add", "sub", "mul", "pow"))     # ops where PyTorch wraps numbers to an integer dtype


def promote_result(op: str, out: np.ndarray, arrays: Sequence[Any], mixed: bool, refuses_bools: bool,
                   in_float32: Callable[[], np.ndarray]) -> np.ndarray:
    """`out`, NumPy's result of an op on `arrays`, in the dtype PyTorch gives it.

    A float result of integer or bool operands only (exp(int), int / int) is computed again by
    `in_float32()` from float32 inputs, as PyTorch computes it: NumPy computed it in float64 or float16
    (whose rounding would stay), or in float32 by a loop of other last bits. An integer result of
    operands of one dtype has the dtype the op chose (sum of bools: int64)."""
    if out.dtype.kind not in "biufc":           # where(c, x, "a") made strings: no Tensor holds those
        raise unsupported_operand(op, next(v for v in arrays if not isinstance(v, (np.ndarray, int, float,
                                                                                 complex))))
    if refuses_bools and any(is_bool(v) for v in arrays):
        raise DTypeError(f"{op}: {no_bools_message(op)}")
    if out.dtype.kind not in "fc" and not mixed:
        return out
    want = result_of(out, arrays)
    if want.kind in "iu" and any(type(v) is int and not fits(v, want) for v in arrays):
        raise DTypeError(f"{op}: the number {next(v for v in arrays if type(v) is int and not fits(v, want))} "
                         f"cannot be converted to the tensor's dtype {want} without overflow")
    if want == _F32 and not any(type(v) is np.ndarray and v.dtype.kind in "fc" for v in arrays):
        return in_float32()
    return out if want == out.dtype else out.astype(want)


def plain_operand(op: str, value: Any) -> Any:
    """An operand that is not a Tensor, an array, a float or an int: a NumPy scalar counts as a Python
    number (as in PyTorch), a bool stays; a list, tuple, string or dict is refused."""
    if isinstance(value, np.generic):
        return value.item()
    if type(value) in (list, tuple, str, dict):
        raise unsupported_operand(op, value)
    return value


def numbers_wrapped(op: str, arrays: Sequence[Any], dtype: np.dtype | None) -> list:
    """After NumPy refused a Python int that an integer tensor's dtype cannot hold (uint8 tensor + (-1)):
    the operands with that number wrapped around, as PyTorch's arithmetic does (its clamp and where
    refuse such a number, as here)."""
    if op in WRAPPING_OPS and (dtype is None or dtype.kind not in "iu"):
        raise OverflowError(f"{op}: a number does not fit in the tensor's dtype {dtype}") from None
    if op not in WRAPPING_OPS:
        raise DTypeError(f"{op}: a number cannot be converted to the tensor's dtype {dtype} without overflow") from None
    return wrap_numbers(arrays, dtype)


def wrap_numbers(arrays: Sequence[Any], dtype: np.dtype) -> list:
    """Python ints as arrays of the integer dtype `dtype`, wrapped around (-1 as uint8 is 255)."""
    return [np.array(v).astype(dtype) if type(v) is int else v for v in arrays]


def as_float32(args: Sequence[Any]) -> list:
    """Bool and integer arrays or tensors as float32 (for ops whose float result NumPy would compute in
    float16 from them)."""
    return [a.float() if hasattr(a, "grad_fn") and a.dtype.kind in "biu" else
            a.astype(np.float32) if type(a) is np.ndarray and a.dtype.kind in "biu" else a for a in args]
