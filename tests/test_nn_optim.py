"""nn.optim optimizers and nn.utils gradient clipping: each update against its formula written out in float64
NumPy, parameter groups, state_dict round trips, the bookkeeping errors, closures and zero_grad."""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest

import autograd_lite as al
from nn import optim
from nn.optim.optimizer import lerp_
from nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters

STEPS = 5


# ------------------------------------------------------------------ a loss with a known gradient
def make_problem(rng: np.random.Generator, dtype: type = np.float64, shapes=((3, 4), (5,))):
    """Leaves and the coefficients of loss = sum(a * p**2 + b * p), whose gradient is 2 a p + b."""
    params = [al.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]
    coefs = [(rng.uniform(0.5, 2.0, s).astype(dtype), rng.standard_normal(s).astype(dtype)) for s in shapes]
    return params, coefs


def loss_of(params, coefs) -> al.Tensor:
    total = None
    for p, (a, b) in zip(params, coefs):
        term = (al.tensor(a) * p * p + al.tensor(b) * p).sum()
        total = term if total is None else total + term
    return total


def grad_of(p: np.ndarray, coef) -> np.ndarray:
    a, b = coef
    return 2 * a * p + b


def train(opt, params, coefs, steps: int = STEPS) -> None:
    for _ in range(steps):
        opt.zero_grad()
        loss_of(params, coefs).backward()
        opt.step()


# ------------------------------------------------------------------ reference updates, float64, from the papers/docs
def ref_sgd(p, coef, steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    p = p.copy()
    buf = None
    for _ in range(steps):
        g = grad_of(p, coef)
        if maximize:
            g = -g
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p


def ref_adagrad(p, coef, steps, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                maximize=False):
    p = p.copy()
    acc = np.full_like(p, initial_accumulator_value)
    for t in range(1, steps + 1):
        g = grad_of(p, coef)
        if maximize:
            g = -g
        g = g + weight_decay * p
        acc = acc + g**2
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(acc) + eps)
    return p


def ref_rmsprop(p, coef, steps, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                maximize=False):
    p = p.copy()
    v, mean, buf = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for _ in range(steps):
        g = grad_of(p, coef)
        if maximize:
            g = -g
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g**2
        if centered:
            mean = alpha * mean + (1 - alpha) * g
            denom = np.sqrt(v - mean**2) + eps
        else:
            denom = np.sqrt(v) + eps
        if momentum > 0:
            buf = momentum * buf + g / denom
            p = p - lr * buf
        else:
            p = p - lr * g / denom
    return p


def ref_adam(p, coef, steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False,
             decoupled=False):
    p = p.copy()
    b1, b2 = betas
    m, v, vmax = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for t in range(1, steps + 1):
        g = grad_of(p, coef)
        if maximize:
            g = -g
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        vmax = np.maximum(vmax, v)
        v_hat = (vmax if amsgrad else v) / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


def check_against_reference(opt_cls, ref, kwargs, rng, ref_kwargs=None):
    params, coefs = make_problem(rng)
    start = [p.array.copy() for p in params]
    train(opt_cls(params, **kwargs), params, coefs)
    for p, p0, coef in zip(params, start, coefs):
        expected = ref(p0, coef, STEPS, **(ref_kwargs if ref_kwargs is not None else kwargs))
        assert not np.allclose(expected, p0)                    # the parameters did move
        np.testing.assert_allclose(p.array, expected, rtol=1e-10, atol=1e-12)


def product(**options):
    keys = list(options)
    return [dict(zip(keys, values)) for values in itertools.product(*options.values())]


SGD_CASES = [c for c in product(momentum=[0.0, 0.9], dampening=[0.0, 0.3], nesterov=[False, True],
                                weight_decay=[0.0, 0.1], maximize=[False, True])
             if not (c["nesterov"] and (c["momentum"] == 0 or c["dampening"] != 0))]


@pytest.mark.parametrize("options", SGD_CASES, ids=str)
def test_sgd_matches_formula(options, rng):
    check_against_reference(optim.SGD, ref_sgd, dict(lr=0.05, **options), rng)


