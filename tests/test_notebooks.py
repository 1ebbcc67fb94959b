"""Every notebook in notebooks/ and every worked solution in notebooks/solutions/ runs top to bottom in a fresh
kernel (nbclient), and the exercises' check cells tell right answers from wrong ones.

Only success is checked, not that the outputs match the stored ones byte for byte. A failure names the
notebook and the failing cell (its index, source and traceback).

The exercises follow notebooks/README.md's convention (notebooks/checks.py does the checking): a code cell
tagged `exercise` whose first line is `# Exercise N: ...`, then a code cell tagged `check`. In a student's
notebook each such check prints "not answered yet"; in its worked solution every check cell prints "correct";
and each solution's exercise cell with a deliberate mistake put in (WRONG_ANSWERS, at least one per solved
notebook; tried in the solution's kernel after it has run) must make that exercise's check cell raise a helpful
AssertionError.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

_missing = [tool for tool in ("nbclient", "nbformat", "ipykernel") if importlib.util.find_spec(tool) is None]
if _missing:
    pytest.skip(f"{', '.join(_missing)} not installed (pip install nbclient ipykernel nbformat), so the "
                f"notebooks were not executed", allow_module_level=True)

if shutil.which("dot") is None:
    pytest.skip("Graphviz's `dot` is not installed (the OS package `graphviz`), and the notebooks draw graphs",
                allow_module_level=True)

import nbformat  # noqa: E402 - only once we know it is installed
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
TIMEOUT = 120                  # seconds: for any one cell (nbclient's timeout)
BUDGET = 60                    # seconds: for a whole notebook (they take a few; "well under a minute")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_EXERCISE = re.compile(r"# Exercise (\d+)\b")


@dataclass(frozen=True)
class WrongAnswer:
    """A deliberate mistake in a worked solution: `old` replaced by `new` in the cell of exercise `exercise`. The
    exercise's check cell must then raise an AssertionError whose message contains each string of `says`."""
    notebook: str
    exercise: int
    old: str
    new: str
    says: tuple[str, ...]
    why: str                   # the mistake, in words


