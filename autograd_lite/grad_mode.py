"""Grad mode: the thread-local switch that decides whether operations are recorded on the graph.

Like PyTorch, each thread starts with recording enabled; `no_grad()` turns it off for a block or a
function (evaluation loops, optimizer updates) and `enable_grad()` turns it back on inside such a block.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradState(threading.local):
    # A class attribute on a threading.local subclass is the per-thread default, so every new
    # thread starts with grad enabled, whatever the main thread is doing.
    enabled: bool = True
    # The scopes (usually nn.Modules) the current op is recorded inside, outermost first; recorded
    # on each Node so that pictures of the graph can group ops by the module that made them.
    scope: tuple = ()
    # The observer of every backward pass not given one of its own (viz.keep_grads sets it): engine.run_backward.
    observer: Callable | None = None


state = _GradState()        # this thread's mode and scopes: read by the engine on every op


def is_grad_enabled() -> bool:
    """Return True if operations are currently recorded for autograd (in this thread)."""
    return state.enabled


class _GradModeContext:
    """Base of `no_grad`, `enable_grad` and `set_grad_enabled`: a context manager and a decorator.

    The previous mode is kept on a per-instance stack so one instance can be entered re-entrantly
    (a decorated recursive function) without losing the outer state.
    """

    _mode: bool

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # `@no_grad` without parentheses (PyTorch 2 accepts it): called with the function itself.
        if cls is not set_grad_enabled and len(args) == 1 and callable(args[0]) and not kwargs:
            return cls()(args[0])
        return super().__new__(cls)

    def __init__(self) -> None:
        self._prev: list[bool] = []

    def __enter__(self) -> None:
        self._prev.append(state.enabled)
        state.enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        state.enabled = self._prev.pop()

    def __call__(self, fn: F) -> F:
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = state.enabled
            state.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                state.enabled = prev

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Disable recording: results of operations inside do not require grad.

    Use as ``with no_grad(): ...`` or as a decorator ``@no_grad()``.
    """

    _mode = False


class inference_mode(_GradModeContext):  # noqa: N801 - PyTorch's name
    """PyTorch's `inference_mode()`: here the same as `no_grad()` (nothing is recorded; PyTorch also skips its
    version counting, which this library does only for tensors that share memory). `inference_mode(False)`
    changes nothing. A context manager or a decorator, with or without parentheses."""

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self._on = bool(mode)

    @property
    def _mode(self) -> bool:  # type: ignore[override]
        return False if self._on else state.enabled

    def __call__(self, fn: F) -> F:
        return super().__call__(fn) if self._on else fn


class enable_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Enable recording inside a `no_grad` block (context manager or decorator)."""

    _mode = True


class set_grad_enabled(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Set grad mode to `mode`. Takes effect at once, like PyTorch, and also works as a context manager."""

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._mode = bool(mode)
        # PyTorch's set_grad_enabled(False) acts even when not used in a `with`.
        self._prev.append(state.enabled)
        state.enabled = self._mode

    def __enter__(self) -> None:  # the mode was already set in __init__
        pass

    def __call__(self, fn: F) -> F:
        # Used as a decorator, the call in __init__ must not change this thread's mode for good:
        # restore it (as PyTorch does) and set the mode only while `fn` runs.
        if self._prev:
            state.enabled = self._prev.pop()
        return super().__call__(fn)


class scope:  # noqa: N801 - a context manager, named like the others here
    """Record the ops made inside as belonging to `owner` (an nn.Module, or any label).

    `nn.Module.__call__` enters one around `forward`, so `viz.draw_graph(..., group_modules=model)`
    can draw a cluster per submodule. Scopes nest; they cost one tuple per module call, nothing per op.
    """

    def __init__(self, owner: Any) -> None:
        self.owner = owner
        self._prev: list[tuple] = []

    def __enter__(self) -> None:
        self._prev.append(state.scope)
        state.scope = state.scope + (self.owner,)

    def __exit__(self, *exc: object) -> None:
        state.scope = self._prev.pop()


def current_scope() -> tuple:
    """The scopes the next recorded op would belong to, outermost first."""
    return state.scope
