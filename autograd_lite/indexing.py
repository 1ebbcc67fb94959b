"""Indices read as PyTorch reads them: x[...] and x[...] = v, and the index, mask and condition arguments of ops.

`normalize_index` turns what `Tensor.__getitem__`/`__setitem__` receive into a NumPy index that selects
what PyTorch's would; `index_of`, `check_index_range`, `bool_array` and `bool_mask` check the index
arrays and masks of gather, scatter, index_select, masked_fill and where. Everything here works on
NumPy arrays (a Tensor given as an index is read as its array); this module imports none of tensor.py,
engine.py, ops.py, so that tensor.py can use it.
"""

from __future__ import annotations

import builtins
import warnings
from typing import Any

import numpy as np

from .checks import is_tensor, user_stacklevel
from .errors import DTypeError, ShapeError

_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.uint8), np.dtype(np.bool_))   # PyTorch's
_INT64 = _INDEX_DTYPES[0]


# ------------------------------------------------------------------ x[index]
def normalize_index(index: Any, shape: tuple[int, ...]) -> Any:
    """The NumPy index that reads, from a tensor of `shape`, what PyTorch's `x[index]` reads."""
    if type(index) is int:                # x[t], the most common index of all (a sequence read step by step)
        return index
    if _reads_as_tuple(index):
        index = tuple(index)
    if not isinstance(index, tuple):
        return _index_array(index)
    parts = []
    ellipses = arrays = ints = 0
    advanced = []                         # where the ints and index arrays stand
    for k, i in enumerate(index):         # one pass: slices, ints and None (the usual parts) as they are
        kind = type(i)
        if kind is int:
            ints += 1
            advanced.append(k)
        elif kind is slice:
            if i.step is not None and i.step <= 0:
                _index_array(i)           # (refused there, with the message)
        elif i is Ellipsis:
            ellipses += 1
        elif i is not None:
            i = _index_array(i)
            if _is_array(i):
                arrays += 1
                advanced.append(k)
            elif _is_index_int(i):
                ints += 1
                advanced.append(k)
        parts.append(i)
    index = tuple(parts)
    if not arrays and ellipses < 2:
        return index                      # slices, ints, None and one `...`: NumPy reads them as PyTorch does
    if ellipses:
        index = _without_ellipsis(index, len(shape))
        advanced = [k for k, i in enumerate(index) if _is_index_int(i) or _is_array(i)]
    if ints and arrays and advanced[-1] - advanced[0] + 1 != len(advanced):
        return _selects_first(index, shape)     # ints and index arrays apart: PyTorch and NumPy differ
    return index


def _index_array(value: Any) -> Any:
    """Turn one part of an index into something NumPy accepts, rejecting float indices clearly."""
    if hasattr(value, "grad_fn"):         # a Tensor (is_tensor, written out: every x[i] passes here)
        # A copy: the graph keeps the index, which must not change if the tensor is later changed in place.
        value = value.array.copy()
    elif isinstance(value, list):
        value = np.asarray(value)
        if value.dtype == np.float64 and value.size == 0:
            value = value.astype(np.int64)
    if isinstance(value, np.ndarray):
        dt = value.dtype
        if dt is not _INT64 and dt not in _INDEX_DTYPES:         # (int64, the usual index, compared once)
            raise IndexError(f"getitem: tensors used as indices must be int64, int32, uint8 or bool, got dtype "
                             f"{value.dtype}")
        if dt.kind == "u":
            # PyTorch reads a uint8 index as a mask (NumPy would read it as integer positions).
            warnings.warn("indexing with dtype uint8 is deprecated (as in PyTorch); it is read as a mask: "
                          "use a bool tensor instead", UserWarning, stacklevel=user_stacklevel())
            value = value.astype(bool)
    elif type(value) is slice and value.step is not None and value.step <= 0:
        raise ValueError(f"getitem: slice step must be positive, got {value.step} (PyTorch has no negative steps: "
                         f"use .flip(dim))")
    return value


def _reads_as_tuple(index: Any) -> bool:
    """PyTorch's (and old NumPy's) rule: a short list holding sequences, slices, None or ... is an index per
    dim, as a tuple would be: x[[[0, 1], [1, 0]]] is x[[0, 1], [1, 0]], two elements."""
    return type(index) is list and len(index) < 32 and builtins.any(
        isinstance(i, (list, tuple, slice, np.ndarray)) or is_tensor(i) or i is None or i is Ellipsis for i in index)


