"""In-place ops and views in the graph: version counters, earlier versions, views brought up to date.

Skip on a first reading. The core (engine.py) enters this file only where a tensor shares memory or has
been changed in place: when recording, for an input with a version counter (a view to bring up to date,
versions to remember) and for a result that is a view (`share_memory`); in backward, for a node recorded
before the last in-place op (`node.recorded_at != INPLACE_OPS.count`), a tensor with earlier versions
(in the topological sort), a view made under no_grad, and a root that is a view.

Versions. Every in-place change of a tensor's memory adds 1 to its `VersionCounter`, which its views
share (as in PyTorch). A node remembers the sum of the versions of what its rules read; a different sum
in backward means a value it needs was overwritten after the forward pass: a clear error, not a wrong
gradient.

In-place ops inside the graph (`record_inplace`). `t.mul_(w)` makes `t` the output of a new node; what
`t` held before lives on as a new tensor, that node's input. Nodes recorded earlier still name `t`
itself, and `version_used` finds the version they used, by the process-wide count of in-place ops at
which each was replaced (PyTorch rebases history the same way; its graph points at nodes, ours at
tensors, hence the lookup).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import anomaly, engine, ops
from .errors import SECOND_BACKWARD
from .grad_mode import state as grad_state
from .tensor import Tensor, wrap


class VersionCounter:
    """How many times a tensor's memory was changed in place. Views of one array (and `detach()`)
    share one counter, as in PyTorch, so a change through any of them is seen by the graph.

    A tensor gets its counter lazily (`_version_counter` is None until it is changed in place or viewed):
    most tensors never are, and one object fewer per op is measurable in the per-op overhead."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


class _InplaceOpCount:
    """How many in-place ops have run, process-wide. A node recorded at this count needs its inputs'
    versions checked in backward only if the count has moved since: the common case costs nothing."""

    count = 0


INPLACE_OPS = _InplaceOpCount()

# The nodes that in-place ops recorded (pictures label them `add_`, `setitem`, ...): kept here, weakly,
# rather than as a flag that every node would carry.
IN_PLACE_NODES: weakref.WeakSet = weakref.WeakSet()
# Views made under no_grad of tensors that require grad: leaves that require grad but that, as in PyTorch,
# no gradient reaches. Also kept here, weakly, rather than as a flag on every tensor (by id: a Tensor's ==
# is elementwise, which a WeakSet's membership test would call).
NO_GRAD_VIEWS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


# ----------------------------------------------------------------------------------------------
# Recording an op: views share their base's counter; a node remembers the versions it read
# ----------------------------------------------------------------------------------------------

def share_memory(t: Tensor, out: np.ndarray, args: Sequence[Any]) -> None:
    """`t` (array `out`) is a view of one of `args` (reshape, slice, permute...): it shares the version
    counter of the input whose memory it views, so a change made through either one is seen by the graph,
    and remembers that tensor (the first one, for a view of a view) and how many in-place changes in the
    graph it had: one afterwards makes this view stale (`refresh_view`)."""
    for a in args:
        if isinstance(a, Tensor) and (out.base is a.array or out.base is a.array.base):
            t._version_counter = a._shared_version_counter()
            root = a if a._view_of is None else a._view_of[0]
            t._view_of = (root, len(root._earlier_versions) if root._earlier_versions else 0)
            if a._requires_grad and not grad_state.enabled:
                t._requires_grad = True      # PyTorch: a view made under no_grad is a leaf that requires grad
                NO_GRAD_VIEWS[id(t)] = t     # (but no gradient ever reaches it)
            return


def is_no_grad_view(t: Tensor) -> bool:
    return NO_GRAD_VIEWS.get(id(t)) is t


def versions_read(op: engine.Primitive, inputs: Sequence[Any], out: Tensor | None) -> int:
    """The sum of the in-place versions of what `op`'s rules read: the inputs in `op.reads_inputs` (all
    when None) and, if `op.reads_output`, the output `out`."""
    reads = _inputs_read(op, [isinstance(x, Tensor) and x._requires_grad for x in inputs])
    picked = inputs if reads is None else [inputs[i] for i in reads if i < len(inputs)]
    total = sum(x._version_counter.count for x in picked if isinstance(x, Tensor) and x._version_counter is not None)
    if out is not None and op.reads_output and out._version_counter is not None:
        total += out._version_counter.count
    return total


def _inputs_read(op: engine.Primitive, needs_grad: Sequence[bool]) -> set[int] | None:
    """The inputs whose values `op`'s rules read (None: all), given which inputs need a gradient."""
    reads = op.reads_inputs
    if reads is None:
        return None
    if reads and isinstance(reads[0], tuple):                # per rule: only the rules that will run
        return {j for i, rule_reads in enumerate(reads) if i < len(needs_grad) and needs_grad[i] for j in rule_reads}
    return set(reads)


# ----------------------------------------------------------------------------------------------
# Backward: the versions a node used
# ----------------------------------------------------------------------------------------------

