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


# --- notebook 01_computational_graphs and 02_gradient_checking ---

def _two_layer(seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, int]:
    """The parameters, input and class of notebook 01's network (seed 0 gives the notebook's own numbers;
    other seeds add non-zero biases, so that a bias mistake shows)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(3)
    params = {"W1": 0.5 * rng.standard_normal((4, 3)), "b1": np.zeros(4),
              "W2": 0.5 * rng.standard_normal((3, 4)), "b2": np.zeros(3)}
    if seed:
        params["b1"], params["b2"] = 0.3 * rng.standard_normal(4), 0.3 * rng.standard_normal(3)
    return params, x, int(seed % 3) if seed else 2


def two_layer_gradients(params: dict[str, np.ndarray], x: np.ndarray, y: int, h: str = "tanh",
                        penalty: float = 0.0) -> dict[str, np.ndarray]:
    """autograd_lite's gradients of notebook 01's loss, L = -a2[y] + logsumexp(a2), plus penalty/2 * |z1|^2, with
    a1 = W1 x + b1, z1 = h(a1), a2 = W2 z1 + b2 (h: "tanh" or "sigmoid")."""
    p = {k: al.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for k, v in params.items()}
    a1 = p["W1"] @ al.tensor(np.asarray(x, dtype=np.float64)) + p["b1"]
    z1 = getattr(a1, h)()
    a2 = p["W2"] @ z1 + p["b2"]
    loss = -a2[y] + a2.logsumexp(dim=0)
    if penalty:
        loss = loss + penalty / 2 * (z1 ** 2).sum()
    loss.backward()
    return {k: v.grad.numpy() for k, v in p.items()}


def check_backprop(what: str, backprop: Callable, h: str = "tanh", penalty: float = 0.0, hint: str = "") -> None:
    """backprop(x, W1, b1, W2, b2, y) -> {"W1": ..., "b1": ..., "W2": ..., "b2": ...} (NumPy arrays, by hand),
    against autograd_lite's backward() on notebook 01's network with activation h (and the penalty), at the
    notebook's point and at a second one with non-zero biases."""
    for seed in (0, 7):
        params, x, y = _two_layer(seed)
        copies = {k: v.copy() for k, v in params.items()}
        try:
            got = _student(lambda c=copies, x=x, y=y: backprop(x.copy(), c["W1"], c["b1"], c["W2"], c["b2"], y))
        except _NotAnsweredError as why:
            return _not_answered(what, str(why))
        expected = two_layer_gradients(params, x, y, h, penalty)
        if not isinstance(got, dict) or set(got) != set(expected):
            _fail(what, "backprop should return a dict with the keys W1, b1, W2, b2", sorted(expected),
                  sorted(got) if isinstance(got, dict) else got, hint)
        for name in ("W2", "b2", "W1", "b1"):          # from the loss back: the first wrong one is nearest the bug
            mine = np.asarray(got[name], dtype=float)
            if mine.shape != expected[name].shape:
                _fail(what, f"the gradient for {name} has shape {mine.shape}, expected {expected[name].shape} "
                      f"(the shape of {name} itself)", expected[name], mine, hint)
            if not np.allclose(mine, expected[name], rtol=RTOL, atol=ATOL):
                where = "" if seed == 0 else " (at a second point, with non-zero biases)"
                _fail(what, f"the gradient for {name} is wrong{where}; the layers above it agree", expected[name],
                      mine, hint)
    return _correct(what, "the gradients for W1, b1, W2, b2 agree with backward() at two points")


def check_frame(what: str, frame: Any, player: Any, name: str, hint: str = "") -> None:
    """The player frame (counted from 1, forward frames included, as the player shows them) in which the
    tensor called `name` receives the last contribution to its gradient."""
    if frame is ...:
        return _not_answered(what, "the answer is still `...`")
    import re
    gets = re.compile(rf"(?<![\w(]){re.escape(name)} \([^)]*\) gets")
    frames = [i + 1 for i, caption in enumerate(player.captions) if caption.startswith("Backward") and
              gets.search(caption)]
    assert frames, f"{name} gets no gradient in this player's frames"
    forward = sum(1 for caption in player.captions if caption.startswith("Forward"))
    expected = frames[-1]
    if not isinstance(frame, (int, np.integer)) or isinstance(frame, bool):
        _fail(what, f"the answer should be a frame number (an int), but it is a {type(frame).__name__}",
              expected, frame, hint)
    if frame != expected:
        if frame in frames:
            problem = f"in frame {frame}, {name} receives only a partial sum (it gets gradients in frames " \
                      f"{', '.join(map(str, frames))})"
        elif frame + forward in frames:
            problem = f"frame numbers count the {forward} forward frames too (backward step k is frame " \
                      f"{forward} + k)"
        else:
            problem = f"in frame {frame}, {name} gets no gradient at all"
        _fail(what, problem, f"frame {expected}", f"frame {frame}", hint)
    return _correct(what, f"frame {expected} (backward step {expected - forward}) adds the last of {name}'s "
                          f"{len(frames)} contribution(s)")


def check_centered_difference(what: str, centered_difference: Callable, hint: str = "") -> None:
    """centered_difference(f, x, delta) -> the numerical gradient of f (NumPy array -> float) at x (a float64
    array), against backward() (relative error below 1e-8 at delta = 1e-6), and against the centered formula
    at a large step (delta = 1e-2), where truncation error tells centered from one-sided."""
    def fn(t: Any) -> Any:
        return (t.sin().exp() * t.sum(dim=0) + (t ** 2).sum().log()).sum()

    def f(v: np.ndarray) -> float:
        with al.no_grad():
            return fn(al.tensor(np.array(v, dtype=np.float64))).item()

    x0 = np.random.default_rng(5).standard_normal((2, 3))
    t = al.tensor(x0.copy(), requires_grad=True)
    fn(t).backward()
    exact = t.grad.numpy()
    x = x0.copy()
    try:
        got = _student(lambda: centered_difference(f, x, 1e-6))
    except _NotAnsweredError as why:
        return _not_answered(what, str(why))
    got = np.asarray(got, dtype=float)
    if not np.array_equal(x, x0):
        _fail(what, "centered_difference changed its input x (put each entry back after moving it)", x0, x, hint)
    if got.shape != x0.shape:
        _fail(what, f"the gradient has shape {got.shape}, expected {x0.shape} (the shape of x)", exact, got, hint)
    err = float(np.max(np.abs(got - exact) / np.maximum(np.abs(exact), 1e-300)))
    if not err < 1e-8:
        _fail(what, f"with delta = 1e-6 the relative error against backward() is {err:.1e}, above 1e-8", exact,
              got, hint)
    big = 1e-2
    centered = np.zeros_like(x0)
    for k in range(x0.size):
        step = np.zeros_like(x0)
        step.flat[k] = big
        centered.flat[k] = (f(x0 + step) - f(x0 - step)) / (2 * big)
    got_big = np.asarray(_student(lambda: centered_difference(f, x0.copy(), big)), dtype=float)
    if not np.allclose(got_big, centered, rtol=1e-8, atol=1e-12):
        _fail(what, f"with delta = {big:g} the answer is not the centered difference (f(x+δ) - f(x-δ)) / 2δ "
              f"(its error against backward() is {np.max(np.abs(got_big - exact)):.1e}, the centered one's "
              f"{np.max(np.abs(centered - exact)):.1e})", centered, got_big, hint)
    return _correct(what, f"relative error {err:.1e} against backward() at delta = 1e-6, and the centered formula "
                          f"at delta = {big:g}")


def step_errors(formula: Callable, f: Callable, points: np.ndarray, deltas: np.ndarray) -> np.ndarray:
    """The mean |formula(f, points, delta) - f'(points)| over the points (f' from backward()), for each delta.
    f maps a float64 tensor to a tensor element-wise; formula(f, x, delta) returns the estimates at x."""
    t = al.tensor(np.array(points, dtype=np.float64), requires_grad=True)
    f(t).sum().backward()
    exact = t.grad.numpy()
    return np.array([np.mean(np.abs(np.asarray(formula(f, points, float(d))) - exact)) for d in deltas])


