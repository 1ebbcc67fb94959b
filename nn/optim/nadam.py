"""NAdam: Adam with Nesterov momentum (Dozat, 2016), the momentum coefficient warmed up by a `mu` schedule.

Per parameter, at step t (counted from 1), with g its gradient (negated when maximizing), exactly as
torch.optim.NAdam (foreach=False):

    g = g + weight_decay * p                        L2 penalty folded into the gradient, or
    p = p * (1 - lr * weight_decay)                 decoupled (NAdamW), with decoupled_weight_decay=True
    mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))       and mu_(t+1) likewise
    mu_product = mu_product * mu_t                  the product of all mu so far (a float32 tensor)
    exp_avg = lerp(exp_avg, g, 1 - beta1)
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g
    denom = sqrt(exp_avg_sq / (1 - beta2**t)) + eps
    p = p - lr * (1 - mu_t) / (1 - mu_product) * g / denom
    p = p - lr * mu_(t+1) / (1 - mu_product * mu_(t+1)) * exp_avg / denom

Bit for bit PyTorch's: the multiply-adds PyTorch fuses (the weight decay `add(p, alpha=)`, `lerp_`,
`addcmul_`) go through `fma`, the scalars are Python floats (double) rounded to the tensor's dtype where
PyTorch hands them to a kernel, and each `addcdiv_` is `p + (value * x) / denom`, rounded as it does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_lite as al

from .optimizer import Optimizer, ParamsT, check_adam_arguments, fma, lerp_


class NAdam(Optimizer):
    """NAdam, as `torch.optim.NAdam`.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate. betas: decay rates of the running averages of the gradient and its square.
        eps: added to the denominator, for stability. weight_decay: L2 penalty coefficient (or decoupled
        decay, with decoupled_weight_decay=True: NAdamW). momentum_decay: how fast the momentum coefficient
        mu warms up to beta1 (PyTorch's psi, 4e-3). maximize: ascend instead of descend.
    """

    _param_shaped_state = ("exp_avg", "exp_avg_sq")

    def __init__(self, params: ParamsT, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        check_adam_arguments(lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _begin_state(self, p: al.Tensor, state: dict, group: dict[str, Any]) -> None:
        # Like 'step', mu_product is a float32 scalar tensor whatever the parameter's dtype (PyTorch's
        # default scalar dtype). Loading a state_dict casts it to the parameter's dtype, as PyTorch's
        # load_state_dict does (only 'step' is exempt), so a float64 run continues in float64 after a reload.
        state["mu_product"] = al.tensor(1.0, dtype=al.float32)
        state["exp_avg"] = al.zeros_like(p)
        state["exp_avg_sq"] = al.zeros_like(p)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        # Checkpoints that stored mu_product as a number get PyTorch's float32 tensor back.
        for s in self.state.values():
            if isinstance(s, dict) and "mu_product" in s and not isinstance(s["mu_product"], al.Tensor):
                s["mu_product"] = al.tensor(float(s["mu_product"]), dtype=al.float32)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss if given."""
        loss = self._evaluate(closure)
        with al.no_grad():
            for group in self.param_groups:
                lr, eps, weight_decay = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
                momentum_decay = float(group["momentum_decay"])
                beta1, beta2 = (float(b) for b in group["betas"])
                for p, state, g in self._with_grads(group):
                    step = state["step"].item()
                    dtype = p.array.dtype
                    bias_correction2 = 1 - beta2**step

                    if weight_decay != 0:
                        if group["decoupled_weight_decay"]:
                            p.mul_(1 - lr * weight_decay)
                        else:
                            g = fma(p.array, weight_decay, g, dtype)     # grad.add(param, alpha=wd)

                    # The momentum coefficients are Python floats (double precision), as in PyTorch.
                    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))

                    # `mu_product *= mu` multiplies in the tensor's dtype (mu rounded to it first); the
                    # coefficients below read it back as a Python float.
                    mu_product = state["mu_product"].array
                    mu_product *= mu
                    mu_product_value = float(mu_product)

                    exp_avg = lerp_(state["exp_avg"].array, g, 1 - beta1, fused=True)
                    exp_avg_sq = state["exp_avg_sq"].array
                    exp_avg_sq *= beta2
                    exp_avg_sq[...] = fma(dtype.type(1 - beta2) * g, g, exp_avg_sq, dtype)   # addcmul_
                    denom = np.sqrt(exp_avg_sq / bias_correction2)
                    denom += eps

                    mu_product_next = mu_product_value * mu_next
                    grad_coef = dtype.type(-lr * (1.0 - mu) / (1.0 - mu_product_value))
                    avg_coef = dtype.type((-lr * mu_next) / (1.0 - mu_product_next))
                    p.add_((grad_coef * g) / denom)                     # param.addcdiv_(grad, denom, value=)
                    p.add_((avg_coef * exp_avg) / denom)                # param.addcdiv_(exp_avg, denom, value=)
        return loss
