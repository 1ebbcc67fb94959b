"""grad(), jacobian, hessian, Hessian-vector products and double backprop (create_graph=True)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al


def leaf(*shape: int, seed: int = 0) -> al.Tensor:
    return al.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_grad_returns_without_touching_dot_grad() -> None:
    x = leaf(3)
    (g,) = al.grad((x ** 3).sum(), x)
    np.testing.assert_allclose(g.array, 3 * x.array ** 2)
    assert x.grad is None


def test_grad_of_non_leaf_input() -> None:
    x = leaf(3)
    h = x * 2
    (gh,) = al.grad((h * h).sum(), h)
    np.testing.assert_allclose(gh.array, 2 * h.array)


def test_grad_allow_unused() -> None:
    x, y = leaf(2), leaf(2, seed=1)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        al.grad((x * 2).sum(), [x, y], retain_graph=True)
    gx, gy = al.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None and np.allclose(gx.array, 2)


def test_grad_requires_grad_outputs_for_non_scalar() -> None:
    x = leaf(3)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        al.grad(x * 2, x)
    (g,) = al.grad(x * 2, x, grad_outputs=np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(g.array, [2.0, 4.0, 6.0])


def test_second_derivative_of_cube() -> None:
    x = al.tensor(2.0, requires_grad=True, dtype=np.float64)
    (dx,) = al.grad(x ** 3, x, create_graph=True)
    assert dx.requires_grad
    (ddx,) = al.grad(dx, x)
    assert dx.item() == pytest.approx(12.0) and ddx.item() == pytest.approx(12.0)


def test_third_derivative_of_sin() -> None:
    x = al.tensor(0.7, requires_grad=True, dtype=np.float64)
    g1, = al.grad(x.sin(), x, create_graph=True)
    g2, = al.grad(g1, x, create_graph=True)
    g3, = al.grad(g2, x)
    assert g3.item() == pytest.approx(-np.cos(0.7))


def test_backward_create_graph_then_double_backprop() -> None:
    # Gradient penalty: d/dw ||d loss/dx||^2, the pattern of WGAN-GP and double backprop.
    x = leaf(4)
    w = leaf(4, seed=1)
    loss = (x * w).tanh().sum()
    (gx,) = al.grad(loss, x, create_graph=True)
    penalty = (gx * gx).sum()
    penalty.backward()
    t = np.tanh(x.array * w.array)
    s = 1 - t ** 2                     # d tanh
    # gx = w s ; penalty = sum w^2 s^2 ; d/dw = 2 w s^2 + w^2 * 2 s * ds/dw, ds/dw = -2 t s x
    expected = 2 * w.array * s ** 2 + w.array ** 2 * 2 * s * (-2 * t * s * x.array)
    np.testing.assert_allclose(w.grad.array, expected, rtol=1e-10)


def test_backward_with_create_graph_leaves_differentiable_grad() -> None:
    x = leaf(3)
    (x ** 2).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (x.grad.sum()).backward()          # d/dx sum(2x) = 2, accumulated onto the existing grad
    np.testing.assert_allclose(x.grad.array, 2 * x.array + 2)


def test_hessian_of_quadratic_form() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    A = al.tensor(a)
    x = leaf(4)
    H = al.hessian(lambda v: v @ A @ v, x)
    np.testing.assert_allclose(H.array, a + a.T, rtol=1e-12)


def test_hessian_matches_finite_difference_of_gradient() -> None:
    x = leaf(3, seed=4)

    def f(v: al.Tensor) -> al.Tensor:
        return (v.exp() * v.sin()).sum() + (v[0] * v[1] * v[2])

    H = al.hessian(f, x).array
    eps = 1e-6
    num = np.zeros((3, 3))
    for k in range(3):
        xp, xm = x.array.copy(), x.array.copy()
        xp[k] += eps
        xm[k] -= eps
        tp, tm = al.tensor(xp, requires_grad=True), al.tensor(xm, requires_grad=True)
        (gp,) = al.grad(f(tp), tp)
        (gm,) = al.grad(f(tm), tm)
        num[:, k] = (gp.array - gm.array) / (2 * eps)
    np.testing.assert_allclose(H, num, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(H, H.T, rtol=1e-12)


def test_jacobian_of_vector_function() -> None:
    x = leaf(3)
    J = al.jacobian(lambda v: v.softmax(0), x).array
    s = np.exp(x.array) / np.exp(x.array).sum()
    np.testing.assert_allclose(J, np.diag(s) - np.outer(s, s), rtol=1e-12)


def test_jacobian_of_several_inputs() -> None:
    a, b = leaf(2), leaf(2, seed=1)
    ja, jb = al.jacobian(lambda u, v: u * v, (a, b))
    np.testing.assert_allclose(ja.array, np.diag(b.array))
    np.testing.assert_allclose(jb.array, np.diag(a.array))


def test_hvp_equals_hessian_times_vector() -> None:
    x = leaf(5, seed=2)
    v = np.random.default_rng(3).standard_normal(5)

    def f(t: al.Tensor) -> al.Tensor:
        return (t.tanh() ** 2).sum() + (t.logsumexp(0))

    _, hv = al.hvp(f, x, v)
    H = al.hessian(f, x).array
    np.testing.assert_allclose(hv.array, H @ v, rtol=1e-10)


def test_newton_step_on_quadratic_converges_in_one_step() -> None:
    rng = np.random.default_rng(1)
    m = rng.standard_normal((3, 3))
    A = al.tensor(m @ m.T + 3 * np.eye(3))
    b = al.tensor(rng.standard_normal(3))

    def f(v: al.Tensor) -> al.Tensor:
        return 0.5 * (v @ A @ v) - (b * v).sum()

    x = al.zeros(3, dtype=np.float64, requires_grad=True)
    (g,) = al.grad(f(x), x)
    H = al.hessian(f, x)
    x_new = x.array - np.linalg.solve(H.array, g.array)
    np.testing.assert_allclose(x_new, np.linalg.solve(A.array, b.array), rtol=1e-10)


def test_hooks_run_on_create_graph_path() -> None:
    x = leaf(2)
    x.register_hook(lambda g: g * 2)
    (x ** 2).sum().backward(create_graph=True)
    np.testing.assert_allclose(x.grad.array, 4 * x.array)
