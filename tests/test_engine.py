"""Graph semantics of the backward pass: accumulation, reuse, freeing, hooks, long chains, memory."""

from __future__ import annotations

import gc
import threading
import time
import tracemalloc
import weakref

import numpy as np
import pytest

import autograd_lite as al


def f64(*shape: int, seed: int = 0, requires_grad: bool = True) -> al.Tensor:
    rng = np.random.default_rng(seed)
    return al.tensor(rng.standard_normal(shape), requires_grad=requires_grad)


def test_x_times_x_uses_both_paths() -> None:
    x = al.tensor(3.0, requires_grad=True)
    (x * x).backward()
    assert x.grad.item() == 6.0


def test_diamond_adds_both_branches() -> None:
    # y = a*x, z = b*x, out = y*z = a b x^2  =>  d out/dx = 2 a b x
    x = al.tensor(2.0, requires_grad=True, dtype=np.float64)
    y = x * 3.0
    z = x * 5.0
    (y * z).backward()
    assert x.grad.item() == pytest.approx(2 * 3 * 5 * 2.0)


def test_reused_intermediate_feeds_many_consumers() -> None:
    x = f64(4)
    h = x.tanh()
    out = (h * h).sum() + h.sum() + (h * 2).sum()
    out.backward()
    expected = (2 * np.tanh(x.array) + 1 + 2) * (1 - np.tanh(x.array) ** 2)
    np.testing.assert_allclose(x.grad.array, expected, rtol=1e-12)


def test_gradients_accumulate_across_backward_calls() -> None:
    x = f64(3)
    (x * 2).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.array, np.full(3, 5.0))
    assert x.grad is first, "accumulation must update the same .grad tensor in place, like PyTorch"


def test_leaf_grads_never_alias() -> None:
    # add passes the same gradient array to both inputs; writing it into both .grad would let an
    # in-place update of one gradient change the other.
    a, b = f64(3, seed=1), f64(3, seed=2)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.array, b.grad.array)
    a.grad.array *= 0
    np.testing.assert_array_equal(b.grad.array, np.ones(3))


def test_leaf_grad_does_not_alias_user_gradient() -> None:
    x = f64(3)
    seed = np.ones(3)
    x.reshape(3).backward(seed)
    y = (x * 1.0)
    y.backward(seed)
    assert not np.shares_memory(x.grad.array, seed)


def test_broadcast_gradients_are_summed_to_input_shape() -> None:
    x = f64(4, 3)
    b = f64(3, seed=1)
    s = al.tensor(2.0, requires_grad=True, dtype=np.float64)
    ((x + b) * s).sum().backward()
    assert b.grad.shape == (3,)
    np.testing.assert_allclose(b.grad.array, np.full(3, 8.0))
    assert s.grad.shape == ()
    np.testing.assert_allclose(s.grad.array, (x.array + b.array).sum())


def test_non_leaf_grad_only_with_retain_grad() -> None:
    x = f64(3)
    h = x * 2
    k = x * 3
    h.retain_grad()
    (h * k).sum().backward()
    np.testing.assert_allclose(h.grad.array, k.array)
    assert k.grad is None
    assert h.retains_grad and not k.retains_grad


def test_graph_freed_after_backward_and_second_backward_says_retain_graph() -> None:
    x = f64(3)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward() -> None:
    x = f64(3)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.array, 4 * np.exp(x.array))


def test_intermediate_is_released_after_backward() -> None:
    x = f64(100)
    h = x.exp()
    ref = weakref.ref(h)
    loss = (h * 2).sum()
    del h
    gc.collect()
    assert ref() is not None, "the graph holds the intermediate until backward"
    loss.backward()
    assert ref() is None, "after backward (no retain_graph) the intermediate must be freed, while loss lives"


def test_intermediate_kept_with_retain_graph() -> None:
    x = f64(10)
    h = x.exp()
    ref = weakref.ref(h)
    loss = (h * 2).sum()
    del h
    loss.backward(retain_graph=True)
    assert ref() is not None


