"""The Tensor: a NumPy array plus what autograd needs (requires_grad, grad, grad_fn), and its API.

Operators and methods are declared here in the class body, mirroring PyTorch's names and signatures
(with NumPy's spellings such as `axis`/`keepdims` accepted too). Each differentiable method calls a
primitive from `ops.py` (where the derivatives live) or composes several; nothing is patched in later.
"""

from __future__ import annotations

import builtins
import itertools
import math
import operator
import warnings
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import forwards as _forwards
from .errors import DTypeError, ShapeError, is_int, op_error

_new = object.__new__

# PyTorch returns (values, indices) from max/min along a dim; so do we.
MinMax = namedtuple("MinMax", ["values", "indices"])

_FLOAT_KINDS = "f"
_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.uint8), np.dtype(np.bool_))   # PyTorch's
_INT64 = _INDEX_DTYPES[0]
_NUMERIC_KINDS = "biufc"      # bool, signed and unsigned integers, floats, complex: no strings or objects
_HOOK_KEYS = itertools.count()


def wrap(data: np.ndarray) -> Tensor:
    """Make a Tensor around `data` without copying or checking: the engine's fast constructor."""
    t = _new(Tensor)
    t.data = data
    t._grad = None
    t._requires_grad = False
    t.grad_fn = None
    t._hooks = None
    t._retains_grad = False
    t._version_counter = None
    t.name = None
    t._earlier_versions = None   # [(in-place count, weak ref)] when in-place ops in the graph changed it
    t._view_of = None           # (tensor, its count of earlier versions) when a view of that tensor's memory
    return t


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


def _array_of(data: Any, dtype: Any, copy: bool, op: str) -> np.ndarray:
    """The array a new tensor holds: `data` (numbers, nested sequences, an array or a Tensor) in `dtype`
    or PyTorch's default for it; shared with an array or Tensor of that dtype when `copy` is False."""
    if isinstance(data, Tensor):
        data = data.data
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


def _check_number(op: str, value: Any) -> None:
    """A fill value: a number (a NumPy scalar, a 0-d tensor), not a string, a list or a tensor of values."""
    if isinstance(value, (int, float, complex, np.number, np.bool_)) or (isinstance(value, Tensor) and not value.ndim):
        return
    raise TypeError(f"{op}: expected a number as the value, got {type(value).__name__} {value!r}"[:200])


def _check_requires_grad(dtype: np.dtype, requires_grad: bool, where: str) -> None:
    if requires_grad and dtype.kind not in _FLOAT_KINDS:
        raise DTypeError(f"{where}: only floating point tensors can require gradients, got dtype {dtype}; "
                        f"convert with .float() or dtype=float32 first")


def _dims(dim: Any, axis: Any = None) -> Any:
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


def _keepdim(keepdim: bool, keepdims: bool | None) -> bool:
    return bool(keepdims) if keepdims is not None else bool(keepdim)


