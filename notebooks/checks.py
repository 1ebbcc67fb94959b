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