def test_backward_on_non_scalar_needs_gradient() -> None:
    x = f64(3)
    with pytest.raises(RuntimeError, match="scalar outputs.*shape \\(3,\\)"):
        (x * 2).backward()
    (x * 2).backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(x.grad.array, [2.0, 4.0, 6.0])


def test_backward_gradient_shape_is_checked() -> None:
    x = f64(3)
    with pytest.raises(RuntimeError, match="gradient has shape \\(2,\\)"):
        (x * 2).backward(np.ones(2))


def test_backward_on_tensor_without_grad_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        al.tensor([1.0, 2.0]).sum().backward()


def test_long_chain_100k_ops_no_recursion_and_fast() -> None:
    x = al.tensor(1.0, requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    t = time.perf_counter()
    y.backward()
    elapsed = time.perf_counter() - t
    assert x.grad.item() == 1.0
    # Generous bound: only guards against accidental quadratic behaviour (a timing test is not a benchmark).
    assert elapsed < 10.0


def test_wide_graph_sums_many_branches() -> None:
    x = f64(2)
    total = x * 0
    for k in range(1, 2001):
        total = total + x * float(k)
    total.sum().backward()
    np.testing.assert_allclose(x.grad.array, np.full(2, 2000 * 2001 / 2))


def test_tensor_hook_sees_and_replaces_gradient() -> None:
    x = f64(3)
    seen = []
    h = x * 2
    h.register_hook(lambda g: seen.append(g.array.copy()))
    h.register_hook(lambda g: g * 10)
    h.sum().backward()
    np.testing.assert_array_equal(seen[0], np.ones(3))
    np.testing.assert_array_equal(x.grad.array, np.full(3, 20.0))


def test_leaf_hook_runs_before_accumulation_and_can_be_removed() -> None:
    x = f64(3)
    handle = x.register_hook(lambda g: g * 0)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.array, np.zeros(3))
    handle.remove()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.array, np.full(3, 2.0))


def test_hook_returning_wrong_shape_is_an_error() -> None:
    x = f64(3)
    x.register_hook(lambda g: al.ones(4, dtype=np.float64))
    with pytest.raises(ValueError, match="shape \\(4,\\)"):
        (x * 2).sum().backward()


def test_no_grad_records_nothing() -> None:
    x = f64(3)
    with al.no_grad():
        y = x * 2 + 1
        assert not al.is_grad_enabled()
    assert al.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_as_decorator_and_enable_grad_inside() -> None:
    x = f64(3)

    @al.no_grad()
    def f(t: al.Tensor) -> tuple[al.Tensor, al.Tensor]:
        inner = t * 2
        with al.enable_grad():
            kept = t * 3
        return inner, kept

    inner, kept = f(x)
    assert not inner.requires_grad
    assert kept.requires_grad and kept.grad_fn is not None


def test_set_grad_enabled() -> None:
    x = f64(2)
    with al.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert al.is_grad_enabled()


def test_grad_mode_is_thread_local() -> None:
    x = f64(2)
    results = {}
    barrier = threading.Barrier(2)

    def worker() -> None:
        barrier.wait()                 # main thread is inside no_grad now
        results["enabled"] = al.is_grad_enabled()
        results["records"] = (x * 2).requires_grad

    th = threading.Thread(target=worker)
    th.start()
    with al.no_grad():
        barrier.wait()
        th.join()
        assert not al.is_grad_enabled()
    assert results == {"enabled": True, "records": True}


def test_detach_cuts_the_graph() -> None:
    x = f64(3)
    y = (x * 2).detach()
    assert not y.requires_grad and y.grad_fn is None
    z = (x * y).sum()
    z.backward()
    np.testing.assert_allclose(x.grad.array, y.array)


def test_unused_branch_and_constant_inputs_get_no_gradient() -> None:
    x = f64(3)
    c = f64(3, seed=5, requires_grad=False)
    _unused = x.exp()
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_allclose(x.grad.array, c.array)


def test_multiple_roots_through_grad() -> None:
    x = f64(3)
    a = (x * 2).sum()
    b = (x * x).sum()
    (ga,) = al.grad([a, b], x)
    np.testing.assert_allclose(ga.array, 2 + 2 * x.array)