def check_step(what: str, delta: Any, formula: Callable, f: Callable, points: np.ndarray, factor: float = 10.0,
               hint: str = "") -> None:
    """A step delta for the difference formula whose mean error (over the points) is within `factor` of the
    smallest measured for steps from 1e-1 to 1e-10."""
    if delta is ...:
        return _not_answered(what, "the answer is still `...`")
    delta = _number(what, "the step delta", delta, hint)
    if not 0 < delta < 1:
        _fail(what, "the step should be a positive number below 1", "0 < delta < 1", delta, hint)
    deltas = np.logspace(-1, -10, 91)
    errors = step_errors(formula, f, points, deltas)
    best = errors.min()
    good = deltas[errors <= factor * best]
    mine = float(step_errors(formula, f, points, np.array([delta]))[0])
    if mine > factor * best:
        _fail(what, f"at delta = {delta:.1e} the mean error is {mine:.1e}, more than {factor:g} times the "
              f"smallest measured ({best:.1e} at delta = {deltas[errors.argmin()]:.1e})",
              f"delta from {good.min():.1e} to {good.max():.1e}", f"delta = {delta:.1e}", hint)
    return _correct(what, f"mean error {mine:.1e} at delta = {delta:.1e}; the smallest measured is {best:.1e} "
                          f"(steps from {good.min():.1e} to {good.max():.1e} come within {factor:g} times)")


def check_primitive(what: str, primitive: Any, reference_fn: Callable, shapes: Sequence[tuple[int, ...]],
                    hint: str = "") -> None:
    """A Primitive whose rules pass al.gradcheck at random float64 inputs of these shapes (broadcast against
    each other), and agree with backward() through reference_fn, the same function built from autograd_lite's
    own operations."""
    rng = np.random.default_rng(11)
    arrays = [rng.standard_normal(s) + 0.5 for s in shapes]

    def grads(fn: Callable) -> tuple[np.ndarray, list[np.ndarray]]:
        ts = [al.tensor(a.copy(), requires_grad=True) for a in arrays]
        out = fn(*ts)
        out.backward(al.tensor(np.cos(np.arange(out.numel()).reshape(out.shape) + 1.0)))
        return out.detach().numpy(), [t.grad.numpy() for t in ts]

    try:
        value, got = _student(lambda: grads(primitive))
    except _NotAnsweredError as why:
        return _not_answered(what, str(why))
    expected_value, expected = grads(reference_fn)
    if not np.allclose(value, expected_value, rtol=RTOL, atol=ATOL):
        _fail(what, "the forward values are wrong (so the rules were not compared)", expected_value, value, hint)
    report = ""
    try:
        al.gradcheck(primitive, tuple(al.tensor(a.copy(), requires_grad=True) for a in arrays))
    except al.GradcheckError as error:
        report = str(error).splitlines()[0]
    for i, (g, e) in enumerate(zip(got, expected)):
        if g.shape != e.shape or not np.allclose(g, e, rtol=1e-7, atol=1e-10):
            _fail(what, f"the rule for input {i} is wrong" + (f"; al.gradcheck says: {report}" if report else ""),
                  e, g, hint)
    assert not report, report
    return _correct(what, f"al.gradcheck passes and the gradients for all {len(shapes)} inputs agree with "
                          f"backward() through autograd_lite's own operations")
# --- notebook 06_regularization ---
# The exercises of 06: the weight-decay step, inverted dropout, batch normalization's forward with its running
# statistics, and an evaluation that forgets model.eval(). Each reference is autograd_lite's (and nn's) own.

def _answer(f: Callable, *args: Any) -> Any:
    """The student's f(*args) (a _NotAnsweredError while the placeholder is there)."""
    return _student(lambda: f(*args))


def _differs(what: str, problem: str, got: Any, expected: Any, hint: str) -> None:
    """An AssertionError if the array `got` is not `expected` (shape first, then the numbers)."""
    expected_array = np.asarray(expected, dtype=float)
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        _fail(what, f"{problem}: the answer should be numbers, but it is a {type(got).__name__}", expected, got, hint)
    if got_array.shape != expected_array.shape:
        _fail(what, f"{problem}: shape {got_array.shape}, expected {expected_array.shape}", expected, got, hint)
    if not np.allclose(got_array, expected_array, rtol=RTOL, atol=ATOL):
        _fail(what, problem, expected_array, got_array, hint)


def check_l2_step(l2_step: Callable, hint: str = "") -> None:
    """l2_step(w, grad, lr, lam) against one nn.optim.SGD step on L(w) + lam * ||w||^2, the penalty differentiated
    by autograd_lite (L's gradient is `grad`: L(w) = sum(grad * w) has it)."""
    import nn  # builds on autograd_lite; imported only when a check that needs it runs

    what = "one SGD step on L(w) + lam * ||w||^2"
    hint = hint or ("the gradient of lam * ||w||^2 is 2 * lam * w: the step is w - lr * (grad + 2 * lam * w), "
                    "that is (1 - 2 * lr * lam) * w - lr * grad")
    rng = np.random.default_rng(6)
    for lr, lam in [(0.1, 0.05), (0.5, 0.3)]:
        w, grad = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        try:
            got = _answer(l2_step, w.copy(), grad.copy(), lr, lam)
        except _NotAnsweredError as why:
            return _not_answered(what, str(why))
        p = nn.Parameter(al.tensor(w, dtype=al.float64))
        ((p * al.tensor(grad)).sum() + lam * (p ** 2).sum()).backward()
        nn.optim.SGD([p], lr=lr).step()
        _differs(what, f"the weights after the step (lr={lr}, lam={lam}) differ", got, p.detach().numpy(), hint)
    return _correct(what, "the weights agree with nn.optim.SGD on the penalised loss, for two (lr, lam)")


def check_dropout(my_dropout: Callable, hint: str = "") -> None:
    """my_dropout(h, keep, p, training) against nn.functional.dropout with the same mask (the same seed)."""
    import nn.functional as F  # noqa: N812 - PyTorch's name

    what = "inverted dropout"
    rng = np.random.default_rng(7)
    h = rng.normal(size=(6, 10))
    for p in (0.2, 0.5, 0.75):
        al.manual_seed(60)
        keep = (F.dropout(al.ones(6, 10, dtype=al.float64), p, training=True).numpy() != 0).astype(float)
        al.manual_seed(60)
        expected = F.dropout(al.tensor(h), p, training=True).numpy()
        try:
            got = _answer(my_dropout, h.copy(), keep.copy(), p, True)
        except _NotAnsweredError as why:
            return _not_answered(what, str(why))
        _differs(what, f"the training output (p={p}) differs", got, expected,
                 hint or "in training, dropped units are 0 and kept units are scaled by 1 / (1 - p), so that the "
                         "expected activation is unchanged")
        got = my_dropout(h.copy(), keep.copy(), p, False)
        _differs(what, f"the eval output (p={p}) differs", got, F.dropout(al.tensor(h), p, training=False).numpy(),
                 hint or "in eval, inverted dropout is the identity: no mask and no scaling")
    return _correct(what, "training and eval outputs agree with nn.functional.dropout for p = 0.2, 0.5, 0.75")


