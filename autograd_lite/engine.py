"""The autograd engine: recording primitives on the graph, and the backward pass that walks it.

Forward: calling a `Primitive` on Tensors runs its NumPy forward and, when grad mode is on and an input
requires grad, hangs a `Node` (the op, its inputs, their arrays, its attributes) on the result as
`grad_fn`. That is the whole graph: tensors point to the node that made them, nodes to their inputs.

Backward: `run_backward` sorts the graph topologically without recursion, then visits tensors from the
output back to the leaves, calling each op's vector-Jacobian products (the rules in `ops.py`). This file
is the one place where broadcasting is undone (`sum_to`) and where gradients are added up.

In-place ops in the graph (`rebase`) make the tensor the output of a new node; what it held before
becomes a new tensor, that node's input. Nodes recorded earlier still name the tensor itself, and
`resolve` finds the version they used, by the process-wide in-place count (PyTorch rebases history the
same way; its graph points at nodes, ours at tensors, hence the lookup).

The same rules serve two modes. Normally they run on raw NumPy arrays: fast, nothing recorded. With
`create_graph=True` they run on Tensors, so the backward pass is itself recorded and can be
differentiated again (Hessian-vector products, double backprop).
"""

from __future__ import annotations

import traceback
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import anomaly, promotion
from .errors import DTypeError, ShapeError
from .grad_mode import _state
from .tensor import INPLACE, Tensor, _wrap


