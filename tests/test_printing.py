"""Tensors print as PyTorch's do: the same text for the same values (format, widths, wrapping, summaries)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al

RNG = np.random.default_rng(0)
CASES = {
    "decimals": np.array([1.232, -1.3387], np.float32),
    "matrix": RNG.standard_normal((4, 2)).astype(np.float32),
    "whole numbers": np.array([1.0, 2.0, -3.0], np.float32),
    "small and large: scientific": np.array([1e-5, 1.0], np.float32),
    "beyond 1e8": np.array([1e9, 1.0]),
    "nan and inf": np.array([0.0, np.nan, np.inf, -np.inf], np.float32),
    "signed zeros": np.array([-0.0, 0.0], np.float32),
    "0-d": np.array(2.5, np.float32),
    "0-d whole float64": np.array(3.0),
    "ints": np.arange(12).reshape(3, 4) - 5,
    "int32": np.arange(3, dtype=np.int32),
    "bools": np.array([True, False]),
    "wrapped rows": RNG.standard_normal((3, 40)).astype(np.float32),
    "wrapped float64 vector": RNG.standard_normal(100),
    "3-d float16": RNG.standard_normal((2, 3, 4)).astype(np.float16),
    "summarised vector": np.arange(2000).astype(np.float32),
    "summarised matrix": RNG.standard_normal((50, 40)).astype(np.float32),
    "summarised 3-d": RNG.standard_normal((20, 10, 8)),
    "wide range": RNG.random((5, 30)) * 1000,
    "empty": np.zeros((0, 3), np.float32),
    "empty ints": np.zeros(0, np.int64),
    "empty float64": np.zeros(0),
}


def _torch():
    return pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")


@pytest.fixture(autouse=True)
def torch_dtype_names(monkeypatch):
    # dtypes print as torch_compat prints them (`dtype=torch.float64`), so that lines wrap at the same places.
    monkeypatch.setattr(al.printing, "dtype_prefix", "torch.")


@pytest.mark.parametrize("name", sorted(CASES))
def test_repr_is_pytorchs(name):
    torch = _torch()
    values = CASES[name]
    assert repr(al.tensor(values)) == repr(torch.tensor(values))
    assert str(al.tensor(values)) == str(torch.tensor(values))


def test_suffixes_and_their_wrapping_are_pytorchs():
    torch = _torch()
    for values in (np.array([1.5, 2.0], np.float32), RNG.standard_normal((3, 7)), RNG.standard_normal(9)):
        for lib_a, lib_b in ((al, torch),):
            a, b = lib_a.tensor(values, requires_grad=True), lib_b.tensor(values, requires_grad=True)
            assert repr(a) == repr(b)
            assert repr(a * 2) == repr(b * 2)


@pytest.mark.parametrize("options", [dict(precision=2), dict(sci_mode=True), dict(sci_mode=False),
                                     dict(threshold=5, edgeitems=1), dict(linewidth=30), dict(profile="short"),
                                     dict(profile="full")])
def test_set_printoptions_as_pytorchs(options):
    torch = _torch()
    values = RNG.standard_normal((8, 9)) * np.logspace(-3, 3, 9)
    try:
        al.set_printoptions(**options)
        torch.set_printoptions(**options)
        assert repr(al.tensor(values)) == repr(torch.tensor(values))
    finally:
        al.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_set_printoptions_refuses_unknown_profiles():
    with pytest.raises(ValueError, match="profile must be one of default, short, full"):
        al.set_printoptions(profile="long")