def _without_ellipsis(index: tuple, ndim: int) -> tuple:
    """The index with its `...` written out as full slices, as PyTorch reads it: `...` between index arrays
    that stands for no dims does not separate them (NumPy's would move their dims to the front), and a
    second `...` stands for nothing (NumPy refuses it)."""
    used = builtins.sum(0 if i is None or i is Ellipsis or isinstance(i, (bool, np.bool_)) else   # (True: a new dim)
                        i.ndim if isinstance(i, np.ndarray) and i.dtype == np.bool_ else 1 for i in index)
    at = next(k for k, i in enumerate(index) if i is Ellipsis)
    rest = tuple(i for i in index[at + 1:] if i is not Ellipsis)
    return index[:at] + (slice(None),) * builtins.max(ndim - used, 0) + rest


def _is_index_int(i: Any) -> bool:
    """An int in an index (a 0-d integer array, from a 0-d tensor, too): a selection of one element."""
    return (isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))) or (
        isinstance(i, np.ndarray) and i.ndim == 0 and i.dtype.kind in "iu")


def _is_array(i: Any) -> bool:
    return isinstance(i, np.ndarray) and (i.ndim > 0 or i.dtype.kind == "b")


def _selects_first(index: tuple, shape: tuple[int, ...]) -> tuple:
    """The NumPy index that reads what PyTorch reads for an index mixing ints with index arrays.

    PyTorch applies the ints first, as plain selections that remove their dims, and only then the index
    arrays (`x[0, :, [1, 2]]` of a (2, 3, 4) tensor is (3, 2)). NumPy broadcasts an int with the arrays
    as one more index array, and moves the indexed dims to the front when a slice separates them
    ((2, 3) there). So the index is applied in PyTorch's two steps to each dim's coordinate grid (a
    broadcast view: no copy of the tensor), which gives the coordinates, in the tensor, of every element
    read: an index of arrays only, that NumPy reads the same way for getting, setting and gradients."""
    first: list[Any] = []
    then: list[Any] = []
    for i in index:
        if _is_index_int(i):
            first.append(int(i))
        elif i is None:
            then.append(None)
        elif i is Ellipsis:
            first.append(Ellipsis)
            then.append(Ellipsis)
        else:
            first.extend([slice(None)] * (i.ndim if isinstance(i, np.ndarray) and i.dtype == np.bool_ else 1))
            then.append(i)
    coords = []
    for d, n in enumerate(shape):
        grid = np.broadcast_to(np.arange(n).reshape((n,) + (1,) * (len(shape) - d - 1)), shape)
        coords.append(grid[tuple(first)][tuple(then)])
    return tuple(coords)


# ------------------------------------------------------------------ index, mask and condition arguments
def array_arg(op: str, name: str, value: Any) -> np.ndarray:
    """An index, mask or condition: a Tensor or a NumPy array (a list or a number is refused, as PyTorch
    refuses it; an array is our convenience)."""
    if is_tensor(value):
        return value.array
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    raise TypeError(f"{op}: expected a Tensor as {name}, got {type(value).__name__}")


def index_of(op: str, index: Any, dtypes: tuple) -> np.ndarray:
    """The index array of gather, scatter or index_select: a Tensor of one of the dtypes PyTorch takes there,
    or a NumPy array of any integer dtype (our convenience)."""
    idx = array_arg(op, "index", index)
    if idx.dtype.kind not in "iu" or (is_tensor(index) and idx.dtype not in dtypes):
        names = " or ".join(np.dtype(d).name for d in dtypes)
        raise DTypeError(f"{op}: expected an index of dtype {names}, got {idx.dtype}")
    return idx


def check_index_range(op: str, idx: np.ndarray, size: int, dim: int) -> None:
    """Index values must lie in [0, size): PyTorch's gather, scatter and index_select refuse negative ones
    (NumPy would wrap them around, reading from the end)."""
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = int(idx.min() if idx.min() < 0 else idx.max())
        raise IndexError(f"{op}: index {bad} is out of range for dim {dim} of size {size} "
                         f"(expected 0 <= index < {size})")


def bool_array(op: str, name: str, value: Any) -> np.ndarray:
    """A mask or a condition: a bool Tensor or array, copied (the graph keeps it)."""
    a = np.array(array_arg(op, name, value))
    if a.dtype != np.bool_:
        raise DTypeError(f"{op}: expected a bool {name}, got dtype {a.dtype}")
    return a


def bool_mask(op: str, mask: Any, shape: tuple[int, ...]) -> np.ndarray:
    """`mask` as a bool array broadcast to `shape` (from a copy: the graph keeps it)."""
    m = bool_array(op, "mask", mask)
    try:
        return np.broadcast_to(m, shape)
    except ValueError:
        raise ShapeError(f"{op}: a mask of shape {tuple(m.shape)} does not broadcast to the tensor's shape "
                         f"{tuple(shape)}") from None