# One entry per mistake; every notebook in notebooks/solutions/ needs at least one.
WRONG_ANSWERS = [
    WrongAnswer("00_build_your_own_autograd.ipynb", 4, "s * (1 - s) * out.grad", "s * (1 - s)",
                ("sigmoid(2 * a) * b + sigmoid(a)", "the gradient for a is wrong", "out.grad"),
                "the bug not found: the sigmoid's rule without out.grad"),
    WrongAnswer("00_build_your_own_autograd.ipynb", 1, "self.grad += k", "self.grad = k",
                ("a ** 3 + b ** -1", "the gradient for a is wrong", "+="),
                "pow's rule overwrites the gradient instead of adding to it"),
    WrongAnswer("00_build_your_own_autograd.ipynb", 2, "1.0 if self.data > 0 else 0.0", "1.0",
                ("relu(a * b)", "wrong", "negative"),
                "relu passes every gradient on"),
    WrongAnswer("01_computational_graphs.ipynb", 1, "z1 * (1 - z1) * (W2.T @ d2)", "(1 - z1 ** 2) * (W2.T @ d2)",
                ("L with h = sigmoid", "the gradient for W1 is wrong", "z1 * (1 - z1)"),
                "tanh's derivative kept for the sigmoid"),
    WrongAnswer("01_computational_graphs.ipynb", 2, "(W2.T @ d2 + lam * z1)", "(W2.T @ d2)",
                ("the gradient for W1 is wrong", "sum of two contributions"),
                "the penalty's contribution to z1's gradient left out"),
    WrongAnswer("01_computational_graphs.ipynb", 3, "(1 - z1 ** 2) * (W2.T @ d2)", "(1 - a1 ** 2) * (W2.T @ d2)",
                ("the gradient for W1 is wrong", "the layers above it agree"),
                "the bug not fixed: tanh's derivative written in a1 instead of z1"),
    WrongAnswer("01_computational_graphs.ipynb", 4, "frame_z1_complete = 23", "frame_z1_complete = 20",
                ("partial", "frame 23"),
                "the frame of z1's first contribution, not its last"),
    WrongAnswer("02_gradient_checking.ipynb", 1, "(f(x + step) - f(x - step)) / (2 * delta)",
                "(f(x + step) - f(x)) / delta",
                ("centered_difference", "relative error", "above 1e-8"),
                "a one-sided difference"),
    WrongAnswer("02_gradient_checking.ipynb", 2, "best_delta = steps[errors_5.argmin()]", "best_delta = 1e-6",
                ("five-point", "more than 10 times the smallest", "u^(1/5)"),
                "the centered difference's step kept for the five-point formula"),
    WrongAnswer("02_gradient_checking.ipynb", 3, "return g * b / out", "return g * a / out",
                ("the rule for input 1 is wrong", "al.gradcheck says", "with respect to input 1"),
                "the bug not found: b's rule still a copy of a's"),
    WrongAnswer("06_regularization.ipynb", 1, "2 * lam * w", "lam * w",
                ("one SGD step", "lr=0.1, lam=0.05", "2 * lam * w"),
                "the penalty's gradient without its factor 2 (lam * w, which is weight_decay=lam)"),
    WrongAnswer("06_regularization.ipynb", 2, "h * keep / (1 - p)", "h * keep",
                ("inverted dropout", "training output (p=0.2)", "1 / (1 - p)"),
                "the kept units not scaled by 1 / (1 - p)"),
    WrongAnswer("06_regularization.ipynb", 3, "var * m / (m - 1)", "var",
                ("running_var after batch 1", "unbiased"),
                "the running variance averages the biased batch variance"),
    WrongAnswer("06_regularization.ipynb", 4, "model.eval()", "pass",
                ("the loss differs", "model.eval()"),
                "the bug not found: the model evaluated in training mode (dropout on, batch statistics)"),
    WrongAnswer("03_activations.ipynb", 1, "s * (1 + a * (1 - s))", "s * (1 + a * s)",
                ("SiLU'(a)", "numbers differ", "product rule"),
                "the sigmoid's derivative taken as s instead of s (1 - s) in the product rule"),
    WrongAnswer("03_activations.ipynb", 2, "r < 1e-3}", "r < 1e-2}",
                ("sigmoid", "the layers are wrong", "measured ratios"),
                "the layers counted with the wrong threshold: one layer too many vanishes"),
    WrongAnswer("03_activations.ipynb", 3, "nn.init.zeros_(layer.bias)", "nn.init.constant_(layer.bias, -1.0)",
                ("too many dead ReLUs", "bias"),
                "the bug not found: negative biases still kill the units"),
    WrongAnswer("04_initialization.ipynb", 1, "(2 * a) ** 2 / 12", "a ** 2 / 12",
                ("the factor is wrong", "width 2a"),
                "the variance of U[-a, a] taken as a^2 / 12, forgetting that its width is 2a"),
    WrongAnswer("04_initialization.ipynb", 2, 'return nn.init.calculate_gain("tanh") / np.sqrt(n)',
                "return 1 / np.sqrt(n)", ("tanh", "shrinks", "gain"),
                "plain Xavier for tanh: the std shrinks from 0.63 to 0.23 over ten layers"),
    WrongAnswer("04_initialization.ipynb", 3, "nn.init.xavier_normal_(layer.weight, gain=tanh_gain)",
                "nn.init.constant_(layer.weight, 0.3)", ("still identical", "symmetry"),
                "a constant initialisation: the hidden units stay copies"),
    WrongAnswer("10_beyond_first_order.ipynb", 1, "(g * al.tensor(v)).sum()", "g.sum()",
                ("H v for f(x)", "numbers differ", "g . v"),
                "the gradient of sum(g) is H times a vector of ones, not H v"),
    WrongAnswer("10_beyond_first_order.ipynb", 2, "np.linalg.solve(H, -g.numpy())", "np.linalg.solve(H, g.numpy())",
                ("should land on the minimum", "minus sign"),
                "the Newton step with the wrong sign: it goes to the mirror image of the minimum"),
    WrongAnswer("10_beyond_first_order.ipynb", 3, "2 / lam.max()", "2 / lam.min()",
                ("largest stable learning rate", "numbers differ", "largest eigenvalue"),
                "the smallest eigenvalue instead of the largest: a step 2500 times too large"),
    WrongAnswer("09_loss_landscapes.ipynb", 1, "axes = tuple(range(1, w.ndim))", "axes = (w.ndim - 1,)",
                ("'0.weight'", "do not point along d's filters", "one number"),
                "a convolution's filter normalised over its last axis only, as a matrix's rows"),
    WrongAnswer("09_loss_landscapes.ipynb", 2, "(1 - alpha) * theta0[name] + alpha * theta1[name]",
                "alpha * theta0[name] + (1 - alpha) * theta1[name]",
                ("the loss at alpha = 0.0 is wrong", "the initial weights"),
                "the line walked backwards: alpha = 0 lands on the trained weights"),
    WrongAnswer("09_loss_landscapes.ipynb", 3, "z = f - f.max(axis=-1, keepdims=True)", "z = f - f.max()",
                ("row 1 of softmax(scores) holds nan", "its own maximum"),
                "one shift for the whole batch: the very negative row underflows to 0 / 0"),
    WrongAnswer("09_loss_landscapes.ipynb", 4, "return m + np.log(", "return np.log(",
                ("3 of 3 numbers of logsumexp(scores) differ", "add a back"),
                "the shift is not added back after the log"),
    WrongAnswer("12_linear_classifiers.ipynb", 1, "hinge_1 = terms.sum(1) / c", "hinge_1 = terms.sum(1)",
                ("multiclass hinge losses", "3 of 4 numbers differ", "divides each row's sum by the number of classes"),
                "the hinge summed over the wrong classes without PyTorch's division by C"),
    WrongAnswer("12_linear_classifiers.ipynb", 1, "terms[np.arange(n), labels_1] = 0.0",
                "terms[np.arange(n), labels_1] += 0.0", ("multiclass hinge losses", "leave out the term c = y"),
                "the true class's own term, max(0, 1) = 1, left in the sum"),
    WrongAnswer("12_linear_classifiers.ipynb", 2, "(softmax - np.eye(c)[labels]) / n", "(softmax - np.eye(c)[labels])",
                ("ce_gradient", "divide each row's gradient by N"),
                "the gradient of the summed loss where the mean's was asked for"),
    WrongAnswer("12_linear_classifiers.ipynb", 3, "return F.binary_cross_entropy_with_logits(z, y)",
                "return F.mse_loss(al.sigmoid(z), y)",
                ("the value differs from binary_cross_entropy_with_logits", "Bernoulli", "confidently wrong"),
                "the bug not found: the squared error kept behind the sigmoid"),
    WrongAnswer("12_linear_classifiers.ipynb", 4, "return F.cross_entropy(scores, labels)",
                "return F.cross_entropy(al.softmax(scores, dim=1), labels)",
                ("the value differs from cross_entropy", "applied twice"),
                "the bug not found: a softmax before cross_entropy, which applies log_softmax itself"),
    WrongAnswer("05_optimizers.ipynb", 1, "return w - lr * (g + rho * v)", "return w - lr * v",
                ("Nesterov", "after step 1 differ", "nn.optim.SGD"),
                "plain momentum's step where Nesterov's look-ahead belongs"),
    WrongAnswer("05_optimizers.ipynb", 3, "m / (1 - b1 ** t), s / (1 - b2 ** t)", "m, s",
                ("Adam", "after step 1 differ", "1 - beta1 ** t"),
                "Adam without its bias correction"),
    WrongAnswer("05_optimizers.ipynb", 4, "learning_rate = 0.3", "learning_rate = 0.6",
                ("with 0.6", "not below", "ReLU"),
                "a learning rate that kills every ReLU"),
    WrongAnswer("08_recurrent_networks.ipynb", 1, "p = np.exp((z_s - z_s.max()) / tau)",
                "p = np.exp((z_s - z_s.max()) * tau)", ("top probability", "not 0.5", "divide"),
                "the scores multiplied by the temperature instead of divided"),
    WrongAnswer("08_recurrent_networks.ipynb", 2, "min(1.0, max_norm / (total + 1e-6))", "max_norm / (total + 1e-6)",
                ("max_norm = 100000", "differs", "never makes a gradient longer"),
                "clipping that also scales small gradients up"),
    WrongAnswer("08_recurrent_networks.ipynb", 3, "state = tuple(s.detach() for s in state)", "pass",
                ("earlier chunk's graph", ".detach()"),
                "the state carried without .detach(): backward into a released graph"),
    WrongAnswer("08_recurrent_networks.ipynb", 3, "state = tuple(s.detach() for s in state)", "state = None",
                ("not those of the whole stream", "carry the state"),
                "the state reset at every chunk: the graph is small, but the context is lost"),
    WrongAnswer("11_net2net.ipynb", 1, "V[:, g] / copies[g]", "V[:, g]",
                ("the function changed", "divide each copy's outgoing weights"),
                "the bug not found: the outgoing weights copied but not divided by the number of copies"),
    WrongAnswer("11_net2net.ipynb", 2, "np.bincount(g, weights=a)[g]", "np.bincount(g)[g]",
                ("the function changed", "sum to 1"),
                "random shares divided by the number of copies: they no longer add up to 1"),
    WrongAnswer("11_net2net.ipynb", 3, "(V / d, c)", "(V, c)",
                ("the function changed", "divide its column j by d_j"),
                "the new diagonal layer's scaling not undone in the layer after it"),
    WrongAnswer("07_convolutional_networks.ipynb", 1, "H_ = out_size(H_, k_, s, p, d)",
                "H_ = out_size(H_, k_, 1, p, d)",
                ("conv1 11x11/4", "pool1 3x3/2"),
                "the strides are left out of the output size"),
    WrongAnswer("07_convolutional_networks.ipynb", 2, "r = r + d * (k - 1) * j", "r = r + (k - 1) * j",
                ("the dilated stack", "conv 3x3 d2"),
                "the receptive field ignores the dilation"),
    WrongAnswer("07_convolutional_networks.ipynb", 3, "rows.append(patch.reshape(-1))",
                "rows.append(patch.transpose(1, 2, 0).reshape(-1))",
                ("differs from al.conv2d", "the test had one channel"),
                "im2col flattens each patch channels-last, not as the filters are flattened"),
    WrongAnswer("07_convolutional_networks.ipynb", 4, "+ (c_out if bias else 0)", "+ c_out",
                ("bias=False",),
                "the biases are counted even when bias=False"),
]
# What every wrong answer's message says besides: the numbers expected and got, and a hint.
HELPFUL = ("expected (autograd_lite):", "got (your answer):", "Hint: ")


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, f"no notebooks found in {ROOT / 'notebooks'}"