def check_batch_norm(my_batch_norm: Callable, hint: str = "") -> None:
    """my_batch_norm(Z, gamma, beta, running_mean, running_var, training) -> (H, running_mean, running_var),
    run on three training batches and one eval batch beside nn.BatchNorm1d (float64, momentum 0.1)."""
    import nn

    what = "batch normalization, forward and running statistics"
    rng = np.random.default_rng(8)
    gamma, beta = np.array([1.0, 0.5, 2.0, 1.5]), np.array([0.0, 1.0, -1.0, 0.2])
    bn = nn.BatchNorm1d(4, dtype=al.float64)
    with al.no_grad():
        bn.weight.copy_(al.tensor(gamma))
        bn.bias.copy_(al.tensor(beta))
    running_mean, running_var = np.zeros(4), np.ones(4)
    batches = [(True, 3.0 + 2.0 * rng.normal(size=(16, 4))) for _ in range(3)] + [(False, rng.normal(size=(5, 4)))]
    for step, (training, z) in enumerate(batches, start=1):
        try:
            out = _answer(my_batch_norm, z.copy(), gamma, beta, running_mean.copy(), running_var.copy(),
                          training)
        except _NotAnsweredError as why:
            return _not_answered(what, str(why))
        if not (isinstance(out, tuple) and len(out) == 3):
            _fail(what, "my_batch_norm should return a tuple (H, running_mean, running_var)", "a 3-tuple", out, hint)
        h_out, running_mean, running_var = out
        bn.train(training)
        with al.no_grad():
            expected = bn(al.tensor(z)).numpy()
        mode = "training" if training else "eval"
        _differs(what, f"the output H of batch {step} ({mode}) differs", h_out, expected, hint or (
            "training: each column minus its batch mean, over sqrt(eps + its biased batch variance), times gamma "
            "plus beta" if training else
            "eval: use the running statistics, (Z - running_mean) / sqrt(running_var + eps), not the batch's"))
        _differs(what, f"running_mean after batch {step} ({mode}) differs", running_mean, bn.running_mean.numpy(),
                 hint or "training: running_mean <- (1 - momentum) * running_mean + momentum * batch mean; "
                         "eval leaves it as it is")
        _differs(what, f"running_var after batch {step} ({mode}) differs", running_var, bn.running_var.numpy(),
                 hint or "training: the running variance averages the *unbiased* batch variance, m / (m - 1) "
                         "times the biased one that normalises the batch; eval leaves it as it is")
    return _correct(what, "outputs and running statistics agree with nn.BatchNorm1d over 3 training batches and "
                          "an eval batch")


def check_evaluate(evaluate: Callable, hint: str = "") -> None:
    """evaluate(model, X, y): the cross-entropy of a model with dropout and batch normalization in eval mode (the
    same number on every call), leaving the model in the mode it was in."""
    import nn
    import nn.functional as F  # noqa: N812

    what = "evaluate(model, X, y)"
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(200, 2)), rng.integers(0, 2, size=200)
    al.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 32, dtype=al.float64), nn.BatchNorm1d(32, dtype=al.float64), nn.ReLU(),
                          nn.Dropout(0.5), nn.Linear(32, 2, dtype=al.float64))
    with al.no_grad():
        for _ in range(5):                      # running statistics that are not the batch's
            model(al.tensor(1.0 + 2.0 * rng.normal(size=(32, 2))))
        model.eval()
        expected = F.cross_entropy(model(al.tensor(x)), al.tensor(y)).item()
    for mode in (True, False):
        model.train(mode)
        try:
            got = [_answer(evaluate, model, x, y) for _ in range(2)]
        except _NotAnsweredError as why:
            return _not_answered(what, str(why))
        got_numbers = [_number(what, "the loss", g, hint) for g in got]
        if not all(_close(g, expected) for g in got_numbers):
            _fail(what, f"the loss differs (two calls on a model in {'training' if mode else 'eval'} mode)",
                  expected, got_numbers, hint or
                  "in training mode dropout draws a new mask on every call and batch normalization uses the batch's "
                  "statistics: call model.eval() before evaluating")
        if model.training != mode:
            _fail(what, "the model was left in the wrong mode", f"training={mode}", f"training={model.training}",
                  hint or "remember model.training first and restore it with model.train(was_training) afterwards: "
                          "a training loop that evaluates every epoch would otherwise train on without dropout")
    return _correct(what, f"loss {expected:.6f} as in eval mode on every call, and the model's mode restored")
# --- notebooks 03_activations, 04_initialization, 10_beyond_first_order ---

def check_derivative(what: str, derivative: Callable, h: Callable, points: Sequence[float], hint: str = "") -> None:
    """The student's formula for h'(a) (a function of a NumPy array), against autograd_lite's derivative of the
    element-wise activation h at the same points (float64: one backward() of h(a).sum())."""
    grid = np.asarray(points, dtype=np.float64)
    try:
        got = _student(lambda: derivative(grid.copy()))
    except _NotAnsweredError as why:
        return _not_answered(what, str(why))
    a = al.tensor(grid, dtype=al.float64, requires_grad=True)
    h(a).sum().backward()
    return check_close(what, got, a.grad.numpy(), hint)


def check_vanishing_layers(what: str, answer: Any, ratios: dict[str, Sequence[float]], threshold: float,
                           hint: str = "") -> None:
    """`answer` maps each network's name to the set of layers t (from 1) whose gradient norm ratio
    ||grad W_t|| / ||grad W_last|| is below `threshold`, as measured in `ratios` (name -> one ratio per layer)."""
    if answer is ...:
        return _not_answered(what, "the answer is still `...`")
    expected = {name: {t for t, r in enumerate(rs, start=1) if r < threshold} for name, rs in ratios.items()}
    if not isinstance(answer, dict) or set(answer) != set(expected):
        _fail(what, f"the answer should be a dict with the keys {sorted(expected)}", expected, answer, hint)
    got = {name: set(answer[name]) for name in expected}
    wrong = [name for name in expected if got[name] != expected[name]]
    if wrong:
        measured = "; ".join(f"{name}: " + " ".join(f"{r:.0e}" for r in ratios[name]) for name in wrong)
        _fail(what, f"the layers are wrong for {', '.join(wrong)} (measured ratios per layer, t = 1, 2, ...: "
                    f"{measured})", {n: sorted(expected[n]) for n in wrong}, {n: sorted(got[n]) for n in wrong},
              hint)
    return _correct(what, ", ".join(f"{name}: {sorted(s) if s else 'none'}" for name, s in expected.items())
                    + ", as measured")


def _dead_fractions(model: Any, x: Any) -> list[float]:
    """For each ReLU of an nn.Sequential: the fraction of its units that output 0 on every example."""
    import nn  # only the checks of notebook 03 need nn

    fractions, h = [], x
    with al.no_grad():
        for module in model:
            h = module(h)
            if isinstance(module, nn.ReLU):
                fractions.append(float(((h.numpy() > 0).sum(axis=0) == 0).mean()))
    return fractions


def check_dead_relus(what: str, init: Callable, make_model: Callable, x: Any, y: Any, max_dead: float,
                     min_accuracy: float, steps: int = 100, lr: float = 0.5, hint: str = "") -> None:
    """init(model) on a fresh make_model() leaves at most `max_dead` of each ReLU layer's units dead, and `steps`
    full-batch SGD steps of the cross-entropy then reach a training accuracy of at least `min_accuracy`."""
    import nn  # only the checks of notebook 03 need nn
    import nn.functional as F  # noqa: N812

    model = make_model()
    try:
        _student(lambda: init(model))
    except _NotAnsweredError as why:
        return _not_answered(what, str(why))
    dead = _dead_fractions(model, x)
    if max(dead) > max_dead:
        _fail(what, "too many dead ReLUs at initialisation (fraction per ReLU layer)",
              f"at most {max_dead:.0%} in every layer", ", ".join(f"{d:.0%}" for d in dead), hint)
    optimizer = nn.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    with al.no_grad():
        accuracy = float((model(x).argmax(dim=1).numpy() == np.asarray(y.numpy())).mean())
    if accuracy < min_accuracy:
        _fail(what, f"the units are alive ({', '.join(f'{d:.0%}' for d in dead)} dead), but after {steps} SGD "
                    f"steps (lr = {lr}) the training accuracy is too low", f"at least {min_accuracy:.0%}",
              f"{accuracy:.0%}", hint)
    return _correct(what, f"{', '.join(f'{d:.0%}' for d in dead)} dead at initialisation (per layer), training "
                          f"accuracy {accuracy:.0%} after {steps} steps")


