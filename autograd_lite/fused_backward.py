"""Combined backward rules: all of an op's input gradients from one call, reusing what its forward saved.

Skip on a first reading. The backward pass (engine.py) calls `gradients` for an op with a `combined_vjp`
when it runs on arrays; with `create_graph=True` it calls the op's per-input rules, which stay the
definition (and a test checks that both agree).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .checks import is_tensor


def gradients(node: Any, g: Any, out: Any, args: Sequence[Any], xs: Sequence[Any], needed: set | None) -> list:
    """All inputs' gradients from one call of the op's `combined_vjp(mask, g, out, *inputs, **attrs)`
    (None where `mask[i]` is false), when the backward pass runs on arrays: they share work. A convolution
    lays out its output gradient once for both its input and weight gradients (PyTorch's derivative table
    does the same with `convolution_backward` and its mask). With `saves_for=(i, ...)` the forward returned
    `(result, saved)`, something it computed on the way that the gradients of inputs i, ... reuse (a
    convolution's im2col columns, as PyTorch's `finput`): the node kept it, when one of those inputs
    requires grad, until its backward has run. The per-input rules stay the definition, and are what
    `create_graph=True` records."""
    mask = [is_tensor(x) and x._requires_grad and (needed is None or x in needed) for x in xs]
    if node.op.saves_for:
        return node.op.combined_vjp(mask, g, out, *args, saved=node.saved, **node.attrs)
    return node.op.combined_vjp(mask, g, out, *args, **node.attrs)
