"""Adadelta: per-parameter steps from running averages of squared gradients and squared updates (Zeiler, 2012).

Per parameter, with g its gradient (negated when maximizing), exactly as torch.optim.Adadelta (foreach=False):

    g = g + weight_decay * p
    square_avg = rho * square_avg + (1 - rho) * g * g
    delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g      the step, in the units of p
    acc_delta = rho * acc_delta + (1 - rho) * delta * delta
    p = p - lr * delta
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_lite as al

from .optimizer import Optimizer, ParamsT


class Adadelta(Optimizer):
    """Adadelta, as `torch.optim.Adadelta`.

    Args:
        params: tensors or parameter groups to optimize.
        lr: scales the step (1.0: Zeiler's method as published). rho: smoothing constant of both running
        averages. eps: added inside both square roots. weight_decay: L2 penalty coefficient.
        maximize: ascend instead of descend.
    """

    _param_shaped_state = ("square_avg", "acc_delta")

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, *, maximize: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                                  "maximize": maximize})

    def _begin_state(self, p: al.Tensor, state: dict, group: dict[str, Any]) -> None:
        state["square_avg"] = al.zeros_like(p)
        state["acc_delta"] = al.zeros_like(p)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss if given."""
        loss = self._evaluate(closure)
        with al.no_grad():
            for group in self.param_groups:
                lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
                weight_decay = float(group["weight_decay"])
                for p, state, g in self._with_grads(group):
                    if weight_decay != 0:
                        g = g + weight_decay * p.array
                    square_avg, acc_delta = state["square_avg"].array, state["acc_delta"].array
                    square_avg *= rho
                    square_avg += ((1 - rho) * g) * g
                    delta = np.sqrt(acc_delta + eps)
                    delta /= np.sqrt(square_avg + eps)
                    delta *= g
                    acc_delta *= rho
                    acc_delta += ((1 - rho) * delta) * delta
                    p.add_(al.from_numpy(delta), alpha=-lr)
        return loss