def version_used(x: Any, recorded_at: int) -> Any:
    """The version of tensor `x` that an op recorded at in-place count `recorded_at` used: `x` itself, or
    what `x` was before a later in-place op in the graph. The list of earlier versions holds them weakly:
    the graph keeps each alive until a backward pass frees it, so a long-lived tensor changed in place many
    times does not keep its old values once they are no longer needed."""
    earlier = x._earlier_versions if isinstance(x, Tensor) else None
    if earlier is None or recorded_at > earlier[-1][0]:
        return x
    for replaced_at, ref in earlier:
        if recorded_at <= replaced_at:
            prev = ref()
            if prev is None:         # freed with the graph that used it, by an earlier backward
                raise RuntimeError(SECOND_BACKWARD)
            return prev
    return x


def inputs_as_used(node: engine.Node, out: Tensor | None = None) -> tuple:
    """The node's inputs as it used them: earlier versions of tensors changed in place since. Given the
    node's output `out`, first check that nothing its rules read was changed in place since."""
    if out is not None:
        check_versions(node, out)
    inputs = node.inputs or ()
    if any(isinstance(x, Tensor) and x._earlier_versions is not None for x in inputs):
        return tuple(version_used(x, node.recorded_at) for x in inputs)
    return inputs


def check_versions(node: engine.Node, out: Tensor) -> None:
    """Raise if an input, or the output `out`, that the rules read was changed in place after this op
    was recorded. (The tensors as recorded, whose counters follow their memory: not `version_used`.)"""
    if versions_read(node.op, node.inputs, out) != node.saved_versions:  # type: ignore[arg-type]
        tensors = [x for x in node.inputs if isinstance(x, Tensor)] + [out]  # type: ignore[union-attr]
        changed = [f"{tuple(x.shape)}" for x in tensors if x._version]
        raise RuntimeError(
            f"one of the variables needed for gradient computation has been modified by an in-place "
            f"operation: an input or the output of '{node.op.name}' (one of the tensors of shape "
            f"{', '.join(changed)}) changed after the forward pass, so its gradient would be computed "
            f"from the wrong values. Do the in-place update after backward(), or use an out-of-place "
            f"op (or .clone()) before modifying it.")


# ----------------------------------------------------------------------------------------------
# In-place ops inside the graph
# ----------------------------------------------------------------------------------------------

def record_inplace(t: Tensor, op: engine.Primitive, others: Sequence[Any], attrs: dict,
                   write: Callable[[], None]) -> Tensor:
    """An in-place op on `t` inside the graph, as PyTorch's: `t` now holds op(t, *others) and becomes
    that op's output; what it held before lives on as a new tensor, `prev`, the op's input.

    `write()` changes t.array in place (so views and NumPy arrays sharing its memory see the change, and
    no copy is made). The node records `op`, whose ordinary rules give the gradients. If those rules read
    t's old value (`op.reads_inputs`: mul_, div_, clamp_), prev gets a copy of it. Ops recorded before
    with `t` as an input find `prev` through `version_used`, by the in-place count; a view of `t` taken
    before is brought up to date when next used (`refresh_view`).
    """
    replaced_at = INPLACE_OPS.count
    snapshot = _reads_first(op, others)
    prev = _old_value(t, snapshot)
    args, arrays = [prev], [prev.array]
    for o in others:
        if isinstance(o, Tensor) and o._view_of is not None:
            refresh_view(o, op.name)
        if o is t:                                   # x.add_(x): the other operand is the old x
            args.append(prev)
            arrays.append(prev.array if snapshot else t.array.copy())
        elif isinstance(o, Tensor):                  # a view of t would change under write(): keep a copy
            args.append(o)
            arrays.append(o.array.copy() if np.may_share_memory(o.array, t.array) else o.array)
        else:
            args.append(o)
            arrays.append(o)
    write()
    t._shared_version_counter().count += 1
    INPLACE_OPS.count += 1
    node = engine.Node(op, tuple(args), arrays, attrs)
    node.recorded_at = replaced_at
    node.saved_versions = versions_read(op, node.inputs, t)
    if anomaly.active:
        anomaly.record(node, t.array)
    t.grad_fn = node
    t._requires_grad = True
    t._earlier_versions = [*(t._earlier_versions or ()), (replaced_at, weakref.ref(prev))]
    IN_PLACE_NODES.add(node)
    return t


def record_inplace_on_view(v: Tensor, op: engine.Primitive, others: Sequence[Any], attrs: dict) -> Tensor:
    """An in-place op on `v`, a view of another tensor (`y[0] += 1`, `y[:, 1].mul_(w)`): as PyTorch's
    CopySlices. The op is recorded out of place on v; its result is written through v into the base,
    which records `base[positions] = result`; then v becomes that slice of the new base."""
    root = v._view_of[0]
    replaced_at = INPLACE_OPS.count
    prev_v = _old_value(v, _reads_first(op, others))     # for this op, and the ops recorded before on v
    new = op(prev_v, *(prev_v if o is v else o for o in others), **attrs)
    index = _view_index(v, root, op.name)
    result = new.array.astype(v.dtype, copy=False)
    record_inplace(root, ops.index_put, (new,), {"index": index}, lambda: v.array.__setitem__(..., result))
    _reattach(v, root, index, replaced_at, weakref.ref(prev_v))    # v, from now on: that slice of the new base
    return v


