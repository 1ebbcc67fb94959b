"""The notebooks' self-check helper: compares a student's answer with autograd_lite's results and says so.

A notebook imports it with `import checks` (Jupyter starts the kernel in notebooks/, where this file is; the
worked solutions in notebooks/solutions/ first put `..` on `sys.path`). It needs autograd_lite and NumPy only.

The convention for exercises (notebooks/README.md says the same):

* An exercise is a code cell tagged `exercise` whose first line is `# Exercise N: ...`. Until the student
  answers it, it holds a placeholder: a function whose body is `raise NotImplementedError("exercise N: ...")`,
  or a value left as `...` (Ellipsis).
* The cell after it, tagged `check`, calls one of the check functions below. A check prints one line and
  returns, or raises:

  - `correct: ...`: the answer agrees with autograd_lite;
  - `not answered yet: ...`: the placeholder is still there. Nothing is raised, so that a notebook whose
    exercises are not done yet still runs top to bottom;
  - AssertionError: a wrong answer. The message says what was checked, what autograd_lite computes, what the
    answer gave, and a hint.

Any other error in the student's code (a TypeError, a NameError) surfaces as it is: its traceback points into
their code. The self-check cells in the body of a notebook use the same functions (and print `correct`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autograd_lite as al

RTOL = 1e-7                # float64 on both sides: the same arithmetic, so only rounding may differ
ATOL = 1e-10
TOPO = "a topological order"   # what check_topological_order compares with


class _NotAnsweredError(Exception):
    """The student's code still raises NotImplementedError (or an answer is still `...`)."""


def _student(run: Callable[[], Any]) -> Any:
    """Run the student's code; a NotImplementedError from it means the placeholder is still there."""
    try:
        return run()
    except NotImplementedError as error:
        raise _NotAnsweredError(str(error) or "NotImplementedError") from None


def _not_answered(what: str, why: str) -> None:
    print(f"not answered yet: {what} ({why})")


def _correct(what: str, detail: str) -> None:
    print(f"correct: {what}: {detail}")


def _fail(what: str, problem: str, expected: Any, got: Any, hint: str, source: str = "autograd_lite") -> None:
    """Raise the AssertionError of a wrong answer: what was checked, what is expected (from `source`), what the
    answer gave, and the hint."""
    label = f"expected ({source}):"
    message = (f"{what}: {problem}\n"
               f"  {label} {_show(expected)}\n"
               f"  {'got (your answer):':{len(label)}} {_show(got)}")
    if hint:
        message += f"\nHint: {hint}"
    raise AssertionError(message)


def _show(x: Any) -> str:
    if isinstance(x, str):
        return x
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.10g}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in x) + "]"
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=6, suppress_small=True, separator=", ")
    return repr(x)


def _number(what: str, name: str, x: Any, hint: str) -> float:
    """x as a float, or an AssertionError that says what it is instead."""
    try:
        return float(x)
    except (TypeError, ValueError):
        _fail(what, f"{name} should be a number, but it is a {type(x).__name__}", "a float", x,
              hint or "a gradient is a plain number: multiply by `.data`, not by the Value itself")
        raise  # unreachable: _fail raises


def _close(got: float, expected: float) -> bool:
    return bool(np.isclose(got, expected, rtol=RTOL, atol=ATOL))