class Primitive:
    """An operation the engine knows how to differentiate.

    `forward(*arrays, **attrs)` computes the result on NumPy arrays. `vjps[i](g, out, *inputs, **attrs)`
    returns the gradient with respect to input i, given `g`, the gradient of the output; it may return
    a gradient of the broadcast shape, which the engine sums back to the input's shape. A rule of None
    marks an input that is never differentiated (a boolean condition, say). For ops with any number of
    inputs (cat), `variadic=True` and the single rule is called as `rule(i, g, out, *inputs, **attrs)`.

    Called with NumPy arrays only, a primitive just runs its forward: that is how the rules call each
    other when the backward pass runs on arrays. Called with at least one Tensor, it records.

    `joint(mask, g, out, *inputs, **attrs)`, optional, computes the gradients of all inputs at once
    (a list, None where `mask[i]` is false) when the backward pass runs on arrays, so that they can
    share work: a convolution lays out its output gradient once for both its input and weight
    gradients (PyTorch's derivative table does the same with `convolution_backward` and its mask).
    The per-input rules stay the definition, and are what `create_graph=True` records.

    With `saves_for=(i, ...)` the forward returns `(result, saved)`: something it computed on the way
    that the gradients of inputs i, ... can reuse. The node keeps it, until its backward has run, only
    when one of those inputs requires grad; the joint rule gets it as `saved=` (None otherwise). A
    convolution saves its im2col columns for its weight gradient, as PyTorch's own im2col convolution
    kept them (`finput`), so that gradient does not copy them again.
    """

    __slots__ = ("name", "forward", "vjps", "variadic", "exact_dtype", "joint", "saves_for", "reads", "reads_out",
                 "refuses_bools")

    def __init__(self, name: str, forward: Callable[..., Any], *vjps: Callable[..., Any] | None,
                 variadic: bool = False, exact_dtype: bool = False,
                 joint: Callable[..., list] | None = None, saves_for: tuple[int, ...] = (),
                 reads: tuple[int, ...] | None = None, reads_out: bool = True) -> None:
        self.name = name
        self.forward = forward
        self.vjps = vjps
        self.variadic = variadic
        self.exact_dtype = exact_dtype    # the output dtype is the op's own (a cast, setitem): never promoted
        self.joint = joint
        self.saves_for = saves_for        # empty: the forward returns its result alone
        # Which inputs' values (and whether the output's) the rules read: only those must not have been
        # changed in place before backward (PyTorch checks what it saved). None: all of them; a tuple of
        # indices: those; a tuple of tuples: what each input's rule reads, needed only when that input
        # requires grad (mul's rule for x reads y: x * 2 never needs x itself).
        self.reads = reads
        self.reads_out = reads_out
        self.refuses_bools = False        # PyTorch has no such arithmetic on bools (sub, pow, relu): see _promoted

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def __call__(self, *args: Any, **attrs: Any) -> Any:
        vals = []
        record = False
        versions = 0
        first = mixed = None                 # the first tensor's dtype (None: no tensor); whether another differs
        for a in args:
            if isinstance(a, Tensor):
                if a._vc is not None:
                    versions += a._vc.n
                    if a._base is not None:
                        _check_view(a, self.name)
                if a._requires_grad:
                    record = True
                d = a.data
                vals.append(d)
                dt = d.dtype
                if dt is not first:
                    if first is None:
                        first = dt
                    else:
                        mixed = True
            else:
                kind = type(a)
                if kind is not np.ndarray and kind is not float and kind is not int:   # (the usual cases skip this)
                    if isinstance(a, np.generic):        # a NumPy scalar counts as a Python number (PyTorch's)
                        a = a.item()
                    elif kind is bool:
                        mixed = True                 # (a bool operand: the slow path checks the op takes it)
                    elif kind in (list, tuple, str, dict):
                        raise _unsupported(self.name, a)
                vals.append(a)
        if first is None:
            return self.forward(*args, **attrs)[0] if self.saves_for else self.forward(*args, **attrs)
        try:
            out = self.forward(*vals, **attrs)
        except OverflowError:                # uint8 tensor + (-1): PyTorch's arithmetic wraps the number around
            if self.name not in _WRAPPING:        # (its clamp and where refuse it)
                raise DTypeError(f"{self.name}: a number cannot be converted to the tensor's dtype {first} without "
                                 f"overflow") from None
            vals = _wrap_numbers(vals, first)
            out = self.forward(*vals, **attrs)
        except (ValueError, TypeError, IndexError) as exc:
            raise _op_error(self.name, args, attrs, exc) from exc
        if self.saves_for:
            out, saved = out
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if (out.dtype is not first or mixed) and not self.exact_dtype:
            # Operands of several dtypes, or a result of another dtype than theirs (the usual case, one
            # dtype throughout, skips this): PyTorch's promotion (promotion.py), where NumPy's differs.
            out = _promoted(self.name, out, vals, mixed, self.refuses_bools,
                            lambda: self(*_as_float32(args), **attrs).data)
        t = _wrap(out)
        if out.base is not None:
            # A view (reshape, slice, permute...): share the in-place version counter of the input whose
            # memory it views, so a change made through either one is seen by the graph.
            for a in args:
                if isinstance(a, Tensor) and (out.base is a.data or out.base is a.data.base):
                    t._vc = a._shared_vc()
                    # the tensor whose memory this is (a view of a view names the first one), and how
                    # many in-place rebases it had: an in-place op on it afterwards makes this view stale
                    root = a if a._base is None else a._base[0]
                    t._base = (root, len(root._history) if root._history else 0)
                    if a._requires_grad and not _state.enabled:
                        t._requires_grad = True      # PyTorch: a view made under no_grad is a leaf that requires grad
                        NO_GRAD_VIEWS[id(t)] = t     # (but no gradient ever reaches it)
                    break
        if record and _state.enabled:
            t._requires_grad = True
            if versions and self.reads is not None:
                versions = _read_versions(self, args, None)
            # The output's version counts too: rules such as exp's read the output (`out`) as well.
            if t._vc is not None and self.reads_out:
                versions += t._vc.n
            node = Node(self, args, vals, attrs, versions, INPLACE.n, _state.scope)
            if self.saves_for and any(isinstance(args[i], Tensor) and args[i]._requires_grad for i in self.saves_for):
                node.saved = saved
            t.grad_fn = node
            if anomaly._enabled:
                node.trace = traceback.extract_stack()[:-2]
                anomaly.check_forward(node, out)
        return t


_F32 = np.dtype(np.float32)
_WRAPPING = frozenset(("add", "sub", "mul", "pow"))     # ops where PyTorch wraps numbers to an integer dtype