def check_growth_factor(what: str, got: Any, n: int, half_width: float, layers: int, hint: str = "",
                        samples: int = 2000) -> None:
    """The expected growth E||K_L ... K_1 y||^2 / ||y||^2 for `layers` n-by-n matrices with entries U[-a, a]
    (a = half_width): (n Var)^layers with Var = a^2 / 3; the message also shows it measured with nn.init."""
    if got is ...:
        return _not_answered(what, "the answer is still `...`")
    import nn  # only to measure, as the notebook does

    expected = (n * half_width ** 2 / 3) ** layers
    al.manual_seed(0)
    y = al.randn(samples, n, 1, dtype=al.float64)
    z = y
    for _ in range(layers):
        z = nn.init.uniform_(al.empty((samples, n, n), dtype=al.float64), -half_width, half_width) @ z
    measured = float(((z ** 2).sum(dim=(1, 2)) / (y ** 2).sum(dim=(1, 2))).numpy().mean())
    value = _number(what, "the answer", got, hint)
    if not np.isclose(value, expected, rtol=1e-6, atol=0.0):
        _fail(what, f"the factor is wrong (measured with nn.init over {samples} samples: {measured:.4g})",
              expected, value, hint)
    return _correct(what, f"(n Var)^{layers} = {expected:.4g}; measured with nn.init over {samples} samples: "
                          f"{measured:.4g}")


def _activation_stds(activation: Callable, std: float, width: int, depth: int, seed: int = 0
                     ) -> tuple[list[float], np.ndarray]:
    """The std of each layer's activations for 500 standard normal inputs through `depth` bias-free layers with
    N(0, std^2) weights (float64), and the last layer's pre-activations."""
    al.manual_seed(seed)
    h = al.randn(500, width, dtype=al.float64)
    stds = []
    with al.no_grad():
        for _ in range(depth):
            a = h @ (al.randn(width, width, dtype=al.float64) * std)
            h = activation(a)
            stds.append(h.std().item())
    return stds, a.numpy()


def check_init_std(what: str, init_std: Callable, widths: Sequence[int] = (100, 400), depth: int = 10,
                   band: tuple[float, float] = (0.75, 1.35), min_slope: float = 0.5, hint: str = "") -> None:
    """init_std(n, activation) for activation "tanh" and "relu": N(0, std^2) weights keep the std of the activations
    within `band` (layer `depth` over layer 1) at every width in `widths`; for tanh, without saturating (the mean
    tanh'(a) of the last layer at least `min_slope`)."""
    import nn.functional as F  # noqa: N812

    rows = []
    for name, activation in (("tanh", F.tanh), ("relu", F.relu)):
        for n in widths:
            try:
                std = _student(lambda n=n, name=name: init_std(n, name))
            except _NotAnsweredError as why:
                return _not_answered(what, str(why))
            std = _number(what, f"init_std({n}, {name!r})", std, hint)
            stds, a = _activation_stds(activation, std, n, depth)
            ratio = stds[-1] / stds[0]
            slope = float((1 - np.tanh(a) ** 2).mean())
            where = f"{name}, width {n}, std {std:.4g}"
            if not band[0] <= ratio <= band[1]:
                grows = "grows" if ratio > 1 else "shrinks"
                _fail(what, f"{where}: the std of the activations {grows} from {stds[0]:.3g} (layer 1) to "
                            f"{stds[-1]:.3g} (layer {depth})",
                      f"layer {depth} / layer 1 between {band[0]} and {band[1]}", f"{ratio:.3g}", hint)
            if name == "tanh" and slope < min_slope:
                _fail(what, f"{where}: the std holds ({ratio:.3g}), but the tanh units saturate: their mean "
                            f"derivative in layer {depth} is small, so gradients vanish",
                      f"mean tanh'(a) at least {min_slope}", f"{slope:.3g}", hint)
            rows.append(f"{name} n={n}: {ratio:.2f}")
    return _correct(what, f"std of layer {depth} / layer 1: " + ", ".join(rows))


def check_symmetry_broken(what: str, init: Callable, train: Callable, max_loss: float, hint: str = "",
                          seeds: Sequence[int] = (0, 1)) -> None:
    """train(init, seed=s) returns (net, loss) for an nn.Sequential(Linear(1, H), Tanh(), Linear(H, 1)): after
    training, every two hidden units differ (their incoming weight, bias and outgoing weight) and the loss is at
    most `max_loss`, for each seed."""
    details = []
    for seed in seeds:
        try:
            net, loss = _student(lambda seed=seed: train(init, seed=seed))
        except _NotAnsweredError as why:
            return _not_answered(what, str(why))
        units = np.stack([net[0].weight.detach().numpy().ravel(), net[0].bias.detach().numpy().ravel(),
                          net[2].weight.detach().numpy().ravel()], axis=1)
        gaps = [np.abs(units[i] - units[j]).max() for i in range(len(units)) for j in range(i + 1, len(units))]
        if min(gaps) < 1e-6:
            i, j = next((i, j) for i in range(len(units)) for j in range(i + 1, len(units))
                        if np.abs(units[i] - units[j]).max() < 1e-6)
            _fail(what, f"seed {seed}: after training, hidden units {i} and {j} are still identical "
                        f"(incoming weight, bias, outgoing weight: {_show(units[i])})",
                  "every two hidden units different", f"units {i} and {j} equal", hint)
        if loss > max_loss:
            _fail(what, f"seed {seed}: the units differ, but the net does not fit the data", f"loss at most "
                        f"{max_loss}", f"{loss:.4g}", hint)
        details.append(f"seed {seed}: loss {loss:.4f}, smallest difference between two units {min(gaps):.3g}")
    return _correct(what, "; ".join(details))


def check_hvp(what: str, my_hvp: Callable, f: Callable, x0: Any, v: Any, hint: str = "") -> None:
    """my_hvp(f, x0, v) (NumPy arrays in, H v out), against al.hvp(f, x0, v) in float64."""
    x0, v = np.asarray(x0, dtype=np.float64), np.asarray(v, dtype=np.float64)
    try:
        got = _student(lambda: my_hvp(f, x0.copy(), v.copy()))
    except _NotAnsweredError as why:
        return _not_answered(what, str(why))
    if isinstance(got, al.Tensor):
        got = got.detach().numpy()
    _, expected = al.hvp(f, al.tensor(x0, dtype=al.float64), v)
    return check_close(what, got, expected.numpy(), hint)


def check_newton_step(what: str, newton_step: Callable, f: Callable, x0: Any, hint: str = "") -> None:
    """One step newton_step(f, x0) on a quadratic f must land on its minimum, where autograd_lite's gradient is 0
    (the minimum is found from al.hessian and the gradient at x0: x* = x0 - H^-1 g)."""
    x0 = np.asarray(x0, dtype=np.float64)
    try:
        got = _student(lambda: newton_step(f, x0.copy()))
    except _NotAnsweredError as why:
        return _not_answered(what, str(why))
    if isinstance(got, al.Tensor):
        got = got.detach().numpy()
    x = al.tensor(x0, dtype=al.float64, requires_grad=True)
    (g,) = al.grad(f(x), x)
    hessian = al.hessian(f, al.tensor(x0, dtype=al.float64)).numpy()
    minimum = x0 - np.linalg.solve(hessian, g.numpy())
    got_array = np.asarray(got, dtype=np.float64)
    if got_array.shape == minimum.shape:
        xg = al.tensor(got_array, dtype=al.float64, requires_grad=True)
        (g_got,) = al.grad(f(xg), xg)
        norm = float(np.linalg.norm(g_got.numpy()))
        if not np.allclose(got_array, minimum, rtol=1e-7, atol=1e-9):
            _fail(what, f"one Newton step from {_show(x0)} should land on the minimum of the quadratic, but "
                        f"|gradient| there is {norm:.3g}, f = {f(al.tensor(got_array)).item():.6g} "
                        f"(at the minimum f = {f(al.tensor(minimum)).item():.6g})", minimum, got_array, hint)
    else:
        _fail(what, f"the step should return a point of shape {minimum.shape}", minimum, got, hint)
    return _correct(what, f"one step from {_show(x0)} lands on the minimum {_show(minimum)}")
