"""The gradient checker catches wrong rules and explains itself; anomaly mode finds the first NaN/Inf."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.engine import Primitive


def leaf(*shape: int, seed: int = 0) -> al.Tensor:
    return al.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


# A deliberately wrong primitive: forward sin, but the rule claims the derivative is sin too.
bad_sin = Primitive("bad_sin", np.sin, lambda g, out, x: g * np.sin(x))
# A subtly wrong one: right derivative of the function except a factor 1.001 (relative error 1e-3).
almost_exp = Primitive("almost_exp", np.exp, lambda g, out, x: g * out * 1.001)


def test_gradcheck_passes_a_correct_function() -> None:
    a, b = leaf(3, 2), leaf(2, seed=1)
    assert al.gradcheck(lambda x, y: (x @ y).tanh(), (a, b))


def test_gradcheck_catches_a_wrong_vjp_and_reports_where() -> None:
    x = leaf(3)
    with pytest.raises(al.GradcheckError) as info:
        al.gradcheck(lambda t: bad_sin(t), (x,))
    msg = str(info.value)
    assert "input 0" in msg and "analytic" in msg and "numerical" in msg and "relative error" in msg
    # the numbers in the report are the real ones
    k = 0
    assert f"{np.sin(x.array[k]):.6g}"[:6] in msg and f"{np.cos(x.array[k]):.6g}"[:6] in msg


def test_gradcheck_returns_false_when_asked_not_to_raise() -> None:
    assert al.gradcheck(lambda t: bad_sin(t), (leaf(2),), raise_exception=False) is False


def test_gradcheck_catches_small_relative_errors() -> None:
    with pytest.raises(al.GradcheckError, match="worst relative error 9.99e-04"):
        al.gradcheck(lambda t: almost_exp(t), (al.tensor([0.5, 1.5], requires_grad=True, dtype=np.float64),),
                     rtol=1e-6, atol=1e-9)


def test_gradcheck_report_quotes_the_test_it_applies() -> None:
    # almost_exp's derivative is 0.1% too big: |a - n| = 1e-3 |n| fails atol + rtol |n| for rtol=1e-6,
    # and the report says so with the numbers (allowed = 1e-9 + 1e-6 * e^x).
    x = al.tensor([0.5, 1.5], requires_grad=True, dtype=np.float64)
    with pytest.raises(al.GradcheckError) as info:
        al.gradcheck(lambda t: almost_exp(t), (x,), rtol=1e-6, atol=1e-9)
    msg = str(info.value)
    assert "2 of 4 entries fail |analytic - numerical| <= atol + rtol * |numerical| (atol=1e-09, rtol=1e-06)" in msg
    for v in (0.5, 1.5):
        assert f"|difference| {1e-3 * np.exp(v):.2e} > {1e-9 + 1e-6 * np.exp(v):.2e}" in msg


def test_gradcheck_defaults_accept_a_relative_error_of_1e4_as_pytorch() -> None:
    off = Primitive("off_exp", np.exp, lambda g, out, x: g * out * (1 + 1e-4))
    x = al.tensor([0.5, 1.5], requires_grad=True, dtype=np.float64)
    assert al.gradcheck(lambda t: off(t), (x,))
    assert not al.gradcheck(lambda t: off(t), (x,), rtol=1e-5, raise_exception=False)


def test_gradcheck_demands_float64() -> None:
    with pytest.raises(TypeError, match="float64"):
        al.gradcheck(lambda t: t * 2, (al.tensor([1.0], requires_grad=True),))


def test_gradcheck_passes_through_non_tensor_arguments() -> None:
    x = leaf(4)
    assert al.gradcheck(lambda t, dim: t.softmax(dim), (x.reshape(2, 2).detach().requires_grad_(), 1))


def test_gradgradcheck_catches_a_wrong_second_derivative() -> None:
    # The rule is right to first order but written with np.cos, so under create_graph it is a
    # constant: the second derivative comes out 0 instead of -sin. gradcheck passes, gradgradcheck not.
    first_order_only = Primitive("sin_np_rule", np.sin, lambda g, out, x: g * np.cos(np.asarray(x)))
    x = leaf(3)
    assert al.gradcheck(lambda t: first_order_only(t), (x,))
    with pytest.raises(al.GradcheckError):
        al.gradgradcheck(lambda t: first_order_only(t), (x,))
    assert al.gradgradcheck(lambda t: t.sin(), (x,))


def test_anomaly_names_the_forward_op_and_the_users_line() -> None:
    x = al.tensor([1.0, 0.0], requires_grad=True)
    with al.detect_anomaly(), pytest.raises(al.AnomalyError) as info:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = x.log()  # the line the report must show
            y.sum().backward()
    msg = str(info.value)
    assert "'log'" in msg and "Inf" in msg
    assert "test_gradcheck_and_anomaly.py" in msg and "y = x.log()" in msg


def test_anomaly_in_backward_names_the_op() -> None:
    # sqrt(0) is fine forward but its derivative 1/(2*sqrt(0)) is Inf.
    x = al.tensor([4.0, 0.0], requires_grad=True)
    with al.detect_anomaly():
        y = x.sqrt()
        with pytest.raises(al.AnomalyError) as info, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y.sum().backward()
    msg = str(info.value)
    assert "SqrtBackward" in msg and "y = x.sqrt()" in msg


def test_without_anomaly_mode_nan_propagates_silently() -> None:
    x = al.tensor([-1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = x.log()
    assert np.isnan(y.array).all()
    assert not al.is_anomaly_enabled()