def refresh_view(a: Tensor, op: str) -> None:
    """Bring a view up to date whose base was changed by an in-place op in the graph since the view was
    taken: its values are the new ones already (it shares the memory), but its place in the graph is
    the old one's. As PyTorch regenerates such a view's grad_fn, it becomes that slice of the new base;
    ops recorded with it before keep the old place (its earlier version, as for an in-place op)."""
    root, versions_then = a._view_of
    if root._earlier_versions is None or len(root._earlier_versions) == versions_then or not grad_state.enabled:
        return                                       # up to date, or nothing will be recorded with it
    if root.dtype != a.dtype:
        raise RuntimeError(f"{op}: this tensor is a view, as {a.dtype}, of a tensor of dtype {root.dtype} that has "
                           f"since been changed by an in-place operation in the graph, so the view cannot be "
                           f"brought up to date; take the view again after the in-place operation")
    replaced_at = INPLACE_OPS.count
    prev = _old_value(a, False)
    INPLACE_OPS.count += 1                           # ops recorded from now on use the refreshed view
    _reattach(a, root, _view_index(a, root, op), replaced_at, lambda: prev)


def refresh_views(tensors: Sequence[Any], op: str) -> None:
    for t in tensors:
        if isinstance(t, Tensor) and t._view_of is not None:
            refresh_view(t, op)


def _view_index(v: Tensor, root: Tensor, op: str) -> tuple:
    """Where the elements of `v`, a view of `root` of the same dtype, sit in it: from their byte offsets, an
    index of arrays (one per dim of root) such that root[index] reads v. A root stored row-major in some
    order of its dims (its own, or a convolution's batch-last output) converts offsets to positions by
    division; any other layout by looking each offset up among the root's own."""
    def offsets(a: np.ndarray) -> np.ndarray:
        """The byte offset of each element of `a` from the start of root's data."""
        at = np.asarray(a.__array_interface__["data"][0] - root.array.__array_interface__["data"][0], dtype=np.intp)
        for n, stride in zip(a.shape, a.strides):
            at = np.add.outer(at, np.arange(n, dtype=np.intp) * stride)
        return at.reshape(a.shape)

    wanted, r = offsets(v.array), root.array
    dims = np.argsort([-stride for stride in r.strides], kind="stable")     # outermost in memory first
    if r.transpose(dims).flags.c_contiguous:
        found = np.unravel_index(wanted // r.itemsize, r.transpose(dims).shape)
        return tuple(found[list(dims).index(d)] for d in range(r.ndim))
    own = offsets(r).ravel()
    order = np.argsort(own, kind="stable")
    if own.size > 1 and not np.diff(own[order]).all():
        raise RuntimeError(f"{op}: unsupported operation: more than one element of the written-to tensor refers "
                           f"to a single memory location (as in PyTorch); clone() the tensor first")
    return np.unravel_index(order[np.searchsorted(own[order], wanted)], root.shape)


def _reattach(v: Tensor, root: Tensor, index: tuple, replaced_at: int, prev: Callable[[], Tensor | None]) -> None:
    """Make `v` that slice of `root` in the graph from now on; `prev()` takes its old place. (A weak
    reference where a new node holds the old version anyway; else a closure that holds it: nothing else
    does, and the ops recorded with v before need it. It shares v's memory: no copy is kept.)"""
    fresh = ops.getitem(root, index=index)
    v.grad_fn, v._requires_grad = fresh.grad_fn, fresh._requires_grad
    v._view_of = (root, len(root._earlier_versions or ()))
    v._earlier_versions = [*(v._earlier_versions or ()), (replaced_at, prev)]


def _reads_first(op: engine.Primitive, others: Sequence[Any]) -> bool:
    """Will op's rules read its first input (the in-place op's old value)? (Counting t as needing a
    gradient: it does once the op is recorded.)"""
    reads = _inputs_read(op, [True] + [isinstance(o, Tensor) and o._requires_grad for o in others])
    return reads is None or 0 in reads


def _old_value(t: Tensor, snapshot: bool) -> Tensor:
    """What `t` holds now, as a tensor of its own that takes over t's place in the graph before an
    in-place op: a copy (`snapshot`, when the op's rules read it; frozen at t's version now) or t's
    memory itself (its changes are this one's too). Hooks registered on t so far move with it (as in
    PyTorch: they are for the value they were registered on)."""
    prev = wrap(t.array.copy() if snapshot else t.array)
    prev._requires_grad, prev.grad_fn, prev.name = t._requires_grad, t.grad_fn, t.name
    if snapshot:
        prev._version_counter = VersionCounter()
        prev._version_counter.count = t._shared_version_counter().count
    else:
        prev._version_counter = t._shared_version_counter()
    prev._hooks, t._hooks = t._hooks, None
    return prev
