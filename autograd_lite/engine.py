"""The core of autograd: recording primitives on the graph, and the backward pass that walks it.

Forward: a `Primitive` called on Tensors runs its NumPy forward and, when grad mode is on and an input requires grad,
hangs a `Node` on the result as `grad_fn`: the graph is tensors pointing to their nodes.

Backward: `run_backward` sorts the graph topologically, then visits tensors from the output back to the leaves,
calling each op's vector-Jacobian products (the rules in `ops.py`) and adding up what reaches each tensor. The rules
run on NumPy arrays, or with `create_graph=True` on Tensors: then the backward pass is itself recorded.

Rarer machinery lives beside it, entered through cheap checks that say what they are for, which a first reading
skips: in-place ops (inplace.py), dtype promotion (promotion.py), sparse gradients (sparse_grad.py), anomaly mode,
combined rules (fused_backward.py), hooks (tensor.py), the drawing observer (viz.py), the structure kept after
backward (grad_fn.py). The one import cycle is a Tensor's with its engine: tensor.py calls ops.py and inplace.py,
which call engine.py, which makes Tensors (tests/test_layout.py keeps it the only one).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import anomaly, fused_backward, promotion
from .errors import SECOND_BACKWARD, op_error
from .grad_fn import GradFn
from .grad_mode import state as grad_state
from .sparse_grad import SparseGrad
from .tensor import Tensor, wrap

_PLAIN = (float, int, np.ndarray)          # operands the fast path takes as they are


class Primitive:
    """An operation the engine knows how to differentiate: `forward(*arrays, **attrs)` computes the
    result on NumPy arrays, and `vjps[i](g, out, *inputs, **attrs)` is input i's rule: its gradient,
    given `g`, the gradient of the output (None for an input never differentiated). Called with arrays
    only, a primitive just runs its forward (rules call each other so); with a Tensor, it records.

    Options: `variadic` (cat: one rule `rule(i, g, out, *inputs)`), `exact_dtype` (the op's dtype, never
    promoted), `reads_inputs`/`reads_output` (inplace.py), `combined_vjp`/`saves_for` (fused_backward.py)."""

    __slots__ = ("name", "forward", "vjps", "exact_dtype", "combined_vjp", "saves_for", "reads_inputs",
                 "reads_output", "refuses_bools")

    def __init__(self, name: str, forward: Callable[..., Any], *vjps: Callable[..., Any] | None,
                 variadic: bool = False, exact_dtype: bool = False, combined_vjp: Callable[..., list] | None = None,
                 saves_for: tuple[int, ...] = ()) -> None:
        self.name, self.forward, self.exact_dtype = name, forward, exact_dtype
        self.vjps = _RulePerInput(vjps) if variadic else vjps     # (variadic: one rule, told which input)
        self.combined_vjp, self.saves_for = combined_vjp, saves_for
        self.reads_inputs, self.reads_output = None, True   # what the rules read: all (ops.py says less)
        self.refuses_bools = False           # no such arithmetic on bools in PyTorch (sub, relu): promotion.py

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def __call__(self, *args: Any, **attrs: Any) -> Any:
        arrays, record, mixed = [], False, False   # the inputs' arrays; an input requires grad; dtypes differ
        dtype, versions = None, 0          # the first tensor's dtype (None: no tensor); the in-place versions
        for a in args:
            if isinstance(a, Tensor):
                if a._version_counter is not None:        # shares memory, or was changed in place: inplace.py
                    versions += a._version_counter.count
                    if a._view_of is not None:             # a view whose base changed in place since: up to date
                        inplace.refresh_view(a, self.name)
                if a._requires_grad:
                    record = True
                d = a.array
                arrays.append(d)
                if d.dtype is not dtype:
                    if dtype is None:
                        dtype = d.dtype
                    else:
                        mixed = True
            else:
                if type(a) not in _PLAIN:                 # None, a bool, a NumPy scalar, a list...: promotion.py
                    mixed = mixed or type(a) is bool       # (a Python bool: the slow path checks the op takes it)
                    a = promotion.plain_operand(self.name, a)
                arrays.append(a)
        if dtype is None:                                  # arrays only: a rule calling another
            return self.forward(*args, **attrs)[0] if self.saves_for else self.forward(*args, **attrs)
        try:
            out = self.forward(*arrays, **attrs)
        except OverflowError:                              # uint8 tensor + (-1): PyTorch wraps the number
            arrays = promotion.numbers_wrapped(self.name, arrays, dtype)
            out = self.forward(*arrays, **attrs)
        except (ValueError, TypeError, IndexError) as exc:
            raise op_error(self.name, args, attrs, exc) from exc
        out, saved = out if self.saves_for else (out, None)   # (what a forward kept for its combined rule)
        out = out if type(out) is np.ndarray else np.asarray(out)
        if (out.dtype is not dtype or mixed) and not self.exact_dtype:    # PyTorch's dtype, where NumPy's differs
            out = promotion.promote_result(self.name, out, arrays, mixed, self.refuses_bools,
                                           lambda: self(*promotion.as_float32(args), **attrs).array)
        t = wrap(out)
        if out.base is not None:                           # a view (of an input's memory: it shares its versions)
            inplace.share_memory(t, out, args)
        if record and grad_state.enabled:
            t._requires_grad = True
            t.grad_fn = node = Node(self, args, arrays, attrs)
            if versions:                                   # remember the versions of what the rules read
                node.saved_versions = inplace.versions_read(self, args, t)
            if self.saves_for and any(isinstance(args[i], Tensor) and args[i]._requires_grad for i in self.saves_for):
                node.saved = saved
            if anomaly.active:
                anomaly.record(node, out)
        return t


class _RulePerInput(tuple):
    """A variadic primitive's one rule, `rule(i, g, out, *inputs)`, seen as a rule per input: `rules[i]`."""

    def __getitem__(self, i: Any) -> Callable[..., Any]:
        return functools.partial(tuple.__getitem__(self, 0), i)


