"""nn.init: gains, fans, the distributions each initializer draws from, seeding, dtype, in-place writes, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd_lite as al
from nn import init
from nn.parameter import Parameter


def empty(*shape: int, dtype=np.float32) -> al.Tensor:
    return al.zeros(*shape, dtype=dtype)


def assert_mean_std(values: np.ndarray, mean: float, std: float) -> None:
    """Sample mean and std within 5 standard errors (std's relative error is at most 1/sqrt(2n) here)."""
    n = values.size
    values = values.astype(np.float64)
    assert abs(values.mean() - mean) < 5 * std / math.sqrt(n), (values.mean(), mean)
    assert values.std() == pytest.approx(std, rel=5 / math.sqrt(2 * n))


def assert_uniform(values: np.ndarray, low: float, high: float) -> None:
    """In [low, high], reaching both ends (within a thousandth of the width), with U(low, high)'s moments."""
    width = high - low
    assert values.min() >= low and values.max() <= high
    assert values.min() < low + 1e-3 * width and values.max() > high - 1e-3 * width
    assert_mean_std(values, (low + high) / 2, width / math.sqrt(12))


def norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def norm_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


# ---------------------------------------------------------------- calculate_gain


@pytest.mark.parametrize("name, gain", [
    ("linear", 1.0), ("conv1d", 1.0), ("conv2d", 1.0), ("conv3d", 1.0), ("conv_transpose1d", 1.0),
    ("conv_transpose2d", 1.0), ("conv_transpose3d", 1.0), ("sigmoid", 1.0), ("tanh", 5 / 3),
    ("relu", math.sqrt(2)), ("leaky_relu", math.sqrt(2 / (1 + 0.01**2))), ("selu", 0.75),
])
def test_calculate_gain(name, gain):
    assert init.calculate_gain(name) == pytest.approx(gain, rel=1e-15)


@pytest.mark.parametrize("slope", [0, 0.2, 1, np.float32(0.5)])
def test_calculate_gain_leaky_relu_slope(slope):
    assert init.calculate_gain("leaky_relu", slope) == pytest.approx(math.sqrt(2 / (1 + float(slope) ** 2)))


def test_calculate_gain_ignores_param_for_other_nonlinearities():
    assert init.calculate_gain("relu", 0.3) == pytest.approx(math.sqrt(2))


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "0.1")


# ---------------------------------------------------------------- fans


@pytest.mark.parametrize("shape, fans", [
    ((3, 5), (5, 3)),                  # Linear weight: (out_features, in_features)
    ((6, 4, 3, 2), (4 * 6, 6 * 6)),    # Conv2d weight: (out_channels, in_channels, kh, kw)
    ((8, 4, 5), (20, 40)),             # Conv1d
    ((2, 3, 2, 2, 2), (24, 16)),       # Conv3d
    ((0, 7), (7, 0)),
])
def test_fans(shape, fans):
    assert init.calculate_fan_in_and_fan_out(empty(*shape)) == fans
    assert init._calculate_fan_in_and_fan_out(empty(*shape)) == fans   # PyTorch's name for the same helper


@pytest.mark.parametrize("shape", [(), (5,)])
def test_fans_need_two_dims(shape):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.calculate_fan_in_and_fan_out(empty(*shape))


# ---------------------------------------------------------------- constants


def test_constants():
    t = al.tensor(np.full((2, 3), 7.0, np.float32))
    assert np.array_equal(init.zeros_(t).array, np.zeros((2, 3)))
    assert np.array_equal(init.ones_(t).array, np.ones((2, 3)))
    assert np.array_equal(init.constant_(t, 0.25).array, np.full((2, 3), 0.25))


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2)])
def test_eye(shape):
    t = al.tensor(np.full(shape, 5.0, np.float32))
    assert np.array_equal(init.eye_(t).array, np.eye(*shape))


def test_constants_on_integer_tensors():
    t = al.tensor(np.full((2, 3), 9, np.int64))
    assert init.constant_(t, 4).array.tolist() == [[4, 4, 4], [4, 4, 4]]
    assert init.eye_(t).array.tolist() == [[1, 0, 0], [0, 1, 0]]
    assert t.dtype == np.int64


def test_eye_needs_two_dims():
    for shape in [(3,), (2, 2, 2)]:
        with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
            init.eye_(empty(*shape))


# ---------------------------------------------------------------- distributions

N_ROWS, N_COLS = 400, 1200   # a Linear weight with fan_in=1200, fan_out=400: 480,000 samples


