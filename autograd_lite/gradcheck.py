"""Gradient checking: compare the engine's gradients with central finite differences in float64.

For each input element x_k, (f(x + eps e_k) - f(x - eps e_k)) / (2 eps) approximates column k of the
Jacobian with an error of order eps^2 (a one-sided difference is only order eps). The analytic
Jacobian comes from one backward pass per output element. They must agree to `atol + rtol * |n|`
(PyTorch's test and defaults). A failure report quotes that test for each entry that fails it, and
also the relative error |a - n| / max(|a|, |n|), read on the usual scale: above 1e-2 the gradient
is probably wrong; below 1e-7 it is right (in float64; float32 cannot get that close, hence the
float64 rule). With the defaults a relative error of 1e-4 passes: pass a smaller `rtol` to demand more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .creation import zeros_like
from .functional import grad
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor, wrap


class GradcheckError(RuntimeError):
    """Analytic and numerical gradients disagree; the message says where and by how much."""


def _outputs(fn: Callable[..., Any], inputs: Sequence[Any]) -> tuple[Tensor, ...]:
    out = fn(*inputs)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    outs = tuple(o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f")
    if not outs:
        raise ValueError("gradcheck: the function returned no floating point tensor to check")
    return outs


def _check_inputs(inputs: Sequence[Any], where: str) -> list[int]:
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError(f"{where}: no input requires grad, so there is nothing to check")
    for i in diff:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"{where}: input {i} has dtype {inputs[i].dtype}; gradient checks need "
                            f"float64 inputs (float32 rounding swamps finite differences)")
    return diff


def _numerical(fn: Callable[..., Any], inputs: Sequence[Any], i: int, eps: float) -> list[np.ndarray]:
    """d(outputs)/d(inputs[i]) by central differences: one array per output, shape out + in."""
    x = inputs[i]
    if not (x.array.flags.c_contiguous and x.array.flags.writeable):
        x.array = np.array(x.array, order="C")     # so the flat view below perturbs x itself
    with no_grad():
        outs = _outputs(fn, inputs)
        jac = [np.zeros(o.shape + x.shape) for o in outs]
        flat = x.array.reshape(-1)           # a view: perturbing it perturbs x
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = [o.array.copy() for o in _outputs(fn, inputs)]
            flat[k] = orig - eps
            minus = [o.array.copy() for o in _outputs(fn, inputs)]
            flat[k] = orig
            idx = np.unravel_index(k, x.shape) if x.ndim else ()
            for j, (p, m) in enumerate(zip(plus, minus)):
                jac[j][(...,) + tuple(idx)] = (p - m) / (2 * eps)
    return jac


def _analytical(fn: Callable[..., Any], inputs: Sequence[Any], diff: list[int]) -> list[list[np.ndarray]]:
    """jac[j][n]: d(output j)/d(input diff[n]) from backward passes, shape out + in."""
    outs = _outputs(fn, inputs)
    xs = [inputs[i] for i in diff]
    jac = [[np.zeros(o.shape + x.shape) for x in xs] for o in outs]
    for j, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for k in range(o.numel()):
            seed = np.zeros(o.shape, dtype=o.dtype)
            seed.flat[k] = 1
            gs = grad(o, xs, grad_outputs=seed, retain_graph=True, allow_unused=True)
            idx = np.unravel_index(k, o.shape) if o.ndim else ()
            for n, g in enumerate(gs):
                if g is not None:
                    jac[j][n][tuple(idx)] = g.array
    return jac


def _report(where: str, i: int, j: int, a: np.ndarray, n: np.ndarray, atol: float, rtol: float,
            out_shape: tuple, in_shape: tuple) -> str:
    """Which entries failed the test |a - n| <= atol + rtol |n| (the one gradcheck applies, as PyTorch's),
    by how much, and their relative errors for reading on the usual scale."""
    allowed = atol + rtol * np.abs(n)
    bad = ~np.isclose(a, n, atol=atol, rtol=rtol)
    pos = np.argwhere(bad)
    diff = np.abs(a - n)
    rel = diff / np.maximum(np.maximum(np.abs(a), np.abs(n)), 1e-300)
    lines = [f"{where}: Jacobian mismatch for output {j} with respect to input {i} "
             f"(output shape {tuple(out_shape)}, input shape {tuple(in_shape)}): {len(pos)} of {a.size} entries fail "
             f"|analytic - numerical| <= atol + rtol * |numerical| (atol={atol:g}, rtol={rtol:g}):"]
    for p in pos[:5]:
        p = tuple(int(k) for k in p)
        oi, ii = p[:len(out_shape)], p[len(out_shape):]
        lines.append(f"  d out{list(oi)} / d input{list(ii)}: analytic {a[p]:.10g}, numerical {n[p]:.10g}, "
                     f"|difference| {diff[p]:.2e} > {allowed[p]:.2e}, relative error {rel[p]:.2e}")
    if len(pos) > 5:
        lines.append(f"  ... and {len(pos) - 5} more")
    lines.append(f"  worst relative error {rel[bad].max():.2e} (rule of thumb in float64: > 1e-2 the rule is "
                 f"probably wrong; < 1e-7 good)")
    return "\n".join(lines)


def gradcheck(fn: Callable[..., Any], inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check the gradients of `fn` at `inputs` (a Tensor or tuple) against central differences.

    Only float64 inputs with requires_grad=True are checked; other arguments are passed through.
    Returns True if they agree; otherwise raises GradcheckError (or returns False if
    `raise_exception=False`) with a report naming the input, the index and the relative error.
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = _check_inputs(inputs, "gradcheck")
    analytic = _analytical(fn, inputs, diff)
    for n, i in enumerate(diff):
        numeric = _numerical(fn, inputs, i, eps)
        for j, num in enumerate(numeric):
            a = analytic[j][n]
            if not np.allclose(a, num, atol=atol, rtol=rtol):
                msg = _report("gradcheck", i, j, a, num, atol, rtol, a.shape[:a.ndim - inputs[i].ndim],
                              inputs[i].shape)
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(fn: Callable[..., Any], inputs: Any, grad_outputs: Any = None, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
                  seed: int = 0) -> bool:
    """Check second derivatives: gradcheck the function that maps (inputs, v) to v^T J(inputs).

    `grad_outputs` (the v's) default to random float64 tensors. Checking this function's gradient with
    respect to the inputs exercises every rule's own derivative, i.e. the `create_graph=True` path.
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = _check_inputs(inputs, "gradgradcheck")
    outs = _outputs(fn, inputs)
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        vs = tuple(wrap(rng.standard_normal(o.shape)).requires_grad_() for o in outs)
    else:
        vs = tuple(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else (grad_outputs,)
    k = len(inputs)

    def first_derivative(*args: Any) -> tuple[Tensor, ...]:
        xs, v = args[:k], args[k:]
        with enable_grad():     # the numerical pass calls this under no_grad; it needs a graph
            os = _outputs(fn, xs)
        pairs = [(o, g) for o, g in zip(os, v) if o.requires_grad]
        if not pairs:
            return ()
        gs = grad([o for o, _ in pairs], [xs[i] for i in diff], grad_outputs=[g for _, g in pairs],
                  create_graph=True, allow_unused=True)
        # An input the outputs do not depend on has a zero derivative, not a missing one.
        return tuple(g if g is not None else zeros_like(xs[i]) for g, i in zip(gs, diff))

    return gradcheck(first_derivative, inputs + vs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