@pytest.mark.parametrize("options", product(lr_decay=[0.0, 0.1], weight_decay=[0.0, 0.1],
                                            initial_accumulator_value=[0.0, 0.5], maximize=[False, True]), ids=str)
def test_adagrad_matches_formula(options, rng):
    check_against_reference(optim.Adagrad, ref_adagrad, dict(lr=0.1, **options), rng)


@pytest.mark.parametrize("options", product(momentum=[0.0, 0.8], centered=[False, True], weight_decay=[0.0, 0.1],
                                            maximize=[False, True]), ids=str)
def test_rmsprop_matches_formula(options, rng):
    check_against_reference(optim.RMSprop, ref_rmsprop, dict(lr=0.01, alpha=0.9, **options), rng)


ADAM_CASES = product(amsgrad=[False, True], weight_decay=[0.0, 0.1], maximize=[False, True])


@pytest.mark.parametrize("options", ADAM_CASES, ids=str)
def test_adam_matches_formula(options, rng):
    # betas far from the defaults make the bias corrections and the lerp's second branch matter
    check_against_reference(optim.Adam, ref_adam, dict(lr=0.05, betas=(0.6, 0.7), **options), rng)
    check_against_reference(optim.Adam, ref_adam, dict(lr=0.05, **options), rng)


@pytest.mark.parametrize("options", ADAM_CASES, ids=str)
def test_adamw_matches_formula(options, rng):
    check_against_reference(optim.AdamW, ref_adam, dict(lr=0.05, **options), rng,
                            ref_kwargs=dict(lr=0.05, decoupled=True, **options))


def test_adam_with_decoupled_weight_decay_is_adamw(rng):
    params, coefs = make_problem(rng)
    twins = [al.tensor(p.array.copy(), requires_grad=True) for p in params]
    train(optim.Adam(params, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True), params, coefs)
    train(optim.AdamW(twins, lr=0.05, weight_decay=0.1), twins, coefs)
    for p, q in zip(params, twins):
        assert np.array_equal(p.array, q.array)


def test_adamw_default_weight_decay_is_decoupled(rng):
    params, coefs = make_problem(rng)
    opt = optim.AdamW(params)
    assert opt.defaults["weight_decay"] == 1e-2
    start = [p.array.copy() for p in params]
    train(opt, params, coefs)
    for p, p0, coef in zip(params, start, coefs):
        np.testing.assert_allclose(p.array, ref_adam(p0, coef, STEPS, lr=1e-3, weight_decay=1e-2, decoupled=True),
                                   rtol=1e-10, atol=1e-12)


ALL_OPTIMIZERS = [
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.2)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (optim.Adam, dict(lr=0.05, amsgrad=True, weight_decay=0.01)),
    (optim.AdamW, dict(lr=0.05, amsgrad=True)),
]
OPT_IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(ALL_OPTIMIZERS)]


@pytest.mark.parametrize(("opt_cls", "kwargs"), ALL_OPTIMIZERS, ids=OPT_IDS)
def test_float32_stays_float32_and_tracks_float64(opt_cls, kwargs):
    params64, coefs64 = make_problem(np.random.default_rng(3))
    params32 = [al.tensor(p.array.astype(np.float32), requires_grad=True) for p in params64]
    coefs32 = [(a.astype(np.float32), b.astype(np.float32)) for a, b in coefs64]
    opt32 = opt_cls(params32, **kwargs)
    train(opt32, params32, coefs32)
    train(opt_cls(params64, **kwargs), params64, coefs64)
    for p32, p64 in zip(params32, params64):
        assert p32.dtype == np.float32
        np.testing.assert_allclose(p32.array, p64.array, rtol=1e-4, atol=1e-5)
        for key, value in opt32.state[p32].items():
            assert isinstance(value, al.Tensor) and value.dtype == np.float32, key


