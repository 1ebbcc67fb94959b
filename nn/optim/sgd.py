"""SGD: stochastic gradient descent with optional momentum (heavy-ball or Nesterov), dampening and L2 decay.

Per parameter, with g its gradient (negated when maximizing), exactly as torch.optim.SGD (foreach=False):

    g = g + weight_decay * p                        (L2 penalty folded into the gradient)
    buf = g                      on the first step  (a copy: no dampening yet)
    buf = momentum * buf + (1 - dampening) * g      afterwards
    g = g + momentum * buf       if nesterov, else g = buf
    p = p - lr * g
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd_lite as al

from .optimizer import Optimizer, ParamsT


class SGD(Optimizer):
    """Stochastic gradient descent, as `torch.optim.SGD`.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate. momentum: factor of the running average of updates (0 disables it).
        dampening: how much of the new gradient the momentum buffer takes in, as 1 - dampening.
        weight_decay: L2 penalty coefficient. nesterov: use Nesterov momentum (needs momentum > 0 and
        dampening 0). maximize: ascend the objective instead of descending it.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss if given."""
        loss = self._evaluate(closure)
        with al.no_grad():
            for group in self.param_groups:
                lr, momentum = float(group["lr"]), float(group["momentum"])
                dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = -p.grad.array if group["maximize"] else p.grad.array
                    if weight_decay != 0:
                        g = g + weight_decay * p.array
                    if momentum != 0:
                        state = self.state[p]
                        buf = state.get("momentum_buffer")
                        if buf is None:
                            # The first step starts the average at the gradient itself, undamped.
                            state["momentum_buffer"] = buf = al.tensor(g)
                        else:
                            b = buf.array
                            b *= momentum
                            b += (1 - dampening) * g
                        g = g + momentum * buf.array if group["nesterov"] else buf.array
                    p.add_(g, alpha=-lr)
        return loss
