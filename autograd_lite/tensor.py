"""The Tensor: a NumPy array plus what autograd needs (requires_grad, grad, grad_fn), and its API.

Operators and methods are declared here in the class body, mirroring PyTorch's names and signatures
(with NumPy's spellings such as `axis`/`keepdims` accepted too). Each differentiable method calls a
primitive from `ops.py` (where the derivatives live) or composes several; nothing is patched in later.
The class body is grouped by topic (arithmetic, elementwise math, reductions, sorting, shape, indexing,
dtype, in place). Argument checks shared with the module-level functions are in checks.py, the reading
of indices in indexing.py; the functions (functions.py) call these methods, never the other way round.
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

from . import devices
from . import forwards as _forwards
from . import printing as _printing
from . import promotion as _promotion
from . import random as _random
from .checks import (
    array_of,
    broadcast_shape,
    check_device,
    check_number,
    check_requires_grad,
    check_same_dtype,
    dims_arg,
    is_device,
    keepdim_arg,
    no_repeats,
    norm_dim,
    norm_dims,
    shape_args,
    user_stacklevel,
)
from .errors import DTypeError, ShapeError, check_allocation, is_int, op_error
from .grad_mode import state as _grad_state
from .indexing import bool_array, bool_mask, check_index_range, index_of, normalize_index
from .size import Size

_new = object.__new__

# PyTorch returns (values, indices) from max/min along a dim, and from sort and topk; so do we.
MinMax = namedtuple("MinMax", ["values", "indices"])
SortResult = namedtuple("SortResult", ["values", "indices"])     # torch.return_types.sort / topk

_FLOAT_KINDS = "f"
_HOOK_KEYS = itertools.count()


def wrap(data: np.ndarray) -> Tensor:
    """Make a Tensor around `data` without copying or checking: the engine's fast constructor."""
    t = _new(Tensor)
    t.array = data
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