class Node(GradFn):
    """What `Tensor.grad_fn` points to: the op, its `inputs` as given and their NumPy `arrays`, which the rules read.
    Backward frees them as it goes unless `retain_graph=True`, keeping the graph's structure (grad_fn.py: release)."""

    __slots__ = ("op", "inputs", "arrays", "attrs", "saved_versions", "recorded_at", "scope", "trace", "saved",
                 "kept_inputs", "output_info", "__weakref__")      # (the last two: set by `release` only)

    def __init__(self, op: Primitive, inputs: tuple, arrays: list, attrs: dict) -> None:
        self.op, self.inputs, self.arrays, self.attrs = op, inputs, arrays, attrs
        self.saved_versions = 0                      # of what the rules read, when recorded (inplace.py)
        self.recorded_at = INPLACE_OPS.count          # how many in-place ops had run (inplace.py)
        self.scope = grad_state.scope                # the modules it was recorded inside (for pictures)
        self.trace: Any = None                       # where it was created, in anomaly mode
        self.saved: Any = None                       # what a `saves_for` forward kept for `combined_vjp`

    def used_inputs(self) -> tuple:                  # the inputs as this op used them (in-place ops: inplace.py)
        return inplace.inputs_as_used(self)


def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum `g` down to `shape`, the adjoint of broadcasting `shape` up to `g.shape` (on arrays or Tensors):
    broadcasting copies an input along new leading axes and axes of size 1, so its gradient adds them up."""
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))   # no keepdims: a fresh array, not a reshaped view
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if ones:
        g = g.sum(axis=ones, keepdims=True)
    if g.shape != shape:                     # a rule's bug, not a user's error
        raise RuntimeError(f"a rule returned a gradient of shape {g.shape} for an input of shape {shape}")
    return g


def toposort(roots: Sequence[Any], drawn: Callable[[Any], Sequence] | None = None) -> list[Any]:
    """Tensors reachable from `roots` that require grad (pictures: through `drawn(t)`, t's inputs as drawn), each
    after all it depends on (appended when its marker pops, after its inputs): a stack, not recursion, for 10^5 ops."""
    order: list[Tensor] = []
    seen: set[Tensor] = set()
    stack: list[tuple[Tensor, bool]] = [(r, False) for r in reversed(roots)]
    push, pop = stack.append, stack.pop                  # (bound once: they run for every edge)
    while stack:
        t, expanded = pop()
        if expanded:
            order.append(t)
        elif t not in seen:
            seen.add(t)
            push((t, True))
            node = t.grad_fn
            if drawn is not None:                        # (pictures: first inputs first)
                stack.extend((x, False) for x in reversed(drawn(t)) if x not in seen)
            elif node is not None:
                if node.inputs is None:
                    raise RuntimeError(SECOND_BACKWARD)
                for x in node.inputs:
                    if isinstance(x, Tensor) and x._requires_grad:
                        if x._earlier_versions is not None:      # changed in place since: the version used
                            x = inplace.version_used(x, node.recorded_at)
                        if x not in seen:
                            push((x, False))
    return order


def run_backward(roots: Sequence[Tensor], root_grads: Sequence[Any], retain_graph: bool, create_graph: bool,
                 inputs: Sequence[Tensor] | None = None, observer: Callable | None = None) -> list[Any] | None:
    """Propagate gradients from `roots` (seeded with `root_grads`) to the leaves, adding them into the leaves'
    `.grad`; or, given `inputs` (``al.grad``), return the gradients of `inputs` instead (None where none arrived).
    `observer(t, g, grads)` is told of each step (viz.backward_steps draws them; by default, viz.keep_grads')."""
    inplace.refresh_views(roots, "backward")      # (a root that is a stale view of a tensor changed in place)
    order, anomaly_checks, observer = toposort(roots), anomaly.active, observer or grad_state.observer
    grads: dict[Tensor, Any] = {}
    for r, g in zip(roots, root_grads):
        grads[r] = grads[r] + g if r in grads else g
    wanted = None if inputs is None else dict.fromkeys(inputs)
    needed = None if inputs is None else leading_to(inputs, order)   # skip what reaches no wanted input
    claimed = {id(g) for g in root_grads}                            # the caller's arrays: never a .grad
    while order:
        t = order.pop()                  # popping drops our reference: activations are freed as we go
        g = grads.pop(t, None)
        if g is None:
            continue                     # no gradient reached t
        node = t.grad_fn
        if node is None and t._view_of is not None and inplace.is_no_grad_view(t):
            continue                     # made under no_grad: PyTorch sends it no gradient
        if type(g) is SparseGrad:
            g = g.dense()
        if t._hooks:
            g = t._run_hooks(g, create_graph)
        if wanted is not None and t in wanted:
            wanted[t] = g                                      # al.grad(..., inputs): returned, not stored
        elif wanted is None and (node is None or t._retains_grad):
            t._accumulate_grad(g, create_graph, claimed)       # a leaf: its gradient is complete (.grad)
        if node is None:
            continue
        # The chain rule: each input's gradient is its rule applied to g (on Tensors with create_graph).
        xs = node.inputs if node.recorded_at == INPLACE_OPS.count else inplace.inputs_as_used(node, t)
        args, out = (xs, t) if create_graph else (node.arrays, t.array)
        rules, attrs = node.op.vjps, node.attrs
        fused = node.op.combined_vjp is not None and not create_graph     # all inputs at once: fused_backward.py
        combined = fused_backward.gradients(node, g, out, args, xs, needed) if fused else None
        for i, x in enumerate(xs):
            if not isinstance(x, Tensor) or not x._requires_grad or (needed is not None and x not in needed):
                continue
            gi = combined[i] if combined is not None else rules[i](g, out, *args, **attrs)
            if type(gi) is not np.ndarray and not create_graph and type(gi) is not SparseGrad:
                gi = np.asarray(gi)                            # (a NumPy scalar, from a 0-d result)
            xd = x.array
            if gi.shape != xd.shape:
                gi = sum_to(gi, xd.shape)                      # undo broadcasting
            if gi.dtype is not xd.dtype and gi.dtype != xd.dtype:   # (`is` first: != costs 50 ns)
                gi = gi.astype(xd.dtype)
            if anomaly_checks:
                anomaly.check_backward(node, i, gi)
            prev = grads.get(x)
            grads[x] = gi if prev is None else prev + gi      # gradients from several uses add up
        if observer is not None:
            observer(t, g, grads)
        if not retain_graph:
            node.release(xs)               # free what only backward needed; which inputs it had stays
    return None if wanted is None else [wanted[t] for t in inputs]  # type: ignore[union-attr]


def leading_to(inputs: Sequence[Tensor], order: Sequence[Tensor]) -> set[Tensor]:
    """The tensors of `order` from which a path leads to `inputs`: al.grad(loss, x) runs only their rules."""
    reaches = set(inputs)
    for t in order:
        if t.grad_fn is not None and any(x in reaches for x in inplace.inputs_as_used(t.grad_fn)
                                         if isinstance(x, Tensor)):
            reaches.add(t)
    return reaches


from . import inplace  # noqa: E402  (last: inplace.py, and ops.py which it imports, build on Primitive and Node)
from .inplace import INPLACE_OPS  # noqa: E402
