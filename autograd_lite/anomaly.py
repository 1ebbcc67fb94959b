"""Anomaly detection: find the op that first produced a NaN or Inf, forward or backward.

Inside `with detect_anomaly():` every recorded op remembers where in the user's code it was created,
its output is checked for NaN/Inf, and so is every gradient the backward pass computes. The error
names the op and shows that line, which is where a user starts looking (a log of a zero, a 0/0).
Off by default: the checks cost a stack capture and a scan per op.
"""

from __future__ import annotations

import traceback
from typing import Any

import numpy as np

_enabled = False


class AnomalyError(RuntimeError):
    """A NaN or Inf appeared; the message names the op and where it was created."""


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()`."""
    return _enabled


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Context manager (or ``set_detect_anomaly(True)``) that makes NaN/Inf raise `AnomalyError`."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._prev = False

    def __enter__(self) -> None:
        global _enabled
        self._prev = _enabled
        _enabled = self.check_nan

    def __exit__(self, *exc: object) -> None:
        global _enabled
        _enabled = self._prev


def set_detect_anomaly(mode: bool) -> None:
    """Turn anomaly detection on or off globally."""
    global _enabled
    _enabled = bool(mode)


def _where(node: Any) -> str:
    if node.trace is None:
        return "  (the op was created outside detect_anomaly(), so its origin was not recorded)"
    frames = [f for f in node.trace if "autograd_lite" not in f.filename.replace("\\", "/").split("/")]
    frames = frames or list(node.trace)
    return "".join(traceback.format_list(frames[-3:])).rstrip()


def _bad(a: np.ndarray) -> str | None:
    if a.dtype.kind not in "fc":
        return None
    if np.isnan(a).any():
        return "NaN"
    if np.isinf(a).any():
        return "Inf"
    return None


def check_forward(node: Any, out: np.ndarray) -> None:
    kind = _bad(out)
    if kind:
        raise AnomalyError(f"Function '{node.op.name}' produced {kind} in its forward output "
                           f"(shape {out.shape}). The op was created here:\n{_where(node)}")


def check_backward(node: Any, i: int, grad: Any) -> None:
    arr = grad.data if hasattr(grad, "grad_fn") else grad
    kind = _bad(np.asarray(arr))
    if kind:
        raise AnomalyError(f"Function '{node.name()}' returned {kind} in the gradient of its input {i} "
                           f"(shape {np.shape(arr)}). The forward op '{node.op.name}' was created "
                           f"here:\n{_where(node)}")