def _read_versions(op: Primitive, inputs: Sequence[Any], out: Tensor | None) -> int:
    """The sum of the in-place versions of what `op`'s rules read: the inputs in `op.reads` (all when
    None) and, if `op.reads_out`, the output `out`."""
    reads = _read_set(op, [isinstance(x, Tensor) and x._requires_grad for x in inputs])
    picked = inputs if reads is None else [inputs[i] for i in reads if i < len(inputs)]
    total = sum(x._vc.n for x in picked if isinstance(x, Tensor) and x._vc is not None)
    if out is not None and op.reads_out and out._vc is not None:
        total += out._vc.n
    return total


def _read_set(op: Primitive, needs_grad: Sequence[bool]) -> set[int] | None:
    """The inputs whose values `op`'s rules read (None: all), given which inputs need a gradient."""
    reads = op.reads
    if reads is None:
        return None
    if reads and isinstance(reads[0], tuple):                # per rule: only the rules that will run
        return {j for i, rule_reads in enumerate(reads) if i < len(needs_grad) and needs_grad[i] for j in rule_reads}
    return set(reads)


def _check_view(a: Tensor, op: str) -> None:
    """Bring a view up to date whose base was changed by an in-place op in the graph since the view was
    taken: its values are the new ones already (it shares the memory), but its place in the graph is
    the old one's. As PyTorch regenerates such a view's grad_fn, it becomes that slice of the new base;
    ops recorded with it before keep the old place (its history, as for an in-place op)."""
    root, rebases = a._base
    if root._history is None or len(root._history) == rebases or not _state.enabled:
        return                                       # up to date, or nothing will be recorded with it
    if not (root.data.flags.c_contiguous and root.dtype == a.dtype):
        raise RuntimeError(f"{op}: this tensor is a view of a tensor of shape {root.shape} that has since been "
                           f"changed by an in-place operation in the graph, and whose memory is not contiguous, "
                           f"so the view cannot be brought up to date; take the view again after the in-place "
                           f"operation")
    replaced_at = INPLACE.n
    prev = _previous(a, False)
    INPLACE.n += 1                                   # ops recorded from now on use the refreshed view
    _reattach(a, root, _view_index(a, root), replaced_at, lambda: prev)


