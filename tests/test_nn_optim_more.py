"""NAdam, RAdam, LBFGS and CyclicLR against PyTorch's own (the test-only oracle), trajectory by trajectory.

Each optimizer runs beside PyTorch's (foreach=False, its default on CPU) from the same float32 or float64
parameters on the same gradients. Two comparisons:

- bit for bit, against PyTorch with three of its CPU kernels swapped for NumPy's (`exact_kernels`):
  `Tensor.sqrt` (MKL's VML, which is within 1 ulp but not correctly rounded; NumPy's is), and `Tensor.dot`
  and `Tensor.sum` (MKL's and ATen's summation orders, which depend on the CPU's vector width). Everything
  else (every elementwise operation, its rounding, the fused multiply-adds, the Python-float scalars and
  their order) is then PyTorch's exactly, and that is what these assert_array_equal checks prove;
- against PyTorch as it is, within a tolerance of a few ulps, which the differences above explain.
"""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest

import autograd_lite as al
import nn
from nn.optim.optimizer import fma, lerp_


def _torch():
    return pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")


@pytest.fixture
def exact_kernels(monkeypatch):
    """PyTorch with a correctly rounded sqrt and NumPy's dot and sum (see the module's docstring)."""
    torch = _torch()

    def numpy_result(value):
        return torch.from_numpy(np.array(value))

    monkeypatch.setattr(torch.Tensor, "sqrt", lambda self: numpy_result(np.sqrt(self.detach().numpy())))
    monkeypatch.setattr(torch.Tensor, "dot", lambda self, other: numpy_result(np.dot(self.numpy(), other.numpy())))
    monkeypatch.setattr(torch.Tensor, "sum", lambda self: numpy_result(np.sum(self.numpy())))
    return torch


DTYPES = [np.float32, np.float64]
SHAPES = ((5, 7), (3,))     # 35 elements: PyTorch's vectorized loops and their scalar tails both run


# ------------------------------------------------------------------ the helper the optimizers rely on
@pytest.mark.parametrize("dtype", DTYPES)
def test_fma_is_the_exactly_rounded_multiply_add_pytorch_computes(dtype):
    torch = _torch()
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal(1000).astype(dtype) for _ in range(3))
    # cancellation, where the rounding of a separate product would show most
    c[:500] = -(a[:500].astype(np.float64) * b[:500]).astype(dtype)
    ta, tb, tc = torch.tensor(a), torch.tensor(b), torch.tensor(c)
    np.testing.assert_array_equal(fma(b, 0.3, a, dtype), ta.add(tb, alpha=0.3).numpy())
    np.testing.assert_array_equal(fma(a, b, c, dtype), tc.addcmul(ta, tb).numpy())
    for w in (0.1, 0.7, 1.0):
        np.testing.assert_array_equal(lerp_(a.copy(), b, w, fused=True), ta.clone().lerp_(tb, w).numpy())
    # and it is the correctly rounded a * b + c (in float64, checked exactly with rationals)
    if dtype == np.float64:
        from fractions import Fraction
        got = fma(a[:200], b[:200], c[:200], dtype)
        exact = [Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z)) for x, y, z in zip(a, b, c[:200])]
        assert [float(v) for v in got] == [v.numerator / v.denominator for v in exact]


