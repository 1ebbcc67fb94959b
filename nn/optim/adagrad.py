"""Adagrad: per-coordinate step sizes that shrink with the sum of that coordinate's squared gradients.

Per parameter, at step t (counted from 1), with g its gradient (negated when maximizing), exactly as
torch.optim.Adagrad (foreach=False):

    g = g + weight_decay * p
    clr = lr / (1 + (t - 1) * lr_decay)
    sum = sum + g * g                          (sum starts at initial_accumulator_value)
    p = p - clr * g / (sqrt(sum) + eps)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_lite as al

from .optimizer import Optimizer, ParamsT


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), as `torch.optim.Adagrad`.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate. lr_decay: the rate shrinks as lr / (1 + (t - 1) * lr_decay).
        weight_decay: L2 penalty coefficient. initial_accumulator_value: starting value of the sum of
        squares. eps: added to the root of the sum, for stability. maximize: ascend instead of descend.
    """

    _param_shaped_state = ("sum",)

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *, maximize: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "maximize": maximize}
        super().__init__(params, defaults)
        # Unlike the other optimizers, PyTorch's Adagrad creates its state up front, for every parameter.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p: al.Tensor) -> dict[str, Any]:
        state = self.state[p]
        if len(state) == 0:
            # PyTorch takes the optimizer-wide initial_accumulator_value here, even for a group that
            # sets its own; we do the same so that the two agree.
            state["step"] = al.tensor(0.0, dtype=al.float32)
            state["sum"] = al.full_like(p, self.defaults["initial_accumulator_value"])
        return state

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss if given."""
        loss = self._evaluate(closure)
        with al.no_grad():
            for group in self.param_groups:
                lr, lr_decay = float(group["lr"]), float(group["lr_decay"])
                weight_decay, eps = float(group["weight_decay"]), float(group["eps"])
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self._init_state(p)
                    state["step"].add_(1)
                    step = state["step"].item()
                    g = -p.grad.array if group["maximize"] else p.grad.array
                    if weight_decay != 0:
                        g = g + weight_decay * p.array
                    clr = lr / (1 + (step - 1) * lr_decay)       # in Python floats, as PyTorch
                    state_sum = state["sum"].array
                    state_sum += g * g
                    std = np.sqrt(state_sum) + eps
                    p.add_((-clr * g) / std)
        return loss