# --- notebook 09_loss_landscapes ---
LOSS_RTOL = 1e-5           # losses of a float32 network: two ways of forming the same weights may round differently


def _filter_norms(w: np.ndarray) -> np.ndarray:
    """The norm of each filter w[k] (a Linear's row, a Conv2d's output channel), over all its entries."""
    w = np.asarray(w, dtype=float)
    return np.sqrt((w.reshape(len(w), -1) ** 2).sum(axis=1))


def check_filter_normalize(what: str, filter_normalize: Callable, theta: dict, seed: int = 0,
                           hint: str = "") -> None:
    """filter_normalize(d, theta) for a Gaussian direction d: every filter d[k] of a parameter with two or more
    axes rescaled to the norm of theta's filter (norms over all of the filter's entries), a 1-D parameter's
    direction zero, and d itself left unchanged."""
    rng = np.random.default_rng(seed)
    theta = {name: np.asarray(w, dtype=float) for name, w in theta.items()}
    d = {name: rng.standard_normal(w.shape) for name, w in theta.items()}
    d_before = {name: v.copy() for name, v in d.items()}
    try:
        got = _student(lambda: filter_normalize(d, theta))
    except _NotAnsweredError as why:
        return _not_answered(what, str(why))
    if not isinstance(got, dict) or set(got) != set(theta):
        _fail(what, "the result should be a dict with theta's names as keys", sorted(theta),
              sorted(got) if isinstance(got, dict) else got, hint)
    changed = [name for name in d if not np.array_equal(d[name], d_before[name])]
    if changed:
        _fail(what, f"the input direction d['{changed[0]}'] was changed in place", "d unchanged", "d changed",
              hint or "build new arrays (d[name] / ... makes one) instead of writing into d")
    for name, w in theta.items():
        g = np.asarray(got[name], dtype=float)
        if g.shape != w.shape:
            _fail(what, f"the direction for '{name}' has shape {g.shape}, the parameter {w.shape}", w.shape, g.shape,
                  hint)
        if w.ndim == 1:
            if np.any(g != 0):
                _fail(what, f"'{name}' is 1-D (a bias): its direction should be zero, as in Li et al.",
                      np.zeros_like(w), g, hint or "leave biases out of the direction: np.zeros_like(w)")
            continue
        expected = d[name] / _filter_norms(d[name]).reshape(-1, *[1] * (w.ndim - 1)) \
            * _filter_norms(w).reshape(-1, *[1] * (w.ndim - 1))
        if np.allclose(g, expected, rtol=RTOL, atol=ATOL):
            continue
        wrong_norms = ~np.isclose(_filter_norms(g), _filter_norms(w), rtol=RTOL, atol=ATOL)
        if wrong_norms.any():
            k = int(np.argmax(wrong_norms))
            _fail(what, f"'{name}' (shape {w.shape}): {int(wrong_norms.sum())} of {len(w)} filters have the wrong "
                        f"norm, the first is filter {k}, whose norm should be the norm of the weights' filter {k}",
                  _filter_norms(w)[:6], _filter_norms(g)[:6],
                  hint or "a filter is w[k], all of it: take its norm over every axis but the first")
        _fail(what, f"'{name}' (shape {w.shape}): the filters have the right norms but do not point along d's "
                    f"filters (the first 6 numbers are shown)", expected.ravel()[:6], g.ravel()[:6],
              hint or "multiply each whole filter d[name][k] by one number, ||w[k]|| / ||d[name][k]||: scaling "
                      "smaller pieces of it (each of its rows) by different numbers turns it")
    count = sum(np.asarray(w).ndim > 1 for w in theta.values())
    return _correct(what, f"the filters of {count} weight tensors have their weights' norms and d's directions, "
                          f"{len(theta) - count} biases are zero")


def check_interpolation(what: str, interpolate: Callable, theta0: dict, theta1: dict, evaluate: Callable,
                        initial: float, trained: float, hint: str = "") -> None:
    """interpolate(theta0, theta1, alpha) on a line from theta0 (alpha=0) to theta1 (alpha=1): `evaluate` (a
    state dict -> the loss, computed by autograd_lite) gives the initial loss at alpha=0, the trained loss at
    alpha=1, and between and beyond the ends the loss of (1 - alpha) theta0 + alpha theta1."""
    results = []
    for alpha in (0.0, 1.0, 0.3, -0.5, 1.5):
        try:
            theta = _student(lambda a=alpha: interpolate(theta0, theta1, a))
        except _NotAnsweredError as why:
            return _not_answered(what, str(why))
        if not isinstance(theta, dict) or set(theta) != set(theta0):
            _fail(what, f"interpolate(theta0, theta1, {alpha}) should be a dict with the state dict's names as keys",
                  sorted(theta0), sorted(theta) if isinstance(theta, dict) else theta, hint)
        shapes = [name for name in theta0 if np.shape(theta[name]) != np.shape(theta0[name])]
        if shapes:
            name = shapes[0]
            _fail(what, f"at alpha = {alpha}, '{name}' has the wrong shape", np.shape(theta0[name]),
                  np.shape(theta[name]), hint)
        results.append((alpha, evaluate(theta)))
    for alpha, got in results:
        if alpha == 0.0:
            expected, where = initial, "alpha = 0 is the start of the line, the initial weights: the loss there is " \
                                       "the one measured before training"
        elif alpha == 1.0:
            expected, where = trained, "alpha = 1 is the end of the line, the trained weights: the loss there is " \
                                       "the trained network's"
        else:
            expected = evaluate({name: (1 - alpha) * theta0[name] + alpha * theta1[name] for name in theta0})
            where = f"at alpha = {alpha} the weights are (1 - alpha) theta0 + alpha theta1"
        if not np.isclose(got, expected, rtol=LOSS_RTOL, atol=ATOL):
            _fail(what, f"the loss at alpha = {alpha} is wrong ({where})", expected, got,
                  hint or "theta(alpha) = (1 - alpha) * theta0 + alpha * theta1, for every name")
    return _correct(what, f"the loss is the initial {initial:.4g} at alpha = 0 and the trained {trained:.4g} at "
                          f"alpha = 1, and right at alpha = 0.3, -0.5 and 1.5")


def _check_rows(what: str, f: Callable, scores: Any, reference: Callable, name: str, hint: str) -> None:
    """f(scores) against autograd_lite's `reference` (a float64 tensor -> tensor), row by row, in float64 and in
    float32 (which must at least be finite and close to 1e-5)."""
    scores = np.asarray(scores, dtype=np.float64)
    for dtype, rtol in ((np.float64, RTOL), (np.float32, 1e-5)):
        x = scores.astype(dtype)
        try:
            with np.errstate(all="ignore"):     # the message below says what went wrong, not NumPy's warnings
                got = _student(lambda x=x: f(x.copy()))
        except _NotAnsweredError as why:
            return _not_answered(what, str(why))
        expected = reference(al.tensor(scores, dtype=al.float64)).numpy()
        got = np.asarray(got, dtype=np.float64)
        if got.shape != expected.shape:
            _fail(what, f"{name} has shape {got.shape}, expected {expected.shape} (one value per row?)", expected,
                  got, hint)
        kind = np.dtype(dtype).name
        bad = ~np.isfinite(got)
        if bad.any():
            row = int(np.argwhere(bad)[0][0])
            _fail(what, f"row {row} of {name} holds {got[bad][0]} (inputs in {kind}); the row's scores are "
                        f"{_show(scores[row])}", expected, got, hint)
        differ = ~np.isclose(got, expected, rtol=rtol, atol=ATOL if dtype == np.float64 else 1e-7)
        if differ.any():
            row = int(np.argwhere(differ)[0][0])
            _fail(what, f"{int(differ.sum())} of {differ.size} numbers of {name} differ (inputs in {kind}), the first "
                        f"in row {row}", expected, got, hint)
    return _correct(what, f"finite and equal to autograd_lite's, in float64 and float32, for all {len(scores)} rows")