def _view_index(v: Tensor, root: Tensor) -> tuple:
    """Where the elements of `v`, a view of C-contiguous `root`, sit in it: from their byte offsets, an
    index of arrays (one per dim of root) such that root[index] reads v."""
    a = v.data
    offsets = a.__array_interface__["data"][0] - root.data.__array_interface__["data"][0]
    for n, stride in zip(a.shape, a.strides):
        offsets = np.add.outer(offsets, np.arange(n) * stride) if n else np.zeros(a.shape, dtype=np.intp)
    return np.unravel_index(np.asarray(offsets, dtype=np.intp).reshape(a.shape) // a.itemsize, root.shape)


def _reattach(v: Tensor, root: Tensor, index: tuple, replaced_at: int, prev: Callable[[], Tensor | None]) -> None:
    """Make `v` that slice of `root` in the graph from now on; `prev()` takes its old place. (A weak
    reference where a new node holds the old version anyway; else a closure that holds it: nothing else
    does, and the ops recorded with v before need it. It shares v's memory: no copy is kept.)"""
    fresh = _ops().getitem(root, index=index)
    v.grad_fn, v._requires_grad = fresh.grad_fn, fresh._requires_grad
    v._base = (root, len(root._history or ()))
    v._history = [*(v._history or ()), (replaced_at, prev)]


# The nodes that in-place ops recorded (pictures label them `add_`, `setitem`, ...): kept here, weakly,
# rather than as a flag that every node would carry.
IN_PLACE_NODES: weakref.WeakSet = weakref.WeakSet()
# Views made under no_grad of tensors that require grad: leaves that require grad but that, as in PyTorch,
# no gradient reaches. Also kept here, weakly, rather than as a flag on every tensor (by id: a Tensor's ==
# is elementwise, which a WeakSet's membership test would call).
NO_GRAD_VIEWS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def resolve(x: Any, stamp: int) -> Any:
    """The version of tensor `x` that an op recorded at `stamp` used: `x` itself, or what `x` was before
    a later in-place op in the graph (PyTorch rebases a tensor's history there; here the tensor keeps a
    list of its earlier versions, each with the in-place count at which it was replaced).

    The list holds them weakly: the graph keeps each alive until a backward pass frees it, so a long-lived
    tensor changed in place many times does not keep its old values once they are no longer needed."""
    history = x._history if isinstance(x, Tensor) else None
    if history is None or stamp > history[-1][0]:
        return x
    for replaced_at, ref in history:
        if stamp <= replaced_at:
            prev = ref()
            if prev is None:         # freed with the graph that used it, by an earlier backward
                raise RuntimeError(_SECOND_BACKWARD)
            return prev
    return x


def rebase(t: Tensor, op: Primitive, others: Sequence[Any], attrs: dict, write: Callable[[], None]) -> Tensor:
    """An in-place op on `t` inside the graph, as PyTorch's: `t` now holds op(t, *others) and becomes
    that op's output; what it held before lives on as a new tensor, `prev`, the op's input.

    `write()` changes t.data in place (so views and NumPy arrays sharing its memory see the change, and
    no copy is made). The node records `op`, whose ordinary rules give the gradients. If those rules read
    t's old value (`op.reads`: mul_, div_, clamp_), prev gets a copy of it. Ops recorded before with `t` as an
    input find `prev` through `resolve`, by the in-place count; a view of `t` taken before is refused
    from now on (`_check_view`).
    """
    replaced_at = INPLACE.n
    snapshot = _reads_first(op, others)
    prev = _previous(t, snapshot)
    args, vals = [prev], [prev.data]
    for o in others:
        if isinstance(o, Tensor) and o._base is not None:
            _check_view(o, op.name)
        if o is t:                                   # x.add_(x): the other operand is the old x
            args.append(prev)
            vals.append(prev.data if snapshot else t.data.copy())
        elif isinstance(o, Tensor):                  # a view of t would change under write(): keep a copy
            args.append(o)
            vals.append(o.data.copy() if np.may_share_memory(o.data, t.data) else o.data)
        else:
            args.append(o)
            vals.append(o)
    args = tuple(args)
    write()
    t._shared_vc().n += 1
    INPLACE.n += 1
    node = Node(op, args, vals, attrs, 0, replaced_at, _state.scope)
    node.versions = _read_versions(op, args, t)
    if anomaly._enabled:
        node.trace = traceback.extract_stack()[:-3]
        anomaly.check_forward(node, t.data)
    t.grad_fn = node
    t._requires_grad = True
    t._history = [*(t._history or ()), (replaced_at, weakref.ref(prev))]
    IN_PLACE_NODES.add(node)
    return t


def rebase_view(v: Tensor, op: Primitive, others: Sequence[Any], attrs: dict) -> Tensor:
    """An in-place op on `v`, a view of a contiguous tensor (`y[0] += 1`, `y[:, 1].mul_(w)`): as PyTorch's
    CopySlices. The op is recorded out of place on v; its result is written through v into the base,
    which is rebased as `base[positions] = result`; then v becomes that slice of the new base."""
    root = v._base[0]
    replaced_at = INPLACE.n
    prev_v = _previous(v, _reads_first(op, others))     # for this op, and the ops recorded before on v
    new = op(prev_v, *(prev_v if o is v else o for o in others), **attrs)
    index = _view_index(v, root)
    result = new.data.astype(v.dtype, copy=False)
    rebase(root, _ops().index_put, (new,), {"index": index}, lambda: v.data.__setitem__(..., result))
    _reattach(v, root, index, replaced_at, weakref.ref(prev_v))    # v, from now on: that slice of the new base
    return v


def _ops() -> Any:
    from . import ops
    return ops


def _reads_first(op: Primitive, others: Sequence[Any]) -> bool:
    """Will op's rules read its first input (the in-place op's old value)? (Counting t as needing a
    gradient: it does once the op is recorded.)"""
    reads = _read_set(op, [True] + [isinstance(o, Tensor) and o._requires_grad for o in others])
    return reads is None or 0 in reads


def _previous(t: Tensor, snapshot: bool) -> Tensor:
    """What `t` holds now, as a tensor of its own that takes over t's place in the graph before an
    in-place op: a copy (`snapshot`, when the op's rules read it; frozen at t's version now) or t's
    memory itself (its changes are this one's too). Hooks registered on t so far move with it (as in
    PyTorch: they are for the value they were registered on)."""
    prev = _wrap(t.data.copy() if snapshot else t.data)
    prev._requires_grad, prev.grad_fn, prev.name = t._requires_grad, t.grad_fn, t.name
    if snapshot:
        prev._vc = type(t._shared_vc())()
        prev._vc.n = t._vc.n               # type: ignore[union-attr]
    else:
        prev._vc = t._shared_vc()
    prev._hooks, t._hooks = t._hooks, None
    return prev


def node_inputs(node: Node) -> tuple:
    """The node's inputs as it used them: earlier versions of tensors changed in place since."""
    inputs = node.inputs or ()
    if any(isinstance(x, Tensor) and x._history is not None for x in inputs):
        return tuple(resolve(x, node.stamp) for x in inputs)
    return inputs


def _promoted(op: str, out: np.ndarray, vals: Sequence[Any], mixed: bool | None, refuses_bools: bool,
              in_float32: Callable[[], np.ndarray]) -> np.ndarray:
    """`out`, NumPy's result of an op on `vals`, in the dtype PyTorch gives it (promotion.py).

    A float result of integer or bool operands only (exp(int), int / int) is computed again by
    `in_float32()` from float32 inputs, as PyTorch computes it: NumPy computed it in float64 or float16
    (whose rounding would stay), or in float32 by a loop of other last bits. An integer result of
    operands of one dtype has the dtype the op chose (sum of bools: int64)."""
    if out.dtype.kind not in "biufc":           # where(c, x, "a") made strings: no Tensor holds those
        raise _unsupported(op, next(v for v in vals if not isinstance(v, (np.ndarray, int, float, complex))))
    if refuses_bools and any(promotion.is_bool(v) for v in vals):
        raise DTypeError(f"{op}: {promotion.no_bools_message(op)}")
    if out.dtype.kind not in "fc" and not mixed:
        return out
    want = promotion.result_of(out, vals)
    if want.kind in "iu" and any(type(v) is int and not promotion.fits(v, want) for v in vals):
        raise DTypeError(f"{op}: the number {next(v for v in vals if type(v) is int and not promotion.fits(v, want))} "
                         f"cannot be converted to the tensor's dtype {want} without overflow")
    if want == _F32 and not any(type(v) is np.ndarray and v.dtype.kind in "fc" for v in vals):
        return in_float32()
    return out if want == out.dtype else out.astype(want)


def _wrap_numbers(vals: Sequence[Any], dtype: np.dtype | None) -> list:
    """Python ints as arrays of the integer tensor's dtype, wrapped around as PyTorch does (-1 as uint8
    is 255); NumPy refuses a number its dtype cannot hold."""
    if dtype is None or dtype.kind not in "iu":
        raise OverflowError(f"a number does not fit in the tensor's dtype {dtype}")
    return [np.array(v).astype(dtype) if type(v) is int else v for v in vals]


def _as_float32(args: Sequence[Any]) -> list:
    """Bool and integer arrays or tensors as float32 (for ops whose float result NumPy would compute in
    float16 from them)."""
    return [a.float() if isinstance(a, Tensor) and a.dtype.kind in "biu" else
            a.astype(np.float32) if type(a) is np.ndarray and a.dtype.kind in "biu" else a for a in args]


class Node:
    """The record of one primitive application: what `Tensor.grad_fn` points to.

    `inputs` holds the arguments as given (Tensors and constants), `vals` their NumPy values, which the
    rules read in the fast mode. Both are dropped after a backward pass unless `retain_graph=True`:
    that is what frees the intermediate tensors while the user still holds the loss.
    """

    __slots__ = ("op", "inputs", "vals", "attrs", "versions", "stamp", "scope", "trace", "saved", "__weakref__")

    def __init__(self, op: Primitive, inputs: tuple, vals: list, attrs: dict, versions: int = 0,
                 stamp: int = 0, scope: tuple = ()) -> None:
        self.op = op
        self.inputs: tuple | None = inputs
        self.vals: list | None = vals
        self.attrs = attrs
        # The sum of the in-place versions of the inputs and the output when recorded. Versions only
        # grow, so a different sum at backward time means one was modified in place after it was used.
        self.versions = versions
        self.stamp = stamp              # INPLACE.n when recorded: see tensor._InplaceCounter
        self.scope = scope              # the modules (grad_mode.scope) the op was recorded inside
        self.trace: traceback.StackSummary | None = None
        self.saved: Any = None           # what a `saves_for` forward kept for the joint rule

    def check_versions(self, out: Tensor) -> None:
        """Raise if an input, or the output `out`, that the rules read was changed in place after this op
        was recorded. (The tensors as recorded, whose counters follow their memory: not `resolve`d.)"""
        if _read_versions(self.op, self.inputs, out) != self.versions:  # type: ignore[arg-type]
            tensors = [x for x in self.inputs if isinstance(x, Tensor)] + [out]  # type: ignore[union-attr]
            changed = [f"{x.shape}" for x in tensors if x._version]
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an in-place "
                f"operation: an input or the output of '{self.op.name}' (one of the tensors of shape "
                f"{', '.join(changed)}) changed after the forward pass, so its gradient would be computed "
                f"from the wrong values. Do the in-place update after backward(), or use an out-of-place "
                f"op (or .clone()) before modifying it.")

    def name(self) -> str:
        """PyTorch-style name of the backward function, e.g. ``MulBackward``."""
        return "".join(part.capitalize() for part in self.op.name.split("_")) + "Backward"

    @property
    def freed(self) -> bool:
        return self.inputs is None

    def __repr__(self) -> str:
        return f"<{self.name()}>"