# ------------------------------------------------------------------ parameter groups
def test_param_groups_take_their_own_options(rng):
    params, coefs = make_problem(rng)
    start = [p.array.copy() for p in params]
    opt = optim.SGD([{"params": [params[0]]}, {"params": params[1], "lr": 0.01, "momentum": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert opt.param_groups[0]["momentum"] == 0 and opt.param_groups[1]["momentum"] == 0.5
    train(opt, params, coefs)
    np.testing.assert_allclose(params[0].array, ref_sgd(start[0], coefs[0], STEPS, lr=0.1), rtol=1e-12)
    np.testing.assert_allclose(params[1].array, ref_sgd(start[1], coefs[1], STEPS, lr=0.01, momentum=0.5),
                               rtol=1e-12)


def test_add_param_group_and_changing_lr(rng):
    params, coefs = make_problem(rng)
    start = [p.array.copy() for p in params]
    opt = optim.Adam([params[0]], lr=0.05)
    opt.add_param_group({"params": [params[1]], "lr": 0.02, "betas": (0.5, 0.6)})
    assert opt.param_groups[1]["eps"] == 1e-8          # defaults fill the options the group leaves out
    train(opt, params, coefs)
    np.testing.assert_allclose(params[0].array, ref_adam(start[0], coefs[0], STEPS, lr=0.05), rtol=1e-10)
    np.testing.assert_allclose(params[1].array, ref_adam(start[1], coefs[1], STEPS, lr=0.02, betas=(0.5, 0.6)),
                               rtol=1e-10)
    # the lr is read from the group at every step, so schedulers and users can change it
    opt.param_groups[0]["lr"] = 0.0
    before = params[0].array.copy()
    train(opt, params, coefs, steps=1)
    assert np.array_equal(params[0].array, before)


def test_named_parameters_are_accepted_and_saved(rng):
    params, _ = make_problem(rng)
    opt = optim.SGD([("w", params[0]), ("b", params[1])], lr=0.1)
    assert opt.param_groups[0]["params"] == params
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


# ------------------------------------------------------------------ bookkeeping errors
def test_duplicate_parameter_raises():
    p = al.zeros(3, requires_grad=True)
    q = al.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="duplicate parameters"):
        optim.SGD([p, q, p], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [q, p]}], lr=0.1)
    opt = optim.Adam([p])
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": p})
    assert len(opt.param_groups) == 1


def test_params_must_be_leaf_tensors_in_an_ordered_collection():
    p = al.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)


def test_frozen_and_gradless_parameters_are_skipped():
    trained = al.tensor([1.0, 2.0], requires_grad=True)
    frozen = al.tensor([3.0, 4.0])                    # requires_grad=False: allowed, as in PyTorch
    unused = al.tensor([5.0, 6.0], requires_grad=True)  # requires grad but gets none this step
    opt = optim.Adam([trained, frozen, unused], lr=0.1)
    (trained * trained).sum().backward()
    opt.step()
    assert not np.array_equal(trained.array, [1.0, 2.0])
    assert np.array_equal(frozen.array, [3.0, 4.0]) and np.array_equal(unused.array, [5.0, 6.0])
    assert frozen not in opt.state and unused not in opt.state


