"""Differential tests against PyTorch: seeded random programs over the whole op catalogue.

Each test id is one program ("float32-00017"): 3-12 calls from `parity.catalogue` (every op the
README lists), values reused across calls, in float64 or float32. Values, shapes, dtypes and
requires_grad of every intermediate, first derivatives of a weighted sum and second derivatives are
compared with PyTorch's (float64 to ~1e-9, float32 to ~2e-4 relative). A failure prints what differs
and a short script reproducing it with both libraries, cut down to the one call that fails when it
fails alone. `PARITY_SCALE=10` runs ten times as many programs (the same ones first, then more).

Run: `.venv/bin/python -m pytest -q tests/test_parity_programs.py` (add `PARITY_SCALE=10` in front
for the long run; `.venv/bin/python -m parity.report` from `tests/` groups failures by cause).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")

from parity import catalogue, programs  # noqa: E402

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.parametrize("pid", programs.program_ids())
def test_program_matches_pytorch(pid: str) -> None:
    prog = programs.generate(pid)
    outcome = programs.check(prog)
    if outcome.failures:
        pytest.fail(programs.report(prog, outcome), pytrace=False)


def test_every_catalogue_op_is_generated() -> None:
    """Each catalogue entry can be drawn (it is the first op of program n for n = its index)."""
    missing = []
    for i, spec in enumerate(catalogue.CATALOGUE):
        prog = programs.generate(f"float64-{i:05d}", focus=spec)
        if not any(ln.op == spec.name for ln in prog.lines):
            missing.append(spec.name)
    assert not missing, f"catalogue entries never generated: {missing}"


# Words in the README's op tables that are not ops of their own (or are covered under another name).
_NOT_OPS = {
    "Tensor",
    "grad_fn",
    "MulBackward0",
    "SumBackward1",
    "AddmmBackward0",
    "generator",
    "np.random.Generator(...)",
    "dim",
    "keepdim",
    "axis",
    "keepdims",
    "ShapeError",
    "DTypeError",
    "RuntimeError",
    "math.erf",
    "'same'",
    "'valid'",
    "backward",
    "grad",
    "jacobian",
    "hessian",
    "hvp",
    "vjp",
    "register_hook",
    "retain_grad",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",  # a grad mode, as no_grad (tests/test_random_and_modes.py)
    "AccumulateGrad",  # what grad_fn.next_functions gives for a leaf (tests/test_autograd_function.py)
    "gradcheck",
    "gradgradcheck",
    "detect_anomaly()",
    "x[i] = v",
    "(gradient, retain_graph, create_graph, inputs)",
    "...",
    "None",
    "reduction",
    "weight",
    "ignore_index",
    "label_smoothing",
    "Module",
    "Parameter",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "dropout",
    "inplace",
    "float16",
    "retain_graph",
    "create_graph",
    "inputs",
    "v",
    "is_contiguous",  # README: a convolution's output is not contiguous (documented), so not compared
    "stride",  # a query of the memory layout, which differs for convolution outputs (documented)
    "float32",  # dtypes, options and exceptions named in the tables, not ops
    "float64",
    "requires_grad",
    "AllocationError",
}


def _readme_ops() -> set[str]:
    """The op names in the README's engine table (Arithmetic .. Convolution, Recurrent) and nn lists."""
    text = README.read_text()
    engine = text.split("## What is in the engine", 1)[-1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in re.findall(
        r"^\| (Arithmetic|Elementwise|Reductions|Shapes|Indexing|Convolution|Recurrent|Tensors|Autograd) \|(.*)$",
        engine,
        flags=re.M,
    ):
        for chunk in re.findall(r"`([^`]+)`", row[1]):
            for word in re.split(r"[\s/,]+", chunk):
                word = word.strip("()")
                if word and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*|\*\*|[+\-*/@]", word):
                    names.add(word)
    nn_line = re.search(r"all also in `nn.functional`, with `([^`]+)`", text)
    if nn_line:
        names.update(nn_line.group(1).split())
    return names - _NOT_OPS


def test_catalogue_covers_every_op_the_readme_lists() -> None:
    covered = catalogue.covered_names()
    missing = sorted(n for n in _readme_ops() if n not in covered)
    assert not missing, f"README ops without a catalogue entry: {missing}"
