"""nn.optim.lr_scheduler: each schedule's lr sequence against its formula, ReduceLROnPlateau's patience,
cooldown and thresholds worked out by hand, state_dict round trips, and the misuse warnings."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd_lite as al
from nn import optim
from nn.optim import lr_scheduler

BASE_LRS = (0.1, 0.03)
EPOCHS = 20


def make_optimizer(lrs=BASE_LRS) -> optim.SGD:
    return optim.SGD([{"params": [al.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs], lr=0.5)


def run(scheduler, epochs: int = EPOCHS) -> list[list[float]]:
    """The lrs right after construction, then after each of `epochs` optimizer.step(); scheduler.step()."""
    seen = [list(scheduler.get_last_lr())]
    for _ in range(epochs):
        scheduler.optimizer.step()
        scheduler.step()
        seen.append(list(scheduler.get_last_lr()))
        assert seen[-1] == [g["lr"] for g in scheduler.optimizer.param_groups]
    return seen


@pytest.fixture(autouse=True)
def no_stray_warnings():
    # Used in the right order, the schedulers warn about nothing; tests that expect a warning catch it.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_construction_records_initial_lr_and_keeps_the_rate():
    opt = make_optimizer()
    sched = lr_scheduler.StepLR(opt, step_size=3)
    assert sched.base_lrs == list(BASE_LRS) and sched.last_epoch == 0
    assert [g["initial_lr"] for g in opt.param_groups] == list(BASE_LRS)
    assert [g["lr"] for g in opt.param_groups] == list(BASE_LRS)
    run(sched, epochs=3)
    later = lr_scheduler.ExponentialLR(opt, gamma=0.9)     # a second scheduler keeps the first initial_lr
    assert later.base_lrs == list(BASE_LRS) and later.get_last_lr() == [b * 0.1 for b in BASE_LRS]


def test_step_lr():
    gamma, size = 0.5, 3
    seen = run(lr_scheduler.StepLR(make_optimizer(), step_size=size, gamma=gamma))
    expected = [list(BASE_LRS)]
    for epoch in range(1, EPOCHS + 1):     # chainable: the current rate times gamma at each multiple
        expected.append([lr * gamma if epoch % size == 0 else lr for lr in expected[-1]])
    assert seen == expected
    for epoch, lrs in enumerate(seen):
        assert lrs == pytest.approx([b * gamma ** (epoch // size) for b in BASE_LRS], rel=1e-12)


def test_multi_step_lr_with_a_repeated_milestone():
    gamma, milestones = 0.3, [2, 5, 5, 11]
    seen = run(lr_scheduler.MultiStepLR(make_optimizer(), milestones, gamma=gamma))
    for epoch, lrs in enumerate(seen):
        passed = sum(m <= epoch for m in milestones)          # 5 is listed twice: gamma**2 there
        assert lrs == pytest.approx([b * gamma**passed for b in BASE_LRS], rel=1e-12)
    assert seen[4] == seen[2] and seen[5] != seen[4]


def test_exponential_lr():
    seen = run(lr_scheduler.ExponentialLR(make_optimizer(), gamma=0.9))
    for epoch, lrs in enumerate(seen):
        assert lrs == pytest.approx([b * 0.9**epoch for b in BASE_LRS], rel=1e-12)


@pytest.mark.parametrize(("t_max", "eta_min"), [(6, 0.01), (10, 0.0)])
def test_cosine_annealing_lr_follows_the_recursion_and_the_closed_form(t_max, eta_min):
    seen = run(lr_scheduler.CosineAnnealingLR(make_optimizer(), T_max=t_max, eta_min=eta_min), epochs=3 * t_max)
    recursive = [list(BASE_LRS)]
    for t in range(1, 3 * t_max + 1):
        if (t - 1 - t_max) % (2 * t_max) == 0:   # leaving the minimum: 1 + cos(pi) = 0 has no ratio
            step = [lr + (b - eta_min) * (1 - math.cos(math.pi / t_max)) / 2 for lr, b in zip(recursive[-1], BASE_LRS)]
        else:
            ratio = (1 + math.cos(math.pi * t / t_max)) / (1 + math.cos(math.pi * (t - 1) / t_max))
            step = [eta_min + (lr - eta_min) * ratio for lr in recursive[-1]]
        recursive.append(step)
    for t, (lrs, rec) in enumerate(zip(seen, recursive)):
        assert lrs == pytest.approx(rec, rel=1e-12)
        closed = [eta_min + (b - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2 for b in BASE_LRS]
        assert lrs == pytest.approx(closed, abs=1e-12)
    assert seen[t_max] == pytest.approx([eta_min, eta_min], abs=1e-12)       # the bottom, then back up
    assert seen[2 * t_max] == pytest.approx(list(BASE_LRS), rel=1e-12)


def test_lambda_lr_with_one_function_and_with_one_per_group():
    seen = run(lr_scheduler.LambdaLR(make_optimizer(), lambda e: 0.95**e))
    assert seen == [[b * 0.95**e for b in BASE_LRS] for e in range(EPOCHS + 1)]
    seen = run(lr_scheduler.LambdaLR(make_optimizer(), [lambda e: 1 / (e + 1), lambda e: e % 3]))
    assert seen == [[BASE_LRS[0] * (1 / (e + 1)), BASE_LRS[1] * (e % 3)] for e in range(EPOCHS + 1)]
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas"):
        lr_scheduler.LambdaLR(make_optimizer(), [lambda e: 1.0])


def test_two_schedulers_on_one_optimizer_compose():
    opt = make_optimizer()
    schedulers = [lr_scheduler.StepLR(opt, step_size=4, gamma=0.5), lr_scheduler.ExponentialLR(opt, gamma=0.9)]
    for epoch in range(1, EPOCHS + 1):
        opt.step()
        for s in schedulers:
            s.step()
        expected = [b * 0.5 ** (epoch // 4) * 0.9**epoch for b in BASE_LRS]
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(expected, rel=1e-12)


def test_the_scheduled_lr_is_what_the_optimizer_uses():
    p = al.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for lr in (0.1, 0.05, 0.025):
        before = p.item()
        opt.zero_grad()
        (p * 1.0).sum().backward()          # gradient 1: the step is exactly the lr
        opt.step()
        sched.step()
        assert before - p.item() == pytest.approx(lr, rel=1e-6)


# ------------------------------------------------------------------ ReduceLROnPlateau, worked by hand
def plateau_run(sched, metrics) -> list[list[float]]:
    seen = []
    for m in metrics:
        sched.optimizer.step()
        sched.step(m)
        seen.append(list(sched.get_last_lr()))
    return seen


def test_plateau_relative_threshold_and_patience():
    sched = lr_scheduler.ReduceLROnPlateau(make_optimizer([1.0]), factor=0.5, patience=2, threshold=0.1)
    # 9.5 and 9.2 are lower than 10 but not by 10%; 9.0 is exactly 10 * 0.9, which is not strictly better:
    # the third bad epoch exceeds the patience of 2. The best is still 10, so 8.0 (< 9.0) is a new best,
    # 8.0 twice is not better, 7.1 (< 8.0 * 0.9 = 7.2) is, and three more bad epochs reduce again.
    metrics = [10, 9.5, 9.2, 9.0, 8.0, 8.0, 8.0, 7.1, 7.0, 7.0, 7.0]
    expected = [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25]
    assert [lrs[0] for lrs in plateau_run(sched, metrics)] == expected
    assert sched.best == 7.1 and sched.num_bad_epochs == 0


def test_plateau_cooldown_ignores_bad_epochs_and_min_lr_bounds():
    sched = lr_scheduler.ReduceLROnPlateau(make_optimizer([1.0]), factor=0.1, patience=0, cooldown=2,
                                           threshold=0.0, threshold_mode="abs", min_lr=1e-3)
    # Constant metric: every epoch after the first is bad. A reduction, then two epochs of cooldown, then
    # the next reduction; the third would go below min_lr, the fourth would change the lr by less than eps.
    seen = [lrs[0] for lrs in plateau_run(sched, [5.0] * 12)]
    expected = [1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 0.001, 0.001]
    assert seen == pytest.approx(expected, rel=1e-12)
    assert sched.cooldown_counter == 1 and sched.in_cooldown


def test_plateau_max_mode_absolute_threshold_and_per_group_min_lr():
    sched = lr_scheduler.ReduceLROnPlateau(make_optimizer([1.0, 0.3]), mode="max", factor=0.5, patience=1,
                                           threshold=0.5, threshold_mode="abs", min_lr=[0.2, 0.0])
    # An improvement must beat best + 0.5: 1.4 does not beat 1, 1.6 does; 1.7 and 1.8 do not beat 1.6,
    # so the lr halves at the 5th epoch; 3 is a new best, then 3.2, 3.4 (7th, 8th) halve it again; two more
    # stalls halve group 1 and clamp group 0 at its min_lr of 0.2.
    metrics = [1, 1.4, 1.6, 1.7, 1.8, 3, 3.2, 3.4, 3.4, 3.4]
    expected = [[1, 0.3]] * 4 + [[0.5, 0.15]] * 3 + [[0.25, 0.075]] * 2 + [[0.2, 0.0375]]
    np.testing.assert_allclose(plateau_run(sched, metrics), expected, rtol=1e-12)


def test_plateau_accepts_tensor_metrics_skips_tiny_reductions_and_validates():
    sched = lr_scheduler.ReduceLROnPlateau(make_optimizer([1e-8]), patience=0)
    plateau_run(sched, [al.tensor(1.0), al.tensor(2.0)])
    assert sched.get_last_lr() == [1e-8]           # 1e-8 -> 1e-9 changes it by less than eps = 1e-8
    with pytest.raises(ValueError, match="Factor"):
        lr_scheduler.ReduceLROnPlateau(make_optimizer(), factor=1.0)
    with pytest.raises(ValueError, match="unknown"):
        lr_scheduler.ReduceLROnPlateau(make_optimizer(), mode="lowest")
    with pytest.raises(ValueError, match="min_lrs"):
        lr_scheduler.ReduceLROnPlateau(make_optimizer(), min_lr=[0.1])


# ------------------------------------------------------------------ state_dict
SCHEDULERS = [
    ("StepLR", lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
    ("MultiStepLR", lambda o: lr_scheduler.MultiStepLR(o, [4, 9, 12], gamma=0.2)),
    ("ExponentialLR", lambda o: lr_scheduler.ExponentialLR(o, gamma=0.8)),
    ("CosineAnnealingLR", lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=0.001)),
    ("LambdaLR", lambda o: lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e))),
]


@pytest.mark.parametrize("make", [m for _, m in SCHEDULERS], ids=[n for n, _ in SCHEDULERS])
def test_state_dict_round_trip_continues_identically(make):
    opt = make_optimizer()
    sched = make(opt)
    run(sched, epochs=7)
    opt_state, sched_state = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in sched_state and sched_state["last_epoch"] == 7

    opt2 = make_optimizer(lrs=(0.5, 0.5))            # other rates: the loaded state must win
    sched2 = make(opt2)                              # built first, as PyTorch recommends, then loaded
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    assert sched2.base_lrs == list(BASE_LRS)
    assert run(sched2, epochs=10)[1:] == run(sched, epochs=10)[1:]


def test_plateau_state_dict_round_trip():
    metrics = [5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 2]
    sched = lr_scheduler.ReduceLROnPlateau(make_optimizer(), patience=1, cooldown=1)
    plateau_run(sched, metrics[:4])
    state = sched.state_dict()
    assert "optimizer" not in state and state["best"] == 4 and state["mode"] == "min"
    opt2 = make_optimizer()
    opt2.load_state_dict(sched.optimizer.state_dict())
    sched2 = lr_scheduler.ReduceLROnPlateau(opt2, mode="max", patience=50)
    sched2.load_state_dict(state)
    assert plateau_run(sched2, metrics[4:]) == plateau_run(sched, metrics[4:])


def test_lambda_lr_state_dict_leaves_out_functions_but_keeps_callable_objects():
    class Warmup:
        def __init__(self, epochs: int) -> None:
            self.epochs = epochs

        def __call__(self, epoch: int) -> float:
            return min(1.0, (epoch + 1) / self.epochs)

    sched = lr_scheduler.LambdaLR(make_optimizer(), [lambda e: 1.0, Warmup(4)])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"epochs": 4}]
    other_warmup = Warmup(10)
    sched2 = lr_scheduler.LambdaLR(make_optimizer(), [lambda e: 0.5, other_warmup])
    sched2.load_state_dict(state)
    assert other_warmup.epochs == 4 and "lr_lambdas" in state     # the caller's dict is left whole
    assert sched2.lr_lambdas[0](3) == 0.5                          # functions are not replaced


# ------------------------------------------------------------------ misuse
def test_scheduler_step_before_optimizer_step_warns():
    sched = lr_scheduler.StepLR(make_optimizer(), step_size=1)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()


def test_get_lr_outside_step_warns():
    sched = lr_scheduler.ExponentialLR(make_optimizer(), gamma=0.5)
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()


def test_deprecated_epoch_argument_uses_the_closed_form():
    opt = make_optimizer()
    sched = lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(7)
    assert sched.get_last_lr() == [b * 0.5**2 for b in BASE_LRS] and sched.last_epoch == 7


def test_resuming_needs_initial_lr_and_optimizers_only():
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(make_optimizer(), step_size=2, last_epoch=5)
    opt = make_optimizer()
    for g in opt.param_groups:
        g["initial_lr"] = 1.0
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5, last_epoch=3)
    assert sched.last_epoch == 4 and sched.base_lrs == [1.0, 1.0]
    assert sched.get_last_lr() == list(BASE_LRS)     # resuming does not decay on construction
    with pytest.raises(TypeError, match="not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)


def test_lr_scheduler_base_requires_get_lr():
    with pytest.raises(NotImplementedError):
        lr_scheduler.LRScheduler(make_optimizer())


def test_optimizer_survives_deepcopy_after_a_scheduler_wrapped_its_step():
    import copy

    opt = make_optimizer()
    lr_scheduler.StepLR(opt, step_size=1)
    twin = copy.deepcopy(opt)
    twin.step()                                      # the copy has the plain class method
    assert np.isclose(twin.param_groups[0]["lr"], BASE_LRS[0])