def _shape_args(shape: tuple, op: str = "reshape") -> tuple[int, ...]:
    """reshape(2, 3) and reshape((2, 3)) both work, as in PyTorch; sizes are ints, or -1 for "the rest"."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if not is_int(s):
            raise TypeError(f"{op}: a size must be an int, got {type(s).__name__} {s!r} in {shape!r}")
        if s < -1:
            raise ShapeError(f"{op}: invalid size {s} in {shape!r}: sizes are >= 0, or -1 for the size inferred")
    return tuple(int(s) for s in shape)


def _norm_dim(dim: int, ndim: int, op: str) -> int:
    # Like PyTorch, a 0-d tensor accepts dim 0 and -1 (as if it had one dim of size 1).
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dims "
                         f"(expected {-n} <= dim < {n})")
    return dim % n


def _index_array(value: Any) -> Any:
    """Turn one part of an index into something NumPy accepts, rejecting float indices clearly."""
    if isinstance(value, Tensor):
        # A copy: the graph keeps the index, which must not change if the tensor is later changed in place.
        value = value.data.copy()
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
                          "use a bool tensor instead", UserWarning, stacklevel=4)
            value = value.astype(bool)
    elif type(value) is slice and value.step is not None and value.step <= 0:
        raise ValueError(f"getitem: slice step must be positive, got {value.step} (PyTorch has no negative steps: "
                         f"use .flip(dim))")
    return value


def _check_same_dtype(op: str, *operands: Any) -> None:
    """Matrix products and convolutions do not promote dtypes (PyTorch raises too): otherwise float64
    data fed to a float32 model would silently run all of it in float64, at half the speed."""
    a, *rest = [o.dtype for o in operands if isinstance(o, (Tensor, np.ndarray))]
    if any(d != a for d in rest):
        got = " and ".join(str(o.dtype) for o in operands if isinstance(o, (Tensor, np.ndarray)))
        raise DTypeError(f"{op}: expected operands of one dtype, got {got}; convert one with .float(), "
                         f".double() or .to(dtype) (matrix products do not promote, as in PyTorch)")


def _normalize_index(index: Any, shape: tuple[int, ...]) -> Any:
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


def _no_repeats(op: str, dims: Sequence[int], given: Any) -> None:
    """PyTorch refuses a dim named twice (sum((0, 0)), squeeze, permute(0, 0))."""
    if len(set(dims)) != len(dims):
        raise ShapeError(f"{op}: dim {next(d for d in dims if list(dims).count(d) > 1)} appears multiple times "
                         f"in the list of dims {given!r}")


def _reads_as_tuple(index: Any) -> bool:
    """PyTorch's (and old NumPy's) rule: a short list holding sequences, slices, None or ... is an index per
    dim, as a tuple would be: x[[[0, 1], [1, 0]]] is x[[0, 1], [1, 0]], two elements."""
    return type(index) is list and len(index) < 32 and builtins.any(
        isinstance(i, (list, tuple, slice, np.ndarray, Tensor)) or i is None or i is Ellipsis for i in index)


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


class RemovableHandle:
    """Returned by `register_hook`; `.remove()` unregisters the hook."""

    def __init__(self, hooks: dict, key: int) -> None:
        self._hooks = hooks
        self._key = key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


class Tensor:
    """An n-dimensional array that records the operations applied to it, for reverse-mode autodiff.

    Create one with `autograd_lite.tensor(data, requires_grad=...)`: Python floats and lists of them become
    float32, Python ints int64; NumPy arrays keep their dtype. `Tensor(data)`, as PyTorch's legacy
    constructor, makes float32 from any data (and refuses sizes: `Tensor(2, 3)`).
    """

    __slots__ = ("data", "_grad", "_requires_grad", "grad_fn", "_hooks", "_retains_grad", "_version_counter", "name",
                 "_earlier_versions", "_view_of", "__weakref__")
    # NumPy must not treat a Tensor as an array in `ndarray + Tensor`: returning NotImplemented there
    # lets Python call Tensor.__radd__, which records the op.
    __array_ufunc__ = None
    __hash__ = object.__hash__    # __eq__ is elementwise, so hashing must be by identity

    data: np.ndarray
    grad_fn: Any
    name: str | None

    def __init__(self, data: Any, *sizes: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None, copy: bool = True) -> None:
        """`copy=False` shares memory with a NumPy array or Tensor of the right dtype (like
        `torch.as_tensor`); by default the data is copied (like `torch.tensor`)."""
        if sizes and not builtins.all(is_int(s) for s in (data, *sizes)):
            raise TypeError(f"Tensor: takes the data and keyword options (requires_grad=, dtype=), got "
                            f"{len(sizes) + 1} positional arguments")
        if sizes or (type(data) is int and type(self) is Tensor):
            # torch.Tensor(2, 3) makes an uninitialised 2x3 tensor and torch.Tensor(5) a 5-vector: reading
            # them as data (a 0-d tensor holding 5) would be silently wrong, so they are refused.
            shown = ", ".join(repr(a) for a in (data, *sizes))
            raise TypeError(f"Tensor({shown}): the legacy size constructor does not exist here; use "
                            f"al.empty({shown}) or al.zeros({shown}) for a tensor of that shape, or "
                            f"al.tensor(data) for a tensor holding data")
        if dtype is None and type(self) is Tensor and not isinstance(data, Tensor):
            dtype = np.float32        # torch.Tensor(data), the legacy constructor, makes the default dtype
        arr = _array_of(data, dtype, copy, "Tensor")
        _check_requires_grad(arr.dtype, requires_grad, "Tensor")
        self.data = arr
        self._grad = None
        self._requires_grad = bool(requires_grad)
        self.grad_fn = None
        self._hooks = None
        self._retains_grad = False
        self._version_counter = None
        self.name = name
        self._earlier_versions = None
        self._view_of = None

    # ---------------------------------------------------------------- properties and conversion
    # requires_grad and grad are checked when assigned, as PyTorch does: an integer tensor cannot require
    # grad, and a .grad must be a Tensor of this tensor's shape and dtype (else an optimizer step would
    # fail far away, or broadcast silently). Reads go straight to the slot (attrgetter runs in C: the
    # engine reads requires_grad on every op).
    requires_grad = property(operator.attrgetter("_requires_grad"))
    grad = property(operator.attrgetter("_grad"))

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value is not self._requires_grad:
            _check_requires_grad(self.data.dtype, value, "requires_grad")
            if not value and self.grad_fn is not None:
                raise RuntimeError("requires_grad: you can only change requires_grad flags of leaf variables; "
                                   "use .detach() to get a tensor that does not require grad")
            self._requires_grad = bool(value)

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned grad expected to be a Tensor or None, got "
                                f"{type(value).__name__}")
            if value.shape != self.shape:
                raise ShapeError(f"grad: assigned grad has shape {value.shape}, but the tensor has shape "
                                 f"{self.shape}; they must be the same")
            if value.dtype != self.dtype:
                raise DTypeError(f"grad: assigned grad has dtype {value.dtype}, but the tensor has dtype "
                                 f"{self.dtype}; they must be the same (convert with .to({self.dtype}))")
        self._grad = value

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user made (or that do not require grad); .grad is kept on these."""
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """The tensor with its dims reversed (the transpose of a matrix)."""
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """Transpose of the last two dims (a batch of matrices)."""
        return self.transpose(-2, -1)

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the length of one dim."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied). Like PyTorch, refuses on a tensor that requires
        grad, since changes to the array would be invisible to autograd: call `.detach()` first."""
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on a Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(f"item: only one-element tensors can be converted to Python scalars, "
                             f"got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of a Tensor with {self.data.size} elements is ambiguous")
        return bool(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    # ---------------------------------------------------------------- autograd
    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Compute the gradient of this tensor with respect to the graph's leaves, into their `.grad`.

        A non-scalar tensor needs `gradient` (dLoss/dSelf, same shape). The graph is freed afterwards
        unless `retain_graph=True` (default: `create_graph`). With `create_graph=True` the gradients
        are themselves recorded, for higher-order derivatives.
        """
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        seed = _seed_gradient(self, gradient, create_graph, "backward")
        retain = create_graph if retain_graph is None else retain_graph
        if inputs is None:
            _engine.run_backward([self], [seed], retain, create_graph)
            return
        # Only these tensors' .grad is written (PyTorch's backward(inputs=...)); the others are left alone.
        targets = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        grads = _engine.run_backward([self], [seed], retain, create_graph, inputs=targets)
        claimed = {id(seed)}                         # the caller's array is never stored as a .grad
        for t, g in zip(targets, grads):
            if g is not None:
                t._accumulate_grad(g, create_graph, claimed)

    def _accumulate_grad(self, g: Any, create_graph: bool, claimed: set[int]) -> None:
        """Add `g` into `.grad`. A stored gradient never aliases another array (rules may hand one array to
        two inputs, add passing `g` through, or return views): an optimizer's in-place update of one `.grad`
        must not change another."""
        if create_graph:
            self._grad = g if self._grad is None else self._grad + g      # keep its graph, to differentiate again
        elif self._grad is None:
            fresh = g.flags.owndata and g.flags.writeable and id(g) not in claimed
            claimed.add(id(g))
            self._grad = wrap(g if fresh else g.copy())
        elif self._grad._requires_grad:
            self._grad = wrap(self._grad.data + g)      # an earlier create_graph grad: do not modify its graph
        else:                                     # in place, like PyTorch: a reference to `p.grad` sees the sum
            np.add(self._grad.data, g, out=self._grad.data, casting="unsafe")

    def detach(self) -> Tensor:
        """A tensor sharing this one's data but cut from the graph (never requires grad)."""
        t = wrap(self.data)
        t._version_counter = self._shared_version_counter()  # same memory, same in-place version counter
        return t

    def _shared_version_counter(self) -> _inplace.VersionCounter:
        """This tensor's version counter, made on first need so that a view can share it."""
        if self._version_counter is None:
            self._version_counter = _inplace.VersionCounter()
        return self._version_counter

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen (PyTorch's `_version`)."""
        return 0 if self._version_counter is None else self._version_counter.count

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: can't retain_grad on a Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call `hook(grad)` when this tensor's gradient is computed; a returned Tensor replaces it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't require gradient")
        if self._hooks is None:
            self._hooks = {}
        key = next(_HOOK_KEYS)      # never reused: a stale handle must not remove a newer hook
        self._hooks[key] = hook
        return RemovableHandle(self._hooks, key)

    def _run_hooks(self, g: Any, create_graph: bool) -> Any:
        """Backward calls this tensor's hooks on its gradient `g` (an array, or a Tensor with create_graph);
        a hook that returns a Tensor replaces it."""
        for hook in self._hooks.values():
            result = hook(g if create_graph else wrap(g))
            if result is not None:
                if not isinstance(result, Tensor):
                    raise TypeError(f"a tensor hook must return a Tensor or None, got {type(result).__name__}")
                if result.shape != self.shape:
                    raise ValueError(f"a tensor hook returned a gradient of shape {result.shape} for a "
                                     f"tensor of shape {self.shape}")
                g = result if create_graph else result.data
        return g

    # ---------------------------------------------------------------- arithmetic operators
    def __add__(self, other: Any) -> Tensor:
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        if type(other) in (int, float) and self.dtype.kind in "fc":
            return _ops.reciprocal(self) * other      # PyTorch's number / tensor: the same bits, and reads 1/x only
        return _ops.div(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        return _ops.pow(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return _ops.pow(base, self)

    def __matmul__(self, other: Any) -> Tensor:
        if type(other) is not Tensor or other.data.dtype != self.data.dtype:   # the common case skips it
            _check_same_dtype("matmul", self, other)
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        _check_same_dtype("matmul", other, self)
        return _ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return _ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _ops.abs(self)

    def __floordiv__(self, other: Any) -> Tensor:
        return _no_grad_op("floor_divide", _ints_or_floats(np.floor_divide), self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _no_grad_op("floor_divide", _ints_or_floats(np.floor_divide), other, self)

    def __mod__(self, other: Any) -> Tensor:
        return _no_grad_op("remainder", _ints_or_floats(np.remainder), self, other)

    # Comparisons and logic give bool tensors and are never differentiated.
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _no_grad_op("eq", np.equal, self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _no_grad_op("ne", np.not_equal, self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _no_grad_op("lt", np.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return _no_grad_op("le", np.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _no_grad_op("gt", np.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _no_grad_op("ge", np.greater_equal, self, other)

    def __and__(self, other: Any) -> Tensor:
        return _no_grad_op("logical_and", np.bitwise_and, self, other)

    def __rand__(self, other: Any) -> Tensor:
        return _no_grad_op("logical_and", np.bitwise_and, other, self)

    def __or__(self, other: Any) -> Tensor:
        return _no_grad_op("logical_or", np.bitwise_or, self, other)

    def __ror__(self, other: Any) -> Tensor:
        return _no_grad_op("logical_or", np.bitwise_or, other, self)

    def __xor__(self, other: Any) -> Tensor:
        return _no_grad_op("logical_xor", np.bitwise_xor, self, other)

    def __invert__(self) -> Tensor:
        return _no_grad_op("bitwise_not", np.invert, self)

    eq = __eq__
    ne = __ne__
    lt = __lt__
    le = __le__
    gt = __gt__
    ge = __ge__

    # ---------------------------------------------------------------- elementwise math
    def add(self, other: Any, *, alpha: float = 1) -> Tensor:
        return _ops.add(self, other if alpha == 1 else other * alpha)

    def sub(self, other: Any, *, alpha: float = 1) -> Tensor:
        return _ops.sub(self, other if alpha == 1 else other * alpha)

    def mul(self, other: Any) -> Tensor:
        return _ops.mul(self, other)

    def div(self, other: Any) -> Tensor:
        return _ops.div(self, other)

    def neg(self) -> Tensor:
        return _ops.neg(self)

    def pow(self, exponent: Any) -> Tensor:
        return _ops.pow(self, exponent)

    def matmul(self, other: Any) -> Tensor:
        if type(other) is not Tensor or other.data.dtype != self.data.dtype:
            _check_same_dtype("matmul", self, other)
        return _ops.matmul(self, other)

    def exp(self) -> Tensor:
        return _ops.exp(self)

    def log(self) -> Tensor:
        return _ops.log(self)

    def sqrt(self) -> Tensor:
        return _ops.sqrt(self)

    def abs(self) -> Tensor:
        return _ops.abs(self)

    def sign(self) -> Tensor:
        return _ops.sign(self)

    def sin(self) -> Tensor:
        return _ops.sin(self)

    def erf(self) -> Tensor:
        return _ops.erf(self)

    def cos(self) -> Tensor:
        return _ops.cos(self)

    def tanh(self) -> Tensor:
        return _ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return _ops.sigmoid(self)

    def relu(self) -> Tensor:
        return _ops.relu(self)

    def square(self) -> Tensor:
        x = self.long() if self.dtype == np.bool_ else self        # PyTorch's square is pow(x, 2): bools count
        return _ops.mul(x, x)

    def maximum(self, other: Any) -> Tensor:
        return _ops.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return _ops.minimum(self, other)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's names
        """Limit values to [min, max]; either bound may be None, a number or a tensor."""
        if min is None and max is None:
            raise ShapeError("clamp: at least one of 'min' or 'max' must not be None")
        return _ops.clamp(self, min, max)

    clip = clamp

    def where(self, condition: Any, other: Any) -> Tensor:
        """`condition ? self : other`, elementwise (PyTorch's Tensor.where)."""
        return _functions().where(condition, self, other)

    # ---------------------------------------------------------------- reductions
    def _reduce_dims(self, dim: Any, axis: Any, op: str) -> Any:
        """Validated dims of a reduction: None (all), an int or a tuple of non-negative ints."""
        dim = _dims(dim, axis)
        if dim is None:
            return None
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = tuple(_norm_dim(int(d), self.ndim, op) for d in dims)
        _no_repeats(op, dims, dim)
        if self.ndim == 0:
            return None               # reducing a 0-d tensor over "its" dim 0 leaves it as it is
        return dims[0] if isinstance(dim, int) else dims

    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, axis: Any = None,
            keepdims: bool | None = None) -> Tensor:
        x = self if dtype is None else self.to(dtype)
        return _ops.sum(x, dim=self._reduce_dims(dim, axis, "sum"), keepdim=_keepdim(keepdim, keepdims))

    def mean(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: bool | None = None) -> Tensor:
        if self.dtype.kind not in "fc":
            raise DTypeError(f"mean: expected a floating point tensor, got dtype {self.dtype}; "
                            f"use .float() first")
        return _ops.mean(self, dim=self._reduce_dims(dim, axis, "mean"), keepdim=_keepdim(keepdim, keepdims))

    def amax(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: bool | None = None) -> Tensor:
        return _ops.amax(self, dim=self._reduce_dims(dim, axis, "amax"), keepdim=_keepdim(keepdim, keepdims))

    def amin(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: bool | None = None) -> Tensor:
        return _ops.amin(self, dim=self._reduce_dims(dim, axis, "amin"), keepdim=_keepdim(keepdim, keepdims))

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: bool | None = None) -> Any:
        """Like PyTorch: `x.max()` is the largest value (gradient shared among ties); `x.max(dim)`
        returns `(values, indices)` with the gradient going to the index; `x.max(other)` is maximum."""
        if isinstance(dim, Tensor):
            return _ops.maximum(self, dim)
        return self._select_extreme("max", np.argmax, _ops.amax, dim, axis, keepdim, keepdims)

    def min(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: bool | None = None) -> Any:
        """Like `max`, for the smallest value."""
        if isinstance(dim, Tensor):
            return _ops.minimum(self, dim)
        return self._select_extreme("min", np.argmin, _ops.amin, dim, axis, keepdim, keepdims)

    def _select_extreme(self, op: str, arg: Callable, whole: Any, dim: Any, axis: Any, keepdim: bool,
                        keepdims: bool | None) -> Any:
        dim = _dims(dim, axis)
        keep = _keepdim(keepdim, keepdims)
        if dim is None:
            return whole(self)
        if not isinstance(dim, int):
            raise TypeError(f"{op}: dim must be a single int; use a{op} for several dims")
        dim = _norm_dim(dim, self.ndim, op)
        if self.ndim == 0:
            return MinMax(_ops.clone(self), wrap(np.zeros((), dtype=np.int64)))
        idx = np.expand_dims(arg(self.data, axis=dim), dim)
        values = _ops.gather(self, index=idx, dim=dim)
        if not keep:
            values = values.squeeze(dim)
            idx = np.squeeze(idx, dim)
        return MinMax(values, wrap(idx.astype(np.int64)))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return self._arg_extreme("argmax", np.argmax, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return self._arg_extreme("argmin", np.argmin, dim, keepdim)

    def _arg_extreme(self, op: str, arg: Callable, dim: int | None, keepdim: bool) -> Tensor:
        if self.dtype == np.bool_:
            raise DTypeError(f"{op}: does not support bool input (as PyTorch's); convert it with .long()")
        if dim is not None:
            _norm_dim(dim, self.ndim, op)
        if self.data.size == 0 and (dim is None or self.ndim == 0 or self.shape[dim] == 0):
            raise ShapeError(f"{op}: expected a reduction dim with elements, got an empty tensor of shape "
                             f"{self.shape}" + ("" if dim is None else f" and dim={dim}"))
        if dim is None:
            out = np.asarray(arg(self.data), dtype=np.int64)
            return wrap(out.reshape((1,) * self.ndim) if keepdim else out)
        d = _norm_dim(dim, self.ndim, op)
        if self.ndim == 0:
            return wrap(np.zeros((), dtype=np.int64))
        return wrap(arg(self.data, axis=d, keepdims=keepdim).astype(np.int64))

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None, axis: Any = None, keepdims: bool | None = None) -> Tensor:
        """Variance with Bessel's correction by default (`correction=1`), as in PyTorch; also its older
        forms `var(dim, unbiased, keepdim)` and `var(unbiased)`."""
        return self._var("var", dim, unbiased, keepdim, correction, axis, keepdims)

    def _var(self, op: str, dim: Any, unbiased: bool | None, keepdim: bool, correction: float | None, axis: Any,
             keepdims: bool | None) -> Tensor:
        if self.dtype.kind not in "fc":
            raise DTypeError(f"{op}: expected a floating point tensor, got dtype {self.dtype} (PyTorch's std and "
                             f"var only take floating point and complex dtypes); use .float() first")
        if isinstance(dim, bool):                    # var(False): PyTorch's var(unbiased) overload
            dim, unbiased = None, dim
        dim = self._reduce_dims(dim, axis, op)
        keep = _keepdim(keepdim, keepdims)
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        n = math.prod(self.shape[a] for a in _forwards.reduced_axes(self.ndim, dim))
        centered = self - self.mean(dim, keepdim=True)
        return (centered * centered).sum(dim, keepdim=keep) / builtins.max(n - correction, 0)

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None, axis: Any = None, keepdims: bool | None = None) -> Tensor:
        """Standard deviation: sqrt of `var` with the same arguments."""
        # (Its gradient is 0 where the std is 0, as PyTorch's, where sqrt's would be 0 / 0.)
        return _ops.std_sqrt(self._var("std", dim, unbiased, keepdim, correction, axis, keepdims))

    def logsumexp(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """log(sum(exp(x))) along `dim`, computed without overflow (integers give float32, as PyTorch)."""
        x = self if self.dtype.kind in "fc" else self.float()
        return _ops.logsumexp(x, dim=self._reduce_dims(dim, None, "logsumexp"), keepdim=keepdim)

    def softmax(self, dim: int) -> Tensor:
        return _ops.softmax(self._floating("softmax"), dim=_norm_dim(dim, self.ndim, "softmax"))

    def log_softmax(self, dim: int) -> Tensor:
        return _ops.log_softmax(self._floating("log_softmax"), dim=_norm_dim(dim, self.ndim, "log_softmax"))

    def _floating(self, op: str) -> Tensor:
        if self.dtype.kind not in "fc":
            raise DTypeError(f"{op}: expected a floating point tensor, got dtype {self.dtype} (PyTorch has no "
                             f"integer {op} either); convert with .float() or pass dtype=")
        return self

    # ---------------------------------------------------------------- shape
    def reshape(self, *shape: Any) -> Tensor:
        shape = _shape_args(shape)
        if shape == self.shape:
            return self
        try:
            return _ops.reshape(self, shape=shape)
        except ValueError:
            raise ShapeError(f"reshape: shape {shape} is invalid for a tensor of shape {self.shape} "
                             f"({self.numel()} elements)") from None

    def view(self, *shape: Any) -> Tensor:
        """The same memory seen with another shape, as PyTorch's view: it shares memory or raises
        (a write through it must reach this tensor). `reshape` copies where a view is impossible.
        `view(dtype)` reads the same bytes as another dtype (outside the graph, as PyTorch's)."""
        if len(shape) == 1 and (isinstance(shape[0], (type, np.dtype)) or isinstance(shape[0], str)):
            return self._view_as_dtype(np.dtype(shape[0]))
        out = self.reshape(*shape)
        if out is not self and out.data.size and not np.may_share_memory(out.data, self.data) and not (
                self.ndim >= 3 and self.data.transpose(*range(1, self.ndim), 0).flags.c_contiguous):
            # (The exception: batch-last memory, the layout of convolution and pooling outputs here, which
            # are contiguous in PyTorch, where `x.view(x.size(0), -1)` after them is everyday code. It copies.)
            raise ShapeError(f"view: a tensor of shape {self.shape} with strides {self.stride()} cannot be "
                             f"viewed as shape {out.shape} without copying (its memory is not laid out in "
                             f"that order, e.g. after a transpose); use .reshape(...) or .contiguous().view(...)")
        return out

    def _view_as_dtype(self, dtype: np.dtype) -> Tensor:
        if dtype == self.dtype:
            return self.view(self.shape)
        if self.requires_grad:
            raise RuntimeError(f"view: viewing a tensor that requires grad as another dtype ({self.dtype} as "
                               f"{dtype}) is not differentiable; call .detach() first")
        try:
            t = wrap(self.data.view(dtype))
        except ValueError as exc:
            raise ShapeError(f"view: cannot view a tensor of shape {self.shape} and dtype {self.dtype} as {dtype} "
                             f"({exc})") from None
        t._version_counter = self._shared_version_counter()   # the same memory: a change through either is one
        return t

    def stride(self, dim: int | None = None) -> Any:
        """Steps in elements (not bytes, unlike NumPy) from one element to the next along each dim."""
        steps = tuple(s // self.data.itemsize for s in self.data.strides)
        return steps if dim is None else steps[_norm_dim(dim, self.ndim, "stride")]

    def view_as(self, other: Tensor) -> Tensor:
        return self.view(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        s = _norm_dim(start_dim, self.ndim, "flatten")
        e = _norm_dim(end_dim, self.ndim, "flatten")
        if self.ndim == 0:
            return self.reshape(1)
        if s > e:
            raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self.shape[:s] + (math.prod(self.shape[s:e + 1]),) + self.shape[e + 1:]
        return self.reshape(shape)

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        if self.ndim == 0:
            raise ShapeError("unflatten: expected a tensor with at least one dim, got a 0-d tensor")
        d = _norm_dim(dim, self.ndim, "unflatten")
        sizes = tuple(int(n) for n in sizes)
        n = self.shape[d] if self.ndim else 1
        known = math.prod(k for k in sizes if k != -1)
        if sizes.count(-1) > 1 or (sizes.count(-1) == 0 and known != n) or (n % known if known else n):
            raise ShapeError(f"unflatten: sizes {sizes} do not match dim {dim} of size {n} (their product must be "
                             f"{n}, with at most one -1)")
        if -1 in sizes:                   # inferred from this dim alone, so a zero-size tensor works too
            sizes = tuple((n // known if known else 0) if k == -1 else k for k in sizes)
        return self.reshape(self.shape[:d] + sizes + self.shape[d + 1:])

    def permute(self, *dims: Any) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):     # permute(1, 0) and permute((1, 0))
            dims = tuple(dims[0])
        dims = tuple(int(d) for d in dims)
        if len(dims) != self.ndim:
            raise ShapeError(f"permute: dims {dims} are not a permutation of the {self.ndim} dims "
                             f"of a tensor of shape {self.shape}")
        dims = tuple(_norm_dim(d, self.ndim, "permute") for d in dims)
        _no_repeats("permute", dims, dims)
        if dims == tuple(range(self.ndim)):
            return self
        return _ops.permute(self, dims=dims)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap two dims (PyTorch's signature; for NumPy's, use `permute`)."""
        dims = list(range(self.ndim))
        a = _norm_dim(dim0, self.ndim, "transpose")
        b = _norm_dim(dim1, self.ndim, "transpose")
        if self.ndim == 0:
            return self
        dims[a], dims[b] = dims[b], dims[a]
        return self.permute(*dims)

    def movedim(self, source: int, destination: int) -> Tensor:
        """Move dim `source` to position `destination`, keeping the others in order."""
        src = _norm_dim(source, self.ndim, "movedim")
        dst = _norm_dim(destination, self.ndim, "movedim")
        if self.ndim == 0:
            return self
        dims = [d for d in range(self.ndim) if d != src]
        dims.insert(dst, src)
        return self.permute(*dims)

    moveaxis = movedim
    swapaxes = transpose
    swapdims = transpose

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise ShapeError(f"t: expects a tensor with <= 2 dims, got shape {self.shape}")
        return self.T

    def squeeze(self, dim: Any = None) -> Tensor:
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        normed = [_norm_dim(d, self.ndim, "squeeze") for d in dims]
        _no_repeats("squeeze", normed, dim)
        dims = set(normed)
        # Like PyTorch, a named dim whose size is not 1 is left alone.
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1)))

    def unsqueeze(self, dim: int) -> Tensor:
        d = _norm_dim(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to `sizes` without copying; -1 keeps a dim's size."""
        sizes = _shape_args(sizes, "expand")
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ShapeError(f"expand: the number of sizes ({len(sizes)}) must be at least the number "
                             f"of dims of the tensor ({self.ndim}, shape {self.shape})")
        shape = tuple(self.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
        return self.broadcast_to(shape, _op="expand")

    def expand_as(self, other: Tensor) -> Tensor:
        return self.broadcast_to(other.shape)

    def broadcast_to(self, shape: Sequence[int], *, _op: str = "broadcast_to") -> Tensor:
        shape = tuple(shape)
        if shape == self.shape:
            return self
        try:
            np.broadcast_shapes(self.shape, shape)
            if len(shape) < self.ndim or np.broadcast_shapes(self.shape, shape) != shape:
                raise ValueError
        except ValueError:
            raise ShapeError(f"{_op}: cannot broadcast a tensor of shape {self.shape} to shape "
                             f"{shape}") from None
        return _ops.broadcast_to(self, shape=shape)

    def is_contiguous(self) -> bool:
        """Whether the elements lie in row-major order without gaps (a convolution's output does not:
        it is a view of batch-last memory)."""
        return bool(self.data.flags.c_contiguous)

    def contiguous(self) -> Tensor:
        """Self if already contiguous, else a row-major copy (connected to the graph), as PyTorch."""
        return self if self.data.flags.c_contiguous else _ops.contiguous(self)

    def clone(self) -> Tensor:
        """A copy that is still connected to the graph (gradient passes straight through)."""
        return _ops.clone(self)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return _functions().split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return _functions().chunk(self, chunks, dim)

    def gather(self, dim: int, index: Any) -> Tensor:
        return _functions().gather(self, dim, index)

    # ---------------------------------------------------------------- more of PyTorch's methods
    # (their logic and argument checks are in functions.py, next to the module-level forms)
    def log1p(self) -> Tensor:
        return _ops.log1p(self)

    def expm1(self) -> Tensor:
        return _ops.expm1(self)

    def reciprocal(self) -> Tensor:
        return _ops.reciprocal(self)

    def rsqrt(self) -> Tensor:
        return _ops.rsqrt(self)

    def floor(self) -> Tensor:
        return _ops.floor(self)

    def ceil(self) -> Tensor:
        return _ops.ceil(self)

    def trunc(self) -> Tensor:
        return _ops.trunc(self)

    def round(self, *, decimals: int = 0) -> Tensor:
        return _functions().round(self, decimals=decimals)

    def cumsum(self, dim: int, *, dtype: Any = None) -> Tensor:
        return _functions().cumsum(self, dim, dtype=dtype)

    def flip(self, *dims: Any) -> Tensor:
        return _functions().flip(self, dims[0] if len(dims) == 1 else dims)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        return _functions().roll(self, shifts, dims)

    def repeat(self, *sizes: Any) -> Tensor:
        return _functions().repeat(self, *sizes)

    def tril(self, diagonal: int = 0) -> Tensor:
        return _functions().tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        return _functions().triu(self, diagonal)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        return _functions().masked_fill(self, mask, value)

    def index_select(self, dim: int, index: Any) -> Tensor:
        return _functions().index_select(self, dim, index)

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
        return _functions().norm(self, p, dim, keepdim)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        return _functions().sort(self, dim, descending, stable)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        return _functions().argsort(self, dim, descending, stable)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
        return _functions().topk(self, k, dim, largest, sorted)

    def isnan(self) -> Tensor:
        return _functions().isnan(self)

    def isinf(self) -> Tensor:
        return _functions().isinf(self)

    def isfinite(self) -> Tensor:
        return _functions().isfinite(self)

    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _functions().any(self, dim, keepdim)

    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _functions().all(self, dim, keepdim)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        return _functions().unbind(self, dim)

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        return _functions().narrow(self, dim, start, length)

    def bmm(self, mat2: Any) -> Tensor:
        return _functions().bmm(self, mat2)

    def mm(self, mat2: Any) -> Tensor:
        return _functions().mm(self, mat2)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        return _functions().nonzero(self, as_tuple=as_tuple)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def new_tensor(self, data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """A new tensor of `data`, by default of this tensor's dtype (a copy, never in the graph)."""
        _check_device(device, "new_tensor")
        arr = _array_of(data, self.dtype if dtype is None else dtype, True, "new_tensor")
        _check_requires_grad(arr.dtype, requires_grad, "new_tensor")
        t = wrap(arr)
        t._requires_grad = bool(requires_grad)
        return t

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        _check_device(device, "new_full")
        dt = self.dtype if dtype is None else np.dtype(dtype)
        return self.new_tensor(np.full(_shape_args((size,)), fill_value, dtype=dt), dtype=dt,
                               requires_grad=requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        return self.new_full(_shape_args(size), 0, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        return self.new_full(_shape_args(size), 1, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        return self.new_full(_shape_args(size), 0, dtype=dtype, device=device, requires_grad=requires_grad)

    # ---------------------------------------------------------------- indexing
    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index=_normalize_index(index, self.shape))

    def __setitem__(self, index: Any, value: Any) -> None:
        self._put("setitem", _normalize_index(index, self.shape), value)

    def _put(self, op: str, index: Any, value: Any) -> None:
        """self[index] = value: in the graph, recorded as index_put, whose gradient sends g[index] to
        the value and the rest of g to what the tensor held before (out[t] = h in a loop works)."""
        val = value.data if isinstance(value, Tensor) else value
        if isinstance(val, (list, tuple)):               # x[0] = [1.0, 2.0], as PyTorch takes it
            val = value = _array_of(val, self.dtype, True, op)
        elif not isinstance(val, np.ndarray):
            _check_number(op, val)
        if self._inplace_array(op, value) is not None:
            self.data[index] = val
        else:
            self._record_inplace(op, _ops.index_put, (value,), {"index": index},
                         lambda: self.data.__setitem__(index, val))

    # ---------------------------------------------------------------- dtype
    def to(self, *args: Any, dtype: Any = None, device: Any = None) -> Tensor:
        """Convert to a dtype (differentiable between float types): `to(dtype)`, `to(device, dtype)`,
        `to(other)` (other's dtype), as PyTorch. Everything lives on the CPU, so `to("cpu")` /
        `device="cpu"` return the tensor as it is (PyTorch code runs unchanged)."""
        for a in args:
            if _is_device(a):
                device = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif a is not None:
                dtype = a
        _check_device(device)
        if dtype is None:
            return self
        if isinstance(dtype, str) or not (isinstance(dtype, np.dtype) or (
                isinstance(dtype, type) and issubclass(dtype, (np.generic, float, int, bool, complex)))):
            raise TypeError(f"to: expected a dtype (al.float32, ...), a device or a tensor, got "
                            f"{type(dtype).__name__} {dtype!r}")
        return self.astype(dtype)

    def astype(self, dtype: Any) -> Tensor:
        """NumPy's spelling of `to(dtype)`: any dtype NumPy understands, names ('float64') included."""
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        if self.requires_grad and dtype.kind not in _FLOAT_KINDS:
            return wrap(self.data.astype(dtype))       # integer results leave the graph
        return _ops.cast(self, dtype=dtype)

    def type(self, dtype: Any = None) -> Any:
        """Without an argument, the type's name as PyTorch gives it ('torch.FloatTensor'); with a dtype,
        the tensor converted to it."""
        if dtype is None:
            return "torch." + _TYPE_NAMES.get(self.dtype.name, self.dtype.name.capitalize() + "Tensor")
        if isinstance(dtype, str):                        # x.type('torch.DoubleTensor')
            names = {"torch." + v: k for k, v in _TYPE_NAMES.items()}
            if dtype not in names:
                raise ValueError(f"type: invalid type {dtype!r}; expected one of {', '.join(sorted(names))}")
            dtype = names[dtype]
            return self.astype(dtype)
        return self.to(dtype)

    def cpu(self) -> Tensor:
        return self

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def half(self) -> Tensor:
        return self.to(np.float16)

    def long(self) -> Tensor:
        return self.to(np.int64)

    def int(self) -> Tensor:
        return self.to(np.int32)

    def bool(self) -> Tensor:
        return self.to(np.bool_)

    def is_floating_point(self) -> builtins.bool:
        return self.data.dtype.kind == "f"

    # ---------------------------------------------------------------- in place (outside the graph)
    def _inplace_array(self, op: str, other: Any = None) -> np.ndarray | None:
        """Check an in-place op is allowed. Outside the graph, count it in `_version` and return the array
        to modify. Inside (this tensor, or `other`, takes part in autograd with grad mode on), return
        None: the caller records it with `inplace.record_inplace`, as PyTorch's in-place ops rebase history.

        The version lets backward notice that a value saved by the graph was changed afterwards
        (say, an optimizer step between forward and backward) instead of using it silently."""
        # (A tensor of integers never joins the graph: a value written into it is just copied, as in PyTorch.)
        if _grad_state.enabled and (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad
                                                           and self.dtype.kind in _FLOAT_KINDS)):
            if self.grad_fn is None and self.requires_grad:
                raise RuntimeError(f"{op}: a leaf tensor that requires grad is being used in an in-place "
                                   f"operation; wrap the update in `with no_grad():`")
            if self._view_of is not None:
                root = self._view_of[0]
                if root.grad_fn is None and root.requires_grad:
                    raise RuntimeError(f"{op}: a view of a leaf tensor that requires grad is being used in an "
                                       f"in-place operation; wrap the update in `with no_grad():`")
                if root.dtype != self.dtype:
                    raise RuntimeError(f"{op}: in-place operations inside the graph on a view of a tensor of "
                                       f"another dtype ({root.dtype}, viewed as {self.dtype}) are not supported; "
                                       f"use the out-of-place form")
                _inplace.refresh_view(self, op)
            return None
        self._shared_version_counter().count += 1
        _inplace.INPLACE_OPS.count += 1
        return self.data

    def _record_inplace(self, op: str, prim: Any, others: tuple, attrs: dict, write: Callable[[], Any]) -> Tensor:
        if self._view_of is not None:
            return _inplace.record_inplace_on_view(self, prim, others, attrs)

        def checked() -> None:
            try:
                write()
            except TypeError as exc:          # NumPy's casting refusal: float into an integer tensor
                raise DTypeError(f"{op}: the result cannot be stored in this tensor of dtype {self.dtype} "
                                 f"({exc})") from None
        return _inplace.record_inplace(self, prim, others, attrs, checked)

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        self._put("fill_", ..., value)
        return self

    def copy_(self, src: Any) -> Tensor:
        self._put("copy_", ..., src)
        return self

    def add_(self, other: Any, *, alpha: float = 1) -> Tensor:
        return self._arith_("add_", _ops.add, np.add, other if alpha == 1 else other * alpha)

    def sub_(self, other: Any, *, alpha: float = 1) -> Tensor:
        return self._arith_("sub_", _ops.sub, np.subtract, other if alpha == 1 else other * alpha)

    def mul_(self, other: Any) -> Tensor:
        return self._arith_("mul_", _ops.mul, np.multiply, other)

    def div_(self, other: Any) -> Tensor:
        return self._arith_("div_", _ops.div, np.true_divide, other)

    def _arith_(self, op: str, prim: Any, ufunc: Any, other: Any) -> Tensor:
        o = other.data if isinstance(other, Tensor) else other
        casting = "same_kind"
        if self.data.dtype.kind != "f":
            result = _promotion.result_type([self.data, o])      # PyTorch's: uint8 + 1 is uint8
            if ufunc is np.true_divide and result is not None and result.kind in "biu":
                result = np.dtype(np.float32)                    # int / int is a float
            if result is None or not _promotion.can_cast(result, self.dtype):
                raise DTypeError(f"{op}: the result ({result}) cannot be stored in this tensor of dtype {self.dtype}")
            if type(o) is int:                                   # wrapped around, as PyTorch: uint8 -= 1 at 0
                o = np.array(o).astype(self.dtype)
            casting = "unsafe"                                   # int64 into uint8 wraps, as PyTorch's
        d = self._inplace_array(op, other)
        if d is not None:
            ufunc(d, o, out=d, casting=casting)
            return self
        return self._record_inplace(op, prim, (other,), {}, lambda: ufunc(self.data, o, out=self.data, casting=casting))

    # `p -= lr * p.grad` under no_grad updates p itself, as in PyTorch (not a rebinding of the name).
    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        lo, hi = (b.data if isinstance(b, Tensor) else b for b in (min, max))
        d = self._inplace_array("clamp_", min if isinstance(min, Tensor) else max)
        if d is not None:
            np.clip(d, lo, hi, out=d)
            return self
        return self._record_inplace("clamp_", _ops.clamp, (min, max), {},
                                    lambda: np.clip(self.data, lo, hi, out=self.data))

    def relu_(self) -> Tensor:
        if self.dtype == np.bool_:
            raise DTypeError("relu_: not supported for bool tensors (as in PyTorch)")
        d = self._inplace_array("relu_")
        if d is not None:
            np.maximum(d, 0, out=d)
            return self
        return self._record_inplace("relu_", _ops.relu, (), {}, lambda: np.maximum(self.data, 0, out=self.data))

    def scatter(self, dim: int, index: Any, src: Any = None, *, value: Any = None, reduce: str | None = None) -> Tensor:
        return _functions().scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        return _functions().scatter_add(self, dim, index, src)

    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
        """In place: `zeros(3, 4).scatter_(1, labels[:, None], 1.0)` makes one-hot rows."""
        d, idx, val = _functions()._scatter_args("scatter_", self, dim, index, value if src is None else src)
        self._put("scatter_", _forwards.gather_index(idx, d), val)
        return self

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Tensor:
        d, idx, val = _functions()._scatter_args("scatter_add_", self, dim, index, _functions()._t(src))
        return self.add_(_ops.gather_backward(val, index=idx, dim=d, shape=self.shape))

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        self._put("masked_fill_", _functions()._bool_mask("masked_fill_", mask, self.shape), value)
        return self


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "int64": "LongTensor",
               "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor"}


def _is_device(value: Any) -> bool:
    return isinstance(value, str) and (value == "cpu" or value.startswith(("cpu:", "cuda", "mps")))


def _check_device(device: Any, op: str = "to") -> None:
    """Accept the CPU (PyTorch code passes device="cpu" or torch.device("cpu")); refuse any other."""
    if device is None:
        return
    name = str(device)
    if not (name == "cpu" or name.startswith("cpu:")):
        raise RuntimeError(f"{op}: autograd_lite runs on the CPU only (NumPy); device {name!r} is not available")


def _ints_or_floats(fn: Callable) -> Callable:
    """floor_divide and remainder of two bools: PyTorch has none (NumPy gives int8)."""
    def checked(a: Any, b: Any) -> Any:
        if _promotion.is_bool(a) and _promotion.is_bool(b):
            raise TypeError(f"{fn.__name__} is not supported for two bool operands (as in PyTorch)")
        return fn(a, b)
    return checked


def _no_grad_op(name: str, fn: Callable, *args: Any) -> Tensor:
    """An op without a derivative (comparisons, logic): runs NumPy, records nothing."""
    vals = [a.data if isinstance(a, Tensor) else a for a in args]
    try:
        # PyTorch wraps a number an integer tensor cannot hold (uint8 tensor < -1 compares with 255); NumPy
        # compares exactly, or refuses (floor_divide).
        ints = [v for v in vals if isinstance(v, np.ndarray) and v.dtype.kind in "iu"]
        if ints and builtins.any(type(v) is int and not _promotion.fits(v, ints[0].dtype) for v in vals):
            vals = _promotion.wrap_numbers(vals, ints[0].dtype)
        out = np.asarray(fn(*vals))
        # PyTorch's promotion, as in engine.Primitive
        dtypes = {v.dtype for v in vals if isinstance(v, np.ndarray)}
        return wrap(_promotion.promote_result(name, out, vals, len(dtypes) > 1, False, lambda: np.asarray(
            fn(*[a.data if isinstance(a, Tensor) else a for a in _promotion.as_float32(args)]))))
    except (ValueError, TypeError) as exc:
        raise op_error(name, args, {}, exc) from exc


def _seed_gradient(t: Tensor, gradient: Any, create_graph: bool, where: str) -> Any:
    """The gradient that starts a backward pass: ones for a scalar, else what the user gave."""
    if gradient is None:
        if t.data.size != 1:
            raise RuntimeError(f"{where}: grad can be implicitly created only for scalar outputs, but the "
                               f"output has shape {t.shape}; pass gradient= (same shape) to backward")
        g = np.ones_like(t.data)
    else:
        if not isinstance(gradient, (Tensor, np.ndarray)):
            raise TypeError(f"{where}: gradients can be Tensors (or NumPy arrays) or None, got "
                            f"{type(gradient).__name__}")
        g = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient, dtype=t.dtype)
        if g.shape != t.shape:
            raise RuntimeError(f"{where}: gradient has shape {g.shape} but the output has shape {t.shape}")
        if create_graph and isinstance(gradient, Tensor):
            return gradient
    return wrap(g) if create_graph else g


def _functions() -> Any:
    return _functions_module


# Bound at the bottom: these modules import Tensor from here.
from . import engine as _engine  # noqa: E402
from . import functions as _functions_module  # noqa: E402
from . import inplace as _inplace  # noqa: E402
from . import ops as _ops  # noqa: E402
from . import promotion as _promotion  # noqa: E402
from .grad_mode import _state as _grad_state  # noqa: E402
