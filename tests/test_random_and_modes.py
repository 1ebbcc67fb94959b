"""PyTorch's random-number names (Generator, normal, multinomial) and inference_mode, as programs use them.

The numbers are NumPy's (PCG64), not PyTorch's: what must match PyTorch is everything else: signatures,
shapes, dtypes, errors, repeatability with a seeded generator, and the distributions themselves.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
import nn


def _torch():
    return pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")


def test_a_seeded_generator_repeats_its_numbers_and_is_its_own():
    g = al.Generator().manual_seed(1234)
    first = [al.randn(4, generator=g), al.rand(3, generator=g), al.randint(0, 10, (5,), generator=g),
             al.normal(0.0, 1.0, (2,), generator=g), al.multinomial(al.ones(6), 3, generator=g)]
    g.manual_seed(1234)
    al.manual_seed(0)
    al.randn(10)                                   # the default generator's numbers do not disturb g's
    again = [al.randn(4, generator=g), al.rand(3, generator=g), al.randint(0, 10, (5,), generator=g),
             al.normal(0.0, 1.0, (2,), generator=g), al.multinomial(al.ones(6), 3, generator=g)]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.array, b.array)
    assert g.initial_seed() == 1234 and isinstance(g, np.random.Generator)
    state = g.get_state()
    x = al.randn(3, generator=g)
    np.testing.assert_array_equal(al.randn(3, generator=g.set_state(state)).array, x.array)


def test_a_generator_for_another_device_is_refused():
    with pytest.raises(RuntimeError, match="runs on the CPU only"):
        al.Generator(device="cuda")


@pytest.mark.parametrize("case", ["numbers", "tensor mean", "tensor std", "both, broadcast"])
def test_normal_takes_pytorchs_forms_with_its_shapes_and_dtypes(case):
    torch = _torch()
    make = {"numbers": lambda m: (m.normal(2.0, 3.0, (4, 5)),),
            "tensor mean": lambda m: (m.normal(m.zeros(4, 5, dtype=m.float64), 3.0),),
            "tensor std": lambda m: (m.normal(2.0, m.ones(4, 5)),),
            "both, broadcast": lambda m: (m.normal(m.zeros(4, 1), m.ones(1, 5)),)}[case]
    (ours,), (theirs,) = make(al), make(torch)
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


def test_normal_draws_from_the_distribution_asked_for():
    g = al.Generator().manual_seed(7)
    x = al.normal(2.0, 3.0, (200_000,), generator=g, dtype=al.float64).array
    assert abs(x.mean() - 2.0) < 0.05 and abs(x.std() - 3.0) < 0.05
    per_element = al.normal(al.tensor([0.0, 100.0], dtype=al.float64).expand(50_000, 2),
                            al.tensor([1.0, 0.01], dtype=al.float64), generator=g).array
    np.testing.assert_allclose(per_element.mean(axis=0), [0.0, 100.0], atol=0.02)
    np.testing.assert_allclose(per_element.std(axis=0), [1.0, 0.01], rtol=0.02)


def test_normal_refuses_what_pytorch_refuses():
    with pytest.raises(RuntimeError, match="normal: expected all elements of std >= 0.0"):
        al.normal(al.zeros(3), -1.0)
    with pytest.raises(TypeError, match="give the size too"):
        al.normal(0.0, 1.0)


def test_multinomial_samples_by_weight_with_and_without_replacement():
    g = al.Generator().manual_seed(3)
    weights = al.tensor([1.0, 0.0, 3.0, 6.0])
    draws = al.multinomial(weights, 100_000, replacement=True, generator=g)
    assert draws.dtype == np.int64 and draws.shape == (100_000,)
    np.testing.assert_allclose(np.bincount(draws.array, minlength=4) / 100_000, [0.1, 0.0, 0.3, 0.6], atol=0.01)
    rows = al.multinomial(al.tensor([[1.0, 1.0, 0.0, 1.0], [0.0, 5.0, 1.0, 1.0]]), 3, generator=g)
    assert rows.shape == (2, 3)
    for row, zero in zip(rows.array, (2, 0)):
        assert len(set(row)) == 3 and zero not in row       # without replacement: distinct, never weight 0
    # More samples than categories of some weight: those first, then (as PyTorch's) categories of weight 0.
    torch = _torch()
    for module in (al, torch):
        row = module.multinomial(module.tensor([1.0, 0.0, 2.0, 0.0]), 3).tolist()
        assert sorted(row[:2]) == [0, 2] and row[2] in (1, 3)


@pytest.mark.parametrize(("weights", "n", "replacement", "message"), [
    ([0.5, -0.1], 1, True, "element < 0"),
    ([0.0, 0.0], 1, True, "sum of probabilities <= 0"),
    ([1.0, 1.0], 3, False, "cannot sample n_sample > prob_dist.size"),
    ([1.0, 1.0], 0, True, "cannot sample n_sample <= 0"),
])
def test_multinomial_refuses_what_pytorch_refuses(weights, n, replacement, message):
    torch = _torch()
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor(weights), n, replacement=replacement)
    with pytest.raises(RuntimeError, match=message):
        al.multinomial(al.tensor(weights), n, replacement=replacement)


def test_inference_mode_records_nothing_and_inference_mode_false_changes_nothing():
    torch = _torch()
    x, xt = al.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    with al.inference_mode(), torch.inference_mode():
        assert not (x * 2).requires_grad and not (xt * 2).requires_grad
    with al.inference_mode(False), torch.inference_mode(False):
        assert (x * 2).requires_grad and (xt * 2).requires_grad

    @al.inference_mode
    def predict(v):
        return v * 2

    @al.inference_mode()
    def predict_too(v):
        return v * 2

    assert not predict(x).requires_grad and not predict_too(x).requires_grad and (x * 2).requires_grad


def test_flatten_parameters_is_accepted_and_changes_nothing():
    lstm = nn.LSTM(3, 4)
    before = {k: v.array.copy() for k, v in lstm.state_dict().items()}
    lstm.flatten_parameters()
    assert all(np.array_equal(before[k], v.array) for k, v in lstm.state_dict().items())


# ---------------------------------------------------------------- random methods of Tensor


@pytest.mark.parametrize("fill, check", [
    (lambda t, g: t.normal_(2.0, 0.5, generator=g), lambda a: abs(a.mean() - 2.0) < 0.01 and abs(a.std() - 0.5) < 0.01),
    (lambda t, g: t.uniform_(-1.0, 3.0, generator=g),
     lambda a: a.min() >= -1 and a.max() < 3 and abs(a.mean() - 1) < 0.02),
    (lambda t, g: t.exponential_(4.0, generator=g), lambda a: a.min() >= 0 and abs(a.mean() - 0.25) < 0.005),
    (lambda t, g: t.bernoulli_(0.3, generator=g), lambda a: set(np.unique(a)) <= {0, 1} and abs(a.mean() - 0.3) < 0.01),
])
def test_random_fills_keep_the_tensor_and_draw_the_distribution(fill, check):
    t = al.zeros(100_000, dtype=al.float64)
    array = t.array
    g = al.Generator().manual_seed(7)
    assert fill(t, g) is t and t.array is array and t.dtype == np.float64 and t._version == 1
    assert check(t.array)
    again = al.zeros(100_000, dtype=al.float64)
    fill(again, g.manual_seed(7))
    np.testing.assert_array_equal(again.array, t.array)


def test_random_methods_take_pytorchs_arguments_and_refuse_what_it_refuses():
    torch = _torch()
    for lib in (al, torch):
        x = lib.zeros(3, 4)
        assert x.normal_().shape == x.uniform_().shape == x.exponential_().shape == x.bernoulli_().shape
        probs = lib.tensor([[0.0, 1.0], [1.0, 0.0]])
        np.testing.assert_array_equal(np.asarray(probs.bernoulli()), [[0, 1], [1, 0]])
        assert probs.bernoulli().dtype == probs.dtype
        draws = lib.tensor([0.0, 0.0, 5.0]).multinomial(3, replacement=True)
        np.testing.assert_array_equal(np.asarray(draws), [2] * 3)
        for method, args in (("normal_", (0, -1.0)), ("uniform_", (2.0, 1.0)), ("bernoulli_", (1.5,)),
                             ("exponential_", (-1.0,))):
            with pytest.raises(RuntimeError):
                getattr(x, method)(*args)
        w = lib.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            w.normal_()
        with lib.no_grad():
            w.normal_()
        assert w.requires_grad and w.is_leaf


def test_the_default_generator_and_torch_random_names():
    assert al.manual_seed(5) is al.default_generator() and al.initial_seed() == 5
    first = al.zeros(4).normal_()
    al.manual_seed(5)
    np.testing.assert_array_equal(al.zeros(4).normal_().array, first.array)
    fresh = al.seed()
    assert al.initial_seed() == fresh and al.random.initial_seed() == fresh
    assert al.random.manual_seed is al.manual_seed and al.random.Generator is al.Generator
    with pytest.raises(TypeError, match="normal_: generator must be an al.Generator"):
        al.zeros(2).normal_(generator=42)