def _failing_cell(nb: nbformat.NotebookNode) -> int | None:
    """The index of the cell that raised (execution stops there, so it is the first with an error)."""
    for index, cell in enumerate(nb.cells):
        if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
            return index
    return None


def _mnist_available() -> bool:
    """Can a notebook's `MNIST(download=True)` work: are the files where it looks by default
    ($AUTOGRAD_LITE_DATA, else the user cache), or else does a mirror answer, to download them from?
    CI has no network: scripts/test.sh points AUTOGRAD_LITE_DATA at the files kept beside the clone."""
    from nn.data import mnist

    if any(all((folder / name).is_file() for name in mnist.MD5) for folder in mnist.folders(mnist.default_root())):
        return True
    for url in mnist.MIRRORS:
        try:
            socket.create_connection((urlsplit(url).hostname, 443), timeout=5).close()
            return True
        except OSError:
            pass
    return False


def _execute(nb: nbformat.NotebookNode, path: Path, monkeypatch: pytest.MonkeyPatch) -> float:
    """Run nb in a fresh kernel whose working directory is path's folder (as Jupyter's); the seconds it took.
    Raises nbclient's error at the first failing cell."""
    client = _client(nb, path, monkeypatch)
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def _client(nb: nbformat.NotebookNode, path: Path, monkeypatch: pytest.MonkeyPatch) -> NotebookClient:
    """An nbclient for nb, whose kernel runs in path's folder (as Jupyter's) with this checkout's packages."""
    if "MNIST(" in path.read_text(encoding="utf-8") and not _mnist_available():
        pytest.skip("the MNIST files are not available and no mirror answers to download them from: set "
                    "AUTOGRAD_LITE_DATA to the folder holding the original MNIST .gz files (scripts/test.sh does "
                    "this when ../shared/data/mnist exists)")
    # The kernel inherits this environment: import this checkout's packages even when not installed, and
    # use one BLAS thread (the arrays are tiny; extra threads only contend with other work on the machine).
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, os.environ.get(var, "1"))
    return NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                          resources={"metadata": {"path": str(path.parent)}})


