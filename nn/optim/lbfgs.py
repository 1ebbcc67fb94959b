"""LBFGS: limited-memory BFGS, a quasi-Newton method that re-evaluates the loss through a closure, as torch.optim.LBFGS.

One `step(closure)` runs up to max_iter iterations on all parameters seen as one flat vector x:

    d = -H g                        H: the inverse Hessian estimated from the last history_size pairs
                                    (s = x_(k+1) - x_k, y = g_(k+1) - g_k), by the two-loop recursion
    t = lr                          (min(1, 1 / |g|_1) * lr on the very first iteration)
    x = x + t d                     or t from a line search satisfying the strong Wolfe conditions
                                    (line_search_fn="strong_wolfe"; cubic interpolation, as minFunc)

and stops early when the gradient or the change in x or in the loss falls under the tolerances.

PyTorch's scalars are of two kinds, and the arithmetic follows each: Python floats (the loss, lr) and 0-dim
tensors (dot products, the step t after the first iteration's `1 / |g|_1`), whose operations round in the
parameters' dtype. Here the 0-dim tensors are NumPy scalars of that dtype, which NumPy (NEP 50) combines
with Python floats the way PyTorch combines them with 0-dim tensors. Where PyTorch writes `float / tensor`,
Python runs `tensor.reciprocal() * float`, and so does `_rdiv`. The `add_(..., alpha=)` updates are fused
multiply-adds in PyTorch's CPU kernels, so they go through `fma`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_lite as al

from .optimizer import Optimizer, ParamsT, fma

_Scalar = float | np.floating     # a Python float, or a NumPy scalar standing for a PyTorch 0-dim tensor


def _is_tensor(x: Any) -> bool:
    return isinstance(x, (np.ndarray, np.generic))


def _rdiv(num: Any, den: Any) -> Any:
    """num / den as PyTorch evaluates it: a Python number over a tensor is `den.reciprocal() * num` (two
    roundings), the way torch.Tensor.__rtruediv__ is written."""
    if _is_tensor(den) and not _is_tensor(num):
        return np.reciprocal(den) * num
    return num / den


def _cubic_interpolate(x1: Any, f1: float, g1: Any, x2: Any, f2: float, g2: Any,
                       bounds: tuple[Any, Any] | None = None) -> Any:
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to `bounds`
    (by default [min(x1, x2), max(x1, x2)]); their midpoint when the cubic has no minimum."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - _rdiv(3 * (f1 - f2), x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func: Callable[[Any, Any, np.ndarray], tuple[float, np.ndarray]], x: list[np.ndarray],
                  t: Any, d: np.ndarray, f: float, g: np.ndarray, gtd: Any, c1: float = 1e-4, c2: float = 0.9,
                  tolerance_change: float = 1e-9, max_ls: int = 25) -> tuple[float, np.ndarray, Any, int]:
    """A step t along d satisfying the strong Wolfe conditions (sufficient decrease c1, curvature c2): bracket
    an interval that holds one, then zoom in by cubic interpolation. PyTorch's function, line for line.
    Returns the loss and flat gradient there, t, and the number of closure evaluations."""
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = np.dot(g_new, d)

    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        # the bracketing phase: stop at an interval that must hold a point satisfying the conditions
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break

        # extrapolate, between 1.01 and 10 times the step
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))

        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = np.dot(g_new, d)
        ls_iter += 1

    if ls_iter == max_ls:       # out of evaluations
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # the zoom phase: shrink the bracket until a point satisfies the conditions or it gets too small
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])

        # Too close to an end of the bracket: move 10% of its width in, unless the last point was not close
        # (then give interpolation one more chance), as minFunc does.
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = np.dot(g_new, d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # not enough decrease: the new point becomes the high end
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True             # the Wolfe conditions hold
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # the old high end becomes the low end
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


def _unwrap(value: Any) -> Any:
    """A state entry as step computes with it: Tensors become NumPy arrays (0-dim ones, NumPy scalars)."""
    if isinstance(value, al.Tensor):
        return value.array[()] if value.ndim == 0 else value.array
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _wrap(value: Any) -> Any:
    """The inverse of `_unwrap`: the state holds Tensors where PyTorch's holds tensors (sharing memory)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return al.from_numpy(np.asarray(value) if isinstance(value, np.ndarray) else np.array(value))
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class LBFGS(Optimizer):
    """L-BFGS, as `torch.optim.LBFGS` (after minFunc). One parameter group only; `step` needs a closure that
    clears the gradients, recomputes the loss, calls backward and returns the loss.

    Args:
        params: tensors to optimize (one group).
        lr: learning rate (the step along the search direction, without a line search).
        max_iter: iterations per `step`. max_eval: closure evaluations per `step` (max_iter * 5 // 4).
        tolerance_grad: stop when the largest gradient entry is at most this.
        tolerance_change: stop when the step or the change of the loss is smaller than this.
        history_size: how many (s, y) pairs estimate the inverse Hessian.
        line_search_fn: None (fixed steps of lr) or "strong_wolfe".
    """

    def __init__(self, params: ParamsT, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval, "tolerance_grad": tolerance_grad,
                    "tolerance_change": tolerance_change, "history_size": history_size,
                    "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    @property
    def _params(self) -> list[al.Tensor]:
        return self.param_groups[0]["params"]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        # PyTorch checks only in __init__ and step; refusing here says so where the mistake is made.
        if getattr(self, "param_groups", None):
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # ---------------------------------------------------------------- the parameters as one flat vector
    def _gather_flat_grad(self) -> np.ndarray:
        """All gradients in one new vector (zeros for parameters without one)."""
        return np.concatenate([p.grad.array.reshape(-1) if p.grad is not None
                               else np.zeros(p.numel(), dtype=p.array.dtype) for p in self._params])

    def _add_grad(self, step_size: Any, update: np.ndarray) -> None:
        """x += step_size * update, each parameter with PyTorch's fused `add_(view, alpha=step_size)`."""
        offset = 0
        for p in self._params:
            numel = p.numel()
            p.copy_(al.from_numpy(fma(update[offset:offset + numel].reshape(p.shape), step_size, p.array,
                                      p.array.dtype)))
            offset += numel

    def _clone_param(self) -> list[np.ndarray]:
        return [p.array.copy() for p in self._params]

    def _set_param(self, params_data: list[np.ndarray]) -> None:
        for p, pdata in zip(self._params, params_data):
            p.copy_(al.from_numpy(pdata))

    def _directional_evaluate(self, closure: Callable[[], Any], x: list[np.ndarray], t: Any,
                              d: np.ndarray) -> tuple[float, np.ndarray]:
        """The loss and flat gradient at x + t d; the parameters are left at x."""
        self._add_grad(t, d)
        loss = float(self._evaluate(closure))
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ---------------------------------------------------------------- the step
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to max_iter L-BFGS iterations; returns the loss the closure gave at the start.

        The closure runs with grad mode on (even inside no_grad); the updates are made without it."""
        if closure is None or not callable(closure):
            raise TypeError("LBFGS.step needs a closure that reevaluates the model and returns the loss")
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        with al.no_grad():
            return self._step(closure)

    def _step(self, closure: Callable[[], Any]) -> Any:
        group = self.param_groups[0]
        lr = group["lr"]          # as given: with the default lr=1, PyTorch keeps the int 1 as t
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        # All of the state is kept under the first parameter (PyTorch's layout, for state_dict).
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._evaluate(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1

        flat_grad = self._gather_flat_grad()
        opt_cond = np.abs(flat_grad).max() <= tolerance_grad
        if opt_cond:                                     # already optimal
            return orig_loss

        d, t = _unwrap(state.get("d")), _unwrap(state.get("t"))
        old_dirs, old_stps = _unwrap(state.get("old_dirs")), _unwrap(state.get("old_stps"))
        ro, H_diag = _unwrap(state.get("ro")), _unwrap(state.get("H_diag"))   # noqa: N806 - PyTorch's name
        prev_flat_grad, prev_loss = _unwrap(state.get("prev_flat_grad")), state.get("prev_loss")
        dtype = flat_grad.dtype

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # the direction: steepest descent at first, then the two-loop recursion over the history
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1     # noqa: N806
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = np.dot(y, s)
                if ys > 1e-10:         # a pair that keeps the estimate positive definite
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(_rdiv(1.0, ys))
                    H_diag = ys / np.dot(y, y)     # noqa: N806 - the initial Hessian's scale

                num_old = len(old_dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                alphas = _unwrap(state["al"])

                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    alphas[i] = np.dot(old_stps[i], q) * ro[i]
                    q[...] = fma(old_dirs[i], -alphas[i], q, dtype)       # q.add_(old_dirs[i], alpha=-al[i])
                d = r = q * H_diag
                for i in range(num_old):
                    be_i = np.dot(old_dirs[i], r) * ro[i]
                    r[...] = fma(old_stps[i], alphas[i] - be_i, r, dtype)  # r.add_(old_stps[i], alpha=...)
                state["al"] = _wrap(alphas)

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            # the step length
            if state["n_iter"] == 1:
                t = min(1.0, _rdiv(1.0, np.abs(flat_grad).sum())) * lr
            else:
                t = lr

            gtd = np.dot(flat_grad, d)     # the directional derivative
            if gtd > -tolerance_change:
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = self._clone_param()

                def obj_func(x: list[np.ndarray], t: Any, d: np.ndarray) -> tuple[float, np.ndarray]:
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(obj_func, x_init, t, d, loss, flat_grad, gtd,
                                                                  max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:
                    # re-evaluate, unless this was the last iteration (the next step will)
                    loss = float(self._evaluate(closure))
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1

            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # the stopping conditions
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:     # the step is too small
                break
            if abs(loss - prev_loss) < tolerance_change:     # the loss no longer moves
                break

        state["d"], state["t"] = _wrap(d), _wrap(t)
        state["old_dirs"], state["old_stps"], state["ro"] = _wrap(old_dirs), _wrap(old_stps), _wrap(ro)
        state["H_diag"], state["prev_flat_grad"], state["prev_loss"] = _wrap(H_diag), _wrap(prev_flat_grad), prev_loss
        return orig_loss