def check_softmax(what: str, softmax: Callable, scores: Any, hint: str = "") -> None:
    """softmax(f) over the last axis, against al.softmax."""
    return _check_rows(what, softmax, scores, lambda t: al.softmax(t, dim=-1), "softmax(scores)", hint)


def check_logsumexp(what: str, logsumexp: Callable, scores: Any, hint: str = "") -> None:
    """logsumexp(f) over the last axis (one number per row), against al.logsumexp."""
    return _check_rows(what, logsumexp, scores, lambda t: al.logsumexp(t, dim=-1), "logsumexp(scores)", hint)
# --- notebook 12_linear_classifiers ---
# The references here are nn.functional's losses (nn is built on autograd_lite's public API). nn is imported
# inside the functions, so that the checks of the other notebooks still need autograd_lite and NumPy only.

def _float64(x: Any, requires_grad: bool = False) -> al.Tensor:
    return al.tensor(np.asarray(x, dtype=np.float64), dtype=al.float64, requires_grad=requires_grad)


def _agrees(got: Any, expected: np.ndarray) -> bool:
    """got has expected's shape and numbers (False for anything else, a wrong shape or not numbers)."""
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got_array.shape == expected.shape and bool(np.allclose(got_array, expected, rtol=RTOL, atol=ATOL))


def check_multi_margin(what: str, got: Any, scores: Any, labels: Any, margin: float = 1.0) -> None:
    """Per-example multiclass hinge losses for a score matrix (N, C) and labels (N,), against
    nn.functional.multi_margin_loss(..., reduction='none'): sum over c != y of max(0, margin - f_y + f_c), / C."""
    import nn.functional as F  # noqa: N812

    s, y = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=np.int64)
    expected = F.multi_margin_loss(_float64(s), al.tensor(y), margin=margin, reduction="none").numpy()
    n, c = s.shape
    terms = margin - s[np.arange(n), y][:, None] + s                # every class's term, c == y included
    hint = "for each row: add max(0, margin - f_y + f_c) over the classes c != y, then divide by C"
    if got is not ... and _agrees(got, expected * c):
        hint = "nn.MultiMarginLoss divides each row's sum by the number of classes C (PyTorch's convention)"
    elif got is not ... and _agrees(got, expected + margin / c):
        hint = "leave out the term c = y: it is max(0, margin - f_y + f_y) = margin, never zero"
    elif got is not ... and _agrees(got, (terms.sum(1) - margin) / c):
        hint = "clip each term at 0 (max(0, ...)): a class far below the true one must not lower the loss"
    elif got is not ... and _agrees(got, np.maximum(terms - margin * np.eye(c)[y], 0).max(1)):
        hint = "that is the largest violation (Shakhnarovich's slide 14); nn.MultiMarginLoss adds them up, / C"
    return check_close(what, got, expected, hint)


def check_cross_entropy_gradient(what: str, grad_fn: Callable, scores: Any, labels: Any) -> None:
    """grad_fn(scores, labels), NumPy arrays in and out, is d/d(scores) of nn.functional.cross_entropy's mean,
    as autograd_lite's backward() computes it."""
    import nn.functional as F  # noqa: N812

    s, y = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=np.int64)
    try:
        got = _student(lambda: grad_fn(s.copy(), y.copy()))
    except _NotAnsweredError as why:
        return _not_answered(what, str(why))
    scores_t = _float64(s, requires_grad=True)
    F.cross_entropy(scores_t, al.tensor(y)).backward()
    expected = scores_t.grad.numpy()
    n, c = s.shape
    softmax = np.exp(s - s.max(1, keepdims=True))
    softmax /= softmax.sum(1, keepdims=True)
    hint = "the gradient of the mean loss is (softmax(scores) - onehot(labels)) / N"
    if _agrees(got, expected * n):
        hint = "the loss is the mean over the N examples: divide each row's gradient by N"
    elif _agrees(got, -expected):
        hint = "the sign is reversed: it is softmax minus onehot (raising the true class's score lowers the loss)"
    elif _agrees(got, softmax / n) or _agrees(got, softmax):
        hint = "subtract the one-hot target: the true class's entry is (p_y - 1) / N, the others p_c / N"
    return check_close(what, got, expected, hint)


def _check_loss_of_scores(what: str, loss_fn: Callable, scores: np.ndarray, target: al.Tensor, reference: str,
                          expected_fn: Callable, hint: str) -> None:
    """loss_fn(scores, target) gives expected_fn's value and gradient with respect to the scores."""
    def run(fn: Callable) -> tuple[float, np.ndarray]:
        z = _float64(scores, requires_grad=True)
        out = fn(z, target)
        if not isinstance(out, al.Tensor) or out.numel() != 1:
            _fail(what, "the loss should be one number, a tensor with one element (the mean over the batch)",
                  "a tensor of one element", out, "return the mean over the batch (reduction='mean', the default)")
        out.backward()
        return out.item(), (np.zeros_like(scores) if z.grad is None else z.grad.numpy())

    try:
        value, grad = _student(lambda: run(loss_fn))
    except _NotAnsweredError as why:
        return _not_answered(what, str(why))
    expected_value, expected_grad = run(expected_fn)
    if _close(value, expected_value) and _agrees(grad, expected_grad):
        return _correct(what, f"value {expected_value:.6g} and its gradient with respect to the scores agree with "
                              f"{reference}")
    # the example whose gradient the answer shrinks the most: where a saturated loss shows
    flat, expected_flat = grad.reshape(len(scores), -1), expected_grad.reshape(len(scores), -1)
    worst = int(np.argmax(np.linalg.norm(expected_flat, axis=1) - np.linalg.norm(flat, axis=1)))
    problem = (f"the {'value' if not _close(value, expected_value) else 'gradient'} differs from {reference}'s; "
               f"at example {worst} (scores {_show(scores[worst])}, target {_show(target.numpy()[worst].tolist())}) the "
               f"gradient with respect to its scores is {_show(flat[worst])} with your loss, "
               f"{_show(expected_flat[worst])} with {reference}")
    _fail(what, problem, f"loss {expected_value:.10g}", f"loss {value:.10g}", hint)


def check_bernoulli_loss(what: str, loss_fn: Callable, logits: Any, targets: Any) -> None:
    """loss_fn(z, y) on logits z (N,) and 0/1 targets y (float64 tensors) is the mean Bernoulli negative
    log-likelihood, nn.functional.binary_cross_entropy_with_logits: the same value and the same gradient in z."""
    import nn.functional as F  # noqa: N812

    return _check_loss_of_scores(
        what, loss_fn, np.asarray(logits, dtype=np.float64), _float64(targets), "binary_cross_entropy_with_logits",
        F.binary_cross_entropy_with_logits,
        "a classifier's loss is the negative log-likelihood of its output neuron: for a sigmoid output, the "
        "Bernoulli one, whose gradient in z is (sigmoid(z) - y) / N; sigmoid's slope s (1 - s), left in by the "
        "MSE, is nearly 0 where the network is confidently wrong")


def check_categorical_loss(what: str, loss_fn: Callable, scores: Any, labels: Any) -> None:
    """loss_fn(scores, labels) on scores (N, C) (float64) and int64 labels is the mean categorical negative
    log-likelihood of the softmax of the scores, nn.functional.cross_entropy: the same value and gradient."""
    import nn.functional as F  # noqa: N812

    return _check_loss_of_scores(
        what, loss_fn, np.asarray(scores, dtype=np.float64), al.tensor(np.asarray(labels, dtype=np.int64)),
        "cross_entropy", F.cross_entropy,
        "nn.CrossEntropyLoss / F.cross_entropy take the scores (logits) and apply log_softmax themselves: a softmax "
        "before them is applied twice, and its gradient in the scores is no longer softmax - onehot")
# --- notebook 05_optimizers ---

