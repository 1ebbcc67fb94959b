"""Anomaly detection: find the op that first produced a NaN or Inf, forward or backward.

Inside `with detect_anomaly():` every recorded op remembers where in the user's code it was created,
its output is checked for NaN/Inf, and so is every gradient the backward pass computes. The error
names the op and shows that line, which is where a user starts looking (a log of a zero, a 0/0):
the user's own frames, with autograd_lite's and nn's skipped (`library_dirs`), even for an op made
deep inside a layer or a loss.
Off by default: the checks cost a stack capture and a scan per op.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import numpy as np

from .sparse_grad import SparseGrad

active = False      # read by the engine on every op: a module attribute, the cheapest check


class AnomalyError(RuntimeError):
    """A NaN or Inf appeared; the message names the op and where it was created."""


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()`."""
    return active


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Context manager (or ``set_detect_anomaly(True)``) that makes NaN/Inf raise `AnomalyError`."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._prev = False

    def __enter__(self) -> None:
        global active
        self._prev = active
        active = self.check_nan

    def __exit__(self, *exc: object) -> None:
        global active
        active = self._prev


def set_detect_anomaly(mode: bool) -> None:
    """Turn anomaly detection on or off globally."""
    global active
    active = bool(mode)


# The library's own code: autograd_lite's package directory and, when it has been imported, that of the
# `nn` package shipped beside it. Frames there are how an op was made, not where the user asked for it,
# so the message skips them. Matched on resolved path prefixes (os.path.realpath, so symlinked and
# relative paths agree), never on folder names: a clone is itself a folder named `autograd_lite`, and
# so may be a user's project, and their scripts must still count as theirs.
# `nn` counts only if it is the package installed beside autograd_lite (same parent directory): it is a
# sibling top-level package of this project, and a user's own module that happens to be named `nn`
# must not be hidden. It is looked up when a message is built, not at import, because nn imports
# autograd_lite (never the other way round), so it is not loaded yet when this module is.
_PACKAGE_DIR = os.path.dirname(os.path.realpath(__file__))
_SHOWN = 3            # user frames shown: the line that made the op and the two that led to it


def _package_dir(module: Any) -> str | None:
    path = getattr(module, "__file__", None)
    return os.path.dirname(os.path.realpath(path)) if path else None


def library_dirs() -> tuple[str, ...]:
    """The directories whose frames anomaly messages skip: autograd_lite's and, if imported, nn's."""
    dirs = [_PACKAGE_DIR]
    nn_dir = _package_dir(sys.modules.get("nn"))
    if nn_dir is not None and os.path.dirname(nn_dir) == os.path.dirname(_PACKAGE_DIR):
        dirs.append(nn_dir)
    return tuple(os.path.normcase(d) for d in dirs)


def _in_library(filename: str, dirs: tuple[str, ...]) -> bool:
    # `<frozen runpy>`, `<string>`, `<stdin>`: not a file of ours; realpath would make them cwd paths
    if filename.startswith("<") and filename.endswith(">"):
        return False
    path = os.path.normcase(os.path.realpath(filename))
    return any(path == d or path.startswith(d + os.sep) for d in dirs)


def _where(node: Any) -> str:
    """Where the op was created: the user's last few frames, or the whole trace if it has none."""
    if node.trace is None:
        return "  (the op was created outside detect_anomaly(), so its origin was not recorded)"
    dirs = library_dirs()
    frames = [f for f in node.trace if not _in_library(f.filename, dirs)]
    frames = frames[-_SHOWN:] if frames else list(node.trace)
    return "".join(traceback.format_list(frames)).rstrip()


def _bad(a: np.ndarray) -> str | None:
    if a.dtype.kind not in "fc":
        return None
    if np.isnan(a).any():
        return "NaN"
    if np.isinf(a).any():
        return "Inf"
    return None


def record(node: Any, out: np.ndarray) -> None:
    """Remember where `node`'s op was created (the stack, minus the engine's own frames), and check its
    output for NaN and Inf."""
    node.trace = traceback.extract_stack()[:-2]
    check_forward(node, out)


def check_forward(node: Any, out: np.ndarray) -> None:
    kind = _bad(out)
    if kind:
        raise AnomalyError(f"Function '{node.op.name}' produced {kind} in its forward output "
                           f"(shape {tuple(out.shape)}). The op was created here:\n{_where(node)}")


def check_backward(node: Any, i: int, grad: Any) -> None:
    arr = grad.array if hasattr(grad, "grad_fn") else grad.values()[0] if type(grad) is SparseGrad else grad
    kind = _bad(np.asarray(arr))
    if kind:
        raise AnomalyError(f"Function '{node.name()}' returned {kind} in the gradient of its input {i} "
                           f"(shape {np.shape(arr)}). The forward op '{node.op.name}' was created "
                           f"here:\n{_where(node)}")