# ------------------------------------------------------------------ NAdam and RAdam
def _run_adaptive(torch, name, dtype, options, steps=20, groups=None, reload_at=None):
    """Our optimizer and PyTorch's on the same noisy quadratic; the parameters and states after each step.
    With reload_at, both are rebuilt from their state_dict at that step (a checkpoint mid-run)."""
    rng = np.random.default_rng(1)
    inits = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    ours = [nn.Parameter(al.tensor(x.copy())) for x in inits]
    theirs = [torch.nn.Parameter(torch.tensor(x.copy())) for x in inits]

    def build(cls, params):
        if groups is None:
            return cls(params, **options)
        return cls([dict(params=[p], **g) for p, g in zip(params, groups)], **options)

    opt = build(getattr(nn.optim, name), ours)
    opt_t = build(lambda *a, **k: getattr(torch.optim, name)(*a, foreach=False, **k), theirs)
    for step in range(steps):
        if step == reload_at:
            saved, saved_t = copy.deepcopy(opt.state_dict()), copy.deepcopy(opt_t.state_dict())
            opt = build(getattr(nn.optim, name), ours)
            opt.load_state_dict(saved)
            opt_t = build(lambda *a, **k: getattr(torch.optim, name)(*a, foreach=False, **k), theirs)
            opt_t.load_state_dict(saved_t)
        for p, pt in zip(ours, theirs):
            g = (rng.standard_normal(p.shape) + 2 * p.array.astype(np.float64)).astype(dtype)
            p.grad, pt.grad = al.tensor(g.copy()), torch.tensor(g.copy())
        opt.step()
        opt_t.step()
        yield opt, opt_t, ours, theirs


def _state_pairs(opt, opt_t, ours, theirs):
    for p, pt in zip(ours, theirs):
        state, state_t = opt.state[p], opt_t.state[pt]
        assert set(state) == set(state_t)
        for key in state:
            yield key, state[key].array, state_t[key].numpy()


NADAM_GRID = [dict(),
              dict(lr=0.05, weight_decay=0.1),
              dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
              dict(lr=0.02, betas=(0.3, 0.9), eps=1e-3, maximize=True),     # lerp's other branch (weight 0.7)
              dict(lr=0.01, betas=(0.8, 0.99), momentum_decay=0.1, eps=1e-6)]
RADAM_GRID = [dict(),
              dict(lr=0.05, weight_decay=0.1),
              dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
              dict(lr=0.02, betas=(0.3, 0.9), maximize=True),                 # rectified from step 3 on
              dict(lr=0.01, betas=(0.9, 0.999), eps=1e-3)]                    # unrectified for 5 steps


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize(("name", "options"), [("NAdam", o) for o in NADAM_GRID] + [("RAdam", o) for o in RADAM_GRID],
                         ids=[f"NAdam-{i}" for i in range(len(NADAM_GRID))]
                         + [f"RAdam-{i}" for i in range(len(RADAM_GRID))])
def test_trajectories_are_pytorchs_bit_for_bit(exact_kernels, name, options, dtype):
    for opt, opt_t, ours, theirs in _run_adaptive(exact_kernels, name, dtype, options):
        for p, pt in zip(ours, theirs):
            np.testing.assert_array_equal(p.array, pt.detach().numpy())
        for key, value, value_t in _state_pairs(opt, opt_t, ours, theirs):
            assert value.dtype == value_t.dtype, key            # step and mu_product: float32 as PyTorch's
            np.testing.assert_array_equal(value, value_t, err_msg=key)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize(("name", "options"), [("NAdam", NADAM_GRID[1]), ("NAdam", NADAM_GRID[3]),
                                               ("RAdam", RADAM_GRID[1]), ("RAdam", RADAM_GRID[3])])