def check_update_rule(what: str, step: Callable, make_optimizer: Callable, w0: Any, grads: Sequence[Any],
                      hint: str = "") -> None:
    """An update rule written by hand, `step(w, g, state) -> new w` on NumPy arrays (`state`: a dict the rule
    keeps between its calls, empty at first, as an optimizer keeps `self.state[p]`), applied to the gradients
    `grads` one after the other from w0, against `make_optimizer([p])` (an nn.optim optimizer) stepping a
    float64 tensor p whose .grad is set to the same gradients."""
    w0 = np.asarray(w0, dtype=np.float64)
    grads = [np.asarray(g, dtype=np.float64) for g in grads]
    p = al.tensor(w0.copy(), dtype=al.float64, requires_grad=True)
    optimizer = make_optimizer([p])
    expected = []
    for g in grads:
        p.grad = al.tensor(g.copy(), dtype=al.float64)
        optimizer.step()
        expected.append(p.detach().numpy().copy())

    def run() -> list[Any]:
        w, state, got = w0.copy(), {}, []
        for g in grads:
            w = step(w.copy(), g.copy(), state)
            got.append(w)
        return got

    try:
        got = _student(run)
    except _NotAnsweredError as why:
        return _not_answered(what, str(why))
    name = type(optimizer).__name__
    for t, (e, w) in enumerate(zip(expected, got), start=1):
        if w is None:
            _fail(what, f"the rule returned None at step {t}", e, w, "return the new parameters, w minus the step")
        w = np.asarray(w, dtype=float)
        if w.shape != e.shape:
            _fail(what, f"after step {t} the parameters have shape {w.shape}, expected {e.shape}", e, w, hint)
        if not np.allclose(w, e, rtol=RTOL, atol=ATOL):
            earlier = f" (steps 1 to {t - 1} agree)" if t > 1 else ""
            _fail(what, f"the parameters after step {t} differ from nn.optim.{name}'s{earlier}; the gradient of "
                        f"step {t} was {_show(grads[t - 1])}", e, w, hint)
    return _correct(what, f"all {len(grads)} steps agree with nn.optim.{name} (last w = {_show(expected[-1])})")


def check_below(what: str, answer: Any, measure: Callable[[Any], float], threshold: float, measured: str,
                hint: str = "") -> None:
    """A value the student chose (`...` while not answered), judged by its effect: `measure(answer)`, computed
    with autograd_lite (a short training run, say), must be finite and below `threshold`."""
    if answer is ...:
        return _not_answered(what, "the answer is still `...`")
    value = float(measure(answer))
    if not (np.isfinite(value) and value < threshold):
        _fail(what, f"with {answer!r}, {measured} is {value:.3g}, not below {threshold:g}",
              f"{measured} below {threshold:g}", value, hint)
    return _correct(what, f"with {answer!r}, {measured} is {value:.3g}, below {threshold:g}")


# --- notebook 08_recurrent_networks ---

def check_target(what: str, answer: Any, measure: Callable[[Any], float], target: float, atol: float,
                 measured: str, hint: str = "") -> None:
    """A value the student found (`...` while not answered) such that `measure(answer)`, computed with
    autograd_lite, equals `target` to within `atol`."""
    if answer is ...:
        return _not_answered(what, "the answer is still `...`")
    value = float(measure(answer))
    if not abs(value - target) <= atol:
        _fail(what, f"with {answer!r}, {measured} is {value:.10g}, not {target:g} (to within {atol:g})", target,
              value, hint)
    return _correct(what, f"with {_show(answer)}, {measured} is {value:.10g} (target {target:g})")


def check_clipping(what: str, clip: Callable, grads: Sequence[Any], max_norms: Sequence[float],
                   clip_grad_norm_: Callable, hint: str = "") -> None:
    """`clip(grads, max_norm) -> (total norm, clipped gradients)` written by hand on NumPy arrays, against
    `clip_grad_norm_` (pass nn.utils.clip_grad_norm_) on float64 tensors holding the same gradients, for each
    max_norm: the norm it returns and the gradients it leaves."""
    grads = [np.asarray(g, dtype=np.float64) for g in grads]
    for max_norm in max_norms:
        params = [al.zeros(*g.shape, dtype=al.float64, requires_grad=True) for g in grads]
        for p, g in zip(params, grads):
            p.grad = al.tensor(g.copy(), dtype=al.float64)
        norm = float(clip_grad_norm_(params, max_norm))
        expected = [p.grad.numpy() for p in params]
        try:
            got_norm, got = _student(lambda m=max_norm: clip([g.copy() for g in grads], m))
        except _NotAnsweredError as why:
            return _not_answered(what, str(why))
        case = f"max_norm = {max_norm:g} (the gradients' joint norm is {norm:.6g})"
        if not _close(_number(what, "the norm", got_norm, hint), norm):
            _fail(what, f"{case}: the total norm is wrong", norm, float(got_norm), hint)
        if len(got) != len(expected):
            _fail(what, f"{case}: expected one clipped gradient per parameter", f"{len(expected)} arrays",
                  f"{len(got)} arrays", hint)
        for k, (e, g) in enumerate(zip(expected, got)):
            g = np.asarray(g, dtype=float)
            if g.shape != e.shape or not np.allclose(g, e, rtol=RTOL, atol=ATOL):
                size = max(float(np.linalg.norm(grads[k])), 1e-300)
                _fail(what, f"{case}: gradient {k} (shape {e.shape}) differs",
                      f"the original times {float(np.linalg.norm(e)) / size:.10g}",
                      f"the original times {float(np.linalg.norm(g)) / size:.10g}" if g.shape == e.shape else g.shape,
                      hint)
    return _correct(what, f"the norm and the clipped gradients agree with clip_grad_norm_ for max_norm in "
                          f"{_show([float(m) for m in max_norms])}")


def check_truncated_bptt(what: str, run: Callable, expected_losses: Sequence[float], hint: str = "") -> None:
    """`run() -> (losses, lines)`: a truncated-BPTT loop's loss of every chunk and the number of lines of
    viz.summary of each chunk's loss. The graph must not grow (the same number of lines for every chunk), and the
    losses must be those of one forward pass over the whole stream (the state carried from chunk to chunk),
    `expected_losses`, computed with autograd_lite; float32, so to a relative 1e-5."""
    try:
        losses, lines = _student(run)
    except _NotAnsweredError as why:
        return _not_answered(what, str(why))
    except RuntimeError as error:
        if "second time" not in str(error):
            raise
        _fail(what, "a backward() went on into an earlier chunk's graph, which the earlier backward had released "
                    f"(RuntimeError: {str(error)[:60]}...)", "each chunk's backward stops at the chunk's start",
              "the carried state still holds the graph of the chunks before", hint)
    lines, expected = [int(n) for n in lines], np.asarray(expected_losses, dtype=float)
    if len(set(lines)) != 1:
        _fail(what, f"the graph grows from chunk to chunk: viz.summary has {lines} lines", "the same number "
              "for every chunk", _show(lines), hint)
    losses = np.asarray(losses, dtype=float)
    if losses.shape != expected.shape or not np.allclose(losses, expected, rtol=1e-5, atol=0):
        _fail(what, "the graph stays the same size, but the chunks' losses are not those of the whole stream read "
                    "with the state carried", expected, losses, hint)
    return _correct(what, f"{lines[0]} lines of viz.summary for each of the {len(lines)} chunks, and the losses of "
                          f"the whole stream read in one pass")


# --- notebook 11_net2net ---

