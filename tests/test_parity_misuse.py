"""Differential tests against PyTorch: invalid and borderline calls must be refused (or accepted) alike.

Each test id is one case of `parity.misuse` (by family: dims, dtypes, scalars, unary-dtypes,
non-tensor, targets, losses, hand, random). When PyTorch raises, autograd_lite must raise an
exception too, whose message names the operation; when PyTorch accepts, autograd_lite must accept
and give the same result. When PyTorch refuses a backward through a value changed in place and
autograd_lite returns, its values and gradients must be PyTorch's for the functional equivalent (the
in-place ops applied to clones). Differences the README documents ("Where it differs from PyTorch")
pass when autograd_lite does what the README says. A failure prints both outcomes and a standalone
script running the case with both libraries.
`PARITY_SCALE=10` multiplies the seeded random cases by ten.

Run: `.venv/bin/python -m pytest -q tests/test_parity_misuse.py` (`PARITY_SCALE=10` in front for the
long run; `cd tests && ../.venv/bin/python -m parity.report --misuse` groups the failures by cause).
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")

from parity import misuse, programs  # noqa: E402

CASES = misuse.all_cases(programs.scale())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_misuse_matches_pytorch(case: misuse.Case) -> None:
    res = misuse.run_case(case)
    # "documented": a difference the README lists ("Where it differs from PyTorch"), recognised by
    # misuse._documented from what both libraries did: autograd_lite behaves as documented, which passes.
    if res.kind not in ("ok", "documented"):
        pytest.fail(misuse.message(case, res), pytrace=False)


def test_case_ids_are_unique_and_families_present() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert {"dims", "dtypes", "scalars", "unary-dtypes", "hand", "losses", "random", "non-tensor", "targets"} <= {
        c.family for c in CASES
    }