def test_trajectories_are_pytorchs_within_its_sqrt_rounding(name, options, dtype):
    # PyTorch's MKL sqrt is off by one ulp for about one value in six (NumPy's is exact); after 20 steps the
    # parameters differ by a few ulps of their size at most.
    tol = 4 * np.finfo(dtype).eps
    for _, _, ours, theirs in _run_adaptive(_torch(), name, dtype, options):
        for p, pt in zip(ours, theirs):
            np.testing.assert_allclose(p.array, pt.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", ["NAdam", "RAdam"])
def test_param_groups_and_a_state_dict_reload_mid_run_follow_pytorch(exact_kernels, name, dtype):
    groups = [dict(lr=0.03, weight_decay=0.05), dict(lr=0.01, betas=(0.5, 0.9), decoupled_weight_decay=True)]
    options = dict(eps=1e-6, maximize=False)
    # NAdam's mu_product: PyTorch's load_state_dict casts it to the parameter's dtype (only 'step' stays
    # float32), so a float64 run continues with a float64 product; ours does the same.
    for opt, opt_t, ours, theirs in _run_adaptive(exact_kernels, name, dtype, options, groups=groups, reload_at=8):
        for p, pt in zip(ours, theirs):
            np.testing.assert_array_equal(p.array, pt.detach().numpy())
        for key, value, value_t in _state_pairs(opt, opt_t, ours, theirs):
            assert value.dtype == value_t.dtype, key
            np.testing.assert_array_equal(value, value_t, err_msg=key)
    assert [g["lr"] for g in opt.param_groups] == [0.03, 0.01]


@pytest.mark.parametrize("cls", [nn.optim.NAdam, nn.optim.RAdam])
def test_state_dict_round_trip_continues_bit_identically(cls):
    rng = np.random.default_rng(3)
    inits = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    a = [nn.Parameter(al.tensor(x.copy())) for x in inits]
    b = [nn.Parameter(al.tensor(x.copy())) for x in inits]
    opt = cls([{"params": [a[0]]}, {"params": [a[1]], "lr": 0.05}], lr=0.02, weight_decay=0.01)
    grads = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(10)]

    def run(o, params, gs):
        for step_grads in gs:
            for p, g in zip(params, step_grads):
                p.grad = al.tensor(g.copy())
            o.step()

    run(opt, a, grads[:4])
    for p, q in zip(a, b):
        q.array[...] = p.array
    other = cls([{"params": [b[0]]}, {"params": [b[1]]}], lr=0.02, weight_decay=0.01)
    sd = opt.state_dict()
    other.load_state_dict(sd)
    assert other.param_groups[1]["lr"] == 0.05
    expected_keys = {"step", "exp_avg", "exp_avg_sq"} | ({"mu_product"} if cls is nn.optim.NAdam else set())
    assert set(sd["state"][0]) == expected_keys and sorted(sd["state"]) == [0, 1]
    run(opt, a, grads[4:])
    run(other, b, grads[4:])
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.array, q.array)
        for key in expected_keys:
            np.testing.assert_array_equal(opt.state[p][key].array, other.state[q][key].array)


def test_state_dict_keys_and_defaults_are_pytorchs():
    torch = _torch()
    for name in ("NAdam", "RAdam"):
        p, pt = nn.Parameter(al.ones(3)), torch.nn.Parameter(torch.ones(3))
        opt, opt_t = getattr(nn.optim, name)([p]), getattr(torch.optim, name)([pt])
        p.grad, pt.grad = al.ones(3), torch.ones(3)
        opt.step()
        opt_t.step()
        sd, sd_t = opt.state_dict(), opt_t.state_dict()
        assert set(sd["state"][0]) == set(sd_t["state"][0])
        ours_group, their_group = sd["param_groups"][0], sd_t["param_groups"][0]
        for key, value in ours_group.items():
            assert their_group[key] == value, (name, key)
        # PyTorch's extra options are its kernels' (foreach, capturable, differentiable, fused)
        assert set(their_group) - set(ours_group) <= {"foreach", "capturable", "differentiable", "fused"}


