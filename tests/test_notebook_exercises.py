"""The exercises' machinery without a kernel: notebooks/checks.py's three answers (correct, not answered yet, a
helpful AssertionError), and each worked solution in notebooks/solutions/ being its notebook with the exercises
answered (tests/test_notebooks.py runs them)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))
PLACEHOLDERS = ("raise NotImplementedError", "= ...")


def _load_checks():
    spec = importlib.util.spec_from_file_location("notebook_checks", NOTEBOOKS / "checks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


checks = _load_checks()


class Value:
    """The smallest engine the checks can run: + and * only, with rules that add (or, `overwrite`, set)."""
    overwrite = False

    def __init__(self, data, children=()):
        self.data, self.grad, self._prev, self._op, self._backward = float(data), 0.0, tuple(children), "", None

    def _record(self, op, data, children, rules):
        out = Value(data, children)
        out._op = op

        def backward():
            for child, local in zip(children, rules):
                child.grad = local * out.grad + (0.0 if Value.overwrite else child.grad)
        out._backward = backward
        return out

    def __add__(self, other):
        return self._record("+", self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        return self._record("*", self.data * other.data, (self, other), (other.data, self.data))

    def tanh(self):
        raise NotImplementedError("exercise 9: write tanh")

    def backward(self):
        order, seen = [], set()

        def visit(v):                       # recursion is fine for the checks' tiny graphs
            if v not in seen:
                seen.add(v)
                for child in v._prev:
                    visit(child)
                order.append(v)
        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            if v._backward:
                v._backward()


@pytest.fixture(autouse=True)
def _adding_rules():
    Value.overwrite = False
    yield
    Value.overwrite = False


def test_a_right_answer_prints_correct(capsys: pytest.CaptureFixture) -> None:
    checks.check_engine("a * b + a", lambda a, b: a * b + a, [2.0, -3.0], Value)
    checks.check_forward("a * b", lambda a, b: a * b, [2.0, -3.0], Value)
    checks.check_close("a number", 0.1 + 0.2, 0.3)
    assert capsys.readouterr().out.splitlines() == [
        "correct: a * b + a: value -4 and the gradients for a, b agree with autograd_lite",
        "correct: a * b: value -6, as autograd_lite computes it",
        "correct: a number: all 1 numbers agree with autograd_lite"]


def test_a_placeholder_prints_not_answered_yet_and_raises_nothing(capsys: pytest.CaptureFixture) -> None:
    checks.check_engine("tanh(a)", lambda a: a.tanh(), [0.5], Value)
    checks.check_forward("tanh(a)", lambda a: a.tanh(), [0.5], Value)
    checks.check_close("a number", ..., 1.0)
    assert capsys.readouterr().out.splitlines() == [
        "not answered yet: tanh(a) (exercise 9: write tanh)",
        "not answered yet: tanh(a) (exercise 9: write tanh)",
        "not answered yet: a number (the answer is still `...`)"]


def test_a_wrong_gradient_raises_what_was_expected_what_came_and_the_hint() -> None:
    Value.overwrite = True
    with pytest.raises(AssertionError) as error:
        checks.check_engine("a * b + a", lambda a, b: a * b + a, [2.0, -3.0], Value, hint="add, do not set")
    assert str(error.value) == ("a * b + a: the value is right, but the gradient for a is wrong\n"
                                "  expected (autograd_lite): d/da = -2, d/db = 2\n"
                                "  got (your answer):        d/da = -3, d/db = 2\n"
                                "Hint: add, do not set")


def test_wrong_numbers_and_values_raise() -> None:
    with pytest.raises(AssertionError, match=r"1 of 3 numbers differ \(at \[\[2\]\]\)"):
        checks.check_close("three numbers", [1.0, 2.0, 3.5], [1.0, 2.0, 3.0])
    with pytest.raises(AssertionError, match="shape"):
        checks.check_close("three numbers", [1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(AssertionError, match="the value is wrong"):
        checks.check_gradients("tanh(a)", lambda a: a.tanh(), [0.5], 0.5, [1.0])
    with pytest.raises(AssertionError, match="should be a number, but it is a Value"):
        checks.check_gradients("a * a", lambda a: a * a, [2.0], 4.0, [Value(4.0)])
    checks.check_gradients("tanh(a)", lambda a: a.tanh(), [0.5], math.tanh(0.5), [1 - math.tanh(0.5) ** 2])


def test_topological_order() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    checks.check_topological_order("order", [b, a, c, d], d)
    with pytest.raises(AssertionError, match=r"^order: \+ \(data=3\) comes before its input \* \(data=2\)"):
        checks.check_topological_order("order", [a, b, d, c], d)
    with pytest.raises(AssertionError, match="missing"):
        checks.check_topological_order("order", [a, c, d], d)
    with pytest.raises(AssertionError, match="appears twice"):
        checks.check_topological_order("order", [a, b, a, c, d], d)


def _read(path: Path):
    return pytest.importorskip("nbformat").read(path, as_version=4)


def _exercise_cells(nb) -> list[int]:
    return [i for i, cell in enumerate(nb.cells) if "exercise" in cell.get("metadata", {}).get("tags", [])]


def test_notebooks_with_exercises_have_worked_solutions() -> None:
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        if _exercise_cells(_read(path)):
            assert (NOTEBOOKS / "solutions" / path.name).exists(), f"{path.name} has exercises but no solutions/"


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_solution_is_its_notebook_with_the_exercises_answered(path: Path) -> None:
    student_path = NOTEBOOKS / path.name
    assert student_path.exists(), f"solutions/{path.name} has no notebook notebooks/{path.name}"
    student, solution = _read(student_path), _read(path)
    assert [c.cell_type for c in student.cells] == [c.cell_type for c in solution.cells], \
        "the solution's cells should be the notebook's, one for one"
    answered = _exercise_cells(solution)
    assert _exercise_cells(student) == answered and len(answered) >= 3, "at least three exercises, in both"
    for index, (mine, theirs) in enumerate(zip(student.cells, solution.cells)):
        if index in answered:
            assert any(p in mine.source for p in PLACEHOLDERS), f"cell {index}: the exercise has no placeholder"
            assert "raise NotImplementedError" not in theirs.source, f"cell {index}: the solution is not written"
        elif mine.cell_type == "code":
            assert mine.source == theirs.source, f"code cell {index} differs between the notebook and its solution"
