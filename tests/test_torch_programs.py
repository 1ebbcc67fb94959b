"""PyTorch programs, run unchanged with PyTorch and through autograd_lite.torch_compat, give the same losses.

Each program in tests/torch_programs is a standalone PyTorch script written here in the style of a tutorial
(PyTorch's quickstart and "Learning PyTorch with Examples", d2l.ai, the PyTorch examples, Karpathy's makemore
and GPT lectures, micrograd's tests). The tests run each twice, with sizes and data paths given as arguments:
with the real PyTorch, recording every random draw, and through torch_compat (`python -m
autograd_lite.torch_compat` does the same), replaying those draws, so that both start from the same weights and
see the same batches and dropout masks (see torch_programs/harness.py). Then, per program:

- both runs finish, and autograd_lite draws random numbers exactly as PyTorch did (same count, kinds, shapes);
- the losses (every one-element tensor `.backward()` was called on) agree: the first steps to float32 rounding
  (float64 programs much tighter), the later ones within a looser tolerance where a program's training
  amplifies rounding differences (each such case says why);
- what the program printed is the same, numbers to the same tolerances (timings and the bitwise-exactness
  reports of makemore's gradient check aside, and object addresses).

The runs happen once per session, two at a time, in subprocesses (PyTorch and torch_compat cannot share one).
MNIST comes from $AUTOGRAD_LITE_DATA, else ../shared/data/mnist; without it the MNIST programs are skipped.
The texts come from ../shared/data/text (names.txt, wikitext-2-small, cut to a few hundred lines to keep the
runs short) when it is there, else from a made-up text.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS_DIR = Path(__file__).resolve().parent / "torch_programs"
HARNESS = PROGRAMS_DIR / "harness.py"
SHARED = ROOT.parent / "shared" / "data"
MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
               "t10k-labels-idx1-ubyte.gz")

if importlib.util.find_spec("torch") is None:
    pytest.skip("PyTorch (the test-only oracle) is not installed", allow_module_level=True)


@dataclass
class Program:
    script: str
    args: list[str]
    needs: str | None = None          # "mnist": skipped without the MNIST files
    first: int = 20                   # how many leading losses must agree to `rtol`
    rtol: float = 1e-5                # float32 rounding; float64 programs pass a tighter one
    later_rtol: float | None = None   # the rest of the losses (None: the same as rtol)
    why_later: str = ""               # why the later steps are compared more loosely
    print_rtol: float | None = None   # printed numbers (None: the loosest of rtol and later_rtol)
    print_atol: float = 0.0           # printed numbers that converge to 0
    ignore: list[str] = field(default_factory=list)   # regexes blanked in both outputs before comparing


PROGRAMS: dict[str, Program] = {
    "quickstart": Program(
        "quickstart.py", ["--data", "{mnist}", "--limit", "640", "--epochs", "2", "--lr", "0.05",
                          "--log-interval", "2"], needs="mnist"),
    "linreg_concise": Program(
        "linreg_concise.py", ["--num-examples", "1000", "--epochs", "3"], later_rtol=2e-3,
        why_later="after ~90 steps the minibatch loss is at the noise floor (~1e-4), the small difference of "
                  "large terms, where float32 rounding of the parameters shows in the 4th digit"),
    "linreg_scratch": Program(
        "linreg_scratch.py", ["--num-examples", "1000", "--epochs", "3"], later_rtol=2e-3,
        why_later="as linreg_concise: the later losses are ~1e-3..1e-4, at the noise floor"),
    "polynomial": Program("polynomial.py", ["--steps", "300", "--points", "2000"], first=10**6, print_atol=1e-6),
    # The tutorial's walk down its graph meets two documented differences of graph structure (README, "Where it
    # differs"): binary_cross_entropy_with_logits is composed of primitives here (a MeanBackward0 over them,
    # one node in PyTorch), and `x @ w` of a vector is one node (PyTorch: unsqueeze, mm, squeeze). The lines
    # that print those nodes are not compared; the rest of the walk, and every gradient, is.
    "autograd_tour": Program(
        "autograd_tour.py", [], first=10**6, rtol=1e-6,
        ignore=[r"Gradient function for loss = .*", r"Next functions of (loss|z|z's first input): .*",
                r"The graph is made of the same objects: .*"]),
    "sine_lstm": Program(
        "sine_lstm.py", ["--steps", "2", "--length", "60", "--waves", "12", "--hidden", "24", "--future", "20"],
        first=10**6, rtol=1e-9),
    "word_lm": Program(
        "word_lm.py", ["--data", "{wikitext}", "--emsize", "32", "--nhid", "32", "--nlayers", "1", "--lr", "2",
                       "--epochs", "3", "--bptt", "20", "--batch_size", "10", "--log-interval", "5"],
        ignore=[r"ms/batch\s+[\d.]+", r"time:\s+[\d.]+s"]),
    # Two LSTM layers; no dropout, since PyTorch's dropout between LSTM layers is drawn in C++ (not recorded).
    "word_lm_2layers": Program(
        "word_lm.py", ["--data", "{wikitext}", "--emsize", "32", "--nhid", "32", "--nlayers", "2", "--lr", "2",
                       "--dropout", "0.0", "--epochs", "1", "--bptt", "20", "--batch_size", "10",
                       "--log-interval", "5"],
        ignore=[r"ms/batch\s+[\d.]+", r"time:\s+[\d.]+s"]),
    "makemore_mlp": Program(
        "makemore_mlp.py", ["--data", "{names}", "--steps", "300", "--samples", "10"], first=10, later_rtol=2e-2,
        why_later="the first makemore MLP starts from unscaled randn weights (loss ~25, tanh saturated), where "
                  "lr 0.1 steps double rounding differences every few steps (by step 11 they reach 1.3e-5 on the "
                  "made-up text used without ../shared; a float64 run agrees with PyTorch to 1e-11 throughout)"),
    "char_gpt": Program(
        "char_gpt.py", ["--data", "{names}", "--attention", "heads", "--dropout", "0.2", "--batch-size", "8",
                        "--block-size", "16", "--max-iters", "30", "--eval-interval", "10", "--eval-iters", "4",
                        "--n-embd", "32", "--n-head", "4", "--n-layer", "2", "--max-new-tokens", "40"],
        first=10**6),
    # PyTorch's scaled_dot_product_attention draws its dropout in C++, unseen by the recorder: no dropout here.
    "char_gpt_sdpa": Program(
        "char_gpt.py", ["--data", "{names}", "--attention", "sdpa", "--dropout", "0.0", "--batch-size", "8",
                        "--block-size", "16", "--max-iters", "30", "--eval-interval", "10", "--eval-iters", "4",
                        "--n-embd", "32", "--n-head", "4", "--n-layer", "2", "--max-new-tokens", "40"],
        first=10**6),
    "char_gpt_encoder": Program(
        "char_gpt.py", ["--data", "{names}", "--attention", "encoder", "--dropout", "0.0", "--batch-size", "8",
                        "--block-size", "16", "--max-iters", "30", "--eval-interval", "10", "--eval-iters", "4",
                        "--n-embd", "32", "--n-head", "4", "--n-layer", "2", "--max-new-tokens", "40"],
        first=10**6),
    "makemore_batchnorm": Program(
        "makemore_batchnorm.py", ["--data", "{names}", "--max-steps", "200", "--n-hidden", "64", "--samples", "5"],
        first=10**6, ignore=[r"exact: \w+\s*", r"maxdiff: \S+"]),
    "micrograd_check": Program("micrograd_check.py", [], first=10**6, rtol=1e-12),
    "mnist_cnn": Program(
        "mnist_cnn.py", ["--data", "{mnist}", "--epochs", "2", "--limit", "192", "--test-limit", "200",
                         "--log-interval", "1", "--save-model"], needs="mnist", first=10**6),
}


# ---------------------------------------------------------------- data


def mnist_folder() -> Path | None:
    """Where the original MNIST files are: $AUTOGRAD_LITE_DATA (as nn.data.MNIST's default), else
    ../shared/data/mnist (where scripts/test.sh points it); None if neither holds them."""
    for folder in (os.environ.get("AUTOGRAD_LITE_DATA"), SHARED / "mnist"):
        if folder and all((Path(folder) / name).is_file() for name in MNIST_FILES):
            return Path(folder)
    return None


def names_file(tmp: Path) -> Path:
    """The first 3,000 names of names.txt, or 3,000 made-up names."""
    source = SHARED / "text" / "names.txt"
    if source.is_file():
        lines = source.read_text(encoding="utf-8").splitlines()[:3000]
    else:
        rng = np.random.default_rng(0)
        syllables = ["ka", "lo", "mi", "ra", "ne", "tu", "sa", "an", "el", "ori", "ja", "den", "lyn", "ia"]
        lines = ["".join(rng.choice(syllables, rng.integers(1, 4))) for _ in range(3000)]
    path = tmp / "names.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wikitext_folder(tmp: Path) -> Path:
    """wikitext-2-small cut to 120/30/30 lines; or a folder that does not exist, so that the program makes up
    its own text."""
    source = SHARED / "text" / "wikitext-2-small"
    folder = tmp / "wikitext"
    if not source.is_dir():
        return folder
    folder.mkdir()
    for name, lines in (("train.txt", 120), ("valid.txt", 30), ("test.txt", 30)):
        text = (source / name).read_text(encoding="utf-8").splitlines(keepends=True)[:lines]
        (folder / name).write_text("".join(text), encoding="utf-8")
    return folder


# ---------------------------------------------------------------- running


@dataclass
class Outcome:
    torch: dict[str, Any]
    ours: dict[str, Any]
    seconds: float


def run_pair(name: str, program: Program, paths: dict[str, str], tmp: Path) -> Outcome:
    """Run the program with PyTorch (recording), then through torch_compat (replaying)."""
    work = tmp / name
    work.mkdir()
    args = [a.format(**paths) for a in program.args]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    start = time.perf_counter()
    reports = {}
    for mode in ("record", "replay"):
        out = work / f"{mode}.json"
        proc = subprocess.run([sys.executable, str(HARNESS), mode, str(out), str(work / "draws"),
                               str(PROGRAMS_DIR / program.script), *args],
                              cwd=work, env=env, capture_output=True, text=True, timeout=300)
        if not out.is_file():
            raise RuntimeError(f"{name}: the harness wrote no report in {mode} mode (exit {proc.returncode}):\n"
                               f"{proc.stderr[-3000:]}")
        reports[mode] = json.loads(out.read_text())
    return Outcome(reports["record"], reports["replay"], time.perf_counter() - start)


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future]]:
    """Every selected program's two runs, started now, two at a time."""
    wanted = {item.callspec.params["name"] for item in request.session.items
              if item.module is request.module and hasattr(item, "callspec") and "name" in item.callspec.params}
    tmp = tmp_path_factory.mktemp("torch_programs")
    mnist = mnist_folder()
    paths = {"mnist": str(mnist), "names": str(names_file(tmp)), "wikitext": str(wikitext_folder(tmp))}
    pool = ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2)))
    futures = {}
    for name in sorted(wanted, key=lambda n: PROGRAMS[n].needs is None):    # the long MNIST runs first
        program = PROGRAMS[name]
        if program.needs == "mnist" and mnist is None:
            continue
        futures[name] = pool.submit(run_pair, name, program, paths, tmp)
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


