"""nn names PyTorch programs use: optim.Adadelta, data.ConcatDataset, data.WeightedRandomSampler, and a
RandomSampler that draws lazily (replacement=True, num_samples=10**10 must not build ten billion indices)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
import nn
from nn import data


def _torch():
    return pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")


@pytest.mark.parametrize("options", [{}, dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1), dict(maximize=True)],
                         ids=["defaults", "all-options", "maximize"])
def test_adadelta_follows_pytorchs_steps(options):
    torch = _torch()
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((4, 3)).astype(np.float32)
    p, pt = nn.Parameter(al.tensor(w0.copy())), torch.nn.Parameter(torch.tensor(w0.copy()))
    opt, opt_t = nn.optim.Adadelta([p], **options), torch.optim.Adadelta([pt], foreach=False, **options)
    for _ in range(30):
        g = rng.standard_normal((4, 3)).astype(np.float32)
        p.grad, pt.grad = al.tensor(g.copy()), torch.tensor(g.copy())
        opt.step()
        opt_t.step()
    # float32 rounding: PyTorch's kernels may fuse a multiply-add that NumPy rounds twice
    np.testing.assert_allclose(p.array, pt.detach().numpy(), rtol=1e-6, atol=1e-6)
    for key in ("square_avg", "acc_delta"):
        np.testing.assert_allclose(opt.state[p][key].array, opt_t.state[pt][key].numpy(), rtol=1e-5, atol=1e-9)
    assert opt.state_dict()["param_groups"][0].keys() >= {"lr", "rho", "eps", "weight_decay", "maximize"}


@pytest.mark.parametrize(("options", "word"), [(dict(lr=-1.0), "learning rate"), (dict(rho=1.5), "rho"),
                                               (dict(eps=-1.0), "epsilon"), (dict(weight_decay=-1.0), "weight_decay")])
def test_adadelta_refuses_bad_settings_as_pytorch(options, word):
    with pytest.raises(ValueError, match=f"Invalid {word}"):
        nn.optim.Adadelta([nn.Parameter(al.zeros(2))], **options)


def test_concat_dataset_indexes_as_pytorchs():
    torch = _torch()
    parts = [np.arange(3), np.arange(10, 15), np.arange(20, 22)]
    ours = data.ConcatDataset([data.TensorDataset(al.tensor(a)) for a in parts])
    theirs = torch.utils.data.ConcatDataset([torch.utils.data.TensorDataset(torch.tensor(a)) for a in parts])
    assert len(ours) == len(theirs) == 10 and ours.cumulative_sizes == theirs.cumulative_sizes
    for i in range(-10, 10):
        assert ours[i][0].item() == theirs[i][0].item()
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        ours[-11]
    with pytest.raises(IndexError):
        ours[10]
    with pytest.raises(ValueError, match="should not be an empty iterable"):
        data.ConcatDataset([])
    batches = list(data.DataLoader(ours, batch_size=4))
    assert [b[0].tolist() for b in batches] == [[0, 1, 2, 10], [11, 12, 13, 14], [20, 21]]


def test_weighted_random_sampler_draws_by_weight():
    counts = np.array([90, 10])
    labels = np.repeat([0, 1], counts)
    weights = 1.0 / counts[labels]                            # the usual recipe for unbalanced classes
    sampler = data.WeightedRandomSampler(weights, num_samples=20_000, generator=al.Generator().manual_seed(0))
    drawn = np.array(list(sampler))
    assert len(sampler) == 20_000 and drawn.max() < 100
    assert abs((labels[drawn] == 1).mean() - 0.5) < 0.02         # the classes come out balanced
    distinct = list(data.WeightedRandomSampler([1.0, 2.0, 3.0], 3, replacement=False))
    assert sorted(distinct) == [0, 1, 2]


@pytest.mark.parametrize(("args", "error", "message"), [
    (([1.0, 2.0], 0), ValueError, "num_samples must be a positive integer"),
    (([1.0, 2.0], 2, 1), ValueError, "replacement should be a boolean"),
    (([[1.0, 2.0]], 2), ValueError, "weights should be a 1d sequence"),
])
def test_weighted_random_sampler_refuses_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        data.WeightedRandomSampler(*args)


def test_random_sampler_with_replacement_draws_as_the_loop_asks():
    dataset = data.TensorDataset(al.arange(10))
    sampler = data.RandomSampler(dataset, replacement=True, num_samples=10**10,
                                 generator=al.Generator().manual_seed(1))
    assert len(sampler) == 10**10
    first = [i for _, i in zip(range(10_000), sampler)]           # a list of 10^10 would need 80 GB
    assert len(first) == 10_000 and set(first) == set(range(10))
    loader = data.DataLoader(dataset, batch_size=4, sampler=sampler)
    assert len(loader) == 2_500_000_000 and next(iter(loader))[0].shape == (4,)
    # without replacement: successive permutations, each index once per pass over the data
    passes = list(data.RandomSampler(dataset, num_samples=25, generator=al.Generator().manual_seed(2)))
    assert sorted(passes[:10]) == sorted(passes[10:20]) == list(range(10)) and len(passes) == 25


def test_multiplicative_lr_follows_pytorchs_rates():
    torch = _torch()
    factors = [lambda e: 0.9, lambda e: 1.0 / (e + 1)]

    def rates(module, optim_module):
        params = [module.zeros(2, requires_grad=True) if module is torch else nn.Parameter(al.zeros(2))
                  for _ in range(2)]
        opt = optim_module.SGD([{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.5}])
        sched = optim_module.lr_scheduler.MultiplicativeLR(opt, factors)
        seen = []
        for _ in range(8):
            seen.append([g["lr"] for g in opt.param_groups])
            opt.step()
            sched.step()
        return seen

    assert rates(al, nn.optim) == rates(torch, torch.optim)          # bit for bit
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        nn.optim.lr_scheduler.MultiplicativeLR(nn.optim.SGD([nn.Parameter(al.zeros(1))], lr=0.1), factors)