@pytest.mark.parametrize("name", ["NAdam", "RAdam"])
@pytest.mark.parametrize(("options", "message"), [(dict(lr=-1.0), "Invalid learning rate: -1.0"),
                                                  (dict(eps=-1.0), "Invalid epsilon value: -1.0"),
                                                  (dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
                                                  (dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
                                                  (dict(weight_decay=-0.5), "Invalid weight_decay value: -0.5")])
def test_bad_settings_raise_pytorchs_errors(name, options, message):
    torch = _torch()
    for module, param in ((nn.optim, nn.Parameter(al.zeros(2))), (torch.optim, torch.nn.Parameter(torch.zeros(2)))):
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            getattr(module, name)([param], **options)
    with pytest.raises(ValueError, match="Invalid momentum_decay value: -1.0"):
        nn.optim.NAdam([nn.Parameter(al.zeros(2))], momentum_decay=-1.0)


# ------------------------------------------------------------------ LBFGS
N_LBFGS = 9          # 6 + 3 entries: one flat vector over two parameters


def _lbfgs_problem(seed=0):
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((N_LBFGS, N_LBFGS))
    return m @ m.T / N_LBFGS + 0.5 * np.eye(N_LBFGS), rng.standard_normal(N_LBFGS), rng


def _closure_on(params, values_of, set_grad, wrap, a, b, dtype, calls):
    """loss = x'Ax / 2 - b'x + sum(x**4) / 4 over the flat parameters x, computed in float64 from the
    parameters' values and handed back in their dtype: both sides see the same numbers for the same x."""
    def closure():
        calls.append(al.is_grad_enabled() if wrap is al.tensor else None)
        x = np.concatenate([values_of(p).reshape(-1) for p in params]).astype(np.float64)
        grad = (a @ x - b + x**3).astype(dtype)
        offset = 0
        for p in params:
            n = int(np.prod(p.shape))
            set_grad(p, grad[offset:offset + n].reshape(tuple(p.shape)).copy())
            offset += n
        return wrap(np.array(0.5 * x @ a @ x - b @ x + 0.25 * np.sum(x**4), dtype=dtype))
    return closure


def _run_lbfgs(torch, dtype, options, steps=4, reload_at=None):
    a, b, rng = _lbfgs_problem()
    inits = [rng.standard_normal(s).astype(dtype) for s in ((2, 3), (3,))]
    ours = [nn.Parameter(al.tensor(x.copy())) for x in inits]
    theirs = [torch.nn.Parameter(torch.tensor(x.copy())) for x in inits]
    calls: list = []
    closure = _closure_on(ours, lambda p: p.array, lambda p, g: setattr(p, "grad", al.tensor(g)), al.tensor,
                          a, b, dtype, calls)
    closure_t = _closure_on(theirs, lambda p: p.detach().numpy(), lambda p, g: setattr(p, "grad", torch.tensor(g)),
                            torch.tensor, a, b, dtype, [])
    opt, opt_t = nn.optim.LBFGS(ours, **options), torch.optim.LBFGS(theirs, **options)
    for step in range(steps):
        if step == reload_at:
            saved, saved_t = copy.deepcopy(opt.state_dict()), copy.deepcopy(opt_t.state_dict())
            opt, opt_t = nn.optim.LBFGS(ours, **options), torch.optim.LBFGS(theirs, **options)
            opt.load_state_dict(saved)
            opt_t.load_state_dict(saved_t)
        loss, loss_t = opt.step(closure), opt_t.step(closure_t)
        assert isinstance(loss, al.Tensor)         # the loss at the start of the step, as the closure gave it
        yield opt, opt_t, ours, theirs, (loss.item(), loss_t.item(), calls)


def _lbfgs_state_equal(opt, opt_t, ours, theirs):
    state, state_t = opt.state[ours[0]], opt_t.state[theirs[0]]
    assert set(state) == set(state_t)
    for key, value in state.items():
        value_t = state_t[key]
        values, values_t = (value, value_t) if isinstance(value, list) else ([value], [value_t])
        assert len(values) == len(values_t), key
        for v, vt in zip(values, values_t):
            if isinstance(vt, torch_tensor_type()):
                assert isinstance(v, al.Tensor), key
                np.testing.assert_array_equal(v.array, vt.numpy(), err_msg=key)
                assert v.array.dtype == vt.numpy().dtype, key
            else:
                assert type(v) is type(vt) and v == vt, key


def torch_tensor_type():
    return _torch().Tensor


LBFGS_GRID = [dict(),
              dict(lr=0.5, max_iter=7, history_size=3),
              dict(lr=0.1, max_iter=30),
              dict(tolerance_grad=1e-3, tolerance_change=1e-4),
              dict(line_search_fn="strong_wolfe"),
              dict(line_search_fn="strong_wolfe", history_size=2, max_iter=10, max_eval=14),
              dict(line_search_fn="strong_wolfe", lr=0.3, tolerance_change=1e-6)]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("options", LBFGS_GRID, ids=[f"options{i}" for i in range(len(LBFGS_GRID))])
def test_lbfgs_trajectories_are_pytorchs_bit_for_bit(exact_kernels, options, dtype):
    grad_modes: list = []
    for opt, opt_t, ours, theirs, (loss, loss_t, calls) in _run_lbfgs(exact_kernels, dtype, options):
        grad_modes = calls
        assert loss == loss_t
        for p, pt in zip(ours, theirs):
            np.testing.assert_array_equal(p.array, pt.detach().numpy())
        _lbfgs_state_equal(opt, opt_t, ours, theirs)
    assert grad_modes and all(grad_modes)       # the closure always ran with grad mode on


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("options", [LBFGS_GRID[0], LBFGS_GRID[1], LBFGS_GRID[4], LBFGS_GRID[5]],
                         ids=["defaults", "history3", "strong_wolfe", "strong_wolfe-history2"])
def test_lbfgs_trajectories_are_pytorchs_within_its_summation_order(options, dtype):
    # PyTorch's dot products are MKL's and its sum ATen's, each adding in its own order: the directions
    # differ in the last bits, and the iterates by a few ulps of their size (the closure evaluations and the
    # stopping decisions stay the same).
    tol = 8 * np.finfo(dtype).eps
    for opt, opt_t, ours, theirs, (loss, loss_t, _) in _run_lbfgs(_torch(), dtype, options):
        assert math.isclose(loss, loss_t, rel_tol=tol)
        for p, pt in zip(ours, theirs):
            np.testing.assert_allclose(p.array, pt.detach().numpy(), rtol=tol, atol=tol)
        state, state_t = opt.state[ours[0]], opt_t.state[theirs[0]]
        assert (state["func_evals"], state["n_iter"]) == (state_t["func_evals"], state_t["n_iter"])


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_state_dict_reload_mid_run_follows_pytorch(exact_kernels, line_search_fn):
    options = dict(line_search_fn=line_search_fn, max_iter=5, history_size=4)
    for opt, opt_t, ours, theirs, _ in _run_lbfgs(exact_kernels, np.float32, options, steps=5, reload_at=2):
        for p, pt in zip(ours, theirs):
            np.testing.assert_array_equal(p.array, pt.detach().numpy())
        _lbfgs_state_equal(opt, opt_t, ours, theirs)
    sd = opt.state_dict()
    assert list(sd["state"]) == [0]              # everything lives under the first parameter
    assert sd["param_groups"][0]["params"] == [0, 1]


def test_lbfgs_minimizes_an_mlp_as_pytorch_does():
    # A real closure through autograd: ours and PyTorch's compute the loss and gradients each in its own
    # order, so this compares within a tolerance.
    torch = _torch()
    rng = np.random.default_rng(5)
    x = rng.standard_normal((16, 3))
    y = np.sin(x.sum(axis=1, keepdims=True))
    w1, b1, w2, b2 = (rng.standard_normal(s) * 0.5 for s in ((3, 8), (8,), (8, 1), (1,)))

    def fit(lib, make):
        params = [make(v.copy()) for v in (w1, b1, w2, b2)]
        xs, ys = lib.tensor(x), lib.tensor(y)
        opt = (nn.optim.LBFGS if lib is al else torch.optim.LBFGS)(params, line_search_fn="strong_wolfe",
                                                                  max_iter=20, history_size=10)

        def closure():
            opt.zero_grad()
            hidden = lib.tanh(xs @ params[0] + params[1])
            loss = ((hidden @ params[2] + params[3] - ys) ** 2).mean()
            loss.backward()
            return loss

        losses = [opt.step(closure).item() for _ in range(2)]
        return losses, closure().item(), [p.detach().numpy() if lib is torch else p.array for p in params]

    ours = fit(al, lambda v: nn.Parameter(al.tensor(v)))
    theirs = fit(torch, lambda v: torch.nn.Parameter(torch.tensor(v)))
    assert ours[1] < 0.01 * ours[0][0]
    # float64, 40 iterations: our sums and matrix products round differently from PyTorch's, and L-BFGS carries
    # the differences along (~1e-13 here); the strong Wolfe decisions and the function evaluations coincide.
    np.testing.assert_allclose(ours[0] + [ours[1]], theirs[0] + [theirs[1]], rtol=1e-11)
    for p, q in zip(ours[2], theirs[2]):
        np.testing.assert_allclose(p, q, rtol=0, atol=1e-11)


def test_lbfgs_closure_runs_with_grad_inside_no_grad_and_the_update_without():
    p = nn.Parameter(al.tensor(np.array([3.0, -2.0])))
    opt = nn.optim.LBFGS([p], max_iter=5)
    modes = []

    def closure():
        modes.append(al.is_grad_enabled())
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with al.no_grad():
        opt.step(closure)
    assert modes and all(modes)
    assert p.grad_fn is None and p.is_leaf
    np.testing.assert_allclose(p.array, 0.0, atol=1e-6)


def test_lbfgs_refuses_what_pytorch_refuses():
    a, b = nn.Parameter(al.zeros(2)), nn.Parameter(al.zeros(2))
    with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options \(parameter groups\)"):
        nn.optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = nn.optim.LBFGS([a])
    with pytest.raises(ValueError, match="parameter groups"):
        opt.add_param_group({"params": [b]})
    with pytest.raises(ValueError, match="Invalid learning rate: -1.0"):
        nn.optim.LBFGS([a], lr=-1.0)

    def closure():
        opt.zero_grad()
        loss = ((a - 1.0) ** 2).sum()
        loss.backward()
        return loss

    bad = nn.optim.LBFGS([a], line_search_fn="armijo")
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        bad.step(closure)
    with pytest.raises(TypeError, match="closure"):
        opt.step(None)
    assert opt.defaults["max_eval"] == 25 and nn.optim.LBFGS([a], max_iter=8).defaults["max_eval"] == 10


def test_lbfgs_stops_at_once_when_the_gradient_is_already_small():
    p = nn.Parameter(al.tensor(np.array([1.0, 2.0])))
    opt = nn.optim.LBFGS([p], tolerance_grad=10.0)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    before = p.array.copy()
    opt.step(closure)
    np.testing.assert_array_equal(p.array, before)
    assert opt.state[p] == {"func_evals": 1, "n_iter": 0}


# ------------------------------------------------------------------ CyclicLR
def _schedule(module, opt_factory, steps=25, **kwargs):
    opt = opt_factory(module)
    sched = module.lr_scheduler.CyclicLR(opt, **kwargs)
    rows = []
    for _ in range(steps):
        rows.append(([g["lr"] for g in opt.param_groups],
                     [g.get("momentum") for g in opt.param_groups],
                     [g.get("betas") for g in opt.param_groups]))
        opt.step()
        sched.step()
    return rows, sched.get_last_lr()


def _sgd(momentum=0.9):
    def make(module):
        if module is nn.optim:
            params = [nn.Parameter(al.zeros(2)), nn.Parameter(al.zeros(3))]
        else:
            params = [_torch().nn.Parameter(_torch().zeros(2)), _torch().nn.Parameter(_torch().zeros(3))]
        return module.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.5}], lr=0.1, momentum=momentum)
    return make