def _describe(a: Any) -> str:
    if isinstance(a, Tensor):
        return f"Tensor(shape={a.shape}, dtype={a.dtype})"
    if isinstance(a, np.ndarray):
        return f"ndarray(shape={a.shape}, dtype={a.dtype})"
    return repr(a)


def _unsupported(op: str, value: Any) -> DTypeError:
    shown = repr(value) if len(repr(value)) <= 40 else "..."
    return DTypeError(f"{op}: unsupported operand of type {type(value).__name__} ({shown}): expected Tensors, numbers "
                      f"or NumPy arrays of numbers (make a tensor with al.tensor)")


def _op_error(name: str, args: Sequence[Any], attrs: dict, exc: Exception) -> Exception:
    """Re-raise NumPy's complaint as one that names our op and what it was given."""
    shapes = [tuple(a.shape) for a in args if isinstance(a, (Tensor, np.ndarray))]
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
    odd = [a for a in args if not isinstance(a, (Tensor, np.ndarray, np.generic, int, float, complex, type(None)))]
    if odd:                                          # a string, say: no NumPy detail helps here
        return _unsupported(name, odd[0])
    extra = f" with {', '.join(f'{k}={v!r}' for k, v in attrs.items())}" if attrs else ""
    cls = IndexError if isinstance(exc, IndexError) else DTypeError if isinstance(exc, TypeError) else ShapeError
    return cls(f"{name}: invalid arguments ({got}){extra}: {exc}")


