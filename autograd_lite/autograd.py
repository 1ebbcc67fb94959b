"""PyTorch's `torch.autograd` names: `Function` (your own op, with its own backward), `grad`, `backward`.

    class Exp(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            (y,) = ctx.saved_tensors
            return grad_output * y

    y = Exp.apply(x)

`apply` runs `forward` without recording, then records one node for the whole op, whose rule is your
`backward`: it is a `Primitive` like those of ops.py, named after the class, so pictures of the graph show it.
Your backward runs on Tensors: without recording in an ordinary backward pass, recorded with
`create_graph=True` (so it can be differentiated again if it is made of differentiable ops, as in PyTorch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .engine import Primitive
from .functional import grad
from .grad_mode import no_grad, state
from .tensor import Tensor, wrap

__all__ = ["Function", "FunctionCtx", "backward", "grad"]


class FunctionCtx:
    """What `forward` leaves for `backward`: tensors saved with `save_for_backward`, any attributes set on it,
    and `needs_input_grad` (one bool per input of forward)."""

    def __init__(self, function: type, needs_input_grad: tuple[bool, ...]) -> None:
        self._function = function
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: tuple = ()
        self.materialize_grads = True
        self._grads: tuple[Any, tuple] | None = None      # (the output gradient, backward's results) of this pass
        self._non_differentiable: set[int] = set()

    def __repr__(self) -> str:
        return f"<ctx of {self._function.__name__}>"

    def save_for_backward(self, *tensors: Any) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward: expected Tensors (or None), got {type(t).__name__}; keep other "
                                f"values as attributes of ctx (ctx.scale = 2.0)")
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors: Any) -> None:
        """Declare outputs that have no gradient (indices, masks): they come out not requiring grad."""
        self._non_differentiable = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class Function:
    """Base class of an op with a hand-written backward, as PyTorch's `torch.autograd.Function`: define the
    static methods `forward(ctx, *args)` and `backward(ctx, *grad_outputs)`, and call `YourOp.apply(*args)`.
    `backward` returns one gradient per argument of `forward` (None for an argument that needs none)."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass defines forward(ctx, *args)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        raise NotImplementedError("a Function subclass defines backward(ctx, *grad_outputs)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(f"{cls.__name__}.apply: takes positional arguments only, as PyTorch's")
        tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx = FunctionCtx(cls, tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        with no_grad():
            out = cls.forward(ctx, *args)
        if not isinstance(out, Tensor):
            raise TypeError(f"{cls.__name__}.forward: expected it to return one Tensor, got {type(out).__name__} "
                            f"(several outputs are not available here yet)")
        if not tensors or not state.enabled or not any(ctx.needs_input_grad) or id(out) in ctx._non_differentiable:
            return out
        ctx._result, ctx._positions, ctx._arity = out.array, tuple(tensors), len(args)
        recorded = _primitive(cls)(*(args[i] for i in tensors), ctx=ctx)
        ctx._result = None                               # (only the recording needed it)
        return recorded


def _primitive(cls: type) -> Primitive:
    """The primitive recording `cls`'s applications: made once per Function class."""
    op = cls.__dict__.get("_primitive")
    if op is None:
        op = Primitive(cls.__name__, lambda *arrays, ctx: ctx._result, _rule, variadic=True,
                       exact_dtype=True)
        op.reads_inputs, op.reads_output = (), False     # the saved tensors are ctx's business, as in PyTorch
        cls._primitive = op
    return op


def _rule(i: int, g: Any, out: Any, *inputs: Any, ctx: FunctionCtx) -> Any:
    """The gradient of the i-th tensor input: from `backward`, called once per backward pass (its results are
    kept on ctx for the other inputs' rules of the same pass, which get the same `g`)."""
    if ctx._grads is None or ctx._grads[0] is not g:
        on_arrays = not isinstance(g, Tensor)
        if on_arrays:
            with no_grad():
                grads = ctx_backward(ctx, wrap(g))
        else:
            grads = ctx_backward(ctx, g)
        if len(grads) != ctx._arity:
            raise RuntimeError(f"function backward returned an incorrect number of gradients (expected "
                               f"{ctx._arity}, got {len(grads)})")
        ctx._grads = (g, grads)
    gi = ctx._grads[1][ctx._positions[i]]
    x = inputs[i]
    if gi is None:
        return np.zeros(x.shape, dtype=x.dtype) if not isinstance(g, Tensor) else g.new_zeros(x.shape)
    if not isinstance(gi, Tensor):
        raise TypeError(f"backward: expected a Tensor or None as the gradient of input {ctx._positions[i]}, got "
                        f"{type(gi).__name__}")
    return gi if isinstance(g, Tensor) else gi.array


def ctx_backward(ctx: FunctionCtx, g: Tensor) -> tuple:
    grads = ctx._function.backward(ctx, g)
    return grads if isinstance(grads, tuple) else (grads,)


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """PyTorch's `torch.autograd.backward`: `backward` of each tensor, with its gradient."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    grads = [grad_tensors] if grad_tensors is None or isinstance(grad_tensors, Tensor) else list(grad_tensors)
    grads = grads * len(tensors) if len(grads) == 1 and grads[0] is None else grads
    for k, (t, g) in enumerate(zip(tensors, grads)):
        last = k == len(tensors) - 1
        t.backward(g, retain_graph=retain_graph if retain_graph is not None else (create_graph or not last),
                   create_graph=create_graph, inputs=inputs)