def _names(f: Callable, count: int) -> list[str]:
    """The names of f's parameters (the inputs in messages), or x0, x1, ..."""
    try:
        names = list(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        names = []
    return names[:count] if len(names) >= count else [f"x{i}" for i in range(count)]


def reference(f: Callable, inputs: Sequence[float]) -> tuple[float, list[float]]:
    """autograd_lite's answer: f's value at `inputs` (float64 scalar tensors) and its gradient for each input."""
    xs = [al.tensor(float(v), dtype=al.float64, requires_grad=True) for v in inputs]
    out = f(*xs)
    out.backward()
    return out.item(), [0.0 if x.grad is None else x.grad.item() for x in xs]


def check_close(what: str, got: Any, expected: Any, hint: str = "") -> None:
    """A number or an array the student computed (`...` while not answered), against the expected one."""
    if got is ...:
        return _not_answered(what, "the answer is still `...`")
    expected_array = np.asarray(expected, dtype=float)
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        _fail(what, f"the answer should be numbers, but it is a {type(got).__name__}", expected, got, hint)
    if got_array.shape != expected_array.shape:
        _fail(what, f"the answer has shape {got_array.shape}, expected shape {expected_array.shape}", expected, got,
              hint)
    bad = ~np.isclose(got_array, expected_array, rtol=RTOL, atol=ATOL)
    if bad.any():
        where = np.argwhere(bad)[:5].tolist() if got_array.ndim else []
        problem = f"{int(bad.sum())} of {bad.size} numbers differ" + (f" (at {where})" if where else "")
        _fail(what, problem, expected, got, hint)
    return _correct(what, f"all {expected_array.size} numbers agree with autograd_lite")


def check_forward(what: str, f: Callable, inputs: Sequence[float], Value: type, hint: str = "") -> None:  # noqa: N803
    """The student's engine computes f's value at `inputs` as autograd_lite does (no gradients yet)."""
    try:
        out = _student(lambda: f(*[Value(float(v)) for v in inputs]))
    except _NotAnsweredError as why:
        return _not_answered(what, str(why))
    if not isinstance(out, Value):
        _fail(what, f"f should return a Value, but returned a {type(out).__name__}", "a Value", out, hint)
    expected, _ = reference(f, inputs)
    got = _number(what, "the result's .data", out.data, hint)
    if not _close(got, expected):
        _fail(what, "the value is wrong", expected, got, hint)
    return _correct(what, f"value {expected:.6g}, as autograd_lite computes it")


def check_gradients(what: str, f: Callable, inputs: Sequence[float], value: Any, grads: Sequence[Any],
                    hint: str = "") -> None:
    """A value and gradients the student found (by any means) for f at `inputs`, against autograd_lite's."""
    expected_value, expected_grads = reference(f, inputs)
    names = _names(f, len(inputs))
    if len(grads) != len(expected_grads):
        _fail(what, f"expected one gradient per input ({', '.join(names)})", expected_grads, grads, hint)
    got_value = _number(what, "the value", value, hint)
    if not _close(got_value, expected_value):
        _fail(what, "the value is wrong (so the gradients were not compared)", expected_value, got_value, hint)
    got = [_number(what, f"the gradient for {n}", g, hint) for n, g in zip(names, grads)]
    wrong = [n for n, g, e in zip(names, got, expected_grads) if not _close(g, e)]
    if wrong:
        def listed(grads: Sequence[float]) -> str:
            return ", ".join(f"d/d{n} = {_show(g)}" for n, g in zip(names, grads))
        one = len(wrong) == 1
        problem = f"the value is right, but the gradient{'' if one else 's'} for {' and '.join(wrong)} " \
                  f"{'is' if one else 'are'} wrong"
        _fail(what, problem, listed(expected_grads), listed(got), hint)
    return _correct(what, f"value {expected_value:.6g} and the gradients for {', '.join(names)} agree with "
                          f"autograd_lite")


def check_engine(what: str, f: Callable, inputs: Sequence[float], Value: type, hint: str = "") -> None:  # noqa: N803
    """Run f on the student's Value (one Value per input), call backward() on the result, and compare the
    value and every input's .grad with autograd_lite's on the same expression."""
    def run() -> tuple[Any, list[Any]]:
        xs = [Value(float(v)) for v in inputs]
        out = f(*xs)
        if not isinstance(out, Value):
            _fail(what, f"f should return a Value, but returned a {type(out).__name__}", "a Value", out, hint)
        out.backward()
        return out.data, [x.grad for x in xs]

    try:
        value, grads = _student(run)
    except _NotAnsweredError as why:
        return _not_answered(what, str(why))
    return check_gradients(what, f, inputs, value, grads, hint)


def check_topological_order(what: str, order: Sequence[Any], root: Any, hint: str = "") -> None:
    """`order` holds every node reachable from `root` through `._prev` exactly once, each after its inputs."""
    def name(v: Any) -> str:
        return f"{getattr(v, '_op', '') or 'leaf'} (data={_show(getattr(v, 'data', '?'))})"

    reachable, stack = {id(root): root}, [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in reachable:
                reachable[id(child)] = child
                stack.append(child)
    position: dict[int, int] = {}
    for i, v in enumerate(order):
        if id(v) in position:
            _fail(what, f"{name(v)} appears twice, at positions {position[id(v)]} and {i}", "once", "twice",
                  hint or "mark a node as visited the first time you reach it", source=TOPO)
        position[id(v)] = i
    missing = [v for k, v in reachable.items() if k not in position]
    if missing:
        _fail(what, f"{len(missing)} node(s) reachable from the root are missing, e.g. {name(missing[0])}",
              f"{len(reachable)} nodes", f"{len(order)} nodes", hint or "visit every node in ._prev", source=TOPO)
    extra = [v for v in order if id(v) not in reachable]
    if extra:
        _fail(what, f"{name(extra[0])} is not reachable from the root", f"{len(reachable)} nodes",
              f"{len(order)} nodes", hint, source=TOPO)
    for v in order:
        for child in v._prev:
            if position[id(child)] > position[id(v)]:
                _fail(what, f"{name(v)} comes before its input {name(child)}",
                      f"{name(child)} first", f"{name(v)} first",
                      hint or "append a node only after all of its inputs have been appended", source=TOPO)
    return _correct(what, f"all {len(order)} nodes, each after its inputs")