def test_float32_gradients_stay_float32() -> None:
    w = al.randn(5, 4, requires_grad=True)
    b = al.zeros(4, requires_grad=True)
    x = al.randn(3, 5)
    loss = ((x @ w + b).relu().maximum(al.zeros(4)) * 0.5).log_softmax(1).mean()
    loss.backward()
    assert w.grad.dtype == np.float32 and b.grad.dtype == np.float32


def test_memory_flat_over_many_training_steps() -> None:
    rng = np.random.default_rng(0)
    w1 = al.tensor(rng.standard_normal((20, 32)) * 0.1, requires_grad=True, dtype=np.float32)
    w2 = al.tensor(rng.standard_normal((32, 3)) * 0.1, requires_grad=True, dtype=np.float32)
    x = al.tensor(rng.standard_normal((64, 20)), dtype=np.float32)
    y = rng.integers(0, 3, 64)

    def step() -> None:
        loss = -(x @ w1).tanh().matmul(w2).log_softmax(1).gather(1, y[:, None]).mean()
        loss.backward()
        with al.no_grad():
            for p in (w1, w2):
                p.array -= 0.1 * p.grad.array
                p.grad = None

    for _ in range(200):                 # warm up caches and allocator
        step()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(3000):
        step()
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert grown < 200_000, f"memory grew by {grown} bytes over 3000 steps"


def test_gc_not_needed_to_free_graph() -> None:
    # No reference cycles: tensors point to nodes, nodes to inputs, never back. Refcounting alone frees,
    # both after backward and when the user drops an unused graph.
    gc.collect()
    gc.disable()
    try:
        x = f64(50)
        h = x.sin()
        ref = weakref.ref(h)
        loss = (h * 2).sum()
        del h
        loss.backward()
        assert ref() is None
        h2 = x.cos()
        ref2 = weakref.ref(h2)
        loss2 = (h2 * 2).sum()
        del h2
        assert ref2() is not None
        del loss2
        assert ref2() is None
    finally:
        gc.enable()


def test_in_place_change_of_a_saved_value_is_detected() -> None:
    # The classic silent bug: an optimizer step between forward and backward.
    w = al.tensor([1.0, 2.0], requires_grad=True)
    x = al.tensor([3.0, 4.0])
    loss = (w * x).sum()
    with al.no_grad():
        x.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation.*'mul'"):
        loss.backward()


def test_in_place_change_before_use_is_fine() -> None:
    w = al.tensor([1.0, 2.0], requires_grad=True)
    with al.no_grad():
        w.sub_(1.0)
    loss = (w * w).sum()
    loss.backward()
    np.testing.assert_allclose(w.grad.array, [0.0, 2.0])
    with al.no_grad():
        w.sub_(w.grad)          # an optimizer step after backward, then a new forward: no error
    (w * w).sum().backward()