def _adam(module):
    p = nn.Parameter(al.zeros(2)) if module is nn.optim else _torch().nn.Parameter(_torch().zeros(2))
    return module.Adam([p], lr=0.1, betas=(0.9, 0.99))


class Halving:
    """A callable scale function (its attributes go into the state_dict, as PyTorch saves them)."""

    def __init__(self) -> None:
        self.base = 0.5

    def __call__(self, x: float) -> float:
        return self.base ** x


CYCLIC_GRID = [dict(base_lr=0.01, max_lr=0.1, step_size_up=4),
               dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5, mode="triangular2"),
               dict(base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=4, mode="exp_range", gamma=0.9),
               dict(base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=6, scale_fn=Halving()),
               dict(base_lr=0.01, max_lr=0.1, step_size_up=5, scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations"),
               dict(base_lr=0.001, max_lr=0.01, step_size_up=3, base_momentum=[0.7, 0.75], max_momentum=0.95),
               dict(base_lr=0.01, max_lr=0.1, step_size_up=4, cycle_momentum=False)]


@pytest.mark.parametrize("kwargs", CYCLIC_GRID, ids=[f"options{i}" for i in range(len(CYCLIC_GRID))])
def test_cyclic_lr_rates_and_momenta_are_pytorchs_bit_for_bit(kwargs):
    torch = _torch()
    assert _schedule(nn.optim, _sgd(), **kwargs) == _schedule(torch.optim, _sgd(), **kwargs)


