"""RAdam: Adam with the variance of its adaptive rate rectified (Liu et al., 2020), plain momentum SGD early on.

Per parameter, at step t (counted from 1), with g its gradient (negated when maximizing), exactly as
torch.optim.RAdam (foreach=False):

    g = g + weight_decay * p                        L2 penalty folded into the gradient, or
    p = p * (1 - lr * weight_decay)                 decoupled (RAdamW), with decoupled_weight_decay=True
    exp_avg = lerp(exp_avg, g, 1 - beta1)
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g
    rho_inf = 2 / (1 - beta2) - 1                   the longest the simple moving average can be
    rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
    if rho_t > 5:   (the variance is tractable)
        rect = sqrt((rho_t - 4) (rho_t - 2) rho_inf / ((rho_inf - 4) (rho_inf - 2) rho_t))
        p = p - exp_avg / (1 - beta1**t) * lr * (sqrt(1 - beta2**t) / (sqrt(exp_avg_sq) + eps)) * rect
    else:
        p = p - exp_avg / (1 - beta1**t) * lr

Bit for bit PyTorch's: the fused multiply-adds (`add(p, alpha=)`, `lerp_`, `addcmul_`) go through `fma`, and
the products are taken in PyTorch's order, left to right, each rounded in the tensor's dtype. PyTorch writes
the adaptive rate as `sqrt(1 - beta2**t) / tensor`, which Python turns into `tensor.reciprocal() * scalar`:
a reciprocal and a product here too, not one division.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_lite as al

from .optimizer import Optimizer, ParamsT, check_adam_arguments, fma, lerp_


class RAdam(Optimizer):
    """RAdam, as `torch.optim.RAdam`.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate. betas: decay rates of the running averages of the gradient and its square.
        eps: added to the denominator, for stability. weight_decay: L2 penalty coefficient (or decoupled
        decay, with decoupled_weight_decay=True: RAdamW). maximize: ascend instead of descend.
    """

    _param_shaped_state = ("exp_avg", "exp_avg_sq")

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False) -> None:
        check_adam_arguments(lr, eps, betas, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _begin_state(self, p: al.Tensor, state: dict, group: dict[str, Any]) -> None:
        state["exp_avg"] = al.zeros_like(p)
        state["exp_avg_sq"] = al.zeros_like(p)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss if given."""
        loss = self._evaluate(closure)
        with al.no_grad():
            for group in self.param_groups:
                lr, eps, weight_decay = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
                beta1, beta2 = (float(b) for b in group["betas"])
                for p, state, g in self._with_grads(group):
                    step = state["step"].item()
                    dtype = p.array.dtype

                    if weight_decay != 0:
                        if group["decoupled_weight_decay"]:
                            p.mul_(1 - lr * weight_decay)
                        else:
                            g = fma(p.array, weight_decay, g, dtype)     # grad.add(param, alpha=wd)

                    exp_avg = lerp_(state["exp_avg"].array, g, 1 - beta1, fused=True)
                    exp_avg_sq = state["exp_avg_sq"].array
                    exp_avg_sq *= beta2
                    exp_avg_sq[...] = fma(dtype.type(1 - beta2) * g, g, exp_avg_sq, dtype)   # addcmul_

                    # Python floats (double precision), as in PyTorch.
                    bias_correction1 = 1 - beta1**step
                    bias_correction2 = 1 - beta2**step
                    rho_inf = 2 / (1 - beta2) - 1
                    rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2

                    update = (exp_avg / bias_correction1) * lr
                    if rho_t > 5.0:
                        adaptive_lr = np.reciprocal(np.sqrt(exp_avg_sq) + eps) * bias_correction2**0.5
                        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                        update = (update * adaptive_lr) * rect
                    p.sub_(update)                                      # param.add_(update, alpha=-1)
        return loss