# ----------------------------------------------------------------------------------------------
# Undoing broadcasting, once for the whole engine
# ----------------------------------------------------------------------------------------------

def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum `g` down to `shape`: the adjoint of broadcasting `shape` up to `g.shape`.

    Broadcasting copies an input along new leading axes and along axes of size 1, so its gradient
    adds up the copies along exactly those axes. Works on arrays and on Tensors alike.
    """
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))   # no keepdims: a fresh array, not a reshaped view
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if ones:
        g = g.sum(axis=ones, keepdims=True)
    return g


class SparseGrad:
    """A gradient that is zero except where part of a tensor was read: `x[index]` sends back only
    `values` at `index`. The engine keeps such parts and writes them into one array of zeros when the
    tensor's turn comes, so reading a sequence step by step (`x[t]` for every t, `chunk`) costs work in
    proportion to the parts, not one full-size array of zeros per part added up (quadratic in length).
    """

    __slots__ = ("shape", "dtype", "parts")

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


# ----------------------------------------------------------------------------------------------
# The backward pass
# ----------------------------------------------------------------------------------------------

_SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or to use results after the graph was "
    "freed): the intermediate values were released after the first backward. Pass "
    "retain_graph=True to the first backward() or grad() call if you need to backward twice."
)


def toposort(roots: Sequence[Tensor]) -> list[Tensor]:
    """Tensors reachable from `roots` that require grad, each after every tensor it depends on.

    An explicit stack instead of recursion, so a graph of 10^5 ops needs no deep Python stack.
    A tensor is appended when its marker pops, i.e. after all its inputs have been appended.
    """
    order: list[Tensor] = []
    seen: set[Tensor] = set()
    stack: list[tuple[Tensor, bool]] = [(r, False) for r in reversed(roots)]
    push, pop, visit, finish = stack.append, stack.pop, seen.add, order.append
    while stack:
        t, expanded = pop()
        if expanded:
            finish(t)
            continue
        if t in seen:
            continue
        visit(t)
        push((t, True))
        node = t.grad_fn
        if node is not None:
            inputs = node.inputs
            if inputs is None:
                raise RuntimeError(_SECOND_BACKWARD)
            for x in inputs:
                if isinstance(x, Tensor) and x._requires_grad:
                    if x._history is not None:
                        x = resolve(x, node.stamp)
                    if x not in seen:
                        push((x, False))
    return order


def _fresh(g: np.ndarray, claimed: set[int]) -> np.ndarray:
    """Return `g`, or a copy of it if it might be shared: a `.grad` must never alias another array.

    Rules may hand the same array to two inputs (add passes `g` through) or return views
    (reshape, broadcast_to); writing one of those into two leaves' `.grad` would let an in-place update
    of one (an optimizer, gradient clipping) silently change the other.
    """
    if g.flags.owndata and g.flags.writeable and id(g) not in claimed:
        claimed.add(id(g))
        return g
    return g.copy()


def run_backward(roots: Sequence[Tensor], root_grads: Sequence[Any], retain_graph: bool,
                 create_graph: bool, inputs: Sequence[Tensor] | None = None,
                 on_step: Callable[[Tensor, Any, dict], None] | None = None) -> list[Any] | None:
    """Propagate gradients from `roots` (seeded with `root_grads`) to the leaves.

    With `inputs=None` (``Tensor.backward``) gradients are accumulated into the leaves' `.grad`
    (and into `.grad` of tensors that called `retain_grad()`). With `inputs` (``autograd_lite.grad``)
    nothing is written; the gradients of `inputs` are returned instead, None where none arrived.
    `on_step(t, g, grads)`, if given, is called after the rules of t's node have run, with t's
    gradient and the gradients flowing so far (for `viz.backward_steps`, which draws each step).
    """
    for r in roots:                   # a root that is a view taken before an in-place change: bring it up to date
        if r._base is not None:
            _check_view(r, "backward")
    order = toposort(roots)
    grads: dict[Tensor, Any] = {}
    for r, g in zip(roots, root_grads):
        grads[r] = g if r not in grads else grads[r] + g
    wanted = None if inputs is None else {t: None for t in inputs}
    # For grad(inputs=...), only tensors that lead to a requested input need their rules run: mark them,
    # walking the (inputs-first) order once, so e.g. grad(loss, x) skips every weight's gradient.
    reaches: set[Tensor] | None = None
    if wanted is not None:
        reaches = set()
        for t in order:
            if t in wanted or (t.grad_fn is not None and any(x in reaches for x in node_inputs(t.grad_fn)
                                                             if isinstance(x, Tensor))):
                reaches.add(t)
    claimed: set[int] = {id(g) for g in root_grads}   # the caller's arrays are never stored as-is
    check = anomaly._enabled

    while order:
        # Popping (not iterating) drops our reference to each tensor once it is processed, so forward
        # activations are freed during backward and their memory is reused for gradients: a lower
        # peak, and no heap trimmed and page-faulted back in on every training step.
        t = order.pop()
        g = grads.pop(t, None)
        if g is None:
            continue
        node = t.grad_fn
        if node is None and t._base is not None and NO_GRAD_VIEWS.get(id(t)) is t:
            continue      # a view made under no_grad: it requires grad, but PyTorch's gradients never reach it
        if type(g) is SparseGrad:
            g = g.dense()
        if t._hooks:
            g = _run_hooks(t, g, create_graph)
        if wanted is not None:
            if t in wanted:
                wanted[t] = g
        elif node is None or t._retains_grad:
            _accumulate_grad(t, g, create_graph, claimed)
        if node is None:
            continue

        op = node.op
        inputs_ = node.inputs
        attrs = node.attrs
        if node.stamp != INPLACE.n:
            # In-place ops ran since this op was recorded: check what its rules read is unchanged, and
            # send the gradients to the versions of its inputs that it used.
            node.check_versions(t)
            inputs_ = node_inputs(node)
        if create_graph:
            args, out = inputs_, t              # Tensors: the rules' own ops are recorded
        else:
            args, out = node.vals, t.data      # arrays: plain NumPy, nothing recorded
        rules = op.vjps
        joint = None
        if op.joint is not None and not create_graph:
            mask = [isinstance(x, Tensor) and x._requires_grad and (reaches is None or x in reaches)
                    for x in inputs_]
            joint = (op.joint(mask, g, out, *args, saved=node.saved, **attrs) if op.saves_for
                     else op.joint(mask, g, out, *args, **attrs))
        for i, x in enumerate(inputs_):
            if not (isinstance(x, Tensor) and x._requires_grad):
                continue
            if reaches is not None and x not in reaches:
                continue
            if joint is not None:
                gi = joint[i]
            elif op.variadic:
                gi = rules[0](i, g, out, *args, **attrs)
            else:
                gi = rules[i](g, out, *args, **attrs)
            xd = x.data
            prev = grads.get(x)
            if type(gi) is SparseGrad:
                gi.dtype = xd.dtype
                if check:
                    anomaly.check_backward(node, i, gi.parts[0][1])
                if prev is None:
                    grads[x] = gi
                elif type(prev) is SparseGrad:
                    prev.parts.extend(gi.parts)
                else:
                    grads[x] = prev + gi.dense()
                continue
            if not create_graph and type(gi) is not np.ndarray:
                gi = np.asarray(gi)
            if gi.shape != xd.shape:
                gi = sum_to(gi, xd.shape)
                if gi.shape != xd.shape:   # a rule bug, not a user error
                    raise RuntimeError(f"{op.name} backward returned a gradient of shape {gi.shape} "
                                       f"for an input of shape {xd.shape}")
            if gi.dtype is not xd.dtype and gi.dtype != xd.dtype:   # (`is` first: dtype's != costs 50 ns)
                gi = gi.astype(xd.dtype)
            if check:
                anomaly.check_backward(node, i, gi)
            if prev is None:
                grads[x] = gi
            elif type(prev) is SparseGrad:
                dense = prev.dense()              # a fresh array of ours: adding in place is safe
                dense += gi
                grads[x] = dense
            else:
                grads[x] = prev + gi
        if on_step is not None:
            on_step(t, g, grads)
        if not retain_graph:
            node.inputs = None
            node.vals = None
            if op.saves_for:
                node.saved = None

    if wanted is None:
        return None
    return [wanted[t] for t in inputs]  # type: ignore[union-attr]


def _run_hooks(t: Tensor, g: Any, create_graph: bool) -> Any:
    for hook in t._hooks.values():
        gt = g if create_graph else _wrap(g)
        result = hook(gt)
        if result is not None:
            if not isinstance(result, Tensor):
                raise TypeError(f"a tensor hook must return a Tensor or None, got {type(result).__name__}")
            if result.shape != t.shape:
                raise ValueError(f"a tensor hook returned a gradient of shape {result.shape} for a "
                                 f"tensor of shape {t.shape}")
            g = result if create_graph else result.data
    return g


def _accumulate_grad(t: Tensor, g: Any, create_graph: bool, claimed: set[int]) -> None:
    if create_graph:
        # Keep the graph of the gradient so it can be differentiated again.
        t._grad = g if t._grad is None else t._grad + g
    elif t._grad is None:
        t._grad = _wrap(_fresh(g, claimed))
    elif t._grad._requires_grad:
        t._grad = _wrap(t._grad.data + g)      # an earlier create_graph grad: do not modify its graph
    else:
        # In place, like PyTorch: a reference the user holds to `p.grad` sees the sum.
        np.add(t._grad.data, g, out=t._grad.data, casting="unsafe")
