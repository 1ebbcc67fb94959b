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

from collections.abc import Sequence
from typing import Any

import numpy as np

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


def result_type(vals: Sequence[Any]) -> np.dtype | None:
    """The dtype PyTorch gives an elementwise op on these operands (arrays and numbers); None if none
    of them is an array or a number."""
    dims = zero = numbers = None
    for v in vals:
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


def result_of(out: np.ndarray, vals: Sequence[Any]) -> np.dtype:
    """The dtype `out`, computed by NumPy from `vals`, should have: PyTorch's promotion of the operands,
    and float32 (the default dtype) where the op makes floats from integers or bools (`exp`, `/`)."""
    want = result_type(vals)
    if want is None:
        return out.dtype
    kind = out.dtype.kind
    if kind == "b" and want.kind != "b":          # comparisons and logic give bools whatever they compare
        return out.dtype
    if kind in "fc" and want.kind not in "fc":
        return _C64 if kind == "c" else _F32
    return want
