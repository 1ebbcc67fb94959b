"""LinearLR, ConstantLR, PolynomialLR and OneCycleLR: the rates their documented formulas give (the
chainable steps reach them up to rounding), momentum cycling, errors, and saving and resuming."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as al
import nn
from nn.optim import lr_scheduler as sched


def _opt(kind="sgd", lr=0.1):
    p = [nn.Parameter(al.zeros(2))]
    return nn.optim.SGD(p, lr=lr, momentum=0.9) if kind == "sgd" else nn.optim.Adam(p, lr=lr)


def _rates(opt, scheduler, steps):
    out = [scheduler.get_last_lr()[0]]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        out.append(scheduler.get_last_lr()[0])
    return np.array(out)


def test_linear_lr_warms_up_then_holds():
    opt = _opt()
    rates = _rates(opt, sched.LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=4), 7)
    t = np.minimum(np.arange(8), 4)
    np.testing.assert_allclose(rates, 0.1 * (0.25 + 0.75 * t / 4), rtol=1e-12)


def test_constant_lr_scales_then_restores():
    opt = _opt()
    rates = _rates(opt, sched.ConstantLR(opt, factor=0.5, total_iters=3), 5)
    np.testing.assert_allclose(rates, [0.05, 0.05, 0.05, 0.1, 0.1, 0.1], rtol=1e-12)


def test_polynomial_lr():
    opt = _opt()
    rates = _rates(opt, sched.PolynomialLR(opt, total_iters=6, power=2.0), 8)
    t = np.minimum(np.arange(9), 6)
    np.testing.assert_allclose(rates, 0.1 * (1 - t / 6) ** 2, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_one_cycle_rises_then_anneals_and_cycles_momentum(strategy):
    opt = _opt()
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=20, pct_start=0.25, anneal_strategy=strategy)
    lrs, moms = [s.get_last_lr()[0]], [opt.param_groups[0]["momentum"]]
    for _ in range(19):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
    up_end = 0.25 * 20 - 1                                           # the last step of the rise
    anneal = ((lambda a, b, p: b + (a - b) / 2 * (math.cos(math.pi * p) + 1)) if strategy == "cos"
              else (lambda a, b, p: (b - a) * p + a))
    lo, hi, floor = 1.0 / 25, 1.0, 1.0 / 25 / 1e4
    expected = [anneal(lo, hi, i / up_end) if i <= up_end else anneal(hi, floor, (i - up_end) / (19 - up_end))
                for i in range(20)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    assert lrs[0] == pytest.approx(0.04) and max(lrs) == pytest.approx(1.0) and lrs[-1] == pytest.approx(4e-6)
    assert moms[0] == pytest.approx(0.95) and min(moms) == pytest.approx(0.85) and moms[-1] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="tried to step 21 times"):
        opt.step()
        s.step()
        s.step()


def test_one_cycle_three_phases_and_adams_beta1():
    opt = _opt("adam")
    s = sched.OneCycleLR(opt, max_lr=0.01, epochs=2, steps_per_epoch=10, pct_start=0.3, three_phase=True)
    lrs, betas = [s.get_last_lr()[0]], [opt.param_groups[0]["betas"][0]]
    for _ in range(19):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
        betas.append(opt.param_groups[0]["betas"][0])
    peak = int(np.argmax(lrs))
    assert peak == 5 and lrs[peak] == pytest.approx(0.01)          # up until 0.3 * 20 - 1
    assert lrs[10] == pytest.approx(0.01 / 25)                        # back to the start at 2 * 0.3 * 20 - 2
    assert lrs[-1] == pytest.approx(0.01 / 25 / 1e4) and betas[peak] == pytest.approx(0.85)
    assert opt.param_groups[0]["betas"][1] == 0.999


def test_one_cycle_argument_errors():
    with pytest.raises(ValueError, match="give total_steps, or epochs and steps_per_epoch"):
        sched.OneCycleLR(_opt(), max_lr=1.0)
    with pytest.raises(ValueError, match="pct_start"):
        sched.OneCycleLR(_opt(), max_lr=1.0, total_steps=10, pct_start=2.0)
    with pytest.raises(ValueError, match="anneal_strategy"):
        sched.OneCycleLR(_opt(), max_lr=1.0, total_steps=10, anneal_strategy="exp")
    with pytest.raises(ValueError, match="one value per parameter group"):
        sched.OneCycleLR(_opt(), max_lr=[1.0, 2.0], total_steps=10)
    with pytest.raises(ValueError, match="start_factor"):
        sched.LinearLR(_opt(), start_factor=0.0)


def test_resuming_from_a_state_dict_continues_the_schedule():
    opt = _opt()
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=30)
    for _ in range(10):
        opt.step()
        s.step()
    opt2 = _opt()
    opt2.load_state_dict(opt.state_dict())
    s2 = sched.OneCycleLR(opt2, max_lr=1.0, total_steps=30, last_epoch=9)
    s2.load_state_dict(s.state_dict())
    for _ in range(5):
        opt.step()
        s.step()
        opt2.step()
        s2.step()
        assert s.get_last_lr() == s2.get_last_lr()


def test_cosine_annealing_warm_restarts_follows_sgdr():
    opt = _opt()
    rates = _rates(opt, sched.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.001), 20)
    expected, t_cur, t_i = [], 0, 3                        # periods 3, 6, 12 epochs
    for _ in range(21):
        expected.append(0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * t_cur / t_i)) / 2)
        t_cur += 1
        if t_cur >= t_i:
            t_cur, t_i = t_cur - t_i, t_i * 2
    np.testing.assert_allclose(rates, expected, rtol=1e-12)
    assert rates[3] == pytest.approx(0.1) and rates[9] == pytest.approx(0.1)       # the restarts
    with pytest.raises(ValueError, match="T_mult >= 1"):
        sched.CosineAnnealingWarmRestarts(_opt(), T_0=3, T_mult=0)


def test_sequential_lr_warm_up_then_cosine():
    opt = _opt()
    s = sched.SequentialLR(opt, [sched.LinearLR(opt, 0.1, 1.0, 3), sched.CosineAnnealingLR(opt, T_max=6)],
                           milestones=[3])
    rates = _rates(opt, s, 9)
    warm = [0.1 * (0.1 + 0.9 * t / 3) for t in range(3)]
    cosine = [0.1 * (1 + math.cos(math.pi * t / 6)) / 2 for t in range(7)]
    np.testing.assert_allclose(rates, warm + cosine, rtol=1e-9, atol=1e-15)
    saved = s.state_dict()
    assert len(saved["_schedulers"]) == 2 and "optimizer" not in saved
    with pytest.raises(ValueError, match="one milestone fewer than schedulers"):
        sched.SequentialLR(opt, [sched.StepLR(opt, 2)], milestones=[1])


def test_chained_scheduler_applies_both():
    opt = _opt()
    s = sched.ChainedScheduler([sched.ConstantLR(opt, factor=0.5, total_iters=2), sched.ExponentialLR(opt, 0.9)])
    rates = _rates(opt, s, 4)
    np.testing.assert_allclose(rates, [0.1 * (0.5 if t < 2 else 1) * 0.9 ** t for t in range(5)], rtol=1e-12)
    other = _opt()
    with pytest.raises(ValueError, match="same optimizer"):
        sched.ChainedScheduler([sched.ExponentialLR(opt, 0.9), sched.ExponentialLR(other, 0.9)])