def tensor_arg(x: Any, op: str = "tensor") -> Tensor:
    """The tensor an op works on. PyTorch's functions take Tensors, not lists or arrays: `exp([1, 2])` is a
    TypeError there, so it is here (make one with al.tensor or al.from_numpy)."""
    if isinstance(x, Tensor):
        return x
    raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}; make one with al.tensor(...) "
                    f"(or al.from_numpy for an array)")


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

    __slots__ = ("array", "_grad", "_requires_grad", "grad_fn", "_hooks", "_retains_grad", "_version_counter", "name",
                 "_earlier_versions", "_view_of", "__weakref__")
    # NumPy must not treat a Tensor as an array in `ndarray + Tensor`: returning NotImplemented there
    # lets Python call Tensor.__radd__, which records the op.
    __array_ufunc__ = None
    __hash__ = object.__hash__    # __eq__ is elementwise, so hashing must be by identity
    # (No __getattr__ for a friendlier message on a missing method: defining one makes Python route every
    # attribute lookup of every Tensor through a slower path, 8% on a chain of small ops.)

    array: np.ndarray
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
        arr = array_of(data, dtype, copy, "Tensor")
        check_requires_grad(arr.dtype, requires_grad, "Tensor")
        self.array = arr
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
            check_requires_grad(self.array.dtype, value, "requires_grad")
            if not value and self.grad_fn is not None:
                raise RuntimeError("requires_grad: you can only change requires_grad flags of leaf variables; "
                                   "use .detach() to get a tensor that does not require grad")
            self._requires_grad = bool(value)

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned grad expected to be a Tensor or None, got {type(value).__name__}")
            if value.shape != self.array.shape:
                raise ShapeError(f"grad: assigned grad has shape {tuple(value.shape)}, but the tensor has shape "
                                 f"{self.array.shape}; they must be the same")
            if value.dtype != self.dtype:
                raise DTypeError(f"grad: assigned grad has dtype {value.dtype}, but the tensor has dtype "
                                 f"{self.dtype}; they must be the same (convert with .to({self.dtype}))")
        self._grad = value

    @property
    def shape(self) -> Size:
        return Size(self.array.shape)

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

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
        return Size(self.array.shape) if dim is None else self.array.shape[dim]

    def dim(self) -> int:
        return self.array.ndim

    def numel(self) -> int:
        return self.array.size

    nelement = numel                      # PyTorch's older name, the same method

    def __format__(self, spec: str) -> str:
        """`f"{loss:.4f}"`: a 0-d tensor formats as its number, as PyTorch's; a format spec on a tensor with
        dimensions is refused, as there (even of one element)."""
        if self.array.ndim == 0:
            return format(self.item(), spec)
        if not spec:
            return str(self)
        raise TypeError(f"unsupported format string passed to Tensor.__format__: {spec!r} (a tensor of shape "
                        f"{self.array.shape}; format a 0-d tensor, such as t[i] or t.sum(), or t.item())")

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def ndimension(self) -> int:
        return self.array.ndim

    def element_size(self) -> int:
        return self.array.itemsize

    itemsize = property(element_size)
    nbytes = property(lambda self: self.array.nbytes)
    is_complex = staticmethod(lambda: False)         # no complex dtypes here

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied). Like PyTorch, refuses on a tensor that requires
        grad, since changes to the array would be invisible to autograd: call `.detach()` first."""
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on a Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self.array

    @property
    def data(self) -> Tensor:
        """PyTorch's `.data`: this tensor's memory, outside the graph and its version checks (`p.data -= lr * g`
        changes p unseen; `.detach()` is the checked form). The NumPy array itself is `.array`."""
        return wrap(self.array)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data: assigned data must be a Tensor, got {type(value).__name__} (to put a NumPy "
                            f"array in, assign `.array` or write `t.data = al.from_numpy(array)`)")
        self.array = value.array

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and dtype != self.array.dtype:
            return self.array.astype(dtype)
        return self.array.copy() if copy else self.array

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
            raise ShapeError(f"item: only one-element tensors can be converted to Python scalars, "
                             f"got shape {self.array.shape}")
        return self.array.item()

    def tolist(self) -> Any:
        return self.array.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.array.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError(f"Boolean value of a Tensor with {self.array.size} elements is ambiguous")
        return bool(self.array)

    def __iter__(self) -> Iterator[Tensor]:
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.array.shape[0]))

    def __repr__(self) -> str:
        extras = []
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return _printing.tensor_repr(self.array, extras)

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
        seed = seed_gradient(self, gradient, create_graph, "backward")
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
            self._grad = wrap(self._grad.array + g)      # an earlier create_graph grad: do not modify its graph
        else:                                     # in place, like PyTorch: a reference to `p.grad` sees the sum
            np.add(self._grad.array, g, out=self._grad.array, casting="unsafe")

    def detach(self) -> Tensor:
        """A tensor sharing this one's data but cut from the graph (never requires grad)."""
        t = wrap(self.array)
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
                if result.shape != self.array.shape:
                    raise ValueError(f"a tensor hook returned a gradient of shape {tuple(result.shape)} for a "
                                     f"tensor of shape {self.array.shape}")
                g = result if create_graph else result.array
        return g

    # ---------------------------------------------------------------- arithmetic operators
    def __add__(self, other: Any) -> Tensor:
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:      # recorded as PyTorch records `2 + x`: x first (add commutes)
        return _ops.add(self, other)

    def __sub__(self, other: Any) -> Tensor:
        return _ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:      # x first, as PyTorch's `2 * x` (mul commutes bit for bit)
        return _ops.mul(self, other)

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
        if type(other) is not Tensor or other.array.dtype != self.array.dtype:   # the common case skips it
            check_same_dtype("matmul", self, other)
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        check_same_dtype("matmul", other, self)
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

    remainder = __mod__

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
        return self @ other

    def mm(self, mat2: Any) -> Tensor:
        """The product of two matrices (2-D only, as PyTorch's mm; `matmul` broadcasts)."""
        b = tensor_arg(mat2, "mm")
        if self.ndim != 2 or b.ndim != 2:
            raise ShapeError(f"mm: expected two matrices (2-D tensors), got shapes {self.array.shape} and "
                             f"{tuple(b.shape)}")
        return self.matmul(b)

    def dot(self, tensor: Any) -> Tensor:
        """The inner product of two vectors of one size (1-D only, as PyTorch's dot)."""
        b = tensor_arg(tensor, "dot")
        if self.ndim != 1 or b.ndim != 1 or self.array.shape != b.array.shape:
            raise ShapeError(f"dot: expected two 1-D tensors of the same size, got shapes {self.array.shape} and "
                             f"{tuple(b.shape)}")
        return self.matmul(b)

    def outer(self, vec2: Any) -> Tensor:
        """self[i] * vec2[j]: the outer product of two vectors."""
        b = tensor_arg(vec2, "outer")
        if self.ndim != 1 or b.ndim != 1:
            raise ShapeError(f"outer: expected two vectors, got shapes {self.array.shape} and {tuple(b.shape)}")
        return self.unsqueeze(1) * b.unsqueeze(0)

    def addmm(self, mat1: Any, mat2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """beta * self + alpha * (mat1 @ mat2)."""
        product = tensor_arg(mat1, "addmm").mm(mat2)
        return (self if beta == 1 else self * beta) + (product if alpha == 1 else product * alpha)

    def lerp(self, end: Any, weight: Any) -> Tensor:
        """self + weight * (end - self)."""
        return self + weight * (end - self)

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
        return self + value * tensor1 * tensor2

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
        return self + value * tensor1 / tensor2

    def bmm(self, mat2: Any) -> Tensor:
        """Batched matrix product of (B, n, m) and (B, m, p): matmul, with PyTorch's check of the dims."""
        b = tensor_arg(mat2, "bmm")
        if self.ndim != 3 or b.ndim != 3 or self.array.shape[0] != b.shape[0]:
            raise ShapeError(f"bmm: expected two 3-D tensors with the same batch size, got {self.array.shape} "
                             f"and {tuple(b.shape)}")
        check_same_dtype("bmm", self, b)
        if self.dtype == np.bool_:
            raise DTypeError("bmm: not supported for bool tensors (as in PyTorch); convert them with .float()")
        return self.matmul(b)

    def exp(self) -> Tensor:
        return _ops.exp(self)

    def log(self) -> Tensor:
        return _ops.log(self)

    def log10(self) -> Tensor:
        return self.log() / math.log(10)     # d/dx log10(x) = 1 / (x ln 10): from log's rule and div's

    def log2(self) -> Tensor:
        return self.log() / math.log(2)

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
        """Round half to even (as PyTorch and NumPy), to `decimals` places."""
        return _ops.round(self, decimals=int(decimals))

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

    def clamp_min(self, min: Any) -> Tensor:  # noqa: A002
        return self.clamp(min=min)

    def clamp_max(self, max: Any) -> Tensor:  # noqa: A002
        return self.clamp(max=max)

    def where(self, condition: Any, other: Any) -> Tensor:
        """`condition ? self : other`, elementwise (PyTorch's Tensor.where); the gradient goes to the chosen
        side. `other` is a tensor or a number."""
        cond = bool_array("where", "condition", condition)      # (a copy: kept by the graph)
        if not isinstance(other, Tensor):
            check_number("where", other)                 # a tensor or a number, as PyTorch's (not a list)
        return _ops.where(cond, self, other)

    # Tests of values give bool tensors (or a bool), outside the graph.
    def equal(self, other: Tensor) -> builtins.bool:
        """True if `other` has this shape and these values (PyTorch's `torch.equal`)."""
        other = tensor_arg(other, "equal")
        return self.array.shape == other.array.shape and builtins.bool((self.array == other.array).all())

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: builtins.bool = False) -> builtins.bool:
        return builtins.bool(self.isclose(other, rtol, atol, equal_nan).array.all())

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: builtins.bool = False) -> Tensor:
        """|self - other| <= atol + rtol * |other|, elementwise, as PyTorch's (and NumPy's) isclose."""
        return wrap(np.isclose(self.array, other.array if isinstance(other, Tensor) else other, rtol, atol, equal_nan))

    def logical_not(self) -> Tensor:
        return wrap(np.logical_not(self.array))

    def logical_and(self, other: Any) -> Tensor:
        return _no_grad_op("logical_and", np.logical_and, self, other)

    def logical_or(self, other: Any) -> Tensor:
        return _no_grad_op("logical_or", np.logical_or, self, other)

    def logical_xor(self, other: Any) -> Tensor:
        return _no_grad_op("logical_xor", np.logical_xor, self, other)

    def isnan(self) -> Tensor:
        return wrap(np.isnan(self.array))

    def isinf(self) -> Tensor:
        return wrap(np.isinf(self.array))

    def isfinite(self) -> Tensor:
        return wrap(np.isfinite(self.array))

    # ---------------------------------------------------------------- reductions
    def _reduce_dims(self, dim: Any, axis: Any, op: str) -> Any:
        """Validated dims of a reduction: None (all), an int or a tuple of non-negative ints."""
        dim = dims_arg(dim, axis)
        if dim is None:
            return None
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = tuple(norm_dim(int(d), self.ndim, op) for d in dims)
        no_repeats(op, dims, dim)
        if self.ndim == 0:
            return None               # reducing a 0-d tensor over "its" dim 0 leaves it as it is
        return dims[0] if isinstance(dim, int) else dims

    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, axis: Any = None,
            keepdims: bool | None = None) -> Tensor:
        x = self if dtype is None else self.to(dtype)
        return _ops.sum(x, dim=self._reduce_dims(dim, axis, "sum"), keepdim=keepdim_arg(keepdim, keepdims))

    def prod(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, axis: Any = None) -> Tensor:
        # One dim or all (forwards.prod refuses a tuple); integers multiply in int64, then give `dtype` if asked.
        return _ops.prod(self.to(dtype), dim=self._reduce_dims(dim, axis, "prod"), keepdim=keepdim).to(dtype)

    def mean(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: bool | None = None) -> Tensor:
        if self.dtype.kind not in "fc":
            raise DTypeError(f"mean: expected a floating point tensor, got dtype {self.dtype}; "
                            f"use .float() first")
        return _ops.mean(self, dim=self._reduce_dims(dim, axis, "mean"), keepdim=keepdim_arg(keepdim, keepdims))

    def amax(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: bool | None = None) -> Tensor:
        return _ops.amax(self, dim=self._reduce_dims(dim, axis, "amax"), keepdim=keepdim_arg(keepdim, keepdims))

    def amin(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: bool | None = None) -> Tensor:
        return _ops.amin(self, dim=self._reduce_dims(dim, axis, "amin"), keepdim=keepdim_arg(keepdim, keepdims))

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
        dim = dims_arg(dim, axis)
        keep = keepdim_arg(keepdim, keepdims)
        if dim is None:
            return whole(self)
        if not isinstance(dim, int):
            raise TypeError(f"{op}: dim must be a single int; use a{op} for several dims")
        dim = norm_dim(dim, self.ndim, op)
        if self.ndim == 0:
            return MinMax(_ops.clone(self), wrap(np.zeros((), dtype=np.int64)))
        idx = np.expand_dims(arg(self.array, axis=dim), dim)
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
            norm_dim(dim, self.ndim, op)
        if self.array.size == 0 and (dim is None or self.ndim == 0 or self.array.shape[dim] == 0):
            raise ShapeError(f"{op}: expected a reduction dim with elements, got an empty tensor of shape "
                             f"{self.array.shape}" + ("" if dim is None else f" and dim={dim}"))
        if dim is None:
            out = np.asarray(arg(self.array), dtype=np.int64)
            return wrap(out.reshape((1,) * self.ndim) if keepdim else out)
        d = norm_dim(dim, self.ndim, op)
        if self.ndim == 0:
            return wrap(np.zeros((), dtype=np.int64))
        return wrap(arg(self.array, axis=d, keepdims=keepdim).astype(np.int64))

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
        keep = keepdim_arg(keepdim, keepdims)
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        n = math.prod(self.array.shape[a] for a in _forwards.reduced_axes(self.ndim, dim))
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
        return _ops.softmax(self._floating("softmax"), dim=norm_dim(dim, self.ndim, "softmax"))

    def log_softmax(self, dim: int) -> Tensor:
        return _ops.log_softmax(self._floating("log_softmax"), dim=norm_dim(dim, self.ndim, "log_softmax"))

    def _floating(self, op: str) -> Tensor:
        if self.dtype.kind not in "fc":
            raise DTypeError(f"{op}: expected a floating point tensor, got dtype {self.dtype} (PyTorch has no "
                             f"integer {op} either); convert with .float() or pass dtype=")
        return self

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
        """The p-norm over `dim` (all elements by default): 2 / 'fro' (the default), 1, inf, -inf, or any
        other p > 0 as (sum |x|^p)^(1/p). The 2-norm's gradient is 0 where the norm is 0, as in PyTorch."""
        if self.dtype.kind != "f":
            raise DTypeError(f"norm: expected a floating point tensor, got dtype {self.dtype}")
        axes = None if dim is None else norm_dims(dim, self.ndim, "norm")
        if self.ndim == 0:
            axes = None                       # dim 0 or -1 of a 0-d tensor: the tensor itself
        if p in ("fro", 2, 2.0, None):
            return _ops.norm2(self, dim=axes, keepdim=keepdim)
        if p == 1:
            return self.abs().sum(axes, keepdim)
        if p == math.inf:
            return self.abs().amax(axes, keepdim)
        if p == -math.inf:
            return self.abs().amin(axes, keepdim)
        if p == 0:                            # how many entries are not 0 (a gradient of 0, through sign)
            return self.abs().sign().sum(axes, keepdim)
        if isinstance(p, (int, float)):       # any other p, negative ones too, as PyTorch's vector_norm
            return _ops.normp(self, p=float(p), dim=axes, keepdim=keepdim)
        raise ValueError(f"norm: p must be 'fro', inf, -inf or a number, got {p!r}")

    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Whether any entry (along `dim`) is nonzero: a bool tensor, outside the graph."""
        dims = None if dim is None else norm_dims(dim, self.ndim, "any")
        out = np.any(self.array, axis=dims if self.ndim else None, keepdims=keepdim)   # (0-d: dim 0 or -1 is all)
        return wrap(np.asarray(out, dtype=np.uint8 if self.dtype == np.uint8 else bool))   # uint8 in, uint8 out

    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Whether every entry (along `dim`) is nonzero: a bool tensor, outside the graph."""
        dims = None if dim is None else norm_dims(dim, self.ndim, "all")
        out = np.all(self.array, axis=dims if self.ndim else None, keepdims=keepdim)   # (0-d: dim 0 or -1 is all)
        return wrap(np.asarray(out, dtype=np.uint8 if self.dtype == np.uint8 else bool))   # uint8 in, uint8 out

    def cumsum(self, dim: int, *, dtype: Any = None) -> Tensor:
        """Cumulative sum along `dim` (bools and integers in int64, as PyTorch's; `dtype` converts first)."""
        x = self if dtype is None else self.to(dtype)
        d = norm_dim(dim, x.ndim, "cumsum")
        if not x.ndim:
            return _ops.cumsum(x.reshape(1), dim=0).reshape(())
        return _ops.cumsum(x, dim=d)

    # ---------------------------------------------------------------- sorting
    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> SortResult:
        """(values, indices) sorted along `dim`; the values' gradient goes back to where each came from.
        The sort is always stable (`stable` is accepted for PyTorch's signature)."""
        d = norm_dim(dim, self.ndim, "sort")
        if self.ndim == 0:
            return SortResult(_ops.clone(self), wrap(np.zeros((), dtype=np.int64)))
        idx = _order(self.array, d, descending).astype(np.int64)
        return SortResult(_ops.gather(self, index=idx, dim=d), wrap(idx))

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        return self.sort(dim, descending, stable).indices

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> SortResult:  # noqa: A002
        """The k largest (or smallest) entries along `dim` and their indices, largest first."""
        if self.dtype == np.bool_:
            raise DTypeError("topk: does not support bool input (as PyTorch's); convert it with .long()")
        d = norm_dim(dim, self.ndim, "topk")
        n = self.array.shape[d] if self.ndim else 1
        if not 0 <= k <= n:
            raise ShapeError(f"topk: k={k} is out of range for dim {dim} of size {n}")
        if self.ndim == 0:
            return self.sort()
        idx = np.take(_order(self.array, d, largest), np.arange(k), axis=d).astype(np.int64)
        return SortResult(_ops.gather(self, index=idx, dim=d), wrap(idx))

    # ---------------------------------------------------------------- shape
    def reshape(self, *shape: Any) -> Tensor:
        shape = shape_args(shape)
        if shape == self.array.shape:
            return self
        try:
            return _ops.reshape(self, shape=shape)
        except ValueError:
            raise ShapeError(f"reshape: shape {tuple(shape)} is invalid for a tensor of shape {self.array.shape} "
                             f"({self.numel()} elements)") from None

    def view(self, *shape: Any) -> Tensor:
        """The same memory seen with another shape, as PyTorch's view: it shares memory or raises
        (a write through it must reach this tensor). `reshape` copies where a view is impossible.
        `view(dtype)` reads the same bytes as another dtype (outside the graph, as PyTorch's)."""
        if len(shape) == 1 and (isinstance(shape[0], (type, np.dtype)) or isinstance(shape[0], str)):
            return self._view_as_dtype(np.dtype(shape[0]))
        out = self.reshape(*shape)
        if out is not self and out.array.size and not np.may_share_memory(out.array, self.array) and not (
                self.ndim >= 3 and self.array.transpose(*range(1, self.ndim), 0).flags.c_contiguous):
            # (The exception: batch-last memory, the layout of convolution and pooling outputs here, which
            # are contiguous in PyTorch, where `x.view(x.size(0), -1)` after them is everyday code. It copies.)
            raise ShapeError(f"view: a tensor of shape {self.array.shape} with strides {self.stride()} cannot be "
                             f"viewed as shape {tuple(out.shape)} without copying (its memory is not laid out in "
                             f"that order, e.g. after a transpose); use .reshape(...) or .contiguous().view(...)")
        return out

    def _view_as_dtype(self, dtype: np.dtype) -> Tensor:
        if dtype == self.dtype:
            return self.view(self.array.shape)
        if self.requires_grad:
            raise RuntimeError(f"view: viewing a tensor that requires grad as another dtype ({self.dtype} as "
                               f"{dtype}) is not differentiable; call .detach() first")
        try:
            t = wrap(self.array.view(dtype))
        except ValueError as exc:
            raise ShapeError(f"view: cannot view a tensor of shape {self.array.shape} and dtype {self.dtype} as "
                             f"{dtype} ({exc})") from None
        t._version_counter = self._shared_version_counter()   # the same memory: a change through either is one
        return t

    def stride(self, dim: int | None = None) -> Any:
        """Steps in elements (not bytes, unlike NumPy) from one element to the next along each dim."""
        steps = tuple(s // self.array.itemsize for s in self.array.strides)
        return steps if dim is None else steps[norm_dim(dim, self.ndim, "stride")]

    def view_as(self, other: Tensor) -> Tensor:
        return self.view(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        s = norm_dim(start_dim, self.ndim, "flatten")
        e = norm_dim(end_dim, self.ndim, "flatten")
        if self.ndim == 0:
            return self.reshape(1)
        if s > e:
            raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self.array.shape[:s] + (math.prod(self.array.shape[s:e + 1]),) + self.array.shape[e + 1:]
        return self.reshape(shape)

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        if self.ndim == 0:
            raise ShapeError("unflatten: expected a tensor with at least one dim, got a 0-d tensor")
        d = norm_dim(dim, self.ndim, "unflatten")
        sizes = tuple(int(n) for n in sizes)
        n = self.array.shape[d] if self.ndim else 1
        known = math.prod(k for k in sizes if k != -1)
        if sizes.count(-1) > 1 or (sizes.count(-1) == 0 and known != n) or (n % known if known else n):
            raise ShapeError(f"unflatten: sizes {sizes} do not match dim {dim} of size {n} (their product must be "
                             f"{n}, with at most one -1)")
        if -1 in sizes:                   # inferred from this dim alone, so a zero-size tensor works too
            sizes = tuple((n // known if known else 0) if k == -1 else k for k in sizes)
        return self.reshape(self.array.shape[:d] + sizes + self.array.shape[d + 1:])

    def permute(self, *dims: Any) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):     # permute(1, 0) and permute((1, 0))
            dims = tuple(dims[0])
        dims = tuple(int(d) for d in dims)
        if len(dims) != self.ndim:
            raise ShapeError(f"permute: dims {dims} are not a permutation of the {self.ndim} dims "
                             f"of a tensor of shape {self.array.shape}")
        dims = tuple(norm_dim(d, self.ndim, "permute") for d in dims)
        no_repeats("permute", dims, dims)
        if dims == tuple(range(self.ndim)):
            return self
        return _ops.permute(self, dims=dims)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap two dims (PyTorch's signature; for NumPy's, use `permute`)."""
        dims = list(range(self.ndim))
        a = norm_dim(dim0, self.ndim, "transpose")
        b = norm_dim(dim1, self.ndim, "transpose")
        if self.ndim == 0:
            return self
        dims[a], dims[b] = dims[b], dims[a]
        return self.permute(*dims)

    def movedim(self, source: int, destination: int) -> Tensor:
        """Move dim `source` to position `destination`, keeping the others in order."""
        src = norm_dim(source, self.ndim, "movedim")
        dst = norm_dim(destination, self.ndim, "movedim")
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
            raise ShapeError(f"t: expects a tensor with <= 2 dims, got shape {self.array.shape}")
        return self.T

    def squeeze(self, dim: Any = None) -> Tensor:
        if dim is None:
            return self.reshape(tuple(n for n in self.array.shape if n != 1))
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        normed = [norm_dim(d, self.ndim, "squeeze") for d in dims]
        no_repeats("squeeze", normed, dim)
        dims = set(normed)
        # Like PyTorch, a named dim whose size is not 1 is left alone.
        return self.reshape(tuple(n for i, n in enumerate(self.array.shape) if not (i in dims and n == 1)))

    def unsqueeze(self, dim: int) -> Tensor:
        d = norm_dim(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(self.array.shape[:d] + (1,) + self.array.shape[d:])

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to `sizes` without copying; -1 keeps a dim's size."""
        sizes = shape_args(sizes, "expand")
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ShapeError(f"expand: the number of sizes ({len(sizes)}) must be at least the number "
                             f"of dims of the tensor ({self.ndim}, shape {self.array.shape})")
        shape = tuple(self.array.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
        return self.broadcast_to(shape, _op="expand")

    def expand_as(self, other: Tensor) -> Tensor:
        return self.broadcast_to(other.shape)

    def broadcast_to(self, shape: Sequence[int], *, _op: str = "broadcast_to") -> Tensor:
        shape = tuple(shape)
        if shape == self.array.shape:
            return self
        try:
            np.broadcast_shapes(self.array.shape, shape)
            if len(shape) < self.ndim or np.broadcast_shapes(self.array.shape, shape) != shape:
                raise ValueError
        except ValueError:
            raise ShapeError(f"{_op}: cannot broadcast a tensor of shape {self.array.shape} to shape "
                             f"{tuple(shape)}") from None
        return _ops.broadcast_to(self, shape=shape)

    def is_contiguous(self) -> bool:
        """Whether the elements lie in row-major order without gaps (a convolution's output does not:
        it is a view of batch-last memory)."""
        return bool(self.array.flags.c_contiguous)

    def contiguous(self) -> Tensor:
        """Self if already contiguous, else a row-major copy (connected to the graph), as PyTorch."""
        return self if self.array.flags.c_contiguous else _ops.contiguous(self)

    def clone(self) -> Tensor:
        """A copy that is still connected to the graph (gradient passes straight through)."""
        return _ops.clone(self)

    def _at_least_1d(self, op: str) -> None:
        """Ops that cut a tensor along a dim need one (PyTorch's refuse a 0-d tensor, even for dim 0)."""
        if self.ndim == 0:
            raise IndexError(f"{op}: expected a tensor with at least one dim, got a 0-d tensor")

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        """Split into pieces of `split_size` (the last may be smaller) or of the listed sizes."""
        self._at_least_1d("split")
        d = norm_dim(dim, self.ndim, "split")
        n = self.array.shape[d]
        if isinstance(split_size_or_sections, int):
            size = split_size_or_sections
            if size < 0 or (size == 0 and n):
                raise ShapeError(f"split: split_size must be positive (0 only for a dim of size 0), got {size} for "
                                 f"dim {dim} of size {n}")
            sizes = [builtins.min(size, n - s) for s in range(0, n, size)] if size else [0]
            sizes = sizes or [0]
        else:
            sizes = [int(s) for s in split_size_or_sections]
            if builtins.any(s < 0 for s in sizes):
                raise ShapeError(f"split: section sizes must be >= 0, got {sizes}")
            if builtins.sum(sizes) != n:
                raise ShapeError(f"split: sections {sizes} sum to {builtins.sum(sizes)} but dim {dim} has size {n}")
        pieces = []
        start = 0
        for s in sizes:
            pieces.append(self[(slice(None),) * d + (slice(start, start + s),)])
            start += s
        return tuple(pieces)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """Split into `chunks` pieces of equal size (the last may be smaller), as PyTorch does."""
        if chunks <= 0:
            raise ShapeError(f"chunk: chunks must be positive, got {chunks}")
        self._at_least_1d("chunk")
        n = self.array.shape[norm_dim(dim, self.ndim, "chunk")]
        if n == 0:                            # PyTorch: `chunks` empty pieces
            return tuple(self[(slice(None),) * norm_dim(dim, self.ndim, "chunk") + (slice(0, 0),)]
                         for _ in range(chunks))
        return self.split(-(-n // chunks), dim)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along `dim`, as a tuple of tensors with that dim removed."""
        self._at_least_1d("unbind")
        d = norm_dim(dim, self.ndim, "unbind")
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self.array.shape[d]))

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """`length` entries along `dim` from `start` (negative start counts from the end): a view."""
        self._at_least_1d("narrow")
        d = norm_dim(dim, self.ndim, "narrow")
        n = self.array.shape[d]
        s = start + n if start < 0 else start
        if not (0 <= s <= n and 0 <= length and s + length <= n):
            raise ShapeError(f"narrow: start {start} and length {length} do not fit in dim {dim} of size {n}")
        return self[(slice(None),) * d + (slice(s, s + length),)]

    def flip(self, *dims: Any) -> Tensor:
        """Reverse the order of elements along `dims`: ints, or one tuple of them."""
        given = dims[0] if len(dims) == 1 else dims
        dims_t = norm_dims(given, self.ndim, "flip")
        no_repeats("flip", dims_t, given)
        return _ops.flip(self, dims=dims_t) if self.ndim else _ops.clone(self)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        """Shift elements along `dims` by `shifts`, wrapping around; without dims, over the flattened tensor."""
        if dims is None:
            if isinstance(shifts, (tuple, list)) and len(shifts) == 1:
                shifts = shifts[0]
            if not isinstance(shifts, (int, np.integer)):
                raise ShapeError(f"roll: without dims, shifts must be one int, got {shifts!r}")
            return _ops.roll(self, shifts=int(shifts), dims=None)
        self._at_least_1d("roll")
        dims_t = norm_dims(dims, self.ndim, "roll")
        shifts_t = (int(shifts),) if isinstance(shifts, (int, np.integer)) else tuple(int(s) for s in shifts)
        if len(shifts_t) != len(dims_t):
            raise ShapeError(f"roll: got {len(shifts_t)} shifts for {len(dims_t)} dims ({shifts!r}, {dims!r})")
        return _ops.roll(self, shifts=shifts_t, dims=dims_t)

    def repeat(self, *sizes: Any) -> Tensor:
        """Tile the tensor sizes[i] times along each dim (PyTorch's `repeat`, NumPy's `tile`)."""
        reps = tuple(int(s) for s in (sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes))
        if len(reps) < self.ndim:
            raise ShapeError(f"repeat: got {len(reps)} sizes for a tensor with {self.ndim} dims; expected at least "
                             f"{self.ndim}")
        if builtins.any(r < 0 for r in reps):
            raise ShapeError(f"repeat: sizes must be >= 0, got {reps}")
        shape = (1,) * (len(reps) - self.ndim) + self.array.shape
        check_allocation("repeat", tuple(r * n for r, n in zip(reps, shape)), self.dtype)
        return _ops.repeat(self, sizes=reps)

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two dims (the rest set to 0); `diagonal` > 0 keeps more."""
        if self.ndim < 2:
            raise ShapeError(f"tril: expected a tensor with at least 2 dims, got shape {self.array.shape}")
        return _ops.tril(self, diagonal=int(diagonal))

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two dims (the rest set to 0); `diagonal` > 0 keeps less."""
        if self.ndim < 2:
            raise ShapeError(f"triu: expected a tensor with at least 2 dims, got shape {self.array.shape}")
        return _ops.triu(self, diagonal=int(diagonal))

    # ---------------------------------------------------------------- new tensors like this one
    def new_tensor(self, data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """A new tensor of `data`, by default of this tensor's dtype (a copy, never in the graph)."""
        check_device(device, "new_tensor")
        arr = array_of(data, self.dtype if dtype is None else dtype, True, "new_tensor")
        check_requires_grad(arr.dtype, requires_grad, "new_tensor")
        t = wrap(arr)
        t._requires_grad = bool(requires_grad)
        return t

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        check_device(device, "new_full")
        dt = self.dtype if dtype is None else np.dtype(dtype)
        return self.new_tensor(np.full(shape_args((size,)), fill_value, dtype=dt), dtype=dt,
                               requires_grad=requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        return self.new_full(shape_args(size), 0, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        return self.new_full(shape_args(size), 1, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        return self.new_full(shape_args(size), 0, dtype=dtype, device=device, requires_grad=requires_grad)

    # ---------------------------------------------------------------- indexing
    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index=normalize_index(index, self.array.shape))

    def __setitem__(self, index: Any, value: Any) -> None:
        self._put("setitem", normalize_index(index, self.array.shape), value)

    def _put(self, op: str, index: Any, value: Any) -> Tensor:
        """self[index] = value: in the graph, recorded as index_put, whose gradient sends g[index] to
        the value and the rest of g to what the tensor held before (out[t] = h in a loop works)."""
        val = value.array if isinstance(value, Tensor) else value
        if isinstance(val, (list, tuple)):               # x[0] = [1.0, 2.0], as PyTorch takes it
            val = value = array_of(val, self.dtype, True, op)
        elif not isinstance(val, np.ndarray):
            check_number(op, val)
        if self._inplace_array(op, value) is not None:
            self.array[index] = val
        else:
            self._record_inplace(op, _ops.index_put, (value,), {"index": index},
                                 lambda: self.array.__setitem__(index, val))
        return self

    def gather(self, dim: int, index: Any) -> Tensor:
        """out[i][j] = self[i][index[i][j]] for dim=1 (PyTorch's gather); repeats add their gradients."""
        idx = index_of("gather", index, (np.int64, np.int32))
        if idx.ndim != self.ndim:
            raise ShapeError(f"gather: index has {idx.ndim} dims but input has {self.ndim} (shape {self.array.shape})")
        d = norm_dim(dim, self.ndim, "gather")
        for k in range(self.ndim):
            if k != d and idx.shape[k] > self.array.shape[k]:
                raise ShapeError(f"gather: index shape {tuple(idx.shape)} is larger than input shape "
                                 f"{self.array.shape} in dim {k}; expected index.size(d) <= input.size(d) for every "
                                 f"d != dim")
        check_index_range("gather", idx, self.array.shape[d] if self.ndim else 1, d)
        if self.ndim == 0:                    # a 0-d tensor and a 0-d index 0: the value itself
            return _ops.clone(self)
        return _ops.gather(self, index=idx, dim=d)

    def index_select(self, dim: int, index: Any) -> Tensor:
        """The entries at `index` (a 1-D integer tensor) along `dim`; repeated indices add their gradients."""
        idx = index_of("index_select", index, (np.int64, np.int32))
        if idx.ndim > 1:
            raise ShapeError(f"index_select: index must be a 1-D tensor (or 0-d), got shape {tuple(idx.shape)}")
        d = norm_dim(dim, self.ndim, "index_select")
        flat = idx.reshape(-1)
        check_index_range("index_select", flat, self.array.shape[d] if self.ndim else 1, d)
        if self.ndim == 0:
            return self.reshape(1)[flat].reshape(())             # (PyTorch: a 0-d input gives a 0-d result)
        return self[(slice(None),) * d + (flat,)]

    def masked_select(self, mask: Any) -> Tensor:
        """The elements where the (broadcast) bool mask is True, as a 1-D tensor; the gradient goes back to them."""
        return self.broadcast_to(np.broadcast_shapes(self.array.shape, np.shape(mask)))[mask]

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """`value` where the (broadcast) bool `mask` is True, else this tensor: where(mask, value, self).
        The result keeps this tensor's dtype; a Tensor value (0-d) gets its gradient."""
        x = self
        m_shape = np.shape(mask.array if isinstance(mask, Tensor) else mask)
        both = broadcast_shape(x.shape, m_shape)
        if both is not None and both != x.shape:
            x = x.expand(*both)                                  # out of place, the tensor broadcasts too
        m = bool_mask("masked_fill", mask, x.shape)
        if isinstance(value, Tensor):
            if value.ndim:
                raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got shape {tuple(value.shape)}")
            fill = value.to(x.dtype)
        else:
            check_number("masked_fill", value)
            fill = np.asarray(value, dtype=x.dtype)
        return _ops.where(m, fill, x)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        """The indices of the nonzero entries: an (n, ndim) int64 tensor, or with `as_tuple` one index
        tensor per dim (ready for indexing), as PyTorch's."""
        idx = np.nonzero(np.atleast_1d(self.array))
        if as_tuple:                          # (a 0-d tensor: one index tensor, as for a vector of one)
            return tuple(wrap(i.astype(np.int64)) for i in idx)
        if self.ndim == 0:                    # (n, 0): n = 1 if it is nonzero
            return wrap(np.zeros((len(idx[0]), 0), dtype=np.int64))
        return wrap(np.stack(idx, axis=1).astype(np.int64))

    def scatter(self, dim: int, index: Any, src: Any = None, *, value: Any = None, reduce: str | None = None) -> Tensor:
        """A copy with src[i][j] (or `value`) written at [i][index[i][j]] for dim=1 (PyTorch's scatter); src
        gets the gradient of the places it was written to, this tensor that of the others. reduce='add' adds
        instead of writing (as scatter_add), 'multiply' multiplies (not differentiable)."""
        if reduce is not None:
            return self._scatter_reduce(dim, index, value if src is None else src, reduce)
        if self.ndim == 0:                # as a vector of one, and back (PyTorch takes 0-d tensors here)
            return self.reshape(1).scatter(dim, tensor_arg(index, "scatter").reshape(1), _scalar_as_1d(src),
                                           value=value).reshape(())
        d, idx, src = self._scatter_args("scatter", dim, index, value if src is None else src)
        return _ops.index_put(self, src, index=_forwards.gather_index(idx, d))

    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        """A copy with src[i][j] added at [i][index[i][j]] for dim=1; repeated indices add up (PyTorch's)."""
        if self.ndim == 0:
            return self.reshape(1).scatter_add(dim, tensor_arg(index, "scatter_add").reshape(1),
                                               _scalar_as_1d(src)).reshape(())
        d, idx, src = self._scatter_args("scatter_add", dim, index, tensor_arg(src, "scatter_add"))
        return self + _ops.gather_backward(src, index=idx, dim=d, shape=self.array.shape)

    def _scatter_args(self, op: str, dim: int, index: Any, src: Any) -> tuple[int, np.ndarray, Any]:
        """Check scatter's arguments as PyTorch does; return the dim, the index array, and src cut to the
        index's shape (src[i][j] is written where index[i][j] points)."""
        idx = index_of(op, index, (np.int64, np.int32))
        if idx.ndim != self.ndim:
            raise ShapeError(f"{op}: index has {idx.ndim} dims but the tensor has {self.ndim} (shape "
                             f"{self.array.shape})")
        d = norm_dim(dim, self.ndim, op)
        src_shape = src.shape if isinstance(src, Tensor) else None
        for k in range(self.ndim):
            if (k != d and idx.shape[k] > self.array.shape[k]) or (src_shape is not None
                                                                    and idx.shape[k] > src_shape[k]):
                raise ShapeError(f"{op}: index of shape {tuple(idx.shape)} is larger than the tensor "
                                 f"{self.array.shape} (other than in dim {d}) or than src {tuple(src_shape)}")
        check_index_range(op, idx, self.array.shape[d] if self.ndim else 1, d)
        if isinstance(src, Tensor):
            if src.dtype != self.dtype:
                raise DTypeError(f"{op}: expected src of the tensor's dtype {self.dtype}, got {src.dtype} (PyTorch "
                                 f"does not convert it either); convert it with .to({self.dtype})")
            src = src[tuple(slice(0, n) for n in idx.shape)] if src.shape != idx.shape else src
        return d, idx.copy(), src

    def _scatter_reduce(self, dim: int, index: Any, src: Any, reduce: str) -> Tensor:
        """PyTorch's older scatter(..., reduce=): deprecated there (with this warning) in favour of scatter_reduce."""
        if reduce not in ("add", "multiply"):
            raise ValueError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
        if isinstance(src, Tensor):
            warnings.warn("The reduce argument of scatter with Tensor src is deprecated (as in PyTorch); use "
                          "scatter_add", UserWarning, stacklevel=user_stacklevel())
        if not isinstance(src, Tensor):
            check_number("scatter", src)
            src = wrap(np.full(np.shape(index.array if isinstance(index, Tensor) else index), src, dtype=self.dtype))
        if reduce == "add":
            return self.scatter_add(dim, index, src)
        if self.requires_grad or src.requires_grad:
            raise RuntimeError("scatter: reduce='multiply' is not differentiable (as in PyTorch); use it under "
                               "no_grad()")
        d, idx, s = self._scatter_args("scatter", dim, index, src)
        out = self.array.copy()
        np.multiply.at(out, _forwards.gather_index(idx, d), s.array)
        return wrap(out)

    # ---------------------------------------------------------------- dtype
    def to(self, *args: Any, dtype: Any = None, device: Any = None) -> Tensor:
        """Convert to a dtype (differentiable between float types): `to(dtype)`, `to(device, dtype)`,
        `to(other)` (other's dtype), as PyTorch. Everything lives on the CPU, so `to("cpu")` /
        `device="cpu"` return the tensor as it is (PyTorch code runs unchanged)."""
        for a in args:
            if is_device(a):
                device = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif a is not None:
                dtype = a
        check_device(device)
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
        if dtype == self.array.dtype:
            return self
        if self.requires_grad and dtype.kind not in _FLOAT_KINDS:
            return wrap(self.array.astype(dtype))       # integer results leave the graph
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

    @property
    def device(self) -> devices.device:
        """Where the tensor lives: always the CPU here (`device(type='cpu')`), as PyTorch code expects to ask."""
        return devices.CPU

    @property
    def is_cuda(self) -> builtins.bool:
        return False

    def cuda(self, device: Any = None, non_blocking: builtins.bool = False) -> Tensor:
        """There is no GPU here: a clear error, as PyTorch's without CUDA."""
        devices.check_device("cuda", "cuda" if device is None else devices.device("cuda", device)
                             if isinstance(device, int) else device)
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
        return self.array.dtype.kind == "f"

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

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
        return self.array

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
        return self._put("fill_", ..., value)

    def copy_(self, src: Any) -> Tensor:
        return self._put("copy_", ..., src)

    # Random fills and draws (the numbers come from random.py). A fill overwrites the values as copy_ does,
    # so the same graph and leaf rules apply; samples are never differentiable.
    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: np.random.Generator | None = None) -> Tensor:
        return self._put("normal_", ..., wrap(_random.normal_values(self.shape, mean, std, generator)))

    def uniform_(self, from_: float = 0.0, to: float = 1.0, *, generator: np.random.Generator | None = None) -> Tensor:
        return self._put("uniform_", ..., wrap(_random.uniform_values(self.shape, from_, to, generator)))

    def exponential_(self, lambd: float = 1.0, *, generator: np.random.Generator | None = None) -> Tensor:
        return self._put("exponential_", ..., wrap(_random.exponential_values(self.shape, lambd, generator)))

    def bernoulli_(self, p: Any = 0.5, *, generator: np.random.Generator | None = None) -> Tensor:
        return self._put("bernoulli_", ..., wrap(_random.bernoulli_values(self.shape, p, generator, "bernoulli_")))

    def bernoulli(self, p: Any = None, *, generator: np.random.Generator | None = None) -> Tensor:
        """0 or 1 for each element, 1 with the probability the element gives (or `p`, when given)."""
        draws = _random.bernoulli_values(self.array.shape, self if p is None else p, generator, "bernoulli")
        return wrap(draws.astype(self.dtype))

    def multinomial(self, num_samples: int, replacement: bool = False, *,
                    generator: np.random.Generator | None = None) -> Tensor:
        """Indices (int64) drawn from the categorical distributions given by the rows of non-negative weights
        (not necessarily summing to 1): shape (num_samples,) for a vector, (rows, num_samples) for a matrix."""
        if self.dtype.kind != "f":
            raise DTypeError(f"multinomial: only floating point weights are supported, got {self.dtype}")
        return wrap(_random.multinomial_indices(self.array, num_samples, replacement, generator))

    def add_(self, other: Any, *, alpha: float = 1) -> Tensor:
        return self._arith_("add_", _ops.add, np.add, other if alpha == 1 else other * alpha)

    def sub_(self, other: Any, *, alpha: float = 1) -> Tensor:
        return self._arith_("sub_", _ops.sub, np.subtract, other if alpha == 1 else other * alpha)

    def mul_(self, other: Any) -> Tensor:
        return self._arith_("mul_", _ops.mul, np.multiply, other)

    def div_(self, other: Any) -> Tensor:
        return self._arith_("div_", _ops.div, np.true_divide, other)

    def _arith_(self, op: str, prim: Any, ufunc: Any, other: Any) -> Tensor:
        o = other.array if isinstance(other, Tensor) else other
        casting = "same_kind"
        if self.array.dtype.kind != "f":
            result = _promotion.result_type([self.array, o])      # PyTorch's: uint8 + 1 is uint8
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
        return self._record_inplace(op, prim, (other,), {},
                                    lambda: ufunc(self.array, o, out=self.array, casting=casting))

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
        lo, hi = (b.array if isinstance(b, Tensor) else b for b in (min, max))
        d = self._inplace_array("clamp_", min if isinstance(min, Tensor) else max)
        if d is not None:
            np.clip(d, lo, hi, out=d)
            return self
        return self._record_inplace("clamp_", _ops.clamp, (min, max), {},
                                    lambda: np.clip(self.array, lo, hi, out=self.array))

    # In place by copying the out-of-place result in. In the graph, copy_'s gradient goes to that result, whose
    # rule may read its input, which copy_ then overwrites: so the op is given a copy of it there.
    def _inplace_by(self, op: Callable[[Tensor], Tensor]) -> Tensor:
        return self.copy_(op(self.clone() if self.requires_grad and _grad_state.enabled else self))

    def exp_(self) -> Tensor:
        return self._inplace_by(Tensor.exp)

    def log_(self) -> Tensor:
        return self._inplace_by(Tensor.log)

    def sqrt_(self) -> Tensor:
        return self._inplace_by(Tensor.sqrt)

    def abs_(self) -> Tensor:
        return self._inplace_by(Tensor.abs)

    def neg_(self) -> Tensor:
        return self._inplace_by(Tensor.neg)

    def pow_(self, exponent: Any) -> Tensor:
        return self._inplace_by(lambda x: x.pow(exponent))

    def tanh_(self) -> Tensor:
        return self._inplace_by(Tensor.tanh)

    def sigmoid_(self) -> Tensor:
        return self._inplace_by(Tensor.sigmoid)

    def relu_(self) -> Tensor:
        if self.dtype == np.bool_:
            raise DTypeError("relu_: not supported for bool tensors (as in PyTorch)")
        d = self._inplace_array("relu_")
        if d is not None:
            np.maximum(d, 0, out=d)
            return self
        return self._record_inplace("relu_", _ops.relu, (), {}, lambda: np.maximum(self.array, 0, out=self.array))

    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
        """In place: `zeros(3, 4).scatter_(1, labels[:, None], 1.0)` makes one-hot rows."""
        d, idx, val = self._scatter_args("scatter_", dim, index, value if src is None else src)
        return self._put("scatter_", _forwards.gather_index(idx, d), val)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Tensor:
        d, idx, val = self._scatter_args("scatter_add_", dim, index, tensor_arg(src))
        return self.add_(_ops.gather_backward(val, index=idx, dim=d, shape=self.array.shape))

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        return self._put("masked_fill_", bool_mask("masked_fill_", mask, self.array.shape), value)


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "int64": "LongTensor",
               "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor"}


def _order(a: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """Indices that sort `a` along `dim`, stably (ties keep their order). As PyTorch: NaN counts as the
    largest value (last ascending, first descending)."""
    if not descending:
        return np.argsort(a, axis=dim, kind="stable")
    if a.dtype.kind == "f":
        order = np.argsort(-a, axis=dim, kind="stable")                     # NaN last...
        nan_first = np.argsort(~np.isnan(np.take_along_axis(a, order, axis=dim)), axis=dim, kind="stable")
        return np.take_along_axis(order, nan_first, axis=dim)              # ...then first
    return np.argsort(~a, axis=dim, kind="stable")                          # ~x: decreasing, no overflow


def _scalar_as_1d(src: Any) -> Any:
    return src.reshape(1) if isinstance(src, Tensor) and src.ndim == 0 else src


def _ints_or_floats(fn: Callable) -> Callable:
    """floor_divide and remainder of two bools: PyTorch has none (NumPy gives int8)."""
    def checked(a: Any, b: Any) -> Any:
        if _promotion.is_bool(a) and _promotion.is_bool(b):
            raise TypeError(f"{fn.__name__} is not supported for two bool operands (as in PyTorch)")
        return fn(a, b)
    return checked


def _no_grad_op(name: str, fn: Callable, *args: Any) -> Tensor:
    """An op without a derivative (comparisons, logic): runs NumPy, records nothing."""
    arrays = [a.array if isinstance(a, Tensor) else a for a in args]
    try:
        # PyTorch wraps a number an integer tensor cannot hold (uint8 tensor < -1 compares with 255); NumPy
        # compares exactly, or refuses (floor_divide).
        ints = [v for v in arrays if isinstance(v, np.ndarray) and v.dtype.kind in "iu"]
        if ints and builtins.any(type(v) is int and not _promotion.fits(v, ints[0].dtype) for v in arrays):
            arrays = _promotion.wrap_numbers(arrays, ints[0].dtype)
        out = np.asarray(fn(*arrays))
        # PyTorch's promotion, as in engine.Primitive
        dtypes = {v.dtype for v in arrays if isinstance(v, np.ndarray)}
        return wrap(_promotion.promote_result(name, out, arrays, len(dtypes) > 1, False, lambda: np.asarray(
            fn(*[a.array if isinstance(a, Tensor) else a for a in _promotion.as_float32(args)]))))
    except (ValueError, TypeError) as exc:
        raise op_error(name, args, {}, exc) from exc


def seed_gradient(t: Tensor, gradient: Any, create_graph: bool, where: str) -> Any:
    """The gradient that starts a backward pass: ones for a scalar, else what the user gave."""
    if gradient is None:
        if t.array.size != 1:
            raise RuntimeError(f"{where}: grad can be implicitly created only for scalar outputs, but the "
                               f"output has shape {t.array.shape}; pass gradient= (same shape) to backward")
        g = np.ones_like(t.array)
    else:
        if not isinstance(gradient, (Tensor, np.ndarray)):
            raise TypeError(f"{where}: gradients can be Tensors (or NumPy arrays) or None, got "
                            f"{type(gradient).__name__}")
        g = gradient.array if isinstance(gradient, Tensor) else np.asarray(gradient, dtype=t.dtype)
        if g.shape != t.array.shape:
            raise RuntimeError(f"{where}: gradient has shape {g.shape} but the output has shape {t.array.shape}")
        if create_graph and isinstance(gradient, Tensor):
            return gradient
    return wrap(g) if create_graph else g


# Bound at the bottom: these modules import Tensor from here (the Tensor/engine pair, the package's one cycle).
from . import engine as _engine  # noqa: E402
from . import inplace as _inplace  # noqa: E402
from . import ops as _ops  # noqa: E402
