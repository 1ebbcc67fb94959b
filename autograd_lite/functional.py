"""Derivatives as functions: `grad` (like torch.autograd.grad), `jacobian` and `hessian`.

`grad` returns gradients instead of accumulating them into `.grad`; with `create_graph=True` the
result is itself on the graph, which is what `hessian` (the Jacobian of a gradient) is built from.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import engine
from .creation import zeros_like
from .functions import stack
from .grad_mode import enable_grad
from .tensor import Tensor, seed_gradient, wrap


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """Gradients of `outputs` with respect to `inputs`, returned as a tuple (no `.grad` is touched).

    `grad_outputs` seeds each output (needed for non-scalar outputs). The graph is freed unless
    `retain_graph` (default: `create_graph`). An input the outputs do not depend on is an error
    unless `allow_unused=True`, in which case its gradient is None.
    """
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad; every input must be a Tensor "
                               f"with requires_grad=True")
    gouts = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outs)
    if len(gouts) != len(outs):
        raise ValueError(f"grad: got {len(outs)} outputs but {len(gouts)} grad_outputs")
    roots, seeds = [], []
    for i, (o, g) in enumerate(zip(outs, gouts)):
        if not o.requires_grad:
            raise RuntimeError(f"grad: output {i} does not require grad and does not have a grad_fn")
        roots.append(o)
        seeds.append(seed_gradient(o, g, create_graph, "grad"))
    retain = create_graph if retain_graph is None else retain_graph
    with enable_grad() if create_graph else contextlib.nullcontext():
        found = engine.run_backward(roots, seeds, retain, create_graph, inputs=ins)
    result: list[Tensor | None] = []
    for i, g in enumerate(found or []):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"grad: input {i} (shape {tuple(ins[i].shape)}) was not used in the graph of "
                                   f"the outputs; pass allow_unused=True to get None for it")
            result.append(None)
        else:
            result.append(g if create_graph else wrap(np.array(g, copy=True)))
    return tuple(result)


def jacobian(func: Callable[..., Tensor], inputs: Tensor | Sequence[Tensor],
             create_graph: bool = False) -> Any:
    """The Jacobian of `func` at `inputs`: shape `output.shape + input.shape`.

    One backward pass per output element. With several inputs, a tuple with one Jacobian per input.
    """
    ins = _as_tuple(inputs)
    xs = tuple(x.detach().requires_grad_(True) if not create_graph else x for x in ins)
    with enable_grad():
        out = func(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"jacobian: func must return a Tensor, got {type(out).__name__}")
    jac = [np.zeros(out.shape + x.shape, dtype=out.dtype) for x in xs]
    rows: list[list[Tensor]] = [[] for _ in xs]
    if out.requires_grad:
        for k in range(out.numel()):
            seed = np.zeros(out.shape, dtype=out.dtype)
            seed.flat[k] = 1
            gs = grad(out, xs, grad_outputs=wrap(seed) if create_graph else seed, retain_graph=True,
                      create_graph=create_graph, allow_unused=True)
            for j, g in enumerate(gs):
                if create_graph:
                    rows[j].append(g if g is not None else zeros_like(xs[j]))
                elif g is not None:
                    jac[j][np.unravel_index(k, out.shape) if out.ndim else ()] = g.array
    if create_graph:
        result = tuple(stack(r).reshape(out.shape + x.shape) if r else wrap(jac[j])
                       for j, (r, x) in enumerate(zip(rows, xs)))
    else:
        result = tuple(wrap(j) for j in jac)
    return result if isinstance(inputs, (tuple, list)) else result[0]


def hessian(func: Callable[..., Tensor], inputs: Tensor, create_graph: bool = False) -> Tensor:
    """The Hessian of a scalar function: the Jacobian of its gradient, shape `x.shape + x.shape`."""
    if isinstance(inputs, (tuple, list)):
        raise TypeError("hessian: pass a single input tensor (concatenate several into one)")

    def gradient(x: Tensor) -> Tensor:
        y = func(x)
        if y.numel() != 1:
            raise RuntimeError(f"hessian: func must return a single value, got shape {tuple(y.shape)}")
        (g,) = grad(y, x, create_graph=True)
        return g

    return jacobian(gradient, inputs, create_graph=create_graph)


def vjp(func: Callable[..., Tensor], inputs: Tensor, v: Any) -> tuple[Tensor, Tensor]:
    """`(func(inputs), v^T J)`: the output and the vector-Jacobian product with `v`."""
    x = inputs.detach().requires_grad_(True)
    with enable_grad():
        out = func(x)
    (g,) = grad(out, x, grad_outputs=v, allow_unused=True)
    return out.detach(), g if g is not None else wrap(np.zeros_like(x.array))


def hvp(func: Callable[..., Tensor], inputs: Tensor, v: Any) -> tuple[Tensor, Tensor]:
    """`(func(inputs), H v)`: a Hessian-vector product by double backprop, without forming H."""
    x = inputs.detach().requires_grad_(True)
    with enable_grad():
        out = func(x)
        (g,) = grad(out, x, create_graph=True)
        vv = v if isinstance(v, Tensor) else wrap(np.asarray(v, dtype=x.dtype))
        (hv,) = grad((g * vv).sum(), x, allow_unused=True)
    return out.detach(), hv if hv is not None else wrap(np.zeros_like(x.array))
