"""What PyTorch code asks of a `grad_fn`: its name, its `next_functions` (the graph, walked by hand), and a leaf's
`AccumulateGrad`.

Skip on a first reading: `engine.Node` inherits these to describe the graph (as PyTorch's autograd tutorial walks
it, `loss.grad_fn.next_functions[0][0]`); the backward pass never uses them.
"""

from __future__ import annotations

from typing import Any


class GradFn:
    """The part of a node that describes it. (A base of `engine.Node`; no state of its own.)"""

    __slots__ = ()

    def name(self) -> str:
        """PyTorch's name for the backward of this op: MulBackward (PyTorch numbers its overloads: MulBackward0)."""
        return "".join(part[:1].upper() + part[1:] for part in self.op.name.split("_")) + "Backward"  # type: ignore

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    @property
    def next_functions(self) -> tuple:
        """One (function, 0) pair per input, as PyTorch's: the input's `grad_fn`; an `AccumulateGrad` for a leaf
        that requires grad; None for the rest (numbers, tensors that need no gradient)."""
        return tuple(((x.grad_fn or AccumulateGrad(x)) if getattr(x, "_requires_grad", False) else None, 0)
                     for x in self.used_inputs())  # type: ignore[attr-defined]


class AccumulateGrad:
    """A leaf's end of the graph, as PyTorch's: where backward adds the gradient into `variable.grad`."""

    __slots__ = ("variable",)
    next_functions: tuple = ()

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad>"