def test_uniform():
    t = init.uniform_(empty(N_ROWS, N_COLS), a=-3.0, b=5.0, generator=np.random.default_rng(0))
    assert_uniform(t.array, -3.0, 5.0)


def test_uniform_defaults_to_unit_interval():
    assert_uniform(init.uniform_(empty(N_ROWS, N_COLS), generator=np.random.default_rng(1)).array, 0.0, 1.0)


def test_normal():
    t = init.normal_(empty(N_ROWS, N_COLS), mean=2.0, std=0.5, generator=np.random.default_rng(2))
    assert_mean_std(t.array, 2.0, 0.5)
    # A normal, not some other law with these moments: 95.45% of the mass within 2 std.
    assert np.mean(np.abs(t.array - 2.0) < 1.0) == pytest.approx(2 * norm_cdf(2) - 1, abs=2e-3)


def test_normal_defaults_to_standard():
    assert_mean_std(init.normal_(empty(N_ROWS, N_COLS), generator=np.random.default_rng(3)).array, 0.0, 1.0)


@pytest.mark.parametrize("mean, std, a, b", [
    (0.0, 1.0, -2.0, 2.0),     # the defaults
    (1.0, 2.0, -1.0, 4.0),     # 77% of the mass inside: redraw the misses
    (0.0, 1.0, 2.0, 3.0),      # 2% of the mass inside, far in the tail: the other sampler
    (0.5, 0.1, 0.0, 0.55),     # narrow window around the mean
])
def test_trunc_normal_matches_the_truncated_distribution(mean, std, a, b):
    t = init.trunc_normal_(empty(N_ROWS, N_COLS), mean=mean, std=std, a=a, b=b,
                           generator=np.random.default_rng(4))
    values = t.array.astype(np.float64)
    assert values.min() >= a and values.max() <= b
    alpha, beta = (a - mean) / std, (b - mean) / std
    mass = norm_cdf(beta) - norm_cdf(alpha)
    shift = (norm_pdf(alpha) - norm_pdf(beta)) / mass
    var = std**2 * (1 + (alpha * norm_pdf(alpha) - beta * norm_pdf(beta)) / mass - shift**2)
    assert_mean_std(values, mean + std * shift, math.sqrt(var))
    # Kolmogorov-Smirnov distance to the truncated CDF, on a grid (1% is ~10 standard errors at this size).
    grid = np.linspace(a, b, 41)
    ecdf = np.searchsorted(np.sort(values.ravel()), grid, side="right") / values.size
    cdf = np.array([(norm_cdf((x - mean) / std) - norm_cdf(alpha)) / mass for x in grid])
    assert np.max(np.abs(ecdf - cdf)) < 0.01