def test_cyclic_lr_cycles_adams_beta1():
    torch = _torch()
    kwargs = dict(base_lr=0.001, max_lr=0.01, step_size_up=3, base_momentum=0.8, max_momentum=0.95)
    ours = _schedule(nn.optim, _adam, **kwargs)
    assert ours == _schedule(torch.optim, _adam, **kwargs)
    betas = [row[2][0] for row in ours[0]]
    assert betas[0] == (0.95, 0.99) and betas[3] == (0.8, 0.99)     # beta1 down as the lr goes up; beta2 kept


def test_cyclic_lr_without_momentum_leaves_it_and_refuses_an_optimizer_without_one():
    torch = _torch()
    rows, _ = _schedule(nn.optim, _sgd(momentum=0.9), base_lr=0.01, max_lr=0.1, step_size_up=2, cycle_momentum=False)
    assert {m for row in rows for m in row[1]} == {0.9}
    for module, param in ((nn.optim, nn.Parameter(al.zeros(1))), (torch.optim, torch.nn.Parameter(torch.zeros(1)))):
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1 with `cycle_momentum`"):
            module.lr_scheduler.CyclicLR(module.Adagrad([param]), base_lr=0.01, max_lr=0.1)
        with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
            module.lr_scheduler.CyclicLR(module.SGD([param], momentum=0.9), base_lr=0.01, max_lr=0.1, mode="cosine")
        with pytest.raises(ValueError, match="max_lr must have the same length as optimizer.param_groups"):
            module.lr_scheduler.CyclicLR(module.SGD([param], momentum=0.9), base_lr=0.01, max_lr=[0.1, 0.2])


