"""al.autograd.Function: your own op with its own backward, as PyTorch's torch.autograd.Function.

The "learning PyTorch with examples" lesson defines a Legendre polynomial as a Function and fits it; the same
code must run here, give PyTorch's numbers, be gradchecked, and show up as one node in the graph.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al


def _torch():
    return pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")


def legendre_p3(module):
    """The tutorial's Function, written against `module` (autograd_lite or torch)."""

    class LegendrePolynomial3(module.autograd.Function):
        calls = 0

        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            LegendrePolynomial3.calls += 1
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    return LegendrePolynomial3


def test_a_function_gives_pytorchs_values_and_gradients():
    torch = _torch()
    x = np.linspace(-1.0, 1.0, 7)
    ours, theirs = al.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = legendre_p3(al).apply(ours), legendre_p3(torch).apply(theirs)
    np.testing.assert_allclose(y.array, yt.detach().numpy(), rtol=1e-15)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(ours.grad.array, theirs.grad.numpy(), rtol=1e-14)
    assert y.grad_fn.name() == "LegendrePolynomial3Backward" and type(yt.grad_fn).__name__.startswith(
        "LegendrePolynomial3Backward")


def test_a_function_is_gradchecked_and_its_backward_differentiated_again():
    p3 = legendre_p3(al)
    x = al.tensor(np.linspace(-0.9, 0.9, 5), requires_grad=True)
    assert al.gradcheck(p3.apply, (x,)) and al.gradgradcheck(p3.apply, (x,))


def test_backward_runs_once_per_pass_whatever_the_number_of_inputs():
    class Mul(al.autograd.Function):
        calls = 0

        @staticmethod
        def forward(ctx, a, b, scale):
            ctx.save_for_backward(a, b)
            ctx.scale = scale
            assert ctx.needs_input_grad == (True, True, False)
            return a * b * scale

        @staticmethod
        def backward(ctx, g):
            Mul.calls += 1
            a, b = ctx.saved_tensors
            return g * b * ctx.scale, g * a * ctx.scale, None

    a, b = al.tensor([1.0, 2.0], requires_grad=True), al.tensor([3.0, 4.0], requires_grad=True)
    Mul.apply(a, b, 2.0).sum().backward()
    assert Mul.calls == 1
    np.testing.assert_array_equal(a.grad.array, [6.0, 8.0])
    np.testing.assert_array_equal(b.grad.array, [2.0, 4.0])


def test_a_function_fits_the_tutorials_polynomial():
    # The lesson's loop: y = a + b * P3(c + d * x), fitted to sin(x) by gradient descent.
    p3 = legendre_p3(al)
    x = al.linspace(-np.pi, np.pi, 2000, dtype=al.float64)
    y = x.sin()
    a, b, c, d = (al.full((), v, dtype=al.float64, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3))
    losses = []
    for _ in range(500):
        loss = ((a + b * p3.apply(c + d * x) - y) ** 2).sum()
        losses.append(loss.item())
        loss.backward()
        with al.no_grad():
            for p in (a, b, c, d):
                p -= 5e-6 * p.grad
                p.grad = None
    assert losses[-1] < 0.2 * losses[0]


def test_a_function_is_drawn_as_one_node():
    from autograd_lite import viz
    x = al.tensor([0.5], requires_grad=True)
    text = viz.summary(legendre_p3(al).apply(x).sum())
    assert "LegendrePolynomial3(%0" in text


def test_mistakes_in_a_function_are_clear_errors():
    class TwoGrads(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match="incorrect number of gradients \\(expected 1, got 2\\)"):
        TwoGrads.apply(al.ones(2, requires_grad=True)).sum().backward()

    class Pair(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x, x

    with pytest.raises(TypeError, match="Pair.forward: expected it to return one Tensor"):
        Pair.apply(al.ones(2, requires_grad=True))
    with pytest.raises(TypeError, match="save_for_backward: expected Tensors"):
        al.autograd.FunctionCtx(Pair, (True,)).save_for_backward([1.0])


def test_autograd_grad_and_backward_are_pytorchs():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    assert al.autograd.grad is al.grad
    (g,) = al.autograd.grad((x * x).sum(), x)
    np.testing.assert_array_equal(g.array, [2.0, 4.0])
    al.autograd.backward([(x * 3).sum(), (x * x).sum()])
    np.testing.assert_array_equal(x.grad.array, [5.0, 7.0])


def test_next_functions_walks_the_graph_as_pytorchs():
    # The autograd tutorial's walk: loss.grad_fn, then its next_functions, down to the leaves' AccumulateGrad.
    torch = _torch()

    def walk(fn):
        """The graph below `fn` as nested (name, inputs); PyTorch's names without its overload number and namespace."""
        if fn is None:
            return None
        return (fn.name().rstrip("0").split("::")[-1], tuple(walk(f) for f, _ in fn.next_functions))

    def program(m, x, w, b):
        return ((x * w + b).tanh() * 2).sum()

    x, w = al.ones(3, requires_grad=True), al.ones(3, requires_grad=True)
    xt, wt = torch.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    ours, theirs = program(al, x, w, al.tensor(2.0)), program(torch, xt, wt, torch.tensor(2.0))
    assert walk(ours.grad_fn) == walk(theirs.grad_fn)
    leaf_end = ours.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0].next_functions[0][0]
    assert leaf_end.next_functions[0][0].variable is x and leaf_end.next_functions[1][0].variable is w
    assert all(k == 0 for _, k in ours.grad_fn.next_functions)


def test_mark_non_differentiable_gives_an_output_without_gradient_as_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")

    def make(lib):
        class ArgSort(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                idx = x.argsort()
                ctx.mark_non_differentiable(idx)
                return idx

            @staticmethod
            def backward(ctx, g):
                raise AssertionError("never called for a non-differentiable output")
        return ArgSort

    x, xt = al.tensor([3.0, 1.0, 2.0], requires_grad=True), torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
    ours, theirs = make(al).apply(x), make(torch).apply(xt)
    assert ours.tolist() == theirs.tolist() and not ours.requires_grad and not theirs.requires_grad
    assert ours.grad_fn is None and theirs.grad_fn is None