def test_in_place_change_through_a_view_or_detach_is_detected() -> None:
    # Views and detach() share the in-place version counter of the memory they see (as in PyTorch).
    w = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = w.exp()                          # exp saves its output
    y.detach().zero_()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()
    x = al.ones(3)
    loss = (w * x).sum()
    x[0:2].add_(5.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()
    z = al.ones(2, 3)
    loss2 = (w * z.reshape(3, 2).T.reshape(2, 3)[0]).sum()
    z.reshape(6).mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss2.backward()


def test_grad_runs_only_the_rules_that_reach_the_inputs() -> None:
    from autograd_lite.engine import Primitive

    calls = []
    spy = Primitive("spy", lambda a: a * 1.0, lambda g, out, a: calls.append("spy") or g)
    x, w = f64(3), f64(3, seed=1)
    loss = (x * 2).sum() + spy(w).sum()
    (gx,) = al.grad(loss, x)
    np.testing.assert_array_equal(gx.array, np.full(3, 2.0))
    assert calls == []                   # w's branch cannot reach x: its rule never ran
    (gw,) = al.grad(spy(w).sum() * (x * 0 + 1).sum(), w)
    assert calls == ["spy"]


def test_many_reads_of_one_tensor_add_up_exactly() -> None:
    # Overlapping slices, repeated integer indices, a mask and a dense use of the same tensor: the sparse
    # parts (gathered once per tensor by the engine) and the dense contribution must add up exactly.
    x = f64(4, 3)
    mask = np.array([True, False, True, False])
    out = (x[0:2] * 2).sum() + x[1:3].sum() + (x[[0, 0, 3]] * 3).sum() + x[mask].sum() + (x * x).sum()
    out.backward()
    want = np.zeros((4, 3))
    want[0:2] += 2
    want[1:3] += 1
    np.add.at(want, [0, 0, 3], 3)
    want[mask] += 1
    want += 2 * x.array
    np.testing.assert_allclose(x.grad.array, want, rtol=1e-13)
    assert al.gradcheck(lambda t: (t[0:2] * 2).sum() + t[[0, 0, 3]].sum() + (t * t)[1:].sum(), (x,))
    assert al.gradgradcheck(lambda t: (t[0:2] * t[1:3]).sum() + t[[0, 0, 3]].sum(), (x,))


def test_sequence_read_step_by_step_gets_every_step_gradient() -> None:
    x = f64(50, 2, 3)
    total = x[0].sum() * 0
    for t in range(50):
        total = total + (x[t] * float(t)).sum()
    total.backward()
    np.testing.assert_allclose(x.grad.array, np.broadcast_to(np.arange(50.0)[:, None, None], (50, 2, 3)))


def test_joint_rule_and_saved_values() -> None:
    from autograd_lite.engine import Primitive

    # x * y with a combined rule (combined_vjp) that reuses what the forward saved (here, a copy of x), and
    # per-input rules that stay the definition (what create_graph records). The combined rule only gets a mask.
    seen = []

    def forward(x, y):
        return x * y, x.copy()

    def joint(mask, g, out, x, y, saved=None):
        seen.append((list(mask), saved is not None))
        return [g * y if mask[0] else None, g * saved if mask[1] else None]

    mul = Primitive("saving_mul", forward, lambda g, out, x, y: g * y, lambda g, out, x, y: g * x,
                    combined_vjp=joint, saves_for=(1,))       # the copy of x serves y's gradient
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = al.tensor([3.0, 5.0], requires_grad=True)
    out = mul(x, y)
    np.testing.assert_array_equal(out.array, [3.0, 10.0])
    np.testing.assert_array_equal(out.grad_fn.saved, [1.0, 2.0])
    out.sum().backward()
    assert seen == [([True, True], True)] and out.grad_fn.saved is None
    np.testing.assert_array_equal(x.grad.array, [3.0, 5.0])
    np.testing.assert_array_equal(y.grad.array, [1.0, 2.0])
    # y needs no gradient: nothing is kept, and the combined rule gets saved=None
    out = mul(x, al.tensor([3.0, 5.0]))
    assert out.grad_fn.saved is None
    (gx,) = al.grad(out.sum(), [x])
    assert seen[-1] == ([True, False], False)
    (gx2,) = al.grad(mul(x, y).sum(), [x], create_graph=True)
    assert len(seen) == 2 and gx2.requires_grad
    np.testing.assert_array_equal(gx.array, gx2.array)
    # called on arrays it returns the result alone
    np.testing.assert_array_equal(mul(np.array([2.0]), np.array([4.0])), [8.0])


def test_keep_freed_memory_sets_glibc_thresholds_or_says_why_not(monkeypatch) -> None:
    import platform
    import sys

    from autograd_lite import allocator

    done = al.keep_freed_memory()
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert done == "glibc: arrays up to 32 MiB from the heap, freed memory kept up to 1024 MiB"
    with pytest.raises(ValueError, match=r"trim_threshold must be an int from 0 to 2\*\*31 - 1"):
        al.keep_freed_memory(trim_threshold=4 << 30)          # would wrap to 0 in a C int: trim on every free
    monkeypatch.setattr(allocator.sys, "platform", "darwin")
    assert allocator.keep_freed_memory() == "allocator unchanged: not Linux (darwin)"
