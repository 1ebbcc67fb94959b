"""RMSprop: divide each gradient by a running root-mean-square of recent gradients (Hinton's lecture 6e).

Per parameter, with g its gradient (negated when maximizing), exactly as torch.optim.RMSprop (foreach=False):

    g = g + weight_decay * p
    square_avg = alpha * square_avg + (1 - alpha) * g * g
    avg = sqrt(square_avg) + eps                                  plain
    grad_avg = lerp(grad_avg, g, 1 - alpha)
    avg = sqrt(square_avg - grad_avg * grad_avg) + eps            centered (a running variance)
    buf = momentum * buf + g / avg;  p = p - lr * buf             with momentum > 0
    p = p - lr * g / avg                                          without
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_lite as al

from .optimizer import Optimizer, ParamsT, lerp_


class RMSprop(Optimizer):
    """RMSprop, as `torch.optim.RMSprop`.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate. alpha: smoothing constant of the running average of squared gradients.
        eps: added to the denominator, for stability. weight_decay: L2 penalty coefficient.
        momentum: momentum factor. centered: normalize by an estimate of the gradient's variance
        instead of its raw second moment. maximize: ascend instead of descend.
    """

    _param_shaped_state = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _begin_state(self, p: al.Tensor, state: dict, group: dict[str, Any]) -> None:
        state["square_avg"] = al.zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = al.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = al.zeros_like(p)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss if given."""
        loss = self._evaluate(closure)
        with al.no_grad():
            for group in self.param_groups:
                lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
                weight_decay, momentum = float(group["weight_decay"]), float(group["momentum"])
                for p, state, g in self._with_grads(group):
                    if weight_decay != 0:
                        g = g + weight_decay * p.array

                    square_avg = state["square_avg"].array
                    square_avg *= alpha
                    square_avg += ((1 - alpha) * g) * g
                    if group["centered"]:
                        grad_avg = lerp_(state["grad_avg"].array, g, 1 - alpha)
                        avg = np.sqrt(square_avg - grad_avg * grad_avg)
                    else:
                        avg = np.sqrt(square_avg)
                    avg += eps

                    if momentum > 0:
                        buf = state["momentum_buffer"].array
                        buf *= momentum
                        buf += g / avg
                        p.add_(buf, alpha=-lr)
                    else:
                        p.add_((-lr * g) / avg)
        return loss