def check_same_function(what: str, make: Callable, build: Callable, teacher: Any, x: Any,
                        shapes: Sequence[tuple[int, int]] | None = None,
                        condition: tuple[str, Callable[[Any], bool]] | None = None, hint: str = "") -> None:
    """A function-preserving transformation: `make()` returns a list of (W, b) arrays, `build` turns it into a
    model, and that model's outputs on x equal the teacher's (autograd_lite, float64, to 1e-10). `shapes`: the
    W shapes the new layers must have; `condition`: (what else must hold, a test of the layers)."""
    try:
        layers = _student(make)
    except _NotAnsweredError as why:
        return _not_answered(what, str(why))
    got_shapes = [tuple(np.shape(W)) for W, _ in layers]
    if shapes is not None and got_shapes != [tuple(s) for s in shapes]:
        _fail(what, "the layers' weights have the wrong shapes", [tuple(s) for s in shapes], got_shapes, hint)
    with al.no_grad():
        expected, got = teacher(x).numpy(), build(layers)(x).numpy()
    gap = float(np.abs(got - expected).max())
    if not gap <= 1e-10:
        row = int(np.abs(got - expected).max(axis=1).argmax())
        _fail(what, f"the function changed: max |new - teacher| = {gap:.3g} over the outputs (e.g. at example "
                    f"{row})", expected[row], got[row], hint)
    if condition is not None and not condition[1](layers):
        _fail(what, f"the function is preserved, but not as asked: {condition[0]}", condition[0], "not so", hint)
    return _correct(what, f"shapes {got_shapes}, the teacher's function to {gap:.1e}"
                          + (f"; {condition[0]}" if condition else ""))
# --- notebook 07_convolutional_networks ---

def _feature_stack(layers: Sequence[tuple], x: Any, rng: np.random.Generator, pool: str = "max") -> list[Any]:
    """Run one channel x through layers of (name, kind, k, s, p, d), kind "conv" or "pool": a random k x k kernel
    or a k x k pooling window (max, or average to see every pixel of it); the output after each layer."""
    outs = []
    for _, kind, k, s, p, d in layers:
        if kind == "conv":
            x = al.conv2d(x, al.tensor(rng.normal(size=(1, 1, k, k))), stride=s, padding=p, dilation=d)
        elif pool == "max":
            x = al.max_pool2d(x, k, stride=s, padding=p, dilation=d)
        else:
            assert d == 1, "average pooling has no dilation"
            x = al.avg_pool2d(x, k, stride=s, padding=p)
        outs.append(x)
    return outs


def _answer_list(what: str, got: Any, n: int, expected: list[int], hint: str) -> list[Any]:
    if not isinstance(got, (list, tuple)) or len(got) != n:
        _fail(what, f"the answer should be a list of {n} numbers, one per layer", expected, got, hint)
    return list(got)


def check_feature_sizes(what: str, sizes: Any, layers: Sequence[tuple], H: int, hint: str = "") -> None:  # noqa: N803
    """`sizes`: the height (= width) of the feature map after each of `layers` for an H x H input, against the
    shapes al.conv2d and al.max_pool2d give."""
    if sizes is ...:
        return _not_answered(what, "the answer is still `...`")
    outs = _feature_stack(layers, al.zeros(1, 1, H, H, dtype=al.float64), np.random.default_rng(0))
    expected = [int(o.shape[-1]) for o in outs]
    got = _answer_list(what, sizes, len(layers), expected, hint)
    wrong = [name for (name, *_), e, g in zip(layers, expected, got) if g != e]
    if wrong:
        _fail(what, f"the size after {', '.join(wrong)} is wrong", expected, got, hint)
    chain = " -> ".join(map(str, [H, *expected]))
    return _correct(what, f"all {len(layers)} sizes agree with autograd_lite ({chain})")


def measured_receptive_fields(layers: Sequence[tuple], H: int) -> list[int]:  # noqa: N803
    """The receptive field after each layer, measured as in the notebook: the span of the input pixels where one
    unit near the middle of the map has a non-zero gradient (average pooling, so that every pixel counts)."""
    rng = np.random.default_rng(0)
    spans = []
    for depth in range(1, len(layers) + 1):
        x = al.tensor(rng.normal(size=(1, 1, H, H)), requires_grad=True)
        out = _feature_stack(layers[:depth], x, np.random.default_rng(depth), pool="avg")[-1]
        c = (out.shape[-1] - 1) // 2
        out[0, 0, c, c].backward()
        rows = np.nonzero(np.abs(x.grad.numpy()[0, 0]).sum(1))[0]
        if rows.min() == 0 or rows.max() == H - 1:
            raise ValueError(f"the receptive field after {layers[depth - 1][0]} reaches the border of a {H} x {H} "
                             f"input: measure on a larger one")
        spans.append(int(rows.max() - rows.min() + 1))
    return spans


def check_receptive_fields(what: str, receptive_fields: Callable, stacks: dict[str, tuple[Sequence[tuple], int]],
                           hint: str = "") -> None:
    """receptive_fields(layers) -> the receptive field after each layer, for each named stack (its layers and an
    input size that holds the largest field), against the spans measured with autograd_lite's gradients."""
    for name, (layers, H) in stacks.items():     # noqa: N806
        try:
            got = _student(lambda layers=layers: receptive_fields(layers))
        except _NotAnsweredError as why:
            return _not_answered(what, str(why))
        expected = measured_receptive_fields(layers, H)
        got = _answer_list(f"{what} of {name}", got, len(layers), expected, hint)
        wrong = [layer[0] for layer, e, g in zip(layers, expected, got) if g != e]
        if wrong:
            _fail(f"{what} of {name}", f"the receptive field after {', '.join(wrong)} is wrong", expected, got, hint)
    return _correct(what, f"{len(stacks)} stacks: every layer's field agrees with the gradient masks of autograd_lite")


def check_im2col(what: str, im2col: Callable, hint: str = "") -> None:
    """im2col(x, k, s, p) -> M, one row per output position (row-major), each the flattened C x k x k patch; then
    M @ K.reshape(m, -1).T must give al.conv2d(x, K, stride=s, padding=p) on a 3-channel 7 x 9 input."""
    rng = np.random.default_rng(7)
    x, K, k, s, p = rng.normal(size=(3, 7, 9)), rng.normal(size=(4, 3, 3, 3)), 3, 2, 1   # noqa: N806
    try:
        M = np.asarray(_student(lambda: im2col(x, k, s, p)), dtype=float)   # noqa: N806
    except _NotAnsweredError as why:
        return _not_answered(what, str(why))
    expected = al.conv2d(al.tensor(x[None]), al.tensor(K), stride=s, padding=p).numpy()[0]
    rows, cols = expected.shape[1] * expected.shape[2], K[0].size
    if M.shape != (rows, cols):
        _fail(what, "M has the wrong shape (one row per output position, C * k * k columns)", (rows, cols), M.shape,
              hint)
    got = (M @ K.reshape(len(K), -1).T).T.reshape(expected.shape)
    bad = ~np.isclose(got, expected, rtol=RTOL, atol=ATOL)
    if bad.any():
        _fail(what, f"M @ K_flat.T differs from al.conv2d at {int(bad.sum())} of {bad.size} outputs (filter 0 shown)",
              expected[0], got[0], hint)
    return _correct(what, f"M is {rows} x {cols}, and M @ K_flat.T equals al.conv2d (stride {s}, padding {p})")


def check_conv_params(what: str, conv_params: Callable, settings: Sequence[tuple[int, int, int, bool]],
                      module: Callable, hint: str = "") -> None:
    """conv_params(c_in, c_out, k, bias) against the number of parameters of module(c_in, c_out, k, bias=bias)."""
    expected, got = [], []
    for c_in, c_out, k, bias in settings:
        try:
            got.append(_student(lambda c_in=c_in, c_out=c_out, k=k, bias=bias: conv_params(c_in, c_out, k, bias)))
        except _NotAnsweredError as why:
            return _not_answered(what, str(why))
        expected.append(sum(p.numel() for p in module(c_in, c_out, k, bias=bias).parameters()))
    wrong = [f"(c_in={c}, c_out={o}, k={k}, bias={b})"
             for (c, o, k, b), e, g in zip(settings, expected, got) if g != e]
    if wrong:
        _fail(what, f"the count is wrong for {', '.join(wrong)} (expected: what nn.Conv2d holds)", expected, got, hint)
    return _correct(what, f"all {len(settings)} counts agree with nn.Conv2d ({', '.join(f'{e:,}' for e in expected)})")