INVALID = [
    (optim.SGD, dict(lr=-0.1), "learning rate"),
    (optim.SGD, dict(momentum=-0.5), "momentum"),
    (optim.SGD, dict(weight_decay=-1.0), "weight_decay"),
    (optim.SGD, dict(nesterov=True), "Nesterov"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), "Nesterov"),
    (optim.Adagrad, dict(lr=-1.0), "learning rate"),
    (optim.Adagrad, dict(lr_decay=-1.0), "lr_decay"),
    (optim.Adagrad, dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (optim.Adagrad, dict(eps=-1.0), "epsilon"),
    (optim.RMSprop, dict(alpha=-0.1), "alpha"),
    (optim.RMSprop, dict(eps=-1.0), "epsilon"),
    (optim.RMSprop, dict(momentum=-1.0), "momentum"),
    (optim.Adam, dict(betas=(1.0, 0.999)), "index 0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), "index 1"),
    (optim.Adam, dict(eps=-1e-8), "epsilon"),
    (optim.Adam, dict(weight_decay=-0.1), "weight_decay"),
    (optim.AdamW, dict(lr=-1e-3), "learning rate"),
]


@pytest.mark.parametrize(("opt_cls", "kwargs", "message"), INVALID, ids=lambda x: getattr(x, "__name__", str(x)))
def test_invalid_hyper_parameters_raise(opt_cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        opt_cls([al.zeros(2, requires_grad=True)], **kwargs)


def test_step_of_the_base_class_is_abstract():
    opt = optim.Optimizer([al.zeros(2, requires_grad=True)], {"lr": 0.1})
    with pytest.raises(NotImplementedError):
        opt.step()


# ------------------------------------------------------------------ closure, zero_grad, autograd's version counter
def test_closure_runs_with_grad_enabled_and_its_loss_is_returned(rng):
    params, coefs = make_problem(rng)
    start = [p.array.copy() for p in params]
    opt = optim.SGD(params, lr=0.05, momentum=0.9)
    calls = []

    def closure():
        opt.zero_grad()
        loss = loss_of(params, coefs)
        loss.backward()
        calls.append(al.is_grad_enabled())
        return loss

    with al.no_grad():                      # the closure still gets a graph to backpropagate through
        losses = [opt.step(closure) for _ in range(STEPS)]
    assert calls == [True] * STEPS
    np.testing.assert_allclose(losses[0].item(), loss_of([al.tensor(s) for s in start], coefs).item())
    for p, p0, coef in zip(params, start, coefs):
        np.testing.assert_allclose(p.array, ref_sgd(p0, coef, STEPS, lr=0.05, momentum=0.9), rtol=1e-12)
    assert opt.step() is None


def test_zero_grad_to_none_or_to_zeros():
    p = al.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and np.array_equal(grad.array, [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None
    opt.zero_grad()                         # no gradient at all is fine too


def test_zero_gradient_still_moves_with_momentum():
    p = al.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.5)
    (p * 2.0).sum().backward()
    opt.step()                              # buf = 2, p = 1 - 0.2
    opt.zero_grad(set_to_none=False)
    opt.step()                              # buf = 0.5 * 2 + 0 = 1, p = 0.8 - 0.1
    np.testing.assert_allclose(p.array, [0.7], rtol=1e-6)


def test_step_is_an_in_place_update_that_autograd_can_see():
    p = al.tensor([1.0, 2.0], requires_grad=True)
    alias = p.array
    opt = optim.Adam([p], lr=0.1)
    y = (p * p).sum()                       # saves p for backward
    y.backward(retain_graph=True)
    opt.step()
    assert p.array is alias                  # updated in place, not rebound
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_lerp_uses_pytorchs_two_formulas_in_the_tensors_dtype(rng):
    # PyTorch's lerp: start + w * (end - start) for |w| < 0.5, else end - (end - start) * (1 - w), which
    # makes w = 1 return `end` exactly. Adam and RMSprop average with it, so the branch shows in float32.
    start, end = (rng.standard_normal(1000).astype(np.float32) for _ in range(2))
    for w in (0.3, 0.7, 1.0):
        out = lerp_(start.copy(), end, w)
        w32 = np.float32(w)
        expected = start + w32 * (end - start) if w < 0.5 else end - (end - start) * (np.float32(1) - w32)
        assert out.dtype == np.float32 and np.array_equal(out, expected)
    assert np.array_equal(lerp_(start.copy(), end, 1.0), end)


def test_zero_dim_parameters():
    p = al.tensor(2.0, requires_grad=True)
    for opt in (optim.SGD([p], lr=0.1, momentum=0.9), optim.Adagrad([p]), optim.RMSprop([p], centered=True,
                momentum=0.1), optim.Adam([p], amsgrad=True)):
        before = p.item()
        opt.zero_grad()
        (p * p).backward()
        opt.step()
        assert p.shape == () and p.item() < before


# ------------------------------------------------------------------ state_dict
@pytest.mark.parametrize(("opt_cls", "kwargs"), ALL_OPTIMIZERS, ids=OPT_IDS)
def test_state_dict_round_trip_continues_bit_identically(opt_cls, kwargs):
    rng = np.random.default_rng(7)
    params, coefs = make_problem(rng, dtype=np.float32)
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": kwargs["lr"] / 2}]
    opt = opt_cls(groups, **kwargs)
    train(opt, params, coefs, steps=3)

    saved = opt.state_dict()               # live references: loading must copy, or the two would share buffers
    copies = [al.tensor(p.array.copy(), requires_grad=True) for p in params]
    fresh = opt_cls([{"params": [copies[0]]}, {"params": [copies[1]]}], **kwargs)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[1]["lr"] == kwargs["lr"] / 2
    assert fresh.param_groups[0]["params"][0] is copies[0]

    train(opt, params, coefs, steps=4)
    train(fresh, copies, coefs, steps=4)
    for p, q in zip(params, copies):
        assert np.array_equal(p.array, q.array)
        for key, value in opt.state[p].items():
            assert np.array_equal(value.array, fresh.state[q][key].array), key


def test_state_dict_format_is_pytorchs():
    a, b, c = (al.tensor(np.ones(2, np.float32), requires_grad=True) for _ in range(3))
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}])
    for p in (a, c):
        p.grad = al.tensor(np.ones(2, np.float32))
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert sorted(sd["state"]) == [0, 2]                      # b had no gradient: no state
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    step = sd["state"][0]["step"]
    assert isinstance(step, al.Tensor) and step.dtype == np.float32 and step.shape == () and step.item() == 1.0
    assert isinstance(sd["state"][2]["exp_avg"], al.Tensor)