def _run(path: Path, monkeypatch: pytest.MonkeyPatch) -> nbformat.NotebookNode:
    """The notebook at path, executed top to bottom within the budget (or the test fails, naming the cell)."""
    nb = nbformat.read(path, as_version=4)
    try:
        elapsed = _execute(nb, path, monkeypatch)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        index = _failing_cell(nb)
        where = f"cell {index} (counting from 0, markdown included)" if index is not None else "a cell"
        pytest.fail(f"{path.name}: {where} failed:\n{_ANSI.sub('', str(error))}", pytrace=False)
    assert elapsed < BUDGET, f"{path.name} took {elapsed:.0f} s to run; the budget is {BUDGET} s per notebook"
    return nb


def _tagged(cell: nbformat.NotebookNode, tag: str) -> bool:
    return tag in cell.get("metadata", {}).get("tags", [])


def _stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.get("output_type") == "stream")


def exercises(nb: nbformat.NotebookNode) -> dict[int, tuple[int, int]]:
    """Exercise number -> (index of its cell, index of its check cell), checking the convention on the way."""
    found: dict[int, tuple[int, int]] = {}
    for index, cell in enumerate(nb.cells):
        if not _tagged(cell, "exercise"):
            continue
        number = _EXERCISE.match(cell.source)
        assert cell.cell_type == "code" and number, \
            f"cell {index} is tagged `exercise` but is not a code cell starting with '# Exercise N'"
        check = next((i for i in range(index + 1, len(nb.cells)) if nb.cells[i].cell_type == "code"), None)
        assert check is not None and _tagged(nb.cells[check], "check"), \
            f"exercise {number[1]} (cell {index}) is not followed by a code cell tagged `check`"
        found[int(number[1])] = (index, check)
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = _run(path, monkeypatch)
    for number, (_, check) in exercises(nb).items():
        said = _stdout(nb.cells[check])
        assert "not answered yet" in said, \
            f"{path.name}: exercise {number}'s check should say 'not answered yet' in the student's notebook " \
            f"(is the answer in it? answers belong in solutions/{path.name}); it printed: {said!r}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_solution_runs_every_check_says_correct_and_wrong_answers_fail(path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # One kernel per solution: the solution runs top to bottom, then each of its WRONG_ANSWERS is tried in the
    # same kernel (its exercise cell run with the mistake put in, then the exercise's check cell, which must fail),
    # and the right answer is run again after it. A full run per wrong answer would cost minutes.
    nb = nbformat.read(path, as_version=4)
    wrongs = [w for w in WRONG_ANSWERS if w.notebook == path.name]
    found = exercises(nb)
    client = _client(nb, path, monkeypatch)
    with client.setup_kernel():
        start = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            try:
                client.execute_cell(cell, index)
            except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
                pytest.fail(f"solutions/{path.name}: cell {index} (counting from 0, markdown included) failed:\n"
                            f"{_ANSI.sub('', str(error))}", pytrace=False)
        elapsed = time.perf_counter() - start
        assert elapsed < BUDGET, f"solutions/{path.name} took {elapsed:.0f} s to run; the budget is {BUDGET} s"
        checks = [(i, cell) for i, cell in enumerate(nb.cells) if _tagged(cell, "check")]
        assert len(found) >= 3 and checks
        for index, cell in checks:
            said = _stdout(cell)
            assert "correct:" in said and "not answered yet" not in said, \
                f"solutions/{path.name}: the check cell {index} should print 'correct' and no 'not answered yet'; " \
                f"it printed: {said!r}"
        for wrong in wrongs:
            _try_wrong_answer(client, nb, found, wrong)