def test_cyclic_lr_drives_sgd_as_pytorchs_does():
    # the schedule's momentum reaches the optimizer's update: the same parameters step for step
    torch = _torch()
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal(4)
    p, pt = nn.Parameter(al.tensor(w0.copy())), torch.nn.Parameter(torch.tensor(w0.copy()))
    opt, opt_t = nn.optim.SGD([p], lr=0.1, momentum=0.9), torch.optim.SGD([pt], lr=0.1, momentum=0.9, foreach=False)
    kwargs = dict(base_lr=0.01, max_lr=0.2, step_size_up=3, mode="triangular2")
    sched, sched_t = nn.optim.lr_scheduler.CyclicLR(opt, **kwargs), torch.optim.lr_scheduler.CyclicLR(opt_t, **kwargs)
    for _ in range(15):
        g = rng.standard_normal(4)
        p.grad, pt.grad = al.tensor(g.copy()), torch.tensor(g.copy())
        opt.step()
        opt_t.step()
        sched.step()
        sched_t.step()
        assert opt.param_groups[0]["momentum"] == opt_t.param_groups[0]["momentum"]
        np.testing.assert_allclose(p.array, pt.detach().numpy(), rtol=1e-15, atol=1e-15)


def test_cyclic_lr_state_dict_round_trip():
    torch = _torch()
    fn = Halving()
    opt = _sgd()(nn.optim)
    sched = nn.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=fn)
    for _ in range(4):
        opt.step()
        sched.step()
    fn.base = 0.25
    sd = sched.state_dict()
    assert sd["_scale_fn_custom"] == {"base": 0.25} and "optimizer" not in sd and "_scale_fn_ref" not in sd
    torch_sd = torch.optim.lr_scheduler.CyclicLR(_sgd()(torch.optim), base_lr=0.01, max_lr=0.1,
                                                 step_size_up=3, scale_fn=Halving()).state_dict()
    assert set(sd) == set(torch_sd)

    fn2 = Halving()
    opt2 = _sgd()(nn.optim)
    opt2.load_state_dict(opt.state_dict())
    other = nn.optim.lr_scheduler.CyclicLR(opt2, base_lr=0.5, max_lr=1.0, step_size_up=10, scale_fn=fn2)
    kept = copy.deepcopy(sd)
    other.load_state_dict(sd)
    assert sd == kept and fn2.base == 0.25      # the caller's dict is left as it was; the function's state loaded
    for _ in range(6):
        for o, s in ((opt, sched), (opt2, other)):
            o.step()
            s.step()
        assert sched.get_last_lr() == other.get_last_lr()
        assert [g["momentum"] for g in opt.param_groups] == [g["momentum"] for g in opt2.param_groups]

    # modes without a custom function get theirs back after loading (exp_range: gamma ** iterations)
    opt3 = _sgd()(nn.optim)
    s3 = nn.optim.lr_scheduler.CyclicLR(opt3, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="exp_range", gamma=0.5)
    s3.load_state_dict(s3.state_dict())
    assert s3.scale_mode == "iterations" and s3.scale_fn(3) == 0.125


