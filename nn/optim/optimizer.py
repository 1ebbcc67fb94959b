"""The Optimizer base class: parameter groups, per-parameter state, zero_grad, and state_dict in PyTorch's format.

A subclass (SGD, Adam, ...) passes its hyper-parameters as `defaults` and writes `step`; everything else an
optimizer does is bookkeeping that lives here, shaped exactly like torch.optim.Optimizer's:

    param_groups  a list of dicts, each {'params': [tensors], 'lr': ..., every other option}
    state         {parameter tensor: {'step': Tensor, 'exp_avg': Tensor, ...}}, keyed by the tensor itself
    state_dict()  {'state': {int index: {...}}, 'param_groups': [{..., 'params': [int indices]}]}

Updates run on the NumPy arrays (`p.array`, `p.grad.array`, the state's `.array`) in the parameter's dtype,
and reach the parameter through an in-place Tensor method under `no_grad()`, so autograd's version counter
sees them (a graph that saved the old value then refuses to backward instead of using a stale value).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any

import numpy as np

import autograd_lite as al

ParamsT = Iterable[al.Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, al.Tensor]]


class _RequiredParameter:
    """The `required` marker: a default that a parameter group must override (PyTorch's sentinel)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def check_adam_arguments(lr: float, eps: float, betas: tuple[float, float], weight_decay: float) -> None:
    """The checks the Adam family (Adam, AdamW, NAdam, RAdam) make of their arguments, with PyTorch's messages."""
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def lerp_(start: np.ndarray, end: np.ndarray, weight: float, *, fused: bool = False) -> np.ndarray:
    """`start += weight * (end - start)` in place, as PyTorch's `Tensor.lerp_` orders it.

    PyTorch switches formula at weight 0.5 so that the result is exact at both ends; Adam's and RMSprop's
    averages (weights 0.1, 0.001, 0.01) take the first branch. PyTorch fuses the multiply-add into one FMA
    on CPU: `fused=True` does too (with `fma`, bit for bit PyTorch's); without it the product is rounded
    first, which can differ from PyTorch's in the last bit.
    """
    w = np.asarray(weight, dtype=start.dtype)      # PyTorch rounds the weight to the tensor's dtype first
    if fused:
        # PyTorch's lerp_vec: fma(w, end - start, start), or fma(w - 1, end - start, end) from 0.5 on.
        small = abs(w) < 0.5
        start[...] = fma(w if small else w - np.asarray(1, dtype=start.dtype), end - start,
                         start if small else end, start.dtype)
        return start
    if abs(w) < 0.5:
        start += w * (end - start)
    else:
        start[...] = end - (end - start) * (np.asarray(1, dtype=start.dtype) - w)
    return start


def _add_round_to_odd(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x + y rounded to odd (truncated, then the last bit set if anything was cut off), from NumPy's
    round-to-nearest sum and its exact error (Knuth's TwoSum). A sum rounded to odd with two bits to spare
    rounds on to nearest correctly: the step that makes `fma` exact (Boldo and Melquiond, 2008)."""
    s = x + y
    bb = s - x
    err = (x - (s - bb)) + (y - bb)
    # Inexact and even: the exact sum lies between s and its neighbour towards err, which is odd.
    bits = s.view(np.int64 if s.dtype == np.float64 else np.int32)
    fix = (err != 0) & ((bits & 1) == 0)
    if np.any(fix):
        s = np.where(fix, np.nextafter(s, np.where(err > 0, np.inf, -np.inf).astype(s.dtype)), s)
    return s


def fma(a: Any, b: Any, c: Any, dtype: Any) -> np.ndarray:
    """`a * b + c` rounded once, in `dtype`, as PyTorch's CPU kernels compute `add(x, alpha=)`, `addcmul` and
    `lerp` (one fused multiply-add instruction, `vec::fmadd`). Python numbers are first rounded to `dtype`, as
    PyTorch rounds a scalar argument to the tensor's dtype.

    NumPy has no FMA, so it is emulated exactly: in float32 the product is exact in float64, and the float64
    sum, rounded to odd, rounds on to the correct float32; in float64 the product is split exactly into two
    doubles (Dekker) and the three-term sum is rounded to odd, then to nearest (Boldo and Melquiond's emulated
    FMA). Other dtypes multiply and add.
    """
    dtype = np.dtype(dtype)
    a, b, c = (np.asarray(v, dtype=dtype) for v in (a, b, c))
    if dtype == np.float32 or dtype == np.float16:
        a64, b64, c64 = (v.astype(np.float64) for v in (a, b, c))
        return np.asarray(_add_round_to_odd(a64 * b64, c64)).astype(dtype)
    if dtype != np.float64:
        return a * b + c
    with np.errstate(over="ignore", invalid="ignore"):
        a, b, c = np.broadcast_arrays(a, b, c)
        plain = a * b + c
        # a * b == uh + ul exactly: Veltkamp's split of each factor into halves of 26 bits.
        uh = a * b
        ca, cb = 134217729.0 * a, 134217729.0 * b       # 2**27 + 1
        ah, bh = ca - (ca - a), cb - (cb - b)
        al, bl = a - ah, b - bh
        ul = ((ah * bh - uh) + ah * bl + al * bh) + al * bl
        # uh + ul + c, rounded once: (th, tl) = c + ul and (vh, vl) = uh + th exactly, then the rest, rounded
        # to odd, added to vh.
        th = c + ul
        tl = (c - (th - (th - c))) + (ul - (th - c))
        vh = uh + th
        vl = (uh - (vh - (vh - uh))) + (th - (vh - uh))
        out = vh + _add_round_to_odd(tl, vl)
        # Infinities, NaNs and huge values (where the split overflows) keep the plain result.
        return np.where(np.isfinite(out) & np.isfinite(plain), out, plain)


class Optimizer:
    """Base class of all optimizers: holds the parameter groups and per-parameter state.

    Args:
        params: an iterable of Tensors, of (name, Tensor) pairs, or of dicts (parameter groups, each
            with a 'params' entry and its own options that override `defaults`).
        defaults: the value of every option for groups that do not set it.
    """

    # State entries that have the parameter's shape: load_state_dict checks them, for a clear error
    # when a checkpoint from another architecture is loaded (instead of a broadcast error mid-step).
    _param_shaped_state: tuple[str, ...] = ()

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, al.Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__name__}")
        self.state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ---------------------------------------------------------------- groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (say, a layer unfrozen while fine-tuning)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, al.Tensor):
            param_group["params"] = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):          # from named_parameters()
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, al.Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(param).__name__}")
            # A non-leaf's .grad is never filled in by backward, and updating it would not change the
            # leaves it was computed from. Frozen leaves (requires_grad=False) are allowed, as in PyTorch:
            # their grad stays None, so step skips them.
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        # PyTorch only warns here (and plans an error); a repeated tensor would be stepped twice per step.
        if len(tensors) != len(set(tensors)):
            raise ValueError("optimizer contains a parameter group with duplicate parameters; pass each parameter once")
        seen: set[al.Tensor] = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---------------------------------------------------------------- gradients and the step
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (the default) or to zeros in place.

        With None, the next backward allocates fresh gradients and `step` skips parameters that got none;
        with zeros, those parameters still take a step (with a zero gradient, momentum keeps moving them).
        """
        with al.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    if set_to_none:
                        p.grad = None
                    else:
                        if p.grad.grad_fn is not None:
                            p.grad.detach_()
                        else:
                            p.grad.requires_grad_(False)
                        p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update the parameters once from their gradients; returns what `closure` returned, if given."""
        raise NotImplementedError

    def _with_grads(self, group: dict[str, Any]) -> Iterator[tuple[al.Tensor, dict, Any]]:
        """(p, its state, its gradient's array) for each parameter of `group` that has a gradient, the gradient
        negated when maximizing. The state is begun on first use by `_begin_state`, with PyTorch's float32
        `step` tensor, and the step is counted."""
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = al.tensor(0.0, dtype=al.float32)
                self._begin_state(p, state, group)
            state["step"].add_(1)
            yield p, state, (-p.grad.array if group.get("maximize") else p.grad.array)

    def _begin_state(self, p: al.Tensor, state: dict, group: dict[str, Any]) -> None:
        """An optimizer's own state for parameter `p`, before its first step (running averages: zeros)."""

    @staticmethod
    def _evaluate(closure: Callable[[], Any] | None) -> Any:
        """Run the closure (which recomputes the loss and calls backward) with grad mode on, even when the
        caller is in no_grad: the closure needs a graph to backpropagate through."""
        if closure is None:
            return None
        with al.enable_grad():
            return closure()

    # ---------------------------------------------------------------- saving and loading
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state with parameters replaced by their position (counted across groups).

        Like PyTorch's, it holds references to the live state tensors, not copies; `load_state_dict` copies.
        """
        param_mappings: dict[int, int] = {}
        start_index = 0

        def pack_group(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start_index):
                param_mappings.setdefault(id(p), i)
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(param_mappings[id(k)] if isinstance(k, al.Tensor) else k): v for k, v in self.state.items()}
        return {"state": packed_state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a `state_dict()` into an optimizer over the same number of groups of the same sizes.

        Parameters are matched by position. The state is deep-copied (the loaded optimizer never shares
        buffers with the one that saved it) and floating-point buffers are cast to their parameter's
        dtype, except 'step', which stays float32 as in PyTorch.
        """
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups "
                             f"({len(saved_groups)}) than the optimizer ({len(groups)})")
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(f"loaded state dict contains a parameter group that doesn't match the size of "
                                 f"optimizer's group: group {i} has {len(s['params'])} parameters in the state "
                                 f"dict and {len(g['params'])} in the optimizer")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = self._cast_state(param, k, v)
            else:
                state[k] = copy.deepcopy(v)    # state not tied to a parameter: kept as is, like PyTorch

        new_groups = []
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            new_groups.append(s)
        self.__setstate__({"state": state, "param_groups": new_groups})

    def _cast_state(self, param: al.Tensor, index: int, value: Any, key: Any = None) -> Any:
        """A deep copy of one parameter's saved state, with arrays made Tensors of the parameter's dtype."""
        if isinstance(value, dict):
            return {k: self._cast_state(param, index, v, key=k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self._cast_state(param, index, v) for v in value)
        if not isinstance(value, (al.Tensor, np.ndarray)):
            return copy.deepcopy(value)
        arr = value.array if isinstance(value, al.Tensor) else value
        if key == "step":
            dtype = arr.dtype                   # a float32 counter whatever the parameter's dtype
        elif param.is_floating_point():
            dtype = param.dtype
        else:
            dtype = arr.dtype
        if key in self._param_shaped_state and arr.shape != param.shape:
            raise ValueError(f"loaded state dict has '{key}' of shape {tuple(arr.shape)} for parameter {index}, "
                             f"but that parameter has shape {tuple(param.shape)}")
        return al.tensor(np.array(arr, dtype=dtype, copy=True))

    def __getstate__(self) -> dict[str, Any]:
        # The lr scheduler wraps `step` on the instance; pickles and deep copies leave that out.
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for group in self.param_groups:
            for name, default in self.defaults.items():
                group.setdefault(name, default)
        # Checkpoints that stored 'step' as a number get PyTorch's float32 tensor counter back.
        for s in self.state.values():
            if isinstance(s, dict) and "step" in s and not isinstance(s["step"], al.Tensor):
                s["step"] = al.tensor(float(s["step"]), dtype=al.float32)

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        return "\n".join(lines) + "\n)"