def _try_wrong_answer(client: NotebookClient, nb: nbformat.NotebookNode, found: dict[int, tuple[int, int]],
                      wrong: WrongAnswer) -> None:
    what = f"solutions/{wrong.notebook}, exercise {wrong.exercise} ({wrong.why})"
    assert wrong.exercise in found, f"solutions/{wrong.notebook} has no exercise {wrong.exercise}"
    cell_index, check_index = found[wrong.exercise]
    answer, check = nb.cells[cell_index], nb.cells[check_index]
    assert wrong.old in answer.source, f"{what}: the answer no longer contains {wrong.old!r}"
    mistaken = nbformat.from_dict({**answer, "source": answer.source.replace(wrong.old, wrong.new), "outputs": []})
    tried = nbformat.from_dict({**check, "outputs": []})
    try:
        client.execute_cell(mistaken, cell_index)
    except CellExecutionError as error:
        pytest.fail(f"{what}: the cell with the mistake raised before its check could:\n{_ANSI.sub('', str(error))}")
    try:
        client.execute_cell(tried, check_index)
    except CellExecutionError:
        pass
    else:
        pytest.fail(f"{what}: the check cell did not catch the wrong answer")
    error = next(out for out in tried.outputs if out.get("output_type") == "error")
    assert error["ename"] == "AssertionError", f"{what}: the check raised {error['ename']}: {error['evalue']}"
    missing = [s for s in HELPFUL + wrong.says if s not in error["evalue"]]
    assert not missing, f"{what}: the check's message lacks {missing}:\n{error['evalue']}"
    # The right answer again, so that the next wrong answer is tried in the solution's own state.
    client.execute_cell(nbformat.from_dict({**answer, "outputs": []}), cell_index)


def test_every_solution_has_a_wrong_answer() -> None:
    tried = {w.notebook for w in WRONG_ANSWERS}
    untried = [p.name for p in SOLUTIONS if p.name not in tried]
    assert not untried, f"add a WrongAnswer for {untried}: each check must be shown to fail on a wrong answer"
