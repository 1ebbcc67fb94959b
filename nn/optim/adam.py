"""Adam and AdamW: steps scaled by bias-corrected running averages of the gradient and of its square.

Per parameter, at step t (counted from 1), with g its gradient (negated when maximizing), exactly as
torch.optim.Adam / AdamW (foreach=False):

    g = g + weight_decay * p                    Adam: L2 penalty folded into the gradient
    p = p * (1 - lr * weight_decay)             AdamW: decay decoupled from the gradient statistics
    exp_avg = lerp(exp_avg, g, 1 - beta1)
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g
    max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq)                        amsgrad only
    denom = sqrt(exp_avg_sq or max_exp_avg_sq) / sqrt(1 - beta2**t) + eps
    p = p - (lr / (1 - beta1**t)) * exp_avg / denom

Note where eps sits: it is added to the bias-corrected root, as in the paper's Algorithm 1, not to the
uncorrected root as in the "more efficient" ordering the paper suggests at the end of its section 2 (the two
differ early in training, when 1 - beta2**t is small).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_lite as al

from .optimizer import Optimizer, ParamsT, check_adam_arguments, lerp_


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as `torch.optim.Adam`.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate. betas: decay rates of the running averages of the gradient and its square.
        eps: added to the denominator, for stability. weight_decay: L2 penalty coefficient (or decoupled
        decay, with decoupled_weight_decay=True: that is AdamW). amsgrad: normalize by the largest second
        moment seen so far (Reddi et al., 2018). maximize: ascend instead of descend.
    """

    _param_shaped_state = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        check_adam_arguments(lr, eps, betas, weight_decay)
        defaults = {"lr": lr, "betas": (float(betas[0]), float(betas[1])), "eps": eps,
                    "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _begin_state(self, p: al.Tensor, state: dict, group: dict[str, Any]) -> None:
        state["exp_avg"] = al.zeros_like(p)
        state["exp_avg_sq"] = al.zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = al.zeros_like(p)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss if given."""
        loss = self._evaluate(closure)
        with al.no_grad():
            for group in self.param_groups:
                lr, eps, weight_decay = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
                beta1, beta2 = (float(b) for b in group["betas"])
                for p, state, g in self._with_grads(group):
                    step = state["step"].item()

                    if weight_decay != 0:
                        if group["decoupled_weight_decay"]:
                            p.mul_(1 - lr * weight_decay)
                        else:
                            g = g + weight_decay * p.array

                    exp_avg = lerp_(state["exp_avg"].array, g, 1 - beta1)
                    exp_avg_sq = state["exp_avg_sq"].array
                    exp_avg_sq *= beta2
                    exp_avg_sq += ((1 - beta2) * g) * g

                    # The bias corrections are Python floats (double precision), as in PyTorch.
                    bias_correction1 = 1 - beta1**step
                    bias_correction2 = 1 - beta2**step
                    step_size = lr / bias_correction1
                    bias_correction2_sqrt = bias_correction2**0.5

                    if group["amsgrad"]:
                        second = state["max_exp_avg_sq"].array
                        np.maximum(second, exp_avg_sq, out=second)
                    else:
                        second = exp_avg_sq
                    denom = np.sqrt(second) / bias_correction2_sqrt + eps
                    p.add_((-step_size * exp_avg) / denom)
        return loss


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019), as `torch.optim.AdamW`: Adam with decoupled weight decay,
    `p *= 1 - lr * weight_decay` before the Adam step, and weight_decay 1e-2 by default."""

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # An AdamW stays AdamW whatever the loaded groups say (PyTorch does the same).
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