def outcome(outcomes: dict[str, Future], name: str) -> Outcome:
    if name not in outcomes:
        pytest.skip("the MNIST files are absent: set AUTOGRAD_LITE_DATA to the folder holding the original MNIST "
                    ".gz files (scripts/test.sh does this when ../shared/data/mnist exists)")
    return outcomes[name].result()


# ---------------------------------------------------------------- comparing


def relative_difference(a: float, b: float) -> float:
    if a == b:
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / max(abs(a), abs(b))


NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|\b(?:nan|inf)\b")
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")
DTYPE = re.compile(r"\btorch\.(bool|uint8|int8|int16|int32|int64|float16|float32|float64)\b")


def normalized(text: str, ignore: list[str]) -> str:
    """Object addresses are dropped (`<AddBackward0 object at 0x7f..>` becomes `<AddBackward0 object>`: the
    programs print `a is b` where identity matters), dtypes are named without "torch." (ours are NumPy's, a
    documented difference: `print(x.dtype)` gives `int64`), the ignored patterns are blanked, runs of spaces
    become one."""
    text = DTYPE.sub(r"\1", ADDRESS.sub(">", text))
    for pattern in ignore:
        text = re.sub(pattern, "<ignored>", text)
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def printed_differences(theirs: str, ours: str, rtol: float, atol: float) -> list[str]:
    """Line by line: the text between numbers must be equal, and the numbers equal within rtol/atol and one
    unit of their last printed digit."""
    problems = []
    a_lines, b_lines = theirs.splitlines(), ours.splitlines()
    if len(a_lines) != len(b_lines):
        problems.append(f"PyTorch printed {len(a_lines)} lines, torch_compat {len(b_lines)}")
    for i, (a, b) in enumerate(zip(a_lines, b_lines), 1):
        a_text, b_text = NUMBER.split(a), NUMBER.split(b)
        a_nums, b_nums = NUMBER.findall(a), NUMBER.findall(b)
        same = a_text == b_text and len(a_nums) == len(b_nums)
        if same:
            for x, y in zip(a_nums, b_nums):
                fx, fy = float(x), float(y)
                mantissa = x.lower().split("e")[0]
                digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
                exponent = int(x.lower().split("e")[1]) if "e" in x.lower() else 0
                last_digit = 10.0 ** (exponent - digits) if (digits or exponent) else 0.0
                if not (fx == fy or abs(fx - fy) <= max(rtol * max(abs(fx), abs(fy)), atol) + 1.01 * last_digit):
                    same = False
        if not same:
            problems.append(f"line {i}:\n  PyTorch:      {a}\n  torch_compat: {b}")
    return problems


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_runs_and_draws_as_pytorch(outcomes: dict[str, Future], name: str) -> None:
    result = outcome(outcomes, name)
    assert result.torch["error"] is None, f"the program fails with PyTorch itself:\n{result.torch['error']}"
    assert result.ours["error"] is None, f"the program fails through torch_compat:\n{result.ours['error']}"
    assert result.ours["draws_replayed"] == result.ours["draws_recorded"], (
        f"autograd_lite made {result.ours['draws_replayed']} random draws, PyTorch "
        f"{result.ours['draws_recorded']}")


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_losses_match_pytorch(outcomes: dict[str, Future], name: str) -> None:
    program = PROGRAMS[name]
    result = outcome(outcomes, name)
    theirs, ours = result.torch["losses"], result.ours["losses"]
    later = program.rtol if program.later_rtol is None else program.later_rtol
    problems = []
    worst_first = worst_later = 0.0
    for step, ((a, a_dtype), (b, b_dtype)) in enumerate(zip(theirs, ours)):
        if a_dtype != b_dtype:
            problems.append(f"step {step}: the loss is {b_dtype} here, {a_dtype} in PyTorch")
        diff = relative_difference(a, b)
        tol = program.rtol if step < program.first else later
        if step < program.first:
            worst_first = max(worst_first, diff)
        else:
            worst_later = max(worst_later, diff)
        if diff > tol:
            problems.append(f"step {step}: loss {b!r}, PyTorch's {a!r} (relative difference {diff:.2e} > {tol:g})")
    if len(theirs) != len(ours):
        problems.append(f"PyTorch computed {len(theirs)} losses, torch_compat {len(ours)}"
                        + (f"; torch_compat failed:\n{result.ours['error']}" if result.ours["error"] else ""))
    first = min(program.first, len(theirs))
    print(f"\n{name}: {len(theirs)} losses; the first {first} within {worst_first:.2e} (rtol {program.rtol:g})"
          + (f", the other {len(theirs) - first} within {worst_later:.2e} (rtol {later:g})" if len(theirs) > first
             else "") + f"; {result.seconds:.1f} s for both runs")
    assert not problems, "\n".join(problems[:20]) + (f"\n... {len(problems) - 20} more" if len(problems) > 20 else "")


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_printed_output_matches_pytorch(outcomes: dict[str, Future], name: str) -> None:
    program = PROGRAMS[name]
    result = outcome(outcomes, name)
    rtol = program.print_rtol or max(program.rtol, program.later_rtol or 0.0)
    problems = printed_differences(normalized(result.torch["stdout"], program.ignore),
                                   normalized(result.ours["stdout"], program.ignore), rtol, program.print_atol)
    assert not problems, "\n".join(problems[:15]) + (f"\n... {len(problems) - 15} more" if len(problems) > 15 else "")