def test_load_state_dict_copies_and_casts_to_the_parameter_dtype():
    p32 = al.tensor(np.ones(3, np.float32), requires_grad=True)
    opt = optim.Adam([p32], lr=0.1)
    p32.grad = al.tensor(np.full(3, 0.5, np.float32))
    opt.step()
    p64 = al.tensor(np.ones(3), requires_grad=True)
    other = optim.Adam([p64], lr=0.1)
    other.load_state_dict(opt.state_dict())
    loaded, original = other.state[p64], opt.state[p32]
    assert loaded["exp_avg"].dtype == np.float64 and loaded["exp_avg_sq"].dtype == np.float64
    assert loaded["step"].dtype == np.float32                 # the counter is never cast
    np.testing.assert_allclose(loaded["exp_avg"].array, original["exp_avg"].array)
    original["exp_avg"].array[...] = 100.0                     # no buffer is shared with the source
    assert np.all(loaded["exp_avg"].array < 1.0)


def test_load_state_dict_accepts_numpy_arrays_and_plain_step_numbers():
    p = al.tensor(np.zeros(2, np.float32), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    opt.load_state_dict({"state": {0: {"step": 4, "exp_avg": np.array([0.1, 0.2]),
                                       "exp_avg_sq": np.array([0.01, 0.04])}},
                         "param_groups": [{**opt.state_dict()["param_groups"][0], "params": [0]}]})
    state = opt.state[p]
    assert isinstance(state["step"], al.Tensor) and state["step"].item() == 4.0 and state["step"].dtype == np.float32
    assert state["exp_avg"].dtype == np.float32
    p.grad = al.tensor(np.zeros(2, np.float32))
    opt.step()
    assert state["step"].item() == 5.0


def test_load_state_dict_validates_groups_and_shapes():
    p, q = al.zeros(2, requires_grad=True), al.zeros(3, requires_grad=True)
    opt = optim.Adam([{"params": [p]}, {"params": [q]}])
    p.grad, q.grad = al.ones(2), al.ones(3)
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.Adam([p, q]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.Adam([{"params": [p]}, {"params": [q, al.zeros(1, requires_grad=True)]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="exp_avg"):        # same group sizes, parameters swapped
        optim.Adam([{"params": [q]}, {"params": [p]}]).load_state_dict(sd)


def test_adamw_stays_decoupled_after_loading_an_adam_state():
    p = al.zeros(2, requires_grad=True)
    sd = optim.Adam([p]).state_dict()
    opt = optim.AdamW([al.zeros(2, requires_grad=True)])
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True
    assert opt.param_groups[0]["weight_decay"] == 0           # the loaded options otherwise win


def test_adagrad_creates_its_state_up_front():
    p = al.zeros(2, requires_grad=True)
    opt = optim.Adagrad([p], initial_accumulator_value=0.25)
    assert opt.state[p]["step"].item() == 0.0
    assert np.array_equal(opt.state[p]["sum"].array, [0.25, 0.25])


def test_deepcopy_of_an_optimizer_is_independent(rng):
    params, coefs = make_problem(rng)
    opt = optim.Adam(params, lr=0.05)
    train(opt, params, coefs, steps=2)
    twin = copy.deepcopy(opt)
    twin_params = [p for g in twin.param_groups for p in g["params"]]
    train(opt, params, coefs, steps=2)
    train(twin, twin_params, coefs, steps=2)
    for p, q in zip(params, twin_params):
        assert p is not q and np.array_equal(p.array, q.array)


# ------------------------------------------------------------------ nn.utils: clipping and flattening
def grads_of(arrays):
    params = [al.zeros(a.shape, dtype=a.dtype, requires_grad=True) for a in arrays]
    for p, a in zip(params, arrays):
        p.grad = al.tensor(a.copy())
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_against_numpy(norm_type, max_norm, rng):
    arrays = [rng.standard_normal(s) for s in [(4, 3), (5,), ()]]
    params = grads_of(arrays)
    flat = np.concatenate([a.reshape(-1) for a in arrays])
    norm = np.max(np.abs(flat)) if norm_type == math.inf else np.sum(np.abs(flat) ** norm_type) ** (1 / norm_type)
    total = clip_grad_norm_(params + [al.zeros(2, requires_grad=True)], max_norm, norm_type)  # one has no grad
    assert isinstance(total, al.Tensor) and total.shape == ()
    np.testing.assert_allclose(total.item(), norm, rtol=1e-12)
    scale = min(max_norm / (norm + 1e-6), 1.0)
    for p, a in zip(params, arrays):
        np.testing.assert_allclose(p.grad.array, a * scale, rtol=1e-12)
    if max_norm < norm:
        clipped = np.concatenate([p.grad.array.reshape(-1) for p in params])
        np.testing.assert_allclose(np.linalg.norm(clipped, ord=norm_type), max_norm, rtol=1e-5)


def test_clip_grad_norm_keeps_float32_and_checks_finiteness():
    params = grads_of([np.array([3.0, 4.0], np.float32)])
    total = clip_grad_norm_(params[0], 1.0)                  # a single tensor is accepted
    assert total.dtype == np.float32 and params[0].grad.dtype == np.float32
    np.testing.assert_allclose(params[0].grad.array, [0.6, 0.8], rtol=1e-5)
    bad = grads_of([np.array([np.inf, 1.0])])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)
    assert clip_grad_norm_([al.zeros(2, requires_grad=True)], 1.0).item() == 0.0


def test_clip_grad_value_against_numpy(rng):
    arrays = [rng.standard_normal(s) * 2 for s in [(4, 3), (6,)]]
    params = grads_of(arrays)
    clip_grad_value_(iter(params), 0.75)
    for p, a in zip(params, arrays):
        assert np.array_equal(p.grad.array, np.clip(a, -0.75, 0.75))
        assert np.any(np.abs(a) > 0.75)


def test_parameters_to_vector_and_back(rng):
    params = [al.tensor(rng.standard_normal(s), requires_grad=True) for s in [(2, 3), (4,)]]
    vec = parameters_to_vector(params)
    assert np.array_equal(vec.array, np.concatenate([params[0].array.reshape(-1), params[1].array]))
    (vec * al.arange(10.0)).sum().backward()                 # differentiable: a plain cat
    assert np.array_equal(params[1].grad.array, np.arange(6.0, 10.0))
    new = al.arange(10.0, dtype=al.float64)
    vector_to_parameters(new, params)
    assert np.array_equal(params[0].array, np.arange(6.0).reshape(2, 3)) and params[1].shape == (4,)
    with pytest.raises(TypeError):
        vector_to_parameters(np.zeros(10), params)