def test_trunc_normal_warns_when_the_mean_is_far_outside():
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0, generator=np.random.default_rng(0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.trunc_normal_(empty(10), generator=np.random.default_rng(0))


@pytest.mark.parametrize("shape", [(N_ROWS, N_COLS), (64, 32, 9, 9)])
@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier_uniform(shape, gain):
    fan_in, fan_out = init.calculate_fan_in_and_fan_out(empty(*shape))
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    t = init.xavier_uniform_(empty(*shape), gain=gain, generator=np.random.default_rng(5))
    assert_uniform(t.array, -bound, bound)


@pytest.mark.parametrize("shape", [(N_ROWS, N_COLS), (64, 32, 9, 9)])
def test_xavier_normal(shape):
    fan_in, fan_out = init.calculate_fan_in_and_fan_out(empty(*shape))
    t = init.xavier_normal_(empty(*shape), gain=2.0, generator=np.random.default_rng(6))
    assert_mean_std(t.array, 0.0, 2.0 * math.sqrt(2 / (fan_in + fan_out)))


# (kwargs, gain, which fan) for a (400, 1200) Linear weight and a (64, 32, 9, 9) conv weight
KAIMING_CASES = [
    ({}, math.sqrt(2), "fan_in"),     # a=0 with leaky_relu: slope 0, the ReLU gain
    ({"a": math.sqrt(5)}, math.sqrt(1 / 3), "fan_in"),   # nn.Linear's choice: bound = 1/sqrt(fan_in)
    ({"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2), "fan_out"),
    ({"mode": "FAN_OUT", "nonlinearity": "tanh"}, 5 / 3, "fan_out"),
    ({"a": 0.2, "nonlinearity": "leaky_relu"}, math.sqrt(2 / 1.04), "fan_in"),
    ({"nonlinearity": "linear"}, 1.0, "fan_in"),
]


@pytest.mark.parametrize("shape", [(N_ROWS, N_COLS), (64, 32, 9, 9)])
@pytest.mark.parametrize("kwargs, gain, mode", KAIMING_CASES)
def test_kaiming_uniform(shape, kwargs, gain, mode):
    fan_in, fan_out = init.calculate_fan_in_and_fan_out(empty(*shape))
    bound = gain * math.sqrt(3 / (fan_in if mode == "fan_in" else fan_out))
    t = init.kaiming_uniform_(empty(*shape), **kwargs, generator=np.random.default_rng(7))
    assert_uniform(t.array, -bound, bound)


@pytest.mark.parametrize("shape", [(N_ROWS, N_COLS), (64, 32, 9, 9)])
@pytest.mark.parametrize("kwargs, gain, mode", KAIMING_CASES)
def test_kaiming_normal(shape, kwargs, gain, mode):
    fan_in, fan_out = init.calculate_fan_in_and_fan_out(empty(*shape))
    t = init.kaiming_normal_(empty(*shape), **kwargs, generator=np.random.default_rng(8))
    assert_mean_std(t.array, 0.0, gain / math.sqrt(fan_in if mode == "fan_in" else fan_out))


def test_linear_default_init_bound():
    # What nn.Linear(in, out).reset_parameters does in PyTorch: every weight within 1/sqrt(in_features).
    w = init.kaiming_uniform_(empty(30, 50), a=math.sqrt(5), generator=np.random.default_rng(9))
    assert np.abs(w.array).max() <= 1 / math.sqrt(50) and np.abs(w.array).max() > 0.9 / math.sqrt(50)


# ---------------------------------------------------------------- orthogonal


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3), (6, 2, 3, 2), (20, 3, 2), (1, 7), (7, 1)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal(shape, gain):
    t = init.orthogonal_(empty(*shape, dtype=np.float64), gain=gain, generator=np.random.default_rng(10))
    assert t.shape == shape
    w = t.array.reshape(shape[0], -1)
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_float32():
    t = init.orthogonal_(empty(16, 48), generator=np.random.default_rng(11))
    assert t.dtype == np.float32
    np.testing.assert_allclose(t.array @ t.array.T, np.eye(16), atol=1e-5)


def test_orthogonal_is_haar_distributed():
    # Without the sign correction by diag(R), LAPACK's QR makes Q[0, 0] negative in every draw;
    # for a uniformly (Haar) distributed Q it is positive half of the time.
    gen = np.random.default_rng(12)
    first = [init.orthogonal_(empty(3, 3), generator=gen).array[0, 0] for _ in range(2000)]
    assert 0.45 < np.mean(np.array(first) > 0) < 0.55


def test_orthogonal_of_an_empty_tensor_is_a_no_op():
    t = empty(0, 4)
    assert init.orthogonal_(t) is t and t.shape == (0, 4)


# ---------------------------------------------------------------- seeding, dtype, in place

RANDOM_INITS = [
    ("uniform_", lambda t, **g: init.uniform_(t, -1.0, 2.0, **g)),
    ("normal_", lambda t, **g: init.normal_(t, 0.5, 3.0, **g)),
    ("trunc_normal_", lambda t, **g: init.trunc_normal_(t, **g)),
    ("trunc_normal_ tail", lambda t, **g: init.trunc_normal_(t, 0.0, 1.0, 2.0, 3.0, **g)),
    ("xavier_uniform_", lambda t, **g: init.xavier_uniform_(t, **g)),
    ("xavier_normal_", lambda t, **g: init.xavier_normal_(t, **g)),
    ("kaiming_uniform_", lambda t, **g: init.kaiming_uniform_(t, **g)),
    ("kaiming_normal_", lambda t, **g: init.kaiming_normal_(t, **g)),
    ("orthogonal_", lambda t, **g: init.orthogonal_(t, **g)),
]
ALL_INITS = RANDOM_INITS + [
    ("zeros_", lambda t, **g: init.zeros_(t)),
    ("ones_", lambda t, **g: init.ones_(t)),
    ("constant_", lambda t, **g: init.constant_(t, 0.5)),
    ("eye_", lambda t, **g: init.eye_(t)),
]
random_inits = pytest.mark.parametrize("fill", [f for _, f in RANDOM_INITS], ids=[n for n, _ in RANDOM_INITS])
all_inits = pytest.mark.parametrize("fill", [f for _, f in ALL_INITS], ids=[n for n, _ in ALL_INITS])


@random_inits
def test_manual_seed_repeats(fill):
    al.manual_seed(123)
    first = fill(empty(8, 6)).array.copy()
    al.manual_seed(123)
    again = fill(empty(8, 6)).array.copy()
    al.manual_seed(124)
    other = fill(empty(8, 6)).array.copy()
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@random_inits
def test_generator_repeats_and_leaves_the_default_alone(fill):
    al.manual_seed(5)
    expected = al.randn(4).array
    al.manual_seed(5)
    first = fill(empty(8, 6), generator=np.random.default_rng(99)).array.copy()
    assert np.array_equal(al.randn(4).array, expected)     # the default generator was not consumed
    again = fill(empty(8, 6), generator=np.random.default_rng(99)).array.copy()
    other = fill(empty(8, 6), generator=np.random.default_rng(98)).array.copy()
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@random_inits
def test_consecutive_calls_differ(fill):
    gen = np.random.default_rng(0)
    assert not np.array_equal(fill(empty(8, 6), generator=gen).array, fill(empty(8, 6), generator=gen).array)


@all_inits
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_fills_in_place_and_keeps_dtype(fill, dtype):
    t = al.tensor(np.full((8, 6), 7.0, dtype))
    array = t.array
    assert fill(t, generator=np.random.default_rng(0)) is t
    assert t.array is array
    assert t.dtype == dtype
    assert not np.any(array == 7.0)    # every element was written


@all_inits
def test_fills_a_parameter_that_requires_grad(fill):
    p = Parameter(np.full((8, 6), 7.0, np.float32))
    array = p.array
    assert fill(p, generator=np.random.default_rng(0)) is p
    assert p.array is array and not np.any(array == 7.0)
    assert p.requires_grad and p.is_leaf and p.grad is None
    assert al.is_grad_enabled()        # no_grad was left again


@all_inits
def test_graph_that_saved_the_old_values_refuses_backward(fill):
    # The write goes through the version counter, as in PyTorch, instead of silently changing saved values.
    w = al.tensor(np.ones((8, 6), np.float32), requires_grad=True)
    loss = (w * w).sum()
    fill(w, generator=np.random.default_rng(0))
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("fill", [init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_,
                                  init.kaiming_normal_])
def test_fan_based_inits_need_two_dims(fill):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        fill(empty(5))


def test_orthogonal_needs_two_dims():
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        init.orthogonal_(empty(5))


@pytest.mark.parametrize("fill", [init.kaiming_uniform_, init.kaiming_normal_])
def test_kaiming_errors(fill):
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        fill(empty(3, 4), mode="fan_avg")
    with pytest.raises(ValueError, match="Unsupported nonlinearity softsign"):
        fill(empty(3, 4), nonlinearity="softsign")


@pytest.mark.parametrize("fill", [init.kaiming_uniform_, init.kaiming_normal_])
def test_kaiming_on_an_empty_tensor_warns_and_does_nothing(fill):
    t = empty(0, 4)
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        assert fill(t, mode="not checked") is t


def test_bad_distribution_parameters():
    with pytest.raises(ValueError, match="from=1.0 > to=0.0"):
        init.uniform_(empty(3), 1.0, 0.0)
    with pytest.raises(ValueError, match="std >= 0.0"):
        init.normal_(empty(3), 0.0, -1.0)
    with pytest.raises(ValueError, match="std > 0.0"):
        init.trunc_normal_(empty(3), std=0.0)
    with pytest.raises(ValueError, match="a <= b"):
        init.trunc_normal_(empty(3), a=1.0, b=-1.0)
    with pytest.raises(ValueError, match="unbounded"):
        init.trunc_normal_(empty(3), a=-math.inf, b=-1.5)


@random_inits
def test_random_inits_refuse_integer_tensors(fill):
    t = al.tensor(np.zeros((8, 6), np.int64))
    with pytest.raises(TypeError, match="floating-point tensor"):
        fill(t)
    assert not t.array.any()


@random_inits
def test_generator_must_be_a_numpy_generator(fill):
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        fill(empty(8, 6), generator=np.random.RandomState(0))


@all_inits
def test_needs_a_tensor(fill):
    with pytest.raises(TypeError, match="expected an autograd_lite Tensor, got ndarray"):
        fill(np.zeros((8, 6), np.float32), generator=np.random.default_rng(0))