def test_cyclic_lr_closed_form_triangle():
    # the documented shape, independently of PyTorch: up in step_size_up steps, down in step_size_down
    opt = _sgd()(nn.optim)
    sched = nn.optim.lr_scheduler.CyclicLR(opt, base_lr=1.0, max_lr=3.0, step_size_up=2, step_size_down=4)
    lrs = []
    for _ in range(13):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    expected = [1.0, 2.0, 3.0, 2.5, 2.0, 1.5, 1.0, 2.0, 3.0, 2.5, 2.0, 1.5, 1.0]
    assert all(math.isclose(a, b, rel_tol=1e-15) for a, b in zip(lrs, expected))
    momenta = [0.9, 0.85, 0.8]    # max_momentum at base_lr, base_momentum at max_lr
    sched2 = nn.optim.lr_scheduler.CyclicLR(_sgd()(nn.optim), base_lr=1.0, max_lr=3.0, step_size_up=2)
    seen = []
    for _ in range(3):
        seen.append(sched2.optimizer.param_groups[0]["momentum"])
        sched2.optimizer.step()
        sched2.step()
    assert all(math.isclose(a, b, rel_tol=1e-15) for a, b in zip(seen, momenta))


def test_new_names_are_exported():
    assert {"NAdam", "RAdam", "LBFGS"} <= set(nn.optim.__all__)
    assert "CyclicLR" in nn.optim.lr_scheduler.__all__
    assert list(itertools.islice(nn.optim.LBFGS.__mro__, 2))[1] is nn.optim.Optimizer
